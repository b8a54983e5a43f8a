import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { initSegment } from "../src/media/hls/init_segment.ts";
import { mediaSegment, segmentSize } from "../src/media/hls/media_segment.ts";
import { find, makeTrack, MVHD, readBoxes, readTrafs } from "./helpers/hls_tracks.ts";

const FRAME = 512;
const cts = Array.from({ length: 100 }, (_, i) => (i % 3 === 0 ? 2 * FRAME : i % 3 === 1 ? 3 * FRAME : FRAME));
const VIDEO = makeTrack({
  id: 1,
  durations: Array(100).fill(FRAME),
  cts,
  sync: [0, 50],
  mediaTime: 2 * FRAME,
  base: 5000,
});
const AUDIO = makeTrack({
  id: 2,
  handler: "soun",
  timescale: 44100,
  durations: Array(173).fill(1024),
  mediaTime: 1024,
  emptyDuration: 0,
  // Interleaved with the video in chunks of 10 samples: several spans per segment.
  offsets: Array.from({ length: 173 }, (_, i) => 100000 + Math.floor(i / 10) * 5000 + (i % 10) * 110),
  sizes: Array(173).fill(110),
});

describe("init segment", () => {
  const init = initSegment(MVHD, [VIDEO, AUDIO]);
  const top = readBoxes(init);

  test("one ftyp, one moov, nothing else", () => {
    assert.deepEqual(top.map((b) => b.type), ["ftyp", "moov"]);
    assert.equal(String.fromCharCode(...top[0].body.subarray(0, 4)), "iso6", "major brand");
  });

  test("mvex with one trex per track comes after the last trak", () => {
    const moov = top[1].children!.map((b) => b.type);
    assert.deepEqual(moov, ["mvhd", "trak", "trak", "mvex"]);
    const trex = find(top, "moov/mvex/trex");
    assert.deepEqual(trex.map((b) => new DataView(b.body.buffer, b.body.byteOffset).getUint32(4)), [1, 2], "track ids");
  });

  test("sample tables empty, codec configuration verbatim, no edit list", () => {
    for (const [i, t] of [VIDEO, AUDIO].entries()) {
      const stbl = find(top, "moov/trak")[i].children!;
      assert.deepEqual(stbl.map((b) => b.type), ["tkhd", "mdia"], "no edts");
      const tables = find([find(top, "moov/trak")[i]], "trak/mdia/minf/stbl")[0].children!;
      assert.deepEqual(tables.map((b) => b.type), ["stsd", "stts", "stsc", "stsz", "stco"]);
      const stsd = tables[0];
      assert.deepEqual(init.subarray(stsd.start, stsd.start + stsd.size), t.boxes.stsd, "stsd copied byte for byte");
      for (const b of tables.slice(1)) {
        const count = new DataView(b.body.buffer, b.body.byteOffset).getUint32(b.type === "stsz" ? 8 : 4);
        assert.equal(count, 0, `${b.type} is empty`);
      }
    }
  });

  test("durations zeroed in mvhd, tkhd and mdhd; the rest copied", () => {
    const mvhd = find(top, "moov/mvhd")[0];
    assert.equal(new DataView(mvhd.body.buffer, mvhd.body.byteOffset).getUint32(16), 0, "mvhd duration");
    assert.equal(new DataView(mvhd.body.buffer, mvhd.body.byteOffset).getUint32(12), 1000, "mvhd timescale kept");
    const tkhd = find(top, "moov/trak/tkhd")[0];
    assert.equal(new DataView(tkhd.body.buffer, tkhd.body.byteOffset).getUint32(20), 0, "tkhd duration");
    const mdhd = find(top, "moov/trak/mdia/mdhd")[1];
    const view = new DataView(mdhd.body.buffer, mdhd.body.byteOffset);
    assert.equal(view.getUint32(12), 44100, "mdhd timescale kept");
    assert.equal(view.getUint32(16), 0, "mdhd duration");
  });

  test("a self-contained dinf when the source had none", () => {
    const dref = find(top, "moov/trak/mdia/minf/dinf")[0];
    assert.ok(dref, "dinf present");
  });
});

