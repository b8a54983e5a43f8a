// A CDN in front of stateless ranged instances, with real nginx:
//   viewer -> nginx proxy_cache + slice 1m -> ranged A | ranged B -> nginx origin
// The second viewer's ranges are served from the cache ($upstream_cache_status
// HIT in nginx's log, no request reaching ranged), slices fetched from two
// instances carry one ETag (the origin's, so the slice module accepts them),
// and manifests are revalidated rather than cached.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromUrl } from "../../src/adapters/http_origin.ts";
import { handleVideo } from "../../src/http/handler.ts";
import { CACHE_IMMUTABLE, CACHE_REVALIDATE, cacheControlFor } from "../../src/http/cache_control.ts";
import { patternBytes } from "../helpers/counting_file.ts";
import { runtime, startServer, type TestServer } from "../helpers/server.ts";
import { logLines, type Nginx, startNginx } from "./_nginx.ts";

const MiB = 1024 * 1024;
const MOVIE = patternBytes(5 * MiB + 54321, 3);
const PLAYLIST = "#EXTM3U\n#EXT-X-VERSION:7\n#EXTINF:4,\nseg0.m4s\n";
const WWW = mkdtempSync(join(tmpdir(), "ranged-www-"));
let origin: Nginx;
let cache: Nginx;
const instances: TestServer[] = [];
const hits = [0, 0];

/** The cache config this test proves, as documented in docs/SCALING.md. */
function cacheConfig(port: number, dir: string, upstreams: number[]): string {
  return `
    proxy_cache_path ${dir}/cache levels=1:2 keys_zone=ranged:10m max_size=1g inactive=7d use_temp_path=off;
    upstream ranged {
      ${upstreams.map((p) => `server 127.0.0.1:${p};`).join("\n      ")}
      keepalive 16;
    }
    log_format cache '$uri "$http_range" $status $upstream_cache_status "$slice_range" $upstream_addr';
    server {
      listen 127.0.0.1:${port};
      access_log ${dir}/access.log cache;
      log_subrequest on;               # one log line per slice, not only per viewer request
      location / {                     # no proxy_cache_valid: ranged's Cache-Control decides
        slice 1m;                      # fetch and cache 1 MiB slices, whatever range the viewer asks
        proxy_cache ranged;
        proxy_cache_key $uri$is_args$args$slice_range;
        proxy_set_header Range $slice_range;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_cache_revalidate on;     # stale entries are refreshed with If-None-Match -> 304
        proxy_cache_lock on;           # one origin fetch per slice when viewers arrive together
        proxy_pass http://ranged;
      }
    }`;
}

before(async () => {
  writeFileSync(join(WWW, "movie.mp4"), MOVIE);
  writeFileSync(join(WWW, "index.m3u8"), PLAYLIST);
  for (const f of ["movie.mp4", "index.m3u8"]) utimesSync(join(WWW, f), 1700000000, 1700000000);
  origin = await startNginx((port, dir) => `
    server { listen 127.0.0.1:${port}; access_log ${dir}/access.log; root ${WWW}; }`);
  for (const i of [0, 1]) {
    instances.push(
      await startServer(async (req) => {
        hits[i]++;
        const path = new URL(req.url).pathname;
        const file = await fromUrl(origin.url + path, { request: req, signal: req.signal, blockSize: MiB });
        return handleVideo(req, file, { cacheControl: cacheControlFor(path) });
      }),
    );
  }
  cache = await startNginx((port, dir) => cacheConfig(port, dir, instances.map((s) => s.port)));
});

after(async () => {
  await cache?.stop();
  for (const s of instances) await s.close();
  await origin?.stop();
  rmSync(WWW, { recursive: true, force: true });
});

async function view(path: string, range?: string) {
  const res = await fetch(cache.url + path, { headers: range ? { range } : {} });
  return { res, body: new Uint8Array(await res.arrayBuffer()) };
}

/** Log lines written since `mark`, once `n` of them are in. */
async function since(mark: number, n: number) {
  return (await logLines(cache, () => true, mark + n)).slice(mark);
}

describe(`nginx proxy_cache + slice in front of ranged on ${runtime}`, () => {
  const slices = Math.ceil(MOVIE.length / MiB);

  test("first viewer: slices MISS and come from both instances with one ETag", async () => {
    const mark = cache.log().length;
    const { res, body } = await view("/movie.mp4", "bytes=0-");
    assert.equal(res.status, 206);
    assert.deepEqual(body, MOVIE);
    assert.equal(res.headers.get("cache-control"), CACHE_IMMUTABLE);
    assert.equal(res.headers.get("vary"), null);
    const lines = await since(mark, slices);
    assert.equal(lines.length, slices, lines.join("\n"));
    assert.ok(lines.every((l) => / MISS /.test(l)), lines.join("\n"));
    // Round robin put slices on both instances; nginx's slice module would
    // have failed the response on an ETag mismatch between them.
    assert.ok(hits[0] > 0 && hits[1] > 0, `instances served ${hits}`);
    assert.equal(new Set(lines.map((l) => l.split(" ").at(-1))).size, 2, "two upstream addresses");
  });

  test("second viewer: every slice is a cache HIT and no request reaches ranged", async () => {
    const before = hits[0] + hits[1];
    const mark = cache.log().length;
    const { res, body } = await view("/movie.mp4", "bytes=0-");
    assert.equal(res.status, 206);
    assert.deepEqual(body, MOVIE);
    const lines = await since(mark, slices);
    assert.equal(lines.length, slices);
    assert.ok(lines.every((l) => / HIT /.test(l)), lines.join("\n"));
    assert.equal(hits[0] + hits[1], before);
  });

  test("a seek by the second viewer is served from cached slices", async () => {
    const before = hits[0] + hits[1];
    const mark = cache.log().length;
    const { res, body } = await view("/movie.mp4", "bytes=2500000-3600000");
    assert.equal(res.status, 206);
    assert.equal(res.headers.get("content-range"), `bytes 2500000-3600000/${MOVIE.length}`);
    assert.deepEqual(body, MOVIE.subarray(2500000, 3600001));
    const lines = await since(mark, 2);
    assert.ok(lines.length >= 2 && lines.every((l) => / HIT /.test(l)), lines.join("\n"));
    assert.equal(hits[0] + hits[1], before);
  });

  test("manifests revalidate: never a HIT, every viewer reaches ranged", async () => {
    for (let i = 0; i < 2; i++) {
      const before = hits[0] + hits[1];
      const mark = cache.log().length;
      const { res, body } = await view("/index.m3u8");
      assert.equal(res.status, 200);
      assert.equal(new TextDecoder().decode(body), PLAYLIST);
      assert.equal(res.headers.get("cache-control"), CACHE_REVALIDATE);
      const [line] = await since(mark, 1);
      assert.doesNotMatch(line, / HIT /);
      assert.equal(hits[0] + hits[1], before + 1);
    }
  });
});
