/**
 * RFC 6381 codec strings (`avc1.64001f`, `mp4a.40.2`, ...) read from a
 * track's own `stsd`, for the CODECS attribute of an HLS master and the
 * `codecs` of a DASH representation. Pure; every length is checked against
 * the box that holds it. A codec without a known string is refused, since a
 * guessed CODECS makes players reject the stream or pick the wrong decoder.
 *
 * @module
 */

import { type BoxHeader, childBoxes, fourcc, parseBoxHeader } from "../boxes.ts";
import { av1CodecString } from "./av1_codec.ts";
import { HlsUnsupportedError } from "./errors.ts";

const VISUAL_ENTRY = 78; // SampleEntry (8) + VisualSampleEntry fields up to its child boxes
const AUDIO_ENTRY = 28; // SampleEntry (8) + AudioSampleEntry (v0) fields

/** What the one sample entry of a `stsd` says. */
export interface SampleEntryInfo {
  /** The sample entry's type: `avc1`, `mp4a`, ... */
  readonly format: string;
  /** The RFC 6381 codec string. */
  readonly codec: string;
}

/**
 * The codec string of the single sample entry in `stsd` (a whole `stsd` box).
 * Throws {@linkcode HlsUnsupportedError} for several entries or an unknown codec.
 *
 * @example
 * ```ts ignore
 * codecOf(track.boxes.stsd).codec; // "avc1.64001e"
 * ```
 */
export function codecOf(stsd: Uint8Array): SampleEntryInfo {
  const head = parseBoxHeader(stsd, 0, stsd.length);
  if (head.type !== "stsd") throw new HlsUnsupportedError(`expected stsd, found '${head.type}'`);
  const body = head.headerSize;
  if (head.size - body < 8) throw new HlsUnsupportedError("truncated stsd");
  const view = new DataView(stsd.buffer, stsd.byteOffset, stsd.byteLength);
  const count = view.getUint32(body + 4);
  if (count !== 1) throw new HlsUnsupportedError(`stsd has ${count} sample entries (one is supported)`);
  const entry = parseBoxHeader(stsd, body + 8, head.size);
  const format = entry.type;
  const child = (types: string[], offset: number): BoxHeader | undefined => {
    const from = entry.start + entry.headerSize + offset;
    if (from > entry.start + entry.size) return undefined;
    for (const b of childBoxes(stsd, from, entry.start + entry.size)) if (types.includes(b.type)) return b;
    return undefined;
  };
  const payload = (b: BoxHeader) => stsd.subarray(b.start + b.headerSize, b.start + b.size);
  switch (format) {
    case "avc1":
    case "avc3": {
      const c = child(["avcC"], VISUAL_ENTRY);
      if (!c) throw new HlsUnsupportedError(`${format} without avcC`);
      const p = payload(c);
      if (p.length < 4) throw new HlsUnsupportedError("truncated avcC");
      return { format, codec: `${format}.${hex(p[1])}${hex(p[2])}${hex(p[3])}` };
    }
    case "hvc1":
    case "hev1": {
      const c = child(["hvcC"], VISUAL_ENTRY);
      if (!c) throw new HlsUnsupportedError(`${format} without hvcC`);
      return { format, codec: `${format}.${hevcString(payload(c))}` };
    }
    case "av01": {
      const c = child(["av1C"], VISUAL_ENTRY);
      if (!c) throw new HlsUnsupportedError("av01 without av1C");
      return { format, codec: av1CodecString(payload(c)) };
    }
    case "mp4a": {
      const c = child(["esds"], audioEntryLength(stsd, entry));
      if (!c) throw new HlsUnsupportedError("mp4a without esds");
      return { format, codec: mp4aString(payload(c)) };
    }
    case "Opus": {
      // Opus in ISOBMFF §4.3 and FLAC in ISOBMFF §3.3.2: the sample entry's own type is the codecs parameter.
      if (!child(["dOps"], audioEntryLength(stsd, entry))) throw new HlsUnsupportedError("Opus without dOps");
      return { format, codec: "Opus" };
    }
    case "fLaC": {
      if (!child(["dfLa"], audioEntryLength(stsd, entry))) throw new HlsUnsupportedError("fLaC without dfLa");
      return { format, codec: "fLaC" };
    }
    case "ac-3":
    case "ec-3":
      return { format, codec: format };
    default:
      throw new HlsUnsupportedError(`codec '${format}' has no HLS codec string here`);
  }
}

function hex(b: number): string {
  return b.toString(16).padStart(2, "0");
}

