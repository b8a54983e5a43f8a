/**
 * A bounded reader of ISO/IEC 14496-12 (ISO-BMFF, MP4, QuickTime) box
 * headers: over a {@linkcode FileLike} for the top level, and over bytes in
 * memory for the children of a box already read (the `moov`).
 *
 * Every size is checked against the bytes that can hold it before anything
 * is allocated or skipped, so a hostile file costs a bounded number of small
 * reads and fails with {@linkcode Mp4FormatError}, never with a huge
 * allocation or a loop that does not end.
 *
 * @module
 */

import { RangedError } from "../http/errors.ts";
import type { FileLike } from "../http/file_like.ts";

/**
 * The file is not an MP4 this module understands (or not one it may safely
 * transform). Callers that transform files catch it and serve the original.
 *
 * @example
 * ```ts
 * import { Mp4FormatError } from "@ranged/video";
 * const err = new Mp4FormatError("no ftyp box");
 * console.log(err.message, err instanceof Error);
 * ```
 */
export class Mp4FormatError extends RangedError {}

/** One box header: where the box is, how big it is, and where its payload starts. */
export interface BoxHeader {
  /** Four-character code as a latin1 string, e.g. `moov` or `©nam`. */
  readonly type: string;
  /** Offset of the first header byte. */
  readonly start: number;
  /** Header length: 8, 16 with a 64-bit size, plus 16 for a `uuid` box's user type. */
  readonly headerSize: number;
  /** Size of the whole box, header included; resolved when the header said "to the end". */
  readonly size: number;
  /** How the size was written: 32-bit, 64-bit (`size == 1`), or `size == 0` ("to the end"). */
  readonly sizeForm: "compact" | "large" | "to-end";
  /** The 16-byte extended type of a `uuid` box. */
  readonly usertype?: Uint8Array;
}

/** The longest header there is: 8 bytes, a 64-bit size, and a 16-byte user type. */
export const MAX_BOX_HEADER = 32;

/**
 * Parses the box header at `offset` in `bytes`. The box must end at or
 * before `end`; a `size == 0` box extends to `end` only when `allowToEnd` is
 * set (the last top-level box of a file), since anywhere else it would
 * swallow its siblings.
 *
 * @example
 * ```ts
 * import { parseBoxHeader } from "@ranged/video";
 * const free = new Uint8Array([0, 0, 0, 8, 0x66, 0x72, 0x65, 0x65]);
 * console.log(parseBoxHeader(free, 0, free.length)); // { type: "free", start: 0, headerSize: 8, size: 8, ... }
 * ```
 */
