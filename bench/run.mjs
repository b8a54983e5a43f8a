#!/usr/bin/env node
// The benchmark: starts each server on 127.0.0.1 pinned to core 1, loads it
// from core 0 (curl, wrk + Lua, bench/slow_readers.mjs), stops it, and
// reports every scenario as ratios to the same-runtime peers and to nginx.
//
//   npm run bench                                   full run, writes results, chart and README
//   npm run bench -- --quick                        about 2 minutes, writes only under bench/data/
//   npm run bench -- --only ranged-deno,nginx --scenario B,C   filtered, writes bench/data/filtered-results.json
//
// Run `npm run bench -- --help` for every option.
import { Buffer } from "node:buffer";
import { spawn, spawnSync } from "node:child_process";
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { open, readFile, writeFile } from "node:fs/promises";
import { Agent, request } from "node:http";
import { createServer } from "node:net";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { renderChart } from "./chart.mjs";
import { buildMediaReport, buildReport, updateReadme } from "./report.mjs";
import { NODE_LTS, SERVERS } from "./servers.mjs";
import { nodeBinary } from "../scripts/node_line.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = dirname(here);
const dataDir = join(here, "data");
const MiB = 1024 * 1024;
const SCENARIOS = ["A", "B", "C", "D", "E"];

const HELP = `usage: npm run bench -- [options]
  --quick              short run (~2 min): 256 MiB big file, wrk -d 1s, 1 run, 50 slow readers
  --only IDS           comma-separated server ids (see --list)
  --scenario LIST      comma-separated scenarios among A,B,C,D,E
  --runs N             runs per (server, scenario), median reported (default 3, quick 1)
  --duration S         seconds per wrk run (default 3, and 2 for each of E's two runs; quick 1)
  --warmup S           seconds of a discarded wrk run before B, C and each file of E, and a discarded
                       download before A's (default 2, quick 0)
  --readers N          slow readers in D (default 200, quick 50)
  --reader-client C    D's readers: curl (real curl processes with --limit-rate, default) or raw
                       (bench/slow_readers.mjs, raw sockets that stop reading when their budget is spent)
  --window S           seconds of slow-reader load before RSS is sampled (default 10, quick 2.5)
  --big-mib N          size of the big file in MiB (default 1024, quick 256)
  --no-media           skip the media figures (HLS and clips of a 2-hour film, bench/media_moov.ts)
  --media-only         only the media figures: no servers, prints them, writes nothing
  --write / --no-write write bench/results.json, bench/chart.svg and README (default: only full unfiltered runs)
  --list               list the servers and exit
  --render FILE        no measuring: re-render the report, chart and README from a results file
Scenarios: A one client downloads the big file (curl, GB/s); B 64 conns, random 1 MiB ranges (wrk, req/s);
C 64 conns, bytes=0-1 probes (req/s); D slow readers at 1 MiB/s each, RSS over idle (MiB);
E the same 1 MiB range from a 1 MiB and from the big file (req/s ratio).
Media (issues 13 and 14, bench/media_moov.ts, on the server's core): index + playlists / clip built on the first
request, bytes per sample, memory per moov byte, parses per file version, and a segment, a cached playlist and a
clip range as ratios to the plain file in the same run.`;

const { values: opt } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    scenario: { type: "string" },
    runs: { type: "string" },
    duration: { type: "string" },
    warmup: { type: "string" },
    readers: { type: "string" },
    "reader-client": { type: "string" },
    window: { type: "string" },
    "big-mib": { type: "string" },
    write: { type: "boolean" },
    "no-write": { type: "boolean" },
    "no-media": { type: "boolean", default: false },
    "media-only": { type: "boolean", default: false },
    list: { type: "boolean", default: false },
    render: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (opt.help) {
  console.log(HELP);
  process.exit(0);
}
if (opt.list) {
  for (const s of SERVERS) console.log(`${s.id.padEnd(16)} ${s.runtime.padEnd(6)} ${s.kind.padEnd(9)} ${s.about}`);
  process.exit(0);
}

