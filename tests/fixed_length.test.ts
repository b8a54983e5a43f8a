// Small fixed answers (404, 400, 405, a clip link, an empty 200) carry an
// exact Content-Length on the wire, never chunked framing, through listen()
// and through the node:http bridge (toNodeListener over a plain Fetch
// handler), on whichever runtime runs this file; HEAD gets the same headers
// and no body; 204 and 304 get neither a length nor a body.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { listen, type Listening } from "../src/adapters/listen.ts";
import { toNodeListener } from "../src/adapters/node_http.ts";
import { serveDir } from "../src/adapters/serve.ts";
import { textResponse } from "../src/http/text_response.ts";
import { rawRequest, type RawResponse } from "./helpers/raw_http.ts";
import { patternBytes } from "./helpers/counting_file.ts";
import { runtime } from "./helpers/server.ts";

const ROOT = mkdtempSync(join(tmpdir(), "ranged-fixedlen-"));
const handler = serveDir(ROOT, { onError: () => {} });
/** serveDir behind a plain Fetch handler (no `.route`): toNodeListener takes the Fetch bridge for it. */
const fetchOnly = (req: Request): Promise<Response> | Response => {
  const path = new URL(req.url).pathname;
  if (path === "/empty") return new Response(null);
  if (path === "/no-content") return new Response(null, { status: 204 });
  return handler(req);
};
let listening: Listening;
let bridge: Server;
let bridgePort: number;

before(async () => {
  writeFileSync(join(ROOT, "a.bin"), patternBytes(5000, 2));
  copyFileSync(fileURLToPath(new URL("./fixtures/moov_at_end.mp4", import.meta.url)), join(ROOT, "clip.mp4"));
  listening = await listen(handler, { port: 0 });
  bridge = createServer(toNodeListener(fetchOnly));
  await new Promise<void>((resolve) => bridge.listen(0, "127.0.0.1", resolve));
  bridgePort = (bridge.address() as AddressInfo).port;
});
after(async () => {
  await listening.close(0);
  bridge.closeAllConnections();
  await new Promise((resolve) => bridge.close(resolve));
  rmSync(ROOT, { recursive: true, force: true });
});

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const ask = (port: number, head: string) => rawRequest(port, `${head}\nConnection: close`);

/** The answer is framed by an exact Content-Length of its body, not chunked. */
function assertFixed(res: RawResponse, body: string, what: string): void {
  assert.equal(res.headers.get("transfer-encoding"), undefined, `${what}: not chunked`);
  assert.equal(res.headers.get("content-length"), String(new TextEncoder().encode(body).length), `${what}: length`);
  assert.equal(text(res.body), body, `${what}: body`);
}

/** GET and HEAD of `target`: the same status and headers (but Date), the body only on GET. */
async function assertGetAndHead(port: number, target: string, status: number, body: string): Promise<void> {
  const get = await ask(port, `GET ${target} HTTP/1.1\nHost: x`);
  assert.equal(get.status, status, `GET ${target}: ${text(get.raw.subarray(0, 300))}`);
  assertFixed(get, body, `GET ${target}`);
  const head = await ask(port, `HEAD ${target} HTTP/1.1\nHost: x`);
  get.headers.delete("date");
  head.headers.delete("date");
  assert.equal(head.status, status);
  assert.deepEqual(head.headers, get.headers, `HEAD ${target}: the headers of GET`);
  assert.equal(head.body.length, 0, `HEAD ${target}: no body`);
}

const servers: [string, () => number][] = [
  ["listen(serveDir)", () => listening.port],
  ["toNodeListener(Fetch handler)", () => bridgePort],
];

for (const [name, port] of servers) {
  describe(`fixed answers through ${name} on ${runtime}`, () => {
    test("404: Content-Length 9, GET and HEAD alike", () => assertGetAndHead(port(), "/missing.bin", 404, "Not Found"));

    test("a clip link: its exact length, GET and HEAD alike", async () => {
      await assertGetAndHead(port(), "/clip.mp4?clip-link=0.5", 200, "/clip.mp4?start=0.500");
    });

    test("400 for a Host with a slash: its exact length", async () => {
      assertFixed(await ask(port(), "GET /a.bin HTTP/1.1\nHost: ../x"), "Bad Request", "400");
    });

    test("405: Content-Length 0, no body", async () => {
      const res = await ask(port(), "DELETE /a.bin HTTP/1.1\nHost: x");
      assert.equal(res.status, 405);
      assertFixed(res, "", "405");
    });

    test("304: neither a length nor a body", async () => {
      const etag = (await ask(port(), "HEAD /a.bin HTTP/1.1\nHost: x")).headers.get("etag")!;
      const res = await ask(port(), `GET /a.bin HTTP/1.1\nHost: x\nIf-None-Match: ${etag}`);
      assert.equal(res.status, 304);
      assert.equal(res.headers.get("transfer-encoding"), undefined);
      assert.equal(res.headers.get("content-length"), undefined);
      assert.equal(res.body.length, 0);
    });
  });
}

describe(`the node:http bridge on ${runtime}: responses without a body`, () => {
  test("an empty 200 says Content-Length: 0 rather than an empty chunked body", async () => {
    const res = await ask(bridgePort, "GET /empty HTTP/1.1\nHost: x");
    assert.equal(res.status, 200);
    assertFixed(res, "", "empty 200");
  });

  test("204: neither a length nor a body", async () => {
    const res = await ask(bridgePort, "GET /no-content HTTP/1.1\nHost: x");
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("transfer-encoding"), undefined);
    assert.equal(res.headers.get("content-length"), undefined);
    assert.equal(res.raw.length, text(res.raw).indexOf("\r\n\r\n") + 4, "nothing after the head");
  });
});

test("textResponse: the UTF-8 length, the caller's headers, no body for HEAD", async () => {
  const res = textResponse(404, "Non trouvé", { "cache-control": "no-store" });
  assert.equal(res.headers.get("content-length"), "11");
  assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8");
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.equal(await res.text(), "Non trouvé");
  const head = textResponse(200, "abc", {}, { head: true });
  assert.equal(head.headers.get("content-length"), "3");
  assert.equal(head.body, null);
});
