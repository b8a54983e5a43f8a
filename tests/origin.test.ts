// fromUrl: a FileLike over an HTTP origin. Behaviours (read-ahead, If-Match,
// 412, 200 fallback, retries, aborts) against a scripted fetch whose origin
// is ranged's own handler, then end to end against a real ranged server.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { fromUrl, OriginChangedError, OriginError } from "../src/adapters/http_origin.ts";
import { handleVideo } from "../src/http/handler.ts";
import { fromBytes } from "../src/http/file_like.ts";
import { FileNotFoundError } from "../src/http/errors.ts";
import { patternBytes } from "./helpers/counting_file.ts";
import { runtime, startNodeServer, startServer, type TestServer } from "./helpers/server.ts";
import { toNodeListener } from "../src/adapters/node_http.ts";

const URL_ = "http://origin.test/media/movie.mp4";
const DATA = patternBytes(300_000);
const ETAG = '"v1"';
const MTIME = Date.UTC(2024, 0, 2, 3, 4, 5);

interface Call {
  range: string | null;
  ifMatch: string | null;
  ifUnmodifiedSince: string | null;
  acceptEncoding: string | null;
  signal?: AbortSignal;
}

/** A scripted origin: ranged's handler over `data`, with hooks to misbehave. */
function origin(options: {
  data?: Uint8Array;
  etag?: string;
  ignoreRange?: boolean;
  fail?: (n: number, call: Call) => Response | Error | undefined;
} = {}) {
  const calls: Call[] = [];
  let data = options.data ?? DATA;
  let etag = options.etag ?? ETAG;
  let open = 0;
  let maxOpen = 0;
  const fetch = (input: string, init: RequestInit): Promise<Response> => {
    const headers = new Headers(init.headers);
    const call: Call = {
      range: headers.get("range"),
      ifMatch: headers.get("if-match"),
      ifUnmodifiedSince: headers.get("if-unmodified-since"),
      acceptEncoding: headers.get("accept-encoding"),
      signal: init.signal ?? undefined,
    };
    calls.push(call);
    const injected = options.fail?.(calls.length, call);
    if (injected instanceof Error) return Promise.reject(injected);
    if (injected) return Promise.resolve(injected);
    if (options.ignoreRange) headers.delete("range");
    const res = handleVideo(
      new Request(input, { headers }),
      fromBytes(data, { name: "movie.mp4", etag, lastModified: MTIME }),
    );
    if (!res.body) return Promise.resolve(res);
    // Count bodies still open, to check the reader's memory bound.
    open++;
    maxOpen = Math.max(maxOpen, open);
    let counted = true;
    const done = () => counted && (counted = false, open--);
    const reader = res.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        const r = await reader.read();
        if (r.done) {
          done();
          c.close();
        } else c.enqueue(r.value);
      },
      cancel() {
        done();
        return reader.cancel();
      },
    }, { highWaterMark: 0 });
    init.signal?.addEventListener("abort", () => {
      done();
      reader.cancel().catch(() => {});
    });
    return Promise.resolve(new Response(body, { status: res.status, headers: res.headers }));
  };
  return {
    fetch,
    calls,
    get maxOpen() {
      return maxOpen;
    },
    replace(next: Uint8Array, nextEtag: string) {
      data = next;
      etag = nextEtag;
    },
  };
}

async function readAll(file: { size: number; read(into: Uint8Array, pos: number): Promise<number> }, step = 16384) {
  const out = new Uint8Array(file.size);
  let pos = 0;
  while (pos < file.size) {
    const n = await file.read(out.subarray(pos, Math.min(pos + step, file.size)), pos);
    assert.ok(n > 0, `read at ${pos} returned ${n}`);
    pos += n;
  }
  return out;
}

