/**
 * Signed, expiring URLs: a link that opens one path (or everything under a
 * path prefix) until a given second, with every query parameter that
 * changes the bytes (`start`, `end`, …) fixed by the signature. HMAC-SHA-256
 * through WebCrypto only, so the same code signs and verifies on Deno, Bun,
 * Node and Cloudflare Workers; no session store, no I/O.
 *
 * URL format: `PATH?PARAMS&exp=SECONDS[&scope=PREFIX]&sig=BASE64URL` where
 * `sig` is the unpadded base64url HMAC-SHA-256 of {@linkcode signedMessage}.
 *
 * @module
 */

import { RangedError } from "../http/errors.ts";
import {
  canonicalPath,
  canonicalQuery,
  RESERVED_PARAMS,
  scopeCovers,
  type SignedFields,
  signedMessage,
} from "./canonical.ts";
import { constantTimeEqual } from "./constant_time.ts";

/** A secret: text (used as its UTF-8 bytes) or raw bytes. */
export type UrlSecret = string | Uint8Array;

/**
 * Shortest secret accepted, in bytes. An HMAC key can be searched offline
 * from any one signed URL, so a short or low-entropy secret is a password
 * anyone holding a link can crack; 16 random bytes put that out of reach.
 */
export const MIN_SECRET_BYTES = 16;

/** Default clock-skew allowance in seconds: signer and verifier clocks rarely differ by more. */
export const DEFAULT_CLOCK_SKEW = 5;

/** Latest expiry a URL may carry (seconds, 12 digits): bounds the number parsed from a hostile URL. */
export const MAX_EXPIRES = 999_999_999_999;

/** Length of `sig`: 32 HMAC-SHA-256 bytes in unpadded base64url. */
const SIG_LENGTH = 43;
const SIG_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const EXP_SHAPE = /^[0-9]{1,12}$/;

/** Bad input to {@linkcode signUrl} or {@linkcode urlSigner}: a programming error, never a request's fault. */
export class SignedUrlError extends RangedError {}

/** Which secrets to use: `secret`, or `secrets` for rotation (the first signs, all verify). */
export interface UrlKeyOptions {
  /** The one secret (at least {@linkcode MIN_SECRET_BYTES} bytes). */
  secret?: UrlSecret;
  /**
   * Accepted secrets, newest first: the first signs, every one verifies.
   * Rotate by putting a new secret in front, and drop the old one once the
   * links it signed have expired.
   */
  secrets?: readonly UrlSecret[];
}

/** What a signed URL grants, given to {@linkcode UrlSigner.sign}. */
export interface SignOptions {
  /** When the link stops working: a `Date` or milliseconds since the epoch (as `Date.now()`). */
  expires: Date | number;
  /**
   * Query parameters the link carries, all covered by the signature
   * (e.g. `{ start: 12.5, end: 30 }` for a clip). Parameters already in
   * `path` after a `?` are covered too.
   */
  params?: Record<string, string | number> | Iterable<readonly [string, string]>;
  /**
   * A path prefix the link opens instead of one path: the prefix itself and
   * everything below it, segment-wise (`/films/a.mp4` covers
   * `/films/a.mp4/master.m3u8` and its segments). Must cover `path`.
   */
  scope?: string;
}

/** Options of {@linkcode signUrl}. */
export interface SignUrlOptions extends UrlKeyOptions, SignOptions {}

/** How a verifier judges requests. */
export interface VerifyOptions {
  /** Seconds a link still works after its expiry, for clocks that disagree. Default {@linkcode DEFAULT_CLOCK_SKEW}. */
  clockSkew?: number;
  /**
   * Query parameters that may vary without a signature because they never
   * change the bytes served (a tracking id, say). Every other parameter
   * must be covered.
   */
  unsigned?: readonly string[];
}

/** Options of {@linkcode verifySignedUrl}. */
export interface VerifySignedUrlOptions extends UrlKeyOptions, VerifyOptions {
  /** The current time in milliseconds since the epoch. Default `Date.now()`. */
  now?: number;
}

/** Why a URL was refused. */
export type SignedUrlFailure =
  /** No `sig` or no `exp`. */
  | "missing"
  /** A reserved parameter repeated or badly formed, an unsignable path, too many parameters. */
  | "malformed"
  /** Past `exp` plus the clock-skew allowance. */
  | "expired"
  /** The `scope` does not cover the requested path. */
  | "out-of-scope"
  /** No accepted secret gives this signature. */
  | "bad-signature";

/** The verdict on one URL. */
export type SignedUrlCheck =
  | {
    readonly ok: true;
    /** Expiry from the URL, seconds since the epoch. */
    readonly expires: number;
    /** The canonical scope the URL was signed for, when it is a prefix signature. */
    readonly scope?: string;
  }
  | { readonly ok: false; readonly reason: SignedUrlFailure };

