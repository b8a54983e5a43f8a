// ffmpeg as the e2e suites use it: make fixtures, and read a stream's
// frames or packets as framemd5 lines, the oracle for "the same frames".
import assert from "node:assert/strict";
import { run } from "./_server.ts";

/** Runs ffmpeg quietly, overwriting outputs; fails with its stderr. */
export async function ffmpeg(...args: string[]): Promise<void> {
  const r = await run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args]);
  assert.equal(r.status, 0, `ffmpeg ${args.join(" ")}: ${r.stderr}`);
}

/** One line of `ffmpeg -f framemd5`: presentation time in seconds and the hash. */
export interface FrameLine {
  readonly pts: number;
  readonly hash: string;
}

/**
 * The frames of the streams `map` selects in `input` (a path or URL), decoded,
 * or with `copy` the packets as stored (for audio, where decoding would hide a
 * missing packet behind the decoder's priming).
 */
export async function framemd5(input: string, map: string, copy = false): Promise<FrameLine[]> {
  const r = await run("ffmpeg", [
    "-hide_banner",
    "-loglevel",
    "error",
    "-i",
    input,
    "-map",
    map,
    ...(copy ? ["-c", "copy"] : []),
    "-f",
    "framemd5",
    "-",
  ]);
  assert.equal(r.status, 0, `ffmpeg framemd5 of ${input}: ${r.stderr}`);
  const text = new TextDecoder().decode(r.stdout);
  const tb = /#tb 0: (\d+)\/(\d+)/.exec(text);
  assert.ok(tb, `framemd5 of ${input} names no time base`);
  const scale = Number(tb[1]) / Number(tb[2]);
  // Columns: stream, dts, pts, duration, size, hash, then side data (the AAC priming packet's skip count) if any.
  return text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => {
    const f = l.split(",").map((s) => s.trim());
    return { pts: Number(f[2]) * scale, hash: f[5] };
  });
}
