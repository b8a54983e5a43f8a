/**
 * Writing ISO-BMFF boxes: a box is its 32-bit size, its four-character type
 * and its payload. The fMP4 writers build every box through these two
 * functions, so sizes are computed in one place and can never disagree with
 * the bytes.
 *
 * @module
 */

/** A box payload part: bytes, or a number written as a big-endian unsigned integer of the given width. */
export type Part = Uint8Array | { readonly u8: number } | { readonly u16: number } | { readonly u32: number } | {
  readonly u64: number;
} | { readonly i32: number };

function partLength(p: Part): number {
  if (p instanceof Uint8Array) return p.length;
  if ("u8" in p) return 1;
  if ("u16" in p) return 2;
  if ("u64" in p) return 8;
  return 4;
}

/**
 * The bytes of a box of `type` holding `parts` in order.
 *
 * @example
 * ```ts ignore
 * box("free", new Uint8Array(0)); // [0, 0, 0, 8, 0x66, 0x72, 0x65, 0x65]
 * ```
 */
export function box(type: string, ...parts: Part[]): Uint8Array {
  const size = 8 + parts.reduce((n, p) => n + partLength(p), 0);
  // Generated boxes hold headers and tables, never media: 32 bits are plenty.
  if (size >= 2 ** 32) throw new RangeError(`${type} box of ${size} bytes does not fit a 32-bit size`);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, size);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  let at = 8;
  for (const p of parts) {
    if (p instanceof Uint8Array) out.set(p, at);
    else if ("u8" in p) view.setUint8(at, p.u8);
    else if ("u16" in p) view.setUint16(at, p.u16);
    else if ("u32" in p) view.setUint32(at, p.u32);
    else if ("i32" in p) view.setInt32(at, p.i32);
    else view.setBigUint64(at, BigInt(p.u64));
    at += partLength(p);
  }
  return out;
}

/**
 * A full box: version (8 bits) and flags (24 bits) before the payload.
 *
 * @example
 * ```ts ignore
 * fullBox("mfhd", 0, 0, { u32: 1 }); // 16 bytes
 * ```
 */
export function fullBox(type: string, version: number, flags: number, ...parts: Part[]): Uint8Array {
  return box(type, { u32: ((version & 0xff) << 24 | (flags & 0xffffff)) >>> 0 }, ...parts);
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
