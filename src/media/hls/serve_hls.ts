/**
 * The HLS resource function: one or several MP4 files and a sub-path in,
 * the answer out (master or media playlist, init segment or media segment),
 * through {@linkcode handleVideo}, so ranges, HEAD, 304 and ETags work as for
 * any file. Nothing is written anywhere: playlists and `moof`s are generated
 * from the cached sample index, and segment payloads are read from the
 * source when a client asks for them.
 *
 * @module
 */

import { defaultETag } from "../../http/conditional.ts";
import { derivedETag, derivedFile, type Piece } from "../../http/derived.ts";
import type { FileLike } from "../../http/file_like.ts";
import { handleVideo, type HandleVideoOptions } from "../../http/handler.ts";
import { textResponse } from "../../http/text_response.ts";
import { Mp4FormatError } from "../boxes.ts";
import { cacheKey } from "../cache_key.ts";
import { LruCache } from "../lru.ts";
import { loadSampleIndex, type SampleIndexCache } from "../sample_index.ts";
import { type HlsResource, hlsUris, parseHlsPath, querySuffix, subtitlesUri } from "./hls_path.ts";
import { dashManifest } from "./dash_manifest.ts";
import { initSegment } from "./init_segment.ts";
import { mediaSegment, type SegmentLayout } from "./media_segment.ts";
import { buildPackage, type HlsPackage, runsOf } from "./package.ts";
import { segmentStartProblem } from "./check_random_access.ts";
import { HlsUnsupportedError } from "./errors.ts";
import type { HlsTrack } from "./track.ts";
import { masterPlaylist, mediaPlaylist, subtitlePlaylist } from "./playlists.ts";
import { DEFAULT_SEGMENT_SECONDS } from "./segments.ts";

/**
 * Version of the HLS output (playlists, init and segment layout). It is in
 * every ETag: bump it whenever the same source would give different bytes.
 */
export const HLS_FORMAT_VERSION = 2;

const PLAYLIST_TYPE = "application/vnd.apple.mpegurl";
const MPD_TYPE = "application/dash+xml";
/**
 * Segments whose first video sample is read when the package is built; the
 * others are read when asked for (`check_random_access.ts` says why not all).
 */
const BUILD_CHECKED_SEGMENTS = 2;
/** RFC 9110 §15.5.21: the request is understood, but this content cannot be packaged. */
const REFUSED_STATUS = 422;

/** A cache of HLS packages (and of refusals), with a byte budget. */
export type HlsCache = LruCache<HlsPackage | Mp4FormatError>;

/**
 * An HLS package cache (default 32 MiB). The packages hold the sample
 * indexes they were built from, so budget for those too.
 *
 * @example
 * ```ts
 * import { createHlsCache } from "@ranged/video";
 * const cache = createHlsCache({ maxBytes: 128 * 1024 * 1024 });
 * console.log(cache.maxBytes); // 134217728
 * ```
 */
export function createHlsCache(options: { maxBytes?: number; maxEntries?: number } = {}): HlsCache {
  return new LruCache<HlsPackage | Mp4FormatError>({ maxBytes: 32 * 1024 * 1024, ...options });
}

/** A sidecar subtitle file offered with the video. */
export interface SubtitleTrack {
  /** URI of the WebVTT file relative to the mount point, percent-encoded. */
  readonly uri: string;
  /** Name players show. */
  readonly name: string;
  /** BCP 47 language tag, when known. */
  readonly language?: string;
  /**
   * The query appended to `uri` instead of `childQuery`: a sidecar outside
   * the mount point needs a signed-URL token of its own (`exp=…&sig=…`).
   */
  readonly query?: string;
}

/** GROUP-ID of the subtitle renditions. */
const SUBTITLE_GROUP = "subs";

