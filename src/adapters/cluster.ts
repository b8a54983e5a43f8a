/**
 * Several server processes on one port, with each runtime's own mechanism:
 * `node:cluster` on Node (Node 20 has no `reusePort`; the primary hands
 * connections to the workers) and on Bun (whose cluster binds every worker
 * with `SO_REUSEPORT` on Linux; Bun's node:http ignores a `reusePort` listen
 * option, checked with Bun 1.4.4), and on Deno processes started with
 * `node:child_process` that bind with `Deno.serve({ reusePort: true })`
 * (Deno's node:cluster forks processes whose servers never answer, checked
 * with Deno 2.9.6).
 *
 * The primary serves nothing: it starts the workers, reports once, restarts
 * a worker that dies, and on shutdown stops them all and waits for them.
 * It never touches a request, so workers compose with anything in front
 * (see docs/SCALING.md).
 *
 * @module
 */

import cluster from "node:cluster";
import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import process from "node:process";
import { detectRuntime, type Listening } from "./listen.ts";

/** Set in a worker's environment: its number, 1 to N. */
const WORKER_ENV = "RANGED_WORKER";
/** Set in a worker's environment when it must bind the port the first worker got (`--port 0`). */
const PORT_ENV = "RANGED_WORKER_PORT";
/** How long a worker may take past the close grace before it is killed. */
const KILL_AFTER_MS = 5000;

/** What a worker process knows about itself. */
export interface WorkerRole {
  /** 1 to N. */
  readonly index: number;
  /** The port to bind instead of the one asked for, when the first worker chose it. */
  readonly port?: number;
}

/** The message a worker sends once its server listens. */
interface Ready {
  ranged: "ready";
  port: number;
  url: string;
}

/** Several workers on one port: a {@linkcode Listening} whose close stops them all. */
export interface WorkerPool extends Listening {
  /** Process ids of the running workers, in start order. */
  readonly pids: readonly number[];
}

/** One worker process as the primary sees it, whichever way it was started. */
interface WorkerHandle {
  readonly pid: number;
  readonly ready: Promise<Ready>;
  readonly exited: Promise<number | null>;
}

/**
 * Why this process cannot start workers, or undefined when it can: on
 * Deno, starting a process needs `--allow-run` (or `-A`).
 *
 * @example
 * ```ts ignore
 * const workers = workersUnavailable() === undefined ? defaultWorkers() : 1;
 * ```
 */
export function workersUnavailable(): string | undefined {
  if (detectRuntime() !== "deno") return undefined;
  const deno = (globalThis as unknown as { Deno: DenoPermissions }).Deno;
  const run = deno.permissions.querySync({ name: "run" }).state;
  return run === "granted" ? undefined : "on Deno, workers are processes: run with -A or --allow-run";
}

/**
 * One worker per core (what nginx's `worker_processes auto` does), or 1
 * where workers cannot be started.
 *
 * @example
 * ```ts ignore
 * console.log(defaultWorkers()); // 2 on a 2-core machine
 * ```
 */
export function defaultWorkers(): number {
  return workersUnavailable() === undefined ? availableParallelism() : 1;
}

/**
 * This process's place among workers: undefined in the primary or a plain
 * single-process server. A worker is only one that a primary started (a
 * cluster worker, or a child with an IPC channel), so the variable alone,
 * set by hand, changes nothing.
 *
 * @example
 * ```ts ignore
 * import { workerRole } from "./cluster.ts";
 * console.log(workerRole()?.index ?? "primary");
 * ```
 */
export function workerRole(): WorkerRole | undefined {
  const index = Number(process.env[WORKER_ENV]);
  const started = detectRuntime() === "deno" ? typeof process.send === "function" : cluster.isWorker;
  if (!started || !Number.isInteger(index) || index < 1) return undefined;
  const port = process.env[PORT_ENV] === undefined ? undefined : Number(process.env[PORT_ENV]);
  return { index, port };
}

/**
 * Whether the server of a worker must ask the OS to share its port
 * (Deno's `reusePort`); cluster workers share it through the cluster.
 *
 * @example
 * ```ts ignore
 * const server = await listen(handler, { port, reusePort: needsReusePort(workerRole()) });
 * ```
 */
export function needsReusePort(role: WorkerRole | undefined): boolean {
  return role !== undefined && detectRuntime() === "deno";
}

/**
 * In a worker: tells the primary the server listens (and on which port,
 * which the other workers then bind).
 *
 * @example
 * ```ts ignore
 * if (workerRole()) reportReady(await listen(handler, { port: 0 }));
 * ```
 */
export function reportReady(server: Listening): void {
  const ready: Ready = { ranged: "ready", port: server.port, url: server.url };
  process.send?.(ready);
}

/**
 * Resolves when the process should shut down. A single process or the
 * primary: on SIGINT or SIGTERM (a second one exits at once with 130). A
 * worker: on SIGTERM from the primary, or when the primary is gone (its IPC
 * channel closed); SIGINT from a terminal's Ctrl-C, which reaches the whole
 * process group, is the primary's to act on. Call it before announcing the
 * server: whoever reads the announcement may signal at once.
 *
 * @example
 * ```ts ignore
 * const stopped = untilStopped(workerRole());
 * const server = await listen(handler);
 * console.log(server.url);
 * await stopped;
 * await server.close();
 * ```
 */
