/**
 * Why an MP4 cannot be packaged as HLS. The resource function answers
 * these with a 4xx and the message; the file itself is still served as is.
 *
 * @module
 */

import { Mp4FormatError } from "../boxes.ts";

/**
 * The MP4 parses but cannot be packaged: a codec without an HLS codec string,
 * a first video sample that is not a keyframe, no audio or video track.
 *
 * @example
 * ```ts
 * import { HlsUnsupportedError } from "@ranged/video";
 * console.log(new HlsUnsupportedError("track 1: codec 'mp4v' has no HLS codec string").message);
 * ```
 */
export class HlsUnsupportedError extends Mp4FormatError {}

/**
 * Renditions of one folder whose keyframes do not line up: a player
 * switching between them would stall or show a jump, so no master is built.
 *
 * @example
 * ```ts
 * import { RenditionAlignmentError } from "@ranged/video";
 * const err = new RenditionAlignmentError("480p.mp4", 12);
 * console.log(err.message); // 480p.mp4: no keyframe at 12.000 s where the first rendition cuts a segment
 * ```
 */
export class RenditionAlignmentError extends Mp4FormatError {
  /** The rendition that departs. */
  readonly rendition: string;
  /** Where it departs, in seconds. */
  readonly time: number;
  /** Creates the error for `rendition` departing at `time` seconds (`detail` replaces the default reason). */
  constructor(rendition: string, time: number, detail?: string) {
    super(`${rendition}: ${detail ?? "no keyframe"} at ${time.toFixed(3)} s where the first rendition cuts a segment`);
    this.rendition = rendition;
    this.time = time;
  }
}
