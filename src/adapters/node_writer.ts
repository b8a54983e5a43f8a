/**
 * The node:http writer: carries out {@linkcode planResponse}'s answer on a
 * node `ServerResponse` directly — no `Request`, `Headers`, `Response` or
 * `ReadableStream` (undici objects that cost Node more per request than the
 * answer itself). File spans are read with `FileLike.read` into pooled
 * buffers, at most two in flight per response, each reused once the socket
 * has flushed it; a client that goes away stops the reads and the file is
 * closed once the read in flight settles.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { setImmediate } from "node:timers";
import { FileNotFoundError, FileTruncatedError } from "../http/errors.ts";
import type { FileLike } from "../http/file_like.ts";
import { closeQuietly, type HandleVideoOptions } from "../http/handler.ts";
import type { BodySegment } from "../http/multipart.ts";
import type { ByteRange } from "../http/range.ts";
import { fileSpans, planResponse } from "../http/plan.ts";
import { firstReadSize } from "../http/read_pacer.ts";
import { readSmallSpan } from "../http/sync_read.ts";
import { type BodyTracking, type FileAnswer, THROTTLE_SLICE } from "../server/file_answer.ts";
import { giveBuffer, takeBuffer } from "./buffer_pool.ts";
import { headerOf } from "./node_request_head.ts";
import { ResponseFlow } from "./response_flow.ts";

/**
 * Answers a node:http request for `file` with the same RFC 9110 semantics
 * as {@linkcode handleVideo}, written straight to `res`. Resolves when the
 * response is complete or the client has gone; it owns `file` and closes it
 * exactly once. Rejects (after closing the file, before writing anything)
 * only for a FileLike that breaks its contract (`InvalidFileError`).
 *
 * @example
 * ```ts ignore
 * import { createServer } from "node:http";
 * import { openFile } from "@ranged/video/fs";
 * import { writeVideo } from "@ranged/video/node";
 * createServer(async (req, res) => writeVideo(req, res, await openFile("movie.mp4"))).listen(8000);
 * ```
 */
export function writeVideo(
  req: IncomingMessage,
  res: ServerResponse,
  file: FileLike,
  options: HandleVideoOptions = {},
): Promise<void> {
  return writeFileAnswer(req, res, { file, options });
}

/** What the directory server's node:http path adds to {@linkcode writeVideo}. */
export interface WriteHooks {
  /** Called with the status and header lines right after they are handed to `res` (the access log). */
  onHead?: (status: number, headers: readonly [string, string][]) => void;
}

/**
 * {@linkcode writeVideo} for a directory server's {@linkcode FileAnswer}:
 * the same plan and writer, with the answer's pacing (`throttle`) and
 * progress tracking (the live range map) done on the node response itself.
 *
 * @example
 * ```ts ignore
 * const answer = await serveDirHandler.route(head);
 * if (isFileAnswer(answer)) await writeFileAnswer(req, res, answer);
 * ```
 */
export async function writeFileAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  answer: FileAnswer,
  hooks: WriteHooks = {},
): Promise<void> {
  const { file, options } = answer;
  let plan;
  try {
    plan = planResponse({ method: req.method ?? "GET", header: (name) => headerOf(req, name) }, file, options);
  } catch (err) {
    closeQuietly(file);
    throw err;
  }
  if (res.destroyed) {
    closeQuietly(file);
    return;
  }
  const head: Record<string, string | string[]> = {};
  for (const [name, value] of plan.headers) {
    if (name === "set-cookie") ((head[name] ??= []) as string[]).push(value);
    else head[name] = value;
  }
  res.writeHead(plan.status, head);
  hooks.onHead?.(plan.status, plan.headers);
  const body = plan.body;
  let tracking: BodyTracking | undefined;
  if (body !== null) {
    const status = plan.status as 200 | 206;
    options.onSend?.(fileSpans(body), status);
    tracking = answer.watch?.(fileSpans(body), status);
  }
  if (body === null || body.length === 0) {
    res.end();
    tracking?.onEnd(false);
    closeQuietly(file);
    return;
  }
  const throttle = answer.throttle && answer.throttle > 0 ? answer.throttle : undefined;
  // A paced body goes out slice by slice, so only an unpaced one is read at once.
  const [only] = body;
  const small = body.length === 1 && !throttle && !("bytes" in only) ? readSmallSpan(file, only) : undefined;
  if (small) {
    // Answered on the check phase, once the poll phase has read every
    // request that was ready: a burst's answers then go out in one turn of
    // the loop instead of one turn each (the CLI on Node: 2-byte probes at
    // 28-30k per second against 15k when answered at once).
    await new Promise((resolve) => setImmediate(resolve));
    const gone = res.destroyed;
    if (!gone) {
      tracking?.onChunk(small.length);
      res.end(small);
    }
    tracking?.onEnd(gone);
    closeQuietly(file);
    return;
  }
  let complete = false;
  try {
    const chunkSize = throttle ? THROTTLE_SLICE : options.chunkSize;
    complete = await sendSegments(res, file, body, chunkSize, {
      tracking,
      pace: throttle ? pacer(throttle) : undefined,
    });
  } catch {
    // The file broke mid-body (truncated, I/O error): cut the connection so
    // the client sees an incomplete response, never a silently short one.
    res.destroy();
  } finally {
    tracking?.onEnd(!complete);
    closeQuietly(file);
  }
}