/** Options of {@linkcode serveHls}. */
export interface ServeHlsOptions {
  /** Target segment duration in seconds; segments start on the keyframe closest to it. Default 6. */
  segmentDuration?: number;
  /**
   * A query appended to every URI a playlist names (`token=abc` or
   * `?token=abc`): how signed-URL tokens follow a player from the master
   * down to every segment.
   */
  childQuery?: string;
  /**
   * Names of the renditions in URIs, one per source (a folder's file
   * names). Default: each source's `name`. Ignored for a single source,
   * whose resources sit directly under the mount point.
   */
  names?: readonly string[];
  /**
   * Sidecar WebVTT files to offer as `#EXT-X-MEDIA:TYPE=SUBTITLES` renditions:
   * `uri` relative to the mount point (e.g. `../movie.en.vtt`), already percent-encoded.
   */
  subtitles?: readonly SubtitleTrack[];
  /** Where packages are kept: a cache from {@linkcode createHlsCache}, or `false`. Default one shared cache. */
  cache?: HlsCache | false;
  /** Where sample indexes are kept (see `loadSampleIndex`). */
  indexCache?: SampleIndexCache | false;
  /** Options for the responses (Cache-Control, CORS headers, ...). */
  response?: Omit<HandleVideoOptions, "contentType">;
}

let sharedCache: HlsCache | undefined;
const inflight = new WeakMap<HlsCache, Map<string, Promise<HlsPackage | Mp4FormatError>>>();

/**
 * Answers a request for the HLS resource `subPath` of `sources`: one MP4, or
 * several renditions of the same content (same duration, keyframes aligned).
 *
 * For one file mounted at `/movie.mp4/`: `master.m3u8`, `media.m3u8`,
 * `init.mp4` and `seg-N.m4s`. For renditions mounted at `/movie/`:
 * `master.m3u8` and `NAME/media.m3u8`, `NAME/init.mp4`, `NAME/seg-N.m4s`.
 * Anything else is 404; a file that cannot be packaged (or renditions that
 * do not align) is 422 with the reason as text. Takes ownership of the
 * sources: every one is closed, whatever the outcome.
 *
 * @example
 * ```ts ignore
 * import { serveHls } from "@ranged/video";
 * import { openFile } from "@ranged/video/fs";
 * Deno.serve(async (req) => {
 *   const path = new URL(req.url).pathname; // e.g. /movie.mp4/master.m3u8
 *   const sub = path.slice("/movie.mp4/".length);
 *   return serveHls(req, await openFile("./movie.mp4"), sub);
 * });
 * ```
 */
export async function serveHls(
  req: Request,
  sources: FileLike | readonly FileLike[],
  subPath: string,
  options: ServeHlsOptions = {},
): Promise<Response> {
  const files = Array.isArray(sources) ? [...sources] as FileLike[] : [sources as FileLike];
  const close = closeAll;
  try {
    const names = files.length === 1 ? [""] : files.map((f, i) => options.names?.[i] ?? f.name ?? `${i}`);
    const resource = parseHlsPath(subPath, names);
    if (resource === undefined || files.length === 0) {
      await close(files);
      return text(404, "not found\n", options);
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      await close(files);
      return new Response(null, { status: 405, headers: { allow: "GET, HEAD" } });
    }
    const target = options.segmentDuration ?? DEFAULT_SEGMENT_SECONDS;
    // A cached package is used at once: a playlist from cache costs about what a small file does.
    const loaded = loadPackage(files, names, target, options);
    const pkg = loaded instanceof Promise ? await loaded : loaded;
    if (pkg instanceof Mp4FormatError) {
      await close(files);
      return text(REFUSED_STATUS, `cannot package as HLS: ${pkg.message}\n`, options);
    }
    const answer = answerFor(resource, {
      pkg,
      names,
      query: querySuffix(options.childQuery),
      version: `${HLS_FORMAT_VERSION}.t${target}`,
      subtitles: options.subtitles ?? [],
    });
    if (answer === undefined) {
      await close(files);
      return text(404, "not found\n", options);
    }
    // One source, or an answer over all of them (a master): nothing to close early.
    const used = answer.sources.length === files.length ? files : answer.sources.map((i) => files[i]);
    if (used !== files) await close(files.filter((f) => !used.includes(f)));
    const problem = answer.check === undefined ? undefined : await answer.check(used);
    if (problem !== undefined) {
      await close(used);
      return text(REFUSED_STATUS, `cannot package as HLS: ${problem}\n`, options);
    }
    return handleVideo(req, answer.file(used), { ...options.response, contentType: answer.type });
  } catch (err) {
    await close(files)?.catch(() => {});
    throw err;
  }
}

