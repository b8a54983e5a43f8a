// `--workers N`: several processes answer on one port, the banner prints
// once, and a signal to the CLI stops every worker (no orphans). Which
// process answered a connection is read from Linux's /proc (the socket's
// inode among each worker's fds), so responses carry no debug header.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { bin, cliCommand, type Finished, start, waitForLine } from "./helpers/cli.ts";
import { runtime } from "./helpers/server.ts";
import type { ChildProcess } from "node:child_process";

/** Connections opened: with SO_REUSEPORT hashing, all 16 on one of 2 workers has odds 2^-15. */
const CONNECTIONS = 16;

/** Waits until stdout has the banner and the workers line; returns the URL and the worker pids. */
function started(child: ChildProcess): Promise<{ url: string; pids: number[]; lines: string[] }> {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c: string | Uint8Array) => {
      out += String(c);
      const url = / at (http:\S+)/.exec(out)?.[1];
      const pids = /workers, pids ([\d ]+)\n/.exec(out)?.[1];
      if (url && pids) resolve({ url, pids: pids.trim().split(" ").map(Number), lines: out.split("\n") });
    });
    child.once("close", (code) => reject(new Error(`exited with ${code} before listening: ${out}`)));
  });
}

/** An open keep-alive connection that got the answer to a range request; resolves with it and the body. */
function ask(port: number): Promise<{ socket: Socket; response: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let response = "";
    socket.setEncoding("latin1");
    socket.on("error", reject);
    socket.on("data", (c: string) => {
      response += c;
      if (response.endsWith("ftyp")) resolve({ socket, response });
    });
    socket.write("GET /testsrc-faststart.mp4 HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=4-7\r\n\r\n");
  });
}

/** The inode of the server side of the TCP connection `serverPort` ↔ `clientPort`, from /proc/net/tcp. */
function serverInode(serverPort: number, clientPort: number): string | undefined {
  const hex = (p: number) => p.toString(16).toUpperCase().padStart(4, "0");
  for (const row of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const f = row.trim().split(/\s+/);
    if (f[1]?.endsWith(`:${hex(serverPort)}`) && f[2]?.endsWith(`:${hex(clientPort)}`)) return f[9];
  }
  return undefined;
}

