// Functions in src/ stay short enough to read in one screen: about 80 lines.
// A longer one must say why in the comment above it (a closure whose state
// would otherwise be threaded through many small functions, a state machine
// that reads better whole), with the words "Long on purpose".
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LIMIT = 80;
const WAIVER = "Long on purpose";

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []
  );
}

/** A function, method or arrow body that opens at the end of a line (deno fmt's layout). */
const START = new RegExp(
  "^(\\s*)(?:export\\s+)?(?:default\\s+)?(?:async\\s+)?(?:" + [
    "function\\b", // declarations, signatures on one or several lines
    "(?:const|let)\\s+\\w+\\s*(?::[^=]+)?=\\s*(?:async\\s*)?(?:\\([^)]*\\)|\\w+)\\s*(?::[^=]+)?=>\\s*\\{\\s*$", // arrows
    "(?:(?:public|private|protected|static|async|get|set)\\s+)*\\*?\\w+\\s*\\([^)]*\\)\\s*(?::[^{]+)?\\{\\s*$", // methods
  ].join("|") + ")",
);
const CONTROL = /^\s*(?:if|for|while|switch|catch|return|else|do|try)\b/;

/** [file:line, length] of every function longer than LIMIT lines without a waiver. */
export function longFunctions(files: string[]): [string, number][] {
  const found: [string, number][] = [];
  for (const file of files) {
    const lines = readFileSync(file, "utf8").split("\n");
    lines.forEach((line, i) => {
      const m = START.exec(line);
      if (!m || CONTROL.test(line)) return;
      const indent = m[1];
      // The body ends at the first line that closes at the same indentation.
      const close = new RegExp(`^${indent}[})\\]][;,)]*\\s*$`);
      let end = i + 1;
      while (end < lines.length && !close.test(lines[end])) end++;
      if (end >= lines.length) return;
      const length = end - i + 1;
      if (length <= LIMIT) return;
      // The comment above: line comments right before, or the whole JSDoc block.
      let top = i;
      while (top > 0 && /^\s*(\/\/|\*|\/\*\*)/.test(lines[top - 1])) top--;
      if (!lines.slice(top, i + 1).join("\n").includes(WAIVER)) {
        found.push([`${file.slice(ROOT.length)}:${i + 1}`, length]);
      }
    });
  }
  return found;
}

test(`no function in src/ is longer than ${LIMIT} lines unless its comment says why ("${WAIVER}")`, () => {
  const files = walk(join(ROOT, "src"));
  assert.ok(files.length > 20, "src/ is scanned");
  assert.deepEqual(longFunctions(files), [], "functions too long, with no reason given");
});

test("the length check sees a long function and accepts a waiver", () => {
  const dir = join(ROOT, "tests", "fixtures");
  const long = join(dir, "long_function.txt");
  const hits = longFunctions([long]);
  assert.deepEqual(hits.map(([at, n]) => [at.replace(/\\/g, "/"), n]), [["tests/fixtures/long_function.txt:1", 84]]);
});
