// Turns the measurements into ratios (to the best same-runtime peer and to
// nginx), checks the targets, and renders the tables for the console and
// for the README's Performance section.
import { CLI_TARGETS, E_TOLERANCE, PEER_TARGETS, RSS_TARGET_MIB, SERVERS } from "./servers.mjs";

export const START = "<!-- bench:start -->";
export const END = "<!-- bench:end -->";

export const SCENARIO_TITLES = {
  A: "A: one client, full download",
  B: "B: 64 conns, random 1 MiB ranges",
  C: "C: 64 conns, `bytes=0-1` probes",
  D: "D: slow readers, RSS over idle",
  E: "E: 1 MiB range, 1 MiB / big file",
};

/** D's ratio to nginx divides by nginx's growth, floored at 1 MiB so near-zero growth does not explode it. */
export const D_FLOOR_MIB = 1;

const order = new Map(SERVERS.map((s, i) => [s.id, i]));

/** The value of a measurement, or null when it is missing or failed. */
export function valueOf(doc, id, scenario) {
  const r = doc.results[id]?.[scenario];
  return r && r.value !== null && r.value !== undefined ? r.value : null;
}

/** The figure as a ratio to nginx's figure in the same scenario (null without one). */
export function nginxRatio(doc, id, scenario) {
  const v = valueOf(doc, id, scenario);
  const n = valueOf(doc, "nginx", scenario);
  if (v === null || n === null) return null;
  if (scenario === "D") return Math.max(v, 0) / Math.max(n, D_FLOOR_MIB);
  return n === 0 ? null : v / n;
}

function clean(doc, id, scenario) {
  const r = doc.results[id]?.[scenario];
  return r && !r.error && valueOf(doc, id, scenario) !== null;
}

/** Every target of every ranged server: met, missed, or n/a (not measured). */
export function computeTargets(doc) {
  const targets = [];
  const ids = Object.keys(doc.results).sort((a, b) => order.get(a) - order.get(b));
  for (const id of ids) {
    const s = doc.servers[id];
    if (s.kind !== "ranged") continue;
    const peers = ids.filter((p) => doc.servers[p].kind === "peer" && doc.servers[p].runtime === s.runtime);
    for (const scenario of ["A", "B", "C", "D", "E"]) {
      if (!(scenario in doc.results[id])) continue;
      const v = valueOf(doc, id, scenario);
      const flagged = doc.results[id][scenario].error;
      const t = { server: id, runtime: s.runtime, scenario, value: v, nginxRatio: nginxRatio(doc, id, scenario) };
      if (scenario === "A" || scenario === "B" || scenario === "C") {
        const best = bestOf(doc, peers, scenario);
        // The CLI is held to the best ranged handler server of its runtime; its peer ratio is shown beside.
        const cli = isCli(doc, id);
        const handlers = ids.filter((h) =>
          doc.servers[h].kind === "ranged" && !isCli(doc, h) && doc.servers[h].runtime === s.runtime
        );
        const against = cli ? bestOf(doc, handlers, scenario) : best;
        t.min = cli ? CLI_TARGETS[scenario] : PEER_TARGETS[s.runtime][scenario];
        t.goal = `≥ ${factor(t.min)}× the best ${s.runtime} ${cli ? "handler server" : "peer"}`;
        if (against) {
          t.peer = against;
          t.peerValue = valueOf(doc, against, scenario);
          t.ratio = v === null ? null : v / t.peerValue;
        }
        if (cli && best && v !== null) t.aside = { peer: best, ratio: v / valueOf(doc, best, scenario) };
        t.status = t.ratio === undefined || t.ratio === null ? "n/a" : t.ratio >= t.min ? "met" : "missed";
      } else if (scenario === "D") {
        t.goal = `≤ +${RSS_TARGET_MIB} MiB over idle`;
        t.status = v === null ? "n/a" : v <= RSS_TARGET_MIB ? "met" : "missed";
      } else {
        t.goal = `within ±${Math.round(E_TOLERANCE * 100)}%`;
        t.status = v === null ? "n/a" : Math.abs(v - 1) <= E_TOLERANCE ? "met" : "missed";
      }
      if (flagged && t.status === "met") t.status = "missed";
      if (flagged) t.flag = flagged;
      targets.push(t);
    }
  }
  return targets;
}

/** A target factor as the issue writes it: 1.0, 1.2, 0.95, 0.8. */
function factor(x) {
  return x.toFixed(Number.isInteger(x * 10) ? 1 : 2);
}

