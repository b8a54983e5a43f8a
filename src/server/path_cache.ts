/**
 * A short-lived cache of what serveDir asks the file system about paths
 * (the metadata half of its open-file cache, `open_file_cache.ts` being the
 * other): realpath and stat results are reused for `validityMs`, so a burst
 * of probes on one file (what Safari sends first, what every seek costs) does
 * not repeat them. What may lag by up to `validityMs` is the path resolution
 * and the file-or-directory decision; no descriptor is ever held here.
 * Failures are not cached.
 *
 * @module
 */

import type { DirFs, PathStat } from "./dir_fs.ts";

/** Options of {@linkcode cachedDirFs}. */
export interface PathCacheOptions {
  /** How long a result is reused, in ms; 0 turns the cache off. */
  validityMs: number;
  /** Most paths remembered; the oldest go first. */
  maxEntries?: number;
  /** The clock, for tests. */
  now?: () => number;
}

/** Default bound: a few KiB per entry at most, whatever the request mix. */
export const DEFAULT_PATH_CACHE_ENTRIES = 1024;

/**
 * Wraps a {@linkcode DirFs} so `realpath` and `stat` results are reused for
 * `validityMs`; `open` and `readDir` pass through.
 *
 * @example
 * ```ts ignore
 * const fs = cachedDirFs(nodeDirFs, { validityMs: 1000 });
 * ```
 */
export function cachedDirFs(fs: DirFs, options: PathCacheOptions): DirFs {
  const { validityMs } = options;
  if (!(validityMs > 0)) return fs;
  const realpaths = new ExpiringMap<string>(options);
  const stats = new ExpiringMap<PathStat>(options);
  return {
    open: (path, name) => fs.open(path, name),
    readDir: (path) => fs.readDir(path),
    realpath: (path) => realpaths.get(path, () => fs.realpath(path)),
    stat: (path) => stats.get(path, () => fs.stat(path)),
  };
}

/** Promises of values by key, each kept `validityMs` from when it was asked; rejected ones dropped. */
class ExpiringMap<V> {
  readonly #entries = new Map<string, { at: number; value: Promise<V> }>();
  readonly #validityMs: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: PathCacheOptions) {
    this.#validityMs = options.validityMs;
    this.#max = Math.max(1, options.maxEntries ?? DEFAULT_PATH_CACHE_ENTRIES);
    this.#now = options.now ?? Date.now;
  }

  get(key: string, load: () => Promise<V>): Promise<V> {
    const now = this.#now();
    const hit = this.#entries.get(key);
    if (hit && now - hit.at < this.#validityMs) return hit.value;
    if (hit) this.#entries.delete(key);
    const value = load();
    const entry = { at: now, value };
    this.#entries.set(key, entry);
    // Failures are answered fresh next time (a file may appear at any moment).
    value.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    // Insertion order is age order: drop the oldest past the bound.
    while (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    return value;
  }
}
