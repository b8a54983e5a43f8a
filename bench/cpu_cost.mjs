#!/usr/bin/env node
// CPU time per request, for a machine that is not quiet. Requests per second
// measure what a server gets of a shared CPU as much as what it needs; the
// CPU time its process group burns per answered request (utime + stime from
// /proc, over a wrk run of fixed length) is what it needs, and its ratio
// between two servers holds under load from others. Servers come from
// bench/servers.mjs, started as `npm run bench` starts them (pinned, fresh
// process per scenario, a warm-up before measuring).
//
//   node bench/cpu_cost.mjs --only node-stream,ranged-node-writer --scenario B,C [--seconds 5] [--rounds 3]
//
// Prints µs of server CPU per request (median of rounds) and each server's
// ratio to the first one listed. B: random 1 MiB ranges of bench/data/256m.bin;
// C: `bytes=0-1` probes. Traffic only to 127.0.0.1; writes nothing.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { SERVERS } from "./servers.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = dirname(here);
const dataDir = join(here, "data");
const { values: opt } = parseArgs({
  options: {
    only: { type: "string" },
    scenario: { type: "string", default: "B,C" },
    seconds: { type: "string", default: "5" },
    rounds: { type: "string", default: "3" },
    file: { type: "string", default: "256m.bin" },
  },
});
const ids = (opt.only ?? "node-stream,ranged-node,ranged-node-writer").split(",");
const servers = ids.map((id) => SERVERS.find((s) => s.id === id) ?? fail(`unknown server ${id}`));
const seconds = Number(opt.seconds);
const rounds = Number(opt.rounds);
const file = opt.file;
const bigPath = join(dataDir, file);
if (!existsSync(bigPath)) fail(`${bigPath} is missing: run npm run bench -- --quick once to generate it`);
const bigSize = statSync(bigPath).size;
const TICK_US = 1e6 / Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout || 100);

const SCENARIOS = {
  B: { script: "random_range.lua", env: { FILE_SIZE: String(bigSize), RANGE_BYTES: String(1024 * 1024) } },
  C: { script: "fixed_range.lua", env: { RANGE: "bytes=0-1" } },
};

function fail(message) {
  console.error(`cpu_cost: ${message}`);
  process.exit(2);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** utime + stime, in µs, of every process in the group `pgid`. */
function groupCpuUs(pgid) {
  let ticks = 0;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(f[2]) === pgid) ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // exited meanwhile
    }
  }
  return ticks * TICK_US;
}

function head(port) {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: `/${file}`, method: "HEAD" }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("error", reject);
    req.end();
  });
}

async function start(server) {
  const port = await freePort();
  const tmp = spawnSync("mktemp", ["-d"], { encoding: "utf8" }).stdout.trim();
  const [cmd, args] = server.command({ repo, dataDir, nginx: "/usr/sbin/nginx" }, port, tmp);
  const child = spawn("taskset", ["-c", "1", cmd, ...args], {
    cwd: repo,
    env: { ...process.env, ...server.env, PORT: String(port), ROOT: dataDir, NO_COLOR: "1" },
    detached: true,
    stdio: "ignore",
  });
  for (let i = 0; i < 600; i++) {
    if (await head(port).catch(() => 0)) break;
    await sleep(100);
  }
  const stop = async () => {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // gone
    }
    await sleep(300);
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // gone
    }
    spawnSync("rm", ["-rf", tmp]);
  };
  return { port, pgid: child.pid, stop };
}

function wrk(port, scenario, duration) {
  const { script, env } = SCENARIOS[scenario];
  const r = spawnSync("taskset", [
    "-c",
    "0",
    "wrk",
    "-t1",
    "-c64",
    `-d${duration}s`,
    "-s",
    join(here, "wrk", script),
    `http://127.0.0.1:${port}/${file}`,
  ], { env: { ...process.env, FILE_PATH: `/${file}`, ...env }, encoding: "utf8" });
  const line = r.stdout.split("\n").find((l) => l.startsWith("WRK_JSON "));
  if (!line) throw new Error(`wrk: ${r.stderr || r.stdout}`);
  const s = JSON.parse(line.slice(9));
  if (s.status > 0) throw new Error(`${s.status} non-2xx answers`);
  return s;
}

const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = {};
for (const scenario of opt.scenario.split(",")) {
  for (const server of servers) {
    const costs = [];
    for (let r = 0; r < rounds; r++) {
      const srv = await start(server);
      try {
        wrk(srv.port, scenario, 1); // warm-up: JIT, pools
        const before = groupCpuUs(srv.pgid);
        const s = wrk(srv.port, scenario, seconds);
        costs.push((groupCpuUs(srv.pgid) - before) / s.requests);
      } finally {
        await srv.stop();
      }
    }
    (results[scenario] ??= {})[server.id] = { usPerRequest: median(costs), rounds: costs };
  }
}
console.log(`server CPU µs per request (median of ${rounds}, wrk -c64 -d${seconds}s; lower is better)`);
for (const [scenario, rows] of Object.entries(results)) {
  const base = rows[servers[0].id].usPerRequest;
  for (const [id, r] of Object.entries(rows)) {
    const shown = r.rounds.map((x) => x.toFixed(0)).join(", ");
    console.log(
      `${scenario}  ${id.padEnd(24)} ${r.usPerRequest.toFixed(0).padStart(6)} µs  ` +
        `${(base / r.usPerRequest).toFixed(2)}× ${servers[0].id}'s req per CPU-second  [${shown}]`,
    );
  }
}
