// A Cloudflare Worker that serves videos from an R2 bucket with ranged:
// full RFC 9110 ranges and conditionals, validators from R2 (the same on
// every edge location), and cache presets so Cloudflare's cache and
// browsers keep segments for long and revalidate manifests.
//
// wrangler.toml:
//   main = "examples/worker/worker.ts"
//   compatibility_date = "2025-04-01"
//   [[r2_buckets]]
//   binding = "VIDEOS"
//   bucket_name = "my-videos"
//
// Locally, on the real workerd runtime: `npx tsx examples/worker/serve.ts samples/`.
import { cacheControlFor, FileNotFoundError, handleVideo } from "../../mod.ts";
import { fromR2, type R2BucketLike } from "../../src/adapters/r2.ts";
import { fixedLength } from "../../src/adapters/workers.ts";

/** The bindings this Worker expects. */
export interface Env {
  VIDEOS: R2BucketLike;
}

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const url = new URL(req.url);
    // Default: a file of samples/, what the local runner (serve.ts) loads into the bucket.
    if (url.pathname === "/") return playerPage(url.searchParams.get("v") ?? "testsrc-faststart.mp4");
    let key: string;
    try {
      key = decodeURIComponent(url.pathname.slice(1));
    } catch {
      return new Response("bad path\n", { status: 400 });
    }
    try {
      // The client's request tells fromR2 where the first read will be: one
      // R2 get both learns the size and fetches those bytes.
      const file = await fromR2(env.VIDEOS, key, { request: req, signal: req.signal });
      const res = handleVideo(req, file, {
        cacheControl: cacheControlFor(key),
        // A fixed `*` needs no `Vary: Origin`, so the CDN keeps one copy.
        headers: { "access-control-allow-origin": "*" },
      });
      // workerd would send the stream chunked; keep the exact Content-Length.
      return fixedLength(res);
    } catch (err) {
      if (err instanceof FileNotFoundError) return new Response("not found\n", { status: 404 });
      throw err;
    }
  },
};

function playerPage(key: string): Response {
  const src = "/" + key.split("/").map(encodeURIComponent).join("/");
  const escaped = src.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const html = `<!doctype html><meta charset="utf-8"><title>ranged on Workers</title>
<video id="v" src="${escaped}" controls muted playsinline preload="metadata" style="max-width:100%"></video>`;
  return new Response(html, { headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" } });
}
