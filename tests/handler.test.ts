import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { handleVideo, type HandleVideoOptions } from "../src/http/handler.ts";
import { fromBlob, fromBytes } from "../src/http/file_like.ts";
import { FileTruncatedError, InvalidFileError } from "../src/http/errors.ts";
import { MAX_CHUNK } from "../src/http/chunk_size.ts";
import { countingFile, patternBytes, settle } from "./helpers/counting_file.ts";
import { parseMultipart } from "./helpers/multipart_parse.ts";
import { multipartLayout } from "../src/http/multipart.ts";

const SIZE = 10_000;
const DATA = patternBytes(SIZE);
const MTIME = Date.UTC(2024, 0, 2, 3, 4, 5);
const MTIME_HTTP = "Tue, 02 Jan 2024 03:04:05 GMT";
const ETAG = `"${MTIME.toString(16)}-${SIZE.toString(16)}"`;

function file(extra: Parameters<typeof countingFile>[1] = {}) {
  return countingFile(DATA, { name: "movie.mp4", lastModified: MTIME, ...extra });
}
function req(headers: Record<string, string> = {}, method = "GET") {
  return new Request("http://localhost/movie.mp4", { method, headers });
}
async function bytesOf(res: Response) {
  return new Uint8Array(await res.arrayBuffer());
}
async function call(headers: Record<string, string> = {}, options?: HandleVideoOptions, method = "GET") {
  const f = file();
  const res = handleVideo(req(headers, method), f, options);
  const body = await bytesOf(res);
  await settle();
  return { f, res, body };
}

describe("200 full", () => {
  test("headers and body", async () => {
    const { f, res, body } = await call();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("accept-ranges"), "bytes");
    assert.equal(res.headers.get("content-length"), String(SIZE));
    assert.equal(res.headers.get("content-type"), "video/mp4");
    assert.equal(res.headers.get("etag"), ETAG);
    assert.equal(res.headers.get("last-modified"), MTIME_HTTP);
    assert.equal(res.headers.get("content-range"), null);
    assert.deepEqual(body, DATA, "the whole file's bytes");
    assert.equal(f.closes, 1);
  });

  test("zero-length file: 200 empty, Range ignored", async () => {
    for (const range of [undefined, "bytes=0-", "bytes=-1", "bytes=0-0"]) {
      const f = countingFile(new Uint8Array(0), { name: "empty.mp4", lastModified: MTIME });
      const res = handleVideo(req(range ? { range } : {}), f);
      assert.equal(res.status, 200, String(range));
      assert.equal(res.headers.get("content-length"), "0");
      assert.equal((await bytesOf(res)).length, 0);
      await settle();
      assert.equal(f.closes, 1);
    }
  });

  test("returns synchronously, before any read", () => {
    const f = file();
    const res = handleVideo(req({ range: "bytes=0-99" }), f);
    assert.ok(res instanceof Response);
    assert.equal(f.reads.length, 0);
    return res.body?.cancel();
  });
});

describe("206 single range", () => {
  const cases: [string, number, number][] = [
    ["bytes=0-0", 0, 0],
    ["bytes=0-99", 0, 99],
    ["bytes=100-", 100, SIZE - 1],
    ["bytes=-500", SIZE - 500, SIZE - 1],
    ["bytes=-20000", 0, SIZE - 1],
    ["bytes=9990-20000", 9990, SIZE - 1],
    ["bytes=0-", 0, SIZE - 1],
    ["bytes=9999-", 9999, 9999],
    ["bytes=5000-5000", 5000, 5000],
    ["bytes=20000-,0-9", 0, 9],
    ["BYTES=1-2", 1, 2],
  ];
  for (const [range, start, end] of cases) {
    test(range, async () => {
      const { f, res, body } = await call({ range });
      assert.equal(res.status, 206);
      assert.equal(res.headers.get("content-range"), `bytes ${start}-${end}/${SIZE}`);
      assert.equal(res.headers.get("content-length"), String(end - start + 1));
      assert.equal(res.headers.get("content-type"), "video/mp4");
      assert.equal(res.headers.get("etag"), ETAG);
      assert.equal(res.headers.get("accept-ranges"), "bytes");
      assert.deepEqual(body, DATA.subarray(start, end + 1), `${range}: the range's bytes`);
      for (const r of f.reads) {
        assert.ok(r.position >= start && r.position + r.length <= end + 1, "read stays inside the range");
      }
      assert.equal(f.closes, 1);
    });
  }
});

