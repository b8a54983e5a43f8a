/**
 * The sample-indexed side tables of a track that a clip keeps, cropped to
 * its samples: `sdtp` (one dependency byte per sample) and sample groups
 * (`sbgp` runs with the `sgpd` descriptions they point at: AAC `roll`
 * groups, open-GOP `rap ` groups, ...).
 *
 * What is kept is kept exactly or not at all: an `sdtp` whose length is not
 * the sample count, an `sbgp` whose runs describe more samples than the track
 * has, whose grouping type has no `sgpd` (or two), or that shares its type
 * with another `sbgp`, is dropped, never guessed at. `subs` (sub-sample
 * sizes) and `saiz`/`saio` (auxiliary information, whose `saio` holds file
 * offsets into the source) are always dropped: they are optional, and a
 * wrong one is worse than none. Reading is bounded by the boxes' bytes, as
 * everywhere in the sample index.
 *
 * @module
 */

import type { BoxHeader } from "./boxes.ts";
import { type BoxNode, fullNode, table } from "./box_writer.ts";

/** One sample group a clip can crop: its `sbgp` runs and the `sgpd` they index. */
export interface SampleGroup {
  /** `grouping_type`, e.g. `roll`. */
  readonly type: string;
  /** `sbgp` version (1 carries a `grouping_type_parameter`). */
  readonly version: number;
  /** `grouping_type_parameter` (version 1), else 0. */
  readonly parameter: number;
  /** Run lengths, in samples. */
  readonly counts: Uint32Array;
  /** Group description index of each run (0: no group). */
  readonly indexes: Uint32Array;
  /** The `sgpd` payload (after its box header), verbatim. */
  readonly sgpd: Uint8Array;
}

/** The side tables of one track a clip carries over. */
export interface SideTables {
  /** `sdtp` payload: one byte per sample, a copy. */
  readonly sdtp: Uint8Array | undefined;
  /** One entry per `sbgp` (with its `sgpd`) the clip crops; groups it cannot keep exactly are dropped whole. */
  readonly groups: readonly SampleGroup[];
  /** Bytes held. */
  readonly bytes: number;
}

/** No side tables. */
export const NO_SIDE_TABLES: SideTables = { sdtp: undefined, groups: [], bytes: 0 };

/**
 * Reads `sdtp` and the sample groups of an `stbl` (its single boxes in
 * `one`, its `sbgp` and `sgpd` boxes in `many`) for a track of `count`
 * samples, dropping whatever could not be kept exactly.
 *
 * @example
 * ```ts ignore
 * const side = readSideTables(moov, view, one, many, track.count);
 * console.log(side.sdtp?.length, side.groups.map((g) => g.type)); // 4 ["roll"]
 * ```
 */
export function readSideTables(
  bytes: Uint8Array,
  view: DataView,
  one: ReadonlyMap<string, BoxHeader>,
  many: readonly BoxHeader[],
  count: number,
): SideTables {
  const sdtpBox = one.get("sdtp");
  let sdtp: Uint8Array | undefined;
  if (sdtpBox !== undefined && sdtpBox.size - sdtpBox.headerSize - 4 === count) {
    const at = sdtpBox.start + sdtpBox.headerSize + 4;
    sdtp = bytes.slice(at, at + count);
  }
  const descriptions = new Map<string, BoxHeader[]>();
  const groupings = new Map<string, BoxHeader[]>();
  for (const b of many) {
    const type = groupingType(bytes, b);
    if (type === undefined) continue;
    const into = b.type === "sgpd" ? descriptions : groupings;
    into.set(type, [...(into.get(type) ?? []), b]);
  }
  const groups: SampleGroup[] = [];
  let held = sdtp?.length ?? 0;
  for (const [type, boxes] of groupings) {
    const sgpd = descriptions.get(type);
    if (boxes.length !== 1 || sgpd?.length !== 1) continue;
    const group = readGrouping(view, boxes[0], type, count);
    if (group === undefined) continue;
    const s = sgpd[0];
    groups.push({ ...group, sgpd: bytes.slice(s.start + s.headerSize, s.start + s.size) });
    held += group.counts.byteLength * 2 + s.size;
  }
  return { sdtp, groups, bytes: held };
}

/** The grouping type of an `sbgp` or `sgpd`: the four bytes after version and flags; undefined when truncated. */
function groupingType(bytes: Uint8Array, box: BoxHeader): string | undefined {
  const at = box.start + box.headerSize + 4;
  if (at + 4 > box.start + box.size) return undefined;
  return String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
}

function readGrouping(
  view: DataView,
  box: BoxHeader,
  type: string,
  count: number,
): Omit<SampleGroup, "sgpd"> | undefined {
  const end = box.start + box.size;
  let at = box.start + box.headerSize;
  const version = view.getUint8(at);
  if (version > 1) return undefined;
  at += 8; // version, flags, grouping_type
  const parameter = version === 1 && at + 4 <= end ? view.getUint32(at) : 0;
  if (version === 1) at += 4;
  if (at + 4 > end) return undefined;
  const entries = view.getUint32(at);
  at += 4;
  if (entries > (end - at) / 8) return undefined;
  const counts = new Uint32Array(entries);
  const indexes = new Uint32Array(entries);
  let total = 0;
  for (let e = 0; e < entries; e++, at += 8) {
    counts[e] = view.getUint32(at);
    indexes[e] = view.getUint32(at + 4);
    total += counts[e];
  }
  // Fewer samples than the track is allowed (the rest are in no group); more is a table that lies.
  if (total > count) return undefined;
  return { type, version, parameter, counts, indexes };
}

/**
 * The clip's `sdtp`, `sgpd` and `sbgp` boxes for samples `[first, first + n)`
 * of the source: the dependency bytes and the group runs cropped to them.
 *
 * @example
 * ```ts ignore
 * node("stbl", ...otherTables, ...croppedSideTables(track.side, cut.first, cut.last - cut.first + 1));
 * ```
 */
export function croppedSideTables(side: SideTables, first: number, n: number): BoxNode[] {
  const out: BoxNode[] = [];
  if (side.sdtp !== undefined) out.push(fullNode("sdtp", 0, 0, side.sdtp.subarray(first, first + n)));
  for (const g of side.groups) {
    const runs = cropRuns(g, first, n);
    if (runs.length === 0) continue;
    const ascii = Uint8Array.from(g.type, (c) => c.charCodeAt(0));
    out.push({ type: "sgpd", parts: [g.sgpd] });
    out.push(
      fullNode(
        "sbgp",
        g.version,
        0,
        ascii,
        ...(g.version === 1 ? [{ u32: g.parameter }] : []),
        table(runs.length / 2, 8, (v, at, i) => {
          v.setUint32(at, runs[2 * i]);
          v.setUint32(at + 4, runs[2 * i + 1]);
        }),
      ),
    );
  }
  return out;
}

/** `[count, index, count, index, ...]` of the runs of `g` cut to `[first, first + n)`, neighbours merged. */
export function cropRuns(g: Pick<SampleGroup, "counts" | "indexes">, first: number, n: number): number[] {
  const runs: number[] = [];
  const end = first + n;
  let at = 0;
  for (let e = 0; e < g.counts.length && at < end; e++) {
    const from = Math.max(at, first);
    const to = Math.min(at + g.counts[e], end);
    at += g.counts[e];
    if (to <= from) continue;
    if (runs.length > 0 && runs[runs.length - 1] === g.indexes[e]) runs[runs.length - 2] += to - from;
    else runs.push(to - from, g.indexes[e]);
  }
  return runs;
}
