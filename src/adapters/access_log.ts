/**
 * The CLI's access log, off the hot path: one line per request
 * (`METHOD PATH STATUS [range=…] [content-range=…]`, signatures hidden),
 * gathered in memory and written in batches — when a batch reaches
 * `maxBytes`, `intervalMs` after its first line, and at `close()` — instead
 * of one `console.log` (one write system call, on Node a synchronous one
 * to a pipe or file) per request.
 *
 * @module
 */

import process from "node:process";

/**
 * Where log lines go, and how one is recorded.
 *
 * @example
 * ```ts ignore
 * const log: AccessLog = accessLog();
 * await listen(serveDir("./videos"), { log });
 * ```
 */
export interface AccessLog {
  /** Records one answered request; `target` is the request path with its query. */
  record(method: string, target: string, status: number, range: string | null, contentRange: string | null): void;
  /** Writes what is gathered now. */
  flush(): void;
  /** Flushes, stops the timer, and resolves once the last batch is written. */
  close(): Promise<void>;
}

/** Options of {@linkcode accessLog}. */
export interface AccessLogOptions {
  /** Writes one batch of lines; calls `done` once written. Default: process.stdout. */
  write?: (text: string, done: () => void) => void;
  /** A batch is written once it holds this many characters. Default 16 KiB. */
  maxBytes?: number;
  /** ... or this long after its first line, so a quiet server's log stays current. Default 100 ms. */
  intervalMs?: number;
}

/**
 * A batched access log.
 *
 * @example
 * ```ts ignore
 * const log = accessLog();
 * log.record("GET", "/movie.mp4", 206, "bytes=0-1", "bytes 0-1/1000");
 * await log.close(); // "GET /movie.mp4 206 range=bytes=0-1 content-range=bytes 0-1/1000"
 * ```
 */
export function accessLog(options: AccessLogOptions = {}): AccessLog {
  const write = options.write ?? ((text, done) => void process.stdout.write(text, () => done()));
  const maxBytes = options.maxBytes ?? 16 * 1024;
  const intervalMs = options.intervalMs ?? 100;
  let batch = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Batches go out at once, in order (the stream keeps it); close() waits for the last.
  let pending = 0;
  let idle: (() => void) | undefined;
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (batch === "") return;
    const text = batch;
    batch = "";
    pending++;
    write(text, () => {
      if (--pending === 0) idle?.();
    });
  };
  return {
    record(method, target, status, range, contentRange) {
      batch += `${method} ${redactSignature(target)} ${status}${range ? ` range=${range}` : ""}${
        contentRange ? ` content-range=${contentRange}` : ""
      }\n`;
      if (batch.length >= maxBytes) flush();
      else if (timer === undefined) {
        timer = setTimeout(flush, intervalMs);
        (timer as { unref?: () => void }).unref?.();
      }
    },
    flush,
    close() {
      flush();
      return pending === 0 ? Promise.resolve() : new Promise<void>((resolve) => (idle = resolve));
    },
  };
}

/**
 * A target with its signature hidden: access logs are read by more people than links are.
 *
 * @example
 * ```ts ignore
 * redactSignature("/a.mp4?exp=1&sig=abc"); // "/a.mp4?exp=1&sig=…"
 * ```
 */
export function redactSignature(target: string): string {
  return target.includes("sig=") ? target.replace(/([?&]sig=)[^&]*/g, "$1…") : target;
}
