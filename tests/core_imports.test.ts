// The core must run on any Fetch-API runtime (Deno, Bun, Node, Workers):
// mod.ts and src/*.ts outside src/adapters/ may import only each other and
// may not touch runtime globals.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import * as mod from "../mod.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SRC = join(ROOT, "src");
const coreFiles = [join(ROOT, "mod.ts"), ...walk(SRC)];

/** Every .ts file under src/ except src/adapters/, the one place runtimes may be touched. */
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return path === join(SRC, "adapters") ? [] : walk(path);
    return e.name.endsWith(".ts") ? [path] : [];
  });
}

test("core files import only relative core modules", () => {
  assert.ok(coreFiles.length > 8);
  assert.ok(coreFiles.some((f) => f.includes(join("src", "media"))), "subfolders are scanned");
  for (const file of coreFiles) {
    // JSDoc examples import "@ranged/video"; only real code counts.
    const text = stripComments(readFileSync(file, "utf8"));
    const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*["']([^"']+)["']/g)].map((m) =>
      m[1]
    );
    const dynamic = [...text.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
    for (const spec of [...specifiers, ...dynamic]) {
      assert.ok(spec.startsWith("./") || spec.startsWith("../"), `${file} imports ${spec}`);
      assert.ok(!spec.includes("adapters/"), `${file} imports an adapter: ${spec}`);
    }
  }
});

test("core files use no runtime globals", () => {
  for (const file of coreFiles) {
    // Strip comments and strings-in-docs, then look for runtime namespaces.
    const code = stripComments(readFileSync(file, "utf8"));
    for (const global of ["Deno.", "Bun.", "process.", "require(", "Buffer.", "__dirname", `"node:`, `'node:`]) {
      assert.ok(!code.includes(global), `${file} uses ${global}`);
    }
  }
});

test("the core loads and works in this runtime", async () => {
  const res = mod.handleVideo(
    new Request("http://x/a.mp4", { headers: { range: "bytes=1-2" } }),
    mod.fromBytes(new Uint8Array([1, 2, 3, 4]), { name: "a.mp4" }),
  );
  assert.equal(res.status, 206);
  assert.deepEqual(new Uint8Array(await res.arrayBuffer()), new Uint8Array([2, 3]));
});

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

/**
 * The folders of src/ in layers: a folder may import its own files and the
 * layers below it, never above or beside, so no cycle can form between them.
 */
const LAYERS: Record<string, number> = { http: 0, access: 1, media: 1, remote: 1, server: 2, adapters: 3 };

test("src/ folders import only downward (no cycle between folders)", () => {
  const all = [...walk(SRC), ...readdirSync(join(SRC, "adapters")).map((f) => join(SRC, "adapters", f))];
  const folders = new Set(readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name));
  assert.deepEqual([...folders].sort(), Object.keys(LAYERS).sort(), "every folder of src/ has a layer");
  assert.deepEqual(readdirSync(SRC).filter((f) => f.endsWith(".ts")), [], "no module sits loose in src/");
  for (const file of all.filter((f) => f.endsWith(".ts"))) {
    const from = folderOf(file);
    const text = stripComments(readFileSync(file, "utf8"));
    // Side-effect imports (`import "./x.ts"`) count as much as named ones.
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?["'](\.{1,2}\/[^"']+)["']/g)) {
      const to = folderOf(join(file, "..", m[1]));
      assert.ok(
        to === from || LAYERS[to] < LAYERS[from],
        `${file.slice(ROOT.length)} (${from}) imports ${m[1]} (${to}): only its own folder or a lower layer`,
      );
    }
  }
});

function folderOf(file: string): string {
  return file.slice(SRC.length + 1).split(/[\\/]/)[0];
}
