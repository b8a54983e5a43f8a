// Faststart end to end: fixtures made with ffmpeg at test time, served by an
// in-process server on the runtime under test (Deno.serve, Bun.serve, or
// node:http through the bridge), checked against ffmpeg's own
// `-movflags +faststart`, ffprobe, ffmpeg's framemd5 over HTTP, and Chromium.
//
// What we found about ffmpeg (5.1): `ffmpeg -i x.mp4 -map 0 -c copy in.mp4` of a file ffmpeg itself encoded
// gives the same bytes as x.mp4, and `ffmpeg -i in.mp4 -map 0 -c copy -movflags +faststart ref.mp4` differs from
// in.mp4 only in placement: ftyp, moov, free, mdat instead of ftyp, free, mdat, moov, with the moov's chunk offsets
// moved by its size. The remuxed in.mp4 is nevertheless what the parity tests transform, so that the only
// difference from ref.mp4 can be the placement.
/// <reference lib="dom" />
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium } from "./_chromium.ts";
import { requireBinary as requireServerBinary, run } from "./_server.ts";
import { ffmpeg } from "./_ffmpeg.ts";
import { handleVideo } from "../../src/http/handler.ts";
import { createFaststartCache, faststart, faststartInfo, isFaststart } from "../../src/media/faststart.ts";
import { openNative, runtime, startServer, type TestServer } from "../helpers/server.ts";
import { parseMultipart } from "../helpers/multipart_parse.ts";

/** Fails (never skips) when a binary is missing. */
const requireBinary = (name: string) => requireServerBinary(name, "ffmpeg chromium");

const DIR = mkdtempSync(join(tmpdir(), "ranged-faststart-"));
const at = (name: string) => join(DIR, name);
const read = (name: string) => new Uint8Array(readFileSync(at(name)));

interface Fixture {
  /** The moov-at-end input: a `-c copy` remux of what ffmpeg encoded. */
  input: string;
  /** ffmpeg's answer: `ffmpeg -i input -map 0 -c copy -movflags +faststart`. */
  reference: string;
  /** Whether the remux equals the encoder's output byte for byte (reported in docs/FASTSTART.md). */
  remuxIdentical?: boolean;
}

const LAVFI_V = (d: number, size = "320x240") => ["-f", "lavfi", "-i", `testsrc2=duration=${d}:size=${size}:rate=25`];
const LAVFI_A = (d: number, f = 440) => ["-f", "lavfi", "-i", `sine=frequency=${f}:duration=${d}`];
const FIXTURES: Record<string, string[]> = {
  // H.264 with B-frames (ctts, an edit list) + AAC.
  "h264-aac-bframes.mp4": [
    ...LAVFI_V(4),
    ...LAVFI_A(4),
    "-c:v",
    "libx264",
    "-bf",
    "3",
    "-pix_fmt",
    "yuv420p",
    "-c:a",
    "aac",
  ],
  "audio-only.m4a": [...LAVFI_A(5), "-c:a", "aac"],
  "two-audio-tracks.mp4": [
    ...LAVFI_V(3),
    ...LAVFI_A(3, 440),
    ...LAVFI_A(3, 660),
    "-map",
    "0",
    "-map",
    "1",
    "-map",
    "2",
    "-c:v",
    "libx264",
    "-bf",
    "2",
    "-pix_fmt",
    "yuv420p",
    "-c:a",
    "aac",
  ],
  "quicktime.mov": [...LAVFI_V(2), ...LAVFI_A(2), "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"],
};
const fixtures = new Map<string, Fixture>();
// Big enough, at a high bitrate, that a throttled response cannot deliver it in one burst.
const BROWSER_FILE = "browser.mp4";

let server: TestServer | undefined;
const requests: { path: string; range: string | null; at: number }[] = [];
const cache = createFaststartCache();

/** 1 MiB/s per response, like a real network: otherwise loopback delivers everything before the player decides. */
function throttle(res: Response, bytesPerSecond: number, path: string, sent: Map<string, number>): Response {
  if (!res.body) return res;
  const reader = res.body.getReader();
  const started = performance.now();
  let total = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      total += value.length;
      sent.set(path, (sent.get(path) ?? 0) + value.length);
      const due = started + (total / bytesPerSecond) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
  return new Response(body, { status: res.status, headers: res.headers });
}
const sentBytes = new Map<string, number>();

