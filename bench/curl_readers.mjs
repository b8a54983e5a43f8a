#!/usr/bin/env node
// Slow readers as real clients: curl runs N parallel transfers, each a GET of one large file at
// `--limit-rate RATE` for SECONDS, then stop. Prints one JSON summary line in
// the shape of bench/slow_readers.mjs. Traffic only to 127.0.0.1.
//   node bench/curl_readers.mjs --port 8000 --path /1g.bin --clients 200 --rate 1048576 --seconds 11
//
// Why both drivers: curl reads into its own buffer and lets the kernel's
// receive window grow, so a real client pulls several MiB ahead at first and
// then trickles, while the raw-socket driver stops reading the moment its
// token bucket is empty. Servers that keep per-connection buffers sized by
// the early burst look fine under the one and not under the other (issue 11).
import { spawn } from "node:child_process";
import process from "node:process";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    path: { type: "string", default: "/" },
    clients: { type: "string", default: "200" },
    rate: { type: "string", default: String(1024 * 1024) },
    seconds: { type: "string", default: "11" },
    curl: { type: "string", default: "curl" },
  },
});
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const url = `http://127.0.0.1:${Number(values.port)}${values.path}`;
const summary = { clients, connected: 0, responded: 0, status: {}, bytes: 0, errors: 0, ended: 0, driver: "curl" };

// A hard bound: whatever happens, this process is gone shortly after `seconds`.
setTimeout(() => process.exit(3), (seconds + 10) * 1000).unref();

const started = performance.now();
const lines = await readers();
const elapsed = (performance.now() - started) / 1000;
for (const line of lines) {
  const [status, size, connects] = line.split(" ");
  if (Number(connects) > 0) summary.connected++;
  if (status && status !== "000") {
    summary.responded++;
    summary.status[status] = (summary.status[status] ?? 0) + 1;
  }
  summary.bytes += Number(size) || 0;
}
console.log(JSON.stringify({
  ...summary,
  seconds: elapsed,
  perClientBytesPerSec: Math.round(summary.bytes / clients / seconds),
}));
process.exit(0);

/**
 * One curl running every reader in parallel (`-Z`, its own HTTP stack, one
 * socket per transfer): 200 curl processes take longer to spawn on a busy
 * load core than the window lasts. `--limit-rate` and `--max-time` apply per
 * transfer; exit 28 (every transfer cut by --max-time) is the expected end.
 */
function readers() {
  return new Promise((resolve) => {
    const child = spawn(values.curl, [
      "-s",
      "--no-progress-meter",
      "-Z",
      "--parallel-immediate",
      "--parallel-max",
      String(clients),
      "--limit-rate",
      values.rate,
      "--max-time",
      String(seconds),
      "-w",
      "%{http_code} %{size_download} %{num_connects}\\n",
      "-K",
      "-",
    ], { stdio: ["pipe", "pipe", "ignore"] });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.on("error", () => {
      summary.errors++;
      resolve([]);
    });
    child.on("exit", (code) => {
      if (code !== 0 && code !== 28) summary.errors++;
      const lines = out.trim().split("\n").filter(Boolean);
      summary.ended = lines.length;
      resolve(lines);
    });
    child.stdin.end(`url = "${url}"\noutput = "/dev/null"\n`.repeat(clients));
  });
}
