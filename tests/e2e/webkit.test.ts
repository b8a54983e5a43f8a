// WebKitGTK, the engine of Safari, runs the playback suite (_play_suite.ts):
// both samples and a 30 MB moov-at-end MP4 from the paced CLI server of the
// runtime under test, seek to 80%, play on. Playback of the big file must
// begin before most of it was sent, which needs an exact Content-Length on
// the first plain GET (without one WebKit downloads the whole file first).
import { launchWebKit, MINIBROWSER } from "./_webkit.ts";
import { PLAY_AND_SEEK, type Playback } from "./_playback.ts";
import { playAndSeekSuite } from "./_play_suite.ts";

playAndSeekSuite({
  name: "webkit",
  binaries: ["WebKitWebDriver", "Xvfb", MINIBROWSER],
  packages: "webkit2gtk-driver xvfb gstreamer1.0-libav gstreamer1.0-plugins-good gstreamer1.0-plugins-bad",
  async launch() {
    const webkit = await launchWebKit();
    await webkit.goto("about:blank");
    return {
      play: (src) =>
        webkit.executeAsync<Playback>(`(${PLAY_AND_SEEK})(arguments[0]).then(arguments[arguments.length - 1])`, [src]),
      close: () => webkit.close(),
    };
  },
});
