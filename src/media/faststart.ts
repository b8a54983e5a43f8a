/**
 * Faststart on the fly: an MP4 whose `moov` index sits after the media is
 * served as if it had been written with `ffmpeg -movflags +faststart`, by a
 * derived FileLike that puts a rewritten `moov` right after `ftyp` and copies
 * every other box from the original file. Nothing is written to disk; memory
 * is one `moov` per file, cached.
 *
 * The rewrite itself ({@linkcode rewriteMoov}) is a pure function of the
 * `moov` bytes and the offset shift; the file-facing part reads only the
 * top-level box headers and the `moov`, and gives up (serving the original)
 * on anything it does not understand.
 *
 * @module
 */

import { derivedFile, derivedInfo } from "../http/derived.ts";
import type { FileLike } from "../http/file_like.ts";
import { type BoxHeader, childBoxes, Mp4FormatError, parseBoxHeader, readFully, readTopLevelBoxes } from "./boxes.ts";
import { cacheKey } from "./cache_key.ts";
import { checkSelfContained } from "./dref.ts";
import { LruCache } from "./lru.ts";

/**
 * Version of the faststart output layout. It is part of every faststart
 * ETag: bump it whenever the same source would give different bytes.
 */
export const FASTSTART_VERSION = 1;

const TRANSFORM = "faststart";
const U32_LIMIT = 2 ** 32;
/** Deepest box nesting walked inside a moov (real files nest about 8 deep); bounds recursion. */
const MAX_DEPTH = 24;

// ---------------------------------------------------------------------------
// The pure part: moov bytes in, moov bytes out.
// ---------------------------------------------------------------------------

/** A chunk offset table found in a moov. */
interface OffsetTable {
  readonly kind: "stco" | "co64";
  /** Entry count. */
  readonly count: number;
  /** Position of the first entry in the moov bytes. */
  readonly entries: number;
}

interface MoovNode {
  readonly box: BoxHeader;
  readonly children?: MoovNode[];
  readonly table?: OffsetTable;
}

/** What {@linkcode parseMoov} found: the chunk offset tables, and the tree that holds them. */
export interface MoovIndex {
  /** Number of `stco` (32-bit) tables. */
  readonly stcoTables: number;
  /** Number of `co64` (64-bit) tables. */
  readonly co64Tables: number;
  /** Entries over all `stco` tables. */
  readonly stcoEntries: number;
  /** Entries over all `co64` tables. */
  readonly co64Entries: number;
}

interface IndexedMoov extends MoovIndex {
  readonly root: MoovNode;
}

// Boxes that hold absolute file offsets this rewrite does not update, or that
// mean the file is fragmented (media described outside the moov).
const REFUSED: Record<string, string> = {
  mvex: "fragmented file (mvex)",
  moof: "fragmented file (moof)",
  traf: "fragmented file (traf)",
  saio: "saio holds absolute offsets",
  iloc: "iloc holds absolute offsets",
  tfra: "tfra holds absolute offsets",
  mfra: "fragmented file (mfra)",
  cmov: "compressed moov (cmov)",
};
// Containers walked to find stco/co64 and the refused boxes above.
const CONTAINERS = new Set(["moov", "trak", "mdia", "minf", "stbl", "dinf", "edts", "udta", "meta"]);

/**
 * Walks a `moov` box held in memory and lists its chunk offset tables,
 * checking every size and count against the bytes that hold it. Throws
 * {@linkcode Mp4FormatError} for anything it will not rewrite: fragmented
 * movies (`mvex`), boxes with absolute offsets it does not update (`saio`,
 * `iloc`, `tfra`), a compressed moov, media in another file (a `dref`
 * entry that is not self-contained), or a malformed box.
 *
 * @example
 * ```ts
 * import { parseMoov } from "@ranged/video";
 * const moov = new Uint8Array([0, 0, 0, 8, 0x6d, 0x6f, 0x6f, 0x76]);
 * console.log(parseMoov(moov).stcoEntries); // 0
 * ```
 */
export function parseMoov(moov: Uint8Array): MoovIndex {
  const { stcoTables, co64Tables, stcoEntries, co64Entries } = indexMoov(moov);
  return { stcoTables, co64Tables, stcoEntries, co64Entries };
}

