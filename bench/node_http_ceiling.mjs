#!/usr/bin/env node
// The ceiling of scenarios B and C on a runtime's node:http: a server that
// opens the file once, answers each `Range: bytes=a-b` with a pread into a
// buffer taken from a free list and `res.end(buffer)`, and does nothing else
// (no validation, no conditionals, no multipart, no pacing, no routing). What
// a ranged server on the same node:http reaches is measured against this: the
// Bun CLI runs on Bun's node:http (src/adapters/listen.ts says why), so its
// B and C cannot pass what this server does.
//   node bench/node_http_ceiling.mjs [--file bench/data/1g.bin] [--seconds 3] [--runs 3] [--url URL]
//   bun bench/node_http_ceiling.mjs ...
// The server runs pinned to core 1 on the runtime running this script, wrk on
// core 0 (wrk -t1 -c64, bench/wrk/*.lua, after a discarded warm-up run of each
// load). With `--url URL`, the same loads are also run against URL (a server
// started by hand on core 1 and serving the same file), each run interleaved
// with the ceiling's, and the ratios printed. Prints one JSON line.
// (bench/data/1g.bin is written by `npm run bench`.) Traffic only to 127.0.0.1.
import { spawn, spawnSync } from "node:child_process";
import { openSync, readSync, statSync } from "node:fs";
import { createServer } from "node:http";
import process from "node:process";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    file: { type: "string", default: "bench/data/1g.bin" },
    seconds: { type: "string", default: "3" },
    runs: { type: "string", default: "3" },
    url: { type: "string" },
    serve: { type: "string" },
  },
});

if (values.serve) serve(values.file, Number(values.serve));
else await measure();

function serve(path, port) {
  const fd = openSync(path, "r");
  const size = statSync(path).size;
  const free = new Map(); // length -> buffers ready for reuse
  createServer((req, res) => {
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? "");
    const first = m ? Number(m[1]) : 0;
    const last = m ? Math.min(Number(m[2]), size - 1) : size - 1;
    const length = last - first + 1;
    const list = free.get(length) ?? free.set(length, []).get(length);
    const buf = list.pop() ?? Buffer.allocUnsafeSlow(length);
    readSync(fd, buf, 0, length, first);
    res.writeHead(206, {
      "content-type": "application/octet-stream",
      "content-length": String(length),
      "content-range": `bytes ${first}-${last}/${size}`,
    });
    res.end(buf, () => list.push(buf));
  }).listen(port, "127.0.0.1", () => console.log("ready"));
}

function wrk(url, script, env, seconds) {
  const out = spawnSync("taskset", [
    "-c",
    "0",
    "wrk",
    "-t1",
    "-c64",
    `-d${seconds}s`,
    "-s",
    new URL(`wrk/${script}`, import.meta.url).pathname,
    url,
  ], { env: { ...process.env, ...env }, encoding: "utf8" });
  const line = out.stdout.split("\n").find((l) => l.startsWith("WRK_JSON "));
  if (!line) throw new Error(`wrk printed no summary:\n${out.stdout}${out.stderr}`);
  const s = JSON.parse(line.slice("WRK_JSON ".length));
  if (s.status > 0 || s.requests === 0) throw new Error(`wrk against ${url}: ${line}`);
  return s.requests / (s.duration_us / 1e6);
}

async function measure() {
  const size = statSync(values.file).size;
  const name = values.file.split("/").pop();
  const port = 18000 + (process.pid % 1000);
  const server = spawn("taskset", [
    "-c",
    "1",
    process.execPath,
    import.meta.filename,
    "--serve",
    String(port),
    "--file",
    values.file,
  ], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve) => server.stdout.once("data", resolve));
  const loads = {
    B: ["random_range.lua", { FILE_PATH: `/${name}`, FILE_SIZE: String(size), RANGE_BYTES: String(1024 * 1024) }],
    C: ["fixed_range.lua", { FILE_PATH: `/${name}`, RANGE: "bytes=0-1" }],
  };
  const seconds = Number(values.seconds);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const result = { runtime: globalThis.Bun ? `bun ${Bun.version}` : `node ${process.version}` };
  try {
    for (const [id, [script, env]] of Object.entries(loads)) {
      const targets = [`http://127.0.0.1:${port}/${name}`, ...(values.url ? [values.url] : [])];
      for (const url of targets) wrk(url, script, env, 2); // warm-up
      const rps = targets.map(() => []);
      for (let i = 0; i < Number(values.runs); i++) {
        for (const [k, url] of targets.entries()) rps[k].push(wrk(url, script, env, seconds));
      }
      result[id] = { ceiling: Math.round(median(rps[0])) };
      if (values.url) {
        result[id].measured = Math.round(median(rps[1]));
        result[id].ratio = +(median(rps[1]) / median(rps[0])).toFixed(2);
      }
    }
  } finally {
    server.kill();
  }
  console.log(JSON.stringify(result));
}
