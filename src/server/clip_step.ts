/**
 * The clip step of the file route: `movie.mp4?start=12.5&end=30` answers a
 * clip of the file (issue 14) instead of the file. Decides from the query
 * alone whether a clip is asked for; the cutting is `clip()`'s.
 *
 * @module
 */

import type { FileLike } from "../http/file_like.ts";
import { clip, clipInfo } from "../media/clip.ts";
import { parseClipQuery } from "../media/clip_query.ts";
import { ClipRangeError } from "../media/clip_select.ts";
import { text } from "./responses.ts";
import type { ServeContext } from "./route.ts";

/** Files clips are cut from: the MP4 family (QuickTime included). */
const CLIPPABLE = /\.(mp4|m4v|m4a|mov)$/i;

/** Whether the directory server offers clips of a file of this name. */
export function isClippable(ctx: ServeContext, name: string): boolean {
  return ctx.options.clip !== false && CLIPPABLE.test(name);
}

/** A clip to serve, with the header that tells where it really starts. */
export interface ClipServed {
  readonly file: FileLike;
  readonly headers: Record<string, string>;
}

/**
 * The clip the query asks for: a {@linkcode ClipServed}, a 400 response for
 * a start at or past the duration, or `undefined` when no clip is asked for
 * (no valid `start`/`end`, clips off, not an MP4) and the file is served as usual.
 * A file the sample index refuses is served whole, without `X-Content-Start`.
 */
export async function clipStep(
  ctx: ServeContext,
  real: string,
  name: string,
  params: URLSearchParams,
): Promise<ClipServed | Response | undefined> {
  if (!isClippable(ctx, name)) return undefined;
  const times = parseClipQuery(params);
  if (times === undefined) return undefined;
  // The original file, not its faststart layout: a clip is moov-first by construction.
  const source = await ctx.fs.open(real, name);
  let file: FileLike;
  try {
    file = await clip(source, {
      start: times.start / 1000,
      end: times.end === undefined ? undefined : times.end / 1000,
      mode: ctx.options.clipMode,
      key: real,
    });
  } catch (err) {
    await source.close?.();
    if (err instanceof ClipRangeError) return text(err.status, err.message);
    throw err;
  }
  const info = clipInfo(file);
  return { file, headers: info ? { "x-content-start": info.contentStart.toFixed(3) } : {} };
}
