/**
 * The stylesheet and browser script of the index and player pages, as
 * strings the pages inline (with a CSP nonce), so serveDir needs no asset
 * files and works from a JSR import.
 *
 * The script connects one EventSource per page (one connection, however
 * many players: browsers allow only six HTTP/1.1 connections per host, and
 * the videos need them) and redraws a canvas map per file.
 *
 * @module
 */

/**
 * CSS of the pages.
 *
 * @example
 * ```ts ignore
 * import { PLAYER_CSS } from "@ranged/video";
 * console.log(PLAYER_CSS.length > 0);
 * ```
 */
export const PLAYER_CSS: string = `
:root{color-scheme:dark;--bg:#0b0e14;--panel:#121722;--panel2:#171d2b;--line:#232b3d;--text:#e6e9f2;--muted:#8b94a8;
--accent:#2dd4bf;--accent2:#38bdf8;--amber:#fbbf24;--violet:#a78bfa;--red:#f87171;--radius:14px}
*{box-sizing:border-box}
html,body{margin:0;background:radial-gradient(1200px 600px at 10% -10%,#14263a 0,transparent 60%),
radial-gradient(900px 500px at 110% 0,#1d1733 0,transparent 55%),var(--bg);color:var(--text);
font:15px/1.5 ui-sans-serif,system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;min-height:100vh}
a{color:var(--accent2);text-decoration:none}a:hover{text-decoration:underline}
header.top{display:flex;align-items:center;gap:18px;padding:14px 28px;border-bottom:1px solid var(--line);
background:rgba(11,14,20,.7);backdrop-filter:blur(8px);position:sticky;top:0;z-index:5}
.brand{font-weight:800;letter-spacing:.02em;color:var(--text);display:flex;align-items:center;gap:8px}
.brand i{display:inline-block;width:22px;height:22px;border-radius:6px;background:linear-gradient(135deg,var(--accent),var(--accent2));
-webkit-mask:linear-gradient(#000 0 0);position:relative}
.brand i::after{content:"";position:absolute;left:8px;top:6px;border-left:8px solid #0b0e14;border-top:5px solid transparent;border-bottom:5px solid transparent}
.crumbs{color:var(--muted);font-size:14px;flex:1;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.crumbs a{color:var(--muted)}.crumbs a:hover{color:var(--text)}
.live{font-size:12px;color:var(--muted);border:1px solid var(--line);border-radius:99px;padding:3px 10px}
.live.on{color:var(--accent);border-color:rgba(45,212,191,.4)}.live.on::before{content:"";display:inline-block;width:7px;height:7px;
border-radius:50%;background:var(--accent);margin-right:6px;box-shadow:0 0 8px var(--accent);animation:pulse 1.6s infinite}
.live.off{color:var(--amber)}
@keyframes pulse{50%{opacity:.35}}
main{max-width:1180px;margin:0 auto;padding:28px}
h1{font-size:26px;margin:4px 0 6px;letter-spacing:-.01em;word-break:break-all}
h2{font-size:14px;text-transform:uppercase;letter-spacing:.08em;color:var(--muted);margin:0}
.sub{color:var(--muted);margin:0 0 22px}
.chips{display:flex;flex-wrap:wrap;gap:8px;margin:10px 0 18px}
.chip{font-size:12.5px;padding:3px 10px;border-radius:99px;background:var(--panel2);border:1px solid var(--line);color:#c9d1e3;white-space:nowrap}
.chip.good{color:var(--accent);border-color:rgba(45,212,191,.35)}.chip.warn{color:var(--violet);border-color:rgba(167,139,250,.4)}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:20px}
.card{background:linear-gradient(180deg,var(--panel2),var(--panel));border:1px solid var(--line);border-radius:var(--radius);overflow:hidden;
box-shadow:0 10px 30px rgba(0,0,0,.35)}
.card video,.card audio{display:block;width:100%;background:#000}.card video{aspect-ratio:16/9}
.card audio{padding:14px;background:transparent}
.card .body{padding:12px 14px 14px}
.card .name{font-weight:650;color:var(--text);word-break:break-all}
.card .chips{margin:8px 0 10px}
.open{font-size:13px;font-weight:600}
button.open{font-family:inherit;color:var(--accent2);background:none;border:0;padding:0 0 0 12px;cursor:pointer}
.map{display:block;width:100%;height:34px}.map.big{height:86px}
.stats{font-size:12.5px;color:var(--muted);margin-top:6px;font-variant-numeric:tabular-nums}
.list{margin-top:30px;background:var(--panel);border:1px solid var(--line);border-radius:var(--radius);padding:16px 18px}
.list ul{list-style:none;margin:10px 0 0;padding:0;columns:2 280px}
.list li{padding:5px 0;break-inside:avoid;display:flex;gap:10px;justify-content:space-between}
.list .size{color:var(--muted);font-size:13px;font-variant-numeric:tabular-nums}
.empty{color:var(--muted);padding:40px;text-align:center;border:1px dashed var(--line);border-radius:var(--radius)}
.stage{border-radius:var(--radius);overflow:hidden;background:#000;border:1px solid var(--line);box-shadow:0 18px 50px rgba(0,0,0,.5)}
.stage video{display:block;width:100%;max-height:62vh;background:#000}.stage audio{display:block;width:100%;padding:18px}
.seek{display:flex;flex-wrap:wrap;align-items:center;gap:8px;margin:14px 0 22px;color:var(--muted);font-size:13px}
.seek button{font:inherit;color:var(--text);background:var(--panel2);border:1px solid var(--line);border-radius:9px;padding:5px 12px;cursor:pointer}
.seek button:hover{border-color:var(--accent);color:var(--accent)}
.panel{background:linear-gradient(180deg,var(--panel2),var(--panel));border:1px solid var(--line);border-radius:var(--radius);padding:18px 20px}
.panel-head{display:flex;justify-content:space-between;align-items:baseline;gap:12px;margin-bottom:12px;flex-wrap:wrap}
.panel-head .stats{margin:0;font-size:13.5px;color:#c9d1e3}
.legend{display:flex;flex-wrap:wrap;gap:16px;font-size:12px;color:var(--muted);margin:10px 0 4px}
.legend span::before{content:"";display:inline-block;width:10px;height:10px;border-radius:3px;margin-right:6px;vertical-align:-1px;background:var(--c)}
.lg-sent{--c:linear-gradient(90deg,var(--accent),var(--accent2))}.lg-fly{--c:var(--amber)}.lg-moov{--c:var(--violet)}.lg-head{--c:#fff}
table.log{width:100%;border-collapse:collapse;margin-top:14px;font-size:13px;font-variant-numeric:tabular-nums}
.log th{text-align:left;color:var(--muted);font-weight:500;padding:6px 8px;border-bottom:1px solid var(--line)}
.log td{padding:6px 8px;border-bottom:1px solid rgba(35,43,61,.6);font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.log tr.new td{animation:flash 1.2s ease-out}
@keyframes flash{from{background:rgba(45,212,191,.18)}to{background:transparent}}
.st{border-radius:6px;padding:1px 8px;font-size:11.5px;font-family:inherit}
.st.streaming{color:var(--amber);background:rgba(251,191,36,.12)}.st.done{color:var(--accent);background:rgba(45,212,191,.1)}
.st.aborted{color:var(--red);background:rgba(248,113,113,.1)}
.hint{color:var(--muted);font-size:13.5px;margin-top:16px}
footer{color:var(--muted);font-size:12px;text-align:center;padding:30px}
`;

