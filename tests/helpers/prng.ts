// A small seeded PRNG (xorshift32), so a random run can be replayed from its seed.
export function prng(
  seed: number,
): { next(): number; int(lo: number, hi: number): number; pick<T>(xs: readonly T[]): T } {
  let x = seed >>> 0 || 0x9e3779b9;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
  return {
    next,
    /** An integer in lo..hi inclusive. */
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
  };
}
