// The load for scripts/soak.mjs: CONNS keep-alive connections on 127.0.0.1
// for DURATION seconds, each issuing a random mix of full downloads, random
// single and multi ranges, and probes (HEAD, 2-byte range, If-None-Match,
// 416), checking every status, header and byte. Samples the server's RSS every
// second. Prints one JSON line with the figures; exits 1 on any failure.
// Usage: node --import tsx scripts/soak/client.ts PORT DIR DURATION_S CONNS
import process from "node:process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { connect, type Socket } from "node:net";
import { parseMultipart } from "../../tests/helpers/multipart_parse.ts";
import { prng } from "../../tests/helpers/prng.ts";

const [port, dir, durationS, conns] = process.argv.slice(2).map((a, i) => (i === 1 ? a : Number(a))) as [
  number,
  string,
  number,
  number,
];
const FULL = new Uint8Array(readFileSync(join(dir, "full.bin")));
const BIG = new Uint8Array(readFileSync(join(dir, "big.bin")));
const deadline = Date.now() + durationS * 1000;
const stats = {
  keepAliveRetries: 0,
  requests: 0,
  full: 0,
  range: 0,
  multipart: 0,
  probe: 0,
  bytes: 0,
  failures: 0,
  reconnects: 0,
};
const failures: string[] = [];

interface Res {
  status: number;
  headers: Map<string, string>;
  body: Uint8Array;
}

/** One keep-alive connection with a tiny HTTP/1.1 response reader (Content-Length or chunked). */
class Conn {
  private socket: Socket;
  // Received bytes as a list of chunks: appending is O(1), taking n bytes copies them once.
  private chunks: Uint8Array[] = [];
  private length = 0;
  private waiting: (() => void) | undefined;
  private closed = false;
  /** Bytes of the current response received so far (0: the connection closed before any answer). */
  received = 0;
  constructor() {
    this.socket = connect(port, "127.0.0.1");
    this.socket.setNoDelay(true);
    this.socket.on("data", (c: Uint8Array) => {
      this.chunks.push(c);
      this.length += c.length;
      this.received += c.length;
      this.waiting?.();
    });
    this.socket.on("error", () => {});
    this.socket.on("close", () => {
      this.closed = true;
      this.waiting?.();
    });
  }
  close() {
    this.socket.destroy();
  }
  private async need(pred: () => number): Promise<number> {
    for (;;) {
      const n = pred();
      if (n >= 0) return n;
      if (this.closed) throw new Error(`connection closed mid-response after ${this.received} bytes`);
      await new Promise<void>((r) => (this.waiting = r));
      this.waiting = undefined;
    }
  }
  /** The first `n` buffered bytes (or fewer), without consuming them. */
  private peek(n: number): Uint8Array {
    n = Math.min(n, this.length);
    if (this.chunks.length > 0 && this.chunks[0].length >= n) return this.chunks[0].subarray(0, n);
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.chunks) {
      if (o >= n) break;
      const part = c.subarray(0, n - o);
      out.set(part, o);
      o += part.length;
    }
    return out;
  }
  private take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const c = this.chunks[0];
      const part = c.subarray(0, n - o);
      out.set(part, o);
      o += part.length;
      if (part.length === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(part.length);
    }
    this.length -= n;
    return out;
  }
  private find(seq: number[], within: number): number {
    const b = this.peek(within);
    outer: for (let i = 0; i + seq.length <= b.length; i++) {
      for (let j = 0; j < seq.length; j++) if (b[i + j] !== seq[j]) continue outer;
      return i;
    }
    return -1;
  }
  private lineEnd(): number {
    return this.find([13, 10], 64);
  }
  async request(method: string, path: string, headers: Record<string, string>): Promise<Res> {
    let head = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    this.received = this.length;
    this.socket.write(head + "\r\n");
    const end = await this.need(() => this.find([13, 10, 13, 10], 32 * 1024));
    const lines = new TextDecoder().decode(this.take(end + 4)).split("\r\n");
    const status = Number(lines[0].split(" ")[1]);
    const h = new Map<string, string>();
    for (const l of lines.slice(1)) {
      const i = l.indexOf(":");
      if (i > 0) h.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
    }
    if (method === "HEAD" || status === 304) return { status, headers: h, body: new Uint8Array(0) };
    if (h.get("transfer-encoding") === "chunked") {
      const parts: Uint8Array[] = [];
      for (;;) {
        const e = await this.need(() => this.lineEnd());
        const size = parseInt(new TextDecoder().decode(this.take(e + 2)), 16);
        await this.need(() => (this.length >= size + 2 ? 1 : -1));
        parts.push(this.take(size));
        this.take(2);
        if (size === 0) break;
      }
      const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) (body.set(p, o), o += p.length);
      return { status, headers: h, body };
    }
    const len = Number(h.get("content-length") ?? 0);
    await this.need(() => (this.length >= len ? 1 : -1));
    return { status, headers: h, body: this.take(len) };
  }
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

function check(ok: boolean, what: string) {
  if (!ok) {
    stats.failures++;
    if (failures.length < 20) failures.push(what);
  }
}

const etags = new Map<string, string>();

