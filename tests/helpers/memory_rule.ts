// The memory rule of the abort test, apart from the I/O so it tests as a
// table. It compares two samples taken after a full GC, both after a warm-up,
// because the runtimes' caches grow under the first thousands of aborts and
// then hold (scripts/abort_rss.ts, 10,000 aborts, docs/HARDENING.md): glibc's
// main arena (+70 MiB on Node 24, the same with a plain node:http server and
// no ranged code) and V8's young generation (Node 24 grows it to 128 MiB
// committed, Node 22 and 26 to 32 MiB), neither of which shrinks after a GC.
// A baseline taken before that growth blames the runtime on ranged.
import process from "node:process";
import { MiB } from "./proc_stats.ts";

export interface MemorySample {
  rss: number;
  heapUsed: number;
  /** Memory outside the JS heap that the runtime can attribute: ArrayBuffers, Buffers (Node, Deno, Bun). */
  external: number;
}

/**
 * Growth allowed between the two samples, per figure. `heapUsed` and
 * `external` (the bytes of live ArrayBuffers and Buffers) are exact, so their
 * limits are tight. RSS also counts the runtime's caches still settling: after
 * 2,000 aborts, 1,000 more grew it by up to 23 MiB on Node 24 (V8's young
 * generation reaching its maximum), 5 MiB on Node 22 and 26; a leak of one
 * 64 KiB buffer per request adds about 55 MiB over those 1,000.
 */
export const LIMITS: MemorySample = { rss: 32 * MiB, heapUsed: 8 * MiB, external: 8 * MiB };

/**
 * Deno's RSS moves with its native side (hyper and tokio buffers, freed but
 * kept by the allocator), and by how many aborted connections were in flight
 * at once: on a loaded machine (two suite loops sharing the 2 cores) 1,000
 * aborts after the warm-up grew it by 40.9 MiB while the JS heap (+0.1 MiB)
 * and external (+0.0) stayed flat. Its RSS then cannot tell the test's 64 KiB
 * per request leak (+38 MiB RSS on Deno) from that noise anyway, so on Deno
 * the exact figures are the guard and RSS only catches native leaks of about
 * 64 KiB per request and more (docs/HARDENING.md, "Known problems").
 */
export const DENO_LIMITS: MemorySample = { ...LIMITS, rss: 64 * MiB };

/** The limits for `runtime`: {@link DENO_LIMITS} on Deno, {@link LIMITS} elsewhere. */
export function limitsFor(runtime: "deno" | "bun" | "node"): MemorySample {
  return runtime === "deno" ? DENO_LIMITS : LIMITS;
}

export function memorySample(): MemorySample {
  const { rss, heapUsed, external } = process.memoryUsage();
  return { rss, heapUsed, external };
}

/** What grew past its limit, one line each; empty when nothing did. */
export function memoryGrowth(before: MemorySample, after: MemorySample, limits = LIMITS): string[] {
  const out: string[] = [];
  for (const key of ["rss", "heapUsed", "external"] as const) {
    const grew = after[key] - before[key];
    if (grew >= limits[key]) {
      out.push(`${key} grew by ${(grew / MiB).toFixed(1)} MiB (limit ${(limits[key] / MiB).toFixed(0)} MiB)`);
    }
  }
  return out;
}

export function describeSample(m: MemorySample): string {
  return `RSS ${(m.rss / MiB).toFixed(1)}, heap ${(m.heapUsed / MiB).toFixed(1)}, external ${
    (m.external / MiB).toFixed(1)
  } MiB`;
}
