// curl against the CLI server of the runtime under test: byte ranges, a
// multipart request, an interrupted download resumed with `-C -`, and
// raw hostile paths that bypass curl's own path normalisation.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, requireBinary, run, SAMPLES, startServer, type TestServer } from "./_server.ts";

const NAME = "testsrc-faststart.mp4";
const FILE = new Uint8Array(readFileSync(SAMPLES + NAME));
const tmp = mkdtempSync(join(tmpdir(), "ranged-curl-"));
let server: TestServer | undefined;

before(async () => {
  requireBinary("curl");
  // 256 KiB/s per response: a download can be cut part way through reliably
  // (curl's own --limit-rate lets loopback bursts through).
  server = await startServer(["--throttle", "256k"]);
});
after(async () => {
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

test("curl: curl is installed", () => requireBinary("curl"));

test("curl: -r ranges are byte-identical to the file", async () => {
  requireBinary("curl");
  for (
    const [range, start, end] of [["0-0", 0, 0], ["1000-65535", 1000, 65535], ["700000-", 700000, FILE.length - 1]]
  ) {
    const r = await run("curl", ["-sS", "-f", "-r", String(range), `${server!.url}${NAME}`]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout, FILE.subarray(Number(start), Number(end) + 1), `range ${range}`);
  }
  const suffix = await run("curl", ["-sS", "-f", "-H", "Range: bytes=-500", `${server!.url}${NAME}`]);
  assert.deepEqual(suffix.stdout, FILE.subarray(FILE.length - 500));
});

test("curl: several ranges answer multipart/byteranges", async () => {
  requireBinary("curl");
  const r = await run("curl", ["-sS", "-f", "-D", "-", "-r", "0-99,1000-1099", `${server!.url}${NAME}`]);
  assert.equal(r.status, 0, r.stderr);
  const text = new TextDecoder("latin1").decode(r.stdout);
  assert.match(text, /^HTTP\/1\.1 206/);
  assert.match(text, /content-type: multipart\/byteranges; boundary=/i);
  assert.match(text, /content-range: bytes 0-99\/769380/i);
  assert.match(text, /content-range: bytes 1000-1099\/769380/i);
});

test("curl: an interrupted download resumed with -C - is byte-identical", async () => {
  requireBinary("curl");
  const out = join(tmp, "resumed.mp4");
  // The whole file takes about 3 s at the server's rate: cut it after 1 s.
  const cut = await run("curl", ["-sS", "--max-time", "1", "-o", out, `${server!.url}${NAME}`]);
  assert.equal(cut.status, 28, `expected a timeout, got ${cut.status}: ${cut.stderr}`);
  const partial = statSync(out).size;
  assert.ok(partial > 0 && partial < FILE.length, `partial size ${partial}`);
  const resumed = await run("curl", ["-sS", "-f", "-C", "-", "-o", out, `${server!.url}${NAME}`]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.deepEqual(new Uint8Array(readFileSync(out)), FILE);
  const asked = () => server!.log.some((l) => l.includes(`range=bytes=${partial}-`) && / 206 /.test(l));
  assert.ok(await eventually(asked), `the resume asked for bytes=${partial}-`);
});

test("curl: raw hostile paths (--path-as-is) answer 404 or 400", async () => {
  requireBinary("curl");
  for (
    const path of [
      "/../../../../etc/passwd",
      "/..%2f..%2f..%2fetc%2fpasswd",
      "/%2e%2e/%2e%2e/etc/passwd",
      "/..\\..\\etc\\passwd",
      "//etc/passwd",
      "/%00",
      "/.hidden",
    ]
  ) {
    const r = await run("curl", [
      "-s",
      "--path-as-is",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      `${server!.url.slice(0, -1)}${path}`,
    ]);
    const code = new TextDecoder().decode(r.stdout);
    assert.ok(code === "404" || code === "400", `${path} answered ${code}`);
  }
});
