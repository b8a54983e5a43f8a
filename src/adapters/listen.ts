/**
 * Starts an HTTP server for a Fetch handler on whichever runtime runs the
 * code: `Deno.serve` on Deno, `Bun.serve` on Bun, `node:http` (through the
 * node_http bridge) on Node. The CLI uses it; applications that already
 * have a server should pass the handler to it directly instead.
 *
 * @module
 */

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type FetchHandler, toNodeListener } from "./node_http.ts";

export type { FetchHandler };

/** Options of {@linkcode listen}. */
export interface ListenOptions {
  /** TCP port; 0 picks a free one. Default 8000. */
  port?: number;
  /** Interface to bind. Default `127.0.0.1`. */
  hostname?: string;
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
  serve(options: { port: number; hostname: string; onListen?: () => void }, handler: FetchHandler): DenoServer;
}
interface BunServer {
  port: number;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}
interface BunLike {
  serve(options: { port: number; hostname: string; fetch: FetchHandler; idleTimeout?: number }): BunServer;
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
  const urlFor = (p: number) => `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${p}/`;
  const g = globalThis as { Deno?: DenoLike; Bun?: BunLike };

  if (runtime === "deno") {
    const server = g.Deno!.serve({ port, hostname, onListen: () => {} }, handler);
    return {
      runtime,
      port: server.addr.port,
      url: urlFor(server.addr.port),
      close: (graceMs = 2000) => withGrace(server.shutdown(), graceMs),
    };
  }
  if (runtime === "bun") {
    // idleTimeout 0: Bun would otherwise cut a paused video download after 10 s of silence.
    const server = g.Bun!.serve({ port, hostname, fetch: handler, idleTimeout: 0 });
    return {
      runtime,
      port: server.port,
      url: urlFor(server.port),
      close: (graceMs = 2000) => withGrace(Promise.resolve(server.stop(true)), graceMs),
    };
  }
  const server = createServer(toNodeListener(handler));
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

function withGrace(done: Promise<void>, graceMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
  return Promise.race([done.catch(() => {}), grace]).finally(() => clearTimeout(timer));
}
