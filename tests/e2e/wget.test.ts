// wget -c against the CLI server of the runtime under test: a partial
// download holding the real first N bytes is resumed with a ranged request
// and ends byte-identical to what the server serves, for a file as it is on
// disk and for a moov-at-end MP4 rewritten to faststart layout on the fly; a
// download already complete is left alone (416, exit 0).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, requireBinary, run, SAMPLES, startServer, type TestServer } from "./_server.ts";

const OUT = mkdtempSync(join(tmpdir(), "ranged-wget-"));
let server: TestServer | undefined;

before(async () => {
  requireBinary("wget", "wget");
  server = await startServer();
});

after(async () => {
  await server?.stop();
  rmSync(OUT, { recursive: true, force: true });
});

/** Runs `wget -c` for `name` into OUT, where `partial` already lies under the same name. */
async function resume(name: string, partial: Uint8Array): Promise<Uint8Array> {
  writeFileSync(join(OUT, name), partial);
  const r = await run("wget", [
    "--no-config",
    "-c",
    "-q",
    "--tries=1",
    "--timeout=30",
    "-P",
    OUT,
    `${server!.url}${name}`,
  ]);
  assert.equal(r.status, 0, `wget -c ${name}: ${r.stderr}`);
  return new Uint8Array(readFileSync(join(OUT, name)));
}

/** The server answered `status` to a request for `bytes=from-`. */
async function answered(name: string, from: number, status: number): Promise<boolean> {
  return await eventually(() =>
    server!.log.some((l) => l.startsWith(`GET /${name} ${status} `) && l.includes(`range=bytes=${from}-`))
  );
}

test("wget: -c resumes a file as it is on disk byte-exact", async () => {
  const name = "testsrc-faststart.mp4";
  const file = new Uint8Array(readFileSync(join(SAMPLES, name)));
  const n = 300_001; // odd, inside a sample chunk: no boundary makes it easy
  assert.deepEqual(await resume(name, file.subarray(0, n)), file);
  assert.ok(await answered(name, n, 206), `no 206 for bytes=${n}-; server log:\n${server!.log.join("\n")}`);
});

test("wget: -c resumes a faststart-on-the-fly MP4 byte-exact", async () => {
  const name = "testsrc-moov-at-end.mp4";
  const served = new Uint8Array(await (await fetch(`${server!.url}${name}`)).arrayBuffer());
  // Past the rewritten moov, in the media data that follows it.
  const n = Math.floor(served.length * 0.6) + 1;
  assert.deepEqual(await resume(name, served.subarray(0, n)), served);
  assert.ok(await answered(name, n, 206), `no 206 for bytes=${n}-; server log:\n${server!.log.join("\n")}`);
});

test("wget: -c on a complete download changes nothing (416, exit 0)", async () => {
  const name = "testsrc-faststart.mp4";
  const file = new Uint8Array(readFileSync(join(SAMPLES, name)));
  assert.deepEqual(await resume(name, file), file);
  assert.ok(
    await answered(name, file.length, 416),
    `no 416 for bytes=${file.length}-; server log:\n${server!.log.join("\n")}`,
  );
});