const quick = opt.quick;
const config = {
  mode: quick ? "quick" : "full",
  runs: Number(opt.runs ?? (quick ? 1 : 3)),
  duration: Number(opt.duration ?? (quick ? 1 : 3)),
  // E makes two wrk runs per round (1 MiB file, big file): shorter ones keep the full run within 10 minutes.
  eDuration: Number(opt.duration ?? (quick ? 1 : 2)),
  // A fresh JIT server answers its first seconds of load 10-60% slower than its steady state (measured on the
  // node writer, B: 705-1821 req/s in the first 3 s, 1900-2290 after): without this, run 1 of 3 decides medians.
  warmup: Number(opt.warmup ?? (quick ? 0 : 2)),
  readers: Number(opt.readers ?? (quick ? 50 : 200)),
  readerRate: MiB,
  readerClient: opt["reader-client"] ?? "curl",
  window: Number(opt.window ?? (quick ? 2.5 : 10)),
  bigMiB: Number(opt["big-mib"] ?? (quick ? 256 : 1024)),
  connections: 64,
  rangeBytes: MiB,
};
const bigName = config.bigMiB % 1024 === 0 ? `${config.bigMiB / 1024}g.bin` : `${config.bigMiB}m.bin`;
const bigSize = config.bigMiB * MiB;
const smallName = "1m.bin";
const smallSize = MiB;

const ids = opt.only?.split(",").map((s) => s.trim()).filter(Boolean);
const unknown = ids?.filter((id) => !SERVERS.some((s) => s.id === id)) ?? [];
if (unknown.length > 0) {
  fail(`unknown server id(s): ${unknown.join(", ")}; known: ${SERVERS.map((s) => s.id).join(", ")}`);
}
const servers = ids ? SERVERS.filter((s) => ids.includes(s.id)) : SERVERS;
const scenarios = opt.scenario ? opt.scenario.toUpperCase().split(",").map((s) => s.trim()) : SCENARIOS;
const badScenario = scenarios.filter((s) => !SCENARIOS.includes(s));
if (!["curl", "raw"].includes(config.readerClient)) fail(`--reader-client is curl or raw, not ${config.readerClient}`);
if (badScenario.length > 0) fail(`unknown scenario(s): ${badScenario.join(", ")}; known: ${SCENARIOS.join(", ")}`);
const filtered = ids !== undefined || opt.scenario !== undefined;
// Only a full, unfiltered run may replace the committed results, chart and
// README section; a quick or filtered one writes under bench/data/ unless
// --write says otherwise (issue 17.7).
const write = opt["no-write"] ? false : opt.write ?? (!filtered && !quick);

function fail(message, code = 2) {
  console.error(`bench: ${message}`);
  process.exit(code);
}

// ---------------------------------------------------------------- tools

function which(name, extra = []) {
  for (const dir of [...(process.env.PATH ?? "").split(":"), ...extra]) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return null;
}

function checkTools() {
  const tools = {
    wrk: which("wrk"),
    nginx: which("nginx", ["/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin"]),
    curl: which("curl"),
    taskset: which("taskset"),
  };
  const packages = { wrk: "wrk", nginx: "nginx", curl: "curl", taskset: "util-linux" };
  const missing = Object.keys(tools).filter((t) => !tools[t]);
  if (missing.length > 0) {
    console.error(`bench: missing ${missing.join(", ")}. Install the Debian packages with:`);
    console.error(`  apt-get update && apt-get install -y ${missing.map((t) => packages[t]).join(" ")}`);
    console.error(`(all the benchmark needs: apt-get install -y wrk nginx curl)`);
    process.exit(2);
  }
  for (const name of ["deno", "bun"]) {
    if (!existsSync(join(repo, "node_modules", ".bin", name))) {
      fail(`node_modules/.bin/${name} is missing: run npm install`);
    }
  }
  for (const pkg of ["tsx", "express", "serve-static", "hono", "@hono/node-server"]) {
    if (!existsSync(join(repo, "node_modules", pkg, "package.json"))) {
      fail(`npm package ${pkg} is missing: run npm install`);
    }
  }
  return tools;
}

