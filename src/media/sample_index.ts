/**
 * The MP4 sample index shared by clips and HLS: where every sample of every
 * track is, how big, when it is decoded and shown, which samples are sync
 * samples, and the few boxes a rebuilt `moov` copies verbatim.
 *
 * Parsing ({@linkcode parseSampleIndex}) is a pure function of the `moov`
 * bytes and the file size, hardened the way nginx's `ngx_http_mp4_module`
 * is: every count × entry size is checked against its box before anything is
 * allocated, duplicate boxes are refused (the CVE-2022-41741/41742 class), and
 * whatever it cannot describe exactly throws {@linkcode UnsupportedMp4Error}.
 * Loading ({@linkcode loadSampleIndex}) finds the `moov` with the box reader
 * and caches one index per file version in a byte-budgeted LRU.
 *
 * The index holds about 8.4 bytes per sample for video with B-frames and
 * 4.3 for audio (see `sample_columns.ts`), plus the boxes copied verbatim.
 *
 * @module
 */

import type { FileLike } from "../http/file_like.ts";
import {
  type BoxHeader,
  childBoxes,
  fourcc,
  Mp4FormatError,
  parseBoxHeader,
  readFully,
  readTopLevelBoxes,
} from "./boxes.ts";
import { cacheKey } from "./cache_key.ts";
import { checkSelfContained } from "./dref.ts";
import { LruCache } from "./lru.ts";
import { readSideTables, type SideTables } from "./side_tables.ts";
import { SampleColumns } from "./sample_columns.ts";
import {
  fullBox,
  type NormalizedEdit,
  placeSamples,
  readChunkOffsets,
  readCompositionOffsets,
  readDecodeTimes,
  readEditList,
  readSampleSizes,
  readSyncSamples,
  UnsupportedMp4Error,
} from "./sample_tables.ts";

export { UnsupportedMp4Error };

/**
 * One track of a {@linkcode SampleIndex}: its samples (the compact columns
 * of {@linkcode SampleColumns}: `offset(i)`, `sizes[i]`, `dts(i)`, `cts(i)`,
 * `isSync(i)`) and what a rebuilt track needs besides. Times are in the
 * track's media timescale unless said otherwise.
 */
export interface TrackIndex extends SampleColumns {
  /** `tkhd` track_ID. */
  readonly id: number;
  /** `hdlr` handler_type: `vide`, `soun`, `subt`, `text`, ... */
  readonly handler: string;
  /** `mdhd` timescale (ticks per second). */
  readonly timescale: number;
  /**
   * The normalized edit list: a leading empty edit (movie timescale), where
   * the media starts being shown (media timescale), and the media edit's
   * length (movie timescale, 0 = to the end). No `elst`: all zero.
   */
  readonly edit: NormalizedEdit;
  /** `tkhd` width and height in whole pixels; 0 for audio. */
  readonly width: number;
  /** `tkhd` height in whole pixels. */
  readonly height: number;
  /** `mdhd` ISO-639-2/T language, `und` when absent. */
  readonly language: string;
  /** The `stsd` entry (1-based) every sample uses. */
  readonly descriptionIndex: number;
  /** The sample-indexed side tables a clip crops (`sdtp`, sample groups). */
  readonly side: SideTables;
  /** Boxes a rebuilt track copies verbatim (whole boxes, header included). */
  readonly boxes: {
    readonly tkhd: Uint8Array;
    readonly mdhd: Uint8Array;
    readonly hdlr: Uint8Array;
    /** `vmhd`, `smhd`, `sthd`, `nmhd`, `hmhd` or `gmhd`. */
    readonly mediaHeader: Uint8Array;
    readonly dinf: Uint8Array | undefined;
    readonly stsd: Uint8Array;
  };
}

/** Every track of an MP4 and the movie header, parsed once from its `moov`. */
export interface SampleIndex {
  /** `mvhd` timescale. */
  readonly movieTimescale: number;
  /** `mvhd` duration, in the movie timescale. */
  readonly movieDuration: number;
  /** The `mvhd` box, verbatim. */
  readonly mvhd: Uint8Array;
  /** The `ftyp` box, verbatim, when the file has one (set by {@linkcode loadSampleIndex}). */
  readonly ftyp: Uint8Array | undefined;
  /** The tracks in `moov` order. */
  readonly tracks: readonly TrackIndex[];
  /** Size of the file the index describes. */
  readonly fileSize: number;
  /** Memory the index holds, in bytes (for the cache's budget). */
  readonly bytes: number;
}

