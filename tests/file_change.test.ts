// Files changing underneath a running server (real sockets, real files):
// truncated while a response streams, replaced between requests, deleted
// between listing and request. Runs on Deno, Node and Bun with the portable
// node:fs adapter and the runtime's native one.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  truncateSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { handleVideo } from "../src/http/handler.ts";
import { openFile as openPortable } from "../src/adapters/fs.ts";
import { serveDir } from "../src/adapters/serve.ts";
import { FileNotFoundError } from "../src/http/errors.ts";
import { contentTypeFor } from "../src/http/media_types.ts";
import { multipartLayout } from "../src/http/multipart.ts";
import type { FileLike } from "../src/http/file_like.ts";
import { openNative, runtime, startServer, type TestServer } from "./helpers/server.ts";
import { patternBytes } from "./helpers/counting_file.ts";
import { getRequest, RawExchange } from "./helpers/raw_exchange.ts";
import { MiB } from "./helpers/proc_stats.ts";

const TMP = mkdtempSync(join(tmpdir(), "ranged-change-"));
const ROOT = join(TMP, "root");
mkdirSync(ROOT);
const BIG_SIZE = 48 * MiB;
const BIG = patternBytes(BIG_SIZE, 7);
const opens: Record<string, (path: string) => Promise<FileLike>> = {
  portable: (p) => openPortable(p),
  native: (p) => openNative(p),
};
const nativeName = runtime === "deno"
  ? "Deno.FsFile"
  : runtime === "bun"
  ? "Bun.file Blob"
  : "node:fs (same as portable)";

let server: TestServer;
let closes = 0;
let opened = 0;

before(async () => {
  const dir = serveDir(ROOT, { onError: (err) => console.error("serveDir error", err) });
  server = await startServer(async (req) => {
    const url = new URL(req.url);
    if (url.pathname.startsWith("/dir/")) {
      return dir(new Request(new URL(url.pathname.slice(4) + url.search, url), { headers: req.headers }));
    }
    const [, kind, name, shrinkTo] = url.pathname.split("/");
    let file: FileLike;
    try {
      file = await opens[kind](join(TMP, name));
      // The file shrinks after it was opened and before a byte of the body is sent.
      if (shrinkTo !== undefined) truncateSync(join(TMP, name), Number(shrinkTo));
    } catch (err) {
      if (err instanceof FileNotFoundError) return new Response("not found", { status: 404 });
      throw err;
    }
    opened++;
    const inner = file;
    return handleVideo(req, {
      size: inner.size,
      name: inner.name,
      lastModified: inner.lastModified,
      read: (into, pos) => inner.read(into, pos),
      blob: inner.blob ? () => inner.blob!() : undefined,
      close: () => {
        closes++;
        return inner.close?.();
      },
    });
  });
});

after(async () => {
  await server.close();
  rmSync(TMP, { recursive: true, force: true });
});

/** Index of the first byte where `got` differs from `want`, or -1. */
function firstDifference(got: Uint8Array, want: Uint8Array): number {
  for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) return i;
  return -1;
}

/**
 * The one known exception, measured on Bun 1.4.4 with Linux 6.18 (ext4), and
 * seen too on a copying read that races the truncation:
 * sendfile queues page-cache pages in the socket by reference, and
 * truncating a file zeroes the rest of the page (a large folio, up to 2 MiB)
 * holding the new end, bytes already queued included. So from the new end
 * to the next 2 MiB boundary a Bun.file body may carry zeros; no user-space
 * check can take back bytes the kernel already holds (nginx with sendfile
 * does the same). `body` starts at file offset `start`; zeros there are
 * replaced by the file's bytes in a copy, everything else must still match.
 */
function withoutFolioZeros(body: Uint8Array, want: Uint8Array, start: number, newEnd: number): Uint8Array {
  const out = body.slice();
  const folioEnd = Math.ceil(newEnd / (2 * MiB)) * 2 * MiB;
  for (let at = Math.max(newEnd, start); at < Math.min(folioEnd, start + body.length); at++) {
    if (out[at - start] === 0) out[at - start] = want[at - start];
  }
  return out;
}

