/**
 * Positional reads over a remote source that hands out byte spans as
 * streams (an HTTP origin with Range, an object store): small reads
 * coalesce into block-sized requests, the next block is fetched while the
 * current one is consumed, and at most two blocks are held per reader.
 *
 * @module
 */

import { OriginError } from "./origin_errors.ts";
import { backoffDelay, isRetryable, sleep } from "./retry.ts";

/** One answer of a source: a body stream and where in the file it starts. */
export interface Span {
  /**
   * Position in the file of the body's first byte. At most the start that
   * was asked for: an origin that ignores Range sends the file from 0, and
   * the reader skips what it does not need.
   */
  offset: number;
  /** The bytes from `offset` on; the reader cancels it once it has enough. */
  body: ReadableStream<Uint8Array>;
  /**
   * True when the source ignores ranges and sends the file to its end: the
   * reader then continues this body for the next block instead of asking
   * again (which would send the file from 0 once more), and stops
   * prefetching.
   */
  sequential?: boolean;
}

/**
 * Opens the bytes `start..end` (inclusive) of the file. It must reject with
 * an {@linkcode OriginError} (or a subclass such as `OriginChangedError`)
 * when the answer is unusable, so the reader knows whether to retry.
 */
export type OpenSpan = (start: number, end: number, signal: AbortSignal) => Promise<Span>;

/** Options of {@linkcode blockReader}. */
export interface BlockReaderOptions {
  /** Size of the file in bytes. */
  size: number;
  /** Bytes per origin request. Default {@linkcode DEFAULT_BLOCK_SIZE}. */
  blockSize?: number;
  /** Retries per block after a network error, 5xx or a body cut short. Default 2. */
  retries?: number;
  /** First backoff in ms before a retry; doubles each time. Default 100. */
  backoff?: number;
  /** Aborts every request in flight and fails pending reads, like `close()`. */
  signal?: AbortSignal;
  /**
   * A span that is already open, typically the answer that told the size:
   * it fills the block `start..end` so the first read costs no new request.
   */
  first?: { start: number; end: number; span: Span };
  /**
   * The byte range the consumer is expected to read (the client's Range):
   * blocks that start inside it stop at its end, so a `bytes=0-1` probe does
   * not pull a whole block from the origin.
   */
  expect?: { start: number; end: number };
}

/** What {@linkcode blockReader} returns: a positional read and a close. */
export interface BlockReader {
  /** Reads up to `into.length` bytes at `position`; 0 at the end of the file. */
  read(into: Uint8Array, position: number): Promise<number>;
  /** Aborts requests in flight, drops the blocks, fails pending and later reads. */
  close(): void;
}

/** Default bytes per origin request: 4 MiB, large enough that per-request latency is amortised. */
export const DEFAULT_BLOCK_SIZE = 4 * 1024 * 1024;

/** A block of the file, filled from a span as its bytes arrive. */
class Block {
  readonly buf: Uint8Array;
  filled = 0;
  done = false;
  error: unknown = undefined;
  readonly controller = new AbortController();
  private waiters: { n: number; resolve: () => void }[] = [];

  constructor(readonly start: number, readonly length: number) {
    this.buf = new Uint8Array(length);
  }

  get busy(): boolean {
    return this.waiters.length > 0;
  }