/** Options of {@linkcode parseSampleIndex}. */
export interface ParseSampleIndexOptions {
  /** Size of the file the moov came from: every sample must lie inside it. */
  fileSize: number;
  /** Most samples over all tracks. Default {@linkcode MAX_SAMPLES}. */
  maxSamples?: number;
  /** The file's `ftyp` box, kept in the index verbatim. */
  ftyp?: Uint8Array;
}

/**
 * Most samples an index holds by default, over all tracks: 2^23 (at most
 * about 70 MiB at 8.4 bytes each). A 2-hour film has about half a million; more
 * than this is a hostile header or a file no clip or playlist should be cut
 * from on request.
 */
export const MAX_SAMPLES = 2 ** 23;
/** Boxes that mean the media is described outside the moov. */
const FRAGMENTED: Record<string, string> = {
  mvex: "fragmented file (mvex)",
  moof: "fragmented file (moof)",
  mfra: "fragmented file (mfra)",
};
const MEDIA_HEADERS = new Set(["vmhd", "smhd", "sthd", "nmhd", "hmhd", "gmhd"]);
const SAMPLE_GROUP_BOXES = new Set(["sbgp", "sgpd"]);
/** Fixed overhead counted per track and per index besides the arrays and boxes. */
const OVERHEAD = 256;

/**
 * Parses a `moov` box held in memory into a {@linkcode SampleIndex}. Pure:
 * no I/O, the input is not modified or kept (the verbatim boxes are copies).
 * Throws {@linkcode Mp4FormatError} (often its subclass
 * {@linkcode UnsupportedMp4Error}) for anything it will not describe.
 *
 * @example
 * ```ts ignore
 * import { parseSampleIndex } from "@ranged/video";
 * declare const moov: Uint8Array; // the moov box of a 1 MB file
 * const index = parseSampleIndex(moov, { fileSize: 1_000_000 });
 * console.log(index.tracks.map((t) => `${t.handler}: ${t.count} samples`));
 * ```
 */
export function parseSampleIndex(moov: Uint8Array, options: ParseSampleIndexOptions): SampleIndex {
  const fileSize = options.fileSize;
  if (!Number.isSafeInteger(fileSize) || fileSize < 0) throw new RangeError("fileSize must be a non-negative integer");
  const root = parseBoxHeader(moov, 0, moov.length, true);
  if (root.type !== "moov") throw new Mp4FormatError("not a moov box");
  const view = new DataView(moov.buffer, moov.byteOffset, moov.byteLength);
  const { one, many: traks } = children(moov, root, new Set(["trak"]));
  const mvhd = need(one, "mvhd", "moov");
  const movie = readMovieHeader(view, mvhd);
  let budget = options.maxSamples ?? MAX_SAMPLES;
  const tracks: TrackIndex[] = [];
  let bytes = OVERHEAD + mvhd.size + (options.ftyp?.length ?? 0);
  for (const trak of traks) {
    const track = readTrack(moov, view, trak, { fileSize, maxSamples: budget });
    budget -= track.count;
    tracks.push(track);
    bytes += trackBytes(track);
  }
  const ids = new Set(tracks.map((t) => t.id));
  if (ids.size !== tracks.length) throw new UnsupportedMp4Error("two tracks with one track_ID");
  return {
    movieTimescale: movie.timescale,
    movieDuration: movie.duration,
    mvhd: copy(moov, mvhd),
    ftyp: options.ftyp?.slice(),
    tracks,
    fileSize,
    bytes,
  };
}

function trackBytes(t: TrackIndex): number {
  let n = OVERHEAD + t.bytes + t.side.bytes;
  for (const b of Object.values(t.boxes)) n += b?.byteLength ?? 0;
  return n;
}

