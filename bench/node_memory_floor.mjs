#!/usr/bin/env node
// The floor of scenario D on Node: what 200 real slow readers cost a node:http
// server that does nothing but read the file into one 16 KiB buffer per
// connection and write it, waiting for each write to flush (no ranges, no
// headers logic, no pool, no pacing). What the Node writers hold above this is
// theirs to answer for; this much is node:http, fs.read and V8's young
// generation under tens of thousands of chunks a second.
//   node bench/node_memory_floor.mjs [--file bench/data/1g.bin] [--clients 200] [--seconds 10]
// (bench/data/1g.bin is written by `npm run bench`.) Prints one JSON line.
// Traffic only to 127.0.0.1.
import { spawn } from "node:child_process";
import { close, open, read, readFileSync } from "node:fs";
import { createServer } from "node:http";
import process from "node:process";
import { parseArgs } from "node:util";

const CHUNK = 16 * 1024;
const { values } = parseArgs({
  options: {
    file: { type: "string", default: "bench/data/1g.bin" },
    clients: { type: "string", default: "200" },
    seconds: { type: "string", default: "10" },
    serve: { type: "string" },
  },
});

if (values.serve) serve(values.file, Number(values.serve));
else await measure();

function serve(path, port) {
  createServer((_req, res) => {
    open(path, "r", (err, fd) => {
      if (err) return void res.writeHead(404).end();
      const size = Number(process.env.FLOOR_SIZE);
      res.writeHead(200, { "content-length": String(size), "content-type": "application/octet-stream" });
      const buf = Buffer.allocUnsafeSlow(CHUNK);
      let position = 0;
      let gone = false;
      res.on("close", () => {
        gone = true;
        close(fd, () => {});
      });
      const step = () => {
        if (gone) return;
        if (position >= size) return void res.end();
        read(fd, buf, 0, CHUNK, position, (err, n) => {
          if (err || gone || n === 0) return void res.destroy();
          position += n;
          res.write(buf.subarray(0, n), step);
        });
      };
      step();
    });
  }).listen(port, "127.0.0.1", () => console.log("ready"));
}

async function measure() {
  const { statSync } = await import("node:fs");
  const size = statSync(values.file).size;
  const port = 18000 + (process.pid % 1000);
  const server = spawn(process.execPath, [import.meta.filename, "--serve", String(port), "--file", values.file], {
    env: { ...process.env, FLOOR_SIZE: String(size) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise((resolve) => server.stdout.once("data", resolve));
  await new Promise((resolve) => setTimeout(resolve, 300));
  const rss = () => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${server.pid}/status`, "utf8"))[1]) / 1024;
  const idle = rss();
  const seconds = Number(values.seconds);
  const client = spawn(process.execPath, [
    new URL("curl_readers.mjs", import.meta.url).pathname,
    "--port",
    String(port),
    "--path",
    "/",
    "--clients",
    values.clients,
    "--seconds",
    String(seconds + 0.3),
  ], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  client.stdout.on("data", (d) => out += d);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const loaded = rss();
  await new Promise((resolve) => client.once("exit", resolve));
  server.kill();
  const readers = JSON.parse(out.trim().split("\n").pop());
  console.log(JSON.stringify({ idleMiB: idle, loadedMiB: loaded, deltaMiB: +(loaded - idle).toFixed(1), readers }));
}
