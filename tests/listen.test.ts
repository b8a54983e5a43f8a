// The servers the project starts (listen(), which the CLI uses), on the wire,
// on whichever runtime runs this file: what any client may send gets a
// complete dated answer (never 500, never silence), every 200/206 keeps an
// exact Content-Length (derived files and --throttle included, which Bun.serve
// loses), a body that fails is cut rather than ended as if complete, and
// close() gives running downloads their grace period.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { listen, type Listening } from "../src/adapters/listen.ts";
import { serveDir } from "../src/adapters/serve.ts";
import { parseHttpDate } from "../src/http/http_date.ts";
import { runtime } from "./helpers/server.ts";
import { rawRequest } from "./helpers/raw_http.ts";
import { getRequest, RawExchange } from "./helpers/raw_exchange.ts";
import { patternBytes } from "./helpers/counting_file.ts";
import { box, concat, FTYP, moov, stco, trak } from "./helpers/mp4_build.ts";
import { MiB } from "./helpers/proc_stats.ts";

const ROOT = mkdtempSync(join(tmpdir(), "ranged-listen-"));
const SMALL = patternBytes(100_000, 3);
// Large enough that a body is still in flight (past the socket buffers) when its file shrinks.
const BIG = patternBytes(24 * MiB, 5);
/** A moov-at-end MP4 with `payload` as its mdat: served in faststart layout, a derived file. */
const moovAtEnd = (payload: Uint8Array) => concat(FTYP, box("mdat", payload), moov(trak(stco([FTYP.length + 8]))));
const MOOV_AT_END = moovAtEnd(BIG);
const MOOV_AT_END_SMALL = moovAtEnd(BIG.subarray(0, 3 * MiB));
const VIEWER = "listen0test0viewer";

let plain: Listening;
let throttled: Listening;
const handler = serveDir(ROOT, { onError: () => {} });

function write(name: string, bytes: Uint8Array): string {
  const path = join(ROOT, name);
  writeFileSync(path, bytes);
  return path;
}

before(async () => {
  write("a.bin", SMALL);
  copyFileSync(fileURLToPath(new URL("./fixtures/moov_at_end.mp4", import.meta.url)), join(ROOT, "clip.mp4"));
  plain = await listen(handler, { port: 0 });
  // Fast enough to keep the suite quick, slow enough that bodies are in flight.
  throttled = await listen(serveDir(ROOT, { throttle: 64 * MiB, onError: () => {} }), { port: 0 });
});
after(async () => {
  await plain.close(0);
  await throttled.close(0);
  rmSync(ROOT, { recursive: true, force: true });
});

/** What the handler itself answers, in process: the bytes the wire must carry. */
async function expected(path: string, range?: string): Promise<{ status: number; body: Uint8Array }> {
  const res = await handler(new Request(`http://x${path}`, { headers: range ? { range } : {} }));
  return { status: res.status, body: new Uint8Array(await res.arrayBuffer()) };
}

function assertDated(headers: Map<string, string>, what: string): void {
  const date = headers.get("date");
  assert.ok(date !== undefined, `${what}: no Date header`);
  assert.ok(parseHttpDate(date) !== undefined, `${what}: Date ${date} is not an HTTP-date`);
}

describe(`listen() on ${runtime}: whatever a client sends gets a complete, dated answer`, () => {
  const cases: [string, string, number][] = [
    ["absolute-form target with a broken authority", "GET http://127.0.0.1:8000../x/a.bin HTTP/1.1\nHost: x", 400],
    ["Host with a slash", "GET /a.bin HTTP/1.1\nHost: ../x", 400],
    ["Host with a space", "GET /a.bin HTTP/1.1\nHost: a b", 400],
    ["Host with an unclosed IPv6 literal", "GET /a.bin HTTP/1.1\nHost: [::1", 400],
    ["a space inside the target", "GET /a b HTTP/1.1\nHost: x", 400],
    ["an unknown method", "BREW /a.bin HTTP/1.1\nHost: x", 501],
    ["a method HTTP defines but the server does not serve", "DELETE /a.bin HTTP/1.1\nHost: x", 405],
    ["HEAD", "HEAD /a.bin HTTP/1.1\nHost: x", 200],
    // Deno.serve hides the version, so listen() on Deno cannot tell this one from HTTP/1.1.
    ["HTTP/1.0 without Host", "GET /a.bin HTTP/1.0", runtime === "deno" ? 400 : 200],
    // RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without Host.
    ["HTTP/1.1 without Host", "GET /a.bin HTTP/1.1", 400],
  ];
  for (const [label, head, status] of cases) {
    test(`${label} → ${status}`, async () => {
      const res = await rawRequest(plain.port, `${head}\nConnection: close`);
      assert.equal(res.status, status, `${label}: ${new TextDecoder().decode(res.raw.subarray(0, 200))}`);
      assertDated(res.headers, label);
      if (status === 405 || status === 501) assert.equal(res.headers.get("allow"), "GET, HEAD", `${label}: Allow`);
      if (status === 200 && head.startsWith("GET")) assert.deepEqual(res.body, SMALL, `${label}: body bytes`);
      if (head.startsWith("HEAD")) {
        assert.equal(res.headers.get("content-length"), String(SMALL.length), "HEAD: Content-Length");
        assert.equal(res.body.length, 0, "HEAD: no body");
      }
    });
  }

  test("the server still answers after all of them", async () => {
    const res = await rawRequest(plain.port, "GET /a.bin HTTP/1.1\nHost: x\nConnection: close");
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, SMALL, "body bytes");
  });
});

