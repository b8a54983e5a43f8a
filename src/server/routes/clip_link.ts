/**
 * `FILE?clip-link=SECONDS`: the URL of the clip of a file from a given
 * time, as the player page's "link from here" control shows and copies it.
 * The server makes it because only the server can sign it: under signed
 * URLs the clip's `start` must be covered by the signature, and a page's
 * grant over the whole file may mint links to any part of it, until the
 * same expiry. Answers the link as text, never the bytes.
 *
 * @module
 */

import { parseClipSeconds } from "../../media/clip_query.ts";
import { CLIP_LINK_PARAM, forbidden } from "../access_gate.ts";
import { textResponse } from "../../http/text_response.ts";
import { isClippable } from "../clip_step.ts";
import { notFound, text } from "../responses.ts";
import { exact, type Route } from "../route.ts";
import { encodePath } from "../safe_path.ts";

/** Answers `?clip-link=SECONDS` on a file; passes on anything else. */
export const clipLinkRoute: Route = (request, ctx) => {
  const { url, target } = request;
  // Passing costs no turn of the microtask queue, and most requests have no query: `searchParams` would build one.
  if (exact(target) !== "file" || url.search === "" || !url.searchParams.has(CLIP_LINK_PARAM)) return undefined;
  return answerClipLink(request, ctx);
};

const answerClipLink: Route = async ({ head, url, target, grant }, ctx) => {
  if (!isClippable(ctx, target.segments[target.segments.length - 1])) return notFound();
  const ms = parseClipSeconds(url.searchParams.get(CLIP_LINK_PARAM));
  if (ms === undefined) return text(400, `${CLIP_LINK_PARAM} wants decimal seconds`);
  // Milliseconds, as the clip grammar keeps them: one spelling per time, so one signature per clip.
  const start = (ms / 1000).toFixed(3);
  const path = encodePath(target.segments);
  let query = `start=${start}`;
  if (ctx.access && grant) {
    const signed = await ctx.access.clipQuery(grant, path, start);
    // A clip link's own grant is bound to its clip: it may not mint another.
    if (signed === undefined) return forbidden();
    query = signed;
  }
  const link = `${path}?${query}`;
  return textResponse(200, link, {
    "x-content-type-options": "nosniff",
    // A signed link ends with the grant that made it: never stored.
    "cache-control": "no-store",
  }, { head: head.method === "HEAD" });
};
