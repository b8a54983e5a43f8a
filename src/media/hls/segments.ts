/**
 * Where segments start: the pure decision, from the sample index alone.
 *
 * The reference track (the first video track, else the first track) is cut
 * at sync samples near the target duration; every other track is cut where
 * its presentation time reaches each cut (at a sync sample for video). The
 * same cut times serve every rendition of a folder, which is what lets a
 * player switch renditions at any segment boundary; a rendition without a
 * keyframe at one of those times is refused, naming the time.
 *
 * @module
 */

import { HlsUnsupportedError, RenditionAlignmentError } from "./errors.ts";
import { editEnd, type HlsIndex, type HlsTrack, isSync, presentationTime, sampleDuration } from "./track.ts";

/** Segment boundaries for one rendition. */
export interface Cut {
  /** Segment start times in seconds, and the end of the presentation last: length segments + 1. */
  readonly times: readonly number[];
  /** Per track of the index (same order), the sample where each segment starts and the count last. */
  readonly starts: readonly (readonly number[])[];
}

/** Default target segment duration in seconds (Apple's authoring guideline). */
export const DEFAULT_SEGMENT_SECONDS = 6;

/**
 * Two presentation times closer than this are the same instant: timescales of
 * renditions differ, and 1 ms is far below any frame duration.
 */
const SAME_INSTANT = 0.001;

/**
 * The reference track: the first video track, else the first track.
 *
 * @example
 * ```ts ignore
 * referenceTrack(index.tracks); // the index of the video track
 * ```
 */
export function referenceTrack(tracks: readonly HlsTrack[]): number {
  const video = tracks.findIndex((t) => t.handler === "vide");
  return video >= 0 ? video : 0;
}

/**
 * Cuts one rendition into segments of about `target` seconds, each starting
 * on a sync sample of the reference track (the one closest to the target).
 *
 * @example
 * ```ts ignore
 * const cut = cutSegments(index, 6);
 * console.log(cut.times); // [0, 6, 12, ..., duration]
 * ```
 */
export function cutSegments(index: HlsIndex, target = DEFAULT_SEGMENT_SECONDS): Cut {
  if (!(target > 0)) throw new RangeError(`segment duration must be positive, got ${target}`);
  const { tracks, movieTimescale } = index;
  if (tracks.length === 0) throw new HlsUnsupportedError("no audio or video track");
  const r = referenceTrack(tracks);
  const ref = tracks[r];
  if (ref.count === 0) throw new HlsUnsupportedError(`track ${ref.id} has no samples`);
  if (!isSync(ref, 0)) throw new HlsUnsupportedError(`track ${ref.id}: the first sample is not a sync sample`);
  const pts = (i: number) => presentationTime(ref, i, movieTimescale);

  const cuts = [0];
  let startTime = pts(0);
  let prev = -1; // the last keyframe short of the target, a candidate too
  for (let i = 1; i < ref.count; i++) {
    if (!isSync(ref, i)) continue;
    const t = pts(i);
    if (t <= startTime) continue; // a keyframe that does not move time forward cannot start a segment
    if (t - startTime < target) {
      prev = i;
      continue;
    }
    const pick = prev >= 0 && target - (pts(prev) - startTime) < t - startTime - target ? prev : i;
    cuts.push(pick);
    startTime = pts(pick);
    prev = -1;
    if (pick !== i) i = pick; // look again at the keyframes after the new start
  }
  const times = cuts.map(pts);
  times.push(presentationEnd(ref, cuts[cuts.length - 1], movieTimescale));
  return { times, starts: tracks.map((t, k) => (k === r ? [...cuts, ref.count] : splitAt(t, times, movieTimescale))) };
}

/**
 * Cuts several renditions of the same content at the first one's times, and
 * refuses (naming the rendition and the time) any whose reference track has
 * no sync sample at one of them.
 *
 * @example
 * ```ts ignore
 * const cuts = cutRenditions([{ name: "720p.mp4", index: a }, { name: "360p.mp4", index: b }]);
 * ```
 */
export function cutRenditions(
  renditions: readonly { readonly name: string; readonly index: HlsIndex }[],
  target = DEFAULT_SEGMENT_SECONDS,
): Cut[] {
  if (renditions.length === 0) throw new HlsUnsupportedError("no renditions");
  const first = cutSegments(renditions[0].index, target);
  const out = [first];
  for (const { name, index } of renditions.slice(1)) {
    const tracks = index.tracks;
    if (tracks.length === 0) throw new HlsUnsupportedError(`${name}: no audio or video track`);
    const r = referenceTrack(tracks);
    const ref = tracks[r];
    const mts = index.movieTimescale;
    const starts = splitAt(ref, first.times, mts);
    for (let k = 0; k < first.times.length - 1; k++) {
      const i = starts[k];
      if (i >= ref.count || Math.abs(presentationTime(ref, i, mts) - first.times[k]) > SAME_INSTANT) {
        throw new RenditionAlignmentError(name, first.times[k]);
      }
    }
    const end = presentationEnd(ref, starts[starts.length - 2], mts);
    const last = first.times[first.times.length - 1];
    const frame = sampleDuration(ref, ref.count - 1) / ref.timescale;
    if (Math.abs(end - last) > Math.max(frame, SAME_INSTANT)) {
      throw new RenditionAlignmentError(name, Math.min(end, last), `ends at ${end.toFixed(3)} s, not`);
    }
    out.push({
      times: first.times,
      starts: tracks.map((t, k) => (k === r ? starts : splitAt(t, first.times, mts))),
    });
  }
  return out;
}

/**
 * For each segment start time, the first sample (decode order, at or after
 * the previous start) presented at or after it; sync samples only for video.
 * The first segment always starts at sample 0 so nothing is lost (AAC
 * priming samples, presented before 0, go into it).
 */
function splitAt(track: HlsTrack, times: readonly number[], movieTimescale: number): number[] {
  const starts = [0];
  let i = 0;
  const needSync = track.handler === "vide";
  for (let k = 1; k < times.length - 1; k++) {
    const t = times[k] - SAME_INSTANT / 2;
    while (
      i < track.count && (presentationTime(track, i, movieTimescale) < t || (needSync && !isSync(track, i)))
    ) i++;
    starts.push(i);
  }
  starts.push(track.count);
  return starts;
}

/**
 * The end of the last sample presented among samples `from..count`, in
 * seconds, or the end of the source's media edit if that comes first (the
 * last sample kept may be shown only in part, as an AAC packet cut by the edit).
 */
function presentationEnd(track: HlsTrack, from: number, movieTimescale: number): number {
  let end = -Infinity;
  for (let i = from; i < track.count; i++) {
    end = Math.max(end, presentationTime(track, i, movieTimescale) + sampleDuration(track, i) / track.timescale);
  }
  return Math.min(end, editEnd(track, movieTimescale) ?? Infinity);
}
