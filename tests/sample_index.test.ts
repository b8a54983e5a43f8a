// The shared MP4 sample index: what it reads from well-formed tables, what
// it refuses (tables of hostile boxes built in code), and how it is loaded
// and cached from a file.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Mp4FormatError } from "../src/media/boxes.ts";
import {
  createSampleIndexCache,
  loadSampleIndex,
  MAX_SAMPLES,
  parseSampleIndex,
  UnsupportedMp4Error,
} from "../src/media/sample_index.ts";
import { box, co64, concat, FTYP, fullBox, u32, u64 } from "./helpers/mp4_build.ts";
import { countingFile } from "./helpers/counting_file.ts";
import { flat } from "./helpers/sample_columns.ts";
import {
  ctts,
  DINF,
  elst,
  movie,
  mvhd,
  stsc,
  stss,
  stsz,
  stts,
  stz2,
  tkhd,
  type TrackSpec,
  trak,
} from "./helpers/mp4_track.ts";

const fixture = (name: string) => new Uint8Array(readFileSync(fileURLToPath(new URL(name, import.meta.url))));
const SIZE = 10_000;
const parse = (moov: Uint8Array, fileSize = SIZE) => parseSampleIndex(moov, { fileSize });
const one = (spec: TrackSpec = {}, fileSize = SIZE) => parse(movie(trak(spec)), fileSize).tracks[0];