describe("fromUrl metadata", () => {
  test("one request learns size, ETag, Last-Modified and warms block 0", async () => {
    const o = origin();
    const file = await fromUrl(URL_, { fetch: o.fetch, blockSize: 65536 });
    assert.equal(file.size, DATA.length);
    assert.equal(file.etag, ETAG);
    assert.equal(file.lastModified, MTIME);
    assert.equal(file.name, "movie.mp4");
    assert.equal(file.type, "video/mp4");
    assert.deepEqual(o.calls.map((c) => c.range), ["bytes=0-65535"]);
    assert.equal(o.calls[0].acceptEncoding, "identity");
    const into = new Uint8Array(1000);
    assert.equal(await file.read(into, 0), 1000);
    assert.deepEqual(into, DATA.subarray(0, 1000));
    assert.equal(o.calls.length, 1, "the first block came with the probe");
    await file.close?.();
  });

  test("the client's Range is the first request; HEAD probes one byte; suffixes stay suffixes", async () => {
    for (
      const [method, range, expected] of [
        ["GET", "bytes=100000-100099", "bytes=100000-100099"],
        ["GET", "bytes=100000-", "bytes=100000-"],
        ["GET", "bytes=-500", "bytes=-500"],
        ["GET", "bytes=5-9, 20-30", "bytes=5-9"],
        ["HEAD", "bytes=100-200", "bytes=0-0"],
        ["GET", "items=1-2", "bytes=0-"],
      ] as const
    ) {
      const o = origin();
      const request = new Request(URL_, { method, headers: { range } });
      const file = await fromUrl(URL_, { fetch: o.fetch, blockSize: 65536, request });
      assert.equal(o.calls[0].range, expected, `${method} ${range}`);
      assert.equal(file.size, DATA.length);
      const res = handleVideo(request, file);
      const body = new Uint8Array(await res.arrayBuffer());
      if (method === "GET" && range === "bytes=-500") assert.deepEqual(body, DATA.subarray(DATA.length - 500));
      if (range === "bytes=100000-100099") {
        assert.deepEqual(body, DATA.subarray(100000, 100100));
        assert.equal(o.calls.length, 1, "a short range costs exactly one origin request");
      }
    }
  });

  test("a range past the end: the handler answers 416, with the origin's validators", async () => {
    const o = origin();
    const request = new Request(URL_, { headers: { range: `bytes=${DATA.length + 10}-` } });
    const file = await fromUrl(URL_, { fetch: o.fetch, request });
    assert.equal(file.size, DATA.length);
    assert.equal(file.etag, ETAG);
    const res = handleVideo(request, file);
    assert.equal(res.status, 416);
    assert.equal(res.headers.get("content-range"), `bytes */${DATA.length}`);
  });

  test("empty object: 416 from the origin gives size 0", async () => {
    const o = origin({ data: new Uint8Array(0) });
    const file = await fromUrl(URL_, { fetch: o.fetch });
    assert.equal(file.size, 0);
    assert.equal(file.etag, ETAG);
    const res = handleVideo(new Request(URL_), file);
    assert.equal(res.status, 200);
    assert.equal((await res.arrayBuffer()).byteLength, 0);
  });

  test("404 and 410 reject with FileNotFoundError; 403 with OriginError, not retried", async () => {
    for (const status of [404, 410]) {
      const o = origin({ fail: () => new Response("no", { status }) });
      await assert.rejects(fromUrl(URL_, { fetch: o.fetch, backoff: 1 }), FileNotFoundError);
      assert.equal(o.calls.length, 1);
    }
    const o = origin({ fail: () => new Response("no", { status: 403 }) });
    await assert.rejects(fromUrl(URL_, { fetch: o.fetch, backoff: 1 }), (e: unknown) => {
      assert.ok(e instanceof OriginError);
      assert.equal(e.status, 403);
      return true;
    });
    assert.equal(o.calls.length, 1);
  });

  test("octet-stream from a bucket gives way to the name's type; Content-Encoding is refused", async () => {
    const typed = origin({
      fail: (n) =>
        n === 1
          ? new Response(DATA.slice(0, 10), {
            status: 206,
            headers: { "content-range": `bytes 0-9/${DATA.length}`, "content-type": "binary/octet-stream" },
          })
          : undefined,
    });
    const file = await fromUrl(URL_, { fetch: typed.fetch, blockSize: 10 });
    assert.equal(file.type, undefined);
    assert.equal(handleVideo(new Request(URL_, { method: "HEAD" }), file).headers.get("content-type"), "video/mp4");
    const gz = origin({
      fail: () =>
        new Response("x", {
          status: 206,
          headers: { "content-range": `bytes 0-0/${DATA.length}`, "content-encoding": "gzip" },
        }),
    });
    await assert.rejects(fromUrl(URL_, { fetch: gz.fetch }), OriginError);
  });
});