before(async () => {
  requireBinary("ffmpeg");
  requireBinary("ffprobe");
  for (const [name, args] of Object.entries(FIXTURES)) {
    const ext = name.slice(name.lastIndexOf("."));
    const encoded = `enc-${name}`;
    await ffmpeg(...args, at(encoded)); // no +faststart: the moov lands at the end
    await ffmpeg("-i", at(encoded), "-map", "0", "-c", "copy", at(name));
    await ffmpeg("-i", at(name), "-map", "0", "-c", "copy", "-movflags", "+faststart", at(`ref-${name}`));
    const remuxIdentical = Buffer.compare(readFileSync(at(encoded)), readFileSync(at(name))) === 0;
    fixtures.set(name, { input: name, reference: `ref-${name}`, remuxIdentical });
    assert.ok(ext);
  }
  await ffmpeg(
    ...LAVFI_V(8, "640x360"),
    ...LAVFI_A(8),
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    "-b:v",
    "3M",
    "-pix_fmt",
    "yuv420p",
    "-c:a",
    "aac",
    at(BROWSER_FILE),
  );
  server = await startServer(async (req) => {
    const url = new URL(req.url);
    requests.push({ path: url.pathname, range: req.headers.get("range"), at: performance.now() });
    if (url.pathname === "/page.html") {
      const src = url.searchParams.get("src") ?? "";
      return new Response(`<!doctype html><video src="${src}" muted autoplay playsinline></video>`, {
        headers: { "content-type": "text/html" },
      });
    }
    // /orig/<name> serves the file as it is; /fast/<name> in faststart layout.
    const m = /^\/(orig|fast|slow-orig|slow-fast)\/([\w.-]+)$/.exec(url.pathname);
    if (!m) return new Response("not found", { status: 404 });
    let file = await openNative(at(m[2]));
    if (m[1].endsWith("fast")) file = await faststart(file, { cache, key: at(m[2]) });
    const res = handleVideo(req, file, { headers: { "x-layout": isFaststart(file) ? "faststart" : "original" } });
    return m[1].startsWith("slow") ? throttle(res, 1024 * 1024, url.pathname, sentBytes) : res;
  });
});

after(async () => {
  await server?.close();
  rmSync(DIR, { recursive: true, force: true });
  writeFileSync(join(tmpdir(), `ranged-faststart-e2e-${runtime}.json`), JSON.stringify(measured, null, 2));
});

const measured: Record<string, unknown> = { runtime };

