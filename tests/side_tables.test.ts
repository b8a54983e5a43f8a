// Sample-indexed side tables in clips: sdtp and sample groups cropped to the
// kept samples, or dropped whole when they could not be kept exactly; subs
// and saiz/saio always dropped; never a reason to refuse the file.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseSampleIndex } from "../src/media/sample_index.ts";
import { cropRuns } from "../src/media/side_tables.ts";
import { selectClip } from "../src/media/clip_select.ts";
import { clipLayout } from "../src/media/clip_layout.ts";
import { ascii, fullBox, u32 } from "./helpers/mp4_build.ts";
import { movie, trak } from "./helpers/mp4_track.ts";
import { find, readBoxes } from "./helpers/hls_tracks.ts";

const sdtp = (bytes: number[]) => fullBox("sdtp", 0, 0, Uint8Array.from(bytes));
const sgpd = (type: string) => fullBox("sgpd", 1, 0, ascii(type), u32(2), u32(1), Uint8Array.of(0xff, 0xff));
const sbgp = (type: string, runs: [number, number][], version = 0) =>
  fullBox(
    "sbgp",
    version,
    0,
    ascii(type),
    ...(version === 1 ? [u32(7)] : []),
    u32(runs.length),
    ...runs.flatMap(([n, i]) => [u32(n), u32(i)]),
  );
/** The default 4-sample track (0.1 s each, keyframes 0 and 2) with these boxes added to its stbl. */
const track = (...extra: Uint8Array[]) =>
  parseSampleIndex(movie(trak({ extraStbl: extra })), { fileSize: 10_000 }).tracks[0];

describe("cropRuns", () => {
  const g = (runs: [number, number][]) => ({
    counts: Uint32Array.from(runs.map((r) => r[0])),
    indexes: Uint32Array.from(runs.map((r) => r[1])),
  });
  const cases: [string, [number, number][], number, number, number[]][] = [
    ["inside one run", [[10, 1]], 3, 4, [4, 1]],
    ["across runs", [[2, 1], [3, 0], [5, 2]], 1, 6, [1, 1, 3, 0, 2, 2]],
    ["neighbours merged once cut", [[2, 1], [3, 0], [2, 1]], 2, 3, [3, 0]],
    ["runs shorter than the track: the rest is in no group", [[2, 1]], 1, 5, [1, 1]],
    ["the cut past every run", [[2, 1]], 3, 2, []],
    ["zero-length runs skipped", [[0, 3], [2, 1], [0, 4], [2, 1]], 0, 4, [4, 1]],
  ];
  for (const [name, runs, first, n, want] of cases) {
    test(name, () => assert.deepEqual(cropRuns(g(runs), first, n), want));
  }
});

describe("reading side tables", () => {
  test("sdtp and one group per grouping type are kept", () => {
    const t = track(
      sdtp([0x10, 0x20, 0x30, 0x40]),
      sgpd("roll"),
      sbgp("roll", [[4, 1]]),
      sgpd("rap "),
      sbgp("rap ", [
        [1, 1],
        [3, 0],
      ], 1),
    );
    assert.deepEqual([...t.side.sdtp!], [0x10, 0x20, 0x30, 0x40]);
    assert.deepEqual(t.side.groups.map((g) => [g.type, g.version, g.parameter, [...g.counts], [...g.indexes]]), [
      ["roll", 0, 0, [4], [1]],
      ["rap ", 1, 7, [1, 3], [1, 0]],
    ]);
  });

  const dropped: [string, Uint8Array[], "sdtp" | "group"][] = [
    ["an sdtp one byte short", [sdtp([1, 2, 3])], "sdtp"],
    ["an sdtp one byte long", [sdtp([1, 2, 3, 4, 5])], "sdtp"],
    ["runs over the sample count", [sgpd("roll"), sbgp("roll", [[3, 1], [2, 1]])], "group"],
    ["an sbgp with no sgpd of its type", [sgpd("rap "), sbgp("roll", [[4, 1]])], "group"],
    ["two sgpd of one type", [sgpd("roll"), sgpd("roll"), sbgp("roll", [[4, 1]])], "group"],
    ["two sbgp of one type", [sgpd("roll"), sbgp("roll", [[4, 1]]), sbgp("roll", [[4, 0]])], "group"],
    ["an entry count larger than the box", [sgpd("roll"), fullBox("sbgp", 0, 0, ascii("roll"), u32(1000))], "group"],
    ["sbgp version 2", [sgpd("roll"), fullBox("sbgp", 2, 0, ascii("roll"), u32(0))], "group"],
  ];
  for (const [name, extra, what] of dropped) {
    test(`dropped, the file still indexed: ${name}`, () => {
      const t = track(...extra);
      assert.equal(t.count, 4);
      if (what === "sdtp") assert.equal(t.side.sdtp, undefined);
      else assert.deepEqual(t.side.groups, []);
    });
  }
});