describe("fromUrl reads", () => {
  test("small reads coalesce into blocks; the next block is fetched ahead; at most two held", async () => {
    const o = origin();
    const file = await fromUrl(URL_, { fetch: o.fetch, blockSize: 65536 });
    assert.deepEqual(await readAll(file, 4096), DATA);
    const blocks = Math.ceil(DATA.length / 65536);
    assert.equal(o.calls.length, blocks, "one origin request per block");
    assert.deepEqual(
      o.calls.slice(1).map((c) => c.range),
      Array.from({ length: blocks - 1 }, (_, i) => {
        const start = (i + 1) * 65536;
        return `bytes=${start}-${Math.min(DATA.length, start + 65536) - 1}`;
      }),
    );
    assert.ok(o.maxOpen <= 2, `at most two origin bodies open, saw ${o.maxOpen}`);
    await file.close?.();
  });

  test("a read deep into a block still arriving waits for its own bytes", async () => {
    const trickle = (_: string, init: RequestInit) => {
      const range = new Headers(init.headers).get("range")!;
      const [, a, b] = /bytes=(\d+)-(\d+)/.exec(range)!.map(Number);
      let at = a;
      const body = new ReadableStream<Uint8Array>({
        async pull(c) {
          await new Promise((r) => setTimeout(r, 1));
          const end = Math.min(b + 1, at + 4096);
          c.enqueue(DATA.slice(at, end));
          at = end;
          if (at > b) c.close();
        },
      }, { highWaterMark: 0 });
      return Promise.resolve(
        new Response(body, { status: 206, headers: { etag: ETAG, "content-range": `bytes ${a}-${b}/${DATA.length}` } }),
      );
    };
    const file = await fromUrl(URL_, { fetch: trickle, blockSize: 65536 });
    const into = new Uint8Array(100);
    assert.equal(await file.read(into, 60000), 100);
    assert.deepEqual(into, DATA.subarray(60000, 60100));
    await file.close?.();
  });

  test("every later request carries If-Match with the origin's ETag", async () => {
    const o = origin();
    const file = await fromUrl(URL_, { fetch: o.fetch, blockSize: 65536 });
    await readAll(file);
    assert.equal(o.calls[0].ifMatch, null);
    for (const c of o.calls.slice(1)) assert.equal(c.ifMatch, ETAG);
  });

  test("a weak ETag is passed through weak; If-Unmodified-Since guards the reads", async () => {
    const o = origin({ etag: 'W/"weak"' });
    const file = await fromUrl(URL_, { fetch: o.fetch, blockSize: 65536 });
    assert.equal(file.etag, 'W/"weak"');
    assert.deepEqual(await readAll(file), DATA);
    for (const c of o.calls.slice(1)) {
      assert.equal(c.ifMatch, null);
      assert.equal(c.ifUnmodifiedSince, new Date(MTIME).toUTCString());
    }
    // The handler does not honour If-Range with a weak validator: the whole file is sent.
    const again = await fromUrl(URL_, { fetch: o.fetch });
    const res = handleVideo(new Request(URL_, { headers: { range: "bytes=0-9", "if-range": 'W/"weak"' } }), again);
    assert.equal(res.status, 200, "a weak If-Range never resumes");
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), DATA, "the whole object");
  });

  test("an object replaced at the origin fails the read with OriginChangedError (412)", async () => {
    const o = origin();
    const file = await fromUrl(URL_, { fetch: o.fetch, blockSize: 65536 });
    const into = new Uint8Array(1000);
    await file.read(into, 0);
    o.replace(patternBytes(DATA.length + 1).reverse(), '"v2"');
    await assert.rejects(file.read(new Uint8Array(10), 200_000), (e: unknown) => {
      assert.ok(e instanceof OriginChangedError);
      assert.equal(e.expectedETag, ETAG);
      assert.equal(e.status, 412);
      return true;
    });
    assert.equal(o.calls.at(-1)!.ifMatch, ETAG);
  });

  test("through the handler: the body errors instead of splicing two versions", async () => {
    const o = origin();
    const file = await fromUrl(URL_, { fetch: o.fetch, blockSize: 65536 });
    const res = handleVideo(new Request(URL_), file, { chunkSize: 16384 });
    const reader = res.body!.getReader();
    await reader.read();
    o.replace(patternBytes(DATA.length).reverse(), '"v2"');
    let error: unknown;
    try {
      for (;;) if ((await reader.read()).done) break;
    } catch (err) {
      error = err;
    }
    assert.ok(error instanceof OriginChangedError, `body errored with ${error}`);
  });

  test("an origin that ignores If-Match is still caught by the ETag it sends back", async () => {
    const o = origin({
      fail: (n, call) => {
        if (n === 1) return undefined;
        const [, a, b] = /bytes=(\d+)-(\d+)/.exec(call.range!)!.map(Number);
        return new Response(DATA.slice(a, b + 1), {
          status: 206,
          headers: { etag: '"v2"', "content-range": `bytes ${a}-${b}/${DATA.length}` },
        });
      },
    });
    const file = await fromUrl(URL_, { fetch: o.fetch, blockSize: 65536 });
    await assert.rejects(file.read(new Uint8Array(10), 100_000), OriginChangedError);
  });

  test("an origin that answers 200 to Range: read as one stream, never buffered whole", async () => {
    const o = origin({ ignoreRange: true });
    const file = await fromUrl(URL_, { fetch: o.fetch, blockSize: 65536 });
    assert.equal(file.size, DATA.length);
    assert.equal(file.etag, ETAG);
    assert.deepEqual(await readAll(file, 10000), DATA);
    assert.equal(o.calls.length, 1, "the one 200 body is continued, not re-requested per block");
    // A jump backwards needs the stream again from 0.
    const into = new Uint8Array(100);
    const n = await file.read(into, 5000);
    assert.deepEqual(into.subarray(0, n), DATA.subarray(5000, 5000 + n));
    assert.equal(o.calls.length, 2);
    await file.close?.();
  });

  test("the 200 fallback pulls no further than the reader needs", async () => {
    let pulled = 0;
    const big = 64 * 1024 * 1024;
    const fetch = () => {
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          pulled += 65536;
          if (pulled > big) return c.close();
          c.enqueue(new Uint8Array(65536));
        },
      }, { highWaterMark: 0 });
      return Promise.resolve(new Response(body, { status: 200, headers: { "content-length": String(big) } }));
    };
    const file = await fromUrl(URL_, { fetch, blockSize: 1024 * 1024 });
    await file.read(new Uint8Array(1000), 0);
    assert.ok(pulled <= 2 * 1024 * 1024, `pulled ${pulled} bytes of a 64 MiB file for 1000`);
    await file.close?.();
  });
});

