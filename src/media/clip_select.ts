/**
 * Which samples a time-seek clip keeps, and the edit list that shows them:
 * a pure function of a {@linkcode SampleIndex} and the requested times.
 *
 * The rules (issue 14):
 * - The reference track (the first video track, else the first track) starts
 *   on the last sync sample K whose presentation time is at or before
 *   `start`. The clip begins at K's time (`keyframe` mode), or at `start`
 *   with K's pre-roll hidden by the edit list (`exact` mode).
 * - Every other track starts on the sample (sync sample, when it has them)
 *   shown at that time, its edit list hiding what comes before, so A/V sync
 *   is the source's to the tick.
 * - The tail is cut in presentation order: every frame that starts before
 *   `end` is kept, with whatever decode-order samples it needs, and the edit
 *   list ends at the next frame, so no frame is missing and none is added.
 * - The source's edit lists (B-frame delay, AAC priming, a leading empty
 *   edit) are honoured in every presentation time computed here.
 *
 * Times in here are seconds (numbers), converted to ticks only at the end.
 *
 * @module
 */

import { RangedError } from "../http/errors.ts";
import type { SampleIndex, TrackIndex } from "./sample_index.ts";
import { UnsupportedMp4Error } from "./sample_tables.ts";

/** How a clip starts: on the keyframe (default), or exactly at `start` with the pre-roll hidden. */
export type ClipMode = "keyframe" | "exact";

/**
 * The requested clip cannot be made from this file (a start at or past its
 * duration): a client error, answered with a 4xx and this one-line reason.
 *
 * @example
 * ```ts
 * import { ClipRangeError } from "@ranged/video";
 * const err = new ClipRangeError("start 90.000 s is at or past the duration (60.000 s)");
 * console.log(err.status, err.message); // 400 ...
 * ```
 */
export class ClipRangeError extends RangedError {
  /** The HTTP status to answer with. */
  readonly status = 400;
}

/** One kept track: its samples `[first, last]` in decode order and its new edit list. */
export interface TrackCut {
  /** The source track. */
  readonly track: TrackIndex;
  /** First kept sample (decode order). */
  readonly first: number;
  /** Last kept sample, inclusive. */
  readonly last: number;
  /** Leading empty edit, in the movie timescale. */
  readonly emptyDuration: number;
  /** Media time (new media timeline, media timescale) shown at the end of the empty edit. */
  readonly mediaTime: number;
  /** Length of the media edit, in the movie timescale. */
  readonly editDuration: number;
}

/** What a clip keeps. */
export interface ClipCut {
  /** Where the clip really begins on the source's timeline, in seconds (X-Content-Start). */
  readonly contentStart: number;
  /** The kept tracks, in the source's order. */
  readonly tracks: readonly TrackCut[];
  /** The clip's duration in the movie timescale. */
  readonly movieDuration: number;
}

/** Samples scanned past the last kept one to find the frame that ends the clip: deeper than any B-pyramid. */
const REORDER_WINDOW = 64;
/** Tolerance for comparing presentation times computed in floating point (a nanosecond). */
const EPS = 1e-9;

/**
 * Chooses the samples and edit lists of the clip `[startMs, endMs)` of `index`.
 * Throws {@linkcode ClipRangeError} for a start at or past the duration and
 * {@linkcode UnsupportedMp4Error} when the file gives nothing to start on.
 *
 * @example
 * ```ts ignore
 * import { loadSampleIndex, selectClip } from "@ranged/video";
 * const cut = selectClip(await loadSampleIndex(file), { start: 12_500, end: 30_000 });
 * console.log(cut.contentStart); // 12 (the keyframe at or before 12.5 s)
 * ```
 */
export function selectClip(
  index: SampleIndex,
  times: { start: number; end?: number },
  mode: ClipMode = "keyframe",
): ClipCut {
  const mts = index.movieTimescale;
  const tracks = index.tracks.filter((t) => t.count > 0);
  if (tracks.length === 0) throw new UnsupportedMp4Error("no samples to clip");
  const duration = Math.max(index.movieDuration / mts, ...tracks.map((t) => sourceEnd(t, mts)));
  const start = times.start / 1000;
  if (start >= duration - EPS) {
    throw new ClipRangeError(`start ${start.toFixed(3)} s is at or past the duration (${duration.toFixed(3)} s)`);
  }
  const end = times.end !== undefined && times.end / 1000 < duration ? times.end / 1000 : undefined;
  const ref = tracks.find((t) => t.handler === "vide") ?? tracks[0];

  const k = startSample(ref, mts, start);
  if (k < 0) throw new UnsupportedMp4Error("no sync sample to start on");
  const keyTime = Math.max(pt(ref, mts, k), shownFrom(ref, mts));
  const t0 = mode === "exact" ? Math.max(start, keyTime) : keyTime;
  // The clip ends where the frame after the last one shown begins (or where the source ends).
  let clipEnd = sourceEnd(ref, mts);
  let refLast = ref.count - 1;
  if (end !== undefined) {
    refLast = lastBefore(ref, mts, k, end);
    clipEnd = Math.min(clipEnd, nextFrameAfter(ref, mts, k, refLast, end) ?? clipEnd);
  }

  const cuts: TrackCut[] = [];
  let movieDuration = 0;
  for (const t of index.tracks) {
    if (t.count === 0) continue;
    const trackEnd = end === undefined ? sourceEnd(t, mts) : Math.min(clipEnd, sourceEnd(t, mts));
    if (trackEnd <= t0 + EPS) continue; // ends before the clip starts: dropped
    const shown = t === ref ? k : startSample(t, mts, t0);
    if (shown < 0) continue;
    // An AAC (or any MDCT) frame decodes right only after the one before it: keep that one as a
    // pre-roll the edit list hides, as encoders do with their priming frame.
    const first = !t.hasSyncTable && t.handler === "soun" && shown > 0 ? shown - 1 : shown;
    const last = t === ref ? refLast : lastBefore(t, mts, shown, trackEnd);
    if (last < first) continue; // starts after the clip ends: dropped
    const cut = editFor(t, mts, first, last, t0, trackEnd);
    if (cut.editDuration <= 0) continue;
    cuts.push(cut);
    movieDuration = Math.max(movieDuration, cut.emptyDuration + cut.editDuration);
  }
  if (!cuts.some((c) => c.track === ref)) throw new UnsupportedMp4Error("the clip holds no frame");
  return { contentStart: mode === "exact" ? t0 : keyTime, tracks: cuts, movieDuration };
}

