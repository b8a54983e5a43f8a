/**
 * `openFile` for Bun: one descriptor for reads (`pread`, and a synchronous
 * one for small bodies), and for larger single spans a `Bun.file` slice that
 * Bun sends with sendfile, with an exact Content-Length (a ReadableStream
 * body loses it on Bun 1.4: oven-sh/bun#10507).
 *
 * sendfile hands page-cache pages to the socket by reference: a file
 * truncated in place while it is being sent can deliver zeros from its new
 * end to the next page boundary (up to 2 MiB with large folios, measured in
 * docs/HARDENING.md) before the connection is cut. Use `@ranged/video/fs`
 * (which copies) where files may shrink in place while served.
 *
 * @module
 */

import { closeSync, fstatSync, openSync as openFd, statSync } from "node:fs";
import { setImmediate } from "node:timers";
import { FileNotFoundError } from "../http/errors.ts";
import type { FileLike } from "../http/file_like.ts";
import { fdFile } from "./fd_file.ts";

/** Options of {@linkcode openFile}. */
export interface OpenFileOptions {
  /** The name the FileLike reports; default: the path. */
  name?: string;
}

interface BunGlobal {
  file(path: string): Blob;
}

/**
 * Opens a regular file for Bun. Throws {@linkcode FileNotFoundError} when
 * there is no regular file at `path`. Only works on Bun. The FileLike holds
 * a descriptor until `close()` (which {@linkcode handleVideo} calls).
 *
 * @example
 * ```ts ignore
 * import { handleVideo } from "@ranged/video";
 * import { openFile } from "@ranged/video/bun";
 * Bun.serve({ fetch: async (req) => handleVideo(req, await openFile("./movie.mp4")) });
 * ```
 */
export function openFile(path: string, options: OpenFileOptions = {}): Promise<FileLike> {
  // Opened on the check phase, once the poll phase has read every request
  // that was ready: Bun.serve then sends the answers of a burst together.
  // Resolved at once, the answer starts inside its own request's turn; 64
  // clients asking random 1 MiB ranges measured 1.3-1.7k req/s that way
  // and 2.3-2.6k from here, with 2-byte probes unchanged.
  return new Promise((resolve, reject) => {
    setImmediate(() => {
      try {
        resolve(openSync(path, options));
      } catch (err) {
        // Failures arrive as a rejection, like every other adapter's.
        reject(err);
      }
    });
  });
}

function openSync(path: string, options: OpenFileOptions): FileLike {
  const bun = (globalThis as { Bun?: BunGlobal }).Bun;
  if (!bun) throw new TypeError("@ranged/video/bun needs the Bun runtime; use @ranged/video/fs elsewhere");
  // Synchronous open and fstat: on Bun plain syscalls of about a microsecond
  // each, while the promise API costs a trip through the thread pool on
  // every request. The descriptor pins the file the headers describe: a
  // small body is one pread on it (SYNC_READ_MAX), with no path lookup.
  let fd: number;
  try {
    fd = openFd(path, "r");
  } catch (cause) {
    throw new FileNotFoundError(path, { cause });
  }
  let st;
  try {
    st = fstatSync(fd);
    if (!st.isFile()) throw new FileNotFoundError(path);
  } catch (err) {
    closeSync(fd);
    throw err instanceof FileNotFoundError ? err : new FileNotFoundError(path, { cause: err });
  }
  const { ino, size, mtimeMs } = st;
  return {
    ...fdFile(fd, path, { size, name: options.name ?? path, lastModified: mtimeMs }),
    blob() {
      // Bun's sendfile goes by path and sends what the file holds when the
      // response goes out, under headers made from what we opened: a file
      // replaced or truncated since then would go out wrong yet framed as
      // complete. A cheap re-stat sends such a file through `read` instead,
      // on the descriptor, whose short read cuts the connection. Pinned to
      // the announced size, so a growing file cannot overrun Content-Length.
      const now = statSync(path, { throwIfNoEntry: false });
      const same = now && now.ino === ino && now.size === size && now.mtimeMs === mtimeMs;
      return same ? bun.file(path).slice(0, size) : undefined;
    },
  };
}
