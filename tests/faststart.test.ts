// Faststart on the fly, fast tests (no ffmpeg at test time). Fixtures:
//   tests/fixtures/moov_at_end.mp4: 1 s of H.264 (B-frames) + AAC, moov at the end, made with
//     ffmpeg -f lavfi -i testsrc2=duration=1:size=160x90:rate=25 -f lavfi -i sine=frequency=440:duration=1 \
//       -c:v libx264 -bf 3 -g 12 -pix_fmt yuv420p -c:a aac -b:a 32k -map_metadata -1 -fflags +bitexact \
//       -flags:v +bitexact -flags:a +bitexact src.mp4
//     ffmpeg -i src.mp4 -map 0 -c copy -fflags +bitexact moov_at_end.mp4
//   tests/fixtures/moov_at_end.ffmpeg_faststart.mp4: ffmpeg's own answer, from ffmpeg 5.1.9:
//     ffmpeg -i moov_at_end.mp4 -map 0 -c copy -fflags +bitexact -movflags +faststart moov_at_end.ffmpeg_faststart.mp4
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import {
  createFaststartCache,
  faststart,
  faststartInfo,
  type FaststartOptions,
  isFaststart,
  parseMoov,
  planFaststart,
  rewriteMoov,
  rewriteMoovDetailed,
} from "../src/media/faststart.ts";
import { Mp4FormatError } from "../src/media/boxes.ts";
import { handleVideo } from "../src/http/handler.ts";
import type { FileLike } from "../src/http/file_like.ts";
import { countingFile, settle } from "./helpers/counting_file.ts";
import { parseMultipart } from "./helpers/multipart_parse.ts";
import {
  ascii,
  box,
  co64,
  concat,
  FTYP,
  fullBox,
  largeBox,
  moov,
  readAll,
  readChunkOffsets,
  stco,
  topLevel,
  trak,
  u32,
  u64,
  virtualFile,
  type VirtualPart,
} from "./helpers/mp4_build.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const fixture = (name: string) => new Uint8Array(readFileSync(join(ROOT, "tests/fixtures", name)));
const MOOV_AT_END = fixture("moov_at_end.mp4");
const FFMPEG_FASTSTART = fixture("moov_at_end.ffmpeg_faststart.mp4");
const CLIP = fixture("clip.mp4");
const MTIME = Date.UTC(2024, 5, 6, 7, 8, 9);
const NO_CACHE: FaststartOptions = { cache: false };

async function bodyOf(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer());
}

describe("faststart on a real moov-at-end file", () => {
  test("the body equals ffmpeg -movflags +faststart byte for byte", async () => {
    const source = countingFile(MOOV_AT_END, { name: "a.mp4", lastModified: MTIME });
    const file = await faststart(source, NO_CACHE);
    assert.ok(isFaststart(file));
    assert.equal(file.size, FFMPEG_FASTSTART.length);
    const res = handleVideo(new Request("http://x/a.mp4"), file);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-length"), String(FFMPEG_FASTSTART.length));
    assert.equal(res.headers.get("content-type"), "video/mp4");
    assert.deepEqual(await bodyOf(res), FFMPEG_FASTSTART, "the body is ffmpeg's faststart output");
    await settle();
    assert.equal(source.closes, 1);
    assert.deepEqual(topLevel(FFMPEG_FASTSTART).map((b) => b[0]), ["ftyp", "moov", "free", "mdat"]);
  });

  test("validators: a strong ETag of its own, the source's Last-Modified", async () => {
    const file = await faststart(countingFile(MOOV_AT_END, { name: "a.mp4", lastModified: MTIME }), NO_CACHE);
    const sourceTag = `"${MTIME.toString(16)}-${MOOV_AT_END.length.toString(16)}"`;
    assert.equal(file.etag, `"${MTIME.toString(16)}-${MOOV_AT_END.length.toString(16)}-faststart.1"`);
    assert.notEqual(file.etag, sourceTag);
    assert.equal(file.lastModified, MTIME);
    const weak = await faststart(countingFile(MOOV_AT_END, { etag: 'W/"w"' }), NO_CACHE);
    assert.equal(weak.etag, 'W/"w-faststart.1"');
  });

  test("faststartInfo describes the move", async () => {
    const file = await faststart(countingFile(MOOV_AT_END, { lastModified: MTIME }), NO_CACHE);
    const moovBox = topLevel(MOOV_AT_END).find((b) => b[0] === "moov")!;
    assert.deepEqual(faststartInfo(file), {
      originalMoovStart: moovBox[1],
      originalMoovSize: moovBox[2],
      moovSize: moovBox[2],
      co64Converted: false,
      chunkOffsets: 48,
    });
  });

  test("random single and multi-range requests equal the same ranges of ffmpeg's output", async () => {
    let seed = 42;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const size = FFMPEG_FASTSTART.length;
    for (let k = 0; k < 150; k++) {
      const file = await faststart(countingFile(MOOV_AT_END, { name: "a.mp4", lastModified: MTIME }));
      const count = 1 + (k % 4 === 0 ? rand(5) : 0);
      const ranges: [number, number][] = [];
      for (let i = 0; i < count; i++) {
        const a = rand(size);
        ranges.push([a, Math.min(size - 1, a + rand(k % 3 === 0 ? size : 4000))]);
      }
      const header = "bytes=" + ranges.map(([a, b]) => `${a}-${b}`).join(",");
      const res = handleVideo(new Request("http://x/a.mp4", { headers: { range: header } }), file);
      assert.equal(res.status, 206, header);
      const body = await bodyOf(res);
      const type = res.headers.get("content-type")!;
      if (type.startsWith("multipart/")) {
        for (const part of parseMultipart(body, type)) {
          const m = /bytes (\d+)-(\d+)\/(\d+)/.exec(part.headers.get("content-range")!)!;
          assert.equal(Number(m[3]), size);
          assert.deepEqual(part.body, FFMPEG_FASTSTART.subarray(Number(m[1]), Number(m[2]) + 1), header);
        }
      } else {
        const m = /bytes (\d+)-(\d+)\/(\d+)/.exec(res.headers.get("content-range")!)!;
        assert.deepEqual(body, FFMPEG_FASTSTART.subarray(Number(m[1]), Number(m[2]) + 1), header);
      }
    }
  });

  test("HEAD and If-None-Match read nothing once the layout is cached", async () => {
    const cache = createFaststartCache();
    await faststart(countingFile(MOOV_AT_END, { name: "a.mp4", lastModified: MTIME }), { cache });
    const source = countingFile(MOOV_AT_END, { name: "a.mp4", lastModified: MTIME });
    const file = await faststart(source, { cache });
    const head = handleVideo(new Request("http://x/a.mp4", { method: "HEAD" }), file);
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), String(FFMPEG_FASTSTART.length));
    const again = await faststart(countingFile(MOOV_AT_END, { name: "a.mp4", lastModified: MTIME }), { cache });
    const res = handleVideo(new Request("http://x/a.mp4", { headers: { "if-none-match": file.etag! } }), again);
    assert.equal(res.status, 304);
    await settle();
    assert.equal(source.reads.length, 0);
    assert.equal(source.closes, 1);
  });

  test("If-Range with the original file's ETag gets the whole new layout, never mixed bytes", async () => {
    const file = await faststart(countingFile(MOOV_AT_END, { name: "a.mp4", lastModified: MTIME }), NO_CACHE);
    const originalTag = `"${MTIME.toString(16)}-${MOOV_AT_END.length.toString(16)}"`;
    const res = handleVideo(
      new Request("http://x/a.mp4", { headers: { range: "bytes=100-", "if-range": originalTag } }),
      file,
    );
    assert.equal(res.status, 200);
    assert.deepEqual(await bodyOf(res), FFMPEG_FASTSTART, "the whole new layout, as ffmpeg lays it out");
  });
});

