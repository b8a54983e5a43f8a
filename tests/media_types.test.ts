import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { contentTypeFor, MEDIA_TYPES } from "../src/http/media_types.ts";

const UTF8 = "; charset=utf-8";

/** [file name, expected Content-Type] */
const known: [string, string][] = [
  // video
  ["movie.mp4", "video/mp4"],
  ["movie.m4v", "video/mp4"],
  ["movie.mov", "video/quicktime"],
  ["movie.webm", "video/webm"],
  ["movie.mkv", "video/x-matroska"],
  ["movie.ogv", "video/ogg"],
  ["movie.avi", "video/x-msvideo"],
  ["movie.wmv", "video/x-ms-wmv"],
  ["movie.flv", "video/x-flv"],
  ["movie.mpg", "video/mpeg"],
  ["movie.mpeg", "video/mpeg"],
  ["movie.3gp", "video/3gpp"],
  ["movie.3g2", "video/3gpp2"],
  ["segment.ts", "video/mp2t"],
  ["movie.m2ts", "video/mp2t"],
  // HLS and DASH
  ["index.m3u8", "application/vnd.apple.mpegurl"],
  ["playlist.m3u", "audio/x-mpegurl"],
  ["manifest.mpd", "application/dash+xml"],
  ["chunk-1.m4s", "video/iso.segment"],
  ["video.cmfv", "video/mp4"],
  ["audio.cmfa", "audio/mp4"],
  // audio
  ["song.mp3", "audio/mpeg"],
  ["song.m4a", "audio/mp4"],
  ["book.m4b", "audio/mp4"],
  ["song.aac", "audio/aac"],
  ["song.oga", "audio/ogg"],
  ["song.ogg", "audio/ogg"],
  ["song.opus", "audio/ogg"],
  ["song.weba", "audio/webm"],
  ["song.wav", "audio/wav"],
  ["song.flac", "audio/flac"],
  ["song.mid", "audio/midi"],
  ["song.midi", "audio/midi"],
  // subtitles
  ["captions.vtt", "text/vtt" + UTF8],
  ["captions.srt", "application/x-subrip"],
  ["captions.ttml", "application/ttml+xml"],
  ["captions.dfxp", "application/ttml+xml"],
  ["captions.ass", "text/x-ssa" + UTF8],
  ["captions.ssa", "text/x-ssa" + UTF8],
  // images
  ["poster.jpg", "image/jpeg"],
  ["poster.jpeg", "image/jpeg"],
  ["poster.png", "image/png"],
  ["poster.gif", "image/gif"],
  ["poster.webp", "image/webp"],
  ["poster.avif", "image/avif"],
  ["icon.svg", "image/svg+xml"],
  ["favicon.ico", "image/vnd.microsoft.icon"],
  ["poster.bmp", "image/bmp"],
  // text and web
  ["index.html", "text/html" + UTF8],
  ["index.htm", "text/html" + UTF8],
  ["style.css", "text/css" + UTF8],
  ["app.js", "text/javascript" + UTF8],
  ["app.mjs", "text/javascript" + UTF8],
  ["data.json", "application/json"],
  ["readme.txt", "text/plain" + UTF8],
  ["README.md", "text/markdown" + UTF8],
  ["table.csv", "text/csv" + UTF8],
  ["feed.xml", "application/xml"],
  ["doc.pdf", "application/pdf"],
  ["mod.wasm", "application/wasm"],
  ["archive.zip", "application/zip"],
  ["archive.tar.gz", "application/gzip"],
];

describe("contentTypeFor: known extensions", () => {
  for (const [name, expected] of known) {
    test(`${name} → ${expected}`, () => assert.equal(contentTypeFor(name), expected));
  }
});

