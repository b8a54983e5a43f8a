/**
 * A file itself, through the plan of `handleVideo`: ranges, preconditions,
 * HEAD; or a clip of it when the query asks for one (`?start=12.5&end=30`).
 * It answers a {@linkcode FileAnswer}, not a `Response`, so each server
 * writes it its own way (node:http without any Fetch object). When asked,
 * the body is paced (`throttle`) and the spans it sends reach the viewer's
 * live range map.
 *
 * @module
 */

import type { ByteRange } from "../../http/range.ts";
import { clipStep } from "../clip_step.ts";
import type { BodyTracking } from "../file_answer.ts";
import { exact, type Route } from "../route.ts";
import { encodePath } from "../safe_path.ts";
import { ViewerTracker } from "../viewer_ranges.ts";

/** Answers a file named exactly; passes on anything else. */
export const fileRoute: Route = async ({ url, target }, ctx) => {
  if (exact(target) !== "file") return undefined;
  const name = target.segments[target.segments.length - 1];
  // Most requests have no query: skip parsing one.
  const params = url.search === "" ? undefined : url.searchParams;
  const clipped = params ? await clipStep(ctx, target.real, name, params) : undefined;
  if (clipped instanceof Response) return clipped;
  const file = clipped?.file ?? await ctx.openServed(target.real, name);
  const handler = ctx.options.handler;
  const options = clipped ? { ...handler, headers: withHeaders(handler?.headers, clipped.headers) } : handler ?? {};
  const viewer = params?.get("viewer") ?? null;
  const tracker = ctx.tracker && ViewerTracker.isViewerId(viewer) ? ctx.tracker : undefined;
  const size = file.size;
  return {
    file,
    options,
    throttle: ctx.options.throttle,
    watch: tracker
      ? (spans, status) => watchSpans(tracker, viewer!, encodePath(target.segments), size, spans, status)
      : undefined,
  };
};

/** The live-map recorders of one body: progress per chunk, finished at its end. */
function watchSpans(
  tracker: ViewerTracker,
  viewer: string,
  path: string,
  size: number,
  spans: readonly ByteRange[],
  status: number,
): BodyTracking {
  const recorders = spans.map((s) => tracker.begin(viewer, path, size, status, s.start, s.end));
  // A multipart body interleaves framing with the parts: its parts are marked whole when it ends.
  const multipart = spans.length > 1;
  return {
    onChunk: (n) => {
      if (!multipart) recorders[0]?.progress(n);
    },
    onEnd: (aborted) => {
      recorders.forEach((r, i) => {
        if (multipart && !aborted) r?.progress(spans[i].end - spans[i].start + 1);
        r?.finish(aborted);
      });
    },
  };
}

/** The caller's headers plus `extra` (which wins). */
function withHeaders(base: HeadersInit | undefined, extra: Record<string, string>): [string, string][] {
  const lines: [string, string][] = [];
  const keep = (name: string, value: string) => {
    if (!(name.toLowerCase() in extra)) lines.push([name, value]);
  };
  if (Array.isArray(base)) base.forEach(([n, v]) => keep(n, v));
  else if (base instanceof Headers) base.forEach((v, n) => keep(n, v));
  else if (base) Object.entries(base).forEach(([n, v]) => keep(n, v));
  return [...lines, ...Object.entries(extra)];
}
