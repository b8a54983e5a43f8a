// The serveDir path cache: realpath/stat reused within the validity window,
// asked again after it, failures never kept, bounded, 0 = off. Through
// serveDir on a real folder: tests/open_file_cache.test.ts.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { cachedDirFs } from "../src/server/path_cache.ts";
import type { DirFs } from "../src/server/dir_fs.ts";
import { FileNotFoundError } from "../src/http/errors.ts";

function countingFs() {
  const calls = { realpath: 0, stat: 0 };
  let exists = true;
  let size = 1;
  const fs: DirFs = {
    open: () => Promise.reject(new Error("not used")),
    readDir: () => Promise.resolve([]),
    realpath(path) {
      calls.realpath++;
      return exists ? Promise.resolve(path) : Promise.reject(new FileNotFoundError(path));
    },
    stat(path) {
      calls.stat++;
      if (!exists) return Promise.reject(new FileNotFoundError(path));
      return Promise.resolve({ isFile: true, isDirectory: false, size });
    },
  };
  return { fs, calls, remove: () => void (exists = false), grow: () => void size++ };
}

describe("cachedDirFs", () => {
  test("reuses results within the window and asks again after it", async () => {
    let now = 0;
    const c = countingFs();
    const fs = cachedDirFs(c.fs, { validityMs: 1000, now: () => now });
    for (let i = 0; i < 5; i++) {
      await fs.realpath("/r/a");
      assert.equal((await fs.stat("/r/a")).size, 1);
    }
    assert.deepEqual(c.calls, { realpath: 1, stat: 1 }, "one lookup for a burst");
    c.grow();
    now = 999;
    assert.equal((await fs.stat("/r/a")).size, 1, "still cached just inside the window");
    now = 1000;
    assert.equal((await fs.stat("/r/a")).size, 2, "a change shows once the window has passed");
    assert.equal(c.calls.stat, 2);
  });

  test("failures are never cached: a path that appears is seen at once", async () => {
    const c = countingFs();
    c.remove();
    const fs = cachedDirFs(c.fs, { validityMs: 60_000, now: () => 0 });
    await assert.rejects(fs.stat("/r/a"), FileNotFoundError);
    await assert.rejects(fs.stat("/r/a"), FileNotFoundError);
    assert.equal(c.calls.stat, 2, "each failure asked again");
  });

  test("bounded: the oldest entries go first", async () => {
    const c = countingFs();
    const fs = cachedDirFs(c.fs, { validityMs: 60_000, maxEntries: 2, now: () => 0 });
    for (const p of ["/a", "/b", "/c"]) await fs.stat(p);
    await fs.stat("/c");
    await fs.stat("/b");
    assert.equal(c.calls.stat, 3, "the two newest still cached");
    await fs.stat("/a");
    assert.equal(c.calls.stat, 4, "the oldest was dropped");
  });

  test("validityMs 0 turns it off", () => {
    const c = countingFs();
    assert.equal(cachedDirFs(c.fs, { validityMs: 0 }), c.fs);
  });
});
