#!/usr/bin/env node
// Takes docs/player.png and docs/index.png with Debian's headless Chromium:
// starts the CLI on the samples, plays the moov-at-end sample, seeks around
// so the range map has something to show, and captures the pages.
import { spawn } from "node:child_process";
import { chromium } from "playwright-core";

const port = 8000 + Math.floor(Math.random() * 1000);
const server = spawn("node", ["--import", "tsx", "cli.ts", "--port", String(port), "--quiet", "--throttle", "160k"], {
  stdio: ["ignore", "pipe", "inherit"],
});
await new Promise((resolve) => server.stdout.on("data", (d) => String(d).includes("http://") && resolve()));
const base = `http://127.0.0.1:${port}/`;
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
  await page.screenshot({ path: "docs/player.png", fullPage: true });

  const index = await browser.newPage({ viewport: { width: 1200, height: 720 } });
  await index.goto(base);
  await index.waitForSelector(".live.on");
  await index.locator("article.card video").first().evaluate((v) => ((v.muted = true), v.play()));
  await index.waitForTimeout(1500);
  await index.screenshot({ path: "docs/index.png" });
} finally {
  await browser.close();
  server.kill("SIGTERM");
}
