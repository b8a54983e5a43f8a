// Memory as the moov benchmarks measure it: heap plus array buffers after
// forced collections (node --expose-gc, deno --v8-flags=--expose-gc, Bun.gc).
import process from "node:process";

const gc = (globalThis as { gc?: () => void }).gc ??
  (globalThis as { Bun?: { gc(force: boolean): void } }).Bun?.gc.bind(null, true);

/** Bytes in use after collecting: backing stores of typed arrays go a cycle after their wrappers, so collect thrice. */
export async function usedBytes(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 10));
  }
  const u = process.memoryUsage();
  return u.heapUsed + u.arrayBuffers;
}
