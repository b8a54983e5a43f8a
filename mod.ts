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

export { handleVideo, type HandleVideoOptions } from "./src/handler.ts";
export { type FileLike, type FileMeta, fromBlob, fromBytes } from "./src/file_like.ts";
export { bodyStream, type BodyStreamOptions } from "./src/body.ts";
export { type ByteRange, coalesceRanges, parseRange, type RangeResult, rangesLength } from "./src/range.ts";
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
} from "./src/conditional.ts";
export { formatHttpDate, parseHttpDate } from "./src/http_date.ts";
export { type BodySegment, type MultipartLayout, multipartLayout, randomBoundary } from "./src/multipart.ts";
export { contentTypeFor, MEDIA_TYPES } from "./src/media_types.ts";
export { contentDisposition } from "./src/disposition.ts";
export { FIRST_CHUNK, MAX_CHUNK, MIN_CHUNK, nextChunkSize, TARGET_MS } from "./src/chunk_size.ts";
export { FileNotFoundError, FileTruncatedError, InvalidFileError, RangedError } from "./src/errors.ts";
