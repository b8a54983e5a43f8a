/**
 * handleVideo: one request and one FileLike in, the complete RFC 9110
 * answer out, synchronously, with a body that reads lazily.
 *
 * @module
 */

import { bodyStream } from "./body.ts";
import { defaultETag, evaluatePreconditions, ifRangeHolds, type Validators } from "./conditional.ts";
import { contentDisposition } from "./disposition.ts";
import { InvalidFileError } from "./errors.ts";
import type { FileLike } from "./file_like.ts";
import { formatHttpDate } from "./http_date.ts";
import { contentTypeFor } from "./media_types.ts";
import { type BodySegment, type MultipartLayout, multipartLayout } from "./multipart.ts";
import { type ByteRange, coalesceRanges, parseRange, rangesLength } from "./range.ts";

/** Options of {@linkcode handleVideo}. */
export interface HandleVideoOptions {
  /** Content-Type; by default the FileLike's `type`, else from the name's extension, else `application/octet-stream`. */
  contentType?: string;
  /** Cache-Control value, sent on 200, 206 and 304. None by default. */
  cacheControl?: string;
  /** Adds Content-Disposition of this type, with `filename` (default: the file's name). */
  disposition?: "inline" | "attachment";
  /** File name for Content-Disposition; non-ASCII names are encoded per RFC 8187. */
  filename?: string;
  /** Extra headers (CORS, Vary, ...) sent on every response, including 304, 412 and 416. */
  headers?: HeadersInit;
  /** Fixed read size in bytes; by default it adapts to each client's pace (16 KiB to 1 MiB). */
  chunkSize?: number;
  /** Most ranges (after coalescing) one request may ask for; beyond, the whole file is sent with 200. Default 100. */
  maxRanges?: number;
  /**
   * Longest range one response sends. A longer range is answered with a
   * shorter 206 that starts where asked (clients ask again from there), and a
   * multi-range request longer than this gets its first range only. Off by default.
   */
  maxRangeLength?: number;
  /** Send and evaluate an ETag. Default true. */
  etag?: boolean;
  /** Send and evaluate Last-Modified. Default true. */
  lastModified?: boolean;
  /**
   * Told, once and before the body starts, which spans of the file a 200 or
   * 206 body will carry, in order: one for a whole file or a single range, one
   * per part of a multipart body. Not called when no file bytes are sent (HEAD,
   * 304, 412, 416, 405). serveDir's live range map uses it instead of
   * re-deriving the handler's choices from the request.
   */
  onSend?: (spans: readonly ByteRange[], status: 200 | 206) => void;
}

const DEFAULT_MAX_RANGES = 100;

/**
 * Answers a GET or HEAD for `file` with the complete range and conditional
 * semantics of RFC 9110: 200, 206 (single or multipart/byteranges), 304,
 * 412, 416 and 405, with ETag, Last-Modified, Accept-Ranges and an exact
 * Content-Length.
 *
 * It returns at once: status and headers come from the file's metadata, and
 * the body reads the file only as the client consumes it. The handler owns
 * `file`: it calls `file.close()` exactly once, when the body is done, when
 * the client goes away, or immediately for responses without a body.
 *
 * @example With Deno.serve
 * ```ts ignore
 * import { handleVideo } from "@ranged/video";
 * import { openFile } from "@ranged/video/fs";
 * Deno.serve(async (req) => handleVideo(req, await openFile("./movie.mp4")));
 * ```
 *
 * @example In memory
 * ```ts
 * import { fromBytes, handleVideo } from "@ranged/video";
 * const file = fromBytes(new TextEncoder().encode("0123456789"), { name: "digits.txt" });
 * const res = handleVideo(new Request("http://x/", { headers: { range: "bytes=-3" } }), file);
 * console.log(res.status, res.headers.get("content-range"), await res.text()); // 206 "bytes 7-9/10" "789"
 * ```
 */
