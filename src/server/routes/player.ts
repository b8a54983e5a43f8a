/**
 * `FILE?player`: a page with a player for one file and the live map of the
 * byte ranges it fetches.
 *
 * @module
 */

import { describeFile } from "../page_files.ts";
import { renderPlayerPage } from "../player_page.ts";
import { html } from "../responses.ts";
import { exact, type Route } from "../route.ts";
import { encodePath } from "../safe_path.ts";
import { forbidden, signedPage } from "../access_gate.ts";
import { renditionName, sidecarsIn } from "./hls.ts";

/** Answers `?player` on a file; passes on anything else. */
export const playerRoute: Route = (request, ctx) => {
  const { url, target } = request;
  // Passing costs no turn of the microtask queue: every file request passes here.
  if (exact(target) !== "file" || url.search === "" || !url.searchParams.has("player")) return undefined;
  return answerPlayer(request, ctx);
};

const answerPlayer: Route = async ({ head, target, grant }, ctx) => {
  const { segments, real, stat } = target;
  const name = segments[segments.length - 1];
  const path = encodePath(segments);
  // The page opens its file, and the views derived from it, until the request's own expiry.
  const page = await signedPage(ctx.pageContext(segments.slice(0, -1)), ctx.access, grant, path);
  if (page === undefined) return forbidden();
  const file = await describeFile(ctx, real, name, path, stat.size, true);
  const parent = segments.slice(0, -1);
  const dir = await ctx.resolver.resolve(parent);
  const subtitles = [];
  for (const s of dir === undefined ? [] : await sidecarsIn(ctx, dir, renditionName(name))) {
    // A sidecar lies outside the file's scope: the page's grant opens it with a token of its own.
    const src = encodePath([...parent, s.file]);
    const query = ctx.access && grant ? await ctx.access.scopeQuery(grant, src) : "";
    subtitles.push({ src: query ? `${src}?${query}` : src, label: s.label, language: s.language });
  }
  return html(head.method, renderPlayerPage(page, { ...file, subtitles }), page.nonce);
};
