// Codec strings against the stsd boxes of files ffmpeg made (libx265, libaom-av1,
// libsvtav1, libopus, flac; the commands are beside each fixture), and against the
// examples of the specs that define them (ISO/IEC 14496-15 Annex E, AV1-ISOBMFF §A.3).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { codecOf, dashCodec } from "../src/media/hls/codecs.ts";
import { av1CodecString } from "../src/media/hls/av1_codec.ts";
import { HlsUnsupportedError } from "../src/media/hls/errors.ts";
import { box, fullBox, u32 } from "./helpers/mp4_build.ts";

const hex = (text: string) => Uint8Array.from(text.match(/../g)!.map((b) => parseInt(b, 16)));

// Every fixture: `ffmpeg -f lavfi -i testsrc2=duration=0.2:size=64x64:rate=10 ARGS out.mp4`, then the stsd box.
const FIXTURES: { args: string; stsd: string; codec: string }[] = [
  {
    // ffprobe: profile=Main 10, level=30
    args: "-c:v libx265 -x265-params info=0 -pix_fmt yuv420p10le -tag:v hvc1",
    codec: "hvc1.2.4.L30.90",
    stsd:
      "0000010b737473640000000000000001000000fb68766331000000000000000100000000000000000000000000000000004000400048000000480000000000000001154c61766335392e33372e313030206c696278323635000000000000000000000018ffff00000077687663430102200000009000000000001ef000fcfdfafa00000f03a00001001840010c01ffff02200000030090000003000003001e959809a10001002a42010102200000030090000003000003001ea0208104d96566924caf0168080000030008000003005040a2000100074401c172b422400000000a6669656c0100000000107061737000000001000000010000001462747274000000000000b1800000b180",
  },
  {
    // ffprobe: profile=Rext, level=30; the constraint bytes 9E 08 end in four zero bytes, left out.
    args: "-c:v libx265 -x265-params info=0 -pix_fmt yuv444p -tag:v hev1",
    codec: "hev1.4.10.L30.9E.8",
    stsd:
      "0000010a737473640000000000000001000000fa68657631000000000000000100000000000000000000000000000000004000400048000000480000000000000001154c61766335392e33372e313030206c696278323635000000000000000000000018ffff00000076687663430104080000009e08000000001ef000fcfff8f800000f03200001001740010c01ffff0408000003009e0800000300001e95980921000100294201010408000003009e0800000300001e90041020b2cacd24995e02d010000003001000000300a08022000100084401c172860c42240000000a6669656c01000000001070617370000000010000000100000014627472740000000000009e7000009e70",
  },
  {
    // 8-bit 4:2:0, colour undescribed: the short form.
    args: "-c:v libsvtav1 -preset 12 -g 25 (testsrc2 160x120)",
    codec: "av01.0.00M.08",
    stsd:
      "000000ac7374736400000000000000010000009c6176303100000000000000010000000000000000000000000000000000a000780048000000480000000000000001174c61766335392e33372e313030206c696273767461763100000000000000000018ffff000000186176314381000c000a0a00000003b4ff700be0010000000a6669656c010000000010706173700000000100000001000000146274727400000000000287c8000287c8",
  },
  {
    // HDR10: BT.2020 primaries (9), PQ (16), BT.2020 non-constant matrix (9), limited range.
    args:
      "-c:v libsvtav1 -preset 12 -pix_fmt yuv420p10le -color_primaries bt2020 -color_trc smpte2084 -colorspace bt2020nc",
    codec: "av01.0.00M.10.0.110.09.16.09.0",
    stsd:
      "000000c2737473640000000000000001000000b261763031000000000000000100000000000000000000000000000000004000400048000000480000000000000001174c61766335392e33372e313030206c696273767461763100000000000000000018ffff0000001b6176314381004c000a0d00000002afff805f0a122012080000000a6669656c010000000013636f6c726e636c7800090010000900000000107061737000000001000000010000001462747274000000000000a8200000a820",
  },
  {
    // Profile 1 (High), 4:4:4: chroma 000, colour undescribed (the defaults written), limited range.
    args: "-c:v libaom-av1 -cpu-used 8 -pix_fmt yuv444p",
    codec: "av01.1.00M.08.0.000.01.01.01.0",
    stsd:
      "000000ac7374736400000000000000010000009c61763031000000000000000100000000000000000000000000000000004000400048000000480000000000000001184c61766335392e33372e313030206c6962616f6d2d617631000000000000000018ffff0000001861763143812000000a0a20000002afff9b5f20400000000a6669656c0100000000107061737000000001000000010000001462747274000000000001a1580001a158",
  },
  {
    // Monochrome, full range.
    args: "-c:v libaom-av1 -cpu-used 8 -pix_fmt gray",
    codec: "av01.0.00M.08.1.110.01.01.01.1",
    stsd:
      "000000ac7374736400000000000000010000009c61763031000000000000000100000000000000000000000000000000004000400048000000480000000000000001184c61766335392e33372e313030206c6962616f6d2d617631000000000000000018ffff000000186176314381001c000a0a00000002afff9b5f25400000000a6669656c0100000000107061737000000001000000010000001462747274000000000000750800007508",
  },
  {
    // 4:2:0 but full range: only the long form says so.
    args: "-c:v libaom-av1 -cpu-used 8 -pix_fmt yuv420p -color_range pc",
    codec: "av01.0.00M.08.0.110.01.01.01.1",
    stsd:
      "000000ac7374736400000000000000010000009c61763031000000000000000100000000000000000000000000000000004000400048000000480000000000000001184c61766335392e33372e313030206c6962616f6d2d617631000000000000000018ffff000000186176314381000c000a0a00000002afff9b5f21080000000a6669656c0100000000107061737000000001000000010000001462747274000000000000d7500000d750",
  },
  {
    args: "-f lavfi -i sine=duration=0.2 -c:a libopus",
    codec: "Opus",
    stsd:
      "0000005b7374736400000000000000010000004b4f707573000000000000000100000000000000000001001000000000bb80000000000013644f7073000101380000bb800000000000001462747274000000000001444d0001444d",
  },
  {
    args: "-f lavfi -i sine=duration=0.2 -c:a flac -strict -2",
    codec: "fLaC",
    stsd:
      "0000007a7374736400000000000000010000006a664c6143000000000000000100000000000000000001001000000000ac4400000000003264664c6100000000800000221200120000047e0004da0ac440f00000227464b80e4dc9c9bd5ca308a6942a1c06ec0000001462747274000000000001f400000175c0",
  },
];