describe("Range ignored → 200 full", () => {
  for (
    const range of [
      "items=0-5",
      "bytes=abc",
      "bytes=--5",
      "bytes=1-2-3",
      "bytes=",
      "bytes 0-5",
      "bytes=0-99999999999999999999",
      "bytes=9007199254740992-",
      "bytes=0-1, bytes=2-3",
    ]
  ) {
    test(range, async () => {
      const { res, body } = await call({ range });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-range"), null);
      assert.equal(body.length, SIZE);
    });
  }
});

describe("416", () => {
  for (const range of ["bytes=10000-", "bytes=-0", "bytes=20000-30000", "bytes=5-3", "bytes=10000-10001,20000-"]) {
    test(range, async () => {
      const { f, res, body } = await call({ range }, { headers: { "access-control-allow-origin": "*" } });
      assert.equal(res.status, 416);
      assert.equal(res.headers.get("content-range"), `bytes */${SIZE}`);
      assert.equal(res.headers.get("access-control-allow-origin"), "*");
      assert.equal(body.length, 0);
      assert.equal(f.reads.length, 0);
      assert.equal(f.closes, 1);
    });
  }
});

describe("multipart/byteranges", () => {
  test("several ranges parse back byte for byte, in request order", async () => {
    const { res, body } = await call({ range: "bytes=9000-9099, 0-9,-10" });
    assert.equal(res.status, 206);
    const type = res.headers.get("content-type")!;
    assert.match(type, /^multipart\/byteranges; boundary=[0-9a-f]{24}$/);
    assert.equal(res.headers.get("content-length"), String(body.length));
    assert.equal(res.headers.get("content-range"), null);
    const parts = parseMultipart(body, type);
    assert.deepEqual(
      parts.map((p) => p.headers.get("content-range")),
      [`bytes 9000-9099/${SIZE}`, `bytes 0-9/${SIZE}`, `bytes 9990-9999/${SIZE}`],
    );
    for (const p of parts) assert.equal(p.headers.get("content-type"), "video/mp4");
    assert.deepEqual(parts[0].body, DATA.subarray(9000, 9100), "part 1: bytes 9000-9099");
    assert.deepEqual(parts[1].body, DATA.subarray(0, 10), "part 2: bytes 0-9");
    assert.deepEqual(parts[2].body, DATA.subarray(9990, 10000), "part 3: bytes 9990-9999");
  });

  test("boundaries are random per response", () => {
    const a = handleVideo(req({ range: "bytes=0-1,10-11" }), file());
    const b = handleVideo(req({ range: "bytes=0-1,10-11" }), file());
    assert.notEqual(a.headers.get("content-type"), b.headers.get("content-type"));
    return Promise.all([a.body?.cancel(), b.body?.cancel()]).then(() => {});
  });

  test("overlapping and adjacent ranges coalesce", async () => {
    const { res, body } = await call({ range: "bytes=0-9,10-19,5-14,500-599,550-650" });
    assert.equal(res.status, 206);
    const parts = parseMultipart(body, res.headers.get("content-type")!);
    assert.deepEqual(parts.map((p) => p.headers.get("content-range")), [
      `bytes 0-19/${SIZE}`,
      `bytes 500-650/${SIZE}`,
    ]);
  });

  test("ranges that coalesce into one give a single-part 206", async () => {
    const { res, body } = await call({ range: "bytes=0-9,5-19,20-29" });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get("content-range"), `bytes 0-29/${SIZE}`);
    assert.deepEqual(body, DATA.subarray(0, 30), "the coalesced range's bytes");
  });

  test("more than maxRanges → 200 full", async () => {
    const many = Array.from({ length: 101 }, (_, i) => `${i * 20}-${i * 20 + 1}`).join(",");
    const { res, body } = await call({ range: "bytes=" + many });
    assert.equal(res.status, 200, "101 ranges > the default 100 → 200");
    assert.equal(res.headers.get("content-range"), null, "no Content-Range on the fallback");
    assert.deepEqual(body, DATA, "the fallback is the whole file");
    const limited = await call({ range: "bytes=0-1,10-11,20-21" }, { maxRanges: 2 });
    assert.equal(limited.res.status, 200, "3 ranges > maxRanges 2 → 200");
    assert.deepEqual(limited.body, DATA, "the fallback is the whole file");
    const exactly = await call({ range: "bytes=0-1,10-11" }, { maxRanges: 2 });
    assert.equal(exactly.res.status, 206, "2 ranges = maxRanges 2 → 206");
    const parts = parseMultipart(exactly.body, exactly.res.headers.get("content-type")!);
    assert.deepEqual(parts.map((p) => p.body), [DATA.subarray(0, 2), DATA.subarray(10, 12)], "the two parts' bytes");
  });

  test("parts plus framing larger than the file → 200 full (CVE-2011-3192)", async () => {
    const { res, body } = await call({ range: "bytes=0-4000,4002-9998" });
    assert.equal(res.status, 200, "framing would exceed the file → 200");
    assert.deepEqual(body, DATA, "the fallback is the whole file");
  });

  // The fallback is taken only when the multipart body would be LONGER than the
  // file. Kills `layout.length > size` → `>=` (and → `<`): a body exactly as
  // long as the file is still a 206, one byte longer is a 200.
  test("a multipart body exactly as long as the file is a 206; one byte longer, a 200", async () => {
    const ranges = "bytes=0-0,2-2";
    // The body's length depends on the size (each Content-Range ends with it):
    // iterate to the size that equals its own body length (the boundary is 24 digits).
    let size = 100;
    for (let i = 0; i < 5; i++) {
      size = multipartLayout([{ start: 0, end: 0 }, { start: 2, end: 2 }], size, "video/mp4", "0".repeat(24)).length;
    }
    const fits = patternBytes(size, 3);
    const exact = handleVideo(req({ range: ranges }), countingFile(fits, { name: "movie.mp4" }));
    assert.equal(Number(exact.headers.get("content-length")), size, `body length equals the file (${size})`);
    assert.equal(exact.status, 206, "a body exactly as long as the file → 206");
    const parts = parseMultipart(await bytesOf(exact), exact.headers.get("content-type")!);
    assert.deepEqual(parts.map((p) => p.body), [fits.subarray(0, 1), fits.subarray(2, 3)], "the two parts' bytes");
    const over = patternBytes(size - 1, 3);
    const longer = handleVideo(req({ range: ranges }), countingFile(over, { name: "movie.mp4" }));
    assert.equal(longer.status, 200, "a body one byte longer than the file → 200");
    assert.deepEqual(await bytesOf(longer), over, "the fallback is the whole file");
  });

  test("thousands of tiny ranges never grow the body beyond the file", async () => {
    const spec = Array.from({ length: 5000 }, (_, i) => `${i * 2}-${i * 2}`).join(",");
    const { res, body } = await call({ range: "bytes=" + spec });
    assert.equal(res.status, 200, "5000 ranges → 200");
    assert.deepEqual(body, DATA, "the fallback is the whole file");
  });
});

