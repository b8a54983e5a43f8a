import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  defaultETag,
  evaluatePreconditions,
  ifRangeHolds,
  parseETagList,
  type PreconditionOutcome,
  strongMatch,
  type Validators,
  weakMatch,
} from "../src/http/conditional.ts";

describe("parseETagList", () => {
  const cases: [string, string[], string][] = [
    [`"a"`, [`"a"`], "single strong tag"],
    [`W/"a"`, [`W/"a"`], "single weak tag"],
    [`"a", "b"`, [`"a"`, `"b"`], "two tags"],
    [`"a","b"`, [`"a"`, `"b"`], "two tags without space"],
    [`"a"\t,\t"b"`, [`"a"`, `"b"`], "HTAB around comma"],
    [`"a"  ,   W/"b"`, [`"a"`, `W/"b"`], "spaces around comma, mixed strength"],
    [`"a", W/"b" ,"c,d"`, [`"a"`, `W/"b"`, `"c,d"`], "doc example: comma inside quotes"],
    [`"a,b", "c"`, [`"a,b"`, `"c"`], "comma inside the first tag"],
    [`",", ","`, [`","`, `","`], "tags that are only a comma"],
    [`"W/a"`, [`"W/a"`], "W/ inside the quotes is opaque data"],
    [`*`, ["*"], "wildcard"],
    [`  *  `, ["*"], "wildcard with whitespace"],
    [`"*"`, [`"*"`], "quoted star is a tag, not the wildcard"],
    [`""`, [`""`], "empty opaque tag"],
    [`W/""`, [`W/""`], "weak empty opaque tag"],
    [``, [], "empty value"],
    [`   `, [], "only whitespace"],
    [`,`, [], "only a comma"],
    [`,, "a" ,, "b",,`, [`"a"`, `"b"`], "empty list elements"],
    [` "a" `, [`"a"`], "surrounding whitespace"],
    [`a`, [], "unquoted"],
    [`"a`, [], "unterminated"],
    [`"a", "b`, [`"a"`], "unterminated second tag: first still counts"],
    [`"a", b, "c"`, [`"a"`], "malformed element ends the list"],
    [`"a" "b"`, [], "missing comma: the malformed element and the rest are dropped"],
    [`"a"x, "b"`, [], "junk after a tag: dropped with the rest"],
    [`"a", "b"x`, [`"a"`], "tags before a malformed element still count"],
    [`"a", *`, [`"a"`], "wildcard inside a list is malformed"],
    [`*, "a"`, [], "wildcard followed by a list is malformed"],
    [`w/"a"`, [], "lower-case w/ is not a weak prefix"],
    [`W/a`, [], "W/ without quotes"],
    [`W/ "a"`, [], "space after W/"],
    [`W/"a", w/"b"`, [`W/"a"`], "lower-case w/ after a valid tag"],
    [`"\u00e9t\u00e9"`, [`"\u00e9t\u00e9"`], "obs-text inside the quotes"],
    // Kills `if (s[i] !== '"') break` → `if (false) break`: the mutant takes `a"` as a tag.
    [`a"`, [], "no opening quote: a quote at the end does not make a tag"],
    [`"a", b"`, [`"a"`], "no opening quote on the second element"],
    // Kills `if (close < 0) break` → `if (false) break`: the mutant restarts at 0 and loops forever.
    [`, "a`, [], "unterminated tag after an empty element"],
  ];
  for (const [input, expected, why] of cases) {
    test(`${why}: ${JSON.stringify(input)}`, () => {
      assert.deepEqual(parseETagList(input), expected);
    });
  }

  test("a long list parses completely", () => {
    const tags = Array.from({ length: 5000 }, (_, i) => (i % 2 ? `W/"t${i}"` : `"t${i}"`));
    assert.deepEqual(parseETagList(tags.join(", ")), tags);
  });
});

