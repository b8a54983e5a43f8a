// An SVG chart of one benchmark run, without dependencies: one panel per
// scenario, one horizontal bar per server. A, B and C as a ratio to nginx;
// D in MiB over idle against its target; E as the 1 MiB / big file ratio.
import { D_FLOOR_MIB, nginxRatio, SCENARIO_TITLES, valueOf } from "./report.mjs";
import { E_TOLERANCE, RSS_TARGET_MIB, SERVERS } from "./servers.mjs";

const COLORS = { deno: "#0f766e", bun: "#c2410c", node: "#1d4ed8", node26: "#7c3aed", nginx: "#4b5563" };
const PANEL_W = 420;
const LABEL_W = 118;
const VALUE_W = 64;
const ROW_H = 20;
const HEAD_H = 60;
const COLS = 3;
// A white outline keeps value labels readable where they cross a guide line.
const HALO = 'paint-order="stroke" stroke="#ffffff" stroke-width="3"';

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function panel(doc, scenario, ids, x, y) {
  const plotW = PANEL_W - LABEL_W - VALUE_W - 16;
  const rows = ids.map((id) => {
    const raw = valueOf(doc, id, scenario);
    let v;
    if (scenario === "D") v = raw;
    else if (scenario === "E") v = raw;
    else v = nginxRatio(doc, id, scenario);
    return { id, v, flagged: Boolean(doc.results[id]?.[scenario]?.error), runtime: doc.servers[id].runtime };
  });
  const values = rows.map((r) => r.v).filter((v) => v !== null);
  let max;
  let guides;
  let unit;
  if (scenario === "D") {
    max = Math.max(RSS_TARGET_MIB * 1.3, ...values.map((v) => v * 1.1));
    guides = [{ at: RSS_TARGET_MIB, label: `target +${RSS_TARGET_MIB} MiB` }];
    unit = (v) => `${v >= 0 ? "+" : ""}${v.toFixed(1)} MiB`;
  } else if (scenario === "E") {
    max = Math.max(1.3, ...values.map((v) => v * 1.1));
    guides = [{ at: 1 - E_TOLERANCE, label: "" }, { at: 1 + E_TOLERANCE, label: `±${E_TOLERANCE * 100}%` }];
    unit = (v) => v.toFixed(2);
  } else {
    max = Math.max(1.25, ...values.map((v) => v * 1.1));
    guides = [{ at: 1, label: "nginx = 1" }];
    unit = (v) => `${v.toFixed(2)}×`;
  }
  const sx = (v) => (Math.max(0, v) / max) * plotW;
  const px = x + LABEL_W;
  const h = HEAD_H + rows.length * ROW_H + 10;
  const subtitle = scenario === "D"
    ? "RSS growth under load, MiB (lower is better)"
    : scenario === "E"
    ? "req/s 1 MiB file ÷ req/s big file (1.0 is ideal)"
    : "ratio to nginx (higher is better)";
  const out = [
    `<rect x="${x}" y="${y}" width="${PANEL_W}" height="${h}" fill="#ffffff" stroke="#d1d5db"/>`,
    `<text x="${x + 10}" y="${y + 20}" font-size="14" font-weight="bold">${esc(SCENARIO_TITLES[scenario])}</text>`,
    `<text x="${x + 10}" y="${y + 37}" font-size="11" fill="#4b5563">${esc(subtitle)}</text>`,
  ];
  if (scenario === "E") {
    const a = +(px + sx(1 - E_TOLERANCE)).toFixed(1);
    out.push(
      `<rect x="${a}" y="${y + HEAD_H - 4}" width="${(px + sx(1 + E_TOLERANCE) - a).toFixed(1)}" ` +
        `height="${rows.length * ROW_H + 4}" fill="#dcfce7"/>`,
    );
  }
  for (const g of guides) {
    const gx = +(px + sx(g.at)).toFixed(1);
    out.push(
      `<line x1="${gx}" y1="${y + HEAD_H - 4}" x2="${gx}" y2="${y + HEAD_H + rows.length * ROW_H}" ` +
        `stroke="#6b7280" stroke-dasharray="4 3"/>`,
    );
    if (g.label) {
      out.push(`<text x="${gx + 3}" y="${y + HEAD_H - 7}" font-size="10" fill="#374151">${esc(g.label)}</text>`);
    }
  }
  rows.forEach((r, i) => {
    const ry = y + HEAD_H + i * ROW_H;
    const ranged = doc.servers[r.id].kind === "ranged";
    const color = COLORS[r.runtime] ?? "#000000";
    out.push(
      `<text x="${px - 6}" y="${ry + 13}" font-size="11" text-anchor="end"${ranged ? ' font-weight="bold"' : ""}>` +
        `${esc(r.id)}</text>`,
    );
    if (r.v === null) {
      const why = doc.results[r.id]?.[scenario] ? "failed" : "not run";
      out.push(`<text x="${px + 4}" y="${ry + 13}" font-size="11" fill="#6b7280">${why}</text>`);
      return;
    }
    const w = Math.max(1, sx(r.v));
    out.push(
      `<rect x="${px}" y="${ry + 3}" width="${w.toFixed(1)}" height="${ROW_H - 6}" fill="${color}" ` +
        `fill-opacity="${ranged ? 1 : 0.35}" stroke="${color}"/>`,
      `<text x="${(px + w + 4).toFixed(1)}" y="${ry + 13}" font-size="11" ${HALO}>${esc(unit(r.v))}${
        r.flagged ? " ⚠" : ""
      }</text>`,
    );
  });
  return { svg: out.join("\n"), height: h };
}

