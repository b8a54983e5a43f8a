// serveDir's open-file cache: one open per file per window, shared by
// concurrent requests through leases; the file closed once it has expired
// (or was pushed out, or the cache closed) and the last lease is gone;
// failures never kept. Then on a real folder through serveDir: a file
// replaced by rename, truncated or deleted shows once the window has passed,
// and the descriptors it held are released on expiry and at shutdown
// (counted in /proc/self/fd).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OpenFileCache } from "../src/server/open_file_cache.ts";
import { fromBytes } from "../src/http/file_like.ts";
import type { FileLike } from "../src/http/file_like.ts";
import { FileNotFoundError } from "../src/http/errors.ts";
import { serveDir } from "../src/adapters/serve.ts";
import { portableDirFs } from "../src/adapters/fs_dir.ts";
import { openFdsUnder, waitUntil } from "./helpers/proc_stats.ts";

/** An opener over in-memory files that counts opens and closes per path. */
function countingOpener() {
  const opens: string[] = [];
  const closes: string[] = [];
  let missing = false;
  const open = (path: string, name: string): Promise<FileLike> => {
    if (missing) return Promise.reject(new FileNotFoundError(path));
    opens.push(path);
    const file = fromBytes(new TextEncoder().encode(`bytes of ${path} #${opens.length}`), { name });
    return Promise.resolve({ ...file, close: () => void closes.push(path) });
  };
  return { open, opens, closes, setMissing: (m: boolean) => void (missing = m) };
}

async function text(file: FileLike): Promise<string> {
  const buf = new Uint8Array(file.size);
  const n = await file.read(buf, 0);
  return new TextDecoder().decode(buf.subarray(0, n));
}

describe("OpenFileCache", () => {
  test("a burst within the window shares one open; expiry closes it; the next request opens anew", async () => {
    let now = 0;
    const o = countingOpener();
    const cache = new OpenFileCache(o.open, { validityMs: 1000, now: () => now });
    const leases = await Promise.all(Array.from({ length: 5 }, () => cache.open("/r/a", "a")));
    assert.deepEqual(o.opens, ["/r/a"], "one open for five concurrent requests");
    assert.equal(await text(leases[3]), "bytes of /r/a #1", "every lease reads the shared file");
    leases.forEach((l) => l.close?.());
    leases[0].close?.(); // a second close of one lease changes nothing
    assert.deepEqual(o.closes, [], "released leases leave the file open for the window");
    now = 999;
    (await cache.open("/r/a", "a")).close?.();
    assert.equal(o.opens.length, 1, "still shared just inside the window");
    now = 1000;
    cache.sweep();
    assert.deepEqual(o.closes, ["/r/a"], "closed on expiry, no request holding it");
    const fresh = await cache.open("/r/a", "a");
    assert.equal(await text(fresh), "bytes of /r/a #2", "opened again after the window");
    fresh.close?.();
    cache.close();
    assert.deepEqual(o.closes, ["/r/a", "/r/a"], "closed at shutdown");
  });

  test("a file in use when it expires stays open for its readers, and closes with the last of them", async () => {
    let now = 0;
    const o = countingOpener();
    const cache = new OpenFileCache(o.open, { validityMs: 100, now: () => now });
    const held = await cache.open("/r/a", "a");
    now = 100;
    const newer = await cache.open("/r/a", "a");
    assert.equal(o.opens.length, 2, "a request after the window gets a new open");
    assert.deepEqual(o.closes, [], "the old one is still being read");
    assert.equal(await text(held), "bytes of /r/a #1", "its reader still reads the old file");
    held.close?.();
    assert.deepEqual(o.closes, ["/r/a"], "closed with its last lease");
    await assert.rejects(held.read(new Uint8Array(1), 0), /read after close/);
    newer.close?.();
    cache.close();
    assert.equal(o.closes.length, 2);
  });

  test("failures are never kept: a file that appears is opened at once", async () => {
    const o = countingOpener();
    const cache = new OpenFileCache(o.open, { validityMs: 60_000, now: () => 0 });
    o.setMissing(true);
    await assert.rejects(cache.open("/r/a", "a"), FileNotFoundError);
    assert.equal(cache.size, 0, "nothing held for a failure");
    o.setMissing(false);
    (await cache.open("/r/a", "a")).close?.();
    assert.equal(o.opens.length, 1);
    cache.close();
  });

  test("bounded: the oldest file goes first, closed at once when idle, after its last reader otherwise", async () => {
    const o = countingOpener();
    const cache = new OpenFileCache(o.open, { validityMs: 60_000, maxEntries: 2, now: () => 0 });
    const a = await cache.open("/a", "a");
    (await cache.open("/b", "b")).close?.();
    (await cache.open("/c", "c")).close?.();
    assert.equal(cache.size, 2, "never more than the bound");
    assert.deepEqual(o.closes, [], "/a pushed out but still being read");
    a.close?.();
    assert.deepEqual(o.closes, ["/a"]);
    (await cache.open("/d", "d")).close?.();
    assert.deepEqual(o.closes, ["/a", "/b"], "an idle file pushed out is closed at once");
    cache.close();
    assert.deepEqual([...o.closes].sort(), ["/a", "/b", "/c", "/d"], "shutdown closes the rest");
  });

  test("one name per entry: the same real path under another name is its own file (Content-Type follows the name)", async () => {
    const o = countingOpener();
    const cache = new OpenFileCache(o.open, { validityMs: 60_000, now: () => 0 });
    const a = await cache.open("/r/x", "x.mp4");
    const b = await cache.open("/r/x", "x.mov");
    assert.deepEqual([a.name, b.name], ["x.mp4", "x.mov"]);
    a.close?.();
    b.close?.();
    cache.close();
  });

  test("validityMs 0, and after close(): every open is the opener's own", async () => {
    const o = countingOpener();
    const off = new OpenFileCache(o.open, { validityMs: 0 });
    (await off.open("/a", "a")).close?.();
    (await off.open("/a", "a")).close?.();
    assert.deepEqual([o.opens.length, o.closes.length], [2, 2]);
    const closed = new OpenFileCache(o.open, { validityMs: 60_000 });
    closed.close();
    (await closed.open("/a", "a")).close?.();
    assert.deepEqual([o.opens.length, o.closes.length], [3, 3]);
  });
});

