/**
 * Bounded retries with exponential backoff for idempotent reads from a
 * remote source, cut short by an AbortSignal.
 *
 * @module
 */

import { RangedError } from "../http/errors.ts";
import { OriginError } from "./origin_errors.ts";

/**
 * Whether a failed read is worth sending again: an {@linkcode OriginError}
 * says so itself, other ranged errors (a missing file) are final; anything else (a `TypeError` from `fetch`, a reset
 * connection, a binding error) is a network failure and is retried, unless
 * the read was aborted on purpose.
 *
 * @example
 * ```ts ignore
 * import { isRetryable, OriginError } from "@ranged/video";
 * console.log(isRetryable(new TypeError("fetch failed"))); // true
 * console.log(isRetryable(new OriginError("403", { status: 403 }))); // false
 * ```
 */
export function isRetryable(err: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return false;
  if (err instanceof OriginError) return err.retryable;
  // Our own verdicts (not found, invalid file) do not change on a second try.
  if (err instanceof RangedError) return false;
  return !(err instanceof DOMException && err.name === "AbortError");
}

/**
 * The wait before retry number `attempt` (1-based): `base`, then doubling,
 * at most 5 s, with ±25% jitter so instances that failed together do not
 * retry together.
 *
 * @example
 * ```ts ignore
 * import { backoffDelay } from "@ranged/video";
 * console.log(backoffDelay(3, 100)); // about 400
 * ```
 */
export function backoffDelay(attempt: number, base: number): number {
  const plain = Math.min(5000, base * 2 ** (attempt - 1));
  return plain * (0.75 + Math.random() * 0.5);
}

/**
 * Resolves after `ms`, or rejects with the signal's reason as soon as it aborts.
 *
 * @example
 * ```ts ignore
 * import { sleep } from "@ranged/video";
 * await sleep(1);
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Options of {@linkcode withRetries}. */
export interface RetryOptions {
  /** How many times a failed attempt is repeated. Default 2 (three attempts). */
  retries?: number;
  /** First backoff in ms; doubles per retry. Default 100. */
  backoff?: number;
  /** Stops retrying, and the wait between attempts, when it aborts. */
  signal?: AbortSignal;
}

/**
 * Runs `attempt` and repeats it after a backoff while it fails with a
 * retryable error (see {@linkcode isRetryable}), at most `retries` times.
 *
 * @example
 * ```ts ignore
 * import { withRetries } from "@ranged/video";
 * let calls = 0;
 * const value = await withRetries(async () => {
 *   if (++calls < 2) throw new TypeError("network down");
 *   return "ok";
 * }, { backoff: 1 });
 * console.log(value, calls); // "ok" 2
 * ```
 */
export async function withRetries<T>(attempt: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const retries = options.retries ?? 2;
  for (let n = 0;; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (n >= retries || !isRetryable(err, options.signal)) throw err;
      await sleep(backoffDelay(n + 1, options.backoff ?? 100), options.signal);
    }
  }
}
