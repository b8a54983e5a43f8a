// The numbers of #13 (HLS) and #14 (clips) for a 2-hour film (bench/_film.ts: a 3.3 MiB moov, 489,600 samples),
// each time figure beside a count that does not depend on the machine's load:
// - first request: index + playlists (HLS) or index + clip (clips) built from cold caches (code already warmed on
//   another file, as in a server that has served other films), wall and CPU ms, median;
// - memory: index bytes per sample (counted by the index); per moov byte, what the caches count (index, package or
//   layout) and the heap + array buffers held once cached (measured; Node only, Deno and Bun account differently);
// - one parse per file version: moov reads by requests after the first (0 when the index is cached);
// - cost per request, as a ratio to the plain file in the same run (10th percentiles of interleaved requests): an HLS
//   segment against a plain range of the same byte count, a cached playlist against a small in-memory file of its
//   size, a 1 MiB range of a cached clip against the same range of the plain file.
//   node --expose-gc --import tsx bench/media_moov.ts [--quick]
//   deno run -A --v8-flags=--expose-gc bench/media_moov.ts [--quick]
//   bun bench/media_moov.ts [--quick]
// Prints one JSON line; bench/run.mjs runs it and bench/report.mjs renders it.
import process from "node:process";
import { usedBytes } from "./_memory.ts";
import { file, moov } from "./_film.ts";
import { clip, createClipLayoutCache } from "../src/media/clip.ts";
import { createSampleIndexCache, loadSampleIndex } from "../src/media/sample_index.ts";
import { createHlsCache, serveHls } from "../src/media/hls/serve_hls.ts";
import { handleVideo } from "../src/http/handler.ts";
import { type FileLike, fromBytes } from "../src/http/file_like.ts";

const quick = process.argv.includes("--quick");
const FIRSTS = quick ? 3 : 5;
/**
 * Both sides of a ratio read in fixed chunks: the adaptive size follows the consumer's pace, which on a loaded
 * machine differs from one request to the next and would be measured instead of the work per byte.
 */
const CHUNK = { chunkSize: 256 * 1024 };
/** Requests of each kind per ratio. */
const REQUESTS = quick ? 200 : 600;
const CLIP = { start: 3600.5, end: 3630 };
const MOOV_AT = file.size - moov.length;

const quantile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * p)];
const median = (xs: number[]) => quantile(xs, 0.5);
const round = (x: number, d = 2) => +x.toFixed(d);

/** Wall and CPU (user + system, all threads) milliseconds of `fn`. */
async function timed(fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const c = process.cpuUsage();
  const t = performance.now();
  await fn();
  const wall = performance.now() - t;
  const d = process.cpuUsage(c);
  return { wall, cpu: (d.user + d.system) / 1000 };
}

/** The file, counting reads that touch the moov (a parse reads it; a cached index does not). */
function counting(): FileLike & { moovReads: number } {
  const f = {
    ...file,
    moovReads: 0,
    read(into: Uint8Array, position: number) {
      if (position + into.length > MOOV_AT) f.moovReads++;
      return file.read(into, position);
    },
  };
  return f;
}

async function body(res: Response | Promise<Response>): Promise<Uint8Array> {
  const r = await res;
  if (r.status >= 300) throw new Error(`status ${r.status}: ${await r.text()}`);
  return new Uint8Array(await r.arrayBuffer());
}

/**
 * Sends the body nowhere, as a server hands chunks to a socket: collecting them into one buffer
 * (`arrayBuffer()`) would measure the garbage collector more than the response.
 */
async function drain(res: Response | Promise<Response>): Promise<number> {
  const r = await res;
  if (r.status >= 300) throw new Error(`status ${r.status}: ${await r.text()}`);
  const reader = r.body!.getReader();
  let n = 0;
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) n += chunk.value.length;
  return n;
}

const get = (range?: string) => new Request("http://x/", { headers: range ? { range } : {} });

/**
 * The cost of `b` over the cost of `a`: the 10th percentile of the times of one `b` request over that of one
 * `a`, requests interleaved (ab, ba, ab, ...) so drift hits both. Interference only ever adds time, so a low
 * percentile is the cost of the work itself; on this 2-core machine shared by a dozen processes an A/A run gave
 * 0.98 with the 10th percentile and 1.18 to 1.61 with the median.
 */
async function ratio(a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<number> {
  const one = async (f: () => Promise<unknown>) => {
    const t = performance.now();
    await f();
    return performance.now() - t;
  };
  for (let i = 0; i < 20; i++) await a(), await b(); // warm-up
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    if (i % 2 === 0) ta.push(await one(a)), tb.push(await one(b));
    else tb.push(await one(b)), ta.push(await one(a));
  }
  return round(quantile(tb, 0.1) / quantile(ta, 0.1));
}

