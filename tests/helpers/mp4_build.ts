// Builds synthetic ISO-BMFF boxes in code, and reads chunk offsets back with
// a walker that shares no code with src/media/, so the tests check the rewrite
// against an independent reading of the result.
import type { FileLike } from "../../src/http/file_like.ts";

export type Bytes = Uint8Array;

export function concat(...parts: Bytes[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function u32(n: number): Bytes {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

export function u64(n: number | bigint): Bytes {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

export function ascii(s: string): Bytes {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** A box with a 32-bit size. */
export function box(type: string, ...payload: Bytes[]): Bytes {
  const body = concat(...payload);
  return concat(u32(8 + body.length), ascii(type), body);
}

/** A box with `size == 1` and a 64-bit size. */
export function largeBox(type: string, ...payload: Bytes[]): Bytes {
  const body = concat(...payload);
  return concat(u32(1), ascii(type), u64(16 + body.length), body);
}

/** A full box: version and flags before the payload. */
export function fullBox(type: string, version: number, flags: number, ...payload: Bytes[]): Bytes {
  return box(type, u32((version << 24) | flags), ...payload);
}

export function stco(offsets: number[]): Bytes {
  return fullBox("stco", 0, 0, u32(offsets.length), ...offsets.map(u32));
}

export function co64(offsets: number[]): Bytes {
  return fullBox("co64", 0, 0, u32(offsets.length), ...offsets.map((o) => u64(o)));
}

export const FTYP = box("ftyp", ascii("isom"), u32(0x200), ascii("isomiso2avc1mp41"));

/** A minimal track: trak/mdia/minf/stbl with the given chunk offset table and a self-contained dref. */
export function trak(table: Bytes, extraStbl: Bytes[] = [], extraMinf: Bytes[] = []): Bytes {
  const dref = fullBox("dref", 0, 0, u32(1), fullBox("url ", 0, 1));
  return box(
    "trak",
    fullBox("tkhd", 0, 3, new Uint8Array(80)),
    box(
      "mdia",
      fullBox("mdhd", 0, 0, new Uint8Array(20)),
      box(
        "minf",
        box("dinf", dref),
        ...extraMinf,
        box("stbl", fullBox("stsd", 0, 0, u32(0)), fullBox("stsz", 0, 0, u32(0), u32(0)), table, ...extraStbl),
      ),
    ),
  );
}

export function moov(...children: Bytes[]): Bytes {
  return box("moov", fullBox("mvhd", 0, 0, new Uint8Array(96)), ...children);
}

/** Chunk offset tables of a moov in file order, read independently of src/media. */
export function readChunkOffsets(bytes: Bytes): { type: string; offsets: number[] }[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tables: { type: string; offsets: number[] }[] = [];
  const walk = (start: number, end: number) => {
    let p = start;
    while (p + 8 <= end) {
      let size = view.getUint32(p);
      const type = String.fromCharCode(...bytes.subarray(p + 4, p + 8));
      let head = 8;
      if (size === 1) {
        size = Number(view.getBigUint64(p + 8));
        head = 16;
      }
      if (size < head || p + size > end) throw new Error(`bad box ${type} at ${p}`);
      if (["moov", "trak", "mdia", "minf", "stbl"].includes(type)) walk(p + head, p + size);
      if (type === "stco" || type === "co64") {
        const n = view.getUint32(p + head + 4);
        const offsets: number[] = [];
        for (let i = 0; i < n; i++) {
          const at = p + head + 8 + i * (type === "stco" ? 4 : 8);
          offsets.push(type === "stco" ? view.getUint32(at) : Number(view.getBigUint64(at)));
        }
        tables.push({ type, offsets });
      }
      p += size;
    }
    if (p !== end) throw new Error(`boxes do not fill their parent: ${p} != ${end}`);
  };
  walk(0, bytes.length);
  return tables;
}

/** Top-level boxes of a file held in memory: [type, start, size]. */
export function topLevel(bytes: Bytes): [string, number, number][] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: [string, number, number][] = [];
  let p = 0;
  while (p + 8 <= bytes.length) {
    let size = view.getUint32(p);
    if (size === 1) size = Number(view.getBigUint64(p + 8));
    if (size === 0) size = bytes.length - p;
    out.push([String.fromCharCode(...bytes.subarray(p + 4, p + 8)), p, size]);
    p += size;
  }
  return out;
}

/**
 * A FileLike laid out from parts without holding them: real bytes, or runs
 * of a position-derived pattern (so a large "file" costs no memory and any
 * wrong offset reads different bytes). Counts reads and bytes read.
 */
export interface VirtualFile extends FileLike {
  reads: number;
  bytesRead: number;
  closes: number;
}

export type VirtualPart = Bytes | { pattern: number };

export function patternByte(position: number): number {
  // A cheap hash of the position: neighbouring and distant positions differ.
  let x = Math.floor(position / 4096) * 2654435761 + (position % 4096) * 40503;
  x = (x ^ (x >>> 13)) >>> 0;
  return (x * 31 + (position & 0xff)) & 0xff;
}

export function virtualFile(parts: VirtualPart[], meta: { name?: string; lastModified?: number } = {}): VirtualFile {
  const starts: number[] = [];
  let size = 0;
  for (const p of parts) {
    starts.push(size);
    size += p instanceof Uint8Array ? p.length : p.pattern;
  }
  const file: VirtualFile = {
    size,
    name: meta.name ?? "virtual.mp4",
    lastModified: meta.lastModified ?? Date.UTC(2024, 0, 1),
    reads: 0,
    bytesRead: 0,
    closes: 0,
    read(into, position) {
      file.reads++;
      let n = 0;
      while (n < into.length && position + n < size) {
        const pos = position + n;
        let i = starts.length - 1;
        while (starts[i] > pos) i--;
        const part = parts[i];
        const within = pos - starts[i];
        const partLen = part instanceof Uint8Array ? part.length : part.pattern;
        const take = Math.min(into.length - n, partLen - within);
        if (part instanceof Uint8Array) into.set(part.subarray(within, within + take), n);
        else for (let k = 0; k < take; k++) into[n + k] = patternByte(pos + k);
        n += take;
      }
      file.bytesRead += n;
      return Promise.resolve(n);
    },
    close() {
      file.closes++;
    },
  };
  return file;
}

export async function readAll(file: FileLike, start = 0, end = file.size): Promise<Bytes> {
  const out = new Uint8Array(end - start);
  let done = 0;
  while (done < out.length) {
    const n = await file.read(out.subarray(done), start + done);
    if (n <= 0) throw new Error(`short read at ${start + done}`);
    done += n;
  }
  return out;
}
