// ranged on Bun with src/adapters/bun.ts (Blob slices, sent with sendfile).
import { handleVideo } from "../../mod.ts";
import { openFile } from "../../src/adapters/bun.ts";
import { FileNotFoundError } from "../../src/http/errors.ts";
import { fileFor, notFound } from "./_paths.ts";

const port = Number(process.env.PORT ?? 8000);
const root = process.env.ROOT ?? "bench/data";

Bun.serve({
  hostname: "127.0.0.1",
  port,
  idleTimeout: 0,
  async fetch(req) {
    const path = fileFor(root, req.url);
    if (path === null) return notFound();
    try {
      return handleVideo(req, await openFile(path));
    } catch (err) {
      if (err instanceof FileNotFoundError) return notFound();
      throw err;
    }
  },
});
