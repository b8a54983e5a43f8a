/**
 * Comparison whose running time does not depend on where two equal-length
 * inputs differ, for checking MACs: an early exit at the first wrong byte
 * would let a client learn a valid signature one byte at a time by timing
 * its guesses.
 *
 * @module
 */

/**
 * True when `a` and `b` hold the same values. Inputs of different lengths
 * answer false at once: a length is public (signatures have a fixed one).
 * Otherwise every element of both is read exactly once and folded with
 * XOR/OR, with no branch on the data.
 *
 * @example
 * ```ts
 * import { constantTimeEqual } from "./constant_time.ts";
 * const enc = new TextEncoder();
 * console.log(constantTimeEqual(enc.encode("abc"), enc.encode("abc"))); // true
 * console.log(constantTimeEqual(enc.encode("abc"), enc.encode("abd"))); // false
 * ```
 */
export function constantTimeEqual(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
