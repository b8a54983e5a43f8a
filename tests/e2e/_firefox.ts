// Debian's Firefox ESR, headless, driven over WebDriver BiDi by
// puppeteer-core (24.x: the last line that runs on Node 20). H.264/AAC
// playback goes through the system's libavcodec, which Firefox loads at run
// time (Debian's firefox-esr only recommends it).
import puppeteer, { type Browser, type Page } from "puppeteer-core";

export const FIREFOX = "/usr/bin/firefox-esr";

/** A headless Firefox with one page open on about:blank. */
export interface Firefox {
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/** Launches headless Firefox ESR; never downloads a browser. */
export async function launchFirefox(): Promise<Firefox> {
  const browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: FIREFOX,
    headless: true,
    protocol: "webDriverBiDi",
    timeout: 60_000,
    protocolTimeout: 120_000,
    extraPrefsFirefox: {
      // Autoplay of muted media is allowed by default; allow all, as Chromium's flag does.
      "media.autoplay.default": 0,
      // No updates, telemetry or remote settings: the sandbox has only loopback.
      "app.update.enabled": false,
      "network.captive-portal-service.enabled": false,
    },
  });
  try {
    const page = (await browser.pages())[0] ?? await browser.newPage();
    return {
      browser,
      page,
      close: async () => {
        // browser.close() waits for Firefox to quit; a stuck one is killed.
        const proc = browser.process();
        const timer = setTimeout(() => proc?.kill("SIGKILL"), 10_000);
        await browser.close().catch(() => proc?.kill("SIGKILL"));
        clearTimeout(timer);
      },
    };
  } catch (err) {
    browser.process()?.kill("SIGKILL");
    throw err;
  }
}
