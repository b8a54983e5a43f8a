#!/usr/bin/env node
// The public API as `deno doc` sees it: for every entry point in deno.json's
// exports, each exported name with its kind and a digest of its declaration
// (types, parameters, members; documentation and source positions left out).
// tests/api_surface.test.ts compares it with tests/fixtures/api_surface.json,
// so a renamed, removed or retyped export fails until the snapshot is updated
// on purpose: `node scripts/api_surface.mjs --update`.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const SNAPSHOT = join(ROOT, "tests", "fixtures", "api_surface.json");
// Where a declaration or an imported type lives is layout, not API.
const IGNORED = new Set([
  "location",
  "jsDoc",
  "byteIndex",
  "line",
  "col",
  "filename",
  "src",
  "specifier",
  "resolution",
]);

/** { entry: { name: "kind digest" } } for every export of deno.json. */
export function apiSurface() {
  const exports = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")).exports;
  const deno = join(ROOT, "node_modules", ".bin", process.platform === "win32" ? "deno.cmd" : "deno");
  const surface = {};
  for (const [entry, path] of Object.entries(exports)) {
    const out = execFileSync(deno, ["doc", "--json", path], {
      cwd: ROOT,
      encoding: "utf8",
      maxBuffer: 64 << 20,
      env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    });
    const doc = JSON.parse(out);
    const file = new URL(path, `file://${ROOT.endsWith("/") ? ROOT : ROOT + "/"}`).href;
    const symbols = doc.nodes[file]?.symbols ?? [];
    const names = {};
    for (const s of symbols.toSorted((a, b) => a.name.localeCompare(b.name))) {
      const decls = s.declarations.map((d) => strip(d));
      const kinds = [...new Set(s.declarations.map((d) => d.kind))].sort().join("+");
      names[s.name] = `${kinds} ${createHash("sha256").update(JSON.stringify(decls)).digest("hex").slice(0, 16)}`;
    }
    surface[entry] = names;
  }
  return surface;
}

function strip(value) {
  if (Array.isArray(value)) return value.map(strip);
  if (value === null || typeof value !== "object") return value;
  const out = {};
  for (const key of Object.keys(value).sort()) if (!IGNORED.has(key)) out[key] = strip(value[key]);
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const surface = apiSurface();
  if (process.argv.includes("--update")) {
    writeFileSync(SNAPSHOT, JSON.stringify(surface, null, 2) + "\n");
    console.log(`wrote ${SNAPSHOT}`);
  } else console.log(JSON.stringify(surface, null, 2));
}
