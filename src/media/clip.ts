/**
 * Time-seek clips on the fly (`movie.mp4?start=12.5&end=30`): a derived
 * FileLike holding a small, valid MP4 of part of the source (ftyp, a new
 * moov, an mdat header, then spans of the original file), so
 * {@linkcode handleVideo} answers ranges, HEAD, multipart, preconditions and
 * If-Range on it unchanged. A clip is moov-first by construction, whatever
 * the source's layout.
 *
 * Which samples are kept is decided by {@linkcode selectClip}, the bytes by
 * {@linkcode clipLayout}; this module reads the file (through the cached
 * sample index) and caches layouts.
 *
 * @module
 */

import { derivedFile, derivedInfo } from "../http/derived.ts";
import type { FileLike } from "../http/file_like.ts";
import { Mp4FormatError } from "./boxes.ts";
import { cacheKey } from "./cache_key.ts";
import { type ClipLayout, clipLayout } from "./clip_layout.ts";
import { type ClipMode, selectClip } from "./clip_select.ts";
import { LruCache } from "./lru.ts";
import { loadSampleIndex, type SampleIndexCache } from "./sample_index.ts";

/**
 * Version of the clip layout, part of every clip's ETag: bump it whenever
 * the same source and times would give different bytes.
 */
export const CLIP_VERSION = 2;

const TRANSFORM = "clip";

/** Options of {@linkcode clip}. */
export interface ClipOptions {
  /** Start, in seconds (kept to milliseconds, extra decimals cut). */
  start: number;
  /** End, in seconds; omitted, or not after `start`, means "to the end". */
  end?: number;
  /** `keyframe` (default): start on the keyframe at or before `start`. `exact`: hide the pre-roll. */
  mode?: ClipMode;
  /** Sample index cache (default: the shared one), or `false`. */
  cache?: SampleIndexCache | false;
  /** Layout cache (default: a shared 32 MiB one), or `false`. */
  layoutCache?: ClipLayoutCache | false;
  /** The file's identity in the caches; by default its name, size and strong validator. */
  key?: string;
}

/** What {@linkcode clipInfo} tells about a clip. */
export interface ClipInfo {
  /** Where the clip really begins on the source's timeline, in seconds: send it as `X-Content-Start`. */
  readonly contentStart: number;
  /** The requested start, in milliseconds. */
  readonly start: number;
  /** The requested end, in milliseconds, if any. */
  readonly end?: number;
  /** How the clip starts. */
  readonly mode: ClipMode;
}

/** A cache of clip layouts with a byte budget. */
export type ClipLayoutCache = LruCache<{ layout: ClipLayout; contentStart: number }>;

let sharedLayouts: ClipLayoutCache | undefined;

/**
 * A cache of clip layouts (default budget 32 MiB), least recently used first out.
 *
 * @example
 * ```ts
 * import { createClipLayoutCache } from "@ranged/video";
 * console.log(createClipLayoutCache({ maxBytes: 1 << 20 }).maxBytes); // 1048576
 * ```
 */
export function createClipLayoutCache(options: { maxBytes?: number; maxEntries?: number } = {}): ClipLayoutCache {
  return new LruCache({ maxBytes: 32 * 1024 * 1024, ...options });
}

/**
 * The clip `[start, end)` of `file`, as a derived FileLike with an exact
 * size, a strong ETag derived from the source's plus the normalized times,
 * the mode and {@linkcode CLIP_VERSION}, and the source's Last-Modified.
 * Resolves to `file` itself when it is not an MP4 the sample index accepts
 * (fragmented, hostile, malformed: see docs/CLIP.md). Rejects with
 * {@linkcode ClipRangeError} for a start at or past the duration.
 *
 * The sample index is parsed once per file version and the layout once per
 * (file version, times, mode); closing the clip closes `file`.
 *
 * @example
 * ```ts ignore
 * import { clip, clipInfo, handleVideo } from "@ranged/video";
 * import { openFile } from "@ranged/video/fs";
 * Deno.serve(async (req) => {
 *   const file = await clip(await openFile("./movie.mp4"), { start: 12.5, end: 30 });
 *   const start = clipInfo(file)?.contentStart;
 *   return handleVideo(req, file, { headers: start === undefined ? {} : { "x-content-start": start.toFixed(3) } });
 * });
 * ```
 */
export async function clip(file: FileLike, options: ClipOptions): Promise<FileLike> {
  const start = toMs(options.start) ?? 0;
  const endMs = toMs(options.end);
  const end = endMs !== undefined && endMs > start ? endMs : undefined;
  const mode: ClipMode = options.mode === "exact" ? "exact" : "keyframe";
  const key = options.key ?? cacheKey(file);
  const layouts = options.layoutCache === false
    ? undefined
    : (options.layoutCache ?? (sharedLayouts ??= createClipLayoutCache()));
  const layoutKey = key === undefined ? undefined : `${key}\0${start}\0${end ?? ""}\0${mode}`;
  let entry = layoutKey === undefined ? undefined : layouts?.get(layoutKey);
  if (entry === undefined) {
    let index;
    try {
      index = await loadSampleIndex(file, { cache: options.cache, key });
    } catch (err) {
      // Not an MP4 we may cut: serve it whole, as nginx gives up to the original file.
      if (err instanceof Mp4FormatError) return file;
      throw err;
    }
    if (index.fileSize !== file.size) return file;
    let cut;
    try {
      cut = selectClip(index, { start, end }, mode);
    } catch (err) {
      if (err instanceof Mp4FormatError) return file;
      throw err;
    }
    entry = { layout: clipLayout(index, cut), contentStart: cut.contentStart };
    if (layoutKey !== undefined) layouts?.set(layoutKey, entry, entry.layout.bytes);
  }
  const info: ClipInfo = { contentStart: entry.contentStart, start, end, mode };
  return derivedFile(file, entry.layout.pieces, {
    transform: TRANSFORM,
    version: `${CLIP_VERSION}.${start}-${end ?? ""}.${mode}`,
    info,
  });
}

/**
 * What a clip made by {@linkcode clip} is (where it really starts, the
 * requested times), or `undefined` for any other FileLike (including a
 * source `clip` handed back unchanged).
 *
 * @example
 * ```ts ignore
 * const info = clipInfo(await clip(file, { start: 10 }));
 * if (info) headers.set("x-content-start", info.contentStart.toFixed(3));
 * ```
 */
export function clipInfo(file: FileLike): ClipInfo | undefined {
  return derivedInfo(file, TRANSFORM)?.info as ClipInfo | undefined;
}

/** Seconds to whole milliseconds, extra decimals cut; undefined for anything not a finite non-negative number. */
function toMs(seconds: number | undefined): number | undefined {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return undefined;
  // 1.001 * 1000 is 1000.9999999999999 in binary floating point: nudge before cutting.
  return Math.floor(seconds * 1000 + 1e-6);
}
