// The abort test's memory rule as a table: each figure against its own limit,
// at the limit and just under it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DENO_LIMITS, LIMITS, limitsFor, memoryGrowth, type MemorySample } from "./helpers/memory_rule.ts";
import { MiB } from "./helpers/proc_stats.ts";

const base: MemorySample = { rss: 200 * MiB, heapUsed: 10 * MiB, external: 50 * MiB };
const plus = (d: Partial<MemorySample>): MemorySample => ({
  rss: base.rss + (d.rss ?? 0),
  heapUsed: base.heapUsed + (d.heapUsed ?? 0),
  external: base.external + (d.external ?? 0),
});

const cases: [string, MemorySample, string[]][] = [
  ["nothing grew", base, []],
  ["everything shrank", plus({ rss: -50 * MiB, heapUsed: -5 * MiB, external: -1 * MiB }), []],
  [
    "each just under its limit",
    plus({ rss: LIMITS.rss - 1, heapUsed: LIMITS.heapUsed - 1, external: LIMITS.external - 1 }),
    [],
  ],
  ["RSS at its limit", plus({ rss: LIMITS.rss }), ["rss"]],
  ["heap at its limit", plus({ heapUsed: LIMITS.heapUsed }), ["heapUsed"]],
  ["external at its limit", plus({ external: LIMITS.external }), ["external"]],
  // 1,000 requests each keeping a 64 KiB buffer: the leak the abort test injects.
  ["a 64 KiB leak per request", plus({ rss: 1000 * 64 * 1024, external: 1000 * 64 * 1024 }), ["rss", "external"]],
];

for (const [name, after, grown] of cases) {
  test(`memoryGrowth: ${name}`, () => {
    const out = memoryGrowth(base, after);
    assert.deepEqual(out.map((line) => line.split(" ")[0]), grown, `reported: ${out.join("; ")}`);
  });
}

test("memoryGrowth on Deno: RSS has its own, wider limit; heap and external stay exact", () => {
  assert.equal(limitsFor("deno"), DENO_LIMITS);
  assert.equal(limitsFor("node"), LIMITS);
  assert.equal(limitsFor("bun"), LIMITS);
  const names = (after: MemorySample) => memoryGrowth(base, after, DENO_LIMITS).map((line) => line.split(" ")[0]);
  // The 40.9 MiB a loaded machine showed, with the heap and external flat, passes.
  assert.deepEqual(names(plus({ rss: 40.9 * MiB })), [], "Deno's native noise");
  assert.deepEqual(names(plus({ rss: DENO_LIMITS.rss - 1 })), [], "just under");
  assert.deepEqual(names(plus({ rss: DENO_LIMITS.rss })), ["rss"], "at the limit");
  // The injected 64 KiB leak is caught by external, as the abort test asserts.
  assert.deepEqual(names(plus({ rss: 38 * MiB, external: 1000 * 64 * 1024 })), ["external"], "the leak");
  assert.deepEqual(names(plus({ heapUsed: LIMITS.heapUsed })), ["heapUsed"], "the heap's limit is unchanged");
});
