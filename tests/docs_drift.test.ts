// The docs against the code, so they cannot drift apart again: every option in
// the README's and docs/SERVING.md's tables is a property of the options type,
// every property is in the table, each stated default is the one the source
// documents (and, where cheap, the one the code applies), every flag of the CLI
// synopses parses, and every file the docs link to is published to JSR.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { handleVideo } from "../src/http/handler.ts";
import { fromBytes } from "../src/http/file_like.ts";
import { serveDir } from "../src/adapters/serve.ts";
import { readTopLevelBoxes } from "../src/media/boxes.ts";
import { repoText, section } from "./helpers/doc_snippets.ts";
import { runCli } from "./helpers/cli.ts";

/** Rows of the first Markdown table in `markdown`: name (backticks stripped) → default cell. */
function optionTable(markdown: string): Map<string, string> {
  const rows = markdown.split("\n").filter((l) => /^\| `\w+`/.test(l));
  assert.ok(rows.length > 0, "the section has an options table");
  return new Map(rows.map((l) => {
    const cells = l.split("|").map((c) => c.trim());
    return [cells[1].replaceAll("`", ""), cells[2]];
  }));
}

/** Property name → its JSDoc, for `export interface NAME` in a source file. */
function interfaceDocs(source: string, name: string): Map<string, string> {
  const start = source.indexOf(`export interface ${name} {`);
  assert.ok(start >= 0, `${name} is declared`);
  const body = source.slice(start, source.indexOf("\n}\n", start));
  const props = new Map<string, string>();
  for (const m of body.matchAll(/\/\*\*([\s\S]*?)\*\/\s*(\w+)\??:/g)) {
    props.set(m[2], m[1].replace(/\s*\n\s*\*\s?/g, " ").trim());
  }
  return props;
}

/** A default that is a literal value (`true`, `100`, `/__ranged`), else undefined. */
function literal(cell: string): string | undefined {
  const m = /^`?([^`\s]+)`?$/.exec(cell);
  return m && /^(true|false|\d+|\/\S*)$/.test(m[1]) ? m[1] : undefined;
}

/** Checks one table against the JSDoc of the type the options belong to. */
function checkTable(doc: string, table: Map<string, string>, props: Map<string, string>) {
  assert.deepEqual([...table.keys()].sort(), [...props.keys()].sort(), `${doc}: the table lists exactly the options`);
  for (const [name, cell] of table) {
    const jsdoc = props.get(name)!;
    const lit = literal(cell);
    if (lit !== undefined) {
      assert.match(
        jsdoc,
        new RegExp(`Default \`?${lit.replace(/[/]/g, "\\/")}\`?\\b`),
        `${doc}: ${name} default ${lit}`,
      );
    } else if (/^(none|off)$/i.test(cell)) {
      assert.doesNotMatch(jsdoc, /\bDefault[ :]/, `${doc}: ${name} has no default, as the table says`);
    } else {
      // Prose: the numbers and code it names must be the source's.
      for (const token of cell.match(/`[^`]+`|\d+ [KMG]iB/g) ?? []) {
        assert.ok(jsdoc.includes(token.replaceAll("`", "")), `${doc}: ${name} default "${cell}" vs "${jsdoc}"`);
      }
    }
  }
}

const README = repoText("README.md");
const SERVING = repoText("docs/SERVING.md");

test("docs drift: README's Options table is HandleVideoOptions, with its defaults", () => {
  const table = optionTable(section(README, "Options"));
  checkTable("README", table, interfaceDocs(repoText("src/http/handler.ts"), "HandleVideoOptions"));
});

test("docs drift: SERVING.md's Options table is ServeDirOptions, with its defaults", () => {
  const table = optionTable(section(SERVING, "Options"));
  checkTable("SERVING.md", table, interfaceDocs(repoText("src/server/serve_dir_options.ts"), "ServeDirOptions"));
});

test("docs drift: handleVideo applies the defaults the README states", async () => {
  const table = optionTable(section(README, "Options"));
  const file = () => fromBytes(new Uint8Array(200_000), { name: "v.mp4", lastModified: Date.UTC(2026, 0, 1) });
  const plain = handleVideo(new Request("http://x/"), file());
  await plain.body?.cancel();
  assert.equal(plain.headers.has("etag"), table.get("etag") === "`true`", "etag default");
  assert.equal(plain.headers.has("last-modified"), table.get("lastModified") === "`true`", "lastModified default");
  assert.equal(plain.headers.has("cache-control"), table.get("cacheControl") !== "none", "cacheControl default");
  assert.equal(plain.headers.has("content-disposition"), table.get("disposition") !== "none", "disposition default");
  // maxRanges N: N separate one-byte ranges are a multipart 206, N + 1 the whole file.
  const max = Number(table.get("maxRanges"));
  const ranges = (n: number) => "bytes=" + Array.from({ length: n }, (_, i) => `${i * 1000}-${i * 1000}`).join(",");
  for (const [n, status] of [[max, 206], [max + 1, 200]]) {
    const res = handleVideo(new Request("http://x/", { headers: { range: ranges(n) } }), file());
    await res.body?.cancel();
    assert.equal(res.status, status, `${n} ranges with maxRanges at its stated default ${max}`);
  }
  // maxRangeLength off: one long range is sent whole.
  const long = handleVideo(new Request("http://x/", { headers: { range: "bytes=0-" } }), file());
  await long.body?.cancel();
  assert.equal(long.headers.get("content-range"), "bytes 0-199999/200000", "maxRangeLength is off by default");
});

