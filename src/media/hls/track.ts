/**
 * The part of the shared MP4 sample index (`../sample_index.ts`) that
 * HLS packaging reads, and the one timing rule every HLS module applies to
 * it: where a sample is presented once the source's edit list is honoured.
 *
 * The edit list is honoured CMAF-style: the decode times go out unchanged
 * (shifted only by an initial empty edit), and the edit's media time is
 * taken off every composition offset, which trun version 1 lets go negative.
 * No edit list is written into the init segment: the MSE byte-stream format
 * promises to honour at most one edit, and some players honour none.
 *
 * @module
 */

import type { SampleIndex, TrackIndex } from "../sample_index.ts";

/** What HLS reads of one track of the sample index. */
export type HlsTrack = Pick<
  TrackIndex,
  | "id"
  | "handler"
  | "timescale"
  | "count"
  | "offset"
  | "sizes"
  | "dts"
  | "cts"
  | "isSync"
  | "hasSyncTable"
  | "edit"
  | "width"
  | "height"
  | "language"
  | "boxes"
>;

/** What HLS reads of the whole sample index. */
export interface HlsIndex {
  readonly movieTimescale: SampleIndex["movieTimescale"];
  readonly mvhd: SampleIndex["mvhd"];
  readonly tracks: readonly HlsTrack[];
}

/**
 * Ticks (media timescale) to add to a sample's decode time to start its
 * fragment: an initial empty edit delays the whole track.
 *
 * @example
 * ```ts ignore
 * decodeShift(track, 1000); // 0 for a track without an empty edit
 * ```
 */
export function decodeShift(track: HlsTrack, movieTimescale: number): number {
  return Math.round(track.edit.emptyDuration * track.timescale / movieTimescale);
}

/**
 * The composition offset written in trun for sample `i`: the source's minus
 * the edit's media time (so the first shown frame lands at the edit's start).
 *
 * @example
 * ```ts ignore
 * compositionOffset(track, 0); // 0 for x264 with B-frames: ctts 1024 - media_time 1024
 * ```
 */
export function compositionOffset(track: HlsTrack, i: number): number {
  return track.cts(i) - track.edit.mediaTime;
}

/**
 * Presentation time of sample `i` in seconds, edit list applied.
 *
 * @example
 * ```ts ignore
 * presentationTime(track, 0, 1000); // 0 for the first frame of an ordinary file
 * ```
 */
export function presentationTime(track: HlsTrack, i: number, movieTimescale: number): number {
  return (track.dts(i) + decodeShift(track, movieTimescale) + compositionOffset(track, i)) / track.timescale;
}

/**
 * Whether sample `i` may start a segment of this track.
 *
 * @example
 * ```ts ignore
 * isSync(audioTrack, 17); // true: audio has no stss, every sample is a sync sample
 * ```
 */
export function isSync(track: HlsTrack, i: number): boolean {
  return track.isSync(i);
}

/**
 * Duration of sample `i` in media ticks.
 *
 * @example
 * ```ts ignore
 * sampleDuration(track, 0); // 512 for 25 fps in a 12800 timescale
 * ```
 */
export function sampleDuration(track: HlsTrack, i: number): number {
  return track.dts(i + 1) - track.dts(i);
}

/**
 * Where the source's media edit stops showing this track, in seconds, or
 * `undefined` when it runs to the end of the media (an edit duration of 0,
 * or no edit list).
 *
 * @example
 * ```ts ignore
 * editEnd(track, 1000); // 3.36 for an edit that shows 3.36 s of the media from time 0
 * ```
 */
export function editEnd(track: HlsTrack, movieTimescale: number): number | undefined {
  const { emptyDuration, duration } = track.edit;
  return duration > 0 ? (emptyDuration + duration) / movieTimescale : undefined;
}
