// A reader that stops reading: the response holds at most one chunk in user
// space. Checked at the stream level (no read-ahead) and on a real server,
// where the kernel's socket queues are measured from /proc/net/tcp so that
// what the process itself holds is known exactly:
//   held = bytes read from the file - body bytes the client got - bytes queued in the kernel.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { handleVideo } from "../src/http/handler.ts";
import { MAX_CHUNK } from "../src/http/chunk_size.ts";
import { runtime, startServer, type TestServer } from "./helpers/server.ts";
import { type VirtualFile, virtualFile } from "./helpers/fuzz.ts";
import { getRequest, RawExchange } from "./helpers/raw_exchange.ts";
import { fullGc, MiB, rss, waitUntil } from "./helpers/proc_stats.ts";

const GiB = 1024 * MiB;
const STALLED = 24;
// What the runtime's HTTP layer keeps besides our one chunk. Deno's body
// resource queues the next chunk while hyper's write buffer (~400 KiB) holds
// the previous one, so on Deno up to one more chunk is held by the runtime.
const SLACK = 512 * 1024;
const runtimeChunks = runtime === "deno" ? 1 : 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("stream level", () => {
  for (const chunkSize of [undefined, 65536]) {
    test(`no read-ahead: a paused consumer costs one chunk (chunkSize ${chunkSize ?? "adaptive"})`, async () => {
      const file = virtualFile(GiB, { lastModified: 1_700_000_000_000 });
      const sizes: number[] = [];
      const read = file.read;
      file.read = (into, pos) => {
        sizes.push(into.length);
        return read(into, pos);
      };
      const res = handleVideo(new Request("http://x/", { headers: { range: "bytes=100-" } }), file, { chunkSize });
      const reader = res.body!.getReader();
      await sleep(50);
      assert.equal(sizes.length, 0, "read before the consumer asked");
      for (let i = 1; i <= 5; i++) {
        await reader.read();
        await sleep(30);
        assert.equal(sizes.length, i, "the stream read ahead of its consumer");
      }
      assert.ok(Math.max(...sizes) <= (chunkSize ?? MAX_CHUNK));
      await reader.cancel();
      await sleep(10);
      assert.equal(file.closes, 1);
    });
  }
});

/** tx_queue + rx_queue of the TCP sockets between `a` and `b` (both directions), from /proc/net/tcp. */
function kernelQueued(portA: number, portB: number): number {
  let total = 0;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "latin1");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 5) continue;
      const local = parseInt(f[1].split(":")[1], 16);
      const remote = parseInt(f[2].split(":")[1], 16);
      if ((local === portA && remote === portB) || (local === portB && remote === portA)) {
        const [tx, rx] = f[4].split(":").map((h) => parseInt(h, 16));
        total += tx + rx;
      }
    }
  }
  return total;
}

describe(`real server on ${runtime}`, () => {
  let server: TestServer;
  const files = new Map<string, VirtualFile & { biggest: number }>();
  before(async () => {
    server = await startServer((req) => {
      const file = Object.assign(virtualFile(GiB, { lastModified: 1_700_000_000_000 }), { biggest: 0 });
      const read = file.read;
      file.read = (into, pos) => {
        file.biggest = Math.max(file.biggest, into.length);
        return read(into, pos);
      };
      files.set(new URL(req.url).pathname, file);
      return handleVideo(req, file);
    });
  });
  after(() => server.close());

  test(`${STALLED} stalled clients on a 1 GiB body: each holds at most one chunk, reads stop, RSS stays flat`, async () => {
    fullGc();
    const rss0 = rss();
    const clients: RawExchange[] = [];
    try {
      await stallAndCheck(clients, rss0);
    } finally {
      // Always let go of the sockets, or the server could not shut down.
      for (const ex of clients) ex.destroy();
    }
    await Promise.all(clients.map((c) => c.closed));
    assert.ok(await waitUntil(() => [...files.values()].every((f) => f.closes === 1), 10_000), "files not closed once");
  });

  async function stallAndCheck(clients: RawExchange[], rss0: number): Promise<void> {
    for (let i = 0; i < STALLED; i++) {
      const ex = new RawExchange(server.port, getRequest(`/stall-${i}`), { keepBody: false });
      await ex.head;
      await ex.waitForBody(1);
      ex.pause();
      clients.push(ex);
    }
    // RSS is a coarse check (allocators keep freed chunks; Deno copies each chunk to Rust):
    // without backpressure it would grow by GiBs. The exact check is `held` below.
    // Reads stop once the socket queues are full: total read stays the same for 1 s.
    const totalRead = () => [...files.values()].reduce((n, f) => n + f.readBytes, 0);
    let last = -1;
    let stableSince = Date.now();
    await waitUntil(
      () => {
        const now = totalRead();
        if (now !== last) {
          last = now;
          stableSince = Date.now();
        }
        return Date.now() - stableSince > 1000;
      },
      30_000,
      50,
    );
    fullGc();
    const grown = rss() - rss0;
    const report: string[] = [];
    let maxHeld = 0;
    for (const [i, ex] of clients.entries()) {
      const file = files.get(`/stall-${i}`)!;
      const kernel = kernelQueued(ex.socket.localPort!, server.port);
      const held = file.readBytes - ex.bodyLength - kernel;
      report.push(`${(file.readBytes / MiB).toFixed(1)}M read, ${(kernel / MiB).toFixed(1)}M in kernel, ${held} held`);
      assert.ok(file.readBytes < GiB / 4, `stalled client ${i}: ${file.readBytes} bytes read (no backpressure)`);
      // One chunk, plus what the runtime's HTTP layer and the client socket keep in
      // user space (hyper's write buffer on Deno, chunked framing on Bun): SLACK.
      maxHeld = Math.max(maxHeld, held);
      assert.ok(
        held <= file.biggest * (1 + runtimeChunks) + SLACK,
        `stalled client ${i}: ${held} bytes held (> ${1 + runtimeChunks} × ${file.biggest}-byte chunk + ${SLACK})`,
      );
    }
    console.log(
      `[stalled ${runtime}] RSS +${(grown / MiB).toFixed(1)} MiB for ${STALLED} stalled; ${
        report.slice(0, 3).join("; ")
      }`,
    );
    assert.ok(grown < STALLED * 4 * MAX_CHUNK + 32 * MiB, `RSS grew ${(grown / MiB).toFixed(1)} MiB`);
  }
});
