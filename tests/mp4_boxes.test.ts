import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  childBoxes,
  Mp4FormatError,
  parseBoxHeader,
  readBoxHeader,
  readFully,
  readTopLevelBoxes,
} from "../src/media/boxes.ts";
import { LruCache } from "../src/media/lru.ts";
import { fromBytes } from "../src/http/file_like.ts";
import { ascii, box, concat, FTYP, largeBox, u32, u64, virtualFile } from "./helpers/mp4_build.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

describe("parseBoxHeader", () => {
  test("32-bit size", () => {
    const b = box("free", new Uint8Array(4));
    assert.deepEqual(parseBoxHeader(b, 0, b.length), {
      type: "free",
      start: 0,
      headerSize: 8,
      size: 12,
      sizeForm: "compact",
      usertype: undefined,
    });
  });

  test("size == 1: a 64-bit size", () => {
    const b = largeBox("mdat", new Uint8Array(5));
    const h = parseBoxHeader(b, 0, b.length);
    assert.equal(h.size, 21);
    assert.equal(h.headerSize, 16);
    assert.equal(h.sizeForm, "large");
  });

  test("size == 0 runs to the end only where allowed", () => {
    const b = concat(u32(0), ascii("mdat"), new Uint8Array(10));
    assert.equal(parseBoxHeader(b, 0, b.length, true).size, 18);
    assert.equal(parseBoxHeader(b, 0, b.length, true).sizeForm, "to-end");
    assert.throws(() => parseBoxHeader(b, 0, b.length), Mp4FormatError);
  });

  test("uuid: the user type is part of the header", () => {
    const usertype = Uint8Array.from({ length: 16 }, (_, i) => i);
    const b = box("uuid", usertype, new Uint8Array(3));
    const h = parseBoxHeader(b, 0, b.length);
    assert.equal(h.headerSize, 24);
    assert.deepEqual(h.usertype, usertype);
    const large = largeBox("uuid", usertype);
    assert.equal(parseBoxHeader(large, 0, large.length).headerSize, 32);
    assert.throws(() => parseBoxHeader(box("uuid", new Uint8Array(4)), 0, 12), Mp4FormatError);
  });

  test("sizes that cannot be are refused", () => {
    const cases: [string, Uint8Array][] = [
      ["smaller than header", concat(u32(7), ascii("free"))],
      ["64-bit smaller than header", concat(u32(1), ascii("free"), u64(15))],
      ["past the parent", concat(u32(100), ascii("free"), new Uint8Array(10))],
      ["64-bit past the parent", concat(u32(1), ascii("free"), u64(2n ** 40n))],
      ["above 2^53", concat(u32(1), ascii("free"), u64(2n ** 60n))],
      ["truncated header", new Uint8Array([0, 0, 0, 8, 0x66])],
      ["truncated 64-bit size", concat(u32(1), ascii("free"), new Uint8Array(4))],
    ];
    for (const [name, b] of cases) assert.throws(() => parseBoxHeader(b, 0, b.length), Mp4FormatError, name);
  });
});

