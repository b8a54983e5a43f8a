/**
 * The Server-Sent Events stream behind the player's live range map. It is
 * pull-based: changes only mark files as dirty, and the next pull sends
 * their current state. A slow or stalled client therefore never queues
 * events (the state is re-read, not replayed), and updates are coalesced to
 * at most one every `intervalMs`.
 *
 * @module
 */

import type { FileActivity, ViewerTracker } from "./viewer_ranges.ts";

/** Options of {@linkcode rangeEventsResponse}. */
export interface RangeEventsOptions {
  /** Minimum time between two updates, in ms. Default 100. */
  intervalMs?: number;
  /**
   * A comment line is sent after this much silence, in ms, so proxies and
   * servers with idle timeouts (Bun.serve closes idle sockets after 10 s)
   * keep the stream open and dead peers are noticed. Default 5000.
   */
  heartbeatMs?: number;
  /** Ends the stream, e.g. on server shutdown (a client that leaves cancels the body, which ends it too). */
  signal?: AbortSignal;
}

const encoder = new TextEncoder();

/**
 * Answers an EventSource request for `viewerId`: first a `ranges` event with
 * every file's state, then a `ranges` event per change, each carrying a JSON
 * array of {@linkcode FileActivity}.
 *
 * @example
 * ```ts ignore
 * import { rangeEventsResponse, ViewerTracker } from "@ranged/video";
 * const tracker = new ViewerTracker();
 * Deno.serve((req) => rangeEventsResponse(tracker, new URL(req.url).searchParams.get("viewer")!));
 * ```
 */
export function rangeEventsResponse(
  tracker: ViewerTracker,
  viewerId: string,
  options: RangeEventsOptions = {},
): Response {
  const intervalMs = options.intervalMs ?? 100;
  const heartbeatMs = options.heartbeatMs ?? 5000;
  const signals = [options.signal].filter((s): s is AbortSignal => s !== undefined);
  const dirty = new Set<string>(tracker.snapshot(viewerId).map((f) => f.path));
  let first = true;
  let lastSent = 0;
  let wake: (() => void) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const unsubscribe = tracker.subscribe(viewerId, (paths) => {
    for (const p of paths) dirty.add(p);
    wake?.();
  });
  const stop = () => {
    closed = true;
    unsubscribe();
    if (timer !== undefined) clearTimeout(timer);
    wake?.();
  };
  for (const s of signals) s.addEventListener("abort", stop, { once: true });

  const sleep = (ms: number, interruptible: boolean) =>
    new Promise<void>((resolve) => {
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        wake = undefined;
        resolve();
      };
      timer = setTimeout(done, ms);
      wake = interruptible ? done : () => closed && done();
    });

  return new Response(
    new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (first) {
          first = false;
          controller.enqueue(encoder.encode(`retry: 2000\n${event(tracker, viewerId, dirty)}`));
          lastSent = Date.now();
          return;
        }
        // Coalesce: never two updates closer than intervalMs.
        const since = Date.now() - lastSent;
        if (since < intervalMs && !closed) await sleep(intervalMs - since, false);
        if (dirty.size === 0 && !closed) await sleep(heartbeatMs, true);
        if (closed) {
          for (const s of signals) s.removeEventListener("abort", stop);
          controller.close();
          return;
        }
        controller.enqueue(encoder.encode(dirty.size > 0 ? event(tracker, viewerId, dirty) : ": ping\n\n"));
        lastSent = Date.now();
      },
      cancel() {
        stop();
        for (const s of signals) s.removeEventListener("abort", stop);
      },
    }, { highWaterMark: 0 }),
    {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        // nginx would otherwise buffer the stream and the map would update in bursts.
        "x-accel-buffering": "no",
      },
    },
  );
}

function event(tracker: ViewerTracker, viewerId: string, dirty: Set<string>): string {
  const files: FileActivity[] = [];
  for (const path of dirty) {
    const activity = tracker.activity(viewerId, path);
    if (activity) files.push(activity);
  }
  dirty.clear();
  return `event: ranges\ndata: ${JSON.stringify(files)}\n\n`;
}