describe("maxRangeLength", () => {
  test("caps a long range to a shorter 206", async () => {
    const { res, body } = await call({ range: "bytes=100-" }, { maxRangeLength: 1000 });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get("content-range"), `bytes 100-1099/${SIZE}`);
    assert.deepEqual(body, DATA.subarray(100, 1100), "the capped range's bytes");
  });
  test("leaves short ranges and plain GETs alone", async () => {
    const short = await call({ range: "bytes=0-9" }, { maxRangeLength: 1000 });
    assert.equal(short.res.headers.get("content-range"), `bytes 0-9/${SIZE}`, "a short range is not capped");
    assert.deepEqual(short.body, DATA.subarray(0, 10), "the short range's bytes");
    const whole = await call({}, { maxRangeLength: 1000 });
    assert.equal(whole.res.status, 200, "a plain GET is not capped");
    assert.deepEqual(whole.body, DATA, "the whole file's bytes");
  });
  test("a long multi-range request gets its first range, capped", async () => {
    const { res, body } = await call({ range: "bytes=5000-9000,0-2000" }, { maxRangeLength: 1000 });
    assert.equal(res.status, 206, "capped multi-range → single 206");
    assert.equal(res.headers.get("content-range"), `bytes 5000-5999/${SIZE}`, "the first range, capped");
    assert.deepEqual(body, DATA.subarray(5000, 6000), "the capped range's bytes");
  });
  test("a short multi-range request stays multipart under the cap", async () => {
    const { res, body } = await call({ range: "bytes=5000-5099,0-99" }, { maxRangeLength: 1000 });
    assert.equal(res.status, 206, "200 bytes ≤ cap → multipart 206");
    const parts = parseMultipart(body, res.headers.get("content-type")!);
    assert.deepEqual(parts.map((p) => p.body), [DATA.subarray(5000, 5100), DATA.subarray(0, 100)], "both parts' bytes");
  });
});

