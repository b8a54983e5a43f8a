// serveDir with `signedUrls`: refusals are 403, identical for files that
// exist and files that do not, and touch no file at all; valid links serve
// the exact bytes (ranges, HEAD, 304); pages mint links that open what they
// show until the request's own expiry and nothing above it. Runs unchanged
// on Deno, Node and Bun (node scripts/test.mjs serve_dir_signed).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveDir } from "../src/server/serve_dir.ts";
import { nodeDirFs } from "../src/adapters/fs_dir.ts";
import type { DirFs } from "../src/server/dir_fs.ts";
import { signUrl } from "../src/access/signed_url.ts";

const SECRET = "serveDir test secret, 32 bytes..";
const VIDEO = new Uint8Array(1000).map((_, i) => (i * 7) % 251);
const HOUR = 3600_000;

const tmp = mkdtempSync(join(tmpdir(), "ranged-signed-"));
mkdirSync(join(tmp, "sub"));
writeFileSync(join(tmp, "video.mp4"), VIDEO);
writeFileSync(join(tmp, "notes.txt"), "plain notes");
writeFileSync(join(tmp, "sub", "a.mp4"), VIDEO.slice(0, 500));
writeFileSync(join(tmp, "movie.mp4"), readFileSync(new URL("../samples/testsrc-faststart.mp4", import.meta.url)));
const VTT = "WEBVTT\n\n00:00:00.500 --> 00:00:09.500\nhello from a sidecar\n";
writeFileSync(join(tmp, "movie.en.vtt"), VTT);
test.after(() => rmSync(tmp, { recursive: true, force: true }));

/** Every call the server makes to the file system, by method. */
const calls: string[] = [];
const countingFs: DirFs = {
  open: (p, n) => (calls.push("open"), nodeDirFs.open(p, n)),
  stat: (p) => (calls.push("stat"), nodeDirFs.stat(p)),
  realpath: (p) => (calls.push("realpath"), nodeDirFs.realpath(p)),
  readDir: (p) => (calls.push("readDir"), nodeDirFs.readDir(p)),
};
const shutdown = new AbortController();
test.after(() => shutdown.abort());
const handler = serveDir(tmp, {
  fs: countingFs,
  signedUrls: { secret: SECRET },
  signal: shutdown.signal,
  onError: (err) => assert.fail(String(err)),
});
const get = (path: string, init?: RequestInit) => handler(new Request(`http://localhost${path}`, init));
const sign = (
  path: string,
  extra: { params?: Record<string, string | number>; scope?: string; expires?: number } = {},
) => signUrl(path, { secret: SECRET, expires: Date.now() + HOUR, ...extra });

/** The status of `res`, its body cancelled so no file stays open. */
async function status(res: Response): Promise<number> {
  await res.body?.cancel();
  return res.status;
}

async function snapshot(res: Response) {
  return { status: res.status, headers: [...res.headers].sort(), body: await res.text() };
}

test("without a valid signature: 403, the same for every path, and no file-system call", async () => {
  const good = await sign("/video.mp4");
  const expired = await signUrl("/video.mp4", { secret: SECRET, expires: Date.now() - 60_000 });
  const wrongKey = await signUrl("/video.mp4", {
    secret: "another secret of 32 bytes......",
    expires: Date.now() + HOUR,
  });
  const refused: [string, string, RequestInit?][] = [
    ["no token, existing file", "/video.mp4"],
    ["no token, missing file", "/missing.mp4"],
    ["no token, directory", "/"],
    ["no token, hostile path", "/..%2f..%2fetc/passwd"],
    ["no token, HEAD", "/video.mp4", { method: "HEAD" }],
    ["no token, range", "/video.mp4", { headers: { range: "bytes=0-9" } }],
    ["no token, player page", "/video.mp4?player"],
    ["no token, events", "/__ranged/events?viewer=abcdefgh12"],
    ["expired", expired],
    ["wrong key", wrongKey],
    ["another file's token", good.replace("/video.mp4", "/missing.mp4")],
    ["one byte of the path changed", good.replace("video", "vidoe")],
    ["a parameter added", `${good}&start=5`],
  ];
  const first = await snapshot(await get("/video.mp4"));
  assert.equal(first.status, 403);
  assert.equal(first.body, "Forbidden");
  assert.ok(first.headers.some(([k, v]) => k === "cache-control" && v === "no-store"), "never cached");
  calls.length = 0;
  for (const [name, path, init] of refused) {
    const res = await snapshot(await get(path, init));
    assert.deepEqual({ ...res, body: init?.method === "HEAD" ? first.body : res.body }, first, name);
  }
  assert.deepEqual(calls, [], "a refused request never reaches the file system");
});