/**
 * The browser script of the pages. It reads its data from the
 * `#ranged-data` JSON element and subscribes to the range events.
 *
 * @example
 * ```ts ignore
 * import { PLAYER_JS } from "@ranged/video";
 * console.log(PLAYER_JS.includes("EventSource"));
 * ```
 */
export const PLAYER_JS: string = String.raw`
(() => {
  "use strict";
  const data = JSON.parse(document.getElementById("ranged-data").textContent);
  const files = new Map();
  const fmt = (n) => {
    if (n < 1024) return n + " B";
    const u = ["KiB", "MiB", "GiB", "TiB"];
    let i = -1;
    do { n /= 1024; i++; } while (n >= 1024 && i < u.length - 1);
    return (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)) + " " + u[i];
  };
  const covered = (ranges) => ranges.reduce((s, r) => s + r[1] - r[0] + 1, 0);

  for (const el of document.querySelectorAll("[data-file]")) {
    const info = data.files[el.dataset.file];
    if (!info) continue;
    const f = {
      el, info, activity: { ranges: [], requests: [], bytesSent: 0 },
      canvas: el.querySelector("[data-map]"), stats: el.querySelector("[data-stats]"),
      log: el.querySelector("[data-log]"),
      media: el.querySelector("video,audio") || (el.classList.contains("panel") ? document.querySelector(".stage video,.stage audio") : null), seen: new Set(), dirty: true,
    };
    files.set(el.dataset.file, f);
    if (f.media) for (const ev of ["timeupdate", "seeking", "loadedmetadata", "durationchange"]) {
      f.media.addEventListener(ev, () => { f.dirty = true; schedule(); });
    }
  }

  // Seek buttons and metadata chips on the player page.
  for (const b of document.querySelectorAll("[data-seek]")) {
    b.addEventListener("click", () => {
      const m = document.querySelector(".stage video,.stage audio");
      if (m && isFinite(m.duration)) { m.currentTime = m.duration * Number(b.dataset.seek); m.play().catch(() => {}); }
    });
  }
  // "Link from here": the server's URL of the clip from the current time (signed when links must be), shown and copied.
  const clipButton = document.querySelector("[data-clip-link]");
  if (clipButton) clipButton.addEventListener("click", () => {
    const m = document.querySelector(".stage video,.stage audio");
    if (!m) return;
    const maker = new URL(clipButton.dataset.clipLink, location.href);
    maker.searchParams.set("clip-link", (Math.floor(m.currentTime * 1000) / 1000).toFixed(3));
    const note = document.querySelector("[data-clip-note]");
    const say = (t) => { if (note) note.textContent = t; };
    fetch(maker, { cache: "no-store" }).then((r) => r.ok ? r.text() : Promise.reject(new Error(String(r.status)))).then((link) => {
      const href = new URL(link, location.href).href;
      const a = document.querySelector("[data-clip-url]");
      a.href = href;
      a.textContent = href;
      a.hidden = false;
      say("");
      if (navigator.clipboard) navigator.clipboard.writeText(href).then(() => say("copied"), () => {});
    }, (e) => say("no link: " + e.message));
  });
  // Play via HLS where the browser plays it natively; the same time and play state after the switch.
  const hlsButton = document.querySelector("[data-hls-play]");
  const stageVideo = document.querySelector(".stage video");
  if (hlsButton && stageVideo && stageVideo.canPlayType("application/vnd.apple.mpegurl")) {
    const fileSrc = stageVideo.getAttribute("src");
    stageVideo.dataset.source = "file";
    hlsButton.hidden = false;
    hlsButton.addEventListener("click", () => {
      const toHls = stageVideo.dataset.source !== "hls", t = stageVideo.currentTime, playing = !stageVideo.paused;
      stageVideo.addEventListener("loadedmetadata", () => {
        if (t > 0) stageVideo.currentTime = t;
        if (playing) stageVideo.play().catch(() => {});
      }, { once: true });
      stageVideo.src = toHls ? hlsButton.dataset.hlsPlay : fileSrc;
      stageVideo.dataset.source = toHls ? "hls" : "file";
      hlsButton.textContent = toHls ? "Play the file" : "Play via HLS";
    });
    if (location.hash === "#hls") hlsButton.click();
  }
  const stageMedia = document.querySelector(".stage video,.stage audio");
  if (stageMedia) stageMedia.addEventListener("loadedmetadata", () => {
    const d = document.querySelector("[data-duration]");
    if (d) d.textContent = stageMedia.duration.toFixed(2) + " s";
    const r = document.querySelector("[data-resolution]");
    if (r && stageMedia.videoWidth) r.textContent = stageMedia.videoWidth + "×" + stageMedia.videoHeight;
  });

  let raf = 0;
  function schedule() { if (!raf) raf = requestAnimationFrame(() => { raf = 0; for (const f of files.values()) if (f.dirty) draw(f); }); }
  addEventListener("resize", () => { for (const f of files.values()) f.dirty = true; schedule(); });

  const live = document.getElementById("live");
  const es = new EventSource(data.events);
  es.onopen = () => { if (live) { live.className = "live on"; live.textContent = "live"; } };
  es.onerror = () => { if (live) { live.className = "live off"; live.textContent = "reconnecting…"; } };
  es.addEventListener("ranges", (e) => {
    for (const a of JSON.parse(e.data)) {
      const f = files.get(a.path);
      if (!f) continue;
      f.activity = a; f.dirty = true;
      f.el.dataset.covered = String(covered(a.ranges));
      f.el.dataset.requests = String(a.requests.length ? a.requests[a.requests.length - 1].id : 0);
      f.el.dataset.statuses = a.requests.map((r) => r.status).join(",");
      renderLog(f);
    }
    schedule();
  });

  function renderLog(f) {
    const a = f.activity, size = f.info.size, c = covered(a.ranges);
    const aborted = a.requests.filter((r) => r.state === "aborted").length;
    if (f.stats) f.stats.textContent = fmt(c) + " of " + fmt(size) + " sent (" + (size ? (100 * c / size).toFixed(1) : "0") + "%) · "
      + a.requests.length + " request" + (a.requests.length === 1 ? "" : "s") + (aborted ? " · " + aborted + " aborted" : "")
      + (a.bytesSent > c ? " · " + fmt(a.bytesSent) + " on the wire" : "");
    if (!f.log) return;
    const rows = [];
    for (const r of [...a.requests].reverse()) {
      const tr = document.createElement("tr");
      if (!f.seen.has(r.id)) { tr.className = "new"; f.seen.add(r.id); }
      const cells = ["#" + r.id, String(r.status), r.start.toLocaleString() + " – " + r.end.toLocaleString(),
        fmt(r.sent) + " / " + fmt(r.end - r.start + 1)];
      for (const text of cells) { const td = document.createElement("td"); td.textContent = text; tr.append(td); }
      const td = document.createElement("td"), st = document.createElement("span");
      st.className = "st " + r.state; st.textContent = r.state; td.append(st); tr.append(td);
      rows.push(tr);
    }
    f.log.replaceChildren(...rows);
  }

  const BOX = { moov: "#a78bfa", mdat: "#2a3550", ftyp: "#f472b6", free: "#1f2636", moof: "#c084fc", sidx: "#f59e0b" };
  function draw(f) {
    f.dirty = false;
    const cv = f.canvas; if (!cv) return;
    const dpr = devicePixelRatio || 1, W = cv.clientWidth, H = cv.clientHeight;
    if (!W || !H) return;
    if (cv.width !== Math.round(W * dpr) || cv.height !== Math.round(H * dpr)) { cv.width = Math.round(W * dpr); cv.height = Math.round(H * dpr); }
    const g = cv.getContext("2d"); g.setTransform(dpr, 0, 0, dpr, 0, 0); g.clearRect(0, 0, W, H);
    const size = f.info.size || 1, boxes = f.info.boxes || [];
    const big = H > 60, band = boxes.length && big ? 16 : 0, axis = big ? 14 : 0, barH = H - band - axis - (band ? 4 : 0);
    const x = (b) => (b / size) * W;
    const round = (x0, y0, w, h, r) => { g.beginPath(); g.roundRect ? g.roundRect(x0, y0, w, h, r) : g.rect(x0, y0, w, h); };
    round(0, 0, W, barH, 7); g.fillStyle = "#1a2030"; g.fill();
    g.save(); round(0, 0, W, barH, 7); g.clip();
    // Spans still streaming: the announced range, faint.
    for (const r of f.activity.requests) if (r.state === "streaming") {
      g.fillStyle = "rgba(251,191,36,.16)"; g.fillRect(x(r.start), 0, Math.max(1, x(r.end + 1) - x(r.start)), barH);
    }
    const grad = g.createLinearGradient(0, 0, 0, barH); grad.addColorStop(0, "#2dd4bf"); grad.addColorStop(1, "#0ea5b7");
    g.fillStyle = grad;
    for (const [s, e] of f.activity.ranges) g.fillRect(x(s), 0, Math.max(1.5, x(e + 1) - x(s)), barH);
    // The part of a streaming response already sent: bright, so a seek's new request stands out.
    for (const r of f.activity.requests) if (r.state === "streaming" && r.sent > 0) {
      g.fillStyle = "#fbbf24"; g.fillRect(x(r.start), 0, Math.max(2, x(r.start + r.sent) - x(r.start)), barH);
    }
    // Where each recent request started.
    for (const r of f.activity.requests) { g.fillStyle = "rgba(255,255,255,.55)"; g.fillRect(x(r.start), 0, 1, barH); }
    g.restore();
    // Approximate playhead in byte space: the time fraction across the media data.
    const m = f.media;
    if (m && isFinite(m.duration) && m.duration > 0) {
      const mdat = boxes.find((b) => b.type === "mdat");
      const s0 = mdat ? mdat.start : 0, len = mdat ? mdat.size : size;
      const px = x(s0 + (m.currentTime / m.duration) * len);
      g.fillStyle = "#fff"; g.fillRect(px - 1, -2, 2, barH + 4);
      g.beginPath(); g.moveTo(px - 5, 0); g.lineTo(px + 5, 0); g.lineTo(px, 6); g.fill();
    }
    if (band) {
      const y = barH + 4;
      g.font = "600 10px ui-sans-serif,system-ui,sans-serif"; g.textBaseline = "middle";
      for (const b of boxes) {
        const bx = x(b.start), bw = Math.max(2, x(b.start + b.size) - bx);
        g.fillStyle = BOX[b.type] || "#334155"; round(bx, y, bw - 1, band, 4); g.fill();
        const label = b.type + (b.type === "moov" ? " (index)" : b.type === "mdat" ? " (audio + video samples)" : "");
        const text = g.measureText(label).width + 8 < bw ? label : g.measureText(b.type).width + 6 < bw ? b.type : "";
        if (text) { g.fillStyle = b.type === "mdat" ? "#aab4c8" : "#0b0e14"; g.fillText(text, bx + 4, y + band / 2 + 0.5); }
        if (b.type === "moov" && !text) { g.fillStyle = "#a78bfa"; g.textAlign = "right"; g.fillText("moov ▸", bx - 3, y + band / 2 + 0.5); g.textAlign = "left"; }
      }
    }
    if (axis) {
      g.font = "10.5px ui-sans-serif,system-ui,sans-serif"; g.fillStyle = "#6b7489"; g.textBaseline = "bottom";
      const ticks = [0, 0.25, 0.5, 0.75, 1];
      for (const t of ticks) {
        const label = t === 0 ? "0" : fmt(Math.round(size * t));
        g.textAlign = t === 0 ? "left" : t === 1 ? "right" : "center";
        g.fillText(label, t * W, H);
      }
      g.textAlign = "left";
    }
  }
  for (const f of files.values()) renderLog(f);
  schedule();
})();
`;
