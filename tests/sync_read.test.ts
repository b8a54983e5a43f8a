// readSync, the synchronous read the writers use for small bodies: each file
// adapter of this runtime reads the exact bytes at any position, refuses to
// read after close, and (Bun, whose reads go by path) reads nothing from a
// file changed since it was opened, so the handler takes its checked path.
// The open-file cache's leases pass it on with their own close.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openFile as openPortable } from "../src/adapters/fs.ts";
import { handleVideo } from "../src/http/handler.ts";
import type { FileLike } from "../src/http/file_like.ts";
import { OpenFileCache } from "../src/server/open_file_cache.ts";
import { patternBytes } from "./helpers/counting_file.ts";
import { openNative, runtime } from "./helpers/server.ts";

const DIR = mkdtempSync(join(tmpdir(), "ranged-sync-read-"));
const DATA = patternBytes(100_000, 5);
after(() => rmSync(DIR, { recursive: true, force: true }));

let n = 0;
function fresh(): string {
  const path = join(DIR, `f${n++}.bin`);
  writeFileSync(path, DATA);
  return path;
}

const adapters: [string, (path: string) => Promise<FileLike>][] = [["portable (node:fs)", (p) => openPortable(p)]];
if (runtime !== "node") adapters.push([`native (${runtime})`, openNative]);

for (const [name, open] of adapters) {
  describe(`readSync of the ${name} adapter`, () => {
    test("reads the exact bytes at any position, in any order", async () => {
      const file = await open(fresh());
      assert.equal(typeof file.readSync, "function");
      for (const [position, length] of [[0, 2], [99_990, 10], [4096, 65536], [17, 1], [99_995, 100]]) {
        const into = new Uint8Array(length);
        const got = file.readSync!(into, position);
        const want = DATA.subarray(position, position + length);
        assert.equal(got, want.length, `count at ${position}`);
        assert.deepEqual(into.subarray(0, got), want, `bytes at ${position}`);
      }
      assert.equal(file.readSync!(new Uint8Array(4), DATA.length), 0, "0 at the end of the file");
      await file.close?.();
    });

    if (runtime !== "bun" || name.startsWith("portable")) {
      test("refuses to read after close", async () => {
        const file = await open(fresh());
        await file.close?.();
        assert.throws(() => file.readSync!(new Uint8Array(2), 0));
      });
    }
  });
}

if (runtime === "bun") {
  describe("readSync of the Bun adapter goes by path", () => {
    test("a file changed since it was opened reads 0, and the handler falls back to its checked path", async () => {
      const path = fresh();
      const file = await openNative(path);
      // Same size, new bytes and a new mtime: the fstat sees the change.
      writeFileSync(path, patternBytes(DATA.length, 9));
      utimesSync(path, new Date(), new Date(Date.now() + 5000));
      assert.equal(file.readSync!(new Uint8Array(2), 0), 0, "nothing read from the changed file");
      const res = handleVideo(new Request("http://x/", { headers: { range: "bytes=0-1" } }), file);
      assert.equal(res.status, 206);
      // The Blob path's own re-stat then sends the body through read(), which
      // reads by path (the bytes as they are now) and cuts a file that shrank.
      const body = new Uint8Array(await res.arrayBuffer());
      assert.deepEqual(body, patternBytes(DATA.length, 9).subarray(0, 2));
    });
  });
}

describe("the open-file cache's leases", () => {
  test("pass readSync on, and refuse it after their own close", async () => {
    const path = fresh();
    const cache = new OpenFileCache((p) => openPortable(p), { validityMs: 60_000 });
    const a = await cache.open(path, "a");
    const b = await cache.open(path, "a");
    const into = new Uint8Array(3);
    assert.equal(a.readSync!(into, 10), 3);
    assert.deepEqual(into, DATA.subarray(10, 13));
    a.close?.();
    assert.throws(() => a.readSync!(into, 0), /after close/);
    assert.equal(b.readSync!(into, 20), 3, "another lease still reads");
    assert.deepEqual(into, DATA.subarray(20, 23));
    b.close?.();
    cache.close();
  });

  test("a file without readSync gives leases without it", async () => {
    const cache = new OpenFileCache(() => Promise.resolve({ size: 1, read: () => Promise.resolve(0) }), {
      validityMs: 60_000,
    });
    const lease = await cache.open("/x", "x");
    assert.equal(lease.readSync, undefined);
    lease.close?.();
    cache.close();
  });
});
