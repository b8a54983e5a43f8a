/**
 * The answer to a method a resource does not serve: 405 for a method HTTP
 * defines (RFC 9110 §15.5.6), 501 for one the server does not recognise at
 * all (§15.6.2, §9.1), both with `Allow` so the client learns what works.
 *
 * @module
 */

// RFC 9110 §9.3 plus PATCH (RFC 5789): methods every HTTP server recognises.
const KNOWN = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]);

/**
 * `undefined` when `method` is one of `allowed`; otherwise an empty 405 (a
 * method HTTP defines) or 501 (an unknown one) carrying `Allow`.
 *
 * @example
 * ```ts
 * import { unsupportedMethod } from "@ranged/video";
 * console.log(unsupportedMethod("GET", ["GET", "HEAD"])); // undefined
 * console.log(unsupportedMethod("PUT", ["GET", "HEAD"])?.status); // 405
 * console.log(unsupportedMethod("BREW", ["GET", "HEAD"])?.headers.get("allow")); // "GET, HEAD"
 * ```
 */
export function unsupportedMethod(method: string, allowed: readonly string[]): Response | undefined {
  if (allowed.includes(method)) return undefined;
  return new Response(null, {
    status: methodStatus(method),
    headers: { allow: allowed.join(", "), "content-length": "0" },
  });
}

/**
 * 405 for a method HTTP defines, 501 for any other: the status for a method
 * a resource does not serve.
 *
 * @example
 * ```ts
 * import { methodStatus } from "@ranged/video";
 * console.log(methodStatus("DELETE"), methodStatus("BREW")); // 405 501
 * ```
 */
export function methodStatus(method: string): 405 | 501 {
  return KNOWN.has(method) ? 405 : 501;
}
