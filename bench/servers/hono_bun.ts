// Hono's serveStatic on Bun (hono/bun), which answers with Bun.file bodies.
import { Hono } from "hono";
import { serveStatic } from "hono/bun";

const port = Number(process.env.PORT ?? 8000);
const root = process.env.ROOT ?? "bench/data";

const app = new Hono();
app.use("/*", serveStatic({ root }));
Bun.serve({ hostname: "127.0.0.1", port, idleTimeout: 0, fetch: app.fetch });
