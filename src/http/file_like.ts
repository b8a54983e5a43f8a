/**
 * The one interface ranged reads files through, and the runtime-neutral
 * sources: {@linkcode fromBytes} and {@linkcode fromBlob}.
 *
 * @module
 */

/**
 * Anything with a size and positional reads: a file on disk, a Blob, bytes in
 * memory, an object in a bucket, or a file derived from pieces of another.
 *
 * {@linkcode handleVideo} takes ownership: it calls `close()` exactly once,
 * when the body has been sent, when the client went away, or at once when
 * the response has no body (HEAD, 304, 412, 416, 405).
 *
 * @example A FileLike over a string
 * ```ts
 * import type { FileLike } from "@ranged/video";
 * const bytes = new TextEncoder().encode("hello");
 * const file: FileLike = {
 *   size: bytes.length,
 *   name: "hello.txt",
 *   read(into, position) {
 *     const part = bytes.subarray(position, position + into.length);
 *     into.set(part);
 *     return Promise.resolve(part.length);
 *   },
 * };
 * ```
 */
export interface FileLike {
  /** Size in bytes, a non-negative safe integer. */
  readonly size: number;
  /** File name, used for Content-Type and Content-Disposition. */
  readonly name?: string;
  /** Media type the storage already knows (a Blob's type, an object's Content-Type). */
  readonly type?: string;
  /** Last modification time in ms since the epoch: gives Last-Modified and the default ETag. */
  readonly lastModified?: number;
  /**
   * A validator the storage already has, as a full entity-tag including the
   * quotes (`"abc"`, or `W/"abc"` for a weak one). Takes precedence over the
   * ETag ranged would derive from size and modification time.
   */
  readonly etag?: string;
  /**
   * Reads up to `into.length` bytes starting at `position` into `into`, and
   * resolves to the count read; 0 means the end of the file.
   */
  read(into: Uint8Array, position: number): Promise<number>;
  /**
   * Optional: the same positional read, done now. A writer uses it for a
   * body of one span of at most 64 KiB (`SYNC_READ_MAX`) (the probes
   * Safari sends first, the first bytes of every seek) and answers with the
   * bytes in hand: on Bun that answered a 2-byte probe 1.9x faster than a
   * sendfile of the same bytes, and on Node it saves a thread-pool read.
   * Like `read`, it may return fewer bytes than asked (the writer asks again
   * for the rest). Return 0 or throw when the read cannot be done now (the
   * file shrank, an I/O error): the writer then takes its other paths,
   * which cut the connection on a short file. Only offer it where a
   * small read is cheap and local (a regular file, memory), never over a
   * network.
   */
  readSync?(into: Uint8Array, position: number): number;
  /**
   * Optional native fast path: the whole file as a Blob the runtime can send
   * without copying through JavaScript (Bun sends a `Bun.file` slice with
   * sendfile). When it returns a Blob, the handler answers with
   * `blob().slice(...)` instead of reading chunks, and keeps an exact
   * Content-Length on every runtime. Returning `undefined` (say, because the
   * file changed since it was opened, which a runtime's sendfile would not
   * notice) makes the handler read chunks instead.
   */
  blob?(): Blob | undefined;
  /**
   * Optional native fast path: a stream of the bytes `start..end`
   * (inclusive) that the runtime pumps itself, such as Deno's
   * resource-backed `FsFile.readable`, which allocates nothing per chunk in
   * JavaScript. Return `undefined` for spans it cannot serve natively; the
   * handler then reads chunks with `read`. A returned stream takes the file
   * over: it releases it when it ends, errors or is cancelled, and the
   * handler does not call `close()`.
   */
  stream?(start: number, end: number): ReadableStream<Uint8Array> | undefined;
  /** Releases the file. Called exactly once by the handler. */
  close?(): void | Promise<void>;
}

/** Metadata for {@linkcode fromBytes} and {@linkcode fromBlob}. */
export interface FileMeta {
  /** File name, used for Content-Type and Content-Disposition. */
  name?: string;
  /** Media type; otherwise derived from the name. */
  type?: string;
  /** Last modification time in ms since the epoch. */
  lastModified?: number;
  /** A full entity-tag (with quotes) to use instead of a derived one. */
  etag?: string;
}

/**
 * A FileLike over bytes in memory. Without `meta.etag` or
 * `meta.lastModified`, a strong ETag is derived from the content itself
 * (computed once, on first use), so conditional requests and If-Range work.
 *
 * @example
 * ```ts
 * import { fromBytes, handleVideo } from "@ranged/video";
 * const file = fromBytes(new TextEncoder().encode("WEBVTT\n"), { name: "subs.vtt" });
 * const res = handleVideo(new Request("http://localhost/subs.vtt"), file);
 * console.log(res.status, res.headers.get("content-type"));
 * ```
 */
export function fromBytes(bytes: Uint8Array, meta: FileMeta = {}): FileLike {
  let etag = meta.etag;
  let blob: Blob | undefined;
  return {
    size: bytes.length,
    name: meta.name,
    type: meta.type,
    lastModified: meta.lastModified,
    get etag() {
      if (etag === undefined && meta.lastModified === undefined) {
        etag = `"${contentHash(bytes)}-${bytes.length.toString(16)}"`;
      }
      return etag;
    },
    read(into, position) {
      const part = bytes.subarray(position, position + into.length);
      into.set(part);
      return Promise.resolve(part.length);
    },
    blob() {
      // Copied once per FileLike, and only when a body is actually sent.
      blob ??= new Blob([bytes as Uint8Array<ArrayBuffer>], { type: meta.type });
      return blob;
    },
  };
}

/**
 * A FileLike over a Blob or File (a `File` gives its name and
 * lastModified). The Blob itself is the body, so runtimes that stream Blobs
 * natively do so.
 *
 * @example
 * ```ts
 * import { fromBlob, handleVideo } from "@ranged/video";
 * const file = fromBlob(new File(["0123456789"], "digits.txt", { lastModified: 0 }));
 * const res = handleVideo(
 *   new Request("http://localhost/", { headers: { range: "bytes=2-4" } }),
 *   file,
 * );
 * console.log(res.status, await res.text()); // 206 "234"
 * ```
 */
export function fromBlob(blob: Blob, meta: FileMeta = {}): FileLike {
  const asFile = blob as Partial<File>;
  return {
    size: blob.size,
    name: meta.name ?? asFile.name,
    type: meta.type ?? (blob.type || undefined),
    lastModified: meta.lastModified ?? asFile.lastModified,
    etag: meta.etag,
    async read(into, position) {
      const end = Math.min(position + into.length, blob.size);
      if (position >= end) return 0;
      const part = new Uint8Array(await blob.slice(position, end).arrayBuffer());
      into.set(part);
      return part.length;
    },
    blob: () => blob,
  };
}

/** 64-bit FNV-1a as two 32-bit lanes: fast, synchronous, stable across runtimes. */
function contentHash(bytes: Uint8Array): string {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < bytes.length; i++) {
    a = Math.imul(a ^ bytes[i], 0x01000193);
    b = Math.imul(b ^ bytes[i] ^ (a >>> 24), 0x01000193);
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}
