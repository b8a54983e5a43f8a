// A synthetic 2-hour film for the media benchmarks: a moov of realistic size (25 fps H.264 with a ctts entry per
// frame and a keyframe every 2 s, 44.1 kHz AAC, chunks interleaved per second, as ffmpeg writes them) in front of
// 3 GB of patterned media that is never stored.
import { ascii, box, concat, FTYP, fullBox, u32, u64, virtualFile } from "../tests/helpers/mp4_build.ts";
import { hdlr, mdhd, mvhd, tkhd } from "../tests/helpers/mp4_track.ts";

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
    fullBox("stsd", 0, 0, u32(1), box(video ? "avc1" : "mp4a", new Uint8Array(video ? 150 : 60))),
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
export const file = virtualFile([FTYP, concat(u32(1), ascii("mdat"), u64(16 + MEDIA)), { pattern: MEDIA }, moov], {
  name: "film.mp4",
});

