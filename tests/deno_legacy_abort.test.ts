// Deno.serve prints "request.signal aborts on successful responses (legacy
// behavior)" once a handler has read `req.signal` and a response completes.
// ranged must not rely on that signal: this runs real Deno servers (the CLI,
// and the README's fromUrl snippet) through what used to trigger it (an event
// stream, a fromUrl request) and fails if the warning reaches stderr.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SAMPLES } from "./e2e/_server.ts";
import { bin, cliCommand, start, waitForLine } from "./helpers/cli.ts";
import { fromUrlSnippet, MOVIE, startOrigin } from "./helpers/doc_snippets.ts";
import { runtime } from "./helpers/server.ts";

const WARNING = /legacy behavior/;

/** Reads a response to its end (so Deno completes it successfully) and returns the bytes. */
const bytes = async (res: Response) => new Uint8Array(await res.arrayBuffer());

test(`deno legacy abort (${runtime}): the CLI's event stream and file responses print no warning`, async () => {
  const [cmd, args] = cliCommand([SAMPLES, "--port", "0", "--quiet"], "deno");
  const { child, finished } = start(cmd, args);
  let stopped = false; // a second SIGTERM makes the CLI exit at once (130)
  try {
    const base = (await waitForLine(child, / at http:\/\//)).replace(/^.* at /, "");
    const viewer = "legacytest01";
    // The event stream: read its first event, then leave (the client side of a closed tab).
    const leave = new AbortController();
    const events = await fetch(`${base}__ranged/events?viewer=${viewer}`, { signal: leave.signal });
    assert.equal(events.status, 200, "the event stream answers");
    const first = await events.body!.getReader().read();
    assert.match(new TextDecoder().decode(first.value), /event: ranges/, "the first event arrives");
    leave.abort();
    // A second stream stays open until shutdown ends it: the path that completes it successfully.
    const open = await fetch(`${base}__ranged/events?viewer=${viewer}`);
    const reader = open.body!.getReader();
    await reader.read();
    // Tracked file responses, whole and ranged, read to the end.
    const file = await bytes(await fetch(`${base}testsrc-faststart.mp4?viewer=${viewer}`));
    assert.ok(file.length > 100_000, `the sample arrives whole (${file.length} bytes)`);
    const part = await fetch(`${base}testsrc-faststart.mp4?viewer=${viewer}`, { headers: { range: "bytes=4-7" } });
    assert.deepEqual(await bytes(part), new TextEncoder().encode("ftyp"), "a range of the sample");
    await bytes(await fetch(base)); // the index page
    process.kill(child.pid!, "SIGTERM");
    stopped = true;
    while (!(await reader.read()).done); // shutdown ends the open stream
  } finally {
    if (!stopped) process.kill(child.pid!, "SIGTERM");
  }
  const { status, stderr } = await finished;
  assert.doesNotMatch(stderr, WARNING, `Deno's legacy request.signal warning on stderr:\n${stderr}`);
  assert.equal(status, 0, `the CLI exits 0 on SIGTERM; stderr: ${stderr}`);
});

test(`deno legacy abort (${runtime}): the README fromUrl snippet prints no warning`, async () => {
  const origin = await startOrigin();
  const path = fromUrlSnippet(
    origin.url,
    `Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: ({ port }) => console.log("listening " + port) }, `,
  );
  const { child, finished } = start(bin("deno"), ["run", "-A", path]);
  try {
    const port = (await waitForLine(child, /^listening \d+/)).split(" ")[1];
    const base = `http://127.0.0.1:${port}`;
    assert.deepEqual(await bytes(await fetch(`${base}/movie.mp4`)), MOVIE, "the whole object through fromUrl");
    const part = await fetch(`${base}/movie.mp4`, { headers: { range: "bytes=10-19" } });
    assert.deepEqual(await bytes(part), MOVIE.slice(10, 20), "a range through fromUrl");
    const missing = await fetch(`${base}/missing.mp4`);
    await bytes(missing);
    assert.equal(missing.status, 404, "a missing object is 404");
  } finally {
    process.kill(child.pid!, "SIGTERM");
    await origin.close();
  }
  const { stderr } = await finished;
  assert.doesNotMatch(stderr, WARNING, `Deno's legacy request.signal warning on stderr:\n${stderr}`);
});
