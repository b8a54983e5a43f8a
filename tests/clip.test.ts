// Time-seek clips, fast tests (no ffmpeg at test time; the frame-exact checks
// are in tests/e2e/clip.test.ts). Fixture:
//   tests/fixtures/gop2.mp4: 8 s of H.264 (2 B-frames, a keyframe every 2 s) + AAC, faststart, made with
//     ffmpeg -f lavfi -i testsrc2=duration=8:size=160x90:rate=25 -f lavfi -i sine=frequency=440:duration=8:sample_rate=44100 \
//       -c:v libx264 -preset veryfast -g 50 -keyint_min 50 -sc_threshold 0 -bf 2 -pix_fmt yuv420p -b:v 60k \
//       -c:a aac -b:a 32k -map_metadata -1 -fflags +bitexact -flags:v +bitexact -flags:a +bitexact -movflags +faststart gop2.mp4
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { clip, CLIP_VERSION, clipInfo, createClipLayoutCache } from "../src/media/clip.ts";
import { parseClipQuery, parseClipSeconds } from "../src/media/clip_query.ts";
import { ClipRangeError, selectClip } from "../src/media/clip_select.ts";
import {
  createSampleIndexCache,
  loadSampleIndex,
  parseSampleIndex,
  type SampleIndex,
  type TrackIndex,
} from "../src/media/sample_index.ts";
import { handleVideo } from "../src/http/handler.ts";
import { countingFile, settle } from "./helpers/counting_file.ts";
import { flat } from "./helpers/sample_columns.ts";
import { parseMultipart } from "./helpers/multipart_parse.ts";
import {
  ascii,
  box,
  co64,
  concat,
  FTYP,
  fullBox,
  readAll,
  topLevel,
  u32,
  u64,
  virtualFile,
} from "./helpers/mp4_build.ts";
import { elst, movie, mvhd, stsc, stss, stsz, stts, trak } from "./helpers/mp4_track.ts";
import { makeTrack } from "./helpers/hls_tracks.ts";
import { prng } from "./helpers/prng.ts";

const fixture = (name: string) =>
  new Uint8Array(readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))));
const GOP2 = fixture("gop2.mp4");
const AT_END = fixture("moov_at_end.mp4");
const MTIME = Date.UTC(2025, 0, 2, 3, 4, 5);
const source = (bytes = GOP2, name = "gop2.mp4") => countingFile(bytes, { name, lastModified: MTIME });
const NO_CACHE = { cache: false, layoutCache: false } as const;

describe("parseClipQuery: nginx's grammar", () => {
  const cases: [string, ReturnType<typeof parseClipQuery>][] = [
    ["", undefined],
    ["start=12.5&end=30", { start: 12500, end: 30000 }],
    ["start=12.5", { start: 12500 }],
    ["end=30", { start: 0, end: 30000 }],
    ["start=30&end=30", { start: 30000 }],
    ["start=30&end=12", { start: 30000 }],
    ["start=1.23456", { start: 1234 }],
    ["start=1.9999", { start: 1999 }],
    ["start=.5", { start: 500 }],
    ["start=5.", { start: 5000 }],
    ["start=007.250", { start: 7250 }],
    ["start=abc", undefined],
    ["start=-1", undefined],
    ["start=1e3", undefined],
    ["start=1.2.3", undefined],
    ["start=", undefined],
    ["start=.", undefined],
    ["start=+5", undefined],
    ["start= 5", undefined],
    ["start=99999999999999", undefined],
    ["start=abc&end=4", { start: 0, end: 4000 }],
    ["start=2&end=oops", { start: 2000 }],
    ["other=1", undefined],
  ];
  for (const [query, want] of cases) {
    test(`?${query}`, () => assert.deepEqual(parseClipQuery(new URLSearchParams(query)), want));
  }
  test("seconds at the limit and past it", () => {
    assert.equal(parseClipSeconds("1000000000"), 1e12);
    assert.equal(parseClipSeconds("1000000000.001"), undefined);
    assert.equal(parseClipSeconds(null), undefined);
  });
});

/** The samples of every track of `bytes` as arrays of their bytes, per handler. */
function samplesOf(bytes: Uint8Array, index: SampleIndex) {
  return index.tracks.map((t) =>
    Array.from({ length: t.count }, (_, i) => bytes.subarray(t.offset(i), t.offset(i) + t.sizes[i]))
  );
}