async function one(c: Conn, r: ReturnType<typeof prng>): Promise<void> {
  const kind = r.next();
  stats.requests++;
  if (kind < 0.2) {
    stats.full++;
    const res = await c.request("GET", "/full.bin", {});
    check(res.status === 200 && res.headers.get("content-length") === String(FULL.length), `full: ${res.status}`);
    check(same(res.body, FULL), "full: bytes differ");
    etags.set("full", res.headers.get("etag") ?? "");
    stats.bytes += res.body.length;
  } else if (kind < 0.6) {
    stats.range++;
    const start = r.int(0, BIG.length - 1);
    const end = Math.min(BIG.length - 1, start + r.int(0, 2 * 1024 * 1024));
    const res = await c.request("GET", "/big.bin", { range: `bytes=${start}-${end}` });
    check(
      res.status === 206 && res.headers.get("content-range") === `bytes ${start}-${end}/${BIG.length}`,
      `range ${start}-${end}: ${res.status} ${res.headers.get("content-range")}`,
    );
    check(same(res.body, BIG.subarray(start, end + 1)), `range ${start}-${end}: bytes differ`);
    stats.bytes += res.body.length;
  } else if (kind < 0.7) {
    stats.multipart++;
    const starts = [0, 1, 2].map(() => r.int(0, BIG.length - 50_001)).sort((a, b) => a - b);
    const merged: { start: number; end: number }[] = [];
    for (const start of starts) {
      const last = merged[merged.length - 1];
      if (!last || start > last.end + 1) merged.push({ start, end: start + r.int(0, 50_000) });
    }
    const res = await c.request("GET", "/big.bin", {
      range: "bytes=" + merged.map((s) => `${s.start}-${s.end}`).join(","),
    });
    check(res.status === 206, `multipart: ${res.status}`);
    if (merged.length === 1) {
      check(same(res.body, BIG.subarray(merged[0].start, merged[0].end + 1)), "multi→single bytes");
    } else {
      try {
        const parts = parseMultipart(res.body, res.headers.get("content-type") ?? "");
        check(parts.length === merged.length, `multipart: ${parts.length} parts`);
        parts.forEach((p, i) =>
          check(same(p.body, BIG.subarray(merged[i].start, merged[i].end + 1)), "multipart bytes")
        );
      } catch (e) {
        check(false, `multipart: ${e}`);
      }
    }
    stats.bytes += res.body.length;
  } else {
    stats.probe++;
    const p = r.int(0, 3);
    if (p === 0) {
      const res = await c.request("HEAD", "/big.bin", {});
      check(res.status === 200 && res.headers.get("content-length") === String(BIG.length), `HEAD ${res.status}`);
    } else if (p === 1) {
      const res = await c.request("GET", "/big.bin", { range: "bytes=0-1" });
      check(res.status === 206 && same(res.body, BIG.subarray(0, 2)), `probe 0-1: ${res.status}`);
    } else if (p === 2 && etags.get("full")) {
      const res = await c.request("GET", "/full.bin", { "if-none-match": etags.get("full")! });
      check(res.status === 304 && res.body.length === 0, `304 probe: ${res.status}`);
    } else {
      const res = await c.request("GET", "/big.bin", { range: `bytes=${BIG.length}-` });
      check(
        res.status === 416 && res.headers.get("content-range") === `bytes */${BIG.length}`,
        `416 probe: ${res.status}`,
      );
    }
  }
}

async function worker(id: number): Promise<void> {
  const r = prng(id * 7919 + 1);
  while (Date.now() < deadline) {
    const c = new Conn();
    stats.reconnects++;
    const n = r.int(1, 30);
    let i = 0;
    try {
      for (; i < n && Date.now() < deadline; i++) await one(c, r);
    } catch (e) {
      // The keep-alive race (RFC 9112 §9.3.1): the server closed a reused, idle
      // connection (Bun's idleTimeout, Node's keepAliveTimeout) as the next request
      // went out, and nothing of a response arrived. Clients retry such an idempotent
      // request on a new connection; so does this one, and counts it apart.
      if (i > 0 && c.received === 0 && String(e).includes("after 0 bytes")) stats.keepAliveRetries++;
      else check(false, `worker ${id}: ${e}`);
    } finally {
      c.close();
    }
  }
}

async function statsOf(gc = false) {
  const res = await fetch(`http://127.0.0.1:${port}/__stats${gc ? "?gc" : ""}`);
  return (await res.json()) as { rss: number; fds: number; opened: number; closed: number };
}

const t0 = Date.now();
const before = await statsOf(true);
const samples: { t: number; rss: number }[] = [];
const sampler = setInterval(() => {
  statsOf().then((s) => samples.push({ t: (Date.now() - t0) / 1000, rss: s.rss })).catch(() => {});
}, 1000);
await Promise.all(Array.from({ length: conns }, (_, i) => worker(i)));
clearInterval(sampler);
const elapsed = (Date.now() - t0) / 1000;
await new Promise((r) => setTimeout(r, 2000));
const after = await statsOf(true);
const MiB = 1024 * 1024;
const late = samples.filter((s) => s.t >= Math.min(10, durationS / 2));
const at10 = late[0]?.rss ?? before.rss;
const maxLate = Math.max(...late.map((s) => s.rss));
const result = {
  seconds: Number(elapsed.toFixed(1)),
  conns,
  ...stats,
  rps: Math.round(stats.requests / elapsed),
  MBps: Math.round(stats.bytes / MiB / elapsed),
  rssStartMiB: +(before.rss / MiB).toFixed(1),
  rssAt10sMiB: +(at10 / MiB).toFixed(1),
  rssMaxAfter10sMiB: +(maxLate / MiB).toFixed(1),
  rssEndMiB: +(after.rss / MiB).toFixed(1),
  fdsStart: before.fds,
  fdsEnd: after.fds,
  filesOpened: after.opened,
  filesClosed: after.closed,
  failureSamples: failures,
};
console.log(JSON.stringify(result));
const flat = maxLate - at10 < 64 * MiB;
process.exit(stats.failures === 0 && flat && after.opened === after.closed ? 0 : 1);
