// Starts a real HTTP server on 127.0.0.1 with the runtime's own server API:
// Deno.serve, Bun.serve, or node:http through the ranged bridge.
import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { toNodeListener } from "../../src/adapters/node_http.ts";
import type { FileLike } from "../../src/http/file_like.ts";

export type Handler = (req: Request) => Response | Promise<Response>;
export interface TestServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
export const runtime: "deno" | "bun" | "node" = g.Deno ? "deno" : g.Bun ? "bun" : "node";

export function startServer(handler: Handler): Promise<TestServer> {
  if (runtime === "deno") {
    const server = g.Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, handler);
    const port = server.addr.port;
    return Promise.resolve({ url: `http://127.0.0.1:${port}`, port, close: () => server.shutdown() });
  }
  if (runtime === "bun") {
    const server = g.Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: handler });
    const port = server.port;
    return Promise.resolve({
      url: `http://127.0.0.1:${port}`,
      port,
      close: async () => void (await server.stop(true)),
    });
  }
  return startNodeServer(toNodeListener(handler));
}

/** A node:http server on 127.0.0.1 (node:http exists on all three runtimes). */
export async function startNodeServer(listener: RequestListener): Promise<TestServer> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The fastest native openFile of the runtime under test (the one users are told to use). */
export async function openNative(path: string): Promise<FileLike> {
  if (runtime === "deno") return (await import("../../src/adapters/deno.ts")).openFile(path);
  if (runtime === "bun") return (await import("../../src/adapters/bun.ts")).openFile(path);
  return (await import("../../src/adapters/fs.ts")).openFile(path);
}
