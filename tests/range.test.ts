import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ByteRange, coalesceRanges, parseRange, type RangeResult, rangesLength } from "../src/http/range.ts";

const IGNORED: RangeResult = { type: "ignored" };
const UNSAT: RangeResult = { type: "unsatisfiable" };
const r = (...pairs: [number, number][]): RangeResult => ({
  type: "ranges",
  ranges: pairs.map(([start, end]) => ({ start, end })),
});

/** [header, size, expected, why] */
type Case = [string, number, RangeResult, string];

const cases: Case[] = [
  // first-last
  ["bytes=0-0", 1000, r([0, 0]), "single first byte"],
  ["bytes=0-499", 1000, r([0, 499]), "first half"],
  ["bytes=500-999", 1000, r([500, 999]), "second half, exact end"],
  ["bytes=999-999", 1000, r([999, 999]), "last byte"],
  ["bytes=0-999", 1000, r([0, 999]), "whole file as a range"],
  ["bytes=10-20", 1000, r([10, 20]), "middle"],
  // last past EOF is clipped
  ["bytes=500-1500", 1000, r([500, 999]), "last past EOF clipped"],
  ["bytes=0-1000", 1000, r([0, 999]), "last == size clipped"],
  ["bytes=0-9007199254740991", 1000, r([0, 999]), "last at MAX_SAFE_INTEGER clipped"],
  // open-ended
  ["bytes=0-", 1000, r([0, 999]), "open-ended from 0"],
  ["bytes=500-", 1000, r([500, 999]), "open-ended from the middle"],
  ["bytes=999-", 1000, r([999, 999]), "open-ended from the last byte"],
  ["bytes=0-", 1, r([0, 0]), "open-ended on a one-byte file"],
  // suffix
  ["bytes=-1", 1000, r([999, 999]), "suffix of one byte"],
  ["bytes=-500", 1000, r([500, 999]), "suffix of half"],
  ["bytes=-1000", 1000, r([0, 999]), "suffix exactly the size"],
  ["bytes=-1001", 1000, r([0, 999]), "suffix one longer than the file: whole file"],
  ["bytes=-99999999", 1000, r([0, 999]), "suffix much longer than the file: whole file"],
  ["bytes=-9007199254740991", 10, r([0, 9]), "suffix at MAX_SAFE_INTEGER: whole file"],
  ["bytes=-5", 1, r([0, 0]), "suffix longer than a one-byte file"],
  // unsatisfiable
  ["bytes=-0", 1000, UNSAT, "suffix 0 is unsatisfiable"],
  ["bytes=-000", 1000, UNSAT, "suffix 0 with leading zeros"],
  ["bytes=1000-", 1000, UNSAT, "first == size"],
  ["bytes=1000-1000", 1000, UNSAT, "first == size, closed"],
  ["bytes=1001-2000", 1000, UNSAT, "first past EOF"],
  ["bytes=1-", 1, UNSAT, "open-ended past a one-byte file"],
  ["bytes=1000-, 2000-3000", 1000, UNSAT, "every range unsatisfiable"],
  ["bytes=-0, 1000-", 1000, UNSAT, "suffix 0 and first == size"],
  // last < first: invalid → 416
  ["bytes=5-3", 1000, UNSAT, "last < first"],
  ["bytes=1-0", 1000, UNSAT, "last < first by one"],
  ["bytes=2000-1500", 1000, UNSAT, "last < first, both past EOF"],
  ["bytes=0-1, 5-3", 1000, UNSAT, "an invalid spec makes the whole set invalid"],
  ["bytes=5-3, 0-1", 1000, UNSAT, "an invalid spec first makes the whole set invalid"],
  // mixed satisfiable/unsatisfiable: unsatisfiable specs dropped
  ["bytes=0-1, 2000-3000", 1000, r([0, 1]), "unsatisfiable second spec dropped"],
  ["bytes=2000-, 0-1", 1000, r([0, 1]), "unsatisfiable first spec dropped"],
  ["bytes=-0, -10", 1000, r([990, 999]), "suffix 0 dropped beside a satisfiable suffix"],
  ["bytes=1000-, 10-, -0", 1000, r([10, 999]), "only the satisfiable spec is kept"],
  // several ranges, request order kept, not coalesced
  ["bytes=0-99, -100", 1000, r([0, 99], [900, 999]), "doc example"],
  ["bytes=500-599, 0-99", 1000, r([500, 599], [0, 99]), "request order kept"],
  ["bytes=0-9, 5-14", 1000, r([0, 9], [5, 14]), "overlapping not coalesced by the parser"],
  ["bytes=0-0, 0-0", 1000, r([0, 0], [0, 0]), "duplicates kept by the parser"],
  ["bytes=0-1,2-3,4-5", 1000, r([0, 1], [2, 3], [4, 5]), "three specs, no spaces"],
  // unit
  ["items=0-5", 1000, IGNORED, "unknown unit ignored"],
  ["none=0-5", 1000, IGNORED, "'none' unit ignored"],
  ["byte=0-5", 1000, IGNORED, "'byte' is not 'bytes'"],
  ["bytesx=0-5", 1000, IGNORED, "unit with a suffix"],
  ["BYTES=0-1", 1000, r([0, 1]), "unit is case-insensitive (upper)"],
  ["Bytes=0-1", 1000, r([0, 1]), "unit is case-insensitive (mixed)"],
  ["bYtEs=-2", 1000, r([998, 999]), "unit is case-insensitive (suffix)"],
  ["bytes 0-1", 1000, IGNORED, "missing '='"],
  ["0-1", 1000, IGNORED, "no unit at all"],
  ["=0-1", 1000, IGNORED, "empty unit"],
  ["", 1000, IGNORED, "empty header"],
  // whitespace
  ["bytes=0-1, 2-3", 1000, r([0, 1], [2, 3]), "SP after comma"],
  ["bytes=0-1 ,2-3", 1000, r([0, 1], [2, 3]), "SP before comma"],
  ["bytes=0-1 , 2-3", 1000, r([0, 1], [2, 3]), "SP around comma"],
  ["bytes=0-1,\t2-3", 1000, r([0, 1], [2, 3]), "HTAB after comma"],
  ["bytes=0-1 \t ,\t 2-3", 1000, r([0, 1], [2, 3]), "mixed OWS around comma"],
  ["bytes= 0-1", 1000, r([0, 1]), "OWS before the first element"],
  ["bytes=0-1 ", 1000, r([0, 1]), "OWS after the last element"],
  ["bytes = 0-1", 1000, IGNORED, "whitespace around '='"],
  ["bytes =0-1", 1000, IGNORED, "whitespace before '='"],
  ["bytes=0 - 1", 1000, IGNORED, "whitespace around '-'"],
  ["bytes=0 -1", 1000, IGNORED, "whitespace before '-'"],
  ["bytes=0- 1", 1000, IGNORED, "whitespace after '-'"],
  ["bytes=- 5", 1000, IGNORED, "whitespace inside a suffix"],
  ["bytes=1 0-20", 1000, IGNORED, "whitespace inside a number"],
  ["bytes=0-1,\n2-3", 1000, IGNORED, "LF is not OWS"],
  ["bytes=0-1,\u00a02-3", 1000, IGNORED, "NBSP is not OWS"],
  // empty list elements
  ["bytes=0-1,,2-3", 1000, r([0, 1], [2, 3]), "empty element in the middle"],
  ["bytes=,0-1", 1000, r([0, 1]), "empty element first"],
  ["bytes=0-1,", 1000, r([0, 1]), "empty element last"],
  ["bytes=, ,0-1, ,", 1000, r([0, 1]), "several empty elements with OWS"],
  ["bytes=", 1000, IGNORED, "empty set"],
  ["bytes=,", 1000, IGNORED, "only an empty element"],
  ["bytes=, , ,", 1000, IGNORED, "only empty elements"],
  ["bytes= ", 1000, IGNORED, "only OWS"],
  // garbage
  ["bytes=abc", 1000, IGNORED, "letters"],
  ["bytes=a-b", 1000, IGNORED, "letters around a dash"],
  ["bytes=0-1, abc", 1000, IGNORED, "garbage after a valid spec"],
  ["bytes=abc, 0-1", 1000, IGNORED, "garbage before a valid spec"],
  ["bytes=--5", 1000, IGNORED, "double dash"],
  ["bytes=1-2-3", 1000, IGNORED, "two dashes"],
  ["bytes=0x10-", 1000, IGNORED, "hex"],
  ["bytes=+1-2", 1000, IGNORED, "plus sign"],
  ["bytes=1-+2", 1000, IGNORED, "plus sign on last"],
  ["bytes=-+2", 1000, IGNORED, "plus sign on suffix"],
  ["bytes=1.5-2", 1000, IGNORED, "decimal"],
  ["bytes=1e2-", 1000, IGNORED, "exponent"],
  ["bytes=-", 1000, IGNORED, "lone dash"],
  ["bytes=5", 1000, IGNORED, "no dash"],
  ["bytes=0-1;q=1", 1000, IGNORED, "parameter"],
  ["bytes=0-1, bytes=2-3", 1000, IGNORED, "two Range headers combined by Headers"],
  ["bytes=0-1,bytes=2-3", 1000, IGNORED, "two Range headers combined without space"],
  ["bytes==0-1", 1000, IGNORED, "double '='"],
  ["bytes=\u0660-\u0665", 1000, IGNORED, "Arabic-Indic digits"],
  ["bytes=\uff10-\uff15", 1000, IGNORED, "fullwidth digits"],
  ["bytes=0-\uff15", 1000, IGNORED, "fullwidth digit in last"],
  ["bytes=-\u0665", 1000, IGNORED, "Arabic-Indic digit in suffix"],
  ["bytes=\u0967-", 1000, IGNORED, "Devanagari digit"],
  ["bytes=0-1\u0000", 1000, IGNORED, "NUL after a number"],
  // number size limits
  ["bytes=9007199254740992-", 1000, IGNORED, "first = MAX_SAFE_INTEGER + 1"],
  ["bytes=0-9007199254740992", 1000, IGNORED, "last = MAX_SAFE_INTEGER + 1"],
  ["bytes=-9007199254740992", 1000, IGNORED, "suffix = MAX_SAFE_INTEGER + 1"],
  ["bytes=0-99999999999999999999", 1000, IGNORED, "20-digit last"],
  ["bytes=99999999999999999999999999999999-", 1000, IGNORED, "32-digit first"],
  ["bytes=0-18446744073709551616", 1000, IGNORED, "2^64 as last"],
  ["bytes=9007199254740991-", 1000, UNSAT, "first = MAX_SAFE_INTEGER is a valid number, past EOF"],
  ["bytes=1-" + "9".repeat(400), 1000, IGNORED, "a 400-digit number"],
  // leading zeros
  ["bytes=000000000000000000000005-", 1000, r([5, 999]), "24 leading zeros on first"],
  ["bytes=0-000000000000000000000000000009", 1000, r([0, 9]), "many leading zeros on last"],
  ["bytes=-0000000000000000000000000010", 1000, r([990, 999]), "many leading zeros on suffix"],
  ["bytes=" + "0".repeat(1000) + "-" + "0".repeat(999) + "1", 1000, r([0, 1]), "1000 zeros"],
  ["bytes=00-00", 1000, r([0, 0]), "'00' is zero"],
  // zero-size representation: no Content-Range can describe it
  ["bytes=0-0", 0, IGNORED, "zero-size: first-last"],
  ["bytes=0-", 0, IGNORED, "zero-size: open-ended"],
  ["bytes=-1", 0, IGNORED, "zero-size: suffix"],
  ["bytes=-0", 0, IGNORED, "zero-size: suffix 0"],
  ["bytes=5-3", 0, IGNORED, "zero-size: last < first"],
  ["bytes=abc", 0, IGNORED, "zero-size: garbage"],
  ["items=0-1", 0, IGNORED, "zero-size: unknown unit"],
];

