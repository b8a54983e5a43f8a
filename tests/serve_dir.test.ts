// serveDir on the node:fs DirFs: path traversal, symlinks, dotfiles, the
// index and player pages, and the per-viewer range map. Runs unchanged on
// Deno, Node and Bun (node scripts/test.mjs serve_dir).
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveDir } from "../src/adapters/serve.ts";
import { parseRequestPath } from "../src/server/safe_path.ts";
import { addRange, ViewerTracker } from "../src/server/viewer_ranges.ts";
import { escapeHtml, jsonForScript } from "../src/server/html.ts";
import { readTopLevelBoxes } from "../src/media/boxes.ts";
import { fromBytes } from "../src/http/file_like.ts";

const SECRET = "TOP SECRET outside the root";
const XSS = `<img src=x onerror=alert(1)>.mp4`;
const QUOTES = `a&b "q" 'r'.mp4`;
const VIDEO = new Uint8Array(1000).map((_, i) => i % 251);

const tmp = mkdtempSync(join(tmpdir(), "ranged-serve-dir-"));
const root = join(tmp, "root");
mkdirSync(join(root, "sub"), { recursive: true });
mkdirSync(join(root, ".git"));
mkdirSync(join(tmp, "outside"));
mkdirSync(join(tmp, "root-evil")); // shares the root's name as a prefix: "root" vs "root-evil"
writeFileSync(join(tmp, "outside", "secret.txt"), SECRET);
writeFileSync(join(tmp, "root-evil", "x.txt"), SECRET);
writeFileSync(join(root, "video.mp4"), VIDEO);
writeFileSync(join(root, "notes.txt"), "plain notes");
writeFileSync(join(root, ".hidden"), SECRET);
writeFileSync(join(root, ".git", "config"), SECRET);
writeFileSync(join(root, "sub", "a.mp4"), VIDEO);
writeFileSync(join(root, "sub", ".hidden"), SECRET);
writeFileSync(join(root, "%2e%2e"), "a file literally named %2e%2e");
writeFileSync(join(root, XSS), VIDEO);
writeFileSync(join(root, QUOTES), VIDEO);
copyFileSync(new URL("../samples/testsrc-moov-at-end.mp4", import.meta.url), join(root, "moov-at-end.mp4"));
symlinkSync(join(tmp, "outside", "secret.txt"), join(root, "link-out"));
symlinkSync(join(tmp, "outside"), join(root, "link-dir-out"));
symlinkSync("../outside/secret.txt", join(root, "sub", "relative-out"));
symlinkSync(join(tmp, "root-evil"), join(root, "sneaky"));
symlinkSync("video.mp4", join(root, "link-in.mp4"));
symlinkSync(".hidden", join(root, "link-dot"));
symlinkSync("sub", join(root, "link-sub"));
symlinkSync(join(tmp, "nowhere"), join(root, "dangling"));

const handler = serveDir(root, { onError: (err) => assert.fail(String(err)) });
const get = (path: string, init?: RequestInit) => handler(new Request(`http://localhost${path}`, init));

test.after(() => rmSync(tmp, { recursive: true, force: true }));

const HOSTILE = [
  "/../outside/secret.txt",
  "/..%2foutside%2fsecret.txt",
  "/..%2Foutside%2Fsecret.txt",
  "/%2e%2e/outside/secret.txt",
  "/%2E%2E/outside/secret.txt",
  "/%2e%2e%2foutside%2fsecret.txt",
  "/.%2e/outside/secret.txt",
  "/..%5coutside%5csecret.txt",
  "/..%5Coutside%5Csecret.txt",
  "/..\\outside\\secret.txt",
  "/sub\\..\\..\\outside\\secret.txt",
  "/%252e%252e/outside/secret.txt",
  "/%252e%252e%252foutside%252fsecret.txt",
  "/sub/../../outside/secret.txt",
  "/sub/%2e%2e/%2e%2e/outside/secret.txt",
  "/sub/.%2e/.%2e/outside/secret.txt",
  "/sub%2f..%2f..%2foutside%2fsecret.txt",
  "/sub/%2e%2e%2f%2e%2e%2foutside/secret.txt",
  "/%c0%ae%c0%ae/outside/secret.txt",
  "/%c0%af..%c0%afoutside",
  "/%u002e%u002e/outside/secret.txt",
  "/..;/outside/secret.txt",
  "/%00",
  "/video.mp4%00",
  "/video.mp4%00.txt",
  "/%00/../outside/secret.txt",
  "/sub/a.mp4%00/../../outside/secret.txt",
  "//outside/secret.txt",
  `/${tmp}/outside/secret.txt`,
  `/${encodeURIComponent(join(tmp, "outside", "secret.txt"))}`,
  "/.hidden",
  "/%2ehidden",
  "/.git/config",
  "/%2egit/config",
  "/sub/.hidden",
  "/./.hidden",
  "/%2e/.hidden",
  "/link-out",
  "/link-dir-out/secret.txt",
  "/link-dir-out/",
  "/link-dir-out?player",
  "/sub/relative-out",
  "/sneaky/x.txt",
  "/sneaky/",
  "/link-dot",
  "/dangling",
  "/link-sub/..%2f..%2foutside/secret.txt",
  "/video.mp4/",
  "/video.mp4/x",
  "/%ZZ",
  "/%",
];

