/**
 * A static DASH manifest (ISO/IEC 23009-1, live profile with
 * SegmentTemplate + SegmentTimeline) over the same packaging as HLS. DASH
 * players (dash.js) refuse multiplexed representations, so each track gets
 * its own init and segments (`init-ID.mp4`, `seg-ID-N.m4s`), cut at the
 * same times as the HLS segments. Pure: a package in, XML text out.
 *
 * @module
 */

import { dashCodec } from "./codecs.ts";
import { segmentSize } from "./media_segment.ts";
import { type HlsPackage, peakBitRate, type Rendition } from "./package.ts";
import { decodeShift, type HlsTrack } from "./track.ts";

/** Where the per-track resources of a rendition are, relative to the manifest. */
export interface DashUris {
  /** Init segment of track `id`. */
  readonly init: (rendition: number, id: number) => string;
  /** Segment template of track `id`, with `$Number$` in it. */
  readonly media: (rendition: number, id: number) => string;
}

/**
 * The MPD for `pkg`: one video AdaptationSet with a Representation per
 * rendition, and the first rendition's audio tracks, one AdaptationSet each.
 *
 * @example
 * ```ts ignore
 * dashManifest(pkg, { init: (r, id) => `init-${id}.mp4`, media: (r, id) => `seg-${id}-$Number$.m4s` });
 * ```
 */
export function dashManifest(pkg: HlsPackage, uris: DashUris): string {
  const duration = pkg.times[pkg.times.length - 1] - pkg.times[0];
  const sets: string[] = [];
  const video = pkg.renditions.flatMap((r, i) =>
    r.tracks.filter((t) => t.handler === "vide").slice(0, 1).map((t) => representation(pkg, r, i, t, uris))
  );
  if (video.length > 0) {
    sets.push(
      `  <AdaptationSet id="${sets.length}" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="${
        startWithSap(pkg)
      }">\n${video.join("\n")}\n  </AdaptationSet>`,
    );
  }
  const first = pkg.renditions[0];
  for (const t of first.tracks.filter((t) => t.handler === "soun")) {
    sets.push(
      `  <AdaptationSet id="${sets.length}" contentType="audio" mimeType="audio/mp4" lang="${
        xml(t.language)
      }" segmentAlignment="true">\n${representation(pkg, first, 0, t, uris)}\n  </AdaptationSet>`,
    );
  }
  return [
    `<?xml version="1.0" encoding="utf-8"?>`,
    `<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="static" mediaPresentationDuration="${
      isoDuration(duration)
    }" minBufferTime="PT2S">`,
    ` <Period id="0" start="PT0S">`,
    ...sets,
    ` </Period>`,
    `</MPD>`,
    "",
  ].join("\n");
}

function representation(pkg: HlsPackage, r: Rendition, ri: number, t: HlsTrack, uris: DashUris): string {
  const k = r.tracks.indexOf(t);
  const starts = r.starts[k];
  const shift = decodeShift(t, r.movieTimescale);
  const n = starts.length - 1;
  const sizes: number[] = [];
  const durations: number[] = [];
  for (let s = 0; s < n; s++) {
    sizes.push(segmentSize([{ track: t, from: starts[s], to: starts[s + 1] }]));
    durations.push(t.dts(starts[s + 1]) - t.dts(starts[s]));
  }
  const attrs = [
    `id="${ri}-${t.id}"`,
    `bandwidth="${Math.ceil(peakBitRate(sizes, pkg.durations, pkg.target))}"`,
    `codecs="${xml(dashCodec(r.codecs[k]))}"`,
  ];
  if (t.handler === "vide") {
    attrs.push(`width="${t.width}"`, `height="${t.height}"`);
    if (r.frameRate) attrs.push(`frameRate="${frameRate(r.frameRate)}"`);
  } else {
    attrs.push(`audioSamplingRate="${t.timescale}"`);
  }
  const timeline = runs(durations).map(({ d, r: repeat }, i) =>
    `<S${i === 0 ? ` t="${t.dts(starts[0]) + shift}"` : ""} d="${d}"${repeat > 0 ? ` r="${repeat}"` : ""}/>`
  ).join("");
  return `   <Representation ${attrs.join(" ")}>
    <SegmentTemplate timescale="${t.timescale}" initialization="${xml(uris.init(ri, t.id))}" media="${
    xml(uris.media(ri, t.id))
  }" startNumber="0">
     <SegmentTimeline>${timeline}</SegmentTimeline>
    </SegmentTemplate>
   </Representation>`;
}

/**
 * The SAP type every video segment starts with, at most: 1 for H.264 IDR and
 * AV1 key frames; 3 for HEVC, whose CRA pictures may be followed by RASL
 * pictures shown before them (open GOPs, x265's default).
 */
function startWithSap(pkg: HlsPackage): number {
  const hevc = pkg.renditions.some((r) => r.codecs.some((c) => c.startsWith("hvc1") || c.startsWith("hev1")));
  return hevc ? 3 : 1;
}

/** Equal consecutive durations folded into `r` repeats, as SegmentTimeline writes them. */
function runs(durations: readonly number[]): { d: number; r: number }[] {
  const out: { d: number; r: number }[] = [];
  for (const d of durations) {
    const last = out[out.length - 1];
    if (last && last.d === d) last.r++;
    else out.push({ d, r: 0 });
  }
  return out;
}

/** `PT13.000S`. */
function isoDuration(seconds: number): string {
  return `PT${seconds.toFixed(3)}S`;
}

/** An integer frame rate as is, else a fraction over 1000. */
function frameRate(fps: number): string {
  const rounded = Math.round(fps * 1000);
  return rounded % 1000 === 0 ? String(rounded / 1000) : `${rounded}/1000`;
}

function xml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
