// Signed URLs end to end: the CLI server of the runtime under test runs with
// --signed (secrets from the environment); Chromium plays a signed MP4 through
// the links the pages mint, seeks and resumes; the same URL with one byte
// changed gets 403, in Chromium and over plain HTTP, HEAD and ranges alike.
/// <reference lib="dom" />
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "./_chromium.ts";
import { eventually, requireBinary, SAMPLES, startServer, type TestServer } from "./_server.ts";
import { signUrl } from "../../src/access/signed_url.ts";

const NEW = "e2e secret: the one that signs now";
const OLD = "e2e secret: rotated out next week";
const NAME = "testsrc-faststart.mp4";
const BYTES = new Uint8Array(readFileSync(SAMPLES + NAME));

let server: TestServer | undefined;
let browser: Browser | undefined;

before(async () => {
  requireBinary("chromium");
  // The CLI reads its secrets from the environment only; the child inherits it.
  process.env.RANGED_URL_SECRETS = `${NEW},${OLD}`;
  server = await startServer(["--signed", "--link-ttl", "600"]);
  delete process.env.RANGED_URL_SECRETS;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const at = (path: string) => new URL(path, server!.url).href;
const sign = (path: string, secret = NEW) => signUrl(path, { secret, expires: Date.now() + 600_000 });

/** One character of the signature changed: what a guessing or tampering client sends. */
function oneByteChanged(url: string): string {
  const i = url.indexOf("sig=") + 4;
  return url.slice(0, i) + (url[i] === "A" ? "B" : "A") + url.slice(i + 1);
}

test("signed: the printed link opens the folder; without a signature, 403 for GET, HEAD and ranges", async () => {
  const line = server!.log.find((l) => l.includes("signed URLs required"));
  const link = line && /(http:\/\/\S+sig=\S+)/.exec(line)?.[1];
  assert.ok(link, `no signed link printed:\n${server!.log.join("\n")}`);
  const index = await fetch(link);
  assert.equal(index.status, 200);
  assert.match(await index.text(), new RegExp(`${NAME.replace(".", "\\.")}\\?viewer=\\w+&amp;exp=`));
  for (const init of [{}, { method: "HEAD" }, { headers: { range: "bytes=0-1" } }]) {
    for (const path of [`/${NAME}`, "/missing.mp4", "/"]) {
      const res = await fetch(at(path), init);
      assert.equal(res.status, 403, `${JSON.stringify(init)} ${path}`);
      assert.equal(await res.text(), init.method === "HEAD" ? "" : "Forbidden");
    }
  }
});

test("signed: the exact bytes for a valid link, signed with either secret; one changed byte → 403", async () => {
  for (const secret of [NEW, OLD]) {
    const url = at(await sign(`/${NAME}`, secret));
    const whole = await fetch(url);
    assert.equal(whole.status, 200);
    assert.deepEqual(new Uint8Array(await whole.arrayBuffer()), BYTES, "whole file");
    const part = await fetch(url, { headers: { range: "bytes=1000-1999" } });
    assert.equal(part.status, 206);
    assert.deepEqual(new Uint8Array(await part.arrayBuffer()), BYTES.slice(1000, 2000), "a range");
    const bad = await fetch(oneByteChanged(url), { headers: { range: "bytes=1000-1999" } });
    assert.equal(bad.status, 403, oneByteChanged(url));
    assert.equal(await bad.text(), "Forbidden");
  }
});

/** Waits until the player's video has `readyState` ≥ `ready` and has played past `time` after any seek. */
async function waitVideo(page: Page, ready: number, time = -1): Promise<void> {
  await page.waitForFunction(
    ([r, t]: number[]) => {
      const v = document.querySelector(".stage video") as HTMLVideoElement | null;
      return !!v && v.readyState >= r && (t < 0 || (!v.seeking && !v.paused && v.currentTime > t));
    },
    [ready, time],
    { timeout: 20_000 },
  );
}

test("signed: Chromium plays a signed MP4 from its signed player page, seeks to 80% and resumes", async () => {
  const page = await browser!.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  try {
    // `player` never changes the bytes: serveDir takes it unsigned.
    await page.goto(at(`${await sign(`/${NAME}`)}&player`));
    await waitVideo(page, 1);
    const video = page.locator(".stage video");
    const src = await video.evaluate((v: HTMLVideoElement) => v.currentSrc);
    assert.match(src, /\?viewer=\w+&exp=\d+&scope=\/testsrc-faststart\.mp4&sig=/, src);
    const duration = await video.evaluate((v: HTMLVideoElement) => v.duration);
    await video.evaluate((v: HTMLVideoElement) => {
      v.muted = true;
      return v.play();
    });
    await waitVideo(page, 1, 0.5);
    await video.evaluate((v: HTMLVideoElement, t: number) => {
      v.currentTime = t;
    }, duration * 0.8);
    await waitVideo(page, 1, duration * 0.8 + 0.4);
    assert.equal(await video.evaluate((v: HTMLVideoElement) => v.error), null);
    await page.waitForSelector(".live.on", { timeout: 10_000 }); // the signed event stream connected
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
  await eventually(() => server!.log.some((l) => l.startsWith(`GET /${NAME}?viewer=`) && / 206 /.test(l)));
  // The access log is written in batches: wait for the line rather than read it at once.
  const sent = () => server!.log.some((l) => l.startsWith(`GET /${NAME}?viewer=`) && / 206 /.test(l));
  assert.ok(await eventually(sent), "206s were sent");
});

test("signed: Chromium gets nothing from the same URL with one byte changed", async () => {
  const page = await browser!.newPage();
  try {
    await page.goto(at(`${await sign(`/${NAME}`)}&player`));
    const src = await page.locator(".stage video").evaluate((v: HTMLVideoElement) => v.currentSrc || v.src);
    const code = await page.evaluate((bad: string) =>
      new Promise<number>((resolve) => {
        const v = document.createElement("video");
        v.muted = true;
        v.onerror = () => resolve(v.error?.code ?? -1);
        v.onloadedmetadata = () => resolve(0);
        v.src = bad;
        document.body.append(v);
      }), oneByteChanged(src));
    assert.equal(code, 4, "MEDIA_ERR_SRC_NOT_SUPPORTED: the server refused the bytes");
  } finally {
    await page.close();
  }
  const refused = () => server!.log.some((l) => l.startsWith(`GET /${NAME}?viewer=`) && / 403/.test(l));
  assert.ok(await eventually(refused), "the server said 403");
});