/** Whether `id` is the CLI's directory server (also for results recorded before the flag existed). */
function isCli(doc, id) {
  return Boolean(doc.servers[id].cli ?? SERVERS.find((x) => x.id === id)?.cli);
}

/** The server among `ids` with the highest clean figure in `scenario`. */
function bestOf(doc, ids, scenario) {
  return ids.filter((p) => clean(doc, p, scenario)).sort((a, b) =>
    valueOf(doc, b, scenario) - valueOf(doc, a, scenario)
  )[0];
}

export function fmt(x, digits) {
  if (x === null || x === undefined || !Number.isFinite(x)) return "—";
  if (digits !== undefined) return x.toFixed(digits);
  const a = Math.abs(x);
  return a >= 1000 ? Math.round(x).toString() : a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : x.toFixed(2);
}

function figure(doc, id, scenario) {
  const r = doc.results[id]?.[scenario];
  if (!r) return "";
  if (r.value === null || r.value === undefined) return r.error ? `failed (${r.error})` : "—";
  const v = r.value;
  let text;
  if (scenario === "A") text = `${fmt(v, 2)} GB/s`;
  else if (scenario === "B" || scenario === "C") text = `${fmt(v)} req/s`;
  else if (scenario === "D") text = `${v >= 0 ? "+" : ""}${fmt(v, 1)} MiB`;
  else text = `${fmt(v, 2)}`;
  const n = nginxRatio(doc, id, scenario);
  if (n !== null && id !== "nginx") text += ` (${fmt(n, 2)}× nginx)`;
  if (r.error) text += " ⚠";
  return text;
}

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length), 3));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}

function mark(status, plain) {
  if (plain) return status === "met" ? "met" : status === "missed" ? "MISSED" : "n/a";
  return status === "met" ? "✅ met" : status === "missed" ? "❌ missed" : "n/a";
}

function targetCell(t, plain) {
  if (t.scenario === "D" || t.scenario === "E") {
    const v = t.scenario === "D" ? `${t.value >= 0 ? "+" : ""}${fmt(t.value, 1)} MiB` : fmt(t.value, 2);
    return `${mark(t.status, plain)}: ${t.value === null ? "—" : v} (${t.goal})`;
  }
  if (t.peer === undefined) return `n/a: no ${t.runtime} ${t.aside === undefined ? "peer" : "handler server"} measured`;
  const aside = t.aside ? `; ${fmt(t.aside.ratio, 2)}× ${t.aside.peer}` : "";
  return `${mark(t.status, plain)}: ${fmt(t.ratio, 2)}× ${t.peer} (≥ ${factor(t.min)}×)${aside}`;
}

