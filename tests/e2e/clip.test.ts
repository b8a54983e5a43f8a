// Time-seek clips end to end: fixtures made with ffmpeg at test time (H.264
// with B-frames + AAC at a 2 s GOP, audio-only m4a, two audio tracks, .mov,
// moov at the end, and a sparse file past 4 GiB), clips served over HTTP by
// an in-process server on the runtime under test, checked frame by frame with
// ffmpeg's framemd5 against the source, with ffprobe, and played by Chromium.
//
// Found when trying ffmpeg as a reference: `ffmpeg -ss S -i in -c copy -t D` cuts by decode time and keeps a
// frame of the next GOP, so it is an oracle for packets, not for the tail; and its mov demuxer drops a frame
// whose presentation starts before an edit list's start even when it is still on screen at that time.
/// <reference lib="dom" />
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { launchChromium } from "./_chromium.ts";
import { requireBinary, run } from "./_server.ts";
import { ffmpeg, framemd5 } from "./_ffmpeg.ts";
import { handleVideo } from "../../src/http/handler.ts";
import { clip, clipInfo } from "../../src/media/clip.ts";
import { parseClipQuery } from "../../src/media/clip_query.ts";
import { ClipRangeError } from "../../src/media/clip_select.ts";
import { rewriteMoov } from "../../src/media/faststart.ts";
import { openNative, startServer, type TestServer } from "../helpers/server.ts";
import { topLevel } from "../helpers/mp4_build.ts";

const DIR = mkdtempSync(join(tmpdir(), "ranged-clip-"));
const at = (name: string) => join(DIR, name);
const FPS = 25;
const FRAME = 1 / FPS;

const V = (d: number) => ["-f", "lavfi", "-i", `testsrc2=duration=${d}:size=320x180:rate=${FPS}`];
const A = (d: number, f = 440) => ["-f", "lavfi", "-i", `sine=frequency=${f}:duration=${d}:sample_rate=44100`];
const X264 = ["-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0"];
const H264 = [...X264, "-bf", "2", "-pix_fmt", "yuv420p"];
const AAC = ["-c:a", "aac", "-b:a", "48k"];
const FIXTURES: Record<string, string[]> = {
  "h264-aac.mp4": [...V(12), ...A(12), ...H264, ...AAC, "-movflags", "+faststart"],
  "moov-at-end.mp4": [...V(12), ...A(12), ...H264, ...AAC],
  "audio-only.m4a": [...A(8), ...AAC],
  "two-audio.mp4": [...V(8), ...A(8), ...A(8, 660), "-map", "0", "-map", "1", "-map", "2", ...H264, ...AAC],
  "quicktime.mov": [...V(8), ...A(8), ...H264, ...AAC],
};
const SPARSE = "sparse-co64.mp4";
/** Bytes of nothing between the moov and the media: pushes every offset past 4 GiB. */
const GAP = 2 ** 32 + 4096;

/** The sparse fixture: h264-aac.mp4 with a 4 GiB free box before its mdat and its chunk offsets moved (co64). */
function makeSparse(): void {
  const src = new Uint8Array(readFileSync(at("h264-aac.mp4")));
  const boxes = topLevel(src);
  const [, moovAt, moovSize] = boxes.find(([t]) => t === "moov")!;
  const moov = rewriteMoov(src.slice(moovAt, moovAt + moovSize), (o, newSize) => o - moovSize + newSize + 16 + GAP);
  const free = new Uint8Array(16);
  const view = new DataView(free.buffer);
  view.setUint32(0, 1);
  free.set([0x66, 0x72, 0x65, 0x65], 4);
  view.setBigUint64(8, BigInt(16 + GAP));
  const fd = openSync(at(SPARSE), "w");
  try {
    let pos = 0;
    for (const part of [src.subarray(0, moovAt), moov, free]) pos += writeSync(fd, part, 0, part.length, pos);
    writeSync(fd, src.subarray(moovAt + moovSize), 0, src.length - moovAt - moovSize, pos + GAP);
  } finally {
    closeSync(fd);
  }
}

let server: TestServer | undefined;

before(async () => {
  requireBinary("ffmpeg");
  requireBinary("ffprobe");
  for (const [name, args] of Object.entries(FIXTURES)) await ffmpeg(...args, "-shortest", at(name));
  makeSparse();
  server = await startServer(async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/page.html") {
      const src = url.searchParams.get("src") ?? "";
      return new Response(`<!doctype html><video src="${src}" muted autoplay playsinline></video>`, {
        headers: { "content-type": "text/html" },
      });
    }
    const name = url.pathname.slice(1);
    if (!/^[\w.-]+$/.test(name)) return new Response("not found", { status: 404 });
    const times = parseClipQuery(url.searchParams);
    // Chromium asks for /favicon.ico too: a missing file is a 404, not a thrown error.
    let file = await openNative(at(name)).catch(() => undefined);
    if (file === undefined) return new Response("not found", { status: 404 });
    if (times !== undefined) {
      try {
        file = await clip(file, {
          start: times.start / 1000,
          end: times.end === undefined ? undefined : times.end / 1000,
          mode: url.searchParams.get("mode") === "exact" ? "exact" : "keyframe",
          key: `${at(name)}`,
        });
      } catch (err) {
        await file.close?.();
        if (err instanceof ClipRangeError) return new Response(err.message, { status: err.status });
        throw err;
      }
    }
    const info = clipInfo(file);
    return handleVideo(req, file, {
      headers: info ? { "x-content-start": info.contentStart.toFixed(3) } : {},
    });
  });
});

