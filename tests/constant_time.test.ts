// The MAC comparison does not exit early (src/access/constant_time.ts).
// Counted, not timed: every element of both inputs must be read exactly
// once whether they differ at the first byte, the last or nowhere, so the
// test is exact and cannot flake on a loaded machine.
import { test } from "node:test";
import assert from "node:assert/strict";
import { constantTimeEqual } from "../src/access/constant_time.ts";

/** `bytes` behind a proxy that counts reads of its elements. */
function counted(bytes: Uint8Array): { view: ArrayLike<number>; reads: () => number } {
  let reads = 0;
  const view = new Proxy(bytes, {
    get(target, key) {
      if (typeof key === "string" && /^\d+$/.test(key)) reads++;
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { view, reads: () => reads };
}

const N = 43; // a base64url HMAC-SHA-256
const base = new Uint8Array(N).map((_, i) => 65 + (i % 26));

test("equal, first-byte, middle and last-byte differences read every element exactly once", () => {
  const cases: [string, number | undefined, boolean][] = [
    ["equal", undefined, true],
    ["first byte differs", 0, false],
    ["middle byte differs", 21, false],
    ["last byte differs", N - 1, false],
  ];
  for (const [name, at, expected] of cases) {
    const other = base.slice();
    if (at !== undefined) other[at] ^= 1;
    const a = counted(base), b = counted(other);
    assert.equal(constantTimeEqual(a.view, b.view), expected, name);
    assert.equal(a.reads(), N, `${name}: every byte of the first input read once`);
    assert.equal(b.reads(), N, `${name}: every byte of the second input read once`);
  }
});

test("every byte position matters, and all bytes differing reads the same as none", () => {
  for (let i = 0; i < N; i++) {
    for (const bit of [1, 0x80]) {
      const other = base.slice();
      other[i] ^= bit;
      assert.equal(constantTimeEqual(base, other), false, `byte ${i} bit ${bit}`);
    }
  }
  const all = counted(base.map((x) => x ^ 0xff)), self = counted(base);
  assert.equal(constantTimeEqual(self.view, all.view), false);
  assert.equal(all.reads() + self.reads(), 2 * N, "all bytes differing");
});

test("different lengths answer false (a length is public)", () => {
  assert.equal(constantTimeEqual(base, base.subarray(0, N - 1)), false);
  assert.equal(constantTimeEqual(new Uint8Array(0), new Uint8Array(0)), true);
});