describe("files served unchanged", () => {
  test("moov already first: the source itself, same ETag", async () => {
    const source = countingFile(CLIP, { name: "clip.mp4", lastModified: MTIME });
    const file = await faststart(source, NO_CACHE);
    assert.equal(file, source);
    assert.equal(isFaststart(file), false);
    assert.equal(faststartInfo(file), undefined);
    const plan = await planFaststart(source, NO_CACHE);
    assert.deepEqual(plan, { action: "keep", alreadyFaststart: true, reason: "moov already precedes the media" });
    // Only box headers were read.
    assert.ok(source.reads.every((r) => r.length <= 32));
  });

  test("ffmpeg's faststart output is itself left alone", async () => {
    const source = countingFile(FFMPEG_FASTSTART, { lastModified: MTIME });
    assert.equal(await faststart(source, NO_CACHE), source);
  });
});

// ---------------------------------------------------------------------------
// Synthetic files.
// ---------------------------------------------------------------------------

const MDAT_HEAD = (n: number) => concat(u32(8 + n), ascii("mdat"));

/** Checks independently that every chunk offset of the derived file points at the bytes it pointed at before. */
async function assertOffsetsFollow(source: FileLike, derived: FileLike, probe = 16) {
  const oldMoov = await moovOf(source);
  const newMoov = await moovOf(derived);
  const before = readChunkOffsets(oldMoov).flatMap((t) => t.offsets);
  const after = readChunkOffsets(newMoov).flatMap((t) => t.offsets);
  assert.equal(after.length, before.length);
  for (let i = 0; i < before.length; i++) {
    const len = Math.min(probe, source.size - before[i]);
    assert.deepEqual(
      await readAll(derived, after[i], after[i] + len),
      await readAll(source, before[i], before[i] + len),
      `chunk ${i}: the bytes at its new offset are the source's`,
    );
  }
  return { before, after, tables: readChunkOffsets(newMoov) };
}

async function moovOf(file: FileLike): Promise<Uint8Array> {
  let pos = 0;
  const head = new Uint8Array(16);
  while (pos < file.size) {
    await file.read(head, pos);
    const view = new DataView(head.buffer);
    let size = view.getUint32(0);
    if (size === 1) size = Number(view.getBigUint64(8));
    if (size === 0) size = file.size - pos;
    if (String.fromCharCode(...head.subarray(4, 8)) === "moov") return readAll(file, pos, pos + size);
    pos += size;
  }
  throw new Error("no moov");
}

