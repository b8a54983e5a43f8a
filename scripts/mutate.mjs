#!/usr/bin/env node
// `npm run mutate [-- name...]`: mutation testing of the core with StrykerJS.
// Stryker 10 needs Node >= 22.18 (Babel 8), so it runs on the Node 22 line
// (scripts/node_line.mjs installs it on first use), once per core file with
// only the test files that cover it: the command runner runs the whole command
// for every mutant, so a narrow command keeps the wall time sane. Then the
// score per file goes into docs/MUTATION.md (between the mutate markers) and
// the surviving mutants into reports/mutation/survivors.md.
//   npm run mutate                  every core file
//   npm run mutate -- range body    the files whose path contains a filter
//   npm run mutate -- --survivors   re-run only last run's survivors, merge
//   npm run mutate -- --report      summarize reports/mutation/*.json again
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { nodeBinary } from "./node_line.mjs";

/**
 * Each core file and the test files whose Node suite must kill its mutants:
 * the unit tests of the file and the few that drive it through the handler.
 * The property tests stay out: each adds seconds to every mutant's run.
 */
export const TARGETS = {
  "src/http/range.ts": ["range"],
  "src/http/conditional.ts": ["conditional"],
  "src/http/multipart.ts": ["multipart"],
  "src/http/http_date.ts": ["http_date"],
  "src/server/safe_path.ts": ["safe_path"],
  // faststart drives boxes.ts too but doubles every mutant's run; mp4_boxes pins the reader on its own.
  "src/media/boxes.ts": ["mp4_boxes"],
  "src/http/body.ts": ["body", "handler"],
  "src/http/derived.ts": ["derived"],
  "src/http/plan.ts": ["plan", "handler"],
  "src/http/handler.ts": ["handler", "http"],
  "src/media/faststart.ts": ["faststart"],
};

const filters = process.argv.slice(2).filter((a) => !a.startsWith("--"));
// --report: only summarize the JSON reports already in reports/mutation/.
const reportOnly = process.argv.includes("--report") || process.argv.includes("--types");
const files = reportOnly
  ? []
  : Object.keys(TARGETS).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
const node22 = nodeBinary(22);
const stryker = "node_modules/@stryker-mutator/core/bin/stryker.js";
const reportOf = (file) =>
  `reports/mutation/${file.replace(/^src\//, "").replace(/\.ts$/, "").replaceAll("/", "_")}.json`;

// --survivors: re-run only the mutants that survived in the last report of each
// file (after adding tests), and merge their new status into that report.
const survivorsOnly = process.argv.includes("--survivors");
const key = (m) => `${m.location.start.line}:${m.location.start.column}:${m.mutatorName}:${m.replacement}`;
const mutantsOf = (report) => Object.values(report.files).flatMap((f) => f.mutants);
const alive = (m) => m.status === "Survived" || m.status === "NoCoverage";

mkdirSync("reports/mutation", { recursive: true });
const started = Date.now();
const timings = {};
for (const file of files) {
  const tests = TARGETS[file].map((t) => `tests/${t}.test.ts`).filter((t) => existsSync(t));
  let mutate = file;
  let rerun;
  if (survivorsOnly) {
    if (!existsSync(reportOf(file))) continue;
    const left = mutantsOf(JSON.parse(readFileSync(reportOf(file), "utf8"))).filter(alive);
    if (left.length === 0) continue;
    // The report's columns are 1-based, a mutate range's are 0-based (its lines are 1-based in both).
    const at = (p) => `${p.line}:${p.column - 1}`;
    mutate = left.map((m) => `${file}:${at(m.location.start)}-${at(m.location.end)}`).join(",");
    rerun = reportOf(file).replace(/\.json$/, ".rerun.json");
  }
  console.log(`\n=== ${file}${rerun ? " (survivors)" : ""}: ${tests.join(" ")} ===`);
  const t0 = Date.now();
  const r = spawnSync(node22, [stryker, "run", "stryker.config.mjs"], {
    stdio: "inherit",
    env: {
      ...process.env,
      RANGED_MUTATE_FILE: mutate,
      RANGED_MUTATE_TESTS: tests.join(" "),
      ...(rerun ? { RANGED_MUTATE_REPORT: rerun } : {}),
    },
  });
  timings[file] = (Date.now() - t0) / 1000;
  // The wall time of the last full run of each file goes into the table.
  if (!rerun && r.status === 0) {
    const path = "reports/mutation/timings.json";
    const all = existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : {};
    writeFileSync(path, JSON.stringify({ ...all, [file]: Math.round(timings[file]) }, null, 2));
  }
  if (r.status !== 0) console.error(`stryker failed on ${file} (exit ${r.status})`);
  if (rerun && existsSync(rerun)) {
    const base = JSON.parse(readFileSync(reportOf(file), "utf8"));
    const fresh = new Map(mutantsOf(JSON.parse(readFileSync(rerun, "utf8"))).map((m) => [key(m), m.status]));
    for (const m of mutantsOf(base)) if (alive(m) && fresh.has(key(m))) m.status = fresh.get(key(m));
    writeFileSync(reportOf(file), JSON.stringify(base));
  }
}

