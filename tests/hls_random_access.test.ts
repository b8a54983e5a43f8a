import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type SampleFraming, sampleFraming, sampleStartsAt } from "../src/media/hls/random_access.ts";
import { segmentStartProblem } from "../src/media/hls/check_random_access.ts";
import { fromBytes } from "../src/http/file_like.ts";
import { avcStsd, makeTrack } from "./helpers/hls_tracks.ts";
import { box, concat, fullBox, u32 } from "./helpers/mp4_build.ts";

const AVC: SampleFraming = { kind: "avc", lengthSize: 4, stillPictures: false };
const HEVC: SampleFraming = { kind: "hevc", lengthSize: 4, stillPictures: false };
const AV1: SampleFraming = { kind: "av1", lengthSize: 0, stillPictures: false };

/** Length-prefixed NAL units (4-byte lengths), each `[header, ...payload]`. */
const nals = (...units: number[][]) => concat(...units.map((u) => concat(u32(u.length), Uint8Array.from(u))));
/** OBUs with size fields: `[type, ...payload]`. */
const obus = (...units: number[][]) =>
  concat(...units.map(([type, ...p]) => Uint8Array.from([(type << 3) | 2, p.length, ...p])));
const verdict = (f: SampleFraming, bytes: Uint8Array) => sampleStartsAt(f, bytes, 0, bytes.length);

describe("random access points from the sample's own bytes", () => {
  const table: { name: string; framing: SampleFraming; bytes: Uint8Array; random: boolean; what?: RegExp }[] = [
    {
      name: "H.264: AUD, SEI, then IDR",
      framing: AVC,
      bytes: nals([0x09, 0xf0], [0x06, 5, 1, 2], [0x65, 0x88]),
      random: true,
    },
    {
      name: "H.264: SPS, PPS, IDR (avc3)",
      framing: AVC,
      bytes: nals([0x67, 0x64], [0x68, 0xee], [0x25, 0x88]),
      random: true,
    },
    {
      name: "H.264: an open-GOP I-frame (non-IDR slice)",
      framing: AVC,
      bytes: nals([0x06, 6, 1, 0x84], [0x41, 0x9a]),
      random: false,
      what: /non-IDR slice \(NAL type 1\)/,
    },
    {
      name: "HEVC: VPS, SPS, PPS, IDR_W_RADL",
      framing: HEVC,
      bytes: nals([0x40, 1], [0x42, 1], [0x44, 1], [0x26, 1]),
      random: true,
    },
    { name: "HEVC: prefix SEI then CRA", framing: HEVC, bytes: nals([0x4e, 1, 5], [0x2a, 1]), random: true },
    { name: "HEVC: BLA_W_LP", framing: HEVC, bytes: nals([0x20, 1]), random: true },
    {
      name: "HEVC: TRAIL_R",
      framing: HEVC,
      bytes: nals([0x02, 1]),
      random: false,
      what: /non-IRAP picture \(NAL type 1\)/,
    },
    { name: "HEVC: RASL_N", framing: HEVC, bytes: nals([0x10, 1]), random: false, what: /NAL type 8/ },
    // AV1 uncompressed header: show_existing_frame(1) frame_type(2) show_frame(1) ...
    {
      name: "AV1: temporal delimiter, sequence header, key frame",
      framing: AV1,
      bytes: obus([2], [1, 0, 0], [6, 0x10, 0]),
      random: true,
    },
    { name: "AV1: frame header OBU of a key frame", framing: AV1, bytes: obus([2], [3, 0x10]), random: true },
    { name: "AV1: inter frame", framing: AV1, bytes: obus([2], [6, 0x30, 0]), random: false, what: /an inter frame/ },
    { name: "AV1: intra-only frame", framing: AV1, bytes: obus([6, 0x50]), random: false, what: /intra-only/ },
    {
      name: "AV1: show_existing_frame",
      framing: AV1,
      bytes: obus([3, 0x80]),
      random: false,
      what: /show_existing_frame/,
    },
    {
      name: "AV1 with reduced still-picture headers: every frame",
      framing: { ...AV1, stillPictures: true },
      bytes: obus([6, 0x30]),
      random: true,
    },
    { name: "no picture at all", framing: AVC, bytes: nals([0x09, 0xf0]), random: false, what: /no picture/ },
  ];
  for (const c of table) {
    test(c.name, () => {
      const v = verdict(c.framing, c.bytes);
      assert.ok("random" in v, JSON.stringify(v));
      assert.equal(v.random, c.random);
      if (c.what) assert.match(v.what, c.what);
    });
  }

  test("a unit larger than the window: where to read next", () => {
    const bytes = nals([0x06, ...new Array(3000).fill(7)], [0x65, 0x88]);
    assert.deepEqual(sampleStartsAt(AVC, bytes.subarray(0, 100), 0, bytes.length), { next: 3005 });
    assert.deepEqual(sampleStartsAt(AVC, bytes.subarray(3005), 3005, bytes.length), { random: true, what: "IDR" });
    // An AV1 OBU whose size field is cut by the window.
    const av1 = obus([5, ...new Array(100).fill(0)], [6, 0x10]);
    assert.deepEqual(sampleStartsAt(AV1, av1.subarray(0, 1), 0, av1.length), { next: 0 });
    assert.deepEqual(sampleStartsAt(AV1, av1.subarray(0, 50), 0, av1.length), { next: 102 });
  });

  test("framing from the sample entry: NAL length size, or none for audio", () => {
    assert.deepEqual(sampleFraming(avcStsd()), { kind: "avc", lengthSize: 4, stillPictures: false });
    const hvcC = new Uint8Array(23);
    hvcC[21] = 0x0d; // lengthSizeMinusOne 1
    const hevc = fullBox("stsd", 0, 0, u32(1), box("hvc1", new Uint8Array(78), box("hvcC", hvcC)));
    assert.equal(sampleFraming(hevc)?.lengthSize, 2);
    const av1 = fullBox(
      "stsd",
      0,
      0,
      u32(1),
      box("av01", new Uint8Array(78), box("av1C", Uint8Array.from([0x81, 0, 0x0c, 0, 0x0a, 1, 0x08]))),
    );
    assert.deepEqual(sampleFraming(av1), { kind: "av1", lengthSize: 0, stillPictures: true });
    assert.equal(sampleFraming(fullBox("stsd", 0, 0, u32(1), box("mp4a", new Uint8Array(28)))), undefined);
  });
});

