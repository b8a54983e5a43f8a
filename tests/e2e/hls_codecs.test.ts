/// <reference lib="dom" />
// HLS and DASH for the codecs beyond H.264/AAC: HEVC (libx265, open GOPs as x265
// writes by default) with Opus, and AV1 (libsvtav1), made by Debian's ffmpeg at
// test time and packaged on request by serveHls. The oracle is the source file:
// the frames decoded through the master hash as the source's, the Opus packets
// are the source's, ffprobe reads master and MPD cleanly.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireBinary as requireServerBinary, run } from "./_server.ts";
import { ffmpeg, framemd5 } from "./_ffmpeg.ts";
import { serveHls } from "../../src/media/hls/serve_hls.ts";
import { openNative, startServer, type TestServer } from "../helpers/server.ts";
import { launchChromium } from "./_chromium.ts";
import type { Browser } from "playwright-core";

const requireBinary = (name: string) => requireServerBinary(name, "ffmpeg chromium");
const HLS_JS = readFileSync(new URL("../../node_modules/hls.js/dist/hls.min.js", import.meta.url));
const DASH_JS = readFileSync(new URL("../../node_modules/dashjs/dist/modern/umd/dash.all.min.js", import.meta.url));
const PAGE = `<!doctype html><meta charset="utf-8"><script src="/hls.js"></script><script src="/dash.js"></script>
<video muted playsinline></video>`;

const DIR = mkdtempSync(join(tmpdir(), "ranged-hls-codecs-"));
const at = (name: string) => join(DIR, name);
const SECONDS = 4;
/** Segments of about one second: a keyframe every 25 frames gives four segments to cross. */
const SEGMENT = 1;
const source = (extra: string[]) => [
  "-f",
  "lavfi",
  "-i",
  `testsrc2=duration=${SECONDS}:size=160x120:rate=25`,
  ...extra,
  "-pix_fmt",
  "yuv420p",
];

let server: TestServer | undefined;

before(async () => {
  requireBinary("ffmpeg");
  requireBinary("ffprobe");
  await ffmpeg(
    ...source(["-f", "lavfi", "-i", `sine=frequency=440:duration=${SECONDS}`]),
    ...["-c:v", "libx265", "-tag:v", "hvc1", "-x265-params", "log-level=error:keyint=25:min-keyint=25:scenecut=0"],
    ...["-c:a", "libopus", "-b:a", "32k"],
    at("hevc_opus.mp4"),
  );
  await ffmpeg(
    ...source(["-f", "lavfi", "-i", `sine=frequency=330:duration=${SECONDS}`]),
    ...["-c:v", "libsvtav1", "-preset", "12", "-g", "25", "-svtav1-params", "log-level=1"],
    ...["-c:a", "libopus", "-b:a", "32k"],
    at("av1.mp4"),
  );
  // x264 with open GOPs: every keyframe after the first is a non-IDR I-frame that ffmpeg still marks sync.
  await ffmpeg(
    ...source(["-c:v", "libx264", "-bf", "3", "-g", "25", "-keyint_min", "25", "-x264-params", "open-gop=1"]),
    at("open_gop.mp4"),
  );
  server = await startServer(async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/hls.js") return new Response(HLS_JS, { headers: { "content-type": "text/javascript" } });
    if (path === "/dash.js") return new Response(DASH_JS, { headers: { "content-type": "text/javascript" } });
    if (path === "/page.html") return new Response(PAGE, { headers: { "content-type": "text/html" } });
    const m = /^\/([^/]+\.mp4)\/(.+)$/.exec(path);
    if (!m) return new Response("not found", { status: 404 });
    return serveHls(req, await openNative(at(m[1])), m[2], { segmentDuration: SEGMENT });
  });
});

after(async () => {
  await server?.close();
  rmSync(DIR, { recursive: true, force: true });
});

async function hashes(input: string, map: string, copy = false): Promise<string[]> {
  return (await framemd5(input, map, copy)).map((f) => f.hash);
}

