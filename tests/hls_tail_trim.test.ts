import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { trimToEdit } from "../src/media/hls/tail_trim.ts";
import { buildPackage } from "../src/media/hls/package.ts";
import { cutSegments } from "../src/media/hls/segments.ts";
import { makeTrack, MVHD } from "./helpers/hls_tracks.ts";
import type { HlsTrack } from "../src/media/hls/track.ts";

const FRAME = 512; // 25 fps in a 12800 timescale
const index = (...tracks: HlsTrack[]) => ({ movieTimescale: 1000, mvhd: MVHD, tracks });

/** 4 s of 25 fps video, a keyframe each second, edit of `editMs` from time 0. */
const video = (editMs: number, cts?: number[], mediaTime = 0) =>
  makeTrack({ durations: Array(100).fill(FRAME), sync: [0, 25, 50, 75], editDuration: editMs, cts, mediaTime });

describe("tail-trimming edit lists", () => {
  test("no edit duration, or one past the media: nothing left out", () => {
    const v = video(0);
    assert.equal(trimToEdit(v, 1000), v);
    assert.equal(trimToEdit(video(5000), 1000).count, 100);
    assert.equal(trimToEdit(video(4000), 1000).count, 100, "an edit exactly as long as the media");
  });

  test("video without B-frames: the frames shown at or after the edit's end are left out", () => {
    const t = trimToEdit(video(3500), 1000);
    assert.equal(t.count, 88, "3.5 s at 25 fps: frames 0..87 (frame 87 is shown from 3.48 s)");
    const cut = cutSegments(index(t), 1);
    assert.deepEqual(cut.times.map((x) => Math.round(x * 1000)), [0, 1000, 2000, 3000, 3500]);
    assert.deepEqual(cut.starts[0], [0, 25, 50, 75, 88]);
  });

  test("an edit ending inside a frame keeps that frame; the last segment ends at the edit", () => {
    const t = trimToEdit(video(3490), 1000);
    assert.equal(t.count, 88);
    assert.equal(cutSegments(index(t), 1).times.at(-1), 3.49);
  });

  test("audio: packets after the end go, the one the end cuts stays", () => {
    // 44.1 kHz AAC, 1024-sample packets, 1024 priming samples taken off by media_time.
    const a = makeTrack({
      handler: "soun",
      timescale: 44100,
      durations: Array(50).fill(1024),
      mediaTime: 1024,
      editDuration: 1000,
    });
    const t = trimToEdit(a, 1000);
    // Shown from (i − 1) × 1024 / 44100 s: packet 44 starts at 0.998 s (kept), packet 45 at 1.021 s.
    assert.equal(t.count, 45);
    assert.equal(cutSegments(index(t), 6).times.at(-1), 1);
  });

  test("a hidden frame that kept B-frames are decoded from is refused, with the time", () => {
    // Decode order I P B B P B B ...: each P is shown after the two B-frames decoded after it.
    const cts = Array.from({ length: 100 }, (_, i) => (i === 0 ? FRAME : i % 3 === 1 ? 3 * FRAME : 0));
    // With media_time one frame, the P-frame decoded n-th (n = 1, 4, 7, ...) is shown (n + 2) × 40 ms, its
    // B-frames at (n − 1) and n × 40 ms. The edit ends at 3.58 s: the P-frame decoded 88th, shown at 3.6 s,
    // is hidden but the B-frames shown at 3.52 and 3.56 s are decoded from it.
    assert.throws(
      () => trimToEdit(video(3580, cts, FRAME), 1000),
      /ends the media at 3\.580 s, but the sample shown at 3\.600 s/,
    );
    // Ending where a mini-GOP starts (3.52 s) leaves out exactly the decode-order tail.
    assert.equal(trimToEdit(video(3520, cts, FRAME), 1000).count, 88);
  });

  test("buildPackage: EXTINF durations end at the edit; the refusal names the file and the track", () => {
    const pkg = buildPackage([{ name: "a.mp4", index: index(video(3500)) }], 1);
    assert.deepEqual(pkg.durations.map((d) => d.toFixed(3)), ["1.000", "1.000", "1.000", "0.500"]);
    assert.equal(pkg.renditions[0].starts[0].at(-1), 88);
    const cts = Array.from({ length: 100 }, (_, i) => (i === 0 ? FRAME : i % 3 === 1 ? 3 * FRAME : 0));
    assert.throws(
      () => buildPackage([{ name: "b.mp4", index: index(video(3580, cts, FRAME)) }], 1),
      /^HlsUnsupportedError: b\.mp4: track 1: its edit list ends/,
    );
  });
});
