/**
 * A fetch-shaped origin client on `node:http`/`node:https` `request` over a
 * keep-alive agent, for `fromUrl`'s `fetch` option. Built to test whether
 * skipping undici's fetch speeds up a Node edge reading a local origin; on
 * the shared 2-core machine it measured no faster than the global fetch
 * (bench/origin_vs_local.ts, the `node:http` way), so `fromUrl` keeps the
 * global fetch by default and this stays opt-in.
 *
 * @module
 */

import * as http from "node:http";
import * as https from "node:https";
import { MAX_CHUNK } from "../http/chunk_size.ts";
import type { OriginResponse } from "./http_origin.ts";

const MAX_REDIRECTS = 20;
/** Bytes of a body held before the socket is paused: the largest chunk a local file's body sends. */
const HOLD = MAX_CHUNK;
/** Headers a cross-origin redirect must not carry on (as fetch drops them). */
const CREDENTIALS = ["authorization", "cookie", "proxy-authorization"];
// Keep-alive: a seek or a resume reuses the connection the last span left idle.
const agents = { "http:": new http.Agent({ keepAlive: true }), "https:": new https.Agent({ keepAlive: true }) };

/** A body stream, and how to error it (an abort after the head arrived). */
interface Body {
  stream: ReadableStream<Uint8Array>;
  fail(err: unknown): void;
}

/**
 * GETs `input` with `init`'s headers and signal, following redirects as
 * fetch's `redirect: "follow"` does. The body streams as the consumer
 * pulls, at most 1 MiB held; cancelling it destroys the request and its
 * socket.
 *
 * @example
 * ```ts ignore
 * import { fromUrl } from "@ranged/video/origin";
 * import { nodeFetch } from "./node_origin.ts";
 * const file = await fromUrl("http://127.0.0.1:8080/movie.mp4", { fetch: nodeFetch });
 * ```
 */
export function nodeFetch(input: string, init: RequestInit = {}): Promise<OriginResponse> {
  const headers = Object.fromEntries(new Headers(init.headers));
  return follow(input, headers, init.signal ?? undefined);
}

/** GETs `url`, following redirects. */
async function follow(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<OriginResponse> {
  let target = new URL(url);
  for (let hops = 0;; hops++) {
    const res = await send(target, headers, signal);
    const location = res.headers.get("location");
    if (![301, 302, 303, 307, 308].includes(res.status) || location === null) return res;
    await res.body?.cancel();
    if (hops >= MAX_REDIRECTS) throw new TypeError(`${url}: more than ${MAX_REDIRECTS} redirects`);
    const next = new URL(location, target);
    if (next.protocol !== "http:" && next.protocol !== "https:") throw new TypeError(`${url}: redirect to ${next}`);
    if (next.origin !== target.origin) {
      headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !CREDENTIALS.includes(k.toLowerCase())));
    }
    target = next;
  }
}

/** One request; resolves with the answer's head, its body streamed as the consumer pulls. */
function send(url: URL, headers: Record<string, string>, signal?: AbortSignal): Promise<OriginResponse> {
  const secure = url.protocol === "https:";
  if (!secure && url.protocol !== "http:") return Promise.reject(new TypeError(`unsupported URL ${url}`));
  signal?.throwIfAborted();
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(url, {
      method: "GET",
      headers,
      agent: agents[url.protocol as "http:" | "https:"],
    });
    let body: Body | undefined;
    const onAbort = () => {
      const reason = signal?.reason ?? new DOMException("aborted", "AbortError");
      req.destroy(reason);
      reject(reason);
      body?.fail(reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    const settle = () => signal?.removeEventListener("abort", onAbort);
    req.once("error", (err) => (settle(), reject(err)));
    req.once("response", (res) => {
      body = bodyOf(req, res, settle);
      resolve({ status: res.statusCode ?? 0, headers: lookup(res.headers), body: body.stream });
    });
    req.end();
  });
}

/**
 * The answer's body as a stream that hands over everything received since
 * the last pull as one chunk (a slow consumer gets chunks as large as a
 * local file's, a fast one gets each as it arrives), holding at most
 * `HOLD` bytes: past that the socket is paused, so a slow client slows the
 * origin instead of filling memory. Cancelling destroys the request and
 * its socket.
 */
// Long on purpose: the socket's events and the stream's pulls share the held bytes and one waiter.
function bodyOf(req: http.ClientRequest, res: http.IncomingMessage, settle: () => void): Body {
  let parts: Uint8Array[] = [];
  let held = 0;
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const woken = () => (wake?.(), wake = undefined);
  res.on("data", (chunk: Uint8Array) => {
    parts.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    held += chunk.byteLength;
    if (held >= HOLD) res.pause();
    woken();
  });
  const fail = (err: unknown) => {
    settle();
    failure ??= err;
    woken();
  };
  res.once("end", () => (settle(), ended = true, woken()));
  // A connection cut mid-body: IncomingMessage reports it as "aborted" (Node 20) or an error.
  res.once("error", fail);
  res.once("aborted", () => fail(new Error("origin connection closed mid-body")));
  const stream = new ReadableStream<Uint8Array>({
    async pull(c) {
      if (held === 0 && !ended && failure === undefined) await new Promise<void>((r) => wake = r);
      if (held > 0) {
        // Bytes received before a cut go first: the span reader then resumes from the byte reached.
        c.enqueue(parts.length === 1 ? parts[0] : joined(parts, held));
        parts = [];
        held = 0;
        if (!ended) res.resume();
      } else if (failure !== undefined) c.error(failure);
      else c.close();
    },
    cancel() {
      settle();
      req.destroy();
    },
  }, { highWaterMark: 0 });
  return { stream, fail };
}

function joined(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) out.set(p, (at += p.byteLength) - p.byteLength);
  return out;
}

function lookup(headers: http.IncomingHttpHeaders): OriginResponse["headers"] {
  return {
    get(name) {
      const v = headers[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
    },
  };
}
