// ranged on Deno. BENCH_ADAPTER=deno (default) uses src/adapters/deno.ts,
// BENCH_ADAPTER=fs the portable node:fs adapter.
import { handleVideo } from "../../mod.ts";
import { openFile as openDeno } from "../../src/adapters/deno.ts";
import { openFile as openFs } from "../../src/adapters/fs.ts";
import { FileNotFoundError } from "../../src/http/errors.ts";
import { fileFor, notFound } from "./_paths.ts";

const port = Number(Deno.env.get("PORT") ?? 8000);
const root = Deno.env.get("ROOT") ?? "bench/data";
const open = Deno.env.get("BENCH_ADAPTER") === "fs" ? openFs : openDeno;

Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, async (req) => {
  const path = fileFor(root, req.url);
  if (path === null) return notFound();
  try {
    return handleVideo(req, await open(path));
  } catch (err) {
    if (err instanceof FileNotFoundError) return notFound();
    throw err;
  }
});
