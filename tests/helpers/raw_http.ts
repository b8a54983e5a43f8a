// A raw HTTP/1.1 exchange over node:net, to see framing exactly as sent on
// the wire (Content-Length vs chunked), which fetch() hides.
import { connect } from "node:net";

export interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: Uint8Array;
  raw: Uint8Array;
}

export function rawRequest(port: number, head: string, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Uint8Array[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("raw request timed out"));
    }, timeoutMs);
    socket.on("data", (c: Uint8Array) => chunks.push(c));
    socket.on("error", (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      const raw = concat(chunks);
      resolve(parse(raw));
    });
    socket.write(head.replace(/\n/g, "\r\n") + "\r\n\r\n");
  });
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function parse(raw: Uint8Array): RawResponse {
  let end = -1;
  for (let i = 0; i + 3 < raw.length; i++) {
    if (raw[i] === 13 && raw[i + 1] === 10 && raw[i + 2] === 13 && raw[i + 3] === 10) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error("no header block in response");
  const lines = new TextDecoder().decode(raw.subarray(0, end)).split("\r\n");
  const status = Number(lines[0].split(" ")[1]);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const i = line.indexOf(":");
    headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  let body = raw.subarray(end + 4);
  if (headers.get("transfer-encoding") === "chunked") body = dechunk(body);
  return { status, headers, body, raw };
}

function dechunk(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let i = 0;
  while (i < data.length) {
    let j = i;
    while (j + 1 < data.length && !(data[j] === 13 && data[j + 1] === 10)) j++;
    const len = parseInt(new TextDecoder().decode(data.subarray(i, j)), 16);
    if (!(len > 0)) break;
    parts.push(data.subarray(j + 2, j + 2 + len));
    i = j + 2 + len + 2;
  }
  return concat(parts);
}
