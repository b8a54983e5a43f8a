// The directory server on node:http (what listen() runs on Node and Bun):
// file answers go out through the node:http writer without one Fetch object
// (Request, Response, Headers, ReadableStream constructions counted), with
// the same bytes and headers as the Fetch handler for every kind of file
// answer (whole, range, multipart, HEAD, 304, 416, faststart layout, clip,
// throttled), the live range map fed, and the access log written in batches
// with one line per request. Pages and errors still go through Fetch.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { accessLog } from "../src/adapters/access_log.ts";
import { listen, type Listening } from "../src/adapters/listen.ts";
import { toNodeListener } from "../src/adapters/node_http.ts";
import { serveDir } from "../src/adapters/serve.ts";
import { patternBytes } from "./helpers/counting_file.ts";
import { MiB, openFds, waitUntil } from "./helpers/proc_stats.ts";
import { portableDirFs } from "../src/adapters/fs_dir.ts";
import { runtime } from "./helpers/server.ts";

const ROOT = mkdtempSync(join(tmpdir(), "ranged-nodedir-"));
const DATA = patternBytes(300_000, 7);
const VIEWER = "nodedir0test0viewer";
const shutdown = new AbortController();
const logged: string[] = [];
let writes = 0;
const log = accessLog({
  write: (text, done) => {
    writes++;
    logged.push(...text.split("\n").filter((l) => l !== ""));
    done();
  },
  maxBytes: 1 << 20,
  intervalMs: 60_000,
});
const handler = serveDir(ROOT, { signal: shutdown.signal, onError: () => {} });
const throttledHandler = serveDir(ROOT, { throttle: 4 << 20, signal: shutdown.signal, onError: () => {} });
let server: Listening;
let throttled: Listening;
/** The same handler through toNodeListener on a plain node:http server (serve.ts's example). */
let bridged: Server;
let bridgedPort: number;

before(async () => {
  writeFileSync(join(ROOT, "a.bin"), DATA);
  copyFileSync(fileURLToPath(new URL("./fixtures/moov_at_end.mp4", import.meta.url)), join(ROOT, "clip.mp4"));
  server = await listen(handler, { port: 0, log });
  throttled = await listen(throttledHandler, { port: 0 });
  bridged = createServer(toNodeListener(handler));
  await new Promise<void>((resolve) => bridged.listen(0, "127.0.0.1", resolve));
  bridgedPort = (bridged.address() as AddressInfo).port;
});
after(async () => {
  shutdown.abort();
  await server.close(0);
  await throttled.close(0);
  bridged.closeAllConnections();
  await new Promise((resolve) => bridged.close(resolve));
  await log.close();
  rmSync(ROOT, { recursive: true, force: true });
});