describe("preconditions (RFC 9110 §13.2.2)", () => {
  const cors = { headers: { "access-control-allow-origin": "*", vary: "Origin" }, cacheControl: "max-age=60" };

  test("If-None-Match match → 304 with ETag, Cache-Control, CORS; no body headers, no read", async () => {
    const { f, res, body } = await call({ "if-none-match": `"x", ${ETAG}` }, cors);
    assert.equal(res.status, 304);
    assert.equal(res.headers.get("etag"), ETAG);
    assert.equal(res.headers.get("cache-control"), "max-age=60");
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.equal(res.headers.get("vary"), "Origin");
    assert.equal(res.headers.get("content-type"), null);
    assert.equal(res.headers.get("content-range"), null);
    assert.equal(res.headers.get("last-modified"), null, "304 with an ETag omits Last-Modified");
    assert.equal(body.length, 0);
    assert.equal(f.reads.length, 0);
    assert.equal(f.closes, 1);
  });

  test("If-None-Match uses weak comparison and accepts *", async () => {
    assert.equal((await call({ "if-none-match": "W/" + ETAG })).res.status, 304);
    assert.equal((await call({ "if-none-match": "*" })).res.status, 304);
    assert.equal((await call({ "if-none-match": '"other"' })).res.status, 200);
  });

  test("If-None-Match on HEAD → 304 too", async () => {
    assert.equal((await call({ "if-none-match": ETAG }, {}, "HEAD")).res.status, 304);
  });

  test("If-Modified-Since: 304 when not modified since, 200 when modified", async () => {
    assert.equal((await call({ "if-modified-since": MTIME_HTTP })).res.status, 304);
    assert.equal((await call({ "if-modified-since": "Wed, 03 Jan 2024 00:00:00 GMT" })).res.status, 304);
    assert.equal((await call({ "if-modified-since": "Mon, 01 Jan 2024 00:00:00 GMT" })).res.status, 200);
    assert.equal((await call({ "if-modified-since": "not a date" })).res.status, 200);
  });

  test("304 without an ETag carries Last-Modified", async () => {
    const { res } = await call({ "if-modified-since": MTIME_HTTP }, { etag: false });
    assert.equal(res.status, 304);
    assert.equal(res.headers.get("etag"), null);
    assert.equal(res.headers.get("last-modified"), MTIME_HTTP);
  });

  test("If-None-Match present → If-Modified-Since ignored", async () => {
    const { res } = await call({ "if-none-match": '"other"', "if-modified-since": MTIME_HTTP });
    assert.equal(res.status, 200);
  });

  test("If-Match mismatch → 412 keeping CORS headers; no read", async () => {
    const { f, res } = await call({ "if-match": '"other"' }, cors);
    assert.equal(res.status, 412);
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.equal(f.reads.length, 0);
    assert.equal(f.closes, 1);
  });

  test("If-Match uses strong comparison", async () => {
    assert.equal((await call({ "if-match": ETAG })).res.status, 200);
    assert.equal((await call({ "if-match": "*" })).res.status, 200);
    assert.equal((await call({ "if-match": "W/" + ETAG })).res.status, 412);
  });

  test("If-Match wins over If-Unmodified-Since", async () => {
    const { res } = await call({ "if-match": ETAG, "if-unmodified-since": "Mon, 01 Jan 2024 00:00:00 GMT" });
    assert.equal(res.status, 200);
  });

  test("If-Unmodified-Since", async () => {
    assert.equal((await call({ "if-unmodified-since": "Mon, 01 Jan 2024 00:00:00 GMT" })).res.status, 412);
    assert.equal((await call({ "if-unmodified-since": MTIME_HTTP })).res.status, 200);
    assert.equal((await call({ "if-unmodified-since": "garbage" })).res.status, 200);
  });

  test("If-Match passes, If-None-Match matches → 304", async () => {
    assert.equal((await call({ "if-match": ETAG, "if-none-match": ETAG })).res.status, 304);
  });

  test("preconditions come before Range: If-None-Match match with a Range → 304", async () => {
    assert.equal((await call({ "if-none-match": ETAG, range: "bytes=0-1" })).res.status, 304);
    assert.equal((await call({ "if-match": '"x"', range: "bytes=0-1" })).res.status, 412);
  });
});

