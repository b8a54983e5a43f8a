// The compact sample columns: every lookup, in order or not, gives what flat
// per-sample arrays would; and what they hold per sample, counted in bytes.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CHECKPOINT, SampleColumns } from "../src/media/sample_columns.ts";
import { parseSampleIndex } from "../src/media/sample_index.ts";
import { fullBox, u32 } from "./helpers/mp4_build.ts";
import { ctts, movie, stsc, stss, stsz, stts, trak } from "./helpers/mp4_track.ts";
import { prng } from "./helpers/prng.ts";

const SEED = 0x5eed13;

/** Flat arrays of a random track: chunks of 1 to 70 samples, gaps between chunks, VFR runs, B-frame offsets. */
function randomTrack(seed: number) {
  const r = prng(seed);
  const count = r.int(1, 600);
  const sizes = Array.from({ length: count }, () => r.int(0, 5000));
  const offsets: number[] = [];
  const chunks: [number, number][] = []; // [first sample, offset]
  let at = r.int(0, 2 ** 33);
  for (let i = 0; i < count; i++) {
    if (i === 0 || r.next() < 1 / 30) {
      at += r.int(0, 100_000);
      chunks.push([i, at]);
    }
    offsets.push(at);
    at += sizes[i];
  }
  const dts = [r.int(0, 1000)];
  let d = r.int(0, 2000);
  for (let i = 0; i < count; i++) {
    if (r.next() < 0.05) d = r.int(0, 2000);
    dts.push(dts[i] + d);
  }
  const cts = Array.from({ length: count }, () => r.int(-3000, 3000));
  const sync = Array.from({ length: count }, (_, i) => i).filter(() => r.next() < 0.2);
  return { offsets, sizes, dts, cts, sync, chunks };
}

