import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { cutRenditions, cutSegments } from "../src/media/hls/segments.ts";
import { HlsUnsupportedError, RenditionAlignmentError } from "../src/media/hls/errors.ts";
import { presentationTime } from "../src/media/hls/track.ts";
import { makeTrack, MVHD } from "./helpers/hls_tracks.ts";
import type { HlsTrack } from "../src/media/hls/track.ts";

const FRAME = 512; // 25 fps in a 12800 timescale

/** `seconds` of 25 fps video with a keyframe at each of `keyframes` (seconds). */
function video(seconds: number, keyframes: number[], extra: Partial<Parameters<typeof makeTrack>[0]> = {}) {
  const count = seconds * 25;
  return makeTrack({
    durations: Array(count).fill(FRAME),
    sync: keyframes.map((k) => Math.round(k * 25)),
    ...extra,
  });
}

function index(...tracks: HlsTrack[]) {
  return { movieTimescale: 1000, mvhd: MVHD, tracks };
}

const round = (xs: readonly number[]) => xs.map((x) => Math.round(x * 1000) / 1000);

describe("cutSegments", () => {
  const table: { name: string; keyframes: number[]; seconds: number; target: number; times: number[] }[] = [
    {
      name: "GOP 2 s, target 6",
      seconds: 20,
      keyframes: [0, 2, 4, 6, 8, 10, 12, 14, 16, 18],
      target: 6,
      times: [0, 6, 12, 18, 20],
    },
    {
      name: "GOP 2.5 s: the closest keyframe wins",
      seconds: 20,
      keyframes: [0, 2.5, 5, 7.5, 10, 12.5, 15, 17.5],
      target: 6,
      times: [0, 5, 10, 15, 20],
    },
    { name: "one keyframe: one segment", seconds: 9, keyframes: [0], target: 6, times: [0, 9] },
    { name: "target shorter than the GOP", seconds: 8, keyframes: [0, 4], target: 1, times: [0, 4, 8] },
    // From 7, keyframe 8 (1 s, 5 short) is closer to the target than 20 (13 s, 7 over).
    {
      name: "irregular keyframes",
      seconds: 30,
      keyframes: [0, 1, 7, 8, 20, 29],
      target: 6,
      times: [0, 7, 8, 20, 29, 30],
    },
  ];
  for (const c of table) {
    test(c.name, () => {
      const cut = cutSegments(index(video(c.seconds, c.keyframes)), c.target);
      assert.deepEqual(round(cut.times), c.times, "segment start times and end");
      assert.deepEqual(cut.starts[0], [...c.times.slice(0, -1).map((t) => t * 25), c.seconds * 25], "sample starts");
    });
  }

  test("B-frame delay taken off by the edit list: the first segment starts at 0", () => {
    const count = 250;
    // Decode order I P B B ...: composition offsets 2 frames for I, as x264 writes them.
    const cts = Array.from({ length: count }, (_, i) => (i % 3 === 0 ? 2 * FRAME : i % 3 === 1 ? 3 * FRAME : FRAME));
    const v = video(10, [0, 2, 4, 6, 8], { cts, mediaTime: 2 * FRAME });
    const cut = cutSegments(index(v), 6);
    assert.equal(cut.times[0], 0, "first frame presented at 0");
    assert.deepEqual(round(cut.times), [0, 6, 10]);
  });

  test("audio is split where its presentation time reaches each cut, priming in the first segment", () => {
    const v = video(20, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    const a = makeTrack({
      id: 2,
      handler: "soun",
      timescale: 44100,
      durations: Array(862).fill(1024),
      mediaTime: 1024,
    });
    const cut = cutSegments(index(v, a), 6);
    const starts = cut.starts[1];
    assert.equal(starts[0], 0, "first segment starts at the first (priming) sample");
    for (let k = 1; k < cut.times.length - 1; k++) {
      const i = starts[k];
      assert.ok(presentationTime(a, i, 1000) >= cut.times[k] - 0.001, `segment ${k}: sample ${i} not before the cut`);
      assert.ok(presentationTime(a, i - 1, 1000) < cut.times[k], `segment ${k}: sample ${i - 1} belongs before`);
    }
    assert.equal(starts[starts.length - 1], 862);
  });

  test("audio only: cut every target at any sample", () => {
    const a = makeTrack({ handler: "soun", timescale: 1000, durations: Array(100).fill(100) });
    assert.deepEqual(round(cutSegments(index(a), 3).times), [0, 3, 6, 9, 10]);
  });

  test("refusals", () => {
    assert.throws(() => cutSegments(index()), HlsUnsupportedError);
    assert.throws(() => cutSegments(index(video(4, [1]))), /first sample is not a sync sample/);
    assert.throws(() => cutSegments(index(video(4, [0])), 0), RangeError);
  });
});

describe("cutRenditions", () => {
  const keys = [0, 2, 4, 6, 8, 10, 12, 14, 16, 18];
  test("aligned renditions share times; each has its own sample starts", () => {
    const a = video(20, keys);
    const b = makeTrack({ durations: Array(600).fill(500), timescale: 15000, sync: keys.map((k) => k * 30) });
    const cuts = cutRenditions([{ name: "a.mp4", index: index(a) }, { name: "b.mp4", index: index(b) }], 6);
    assert.deepEqual(round(cuts[1].times), round(cuts[0].times));
    assert.deepEqual(cuts[1].starts[0], [0, 180, 360, 540, 600]);
  });

  test("a rendition without a keyframe at a cut is refused, naming it and the time", () => {
    const a = video(20, keys);
    const b = video(20, [0, 2, 4, 7, 8, 10, 12, 14, 16, 18]);
    assert.throws(
      () => cutRenditions([{ name: "a.mp4", index: index(a) }, { name: "b.mp4", index: index(b) }], 6),
      (err: unknown) =>
        err instanceof RenditionAlignmentError && err.rendition === "b.mp4" && err.time === 6 &&
        err.message.includes("6.000 s"),
    );
  });

  test("a rendition of another length is refused", () => {
    const a = video(20, keys);
    const b = video(22, [...keys, 20]);
    assert.throws(
      () => cutRenditions([{ name: "a.mp4", index: index(a) }, { name: "b.mp4", index: index(b) }], 6),
      /b\.mp4: ends at/,
    );
  });
});