describe("rewriteMoov (pure)", () => {
  const m = moov(trak(stco([100, 200, 300])), trak(co64([400, 2 ** 33])));

  test("a constant shift moves every offset and nothing else", () => {
    const out = rewriteMoov(m, 1000);
    assert.equal(out.length, m.length);
    assert.deepEqual(readChunkOffsets(out), [
      { type: "stco", offsets: [1100, 1200, 1300] },
      { type: "co64", offsets: [1400, 2 ** 33 + 1000] },
    ]);
    assert.deepEqual(readChunkOffsets(m)[0].offsets, [100, 200, 300], "input untouched");
    const changed = [...out].filter((b, i) => b !== m[i]).length;
    assert.ok(changed <= 5 * 2, `only offset bytes change (${changed})`);
  });

  test("reaching 2^32 converts every stco to co64 and grows the ancestors", () => {
    const two = moov(trak(stco([10, 2 ** 32 - 50])), trak(stco([20])), trak(co64([30])));
    const { moov: out, co64Converted } = rewriteMoovDetailed(two, 50);
    assert.equal(co64Converted, true);
    assert.equal(out.length, two.length + 4 * 3);
    // readChunkOffsets throws if any ancestor size is off.
    assert.deepEqual(readChunkOffsets(out), [
      { type: "co64", offsets: [60, 2 ** 32] },
      { type: "co64", offsets: [70] },
      { type: "co64", offsets: [80] },
    ]);
    const stay = rewriteMoovDetailed(two, 49);
    assert.equal(stay.co64Converted, false);
    assert.equal(readChunkOffsets(stay.moov)[0].offsets[1], 2 ** 32 - 1);
  });

  test("a size-dependent shift is written at the fixed point", () => {
    const one = moov(trak(stco([1000, 2 ** 32 - 1 - m.length - 2000])));
    const S = one.length;
    // Offsets move by the new moov's size (moov moved before the media). First
    // round: S fits; then a bigger shift needs co64, which grows the moov: the
    // offsets must reflect the grown size.
    const fits = rewriteMoovDetailed(one, (o, size) => o + size);
    assert.equal(fits.co64Converted, false);
    assert.deepEqual(readChunkOffsets(fits.moov)[0].offsets, [1000 + S, 2 ** 32 - 1 - m.length - 2000 + S]);
    const grows = rewriteMoovDetailed(one, (o, size) => o + size + m.length + 2000);
    assert.equal(grows.co64Converted, true);
    const S2 = S + 8;
    assert.equal(grows.moov.length, S2);
    assert.deepEqual(readChunkOffsets(grows.moov)[0].offsets, [1000 + S2 + m.length + 2000, 2 ** 32 - 1 + S2]);
  });

  test("co64: true always converts, false refuses to", () => {
    assert.deepEqual(readChunkOffsets(rewriteMoov(m, 0, { co64: true })).map((t) => t.type), ["co64", "co64"]);
    assert.throws(() => rewriteMoov(m, 2 ** 32, { co64: false }), Mp4FormatError);
  });

  test("64-bit box headers are kept and patched", () => {
    const big = largeBox("moov", largeBox("trak", box("mdia", box("minf", box("stbl", stco([5, 2 ** 32 - 1]))))));
    const out = rewriteMoov(big, 1);
    assert.equal(out.length, big.length + 8);
    assert.deepEqual(readChunkOffsets(out), [{ type: "co64", offsets: [6, 2 ** 32] }]);
  });

  test("a moov written with size 0 comes back with its size", () => {
    const zero = concat(u32(0), m.subarray(4));
    const out = rewriteMoov(zero, 1);
    assert.equal(new DataView(out.buffer).getUint32(0), m.length);
  });

  test("parseMoov counts tables and entries", () => {
    assert.deepEqual(parseMoov(m), { stcoTables: 1, co64Tables: 1, stcoEntries: 3, co64Entries: 2 });
  });

  test("offsets that cannot be mapped are refused", () => {
    assert.throws(() => rewriteMoov(m, -200), Mp4FormatError);
    assert.throws(() => rewriteMoov(m, () => NaN), Mp4FormatError);
    assert.throws(() => rewriteMoov(m, 2 ** 53), Mp4FormatError);
  });
});

describe("synthetic layouts", () => {
  test("media on both sides of the moov: each side moves by its own amount", async () => {
    const mdat1 = 5000;
    const mdat2 = 7000;
    const a = FTYP.length + 8; // first payload byte of mdat1
    const m0 = moov(trak(stco([a, a + 100, a + 4999])), trak(stco([0, 0])));
    const moovStart = a + mdat1;
    const b = moovStart + m0.length + 8;
    const m = moov(trak(stco([a, a + 100, a + 4999])), trak(stco([b, b + 6999])));
    assert.equal(m.length, m0.length);
    const source = virtualFile([FTYP, MDAT_HEAD(mdat1), { pattern: mdat1 }, m, MDAT_HEAD(mdat2), { pattern: mdat2 }]);
    const file = await faststart(source, NO_CACHE);
    assert.ok(isFaststart(file));
    assert.equal(file.size, source.size);
    const { after } = await assertOffsetsFollow(source, file, 1);
    assert.deepEqual(after, [a + m.length, a + 100 + m.length, a + 4999 + m.length, b, b + 6999]);
    assert.deepEqual(topLevel(await readAll(file)).map((x) => x[0]), ["ftyp", "moov", "mdat", "mdat"]);
  });

  test("over 4 GiB without disk: offsets cross 2^32, every table becomes co64, every chunk keeps its bytes", async () => {
    const FOUR_G = 2 ** 32;
    const small = 100_000; // mdat1 payload, near the start
    const mdat1Payload = FTYP.length + 8;
    const mdat2Start = FOUR_G - 60_000;
    const mdat2Payload = mdat2Start + 16;
    const mdat2Size = 200_000; // straddles 2^32
    const freeStart = mdat1Payload + small;
    const freeSize = mdat2Start - freeStart;
    const nearLimit = Array.from({ length: 40 }, (_, i) => mdat2Payload + i * 1000); // below 2^32 - 20_000
    nearLimit.push(FOUR_G - 100); // fits in 32 bits now, not after the moov moves in front
    const low = Array.from({ length: 50 }, (_, i) => mdat1Payload + i * 1999);
    const high = Array.from({ length: 30 }, (_, i) => FOUR_G + 100 + i * 3000);
    const m = moov(trak(stco(nearLimit)), trak(stco(low)), trak(co64(high)));
    const parts: VirtualPart[] = [
      FTYP,
      MDAT_HEAD(small),
      { pattern: small },
      concat(u32(1), ascii("free"), u64(freeSize)),
      { pattern: freeSize - 16 },
      concat(u32(1), ascii("mdat"), u64(16 + mdat2Size)),
      { pattern: mdat2Size },
      m,
    ];
    const source = virtualFile(parts);
    assert.ok(source.size > FOUR_G);
    const file = await faststart(source, NO_CACHE);
    const info = faststartInfo(file)!;
    assert.equal(info.co64Converted, true);
    assert.equal(info.moovSize, m.length + 4 * (nearLimit.length + low.length));
    assert.equal(file.size, source.size + 4 * (nearLimit.length + low.length));
    // The source's virtual file only ever read headers and the moov.
    assert.ok(source.bytesRead < 64 * 1024, `read ${source.bytesRead} bytes`);
    const { tables } = await assertOffsetsFollow(source, file, 64);
    assert.deepEqual(tables.map((t) => t.type), ["co64", "co64", "co64"]);
    assert.ok(tables[0].offsets.at(-1)! >= FOUR_G);
    // And through the handler: a range at the very end and one across the moov.
    const res = handleVideo(new Request("http://x/v.mp4", { headers: { range: "bytes=-100" } }), file);
    assert.deepEqual(
      await bodyOf(res),
      await readAll(source, source.size - m.length - 100, source.size - m.length),
      "the last 100 bytes of the mdat",
    );
  });
});

