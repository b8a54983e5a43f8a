// One HTTP/1.1 exchange over a raw node:net socket that the test controls
// byte by byte: read the head, read part of the body, pause, destroy. Bodies
// framed with Content-Length or chunked are decoded incrementally, so a
// test sees exactly which body bytes arrived before the connection ended.
import { connect, type Socket } from "node:net";

export interface ResponseHead {
  status: number;
  headers: Map<string, string>;
}

export interface ExchangeOptions {
  /** Keep the decoded body bytes (default true); false only counts them. */
  keepBody?: boolean;
  /** Destroy the socket once this many body bytes arrived. */
  destroyAfter?: number;
  /** Start paused: nothing is read from the socket until `resume()`. */
  paused?: boolean;
}

const CRLFCRLF = [13, 10, 13, 10];

export class RawExchange {
  readonly socket: Socket;
  readonly head: Promise<ResponseHead>;
  readonly closed: Promise<void>;
  /** Decoded body bytes received so far. */
  bodyLength = 0;
  /** The chunked terminator or the full Content-Length arrived. */
  complete = false;
  /** The socket reported an error (reset by peer and the like). */
  error: Error | undefined;
  private chunks: Uint8Array[] = [];
  private headBuf: Uint8Array | undefined = new Uint8Array(0);
  private parsedHead: ResponseHead | undefined;
  private resolveHead!: (h: ResponseHead) => void;
  private rejectHead!: (e: Error) => void;
  private waiters: { n: number; resolve: () => void }[] = [];
  private chunkedState: { remaining: number; line: string; trailer: boolean } | undefined;
  private expected = Infinity;
  private readonly keep: boolean;
  private readonly destroyAfter: number;

  constructor(port: number, request: string | Uint8Array, options: ExchangeOptions = {}) {
    this.keep = options.keepBody ?? true;
    this.destroyAfter = options.destroyAfter ?? Infinity;
    this.head = new Promise((resolve, reject) => {
      this.resolveHead = resolve;
      this.rejectHead = reject;
    });
    this.head.catch(() => {});
    this.socket = connect(port, "127.0.0.1");
    if (options.paused) this.socket.pause();
    this.closed = new Promise((resolve) => this.socket.once("close", () => resolve()));
    this.socket.on("error", (e: Error) => (this.error = e));
    this.socket.on("data", (c: Uint8Array) => this.onData(c));
    this.socket.once("close", () => {
      this.rejectHead(new Error("connection closed before a complete response head"));
      this.wake(true);
    });
    this.socket.write(request);
  }

  /** The response's head, once received (the first response on the connection). */
  get response(): ResponseHead | undefined {
    return this.parsedHead;
  }

  /** All decoded body bytes received so far (with keepBody). */
  body(): Uint8Array {
    return concat(this.chunks);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Resolves once `n` body bytes arrived, the body completed, or the socket closed. */
  waitForBody(n: number): Promise<void> {
    if (this.bodyLength >= n || this.complete || this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  private wake(all = false): void {
    this.waiters = this.waiters.filter((w) => {
      if (all || this.complete || this.bodyLength >= w.n) {
        w.resolve();
        return false;
      }
      return true;
    });
  }

  private onData(c: Uint8Array): void {
    if (this.headBuf !== undefined) {
      const buf = concat([this.headBuf, c]);
      const end = indexOf(buf, CRLFCRLF);
      if (end < 0) {
        this.headBuf = buf;
        return;
      }
      this.headBuf = undefined;
      const lines = new TextDecoder().decode(buf.subarray(0, end)).split("\r\n");
      const headers = new Map<string, string>();
      for (const line of lines.slice(1)) {
        const i = line.indexOf(":");
        headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
      }
      this.parsedHead = { status: Number(lines[0].split(" ")[1]), headers };
      if (headers.get("transfer-encoding")?.toLowerCase() === "chunked") {
        this.chunkedState = { remaining: 0, line: "", trailer: false };
      } else if (headers.has("content-length")) {
        this.expected = Number(headers.get("content-length"));
      }
      this.resolveHead(this.parsedHead);
      if (this.expected === 0) this.complete = true;
      c = buf.subarray(end + 4);
    }
    if (this.chunkedState) this.dechunk(c);
    else this.addBody(c);
    if (this.bodyLength >= this.destroyAfter) this.socket.destroy();
    this.wake();
  }

  private addBody(c: Uint8Array): void {
    if (c.length === 0) return;
    if (this.keep) this.chunks.push(c.slice());
    this.bodyLength += c.length;
    if (this.bodyLength >= this.expected) this.complete = true;
  }

  private dechunk(c: Uint8Array): void {
    const st = this.chunkedState!;
    let i = 0;
    while (i < c.length && !this.complete) {
      if (st.remaining > 0) {
        const take = Math.min(st.remaining, c.length - i);
        this.addBody(c.subarray(i, i + take));
        st.remaining -= take;
        i += take;
        if (st.remaining === 0) st.remaining = -2; // the CRLF after the data
        continue;
      }
      if (st.remaining < 0) {
        i++;
        st.remaining++;
        continue;
      }
      const ch = c[i++];
      if (ch !== 10) {
        if (ch !== 13) st.line += String.fromCharCode(ch);
        continue;
      }
      if (st.trailer) {
        if (st.line === "") this.complete = true;
        st.line = "";
        continue;
      }
      const size = parseInt(st.line.split(";")[0], 16);
      st.line = "";
      if (size === 0) st.trailer = true;
      else st.remaining = size;
    }
  }
}

export function getRequest(path: string, headers: Record<string, string> = {}, method = "GET"): string {
  let s = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n`;
  for (const [k, v] of Object.entries(headers)) s += `${k}: ${v}\r\n`;
  return s + "\r\n";
}

export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function indexOf(hay: Uint8Array, needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
