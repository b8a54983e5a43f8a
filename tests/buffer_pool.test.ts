// The Node writers' read buffers and pacing (src/adapters/buffer_pool.ts):
// pure, so the policy is pinned with numbers instead of timers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BufferPool, GrowthBudget, ReadPacer } from "../src/adapters/buffer_pool.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/** Feeds `bytes` in chunks of the pacer's size, each flushed in `chunkMs`; returns the clock after. */
function flush(pace: ReadPacer, bytes: number, chunkMs: number, startMs = 0): number {
  let now = startMs;
  for (let sent = 0; sent < bytes; sent += pace.size) {
    now += chunkMs;
    pace.flushedChunk(pace.size, chunkMs, now);
  }
  return now;
}

test("ReadPacer: a slow client shrinks to the size class below its pace at once", () => {
  const pace = new ReadPacer(64 * KiB, new GrowthBudget(4 * MiB));
  // 64 KiB in 64 ms is 20 KiB per 20 ms. Kills: rounding up to the 32 KiB class (a 20 KiB
  // read in a 32 KiB buffer: 200 slow viewers held twice the memory their pace needs).
  pace.flushedChunk(64 * KiB, 64, 64);
  assert.equal(pace.size, 16 * KiB, "a 20 KiB pace reads 16 KiB");
});

test("ReadPacer: a fast client grows only once 16 MiB and then 4 MiB more have gone fast", () => {
  const budget = new GrowthBudget(4 * MiB);
  const pace = new ReadPacer(64 * KiB, budget);
  // About 1.3 GB/s: every chunk flushes at once.
  let now = flush(pace, 20 * MiB - 64 * KiB, 0.05);
  assert.equal(pace.size, 64 * KiB, "no growth before GROW_AFTER + SETTLE bytes");
  now = flush(pace, 64 * KiB, 0.05, now);
  assert.equal(pace.size, 128 * KiB, "the first chunk past 20 MiB doubles the read");
  flush(pace, 8 * MiB, 0.05, now);
  assert.equal(pace.size, 1 * MiB, "and it keeps doubling up to MAX_CHUNK");
  assert.equal(budget.held, 2 * MiB, "two 1 MiB reads are charged to the budget");
  pace.done();
  assert.equal(budget.held, 0, "done gives the budget back");
});

test("ReadPacer: a reader that burst through its first 16 MiB and then trickles does not grow", () => {
  const pace = new ReadPacer(64 * KiB, new GrowthBudget(4 * MiB));
  // Kernel and client buffers swallow 16 MiB at once; then 4 MiB take 2 s (2 MiB/s, 40 KiB
  // per 20 ms), and the last chunk flushes in no time. Kills: measuring the pace since the
  // start (20 MiB in 2 s looks like 200 KiB per 20 ms) or on the last chunk alone.
  let now = flush(pace, 16 * MiB, 0.01);
  const chunks = (4 * MiB) / pace.size;
  for (let i = 0; i < chunks - 1; i++) {
    now += 2000 / chunks;
    pace.flushedChunk(pace.size, 0.05, now);
  }
  assert.equal(pace.size, 64 * KiB, "bursty flushes alone keep the size");
  pace.flushedChunk(pace.size, 0.01, now + 2000 / chunks);
  assert.equal(pace.size, 64 * KiB, "2 MiB/s since the burst is no reason to grow");
});

test("ReadPacer: growth stops at the shared budget and resumes when a response gives it back", () => {
  const budget = new GrowthBudget(4 * MiB);
  const a = new ReadPacer(64 * KiB, budget);
  const b = new ReadPacer(64 * KiB, budget);
  const c = new ReadPacer(64 * KiB, budget);
  flush(a, 40 * MiB, 0.05);
  flush(b, 40 * MiB, 0.05);
  assert.equal(a.size, 1 * MiB);
  assert.equal(b.size, 1 * MiB);
  const now = flush(c, 40 * MiB, 0.05);
  // Kills: growing without asking the budget (200 bursting viewers took 1 MiB reads each).
  assert.equal(c.size, 64 * KiB, "a third fast response stays at 64 KiB while two hold 4 MiB");
  assert.equal(budget.held, 4 * MiB);
  a.done();
  flush(c, 4 * MiB, 0.05, now);
  assert.equal(c.size, 1 * MiB, "the freed budget goes to the next fast response");
  b.done();
  c.done();
  assert.equal(budget.held, 0, "every byte of the budget came back");
});

test("ReadPacer: shrinking gives the budget back; a flush after done takes none", () => {
  const budget = new GrowthBudget(4 * MiB);
  const pace = new ReadPacer(64 * KiB, budget);
  const now = flush(pace, 40 * MiB, 0.05);
  assert.equal(budget.held, 2 * MiB);
  pace.flushedChunk(pace.size, 1000, now + 1000);
  assert.equal(pace.size, 16 * KiB, "1 MiB in 1 s shrinks to 16 KiB");
  assert.equal(budget.held, 0, "a read at or below FIRST_CHUNK holds no budget");
  const late = new ReadPacer(64 * KiB, budget);
  let t = flush(late, 20 * MiB, 0.05);
  assert.equal(late.size, 128 * KiB, "one step grown");
  late.done();
  const held = budget.held;
  // Kills: dropping the ended check (writes in flight at the end flush after done and took
  // the budget again, for good).
  t = flush(late, 30 * MiB, 0.05, t);
  assert.equal(budget.held, held, "flushes after done change nothing");
  assert.equal(held, 0);
});

test("ReadPacer: small wobbles keep the size", () => {
  const pace = new ReadPacer(64 * KiB, new GrowthBudget(4 * MiB));
  // 64 KiB in 15 ms paces at about 85 KiB: neither half nor double.
  pace.flushedChunk(64 * KiB, 15, 15);
  assert.equal(pace.size, 64 * KiB);
});

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
