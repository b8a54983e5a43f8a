// Property-based tests of handleVideo as a whole: random sizes (up to 2^53-1),
// random methods, Range, If-Range and precondition headers (valid, malformed,
// huge numbers, many ranges, odd whitespace, latin1 bytes) and random options.
// The handler never throws; every range served lies inside the file; the
// Content-Length equals the bytes the body actually produces; a multipart body
// parses back to the requested bytes; the FileLike is closed exactly once and
// never read outside the file or after close.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { handleVideo, type HandleVideoOptions } from "../src/http/handler.ts";
import { fromBytes } from "../src/http/file_like.ts";
import { coalesceRanges, parseRange } from "../src/http/range.ts";
import { parseMultipart } from "./helpers/multipart_parse.ts";
import { runtime } from "./helpers/server.ts";
import {
  count,
  headerValueArb,
  isVirtual,
  params,
  rangeHeaderArb,
  reportCases,
  runs,
  sizeArb,
  virtualBytes,
  virtualFile,
} from "./helpers/fuzz.ts";

const RUNS = runs(2500);
const MAX_BODY = 2 * 1024 * 1024;
const LM = 1_700_000_000_000;
after(() => reportCases("property_handler", runtime));

const optionsArb: fc.Arbitrary<HandleVideoOptions> = fc.record({
  chunkSize: fc.option(fc.constantFrom(1, 7, 1000, 65536), { nil: undefined }),
  maxRanges: fc.option(fc.constantFrom(0, 1, 2, 5, 100, 10_000), { nil: undefined }),
  maxRangeLength: fc.option(fc.constantFrom(0, 1, 100, 4096, 1 << 20), { nil: undefined }),
  etag: fc.option(fc.boolean(), { nil: undefined }),
  lastModified: fc.option(fc.boolean(), { nil: undefined }),
}, { requiredKeys: [] });

const conditionalArb = (etag: string) => {
  const tag = fc.constantFrom(etag, `W/${etag}`, '"other"', "*", `"x", ${etag}`);
  const date = fc.constantFrom(
    new Date(LM).toUTCString(),
    new Date(LM - 86_400_000).toUTCString(),
    new Date(LM + 86_400_000).toUTCString(),
  );
  return fc.record({
    "if-match": fc.oneof(tag, headerValueArb),
    "if-none-match": fc.oneof(tag, headerValueArb),
    "if-modified-since": fc.oneof(date, headerValueArb),
    "if-unmodified-since": fc.oneof(date, headerValueArb),
    "if-range": fc.oneof(tag, date, headerValueArb),
  }, { requiredKeys: [] });
};

const caseArb = sizeArb.chain((size) => {
  const etag = `"${LM.toString(16)}-${size.toString(16)}"`;
  return fc.record({
    size: fc.constant(size),
    method: fc.constantFrom("GET", "GET", "GET", "GET", "HEAD", "POST", "OPTIONS"),
    range: fc.option(rangeHeaderArb(size, 12), { nil: undefined, freq: 4 }),
    conditional: fc.option(conditionalArb(etag), { nil: undefined, freq: 2 }),
    options: optionsArb,
    blob: fc.boolean(),
    lastModified: fc.constantFrom(LM, undefined),
    consume: fc.constantFrom("all", "all", "all", "cancel-early"),
  });
});

