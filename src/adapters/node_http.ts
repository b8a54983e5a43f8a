/**
 * A bridge from `node:http` to Fetch handlers: node request → `Request` with
 * an `AbortSignal` that fires when the client disconnects, and `Response` →
 * `ServerResponse`, written with backpressure and cancelled on disconnect
 * (the two halves are in `node_fetch.ts`).
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { BadRequestError } from "../http/errors.ts";
import { dirRouterOf, nodeDirListener } from "./node_dir.ts";
import { toRequest, writeResponse } from "./node_fetch.ts";

/** A Fetch-style handler, as `Deno.serve` and `Bun.serve` take. */
export type FetchHandler = (req: Request) => Response | Promise<Response>;

/**
 * Wraps a Fetch handler as a `node:http` request listener. A `serveDir`
 * handler is answered from its routing on the request head instead (as
 * `listen` does): file responses go out through the node:http writer, and a
 * Fetch `Request` is built only for the answers that need one.
 *
 * @example
 * ```ts ignore
 * import { createServer } from "node:http";
 * import { handleVideo } from "@ranged/video";
 * import { openFile } from "@ranged/video/fs";
 * import { toNodeListener } from "@ranged/video/node";
 * createServer(toNodeListener(async (req) => handleVideo(req, await openFile("movie.mp4")))).listen(8000);
 * ```
 */
export function toNodeListener(
  handler: FetchHandler,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const route = dirRouterOf(handler);
  if (route) return nodeDirListener(route);
  return async (req, res) => {
    const controller = new AbortController();
    // "close" on the response fires both after a normal finish and on a
    // premature disconnect; only the latter aborts.
    res.once("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    let request: Request;
    try {
      request = toRequest(req, controller.signal);
    } catch (err) {
      if (!(err instanceof BadRequestError)) throw err;
      res.writeHead(400, { "content-type": "text/plain; charset=utf-8", "content-length": "11" });
      res.end("Bad Request");
      return;
    }
    let response: Response;
    try {
      response = await handler(request);
    } catch (err) {
      console.error(err);
      if (!res.headersSent) res.writeHead(500, { "content-length": "0" });
      res.end();
      return;
    }
    await writeResponse(response, res, controller.signal);
  };
}

export { toRequest, writeResponse } from "./node_fetch.ts";
export { type NextFunction, type OpenForRequest, videoHandler, writeVideo } from "./node_writer.ts";
