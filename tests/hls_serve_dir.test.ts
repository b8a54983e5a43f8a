// The HLS route of serveDir: which URLs it answers, sidecar subtitles, a folder of renditions,
// `hls: false`, and the index page's links.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Parser } from "m3u8-parser";
import { serveDir } from "../src/adapters/serve.ts";
import { sidecarSubtitles } from "../src/server/sidecars.ts";

const tmp = mkdtempSync(join(tmpdir(), "ranged-hls-dir-"));
const FIXTURE = new URL("./fixtures/gop2.mp4", import.meta.url);
copyFileSync(FIXTURE, join(tmp, "movie.mp4"));
writeFileSync(join(tmp, "movie.en.vtt"), "WEBVTT\n\n00:00.000 --> 00:01.000\nhello\n");
writeFileSync(join(tmp, "movie.vtt"), "WEBVTT\n");
writeFileSync(join(tmp, "notes.txt"), "not a video");
mkdirSync(join(tmp, "ladder"));
// The same file twice is the simplest pair of renditions whose keyframes align.
copyFileSync(FIXTURE, join(tmp, "ladder", "hi.mp4"));
copyFileSync(FIXTURE, join(tmp, "ladder", "lo.mp4"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const on = serveDir(tmp, { hlsSegmentDuration: 2 });
const off = serveDir(tmp, { hls: false });
const get = (handler: typeof on, path: string) => handler(new Request(`http://x${path}`));

// deno-lint-ignore no-explicit-any
function parse(text: string): any {
  const p = new Parser();
  p.push(text);
  p.end();
  return p.manifest;
}

test("FILE.mp4/master.m3u8 and its children answer; subtitles from sidecars", async () => {
  const res = await get(on, "/movie.mp4/master.m3u8");
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.match(text, /#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="Subtitles",DEFAULT=YES/);
  assert.match(text, /#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="en",LANGUAGE="en",DEFAULT=NO/);
  assert.match(text, /SUBTITLES="subs"/);
  const subs = parse(await (await get(on, "/movie.mp4/subs-1.m3u8")).text());
  assert.equal(subs.segments[0].uri, "../movie.en.vtt");
  assert.equal(subs.segments[0].duration, 8);
  const vtt = await get(on, new URL(subs.segments[0].uri, "http://x/movie.mp4/subs-1.m3u8").pathname);
  assert.match(await vtt.text(), /hello/, "the subtitle URI resolves to the sidecar file");
  for (const sub of ["media.m3u8", "init.mp4", "seg-3.m4s", "manifest.mpd"]) {
    const r = await get(on, `/movie.mp4/${sub}`);
    assert.equal(r.status, 200, sub);
    await r.arrayBuffer();
  }
});

test("the playlist request's query follows to every child URI", async () => {
  const master = parse(await (await get(on, "/movie.mp4/master.m3u8?token=abc")).text());
  assert.equal(master.playlists[0].uri, "media.m3u8?token=abc");
});

test("a folder of renditions: one variant per MP4, named without the extension", async () => {
  const master = parse(await (await get(on, "/ladder/master.m3u8")).text());
  assert.deepEqual(master.playlists.map((p: { uri: string }) => p.uri), ["hi/media.m3u8", "lo/media.m3u8"]);
  const seg = await get(on, "/ladder/lo/seg-1.m4s");
  assert.equal(seg.status, 200);
  assert.equal(seg.headers.get("content-type"), "video/mp4");
  await seg.arrayBuffer();
});

test("paths that are not HLS resources fall through to 404, like any missing path", async () => {
  for (const path of ["/movie.mp4/x", "/movie.mp4/seg-99.m4s", "/notes.txt/master.m3u8", "/ladder/mid/media.m3u8"]) {
    const res = await get(on, path);
    assert.equal(res.status, 404, path);
    await res.arrayBuffer();
  }
});

test("hls: false turns the views off", async () => {
  const res = await get(off, "/movie.mp4/master.m3u8");
  assert.equal(res.status, 404);
  await res.arrayBuffer();
  const index = await (await get(off, "/")).text();
  assert.ok(!index.includes("master.m3u8"));
});

test("the index page links each video's HLS master", async () => {
  const index = await (await get(on, "/")).text();
  assert.match(index, /href="\/movie\.mp4\/master\.m3u8"/);
  assert.ok(!index.includes("notes.txt/master.m3u8"));
});

test("sidecar names: the stem, then an optional language tag, then .vtt", () => {
  const names = [
    "movie.vtt",
    "movie.en.vtt",
    "movie.pt-BR.vtt",
    "movie.mp4",
    "movies.vtt",
    "movie.not a tag.vtt",
    "other.vtt",
  ];
  assert.deepEqual(sidecarSubtitles("movie", names).map((s) => [s.file, s.language]), [
    ["movie.vtt", undefined],
    ["movie.en.vtt", "en"],
    ["movie.pt-BR.vtt", "pt-BR"],
  ]);
});
