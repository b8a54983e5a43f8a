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

/** Answers `?player` on a file; passes on anything else. */
export const playerRoute: Route = async ({ req, url, target }, ctx) => {
  if (exact(target) !== "file" || !url.searchParams.has("player")) return undefined;
  const { segments, real, stat } = target;
  const name = segments[segments.length - 1];
  const page = ctx.pageContext(segments.slice(0, -1));
  const file = await describeFile(ctx, real, name, encodePath(segments), stat.size, true);
  return html(req, renderPlayerPage(page, file), page.nonce);
};
