import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FIRST_CHUNK, MAX_CHUNK, MIN_CHUNK, nextChunkSize, TARGET_MS } from "../src/http/chunk_size.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

describe("constants", () => {
  test("values", () => {
    assert.equal(MIN_CHUNK, 16 * KiB);
    assert.equal(MAX_CHUNK, 1 * MiB);
    assert.equal(FIRST_CHUNK, 64 * KiB);
    assert.equal(TARGET_MS, 20);
  });
  test("ordered and 4 KiB aligned", () => {
    assert.ok(MIN_CHUNK <= FIRST_CHUNK && FIRST_CHUNK <= MAX_CHUNK);
    for (const c of [MIN_CHUNK, FIRST_CHUNK, MAX_CHUNK]) assert.equal(c % 4096, 0);
  });
});

/** [previous, elapsedMs, expected, why] */
const cases: [number, number, number, string][] = [
  // fast consumers grow, at most 2x per step
  [64 * KiB, 0.1, 128 * KiB, "doc example: fast consumer doubles"],
  [64 * KiB, 0, 128 * KiB, "zero elapsed doubles"],
  [64 * KiB, -5, 128 * KiB, "negative elapsed (clock skew) doubles"],
  [64 * KiB, 5, 128 * KiB, "4x pace is bounded to 2x"],
  [64 * KiB, 10, 128 * KiB, "exactly 2x pace"],
  [64 * KiB, 10.001, 124 * KiB, "just under 2x pace, aligned down"],
  [16 * KiB, 0, 32 * KiB, "from the minimum"],
  [100_000, 0, 196_608, "unaligned previous: 2x then aligned down"],
  // capped at MAX_CHUNK
  [512 * KiB, 0, MiB, "512 KiB doubles to the cap"],
  [768 * KiB, 0, MiB, "doubling past the cap is capped"],
  [600_000, 1, MiB, "fast, unaligned, capped"],
  [MiB, 0, MiB, "at the cap stays"],
  [MiB, 20, MiB, "at the cap, on target, stays"],
  [4 * MiB, 0, MiB, "previous above the cap comes back to it"],
  // on target
  [64 * KiB, TARGET_MS, 64 * KiB, "on target: unchanged"],
  [64 * KiB, 19.999, 64 * KiB, "a hair fast: unchanged after alignment"],
  [100_000, 20, 98_304, "on target, unaligned: aligned down"],
  // slow consumers shrink, floor MIN_CHUNK
  [64 * KiB, 20.5, 60 * KiB, "slightly slow: one 4 KiB step down"],
  [64 * KiB, 30, 40 * KiB, "1.5x slower: 43690 aligned down to 40 KiB"],
  [64 * KiB, 40, 32 * KiB, "half pace halves"],
  [64 * KiB, 80, MIN_CHUNK, "quarter pace reaches the floor"],
  [64 * KiB, 500, MIN_CHUNK, "doc example: slow consumer shrinks to 16 KiB"],
  [64 * KiB, Infinity, MIN_CHUNK, "stalled consumer"],
  [MiB, 21, 972 * KiB, "1 MiB, a bit slow"],
  [MiB, 100, 204 * KiB, "1 MiB, 5x slow"],
  [MiB, 1000, 20 * KiB, "1 MiB, 50x slow"],
  [MiB, 2000, MIN_CHUNK, "1 MiB, 100x slow: floor"],
  [MIN_CHUNK, 1000, MIN_CHUNK, "at the floor stays"],
  [4 * KiB, 0, MIN_CHUNK, "previous below the floor comes back to it"],
  [1, 0, MIN_CHUNK, "tiny previous"],
];

describe("nextChunkSize table", () => {
  for (const [previous, elapsed, expected, why] of cases) {
    test(`${why}: (${previous}, ${elapsed}) → ${expected}`, () => {
      assert.equal(nextChunkSize(previous, elapsed), expected);
    });
  }
});

