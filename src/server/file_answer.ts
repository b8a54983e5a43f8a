/**
 * A file response decided by the directory server but not yet written: the
 * FileLike, the handler options, and what the body must do on the way out
 * (pacing for `throttle`, progress for the live range map). Each server's
 * writer carries it out — {@linkcode fileResponse} here as a Fetch
 * `Response`, the node:http writer in `src/adapters/node_writer.ts` with no
 * Fetch object at all — so the routing, the plan and the bookkeeping exist once.
 *
 * @module
 */

import type { FileLike } from "../http/file_like.ts";
import { handleVideo, type HandleVideoOptions } from "../http/handler.ts";
import type { ByteRange } from "../http/range.ts";
import { throttleBody } from "./throttle.ts";
import { type BodyTracking, trackBody } from "./tracked_body.ts";

export type { BodyTracking };

/**
 * A file to answer with, and how its body is to be paced and watched.
 *
 * @example
 * ```ts ignore
 * const answer: FileAnswer = { file: await openFile("movie.mp4"), options: { cacheControl: "max-age=60" } };
 * ```
 */
export interface FileAnswer {
  /** The file; the writer owns it from here and closes it exactly once. */
  readonly file: FileLike;
  /** Options for the plan (headers, `onSend`, chunk size...). */
  readonly options: HandleVideoOptions;
  /** Send the body at about this many bytes per second. */
  readonly throttle?: number;
  /**
   * Told the spans and status once the plan sends file bytes (as `onSend`
   * is); the tracking it returns sees every chunk handed to the runtime and
   * the end of the body.
   */
  readonly watch?: (spans: readonly ByteRange[], status: 200 | 206) => BodyTracking | undefined;
}

/** Slices a throttled body is sent in: small enough that the pace looks smooth. */
export const THROTTLE_SLICE = 16 * 1024;

/**
 * Whether `answer` is a {@linkcode FileAnswer} rather than a `Response`.
 *
 * @example
 * ```ts ignore
 * const answer = await handler.route(head);
 * const res = isFileAnswer(answer) ? fileResponse(req, answer) : answer;
 * ```
 */
export function isFileAnswer(answer: unknown): answer is FileAnswer {
  return typeof answer === "object" && answer !== null && "file" in answer && "options" in answer;
}

/**
 * The Fetch writer of a {@linkcode FileAnswer}: `handleVideo`'s `Response`,
 * its body paced and watched as the answer asks.
 *
 * @example
 * ```ts ignore
 * return fileResponse(req, { file, options: {} });
 * ```
 */
export function fileResponse(req: Request, answer: FileAnswer): Response {
  let tracking: BodyTracking | undefined;
  const { options, watch } = answer;
  let res = handleVideo(req, answer.file, {
    ...options,
    onSend: (spans, status) => {
      options.onSend?.(spans, status);
      tracking = watch?.(spans, status);
    },
  });
  const throttle = answer.throttle;
  if (throttle && throttle > 0 && res.body) {
    res = new Response(throttleBody(res.body, throttle, THROTTLE_SLICE), res);
  }
  if (!tracking || !res.body) return res;
  return new Response(trackBody(res.body, tracking), {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
}
