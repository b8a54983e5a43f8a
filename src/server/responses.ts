/**
 * The directory server's own small answers: HTML pages, plain-text errors.
 * File bytes never go through here; they are `handleVideo`'s.
 *
 * @module
 */

import { textResponse } from "../http/text_response.ts";

/** An HTML page that runs only scripts and styles carrying `nonce`. */
export function html(method: string, body: string, nonce: string): Response {
  const bytes = new TextEncoder().encode(body);
  const headers = {
    "content-type": "text/html; charset=utf-8",
    "content-length": String(bytes.length),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    // Even if a file name slipped past escaping, no script without the nonce would run.
    "content-security-policy": `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; ` +
      `media-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'`,
  };
  return new Response(method === "HEAD" ? null : bytes, { headers });
}

/** A plain-text answer: a short reason and nothing else. */
export function text(status: number, message: string): Response {
  return textResponse(status, message, { "x-content-type-options": "nosniff" });
}

/** 404, the same for a missing path, an escaping one and a hidden one. */
export function notFound(): Response {
  return text(404, "Not Found");
}
