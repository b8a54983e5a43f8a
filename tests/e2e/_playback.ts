// One playback check for every browser engine, as page source: play a video
// muted, note when it started, seek to 80% and see it play on from there.
// Kept as a string so WebDriver (WebKit) and puppeteer (Firefox) run the same.
import { spawnSync } from "node:child_process";
import assert from "node:assert/strict";

/** What the page reports. */
export interface Playback {
  error: string | null;
  /** From setting `src` to the first 0.2 s played. */
  startedMs: number;
  /** Wall-clock time (Date.now()) when the first 0.2 s had played. */
  startedAt: number;
  duration: number;
  seekTo: number;
  /** Played on at least 0.5 s past the seek target. */
  playedOnAfterSeek: boolean;
}

/** `(src) => Promise<Playback>` as source text, for `(${PLAY_AND_SEEK})(src)` in a page. */
export const PLAY_AND_SEEK = `async (src) => {
  const v = document.createElement("video");
  v.muted = true;
  v.preload = "auto";
  const t0 = performance.now();
  v.src = src;
  document.body.appendChild(v);
  const until = (cond, ms) => new Promise((resolve) => {
    const end = performance.now() + ms;
    const tick = () => cond() ? resolve(true) : performance.now() > end ? resolve(false) : setTimeout(tick, 25);
    tick();
  });
  const out = { error: null, startedMs: -1, startedAt: 0, duration: NaN, seekTo: NaN, playedOnAfterSeek: false };
  v.play().catch((e) => { out.error = String(e); });
  const started = await until(() => v.currentTime > 0.2 || v.error, 60000);
  if (!started || v.error) {
    out.error = out.error ?? ("no playback: error " + (v.error && v.error.code) + ", readyState " + v.readyState);
    return out;
  }
  out.startedMs = Math.round(performance.now() - t0);
  out.startedAt = Date.now();
  out.duration = v.duration;
  out.seekTo = v.duration * 0.8;
  v.currentTime = out.seekTo;
  out.playedOnAfterSeek = await until(() => v.currentTime > out.seekTo + 0.5, 60000);
  v.pause();
  v.removeAttribute("src");
  v.load();
  v.remove();
  return out;
}`;

/**
 * Makes a moov-at-end H.264/AAC MP4 of about 1 MB a second (noise defeats
 * compression; 30 MB by default) with Debian's ffmpeg.
 */
export function makeBigMoovAtEnd(path: string, seconds = 30): void {
  const r = spawnSync("ffmpeg", [
    ...["-hide_banner", "-loglevel", "error", "-y"],
    ...["-f", "lavfi", "-i", `testsrc2=duration=${seconds}:size=640x360:rate=25`],
    ...["-f", "lavfi", "-i", `sine=frequency=440:duration=${seconds}`],
    ...["-vf", "noise=alls=12:allf=t", "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "8M", "-pix_fmt", "yuv420p"],
    ...["-c:a", "aac", "-shortest", path],
  ], { encoding: "utf8" });
  assert.equal(r.status, 0, `ffmpeg: ${r.stderr}`);
}

/**
 * Follows the server's live range map for one viewer (`?viewer=ID` on the
 * media URL) and remembers, over time, how many bytes of each file the server
 * has sent: the server's side of "playback began before most of the file was
 * sent".
 */
export class SentBytes {
  private samples: { at: number; path: string; sent: number }[] = [];
  private readonly abort = new AbortController();
  private readonly done: Promise<void>;

  constructor(serverUrl: string, viewer: string) {
    this.done = this.follow(`${serverUrl}__ranged/events?viewer=${viewer}`).catch(() => {});
  }

  private async follow(url: string): Promise<void> {
    const res = await fetch(url, { signal: this.abort.signal });
    const decoder = new TextDecoder();
    let text = "";
    for await (const chunk of res.body!) {
      text += decoder.decode(chunk, { stream: true });
      const events = text.split("\n\n");
      text = events.pop()!;
      for (const e of events) {
        const data = /^data: (.*)$/m.exec(e)?.[1];
        if (!data) continue;
        for (const f of JSON.parse(data) as { path: string; bytesSent: number }[]) {
          this.samples.push({ at: Date.now(), path: f.path, sent: f.bytesSent });
        }
      }
    }
  }

  /** Bytes of `path` the server had sent by wall-clock time `at` (the last report before it). */
  sentBy(path: string, at: number): number {
    let sent = 0;
    for (const s of this.samples) if (s.path === path && s.at <= at) sent = s.sent;
    return sent;
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}
