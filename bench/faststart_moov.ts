// Time and memory to build the faststart layout of a 2-hour film, from a
// synthetic moov of realistic size: 25 fps H.264 with B-frames (a ctts entry
// per sample, a keyframe every 2 s) and 44.1 kHz AAC, one chunk per video
// frame and as many audio chunks, as ffmpeg interleaves them.
//   node --expose-gc --import tsx bench/faststart_moov.ts
//   deno run -A --v8-flags=--expose-gc bench/faststart_moov.ts
//   bun bench/faststart_moov.ts
import { usedBytes } from "./_memory.ts";
import { planFaststart } from "../src/media/faststart.ts";
import { ascii, box, concat, FTYP, fullBox, moov, u32, u64, virtualFile } from "../tests/helpers/mp4_build.ts";

const SECONDS = 2 * 60 * 60;
const FPS = 25;
const VIDEO = SECONDS * FPS; // 180,000 frames
const AUDIO = Math.ceil((SECONDS * 44100) / 1024); // 310,079 AAC frames

function table(type: string, entries: number, width: number, fill: (i: number, view: DataView, at: number) => void) {
  const body = new Uint8Array(4 + entries * width);
  const view = new DataView(body.buffer);
  view.setUint32(0, entries);
  for (let i = 0; i < entries; i++) fill(i, view, 4 + i * width);
  return fullBox(type, 0, 0, body);
}

function track(samples: number, chunks: number, mediaStart: number, mediaBytes: number, video: boolean) {
  const sampleSize = Math.floor(mediaBytes / samples);
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
    table(
      "stsc",
      1,
      12,
      (_, v, at) => (v.setUint32(at, 1), v.setUint32(at + 4, samples / chunks), v.setUint32(at + 8, 1)),
    ),
    // stsz has a default sample size (0: sizes follow) before its count.
    fullBox("stsz", 0, 0, u32(0), table("stsz", samples, 4, (_, v, at) => v.setUint32(at, sampleSize)).subarray(12)),
    table("stco", chunks, 4, (i, v, at) => v.setUint32(at, mediaStart + Math.floor((i * mediaBytes) / chunks))),
  );
  return box(
    "trak",
    fullBox("tkhd", 0, 3, new Uint8Array(80)),
    box(
      "mdia",
      fullBox("mdhd", 0, 0, new Uint8Array(20)),
      box("minf", box("dinf", fullBox("dref", 0, 0, u32(1), fullBox("url ", 0, 1))), stbl),
    ),
  );
}

async function measure(label: string, mediaBytes: number) {
  const mediaStart = FTYP.length + 16;
  const audioBytes = Math.floor(mediaBytes * 0.04);
  const videoBytes = mediaBytes - audioBytes;
  // Chunks interleave in the file; for sizes it is enough that both tracks' offsets span the media.
  const m = moov(
    track(VIDEO, VIDEO, mediaStart, videoBytes, true),
    track(AUDIO, VIDEO, mediaStart + videoBytes, audioBytes, false),
  );
  const file = virtualFile([FTYP, concat(u32(1), ascii("mdat"), u64(16 + mediaBytes)), { pattern: mediaBytes }, m]);
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await planFaststart(file, { cache: false });
    runs.push(performance.now() - t);
  }
  // What one layout keeps alive: memory with one plan referenced, minus with none.
  const none = await usedBytes();
  const plan = await planFaststart(file, { cache: false });
  const held = (await usedBytes()) - none;
  if (plan.action !== "rewrite") throw new Error(`unexpected ${JSON.stringify(plan)}`);
  runs.sort((a, b) => a - b);
  console.log(JSON.stringify({
    runtime: (globalThis as { Deno?: unknown }).Deno ? "deno" : (globalThis as { Bun?: unknown }).Bun ? "bun" : "node",
    label,
    fileGB: +(file.size / 1e9).toFixed(2),
    moovMiB: +(m.length / 2 ** 20).toFixed(2),
    newMoovMiB: +(plan.moov.length / 2 ** 20).toFixed(2),
    co64Converted: plan.co64Converted,
    chunkOffsets: plan.chunkOffsets,
    msFirst: +runs.at(-1)!.toFixed(1),
    msMedian: +runs[2].toFixed(1),
    heldMiB: +(held / 2 ** 20).toFixed(2),
  }));
}

await measure("2h, 3.0 GB (offsets stay 32-bit)", 3_000_000_000);
await measure("2h, 4.29 GB (offsets cross 2^32 once the moov moves: co64)", 2 ** 32 - 2_000_000);
