// The playback suite every browser engine runs against the CLI server of the
// runtime under test: both samples and a 30 MB moov-at-end MP4, played, sought
// to 80% and played on. The server is paced (--throttle 3m per response), so
// the engine cannot fetch everything at once: playback of the big file must
// begin before most of it could have been sent, and the seek must be answered
// with a 206 from far into the file, both seen from the server's side.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeBigMoovAtEnd, type Playback, SentBytes } from "./_playback.ts";
import { partials, requireBinary, SAMPLES, startServer, type TestServer } from "./_server.ts";

/** A browser engine ready to run the page-side check (`PLAY_AND_SEEK`) on a URL. */
export interface Engine {
  play(src: string): Promise<Playback>;
  close(): Promise<void>;
}

/** What a test file tells the suite about its engine. */
export interface EngineSpec {
  /** Short name for test titles and the log line: `webkit`, `firefox`. */
  name: string;
  /** Binaries (or paths) that must exist, and the Debian packages that hold them. */
  binaries: string[];
  packages: string;
  launch(): Promise<Engine>;
}

const FILES = ["testsrc-faststart.mp4", "testsrc-moov-at-end.mp4", "big_moov_at_end.mp4"];

/** Declares the before/after hooks and one test per file for `spec`'s engine. */
export function playAndSeekSuite(spec: EngineSpec): void {
  const dir = mkdtempSync(join(tmpdir(), `ranged-${spec.name}-`));
  const viewer = `${spec.name}0e2e0viewer`;
  let server: TestServer | undefined;
  let engine: Engine | undefined;
  let watcher: SentBytes | undefined;

  before(async () => {
    for (const bin of [...spec.binaries, "ffmpeg"]) requireBinary(bin, `${spec.packages} ffmpeg`);
    for (const name of FILES.slice(0, 2)) copyFileSync(join(SAMPLES, name), join(dir, name));
    makeBigMoovAtEnd(join(dir, FILES[2]));
    server = await startServer(["--throttle", "3m"], dir);
    watcher = new SentBytes(server.url, viewer);
    engine = await spec.launch();
  });

  after(async () => {
    await engine?.close();
    await watcher?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe(`${spec.name}: play, seek to 80%, play on`, () => {
    for (const name of FILES) {
      test(name, async () => {
        const out = await engine!.play(`${server!.url}${name}?viewer=${viewer}`);
        assert.equal(out.error, null, `${name}: ${out.error}\n${server!.log.join("\n")}`);
        assert.ok(out.playedOnAfterSeek, `${name}: did not play on after the seek to ${out.seekTo}`);
        // The samples arrive whole in about a second; only the big file needs ranges.
        if (name === FILES[2]) checkPacedStart(spec.name, server!, watcher!, name, statSync(join(dir, name)).size, out);
      });
    }
  });
}

function checkPacedStart(
  engine: string,
  server: TestServer,
  watcher: SentBytes,
  name: string,
  size: number,
  out: Playback,
): void {
  // The seek was answered with a range from far into the file, from the server's side.
  const starts = partials(server.log, `/${name}`);
  assert.ok(
    starts.some((s) => s > size / 2),
    `${name}: no 206 from past the middle for the seek; server log:\n${server.log.join("\n")}`,
  );
  // An engine buffers a few MB before it plays; without Content-Length WebKit waits for the whole file.
  const sent = watcher.sentBy(`/${name}`, out.startedAt);
  console.log(
    `${engine} on ${server.runtime}: ${name} (${size} bytes) started in ${out.startedMs} ms, ${sent} bytes sent by then`,
  );
  assert.ok(sent > 0, `${name}: the server's range map reported nothing before playback began`);
  assert.ok(sent < size / 2, `${name}: playback began only after ${sent} of ${size} bytes were sent`);
}
