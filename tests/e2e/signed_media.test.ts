// Signed clips, signed HLS and the player page's controls end to end: the
// CLI server of the runtime under test runs with --signed (secrets from the
// environment) over a folder holding an MP4 and its WebVTT sidecar. Chromium
// plays a signed clip to its end, a signed HLS master natively and through
// hls.js (subtitles included), uses the player page's "link from here" and
// HLS switch; the same URLs with one byte changed, a widened clip and a
// segment without its token get 403. The player page's controls are checked
// on an unsigned server too.
/// <reference lib="dom" />
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchChromium } from "./_chromium.ts";
import { eventually, requireBinary, SAMPLES, startServer, type TestServer } from "./_server.ts";
import { signUrl } from "../../src/access/signed_url.ts";

const SECRET = "e2e secret for signed clips and HLS";
const DIR = mkdtempSync(join(tmpdir(), "ranged-signed-media-"));
copyFileSync(join(SAMPLES, "testsrc-faststart.mp4"), join(DIR, "movie.mp4"));
const VTT = "WEBVTT\n\n00:00:00.200 --> 00:00:09.800\nhello from a sidecar\n";
writeFileSync(join(DIR, "movie.en.vtt"), VTT);
// The sample: 10 s, 25 fps, a keyframe every 2 s; HLS cuts it into 6 s + 4 s.
const SECONDS = 10;
const FRAME = 0.04;
const HLS_JS = readFileSync(new URL("../../node_modules/hls.js/dist/hls.min.js", import.meta.url), "utf8");

let signed: TestServer | undefined;
let plain: TestServer | undefined;
let browser: Browser | undefined;
// The player page's CSP allows media from 'self' only; hls.js plays from blob: (MSE) URLs.
let context: BrowserContext | undefined;

before(async () => {
  requireBinary("chromium");
  process.env.RANGED_URL_SECRETS = SECRET;
  try {
    signed = await startServer(["--signed"], DIR);
  } finally {
    delete process.env.RANGED_URL_SECRETS;
  }
  plain = await startServer([], DIR);
  browser = await launchChromium();
  context = await browser.newContext({ bypassCSP: true });
});

after(async () => {
  await context?.close();
  await browser?.close();
  await signed?.stop();
  await plain?.stop();
  rmSync(DIR, { recursive: true, force: true });
});

const at = (path: string, server = signed!) => new URL(path, server.url).href;
const sign = (path: string, params?: Record<string, number>) =>
  signUrl(path, { secret: SECRET, expires: Date.now() + 600_000, params });

/** One character of the signature changed: what a guessing or tampering client sends. */
function oneByteChanged(url: string): string {
  const i = url.indexOf("sig=") + 4;
  return url.slice(0, i) + (url[i] === "A" ? "B" : "A") + url.slice(i + 1);
}

/** A page of the signed server's origin (its player page) to run media elements in. */
async function pageAt(url: string): Promise<Page> {
  const page = await context!.newPage();
  await page.goto(url);
  return page;
}

/**
 * `(src) => Promise<{ error, duration, ended }>` as source text: what a fresh muted `<video>` does with
 * `src`, played to its end or failed with a media error code. A string, so no transpiler helper (tsx's
 * `__name`) leaks into the page.
 */
const PLAY_TO_END = `(src) => new Promise((resolve) => {
  const v = document.createElement("video");
  v.muted = true;
  const done = () => resolve({ error: v.error ? v.error.code : null, duration: v.duration, ended: v.ended });
  const timer = setTimeout(done, 30000);
  v.onerror = () => { clearTimeout(timer); done(); };
  v.onended = () => { clearTimeout(timer); done(); };
  v.src = src;
  document.body.append(v);
  v.play().catch(() => {});
})`;

function playToEnd(page: Page, src: string): Promise<{ error: number | null; duration: number; ended: boolean }> {
  return page.evaluate(`(${PLAY_TO_END})(${JSON.stringify(src)})`);
}

