// planResponse as a table: request head + FileLike metadata in, status,
// header list and body segments out, with no I/O. The writers' own tests
// (writers.test.ts) check that each writer sends exactly this plan.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FRAMING_HEADERS, planResponse, type ResponsePlan } from "../src/http/plan.ts";
import type { HandleVideoOptions } from "../src/http/handler.ts";
import { InvalidFileError } from "../src/http/errors.ts";
import { countingFile, patternBytes } from "./helpers/counting_file.ts";

const SIZE = 10_000;
const MTIME = Date.UTC(2024, 0, 2, 3, 4, 5);
const ETAG = `"${MTIME.toString(16)}-${SIZE.toString(16)}"`;
const FILE = countingFile(patternBytes(SIZE), { name: "movie.mp4", lastModified: MTIME });

function plan(method: string, headers: Record<string, string> = {}, options?: HandleVideoOptions): ResponsePlan {
  const lookup = (name: string) => headers[name] ?? null;
  return planResponse({ method, header: lookup }, FILE, options);
}
function header(p: ResponsePlan, name: string): string | undefined {
  const lines = p.headers.filter(([n]) => n === name);
  assert.ok(lines.length <= 1, `${name} appears ${lines.length} times`);
  return lines[0]?.[1];
}

describe("planResponse decides status, headers and body segments", () => {
  const cases: {
    name: string;
    method?: string;
    headers?: Record<string, string>;
    status: number;
    body: ResponsePlan["body"];
    length?: string;
    range?: string;
  }[] = [
    { name: "plain GET", status: 200, body: [{ start: 0, end: SIZE - 1 }], length: String(SIZE) },
    { name: "HEAD", method: "HEAD", status: 200, body: null, length: String(SIZE) },
    { name: "HEAD ignores Range", method: "HEAD", headers: { range: "bytes=0-1" }, status: 200, body: null },
    {
      name: "one range",
      headers: { range: "bytes=10-19" },
      status: 206,
      body: [{ start: 10, end: 19 }],
      length: "10",
      range: `bytes 10-19/${SIZE}`,
    },
    {
      name: "suffix range",
      headers: { range: "bytes=-5" },
      status: 206,
      body: [{ start: SIZE - 5, end: SIZE - 1 }],
      range: `bytes ${SIZE - 5}-${SIZE - 1}/${SIZE}`,
    },
    { name: "unsatisfiable", headers: { range: "bytes=20000-" }, status: 416, body: null, range: `bytes */${SIZE}` },
    { name: "unknown unit ignored", headers: { range: "items=0-5" }, status: 200, body: [{ start: 0, end: SIZE - 1 }] },
    { name: "If-None-Match hit", headers: { "if-none-match": ETAG }, status: 304, body: null, length: undefined },
    { name: "If-Match miss", headers: { "if-match": '"other"' }, status: 412, body: null, length: "0" },
    {
      name: "If-Range miss sends all",
      headers: { range: "bytes=0-1", "if-range": '"other"' },
      status: 200,
      body: [{ start: 0, end: SIZE - 1 }],
    },
    { name: "POST", method: "POST", status: 405, body: null, length: "0" },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const p = plan(c.method ?? "GET", c.headers);
      assert.equal(p.status, c.status, "status");
      assert.deepEqual(p.body, c.body, "body segments");
      if ("length" in c) assert.equal(header(p, "content-length"), c.length, "content-length");
      assert.equal(header(p, "content-range"), c.range, "content-range");
      for (const [name] of p.headers) assert.equal(name, name.toLowerCase(), "names are lower case");
    });
  }

  test("several ranges: multipart segments whose lengths add up to Content-Length", () => {
    const p = plan("GET", { range: "bytes=0-1,100-199" });
    assert.equal(p.status, 206);
    assert.match(header(p, "content-type")!, /^multipart\/byteranges; boundary=/);
    const length = p.body!.reduce((n, s) => n + ("bytes" in s ? s.bytes.length : s.end - s.start + 1), 0);
    assert.equal(header(p, "content-length"), String(length), "Content-Length is the segments' length");
    assert.deepEqual(p.body!.filter((s) => !("bytes" in s)), [{ start: 0, end: 1 }, { start: 100, end: 199 }]);
  });

  test("zero-length file: 200 with no segments", () => {
    const empty = countingFile(new Uint8Array(0), { name: "e.mp4" });
    const p = planResponse({ method: "GET", header: (n) => (n === "range" ? "bytes=0-0" : null) }, empty);
    assert.equal(p.status, 200);
    assert.deepEqual(p.body, []);
  });

  test("never reads or closes the file", () => {
    const f = countingFile(patternBytes(100), { name: "x.mp4" });
    for (const method of ["GET", "HEAD", "POST"]) {
      planResponse({ method, header: (n) => (n === "range" ? "bytes=0-9" : null) }, f);
    }
    assert.equal(f.reads.length, 0, "no read");
    assert.equal(f.closes, 0, "no close: the writer owns the file");
  });

  test("an invalid size throws InvalidFileError", () => {
    for (const size of [-1, 1.5, NaN]) {
      assert.throws(() => planResponse({ method: "GET", header: () => null }, { ...FILE, size }), InvalidFileError);
    }
  });

  test("caller headers: every init form, repeated names joined, Set-Cookie kept apart", () => {
    const forms: HandleVideoOptions["headers"][] = [
      { "X-A": "1", vary: "Origin" },
      [["x-a", "1"], ["Vary", "Origin"]],
      new Headers({ "x-a": "1", vary: "Origin" }),
    ];
    for (const headers of forms) {
      const p = plan("GET", {}, { headers });
      assert.equal(header(p, "x-a"), "1");
      assert.equal(header(p, "vary"), "Origin");
    }
    const p = plan("GET", {}, { headers: [["x-b", "1"], ["x-b", "2"], ["set-cookie", "a=1"], ["set-cookie", "b=2"]] });
    assert.equal(header(p, "x-b"), "1, 2");
    assert.deepEqual(p.headers.filter(([n]) => n === "set-cookie").map(([, v]) => v), ["a=1", "b=2"]);
  });
});

