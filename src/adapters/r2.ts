/**
 * `fromR2`: a {@linkcode FileLike} over an object in a Cloudflare R2 bucket
 * binding, for handlers running on Workers. Typed structurally, so it needs
 * no `@cloudflare/workers-types`.
 *
 * @example
 * ```ts ignore
 * import { handleVideo } from "@ranged/video";
 * import { fromR2, type R2BucketLike } from "@ranged/video/r2";
 * export default {
 *   async fetch(req: Request, env: { VIDEOS: R2BucketLike }) {
 *     const key = new URL(req.url).pathname.slice(1);
 *     return handleVideo(req, await fromR2(env.VIDEOS, key, { request: req }));
 *   },
 * };
 * ```
 *
 * @module
 */

import type { Span } from "../remote/block_reader.ts";
import { FileNotFoundError } from "../http/errors.ts";
import type { FileLike } from "../http/file_like.ts";
import { OriginChangedError } from "../remote/origin_errors.ts";
import { remoteSetup, type RemoteSourceOptions } from "../remote/remote_source.ts";
import { withRetries } from "../remote/retry.ts";

export { OriginChangedError, OriginError } from "../remote/origin_errors.ts";
export type { RemoteSourceOptions } from "../remote/remote_source.ts";

/** The part of an R2 range the binding accepts: offset and length, or a suffix. */
export type R2RangeLike = { offset: number; length?: number } | { offset?: number; length: number } | {
  suffix: number;
};

/** The part of R2's object metadata ranged uses. */
export interface R2ObjectLike {
  /** Object size in bytes. */
  readonly size: number;
  /** The ETag without quotes (used in `onlyIf`). */
  readonly etag: string;
  /** The ETag as an HTTP header value, with quotes. */
  readonly httpEtag: string;
  /** When the object was written: its Last-Modified. */
  readonly uploaded: Date;
  /** Stored HTTP metadata; `contentType` becomes the FileLike's type. */
  readonly httpMetadata?: { contentType?: string };
  /** The bytes asked for; absent when an `onlyIf` condition failed. */
  readonly body?: ReadableStream<Uint8Array>;
  /** The range the body covers, as the binding resolved it. */
  readonly range?: R2RangeLike;
}

/** The part of an R2 bucket binding ranged uses (`env.MY_BUCKET` in a Worker). */
export interface R2BucketLike {
  /** Reads an object or a range of it; `null` when the key does not exist. */
  get(
    key: string,
    options?: { range?: R2RangeLike; onlyIf?: { etagMatches?: string } },
  ): Promise<R2ObjectLike | null>;
}

/** Options of {@linkcode fromR2}: those of every remote source (`name` defaults to the key's last segment). */
export type FromR2Options = RemoteSourceOptions;

/**
 * Opens `key` in `bucket` as a {@linkcode FileLike}. The first ranged `get`
 * gives size, ETag (`httpEtag`), upload time and Content-Type and its body
 * is the first block; later reads are ranged `get`s of `blockSize` bytes
 * with `onlyIf: { etagMatches }`, so an object overwritten meanwhile fails
 * the response with {@linkcode OriginChangedError} instead of splicing two
 * versions. A missing key rejects with {@linkcode FileNotFoundError}.
 *
 * @example In a Worker
 * ```ts ignore
 * import { FileNotFoundError, handleVideo } from "@ranged/video";
 * import { fromR2, type R2BucketLike } from "@ranged/video/r2";
 * export default {
 *   async fetch(req: Request, env: { VIDEOS: R2BucketLike }) {
 *     try {
 *       const file = await fromR2(env.VIDEOS, new URL(req.url).pathname.slice(1), { request: req });
 *       return handleVideo(req, file);
 *     } catch (err) {
 *       if (err instanceof FileNotFoundError) return new Response("not found", { status: 404 });
 *       throw err;
 *     }
 *   },
 * };
 * ```
 */
export async function fromR2(bucket: R2BucketLike, key: string, options: FromR2Options = {}): Promise<FileLike> {
  const { blockSize, plan, retry, reader: readerOf } = remoteSetup(options);
  const get = (range?: R2RangeLike) =>
    withRetries(async () => {
      try {
        return await bucket.get(key, range ? { range } : undefined);
      } catch (err) {
        // The binding rejects a range past the end, and any range of an empty
        // object: the plain get below then tells the size.
        if (range) return undefined;
        throw err;
      }
    }, retry);

  const r = plan.range;
  const ranged = await get("suffix" in r ? { suffix: r.suffix } : { offset: r.start, length: r.end - r.start + 1 });
  const obj = ranged === undefined ? await get() : ranged;
  if (!obj) throw new FileNotFoundError(key);
  const size = obj.size;
  // R2 clamps a range that runs past the end, and a suffix longer than the object.
  const start = "suffix" in r ? Math.max(0, size - r.suffix) : r.start;
  const end = "suffix" in r ? size - 1 : Math.min(r.end, size - 1);
  const first = ranged && obj.body && start <= end
    ? { start, end: Math.min(end, start + blockSize - 1), span: { offset: start, body: obj.body } }
    : undefined;
  if (!first) obj.body?.cancel().catch(() => {});

  const etag = obj.etag;
  const openSpan = async (from: number, to: number, signal: AbortSignal): Promise<Span> => {
    if (signal.aborted) throw signal.reason;
    const part = await bucket.get(key, {
      range: { offset: from, length: to - from + 1 },
      onlyIf: { etagMatches: etag },
    });
    if (!part) throw new OriginChangedError(key, obj.httpEtag, "the object was deleted");
    if (!part.body) throw new OriginChangedError(key, obj.httpEtag, `ETag ${obj.httpEtag} no longer matches`);
    if (part.size !== size) {
      part.body.cancel().catch(() => {});
      throw new OriginChangedError(key, obj.httpEtag, `size ${size} became ${part.size}`);
    }
    // The binding has no per-request abort: cancel the body when the reader goes away.
    const body = part.body;
    signal.addEventListener("abort", () => body.cancel().catch(() => {}), { once: true });
    return { offset: from, body };
  };

  const reader = readerOf(openSpan, size, first);
  const type = options.type ?? obj.httpMetadata?.contentType;
  return {
    size,
    name: options.name ?? (key.split("/").pop() || undefined),
    type: type && !/^(application|binary)\/octet-stream\b/i.test(type) ? type : undefined,
    lastModified: obj.uploaded.getTime(),
    etag: obj.httpEtag,
    read: reader.read,
    close: reader.close,
  };
}
