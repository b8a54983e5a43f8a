/**
 * The AV1 codecs parameter (AV1-ISOBMFF v1.2.0 §A.3,
 * `av01.P.LLT.DD[.M.CCC.cp.tc.mc.F]`) from an `av1C` box and, when the long
 * form is needed, the sequence header OBU it carries. Pure; every read is
 * bounded by the bytes given, and a sequence header that runs out is refused
 * rather than guessed.
 *
 * The short form is written whenever the optional fields are at their
 * defaults (not monochrome, 4:2:0, BT.709 or undescribed colour, limited
 * range): some MSE implementations reject the long form outright, so it is
 * used only when the short form would misdescribe the stream.
 *
 * @module
 */

import { HlsUnsupportedError } from "./errors.ts";

/** OBU type of a sequence header (AV1 §6.2.2). */
const OBU_SEQUENCE_HEADER = 1;

/**
 * The codecs parameter of an AV1 track from its `av1C` payload (the box
 * without its header).
 *
 * @example
 * ```ts ignore
 * av1CodecString(av1C); // "av01.0.04M.08"
 * ```
 */
export function av1CodecString(c: Uint8Array): string {
  if (c.length < 4) throw new HlsUnsupportedError("truncated av1C");
  if (c[0] !== 0x81) throw new HlsUnsupportedError(`av1C marker/version ${c[0]} (expected 0x81)`);
  const profile = c[1] >> 5;
  const level = c[1] & 0x1f;
  const tier = (c[2] & 0x80) ? "H" : "M";
  const high = (c[2] & 0x40) !== 0;
  const twelve = (c[2] & 0x20) !== 0;
  const depth = high ? (profile === 2 && twelve ? 12 : 10) : 8;
  const mono = (c[2] >> 4) & 1;
  const chroma = `${(c[2] >> 3) & 1}${(c[2] >> 2) & 1}${c[2] & 3}`;
  const short = `av01.${profile}.${pad(level)}${tier}.${pad(depth)}`;
  const colour = sequenceColour(c.subarray(4));
  const defaultColour = colour === undefined ||
    (colour.primaries === 1 && colour.transfer === 1 && colour.matrix === 1 && colour.fullRange === 0);
  if (mono === 0 && chroma === "110" && defaultColour) return short;
  if (colour === undefined) {
    throw new HlsUnsupportedError("av1C: no sequence header OBU for the colour fields of the long codec string");
  }
  const { primaries, transfer, matrix, fullRange } = colour;
  return `${short}.${mono}.${chroma}.${pad(primaries)}.${pad(transfer)}.${pad(matrix)}.${fullRange}`;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** What the long form reads from the sequence header's color_config. */
interface Colour {
  readonly primaries: number;
  readonly transfer: number;
  readonly matrix: number;
  readonly fullRange: number;
}

/** The colour of the first sequence header OBU among `obus` (av1C's configOBUs), if there is one. */
function sequenceColour(obus: Uint8Array): Colour | undefined {
  let at = 0;
  while (at < obus.length) {
    const header = obus[at];
    const type = (header >> 3) & 0xf;
    const extension = (header >> 2) & 1;
    const hasSize = (header >> 1) & 1;
    at += 1 + extension;
    let size = obus.length - at;
    if (hasSize) {
      const leb = readLeb128(obus, at);
      size = leb.value;
      at = leb.next;
    }
    if (at + size > obus.length) throw new HlsUnsupportedError("av1C: an OBU runs past its box");
    if (type === OBU_SEQUENCE_HEADER) return colourConfig(obus.subarray(at, at + size));
    at += size;
  }
  return undefined;
}

function readLeb128(bytes: Uint8Array, from: number): { value: number; next: number } {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    if (from + i >= bytes.length) throw new HlsUnsupportedError("av1C: truncated OBU size");
    const b = bytes[from + i];
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return { value, next: from + i + 1 };
  }
  throw new HlsUnsupportedError("av1C: OBU size longer than 8 bytes");
}

/** A most-significant-bit-first reader that refuses to read past its bytes. */
class Bits {
  #at = 0;
  constructor(private readonly bytes: Uint8Array) {}
  read(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++, this.#at++) {
      const byte = this.#at >> 3;
      if (byte >= this.bytes.length) throw new HlsUnsupportedError("av1C: truncated sequence header");
      v = v * 2 + ((this.bytes[byte] >> (7 - (this.#at & 7))) & 1);
    }
    return v;
  }
  flag(): boolean {
    return this.read(1) === 1;
  }
  uvlc(): void {
    let zeros = 0;
    while (!this.flag()) {
      if (++zeros > 32) throw new HlsUnsupportedError("av1C: bad uvlc in the sequence header");
    }
    this.read(zeros);
  }
}

/**
 * Long on purpose: the sequence header syntax (AV1 §5.5) up to color_config,
 * in the spec's order, skipping every field but the ones the string needs.
 */
function colourConfig(obu: Uint8Array): Colour {
  const b = new Bits(obu);
  const profile = b.read(3);
  b.read(1); // still_picture
  const reduced = b.flag();
  if (reduced) {
    b.read(5); // seq_level_idx[0]
  } else {
    const timing = b.flag();
    let decoderModel = false;
    let delayLength = 0;
    if (timing) {
      b.read(32); // num_units_in_display_tick
      b.read(32); // time_scale
      if (b.flag()) b.uvlc(); // equal_picture_interval → num_ticks_per_picture_minus_1
      decoderModel = b.flag();
      if (decoderModel) {
        delayLength = b.read(5) + 1;
        b.read(32); // num_units_in_decoding_tick
        b.read(10); // buffer_removal_time_length_minus_1, frame_presentation_time_length_minus_1
      }
    }
    const displayDelay = b.flag();
    const points = b.read(5) + 1;
    for (let i = 0; i < points; i++) {
      b.read(12); // operating_point_idc
      if (b.read(5) > 7) b.read(1); // seq_level_idx, seq_tier
      if (decoderModel && b.flag()) b.read(2 * delayLength + 1);
      if (displayDelay && b.flag()) b.read(4);
    }
  }
  const widthBits = b.read(4) + 1;
  const heightBits = b.read(4) + 1;
  b.read(widthBits + heightBits);
  if (!reduced && b.flag()) b.read(7); // frame id lengths
  b.read(3); // use_128x128_superblock, enable_filter_intra, enable_intra_edge_filter
  if (!reduced) {
    b.read(4); // interintra, masked compound, warped motion, dual filter
    const orderHint = b.flag();
    if (orderHint) b.read(2); // jnt_comp, ref_frame_mvs
    const forceScreen = b.flag() ? 2 : b.read(1);
    if (forceScreen > 0 && !b.flag()) b.read(1); // seq_choose_integer_mv, seq_force_integer_mv
    if (orderHint) b.read(3);
  }
  b.read(3); // superres, cdef, restoration
  const high = b.flag();
  if (profile === 2 && high) b.read(1); // twelve_bit
  const mono = profile === 1 ? false : b.flag();
  let primaries = 1, transfer = 1, matrix = 1;
  if (b.flag()) {
    primaries = b.read(8);
    transfer = b.read(8);
    matrix = b.read(8);
  }
  // sRGB (BT.709 primaries, sRGB transfer, identity matrix) is full range by definition (AV1 §5.5.2).
  const srgb = !mono && primaries === 1 && transfer === 13 && matrix === 0;
  const fullRange = srgb ? 1 : b.read(1);
  return { primaries, transfer, matrix, fullRange };
}
