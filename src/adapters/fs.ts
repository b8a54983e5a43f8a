/**
 * `openFile` over `node:fs` file descriptors: positional reads with
 * `pread`, one file descriptor per response. Works on Node, Deno and Bun.
 *
 * @module
 */

import { closeSync, fstat, open, type Stats } from "node:fs";
import { FileNotFoundError } from "../http/errors.ts";
import type { FileLike } from "../http/file_like.ts";
import { fdFile } from "./fd_file.ts";

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
  // The callback API on a plain fd: FileHandle's promise machinery (open,
  // stat, close) cost more than the syscalls themselves for a small range.
  let fd: number;
  try {
    fd = await new Promise<number>((resolve, reject) => open(path, "r", (err, fd) => err ? reject(err) : resolve(fd)));
  } catch (cause) {
    throw new FileNotFoundError(path, { cause });
  }
  try {
    const st = await new Promise<Stats>((resolve, reject) => fstat(fd, (err, st) => err ? reject(err) : resolve(st)));
    if (!st.isFile()) throw new FileNotFoundError(path);
    return fdFile(fd, path, { size: st.size, name: options.name ?? path, lastModified: st.mtimeMs });
  } catch (err) {
    closeSync(fd);
    throw err instanceof FileNotFoundError ? err : new FileNotFoundError(path, { cause: err });
  }
}
