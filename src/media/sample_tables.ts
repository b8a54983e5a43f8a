/**
 * Readers of the ISO-BMFF sample tables (`stts`, `ctts`, `stsc`, `stsz`,
 * `stz2`, `stco`, `co64`, `stss`, `elst`) into compact typed arrays, for
 * {@linkcode parseSampleIndex}.
 *
 * Every entry count is checked against the bytes of its box before an array
 * is sized from it, and every per-sample loop is bounded by the sample count,
 * which is itself bounded before anything is allocated: a hostile header can
 * cost an error, never a large allocation or a long loop. Anything a table
 * says that the index could not honour exactly throws
 * {@linkcode UnsupportedMp4Error} with a one-line reason.
 *
 * This module never reads a file and never decides what is kept or cut.
 *
 * @module
 */

import { type BoxHeader, Mp4FormatError } from "./boxes.ts";
import { CHECKPOINT, type ColumnsInit, RunBuilder } from "./sample_columns.ts";

/**
 * The MP4 is well formed enough to read but is one the sample index refuses
 * to describe (fragmented, hostile, or using a feature it cannot honour
 * exactly). The message is one line, safe to show a client.
 *
 * @example
 * ```ts
 * import { Mp4FormatError, UnsupportedMp4Error } from "@ranged/video";
 * const err = new UnsupportedMp4Error("fragmented file (mvex)");
 * console.log(err instanceof Mp4FormatError, err.message); // true "fragmented file (mvex)"
 * ```
 */
export class UnsupportedMp4Error extends Mp4FormatError {}

/** A full box's version, flags and the span of its payload after them. */
export interface FullBox {
  readonly version: number;
  readonly flags: number;
  /** First payload byte after version and flags. */
  readonly at: number;
  /** End of the box. */
  readonly end: number;
}

/** Version, flags and payload span of the full box `box` inside `bytes`. */
export function fullBox(view: DataView, box: BoxHeader): FullBox {
  const at = box.start + box.headerSize;
  const end = box.start + box.size;
  if (end - at < 4) throw new UnsupportedMp4Error(`truncated ${box.type}`);
  const word = view.getUint32(at);
  return { version: word >>> 24, flags: word & 0xffffff, at: at + 4, end };
}

/** Reads the entry count at `at` and checks that `count × width` bytes follow it inside `end`. */
function entryCount(view: DataView, type: string, at: number, end: number, width: number): number {
  if (end - at < 4) throw new UnsupportedMp4Error(`truncated ${type}`);
  const count = view.getUint32(at);
  if (count > (end - at - 4) / width) {
    throw new UnsupportedMp4Error(`${type}: ${count} entries do not fit in its box`);
  }
  return count;
}

/** Sample sizes from `stsz` or `stz2`, with the count checked before allocating. */
export function readSampleSizes(
  view: DataView,
  box: BoxHeader,
  limits: { maxSamples: number; fileSize: number },
): Uint32Array {
  const f = fullBox(view, box);
  if (f.end - f.at < 8) throw new UnsupportedMp4Error(`truncated ${box.type}`);
  const count = view.getUint32(f.at + 4);
  if (count > limits.maxSamples) {
    throw new UnsupportedMp4Error(`${box.type}: ${count} samples is over the limit of ${limits.maxSamples}`);
  }
  const body = f.at + 8;
  const room = f.end - body;
  if (box.type === "stsz") {
    const constant = view.getUint32(f.at);
    if (constant !== 0) {
      // No table: the count alone would size the index, so it must describe bytes the file has.
      if (constant * count > limits.fileSize) {
        throw new UnsupportedMp4Error(`stsz: ${count} samples of ${constant} bytes do not fit in the file`);
      }
      return new Uint32Array(count).fill(constant);
    }
    if (count > room / 4) throw new UnsupportedMp4Error(`stsz: ${count} entries do not fit in its box`);
    const sizes = new Uint32Array(count);
    for (let i = 0; i < count; i++) sizes[i] = view.getUint32(body + 4 * i);
    return sizes;
  }
  const field = view.getUint8(f.at + 3);
  if (field !== 4 && field !== 8 && field !== 16) throw new UnsupportedMp4Error(`stz2: field size ${field}`);
  if (Math.ceil((count * field) / 8) > room) throw new UnsupportedMp4Error(`stz2: ${count} entries do not fit`);
  const sizes = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    if (field === 16) sizes[i] = view.getUint16(body + 2 * i);
    else if (field === 8) sizes[i] = view.getUint8(body + i);
    else sizes[i] = (view.getUint8(body + (i >> 1)) >> ((i & 1) === 0 ? 4 : 0)) & 0xf;
  }
  return sizes;
}

/**
 * Decode times from `stts`, as runs of equal durations. The entries must
 * cover exactly `count` samples and the track's end must be a safe integer.
 */