describe("media segment", () => {
  const runs = [{ track: VIDEO, from: 50, to: 100 }, { track: AUDIO, from: 86, to: 173 }];
  const layout = mediaSegment(runs, 2, 1000);
  // The bytes as served: the generated head, then each span read from a source whose byte at p is p & 0xff.
  const payload = layout.spans.flatMap((s) =>
    "offset" in s ? Array.from({ length: s.length }, (_, k) => (s.offset + k) & 0xff) : []
  );
  const bytes = new Uint8Array([...layout.head, ...payload]);
  const top = readBoxes(bytes);

  test("moof then mdat, sizes consistent, segmentSize agrees", () => {
    assert.deepEqual(top.map((b) => b.type), ["moof", "mdat"]);
    assert.equal(layout.size, bytes.length);
    assert.equal(segmentSize(runs), bytes.length);
  });

  test("mfhd sequence number", () => {
    const mfhd = find(top, "moof/mfhd")[0];
    assert.equal(new DataView(mfhd.body.buffer, mfhd.body.byteOffset).getUint32(4), 2);
  });

  test("traf per track: tfhd default-base-is-moof, tfdt v1 at the first sample's decode time, trun v1", () => {
    const trafs = readTrafs(top[0]);
    assert.deepEqual(trafs.map((t) => t.trackId), [1, 2]);
    for (const t of trafs) {
      assert.equal(t.tfhdFlags, 0x020000, "default-base-is-moof only (no base-data-offset)");
      assert.equal(t.tfdtVersion, 1);
      assert.equal(t.trunVersion, 1, "signed composition offsets");
    }
    assert.equal(trafs[0].baseTime, 50 * FRAME);
    assert.equal(trafs[1].baseTime, 86 * 1024);
  });

  test("per-sample durations, sizes, flags and edit-shifted composition offsets", () => {
    const [v, a] = readTrafs(top[0]);
    assert.equal(v.samples.length, 50);
    assert.equal(a.samples.length, 87);
    v.samples.forEach((s, k) => {
      const i = 50 + k;
      assert.equal(s.duration, FRAME);
      assert.equal(s.size, VIDEO.sizes[i]);
      assert.equal(s.flags, i === 50 ? 0x02000000 : 0x01010000, `flags of sample ${i}`);
      assert.equal(s.cto, cts[i] - 2 * FRAME, `composition offset of sample ${i}`);
    });
    assert.ok(a.samples.every((s) => s.cto === -1024 && s.flags === 0x02000000 && s.duration === 1024));
  });

  test("data offsets point at each track's samples in the mdat, byte for byte", () => {
    const trafs = readTrafs(top[0]);
    for (const [k, t] of trafs.entries()) {
      const track = runs[k].track;
      let at = top[0].start + t.dataOffset;
      t.samples.forEach((s, j) => {
        const src = track.offset(runs[k].from + j);
        const got = bytes.subarray(at, at + s.size);
        const want = Uint8Array.from({ length: s.size }, (_, n) => (src + n) & 0xff);
        assert.deepEqual(got, want, `track ${t.trackId} sample ${j}`);
        at += s.size;
      });
    }
    assert.equal(top[1].start + top[1].size, bytes.length, "mdat ends the segment");
  });

  test("back-to-back samples become one span; interleaved chunks several", () => {
    // Video samples 50..99 are contiguous; audio 86..172 sits in 10-sample chunks.
    assert.equal(layout.spans.length, 1 + 10);
  });

  test("an empty run gets no traf", () => {
    const only = mediaSegment([{ track: VIDEO, from: 0, to: 50 }, { track: AUDIO, from: 10, to: 10 }], 1, 1000);
    assert.deepEqual(readTrafs(readBoxes(only.head.subarray(0, only.head.length - 8))[0]).map((t) => t.trackId), [1]);
  });

  test("an initial empty edit delays tfdt by its length in media ticks", () => {
    const delayed = makeTrack({ handler: "soun", timescale: 48000, durations: [1024, 1024], emptyDuration: 500 });
    const seg = mediaSegment([{ track: delayed, from: 0, to: 2 }], 1, 1000);
    assert.equal(readTrafs(readBoxes(seg.head.subarray(0, seg.head.length - 8))[0])[0].baseTime, 24000);
  });
});
