/**
 * File extension → Content-Type for what a media server serves: video,
 * audio, subtitles, streaming manifests and segments, images, common text.
 *
 * @module
 */

const UTF8 = "; charset=utf-8";

/** The table behind {@linkcode contentTypeFor}; keys are lower-case extensions without the dot. */
export const MEDIA_TYPES: Readonly<Record<string, string>> = {
  // video
  mp4: "video/mp4",
  m4v: "video/mp4",
  mov: "video/quicktime",
  webm: "video/webm",
  mkv: "video/x-matroska",
  ogv: "video/ogg",
  avi: "video/x-msvideo",
  wmv: "video/x-ms-wmv",
  flv: "video/x-flv",
  mpg: "video/mpeg",
  mpeg: "video/mpeg",
  "3gp": "video/3gpp",
  "3g2": "video/3gpp2",
  ts: "video/mp2t",
  m2ts: "video/mp2t",
  // streaming manifests and segments
  m3u8: "application/vnd.apple.mpegurl",
  m3u: "audio/x-mpegurl",
  mpd: "application/dash+xml",
  m4s: "video/iso.segment",
  cmfv: "video/mp4",
  cmfa: "audio/mp4",
  // audio
  mp3: "audio/mpeg",
  m4a: "audio/mp4",
  m4b: "audio/mp4",
  aac: "audio/aac",
  oga: "audio/ogg",
  ogg: "audio/ogg",
  opus: "audio/ogg",
  weba: "audio/webm",
  wav: "audio/wav",
  flac: "audio/flac",
  mid: "audio/midi",
  midi: "audio/midi",
  // subtitles and captions
  vtt: "text/vtt" + UTF8,
  srt: "application/x-subrip",
  ttml: "application/ttml+xml",
  dfxp: "application/ttml+xml",
  ass: "text/x-ssa" + UTF8,
  ssa: "text/x-ssa" + UTF8,
  // images
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  webp: "image/webp",
  avif: "image/avif",
  svg: "image/svg+xml",
  ico: "image/vnd.microsoft.icon",
  bmp: "image/bmp",
  // text and web
  html: "text/html" + UTF8,
  htm: "text/html" + UTF8,
  css: "text/css" + UTF8,
  js: "text/javascript" + UTF8,
  mjs: "text/javascript" + UTF8,
  json: "application/json",
  txt: "text/plain" + UTF8,
  md: "text/markdown" + UTF8,
  csv: "text/csv" + UTF8,
  xml: "application/xml",
  pdf: "application/pdf",
  wasm: "application/wasm",
  zip: "application/zip",
  gz: "application/gzip",
};

/**
 * The Content-Type for a file name, or `undefined` when the extension is not
 * in {@linkcode MEDIA_TYPES}. Text types carry `charset=utf-8`.
 *
 * @example
 * ```ts
 * import { contentTypeFor } from "@ranged/video";
 * contentTypeFor("clip.MP4"); // "video/mp4"
 * contentTypeFor("captions.vtt"); // "text/vtt; charset=utf-8"
 * ```
 */
export function contentTypeFor(name: string): string | undefined {
  const slash = Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\"));
  const base = name.slice(slash + 1);
  const dot = base.lastIndexOf(".");
  if (dot <= 0) return undefined;
  const ext = base.slice(dot + 1).toLowerCase();
  return Object.hasOwn(MEDIA_TYPES, ext) ? MEDIA_TYPES[ext] : undefined;
}