describe("signed clip", () => {
  test("Chromium plays a signed clip to its end; start and end are covered by the signature", async () => {
    const clip = at(await sign("/movie.mp4", { start: 4.5, end: 8 }));
    const head = await fetch(clip, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("x-content-start"), "4.000", "from the keyframe at or before 4.5 s");
    const page = await pageAt(at(`${await sign("/movie.mp4")}&player`));
    try {
      const played = await playToEnd(page, clip);
      assert.equal(played.error, null);
      assert.ok(played.ended, `played to its end: ${JSON.stringify(played)}`);
      assert.ok(Math.abs(played.duration - 4) <= 2 * FRAME, `end − K = 4 s: ${played.duration}`);
      for (
        const bad of [
          clip.replace("end=8", "end=9"),
          clip.replace("start=4.5", "start=0"),
          clip.replace("&end=8", ""),
          oneByteChanged(clip),
        ]
      ) {
        const res = await fetch(bad, { headers: { range: "bytes=0-99" } });
        assert.equal(res.status, 403, bad);
        assert.equal(await res.text(), "Forbidden");
        const refused = await playToEnd(page, bad);
        assert.equal(refused.error, 4, `Chromium gets no media from ${bad}`);
      }
    } finally {
      await page.close();
    }
  });
});

/** A signed link to the master alone: the playlists carry a token scoped to the movie's mount point. */
async function signedMaster(): Promise<string> {
  return at(await sign("/movie.mp4/master.m3u8"));
}

/** Loads `src` natively or through hls.js into a `<video>` of the page and waits until it can play. */
async function openHls(page: Page, src: string, via: "native" | "hls.js"): Promise<void> {
  if (via === "hls.js") await page.evaluate(HLS_JS);
  await page.evaluate(({ src, via }) => {
    const video = document.createElement("video");
    video.id = "hls-video";
    video.muted = true;
    document.body.append(video);
    // deno-lint-ignore no-explicit-any
    const w = window as any;
    w.fatal = null;
    if (via === "native") video.src = src;
    else {
      const hls = new w.Hls({ enableWorker: false });
      w.hls = hls;
      hls.on(w.Hls.Events.ERROR, (_: unknown, d: { fatal: boolean; details: string }) => {
        if (d.fatal) w.fatal = d.details;
      });
      hls.loadSource(src);
      hls.attachMedia(video);
    }
    video.play().catch(() => {});
  }, { src, via });
  await page.waitForFunction(
    () => (document.getElementById("hls-video") as HTMLVideoElement).readyState >= 3,
    null,
    { timeout: 30_000 },
  );
}

/** Seeks into the first segment's last second and plays on into the second segment. */
async function playAcrossBoundary(page: Page): Promise<void> {
  const state = () =>
    page.evaluate(() => {
      const v = document.getElementById("hls-video") as HTMLVideoElement;
      // deno-lint-ignore no-explicit-any
      return { t: v.currentTime, duration: v.duration, error: v.error?.code ?? null, fatal: (window as any).fatal };
    });
  const { duration } = await state();
  assert.ok(Math.abs(duration - SECONDS) <= 2 * FRAME, `duration ${duration}`);
  await page.evaluate(() => {
    const v = document.getElementById("hls-video") as HTMLVideoElement;
    v.currentTime = 5.2;
    v.play().catch(() => {});
  });
  await page.waitForFunction(
    () => (document.getElementById("hls-video") as HTMLVideoElement).currentTime > 6.5,
    null,
    { timeout: 30_000 },
  ).catch(async (err) => assert.fail(`did not play across 6 s: ${JSON.stringify(await state())}; ${err}`));
  const end = await state();
  assert.deepEqual({ error: end.error, fatal: end.fatal }, { error: null, fatal: null });
}

/** The access-log lines of requests under the movie's mount point since `from`. */
const mountLines = (from: number) => signed!.log.slice(from).filter((l) => / \/movie\.mp4\/\S+ /.test(l));

