/**
 * Small bodies read at once: a single span of at most
 * {@linkcode SYNC_READ_MAX} bytes from a FileLike that offers `readSync`
 * is answered with the bytes in hand, before any stream or native send is
 * set up. Both writers (the Fetch `Response`, the node:http writer) ask
 * here first.
 *
 * @module
 */

import type { FileLike } from "./file_like.ts";
import type { ByteRange } from "./range.ts";

/**
 * Largest body read synchronously. Measured on Bun (a 1 GiB file in the page
 * cache, 64 connections, one core): a pread answered 2 bytes at 62k req/s
 * against 33k for a sendfile of a Blob slice, 16 KiB at 44k against 32k,
 * 64 KiB at 28k against 22k; at 256 KiB sendfile won (11k against 9k).
 */
export const SYNC_READ_MAX: number = 64 * 1024;

/**
 * The bytes of `span` when `file` can read them now and the span is small;
 * `undefined` sends the writer down its other paths: no `readSync`, a span
 * over {@linkcode SYNC_READ_MAX}, or a read that returned 0 before the
 * span's end or threw (a file cut since it was opened errors there, on the
 * stream or the socket, rather than here before any header is out). Short
 * reads are continued until the span is full.
 *
 * @example
 * ```ts ignore
 * const bytes = readSmallSpan(file, { start: 0, end: 1 });
 * if (bytes) return new Response(bytes, { status: 206, headers });
 * ```
 */
export function readSmallSpan(file: FileLike, span: ByteRange): Uint8Array<ArrayBuffer> | undefined {
  const readSync = file.readSync;
  const length = span.end - span.start + 1;
  if (readSync === undefined || length > SYNC_READ_MAX) return undefined;
  const bytes = new Uint8Array(length);
  let filled = 0;
  try {
    while (filled < length) {
      const n = readSync.call(file, filled === 0 ? bytes : bytes.subarray(filled), span.start + filled);
      if (!(n > 0)) return undefined;
      filled += n;
    }
  } catch {
    return undefined;
  }
  return bytes;
}
