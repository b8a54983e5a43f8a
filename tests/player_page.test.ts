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
