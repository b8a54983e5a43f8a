// An edit list that ends before the media does (what editors write after a
// trim without re-encoding; ffmpeg never writes one, so its elst is patched
// here): HLS must show what a player of the MP4 shows, no frame more. The
// oracle is ffmpeg reading the source, which honours the edit.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireBinary as requireServerBinary } from "./_server.ts";
import { ffmpeg, framemd5 } from "./_ffmpeg.ts";
import { serveHls } from "../../src/media/hls/serve_hls.ts";
import { openNative, startServer, type TestServer } from "../helpers/server.ts";

const requireBinary = (name: string) => requireServerBinary(name, "ffmpeg");

const DIR = mkdtempSync(join(tmpdir(), "ranged-hls-trim-"));
const at = (name: string) => join(DIR, name);
let server: TestServer | undefined;

/** Sets the duration of every media edit (the `elst` entry with a media time) to `ms` (mvhd timescale 1000). */
function patchEditEnd(source: string, target: string, ms: number): void {
  const bytes = readFileSync(source);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let patched = 0;
  for (let i = bytes.indexOf("elst"); i >= 0; i = bytes.indexOf("elst", i + 4)) {
    assert.equal(bytes[i + 4], 0, "elst version 0");
    const entries = view.getUint32(i + 8);
    for (let e = 0; e < entries; e++) {
      const entry = i + 12 + 12 * e;
      if (view.getInt32(entry + 4) === -1) continue;
      view.setUint32(entry, ms);
      patched++;
    }
  }
  assert.equal(patched, 2, "one media edit per track");
  writeFileSync(target, bytes);
}

before(async () => {
  requireBinary("ffmpeg");
  // H.264 with B-frames in a fixed pattern (closed GOPs, a keyframe each second, then P-frames at 54, 58,
  // 62, ... each followed in decode order by the three B-frames shown before it) + AAC, 4 s; mvhd timescale 1000.
  await ffmpeg(
    ...["-f", "lavfi", "-i", "testsrc2=duration=4:size=160x120:rate=25", "-f", "lavfi", "-i", "sine=duration=4"],
    ...[
      "-c:v",
      "libx264",
      "-bf",
      "3",
      "-x264-params",
      "b-adapt=0",
      "-g",
      "25",
      "-keyint_min",
      "25",
      "-sc_threshold",
      "0",
      "-pix_fmt",
      "yuv420p",
    ],
    ...["-c:a", "aac", at("full.mp4")],
  );
  // Ends at the keyframe at 3 s: every frame shown after it is decoded after every frame shown before it.
  patchEditEnd(at("full.mp4"), at("trimmed.mp4"), 3000);
  // Ends at 2.45 s: the P-frame shown at 2.48 s (frame 62) is hidden, but B-frames 59-61 are decoded from it.
  patchEditEnd(at("full.mp4"), at("mid_gop.mp4"), 2450);
  server = await startServer(async (req) => {
    const m = /^\/([^/]+\.mp4)\/(.+)$/.exec(new URL(req.url).pathname);
    if (!m) return new Response("not found", { status: 404 });
    return serveHls(req, await openNative(at(m[1])), m[2], { segmentDuration: 1 });
  });
});

after(async () => {
  await server?.close();
  rmSync(DIR, { recursive: true, force: true });
});

describe("an edit list that trims the tail", () => {
  test("the playlist ends at the edit; the frames are exactly those the MP4 shows", async () => {
    const media = await (await fetch(`${server!.url}/trimmed.mp4/media.m3u8`)).text();
    assert.deepEqual(media.match(/#EXTINF:[\d.]+/g), Array(3).fill("#EXTINF:1.000"));
    const source = (await framemd5(at("trimmed.mp4"), "0:v")).map((f) => f.hash);
    assert.equal(source.length, 75, "ffmpeg honours the edit: 3 s at 25 fps");
    const hls = (await framemd5(`${server!.url}/trimmed.mp4/master.m3u8`, "0:v")).map((f) => f.hash);
    assert.deepEqual(hls, source);
  });

  test("the audio packets are those the MP4 plays, none after the edit", async () => {
    const source = (await framemd5(at("trimmed.mp4"), "0:a", true)).map((f) => f.hash);
    const full = (await framemd5(at("full.mp4"), "0:a", true)).map((f) => f.hash);
    assert.ok(source.length < full.length - 40, `the edit hides the last second (${source.length} of ${full.length})`);
    const hls = (await framemd5(`${server!.url}/trimmed.mp4/master.m3u8`, "0:a", true)).map((f) => f.hash);
    assert.deepEqual(hls, source);
  });

  test("an edit ending inside a GOP, on a frame others are decoded from, is refused with the reason", async () => {
    const res = await fetch(`${server!.url}/mid_gop.mp4/master.m3u8`);
    assert.equal(res.status, 422);
    assert.match(
      await res.text(),
      /track 1: its edit list ends the media at 2\.450 s, but the sample shown at 2\.480 s/,
    );
  });
});