  /** Resolves once `n` bytes are in, or the block is complete or failed. */
  until(n: number): Promise<void> {
    if (this.filled >= n || this.done || this.error !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  /** Resolves the waiters whose bytes are in (all of them once the block is complete or failed). */
  wake(): void {
    const all = this.done || this.error !== undefined;
    const ready = this.waiters.filter((w) => all || this.filled >= w.n);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  fail(err: unknown): void {
    if (this.error === undefined) this.error = err;
    this.wake();
  }
}

/** A body that ran past the block it filled, kept for the next block (sequential sources). */
interface Tail {
  reader: ReadableStreamDefaultReader<Uint8Array>;
  position: number;
  leftover?: Uint8Array;
}

/**
 * Builds positional reads on top of `open`. Reads are served from blocks of
 * `blockSize` bytes, each one request to the source; once a read passes the
 * middle of a block, the next block is requested, so a sequential consumer
 * rarely waits for the origin. A read returns as soon as some of its bytes
 * are in (possibly fewer than asked), which keeps the first byte fast.
 *
 * Memory is bounded: a reader holds at most two blocks. A block whose
 * request fails with a network error, a 5xx or a body cut short is resumed
 * from its first missing byte up to `retries` times with backoff; other
 * errors, including `OriginChangedError`, reject the reads at once.
 *
 * @example A source over bytes in memory
 * ```ts
 * import { blockReader } from "@ranged/video";
 * const data = new TextEncoder().encode("0123456789");
 * const reader = blockReader(
 *   (start, end) => Promise.resolve({ offset: start, body: new Blob([data.slice(start, end + 1)]).stream() }),
 *   { size: data.length, blockSize: 4 },
 * );
 * const into = new Uint8Array(3);
 * const n = await reader.read(into, 5);
 * console.log(new TextDecoder().decode(into.subarray(0, n))); // "567"
 * reader.close();
 * ```
 */
// Long on purpose: read, fill, eviction and close share the blocks, the sequential tail and one
// abort controller; a closure keeps that state in one place.
export function blockReader(open: OpenSpan, options: BlockReaderOptions): BlockReader {
  const size = options.size;
  const blockSize = Math.max(1, Math.floor(options.blockSize ?? DEFAULT_BLOCK_SIZE));
  const retries = options.retries ?? 2;
  const backoff = options.backoff ?? 100;
  const root = new AbortController();
  const expect = options.expect;
  let blocks: Block[] = [];
  let tail: Tail | undefined;
  let sequential = false;

  const onAbort = () => close(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });

  function close(reason: unknown = new DOMException("the reader was closed", "AbortError")): void {
    if (root.signal.aborted) return;
    root.abort(reason);
    options.signal?.removeEventListener("abort", onAbort);
    for (const b of blocks) b.fail(reason);
    blocks = [];
    dropTail();
  }

  function dropTail(): void {
    tail?.reader.cancel().catch(() => {});
    tail = undefined;
  }

  function lengthAt(start: number): number {
    let end = Math.min(size, start + blockSize) - 1;
    // Inside the expected range, stop at its end: a short Range costs a short request.
    if (expect && start >= expect.start && start <= expect.end) end = Math.min(end, expect.end);
    return end - start + 1;
  }

  /** Starts a block at `start`, keeping `keep` and dropping others past the two-block budget. */
  function startBlock(start: number, length: number, keep?: Block, first?: Span): Block {
    const block = new Block(start, length);
    const kept: Block[] = [];
    // Newest first: the block being read and the one just before it are the likely ones.
    for (const b of [...blocks].reverse()) {
      if (b === keep || (kept.length === 0 && keep === undefined)) kept.push(b);
      else if (b.busy) kept.push(b); // someone waits on it: let it finish, then it ages out
      else b.controller.abort(new DOMException("block evicted", "AbortError"));
    }
    blocks = [...kept.reverse(), block];
    const onRootAbort = () => block.controller.abort(root.signal.reason);
    root.signal.addEventListener("abort", onRootAbort, { once: true });
    fill(block, first).catch((err) => block.fail(err)).finally(() =>
      root.signal.removeEventListener("abort", onRootAbort)
    );
    return block;
  }

  async function fill(block: Block, first: Span | undefined): Promise<void> {
    const signal = block.controller.signal;
    let attempt = 0;
    while (block.filled < block.length) {
      let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
      let position = 0;
      let leftover: Uint8Array | undefined;
      try {
        const want = block.start + block.filled;
        if (first) {
          ({ reader, position } = open_(first));
          first = undefined;
        } else if (tail && tail.position <= want) {
          ({ reader, position, leftover } = tail);
          tail = undefined;
        } else {
          ({ reader, position } = open_(await open(want, block.start + block.length - 1, signal)));
        }
        while (block.filled < block.length) {
          let chunk = leftover;
          leftover = undefined;
          if (!chunk) {
            const next = await reader.read();
            if (next.done) break;
            chunk = next.value;
          }
          if (signal.aborted) throw signal.reason;
          const at = block.start + block.filled;
          // Skip what precedes the block (a sequential source sends from 0).
          const skip = Math.min(chunk.length, Math.max(0, at - position));
          const take = Math.min(chunk.length - skip, block.length - block.filled);
          block.buf.set(chunk.subarray(skip, skip + take), block.filled);
          block.filled += take;
          position += skip + take;
          if (skip + take < chunk.length) leftover = chunk.subarray(skip + take);
          if (take > 0) block.wake();
        }
        if (block.filled < block.length) {
          throw new OriginError(
            `origin body ended at byte ${block.start + block.filled}, expected up to ${block.start + block.length - 1}`,
            { retryable: true },
          );
        }
        if (sequential && position < size && !signal.aborted) {
          dropTail();
          tail = { reader, position, leftover };
        } else {
          reader.cancel().catch(() => {});
        }
      } catch (err) {
        reader?.cancel().catch(() => {});
        if (signal.aborted) return block.fail(signal.reason);
        if (attempt >= retries || !isRetryable(err, signal)) return block.fail(err);
        attempt++;
        try {
          await sleep(backoffDelay(attempt, backoff), signal);
        } catch {
          return block.fail(signal.reason);
        }
      }
    }
    block.done = true;
    block.wake();
  }

  function open_(span: Span): { reader: ReadableStreamDefaultReader<Uint8Array>; position: number } {
    if (span.sequential) sequential = true;
    return { reader: span.body.getReader(), position: span.offset };
  }

  if (options.first && size > 0) {
    const { start, end, span } = options.first;
    startBlock(start, Math.min(end, size - 1) - start + 1, undefined, span);
  } else {
    options.first?.span.body.cancel().catch(() => {});
  }

  return {
    async read(into, position) {
      if (root.signal.aborted) throw root.signal.reason;
      if (position >= size || into.length === 0) return 0;
      // A failed block stays failed: a changed object must not be read again under the same response.
      let block = blocks.find((b) => b.start <= position && position < b.start + b.length);
      block ??= startBlock(position, lengthAt(position));
      const offset = position - block.start;
      await block.until(offset + 1);
      if (block.error !== undefined) throw block.error;
      const n = Math.min(into.length, block.filled - offset);
      into.set(block.buf.subarray(offset, offset + n));
      // Past the middle of a block the consumer is reading sequentially: fetch the next one now.
      const next = block.start + block.length;
      // ...unless the expected range ends right there.
      const ends = expect !== undefined && next === expect.end + 1;
      if (
        !sequential && !ends && offset + n > block.length / 2 && next < size && !blocks.some((b) => b.start === next)
      ) {
        startBlock(next, lengthAt(next), block);
      }
      return n;
    },
    close: () => close(),
  };
}
