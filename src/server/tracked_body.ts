/**
 * A pass-through body that reports how many bytes have left, chunk by
 * chunk, and whether the client cancelled. It pulls one chunk per pull
 * (highWaterMark 0), so wrapping a body adds no buffering, and a cancel
 * reaches the source at once, which closes the file behind it.
 *
 * @module
 */

/** Callbacks of {@linkcode trackBody}. */
export interface BodyTracking {
  /** A chunk of `bytes` bytes is being handed to the runtime. */
  onChunk(bytes: number): void;
  /** The body ended: `aborted` is true when it was cancelled or failed. Called once. */
  onEnd(aborted: boolean): void;
}

/**
 * Wraps `body` so that `tracking` sees every chunk and the end.
 *
 * @example
 * ```ts ignore
 * import { trackBody } from "@ranged/video";
 * let total = 0;
 * const body = trackBody(new Response("hello").body!, { onChunk: (n) => (total += n), onEnd: () => {} });
 * await new Response(body).text();
 * console.log(total); // 5
 * ```
 */
export function trackBody(body: ReadableStream<Uint8Array>, tracking: BodyTracking): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let ended = false;
  const end = (aborted: boolean) => {
    if (ended) return;
    ended = true;
    tracking.onEnd(aborted);
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          end(false);
          controller.close();
          return;
        }
        tracking.onChunk(value.byteLength);
        controller.enqueue(value);
      } catch (err) {
        end(true);
        controller.error(err);
      }
    },
    async cancel(reason) {
      end(true);
      await reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
