/**
 * The per-sample part of the sample index, kept compact: a 2-hour film has
 * about half a million samples, and the index of every film served stays
 * cached, so the bytes per sample are what the cache's budget buys.
 *
 * Only the sample sizes (4 bytes) and, for tracks with a `ctts`, the
 * composition offsets (4 bytes) are held per sample. Everything else is held
 * per run or per chunk, as the file itself stores it: decode times as the
 * `stts` runs, offsets as the chunk offsets plus a checkpoint every
 * {@linkcode CHECKPOINT} samples (so no lookup sums more than that many
 * sizes), sync samples as a bitset. That is about 8.4 bytes a sample for
 * video with B-frames and 4.3 for audio, against 25 for flat columns.
 *
 * Lookups are O(1) when samples are visited in order (every reader here does:
 * cutting, packaging, rebuilding tables), through a one-entry cursor per
 * column; out of order they cost a binary search over the runs or chunks.
 * This module never parses boxes: {@linkcode placeSamples} and friends in
 * `sample_tables.ts` validate the tables and hand over these columns.
 *
 * @module
 */

/** Samples between two offset checkpoints: bounds the sizes a random offset lookup sums. */
export const CHECKPOINT = 32;

/** The columns a {@linkcode SampleColumns} is built from (all already validated). */
export interface ColumnsInit {
  /** Size of each sample. */
  readonly sizes: Uint32Array;
  /** Absolute file offset of each chunk. */
  readonly chunkOffsets: Float64Array;
  /** First sample of each chunk, plus the sample count at the end (`chunks + 1` values, non-decreasing). */
  readonly chunkFirst: Uint32Array;
  /** Absolute offset of sample `CHECKPOINT × k`, for every such sample. */
  readonly checkpoints: Float64Array;
  /** First sample of each decode-time run, plus the count (`runs + 1` values, increasing). */
  readonly runFirst: Uint32Array;
  /** Decode time of each run's first sample, plus the track's end (`runs + 1` values). */
  readonly runStart: Float64Array;
  /** Sample duration in each run (`runs + 1` values, the last 0). */
  readonly runDelta: Uint32Array;
  /** Composition offset of each sample, or `undefined` when all are 0. */
  readonly cts: Int32Array | undefined;
  /** Smallest value in `cts` (ignored without it). */
  readonly ctsMin: number;
  /** Largest value in `cts` (ignored without it). */
  readonly ctsMax: number;
  /** Bit `i` set for a sync sample; `undefined` when every sample is one (no `stss`). */
  readonly syncBits: Uint32Array | undefined;
}

/**
 * Random access to where each sample of a track is, how big, when it is
 * decoded and shown, and whether it is a sync sample.
 *
 * @example
 * ```ts
 * import { SampleColumns } from "@ranged/video";
 * const t = SampleColumns.fromArrays({ offsets: [100, 110, 500], sizes: [10, 20, 5], dts: [0, 512, 1024, 1536] });
 * console.log(t.offset(1), t.dts(3), t.isSync(2)); // 110 1536 true
 * ```
 */
export class SampleColumns {
  /** Number of samples. */
  readonly count: number;
  /** Size of each sample in bytes. */
  readonly sizes: Uint32Array;
  /** Whether the source has an `stss` (without one, every sample is a sync sample). */
  readonly hasSyncTable: boolean;
  /** Smallest composition offset (0 without `ctts`): a sample is shown no earlier than `dts + ctsMin`. */
  readonly ctsMin: number;
  /** Largest composition offset (0 without `ctts`): a sample is shown no later than `dts + ctsMax`. */
  readonly ctsMax: number;
  readonly #chunkOffsets: Float64Array;
  readonly #chunkFirst: Uint32Array;
  readonly #checkpoints: Float64Array;
  readonly #runFirst: Uint32Array;
  readonly #runStart: Float64Array;
  readonly #runDelta: Uint32Array;
  readonly #cts: Int32Array | undefined;
  readonly #sync: Uint32Array | undefined;
  // Cursors: the last chunk and run found, and the last offset computed.
  #chunk = 0;
  #run = 0;
  #lastSample = -1;
  #lastOffset = 0;