async function readAll(body: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    n += value.length;
    if (n > limit) throw new Error(`body longer than ${limit}`);
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

const settle = () => new Promise((r) => setTimeout(r, 0));

test(`handleVideo: never throws, ranges inside, exact Content-Length, multipart parses back, one close (${RUNS} cases)`, async () => {
  await fc.assert(
    fc.asyncProperty(caseArb, async (c) => {
      count("handler");
      const useBlob = c.blob && c.size <= 65536;
      const virtual = virtualFile(c.size, { lastModified: c.lastModified });
      let closes = 0;
      const file = useBlob
        ? (() => {
          const inner = fromBytes(virtualBytes(0, c.size), { name: "fuzz.mp4", lastModified: c.lastModified });
          return { ...inner, size: inner.size, blob: inner.blob, read: inner.read, close: () => void closes++ };
        })()
        : virtual;
      const closeCount = () => (useBlob ? closes : virtual.closes);
      const headers = new Headers(c.conditional);
      if (c.range !== undefined) headers.set("range", c.range);
      const req = new Request("http://fuzz.test/v.mp4", { method: c.method, headers });

      const res = handleVideo(req, file, c.options); // must not throw
      const status = res.status;
      assert.ok([200, 206, 304, 405, 412, 416].includes(status), `status ${status}`);
      const lengthHeader = res.headers.get("content-length");
      const contentRange = res.headers.get("content-range");
      const announced = lengthHeader === null ? undefined : Number(lengthHeader);

      if (status === 405 || status === 412 || status === 304 || status === 416 || c.method === "HEAD") {
        assert.equal(res.body === null || (await readAll(res.body, 0)).length === 0, true, "body on a bodiless answer");
        assert.equal(virtual.readBytes, 0, `a ${status} read the file`);
        if (status === 416) assert.equal(contentRange, `bytes */${c.size}`);
        if (c.method === "HEAD" && status === 200) assert.equal(announced, c.size);
        await settle();
        assert.equal(closeCount(), 1, `${status}: close() called ${closeCount()} times`);
        return;
      }
      assert.ok(c.method === "GET");
      assert.ok(announced !== undefined && Number.isSafeInteger(announced) && announced >= 0, `length ${lengthHeader}`);

      // Tiny fixed chunks over big bodies would take millions of pulls: those are only cancelled.
      const pulls = announced / (c.options.chunkSize ?? 16384);
      if (c.consume === "cancel-early" || announced > MAX_BODY || pulls > 5000) {
        // A client that goes away: cancel after at most one chunk.
        const reader = res.body!.getReader();
        if (c.consume === "cancel-early") await reader.read();
        await reader.cancel();
        await settle();
        assert.equal(closeCount(), 1, `cancelled: close() called ${closeCount()} times`);
        assert.deepEqual(virtual.readErrors, []);
        if (status === 206 && contentRange !== null) {
          const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(contentRange)!;
          assert.ok(
            m && Number(m[1]) <= Number(m[2]) && Number(m[2]) < c.size && Number(m[3]) === c.size,
            contentRange,
          );
        }
        return;
      }

      const body = await readAll(res.body!, MAX_BODY);
      await settle();
      assert.equal(body.length, announced, "Content-Length differs from the bytes produced");
      assert.equal(closeCount(), 1, `close() called ${closeCount()} times`);
      assert.deepEqual(virtual.readErrors, []);
      if (status === 200) {
        assert.equal(contentRange, null);
        assert.equal(body.length, c.size);
        assert.ok(isVirtual(body, 0), "200 body differs from the file");
        return;
      }
      // 206: the Range header was honoured; every part must be a satisfiable range of it.
      // What the handler saw: Headers trims the value's leading and trailing whitespace.
      const sent = req.headers.get("range")!;
      const parsed = parseRange(sent, c.size);
      assert.equal(parsed.type, "ranges", `206 for a Range that parses as ${parsed.type}`);
      const requested = parsed.type === "ranges" ? coalesceRanges(parsed.ranges) : [];
      const covered = (s: number, e: number) => requested.some((r) => r.start <= s && e <= r.end);
      if (contentRange !== null) {
        const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(contentRange);
        assert.ok(m, `Content-Range ${contentRange}`);
        const [s, e, total] = [Number(m[1]), Number(m[2]), Number(m[3])];
        assert.ok(0 <= s && s <= e && e < c.size && total === c.size, contentRange);
        assert.ok(covered(s, e), `${contentRange} was not requested by ${sent}`);
        assert.equal(body.length, e - s + 1);
        assert.ok(isVirtual(body, s), "206 body differs from the file");
        return;
      }
      const parts = parseMultipart(body, res.headers.get("content-type")!);
      assert.ok(parts.length >= 2, `${parts.length} part(s) in a multipart answer`);
      assert.ok(parts.length <= (c.options.maxRanges ?? 100), "more parts than maxRanges");
      for (const part of parts) {
        const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(part.headers.get("content-range") ?? "");
        assert.ok(m, `part Content-Range ${part.headers.get("content-range")}`);
        const [s, e] = [Number(m[1]), Number(m[2])];
        assert.ok(0 <= s && s <= e && e < c.size && Number(m[3]) === c.size);
        assert.ok(covered(s, e), `part ${s}-${e} was not requested by ${sent}`);
        assert.equal(part.body.length, e - s + 1);
        assert.ok(isVirtual(part.body, s), `part ${s}-${e} bytes differ`);
      }
    }),
    params(RUNS),
  );
});

test(`handleVideo with thousands of ranges: decided before any read, within the file (${Math.ceil(RUNS / 25)} cases)`, async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 10_000_000 }).chain((size) =>
        fc.tuple(
          fc.constant(size),
          fc.array(fc.tuple(fc.nat(size - 1), fc.nat(2000)), { minLength: 1000, maxLength: 4000 }),
          fc.constantFrom(undefined, 5000),
        )
      ),
      async ([size, pairs, maxRanges]) => {
        count("handler-thousands");
        const file = virtualFile(size, { lastModified: LM });
        const range = "bytes=" + pairs.map(([a, n]) => `${a}-${a + n}`).join(",");
        const res = handleVideo(new Request("http://x/", { headers: { range } }), file, { maxRanges });
        // "At once" is counted, not timed: the answer is decided before any byte is read.
        assert.equal(file.readBytes, 0, "no read before the body is pulled");
        assert.ok([200, 206].includes(res.status));
        const length = Number(res.headers.get("content-length"));
        if (length <= MAX_BODY) {
          const body = await readAll(res.body!, MAX_BODY);
          assert.equal(body.length, length);
          if (res.headers.get("content-type")!.startsWith("multipart/")) {
            for (const part of parseMultipart(body, res.headers.get("content-type")!)) {
              const m = /^bytes (\d+)-(\d+)\//.exec(part.headers.get("content-range")!)!;
              assert.ok(Number(m[2]) < size && isVirtual(part.body, Number(m[1])));
            }
          }
        } else await res.body!.cancel();
        await settle();
        assert.equal(file.closes, 1);
        assert.deepEqual(file.readErrors, []);
      },
    ),
    params(Math.ceil(RUNS / 25)),
  );
});