// Issue 17 item 3: a caller's framing header never survives, on any status.
describe("framing headers are the handler's on every status", () => {
  const hostile = {
    "Content-Length": "5",
    "Content-Range": "bytes 9-9/9",
    "Transfer-Encoding": "chunked",
    "Content-Type": "text/evil",
    "Trailer": "x-checksum",
    "X-Kept": "yes",
  };
  const cases: [string, string, Record<string, string>, number, Record<string, string | undefined>][] = [
    ["200", "GET", {}, 200, { "content-length": String(SIZE), "content-type": "video/mp4" }],
    ["HEAD", "HEAD", {}, 200, { "content-length": String(SIZE), "content-type": "video/mp4" }],
    ["206", "GET", { range: "bytes=0-1" }, 206, { "content-length": "2", "content-range": `bytes 0-1/${SIZE}` }],
    ["304", "GET", { "if-none-match": ETAG }, 304, { "content-length": undefined, "content-type": undefined }],
    ["405", "DELETE", {}, 405, { "content-length": "0", "content-type": undefined }],
    ["412", "GET", { "if-match": '"nope"' }, 412, { "content-length": "0", "content-type": undefined }],
    ["416", "GET", { range: "bytes=99999-" }, 416, { "content-length": "0", "content-range": `bytes */${SIZE}` }],
  ];
  for (const [name, method, request, status, expected] of cases) {
    test(name, () => {
      const p = plan(method, request, { headers: hostile });
      assert.equal(p.status, status);
      assert.equal(header(p, "x-kept"), "yes", "other caller headers are kept");
      assert.equal(header(p, "transfer-encoding"), undefined, "no caller Transfer-Encoding");
      assert.equal(header(p, "trailer"), undefined, "no caller Trailer");
      if (status !== 206 && status !== 416) assert.equal(header(p, "content-range"), undefined, "no Content-Range");
      for (const [h, v] of Object.entries(expected)) assert.equal(header(p, h), v, h);
    });
  }
  test("multipart keeps its own Content-Type", () => {
    const p = plan("GET", { range: "bytes=0-1,100-101" }, { headers: hostile });
    assert.match(header(p, "content-type")!, /^multipart\/byteranges; boundary=/);
  });
  test("the owned set", () => {
    for (const h of ["content-length", "content-range", "content-type", "transfer-encoding", "trailer"]) {
      assert.ok(FRAMING_HEADERS.has(h), h);
    }
  });
});

