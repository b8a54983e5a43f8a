// fromR2 against an in-memory bucket that behaves like the R2 binding
// (clamped ranges, onlyIf without a body, errors for ranges past the end).
// The same code runs on the real workerd in tests/e2e/worker_r2.test.ts.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { fromR2, OriginChangedError, type R2BucketLike, type R2ObjectLike } from "../src/adapters/r2.ts";
import { handleVideo } from "../src/http/handler.ts";
import { FileNotFoundError } from "../src/http/errors.ts";
import { patternBytes } from "./helpers/counting_file.ts";

const DATA = patternBytes(200_000);
const UPLOADED = new Date(Date.UTC(2024, 4, 5, 6, 7, 8));

type Range = { offset?: number; length?: number; suffix?: number };

function bucket(objects: Record<string, { data: Uint8Array; etag: string; type?: string }>) {
  const gets: { key: string; range?: Range; onlyIf?: { etagMatches?: string } }[] = [];
  const b: R2BucketLike = {
    get(key, options = {}) {
      gets.push({ key, range: options.range as Range, onlyIf: options.onlyIf });
      const o = objects[key];
      if (!o) return Promise.resolve(null);
      const meta = {
        size: o.data.length,
        etag: o.etag,
        httpEtag: `"${o.etag}"`,
        uploaded: UPLOADED,
        httpMetadata: o.type ? { contentType: o.type } : {},
      };
      if (options.onlyIf?.etagMatches !== undefined && options.onlyIf.etagMatches !== o.etag) {
        return Promise.resolve(meta as R2ObjectLike);
      }
      let start = 0;
      let end = o.data.length;
      const r = options.range as Range | undefined;
      if (r) {
        if (r.suffix !== undefined) start = Math.max(0, o.data.length - r.suffix);
        else {
          start = r.offset ?? 0;
          end = Math.min(o.data.length, r.length !== undefined ? start + r.length : o.data.length);
        }
        if (start >= o.data.length) {
          return Promise.reject(new Error("get: The requested range is not satisfiable (10039)"));
        }
      }
      return Promise.resolve({ ...meta, body: new Blob([o.data.slice(start, end)]).stream() });
    },
  };
  return { bucket: b, gets, objects };
}

async function text(res: Response) {
  return new Uint8Array(await res.arrayBuffer());
}

describe("fromR2", () => {
  test("metadata from the first ranged get; validators are the bucket's", async () => {
    const { bucket: b, gets } = bucket({ "videos/a.mp4": { data: DATA, etag: "abc" } });
    const file = await fromR2(b, "videos/a.mp4", { blockSize: 65536 });
    assert.equal(file.size, DATA.length);
    assert.equal(file.etag, '"abc"');
    assert.equal(file.lastModified, UPLOADED.getTime());
    assert.equal(file.name, "a.mp4");
    assert.deepEqual(gets[0].range, { offset: 0, length: 65536 });
    const res = handleVideo(new Request("http://x/a.mp4"), file);
    assert.equal(res.headers.get("content-type"), "video/mp4");
    assert.equal(res.headers.get("etag"), '"abc"');
    assert.deepEqual(await text(res), DATA);
    assert.equal(gets.length, Math.ceil(DATA.length / 65536));
    for (const g of gets.slice(1)) assert.deepEqual(g.onlyIf, { etagMatches: "abc" });
  });

  test("ranges through the handler, the stored Content-Type, 404", async () => {
    const { bucket: b, gets } = bucket({ "a.bin": { data: DATA, etag: "abc", type: "video/webm" } });
    for (
      const [range, start, end] of [["bytes=1000-1999", 1000, 1999], [
        "bytes=-700",
        DATA.length - 700,
        DATA.length - 1,
      ]] as const
    ) {
      const req = new Request("http://x/a.bin", { headers: { range } });
      const res = handleVideo(req, await fromR2(b, "a.bin", { request: req }));
      assert.equal(res.status, 206);
      assert.equal(res.headers.get("content-type"), "video/webm");
      assert.deepEqual(await text(res), DATA.subarray(start, end + 1));
    }
    assert.equal(gets.length, 2, "each short range is one get");
    await assert.rejects(fromR2(b, "missing.mp4"), FileNotFoundError);
  });

  test("empty objects and ranges past the end fall back to a plain get", async () => {
    const { bucket: b } = bucket({ e: { data: new Uint8Array(0), etag: "e" }, a: { data: DATA, etag: "a" } });
    const empty = await fromR2(b, "e");
    assert.equal(empty.size, 0);
    const req = new Request("http://x/a", { headers: { range: `bytes=${DATA.length}-` } });
    const res = handleVideo(req, await fromR2(b, "a", { request: req }));
    assert.equal(res.status, 416);
  });

  test("an object overwritten mid-response fails with OriginChangedError", async () => {
    const { bucket: b, objects } = bucket({ a: { data: DATA, etag: "v1" } });
    const file = await fromR2(b, "a", { blockSize: 65536 });
    await file.read(new Uint8Array(10), 0);
    objects.a = { data: DATA, etag: "v2" };
    await assert.rejects(file.read(new Uint8Array(10), 100_000), OriginChangedError);
    delete objects.a;
    const again = await fromR2(bucket({ a: { data: DATA, etag: "v1" } }).bucket, "a", { blockSize: 65536 });
    assert.equal(again.size, DATA.length);
  });
});
