/**
 * serveDir: a folder of media over HTTP, on top of handleVideo. Requests go
 * through two walls against escaping the root (string checks on the decoded
 * path in `safe_path.ts`, then realpath containment here, which also covers
 * symlinks), and directories answer an index page with a player per file.
 *
 * Runtime-neutral: all file access goes through the injected {@linkcode DirFs}.
 *
 * @module
 */

import type { DirFs } from "./dir_fs.ts";
import { FileNotFoundError } from "../http/errors.ts";
import { handleVideo, type HandleVideoOptions } from "../http/handler.ts";
import { contentTypeFor } from "../http/media_types.ts";
import { unsupportedMethod } from "../http/method_check.ts";
import { requestUrl } from "../http/request_target.ts";
import { readTopLevelBoxes } from "../media/boxes.ts";
import { createFaststartCache, faststart, type FaststartCache, isFaststart } from "../media/faststart.ts";
import {
  mediaKind,
  type PageBox,
  type PageContext,
  type PageDir,
  type PageFile,
  renderIndexPage,
  renderPlayerPage,
} from "./player_page.ts";
import { rangeEventsResponse } from "./range_events.ts";
import { coalesceRanges, parseRange } from "../http/range.ts";
import { encodePath, parseRequestPath } from "./safe_path.ts";
import { throttleBody } from "./throttle.ts";
import { trackBody } from "./tracked_body.ts";
import { ViewerTracker, type ViewerTrackerOptions } from "./viewer_ranges.ts";

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
}

/** A Fetch handler, as `Deno.serve` and `Bun.serve` take. */
export type ServeDirHandler = (req: Request) => Promise<Response>;

const MP4_LIKE = /\.(mp4|m4v|m4a|mov|3gp)$/i;
const FASTSTART_LIKE = /\.(mp4|m4v|m4a|mov)$/i;
const MAX_SCANNED = 64;

/**
 * Serves the directory `root`: files with full range and conditional
 * semantics (via {@linkcode handleVideo}), directories as an HTML index with
 * a player per media file, `FILE?player` as a player page with a live map
 * of the byte ranges sent, and `/__ranged/events?viewer=ID` as the
 * Server-Sent Events feed of that map.
 *
 * Nothing outside `root` is ever served: hostile paths (`..`, encoded
 * slashes, backslashes, NUL) answer 404, and so does a symlink whose target
 * lies outside the root.
 *
 * @example Deno, with the node:fs DirFs (what `@ranged/video/serve` exports ready-made)
 * ```ts ignore
 * import { serveDir } from "@ranged/video";
 * import { nodeDirFs } from "@ranged/video/fs-dir";
 * Deno.serve(serveDir("./videos", { fs: nodeDirFs }));
 * ```
 */
