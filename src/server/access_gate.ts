/**
 * The directory server's signed-URL gate: every request must carry a valid,
 * unexpired signature (see `../access/signed_url.ts`) before anything looks
 * at the file system, and the pages it serves mint links that open what they
 * show until the same expiry, never longer.
 *
 * @module
 */

import { type UrlKeyOptions, type UrlSigner, urlSigner } from "../access/signed_url.ts";
import { scopeCovers } from "../access/canonical.ts";
import type { PageContext } from "./player_page.ts";

/** `signedUrls` of `serveDir`: which secrets, and the clock-skew allowance. */
export interface SignedUrlsOptions extends UrlKeyOptions {
  /** Seconds a link still works after its expiry. Default 5. */
  clockSkew?: number;
}

/**
 * Parameters that never change the bytes, so serveDir accepts them unsigned:
 * `viewer` only tags the live range map, and `player` asks for a page about
 * a file the same token already opens.
 */
export const UNSIGNED_PARAMS: readonly string[] = ["viewer", "player"];

/** What a request's valid signature grants. */
export interface Grant {
  /** Expiry, seconds since the epoch. */
  readonly expires: number;
  /** The canonical scope, for a prefix signature. */
  readonly scope?: string;
  /** The request's own `exp`, `scope` and `sig` parameters, ready to append to a URL. */
  readonly query: string;
}

/** Checks requests and mints links for one serveDir. */
export interface AccessGate {
  /** The grant of a request URL, or undefined: answer {@linkcode forbidden}, whatever the reason. */
  check(url: URL): Promise<Grant | undefined>;
  /**
   * A query (`exp=…&scope=…&sig=…`) that opens `path` and everything below
   * it until the grant's expiry: the grant's own when its scope already
   * covers `path`, else a new prefix signature.
   */
  scopeQuery(grant: Grant, path: string): Promise<string>;
}

/**
 * A gate over `options`' secrets (imported once).
 *
 * @example
 * ```ts ignore
 * const gate = accessGate({ secret: "a secret of 16 bytes or more" });
 * const grant = await gate.check(new URL(req.url));
 * if (!grant) return forbidden();
 * ```
 */
export function accessGate(options: SignedUrlsOptions): AccessGate {
  const signer: UrlSigner = urlSigner({
    secret: options.secret,
    secrets: options.secrets,
    clockSkew: options.clockSkew,
    unsigned: UNSIGNED_PARAMS,
  });
  return {
    async check(url) {
      const verdict = await signer.verify(url);
      if (!verdict.ok) return undefined;
      const q = url.searchParams;
      const scope = q.get("scope");
      const scopePart = scope === null ? "" : `&scope=${encodeURIComponent(scope).replaceAll("%2F", "/")}`;
      const query = `exp=${q.get("exp")}${scopePart}&sig=${q.get("sig")}`;
      return { expires: verdict.expires, scope: verdict.scope, query };
    },
    async scopeQuery(grant, path) {
      if (grant.scope !== undefined && scopeCovers(grant.scope, path)) return grant.query;
      const url = await signer.sign(path, { expires: grant.expires * 1000, scope: path });
      return url.slice(url.indexOf("?") + 1);
    },
  };
}

/**
 * A page context whose links carry signatures: `linkQuery` opens `scope`
 * (the folder an index lists, or the file a player page plays), and the
 * event stream URL gets its own. Unchanged when the server has no gate.
 */
export async function signedPage(
  page: PageContext,
  gate: AccessGate | undefined,
  grant: Grant | undefined,
  scope: string,
): Promise<PageContext> {
  if (!gate || !grant) return page;
  const events = new URL(page.events, "http://page.invalid").pathname;
  const [linkQuery, eventsQuery] = await Promise.all([gate.scopeQuery(grant, scope), gate.scopeQuery(grant, events)]);
  return { ...page, linkQuery, events: `${page.events}&${eventsQuery}` };
}

/**
 * The query an HLS playlist appends to every child URI, so a player opened
 * with one signed link reaches every playlist, init and segment under
 * `mount` (`/dir/movie.mp4` or a folder of renditions) and nothing else:
 * the grant's own when its scope covers `mount`, else a new prefix
 * signature for `mount` until the same expiry. Without a gate, the
 * request's own query, unchanged.
 */
export async function childQuery(
  gate: AccessGate | undefined,
  grant: Grant | undefined,
  url: URL,
  mount: string,
): Promise<string> {
  if (!gate || !grant) return url.search;
  return `?${await gate.scopeQuery(grant, mount)}`;
}

/** Whether `path` opens with the grant's own query (its scope covers it); always true without a gate. */
export function grantCovers(gate: AccessGate | undefined, grant: Grant | undefined, path: string): boolean {
  return !gate || (grant?.scope !== undefined && scopeCovers(grant.scope, path));
}

/**
 * 403 for every refused request: the same body whatever the reason and
 * whether or not the path exists, and never stored by a cache, since the
 * same URL with a valid signature must still reach the file.
 */
export function forbidden(): Response {
  return new Response("Forbidden", {
    status: 403,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "x-content-type-options": "nosniff",
      "cache-control": "no-store",
    },
  });
}
