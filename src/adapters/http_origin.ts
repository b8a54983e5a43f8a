/**
 * `fromUrl`: a {@linkcode FileLike} over any HTTP origin that honours Range
 * — S3, R2 and GCS presigned URLs, nginx, another ranged server — so any
 * number of stateless instances can serve one library. Uses only `fetch`
 * and `AbortController`: it runs on Deno, Node, Bun and edge runtimes.
 *
 * @example
 * ```ts ignore
 * import { handleVideo } from "@ranged/video";
 * import { fromUrl } from "@ranged/video/origin";
 * Deno.serve(async (req) => {
 *   const path = new URL(req.url).pathname;
 *   const file = await fromUrl(`https://media.example.com${path}`, { request: req });
 *   return handleVideo(req, file, { cacheControl: "public, max-age=31536000, immutable" });
 * });
 * ```
 *
 * @module
 */

import type { BlockReader, Span } from "../remote/block_reader.ts";
import { weakMatch } from "../http/conditional.ts";
import { FileNotFoundError } from "../http/errors.ts";
import type { FileLike } from "../http/file_like.ts";
import { formatHttpDate, parseHttpDate } from "../http/http_date.ts";
import { OriginChangedError, OriginError } from "../remote/origin_errors.ts";
import { type ProbeRange, rangeHeader } from "../remote/probe_range.ts";
import { remoteSetup, type RemoteSourceOptions } from "../remote/remote_source.ts";
import { withRetries } from "../remote/retry.ts";

export { OriginChangedError, OriginError } from "../remote/origin_errors.ts";
export type { RemoteSourceOptions } from "../remote/remote_source.ts";

/** Options of {@linkcode fromUrl}: those of every remote source, and the HTTP ones. */
export interface FromUrlOptions extends RemoteSourceOptions {
  /**
   * The fetch to use (a mock, one with a dispatcher, a service binding). Default: the global fetch.
   * It may answer with any {@linkcode OriginResponse}, a Fetch `Response` or a lighter object.
   */
  fetch?: (input: string, init: RequestInit) => Promise<OriginResponse>;
  /** Extra headers for every origin request (Authorization, a CDN token, ...). */
  headers?: HeadersInit;
}

/**
 * What fromUrl needs of an origin's answer: a status, a header lookup and
 * the body. A Fetch `Response` is one; so is a thinner wrapper over another
 * HTTP client.
 *
 * @example
 * ```ts ignore
 * import type { OriginResponse } from "@ranged/video/origin";
 * const empty: OriginResponse = { status: 404, headers: new Headers(), body: null };
 * ```
 */
export interface OriginResponse {
  /** The HTTP status. */
  readonly status: number;
  /** Header lookup by case-insensitive name; `null` when absent. */
  readonly headers: { get(name: string): string | null };
  /** The body; `null` when there is none. */
  readonly body: ReadableStream<Uint8Array> | null;
}

interface OriginMeta {
  size: number;
  etag?: string;
  lastModified?: number;
  type?: string;
}

/**
 * Opens `url` as a {@linkcode FileLike}. One request learns the size, ETag,
 * Last-Modified and Content-Type: a Range GET for the whole span the
 * client's `request` asks for (one byte for HEAD), whose body then becomes
 * the response body as the client pulls it, so a download or a seek costs
 * one origin request, resumed from the byte reached if the origin's body is
 * cut. Positional reads (several ranges, derived files) are Range GETs of
 * `blockSize` bytes with the next block fetched ahead, at most two blocks
 * in memory.
 *
 * Every later request carries `If-Match` with the origin's strong ETag (or
 * `If-Unmodified-Since` when the ETag is weak or absent), so an object
 * replaced at the origin makes reads reject with
 * {@linkcode OriginChangedError} rather than splice two versions. The
 * FileLike's ETag is the origin's, so every instance serving the object
 * sends the same validators (a weak origin ETag stays weak, and If-Range
 * then never matches it, as RFC 9110 requires).
 *
 * An origin that ignores Range (answers 200) is read as one stream, never
 * buffered whole. A missing object (404, 410) rejects with
 * {@linkcode FileNotFoundError}; other failures reject with
 * {@linkcode OriginError}. `close()`, which the handler calls when the
 * response ends or the client leaves, aborts origin requests in flight.
 *
 * @example Serve a presigned S3 URL
 * ```ts ignore
 * import { handleVideo } from "@ranged/video";
 * import { fromUrl } from "@ranged/video/origin";
 * const presigned = "https://bucket.s3.amazonaws.com/movie.mp4?X-Amz-Signature=...";
 * Deno.serve(async (req) => handleVideo(req, await fromUrl(presigned, { request: req })));
 * ```
 */