describe("parseSampleIndex: well-formed tables", () => {
  test("the default track: offsets from stsc and stco, decode times, sync samples, tkhd/mdhd fields", () => {
    const index = parse(movie(trak()));
    assert.equal(index.movieTimescale, 1000);
    assert.equal(index.movieDuration, 400);
    assert.equal(index.fileSize, SIZE);
    const t = index.tracks[0];
    assert.equal(t.id, 1);
    assert.equal(t.handler, "vide");
    assert.equal(t.timescale, 1000);
    assert.equal(t.count, 4);
    assert.deepEqual(flat(t).offsets, [1000, 1010, 1100, 1130], "samples follow each other inside a chunk");
    assert.deepEqual(flat(t).sizes, [10, 20, 30, 40]);
    assert.deepEqual(flat(t).dts, [0, 100, 200, 300, 400], "count + 1 decode times, the last the end");
    assert.deepEqual(flat(t).cts, [0, 0, 0, 0], "no ctts: composition offsets 0");
    assert.deepEqual(flat(t).sync, [1, 0, 1, 0]);
    assert.deepEqual(t.edit, { emptyDuration: 0, mediaTime: 0, duration: 0 }, "no elst: all zero");
    assert.deepEqual([t.width, t.height, t.language, t.descriptionIndex], [320, 180, "und", 1]);
    assert.deepEqual(t.boxes.tkhd, tkhd(1, 320, 180), "tkhd copied verbatim");
    assert.deepEqual(t.boxes.dinf, DINF, "dinf copied verbatim");
    assert.equal(t.boxes.mediaHeader.length, 20, "vmhd");
    assert.ok(index.bytes >= 4 * 25, "memory accounts at least 25 bytes per sample");
  });

  test("co64 offsets, stz2 of every field size, a constant stsz", () => {
    const t = one({ tables: { chunks: co64([1000, 1100]) } });
    assert.deepEqual(flat(t).offsets, [1000, 1010, 1100, 1130]);
    for (const field of [4, 8, 16] as const) {
      const s = one({ tables: { sizes: stz2(field, [1, 2, 3, 15]) } });
      assert.deepEqual(flat(s).sizes, [1, 2, 3, 15], `stz2 field size ${field}`);
      assert.deepEqual(flat(s).offsets, [1000, 1001, 1100, 1103]);
    }
    const c = one({ tables: { sizes: stsz(7, [], 4) } });
    assert.deepEqual(flat(c).sizes, [7, 7, 7, 7]);
    assert.deepEqual(flat(c).offsets, [1000, 1007, 1100, 1107]);
  });

  test("ctts version 0 and version 1 with negative offsets", () => {
    assert.deepEqual(flat(one({ tables: { ctts: ctts(0, [[2, 200], [2, 100]]) } })).cts, [200, 200, 100, 100]);
    assert.deepEqual(flat(one({ tables: { ctts: ctts(1, [[1, -100], [3, 50]]) } })).cts, [-100, 50, 50, 50]);
  });

  test("no stss means every sample is a sync sample; an empty stss means none is", () => {
    assert.equal(flat(one({ tables: { stss: null } })).sync, undefined);
    assert.deepEqual(flat(one({ tables: { stss: stss([]) } })).sync, [0, 0, 0, 0]);
  });

  test("edit lists: one media edit, a leading empty edit, version 1", () => {
    assert.deepEqual(one({ edts: elst(0, [[400, 1024, 0x10000]]) }).edit, {
      emptyDuration: 0,
      mediaTime: 1024,
      duration: 400,
    });
    assert.deepEqual(one({ edts: elst(0, [[80, -1, 0x10000], [400, 0, 0x10000]]) }).edit, {
      emptyDuration: 80,
      mediaTime: 0,
      duration: 400,
    });
    assert.deepEqual(one({ edts: elst(1, [[2 ** 33, 2 ** 32, 0x10000]]) }).edit, {
      emptyDuration: 0,
      mediaTime: 2 ** 32,
      duration: 2 ** 33,
    });
  });

  test("stsc runs over several chunks, language from mdhd, an audio track", () => {
    const t = one({
      handler: "soun",
      language: 0x15c7, // "eng"
      tables: {
        stsc: stsc([[1, 1, 1], [2, 3, 1]]),
        chunks: fullBox("stco", 0, 0, u32(2), u32(500), u32(2000)),
      },
    });
    assert.deepEqual(flat(t).offsets, [500, 2000, 2020, 2050]);
    assert.deepEqual([t.handler, t.language, t.width, t.height], ["soun", "eng", 0, 0]);
  });

  test("tracks keep moov order", () => {
    const index = parse(movie(trak({ id: 1 }), trak({ id: 2, handler: "soun" })));
    assert.deepEqual(index.tracks.map((t) => [t.id, t.handler]), [[1, "vide"], [2, "soun"]]);
  });

  test("the sample limit: at it, and one past it", () => {
    const moov = movie(trak());
    assert.equal(parseSampleIndex(moov, { fileSize: SIZE, maxSamples: 4 }).tracks[0].count, 4);
    assert.throws(() => parseSampleIndex(moov, { fileSize: SIZE, maxSamples: 3 }), /over the limit of 3/);
    assert.ok(MAX_SAMPLES >= 2_000_000, "a 2-hour film fits the default");
  });
});

