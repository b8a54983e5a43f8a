/**
 * Cloudflare Workers specifics: `fixedLength` keeps an exact
 * Content-Length on streamed responses, which workerd otherwise drops.
 *
 * @module
 */

/** The Workers-only TransformStream that sends a declared length. */
type FixedLengthStreamCtor = new (length: number) => TransformStream<Uint8Array, Uint8Array>;

/**
 * workerd sends a `ReadableStream` body with `Transfer-Encoding: chunked`
 * and drops the Content-Length the handler set (measured with workerd
 * 1.20260426), so download progress, CDNs and clients that check 206
 * lengths lose it. This pipes the body through Workers' `FixedLengthStream`
 * of that length, which makes workerd send Content-Length. Cancellation
 * still reaches the handler (the file is closed when the client leaves),
 * and a body that errors still cuts the connection.
 *
 * Outside Workers (no `FixedLengthStream`), or without a body or a
 * Content-Length, the response is returned as it is.
 *
 * @example
 * ```ts ignore
 * import { handleVideo } from "@ranged/video";
 * import { fromR2, type R2BucketLike } from "@ranged/video/r2";
 * import { fixedLength } from "@ranged/video/workers";
 * export default {
 *   async fetch(req: Request, env: { VIDEOS: R2BucketLike }) {
 *     return fixedLength(handleVideo(req, await fromR2(env.VIDEOS, "movie.mp4", { request: req })));
 *   },
 * };
 * ```
 */
export function fixedLength(res: Response): Response {
  const FixedLengthStream = (globalThis as { FixedLengthStream?: FixedLengthStreamCtor }).FixedLengthStream;
  const length = res.headers.get("content-length");
  if (!FixedLengthStream || !res.body || length === null || !/^\d+$/.test(length)) return res;
  const { readable, writable } = new FixedLengthStream(Number(length));
  // Errors travel through the pipe: a failed read errors `readable` and the connection is cut.
  res.body.pipeTo(writable).catch(() => {});
  return new Response(readable, { status: res.status, statusText: res.statusText, headers: res.headers });
}