export function readDecodeTimes(
  view: DataView,
  box: BoxHeader,
  count: number,
): Pick<ColumnsInit, "runFirst" | "runStart" | "runDelta"> {
  const f = fullBox(view, box);
  const entries = entryCount(view, "stts", f.at, f.end, 8);
  const runs = new RunBuilder();
  let i = 0;
  let t = 0;
  for (let e = 0; e < entries; e++) {
    const at = f.at + 4 + 8 * e;
    const n = view.getUint32(at);
    const delta = view.getUint32(at + 4);
    if (n > count - i) throw new UnsupportedMp4Error("stts describes more samples than stsz");
    runs.add(n, delta);
    i += n;
    t += n * delta;
  }
  if (i !== count) throw new UnsupportedMp4Error(`stts describes ${i} samples, stsz ${count}`);
  if (!Number.isSafeInteger(t)) throw new UnsupportedMp4Error("stts: track duration too large");
  return runs.finish(count);
}

/**
 * Composition offsets from `ctts` (version 0 or 1, read as signed as ffmpeg
 * does); `undefined` without one or when every offset is 0.
 */
export function readCompositionOffsets(
  view: DataView,
  box: BoxHeader | undefined,
  count: number,
): Pick<ColumnsInit, "cts" | "ctsMin" | "ctsMax"> {
  if (box === undefined) return { cts: undefined, ctsMin: 0, ctsMax: 0 };
  const f = fullBox(view, box);
  if (f.version > 1) throw new UnsupportedMp4Error(`ctts version ${f.version}`);
  const entries = entryCount(view, "ctts", f.at, f.end, 8);
  const cts = new Int32Array(count);
  let i = 0;
  let ctsMin = 0;
  let ctsMax = 0;
  for (let e = 0; e < entries; e++) {
    const at = f.at + 4 + 8 * e;
    const n = view.getUint32(at);
    const offset = view.getInt32(at + 4);
    if (n > count - i) throw new UnsupportedMp4Error("ctts describes more samples than stsz");
    if (n === 0) continue;
    if (i === 0 || offset < ctsMin) ctsMin = offset;
    if (i === 0 || offset > ctsMax) ctsMax = offset;
    if (n === 1) cts[i] = offset;
    else cts.fill(offset, i, i + n);
    i += n;
  }
  if (i !== count) throw new UnsupportedMp4Error(`ctts describes ${i} samples, stsz ${count}`);
  return ctsMin === 0 && ctsMax === 0 ? { cts: undefined, ctsMin, ctsMax } : { cts, ctsMin, ctsMax };
}

/**
 * Sync samples from `stss` (1-based numbers, strictly increasing, none past
 * the count) as a bitset; `undefined` without one (every sample is a sync sample).
 */
export function readSyncSamples(view: DataView, box: BoxHeader | undefined, count: number): Uint32Array | undefined {
  if (box === undefined) return undefined;
  const f = fullBox(view, box);
  const entries = entryCount(view, "stss", f.at, f.end, 4);
  const bits = new Uint32Array(Math.ceil(count / 32));
  let last = 0;
  for (let e = 0; e < entries; e++) {
    const n = view.getUint32(f.at + 4 + 4 * e);
    if (n <= last) throw new UnsupportedMp4Error(n === 0 ? "stss: sample number 0" : "stss: not increasing");
    if (n > count) throw new UnsupportedMp4Error(`stss: sample ${n} past the ${count} samples`);
    bits[(n - 1) >>> 5] |= 1 << ((n - 1) & 31);
    last = n;
  }
  return bits;
}

/** Chunk offsets from `stco` or `co64`, each inside the file. */
export function readChunkOffsets(view: DataView, box: BoxHeader, fileSize: number): Float64Array {
  const f = fullBox(view, box);
  const width = box.type === "co64" ? 8 : 4;
  const entries = entryCount(view, box.type, f.at, f.end, width);
  const offsets = new Float64Array(entries);
  for (let e = 0; e < entries; e++) {
    const at = f.at + 4 + width * e;
    const o = width === 4 ? view.getUint32(at) : Number(view.getBigUint64(at));
    if (!(o < fileSize)) throw new UnsupportedMp4Error(`${box.type}: chunk offset ${o} is past the end of the file`);
    offsets[e] = o;
  }
  return offsets;
}

/** What {@linkcode placeSamples} found: where each chunk's samples start, and the checkpoints. */
export interface Placement extends Pick<ColumnsInit, "chunkFirst" | "checkpoints"> {
  /** The `stsd` entry every sample uses (1-based). */
  readonly descriptionIndex: number;
}

/**
 * Places every sample from `stsc`, the chunk offsets and the sizes.
 * `first_chunk` must start at 1 and increase, the runs must place exactly
 * `sizes.length` samples, one sample description must serve every chunk,
 * and every sample must end inside the file. Long on purpose: one pass over
 * the samples checks them and records the checkpoints.
 */
