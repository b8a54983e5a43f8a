/**
 * The shape of the directory server's routes. `serveDir` resolves a request
 * path once (string checks, then realpath containment) and hands the result
 * to each route in turn; the first that answers wins. A route answers
 * `undefined` to pass. A new view of the files (HLS playlists, clips) is one
 * more route, not one more branch in a handler.
 *
 * @module
 */

import type { HeaderLookup } from "../http/conditional.ts";
import type { FileLike } from "../http/file_like.ts";
import type { FileAnswer } from "./file_answer.ts";
import type { DirFs } from "./dir_fs.ts";
import type { PageContext } from "./player_page.ts";
import type { RootResolver, Target } from "./resolve.ts";
import type { ServeDirOptions } from "./serve_dir_options.ts";
import type { ViewerTracker } from "./viewer_ranges.ts";
import type { AccessGate, Grant } from "./access_gate.ts";

/** What every route of one `serveDir` shares. */
export interface ServeContext {
  readonly fs: DirFs;
  readonly options: ServeDirOptions;
  /** URL prefix of the built-in endpoints, without a trailing slash. */
  readonly prefix: string;
  /** The live range map, when enabled. */
  readonly tracker: ViewerTracker | undefined;
  readonly resolver: RootResolver;
  /** Opens a file as served: in faststart layout when that applies (never throws for the file's content). */
  openServed(real: string, name: string): Promise<FileLike>;
  /** The signed-URL gate, when `signedUrls` is set. */
  readonly access: AccessGate | undefined;
  /** A fresh page context (viewer id, event stream URL, CSP nonce) for an HTML page. */
  pageContext(segments: readonly string[]): PageContext;
}

/**
 * What the directory server needs of a request: its method, a header lookup
 * and its URL. The Fetch `Request` is asked for only by routes that answer
 * with a `Response` (pages, playlists, events): on node:http it is built on
 * that first call, so a file response never makes one.
 *
 * @example The head of a Fetch request
 * ```ts ignore
 * const head: DirRequest = { method: req.method, header: (n) => req.headers.get(n), url: new URL(req.url), request: () => req };
 * ```
 */
export interface DirRequest {
  /** The request method, as sent. */
  readonly method: string;
  /** A header's value or `null`; names asked in lower case. */
  readonly header: HeaderLookup;
  /** The request URL, already checked (`requestUrl`, `targetUrl`). */
  readonly url: URL;
  /** The request as a Fetch `Request` (built once, on first call, where the server has none). */
  request(): Request;
}

/**
 * What a route answers: a Fetch `Response`, or a file for the writer of the server at hand to send.
 *
 * @example
 * ```ts ignore
 * const answer = await handler.route(head);
 * const res = isFileAnswer(answer) ? fileResponse(req, answer) : answer;
 * ```
 */
export type DirAnswer = Response | FileAnswer;

/** A request after its path was resolved under the root. */
export interface RouteRequest {
  readonly head: DirRequest;
  readonly url: URL;
  readonly target: Target;
  /** What the request's signature grants, when the server requires signed URLs. */
  readonly grant?: Grant;
}

/** One view of the files: answers the request, or `undefined` to let the next route try. */
export type Route = (
  request: RouteRequest,
  ctx: ServeContext,
) => DirAnswer | undefined | Promise<DirAnswer | undefined>;

/** A route under the built-in prefix (no file path is resolved for these). */
export type BuiltinRoute = (
  head: DirRequest,
  url: URL,
  ctx: ServeContext,
) => Response | undefined | Promise<Response | undefined>;

/** The plain file or directory a request names, when it names one exactly (no derived sub-path). */
export function exact(target: Target): "file" | "directory" | undefined {
  if (target.rest.length > 0) return undefined;
  if (target.stat.isDirectory) return "directory";
  return target.stat.isFile && !target.trailingSlash ? "file" : undefined;
}