after(async () => {
  await server?.close();
  rmSync(DIR, { recursive: true, force: true });
});

/** framemd5 lines as [pts in seconds, hash] for one stream of `input`. */
async function frames(input: string, map: string, copy = false): Promise<[number, string][]> {
  return (await framemd5(input, map, copy)).map((f) => [f.pts, f.hash]);
}

async function probe(input: string): Promise<{ duration: number; streams: { type: string; start: number }[] }> {
  const r = await run("ffprobe", ["-v", "error", "-show_streams", "-show_format", "-of", "json", input]);
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(new TextDecoder().decode(r.stdout));
  return {
    duration: Number(json.format.duration),
    streams: json.streams.map((s: { codec_type: string; start_time: string }) => ({
      type: s.codec_type,
      start: Number(s.start_time),
    })),
  };
}

/** The video packets of `input` in decode order: presentation time and whether each is a keyframe. */
async function videoPackets(input: string): Promise<{ pts: number; key: boolean }[]> {
  const args = ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0"];
  const r = await run("ffprobe", [...args, input]);
  assert.equal(r.status, 0, r.stderr);
  return new TextDecoder().decode(r.stdout).split("\n").filter(Boolean).map((l) => {
    const [pts, flags] = l.split(",");
    return { pts: Number(pts), key: flags.includes("K") };
  });
}

/** Presentation times of the source's keyframes. */
async function keyframes(input: string): Promise<number[]> {
  return (await videoPackets(input)).filter((p) => p.key).map((p) => p.pts).sort((a, b) => a - b);
}

/** Whether `run` appears as one contiguous block of `all`; returns where. */
function runIndex(all: string[], part: string[]): number {
  outer: for (let i = 0; i + part.length <= all.length; i++) {
    for (let j = 0; j < part.length; j++) if (all[i + j] !== part[j]) continue outer;
    return i;
  }
  return -1;
}

interface Case {
  file: string;
  query: string;
  video: boolean;
  audioStreams: number;
}
const CASES: Case[] = [
  { file: "h264-aac.mp4", query: "start=3.3&end=7.5", video: true, audioStreams: 1 },
  { file: "h264-aac.mp4", query: "start=5", video: true, audioStreams: 1 },
  { file: "h264-aac.mp4", query: "end=3", video: true, audioStreams: 1 },
  { file: "h264-aac.mp4", query: "start=4.5&end=9.1&mode=exact", video: true, audioStreams: 1 },
  { file: "moov-at-end.mp4", query: "start=3.3&end=7.5", video: true, audioStreams: 1 },
  { file: SPARSE, query: "start=6.1&end=8.7", video: true, audioStreams: 1 },
  { file: "quicktime.mov", query: "start=2.2&end=4.4", video: true, audioStreams: 1 },
  { file: "two-audio.mp4", query: "start=3&end=6", video: true, audioStreams: 2 },
  { file: "audio-only.m4a", query: "start=2.5&end=5", video: false, audioStreams: 1 },
];