describe("strongMatch / weakMatch (RFC 9110 §8.8.3.2)", () => {
  // The example table of §8.8.3.2.
  const rfcTable: [string, string, boolean, boolean][] = [
    [`W/"1"`, `W/"1"`, false, true],
    [`W/"1"`, `W/"2"`, false, false],
    [`W/"1"`, `"1"`, false, true],
    [`"1"`, `"1"`, true, true],
  ];
  for (const [a, b, strong, weak] of rfcTable) {
    test(`RFC table: ${a} vs ${b} → strong ${strong}, weak ${weak}`, () => {
      assert.equal(strongMatch(a, b), strong);
      assert.equal(strongMatch(b, a), strong, "strong comparison is symmetric");
      assert.equal(weakMatch(a, b), weak);
      assert.equal(weakMatch(b, a), weak, "weak comparison is symmetric");
    });
  }

  const more: [string, string, boolean, boolean][] = [
    [`"1"`, `"2"`, false, false],
    [`"abc"`, `"ABC"`, false, false],
    [`"1"`, `W/"2"`, false, false],
    [`""`, `""`, true, true],
    [`""`, `W/""`, false, true],
    [`"1"`, `"1 "`, false, false],
    [`"W/1"`, `"1"`, false, false],
  ];
  for (const [a, b, strong, weak] of more) {
    test(`${a} vs ${b} → strong ${strong}, weak ${weak}`, () => {
      assert.equal(strongMatch(a, b), strong);
      assert.equal(weakMatch(a, b), weak);
    });
  }
});

describe("defaultETag", () => {
  test("doc example", () => assert.equal(defaultETag(1_000_000, 1700000000000), `"18bcfe56800-f4240"`));
  test("zero size and epoch", () => assert.equal(defaultETag(0, 0), `"0-0"`));
  test("fractional milliseconds are truncated", () => assert.equal(defaultETag(10, 1500.9), `"5dc-a"`));
  test("large sizes in hex", () => assert.equal(defaultETag(2 ** 40, 1), `"1-10000000000"`));
  test("the kept last tag is only ever the one for the same size and time", () => {
    const cases: [number, number, string][] = [[10, 1500, `"5dc-a"`], [11, 1500, `"5dc-b"`], [11, 1501, `"5dd-b"`]];
    for (const [size, mtime, tag] of [...cases, ...cases.toReversed(), ...cases]) {
      assert.equal(defaultETag(size, mtime), tag);
      assert.equal(defaultETag(size, mtime), tag);
    }
  });
  test("strong, quoted, and parseable as one tag", () => {
    const tag = defaultETag(12345, 1_700_000_123_456);
    assert.ok(!tag.startsWith("W/"));
    assert.match(tag, /^"[0-9a-f]+-[0-9a-f]+"$/);
    assert.deepEqual(parseETagList(tag), [tag]);
    assert.ok(strongMatch(tag, tag));
  });
  test("changes with size and with mtime, including sub-second mtime", () => {
    const base = defaultETag(100, 1_700_000_000_000);
    assert.notEqual(defaultETag(101, 1_700_000_000_000), base);
    assert.notEqual(defaultETag(100, 1_700_000_000_001), base);
    assert.notEqual(defaultETag(100, 1_700_000_001_000), base);
  });
});

// Last-Modified of the test representation: Mon, 01 Jan 2024 12:00:00.500 GMT.
const LM = Date.UTC(2024, 0, 1, 12, 0, 0, 500);
const LM_SEC = Date.UTC(2024, 0, 1, 12, 0, 0);
const AT = "Mon, 01 Jan 2024 12:00:00 GMT";
const BEFORE = "Mon, 01 Jan 2024 11:59:59 GMT";
const AFTER = "Mon, 01 Jan 2024 12:00:01 GMT";
const AT_850 = "Monday, 01-Jan-24 12:00:00 GMT";
const AT_ASCTIME = "Mon Jan  1 12:00:00 2024";
const V: Validators = { etag: `"v1"`, lastModified: LM };
const WEAK: Validators = { etag: `W/"v1"`, lastModified: LM };

