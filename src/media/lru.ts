/**
 * A small least-recently-used cache with a byte budget, for layouts that
 * are expensive to compute (a parsed and rewritten `moov`) but cheap to keep.
 *
 * @module
 */

/** Options of {@linkcode LruCache}. */
export interface LruCacheOptions {
  /** Total bytes the cached values may account for. Default 32 MiB. */
  maxBytes?: number;
  /** Most entries, whatever their size. Default 1000. */
  maxEntries?: number;
}

/**
 * A Map in recency order (a JavaScript Map iterates in insertion order, so
 * re-inserting on `get` keeps the least recent entry first), evicting the
 * least recently used entries while the byte budget or the entry limit is
 * exceeded. A value larger than the whole budget is not stored at all.
 *
 * @example
 * ```ts
 * import { LruCache } from "@ranged/video";
 * const cache = new LruCache<Uint8Array>({ maxBytes: 10 });
 * cache.set("a", new Uint8Array(6), 6);
 * cache.set("b", new Uint8Array(6), 6); // evicts "a"
 * console.log(cache.get("a"), cache.get("b")?.length, cache.bytes); // undefined 6 6
 * ```
 */
export class LruCache<V> {
  /** The byte budget. */
  readonly maxBytes: number;
  /** The entry limit. */
  readonly maxEntries: number;
  #map = new Map<string, { value: V; bytes: number }>();
  #bytes = 0;
  /** The most recently used key (the Map's last). */
  #newest: string | undefined;

  /** Creates an empty cache. */
  constructor(options: LruCacheOptions = {}) {
    this.maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
    this.maxEntries = options.maxEntries ?? 1000;
  }

  /** Bytes currently accounted for. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Number of entries. */
  get size(): number {
    return this.#map.size;
  }

  /** The value for `key`, marking it most recently used. */
  get(key: string): V | undefined {
    const entry = this.#map.get(key);
    if (entry === undefined) return undefined;
    // A hot entry is asked for again and again: already the most recent, it stays where it is.
    if (key !== this.#newest) {
      this.#map.delete(key);
      this.#map.set(key, entry);
      this.#newest = key;
    }
    return entry.value;
  }

  /** Whether `key` is cached, without touching its recency. */
  has(key: string): boolean {
    return this.#map.has(key);
  }

  /** Stores `value`, accounted as `bytes`; returns false when it alone exceeds the budget (and is not stored). */
  set(key: string, value: V, bytes: number): boolean {
    this.delete(key);
    if (!(bytes >= 0) || bytes > this.maxBytes || this.maxEntries < 1) return false;
    this.#map.set(key, { value, bytes });
    this.#newest = key;
    this.#bytes += bytes;
    for (const [k, e] of this.#map) {
      if (this.#bytes <= this.maxBytes && this.#map.size <= this.maxEntries) break;
      this.#map.delete(k);
      this.#bytes -= e.bytes;
    }
    return true;
  }

  /** Removes `key`. */
  delete(key: string): boolean {
    const entry = this.#map.get(key);
    if (entry === undefined) return false;
    this.#map.delete(key);
    this.#bytes -= entry.bytes;
    if (key === this.#newest) this.#newest = undefined;
    return true;
  }

  /** Removes everything. */
  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
    this.#newest = undefined;
  }
}
