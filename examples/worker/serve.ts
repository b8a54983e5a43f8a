// Runs examples/worker/worker.ts locally on the real Workers runtime
// (workerd, through Miniflare), with an R2 bucket filled from a folder:
//
//   npx tsx examples/worker/serve.ts [dir] [--port 8787]
//   RANGED_URL_SECRETS=… npx tsx examples/worker/serve.ts [dir] --signed   (examples/worker/signed.ts)
//
// Prints `worker at http://127.0.0.1:PORT/` once it answers. The e2e test
// tests/e2e/worker_r2.test.ts starts it the same way.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";

/** Bundles a Worker of this folder (TypeScript, relative imports) into one ES module for workerd. */
export async function bundleWorker(entry = "worker.ts"): Promise<string> {
  const out = await build({
    entryPoints: [fileURLToPath(new URL(`./${entry}`, import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    write: false,
    logLevel: "warning",
  });
  return out.outputFiles[0].text;
}

/** Starts a Worker (default worker.ts) with `files` (key → bytes) in its VIDEOS bucket, and text `bindings`. */
export async function startWorker(
  files: Map<string, Uint8Array>,
  port = 0,
  { entry, bindings }: { entry?: string; bindings?: Record<string, string> } = {},
) {
  const mf = new Miniflare({
    modules: true,
    script: await bundleWorker(entry),
    bindings,
    compatibilityDate: "2025-04-01",
    r2Buckets: ["VIDEOS"],
    host: "127.0.0.1",
    port,
  });
  const url = await mf.ready;
  // Miniflare's own typings of the bucket proxy do not line up with its runtime shape.
  const bucket = (await mf.getR2Bucket("VIDEOS")) as unknown as {
    put(key: string, value: Uint8Array): Promise<unknown>;
  };
  for (const [key, bytes] of files) await bucket.put(key, bytes);
  return { url: url.href, dispose: () => mf.dispose() };
}

function filesIn(dir: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isFile()) files.set(name, new Uint8Array(readFileSync(path)));
  }
  return files;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const portAt = args.indexOf("--port");
  const port = portAt >= 0 ? Number(args[portAt + 1]) : 8787;
  const dir = args.find((a, i) => !a.startsWith("--") && args[i - 1] !== "--port") ?? "samples";
  // --signed: signed.ts, its secrets from the environment (never argv).
  const signed = args.includes("--signed");
  const secrets = process.env.RANGED_URL_SECRETS;
  if (signed && !secrets) throw new Error("--signed needs RANGED_URL_SECRETS in the environment");
  const worker = await startWorker(
    filesIn(dir),
    port,
    signed ? { entry: "signed.ts", bindings: { URL_SECRETS: secrets! } } : {},
  );
  console.log(`worker at ${worker.url}`);
  const stop = async () => {
    await worker.dispose();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
