/**
 * A rate limit for response bodies, to watch range requests as they would
 * happen on a slow network: on loopback a browser gets a small video in one
 * response, and there is nothing to see. Pull-based, so it holds at most
 * one source chunk.
 *
 * @module
 */

/**
 * Passes `body` through at about `bytesPerSecond`, in slices of at most
 * `sliceBytes`. Cancelling the result cancels the source.
 *
 * @example
 * ```ts ignore
 * import { throttleBody } from "@ranged/video";
 * const slow = throttleBody(new Response(new Uint8Array(2048)).body!, 1024 * 1024);
 * console.log((await new Response(slow).arrayBuffer()).byteLength); // 2048
 * ```
 */
export function throttleBody(
  body: ReadableStream<Uint8Array>,
  bytesPerSecond: number,
  sliceBytes = 16 * 1024,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let pending: Uint8Array | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let next = Date.now();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!pending || pending.length === 0) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        pending = value;
      }
      const slice = pending.subarray(0, sliceBytes);
      pending = pending.subarray(slice.length);
      const wait = next - Date.now();
      if (wait > 0) await new Promise<void>((resolve) => (timer = setTimeout(resolve, wait)));
      next = Math.max(next, Date.now()) + (slice.length / bytesPerSecond) * 1000;
      controller.enqueue(slice);
    },
    cancel(reason) {
      if (timer !== undefined) clearTimeout(timer);
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