  /** Columns as validated by the table readers. */
  constructor(init: ColumnsInit) {
    this.sizes = init.sizes;
    this.count = init.sizes.length;
    this.hasSyncTable = init.syncBits !== undefined;
    this.#chunkOffsets = init.chunkOffsets;
    this.#chunkFirst = init.chunkFirst;
    this.#checkpoints = init.checkpoints;
    this.#runFirst = init.runFirst;
    this.#runStart = init.runStart;
    this.#runDelta = init.runDelta;
    this.#cts = init.cts;
    this.#sync = init.syncBits;
    this.ctsMin = init.cts === undefined ? 0 : init.ctsMin;
    this.ctsMax = init.cts === undefined ? 0 : init.ctsMax;
  }

  /**
   * Columns from flat per-sample arrays (tests, synthetic tracks): samples
   * that follow each other in the file share a chunk. `dts` has `count + 1`
   * values; `sync` lists 0-based sync samples (omitted: all are).
   *
   * @example
   * ```ts
   * import { SampleColumns } from "@ranged/video";
   * const t = SampleColumns.fromArrays({ offsets: [0, 8], sizes: [8, 8], dts: [0, 1, 2], sync: [0] });
   * console.log(t.isSync(1), t.bytes > 0); // false true
   * ```
   */
  static fromArrays(a: {
    offsets: ArrayLike<number>;
    sizes: ArrayLike<number>;
    dts: ArrayLike<number>;
    cts?: ArrayLike<number>;
    sync?: readonly number[];
  }): SampleColumns {
    const count = a.sizes.length;
    const sizes = Uint32Array.from(a.sizes);
    const chunkOffsets: number[] = [];
    const chunkFirst: number[] = [];
    for (let i = 0; i < count; i++) {
      if (i === 0 || a.offsets[i] !== a.offsets[i - 1] + sizes[i - 1]) {
        chunkOffsets.push(a.offsets[i]);
        chunkFirst.push(i);
      }
    }
    chunkFirst.push(count);
    const checkpoints = new Float64Array(Math.ceil(count / CHECKPOINT));
    for (let k = 0; k < checkpoints.length; k++) checkpoints[k] = a.offsets[k * CHECKPOINT];
    const runs = new RunBuilder();
    for (let i = 0; i < count; i++) runs.add(1, a.dts[i + 1] - a.dts[i]);
    let syncBits: Uint32Array | undefined;
    if (a.sync !== undefined) {
      syncBits = new Uint32Array(Math.ceil(count / 32));
      for (const i of a.sync) syncBits[i >>> 5] |= 1 << (i & 31);
    }
    const cts = a.cts === undefined ? undefined : Int32Array.from(a.cts);
    let ctsMin = 0;
    let ctsMax = 0;
    for (let i = 0; cts !== undefined && i < count; i++) {
      if (i === 0 || cts[i] < ctsMin) ctsMin = cts[i];
      if (i === 0 || cts[i] > ctsMax) ctsMax = cts[i];
    }
    return new SampleColumns({
      sizes,
      chunkOffsets: Float64Array.from(chunkOffsets),
      chunkFirst: Uint32Array.from(chunkFirst),
      checkpoints,
      ...runs.finish(count, count > 0 ? a.dts[0] : 0),
      cts: ctsMin === 0 && ctsMax === 0 ? undefined : cts,
      ctsMin,
      ctsMax,
      syncBits,
    });
  }

  /** Memory the columns hold, in bytes. */
  get bytes(): number {
    return this.sizes.byteLength + this.#chunkOffsets.byteLength + this.#chunkFirst.byteLength +
      this.#checkpoints.byteLength + this.#runFirst.byteLength + this.#runStart.byteLength +
      this.#runDelta.byteLength + (this.#cts?.byteLength ?? 0) + (this.#sync?.byteLength ?? 0);
  }

