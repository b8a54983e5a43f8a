import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { derivedETag, derivedFile, derivedInfo, type Piece } from "../src/http/derived.ts";
import { handleVideo } from "../src/http/handler.ts";
import { fromBytes } from "../src/http/file_like.ts";
import { FileTruncatedError } from "../src/http/errors.ts";
import { countingFile, patternBytes, settle } from "./helpers/counting_file.ts";
import { parseMultipart } from "./helpers/multipart_parse.ts";

const MTIME = Date.UTC(2024, 0, 2, 3, 4, 5);
const SRC = patternBytes(5000, 7);
const GEN_A = patternBytes(300, 99);
const GEN_B = patternBytes(1, 5);

// A layout with every kind of boundary: generated first, spans out of order, a one-byte piece, empty pieces.
const PIECES: Piece[] = [
  { bytes: GEN_A },
  { offset: 4000, length: 1000 },
  { offset: 0, length: 0 },
  { bytes: new Uint8Array(0) },
  { offset: 0, length: 4000 },
  { bytes: GEN_B },
  { offset: 10, length: 1 },
];
const EXPECTED = concat(GEN_A, SRC.subarray(4000), SRC.subarray(0, 4000), GEN_B, SRC.subarray(10, 11));

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function make(meta: Parameters<typeof countingFile>[1] = { lastModified: MTIME, name: "a.mp4" }) {
  const source = countingFile(SRC, meta);
  const file = derivedFile(source, PIECES, { transform: "test", version: 1 });
  return { source, file };
}

describe("derivedFile reads", () => {
  test("size is the sum of the pieces", () => {
    assert.equal(make().file.size, EXPECTED.length);
  });

  test("every position and length reads the concatenated pieces", async () => {
    const { file } = make();
    let seed = 12345;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let k = 0; k < 2000; k++) {
      const pos = rand(file.size + 5);
      const len = 1 + rand(k % 3 === 0 ? 6000 : 400);
      const into = new Uint8Array(len);
      const n = await file.read(into, pos);
      const want = EXPECTED.subarray(pos, pos + len);
      assert.equal(n, want.length, `read(${len}) at ${pos}`);
      assert.deepEqual(into.subarray(0, n), want, `bytes at ${pos}`);
    }
  });

  test("piece boundaries exactly", async () => {
    const { file } = make();
    for (const b of [0, 299, 300, 301, 1299, 1300, 5299, 5300, 5301]) {
      for (const len of [1, 2, 3]) {
        const into = new Uint8Array(len);
        const n = await file.read(into, b);
        assert.deepEqual(into.subarray(0, n), EXPECTED.subarray(b, b + len), `at ${b} len ${len}`);
      }
    }
    assert.equal(await file.read(new Uint8Array(4), file.size), 0);
    assert.equal(await file.read(new Uint8Array(4), -1), 0);
  });

  test("short source reads are continued, not returned as the end", async () => {
    const source = {
      ...fromBytes(SRC),
      read: (into: Uint8Array, pos: number) => fromBytes(SRC).read(into.subarray(0, 7), pos),
    };
    const file = derivedFile(source, [{ offset: 100, length: 1000 }], { transform: "t", version: 1 });
    const into = new Uint8Array(1000);
    assert.equal(await file.read(into, 0), 1000);
    assert.deepEqual(into, SRC.subarray(100, 1100), "the source's bytes 100-1099");
  });

  test("no pieces: an empty file", async () => {
    const file = derivedFile(fromBytes(SRC), [], { transform: "t", version: 1 });
    assert.equal(file.size, 0);
    assert.equal(await file.read(new Uint8Array(3), 0), 0);
  });

  test("pieces outside the source or not integers are refused at construction", () => {
    const src = fromBytes(SRC);
    const opts = { transform: "t", version: 1 };
    assert.throws(() => derivedFile(src, [{ offset: 4999, length: 2 }], opts), RangeError);
    assert.throws(() => derivedFile(src, [{ offset: -1, length: 1 }], opts), RangeError);
    assert.throws(() => derivedFile(src, [{ offset: 0.5, length: 1 }], opts), RangeError);
    assert.throws(() => derivedFile(src, [], { transform: "a b", version: 1 }), TypeError);
    assert.throws(() => derivedFile(src, [], { transform: "t", version: '1"' }), TypeError);
  });
});