function indexMoov(moov: Uint8Array): IndexedMoov {
  const box = parseBoxHeader(moov, 0, moov.length, true);
  if (box.type !== "moov") throw new Mp4FormatError(`expected moov, found '${box.type}'`);
  const counts = { stcoTables: 0, co64Tables: 0, stcoEntries: 0, co64Entries: 0 };
  const view = new DataView(moov.buffer, moov.byteOffset, moov.byteLength);

  const walk = (box: BoxHeader, depth: number): MoovNode => {
    if (depth > MAX_DEPTH) throw new Mp4FormatError(`boxes nested deeper than ${MAX_DEPTH}`);
    let from = box.start + box.headerSize;
    const end = box.start + box.size;
    // ISO 'meta' is a full box (4 bytes of version and flags before the children);
    // QuickTime's 'meta' is a plain container whose first child follows at once.
    if (box.type === "meta" && end - from >= 4 && view.getUint32(from) === 0) from += 4;
    const children: MoovNode[] = [];
    let table = false;
    for (const child of childBoxes(moov, from, end)) {
      const refused = REFUSED[child.type];
      if (refused) throw new Mp4FormatError(refused);
      if (box.type === "stbl" && (child.type === "stco" || child.type === "co64")) {
        if (table) throw new Mp4FormatError("two chunk offset tables in one stbl");
        table = true;
        const t = offsetTable(view, child);
        children.push({ box: child, table: t });
        if (t.kind === "stco") {
          counts.stcoTables++;
          counts.stcoEntries += t.count;
        } else {
          counts.co64Tables++;
          counts.co64Entries += t.count;
        }
      } else if (box.type === "dinf" && child.type === "dref") {
        checkSelfContained(moov, view, child);
      } else if (CONTAINERS.has(child.type)) {
        children.push(walk(child, depth + 1));
      }
    }
    return { box, children };
  };
  const root = walk(box, 0); // before the spread: walking fills the counts
  return { ...counts, root };
}

function offsetTable(view: DataView, box: BoxHeader): OffsetTable {
  const width = box.type === "stco" ? 4 : 8;
  const body = box.start + box.headerSize;
  if (box.size - box.headerSize < 8) throw new Mp4FormatError(`truncated ${box.type}`);
  const count = view.getUint32(body + 4);
  // The count is checked against the box before anything trusts it.
  if (count > (box.size - box.headerSize - 8) / width) {
    throw new Mp4FormatError(`${box.type} at ${box.start}: ${count} entries do not fit in ${box.size} bytes`);
  }
  return { kind: box.type === "stco" ? "stco" : "co64", count, entries: body + 8 };
}

/**
 * Where a chunk offset goes: a constant shift, or a function of the old
 * offset and the new moov's size (which depends on whether the tables had
 * to grow to 64 bits).
 */
export type OffsetShift = number | ((offset: number, newMoovSize: number) => number);

/** Options of {@linkcode rewriteMoov}. */
export interface RewriteMoovOptions {
  /**
   * 64-bit tables: `"auto"` (default) converts every `stco` to `co64` as soon
   * as one shifted offset reaches 2^32, as qt-faststart does; `true` always
   * converts; `false` throws instead.
   */
  co64?: "auto" | boolean;
}

/** What {@linkcode rewriteMoovDetailed} did. */
export interface RewrittenMoov {
  /** The new moov box. */
  readonly moov: Uint8Array;
  /** Whether the `stco` tables were converted to `co64`. */
  readonly co64Converted: boolean;
  /** Chunk offsets rewritten. */
  readonly chunkOffsets: number;
}

/**
 * Returns a copy of `moov` with every chunk offset in every `stco` and
 * `co64` moved by `shift`. Pure: no I/O, the input is not modified.
 *
 * When a 32-bit offset would reach 2^32, all `stco` tables become `co64`;
 * that grows the moov, which (for a shift that depends on the moov's size)
 * moves the offsets again, so the size is settled first and the offsets are
 * written once, at the fixed point. The box sizes of the tables' ancestors
 * grow accordingly. A `moov` written with `size == 0` ("to the end") comes
 * back with an explicit size, since it will not be last any more.
 *
 * @example Offsets move by 100 bytes
 * ```ts
 * import { rewriteMoov } from "@ranged/video";
 * declare const moov: Uint8Array; // a moov box read from a file
 * const moved = rewriteMoov(moov, 100);
 * ```
 *
 * @example Moov moves from the end to just after a 32-byte ftyp
 * ```ts
 * import { rewriteMoov } from "@ranged/video";
 * declare const moov: Uint8Array;
 * const moved = rewriteMoov(moov, (offset, newMoovSize) => offset + newMoovSize);
 * ```
 */
