/**
 * How many bytes the next read asks for. Pure, so the policy is tested
 * without timers.
 *
 * A fixed chunk size loses somewhere: 1 MiB chunks double a fast client's
 * throughput but make hundreds of slow viewers cost hundreds of MiB, 64 KiB
 * chunks the reverse. So the size follows the consumer's pace: each pull
 * measures how fast the previous chunk was taken and asks for what the
 * consumer drains in {@linkcode TARGET_MS}, within [min, max].
 *
 * @module
 */

/** Smallest adaptive read. */
export const MIN_CHUNK = 16 * 1024;
/** Largest adaptive read. */
export const MAX_CHUNK = 1024 * 1024;
/** First read of a body, before any pace is known. */
export const FIRST_CHUNK = 64 * 1024;
/** How much of the consumer's time one chunk should cover. */
export const TARGET_MS = 20;

/**
 * The next chunk size given the previous one and how long the consumer took
 * to ask again after it was produced.
 *
 * @example
 * ```ts ignore
 * import { nextChunkSize } from "@ranged/video";
 * nextChunkSize(65536, 0.1); // a fast consumer: grows (131072)
 * nextChunkSize(65536, 500); // a slow one: shrinks towards 16 KiB
 * ```
 */
export function nextChunkSize(previous: number, elapsedMs: number): number {
  // Grow at most 2x per step so one quick pull cannot jump to the maximum.
  const paced = !(elapsedMs > 0) ? previous * 2 : (previous / elapsedMs) * TARGET_MS;
  const bounded = Math.min(paced, previous * 2, MAX_CHUNK);
  return Math.max(MIN_CHUNK, Math.floor(bounded / 4096) * 4096);
}
