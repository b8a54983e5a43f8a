/**
 * The two HTML pages serveDir answers: a directory index with a player per
 * media file, and a single-file player page with the live byte-range map
 * and request log. Pure functions from data to markup; every name is
 * escaped, and the page data travels as script-safe JSON.
 *
 * @module
 */

import { scopeCovers } from "../access/canonical.ts";
import { escapeHtml, jsonForScript } from "./html.ts";
import { PLAYER_CSS, PLAYER_JS } from "./player_assets.ts";

/** A file as the pages show it. */
export interface PageFile {
  /** Display name. */
  readonly name: string;
  /** Canonical URL path (see `encodePath`). */
  readonly path: string;
  /** Size in bytes. */
  readonly size: number;
  /** Content-Type. */
  readonly type: string;
  /** Top-level MP4 boxes as served, when the file is an MP4 (drawn under the map). */
  readonly boxes?: readonly PageBox[];
  /** True when the file is served in a faststart layout made on the fly (its moov was at the end on disk). */
  readonly faststart?: boolean;
  /** URL path of the file's HLS master playlist, when HLS is on for it. */
  readonly hls?: string;
  /**
   * Sidecar WebVTT files (`movie.en.vtt` next to `movie.mp4`), shown as
   * `<track>`s on the player page; `src` as given, with its own signature
   * when the server requires them (the page adds none: a sidecar lies
   * outside the file's scope).
   */
  readonly subtitles?: readonly { readonly src: string; readonly label: string; readonly language?: string }[];
  /** True when `?start=` clips of the file are served: the player page offers a "link from here". */
  readonly clip?: boolean;
}

/** One top-level MP4 box: its four-character type and byte span `[start, start + size)`. */
export interface PageBox {
  /** Four-character code, e.g. `moov`. */
  readonly type: string;
  /** Offset of the box header. */
  readonly start: number;
  /** Size in bytes, header included. */
  readonly size: number;
}

/** A subdirectory in the index. */
export interface PageDir {
  /** Display name. */
  readonly name: string;
  /** Canonical URL path, ending with `/`. */
  readonly path: string;
}

/** What both pages need besides their content. */
export interface PageContext {
  /** The viewer id carried on media URLs and the event stream. */
  readonly viewer: string;
  /** URL of the event stream for this viewer. */
  readonly events: string;
  /** CSP nonce for the inline style and script. */
  readonly nonce: string;
  /** Decoded segments of the page's directory, for the breadcrumbs. */
  readonly segments: readonly string[];
  /**
   * Signature parameters (`exp=…&sig=…`) appended to every link to what the
   * page shows, when the server requires signed URLs. A page never opens
   * more than it was opened with: links up (parent, breadcrumbs) are shown
   * only where {@linkcode PageContext.up} opens them.
   */
  readonly linkQuery?: string;
  /**
   * With `linkQuery`: the scope of the page's own signed request and its
   * query, which links up carry when the scope covers them. Absent: no
   * links up are shown (a single-path link opens nothing above its file).
   */
  readonly up?: { readonly scope: string; readonly query: string };
}

/**
 * Renders a directory index: media files as cards with a player and a mini
 * range map each, then subdirectories and other files as links.
 *
 * @example
 * ```ts ignore
 * import { renderIndexPage } from "@ranged/video";
 * const html = renderIndexPage(
 *   { viewer: "abcdefgh", events: "/__ranged/events?viewer=abcdefgh", nonce: "n", segments: [] },
 *   [{ name: "a.mp4", path: "/a.mp4", size: 10, type: "video/mp4" }],
 *   [],
 * );
 * console.log(html.includes("<video"));
 * ```
 */