describe("derivedFile validators and metadata", () => {
  test("strong source mtime validator gives a strong derived tag, different from the source's", () => {
    const { file } = make();
    const sourceTag = `"${MTIME.toString(16)}-${SRC.length.toString(16)}"`;
    assert.equal(file.etag, `"${MTIME.toString(16)}-${SRC.length.toString(16)}-test.1"`);
    assert.notEqual(file.etag, sourceTag);
    assert.equal(file.lastModified, MTIME);
    assert.equal(file.name, "a.mp4");
  });

  test("source ETag wins, weak stays weak, none stays none", () => {
    assert.equal(make({ etag: '"abc"', lastModified: MTIME }).file.etag, '"abc-test.1"');
    assert.equal(make({ etag: 'W/"abc"' }).file.etag, 'W/"abc-test.1"');
    assert.equal(make({}).file.etag, undefined);
    assert.equal(derivedETag(undefined, "x.1"), undefined);
    assert.equal(derivedETag('"a"', "x.2"), '"a-x.2"');
  });

  test("the kept last tag is only ever the one for the same source tag and suffix", () => {
    const cases: [string, string, string][] = [['"a"', "x.1", '"a-x.1"'], ['"a"', "x.2", '"a-x.2"'], [
      'W/"a"',
      "x.2",
      'W/"a-x.2"',
    ]];
    for (const [tag, suffix, derived] of [...cases, ...cases.toReversed(), ...cases]) {
      assert.equal(derivedETag(tag, suffix), derived);
      assert.equal(derivedETag(tag, suffix), derived);
    }
  });

  test("transform and version change the tag", () => {
    const src = fromBytes(SRC, { etag: '"s"' });
    const a = derivedFile(src, [], { transform: "a", version: 1 }).etag;
    const b = derivedFile(src, [], { transform: "b", version: 1 }).etag;
    const a2 = derivedFile(src, [], { transform: "a", version: 2 }).etag;
    assert.equal(new Set([a, b, a2]).size, 3);
  });

  test("derivedInfo tells derived files apart", () => {
    const { source, file } = make();
    const info = derivedInfo(file);
    assert.equal(info?.source, source);
    assert.equal(info?.transform, "test");
    assert.equal(derivedInfo(file, "test")?.version, 1);
    assert.equal(derivedInfo(file, "other"), undefined);
    assert.equal(derivedInfo(source), undefined);
  });

  test("close closes the source exactly once", async () => {
    const { source, file } = make();
    await file.close?.();
    await file.close?.();
    assert.equal(source.closes, 1);
  });
});

