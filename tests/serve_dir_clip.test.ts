// serveDir's clip step: `FILE.mp4?start=..&end=..` on the node:fs DirFs, on
// Deno, Node and Bun. The clip's own correctness is tests/clip.test.ts's; here,
// that the directory server answers it, with its header, its errors, and the
// switch to turn it off.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveDir } from "../src/adapters/serve.ts";
import { clip } from "../src/media/clip.ts";
import { countingFile } from "./helpers/counting_file.ts";
import { readAll, topLevel } from "./helpers/mp4_build.ts";

const root = mkdtempSync(join(tmpdir(), "ranged-serve-clip-"));
const GOP2 = new URL("./fixtures/gop2.mp4", import.meta.url);
copyFileSync(GOP2, join(root, "movie.mp4"));
copyFileSync(new URL("./fixtures/moov_at_end.mp4", import.meta.url), join(root, "end.mov"));
writeFileSync(join(root, "notes.txt"), "start=1 means nothing here");
writeFileSync(join(root, "broken.mp4"), "not an mp4 at all, but named like one");
after(() => rmSync(root, { recursive: true, force: true }));

const onError = (err: unknown) => assert.fail(String(err));
const handler = serveDir(root, { onError });
const get = (path: string, init?: RequestInit, h = handler) => h(new Request(`http://localhost${path}`, init));
const bytes = async (res: Response) => new Uint8Array(await res.arrayBuffer());

test("a clip: its bytes are clip()'s, X-Content-Start says where it begins, ranges work", async () => {
  const res = await get("/movie.mp4?start=3.3&end=5.5");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("x-content-start"), "2.000");
  assert.equal(res.headers.get("content-type"), "video/mp4");
  const body = await bytes(res);
  const source = new Uint8Array(readFileSync(GOP2));
  const mtime = statSync(join(root, "movie.mp4")).mtimeMs;
  const expected = await readAll(
    await clip(countingFile(source, { name: "movie.mp4", lastModified: mtime }), {
      start: 3.3,
      end: 5.5,
      cache: false,
      layoutCache: false,
    }),
  );
  assert.deepEqual(body, expected);
  assert.equal(res.headers.get("content-length"), String(expected.length));
  const part = await get("/movie.mp4?start=3.3&end=5.5", { headers: { range: "bytes=10-29" } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get("x-content-start"), "2.000", "on a 206 too");
  assert.deepEqual(await bytes(part), expected.subarray(10, 30));
  const etag = res.headers.get("etag")!;
  const cached = await get("/movie.mp4?start=3.3&end=5.5", { headers: { "if-none-match": etag } });
  assert.equal(cached.status, 304);
  assert.notEqual(etag, (await get("/movie.mp4", { method: "HEAD" })).headers.get("etag"));
});

test("a start past the duration: 400 with the reason", async () => {
  const res = await get("/movie.mp4?start=60");
  assert.equal(res.status, 400);
  assert.match(await res.text(), /^start 60\.000 s is at or past the duration \(8\.000 s\)$/);
});

test("no clip: invalid values, other files, a file the index refuses, clip: false", async () => {
  const whole = readFileSync(GOP2).length;
  for (const path of ["/movie.mp4?start=abc", "/movie.mp4?x=1&end=-2"]) {
    const res = await get(path, { method: "HEAD" });
    assert.equal(res.headers.get("content-length"), String(whole), path);
    assert.equal(res.headers.get("x-content-start"), null, path);
  }
  const notes = await get("/notes.txt?start=1");
  assert.equal(await notes.text(), "start=1 means nothing here");
  const broken = await get("/broken.mp4?start=1");
  assert.equal(broken.status, 200);
  assert.equal(await broken.text(), "not an mp4 at all, but named like one", "refused: the original file");
  assert.equal(broken.headers.get("x-content-start"), null);
  const off = serveDir(root, { onError, clip: false });
  const res = await get("/movie.mp4?start=3", { method: "HEAD" }, off);
  assert.equal(res.headers.get("content-length"), String(whole));
});

test("a moov-at-end .mov is clipped moov-first, with no faststart step", async () => {
  const res = await get("/end.mov?start=0.2");
  assert.equal(res.status, 200);
  const body = await bytes(res);
  assert.deepEqual(topLevel(body).map(([t]) => t), ["ftyp", "moov", "mdat"]);
});

test("the player page offers 'link from here' for clippable files only", async () => {
  const page = await (await get("/movie.mp4?player")).text();
  assert.match(page, /<button type="button" data-clip-link="\/movie\.mp4\?clip-link">Link from here<\/button>/);
  assert.match(page, /searchParams\.set\("clip-link", /, "the script asks the server for the link");
  assert.doesNotMatch(await (await get("/notes.txt?player")).text(), /<button type="button" data-clip-link/);
  const off = serveDir(root, { onError, clip: false });
  assert.doesNotMatch(
    await (await get("/movie.mp4?player", undefined, off)).text(),
    /<button type="button" data-clip-link/,
  );
});

test("?clip-link=SECONDS answers the clip's URL, milliseconds kept, extra decimals cut", async () => {
  for (
    const [given, link] of [["3.5", "/movie.mp4?start=3.500"], ["0", "/movie.mp4?start=0.000"], [
      "1.23456",
      "/movie.mp4?start=1.234",
    ]]
  ) {
    const res = await get(`/movie.mp4?clip-link=${given}`);
    assert.equal(res.status, 200, given);
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.equal(await res.text(), link, given);
  }
  for (const bad of ["", "-1", "abc", "1e3"]) {
    const res = await get(`/movie.mp4?clip-link=${bad}`);
    assert.equal(res.status, 400, bad);
    await res.body?.cancel();
  }
  const notes = await get("/notes.txt?clip-link=1");
  assert.equal(notes.status, 404, "no clips of a text file, so no links to them");
  await notes.body?.cancel();
});
