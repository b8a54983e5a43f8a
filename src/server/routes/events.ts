/**
 * `PREFIX/events?viewer=ID`: the Server-Sent Events feed of one viewer's
 * live range map.
 *
 * @module
 */

import { rangeEventsResponse } from "../range_events.ts";
import type { BuiltinRoute } from "../route.ts";
import { ViewerTracker } from "../viewer_ranges.ts";

/** Answers the event stream of a valid viewer id; passes on anything else. */
export const eventsRoute: BuiltinRoute = (head, url, ctx) => {
  const viewer = url.searchParams.get("viewer");
  if (url.pathname !== `${ctx.prefix}/events` || !ctx.tracker || !ViewerTracker.isViewerId(viewer)) return undefined;
  // Not req.signal: a client that leaves cancels the body, which ends the feed on every runtime, and
  // Deno.serve warns once a read req.signal aborts on a successful response (its legacy behaviour).
  const res = rangeEventsResponse(ctx.tracker, viewer, { signal: ctx.options.signal });
  if (head.method === "HEAD") {
    res.body?.cancel();
    return new Response(null, { headers: res.headers });
  }
  return res;
};
