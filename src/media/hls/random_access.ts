/**
 * Whether a video sample can start a segment, from its own bytes: the `stss`
 * flag says "sync", but muxers set it on open-GOP I-frames too, and a segment
 * that starts there cannot be decoded on its own. H.264: the first VCL NAL
 * unit is an IDR (type 5). HEVC: it is an IRAP picture (types 16–23: BLA,
 * IDR, CRA). AV1: the first frame is a key frame. Pure: bytes in, a verdict
 * out; reading the bytes is the caller's (`sampleStartsAt` walks a window
 * and says where to read next when a NAL unit or OBU is larger than it).
 *
 * @module
 */

import { type BoxHeader, childBoxes, parseBoxHeader } from "../boxes.ts";
import { HlsUnsupportedError } from "./errors.ts";

const VISUAL_ENTRY = 78; // SampleEntry (8) + VisualSampleEntry fields up to its child boxes

/** How a track's samples are framed, from its sample entry: what {@linkcode sampleStartsAt} needs. */
export interface SampleFraming {
  /** `avc` and `hevc`: length-prefixed NAL units; `av1`: OBUs with sizes. */
  readonly kind: "avc" | "hevc" | "av1";
  /** Bytes of each NAL unit's length prefix (1, 2 or 4); 0 for AV1. */
  readonly lengthSize: number;
  /** AV1 only: the sequence header says every frame is a key frame (reduced still-picture header). */
  readonly stillPictures: boolean;
}

/**
 * The framing of the one sample entry of `stsd`, or `undefined` for codecs
 * whose sync samples are trusted as they are (audio, anything else).
 *
 * @example
 * ```ts ignore
 * sampleFraming(track.boxes.stsd); // { kind: "avc", lengthSize: 4, stillPictures: false }
 * ```
 */
export function sampleFraming(stsd: Uint8Array): SampleFraming | undefined {
  const head = parseBoxHeader(stsd, 0, stsd.length);
  const entry = parseBoxHeader(stsd, head.headerSize + 8, head.size);
  const config = (type: string): Uint8Array | undefined => {
    const from = entry.start + entry.headerSize + VISUAL_ENTRY;
    if (from > entry.start + entry.size) return undefined;
    const found = [...childBoxes(stsd, from, entry.start + entry.size)].find((b: BoxHeader) => b.type === type);
    return found && stsd.subarray(found.start + found.headerSize, found.start + found.size);
  };
  switch (entry.type) {
    case "avc1":
    case "avc3": {
      const c = config("avcC");
      if (!c || c.length < 5) throw new HlsUnsupportedError("truncated avcC");
      return { kind: "avc", lengthSize: lengthSize(c[4]), stillPictures: false };
    }
    case "hvc1":
    case "hev1": {
      const c = config("hvcC");
      if (!c || c.length < 22) throw new HlsUnsupportedError("truncated hvcC");
      return { kind: "hevc", lengthSize: lengthSize(c[21]), stillPictures: false };
    }
    case "av01": {
      const c = config("av1C");
      // A sequence header OBU in configOBUs: byte 0 of its payload is seq_profile(3) still_picture(1)
      // reduced_still_picture_header(1); a header with obu_has_size and no extension puts it 2 bytes on.
      const seq = c && c.length >= 7 && ((c[4] >> 3) & 0xf) === 1 && (c[4] & 0x06) === 0x02 ? c[6] : 0;
      return { kind: "av1", lengthSize: 0, stillPictures: ((seq >> 3) & 1) === 1 };
    }
    default:
      return undefined;
  }
}

function lengthSize(byte: number): number {
  const size = (byte & 3) + 1;
  if (size === 3) throw new HlsUnsupportedError("NAL length size 3");
  return size;
}

/** What the first picture of a sample is, or where to read next to find out. */
export type SampleStart =
  | { readonly random: boolean; readonly what: string }
  | { readonly next: number };