/**
 * A pace of `bytesPerSecond`: resolves when `n` more bytes may go, as
 * `throttleBody` does for Fetch bodies.
 */
function pacer(bytesPerSecond: number): (n: number) => Promise<void> {
  let next = Date.now();
  return async (n) => {
    const wait = next - Date.now();
    if (wait > 0) await new Promise<void>((resolve) => setTimeout(resolve, wait));
    next = Math.max(next, Date.now()) + (n / bytesPerSecond) * 1000;
  };
}

/** Opens the FileLike a request asks for; throw `FileNotFoundError` for "no such file". */
export type OpenForRequest = (req: IncomingMessage) => FileLike | Promise<FileLike>;

/** Express/Connect-style `next`: no argument to pass the request on, an error to report one. */
export type NextFunction = (err?: unknown) => unknown;

/**
 * A node:http request listener that is also `(req, res, next)` middleware:
 * `open` picks the file, {@linkcode writeVideo} answers. When `open` throws
 * `FileNotFoundError`, it calls `next()` (the next middleware decides), or
 * answers 404 when there is no `next`; any other error goes to `next(err)`,
 * or answers 500.
 *
 * @example node:http and Express
 * ```ts ignore
 * import { createServer } from "node:http";
 * import express from "express";
 * import { openFile } from "@ranged/video/fs";
 * import { videoHandler } from "@ranged/video/node";
 * const video = videoHandler(() => openFile("movie.mp4"));
 * createServer(video).listen(8000);
 * express().get("/movie.mp4", video).listen(8001);
 * ```
 *
 * @example Fastify and Koa: hand over the raw objects
 * ```ts ignore
 * fastify.get("/movie.mp4", (request, reply) => { reply.hijack(); return video(request.raw, reply.raw); });
 * koa.use((ctx, next) => { ctx.respond = false; return video(ctx.req, ctx.res, next); });
 * ```
 */
export function videoHandler(
  open: OpenForRequest,
  options: HandleVideoOptions = {},
): (req: IncomingMessage, res: ServerResponse, next?: NextFunction) => Promise<void> {
  return async (req, res, next) => {
    let file: FileLike;
    try {
      file = await open(req);
    } catch (err) {
      if (next) return void await next(err instanceof FileNotFoundError ? undefined : err);
      if (!(err instanceof FileNotFoundError)) console.error(err);
      if (!res.headersSent) res.writeHead(err instanceof FileNotFoundError ? 404 : 500, { "content-length": "0" });
      res.end();
      return;
    }
    try {
      await writeVideo(req, res, file, options);
    } catch (err) {
      if (next) return void await next(err);
      console.error(err);
      if (!res.headersSent) res.writeHead(500, { "content-length": "0" });
      res.end();
    }
  };
}

/**
 * Writes the segments in order and ends the response with the last bytes.
 * Resolves true when every byte was handed to the socket, false when the
 * client went away first; rejects when the file ends early or a read fails.
 */
async function sendSegments(
  res: ServerResponse,
  file: FileLike,
  segments: readonly BodySegment[],
  fixed: number | undefined,
  extra: { tracking?: BodyTracking; pace?: (n: number) => Promise<void> } = {},
): Promise<boolean> {
  const { tracking, pace } = extra;
  const first = segments.find((s) => !("bytes" in s)) as ByteRange | undefined;
  const span = first ? first.end - first.start + 1 : 0;
  const flow = new ResponseFlow(
    res,
    fixed ?? firstReadSize(segments.length === 1 ? span : 0),
    fixed === undefined,
  );
  try {
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i];
      const lastSegment = i === segments.length - 1;
      if ("bytes" in seg) {
        while (flow.blocked()) await flow.wait();
        await pace?.(seg.bytes.length);
        if (flow.gone) return false;
        tracking?.onChunk(seg.bytes.length);
        if (lastSegment) res.end(seg.bytes);
        else res.write(seg.bytes);
        continue;
      }
      let position = seg.start;
      while (position <= seg.end) {
        while (flow.blocked()) await flow.wait();
        const size = flow.pacer.size;
        const length = Math.min(size, seg.end - position + 1);
        if (pace) await pace(length);
        if (flow.gone) return false;
        const buf = takeBuffer(size);
        const view = length >= buf.length ? buf : buf.subarray(0, length);
        let n: number;
        try {
          n = await file.read(view, position);
        } catch (err) {
          giveBuffer(buf);
          throw err;
        }
        if (flow.gone || n <= 0) {
          giveBuffer(buf);
          if (flow.gone) return false;
          throw new FileTruncatedError(file.size, position);
        }
        position += n;
        tracking?.onChunk(n);
        flow.send(buf, n === view.length ? view : view.subarray(0, n), lastSegment && position > seg.end);
      }
    }
    return !flow.gone;
  } finally {
    flow.end();
  }
}
