#!/usr/bin/env node
// The full property-based run (`npm run fuzz`): tests/property_*.test.ts with
// enough cases per property that the total reaches 1,000,000 (or --cases N),
// then the executed count per runtime. Default runtime: node26 (current LTS); --runtime
// deno|bun|node picks one, --all runs the three. Each run draws a new seed and
// prints it (npm test uses a fixed one); RANGED_FUZZ_SEED=<seed> replays.
// RANGED_FUZZ_RUNS, when set, is the cases per property and wins over --cases.
// The properties are counted from the files (a new one, such as the clip
// mutants of property_clip, joins the run without an edit here).
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const total = Number(opt("--cases", 1_000_000));
// The default is the current Node LTS; --runtime node runs the three supported lines.
const runtimes = args.includes("--all") ? ["deno", "node", "bun"] : [opt("--runtime", "node26")];
const fromEnv = Number(process.env.RANGED_FUZZ_RUNS) || 0;
const perProperty = fromEnv || Math.ceil(total / propertyWeight());
// With RANGED_FUZZ_RUNS the total is whatever that gives; the run must still execute cases.
const expected = fromEnv ? 1 : total;
const seed = process.env.RANGED_FUZZ_SEED ?? String((Math.random() * 2 ** 31) | 0);
console.log(`seed ${seed} (RANGED_FUZZ_SEED=${seed} npm run fuzz replays this run)`);
let failed = false;
const summary = [];
for (const rt of runtimes) {
  console.log(`\n=== ${rt}: ${perProperty} cases per property ===`);
  const started = Date.now();
  const r = spawnSync(process.execPath, ["scripts/test.mjs", "property_", "--runtime", rt], {
    env: { ...process.env, RANGED_FUZZ_RUNS: String(perProperty), RANGED_FUZZ_SEED: seed },
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  const out = r.stdout + r.stderr;
  const counts = [...out.matchAll(/\[fuzz \w+\] (\w+): (\d+) cases/g)];
  const executed = counts.reduce((n, m) => n + Number(m[2]), 0);
  const ok = r.status === 0 && executed >= expected;
  failed ||= !ok;
  if (r.status !== 0) console.log(out.slice(-6000));
  for (const m of counts) console.log(`${m[1]}: ${m[2]} cases`);
  summary.push(
    `${rt.padEnd(4)} ${ok ? "ok  " : "FAIL"} ${executed} cases in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}
console.log("\n=== fuzz summary ===");
for (const s of summary) console.log(s);
process.exit(failed ? 1 : 0);

/**
 * The cases per property that add up to one: a test named `(${RUNS} cases)`
 * runs the full count, one named `(${Math.ceil(RUNS / N)} cases)` (the
 * "thousands of ranges" ones) a 1/N share.
 */
function propertyWeight() {
  let weight = 0;
  for (const name of readdirSync("tests").filter((f) => /^property_.*\.test\.ts$/.test(f))) {
    const text = readFileSync(`tests/${name}`, "utf8");
    weight += text.match(/\(\$\{RUNS\} cases\)/g)?.length ?? 0;
    for (const m of text.matchAll(/\$\{Math\.ceil\(RUNS \/ (\d+)\)\} cases\)/g)) weight += 1 / Number(m[1]);
  }
  if (!(weight > 0)) throw new Error("no property tests found under tests/property_*.test.ts");
  return weight;
}