describe("parseRange table", () => {
  test("has at least 60 cases", () => assert.ok(cases.length >= 60, String(cases.length)));
  for (const [header, size, expected, why] of cases) {
    test(`${why}: ${JSON.stringify(header.length > 60 ? header.slice(0, 57) + "..." : header)} / ${size}`, () => {
      assert.deepEqual(parseRange(header, size), expected);
    });
  }
});

describe("parseRange", () => {
  test("returned ranges are fresh objects, clipped within [0, size)", () => {
    const size = 777;
    for (const header of ["bytes=0-", "bytes=-5000", "bytes=700-9000", "bytes=3-4,-3,100-"]) {
      const result = parseRange(header, size);
      assert.equal(result.type, "ranges");
      if (result.type !== "ranges") continue;
      for (const { start, end } of result.ranges) {
        assert.ok(Number.isSafeInteger(start) && Number.isSafeInteger(end));
        assert.ok(0 <= start && start <= end && end < size, `${header}: ${start}-${end}`);
      }
    }
  });

  test("large sizes beyond 2^32 are exact", () => {
    const size = 2 ** 40 + 3;
    assert.deepEqual(parseRange("bytes=-2", size), r([2 ** 40 + 1, 2 ** 40 + 2]));
    assert.deepEqual(parseRange("bytes=4294967296-4294967299", size), r([4294967296, 4294967299]));
    assert.deepEqual(parseRange("bytes=1099511627776-", size), r([2 ** 40, 2 ** 40 + 2]));
  });

  test("10,000 ranges parse, in order", () => {
    const specs = Array.from({ length: 10_000 }, (_, i) => `${i * 10}-${i * 10 + 4}`);
    const result = parseRange("bytes=" + specs.join(","), 1_000_000);
    assert.equal(result.type, "ranges");
    if (result.type !== "ranges") return;
    assert.equal(result.ranges.length, 10_000);
    assert.deepEqual(result.ranges[0], { start: 0, end: 4 });
    assert.deepEqual(result.ranges[9_999], { start: 99_990, end: 99_994 });
  });

  // How long 200k specs take against 20k is a benchmark (bench/range_parse.ts), not a
  // unit test: a wall-clock ratio fails on a loaded machine. Here the work is counted.
  test("coalescing reads each range O(log n) times, not O(n)", () => {
    const reads = (n: number) => {
      let gets = 0;
      const ranges = Array.from({ length: n }, (_, i) => ({ start: (i * 7919) % n * 3, end: (i * 7919) % n * 3 }));
      const counted = new Proxy(ranges, {
        get(target, key, receiver) {
          if (typeof key === "string" && /^\d+$/.test(key)) gets++;
          return Reflect.get(target, key, receiver);
        },
      });
      assert.equal(coalesceRanges(counted).length, n, "disjoint ranges all survive");
      return gets;
    };
    for (const n of [1_000, 20_000]) {
      const bound = 4 * n * Math.log2(n) + 4 * n;
      const got = reads(n);
      // A quadratic merge (each range compared with every merged one) reads about n²/2 times.
      assert.ok(got <= bound, `${n} ranges: ${got} element reads, bound ${Math.round(bound)}`);
    }
  });

  test("many specs that are all unsatisfiable → unsatisfiable, no crash", () => {
    const header = "bytes=" + Array.from({ length: 5_000 }, (_, i) => `${2000 + i}-`).join(",");
    assert.deepEqual(parseRange(header, 1000), UNSAT);
  });

  test("many empty elements → ignored, no crash", () => {
    assert.deepEqual(parseRange("bytes=" + ",".repeat(100_000), 1000), IGNORED);
  });

  test("a megabyte of digits is ignored", () => {
    assert.deepEqual(parseRange("bytes=" + "1".repeat(1 << 20) + "-", 1000), IGNORED, "huge number → ignored");
  });
});