export function rewriteMoov(moov: Uint8Array, shift: OffsetShift, options: RewriteMoovOptions = {}): Uint8Array {
  return rewriteMoovDetailed(moov, shift, options).moov;
}

/**
 * {@linkcode rewriteMoov}, also telling whether the tables became 64-bit.
 *
 * @example
 * ```ts
 * import { rewriteMoovDetailed } from "@ranged/video";
 * declare const moov: Uint8Array;
 * const { co64Converted } = rewriteMoovDetailed(moov, 2 ** 32);
 * ```
 */
// Long on purpose: the emitters share one output cursor and the co64 decision; as separate
// functions they would pass five values each, and the size fixed point is easier to check whole.
export function rewriteMoovDetailed(
  moov: Uint8Array,
  shift: OffsetShift,
  options: RewriteMoovOptions = {},
): RewrittenMoov {
  const index = indexMoov(moov);
  const map = typeof shift === "number" ? (o: number) => o + shift : shift;
  const view = new DataView(moov.buffer, moov.byteOffset, moov.byteLength);
  const oldSize = index.root.box.size;
  const mode = options.co64 ?? "auto";
  let co64 = mode === true && index.stcoEntries > 0;
  // Converting only ever grows the moov, and a larger moov only moves offsets
  // further, so once converted it stays converted: at most two rounds.
  const sizeFor = (convert: boolean) => oldSize + (convert ? 4 * index.stcoEntries : 0);
  if (!co64 && index.stcoEntries > 0) {
    const newSize = sizeFor(false);
    if (anyStcoOverflows(index.root, view, map, newSize)) {
      if (mode === false) throw new Mp4FormatError("a chunk offset reaches 2^32 and co64 conversion is off");
      co64 = true;
    }
  }
  const newSize = sizeFor(co64);
  const out = new Uint8Array(newSize);
  const outView = new DataView(out.buffer);
  const mapChecked = (o: number, width: 4 | 8): number => {
    const n = map(o, newSize);
    if (!Number.isSafeInteger(n) || n < 0 || (width === 4 && n >= U32_LIMIT)) {
      throw new Mp4FormatError(`chunk offset ${o} maps to ${n}, which does not fit`);
    }
    return n;
  };

  let at = 0;
  const copy = (from: number, to: number) => {
    out.set(moov.subarray(from, to), at);
    at += to - from;
  };
  const growth = (node: MoovNode): number => {
    if (node.table) return co64 && node.table.kind === "stco" ? 4 * node.table.count : 0;
    let g = 0;
    for (const c of node.children ?? []) g += growth(c);
    return g;
  };
  const header = (box: BoxHeader, size: number, type?: string) => {
    const start = at;
    copy(box.start, box.start + box.headerSize);
    if (box.sizeForm === "large") {
      outView.setBigUint64(start + 8, BigInt(size));
    } else {
      if (size >= U32_LIMIT) throw new Mp4FormatError(`'${box.type}' grows past 4 GiB with a 32-bit size`);
      outView.setUint32(start, size);
    }
    if (type) { for (let i = 0; i < 4; i++) out[start + 4 + i] = type.charCodeAt(i); }
  };
  const emit = (node: MoovNode) => {
    const { box } = node;
    const end = box.start + box.size;
    if (node.table) {
      const t = node.table;
      const widen = co64 && t.kind === "stco";
      header(box, box.size + (widen ? 4 * t.count : 0), widen ? "co64" : undefined);
      copy(box.start + box.headerSize, t.entries); // version, flags, entry count
      if (t.kind === "stco" && !widen) {
        for (let i = 0; i < t.count; i++, at += 4) {
          outView.setUint32(at, mapChecked(view.getUint32(t.entries + 4 * i), 4));
        }
      } else if (t.kind === "stco") {
        for (let i = 0; i < t.count; i++, at += 8) {
          outView.setBigUint64(at, BigInt(mapChecked(view.getUint32(t.entries + 4 * i), 8)));
        }
      } else {
        for (let i = 0; i < t.count; i++, at += 8) {
          outView.setBigUint64(at, BigInt(mapChecked(readU64(view, t.entries + 8 * i), 8)));
        }
      }
      copy(t.entries + t.count * (t.kind === "stco" ? 4 : 8), end); // bytes after the entries, if any
      return;
    }
    header(box, box.size + growth(node));
    let pos = box.start + box.headerSize;
    for (const child of node.children ?? []) {
      copy(pos, child.box.start);
      emit(child);
      pos = child.box.start + child.box.size;
    }
    copy(pos, end);
  };
  emit(index.root);
  if (at !== newSize) throw new Error(`moov rewrite wrote ${at} bytes, expected ${newSize}`);
  return { moov: out, co64Converted: co64, chunkOffsets: index.stcoEntries + index.co64Entries };
}

