/// <reference lib="dom" />
// HLS end to end: MP4s made with Debian's ffmpeg at test time, packaged on
// request by serveHls behind the runtime's own server, read back by ffmpeg,
// ffprobe and m3u8-parser. The oracle is the source file itself: the video
// frames decoded through the master must hash exactly as the source's, and
// the audio packets must be one unbroken run of the source's.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Parser } from "m3u8-parser";
import { requireBinary as requireServerBinary, run } from "./_server.ts";
import { ffmpeg, framemd5 } from "./_ffmpeg.ts";
import { serveHls } from "../../src/media/hls/serve_hls.ts";
import { openNative, runtime, startServer, type TestServer } from "../helpers/server.ts";
import { launchChromium } from "./_chromium.ts";
import type { Browser, Page } from "playwright-core";

const requireBinary = (name: string) => requireServerBinary(name, "ffmpeg chromium");

const DIR = mkdtempSync(join(tmpdir(), "ranged-hls-"));
const at = (name: string) => join(DIR, name);
const SECONDS = 13;
const video = (size: string, gop: number) => [
  "-f",
  "lavfi",
  "-i",
  `testsrc2=duration=${SECONDS}:size=${size}:rate=25`,
  "-f",
  "lavfi",
  "-i",
  `sine=frequency=440:duration=${SECONDS}`,
  "-c:v",
  "libx264",
  "-bf",
  "3",
  "-g",
  String(gop),
  "-keyint_min",
  String(gop),
  "-sc_threshold",
  "0",
  "-pix_fmt",
  "yuv420p",
  "-c:a",
  "aac",
];

let server: TestServer | undefined;
const VTT = "WEBVTT\n\n00:00:00.500 --> 00:00:12.500\nhello from a sidecar\n";
const HLS_JS = readFileSync(new URL("../../node_modules/hls.js/dist/hls.min.js", import.meta.url));
const DASH_JS = readFileSync(new URL("../../node_modules/dashjs/dist/modern/umd/dash.all.min.js", import.meta.url));
const PAGE = `<!doctype html><meta charset="utf-8"><script src="/hls.js"></script><script src="/dash.js"></script>
<video muted playsinline></video>`;

before(async () => {
  requireBinary("ffmpeg");
  requireBinary("ffprobe");
  // H.264 with B-frames (ctts, an edit list) + AAC (priming, an edit list), GOP 2 s, moov at the end.
  await ffmpeg(...video("320x240", 50), at("movie.mp4"));
  await ffmpeg("-f", "lavfi", "-i", `sine=frequency=330:duration=${SECONDS}`, "-c:a", "aac", at("audio.m4a"));
  mkdirSync(at("ladder"));
  await ffmpeg(...video("320x240", 50), "-b:v", "600k", at("ladder/a-240p.mp4"));
  await ffmpeg(...video("160x120", 50), "-b:v", "150k", at("ladder/b-120p.mp4"));
  mkdirSync(at("skewed"));
  await ffmpeg(...video("320x240", 50), at("skewed/a.mp4"));
  await ffmpeg(...video("160x120", 60), at("skewed/b.mp4"));
  server = await startServer(async (req) => {
    const url = new URL(req.url);
    const path = decodeURIComponent(url.pathname);
    // /movie.mp4/<sub> for one file, /ladder/<sub> for a folder of renditions.
    const single = /^\/([^/]+\.(?:mp4|m4a))\/(.+)$/.exec(path);
    if (single) {
      const subtitles = single[1] === "movie.mp4" ? [{ uri: "../movie.en.vtt", name: "English", language: "en" }] : [];
      return serveHls(req, await openNative(at(single[1])), single[2], { childQuery: url.search, subtitles });
    }
    if (path === "/movie.en.vtt") return new Response(VTT, { headers: { "content-type": "text/vtt" } });
    const folder = /^\/(ladder|skewed)\/(.+)$/.exec(path);
    if (folder) {
      const names = folder[1] === "ladder" ? ["a-240p.mp4", "b-120p.mp4"] : ["a.mp4", "b.mp4"];
      const files = await Promise.all(names.map((n) => openNative(at(`${folder[1]}/${n}`))));
      return serveHls(req, files, folder[2], { names });
    }
    if (path === "/hls.js") return new Response(HLS_JS, { headers: { "content-type": "text/javascript" } });
    if (path === "/dash.js") return new Response(DASH_JS, { headers: { "content-type": "text/javascript" } });
    if (path === "/page.html") return new Response(PAGE, { headers: { "content-type": "text/html" } });
    return new Response("not found", { status: 404 });
  });
});