export function handleVideo(req: Request, file: FileLike, options: HandleVideoOptions = {}): Response {
  const size = file.size;
  if (!Number.isSafeInteger(size) || size < 0) {
    closeQuietly(file);
    throw new InvalidFileError(`FileLike.size must be a non-negative safe integer, got ${size}`);
  }
  const headers = new Headers(options.headers);
  const method = req.method;
  if (method !== "GET" && method !== "HEAD") {
    headers.set("allow", "GET, HEAD");
    return empty(file, 405, headers);
  }

  const validators = validatorsOf(file, options);
  const header = (name: string) => req.headers.get(name);
  const outcome = evaluatePreconditions(method, header, validators);
  if (outcome === "failed") return empty(file, 412, headers);
  if (outcome === "not-modified") {
    setValidators(headers, validators, true);
    if (options.cacheControl) headers.set("cache-control", options.cacheControl);
    return empty(file, 304, headers, false);
  }

  const contentType = options.contentType ?? file.type ?? (file.name && contentTypeFor(file.name)) ??
    "application/octet-stream";
  headers.set("accept-ranges", "bytes");

  // Range applies to GET only (§14.2); a HEAD describes the plain GET.
  const rangeHeader = method === "GET" ? header("range") : null;
  let selection: Selection | undefined;
  if (rangeHeader !== null) {
    const ifRange = header("if-range");
    if (ifRange === null || ifRangeHolds(ifRange, validators)) {
      const parsed = parseRange(rangeHeader, size);
      if (parsed.type === "unsatisfiable") {
        headers.set("content-range", `bytes */${size}`);
        return empty(file, 416, headers);
      }
      if (parsed.type === "ranges") selection = selectRanges(parsed.ranges, size, contentType, options);
    }
  }

  setValidators(headers, validators, false);
  if (options.cacheControl) headers.set("cache-control", options.cacheControl);
  if (options.disposition) {
    headers.set("content-disposition", contentDisposition(options.disposition, options.filename ?? file.name));
  }

  if (selection === undefined) {
    headers.set("content-type", contentType);
    headers.set("content-length", String(size));
    if (method === "HEAD") return empty(file, 200, headers, false);
    return send(file, 200, headers, [{ start: 0, end: size - 1 }], options);
  }
  const { range: r, layout } = selection;
  if (r) {
    headers.set("content-type", contentType);
    headers.set("content-length", String(r.end - r.start + 1));
    headers.set("content-range", `bytes ${r.start}-${r.end}/${size}`);
    return send(file, 206, headers, [r], options);
  }
  headers.set("content-type", layout.contentType);
  headers.set("content-length", String(layout.length));
  return send(file, 206, headers, layout.segments, options);
}

/** What a Range request is answered with: one span, or a multipart body laid out once. */
type Selection = { range: ByteRange; layout?: undefined } | { range?: undefined; layout: MultipartLayout };

/**
 * Coalesces, caps and limits the satisfiable ranges; `undefined` means
 * "send the whole file" (too many parts, or parts plus framing larger than
 * the file: CVE-2011-3192).
 */
function selectRanges(
  requested: ByteRange[],
  size: number,
  contentType: string,
  options: HandleVideoOptions,
): Selection | undefined {
  let ranges = coalesceRanges(requested);
  const cap = options.maxRangeLength;
  if (cap !== undefined && cap > 0) {
    if (ranges.length > 1 && rangesLength(ranges) > cap) ranges = ranges.slice(0, 1);
    if (ranges.length === 1) {
      const [r] = ranges;
      ranges = [{ start: r.start, end: Math.min(r.end, r.start + cap - 1) }];
    }
  }
  if (ranges.length === 1) return { range: ranges[0] };
  if (ranges.length > (options.maxRanges ?? DEFAULT_MAX_RANGES)) return undefined;
  const layout = multipartLayout(ranges, size, contentType);
  return layout.length > size ? undefined : { layout };
}

function validatorsOf(file: FileLike, options: HandleVideoOptions): Validators {
  const mtime = validTime(file.lastModified);
  let etag: string | undefined;
  if (options.etag !== false) {
    etag = file.etag;
    if (etag === undefined && mtime !== undefined) etag = defaultETag(file.size, mtime);
  }
  return { etag, lastModified: options.lastModified === false ? undefined : mtime };
}

function validTime(ms: number | undefined): number | undefined {
  return ms !== undefined && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

function setValidators(headers: Headers, v: Validators, notModified: boolean): void {
  if (v.etag !== undefined) headers.set("etag", v.etag);
  // A 304 carries Last-Modified only when there is no ETag to guide the cache (§15.4.5).
  if (v.lastModified !== undefined && !(notModified && v.etag !== undefined)) {
    headers.set("last-modified", formatHttpDate(v.lastModified));
  }
}

function send(
  file: FileLike,
  status: number,
  headers: Headers,
  segments: BodySegment[],
  options: HandleVideoOptions,
): Response {
  options.onSend?.(segments.filter((s): s is ByteRange => !("bytes" in s)), status as 200 | 206);
  const [only] = segments;
  // Only single spans take the Blob path: Bun 1.4 silently drops file-backed
  // parts from a Blob composed with `new Blob([...])`, so multipart bodies
  // always go through the chunk iterator.
  if (segments.length === 1 && !("bytes" in only)) {
    const blob = file.blob?.();
    if (blob) {
      closeQuietly(file);
      return new Response(blob.slice(only.start, only.end + 1), { status, headers });
    }
    const native = file.stream?.(only.start, only.end);
    if (native) return new Response(native, { status, headers });
  }
  const body = bodyStream(file, segments, { chunkSize: options.chunkSize, onClose: () => file.close?.() });
  return new Response(body, { status, headers });
}

function empty(file: FileLike, status: number, headers: Headers, zeroLength = true): Response {
  closeQuietly(file);
  if (zeroLength) headers.set("content-length", "0");
  return new Response(null, { status, headers });
}

function closeQuietly(file: FileLike): void {
  try {
    Promise.resolve(file.close?.()).catch(() => {});
  } catch {
    // A close that throws synchronously must not turn an answer into a crash.
  }
}