function firstLine(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return `${r.stdout ?? ""}${r.stderr ?? ""}`.split("\n").find((l) => l.trim())?.trim() ?? "?";
}

function pkgVersion(name) {
  try {
    return JSON.parse(readFileSync(join(repo, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return "?";
  }
}

function machineInfo(tools) {
  const cpuinfo = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? "?";
  return {
    date: new Date().toISOString(),
    nproc: Number(firstLine("nproc", ["--all"])) || cpus().length,
    cpu: model,
    memGiB: Math.round(totalmem() / 1024 ** 3),
    kernel: firstLine("uname", ["-r"]),
    versions: {
      node: process.version,
      [`node${NODE_LTS}`]: firstLine(nodeBinary(NODE_LTS), ["--version"]),
      deno: firstLine(join(repo, "node_modules", ".bin", "deno"), ["--version"]).split(" ")[1] ?? "?",
      bun: firstLine(join(repo, "node_modules", ".bin", "bun"), ["--version"]),
      nginx: firstLine(tools.nginx, ["-v"]).replace(/^nginx version: nginx\//, ""),
      wrk: firstLine(tools.wrk, ["-v"]).split(" ")[1]?.replace(/^debian\//, "") ?? "?",
      curl: firstLine(tools.curl, ["--version"]).split(" ")[1] ?? "?",
      express: pkgVersion("express"),
      "serve-static": pkgVersion("serve-static"),
      hono: pkgVersion("hono"),
      "@hono/node-server": pkgVersion("@hono/node-server"),
    },
  };
}

// ---------------------------------------------------------------- data

function ensureFile(name, size) {
  const path = join(dataDir, name);
  mkdirSync(dataDir, { recursive: true });
  if (existsSync(path) && statSync(path).size === size) return path;
  console.log(`bench: generating ${name} (${size / MiB} MiB of random bytes) in bench/data/`);
  const tmp = `${path}.tmp`;
  const r = spawnSync("dd", [
    "if=/dev/urandom",
    `of=${tmp}`,
    "bs=1M",
    `count=${size / MiB}`,
    "iflag=fullblock",
    "status=none",
  ]);
  if (r.status !== 0 || statSync(tmp).size !== size) fail(`could not write ${tmp}: ${r.stderr}`);
  renameSync(tmp, path);
  return path;
}

async function warmPageCache(path) {
  await new Promise((resolve, reject) => {
    createReadStream(path, { highWaterMark: 4 * MiB }).on("data", () => {}).on("end", resolve).on("error", reject);
  });
}

async function expectedBytes(path, start, end) {
  const fh = await open(path);
  try {
    const buf = Buffer.alloc(end - start + 1);
    await fh.read(buf, 0, buf.length, start);
    return buf;
  } finally {
    await fh.close();
  }
}

// ---------------------------------------------------------------- processes

const live = new Set();
process.on("exit", () => {
  for (const pgid of live) killGroup(pgid, "SIGKILL");
});
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    console.error(`\nbench: ${sig}, stopping servers`);
    process.exit(130);
  });
}

function killGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/** Pids whose process group is `pgid`, from /proc. */
function groupPids(pgid) {
  const pids = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && fields[0] !== "Z") pids.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Sum of VmRSS and VmHWM (MiB) over the server's process group. */
function groupMemory(pgid) {
  let rss = 0;
  let hwm = 0;
  for (const pid of groupPids(pgid)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      rss += Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
      hwm += Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
    } catch {
      // exited meanwhile
    }
  }
  return { rssMiB: rss / 1024, peakMiB: hwm / 1024 };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One HTTP exchange with a timeout; the body is collected up to `maxBody` bytes. */
function http(port, path, { method = "GET", headers = {}, timeoutMs = 10_000, maxBody = 4 * MiB, agent = false } = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method, headers, agent }, (res) => {
      const chunks = [];
      let size = 0;
      res.on("data", (c) => {
        size += c.length;
        if (size <= maxBody) chunks.push(c);
        else req.destroy(new Error(`body over ${maxBody} bytes`));
      });
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

async function startServer(server, ctx, label) {
  const port = await freePort();
  const dir = mkdtempSync(join(ctx.tmp, `${server.id}-${label}-`));
  const [cmd, args] = server.command(ctx, port, dir);
  const log = join(dir, "server.log");
  const fd = openSync(log, "w");
  const child = spawn("taskset", ["-c", ctx.serverCore, cmd, ...args], {
    cwd: repo,
    env: { ...process.env, ...server.env, PORT: String(port), ROOT: dataDir, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    detached: true,
    stdio: ["ignore", fd, fd],
  });
  const pgid = child.pid;
  live.add(pgid);
  let exited = null;
  const exit = new Promise((resolve) => child.on("exit", (code, signal) => resolve(exited = { code, signal })));
  const started = performance.now();
  while (true) {
    if (exited) throw new Error(`${server.id} exited (${JSON.stringify(exited)}) before it was ready:\n${tail(log)}`);
    try {
      await http(port, `/${smallName}`, { method: "HEAD", timeoutMs: 1000 });
      break;
    } catch {
      if (performance.now() - started > 30_000) {
        await stop();
        throw new Error(`${server.id} did not answer on port ${port} within 30 s:\n${tail(log)}`);
      }
      await sleep(50);
    }
  }
  async function stop() {
    killGroup(pgid, "SIGTERM");
    const done = await Promise.race([exit.then(() => true), sleep(3000).then(() => false)]);
    if (!done) killGroup(pgid, "SIGKILL");
    for (let i = 0; i < 40 && groupPids(pgid).length > 0; i++) {
      if (i === 20) killGroup(pgid, "SIGKILL");
      await sleep(50);
    }
    live.delete(pgid);
  }
  return { port, pgid, stop, startupMs: performance.now() - started, log };
}

function tail(path, lines = 15) {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/** Runs a load generator pinned to the load core; resolves with its stdout. */
function runLoad(ctx, cmd, args, { env = {}, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const child = spawn("taskset", ["-c", ctx.loadCore, cmd, ...args], {
      cwd: repo,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(" ")} failed (${code ?? signal}): ${err.trim() || out.trim()}`));
    });
  });
}

// ---------------------------------------------------------------- validation

async function validate(port) {
  const notes = [];
  const errors = [];
  const checks = [
    { name: smallName, size: smallSize, start: 12_345, end: 12_345 + 65_535 },
    { name: bigName, size: bigSize, start: bigSize - 300_007, end: bigSize - 8 },
    { name: bigName, size: bigSize, start: 0, end: 1 },
  ];
  for (const c of checks) {
    const what = `GET /${c.name} Range: bytes=${c.start}-${c.end}`;
    let res;
    try {
      res = await http(port, `/${c.name}`, { headers: { range: `bytes=${c.start}-${c.end}` } });
    } catch (err) {
      errors.push(`${what}: ${err.message}`);
      continue;
    }
    const want = `bytes ${c.start}-${c.end}/${c.size}`;
    if (res.status !== 206) errors.push(`${what}: status ${res.status}, want 206`);
    else if (res.headers["content-range"] !== want) {
      errors.push(`${what}: Content-Range ${JSON.stringify(res.headers["content-range"])}, want "${want}"`);
    } else if (!res.body.equals(await expectedBytes(join(dataDir, c.name), c.start, c.end))) {
      errors.push(`${what}: ${res.body.length} body bytes that differ from the file's`);
    } else if (res.headers["content-length"] !== String(c.end - c.start + 1)) {
      const framing = res.headers["transfer-encoding"]
        ? `Transfer-Encoding: ${res.headers["transfer-encoding"]}`
        : "none";
      const note = `206 without Content-Length (framing: ${framing})`;
      if (!notes.includes(note)) notes.push(note);
    }
  }
  return { ok: errors.length === 0, errors, notes };
}

// ---------------------------------------------------------------- scenarios

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function scenarioA(ctx, srv) {
  const runs = [];
  // With a warm-up, one download more whose figure is dropped (the first download of a fresh process is its slowest).
  for (let i = config.warmup > 0 ? -1 : 0; i < config.runs; i++) {
    const out = await runLoad(ctx, ctx.tools.curl, [
      "-s",
      "-o",
      "/dev/null",
      "--max-time",
      "120",
      "-w",
      "%{http_code} %{size_download} %{time_total}",
      `http://127.0.0.1:${srv.port}/${bigName}`,
    ], { timeoutMs: 130_000 });
    const [code, size, time] = out.trim().split(" ").map(Number);
    const ok = code === 200 && size === bigSize;
    runs.push({ status: code, bytes: size, seconds: time, gbps: ok ? size / time / 1e9 : null });
    if (!ok) return { value: null, unit: "GB/s", runs, error: `curl got ${code} with ${size} of ${bigSize} bytes` };
    if (i < 0) runs.pop();
  }
  return { value: median(runs.map((r) => r.gbps)), unit: "GB/s", runs };
}

function wrkArgs(srv, script, path, duration) {
  return [
    "-t1",
    `-c${config.connections}`,
    `-d${duration}s`,
    "--timeout",
    "10s",
    "-s",
    join(here, "wrk", script),
    `http://127.0.0.1:${srv.port}${path}`,
  ];
}

async function wrk(ctx, srv, script, path, env, bytesPerRequest, duration = config.duration) {
  const out = await runLoad(ctx, ctx.tools.wrk, wrkArgs(srv, script, path, duration), {
    env: { FILE_PATH: path, ...env },
    timeoutMs: (duration + 20) * 1000,
  });
  const line = out.split("\n").find((l) => l.startsWith("WRK_JSON "));
  if (!line) throw new Error(`wrk printed no summary:\n${out}`);
  const s = JSON.parse(line.slice("WRK_JSON ".length));
  const rps = s.requests / (s.duration_us / 1e6);
  const perRequest = s.requests > 0 ? s.bytes / s.requests : 0;
  const errors = s.connect + s.read + s.write + s.timeout;
  const problems = [];
  if (s.status > 0) problems.push(`${s.status} non-2xx/3xx responses`);
  if (errors > 0) problems.push(`${errors} socket errors`);
  if (s.requests === 0) problems.push("no request completed");
  else {
    // wrk also counts the bytes of the responses still in flight when it stops.
    const [min, max] = bytesPerRequest;
    const most = (max * (s.requests + config.connections)) / s.requests;
    if (perRequest < min || perRequest > most) {
      problems.push(`${Math.round(perRequest)} bytes per response, want ${min}..${max} (range ignored?)`);
    }
  }
  return {
    rps,
    requests: s.requests,
    bytesPerResponse: Math.round(perRequest),
    p50ms: s.p50_us / 1000,
    p99ms: s.p99_us / 1000,
    problems,
  };
}

/**
 * Warms a fresh server up (JIT, buffer pools) before wrk measures it:
 * `rounds` waves of `config.connections` concurrent requests like the
 * scenario's, through a keep-alive agent. Bounded by the request timeout.
 */
async function warmUp(srv, path, rangeFor, rounds = 2) {
  const agent = new Agent({ keepAlive: true, maxSockets: config.connections });
  try {
    for (let r = 0; r < rounds; r++) {
      await Promise.all(
        Array.from(
          { length: config.connections },
          () =>
            http(srv.port, path, { headers: { range: rangeFor() }, agent, maxBody: 2 * config.rangeBytes }).catch(
              () => {},
            ),
        ),
      );
    }
  } finally {
    agent.destroy();
  }
}

/**
 * A wrk run of the scenario's own load whose figures are thrown away, so the
 * runs that count meet a server at its steady state (JIT tiers, pools grown).
 */
async function wrkWarmUp(ctx, srv, script, path, env) {
  if (config.warmup > 0) await wrk(ctx, srv, script, path, env, [0, Infinity], config.warmup);
}

const randomRange = () => {
  const first = Math.floor(Math.random() * (bigSize - config.rangeBytes + 1));
  return `bytes=${first}-${first + config.rangeBytes - 1}`;
};

// A range response is the range plus headers (a few hundred bytes).
const rangeBounds = (n) => [n, n + 2048];

async function scenarioB(ctx, srv) {
  await warmUp(srv, `/${bigName}`, randomRange, 1);
  const env = { FILE_SIZE: String(bigSize), RANGE_BYTES: String(config.rangeBytes) };
  await wrkWarmUp(ctx, srv, "random_range.lua", `/${bigName}`, env);
  const runs = [];
  for (let i = 0; i < config.runs; i++) {
    runs.push(await wrk(ctx, srv, "random_range.lua", `/${bigName}`, env, rangeBounds(config.rangeBytes)));
  }
  return summarizeWrk(runs);
}

async function scenarioC(ctx, srv) {
  await warmUp(srv, `/${bigName}`, () => "bytes=0-1", 2);
  await wrkWarmUp(ctx, srv, "fixed_range.lua", `/${bigName}`, { RANGE: "bytes=0-1" });
  const runs = [];
  for (let i = 0; i < config.runs; i++) {
    runs.push(await wrk(ctx, srv, "fixed_range.lua", `/${bigName}`, { RANGE: "bytes=0-1" }, rangeBounds(2)));
  }
  return summarizeWrk(runs);
}

function summarizeWrk(runs) {
  const problems = [...new Set(runs.flatMap((r) => r.problems))];
  return {
    value: median(runs.map((r) => r.rps)),
    unit: "req/s",
    runs,
    ...(problems.length > 0 ? { error: problems.join("; ") } : {}),
  };
}

async function scenarioD(ctx, srv) {
  await sleep(300);
  const idle = groupMemory(srv.pgid).rssMiB;
  const driver = config.readerClient === "raw" ? ["slow_readers.mjs"] : ["curl_readers.mjs", "--curl", ctx.tools.curl];
  const client = runLoad(ctx, process.execPath, [
    join(here, driver[0]),
    ...driver.slice(1),
    "--port",
    String(srv.port),
    "--path",
    `/${bigName}`,
    "--clients",
    String(config.readers),
    "--rate",
    String(config.readerRate),
    "--seconds",
    String(config.window + 0.3),
  ], { timeoutMs: (config.window + 20) * 1000 });
  const started = performance.now();
  let max = idle;
  let loaded = idle;
  while (performance.now() - started < config.window * 1000) {
    await sleep(250);
    loaded = groupMemory(srv.pgid).rssMiB;
    max = Math.max(max, loaded);
  }
  const summary = JSON.parse((await client).trim().split("\n").pop());
  const problems = [];
  if (summary.connected < config.readers) problems.push(`${summary.connected}/${config.readers} readers connected`);
  const wrongStatus = Object.entries(summary.status).filter(([s]) => s !== "200");
  if (summary.responded < config.readers || wrongStatus.length > 0) {
    problems.push(`${summary.responded}/${config.readers} readers got a response (${JSON.stringify(summary.status)})`);
  }
  // Each reader should get close to its 1 MiB/s (less a little for start-up).
  if (summary.perClientBytesPerSec < config.readerRate * 0.75) {
    problems.push(`readers got ${(summary.perClientBytesPerSec / MiB).toFixed(2)} MiB/s each, want ~1`);
  }
  return {
    value: loaded - idle,
    unit: "MiB",
    idleMiB: idle,
    loadedMiB: loaded,
    maxMiB: max,
    readers: summary,
    ...(problems.length > 0 ? { error: problems.join("; ") } : {}),
  };
}

async function scenarioE(ctx, srv) {
  const small = [];
  const big = [];
  const env = { RANGE: `bytes=0-${config.rangeBytes - 1}` };
  await warmUp(srv, `/${smallName}`, () => env.RANGE, 1);
  await warmUp(srv, `/${bigName}`, () => env.RANGE, 1);
  await wrkWarmUp(ctx, srv, "fixed_range.lua", `/${smallName}`, env);
  await wrkWarmUp(ctx, srv, "fixed_range.lua", `/${bigName}`, env);
  for (let i = 0; i < config.runs; i++) {
    const bounds = rangeBounds(config.rangeBytes);
    small.push(await wrk(ctx, srv, "fixed_range.lua", `/${smallName}`, env, bounds, config.eDuration));
    big.push(await wrk(ctx, srv, "fixed_range.lua", `/${bigName}`, env, bounds, config.eDuration));
  }
  const s = median(small.map((r) => r.rps));
  const b = median(big.map((r) => r.rps));
  const problems = [...new Set([...small, ...big].flatMap((r) => r.problems))];
  return {
    value: s !== null && b ? s / b : null,
    unit: "ratio",
    smallRps: s,
    bigRps: b,
    runs: { small, big },
    ...(problems.length > 0 ? { error: problems.join("; ") } : {}),
  };
}

const RUNNERS = { A: scenarioA, B: scenarioB, C: scenarioC, D: scenarioD, E: scenarioE };

// ---------------------------------------------------------------- main

async function main() {
  if (opt["media-only"]) {
    const media = runMedia({ serverCore: cpus().length >= 2 ? "1" : "0" });
    console.log(`\n${buildMediaReport(media).console}`);
    return;
  }
  const tools = checkTools();
  const machine = machineInfo(tools);
  // The orchestrator itself stays off the server's core.
  spawnSync("taskset", ["-a", "-p", "-c", "0", String(process.pid)], { stdio: "ignore" });
  if (machine.nproc < 2) console.warn("bench: fewer than 2 cores: server and load generator share one");
  const ctx = {
    repo,
    dataDir,
    tools,
    nginx: tools.nginx,
    tmp: mkdtempSync(join(tmpdir(), "ranged-bench-")),
    serverCore: machine.nproc >= 2 ? "1" : "0",
    loadCore: "0",
  };
  ensureFile(smallName, smallSize);
  const bigPath = ensureFile(bigName, bigSize);
  await warmPageCache(bigPath);

  console.log(
    `bench: ${config.mode} mode, ${servers.length} server(s), scenarios ${scenarios.join("")}, ` +
      `${config.runs} run(s) each, wrk -d ${config.duration}s, big file ${bigName}, ${config.readers} slow readers`,
  );
  const results = {};
  const validation = {};
  const t0 = performance.now();
  for (const server of servers) {
    results[server.id] = {};
    for (const scenario of scenarios) {
      const clock = performance.now();
      let srv;
      try {
        srv = await startServer(server, ctx, scenario);
      } catch (err) {
        validation[server.id] ??= { ok: false, errors: [err.message], notes: [] };
        results[server.id][scenario] = { value: null, error: "did not start" };
        console.log(`  ${server.id.padEnd(16)} ${scenario}  did not start: ${err.message.split("\n")[0]}`);
        continue;
      }
      try {
        if (!validation[server.id]) {
          validation[server.id] = await validate(srv.port);
          const v = validation[server.id];
          if (!v.ok) console.log(`  ${server.id.padEnd(16)} FAILED validation: ${v.errors.join("; ")}`);
          for (const n of v.notes) console.log(`  ${server.id.padEnd(16)} note: ${n}`);
        }
        if (!validation[server.id].ok) {
          for (const s of scenarios) results[server.id][s] ??= { value: null, error: "failed validation" };
          break;
        }
        const r = await RUNNERS[scenario](ctx, srv);
        r.peakRssMiB = groupMemory(srv.pgid).peakMiB;
        r.startupMs = Math.round(srv.startupMs);
        results[server.id][scenario] = r;
        const shown = r.value === null ? "—" : `${fmt(r.value)} ${r.unit}`;
        const secs = ((performance.now() - clock) / 1000).toFixed(1);
        console.log(
          `  ${server.id.padEnd(16)} ${scenario}  ${shown.padEnd(16)} peak ${r.peakRssMiB.toFixed(0)} MiB  ` +
            `(${secs}s, start ${r.startupMs} ms)` +
            (r.error ? `  ! ${r.error}` : ""),
        );
      } catch (err) {
        results[server.id][scenario] = { value: null, error: err.message.split("\n")[0] };
        console.log(`  ${server.id.padEnd(16)} ${scenario}  error: ${err.message}\n${tail(srv.log, 5)}`);
      } finally {
        await srv.stop();
      }
    }
  }
  const media = opt["no-media"] ? undefined : runMedia(ctx);
  const elapsed = (performance.now() - t0) / 1000;

  const leftovers = spawnSync("pgrep", ["-f", "bench/servers|ranged-bench-"], { encoding: "utf8" }).stdout.trim();
  if (leftovers) console.warn(`bench: processes left behind: ${leftovers.split("\n").join(", ")}`);
  else rmSync(ctx.tmp, { recursive: true, force: true });

  const doc = {
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
    machine,
    config: { ...config, bigFile: bigName, scenarios, servers: servers.map((s) => s.id), seconds: Math.round(elapsed) },
    servers: Object.fromEntries(
      servers.map((s) => [s.id, { runtime: s.runtime, kind: s.kind, about: s.about, validation: validation[s.id] }]),
    ),
    results,
    ...(media ? { media } : {}),
  };
  await output(doc, `bench: ${Math.round(elapsed)} s`);
}

/**
 * The media figures (bench/media_moov.ts) from a fresh Node on the server's core, as the servers run: one JSON
 * line, or `{ error }` when it fails (the server figures are still reported).
 */
function runMedia(ctx) {
  const t = performance.now();
  const args = ["-c", ctx.serverCore, process.execPath, "--expose-gc", "--import", "tsx", "bench/media_moov.ts"];
  const r = spawnSync("taskset", quick ? [...args, "--quick"] : args, {
    cwd: repo,
    encoding: "utf8",
    timeout: 600_000,
  });
  const line = r.stdout?.trim().split("\n").at(-1) ?? "";
  let media;
  try {
    media = JSON.parse(line);
  } catch {
    media = { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split("\n")[0] };
  }
  console.log(
    `  media (HLS, clips) ${media.error ? `error: ${media.error}` : "done"} (${
      ((performance.now() - t) / 1000).toFixed(1)
    }s)`,
  );
  return media;
}

/** Prints the report and writes the result files (or the filtered ones under bench/data/). */
async function output(doc, footer) {
  const report = buildReport(doc);
  doc.targets = report.targets;
  if (doc.media) doc.mediaTargets = report.mediaTargets;
  console.log(`\n${report.console}`);
  if (footer) console.log(footer);

  const json = formatWithDeno(`${JSON.stringify(doc, null, 2)}\n`, "json");
  if (write) {
    await writeFile(join(here, "results.json"), json);
    await writeFile(join(here, "chart.svg"), formatWithDeno(renderChart(doc), "svg"));
    const readmePath = join(repo, "README.md");
    const readme = await readFile(readmePath, "utf8");
    const section = formatWithDeno(report.markdown, "md");
    await writeFile(readmePath, updateReadme(readme, section));
    console.log("bench: wrote bench/results.json, bench/chart.svg and the README's Performance section");
  } else {
    await writeFile(join(dataDir, "filtered-results.json"), json);
    await writeFile(join(dataDir, "filtered-chart.svg"), formatWithDeno(renderChart(doc), "svg"));
    console.log(
      "bench: wrote bench/data/filtered-results.json only (quick or filtered run, or --no-write; README untouched)",
    );
  }
}

function fmt(x) {
  if (x === null || x === undefined) return "—";
  const a = Math.abs(x);
  return a >= 1000 ? Math.round(x).toString() : a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** deno fmt over stdin, so generated files pass `deno fmt --check`. */
function formatWithDeno(text, ext) {
  const r = spawnSync(join(repo, "node_modules", ".bin", "deno"), ["fmt", `--ext=${ext}`, "-"], {
    input: text,
    encoding: "utf8",
    cwd: repo,
  });
  return r.status === 0 ? r.stdout : text;
}

if (opt.render) {
  // Re-renders the README section, the chart and the console report from a results file.
  await output(JSON.parse(await readFile(opt.render, "utf8")));
} else {
  await main();
}
