// Code from the docs, made runnable: the ```ts blocks under a Markdown
// heading, with `@ranged/video...` imports pointed at this checkout (through
// deno.json's exports) so a test can run exactly what a reader would copy.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import assert from "node:assert/strict";
import { handleVideo } from "../../src/http/handler.ts";
import { fromBytes } from "../../src/http/file_like.ts";
import { startServer, type TestServer } from "./server.ts";

const ROOT = new URL("../../", import.meta.url);

/** A file of the repository as text, e.g. `README.md`. */
export function repoText(path: string): string {
  return readFileSync(new URL(path, ROOT), "utf8");
}

/** The Markdown from the heading that contains `title` to the next heading of the same or a higher level. */
export function section(markdown: string, title: string): string {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => /^#{1,6} /.test(l) && l.includes(title));
  if (start < 0) throw new Error(`no heading containing ${JSON.stringify(title)}`);
  const level = /^#+/.exec(lines[start])![0].length;
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && /^#+/.exec(l)![0].length <= level);
  return lines.slice(start, end < 0 ? undefined : end).join("\n");
}

/** The contents of the fenced blocks of `lang` in `markdown`, in order. */
export function codeBlocks(markdown: string, lang: string): string[] {
  const blocks: string[] = [];
  const re = new RegExp("^```" + lang + "\\n([\\s\\S]*?)^```", "gm");
  for (const m of markdown.matchAll(re)) blocks.push(m[1]);
  return blocks;
}

/** `@ranged/video` and `@ranged/video/x` → file URLs of this checkout, from deno.json's exports. */
function resolveImports(code: string): string {
  const exports: Record<string, string> = JSON.parse(repoText("deno.json")).exports;
  return code.replace(/from "(@ranged\/video[^"]*)"/g, (_, spec: string) => {
    const key = "." + spec.slice("@ranged/video".length);
    const target = exports[key];
    if (!target) throw new Error(`the docs import ${spec}, which deno.json does not export`);
    return `from "${new URL(target, ROOT).href}"`;
  });
}

/** Writes `code` (imports resolved, then `edit` applied) to a fresh temporary `.ts` file and returns its path. */
export function writeSnippet(code: string, edit: (code: string) => string = (c) => c): string {
  const edited = edit(resolveImports(code));
  const dir = mkdtempSync(join(tmpdir(), "ranged-snippet-"));
  const path = join(dir, "snippet.ts");
  writeFileSync(path, edited);
  return path;
}

/** The file URL of a path, for a dynamic `import()`. */
export function fileUrl(path: string): string {
  return pathToFileURL(path).href;
}

/** `code` with `from` replaced by `to`; throws when `from` is not there (the docs changed). */
export function replaceOnce(code: string, from: string, to: string): string {
  if (!code.includes(from)) throw new Error(`snippet no longer contains ${JSON.stringify(from)}:\n${code}`);
  return code.replace(from, to);
}

/** An object at the origin: 5000 bytes, every byte a function of its offset. */
export const MOVIE = new Uint8Array(5000).map((_, i) => (i * 7 + 3) % 256);

/** An origin that honours Range for /movie.mp4 and answers 404 to anything else. */
export function startOrigin(): Promise<TestServer> {
  return startServer((req) =>
    new URL(req.url).pathname === "/movie.mp4"
      ? handleVideo(req, fromBytes(MOVIE, { name: "movie.mp4", lastModified: Date.UTC(2026, 0, 1) }))
      : new Response("no such object", { status: 404 })
  );
}

/** The README's fromUrl snippet written to a file, its origin replaced by `origin` and `Deno.serve(` by `serve`. */
export function fromUrlSnippet(origin: string, serve: string): string {
  const [code] = codeBlocks(section(repoText("README.md"), "Object storage and remote origins"), "ts");
  assert.ok(code?.includes("fromUrl("), "the section's first ts block is the fromUrl snippet");
  return writeSnippet(
    code,
    (c) => replaceOnce(replaceOnce(c, "https://media.example.com", origin), "Deno.serve(", serve),
  );
}