export function parseBoxHeader(
  bytes: Uint8Array,
  offset: number,
  end: number,
  allowToEnd = false,
  base = 0,
): BoxHeader {
  const start = base + offset;
  if (end - offset < 8 || offset + 8 > bytes.length) throw new Mp4FormatError(`truncated box header at ${start}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size32 = view.getUint32(offset);
  const type = fourcc(bytes, offset + 4);
  // Errors quote the type: keep control bytes out of a message that may reach a client.
  const shown = type.replace(/[^\x20-\x7e\xa0-\xff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
  let headerSize = 8;
  let size: number;
  let sizeForm: BoxHeader["sizeForm"] = "compact";
  if (size32 === 1) {
    if (end - offset < 16 || offset + 16 > bytes.length) throw new Mp4FormatError(`truncated 64-bit size at ${start}`);
    const big = view.getBigUint64(offset + 8);
    // Anything above 2^53 cannot be a real file and would lose precision as a number.
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new Mp4FormatError(`'${shown}' at ${start}: 64-bit size too large`);
    }
    size = Number(big);
    headerSize = 16;
    sizeForm = "large";
  } else if (size32 === 0) {
    if (!allowToEnd) throw new Mp4FormatError(`'${shown}' at ${start}: size 0 ("to the end") where it is not allowed`);
    size = end - offset;
    sizeForm = "to-end";
  } else {
    size = size32;
  }
  let usertype: Uint8Array | undefined;
  if (type === "uuid") {
    if (end - offset < headerSize + 16 || offset + headerSize + 16 > bytes.length) {
      throw new Mp4FormatError(`truncated uuid box header at ${start}`);
    }
    usertype = bytes.slice(offset + headerSize, offset + headerSize + 16);
    headerSize += 16;
  }
  if (size < headerSize) throw new Mp4FormatError(`'${shown}' at ${start}: size ${size} smaller than its header`);
  if (size > end - offset) {
    throw new Mp4FormatError(`'${shown}' at ${start}: size ${size} runs past its parent (${end - offset} bytes left)`);
  }
  return { type, start, headerSize, size, sizeForm, usertype };
}

/**
 * The children of a box held in memory, in order. Each child must fit in
 * `[start, end)`; fewer than 8 bytes left at the end are tolerated (QuickTime
 * ends some `udta` boxes with a 32-bit zero) and not returned. Children carry
 * offsets relative to `bytes` plus `base`.
 *
 * @example
 * ```ts
 * import { childBoxes } from "@ranged/video";
 * const two = new Uint8Array([0, 0, 0, 8, 0x66, 0x72, 0x65, 0x65, 0, 0, 0, 8, 0x73, 0x6b, 0x69, 0x70]);
 * console.log([...childBoxes(two, 0, two.length)].map((b) => b.type)); // ["free", "skip"]
 * ```
 */
export function* childBoxes(bytes: Uint8Array, start: number, end: number, base = 0): Generator<BoxHeader> {
  let pos = start;
  while (end - pos >= 8) {
    const box = parseBoxHeader(bytes, pos, end, false, base);
    yield box;
    pos += box.size;
  }
}

/**
 * Reads exactly `into.length` bytes at `position`, looping over short reads;
 * resolves to the count read, which is less only at the end of the file.
 *
 * @example
 * ```ts
 * import { fromBytes, readFully } from "@ranged/video";
 * const buf = new Uint8Array(3);
 * console.log(await readFully(fromBytes(new Uint8Array([1, 2, 3, 4])), buf, 1), buf); // 3 [2, 3, 4]
 * ```
 */
export async function readFully(file: FileLike, into: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < into.length) {
    const n = await file.read(into.subarray(done), position + done);
    if (!(n > 0)) break;
    done += n;
  }
  return done;
}

/**
 * Reads the box header at `position` of `file` with one small read. A
 * `size == 0` header resolves to the end of the file.
 *
 * @example
 * ```ts
 * import { fromBytes, readBoxHeader } from "@ranged/video";
 * const file = fromBytes(new Uint8Array([0, 0, 0, 0, 0x6d, 0x64, 0x61, 0x74, 1, 2]));
 * console.log(await readBoxHeader(file, 0)); // mdat, size 10, sizeForm "to-end"
 * ```
 */
export async function readBoxHeader(file: FileLike, position: number): Promise<BoxHeader> {
  const want = Math.min(MAX_BOX_HEADER, file.size - position);
  if (want < 8) throw new Mp4FormatError(`truncated box header at ${position}`);
  const head = new Uint8Array(want);
  const n = await readFully(file, head, position);
  return parseBoxHeader(head.subarray(0, n), 0, file.size - position, true, position);
}

/** Options of {@linkcode readTopLevelBoxes}. */
export interface ReadTopLevelOptions {
  /** Most top-level boxes to read before giving up. Default 1024: real files have a handful. */
  maxBoxes?: number;
}

/**
 * Lists the top-level boxes of `file` with one small read per box, checking
 * that each box fits in the file. Throws {@linkcode Mp4FormatError} on a
 * header that does not parse, a box that runs past the end, or more than
 * `maxBoxes` boxes, so the caller can serve the file unchanged.
 *
 * @example
 * ```ts
 * import { fromBytes, readTopLevelBoxes } from "@ranged/video";
 * const file = fromBytes(new Uint8Array([0, 0, 0, 8, 0x66, 0x72, 0x65, 0x65]));
 * console.log((await readTopLevelBoxes(file)).map((b) => b.type)); // ["free"]
 * ```
 */
export async function readTopLevelBoxes(file: FileLike, options: ReadTopLevelOptions = {}): Promise<BoxHeader[]> {
  const maxBoxes = options.maxBoxes ?? 1024;
  const boxes: BoxHeader[] = [];
  let pos = 0;
  while (pos < file.size) {
    if (boxes.length >= maxBoxes) throw new Mp4FormatError(`more than ${maxBoxes} top-level boxes`);
    const box = await readBoxHeader(file, pos);
    boxes.push(box);
    pos += box.size;
  }
  return boxes;
}

/**
 * The four-character code at `offset`, as latin1 (QuickTime uses `©` = 0xA9).
 *
 * @example
 * ```ts
 * import { fourcc } from "@ranged/video";
 * console.log(fourcc(new Uint8Array([0x6d, 0x6f, 0x6f, 0x76]), 0)); // "moov"
 * ```
 */
export function fourcc(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]);
}
