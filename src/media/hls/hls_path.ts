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
  | { readonly kind: "subtitles"; readonly track: number }
  | { readonly kind: "media"; readonly rendition: number }
  | { readonly kind: "init"; readonly rendition: number }
  | { readonly kind: "segment"; readonly rendition: number; readonly segment: number }
  | { readonly kind: "trackInit"; readonly rendition: number; readonly track: number }
  | { readonly kind: "trackSegment"; readonly rendition: number; readonly track: number; readonly segment: number };

/** The master playlist's name. */
export const MASTER_NAME = "master.m3u8";
/** The DASH manifest's name. */
export const MANIFEST_NAME = "manifest.mpd";
const MEDIA_NAME = "media.m3u8";
const INIT_NAME = "init.mp4";
/** Segment numbers up to 10^9 (a 6-year VOD at 6 s): a longer number is not one of ours. */
const SEGMENT = /^seg-(0|[1-9][0-9]{0,8})\.m4s$/;
/** DASH's per-track resources: track ids are 32-bit, written without leading zeros. */
const TRACK_INIT = /^init-([1-9][0-9]{0,9})\.mp4$/;
const TRACK_SEGMENT = /^seg-([1-9][0-9]{0,9})-(0|[1-9][0-9]{0,8})\.m4s$/;
const SUBTITLES = /^subs-(0|[1-9][0-9]?)\.m3u8$/;

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
  const subs = SUBTITLES.exec(subPath);
  if (subs) return { kind: "subtitles", track: Number(subs[1]) };
  const slash = subPath.lastIndexOf("/");
  const dir = slash < 0 ? "" : subPath.slice(0, slash);
  const leaf = subPath.slice(slash + 1);
  const rendition = names.indexOf(dir);
  if (rendition < 0) return undefined;
  if (leaf === MEDIA_NAME) return { kind: "media", rendition };
  if (leaf === INIT_NAME) return { kind: "init", rendition };
  const m = SEGMENT.exec(leaf);
  if (m) return { kind: "segment", rendition, segment: Number(m[1]) };
  const ti = TRACK_INIT.exec(leaf);
  if (ti) return { kind: "trackInit", rendition, track: Number(ti[1]) };
  const ts = TRACK_SEGMENT.exec(leaf);
  return ts ? { kind: "trackSegment", rendition, track: Number(ts[1]), segment: Number(ts[2]) } : undefined;
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
    /** DASH: track `id`'s init segment, from the manifest. */
    trackInit: (id: number) => `${dir}init-${id}.mp4${query}`,
    /** DASH: track `id`'s segment template, from the manifest. */
    // `$` is the template's escape character: a literal one is written `$$`.
    trackMedia: (id: number) => `${dir}seg-${id}-$Number$.m4s${query.replaceAll("$", "$$$$")}`,
  };
}

/**
 * URI of subtitle playlist `n`, relative to the master.
 *
 * @example
 * ```ts ignore
 * subtitlesUri(0, ""); // "subs-0.m3u8"
 * ```
 */
export function subtitlesUri(n: number, query: string): string {
  return `subs-${n}.m3u8${query}`;
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
