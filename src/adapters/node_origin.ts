/**
 * The origin transport `fromUrl` uses on Node: `node:http`/`node:https`
 * `request` over a keep-alive agent, instead of the global `fetch`, whose
 * undici body stream caps a download from a local origin at a fraction of
 * a local file's throughput (bench/origin_vs_local.ts). The answer is
 * Fetch-shaped (a status, a header lookup, a `ReadableStream` body), so the
 * validation in http_origin.ts is the same for both transports.
 *
 * The modules are taken with `process.getBuiltinModule` rather than
 * imported, so bundles for runtimes without `node:http` (Workers) never
 * see them; a Node without it (before 20.16) keeps the fetch path.
 *
 * @module
 */

import type * as Http from "node:http";
import type * as Https from "node:https";
import { MAX_CHUNK } from "../http/chunk_size.ts";

/** What an origin answered: enough of a Fetch `Response` for fromUrl. */
export interface OriginResponse {
  /** The HTTP status. */
  readonly status: number;
  /** Header lookup by case-insensitive name; `null` when absent. */
  readonly headers: { get(name: string): string | null };
  /** The body; `null` when there is none. */
  readonly body: ReadableStream<Uint8Array> | null;
}

/** One GET to an origin: the transport fromUrl injects into its requests. */
export type OriginTransport = (
  url: string,
  init: { headers: Record<string, string>; signal?: AbortSignal },
) => Promise<OriginResponse>;

const MAX_REDIRECTS = 20;
/** Bytes of a body held before the socket is paused: the largest chunk a local file's body sends. */
const HOLD = MAX_CHUNK;
/** Headers a cross-origin redirect must not carry on (as fetch drops them). */
const CREDENTIALS = ["authorization", "cookie", "proxy-authorization"];

/** A body stream, and how to error it (an abort after the head arrived). */
interface Body {
  stream: ReadableStream<Uint8Array>;
  fail(err: unknown): void;
}

interface Modules {
  http: typeof Http;
  https: typeof Https;
  agents: { "http:": Http.Agent; "https:": Http.Agent };
}
let modules: Modules | undefined;

/**
 * The node:http transport when running on Node (not Deno or Bun, whose
 * fetch is fast), else `undefined`.
 *
 * @example
 * ```ts ignore
 * import { nodeOriginTransport } from "./node_origin.ts";
 * const get = nodeOriginTransport();
 * const res = await get?.("http://127.0.0.1:8080/movie.mp4", { headers: { range: "bytes=0-99" } });
 * console.log(res?.status, res?.headers.get("content-range"));
 * ```
 */
export function nodeOriginTransport(): OriginTransport | undefined {
  const g = globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } };
  if ("Bun" in globalThis || "Deno" in globalThis || !g.process?.versions?.node) return undefined;
  if (!modules) {
    const load = g.process.getBuiltinModule;
    if (typeof load !== "function") return undefined;
    const http = load("node:http") as typeof Http;
    const https = load("node:https") as typeof Https;
    // Keep-alive: a seek or a resume reuses the connection the last span left idle.
    const agents = { "http:": new http.Agent({ keepAlive: true }), "https:": new https.Agent({ keepAlive: true }) };
    modules = { http, https, agents };
  }
  return nodeGet;
}

/** GETs `url`, following redirects as fetch's `redirect: "follow"` does. */
async function nodeGet(url: string, init: Parameters<OriginTransport>[1]): Promise<OriginResponse> {
  let target = new URL(url);
  let headers = init.headers;
  for (let hops = 0;; hops++) {
    const res = await send(target, headers, init.signal);
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
  const { http, https, agents } = modules!;
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
function bodyOf(req: Http.ClientRequest, res: Http.IncomingMessage, settle: () => void): Body {
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

function lookup(headers: Http.IncomingHttpHeaders): OriginResponse["headers"] {
  return {
    get(name) {
      const v = headers[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
    },
  };
}
