// The cost of fromUrl: one ranged server, the same file served three ways —
// from local disk (openFile), through fromUrl from nginx on 127.0.0.1 (the
// response streamed from one origin request), and through fromUrl read in
// blocks (one origin request per block, what fromUrl did before it streamed
// a span) — downloaded whole with curl, three times each, interleaved. A
// fourth way streams through the opt-in node:http client (nodeFetch)
// instead of the global fetch, to compare the two in one run. The ceiling for any
// proxy on this runtime: node:http piping nginx's answer to the client,
// with no ranged code at all.
//
//   node --import tsx bench/origin_vs_local.ts [sizeMiB=512] [blockMiB=4]
//
// Prints MB/s per run, the medians, and fromUrl's throughput as a fraction
// of the local file's. Needs nginx and curl (Debian).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createServer, get } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openFile } from "../src/adapters/fs.ts";
import { fromUrl } from "../src/adapters/http_origin.ts";
import { nodeFetch } from "../src/adapters/node_origin.ts";
import { handleVideo } from "../src/http/handler.ts";
import { runtime, startServer } from "../tests/helpers/server.ts";
import { startNginx } from "../tests/e2e/_nginx.ts";

const MiB = 1024 * 1024;
const size = Number(process.argv[2] ?? 512) * MiB;
const blockSize = Number(process.argv[3] ?? 4) * MiB;
const dir = mkdtempSync(join(tmpdir(), "ranged-bench-"));
const path = join(dir, "movie.mp4");
writeFileSync(path, new Uint8Array(size).fill(42));

const nginx = await startNginx((port) => `server { listen 127.0.0.1:${port}; access_log off; root ${dir}; }`);
const server = await startServer(async (req) => {
  const name = new URL(req.url).pathname;
  if (name === "/local.mp4") return handleVideo(req, await openFile(path));
  const client = name === "/node.mp4" ? { fetch: nodeFetch } : {};
  const file = await fromUrl(nginx.url + "/movie.mp4", { request: req, signal: req.signal, blockSize, ...client });
  // Without its stream hook the handler reads fromUrl positionally: block after block.
  return handleVideo(req, name === "/blocks.mp4" ? { ...file, stream: undefined } : file);
});

const pipe = createServer((_req, res) =>
  get(nginx.url + "/movie.mp4", (o) => {
    res.writeHead(o.statusCode ?? 502, { "content-length": o.headers["content-length"] });
    o.pipe(res);
  })
);
await new Promise<void>((resolve) => pipe.listen(0, "127.0.0.1", resolve));
const pipeUrl = `http://127.0.0.1:${(pipe.address() as AddressInfo).port}/movie.mp4`;

// Asynchronous: the server runs on this process's event loop.
async function download(url: string): Promise<number> {
  const { stdout: out } = await promisify(execFile)("curl", [
    "-s",
    "-o",
    "/dev/null",
    "-w",
    "%{size_download} %{time_total}",
    url,
  ]);
  const [bytes, seconds] = out.trim().split(" ").map(Number);
  if (bytes !== size) throw new Error(`${url}: got ${bytes} bytes, expected ${size}`);
  return bytes / seconds / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const local: number[] = [];
const origin: number[] = [];
const blocks: number[] = [];
const viaNode: number[] = [];
const piped: number[] = [];
await download(server.url + "/local.mp4"); // warm the page cache and the JIT
for (let i = 0; i < 3; i++) {
  local.push(await download(server.url + "/local.mp4"));
  origin.push(await download(server.url + "/origin.mp4"));
  blocks.push(await download(server.url + "/blocks.mp4"));
  viaNode.push(await download(server.url + "/node.mp4"));
  piped.push(await download(pipeUrl));
}
console.log(`runtime ${runtime}, file ${size / MiB} MiB, block ${blockSize / MiB} MiB`);
console.log(`local  openFile  MB/s: ${local.map((x) => x.toFixed(0)).join(" ")}  median ${median(local).toFixed(0)}`);
console.log(`origin fromUrl   MB/s: ${origin.map((x) => x.toFixed(0)).join(" ")}  median ${median(origin).toFixed(0)}`);
console.log(`origin blocks    MB/s: ${blocks.map((x) => x.toFixed(0)).join(" ")}  median ${median(blocks).toFixed(0)}`);
console.log(
  `origin node:http MB/s: ${viaNode.map((x) => x.toFixed(0)).join(" ")}  median ${median(viaNode).toFixed(0)}`,
);
console.log(`pipe proxy ceiling MB/s: ${piped.map((x) => x.toFixed(0)).join(" ")}  median ${median(piped).toFixed(0)}`);
console.log(`fromUrl / local: ${(median(origin) / median(local)).toFixed(2)}`);
console.log(`blocks / local: ${(median(blocks) / median(local)).toFixed(2)}`);
console.log(`node:http / local: ${(median(viaNode) / median(local)).toFixed(2)}`);
console.log(`pipe proxy / local: ${(median(piped) / median(local)).toFixed(2)}`);
await server.close();
pipe.close();
await nginx.stop();
rmSync(dir, { recursive: true, force: true });
