/**
 * Per-viewer bookkeeping of the byte ranges the server actually sent, for
 * the player page's live range map. Every structure is capped (viewers,
 * files per viewer, ranges per file, requests per file) and idle viewers
 * expire, so a server that runs for months, or a client that invents
 * viewer ids, keeps memory flat.
 *
 * @module
 */

/** One response as the map shows it. Byte offsets are inclusive. */
export interface ServedRequest {
  /** Increasing per viewer, so the page can tell new requests from updates. */
  readonly id: number;
  /** HTTP status: 200 or 206. */
  readonly status: number;
  /** First byte of the response's span. */
  readonly start: number;
  /** Last byte the response announced. */
  readonly end: number;
  /** Bytes handed to the runtime so far. */
  sent: number;
  /** Still streaming, finished, or cut short by the client (seeks abort constantly). */
  state: "streaming" | "done" | "aborted";
}

/** What one viewer has received of one file. */
export interface FileActivity {
  /** The canonical URL path of the file. */
  readonly path: string;
  /** File size in bytes. */
  readonly size: number;
  /** Sent spans, sorted, merged, inclusive `[first, last]` pairs. */
  readonly ranges: Array<[number, number]>;
  /** The most recent responses, oldest first. */
  readonly requests: ServedRequest[];
  /** Bytes sent in total (re-sent bytes count again), to compare with the map's union. */
  bytesSent: number;
}

/** Limits of a {@linkcode ViewerTracker}. */
export interface ViewerTrackerOptions {
  /** Viewers kept at most; the least recently active is dropped first. Default 128. */
  maxViewers?: number;
  /** A viewer with no open event stream expires after this many ms of silence. Default 10 minutes. */
  idleMs?: number;
  /** Files remembered per viewer. Default 16. */
  maxFiles?: number;
  /** Disjoint ranges kept per file; beyond, the two closest are merged. Default 128. */
  maxRanges?: number;
  /** Requests kept per file for the log. Default 24. */
  maxRequests?: number;
  /** The clock, for tests. Default `Date.now`. */
  now?: () => number;
}

/** Receives the paths whose activity changed; read them with {@linkcode ViewerTracker.activity}. */
export type ActivityListener = (paths: readonly string[]) => void;

/** Reports progress of one response to the tracker. */
export interface RequestRecorder {
  /** `bytes` more bytes were handed to the runtime. */
  progress(bytes: number): void;
  /** The body ended; `aborted` when the client went away first. */
  finish(aborted: boolean): void;
}

interface Viewer {
  lastActive: number;
  nextId: number;
  files: Map<string, FileActivity>;
  listeners: Set<ActivityListener>;
}

const VIEWER_ID = /^[A-Za-z0-9_-]{8,64}$/;

/**
 * Records, per viewer id, which byte ranges of which files were sent, and
 * tells subscribed event streams when that changes.
 *
 * @example
 * ```ts ignore
 * import { ViewerTracker } from "@ranged/video";
 * const tracker = new ViewerTracker();
 * const rec = tracker.begin("viewer-1234", "/a.mp4", 1000, 206, 0, 499);
 * rec?.progress(500);
 * rec?.finish(false);
 * console.log(tracker.activity("viewer-1234", "/a.mp4")?.ranges); // [[0, 499]]
 * ```
 */
export class ViewerTracker {
  #viewers = new Map<string, Viewer>();
  #maxViewers: number;
  #idleMs: number;
  #maxFiles: number;
  #maxRanges: number;
  #maxRequests: number;
  #now: () => number;
  #lastSweep = 0;

  /** Creates a tracker with the given limits. */
  constructor(options: ViewerTrackerOptions = {}) {
    this.#maxViewers = options.maxViewers ?? 128;
    this.#idleMs = options.idleMs ?? 10 * 60_000;
    this.#maxFiles = options.maxFiles ?? 16;
    this.#maxRanges = Math.max(1, options.maxRanges ?? 128);
    this.#maxRequests = options.maxRequests ?? 24;
    this.#now = options.now ?? Date.now;
  }

  /** Whether `id` is acceptable as a viewer id: 8 to 64 characters of `[A-Za-z0-9_-]`. */
  static isViewerId(id: string | null | undefined): id is string {
    return typeof id === "string" && VIEWER_ID.test(id);
  }

  /** Number of viewers currently remembered. */
  get viewerCount(): number {
    return this.#viewers.size;
  }