// Every bound is relative to the box's own offset: `size > end - offset`, not
// `size > end`, and the same for the header checks. These cases put the box at
// a non-zero offset, where the two differ (all the cases above use offset 0).
describe("parseBoxHeader at a non-zero offset", () => {
  const b = concat(box("free"), box("skip", new Uint8Array(8)), new Uint8Array(8));
  test("a box that ends exactly at the parent's end is accepted, with its absolute start", () => {
    const h = parseBoxHeader(b, 8, 24, false, 1000);
    assert.deepEqual([h.type, h.start, h.size], ["skip", 1008, 16], "skip at 8 (+ base 1000), 16 bytes");
  });
  test("a box that runs past its parent by one byte is refused", () => {
    assert.throws(() => parseBoxHeader(b, 8, 23), /runs past its parent/, "skip at 8, 16 bytes, parent ends at 23");
  });
  test("fewer than 8 bytes left before the parent's end: truncated", () => {
    assert.throws(() => parseBoxHeader(b, 8, 15), /truncated box header/, "7 bytes left at offset 8");
  });
  test("a 64-bit size needs 16 bytes before the parent's end", () => {
    const large = concat(box("free"), largeBox("mdat", new Uint8Array(4)));
    assert.equal(parseBoxHeader(large, 8, 28).size, 20, "64-bit box at 8 fits in [8, 28)");
    assert.throws(() => parseBoxHeader(large, 8, 23), /truncated 64-bit size/, "15 bytes left at offset 8");
  });
  test("a uuid's user type must fit before the parent's end", () => {
    const uuid = concat(box("free"), box("uuid", new Uint8Array(16)));
    assert.equal(parseBoxHeader(uuid, 8, 32).headerSize, 24, "uuid at 8 fits in [8, 32)");
    assert.throws(() => parseBoxHeader(uuid, 8, 31), /truncated uuid/, "23 bytes left at offset 8");
  });
  test("size 0 at an offset runs to the parent's end, not the buffer's", () => {
    const toEnd = concat(box("free"), u32(0), ascii("mdat"), new Uint8Array(12));
    assert.equal(parseBoxHeader(toEnd, 8, 24, true).size, 16, "to the end: 24 - 8");
  });
});

// Found by mutation testing (docs/MUTATION.md): each test names the mutants it kills.
describe("parseBoxHeader edges and messages", () => {
  // Kills the string mutants of every message and of the escaping of `shown`
  // (its regex, `toString(16)`, `padStart(2, "0")`): the type is quoted with
  // control bytes escaped, latin1 letters such as © kept.
  test("each refusal says what and where, with control bytes in the type escaped", () => {
    const message = (b: Uint8Array, end = b.length, allowToEnd = false) => {
      try {
        parseBoxHeader(b, 0, end, allowToEnd, 7);
      } catch (err) {
        assert.ok(err instanceof Mp4FormatError);
        return err.message;
      }
      assert.fail("no error");
    };
    const odd = new Uint8Array([0x01, 0x7f, 0xa9, 0x41]);
    assert.equal(message(concat(u32(7), odd)), "'\\x01\\x7f\u00a9A' at 7: size 7 smaller than its header");
    assert.equal(message(concat(u32(9), ascii("free"))), "'free' at 7: size 9 runs past its parent (8 bytes left)");
    // Kills `end - offset` → `end + offset` in that message: the bytes left are counted from the box's offset.
    const second = concat(box("free"), u32(16), ascii("skip"));
    assert.throws(() => parseBoxHeader(second, 8, 20), {
      message: "'skip' at 8: size 16 runs past its parent (12 bytes left)",
    });
    assert.equal(message(concat(u32(0), ascii("mdat"))), `'mdat' at 7: size 0 ("to the end") where it is not allowed`);
    assert.equal(message(concat(u32(1), ascii("free"), u64(2n ** 60n))), "'free' at 7: 64-bit size too large");
    assert.equal(message(new Uint8Array(7)), "truncated box header at 7");
    assert.equal(message(concat(u32(1), ascii("free"))), "truncated 64-bit size at 7");
    assert.equal(message(concat(u32(24), ascii("uuid"))), "truncated uuid box header at 7");
  });

  // Kills `offset + 8 > bytes.length` → `false` (and the same for the 64-bit
  // size and the uuid): a parent that claims more bytes than the buffer holds
  // must fail as a format error, not as DataView's RangeError.
  test("a buffer shorter than the parent claims is a truncated header", () => {
    assert.throws(() => parseBoxHeader(new Uint8Array([0, 0, 0, 8, 0x66]), 0, 100), /truncated box header/);
    assert.throws(() => parseBoxHeader(concat(u32(1), ascii("free"), u32(0)), 0, 100), /truncated 64-bit size/);
    assert.throws(() => parseBoxHeader(concat(u32(40), ascii("uuid"), u32(0)), 0, 100), /truncated uuid/);
  });

  // Kills `big > MAX_SAFE_INTEGER` → `>=`: 2^53 - 1 itself is a size.
  test("a 64-bit size of exactly 2^53 - 1 is accepted", () => {
    const b = concat(u32(1), ascii("free"), u64(2n ** 53n - 1n));
    assert.equal(parseBoxHeader(b, 0, Number.MAX_SAFE_INTEGER).size, Number.MAX_SAFE_INTEGER);
  });

  // Kills `size < headerSize` → `<=`, and `end - offset < 8` / `< 16` →
  // `<=` and `offset + 8` / `+ 16 > bytes.length` → `>=`: a box of exactly
  // its header, in a parent and a buffer of exactly that size, is fine.
  test("a box exactly as long as its header is accepted", () => {
    assert.equal(parseBoxHeader(box("free"), 0, 8).size, 8);
    assert.equal(parseBoxHeader(largeBox("free"), 0, 16).size, 16);
    const uuid = box("uuid", new Uint8Array(16));
    assert.equal(parseBoxHeader(uuid, 0, 24).size, 24);
  });
});