  /** Absolute file offset of sample `i`. */
  offset(i: number): number {
    if (i === this.#lastSample) return this.#lastOffset;
    const c = this.#chunkOf(i);
    const first = this.#chunkFirst[c];
    let at: number;
    let from: number;
    if (i === this.#lastSample + 1 && i > first) {
      at = this.#lastOffset;
      from = i - 1;
    } else {
      const mark = i - (i % CHECKPOINT);
      if (mark > first) {
        at = this.#checkpoints[mark / CHECKPOINT];
        from = mark;
      } else {
        at = this.#chunkOffsets[c];
        from = first;
      }
    }
    for (let k = from; k < i; k++) at += this.sizes[k];
    this.#lastSample = i;
    this.#lastOffset = at;
    return at;
  }

  /** Decode time of sample `i` (media ticks); `dts(count)` is the end of the last sample. */
  dts(i: number): number {
    const r = this.#runOf(i);
    return this.#runStart[r] + (i - this.#runFirst[r]) * this.#runDelta[r];
  }

  /** Composition offset of sample `i` (0 without `ctts`; may be negative). */
  cts(i: number): number {
    return this.#cts === undefined ? 0 : this.#cts[i];
  }

  /** Whether sample `i` is a sync sample. */
  isSync(i: number): boolean {
    return this.#sync === undefined || ((this.#sync[i >>> 5] >>> (i & 31)) & 1) === 1;
  }

  /** The chunk holding sample `i`: the last chunk whose first sample is at or before it. */
  #chunkOf(i: number): number {
    const first = this.#chunkFirst;
    let c = this.#chunk;
    if (first[c] <= i && i < first[c + 1]) return c;
    if (c + 2 < first.length && first[c + 1] <= i && i < first[c + 2]) return this.#chunk = c + 1;
    c = lastAtOrBefore(first, i, first.length - 2);
    return this.#chunk = c;
  }

  #runOf(i: number): number {
    const first = this.#runFirst;
    const r = this.#run;
    if (first[r] <= i && (r + 1 === first.length || i < first[r + 1])) return r;
    if (r + 2 < first.length && first[r + 1] <= i && i < first[r + 2]) return this.#run = r + 1;
    return this.#run = lastAtOrBefore(first, i, first.length - 1);
  }
}

/** The last index `k ≤ hi` with `values[k] ≤ x` (0 when none is). */
function lastAtOrBefore(values: Uint32Array, x: number, hi: number): number {
  let lo = 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (values[mid] <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Decode-time runs, merged when neighbours share a duration. The number of
 * runs never exceeds the `stts` entries read, so its memory is bounded by
 * the box, never by a count the header claims.
 */
export class RunBuilder {
  #first: number[] = [];
  #delta: number[] = [];
  #samples = 0;

  /** Appends `n` samples of duration `delta`. */
  add(n: number, delta: number): void {
    if (n === 0) return;
    if (this.#delta.length === 0 || this.#delta[this.#delta.length - 1] !== delta) {
      this.#first.push(this.#samples);
      this.#delta.push(delta);
    }
    this.#samples += n;
  }

  /** The run columns for `count` samples whose first decode time is `start`. */
  finish(count: number, start = 0): Pick<ColumnsInit, "runFirst" | "runStart" | "runDelta"> {
    const runs = this.#first.length;
    const runFirst = new Uint32Array(runs + 1);
    const runStart = new Float64Array(runs + 1);
    const runDelta = new Uint32Array(runs + 1);
    let t = start;
    for (let r = 0; r < runs; r++) {
      runFirst[r] = this.#first[r];
      runStart[r] = t;
      runDelta[r] = this.#delta[r];
      const end = r + 1 < runs ? this.#first[r + 1] : count;
      t += (end - this.#first[r]) * this.#delta[r];
    }
    runFirst[runs] = count;
    runStart[runs] = t;
    return { runFirst, runStart, runDelta };
  }
}
