import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { contentDisposition } from "../src/http/disposition.ts";

/** [type, filename, expected, why] */
const cases: ["inline" | "attachment", string | undefined, string, string][] = [
  // no filename
  ["inline", undefined, "inline", "inline without a name"],
  ["attachment", undefined, "attachment", "attachment without a name"],
  ["attachment", "", "attachment", "empty name"],
  ["attachment", "videos/", "attachment", "a directory path leaves no name"],
  ["inline", "/", "inline", "root path leaves no name"],
  ["attachment", "C:\\videos\\", "attachment", "a Windows directory path leaves no name"],
  // ASCII names
  ["attachment", "movie.mp4", `attachment; filename="movie.mp4"`, "plain ASCII"],
  ["inline", "movie.mp4", `inline; filename="movie.mp4"`, "plain ASCII, inline"],
  ["attachment", "My Movie (2024).mp4", `attachment; filename="My Movie (2024).mp4"`, "spaces and parentheses"],
  ["attachment", "a;b,c=d.mp4", `attachment; filename="a;b,c=d.mp4"`, "separators are safe inside quotes"],
  ["attachment", "it's.mp4", `attachment; filename="it's.mp4"`, "apostrophe"],
  ["attachment", "noext", `attachment; filename="noext"`, "no extension"],
  ["attachment", ".hidden", `attachment; filename=".hidden"`, "dotfile"],
  ["attachment", "~!@#$^&*()_+`-={}[]|:;<>?,. x", `attachment; filename="~!@#$^&*()_+\`-={}[]|:;<>?,. x"`, "punct"],
  // quotes, backslashes, percent: kept out of the quoted string, exact in filename*
  [
    "attachment",
    `say "hi".mp4`,
    `attachment; filename="say _hi_.mp4"; filename*=UTF-8''say%20%22hi%22.mp4`,
    "double quotes",
  ],
  ["attachment", `"`, `attachment; filename="_"; filename*=UTF-8''%22`, "a lone quote"],
  ["attachment", "100%.mp4", `attachment; filename="100_.mp4"; filename*=UTF-8''100%25.mp4`, "percent sign"],
  ["attachment", "%C3%A9.mp4", `attachment; filename="_C3_A9.mp4"; filename*=UTF-8''%25C3%25A9.mp4`, "percent-escape"],
  ["attachment", "back\\slash.mp4", `attachment; filename="slash.mp4"`, "backslash is a path separator"],
  // non-ASCII: RFC 8187 filename* with UTF-8 percent-encoding
  ["attachment", "Café.mp4", `attachment; filename="Caf_.mp4"; filename*=UTF-8''Caf%C3%A9.mp4`, "doc example"],
  ["inline", "Café.mp4", `inline; filename="Caf_.mp4"; filename*=UTF-8''Caf%C3%A9.mp4`, "doc example, inline"],
  [
    "attachment",
    "日本語.mp4",
    `attachment; filename="___.mp4"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E.mp4`,
    "CJK",
  ],
  ["attachment", "🎬.mp4", `attachment; filename="__.mp4"; filename*=UTF-8''%F0%9F%8E%AC.mp4`, "emoji (astral)"],
  [
    "attachment",
    "naïve file.mkv",
    `attachment; filename="na_ve file.mkv"; filename*=UTF-8''na%C3%AFve%20file.mkv`,
    "space is percent-encoded in filename*",
  ],
  [
    "attachment",
    "l'été (1)*.mp4",
    `attachment; filename="l'_t_ (1)*.mp4"; filename*=UTF-8''l%27%C3%A9t%C3%A9%20%281%29%2A.mp4`,
    "non-attr-char ASCII is percent-encoded in filename*",
  ],
  [
    "attachment",
    "é!#$&+-.^_`|~Az09",
    "attachment; filename=\"_!#$&+-.^_`|~Az09\"; filename*=UTF-8''%C3%A9!#$&+-.^_`|~Az09",
    "every attr-char stays literal",
  ],
  ["attachment", "ß", `attachment; filename="_"; filename*=UTF-8''%C3%9F`, "a single non-ASCII character"],
  ["attachment", "\u00a0.mp4", `attachment; filename="_.mp4"; filename*=UTF-8''%C2%A0.mp4`, "NBSP"],
  // control characters never reach the header
  ["attachment", "a\tb.mp4", `attachment; filename="a_b.mp4"; filename*=UTF-8''a%09b.mp4`, "tab"],
  ["attachment", "a\r\nb.mp4", `attachment; filename="a__b.mp4"; filename*=UTF-8''a%0D%0Ab.mp4`, "CR LF"],
  ["attachment", "a\x00b", `attachment; filename="a_b"; filename*=UTF-8''a%00b`, "NUL"],
  ["attachment", "a\x7fb", `attachment; filename="a_b"; filename*=UTF-8''a%7Fb`, "DEL"],
  // path components stripped
  ["attachment", "/srv/videos/movie.mp4", `attachment; filename="movie.mp4"`, "absolute POSIX path"],
  ["attachment", "videos/2024/movie.mp4", `attachment; filename="movie.mp4"`, "relative path"],
  ["attachment", "../../etc/passwd", `attachment; filename="passwd"`, "traversal path"],
  ["attachment", "C:\\Users\\me\\movie.mp4", `attachment; filename="movie.mp4"`, "Windows path"],
  ["attachment", "a/b\\c/d.mp4", `attachment; filename="d.mp4"`, "mixed separators"],
  [
    "attachment",
    "vidéos/Café.mp4",
    `attachment; filename="Caf_.mp4"; filename*=UTF-8''Caf%C3%A9.mp4`,
    "path then non-ASCII",
  ],
];

describe("contentDisposition", () => {
  for (const [type, filename, expected, why] of cases) {
    test(`${why}: ${type} ${JSON.stringify(filename)}`, () => {
      assert.equal(contentDisposition(type, filename), expected);
    });
  }

  test("every value is a valid header value and round-trips the name", () => {
    const names = [
      "movie.mp4",
      "Café.mp4",
      `"quoted"\\x.mp4`,
      "日本語 ビデオ.mp4",
      "🎬🍿 night.webm",
      "a\r\nSet-Cookie: x=y",
      "100% real.mp4",
      "tab\there",
      "\u{10ffff}.bin",
      "ünïcödé/with/dirs.mkv",
    ];
    for (const name of names) {
      const value = contentDisposition("attachment", name);
      const base = name.slice(Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\")) + 1);
      // ASCII only, no CR/LF/NUL: the Headers constructor accepts it as is.
      assert.match(value, /^[\x20-\x7e]*$/, value);
      assert.equal(new Headers({ "content-disposition": value }).get("content-disposition"), value);
      // The quoted fallback never contains a quote or a backslash.
      const fallback = /^attachment; filename="([^"\\]*)"(?:; filename\*=UTF-8''([^;\s]+))?$/.exec(value);
      assert.ok(fallback, value);
      if (fallback[2] !== undefined) {
        assert.match(fallback[2], /^(?:[A-Za-z0-9!#$&+\-.^_`|~]|%[0-9A-F]{2})+$/);
        assert.equal(decodeURIComponent(fallback[2]), base);
      } else {
        assert.equal(fallback[1], base);
      }
    }
  });
});