describe("nextChunkSize properties", () => {
  const previous: number[] = [];
  for (let p = MIN_CHUNK; p <= MAX_CHUNK; p += 4096 * 7) previous.push(p);
  previous.push(MAX_CHUNK, 100_000, 65_537, 1_000_001);
  const elapsed = [-1, 0, 0.001, 0.5, 1, 3, 7.5, 10, 13, 19, 20, 21, 33, 50, 99, 250, 1000, 1e6, Infinity];

  test("always 4 KiB aligned and within [MIN_CHUNK, MAX_CHUNK]", () => {
    for (const p of previous) {
      for (const e of elapsed) {
        const n = nextChunkSize(p, e);
        assert.ok(Number.isInteger(n), `${p}, ${e} → ${n}`);
        assert.equal(n % 4096, 0, `${p}, ${e} → ${n}`);
        assert.ok(n >= MIN_CHUNK && n <= MAX_CHUNK, `${p}, ${e} → ${n}`);
      }
    }
  });

  test("grows at most 2x per step", () => {
    for (const p of previous) {
      for (const e of elapsed) assert.ok(nextChunkSize(p, e) <= 2 * p, `${p}, ${e}`);
    }
  });

  test("a slower consumer never gets a larger chunk (monotonic in elapsed)", () => {
    const sorted = elapsed.filter((e) => e > 0).sort((a, b) => a - b);
    for (const p of previous) {
      let last = Infinity;
      for (const e of sorted) {
        const n = nextChunkSize(p, e);
        assert.ok(n <= last, `${p}: ${e} ms → ${n} > ${last}`);
        last = n;
      }
    }
  });

  test("faster than target never shrinks an aligned chunk; slower never grows it", () => {
    for (const p of previous.filter((x) => x % 4096 === 0 && x <= MAX_CHUNK)) {
      for (const e of elapsed) {
        const n = nextChunkSize(p, e);
        if (e < TARGET_MS) assert.ok(n >= p, `${p}, ${e} → ${n}`);
        if (e > TARGET_MS) assert.ok(n <= p, `${p}, ${e} → ${n}`);
      }
    }
  });
});

describe("nextChunkSize over time", () => {
  const run = (start: number, steps: number, elapsedFor: (size: number) => number) => {
    const sizes = [start];
    for (let i = 0; i < steps; i++) sizes.push(nextChunkSize(sizes[i], elapsedFor(sizes[i])));
    return sizes;
  };

  test("an instant consumer doubles from FIRST_CHUNK to MAX_CHUNK and stays", () => {
    assert.deepEqual(run(FIRST_CHUNK, 6, () => 0), [
      64 * KiB,
      128 * KiB,
      256 * KiB,
      512 * KiB,
      MiB,
      MiB,
      MiB,
    ]);
  });

  test("from MIN_CHUNK the cap takes six doublings, never a jump", () => {
    const sizes = run(MIN_CHUNK, 7, () => 0.01);
    assert.deepEqual(sizes, [16, 32, 64, 128, 256, 512, 1024, 1024].map((k) => k * KiB));
  });

  test("a consumer at 10 MB/s settles at what it drains in TARGET_MS", () => {
    const bytesPerMs = 10_000;
    const sizes = run(FIRST_CHUNK, 10, (size) => size / bytesPerMs);
    const target = Math.floor((bytesPerMs * TARGET_MS) / 4096) * 4096; // 196608
    assert.equal(sizes[1], 128 * KiB, "first step is bounded to 2x");
    assert.equal(sizes.at(-1), target);
    assert.equal(sizes.at(-2), target);
  });

  test("a slow consumer (100 KB/s) drops to MIN_CHUNK and stays", () => {
    const sizes = run(MAX_CHUNK, 5, (size) => size / 100);
    assert.deepEqual(sizes.slice(1), [MIN_CHUNK, MIN_CHUNK, MIN_CHUNK, MIN_CHUNK, MIN_CHUNK]);
  });

  test("a consumer that slows down shrinks the chunk step by step", () => {
    const sizes = run(MAX_CHUNK, 3, () => 100);
    assert.deepEqual(sizes, [MiB, 204 * KiB, 40 * KiB, MIN_CHUNK]);
  });
});
