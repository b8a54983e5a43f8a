// CPU time per access-log line, in process (less noisy than a wrk run on a
// shared machine): the CLI's batched log (src/adapters/access_log.ts)
// against the one console.log per request it replaced, both writing to
// stdout. Run with stdout sent where a user's log goes, e.g. a file:
//
//   node --import tsx bench/access_log_cost.ts > /tmp/access.log
//
// Prints (on stderr) µs of CPU (user + system) per line for each, median of
// 5 rounds of 50,000 lines. Compare with the CLI's CPU per request in
// scenario C (`node bench/cpu_cost.mjs --only cli-node --scenario C`).
import process from "node:process";
import { accessLog } from "../src/adapters/access_log.ts";

const LINES = 50_000;
const ROUNDS = 5;
const target = "/256m.bin";

function cpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

async function batched(): Promise<number> {
  const log = accessLog();
  const t0 = cpuUs();
  for (let i = 0; i < LINES; i++) log.record("GET", target, 206, "bytes=0-1", "bytes 0-1/268435456");
  await log.close();
  return (cpuUs() - t0) / LINES;
}

function perLine(): number {
  const t0 = cpuUs();
  for (let i = 0; i < LINES; i++) {
    console.log(`GET ${target} 206 range=bytes=0-1 content-range=bytes 0-1/268435456`);
  }
  return (cpuUs() - t0) / LINES;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const a: number[] = [];
const b: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  a.push(await batched());
  b.push(perLine());
}
console.error(`access log CPU µs per line (median of ${ROUNDS} × ${LINES} lines; lower is better)`);
console.error(`batched (accessLog)     ${median(a).toFixed(2)} µs  [${a.map((x) => x.toFixed(2)).join(", ")}]`);
console.error(`console.log per line    ${median(b).toFixed(2)} µs  [${b.map((x) => x.toFixed(2)).join(", ")}]`);
