/**
 * What a node:http request says about itself, read without building any
 * Fetch object: a header by name, its URL (or "answer 400"), the local
 * address as a Host for HTTP/1.0. Shared by the Fetch bridge and the
 * node:http writers, so every node path trusts exactly the same requests.
 *
 * @module
 */

import type { IncomingMessage } from "node:http";
import { targetUrl } from "../http/request_target.ts";

/**
 * A header of `req` by lower-case name, repeated lines joined with ", ", or `null`.
 *
 * @example
 * ```ts ignore
 * headerOf(req, "range"); // "bytes=0-1"
 * ```
 */
export function headerOf(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(", ") : value;
}

/**
 * The Host lines of `req` as sent: node:http joins repeated ones into one
 * value, and a request with two must be answered 400 (RFC 9112 §3.2).
 *
 * @example
 * ```ts ignore
 * hostLines(req); // ["example.com:8000"]
 * ```
 */
export function hostLines(req: IncomingMessage): string[] {
  const hosts: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 4 && raw[i].toLowerCase() === "host") hosts.push(raw[i + 1]);
  }
  return hosts;
}

/**
 * The URL of `req`, or `undefined` when it must be answered 400 (see `targetUrl`).
 *
 * @example
 * ```ts ignore
 * const url = urlOf(req);
 * if (url === undefined) return badRequest(res);
 * ```
 */
export function urlOf(req: IncomingMessage): URL | undefined {
  return targetUrl(req.url ?? "", hostLines(req), req.httpVersion, localAuthority(req));
}

/**
 * The address the request came in on, as a Host value for HTTP/1.0 requests without one.
 *
 * @example
 * ```ts ignore
 * localAuthority(req); // "127.0.0.1:8000"
 * ```
 */
export function localAuthority(req: IncomingMessage): string {
  const { localAddress, localPort } = req.socket;
  if (!localAddress) return "localhost";
  return localAddress.includes(":") ? `[${localAddress}]:${localPort}` : `${localAddress}:${localPort}`;
}
