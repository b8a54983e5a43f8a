/**
 * Writes ISO-BMFF boxes from a tree of parts: bytes copied as they are,
 * children boxes, and tables that know their size before they are written.
 * Sizes are summed first, so the output is allocated once and each byte
 * written once; a box whose size reaches 2^32 gets a 64-bit size.
 *
 * @module
 */

/** A part of a box: bytes as they are, a child box, or a table written in place. */
export type Part = Uint8Array | BoxNode | TablePart;

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

/** A box of `type` holding `parts`. */
export function node(type: string, ...parts: Part[]): BoxNode {
  return { type, parts };
}

/** A full box: version and flags, then `parts`. */
export function fullNode(type: string, version: number, flags: number, ...parts: Part[]): BoxNode {
  return { type, parts: [u32(((version & 0xff) << 24 | (flags & 0xffffff)) >>> 0), ...parts] };
}

/** A big-endian 32-bit unsigned integer. */
export function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

/** A table of `count` entries of `width` bytes, each written by `entry`. */
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
  return p.length;
}

/** Size of the whole box, header included (16 bytes of header once it reaches 2^32). */
export function boxLength(box: BoxNode): number {
  let n = 0;
  for (const p of box.parts) n += partLength(p);
  return n + 8 < 2 ** 32 ? n + 8 : n + 16;
}

/** The box's bytes. */
export function writeBox(box: BoxNode): Uint8Array {
  const out = new Uint8Array(boxLength(box));
  const view = new DataView(out.buffer);
  const at = write(out, view, box, 0);
  if (at !== out.length) throw new Error(`box writer wrote ${at} bytes, expected ${out.length}`);
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
    } else {
      part.write(view, p);
      p += part.length;
    }
  }
  return p;
}
