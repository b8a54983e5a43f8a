/**
 * Cache-Control presets for serving video behind a CDN or a caching proxy,
 * and {@linkcode cacheControlFor}, which picks one from a file name:
 * manifests revalidate, media segments and files are cached for long.
 *
 * ranged's responses vary on nothing (there is no content negotiation), so
 * they carry no `Vary` and a CDN keeps one copy per URL. Add `Vary: Origin`
 * yourself only when a CORS header echoes the request's Origin; a fixed
 * `Access-Control-Allow-Origin: *` needs none.
 *
 * @module
 */

/**
 * Media at a URL that never changes content (versioned or content-addressed
 * names, HLS/DASH segments): cached a year by browsers and CDNs, never
 * revalidated (`immutable`).
 *
 * @example
 * ```ts
 * import { CACHE_IMMUTABLE, fromBytes, handleVideo } from "@ranged/video";
 * const res = handleVideo(new Request("http://x/seg1.m4s"), fromBytes(new Uint8Array(8), { name: "seg1.m4s" }), {
 *   cacheControl: CACHE_IMMUTABLE,
 * });
 * console.log(res.headers.get("cache-control"));
 * ```
 */
export const CACHE_IMMUTABLE = "public, max-age=31536000, immutable";

/**
 * Media whose URL may one day get new content: fresh for a day, then
 * revalidated with its ETag (a cheap 304), and served stale for a day while
 * revalidating so no viewer waits for the origin.
 *
 * @example
 * ```ts
 * import { CACHE_MEDIA } from "@ranged/video";
 * console.log(CACHE_MEDIA);
 * ```
 */
export const CACHE_MEDIA = "public, max-age=86400, stale-while-revalidate=86400";

/**
 * Manifests (`.m3u8`, `.mpd`) and anything that must be current: caches may
 * store it but must check with the origin before each use (RFC 9111
 * §5.2.2.4), which costs a 304 when nothing changed. A live playlist is
 * never served stale.
 *
 * @example
 * ```ts
 * import { CACHE_REVALIDATE } from "@ranged/video";
 * console.log(CACHE_REVALIDATE);
 * ```
 */
export const CACHE_REVALIDATE = "public, no-cache";

/**
 * Private or per-user media (signed, personalised): no shared cache, no disk.
 *
 * @example
 * ```ts
 * import { CACHE_NO_STORE } from "@ranged/video";
 * console.log(CACHE_NO_STORE);
 * ```
 */
export const CACHE_NO_STORE = "no-store";

/** Options of {@linkcode cacheControlFor}. */
export interface CacheControlForOptions {
  /**
   * Whether media URLs are immutable (versioned names, segments). Default
   * true: {@linkcode CACHE_IMMUTABLE}; false gives {@linkcode CACHE_MEDIA}.
   */
  immutable?: boolean;
}

const MANIFEST = /\.(m3u8|m3u|mpd)$/i;

/**
 * The preset for a file name: {@linkcode CACHE_REVALIDATE} for HLS and DASH
 * manifests (a live playlist changes at the same URL), otherwise
 * {@linkcode CACHE_IMMUTABLE} (or {@linkcode CACHE_MEDIA} with
 * `immutable: false`). Query strings and fragments are ignored, so a URL
 * path works as well as a name.
 *
 * @example
 * ```ts
 * import { cacheControlFor } from "@ranged/video";
 * console.log(cacheControlFor("live/index.m3u8")); // "public, no-cache"
 * console.log(cacheControlFor("movie.mp4")); // "public, max-age=31536000, immutable"
 * console.log(cacheControlFor("movie.mp4", { immutable: false }));
 * ```
 */
export function cacheControlFor(name: string, options: CacheControlForOptions = {}): string {
  const path = name.replace(/[?#].*$/, "");
  if (MANIFEST.test(path)) return CACHE_REVALIDATE;
  return options.immutable === false ? CACHE_MEDIA : CACHE_IMMUTABLE;
}
