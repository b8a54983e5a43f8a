/**
 * The directory server's open-file cache (the idea of nginx's
 * `open_file_cache`): for `validityMs` after a file is opened, every request
 * for it shares that one open file, so a burst of probes on one file (what
 * Safari sends first, what every seek costs) costs no open, stat or close,
 * only the reads. Each request gets a lease of its own whose `close()`
 * gives the file back; the file itself is closed once it has expired (or
 * been pushed out by the bound, or the cache closed) and no lease holds it.
 *
 * What may lag by up to `validityMs`, as with nginx: a file replaced by
 * rename is served from the old one, a deleted one still answers, a
 * truncated one fails its reads (the writer then cuts the connection).
 * Failures are never cached. Only files whose reads are positional and
 * independent (`DirFs.shareable`) may be shared: a handle with a seek
 * offset or a native stream belongs to one response.
 *
 * @module
 */

import type { FileLike } from "../http/file_like.ts";

/** Options of {@linkcode OpenFileCache}. */
export interface OpenFileCacheOptions {
  /** How long (ms) an opened file is shared; 0 or less turns the cache off. */
  validityMs: number;
  /** Most files held open at once; the oldest go first. */
  maxEntries?: number;
  /** The clock, for tests. */
  now?: () => number;
}

/** Default validity: long enough for a burst of probes, short enough that edits show within a second. */
export const DEFAULT_OPEN_FILE_CACHE_MS = 1000;
/** Default bound: one file descriptor each, far under any process limit. */
export const DEFAULT_OPEN_FILES = 256;

interface Entry {
  readonly key: string;
  readonly at: number;
  readonly file: Promise<FileLike>;
  /** The file, once open: closed synchronously then. */
  opened?: FileLike;
  /** Leases not yet closed. */
  refs: number;
  /** Still in the map: new requests may share it. */
  live: boolean;
}

/**
 * Shares the files `open` gives for `validityMs`, reference-counted. Call
 * {@linkcode OpenFileCache.close} at shutdown: files no request holds are
 * closed at once, the others when their last lease closes.
 *
 * @example
 * ```ts ignore
 * const files = new OpenFileCache((path, name) => openFile(path, { name }), { validityMs: 1000 });
 * const file = await files.open("/srv/movie.mp4", "movie.mp4"); // a lease: close() it when done
 * ```
 */
export class OpenFileCache {
  readonly #open: (path: string, name: string) => Promise<FileLike>;
  readonly #entries = new Map<string, Entry>();
  readonly #validityMs: number;
  readonly #max: number;
  readonly #now: () => number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(open: (path: string, name: string) => Promise<FileLike>, options: OpenFileCacheOptions) {
    this.#open = open;
    this.#validityMs = options.validityMs;
    this.#max = Math.max(1, options.maxEntries ?? DEFAULT_OPEN_FILES);
    this.#now = options.now ?? Date.now;
  }

  /** Files currently held open by the cache (shared or waiting for their last lease). */
  get size(): number {
    return this.#entries.size;
  }

  /** A lease on the file at `path` as `name`: shared with every request within the window. */
  async open(path: string, name: string): Promise<FileLike> {
    if (this.#closed || !(this.#validityMs > 0)) return this.#open(path, name);
    const key = `${name}\0${path}`;
    const now = this.#now();
    let entry = this.#entries.get(key);
    if (entry && now - entry.at >= this.#validityMs) {
      this.#retire(entry);
      entry = undefined;
    }
    if (!entry) entry = this.#add(key, now, this.#open(path, name));
    entry.refs++;
    let file: FileLike;
    try {
      file = await entry.file;
    } catch (err) {
      entry.refs--;
      throw err;
    }
    const held = entry;
    return lease(file, () => {
      held.refs--;
      if (!held.live && held.refs === 0) closeEntry(held);
    });
  }

  /** Closes every file no request holds, and the rest as their leases close; later opens are not shared. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const entry of [...this.#entries.values()]) this.#retire(entry);
  }

  /** Closes the files that have expired and no request holds; entries in use stop being shared. */
  sweep(): void {
    const now = this.#now();
    // Insertion order is age order: stop at the first entry still fresh.
    for (const entry of this.#entries.values()) {
      if (now - entry.at < this.#validityMs) break;
      this.#retire(entry);
    }
  }

  #add(key: string, at: number, file: Promise<FileLike>): Entry {
    const entry: Entry = { key, at, file, refs: 0, live: true };
    this.#entries.set(key, entry);
    // A failed open is asked again next time (a file may appear at any moment).
    file.then((opened) => void (entry.opened = opened), () => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
      entry.live = false;
    });
    while (this.#entries.size > this.#max) this.#retire(this.#entries.values().next().value!);
    this.#schedule();
    return entry;
  }

  #retire(entry: Entry): void {
    if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
    if (!entry.live) return;
    entry.live = false;
    if (entry.refs === 0) closeEntry(entry);
  }

  /** One timer for the oldest entry, so idle files are closed on expiry, not at the next request. */
  #schedule(): void {
    if (this.#timer !== undefined || this.#entries.size === 0) return;
    const oldest = this.#entries.values().next().value!;
    const wait = Math.max(0, oldest.at + this.#validityMs - this.#now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.sweep();
      this.#schedule();
    }, wait);
    unrefTimer(this.#timer);
  }
}

function closeEntry(entry: Entry): void {
  const close = (file: FileLike) => Promise.resolve(file.close?.()).catch(() => {});
  if (entry.opened) void close(entry.opened);
  else entry.file.then(close, () => {});
}

/** A per-request view of a shared file: the same bytes and metadata, its own `close`. */
function lease(file: FileLike, release: () => void): FileLike {
  let closed = false;
  return {
    size: file.size,
    name: file.name,
    type: file.type,
    lastModified: file.lastModified,
    etag: file.etag,
    read: (into, position) =>
      closed ? Promise.reject(new Error(`read after close: ${file.name}`)) : file.read(into, position),
    readSync: file.readSync
      ? (into, position) => {
        if (closed) throw new Error(`read after close: ${file.name}`);
        return file.readSync!(into, position);
      }
      : undefined,
    blob: file.blob ? () => (closed ? undefined : file.blob!()) : undefined,
    close() {
      if (closed) return;
      closed = true;
      release();
    },
  };
}

/** Lets the process exit with the sweep timer pending (Node and Bun: `unref()`; Deno: `Deno.unrefTimer`). */
function unrefTimer(timer: ReturnType<typeof setTimeout>): void {
  if (typeof timer === "object" && timer !== null && "unref" in timer) (timer as { unref(): void }).unref();
  else {
    const deno = (globalThis as { Deno?: { unrefTimer?(id: number): void } }).Deno;
    deno?.unrefTimer?.(timer as unknown as number);
  }
}
