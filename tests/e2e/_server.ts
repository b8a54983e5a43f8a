// Helpers for the end-to-end tests: start the CLI server on the runtime the
// test runs on (RANGED_TEST_RUNTIME, set by scripts/test.mjs), so that
// `node scripts/test.mjs --e2e` exercises the Deno, Node and Bun servers.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const SAMPLES = fileURLToPath(new URL("../../samples/", import.meta.url));

/** Fails (never skips) when a Debian binary the e2e tests need is missing, naming the packages to install. */
export function requireBinary(name: string, packages = "chromium ffmpeg curl"): void {
  const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  if (found.status !== 0 || !found.stdout.trim()) {
    assert.fail(`missing ${name}: apt-get install -y ${packages}`);
  }
}

function currentRuntime(): "deno" | "bun" | "node" {
  const env = process.env.RANGED_TEST_RUNTIME;
  if (env === "deno" || env === "bun" || env === "node") return env;
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  return g.Bun ? "bun" : g.Deno ? "deno" : "node";
}

/** A port nobody listens on right now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A CLI server child process and what it logged. */
export interface TestServer {
  runtime: string;
  url: string;
  /** Access-log lines: `METHOD PATH STATUS [range=...] [content-range=...]`. */
  log: string[];
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `cli.ts` on the test's runtime, serving `dir` on a free 127.0.0.1 port. */
export async function startServer(extra: string[] = [], dir = SAMPLES): Promise<TestServer> {
  const runtime = currentRuntime();
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  const port = await freePort();
  // One process unless a test asks for more: the live map these suites watch is drawn per worker
  // (tests/cli_workers.test.ts covers --workers).
  const workers = extra.includes("--workers") ? [] : ["--workers", "1"];
  const args = [dir, "--port", String(port), "--hostname", "127.0.0.1", ...workers, ...extra];
  const bin = (name: string) => `${REPO}node_modules/.bin/${name}`;
  const [cmd, argv] = runtime === "deno"
    ? [bin("deno"), ["run", "-A", "cli.ts", ...args]]
    : runtime === "bun"
    ? [bin("bun"), ["cli.ts", ...args]]
    // The Node line this test runs on (scripts/test.mjs runs node22, node24, node26), not the host's Node.
    : [g.Deno || g.Bun ? "node" : process.execPath, ["--import", "tsx", "cli.ts", ...args]];
  const child: ChildProcess = spawn(cmd, argv, { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  const log: string[] = [];
  let stderr = "";
  let buffered = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${runtime} server did not start: ${stderr}`)), 30_000);
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        log.push(line);
        if (line.includes(" at http://")) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    child.stderr!.on("data", (c) => (stderr += c));
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${runtime} server exited with ${code}: ${stderr}`));
    });
  });
  await ready;
  return {
    runtime,
    url: `http://127.0.0.1:${port}/`,
    log,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      // process.kill, not child.kill: Deno's node:child_process reports any
      // child it was asked to kill as killed by that signal, even when the
      // child handled it and exited 0 (seen with Deno 2.9.6).
      process.kill(child.pid!, "SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/**
 * Runs a command without blocking the event loop (the server's log must keep
 * flowing in meanwhile) and resolves with its exit status, stdout and stderr.
 */
export function run(
  cmd: string,
  args: string[],
  timeout = 120_000,
): Promise<{ status: number | null; stdout: Uint8Array; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    const out: Uint8Array[] = [];
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeout);
    child.stdout!.on("data", (c: Uint8Array) => out.push(c));
    child.stderr!.on("data", (c) => (stderr += c));
    child.once("error", reject);
    child.once("close", (status) => {
      clearTimeout(timer);
      const bytes = new Uint8Array(out.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of out) bytes.set(c, (at += c.length) - c.length);
      resolve({ status, stdout: bytes, stderr });
    });
  });
}

/** Waits until `check()` holds (the server's log arrives asynchronously), up to `ms`. */
export async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) return false;
    await sleep(50);
  }
  return true;
}

/** Access-log lines for one path that answered 206, with the first byte sent. */
export function partials(log: string[], path: string): number[] {
  return log
    .filter((l) => l.startsWith(`GET ${path}`) && / 206 /.test(l))
    .map((l) => Number(/content-range=bytes (\d+)-/.exec(l)?.[1] ?? NaN));
}