after(async () => {
  await server?.close();
  rmSync(DIR, { recursive: true, force: true });
});

/** The hash column of `ffmpeg -f framemd5` for the given input and stream selection. */
async function frameHashes(input: string, map: string, copy = false): Promise<string[]> {
  return (await framemd5(input, map, copy)).map((f) => f.hash);
}

// deno-lint-ignore no-explicit-any
async function playlist(url: string): Promise<any> {
  const res = await fetch(url);
  assert.equal(res.status, 200, url);
  const parser = new Parser();
  parser.push(await res.text());
  parser.end();
  return parser.manifest;
}

async function probe(
  input: string,
): Promise<{ duration: number; streams: { codec_type: string; start_time: string }[] }> {
  const r = await run("ffprobe", [
    "-v",
    "error",
    "-show_entries",
    "format=duration:stream=codec_type,start_time",
    "-of",
    "json",
    input,
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, "", `ffprobe is clean on ${input}`);
  const info = JSON.parse(new TextDecoder().decode(r.stdout));
  return { duration: Number(info.format.duration), streams: info.streams };
}

const FRAME = 0.04;

describe("single file", () => {
  test("ffmpeg decodes through the master exactly the source's video frames", async () => {
    const source = await frameHashes(at("movie.mp4"), "0:v");
    const hls = await frameHashes(`${server!.url}/movie.mp4/master.m3u8`, "0:v");
    assert.equal(source.length, SECONDS * 25);
    assert.deepEqual(hls, source);
  });

  test("the audio packets are one unbroken run of the source's", async () => {
    const source = await frameHashes(at("movie.mp4"), "0:a", true);
    const hls = await frameHashes(`${server!.url}/movie.mp4/master.m3u8`, "0:a", true);
    const start = source.indexOf(hls[0]);
    assert.ok(start >= 0, "first HLS audio packet is one of the source's");
    assert.deepEqual(hls, source.slice(start, start + hls.length));
    assert.equal(start, 0, "no packet lost at the start");
    assert.equal(hls.length, source.length, "no packet lost at the end");
  });

  test("EXTINF: the sum is the source's duration, each one its segment's real duration (± 1 frame)", async () => {
    const media = await playlist(`${server!.url}/movie.mp4/media.m3u8`);
    const durations: number[] = media.segments.map((s: { duration: number }) => s.duration);
    const { duration } = await probe(at("movie.mp4"));
    const sum = durations.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - duration) <= FRAME, `EXTINF sum ${sum} vs ${duration}`);
    assert.deepEqual(durations.map((d) => d.toFixed(3)), ["6.000", "6.000", "1.000"], "cut at the keyframes near 6 s");
    for (const [n, d] of durations.entries()) {
      const seg = at(`seg-${n}.mp4`);
      const init = new Uint8Array(await (await fetch(`${server!.url}/movie.mp4/init.mp4`)).arrayBuffer());
      const body = new Uint8Array(await (await fetch(`${server!.url}/movie.mp4/seg-${n}.m4s`)).arrayBuffer());
      writeConcat(seg, init, body);
      const r = await run("ffprobe", [
        "-v",
        "error",
        "-select_streams",
        "v",
        "-count_frames",
        "-show_entries",
        "stream=nb_read_frames",
        "-of",
        "csv=p=0",
        seg,
      ]);
      assert.equal(r.status, 0, r.stderr);
      const frames = Number(new TextDecoder().decode(r.stdout).trim());
      assert.ok(Math.abs(frames * FRAME - d) <= FRAME + 1e-9, `segment ${n}: ${frames} frames vs EXTINF ${d}`);
    }
  });

  test("ffprobe reads the master cleanly; A/V offset as in the source (± 1 frame)", async () => {
    const src = await probe(at("movie.mp4"));
    const hls = await probe(`${server!.url}/movie.mp4/master.m3u8`);
    const offset = (p: typeof src) => {
      const t = (k: string) => Number(p.streams.find((s) => s.codec_type === k)!.start_time);
      return t("audio") - t("video");
    };
    assert.ok(Math.abs(offset(hls) - offset(src)) <= FRAME, `A/V offset ${offset(hls)} vs source ${offset(src)}`);
    assert.ok(Math.abs(hls.duration - src.duration) <= FRAME, `duration ${hls.duration} vs ${src.duration}`);
  });

  test("master: CODECS from the source's boxes, bandwidths, resolution, frame rate; child URIs carry the query", async () => {
    const master = await playlist(`${server!.url}/movie.mp4/master.m3u8?token=abc`);
    assert.equal(master.playlists.length, 1);
    const v = master.playlists[0];
    assert.equal(v.uri, "media.m3u8?token=abc");
    assert.match(v.attributes.CODECS, /^avc1\.64[0-9a-f]{4},mp4a\.40\.2$/);
    assert.deepEqual(v.attributes.RESOLUTION, { width: 320, height: 240 });
    assert.equal(v.attributes["FRAME-RATE"], 25);
    assert.ok(v.attributes.BANDWIDTH >= Number(v.attributes["AVERAGE-BANDWIDTH"]), "peak ≥ average");
    const media = await playlist(`${server!.url}/movie.mp4/media.m3u8?token=abc`);
    assert.equal(media.segments[0].map.uri, "init.mp4?token=abc");
    assert.ok(media.segments.every((s: { uri: string }) => s.uri.endsWith(".m4s?token=abc")));
  });

  test("audio-only file: audio/mp4 segments, mp4a codec only", async () => {
    const master = await playlist(`${server!.url}/audio.m4a/master.m3u8`);
    assert.equal(master.playlists[0].attributes.CODECS, "mp4a.40.2");
    const res = await fetch(`${server!.url}/audio.m4a/seg-0.m4s`);
    assert.equal(res.headers.get("content-type"), "audio/mp4");
    await res.arrayBuffer();
    const source = await frameHashes(at("audio.m4a"), "0:a", true);
    const hls = await frameHashes(`${server!.url}/audio.m4a/master.m3u8`, "0:a", true);
    assert.deepEqual(hls, source);
  });

  test("DASH: ffprobe reads the MPD cleanly, ffmpeg decodes the source's video frames from it", async () => {
    const mpd = await probe(`${server!.url}/movie.mp4/manifest.mpd`);
    assert.deepEqual(mpd.streams.map((s) => s.codec_type).sort(), ["audio", "video"]);
    assert.ok(Math.abs(mpd.duration - SECONDS) <= FRAME, `duration ${mpd.duration}`);
    const source = await frameHashes(at("movie.mp4"), "0:v");
    assert.deepEqual(await frameHashes(`${server!.url}/movie.mp4/manifest.mpd`, "0:v"), source);
  });

  test("playlists and segments are ordinary resources: ranges, HEAD, 304, stable bytes", async () => {
    for (const sub of ["master.m3u8", "media.m3u8", "init.mp4", "seg-1.m4s"]) {
      const url = `${server!.url}/movie.mp4/${sub}`;
      const full = await fetch(url);
      assert.equal(full.status, 200, sub);
      const bytes = new Uint8Array(await full.arrayBuffer());
      if (runtime === "bun" && sub.endsWith(".m4s")) {
        // Bun 1.4 drops a handler-set Content-Length on ReadableStream bodies (oven-sh/bun#10507), and a
        // segment is read from pieces of the file; playlists and init are bytes in memory, sent as Blobs.
        assert.equal(full.headers.get("content-length"), null, `${sub}: Bun frames a stream body as chunked`);
      } else {
        assert.equal(Number(full.headers.get("content-length")), bytes.length, `${sub}: exact Content-Length`);
      }
      const etag = full.headers.get("etag")!;
      assert.match(etag, /^"[^"]+"$/, `${sub}: strong ETag`);
      const again = new Uint8Array(await (await fetch(url)).arrayBuffer());
      assert.deepEqual(again, bytes, `${sub}: byte-identical on every GET`);
      const part = await fetch(url, { headers: { range: "bytes=0-" } });
      assert.equal(part.status, 206, `${sub}: Range bytes=0-`);
      assert.deepEqual(new Uint8Array(await part.arrayBuffer()), bytes);
      const mid = await fetch(url, { headers: { range: "bytes=5-20" } });
      assert.deepEqual(new Uint8Array(await mid.arrayBuffer()), bytes.subarray(5, 21), `${sub}: a middle range`);
      const head = await fetch(url, { method: "HEAD" });
      assert.equal(head.headers.get("content-length"), String(bytes.length));
      const cached = await fetch(url, { headers: { "if-none-match": etag } });
      assert.equal(cached.status, 304, `${sub}: If-None-Match`);
      const type = full.headers.get("content-type");
      assert.equal(type, sub.endsWith(".m3u8") ? "application/vnd.apple.mpegurl" : "video/mp4", sub);
    }
  });

  test("unknown sub-paths and segments past the end are 404", async () => {
    for (const sub of ["seg-3.m4s", "seg-01.m4s", "x.m3u8"]) {
      const res = await fetch(`${server!.url}/movie.mp4/${sub}`);
      await res.arrayBuffer();
      assert.equal(res.status, 404, sub);
    }
  });
});