  /**
   * Starts recording a response of `status` covering bytes `start..end` of
   * the file at `path`. Returns undefined for an invalid viewer id.
   */
  begin(
    viewerId: string,
    path: string,
    size: number,
    status: number,
    start: number,
    end: number,
  ): RequestRecorder | undefined {
    const viewer = this.#viewer(viewerId, true);
    if (!viewer) return undefined;
    let file = viewer.files.get(path);
    if (!file || file.size !== size) {
      file = { path, size, ranges: [], requests: [], bytesSent: 0 };
    }
    // Re-inserting keeps the Map in least-recently-used order for eviction.
    viewer.files.delete(path);
    viewer.files.set(path, file);
    if (viewer.files.size > this.#maxFiles) viewer.files.delete(viewer.files.keys().next().value!);
    const request: ServedRequest = { id: viewer.nextId++, status, start, end, sent: 0, state: "streaming" };
    file.requests.push(request);
    if (file.requests.length > this.#maxRequests) file.requests.shift();
    const current = file;
    this.#notify(viewer, path);
    return {
      progress: (bytes) => {
        if (bytes <= 0 || request.state !== "streaming") return;
        request.sent += bytes;
        current.bytesSent += bytes;
        addRange(current.ranges, start, Math.min(end, start + request.sent - 1), this.#maxRanges);
        viewer.lastActive = this.#now();
        this.#notify(viewer, path);
      },
      finish: (aborted) => {
        if (request.state !== "streaming") return;
        request.state = aborted ? "aborted" : "done";
        viewer.lastActive = this.#now();
        this.#notify(viewer, path);
      },
    };
  }

  /** The activity of one viewer on one file, or undefined. */
  activity(viewerId: string, path: string): FileActivity | undefined {
    return this.#viewers.get(viewerId)?.files.get(path);
  }

  /** Every file one viewer has activity on, least recent first. */
  snapshot(viewerId: string): FileActivity[] {
    return [...(this.#viewers.get(viewerId)?.files.values() ?? [])];
  }

  /**
   * Calls `listener` whenever the viewer's activity changes. Returns the
   * unsubscribe function. A viewer with listeners does not expire while idle,
   * but can still be evicted when `maxViewers` is exceeded; its listeners
   * then receive nothing more.
   */
  subscribe(viewerId: string, listener: ActivityListener): () => void {
    const viewer = this.#viewer(viewerId, true);
    if (!viewer) return () => {};
    viewer.listeners.add(listener);
    return () => {
      viewer.listeners.delete(listener);
      viewer.lastActive = this.#now();
    };
  }

  #viewer(id: string, create: boolean): Viewer | undefined {
    if (!ViewerTracker.isViewerId(id)) return undefined;
    const now = this.#now();
    this.#sweep(now);
    let viewer = this.#viewers.get(id);
    if (viewer) {
      this.#viewers.delete(id);
    } else if (create) {
      viewer = { lastActive: now, nextId: 1, files: new Map(), listeners: new Set() };
    } else {
      return undefined;
    }
    viewer.lastActive = now;
    this.#viewers.set(id, viewer);
    while (this.#viewers.size > this.#maxViewers) {
      const oldest = this.#viewers.keys().next().value!;
      this.#viewers.get(oldest)!.listeners.clear();
      this.#viewers.delete(oldest);
    }
    return viewer;
  }

  // Sweeping on use instead of on a timer: no interval keeps the process alive.
  #sweep(now: number): void {
    if (now - this.#lastSweep < Math.min(this.#idleMs, 10_000)) return;
    this.#lastSweep = now;
    for (const [id, viewer] of this.#viewers) {
      if (viewer.listeners.size === 0 && now - viewer.lastActive > this.#idleMs) this.#viewers.delete(id);
    }
  }

  #notify(viewer: Viewer, path: string): void {
    for (const listener of [...viewer.listeners]) {
      try {
        listener([path]);
      } catch {
        // One broken listener must not stop the response that is being recorded.
      }
    }
  }
}

/**
 * Adds `[start, end]` to a sorted list of disjoint inclusive ranges, merging
 * overlapping and adjacent ones; beyond `max` entries the two closest
 * neighbours are joined, so the list stays bounded at a small loss of detail.
 *
 * @example
 * ```ts ignore
 * import { addRange } from "@ranged/video";
 * const ranges: Array<[number, number]> = [[0, 9]];
 * addRange(ranges, 10, 19);
 * console.log(ranges); // [[0, 19]]
 * ```
 */
export function addRange(ranges: Array<[number, number]>, start: number, end: number, max = Infinity): void {
  if (end < start) return;
  let i = 0;
  while (i < ranges.length && ranges[i][1] < start - 1) i++;
  let j = i;
  let s = start;
  let e = end;
  while (j < ranges.length && ranges[j][0] <= end + 1) {
    s = Math.min(s, ranges[j][0]);
    e = Math.max(e, ranges[j][1]);
    j++;
  }
  ranges.splice(i, j - i, [s, e]);
  while (ranges.length > max) {
    let best = 0;
    for (let k = 1; k < ranges.length - 1; k++) {
      if (ranges[k + 1][0] - ranges[k][1] < ranges[best + 1][0] - ranges[best][1]) best = k;
    }
    ranges.splice(best, 2, [ranges[best][0], ranges[best + 1][1]]);
  }
}