describe("fromUrl failures", () => {
  test("network errors and 5xx are retried with backoff, a bounded number of times", async () => {
    const flaky = origin({
      fail: (n) => n === 2 ? new TypeError("fetch failed") : n === 3 ? new Response("", { status: 503 }) : undefined,
    });
    const file = await fromUrl(URL_, { fetch: flaky.fetch, blockSize: 65536, backoff: 1, retries: 2 });
    assert.deepEqual(await readAll(file), DATA);

    const down = origin({ fail: (n) => n > 1 ? new TypeError("fetch failed") : undefined });
    const doomed = await fromUrl(URL_, { fetch: down.fetch, blockSize: 65536, backoff: 1, retries: 2 });
    await assert.rejects(doomed.read(new Uint8Array(10), 100_000), TypeError);
    assert.equal(down.calls.length, 1 + 3, "probe + three attempts");

    const probeDown = origin({ fail: (n) => n <= 2 ? new Response("", { status: 502 }) : undefined });
    const late = await fromUrl(URL_, { fetch: probeDown.fetch, backoff: 1 });
    assert.equal(late.size, DATA.length);
    assert.equal(probeDown.calls.length, 3);
  });

  test("a body cut short is resumed from the first missing byte", async () => {
    const o = origin({
      fail: (n, call) => {
        if (n !== 2) return undefined;
        const [, a] = /bytes=(\d+)-/.exec(call.range!)!.map(Number);
        let sent = false;
        const body = new ReadableStream<Uint8Array>({
          pull(c) {
            if (sent) return c.error(new TypeError("connection reset"));
            sent = true;
            c.enqueue(DATA.slice(a, a + 1000));
          },
        });
        return new Response(body, {
          status: 206,
          headers: { etag: ETAG, "content-range": `bytes ${a}-${a + 65535}/${DATA.length}` },
        });
      },
    });
    const file = await fromUrl(URL_, { fetch: o.fetch, blockSize: 65536, backoff: 1 });
    assert.deepEqual(await readAll(file), DATA);
    assert.equal(o.calls[2].range, `bytes=${65536 + 1000}-${2 * 65536 - 1}`);
  });

  test("the caller's signal and close() abort origin requests in flight", async () => {
    let hang!: AbortSignal;
    const fetch = (_: string, init: RequestInit) => {
      const h = new Headers(init.headers);
      if (h.get("range")!.startsWith("bytes=0-")) {
        return Promise.resolve(handleVideo(new Request(URL_, { headers: h }), fromBytes(DATA, { etag: ETAG })));
      }
      hang = init.signal!;
      return new Promise<Response>((_, reject) =>
        init.signal!.addEventListener("abort", () => reject(init.signal!.reason))
      );
    };
    const controller = new AbortController();
    const file = await fromUrl(URL_, { fetch, blockSize: 65536, signal: controller.signal });
    const pending = file.read(new Uint8Array(10), 200_000);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(hang.aborted, false);
    controller.abort();
    await assert.rejects(pending);
    assert.equal(hang.aborted, true);
    await assert.rejects(file.read(new Uint8Array(10), 0), "reads after abort fail");

    const other = await fromUrl(URL_, { fetch, blockSize: 65536 });
    const waiting = other.read(new Uint8Array(10), 200_000);
    await new Promise((r) => setTimeout(r, 10));
    await other.close?.();
    await assert.rejects(waiting);
    assert.equal(hang.aborted, true);
  });

  test("the handler's close (client gone) aborts the origin request in flight", async () => {
    const o = origin();
    const file = await fromUrl(URL_, { fetch: o.fetch, blockSize: 65536 });
    const res = handleVideo(new Request(URL_), file, { chunkSize: 65536 });
    const reader = res.body!.getReader();
    // Past the first answer (block 0), the rest of the span is one more request.
    for (let got = 0; got <= 65536;) got += (await reader.read()).value!.length;
    assert.deepEqual(o.calls.map((c) => c.range), ["bytes=0-65535", `bytes=65536-${DATA.length - 1}`]);
    await reader.cancel();
    assert.equal(o.calls[1].signal?.aborted, true);
  });

  test("several ranges still read blocks, and the client leaving cancels the prefetch", async () => {
    const o = origin();
    const request = new Request(URL_, { headers: { range: "bytes=0-99999,200000-200009" } });
    const file = await fromUrl(URL_, { fetch: o.fetch, blockSize: 65536, request });
    const res = handleVideo(request, file, { chunkSize: 65536 });
    assert.equal(res.status, 206);
    const reader = res.body!.getReader();
    // Past the middle of block 0, the next block is requested ahead.
    for (let got = 0; got <= 40000;) got += (await reader.read()).value!.length;
    assert.deepEqual(o.calls.map((c) => c.range), ["bytes=0-65535", "bytes=65536-131071"]);
    await reader.cancel();
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(o.calls[1].signal?.aborted, true);
  });
});

