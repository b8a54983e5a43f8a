// Bun's own file serving: `new Response(Bun.file(path))`; Bun.serve answers
// Range requests for file bodies itself (206, Content-Range, sendfile).
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
    const file = Bun.file(path);
    if (!(await file.exists())) return notFound();
    return new Response(file);
  },
});
