/**
 * The two halves of the node:http ↔ Fetch bridge: a node request as a Fetch
 * `Request` whose `AbortSignal` fires when the client disconnects, and a
 * Fetch `Response` written to a `ServerResponse` with backpressure and
 * cancelled on disconnect. Used by `toNodeListener` and by the directory
 * listener for the answers that are not files.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { BadRequestError } from "../http/errors.ts";
import { targetUrl } from "../http/request_target.ts";
import { BUFFERS, firstReadSize, ReadPacer } from "../http/read_pacer.ts";
import { giveBuffer, takeBuffer } from "./buffer_pool.ts";
import { localAuthority } from "./node_request_head.ts";

/**
 * Builds a Fetch `Request` from a node request. The body streams for
 * methods that have one; `signal` should abort when the client goes away.
 * Throws {@linkcode BadRequestError} for a request target or Host that
 * must be answered 400 (see `targetUrl`).
 *
 * @example
 * ```ts ignore
 * import { toRequest } from "@ranged/video/node";
 * const request = toRequest(incomingMessage, new AbortController().signal);
 * ```
 */
export function toRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  const hosts: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    headers.append(raw[i], raw[i + 1]);
    if (raw[i].length === 4 && raw[i].toLowerCase() === "host") hosts.push(raw[i + 1]);
  }
  const url = targetUrl(req.url ?? "", hosts, req.httpVersion, localAuthority(req));
  if (url === undefined) throw new BadRequestError(`malformed request target or Host: ${req.url}`);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const request = new Request(url, {
    method: req.method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    // @ts-ignore: required by undici for streaming request bodies, unknown to the DOM types.
    duplex: hasBody ? "half" : undefined,
  });
  // Handing `signal` to undici's constructor makes it build and link a
  // signal of its own, which costs more than the rest of the request on
  // Node 20; the caller's signal itself is what handlers need.
  Object.defineProperty(request, "signal", { value: signal, enumerable: true });
  return request;
}

/**
 * Writes a Fetch `Response` to a node `ServerResponse`: status, headers
 * (Set-Cookie kept as separate lines), then the body chunk by chunk,
 * waiting for `drain` whenever the socket's buffer is full. When `signal`
 * aborts, the body stream is cancelled, which closes the file behind it.
 *
 * @example
 * ```ts ignore
 * import { writeResponse } from "@ranged/video/node";
 * await writeResponse(new Response("hi"), serverResponse, new AbortController().signal);
 * ```
 */
export async function writeResponse(response: Response, res: ServerResponse, signal: AbortSignal): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  const body = response.body;
  // node:http frames a body it cannot measure as chunked, even an empty one: an answer
  // without a body that may carry one (not 1xx, 204 or 304) says its length is 0.
  if (body === null && headers["content-length"] === undefined && !bodiless(response.status)) {
    headers["content-length"] = "0";
  }
  res.writeHead(response.status, response.statusText || undefined, headers);
  if (body === null) {
    res.end();
    return;
  }
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream: read whatever chunks it makes.
  }
  const reader = byob ?? body.getReader();
  const onAbort = () => {
    reader.cancel().catch(() => {});
  };
  if (signal.aborted) onAbort();
  signal.addEventListener("abort", onAbort, { once: true });
  // Read from the response's headers: node's getHeader knows nothing of what writeHead was given.
  const declared = Number(headers["content-length"] ?? NaN);
  try {
    const sent = byob
      ? await pumpIntoBuffers(byob, res, signal, declared)
      : await pumpChunks(reader as ReadableStreamDefaultReader<Uint8Array>, res, signal);
    if (signal.aborted) return;
    // A body that ends before its Content-Length (a Blob over a file that
    // shrank) must not look finished: node would keep the connection open
    // and the client would wait for bytes that never come.
    if (sent < declared) res.destroy();
    else res.end();
  } catch {
    // The body failed mid-way (a truncated file): cut the connection so the
    // client sees an incomplete response instead of a silently short one.
    res.destroy();
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** Statuses whose responses never carry a body, nor a length for one. */
function bodiless(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}

async function pumpChunks(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  res: ServerResponse,
  signal: AbortSignal,
): Promise<number> {
  let sent = 0;
  while (!signal.aborted) {
    const { done, value } = await reader.read();
    if (done) break;
    sent += value.length;
    if (!res.write(value) && !res.destroyed) await drained(res, signal);
  }
  return sent;
}

/**
 * Reads a byte stream into at most two pooled buffers at a time, each given
 * back once the socket has flushed it (the write callback), so a response
 * allocates nothing per chunk. The read size follows how fast the socket
 * flushes (the same pacing rule as the chunk iterator): fast clients get
 * 1 MiB reads, slow viewers hold a few KiB.
 */
async function pumpIntoBuffers(
  reader: ReadableStreamBYOBReader,
  res: ServerResponse,
  signal: AbortSignal,
  length: number,
): Promise<number> {
  // The length comes from the caller: asked of getHeader, it was empty after writeHead and a
  // 1 MiB range cost sixteen reads of 64 KiB (0.7k against 1.5k requests/s in bench B).
  const pacer = new ReadPacer(firstReadSize(length));
  let sent = 0;
  let writing = 0;
  let wake: (() => void) | undefined;
  const onAbort = () => wake?.();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    while (!signal.aborted) {
      while (writing >= BUFFERS && !signal.aborted) await new Promise<void>((r) => wake = r);
      if (signal.aborted) return sent;
      const size = pacer.size;
      const buf = takeBuffer(size);
      const { done, value } = await reader.read(buf.length === size ? buf : buf.subarray(0, size));
      if (done) {
        if (value) giveBuffer(new Uint8Array(value.buffer));
        return sent;
      }
      sent += value.length;
      writing++;
      const started = performance.now();
      res.write(value, () => {
        writing--;
        const now = performance.now();
        pacer.flushedChunk(value.length, now - started, now);
        giveBuffer(new Uint8Array(value.buffer));
        wake?.();
      });
    }
    return sent;
  } finally {
    pacer.done();
    signal.removeEventListener("abort", onAbort);
  }
}

function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    res.on("drain", done);
    signal.addEventListener("abort", done, { once: true });
  });
}