/** ffprobe's streams of `input`, failing on anything it writes to stderr. */
async function probe(input: string): Promise<{ codec_name: string; codec_type: string }[]> {
  const r = await run("ffprobe", [
    "-v",
    "error",
    "-show_entries",
    "stream=codec_name,codec_type",
    "-of",
    "json",
    input,
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, "", `ffprobe is clean on ${input}`);
  return JSON.parse(new TextDecoder().decode(r.stdout)).streams;
}

async function master(name: string): Promise<string> {
  const res = await fetch(`${server!.url}/${name}/master.m3u8`);
  assert.equal(res.status, 200);
  return await res.text();
}

describe("HEVC + Opus", () => {
  test("master: CODECS hvc1 (Main, level 1) and Opus; cut into one-second segments", async () => {
    const text = await master("hevc_opus.mp4");
    assert.match(text, /CODECS="hvc1\.1\.6\.L30\.90,Opus"/);
    const media = await (await fetch(`${server!.url}/hevc_opus.mp4/media.m3u8`)).text();
    assert.deepEqual(media.match(/#EXTINF:[\d.]+/g), Array(4).fill("#EXTINF:1.000"));
  });

  test("ffmpeg decodes through the master exactly the source's video frames; ffprobe is clean", async () => {
    const url = `${server!.url}/hevc_opus.mp4/master.m3u8`;
    const src = await hashes(at("hevc_opus.mp4"), "0:v");
    assert.equal(src.length, SECONDS * 25);
    assert.deepEqual(await hashes(url, "0:v"), src);
    assert.deepEqual((await probe(url)).map((s) => s.codec_name).sort(), ["hevc", "opus"]);
  });

  test("the Opus packets are the source's, none lost", async () => {
    const src = await hashes(at("hevc_opus.mp4"), "0:a", true);
    assert.deepEqual(await hashes(`${server!.url}/hevc_opus.mp4/master.m3u8`, "0:a", true), src);
  });

  test("DASH: codecs in DASH's spelling, the same frames, ffprobe clean", async () => {
    const url = `${server!.url}/hevc_opus.mp4/manifest.mpd`;
    const mpd = await (await fetch(url)).text();
    assert.match(mpd, /codecs="hvc1\.1\.6\.L30\.90"/);
    assert.match(mpd, /codecs="opus"/);
    assert.match(mpd, /startWithSAP="3"/, "CRA pictures may have leading pictures: SAP type 3");
    assert.deepEqual(await hashes(url, "0:v"), await hashes(at("hevc_opus.mp4"), "0:v"));
    assert.deepEqual((await probe(url)).map((s) => s.codec_name).sort(), ["hevc", "opus"]);
  });
});

describe("AV1", () => {
  test("master: CODECS av01 short form, with Opus", async () => {
    assert.match(await master("av1.mp4"), /CODECS="av01\.0\.00M\.08,Opus"/);
  });

  test("ffmpeg decodes through the master and the MPD exactly the source's frames; ffprobe is clean", async () => {
    const src = await hashes(at("av1.mp4"), "0:v");
    assert.equal(src.length, SECONDS * 25);
    for (const sub of ["master.m3u8", "manifest.mpd"]) {
      const url = `${server!.url}/av1.mp4/${sub}`;
      assert.deepEqual(await hashes(url, "0:v"), src, sub);
      assert.deepEqual((await probe(url)).map((s) => s.codec_name).sort(), ["av1", "opus"], sub);
    }
  });
});

describe("segments start on a random access point, read from the sample", () => {
  test("HEVC open GOPs cut at CRA pictures (IRAP): served, decoded in order frame-exact (above)", async () => {
    const res = await fetch(`${server!.url}/hevc_opus.mp4/seg-1.m4s`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  });

  test("H.264 open GOPs (non-IDR I-frames marked sync) are refused at the master, naming the sample", async () => {
    const res = await fetch(`${server!.url}/open_gop.mp4/master.m3u8`);
    assert.equal(res.status, 422);
    assert.match(await res.text(), /track 1: sample 25, which starts a segment, starts with a non-IDR slice/);
  });
});

describe("Chromium takes the codec strings: AV1 + Opus plays across segment boundaries", () => {
  let browser: Browser | undefined;
  before(async () => {
    requireBinary("chromium");
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  for (const via of ["hls.js", "dash.js"] as const) {
    test(`through ${via}`, async () => {
      const page = await browser!.newPage();
      await page.goto(`${server!.url}/page.html`);
      const src = `${server!.url}/av1.mp4/${via === "hls.js" ? "master.m3u8" : "manifest.mpd"}`;
      await page.evaluate(({ src, via }) => {
        // deno-lint-ignore no-explicit-any
        const w = window as any;
        const video = document.querySelector("video")!;
        w.fatal = null;
        if (via === "dash.js") {
          const player = w.dashjs.MediaPlayer().create();
          player.on(w.dashjs.MediaPlayer.events.ERROR, (e: { error?: { message?: string } }) => {
            w.fatal = e.error?.message ?? "dash.js error";
          });
          player.initialize(video, src, true);
        } else {
          const hls = new w.Hls();
          hls.on(w.Hls.Events.ERROR, (_: unknown, d: { fatal: boolean; details: string }) => {
            if (d.fatal) w.fatal = d.details;
          });
          hls.loadSource(src);
          hls.attachMedia(video);
        }
        video.play().catch(() => {});
      }, { src, via });
      // Past 2.5 s: two segment boundaries crossed, both tracks decoding (a codec string MSE refused fails here).
      await page.waitForFunction(
        () => {
          // deno-lint-ignore no-explicit-any
          const w = window as any;
          return w.fatal !== null || document.querySelector("video")!.currentTime > 2.5;
        },
        null,
        { timeout: 30_000 },
      );
      const state = await page.evaluate(() => {
        const v = document.querySelector("video")! as HTMLVideoElement & { webkitAudioDecodedByteCount?: number };
        // deno-lint-ignore no-explicit-any
        const w = window as any;
        return { fatal: w.fatal, error: v.error?.message ?? null, audio: (v.webkitAudioDecodedByteCount ?? 0) > 0 };
      });
      assert.deepEqual(state, { fatal: null, error: null, audio: true });
      await page.close();
    });
  }
});
