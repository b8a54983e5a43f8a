// fast-check mutations of real moov boxes, shared by the property tests of
// the sample index and of clips: byte and word overwrites, truncation and
// spliced spans, the damage a hostile or broken file carries.
import fc from "fast-check";

/** Values that break headers and counts: zeros, ones, all-ones, sign bits, near powers of two. */
const special = fc.constantFrom(0, 1, 2, 0x7f, 0x80, 0xff);
/** One mutation of a moov. */
export type Mutation =
  | { kind: "bytes"; at: number; values: number[] }
  | { kind: "word"; at: number; value: number }
  | { kind: "truncate"; at: number }
  | { kind: "splice"; from: number; to: number; length: number };

/** Any one mutation. */
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // Overwrite a few bytes anywhere.
  fc.record({
    kind: fc.constant("bytes" as const),
    at: fc.nat(),
    values: fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), special), { minLength: 1, maxLength: 8 }),
  }),
  // Overwrite a 32-bit word on a 4-byte boundary (sizes, counts, offsets all sit on one in real files).
  fc.record({
    kind: fc.constant("word" as const),
    at: fc.nat(),
    value: fc.oneof(
      fc.constantFrom(0, 1, 0xffffffff, 0x80000000, 0x7fffffff, 0x10000),
      fc.integer({ min: 0, max: 0xffffffff }),
    ),
  }),
  // Cut the moov short (its size field then lies).
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  // Copy a span over another (duplicated boxes, shifted tables).
  fc.record({
    kind: fc.constant("splice" as const),
    from: fc.nat(),
    to: fc.nat(),
    length: fc.integer({ min: 1, max: 400 }),
  }),
);

/** `moov` with the mutations applied in order (a copy; the input is untouched). */
export function mutate(moov: Uint8Array, ms: Mutation[]): Uint8Array {
  let out = moov.slice();
  for (const m of ms) {
    if (m.kind === "bytes") {
      const at = m.at % out.length;
      m.values.forEach((v, i) => {
        if (at + i < out.length) out[at + i] = v;
      });
    } else if (m.kind === "word") {
      const at = (m.at % Math.max(1, out.length >> 2)) << 2;
      if (at + 4 <= out.length) new DataView(out.buffer).setUint32(at, m.value);
    } else if (m.kind === "truncate") {
      out = out.slice(0, m.at % out.length);
    } else {
      const from = m.from % out.length;
      const to = m.to % out.length;
      out.copyWithin(to, from, from + m.length);
    }
  }
  return out;
}
