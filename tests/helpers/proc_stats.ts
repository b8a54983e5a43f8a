// Process figures for leak tests, the same on Deno, Bun and Node: open file
// descriptors (/proc/self/fd, Linux), resident memory, and a full GC where
// the runtime can be asked for one without command-line flags.
import { readdirSync, readlinkSync, realpathSync } from "node:fs";
import process from "node:process";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** Entries of /proc/self/fd (the count includes the directory handle readdir itself opens). */
export function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

/**
 * Open descriptors whose target lies under `dir` (Linux). Unlike `openFds`,
 * a socket or file another test is still closing cannot move this count.
 */
export function openFdsUnder(dir: string): number {
  const under = realpathSync(dir) + "/"; // /proc links name real paths
  let n = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(under)) n++;
    } catch {
      // closed between the listing and the readlink (the listing's own handle, for one)
    }
  }
  return n;
}

/** Resident set size in bytes. */
export function rss(): number {
  return process.memoryUsage().rss;
}

let collect: (() => void) | undefined | null = null;

/** Runs a full garbage collection: Bun.gc(true), or V8's gc exposed at run time (Node, Deno). */
export function fullGc(): void {
  if (collect === null) {
    if (g.Bun) collect = () => g.Bun.gc(true);
    else {
      try {
        setFlagsFromString("--expose-gc");
        collect = runInNewContext("gc") as () => void;
      } catch {
        collect = undefined;
      }
    }
  }
  collect?.();
}

/** Polls `check` until it returns true or `ms` elapse; returns its last result. */
export async function waitUntil(check: () => boolean, ms: number, every = 25): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return check();
    await new Promise((r) => setTimeout(r, every));
  }
  return true;
}

export const MiB = 1024 * 1024;