describe("signed HLS", () => {
  for (const via of ["native", "hls.js"] as const) {
    test(`Chromium plays a signed master (${via}) across a segment boundary; every child carries the token`, async () => {
      const page = await pageAt(at(`${await sign("/movie.mp4")}&player`));
      const from = signed!.log.length;
      try {
        if (via === "native") {
          const can = await page.evaluate(() =>
            document.createElement("video").canPlayType("application/vnd.apple.mpegurl")
          );
          assert.notEqual(can, "", "Chromium plays HLS natively");
        }
        await openHls(page, await signedMaster(), via);
        await playAcrossBoundary(page);
      } finally {
        await page.close();
      }
      const seg1 = /\/seg-1\.m4s\?exp=\d+&scope=\/movie\.mp4&sig=\S+ 20[06]/;
      await eventually(() => mountLines(from).some((l) => seg1.test(l))); // the log is written in batches
      const lines = mountLines(from);
      assert.ok(lines.some((l) => seg1.test(l)), lines.join("\n"));
      assert.deepEqual(lines.filter((l) => / 403/.test(l)), [], "nothing refused");
    });
  }

  test("hls.js shows the sidecar subtitles, reached with their own token", async () => {
    const page = await pageAt(at(`${await sign("/movie.mp4")}&player`));
    try {
      await openHls(page, await signedMaster(), "hls.js");
      await page.evaluate(() => {
        (window as unknown as { hls: { subtitleTrack: number } }).hls.subtitleTrack = 0;
      });
      await page.waitForFunction(
        () =>
          [...(document.getElementById("hls-video") as HTMLVideoElement).textTracks].some((t) =>
            t.language === "en" && [...(t.cues ?? [])].some((c) => (c as VTTCue).text.includes("sidecar"))
          ),
        null,
        { timeout: 30_000 },
      );
    } finally {
      await page.close();
    }
    // The access log is written in batches: wait for the line rather than read it at once.
    const vtt = /^GET \/movie\.en\.vtt\?exp=\d+&scope=\/movie\.en\.vtt&sig=\S+ 200/;
    assert.ok(
      await eventually(() => signed!.log.some((l) => vtt.test(l))),
      "the subtitles were fetched with their token",
    );
  });

  test("the master with one byte changed and a segment without its token are refused", async () => {
    const master = await signedMaster();
    const bad = await fetch(oneByteChanged(master));
    assert.equal(bad.status, 403);
    assert.equal(await bad.text(), "Forbidden");
    const media = new URL(
      (await (await fetch(master)).text()).split("\n").find((l) => l.startsWith("media.m3u8"))!,
      master,
    );
    const segment = new URL(
      (await (await fetch(media)).text()).split("\n").find((l) => l.startsWith("seg-1.m4s"))!,
      media,
    );
    const good = await fetch(segment);
    assert.equal(good.status, 200, segment.href);
    assert.ok((await good.arrayBuffer()).byteLength > 1000);
    for (const url of [segment.origin + segment.pathname, oneByteChanged(segment.href)]) {
      const res = await fetch(url, { headers: { range: "bytes=0-" } });
      assert.equal(res.status, 403, url);
      assert.equal(await res.text(), "Forbidden");
    }
  });
});

/** The stage video of a player page. */
const stage = (page: Page) => page.locator(".stage video");

/** Plays the player page's video to about `t` seconds, then pauses it there. */
async function playToAbout(page: Page, t: number): Promise<number> {
  await stage(page).evaluate((v: HTMLVideoElement, t: number) => {
    v.muted = true;
    v.currentTime = t;
    return v.play();
  }, t);
  await page.waitForFunction(
    (t) => {
      const v = document.querySelector(".stage video") as HTMLVideoElement;
      return !v.seeking && v.currentTime > t + 0.1;
    },
    t,
    { timeout: 20_000 },
  );
  return await stage(page).evaluate((v: HTMLVideoElement) => {
    v.pause();
    return v.currentTime;
  });
}

/** Seeks the paused player page's video to `t` seconds and waits until it shows that frame. */
async function seekPaused(page: Page, t: number): Promise<number> {
  await page.waitForFunction(() => (document.querySelector(".stage video") as HTMLVideoElement).readyState >= 1, null, {
    timeout: 20_000,
  });
  await stage(page).evaluate((v: HTMLVideoElement, t: number) => {
    v.pause();
    v.currentTime = t;
  }, t);
  await page.waitForFunction(
    () => {
      const v = document.querySelector(".stage video") as HTMLVideoElement;
      return !v.seeking && v.readyState >= 2;
    },
    null,
    { timeout: 20_000 },
  );
  return await stage(page).evaluate((v: HTMLVideoElement) => v.currentTime);
}

