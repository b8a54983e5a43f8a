// Chromium (Debian's, driven by playwright-core) plays both samples from the
// CLI server of the runtime under test, seeks to 80% and resumes, and the
// server answered with 206s that the page's live range map shows.
/// <reference lib="dom" />
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "./_chromium.ts";
import { eventually, requireBinary, SAMPLES, startServer, type TestServer } from "./_server.ts";

let server: TestServer | undefined;
let fastServer: TestServer | undefined;
let browser: Browser | undefined;

before(async () => {
  requireBinary("chromium");
  // 1 MiB/s per response, as on a real network: the moov-at-end sample then
  // cannot arrive in one loopback burst, and Chromium has to fetch the end.
  // --no-faststart: these tests watch Chromium seek through files as they are on disk.
  server = await startServer(["--throttle", "1m", "--no-faststart"]);
  // The default: moov-at-end MP4s are rewritten to faststart layout on the fly.
  fastServer = await startServer(["--throttle", "1m"]);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await fastServer?.stop();
});

test("browser: chromium is installed", () => requireBinary("chromium"));

test("browser: the index page lists both samples with a player each", async () => {
  const page = await browser!.newPage();
  try {
    await page.goto(server!.url);
    assert.equal(await page.locator("article.card video").count(), 2);
    await page.waitForSelector(".live.on", { timeout: 10_000 }); // the event stream connected
    const names = await page.locator("article.card .name").allTextContents();
    assert.deepEqual(names, ["testsrc-faststart.mp4", "testsrc-moov-at-end.mp4"]);
  } finally {
    await page.close();
  }
});

async function playAndSeek(page: Page, name: string, on: TestServer = server!) {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${on.url}${name}?player`);
  const video = page.locator(".stage video");
  await page.waitForFunction(() => (document.querySelector(".stage video") as HTMLVideoElement).readyState >= 1, null, {
    timeout: 20_000,
  });
  const duration = await video.evaluate((v: HTMLVideoElement) => v.duration);
  assert.ok(duration > 9 && duration < 11, `duration ${duration}`);
  await video.evaluate((v: HTMLVideoElement) => {
    v.muted = true;
    return v.play();
  });
  await page.waitForFunction(
    () => (document.querySelector(".stage video") as HTMLVideoElement).currentTime > 0.5,
    null,
    {
      timeout: 20_000,
    },
  );
  const target = duration * 0.8;
  await video.evaluate((v: HTMLVideoElement, t: number) => {
    v.currentTime = t;
  }, target);
  // Playback resumes after the seek: time advances past the target.
  await page.waitForFunction(
    (t: number) => {
      const v = document.querySelector(".stage video") as HTMLVideoElement;
      return !v.seeking && !v.paused && v.currentTime > t + 0.4;
    },
    target,
    { timeout: 20_000 },
  );
  assert.equal(await video.evaluate((v: HTMLVideoElement) => v.error), null);
  // The live map received the 206s from the server over SSE.
  await page.waitForFunction(
    () => Number((document.querySelector(".panel") as HTMLElement).dataset.covered) > 0,
    null,
    {
      timeout: 10_000,
    },
  );
  const statuses = await page.locator(".panel").evaluate((el: HTMLElement) => el.dataset.statuses ?? "");
  assert.ok(statuses.split(",").includes("206"), `map statuses: ${statuses}`);
  assert.deepEqual(errors, []);
}

for (const name of ["testsrc-faststart.mp4", "testsrc-moov-at-end.mp4"]) {
  test(`browser: ${name} plays, seeks to 80% and resumes; the server sent 206s`, async () => {
    const page = await browser!.newPage();
    try {
      await playAndSeek(page, name);
    } finally {
      await page.close();
    }
    await eventually(() => server!.log.some((l) => l.startsWith(`GET /${name}?viewer=`) && / 206 /.test(l)));
    const sent = server!.log.filter((l) => l.startsWith(`GET /${name}?viewer=`) && / 206 /.test(l));
    assert.ok(sent.length > 0, `no 206 for ${name} in:\n${server!.log.join("\n")}`);
    if (name.includes("moov-at-end")) {
      // The index sits at the end: the browser must have asked for a range near the end.
      const size = statSync(SAMPLES + name).size;
      const starts = sent.map((l) => Number(/content-range=bytes (\d+)-/.exec(l)?.[1]));
      assert.ok(starts.some((s) => s > size * 0.9), `no request near the end: ${starts}`);
    }
  });
}

test("browser: by default the moov-at-end sample is served in faststart layout and plays without fetching its end", async () => {
  const name = "testsrc-moov-at-end.mp4";
  const page = await browser!.newPage();
  try {
    await playAndSeek(page, name, fastServer!);
    assert.match(await page.locator(".chips").first().innerText(), /faststart on the fly/);
  } finally {
    await page.close();
  }
  await eventually(() => fastServer!.log.some((l) => l.startsWith(`GET /${name}?viewer=`) && / 206 /.test(l)));
  const size = statSync(SAMPLES + name).size;
  const requests = fastServer!.log.filter((l) => l.startsWith(`GET /${name}?viewer=`));
  // Nothing was asked from the last tenth, where moov sat on disk (the seek goes to 80%).
  const starts = requests.map((l) => Number(/content-range=bytes (\d+)-/.exec(l)?.[1] ?? 0));
  assert.ok(starts.every((s) => s < size * 0.9), `a request near the end: ${requests.join("\n")}`);
});

test("browser: the server shuts down cleanly on SIGTERM", async () => {
  await browser?.close();
  browser = undefined;
  const code = await server!.stop();
  assert.equal(code, 0, `exit code ${code}:\n${server!.log.slice(-5).join("\n")}`);
});