test("a valid link serves the exact bytes: whole, ranges, HEAD, 304", async () => {
  const url = await sign("/video.mp4");
  const whole = await get(url);
  assert.equal(whole.status, 200);
  assert.deepEqual(new Uint8Array(await whole.arrayBuffer()), VIDEO);
  const part = await get(url, { headers: { range: "bytes=100-199" } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get("content-range"), "bytes 100-199/1000");
  assert.deepEqual(new Uint8Array(await part.arrayBuffer()), VIDEO.slice(100, 200));
  const head = await get(url, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-length"), "1000");
  const etag = whole.headers.get("etag")!;
  assert.equal(await status(await get(url, { headers: { "if-none-match": etag } })), 304);
  const tracked = await get(`${url}&viewer=abcdefgh12`, { headers: { range: "bytes=0-9" } });
  assert.deepEqual(new Uint8Array(await tracked.arrayBuffer()), VIDEO.slice(0, 10), "viewer needs no signature");
  assert.equal(await status(await get(await sign("/missing.mp4"))), 404, "a valid link to nothing is an honest 404");
});

test("signed parameters: a clip's start and end are fixed by its link", async () => {
  const url = await sign("/video.mp4", { params: { start: 1.5, end: 3 } });
  assert.equal(await status(await get(url)), 200);
  for (
    const tampered of [url.replace("start=1.5", "start=0"), url.replace("end=3", "end=30"), url.replace("&end=3", "")]
  ) {
    assert.equal(await status(await get(tampered)), 403, tampered);
  }
});

/** Every href and src of an HTML page, decoded from its attribute escaping. */
function links(html: string): string[] {
  return [...html.matchAll(/(?:href|src)="([^"]*)"/g)].map((m) => m[1].replaceAll("&amp;", "&"));
}

test("the index mints links to what it lists, valid until the request's own expiry", async () => {
  const expires = Date.now() + 10 * 60_000;
  const index = await get(await signUrl("/", { secret: SECRET, expires, scope: "/" }));
  assert.equal(index.status, 200);
  const hrefs = links(await index.text());
  const byPath = (p: string) => hrefs.filter((h) => h.startsWith(p));
  const media = byPath("/video.mp4?viewer=")[0];
  assert.ok(media, `the player's src is signed: ${hrefs.join(" ")}`);
  assert.match(media, new RegExp(`exp=${Math.floor(expires / 1000)}&`), "the request's expiry, not a later one");
  assert.deepEqual(new Uint8Array(await (await get(media)).arrayBuffer()), VIDEO, media);
  const notes = byPath("/notes.txt")[0];
  assert.equal(await (await get(notes)).text(), "plain notes", notes);
  const player = byPath("/video.mp4?player")[0];
  assert.equal(await status(await get(player)), 200, player);
  const sub = byPath("/sub/")[0];
  const subIndex = await get(sub);
  assert.equal(subIndex.status, 200, sub);
  const subMedia = links(await subIndex.text()).find((h) => h.startsWith("/sub/a.mp4?viewer="))!;
  assert.deepEqual(new Uint8Array(await (await get(subMedia)).arrayBuffer()), VIDEO.slice(0, 500));
});

test("a page never opens more than it was opened with: a folder's links stay in the folder", async () => {
  const index = await get(await sign("/sub/"));
  assert.equal(index.status, 200, "a path link to a folder opens its index");
  const hrefs = links(await index.text());
  const media = hrefs.find((h) => h.startsWith("/sub/a.mp4?viewer="))!;
  assert.equal(await status(await get(media)), 200, "what it lists opens");
  const query = media.slice(media.indexOf("exp="));
  for (const above of ["/video.mp4", "/", "/notes.txt"]) {
    assert.equal(await status(await get(`${above}?${query}`)), 403, `${above} with the folder's minted link`);
  }
  for (const up of hrefs.filter((h) => h === "../" || h === "/")) assert.ok(!up.includes("sig="), `${up} is unsigned`);
});

test("the player page signs its media and its event stream", async () => {
  const page = await get(await sign("/video.mp4", { params: {} }).then((u) => `${u}&player`));
  assert.equal(page.status, 200);
  const html = await page.text();
  const media = links(html).find((h) => h.startsWith("/video.mp4?viewer="))!;
  assert.deepEqual(new Uint8Array(await (await get(media)).arrayBuffer()), VIDEO, media);
  const events = JSON.parse(/<script type="application\/json" id="ranged-data">(.*?)<\/script>/s.exec(html)![1]).events;
  assert.match(events, /^\/__ranged\/events\?viewer=\w+&exp=\d+&scope=\/__ranged\/events&sig=/, events);
  const controller = new AbortController();
  const stream = await get(events, { signal: controller.signal });
  assert.equal(stream.status, 200, events);
  assert.match(stream.headers.get("content-type")!, /^text\/event-stream/);
  controller.abort();
  await stream.body?.cancel().catch(() => {});
});

/** The URIs a playlist names (lines that are not tags), and URI="…" attributes. */
function playlistUris(text: string): string[] {
  const lines = text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
  return [...lines, ...[...text.matchAll(/URI="([^"]+)"/g)].map((m) => m[1])];
}

test("HLS: one signed master opens its playlists, init and segments; a segment without the token is refused", async () => {
  // A link to the master alone: the playlists carry a token scoped to the movie's mount point.
  const master = await sign("/movie.mp4/master.m3u8");
  const res = await get(master);
  assert.equal(res.status, 200, master);
  const fetched: string[] = [];
  const queue = playlistUris(await res.text()).map((u) => new URL(u, `http://localhost${master}`));
  let segment: URL | undefined;
  while (queue.length > 0) {
    const u = queue.shift()!;
    // The sidecar lies beside the movie, outside its mount point: a token of its own, for it alone.
    const scope = u.pathname === "/movie.en.vtt" ? "/movie\\.en\\.vtt" : "/movie\\.mp4";
    assert.match(u.search, new RegExp(`^\\?exp=\\d+&scope=${scope}&sig=[\\w-]{43}$`), u.href);
    const child = await get(u.pathname + u.search);
    assert.equal(child.status, 200, u.href);
    fetched.push(u.pathname);
    if (u.pathname.endsWith(".m3u8")) queue.push(...playlistUris(await child.text()).map((c) => new URL(c, u)));
    else if (u.pathname.endsWith(".vtt")) assert.equal(await child.text(), VTT, "the sidecar's bytes");
    else {
      if (u.pathname.endsWith(".m4s")) segment ??= u;
      assert.ok((await child.arrayBuffer()).byteLength > 0, u.href);
    }
  }
  assert.ok(fetched.some((p) => p.endsWith("init.mp4")) && segment, `init and segments reached: ${fetched}`);
  assert.ok(fetched.includes("/movie.en.vtt"), `the subtitle rendition reached its WebVTT file: ${fetched}`);
  assert.equal(await status(await get(segment.pathname)), 403, "a segment without the token");
  const bad = segment.pathname + segment.search.replace(/sig=./, (m) => m.endsWith("A") ? "sig=B" : "sig=A");
  assert.equal(await status(await get(bad)), 403, "a segment with one byte of the token changed");
  assert.equal(await status(await get(`/video.mp4${segment.search}`)), 403, "the movie's token opens nothing else");
  const folderWide = await signUrl("/movie.mp4/master.m3u8", {
    secret: SECRET,
    expires: Date.now() + HOUR,
    scope: "/",
  });
  const reused = playlistUris(await (await get(folderWide)).text())[0];
  assert.ok(
    reused.endsWith(folderWide.slice(folderWide.indexOf("?"))),
    `a covering token is passed on as is: ${reused}`,
  );
});

/**
 * Fetches every href and src of a signed page and asserts the gate lets
 * each through (not 403; sub/a.mp4 is no real MP4, so its HLS master is an
 * honest 422): a page shows no link its viewer could not open. The event
 * stream is opened and closed at once.
 */
async function everyLinkOpens(html: string, what: string): Promise<string[]> {
  const hrefs = links(html);
  for (const href of hrefs) {
    const controller = new AbortController();
    const res = await get(href, { signal: controller.signal });
    assert.ok(
      res.status === 200 || (res.status === 422 && href.startsWith("/sub/a.mp4/")),
      `${what}: ${href} ${res.status}`,
    );
    controller.abort();
    await res.body?.cancel().catch(() => {});
  }
  return hrefs;
}

test("a single-path link: its player page shows only links that open, subtitles and HLS included", async () => {
  const page = await get(`${await sign("/movie.mp4")}&player`);
  assert.equal(page.status, 200);
  const html = await page.text();
  const hrefs = await everyLinkOpens(html, "player page");
  const track = hrefs.find((h) => h.startsWith("/movie.en.vtt?"));
  assert.ok(track, `the <track> is signed: ${hrefs.join(" ")}`);
  assert.match(track, /^\/movie\.en\.vtt\?exp=\d+&scope=\/movie\.en\.vtt&sig=/);
  assert.equal(await (await get(track)).text(), VTT);
  assert.ok(hrefs.some((h) => h.startsWith("/movie.mp4/master.m3u8?exp=")), "the HLS master link is signed");
  assert.ok(!hrefs.some((h) => h === "/" || h.startsWith("/?")), "no link up: the path link opens nothing above");
  assert.match(html, /<span class="brand">/, "the brand is shown, not linked");
  const hlsSrc = /data-hls-play="([^"]+)"/.exec(html)?.[1].replaceAll("&amp;", "&");
  assert.ok(hlsSrc?.startsWith("/movie.mp4/master.m3u8?exp="), `the HLS switch plays a signed master: ${hlsSrc}`);
  assert.equal(await status(await get(hlsSrc!)), 200);
});

test("index pages show only links that open: links up where the request's scope covers them", async () => {
  const pathOnly = await (await get(await sign("/sub/"))).text();
  const hrefs = await everyLinkOpens(pathOnly, "index by path link");
  assert.ok(!hrefs.some((h) => h.startsWith("../") || h === "/" || h.startsWith("/?")), hrefs.join(" "));
  assert.ok(pathOnly.includes(`<span>../</span>`), "the parent is named, not linked");
  const wide = await (await get(await sign("/sub/", { scope: "/" }))).text();
  const up = (await everyLinkOpens(wide, "index by a scope over the root")).filter((h) =>
    h.startsWith("../?") || h.startsWith("/?")
  );
  assert.ok(up.length >= 2, `parent and breadcrumbs are linked, signed: ${up.join(" ")}`);
  const player = await (await get(`${await sign("/sub/a.mp4", { scope: "/sub" })}&player`)).text();
  const crumbs = await everyLinkOpens(player, "player page by a folder scope");
  assert.ok(crumbs.some((h) => h.startsWith("/sub/?exp=")), `the folder crumb is linked: ${crumbs.join(" ")}`);
  assert.ok(!crumbs.some((h) => h === "/" || h.startsWith("/?")), "the root crumb is not");
});

test("a clip link opens its clip and nothing more: no page, no playlist, no other clip minted from it", async () => {
  const clip = await sign("/movie.mp4", { params: { start: 2, end: 6 } });
  const res = await get(clip);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("x-content-start"), "2.000");
  await res.body?.cancel();
  const query = clip.slice(clip.indexOf("?") + 1);
  for (
    const path of [`${clip}&player`, `${clip}&clip-link=0`, `/movie.mp4/master.m3u8?${query}`, `/?${query}`]
  ) {
    const r = await get(path);
    assert.equal(r.status, 403, path);
    assert.equal(await r.text(), "Forbidden");
  }
});

