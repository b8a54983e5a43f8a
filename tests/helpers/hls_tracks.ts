// Synthetic sample indexes for the HLS tests, and an fMP4 reader that shares
// no code with src/media/hls/, so the writers are checked against an
// independent reading of their output.
import type { HlsTrack } from "../../src/media/hls/track.ts";
import { SampleColumns } from "../../src/media/sample_columns.ts";
import { ascii, box, concat, fullBox, u32 } from "./mp4_build.ts";

export interface TrackSpec {
  id?: number;
  handler?: "vide" | "soun";
  timescale?: number;
  /** Per-sample durations (ticks). */
  durations: number[];
  cts?: number[];
  /** Indexes of sync samples; omitted = all. */
  sync?: number[];
  sizes?: number[];
  /** Offsets; default: samples back to back from `base`. */
  offsets?: number[];
  base?: number;
  emptyDuration?: number;
  mediaTime?: number;
  /** The media edit's duration (movie timescale); default 0, to the end of the media. */
  editDuration?: number;
  stsd?: Uint8Array;
}

const u16 = (n: number) => new Uint8Array([n >> 8, n & 0xff]);

/** An stsd with one avc1 entry whose avcC says High profile (0x64), level 3.0 (0x1e). */
export function avcStsd(profile = 0x64, compat = 0x00, level = 0x1e): Uint8Array {
  const avcC = box("avcC", new Uint8Array([1, profile, compat, level, 0xff, 0xe0, 0x00]));
  const visual = concat(new Uint8Array(6), u16(1), new Uint8Array(16), u16(640), u16(360), new Uint8Array(14 + 32 + 4));
  return fullBox("stsd", 0, 0, u32(1), box("avc1", visual, avcC));
}

/** An stsd with one mp4a entry whose esds holds AudioSpecificConfig with object type `aot`. */
export function aacStsd(aot = 2): Uint8Array {
  const asc = aot < 31
    ? new Uint8Array([aot << 3, 0x10])
    : new Uint8Array([0xf8 | ((aot - 32) >> 3), ((aot - 32) & 7) << 5]);
  const dsi = concat(new Uint8Array([5, asc.length]), asc);
  const dcd = concat(new Uint8Array([4, 13 + dsi.length, 0x40, 0x15, 0, 0, 0]), u32(128000), u32(128000), dsi);
  const es = concat(new Uint8Array([3, 3 + dcd.length + 3, 0, 1, 0]), dcd, new Uint8Array([6, 1, 2]));
  const audio = concat(
    new Uint8Array(6),
    u16(1),
    new Uint8Array(8),
    u16(2),
    u16(16),
    new Uint8Array(4),
    u32(44100 << 16),
  );
  return fullBox("stsd", 0, 0, u32(1), box("mp4a", audio, fullBox("esds", 0, 0, es)));
}

export function makeTrack(spec: TrackSpec): HlsTrack {
  const count = spec.durations.length;
  const dts = new Float64Array(count + 1);
  for (let i = 0; i < count; i++) dts[i + 1] = dts[i] + spec.durations[i];
  const sizes = Uint32Array.from(spec.sizes ?? spec.durations.map((_, i) => 100 + (i % 7)));
  const offsets = new Float64Array(count);
  let at = spec.base ?? 1000;
  for (let i = 0; i < count; i++) {
    offsets[i] = spec.offsets?.[i] ?? at;
    at = offsets[i] + sizes[i];
  }
  const handler = spec.handler ?? "vide";
  const id = spec.id ?? 1;
  const columns = SampleColumns.fromArrays({ offsets, sizes, dts, cts: spec.cts, sync: spec.sync });
  return Object.assign(columns, {
    id,
    handler,
    timescale: spec.timescale ?? 12800,
    edit: { emptyDuration: spec.emptyDuration ?? 0, mediaTime: spec.mediaTime ?? 0, duration: spec.editDuration ?? 0 },
    width: handler === "vide" ? 640 : 0,
    height: handler === "vide" ? 360 : 0,
    language: "und",
    boxes: {
      tkhd: fullBox("tkhd", 0, 3, u32(0), u32(0), u32(id), u32(0), u32(123456), new Uint8Array(60)),
      mdhd: fullBox("mdhd", 0, 0, u32(0), u32(0), u32(spec.timescale ?? 12800), u32(654321), u32(0x55c40000)),
      hdlr: fullBox("hdlr", 0, 0, u32(0), ascii(handler), new Uint8Array(13)),
      mediaHeader: handler === "vide" ? fullBox("vmhd", 0, 1, new Uint8Array(8)) : fullBox("smhd", 0, 0, u32(0)),
      dinf: undefined,
      stsd: spec.stsd ?? (handler === "vide" ? avcStsd() : aacStsd()),
    },
  });
}

