// Clients that disconnect at random points against a real server (raw
// sockets on 127.0.0.1), shared by tests/abort.test.ts and the plateau script
// scripts/abort_rss.ts, so both measure the very same traffic.
import { connect } from "node:net";
import { handleVideo } from "../../src/http/handler.ts";
import { openFile as openPortable } from "../../src/adapters/fs.ts";
import { openNative, startServer, type TestServer } from "./server.ts";
import { CloseLedger, countingFile } from "./counting_file.ts";
import { getRequest, RawExchange } from "./raw_exchange.ts";
import { MiB } from "./proc_stats.ts";
import { prng } from "./prng.ts";

export type Prng = ReturnType<typeof prng>;
export const PATHS = ["/native", "/portable", "/counting"] as const;

/** How the clients of a run left, by kind. */
export interface AbortStats {
  partialRequest: number;
  beforeResponse: number;
  afterHead: number;
  midBody: number;
  completed: number;
}

export function newStats(): AbortStats {
  return { partialRequest: 0, beforeResponse: 0, afterHead: 0, midBody: 0, completed: 0 };
}

export interface AbortServer {
  server: TestServer;
  /** Every file opened through /native and /portable. */
  ledger: CloseLedger;
  /** Close counts of the counting FileLikes, by request (the files themselves are not kept). */
  countingCloses: number[];
  /** Every FileLike the server opened was closed at least once. */
  allClosed(): boolean;
  /** Buffers kept on purpose with `leakBytes`; clear it to free them. */
  leaked: Uint8Array[];
}

/**
 * A server for `data` (also on disk at `path`): /native and /portable open the
 * file with the runtime's adapter and the node:fs one, /counting serves an
 * in-memory counting FileLike. `leakBytes` > 0 keeps one buffer of that size
 * per request forever: the deliberate leak that proves the memory rule bites.
 */
export async function startAbortServer(
  data: Uint8Array,
  path: string,
  options: { leakBytes?: number } = {},
): Promise<AbortServer> {
  const ledger = new CloseLedger();
  const countingCloses: number[] = [];
  const leaked: Uint8Array[] = [];
  const leakBytes = options.leakBytes ?? 0;
  const server = await startServer(async (req) => {
    // fill(1): a zero-filled buffer may never be touched, so never resident.
    if (leakBytes > 0) leaked.push(new Uint8Array(leakBytes).fill(1));
    const route = new URL(req.url).pathname;
    if (route === "/counting") {
      const file = countingFile(data, { name: "big.mp4", lastModified: 1_700_000_000_000 });
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
    const file = route === "/portable" ? await openPortable(path) : await openNative(path);
    return handleVideo(req, ledger.wrap(file));
  });
  return {
    server,
    ledger,
    countingCloses,
    leaked,
    allClosed: () => ledger.opened === ledger.closed && countingCloses.every((n) => n >= 1),
  };
}

function randomRange(r: Prng, size: number): string | undefined {
  switch (r.int(0, 5)) {
    case 0:
    case 1:
      return undefined;
    case 2:
      return `bytes=${r.int(0, size - 1)}-`;
    case 3: {
      const start = r.int(0, size - 1);
      return `bytes=${start}-${r.int(start, size - 1)}`;
    }
    case 4:
      return `bytes=-${r.int(1, size)}`;
    default: {
      const a = r.int(0, size / 2);
      return `bytes=${a}-${a + r.int(0, 4 * MiB)},${r.int(size / 2 + 8 * MiB, size - 1)}-`;
    }
  }
}

/** One client that gives up somewhere; resolves when its socket is closed. */
export async function abortingClient(port: number, size: number, r: Prng, stats: AbortStats): Promise<void> {
  const route = r.pick(PATHS);
  const range = randomRange(r, size);
  const request = getRequest(route, range ? { range } : {});
  const mode = r.next();
  if (mode < 0.1) {
    // Half a request line (or half the headers), then gone.
    stats.partialRequest++;
    const socket = connect(port, "127.0.0.1");
    socket.on("error", () => {});
    socket.write(request.slice(0, r.int(1, request.length - 3)));
    await new Promise((res) => setTimeout(res, r.int(0, 20)));
    socket.destroy();
    return new Promise((res) => socket.once("close", () => res()));
  }
  const ex = new RawExchange(port, request, { keepBody: false });
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
  await ex.waitForBody(r.int(1, 12 * MiB));
  if (ex.complete) stats.completed++;
  ex.destroy();
  return ex.closed;
}

/**
 * Client number `index` of a run seeded with `seed` draws from its own
 * generator, so it makes the same request and leaves at the same point
 * whatever order the concurrent clients happen to run in: a seed replays.
 */
export function clientPrng(seed: number, index: number): Prng {
  return prng((Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0);
}

/** Runs clients `first` to `first + count - 1` of the run `seed`, `concurrency` at a time. */
export async function runAborts(
  port: number,
  size: number,
  seed: number,
  first: number,
  count: number,
  stats: AbortStats,
  concurrency = 16,
): Promise<void> {
  let next = first;
  const end = first + count;
  const worker = async () => {
    while (next < end) {
      const index = next++;
      await abortingClient(port, size, clientPrng(seed, index), stats);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