describe("If-Range (§13.1.5)", () => {
  /** The answer must be the range's bytes (206) or the whole file (200), never just the right status. */
  async function expectRange(headers: Record<string, string>, start: number, end: number, f = file()) {
    const res = handleVideo(req(headers), f);
    const body = await bytesOf(res);
    const what = JSON.stringify(headers);
    assert.equal(res.status, 206, `${what} → 206`);
    assert.equal(res.headers.get("content-range"), `bytes ${start}-${end}/${SIZE}`, `${what}: Content-Range`);
    assert.deepEqual(body, DATA.subarray(start, end + 1), `${what}: the range's bytes`);
  }
  async function expectFull(headers: Record<string, string>, f = file()) {
    const res = handleVideo(req(headers), f);
    const body = await bytesOf(res);
    const what = JSON.stringify(headers);
    assert.equal(res.status, 200, `${what} → 200`);
    assert.equal(res.headers.get("content-range"), null, `${what}: no Content-Range`);
    assert.deepEqual(body, DATA, `${what}: the whole file`);
  }
  test("strong ETag match → 206", async () => {
    await expectRange({ range: "bytes=0-9", "if-range": ETAG }, 0, 9);
    await expectRange({ range: "bytes=100-", "if-range": ` ${ETAG} ` }, 100, SIZE - 1);
  });
  test("ETag mismatch → 200 full", async () => {
    await expectFull({ range: "bytes=0-9", "if-range": '"old"' });
  });
  test("weak tags never match", async () => {
    await expectFull({ range: "bytes=0-9", "if-range": 'W/"weak"' }, file({ etag: 'W/"weak"' }));
    await expectFull({ range: "bytes=0-9", "if-range": "W/" + ETAG });
  });
  test("exact Last-Modified date → 206, any other date → 200", async () => {
    await expectRange({ range: "bytes=0-9", "if-range": MTIME_HTTP }, 0, 9);
    await expectFull({ range: "bytes=0-9", "if-range": "Wed, 03 Jan 2024 03:04:05 GMT" });
    await expectFull({ range: "bytes=0-9", "if-range": "Tue, 02 Jan 2024 03:04:04 GMT" });
    await expectFull({ range: "bytes=0-9", "if-range": "garbage" });
  });
  test("If-Range failing turns a 416 into a 200", async () => {
    await expectFull({ range: "bytes=20000-", "if-range": '"old"' });
  });
  test("If-Range without Range is ignored", async () => {
    await expectFull({ "if-range": '"old"' });
  });
  test("If-Range holding with a multi-range request → multipart with the ranges' bytes", async () => {
    const res = handleVideo(req({ range: "bytes=0-9,100-109", "if-range": ETAG }), file());
    assert.equal(res.status, 206, "multipart 206");
    const parts = parseMultipart(await bytesOf(res), res.headers.get("content-type")!);
    assert.deepEqual(parts.map((p) => p.body), [DATA.subarray(0, 10), DATA.subarray(100, 110)], "both parts' bytes");
  });
});

describe("HEAD and methods", () => {
  test("HEAD mirrors the plain GET: 200, full length, no body, no read, Range ignored", async () => {
    for (const headers of [{}, { range: "bytes=0-9" }, { range: "bytes=99999-" }] as Record<string, string>[]) {
      const { f, res, body } = await call(headers, {}, "HEAD");
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-length"), String(SIZE));
      assert.equal(res.headers.get("content-range"), null);
      assert.equal(res.headers.get("etag"), ETAG);
      assert.equal(res.headers.get("accept-ranges"), "bytes");
      assert.equal(body.length, 0);
      assert.equal(f.reads.length, 0);
      assert.equal(f.closes, 1);
    }
  });
  for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
    test(`${method} → 405 with Allow`, async () => {
      const { f, res } = await call({}, { headers: { "access-control-allow-origin": "*" } }, method);
      assert.equal(res.status, 405);
      assert.equal(res.headers.get("allow"), "GET, HEAD");
      assert.equal(res.headers.get("access-control-allow-origin"), "*");
      assert.equal(f.reads.length, 0);
      assert.equal(f.closes, 1);
    });
  }
});