async function indexOfClip(bytes: Uint8Array): Promise<SampleIndex> {
  return await loadSampleIndex(countingFile(bytes), { cache: false });
}

describe("clip on a real file (H.264 with B-frames + AAC, keyframe every 2 s)", () => {
  test("keyframe mode: starts on the keyframe at 2 s, every kept sample is the source's, in order", async () => {
    const file = await clip(source(), { start: 3.3, end: 5.5, ...NO_CACHE });
    const info = clipInfo(file);
    assert.deepEqual(info, { contentStart: 2, start: 3300, end: 5500, mode: "keyframe" });
    const bytes = await readAll(file);
    assert.equal(bytes.length, file.size);
    assert.deepEqual(topLevel(bytes).map((b) => b[0]), ["ftyp", "moov", "mdat"], "moov first");
    const src = await indexOfClip(GOP2);
    const out = await indexOfClip(bytes);
    const [sv, sa] = samplesOf(GOP2, src);
    const [cv, ca] = samplesOf(bytes, out);
    // Video: decode order from the keyframe at 2.00 s (sample 50) through the last frame shown before
    // 5.5 s (5.48 s) with the B-frames it needs: 88 frames.
    assert.equal(cv.length, 88);
    cv.forEach((s, i) => assert.deepEqual(s, sv[50 + i], `video sample ${i} is source sample ${50 + i}`));
    assert.ok(out.tracks[0].hasSyncTable && out.tracks[0].isSync(0), "the clip starts on a sync sample");
    assert.deepEqual(flat(out.tracks[0]).sync!.reduce((n, s) => n + s, 0), 2, "keyframes at 2 s and 4 s");
    // Audio: one unbroken run of the source's packets.
    const firstAudio = sa.findIndex((s) => s.length === ca[0].length && s.every((b, i) => b === ca[0][i]));
    assert.ok(firstAudio > 0);
    ca.forEach((s, i) => assert.deepEqual(s, sa[firstAudio + i], `audio sample ${i}`));
    // Presentation: video shows its first frame at 0, audio lines up with it as in the source.
    const v = out.tracks[0];
    assert.equal(v.edit.mediaTime, v.cts(0), "the first frame (the keyframe) is shown at 0");
    assert.equal(v.edit.emptyDuration, 0);
    const a = out.tracks[1];
    const audioStart = (a.dts(0) + a.edit.mediaTime) / a.timescale; // clip time 0 on the audio media line
    const srcAudio = src.tracks[1];
    const sourceAudioAt0 = (srcAudio.dts(firstAudio) - srcAudio.edit.mediaTime) / srcAudio.timescale;
    assert.ok(Math.abs(sourceAudioAt0 + audioStart - 2) < 1 / 44100 + 1e-9, "audio at clip 0 is the source's at 2 s");
    // Durations: 2.00 s to the frame after 5.48 s.
    assert.equal(out.movieDuration, Math.round(3.52 * out.movieTimescale));
    assert.equal(v.edit.duration, Math.round(3.52 * out.movieTimescale));
  });

  test("exact mode: the same frames from the keyframe, the pre-roll hidden by the edit list", async () => {
    const file = await clip(source(), { start: 3.3, end: 5.5, mode: "exact", ...NO_CACHE });
    assert.equal(clipInfo(file)?.contentStart, 3.3);
    const out = await indexOfClip(await readAll(file));
    const v = out.tracks[0];
    assert.equal(v.count, 88, "the same samples as keyframe mode");
    assert.equal(v.edit.mediaTime, v.cts(0) + Math.round(1.3 * v.timescale), "1.3 s of pre-roll hidden");
    assert.equal(out.movieDuration, Math.round(2.22 * out.movieTimescale));
  });

  test("no end: to the end of every track; start 0 keeps the source's priming and B-frame delay", async () => {
    const src = await indexOfClip(GOP2);
    const whole = await clip(source(), { start: 0, ...NO_CACHE });
    const out = await indexOfClip(await readAll(whole));
    assert.deepEqual(out.tracks.map((t) => t.count), src.tracks.map((t) => t.count), "every sample kept");
    assert.deepEqual(out.tracks.map((t) => t.edit.mediaTime), src.tracks.map((t) => t.edit.mediaTime));
    assert.equal(out.movieDuration, src.movieDuration);
  });

  test("a start at or past the duration is a ClipRangeError (400) with a one-line reason", async () => {
    for (const start of [8, 8.001, 1e6]) {
      await assert.rejects(clip(source(), { start, ...NO_CACHE }), (err: unknown) => {
        assert.ok(err instanceof ClipRangeError);
        assert.equal(err.status, 400);
        assert.match(err.message, /at or past the duration \(8\.000 s\)/);
        return true;
      });
    }
    assert.ok(await clip(source(), { start: 7.999, ...NO_CACHE }), "just before the end is a clip");
  });

  test("ETags: strong, from the source's plus times, mode and version; distinct per clip", async () => {
    const src = source();
    const sourceTag = handleVideo(new Request("http://x/"), src).headers.get("etag")!;
    const tags = new Set<string>();
    for (
      const o of [{ start: 1 }, { start: 1, end: 3 }, { start: 1, end: 4 }, { start: 1, mode: "exact" as const }, {
        start: 1.001,
      }]
    ) {
      const file = await clip(source(), { ...o, ...NO_CACHE });
      assert.ok(file.etag!.startsWith(sourceTag.slice(0, -1) + "-clip."), file.etag);
      assert.ok(file.etag!.includes(`clip.${CLIP_VERSION}.`));
      assert.ok(!file.etag!.startsWith("W/"));
      tags.add(file.etag!);
      assert.equal(file.lastModified, MTIME);
    }
    assert.equal(tags.size, 5, "every distinct clip has its own tag");
    const same = await clip(source(), { start: 1.0009, ...NO_CACHE });
    assert.equal(same.etag, (await clip(source(), { start: 1, ...NO_CACHE })).etag, "extra decimals cut");
  });

  test("handleVideo on a clip: ranges, multipart, HEAD, If-None-Match 304, If-Range", async () => {
    const file = await clip(source(), { start: 2, end: 6, ...NO_CACHE });
    const whole = await readAll(file);
    const get = (headers: Record<string, string> = {}, method = "GET") =>
      handleVideo(new Request("http://x/gop2.mp4", { method, headers }), file);
    const full = get();
    assert.equal(full.status, 200);
    assert.equal(full.headers.get("content-length"), String(file.size));
    assert.deepEqual(new Uint8Array(await full.arrayBuffer()), whole, "the whole clip");
    const part = get({ range: "bytes=100-1099" });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), `bytes 100-1099/${file.size}`);
    assert.deepEqual(new Uint8Array(await part.arrayBuffer()), whole.subarray(100, 1100), "the clip's bytes 100-1099");
    const multi = get({ range: "bytes=0-9,5000-5009" });
    assert.equal(multi.status, 206);
    const parts = parseMultipart(new Uint8Array(await multi.arrayBuffer()), multi.headers.get("content-type")!);
    assert.deepEqual(parts.map((p) => p.body), [whole.subarray(0, 10), whole.subarray(5000, 5010)]);
    const head = get({}, "HEAD");
    assert.equal(head.headers.get("content-length"), String(file.size));
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    assert.equal(get({ "if-none-match": file.etag! }).status, 304);
    const resumed = get({ range: "bytes=10-19", "if-range": file.etag! });
    assert.equal(resumed.status, 206);
    assert.deepEqual(new Uint8Array(await resumed.arrayBuffer()), whole.subarray(10, 20), "the clip's bytes 10-19");
    const stale = get({ range: "bytes=10-19", "if-range": '"other"' });
    assert.equal(stale.status, 200, "another clip's tag does not resume this one");
    assert.deepEqual(new Uint8Array(await stale.arrayBuffer()), whole, "a stale If-Range gets the whole clip");
    await settle();
  });

  test("a moov-at-end source gives a moov-first clip with no faststart step", async () => {
    const file = await clip(source(AT_END, "end.mp4"), { start: 0.2, ...NO_CACHE });
    const bytes = await readAll(file);
    assert.deepEqual(topLevel(bytes).map((b) => b[0]), ["ftyp", "moov", "mdat"]);
    const out = await indexOfClip(bytes);
    const src = await indexOfClip(AT_END);
    const [sv] = samplesOf(AT_END, src);
    const [cv] = samplesOf(bytes, out);
    const k = sv.findIndex((s) => s.length === cv[0].length && s.every((b, i) => b === cv[0][i]));
    assert.ok(k >= 0 && src.tracks[0].isSync(k), "starts on a source keyframe");
    cv.forEach((s, i) => assert.deepEqual(s, sv[k + i]));
  });

  test("caches: the index once per file version, the layout once per clip", async () => {
    const cache = createSampleIndexCache();
    const layoutCache = createClipLayoutCache();
    const first = source();
    const a = await clip(first, { start: 3, cache, layoutCache });
    assert.ok(first.reads.length > 0);
    const again = source();
    const b = await clip(again, { start: 3, cache, layoutCache });
    assert.equal(again.reads.length, 0, "no read for a cached clip");
    assert.equal(b.etag, a.etag);
    const other = source();
    await clip(other, { start: 5, cache, layoutCache });
    assert.equal(other.reads.length, 0, "another clip of the same file reuses the index");
    assert.equal(layoutCache.size, 2);
  });

  test("closing the clip closes the source once", async () => {
    const src = source();
    const file = await clip(src, { start: 1, ...NO_CACHE });
    await file.close?.();
    await file.close?.();
    assert.equal(src.closes, 1);
  });
});