/** [method, request headers, validators, expected, why] */
type PreCase = [string, Record<string, string>, Validators, PreconditionOutcome, string];

const preCases: PreCase[] = [
  ["GET", {}, V, "proceed", "no conditional headers"],
  ["PUT", {}, V, "proceed", "no conditional headers, unsafe method"],
  ["GET", {}, {}, "proceed", "no headers, no validators"],
  // If-Match (strong comparison)
  ["GET", { "if-match": `"v1"` }, V, "proceed", "If-Match matches"],
  ["PUT", { "if-match": `"v1"` }, V, "proceed", "If-Match matches, PUT"],
  ["GET", { "if-match": `"v2"` }, V, "failed", "If-Match does not match"],
  ["DELETE", { "if-match": `"v2"` }, V, "failed", "If-Match does not match, DELETE"],
  ["GET", { "if-match": `"x", "v1", "y"` }, V, "proceed", "If-Match list contains the tag"],
  ["GET", { "if-match": `W/"v1"` }, V, "failed", "If-Match with a weak tag never matches (strong comparison)"],
  ["GET", { "if-match": `W/"v1"` }, WEAK, "failed", "If-Match against a weak current tag never matches"],
  ["GET", { "if-match": `"v1"` }, WEAK, "failed", "If-Match strong tag vs weak current tag"],
  ["GET", { "if-match": "*" }, V, "proceed", "If-Match * with a representation"],
  ["GET", { "if-match": "*" }, { lastModified: LM }, "proceed", "If-Match * without an ETag"],
  ["GET", { "if-match": `"v1"` }, { lastModified: LM }, "failed", "If-Match tag without a current ETag"],
  ["GET", { "if-match": `v1` }, V, "failed", "If-Match malformed"],
  ["GET", { "if-match": `` }, V, "failed", "If-Match empty"],
  // If-Unmodified-Since
  ["PUT", { "if-unmodified-since": AFTER }, V, "proceed", "IUS after Last-Modified"],
  ["PUT", { "if-unmodified-since": AT }, V, "proceed", "IUS equal to Last-Modified (sub-second part ignored)"],
  ["PUT", { "if-unmodified-since": BEFORE }, V, "failed", "IUS before Last-Modified"],
  ["GET", { "if-unmodified-since": BEFORE }, V, "failed", "IUS before Last-Modified, GET"],
  ["PUT", { "if-unmodified-since": "not a date" }, V, "proceed", "IUS invalid date ignored"],
  ["PUT", { "if-unmodified-since": `${BEFORE}, ${BEFORE}` }, V, "proceed", "IUS list of dates is invalid, ignored"],
  ["PUT", { "if-unmodified-since": BEFORE.toLowerCase() }, V, "proceed", "IUS lower-case date is invalid, ignored"],
  ["PUT", { "if-unmodified-since": BEFORE }, { etag: `"v1"` }, "proceed", "IUS without Last-Modified ignored"],
  ["PUT", { "if-unmodified-since": "Monday, 01-Jan-24 11:59:59 GMT" }, V, "failed", "IUS in RFC 850 form"],
  ["PUT", { "if-unmodified-since": "Mon Jan  1 11:59:59 2024" }, V, "failed", "IUS in asctime form"],
  // If-Match beats If-Unmodified-Since
  ["PUT", { "if-match": `"v1"`, "if-unmodified-since": BEFORE }, V, "proceed", "If-Match true → IUS ignored"],
  ["PUT", { "if-match": `"v2"`, "if-unmodified-since": AFTER }, V, "failed", "If-Match false wins over a true IUS"],
  ["PUT", { "if-match": "*", "if-unmodified-since": BEFORE }, V, "proceed", "If-Match * → IUS ignored"],
  // If-None-Match (weak comparison)
  ["GET", { "if-none-match": `"v1"` }, V, "not-modified", "INM matches, GET"],
  ["HEAD", { "if-none-match": `"v1"` }, V, "not-modified", "INM matches, HEAD"],
  ["POST", { "if-none-match": `"v1"` }, V, "failed", "INM matches, POST → 412"],
  ["PUT", { "if-none-match": `"v1"` }, V, "failed", "INM matches, PUT → 412"],
  ["DELETE", { "if-none-match": `"v1"` }, V, "failed", "INM matches, DELETE → 412"],
  ["OPTIONS", { "if-none-match": `"v1"` }, V, "failed", "INM matches, OPTIONS → 412"],
  ["get", { "if-none-match": `"v1"` }, V, "failed", "method names are case-sensitive: 'get' is not GET"],
  ["GET", { "if-none-match": `W/"v1"` }, V, "not-modified", "INM weak tag vs strong current tag: weak match"],
  ["GET", { "if-none-match": `"v1"` }, WEAK, "not-modified", "INM strong tag vs weak current tag: weak match"],
  ["GET", { "if-none-match": `W/"v1"` }, WEAK, "not-modified", "INM weak vs weak"],
  ["GET", { "if-none-match": `"a", W/"v1"` }, V, "not-modified", "INM list contains the tag"],
  ["GET", { "if-none-match": `"v2"` }, V, "proceed", "INM does not match"],
  ["GET", { "if-none-match": `"V1"` }, V, "proceed", "INM comparison is case-sensitive"],
  ["PUT", { "if-none-match": `"v2"` }, V, "proceed", "INM does not match, PUT"],
  ["GET", { "if-none-match": "*" }, V, "not-modified", "INM * with a representation, GET"],
  ["PUT", { "if-none-match": "*" }, V, "failed", "INM * with a representation, PUT"],
  ["GET", { "if-none-match": "*" }, { lastModified: LM }, "not-modified", "INM * without an ETag"],
  ["GET", { "if-none-match": `"v1"` }, { lastModified: LM }, "proceed", "INM tag without a current ETag"],
  ["GET", { "if-none-match": "v1" }, V, "proceed", "INM malformed"],
  // If-None-Match present → If-Modified-Since ignored
  ["GET", { "if-none-match": `"v2"`, "if-modified-since": AFTER }, V, "proceed", "INM false → IMS ignored"],
  ["GET", { "if-none-match": "garbage", "if-modified-since": AFTER }, V, "proceed", "malformed INM → IMS ignored"],
  ["GET", { "if-none-match": `"v1"`, "if-modified-since": BEFORE }, V, "not-modified", "INM true wins over IMS"],
  ["GET", { "if-none-match": `"v2"`, "if-modified-since": AT }, V, "proceed", "INM false, IMS equal: ignored"],
  // If-Modified-Since
  ["GET", { "if-modified-since": AFTER }, V, "not-modified", "IMS after Last-Modified"],
  ["HEAD", { "if-modified-since": AFTER }, V, "not-modified", "IMS after Last-Modified, HEAD"],
  ["GET", { "if-modified-since": AT }, V, "not-modified", "IMS equal to Last-Modified (sub-second part ignored)"],
  ["GET", { "if-modified-since": BEFORE }, V, "proceed", "IMS before Last-Modified"],
  ["GET", { "if-modified-since": AT_850 }, V, "not-modified", "IMS in RFC 850 form"],
  ["GET", { "if-modified-since": AT_ASCTIME }, V, "not-modified", "IMS in asctime form"],
  ["POST", { "if-modified-since": AFTER }, V, "proceed", "IMS ignored for POST"],
  ["PUT", { "if-modified-since": AFTER }, V, "proceed", "IMS ignored for PUT"],
  ["GET", { "if-modified-since": "yesterday" }, V, "proceed", "IMS invalid date ignored"],
  ["GET", { "if-modified-since": "Mon, 01 Jan 2024 12:00:00" }, V, "proceed", "IMS without GMT ignored"],
  ["GET", { "if-modified-since": `${AFTER}, ${AFTER}` }, V, "proceed", "IMS list of dates ignored"],
  ["GET", { "if-modified-since": AFTER }, { etag: `"v1"` }, "proceed", "IMS without Last-Modified ignored"],
  // precedence across the steps
  ["GET", { "if-match": `"v2"`, "if-none-match": `"v1"` }, V, "failed", "If-Match false → 412 before INM's 304"],
  ["GET", { "if-unmodified-since": BEFORE, "if-none-match": `"v1"` }, V, "failed", "IUS false → 412 before 304"],
  ["GET", { "if-unmodified-since": BEFORE, "if-modified-since": AFTER }, V, "failed", "IUS false → 412 before IMS"],
  ["GET", { "if-match": `"v1"`, "if-none-match": `"v1"` }, V, "not-modified", "If-Match true, then INM true → 304"],
  ["GET", { "if-match": `"v1"`, "if-modified-since": AFTER }, V, "not-modified", "If-Match true, then IMS → 304"],
  ["GET", { "if-unmodified-since": AFTER, "if-modified-since": AFTER }, V, "not-modified", "IUS true, then IMS → 304"],
  ["GET", { "if-match": `"v1"`, "if-none-match": `"v2"` }, V, "proceed", "If-Match true, INM false → proceed"],
  [
    "GET",
    { "if-match": `"v1"`, "if-unmodified-since": BEFORE, "if-none-match": `"v2"`, "if-modified-since": AFTER },
    V,
    "proceed",
    "all four: If-Match hides IUS, INM hides IMS",
  ],
  ["GET", { "if-range": `"v2"`, range: "bytes=0-1" }, V, "proceed", "If-Range is not a precondition here"],
];

