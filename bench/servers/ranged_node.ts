// ranged on Node: src/adapters/fs.ts behind the node:http bridge
// (src/adapters/node_http.ts). Run with `node --import tsx`.
import { createServer } from "node:http";
import process from "node:process";
import { handleVideo } from "../../mod.ts";
import { openFile } from "../../src/adapters/fs.ts";
import { toNodeListener } from "../../src/adapters/node_http.ts";
import { FileNotFoundError } from "../../src/http/errors.ts";
import { fileFor, notFound } from "./_paths.ts";

const port = Number(process.env.PORT ?? 8000);
const root = process.env.ROOT ?? "bench/data";

const server = createServer(toNodeListener(async (req) => {
  const path = fileFor(root, req.url);
  if (path === null) return notFound();
  try {
    return handleVideo(req, await openFile(path));
  } catch (err) {
    if (err instanceof FileNotFoundError) return notFound();
    throw err;
  }
}));
server.listen(port, "127.0.0.1");
