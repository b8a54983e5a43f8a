#!/usr/bin/env -S deno run -A
/**
 * Serve a folder of videos with range support, an index with a player per
 * file and a live map of the byte ranges sent, on Deno, Bun or Node.
 *
 * ```sh
 * deno run -A jsr:@ranged/video/cli [dir] [--port 8000] [--hostname 127.0.0.1] [--workers N]
 * bun cli.ts [dir] --port 8000
 * node --import tsx cli.ts [dir] --port 8000
 * ```
 *
 * Without a directory it serves the bundled `samples/` folder.
 *
 * @example
 * ```sh
 * deno run -A jsr:@ranged/video/cli ./videos --port 8080 --hostname 0.0.0.0
 * ```
 *
 * @module
 */

import { mkdir, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  defaultWorkers,
  needsReusePort,
  reportReady,
  startWorkers,
  untilStopped,
  workerRole,
  WorkerStartError,
  workersUnavailable,
} from "./src/adapters/cluster.ts";
import { listen, type Listening } from "./src/adapters/listen.ts";
import { serveDir } from "./src/adapters/serve.ts";
import { MIN_SECRET_BYTES, signUrl } from "./src/access/signed_url.ts";
import { accessLog } from "./src/adapters/access_log.ts";
import { portableDirFs } from "./src/adapters/fs_dir.ts";

const USAGE = `Usage: ranged [dir] [options]

Serves dir (default: the bundled samples) with byte ranges, an index page
with a player per media file, and a live map of the ranges sent.

Options:
  -p, --port N         port to listen on (default 8000; 0 = any free port)
  -H, --hostname H     interface to bind (default 127.0.0.1; 0.0.0.0 for all)
  -w, --workers N      server processes sharing the port (default: one per
                       core; 1 = a single process); the live map then sees
                       only the ranges its own worker sent
      --throttle RATE  send each file response at about RATE bytes/s (e.g. 200k,
                       1m) to watch seeking fetch ranges as on a slow network
      --dotfiles       serve files whose names start with a dot
      --no-faststart   serve MP4s with moov at the end as they are on disk
                       (default: rewritten to faststart layout on the fly)
      --no-hls         no HLS views (default: FILE.mp4/master.m3u8 for every
                       MP4, DIR/master.m3u8 for a folder of renditions)
      --no-clip        no time-seek clips (default: FILE.mp4?start=12.5&end=30
                       answers that part of the file as a small MP4)
      --signed         require signed, expiring URLs (403 otherwise); the
                       secrets come from the environment variable
                       RANGED_URL_SECRETS (never the command line, which other
                       users can read): one or more, comma-separated, the first
                       signs; prints a link to the whole folder at start
      --link-ttl SECS  how long the printed link works (default 3600)
      --file-cache MS  how long an opened file, its real path and stat are
                       reused by every request (default 1000; 0 = off): a
                       replaced or deleted file shows within that time
  -q, --quiet          no access log
  -h, --help           this help`;

