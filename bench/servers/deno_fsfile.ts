// A minimal Deno server: `FsFile.readable`, seeked to the start of a single
// range and cut to its length with a TransformStream. One range only; a
// Range it cannot satisfy gets 416, anything else it does not parse gets 200.
import { fileFor, notFound } from "./_paths.ts";

const port = Number(Deno.env.get("PORT") ?? 8000);
const root = Deno.env.get("ROOT") ?? "bench/data";

function limit(n: number): TransformStream<Uint8Array, Uint8Array> {
  let left = n;
  return new TransformStream({
    transform(chunk, controller) {
      if (left <= 0) return controller.terminate();
      const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
      left -= part.length;
      controller.enqueue(part);
      if (left <= 0) controller.terminate();
    },
  });
}

Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, async (req) => {
  const path = fileFor(root, req.url);
  if (path === null) return notFound();
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch {
    return notFound();
  }
  const { size } = await file.stat();
  const headers = new Headers({ "content-type": "application/octet-stream", "accept-ranges": "bytes" });
  const m = /^bytes=(\d*)-(\d*)$/.exec(req.headers.get("range") ?? "");
  if (req.method === "HEAD" || !m || (m[1] === "" && m[2] === "")) {
    headers.set("content-length", String(size));
    if (req.method === "HEAD") {
      file.close();
      return new Response(null, { headers });
    }
    return new Response(file.readable, { headers });
  }
  let start: number, end: number;
  if (m[1] === "") [start, end] = [Math.max(0, size - Number(m[2])), size - 1];
  else [start, end] = [Number(m[1]), m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1)];
  if (start >= size || start > end || (m[1] === "" && Number(m[2]) === 0)) {
    file.close();
    headers.set("content-range", `bytes */${size}`);
    return new Response(null, { status: 416, headers });
  }
  await file.seek(start, Deno.SeekMode.Start);
  headers.set("content-length", String(end - start + 1));
  headers.set("content-range", `bytes ${start}-${end}/${size}`);
  return new Response(file.readable.pipeThrough(limit(end - start + 1)), { status: 206, headers });
});
