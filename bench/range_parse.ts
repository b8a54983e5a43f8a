// How Range parsing and coalescing scale with the number of specs: the
// time for 200k specs against 20k (linear is about 10×, quadratic about 100×).
// A benchmark, not a unit test, because a wall-clock ratio breaks on a loaded
// machine; tests/range.test.ts counts the work instead.
//   node --import tsx bench/range_parse.ts
//   deno run bench/range_parse.ts
//   bun bench/range_parse.ts
import { coalesceRanges, parseRange } from "../src/http/range.ts";

const header = (n: number) => "bytes=" + Array.from({ length: n }, (_, i) => `${i}-${i}`).join(", ");

/** Best of five runs, in ms. */
function best(h: string): number {
  let min = Infinity;
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now();
    const r = parseRange(h, 1e9);
    if (r.type === "ranges") coalesceRanges(r.ranges);
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

const small = header(20_000);
const big = header(200_000);
best(small); // warm up
const a = best(small);
const b = best(big);
console.log(`20k specs: ${a.toFixed(1)} ms, 200k specs: ${b.toFixed(1)} ms, ratio ${(b / a).toFixed(1)}×`);