/** The samples shipped next to this file; names must match samples/. */
const SAMPLES = ["testsrc-faststart.mp4", "testsrc-moov-at-end.mp4"];

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: {
        port: { type: "string", short: "p", default: "8000" },
        hostname: { type: "string", short: "H", default: "127.0.0.1" },
        workers: { type: "string", short: "w" },
        throttle: { type: "string" },
        dotfiles: { type: "boolean", default: false },
        "no-faststart": { type: "boolean", default: false },
        "no-hls": { type: "boolean", default: false },
        "no-clip": { type: "boolean", default: false },
        signed: { type: "boolean", default: false },
        "link-ttl": { type: "string", default: "3600" },
        "file-cache": { type: "string", default: "1000" },
        quiet: { type: "boolean", short: "q", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    return usageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = parsePort(values.port);
  if (port === null) {
    return usageError(`bad --port ${JSON.stringify(values.port)}: expected a whole number from 0 to 65535`);
  }
  const workers = values.workers === undefined ? defaultWorkers() : parseCount(values.workers);
  if (workers === null) {
    return usageError(
      `bad --workers ${JSON.stringify(values.workers)}: expected a whole number from 1 to ${MAX_WORKERS}`,
    );
  }
  const unavailable = workers > 1 ? workersUnavailable() : undefined;
  if (unavailable) return usageError(`--workers ${workers}: ${unavailable}`);
  if (positionals.length > 1) {
    return usageError(`one directory at most, got ${positionals.length}: ${positionals.join(" ")}`);
  }
  const throttle = values.throttle === undefined ? undefined : parseRate(values.throttle);
  if (throttle === null) {
    console.error(`ranged: bad --throttle ${values.throttle} (expected e.g. 200k or 1m)`);
    return 2;
  }
  const linkTtl = Number(values["link-ttl"]);
  if (!Number.isInteger(linkTtl) || linkTtl <= 0) {
    return usageError(`bad --link-ttl ${values["link-ttl"]}: expected whole seconds`);
  }
  const openFileCacheMs = Number(values["file-cache"]);
  if (!/^\d+$/.test(values["file-cache"])) {
    return usageError(`bad --file-cache ${values["file-cache"]}: expected whole milliseconds (0 = off)`);
  }
  const secrets = values.signed ? secretsFromEnv(process.env[SECRETS_ENV]) : undefined;
  if (typeof secrets === "string") {
    return usageError(`--signed: ${secrets}`);
  }
  const dir = positionals[0] ?? await samplesDir();
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) {
    console.error(`ranged: not a directory: ${dir}`);
    return 1;
  }

  const role = workerRole();
  // Listening for signals before the banner: whoever reads it may signal at once.
  const stopped = untilStopped(role);
  let server: Listening;
  try {
    server = role === undefined && workers > 1 ? await startWorkers(workers) : await serveHere({
      dir,
      hostname: values.hostname,
      port: role?.port ?? port,
      reusePort: needsReusePort(role),
      quiet: values.quiet,
      dotfiles: values.dotfiles,
      throttle,
      faststart: !values["no-faststart"],
      hls: !values["no-hls"],
      clip: !values["no-clip"],
      secrets,
      openFileCacheMs,
    });
  } catch (err) {
    if (err instanceof WorkerStartError) return err.code; // the worker said why on stderr
    console.error(`ranged: ${listenFailure(err, values.hostname, role?.port ?? port)}`);
    return 1;
  }
  if (role) {
    reportReady(server);
  } else {
    console.log(`ranged (${server.runtime}): serving ${dir} at ${server.url}`);
    if ("pids" in server) console.log(`ranged: ${workers} workers, pids ${(server.pids as number[]).join(" ")}`);
  }
  if (secrets && !role) {
    const link = await signUrl("/", { secrets, expires: Date.now() + linkTtl * 1000, scope: "/" });
    console.log(`ranged: signed URLs required; the whole folder for ${linkTtl} s: ${new URL(link, server.url)}`);
  }

  await stopped;
  if (!role) console.log("ranged: shutting down");
  await server.close();
  return 0;
}

/** What {@linkcode serveHere} serves and how, from the command line. */
interface ServeSettings {
  dir: string;
  hostname: string;
  port: number;
  reusePort: boolean;
  quiet: boolean;
  dotfiles: boolean;
  throttle?: number;
  faststart: boolean;
  hls: boolean;
  clip: boolean;
  secrets?: string[];
  openFileCacheMs?: number;
}

/** The directory server in this process; its close also ends the live-map event streams. */
async function serveHere(s: ServeSettings): Promise<Listening> {
  const shutdown = new AbortController();
  const handler = serveDir(s.dir, {
    signal: shutdown.signal,
    dotfiles: s.dotfiles,
    throttle: s.throttle,
    faststart: s.faststart,
    hls: s.hls,
    clip: s.clip,
    signedUrls: s.secrets ? { secrets: s.secrets } : undefined,
    // Bun answers through node:http, whose writer reads: pread beats Blob reads there (730–860 vs 200–280 MB/s).
    fs: "Bun" in globalThis ? portableDirFs : undefined,
    openFileCacheMs: s.openFileCacheMs,
  });
  const log = s.quiet ? undefined : accessLog();
  const server = await listen(handler, { port: s.port, hostname: s.hostname, reusePort: s.reusePort, log });
  return {
    ...server,
    close: async (graceMs?: number) => {
      shutdown.abort(); // the event streams would otherwise never finish
      await server.close(graceMs);
      await log?.close();
    },
  };
}