/** The process among `pids` holding socket `inode`. */
function ownerOf(inode: string, pids: number[]): number | undefined {
  return pids.find((pid) =>
    readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`;
      } catch {
        return false; // closed meanwhile
      }
    })
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls until none of `pids` is alive (the caller's test timeout bounds it); returns those still alive after `tries`. */
async function gone(pids: number[], tries = 200): Promise<number[]> {
  for (let i = 0; i < tries && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
  return pids.filter(alive);
}

/** Runs the CLI with two workers, hands `body` its URL and pids; `body` ends by signalling the CLI. */
async function withWorkers(
  body: (s: { url: string; pids: number[]; lines: string[]; child: ChildProcess }) => void | Promise<void>,
): Promise<Finished> {
  const [cmd, args] = cliCommand(["--port", "0", "--workers", "2", "--quiet"]);
  const { child, finished } = start(cmd, args);
  try {
    await body({ ...(await started(child)), child });
  } catch (err) {
    // The body signals the CLI itself when it succeeds; a second signal would make it exit 130.
    if (child.exitCode === null) process.kill(child.pid!, "SIGTERM");
    throw err;
  }
  return finished;
}

test(`cli workers (${runtime}): --workers 2 answers from two processes; SIGTERM stops both, exit 0`, async () => {
  let pids: number[] = [];
  const { status, stderr, stdout } = await withWorkers(async (s) => {
    pids = s.pids;
    assert.equal(pids.length, 2, `two worker pids: ${s.lines.join("\n")}`);
    assert.ok(!pids.includes(s.child.pid!), "the workers are not the CLI process itself");
    const port = Number(new URL(s.url).port);
    const open = await Promise.all(Array.from({ length: CONNECTIONS }, () => ask(port)));
    try {
      for (const { response } of open) assert.match(response, /^HTTP\/1\.1 206 [^]*\r\n\r\nftyp$/, response);
      const owners = open.map(({ socket }) => {
        const inode = serverInode(port, socket.localPort!);
        assert.ok(inode, `the connection from port ${socket.localPort} is in /proc/net/tcp`);
        return ownerOf(inode, pids);
      });
      assert.ok(owners.every((o) => o !== undefined), `every connection is held by a worker: ${owners}`);
      assert.deepEqual(new Set(owners), new Set(pids), `both workers answered: ${owners}`);
    } finally {
      for (const { socket } of open) socket.destroy();
    }
    process.kill(s.child.pid!, "SIGTERM");
  });
  assert.equal(status, 0, `the CLI exits 0 on SIGTERM; stderr: ${stderr}`);
  assert.equal(stdout.split("\n").filter((l) => / at http:/.test(l)).length, 1, `the banner prints once:\n${stdout}`);
  assert.deepEqual(await gone(pids), [], "no worker outlives the CLI");
});

test(`cli workers (${runtime}): SIGINT to the CLI stops the workers too, exit 0`, async () => {
  let pids: number[] = [];
  const { status, stderr } = await withWorkers((s) => {
    pids = s.pids;
    process.kill(s.child.pid!, "SIGINT");
  });
  assert.equal(status, 0, `exit 0 on SIGINT; stderr: ${stderr}`);
  assert.deepEqual(await gone(pids), [], "no worker outlives the CLI");
});

test(`cli workers (${runtime}): a CLI killed outright leaves no worker behind`, async () => {
  let pids: number[] = [];
  await withWorkers((s) => {
    pids = s.pids;
    process.kill(s.child.pid!, "SIGKILL");
  });
  // The workers notice their IPC channel to the CLI closed and shut down.
  assert.deepEqual(await gone(pids), [], "workers exit when the CLI is gone");
});

for (const bad of ["0", "-1", "abc", "1.5", "257"]) {
  test(`cli workers (${runtime}): --workers ${bad} is one line on stderr and exit 2`, async () => {
    const [cmd, args] = cliCommand([`--workers=${bad}`]);
    const r = await start(cmd, args).finished;
    assert.equal(r.status, 2, `exit status; stderr: ${r.stderr}`);
    assert.deepEqual(r.stderr.trim().split("\n"), [
      `ranged: bad --workers ${
        JSON.stringify(bad)
      }: expected a whole number from 1 to 256 (ranged --help lists the options)`,
    ]);
  });
}

test(`cli workers (${runtime}): Deno without --allow-run serves in one process, and refuses --workers 2 in one line`, async () => {
  const perms = ["run", "--no-prompt", "--allow-read", "--allow-net", "--allow-env", "--allow-sys", "cli.ts"];
  const refused = await start(bin("deno"), [...perms, "--workers", "2"]).finished;
  assert.equal(refused.status, 2, `exit status; stderr: ${refused.stderr}`);
  assert.deepEqual(refused.stderr.trim().split("\n"), [
    "ranged: --workers 2: on Deno, workers are processes: run with -A or --allow-run (ranged --help lists the options)",
  ]);
  const { child, finished } = start(bin("deno"), [...perms, "--port", "0", "--quiet"]);
  const url = (await waitForLine(child, / at http:\/\//)).replace(/^.* at /, "");
  const res = await fetch(`${url}testsrc-faststart.mp4`, { headers: { range: "bytes=4-7" } });
  assert.deepEqual(new Uint8Array(await res.arrayBuffer()), new TextEncoder().encode("ftyp"));
  process.kill(child.pid!, "SIGTERM");
  const r = await finished;
  assert.equal(r.status, 0, `exit 0; stderr: ${r.stderr}`);
  assert.doesNotMatch(r.stdout, /workers, pids/, "the default fell back to one process");
});
