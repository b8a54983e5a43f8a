// Path traversal corpus against serveDir on a real server of each runtime:
// raw request lines over node:net (fetch would normalize them), so the
// runtime's own HTTP parser is part of what is tested. Every path answers
// 400 or 404, and no response carries a byte of a file outside the root.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { Buffer } from "node:buffer";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:net";
import { serveDir } from "../src/adapters/serve.ts";
import { runtime, startServer, type TestServer } from "./helpers/server.ts";

const SECRET = "OUTSIDE-THE-ROOT-7f3a9c";
const TMP = mkdtempSync(join(tmpdir(), "ranged-traversal-"));
const ROOT = join(TMP, "root");
const OUTSIDE = join(TMP, "outside");
mkdirSync(join(ROOT, "sub", "deep"), { recursive: true });
mkdirSync(OUTSIDE);
mkdirSync(join(TMP, "root-evil"));
writeFileSync(join(OUTSIDE, "secret.txt"), SECRET);
writeFileSync(join(TMP, "secret.txt"), SECRET);
writeFileSync(join(TMP, "root-evil", "x.txt"), SECRET);
writeFileSync(join(ROOT, "video.mp4"), "inside video bytes");
writeFileSync(join(ROOT, "sub", "deep", "a.mp4"), "inside a");
writeFileSync(join(ROOT, ".env"), SECRET);
symlinkSync(join(OUTSIDE, "secret.txt"), join(ROOT, "abs-link.txt"));
symlinkSync("../outside/secret.txt", join(ROOT, "rel-link.txt"));
symlinkSync("../../../secret.txt", join(ROOT, "sub", "deep", "up-link.txt"));
symlinkSync(OUTSIDE, join(ROOT, "dir-link"));
symlinkSync(join(TMP, "root-evil"), join(ROOT, "prefix-link"));
symlinkSync("/etc", join(ROOT, "etc-link"));
symlinkSync("/etc/passwd", join(ROOT, "passwd-link"));
symlinkSync(join(TMP, "nowhere"), join(ROOT, "dangling"));
symlinkSync("loop-b", join(ROOT, "loop-a"));
symlinkSync("loop-a", join(ROOT, "loop-b"));

const S = "outside/secret.txt";
const long = (unit: string, count: number, tail = S) => "/" + unit.repeat(count) + tail;

/** Request targets, sent as raw bytes (latin1: "\xc0" is the single byte 0xC0). */
const HOSTILE: string[] = [
  // plain dot-dot, in every position
  `/../${S}`,
  `/../../../../../../../../etc/passwd`,
  `/sub/../../${S}`,
  `/sub/deep/../../../${S}`,
  `/./../${S}`,
  `/sub/./../../${S}`,
  `/sub/..%2f..%2f${S}`,
  // encoded slash and dots
  `/..%2f${S}`,
  `/..%2F${S.replace("/", "%2F")}`,
  `/%2e%2e/${S}`,
  `/%2E%2E/${S}`,
  `/%2e%2e%2f${S}`,
  `/.%2e/${S}`,
  `/%2e./${S}`,
  `/sub/%2e%2e/%2e%2e/${S}`,
  `/%2f..%2f..%2fsecret.txt`,
  `/%2fetc%2fpasswd`,
  // double and triple encoding
  `/%252e%252e/${S}`,
  `/%252e%252e%252f${S}`,
  `/..%252f${S}`,
  `/%25252e%25252e/${S}`,
  // backslashes, raw and encoded
  `/..\\${S}`,
  `/..\\..\\..\\etc\\passwd`,
  `/sub\\..\\..\\${S}`,
  `/..%5c${S}`,
  `/..%5C${S}`,
  `/%5c..%5c${S}`,
  `/%2e%2e%5c${S}`,
  // NUL and control characters
  `/%00`,
  `/video.mp4%00.txt`,
  `/%00/../${S}`,
  `/../${S}%00.mp4`,
  `/video.mp4%0a`,
  `/%0d%0a../${S}`,
  `/video.mp4\x00`,
  // overlong and invalid UTF-8, encoded and raw
  `/%c0%ae%c0%ae/${S}`,
  `/%c0%2e%c0%2e/${S}`,
  `/%e0%80%ae%e0%80%ae/${S}`,
  `/%c0%af..%c0%af${S}`,
  `/..%c0%af${S}`,
  `/..%c1%9c${S}`,
  `/%f0%80%80%ae%f0%80%80%ae/${S}`,
  `/\xc0\xae\xc0\xae/${S}`,
  `/..\xc0\xaf${S}`,
  `/%ff%fe/${S}`,
  `/%u002e%u002e/${S}`,
  `/..%u2215${S}`,
  `/..\u2215${S}`.replace("\u2215", "\xe2\x88\x95"),
  `/%e2%80%ae../${S}`,
  // absolute paths and other URI forms
  `//${S}`,
  `//etc/passwd`,
  `/etc/passwd`,
  `/${OUTSIDE}/secret.txt`,
  `/${encodeURIComponent(join(OUTSIDE, "secret.txt"))}`,
  `/proc/self/environ`,
  `/file:///etc/passwd`,
  `http://127.0.0.1/../../${S}`,
  `../${S}`,
  `${join(OUTSIDE, "secret.txt")}`,
  `/..;/${S}`,
  `/.../${S}`,
  `/....//${S}`,
  // dotfiles
  `/.env`,
  `/%2eenv`,
  `/./.env`,
  // symlinks pointing outside the root
  `/abs-link.txt`,
  `/rel-link.txt`,
  `/sub/deep/up-link.txt`,
  `/dir-link/secret.txt`,
  `/dir-link/`,
  `/dir-link`,
  `/prefix-link/x.txt`,
  `/etc-link/passwd`,
  `/passwd-link`,
  `/dangling`,
  `/loop-a`,
  `/dir-link/secret.txt?player`,
  `/abs-link.txt?player`,
  // very long paths (below every runtime's request-line limit)
  long("../", 1300),
  long("..%2f", 800),
  long("%2e%2e/", 570),
  long("a/", 2100),
  long("sub/..", 700),
  "/" + "x".repeat(8000),
  // malformed percent-encoding
  `/%`,
  `/%ZZ/${S}`,
  `/%2`,
];

