/**
 * `openFile` over Deno's native `Deno.FsFile`. The portable
 * `@ranged/video/fs` adapter works on Deno too; this one skips the node:fs
 * compatibility layer.
 *
 * @module
 */

import { FileNotFoundError } from "../http/errors.ts";
import type { FileLike } from "../http/file_like.ts";

/** Options of {@linkcode openFile}. */
export interface OpenFileOptions {
  /** The name the FileLike reports; default: the path. */
  name?: string;
}

/**
 * Opens a regular file with `Deno.open`. Throws
 * {@linkcode FileNotFoundError} when there is no regular file at `path`.
 *
 * @example
 * ```ts ignore
 * import { handleVideo } from "@ranged/video";
 * import { openFile } from "@ranged/video/deno";
 * Deno.serve(async (req) => handleVideo(req, await openFile("./movie.mp4")));
 * ```
 */
export async function openFile(path: string, options: OpenFileOptions = {}): Promise<FileLike> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (cause) {
    throw new FileNotFoundError(path, { cause });
  }
  try {
    const st = await file.stat();
    if (!st.isFile) throw new FileNotFoundError(path);
    let closed = false;
    // Reads are sequential per response, so the handle's own offset is
    // ours: seek only when the next read does not follow the last one.
    let offset = 0;
    return {
      size: st.size,
      name: options.name ?? path,
      lastModified: st.mtime?.getTime(),
      async read(into, position) {
        if (position !== offset) await file.seek(position, Deno.SeekMode.Start);
        const n = await file.read(into);
        offset = position + (n ?? 0);
        return n ?? 0;
      },
      readSync(into, position) {
        if (closed) throw new Error(`read after close: ${path}`);
        if (position !== offset) file.seekSync(position, Deno.SeekMode.Start);
        const n = file.readSync(into) ?? 0;
        offset = position + n;
        return n;
      },
      stream(start, end) {
        // FsFile.readable runs to the end of the file, so only spans that
        // end there are native; Deno then pumps the resource itself and
        // closes it, with no JavaScript chunk per read (flat memory under
        // many slow viewers).
        if (end !== st.size - 1 || closed) return undefined;
        closed = true;
        // Always seek: earlier reads (a format probe, say) moved the handle's offset.
        file.seekSync(start, Deno.SeekMode.Start);
        return file.readable;
      },
      close() {
        if (closed) return;
        closed = true;
        file.close();
      },
    };
  } catch (err) {
    file.close();
    throw err instanceof FileNotFoundError ? err : new FileNotFoundError(path, { cause: err });
  }
}
