// Clients that disconnect at random points, on a real server (raw sockets on
// 127.0.0.1): before sending a whole request line, right after the request,
// after the head, or after a random number of body bytes. Afterwards the
// server process has exactly as many open file descriptors as before, its
// RSS is back within 20 MiB, and every FileLike was closed exactly once.
//
// RANGED_ABORTS sets the count (default 400; FULL=1 or `npm run soak`: 10,000).
// RANGED_SEED replays a run.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { connect } from "node:net";
import { handleVideo } from "../src/http/handler.ts";
import { openFile as openPortable } from "../src/adapters/fs.ts";
import { openNative, runtime, startServer, type TestServer } from "./helpers/server.ts";
import { CloseLedger, countingFile, patternBytes } from "./helpers/counting_file.ts";
import { getRequest, RawExchange } from "./helpers/raw_exchange.ts";
import { fullGc, MiB, openFds, rss, waitUntil } from "./helpers/proc_stats.ts";
import { prng } from "./helpers/prng.ts";

const ABORTS = Number(process.env.RANGED_ABORTS ?? (process.env.FULL === "1" ? 10_000 : 400));
const SEED = Number(process.env.RANGED_SEED ?? Date.now() % 0xffffffff);
const CONCURRENCY = 16;
const SIZE = 48 * MiB;
const DATA = patternBytes(SIZE, 11);
const TMP = mkdtempSync(join(tmpdir(), "ranged-abort-"));
const BIG = join(TMP, "big.mp4");

let server: TestServer;
const ledger = new CloseLedger();
// Close counts of the counting FileLikes, by request: the files themselves are
// not kept, so the test's own bookkeeping does not show up as RSS growth.
const countingCloses: number[] = [];

before(async () => {
  writeFileSync(BIG, DATA);
  server = await startServer(async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/counting") {
      const file = countingFile(DATA, { name: "big.mp4", lastModified: 1_700_000_000_000 });
      const slot = countingCloses.push(0) - 1;
      const { read, close } = file;
      file.read = (into, pos) => {
        file.reads.length = 0; // only the count matters here
        return read(into, pos);
      };
      file.close = () => {
        close?.();
        countingCloses[slot] = file.closes;
      };
      return handleVideo(req, file);
    }
    const file = path === "/portable" ? await openPortable(BIG) : await openNative(BIG);
    return handleVideo(req, ledger.wrap(file));
  });
});

after(async () => {
  await server.close();
  rmSync(TMP, { recursive: true, force: true });
});

const PATHS = ["/native", "/portable", "/counting"] as const;

function randomRange(r: ReturnType<typeof prng>): string | undefined {
  switch (r.int(0, 5)) {
    case 0:
    case 1:
      return undefined;
    case 2:
      return `bytes=${r.int(0, SIZE - 1)}-`;
    case 3: {
      const start = r.int(0, SIZE - 1);
      return `bytes=${start}-${r.int(start, SIZE - 1)}`;
    }
    case 4:
      return `bytes=-${r.int(1, SIZE)}`;
    default: {
      const a = r.int(0, SIZE / 2);
      return `bytes=${a}-${a + r.int(0, 4 * MiB)},${r.int(SIZE / 2 + 8 * MiB, SIZE - 1)}-`;
    }
  }
}

/** One client that gives up somewhere; resolves when its socket is closed. */
async function abortingClient(r: ReturnType<typeof prng>, stats: Record<string, number>): Promise<void> {
  const path = r.pick(PATHS);
  const range = randomRange(r);
  const request = getRequest(path, range ? { range } : {});
  const mode = r.next();
  if (mode < 0.1) {
    // Half a request line (or half the headers), then gone.
    stats.partialRequest++;
    const socket = connect(server.port, "127.0.0.1");
    socket.on("error", () => {});
    socket.write(request.slice(0, r.int(1, request.length - 3)));
    await new Promise((res) => setTimeout(res, r.int(0, 20)));
    socket.destroy();
    return new Promise((res) => socket.once("close", () => res()));
  }
  const ex = new RawExchange(server.port, request, { keepBody: false });
  if (mode < 0.2) {
    stats.beforeResponse++;
    ex.destroy();
    return ex.closed;
  }
  const head = await ex.head.catch(() => undefined);
  if (mode < 0.3 || head === undefined) {
    stats.afterHead++;
    ex.destroy();
    return ex.closed;
  }
  stats.midBody++;
  const want = r.int(1, 12 * MiB);
  await ex.waitForBody(want);
  if (ex.complete) stats.completed++;
  ex.destroy();
  return ex.closed;
}

