// The read pacing every writer shares (src/http/read_pacer.ts): pure, so the
// policy is pinned with numbers instead of timers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { GrowthBudget, ReadPacer } from "../src/http/read_pacer.ts";

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