describe("clip on files it will not cut: the original file, never an exception", () => {
  const cases: [string, Uint8Array][] = [
    ["not an MP4", new TextEncoder().encode("plain text, not boxes at all.")],
    ["fragmented", concat(FTYP, box("moov", fullBox("mvhd", 0, 0, new Uint8Array(96)), box("mvex")), box("moof"))],
    [
      "stsc first_chunk 0 (nginx answers 200 with garbage)",
      concat(FTYP, movie(trak({ tables: { stsc: stsc([[0, 2, 1]]) } })), box("mdat", new Uint8Array(2000))),
    ],
    ["no sync sample", concat(FTYP, movie(trak({ tables: { stss: stss([]) } })), box("mdat", new Uint8Array(2000)))],
    ["truncated moov", GOP2.subarray(0, 3000)],
  ];
  for (const [what, bytes] of cases) {
    test(what, async () => {
      const src = countingFile(bytes, { name: "x.mp4", lastModified: MTIME });
      assert.equal(await clip(src, { start: 0.1, ...NO_CACHE }), src);
    });
  }
});

describe("clip layout details", () => {
  test("past 4 GiB: co64 offsets and a 64-bit mdat size, read back exactly", async () => {
    // One track, two chunks: 100 bytes at 1000, 100 bytes at 5 GiB; the clip keeps both.
    const far = 5 * 2 ** 30;
    const moovBytes = movie(trak({
      tables: {
        stts: stts([[2, 1000]]),
        stss: null,
        stsc: stsc([[1, 1, 1]]),
        sizes: stsz(0, [100, 100]),
        chunks: co64([1000, far]),
      },
    }));
    const head = concat(FTYP, moovBytes);
    // A free box pads up to 984, then one 64-bit mdat (16-byte header) holds everything from 1000 on.
    const pad = 984 - head.length;
    const file = virtualFile(
      [head, box("free", new Uint8Array(pad - 8)), concat(u32(1), ascii("mdat"), u64(far + 100 - 984)), {
        pattern: far + 100 - 1000,
      }],
      { name: "big.mp4" },
    );
    const out = await clip(file, { start: 0, cache: false, layoutCache: false });
    assert.ok(out !== file);
    const prefix = await readAll(out, 0, 4096);
    const [, moovAt, moovSize] = topLevel(prefix).find(([t]) => t === "moov")!;
    const index = parseSampleIndex(prefix.subarray(moovAt, moovAt + moovSize), { fileSize: out.size });
    const t = index.tracks[0];
    assert.ok(t.offset(1) >= 2 ** 32, "a second chunk past 4 GiB");
    const mdatAt = moovAt + moovSize;
    const view = new DataView(prefix.buffer);
    assert.equal(view.getUint32(mdatAt), 1, "mdat with a 64-bit size");
    assert.equal(Number(view.getBigUint64(mdatAt + 8)), out.size - mdatAt);
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(
        await readAll(out, t.offset(i), t.offset(i) + 100),
        await readAll(file, i === 0 ? 1000 : far, (i === 0 ? 1000 : far) + 100),
        `sample ${i} bytes`,
      );
    }
  });

  test("a source edit list with a leading empty edit carries over", () => {
    // Video 0 to 0.4 s (keyframes at 0 and 0.2 s); audio shown from 0.2 s after an empty edit.
    const index = parseSampleIndex(
      movie(
        trak({ id: 1 }),
        trak({
          id: 2,
          handler: "soun",
          edts: elst(0, [[200, -1, 0x10000], [400, 0, 0x10000]]),
          tables: { stss: null },
        }),
      ),
      { fileSize: 10_000 },
    );
    const fromZero = selectClip(index, { start: 0 });
    assert.equal(fromZero.contentStart, 0);
    const audio = fromZero.tracks[1];
    assert.deepEqual([audio.first, audio.emptyDuration, audio.mediaTime, audio.editDuration], [0, 200, 0, 400]);
    assert.equal(fromZero.movieDuration, 600);
    const later = selectClip(index, { start: 300 });
    assert.equal(later.contentStart, 0.2, "the keyframe at 0.2 s");
    const a2 = later.tracks[1];
    assert.deepEqual([a2.first, a2.emptyDuration, a2.mediaTime, a2.editDuration], [0, 0, 0, 400]);
    const v2 = later.tracks[0];
    assert.deepEqual([v2.first, v2.last, v2.emptyDuration, v2.mediaTime, v2.editDuration], [2, 3, 0, 0, 200]);
  });

  test("the layout answers through a derived file whose size is its pieces' sum", async () => {
    const file = await clip(source(), { start: 4, ...NO_CACHE });
    const whole = await readAll(file);
    assert.equal(whole.length, file.size);
    const mdat = topLevel(whole).find(([t]) => t === "mdat")!;
    assert.equal(mdat[1] + mdat[2], file.size, "mdat runs to the end of the clip");
  });
});

