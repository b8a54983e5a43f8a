/**
 * What the index and player pages show of a file: type, served size, and
 * for MP4s the top-level box layout and whether it is served in faststart
 * layout. Reading the layout opens the file; a file that fails to open or
 * parse is still described, just without it.
 *
 * @module
 */

import { contentTypeFor } from "../http/media_types.ts";
import { readTopLevelBoxes } from "../media/boxes.ts";
import { isFaststart } from "../media/faststart.ts";
import type { PageBox, PageFile } from "./player_page.ts";
import type { ServeContext } from "./route.ts";
import { isClippable } from "./clip_step.ts";
import { isHlsSource } from "./routes/hls.ts";

const MP4_LIKE = /\.(mp4|m4v|m4a|mov|3gp)$/i;
/** Most boxes listed per file: enough for any real layout, bounded for hostile ones. */
const MAX_LISTED_BOXES = 64;

/** Describes one file for a page; `scan` reads its MP4 layout. */
export async function describeFile(
  ctx: ServeContext,
  real: string,
  name: string,
  path: string,
  size: number,
  scan: boolean,
): Promise<PageFile> {
  const type = contentTypeFor(name) ?? "application/octet-stream";
  let boxes: PageBox[] | undefined;
  let fast = false;
  if (scan && MP4_LIKE.test(name)) {
    const file = await ctx.openServed(real, name).catch(() => undefined);
    if (file) {
      try {
        fast = isFaststart(file);
        size = file.size;
        boxes = (await readTopLevelBoxes(file, { maxBoxes: MAX_LISTED_BOXES })).map(({ type, start, size }) => ({
          type,
          start,
          size,
        }));
      } catch {
        // A file that fails to read or parse is still listed, just without its layout.
      } finally {
        await Promise.resolve(file.close?.()).catch(() => {});
      }
    }
  }
  const hls = ctx.options.hls !== false && isHlsSource(name) ? `${path}/master.m3u8` : undefined;
  return { name, path, size, type, boxes, faststart: fast, hls, clip: isClippable(ctx, name) };
}