// Long on purpose: the first request teaches the size and validators that every later span request
// (openSpan) checks; one closure keeps them together instead of threading them through helpers.
export async function fromUrl(url: string | URL, options: FromUrlOptions = {}): Promise<FileLike> {
  const href = String(url);
  const doFetch = options.fetch ?? ((input: string, init: RequestInit) => fetch(input, init));
  // The first request asks for the client's whole span, which a sequential body then streams from.
  const { blockSize, plan, retry, reader: readerOf, stream: streamOf } = remoteSetup(options, { whole: true });

  const request = (extra: Record<string, string>, signal?: AbortSignal) => {
    const headers = new Headers(options.headers);
    // Ranges count bytes of the representation as stored: no transfer compression.
    headers.set("accept-encoding", "identity");
    for (const [k, v] of Object.entries(extra)) headers.set(k, v);
    return doFetch(href, { method: "GET", headers, signal, redirect: "follow" });
  };

  const probe = (range: ProbeRange | undefined) =>
    withRetries(async () => {
      const res = await request(range ? { range: rangeHeader(range) } : {}, options.signal);
      if (res.status === 206 || res.status === 200 || res.status === 416) return res;
      await discard(res);
      if (res.status === 404 || res.status === 410) throw new FileNotFoundError(href);
      throw statusError(res, href);
    }, retry);

  let res = await probe(plan.range);
  if (res.status === 416) {
    // Empty object, or the client's range starts past the end: ask for the whole thing plainly.
    await discard(res);
    res = await probe(undefined);
    if (res.status === 416) throw statusError(res, href);
  }
  checkEncoding(res, href);
  const meta = metaOf(res, href, options);
  const crange = res.status === 206 ? parseContentRange(res.headers.get("content-range")) : undefined;
  if (res.status === 206 && (!crange || crange.size !== meta.size)) {
    await discard(res);
    throw new OriginError(`${href}: unusable Content-Range ${res.headers.get("content-range")}`);
  }
  // A 200 to a Range request: the origin ignores Range, read it as one stream.
  let first: { span: Span; end: number } | undefined = {
    span: {
      offset: crange?.start ?? 0,
      body: res.body ?? new ReadableStream(),
      sequential: res.status === 200 && !!plan.range,
    },
    end: crange?.end ?? meta.size - 1,
  };
  /** The first answer, for whoever reads first; later readers make their own requests. */
  const takeFirst = () => {
    const taken = first;
    first = undefined;
    return taken;
  };

  const conditions: Record<string, string> = {};
  if (meta.etag !== undefined && !meta.etag.startsWith("W/")) conditions["if-match"] = meta.etag;
  else if (meta.lastModified !== undefined) conditions["if-unmodified-since"] = formatHttpDate(meta.lastModified);

  const openSpan = async (from: number, to: number, signal: AbortSignal): Promise<Span> => {
    const res = await request({ ...conditions, range: `bytes=${from}-${to}` }, signal);
    if (res.status === 206 || res.status === 200) {
      const seen = res.status === 206 ? parseContentRange(res.headers.get("content-range")) : undefined;
      const seenSize = seen?.size ?? contentLength(res);
      const changed = changedDetail(meta, res, seenSize);
      if (changed) {
        await discard(res);
        throw new OriginChangedError(href, meta.etag, changed, { status: res.status });
      }
      checkEncoding(res, href);
      if (res.status === 200) return { offset: 0, body: res.body ?? new ReadableStream(), sequential: true };
      if (!seen || seen.start > from) {
        await discard(res);
        throw new OriginError(`${href}: asked bytes ${from}-${to}, got ${res.headers.get("content-range")}`);
      }
      return { offset: seen.start, body: res.body ?? new ReadableStream() };
    }
    await discard(res);
    if (res.status === 412 || res.status === 416 || res.status === 404 || res.status === 410) {
      throw new OriginChangedError(href, meta.etag, `origin answered ${res.status}`, { status: res.status });
    }
    throw statusError(res, href);
  };

  let reader: BlockReader | undefined;
  const close = () => {
    takeFirst()?.span.body.cancel().catch(() => {});
    reader?.close();
  };
  return {
    size: meta.size,
    name: options.name ?? nameOf(href),
    type: meta.type,
    lastModified: meta.lastModified,
    etag: meta.etag,
    read(into, position) {
      if (!reader) {
        // The block reader keeps one block of the first answer; past it, blocks of their own.
        const open = takeFirst();
        const start = open?.span.offset ?? 0;
        const warm = open && { start, end: Math.min(open.end, start + blockSize - 1), span: open.span };
        reader = readerOf(openSpan, meta.size, warm);
      }
      return reader.read(into, position);
    },
    // A span read from start to end (what the handler sends for one range) streams from one request.
    stream: (start, end) => streamOf(openSpan, start, end, { first: takeFirst(), onClose: close }),
    close,
  };
}