describe(`fromUrl against a real ranged server on ${runtime}`, () => {
  let originServer: TestServer;
  let edge: TestServer;
  const originRequests: string[] = [];
  before(async () => {
    originServer = await startServer((req) => {
      originRequests.push(req.headers.get("range") ?? "-");
      return handleVideo(req, fromBytes(DATA, { name: "movie.mp4", lastModified: MTIME, etag: ETAG }));
    });
    edge = await startServer(async (req) => {
      const file = await fromUrl(originServer.url + new URL(req.url).pathname, {
        request: req,
        signal: req.signal,
        blockSize: 65536,
      });
      return handleVideo(req, file, { cacheControl: "public, max-age=60" });
    });
  });
  after(async () => {
    await edge.close();
    await originServer.close();
  });

  test("full body, ranges, multipart, validators and 304 pass through", async () => {
    const full = await fetch(edge.url + "/movie.mp4");
    assert.equal(full.status, 200);
    assert.equal(full.headers.get("etag"), ETAG);
    assert.equal(full.headers.get("last-modified"), new Date(MTIME).toUTCString());
    assert.equal(full.headers.get("content-type"), "video/mp4");
    assert.deepEqual(new Uint8Array(await full.arrayBuffer()), DATA);

    const part = await fetch(edge.url + "/movie.mp4", { headers: { range: "bytes=123456-200000" } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), `bytes 123456-200000/${DATA.length}`);
    assert.deepEqual(new Uint8Array(await part.arrayBuffer()), DATA.subarray(123456, 200001));

    const multi = await fetch(edge.url + "/movie.mp4", { headers: { range: "bytes=0-9,250000-250009" } });
    assert.equal(multi.status, 206);
    assert.match(multi.headers.get("content-type")!, /^multipart\/byteranges/);
    await multi.arrayBuffer();

    const r304 = await fetch(edge.url + "/movie.mp4", { headers: { "if-none-match": ETAG } });
    assert.equal(r304.status, 304);
    const resume = await fetch(edge.url + "/movie.mp4", { headers: { range: "bytes=299990-", "if-range": ETAG } });
    assert.equal(resume.status, 206);
    assert.deepEqual(new Uint8Array(await resume.arrayBuffer()), DATA.subarray(299990));
  });

  test("a missing object is a FileNotFoundError", async () => {
    const server = await startServer(() => new Response("nope", { status: 404 }));
    try {
      await assert.rejects(fromUrl(server.url + "/x.mp4"), FileNotFoundError);
    } finally {
      await server.close();
    }
  });
});