/** Tables and targets for the console and for README.md. */
export function buildReport(doc) {
  const targets = computeTargets(doc);
  const mediaReport = buildMediaReport(doc.media);
  const ids = Object.keys(doc.results).sort((a, b) => order.get(a) - order.get(b));
  const scenarios = doc.config.scenarios;
  const m = doc.machine;
  const c = doc.config;

  const main = (plain) =>
    table(
      ["server", "runtime", ...scenarios.map((s) => SCENARIO_TITLES[s])],
      ids.map((id) => [
        doc.servers[id].kind === "ranged" && !plain ? `**${id}**` : id,
        doc.servers[id].runtime,
        ...scenarios.map((s) => figure(doc, id, s)),
      ]),
    );
  const rangedIds = ids.filter((id) => doc.servers[id].kind === "ranged");
  const targetTable = (plain) =>
    table(
      ["ranged server", ...scenarios],
      rangedIds.map((id) => [
        id,
        ...scenarios.map((s) => {
          const t = targets.find((x) => x.server === id && x.scenario === s);
          return t ? targetCell(t, plain) : "";
        }),
      ]),
    );
  const peakTable = table(
    ["server", ...scenarios],
    ids.map((id) => [id, ...scenarios.map((s) => fmt(doc.results[id][s]?.peakRssMiB, 0))]),
  );
  const notes = [];
  for (const id of ids) {
    const v = doc.servers[id].validation;
    if (v && !v.ok) notes.push(`- ${id} failed validation, not measured: ${v.errors.join("; ")}`);
    for (const n of v?.notes ?? []) notes.push(`- ${id}: ${n}`);
    for (const s of scenarios) {
      const r = doc.results[id][s];
      if (r?.error && r.value !== null && r.value !== undefined) notes.push(`- ${id}, ${s} ⚠: ${r.error}`);
    }
  }
  const met = targets.filter((t) => t.status === "met").length;
  const missed = targets.filter((t) => t.status === "missed").length;

  const setup = `${c.mode} mode: ${c.runs} run(s) per (server, scenario), median; wrk -t1 -c${c.connections} ` +
    `-d${c.duration}s (E: -d${c.eDuration}s per file)${
      c.warmup > 0
        ? `, each B, C and E file after a discarded ${c.warmup} s wrk run of the same load, A after a discarded download`
        : ""
    }; big file ${c.bigFile}; D: ${c.readers} ` +
    `${
      c.readerClient === "raw" ? "raw-socket readers" : "curl readers (`--limit-rate 1M`)"
    } at 1 MiB/s, RSS sampled after ${c.window} s`;
  const lts = Object.entries(m.versions).filter(([k]) => /^node\d+$/.test(k)).map(([k, v]) => `${k}: Node ${v}, `);
  const machine = `${m.nproc} × ${m.cpu}, ${m.memGiB} GiB, Linux ${m.kernel}; node: Node ${m.versions.node}, ` +
    lts.join("") +
    `Deno ${m.versions.deno}, Bun ${m.versions.bun}, nginx ${m.versions.nginx}, wrk ${m.versions.wrk}, ` +
    `curl ${m.versions.curl}; ` +
    `${m.date.slice(0, 10)}`;

  const markdown = [
    `Measured by \`${doc.command}\` (${setup}). Each server runs pinned to core 1 (\`taskset -c 1\`), the load ` +
    `generator to core 0, and every (server, scenario) gets a fresh process. Machine: ${machine}.`,
    "",
    "Each figure, and in brackets its ratio to nginx (for D: to nginx's growth, at least 1 MiB). " +
    "Ranged servers in bold; the others are its peers on the same runtime. The runtime column says which Node " +
    "produced a row (`node` is the host's Node, `node26` the current LTS).",
    "",
    "nginx is the reference at its best for this load: `worker_processes 1; sendfile on; tcp_nopush off; " +
    "access_log off; keepalive_requests 1000000;` and a plain `location / { root bench/data; }` " +
    "(bench/servers/nginx.mjs writes the whole file).",
    "",
    main(false),
    "",
    `Targets: ranged against the best other server on the same runtime in A, B and C (Bun ≥ 1.0×, Deno and Node ≥ ` +
    `1.2×, Deno's A ≥ 1.0×: its peer sends through the same native path); the CLI's directory server (cli-*) ` +
    `against the best ranged handler server of its runtime, A and B ≥ ${CLI_TARGETS.A}×, C ≥ ${CLI_TARGETS.C}× ` +
    `(issue 11; its ratio to the best peer follows); ` +
    `D at most +${RSS_TARGET_MIB} MiB over idle; E within ±${Math.round(E_TOLERANCE * 100)}%. ` +
    `${met} met, ${missed} missed.`,
    "",
    targetTable(false),
    "",
    "Peak RSS of the server process per scenario (MiB):",
    "",
    peakTable,
    ...(notes.length > 0 ? ["", "Notes:", "", ...notes] : []),
    "",
    ...(doc.media ? [mediaReport.markdown, ""] : []),
    "![ranged and its peers per scenario, as a ratio to nginx](bench/chart.svg)",
    "",
    "Run it yourself: `npm install`, then `npm run bench` (about 10 minutes; `-- --quick` takes about 2, " +
    "`-- --only ranged-deno,nginx --scenario B` narrows it down). Needs `apt-get install -y wrk nginx curl`.",
  ].join("\n") + "\n";

  const consoleText = [
    `Results (${setup})`,
    main(true),
    "",
    `Targets (${met} met, ${missed} missed):`,
    targetTable(true),
    "",
    "Peak RSS per scenario (MiB):",
    peakTable,
    ...(notes.length > 0 ? ["", "Notes:", ...notes] : []),
    ...(doc.media ? ["", mediaReport.console] : []),
  ].join("\n");

  return { targets, markdown, console: consoleText, mediaTargets: mediaReport.targets };
}

