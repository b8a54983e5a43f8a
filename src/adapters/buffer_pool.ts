/**
 * Read buffers shared by all node:http responses of the process, in
 * power-of-two sizes from MIN_CHUNK to MAX_CHUNK, so a busy server does not
 * allocate (and zero-fill, and later collect) a fresh buffer for every
 * response. Also the pacing rule of the node writers: how big the next read
 * is, given how fast the socket flushed the last one.
 *
 * @module
 */

import { MAX_CHUNK, MIN_CHUNK, nextChunkSize, TARGET_MS } from "../http/chunk_size.ts";

/** At most this many bytes wait in the pool; beyond, returned buffers are left to the GC. */
const POOL_LIMIT = 8 * 1024 * 1024;
/**
 * Kernel socket buffers swallow the first megabytes of every client at
 * once, so pace means nothing before this many bytes: growing earlier gives
 * every slow viewer 1 MiB buffers.
 */
const GROW_AFTER = 16 * 1024 * 1024;

const pool = new Map<number, ArrayBuffer[]>();
let pooled = 0;

function sizeClass(n: number): number {
  let c = MIN_CHUNK;
  while (c < n && c < MAX_CHUNK) c *= 2;
  return c;
}

/**
 * A buffer of at least `n` bytes (at most MAX_CHUNK), from the pool when one is free.
 *
 * @example
 * ```ts ignore
 * const buf = takeBuffer(65536);
 * giveBuffer(buf);
 * ```
 */
export function takeBuffer(n: number): ArrayBuffer {
  const c = sizeClass(n);
  const buf = pool.get(c)?.pop();
  if (buf) {
    pooled -= c;
    return buf;
  }
  return new ArrayBuffer(c);
}

/**
 * Hands a buffer back once nothing refers to it any more (the socket has flushed it).
 *
 * @example
 * ```ts ignore
 * giveBuffer(takeBuffer(16384));
 * ```
 */
export function giveBuffer(buf: ArrayBuffer): void {
  const c = buf.byteLength;
  if (c !== sizeClass(c) || pooled + c > POOL_LIMIT) return;
  let list = pool.get(c);
  if (!list) pool.set(c, list = []);
  list.push(buf);
  pooled += c;
}

/**
 * The next read size after the socket flushed `written` bytes in
 * `elapsedMs`, `flushed` bytes in the `sinceStartMs` since the response
 * began: shrinks at once for a slow client, grows only past GROW_AFTER and
 * only as far as the pace held since the start allows, and ignores small
 * wobbles.
 *
 * Why the pace since the start: a real client reading at 1 MiB/s (curl
 * `--limit-rate`, a player) drains its socket in bursts, so one chunk can
 * flush in no time and look like a fast reader; growing on that gave 200
 * such viewers 256 KiB–1 MiB buffers each (+250 MiB RSS in the benchmark's
 * D), where their average pace asks for 16–32 KiB.
 *
 * @example
 * ```ts ignore
 * pacedSize(65536, 65536, 500, 65536, 500); // a slow client: smaller
 * ```
 */
export function pacedSize(
  size: number,
  written: number,
  elapsedMs: number,
  flushed: number,
  sinceStartMs: number,
): number {
  const paced = nextChunkSize(written, elapsedMs);
  if (paced <= size / 2) return paced;
  if (paced < size * 2 || flushed < GROW_AFTER) return size;
  const sustained = sinceStartMs > 0 ? (flushed / sinceStartMs) * TARGET_MS : paced;
  return sustained >= size * 2 ? paced : size;
}