test("link from here: a whole-file grant mints a clip link whose signature covers its start", async () => {
  const page = await (await get(`${await sign("/movie.mp4")}&player`)).text();
  const maker = /data-clip-link="([^"]+)"/.exec(page)?.[1].replaceAll("&amp;", "&");
  assert.ok(maker?.startsWith("/movie.mp4?clip-link&exp="), `the control asks with the page's token: ${maker}`);
  const answer = await get(`${maker}`.replace("clip-link", "clip-link=4.56789"));
  assert.equal(answer.status, 200);
  const link = await answer.text();
  assert.match(link, /^\/movie\.mp4\?start=4\.567&exp=\d+&sig=[\w-]{43}$/, link);
  assert.equal(link.match(/exp=(\d+)/)![1], maker!.match(/exp=(\d+)/)![1], "until the page's own expiry");
  const clip = await get(link);
  assert.equal(clip.status, 200);
  assert.equal(clip.headers.get("x-content-start"), "4.000", "from the keyframe at or before 4.567 s");
  await clip.body?.cancel();
  for (const widened of [link.replace("start=4.567", "start=0"), link.replace("&exp", "&end=9&exp")]) {
    assert.equal(await status(await get(widened)), 403, widened);
  }
  assert.equal(await status(await get("/movie.mp4?clip-link=1")), 403, "no token, no link");
});
