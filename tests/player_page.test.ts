// The player page's hint says what the MP4 layout, as served, makes the
// browser do: the default rewrites moov-at-end files, so "the browser fetches
// the end" must only be claimed when it does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { type PageFile, renderPlayerPage } from "../src/server/player_page.ts";

const ctx = { viewer: "abcdefgh", events: "/__ranged/events?viewer=abcdefgh", nonce: "n", segments: [] };
const file = (boxes: string[], faststart?: boolean): PageFile => ({
  name: "a.mp4",
  path: "/a.mp4",
  size: 4000,
  type: "video/mp4",
  boxes: boxes.map((type, i) => ({ type, start: i * 1000, size: 1000 })),
  faststart,
});
const hint = (html: string) => /<p class="hint">([\s\S]*?)<\/p>/.exec(html)?.[1].replace(/\s+/g, " ") ?? "";

const cases: [string, PageFile, RegExp | null, RegExp | null][] = [
  ["moov at the end, rewritten on the fly", file(["ftyp", "moov", "mdat"], true), /--no-faststart/, /fetches the end/],
  ["moov at the end, served as on disk", file(["ftyp", "mdat", "moov"]), /fetches the end before it can play/, null],
  ["faststart on disk", file(["ftyp", "moov", "mdat"]), null, /moov/],
  ["not an MP4", { name: "a.webm", path: "/a.webm", size: 10, type: "video/webm" }, null, /moov/],
];
for (const [name, f, must, mustNot] of cases) {
  test(`player page hint: ${name}`, () => {
    const text = hint(renderPlayerPage(ctx, f));
    assert.match(text, /aborted rows are normal/, `the hint is there: ${text}`);
    if (must) assert.match(text, must, `hint for ${name}: ${text}`);
    if (mustNot) assert.doesNotMatch(text, mustNot, `hint for ${name}: ${text}`);
  });
}

// The HLS source switch (issue 13): offered with the file's master, hidden until the
// script finds native HLS; signed like every other link of the page.
const mp4: PageFile = { name: "a.mp4", path: "/a.mp4", size: 10, type: "video/mp4", hls: "/a.mp4/master.m3u8" };
test("player page: an HLS switch for a file with a master, hidden until the browser says it plays HLS", () => {
  const html = renderPlayerPage(ctx, mp4);
  assert.match(html, /<button type="button" class="open" data-hls-play="\/a\.mp4\/master\.m3u8" hidden>Play via HLS/);
  assert.match(html, /canPlayType\("application\/vnd\.apple\.mpegurl"\)/, "the script asks the browser first");
  assert.doesNotMatch(renderPlayerPage(ctx, { ...mp4, hls: undefined }), /<button[^>]*data-hls-play/);
  assert.doesNotMatch(
    renderPlayerPage(ctx, { ...mp4, type: "audio/mp4" }),
    /<button[^>]*data-hls-play/,
    "audio: no switch",
  );
});

const signedCtx = { ...ctx, segments: ["films", "new"], linkQuery: "exp=9&scope=/films/new/a.mp4&sig=S" };
const hrefs = (html: string) => [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1].replaceAll("&amp;", "&"));
test("signed player page: the switch, the clip control and the HLS link carry the page's token", () => {
  const html = renderPlayerPage(signedCtx, {
    ...mp4,
    path: "/films/new/a.mp4",
    hls: "/films/new/a.mp4/master.m3u8",
    clip: true,
  });
  assert.match(
    html,
    /data-hls-play="\/films\/new\/a\.mp4\/master\.m3u8\?exp=9&amp;scope=\/films\/new\/a\.mp4&amp;sig=S"/,
  );
  assert.match(html, /data-clip-link="\/films\/new\/a\.mp4\?clip-link&amp;exp=9&amp;/);
  assert.ok(hrefs(html).includes("/films/new/a.mp4/master.m3u8?exp=9&scope=/films/new/a.mp4&sig=S"));
});

test("signed pages link up only where the request's own scope opens: breadcrumbs and the brand", () => {
  const none = hrefs(renderPlayerPage(signedCtx, mp4));
  assert.deepEqual(none.filter((h) => !h.includes("master.m3u8")), [], "a path link: no link up at all");
  const up = { scope: "/films", query: "exp=9&scope=/films&sig=T" };
  const some = hrefs(renderPlayerPage({ ...signedCtx, up }, mp4)).filter((h) => !h.includes("master.m3u8"));
  assert.deepEqual(some, ["/films/?exp=9&scope=/films&sig=T", "/films/new/?exp=9&scope=/films&sig=T"]);
  const all = hrefs(renderPlayerPage({ ...signedCtx, up: { scope: "/", query: "q" } }, mp4));
  assert.deepEqual(all.filter((h) => !h.includes("master.m3u8")), ["/?q", "/?q", "/films/?q", "/films/new/?q"]);
  assert.deepEqual(hrefs(renderPlayerPage(ctx, mp4)).slice(0, 2), ["/", "/"], "unsigned: plain links");
});
