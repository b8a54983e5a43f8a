// Reproduction without ranged: Deno.serve answering a plain ReadableStream body,
// and raw clients that disconnect mid-body. RSS grows with the number of aborts
// (Deno 2.9.6: +19 MiB after 10,000, +53 MiB after 20,000) while the JS heap
// and the open fds stay flat, so the growth is in the runtime's native memory.
// Usage: deno run -A scripts/soak/deno_abort_rss.ts [ABORTS]
import { connect } from "node:net";
import { fullGc, MiB, openFds, rss } from "../../tests/helpers/proc_stats.ts";

const aborts = Number(Deno.args[0] ?? 10_000);
const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, () => {
  let n = 0;
  return new Response(
    new ReadableStream({
      pull(c) {
        if (n++ < 200) c.enqueue(new Uint8Array(65536));
        else c.close();
      },
    }, { highWaterMark: 0 }),
  );
});

function client(): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(server.addr.port, "127.0.0.1");
    let got = 0;
    const want = Math.floor(Math.random() * 4_000_000) + 1;
    s.on("data", (c: Uint8Array) => {
      got += c.length;
      if (got >= want) s.destroy();
    });
    s.on("error", () => {});
    s.on("close", () => resolve());
    s.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  });
}

async function run(n: number): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (i++ < n) await client();
  }));
}

const settle = async () => {
  await new Promise((r) => setTimeout(r, 1000));
  fullGc();
};
await run(500);
await settle();
const [rss0, fds0, heap0] = [rss(), openFds(), Deno.memoryUsage().heapUsed];
await run(aborts);
await settle();
console.log(
  `${aborts} aborts: RSS ${(rss0 / MiB).toFixed(1)} -> ${(rss() / MiB).toFixed(1)} MiB, ` +
    `JS heap ${(heap0 / MiB).toFixed(1)} -> ${
      (Deno.memoryUsage().heapUsed / MiB).toFixed(1)
    } MiB, fds ${fds0} -> ${openFds()}`,
);
await server.shutdown();
