// Builds whole moov boxes with real sample tables in code, so a test can swap
// any one table for a hostile one. Shares no code with src/media/.
import { ascii, box, concat, fullBox, u32, u64 } from "./mp4_build.ts";

export type Bytes = Uint8Array;

export function u16(n: number): Bytes {
  return Uint8Array.of((n >> 8) & 0xff, n & 0xff);
}

export function stts(entries: [number, number][]): Bytes {
  return fullBox("stts", 0, 0, u32(entries.length), ...entries.flatMap(([n, d]) => [u32(n), u32(d)]));
}

export function ctts(version: number, entries: [number, number][]): Bytes {
  return fullBox("ctts", version, 0, u32(entries.length), ...entries.flatMap(([n, o]) => [u32(n), u32(o >>> 0)]));
}

export function stss(samples: number[]): Bytes {
  return fullBox("stss", 0, 0, u32(samples.length), ...samples.map(u32));
}

export function stsc(entries: [number, number, number][]): Bytes {
  return fullBox("stsc", 0, 0, u32(entries.length), ...entries.flatMap((e) => e.map(u32)));
}

export function stsz(constant: number, sizes: number[], count = sizes.length): Bytes {
  return fullBox("stsz", 0, 0, u32(constant), u32(count), ...sizes.map(u32));
}

export function stz2(field: 4 | 8 | 16, sizes: number[]): Bytes {
  let entries: Bytes;
  if (field === 16) entries = concat(...sizes.map(u16));
  else if (field === 8) entries = Uint8Array.from(sizes);
  else {
    entries = new Uint8Array(Math.ceil(sizes.length / 2));
    sizes.forEach((s, i) => entries[i >> 1] |= i % 2 === 0 ? s << 4 : s);
  }
  return fullBox("stz2", 0, 0, Uint8Array.of(0, 0, 0, field), u32(sizes.length), entries);
}

export function elst(version: 0 | 1, entries: [number, number, number][]): Bytes {
  const parts = entries.flatMap(([dur, mt, rate]) =>
    version === 1 ? [u64(dur), u64(BigInt.asUintN(64, BigInt(mt))), u32(rate)] : [u32(dur), u32(mt >>> 0), u32(rate)]
  );
  return box("edts", fullBox("elst", version, 0, u32(entries.length), ...parts));
}

export function tkhd(id: number, width = 0, height = 0): Bytes {
  return fullBox(
    "tkhd",
    0,
    3,
    concat(u32(0), u32(0), u32(id), u32(0), u32(0), new Uint8Array(8), new Uint8Array(8), new Uint8Array(36)),
    u32(width * 65536),
    u32(height * 65536),
  );
}

export function mdhd(timescale: number, language = 0x55c4 /* "und" */): Bytes {
  return fullBox("mdhd", 0, 0, u32(0), u32(0), u32(timescale), u32(0), u16(language), u16(0));
}

export function hdlr(handler: string): Bytes {
  return fullBox("hdlr", 0, 0, u32(0), ascii(handler), new Uint8Array(12), Uint8Array.of(0));
}

export const STSD = fullBox("stsd", 0, 0, u32(1), box("avc1", new Uint8Array(78)));
export const DINF = box("dinf", fullBox("dref", 0, 0, u32(1), fullBox("url ", 0, 1)));

export interface TrackSpec {
  id?: number;
  handler?: string;
  timescale?: number;
  width?: number;
  height?: number;
  language?: number;
  /** Replaces (or with null removes) one of the default sample tables. */
  tables?: Partial<Record<"stsd" | "stts" | "ctts" | "stss" | "stsc" | "sizes" | "chunks", Bytes | null>>;
  extraStbl?: Bytes[];
  edts?: Bytes;
  extraTrak?: Bytes[];
  extraMinf?: Bytes[];
  /** Replaces the self-contained default dinf. */
  dinf?: Bytes;
}

/**
 * Default track: 4 samples of 10, 20, 30, 40 bytes in two chunks at 1000 and
 * 1100 (two samples each), 100 ticks apart, sync samples 1 and 3.
 */
export function trak(spec: TrackSpec = {}): Bytes {
  const t = spec.tables ?? {};
  const pick = (name: keyof NonNullable<TrackSpec["tables"]>, fallback: Bytes | undefined) =>
    name in t ? (t[name] ?? undefined) : fallback;
  const tables = [
    pick("stsd", STSD),
    pick("stts", stts([[4, 100]])),
    pick("ctts", undefined),
    pick("stss", stss([1, 3])),
    pick("stsc", stsc([[1, 2, 1]])),
    pick("sizes", stsz(0, [10, 20, 30, 40])),
    pick("chunks", fullBox("stco", 0, 0, u32(2), u32(1000), u32(1100))),
  ].filter((b): b is Bytes => b !== undefined);
  const vide = (spec.handler ?? "vide") === "vide";
  return box(
    "trak",
    tkhd(spec.id ?? 1, spec.width ?? (vide ? 320 : 0), spec.height ?? (vide ? 180 : 0)),
    ...(spec.edts ? [spec.edts] : []),
    ...(spec.extraTrak ?? []),
    box(
      "mdia",
      mdhd(spec.timescale ?? 1000, spec.language),
      hdlr(spec.handler ?? "vide"),
      box(
        "minf",
        vide ? fullBox("vmhd", 0, 1, new Uint8Array(8)) : fullBox("smhd", 0, 0, new Uint8Array(4)),
        spec.dinf ?? DINF,
        ...(spec.extraMinf ?? []),
        box("stbl", ...tables, ...(spec.extraStbl ?? [])),
      ),
    ),
  );
}

export function mvhd(timescale = 1000, duration = 400): Bytes {
  return fullBox("mvhd", 0, 0, u32(0), u32(0), u32(timescale), u32(duration), new Uint8Array(80));
}

export function movie(...traks: Bytes[]): Bytes {
  return box("moov", mvhd(), ...traks);
}
