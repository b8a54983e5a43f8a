// mpv (ffmpeg's HTTP client underneath, not a browser's) against the paced
// CLI server of the runtime under test: it opens each sample, starts at 80%
// and plays on for 1.5 s. The seek must reach the server as a 206 from past
// the middle of the file (the pacing keeps the first response from having
// delivered it already), and a small Lua script reports how far playback got.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, partials, requireBinary, run, SAMPLES, startServer, type TestServer } from "./_server.ts";

const TMP = mkdtempSync(join(tmpdir(), "ranged-mpv-"));
const SCRIPT = join(TMP, "reached.lua");
const PLAY_SECONDS = 1.5;
let server: TestServer | undefined;

before(async () => {
  requireBinary("mpv", "mpv");
  // Prints where playback started and the last position it reached before mpv quit.
  writeFileSync(
    SCRIPT,
    `local first, last
mp.observe_property("time-pos", "number", function(_, v)
  if v then first = first or v; last = v end
end)
mp.register_event("shutdown", function()
  mp.msg.info(string.format("reached %s %s", tostring(first), tostring(last)))
end)
`,
  );
  // 256 KiB/s per response: the first response cannot have sent the last 20% when mpv seeks.
  server = await startServer(["--throttle", "256k"]);
});

after(async () => {
  await server?.stop();
  rmSync(TMP, { recursive: true, force: true });
});

for (const name of ["testsrc-faststart.mp4", "testsrc-moov-at-end.mp4"]) {
  test(`mpv: ${name} opens, seeks to 80% and plays on`, async () => {
    const r = await run("mpv", [
      ...["--no-config", "--vo=null", "--ao=null", "--start=80%", `--length=${PLAY_SECONDS}`],
      ...["--msg-level=all=error,reached=info", `--script=${SCRIPT}`, `${server!.url}${name}`],
    ], 60_000);
    const out = new TextDecoder().decode(r.stdout) + r.stderr;
    assert.equal(r.status, 0, `mpv exited ${r.status}: ${out}`);
    const reached = /reached ([\d.]+) ([\d.]+)/.exec(out);
    assert.ok(reached, `mpv reported no playback position: ${out}`);
    const [first, last] = [Number(reached[1]), Number(reached[2])];
    console.log(`mpv on ${server!.runtime}: ${name} played from ${first} to ${last} s`);
    // The samples are 10 s long.
    assert.ok(first >= 7.9 && first < 8.5, `${name}: playback started at ${first}, not at 80%`);
    assert.ok(last >= first + PLAY_SECONDS - 0.3, `${name}: played only from ${first} to ${last}`);
    const size = statSync(join(SAMPLES, name)).size;
    const seek = () => partials(server!.log, `/${name}`).some((s) => s > size / 2);
    assert.ok(await eventually(seek), `${name}: no 206 from past the middle; server log:\n${server!.log.join("\n")}`);
  });
}
