// StrykerJS configuration for `npm run mutate` (scripts/mutate.mjs), which runs
// Stryker once per core file with only the test files that cover it: with the
// command runner every mutant runs the whole command, so a narrow command is
// what keeps the wall time sane. RANGED_MUTATE_FILE and RANGED_MUTATE_TESTS
// select the file and its tests; without them this mutates range.ts.
import process from "node:process";

// RANGED_MUTATE_FILE may also list mutant ranges (`file:line:col-line:col,...`),
// which is how `npm run mutate -- --survivors` re-runs only the survivors.
const mutate = (process.env.RANGED_MUTATE_FILE ?? "src/http/range.ts").split(",");
const tests = process.env.RANGED_MUTATE_TESTS ?? "tests/range.test.ts";
const name = mutate[0].replace(/:.*$/, "").replace(/^src\//, "").replace(/\.ts$/, "").replaceAll("/", "_");
const report = process.env.RANGED_MUTATE_REPORT ?? `reports/mutation/${name}.json`;

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  mutate,
  // node:test has no Stryker runner of its own: the command runner runs the Node
  // suite of the selected files under tsx, once per mutant.
  testRunner: "command",
  commandRunner: {
    // A mutant can grow memory without end (one in conditional.ts loops while
    // it appends): a 512 MB heap makes it die quickly instead of taking the box.
    command: `"${process.execPath}" --max-old-space-size=512 --import tsx --test --test-concurrency=1 ${tests}`,
  },
  coverageAnalysis: "off",
  // TypeScript 7 ships no compiler API, so @stryker-mutator/typescript-checker
  // cannot load it; mutants that only break types run (tsx strips types).
  checkers: [],
  // One worker by default: the machine is shared (docs/MUTATION.md).
  concurrency: Number(process.env.RANGED_MUTATE_CONCURRENCY ?? 1),
  timeoutMS: 20_000,
  timeoutFactor: 3,
  reporters: ["clear-text", "progress", "json"],
  jsonReporter: { fileName: report },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  // One temp dir per file, so runs of different files can go side by side.
  tempDirName: `.stryker-tmp/${name}${process.env.RANGED_MUTATE_REPORT ? "-rerun" : ""}`,
  cleanTempDir: true,
  ignorePatterns: ["bench", "docs", "samples", "reports", "tests/e2e", ".ci", "examples"],
  thresholds: { high: 95, low: 90, break: null },
};
