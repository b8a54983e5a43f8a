// A plain node:http server: fs.createReadStream({ start, end }).pipe(res),
// with 206/Content-Range for a single range, 416 when it cannot be
// satisfied, and 200 for anything else.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer } from "node:http";
import process from "node:process";

const port = Number(process.env.PORT ?? 8000);
const root = (process.env.ROOT ?? "bench/data").replace(/\/+$/, "");

createServer(async (req, res) => {
  const path = root + decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
  let size;
  try {
    if (path.split("/").includes("..")) throw new Error("outside root");
    const st = await stat(path);
    if (!st.isFile()) throw new Error("not a file");
    size = st.size;
  } catch {
    res.writeHead(404, { "content-length": "0" }).end();
    return;
  }
  const headers = { "content-type": "application/octet-stream", "accept-ranges": "bytes" };
  const m = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? "");
  if (req.method === "HEAD" || !m || (m[1] === "" && m[2] === "")) {
    res.writeHead(200, { ...headers, "content-length": size });
    if (req.method === "HEAD") res.end();
    else createReadStream(path).pipe(res);
    return;
  }
  let start, end;
  if (m[1] === "") [start, end] = [Math.max(0, size - Number(m[2])), size - 1];
  else [start, end] = [Number(m[1]), m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1)];
  if (start >= size || start > end || (m[1] === "" && Number(m[2]) === 0)) {
    res.writeHead(416, { ...headers, "content-range": `bytes */${size}`, "content-length": 0 }).end();
    return;
  }
  res.writeHead(206, {
    ...headers,
    "content-length": end - start + 1,
    "content-range": `bytes ${start}-${end}/${size}`,
  });
  const stream = createReadStream(path, { start, end });
  res.on("close", () => stream.destroy());
  stream.pipe(res);
}).listen(port, "127.0.0.1");
