// Property-based tests of the pure pieces: the Range parser against an
// independent model, the precondition order of RFC 9110 §13.2.2 and If-Range
// against a model built from known validators, and multipart framing parsed
// back by an independent parser. RANGED_FUZZ_RUNS sets the cases per property.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { coalesceRanges, parseRange } from "../src/http/range.ts";
import { evaluatePreconditions, ifRangeHolds, type Validators } from "../src/http/conditional.ts";
import { multipartLayout } from "../src/http/multipart.ts";
import { parseMultipart } from "./helpers/multipart_parse.ts";
import { runtime } from "./helpers/server.ts";
import {
  count,
  headerValueArb,
  isVirtual,
  numberText,
  params,
  rangeHeaderArb,
  reportCases,
  runs,
  sizeArb,
  virtualBytes,
} from "./helpers/fuzz.ts";

const RUNS = runs(3000);
after(() => reportCases("property_pure", runtime));

/** The model of parseRange for grammatical specs, written from docs/DECISIONS.md, decisions 1–3. */
function modelRange(specs: { first?: bigint; last?: bigint; suffix?: bigint }[], size: number) {
  if (size === 0 || specs.length === 0) return { type: "ignored" };
  const MAX = BigInt(Number.MAX_SAFE_INTEGER);
  const S = BigInt(size);
  const out: { start: number; end: number }[] = [];
  let invalid = false;
  for (const s of specs) {
    for (const v of [s.first, s.last, s.suffix]) if (v !== undefined && v > MAX) return { type: "ignored" };
  }
  for (const s of specs) {
    if (s.suffix !== undefined) {
      if (s.suffix > 0n) out.push({ start: Number(s.suffix >= S ? 0n : S - s.suffix), end: size - 1 });
      continue;
    }
    if (s.last !== undefined && s.last < s.first!) invalid = true;
    if (s.first! < S && !invalid) {
      out.push({ start: Number(s.first), end: Number(s.last !== undefined && s.last < S ? s.last : S - 1n) });
    }
  }
  if (invalid || out.length === 0) return { type: "unsatisfiable" };
  return { type: "ranges", ranges: out };
}

test(`parseRange never throws and every range lies inside the file (${RUNS} cases)`, () => {
  fc.assert(
    fc.property(sizeArb.chain((size) => fc.tuple(fc.constant(size), rangeHeaderArb(size, 40))), ([size, header]) => {
      count("parseRange-any");
      const r = parseRange(header, size);
      assert.ok(["ranges", "unsatisfiable", "ignored"].includes(r.type));
      if (r.type !== "ranges") return;
      assert.ok(size > 0 && r.ranges.length > 0);
      for (const { start, end } of r.ranges) {
        assert.ok(Number.isSafeInteger(start) && Number.isSafeInteger(end), `${start}-${end}`);
        assert.ok(0 <= start && start <= end && end < size, `${start}-${end} outside ${size}`);
      }
      const merged = coalesceRanges(r.ranges);
      for (let i = 0; i < merged.length; i++) {
        for (let j = 0; j < merged.length; j++) {
          if (i !== j) assert.ok(merged[i].end + 1 < merged[j].start || merged[j].end + 1 < merged[i].start);
        }
      }
    }),
    params(RUNS),
  );
});

test(`parseRange equals the model on grammatical headers, with odd whitespace and case (${RUNS} cases)`, () => {
  const digits = (size: number) => numberText(size).map((t) => BigInt(t));
  const spec = (size: number) =>
    fc.oneof(
      fc.tuple(digits(size), digits(size)).map(([first, last]) => ({ first, last })),
      digits(size).map((first) => ({ first })),
      digits(size).map((suffix) => ({ suffix })),
    );
  const text = (s: { first?: bigint; last?: bigint; suffix?: bigint }) =>
    s.suffix !== undefined ? `-${s.suffix}` : `${s.first}-${s.last ?? ""}`;
  fc.assert(
    fc.property(
      sizeArb.chain((size) =>
        fc.tuple(
          fc.constant(size),
          fc.array(fc.tuple(spec(size), fc.constantFrom("", " ", "\t", " \t"), fc.constantFrom("", ",", " ,")), {
            maxLength: 20,
          }),
          fc.constantFrom("bytes", "BYTES", "Bytes"),
        )
      ),
      ([size, specs, unit]) => {
        count("parseRange-model");
        const header = `${unit}=` + specs.map(([s, ws, extra]) => ws + text(s) + ws + extra).join(",");
        assert.deepEqual(parseRange(header, size), modelRange(specs.map(([s]) => s), size), header);
      },
    ),
    params(RUNS),
  );
});