/** [input, expected, why] */
type CoalesceCase = [ByteRange[], ByteRange[], string];
const b = (...pairs: [number, number][]): ByteRange[] => pairs.map(([start, end]) => ({ start, end }));

const coalesceCases: CoalesceCase[] = [
  [[], [], "empty"],
  [b([5, 9]), b([5, 9]), "single"],
  [b([0, 9], [20, 29]), b([0, 9], [20, 29]), "disjoint, in order: identity"],
  [b([20, 29], [0, 9]), b([20, 29], [0, 9]), "disjoint, out of order: identity"],
  [b([0, 9], [11, 19]), b([0, 9], [11, 19]), "gap of one byte: not merged"],
  [b([0, 9], [10, 19]), b([0, 19]), "adjacent"],
  [b([10, 19], [0, 9]), b([0, 19]), "adjacent, reversed"],
  [b([0, 9], [5, 14]), b([0, 14]), "overlapping"],
  [b([5, 14], [0, 9]), b([0, 14]), "overlapping, reversed"],
  [b([0, 99], [10, 19]), b([0, 99]), "contained"],
  [b([10, 19], [0, 99]), b([0, 99]), "container second"],
  [b([0, 0], [0, 0]), b([0, 0]), "duplicates"],
  [b([0, 9], [9, 9]), b([0, 9]), "single byte at the end of another"],
  [b([50, 59], [0, 9], [10, 19]), b([50, 59], [0, 19]), "doc example: merged takes the earliest member's place"],
  [b([10, 19], [50, 59], [0, 9]), b([0, 19], [50, 59]), "merged group placed where its earliest member was"],
  [b([0, 4], [10, 14], [5, 9]), b([0, 14]), "a middle range bridges two"],
  [b([100, 199], [0, 9], [300, 399], [150, 320]), b([100, 399], [0, 9]), "chain of overlaps across the order"],
  [b([30, 39], [20, 29], [10, 19], [0, 9]), b([0, 39]), "reversed chain"],
  [b([0, 9], [100, 109], [5, 104]), b([0, 109]), "a late range joins two early ones"],
  [b([200, 299], [0, 9], [20, 29], [25, 210]), b([20, 299], [0, 9]), "earliest member of a group is index 0"],
  [b([0, 9], [0, 99], [50, 59]), b([0, 99]), "same start"],
];