export function placeSamples(
  view: DataView,
  stsc: BoxHeader,
  chunks: Float64Array,
  sizes: Uint32Array,
  limits: { fileSize: number; descriptions: number },
): Placement {
  const f = fullBox(view, stsc);
  const entries = entryCount(view, "stsc", f.at, f.end, 12);
  const count = sizes.length;
  const chunkFirst = new Uint32Array(chunks.length + 1);
  const checkpoints = new Float64Array(Math.ceil(count / CHECKPOINT));
  if (entries === 0) {
    if (count > 0) throw new UnsupportedMp4Error("stsc is empty but the track has samples");
    return { chunkFirst, checkpoints, descriptionIndex: 1 };
  }
  let sample = 0;
  let descriptionIndex = 0;
  for (let e = 0; e < entries; e++) {
    const at = f.at + 4 + 12 * e;
    const first = view.getUint32(at);
    const perChunk = view.getUint32(at + 4);
    const sdi = view.getUint32(at + 8);
    const next = e + 1 < entries ? view.getUint32(at + 12) : chunks.length + 1;
    if (first === 0) throw new UnsupportedMp4Error("stsc: first_chunk 0");
    if (e === 0 && first !== 1) throw new UnsupportedMp4Error("stsc: the first run does not start at chunk 1");
    if (next <= first) throw new UnsupportedMp4Error("stsc: first_chunk not increasing");
    if (first > chunks.length) throw new UnsupportedMp4Error(`stsc: chunk ${first} past the ${chunks.length} chunks`);
    if (sdi === 0 || sdi > limits.descriptions) throw new UnsupportedMp4Error(`stsc: sample description ${sdi}`);
    if (descriptionIndex !== 0 && sdi !== descriptionIndex) {
      throw new UnsupportedMp4Error("several sample descriptions in one track");
    }
    descriptionIndex = sdi;
    const lastChunk = Math.min(next - 1, chunks.length);
    for (let c = first; c <= lastChunk; c++) {
      if (perChunk > count - sample) throw new UnsupportedMp4Error("stsc places more samples than stsz has");
      chunkFirst[c - 1] = sample;
      let pos = chunks[c - 1];
      for (let k = 0; k < perChunk; k++, sample++) {
        if (sample % CHECKPOINT === 0) checkpoints[sample / CHECKPOINT] = pos;
        pos += sizes[sample];
      }
      if (pos > limits.fileSize) throw new UnsupportedMp4Error(`chunk ${c} runs past the end of the file`);
    }
  }
  if (sample !== count) throw new UnsupportedMp4Error(`stsc places ${sample} samples, stsz has ${count}`);
  chunkFirst[chunks.length] = count;
  return { chunkFirst, checkpoints, descriptionIndex };
}

/** A track's edit list reduced to what the index honours: one optional leading empty edit, one media edit. */
export interface NormalizedEdit {
  /** Leading empty edit, in the movie timescale (0 for none). */
  readonly emptyDuration: number;
  /** Where presentation starts in the media, in the media timescale. */
  readonly mediaTime: number;
  /** The media edit's length in the movie timescale; 0 means "to the end of the media". */
  readonly duration: number;
}

/** No edit list: the media plays from its start at time 0. */
export const NO_EDIT: NormalizedEdit = { emptyDuration: 0, mediaTime: 0, duration: 0 };

/**
 * The `elst` reduced to {@linkcode NormalizedEdit}. Refused: more than one
 * empty edit, an empty edit after the media edit, more than one media edit,
 * a rate other than 1.
 */
export function readEditList(view: DataView, box: BoxHeader | undefined): NormalizedEdit {
  if (box === undefined) return NO_EDIT;
  const f = fullBox(view, box);
  if (f.version > 1) throw new UnsupportedMp4Error(`elst version ${f.version}`);
  const width = f.version === 1 ? 20 : 12;
  const entries = entryCount(view, "elst", f.at, f.end, width);
  let emptyDuration = 0;
  let media: NormalizedEdit | undefined;
  let empties = 0;
  for (let e = 0; e < entries; e++) {
    const at = f.at + 4 + width * e;
    const duration = f.version === 1 ? Number(view.getBigUint64(at)) : view.getUint32(at);
    const mediaTime = f.version === 1 ? Number(view.getBigInt64(at + 8)) : view.getInt32(at + 4);
    const rate = view.getInt32(at + width - 4);
    if (!Number.isSafeInteger(duration) || !Number.isSafeInteger(mediaTime)) {
      throw new UnsupportedMp4Error("elst: value too large");
    }
    if (mediaTime === -1) {
      if (media !== undefined) throw new UnsupportedMp4Error("elst: an empty edit after the media edit");
      if (++empties > 1) throw new UnsupportedMp4Error("elst: more than one empty edit");
      emptyDuration = duration;
      continue;
    }
    if (mediaTime < 0) throw new UnsupportedMp4Error(`elst: media time ${mediaTime}`);
    if (rate !== 0x10000) throw new UnsupportedMp4Error("elst: a media rate other than 1");
    if (media !== undefined) throw new UnsupportedMp4Error("elst: more than one media edit");
    media = { emptyDuration: 0, mediaTime, duration };
  }
  if (media === undefined) {
    if (empties > 0) throw new UnsupportedMp4Error("elst: no media edit");
    return NO_EDIT;
  }
  return { emptyDuration, mediaTime: media.mediaTime, duration: media.duration };
}
