// Starts Debian's nginx as a child process with a config written to a temp
// dir (its own pid, logs, temp and cache paths), on a free 127.0.0.1 port.
// Missing nginx fails the test with the install command; it never skips.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { freePort } from "./_server.ts";
import { join } from "node:path";

export function requireNginx(): void {
  const found = spawnSync("sh", ["-c", "command -v nginx || ls /usr/sbin/nginx"], { encoding: "utf8" });
  if (found.status !== 0 || !found.stdout.trim()) {
    assert.fail("missing nginx (the origin and cache in these tests): apt-get install -y nginx");
  }
}

function nginxBinary(): string {
  const found = spawnSync("sh", ["-c", "command -v nginx"], { encoding: "utf8" });
  return found.stdout.trim() || "/usr/sbin/nginx";
}

export { freePort };

export interface Nginx {
  url: string;
  port: number;
  /** The temp dir: config, logs, cache. */
  dir: string;
  /** Lines of `<dir>/access.log` (format chosen by the config). */
  log(): string[];
  stop(): Promise<void>;
}

/**
 * Starts nginx. `http` is the inside of the `http {}` block; it gets the
 * port and the temp dir, and should log to `${dir}/access.log`.
 */
export async function startNginx(http: (port: number, dir: string) => string): Promise<Nginx> {
  requireNginx();
  const dir = mkdtempSync(join(tmpdir(), "ranged-nginx-"));
  for (const sub of ["tmp", "cache"]) mkdirSync(join(dir, sub));
  const port = await freePort();
  // As root, workers would switch to nobody and lose access to the 0700 temp dir.
  const user = process.getuid?.() === 0 ? "user root;" : "";
  const conf = `
${user}
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 512; }
http {
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  types {
    video/mp4 mp4;
    application/vnd.apple.mpegurl m3u8;
  }
  default_type application/octet-stream;
  sendfile on;
  ${http(port, dir)}
}
`;
  writeFileSync(join(dir, "nginx.conf"), conf);
  const child: ChildProcess = spawn(
    nginxBinary(),
    ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log"), "-g", "daemon off;"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr!.on("data", (c) => (stderr += c));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      let errors = "";
      try {
        errors = readFileSync(join(dir, "error.log"), "utf8");
      } catch { /* no log yet */ }
      throw new Error(`nginx did not start: ${stderr}\n${errors}\n${conf}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    log() {
      try {
        return readFileSync(join(dir, "access.log"), "utf8").split("\n").filter(Boolean);
      } catch {
        return [];
      }
    },
    async stop() {
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** nginx writes its access log after the response: wait until `n` lines match. */
export async function logLines(nginx: Nginx, match: (line: string) => boolean, n: number): Promise<string[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const lines = nginx.log().filter(match);
    if (lines.length >= n || Date.now() > deadline) return lines;
    await new Promise((r) => setTimeout(r, 20));
  }
}