for (const mode of ["signed", "unsigned"] as const) {
  describe(`player page (${mode})`, () => {
    const server = () => (mode === "signed" ? signed! : plain!);
    const playerUrl = async () =>
      at(mode === "signed" ? `${await sign("/movie.mp4")}&player` : "/movie.mp4?player", server());

    test("link from here: the URL of a clip from the current time, which plays from there", async () => {
      const page = await pageAt(await playerUrl());
      try {
        // Paused, so the time the control reads is the time the test knows (playing, it drifts on a busy machine).
        const now = await seekPaused(page, 4.3);
        assert.ok(Math.abs(now - 4.3) < 0.001, `sought to ${now}`);
        await page.locator("[data-clip-link]").click();
        const link = page.locator("[data-clip-url]");
        await link.waitFor({ state: "visible", timeout: 10_000 });
        const href = (await link.getAttribute("href"))!;
        assert.equal(await link.textContent(), href, "the link is shown as text too");
        const url = new URL(href);
        assert.equal(url.origin + url.pathname, at("/movie.mp4", server()));
        assert.equal(url.searchParams.get("start"), (Math.floor(now * 1000) / 1000).toFixed(3), `${now} s`);
        if (mode === "signed") {
          assert.match(url.search, /^\?start=[\d.]+&exp=\d+&sig=[\w-]{43}$/, "a token that covers the start");
        } else assert.equal(url.search, `?start=${url.searchParams.get("start")}`);
        const head = await fetch(href, { method: "HEAD" });
        assert.equal(head.status, 200);
        assert.equal(head.headers.get("x-content-start"), "4.000", "the clip starts at the keyframe before");
        const played = await playToEnd(page, href);
        assert.equal(played.error, null);
        assert.ok(Math.abs(played.duration - (SECONDS - 4)) <= 2 * FRAME, `plays from 4 s: ${played.duration}`);
        if (mode === "signed") {
          const widened = href.replace(/start=[\d.]+/, "start=0");
          assert.equal((await fetch(widened)).status, 403, widened);
        }
      } finally {
        await page.close();
      }
    });

    test("the subtitles track loads; the HLS switch plays the master natively from the same time", async () => {
      const page = await pageAt(await playerUrl());
      try {
        await page.waitForFunction(
          () => {
            const t = (document.querySelector(".stage video") as HTMLVideoElement).textTracks[0];
            return !!t && [...(t.cues ?? [])].some((c) => (c as VTTCue).text.includes("sidecar"));
          },
          null,
          { timeout: 20_000 },
        );
        const now = await playToAbout(page, 3);
        const button = page.locator("[data-hls-play]");
        await button.waitFor({ state: "visible", timeout: 10_000 });
        await button.click();
        await page.waitForFunction(
          (t) => {
            const v = document.querySelector(".stage video") as HTMLVideoElement;
            return v.currentSrc.includes("/movie.mp4/master.m3u8") && v.readyState >= 2 && v.currentTime >= t - 0.1;
          },
          now,
          { timeout: 20_000 },
        );
        const src = await stage(page).evaluate((v: HTMLVideoElement) => v.currentSrc);
        if (mode === "signed") assert.match(src, /master\.m3u8\?exp=\d+&scope=\/movie\.mp4&sig=/, src);
        assert.equal(await button.textContent(), "Play the file");
        await stage(page).evaluate((v: HTMLVideoElement) => v.play());
        await page.waitForFunction(
          (t) => (document.querySelector(".stage video") as HTMLVideoElement).currentTime > t + 1,
          now,
          { timeout: 20_000 },
        );
        assert.equal(await stage(page).evaluate((v: HTMLVideoElement) => v.error), null);
      } finally {
        await page.close();
      }
    });
  });
}