describe("codec strings of ffmpeg-made files", () => {
  for (const { args, stsd, codec } of FIXTURES) {
    test(`${codec} (${args})`, () => {
      assert.equal(codecOf(hex(stsd)).codec, codec);
    });
  }
});

/** An hvcC payload: the 23 fixed bytes of the configuration record and no parameter set arrays. */
function hvcC(space: number, tier: number, profile: number, compat: number, constraints: number[], level: number) {
  const c = new Uint8Array(23);
  c[0] = 1;
  c[1] = (space << 6) | (tier << 5) | profile;
  new DataView(c.buffer).setUint32(2, compat);
  c.set(constraints, 6);
  c[12] = level;
  return c;
}

function hevcStsd(format: string, payload: Uint8Array): Uint8Array {
  return fullBox("stsd", 0, 0, u32(1), box(format, new Uint8Array(78), box("hvcC", payload)));
}

describe("HEVC (ISO/IEC 14496-15 Annex E)", () => {
  test("the spec's examples", () => {
    // Main profile, Main tier, level 3.1, progressive and frame-only: "hev1.1.6.L93.B0".
    const main = hvcC(0, 0, 1, 0x60000000, [0xb0, 0, 0, 0, 0, 0], 93);
    assert.equal(codecOf(hevcStsd("hev1", main)).codec, "hev1.1.6.L93.B0");
    assert.equal(codecOf(hevcStsd("hvc1", main)).codec, "hvc1.1.6.L93.B0");
    // Profile space 1 (A), profile 4, compatibility bits 1 and 7 (reversed: 0x82 → 41), High tier, level 4,
    // two constraint bytes: "hev1.A4.41.H120.B0.23".
    const ext = hvcC(1, 1, 4, 0x82000000, [0xb0, 0x23, 0, 0, 0, 0], 120);
    assert.equal(codecOf(hevcStsd("hev1", ext)).codec, "hev1.A4.41.H120.B0.23");
  });
  test("zero constraint bytes in the middle stay, trailing ones go", () => {
    const c = hvcC(0, 0, 1, 0x40000000, [0x90, 0, 0x01, 0, 0, 0], 60);
    assert.equal(codecOf(hevcStsd("hvc1", c)).codec, "hvc1.1.2.L60.90.0.1");
    assert.equal(codecOf(hevcStsd("hvc1", hvcC(0, 0, 1, 0x40000000, [0, 0, 0, 0, 0, 0], 60))).codec, "hvc1.1.2.L60");
  });
  test("a truncated or missing hvcC is refused", () => {
    assert.throws(() => codecOf(hevcStsd("hvc1", new Uint8Array(12))), /truncated hvcC/);
    const none = fullBox("stsd", 0, 0, u32(1), box("hvc1", new Uint8Array(78)));
    assert.throws(() => codecOf(none), /hvc1 without hvcC/);
  });
});

