/**
 * The file-system contract {@linkcode serveDir} reads a directory tree
 * through. Keeping it an interface lets the directory server stay free of
 * runtime APIs: the default implementation (node:fs/promises, on Deno, Bun
 * and Node) lives in `src/adapters/fs_dir.ts`, and tests or other stores can
 * supply their own.
 *
 * @module
 */

import type { FileLike } from "../http/file_like.ts";

/** What {@linkcode DirFs.stat} reports about a path (after following symlinks). */
export interface PathStat {
  /** A regular file. */
  readonly isFile: boolean;
  /** A directory. */
  readonly isDirectory: boolean;
  /** Size in bytes (0 for directories). */
  readonly size: number;
  /** Last modification, ms since the epoch. */
  readonly mtimeMs?: number;
}

/** One entry of {@linkcode DirFs.readDir}, not followed: symlinks are reported as such. */
export interface DirEntryInfo {
  /** The entry's name, without any directory part. */
  readonly name: string;
  /** A regular file. */
  readonly isFile: boolean;
  /** A directory. */
  readonly isDirectory: boolean;
  /** A symbolic link (its target is checked separately, it may lead outside the root). */
  readonly isSymlink: boolean;
}

/**
 * File access for {@linkcode serveDir}. Paths are the root joined with
 * validated segments using `/`. Every method throws
 * {@linkcode FileNotFoundError} when nothing accessible is at the path, so
 * the server can answer 404 without knowing the runtime's error codes.
 *
 * @example An in-memory DirFs with one file
 * ```ts
 * import { type DirFs, FileNotFoundError, fromBytes } from "@ranged/video";
 * const bytes = new TextEncoder().encode("hello");
 * const fs: DirFs = {
 *   async open(path) {
 *     if (path !== "/r/a.txt") throw new FileNotFoundError(path);
 *     return fromBytes(bytes, { name: "a.txt", lastModified: 0 });
 *   },
 *   async stat(path) {
 *     if (path === "/r") return { isFile: false, isDirectory: true, size: 0 };
 *     if (path === "/r/a.txt") return { isFile: true, isDirectory: false, size: bytes.length };
 *     throw new FileNotFoundError(path);
 *   },
 *   async realpath(path) {
 *     await this.stat(path);
 *     return path;
 *   },
 *   async readDir() {
 *     return [{ name: "a.txt", isFile: true, isDirectory: false, isSymlink: false }];
 *   },
 * };
 * ```
 */
export interface DirFs {
  /** Opens a regular file for reading; `name` is what the FileLike reports. */
  open(path: string, name?: string): Promise<FileLike>;
  /** Stats a path, following symlinks. */
  stat(path: string): Promise<PathStat>;
  /** The canonical absolute path with every symlink resolved (for containment checks). */
  realpath(path: string): Promise<string>;
  /** Lists a directory's entries (any order). */
  readDir(path: string): Promise<DirEntryInfo[]>;
  /**
   * The FileLikes `open` gives read positionally and independently (pread,
   * Blob slices; no seek offset, no `stream()`), so one may serve several
   * requests at once: serveDir's open-file cache then shares them. Default false.
   */
  readonly shareable?: boolean;
}
