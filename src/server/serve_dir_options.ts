/**
 * The options of `serveDir`, apart so that routes can share them without
 * importing the server that runs them.
 *
 * @module
 */

import type { HandleVideoOptions } from "../http/handler.ts";
import type { ClipMode } from "../media/clip_select.ts";
import type { FaststartCache } from "../media/faststart.ts";
import type { DirFs } from "./dir_fs.ts";
import type { ViewerTrackerOptions } from "./viewer_ranges.ts";
import type { SignedUrlsOptions } from "./access_gate.ts";

export type { SignedUrlsOptions };

/** Options of {@linkcode serveDir}. */
export interface ServeDirOptions {
  /** File access. Required here; `@ranged/video/serve` supplies the node:fs one. */
  fs: DirFs;
  /** Serve names starting with `.`. Default false: they answer 404 and are not listed. */
  dotfiles?: boolean;
  /** Answer directories with the index page. Default true; false answers 404. */
  index?: boolean;
  /** Options for every file response (Cache-Control, CORS headers, chunk size...). */
  handler?: HandleVideoOptions;
  /** URL prefix of the built-in endpoints (the range events). Default `/__ranged`. */
  prefix?: string;
  /** Record ranges per viewer and serve the live map. Default true. */
  rangeMap?: boolean;
  /** Limits of the per-viewer range bookkeeping. */
  tracker?: ViewerTrackerOptions;
  /** Ends open event streams when aborted, so a server can shut down promptly. */
  signal?: AbortSignal;
  /** Called with unexpected errors (answered with 500). Default: `console.error`. */
  onError?: (error: unknown, req: Request) => void;
  /**
   * Limit each file response to about this many bytes per second, to watch
   * seeking fetch ranges as on a slow network. Off by default.
   */
  throttle?: number;
  /** Most entries an index lists. Default 2000. */
  maxIndexEntries?: number;
  /**
   * Serve MP4s (.mp4, .m4v, .m4a, .mov) whose `moov` index sits at the end
   * in faststart layout, rewritten on the fly at the same URL, so browsers
   * start playing without fetching the end first. Default true.
   */
  faststart?: boolean;
  /** Where faststart layouts are kept between requests. Default: a 32 MiB cache per serveDir. */
  faststartCache?: FaststartCache;
  /**
   * The open-file cache: for this many ms, a file's resolved real path, its
   * stat, its faststart decision and (with a `shareable` DirFs) its open
   * handle are reused by every request, so a burst of probes on one file
   * costs no lookups and no open. A file replaced, truncated or deleted
   * shows once the window has passed. 0 turns it off. Default 1000.
   */
  openFileCacheMs?: number;
  /**
   * HLS on the fly: `FILE.mp4/master.m3u8` for every MP4, and `DIR/master.m3u8`
   * for a folder whose MP4s are renditions of one video. Default true.
   */
  hls?: boolean;
  /** Target HLS segment duration in seconds. Default 6. */
  hlsSegmentDuration?: number;
  /**
   * Time-seek clips: `FILE.mp4?start=12.5&end=30` answers a small MP4 of that
   * part of the file (see `clip`), with `X-Content-Start` telling where it
   * really begins. Default true.
   */
  clip?: boolean;
  /** How clips start: on the keyframe at or before `start` (default), or `exact` with the pre-roll hidden. */
  clipMode?: ClipMode;
  /**
   * Require a signed, unexpired URL (see `signUrl`) for every request, the
   * built-in endpoints included: anything else answers 403, the same for a
   * file that exists and one that does not, HEAD and ranges alike. Pages
   * then mint links to what they show, valid until the request's own expiry.
   * Off by default.
   */
  signedUrls?: SignedUrlsOptions;
}
