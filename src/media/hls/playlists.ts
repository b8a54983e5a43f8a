/**
 * HLS playlists (RFC 8216) as pure text: a media playlist from segment
 * durations, a master from variant descriptions. Only RFC 8216 tags; a VOD
 * playlist renders byte-identically for the same input, so its ETag holds.
 *
 * @module
 */

/**
 * Compatibility version: 6 is what `EXT-X-MAP` in a media playlist without
 * `EXT-X-I-FRAMES-ONLY` needs (RFC 8216 §7); decimal EXTINF needs only 3.
 */
export const HLS_VERSION = 6;

/** Options of {@linkcode mediaPlaylist}. */
export interface MediaPlaylistOptions {
  /** URI of the init segment, relative to the playlist. */
  readonly map: string;
  /** URI of segment `n` (0-based), relative to the playlist. */
  readonly segment: (n: number) => string;
}

/**
 * The `#EXT-X-TARGETDURATION` for these durations: every EXTINF rounded to
 * the nearest integer must be at most it (RFC 8216 §4.3.3.1), and it is at least 1.
 *
 * @example
 * ```ts ignore
 * targetDuration([6, 6.48, 2.1]); // 6
 * ```
 */
export function targetDuration(durations: readonly number[]): number {
  // Rounded as written, so a player reading "6.500" back never finds it above the target.
  return Math.max(1, ...durations.map((d) => Math.round(Number(formatDuration(d)))));
}

/**
 * Formats a duration for EXTINF: milliseconds, fixed, so renders are stable.
 *
 * @example
 * ```ts ignore
 * formatDuration(6.0000001); // "6.000"
 * ```
 */
export function formatDuration(seconds: number): string {
  return seconds.toFixed(3);
}

/**
 * A VOD media playlist for segments of the given durations (seconds).
 *
 * @example
 * ```ts ignore
 * mediaPlaylist([6, 4], { map: "init.mp4", segment: (n) => `seg-${n}.m4s` });
 * ```
 */
export function mediaPlaylist(durations: readonly number[], options: MediaPlaylistOptions): string {
  const lines = [
    "#EXTM3U",
    `#EXT-X-VERSION:${HLS_VERSION}`,
    `#EXT-X-TARGETDURATION:${targetDuration(durations)}`,
    "#EXT-X-MEDIA-SEQUENCE:0",
    "#EXT-X-PLAYLIST-TYPE:VOD",
    "#EXT-X-INDEPENDENT-SEGMENTS",
    `#EXT-X-MAP:URI=${quoted(options.map)}`,
  ];
  durations.forEach((d, n) => lines.push(`#EXTINF:${formatDuration(d)},`, options.segment(n)));
  lines.push("#EXT-X-ENDLIST", "");
  return lines.join("\n");
}

/**
 * A subtitle playlist of one WebVTT file covering the whole presentation
 * (RFC 8216 §3.5: a WebVTT file is a valid segment).
 *
 * @example
 * ```ts ignore
 * subtitlePlaylist(596.2, "../movie.en.vtt");
 * ```
 */
export function subtitlePlaylist(duration: number, uri: string): string {
  return [
    "#EXTM3U",
    `#EXT-X-VERSION:${HLS_VERSION}`,
    `#EXT-X-TARGETDURATION:${targetDuration([duration])}`,
    "#EXT-X-MEDIA-SEQUENCE:0",
    "#EXT-X-PLAYLIST-TYPE:VOD",
    `#EXTINF:${formatDuration(duration)},`,
    uri,
    "#EXT-X-ENDLIST",
    "",
  ].join("\n");
}

/** One `#EXT-X-STREAM-INF` of a master playlist. */
export interface Variant {
  /** URI of its media playlist, relative to the master. */
  readonly uri: string;
  /** Peak segment bit rate, bits per second. */
  readonly bandwidth: number;
  /** Average segment bit rate, bits per second. */
  readonly averageBandwidth: number;
  /** RFC 6381 codec strings of its tracks. */
  readonly codecs: readonly string[];
  /** Width and height of its video, when it has video. */
  readonly resolution?: { readonly width: number; readonly height: number };
  /** Frames per second of its video. */
  readonly frameRate?: number;
  /** GROUP-ID of the subtitle renditions it goes with. */
  readonly subtitles?: string;
}

/** One `#EXT-X-MEDIA` rendition (subtitles). */
export interface MediaRendition {
  readonly type: "SUBTITLES";
  readonly groupId: string;
  readonly name: string;
  readonly language?: string;
  readonly uri: string;
  readonly default?: boolean;
}

/**
 * A master playlist.
 *
 * @example
 * ```ts ignore
 * masterPlaylist([{ uri: "media.m3u8", bandwidth: 1e6, averageBandwidth: 8e5, codecs: ["avc1.64001e"] }]);
 * ```
 */
export function masterPlaylist(variants: readonly Variant[], media: readonly MediaRendition[] = []): string {
  const lines = ["#EXTM3U", `#EXT-X-VERSION:${HLS_VERSION}`, "#EXT-X-INDEPENDENT-SEGMENTS"];
  for (const m of media) {
    const attrs = [`TYPE=${m.type}`, `GROUP-ID=${quoted(m.groupId)}`, `NAME=${quoted(m.name)}`];
    if (m.language) attrs.push(`LANGUAGE=${quoted(m.language)}`);
    attrs.push(`DEFAULT=${m.default ? "YES" : "NO"}`, `AUTOSELECT=YES`, `URI=${quoted(m.uri)}`);
    lines.push(`#EXT-X-MEDIA:${attrs.join(",")}`);
  }
  for (const v of variants) {
    const attrs = [
      `BANDWIDTH=${Math.ceil(v.bandwidth)}`,
      `AVERAGE-BANDWIDTH=${Math.ceil(v.averageBandwidth)}`,
      `CODECS=${quoted(v.codecs.join(","))}`,
    ];
    if (v.resolution) attrs.push(`RESOLUTION=${v.resolution.width}x${v.resolution.height}`);
    if (v.frameRate !== undefined && v.frameRate > 0) attrs.push(`FRAME-RATE=${v.frameRate.toFixed(3)}`);
    if (v.subtitles) attrs.push(`SUBTITLES=${quoted(v.subtitles)}`);
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(",")}`, v.uri);
  }
  lines.push("");
  return lines.join("\n");
}

/** A quoted-string attribute value (RFC 8216 §4.2): no `"`, CR or LF inside. */
function quoted(value: string): string {
  if (/["\r\n]/.test(value)) throw new TypeError(`not allowed in a playlist attribute: ${JSON.stringify(value)}`);
  return `"${value}"`;
}