test("serveDir: at least 30 hostile paths never reach a file outside the root", async () => {
  assert.ok(HOSTILE.length >= 30);
  for (const path of HOSTILE) {
    for (const range of [undefined, "bytes=0-5"]) {
      const res = await get(path, { headers: range ? { range } : {} });
      const body = await res.text();
      assert.ok(res.status === 404 || res.status === 400, `${path} answered ${res.status}`);
      assert.ok(!body.includes("SECRET"), `${path} leaked the secret`);
    }
  }
});

test("serveDir: parseRequestPath refuses encoded separators, NUL, dot segments and bad encoding", () => {
  assert.deepEqual(parseRequestPath("/a/b%20c.mp4"), { ok: true, segments: ["a", "b c.mp4"], trailingSlash: false });
  assert.deepEqual(parseRequestPath("/a/"), { ok: true, segments: ["a"], trailingSlash: true });
  assert.deepEqual(parseRequestPath("/"), { ok: true, segments: [], trailingSlash: true });
  assert.deepEqual(parseRequestPath("/%252e%252e"), { ok: true, segments: ["%2e%2e"], trailingSlash: false });
  for (
    const p of ["/a%2fb", "/a%5Cb", "/a\\b", "/a%00", "/..", "/%2e%2e", "/.", "/a//b", "/.env", "relative", "/a\nb"]
  ) {
    assert.equal(parseRequestPath(p).ok, false, p);
  }
  assert.deepEqual(parseRequestPath("/%E0%A4%A"), { ok: false, status: 400 });
  assert.equal(parseRequestPath("/.env", { dotfiles: true }).ok, true);
});

