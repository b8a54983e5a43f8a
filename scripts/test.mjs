#!/usr/bin/env node
// Runs the same node:test files on Deno, Node and Bun, and fails if any
// runtime fails. `--e2e` runs tests/e2e/ (needs Debian packages) instead of
// tests/. `--runtime deno|node|bun` limits the run to one runtime.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const args = process.argv.slice(2);
const e2e = args.includes("--e2e");
const only = args.includes("--runtime") ? args[args.indexOf("--runtime") + 1] : undefined;
const filters = args.filter((a, i) => !a.startsWith("--") && args[i - 1] !== "--runtime");
const dir = e2e ? "tests/e2e" : "tests";
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".test.ts"))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort()
  .map((f) => join(dir, f));
if (files.length === 0) {
  console.error(`no test files in ${dir}`);
  process.exit(1);
}

if (e2e) {
  // The end-to-end suites drive real clients and servers from Debian's
  // packages: say exactly what to install rather than fail one test at a time.
  const needs = {
    chromium: "chromium",
    ffmpeg: "ffmpeg",
    ffprobe: "ffmpeg",
    curl: "curl",
    nginx: "nginx",
    WebKitWebDriver: "webkit2gtk-driver",
    "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser": "libwebkit2gtk-4.1-0",
    Xvfb: "xvfb",
    // H.264/AAC decoding for WebKitGTK; checked by path, these ship no binary.
    "/usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstlibav.so": "gstreamer1.0-libav",
    "/usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstisomp4.so": "gstreamer1.0-plugins-good",
    "/usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstvideoparsersbad.so": "gstreamer1.0-plugins-bad",
  };
  const path = `${process.env.PATH ?? ""}:/usr/sbin:/sbin`;
  const missing = Object.keys(needs).filter((b) =>
    spawnSync("sh", ["-c", `command -v ${b}`], { env: { PATH: path } }).status !== 0
  );
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((b) => needs[b]))].join(" ");
    console.error(`missing ${missing.join(", ")}: apt-get install -y ${pkgs}`);
    console.log("runtimes: 0 passed, 3 failed");
    process.exit(1);
  }
}

const bin = (name) => join("node_modules", ".bin", name);
const runtimes = {
  deno: [bin("deno"), ["test", "-A", "--no-prompt", ...files]],
  node: [process.execPath, ["--import", "tsx", "--test", "--test-concurrency=1", ...files]],
  bun: [bin("bun"), ["test", "--timeout", "120000", ...files.map((f) => "./" + f)]],
};

const results = [];
for (const [name, [cmd, argv]] of Object.entries(runtimes)) {
  if (only && only !== name) continue;
  console.log(`\n=== ${name}: ${files.length} file(s) in ${dir} ===`);
  const started = Date.now();
  const r = spawnSync(cmd, argv, { stdio: "inherit", env: { ...process.env, RANGED_TEST_RUNTIME: name } });
  results.push({ name, ok: r.status === 0, seconds: ((Date.now() - started) / 1000).toFixed(1) });
}
console.log("\n=== summary ===");
for (const r of results) console.log(`${r.name.padEnd(5)} ${r.ok ? "ok  " : "FAIL"} ${r.seconds}s`);
const failed = results.filter((r) => !r.ok).length;
console.log(`runtimes: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