describe("childBoxes", () => {
  // Kills `end - pos >= 8` → `> 8`: the last child may be exactly 8 bytes.
  test("a last child of exactly 8 bytes is returned", () => {
    const b = concat(box("skip", new Uint8Array(2)), box("free"));
    assert.deepEqual([...childBoxes(b, 0, b.length)].map((c) => c.type), ["skip", "free"]);
  });

  test("a second child that runs past the parent is refused", () => {
    const b = concat(box("free"), box("skip", new Uint8Array(8)));
    assert.equal([...childBoxes(b, 0, 24)].length, 2, "both children fit in 24 bytes");
    assert.throws(() => [...childBoxes(b, 0, 23)], /runs past its parent/, "the second child ends at 24 > 23");
  });

  test("iterates siblings and tolerates a short terminator", () => {
    const b = concat(box("free"), box("skip", new Uint8Array(2)), u32(0));
    assert.deepEqual([...childBoxes(b, 0, b.length)].map((c) => [c.type, c.start, c.size]), [
      ["free", 0, 8],
      ["skip", 8, 10],
    ]);
  });

  test("size 0 in the middle is refused", () => {
    const b = concat(box("free"), u32(0), ascii("skip"), box("free"));
    assert.throws(() => [...childBoxes(b, 0, b.length)], Mp4FormatError);
  });
});