// ---------------------------------------------------------------------------
// Hostile and unsupported files.
// ---------------------------------------------------------------------------

const MEDIA = 2000;
const P = FTYP.length + 8;

/** [ftyp][mdat][moov...] with the given moov, and optionally more. */
function withMoov(m: Uint8Array, ...after: Uint8Array[]): Uint8Array {
  return concat(FTYP, MDAT_HEAD(MEDIA), new Uint8Array(MEDIA).fill(7), m, ...after);
}
const okTrak = () => trak(stco([P, P + 10]));

const HOSTILE: [string, Uint8Array, RegExp][] = [
  ["not an MP4", new TextEncoder().encode("hello, this is not a video at all".repeat(10)), /ftyp|runs past|truncated/],
  ["no ftyp", concat(MDAT_HEAD(10), new Uint8Array(10), moov(okTrak())), /no ftyp/],
  ["duplicate ftyp", concat(FTYP, FTYP, MDAT_HEAD(10), new Uint8Array(10), moov(okTrak())), /duplicate ftyp/],
  ["duplicate moov", withMoov(moov(okTrak()), moov(okTrak())), /duplicate moov/],
  ["no moov", concat(FTYP, MDAT_HEAD(10), new Uint8Array(10)), /no moov/],
  ["moov larger than the file", withMoov(concat(u32(1_000_000_000), ascii("moov"), new Uint8Array(100))), /runs past/],
  ["moov 64-bit size above 2^53", withMoov(concat(u32(1), ascii("moov"), u64(2n ** 62n), new Uint8Array(8))), /large/],
  [
    "size 0 in the middle (mdat to the end swallows the moov)",
    concat(FTYP, u32(0), ascii("mdat"), new Uint8Array(100), moov(okTrak())),
    /no moov/,
  ],
  ["size 0 inside the moov", withMoov(moov(concat(u32(0), ascii("trak"), okTrak()))), /size 0/],
  ["huge stco count", withMoov(moov(trak(fullBox("stco", 0, 0, u32(0xffffffff), u32(P))))), /do not fit/],
  ["stco count one too many", withMoov(moov(trak(fullBox("stco", 0, 0, u32(3), u32(P), u32(P))))), /do not fit/],
  ["truncated stco", withMoov(moov(trak(box("stco", u32(0))))), /truncated stco/],
  ["child larger than the moov", withMoov(moov(concat(u32(5000), ascii("trak"), okTrak()))), /runs past/],
  ["truncated file", withMoov(moov(okTrak(), okTrak())).subarray(0, P + MEDIA + 100), /runs past/],
  ["fragmented: mvex", withMoov(moov(okTrak(), box("mvex", fullBox("trex", 0, 0, new Uint8Array(20))))), /mvex/],
  ["fragmented: moof", concat(FTYP, moov(okTrak()), box("moof"), MDAT_HEAD(4), new Uint8Array(4)), /moof/],
  ["mfra with tfra", withMoov(moov(okTrak()), box("mfra", fullBox("tfra", 0, 0, u32(0)))), /mfra/],
  ["saio in stbl", withMoov(moov(trak(stco([P]), [fullBox("saio", 0, 0, u32(1), u32(P))]))), /saio/],
  ["iloc in meta", withMoov(moov(okTrak(), fullBox("meta", 0, 0, fullBox("iloc", 0, 0, u32(0))))), /iloc/],
  ["tfra inside the moov", withMoov(moov(okTrak(), box("udta", fullBox("tfra", 0, 0)))), /tfra/],
  ["top-level meta", concat(FTYP, fullBox("meta", 0, 0), MDAT_HEAD(10), new Uint8Array(10), moov(okTrak())), /meta/],
  ["segment index", concat(FTYP, fullBox("sidx", 0, 0), MDAT_HEAD(10), new Uint8Array(10), moov(okTrak())), /sidx/],
  ["compressed moov", withMoov(moov(box("cmov", new Uint8Array(20)))), /cmov/],
  [
    "media in another file",
    withMoov(
      moov(box("trak", box("mdia", box("minf", box("dinf", fullBox("dref", 0, 0, u32(1), fullBox("url ", 0, 0))))))),
    ),
    /another file/,
  ],
  ["two stco in one stbl", withMoov(moov(trak(stco([P]), [stco([P])]))), /two chunk offset tables/],
  ["offset into the moov", withMoov(moov(trak(stco([P + MEDIA + 4])))), /into the moov/],
  // Kills `o < moovStart` → `o <= moovStart` in the offset map: an offset exactly
  // at the moov's header is refused, not remapped.
  ["offset at the moov's first byte", withMoov(moov(trak(stco([P + MEDIA])))), /into the moov/],
  ["offset at the last byte of ftyp", withMoov(moov(trak(stco([FTYP.length - 1])))), /into ftyp/],
  ["offset into ftyp", withMoov(moov(trak(stco([4])))), /into ftyp/],
  ["offset past the end", withMoov(moov(trak(stco([10_000_000])))), /past the end/],
  ["co64 offset above 2^53", withMoov(moov(trak(fullBox("co64", 0, 0, u32(1), u64(2n ** 60n))))), /too large/],
  ["no mdat", concat(FTYP, box("free", new Uint8Array(10)), moov(okTrak())), /no mdat/],
  [
    "boxes nested 10000 deep",
    withMoov(moov(Array.from({ length: 10000 }).reduce<Uint8Array>((inner) => box("udta", inner), box("free")))),
    /deeper/,
  ],
  ["3000 top-level boxes", concat(FTYP, ...Array.from({ length: 3000 }, () => box("free"))), /more than/],
  // Found by mutation testing (docs/MUTATION.md); each entry names the mutants it kills.
  // Kills `"fragmented file (traf)"` → `""` at faststart.ts:74 (an empty reason is no refusal).
  ["fragmented: traf inside the moov", withMoov(moov(okTrak(), box("traf"))), /^fragmented file \(traf\)$/],
  // Kill the `case "ssix"`, `case "styp"` and `case "emsg"` labels → `""` at faststart.ts:572-574.
  ...["ssix", "styp", "emsg"].map((type): [string, Uint8Array, RegExp] => [
    `segmented: top-level ${type}`,
    concat(FTYP, fullBox(type, 0, 0), MDAT_HEAD(10), new Uint8Array(10), moov(okTrak())),
    new RegExp(`^segmented file \\(${type}\\)$`),
  ]),
  // Kills `box.type === "stco"` → `true` at faststart.ts:147: a co64 entry is 8 bytes, so
  // a count of 2 does not fit in 8 bytes of entries (with width 4 it would).
  ["co64 count one too many", withMoov(moov(trak(fullBox("co64", 0, 0, u32(2), u64(P))))), /2 entries do not fit/],
  // Kills `o < size` → `o <= size` at faststart.ts:601: an offset equal to the file's size.
  [
    "offset at the end of the file",
    withMoov(moov(trak(stco([P + MEDIA + moov(trak(stco([0]))).length])))),
    /past the end/,
  ],
  // Kill the `!Number.isSafeInteger(size) || size < 16` mutants at faststart.ts:549
  // (`false`, `&&`, `size < 16` → `false`, the reason → `""`): 15 bytes would otherwise
  // be read and refused for another reason ("no moov box").
  ["15 bytes", box("ftyp", new Uint8Array(7)), /^not an MP4 \(too small\)$/],
  // Kills `size < 16` → `size <= 16`: 16 bytes are looked at (ftyp and an empty moov, but no mdat).
  ["16 bytes: ftyp and an empty moov", concat(box("ftyp"), box("moov")), /^no mdat box$/],
];

