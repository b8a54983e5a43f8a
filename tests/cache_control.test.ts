// Cache-Control presets and what a CDN sees: the preset on 200, 206 and
// 304, stable validators, and no Vary.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CACHE_IMMUTABLE,
  CACHE_MEDIA,
  CACHE_NO_STORE,
  CACHE_REVALIDATE,
  cacheControlFor,
} from "../src/http/cache_control.ts";
import { handleVideo } from "../src/http/handler.ts";
import { fromBytes } from "../src/http/file_like.ts";

test("presets say what they mean", () => {
  assert.equal(CACHE_IMMUTABLE, "public, max-age=31536000, immutable");
  assert.match(CACHE_MEDIA, /^public, max-age=86400\b/);
  assert.equal(CACHE_REVALIDATE, "public, no-cache");
  assert.equal(CACHE_NO_STORE, "no-store");
});

test("cacheControlFor: manifests revalidate, media is long-lived", () => {
  for (const name of ["index.m3u8", "live/INDEX.M3U8", "stream.mpd", "a.m3u8?token=1", "list.m3u"]) {
    assert.equal(cacheControlFor(name), CACHE_REVALIDATE, name);
  }
  for (const name of ["movie.mp4", "seg_001.m4s", "seg.ts", "init.mp4", "subs.vtt", "m3u8.mp4", "a.mp4#t=10"]) {
    assert.equal(cacheControlFor(name), CACHE_IMMUTABLE, name);
  }
  assert.equal(cacheControlFor("movie.mp4", { immutable: false }), CACHE_MEDIA);
  assert.equal(cacheControlFor("index.m3u8", { immutable: false }), CACHE_REVALIDATE);
});

test("206 and 304 carry the preset and the same validators as 200; no Vary", () => {
  const data = new Uint8Array(1000).fill(1);
  const meta = { name: "movie.mp4", etag: '"origin-etag"', lastModified: Date.UTC(2024, 0, 1) };
  const cacheControl = cacheControlFor("movie.mp4");
  const full = handleVideo(new Request("http://x/movie.mp4"), fromBytes(data, meta), { cacheControl });
  const part = handleVideo(
    new Request("http://x/movie.mp4", { headers: { range: "bytes=10-19" } }),
    fromBytes(data, meta),
    { cacheControl },
  );
  const notModified = handleVideo(
    new Request("http://x/movie.mp4", { headers: { "if-none-match": '"origin-etag"' } }),
    fromBytes(data, meta),
    { cacheControl },
  );
  assert.deepEqual([full.status, part.status, notModified.status], [200, 206, 304]);
  for (const res of [full, part, notModified]) {
    assert.equal(res.headers.get("cache-control"), CACHE_IMMUTABLE);
    assert.equal(res.headers.get("etag"), '"origin-etag"');
    assert.equal(res.headers.get("vary"), null, "nothing is negotiated, so nothing varies");
    res.body?.cancel();
  }
});
