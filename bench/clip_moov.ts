// First request for a clip of a 2-hour film (synthetic moov of realistic size: 25 fps H.264 with a ctts entry per
// frame and a keyframe every 2 s, 44.1 kHz AAC, chunks interleaved per second): index + clip build time, memory held
// against the moov, and a 1 MiB range from the cached clip against the same range from the plain file, in one run.
//   node --expose-gc --import tsx bench/clip_moov.ts
//   deno run -A --v8-flags=--expose-gc bench/clip_moov.ts
//   bun bench/clip_moov.ts
import { usedBytes } from "./_memory.ts";
import { clip } from "../src/media/clip.ts";
import { createClipLayoutCache } from "../src/media/clip.ts";
import { createSampleIndexCache } from "../src/media/sample_index.ts";
import { handleVideo } from "../src/http/handler.ts";
import type { FileLike } from "../src/http/file_like.ts";
import { AUDIO, file, moov, VIDEO } from "./_film.ts";

const firsts: number[] = [];
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  await clip(file, { start: 3600.5, end: 3630, cache: false, layoutCache: false });
  firsts.push(performance.now() - t);
}
const none = await usedBytes();
const cache = createSampleIndexCache({ maxBytes: 256 * 2 ** 20 });
const layoutCache = createClipLayoutCache();
const clipped = await clip(file, { start: 3600.5, end: 3630, cache, layoutCache });
if (clipped === file) throw new Error("the synthetic film was refused");
const held = (await usedBytes()) - none;

async function rangeMs(open: () => Promise<FileLike>, n: number): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    const f = await open();
    const at = 4096 + ((i * 7919) % 1000) * 1024;
    const res = handleVideo(new Request("http://x/", { headers: { range: `bytes=${at}-${at + 2 ** 20 - 1}` } }), f);
    await res.arrayBuffer();
  }
  return performance.now() - t;
}
const N = 40;
await rangeMs(() => Promise.resolve(file), 5);
const plain = await rangeMs(() => Promise.resolve(file), N);
const fromClip = await rangeMs(() => clip(file, { start: 3600.5, end: 3630, cache, layoutCache }), N);
console.log(JSON.stringify({
  runtime: (globalThis as { Deno?: unknown }).Deno ? "deno" : (globalThis as { Bun?: unknown }).Bun ? "bun" : "node",
  samples: VIDEO + AUDIO,
  moovMiB: +(moov.length / 2 ** 20).toFixed(2),
  clipBytes: clipped.size,
  msFirstRequest: firsts.map((x) => +x.toFixed(1)),
  heldMiB: +(held / 2 ** 20).toFixed(2),
  heldPerMoov: +(held / moov.length).toFixed(2),
  rangeRatioClipVsPlain: +(fromClip / plain).toFixed(2),
}));