describe("evaluatePreconditions (RFC 9110 §13.2.2)", () => {
  for (const [method, headers, validators, expected, why] of preCases) {
    test(`${why} (${method} ${JSON.stringify(headers)})`, () => {
      const h = new Headers(headers);
      assert.equal(evaluatePreconditions(method, (n) => h.get(n), validators), expected);
    });
  }

  test("Last-Modified is compared at one-second granularity", () => {
    // Last-Modified 12:00:00.999 is sent as 12:00:00; a client echoing that date has the current version.
    const v: Validators = { etag: `"v1"`, lastModified: LM_SEC + 999 };
    const get = (headers: Record<string, string>, method = "GET") => {
      const h = new Headers(headers);
      return evaluatePreconditions(method, (n) => h.get(n), v);
    };
    assert.equal(get({ "if-modified-since": AT }), "not-modified");
    assert.equal(get({ "if-unmodified-since": AT }, "PUT"), "proceed");
    assert.equal(get({ "if-modified-since": BEFORE }), "proceed");
    // One more millisecond moves Last-Modified into the next second.
    const next: Validators = { lastModified: LM_SEC + 1000 };
    const h = new Headers({ "if-modified-since": AT });
    assert.equal(evaluatePreconditions("GET", (n) => h.get(n), next), "proceed");
  });

  test("reads headers only through the lookup function, by lower-case name", () => {
    const asked: string[] = [];
    const lookup = (name: string) => {
      asked.push(name);
      return name === "if-none-match" ? `"v1"` : null;
    };
    assert.equal(evaluatePreconditions("GET", lookup, V), "not-modified");
    for (const name of asked) assert.equal(name, name.toLowerCase());
    assert.ok(asked.includes("if-match"));
    assert.ok(asked.includes("if-none-match"));
  });
});

