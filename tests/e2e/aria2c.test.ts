// aria2c, the segmented downloader, with four connections against the CLI
// server of the runtime under test: each connection asks for its own range,
// and the pieces put together must be the bytes the server serves, for a
// plain file (equal to the file on disk) and for a moov-at-end MP4 that the
// server rewrites to faststart layout on the fly (equal to one plain GET).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { patternBytes } from "../helpers/counting_file.ts";
import { makeBigMoovAtEnd } from "./_playback.ts";
import { eventually, partials, requireBinary, run, startServer, type TestServer } from "./_server.ts";

const PACKAGES = "aria2 ffmpeg";
const SEED = 0x2a1a2c;
const DIR = mkdtempSync(join(tmpdir(), "ranged-aria2c-"));
const OUT = mkdtempSync(join(tmpdir(), "ranged-aria2c-out-"));
let server: TestServer | undefined;

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

before(async () => {
  requireBinary("aria2c", PACKAGES);
  requireBinary("ffmpeg", PACKAGES);
  // Seeded xorshift bytes: no two 1 MiB pieces alike, so a piece put in the wrong place shows.
  console.log(`aria2c: seed ${SEED}`);
  writeFileSync(join(DIR, "noise.bin"), patternBytes(8 << 20, SEED));
  makeBigMoovAtEnd(join(DIR, "moov_at_end.mp4"), 8);
  // 2 MB/s per response: one connection cannot take the whole file before the others open theirs.
  server = await startServer(["--throttle", "2m"], DIR);
});

after(async () => {
  await server?.stop();
  rmSync(DIR, { recursive: true, force: true });
  rmSync(OUT, { recursive: true, force: true });
});

async function aria2c(name: string): Promise<Uint8Array> {
  const r = await run("aria2c", [
    ...["-x4", "-s4", "-k1M", "--file-allocation=none", "--allow-overwrite=true", "--auto-file-renaming=false"],
    ...["--max-tries=1", "--timeout=30", "--console-log-level=warn", "--summary-interval=0", "--no-conf"],
    ...["-d", OUT, "-o", name, `${server!.url}${name}`],
  ], 120_000);
  assert.equal(r.status, 0, `aria2c ${name}: ${r.stderr}${new TextDecoder().decode(r.stdout)}`);
  return new Uint8Array(readFileSync(join(OUT, name)));
}

/**
 * The other three connections each got a 206 for a piece of their own, from
 * the server's side (the first connection is a plain GET that learns the size).
 */
async function assertSegmented(name: string): Promise<void> {
  const pieces = () => new Set(partials(server!.log, `/${name}`).filter((s) => s > 0));
  const seen = await eventually(() => pieces().size >= 3);
  assert.ok(seen, `${name}: fewer than three ranged pieces; server log:\n${server!.log.join("\n")}`);
}

test("aria2c: -x4 -s4 -k1M download of a plain file equals the file", async () => {
  const source = new Uint8Array(readFileSync(join(DIR, "noise.bin")));
  const got = await aria2c("noise.bin");
  assert.equal(got.length, source.length);
  assert.equal(sha256(got), sha256(source));
  await assertSegmented("noise.bin");
});

test("aria2c: -x4 -s4 -k1M download of a faststart-on-the-fly MP4 equals one plain GET", async () => {
  const res = await fetch(`${server!.url}moov_at_end.mp4`);
  assert.equal(res.status, 200);
  const served = new Uint8Array(await res.arrayBuffer());
  assert.equal(Number(res.headers.get("content-length")), served.length);
  // The server did rewrite it: the served layout differs from the file on disk.
  assert.notEqual(sha256(served), sha256(new Uint8Array(readFileSync(join(DIR, "moov_at_end.mp4")))));
  const got = await aria2c("moov_at_end.mp4");
  assert.equal(got.length, served.length);
  assert.equal(sha256(got), sha256(served));
  await assertSegmented("moov_at_end.mp4");
});
