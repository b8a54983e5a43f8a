// serveHls on a real MP4 (tests/fixtures/gop2.mp4: H.264 with B-frames, GOP 2 s, AAC, 8 s), in
// memory: status, types, validators, and the box-level rules of the segments it writes.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Parser } from "m3u8-parser";
import { createHlsCache, serveHls } from "../src/media/hls/serve_hls.ts";
import { loadSampleIndex } from "../src/media/sample_index.ts";
import { CloseLedger, countingFile } from "./helpers/counting_file.ts";
import { find, readBoxes, readTrafs } from "./helpers/hls_tracks.ts";

const MP4 = new Uint8Array(readFileSync(new URL("./fixtures/gop2.mp4", import.meta.url)));
const MTIME = Date.UTC(2026, 0, 1);
const file = (bytes = MP4, lastModified = MTIME) => countingFile(bytes, { name: "gop2.mp4", lastModified });
const get = (sub: string, init: RequestInit = {}, opts = {}) =>
  serveHls(new Request(`http://x/gop2.mp4/${sub}`, init), file(), sub, { segmentDuration: 2, cache: false, ...opts });

// deno-lint-ignore no-explicit-any
function parse(text: string): any {
  const p = new Parser();
  p.push(text);
  p.end();
  return p.manifest;
}

async function bytesOf(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer());
}

