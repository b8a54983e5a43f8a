// A Cloudflare Worker that serves R2 objects only to signed, expiring URLs
// (the ones `signUrl` mints, or any backend following the README's recipe):
// the signature is checked before R2 is asked anything, so a refused
// request costs one HMAC and says nothing about what the bucket holds.
//
// wrangler.toml as for worker.ts, with `main = "examples/worker/signed.ts"`,
// and the secrets set with `wrangler secret put URL_SECRETS` (comma-separated,
// newest first: the first signs, all verify, so keys rotate without a gap).
//
// Locally, on the real workerd runtime:
//   RANGED_URL_SECRETS=… npx tsx examples/worker/serve.ts samples/ --signed
import { FileNotFoundError, handleVideo, type UrlSigner, urlSigner } from "../../mod.ts";
import { fromR2, type R2BucketLike } from "../../src/adapters/r2.ts";
import { fixedLength } from "../../src/adapters/workers.ts";

/** The bindings this Worker expects. */
export interface Env {
  VIDEOS: R2BucketLike;
  /** Comma-separated secrets, newest first. */
  URL_SECRETS: string;
}

// Keys are imported once per isolate, not per request.
let cached: { secrets: string; signer: UrlSigner } | undefined;
function signerFor(env: Env): UrlSigner {
  if (cached?.secrets !== env.URL_SECRETS) {
    cached = { secrets: env.URL_SECRETS, signer: urlSigner({ secrets: env.URL_SECRETS.split(",") }) };
  }
  return cached.signer;
}

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    if (req.method !== "GET" && req.method !== "HEAD") return new Response(null, { status: 405 });
    const url = new URL(req.url);
    const check = await signerFor(env).verify(url);
    // One answer for every refusal; an expired link gets 403 too (410 would be cached as "gone for everyone").
    if (!check.ok) return new Response("Forbidden\n", { status: 403, headers: { "cache-control": "no-store" } });
    let key: string;
    try {
      key = decodeURIComponent(url.pathname.slice(1));
    } catch {
      return new Response("bad path\n", { status: 400 });
    }
    try {
      const file = await fromR2(env.VIDEOS, key, { request: req, signal: req.signal });
      // The viewer's browser may keep what it was let in to; a shared cache, keyed on one viewer's token, nothing.
      return fixedLength(handleVideo(req, file, { cacheControl: "private, max-age=3600" }));
    } catch (err) {
      if (err instanceof FileNotFoundError) return new Response("not found\n", { status: 404 });
      throw err;
    }
  },
};