async function hls() {
  const firsts: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < FIRSTS; i++) {
    const cache = createHlsCache({ maxBytes: 256 * 2 ** 20 });
    const indexCache = createSampleIndexCache({ maxBytes: 256 * 2 ** 20 });
    firsts.push(
      await timed(async () => {
        await body(serveHls(get(), file, "master.m3u8", { cache, indexCache }));
        await body(serveHls(get(), file, "media.m3u8", { cache, indexCache }));
      }),
    );
  }
  const none = await usedBytes();
  const cache = createHlsCache({ maxBytes: 256 * 2 ** 20 });
  const indexCache = createSampleIndexCache({ maxBytes: 256 * 2 ** 20 });
  const f = counting();
  const options = { cache, indexCache, response: CHUNK };
  await body(serveHls(get(), f, "master.m3u8", options));
  const held = (await usedBytes()) - none;
  const parseReads = f.moovReads;
  const index = await loadSampleIndex(f, { cache: indexCache });
  const samples = index.tracks.reduce((n, t) => n + t.count, 0);
  const playlist = await body(serveHls(get(), f, "media.m3u8", options));
  const n = 600; // a segment an hour in
  const segment = await body(serveHls(get(), f, `seg-${n}.m4s`, options));
  const at = Math.floor(file.size / 2);
  const segmentRatio = await ratio(
    () => drain(handleVideo(get(`bytes=${at}-${at + segment.length - 1}`), file, CHUNK)),
    () => drain(serveHls(get(), f, `seg-${n}.m4s`, options)),
  );
  // The small file is held in memory as the playlist is, so both take the same response path (a Blob).
  const small = fromBytes(playlist.slice(), { etag: '"small"', lastModified: Date.UTC(2024, 0, 1) });
  const playlistRatio = await ratio(
    () => drain(handleVideo(get(), small, CHUNK)),
    () => drain(serveHls(get(), f, "media.m3u8", options)),
  );
  return {
    msFirst: round(median(firsts.map((x) => x.wall)), 1),
    cpuMsFirst: round(median(firsts.map((x) => x.cpu)), 1),
    indexBytesPerSample: round(index.bytes / samples),
    heldPerMoov: round(held / moov.length),
    countedPerMoov: round((indexCache.bytes + cache.bytes) / moov.length),
    moovReadsFirst: parseReads > 0 ? 1 : 0,
    moovReadsAfter: f.moovReads - parseReads,
    segmentBytes: segment.length,
    playlistBytes: playlist.length,
    segmentRatio,
    playlistRatio,
  };
}

async function clips() {
  const firsts: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < FIRSTS; i++) {
    firsts.push(await timed(() => clip(file, { ...CLIP, cache: false, layoutCache: false })));
  }
  const none = await usedBytes();
  const cache = createSampleIndexCache({ maxBytes: 256 * 2 ** 20 });
  const layoutCache = createClipLayoutCache();
  const f = counting();
  const clipped = await clip(f, { ...CLIP, cache, layoutCache });
  if (clipped === f) throw new Error("the synthetic film was refused");
  const held = (await usedBytes()) - none;
  const parseReads = f.moovReads;
  const index = await loadSampleIndex(f, { cache });
  const samples = index.tracks.reduce((n, t) => n + t.count, 0);
  let k = 0;
  const range = () => {
    const at = 4096 + ((k++ * 7919) % 1000) * 1024;
    return `bytes=${at}-${at + 2 ** 20 - 1}`;
  };
  const rangeRatio = await ratio(
    () => drain(handleVideo(get(range()), file, CHUNK)),
    async () => drain(handleVideo(get(range()), await clip(f, { ...CLIP, cache, layoutCache }), CHUNK)),
  );
  return {
    msFirst: round(median(firsts.map((x) => x.wall)), 1),
    cpuMsFirst: round(median(firsts.map((x) => x.cpu)), 1),
    indexBytesPerSample: round(index.bytes / samples),
    heldPerMoov: round(held / moov.length),
    countedPerMoov: round((cache.bytes + layoutCache.bytes) / moov.length),
    moovReadsFirst: parseReads > 0 ? 1 : 0,
    moovReadsAfter: f.moovReads - parseReads,
    clipBytes: clipped.size,
    rangeRatio,
  };
}

const runtime = (globalThis as { Deno?: unknown }).Deno
  ? "deno"
  : (globalThis as { Bun?: unknown }).Bun
  ? "bun"
  : "node";
// A server's first request for this film comes after it has served others: warm the code once on another file
// version (its own cache key), so each first request below measures cold caches, not the JIT. The warm-up's own
// time, the first thing this process does, is reported as coldProcessMs.
const other = { ...file, etag: '"another-film"' };
const cold = await timed(async () => {
  const options = { cache: createHlsCache(), indexCache: createSampleIndexCache() };
  await body(serveHls(get(), other, "master.m3u8", options));
  await body(serveHls(get(), other, "media.m3u8", options));
  await clip(other, { ...CLIP, cache: false, layoutCache: false });
});
const result = {
  runtime,
  coldProcessMs: round(cold.wall, 1),
  mode: quick ? "quick" : "full",
  requests: REQUESTS,
  samples: 0,
  moovMiB: round(moov.length / 2 ** 20),
  hls: await hls(),
  clip: await clips(),
};
result.samples = (await loadSampleIndex(file, { cache: false })).tracks.reduce((n, t) => n + t.count, 0);
console.log(JSON.stringify(result));