describe("serveHls on a real MP4", () => {
  test("media playlist: four 2-second segments, EXTINF summing to 8 s", async () => {
    const res = await get("media.m3u8");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/vnd.apple.mpegurl");
    const m = parse(await res.text());
    assert.deepEqual(m.segments.map((s: { duration: number }) => s.duration), [2, 2, 2, 2]);
    assert.equal(m.targetDuration, 2);
  });

  test("segments: tfdt continuous per track to the tick, first video sample an IDR, mdat bytes from the file", async () => {
    const init = readBoxes(await bytesOf(await get("init.mp4")));
    const ids = find(init, "moov/trak/tkhd").map((b) => new DataView(b.body.buffer, b.body.byteOffset).getUint32(12));
    const next = new Map<number, number>();
    for (let n = 0; n < 4; n++) {
      const res = await get(`seg-${n}.m4s`);
      assert.equal(res.headers.get("content-type"), "video/mp4");
      const bytes = await bytesOf(res);
      const top = readBoxes(bytes);
      assert.deepEqual(top.map((b) => b.type), ["moof", "mdat"]);
      const seq = new DataView(find(top, "moof/mfhd")[0].body.buffer, find(top, "moof/mfhd")[0].body.byteOffset);
      assert.equal(seq.getUint32(4), n + 1, "mfhd sequence");
      const trafs = readTrafs(top[0]);
      assert.deepEqual(trafs.map((t) => t.trackId), ids, "one traf per track, in init order");
      for (const t of trafs) {
        if (next.has(t.trackId)) assert.equal(t.baseTime, next.get(t.trackId), `segment ${n} track ${t.trackId} tfdt`);
        next.set(t.trackId, t.baseTime + t.samples.reduce((a, s) => a + s.duration, 0));
      }
      const video = trafs[0];
      assert.equal(video.samples[0].flags, 0x02000000, "first video sample is a sync sample");
      // The first sample's NAL units (4-byte lengths): non-VCL ones, then an IDR slice (type 5).
      let at = top[0].start + video.dataOffset;
      const end = at + video.samples[0].size;
      const types: number[] = [];
      while (at < end) {
        const len = new DataView(bytes.buffer, bytes.byteOffset + at).getUint32(0);
        types.push(bytes[at + 4] & 0x1f);
        at += 4 + len;
      }
      const firstVcl = types.findIndex((t) => t >= 1 && t <= 5);
      assert.equal(types[firstVcl], 5, `segment ${n}: first slice is IDR (NAL types ${types})`);
      // Every sample's bytes are somewhere in the source (spot check: the first of each track).
      for (const t of trafs) {
        const start = top[0].start + t.dataOffset;
        const sample = bytes.subarray(start, start + t.samples[0].size);
        assert.ok(indexOf(MP4, sample) >= 0, `segment ${n} track ${t.trackId}: first sample is the source's bytes`);
      }
    }
  });

  test("ranges, HEAD and If-None-Match on a segment; ETag strong and tied to the source version", async () => {
    const full = await bytesOf(await get("seg-1.m4s"));
    const part = await get("seg-1.m4s", { headers: { range: "bytes=100-199" } });
    assert.equal(part.status, 206);
    assert.deepEqual(await bytesOf(part), full.subarray(100, 200));
    const head = await get("seg-1.m4s", { method: "HEAD" });
    assert.equal(head.headers.get("content-length"), String(full.length));
    const etag = head.headers.get("etag")!;
    assert.match(etag, /^"[^"]*hls-seg-1[^"]*"$/);
    assert.equal((await get("seg-1.m4s", { headers: { "if-none-match": etag } })).status, 304);
    const changed = await serveHls(new Request("http://x/"), file(MP4, MTIME + 1000), "seg-1.m4s", {
      segmentDuration: 2,
      cache: false,
      response: {},
    });
    assert.notEqual(changed.headers.get("etag"), etag, "a new file version gets a new ETag");
    await changed.body?.cancel();
  });

  test("a playlist's ETag depends on the child query; the query reaches every child URI", async () => {
    const a = await get("media.m3u8", {}, { childQuery: "t=1" });
    const b = await get("media.m3u8", {}, { childQuery: "t=2" });
    assert.notEqual(a.headers.get("etag"), b.headers.get("etag"));
    assert.ok((await a.text()).includes("seg-3.m4s?t=1"));
    await b.body?.cancel();
  });

  test("from a cached package, each child query still gets its own playlist, made once per query", async () => {
    const cache = createHlsCache();
    const texts: string[] = [];
    for (const q of ["t=1", "t=2", "t=1", "t=3", "t=2"]) {
      texts.push(await (await get("media.m3u8", {}, { childQuery: q, cache })).text());
    }
    texts.forEach((t, i) => {
      const q = ["t=1", "t=2", "t=1", "t=3", "t=2"][i];
      assert.ok(t.includes(`seg-3.m4s?${q}\n`), `request ${i} names its own query ${q}`);
      assert.equal(t.match(/\?t=\d/g)!.filter((m) => m !== `?${q}`).length, 0, `request ${i}: no other token`);
    });
    assert.equal(texts[0], texts[2]);
    const seg = (q: string) => get("seg-2.m4s", {}, { childQuery: q, cache }).then(bytesOf);
    assert.deepEqual(await seg("t=1"), await seg("t=2"), "a segment layout kept from one request serves the next");
  });

  test("a cached package reads a segment's first picture once: later requests read only the segment", async () => {
    // Kills: dropping onceVerified (every request for seg-3 would read its first picture again).
    const cache = createHlsCache();
    const reads: { position: number; length: number }[][] = [];
    for (let i = 0; i < 3; i++) {
      const f = file();
      const res = await serveHls(new Request("http://x/gop2.mp4/seg-3.m4s"), f, "seg-3.m4s", {
        segmentDuration: 2,
        cache,
      });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      reads.push(f.reads);
    }
    // The segment's first sample: where the body's first read starts once nothing else is read.
    const first = reads[2][0].position;
    const atFirst = reads.map((r) => r.filter((x) => x.position === first).length);
    assert.deepEqual(atFirst, [2, 1, 1], "reads of the first picture per request: the check's, then only the body's");
  });

  test("master: codecs, resolution and bandwidth from the file", async () => {
    const m = parse(await (await get("master.m3u8")).text());
    const attrs = m.playlists[0].attributes;
    assert.match(attrs.CODECS, /^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
    assert.ok(attrs.BANDWIDTH > 0 && attrs.BANDWIDTH >= Number(attrs["AVERAGE-BANDWIDTH"]));
  });

  test("DASH manifest and per-track resources", async () => {
    const res = await get("manifest.mpd");
    assert.equal(res.headers.get("content-type"), "application/dash+xml");
    const mpd = await res.text();
    assert.match(mpd, /<MPD [^>]*type="static"[^>]*mediaPresentationDuration="PT8\.000S"/);
    const inits = [...mpd.matchAll(/initialization="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(inits.length, 2, "video and audio adaptation sets");
    for (const uri of inits) {
      const init = readBoxes(await bytesOf(await get(uri)));
      assert.equal(find(init, "moov/trak").length, 1, `${uri}: one track`);
    }
    const media = [...mpd.matchAll(/media="([^"]+)"/g)].map((m) => m[1].replace("$Number$", "3"));
    for (const uri of media) {
      const seg = readBoxes(await bytesOf(await get(uri)));
      assert.equal(readTrafs(seg[0]).length, 1, `${uri}: one traf`);
    }
  });

  test("unknown paths 404, other methods 405, every source closed exactly once", async () => {
    const ledger = new CloseLedger();
    for (
      const [sub, method, status] of [
        ["seg-4.m4s", "GET", 404],
        ["seg-x.m4s", "GET", 404],
        ["init-9.mp4", "GET", 404],
        ["media.m3u8", "POST", 405],
        ["media.m3u8", "HEAD", 200],
      ] as const
    ) {
      const res = await serveHls(new Request("http://x/", { method }), ledger.wrap(file()), sub, { cache: false });
      assert.equal(res.status, status, `${method} ${sub}`);
      await res.body?.cancel();
    }
    const two = [ledger.wrap(file()), ledger.wrap(file())];
    await (await serveHls(new Request("http://x/"), two, "b/init.mp4", { names: ["a", "b"], cache: false }))
      .arrayBuffer();
    assert.equal(ledger.closed, ledger.opened);
    assert.equal(ledger.doubleCloses, 0);
  });

  test("a master over renditions: Last-Modified of the newest, an ETag of every source, none when one has none", async () => {
    const master = async (a: number | undefined, b: number | undefined) => {
      const two = [
        countingFile(MP4, { name: "a.mp4", lastModified: a }),
        countingFile(MP4, { name: "b.mp4", lastModified: b }),
      ];
      const res = await serveHls(new Request("http://x/"), two, "master.m3u8", { names: ["a", "b"], cache: false });
      await res.body?.cancel();
      return { etag: res.headers.get("etag"), lastModified: res.headers.get("last-modified") };
    };
    const later = MTIME + 86_400_000;
    const both = await master(MTIME, later);
    assert.equal(both.lastModified, new Date(later).toUTCString());
    assert.equal((await master(later, MTIME)).lastModified, both.lastModified, "the newest, whichever source it is");
    assert.match(both.etag!, /^"[0-9a-z]+-hls-master\.[^"]+"$/);
    assert.notEqual((await master(MTIME, later + 1000)).etag, both.etag, "a new version of either source changes it");
    assert.notEqual((await master(MTIME + 1000, later)).etag, both.etag);
    const one = await master(MTIME, undefined);
    assert.equal(one.etag, null, "a source without a validator: no ETag for what it is part of");
    assert.equal(one.lastModified, null);
  });

  test("hostile and unsupported files answer 422 with a reason, quickly and without huge reads", async () => {
    const truncated = MP4.slice(0, 2000);
    const notMp4 = new TextEncoder().encode("hello world, this is not an mp4 file at all");
    // A moov whose stsz claims 2^31 samples: refused before anything is allocated for them.
    const huge = MP4.slice();
    const at = indexOf(huge, new TextEncoder().encode("stsz"));
    new DataView(huge.buffer).setUint32(at + 12, 0x7fffffff);
    for (const [name, bytes] of [["truncated", truncated], ["text", notMp4], ["stsz count", huge]] as const) {
      const src = countingFile(bytes, { name: "x.mp4", lastModified: MTIME });
      const res = await serveHls(new Request("http://x/"), src, "master.m3u8", { cache: false, indexCache: false });
      assert.equal(res.status, 422, name);
      assert.match(await res.text(), /^cannot package as HLS: /, name);
      const read = src.reads.reduce((n, r) => n + r.length, 0);
      assert.ok(read <= bytes.length + 64, `${name}: read ${read} bytes of ${bytes.length}`);
      assert.equal(src.closes, 1, `${name}: closed`);
    }
  });
});

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

describe("a segment whose first frame is not an IDR although stss says sync", () => {
  /** gop2.mp4 with the IDR at 6 s rewritten as a non-IDR slice (NAL type 5 → 1), the sample tables untouched. */
  async function brokenAtSix(): Promise<Uint8Array<ArrayBuffer>> {
    const bytes = MP4.slice();
    const index = await loadSampleIndex(countingFile(bytes), { cache: false });
    const video = index.tracks.find((t) => t.handler === "vide")!;
    const syncs = [...Array(video.count).keys()].filter((i) => video.isSync(i));
    let at = video.offset(syncs[3]);
    const end = at + video.sizes[syncs[3]];
    for (; at < end; at += 4 + new DataView(bytes.buffer).getUint32(at)) {
      if ((bytes[at + 4] & 0x1f) === 5) break;
    }
    assert.ok(at < end, "an IDR NAL unit in the sample at 6 s");
    bytes[at + 4] = (bytes[at + 4] & 0xe0) | 1;
    return bytes;
  }

  test("the master and the first segments are served; that segment is 422 naming the sample, HLS and DASH", async () => {
    const bytes = await brokenAtSix();
    const ask = (sub: string) =>
      serveHls(new Request(`http://x/gop2.mp4/${sub}`), file(bytes), sub, { segmentDuration: 2, cache: false });
    for (const sub of ["master.m3u8", "seg-0.m4s", "seg-2.m4s"]) {
      const res = await ask(sub);
      await res.arrayBuffer();
      assert.equal(res.status, 200, sub);
    }
    const video = (await loadSampleIndex(countingFile(bytes), { cache: false })).tracks.find((t) =>
      t.handler === "vide"
    )!;
    for (const sub of ["seg-3.m4s", `seg-${video.id}-3.m4s`]) {
      const res = await ask(sub);
      assert.equal(res.status, 422, sub);
      assert.match(
        await res.text(),
        /^cannot package as HLS: track 1: sample \d+, which starts a segment, starts with a non-IDR slice \(NAL type 1\), not a keyframe\n$/,
      );
    }
  });
});