/** What one request is answered with: which sources it reads, its type, and the file over them. */
interface Answer {
  /** Indexes of the sources the file stands for; the others are closed at once. */
  readonly sources: readonly number[];
  readonly type: string;
  readonly file: (sources: readonly FileLike[]) => FileLike;
  /** For a media segment: why it cannot be sent (its video does not start on a keyframe), read from its sources. */
  readonly check?: (sources: readonly FileLike[]) => Promise<string | undefined>;
}

/** Everything the answers are computed from, none of it I/O. */
interface AnswerContext {
  readonly pkg: HlsPackage;
  readonly names: readonly string[];
  readonly query: string;
  readonly version: string;
  readonly subtitles: readonly SubtitleTrack[];
}

/** The answer for `resource`, or `undefined` when it names nothing in this package (404). */
function answerFor(resource: HlsResource, c: AnswerContext): Answer | undefined {
  const { pkg, names, query, version } = c;
  // Each subtitle carries its own token (a signed page): part of what keys the kept playlist.
  const subtitles = c.subtitles.length === 0
    ? ""
    : c.subtitles.map((t) => `${t.uri} ${t.name} ${t.language} ${t.query}`).join("\n");
  switch (resource.kind) {
    case "manifest": {
      const body = () =>
        dashManifest(pkg, {
          init: (r, id) => hlsUris(names[r], query).trackInit(id),
          media: (r, id) => hlsUris(names[r], query).trackMedia(id),
        });
      return playlistAnswer(c, subtitles, allOf(pkg), MPD_TYPE, body, `dash-mpd.${version}.${hash(query)}`);
    }
    case "master": {
      const tag = hash(query + subtitles);
      return playlistAnswer(c, subtitles, allOf(pkg), PLAYLIST_TYPE, () => master(c), `hls-master.${version}.${tag}`);
    }
    case "subtitles": {
      const track = c.subtitles[resource.track];
      if (track === undefined) return undefined;
      const uri = track.uri + (track.query === undefined ? query : querySuffix(track.query));
      const body = () => subtitlePlaylist(pkg.times[pkg.times.length - 1] - pkg.times[0], uri);
      return playlistAnswer(c, subtitles, [0], PLAYLIST_TYPE, body, `hls-subs.${version}.${hash(uri)}`);
    }
    case "media": {
      const body = () => {
        const uris = hlsUris(names[resource.rendition], query);
        return mediaPlaylist(pkg.durations, { map: uris.init, segment: uris.segment });
      };
      return playlistAnswer(
        c,
        subtitles,
        [resource.rendition],
        PLAYLIST_TYPE,
        body,
        `hls-media.${version}.${hash(query)}`,
      );
    }
    case "init": {
      const rendition = pkg.renditions[resource.rendition];
      return {
        sources: [resource.rendition],
        type: rendition.contentType,
        file: (files) =>
          new GeneratedFile(
            files,
            memoized(pkg, "init", `${resource.rendition}`, () => new KeptBytes(rendition.init)),
            `hls-init.${version}`,
          ),
      };
    }
    case "segment": {
      const n = resource.segment;
      const rendition = pkg.renditions[resource.rendition];
      if (n >= pkg.durations.length) return undefined;
      const layout = memoized(
        pkg,
        "segment",
        `${resource.rendition}\0${n}`,
        () => mediaSegment(runsOf(rendition.tracks, rendition.starts, n), n + 1, rendition.movieTimescale),
      );
      const answer = segmentAnswer(resource.rendition, rendition.contentType, layout, `hls-seg-${n}`, version);
      if (n < BUILD_CHECKED_SEGMENTS) return answer;
      const check = ([file]: readonly FileLike[]) => firstProblem(file, rendition.tracks, rendition.starts, n);
      return { ...answer, check: onceVerified(pkg, `${resource.rendition}\0${n}`, check) };
    }
    case "trackInit":
    case "trackSegment":
      return trackAnswer(resource, c);
  }
}

