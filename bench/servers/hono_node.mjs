// Hono's serveStatic on Node (@hono/node-server/serve-static).
import { serve } from "@hono/node-server";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";
import process from "node:process";

const port = Number(process.env.PORT ?? 8000);
const root = process.env.ROOT ?? "bench/data";

const app = new Hono();
app.use("/*", serveStatic({ root }));
serve({ fetch: app.fetch, port, hostname: "127.0.0.1" });