/** The environment variable holding the secrets of `--signed`. */
const SECRETS_ENV = "RANGED_URL_SECRETS";

/** The secrets of `--signed`, or why they are unusable. */
function secretsFromEnv(value: string | undefined): string[] | string {
  const secrets = (value ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (secrets.length === 0) return `set ${SECRETS_ENV} to one or more comma-separated secrets`;
  const short = secrets.findIndex((s) => new TextEncoder().encode(s).length < MIN_SECRET_BYTES);
  if (short >= 0) return `secret ${short + 1} of ${SECRETS_ENV} is shorter than ${MIN_SECRET_BYTES} bytes`;
  return secrets;
}

/** A new user's mistake: one line saying what is wrong (no stack, no wall of usage), exit code 2. */
function usageError(what: string): number {
  console.error(`ranged: ${what.replace(/\s*\n\s*/g, " ")} (ranged --help lists the options)`);
  return 2;
}

/** More processes than this is a typo, not a plan (nginx's own examples stop far below). */
const MAX_WORKERS = 256;

/** `4` → 4; null unless a whole number from 1 to {@linkcode MAX_WORKERS}. */
function parseCount(text: string): number | null {
  return /^\d{1,3}$/.test(text) && Number(text) >= 1 && Number(text) <= MAX_WORKERS ? Number(text) : null;
}

/** `8080` → 8080; null unless a whole number in 0–65535 (`Number("")` is 0, `Number("1e3")` 1000: both refused). */
function parsePort(text: string): number | null {
  return /^\d{1,5}$/.test(text) && Number(text) <= 65535 ? Number(text) : null;
}

/**
 * Why the server could not start, in one line. Deno, Bun and Node all set a
 * Node-style `code` on these errors (Deno and Bun checked: AddrInUse has
 * `code: "EADDRINUSE"`); anything else keeps the runtime's own message.
 */
function listenFailure(err: unknown, hostname: string, port: number): string {
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (code === "EADDRINUSE") {
    return `port ${port} on ${hostname} is already in use: pick another with --port N (--port 0: any free port)`;
  }
  if (code === "EACCES") return `no permission to listen on port ${port} (ports below 1024 need privileges)`;
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || /lookup/i.test(String(message))) {
    return `cannot listen on ${hostname}: not an address of this machine (--hostname 127.0.0.1 or 0.0.0.0)`;
  }
  return `cannot listen on ${hostname}:${port}: ${String(message ?? err).split("\n")[0]}`;
}

/** `200k` → 204800 bytes/s; null when malformed. */
function parseRate(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]) * (m[2].toLowerCase() === "k" ? 1024 : m[2].toLowerCase() === "m" ? 1024 * 1024 : 1);
  return n > 0 ? n : null;
}

/**
 * The bundled samples as a local folder. From a checkout (or an npm/deno
 * cache on disk) that is the folder itself; when this module runs from a
 * URL (`jsr:`), the few files are fetched once into a temporary folder.
 */
async function samplesDir(): Promise<string> {
  const url = new URL("./samples/", import.meta.url);
  if (url.protocol === "file:") return fileURLToPath(url);
  const dir = join(tmpdir(), `ranged-samples-${encodeURIComponent(url.pathname).slice(-80)}`);
  await mkdir(dir, { recursive: true });
  for (const name of SAMPLES) {
    const target = join(dir, name);
    if (await stat(target).then(() => true, () => false)) continue;
    const res = await fetch(new URL(name, url));
    if (!res.ok) throw new Error(`cannot fetch sample ${name}: ${res.status}`);
    await writeFile(target, new Uint8Array(await res.arrayBuffer()));
  }
  return dir;
}

if (import.meta.main ?? process.argv[1] === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
