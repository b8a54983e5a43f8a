// A FileLike over bytes that records every read and close, so tests can
// assert "no read happened", "reads stayed inside the range" and "closed
// exactly once". It has no blob(): the handler must use the chunk iterator.
import type { FileLike } from "../../src/http/file_like.ts";

export interface CountingFile extends FileLike {
  reads: { position: number; length: number }[];
  closes: number;
}

export function countingFile(
  bytes: Uint8Array,
  meta: { name?: string; lastModified?: number; etag?: string; type?: string; readDelayMs?: number } = {},
): CountingFile {
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
