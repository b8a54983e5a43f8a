// ranged on Node without Fetch objects: videoHandler (src/adapters/node_writer.ts)
// answers node:http directly from the plan. Run with `node --import tsx`.
import { createServer } from "node:http";
import process from "node:process";
import { openFile } from "../../src/adapters/fs.ts";
import { videoHandler } from "../../src/adapters/node_writer.ts";
import { FileNotFoundError } from "../../src/http/errors.ts";
import { fileFor } from "./_paths.ts";

const port = Number(process.env.PORT ?? 8000);
const root = process.env.ROOT ?? "bench/data";

const server = createServer(videoHandler((req) => {
  const path = fileFor(root, req.url ?? "/");
  if (path === null) throw new FileNotFoundError(req.url ?? "");
  return openFile(path);
}));
server.listen(port, "127.0.0.1");