test("serveDir: files inside the root are served with ranges, HEAD and validators", async () => {
  const full = await get("/video.mp4");
  assert.equal(full.status, 200);
  assert.deepEqual(new Uint8Array(await full.arrayBuffer()), VIDEO);
  assert.equal(full.headers.get("content-type"), "video/mp4");
  assert.equal(full.headers.get("accept-ranges"), "bytes");

  const part = await get("/video.mp4", { headers: { range: "bytes=10-19" } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get("content-range"), "bytes 10-19/1000");
  assert.deepEqual(new Uint8Array(await part.arrayBuffer()), VIDEO.subarray(10, 20));

  const head = await get("/sub/a.mp4", { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-length"), "1000");
  await head.body?.cancel();

  const etag = full.headers.get("etag")!;
  const notModified = await get("/video.mp4", { headers: { "if-none-match": etag } });
  assert.equal(notModified.status, 304);

  // A file literally named "%2e%2e" is reachable by its once-encoded name, and is not "..".
  const literal = await get("/%252e%252e");
  assert.equal(literal.status, 200);
  assert.equal(await literal.text(), "a file literally named %2e%2e");

  const post = await get("/video.mp4", { method: "POST", body: "x" });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, HEAD");
});

test("serveDir: symlinks that stay inside the root work, others are 404", async () => {
  const inside = await get("/link-in.mp4", { headers: { range: "bytes=0-3" } });
  assert.equal(inside.status, 206);
  assert.deepEqual(new Uint8Array(await inside.arrayBuffer()), VIDEO.subarray(0, 4));
  const viaDirLink = await get("/link-sub/a.mp4");
  assert.equal(viaDirLink.status, 200);
  await viaDirLink.body?.cancel();
  for (const p of ["/link-out", "/link-dir-out/secret.txt", "/sneaky/x.txt", "/sub/relative-out", "/link-dot"]) {
    const res = await get(p);
    assert.equal(res.status, 404, p);
    await res.body?.cancel();
  }
});

test("serveDir: dotfiles are hidden by default and served with dotfiles: true", async () => {
  const hidden = await get("/.hidden");
  assert.equal(hidden.status, 404);
  await hidden.body?.cancel();
  const open = serveDir(root, { dotfiles: true });
  const res = await open(new Request("http://localhost/.hidden"));
  assert.equal(res.status, 200);
  assert.equal(await res.text(), SECRET);
  // Even with dotfiles on, a symlink out of the root stays closed.
  const out = await open(new Request("http://localhost/link-out"));
  assert.equal(out.status, 404);
  await out.body?.cancel();
});

test("serveDir: a directory without a slash redirects, with one answers the index", async () => {
  const redirect = await get("/sub?x=1");
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.get("location"), "/sub/?x=1");

  const res = await get("/");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /^text\/html/);
  assert.match(res.headers.get("content-security-policy")!, /script-src 'nonce-/);
  const html = await res.text();
  const viewer = /data-viewer|"viewer":"([0-9a-f]{32})"/.exec(html)?.[1];
  assert.ok(viewer, "the page carries a viewer id");
  assert.ok(html.includes(`<video controls preload="metadata" playsinline src="/video.mp4?viewer=${viewer}">`));
  assert.ok(html.includes(`href="/sub/"`));
  assert.ok(html.includes(`href="/link-in.mp4?player"`), "a symlink inside the root is listed");
  assert.ok(html.includes(`href="/notes.txt"`), "other files are listed as links");
  assert.ok(!html.includes('<video controls preload="metadata" playsinline src="/notes.txt'));
  for (const hidden of [".hidden", ".git", "link-out", "link-dir-out", "sneaky", "link-dot", "dangling"]) {
    assert.ok(!html.includes(`/${hidden}`), `${hidden} must not be listed`);
  }
  assert.ok(html.includes("faststart on the fly"), "the MP4 layout is shown: moov moved from the end");

  const sub = await (await get("/sub/")).text();
  assert.ok(sub.includes(`src="/sub/a.mp4?viewer=`));
  assert.ok(sub.includes(`href="../"`));
  assert.ok(!sub.includes("relative-out"));

  const head = await get("/", { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.body, null);
});

test("serveDir: file names are HTML-escaped in the index and the player page", async () => {
  const html = await (await get("/")).text();
  assert.ok(!html.includes("<img src=x"), "raw markup from a file name");
  assert.ok(html.includes(escapeHtml(XSS)));
  assert.ok(html.includes(`href="/${encodeURIComponent(XSS)}?player"`));
  assert.ok(html.includes("a&amp;b &quot;q&quot; &#39;r&#39;.mp4"));
  assert.ok(!html.includes(`"q"`) || !html.includes(`b "q" '`), "quotes escaped");
  const player = await get(`/${encodeURIComponent(XSS)}?player`);
  assert.equal(player.status, 200);
  const page = await player.text();
  assert.ok(!page.includes("<img src=x"));
  assert.ok(page.includes(`<h1>${escapeHtml(XSS)}</h1>`));
  assert.equal(jsonForScript({ n: "</script><!--" }), '{"n":"\\u003c/script\\u003e\\u003c!--"}');
});

test("serveDir: the player page shows size, type, layout and the range map", async () => {
  const res = await get("/moov-at-end.mp4?player");
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.ok(html.includes("video/mp4"));
  assert.ok(html.includes("769,382 bytes") || /\d{3},\d{3} bytes/.test(html));
  assert.ok(html.includes("data-map"));
  assert.ok(html.includes("faststart on the fly"));
  assert.match(html, /"boxes":\[\{"type":"ftyp","start":0,"size":\d+\},\{"type":"moov"/);
});

test("serveDir: ranges sent to a viewer are pushed over Server-Sent Events", async () => {
  const viewer = "testviewer01";
  const res = await get(`/video.mp4?viewer=${viewer}`, { headers: { range: "bytes=100-299" } });
  assert.equal(res.status, 206);
  assert.equal((await res.arrayBuffer()).byteLength, 200);

  const controller = new AbortController();
  const events = await get(`/__ranged/events?viewer=${viewer}`, { signal: controller.signal });
  assert.equal(events.status, 200);
  assert.match(events.headers.get("content-type")!, /^text\/event-stream/);
  const reader = events.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  assert.match(first, /^retry: \d+\nevent: ranges\ndata: /);
  const files = JSON.parse(first.split("data: ")[1]);
  assert.equal(files[0].path, "/video.mp4");
  assert.deepEqual(files[0].ranges, [[100, 299]]);
  assert.equal(files[0].requests[0].state, "done");

  // A second response is pushed as an update.
  const more = await get(`/video.mp4?viewer=${viewer}`, { headers: { range: "bytes=300-399" } });
  await more.arrayBuffer();
  const update = new TextDecoder().decode((await reader.read()).value);
  assert.deepEqual(JSON.parse(update.split("data: ")[1])[0].ranges, [[100, 399]]);
  await reader.cancel();

  const bad = await get(`/__ranged/events?viewer=x`);
  assert.equal(bad.status, 404);
  await bad.body?.cancel();
});

test("serveDir: the range map records the parts the handler chose for a multipart body", async () => {
  const viewer = "testviewer02";
  // Overlapping ranges: the handler coalesces 0-9 and 5-19 into one part; the map must show its parts, not the request's.
  const res = await get(`/video.mp4?viewer=${viewer}`, { headers: { range: "bytes=5-19,0-9,500-509" } });
  assert.equal(res.status, 206);
  assert.match(res.headers.get("content-type")!, /^multipart\/byteranges/);
  await res.arrayBuffer();
  const events = await get(`/__ranged/events?viewer=${viewer}`);
  const reader = events.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  const [entry] = JSON.parse(first.split("data: ")[1]);
  assert.deepEqual(entry.ranges, [[0, 19], [500, 509]], "coalesced parts, as sent");
  assert.equal(entry.requests.length, 2, "one record per part");
});

test("serveDir: a path past a file or a missing entry answers 404, with no route guessing", async () => {
  for (
    const path of ["/video.mp4/x", "/video.mp4/x/y", "/video.mp4/", "/sub/missing.mp4", "/missing/a/b/c", "/sub/a.mp4/"]
  ) {
    const res = await get(path);
    assert.equal(res.status, 404, path);
    assert.equal(await res.text(), "Not Found", path);
  }
});

test("serveDir: a shutdown signal ends open event streams", async () => {
  const shutdown = new AbortController();
  const h = serveDir(root, { signal: shutdown.signal });
  const res = await h(new Request("http://localhost/__ranged/events?viewer=shutdown01"));
  const reader = res.body!.getReader();
  await reader.read();
  shutdown.abort();
  assert.equal((await reader.read()).done, true);
});

test("ViewerTracker: viewers, files and ranges are capped; idle viewers expire", () => {
  let now = 0;
  const tracker = new ViewerTracker({ maxViewers: 3, idleMs: 1000, maxFiles: 2, maxRanges: 4, now: () => now });
  for (let i = 0; i < 10; i++) tracker.begin(`viewer-${i}xxxx`, "/a", 100, 206, 0, 9)?.finish(false);
  assert.equal(tracker.viewerCount, 3);
  for (const p of ["/a", "/b", "/c"]) tracker.begin("viewer-9xxxx", p, 100, 206, 0, 0);
  assert.equal(tracker.snapshot("viewer-9xxxx").length, 2);
  const rec = tracker.begin("viewer-9xxxx", "/r", 1000, 206, 0, 999)!;
  rec.progress(10);
  assert.deepEqual(tracker.activity("viewer-9xxxx", "/r")!.ranges, [[0, 9]]);
  for (let i = 0; i < 10; i++) tracker.begin("viewer-9xxxx", "/r", 1000, 206, i * 100, i * 100 + 9)!.progress(10);
  assert.ok(tracker.activity("viewer-9xxxx", "/r")!.ranges.length <= 4);
  assert.equal(tracker.begin("bad id", "/a", 1, 200, 0, 0), undefined);
  now = 60_000;
  tracker.begin("viewer-newxxxx", "/a", 100, 200, 0, 99);
  assert.equal(tracker.viewerCount, 1, "idle viewers were swept");
});

test("addRange merges overlapping and adjacent ranges", () => {
  const r: Array<[number, number]> = [];
  addRange(r, 10, 19);
  addRange(r, 30, 39);
  addRange(r, 20, 24);
  assert.deepEqual(r, [[10, 24], [30, 39]]);
  addRange(r, 0, 100);
  assert.deepEqual(r, [[0, 100]]);
});

test("MP4s with moov at the end are served in faststart layout at the same URL, unless turned off", async () => {
  const samples = new URL("../samples/", import.meta.url).pathname;
  const original = new Uint8Array(
    await (await import("node:fs/promises")).readFile(join(samples, "testsrc-moov-at-end.mp4")),
  );
  const types = async (body: Uint8Array) => (await readTopLevelBoxes(fromBytes(body))).map((b) => b.type);
  assert.deepEqual(await types(original), ["ftyp", "free", "mdat", "moov"]);

  const served = await serveDir(samples, { rangeMap: false })(new Request("http://x/testsrc-moov-at-end.mp4"));
  assert.equal(served.status, 200);
  const body = new Uint8Array(await served.arrayBuffer());
  assert.equal(body.length, original.length);
  assert.deepEqual(await types(body), ["ftyp", "moov", "free", "mdat"]);
  assert.notEqual(served.headers.get("etag"), null);

  const page = await (await serveDir(samples)(new Request("http://x/testsrc-moov-at-end.mp4?player"))).text();
  assert.match(page, /faststart on the fly/);

  const off = serveDir(samples, { rangeMap: false, faststart: false });
  const raw = new Uint8Array(await (await off(new Request("http://x/testsrc-moov-at-end.mp4"))).arrayBuffer());
  assert.deepEqual(raw, original);
  const offPage =
    await (await serveDir(samples, { faststart: false })(new Request("http://x/testsrc-moov-at-end.mp4?player")))
      .text();
  assert.match(offPage, /moov at the end/);
});