interface Got {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** A request with node:http's client, which makes no Fetch object either. */
function get(port: number, path: string, headers: Record<string, string> = {}, method = "GET"): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method, headers }, (res) => {
      const chunks: Uint8Array[] = [];
      res.on("data", (c: Uint8Array) => chunks.push(c));
      res.on("end", () => {
        const body = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
        let o = 0;
        for (const c of chunks) body.set(c, o), o += c.length;
        const h: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) {
          if (k !== "date" && k !== "connection" && k !== "keep-alive") h[k] = String(v);
        }
        resolve({ status: res.statusCode!, headers: h, body });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** What the Fetch handler answers in process, for comparison. */
async function viaFetch(path: string, headers: Record<string, string> = {}, method = "GET"): Promise<Got> {
  const res = await handler(new Request(`http://x${path}`, { method, headers }));
  const h: Record<string, string> = {};
  res.headers.forEach((v, k) => (h[k] = v));
  return { status: res.status, headers: h, body: new Uint8Array(await res.arrayBuffer()) };
}

/** A multipart answer with its random boundary replaced by a fixed one (same length), to compare two answers. */
function sameBoundary(got: Got): Got {
  const boundary = /boundary=(\S+)/.exec(got.headers["content-type"] ?? "")?.[1];
  if (!boundary) return got;
  const fixed = "B".repeat(boundary.length);
  const text = new TextDecoder("latin1").decode(got.body).replaceAll(boundary, fixed);
  return {
    ...got,
    headers: { ...got.headers, "content-type": got.headers["content-type"].replace(boundary, fixed) },
    body: Uint8Array.from(text, (c) => c.charCodeAt(0)),
  };
}

/** Counts constructions of the Fetch classes while `run` runs. */
async function countFetchObjects(run: () => Promise<void>): Promise<Record<string, number>> {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  const names = ["Request", "Response", "Headers", "ReadableStream"];
  const counts: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  const originals = names.map((n) => g[n]);
  names.forEach((n, i) => {
    g[n] = new Proxy(originals[i], {
      construct(target, args, newTarget) {
        counts[n]++;
        return Reflect.construct(target, args, newTarget === g[n] ? target : newTarget);
      },
    });
  });
  try {
    await run();
  } finally {
    names.forEach((n, i) => (g[n] = originals[i]));
  }
  return counts;
}

const etagOf = async () => (await viaFetch("/a.bin")).headers.etag;

const CASES: [string, string, Record<string, string>, string?][] = [
  ["whole file", "/a.bin", {}],
  ["one range", "/a.bin", { range: "bytes=1000-70999" }],
  ["suffix range", "/a.bin", { range: "bytes=-500" }],
  ["multipart", "/a.bin", { range: "bytes=0-9,5000-5999,200000-" }],
  ["HEAD", "/a.bin", {}, "HEAD"],
  ["416", "/a.bin", { range: "bytes=999999-" }],
  ["faststart layout of a moov-at-end MP4", "/clip.mp4", { range: "bytes=0-4095" }],
  ["a clip", "/clip.mp4?start=0.2&end=0.6", {}],
  ["tracked for a viewer", `/a.bin?viewer=${VIEWER}`, { range: "bytes=100-299" }],
];

describe(`the directory server on node:http (${runtime})`, () => {
  for (const [label, path, headers, method] of CASES) {
    test(`${label}: the Fetch handler's status, headers and bytes`, async () => {
      const want = sameBoundary(await viaFetch(path, headers, method));
      const got = sameBoundary(await get(server.port, path, headers, method));
      assert.equal(got.status, want.status);
      assert.deepEqual(got.headers, want.headers);
      assert.deepEqual(got.body, want.body, "same bytes");
    });
  }

  test("304 for a matching If-None-Match", async () => {
    const got = await get(server.port, "/a.bin", { "if-none-match": (await etagOf())! });
    assert.equal(got.status, 304);
    assert.equal(got.body.length, 0);
  });

  test("throttled: exact bytes, paced", async () => {
    const got = await get(throttled.port, "/a.bin", { range: "bytes=10-200009" });
    assert.equal(got.status, 206);
    assert.equal(got.headers["content-length"], "200000");
    assert.deepEqual(got.body, DATA.subarray(10, 200010));
  });

  test("the range map sees what the node writer sent", async () => {
    await get(server.port, `/a.bin?viewer=${VIEWER}`, { range: "bytes=300-399" });
    const res = await handler(new Request(`http://x/__ranged/events?viewer=${VIEWER}`));
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const [entry] = JSON.parse(first.split("data: ")[1]);
    assert.equal(entry.path, "/a.bin");
    assert.deepEqual(entry.ranges, [[100, 399]], "the two tracked ranges, merged");
    assert.ok(entry.requests.every((r: { state: string }) => r.state === "done"), JSON.stringify(entry.requests));
  });

  test("file responses build no Request, Response, Headers or ReadableStream", {
    skip: runtime === "deno" ? "listen() runs Deno.serve on Deno, a Fetch server by nature" : false,
  }, async () => {
    const etag = (await etagOf())!;
    const counts = await countFetchObjects(async () => {
      for (const [, path, headers, method] of CASES) await get(server.port, path, headers, method);
      await get(server.port, "/a.bin", { "if-none-match": etag });
      await get(throttled.port, "/a.bin", { range: "bytes=0-99999" });
    });
    assert.deepEqual(counts, { Request: 0, Response: 0, Headers: 0, ReadableStream: 0 });
    // The check can see them: a page does go through Fetch.
    const page = await countFetchObjects(async () => void await get(server.port, "/"));
    assert.ok(page.Response >= 1, `the index page is a Response: ${JSON.stringify(page)}`);
  });

  test("toNodeListener(serveDir(...)) takes the head routing: the same answers, no Fetch object for a file", async () => {
    for (const [label, path, headers, method] of CASES) {
      const want = sameBoundary(await viaFetch(path, headers, method));
      const got = sameBoundary(await get(bridgedPort, path, headers, method));
      assert.equal(got.status, want.status, label);
      assert.deepEqual(got.headers, want.headers, label);
      assert.deepEqual(got.body, want.body, `${label}: same bytes`);
    }
    const counts = await countFetchObjects(async () => {
      for (const [, path, headers, method] of CASES) await get(bridgedPort, path, headers, method);
    });
    assert.deepEqual(counts, { Request: 0, Response: 0, Headers: 0, ReadableStream: 0 });
    const page = await countFetchObjects(async () => void await get(bridgedPort, "/"));
    assert.ok(page.Response >= 1, `the index page is a Response: ${JSON.stringify(page)}`);
    const post = await get(bridgedPort, "/a.bin", {}, "POST");
    assert.deepEqual([post.status, post.headers.allow], [405, "GET, HEAD"], "the methods serveDir refuses");
  });

  test("clients that leave mid-body: every lease given back, every descriptor closed once the window passes", async () => {
    writeFileSync(join(ROOT, "big.bin"), patternBytes(24 * MiB, 9));
    const stop = new AbortController();
    const cached = await listen(
      serveDir(ROOT, { fs: portableDirFs, openFileCacheMs: 100, signal: stop.signal, onError: () => {} }),
      { port: 0 },
    );
    try {
      const fds0 = openFds();
      await Promise.all(Array.from({ length: 16 }, (_, i) =>
        new Promise<void>((resolve) => {
          const req = request({
            host: "127.0.0.1",
            port: cached.port,
            path: "/big.bin",
            headers: i % 2 ? { range: "bytes=1000-" } : {},
          }, (res) => {
            res.once("data", () => {
              req.destroy();
              resolve();
            });
          });
          req.on("error", () => resolve());
          req.end();
        })));
      assert.ok(await waitUntil(() => openFds() <= fds0, 10_000), `fds ${fds0} before, ${openFds()} after`);
    } finally {
      stop.abort();
      await cached.close(0);
    }
  });

  test("the access log: one line per request, written in batches", async () => {
    log.flush();
    logged.length = 0;
    const before = writes;
    await get(server.port, "/a.bin?exp=1&sig=secret", { range: "bytes=0-1" });
    await get(server.port, "/missing.bin");
    await get(server.port, "/a.bin", {}, "HEAD");
    assert.equal(writes, before, "nothing written yet: the batch is neither full nor due");
    log.flush();
    assert.deepEqual(logged, [
      "GET /a.bin?exp=1&sig=… 206 range=bytes=0-1 content-range=bytes 0-1/300000",
      "GET /missing.bin 404",
      "HEAD /a.bin 200",
    ]);
    assert.equal(writes, before + 1, "one write for the three lines");
  });
});