/** The children of `box`: each type at most once (except those in `several`, listed in order in `many`). */
function children(
  bytes: Uint8Array,
  box: BoxHeader,
  several: Set<string> = new Set(),
): { one: Map<string, BoxHeader>; many: BoxHeader[] } {
  const one = new Map<string, BoxHeader>();
  const many: BoxHeader[] = [];
  for (const child of childBoxes(bytes, box.start + box.headerSize, box.start + box.size)) {
    const fragmented = FRAGMENTED[child.type];
    if (fragmented) throw new UnsupportedMp4Error(fragmented);
    if (several.has(child.type)) {
      many.push(child);
      continue;
    }
    // Two of one box leave a reader to pick one: nginx's CVE-2022-41741/41742 came from that.
    if (one.has(child.type)) {
      // The type is the file's bytes: keep control characters out of a message a client may see.
      throw new UnsupportedMp4Error(`duplicate ${child.type.replace(/[^\x20-\x7e]/g, "?")} in ${box.type}`);
    }
    one.set(child.type, child);
  }
  return { one, many };
}

function need(map: Map<string, BoxHeader>, type: string, parent: string): BoxHeader {
  const box = map.get(type);
  if (box === undefined) throw new UnsupportedMp4Error(`no ${type} in ${parent}`);
  return box;
}

function copy(bytes: Uint8Array, box: BoxHeader): Uint8Array {
  return bytes.slice(box.start, box.start + box.size);
}

function readMovieHeader(view: DataView, box: BoxHeader): { timescale: number; duration: number } {
  const f = fullBox(view, box);
  const v1 = f.version === 1;
  if (f.end - f.at < (v1 ? 28 : 16)) throw new UnsupportedMp4Error("truncated mvhd");
  const timescale = view.getUint32(f.at + (v1 ? 16 : 8));
  const duration = v1 ? Number(view.getBigUint64(f.at + 20)) : view.getUint32(f.at + 12);
  if (timescale === 0) throw new UnsupportedMp4Error("mvhd timescale 0");
  return { timescale, duration };
}

function readTrack(
  bytes: Uint8Array,
  view: DataView,
  trak: BoxHeader,
  limits: { fileSize: number; maxSamples: number },
): TrackIndex {
  const t = children(bytes, trak).one;
  const tkhd = need(t, "tkhd", "trak");
  const mdia = children(bytes, need(t, "mdia", "trak")).one;
  const mdhd = need(mdia, "mdhd", "mdia");
  const hdlr = need(mdia, "hdlr", "mdia");
  const minf = children(bytes, need(mdia, "minf", "mdia")).one;
  const headers = [...minf.keys()].filter((k) => MEDIA_HEADERS.has(k));
  if (headers.length !== 1) throw new UnsupportedMp4Error(`${headers.length} media headers in minf`);
  const mediaHeader = minf.get(headers[0])!;
  const dinf = minf.get("dinf");
  if (dinf !== undefined) checkDinf(bytes, view, dinf);
  // A track may hold a sample group of each of several types (AAC `roll`, open-GOP `rap `, ...).
  const { one: stbl, many: groupBoxes } = children(bytes, need(minf, "stbl", "minf"), SAMPLE_GROUP_BOXES);
  const stsd = need(stbl, "stsd", "stbl");
  const sizesBox = oneOf(stbl, "stsz", "stz2");
  const chunkBox = oneOf(stbl, "stco", "co64");

  const head = readTrackHeader(view, tkhd);
  const media = readMediaHeader(view, mdhd);
  const hd = fullBox(view, hdlr);
  if (hd.end - hd.at < 8) throw new UnsupportedMp4Error("truncated hdlr");
  const sd = fullBox(view, stsd);
  if (sd.end - sd.at < 4) throw new UnsupportedMp4Error("truncated stsd");
  const descriptions = view.getUint32(sd.at);

  const sizes = readSampleSizes(view, sizesBox, limits);
  const count = sizes.length;
  const runs = readDecodeTimes(view, need(stbl, "stts", "stbl"), count);
  const composition = readCompositionOffsets(view, stbl.get("ctts"), count);
  const syncBits = readSyncSamples(view, stbl.get("stss"), count);
  const chunkOffsets = readChunkOffsets(view, chunkBox, limits.fileSize);
  const placed = placeSamples(view, need(stbl, "stsc", "stbl"), chunkOffsets, sizes, {
    fileSize: limits.fileSize,
    descriptions,
  });
  const edts = t.get("edts");
  const edit = readEditList(view, edts === undefined ? undefined : children(bytes, edts).one.get("elst"));
  const columns = new SampleColumns({ sizes, chunkOffsets, ...placed, ...runs, ...composition, syncBits });
  return Object.assign(columns, {
    id: head.id,
    handler: fourcc(bytes, hd.at + 4),
    timescale: media.timescale,
    edit,
    side: readSideTables(bytes, view, stbl, groupBoxes, count),
    width: head.width,
    height: head.height,
    language: media.language,
    descriptionIndex: placed.descriptionIndex,
    boxes: {
      tkhd: copy(bytes, tkhd),
      mdhd: copy(bytes, mdhd),
      hdlr: copy(bytes, hdlr),
      mediaHeader: copy(bytes, mediaHeader),
      dinf: dinf === undefined ? undefined : copy(bytes, dinf),
      stsd: copy(bytes, stsd),
    },
  });
}