function anyStcoOverflows(
  node: MoovNode,
  view: DataView,
  map: (offset: number, newMoovSize: number) => number,
  newSize: number,
): boolean {
  const t = node.table;
  if (t) {
    if (t.kind !== "stco") return false;
    for (let i = 0; i < t.count; i++) {
      if (map(view.getUint32(t.entries + 4 * i), newSize) >= U32_LIMIT) return true;
    }
    return false;
  }
  return (node.children ?? []).some((c) => anyStcoOverflows(c, view, map, newSize));
}

function readU64(view: DataView, at: number): number {
  const big = view.getBigUint64(at);
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new Mp4FormatError(`co64 offset ${big} is too large`);
  return Number(big);
}

// ---------------------------------------------------------------------------
// The file-facing part.
// ---------------------------------------------------------------------------

/** Options of {@linkcode faststart} and {@linkcode planFaststart}. */
export interface FaststartOptions {
  /**
   * Where layouts are kept between requests: a cache from
   * {@linkcode createFaststartCache}, or `false` for none. By default a
   * cache shared by the whole process (32 MiB), so serving the same file
   * again reads nothing but its bytes.
   */
  cache?: FaststartCache | false;
  /**
   * The file's identity in the cache. By default its name, size and strong
   * validator (a file without a strong ETag or mtime is not cached). Pass
   * the absolute path when names alone could collide.
   */
  key?: string;
  /** Largest moov to read into memory. Default 64 MiB (a 2-hour film's is a few MiB). */
  maxMoovSize?: number;
  /** Most top-level boxes to look at. Default 1024. */
  maxBoxes?: number;
}

/** The cache {@linkcode faststart} keeps layouts in. */
export type FaststartCache = LruCache<FaststartPlan>;

/**
 * A cache of faststart layouts with a byte budget (default 32 MiB, about
 * ten 2-hour films' moovs), least recently used evicted first.
 *
 * @example
 * ```ts ignore
 * import { createFaststartCache, faststart } from "@ranged/video";
 * const cache = createFaststartCache({ maxBytes: 64 * 1024 * 1024 });
 * const file = await faststart(await openFile("movie.mp4"), { cache });
 * ```
 */
export function createFaststartCache(options: { maxBytes?: number; maxEntries?: number } = {}): FaststartCache {
  return new LruCache<FaststartPlan>(options);
}

/**
 * The decision for one file: keep it as it is (and why), or serve the
 * pieces of a faststart layout.
 */
export type FaststartPlan =
  | {
    readonly action: "keep";
    /** True when the moov already precedes the media: the file is faststart as it is. */
    readonly alreadyFaststart: boolean;
    /** Why the file is served unchanged. */
    readonly reason: string;
  }
  | {
    readonly action: "rewrite";
    /** Size of the source this layout was computed for. */
    readonly sourceSize: number;
    /** End of the ftyp box, where the new moov goes. */
    readonly ftypEnd: number;
    /** Where the moov was. */
    readonly moovStart: number;
    /** Size of the original moov. */
    readonly moovSize: number;
    /** The rewritten moov. */
    readonly moov: Uint8Array;
    /** Whether stco tables were converted to co64. */
    readonly co64Converted: boolean;
    /** Chunk offsets rewritten. */
    readonly chunkOffsets: number;
  };

