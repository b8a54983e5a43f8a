// The compact sample columns of a track spelled out as flat arrays, so tests
// can compare whole tables at once.
import type { SampleColumns } from "../../src/media/sample_columns.ts";

export interface FlatColumns {
  offsets: number[];
  sizes: number[];
  /** count + 1 values. */
  dts: number[];
  cts: number[];
  /** 1 for a sync sample; undefined without stss. */
  sync: number[] | undefined;
}

export function flat(t: SampleColumns): FlatColumns {
  const n = t.count;
  const range = (f: (i: number) => number, len = n) => Array.from({ length: len }, (_, i) => f(i));
  return {
    offsets: range((i) => t.offset(i)),
    sizes: [...t.sizes],
    dts: range((i) => t.dts(i), n + 1),
    cts: range((i) => t.cts(i)),
    sync: t.hasSyncTable ? range((i) => (t.isSync(i) ? 1 : 0)) : undefined,
  };
}