test(`${ABORTS} aborted requests on ${runtime} (seed ${SEED}): no fd, memory or FileLike leaks`, async () => {
  const r = prng(SEED);
  const stats: Record<string, number> = {
    partialRequest: 0,
    beforeResponse: 0,
    afterHead: 0,
    midBody: 0,
    completed: 0,
  };

  // Warm up (JIT, buffers, the runtime's lazily opened handles), then take the baseline.
  for (let i = 0; i < 30; i++) await abortingClient(r, stats);
  for (const path of PATHS) {
    // Connection: close, so no idle keep-alive socket is in the baseline.
    const ex = new RawExchange(server.port, getRequest(path, { range: "bytes=0-99999" }));
    await ex.closed;
    assert.deepEqual(ex.body(), DATA.subarray(0, 100000));
  }
  await waitUntil(() => ledger.opened === ledger.closed && countingCloses.every((n) => n === 1), 10_000);
  fullGc();
  await new Promise((res) => setTimeout(res, 200));
  fullGc();
  const fds0 = openFds();
  const rss0 = rss();
  const heap0 = process.memoryUsage().heapUsed;

  let started = 0;
  const worker = async () => {
    while (started < ABORTS) {
      started++;
      await abortingClient(r, stats);
    }
  };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (Date.now() - t0) / 1000;

  // Everything the server opened gets closed, and only once.
  const allClosed = await waitUntil(
    () => ledger.opened === ledger.closed && countingCloses.every((n) => n >= 1),
    20_000,
  );
  assert.ok(allClosed, `opened ${ledger.opened} tracked files, closed ${ledger.closed}`);
  assert.equal(ledger.doubleCloses, 0, "a FileLike was closed twice");
  const notOnce = countingCloses.filter((n) => n !== 1);
  assert.equal(notOnce.length, 0, `counting FileLikes not closed exactly once: ${notOnce}`);

  // File descriptors: exactly back to the baseline (sockets and files both count).
  const fdsBack = await waitUntil(() => openFds() === fds0, 20_000, 100);
  const fds1 = openFds();
  fullGc();
  let rss1 = rss();
  await waitUntil(
    () => {
      fullGc();
      rss1 = rss();
      return rss1 - rss0 < 20 * MiB;
    },
    10_000,
    250,
  );
  console.log(
    `[abort ${runtime}] ${ABORTS} aborts in ${seconds.toFixed(1)} s, seed ${SEED}, ${JSON.stringify(stats)}; ` +
      `FileLikes opened ${ledger.opened + countingCloses.length}, ` +
      `closed ${ledger.closed + countingCloses.filter((n) => n === 1).length}; ` +
      `fds ${fds0} -> ${fds1}; RSS ${(rss0 / MiB).toFixed(1)} -> ${(rss1 / MiB).toFixed(1)} MiB; ` +
      `JS heap ${(heap0 / MiB).toFixed(1)} -> ${(process.memoryUsage().heapUsed / MiB).toFixed(1)} MiB`,
  );
  assert.ok(fdsBack, `open fds ${fds0} before, ${fds1} after`);
  // The JS heap (ranged's streams, FileLikes, buffers) must be flat; RSS also
  // counts the runtime's native memory (see docs/HARDENING.md for Deno).
  const heapGrowth = process.memoryUsage().heapUsed - heap0;
  assert.ok(heapGrowth < 8 * MiB, `JS heap grew by ${(heapGrowth / MiB).toFixed(1)} MiB`);
  assert.ok(rss1 - rss0 < 20 * MiB, `RSS grew by ${((rss1 - rss0) / MiB).toFixed(1)} MiB`);

  // The server still answers byte-exact.
  const res = await fetch(server.url + "/native", { headers: { range: "bytes=1000-2999999" } });
  assert.equal(res.status, 206);
  assert.deepEqual(new Uint8Array(await res.arrayBuffer()), DATA.subarray(1000, 3000000));
});
