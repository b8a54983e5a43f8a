/**
 * Starts an HTTP server for a Fetch handler on whichever runtime runs the
 * code: `Deno.serve` on Deno, `node:http` (through the node_http bridge) on
 * Node and on Bun. A serveDir handler is answered there from its routing on
 * the request head (`node_dir.ts`), so file responses are written by the
 * node:http writer without any Fetch object. The CLI uses it; applications
 * that already have a server should pass the handler to it directly instead.
 *
 * Every request gets a complete, dated answer: a malformed request target
 * or Host is answered 400, a method the server does not know 501 with
 * `Allow`, a handler that throws 500, and requests the runtime's parser
 * rejects get a dated 4xx/501 too.
 *
 * @module
 */

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { unsupportedMethod } from "../http/method_check.ts";
import { requestUrl } from "../http/request_target.ts";
import { textResponse } from "../http/text_response.ts";
import type { AccessLog } from "./access_log.ts";
import { answerClientErrors } from "./client_error.ts";
import { dirRouterOf, nodeDirListener } from "./node_dir.ts";
import { type FetchHandler, toNodeListener } from "./node_http.ts";

export type { AccessLog, FetchHandler };

/** Options of {@linkcode listen}. */
export interface ListenOptions {
  /** TCP port; 0 picks a free one. Default 8000. */
  port?: number;
  /** Interface to bind. Default `127.0.0.1`. */
  hostname?: string;
  /**
   * The methods the handler serves, for the `Allow` header of the 501 sent
   * for an unknown method. Default `["GET", "HEAD"]`, what ranged serves.
   */
  allow?: readonly string[];
  /**
   * Deno only: bind with `SO_REUSEPORT` so several processes share the port
   * and the kernel spreads connections over them (Deno 2.9 needs
   * `--unstable-net`). Node and Bun share a port through `node:cluster`
   * instead. Default false.
   */
  reusePort?: boolean;
  /** Records every answered request (the CLI's access log); none by default. */
  log?: AccessLog;
}

/** A running server. */
export interface Listening {
  /** `deno`, `bun` or `node`. */
  readonly runtime: "deno" | "bun" | "node";
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** Base URL, e.g. `http://127.0.0.1:8000/`. */
  readonly url: string;
  /**
   * Stops accepting connections and ends open ones; resolves when done or
   * after `graceMs` (slow clients must not hold a shutdown hostage).
   */
  close(graceMs?: number): Promise<void>;
}

interface DenoServer {
  addr: { port: number };
  shutdown(): Promise<void>;
}
interface DenoLike {
  serve(
    options: { port: number; hostname: string; reusePort?: boolean; onListen?: () => void },
    handler: FetchHandler,
  ): DenoServer;
}

/** The runtime executing this code. */
export function detectRuntime(): "deno" | "bun" | "node" {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  return g.Bun ? "bun" : g.Deno ? "deno" : "node";
}

/**
 * Serves `handler` on the current runtime.
 *
 * @example
 * ```ts ignore
 * import { listen } from "@ranged/video/listen";
 * import { serveDir } from "@ranged/video/serve";
 * const server = await listen(serveDir("./videos"), { port: 8000 });
 * console.log(server.url);
 * ```
 */
export async function listen(handler: FetchHandler, options: ListenOptions = {}): Promise<Listening> {
  const port = options.port ?? 8000;
  const hostname = options.hostname ?? "127.0.0.1";
  const runtime = detectRuntime();
  const allow = options.allow ?? ["GET", "HEAD"];
  const urlFor = (p: number) => `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${p}/`;
  const guarded = guard(handler, allow, options.log);

  if (runtime === "deno") {
    const server: DenoServer = (globalThis as { Deno?: DenoLike }).Deno!.serve(
      { port, hostname, reusePort: options.reusePort, onListen: () => {} },
      (req) => withoutHostOnDeno(req, server.addr.port) ? plain(400, "Bad Request") : guarded(req),
    );
    return {
      runtime,
      port: server.addr.port,
      url: urlFor(server.addr.port),
      close: (graceMs = 2000) => withGrace(server.shutdown(), graceMs),
    };
  }
  // Bun runs Bun's own node:http here, not Bun.serve: Bun.serve (1.4) drops
  // the Content-Length of every streamed body (derived files, --throttle,
  // tracked bodies: oven-sh/bun#10507, and WebKit then downloads a whole
  // video before playing it), ends a failed chunked body with the
  // terminating chunk as if complete, omits Date on HEAD, closes the
  // connection without an answer for an unknown method, and stop() cuts
  // downloads at once. Bun's node:http does none of that.
  // A serveDir handler is answered from its routing on the request head:
  // file responses then go out through the node:http writer, no Fetch object made.
  const route = dirRouterOf(handler);
  const server = createServer(route ? nodeDirListener(route, { log: options.log }) : toNodeListener(guarded));
  answerClientErrors(server, allow.join(", "));
  // No idle cut of a paused download (Bun's default would be 10 s of silence).
  server.timeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    runtime,
    port: bound,
    url: urlFor(bound),
    close: (graceMs = 2000) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Active downloads get the grace period, then are cut.
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      return closed.finally(() => clearTimeout(timer));
    },
  };
}

/**
 * What every server the project starts does before the application
 * handler: a request whose URL or Host cannot be trusted gets 400, an
 * unknown method 501 with Allow (known ones are the handler's to answer),
 * and a handler that throws gets 500 instead of the runtime's bare error.
 */
function guard(handler: FetchHandler, allow: readonly string[], log: AccessLog | undefined): FetchHandler {
  const answer = async (req: Request, url: URL | undefined) => {
    if (url === undefined) return plain(400, "Bad Request");
    const unknown = unsupportedMethod(req.method, allow);
    if (unknown?.status === 501) return unknown;
    try {
      return await handler(req);
    } catch (err) {
      console.error(err);
      return plain(500, "Internal Server Error");
    }
  };
  if (!log) return (req) => answer(req, requestUrl(req));
  return async (req) => {
    const url = requestUrl(req);
    const res = await answer(req, url);
    const target = url ? url.pathname + url.search : req.url;
    log.record(req.method, target, res.status, req.headers.get("range"), res.headers.get("content-range"));
    return res;
  };
}

/**
 * Whether Deno.serve (2.9) received this request without a Host header:
 * it then makes the URL up as `http://localhost:PORT/…` and lets an
 * HTTP/1.1 request through, which RFC 9112 §3.2 says must get 400. The
 * version is not exposed, so an HTTP/1.0 request without Host gets 400 here
 * too (Node and Bun serve it), and so does an h2c request whose
 * `:authority` is exactly `localhost:PORT` (HTTP/2 requests carry no Host).
 */
function withoutHostOnDeno(req: Request, port: number): boolean {
  return !req.headers.has("host") && req.url.startsWith(`http://localhost:${port}/`);
}

function plain(status: number, message: string): Response {
  return textResponse(status, message);
}

function withGrace(done: Promise<void>, graceMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
  return Promise.race([done.catch(() => {}), grace]).finally(() => clearTimeout(timer));
}
