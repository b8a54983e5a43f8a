/**
 * The directory server's signed-URL gate: every request must carry a valid,
 * unexpired signature (see `../access/signed_url.ts`) before anything looks
 * at the file system, and the pages it serves mint links that open what they
 * show until the same expiry, never longer.
 *
 * @module
 */

import { type UrlKeyOptions, type UrlSigner, urlSigner } from "../access/signed_url.ts";
import { canonicalQuery, scopeCovers } from "../access/canonical.ts";
import { textResponse } from "../http/text_response.ts";
import type { PageContext } from "./player_page.ts";

/** `signedUrls` of `serveDir`: which secrets, and the clock-skew allowance. */
export interface SignedUrlsOptions extends UrlKeyOptions {
  /** Seconds a link still works after its expiry. Default 5. */
  clockSkew?: number;
}

/** The query parameter that asks for a clip link (`routes/clip_link.ts`). */
export const CLIP_LINK_PARAM = "clip-link";

/**
 * Parameters that never change the bytes, so serveDir accepts them unsigned:
 * `viewer` only tags the live range map, `player` asks for a page about
 * a file the same token already opens, and `clip-link` asks for a signed
 * link to a clip of it (see {@linkcode AccessGate.clipQuery}).
 */
export const UNSIGNED_PARAMS: readonly string[] = ["viewer", "player", CLIP_LINK_PARAM];

/** What a request's valid signature grants. */
export interface Grant {
  /** Expiry, seconds since the epoch. */
  readonly expires: number;
  /** The canonical scope, for a prefix signature. */
  readonly scope?: string;
  /** The request's own `exp`, `scope` and `sig` parameters, ready to append to a URL. */
  readonly query: string;
  /**
   * True when the signature fixed parameters that change the bytes (a
   * clip's `start`/`end`): such a link opens exactly that URL, so nothing
   * is minted from it (a clip link must not become a link to the whole file).
   */
  readonly bound: boolean;
}

/** Checks requests and mints links for one serveDir. */
export interface AccessGate {
  /** The grant of a request URL, or undefined: answer {@linkcode forbidden}, whatever the reason. */
  check(url: URL): Promise<Grant | undefined>;
  /**
   * A query (`exp=…&scope=…&sig=…`) that opens `path` and everything below
   * it until the grant's expiry: the grant's own when its scope already
   * covers `path`, else a new prefix signature. Undefined for a
   * {@linkcode Grant.bound} grant.
   */
  scopeQuery(grant: Grant, path: string): Promise<string | undefined>;
  /**
   * A query (`start=…&exp=…&sig=…`) for the clip of `path` from `start`
   * (canonical decimal seconds), signed for that path and parameter until
   * the grant's expiry: whoever may fetch a whole file may link to a part
   * of it. Undefined for a {@linkcode Grant.bound} grant.
   */
  clipQuery(grant: Grant, path: string, start: string): Promise<string | undefined>;
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
      const bound = canonicalQuery(q, UNSIGNED_PARAMS) !== "";
      return { expires: verdict.expires, scope: verdict.scope, query, bound };
    },
    async scopeQuery(grant, path) {
      if (grant.bound) return undefined;
      if (grant.scope !== undefined && scopeCovers(grant.scope, path)) return grant.query;
      const url = await signer.sign(path, { expires: grant.expires * 1000, scope: path });
      return url.slice(url.indexOf("?") + 1);
    },
    async clipQuery(grant, path, start) {
      if (grant.bound) return undefined;
      const url = await signer.sign(path, { expires: grant.expires * 1000, params: { start } });
      return url.slice(url.indexOf("?") + 1);
    },
  };
}

/**
 * A page context whose links carry signatures: `linkQuery` opens `scope`
 * (the folder an index lists, or the file a player page plays), the event
 * stream URL gets its own, and links up (breadcrumbs, parent) carry the
 * request's own query where its scope covers them and are not shown
 * elsewhere. Unchanged when the server has no gate; undefined for a
 * {@linkcode Grant.bound} grant (answer {@linkcode forbidden}: a clip link
 * opens its clip, not a page that would mint links to the whole file).
 */
export async function signedPage(
  page: PageContext,
  gate: AccessGate | undefined,
  grant: Grant | undefined,
  scope: string,
): Promise<PageContext | undefined> {
  if (!gate || !grant) return page;
  const events = new URL(page.events, "http://page.invalid").pathname;
  const [linkQuery, eventsQuery] = await Promise.all([gate.scopeQuery(grant, scope), gate.scopeQuery(grant, events)]);
  if (linkQuery === undefined || eventsQuery === undefined) return undefined;
  const up = grant.scope === undefined ? undefined : { scope: grant.scope, query: grant.query };
  return { ...page, linkQuery, events: `${page.events}&${eventsQuery}`, up };
}

/**
 * The query an HLS playlist appends to every child URI, so a player opened
 * with one signed link reaches every playlist, init and segment under
 * `mount` (`/dir/movie.mp4` or a folder of renditions) and nothing else:
 * the grant's own when its scope covers `mount`, else a new prefix
 * signature for `mount` until the same expiry; undefined for a
 * {@linkcode Grant.bound} grant. Without a gate, the request's own query,
 * unchanged.
 */
export async function childQuery(
  gate: AccessGate | undefined,
  grant: Grant | undefined,
  url: URL,
  mount: string,
): Promise<string | undefined> {
  if (!gate || !grant) return url.search;
  const query = await gate.scopeQuery(grant, mount);
  return query === undefined ? undefined : `?${query}`;
}

/**
 * 403 for every refused request: the same body whatever the reason and
 * whether or not the path exists, and never stored by a cache, since the
 * same URL with a valid signature must still reach the file.
 */
export function forbidden(): Response {
  return textResponse(403, "Forbidden", { "x-content-type-options": "nosniff", "cache-control": "no-store" });
}
