// Every server the benchmark runs: ranged on each runtime, the same-runtime
// peers it is compared with, and nginx as the reference. `command(ctx, port)`
// gives [binary, args]; the orchestrator runs it pinned with taskset.
import { join } from "node:path";
import process from "node:process";
import { nginxCommand } from "./servers/nginx.mjs";
import { nodeBinary } from "../scripts/node_line.mjs";

const bin = (ctx, name) => join(ctx.repo, "node_modules", ".bin", name);
const deno = (file) => (ctx) => [bin(ctx, "deno"), ["run", "-A", "--no-prompt", `bench/servers/${file}`]];
const bun = (file) => (ctx) => [bin(ctx, "bun"), [`bench/servers/${file}`]];
const node = (file, ts = false, line) => () => [
  line ? nodeBinary(line) : process.execPath,
  [...(ts ? ["--import", "tsx"] : []), `bench/servers/${file}`],
];
/** The CLI as users run it, with one worker: every server here is pinned to one core. */
const cliArgs = (ctx, port, { log = false } = {}) => [
  "cli.ts",
  ...(log ? [] : ["--quiet"]),
  "--workers",
  "1",
  "--port",
  `${port}`,
  ctx.dataDir,
];
/** The Node line the README calls current LTS: every Node server also runs on it (issue 16). */
export const NODE_LTS = 26;

/**
 * kind: "ranged" (measured against targets), "peer" (same-runtime
 * comparison), "reference" (nginx: every figure is also a ratio to it).
 */
export const SERVERS = [
  {
    id: "ranged-deno",
    runtime: "deno",
    kind: "ranged",
    about: "handleVideo + src/adapters/deno.ts on Deno.serve",
    command: deno("ranged_deno.ts"),
    env: { BENCH_ADAPTER: "deno" },
  },
  {
    id: "ranged-deno-fs",
    runtime: "deno",
    kind: "ranged",
    about: "handleVideo + src/adapters/fs.ts on Deno.serve",
    command: deno("ranged_deno.ts"),
    env: { BENCH_ADAPTER: "fs" },
  },
  {
    id: "ranged-bun",
    runtime: "bun",
    kind: "ranged",
    about: "handleVideo + src/adapters/bun.ts on Bun.serve",
    command: bun("ranged_bun.ts"),
  },
  {
    id: "ranged-node",
    runtime: "node",
    kind: "ranged",
    about: "handleVideo + src/adapters/fs.ts through toNodeListener on node:http",
    command: node("ranged_node.ts", true),
    nodeFile: ["ranged_node.ts", true],
  },
  {
    id: "ranged-node-writer",
    runtime: "node",
    kind: "ranged",
    about: "videoHandler (the node:http writer, no Fetch objects) + src/adapters/fs.ts",
    command: node("ranged_node_writer.ts", true),
    nodeFile: ["ranged_node_writer.ts", true],
  },
  {
    id: "cli-node",
    cli: true,
    runtime: "node",
    kind: "ranged",
    about:
      "the CLI's directory server as users run it, one worker like every server here (npm run serve:node -- --quiet --workers 1)",
    command: (
      ctx,
      port,
    ) => [process.execPath, ["--import", "tsx", ...cliArgs(ctx, port)]],
  },
  {
    id: "cli-node-log",
    cli: true,
    runtime: "node",
    kind: "ranged",
    about:
      "the CLI with its access log on (npm run serve:node -- --workers 1), to measure what the log costs beside cli-node",
    command: (
      ctx,
      port,
    ) => [process.execPath, ["--import", "tsx", ...cliArgs(ctx, port, { log: true })]],
  },
  {
    id: "cli-deno",
    cli: true,
    runtime: "deno",
    kind: "ranged",
    about: "the CLI's directory server, one worker (deno run -A cli.ts --quiet --workers 1)",
    command: (
      ctx,
      port,
    ) => [bin(ctx, "deno"), ["run", "-A", "--no-prompt", ...cliArgs(ctx, port)]],
  },
  {
    id: "cli-bun",
    cli: true,
    runtime: "bun",
    kind: "ranged",
    about: "the CLI's directory server, one worker (bun cli.ts --quiet --workers 1)",
    command: (
      ctx,
      port,
    ) => [bin(ctx, "bun"), cliArgs(ctx, port)],
  },
  {
    id: "deno-fsfile",
    runtime: "deno",
    kind: "peer",
    about: "Deno.serve returning FsFile.readable (seek + length limit)",
    command: deno("deno_fsfile.ts"),
  },
  {
    id: "bun-file",
    runtime: "bun",
    kind: "peer",
    about: "Bun.serve returning new Response(Bun.file(path))",
    command: bun("bun_file.ts"),
  },
  { id: "hono-bun", runtime: "bun", kind: "peer", about: "Hono serveStatic (hono/bun)", command: bun("hono_bun.ts") },
  {
    id: "node-stream",
    runtime: "node",
    kind: "peer",
    about: "node:http + fs.createReadStream({start, end}).pipe(res)",
    command: node("node_stream.mjs"),
    nodeFile: ["node_stream.mjs"],
  },
  {
    id: "express-static",
    runtime: "node",
    kind: "peer",
    about: "express 5 + serve-static",
    command: node("express_static.mjs"),
  },
  {
    id: "hono-node",
    runtime: "node",
    kind: "peer",
    about: "Hono serveStatic (@hono/node-server)",
    command: node("hono_node.mjs"),
  },
  {
    id: "nginx",
    runtime: "nginx",
    kind: "reference",
    about: "nginx at its best: 1 worker, sendfile on, tcp_nopush off (config in bench/servers/nginx.mjs)",
    command: (ctx, port, dir) => nginxCommand(ctx.nginx, dir, port, ctx.dataDir),
  },
];

// The Node servers once more on the current LTS, as runtime "node26", so
// each row says which Node produced it and ratios stay within one line.
for (const s of [...SERVERS]) {
  if (!s.nodeFile) continue;
  const [file, ts] = s.nodeFile;
  SERVERS.push({
    ...s,
    id: `${s.id}-${NODE_LTS}`,
    runtime: `node${NODE_LTS}`,
    about: `${s.about} (Node ${NODE_LTS})`,
    command: node(file, ts, NODE_LTS),
  });
}

/**
 * Targets for ranged against the best same-runtime peer, per runtime and
 * scenario (issue 11). Deno's A is 1.0×: its peer sends the file through the
 * same native FsFile path ranged does.
 */
export const PEER_TARGETS = {
  bun: { A: 1.0, B: 1.0, C: 1.0 },
  deno: { A: 1.0, B: 1.2, C: 1.2 },
  node: { A: 1.2, B: 1.2, C: 1.2 },
  [`node${NODE_LTS}`]: { A: 1.2, B: 1.2, C: 1.2 },
};
/**
 * Targets for the CLI's directory server against the best ranged handler
 * server of its runtime (the "that runtime's minimal handler
 * server"): what routing, the open-file cache and the log may cost.
 */
export const CLI_TARGETS = { A: 0.95, B: 0.95, C: 0.8 };
/** D: most RSS growth over idle, MiB. */
export const RSS_TARGET_MIB = 25;
/** E: the 1 MiB-file / 1 GiB-file req/s ratio must stay within 1 ± this. */
export const E_TOLERANCE = 0.1;
