/**
 * What every remote source (an HTTP origin, an object store) shares: the
 * options a user sets, and how they become the first request's range, the
 * retry policy and the block reader. One type and one place, so `fromUrl`
 * and `fromR2` cannot drift apart.
 *
 * @module
 */

import { type BlockReader, blockReader, type BlockReaderOptions, DEFAULT_BLOCK_SIZE } from "./block_reader.ts";
import { type ProbePlan, probePlan, type ProbePlanOptions } from "./probe_range.ts";
import type { RetryOptions } from "./retry.ts";
import { spanStream, type SpanStreamOptions } from "./span_stream.ts";

/** Options every remote source takes (`fromUrl`, `fromR2`). */
export interface RemoteSourceOptions {
  /** Bytes per origin request; small reads coalesce into these. Default 4 MiB. */
  blockSize?: number;
  /** Retries of one origin request after a network or origin error, or a body cut short. Default 2. */
  retries?: number;
  /** First backoff in ms before a retry; doubles each time. Default 100. */
  backoff?: number;
  /**
   * Abort it (a shutdown signal, say) and every origin request in flight stops. A client that leaves
   * needs none: the handler then calls `close()`, which aborts them too.
   */
  signal?: AbortSignal;
  /**
   * The client's request. The first origin request then fetches the block
   * the client's Range starts in (one byte for HEAD) instead of block 0, so a
   * seek costs one origin round trip.
   */
  request?: Request;
  /** Name for Content-Type and Content-Disposition; default: the last segment of the URL path or key. */
  name?: string;
  /** Media type; default: the origin's Content-Type unless it is a generic octet-stream. */
  type?: string;
}

/** A remote source's settings, derived once from its options. */
export interface RemoteSetup {
  /** Bytes per origin request, a positive integer. */
  readonly blockSize: number;
  /** The first request's range and the client range expected after it. */
  readonly plan: ProbePlan;
  /** Retry policy for single origin requests. */
  readonly retry: RetryOptions;
  /** The block reader over `openSpan`, once the first answer told the size. */
  reader(
    openSpan: Parameters<typeof blockReader>[0],
    size: number,
    first: BlockReaderOptions["first"],
  ): BlockReader;
  /** A response span streamed from one request (see {@linkcode spanStream}), under the same retry policy. */
  stream(
    openSpan: Parameters<typeof blockReader>[0],
    start: number,
    end: number,
    more: Pick<SpanStreamOptions, "first" | "onClose">,
  ): ReadableStream<Uint8Array>;
}

/** Derives a remote source's settings from its options. */
export function remoteSetup(options: RemoteSourceOptions, probe: ProbePlanOptions = {}): RemoteSetup {
  const blockSize = Math.max(1, Math.floor(options.blockSize ?? DEFAULT_BLOCK_SIZE));
  const plan = probePlan(options.request, blockSize, probe);
  const { retries, backoff, signal } = options;
  return {
    blockSize,
    plan,
    retry: { retries, backoff, signal },
    reader: (openSpan, size, first) =>
      blockReader(openSpan, { size, blockSize, retries, backoff, signal, first, expect: plan.expect }),
    stream: (openSpan, start, end, more) => spanStream(openSpan, start, end, { retries, backoff, signal, ...more }),
  };
}