/** [file name, expected, why] */
const edge: [string, string | undefined, string][] = [
  // case-insensitivity
  ["clip.MP4", "video/mp4", "upper-case extension"],
  ["clip.Mp4", "video/mp4", "mixed-case extension"],
  ["CLIP.WEBM", "video/webm", "upper-case name"],
  ["Captions.VTT", "text/vtt" + UTF8, "upper-case text type keeps the charset"],
  ["INDEX.M3U8", "application/vnd.apple.mpegurl", "upper-case manifest"],
  // no or empty extension, dotfiles
  ["mp4", undefined, "bare word that equals an extension"],
  ["README", undefined, "no extension"],
  ["", undefined, "empty name"],
  [".mp4", undefined, "dotfile named like an extension"],
  [".MP4", undefined, "upper-case dotfile"],
  [".hidden.mp4", "video/mp4", "dotfile with an extension"],
  ["movie.", undefined, "trailing dot"],
  ["movie..", undefined, "two trailing dots"],
  [".", undefined, "a single dot"],
  ["..", undefined, "two dots"],
  // unknown
  ["movie.xyz", undefined, "unknown extension"],
  ["movie.mp44", undefined, "extension with an extra character"],
  ["movie.p4", undefined, "truncated extension"],
  ["movie.mp4 ", undefined, "trailing space"],
  ["movie.mp4.part", undefined, "last extension counts"],
  ["movie.part.mp4", "video/mp4", "last extension counts (known)"],
  ["movie.mp4?x=1", undefined, "query string is not stripped"],
  // paths
  ["/srv/videos/movie.mkv", "video/x-matroska", "absolute POSIX path"],
  ["videos/2024/movie.webm", "video/webm", "relative path"],
  ["C:\\Videos\\movie.avi", "video/x-msvideo", "Windows path"],
  ["videos.mp4/readme", undefined, "extension on a directory, not the file"],
  ["videos.mp4\\readme", undefined, "extension on a Windows directory"],
  ["videos/.mp4", undefined, "dotfile in a directory"],
  ["a.b/c.d/e.srt", "application/x-subrip", "dots in directories"],
  ["videos/", undefined, "directory path"],
  // prototype keys never leak
  ["x.constructor", undefined, "constructor"],
  ["x.__proto__", undefined, "__proto__"],
  ["x.toString", undefined, "toString"],
  ["x.tostring", undefined, "tostring"],
  ["x.hasOwnProperty", undefined, "hasOwnProperty"],
  ["x.valueOf", undefined, "valueOf"],
  ["x.prototype", undefined, "prototype"],
];

describe("contentTypeFor: edge cases", () => {
  for (const [name, expected, why] of edge) {
    test(`${why}: ${JSON.stringify(name)}`, () => assert.equal(contentTypeFor(name), expected));
  }
});

describe("MEDIA_TYPES", () => {
  test("keys are lower-case extensions without a dot", () => {
    for (const key of Object.keys(MEDIA_TYPES)) assert.match(key, /^[a-z0-9]+$/, key);
  });

  test("values are type/subtype with an optional charset=utf-8 on text types", () => {
    for (const [key, value] of Object.entries(MEDIA_TYPES)) {
      assert.match(value, /^[a-z0-9]+\/[a-z0-9.+-]+(?:; charset=utf-8)?$/, `${key}: ${value}`);
      if (value.startsWith("text/")) assert.ok(value.endsWith("; charset=utf-8"), `${key}: ${value}`);
      if (!value.startsWith("text/")) assert.ok(!value.includes("charset"), `${key}: ${value}`);
    }
  });

  test("every key resolves through contentTypeFor, in any case", () => {
    for (const [key, value] of Object.entries(MEDIA_TYPES)) {
      assert.equal(contentTypeFor(`file.${key}`), value);
      assert.equal(contentTypeFor(`dir/FILE.${key.toUpperCase()}`), value);
    }
  });

  test("the table covers every extension tested above and no prototype keys", () => {
    const tested = new Set(known.map(([name]) => name.slice(name.lastIndexOf(".") + 1).toLowerCase()));
    assert.deepEqual(Object.keys(MEDIA_TYPES).filter((k) => !tested.has(k)), [], "untested extensions");
    assert.equal(Object.hasOwn(MEDIA_TYPES, "__proto__"), false);
    assert.equal(Object.hasOwn(MEDIA_TYPES, "constructor"), false);
  });
});