/** [what, moov, reason]: each must be refused with a typed error naming the reason. */
const hostile: [string, Uint8Array, RegExp][] = [
  ["stsc first_chunk 0", movie(trak({ tables: { stsc: stsc([[0, 2, 1]]) } })), /first_chunk 0/],
  [
    "stsc first_chunk not increasing",
    movie(trak({ tables: { stsc: stsc([[1, 1, 1], [2, 1, 1], [2, 2, 1]]) } })),
    /not increasing/,
  ],
  ["stsc first run not at chunk 1", movie(trak({ tables: { stsc: stsc([[2, 4, 1]]) } })), /does not start at chunk 1/],
  ["stsc places more samples than stsz", movie(trak({ tables: { stsc: stsc([[1, 3, 1]]) } })), /more samples/],
  ["stsc places fewer samples than stsz", movie(trak({ tables: { stsc: stsc([[1, 1, 1]]) } })), /places 2 samples/],
  ["stsc names a missing sample description", movie(trak({ tables: { stsc: stsc([[1, 2, 2]]) } })), /description 2/],
  [
    "stsc with more entries than its box holds",
    movie(trak({ tables: { stsc: fullBox("stsc", 0, 0, u32(1000), u32(1), u32(2), u32(1)) } })),
    /do not fit/,
  ],
  ["stss sample 0", movie(trak({ tables: { stss: stss([0, 2]) } })), /sample number 0/],
  ["stss decreasing", movie(trak({ tables: { stss: stss([3, 1]) } })), /not increasing/],
  ["stss past the samples", movie(trak({ tables: { stss: stss([1, 5]) } })), /past the 4 samples/],
  [
    "chunk offset past the file",
    movie(trak({ tables: { chunks: fullBox("stco", 0, 0, u32(2), u32(1000), u32(SIZE)) } })),
    /past the end of the file/,
  ],
  [
    "a sample runs past the file",
    movie(trak({ tables: { chunks: fullBox("stco", 0, 0, u32(2), u32(1000), u32(SIZE - 50)) } })),
    /runs past the end/,
  ],
  ["co64 offset beyond 2^53", movie(trak({ tables: { chunks: co64([1000, 2 ** 60]) } })), /past the end/],
  ["stsz count larger than its box", movie(trak({ tables: { sizes: stsz(0, [10, 20, 30, 40], 1000) } })), /fit/],
  [
    "a constant stsz claiming more bytes than the file",
    movie(trak({ tables: { sizes: stsz(1_000_000, [], 4) } })),
    /do not fit in the file/,
  ],
  [
    "a constant stsz claiming 2^32 - 1 samples",
    movie(trak({ tables: { sizes: stsz(1, [], 2 ** 32 - 1) } })),
    /over the limit/,
  ],
  ["stz2 field size 3", movie(trak({ tables: { sizes: fullBox("stz2", 0, 0, u32(3), u32(0)) } })), /field size 3/],
  ["stts covers more samples", movie(trak({ tables: { stts: stts([[5, 100]]) } })), /more samples than stsz/],
  ["stts covers fewer samples", movie(trak({ tables: { stts: stts([[3, 100]]) } })), /describes 3 samples/],
  ["stts count 2^32 - 1", movie(trak({ tables: { stts: stts([[2 ** 32 - 1, 1]]) } })), /more samples/],
  ["ctts covers more samples", movie(trak({ tables: { ctts: ctts(0, [[9, 1]]) } })), /more samples than stsz/],
  ["ctts version 2", movie(trak({ tables: { ctts: fullBox("ctts", 2, 0, u32(0)) } })), /ctts version 2/],
  ["duplicate stts", movie(trak({ extraStbl: [stts([[4, 100]])] })), /duplicate stts/],
  ["duplicate stsz", movie(trak({ extraStbl: [stsz(0, [1, 1, 1, 1])] })), /duplicate stsz/],
  ["stsz and stz2 together", movie(trak({ extraStbl: [stz2(8, [1, 1, 1, 1])] })), /both stsz and stz2/],
  ["stco and co64 together", movie(trak({ extraStbl: [co64([1000, 1100])] })), /both stco and co64/],
  ["duplicate tkhd", movie(trak({ extraTrak: [tkhd(1)] })), /duplicate tkhd/],
  ["duplicate mvhd", box("moov", mvhd(), mvhd(), trak()), /duplicate mvhd/],
  ["two media headers", movie(trak({ extraMinf: [fullBox("smhd", 0, 0, u32(0))] })), /2 media headers/],
  ["duplicate dinf", movie(trak({ extraMinf: [DINF] })), /duplicate dinf/],
  ["no stsz", movie(trak({ tables: { sizes: null } })), /no stsz or stz2/],
  ["no mvhd", box("moov", trak()), /no mvhd/],
  ["two tracks with one ID", movie(trak({ id: 3 }), trak({ id: 3 })), /one track_ID/],
  ["tkhd track_ID 0", movie(trak({ id: 0 })), /track_ID 0/],
  ["mdhd timescale 0", movie(trak({ timescale: 0 })), /timescale 0/],
  ["fragmented (mvex)", box("moov", mvhd(), trak(), box("mvex")), /fragmented file \(mvex\)/],
  [
    "two empty edits",
    movie(trak({ edts: elst(0, [[1, -1, 0x10000], [1, -1, 0x10000], [4, 0, 0x10000]]) })),
    /more than one empty edit/,
  ],
  [
    "two media edits",
    movie(trak({ edts: elst(0, [[1, 0, 0x10000], [1, 100, 0x10000]]) })),
    /more than one media edit/,
  ],
  ["a rate of 2", movie(trak({ edts: elst(0, [[4, 0, 0x20000]]) })), /rate other than 1/],
  ["a dwell (rate 0)", movie(trak({ edts: elst(0, [[4, 0, 0]]) })), /rate other than 1/],
  [
    "an empty edit after the media edit",
    movie(trak({ edts: elst(0, [[4, 0, 0x10000], [1, -1, 0x10000]]) })),
    /empty edit after/,
  ],
  ["only an empty edit", movie(trak({ edts: elst(0, [[4, -1, 0x10000]]) })), /no media edit/],
  ["elst entries past its box", movie(trak({ edts: box("edts", fullBox("elst", 0, 0, u32(99))) })), /do not fit/],
];