// Bounded work is counted (reads and bytes read), not timed: a wall-clock
// limit breaks on a loaded machine.
// The offset map's boundaries from the accepting side: the first byte after
// ftyp and the last byte before the moov both move down by the new moov's size.
test("chunk offsets at the edges of the movable region are remapped", async () => {
  const bytes = withMoov(moov(trak(stco([FTYP.length, P + MEDIA - 1]))));
  const plan = await planFaststart(countingFile(bytes, { lastModified: MTIME }), NO_CACHE);
  assert.equal(plan.action, "rewrite", plan.action === "keep" ? plan.reason : "");
  if (plan.action !== "rewrite") return;
  const [table] = readChunkOffsets(plan.moov);
  const n = plan.moov.length;
  assert.deepEqual(table.offsets, [FTYP.length + n, P + MEDIA - 1 + n], "both offsets moved by the moov's size");
});

describe("hostile files are served unchanged, with bounded reads", () => {
  for (const [name, bytes, reason] of HOSTILE) {
    test(name, async () => {
      const source = countingFile(bytes, { name: "h.mp4", lastModified: MTIME });
      const plan = await planFaststart(source, NO_CACHE);
      assert.equal(plan.action, "keep");
      assert.match(plan.action === "keep" ? plan.reason : "", reason);
      // Kills `alreadyFaststart = false` → `true` (the default of keep() at faststart.ts:529).
      assert.equal(plan.action === "keep" && plan.alreadyFaststart, false, "a refused file is not 'already faststart'");
      const file = await faststart(source, NO_CACHE);
      assert.equal(file, source);
      const read = source.reads.reduce((n, r) => n + r.length, 0);
      assert.ok(read <= 2 * bytes.length + 64 * 1024, `read ${read} bytes of ${bytes.length}`);
      // Two plans (planFaststart, then faststart) of at most 1024 header reads and one moov read each.
      assert.ok(source.reads.length <= 2 * 1026, `${source.reads.length} reads`);
      const res = handleVideo(new Request("http://x/h.mp4"), file);
      assert.equal(res.status, 200, "served unchanged with 200");
      assert.deepEqual(await bodyOf(res), bytes, "the original bytes");
    });
  }

  test("a moov over maxMoovSize is not even read", async () => {
    const bytes = withMoov(moov(okTrak(), box("free", new Uint8Array(100_000))));
    const source = countingFile(bytes, { lastModified: MTIME });
    const plan = await planFaststart(source, { ...NO_CACHE, maxMoovSize: 50_000 });
    assert.match(plan.action === "keep" ? plan.reason : "", /limit/);
    assert.ok(source.reads.every((r) => r.length <= 32));
  });

  test("a moov that claims a gigabyte in a virtual 2 GB file is refused before reading it", async () => {
    const source = virtualFile([FTYP, MDAT_HEAD(100), { pattern: 100 }, concat(u32(2 ** 31), ascii("moov")), {
      pattern: 2 ** 31 - 8,
    }]);
    assert.equal(await faststart(source, NO_CACHE), source);
    assert.ok(source.bytesRead < 1000);
  });

  test("read errors serve the original and are not cached", async () => {
    const cache = createFaststartCache();
    let fail = true;
    const good = countingFile(MOOV_AT_END, { name: "e.mp4", lastModified: MTIME });
    const flaky: FileLike = {
      ...good,
      read: (into, pos) => fail ? Promise.reject(new Error("EIO")) : good.read(into, pos),
    };
    assert.equal(await faststart(flaky, { cache }), flaky);
    fail = false;
    assert.ok(isFaststart(await faststart(flaky, { cache })));
  });
});

