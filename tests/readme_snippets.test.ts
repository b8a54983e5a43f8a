// The README's code, run as written (imports pointed at this checkout): what
// a reader copies must do what the text next to it says.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileUrl, fromUrlSnippet, MOVIE, startOrigin } from "./helpers/doc_snippets.ts";

test("README fromUrl snippet: a missing object is 404, an existing one is served with its ranges", async () => {
  const origin = await startOrigin();
  try {
    let handler: ((req: Request) => Promise<Response>) | undefined;
    (globalThis as { __snippetServe?: unknown }).__snippetServe = (h: typeof handler) => (handler = h);
    await import(fileUrl(fromUrlSnippet(origin.url, "(globalThis as any).__snippetServe(")));
    assert.ok(handler, "the snippet hands a handler to Deno.serve");

    const missing = await handler(new Request("http://app.test/missing.mp4"));
    assert.equal(missing.status, 404, "an object missing at the origin is 404, as the README says");
    await missing.body?.cancel();

    const part = await handler(new Request("http://app.test/movie.mp4", { headers: { range: "bytes=100-199" } }));
    assert.equal(part.status, 206, "a Range request is 206");
    assert.equal(part.headers.get("content-range"), `bytes 100-199/${MOVIE.length}`, "Content-Range");
    assert.deepEqual(new Uint8Array(await part.arrayBuffer()), MOVIE.slice(100, 200), "the origin's bytes 100-199");

    const whole = await handler(new Request("http://app.test/movie.mp4"));
    assert.equal(whole.status, 200, "a plain GET is 200");
    assert.deepEqual(new Uint8Array(await whole.arrayBuffer()), MOVIE, "the whole object");
  } finally {
    await origin.close();
  }
});
