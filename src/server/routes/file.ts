/**
 * A file itself, through `handleVideo`: ranges, preconditions, HEAD; or a
 * clip of it when the query asks for one (`?start=12.5&end=30`). When
 * asked, the body is paced (`throttle`) and the spans it sends reach the
 * viewer's live range map.
 *
 * @module
 */

import { handleVideo } from "../../http/handler.ts";
import type { ByteRange } from "../../http/range.ts";
import { clipStep } from "../clip_step.ts";
import { exact, type Route } from "../route.ts";
import { encodePath } from "../safe_path.ts";
import { throttleBody } from "../throttle.ts";
import { trackBody } from "../tracked_body.ts";
import { ViewerTracker } from "../viewer_ranges.ts";

/** Answers a file named exactly; passes on anything else. */
export const fileRoute: Route = async ({ req, url, target }, ctx) => {
  if (exact(target) !== "file") return undefined;
  const name = target.segments[target.segments.length - 1];
  const clipped = await clipStep(ctx, target.real, name, url.searchParams);
  if (clipped instanceof Response) return clipped;
  const file = clipped?.file ?? await ctx.openServed(target.real, name);
  const size = file.size;
  const viewer = url.searchParams.get("viewer");
  const tracker = ctx.tracker && ViewerTracker.isViewerId(viewer) ? ctx.tracker : undefined;
  let sent: { spans: readonly ByteRange[]; status: number } | undefined;
  const handler = ctx.options.handler;
  let res = handleVideo(req, file, {
    ...handler,
    headers: clipped ? withHeaders(handler?.headers, clipped.headers) : handler?.headers,
    onSend: (spans, status) => {
      sent = { spans, status };
      handler?.onSend?.(spans, status);
    },
  });
  const throttle = ctx.options.throttle;
  if (throttle && throttle > 0 && res.body) res = new Response(throttleBody(res.body, throttle), res);
  if (!tracker || !sent || !res.body) return res;

  const path = encodePath(target.segments);
  const { spans, status } = sent;
  const recorders = spans.map((s) => tracker.begin(viewer!, path, size, status, s.start, s.end));
  // A multipart body interleaves framing with the parts: its parts are marked whole when it ends.
  const multipart = spans.length > 1;
  const body = trackBody(res.body, {
    onChunk: (n) => {
      if (!multipart) recorders[0]?.progress(n);
    },
    onEnd: (aborted) => {
      recorders.forEach((r, i) => {
        if (multipart && !aborted) r?.progress(spans[i].end - spans[i].start + 1);
        r?.finish(aborted);
      });
    },
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
};

/** The caller's headers plus `extra` (which wins). */
function withHeaders(base: HeadersInit | undefined, extra: Record<string, string>): Headers {
  const headers = new Headers(base);
  for (const [k, v] of Object.entries(extra)) headers.set(k, v);
  return headers;
}
