// A FileLike over bytes that records every read and close, so tests can
// assert "no read happened", "reads stayed inside the range" and "closed
// exactly once". It has no blob(): the handler must use the chunk iterator.
import type { FileLike } from "../../src/file_like.ts";

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