describe("headers and options", () => {
  test("Content-Type: option, then FileLike type, then extension, then octet-stream", () => {
    const type = (f: ReturnType<typeof file>, o?: HandleVideoOptions) =>
      handleVideo(new Request("http://x/", { method: "HEAD" }), f, o).headers.get("content-type");
    assert.equal(type(file(), { contentType: "video/webm" }), "video/webm");
    assert.equal(type(file({ type: "video/quicktime" })), "video/quicktime");
    assert.equal(type(file({ name: "subs.vtt" })), "text/vtt; charset=utf-8");
    assert.equal(type(file({ name: "blob" })), "application/octet-stream");
  });
  test("Cache-Control and Content-Disposition (RFC 6266/8187)", async () => {
    const { res } = await call({ range: "bytes=0-1" }, {
      cacheControl: "public, max-age=31536000, immutable",
      disposition: "attachment",
      filename: "Über Film.mp4",
    });
    assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.equal(
      res.headers.get("content-disposition"),
      `attachment; filename="_ber Film.mp4"; filename*=UTF-8''%C3%9Cber%20Film.mp4`,
    );
  });
  test("caller headers are kept; framing headers are the handler's", async () => {
    const { res } = await call({ range: "bytes=0-1" }, {
      headers: { "content-length": "5", "x-served-by": "ranged", "content-range": "bytes 9-9/9" },
    });
    assert.equal(res.headers.get("x-served-by"), "ranged");
    assert.equal(res.headers.get("content-length"), "2");
    assert.equal(res.headers.get("content-range"), `bytes 0-1/${SIZE}`);
  });
  test("a FileLike ETag wins; etag:false and lastModified:false turn validators off", async () => {
    const own = handleVideo(req(), file({ etag: '"from-storage"' }));
    assert.equal(own.headers.get("etag"), '"from-storage"');
    await own.body?.cancel();
    const { res } = await call({ "if-none-match": ETAG }, { etag: false, lastModified: false });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("etag"), null);
    assert.equal(res.headers.get("last-modified"), null);
  });
  test("no modification time and no etag → no validators, If-None-Match never matches a tag", async () => {
    const f = countingFile(DATA, { name: "x.mp4" });
    const res = handleVideo(req({ "if-none-match": '"anything"', range: "bytes=0-1" }), f);
    assert.equal(res.status, 206);
    assert.equal(res.headers.get("etag"), null);
    assert.equal(res.headers.get("last-modified"), null);
    await res.body?.cancel();
  });
  test("invalid size throws a typed error and closes the file", async () => {
    for (const size of [-1, 1.5, NaN, 2 ** 60]) {
      const f = { ...file(), size };
      let closes = 0;
      f.close = () => void closes++;
      assert.throws(() => handleVideo(req(), f), InvalidFileError);
      await settle();
      assert.equal(closes, 1);
    }
  });
});

