#!/usr/bin/env node
// The full-count hardening runs (`npm run soak`):
//  1. the abort test with 10,000 aborted requests per runtime (tests/abort.test.ts, FULL=1: the
//     memory rule after 8,000; --aborts N measures N after the usual 2,000 instead);
//  2. sustained load: CONNS (500) keep-alive connections of mixed full downloads,
//     random ranges, multipart ranges and probes for DURATION (60) s against a
//     server on each runtime (scripts/soak/server.ts), every response checked
//     byte by byte, server RSS sampled every second.
// Options: --runtime deno|node|bun, --duration S, --conns N, --aborts N,
//          --skip-aborts, --skip-load. 127.0.0.1 only; bounded in time.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { nodeBinary } from "./node_line.mjs";

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const only = opt("--runtime");
const duration = Number(opt("--duration", 60));
const conns = Number(opt("--conns", 500));
// The abort test's full run (FULL=1): 8,000 aborts of warm-up, then 2,000 measured.
const aborts = opt("--aborts");
const runtimes = ["deno", "node", "bun"].filter((r) => !only || r === only);
const bin = (name) => join("node_modules", ".bin", name);
const serverCmd = {
  deno: [bin("deno"), ["run", "-A", "--no-prompt", "scripts/soak/server.ts"]],
  // The load part runs the current LTS (the abort part runs every Node line through test.mjs).
  node: [runtimes.includes("node") ? nodeBinary(26) : process.execPath, ["--import", "tsx", "scripts/soak/server.ts"]],
  bun: [bin("bun"), ["scripts/soak/server.ts"]],
};
const summary = [];
let failed = false;

if (!args.includes("--skip-aborts")) {
  for (const rt of runtimes) {
    console.log(`\n=== ${rt}: ${aborts ?? "8,000 + 2,000"} aborted requests ===`);
    const r = spawnSync(process.execPath, ["scripts/test.mjs", "abort", "--runtime", rt], {
      env: { ...process.env, FULL: "1", ...(aborts ? { RANGED_ABORTS: aborts } : {}) },
      encoding: "utf8",
    });
    const line = (r.stdout + r.stderr).split("\n").find((l) => l.includes("[abort ")) ?? "(no figures)";
    console.log(line.replace(/^# /, ""));
    summary.push(`aborts ${rt.padEnd(4)} ${r.status === 0 ? "ok  " : "FAIL"} ${line.replace(/^.*\[abort \w+\] /, "")}`);
    if (r.status !== 0) {
      failed = true;
      console.log(r.stdout.slice(-3000), r.stderr.slice(-3000));
    }
  }
}

function pattern(size, seed) {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

if (!args.includes("--skip-load")) {
  const dir = mkdtempSync(join(tmpdir(), "ranged-soak-"));
  writeFileSync(join(dir, "full.bin"), pattern(4 * 1024 * 1024, 3));
  writeFileSync(join(dir, "big.bin"), pattern(64 * 1024 * 1024, 5));
  try {
    for (const rt of runtimes) {
      console.log(`\n=== ${rt}: ${conns} connections for ${duration} s ===`);
      const [cmd, argv] = serverCmd[rt];
      const server = spawn(cmd, [...argv, dir], { stdio: ["ignore", "pipe", "inherit"] });
      const port = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${rt} server did not start`)), 60_000);
        createInterface({ input: server.stdout }).on("line", (l) => {
          if (l.startsWith("{")) {
            clearTimeout(timer);
            resolve(JSON.parse(l).port);
          }
        });
      });
      const client = spawnSync(
        process.execPath,
        ["--import", "tsx", "scripts/soak/client.ts", String(port), dir, String(duration), String(conns)],
        { encoding: "utf8", timeout: (duration + 120) * 1000, maxBuffer: 1 << 24 },
      );
      server.kill("SIGTERM");
      const line = client.stdout.split("\n").find((l) => l.startsWith("{"));
      console.log(line ?? client.stderr.slice(-3000));
      const ok = client.status === 0;
      failed ||= !ok;
      summary.push(`load   ${rt.padEnd(4)} ${ok ? "ok  " : "FAIL"} ${line ?? "(no figures)"}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log("\n=== soak summary ===");
for (const s of summary) console.log(s);
process.exit(failed ? 1 : 0);
