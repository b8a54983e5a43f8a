// Runs the CLI (cli.ts) as a child process on the runtime under test, the way
// a user starts it: `deno run -A cli.ts`, `bun cli.ts`, `node --import tsx cli.ts`.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runtime } from "./server.ts";

export const REPO: string = fileURLToPath(new URL("../../", import.meta.url));

/** What a finished child printed and how it exited. */
export interface Finished {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The local binary of a dev dependency (`deno`, `bun`). */
export const bin = (name: string): string => `${REPO}node_modules/.bin/${name}`;

/** The command line that starts cli.ts with `args` on `on` (default: the runtime under test). */
export function cliCommand(args: readonly string[], on = runtime): [string, string[]] {
  if (on === "deno") return [bin("deno"), ["run", "-A", "cli.ts", ...args]];
  if (on === "bun") return [bin("bun"), ["cli.ts", ...args]];
  return [process.execPath, ["--import", "tsx", "cli.ts", ...args]];
}

/**
 * Starts `cmd` in the repository; `finished` resolves when it exits.
 * `detached` makes it a process group leader, to stop it with its children
 * (`process.kill(-child.pid, signal)`).
 */
export function start(
  cmd: string,
  args: readonly string[],
  detached = false,
): { child: ChildProcess; finished: Promise<Finished> } {
  const child = spawn(cmd, args, { cwd: REPO, stdio: ["ignore", "pipe", "pipe"], detached });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  child.stdout!.on("data", (c: string) => (stdout += c));
  child.stderr!.on("data", (c: string) => (stderr += c));
  const finished = new Promise<Finished>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout, stderr }));
  });
  return { child, finished };
}

/** Runs cli.ts with `args` to the end (for runs that must exit by themselves). */
export function runCli(args: readonly string[]): Promise<Finished> {
  const [cmd, argv] = cliCommand(args);
  return start(cmd, argv).finished;
}

/** Resolves with the first stdout line matching `pattern` (rejects if the child exits first). */
export function waitForLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const onData = (c: string | Uint8Array) => {
      buffered += String(c);
      const line = buffered.split("\n").find((l) => pattern.test(l));
      if (line !== undefined) {
        child.stdout!.off("data", onData);
        resolve(line);
      }
    };
    child.stdout!.on("data", onData);
    child.once("close", (code) => reject(new Error(`exited with ${code} before printing ${pattern}: ${buffered}`)));
  });
}