export function renderIndexPage(ctx: PageContext, files: readonly PageFile[], dirs: readonly PageDir[]): string {
  const media = files.filter((f) => mediaKind(f.type) !== undefined);
  const other = files.filter((f) => mediaKind(f.type) === undefined);
  const title = ctx.segments.length ? ctx.segments[ctx.segments.length - 1] : "Media";
  const cards = media.map((f) => {
    const kind = mediaKind(f.type)!;
    return `<article class="card" data-file="${escapeHtml(f.path)}">
<${kind} controls preload="metadata" playsinline src="${escapeHtml(mediaSrc(f, ctx))}"></${kind}>
<div class="body"><a class="name" href="${escapeHtml(signed(`${f.path}?player`, ctx))}">${escapeHtml(f.name)}</a>
<div class="chips"><span class="chip">${escapeHtml(f.type)}</span><span class="chip">${formatBytes(f.size)}</span>${
      layoutChip(f)
    }</div>
<canvas class="map" data-map></canvas><div class="stats" data-stats></div>
<div class="stats"><a class="open" href="${
      escapeHtml(signed(`${f.path}?player`, ctx))
    }">Open player &amp; range map →</a>${hlsLink(f, ctx)}</div></div>
</article>`;
  }).join("\n");
  const links = [
    ...(ctx.segments.length
      ? [
        `<li>${
          upLink(encodeDir(ctx.segments.slice(0, -1)), "../", ctx, { href: "../" })
        }<span class="size">parent</span></li>`,
      ]
      : []),
    ...dirs.map((d) =>
      `<li><a href="${escapeHtml(signed(d.path, ctx))}">${escapeHtml(d.name)}/</a><span class="size">folder</span></li>`
    ),
    ...other.map((f) =>
      `<li><a href="${escapeHtml(signed(f.path, ctx))}">${escapeHtml(f.name)}</a><span class="size">${
        formatBytes(f.size)
      }</span></li>`
    ),
  ];
  const body = `<h1>${escapeHtml(title)}</h1>
<p class="sub">${media.length} media file${media.length === 1 ? "" : "s"}${
    links.length ? ` · ${dirs.length} folder${dirs.length === 1 ? "" : "s"} · ${other.length} other` : ""
  } · every byte range the server sends is drawn live under each player</p>
${media.length ? `<section class="grid">${cards}</section>` : `<p class="empty">No audio or video files here.</p>`}
${links.length ? `<section class="list"><h2>Folders &amp; files</h2><ul>${links.join("")}</ul></section>` : ""}`;
  return page(ctx, `Index of ${encodeTitle(ctx.segments)}`, body, media);
}

/**
 * Renders the player page of one media file: the player, seek shortcuts,
 * size, type and MP4 layout, and the live range map with its request log.
 *
 * @example
 * ```ts ignore
 * import { renderPlayerPage } from "@ranged/video";
 * const html = renderPlayerPage(
 *   { viewer: "abcdefgh", events: "/__ranged/events?viewer=abcdefgh", nonce: "n", segments: [] },
 *   { name: "a.mp4", path: "/a.mp4", size: 10, type: "video/mp4" },
 * );
 * console.log(html.includes("data-map"));
 * ```
 */
export function renderPlayerPage(ctx: PageContext, file: PageFile): string {
  const kind = mediaKind(file.type) ?? "video";
  const seeks = [0, 0.25, 0.5, 0.8, 0.95].map((t) => `<button type="button" data-seek="${t}">${t * 100}%</button>`)
    .join("");
  const body = `<h1>${escapeHtml(file.name)}</h1>
<div class="chips"><span class="chip">${escapeHtml(file.type)}</span><span class="chip">${
    file.size.toLocaleString("en-US")
  } bytes · ${formatBytes(file.size)}</span>${layoutChip(file)}<span class="chip" data-duration>duration …</span>${
    kind === "video" ? `<span class="chip" data-resolution>…</span>` : ""
  }</div>
<div class="stage"><${kind} controls preload="auto" playsinline src="${escapeHtml(mediaSrc(file, ctx))}">${
    trackElements(file)
  }</${kind}></div>${file.hls ? `<div class="stats">${hlsLink(file, ctx)}${hlsSwitch(file, kind, ctx)}</div>` : ""}
<div class="seek"><span>Jump to</span>${seeks}<span>· then watch which bytes the browser asks for</span></div>${
    file.clip ? clipLink(file, ctx) : ""
  }
<section class="panel" data-file="${escapeHtml(file.path)}">
<div class="panel-head"><h2>Bytes sent to this viewer</h2><div class="stats" data-stats></div></div>
<canvas class="map big" data-map></canvas>
<div class="legend"><span class="lg-sent">sent</span><span class="lg-fly">streaming now</span>${
    file.boxes?.length ? `<span class="lg-moov">moov (MP4 index)</span>` : ""
  }<span class="lg-head">≈ playhead</span></div>
<table class="log"><thead><tr><th>#</th><th>Status</th><th>Bytes (first – last)</th><th>Sent</th><th>State</th></tr></thead>
<tbody data-log></tbody></table>
</section>
<p class="hint">Browsers ask for <code>Range: bytes=N-</code> and abandon the response as soon as they seek elsewhere:
aborted rows are normal.${layoutHint(file)}</p>`;
  return page(ctx, file.name, body, [file]);
}

