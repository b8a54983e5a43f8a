/**
 * `serveDir` ready to use: the runtime-neutral directory server wired to
 * the node:fs {@linkcode DirFs}, which works on Deno, Bun and Node.
 *
 * @example Deno
 * ```ts ignore
 * import { serveDir } from "@ranged/video/serve";
 * Deno.serve(serveDir("./videos"));
 * ```
 *
 * @example Bun
 * ```ts ignore
 * import { serveDir } from "@ranged/video/serve";
 * Bun.serve({ fetch: serveDir("./videos") });
 * ```
 *
 * @module
 */

import { serveDir as serveDirWith, type ServeDirHandler, type ServeDirOptions } from "../server/serve_dir.ts";
import { nodeDirFs } from "./fs_dir.ts";

export type { ServeDirHandler, ServeDirOptions };

/**
 * Serves the folder `root` with range support, an index with a player per
 * media file, and the live range map. `options.fs` defaults to node:fs.
 *
 * @example Node, through the node:http bridge
 * ```ts ignore
 * import { createServer } from "node:http";
 * import { serveDir } from "@ranged/video/serve";
 * import { toNodeListener } from "@ranged/video/node";
 * createServer(toNodeListener(serveDir("./videos"))).listen(8000);
 * ```
 */
export function serveDir(root: string, options: Partial<ServeDirOptions> = {}): ServeDirHandler {
  return serveDirWith(root, { ...options, fs: options.fs ?? nodeDirFs });
}