/** Index of the first byte where `a` and `b` differ (or the shorter length), -1 when equal: fast on 20 MiB. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** Reads a body to its end, or to its error: the bytes received and the error, if any. */
async function drain(body: ReadableStream<Uint8Array>): Promise<{ bytes: Uint8Array; error?: unknown }> {
  const parts: Uint8Array[] = [];
  const reader = body.getReader();
  let error: unknown;
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
  } catch (err) {
    error = err;
  }
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) bytes.set(p, (at += p.length) - p.length);
  return { bytes, error };
}

describe(`fromUrl streams a response span from one request to a 127.0.0.1 origin on ${runtime}`, () => {
  const SEED = 7;
  const BIG = patternBytes(20 * 1024 * 1024, SEED);
  const NAME = "/big.mp4";
  /** The origin's state: what it serves, what it was asked, and how it misbehaves next. */
  const state = {
    data: BIG,
    etag: ETAG,
    requests: [] as string[],
    /** Origin bodies started and not yet ended or cancelled. */
    open: 0,
    /** Bytes the origin's bodies have produced. */
    sent: 0,
    /** Cut the next body after this many bytes, then call `onCut`. */
    cutAfter: undefined as number | undefined,
    onCut: undefined as (() => void) | undefined,
    /** Stall the next body after this many bytes until it is cancelled: only a closed connection ends it. */
    stallAfter: undefined as number | undefined,
  };
  let originServer: TestServer;
  let edge: TestServer;

  /** The origin's body, counted, and cut where `state.cutAfter` says (the connection is then reset). */
  function observed(res: Response): Response {
    const reader = res.body!.getReader();
    const cut = state.cutAfter;
    const stall = state.stallAfter;
    state.cutAfter = state.stallAfter = undefined;
    let sent = 0;
    let counted = true;
    state.open++;
    const done = () => counted && (counted = false, state.open--);
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (cut !== undefined && sent >= cut) {
          state.onCut?.();
          done();
          reader.cancel().catch(() => {});
          return c.error(new Error("origin connection cut on purpose"));
        }
        if (stall !== undefined && sent >= stall) await new Promise(() => {});
        const r = await reader.read();
        if (r.done) return (done(), c.close());
        const value = cut !== undefined && sent + r.value.length > cut ? r.value.subarray(0, cut - sent) : r.value;
        sent += value.length;
        state.sent += value.length;
        c.enqueue(value);
      },
      cancel() {
        done();
        return reader.cancel();
      },
    }, { highWaterMark: 0 });
    return new Response(body, { status: res.status, headers: res.headers });
  }

  before(async () => {
    console.log(`fromUrl streaming: ${BIG.length} pattern bytes, seed ${SEED}`);
    // node:http on every runtime: a body that errors resets the connection (Bun.serve would end it cleanly).
    originServer = await startNodeServer(toNodeListener((req) => {
      state.requests.push(`${req.headers.get("range")} if-match=${req.headers.get("if-match")}`);
      const res = handleVideo(req, fromBytes(state.data, { name: "big.mp4", etag: state.etag, lastModified: MTIME }));
      return res.body ? observed(res) : res;
    }));
    edge = await startServer(async (req) =>
      handleVideo(req, await fromUrl(originServer.url + NAME, { request: req, backoff: 1 }))
    );
  });
  after(async () => {
    await edge.close();
    await originServer.close();
  });
  const reset = () => {
    Object.assign(state, {
      data: BIG,
      etag: ETAG,
      requests: [],
      sent: 0,
      cutAfter: undefined,
      onCut: undefined,
      stallAfter: undefined,
    });
  };

  test("a 20 MiB download, a seek and a closed range each cost one origin request, bytes exact", async () => {
    for (
      const [range, expected, first] of [
        [undefined, "bytes=0-", 0],
        ["bytes=5000000-", "bytes=5000000-", 5000000],
        ["bytes=1000-15000000", "bytes=1000-15000000", 1000],
      ] as const
    ) {
      reset();
      const res = await fetch(edge.url + NAME, { headers: range ? { range } : {} });
      assert.equal(res.status, range ? 206 : 200);
      const got = new Uint8Array(await res.arrayBuffer());
      const want = BIG.subarray(first, range === "bytes=1000-15000000" ? 15000001 : BIG.length);
      assert.equal(firstDifference(got, want), -1, `${range ?? "no Range"}: bytes exact (${got.length} received)`);
      assert.deepEqual(state.requests, [`${expected} if-match=null`], `${range ?? "no Range"}: one origin request`);
    }
  });

  test("a body cut mid-stream resumes exactly at the byte reached, with If-Match", async () => {
    reset();
    state.cutAfter = 7_777_777;
    const res = await fetch(edge.url + NAME);
    const got = new Uint8Array(await res.arrayBuffer());
    assert.equal(firstDifference(got, BIG), -1, `bytes exact across the resume (${got.length} received)`);
    assert.equal(state.requests.length, 2, state.requests.join("\n"));
    assert.equal(state.requests[0], "bytes=0- if-match=null");
    // A reset connection may drop what the edge's kernel had received but not yet read (seen on Bun):
    // the resume starts at the byte the edge reached, at most the cut.
    const resumed = /^bytes=(\d+)-(\d+) if-match=(.*)$/.exec(state.requests[1]);
    assert.ok(resumed, state.requests[1]);
    assert.ok(Number(resumed[1]) > 0 && Number(resumed[1]) <= 7_777_777, `resumed at ${resumed[1]}`);
    assert.deepEqual([Number(resumed[2]), resumed[3]], [BIG.length - 1, ETAG], "the rest of the span, with If-Match");
  });

  test("an object replaced before the resume errors with OriginChangedError; nothing of v2 is sent", async () => {
    reset();
    const v2 = BIG.slice().reverse();
    state.cutAfter = 3_000_000;
    state.onCut = () => Object.assign(state, { data: v2, etag: '"v2"' });
    const request = new Request(originServer.url + NAME);
    const res = handleVideo(request, await fromUrl(originServer.url + NAME, { request, backoff: 1 }));
    const { bytes, error } = await drain(res.body!);
    assert.ok(error instanceof OriginChangedError, `the body errors with OriginChangedError, got ${error}`);
    assert.equal(error.expectedETag, ETAG);
    assert.ok(bytes.length > 0 && bytes.length <= 3_000_000, `the body stops at the cut (${bytes.length} bytes)`);
    assert.equal(firstDifference(bytes, BIG.subarray(0, bytes.length)), -1, "every byte sent is of v1");
    // The resume asked exactly from the byte the body had reached.
    assert.deepEqual(state.requests, [
      "bytes=0- if-match=null",
      `bytes=${bytes.length}-${BIG.length - 1} if-match=${ETAG}`,
    ]);
  });

  test("a client that leaves aborts the origin request: no origin body stays open", async () => {
    reset();
    // Stalled, the origin's body can only end by being cancelled (Node's and Deno's fetch would
    // otherwise read all 20 MiB ahead and the body would end by itself).
    state.stallAfter = 1024 * 1024;
    const leave = new AbortController();
    const res = await fetch(edge.url + NAME, { signal: leave.signal });
    await res.body!.getReader().read();
    leave.abort();
    for (let i = 0; i < 200 && state.open > 0; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(state.open, 0, "the origin's body was cancelled (its connection closed)");
    assert.deepEqual(state.requests, ["bytes=0- if-match=null"], "and nothing was asked again");
  });
});
