/**
 * serveDir: a folder of media over HTTP, on top of handleVideo. A request
 * path is checked as a string (`safe_path.ts`), resolved once under the root
 * with realpath containment (`resolve.ts`), then offered to a table of small
 * routes (`routes/`), the first that answers wins: a directory index, a
 * player page, the file itself. The built-in endpoints (the range events)
 * live under their own prefix and resolve no path.
 *
 * Runtime-neutral: all file access goes through the injected {@linkcode DirFs}.
 *
 * @module
 */

import { FileNotFoundError } from "../http/errors.ts";
import { unsupportedMethod } from "../http/method_check.ts";
import { requestUrl } from "../http/request_target.ts";
import { createFaststartCache, faststart } from "../media/faststart.ts";
import { resolveTarget, rootResolver } from "./resolve.ts";
import { cachedDirFs } from "./path_cache.ts";
import { DEFAULT_OPEN_FILE_CACHE_MS, OpenFileCache } from "./open_file_cache.ts";
import { notFound, text } from "./responses.ts";
import type { BuiltinRoute, DirAnswer, DirRequest, Route, ServeContext } from "./route.ts";
import { fileResponse, isFileAnswer } from "./file_answer.ts";
import { clipLinkRoute } from "./routes/clip_link.ts";
import { directoryRoute } from "./routes/directory.ts";
import { eventsRoute } from "./routes/events.ts";
import { fileRoute } from "./routes/file.ts";
import { hlsRoute } from "./routes/hls.ts";
import { playerRoute } from "./routes/player.ts";
import { parseRequestPath } from "./safe_path.ts";
import type { ServeDirOptions } from "./serve_dir_options.ts";
import { ViewerTracker } from "./viewer_ranges.ts";
import { accessGate, forbidden } from "./access_gate.ts";
import type { DirFs } from "./dir_fs.ts";

export type { DirAnswer, DirRequest, ServeDirOptions };
export type { FileAnswer } from "./file_answer.ts";

/**
 * The directory server's routing on a request head: the answer to a
 * {@linkcode DirRequest}, a `Response` or a {@linkcode FileAnswer} for the
 * server's own writer. Never throws: unexpected errors answer 500.
 *
 * @example
 * ```ts ignore
 * const { route } = serveDir("./videos", { fs: nodeDirFs });
 * const answer = await route({ method: "GET", header: () => null, url: new URL("http://x/a.mp4"), request });
 * ```
 */
export type DirRouter = (head: DirRequest) => Promise<DirAnswer>;

/**
 * A Fetch handler, as `Deno.serve` and `Bun.serve` take, that also exposes
 * its routing as `route`, so a node:http server (`listen`) can answer file
 * responses without building Fetch objects.
 *
 * @example
 * ```ts ignore
 * const handler: ServeDirHandler = serveDir("./videos", { fs: nodeDirFs });
 * Deno.serve(handler);
 * ```
 */
export type ServeDirHandler = ((req: Request) => Promise<Response>) & {
  /** The same server's routing on a request head (see {@linkcode DirRouter}). */
  readonly route: DirRouter;
};

const FASTSTART_LIKE = /\.(mp4|m4v|m4a|mov)$/i;

/** Routes under the built-in prefix, in order. */
const BUILTIN_ROUTES: readonly BuiltinRoute[] = [eventsRoute];
/** Routes for paths under the root, in order: the first that answers wins. */
const ROUTES: readonly Route[] = [directoryRoute, playerRoute, clipLinkRoute, fileRoute, hlsRoute];