describe("derivedFile through handleVideo", () => {
  const url = "http://x/a.mp4";
  test("200, single range, suffix range", async () => {
    for (
      const [range, start, end] of [[undefined, 0, EXPECTED.length - 1], ["bytes=250-1350", 250, 1350], [
        "bytes=-3",
        EXPECTED.length - 3,
        EXPECTED.length - 1,
      ]] as const
    ) {
      const { source, file } = make();
      const res = handleVideo(new Request(url, { headers: range ? { range } : {} }), file);
      assert.equal(res.status, range ? 206 : 200);
      assert.equal(res.headers.get("etag"), file.etag);
      assert.deepEqual(
        new Uint8Array(await res.arrayBuffer()),
        EXPECTED.subarray(start, end + 1),
        `${start}-${end} of the layout`,
      );
      await settle();
      assert.equal(source.closes, 1);
    }
  });

  test("multipart ranges across pieces", async () => {
    const { file } = make();
    const res = handleVideo(new Request(url, { headers: { range: "bytes=0-10,295-305,1295-1305,5299-" } }), file);
    assert.equal(res.status, 206);
    const parts = parseMultipart(new Uint8Array(await res.arrayBuffer()), res.headers.get("content-type")!);
    const want = [[0, 10], [295, 305], [1295, 1305], [5299, EXPECTED.length - 1]];
    assert.equal(parts.length, 4);
    parts.forEach((p, i) =>
      assert.deepEqual(p.body, EXPECTED.subarray(want[i][0], want[i][1] + 1), `part ${i}: the layout's bytes`)
    );
  });

  test("HEAD, 304 and 412 read nothing", async () => {
    for (
      const [headers, method, status] of [
        [{}, "HEAD", 200],
        [{ "if-none-match": "*" }, "GET", 304],
        [{ "if-match": '"nope"' }, "GET", 412],
      ] as const
    ) {
      const { source, file } = make();
      const res = handleVideo(new Request(url, { method, headers }), file);
      assert.equal(res.status, status);
      await settle();
      assert.equal(source.reads.length, 0);
      assert.equal(source.closes, 1);
    }
  });

  test("If-Range: the derived tag resumes, the source's tag gets the whole new layout", async () => {
    const { file } = make();
    const ok = handleVideo(new Request(url, { headers: { range: "bytes=5-9", "if-range": file.etag! } }), file);
    assert.equal(ok.status, 206, "the derived tag resumes");
    assert.deepEqual(new Uint8Array(await ok.arrayBuffer()), EXPECTED.subarray(5, 10), "the range of the layout");
    const old = make();
    const sourceTag = `"${MTIME.toString(16)}-${SRC.length.toString(16)}"`;
    const res = handleVideo(new Request(url, { headers: { range: "bytes=5-9", "if-range": sourceTag } }), old.file);
    assert.equal(res.status, 200, "the source's tag does not resume");
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), EXPECTED, "the whole layout");
  });

  test("cancel mid-body closes the source once", async () => {
    const source = countingFile(SRC, { lastModified: MTIME, readDelayMs: 2 });
    const file = derivedFile(source, PIECES, { transform: "test", version: 1 });
    const res = handleVideo(new Request(url), file, { chunkSize: 64 });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    await settle();
    assert.equal(source.closes, 1);
    assert.ok(source.reads.length < 10);
  });

  test("a source truncated under us errors the body instead of hanging", async () => {
    const short = countingFile(SRC.subarray(0, 3000), { lastModified: MTIME });
    const lying = { ...short, size: SRC.length, read: short.read, close: short.close };
    const file = derivedFile(lying, PIECES, { transform: "test", version: 1 });
    const res = handleVideo(new Request(url), file);
    // The reader sees the stream's own error (arrayBuffer() may wrap it). Only
    // FileTruncatedError passes: a stream that died of a TypeError (a detached
    // or empty buffer, as a mutant of the truncation check does) must fail here.
    const reader = res.body!.getReader();
    await assert.rejects(
      (async () => {
        while (!(await reader.read()).done);
      })(),
      (err: unknown) => err instanceof FileTruncatedError,
      "the body errors with FileTruncatedError",
    );
  });
});