const WINDOW_MS = 200;
const past = () => new Promise((r) => setTimeout(r, WINDOW_MS + 50));

describe("serveDir with the open-file cache on a real folder", () => {
  const get = async (handler: (req: Request) => Promise<Response>, range?: string) => {
    const res = await handler(new Request("http://x/a.txt", { headers: range ? { range } : {} }));
    return [res.status, await res.text()];
  };

  test("replaced by rename, truncated, deleted: each shows once the window has passed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ranged-filecache-"));
    const shutdown = new AbortController();
    try {
      writeFileSync(join(dir, "a.txt"), "old bytes");
      const handler = serveDir(dir, { rangeMap: false, openFileCacheMs: WINDOW_MS, signal: shutdown.signal });
      assert.deepEqual(await get(handler), [200, "old bytes"]);
      writeFileSync(join(dir, "a.tmp"), "new, longer bytes");
      renameSync(join(dir, "a.tmp"), join(dir, "a.txt"));
      await past();
      assert.deepEqual(await get(handler), [200, "new, longer bytes"], "replaced: new bytes, new length");
      truncateSync(join(dir, "a.txt"), 3);
      await past();
      assert.deepEqual(await get(handler), [200, "new"], "truncated: the new length");
      assert.deepEqual(await get(handler, "bytes=1-"), [206, "ew"]);
      rmSync(join(dir, "a.txt"));
      await past();
      assert.equal((await get(handler))[0], 404, "deleted: 404");
    } finally {
      shutdown.abort();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("descriptors: one per file for a burst, released on expiry with no further request, and at shutdown", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ranged-filecache-fds-"));
    const shutdown = new AbortController();
    try {
      for (const n of ["a.txt", "b.txt"]) writeFileSync(join(dir, n), `bytes of ${n}`);
      // The pread opener holds a descriptor per open file on every runtime.
      const handler = serveDir(dir, { fs: portableDirFs, rangeMap: false, openFileCacheMs: WINDOW_MS });
      // Counted by target: the whole process's count moves with sockets and
      // files other tests are still closing (it once flaked on Bun that way).
      const fds = () => openFdsUnder(dir);
      assert.equal(fds(), 0, "nothing open before the first request");
      const burst = await Promise.all(
        Array.from({ length: 20 }, (_, i) => handler(new Request(`http://x/${i % 2 ? "a" : "b"}.txt`))),
      );
      assert.deepEqual(burst.map((r) => r.status), Array(20).fill(200));
      await Promise.all(burst.map((r) => r.text()));
      assert.equal(fds(), 2, "one descriptor per file for the whole burst");
      assert.ok(await waitUntil(() => fds() === 0, 10_000), `released on expiry: ${fds()} still open`);

      const long = serveDir(dir, {
        fs: portableDirFs,
        rangeMap: false,
        openFileCacheMs: 60_000,
        signal: shutdown.signal,
      });
      const res = await long(new Request("http://x/a.txt"));
      assert.equal(await res.text(), "bytes of a.txt");
      assert.equal(fds(), 1, "held within the window");
      shutdown.abort();
      assert.ok(await waitUntil(() => fds() === 0, 10_000), `released at shutdown: ${fds()} still open`);
    } finally {
      shutdown.abort();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