describe("coalesceRanges", () => {
  for (const [input, expected, why] of coalesceCases) {
    test(why, () => {
      const before = structuredClone(input);
      assert.deepEqual(coalesceRanges(input), expected);
      assert.deepEqual(input, before, "input is not mutated");
    });
  }

  test("returns copies, not the input objects", () => {
    const input = b([0, 9], [20, 29]);
    const out = coalesceRanges(input);
    assert.notEqual(out, input);
    assert.notEqual(out[0], input[0]);
    out[0].end = 1;
    assert.equal(input[0].end, 9);
    const single = b([3, 4]);
    assert.notEqual(coalesceRanges(single)[0], single[0]);
  });

  test("result is disjoint, non-adjacent and covers exactly the same bytes", () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      const input: ByteRange[] = [];
      const count = 1 + rand(12);
      for (let i = 0; i < count; i++) {
        const start = rand(200);
        input.push({ start, end: start + rand(30) });
      }
      const out = coalesceRanges(input);
      const covered = (rs: ByteRange[]) => {
        const set = new Set<number>();
        for (const x of rs) for (let i = x.start; i <= x.end; i++) set.add(i);
        return [...set].sort((p, q) => p - q);
      };
      assert.deepEqual(covered(out), covered(input));
      const sorted = [...out].sort((p, q) => p.start - q.start);
      for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i].start > sorted[i - 1].end + 1);
      assert.equal(rangesLength(out), covered(input).length);
      // Each merged range sits where its earliest member was requested.
      const firstIndex = (m: ByteRange) => input.findIndex((x) => x.start >= m.start && x.end <= m.end);
      const firsts = out.map(firstIndex);
      assert.deepEqual(firsts, [...firsts].sort((p, q) => p - q));
    }
  });
});

describe("rangesLength", () => {
  const lengthCases: [ByteRange[], number][] = [
    [[], 0],
    [b([0, 0]), 1],
    [b([0, 9]), 10],
    [b([0, 9], [20, 29]), 20],
    [b([5, 5], [7, 7], [9, 9]), 3],
    [b([0, 2 ** 40 - 1]), 2 ** 40],
    [b([0, 499], [500, 999]), 1000],
  ];
  for (const [ranges, expected] of lengthCases) {
    test(`${JSON.stringify(ranges).slice(0, 60)} → ${expected}`, () => {
      assert.equal(rangesLength(ranges), expected);
    });
  }
});
