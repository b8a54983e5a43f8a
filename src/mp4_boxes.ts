/**
 * A scan of an MP4's top-level boxes (ftyp, moov, mdat, ...), read through
 * FileLike with a few small positional reads. The player page draws them
 * under the range map, so viewers can see why a moov-at-end file makes the
 * browser jump to the end before it can play.
 *
 * @module
 */

import type { FileLike } from "./file_like.ts";

/** One top-level box: its four-character type and byte span `[start, start + size)`. */
export interface Mp4Box {
  /** Four-character code, e.g. `moov`. */
  readonly type: string;
  /** Offset of the box header. */
  readonly start: number;
  /** Size in bytes, header included. */
  readonly size: number;
}

const FOURCC = /^[\x20-\x7e]{4}$/;

/**
 * Lists the top-level boxes of an ISO-BMFF file, stopping at the first
 * header that does not parse (so a non-MP4 gives `[]`, never an error) or
 * after `maxBoxes`.
 *
 * @example
 * ```ts
 * import { fromBytes, scanMp4Boxes } from "@ranged/video";
 * const bytes = new Uint8Array([0, 0, 0, 8, 0x66, 0x72, 0x65, 0x65]); // an empty "free" box
 * console.log(await scanMp4Boxes(fromBytes(bytes))); // [{ type: "free", start: 0, size: 8 }]
 * ```
 */
export async function scanMp4Boxes(file: FileLike, maxBoxes = 64): Promise<Mp4Box[]> {
  const boxes: Mp4Box[] = [];
  const header = new Uint8Array(16);
  const view = new DataView(header.buffer);
  let pos = 0;
  while (pos + 8 <= file.size && boxes.length < maxBoxes) {
    const n = await readFully(file, header.subarray(0, Math.min(16, file.size - pos)), pos);
    if (n < 8) break;
    const type = String.fromCharCode(...header.subarray(4, 8));
    if (!FOURCC.test(type)) break;
    let size = view.getUint32(0);
    if (size === 1) {
      if (n < 16) break;
      size = Number(view.getBigUint64(8));
    } else if (size === 0) {
      size = file.size - pos; // "extends to the end of the file"
    }
    if (size < 8 || pos + size > file.size) break;
    boxes.push({ type, start: pos, size });
    pos += size;
  }
  return boxes;
}

async function readFully(file: FileLike, into: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < into.length) {
    const n = await file.read(into.subarray(done), position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}