describe(`files truncated while streaming (${runtime})`, () => {
  for (const kind of ["portable", "native"] as const) {
    for (
      const [label, range, start, truncateTo, sentFirst] of [
        ["full GET, truncated to half", undefined, 0, BIG_SIZE / 2, 1],
        ["range from 1 MiB, truncated to 0", `bytes=${MiB}-`, MiB, 0, 1],
        ["multipart, truncated inside the second part", `bytes=0-99,${8 * MiB}-`, 0, 8 * MiB + 12345, 1],
        // 512 KiB received, so the new end lies among bytes the server already queued.
        ["full GET, truncated to 1 MiB + 12345 after 512 KiB", undefined, 0, MiB + 12345, MiB / 2],
      ] as const
    ) {
      test(`${kind} adapter (${kind === "native" ? nativeName : "node:fs"}): ${label}: the body ends early, never pads, never hangs`, async () => {
        const name = `trunc-${kind}-${start}-${truncateTo}.bin`;
        const path = join(TMP, name);
        writeFileSync(path, BIG);
        const ex = new RawExchange(server.port, getRequest(`/${kind}/${name}`, range ? { range } : {}));
        const head = await ex.head;
        assert.equal(head.status, range ? 206 : 200);
        await ex.waitForBody(sentFirst);
        ex.pause();
        truncateSync(path, truncateTo);
        ex.resume();
        // A hang guard, not a speed limit: the server must cut the connection itself.
        let hung = false;
        const timer = setTimeout(() => (hung = true, ex.destroy()), 20_000);
        await ex.closed;
        clearTimeout(timer);
        assert.equal(hung, false, "the server never ended the response");
        const body = ex.body();
        const announced = head.headers.has("content-length") ? Number(head.headers.get("content-length")) : undefined;
        assert.equal(ex.complete, false, `a ${body.length}-byte body arrived complete after truncation`);
        if (announced !== undefined) assert.ok(body.length < announced, `${body.length} of ${announced} bytes`);
        const type = head.headers.get("content-type") ?? "";
        if (type.startsWith("multipart/")) {
          // What arrived must be a prefix of the exact multipart body (part 1 is bytes 0-99,
          // part 2 runs from 8 MiB to the end): the file's bytes, never zeros. It need not
          // reach part 2: once the server cuts the connection, bytes still queued for the
          // client can be lost (seen on Bun: the body stopped before part 2's header while
          // the server had read 12345 bytes of it), and a short body is all the test asks.
          const boundary = type.slice(type.indexOf("boundary=") + 9);
          const layout = multipartLayout(
            [{ start: 0, end: 99 }, { start: 8 * MiB, end: BIG_SIZE - 1 }],
            BIG_SIZE,
            contentTypeFor(name) ?? "application/octet-stream",
            boundary,
          );
          assert.equal(layout.contentType, type, "the layout rebuilt is the response's");
          const parts = layout.segments.map((seg) => "bytes" in seg ? seg.bytes : BIG.subarray(seg.start, seg.end + 1));
          const want = new Uint8Array(layout.length);
          parts.reduce((at, part) => (want.set(part, at), at + part.length), 0);
          assert.equal(
            firstDifference(body, want),
            -1,
            `a ${body.length}-byte body is not a prefix of the multipart body`,
          );
          assert.ok(body.length < layout.length, "the multipart body did not arrive whole");
        } else {
          const want = BIG.subarray(start);
          // Any adapter: a copying read (pread) that races the truncation can copy the folio's zeroed tail too
          // (seen on Bun's node:fs path about 1 run in 5, first difference below the 2 MiB boundary).
          const got = withoutFolioZeros(body, want, start, truncateTo);
          assert.equal(firstDifference(got, want), -1, "bytes differ from the file (zero padding?)");
        }
      });
    }
  }
});

describe(`files truncated after open, before the first byte (${runtime})`, () => {
  for (const kind of ["portable", "native"] as const) {
    for (const range of [undefined, "bytes=1000-", "bytes=1000-2000000", "bytes=-5000000"]) {
      test(`${kind} adapter: ${range ?? "full GET"}: never a complete response shorter than announced`, async () => {
        const name = `shrink-${kind}-${range ?? "full"}.bin`;
        const data = BIG.subarray(0, 8 * MiB);
        writeFileSync(join(TMP, name), data);
        const ex = new RawExchange(server.port, getRequest(`/${kind}/${name}/${MiB}`, range ? { range } : {}));
        const timer = setTimeout(() => ex.destroy(), 20_000);
        await ex.closed;
        clearTimeout(timer);
        // Closing the connection before the head (nothing read yet, node:http) is a safe failure too.
        const head = ex.response;
        if (head === undefined) return assert.equal(ex.bodyLength, 0);
        const contentRange = head.headers.get("content-range");
        const [start, end] = contentRange
          ? contentRange.slice(6).split("/")[0].split("-").map(Number)
          : [0, 8 * MiB - 1];
        assert.equal(head.status, range ? 206 : 200);
        // What the status line and Content-Range promise, Content-Length must frame:
        // otherwise a short body looks complete and a cache keeps it under the old ETag.
        const length = head.headers.get("content-length");
        if (length !== undefined) {
          assert.equal(
            Number(length),
            end - start + 1,
            `Content-Length vs ${contentRange ?? "the size the 200 announces"}`,
          );
        }
        const body = ex.body();
        assert.equal(firstDifference(body, data.subarray(start)), -1, "bytes differ from the file");
        assert.ok(body.length <= Math.max(0, MiB - start), "bytes beyond the new end of file");
        assert.equal(ex.complete, false, "a short body was framed as complete");
      });
    }
  }
});

