// The Node writers' read pacing (src/adapters/buffer_pool.ts): pure, so the
// policy is pinned with numbers instead of timers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { pacedSize } from "../src/adapters/buffer_pool.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

test("pacedSize: a slow client shrinks the next read at once", () => {
  assert.ok(pacedSize(64 * KiB, 64 * KiB, 500, 64 * KiB, 500) < 64 * KiB);
});

test("pacedSize: a fast client grows, but only past the first 16 MiB", () => {
  // 64 KiB flushed in 0.1 ms, 32 MiB in 30 ms since the start: about 1 GB/s held.
  assert.equal(pacedSize(64 * KiB, 64 * KiB, 0.1, 32 * MiB, 30), 128 * KiB);
  // The same pace before 16 MiB have gone: kernel buffers swallow that much of any client.
  assert.equal(pacedSize(64 * KiB, 64 * KiB, 0.1, 8 * MiB, 8), 64 * KiB);
});

test("pacedSize: a bursty slow reader (curl --limit-rate) does not grow on one quick flush", () => {
  // Kills: growing on the last chunk's pace alone (dropping the pace since the start). One chunk
  // flushed in 0.1 ms, but 20 MiB in 15 s since the start is 1.4 MiB/s: 28 KiB per 20 ms, no growth.
  assert.equal(pacedSize(64 * KiB, 64 * KiB, 0.1, 20 * MiB, 15_000), 64 * KiB);
});

test("pacedSize: small wobbles keep the size", () => {
  assert.equal(pacedSize(64 * KiB, 64 * KiB, 15, 32 * MiB, 30), 64 * KiB);
});