/**
 * The "link from here" control: shows and copies a `?start=` clip URL for
 * the current time (player_assets.ts wires it). The server makes the URL
 * (`FILE?clip-link=SECONDS`, see routes/clip_link.ts): under signed URLs
 * only it can sign the clip's `start`.
 */
function clipLink(file: PageFile, ctx: PageContext): string {
  const maker = signed(`${file.path}?clip-link`, ctx);
  return `<div class="seek"><button type="button" data-clip-link="${escapeHtml(maker)}">Link from here</button>` +
    `<a class="open" data-clip-url hidden></a><span data-clip-note></span></div>`;
}

/**
 * A source switch to the file's HLS master, for browsers that play HLS
 * natively (Safari, Chromium): hidden until the script finds
 * `canPlayType("application/vnd.apple.mpegurl")` truthy; `#hls` in the
 * page URL switches at once.
 */
function hlsSwitch(file: PageFile, kind: "video" | "audio", ctx: PageContext): string {
  if (!file.hls || kind !== "video") return "";
  return ` <button type="button" class="open" data-hls-play="${
    escapeHtml(signed(file.hls, ctx))
  }" hidden>Play via HLS</button>`;
}

function page(ctx: PageContext, title: string, body: string, files: readonly PageFile[]): string {
  const data = {
    viewer: ctx.viewer,
    events: ctx.events,
    files: Object.fromEntries(files.map((f) => [f.path, { size: f.size, boxes: f.boxes ?? [] }])),
  };
  const nonce = escapeHtml(ctx.nonce);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · ranged</title><style nonce="${nonce}">${PLAYER_CSS}</style></head>
<body><header class="top">${upLink("/", "<i></i>ranged", ctx, { cls: "brand" })}<nav class="crumbs">${
    crumbs(ctx)
  }</nav><span class="live" id="live">connecting…</span></header>
<main>${body}</main>
<footer>Served with byte ranges (RFC 9110) by ranged · live map over Server-Sent Events</footer>
<script type="application/json" id="ranged-data">${jsonForScript(data)}</script>
<script nonce="${nonce}">${PLAYER_JS}</script></body></html>`;
}

function crumbs(ctx: PageContext): string {
  const parts = [upLink("/", "/", ctx)];
  ctx.segments.forEach((s, i) =>
    parts.push(`${upLink(encodeDir(ctx.segments.slice(0, i + 1)), escapeHtml(s), ctx)} /`)
  );
  return parts.join(" ");
}

/** `/a/b/` for the segments `["a", "b"]`. */
function encodeDir(segments: readonly string[]): string {
  return "/" + segments.map((s) => encodeURIComponent(s) + "/").join("");
}

/**
 * A link up to the folder `path` (canonical) with `label` (HTML), written
 * as `href` (default `path`): plain without signed URLs; with them,
 * carrying the page's own query when its scope covers the folder, else the
 * label alone, never a link that would answer 403.
 */
function upLink(path: string, label: string, ctx: PageContext, o: { href?: string; cls?: string } = {}): string {
  const attr = o.cls ? ` class="${o.cls}"` : "";
  const href = o.href ?? path;
  if (ctx.linkQuery === undefined) return `<a${attr} href="${escapeHtml(href)}">${label}</a>`;
  if (ctx.up && scopeCovers(ctx.up.scope, path)) {
    return `<a${attr} href="${escapeHtml(`${href}?${ctx.up.query}`)}">${label}</a>`;
  }
  return `<span${attr}>${label}</span>`;
}

function encodeTitle(segments: readonly string[]): string {
  return "/" + segments.map((s) => s + "/").join("");
}

function mediaSrc(f: PageFile, ctx: PageContext): string {
  return signed(`${f.path}?viewer=${encodeURIComponent(ctx.viewer)}`, ctx);
}

/** `href` with the page's signature parameters, when it has them. */
function signed(href: string, ctx: PageContext): string {
  if (!ctx.linkQuery) return href;
  return `${href}${href.includes("?") ? "&" : "?"}${ctx.linkQuery}`;
}

/** `<track>` elements for the file's sidecar subtitles; the first is shown by default. */
function trackElements(file: PageFile): string {
  return (file.subtitles ?? []).map((t, i) =>
    `<track kind="subtitles" src="${escapeHtml(t.src)}" label="${escapeHtml(t.label)}"${
      t.language ? ` srclang="${escapeHtml(t.language)}"` : ""
    }${i === 0 ? " default" : ""}>`
  ).join("");
}

/** What the MP4 layout means for the requests in the log (the default rewrites moov-at-end files). */
function layoutHint(file: PageFile): string {
  if (file.faststart) {
    return ` This file has its <code>moov</code> index at the end on disk and is served in faststart layout, so the
browser plays from the first bytes; serve it with <code>--no-faststart</code> to watch the browser fetch the end first.`;
  }
  const types = file.boxes?.map((b) => b.type) ?? [];
  const moov = types.indexOf("moov");
  return moov > types.indexOf("mdat") && types.includes("mdat")
    ? ` Its <code>moov</code> index is at the end: the browser fetches the end before it can play.`
    : "";
}

/** A link to the file's HLS master: players that speak HLS (Safari, Chromium, TVs, VLC) open it directly. */
function hlsLink(file: PageFile, ctx: PageContext): string {
  return file.hls
    ? ` <a class="open" data-hls href="${escapeHtml(signed(file.hls, ctx))}">HLS master playlist</a>`
    : "";
}

function layoutChip(file: PageFile): string {
  if (file.faststart) return `<span class="chip good">faststart on the fly: moov moved from the end</span>`;
  const boxes = file.boxes;
  const moov = boxes?.findIndex((b) => b.type === "moov") ?? -1;
  const mdat = boxes?.findIndex((b) => b.type === "mdat") ?? -1;
  if (moov < 0 || mdat < 0) return "";
  return moov < mdat
    ? `<span class="chip good">faststart: moov before mdat</span>`
    : `<span class="chip warn">moov at the end</span>`;
}

/**
 * `video` or `audio` for a media Content-Type, else undefined.
 *
 * @example
 * ```ts ignore
 * import { mediaKind } from "@ranged/video";
 * console.log(mediaKind("video/mp4"), mediaKind("text/plain")); // "video" undefined
 * ```
 */
export function mediaKind(type: string): "video" | "audio" | undefined {
  if (type.startsWith("video/") && type !== "video/mp2t" && type !== "video/iso.segment") return "video";
  if (type.startsWith("audio/") && !type.includes("mpegurl")) return "audio";
  return undefined;
}

/**
 * Formats a byte count with binary units, as the pages show sizes.
 *
 * @example
 * ```ts ignore
 * import { formatBytes } from "@ranged/video";
 * console.log(formatBytes(769380)); // "751 KiB"
 * ```
 */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let i = -1;
  do {
    n /= 1024;
    i++;
  } while (n >= 1024 && i < units.length - 1);
  return `${n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)} ${units[i]}`;
}