export const MVHD = fullBox("mvhd", 0, 0, u32(0), u32(0), u32(1000), u32(10000), new Uint8Array(80));

// ---------------------------------------------------------------------------
// An independent reader.
// ---------------------------------------------------------------------------

export interface Box {
  type: string;
  start: number;
  size: number;
  body: Uint8Array;
  children?: Box[];
}

const CONTAINERS = new Set(["moov", "trak", "mdia", "minf", "stbl", "mvex", "moof", "traf", "dinf"]);

export function readBoxes(bytes: Uint8Array, start = 0, end = bytes.length): Box[] {
  const out: Box[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = start;
  while (at + 8 <= end) {
    let size = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    let header = 8;
    if (size === 1) {
      size = Number(view.getBigUint64(at + 8));
      header = 16;
    }
    if (size < header || at + size > end) throw new Error(`bad box ${type} at ${at}: size ${size}`);
    const b: Box = { type, start: at, size, body: bytes.subarray(at + header, at + size) };
    if (CONTAINERS.has(type)) b.children = readBoxes(bytes, at + header, at + size);
    out.push(b);
    at += size;
  }
  if (at !== end) throw new Error(`${end - at} stray bytes at ${at}`);
  return out;
}

export function find(boxes: Box[], path: string): Box[] {
  const [head, ...rest] = path.split("/");
  const here = boxes.filter((b) => b.type === head);
  if (rest.length === 0) return here;
  return here.flatMap((b) => find(b.children ?? [], rest.join("/")));
}

export interface Trun {
  trackId: number;
  tfhdFlags: number;
  baseTime: number;
  tfdtVersion: number;
  trunVersion: number;
  dataOffset: number;
  samples: { duration: number; size: number; flags: number; cto: number }[];
}

export function readTrafs(moof: Box): Trun[] {
  return find([moof], "moof/traf").map((traf) => {
    const [tfhd] = find([traf], "traf/tfhd");
    const [tfdt] = find([traf], "traf/tfdt");
    const [trun] = find([traf], "traf/trun");
    const hv = new DataView(tfhd.body.buffer, tfhd.body.byteOffset, tfhd.body.byteLength);
    const dv = new DataView(tfdt.body.buffer, tfdt.body.byteOffset, tfdt.body.byteLength);
    const rv = new DataView(trun.body.buffer, trun.body.byteOffset, trun.body.byteLength);
    const tfdtVersion = tfdt.body[0];
    const flags = rv.getUint32(0) & 0xffffff;
    if (flags !== 0xf01) throw new Error(`unexpected trun flags ${flags.toString(16)}`);
    const count = rv.getUint32(4);
    const samples = [];
    for (let i = 0; i < count; i++) {
      const at = 12 + 16 * i;
      samples.push({
        duration: rv.getUint32(at),
        size: rv.getUint32(at + 4),
        flags: rv.getUint32(at + 8),
        cto: rv.getInt32(at + 12),
      });
    }
    return {
      trackId: hv.getUint32(4),
      tfhdFlags: hv.getUint32(0) & 0xffffff,
      baseTime: tfdtVersion === 1 ? Number(dv.getBigUint64(4)) : dv.getUint32(4),
      tfdtVersion,
      trunVersion: trun.body[0],
      dataOffset: rv.getInt32(8),
      samples,
    };
  });
}
