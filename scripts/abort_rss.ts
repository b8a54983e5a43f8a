// Where the memory of aborted requests goes, over many of them: runs the
// clients of tests/abort.test.ts (same server, same mix) and after every
// `--every` aborts prints RSS and process.memoryUsage()'s parts after a full
// GC, so a plateau (allocator and runtime caches filling up) tells itself
// apart from a leak (a straight line).
//
//   node --import tsx scripts/abort_rss.ts [--aborts 10000] [--every 500] [--seed N] [--leak BYTES]
//   $(node scripts/node_line.mjs 26) --import tsx scripts/abort_rss.ts
//   MALLOC_ARENA_MAX=2 ...   (glibc: fewer malloc arenas holding freed pages)
//   deno run -A scripts/abort_rss.ts   /   bun scripts/abort_rss.ts
// --spaces adds V8's committed heap spaces and where RSS sits (/proc/self/smaps:
// glibc's main arena "[heap]", other anonymous maps: V8's heap and the other
// malloc arenas, file maps). --plain serves the same requests with node:http and
// fs.createReadStream alone (no ranged code): the runtime's own share.
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { getHeapSpaceStatistics, getHeapStatistics } from "node:v8";
import { newStats, runAborts, startAbortServer } from "../tests/helpers/abort_run.ts";
import { patternBytes } from "../tests/helpers/counting_file.ts";
import { fullGc, MiB, openFds, waitUntil } from "../tests/helpers/proc_stats.ts";
import { runtime } from "../tests/helpers/server.ts";

const args = process.argv.slice(2);
const opt = (name: string, fallback: number) => args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback;
const aborts = opt("--aborts", 10_000);
const every = opt("--every", 500);
const seed = opt("--seed", 1);
const leak = opt("--leak", 0);
const spaces = args.includes("--spaces");
const plain = args.includes("--plain");

const size = 48 * MiB;
const data = patternBytes(size, 11);
const dir = mkdtempSync(join(tmpdir(), "ranged-abort-rss-"));
const path = join(dir, "big.mp4");
writeFileSync(path, data);
const s = plain
  ? { server: await startPlainServer(path, size), allClosed: () => true }
  : await startAbortServer(data, path, { leakBytes: leak });
const stats = newStats();
const version = runtime === "node" ? process.version : runtime === "bun" ? "bun" : "deno";
const mib = (n: number) => (n / MiB).toFixed(1).padStart(7);

console.log(
  `# ${runtime} ${version}${
    plain ? " (plain node:http, no ranged)" : ""
  }, seed ${seed}, leak ${leak} B/request, MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX ?? "-"}`,
);
console.log(" aborts     rss heapTot    heap external arrayBuf fds");
for (let done = 0; done <= aborts; done += every) {
  if (done > 0) await runAborts(s.server.port, size, seed, done - every, every, stats);
  await waitUntil(s.allClosed, 20_000);
  fullGc();
  await new Promise((res) => setTimeout(res, 100));
  fullGc();
  const m = process.memoryUsage();
  console.log(
    `${String(done).padStart(7)} ${mib(m.rss)} ${mib(m.heapTotal)} ${mib(m.heapUsed)} ${mib(m.external)} ${
      mib(m.arrayBuffers)
    } ${openFds()}`,
  );
  if (spaces) {
    const parts = getHeapSpaceStatistics().filter((x) => x.space_size > 0)
      .map((x) => `${x.space_name.replace("_space", "")} ${(x.space_size / MiB).toFixed(1)}`);
    const malloced = (getHeapStatistics().malloced_memory / MiB).toFixed(1);
    console.log(`        committed MiB: ${parts.join(", ")}; V8 malloced ${malloced}; RSS in ${smapsRss()}`);
  }
}
console.log(`# ${JSON.stringify(stats)}`);
await s.server.close();
rmSync(dir, { recursive: true, force: true });

/** RSS by kind of mapping: glibc's main arena, other anonymous memory, files. */
function smapsRss(): string {
  const kb = { heap: 0, anon: 0, file: 0 };
  let kind: keyof typeof kb = "anon";
  for (const line of readFileSync("/proc/self/smaps", "utf8").split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) kind = head[1] === "[heap]" ? "heap" : head[1] === "" || head[1].startsWith("[") ? "anon" : "file";
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) kb[kind] += Number(rss[1]);
  }
  return `[heap] ${(kb.heap / 1024).toFixed(1)}, anon ${(kb.anon / 1024).toFixed(1)}, files ${
    (kb.file / 1024).toFixed(1)
  }`;
}

/** node:http + fs.createReadStream for a single range or the whole file, nothing else. */
async function startPlainServer(file: string, length: number): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    const start = m ? Number(m[1]) : 0;
    const end = m && m[2] ? Math.min(Number(m[2]), length - 1) : length - 1;
    if (start >= length || end < start) {
      res.writeHead(416, { "content-range": `bytes */${length}` }).end();
      return;
    }
    res.writeHead(m ? 206 : 200, { "content-length": String(end - start + 1) });
    const stream = createReadStream(file, { start, end });
    stream.pipe(res);
    res.once("close", () => stream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