describe("selectClip reads a few GOPs, and finds what a scan of every sample finds", () => {
  const SEED = 0xc11b;
  test(`random B-frame tracks: the start keyframe and the last frame before the end (seed ${SEED})`, () => {
    const r = prng(SEED);
    for (let k = 0; k < 30; k++) {
      const count = r.int(20, 400);
      const gop = r.int(1, 60);
      const durations = Array.from({ length: count }, () => 512);
      // Reordered presentation: each frame shown 0 to 3 frames after it is decoded, some shown early (ctts v1).
      const cts = Array.from({ length: count }, () => r.int(-1, 3) * 512);
      const sync = Array.from({ length: count }, (_, i) => i).filter((i) => i % gop === 0 && r.next() < 0.9);
      const track = makeTrack({ durations, cts, sync: sync.length > 0 ? sync : [0], timescale: 12800 });
      const index: SampleIndex = {
        movieTimescale: 1000,
        movieDuration: Math.round(count * 40),
        mvhd: mvhd(1000, count * 40),
        ftyp: undefined,
        // makeTrack gives SampleColumns with the track fields HLS reads; selectClip reads no others.
        tracks: [track as unknown as TrackIndex],
        fileSize: 2 ** 40,
        bytes: 0,
      };
      const pt = (i: number) => (track.dts(i) + track.cts(i)) / 12800;
      const start = r.int(0, count * 40 - 41);
      const end = start + r.int(1, 2000);
      // The reference: every sample scanned, ties to the later one in decode order.
      let best = -1;
      for (let i = 0; i < count; i++) {
        if (track.isSync(i) && pt(i) <= start / 1000 + 1e-9 && (best < 0 || pt(i) >= pt(best))) best = i;
      }
      if (best < 0) best = track.isSync(0) ? 0 : sync[0];
      const cut = selectClip(index, { start, end });
      const t = cut.tracks.find((c) => c.track === track)!;
      assert.equal(t.first, best, `track ${k}: start sample`);
      // An end at or past the duration keeps every sample to the last.
      let last = end < count * 40 ? best - 1 : count - 1;
      for (let i = best; i < count && end < count * 40; i++) if (pt(i) < end / 1000 - 1e-9) last = i;
      assert.equal(t.last, last, `track ${k}: last sample`);
    }
  });
});
