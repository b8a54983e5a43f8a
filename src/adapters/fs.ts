/**
 * `openFile` over `node:fs/promises` FileHandles: positional reads with
 * `pread`, one file descriptor per response. Works on Node, Deno and Bun.
 *
 * @module
 */

import { read } from "node:fs";
import { open } from "node:fs/promises";
import { FileNotFoundError } from "../http/errors.ts";
import type { FileLike } from "../http/file_like.ts";

/** Options of {@linkcode openFile}. */
export interface OpenFileOptions {
  /** The name the FileLike reports (Content-Type, Content-Disposition); default: the path. */
  name?: string;
}

/**
 * Opens a regular file for {@linkcode handleVideo}. Throws
 * {@linkcode FileNotFoundError} when there is no regular file at `path`
 * (missing, a directory, a FIFO, or not readable), so servers answer 404.
 *
 * @example
 * ```ts ignore
 * import { handleVideo } from "@ranged/video";
 * import { openFile } from "@ranged/video/fs";
 * Deno.serve(async (req) => handleVideo(req, await openFile("./movie.mp4")));
 * ```
 */
export async function openFile(path: string, options: OpenFileOptions = {}): Promise<FileLike> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (cause) {
    throw new FileNotFoundError(path, { cause });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new FileNotFoundError(path);
    let closed = false;
    const fh = handle;
    return {
      size: st.size,
      name: options.name ?? path,
      lastModified: st.mtimeMs,
      read(into, position) {
        // The callback API on the handle's fd: FileHandle.read's promise
        // machinery costs more than the read itself for small chunks.
        return new Promise((resolve, reject) => {
          read(fh.fd, into, 0, into.length, position, (err, n) => err ? reject(err) : resolve(n));
        });
      },
      async close() {
        if (closed) return;
        closed = true;
        await fh.close();
      },
    };
  } catch (err) {
    await handle.close().catch(() => {});
    throw err instanceof FileNotFoundError ? err : new FileNotFoundError(path, { cause: err });
  }
}