export function untilStopped(role: WorkerRole | undefined): Promise<void> {
  // Listeners stay installed (not `once`): on Deno, removing the last one
  // restores the default action, and a repeated signal would kill the
  // process mid-shutdown.
  let stopping = false;
  return new Promise<void>((resolve) => {
    if (role) {
      process.on("SIGINT", () => {});
      process.on("SIGTERM", () => resolve());
      process.on("disconnect", () => resolve());
      return;
    }
    const onSignal = () => {
      if (stopping) process.exit(130);
      stopping = true;
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

/**
 * A worker that exited before it listened; it printed why on stderr.
 *
 * @example
 * ```ts ignore
 * try {
 *   await startWorkers(2);
 * } catch (err) {
 *   if (err instanceof WorkerStartError) process.exit(err.code);
 * }
 * ```
 */
export class WorkerStartError extends Error {
  /** The worker's exit code, to exit with. */
  readonly code: number;
  /** Creates the error for a worker that exited with `code`. */
  constructor(code: number | null) {
    super(`a worker exited with ${code} before listening`);
    this.code = code ?? 1;
  }
}

/**
 * Starts `count` workers running this same program with the same command
 * line: the first binds the port it names (0: any free one), the others
 * the port the first one bound. Resolves
 * once all listen; rejects with {@linkcode WorkerStartError} if one exits
 * first (the others are then stopped). A worker that dies later is
 * restarted.
 *
 * @example
 * ```ts ignore
 * import { startWorkers } from "./cluster.ts";
 * const pool = await startWorkers(2);
 * console.log(pool.url, pool.pids);
 * await pool.close();
 * ```
 */
export async function startWorkers(count: number): Promise<WorkerPool> {
  const live = new Map<number, WorkerHandle>();
  let closing = false;
  let restartPort: number | undefined; // where a restarted first worker binds
  const start = (index: number, fixed: number | undefined): WorkerHandle => {
    const worker = spawnWorker(index, fixed);
    live.set(index, worker);
    let listened = false;
    worker.ready.then(() => (listened = true));
    worker.exited.then((code) => {
      if (live.get(index) !== worker) return;
      live.delete(index);
      // One that never listened failed to start: starting it again would only fail again.
      if (closing || !listened) return;
      console.error(`ranged: worker ${index} (pid ${worker.pid}) exited with ${code}; starting another`);
      start(index, index === 1 ? restartPort : fixed);
    });
    return worker;
  };
  const stopAll = async (graceMs: number) => {
    closing = true;
    const all = [...live.values()];
    for (const w of all) signal(w.pid, "SIGTERM");
    const timer = setTimeout(() => all.forEach((w) => signal(w.pid, "SIGKILL")), graceMs + KILL_AFTER_MS);
    await Promise.all(all.map((w) => w.exited));
    clearTimeout(timer);
  };
  try {
    const first = await readyOrExit(start(1, undefined));
    // Node's cluster primary binds once per address and port asked for, so
    // the others ask for the same (possibly 0); reusePort workers bind
    // themselves and must name the port the first one got.
    const shared = detectRuntime() === "node" ? undefined : first.port;
    restartPort = shared;
    const rest = [];
    for (let i = 2; i <= count; i++) rest.push(readyOrExit(start(i, shared)));
    await Promise.all(rest);
    return {
      runtime: detectRuntime(),
      port: first.port,
      url: first.url,
      get pids() {
        return [...live.values()].map((w) => w.pid);
      },
      close: (graceMs = 2000) => stopAll(graceMs),
    };
  } catch (err) {
    await stopAll(0);
    throw err;
  }
}

function readyOrExit(worker: WorkerHandle): Promise<Ready> {
  return Promise.race([
    worker.ready,
    worker.exited.then((code) => Promise.reject(new WorkerStartError(code))),
  ]);
}

/** Starts worker `index` with the runtime's mechanism. */
function spawnWorker(index: number, port: number | undefined): WorkerHandle {
  const env: Record<string, string> = { [WORKER_ENV]: String(index) };
  if (port !== undefined) env[PORT_ENV] = String(port);
  if (detectRuntime() === "deno") {
    const [cmd, args] = denoCommand();
    const child = spawn(cmd, args, { stdio: ["ignore", "inherit", "inherit", "ipc"], env: { ...process.env, ...env } });
    return handleOf(child.pid!, child);
  }
  const worker = cluster.fork(env);
  return handleOf(worker.process.pid!, worker);
}

type Emitter = {
  on(event: "message", listener: (message: unknown) => void): unknown;
  once(event: "exit", listener: (code: number | null) => void): unknown;
};

function handleOf(pid: number, emitter: Emitter): WorkerHandle {
  const exited = new Promise<number | null>((resolve) => emitter.once("exit", resolve));
  const ready = new Promise<Ready>((resolve) =>
    emitter.on("message", (m) => {
      if ((m as Ready | null)?.ranged === "ready") resolve(m as Ready);
    })
  );
  return { pid, ready, exited };
}

/**
 * This Deno program again, with what a worker needs: `--unstable-net`
 * (Deno 2.9's `reusePort` is unstable) and the permissions this process was
 * granted, never more.
 */
function denoCommand(): [string, string[]] {
  const deno = (globalThis as unknown as { Deno: DenoPermissions }).Deno;
  const kinds = ["read", "write", "net", "env", "sys", "run", "ffi", "import"] as const;
  const granted = kinds.filter((name) => {
    try {
      return deno.permissions.querySync({ name }).state === "granted";
    } catch {
      return false; // a kind this Deno does not know
    }
  });
  const perms = granted.length === kinds.length ? ["-A"] : granted.map((k) => `--allow-${k}`);
  return [deno.execPath(), ["run", "--unstable-net", "--no-prompt", ...perms, deno.mainModule, ...deno.args]];
}

interface DenoPermissions {
  permissions: { querySync(d: { name: string }): { state: string } };
  execPath(): string;
  mainModule: string;
  args: string[];
}

/** process.kill that ignores a worker already gone. */
function signal(pid: number, name: "SIGTERM" | "SIGKILL"): void {
  try {
    process.kill(pid, name);
  } catch {
    // ESRCH: it exited meanwhile.
  }
}