/** The media figures' goals (issues 13 and 14): [issue, label, value of the media result, goal, met?, unit]. */
const MEDIA_GOALS = [
  ["#13 HLS", "index + playlists, first request", (m) => m.hls.msFirst, "≤ 150 ms", (v) => v <= 150, "ms"],
  ["#13 HLS", "index held per sample", (m) => m.hls.indexBytesPerSample, "≤ 32 bytes", (v) => v <= 32, "bytes"],
  ["#13 HLS", "moov reads after the first request", (m) => m.hls.moovReadsAfter, "0 (one parse)", (v) => v === 0, ""],
  ["#13 HLS", "segment / plain range of its size", (m) => m.hls.segmentRatio, "≤ 1.2×", (v) => v <= 1.2, "×"],
  ["#13 HLS", "cached playlist / small file", (m) => m.hls.playlistRatio, "≤ 1.2×", (v) => v <= 1.2, "×"],
  ["#14 clips", "index + clip, first request", (m) => m.clip.msFirst, "≤ 100 ms", (v) => v <= 100, "ms"],
  ["#14 clips", "memory held / moov", (m) => m.clip.heldPerMoov, "≤ 2×", (v) => v <= 2, "×"],
  [
    "#14 clips",
    "moov reads after the first request",
    (m) => m.clip.moovReadsAfter,
    "0 (one parse)",
    (v) => v === 0,
    "",
  ],
  ["#14 clips", "1 MiB range, cached clip / plain file", (m) => m.clip.rangeRatio, "≤ 1.2×", (v) => v <= 1.2, "×"],
];

/**
 * The media section (HLS and clips of a 2-hour film, bench/media_moov.ts): each figure against its goal, with the
 * CPU milliseconds beside the wall ones (a loaded machine inflates wall time far more).
 */
export function buildMediaReport(media) {
  if (!media || media.error) {
    const text = `Media figures not measured${media?.error ? `: ${media.error}` : ""}.`;
    return { targets: [], markdown: text, console: text };
  }
  const targets = MEDIA_GOALS.map(([issue, label, get, goal, ok, unit]) => {
    const value = get(media);
    return {
      issue,
      label,
      value,
      goal,
      unit,
      status: value === undefined || value === null ? "n/a" : ok(value) ? "met" : "missed",
    };
  });
  const cpu = {
    "index + playlists, first request": media.hls.cpuMsFirst,
    "index + clip, first request": media.clip.cpuMsFirst,
  };
  const shown = (t) => {
    const v = t.unit === "ms"
      ? `${fmt(t.value, 1)} ms (CPU ${fmt(cpu[t.label], 1)} ms)`
      : t.unit === ""
      ? `${t.value}`
      : `${fmt(t.value, 2)}${t.unit === "×" ? "×" : ` ${t.unit}`}`;
    return t.value === null || t.value === undefined ? "—" : v;
  };
  const rows = (plain) => targets.map((t) => [t.issue, t.label, shown(t), t.goal, mark(t.status, plain)]);
  const header = ["issue", "figure", "measured", "goal", "status"];
  const setup = `${media.runtime}, ${media.mode} mode: a synthetic 2-hour film (${media.samples} samples, ` +
    `${media.moovMiB} MiB moov), first requests a median of cold caches once the code is warm (a fresh ` +
    `process's very first HLS and clip requests took ${
      fmt(media.coldProcessMs, 0)
    } ms), ratios of the 10th percentiles of ` +
    `${media.requests} interleaved requests of each kind, one process on the server's core`;
  const markdown = [
    `Media (issues 13 and 14), measured by \`bench/media_moov.ts\` (${setup}). Index bytes per sample: ` +
    `${fmt(media.hls.indexBytesPerSample, 2)}; memory held once cached, measured (counted by the caches): ` +
    `${fmt(media.hls.heldPerMoov, 2)}× (${fmt(media.hls.countedPerMoov, 2)}×) the moov for HLS, ` +
    `${fmt(media.clip.heldPerMoov, 2)}× (${fmt(media.clip.countedPerMoov, 2)}×) for clips.`,
    "",
    table(header, rows(false)),
  ].join("\n");
  const consoleText = [`Media (${setup}):`, table(header, rows(true))].join("\n");
  return { targets, markdown, console: consoleText };
}

/** Replaces the text between the markers, or appends a Performance section that has them. */
export function updateReadme(readme, section) {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start !== -1 && end > start) {
    return `${readme.slice(0, start + START.length)}\n\n${section.trimEnd()}\n\n${readme.slice(end)}`;
  }
  return `${readme.trimEnd()}\n\n## Performance\n\n${START}\n\n${section.trimEnd()}\n\n${END}\n`;
}
