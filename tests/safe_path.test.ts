// parseRequestPath on its own, as a table: the first wall against traversal.
// The realpath containment in serve_dir.ts stands behind it and catches most
// of what passes, so the end-to-end traversal corpus cannot tell whether this
// unit still refuses; only these cases can (mutation testing found the gap).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { encodePath, parseRequestPath, type RequestPath } from "../src/server/safe_path.ts";

const NOT_FOUND: RequestPath = { ok: false, status: 404 };
const BAD_REQUEST: RequestPath = { ok: false, status: 400 };
const ok = (segments: string[], trailingSlash = false): RequestPath => ({ ok: true, segments, trailingSlash });

/** [pathname, dotfiles, expected, why] */
const cases: [string, boolean, RequestPath, string][] = [
  ["/", false, ok([], true), "the root is a directory"],
  ["/a", false, ok(["a"]), "one segment"],
  ["/a/", false, ok(["a"], true), "a trailing slash asks for a directory"],
  ["/a/b%20c.mp4", false, ok(["a", "b c.mp4"]), "each segment decoded once"],
  ["/%C3%A9t%C3%A9.mp4", false, ok(["été.mp4"]), "UTF-8 percent-encoding"],
  ["/%252e%252e", false, ok(["%2e%2e"]), "double encoding names a file literally called %2e%2e"],
  ["/a.b/c..d", false, ok(["a.b", "c..d"]), "dots inside a name are fine"],
  ["/a b~", false, ok(["a b~"]), "space and ~ are not control characters"],
  ["relative", false, NOT_FOUND, "no leading slash"],
  ["", false, NOT_FOUND, "empty"],
  ["/a\\b", false, NOT_FOUND, "a raw backslash"],
  ["/a%2fb", false, NOT_FOUND, "an encoded slash (lower case)"],
  ["/a%2Fb", false, NOT_FOUND, "an encoded slash (upper case)"],
  ["/a%5cb", false, NOT_FOUND, "an encoded backslash"],
  ["/a%5Cb", false, NOT_FOUND, "an encoded backslash (upper case)"],
  ["/a%00", false, NOT_FOUND, "an encoded NUL"],
  ["/a\u0001b", false, NOT_FOUND, "a raw control character"],
  ["/a\u001fb", false, NOT_FOUND, "the last C0 control"],
  ["/a\u007fb", false, NOT_FOUND, "DEL"],
  ["/a%01b", false, NOT_FOUND, "an encoded control character, seen after decoding"],
  ["/a%1Fb", false, NOT_FOUND, "an encoded last C0 control"],
  ["/a%7fb", false, NOT_FOUND, "an encoded DEL"],
  ["/a%0a", false, NOT_FOUND, "an encoded line feed"],
  ["/a//b", false, NOT_FOUND, "an empty interior segment"],
  ["//", false, NOT_FOUND, "an empty first segment"],
  ["/a//", false, NOT_FOUND, "an empty segment before the trailing slash"],
  ["/.", false, NOT_FOUND, "a dot segment"],
  ["/..", false, NOT_FOUND, "a dot-dot segment"],
  ["/a/../b", false, NOT_FOUND, "a dot-dot segment inside"],
  ["/%2e", false, NOT_FOUND, "an encoded dot segment"],
  ["/%2e%2e", false, NOT_FOUND, "an encoded dot-dot segment"],
  ["/%2E%2E/etc", false, NOT_FOUND, "an encoded dot-dot segment (upper case)"],
  ["/.%2e", false, NOT_FOUND, "a half-encoded dot-dot segment"],
  // dotfiles: true must not let `.` and `..` through: only the dot-segment check refuses these.
  ["/.", true, NOT_FOUND, "a dot segment, dotfiles on"],
  ["/..", true, NOT_FOUND, "a dot-dot segment, dotfiles on"],
  ["/%2e", true, NOT_FOUND, "an encoded dot segment, dotfiles on"],
  ["/%2e%2e", true, NOT_FOUND, "an encoded dot-dot segment, dotfiles on"],
  ["/x/%2E%2e/y", true, NOT_FOUND, "an encoded dot-dot inside, dotfiles on"],
  [".././a", true, NOT_FOUND, "relative dot-dot, dotfiles on"],
  ["/.env", false, NOT_FOUND, "a dotfile"],
  ["/%2eenv", false, NOT_FOUND, "an encoded dotfile"],
  ["/%2Egit/config", false, NOT_FOUND, "an encoded dot-directory"],
  ["/a/.git/config", false, NOT_FOUND, "a dot-directory inside"],
  ["/.env", true, ok([".env"]), "a dotfile, dotfiles on"],
  ["/%2eenv", true, ok([".env"]), "an encoded dotfile, dotfiles on"],
  ["/a/.git/", true, ok(["a", ".git"], true), "a dot-directory, dotfiles on"],
  ["/%E0%A4%A", false, BAD_REQUEST, "a truncated UTF-8 sequence"],
  ["/%zz", false, BAD_REQUEST, "not hex"],
  ["/a%", false, BAD_REQUEST, "a lone percent sign"],
  ["/%C3%28", false, BAD_REQUEST, "invalid UTF-8"],
  // A separator or control is refused on the raw path, before anything is decoded:
  // 404 even when the rest is malformed. Kills dropping or weakening the raw check
  // (`if (false)`, `||` → `&&` on line 54), which decodes first and answers 400.
  ["/a%2f%zz", false, NOT_FOUND, "an encoded slash beside malformed encoding"],
  ["/a\\%zz", false, NOT_FOUND, "a raw backslash beside malformed encoding"],
  ["/a\u0001%zz", false, NOT_FOUND, "a raw control beside malformed encoding"],
];