test(`thousands of ranges: all inside the file (${Math.ceil(RUNS / 30)} cases)`, () => {
  fc.assert(
    fc.property(
      sizeArb.chain((size) =>
        fc.tuple(
          fc.constant(size),
          fc.array(fc.tuple(fc.nat(Math.max(0, size)), fc.nat(500)), { minLength: 1000, maxLength: 5000 }),
        )
      ),
      ([size, pairs]) => {
        count("parseRange-thousands");
        const header = "bytes=" + pairs.map(([a, n]) => `${a}-${a + n}`).join(", ");
        // Scaling is measured in bench/range_parse.ts and by the work count in range.test.ts.
        const r = parseRange(header, size);
        const merged = r.type === "ranges" ? coalesceRanges(r.ranges) : [];
        for (const m of merged) {
          assert.ok(0 <= m.start && m.start <= m.end && m.end < size, `${m.start}-${m.end}/${size}`);
        }
      },
    ),
    params(Math.ceil(RUNS / 30)),
  );
});

// Preconditions: validators and header values drawn from a known pool, so the
// model decides matches by construction, independently of the ETag list parser.
const LM = 1_700_000_123_456;
const LM_SEC = Math.floor(LM / 1000) * 1000;
const httpDate = (ms: number) => new Date(ms).toUTCString();

interface TagChoice {
  value: string;
  strong: boolean; // strong comparison with the current ETag holds
  weak: boolean; // weak comparison holds
}
interface DateChoice {
  value: string;
  date: number | undefined; // parsed seconds (ms), undefined when invalid
}