/** [If-Range value, validators, now, expected, why] */
type IfRangeCase = [string, Validators, number, boolean, string];
const LATER = LM_SEC + 3_600_000;

const ifRangeCases: IfRangeCase[] = [
  // entity-tags: strong comparison only
  [`"v1"`, V, LATER, true, "strong tag matches"],
  [`"v2"`, V, LATER, false, "strong tag differs"],
  [`"V1"`, V, LATER, false, "tags are case-sensitive"],
  [`  "v1"  `, V, LATER, true, "surrounding whitespace"],
  [`W/"v1"`, WEAK, LATER, false, "weak tag never matches, even identical"],
  [`W/"v1"`, V, LATER, false, "weak tag vs strong current tag"],
  [`"v1"`, WEAK, LATER, false, "strong tag vs weak current tag"],
  [`"v1"`, { lastModified: LM }, LATER, false, "tag without a current ETag"],
  [`"v1", "v2"`, V, LATER, false, "a list is not an If-Range value"],
  [`"v1`, V, LATER, false, "unterminated tag"],
  [`*`, V, LATER, false, "wildcard is not valid in If-Range"],
  [``, V, LATER, false, "empty"],
  [`v1`, V, LATER, false, "unquoted tag"],
  // dates: exact match with a strong Last-Modified
  [AT, V, LATER, true, "date equal to Last-Modified (second granularity)"],
  [AT, { lastModified: LM_SEC }, LATER, true, "date equal to a whole-second Last-Modified"],
  [AT_850, V, LATER, true, "RFC 850 date equal to Last-Modified"],
  [AT_ASCTIME, V, LATER, true, "asctime date equal to Last-Modified"],
  [AT, { etag: `"v1"`, lastModified: LM }, LATER, true, "date used even when an ETag exists"],
  [BEFORE, V, LATER, false, "date one second before Last-Modified"],
  [AFTER, V, LATER, false, "date one second after Last-Modified: not exact, so false"],
  [AT, { etag: `"v1"` }, LATER, false, "date without Last-Modified"],
  [AT, V, LM_SEC + 999, false, "Last-Modified within the last second is weak"],
  [AT, V, LM, false, "Last-Modified is now: weak"],
  [AT, V, LM_SEC + 1000, true, "Last-Modified exactly one second old: strong"],
  [AT, V, LM_SEC - 5000, false, "Last-Modified in the future: weak"],
  ["yesterday", V, LATER, false, "malformed date"],
  [AT.toUpperCase(), V, LATER, false, "upper-case date is malformed"],
  ["Mon, 01 Jan 2024 12:00:00", V, LATER, false, "date without GMT"],
  [`${AT}, ${AT}`, V, LATER, false, "two dates"],
  // Only a value that starts with a quote or W/ is an entity-tag. These kill
  // `v.startsWith('"')` → `v.endsWith('"')` and `v.startsWith("W/")` → `v.endsWith("W/")`,
  // which would compare an unquoted value with an equally malformed stored ETag.
  [`v1"`, { etag: `v1"` }, LATER, false, "unquoted value ending in a quote, even equal to the stored ETag"],
  [`v1W/`, { etag: `v1W/` }, LATER, false, "unquoted value ending in W/, even equal to the stored ETag"],
];

describe("ifRangeHolds (RFC 9110 §13.1.5)", () => {
  for (const [value, validators, now, expected, why] of ifRangeCases) {
    test(`${why}: ${JSON.stringify(value)}`, () => {
      assert.equal(ifRangeHolds(value, validators, now), expected);
    });
  }

  test("now defaults to the current time", () => {
    const old = Date.UTC(2020, 5, 1, 10, 0, 0);
    assert.equal(ifRangeHolds("Mon, 01 Jun 2020 10:00:00 GMT", { lastModified: old }), true);
    // Same second as Last-Modified, but that second has not passed yet.
    const future = Date.now() + 10_000;
    const futureDate = new Date(Math.floor(future / 1000) * 1000).toUTCString();
    assert.equal(ifRangeHolds(futureDate, { lastModified: future }), false);
    assert.equal(ifRangeHolds(futureDate, { lastModified: future }, future + 1000), true);
  });
});
