// The server under load for scripts/soak.mjs: handleVideo over the runtime's
// native adapter (Deno.FsFile, Bun.file, node:fs), on Deno.serve, Bun.serve
// or node:http. GET /__stats answers the process's RSS and open fds.
// Usage: <runtime> scripts/soak/server.ts DIR   (prints {"port":N} when listening)
import process from "node:process";
import { join } from "node:path";
import { handleVideo } from "../../src/http/handler.ts";
import { FileNotFoundError } from "../../src/http/errors.ts";
import { openNative, runtime, startServer } from "../../tests/helpers/server.ts";
import { fullGc, openFds, rss } from "../../tests/helpers/proc_stats.ts";

const dir = process.argv[process.argv.length - 1];
let opened = 0;
let closed = 0;
const server = await startServer(async (req) => {
  const path = new URL(req.url).pathname;
  if (path === "/__stats") {
    if (new URL(req.url).searchParams.has("gc")) fullGc();
    return Response.json({ runtime, rss: rss(), fds: openFds(), opened, closed });
  }
  if (!/^\/[a-z]+\.bin$/.test(path)) return new Response("not found", { status: 404 });
  let file;
  try {
    file = await openNative(join(dir, path.slice(1)));
  } catch (err) {
    if (err instanceof FileNotFoundError) return new Response("not found", { status: 404 });
    throw err;
  }
  opened++;
  const inner = file;
  return handleVideo(req, {
    size: inner.size,
    name: inner.name,
    lastModified: inner.lastModified,
    read: (into, pos) => inner.read(into, pos),
    blob: inner.blob ? () => inner.blob!() : undefined,
    close: () => {
      closed++;
      return inner.close?.();
    },
  });
});
console.log(JSON.stringify({ port: server.port }));