describe(`files replaced between requests (${runtime})`, () => {
  for (const kind of ["portable", "native"] as const) {
    for (const how of ["rewritten in place", "renamed over", "same size, new mtime"] as const) {
      test(`${kind} adapter: ${how}: new ETag, If-Range with the old one gets the full new file`, async () => {
        const name = `replace-${kind}-${how.replaceAll(" ", "-").replaceAll(",", "")}.bin`;
        const path = join(TMP, name);
        const v1 = patternBytes(100_000, 1);
        const v2 = how === "same size, new mtime" ? patternBytes(100_000, 2) : patternBytes(150_000, 2);
        writeFileSync(path, v1);
        utimesSync(path, 1_700_000_000, 1_700_000_000);
        const first = await fetch(`${server.url}/${kind}/${name}`);
        const etag1 = first.headers.get("etag")!;
        assert.deepEqual(new Uint8Array(await first.arrayBuffer()), v1);
        assert.ok(etag1);

        if (how === "renamed over") {
          writeFileSync(path + ".tmp", v2);
          utimesSync(path + ".tmp", 1_700_000_100, 1_700_000_100);
          renameSync(path + ".tmp", path);
        } else {
          writeFileSync(path, v2);
          utimesSync(path, 1_700_000_100, 1_700_000_100);
        }
        const resume = await fetch(`${server.url}/${kind}/${name}`, {
          headers: { range: "bytes=50000-", "if-range": etag1 },
        });
        const etag2 = resume.headers.get("etag");
        assert.notEqual(etag2, etag1);
        assert.equal(resume.status, 200);
        assert.equal(resume.headers.get("content-range"), null);
        assert.deepEqual(new Uint8Array(await resume.arrayBuffer()), v2);

        const revalidate = await fetch(`${server.url}/${kind}/${name}`, { headers: { "if-none-match": etag1 } });
        assert.equal(revalidate.status, 200);
        assert.deepEqual(new Uint8Array(await revalidate.arrayBuffer()), v2);

        const current = await fetch(`${server.url}/${kind}/${name}`, {
          headers: { range: "bytes=50000-50009", "if-range": etag2! },
        });
        assert.equal(current.status, 206);
        assert.deepEqual(new Uint8Array(await current.arrayBuffer()), v2.subarray(50000, 50010));
      });
    }
  }
});

describe(`files deleted (${runtime})`, () => {
  test("serveDir: a file deleted between listing and request answers 404", async () => {
    writeFileSync(join(ROOT, "gone.mp4"), patternBytes(5000, 3));
    writeFileSync(join(ROOT, "stays.mp4"), patternBytes(5000, 4));
    const index = await fetch(`${server.url}/dir/`);
    assert.equal(index.status, 200);
    const html = await index.text();
    assert.match(html, /gone\.mp4/);
    unlinkSync(join(ROOT, "gone.mp4"));
    for (const headers of [{}, { range: "bytes=0-9" }] as Record<string, string>[]) {
      const res = await fetch(`${server.url}/dir/gone.mp4`, { headers });
      assert.equal(res.status, 404);
      await res.arrayBuffer();
    }
    const head = await fetch(`${server.url}/dir/gone.mp4`, { method: "HEAD" });
    assert.equal(head.status, 404);
    const stays = await fetch(`${server.url}/dir/stays.mp4`);
    assert.equal(stays.status, 200);
    assert.deepEqual(new Uint8Array(await stays.arrayBuffer()), patternBytes(5000, 4));
  });

  test("the adapters: a deleted file is FileNotFoundError", async () => {
    for (const open of Object.values(opens)) {
      await assert.rejects(open(join(TMP, "never-existed.bin")), FileNotFoundError);
    }
  });

  test("portable adapter: a file deleted after open still serves its original bytes", async () => {
    const path = join(TMP, "unlinked-after-open.bin");
    const data = patternBytes(3 * MiB, 5);
    writeFileSync(path, data);
    const file = await openPortable(path);
    unlinkSync(path);
    const res = handleVideo(new Request("http://x/"), file);
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), data);
  });

  test("every file the server opened was closed exactly once", async () => {
    const ok = await new Promise<boolean>((resolve) => {
      const deadline = Date.now() + 10_000;
      const poll = () => {
        if (closes === opened || Date.now() > deadline) resolve(closes === opened);
        else setTimeout(poll, 25);
      };
      poll();
    });
    // Bun's native FileLike has no close(); the count covers the wrappers the server made.
    assert.ok(ok, `opened ${opened}, closed ${closes}`);
  });
});
