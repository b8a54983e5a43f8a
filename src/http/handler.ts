/**
 * handleVideo: one request and one FileLike in, the complete RFC 9110
 * answer out, synchronously, with a body that reads lazily. The decision is
 * {@linkcode planResponse}'s; this module is the Fetch writer that carries it
 * out with a `Response`.
 *
 * @module
 */

import { bodyStream } from "./body.ts";
import type { FileLike } from "./file_like.ts";
import type { BodySegment } from "./multipart.ts";
import { fileSpans, planResponse } from "./plan.ts";
import type { ByteRange } from "./range.ts";
import { readSmallSpan } from "./sync_read.ts";

/** Options of {@linkcode handleVideo} and {@linkcode planResponse}. */
export interface HandleVideoOptions {
  /** Content-Type; by default the FileLike's `type`, else from the name's extension, else `application/octet-stream`. */
  contentType?: string;
  /** Cache-Control value, sent on 200, 206 and 304. None by default. */
  cacheControl?: string;
  /** Adds Content-Disposition of this type, with `filename` (default: the file's name). */
  disposition?: "inline" | "attachment";
  /** File name for Content-Disposition; non-ASCII names are encoded per RFC 8187. */
  filename?: string;
  /**
   * Extra headers (CORS, Vary, ...) sent on every response, including 304,
   * 412 and 416. Framing headers (`FRAMING_HEADERS`) are the
   * handler's and are dropped from here on every status.
   */
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
  let plan;
  try {
    plan = planResponse({ method: req.method, header: (name) => req.headers.get(name) }, file, options);
  } catch (err) {
    closeQuietly(file);
    throw err;
  }
  const headers = new Headers();
  for (const [name, value] of plan.headers) headers.append(name, value);
  const { status, body } = plan;
  if (body === null) {
    closeQuietly(file);
    return new Response(null, { status, headers });
  }
  return send(file, status, headers, body, options);
}

function send(
  file: FileLike,
  status: number,
  headers: Headers,
  segments: BodySegment[],
  options: HandleVideoOptions,
): Response {
  options.onSend?.(fileSpans(segments), status as 200 | 206);
  const [only] = segments;
  // Only single spans take the Blob path: Bun 1.4 silently drops file-backed
  // parts from a Blob composed with `new Blob([...])`, so multipart bodies
  // always go through the chunk iterator.
  if (segments.length === 1 && !("bytes" in only)) {
    const bytes = readSmallSpan(file, only);
    if (bytes) {
      closeQuietly(file);
      return new Response(bytes, { status, headers });
    }
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

/**
 * Closes a FileLike and ignores how that goes: a close that fails or throws
 * must not turn an answer into a crash.
 *
 * @example
 * ```ts ignore
 * closeQuietly(file);
 * ```
 */
export function closeQuietly(file: FileLike): void {
  try {
    Promise.resolve(file.close?.()).catch(() => {});
  } catch {
    // A close that throws synchronously must not turn an answer into a crash.
  }
}