/** Signs and verifies with secrets imported once. */
export interface UrlSigner {
  /** A signed URL (canonical path, then the query) for `path`; see {@linkcode signUrl}. */
  sign(path: string, options: SignOptions): Promise<string>;
  /** The verdict on `url`; see {@linkcode verifySignedUrl}. `now` in ms, default `Date.now()`. */
  verify(url: string | URL, now?: number): Promise<SignedUrlCheck>;
}

/**
 * A signer and verifier holding its imported keys, for servers that check
 * every request (one key import per secret, not per request).
 *
 * @example
 * ```ts
 * import { urlSigner } from "@ranged/video";
 * const signer = urlSigner({ secrets: ["new secret, 16 bytes at least", "old secret, 16 bytes at least"] });
 * const url = await signer.sign("/films/a.mp4", { expires: Date.now() + 3600_000 });
 * console.log((await signer.verify(url)).ok); // true
 * ```
 */
export function urlSigner(options: UrlKeyOptions & VerifyOptions): UrlSigner {
  const secrets = secretList(options);
  const skew = options.clockSkew ?? DEFAULT_CLOCK_SKEW;
  if (!(skew >= 0) || !Number.isFinite(skew)) throw new SignedUrlError(`clockSkew must be ≥ 0 seconds, got ${skew}`);
  const unsigned = options.unsigned ?? [];
  let keys: Promise<CryptoKey[]> | undefined;
  const imported = () => keys ??= Promise.all(secrets.map(importKey));

  return {
    async sign(path, { expires, params, scope }) {
      const [rawPath, rawQuery] = splitQuery(path);
      const canonical = canonicalPath(rawPath);
      if (canonical === undefined) throw new SignedUrlError(`cannot sign path ${JSON.stringify(rawPath)}`);
      const pairs: [string, string][] = [...new URLSearchParams(rawQuery)];
      for (const [k, v] of params ? entries(params) : []) pairs.push([k, String(v)]);
      const clash = pairs.find(([k]) => RESERVED_PARAMS.includes(k));
      if (clash) throw new SignedUrlError(`parameter ${clash[0]} is reserved for the signature`);
      const query = canonicalQuery(pairs);
      if (query === undefined) throw new SignedUrlError(`too many parameters to sign`);
      const s = scope === undefined ? undefined : canonicalPath(scope);
      if (scope !== undefined && (s === undefined || !scopeCovers(s, canonical))) {
        throw new SignedUrlError(`scope ${JSON.stringify(scope)} does not cover ${JSON.stringify(rawPath)}`);
      }
      const fields: SignedFields = { expires: expirySeconds(expires), path: canonical, query, scope: s };
      // `/` may stay raw in a query (RFC 3986 §3.4): readable, and URLSearchParams reads it the same.
      const scopeParam = s === undefined ? "" : `&scope=${encodeURIComponent(s).replaceAll("%2F", "/")}`;
      const sig = await hmac((await imported())[0], signedMessage(fields));
      const own = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}&`).join("");
      return `${canonical}?${own}exp=${fields.expires}${scopeParam}&sig=${sig}`;
    },

    async verify(url, now = Date.now()) {
      const u = typeof url === "string" ? new URL(url, "http://verify.invalid") : url;
      const q = u.searchParams;
      const sigs = q.getAll("sig"), exps = q.getAll("exp"), scopes = q.getAll("scope");
      if (sigs.length === 0 || exps.length === 0) return fail("missing");
      if (sigs.length > 1 || exps.length > 1 || scopes.length > 1) return fail("malformed");
      const [sig] = sigs, [exp] = exps;
      if (!SIG_SHAPE.test(sig) || !EXP_SHAPE.test(exp)) return fail("malformed");
      const expires = Number(exp);
      if (now > (expires + skew) * 1000) return fail("expired");
      const path = canonicalPath(u.pathname);
      const query = canonicalQuery(q, unsigned);
      if (path === undefined || query === undefined) return fail("malformed");
      let scope: string | undefined;
      if (scopes.length === 1) {
        scope = canonicalPath(scopes[0]);
        if (scope === undefined) return fail("malformed");
        if (!scopeCovers(scope, path)) return fail("out-of-scope");
      }
      const message = signedMessage({ expires, path, query, scope });
      const given = ASCII.encode(sig);
      // Every accepted secret is tried and compared in full: neither the
      // position of a wrong byte nor which secret matched shows in the time.
      let match = false;
      for (const key of await imported()) {
        match = constantTimeEqual(ASCII.encode(await hmac(key, message)), given) || match;
      }
      return match
        ? (scope === undefined ? { ok: true, expires } : { ok: true, expires, scope })
        : fail("bad-signature");
    },
  };
}

/**
 * Signs `path` (a URL path, percent-encoded where needed; non-ASCII
 * characters are encoded as UTF-8) with the first secret, and returns the
 * URL to hand out: the canonical path, the parameters, `exp`, `scope` and
 * `sig`. Throws {@linkcode SignedUrlError} for a path or scope that cannot be
 * signed, a reserved parameter name, or a short secret.
 *
 * @example A clip link valid for one hour
 * ```ts
 * import { signUrl } from "@ranged/video";
 * const url = await signUrl("/films/a.mp4", {
 *   secret: "a secret of 16 bytes or more",
 *   expires: Date.now() + 3600_000,
 *   params: { start: 12.5, end: 30 },
 * });
 * console.log(url); // "/films/a.mp4?start=12.5&end=30&exp=…&sig=…"
 * ```
 */
export async function signUrl(path: string, options: SignUrlOptions): Promise<string> {
  return await urlSigner(options).sign(path, options);
}

/**
 * Checks a request URL: a signature by one of the secrets over its path (or
 * the `scope` that covers it), its expiry and every query parameter except
 * `unsigned` ones, not expired beyond `clockSkew`. Never throws for a hostile
 * URL: it answers `{ ok: false, reason }`.
 *
 * A server should answer every refusal with 403 and the same body, whatever
 * the reason, before touching storage, so a refusal says nothing about
 * whether the file exists. An expired link gets 403 too, not 410 Gone: 410
 * states that the resource is gone for everyone and is cacheable by default
 * (RFC 9110 §15.5.11), so a shared cache could go on refusing viewers whose
 * links are valid.
 *
 * @example
 * ```ts
 * import { verifySignedUrl } from "@ranged/video";
 * const check = await verifySignedUrl("https://example.com/films/a.mp4?exp=1&sig=x", {
 *   secret: "a secret of 16 bytes or more",
 * });
 * console.log(check); // { ok: false, reason: "malformed" }
 * ```
 */
export async function verifySignedUrl(url: string | URL, options: VerifySignedUrlOptions): Promise<SignedUrlCheck> {
  return await urlSigner(options).verify(url, options.now);
}

const ASCII = new TextEncoder();

function fail(reason: SignedUrlFailure): SignedUrlCheck {
  return { ok: false, reason };
}

function secretList(options: UrlKeyOptions): Uint8Array[] {
  if (options.secret !== undefined && options.secrets !== undefined) {
    throw new SignedUrlError("give secret or secrets, not both");
  }
  const list = options.secrets ?? (options.secret === undefined ? [] : [options.secret]);
  if (list.length === 0) throw new SignedUrlError("no secret given");
  return list.map((s) => {
    const bytes = typeof s === "string" ? ASCII.encode(s) : s;
    if (bytes.length < MIN_SECRET_BYTES) {
      throw new SignedUrlError(`a secret must have at least ${MIN_SECRET_BYTES} bytes, got ${bytes.length}`);
    }
    return bytes;
  });
}

function importKey(secret: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", secret as Uint8Array<ArrayBuffer>, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
}

async function hmac(key: CryptoKey, message: string): Promise<string> {
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, ASCII.encode(message)));
  const b64 = btoa(String.fromCharCode(...mac)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  if (b64.length !== SIG_LENGTH) throw new Error("unexpected HMAC length");
  return b64;
}

function expirySeconds(expires: Date | number): number {
  const ms = expires instanceof Date ? expires.getTime() : expires;
  // Below 1e11 ms is 1973: almost surely seconds passed where milliseconds were meant.
  if (!Number.isFinite(ms) || ms < 1e11) {
    throw new SignedUrlError(`expires must be a Date or milliseconds since the epoch, got ${expires}`);
  }
  const seconds = Math.floor(ms / 1000);
  if (seconds > MAX_EXPIRES) throw new SignedUrlError(`expires is too far in the future: ${expires}`);
  return seconds;
}

function splitQuery(path: string): [string, string] {
  if (path.includes("#")) throw new SignedUrlError(`a signed path has no fragment: ${JSON.stringify(path)}`);
  const i = path.indexOf("?");
  return i < 0 ? [path, ""] : [path.slice(0, i), path.slice(i + 1)];
}

function entries(
  params: Record<string, string | number> | Iterable<readonly [string, string]>,
): Iterable<readonly [string, string | number]> {
  return Symbol.iterator in params
    ? params as Iterable<readonly [string, string]>
    : Object.entries(params as Record<string, string | number>);
}
