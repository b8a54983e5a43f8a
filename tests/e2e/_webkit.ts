// Debian's WebKitGTK (the engine of Safari) driven over W3C WebDriver with
// plain fetch calls: Xvfb for a display, MiniBrowser started by us with
// --automation and its inspector on a port of ours, and WebKitWebDriver
// pointed at it with --target (letting the driver launch MiniBrowser hangs
// for 30 s here). H.264/AAC playback needs gstreamer1.0-libav.
import { type ChildProcess, spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "./_server.ts";

export const MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

/** A WebDriver session on MiniBrowser. */
export interface WebKit {
  /** Opens `url` in the session's window. */
  goto(url: string): Promise<void>;
  /** Runs `script` as a W3C async script: its last argument is the callback. */
  executeAsync<T>(script: string, args?: unknown[]): Promise<T>;
  /** Ends the session and every process this launcher started. */
  close(): Promise<void>;
}

/** Starts Xvfb, MiniBrowser and WebKitWebDriver, and opens a session. */
export async function launchWebKit(): Promise<WebKit> {
  const children: ChildProcess[] = [];
  const kill = () => children.forEach((c) => c.exitCode === null && c.kill("SIGKILL"));
  try {
    const xvfb = spawn("Xvfb", ["-displayfd", "1", "-screen", "0", "1280x720x24", "-nolisten", "tcp"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    children.push(xvfb);
    // -displayfd picks a free display and prints its number once it is ready.
    const display = await new Promise<string>((resolve, reject) => {
      xvfb.stdout!.once("data", (d) => resolve(String(d).trim()));
      xvfb.once("exit", (code) => reject(new Error(`Xvfb exited with ${code}`)));
    });
    const inspector = await freePort();
    children.push(spawn(MINIBROWSER, ["--automation"], {
      env: { ...process.env, DISPLAY: `:${display}`, WEBKIT_INSPECTOR_SERVER: `127.0.0.1:${inspector}` },
      stdio: "ignore",
    }));
    const port = await freePort();
    children.push(spawn("WebKitWebDriver", [`--port=${port}`, `--target=127.0.0.1:${inspector}`], { stdio: "ignore" }));
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = await res.json() as { value: unknown };
      if (!res.ok) throw new Error(`WebDriver ${method} ${path}: ${JSON.stringify(json.value)}`);
      return json.value;
    };
    // The driver and the browser's inspector take a moment to listen.
    let session: string | undefined;
    for (let attempt = 0; session === undefined; attempt++) {
      try {
        session = (await call("POST", "/session", { capabilities: {} }) as { sessionId: string }).sessionId;
      } catch (err) {
        if (attempt >= 60) throw err;
        await sleep(250);
      }
    }
    await call("POST", `/session/${session}/timeouts`, { script: 120_000, pageLoad: 60_000 });
    return {
      goto: async (url) => void await call("POST", `/session/${session}/url`, { url }),
      executeAsync: async <T>(script: string, args: unknown[] = []) =>
        await call("POST", `/session/${session}/execute/async`, { script, args }) as T,
      close: async () => {
        await call("DELETE", `/session/${session}`).catch(() => {});
        kill();
      },
    };
  } catch (err) {
    kill();
    throw err;
  }
}
