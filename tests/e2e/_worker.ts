// Starts examples/worker/serve.ts as a child process: Miniflare drives the
// real workerd binary from Node, whatever runtime runs the test file.
import { type ChildProcess, spawn } from "node:child_process";
import { REPO } from "./_server.ts";

/** A running example Worker: its base URL (no trailing slash) and a way to stop it. */
export interface WorkerProcess {
  readonly url: string;
  stop(): Promise<void>;
}

/** Serves `dir` from an R2 bucket on workerd with `examples/worker/serve.ts` and `args`, `env` added to ours. */
export async function startWorkerProcess(
  dir: string,
  port: number,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<WorkerProcess> {
  const child: ChildProcess = spawn("node", [
    "--import",
    "tsx",
    "examples/worker/serve.ts",
    dir,
    "--port",
    String(port),
    ...args,
  ], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output}`)), 60_000);
    const onData = (c: Buffer) => {
      output += c;
      const m = /worker at (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace(/\/$/, ""));
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`worker exited with ${code}:\n${output}`)));
  });
  return {
    url,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
