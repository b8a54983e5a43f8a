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
/** Headers a cross-origin redirect must not carry on (as fetch drops them). */
const CREDENTIALS = ["authorization", "cookie", "proxy-authorization"];

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
    let body: ReadableStreamDefaultController<Uint8Array> | undefined;
    const onAbort = () => {
      const reason = signal?.reason ?? new DOMException("aborted", "AbortError");
      req.destroy(reason);
      reject(reason);
      try {
        body?.error(reason);
      } catch { /* already closed */ }
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    const settle = () => signal?.removeEventListener("abort", onAbort);
    req.once("error", (err) => (settle(), reject(err)));
    req.once("response", (res) => {
      resolve({ status: res.statusCode ?? 0, headers: lookup(res.headers), body: bodyOf(req, res, settle, (c) => body = c) });
    });
    req.end();
  });
}

/**
 * The answer's body as a stream holding about one chunk: the socket is
 * paused while the consumer is behind, so a slow client slows the origin
 * instead of filling memory. Cancelling destroys the request and its socket.
 */
function bodyOf(
  req: Http.ClientRequest,
  res: Http.IncomingMessage,
  settle: () => void,
  expose: (c: ReadableStreamDefaultController<Uint8Array>) => void,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(c) {
      expose(c);
      res.on("data", (chunk: Uint8Array) => {
        c.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((c.desiredSize ?? 0) <= 0) res.pause();
      });
      res.once("end", () => {
        settle();
        c.close();
      });
      // A connection cut mid-body: IncomingMessage reports it as "aborted" (Node 20) or an error.
      const cut = (err?: Error) => {
        settle();
        try {
          c.error(err ?? new Error("origin connection closed mid-body"));
        } catch { /* already closed or errored */ }
      };
      res.once("error", cut);
      res.once("aborted", () => cut());
    },
    pull() {
      res.resume();
    },
    cancel() {
      settle();
      req.destroy();
    },
  }, { highWaterMark: 1 });
}

function lookup(headers: Http.IncomingHttpHeaders): OriginResponse["headers"] {
  return {
    get(name) {
      const v = headers[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
    },
  };
}
