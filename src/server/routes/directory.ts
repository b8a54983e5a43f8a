/**
 * A directory: redirected to its `/` form, then answered with the index page
 * (a player per media file). Symlinks are listed only when they resolve
 * inside the root, as requests do.
 *
 * @module
 */

import { contentTypeFor } from "../../http/media_types.ts";
import { describeFile } from "../page_files.ts";
import { mediaKind, type PageDir, type PageFile, renderIndexPage } from "../player_page.ts";
import { html, notFound } from "../responses.ts";
import { exact, type Route, type ServeContext } from "../route.ts";
import { encodePath } from "../safe_path.ts";
import { forbidden, signedPage } from "../access_gate.ts";

/** Most entries an index lists, by default. */
const DEFAULT_MAX_ENTRIES = 2000;
/** Most media files whose MP4 layout one index reads: each costs an open. */
const MAX_SCANNED = 64;

/** Answers a directory; passes on anything else. */
export const directoryRoute: Route = (request, ctx) =>
  // Passing costs no turn of the microtask queue: every file request passes here.
  exact(request.target) === "directory" ? answerDirectory(request, ctx) : undefined;

const answerDirectory: Route = async ({ head, url, target, grant }, ctx) => {
  if (ctx.options.index === false) return notFound();
  if (!target.trailingSlash) {
    const location = encodePath(target.segments, true) + url.search;
    return new Response(null, { status: 301, headers: { location, "content-length": "0" } });
  }
  const { files, dirs } = await listDirectory(ctx, target.real, target.segments);
  // The index opens its folder (and so what it lists) until the request's own expiry.
  const page = await signedPage(ctx.pageContext(target.segments), ctx.access, grant, encodePath(target.segments, true));
  if (page === undefined) return forbidden();
  return html(head.method, renderIndexPage(page, files, dirs), page.nonce);
};

async function listDirectory(
  ctx: ServeContext,
  dir: string,
  segments: readonly string[],
): Promise<{ files: PageFile[]; dirs: PageDir[] }> {
  const { fs, options } = ctx;
  const entries = (await fs.readDir(dir))
    .filter((e) => options.dotfiles || !e.name.startsWith("."))
    .sort((a, b) => a.name.localeCompare(b.name))
    .slice(0, options.maxIndexEntries ?? DEFAULT_MAX_ENTRIES);
  const files: PageFile[] = [];
  const dirs: PageDir[] = [];
  let scanned = 0;
  for (const entry of entries) {
    const childSegments = [...segments, entry.name];
    const real = entry.isSymlink
      ? await ctx.resolver.resolve(childSegments).catch(() => undefined)
      : `${dir}/${entry.name}`;
    if (real === undefined) continue;
    const st = entry.isSymlink ? await fs.stat(real).catch(() => undefined) : undefined;
    const isDir = st ? st.isDirectory : entry.isDirectory;
    const isFile = st ? st.isFile : entry.isFile;
    if (isDir) dirs.push({ name: entry.name, path: encodePath(childSegments, true) });
    else if (isFile) {
      const size = st?.size ?? (await fs.stat(real).catch(() => undefined))?.size;
      if (size === undefined) continue;
      const media = mediaKind(contentTypeFor(entry.name) ?? "") !== undefined;
      const path = encodePath(childSegments);
      files.push(await describeFile(ctx, real, entry.name, path, size, media && scanned++ < MAX_SCANNED));
    }
  }
  return { files, dirs };
}