describe("the layout cache", () => {
  const open = (meta: Parameters<typeof countingFile>[1] = { name: "c.mp4", lastModified: MTIME }) =>
    countingFile(MOOV_AT_END, meta);

  test("the second request for a file reads nothing to decide", async () => {
    const cache = createFaststartCache();
    const first = open();
    await faststart(first, { cache });
    assert.ok(first.reads.length > 0);
    const second = open();
    assert.ok(isFaststart(await faststart(second, { cache })));
    assert.equal(second.reads.length, 0);
    assert.equal(cache.size, 1);
    assert.ok(cache.bytes > 2000 && cache.bytes < 4000, `${cache.bytes}`);
  });

  test("concurrent first requests share one computation", async () => {
    const cache = createFaststartCache();
    const files = Array.from({ length: 8 }, () => open());
    const results = await Promise.all(files.map((f) => faststart(f, { cache })));
    assert.ok(results.every(isFaststart));
    assert.equal(files.filter((f) => f.reads.length > 0).length, 1);
  });

  test("a changed file (new mtime or size) is computed again; no strong validator, no caching", async () => {
    const cache = createFaststartCache();
    await faststart(open(), { cache });
    const touched = open({ name: "c.mp4", lastModified: MTIME + 1000 });
    await faststart(touched, { cache });
    assert.ok(touched.reads.length > 0);
    for (const meta of [{ name: "c.mp4" }, { name: "c.mp4", etag: 'W/"weak"' }]) {
      await faststart(open(meta), { cache });
      const again = open(meta);
      await faststart(again, { cache });
      assert.ok(again.reads.length > 0, JSON.stringify(meta));
    }
    const keyed = open({});
    await faststart(keyed, { cache, key: "/abs/c.mp4" });
    const keyed2 = open({});
    await faststart(keyed2, { cache, key: "/abs/c.mp4" });
    assert.equal(keyed2.reads.length, 0);
  });

  test("unchanged files are remembered too", async () => {
    const cache = createFaststartCache();
    await faststart(countingFile(CLIP, { name: "clip.mp4", lastModified: MTIME }), { cache });
    const again = countingFile(CLIP, { name: "clip.mp4", lastModified: MTIME });
    assert.equal(await faststart(again, { cache }), again);
    assert.equal(again.reads.length, 0);
  });

  test("layouts larger than the budget are not kept", async () => {
    const cache = createFaststartCache({ maxBytes: 1000 });
    await faststart(open(), { cache });
    assert.equal(cache.size, 0);
    const again = open();
    assert.ok(isFaststart(await faststart(again, { cache })));
    assert.ok(again.reads.length > 0);
  });
});

// ---------------------------------------------------------------------------
// Found by mutation testing (docs/MUTATION.md): each test names the mutants it kills.
// ---------------------------------------------------------------------------

/** `depth` udta boxes, each inside the one before. */
const nested = (depth: number): Uint8Array =>
  Array.from({ length: depth }).reduce<Uint8Array>((inner) => box("udta", inner), new Uint8Array(0));

describe("parseMoov: which boxes are walked", () => {
  // Kills `box.type !== "moov"` → `false` and the message → `""` at faststart.ts:106.
  test("the bytes must be a moov", () => {
    assert.throws(() => parseMoov(box("free")), { name: "Mp4FormatError", message: "expected moov, found 'free'" });
  });

  // Kills `"moov"` → `""` and `"edts"` → `""` in CONTAINERS (faststart.ts:82): every
  // container is walked, so a refused box inside any of them is found.
  test("a refused box is found inside every container", () => {
    for (const type of ["moov", "trak", "mdia", "minf", "stbl", "dinf", "edts", "udta", "meta"]) {
      assert.throws(
        () => parseMoov(moov(okTrak(), box("udta", box(type, box("mvex"))))),
        { message: "fragmented file (mvex)" },
        `mvex inside ${type}`,
      );
    }
    const free = parseMoov(moov(okTrak(), box("free", box("mvex"))));
    assert.equal(free.stcoEntries, 2, "a free box is not a container: its bytes are not walked");
  });

  // Kills `depth > MAX_DEPTH` → `depth >= MAX_DEPTH` at faststart.ts:111.
  test("24 levels below the moov are walked, 25 are refused", () => {
    assert.deepEqual(parseMoov(moov(okTrak(), nested(24))).stcoEntries, 2, "24 nested udta boxes");
    assert.throws(() => parseMoov(moov(okTrak(), nested(25))), { message: "boxes nested deeper than 24" });
  });

  // Kills the mutants of `box.type === "meta" && end - from >= 4 && view.getUint32(from) === 0`
  // at faststart.ts:116 (7 of the 8: `> 4` is equivalent, see docs/MUTATION.md).
  test("only an ISO meta skips 4 bytes of version and flags", () => {
    // `view.getUint32(from) === 0` → `true`: a QuickTime meta's first child follows at once.
    assert.throws(
      () => parseMoov(moov(okTrak(), box("meta", box("free"), fullBox("iloc", 0, 0)))),
      { message: "iloc holds absolute offsets" },
      "the iloc after a QuickTime meta's first child is found",
    );
    // `box.type === "meta"` → `true`, `A && B` → `true`, `A || B`, `A && B || C`: another
    // container starting with a zero word holds a size-0 child, which is refused.
    assert.throws(
      () => parseMoov(moov(okTrak(), box("udta", u32(0), box("free")))),
      /at \d+: size 0 \("to the end"\) where it is not allowed$/,
      "a udta is not a full box",
    );
    // `end - from >= 4` → `true`, → `end + from >= 4`: an empty meta at the very end of
    // the moov has no version word to look at (the look would read past the moov).
    assert.deepEqual(
      parseMoov(moov(okTrak(), box("meta"))),
      { stcoTables: 1, co64Tables: 0, stcoEntries: 2, co64Entries: 0 },
      "an empty meta last in the moov",
    );
  });

  // Kills `box.type === "stbl"` → `true` at faststart.ts:122: an stco outside an stbl is
  // not a chunk offset table (udta holds free-form boxes) and is copied as it is.
  test("only an stbl's stco and co64 are chunk offset tables", () => {
    const m = moov(okTrak(), box("udta", stco([P])));
    assert.deepEqual(parseMoov(m), { stcoTables: 1, co64Tables: 0, stcoEntries: 2, co64Entries: 0 });
    const out = rewriteMoov(m, 5);
    assert.deepEqual(out.subarray(out.length - 24), m.subarray(m.length - 24), "the udta's stco is not rewritten");
  });

  // Kills `box.type === "dinf" && child.type === "dref"` → `||`, and either side → `true`,
  // at faststart.ts:134: only the dinf's dref is the data reference.
  test("only a dinf's dref is checked for media in another file", () => {
    const external = fullBox("dref", 0, 0, u32(1), fullBox("url ", 0, 0));
    assert.equal(parseMoov(moov(okTrak(), box("udta", external))).stcoEntries, 2, "a dref in udta is not checked");
    const selfContained = fullBox("dref", 0, 0, u32(1), fullBox("url ", 0, 1));
    const withFree = box(
      "trak",
      box("mdia", box("minf", box("dinf", selfContained, box("free")), box("stbl", stco([P])))),
    );
    assert.equal(parseMoov(moov(withFree)).stcoEntries, 1, "a dinf's other children are not drefs");
    assert.throws(
      () => parseMoov(moov(box("trak", box("mdia", box("minf", box("dinf", external)))))),
      /media in another file/,
      "the dinf's own dref is checked",
    );
  });

  // Kills `box.size - box.headerSize < 8` → `<= 8` at faststart.ts:149.
  test("an empty stco (version, flags and a zero count) is a table", () => {
    assert.deepEqual(parseMoov(moov(trak(stco([])))), { stcoTables: 1, co64Tables: 0, stcoEntries: 0, co64Entries: 0 });
  });
});