/**
 * Targets with bytes RFC 9112 does not allow in a request-target (NUL, CTL,
 * non-ASCII): the runtime's own parser may refuse them before serveDir runs,
 * with its own status (Bun answers a raw NUL with 505) or by closing the
 * connection. For these any refusal (4xx/5xx or no answer) passes, if no byte leaks.
 */
// deno-lint-ignore no-control-regex
const WIRE_INVALID = new Set(HOSTILE.filter((p) => /[\x00-\x1f\x7f-\xff]/.test(p)));

/**
 * Dot segments above the root: `/..` is `/` by RFC 3986 §5.2.4
 * (remove_dot_segments), which every runtime applies when it builds
 * `req.url` (WHATWG URL also takes `%2e%2e` for `..`), so serveDir sees `/` and answers the root's own index. Pinned
 * here so that this stays the root (inside), never its parent.
 */
const CLAMPED_TO_ROOT = ["/..", "/../", "/sub/../..", "/../../..", "/%2e%2e/.."];

let server: TestServer;
before(async () => {
  const handler = serveDir(ROOT, { onError: (err) => console.error("serveDir error", err) });
  server = await startServer(handler);
});
after(async () => {
  await server.close();
  rmSync(TMP, { recursive: true, force: true });
});

/** Sends `head` as raw bytes; returns everything the server sent before closing. */
function exchange(head: string): Promise<{ raw: string; status: number | undefined }> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("no answer within 10 s"));
    }, 10_000);
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString("latin1");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
      resolve({ raw, status: m ? Number(m[1]) : undefined });
    });
    socket.write(Buffer.from(head, "latin1"));
  });
}

const PASSWD = /root:[^:]*:0:0:/;

describe(`path traversal on ${runtime}`, () => {
  test(`the corpus has at least 60 hostile paths (${HOSTILE.length})`, () => {
    assert.ok(HOSTILE.length >= 60);
    assert.equal(new Set(HOSTILE).size, HOSTILE.length, "duplicates in the corpus");
  });

  test("inside files are served (the server under test really serves)", async () => {
    const { status, raw } = await exchange("GET /sub/deep/a.mp4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.equal(status, 200);
    assert.ok(raw.endsWith("inside a"));
  });

  test("dot segments above the root stop at the root: its own index, no outside byte", async () => {
    const root = await exchange("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.equal(root.status, 200);
    for (const path of CLAMPED_TO_ROOT) {
      const { raw, status } = await exchange(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.ok(!raw.includes(SECRET) && !PASSWD.test(raw), `${path} leaked`);
      assert.equal(status, 200, path);
      assert.match(raw, /video\.mp4/, `${path} is not the root's index`);
    }
  });

  for (const method of ["GET", "HEAD"]) {
    for (const range of ["", "Range: bytes=0-5\r\n"]) {
      test(`${method}${range ? " with Range" : ""}: every hostile path answers 400 or 404, never an outside byte`, async () => {
        const failures: string[] = [];
        const refusals: string[] = [];
        for (const path of HOSTILE) {
          const { raw, status } = await exchange(
            `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${range}\r\n`,
          );
          const shown = JSON.stringify(path.length > 80 ? path.slice(0, 80) + "…" : path);
          if (raw.includes(SECRET) || raw.includes(SECRET.slice(0, 12)) || PASSWD.test(raw)) {
            failures.push(`${shown}: LEAKED outside bytes`);
          } else if (WIRE_INVALID.has(path)) {
            refusals.push(`${shown} ${status ?? "closed"}`);
            if (status !== undefined && status < 400) failures.push(`${shown}: answered ${status}`);
          } else if (status !== 400 && status !== 404) {
            failures.push(`${shown}: answered ${status ?? "nothing (connection closed)"}`);
          }
        }
        if (method === "GET" && !range) {
          console.log(`[traversal ${runtime}] invalid on the wire: ${refusals.join(", ")}`);
        }
        assert.deepEqual(failures, []);
      });
    }
  }
});