describe("AV1 (AV1-ISOBMFF §A.3)", () => {
  const config = (profileLevel: number, flags: number, obus = new Uint8Array(0)) =>
    Uint8Array.from([0x81, profileLevel, flags, 0, ...obus]);
  test("profile, two-digit level, tier, bit depth from av1C alone", () => {
    assert.equal(av1CodecString(config(0x08, 0x0c)), "av01.0.08M.08");
    assert.equal(av1CodecString(config(0x0d, 0x8c | 0x40)), "av01.0.13H.10");
    // Profile 2, high bit depth, twelve bit, 4:2:0.
    assert.equal(av1CodecString(config(0x40 | 0x10, 0x6c)), "av01.2.16M.12");
    // Profile 0 cannot be 12-bit: the twelve_bit flag counts only for profile 2.
    assert.equal(av1CodecString(config(0x04, 0x6c)), "av01.0.04M.10");
  });
  test("the long form needs the sequence header: without one it is refused, not guessed", () => {
    assert.throws(() => av1CodecString(config(0x20, 0x00)), /no sequence header OBU/);
  });
  test("bad av1C: short, wrong marker, an OBU past its box, a sequence header cut short", () => {
    assert.throws(() => av1CodecString(Uint8Array.from([0x81, 0, 0x0c])), /truncated av1C/);
    assert.throws(() => av1CodecString(config(0, 0x0c).map((b, i) => i === 0 ? 0x01 : b)), /marker/);
    assert.throws(() => av1CodecString(config(0x20, 0x00, Uint8Array.from([0x0a, 0x20, 0]))), /runs past/);
    assert.throws(() => av1CodecString(config(0x20, 0x00, Uint8Array.from([0x0a, 0x02, 0x20, 0]))), /truncated/);
  });
  test("a sequence header with timing and decoder model info is walked to its colour config", () => {
    // A sequence header written bit by bit: profile 0, timing info with equal_picture_interval, a decoder
    // model, one operating point with its parameters, then BT.2020/PQ colour, full range.
    const bits: [number, number][] = [
      [0, 3],
      [0, 1],
      [0, 1], // profile, still_picture, reduced_still_picture_header
      [1, 1],
      [1001, 32],
      [30000, 32],
      [1, 1],
      [0b00101, 5], // timing info, uvlc(4)
      [1, 1],
      [9, 5],
      [90000, 32],
      [0, 5],
      [0, 5], // decoder model info, buffer_delay_length 10
      [0, 1],
      [0, 5], // no initial display delay; one operating point
      [0, 12],
      [8, 5],
      [1, 1],
      [1, 1],
      [5, 10],
      [6, 10],
      [0, 1], // idc, level 8 + tier, parameters
      [9, 4],
      [9, 4],
      [639, 10],
      [359, 10], // frame size bits and max size
      [0, 1],
      [0, 3],
      [0, 4],
      [1, 1],
      [0, 2],
      [1, 1],
      [1, 1],
      [0, 3],
      [0, 3], // tools, order hint
      [0, 1],
      [0, 1],
      [1, 1],
      [9, 8],
      [16, 8],
      [9, 8],
      [1, 1], // 8-bit, not mono, colour, full range
    ];
    let out = 0n;
    let n = 0;
    for (const [v, w] of bits) {
      out = (out << BigInt(w)) | BigInt(v);
      n += w;
    }
    const pad = (8 - (n % 8)) % 8;
    out <<= BigInt(pad);
    const bytes = hex(out.toString(16).padStart((n + pad) / 4, "0"));
    const obu = Uint8Array.from([0x0a, bytes.length, ...bytes]);
    assert.equal(av1CodecString(config(0x08, 0x0c, obu)), "av01.0.08M.08.0.110.09.16.09.1");
  });
});

describe("codec strings for DASH", () => {
  test("Opus and FLAC in lower case, others as in HLS", () => {
    assert.equal(dashCodec("Opus"), "opus");
    assert.equal(dashCodec("fLaC"), "flac");
    assert.equal(dashCodec("hvc1.1.6.L93.B0"), "hvc1.1.6.L93.B0");
  });
  test("Opus without dOps and fLaC without dfLa are refused", () => {
    const bare = (format: string) => fullBox("stsd", 0, 0, u32(1), box(format, new Uint8Array(28)));
    assert.throws(() => codecOf(bare("Opus")), HlsUnsupportedError);
    assert.throws(() => codecOf(bare("fLaC")), /fLaC without dfLa/);
  });
});