describe("clips are frame-exact against the source (ffmpeg framemd5, ffprobe)", () => {
  for (const c of CASES) {
    test(`${c.file}?${c.query}`, async () => {
      const src = at(c.file);
      const url = `${server!.url}/${c.file}?${c.query}`;
      const q = new URLSearchParams(c.query);
      const start = Number(q.get("start") ?? 0);
      const exact = q.get("mode") === "exact";
      const head = await fetch(url, { method: "HEAD" });
      assert.equal(head.status, 200);
      const contentStart = Number(head.headers.get("x-content-start"));
      const srcProbe = await probe(src);
      const end = q.has("end") ? Number(q.get("end")) : srcProbe.duration;
      const clipProbe = await probe(url);

      if (c.video) {
        const k = (await keyframes(src)).filter((t) => t <= start + 1e-6).at(-1)!;
        assert.equal(contentStart, exact ? start : k, "X-Content-Start is the keyframe (or the exact start)");
        const source = await frames(src, "0:v:0");
        const got = (await frames(url, "0:v:0")).map(([, h]) => h);
        const shown = source.filter(([t]) => t >= k - 1e-6 && t < end - 1e-6).map(([, h]) => h);
        if (exact) {
          // ffmpeg drops the frame still on screen at `start`; every frame from the next one on must be there.
          const from = shown.length - got.length;
          assert.ok(
            from >= 0 && Math.abs(source.find(([, h]) => h === got[0])![0] - start) <= FRAME,
            "starts at start",
          );
          assert.deepEqual(got, shown.slice(from), "exact: the source's frames from start to the last before end");
        } else {
          assert.deepEqual(got, shown, "the source's frames from the keyframe through the last one before end");
        }
        const clipVideo = clipProbe.streams.find((s) => s.type === "video")!;
        assert.ok(Math.abs(clipVideo.start) < 0.001, `the first frame is shown at 0 (${clipVideo.start})`);
        const expected = end - contentStart;
        assert.ok(
          Math.abs(clipProbe.duration - expected) <= FRAME + 0.001,
          `duration ${clipProbe.duration} is end - start (${expected}) within a frame`,
        );
        // A/V offset as in the source, within one video frame.
        const offset = (p: typeof clipProbe) => {
          const v = p.streams.find((s) => s.type === "video")!.start;
          return p.streams.filter((s) => s.type === "audio").map((s) => s.start - v);
        };
        offset(clipProbe).forEach((o, i) =>
          assert.ok(Math.abs(o - offset(srcProbe)[i]) <= FRAME, `audio ${i} offset ${o} vs ${offset(srcProbe)[i]}`)
        );
      } else {
        assert.ok(Math.abs(contentStart - start) < 0.03, "audio-only: starts at the packet holding start");
        assert.ok(Math.abs(clipProbe.duration - (end - contentStart)) <= 0.03, `duration ${clipProbe.duration}`);
      }
      for (let a = 0; a < c.audioStreams; a++) {
        const srcPackets = (await frames(src, `0:a:${a}`, true)).map(([, h]) => h);
        const clipPackets = (await frames(url, `0:a:${a}`, true)).map(([, h]) => h);
        assert.ok(clipPackets.length > 10, "audio kept");
        assert.ok(runIndex(srcPackets, clipPackets) >= 0, `audio ${a}: one unbroken run of the source's packets`);
      }
    });
  }

  test("the reference recipe (ffmpeg -ss K -c copy -frames:v N + audio -t, +faststart) shows the same frames", async () => {
    const src = at("h264-aac.mp4");
    const end = 7.5;
    const k = (await keyframes(src)).filter((t) => t <= 3.3).at(-1)!;
    // N by the clean-tail rule: packets in decode order from K through the last one shown before `end`.
    const pts = (await videoPackets(src)).map((p) => p.pts);
    const from = pts.indexOf(k);
    let last = from;
    pts.forEach((t, i) => {
      if (i >= from && t < end - 1e-6) last = i;
    });
    const n = last - from + 1;
    await ffmpeg("-ss", String(k), "-i", src, "-map", "0:v", "-c", "copy", "-frames:v", String(n), at("ref-v.mp4"));
    await ffmpeg("-ss", String(k), "-i", src, "-map", "0:a", "-c", "copy", "-t", String(end - k), at("ref-a.m4a"));
    await ffmpeg("-i", at("ref-v.mp4"), "-i", at("ref-a.m4a"), "-c", "copy", "-movflags", "+faststart", at("ref.mp4"));
    // The reference shows every packet it has, including the ones past `end` that the tail's B-frames
    // need; the clip hides those with its edit list.
    const ref = (await frames(at("ref.mp4"), "0:v:0")).filter(([t]) => t < end - k - 1e-6).map(([, h]) => h);
    const ours = (await frames(`${server!.url}/h264-aac.mp4?start=3.3&end=${end}`, "0:v:0")).map(([, h]) => h);
    assert.deepEqual(ours, ref);
  });

  test("a start past the duration is a 400 with a reason; no parameters serve the file itself", async () => {
    const past = await fetch(`${server!.url}/h264-aac.mp4?start=12`);
    assert.equal(past.status, 400);
    assert.match(await past.text(), /at or past the duration/);
    const plain = await fetch(`${server!.url}/h264-aac.mp4?start=oops`);
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get("x-content-start"), null);
    assert.equal(Number(plain.headers.get("content-length")), readFileSync(at("h264-aac.mp4")).length);
    await plain.body?.cancel();
  });
});

describe("Chromium plays clips", () => {
  let browser: Browser | undefined;
  before(async () => {
    requireBinary("chromium");
    browser = await launchChromium();
  });
  after(async () => void await browser?.close());

  for (const path of ["/h264-aac.mp4?start=3.3&end=7.5", "/moov-at-end.mp4?start=8", `/${SPARSE}?start=6.1&end=8.7`]) {
    test(`${path} plays to ended with no media error`, async () => {
      const page = await browser!.newPage();
      try {
        await page.goto(`${server!.url}/page.html?src=${encodeURIComponent(path)}`);
        const result = await page.waitForFunction(
          () => {
            const v = document.querySelector("video")!;
            return v.error ? `error ${v.error.code}` : v.ended ? `ended ${v.duration.toFixed(3)}` : false;
          },
          null,
          { timeout: 60_000, polling: 100 },
        );
        const value = await result.jsonValue();
        assert.match(String(value), /^ended /, String(value));
      } finally {
        await page.close();
      }
    });
  }
});
