import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Parser } from "m3u8-parser";
import { masterPlaylist, mediaPlaylist, targetDuration } from "../src/media/hls/playlists.ts";
import { codecOf } from "../src/media/hls/codecs.ts";
import { HlsUnsupportedError } from "../src/media/hls/errors.ts";
import { hlsUris, parseHlsPath, querySuffix } from "../src/media/hls/hls_path.ts";
import { aacStsd, avcStsd } from "./helpers/hls_tracks.ts";
import { box, fullBox, u32 } from "./helpers/mp4_build.ts";

// deno-lint-ignore no-explicit-any
function parse(text: string): any {
  const parser = new Parser();
  parser.push(text);
  parser.end();
  return parser.manifest;
}

describe("media playlist", () => {
  const durations = [6.006, 6.48, 2.5];
  const uris = hlsUris("", "?token=a%20b");
  const text = mediaPlaylist(durations, { map: uris.init, segment: uris.segment });

  test("RFC 8216 tags in order, EXTINF per segment, ENDLIST", () => {
    assert.equal(
      text,
      [
        "#EXTM3U",
        "#EXT-X-VERSION:6",
        "#EXT-X-TARGETDURATION:6",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        '#EXT-X-MAP:URI="init.mp4?token=a%20b"',
        "#EXTINF:6.006,",
        "seg-0.m4s?token=a%20b",
        "#EXTINF:6.480,",
        "seg-1.m4s?token=a%20b",
        "#EXTINF:2.500,",
        "seg-2.m4s?token=a%20b",
        "#EXT-X-ENDLIST",
        "",
      ].join("\n"),
    );
  });

  test("m3u8-parser reads it back", () => {
    const m = parse(text);
    assert.equal(m.targetDuration, 6);
    assert.equal(m.playlistType, "VOD");
    assert.equal(m.endList, true);
    assert.equal(m.mediaSequence, 0);
    assert.deepEqual(m.segments.map((s: { duration: number }) => s.duration), durations);
    assert.deepEqual(m.segments.map((s: { uri: string }) => s.uri), [0, 1, 2].map((n) => `seg-${n}.m4s?token=a%20b`));
    assert.equal(m.segments[0].map.uri, "init.mp4?token=a%20b");
  });

  test("target duration: every rounded EXTINF at most it, as written", () => {
    const table: [number[], number][] = [[[6, 6.49], 6], [[6.4994], 6], [[6.4996], 7], [[0.2], 1], [[5.5, 1], 6]];
    for (const [d, want] of table) assert.equal(targetDuration(d), want, `${d}`);
  });
});

describe("master playlist", () => {
  const text = masterPlaylist([
    {
      uri: hlsUris("720p.mp4", "").media,
      bandwidth: 2_000_000.4,
      averageBandwidth: 1_500_000,
      codecs: ["avc1.64001f", "mp4a.40.2"],
      resolution: { width: 1280, height: 720 },
      frameRate: 25,
    },
    { uri: hlsUris("a b.mp4", "").media, bandwidth: 500_000, averageBandwidth: 400_000, codecs: ["mp4a.40.2"] },
  ]);

  test("one STREAM-INF per variant with its attributes", () => {
    const m = parse(text);
    assert.equal(m.playlists.length, 2);
    const [a, b] = m.playlists;
    assert.equal(a.uri, "720p.mp4/media.m3u8");
    assert.equal(a.attributes.BANDWIDTH, 2_000_001, "rounded up");
    assert.equal(a.attributes["AVERAGE-BANDWIDTH"], "1500000");
    assert.equal(a.attributes.CODECS, "avc1.64001f,mp4a.40.2");
    assert.deepEqual(a.attributes.RESOLUTION, { width: 1280, height: 720 });
    assert.equal(a.attributes["FRAME-RATE"], 25);
    assert.equal(b.uri, "a%20b.mp4/media.m3u8", "names are percent-encoded");
    assert.ok(text.startsWith("#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-INDEPENDENT-SEGMENTS\n"));
  });

  test("a quote in an attribute is refused, not written", () => {
    assert.throws(() => masterPlaylist([{ uri: "x", bandwidth: 1, averageBandwidth: 1, codecs: ['a"b'] }]), TypeError);
  });
});

describe("codec strings from stsd", () => {
  test("avc1 profile, compatibility and level bytes", () => {
    assert.equal(codecOf(avcStsd(0x64, 0x00, 0x1f)).codec, "avc1.64001f");
    assert.equal(codecOf(avcStsd(0x42, 0xc0, 0x1e)).codec, "avc1.42c01e");
  });
  test("mp4a.40 with the AAC object type, escape included", () => {
    assert.equal(codecOf(aacStsd(2)).codec, "mp4a.40.2");
    assert.equal(codecOf(aacStsd(5)).codec, "mp4a.40.5");
    assert.equal(codecOf(aacStsd(42)).codec, "mp4a.40.42");
  });
  test("unknown codecs, several entries and truncated configs are refused", () => {
    const entry = box("mp4v", new Uint8Array(78));
    assert.throws(() => codecOf(fullBox("stsd", 0, 0, u32(1), entry)), /'mp4v'/);
    assert.throws(() => codecOf(fullBox("stsd", 0, 0, u32(2), entry, entry)), /2 sample entries/);
    const noAvcC = fullBox("stsd", 0, 0, u32(1), box("avc1", new Uint8Array(78)));
    assert.throws(() => codecOf(noAvcC), HlsUnsupportedError);
    const stsd = aacStsd(2);
    assert.throws(() => codecOf(patchSize(stsd.slice(0, stsd.length - 6))), Error);
  });
});

/** Shrinks the sizes of the stsd, its entry and the esds so the esds is cut short but boxes still nest. */
function patchSize(cut: Uint8Array): Uint8Array {
  const view = new DataView(cut.buffer);
  view.setUint32(0, cut.length);
  view.setUint32(16, cut.length - 16);
  const esdsAt = 16 + 8 + 28;
  view.setUint32(esdsAt, cut.length - esdsAt);
  return cut;
}

describe("sub-paths", () => {
  test("single file", () => {
    const names = [""];
    assert.deepEqual(parseHlsPath("master.m3u8", names), { kind: "master" });
    assert.deepEqual(parseHlsPath("media.m3u8", names), { kind: "media", rendition: 0 });
    assert.deepEqual(parseHlsPath("init.mp4", names), { kind: "init", rendition: 0 });
    assert.deepEqual(parseHlsPath("seg-12.m4s", names), { kind: "segment", rendition: 0, segment: 12 });
    for (
      const bad of ["seg-01.m4s", "seg--1.m4s", "seg-1.mp4", "seg-1234567890.m4s", "x/media.m3u8", "", "../init.mp4"]
    ) {
      assert.equal(parseHlsPath(bad, names), undefined, bad);
    }
  });
  test("renditions", () => {
    const names = ["720p.mp4", "a b.mp4"];
    assert.deepEqual(parseHlsPath("a b.mp4/seg-0.m4s", names), { kind: "segment", rendition: 1, segment: 0 });
    assert.equal(parseHlsPath("media.m3u8", names), undefined);
    assert.equal(parseHlsPath("360p.mp4/init.mp4", names), undefined);
  });
  test("query suffix", () => {
    assert.equal(querySuffix(undefined), "");
    assert.equal(querySuffix("t=1"), "?t=1");
    assert.equal(querySuffix("?t=1"), "?t=1");
    assert.throws(() => querySuffix('t="1'), TypeError);
  });
});
