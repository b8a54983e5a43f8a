// Firefox ESR (headless, over WebDriver BiDi) runs the playback suite
// (_play_suite.ts): both samples and a 30 MB moov-at-end MP4 from the paced
// CLI server of the runtime under test, seek to 80%, play on; playback of the
// big file begins before most of it was sent. Firefox decodes H.264/AAC with
// the system's libavcodec, loaded at run time: without it canPlayType answers
// "" for avc1 (checked with media.ffmpeg.enabled=false) and no sample plays.
/// <reference lib="dom" />
import { FIREFOX, launchFirefox } from "./_firefox.ts";
import { PLAY_AND_SEEK, type Playback } from "./_playback.ts";
import { playAndSeekSuite } from "./_play_suite.ts";

// Debian's firefox-esr only Recommends libavcodec (any of 53-63; bookworm has 59), so name it.
const PACKAGES = "firefox-esr libavcodec59";

playAndSeekSuite({
  name: "firefox",
  binaries: [FIREFOX, "/usr/lib/x86_64-linux-gnu/libavcodec.so.59"],
  packages: PACKAGES,
  async launch() {
    const firefox = await launchFirefox();
    // Fail with the reason and the package rather than with three "no playback" errors.
    const h264 = await firefox.page.evaluate(() =>
      document.createElement("video").canPlayType('video/mp4; codecs="avc1.42E01E, mp4a.40.2"')
    );
    if (h264 !== "probably") {
      await firefox.close();
      throw new Error(`firefox-esr cannot decode H.264/AAC (canPlayType "${h264}"): apt-get install -y ${PACKAGES}`);
    }
    return {
      play: (src) => firefox.page.evaluate(`(${PLAY_AND_SEEK})(${JSON.stringify(src)})`) as Promise<Playback>,
      close: () => firefox.close(),
    };
  },
});
