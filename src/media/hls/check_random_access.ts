/**
 * Reads the head of the sample that starts a segment and refuses it when it
 * is not a random access point (see `random_access.ts` for the rule per
 * codec). The package checks the first two segments when it is built (an
 * open-GOP file fails at its second cut, so it is refused at its master);
 * every other segment is checked when it is asked for: one small read per
 * request, where checking every cut up front would cost one read per segment
 * of the film before the first byte (a subrequest each on Workers reading R2,
 * past their per-request limit for a long film).
 *
 * @module
 */

import type { FileLike } from "../../http/file_like.ts";
import { readFully } from "../boxes.ts";
import { sampleFraming, sampleStartsAt } from "./random_access.ts";
import type { HlsTrack } from "./track.ts";

/** Bytes read at a time: x264's first IDR sample carries ~700 bytes of SEI before its slice. */
const WINDOW = 2048;
/** Reads per sample at most: each skips one NAL unit or OBU larger than the window. */
const MAX_READS = 8;

/**
 * Why sample `i` of `track` in `file` cannot start a segment, or
 * `undefined` when it can (or when its codec needs no check: audio).
 *
 * @example
 * ```ts ignore
 * await segmentStartProblem(file, video, 250, 1000); // undefined for an IDR frame
 * ```
 */
export async function segmentStartProblem(
  file: FileLike,
  track: HlsTrack,
  i: number,
): Promise<string | undefined> {
  if (track.handler !== "vide" || i >= track.count) return undefined;
  const framing = sampleFraming(track.boxes.stsd);
  if (framing === undefined) return undefined;
  const size = track.sizes[i];
  const where = `track ${track.id}: sample ${i + 1}, which starts a segment,`;
  let at = 0;
  for (let n = 0; n < MAX_READS && at < size; n++) {
    const window = new Uint8Array(Math.min(WINDOW, size - at));
    const got = await readFully(file, window, track.offset(i) + at);
    const start = sampleStartsAt(framing, window.subarray(0, got), at, size);
    if ("random" in start) return start.random ? undefined : `${where} starts with ${start.what}, not a keyframe`;
    if (start.next <= at && got < window.length) return `${where} runs past the end of the file`;
    at = start.next;
  }
  return `${where} shows no picture in its first ${MAX_READS} NAL units or OBUs past ${WINDOW} bytes`;
}