/** The edit list that shows clip time 0 at source time `t0`, up to `trackEnd`. */
function editFor(t: TrackIndex, mts: number, first: number, last: number, t0: number, trackEnd: number): TrackCut {
  const base = t.dts(first);
  // The new media timeline starts at the first kept sample's decode time; m0 is the media
  // time (ticks) on it that the source shows at t0. The source's own hidden lead (its
  // media_time) stays hidden when the clip starts before it.
  const m0 = (t0 - decodeTimeOf(t, mts, first)) * t.timescale;
  const hiddenLead = t.edit.mediaTime - base;
  const mediaTime = Math.max(0, Math.round(Math.max(m0, hiddenLead)));
  const emptySeconds = Math.max(0, (mediaTime - m0) / t.timescale);
  const emptyDuration = Math.round(emptySeconds * mts);
  const editDuration = Math.round((trackEnd - t0) * mts) - emptyDuration;
  return { track: t, first, last, emptyDuration, mediaTime, editDuration };
}

/** Source time (seconds) at which the source shows media time `m` (ticks) of `t`. */
function mediaToSource(t: TrackIndex, mts: number, m: number): number {
  return t.edit.emptyDuration / mts + (m - t.edit.mediaTime) / t.timescale;
}

/** Presentation time of sample `i` on the source's timeline, in seconds. */
function pt(t: TrackIndex, mts: number, i: number): number {
  return mediaToSource(t, mts, t.dts(i) + t.cts(i));
}

function decodeTimeOf(t: TrackIndex, mts: number, i: number): number {
  return mediaToSource(t, mts, t.dts(i));
}

/** Where the source starts showing the track (after its empty edit). */
function shownFrom(t: TrackIndex, mts: number): number {
  return t.edit.emptyDuration / mts;
}

/** Where the source stops showing the track: its media edit's end, or its media's end. */
function sourceEnd(t: TrackIndex, mts: number): number {
  if (t.edit.duration > 0) return (t.edit.emptyDuration + t.edit.duration) / mts;
  return mediaToSource(t, mts, t.dts(t.count));
}

/**
 * The last sync sample shown at or before `time` (a sample shown earlier
 * still covers `time` until the next one), else the first sync sample; -1
 * when there is none.
 *
 * Decode times never decrease and a sample is shown between `dts + ctsMin`
 * and `dts + ctsMax`, so only samples decoded by `time − ctsMin` can qualify,
 * and the scan back from there stops once no earlier one can beat the best:
 * a few GOPs are read, not the whole track.
 */
function startSample(t: TrackIndex, mts: number, time: number): number {
  let best = -1;
  let bestTime = -Infinity;
  for (let i = lastShownFrom(t, mts, time + EPS); i >= 0; i--) {
    if (best >= 0 && mediaToSource(t, mts, t.dts(i) + t.ctsMax) < bestTime) break;
    if (!t.isSync(i)) continue;
    const p = pt(t, mts, i);
    // Strictly later wins: scanning backwards, the later sample of a tie is already kept.
    if (p <= time + EPS && p > bestTime) {
      best = i;
      bestTime = p;
    }
  }
  if (best >= 0) return best;
  for (let i = 0; i < t.count; i++) if (t.isSync(i)) return i;
  return -1;
}

/** The last sample that may be shown at or before `time` (shown no earlier than `dts + ctsMin`); -1 for none. */
function lastShownFrom(t: TrackIndex, mts: number, time: number): number {
  let lo = -1;
  let hi = t.count - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (mediaToSource(t, mts, t.dts(mid) + t.ctsMin) <= time) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The last sample (decode order, from `from`) shown before `time`. Every
 * sample shown by `dts + ctsMax < time` is, so the scan starts at the last of
 * those (a binary search) and stops where no later one can be: a few GOPs.
 */
function lastBefore(t: TrackIndex, mts: number, from: number, time: number): number {
  let lo = from - 1;
  let hi = t.count - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (mediaToSource(t, mts, t.dts(mid) + t.ctsMax) < time - EPS) lo = mid;
    else hi = mid - 1;
  }
  let last = lo;
  for (let i = Math.max(from, lo + 1); i < t.count; i++) {
    if (mediaToSource(t, mts, t.dts(i) + t.ctsMin) >= time - EPS) break;
    if (pt(t, mts, i) < time - EPS) last = i;
  }
  return last;
}

/** The earliest presentation time at or after `time` among samples near the cut: the frame that follows the clip. */
function nextFrameAfter(t: TrackIndex, mts: number, from: number, last: number, time: number): number | undefined {
  let next: number | undefined;
  const stop = Math.min(t.count, last + 1 + REORDER_WINDOW);
  for (let i = from; i < stop; i++) {
    const p = pt(t, mts, i);
    if (p >= time - EPS && (next === undefined || p < next)) next = p;
  }
  return next;
}