/** What a faststart-derived file tells the player page. */
export interface FaststartInfo {
  /** Where the moov was in the original file. */
  readonly originalMoovStart: number;
  /** Size of the original moov. */
  readonly originalMoovSize: number;
  /** Size of the moov as served (larger when tables became co64). */
  readonly moovSize: number;
  /** Whether stco tables were converted to co64. */
  readonly co64Converted: boolean;
  /** Chunk offsets rewritten. */
  readonly chunkOffsets: number;
}

let sharedCache: FaststartCache | undefined;
const inflight = new WeakMap<FaststartCache, Map<string, Promise<FaststartPlan>>>();

/**
 * Decides how to serve `file`, reading only its top-level box headers and
 * (when it is at the end) its moov. Never throws for the file's content:
 * anything not understood is `{ action: "keep", reason }`. Read errors
 * are also reported as "keep", and not cached.
 *
 * @example
 * ```ts ignore
 * import { planFaststart } from "@ranged/video";
 * import { openFile } from "@ranged/video/fs";
 * const plan = await planFaststart(await openFile("phone.mp4"));
 * console.log(plan.action, plan.action === "keep" ? plan.reason : plan.moovStart);
 * ```
 */
export async function planFaststart(file: FileLike, options: FaststartOptions = {}): Promise<FaststartPlan> {
  const cache = options.cache === false ? undefined : (options.cache ?? (sharedCache ??= createFaststartCache()));
  const key = options.key ?? cacheKey(file);
  if (cache === undefined || key === undefined) return (await computePlan(file, options)).plan;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  // Concurrent first requests for one file share one computation.
  let pending = inflight.get(cache);
  if (pending === undefined) inflight.set(cache, pending = new Map());
  const running = pending.get(key);
  if (running !== undefined) return running;
  const work = computePlan(file, options).then(({ plan, cacheable }) => {
    if (cacheable) cache.set(key, plan, plan.action === "rewrite" ? plan.moov.length + 256 : 256);
    return plan;
  }).finally(() => pending.delete(key));
  pending.set(key, work);
  return work;
}

/**
 * Serves `file` in faststart layout when its moov is at the end: resolves
 * to a derived FileLike (ftyp, the rewritten moov, then every other
 * top-level box in its original order) with its own size and a strong ETag
 * derived from the source's (`"…-faststart.1"`), or to `file` itself when
 * it is already faststart, is not an MP4, or is one this module does not
 * rewrite (fragmented, absolute offsets outside stco/co64, malformed).
 *
 * Hand the result to {@linkcode handleVideo} as usual: ranges, HEAD,
 * preconditions and cancellation work unchanged, and closing it closes `file`.
 *
 * @example
 * ```ts ignore
 * import { faststart, handleVideo } from "@ranged/video";
 * import { openFile } from "@ranged/video/fs";
 * Deno.serve(async (req) => handleVideo(req, await faststart(await openFile("./phone.mp4"))));
 * ```
 */
export async function faststart(file: FileLike, options: FaststartOptions = {}): Promise<FileLike> {
  const plan = await planFaststart(file, options);
  if (plan.action === "keep" || plan.sourceSize !== file.size) return file;
  const moovEnd = plan.moovStart + plan.moovSize;
  const info: FaststartInfo = {
    originalMoovStart: plan.moovStart,
    originalMoovSize: plan.moovSize,
    moovSize: plan.moov.length,
    co64Converted: plan.co64Converted,
    chunkOffsets: plan.chunkOffsets,
  };
  return derivedFile(file, [
    { offset: 0, length: plan.ftypEnd },
    { bytes: plan.moov },
    { offset: plan.ftypEnd, length: plan.moovStart - plan.ftypEnd },
    { offset: moovEnd, length: file.size - moovEnd },
  ], { transform: TRANSFORM, version: FASTSTART_VERSION, info });
}

/**
 * Whether `file` is a faststart layout made by {@linkcode faststart} (not the
 * original file handed back unchanged).
 *
 * @example
 * ```ts ignore
 * const served = await faststart(file);
 * if (isFaststart(served)) headers.set("x-layout", "faststart");
 * ```
 */
export function isFaststart(file: FileLike): boolean {
  return derivedInfo(file, TRANSFORM) !== undefined;
}

