// The node writers' pool of read buffers (src/adapters/buffer_pool.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { BufferPool } from "../src/adapters/buffer_pool.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

test("BufferPool: whole-buffer views of the size class, reused once given back", () => {
  const pool = new BufferPool(1 * MiB);
  const a = pool.take(20 * KiB);
  assert.equal(a.length, 32 * KiB, "20 KiB comes from the 32 KiB class");
  assert.equal(a.buffer.byteLength, 32 * KiB);
  assert.equal(pool.take(2 * MiB).length, 1 * MiB, "the largest class is MAX_CHUNK");
  pool.give(a);
  assert.equal(pool.pooledBytes, 32 * KiB);
  assert.equal(pool.take(32 * KiB), a, "the same view comes back");
  assert.equal(pool.pooledBytes, 0);
  // A partial view would come back out as a buffer shorter than its class.
  pool.give(a.subarray(0, 16 * KiB));
  pool.give(a.subarray(16 * KiB));
  assert.equal(pool.pooledBytes, 0, "views of part of a buffer are not pooled");
});

test("BufferPool: when full, a returned buffer evicts the class taken least recently", () => {
  const pool = new BufferPool(128 * KiB);
  const big = [pool.take(64 * KiB), pool.take(64 * KiB)];
  for (const b of big) pool.give(b);
  assert.equal(pool.pooledBytes, 128 * KiB);
  const small = pool.take(16 * KiB);
  // Kills: refusing when full (every read of the new class was a fresh buffer and garbage:
  // hundreds of MB/s and +20-30 MiB RSS in bench D).
  pool.give(small);
  assert.equal(pool.pooledBytes, 64 * KiB + 16 * KiB, "one 64 KiB buffer made room for the 16 KiB one");
  assert.equal(pool.take(16 * KiB), small, "and it is there to be taken again");
  pool.give(small);
  // Now 64 KiB is taken last: a 16 KiB buffer is the stalest and goes to the GC instead.
  const again = pool.take(64 * KiB);
  pool.give(new Uint8Array(64 * KiB));
  assert.equal(pool.pooledBytes, 64 * KiB + 16 * KiB, "the pool never grows past its limit");
  pool.give(again);
  assert.equal(pool.pooledBytes, 128 * KiB, "the 16 KiB buffer was evicted for the recent class");
  pool.give(new Uint8Array(16 * KiB));
  assert.equal(pool.pooledBytes, 128 * KiB, "a buffer of the stalest class is dropped, not pooled");
});

test("BufferPool.trim: what stayed free for a whole period goes, what a steady load takes again stays", () => {
  const pool = new BufferPool(1 * MiB);
  const burst = [pool.take(64 * KiB), pool.take(64 * KiB), pool.take(64 * KiB)];
  for (const b of burst) pool.give(b);
  pool.trim();
  // Kills: releasing everything free at a trim (a buffer given back just before it was not idle a whole period).
  assert.equal(pool.pooledBytes, 192 * KiB, "buffers given back since the last trim are kept once");
  const reused = pool.take(64 * KiB);
  pool.give(reused);
  pool.trim();
  // Kills: ignoring the low-water mark (the steady load's buffer released too) or never trimming.
  assert.equal(pool.pooledBytes, 64 * KiB, "the two never taken are released, the one taken again stays");
  assert.equal(pool.take(64 * KiB), reused, "and it is the one the load took");
  pool.give(reused);
  pool.trim();
  pool.trim();
  assert.equal(pool.pooledBytes, 0, "once the load stops, the pool is empty after two trims");
});

test("BufferPool.trim: the low-water mark counts per size class", () => {
  const pool = new BufferPool(1 * MiB);
  const small = pool.take(16 * KiB);
  const big = pool.take(256 * KiB);
  pool.give(small);
  pool.give(big);
  pool.trim();
  pool.give(pool.take(16 * KiB));
  pool.trim();
  assert.equal(pool.pooledBytes, 16 * KiB, "the class in use keeps its buffer, the idle class loses its own");
});

test("BufferPool: with idleMs it trims on a timer only while it holds buffers", async () => {
  const pool = new BufferPool(1 * MiB, 1);
  assert.equal(pool.trimming, false, "no timer before anything is pooled");
  pool.give(pool.take(16 * KiB));
  assert.equal(pool.trimming, true);
  // Waits for the timer's trims, however late they run: this bounds nothing in time.
  for (let i = 0; i < 1000 && pool.trimming; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(pool.pooledBytes, 0, "the idle buffer was released by the timer");
  assert.equal(pool.trimming, false, "and the timer stopped with the pool empty");
  pool.give(pool.take(16 * KiB));
  assert.equal(pool.trimming, true, "a new buffer starts it again");
  pool.trim();
  pool.trim();
  assert.equal(pool.trimming, false);
});
