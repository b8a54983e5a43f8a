/**
 * HLS views of the files: `movie.mp4/master.m3u8` (and its playlists and
 * segments) for one MP4, `movie/master.m3u8` for a folder whose MP4s are
 * renditions of the same content, addressed as `movie/NAME/…` where NAME is
 * a file's name without its extension (so it never names the file itself).
 * The packaging is `serveHls`; this route only finds the files.
 *
 * @module
 */

import type { FileLike } from "../../http/file_like.ts";
import { parseHlsPath } from "../../media/hls/hls_path.ts";
import { serveHls, type SubtitleTrack } from "../../media/hls/serve_hls.ts";
import type { Route, ServeContext } from "../route.ts";
import { type Sidecar, sidecarSubtitles } from "../sidecars.ts";
import { childQuery, forbidden, type Grant } from "../access_gate.ts";
import { encodePath } from "../safe_path.ts";

/** What HLS packages: MP4 family files (QuickTime included). */
const MP4_LIKE = /\.(mp4|m4v|m4a|mov)$/i;
/** Most renditions one folder's master lists: each is one open and one index per request. */
export const MAX_RENDITIONS = 12;

/** Whether HLS views are offered for a file of this name. */
export function isHlsSource(name: string): boolean {
  return MP4_LIKE.test(name);
}

/** The rendition name of a file in a folder's URIs: its name without the extension. */
export function renditionName(fileName: string): string {
  return fileName.replace(/\.[^.]*$/, "");
}

/** Answers HLS sub-paths of an MP4 or of a folder of MP4s; passes on anything else. */
export const hlsRoute: Route = async ({ head, url, target, grant }, ctx) => {
  if (ctx.options.hls === false || target.rest.length === 0) return undefined;
  const sub = target.rest.join("/");
  const mountSegments = target.segments.slice(0, target.segments.length - target.rest.length);
  // Computed once the route knows it answers: a signed request may cost an HMAC here.
  // The query that opened the playlist (a signed-URL token, scoped to the mount point when the
  // server requires signatures) follows the player down to every segment.
  const signedQuery = () => childQuery(ctx.access, grant, url, encodePath(mountSegments));
  const options = {
    response: ctx.options.handler,
    segmentDuration: ctx.options.hlsSegmentDuration,
  };
  if (target.stat.isFile) {
    const name = target.segments[target.segments.length - target.rest.length - 1];
    if (target.rest.length !== 1 || !MP4_LIKE.test(name) || parseHlsPath(sub, [""]) === undefined) return undefined;
    const parentSegments = mountSegments.slice(0, -1);
    const parent = await ctx.resolver.resolve(parentSegments);
    // Sidecars sit beside the file, outside its mount point: each gets its own token.
    const subtitles = parent === undefined
      ? []
      : await signedSidecars(ctx, grant, parent, parentSegments, renditionName(name));
    const query = await signedQuery();
    if (query === undefined || subtitles === undefined) return forbidden();
    // The original file, not its faststart layout: segments are spans of the bytes on disk.
    return serveHls(head.request(), await ctx.fs.open(target.real, name), sub, {
      ...options,
      childQuery: query,
      subtitles,
    });
  }
  if (!target.stat.isDirectory) return undefined;
  const names = await renditionFiles(ctx, target.real);
  const stems = names.length === 1 ? [""] : names.map(renditionName);
  if (names.length === 0 || parseHlsPath(sub, stems) === undefined) return undefined;
  const query = await signedQuery();
  if (query === undefined) return forbidden();
  const files: FileLike[] = [];
  try {
    for (const n of names) files.push(await ctx.fs.open(`${target.real}/${n}`, n));
  } catch (err) {
    await Promise.all(files.map((f) => f.close?.()));
    throw err;
  }
  const folder = target.segments[target.segments.length - target.rest.length - 1] ?? "";
  const subtitles = await subtitlesIn(ctx, target.real, folder, "");
  return serveHls(head.request(), files, sub, {
    ...options,
    childQuery: query,
    names: names.map(renditionName),
    subtitles,
  });
};

/** Sidecar WebVTT files named after `stem` in the folder `dir` (a real path). */
export async function sidecarsIn(ctx: ServeContext, dir: string, stem: string): Promise<Sidecar[]> {
  const names = (await ctx.fs.readDir(dir))
    .filter((e) => e.isFile && (ctx.options.dotfiles || !e.name.startsWith(".")))
    .map((e) => e.name);
  return sidecarSubtitles(stem, names);
}

/** Sidecar WebVTT files named after `stem` in `dir`, as URIs relative to the HLS mount point. */
async function subtitlesIn(ctx: ServeContext, dir: string, stem: string, up: string) {
  return (await sidecarsIn(ctx, dir, stem)).map((s) => ({
    uri: up + encodeURIComponent(s.file),
    name: s.label,
    language: s.language,
  }));
}

/**
 * The sidecars of the file `stem.*` in the folder `dir` (real path;
 * `segments` its URL path), as URIs relative to the file's mount point,
 * each with the query that opens it; undefined for a bound grant.
 */
async function signedSidecars(
  ctx: ServeContext,
  grant: Grant | undefined,
  dir: string,
  segments: readonly string[],
  stem: string,
): Promise<SubtitleTrack[] | undefined> {
  const out: SubtitleTrack[] = [];
  for (const s of await sidecarsIn(ctx, dir, stem)) {
    // Without a gate, the playlist's own query follows (query undefined), as for its other URIs.
    const query = ctx.access && grant ? await ctx.access.scopeQuery(grant, encodePath([...segments, s.file])) : null;
    if (query === undefined) return undefined;
    out.push({
      uri: "../" + encodeURIComponent(s.file),
      name: s.label,
      language: s.language,
      query: query ?? undefined,
    });
  }
  return out;
}

/** The folder's MP4s by name, when their rendition names are distinct and there are not too many. */
async function renditionFiles(ctx: ServeContext, dir: string): Promise<string[]> {
  const names = (await ctx.fs.readDir(dir))
    .filter((e) => e.isFile && MP4_LIKE.test(e.name) && (ctx.options.dotfiles || !e.name.startsWith(".")))
    .map((e) => e.name)
    .sort();
  const stems = new Set(names.map(renditionName));
  if (names.length > MAX_RENDITIONS || stems.size !== names.length) return [];
  return names;
}
