#!/usr/bin/env node
// Bounded slow-reader load: N raw TCP clients each GET one large file and
// read it at RATE bytes/s (pause/resume on a token bucket), for SECONDS, then
// close. Prints one JSON summary line. Traffic only to 127.0.0.1.
//   node bench/slow_readers.mjs --port 8000 --path /1g.bin --clients 200 --rate 1048576 --seconds 11
import { connect } from "node:net";
import process from "node:process";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    path: { type: "string", default: "/" },
    clients: { type: "string", default: "200" },
    rate: { type: "string", default: String(1024 * 1024) },
    seconds: { type: "string", default: "11" },
  },
});
const port = Number(values.port);
const clients = Number(values.clients);
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const TICK_MS = 50;
const BURST = rate * 0.1;

const started = performance.now();
const conns = [];
const summary = { clients, connected: 0, responded: 0, status: {}, bytes: 0, errors: 0, ended: 0 };

// A hard bound: whatever happens, this process is gone shortly after `seconds`.
setTimeout(() => process.exit(3), (seconds + 10) * 1000).unref();

for (let i = 0; i < clients; i++) {
  const c = { socket: null, tokens: BURST, paused: false, head: "", bytes: 0 };
  const socket = connect({ host: "127.0.0.1", port });
  c.socket = socket;
  socket.on("connect", () => {
    summary.connected++;
    socket.write(`GET ${values.path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
  });
  socket.on("data", (chunk) => {
    if (c.head !== null) {
      c.head += chunk.subarray(0, 256).toString("latin1");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(c.head);
      if (m) {
        summary.responded++;
        summary.status[m[1]] = (summary.status[m[1]] ?? 0) + 1;
        c.head = null;
      }
    }
    c.bytes += chunk.length;
    summary.bytes += chunk.length;
    c.tokens -= chunk.length;
    if (c.tokens <= 0 && !c.paused) {
      c.paused = true;
      socket.pause();
    }
  });
  socket.on("error", () => summary.errors++);
  socket.on("end", () => summary.ended++);
  conns.push(c);
}

const tick = setInterval(() => {
  for (const c of conns) {
    c.tokens = Math.min(c.tokens + (rate * TICK_MS) / 1000, BURST);
    if (c.paused && c.tokens > 0) {
      c.paused = false;
      c.socket.resume();
    }
  }
}, TICK_MS);

setTimeout(() => {
  clearInterval(tick);
  const elapsed = (performance.now() - started) / 1000;
  for (const c of conns) c.socket.destroy();
  const perClient = summary.bytes / clients / elapsed;
  console.log(JSON.stringify({ ...summary, seconds: elapsed, perClientBytesPerSec: Math.round(perClient) }));
  process.exit(0);
}, seconds * 1000);
