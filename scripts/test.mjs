#!/usr/bin/env node
// Runs the same node:test files on Deno, the supported Node lines (22, 24,
// 26: binaries from npm, see node_line.mjs) and Bun, and fails if any
// runtime fails. `--e2e` runs tests/e2e/ (needs Debian packages) instead of
// tests/. `--runtime deno|node|node22|node24|node26|bun` limits the run to one
// runtime (`node`: the three lines); `--runtime node-host` runs the Node that
// runs this script (not in the default run: this machine's Node 20 is past its
// end of life, see README "Supported runtimes").
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { NODE_LINES, nodeBinary } from "./node_line.mjs";

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
    "firefox-esr": "firefox-esr",
    // H.264/AAC decoding for Firefox, loaded at run time.
    "/usr/lib/x86_64-linux-gnu/libavcodec.so.59": "libavcodec59",
    mpv: "mpv",
    aria2c: "aria2",
    wget: "wget",
  };
  const path = `${process.env.PATH ?? ""}:/usr/sbin:/sbin`;
  const missing = Object.keys(needs).filter((b) =>
    spawnSync("sh", ["-c", `command -v ${b}`], { env: { PATH: path } }).status !== 0
  );
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((b) => needs[b]))].join(" ");
    console.error(`missing ${missing.join(", ")}: apt-get install -y ${pkgs}`);
    console.log("runtimes: 0 passed, 5 failed");
    process.exit(1);
  }
}

const bin = (name) => join("node_modules", ".bin", name);
// spec: the reporter Node 23+ uses anyway; Node 22 writes TAP when its output is not a terminal.
const nodeArgs = ["--import", "tsx", "--test", "--test-reporter=spec", "--test-concurrency=1", ...files];
// Each entry: [binary (a function, so a Node line installs only when it runs), argv, runtime family].
const runtimes = {
  deno: [() => bin("deno"), ["test", "-A", "--no-prompt", ...files], "deno"],
  ...Object.fromEntries(
    Object.keys(NODE_LINES).map((line) => [`node${line}`, [() => nodeBinary(Number(line)), nodeArgs, "node"]]),
  ),
  // Bun applies --timeout to every test: the abort test runs 4,000 aborts, minutes on a loaded machine.
  bun: [() => bin("bun"), ["test", "--timeout", "600000", ...files.map((f) => "./" + f)], "bun"],
};
const selected = only === "node-host"
  ? { "node-host": [() => process.execPath, nodeArgs, "node"] }
  : Object.fromEntries(
    Object.entries(runtimes).filter(([name, [, , family]]) => !only || only === name || only === family),
  );
if (Object.keys(selected).length === 0) {
  console.error(`unknown runtime ${only}: one of ${[...Object.keys(runtimes), "node", "node-host"].join(", ")}`);
  process.exit(1);
}

const results = [];
for (const [name, [binary, argv, family]] of Object.entries(selected)) {
  const cmd = binary();
  console.log(`\n=== ${name}: ${files.length} file(s) in ${dir} ===`);
  const started = Date.now();
  const r = spawnSync(cmd, argv, { stdio: "inherit", env: { ...process.env, RANGED_TEST_RUNTIME: family } });
  results.push({ name, ok: r.status === 0, seconds: ((Date.now() - started) / 1000).toFixed(1) });
}
console.log("\n=== summary ===");
for (const r of results) console.log(`${r.name.padEnd(9)} ${r.ok ? "ok  " : "FAIL"} ${r.seconds}s`);
const failed = results.filter((r) => !r.ok).length;
console.log(`runtimes: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