/** Malformed boxes: the box reader's own typed error. */
const malformed: [string, Uint8Array, RegExp][] = [
  ["size 0 inside the moov", box("moov", mvhd(), concat(u32(0), new TextEncoder().encode("trak"))), /size 0/],
  [
    "size 1 with a 64-bit size past the parent",
    box("moov", mvhd(), concat(u32(1), new TextEncoder().encode("trak"), u64(2 ** 40))),
    /runs past its parent/,
  ],
  ["a child larger than its parent", box("moov", mvhd(), concat(u32(100), new TextEncoder().encode("trak"))), /past/],
];

describe("parseSampleIndex: hostile tables are refused with a reason", () => {
  for (const [what, moov, reason] of hostile) {
    test(what, () => {
      assert.throws(() => parse(moov), (err: unknown) => {
        assert.ok(err instanceof UnsupportedMp4Error, `${what}: ${err}`);
        assert.match((err as Error).message, reason);
        assert.doesNotMatch((err as Error).message, /\n/, "one line");
        return true;
      });
    });
  }
  for (const [what, moov, reason] of malformed) {
    test(what, () => {
      assert.throws(() => parse(moov), (err: unknown) => err instanceof Mp4FormatError && reason.test(err.message));
    });
  }
  test("media in another file (a dref entry without the self-contained flag)", () => {
    const external = box("dinf", fullBox("dref", 0, 0, u32(1), fullBox("url ", 0, 0, new TextEncoder().encode("x"))));
    assert.throws(
      () => parse(movie(trak({ dinf: external }))),
      (err: unknown) => err instanceof Mp4FormatError && /another file/.test(err.message),
    );
  });
});

