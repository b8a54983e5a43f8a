/**
 * An HLS package: everything the playlists and segments of one or several
 * renditions need, computed once per set of file versions from their sample
 * indexes. Pure: indexes in, a package out; no I/O, and nothing here depends
 * on the request (the child-URI query is applied when a playlist is rendered).
 *
 * @module
 */

import { codecOf } from "./codecs.ts";
import { HlsUnsupportedError } from "./errors.ts";
import { initSegment } from "./init_segment.ts";
import { segmentSize, type TrackRun } from "./media_segment.ts";
import { cutRenditions, DEFAULT_SEGMENT_SECONDS } from "./segments.ts";
import { trimToEdit } from "./tail_trim.ts";
import type { HlsIndex, HlsTrack } from "./track.ts";

/** Track handlers that go into HLS; others (timecode, text, hint) are left out. */
const MEDIA_HANDLERS = new Set(["vide", "soun"]);

/** One rendition of a package: one source file's audio and video. */
export interface Rendition {
  /** Its name (the source file's), used in URIs of a folder's master. */
  readonly name: string;
  /** The movie timescale of its source. */
  readonly movieTimescale: number;
  /** The source's `mvhd`, for init segments. */
  readonly mvhd: Uint8Array;
  /** The tracks packaged, in traf order. */
  readonly tracks: readonly HlsTrack[];
  /** RFC 6381 codec strings, one per track. */
  readonly codecs: readonly string[];
  /** `video/mp4`, or `audio/mp4` when it has no video. */
  readonly contentType: string;
  /** The init segment. */
  readonly init: Uint8Array;
  /** Per track, the first sample of each segment and the sample count last. */
  readonly starts: readonly (readonly number[])[];
  /** Size in bytes of each segment. */
  readonly segmentSizes: readonly number[];
  /** Peak segment bit rate (bits per second), moof included. */
  readonly bandwidth: number;
  /** Average bit rate over all segments (bits per second). */
  readonly averageBandwidth: number;
  /** Video size, when there is video. */
  readonly resolution?: { readonly width: number; readonly height: number };
  /** Video frames per second, when there is video. */
  readonly frameRate?: number;
}

/** Every rendition of one presentation, cut at the same times. */
export interface HlsPackage {
  /** Segment start times in seconds, and the end last. */
  readonly times: readonly number[];
  /** Each segment's duration in seconds (the EXTINF values). */
  readonly durations: readonly number[];
  /** The renditions, in the order given. */
  readonly renditions: readonly Rendition[];
  /** The target segment duration it was cut for, in seconds. */
  readonly target: number;
  /** Memory held, roughly, in bytes (for a cache's budget). */
  readonly bytes: number;
}

/**
 * Builds the package for `renditions` (one for a single file), cut into
 * segments of about `target` seconds. Throws {@linkcode HlsUnsupportedError}
 * for a source it cannot package and `RenditionAlignmentError` for
 * renditions that do not cut at the same times.
 *
 * @example
 * ```ts ignore
 * const pkg = buildPackage([{ name: "movie.mp4", index: await loadSampleIndex(file) }]);
 * console.log(pkg.durations); // [6, 6, ..., 1.2]
 * ```
 */
export function buildPackage(
  renditions: readonly { readonly name: string; readonly index: HlsIndex }[],
  target = DEFAULT_SEGMENT_SECONDS,
): HlsPackage {
  const kept = renditions.map(({ name, index }) => {
    const media = index.tracks.filter((t) => MEDIA_HANDLERS.has(t.handler) && t.count > 0);
    if (media.length === 0) throw new HlsUnsupportedError(`${name}: no audio or video track with samples`);
    const named = <T>(t: HlsTrack, work: () => T): T => {
      try {
        return work();
      } catch (err) {
        if (err instanceof HlsUnsupportedError) throw new HlsUnsupportedError(`${name}: track ${t.id}: ${err.message}`);
        throw err;
      }
    };
    const tracks = media.map((t) => named(t, () => trimToEdit(t, index.movieTimescale)));
    const codecs = tracks.map((t) => named(t, () => codecOf(t.boxes.stsd).codec));
    return { name, index: { movieTimescale: index.movieTimescale, mvhd: index.mvhd, tracks }, codecs };
  });
  const cuts = cutRenditions(kept, target);
  const times = cuts[0].times;
  const durations = times.slice(1).map((t, n) => t - times[n]);
  let bytes = 0;
  const out = kept.map(({ name, index, codecs }, r): Rendition => {
    const { starts } = cuts[r];
    const segmentSizes = durations.map((_, n) => segmentSize(runsOf(index.tracks, starts, n)));
    const video = index.tracks.find((t) => t.handler === "vide");
    const init = initSegment(index.mvhd, index.tracks);
    bytes += init.length + 8 * (segmentSizes.length + starts.length * (segmentSizes.length + 1)) + 512;
    return {
      name,
      movieTimescale: index.movieTimescale,
      mvhd: index.mvhd,
      tracks: index.tracks,
      codecs,
      contentType: video ? "video/mp4" : "audio/mp4",
      init,
      starts,
      segmentSizes,
      bandwidth: peakBitRate(segmentSizes, durations, target),
      averageBandwidth: 8 * segmentSizes.reduce((a, b) => a + b, 0) /
        Math.max(times[times.length - 1] - times[0], 1e-3),
      resolution: video && video.width > 0 ? { width: video.width, height: video.height } : undefined,
      frameRate: video ? video.count * video.timescale / Math.max(video.dts(video.count) - video.dts(0), 1) : undefined,
    };
  });
  return { times, durations, renditions: out, target, bytes };
}

/**
 * The samples of segment `n` of each track.
 *
 * @example
 * ```ts ignore
 * mediaSegment(runsOf(rendition.tracks, rendition.starts, 3), 4, rendition.movieTimescale);
 * ```
 */
export function runsOf(tracks: readonly HlsTrack[], starts: readonly (readonly number[])[], n: number): TrackRun[] {
  return tracks.map((track, k) => ({ track, from: starts[k][n], to: starts[k][n + 1] }));
}

/**
 * The highest bit rate of any segment (bits per second). A last segment shorter than half the
 * target is measured together with the one before it: a few frames over a
 * few milliseconds would otherwise announce a peak no segment of real length
 * reaches, and players would pick a lower rendition than they can play.
 */
export function peakBitRate(sizes: readonly number[], durations: readonly number[], target: number): number {
  let peak = 0;
  const n = sizes.length;
  const shortTail = n > 1 && durations[n - 1] < target / 2;
  for (let i = 0; i < n; i++) {
    let size = sizes[i];
    let duration = durations[i];
    if (shortTail && i >= n - 2) {
      size = sizes[n - 2] + sizes[n - 1];
      duration = durations[n - 2] + durations[n - 1];
    }
    peak = Math.max(peak, 8 * size / Math.max(duration, 1e-3));
  }
  return peak;
}