/**
 * A playlist: a pure function of the package, the resource and the suffix (which hashes the query and the
 * subtitles), made once, then served from memory like any small file.
 */
function playlistAnswer(
  c: AnswerContext,
  subtitles: string,
  sources: readonly number[],
  type: string,
  body: () => string,
  suffix: string,
): Answer {
  // Keyed by the query itself, not its hash: a collision must never hand one viewer's token to another.
  const key = `${sources.join(",")}\0${suffix}\0${c.query}\0${subtitles}`;
  const kept = memoized(c.pkg, "playlist", key, keptText, body);
  return { sources, type, file: (files) => new GeneratedFile(files, kept, suffix) };
}

function keptText(body: () => string): KeptBytes {
  return new KeptBytes(encoder.encode(body()));
}

/** Every rendition of `pkg`, by index. */
function allOf(pkg: HlsPackage): number[] {
  return pkg.renditions.map((_, i) => i);
}

/** A DASH per-track resource: the init or a segment of one track alone. */
function trackAnswer(
  resource: Extract<HlsResource, { kind: "trackInit" | "trackSegment" }>,
  { pkg, version }: AnswerContext,
): Answer | undefined {
  const rendition = pkg.renditions[resource.rendition];
  const k = rendition.tracks.findIndex((t) => t.id === resource.track);
  const n = resource.kind === "trackSegment" ? resource.segment : 0;
  if (k < 0 || n >= pkg.durations.length) return undefined;
  const track = rendition.tracks[k];
  const type = track.handler === "vide" ? "video/mp4" : "audio/mp4";
  if (resource.kind === "trackInit") {
    const key = `${resource.rendition}\0${track.id}`;
    const init = memoized(pkg, "init", key, () => new KeptBytes(initSegment(rendition.mvhd, [track])));
    return {
      sources: [resource.rendition],
      type,
      file: (files) => new GeneratedFile(files, init, `dash-init-${track.id}.${version}`),
    };
  }
  const run = [{ track, from: rendition.starts[k][n], to: rendition.starts[k][n + 1] }];
  const layout = memoized(
    pkg,
    "segment",
    `${resource.rendition}\0${n}\0${track.id}`,
    () => mediaSegment(run, n + 1, rendition.movieTimescale),
  );
  const answer = segmentAnswer(resource.rendition, type, layout, `dash-seg-${track.id}-${n}`, version);
  if (n < BUILD_CHECKED_SEGMENTS) return answer;
  const check = ([file]: readonly FileLike[]) => segmentStartProblem(file, track, rendition.starts[k][n]);
  return { ...answer, check: onceVerified(pkg, `${resource.rendition}\0${n}\0${track.id}`, check) };
}

/** Segments of a package whose first pictures were read and found to be keyframes. */
const verified = new WeakMap<HlsPackage, Set<string>>();

/**
 * `check`, read from the file only until it passes once: a package is one version of its files, so a
 * segment found to start on a keyframe stays so, and later requests for it cost no extra read.
 * (At most one key per segment and track: a few thousand short strings for a long film.)
 */
function onceVerified(
  pkg: HlsPackage,
  key: string,
  check: (sources: readonly FileLike[]) => Promise<string | undefined>,
): (sources: readonly FileLike[]) => Promise<string | undefined> {
  return async (sources) => {
    let seen = verified.get(pkg);
    if (seen?.has(key)) return undefined;
    const problem = await check(sources);
    if (problem === undefined) {
      if (seen === undefined) verified.set(pkg, seen = new Set());
      seen.add(key);
    }
    return problem;
  };
}