describe("faststart over HTTP", () => {
  for (const name of Object.keys(FIXTURES)) {
    test(`${name}: the body equals ffmpeg -movflags +faststart byte for byte`, async () => {
      const fx = fixtures.get(name)!;
      const res = await fetch(`${server!.url}/fast/${fx.input}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-layout"), "faststart");
      const body = new Uint8Array(await res.arrayBuffer());
      const ref = read(fx.reference);
      assert.equal(body.length, ref.length);
      assert.ok(Buffer.compare(body, ref) === 0, `${name}: differs from ffmpeg's faststart output`);
      measured[`parity:${name}`] = { bytes: ref.length, identical: true, remuxIdentical: fx.remuxIdentical };
    });

    test(`${name}: ffprobe and ffmpeg framemd5 over HTTP see the same packets as in the original`, async () => {
      const fx = fixtures.get(name)!;
      const probe = async (path: string) => {
        const r = await run("ffprobe", ["-v", "error", "-show_streams", "-show_format", "-of", "json", path]);
        assert.equal(r.status, 0, r.stderr);
        const json = JSON.parse(new TextDecoder().decode(r.stdout));
        delete json.format.filename;
        delete json.format.size; // differs only if tables grew to co64
        delete json.format.bit_rate;
        return json;
      };
      const fast = await probe(`${server!.url}/fast/${fx.input}`);
      assert.deepEqual(fast, await probe(`${server!.url}/orig/${fx.input}`));
      assert.deepEqual(fast, await probe(at(fx.input)));
      const framemd5 = async (path: string) => {
        const r = await run("ffmpeg", ["-v", "error", "-i", path, "-map", "0", "-c", "copy", "-f", "framemd5", "-"]);
        assert.equal(r.status, 0, r.stderr);
        return new TextDecoder().decode(r.stdout);
      };
      const packets = await framemd5(`${server!.url}/fast/${fx.input}`);
      assert.ok(packets.split("\n").filter((l) => /^\d/.test(l)).length > 20, "packets listed");
      assert.equal(packets, await framemd5(at(fx.input)));
      assert.equal(packets, await framemd5(`${server!.url}/orig/${fx.input}`));
    });

    test(`${name}: random single and multi-range requests equal the same ranges of ffmpeg's output`, async () => {
      const fx = fixtures.get(name)!;
      const ref = read(fx.reference);
      let seed = name.length * 7919;
      const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
      for (let k = 0; k < 40; k++) {
        const count = k % 3 === 0 ? 2 + rand(4) : 1;
        const spec = Array.from({ length: count }, () => {
          const a = rand(ref.length);
          return `${a}-${Math.min(ref.length - 1, a + rand(k % 5 === 0 ? ref.length : 20_000))}`;
        }).join(",");
        const res = await fetch(`${server!.url}/fast/${fx.input}`, { headers: { range: `bytes=${spec}` } });
        assert.equal(res.status, 206, spec);
        const body = new Uint8Array(await res.arrayBuffer());
        const type = res.headers.get("content-type")!;
        const parts = type.startsWith("multipart/")
          ? parseMultipart(body, type).map((p) => ({ range: p.headers.get("content-range")!, body: p.body }))
          : [{ range: res.headers.get("content-range")!, body }];
        for (const p of parts) {
          const [, a, b, size] = /bytes (\d+)-(\d+)\/(\d+)/.exec(p.range)!.map(Number);
          assert.equal(size, ref.length);
          assert.ok(Buffer.compare(p.body, ref.subarray(a, b + 1)) === 0, `${name} ${spec}: part ${p.range}`);
        }
      }
    });
  }

  test("HEAD, If-None-Match and If-Range use the derived validators", async () => {
    const url = `${server!.url}/fast/h264-aac-bframes.mp4`;
    const head = await fetch(url, { method: "HEAD" });
    const etag = head.headers.get("etag")!;
    assert.match(etag, /^"[^"]+-faststart\.1"$/);
    assert.equal(head.headers.get("content-length"), String(read("ref-h264-aac-bframes.mp4").length));
    const orig = await fetch(`${server!.url}/orig/h264-aac-bframes.mp4`, { method: "HEAD" });
    assert.notEqual(orig.headers.get("etag"), etag);
    assert.equal(orig.headers.get("last-modified"), head.headers.get("last-modified"));
    assert.equal((await fetch(url, { headers: { "if-none-match": etag } })).status, 304);
    const resumed = await fetch(url, { headers: { range: "bytes=10-19", "if-range": etag } });
    assert.equal(resumed.status, 206);
    await resumed.arrayBuffer();
    const stale = await fetch(url, { headers: { range: "bytes=10-19", "if-range": orig.headers.get("etag")! } });
    assert.equal(stale.status, 200);
    await stale.body?.cancel();
  });
});

describe("Chromium", () => {
  test("starts playback of a moov-at-end file with no request for its last bytes", async () => {
    requireBinary("chromium");
    const browser = await launchChromium();
    const size = read(BROWSER_FILE).length;
    const original = await openNative(at(BROWSER_FILE));
    const fast = await faststart(original, { cache: false });
    const info = faststartInfo(fast);
    await fast.close?.();
    assert.ok(info, "the browser fixture is moov-at-end");
    // The original's moov is the last bytes of the file; Chromium fetches it from a block boundary before it (it
    // asked for bytes=2621440- with the moov at 2648906), so "a request for the last bytes" is one starting in the
    // last 10% of the file.
    const tail = Math.floor(size * 0.9);
    const results: Record<string, unknown> = {};
    try {
      for (const layout of ["slow-orig", "slow-fast"]) {
        const path = `/${layout}/${BROWSER_FILE}`;
        const page = await browser.newPage();
        const from = requests.length;
        sentBytes.set(path, 0);
        const started = performance.now();
        let bytesAtPlaying = 0;
        try {
          await page.goto(`${server!.url}/page.html?src=${encodeURIComponent(path)}`);
          await page.waitForFunction(
            () => {
              const v = document.querySelector("video") as HTMLVideoElement;
              return v.currentTime > 0.1 && !v.paused;
            },
            null,
            { timeout: 30_000 },
          );
          bytesAtPlaying = sentBytes.get(path) ?? 0;
        } finally {
          await page.close();
        }
        const ms = Math.round(performance.now() - started);
        const mine = requests.slice(from).filter((r) => r.path === path && r.at - started <= ms);
        const starts = mine.map((r) => Number(/bytes=(\d+)-/.exec(r.range ?? "bytes=0-")?.[1] ?? 0));
        results[layout] = {
          requests: mine.length,
          ranges: mine.map((r) => r.range),
          tailRequests: starts.filter((s) => s >= tail).length,
          bytesSentBeforePlaying: bytesAtPlaying,
          msToPlaying: ms,
        };
        if (layout === "slow-fast") {
          assert.deepEqual(
            starts.filter((s) => s >= tail),
            [],
            `faststart: no request for the last bytes: ${mine.map((r) => r.range)}`,
          );
        } else {
          // The baseline the feature removes: without faststart Chromium has to fetch the end first.
          assert.ok(
            starts.some((s) => s >= tail),
            `original: expected a request in the last 10% (from ${tail}): ${mine.map((r) => r.range)}`,
          );
        }
      }
    } finally {
      await browser.close();
    }
    measured.chromium = {
      fileSize: size,
      moovAt: info.originalMoovStart,
      moovSize: info.originalMoovSize,
      ...results,
    };
    console.log(`chromium (${runtime}):`, JSON.stringify(measured.chromium));
  });
});
