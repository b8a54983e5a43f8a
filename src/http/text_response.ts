/**
 * Small fixed plain-text answers (errors, refusals, links) with an exact
 * Content-Length. A Fetch server measures a string body itself, but a
 * bridge to node:http only sees a stream and would send it chunked; the
 * header makes every server frame it the same way, HEAD included.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * A `text/plain; charset=utf-8` answer of `body`, with `Content-Length` its
 * UTF-8 length. `headers` are added (they win over the content type); with
 * `head`, the body is left out and the headers stay those of a GET.
 *
 * @example
 * ```ts
 * import { textResponse } from "./text_response.ts";
 * const res = textResponse(404, "Not Found");
 * console.log(res.headers.get("content-length")); // "9"
 * ```
 */
export function textResponse(
  status: number,
  body: string,
  headers: HeadersInit = {},
  options: { head?: boolean } = {},
): Response {
  const bytes = encoder.encode(body);
  const all = new Headers({ "content-type": "text/plain; charset=utf-8" });
  new Headers(headers).forEach((value, name) => all.set(name, value));
  all.set("content-length", String(bytes.length));
  return new Response(options.head ? null : bytes, { status, headers: all });
}
