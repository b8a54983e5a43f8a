/**
 * Errors of remote sources (an HTTP origin, an object store): the object
 * changed under a response, or the origin answered something unusable.
 *
 * @module
 */

import { RangedError } from "../http/errors.ts";

/**
 * The origin answered a request for bytes with something ranged cannot use:
 * an unexpected status, a malformed Content-Range, a body shorter than it
 * announced. `retryable` tells whether asking again may help (network
 * errors, 5xx, 429, a body cut short) or not (403, a bad answer).
 *
 * @example
 * ```ts
 * import { OriginError } from "@ranged/video";
 * const err = new OriginError("origin answered 503", { status: 503, retryable: true });
 * console.log(err.status, err.retryable);
 * ```
 */
export class OriginError extends RangedError {
  /** The HTTP status the origin answered, when there was one. */
  readonly status?: number;
  /** True when the same request may succeed if sent again. */
  readonly retryable: boolean;
  /** Creates the error; `options.cause` carries the underlying error. */
  constructor(message: string, options: { status?: number; retryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.status = options.status;
    this.retryable = options.retryable ?? false;
  }
}

/**
 * The object at the origin is no longer the one the response started with:
 * its ETag, Last-Modified or size changed, or it was deleted (the origin
 * answered 412 to `If-Match`, or a different validator). Reads reject with
 * it so a body never splices bytes of two versions: the body stream errors,
 * the connection is cut, and the client asks again and gets the new version
 * whole.
 *
 * @example
 * ```ts
 * import { OriginChangedError } from "@ranged/video";
 * const err = new OriginChangedError("https://example.com/a.mp4", '"v1"', "origin answered 412");
 * console.log(err.expectedETag, err.message);
 * ```
 */
export class OriginChangedError extends OriginError {
  /** Where the object lives (a URL or a bucket key). */
  readonly location: string;
  /** The validator the response started with, if the origin gave one. */
  readonly expectedETag?: string;
  /** Creates the error for `location`; `detail` says what was seen. */
  constructor(location: string, expectedETag: string | undefined, detail: string, options: { status?: number } = {}) {
    super(`${location} changed at the origin while being read (${detail})`, { status: options.status });
    this.location = location;
    this.expectedETag = expectedETag;
  }
}
