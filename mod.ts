/**
 * ranged: serve video and any large file over HTTP with complete byte-range
 * and conditional-request support (RFC 9110), on the Fetch API and Web
 * Streams, unchanged on Deno, Bun, Node and edge runtimes.
 *
 * @example
 * ```ts ignore
 * import { handleVideo } from "@ranged/video";
 * import { openFile } from "@ranged/video/fs";
 * Deno.serve(async (req) => handleVideo(req, await openFile("./movie.mp4")));
 * ```
 *
 * @module
 */

export { handleVideo, type HandleVideoOptions } from "./src/http/handler.ts";
export { FRAMING_HEADERS, planResponse, type RequestHead, type ResponsePlan } from "./src/http/plan.ts";
export { type FileLike, type FileMeta, fromBlob, fromBytes } from "./src/http/file_like.ts";
export { bodyStream, type BodyStreamOptions } from "./src/http/body.ts";
export { type ByteRange, coalesceRanges, parseRange, type RangeResult, rangesLength } from "./src/http/range.ts";
export {
  defaultETag,
  evaluatePreconditions,
  type HeaderLookup,
  ifRangeHolds,
  parseETagList,
  type PreconditionOutcome,
  strongMatch,
  type Validators,
  weakMatch,
} from "./src/http/conditional.ts";
export { formatHttpDate, parseHttpDate } from "./src/http/http_date.ts";
export { type BodySegment, type MultipartLayout, multipartLayout, randomBoundary } from "./src/http/multipart.ts";
export { contentTypeFor, MEDIA_TYPES } from "./src/http/media_types.ts";
export { contentDisposition } from "./src/http/disposition.ts";
export {
  BadRequestError,
  FileNotFoundError,
  FileTruncatedError,
  InvalidFileError,
  RangedError,
} from "./src/http/errors.ts";
export { isValidHost, requestUrl, targetUrl } from "./src/http/request_target.ts";
export { methodStatus, unsupportedMethod } from "./src/http/method_check.ts";
export {
  CACHE_IMMUTABLE,
  CACHE_MEDIA,
  CACHE_NO_STORE,
  CACHE_REVALIDATE,
  cacheControlFor,
  type CacheControlForOptions,
} from "./src/http/cache_control.ts";
export { OriginChangedError, OriginError } from "./src/remote/origin_errors.ts";
export {
  type BlockReader,
  blockReader,
  type BlockReaderOptions,
  DEFAULT_BLOCK_SIZE,
  type OpenSpan,
  type Span,
} from "./src/remote/block_reader.ts";
export type { RemoteSourceOptions } from "./src/remote/remote_source.ts";
export {
  type DirAnswer,
  type DirRequest,
  type DirRouter,
  type FileAnswer,
  serveDir,
  type ServeDirHandler,
  type ServeDirOptions,
} from "./src/server/serve_dir.ts";
export { type BodyTracking, fileResponse, isFileAnswer } from "./src/server/file_answer.ts";
export type { SignedUrlsOptions } from "./src/server/access_gate.ts";
export type { DirEntryInfo, DirFs, PathStat } from "./src/server/dir_fs.ts";
export {
  derivedETag,
  derivedFile,
  type DerivedFileOptions,
  type DerivedInfo,
  derivedInfo,
  type Piece,
} from "./src/http/derived.ts";
export {
  type BoxHeader,
  childBoxes,
  fourcc,
  MAX_BOX_HEADER,
  Mp4FormatError,
  parseBoxHeader,
  readBoxHeader,
  readFully,
  readTopLevelBoxes,
  type ReadTopLevelOptions,
} from "./src/media/boxes.ts";
export {
  createFaststartCache,
  faststart,
  FASTSTART_VERSION,
  type FaststartCache,
  type FaststartInfo,
  faststartInfo,
  type FaststartOptions,
  type FaststartPlan,
  isFaststart,
  type MoovIndex,
  type OffsetShift,
  parseMoov,
  planFaststart,
  rewriteMoov,
  rewriteMoovDetailed,
  type RewriteMoovOptions,
  type RewrittenMoov,
} from "./src/media/faststart.ts";
export { LruCache, type LruCacheOptions } from "./src/media/lru.ts";
export {
  createSampleIndexCache,
  loadSampleIndex,
  type LoadSampleIndexOptions,
  MAX_SAMPLES,
  parseSampleIndex,
  type ParseSampleIndexOptions,
  type SampleIndex,
  type SampleIndexCache,
  type TrackIndex,
  UnsupportedMp4Error,
} from "./src/media/sample_index.ts";
export type { NormalizedEdit } from "./src/media/sample_tables.ts";
export { type ColumnsInit, SampleColumns } from "./src/media/sample_columns.ts";
export type { SampleGroup, SideTables } from "./src/media/side_tables.ts";
export {
  clip,
  CLIP_VERSION,
  type ClipInfo,
  clipInfo,
  type ClipLayoutCache,
  type ClipOptions,
  createClipLayoutCache,
} from "./src/media/clip.ts";
export { type ClipTimes, MAX_CLIP_MS, parseClipQuery, parseClipSeconds } from "./src/media/clip_query.ts";
export { type ClipCut, type ClipMode, ClipRangeError, selectClip, type TrackCut } from "./src/media/clip_select.ts";
export { type ClipLayout, clipLayout } from "./src/media/clip_layout.ts";
export {
  createHlsCache,
  HLS_FORMAT_VERSION,
  type HlsCache,
  serveHls,
  type ServeHlsOptions,
  type SubtitleTrack,
} from "./src/media/hls/serve_hls.ts";
export { HlsUnsupportedError, RenditionAlignmentError } from "./src/media/hls/errors.ts";
export type { HlsPackage, Rendition } from "./src/media/hls/package.ts";
export type { HlsTrack } from "./src/media/hls/track.ts";
export {
  DEFAULT_CLOCK_SKEW,
  MAX_EXPIRES,
  MIN_SECRET_BYTES,
  type SignedUrlCheck,
  SignedUrlError,
  type SignedUrlFailure,
  type SignOptions,
  signUrl,
  type SignUrlOptions,
  type UrlKeyOptions,
  type UrlSecret,
  type UrlSigner,
  urlSigner,
  type VerifyOptions,
  verifySignedUrl,
  type VerifySignedUrlOptions,
} from "./src/access/signed_url.ts";
export { MAX_SIGNED_PARAMS, MAX_SIGNED_PATH } from "./src/access/canonical.ts";
export type { ViewerTrackerOptions } from "./src/server/viewer_ranges.ts";