describe("rewriteMoov: conversion and offset edges", () => {
  const m = moov(trak(stco([100, 200, 300])), trak(co64([400, 2 ** 33])));

  // Kills `index.stcoEntries > 0` → `true` and → `>= 0` at faststart.ts:236.
  test("co64: true with no stco entry converts nothing", () => {
    const only64 = rewriteMoovDetailed(moov(trak(co64([400]))), 0, { co64: true });
    assert.equal(only64.co64Converted, false, "no stco table");
    const empty = rewriteMoovDetailed(moov(trak(stco([]))), 0, { co64: true });
    assert.equal(empty.co64Converted, false, "an empty stco table");
    assert.deepEqual(readChunkOffsets(empty.moov), [{ type: "stco", offsets: [] }], "it stays an stco");
  });

  // Kills `!co64 && index.stcoEntries > 0` → `true` and → `||` at faststart.ts:240: with
  // co64: true there is nothing to probe, so the shift is asked once per chunk offset.
  test("co64: true calls the shift once per chunk offset", () => {
    const asked: number[] = [];
    rewriteMoov(m, (o) => (asked.push(o), o + 1), { co64: true });
    assert.deepEqual(asked, [100, 200, 300, 400, 2 ** 33], "each offset once, in table order");
  });

  // Kills `sizeFor(false)` → `sizeFor(true)` at faststart.ts:241: the probe measures the
  // moov as it is, so an offset that lands on 2^32 - 1 at that size stays 32-bit.
  test("a size-dependent shift that lands on 2^32 - 1 does not convert, 2^32 does", () => {
    const S = moov(trak(stco([0]))).length;
    const fits = rewriteMoovDetailed(moov(trak(stco([2 ** 32 - 1 - S]))), (o, size) => o + size);
    assert.equal(fits.co64Converted, false, "2^32 - 1 fits in an stco");
    assert.deepEqual(readChunkOffsets(fits.moov), [{ type: "stco", offsets: [2 ** 32 - 1] }]);
    const over = rewriteMoovDetailed(moov(trak(stco([2 ** 32 - S]))), (o, size) => o + size);
    assert.equal(over.co64Converted, true, "2^32 does not");
    assert.deepEqual(readChunkOffsets(over.moov), [{ type: "co64", offsets: [2 ** 32 + 4] }], "at the grown size");
  });

  // Kills the messages → `""` at faststart.ts:243 and 253, and `n < 0` → `n <= 0` at 252.
  test("refusals say why; an offset may map to 0", () => {
    assert.throws(() => rewriteMoov(m, 2 ** 32, { co64: false }), {
      name: "Mp4FormatError",
      message: "a chunk offset reaches 2^32 and co64 conversion is off",
    });
    assert.throws(() => rewriteMoov(m, -200), {
      name: "Mp4FormatError",
      message: "chunk offset 100 maps to -100, which does not fit",
    });
    assert.deepEqual(readChunkOffsets(rewriteMoov(moov(trak(stco([100, 150]))), -100)), [
      { type: "stco", offsets: [0, 50] },
    ]);
  });

  // Kills `index.stcoEntries + index.co64Entries` → `-` at faststart.ts:315.
  test("chunkOffsets counts the entries of both kinds of table", () => {
    assert.equal(rewriteMoovDetailed(m, 0).chunkOffsets, 5, "3 stco entries and 2 co64 entries");
  });

  // Kills `t.kind !== "stco"` → `false` at faststart.ts:326: the probe reads only stco
  // tables (a co64 entry read as two 32-bit words would look like an overflow here).
  test("co64 entries never make the stco tables convert", () => {
    const out = rewriteMoovDetailed(moov(trak(stco([10])), trak(co64([2 ** 32 - 16, 5]))), 100);
    assert.equal(out.co64Converted, false, "the stco's 110 fits");
    assert.deepEqual(readChunkOffsets(out.moov), [
      { type: "stco", offsets: [110] },
      { type: "co64", offsets: [2 ** 32 + 84, 105] },
    ]);
  });

  // Kills `big > BigInt(Number.MAX_SAFE_INTEGER)` → `>=` at faststart.ts:337.
  test("a co64 offset of 2^53 - 1 is kept", () => {
    const max = Number.MAX_SAFE_INTEGER;
    assert.deepEqual(readChunkOffsets(rewriteMoov(moov(trak(co64([max]))), 0)), [{ type: "co64", offsets: [max] }]);
  });
});