describe("loadSampleIndex", () => {
  const CLIP = fixture("./fixtures/clip.mp4");
  const AT_END = fixture("./fixtures/moov_at_end.mp4");

  test("a real file: ffprobe's sample counts, and the samples fill the mdat exactly", async () => {
    for (const [bytes, counts] of [[CLIP, [100, 174]], [AT_END, [25, 45]]] as const) {
      const index = await loadSampleIndex(countingFile(bytes, { name: "x.mp4" }), { cache: false });
      assert.deepEqual(index.tracks.map((t) => [t.handler, t.count]), [["vide", counts[0]], ["soun", counts[1]]]);
      assert.deepEqual(index.ftyp, bytes.subarray(0, index.ftyp!.length), "ftyp kept verbatim");
      // ffmpeg writes nothing but samples into its mdat: the samples must tile it.
      const spans = index.tracks.flatMap((t) => flat(t).offsets.map((o, i) => [o, o + t.sizes[i]]))
        .sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < spans.length; i++) assert.equal(spans[i][0], spans[i - 1][1], `sample ${i} follows on`);
      const view = new DataView(bytes.buffer, bytes.byteOffset);
      const mdatStart = spans[0][0] - 8;
      assert.equal(String.fromCharCode(...bytes.subarray(mdatStart + 4, mdatStart + 8)), "mdat");
      assert.equal(view.getUint32(mdatStart), spans.at(-1)![1] - mdatStart, "mdat holds exactly the samples");
      assert.deepEqual(index.tracks[0].edit, { emptyDuration: 0, mediaTime: 1024, duration: counts[0] * 40 });
    }
  });

  test("one parse per file version: the second load reads nothing, a new mtime parses again", async () => {
    const cache = createSampleIndexCache();
    const first = countingFile(CLIP, { name: "c.mp4", lastModified: 1 });
    const a = await loadSampleIndex(first, { cache });
    assert.ok(first.reads.length > 0);
    const again = countingFile(CLIP, { name: "c.mp4", lastModified: 1 });
    const [b, c] = await Promise.all([loadSampleIndex(again, { cache }), loadSampleIndex(again, { cache })]);
    assert.equal(again.reads.length, 0, "cached: no read");
    assert.ok(a === b && b === c, "the same index object");
    assert.equal(cache.bytes, a.bytes, "accounted at its size");
    const changed = countingFile(CLIP, { name: "c.mp4", lastModified: 2 });
    assert.notEqual(await loadSampleIndex(changed, { cache }), a);
    assert.ok(changed.reads.length > 0, "a new version is parsed");
  });

  test("concurrent first loads share one parse", async () => {
    const cache = createSampleIndexCache();
    const file = countingFile(CLIP, { name: "c.mp4", lastModified: 5 });
    const [a, b] = await Promise.all([loadSampleIndex(file, { cache }), loadSampleIndex(file, { cache })]);
    assert.equal(a, b);
    const moovReads = file.reads.filter((r) => r.length > 1000).length;
    assert.equal(moovReads, 1, "the moov is read once");
  });

  test("refusals are typed and cached; read errors are neither", async () => {
    const cache = createSampleIndexCache();
    const fragmented = concat(FTYP, box("moov", mvhd(), box("mvex")), box("moof"), box("mdat", new Uint8Array(16)));
    const f1 = countingFile(fragmented, { name: "f.mp4", lastModified: 1 });
    await assert.rejects(loadSampleIndex(f1, { cache }), UnsupportedMp4Error);
    const f2 = countingFile(fragmented, { name: "f.mp4", lastModified: 1 });
    await assert.rejects(loadSampleIndex(f2, { cache }), /fragmented/);
    assert.equal(f2.reads.length, 0, "the refusal came from the cache");

    for (
      const [what, bytes, reason] of [
        ["no moov", concat(FTYP, box("mdat", new Uint8Array(8))), /no moov/],
        ["two moovs", concat(FTYP, movie(trak()), movie(trak())), /duplicate moov/],
        ["two ftyps", concat(FTYP, FTYP, movie(trak())), /duplicate ftyp/],
        ["a top-level moof", concat(FTYP, box("moof"), box("mdat")), /fragmented file \(moof\)/],
        ["not an MP4 at all", new TextEncoder().encode("hello, this is text and not a box"), /./],
      ] as const
    ) {
      await assert.rejects(
        loadSampleIndex(countingFile(bytes), { cache: false }),
        (err: unknown) => err instanceof Mp4FormatError && reason.test(err.message),
        what,
      );
    }

    let calls = 0;
    const failing = {
      ...countingFile(CLIP, { name: "e.mp4", lastModified: 1 }),
      read() {
        calls++;
        return Promise.reject(new Error("EIO"));
      },
    };
    await assert.rejects(loadSampleIndex(failing, { cache }), /EIO/);
    await assert.rejects(loadSampleIndex(failing, { cache }), /EIO/);
    assert.equal(calls, 2, "a read error is not cached");
  });

  test("a moov over the size limit is refused before it is read", async () => {
    const file = countingFile(CLIP);
    await assert.rejects(loadSampleIndex(file, { cache: false, maxMoovSize: 100 }), /over the limit/);
    assert.ok(file.reads.every((r) => r.length <= 32), "only box headers were read");
  });
});
