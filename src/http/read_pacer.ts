/**
 * How big the next read of a body is, given how fast its consumer took the
 * last ones: shared by every writer (the node:http writer and bridge, and
 * the Fetch body stream), pure, so the rule is tested with numbers instead
 * of timers.
 *
 * @module
 */

import { FIRST_CHUNK, MAX_CHUNK, MIN_CHUNK, nextChunkSize, TARGET_MS } from "./chunk_size.ts";

/**
 * Kernel socket buffers swallow the first megabytes of every client at
 * once, so pace means nothing before this many bytes: growing earlier gives
 * every slow viewer 1 MiB buffers.
 */
const GROW_AFTER = 16 * 1024 * 1024;

/**
 * Bytes a response must flush after GROW_AFTER before its pace may grow the
 * reads: the pace is measured over these, not over the start.
 */
const SETTLE = 4 * 1024 * 1024;

/** Buffers a response keeps with the socket at once (the next read waits for one to flush): what a grown size costs. */
export const BUFFERS = 2;

/**
 * The bytes of reads larger than FIRST_CHUNK that all responses of the
 * process may hold at once: two downloads at 1 MiB reads. A client's pace
 * can only be guessed, and real slow viewers burst (see {@linkcode ReadPacer}),
 * so what bounds the memory of many viewers is this, not the guess.
 */
const GROWN_LIMIT = 4 * 1024 * 1024;

/**
 * The shared allowance for large reads: a {@linkcode ReadPacer} grows past
 * FIRST_CHUNK only while the allowance lasts, and gives back what it holds
 * when it shrinks or its response ends.
 *
 * @example
 * ```ts ignore
 * const budget = new GrowthBudget(4 * 1024 * 1024);
 * const pace = new ReadPacer(65536, budget);
 * ```
 */
export class GrowthBudget {
  /** Bytes held by grown readers. */
  held = 0;

  /** Lends at most `limit` bytes at once. */
  constructor(readonly limit: number) {}
}

const sharedBudget = new GrowthBudget(GROWN_LIMIT);

/** What a read size holds of the budget: nothing up to FIRST_CHUNK. */
function cost(size: number): number {
  return size > FIRST_CHUNK ? size * BUFFERS : 0;
}

/** The largest power-of-two size from MIN_CHUNK not above `n` (the node writers' pool classes). */
function classBelow(n: number): number {
  let c = MIN_CHUNK;
  while (c * 2 <= n && c < MAX_CHUNK) c *= 2;
  return c;
}

/**
 * The first read of a body of `length` bytes read as one span (0 for any
 * other body): all of it when it fits in one large read, so a 1 MiB range
 * costs one read, else FIRST_CHUNK, from which the pace takes over.
 *
 * @example
 * ```ts ignore
 * firstReadSize(1024 * 1024); // 1048576: one read
 * firstReadSize(0); // FIRST_CHUNK
 * ```
 */
export function firstReadSize(length: number): number {
  return length > 0 && length <= MAX_CHUNK ? length : FIRST_CHUNK;
}

/**
 * The read size of one response's body (a node:http socket, or the consumer
 * of a Fetch body stream), paced by how fast it takes each chunk: shrinks at once for a slow client, grows only for one that has
 * held a fast pace once the kernel's buffers were full, and only within the
 * process's {@linkcode GrowthBudget}. Call {@linkcode ReadPacer.done} when
 * the response ends.
 *
 * Why so careful about growing: a real client reading at 1 MiB/s (curl
 * `--limit-rate`, a player) lets its kernel and its own buffers swallow
 * 6-16 MiB at once and later drains several MiB in bursts, so one chunk
 * can flush in no time and the average since the start is inflated for
 * many seconds. Growing on either gave 200 such viewers 32 KiB-1 MiB reads
 * where their pace asks for 16 KiB (bench D: +100 MiB). So the pace that
 * may grow the reads is measured from the moment GROW_AFTER bytes have gone,
 * over at least SETTLE more, and even a burst that passes that test takes
 * only what the budget has left. Shrinking rounds down to a pool size class,
 * so a 20 KiB pace holds a 16 KiB buffer rather than a 32 KiB one.
 *
 * @example
 * ```ts ignore
 * const pace = new ReadPacer(65536);
 * pace.flushedChunk(65536, 500, 500); // a slow client
 * pace.size; // 16384
 * pace.done();
 * ```
 */
export class ReadPacer {
  /** The size of the next read. */
  size: number;
  #budget: GrowthBudget;
  #held = 0;
  #flushed = 0;
  #markAt = -1;
  #markFlushed = 0;
  #ended = false;

  /** Starts at `first` bytes per read (a first size is not charged to the budget). */
  constructor(first: number, budget: GrowthBudget = sharedBudget) {
    this.size = first;
    this.#budget = budget;
  }

  /**
   * Records that the socket flushed a chunk of `n` bytes `elapsedMs` after
   * it was written, at `nowMs` (any clock, the same for every call).
   */
  flushedChunk(n: number, elapsedMs: number, nowMs: number): void {
    // Writes still in flight when the response ended flush later: they must not take the budget again.
    if (this.#ended) return;
    this.#flushed += n;
    if (this.#markAt < 0 && this.#flushed >= GROW_AFTER) {
      this.#markAt = nowMs;
      this.#markFlushed = this.#flushed;
    }
    const paced = nextChunkSize(n, elapsedMs);
    if (paced <= this.size / 2) return this.#resize(classBelow(paced));
    if (paced < this.size * 2 || this.#markAt < 0) return;
    const since = this.#flushed - this.#markFlushed;
    if (since < SETTLE) return;
    const ms = nowMs - this.#markAt;
    const sustained = ms > 0 ? (since / ms) * TARGET_MS : paced;
    if (sustained < this.size * 2) return;
    const grown = this.size * 2;
    if (this.#budget.held - this.#held + cost(grown) <= this.#budget.limit) this.#resize(grown);
  }

  /** Gives back what this response holds of the budget. */
  done(): void {
    this.#ended = true;
    this.#budget.held -= this.#held;
    this.#held = 0;
  }

  #resize(size: number): void {
    this.size = size;
    this.#budget.held += cost(size) - this.#held;
    this.#held = cost(size);
  }
}
