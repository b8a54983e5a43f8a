// clip() end to end on real files whose moov fast-check has damaged (the
// committed fixtures, the mutant moov put back in place of the original): the
// answer is a ClipRangeError (the typed refusal, a 400), the source itself
// (clip gives up on a file it may not cut), or a derived FileLike whose size
// equals the bytes it yields, read only from inside the source. Never another
// error, never a hang: the reads on the source and on the clip are counted
// and bounded. RANGED_FUZZ_RUNS sets the cases (npm run fuzz).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { clip, clipInfo } from "../src/media/clip.ts";
import { ClipRangeError } from "../src/media/clip_select.ts";
import type { FileLike } from "../src/http/file_like.ts";
import { derivedInfo } from "../src/http/derived.ts";
import { concat, topLevel } from "./helpers/mp4_build.ts";
import { mutate, mutation } from "./helpers/moov_mutation.ts";
import { countingFile } from "./helpers/counting_file.ts";
import { count, params, reportCases, runs, SEED } from "./helpers/fuzz.ts";
import { runtime } from "./helpers/server.ts";

const RUNS = runs(300);
after(() => reportCases("property_clip", runtime));

const DIR = new URL("./fixtures/", import.meta.url);
const FILES = readdirSync(fileURLToPath(DIR)).filter((n) => n.endsWith(".mp4")).sort().map((name) => {
  const bytes = new Uint8Array(readFileSync(fileURLToPath(new URL(name, DIR))));
  const [, start, size] = topLevel(bytes).find(([type]) => type === "moov")!;
  return {
    name,
    before: bytes.subarray(0, start),
    moov: bytes.subarray(start, start + size),
    after: bytes.subarray(start + size),
  };
});

const CHUNK = 64 * 1024;

/** Every byte of `file` in CHUNK reads; the number of reads is bounded, so a read that loops cannot hang the test. */
async function drain(file: FileLike): Promise<{ bytes: number; reads: number }> {
  const buf = new Uint8Array(CHUNK);
  const limit = Math.ceil(file.size / CHUNK) + 1;
  let bytes = 0;
  let reads = 0;
  while (bytes < file.size) {
    assert.ok(++reads <= limit, `more than ${limit} reads for ${file.size} bytes`);
    const n = await file.read(buf.subarray(0, Math.min(CHUNK, file.size - bytes)), bytes);
    assert.ok(n > 0, `short read at ${bytes} of ${file.size}`);
    bytes += n;
  }
  assert.equal(await file.read(buf, file.size), 0, "nothing past the end");
  return { bytes, reads };
}

test(`clip() of real files with mutated moovs: a ClipRangeError, the source, or a clip as long as its bytes (${RUNS} cases)`, async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: FILES.length - 1 }),
      fc.array(mutation, { minLength: 0, maxLength: 2 }),
      fc.integer({ min: 0, max: 12_000 }),
      fc.option(fc.integer({ min: 0, max: 12_000 })),
      fc.constantFrom("keyframe" as const, "exact" as const),
      async (which, ms, start, end, mode) => {
        count("clip-file-mutant");
        const f = FILES[which];
        const bytes = concat(f.before, mutate(f.moov, ms), f.after);
        const source = countingFile(bytes, { name: f.name, lastModified: 0 });
        let out: FileLike;
        try {
          out = await clip(source, {
            start: start / 1000,
            end: end === null ? undefined : end / 1000,
            mode,
            cache: false,
            layoutCache: false,
          });
        } catch (err) {
          assert.ok(
            err instanceof ClipRangeError,
            `not a typed refusal (seed ${SEED}): ${err instanceof Error ? err.stack : err}`,
          );
          assert.doesNotMatch(err.message, /\n/);
          return;
        }
        // Loading the index reads the top-level box headers and the moov: a handful of reads, not a scan.
        assert.ok(source.reads.length <= 64, `${source.reads.length} reads to load the index (seed ${SEED})`);
        if (out === source) {
          assert.equal(clipInfo(out), undefined, "the source handed back is not a clip");
          return;
        }
        assert.ok(clipInfo(out), "a clip says what it is");
        assert.ok(Number.isSafeInteger(out.size) && out.size > 0);
        const loaded = source.reads.length;
        const { bytes: got, reads } = await drain(out);
        assert.equal(got, out.size, "the size is the bytes it yields");
        // Each read of the clip touches at most the pieces it spans; the spans are inside the source.
        for (const r of source.reads.slice(loaded)) {
          assert.ok(
            r.position >= 0 && r.position + r.length <= bytes.length,
            `source read ${r.position}+${r.length} inside ${bytes.length}`,
          );
        }
        const pieces = derivedInfo(out, "clip")!.pieces.length;
        assert.ok(
          source.reads.length - loaded <= reads + pieces,
          "at most one source read per piece and per clip read",
        );
      },
    ),
    params(RUNS),
  );
});