test("docs drift: serveDir applies the defaults SERVING.md states", async () => {
  const table = optionTable(section(SERVING, "Options"));
  const root = mkdtempSync(join(tmpdir(), "ranged-drift-"));
  writeFileSync(join(root, ".hidden"), "dot");
  copyFileSync(new URL("../samples/testsrc-moov-at-end.mp4", import.meta.url), join(root, "end.mp4"));
  const h = serveDir(root);
  const get = (path: string) => h(new Request(`http://localhost${path}`));

  const dot = await get("/.hidden");
  await dot.body?.cancel();
  assert.equal(dot.status, table.get("dotfiles") === "`false`" ? 404 : 200, "dotfiles default");
  const index = await get("/");
  assert.equal(index.status, table.get("index") === "`true`" ? 200 : 404, "index default");
  assert.match(await index.text(), /end\.mp4/, "the index lists the file");
  const prefix = literal(table.get("prefix")!)!;
  const events = await get(`${prefix}/events?viewer=driftdefault`);
  await events.body?.cancel();
  assert.equal(
    events.status,
    table.get("rangeMap") === "`true`" ? 200 : 404,
    `rangeMap default, events under ${prefix}`,
  );
  const head = new Uint8Array(await (await get("/end.mp4")).arrayBuffer());
  const boxes = (await readTopLevelBoxes(fromBytes(head))).map((b) => b.type);
  assert.equal(
    boxes.indexOf("moov") < boxes.indexOf("mdat"),
    table.get("faststart") === "`true`",
    `faststart default: boxes as served ${boxes.join(",")}`,
  );
});

/** The long flags cli.ts's parseArgs declares, but --help. */
function cliFlags(): string[] {
  const block = /options: \{([\s\S]*?)\n\s*\},\n\s*\}\);/.exec(repoText("cli.ts"));
  assert.ok(block, "cli.ts declares its parseArgs options");
  const names = [...block[1].matchAll(/^\s*"?([\w-]+)"?: \{/gm)].map((m) => `--${m[1]}`);
  assert.ok(names.includes("--port"), `parsed the option names: ${names.join(" ")}`);
  return names.filter((n) => n !== "--help");
}

test("docs drift: the CLI synopses list every flag of cli.ts, and cli.ts accepts them all", async () => {
  const synopses = [README, SERVING].flatMap((md) =>
    md.split("\n").filter((l) => l.includes("@ranged/video/cli [dir]"))
  );
  assert.equal(synopses.length, 2, "one synopsis in the README, one in SERVING.md");
  for (const line of synopses) {
    const args = [...line.matchAll(/\[(--[\w-]+)(?: ([^\]]+))?\]/g)].flatMap((m) => (m[2] ? [m[1], m[2]] : [m[1]]));
    for (const flag of cliFlags()) assert.ok(args.includes(flag), `${flag} (cli.ts) is in the synopsis: ${line}`);
    const r = await runCli([...args, "--help"]);
    assert.equal(r.status, 0, `cli.ts accepts ${args.join(" ")}: ${r.stderr}`);
  }
});

test("docs drift: every file the README and docs/ link to exists and is published", () => {
  const include: string[] = JSON.parse(repoText("deno.json")).publish.include;
  const docs = [
    "README.md",
    ...readdirSync(new URL("../docs/", import.meta.url)).filter((f) => f.endsWith(".md"))
      .map((f) => `docs/${f}`),
  ];
  for (const doc of docs) {
    const dir = doc.includes("/") ? doc.slice(0, doc.lastIndexOf("/") + 1) : "";
    for (const m of repoText(doc).matchAll(/\]\(([^)#\s]+)[^)]*\)/g)) {
      if (/^[a-z]+:/.test(m[1])) continue; // an absolute URL
      const target = new URL(dir + m[1], "file:///").pathname.slice(1);
      assert.ok(existsSync(new URL(`../${target}`, import.meta.url)), `${doc} links to ${target}, which exists`);
      assert.ok(
        include.some((p) => (p.endsWith("/") ? target.startsWith(p) : target === p)),
        `${doc} links to ${target}: deno.json publish.include must cover it for the JSR page`,
      );
    }
  }
});
