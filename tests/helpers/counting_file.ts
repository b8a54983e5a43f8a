// A FileLike over bytes that records every read and close, so tests can
// assert "no read happened", "reads stayed inside the range" and "closed
// exactly once". It has no blob(): the handler must use the chunk iterator,
// or, with `sync`, read small bodies at once.
import type { FileLike } from "../../src/http/file_like.ts";

export interface CountingFile extends FileLike {
  reads: { position: number; length: number; sync?: true }[];
  closes: number;
}

export interface CountingMeta {
  name?: string;
  lastModified?: number;
  etag?: string;
  type?: string;
  readDelayMs?: number;
  /**
   * Adds `readSync` (its reads recorded with `sync: true`): `"ok"` reads
   * like `read`, `"short"` returns one byte less than asked and then 0,
   * `"throws"` throws.
   */
  sync?: "ok" | "short" | "throws";
}

export function countingFile(bytes: Uint8Array, meta: CountingMeta = {}): CountingFile {
  const file: CountingFile = {
    size: bytes.length,
    name: meta.name,
    type: meta.type,
    lastModified: meta.lastModified,
    etag: meta.etag,
    reads: [],
    closes: 0,
    async read(into, position) {
      file.reads.push({ position, length: into.length });
      if (meta.readDelayMs) await new Promise((r) => setTimeout(r, meta.readDelayMs));
      const part = bytes.subarray(position, position + into.length);
      into.set(part);
      return part.length;
    },
    close() {
      file.closes++;
    },
  };
  const sync = meta.sync;
  if (sync) {
    let shortened = false;
    file.readSync = (into, position) => {
      file.reads.push({ position, length: into.length, sync: true });
      if (sync === "throws") throw new Error("EIO (test)");
      let part = bytes.subarray(position, position + into.length);
      if (sync === "short") {
        if (shortened) return 0;
        shortened = true;
        part = part.subarray(0, part.length - 1);
      }
      into.set(part);
      return part.length;
    };
  }
  return file;
}

/** Deterministic pseudo-random bytes, so a wrong offset shows as wrong content. */
export function patternBytes(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Lets pending microtasks and a macrotask run (closes are fire-and-forget). */
export function settle(): Promise<void> {
  return new Promise((r) => setTimeout(r, 5));
}

/**
 * Wraps FileLikes so a test can see that every file the server opened was
 * closed exactly once: `opened`, `closed` and `doubleCloses` count across
 * all wrapped files. The wrapper keeps the native fast paths it can (blob).
 */
export class CloseLedger {
  opened = 0;
  closed = 0;
  doubleCloses = 0;

  wrap(file: FileLike): FileLike {
    this.opened++;
    let done = false;
    return {
      size: file.size,
      name: file.name,
      lastModified: file.lastModified,
      etag: file.etag,
      read: (into, pos) => file.read(into, pos),
      readSync: file.readSync ? (into, pos) => file.readSync!(into, pos) : undefined,
      blob: file.blob ? () => file.blob!() : undefined,
      close: () => {
        if (done) this.doubleCloses++;
        done = true;
        this.closed++;
        return file.close?.();
      },
    };
  }
}
