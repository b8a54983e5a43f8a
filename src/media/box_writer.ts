/**
 * Writes ISO-BMFF boxes, for every MP4 this package generates (clip moovs,
 * HLS init and media segments). A box is built as a tree of parts: bytes
 * copied as they are, numbers written big-endian, child boxes, and tables
 * that know their size before they are written. Sizes are summed first, so
 * the output is allocated once and each byte written once, and no size can
 * disagree with the bytes; a box whose size reaches 2^32 gets a 64-bit size.
 *
 * This module never reads boxes (that is `boxes.ts`) and never decides what
 * goes in them.
 *
 * @module
 */

/** A number written big-endian with the width its key names (`i32` signed). */
export type NumberPart =
  | { readonly u8: number }
  | { readonly u16: number }
  | { readonly u32: number }
  | { readonly i32: number }
  | { readonly u64: number };

/** A part of a box: bytes as they are, a number, a child box, or a table written in place. */
export type Part = Uint8Array | NumberPart | BoxNode | TablePart;

/** A box to write: a four-character type and its payload parts. */
export interface BoxNode {
  readonly type: string;
  readonly parts: readonly Part[];
}

/** Payload that knows its length up front and writes itself into the output. */
export interface TablePart {
  readonly length: number;
  write(view: DataView, at: number): void;
}

/**
 * A box of `type` holding `parts`, to be written by {@linkcode writeBox} or
 * nested in another.
 *
 * @example
 * ```ts ignore
 * writeBox(node("dinf", fullNode("dref", 0, 0, { u32: 1 }, fullNode("url ", 0, 1)))).length; // 36
 * ```
 */
export function node(type: string, ...parts: Part[]): BoxNode {
  return { type, parts };
}

/**
 * A full box: version (8 bits) and flags (24 bits), then `parts`.
 *
 * @example
 * ```ts ignore
 * writeBox(fullNode("mfhd", 0, 0, { u32: 1 })).length; // 16
 * ```
 */
export function fullNode(type: string, version: number, flags: number, ...parts: Part[]): BoxNode {
  return { type, parts: [{ u32: ((version & 0xff) << 24 | (flags & 0xffffff)) >>> 0 }, ...parts] };
}

/**
 * A big-endian 32-bit unsigned integer as bytes.
 *
 * @example
 * ```ts ignore
 * u32(0x200); // Uint8Array [0, 0, 2, 0]
 * ```
 */
export function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

/**
 * A table: its 32-bit entry count, then `count` entries of `width` bytes,
 * each written by `entry` straight into the output.
 *
 * @example
 * ```ts ignore
 * const deltas = [512, 512, 1024];
 * fullNode("stts", 0, 0, table(deltas.length, 8, (v, at, i) => (v.setUint32(at, 1), v.setUint32(at + 4, deltas[i]))));
 * ```
 */
export function table(count: number, width: number, entry: (view: DataView, at: number, i: number) => void): TablePart {
  return {
    length: 4 + count * width,
    write(view, at) {
      view.setUint32(at, count);
      for (let i = 0, p = at + 4; i < count; i++, p += width) entry(view, p, i);
    },
  };
}

function partLength(p: Part): number {
  if (p instanceof Uint8Array) return p.length;
  if ("type" in p) return boxLength(p);
  if ("write" in p) return p.length;
  if ("u8" in p) return 1;
  if ("u16" in p) return 2;
  if ("u64" in p) return 8;
  return 4;
}

/**
 * Size of the whole box, header included (16 bytes of header once it reaches 2^32).
 *
 * @example
 * ```ts ignore
 * boxLength(node("free", new Uint8Array(8))); // 16
 * ```
 */
export function boxLength(box: BoxNode): number {
  let n = 0;
  for (const p of box.parts) n += partLength(p);
  return n + 8 < 2 ** 32 ? n + 8 : n + 16;
}

/**
 * The bytes of `box`, in one allocation.
 *
 * @example
 * ```ts ignore
 * writeBox(node("free")); // [0, 0, 0, 8, 0x66, 0x72, 0x65, 0x65]
 * ```
 */
export function writeBox(box: BoxNode): Uint8Array {
  const out = new Uint8Array(boxLength(box));
  const view = new DataView(out.buffer);
  const at = write(out, view, box, 0);
  if (at !== out.length) throw new Error(`box writer wrote ${at} bytes, expected ${out.length}`);
  return out;
}

/**
 * The bytes of a box of `type` holding `parts`: `writeBox(node(type, ...parts))`.
 *
 * @example
 * ```ts ignore
 * box("free", new Uint8Array(0)); // [0, 0, 0, 8, 0x66, 0x72, 0x65, 0x65]
 * ```
 */
export function box(type: string, ...parts: Part[]): Uint8Array {
  return writeBox(node(type, ...parts));
}

/**
 * The bytes of a full box: `writeBox(fullNode(type, version, flags, ...parts))`.
 *
 * @example
 * ```ts ignore
 * fullBox("mfhd", 0, 0, { u32: 1 }); // 16 bytes
 * ```
 */
export function fullBox(type: string, version: number, flags: number, ...parts: Part[]): Uint8Array {
  return writeBox(fullNode(type, version, flags, ...parts));
}

/**
 * Concatenates byte arrays.
 *
 * @example
 * ```ts ignore
 * concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])]); // [1, 2, 3]
 * ```
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function write(out: Uint8Array, view: DataView, box: BoxNode, at: number): number {
  const size = boxLength(box);
  if (size >= 2 ** 32) {
    view.setUint32(at, 1);
    view.setBigUint64(at + 8, BigInt(size));
  } else {
    view.setUint32(at, size);
  }
  for (let i = 0; i < 4; i++) out[at + 4 + i] = box.type.charCodeAt(i);
  let p = at + (size >= 2 ** 32 ? 16 : 8);
  for (const part of box.parts) {
    if (part instanceof Uint8Array) {
      out.set(part, p);
      p += part.length;
    } else if ("type" in part) {
      p = write(out, view, part, p);
    } else if ("write" in part) {
      part.write(view, p);
      p += part.length;
    } else {
      p = writeNumber(view, part, p);
    }
  }
  return p;
}

function writeNumber(view: DataView, part: NumberPart, at: number): number {
  if ("u8" in part) view.setUint8(at, part.u8);
  else if ("u16" in part) view.setUint16(at, part.u16);
  else if ("u32" in part) view.setUint32(at, part.u32);
  else if ("i32" in part) view.setInt32(at, part.i32);
  else view.setBigUint64(at, BigInt(part.u64));
  return at + partLength(part);
}