function oneOf(map: Map<string, BoxHeader>, a: string, b: string): BoxHeader {
  const x = map.get(a);
  const y = map.get(b);
  if (x !== undefined && y !== undefined) throw new UnsupportedMp4Error(`both ${a} and ${b} in stbl`);
  const box = x ?? y;
  if (box === undefined) throw new UnsupportedMp4Error(`no ${a} or ${b} in stbl`);
  return box;
}

function checkDinf(bytes: Uint8Array, view: DataView, dinf: BoxHeader): void {
  const dref = children(bytes, dinf).one.get("dref");
  if (dref !== undefined) checkSelfContained(bytes, view, dref);
}

function readTrackHeader(view: DataView, box: BoxHeader): { id: number; width: number; height: number } {
  const f = fullBox(view, box);
  const v1 = f.version === 1;
  // v0: times 4+4, id, reserved, duration 4; v1: times 8+8, id, reserved, duration 8; then 52 bytes to width.
  const idAt = f.at + (v1 ? 16 : 8);
  const widthAt = f.at + (v1 ? 32 : 20) + 52;
  if (f.end - widthAt < 8) throw new UnsupportedMp4Error("truncated tkhd");
  const id = view.getUint32(idAt);
  if (id === 0) throw new UnsupportedMp4Error("tkhd track_ID 0");
  return { id, width: view.getUint32(widthAt) >>> 16, height: view.getUint32(widthAt + 4) >>> 16 };
}

function readMediaHeader(view: DataView, box: BoxHeader): { timescale: number; language: string } {
  const f = fullBox(view, box);
  const v1 = f.version === 1;
  const scaleAt = f.at + (v1 ? 16 : 8);
  const langAt = scaleAt + (v1 ? 12 : 8);
  if (f.end - langAt < 2) throw new UnsupportedMp4Error("truncated mdhd");
  const timescale = view.getUint32(scaleAt);
  if (timescale === 0) throw new UnsupportedMp4Error("mdhd timescale 0");
  return { timescale, language: language(view.getUint16(langAt)) };
}

/** ISO-639-2/T from the packed 3 × 5 bits; QuickTime's Macintosh codes (< 0x400) and blanks are "und". */
function language(packed: number): string {
  if (packed < 0x400 || packed === 0x7fff) return "und";
  const code = String.fromCharCode(
    ((packed >> 10) & 31) + 0x60,
    ((packed >> 5) & 31) + 0x60,
    (packed & 31) + 0x60,
  );
  return /^[a-z]{3}$/.test(code) ? code : "und";
}

// ---------------------------------------------------------------------------
// The file-facing part.
// ---------------------------------------------------------------------------

/** A cache of sample indexes (and of the reasons files were refused), with a byte budget. */
export type SampleIndexCache = LruCache<SampleIndex | Mp4FormatError>;

/** Options of {@linkcode loadSampleIndex}. */
export interface LoadSampleIndexOptions {
  /**
   * Where indexes are kept between requests: a cache from
   * {@linkcode createSampleIndexCache}, or `false` for none. By default one
   * shared by the process (64 MiB, about five 2-hour films).
   */
  cache?: SampleIndexCache | false;
  /** The file's identity in the cache; by default its name, size and strong validator. */
  key?: string;
  /** Largest moov read into memory. Default 64 MiB. */
  maxMoovSize?: number;
  /** Most samples over all tracks. Default {@linkcode MAX_SAMPLES}. */
  maxSamples?: number;
}

/**
 * A sample index cache with a byte budget (default 64 MiB), least recently
 * used evicted first.
 *
 * @example
 * ```ts
 * import { createSampleIndexCache } from "@ranged/video";
 * const cache = createSampleIndexCache({ maxBytes: 128 * 1024 * 1024 });
 * console.log(cache.maxBytes); // 134217728
 * ```
 */