describe("parseRequestPath", () => {
  for (const [pathname, dotfiles, expected, why] of cases) {
    test(`${why}: ${JSON.stringify(pathname)}${dotfiles ? " (dotfiles)" : ""}`, () => {
      assert.deepEqual(parseRequestPath(pathname, { dotfiles }), expected, `${pathname} → ${JSON.stringify(expected)}`);
    });
  }

  test("dotfiles are off by default", () => {
    assert.deepEqual(parseRequestPath("/.env"), NOT_FOUND, "no options refuses dotfiles");
    assert.deepEqual(parseRequestPath("/%2eenv", {}), NOT_FOUND, "empty options refuse encoded dotfiles");
  });

  // MAX_PATH: a path of exactly 4096 characters is parsed, one more is refused.
  test("4096 characters at most", () => {
    const at = "/" + "a".repeat(4095);
    assert.deepEqual(parseRequestPath(at), ok(["a".repeat(4095)]), "4096 characters: parsed");
    assert.deepEqual(parseRequestPath(at + "a"), NOT_FOUND, "4097 characters: refused");
  });
});

describe("encodePath", () => {
  /** [segments, directory, expected] */
  const table: [string[], boolean, string][] = [
    [[], false, "/"],
    [[], true, "/"],
    [["a"], false, "/a"],
    [["a"], true, "/a/"],
    [["a b", "100%.mp4"], false, "/a%20b/100%25.mp4"],
    [["#?", "é"], true, "/%23%3F/%C3%A9/"],
  ];
  for (const [segments, directory, expected] of table) {
    test(`${JSON.stringify(segments)}${directory ? " (directory)" : ""} → ${expected}`, () => {
      assert.equal(encodePath(segments, directory), expected, "encoded path");
    });
  }

  test("round trip: parseRequestPath(encodePath(s)) gives s back", () => {
    for (const segments of [["a b"], ["100%.mp4"], ["%2e%2e"], ["x", "é#?.mp4"]]) {
      assert.deepEqual(parseRequestPath(encodePath(segments)), ok(segments), JSON.stringify(segments));
    }
  });
});
