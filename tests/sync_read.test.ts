// readSync, the synchronous read the writers use for small bodies: each file
// adapter of this runtime reads the exact bytes at any position and refuses
// to read after close; on Bun, where large bodies go out by path (sendfile),
// a file replaced after opening is still answered from the opened one. The
// open-file cache's leases pass readSync on with their own close.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openFile as openPortable } from "../src/adapters/fs.ts";
import { handleVideo } from "../src/http/handler.ts";
import type { FileLike } from "../src/http/file_like.ts";
import { FileNotFoundError } from "../src/http/errors.ts";
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

    test("refuses to read after close", async () => {
      const file = await open(fresh());
      await file.close?.();
      assert.throws(() => file.readSync!(new Uint8Array(2), 0), /after close/);
    });
  });
}

if (runtime === "bun") {
  describe("the Bun adapter: the descriptor pins the file the headers describe", () => {
    test("openFile resolves on the check phase, after the requests already read (a burst is answered together)", async () => {
      const path = fresh();
      const order: string[] = [];
      setImmediate(() => order.push("earlier immediate"));
      const file = await openNative(path);
      order.push("opened");
      assert.deepEqual(order, ["earlier immediate", "opened"]);
      await file.close?.();
      await assert.rejects(openNative(join(DIR, "missing.bin")), FileNotFoundError);
    });

    test("a file replaced by rename after opening is answered from the opened one, small or large", async () => {
      const path = fresh();
      const file = await openNative(path);
      const other = join(DIR, "replacement.bin");
      writeFileSync(other, patternBytes(DATA.length, 9));
      renameSync(other, path);
      const small = handleVideo(new Request("http://x/", { headers: { range: "bytes=5-6" } }), file);
      assert.deepEqual(new Uint8Array(await small.arrayBuffer()), DATA.subarray(5, 7), "a small body: one pread");
      const again = await openNative(join(DIR, `f${n - 1}.bin`));
      const large = handleVideo(new Request("http://x/"), again);
      // Opened after the rename: the replacement, through sendfile.
      assert.deepEqual(new Uint8Array(await large.arrayBuffer()), patternBytes(DATA.length, 9));
    });

    test("a large body of a file replaced since opening is read from the descriptor, not sent by path", async () => {
      // Same size and modification time: only the inode tells them apart.
      const when = new Date(Date.UTC(2024, 0, 1));
      const path = fresh();
      utimesSync(path, when, when);
      const file = await openNative(path);
      const other = join(DIR, "replacement2.bin");
      writeFileSync(other, patternBytes(DATA.length, 11));
      utimesSync(other, when, when);
      renameSync(other, path);
      assert.equal(file.blob?.(), undefined, "the path no longer names the opened file");
      const res = handleVideo(new Request("http://x/"), file);
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), DATA, "the opened file's bytes");
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
