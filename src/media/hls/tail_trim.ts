/**
 * The tail of a track's media edit: an edit list whose media edit is shorter
 * than the media hides the samples after it, and fMP4 segments written
 * CMAF-style (no edit list in the init) cannot hide anything. So the samples
 * the edit hides are left out, when that can be done without breaking the
 * ones kept: only a run at the end of decode order can go (nothing decoded
 * earlier refers to it). A hidden frame that kept frames are decoded from
 * (a P-frame whose B-frames are shown before the edit ends) is refused with
 * the time, rather than shown past the end or dropped from under its B-frames.
 *
 * @module
 */

import { HlsUnsupportedError } from "./errors.ts";
import type { HlsTrack } from "./track.ts";

/**
 * `track` with the samples its edit hides at the end left out (the same
 * track when the edit hides none). Pure: the arrays are shared, only the count changes.
 *
 * @example
 * ```ts ignore
 * trimToEdit(audio, 1000).count; // 150 of 152 packets: the edit stops 40 ms before the media does
 * ```
 */
export function trimToEdit(track: HlsTrack, movieTimescale: number): HlsTrack {
  const { emptyDuration, mediaTime, duration } = track.edit;
  if (duration === 0) return track;
  // Exact, in integers: sample i is hidden when its composition time is at or after mediaTime + duration
  // (the edit's duration is in the movie timescale, the samples' times in the media timescale).
  const hidden = (i: number) =>
    (track.dts(i) + track.cts(i) - mediaTime) * movieTimescale >= duration * track.timescale;
  let kept = track.count;
  while (kept > 1 && hidden(kept - 1)) kept--;
  for (let i = 0; i < kept; i++) {
    if (!hidden(i)) continue;
    const at = (track.dts(i) + track.cts(i) - mediaTime) / track.timescale + emptyDuration / movieTimescale;
    const end = (emptyDuration + duration) / movieTimescale;
    throw new HlsUnsupportedError(
      `its edit list ends the media at ${end.toFixed(3)} s, ` +
        `but the sample shown at ${at.toFixed(3)} s, after that, is decoded before samples shown earlier ` +
        `and cannot be left out`,
    );
  }
  return kept === track.count ? track : truncated(track, kept);
}

/**
 * The first `count` samples of a track. Spelled out, not spread: the sample
 * columns answer through methods on their class, which a spread would drop.
 */
function truncated(track: HlsTrack, count: number): HlsTrack {
  return {
    id: track.id,
    handler: track.handler,
    timescale: track.timescale,
    count,
    offset: (i) => track.offset(i),
    sizes: track.sizes.subarray(0, count),
    dts: (i) => track.dts(i),
    cts: (i) => track.cts(i),
    isSync: (i) => track.isSync(i),
    hasSyncTable: track.hasSyncTable,
    edit: track.edit,
    width: track.width,
    height: track.height,
    language: track.language,
    boxes: track.boxes,
  };
}