describe("folder of renditions", () => {
  test("one STREAM-INF per rendition; identical EXTINF lists", async () => {
    const master = await playlist(`${server!.url}/ladder/master.m3u8`);
    assert.deepEqual(master.playlists.map((p: { uri: string }) => p.uri), [
      "a-240p.mp4/media.m3u8",
      "b-120p.mp4/media.m3u8",
    ]);
    const [a, b] = master.playlists;
    assert.ok(a.attributes.BANDWIDTH > b.attributes.BANDWIDTH, "the larger rendition needs more");
    const lists = [];
    for (const p of master.playlists) {
      const media = await playlist(`${server!.url}/ladder/${p.uri}`);
      lists.push(media.segments.map((s: { duration: number }) => s.duration));
    }
    assert.deepEqual(lists[1], lists[0]);
  });

  test("every rendition decodes frame-exact through the master", async () => {
    for (const [i, name] of ["a-240p.mp4", "b-120p.mp4"].entries()) {
      const source = await frameHashes(at(`ladder/${name}`), "0:v");
      const hls = await frameHashes(`${server!.url}/ladder/master.m3u8`, `0:p:${i}:v`);
      assert.deepEqual(hls, source, name);
    }
  });

  test("renditions whose keyframes do not align are refused with 422 naming the rendition and the time", async () => {
    const res = await fetch(`${server!.url}/skewed/master.m3u8`);
    assert.equal(res.status, 422);
    assert.match(await res.text(), /b\.mp4: no keyframe at 6\.000 s/);
  });
});

