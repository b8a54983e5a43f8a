/**
 * Answers for requests `node:http`'s parser rejects before any handler
 * sees them (an unknown method, a malformed request line, oversized
 * headers). Node's own answer is a bare `400` without `Date`, and RFC 9110
 * §6.6.1 asks an origin server with a clock to date every 2xx–4xx; Bun's
 * `node:http` does not answer at all. Here they get a complete, dated
 * answer and the connection closes.
 *
 * @module
 */

import type { Server } from "node:http";
import type { Duplex } from "node:stream";
import { formatHttpDate } from "../http/http_date.ts";
import { methodStatus } from "../http/method_check.ts";

/**
 * The status for a parser error code of `node:http` (llhttp's `HPE_*`):
 * 501 for an unknown method, 431 for oversized headers, 408 for a request
 * that took too long, 413 for oversized chunk extensions, else 400.
 *
 * @example
 * ```ts ignore
 * import { clientErrorStatus } from "./client_error.ts";
 * console.log(clientErrorStatus("HPE_INVALID_METHOD"), clientErrorStatus("HPE_INVALID_VERSION")); // 501 400
 * ```
 */
export function clientErrorStatus(code: string | undefined): number {
  switch (code) {
    case "HPE_INVALID_METHOD":
      return methodStatus("");
    case "HPE_HEADER_OVERFLOW":
      return 431;
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return 408;
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return 413;
    default:
      return 400;
  }
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  413: "Content Too Large",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
};

/**
 * The raw HTTP/1.1 response for a parser error: status, `Date` (at `now`),
 * `Allow` on 501, an empty body and `Connection: close`.
 *
 * @example
 * ```ts ignore
 * import { clientErrorResponse } from "./client_error.ts";
 * console.log(clientErrorResponse("HPE_INVALID_METHOD", 0, "GET, HEAD").split("\r\n")[0]); // "HTTP/1.1 501 Not Implemented"
 * ```
 */
export function clientErrorResponse(code: string | undefined, now: number, allow: string): string {
  const status = clientErrorStatus(code);
  const lines = [`HTTP/1.1 ${status} ${REASONS[status]}`, `Date: ${formatHttpDate(now)}`];
  if (status === 501) lines.push(`Allow: ${allow}`);
  lines.push("Content-Length: 0", "Connection: close", "", "");
  return lines.join("\r\n");
}

/**
 * Installs the `clientError` listener on a `node:http` server (Node, and
 * Bun's `node:http`): each parser error gets {@linkcode clientErrorResponse},
 * unless a response is already under way on that connection, which is then
 * just closed.
 *
 * @example
 * ```ts ignore
 * import { createServer } from "node:http";
 * import { answerClientErrors } from "./client_error.ts";
 * answerClientErrors(createServer(), "GET, HEAD");
 * ```
 */
export function answerClientErrors(server: Server, allow: string): void {
  server.on("clientError", (err: Error & { code?: string }, socket: Duplex) => {
    // Node's own default handler checks the same private field: a raw answer
    // written after a response head went out would corrupt that response.
    const busy = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (err.code === "ECONNRESET" || !socket.writable || busy) {
      socket.destroy();
      return;
    }
    socket.end(clientErrorResponse(err.code, Date.now(), allow));
  });
}
