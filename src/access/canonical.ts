/**
 * The canonical forms a URL signature covers: the path, a path-prefix scope
 * and the query parameters, each reduced to one spelling so that every
 * encoding a client or proxy may choose (`%7E` or `~`, `é` or `%C3%A9`,
 * parameters in any order) signs and verifies the same, while any change in
 * meaning changes the bytes. Pure string work; no crypto, no I/O.
 *
 * @module
 */

/** Query parameters the signature itself travels in; never part of the signed parameters. */
export const RESERVED_PARAMS: readonly string[] = ["exp", "scope", "sig"];

/** Longest path or scope accepted, as `parseRequestPath` allows; longer → not signable. */
export const MAX_SIGNED_PATH = 4096;

/**
 * Most signed query parameters: a bound on the sorting and hashing a hostile
 * URL can ask of the verifier. No real clip or playlist URL comes near it.
 */
export const MAX_SIGNED_PARAMS = 64;

/** Version tag at the head of the signed message: a new format never verifies an old signature. */
export const SIGNED_URL_FORMAT = "ranged-url-1";

/**
 * The canonical spelling of a URL path: each `/`-separated segment
 * percent-decoded once and re-encoded with `encodeURIComponent`, so an
 * encoded `/` (`%2F`) stays distinct from a real separator. Undefined when
 * the path does not start with `/`, is longer than {@linkcode MAX_SIGNED_PATH},
 * has malformed percent-encoding, or has a `.`/`..` segment (also when
 * encoded), which a server would resolve to another path than the one signed.
 *
 * @example
 * ```ts
 * import { canonicalPath } from "./canonical.ts";
 * console.log(canonicalPath("/films/caf%c3%a9.mp4")); // "/films/caf%C3%A9.mp4"
 * console.log(canonicalPath("/films/café.mp4")); // "/films/caf%C3%A9.mp4"
 * console.log(canonicalPath("/films/../secret")); // undefined
 * ```
 */
export function canonicalPath(path: string): string | undefined {
  if (!path.startsWith("/") || path.length > MAX_SIGNED_PATH) return undefined;
  const out: string[] = [];
  for (const part of path.split("/")) {
    let segment: string;
    try {
      segment = decodeURIComponent(part);
    } catch {
      return undefined;
    }
    if (segment === "." || segment === "..") return undefined;
    out.push(encodeURIComponent(segment));
  }
  return out.join("/");
}

/**
 * Whether the canonical `scope` covers the canonical `path`: the scope
 * itself or anything below it, segment-wise (`/films` covers `/films/a.mp4`
 * and `/films/`, never `/films2`; `/` covers everything).
 *
 * @example
 * ```ts
 * import { scopeCovers } from "./canonical.ts";
 * console.log(scopeCovers("/films", "/films/a.mp4/master.m3u8"), scopeCovers("/films", "/films2/a.mp4")); // true false
 * ```
 */
export function scopeCovers(scope: string, path: string): boolean {
  const base = scope.endsWith("/") ? scope.slice(0, -1) : scope;
  return path === base || path.startsWith(base + "/");
}

/**
 * The signed form of a query: every parameter except the reserved ones and
 * those named in `unsigned`, key and value decoded as `URLSearchParams`
 * decodes them (the way the server reads them, `+` as a space) and
 * re-encoded with `encodeURIComponent`, as `key=value` pairs sorted as
 * strings, joined with `&`. Order-independent; repeated keys all count. Undefined past
 * {@linkcode MAX_SIGNED_PARAMS} parameters.
 *
 * @example
 * ```ts
 * import { canonicalQuery } from "./canonical.ts";
 * const a = canonicalQuery(new URLSearchParams("end=30&start=12.5&sig=x"));
 * const b = canonicalQuery(new URLSearchParams("start=12%2E5&end=30"));
 * console.log(a, a === b); // "end=30&start=12.5" true
 * ```
 */
export function canonicalQuery(
  params: Iterable<readonly [string, string]>,
  unsigned: readonly string[] = [],
): string | undefined {
  const pairs: string[] = [];
  for (const [key, value] of params) {
    if (RESERVED_PARAMS.includes(key) || unsigned.includes(key)) continue;
    if (pairs.length === MAX_SIGNED_PARAMS) return undefined;
    pairs.push(`${encodeURIComponent(key)}=${encodeURIComponent(value)}`);
  }
  // Any fixed order makes the form order-independent; plain string order of
  // the encoded pairs is one that every backend can reproduce. The pairs are
  // unambiguous: a key's own `=` and `&` are percent-encoded.
  return pairs.sort().join("&");
}

/** What one signature covers. */
export interface SignedFields {
  /** Expiry, whole seconds since the Unix epoch. */
  readonly expires: number;
  /** Canonical path-prefix scope, or undefined for a single-path signature. */
  readonly scope?: string;
  /** Canonical path (ignored by the message when `scope` is set). */
  readonly path: string;
  /** Canonical query from {@linkcode canonicalQuery}. */
  readonly query: string;
}

/**
 * The exact bytes the HMAC is computed over, one field per line. No field
 * can hold a newline (canonical forms percent-encode it), so no two field
 * sets give the same message; the `path`/`scope` marker keeps a path
 * signature from passing as a scope one.
 *
 * @example
 * ```ts
 * import { signedMessage } from "./canonical.ts";
 * console.log(signedMessage({ expires: 1900000000, path: "/a.mp4", query: "start=3" }));
 * // "ranged-url-1\n1900000000\npath\n/a.mp4\nstart=3"
 * ```
 */
export function signedMessage(fields: SignedFields): string {
  const target = fields.scope === undefined ? ["path", fields.path] : ["scope", fields.scope];
  return [SIGNED_URL_FORMAT, String(fields.expires), ...target, fields.query].join("\n");
}
