/**
 * The fMP4 initialization segment (ISO/IEC 23000-19 CMAF header, the
 * `#EXT-X-MAP` of HLS and the `Initialization` of DASH): one `ftyp` and one
 * `moov` whose tracks keep the source's codec configuration verbatim, with
 * empty sample tables, zero durations and an `mvex` announcing fragments.
 * Pure: index in, bytes out.
 *
 * @module
 */

import { parseBoxHeader } from "../boxes.ts";
import { box, concatBytes, fullBox } from "../box_writer.ts";
import type { HlsTrack } from "./track.ts";

const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** `iso6`: tfdt version 1 and trun version 1 (signed composition offsets) are in use. */
const FTYP = box("ftyp", latin1("iso6"), { u32: 0 }, latin1("iso6"), latin1("mp41"));

/**
 * The init segment for `tracks` (in the order their `traf`s will appear),
 * with the source's `mvhd`.
 *
 * @example
 * ```ts ignore
 * const init = initSegment(index.mvhd, index.tracks);
 * ```
 */
export function initSegment(mvhd: Uint8Array, tracks: readonly HlsTrack[]): Uint8Array {
  const traks = tracks.map(trak);
  const trexes = tracks.map((t) =>
    // Every default is given per sample in trun, so the defaults here never apply.
    fullBox("trex", 0, 0, { u32: t.id }, { u32: 1 }, { u32: 0 }, { u32: 0 }, { u32: 0 })
  );
  const moov = box("moov", withZeroDuration(mvhd, [16, 24]), ...traks, box("mvex", ...trexes));
  return concatBytes([FTYP, moov]);
}

function trak(t: HlsTrack): Uint8Array {
  const stbl = box(
    "stbl",
    t.boxes.stsd,
    fullBox("stts", 0, 0, { u32: 0 }),
    fullBox("stsc", 0, 0, { u32: 0 }),
    fullBox("stsz", 0, 0, { u32: 0 }, { u32: 0 }),
    fullBox("stco", 0, 0, { u32: 0 }),
  );
  // A self-contained data reference: the media is in this file's own fragments.
  const dinf = t.boxes.dinf ?? box("dinf", fullBox("dref", 0, 0, { u32: 1 }, fullBox("url ", 0, 1)));
  const minf = box("minf", t.boxes.mediaHeader, dinf, stbl);
  const mdia = box("mdia", withZeroDuration(t.boxes.mdhd, [16, 24]), t.boxes.hdlr, minf);
  return box("trak", withZeroDuration(t.boxes.tkhd, [20, 28]), mdia);
}

/**
 * A copy of a full box with its duration field set to 0: `at` gives the
 * field's offset after the box header for version 0 (32-bit) and version 1
 * (64-bit). The durations of a fragmented movie are those of its fragments.
 */
function withZeroDuration(source: Uint8Array, at: readonly [number, number]): Uint8Array {
  const head = parseBoxHeader(source, 0, source.length);
  const out = source.slice(0, head.size);
  const version = out[head.headerSize];
  const offset = head.headerSize + (version === 1 ? at[1] : at[0]);
  const width = version === 1 ? 8 : 4;
  if (offset + width > out.length) return out;
  out.fill(0, offset, offset + width);
  return out;
}