/**
 * Details of a faststart layout (where the moov was, whether its tables
 * grew to 64 bits), or `undefined` for any other FileLike.
 *
 * @example
 * ```ts ignore
 * const info = faststartInfo(await faststart(file));
 * if (info) console.log(`moov moved from byte ${info.originalMoovStart}`);
 * ```
 */
export function faststartInfo(file: FileLike): FaststartInfo | undefined {
  return derivedInfo(file, TRANSFORM)?.info as FaststartInfo | undefined;
}

const keep = (reason: string, alreadyFaststart = false): FaststartPlan => ({
  action: "keep",
  alreadyFaststart,
  reason,
});

async function computePlan(file: FileLike, options: FaststartOptions): Promise<
  { plan: FaststartPlan; cacheable: boolean }
> {
  try {
    return { plan: await decide(file, options), cacheable: true };
  } catch (err) {
    if (err instanceof Mp4FormatError) return { plan: keep(err.message), cacheable: true };
    // An I/O error says nothing lasting about the file: decide again next time.
    return { plan: keep(`read failed: ${err instanceof Error ? err.message : String(err)}`), cacheable: false };
  }
}

async function decide(file: FileLike, options: FaststartOptions): Promise<FaststartPlan> {
  const size = file.size;
  if (!Number.isSafeInteger(size) || size < 16) return keep("not an MP4 (too small)");
  const boxes = await readTopLevelBoxes(file, { maxBoxes: options.maxBoxes });
  if (boxes.length === 0 || boxes[0].type !== "ftyp") return keep("no ftyp box at the start");
  let moov: BoxHeader | undefined;
  let firstMdat = -1;
  let moovIndex = -1;
  for (let i = 0; i < boxes.length; i++) {
    const b = boxes[i];
    const refused = REFUSED[b.type];
    if (refused) return keep(refused);
    switch (b.type) {
      case "ftyp":
        if (i > 0) return keep("duplicate ftyp");
        break;
      case "moov":
        if (moov) return keep("duplicate moov");
        moov = b;
        moovIndex = i;
        break;
      case "mdat":
        if (firstMdat < 0) firstMdat = i;
        break;
      case "sidx":
      case "ssix":
      case "styp":
      case "emsg":
        return keep(`segmented file (${b.type})`);
      case "meta":
        return keep("top-level meta (may hold iloc offsets)");
    }
  }
  if (!moov) return keep("no moov box");
  if (firstMdat < 0) return keep("no mdat box");
  if (moovIndex < firstMdat) return keep("moov already precedes the media", true);

  const maxMoov = options.maxMoovSize ?? 64 * 1024 * 1024;
  if (moov.size > maxMoov) return keep(`moov of ${moov.size} bytes is over the ${maxMoov}-byte limit`);
  // The header parse already proved moov.start + moov.size <= size, so this allocation is bounded by the file.
  const bytes = new Uint8Array(moov.size);
  if (await readFully(file, bytes, moov.start) !== moov.size) return keep("moov is truncated");
  // A "to the end" moov keeps its size 0 in these bytes, which parse as "to the end of the moov":
  // the rewrite then writes an explicit size, since the moov will not be last any more.

  const ftypEnd = boxes[0].size;
  const moovStart = moov.start;
  const moovEnd = moov.start + moov.size;
  const oldSize = moov.size;
  // Bytes before the moov move down by the new moov's size; bytes after it by the difference.
  const map = (o: number, newSize: number): number => {
    if (o < ftypEnd) throw new Mp4FormatError(`chunk offset ${o} points into ftyp`);
    if (o < moovStart) return o + newSize;
    if (o < moovEnd) throw new Mp4FormatError(`chunk offset ${o} points into the moov`);
    if (o < size) return o - oldSize + newSize;
    throw new Mp4FormatError(`chunk offset ${o} is past the end of the file`);
  };
  const rewritten = rewriteMoovDetailed(bytes, map);
  return {
    action: "rewrite",
    sourceSize: size,
    ftypEnd,
    moovStart,
    moovSize: oldSize,
    moov: rewritten.moov,
    co64Converted: rewritten.co64Converted,
    chunkOffsets: rewritten.chunkOffsets,
  };
}
