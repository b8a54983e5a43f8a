/**
 * Read buffers shared by all node:http responses of the process, in
 * power-of-two sizes from MIN_CHUNK to MAX_CHUNK, so a busy server does not
 * allocate (and zero-fill, and later collect) a fresh buffer for every
 * response. Also the pacing rule of the node writers: how big the next read
 * is, given how fast the socket flushed the last one.
 *
 * @module
 */

import { clearInterval, setInterval } from "node:timers";
import { FIRST_CHUNK, MAX_CHUNK, MIN_CHUNK, nextChunkSize, TARGET_MS } from "../http/chunk_size.ts";

/**
 * At most this many bytes wait in the pool; beyond, returned buffers are
 * left to the GC. Sized for bursts: 64 clients asking for 1 MiB ranges
 * flush their buffers at nearly the same moment and ask again together, so
 * a pool of 8 MiB made seven of every eight reads a fresh 1 MiB buffer
 * (bench B on Bun's node:http: 1.0k against 2.0k requests/s with this
 * limit; on Node 1.6k against 2.1k). What a burst leaves behind is released
 * by {@linkcode IDLE_MS}.
 */
const POOL_LIMIT = 64 * 1024 * 1024;
/** A buffer left free for a whole period of this length goes back to the GC. */
const IDLE_MS = 1000;
/**
 * Kernel socket buffers swallow the first megabytes of every client at
 * once, so pace means nothing before this many bytes: growing earlier gives
 * every slow viewer 1 MiB buffers.
 */
const GROW_AFTER = 16 * 1024 * 1024;

function sizeClass(n: number): number {
  let c = MIN_CHUNK;
  while (c < n && c < MAX_CHUNK) c *= 2;
  return c;
}

/**
 * Buffers in power-of-two size classes, each kept as a view of the whole
 * buffer so that a full-size read or write needs no new view object.
 *
 * With `idleMs`, buffers that stayed free for a whole period of that length
 * are released (see {@linkcode BufferPool.trim}), so the limit can be sized
 * for a burst without holding the burst's memory once it has passed.
 *
 * When it is full, a returned buffer evicts those of the class taken least
 * recently: the pace of a server's clients moves its demand between classes
 * (200 slow viewers start at 64 KiB and settle at 16 KiB), and a pool still
 * full of the old class turned every read of the new one into a fresh
 * buffer and garbage (hundreds of MB/s, +20-30 MiB RSS in bench D).
 *
 * @example
 * ```ts ignore
 * const pool = new BufferPool(8 * 1024 * 1024);
 * const buf = pool.take(65536);
 * pool.give(buf);
 * ```
 */
export class BufferPool {
  #classes = new Map<number, SizeClass>();
  #pooled = 0;
  #takes = 0;
  #idleMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** Keeps at most `limit` bytes of free buffers, and trims every `idleMs` while it holds any (0: never). */
  constructor(readonly limit: number, idleMs = 0) {
    this.#idleMs = idleMs;
  }

  /** Bytes held free in the pool. */
  get pooledBytes(): number {
    return this.#pooled;
  }

  /** Whether the periodic trim is running (it runs only while buffers are pooled). */
  get trimming(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * Releases every buffer that has stayed free since the previous trim (the
   * low-water mark of each class's free list): a pool that serves a steady
   * load keeps what it hands out again, and one whose load has stopped is
   * empty after two trims.
   */
  trim(): void {
    for (const [c, entry] of this.#classes) {
      const idle = Math.min(entry.low, entry.free.length);
      if (idle > 0) {
        // The bottom of the stack is what no take has reached since the last trim.
        entry.free.splice(0, idle);
        this.#pooled -= idle * c;
      }
      entry.low = entry.free.length;
    }
    if (this.#pooled === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** A view of a whole buffer of at least `n` bytes (at most MAX_CHUNK), a free one when there is one. */
  take(n: number): Uint8Array {
    const c = sizeClass(n);
    const entry = this.#entry(c);
    entry.taken = ++this.#takes;
    const buf = entry.free.pop();
    if (!buf) return new Uint8Array(c);
    this.#pooled -= c;
    if (entry.free.length < entry.low) entry.low = entry.free.length;
    return buf;
  }

  /** Hands back a view of a whole buffer once nothing refers to it any more. */
  give(buf: Uint8Array): void {
    const c = buf.byteLength;
    if (buf.byteOffset !== 0 || c !== buf.buffer.byteLength || c !== sizeClass(c) || c > this.limit) return;
    const entry = this.#entry(c);
    while (this.#pooled + c > this.limit) {
      let stale: SizeClass | undefined;
      for (const e of this.#classes.values()) {
        if (e.free.length > 0 && e.taken < entry.taken && (!stale || e.taken < stale.taken)) stale = e;
      }
      // Nothing older to evict: this class is the stalest, so this buffer goes to the GC.
      if (!stale) return;
      this.#pooled -= stale.free.pop()!.byteLength;
    }
    entry.free.push(buf);
    this.#pooled += c;
    if (this.#idleMs > 0 && this.#timer === undefined) {
      this.#timer = setInterval(() => this.trim(), this.#idleMs);
      // The trim must never be what keeps a process alive.
      this.#timer.unref();
    }
  }

  #entry(c: number): SizeClass {
    let entry = this.#classes.get(c);
    if (!entry) this.#classes.set(c, entry = { free: [], taken: 0, low: 0 });
    return entry;
  }
}

/** One size class: its free buffers, when it was last taken from, and the low-water mark of `free` since the last trim. */
interface SizeClass {
  free: Uint8Array[];
  taken: number;
  low: number;
}

/** The pool every node:http response of the process shares. */
const shared = new BufferPool(POOL_LIMIT, IDLE_MS);

/**
 * A view of a whole buffer of at least `n` bytes (at most MAX_CHUNK), from
 * the process's pool when one is free.
 *
 * @example
 * ```ts ignore
 * const buf = takeBuffer(65536);
 * giveBuffer(buf);
 * ```
 */
export function takeBuffer(n: number): Uint8Array {
  return shared.take(n);
}

/**
 * Hands a buffer back to the process's pool once nothing refers to it any
 * more (the socket has flushed it): the view {@linkcode takeBuffer} gave, or
 * a view of the whole of its (transferred) buffer.
 *
 * @example
 * ```ts ignore
 * giveBuffer(takeBuffer(16384));
 * ```
 */
export function giveBuffer(buf: Uint8Array): void {
  shared.give(buf);
}

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

/** The largest pool size class not above `n` (at least MIN_CHUNK). */
function classBelow(n: number): number {
  let c = MIN_CHUNK;
  while (c * 2 <= n && c < MAX_CHUNK) c *= 2;
  return c;
}

/**
 * The read size of one node:http response, paced by how fast its socket
 * flushes: shrinks at once for a slow client, grows only for one that has
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