/** The whole chart as an SVG document. */
export function renderChart(doc) {
  const order = new Map(SERVERS.map((s, i) => [s.id, i]));
  const ids = Object.keys(doc.results).sort((a, b) => order.get(a) - order.get(b));
  const scenarios = doc.config.scenarios;
  const parts = [];
  const top = 56;
  const panels = scenarios.map((s, i) => {
    const col = i % COLS;
    const row = Math.floor(i / COLS);
    return { s, col, row };
  });
  const heights = [];
  for (const p of panels) {
    heights[p.row] = Math.max(heights[p.row] ?? 0, panel(doc, p.s, ids, 0, 0).height);
  }
  const rowY = [];
  let yy = top;
  for (let r = 0; r < heights.length; r++) {
    rowY[r] = yy;
    yy += heights[r] + 12;
  }
  for (const p of panels) parts.push(panel(doc, p.s, ids, 10 + p.col * (PANEL_W + 12), rowY[p.row]).svg);

  const width = 10 + Math.min(COLS, Math.max(1, scenarios.length)) * (PANEL_W + 12);
  const legendY = yy + 6;
  const legend = Object.entries(COLORS).map(([rt, color], i) => {
    const lx = 10 + i * 110;
    return `<rect x="${lx}" y="${legendY}" width="14" height="12" fill="${color}"/>` +
      `<text x="${lx + 19}" y="${legendY + 10}" font-size="11">${rt}</text>`;
  });
  const m = doc.machine;
  const c = doc.config;
  const height = legendY + 40;
  const title = `ranged vs peers: ${c.mode} run, ${m.date.slice(0, 10)}, ${m.nproc} × ${m.cpu}; ` +
    `Node ${m.versions.node}, Deno ${m.versions.deno}, Bun ${m.versions.bun}, nginx ${m.versions.nginx}`;
  const note = `Solid bars: ranged; light bars: peers on the same runtime. Server on core 1, load on core 0. ` +
    `D ratio floor ${D_FLOOR_MIB} MiB. ⚠ = measurement flagged (see results.json).`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#f9fafb"/>`,
    `<text x="10" y="24" font-size="16" font-weight="bold">${esc(title)}</text>`,
    `<text x="10" y="44" font-size="11" fill="#374151">${esc(note)}</text>`,
    ...parts,
    ...legend,
    `<text x="${10 + 4 * 110}" y="${legendY + 10}" font-size="11" fill="#374151">` +
    `${esc(`command: ${doc.command}`)}</text>`,
    "</svg>",
    "",
  ].join("\n");
}
