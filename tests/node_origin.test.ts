// nodeFetch: fromUrl's opt-in node:http client. Bytes exact through fromUrl
// (whole, a range, across a redirect), and a cancelled body closes the
// origin's socket (node:http exists on all three runtimes).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { fromUrl } from "../src/adapters/http_origin.ts";
import { nodeFetch } from "../src/adapters/node_origin.ts";
import { toNodeListener } from "../src/adapters/node_http.ts";
import { fromBytes } from "../src/http/file_like.ts";
import { handleVideo } from "../src/http/handler.ts";
import { patternBytes } from "./helpers/counting_file.ts";
import { startNodeServer, type TestServer } from "./helpers/server.ts";

const SEED = 11;
const DATA = patternBytes(8 * 1024 * 1024, SEED);
const ETAG = '"n1"';

async function bytesOf(body: ReadableStream<Uint8Array> | undefined | null): Promise<Uint8Array> {
  assert.ok(body, "a body");
  return new Uint8Array(await new Response(body).arrayBuffer());
}

describe("nodeFetch as fromUrl's client", () => {
  let origin: TestServer;
  const sockets = new Set<Socket>();
  const seen: string[] = [];
  before(async () => {
    console.log(`nodeFetch: ${DATA.length} pattern bytes, seed ${SEED}`);
    const listener = toNodeListener((req) => {
      const path = new URL(req.url).pathname;
      seen.push(`${path} ${req.headers.get("range")} auth=${req.headers.get("authorization")}`);
      if (path === "/moved.mp4") return new Response(null, { status: 302, headers: { location: "/movie.mp4" } });
      return handleVideo(req, fromBytes(DATA, { name: "movie.mp4", etag: ETAG }));
    });
    origin = await startNodeServer((req, res) => {
      sockets.add(req.socket);
      req.socket.once("close", () => sockets.delete(req.socket));
      listener(req, res);
    });
  });
  after(() => origin.close());

  test("a whole download, a range and a redirect: bytes exact, validators passed on", async () => {
    seen.length = 0;
    const whole = await fromUrl(origin.url + "/movie.mp4", { fetch: nodeFetch });
    assert.equal(whole.size, DATA.length);
    assert.equal(whole.etag, ETAG);
    assert.deepEqual(await bytesOf(whole.stream!(0, DATA.length - 1)), DATA);

    const request = new Request("http://edge.test/movie.mp4", { headers: { range: "bytes=1000000-2999999" } });
    const part = await fromUrl(origin.url + "/movie.mp4", { fetch: nodeFetch, request });
    const res = handleVideo(request, part);
    assert.equal(res.status, 206);
    assert.deepEqual(await bytesOf(res.body!), DATA.subarray(1000000, 3000000));

    const moved = await fromUrl(origin.url + "/moved.mp4", { fetch: nodeFetch, headers: { authorization: "t" } });
    assert.deepEqual(await bytesOf(moved.stream!(5, 99)), DATA.subarray(5, 100));
    // A same-origin redirect keeps the credentials, as fetch does.
    assert.deepEqual(seen.slice(-2), ["/moved.mp4 bytes=0-4194303 auth=t", "/movie.mp4 bytes=0-4194303 auth=t"]);
  });

  test("cancelling the body closes the origin's socket; a finished one stays for reuse", async () => {
    const file = await fromUrl(origin.url + "/movie.mp4", { fetch: nodeFetch });
    await bytesOf(file.stream!(0, 9));
    // Keep-alive: the short answer's connection is still open, idle in the agent.
    const idle = sockets.size;
    assert.ok(idle >= 1, "a finished answer leaves its connection open for the next request");

    const res = await nodeFetch(origin.url + "/movie.mp4", { headers: { range: "bytes=0-" } });
    assert.equal(res.status, 206);
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.ok(first.value && first.value.length > 0);
    const open = sockets.size;
    await reader.cancel();
    // Counted, not timed: wait turn by turn until the server sees the socket close.
    for (let i = 0; i < 400 && sockets.size >= open; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(sockets.size, open - 1, "the cancelled body's connection was destroyed");
  });

  test("an abort before the answer rejects with the signal's reason", async () => {
    const stop = new AbortController();
    stop.abort(new Error("stop"));
    await assert.rejects(nodeFetch(origin.url + "/movie.mp4", { signal: stop.signal }), /stop/);
  });
});