// Found by mutation testing (docs/MUTATION.md): each test names the mutants it kills.
describe("planResponse edges", () => {
  // Kills the message → `""` at plan.ts:78.
  test("an invalid size says what it got", () => {
    assert.throws(() => planResponse({ method: "GET", header: () => null }, { ...FILE, size: -1 }), {
      name: "InvalidFileError",
      message: "FileLike.size must be a non-negative safe integer, got -1",
    });
  });

  // Kills `([n]) => n === name` → `() => undefined`, `n === name` → `false`,
  // `at >= 0` → `false` and → `at > 0` (HeaderList.set, plan.ts:166-167): a header
  // the plan sets replaces a caller's line of that name, even the first one.
  test("a header the plan sets replaces the caller's line of the same name", () => {
    const headers: [string, string][] = [
      ["ETag", '"caller"'],
      ["cache-control", "no-store"],
      ["accept-ranges", "none"],
      ["last-modified", "yesterday"],
      ["vary", "origin"],
    ];
    const p = plan("GET", {}, { headers, cacheControl: "max-age=60" });
    assert.equal(p.headers[0][0], "etag", "the caller's first line keeps its place");
    assert.equal(header(p, "etag"), ETAG, "the file's ETag, once");
    assert.equal(header(p, "cache-control"), "max-age=60", "the cacheControl option, once");
    assert.equal(header(p, "accept-ranges"), "bytes", "Accept-Ranges, once");
    assert.equal(header(p, "last-modified"), "Tue, 02 Jan 2024 03:04:05 GMT", "the file's Last-Modified, once");
    assert.equal(header(p, "vary"), "origin", "a header the plan does not set is the caller's");
  });

  // Kills `cap > 0` → `true` and → `cap >= 0` at plan.ts:188: a maxRangeLength of 0 or
  // less is no cap (it would otherwise cut every range to an empty one).
  test("maxRangeLength 0 or negative is off", () => {
    for (const maxRangeLength of [0, -1]) {
      const one = plan("GET", { range: "bytes=10-19" }, { maxRangeLength });
      assert.deepEqual(one.body, [{ start: 10, end: 19 }], `one range, maxRangeLength ${maxRangeLength}`);
      assert.equal(header(one, "content-range"), `bytes 10-19/${SIZE}`, "its Content-Range");
      const two = plan("GET", { range: "bytes=0-99,200-299" }, { maxRangeLength });
      assert.deepEqual(
        two.body!.filter((s) => !("bytes" in s)),
        [{ start: 0, end: 99 }, { start: 200, end: 299 }],
        `two ranges, maxRangeLength ${maxRangeLength}`,
      );
    }
  });

  // Kills `rangesLength(ranges) > cap` → `>=` at plan.ts:189: ranges exactly as long as
  // the cap together stay multipart.
  test("several ranges exactly as long as maxRangeLength stay multipart", () => {
    const p = plan("GET", { range: "bytes=0-4,10-14" }, { maxRangeLength: 10 });
    assert.equal(p.status, 206);
    assert.match(header(p, "content-type")!, /^multipart\/byteranges; boundary=/, "multipart");
    assert.deepEqual(p.body!.filter((s) => !("bytes" in s)), [{ start: 0, end: 4 }, { start: 10, end: 14 }], "both");
    const over = plan("GET", { range: "bytes=0-4,10-15" }, { maxRangeLength: 10 });
    assert.deepEqual(over.body, [{ start: 0, end: 4 }], "one byte more: the first range only");
  });

  // Kills `ms !== undefined && Number.isFinite(ms) && ms >= 0` → `true`, `ms >= 0` →
  // `true` and → `ms > 0` (validTime, plan.ts:212): the epoch is a time, NaN,
  // Infinity and negative times are not.
  test("a modification time of 0 is the epoch; NaN, Infinity and negative ones are none", () => {
    const at = (lastModified: number) =>
      planResponse({ method: "GET", header: () => null }, { ...FILE, lastModified, etag: undefined });
    const epoch = at(0);
    assert.equal(header(epoch, "last-modified"), "Thu, 01 Jan 1970 00:00:00 GMT", "Last-Modified of 0");
    assert.equal(header(epoch, "etag"), `"0-${SIZE.toString(16)}"`, "the ETag of mtime 0");
    for (const bad of [NaN, Infinity, -1000]) {
      const p = at(bad);
      assert.equal(header(p, "last-modified"), undefined, `no Last-Modified for ${bad}`);
      assert.equal(header(p, "etag"), undefined, `no ETag for ${bad}`);
    }
  });
});