describe(`listen() on ${runtime}: exact Content-Length on every 200 and 206`, () => {
  before(() => void write("big_moov_at_end.mp4", MOOV_AT_END_SMALL));
  const requests: [string, string, string | undefined][] = [
    ["derived (faststart) file, plain GET", "/big_moov_at_end.mp4", undefined],
    ["derived file, bytes=0-", "/big_moov_at_end.mp4", "bytes=0-"],
    ["derived file, open range from the middle", "/big_moov_at_end.mp4", `bytes=${MiB}-`],
    ["derived file, range inside the rewritten moov", "/big_moov_at_end.mp4", "bytes=30-200"],
    ["derived file with a viewer (tracked body)", `/big_moov_at_end.mp4?viewer=${VIEWER}`, "bytes=100-"],
    ["small derived file (fixture)", "/clip.mp4", undefined],
  ];
  for (const [server, name] of [[() => plain, "plain"], [() => throttled, "--throttle"]] as const) {
    for (const [label, path, range] of requests) {
      test(`${name}: ${label}`, async () => {
        const want = await expected(path, range);
        const res = await rawRequest(
          server().port,
          `GET ${path} HTTP/1.1\nHost: x\nConnection: close${range ? `\nRange: ${range}` : ""}`,
          60_000,
        );
        assert.equal(res.status, want.status, "status");
        assert.equal(res.headers.get("transfer-encoding"), undefined, `${label}: sent chunked`);
        assert.equal(res.headers.get("content-length"), String(want.body.length), `${label}: Content-Length`);
        assertDated(res.headers, label);
        assert.deepEqual(res.body, want.body, `${label}: body bytes`);
      });
    }
  }
  test("the derived file really is the faststart layout (moov before mdat)", async () => {
    const { body } = await expected("/big_moov_at_end.mp4");
    assert.equal(body.length, MOOV_AT_END_SMALL.length);
    assert.equal(new TextDecoder().decode(body.subarray(FTYP.length + 4, FTYP.length + 8)), "moov");
  });
});

describe(`listen() on ${runtime}: a body that fails is cut, never ended as complete`, () => {
  // Each wrapper the directory server puts around a file body: none, the
  // viewer's range tracking, the throttle, and a derived (faststart) file.
  const cases: [string, () => Listening, string, Uint8Array, string][] = [
    ["plain file", () => plain, "trunc-plain.bin", BIG, ""],
    ["tracked body (?viewer=)", () => plain, "trunc-tracked.bin", BIG, `?viewer=${VIEWER}`],
    ["throttled body", () => throttled, "trunc-throttled.bin", BIG, ""],
    ["derived file", () => plain, "trunc-derived.mp4", MOOV_AT_END, ""],
  ];
  for (const [label, server, name, bytes, query] of cases) {
    test(label, async () => {
      const path = write(name, bytes);
      const want = (await expected(`/${name}`)).body;
      const ex = new RawExchange(server().port, getRequest(`/${name}${query}`));
      const head = await ex.head;
      assert.equal(head.status, 200);
      await ex.waitForBody(1);
      ex.pause();
      truncateSync(path, 2 * MiB);
      ex.resume();
      const timer = setTimeout(() => ex.destroy(), 30_000);
      await ex.closed;
      clearTimeout(timer);
      const body = ex.body();
      assert.equal(ex.complete, false, `${label}: a ${body.length}-byte body was framed as complete`);
      assert.ok(body.length < want.length, `${label}: ${body.length} of ${want.length} bytes`);
      assert.deepEqual(body, want.subarray(0, body.length), `${label}: bytes the file does not hold`);
    });
  }
});

describe(`listen() on ${runtime}: close() lets running downloads finish within the grace period`, () => {
  test("a download paused before close() completes after it", async () => {
    const server = await listen(handler, { port: 0 });
    write("grace.bin", BIG);
    const ex = new RawExchange(server.port, getRequest("/grace.bin"), { keepBody: false });
    const head = await ex.head;
    assert.equal(head.status, 200);
    await ex.waitForBody(1);
    ex.pause();
    const closed = server.close(20_000);
    ex.resume();
    await ex.closed;
    await closed;
    assert.equal(ex.bodyLength, BIG.length, "bytes received before the server cut the download");
    assert.equal(ex.complete, true, "download cut at shutdown");
  });
});
