/**
 * The identity of a file version in the MP4 caches (faststart layouts,
 * sample indexes): its name, size and strong validator.
 *
 * @module
 */

import type { FileLike } from "../http/file_like.ts";

/**
 * `name \0 size \0 validator`, or `undefined` when the file has no strong
 * validator: only a strong one says "these exact bytes"; without it the same
 * name could hold different content, and a stale layout would corrupt it.
 */
export function cacheKey(file: FileLike): string | undefined {
  let validator = file.etag;
  const m = file.lastModified;
  if (validator === undefined && m !== undefined && Number.isFinite(m) && m >= 0) validator = `${m}`;
  if (validator === undefined || validator.startsWith("W/")) return undefined;
  return `${file.name ?? ""}\0${file.size}\0${validator}`;
}