describe("the body stream", () => {
  test("close exactly once when the client cancels mid-body", async () => {
    const f = file();
    const res = handleVideo(req(), f, { chunkSize: 1000 });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    await settle();
    assert.equal(f.closes, 1);
    assert.equal(f.reads.length, 1, "nothing read after cancel");
  });

  test("cancel before the first byte: no read at all, closed once", async () => {
    const f = file();
    const res = handleVideo(req({ range: "bytes=0-999" }), f);
    await settle();
    await res.body!.cancel();
    await settle();
    assert.equal(f.reads.length, 0);
    assert.equal(f.closes, 1);
  });

  test("cancel while a read is in flight closes after the read settles", async () => {
    const f = file({ readDelayMs: 30 });
    const res = handleVideo(req(), f, { chunkSize: 1000 });
    const reader = res.body!.getReader();
    const pending = reader.read();
    await new Promise((r) => setTimeout(r, 5));
    const cancelled = reader.cancel();
    assert.equal(f.closes, 0, "not closed under a pending read");
    await cancelled;
    await pending.catch(() => {});
    await settle();
    assert.equal(f.closes, 1);
  });

  test("reads are bounded by chunkSize and never pass the range end", async () => {
    const f = file();
    const res = handleVideo(req({ range: "bytes=10-9009" }), f, { chunkSize: 777 });
    assert.deepEqual(await bytesOf(res), DATA.subarray(10, 9010), "the range's bytes, read in chunks");
    assert.ok(f.reads.every((r) => r.length <= 777));
    assert.equal(f.reads.at(-1)!.position + f.reads.at(-1)!.length, 9010);
    assert.equal(f.reads.length, Math.ceil(9000 / 777));
  });

  test("adaptive reads stay within MAX_CHUNK on a large file", async () => {
    const big = patternBytes(6 * 1024 * 1024, 7);
    const f = countingFile(big, { name: "big.mp4", lastModified: MTIME });
    const res = handleVideo(req(), f);
    assert.deepEqual(await bytesOf(res), big, "the 6 MiB file's bytes");
    assert.ok(f.reads.every((r) => r.length <= MAX_CHUNK));
    assert.equal(f.closes, 1);
  });

  test("a file shorter than announced errors the stream (no padding, no hang) and closes once", async () => {
    const short = countingFile(DATA.subarray(0, 4000), { name: "t.mp4", lastModified: MTIME });
    const liar = { ...short, size: SIZE, read: short.read, close: () => void short.closes++ };
    const res = handleVideo(req(), liar, { chunkSize: 1000 });
    // Through a reader, the stream's own error (arrayBuffer() may wrap it): only
    // FileTruncatedError passes, not any error (a TypeError from a detached buffer).
    const reader = res.body!.getReader();
    const got: number[] = [];
    await assert.rejects(
      (async () => {
        for (let r = await reader.read(); !r.done; r = await reader.read()) got.push(...r.value);
      })(),
      (err: unknown) => err instanceof FileTruncatedError,
      "the body errors with FileTruncatedError",
    );
    assert.deepEqual(new Uint8Array(got), DATA.subarray(0, 4000), "the bytes that exist, no padding");
    await settle();
    assert.equal(short.closes, 1);
  });

  test("multipart body from a stream-only FileLike equals the Blob path", async () => {
    const range = "bytes=100-199,5000-5099,9900-";
    const a = handleVideo(req({ range }), file());
    const b = handleVideo(req({ range }), fromBytes(DATA, { name: "movie.mp4", lastModified: MTIME }));
    const pa = parseMultipart(await bytesOf(a), a.headers.get("content-type")!);
    const pb = parseMultipart(await bytesOf(b), b.headers.get("content-type")!);
    assert.equal(a.headers.get("content-length"), b.headers.get("content-length"));
    assert.deepEqual(pa.map((p) => p.body), pb.map((p) => p.body));
  });
});

describe("Blob-backed FileLikes", () => {
  test("fromBlob answers ranges from Blob slices", async () => {
    const f = fromBlob(new File([DATA as Uint8Array<ArrayBuffer>], "clip.webm", { lastModified: MTIME }));
    const res = handleVideo(req({ range: "bytes=-100" }), f);
    assert.equal(res.status, 206);
    assert.equal(res.headers.get("content-type"), "video/webm");
    assert.equal(res.headers.get("etag"), ETAG);
    assert.deepEqual(await bytesOf(res), DATA.subarray(SIZE - 100), "the Blob's last 100 bytes");
  });
  test("fromBytes derives a strong content ETag when no metadata is given", async () => {
    const a = fromBytes(DATA);
    const b = fromBytes(DATA.slice());
    const c = fromBytes(patternBytes(SIZE, 2));
    assert.match(a.etag!, /^"[0-9a-f]{16}-2710"$/);
    assert.equal(a.etag, b.etag);
    assert.notEqual(a.etag, c.etag);
    const res = handleVideo(req({ range: "bytes=0-1", "if-range": a.etag! }), a);
    assert.equal(res.status, 206, "If-Range with the content ETag resumes");
    assert.deepEqual(await bytesOf(res), DATA.subarray(0, 2), "the range's bytes");
  });
});