function metaOf(res: OriginResponse, href: string, options: FromUrlOptions): OriginMeta {
  const h = res.headers;
  let size: number | undefined;
  if (res.status === 206) size = parseContentRange(h.get("content-range"))?.size;
  else size = contentLength(res);
  if (size === undefined) {
    res.body?.cancel().catch(() => {});
    throw new OriginError(`${href}: the origin told no size (no Content-Range, no Content-Length)`);
  }
  const lm = h.get("last-modified");
  const type = h.get("content-type") ?? undefined;
  return {
    size,
    etag: h.get("etag") ?? undefined,
    lastModified: lm ? parseHttpDate(lm) : undefined,
    // Buckets label untyped uploads octet-stream; the file name then knows better.
    type: options.type ?? (type && !/^(application|binary)\/octet-stream\b/i.test(type) ? type : undefined),
  };
}

/** What changed between the first answer and this one, or undefined. */
function changedDetail(meta: OriginMeta, res: OriginResponse, size: number | undefined): string | undefined {
  const etag = res.headers.get("etag");
  if (meta.etag !== undefined && etag !== null && !weakMatch(meta.etag, etag)) {
    return `ETag ${meta.etag} became ${etag}`;
  }
  if (size !== undefined && size !== meta.size) return `size ${meta.size} became ${size}`;
  const lm = res.headers.get("last-modified");
  const lastModified = lm ? parseHttpDate(lm) : undefined;
  if (meta.lastModified !== undefined && lastModified !== undefined && lastModified !== meta.lastModified) {
    return `Last-Modified ${formatHttpDate(meta.lastModified)} became ${lm}`;
  }
  return undefined;
}

/** Parses `bytes first-last/size`; a `*` size is unusable here. */
function parseContentRange(value: string | null): { start: number; end: number; size: number } | undefined {
  const m = value ? /^\s*bytes\s+(\d+)-(\d+)\/(\d+)\s*$/i.exec(value) : null;
  if (!m) return undefined;
  const [start, end, size] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return Number.isSafeInteger(size) && start <= end && end < size ? { start, end, size } : undefined;
}

function contentLength(res: OriginResponse): number | undefined {
  const v = res.headers.get("content-length");
  const n = v !== null && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) ? n : undefined;
}

function checkEncoding(res: OriginResponse, href: string): void {
  const enc = res.headers.get("content-encoding");
  if (enc && enc.trim().toLowerCase() !== "identity") {
    res.body?.cancel().catch(() => {});
    throw new OriginError(`${href}: the origin sent Content-Encoding ${enc} despite Accept-Encoding: identity`);
  }
}

function statusError(res: OriginResponse, href: string): OriginError {
  const s = res.status;
  return new OriginError(`${href}: origin answered ${s}`, { status: s, retryable: s >= 500 || s === 429 || s === 408 });
}

async function discard(res: OriginResponse): Promise<void> {
  await res.body?.cancel().catch(() => {});
}

function nameOf(href: string): string | undefined {
  try {
    const last = new URL(href).pathname.split("/").pop();
    return last ? decodeURIComponent(last) : undefined;
  } catch {
    return undefined;
  }
}