export function serveDir(root: string, options: ServeDirOptions): ServeDirHandler {
  const fs = options.fs;
  const prefix = (options.prefix ?? "/__ranged").replace(/\/+$/, "");
  const tracker = options.rangeMap === false ? undefined : new ViewerTracker(options.tracker);
  const onError = options.onError ?? ((err) => console.error(err));
  const maxEntries = options.maxIndexEntries ?? 2000;
  const base = root.replace(/[\\/]+$/, "") || "/";
  const layouts = options.faststart === false ? undefined : options.faststartCache ?? createFaststartCache();

  /** Opens a file as served: in faststart layout when that applies (never throws for the file's content). */
  async function openServed(real: string, name: string) {
    const file = await fs.open(real, name);
    return layouts && FASTSTART_LIKE.test(name) ? await faststart(file, { cache: layouts, key: real }) : file;
  }
  let rootReal: Promise<string> | undefined;
  const realRoot = () => {
    // Resolved once, lazily; a failure is retried on the next request.
    rootReal ??= fs.realpath(base).catch((err) => {
      rootReal = undefined;
      throw err;
    });
    return rootReal;
  };

  /** The real path of `segments` under the root, or undefined when it is missing or escapes. */
  async function resolve(segments: readonly string[]): Promise<string | undefined> {
    const top = await realRoot();
    const joined = segments.length ? `${base === "/" ? "" : base}/${segments.join("/")}` : base;
    let real: string;
    try {
      real = await fs.realpath(joined);
    } catch (err) {
      if (err instanceof FileNotFoundError) return undefined;
      throw err;
    }
    const inside = relativeInside(top, real);
    if (inside === undefined) return undefined;
    // A link inside the root may still point at a dotfile inside it.
    if (!options.dotfiles && inside.some((s) => s.startsWith("."))) return undefined;
    return real;
  }

  return async (req) => {
    try {
      const unsupported = unsupportedMethod(req.method, ["GET", "HEAD"]);
      if (unsupported) return unsupported;
      const url = requestUrl(req);
      if (url === undefined) return text(400, "Bad Request");
      if (url.pathname === prefix || url.pathname.startsWith(prefix + "/")) return builtin(req, url);
      const parsed = parseRequestPath(url.pathname, { dotfiles: options.dotfiles });
      if (!parsed.ok) return text(parsed.status, parsed.status === 400 ? "Bad Request" : "Not Found");
      const real = await resolve(parsed.segments);
      if (real === undefined) return notFound();
      const st = await fs.stat(real);
      if (st.isDirectory) {
        if (options.index === false) return notFound();
        if (!parsed.trailingSlash) {
          const location = encodePath(parsed.segments, true) + url.search;
          return new Response(null, { status: 301, headers: { location, "content-length": "0" } });
        }
        return await indexPage(req, real, parsed.segments);
      }
      if (!st.isFile || parsed.trailingSlash) return notFound();
      const name = parsed.segments[parsed.segments.length - 1];
      const path = encodePath(parsed.segments);
      if (url.searchParams.has("player")) return await playerPage(req, real, name, path, st.size, parsed.segments);
      const file = await openServed(real, name);
      const size = file.size;
      let res = handleVideo(req, file, options.handler);
      if (options.throttle && options.throttle > 0 && res.body) {
        res = new Response(throttleBody(res.body, options.throttle), res);
      }
      const viewer = url.searchParams.get("viewer");
      return tracker && ViewerTracker.isViewerId(viewer) ? track(req, res, viewer, path, size) : res;
    } catch (err) {
      if (err instanceof FileNotFoundError) return notFound();
      onError(err, req);
      return text(500, "Internal Server Error");
    }
  };

  function builtin(req: Request, url: URL): Response {
    const viewer = url.searchParams.get("viewer");
    if (url.pathname !== `${prefix}/events` || !tracker || !ViewerTracker.isViewerId(viewer)) return notFound();
    // AbortSignal.any holds its sources weakly: no listener piles up on the long-lived server signal.
    const signal = options.signal ? AbortSignal.any([req.signal, options.signal]) : req.signal;
    const res = rangeEventsResponse(tracker, viewer, { signal });
    if (req.method === "HEAD") {
      res.body?.cancel();
      return new Response(null, { headers: res.headers });
    }
    return res;
  }

  function context(segments: readonly string[]): PageContext {
    const viewer = crypto.randomUUID().replaceAll("-", "");
    return { viewer, events: `${prefix}/events?viewer=${viewer}`, nonce: crypto.randomUUID(), segments };
  }

  async function describe(real: string, name: string, path: string, size: number, scan: boolean): Promise<PageFile> {
    const type = contentTypeFor(name) ?? "application/octet-stream";
    let boxes: PageBox[] | undefined;
    let fast = false;
    if (scan && MP4_LIKE.test(name)) {
      const file = await openServed(real, name).catch(() => undefined);
      if (file) {
        try {
          fast = isFaststart(file);
          size = file.size;
          boxes = (await readTopLevelBoxes(file, { maxBoxes: 64 })).map(({ type, start, size }) => ({
            type,
            start,
            size,
          }));
        } catch {
          // A file that fails to read or parse is still listed, just without its layout.
        } finally {
          await Promise.resolve(file.close?.()).catch(() => {});
        }
      }
    }
    return { name, path, size, type, boxes, faststart: fast };
  }

  async function indexPage(req: Request, dir: string, segments: readonly string[]): Promise<Response> {
    const entries = (await fs.readDir(dir))
      .filter((e) => options.dotfiles || !e.name.startsWith("."))
      .sort((a, b) => a.name.localeCompare(b.name))
      .slice(0, maxEntries);
    const files: PageFile[] = [];
    const dirs: PageDir[] = [];
    let scanned = 0;
    for (const entry of entries) {
      const childSegments = [...segments, entry.name];
      // Symlinks are listed only when they resolve inside the root, like requests.
      const real = entry.isSymlink ? await resolve(childSegments).catch(() => undefined) : `${dir}/${entry.name}`;
      if (real === undefined) continue;
      const st = entry.isSymlink ? await fs.stat(real).catch(() => undefined) : undefined;
      const isDir = st ? st.isDirectory : entry.isDirectory;
      const isFile = st ? st.isFile : entry.isFile;
      if (isDir) dirs.push({ name: entry.name, path: encodePath(childSegments, true) });
      else if (isFile) {
        const size = st?.size ?? (await fs.stat(real).catch(() => undefined))?.size;
        if (size === undefined) continue;
        const media = mediaKind(contentTypeFor(entry.name) ?? "") !== undefined;
        files.push(await describe(real, entry.name, encodePath(childSegments), size, media && scanned++ < MAX_SCANNED));
      }
    }
    const ctx = context(segments);
    return html(req, renderIndexPage(ctx, files, dirs), ctx.nonce);
  }

  async function playerPage(
    req: Request,
    real: string,
    name: string,
    path: string,
    size: number,
    segments: readonly string[],
  ): Promise<Response> {
    const ctx = context(segments.slice(0, -1));
    return html(req, renderPlayerPage(ctx, await describe(real, name, path, size, true)), ctx.nonce);
  }

  /** Wraps a file response so the bytes it actually sends reach the viewer's map. */
  function track(req: Request, res: Response, viewer: string, path: string, size: number): Response {
    if (req.method !== "GET" || res.body === null || (res.status !== 200 && res.status !== 206)) return res;
    let spans = [{ start: 0, end: size - 1 }];
    const contentRange = res.headers.get("content-range");
    const single = contentRange && /^bytes (\d+)-(\d+)\//.exec(contentRange);
    if (single) spans = [{ start: Number(single[1]), end: Number(single[2]) }];
    else if (res.status === 206) {
      // multipart/byteranges: the parts are the coalesced request ranges; marked when the body ends.
      const parsed = parseRange(req.headers.get("range") ?? "", size);
      if (parsed.type === "ranges") spans = coalesceRanges(parsed.ranges);
    }
    const recorders = spans.map((s) => tracker!.begin(viewer, path, size, res.status, s.start, s.end));
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
  }
}

/** `real` relative to `root` as segments, or undefined when it lies outside. */
function relativeInside(root: string, real: string): string[] | undefined {
  // Compare with `/` only, so Windows paths from node:fs behave like POSIX ones.
  const r = root.replaceAll("\\", "/").replace(/\/+$/, "");
  const p = real.replaceAll("\\", "/");
  if (p === r) return [];
  if (!p.startsWith(r + "/")) return undefined;
  return p.slice(r.length + 1).split("/").filter((s) => s !== "");
}

function html(req: Request, body: string, nonce: string): Response {
  const bytes = new TextEncoder().encode(body);
  const headers = {
    "content-type": "text/html; charset=utf-8",
    "content-length": String(bytes.length),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    // Even if a file name slipped past escaping, no script without the nonce would run.
    "content-security-policy": `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; ` +
      `media-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'`,
  };
  return new Response(req.method === "HEAD" ? null : bytes, { headers });
}

function text(status: number, message: string): Response {
  return new Response(message, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" },
  });
}

function notFound(): Response {
  return text(404, "Not Found");
}