/** 0..n-1 shuffled, then every index again in order, then backwards: cursors hit, miss and go back. */
function visits(n: number, seed: number): number[] {
  const r = prng(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = r.int(0, i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return [...order, ...order.slice().sort((a, b) => a - b), ...order.slice().sort((a, b) => b - a)];
}

describe("SampleColumns", () => {
  test(`fromArrays: offsets, decode times, composition offsets and sync flags in any order (seed ${SEED})`, () => {
    for (let k = 0; k < 40; k++) {
      const a = randomTrack(SEED + k);
      const t = SampleColumns.fromArrays(a);
      assert.equal(t.count, a.sizes.length);
      const sync = new Set(a.sync);
      for (const i of visits(t.count, SEED + k)) {
        assert.equal(t.offset(i), a.offsets[i], `track ${k} offset ${i}`);
        assert.equal(t.dts(i), a.dts[i], `track ${k} dts ${i}`);
        assert.equal(t.cts(i), a.cts[i], `track ${k} cts ${i}`);
        assert.equal(t.isSync(i), sync.has(i), `track ${k} sync ${i}`);
      }
      assert.equal(t.dts(t.count), a.dts[t.count], "dts(count) is the end of the last sample");
      assert.equal(t.ctsMin, Math.min(...a.cts));
      assert.equal(t.ctsMax, Math.max(...a.cts));
    }
  });

  test("a chunk far longer than a checkpoint: random lookups sum at most CHECKPOINT sizes", () => {
    const n = 10 * CHECKPOINT + 3;
    const sizes = Array.from({ length: n }, (_, i) => (i * 7919) % 1000);
    const offsets: number[] = [];
    for (let i = 0, at = 2 ** 32 + 5; i < n; at += sizes[i++]) offsets.push(at);
    const t = SampleColumns.fromArrays({ offsets, sizes, dts: Array.from({ length: n + 1 }, (_, i) => i) });
    let reads = 0;
    const counted = new Proxy(t.sizes, {
      get: (target, p) => (typeof p === "string" && /^\d+$/.test(p) && reads++, Reflect.get(target, p)),
    });
    // The sizes are only read through the column; count the reads of a lookup by swapping in the proxy.
    Object.defineProperty(t, "sizes", { value: counted });
    for (const i of visits(n, SEED)) {
      reads = 0;
      assert.equal(t.offset(i), offsets[i]);
      assert.ok(reads <= CHECKPOINT, `offset(${i}) summed ${reads} sizes`);
    }
  });

  test("no ctts, no stss, an empty track", () => {
    const t = SampleColumns.fromArrays({ offsets: [5, 9], sizes: [4, 4], dts: [0, 10, 20], cts: [0, 0] });
    assert.deepEqual([t.cts(0), t.cts(1), t.ctsMin, t.ctsMax, t.hasSyncTable, t.isSync(1)], [0, 0, 0, 0, false, true]);
    const empty = SampleColumns.fromArrays({ offsets: [], sizes: [], dts: [0] });
    assert.deepEqual([empty.count, empty.dts(0)], [0, 0]);
  });
});

describe("parsed columns", () => {
  test("parsed tables give the flat arrays back, in any order: stsc runs, several stts runs, ctts, stss", () => {
    // 12 samples in chunks of 5, 5, 2 at 1000, 3000 and 9000; durations 100 × 5, 50 × 7.
    const sizes = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8];
    const moov = movie(
      trak({
        tables: {
          stts: stts([[5, 100], [7, 50]]),
          ctts: ctts(1, [[3, 200], [1, -50], [8, 100]]),
          stss: stss([1, 6, 11]),
          stsc: stsc([[1, 5, 1], [3, 2, 1]]),
          sizes: stsz(0, sizes),
          chunks: fullBox("stco", 0, 0, u32(3), u32(1000), u32(3000), u32(9000)),
        },
      }),
    );
    const t = parseSampleIndex(moov, { fileSize: 10_000 }).tracks[0];
    const offsets = [1000, 1003, 1004, 1008, 1009, 3000, 3009, 3011, 3017, 3022, 9000, 9005];
    const dts = [0, 100, 200, 300, 400, 500, 550, 600, 650, 700, 750, 800, 850];
    const cts = [200, 200, 200, -50, 100, 100, 100, 100, 100, 100, 100, 100];
    for (const i of visits(12, SEED)) {
      assert.deepEqual(
        [t.offset(i), t.dts(i), t.cts(i), t.isSync(i)],
        [offsets[i], dts[i], cts[i], [0, 5, 10].includes(i)],
        `sample ${i}`,
      );
    }
    assert.equal(t.dts(12), 850);
    assert.deepEqual([t.ctsMin, t.ctsMax], [-50, 200]);
  });

  test("bytes held per sample: 4 for sizes, 4 more with ctts, an eighth with stss, per chunk and run the rest", () => {
    const n = 50 * CHECKPOINT;
    const video = trak({
      tables: {
        stts: stts([[n, 512]]),
        ctts: ctts(0, Array.from({ length: n }, (_, i) => [1, (i % 4) * 512] as [number, number])),
        stss: stss(Array.from({ length: n / 50 }, (_, i) => i * 50 + 1)),
        stsc: stsc([[1, 25, 1]]),
        sizes: stsz(0, Array.from({ length: n }, () => 100)),
        chunks: fullBox("stco", 0, 0, u32(n / 25), ...Array.from({ length: n / 25 }, (_, i) => u32(1000 + i * 5000))),
      },
    });
    const audio = trak({
      id: 2,
      handler: "soun",
      tables: {
        stts: stts([[n, 1024]]),
        stss: null,
        stsc: stsc([[1, 40, 1]]),
        sizes: stsz(0, Array.from({ length: n }, () => 10)),
        chunks: fullBox("stco", 0, 0, u32(n / 40), ...Array.from({ length: n / 40 }, (_, i) => u32(3600 + i * 5000))),
      },
    });
    const [v, a] = parseSampleIndex(movie(video, audio), { fileSize: 10_000_000 }).tracks;
    // sizes 4 + cts 4 + sync 1/8 + checkpoints 8/32; chunks 12 per 25 samples; one stts run.
    assert.equal(v.bytes, n * (4 + 4 + 1 / 8 + 8 / CHECKPOINT) + (n / 25) * 8 + (n / 25 + 1) * 4 + 2 * (4 + 8 + 4));
    assert.equal(a.bytes, n * (4 + 8 / CHECKPOINT) + (n / 40) * 8 + (n / 40 + 1) * 4 + 2 * (4 + 8 + 4));
    assert.ok(v.bytes / n < 9 && a.bytes / n < 4.6, `${v.bytes / n} and ${a.bytes / n} bytes per sample`);
  });
});
