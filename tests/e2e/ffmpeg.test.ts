// ffprobe and ffmpeg read the samples over HTTP from the CLI server of the
// runtime under test. The moov-at-end sample can only be probed by seeking
// with Range requests to the index at the end of the file.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { eventually, partials, requireBinary, run, SAMPLES, startServer, type TestServer } from "./_server.ts";

const MOOV_AT_END = "testsrc-moov-at-end.mp4";
let server: TestServer | undefined;

before(async () => {
  requireBinary("ffmpeg");
  requireBinary("ffprobe");
  // As on disk: ffprobe must seek to the moov at the end (faststart would move it first).
  server = await startServer(["--no-faststart"]);
});
after(async () => {
  await server?.stop();
});

test("ffmpeg: ffmpeg and ffprobe are installed", () => {
  requireBinary("ffmpeg");
  requireBinary("ffprobe");
});

test("ffmpeg: ffprobe over HTTP finds the moov at the end and reports the duration", async () => {
  requireBinary("ffprobe");
  const r = await run("ffprobe", [
    "-v",
    "error",
    "-show_entries",
    "format=duration:stream=codec_name",
    "-of",
    "json",
    `${server!.url}${MOOV_AT_END}`,
  ]);
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(new TextDecoder().decode(r.stdout));
  assert.ok(Math.abs(Number(info.format.duration) - 10) < 0.1, `duration ${info.format.duration}`);
  assert.deepEqual(info.streams.map((s: { codec_name: string }) => s.codec_name).sort(), ["aac", "h264"]);
  // It had to jump: some 206 started in the last tenth of the file (where moov is).
  const size = statSync(SAMPLES + MOOV_AT_END).size;
  const nearEnd = () => partials(server!.log, `/${MOOV_AT_END}`).some((s) => s > size * 0.9);
  assert.ok(await eventually(nearEnd), `no range request near the end:\n${server!.log.join("\n")}`);
});

for (const name of [MOOV_AT_END, "testsrc-faststart.mp4"]) {
  test(`ffmpeg: -ss 5 decodes a frame from the middle of ${name} over HTTP`, async () => {
    requireBinary("ffmpeg");
    const before = partials(server!.log, `/${name}`).length;
    const r = await run("ffmpeg", [
      "-v",
      "error",
      "-ss",
      "5",
      "-i",
      `${server!.url}${name}`,
      "-frames:v",
      "1",
      "-f",
      "rawvideo",
      "-pix_fmt",
      "rgb24",
      "-",
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.length, 640 * 360 * 3, "one 640x360 RGB frame");
    const seeked = () => partials(server!.log, `/${name}`).length > before;
    assert.ok(await eventually(seeked), `ffmpeg seeked with Range requests:\n${server!.log.join("\n")}`);
  });
}
