// A synthetic 2-hour film for the media benchmarks: a moov of realistic size (25 fps H.264 with a ctts entry per
// frame and a keyframe every 2 s, 44.1 kHz AAC, chunks interleaved per second, as ffmpeg writes them) in front of
// 3 GB of media that is never stored (reads copy from a 1 MiB block).
import type { FileLike } from "../src/http/file_like.ts";
import { ascii, box, concat, FTYP, fullBox, u32, u64 } from "../tests/helpers/mp4_build.ts";
import { hdlr, mdhd, mvhd, tkhd } from "../tests/helpers/mp4_track.ts";
import { aacStsd, avcStsd } from "../tests/helpers/hls_tracks.ts";

const SECONDS = 2 * 60 * 60;
export const VIDEO = SECONDS * 25;
export const AUDIO = SECONDS * 43; // 44100 / 1024 = 43.07 AAC frames a second; whole chunks keep stsc simple
const MEDIA = 3_000_000_000;
const START = FTYP.length + 16;

function table(type: string, n: number, width: number, fill: (i: number, v: DataView, at: number) => void, pre = 0) {
  const body = new Uint8Array(pre + 4 + n * width);
  const view = new DataView(body.buffer);
  view.setUint32(pre, n);
  for (let i = 0; i < n; i++) fill(i, view, pre + 4 + i * width);
  return fullBox(type, 0, 0, body);
}

/** One chunk per second per track, video then audio, so chunks interleave as ffmpeg writes them. */
function track(id: number, video: boolean) {
  const samples = video ? VIDEO : AUDIO;
  const perChunk = Math.floor(samples / SECONDS);
  const chunks = Math.ceil(samples / perChunk);
  const size = video ? 16_000 : 400;
  const secondBytes = Math.floor(MEDIA / SECONDS);
  const stbl = box(
    "stbl",
    video ? avcStsd() : aacStsd(),
    table("stts", 1, 8, (_, v, at) => (v.setUint32(at, samples), v.setUint32(at + 4, video ? 512 : 1024))),
    ...(video
      ? [
        table("ctts", samples, 8, (i, v, at) => (v.setUint32(at, 1), v.setUint32(at + 4, (i % 4) * 512))),
        table("stss", samples / 50, 4, (i, v, at) => v.setUint32(at, i * 50 + 1)),
      ]
      : []),
    table("stsc", 1, 12, (_, v, at) => (v.setUint32(at, 1), v.setUint32(at + 4, perChunk), v.setUint32(at + 8, 1))),
    table("stsz", samples, 4, (_, v, at) => v.setUint32(at, size), 4),
    table("stco", chunks, 4, (i, v, at) => v.setUint32(at, START + i * secondBytes + (video ? 0 : perChunk * 16_000))),
  );
  const header = video ? fullBox("vmhd", 0, 1, new Uint8Array(8)) : fullBox("smhd", 0, 0, new Uint8Array(4));
  return box(
    "trak",
    tkhd(id, video ? 1920 : 0, video ? 1080 : 0),
    box(
      "mdia",
      mdhd(video ? 12800 : 44100),
      hdlr(video ? "vide" : "soun"),
      box("minf", header, box("dinf", fullBox("dref", 0, 0, u32(1), fullBox("url ", 0, 1))), stbl),
    ),
  );
}

export const moov = box("moov", mvhd(1000, SECONDS * 1000), track(1, true), track(2, false));
const head = concat(FTYP, u32(1), ascii("mdat"), u64(16 + MEDIA));
/** Media bytes come from a 1 MiB block, copied: a read costs a memcpy, as from the page cache. */
const BLOCK = Uint8Array.from({ length: 2 ** 20 }, (_, i) => (i * 2654435761) >>> 24);

/** The film as a FileLike with a strong validator (so the caches key on it), reads served from memory. */
const SIZE = head.length + MEDIA + moov.length;
export const file: FileLike = {
  size: SIZE,
  name: "film.mp4",
  lastModified: Date.UTC(2024, 0, 1),
  etag: '"film-1"',
  read(into, position) {
    let n = 0;
    while (n < into.length && position + n < SIZE) {
      const pos = position + n;
      let take: number;
      if (pos < head.length) {
        take = Math.min(into.length - n, head.length - pos);
        into.set(head.subarray(pos, pos + take), n);
      } else if (pos < head.length + MEDIA) {
        const at = (pos - head.length) % BLOCK.length;
        take = Math.min(into.length - n, head.length + MEDIA - pos, BLOCK.length - at);
        into.set(BLOCK.subarray(at, at + take), n);
      } else {
        const at = pos - head.length - MEDIA;
        take = Math.min(into.length - n, moov.length - at);
        into.set(moov.subarray(at, at + take), n);
      }
      n += take;
    }
    markKeyframes(into.subarray(0, n), position);
    return Promise.resolve(n);
  },
};

/**
 * Every video chunk starts with a keyframe (one every 50 frames, 25 a chunk, so every other chunk starts on one): its
 * first bytes become a 4-byte NAL length and an IDR NAL header, since HLS reads a segment's first picture to check it
 * really is one. The rest of each sample stays filler.
 */
const IDR = Uint8Array.of(0, 0, 0x3e, 0x7c, 0x65); // length 15996 = 16000 − 4, nal_unit_type 5
const SECOND_BYTES = Math.floor(MEDIA / SECONDS);
function markKeyframes(out: Uint8Array, position: number): void {
  const end = position + out.length;
  for (let c = Math.max(0, Math.floor((position - head.length) / SECOND_BYTES)); c < SECONDS; c++) {
    const at = head.length + c * SECOND_BYTES;
    if (at >= end) break;
    for (let j = 0; j < IDR.length; j++) {
      if (at + j >= position && at + j < end) out[at + j - position] = IDR[j];
    }
  }
}

/** A small file of `size` bytes read from memory, as `file` is: what a playlist request is compared with. */
export function smallFile(size: number): FileLike {
  const bytes = BLOCK.slice(0, size);
  return {
    size,
    name: "small.txt",
    lastModified: Date.UTC(2024, 0, 1),
    etag: '"small-1"',
    read(into, position) {
      const take = Math.max(0, Math.min(into.length, size - position));
      into.set(bytes.subarray(position, position + take));
      return Promise.resolve(take);
    },
  };
}
