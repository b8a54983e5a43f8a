/**
 * The rebuilt sample tables of one kept track of a clip: stts, ctts, stss,
 * stsc, stsz, the chunk offsets (stco or co64) and the cropped side tables.
 *
 * Lean on purpose, since a clip of a whole film rebuilds half a million
 * samples: each table counts its entries in one pass over the kept samples,
 * so its size is known before anything is allocated, and writes them in a
 * second pass straight into the moov's one buffer (`box_writer.ts`). No
 * per-sample array or object is made; what is kept in between is per chunk
 * (where each lands in the new mdat). Pure: a function of the cut.
 *
 * @module
 */

import { type BoxNode, fullNode, type Part, table, type TablePart } from "./box_writer.ts";
import type { TrackCut } from "./clip_select.ts";
import { croppedSideTables } from "./side_tables.ts";

/** A track's tables, made once per clip; only the chunk offsets wait for where the mdat lands. */
export interface TrackTables {
  /** stsd, stts, ctts, stss, stsc and stsz, in that order. */
  readonly parts: readonly Part[];
  /** sdtp, sgpd and sbgp cropped to the kept samples. */
  readonly side: readonly BoxNode[];
  /** Where each chunk starts inside the new mdat's payload. */
  readonly chunkAt: Float64Array;
  /** The largest sample start inside the payload: whether 32-bit chunk offsets can reach it. */
  readonly lastStart: number;
}

/**
 * The tables of `cut`; `relocate` maps a source offset of a kept sample to
 * its place in the new mdat payload.
 *
 * @example
 * ```ts ignore
 * const tables = trackTables(cut.tracks[0], (offset) => offset - firstKeptByte);
 * node("stbl", ...tables.parts, chunkOffsets(tables, dataStart, false), ...tables.side);
 * ```
 */
export function trackTables(cut: TrackCut, relocate: (offset: number) => number): TrackTables {
  const t = cut.track;
  const { first } = cut;
  const n = cut.last - first + 1;
  const parts: Part[] = [t.boxes.stsd, fullNode("stts", 0, 0, runTable(first, n, (i) => t.dts(i + 1) - t.dts(i)))];
  const ctts = compositionOffsets(cut, n);
  if (ctts) parts.push(ctts);
  if (t.hasSyncTable) parts.push(syncSamples(cut, n));
  const chunks = chunksOf(cut, n, relocate);
  parts.push(chunkTable(chunks.firsts, n, t.descriptionIndex), sampleSizes(cut, n));
  return {
    parts,
    side: croppedSideTables(t.side, first, n),
    chunkAt: chunks.at,
    lastStart: chunks.lastStart,
  };
}

/**
 * The chunk offset box: `stco`, or `co64` when `wide` (some offset is past 4 GiB).
 *
 * @example
 * ```ts ignore
 * chunkOffsets(tables, 1_048_576, false); // stco with every chunk 1 MiB further on
 * ```
 */
export function chunkOffsets(tables: TrackTables, dataStart: number, wide: boolean): BoxNode {
  const at = tables.chunkAt;
  return wide
    ? fullNode("co64", 0, 0, table(at.length, 8, (v, p, c) => v.setBigUint64(p, BigInt(dataStart + at[c]))))
    : fullNode("stco", 0, 0, table(at.length, 4, (v, p, c) => v.setUint32(p, dataStart + at[c])));
}

/**
 * A run-length table of (sample count, value) entries over samples
 * `[first, first + n)`: counted now, written later, with no array between.
 */
function runTable(first: number, n: number, value: (i: number) => number, signed = false): TablePart {
  let runs = 0;
  let prev = NaN;
  for (let i = first; i < first + n; i++) {
    const v = value(i);
    if (v !== prev) runs++, prev = v;
  }
  return {
    length: 4 + 8 * runs,
    write(view, at) {
      view.setUint32(at, runs);
      let p = at + 4;
      let count = 0;
      let current = n > 0 ? value(first) : 0;
      const flush = () => {
        view.setUint32(p, count);
        if (signed) view.setInt32(p + 4, current);
        else view.setUint32(p + 4, current);
        p += 8;
      };
      for (let i = first; i < first + n; i++) {
        const v = value(i);
        if (v !== current) flush(), current = v, count = 0;
        count++;
      }
      if (count > 0) flush();
    },
  };
}