describe("segmentStartProblem reads the sample", () => {
  const idr = nals([0x06, ...new Array(5000).fill(1)], [0x65, 0x88]);
  const inter = nals([0x41, 0x9a]);
  const file = fromBytes(concat(new Uint8Array(1000), idr, inter));
  const track = makeTrack({ durations: [512, 512], sizes: [idr.length, inter.length], base: 1000 });
  test("an IDR behind a 5 KB SEI: found with a second read", async () => {
    let reads = 0;
    const counting = { ...file, read: (into: Uint8Array, at: number) => (reads++, file.read(into, at)) };
    assert.equal(await segmentStartProblem(counting, track, 0), undefined);
    assert.equal(reads, 2, "one window, then one at the IDR's length prefix");
  });
  test("a non-IDR slice is named with the sample", async () => {
    assert.equal(
      await segmentStartProblem(file, track, 1),
      "track 1: sample 2, which starts a segment, starts with a non-IDR slice (NAL type 1), not a keyframe",
    );
  });
  test("a sample past the end of the file, and NAL units too small to read, end in a bounded number of reads", async () => {
    const short = fromBytes(concat(new Uint8Array(1000), idr.subarray(0, 10)));
    assert.match(String(await segmentStartProblem(short, track, 0)), /runs past the end of the file/);
    // 5000 one-byte NAL units of SEI: all in memory windows, no picture.
    const sei = concat(...new Array(600).fill(0).map(() => nals([0x06])));
    const seiTrack = makeTrack({ durations: [512], sizes: [sei.length], base: 0 });
    let reads = 0;
    const seiFile = fromBytes(sei);
    const counting = { ...seiFile, read: (into: Uint8Array, at: number) => (reads++, seiFile.read(into, at)) };
    assert.match(String(await segmentStartProblem(counting, seiTrack, 0)), /no picture/);
    assert.ok(reads <= 8, `${reads} reads`);
  });
  test("audio tracks are not read", async () => {
    const audio = makeTrack({ handler: "soun", durations: [1024], sizes: [10] });
    assert.equal(await segmentStartProblem(fromBytes(new Uint8Array(0)), audio, 0), undefined);
  });
});
