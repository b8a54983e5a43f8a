// WebKitGTK, the engine of Safari, plays both samples and a 30 MB
// moov-at-end MP4 from the CLI server of the runtime under test, seeks to
// 80% and plays on. The server is paced (--throttle 3m per response), so the
// engine cannot fetch everything at once: playback of the big file must begin
// before most of it could have been sent, which needs an exact Content-Length
// on the first plain GET (without one WebKit downloads the whole file first).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchWebKit, MINIBROWSER, type WebKit } from "./_webkit.ts";
import { makeBigMoovAtEnd, PLAY_AND_SEEK, type Playback, SentBytes } from "./_playback.ts";
import { partials, requireBinary, SAMPLES, startServer, type TestServer } from "./_server.ts";

const PACKAGES = "webkit2gtk-driver xvfb gstreamer1.0-libav gstreamer1.0-plugins-good gstreamer1.0-plugins-bad ffmpeg";
const DIR = mkdtempSync(join(tmpdir(), "ranged-webkit-"));
const FILES = ["testsrc-faststart.mp4", "testsrc-moov-at-end.mp4", "big_moov_at_end.mp4"];

let server: TestServer | undefined;
let webkit: WebKit | undefined;
let watcher: SentBytes | undefined;
const VIEWER = "webkit0e2e0viewer";

before(async () => {
  for (const bin of ["WebKitWebDriver", "Xvfb", MINIBROWSER, "ffmpeg"]) requireBinary(bin, PACKAGES);
  for (const name of FILES.slice(0, 2)) copyFileSync(join(SAMPLES, name), join(DIR, name));
  makeBigMoovAtEnd(join(DIR, FILES[2]));
  server = await startServer(["--throttle", "3m"], DIR);
  watcher = new SentBytes(server.url, VIEWER);
  webkit = await launchWebKit();
  await webkit.goto("about:blank");
});

after(async () => {
  await webkit?.close();
  await watcher?.close();
  await server?.stop();
  rmSync(DIR, { recursive: true, force: true });
});

describe("webkit: play, seek to 80%, play on", () => {
  for (const name of FILES) {
    test(name, async () => {
      const size = statSync(join(DIR, name)).size;
      const src = `${server!.url}${name}?viewer=${VIEWER}`;
      const out = await webkit!.executeAsync<Playback>(
        `(${PLAY_AND_SEEK})(arguments[0]).then(arguments[arguments.length - 1])`,
        [src],
      );
      assert.equal(out.error, null, `${name}: ${out.error}\n${server!.log.join("\n")}`);
      assert.ok(out.playedOnAfterSeek, `${name}: did not play on after the seek to ${out.seekTo}`);
      // The samples arrive whole in about a second; only the big file needs ranges.
      if (name === FILES[2]) {
        // The seek was answered with a range from far into the file, from the server's side.
        const starts = partials(server!.log, `/${name}`);
        assert.ok(
          starts.some((s) => s > size / 2),
          `${name}: no 206 from past the middle for the seek; server log:\n${server!.log.join("\n")}`,
        );
        // WebKit buffers a few MB before it plays; without Content-Length it waits for the whole file.
        const sent = watcher!.sentBy(`/${name}`, out.startedAt);
        console.log(
          `webkit on ${
            server!.runtime
          }: ${name} (${size} bytes) started in ${out.startedMs} ms, ${sent} bytes sent by then`,
        );
        assert.ok(sent > 0, `${name}: the server's range map reported nothing before playback began`);
        assert.ok(sent < size / 2, `${name}: playback began only after ${sent} of ${size} bytes were sent`);
      }
    });
  }
});
