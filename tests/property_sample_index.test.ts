// fast-check mutations of real moov boxes (the committed fixtures and the
// sample): every mutant must end in an index whose samples all lie inside the
// file, or in a typed Mp4FormatError; never another exception, a hang or a
// huge allocation. RANGED_FUZZ_RUNS sets the cases (npm run fuzz).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Mp4FormatError } from "../src/media/boxes.ts";
import { parseSampleIndex } from "../src/media/sample_index.ts";
import { clipLayout } from "../src/media/clip_layout.ts";
import { parseClipQuery } from "../src/media/clip_query.ts";
import { ClipRangeError, selectClip } from "../src/media/clip_select.ts";
import { topLevel } from "./helpers/mp4_build.ts";
import { mutate, mutation } from "./helpers/moov_mutation.ts";
import { count, params, reportCases, runs } from "./helpers/fuzz.ts";
import { runtime } from "./helpers/server.ts";

const RUNS = runs(1500);
after(() => reportCases("property_sample_index", runtime));

const MOOVS = ["../tests/fixtures/clip.mp4", "../tests/fixtures/moov_at_end.mp4", "../samples/testsrc-faststart.mp4"]
  .map((p) => {
    const bytes = new Uint8Array(readFileSync(fileURLToPath(new URL(p, import.meta.url))));
    const [, start, size] = topLevel(bytes).find(([type]) => type === "moov")!;
    return { moov: bytes.slice(start, start + size), fileSize: bytes.length };
  });

test(`parseSampleIndex on mutated real moovs: an index inside the file, or a typed error (${RUNS} cases)`, () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: MOOVS.length - 1 }),
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      (which, ms) => {
        count("sample-index-mutant");
        const { moov, fileSize } = MOOVS[which];
        const mutant = mutate(moov, ms);
        let index;
        try {
          index = parseSampleIndex(mutant, { fileSize });
        } catch (err) {
          assert.ok(err instanceof Mp4FormatError, `not a typed error: ${err instanceof Error ? err.stack : err}`);
          assert.doesNotMatch(err.message, /\n/);
          return;
        }
        for (const t of index.tracks) {
          assert.equal(t.sizes.length, t.count);
          assert.ok(t.timescale > 0);
          for (let i = 0; i < t.count; i++) {
            assert.ok(t.offset(i) >= 0 && t.offset(i) + t.sizes[i] <= fileSize, `sample ${i} inside the file`);
            assert.ok(t.dts(i + 1) >= t.dts(i), "decode times never go back");
          }
        }
        const samples = index.tracks.reduce((n, t) => n + t.count, 0);
        assert.ok(index.bytes <= 32 * samples + 2 * mutant.length + 4096, "at most 32 bytes per sample plus the boxes");
      },
    ),
    params(RUNS),
  );
});

test(`clips of mutated real moovs: a layout inside the file, or a typed error (${RUNS} cases)`, () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: MOOVS.length - 1 }),
      fc.array(mutation, { minLength: 0, maxLength: 2 }),
      fc.integer({ min: 0, max: 12_000 }),
      fc.option(fc.integer({ min: 0, max: 12_000 })),
      fc.constantFrom("keyframe" as const, "exact" as const),
      (which, ms, start, end, mode) => {
        count("clip-of-mutant");
        const { moov, fileSize } = MOOVS[which];
        let index;
        try {
          index = parseSampleIndex(mutate(moov, ms), { fileSize });
        } catch (err) {
          assert.ok(err instanceof Mp4FormatError);
          return;
        }
        try {
          const layout = clipLayout(index, selectClip(index, { start, end: end ?? undefined }, mode));
          for (const p of layout.pieces) {
            if ("offset" in p) assert.ok(p.offset >= 0 && p.offset + p.length <= fileSize, "spans inside the file");
          }
          const total = layout.pieces.reduce((n, p) => n + ("bytes" in p ? p.bytes.length : p.length), 0);
          assert.equal(total, layout.size);
        } catch (err) {
          assert.ok(err instanceof Mp4FormatError || err instanceof ClipRangeError, `untyped: ${err}`);
        }
      },
    ),
    params(RUNS),
  );
});

test(`parseClipQuery never throws and keeps start < end (${RUNS} cases)`, () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (a, b) => {
      count("clip-query");
      const q = parseClipQuery(new URLSearchParams([["start", a], ["end", b]]));
      if (q === undefined) return;
      assert.ok(Number.isSafeInteger(q.start) && q.start >= 0);
      assert.ok(q.end === undefined || q.end > q.start);
    }),
    params(RUNS),
  );
});