// Found by mutation testing (docs/MUTATION.md): each test names the mutants it kills.
describe("derivedFile edges", () => {
  // Kills `into.length === 0` → `false`, `position >= size` → `>`,
  // `filled < into.length` → `<=` and `n < want` → `<=`: each of them makes a
  // zero-length read of the source (or stops a read short) instead of stopping.
  test("the source is asked only for bytes the read needs", async () => {
    const { source, file } = make();
    assert.equal(await file.read(new Uint8Array(0), 5), 0, "an empty buffer");
    assert.equal(await file.read(new Uint8Array(4), file.size), 0, "at the end");
    const head = new Uint8Array(300);
    assert.equal(await file.read(head, 0), 300, "exactly the generated first piece");
    assert.deepEqual(head, GEN_A);
    assert.deepEqual(source.reads, [], "no source read for any of them");
    const span = new Uint8Array(1001);
    assert.equal(await file.read(span, 300), 1001, "one whole span and one byte of the next");
    assert.deepEqual(span, EXPECTED.subarray(300, 1301));
    assert.deepEqual(source.reads, [{ position: 4000, length: 1000 }, { position: 0, length: 1 }]);
  });

  // Kills the string mutants of the construction errors and
  // `!Number.isSafeInteger(p.length)` → `false` (a fractional length would
  // otherwise only fail later, as a derived size that is not an integer).
  test("construction errors say which piece and why", () => {
    const src = fromBytes(SRC);
    const opts = { transform: "t", version: 1 };
    assert.throws(() => derivedFile(src, [{ offset: 0, length: 0.5 }], opts), {
      name: "RangeError",
      message: "piece 0: offset and length must be non-negative safe integers",
    });
    assert.throws(() => derivedFile(src, [{ bytes: GEN_B }, { offset: 4999, length: 2 }], opts), {
      name: "RangeError",
      message: "piece 1: [4999, 5001) is outside the source (5000)",
    });
    assert.throws(() => derivedFile(src, [], { transform: "a b", version: 1 }), {
      name: "TypeError",
      message: "transform and version must match /^[A-Za-z0-9._-]+$/: a b 1",
    });
  });

  // Kills `!Number.isSafeInteger(size)` → `false`: two spans of a 2^53 - 1 byte source.
  test("a derived size past 2^53 - 1 is refused", () => {
    const huge = { size: Number.MAX_SAFE_INTEGER, read: () => Promise.resolve(0) };
    const whole = { offset: 0, length: Number.MAX_SAFE_INTEGER };
    assert.throws(() => derivedFile(huge, [whole, whole], { transform: "t", version: 1 }), {
      name: "RangeError",
      message: "derived size is not a safe integer",
    });
  });

  // Kills `source.close?.()` → `source.close()`: a source without close.
  test("close works on a source without close", async () => {
    const file = derivedFile({ size: 0, read: () => Promise.resolve(0) }, [], { transform: "t", version: 1 });
    assert.equal(await file.close?.(), undefined);
  });

  // Kills `info === undefined` → `false`: asking a plain file for a transform.
  test("derivedInfo of a plain file with a transform is undefined", () => {
    assert.equal(derivedInfo(fromBytes(SRC), "test"), undefined);
  });

  // Kills the regex mutants of the tag cleaning: quotes, whitespace and DEL go, the rest stays.
  test("derivedETag drops whitespace, DEL and inner quotes from the source's tag", () => {
    assert.equal(derivedETag('"a b\t\x7fc"', "x.1"), '"abc-x.1"');
    assert.equal(derivedETag('W/"a"b"', "x.1"), 'W/"ab-x.1"');
  });

  // Kills `m >= 0` → `m > 0` and `Number.isFinite(m)` → `true`: an mtime of 0
  // is a validator, NaN and negative ones are not.
  test("the source's size-and-mtime validator at mtime 0, NaN and -1", () => {
    const opts = { transform: "t", version: 1 };
    const tag = (lastModified: number) => derivedFile(fromBytes(SRC, { lastModified }), [], opts).etag;
    assert.equal(tag(0), `"0-${SRC.length.toString(16)}-t.1"`);
    assert.equal(tag(Number.NaN), undefined);
    assert.equal(tag(-1), undefined);
  });
});

describe("derivedFile more edges", () => {
  // Kills `options.type ?? source.type` → `&&`: the option wins over the source's type.
  test("the type option replaces the source's", () => {
    const src = fromBytes(SRC, { type: "video/mp4" });
    assert.equal(derivedFile(src, [], { transform: "t", version: 1, type: "video/mp2t" }).type, "video/mp2t");
    assert.equal(derivedFile(src, [], { transform: "t", version: 1 }).type, "video/mp4");
  });

  // Kills `into.length - filled` → `into.length + filled`: a long generated
  // piece after a partly filled buffer must be cut to what is left of it.
  test("a generated piece longer than what is left of the buffer", async () => {
    const file = derivedFile(fromBytes(SRC), [{ offset: 0, length: 2 }, { bytes: GEN_A }], {
      transform: "t",
      version: 1,
    });
    const into = new Uint8Array(5);
    assert.equal(await file.read(into, 0), 5);
    assert.deepEqual(into, concat(SRC.subarray(0, 2), GEN_A.subarray(0, 3)));
  });
});