describe("a clip's side tables", () => {
  test("sdtp and sbgp runs cropped to the kept samples, sgpd verbatim; subs and saiz/saio dropped", () => {
    const index = parseSampleIndex(
      movie(trak({
        extraStbl: [
          sdtp([0x10, 0x20, 0x30, 0x40]),
          sgpd("roll"),
          sbgp("roll", [[1, 1], [2, 0], [1, 1]]),
          sgpd("rap "),
          sbgp("rap ", [[4, 1]], 1),
          fullBox("subs", 0, 0, u32(0)),
          fullBox("saiz", 0, 0, Uint8Array.of(8), u32(4)),
          fullBox("saio", 0, 0, u32(1), u32(1000)),
        ],
      })),
      { fileSize: 10_000 },
    );
    // From 0.25 s: the keyframe at 0.2 s, samples 2 and 3.
    const layout = clipLayout(index, selectClip(index, { start: 250 }));
    const kids = find(readBoxes(layout.moov), "moov/trak/mdia/minf/stbl")[0].children!;
    const types = kids.map((b) => b.type);
    for (const gone of ["subs", "saiz", "saio"]) assert.ok(!types.includes(gone), `${gone} dropped`);
    const payload = (type: string, n = 0) => [...kids.filter((k) => k.type === type)[n].body];
    assert.deepEqual(payload("sdtp"), [0, 0, 0, 0, 0x30, 0x40], "sdtp: the kept samples' bytes");
    const roll = [0, 0, 0, 0, ...ascii("roll"), 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1];
    assert.deepEqual(payload("sbgp", 0), roll, "roll: runs [1 × none, 1 × group 1]");
    const rap = [1, 0, 0, 0, ...ascii("rap "), 0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1];
    assert.deepEqual(payload("sbgp", 1), rap, "rap: version 1 with its parameter, one run of 2");
    assert.deepEqual(payload("sgpd", 0), [...sgpd("roll").subarray(8)], "sgpd copied verbatim");
    // The clip's own index reads them back: one byte per sample, runs covering its two samples.
    const clipIndex = parseSampleIndex(layout.moov, { fileSize: layout.size });
    const side = clipIndex.tracks[0].side;
    assert.deepEqual([...side.sdtp!], [0x30, 0x40]);
    assert.deepEqual(side.groups.map((g) => [g.type, [...g.counts], [...g.indexes]]), [
      ["roll", [1, 1], [0, 1]],
      ["rap ", [2], [1]],
    ]);
  });

  test("no side tables in the source: none in the clip", () => {
    const index = parseSampleIndex(movie(trak()), { fileSize: 10_000 });
    const layout = clipLayout(index, selectClip(index, { start: 250 }));
    const types = find(readBoxes(layout.moov), "moov/trak/mdia/minf/stbl")[0].children!.map((b) => b.type);
    assert.deepEqual(types, ["stsd", "stts", "stss", "stsc", "stsz", "stco"]);
  });
});
