// HTTP-level tests through a real server on 127.0.0.1, on whichever runtime
// runs this file: Deno.serve on Deno, Bun.serve on Bun, node:http + the
// ranged bridge on Node.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { handleVideo } from "../src/http/handler.ts";
import { SYNC_READ_MAX } from "../src/http/sync_read.ts";
import { openFile as openPortable } from "../src/adapters/fs.ts";
import { openNative, runtime, startServer, type TestServer } from "./helpers/server.ts";
import { rawRequest } from "./helpers/raw_http.ts";
import { parseMultipart } from "./helpers/multipart_parse.ts";
import { CloseLedger } from "./helpers/counting_file.ts";

const FIXTURE = fileURLToPath(new URL("./fixtures/clip.mp4", import.meta.url));
const DATA = new Uint8Array(readFileSync(FIXTURE));
const SIZE = DATA.length;

const TMP = mkdtempSync(join(tmpdir(), "ranged-http-"));
const BIG = join(TMP, "big.mp4");
let server: TestServer;
// Every file the server opens must be closed exactly once.
const ledger = new CloseLedger();

before(async () => {
  // Large enough that a body is still streaming when the client leaves.
  writeFileSync(BIG, new Uint8Array(64 * 1024 * 1024).fill(7));
  server = await startServer(async (req) => {
    const url = new URL(req.url);
    const file = url.pathname === "/big.mp4"
      ? await openNative(BIG)
      : url.pathname === "/big-portable.mp4"
      ? await openPortable(BIG)
      : url.pathname === "/portable.mp4"
      ? await openPortable(FIXTURE)
      : await openNative(FIXTURE);
    return handleVideo(req, ledger.wrap(file), { cacheControl: "public, max-age=60" });
  });
});
after(async () => {
  await server.close();
  rmSync(TMP, { recursive: true, force: true });
});

async function get(path: string, headers: Record<string, string> = {}, method = "GET") {
  const res = await fetch(server.url + path, { method, headers });
  return { res, body: new Uint8Array(await res.arrayBuffer()) };
}

