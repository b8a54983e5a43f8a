/**
 * Range header parsing (RFC 9110 §14.1–14.2), pure and I/O free.
 *
 * @module
 */

/** An inclusive byte span `start..end`, as Content-Range writes it. */
export interface ByteRange {
  /** First byte, 0-based. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

/**
 * What a Range header means for a representation of a given size:
 * - `ranges`: the satisfiable ranges, clipped to the size, in request order
 *   (not yet coalesced);
 * - `unsatisfiable`: well-formed, but nothing in it can be served → 416;
 * - `ignored`: not a byte range request we may honour → serve the whole file.
 */
export type RangeResult =
  | { type: "ranges"; ranges: ByteRange[] }
  | { type: "unsatisfiable" }
  | { type: "ignored" };

const IGNORED: RangeResult = { type: "ignored" };
const UNSATISFIABLE: RangeResult = { type: "unsatisfiable" };

/**
 * Parses a Range header value against a representation of `size` bytes.
 *
 * The decisions (docs/DECISIONS.md, 1–3): an unknown unit or any grammatical error
 * ignores the header (§14.2); a number beyond `Number.MAX_SAFE_INTEGER`
 * ignores it too; `last < first` makes the set invalid → unsatisfiable;
 * a suffix longer than the file is the whole file; unsatisfiable specs in a
 * set with satisfiable ones are dropped (§14.1.1); a zero-length
 * representation ignores every Range (no Content-Range can describe it).
 *
 * @example
 * ```ts
 * import { parseRange } from "@ranged/video";
 * parseRange("bytes=0-99, -100", 1000);
 * // { type: "ranges", ranges: [{ start: 0, end: 99 }, { start: 900, end: 999 }] }
 * ```
 */
export function parseRange(header: string, size: number): RangeResult {
  const eq = header.indexOf("=");
  if (eq <= 0 || header.slice(0, eq).toLowerCase() !== "bytes") return IGNORED;
  if (size === 0) return IGNORED;
  const ranges: ByteRange[] = [];
  let invalid = false;
  let specs = 0;
  // 1#range-spec: empty list elements and OWS around commas are allowed (§5.6.1).
  for (const raw of header.slice(eq + 1).split(",")) {
    const spec = trimOws(raw);
    if (spec === "") continue;
    specs++;
    const dash = spec.indexOf("-");
    if (dash < 0) return IGNORED;
    const firstText = spec.slice(0, dash);
    const lastText = spec.slice(dash + 1);
    if (firstText === "") {
      const suffix = parseDigits(lastText);
      if (suffix === undefined) return IGNORED;
      if (suffix > 0) ranges.push({ start: Math.max(0, size - suffix), end: size - 1 });
      continue;
    }
    const first = parseDigits(firstText);
    if (first === undefined) return IGNORED;
    let last = size - 1;
    if (lastText !== "") {
      const parsed = parseDigits(lastText);
      if (parsed === undefined) return IGNORED;
      if (parsed < first) invalid = true;
      last = Math.min(parsed, size - 1);
    }
    if (first < size && !invalid) ranges.push({ start: first, end: last });
  }
  if (specs === 0) return IGNORED;
  if (invalid || ranges.length === 0) return UNSATISFIABLE;
  return { type: "ranges", ranges };
}

/**
 * Merges overlapping and adjacent ranges. Each merged range takes the place
 * of the earliest requested range it contains, so the answer keeps the
 * client's order (§14.2 lets a server coalesce).
 *
 * @example
 * ```ts
 * import { coalesceRanges } from "@ranged/video";
 * coalesceRanges([{ start: 50, end: 59 }, { start: 0, end: 9 }, { start: 10, end: 19 }]);
 * // [{ start: 50, end: 59 }, { start: 0, end: 19 }]
 * ```
 */
export function coalesceRanges(ranges: readonly ByteRange[]): ByteRange[] {
  if (ranges.length < 2) return ranges.map((r) => ({ ...r }));
  const order = ranges.map((_, i) => i).sort((a, b) => ranges[a].start - ranges[b].start);
  const merged: { range: ByteRange; first: number }[] = [];
  for (const i of order) {
    const r = ranges[i];
    const top = merged[merged.length - 1];
    if (top && r.start <= top.range.end + 1) {
      top.range.end = Math.max(top.range.end, r.end);
      top.first = Math.min(top.first, i);
    } else {
      merged.push({ range: { start: r.start, end: r.end }, first: i });
    }
  }
  return merged.sort((a, b) => a.first - b.first).map((m) => m.range);
}

/** Total bytes covered by the ranges (which must not overlap). */
export function rangesLength(ranges: readonly ByteRange[]): number {
  let total = 0;
  for (const r of ranges) total += r.end - r.start + 1;
  return total;
}

function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s[a] === " " || s[a] === "\t")) a++;
  while (b > a && (s[b - 1] === " " || s[b - 1] === "\t")) b--;
  return s.slice(a, b);
}

/** 1*DIGIT as a safe integer; undefined for anything else, including huge values. */
function parseDigits(s: string): number | undefined {
  if (s.length === 0) return undefined;
  let i = 0;
  while (i < s.length - 1 && s[i] === "0") i++;
  if (s.length - i > 16) return undefined;
  let n = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    n = n * 10 + c;
  }
  return Number.isSafeInteger(n) ? n : undefined;
}
