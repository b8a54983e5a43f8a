// The example Worker (examples/worker/worker.ts) on the real Workers runtime
// — workerd through Miniflare, with an R2 bucket — bundled from the same
// core sources: HTTP-level range and conditional tests, wire framing, and
// Chromium playing and seeking a video served from R2.
/// <reference lib="dom" />
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { launchChromium } from "./_chromium.ts";
import { patternBytes } from "../helpers/counting_file.ts";
import { parseMultipart } from "../helpers/multipart_parse.ts";
import { rawRequest } from "../helpers/raw_http.ts";
import { freePort } from "./_nginx.ts";
import { requireBinary } from "./_server.ts";
import { startWorkerProcess, type WorkerProcess } from "./_worker.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const CLIP = new Uint8Array(readFileSync(join(REPO, "tests/fixtures/clip.mp4")));
const BIG = patternBytes(9 * 1024 * 1024 + 777, 5); // three R2 gets at the default 4 MiB block
const DIR = mkdtempSync(join(tmpdir(), "ranged-r2-"));
let worker: WorkerProcess | undefined;
let url = "";
let port = 0;

before(async () => {
  writeFileSync(join(DIR, "clip.mp4"), CLIP);
  writeFileSync(join(DIR, "big.bin"), BIG);
  writeFileSync(join(DIR, "index.m3u8"), "#EXTM3U\n");
  port = await freePort();
  worker = await startWorkerProcess(DIR, port);
  url = worker.url;
});

after(async () => {
  await worker?.stop();
  rmSync(DIR, { recursive: true, force: true });
});

async function get(path: string, headers: Record<string, string> = {}, method = "GET") {
  const res = await fetch(url + path, { method, headers });
  return { res, body: new Uint8Array(await res.arrayBuffer()) };
}

describe("example Worker with R2 on workerd", () => {
  test("full GET: the object's validators, the media preset, CORS without Vary", async () => {
    const { res, body } = await get("/clip.mp4");
    assert.equal(res.status, 200);
    assert.deepEqual(body, CLIP);
    assert.equal(res.headers.get("content-type"), "video/mp4");
    assert.equal(res.headers.get("accept-ranges"), "bytes");
    assert.match(res.headers.get("etag")!, /^"[0-9a-f]{32}"$/, "R2's httpEtag");
    assert.ok(res.headers.get("last-modified"));
    assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.equal(res.headers.get("vary"), null);
    assert.equal((await get("/index.m3u8")).res.headers.get("cache-control"), "public, no-cache");
  });

  test("single ranges, suffixes and a multi-block object", async () => {
    for (
      const [range, start, end] of [
        ["bytes=0-1", 0, 1],
        ["bytes=1000-", 1000, CLIP.length - 1],
        ["bytes=-4096", CLIP.length - 4096, CLIP.length - 1],
        ["bytes=50000-60000", 50000, 60000],
      ] as const
    ) {
      const { res, body } = await get("/clip.mp4", { range });
      assert.equal(res.status, 206, range);
      assert.equal(res.headers.get("content-range"), `bytes ${start}-${end}/${CLIP.length}`);
      assert.deepEqual(body, CLIP.subarray(start, end + 1));
    }
    const big = await get("/big.bin");
    assert.deepEqual(big.body, BIG);
    const tail = await get("/big.bin", { range: "bytes=4194000-8500000" });
    assert.equal(tail.res.status, 206);
    assert.deepEqual(tail.body, BIG.subarray(4194000, 8500001));
  });

  test("multipart/byteranges parses back", async () => {
    const { res, body } = await get("/clip.mp4", { range: "bytes=0-99,100000-100099,-50" });
    assert.equal(res.status, 206);
    assert.deepEqual(parseMultipart(body, res.headers.get("content-type")!).map((p) => p.body), [
      CLIP.subarray(0, 100),
      CLIP.subarray(100000, 100100),
      CLIP.subarray(CLIP.length - 50),
    ]);
  });

  test("416, 304, 412, 405, If-Range, HEAD, 404", async () => {
    const r416 = await get("/clip.mp4", { range: `bytes=${CLIP.length}-` });
    assert.equal(r416.res.status, 416);
    assert.equal(r416.res.headers.get("content-range"), `bytes */${CLIP.length}`);
    const head = await get("/clip.mp4", {}, "HEAD");
    assert.equal(head.res.status, 200);
    assert.equal(head.res.headers.get("content-length"), String(CLIP.length));
    const etag = head.res.headers.get("etag")!;
    const r304 = await get("/clip.mp4", { "if-none-match": etag });
    assert.equal(r304.res.status, 304);
    assert.equal(r304.res.headers.get("etag"), etag);
    assert.equal((await get("/clip.mp4", { "if-match": '"nope"' })).res.status, 412);
    assert.equal((await get("/clip.mp4", {}, "POST")).res.status, 405);
    const resume = await get("/clip.mp4", { range: "bytes=100-", "if-range": etag });
    assert.equal(resume.res.status, 206);
    const stale = await get("/clip.mp4", { range: "bytes=100-", "if-range": '"old"' });
    assert.equal(stale.res.status, 200);
    assert.equal(stale.body.length, CLIP.length);
    assert.equal((await get("/missing.mp4")).res.status, 404);
  });

  test("on the wire: exact Content-Length, not chunked, for 200, 206 and multipart", async () => {
    for (const range of [undefined, "bytes=10-109", "bytes=0-9,20-29"]) {
      const raw = await rawRequest(
        port,
        `GET /clip.mp4 HTTP/1.1\nHost: 127.0.0.1\nConnection: close${range ? `\nRange: ${range}` : ""}`,
      );
      assert.equal(raw.headers.get("transfer-encoding"), undefined, String(range));
      assert.equal(raw.headers.get("content-length"), String(raw.body.length), String(range));
    }
  });

  test("Chromium plays and seeks a video served from R2", async () => {
    requireBinary("chromium");
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(`${url}/?v=clip.mp4`);
      await page.waitForFunction(() => (document.getElementById("v") as HTMLVideoElement).readyState >= 1, null, {
        timeout: 20_000,
      });
      const duration = await page.evaluate(() => (document.getElementById("v") as HTMLVideoElement).duration);
      assert.ok(duration > 3 && duration < 5, `duration ${duration}`);
      await page.evaluate(() => (document.getElementById("v") as HTMLVideoElement).play());
      await page.waitForFunction(() => (document.getElementById("v") as HTMLVideoElement).currentTime > 0.5, null, {
        timeout: 20_000,
      });
      await page.evaluate(() => {
        (document.getElementById("v") as HTMLVideoElement).currentTime = 3;
      });
      await page.waitForFunction(
        () => {
          const v = document.getElementById("v") as HTMLVideoElement;
          return v.currentTime > 3.2 || v.ended;
        },
        null,
        { timeout: 20_000 },
      );
      const state = await page.evaluate(() => {
        const v = document.getElementById("v") as HTMLVideoElement;
        return { error: v.error?.code ?? null, buffered: v.buffered.length };
      });
      assert.equal(state.error, null);
      assert.deepEqual(errors, []);
    } finally {
      await browser?.close();
    }
  });
});