describe("planFaststart and faststart: options, cache and reasons", () => {
  const moovBox = topLevel(MOOV_AT_END).find((b) => b[0] === "moov")!;

  // Kills `sharedCache ??= createFaststartCache()` → `&&=` at faststart.ts:446.
  test("without a cache option, the shared cache remembers the layout", async () => {
    const meta = { name: "shared-cache.mp4", lastModified: MTIME + 446 };
    assert.ok(isFaststart(await faststart(countingFile(MOOV_AT_END, meta))));
    const again = countingFile(MOOV_AT_END, meta);
    assert.ok(isFaststart(await faststart(again)), "the cached layout");
    assert.equal(again.reads.length, 0, "nothing read to decide");
  });

  // Kills `plan.sourceSize !== file.size` → `false` at faststart.ts:484: a cached layout
  // (here under a caller's key) is only used for a file of the size it was made for.
  test("a cached layout for another size serves the file unchanged", async () => {
    const cache = createFaststartCache();
    const key = "/same/key.mp4";
    assert.ok(isFaststart(await faststart(countingFile(MOOV_AT_END, { lastModified: MTIME }), { cache, key })));
    const longer = countingFile(concat(MOOV_AT_END, new Uint8Array(100)), { lastModified: MTIME });
    assert.equal(await faststart(longer, { cache, key }), longer, "the source itself");
  });

  // Kills `cacheable: true` → `false` for Mp4FormatError at faststart.ts:541.
  test("a refused file is remembered too", async () => {
    const cache = createFaststartCache();
    const bytes = withMoov(moov(trak(stco([4]))));
    const first = await planFaststart(countingFile(bytes, { name: "h.mp4", lastModified: MTIME }), { cache });
    assert.deepEqual(first, { action: "keep", alreadyFaststart: false, reason: "chunk offset 4 points into ftyp" });
    const again = countingFile(bytes, { name: "h.mp4", lastModified: MTIME });
    assert.deepEqual(await planFaststart(again, { cache }), first, "the same plan");
    assert.equal(again.reads.length, 0, "from the cache");
  });

  // Kills the reason → `""` at faststart.ts:543.
  test("a read error is reported with its message", async () => {
    for (const [rejection, reason] of [[new Error("EIO"), "read failed: EIO"], ["gone", "read failed: gone"]]) {
      const file: FileLike = { size: MOOV_AT_END.length, read: () => Promise.reject(rejection) };
      assert.deepEqual(await planFaststart(file, NO_CACHE), { action: "keep", alreadyFaststart: false, reason });
    }
  });

  // Kills `{ maxBoxes: options.maxBoxes }` → `{}` at faststart.ts:550.
  test("maxBoxes reaches the box reader", async () => {
    const plan = await planFaststart(countingFile(MOOV_AT_END), { ...NO_CACHE, maxBoxes: 2 });
    assert.deepEqual(plan, { action: "keep", alreadyFaststart: false, reason: "more than 2 top-level boxes" });
  });

  // Kills `moov.size > maxMoov` → `>=` at faststart.ts:585.
  test("a moov exactly maxMoovSize long is read; one byte over is not", async () => {
    const size = moovBox[2];
    const at = await planFaststart(countingFile(MOOV_AT_END), { ...NO_CACHE, maxMoovSize: size });
    assert.equal(at.action, "rewrite", "at the limit");
    const over = await planFaststart(countingFile(MOOV_AT_END), { ...NO_CACHE, maxMoovSize: size - 1 });
    assert.deepEqual(over, {
      action: "keep",
      alreadyFaststart: false,
      reason: `moov of ${size} bytes is over the ${size - 1}-byte limit`,
    });
  });

  // Kills the reason → `""` at faststart.ts:588: the file ends before the moov it announced.
  test("a moov the file cannot deliver is reported as truncated", async () => {
    const bytes = withMoov(moov(okTrak()));
    const short = countingFile(bytes.subarray(0, bytes.length - 10));
    const liar: FileLike = { ...short, size: bytes.length, read: short.read };
    assert.deepEqual(await planFaststart(liar, NO_CACHE), {
      action: "keep",
      alreadyFaststart: false,
      reason: "moov is truncated",
    });
  });

  // Kills `o < moovEnd` → `o <= moovEnd` at faststart.ts:600 (and pins the accepting side
  // of `o < size`): the first byte after the moov and the last byte of the file are media.
  test("chunk offsets at the first byte after the moov and at the last byte are remapped", async () => {
    const tail = concat(MDAT_HEAD(16), new Uint8Array(16).fill(9));
    const moovEnd = P + MEDIA + moov(trak(stco([0, 0]))).length;
    const size = moovEnd + tail.length;
    const source = countingFile(withMoov(moov(trak(stco([moovEnd, size - 1]))), tail), { lastModified: MTIME });
    const file = await faststart(source, NO_CACHE);
    assert.ok(isFaststart(file), "rewritten");
    const { after } = await assertOffsetsFollow(source, file, 1);
    assert.deepEqual(after, [moovEnd, size - 1], "the moov kept its size, so bytes after it stay in place");
  });
});