/**
 * Serves the directory `root`: files with full range and conditional
 * semantics (via {@linkcode handleVideo}), directories as an HTML index with
 * a player per media file, `FILE?player` as a player page with a live map
 * of the byte ranges sent, and `/__ranged/events?viewer=ID` as the
 * Server-Sent Events feed of that map.
 *
 * With `signedUrls`, every request needs a signed, unexpired URL (see
 * `signUrl`); others answer 403 before the path is even looked at.
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
  const route = dirRouter(root, options);
  const onError = options.onError ?? ((err) => console.error(err));
  const handler = async (req: Request) => {
    const unsupported = unsupportedMethod(req.method, ["GET", "HEAD"]);
    if (unsupported) return unsupported;
    const url = requestUrl(req);
    if (url === undefined) return text(400, "Bad Request");
    const answer = await route({
      method: req.method,
      header: (name) => req.headers.get(name),
      url,
      request: () => req,
    });
    if (!isFileAnswer(answer)) return answer;
    try {
      return fileResponse(req, answer);
    } catch (err) {
      onError(err, req);
      return text(500, "Internal Server Error");
    }
  };
  return Object.assign(handler, { route });
}

/** The routing of {@linkcode serveDir}, on a request head whose method is GET or HEAD. */
function dirRouter(root: string, options: ServeDirOptions): DirRouter {
  const ctx = serveContext(root, options);
  const onError = options.onError ?? ((err) => console.error(err));
  return async (head) => {
    try {
      return await routeHead(head, ctx) ?? notFound();
    } catch (err) {
      if (err instanceof FileNotFoundError) return notFound();
      onError(err, head.request());
      return text(500, "Internal Server Error");
    }
  };
}

async function routeHead(head: DirRequest, ctx: ServeContext): Promise<DirAnswer | undefined> {
  const url = head.url;
  // Before any route and any file-system call: a refusal costs the same
  // and says the same whether or not the path exists.
  const grant = ctx.access ? await ctx.access.check(url) : undefined;
  if (ctx.access && !grant) return forbidden();
  if (url.pathname === ctx.prefix || url.pathname.startsWith(ctx.prefix + "/")) {
    for (const route of BUILTIN_ROUTES) {
      const res = await route(head, url, ctx);
      if (res) return res;
    }
    return undefined;
  }
  const parsed = parseRequestPath(url.pathname, { dotfiles: ctx.options.dotfiles });
  if (!parsed.ok) return text(parsed.status, parsed.status === 400 ? "Bad Request" : "Not Found");
  const target = await resolveTarget(ctx.fs, ctx.resolver, parsed.segments, parsed.trailingSlash);
  if (target === undefined) return undefined;
  const request = { head, url, target, grant };
  for (const route of ROUTES) {
    // A route that passes answers at once: awaiting its `undefined` would cost a turn each.
    const pending = route(request, ctx);
    const answer = pending instanceof Promise ? await pending : pending;
    if (answer) return answer;
  }
  return undefined;
}

/** What the routes of one serveDir share: file access, caches, the range map. */
function serveContext(root: string, options: ServeDirOptions): ServeContext {
  const validityMs = options.openFileCacheMs ?? DEFAULT_OPEN_FILE_CACHE_MS;
  const paths = cachedDirFs(options.fs, { validityMs });
  const files = validityMs > 0 && options.fs.shareable
    ? new OpenFileCache((path, name) => options.fs.open(path, name), { validityMs })
    : undefined;
  if (files) options.signal?.addEventListener("abort", () => files.close(), { once: true });
  // Clips and HLS open the original file through `fs` too: they share the cached files.
  const fs: DirFs = files ? { ...paths, open: (path, name) => files.open(path, name ?? path) } : paths;
  const layouts = options.faststart === false ? undefined : options.faststartCache ?? createFaststartCache();
  const prefix = (options.prefix ?? "/__ranged").replace(/\/+$/, "");
  return {
    fs,
    options,
    prefix,
    tracker: options.rangeMap === false ? undefined : new ViewerTracker(options.tracker),
    resolver: rootResolver(fs, root, options.dotfiles ?? false),
    access: options.signedUrls ? accessGate(options.signedUrls) : undefined,
    async openServed(real, name) {
      const file = await fs.open(real, name);
      return layouts && FASTSTART_LIKE.test(name) ? await faststart(file, { cache: layouts, key: real }) : file;
    },
    pageContext(segments) {
      const viewer = crypto.randomUUID().replaceAll("-", "");
      return { viewer, events: `${prefix}/events?viewer=${viewer}`, nonce: crypto.randomUUID(), segments };
    },
  };
}
