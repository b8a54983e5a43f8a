#!/usr/bin/env node
// Takes the docs' screenshots with Debian's headless Chromium: starts the CLI
// on the samples, plays the moov-at-end sample and seeks around so the range
// map has something to show, and captures the pages.
//   docs/player.png               the default: that file served in faststart layout on the fly
//   docs/player-no-faststart.png  the same with --no-faststart: the browser fetches the end first
//   docs/index.png                the index page
import { spawn } from "node:child_process";
import { chromium } from "playwright-core";

/** Starts the CLI on the samples with `extra` flags; resolves with its base URL and a stop function. */
async function startCli(extra) {
  const port = 8000 + Math.floor(Math.random() * 1000);
  const server = spawn(
    "node",
    ["--import", "tsx", "cli.ts", "--port", String(port), "--quiet", "--throttle", "160k", ...extra],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  await new Promise((resolve) => server.stdout.on("data", (d) => String(d).includes("http://") && resolve()));
  return { base: `http://127.0.0.1:${port}/`, stop: () => server.kill("SIGTERM") };
}

/** Plays the moov-at-end sample's player page, seeks twice, pauses and captures it to `path`. */
async function shootPlayer(browser, base, path) {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1160 }, deviceScaleFactor: 1 });
  await page.goto(`${base}testsrc-moov-at-end.mp4?player`);
  const video = page.locator(".stage video");
  await page.waitForFunction(() => document.querySelector(".stage video").readyState >= 1);
  await video.evaluate((v) => ((v.muted = true), v.play()));
  await page.waitForTimeout(1200);
  for (const t of [6.2, 2.5]) {
    await video.evaluate((v, t) => (v.currentTime = t), t);
    await page.waitForTimeout(900);
  }
  await video.evaluate((v) => v.pause());
  await page.waitForTimeout(400);
  await page.screenshot({ path, fullPage: true });
  await page.close();
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
  ],
});
try {
  const byDefault = await startCli([]);
  try {
    await shootPlayer(browser, byDefault.base, "docs/player.png");
    const index = await browser.newPage({ viewport: { width: 1200, height: 720 } });
    await index.goto(byDefault.base);
    await index.waitForSelector(".live.on");
    await index.locator("article.card video").first().evaluate((v) => ((v.muted = true), v.play()));
    await index.waitForTimeout(1500);
    await index.screenshot({ path: "docs/index.png" });
  } finally {
    byDefault.stop();
  }
  const before = await startCli(["--no-faststart"]);
  try {
    await shootPlayer(browser, before.base, "docs/player-no-faststart.png");
  } finally {
    before.stop();
  }
} finally {
  await browser.close();
}
