// Shared pieces of the property tests: run counts, a virtual file of any
// size whose bytes are a function of their position, and header arbitraries.
import fc from "fast-check";
import process from "node:process";
import type { FileLike } from "../../src/http/file_like.ts";

/** Cases per property: RANGED_FUZZ_RUNS (npm run fuzz), else a CI-sized default. */
export function runs(ciDefault: number): number {
  const env = process.env.RANGED_FUZZ_RUNS;
  return env ? Number(env) : ciDefault;
}

/** The seed every property starts from unless RANGED_FUZZ_SEED says otherwise. */
export const DEFAULT_SEED = 20261129;

/**
 * The fast-check seed: RANGED_FUZZ_SEED (a number replays a run, `random`
 * draws a new one), else DEFAULT_SEED, so CI and `npm test` check the same
 * cases every run. reportCases prints it; a failure prints it too.
 */
export const SEED: number = (() => {
  const env = process.env.RANGED_FUZZ_SEED;
  if (env === "random") return (Math.random() * 2 ** 31) | 0;
  return env ? Number(env) : DEFAULT_SEED;
})();

/** fast-check parameters with the run's seed. */
export function params(numRuns: number): fc.Parameters<unknown> {
  return { numRuns, seed: SEED };
}

/** Counts of executed cases per property, printed by reportCases(). */
export const executed: Record<string, number> = {};

export function count(name: string): void {
  executed[name] = (executed[name] ?? 0) + 1;
}

export function reportCases(file: string, runtime: string): void {
  const total = Object.values(executed).reduce((a, b) => a + b, 0);
  console.log(
    `[fuzz ${runtime}] ${file}: ${total} cases ${
      JSON.stringify(executed)
    } seed ${SEED} (RANGED_FUZZ_SEED=${SEED} replays)`,
  );
  // Bun runs every file in one process: start the next file's count from zero.
  for (const key of Object.keys(executed)) delete executed[key];
}

/** The byte at `pos` of the virtual file: cheap, position-dependent, defined up to 2^53. */
export function byteAt(pos: number): number {
  const lo = pos % 4294967296;
  const hi = Math.floor(pos / 4294967296);
  return (Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1) >>> 23) & 0xff;
}

export function virtualBytes(start: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = byteAt(start + i);
  return out;
}

export interface VirtualFile extends FileLike {
  closes: number;
  readErrors: string[];
  readBytes: number;
}

/** A FileLike of `size` virtual bytes that records closes and out-of-bounds reads. */
export function virtualFile(size: number, meta: { lastModified?: number; etag?: string } = {}): VirtualFile {
  const file: VirtualFile = {
    size,
    name: "fuzz.mp4",
    lastModified: meta.lastModified,
    etag: meta.etag,
    closes: 0,
    readErrors: [],
    readBytes: 0,
    read(into, position) {
      if (file.closes > 0) file.readErrors.push(`read after close at ${position}`);
      if (!Number.isSafeInteger(position) || position < 0 || position >= size) {
        file.readErrors.push(`read at ${position} outside 0..${size - 1}`);
        return Promise.resolve(0);
      }
      const n = Math.min(into.length, size - position);
      for (let i = 0; i < n; i++) into[i] = byteAt(position + i);
      file.readBytes += n;
      return Promise.resolve(n);
    },
    close() {
      file.closes++;
    },
  };
  return file;
}

/** Sizes: mostly small, some at the edges of the number range. */
export const sizeArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 5000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 5000, max: 300_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 2, 65535, 65536, 65537, 2 ** 31, 2 ** 32, 2 ** 53 - 1) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }) },
);

/** A decimal number as a client might write it: small, near the size, huge, with leading zeros. */
export function numberText(size: number): fc.Arbitrary<string> {
  return fc.oneof(
    fc.integer({ min: 0, max: Math.max(0, Math.min(size + 10, Number.MAX_SAFE_INTEGER)) }).map(String),
    fc.integer({ min: 0, max: 20 }).map(String),
    fc.constantFrom(String(size), String(Math.max(0, size - 1)), String(size + 1)),
    fc.bigInt({ min: 0n, max: 10n ** 40n }).map(String),
    fc.tuple(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 999 })).map(([z, n]) => "0".repeat(z) + n),
    fc.constantFrom("9007199254740991", "9007199254740992", "99999999999999999999", "00000000000000000000001"),
  );
}

const ows = fc.constantFrom("", "", " ", "\t", "  ", " \t ");

/** One range-spec, grammatical or slightly broken. */
export function specArb(size: number): fc.Arbitrary<string> {
  const n = numberText(size);
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(n, n).map(([a, b]) => `${a}-${b}`) },
    { weight: 2, arbitrary: n.map((a) => `${a}-`) },
    { weight: 2, arbitrary: n.map((b) => `-${b}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom("", "-", "--5", "1-2-3", "abc", "5", "-0", "0-0", "1 - 2", "+1-2", "0x10-20", "1e3-"),
    },
  );
}

/** Whole Range header values: well-formed sets, broken ones, odd units, non-ASCII (latin1) bytes. */
export function rangeHeaderArb(size: number, maxSpecs = 12): fc.Arbitrary<string> {
  const set = fc.array(fc.tuple(ows, specArb(size), ows), { minLength: 0, maxLength: maxSpecs })
    .map((specs) => specs.map(([a, s, b]) => a + s + b).join(","));
  const unit = fc.constantFrom("bytes", "bytes", "bytes", "Bytes", "BYTES", "items", "byte", " bytes", "");
  return fc.oneof(
    { weight: 6, arbitrary: fc.tuple(unit, set).map(([u, s]) => `${u}=${s}`) },
    { weight: 1, arbitrary: headerValueArb },
    { weight: 1, arbitrary: fc.tuple(set, headerValueArb).map(([s, junk]) => `bytes=${s}${junk}`) },
  );
}

/** Arbitrary latin1 text that a Headers object accepts (no NUL, CR, LF). */
export const headerValueArb: fc.Arbitrary<string> = fc.string({
  unit: fc.integer({ min: 1, max: 255 }).filter((c) => c !== 10 && c !== 13).map((c) => String.fromCharCode(c)),
  maxLength: 60,
});

/** Whether `got` equals the virtual file's bytes from `start` (fast; no diff rendering). */
export function isVirtual(got: Uint8Array, start: number): boolean {
  for (let i = 0; i < got.length; i++) if (got[i] !== byteAt(start + i)) return false;
  return true;
}
