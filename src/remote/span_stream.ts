/**
 * A response span read from a remote source in one piece: one origin
 * request for the whole span, its body passed on chunk by chunk as the
 * consumer pulls (backpressure reaches the origin through the body stream),
 * instead of one request per block. Random reads keep using the block
 * reader; this is for a body that is read from start to end.
 *
 * A body that fails or ends early is resumed from the byte reached with a
 * new request for the rest, under the same retry policy as the block
 * reader. The source's `open` checks validators on every answer, so an
 * object that changed between the two requests errors the stream with
 * `OriginChangedError` rather than splicing two versions.
 *
 * @module
 */

import type { OpenSpan, Span } from "./block_reader.ts";
import { OriginError } from "./origin_errors.ts";
import { backoffDelay, isRetryable, sleep } from "./retry.ts";

/** Options of {@linkcode spanStream}. */
export interface SpanStreamOptions {
  /**
   * An answer already open (the one that told the size), whose body runs
   * from `span.offset` to `end` inclusive. Used when it starts at or before
   * the span's start (bytes before it are skipped) and its end is reached
   * before another request is made.
   */
  first?: { span: Span; end: number };
  /** Retries after a network error, 5xx or a body cut short, counted since the last byte received. Default 2. */
  retries?: number;
  /** First backoff in ms before a retry; doubles each time. Default 100. */
  backoff?: number;
  /** Aborts the request in flight and errors the stream. */
  signal?: AbortSignal;
  /** Called exactly once when the stream ends, errors or is cancelled. */
  onClose?: () => void;
}

/** The body being read and the last byte it is expected to carry. */
interface Current {
  reader: ReadableStreamDefaultReader<Uint8Array>;
  /** File position of the next byte the body will deliver. */
  at: number;
  /** The last byte this body should deliver; ending before it is a cut. */
  last: number;
}

/**
 * Streams bytes `start..end` (inclusive) of a source through `open`, asking
 * for the whole rest of the span at once. Nothing is requested before the
 * first pull; cancelling aborts the request in flight.
 *
 * @example
 * ```ts ignore
 * import { spanStream } from "./span_stream.ts";
 * const data = new TextEncoder().encode("0123456789");
 * const body = spanStream(
 *   (a, b) => Promise.resolve({ offset: a, body: new Blob([data.slice(a, b + 1)]).stream() }),
 *   2,
 *   7,
 * );
 * console.log(await new Response(body).text()); // "234567"
 * ```
 */
// Long on purpose: pull, resume and cancel share the position, the current body, the attempt count
// and one abort controller; read top to bottom it is one loop.
export function spanStream(
  open: OpenSpan,
  start: number,
  end: number,
  options: SpanStreamOptions = {},
): ReadableStream<Uint8Array> {
  const retries = options.retries ?? 2;
  const backoff = options.backoff ?? 100;
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  let position = start;
  let attempt = 0;
  let current: Current | undefined;
  let first = options.first && options.first.span.offset <= start && options.first.end >= start
    ? options.first
    : undefined;
  if (!first) options.first?.span.body.cancel().catch(() => {});
  let closed = false;

  const finish = () => {
    if (closed) return;
    closed = true;
    options.signal?.removeEventListener("abort", onAbort);
    first?.span.body.cancel().catch(() => {});
    current?.reader.cancel().catch(() => {});
    current = undefined;
    options.onClose?.();
  };

  /** The body for the rest of the span: the open answer if usable, else a new request from `position`. */
  const next = async (): Promise<Current> => {
    if (first) {
      const { span, end: last } = first;
      first = undefined;
      return { reader: span.body.getReader(), at: span.offset, last };
    }
    const span = await open(position, end, controller.signal);
    if (span.offset > position) {
      span.body.cancel().catch(() => {});
      throw new OriginError(`the origin answered from byte ${span.offset}, asked from ${position}`);
    }
    // A source that ignores Range sends the file to its end from `offset`.
    return { reader: span.body.getReader(), at: span.offset, last: span.sequential ? Infinity : end };
  };

  /** The next bytes of the span, or undefined once it is complete. */
  const chunk = async (): Promise<Uint8Array | undefined> => {
    for (;;) {
      if (position > end) return undefined;
      try {
        current ??= await next();
        const { value, done } = await current.reader.read();
        if (controller.signal.aborted) throw controller.signal.reason;
        if (done) {
          const cut = current.at <= Math.min(current.last, end);
          current = undefined;
          if (cut) {
            throw new OriginError(`origin body ended at byte ${position}, expected up to ${end}`, { retryable: true });
          }
          continue; // the open answer is used up: ask for the rest
        }
        const from = current.at;
        current.at += value.length;
        const skip = Math.max(0, position - from);
        const take = Math.min(value.length, end - from + 1);
        if (take <= skip) continue; // all of it precedes the span (a source that ignores Range)
        position = from + take;
        attempt = 0; // progress: a later cut gets the whole retry budget again
        return skip === 0 && take === value.length ? value : value.subarray(skip, take);
      } catch (err) {
        current?.reader.cancel().catch(() => {});
        current = undefined;
        if (controller.signal.aborted) throw controller.signal.reason;
        if (attempt >= retries || !isRetryable(err, controller.signal)) throw err;
        attempt++;
        await sleep(backoffDelay(attempt, backoff), controller.signal);
      }
    }
  };

  return new ReadableStream<Uint8Array>({
    async pull(c) {
      try {
        const bytes = await chunk();
        if (bytes) return c.enqueue(bytes);
        c.close();
        finish();
      } catch (err) {
        c.error(err);
        finish();
      }
    },
    cancel(reason) {
      controller.abort(reason ?? new DOMException("the client went away", "AbortError"));
      finish();
    },
  }, { highWaterMark: 0 });
}