/** Run-length composition offsets; none when all are 0; version 1 when one is negative. */
function compositionOffsets({ track: t, first }: TrackCut, n: number): BoxNode | undefined {
  if (t.ctsMin === 0 && t.ctsMax === 0) return undefined;
  let any = false;
  let negative = false;
  for (let i = first; i < first + n; i++) {
    const c = t.cts(i);
    any ||= c !== 0;
    negative ||= c < 0;
  }
  if (!any) return undefined;
  return fullNode("ctts", negative ? 1 : 0, 0, runTable(first, n, (i) => t.cts(i), true));
}

function syncSamples({ track: t, first }: TrackCut, n: number): BoxNode {
  let count = 0;
  for (let i = first; i < first + n; i++) if (t.isSync(i)) count++;
  return fullNode("stss", 0, 0, {
    length: 4 + 4 * count,
    write(view, at) {
      view.setUint32(at, count);
      let p = at + 4;
      for (let i = 0; i < n; i++) if (t.isSync(first + i)) view.setUint32(p, i + 1), p += 4;
    },
  });
}

/** Chunks: runs of kept samples that follow each other in the source, and so in the clip. */
function chunksOf(
  { track: t, first }: TrackCut,
  n: number,
  relocate: (offset: number) => number,
): { firsts: number[]; at: Float64Array; lastStart: number } {
  const firsts: number[] = [];
  const sources: number[] = [];
  let lastStart = 0;
  let chunkSource = 0;
  let chunkAt = 0;
  let expected = -1;
  for (let i = 0; i < n; i++) {
    const offset = t.offset(first + i);
    if (offset !== expected) {
      firsts.push(i);
      sources.push(offset);
      chunkSource = offset;
      chunkAt = relocate(offset);
    }
    // Samples of a chunk are contiguous in the source and so inside one span of the clip.
    lastStart = Math.max(lastStart, chunkAt + offset - chunkSource);
    expected = offset + t.sizes[first + i];
  }
  const at = new Float64Array(sources.length);
  for (let c = 0; c < sources.length; c++) at[c] = relocate(sources[c]);
  return { firsts, at, lastStart };
}

/** stsc: (first chunk, samples per chunk, description) whenever the samples per chunk change. */
function chunkTable(firsts: readonly number[], n: number, descriptionIndex: number): BoxNode {
  const perChunk = (c: number) => (c + 1 < firsts.length ? firsts[c + 1] : n) - firsts[c];
  let runs = 0;
  for (let c = 0; c < firsts.length; c++) if (c === 0 || perChunk(c) !== perChunk(c - 1)) runs++;
  return fullNode("stsc", 0, 0, {
    length: 4 + 12 * runs,
    write(view, at) {
      view.setUint32(at, runs);
      let p = at + 4;
      for (let c = 0; c < firsts.length; c++) {
        if (c > 0 && perChunk(c) === perChunk(c - 1)) continue;
        view.setUint32(p, c + 1);
        view.setUint32(p + 4, perChunk(c));
        view.setUint32(p + 8, descriptionIndex);
        p += 12;
      }
    },
  });
}

function sampleSizes({ track: t, first }: TrackCut, n: number): BoxNode {
  let constant = n > 0 ? t.sizes[first] : 0;
  for (let i = first; i < first + n && constant !== 0; i++) if (t.sizes[i] !== constant) constant = 0;
  if (constant !== 0) return fullNode("stsz", 0, 0, { u32: constant }, { u32: n });
  return fullNode("stsz", 0, 0, { u32: 0 }, table(n, 4, (v, at, i) => v.setUint32(at, t.sizes[first + i])));
}
