/**
 * Typed errors raised by ranged. Every error the library creates is a
 * {@linkcode RangedError}, so callers can tell them apart from their own.
 *
 * @module
 */

/**
 * Base class of every error ranged creates.
 *
 * @example Tell ranged's errors apart
 * ```ts
 * import { RangedError } from "@ranged/video";
 * try {
 *   throw new RangedError("demo");
 * } catch (err) {
 *   if (err instanceof RangedError) console.log(err.name);
 * }
 * ```
 */
export class RangedError extends Error {
  /** Creates the error; `options.cause` carries the underlying error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The file ended before the size it announced: it was truncated while a
 * response was streaming. The body stream errors with this instead of
 * padding or hanging, so the connection is cut and the client can retry.
 *
 * @example
 * ```ts
 * import { FileTruncatedError } from "@ranged/video";
 * const err = new FileTruncatedError(100, 40);
 * console.log(err.message);
 * ```
 */
export class FileTruncatedError extends RangedError {
  /** The byte position where more data was expected. */
  readonly position: number;
  /** The size the file announced. */
  readonly expectedSize: number;
  /** Creates the error for a read at `position` that found no data. */
  constructor(expectedSize: number, position: number) {
    super(
      `file ended at byte ${position} but announced ${expectedSize} bytes (truncated while streaming?)`,
    );
    this.expectedSize = expectedSize;
    this.position = position;
  }
}

/**
 * No regular file exists at the path an adapter was asked to open (missing,
 * a directory, a device, or not permitted). Servers map it to 404.
 *
 * @example
 * ```ts
 * import { FileNotFoundError } from "@ranged/video";
 * const err = new FileNotFoundError("/videos/missing.mp4");
 * console.log(err.path);
 * ```
 */
export class FileNotFoundError extends RangedError {
  /** The path that was asked for. */
  readonly path: string;
  /** Creates the error for `path`; `cause` is the runtime's own error. */
  constructor(path: string, options?: { cause?: unknown }) {
    super(`no regular file at ${path}`, options);
    this.path = path;
  }
}

/**
 * A {@linkcode FileLike} broke its contract, for example a negative or
 * fractional `size`. This is a programming error, so it is thrown rather
 * than turned into an HTTP status.
 *
 * @example
 * ```ts
 * import { InvalidFileError } from "@ranged/video";
 * console.log(new InvalidFileError("size must be a safe integer").message);
 * ```
 */
export class InvalidFileError extends RangedError {}

/**
 * A request that cannot be taken at its word: a malformed request target
 * or Host header. Servers answer it with 400, never 500.
 *
 * @example
 * ```ts
 * import { BadRequestError } from "@ranged/video";
 * const err = new BadRequestError("malformed Host: ../x");
 * console.log(err.name, err.message);
 * ```
 */
export class BadRequestError extends RangedError {}