/** The first reason any track's samples in segment `n` do not start on a keyframe. */
async function firstProblem(
  file: FileLike,
  tracks: readonly HlsTrack[],
  starts: readonly (readonly number[])[],
  n: number,
): Promise<string | undefined> {
  for (const [k, track] of tracks.entries()) {
    if (starts[k][n] === starts[k][n + 1]) continue; // no samples of this track in the segment
    const problem = await segmentStartProblem(file, track, starts[k][n]);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** A media segment: its moof and mdat header, then spans of the one source it comes from. */
function segmentAnswer(
  source: number,
  type: string,
  layout: SegmentLayout,
  transform: string,
  version: string,
): Answer {
  const pieces: Piece[] = [{ bytes: layout.head }, ...layout.spans];
  return { sources: [source], type, file: ([file]) => derivedFile(file, pieces, { transform, version }) };
}

/** The master playlist: a variant per rendition, subtitle renditions when there are sidecars. */
function master({ pkg, names, query, subtitles }: AnswerContext): string {
  const media = subtitles.map((t, i) => ({
    type: "SUBTITLES" as const,
    groupId: SUBTITLE_GROUP,
    name: t.name,
    language: t.language,
    uri: subtitlesUri(i, query),
    default: i === 0,
  }));
  const variants = pkg.renditions.map((r, i) => ({
    uri: hlsUris(names[i], query).media,
    bandwidth: r.bandwidth,
    averageBandwidth: r.averageBandwidth,
    codecs: r.codecs,
    resolution: r.resolution,
    frameRate: r.frameRate,
    subtitles: media.length > 0 ? SUBTITLE_GROUP : undefined,
  }));
  return masterPlaylist(variants, media);
}

function loadPackage(
  files: readonly FileLike[],
  names: readonly string[],
  target: number,
  options: ServeHlsOptions,
): HlsPackage | Mp4FormatError | Promise<HlsPackage | Mp4FormatError> {
  const cache = options.cache === false ? undefined : (options.cache ?? (sharedCache ??= createHlsCache()));
  const keys = files.map(cacheKey);
  if (cache === undefined || keys.includes(undefined)) return build(files, names, target, options);
  const key = `${target}\0${names.join("\0")}\0${keys.join("\0")}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  let pending = inflight.get(cache);
  if (pending === undefined) inflight.set(cache, pending = new Map());
  let work = pending.get(key);
  if (work === undefined) {
    work = build(files, names, target, options).then((result) => {
      cache.set(key, result, result instanceof Mp4FormatError ? 256 : result.bytes);
      return result;
    }).finally(() => pending.delete(key));
    pending.set(key, work);
  }
  return work;
}

/** The package of `files`, or why they cannot be packaged (a read error is thrown: it says nothing lasting). */
async function build(
  files: readonly FileLike[],
  names: readonly string[],
  target: number,
  options: ServeHlsOptions,
): Promise<HlsPackage | Mp4FormatError> {
  try {
    const indexes = await Promise.all(files.map((f) => loadSampleIndex(f, { cache: options.indexCache })));
    const named = indexes.map((index, i) => ({ name: names[i] || files[i].name || "", index }));
    const pkg = buildPackage(named, target);
    // The first two segments are checked here: an open-GOP file (a non-IDR I-frame marked sync at
    // every cut) is refused at its master, not after its first segment has played.
    for (const [r, rendition] of pkg.renditions.entries()) {
      for (let n = 0; n < Math.min(BUILD_CHECKED_SEGMENTS, pkg.durations.length); n++) {
        const problem = await firstProblem(files[r], rendition.tracks, rendition.starts, n);
        if (problem !== undefined) throw new HlsUnsupportedError(`${named[r].name}: ${problem}`.replace(/^: /, ""));
      }
    }
    return pkg;
  } catch (err) {
    if (err instanceof Mp4FormatError) return err;
    throw err; // a read error says nothing lasting about the files: not cached
  }
}

const encoder = new TextEncoder();

/**
 * What a package's answers keep between requests, a few of each, the
 * oldest made first out; not counted in the cache's budget. Playlists: 8,
 * since each distinct child query (a signed-URL token per viewer) gives
 * different bytes (8 × a 2-hour film's 32 KiB media playlist). Init
 * segments: 8 (renditions and DASH tracks; a few KiB each). Segment
 * layouts: 16 (a moof is about 16 bytes a sample, some 7 KiB for 6 s of
 * video and audio), enough for the segments viewers are on and the ranges
 * a player asks of one segment.
 */
const KEPT = { playlist: 8, init: 8, segment: 16 };
const kept = new WeakMap<HlsPackage, Map<string, unknown>>();

/**
 * `make(arg)`, or what it gave for `key` in `pkg` before; at most `KEPT[kind]` of a kind are kept. (`make`
 * and `arg` apart: a hit, a cached playlist's every request, then allocates no closure.)
 */
function memoized<T, A = undefined>(
  pkg: HlsPackage,
  kind: keyof typeof KEPT,
  key: string,
  make: (arg: A) => T,
  arg?: A,
): T {
  let map = kept.get(pkg);
  if (map === undefined) kept.set(pkg, map = new Map());
  const full = `${kind}\0${key}`;
  const found = map.get(full) as T | undefined;
  // A hit costs one lookup: the oldest made goes first, whatever its use since.
  if (found !== undefined) return found;
  const value = make(arg as A);
  const prefix = `${kind}\0`;
  let count = 0;
  for (const k of map.keys()) if (k.startsWith(prefix)) count++;
  for (const k of map.keys()) {
    if (count < KEPT[kind]) break;
    if (k.startsWith(prefix)) map.delete(k), count--;
  }
  map.set(full, value);
  return value;
}

/**
 * Generated bytes kept between requests, with the Blob a response sends them
 * as: made once, where a Blob per request cost a copy of the playlist each time.
 */
class KeptBytes {
  #blob: Blob | undefined;
  constructor(readonly bytes: Uint8Array) {}
  get blob(): Blob {
    return this.#blob ??= new Blob([this.bytes as Uint8Array<ArrayBuffer>]);
  }
}

/**
 * Kept bytes as the file a response reads, closing the sources with it. A class, not an object of closures:
 * a cached playlist makes one per request, and its methods are made once.
 */
class GeneratedFile implements FileLike {
  readonly size: number;
  readonly etag: string | undefined;
  readonly lastModified: number | undefined;
  readonly #kept: KeptBytes;
  readonly #sources: readonly FileLike[];

  constructor(sources: readonly FileLike[], kept: KeptBytes, suffix: string) {
    this.#kept = kept;
    this.#sources = sources;
    this.size = kept.bytes.length;
    const validators: string[] = [];
    let weak = false;
    let newest: number | undefined = -Infinity;
    for (const f of sources) {
      const v = validatorOf(f);
      if (v !== undefined) validators.push(v), weak ||= v.startsWith("W/");
      const m = f.lastModified;
      newest = m === undefined || newest === undefined ? undefined : Math.max(newest, m);
    }
    const base = validators.length < sources.length
      ? undefined
      : sources.length === 1
      ? validators[0]
      : `${weak ? "W/" : ""}"${hash(validators.join("\0"))}"`;
    this.etag = derivedETag(base, suffix);
    this.lastModified = newest !== undefined && Number.isFinite(newest) ? newest : undefined;
  }

  read(into: Uint8Array, position: number): Promise<number> {
    const part = this.#kept.bytes.subarray(position, position + into.length);
    into.set(part);
    return Promise.resolve(part.length);
  }

  blob(): Blob {
    return this.#kept.blob;
  }

  close(): Promise<void> | undefined {
    return closeAll(this.#sources);
  }
}

/** Closes every file; a promise only when some close is one (a cached playlist's sources may close at once). */
function closeAll(files: readonly FileLike[]): Promise<void> | undefined {
  let pending: Promise<void>[] | undefined;
  for (const f of files) {
    const closing = f.close?.();
    if (closing !== undefined) (pending ??= []).push(closing);
  }
  return pending && Promise.all(pending).then(() => {});
}

function validatorOf(file: FileLike): string | undefined {
  if (file.etag !== undefined) return file.etag;
  const m = file.lastModified;
  return m !== undefined && Number.isFinite(m) && m >= 0 ? defaultETag(file.size, m) : undefined;
}

/** FNV-1a, 32 bits, in base 36: short, stable tags for ETag suffixes (not a security measure). */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

function text(status: number, body: string, options: ServeHlsOptions): Response {
  const headers = new Headers(options.response?.headers);
  headers.delete("content-type");
  return textResponse(status, body, headers);
}