export function createSampleIndexCache(options: { maxBytes?: number; maxEntries?: number } = {}): SampleIndexCache {
  return new LruCache<SampleIndex | Mp4FormatError>({ maxBytes: 64 * 1024 * 1024, ...options });
}

let sharedCache: SampleIndexCache | undefined;
const inflight = new WeakMap<SampleIndexCache, Map<string, Promise<SampleIndex | Mp4FormatError>>>();
/** Bytes a cached refusal is accounted as. */
const REFUSAL_BYTES = 256;
/** Largest ftyp kept verbatim; real ones are 20 to 40 bytes. */
const MAX_FTYP = 4096;

/**
 * The sample index of `file`: finds its `moov` with one small read per
 * top-level box, reads it, and parses it once per file version (later
 * calls, and concurrent first calls, share the result). Rejects with
 * {@linkcode Mp4FormatError} (or {@linkcode UnsupportedMp4Error}) for a file
 * it will not index; refusals are cached too, read errors are not.
 *
 * @example
 * ```ts ignore
 * import { loadSampleIndex } from "@ranged/video";
 * import { openFile } from "@ranged/video/fs";
 * const index = await loadSampleIndex(await openFile("movie.mp4"));
 * console.log(index.tracks.map((t) => t.handler)); // ["vide", "soun"]
 * ```
 */
export async function loadSampleIndex(file: FileLike, options: LoadSampleIndexOptions = {}): Promise<SampleIndex> {
  const cache = options.cache === false ? undefined : (options.cache ?? (sharedCache ??= createSampleIndexCache()));
  const key = options.key ?? cacheKey(file);
  if (cache === undefined || key === undefined) return unwrap(await attempt(file, options));
  const cached = cache.get(key);
  if (cached !== undefined) return unwrap(cached);
  let pending = inflight.get(cache);
  if (pending === undefined) inflight.set(cache, pending = new Map());
  let work = pending.get(key);
  if (work === undefined) {
    work = attempt(file, options).then((result) => {
      cache.set(key, result, result instanceof Mp4FormatError ? REFUSAL_BYTES : result.bytes);
      return result;
    }).finally(() => pending.delete(key));
    pending.set(key, work);
  }
  return unwrap(await work);
}

function unwrap(result: SampleIndex | Mp4FormatError): SampleIndex {
  if (result instanceof Mp4FormatError) throw result;
  return result;
}

/** The index, or the format error that refused it; I/O errors propagate (and so are not cached). */
async function attempt(file: FileLike, options: LoadSampleIndexOptions): Promise<SampleIndex | Mp4FormatError> {
  try {
    return await readIndex(file, options);
  } catch (err) {
    if (err instanceof Mp4FormatError) return err;
    throw err;
  }
}

async function readIndex(file: FileLike, options: LoadSampleIndexOptions): Promise<SampleIndex> {
  const boxes = await readTopLevelBoxes(file);
  let moov: BoxHeader | undefined;
  let ftyp: BoxHeader | undefined;
  for (const b of boxes) {
    const fragmented = FRAGMENTED[b.type];
    if (fragmented) throw new UnsupportedMp4Error(fragmented);
    if (b.type === "moov") {
      if (moov) throw new UnsupportedMp4Error("duplicate moov");
      moov = b;
    } else if (b.type === "ftyp") {
      if (ftyp) throw new UnsupportedMp4Error("duplicate ftyp");
      ftyp = b;
    }
  }
  if (moov === undefined) throw new UnsupportedMp4Error("no moov box");
  const maxMoov = options.maxMoovSize ?? 64 * 1024 * 1024;
  if (moov.size > maxMoov) throw new UnsupportedMp4Error(`moov of ${moov.size} bytes is over the limit`);
  const bytes = new Uint8Array(moov.size);
  if (await readFully(file, bytes, moov.start) !== moov.size) throw new UnsupportedMp4Error("moov is truncated");
  let ftypBytes: Uint8Array | undefined;
  if (ftyp !== undefined && ftyp.size <= MAX_FTYP) {
    ftypBytes = new Uint8Array(ftyp.size);
    if (await readFully(file, ftypBytes, ftyp.start) !== ftyp.size) throw new UnsupportedMp4Error("ftyp is truncated");
  }
  return parseSampleIndex(bytes, { fileSize: file.size, maxSamples: options.maxSamples, ftyp: ftypBytes });
}
