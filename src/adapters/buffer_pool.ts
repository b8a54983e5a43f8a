/**
 * Read buffers shared by all node:http responses of the process, in
 * power-of-two sizes from MIN_CHUNK to MAX_CHUNK, so a busy server does not
 * allocate (and zero-fill, and later collect) a fresh buffer for every
 * response. How big each read is, is src/http/read_pacer.ts's to say.
 *
 * @module
 */

import { clearInterval, setInterval } from "node:timers";
import { MAX_CHUNK, MIN_CHUNK } from "../http/chunk_size.ts";

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