describe("reading from a FileLike", () => {
  test("top-level boxes of a real file", async () => {
    const bytes = new Uint8Array(readFileSync(join(ROOT, "tests/fixtures/moov_at_end.mp4")));
    const boxes = await readTopLevelBoxes(fromBytes(bytes));
    assert.deepEqual(boxes.map((b) => b.type), ["ftyp", "free", "mdat", "moov"]);
    assert.equal(boxes.reduce((n, b) => n + b.size, 0), bytes.length);
  });

  test("size == 0 at the end, 64-bit sizes, one small read per box", async () => {
    const file = virtualFile([
      FTYP,
      concat(u32(1), ascii("free"), u64(16 + 5_000_000_000)),
      { pattern: 5_000_000_000 },
      concat(u32(0), ascii("mdat")),
      { pattern: 1000 },
    ]);
    const boxes = await readTopLevelBoxes(file);
    assert.deepEqual(boxes.map((b) => [b.type, b.size, b.sizeForm]), [
      ["ftyp", FTYP.length, "compact"],
      ["free", 5_000_000_016, "large"],
      ["mdat", 1008, "to-end"],
    ]);
    assert.equal(file.reads, 3);
    assert.ok(file.bytesRead <= 3 * 32);
  });

  test("a box running past the end of the file is refused", async () => {
    const file = fromBytes(concat(FTYP, u32(1000), ascii("mdat"), new Uint8Array(10)));
    await assert.rejects(readTopLevelBoxes(file), Mp4FormatError);
  });

  test("a truncated header at the end is refused", async () => {
    await assert.rejects(readTopLevelBoxes(fromBytes(concat(FTYP, new Uint8Array([0, 0, 0])))), Mp4FormatError);
    await assert.rejects(readBoxHeader(fromBytes(concat(u32(1), ascii("mdat"), u32(0))), 0), Mp4FormatError);
  });

  // Kills `want < 8` → `<= 8` and → `false`, `file.size - position` → `+`
  // and the message of readBoxHeader: an 8-byte box at the end of the file is
  // read with one read of 8 bytes; 7 bytes left are refused without a read.
  test("a last top-level box of exactly 8 bytes; 7 bytes left are truncated", async () => {
    const file = virtualFile([FTYP, box("free")]);
    const boxes = await readTopLevelBoxes(file);
    assert.deepEqual(boxes.map((b) => [b.type, b.size]), [["ftyp", FTYP.length], ["free", 8]]);
    assert.deepEqual([file.reads, file.bytesRead], [2, FTYP.length + 8], "one read per box, no read past the end");
    const short = virtualFile([FTYP, new Uint8Array(7)]);
    await assert.rejects(
      readTopLevelBoxes(short),
      (err: unknown) => err instanceof Mp4FormatError && err.message === `truncated box header at ${FTYP.length}`,
    );
    assert.equal(short.reads, 1, "only the ftyp is read");
  });

  // Kills `boxes.length >= maxBoxes` → `>`: exactly maxBoxes boxes are fine.
  test("exactly maxBoxes boxes are read", async () => {
    const file = fromBytes(concat(...Array.from({ length: 10 }, () => box("free"))));
    assert.equal((await readTopLevelBoxes(file, { maxBoxes: 10 })).length, 10);
  });

  test("too many boxes are refused after maxBoxes small reads", async () => {
    const file = virtualFile([FTYP, ...Array.from({ length: 3000 }, () => box("free"))]);
    await assert.rejects(readTopLevelBoxes(file), /more than 1024/);
    assert.ok(file.reads <= 1024);
    await assert.rejects(readTopLevelBoxes(file, { maxBoxes: 10 }), /more than 10/);
  });

  test("readFully loops over short reads and stops at the end", async () => {
    const src = fromBytes(Uint8Array.from({ length: 100 }, (_, i) => i));
    const slow = { ...src, read: (into: Uint8Array, pos: number) => src.read(into.subarray(0, 3), pos) };
    const buf = new Uint8Array(20);
    assert.equal(await readFully(slow, buf, 90), 10);
    assert.deepEqual(buf.subarray(0, 10), Uint8Array.from({ length: 10 }, (_, i) => 90 + i));
  });
});

describe("LruCache", () => {
  test("evicts least recently used within the byte budget", () => {
    const c = new LruCache<string>({ maxBytes: 100 });
    c.set("a", "A", 40);
    c.set("b", "B", 40);
    assert.equal(c.get("a"), "A"); // a is now most recent
    c.set("c", "C", 40); // evicts b
    assert.equal(c.has("b"), false);
    assert.equal(c.get("a"), "A");
    assert.equal(c.get("c"), "C");
    assert.equal(c.bytes, 80);
    assert.equal(c.set("huge", "H", 101), false);
    assert.equal(c.has("huge"), false);
    assert.equal(c.bytes, 80);
  });

  test("entry limit, replace and delete", () => {
    const c = new LruCache<number>({ maxEntries: 2 });
    c.set("a", 1, 1);
    c.set("b", 2, 1);
    c.set("a", 3, 5);
    c.set("c", 4, 1);
    assert.deepEqual([c.has("a"), c.has("b"), c.has("c")], [true, false, true]);
    assert.equal(c.bytes, 6);
    c.delete("a");
    assert.equal(c.bytes, 1);
    c.clear();
    assert.equal(c.size, 0);
  });

  test("a hit on the most recent entry keeps the order; deleting or re-adding it cannot stale it", () => {
    const c = new LruCache<number>({ maxEntries: 2 });
    c.set("a", 1, 1);
    c.set("b", 2, 1);
    for (let i = 0; i < 3; i++) c.get("b"); // already the newest
    c.set("c", 3, 1); // evicts a, the least recent
    assert.deepEqual([c.has("a"), c.has("b"), c.has("c")], [false, true, true]);
    c.delete("c"); // the newest gone: b is the newest again
    c.set("d", 4, 1);
    c.get("b"); // b was not the newest: it moves after d
    c.set("e", 5, 1); // evicts d
    assert.deepEqual([c.has("b"), c.has("d"), c.has("e")], [true, false, true]);
  });
});