function writeConcat(path: string, ...parts: Uint8Array[]): void {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) out.set(p, (pos += p.length) - p.length);
  writeFileSync(path, out);
}

describe("Chromium", () => {
  let browser: Browser | undefined;
  before(async () => {
    requireBinary("chromium");
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  /** Loads `src` natively or through hls.js, and waits until the video can play. */
  async function open(src: string, via: "native" | "hls.js" | "dash.js"): Promise<Page> {
    const page = await browser!.newPage();
    await page.goto(`${server!.url}/page.html`);
    await page.evaluate(({ src, via }) => {
      const video = document.querySelector("video")!;
      // deno-lint-ignore no-explicit-any
      const w = window as any;
      w.fatal = null;
      if (via === "native") {
        video.src = src;
      } else if (via === "dash.js") {
        const player = w.dashjs.MediaPlayer().create();
        player.on(w.dashjs.MediaPlayer.events.ERROR, (e: { error?: { message?: string } }) => {
          w.fatal = e.error?.message ?? "dash.js error";
        });
        player.initialize(video, src, true);
      } else {
        const hls = new w.Hls({ startLevel: 0 });
        w.hls = hls;
        w.switched = [];
        w.errors = [];
        hls.on(w.Hls.Events.ERROR, (_: unknown, d: { fatal: boolean; details: string }) => {
          if (d.fatal) w.fatal = d.details;
          w.errors.push(d.details);
        });
        hls.on(w.Hls.Events.LEVEL_SWITCHED, (_: unknown, d: { level: number }) => w.switched.push(d.level));
        // LEVEL_SWITCHED waits for playback to reach the new level's first fragment; a fragment of
        // that level in the buffer is the switch as the server sees it, and comes first.
        w.buffered = [];
        hls.on(
          w.Hls.Events.FRAG_BUFFERED,
          (_: unknown, d: { frag: { level: number } }) => w.buffered.push(d.frag.level),
        );
        hls.loadSource(src);
        hls.attachMedia(video);
      }
      video.play().catch(() => {});
    }, { src, via });
    await page.waitForFunction(() => document.querySelector("video")!.readyState >= 3, null, { timeout: 30_000 });
    return page;
  }

  async function seekAndPlayAcrossBoundary(page: Page): Promise<void> {
    const duration = await page.evaluate(() => document.querySelector("video")!.duration);
    assert.ok(Math.abs(duration - SECONDS) <= FRAME * 2, `duration ${duration}`);
    // 80% is 10.4 s, in the segment [6, 12): playing on past 12.2 s crosses into the last segment.
    await page.evaluate((t) => {
      const v = document.querySelector("video")!;
      v.currentTime = t;
      v.play().catch(() => {});
    }, duration * 0.8);
    await page.waitForFunction(() => document.querySelector("video")!.currentTime > 12.2, null, { timeout: 30_000 });
    const state = await page.evaluate(() => ({
      error: document.querySelector("video")!.error?.message ?? null,
      // deno-lint-ignore no-explicit-any
      fatal: (window as any).fatal,
    }));
    assert.deepEqual(state, { error: null, fatal: null });
  }

  test("dash.js plays the MPD, seeks to 80% and plays on across a segment boundary", async () => {
    const page = await open(`${server!.url}/movie.mp4/manifest.mpd`, "dash.js");
    await seekAndPlayAcrossBoundary(page);
    await page.close();
  });

  test("hls.js shows the sidecar WebVTT as a text track with its cue", async () => {
    const page = await open(`${server!.url}/movie.mp4/master.m3u8`, "hls.js");
    await page.evaluate(() => {
      (window as unknown as { hls: { subtitleTrack: number } }).hls.subtitleTrack = 0;
    });
    await page.waitForFunction(
      () => {
        const tracks = [...document.querySelector("video")!.textTracks];
        return tracks.some((t) =>
          t.language === "en" && [...(t.cues ?? [])].some((c) => (c as VTTCue).text.includes("sidecar"))
        );
      },
      null,
      { timeout: 30_000 },
    );
    await page.close();
  });

  for (const via of ["native", "hls.js"] as const) {
    test(`plays the master (${via}), seeks to 80% and plays on across a segment boundary`, async () => {
      const canPlay = await (await browser!.newPage()).evaluate(() =>
        document.createElement("video").canPlayType("application/vnd.apple.mpegurl")
      );
      if (via === "native") assert.notEqual(canPlay, "", "Chromium plays HLS natively");
      const page = await open(`${server!.url}/movie.mp4/master.m3u8`, via);
      await seekAndPlayAcrossBoundary(page);
      await page.close();
    });
  }

  test("hls.js: a forced level switch between two renditions keeps playing", async () => {
    const page = await open(`${server!.url}/ladder/master.m3u8`, "hls.js");
    const levels = await page.evaluate(() => (window as unknown as { hls: { levels: unknown[] } }).hls.levels.length);
    assert.equal(levels, 2);
    const before = await page.evaluate(() => document.querySelector("video")!.currentTime);
    await page.evaluate(() => {
      (window as unknown as { hls: { currentLevel: number } }).hls.currentLevel = 1;
      document.querySelector("video")!.play().catch(() => {});
    });
    const state = () =>
      page.evaluate(() => {
        const w = window as unknown as { switched: number[]; buffered: number[]; fatal: unknown; errors: string[] };
        const v = document.querySelector("video")!;
        const ranges = [...Array(v.buffered.length).keys()].map((i) => [v.buffered.start(i), v.buffered.end(i)]);
        return JSON.stringify({
          switched: w.switched,
          buffered: w.buffered,
          fatal: w.fatal,
          errors: w.errors,
          t: v.currentTime,
          ranges,
          paused: v.paused,
        });
      });
    await page.waitForFunction(
      () => {
        const w = window as unknown as { switched: number[]; buffered: number[] };
        return w.switched.includes(1) || w.buffered.includes(1);
      },
      null,
      { timeout: 30_000 },
    ).catch(async (err) => assert.fail(`no level-1 fragment: ${await state()}; ${err}`));
    // When a switch makes hls.js rebuild the MediaSource (its non-fatal mediaSourceRequiresReset, seen on
    // about one run in four against the Bun server), the element comes back paused with the whole stream
    // buffered: a player resumes it, so the test does too. A fatal error or a stall still fails.
    await page.waitForFunction(
      (t) => {
        const v = document.querySelector("video")!;
        if (v.paused && !v.ended) v.play().catch(() => {});
        return v.currentTime > t + 2;
      },
      before,
      {
        timeout: 30_000,
      },
    ).catch(async (err) => assert.fail(`did not play on after the switch: ${await state()}; ${err}`));
    assert.ok(
      await page.evaluate(() => (window as unknown as { buffered: number[] }).buffered.includes(1)),
      `level 1 was buffered: ${await state()}`,
    );
    const fatal = await page.evaluate(() => (window as unknown as { fatal: unknown }).fatal);
    assert.equal(fatal, null);
    assert.equal(await page.evaluate(() => document.querySelector("video")!.error), null);
    await page.close();
  });
});