/**
 * Looks at `window`, the bytes of a sample from offset `at` (relative to the
 * sample's start, on a NAL unit or OBU boundary), and says whether the
 * sample's first picture is a random access point, or the offset of the
 * first unit whose header lies past the window (read there next). A sample
 * with no picture at all is not a random access point.
 *
 * @example
 * ```ts ignore
 * sampleStartsAt(framing, window, 0, size); // { random: true, what: "IDR" }
 * ```
 */
export function sampleStartsAt(framing: SampleFraming, window: Uint8Array, at: number, size: number): SampleStart {
  let pos = 0; // in window
  while (at + pos < size) {
    const unit = framing.kind === "av1" ? obuAt(window, pos, size - at) : nalAt(window, pos, framing.lengthSize);
    if (unit === undefined) return { next: at + pos };
    const verdict = framing.kind === "avc"
      ? avcPicture(unit.header)
      : framing.kind === "hevc"
      ? hevcPicture(unit.header)
      : av1Picture(unit.header, unit.type, framing.stillPictures);
    if (verdict !== undefined) return verdict;
    pos = unit.end;
  }
  return { random: false, what: "no picture" };
}

/** A NAL unit's first header byte and where the next unit starts, if its prefix and header are in the window. */
function nalAt(w: Uint8Array, pos: number, size: number): { header: number; end: number; type: number } | undefined {
  if (pos + size + 1 > w.length) return undefined;
  let length = 0;
  for (let i = 0; i < size; i++) length = length * 256 + w[pos + i];
  return { header: w[pos + size], end: pos + size + length, type: 0 };
}

/** An OBU's type, the first byte of its payload and where the next OBU starts, if they are in the window. */
function obuAt(w: Uint8Array, pos: number, rest: number): { header: number; end: number; type: number } | undefined {
  if (pos >= w.length) return undefined;
  const type = (w[pos] >> 3) & 0xf;
  let at = pos + 1 + ((w[pos] >> 2) & 1);
  let length = rest - (at - pos); // no size field: the OBU runs to the end of the sample
  if ((w[pos] >> 1) & 1) {
    length = 0;
    for (let i = 0;; i++) {
      if (i === 8) throw new HlsUnsupportedError("AV1 sample: OBU size longer than 8 bytes");
      if (at >= w.length) return undefined;
      const b = w[at++];
      length += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) break;
    }
  }
  if (at >= w.length && length > 0) return undefined;
  return { header: length > 0 ? w[at] : -1, end: at + length, type };
}

function avcPicture(header: number): SampleStart | undefined {
  const type = header & 0x1f;
  if (type < 1 || type > 5) return undefined; // not a slice: SEI, parameter sets, delimiters
  return type === 5 ? { random: true, what: "IDR" } : { random: false, what: `a non-IDR slice (NAL type ${type})` };
}

function hevcPicture(header: number): SampleStart | undefined {
  const type = (header >> 1) & 0x3f;
  if (type > 31) return undefined; // non-VCL: parameter sets, SEI, delimiters
  if (type >= 16 && type <= 23) return { random: true, what: `IRAP (NAL type ${type})` };
  return { random: false, what: `a non-IRAP picture (NAL type ${type})` };
}

/** AV1 §5.9.2: show_existing_frame(1) frame_type(2) first, unless the sequence has reduced headers. */
function av1Picture(payload: number, type: number, stillPictures: boolean): SampleStart | undefined {
  if (type !== 3 && type !== 6) return undefined; // only OBU_FRAME_HEADER and OBU_FRAME start a picture
  if (payload < 0) return { random: false, what: "an empty frame header" };
  if (stillPictures) return { random: true, what: "a key frame" };
  if (payload & 0x80) return { random: false, what: "a repeated frame (show_existing_frame)" };
  const frameType = (payload >> 5) & 3;
  return frameType === 0
    ? { random: true, what: "a key frame" }
    : { random: false, what: `${["", "an inter", "an intra-only", "a switch"][frameType]} frame` };
}