const tagPool = (etag: string | undefined): fc.Arbitrary<TagChoice> => {
  const opaque = etag?.replace(/^W\//, "");
  const strongEtag = etag !== undefined && !etag.startsWith("W/");
  const choices: TagChoice[] = [
    { value: "*", strong: true, weak: true },
    { value: '"other"', strong: false, weak: false },
    { value: '"other", W/"x"', strong: false, weak: false },
    { value: "garbage", strong: false, weak: false },
  ];
  if (etag !== undefined) {
    choices.push(
      { value: etag, strong: strongEtag, weak: true },
      { value: `W/${opaque}`, strong: false, weak: true },
      { value: `"nope", ${etag}`, strong: strongEtag, weak: true },
      { value: ` ${etag} ,  "z"`, strong: strongEtag, weak: true },
    );
  }
  return fc.constantFrom(...choices);
};

const datePool: fc.Arbitrary<DateChoice> = fc.oneof(
  fc.integer({ min: -5, max: 5 }).map((d) => ({ value: httpDate(LM_SEC + d * 1000), date: LM_SEC + d * 1000 })),
  fc.constantFrom<DateChoice>(
    { value: httpDate(LM_SEC + 999), date: LM_SEC },
    { value: "yesterday", date: undefined },
    { value: "Sun, 99 Foo 2023 00:00:00 GMT", date: undefined },
  ),
);

function modelPreconditions(
  method: string,
  h: { ifMatch?: TagChoice; ius?: DateChoice; inm?: TagChoice; ims?: DateChoice },
  v: Validators,
): string {
  const safe = method === "GET" || method === "HEAD";
  const lm = v.lastModified === undefined ? undefined : Math.floor(v.lastModified / 1000) * 1000;
  if (h.ifMatch) {
    if (!(h.ifMatch.value === "*" || (v.etag !== undefined && h.ifMatch.strong))) return "failed";
  } else if (h.ius && h.ius.date !== undefined && lm !== undefined && lm > h.ius.date) return "failed";
  if (h.inm) {
    if (h.inm.value === "*" || (v.etag !== undefined && h.inm.weak)) return safe ? "not-modified" : "failed";
  } else if (safe && h.ims && h.ims.date !== undefined && lm !== undefined && lm <= h.ims.date) return "not-modified";
  return "proceed";
}

test(`preconditions follow RFC 9110 §13.2.2 in order (${RUNS} cases)`, () => {
  const validators = fc.record({
    etag: fc.constantFrom(undefined, '"abc-123"', 'W/"abc-123"'),
    lastModified: fc.constantFrom(undefined, LM),
  });
  fc.assert(
    fc.property(
      validators.chain((v) =>
        fc.tuple(
          fc.constant(v),
          fc.constantFrom("GET", "HEAD", "POST", "PUT", "DELETE"),
          fc.option(tagPool(v.etag), { nil: undefined }),
          fc.option(datePool, { nil: undefined }),
          fc.option(tagPool(v.etag), { nil: undefined }),
          fc.option(datePool, { nil: undefined }),
        )
      ),
      ([v, method, ifMatch, ius, inm, ims]) => {
        count("preconditions-model");
        const headers = new Headers();
        if (ifMatch) headers.set("if-match", ifMatch.value);
        if (ius) headers.set("if-unmodified-since", ius.value);
        if (inm) headers.set("if-none-match", inm.value);
        if (ims) headers.set("if-modified-since", ims.value);
        const got = evaluatePreconditions(method, (n) => headers.get(n), v);
        assert.equal(got, modelPreconditions(method, { ifMatch, ius, inm, ims }, v), JSON.stringify([...headers]));
      },
    ),
    params(RUNS),
  );
});

test(`preconditions and If-Range never throw on arbitrary header bytes (${RUNS} cases)`, () => {
  fc.assert(
    fc.property(
      fc.record({
        etag: fc.option(fc.constantFrom('"a"', 'W/"a"', '"b"'), { nil: undefined }),
        lastModified: fc.option(fc.integer({ min: 0, max: 2 ** 42 }), { nil: undefined }),
      }),
      fc.dictionary(
        fc.constantFrom("if-match", "if-none-match", "if-modified-since", "if-unmodified-since"),
        headerValueArb,
      ),
      headerValueArb,
      (v, record, ifRange) => {
        count("preconditions-any");
        const headers = new Headers(record);
        const out = evaluatePreconditions("GET", (n) => headers.get(n), v);
        assert.ok(["proceed", "not-modified", "failed"].includes(out));
        assert.equal(typeof ifRangeHolds(ifRange, v), "boolean");
      },
    ),
    params(RUNS),
  );
});

test(`If-Range holds only for a strong ETag match or the exact, strong Last-Modified (${RUNS} cases)`, () => {
  const now = LM + 10_000;
  fc.assert(
    fc.property(
      fc.constantFrom(undefined, '"abc"', 'W/"abc"'),
      fc.constantFrom(undefined, LM, now - 500),
      fc.oneof(
        fc.constantFrom('"abc"', 'W/"abc"', '"abd"', ' "abc" ', "*", "", "garbage"),
        fc.integer({ min: -3, max: 3 }).map((d) => httpDate(LM_SEC + d * 1000)),
        fc.constant(httpDate(now - 500)),
      ),
      (etag, lastModified, value) => {
        count("if-range-model");
        const v = value.trim();
        let expected: boolean;
        if (v.startsWith('"') || v.startsWith("W/")) expected = etag === '"abc"' && v === '"abc"';
        else {
          const date = /GMT$/.test(v) ? Date.parse(v) : NaN;
          const lm = lastModified === undefined ? undefined : Math.floor(lastModified / 1000) * 1000;
          expected = lm !== undefined && !Number.isNaN(date) && date === lm && lm + 1000 <= now;
        }
        assert.equal(ifRangeHolds(value, { etag, lastModified }, now), expected, `${value} vs ${etag}/${lastModified}`);
      },
    ),
    params(RUNS),
  );
});

test(`multipart framing: exact length, parses back to the requested bytes (${RUNS} cases)`, () => {
  const layoutCase = fc.integer({ min: 1, max: 20_000 }).chain((size) =>
    fc.tuple(
      fc.constant(size),
      fc.array(fc.tuple(fc.nat(size - 1), fc.nat(size - 1)), { minLength: 1, maxLength: 30 }),
      fc.constantFrom("video/mp4", "application/octet-stream", "text/plain; charset=utf-8"),
      fc.stringMatching(/^[0-9A-Za-z'()+_,\-.:=?]{1,69}[0-9A-Za-z'()+_,\-.:=?]$/),
    )
  );
  fc.assert(
    fc.property(layoutCase, ([size, pairs, type, boundary]) => {
      count("multipart-layout");
      const ranges = pairs.map(([a, b]) => ({ start: Math.min(a, b), end: Math.max(a, b) }));
      const layout = multipartLayout(ranges, size, type, boundary);
      const pieces = layout.segments.map((s) => ("bytes" in s ? s.bytes : virtualBytes(s.start, s.end - s.start + 1)));
      const body = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of pieces) {
        body.set(p, o);
        o += p.length;
      }
      assert.equal(body.length, layout.length);
      const parts = parseMultipart(body, layout.contentType);
      assert.equal(parts.length, ranges.length);
      parts.forEach((part, i) => {
        const r = ranges[i];
        assert.equal(part.headers.get("content-range"), `bytes ${r.start}-${r.end}/${size}`);
        assert.equal(part.headers.get("content-type"), type);
        assert.equal(part.body.length, r.end - r.start + 1);
        assert.ok(isVirtual(part.body, r.start), `part ${i} bytes`);
      });
    }),
    params(RUNS),
  );
});
