/**
 * Validators and conditional requests (RFC 9110 §8.8, §13): entity-tag
 * comparison, the precondition order of §13.2.2, and If-Range. Pure.
 *
 * @module
 */

import { parseHttpDate } from "./http_date.ts";

/** The validators of the selected representation. */
export interface Validators {
  /** Full entity-tag with quotes, `W/` prefix for a weak one. */
  etag?: string;
  /** Last modification in ms since the epoch. */
  lastModified?: number;
}

/**
 * Outcome of the preconditions: go on and serve (`proceed`), answer 304
 * (`not-modified`), or answer 412 (`failed`).
 */
export type PreconditionOutcome = "proceed" | "not-modified" | "failed";

/**
 * The strong ETag ranged derives when the storage gives none: modification
 * time and size, in hex, as nginx does but to the millisecond.
 *
 * @example
 * ```ts
 * import { defaultETag } from "@ranged/video";
 * defaultETag(1_000_000, 1700000000000); // "\"18bcfe56800-f4240\""
 * ```
 */
export function defaultETag(size: number, lastModified: number): string {
  // Every answer of one file derives the same tag: the last one is kept.
  const last = lastETag;
  if (last.size === size && last.lastModified === lastModified) return last.tag;
  const tag = `"${Math.trunc(lastModified).toString(16)}-${size.toString(16)}"`;
  lastETag = { size, lastModified, tag };
  return tag;
}

let lastETag = { size: NaN, lastModified: NaN, tag: "" };

/**
 * Splits an If-Match / If-None-Match value into entity-tags. `*` comes back
 * as `["*"]`; list syntax with empty elements and OWS is accepted; a
 * malformed element ends the list (the tags before it still count).
 *
 * @example
 * ```ts
 * import { parseETagList } from "@ranged/video";
 * parseETagList(`"a", W/"b" ,"c,d"`); // ['"a"', 'W/"b"', '"c,d"']
 * ```
 */
export function parseETagList(value: string): string[] {
  const s = value.trim();
  if (s === "*") return ["*"];
  const tags: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && (s[i] === " " || s[i] === "\t" || s[i] === ",")) i++;
    if (i >= s.length) break;
    const start = i;
    if (s.startsWith("W/", i)) i += 2;
    if (s[i] !== '"') break;
    const close = s.indexOf('"', i + 1);
    if (close < 0) break;
    const tag = s.slice(start, close + 1);
    i = close + 1;
    while (i < s.length && (s[i] === " " || s[i] === "\t")) i++;
    // A tag followed by anything but a comma is malformed, so it does not count.
    if (i < s.length && s[i] !== ",") break;
    tags.push(tag);
  }
  return tags;
}

/**
 * Strong comparison (§8.8.3.2): both tags strong and identical.
 *
 * @example
 * ```ts
 * import { strongMatch } from "@ranged/video";
 * strongMatch('"a"', '"a"'); // true
 * strongMatch('W/"a"', '"a"'); // false
 * ```
 */
export function strongMatch(a: string, b: string): boolean {
  return a === b && !a.startsWith("W/");
}

/**
 * Weak comparison (§8.8.3.2): opaque tags identical, weakness ignored.
 *
 * @example
 * ```ts
 * import { weakMatch } from "@ranged/video";
 * weakMatch('W/"a"', '"a"'); // true
 * ```
 */
export function weakMatch(a: string, b: string): boolean {
  return opaque(a) === opaque(b);
}

function opaque(tag: string): string {
  return tag.startsWith("W/") ? tag.slice(2) : tag;
}

/** Reads one header from a Headers object or a plain record. */
export type HeaderLookup = (name: string) => string | null;

/**
 * Evaluates If-Match, If-Unmodified-Since, If-None-Match and
 * If-Modified-Since in the order of RFC 9110 §13.2.2. If-Range is separate
 * ({@linkcode ifRangeHolds}) because it only decides whether Range applies.
 *
 * @example
 * ```ts
 * import { evaluatePreconditions } from "@ranged/video";
 * const headers = new Headers({ "if-none-match": '"v1"' });
 * evaluatePreconditions("GET", (n) => headers.get(n), { etag: '"v1"' }); // "not-modified"
 * ```
 */
export function evaluatePreconditions(
  method: string,
  header: HeaderLookup,
  validators: Validators,
): PreconditionOutcome {
  const { etag, lastModified } = validators;
  const lastModifiedSec = lastModified === undefined ? undefined : Math.floor(lastModified / 1000) * 1000;
  const safe = method === "GET" || method === "HEAD";

  const ifMatch = header("if-match");
  if (ifMatch !== null) {
    const tags = parseETagList(ifMatch);
    // The representation exists, so `*` always matches.
    const ok = tags[0] === "*" || (etag !== undefined && tags.some((t) => strongMatch(t, etag)));
    if (!ok) return "failed";
  } else {
    const since = header("if-unmodified-since");
    const date = since === null ? undefined : parseHttpDate(since);
    if (date !== undefined && lastModifiedSec !== undefined && lastModifiedSec > date) return "failed";
  }

  const ifNoneMatch = header("if-none-match");
  if (ifNoneMatch !== null) {
    const tags = parseETagList(ifNoneMatch);
    const matched = tags[0] === "*" || (etag !== undefined && tags.some((t) => weakMatch(t, etag)));
    if (matched) return safe ? "not-modified" : "failed";
  } else if (safe) {
    const since = header("if-modified-since");
    const date = since === null ? undefined : parseHttpDate(since);
    if (date !== undefined && lastModifiedSec !== undefined && lastModifiedSec <= date) return "not-modified";
  }
  return "proceed";
}

/**
 * Whether an If-Range condition holds, so the Range header applies
 * (§13.1.5). An entity-tag must match strongly; a date must equal
 * Last-Modified exactly and Last-Modified must itself be strong, that is at
 * least one second older than `now` (§8.8.2.2). Anything else, including a
 * weak tag or a malformed value, means "send the whole representation".
 *
 * @example
 * ```ts
 * import { ifRangeHolds } from "@ranged/video";
 * ifRangeHolds('"v1"', { etag: '"v1"' }); // true
 * ifRangeHolds('W/"v1"', { etag: 'W/"v1"' }); // false
 * ```
 */
export function ifRangeHolds(value: string, validators: Validators, now: number = Date.now()): boolean {
  const v = value.trim();
  if (v.startsWith('"') || v.startsWith("W/")) {
    return validators.etag !== undefined && strongMatch(v, validators.etag);
  }
  const date = parseHttpDate(v);
  const { lastModified } = validators;
  if (date === undefined || lastModified === undefined) return false;
  const lastModifiedSec = Math.floor(lastModified / 1000) * 1000;
  return lastModifiedSec === date && lastModifiedSec + 1000 <= now;
}
