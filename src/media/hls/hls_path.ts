/**
 * The URL scheme of an HLS package, relative to where it is mounted
 * (`/PATH/movie.mp4/` for one file, `/PATH/movie/` for a folder of
 * renditions): parsing a request's sub-path, and writing child URIs.
 * Pure; the one place that knows the names.
 *
 * @module
 */

/** What a sub-path names. `rendition` indexes the renditions given. */
export type HlsResource =
  | { readonly kind: "master" }
  | { readonly kind: "manifest" }
  | { readonly kind: "media"; readonly rendition: number }
  | { readonly kind: "init"; readonly rendition: number }
  | { readonly kind: "segment"; readonly rendition: number; readonly segment: number };

/** The master playlist's name. */
export const MASTER_NAME = "master.m3u8";
/** The DASH manifest's name. */
export const MANIFEST_NAME = "manifest.mpd";
const MEDIA_NAME = "media.m3u8";
const INIT_NAME = "init.mp4";
/** Segment numbers up to 10^9 (a 6-year VOD at 6 s): a longer number is not one of ours. */
const SEGMENT = /^seg-(0|[1-9][0-9]{0,8})\.m4s$/;

/**
 * Parses a decoded sub-path. `names` lists the renditions of a folder; for a
 * single file pass `[""]` (its resources sit directly under the mount).
 * `undefined` for anything that is not ours.
 *
 * @example
 * ```ts ignore
 * parseHlsPath("seg-3.m4s", [""]); // { kind: "segment", rendition: 0, segment: 3 }
 * parseHlsPath("360p.mp4/init.mp4", ["720p.mp4", "360p.mp4"]); // { kind: "init", rendition: 1 }
 * ```
 */
export function parseHlsPath(subPath: string, names: readonly string[]): HlsResource | undefined {
  if (subPath === MASTER_NAME) return { kind: "master" };
  if (subPath === MANIFEST_NAME) return { kind: "manifest" };
  const slash = subPath.lastIndexOf("/");
  const dir = slash < 0 ? "" : subPath.slice(0, slash);
  const leaf = subPath.slice(slash + 1);
  const rendition = names.indexOf(dir);
  if (rendition < 0) return undefined;
  if (leaf === MEDIA_NAME) return { kind: "media", rendition };
  if (leaf === INIT_NAME) return { kind: "init", rendition };
  const m = SEGMENT.exec(leaf);
  return m ? { kind: "segment", rendition, segment: Number(m[1]) } : undefined;
}

/**
 * URIs of a rendition's resources relative to the master (or the MPD), and
 * relative to its own media playlist, each followed by `query`.
 *
 * @example
 * ```ts ignore
 * hlsUris("360p.mp4", "?token=abc").media; // "360p.mp4/media.m3u8?token=abc"
 * ```
 */
export function hlsUris(name: string, query: string) {
  const dir = name === "" ? "" : `${name.split("/").map(encodeURIComponent).join("/")}/`;
  return {
    /** The media playlist, from the master. */
    media: `${dir}${MEDIA_NAME}${query}`,
    /** The init segment, from the media playlist. */
    init: `${INIT_NAME}${query}`,
    /** Segment `n`, from the media playlist. */
    segment: (n: number) => `seg-${n}.m4s${query}`,
    /** The rendition's folder from the master ("" for a single file), for templates. */
    dir,
  };
}

/**
 * Normalizes a caller's query suffix: `""` stays empty, `token=a` and
 * `?token=a` both become `?token=a`.
 *
 * @example
 * ```ts ignore
 * querySuffix("token=abc"); // "?token=abc"
 * ```
 */
export function querySuffix(childQuery: string | undefined): string {
  if (!childQuery) return "";
  const q = childQuery.startsWith("?") ? childQuery.slice(1) : childQuery;
  if (/[\s#"]/.test(q)) throw new TypeError(`childQuery may not hold whitespace, '#' or '"': ${JSON.stringify(q)}`);
  return q === "" ? "" : `?${q}`;
}
