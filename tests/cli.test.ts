// The CLI as a new user meets it, on the runtime under test: `npm start`
// forwards its arguments, every flag the docs show parses, and a mistake
// (bad --port, a port in use, an unknown flag) is one line on stderr and a
// non-zero exit, never a stack trace or a wall of usage.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { freePort } from "./e2e/_server.ts";
import { runCli, start, waitForLine } from "./helpers/cli.ts";
import { runtime } from "./helpers/server.ts";

/** stderr split into its non-empty lines. */
const lines = (text: string) => text.split("\n").filter((l) => l.trim() !== "");

test(`cli (${runtime}): --help prints the usage and exits 0`, async () => {
  const r = await runCli(["--help"]);
  assert.equal(r.status, 0, `exit status; stderr: ${r.stderr}`);
  assert.match(r.stdout, /^Usage: ranged \[dir\] \[options\]/, "usage on stdout");
  assert.equal(r.stderr, "", "nothing on stderr");
});

for (const bad of ["abc", "", "1e3", "-1", "65536", "80.5", "0x50"]) {
  test(`cli (${runtime}): --port ${JSON.stringify(bad)} is one line on stderr and exit 2`, async () => {
    const r = await runCli([`--port=${bad}`]); // "=": a value starting with "-" is taken as a value
    assert.equal(r.status, 2, `exit status; stderr: ${r.stderr}`);
    assert.deepEqual(lines(r.stderr), [
      `ranged: bad --port ${
        JSON.stringify(bad)
      }: expected a whole number from 0 to 65535 (ranged --help lists the options)`,
    ], "exactly the one error line");
    assert.equal(r.stdout, "", "no usage dump on stdout");
  });
}

test(`cli (${runtime}): an unknown flag and two directories are one line each, exit 2`, async () => {
  for (const args of [["--bogus"], ["a", "b"]]) {
    const r = await runCli(args);
    assert.equal(r.status, 2, `exit status for ${args.join(" ")}; stderr: ${r.stderr}`);
    const got = lines(r.stderr);
    assert.equal(got.length, 1, `one stderr line for ${args.join(" ")}: ${r.stderr}`);
    assert.match(got[0], /^ranged: .*(--bogus|one directory at most).*\(ranged --help lists the options\)$/, got[0]);
  }
});

test(`cli (${runtime}): a port in use is one line on stderr and exit 1, no stack trace`, async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  const { port } = taken.address() as { port: number };
  try {
    const r = await runCli(["--port", String(port), "--hostname", "127.0.0.1"]);
    assert.equal(r.status, 1, `exit status; stderr: ${r.stderr}`);
    assert.deepEqual(lines(r.stderr), [
      `ranged: port ${port} on 127.0.0.1 is already in use: pick another with --port N (--port 0: any free port)`,
    ], "exactly the one error line");
  } finally {
    await new Promise((resolve) => taken.close(resolve));
  }
});

test(`cli (${runtime}): npm start -- --help shows the CLI's usage, not npm's`, async () => {
  const r = await start("npm", ["start", "--silent", "--", "--help"]).finished;
  assert.equal(r.status, 0, `exit status; stderr: ${r.stderr}`);
  assert.match(r.stdout, /^Usage: ranged \[dir\] \[options\]/m, `CLI usage on stdout: ${r.stdout.slice(0, 300)}`);
});

test(`cli (${runtime}): npm start -- --port N serves on port N`, async () => {
  const port = await freePort();
  // detached: npm does not pass SIGTERM on to the script it runs, so the whole group is stopped.
  const { child, finished } = start("npm", ["start", "--silent", "--", "--port", String(port), "--quiet"], true);
  try {
    const line = await waitForLine(child, /serving .* at http:\/\//);
    assert.ok(line.endsWith(` at http://127.0.0.1:${port}/`), `listening on the port asked for: ${line}`);
    const res = await fetch(`http://127.0.0.1:${port}/testsrc-faststart.mp4`, { headers: { range: "bytes=4-7" } });
    assert.equal(res.status, 206, "a range request answers 206");
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), new TextEncoder().encode("ftyp"), "bytes 4-7 of an MP4");
  } finally {
    process.kill(-child.pid!, "SIGTERM");
    await finished;
  }
});
