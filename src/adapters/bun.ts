/**
 * `openFile` over `Bun.file`: the FileLike hands its Blob to the handler,
 * and Bun sends Blob slices with sendfile, with an exact Content-Length
 * (a ReadableStream body loses it on Bun 1.4: oven-sh/bun#10507).
 *
 * sendfile hands page-cache pages to the socket by reference: a file
 * truncated in place while it is being sent can deliver zeros from its new
 * end to the next page boundary (up to 2 MiB with large folios, measured in
 * docs/HARDENING.md) before the connection is cut. Use `@ranged/video/fs`
 * (which copies) where files may shrink in place while served.
 *
 * @module
 */

import { closeSync, fstatSync, openSync as openFd, readSync, statSync } from "node:fs";
import { FileNotFoundError } from "../http/errors.ts";
import { type FileLike, fromBlob } from "../http/file_like.ts";

/** Options of {@linkcode openFile}. */
export interface OpenFileOptions {
  /** The name the FileLike reports; default: the path. */
  name?: string;
}

interface BunGlobal {
  file(path: string): Blob;
}

/**
 * Opens a regular file as a `Bun.file` Blob. Throws
 * {@linkcode FileNotFoundError} when there is no regular file at `path`.
 * Only works on Bun.
 *
 * @example
 * ```ts ignore
 * import { handleVideo } from "@ranged/video";
 * import { openFile } from "@ranged/video/bun";
 * Bun.serve({ fetch: async (req) => handleVideo(req, await openFile("./movie.mp4")) });
 * ```
 */
export function openFile(path: string, options: OpenFileOptions = {}): Promise<FileLike> {
  try {
    return Promise.resolve(openSync(path, options));
  } catch (err) {
    // Failures still arrive as a rejection, like every other adapter's.
    return Promise.reject(err);
  }
}

function openSync(path: string, options: OpenFileOptions): FileLike {
  const bun = (globalThis as { Bun?: BunGlobal }).Bun;
  if (!bun) throw new TypeError("@ranged/video/bun needs the Bun runtime; use @ranged/video/fs elsewhere");
  // A synchronous stat, as Bun.file does internally: on Bun it is a plain
  // syscall of about a microsecond, while the promise API costs a trip
  // through the thread pool on every request.
  let st;
  try {
    st = statSync(path);
  } catch (cause) {
    throw new FileNotFoundError(path, { cause });
  }
  if (!st.isFile()) throw new FileNotFoundError(path);
  const size = st.size;
  // Pinned to the size we announce, so a growing file cannot overrun Content-Length.
  const blob = bun.file(path).slice(0, size);
  return {
    // Reads (multipart bodies, format probes) are a Blob's; only blob() differs.
    ...fromBlob(blob, { name: options.name ?? path, lastModified: st.mtimeMs }),
    // Content-Type comes from ranged's table, not from Bun's guess for the path.
    type: undefined,
    size,
    readSync(into, position) {
      // A small body costs an open, an fstat and one pread, against sendfile's
      // per-response setup (1.9x the probes per second, SYNC_READ_MAX). The
      // fstat makes sure the bytes come from the file the headers describe:
      // a file replaced or changed since the stat reads 0 and the handler
      // takes the Blob path, which checks again.
      const fd = openFd(path, "r");
      try {
        const now = fstatSync(fd);
        if (now.size !== size || now.mtimeMs !== st.mtimeMs) return 0;
        return readSync(fd, into, 0, into.length, position);
      } finally {
        closeSync(fd);
      }
    },
    blob() {
      // Bun's sendfile sends what the file holds when the response goes out,
      // under headers made from the size we announced: a file truncated since
      // it was opened would go out short yet framed as complete. A cheap
      // re-stat sends such a file through `read`, whose short read cuts the
      // connection instead.
      const now = statSync(path, { throwIfNoEntry: false });
      return now && now.size === size && now.mtimeMs === st.mtimeMs ? blob : undefined;
    },
  };
}