// Stryker's TypeScript checker cannot load TypeScript 7, so a mutant that
// only breaks the types runs (tsx strips them) and may survive: `x > date`
// with `date` possibly undefined behaves like the guarded original at run
// time. Type-check each survivor of the files run with `deno check` (all of a
// file's survivors in one call, each in its own copy next to the original)
// and record the ones that do not compile as CompileError, as the checker would.
function typeCheckSurvivors(file) {
  if (!existsSync(reportOf(file))) return;
  const report = JSON.parse(readFileSync(reportOf(file), "utf8"));
  const left = mutantsOf(report).filter(alive);
  if (left.length === 0) return;
  const src = readFileSync(file, "utf8");
  const lineStart = [0];
  for (let i = 0; i < src.length; i++) if (src[i] === "\n") lineStart.push(i + 1);
  const offset = (p) => lineStart[p.line - 1] + p.column - 1;
  const copies = left.map((m, i) => {
    const copy = file.replace(/\.ts$/, `.mutant${i}.ts`);
    const code = src.slice(0, offset(m.location.start)) + m.replacement + src.slice(offset(m.location.end));
    writeFileSync(copy, code);
    return copy;
  });
  try {
    const deno = "node_modules/.bin/deno";
    const r = spawnSync(deno, ["check", "--quiet", ...copies], {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });
    // Each error is a block: "TSnnnn [ERROR]: message", the code, "at file:///<copy>:line:col".
    const errors = `${r.stdout}${r.stderr}`.split(/\n\s*\n/).filter((b) => /^TS\d+/m.test(b));
    left.forEach((m, i) => {
      const name = copies[i].split("/").at(-1);
      const error = errors.find((b) => b.includes(`/${name}:`));
      if (!error) return;
      m.status = "CompileError";
      m.statusReason = `deno check: ${error.match(/^TS\d+.*$/m)[0]}`;
      console.log(`${file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName} breaks the types`);
    });
  } finally {
    for (const copy of copies) rmSync(copy, { force: true });
  }
  writeFileSync(reportOf(file), JSON.stringify(report));
}
// --types: only type-check the survivors already in reports/mutation/.
for (const file of process.argv.includes("--types") ? Object.keys(TARGETS) : files) typeCheckSurvivors(file);

// Score as Stryker defines it: detected (killed + timeout) over valid mutants.
const rows = [];
const survivors = [];
for (const file of Object.keys(TARGETS)) {
  if (!existsSync(reportOf(file))) continue;
  const mutants = mutantsOf(JSON.parse(readFileSync(reportOf(file), "utf8")));
  const n = (s) => mutants.filter((m) => m.status === s).length;
  const valid = mutants.length - n("CompileError") - n("RuntimeError") - n("Ignored");
  const detected = n("Killed") + n("Timeout");
  rows.push({
    file,
    total: mutants.length,
    typeErrors: n("CompileError"),
    killed: n("Killed"),
    timeout: n("Timeout"),
    survived: n("Survived") + n("NoCoverage"),
  });
  for (const m of mutants) {
    if (!alive(m)) continue;
    const at = `${file}:${m.location.start.line}:${m.location.start.column}`;
    survivors.push(`- ${at} ${m.mutatorName}: \`${(m.replacement ?? "").replace(/\s+/g, " ").slice(0, 100)}\``);
  }
  rows.at(-1).score = valid === 0 ? 100 : (100 * detected) / valid;
}
const wall = existsSync("reports/mutation/timings.json")
  ? JSON.parse(readFileSync("reports/mutation/timings.json", "utf8"))
  : {};
const minutes = (s) => s === undefined ? "?" : s < 90 ? `${s} s` : `${(s / 60).toFixed(0)} min`;
const doc = "docs/MUTATION.md";
// reports/ is not committed, so a fresh checkout has only the reports of the
// files it ran: keep the doc's row of every file that has no report here.
const kept = new Map(
  (existsSync(doc) ? readFileSync(doc, "utf8") : "").split("\n")
    .map((line) => [line.match(/^\| `([^`]+)` \|/)?.[1], line])
    .filter(([file]) => file !== undefined),
);
const fresh = new Map(rows.map((r) => [
  r.file,
  `| \`${r.file}\` | ${r.total} | ${r.typeErrors} | ${r.killed} | ${r.timeout} | ${r.survived} | ` +
  `${r.score.toFixed(1)}% | ${minutes(wall[r.file])} |`,
]));
const table = [
  "| file | mutants | type errors | killed | timed out | survived | score | wall time |",
  "| ---- | ------: | ----------: | -----: | --------: | -------: | ----: | --------: |",
  ...Object.keys(TARGETS).map((f) => fresh.get(f) ?? kept.get(f)).filter((line) => line !== undefined),
].join("\n");
console.log(`\n${table}\n\n${survivors.length} survivor(s); run took ${((Date.now() - started) / 1000).toFixed(0)} s`);
for (const [file, s] of Object.entries(timings)) console.log(`${file}: ${s.toFixed(0)} s`);
writeFileSync("reports/mutation/survivors.md", survivors.join("\n") + "\n");

if ((filters.length === 0 || reportOnly) && existsSync(doc)) {
  const text = readFileSync(doc, "utf8");
  const [a, b] = ["<!-- mutate:start -->", "<!-- mutate:end -->"];
  if (text.includes(a) && text.includes(b)) {
    writeFileSync(
      doc,
      text.slice(0, text.indexOf(a) + a.length) + "\n\n" + table + "\n\n" + text.slice(text.indexOf(b)),
    );
  }
}
const below = rows.filter((r) => r.score < 90);
if (below.length > 0) console.log(`below 90%: ${below.map((r) => r.file).join(", ")}`);
process.exit(below.length > 0 || rows.length === 0 ? 1 : 0);