// Found by mutation testing (docs/MUTATION.md): each test names the mutants it kills.
// fromBlob and the counting file answer the same bytes whichever path the
// handler takes, so these FileLikes count what the handler asks of them.
describe("native fast paths: blob() and stream() are used, not read()", () => {
  // Kills, at handler.ts:112-115, the single-span block emptied
  // (`{ ... }` → `{}`), the Blob branch emptied, and `closeQuietly(file)`
  // dropped: the body would come from read(), or the file would never close.
  test("a Blob-backed single span: the Blob's slice, no read, closed at once", async () => {
    const f = file();
    const withBlob = { ...f, blob: () => new Blob([DATA as Uint8Array<ArrayBuffer>]) };
    const res = handleVideo(req({ range: "bytes=100-4099" }), withBlob);
    await settle();
    assert.equal(f.closes, 1, "closed as soon as the Blob slice is handed over");
    assert.equal(res.status, 206, "status");
    assert.equal(res.headers.get("content-range"), `bytes 100-4099/${SIZE}`, "content-range");
    assert.deepEqual(await bytesOf(res), DATA.subarray(100, 4100), "the Blob's bytes 100-4099");
    await settle();
    assert.deepEqual(f.reads, [], "read() is never called on the Blob path");
    assert.equal(f.closes, 1, "closed exactly once");
  });

  // Kills `if (native)` → `if (false)` (handler.ts:119: the body would come
  // from read() and the file be closed under the stream that owns it) and
  // `{ status, headers }` → `{}` (a 200 without the range's headers).
  test("a native stream for a single span: its bytes, its status and headers, no read, no close", async () => {
    const f = file();
    const asked: [number, number][] = [];
    const native = {
      ...f,
      stream(start: number, end: number) {
        asked.push([start, end]);
        return new Blob([DATA.subarray(start, end + 1) as Uint8Array<ArrayBuffer>]).stream();
      },
    };
    const res = handleVideo(req({ range: "bytes=10-2009" }), native);
    assert.equal(res.status, 206, "the plan's status");
    assert.equal(res.headers.get("content-range"), `bytes 10-2009/${SIZE}`, "the plan's Content-Range");
    assert.equal(res.headers.get("content-length"), "2000", "the plan's Content-Length");
    assert.equal(res.headers.get("etag"), ETAG, "the plan's ETag");
    assert.deepEqual(await bytesOf(res), DATA.subarray(10, 2010), "the native stream's bytes");
    await settle();
    assert.deepEqual(asked, [[10, 2009]], "stream() asked once, for the inclusive span");
    assert.deepEqual(f.reads, [], "read() is never called when stream() answers");
    assert.equal(f.closes, 0, "the stream owns the file: the handler does not close it");
  });
});

describe("onSend reports the spans a body carries", () => {
  const run = async (headers: Record<string, string>, method = "GET", options: HandleVideoOptions = {}) => {
    const calls: [readonly { start: number; end: number }[], number][] = [];
    const res = handleVideo(req(headers, method), file(), {
      ...options,
      onSend: (spans, status) => calls.push([spans, status]),
    });
    await res.arrayBuffer();
    return { res, calls };
  };
  test("whole file, single range, capped range, multipart as sent", async () => {
    assert.deepEqual((await run({})).calls, [[[{ start: 0, end: SIZE - 1 }], 200]]);
    assert.deepEqual((await run({ range: "bytes=10-19" })).calls, [[[{ start: 10, end: 19 }], 206]]);
    assert.deepEqual(
      (await run({ range: "bytes=10-99" }, "GET", { maxRangeLength: 5 })).calls,
      [[[{ start: 10, end: 14 }], 206]],
      "the cap, not the request",
    );
    assert.deepEqual(
      (await run({ range: "bytes=50-59,0-9,5-14" })).calls,
      [[[{ start: 50, end: 59 }, { start: 0, end: 14 }], 206]],
      "coalesced parts in the order the body sends them",
    );
    assert.deepEqual(
      (await run({ range: "bytes=0-0,2-2,4-4" }, "GET", { maxRanges: 2 })).calls,
      [[[{ start: 0, end: SIZE - 1 }], 200]],
      "too many parts: the whole file",
    );
  });
  test("not called without file bytes: HEAD, 304, 412, 416, 405", async () => {
    assert.deepEqual((await run({}, "HEAD")).calls, []);
    assert.deepEqual((await run({ "if-none-match": ETAG })).calls, []);
    assert.deepEqual((await run({ "if-match": '"other"' })).calls, []);
    assert.deepEqual((await run({ range: `bytes=${SIZE}-` })).calls, []);
    assert.deepEqual((await run({}, "POST")).calls, []);
  });
});
