#!/usr/bin/env node
// Runs the whole suite on one runtime again and again and stops at the first
// failure: the check that nothing in it is flaky (issue 18 asks for 20 runs
// in a row on each runtime). Each run's output goes to
// reports/repeat/<runtime>-<n>.log; a failing run's log is kept and its tail
// printed, passing runs' logs are removed.
//
//   node scripts/repeat.mjs --runtime bun --times 20 [test file filters...]
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const args = process.argv.slice(2);
const value = (flag, fallback) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : fallback);
const runtime = value("--runtime", undefined);
const times = Number(value("--times", "20"));
const filters = args.filter((a, i) => !a.startsWith("--") && !["--runtime", "--times"].includes(args[i - 1]));
if (!runtime || !Number.isInteger(times) || times < 1) {
  console.error("usage: node scripts/repeat.mjs --runtime <deno|node22|node24|node26|bun> [--times 20] [filters...]");
  process.exit(2);
}

const dir = join("reports", "repeat");
mkdirSync(dir, { recursive: true });
const seconds = [];
for (let n = 1; n <= times; n++) {
  const started = Date.now();
  const r = spawnSync(process.execPath, ["scripts/test.mjs", "--runtime", runtime, ...filters], {
    encoding: "utf8",
    maxBuffer: 1 << 30,
  });
  const took = (Date.now() - started) / 1000;
  const log = join(dir, `${runtime}-${n}.log`);
  writeFileSync(log, r.stdout + r.stderr);
  if (r.status !== 0) {
    console.log(readFileSync(log, "utf8").split("\n").slice(-60).join("\n"));
    console.log(`${runtime}: run ${n} of ${times} FAILED after ${took.toFixed(0)} s (log: ${log})`);
    console.log(`${runtime}: ${n - 1} run(s) in a row passed before it`);
    process.exit(1);
  }
  rmSync(log);
  seconds.push(took);
  console.log(`${runtime}: run ${n} of ${times} ok in ${took.toFixed(0)} s`);
}
const sorted = [...seconds].sort((a, b) => a - b);
console.log(
  `${runtime}: ${times} runs in a row passed (${sorted[0].toFixed(0)}-${sorted.at(-1).toFixed(0)} s each, ` +
    `median ${sorted[Math.floor(times / 2)].toFixed(0)} s, load average ${
      readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")
    })`,
);