/** QuickTime sound entries v1 and v2 carry 16 and 36 more bytes before their children. */
function audioEntryLength(bytes: Uint8Array, entry: BoxHeader): number {
  const at = entry.start + entry.headerSize + 8;
  if (at + 2 > entry.start + entry.size) throw new HlsUnsupportedError("truncated audio sample entry");
  const version = (bytes[at] << 8) | bytes[at + 1];
  return AUDIO_ENTRY + (version === 1 ? 16 : version === 2 ? 36 : 0);
}

/** `mp4a.40.N` from the AudioSpecificConfig in an esds, or `mp4a.XX` for other object types (MP3: 6b). */
function mp4aString(esds: Uint8Array): string {
  let at = 4; // version and flags
  const descriptor = (tag: number): number => {
    if (at >= esds.length || esds[at] !== tag) throw new HlsUnsupportedError(`esds: expected descriptor tag ${tag}`);
    at++;
    let length = 0;
    for (let i = 0; i < 4; i++) {
      if (at >= esds.length) throw new HlsUnsupportedError("esds: truncated descriptor length");
      const b = esds[at++];
      length = (length << 7) | (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
    if (at + length > esds.length) throw new HlsUnsupportedError(`esds: descriptor ${tag} runs past its box`);
    return at + length;
  };
  descriptor(3);
  if (at + 3 > esds.length) throw new HlsUnsupportedError("esds: truncated ES descriptor");
  const flags = esds[at + 2];
  at += 3;
  if (flags & 0x80) at += 2; // dependsOn_ES_ID
  if (flags & 0x40) at += 1 + (esds[at] ?? 0); // URL
  if (flags & 0x20) at += 2; // OCR_ES_Id
  descriptor(4);
  const oti = esds[at];
  if (oti !== 0x40) return `mp4a.${hex(oti)}`;
  at += 13;
  descriptor(5);
  if (at >= esds.length) throw new HlsUnsupportedError("esds: empty AudioSpecificConfig");
  let aot = esds[at] >> 3;
  if (aot === 31) {
    if (at + 1 >= esds.length) throw new HlsUnsupportedError("esds: truncated audio object type");
    aot = 32 + (((esds[at] & 7) << 3) | (esds[at + 1] >> 5));
  }
  return `mp4a.40.${aot}`;
}

/** ISO/IEC 14496-15 Annex E: profile space, profile, compatibility flags (bit-reversed), tier and level, constraints. */
function hevcString(c: Uint8Array): string {
  if (c.length < 13) throw new HlsUnsupportedError("truncated hvcC");
  const space = ["", "A", "B", "C"][c[1] >> 6];
  const tier = (c[1] & 0x20) ? "H" : "L";
  const profile = c[1] & 0x1f;
  let compat = ((c[2] << 24) | (c[3] << 16) | (c[4] << 8) | c[5]) >>> 0;
  let reversed = 0;
  for (let i = 0; i < 32; i++) {
    reversed = (reversed << 1) | (compat & 1);
    compat >>>= 1;
  }
  const constraints = [...c.subarray(6, 12)];
  while (constraints.length > 0 && constraints[constraints.length - 1] === 0) constraints.pop();
  // Upper-case hex as in the Annex E examples (`hev1.A4.41.H120.B0.23`); players parse either case.
  const parts = [`${space}${profile}`, (reversed >>> 0).toString(16).toUpperCase(), `${tier}${c[12]}`];
  for (const b of constraints) parts.push(b.toString(16).toUpperCase());
  return parts.join(".");
}

/**
 * The sample entry's type of an `stsd`, without interpreting it.
 *
 * @example
 * ```ts ignore
 * sampleFormat(track.boxes.stsd); // "avc1"
 * ```
 */
export function sampleFormat(stsd: Uint8Array): string {
  const head = parseBoxHeader(stsd, 0, stsd.length);
  const at = head.headerSize + 8 + 4;
  return at + 4 <= head.size ? fourcc(stsd, at) : "";
}

/**
 * The codec string as DASH names it: DASH-IF IOP and the browsers' MSE
 * spell Opus and FLAC in lower case (`opus`, `flac`), while HLS and RFC 6381
 * use the sample entry type (`Opus`, `fLaC`). Others are the same in both.
 *
 * @example
 * ```ts ignore
 * dashCodec("Opus"); // "opus"
 * dashCodec("avc1.64001f"); // "avc1.64001f"
 * ```
 */
export function dashCodec(codec: string): string {
  return codec === "Opus" ? "opus" : codec === "fLaC" ? "flac" : codec;
}
