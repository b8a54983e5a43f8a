// express 5 with serve-static (its default options: ETag, Last-Modified, ranges).
import express from "express";
import process from "node:process";
import serveStatic from "serve-static";

const port = Number(process.env.PORT ?? 8000);
const root = process.env.ROOT ?? "bench/data";

const app = express();
app.use(serveStatic(root));
app.listen(port, "127.0.0.1");
