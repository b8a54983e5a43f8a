/**
 * The directory server on node:http without Fetch objects for files:
 * the request head (method, headers, target) goes straight to serveDir's
 * routing; a file answer is written by the node:http writer, anything else
 * (pages, playlists, events, errors) through the Fetch bridge, with a
 * `Request` built only when a route asks for one.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { methodStatus } from "../http/method_check.ts";
import { isFileAnswer } from "../server/file_answer.ts";
import type { DirRequest, DirRouter, ServeDirHandler } from "../server/serve_dir.ts";
import type { AccessLog } from "./access_log.ts";
import { toRequest, writeResponse } from "./node_fetch.ts";
import { headerOf, urlOf } from "./node_request_head.ts";
import { writeFileAnswer } from "./node_writer.ts";

/** Options of {@linkcode nodeDirListener}. */
export interface NodeDirOptions {
  /** Where each answered request is recorded. */
  log?: AccessLog;
}

/** The methods serveDir answers; the rest get 405 (known) or 501 (unknown) with `Allow`. */
const ALLOW = "GET, HEAD";

/**
 * The head routing of a `serveDir` handler (its `route`), or `undefined` for
 * any other Fetch handler. The one test of "is this a serveDir handler",
 * shared by `listen` and `toNodeListener`.
 */
export function dirRouterOf(handler: unknown): DirRouter | undefined {
  const route = typeof handler === "function" ? (handler as Partial<ServeDirHandler>).route : undefined;
  return typeof route === "function" ? route : undefined;
}

/**
 * A node:http request listener over a serveDir router (`serveDir(...).route`).
 *
 * @example
 * ```ts ignore
 * import { createServer } from "node:http";
 * import { serveDir } from "@ranged/video/serve";
 * createServer(nodeDirListener(serveDir("./videos").route)).listen(8000);
 * ```
 */
export function nodeDirListener(
  route: DirRouter,
  options: NodeDirOptions = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const log = options.log;
  return async (req, res) => {
    const method = req.method ?? "GET";
    if (method !== "GET" && method !== "HEAD") {
      res.writeHead(methodStatus(method), { allow: ALLOW, "content-length": "0" });
      res.end();
      log?.record(method, req.url ?? "", res.statusCode, null, null);
      return;
    }
    const url = urlOf(req);
    if (url === undefined) {
      res.writeHead(400, { "content-type": "text/plain; charset=utf-8", "content-length": "11" });
      res.end("Bad Request");
      log?.record(method, req.url ?? "", 400, null, null);
      return;
    }
    let signal: AbortSignal | undefined;
    const aborted = () => {
      if (signal) return signal;
      const controller = new AbortController();
      // "close" fires after a normal finish too; only a premature one aborts.
      res.once("close", () => {
        if (!res.writableFinished) controller.abort();
      });
      return signal = controller.signal;
    };
    let request: Request | undefined;
    const head: DirRequest = {
      method,
      header: (name) => headerOf(req, name),
      url,
      request: () => request ??= toRequest(req, aborted()),
    };
    const answer = await route(head);
    if (!isFileAnswer(answer)) {
      log?.record(method, req.url ?? "", answer.status, headerOf(req, "range"), answer.headers.get("content-range"));
      return writeResponse(answer, res, aborted());
    }
    const onHead = log &&
      ((status: number, headers: readonly [string, string][]) =>
        log.record(method, req.url ?? "", status, headerOf(req, "range"), contentRange(headers)));
    try {
      await writeFileAnswer(req, res, answer, { onHead });
    } catch (err) {
      // A FileLike that broke its contract, before anything was written.
      console.error(err);
      if (!res.headersSent) res.writeHead(500, { "content-length": "0" });
      res.end();
    }
  };
}

function contentRange(headers: readonly [string, string][]): string | null {
  for (const [name, value] of headers) if (name === "content-range") return value;
  return null;
}
