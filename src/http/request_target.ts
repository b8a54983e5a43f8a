/**
 * Request targets and Host values a server can trust, or a clear "no" that
 * becomes 400: anything a client sends must end in a 4xx, never in a
 * `new URL()` that throws deep inside a handler and turns into 500.
 * Pure: strings in, a `URL` or `undefined` out; it never answers itself.
 *
 * @module
 */

// RFC 9110 §7.2: Host = uri-host [ ":" port ], uri-host from RFC 3986 §3.2.2:
// an IP-literal in brackets, or a reg-name of unreserved, pct-encoded and
// sub-delims characters (an IPv4 address is a reg-name too). No `/`, no
// spaces, no userinfo.
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::[0-9]*)?$/;

/**
 * Whether `host` is a well-formed Host header value (RFC 9110 §7.2). A
 * request carrying a malformed one must be answered 400 (RFC 9112 §3.2).
 *
 * @example
 * ```ts
 * import { isValidHost } from "@ranged/video";
 * console.log(isValidHost("example.com:8000"), isValidHost("[::1]"), isValidHost("../x")); // true true false
 * ```
 */
export function isValidHost(host: string): boolean {
  return HOST.test(host);
}

/**
 * The URL of a Fetch `Request` as a server received it, or `undefined`
 * when it cannot be trusted: `req.url` does not parse (Deno passes an
 * absolute-form target with a broken authority through as is), it is not
 * http(s), or the Host header is malformed.
 *
 * @example
 * ```ts
 * import { requestUrl } from "@ranged/video";
 * console.log(requestUrl(new Request("http://x/a.mp4"))?.pathname); // "/a.mp4"
 * console.log(requestUrl(new Request("http://x/", { headers: { host: "../x" } }))); // undefined
 * ```
 */
export function requestUrl(req: Request): URL | undefined {
  const host = req.headers.get("host");
  if (host !== null && !isValidHost(host)) return undefined;
  return httpUrl(req.url);
}

/**
 * Builds the URL of a request from its raw request target and Host header
 * lines (what `node:http` hands over), or `undefined` when the request must
 * be answered 400: an HTTP/1.1 request without exactly one Host (RFC 9112
 * §3.2), a malformed Host, an origin-form target that does not parse, an
 * absolute-form target that is not an http(s) URL, or `*`. HTTP/1.0
 * requests without Host get `fallbackHost`.
 *
 * @example
 * ```ts
 * import { targetUrl } from "@ranged/video";
 * console.log(targetUrl("/a.mp4?t=1", ["x:8000"], "1.1", "localhost")?.href); // "http://x:8000/a.mp4?t=1"
 * console.log(targetUrl("/a.mp4", [], "1.1", "localhost")); // undefined: HTTP/1.1 needs Host
 * console.log(targetUrl("http://127.0.0.1:8000../x/a.bin", ["x"], "1.1", "localhost")); // undefined
 * ```
 */
export function targetUrl(
  target: string,
  hosts: readonly string[],
  httpVersion: string,
  fallbackHost: string,
): URL | undefined {
  if (hosts.length > 1 || (hosts.length === 0 && httpVersion !== "1.0" && httpVersion !== "0.9")) return undefined;
  const host = hosts[0] ?? fallbackHost;
  if (!isValidHost(host)) return undefined;
  if (target.startsWith("/")) {
    // `//evil/x` is a path here, not a network-path reference: keep it on this host.
    return httpUrl(`http://${host}${target}`);
  }
  // Absolute-form (RFC 9112 §3.2.2); the target's own authority wins over Host.
  return /^https?:\/\//i.test(target) ? httpUrl(target) : undefined;
}

function httpUrl(text: string): URL | undefined {
  let url: URL;
  // One parse for the target every request has (canParse then new URL parsed it twice); a bad one throws, rarely.
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
}