describe(`real server on ${runtime}`, () => {
  for (const path of ["/clip.mp4", "/portable.mp4"]) {
    test(`${path}: full GET`, async () => {
      const { res, body } = await get(path);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "video/mp4");
      assert.equal(res.headers.get("accept-ranges"), "bytes");
      assert.ok(res.headers.get("etag"));
      assert.deepEqual(body, DATA, `${path}: the whole file's bytes`);
    });

    test(`${path}: single ranges`, async () => {
      for (
        const [range, start, end] of [["bytes=0-1", 0, 1], ["bytes=1000-", 1000, SIZE - 1], [
          "bytes=-4096",
          SIZE - 4096,
          SIZE - 1,
        ], ["bytes=50000-60000", 50000, 60000]] as const
      ) {
        const { res, body } = await get(path, { range });
        assert.equal(res.status, 206, range);
        assert.equal(res.headers.get("content-range"), `bytes ${start}-${end}/${SIZE}`);
        assert.deepEqual(body, DATA.subarray(start, end + 1), `${path} ${range}: the range's bytes`);
      }
    });

    test(`${path}: multipart/byteranges parses back`, async () => {
      const { res, body } = await get(path, { range: "bytes=0-99,100000-100099,-50" });
      assert.equal(res.status, 206);
      const parts = parseMultipart(body, res.headers.get("content-type")!);
      assert.deepEqual(parts.map((p) => p.body), [
        DATA.subarray(0, 100),
        DATA.subarray(100000, 100100),
        DATA.subarray(SIZE - 50),
      ]);
    });

    test(`${path}: 416, 304, 412, 405`, async () => {
      const r416 = await get(path, { range: `bytes=${SIZE}-` });
      assert.equal(r416.res.status, 416);
      assert.equal(r416.res.headers.get("content-range"), `bytes */${SIZE}`);
      const etag = (await get(path, {}, "HEAD")).res.headers.get("etag")!;
      const r304 = await get(path, { "if-none-match": etag });
      assert.equal(r304.res.status, 304);
      assert.equal(r304.res.headers.get("etag"), etag);
      assert.equal(r304.res.headers.get("cache-control"), "public, max-age=60");
      assert.equal((await get(path, { "if-match": '"nope"' })).res.status, 412);
      assert.equal((await get(path, {}, "POST")).res.status, 405);
      const resume = await get(path, { range: "bytes=100-", "if-range": etag });
      assert.equal(resume.res.status, 206, `${path}: a resume with the current ETag → 206`);
      assert.deepEqual(resume.body, DATA.subarray(100), `${path}: the resume is the rest of the file`);
      const stale = await get(path, { range: "bytes=100-", "if-range": '"stale"' });
      assert.equal(stale.res.status, 200, `${path}: a resume with a stale ETag → 200`);
      assert.deepEqual(stale.body, DATA, `${path}: a stale resume gets the whole file`);
    });
  }

  test("framing on the wire: exact Content-Length for 200 and 206 with the native adapter", async () => {
    for (const range of ["", "Range: bytes=10-20009\n"]) {
      const raw = await rawRequest(
        server.port,
        `GET /clip.mp4 HTTP/1.1\nHost: x\nConnection: close\n${range}`.trimEnd(),
      );
      const expected = range ? 20000 : SIZE;
      assert.equal(raw.headers.get("content-length"), String(expected), `framing for "${range.trim()}"`);
      assert.equal(raw.headers.get("transfer-encoding"), undefined);
      assert.deepEqual(raw.body, range ? DATA.subarray(10, 20010) : DATA, `bytes on the wire for "${range.trim()}"`);
    }
  });

  test("framing on the wire: the portable adapter", async () => {
    // Up to SYNC_READ_MAX the body is read at once and sent as bytes (exact
    // Content-Length everywhere); beyond, it streams.
    for (const [start, end] of [[10, 10 + SYNC_READ_MAX - 1], [10, 10 + SYNC_READ_MAX]]) {
      const raw = await rawRequest(
        server.port,
        `GET /portable.mp4 HTTP/1.1\nHost: x\nConnection: close\nRange: bytes=${start}-${end}`,
      );
      const length = end - start + 1;
      assert.deepEqual(raw.body, DATA.subarray(start, end + 1), `the range's bytes on the wire (${length})`);
      if (runtime === "bun" && length > SYNC_READ_MAX) {
        // Bun 1.4 drops a handler-set Content-Length on ReadableStream bodies
        // (oven-sh/bun#10507): this is why the Bun adapter answers with Blobs.
        assert.equal(raw.headers.get("transfer-encoding"), "chunked");
      } else {
        assert.equal(raw.headers.get("content-length"), String(length), `framing of ${length} bytes`);
        assert.equal(raw.headers.get("transfer-encoding"), undefined);
      }
    }
  });

  test("reads before the response (a format probe) do not shift the body", async () => {
    // faststart() probes a file's boxes, then may hand the same FileLike on:
    // a native stream must start where the response does, not where the probe left off.
    for (const range of [undefined, "bytes=0-", "bytes=1000-"]) {
      const file = await openNative(FIXTURE);
      await file.read(new Uint8Array(32), 0);
      await file.read(new Uint8Array(100), 5000);
      const res = handleVideo(new Request("http://x/clip.mp4", { headers: range ? { range } : {} }), file);
      const start = range === "bytes=1000-" ? 1000 : 0;
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), DATA.subarray(start), String(range));
    }
  });

  test("HEAD on the wire: full Content-Length, no body", async () => {
    const raw = await rawRequest(server.port, "HEAD /clip.mp4 HTTP/1.1\nHost: x\nConnection: close\nRange: bytes=0-1");
    assert.equal(raw.status, 200);
    assert.equal(raw.headers.get("content-length"), String(SIZE));
    assert.equal(raw.body.length, 0);
  });

  test("50 concurrent range requests, each byte-exact", async () => {
    const jobs = Array.from({ length: 50 }, async (_, i) => {
      const start = (i * 3331) % (SIZE - 5000);
      const { res, body } = await get(i % 2 ? "/clip.mp4" : "/portable.mp4", {
        range: `bytes=${start}-${start + 4999}`,
      });
      assert.equal(res.status, 206);
      assert.deepEqual(body, DATA.subarray(start, start + 5000), `range ${start}-${start + 4999}: its bytes`);
    });
    await Promise.all(jobs);
  });

  test("a client that disconnects mid-body: every opened file is closed exactly once", async () => {
    const before = ledger.opened - ledger.closed;
    for (let i = 0; i < 10; i++) {
      const ac = new AbortController();
      const res = await fetch(server.url + (i % 2 ? "/big.mp4" : "/big-portable.mp4"), { signal: ac.signal });
      const reader = res.body!.getReader();
      await reader.read();
      ac.abort();
      await reader.closed.catch(() => {});
    }
    const deadline = Date.now() + 5000;
    while (ledger.opened - ledger.closed !== before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(ledger.opened - ledger.closed, before, "files left open after client aborts");
    assert.equal(ledger.doubleCloses, 0, "a FileLike was closed twice");
  });
});
