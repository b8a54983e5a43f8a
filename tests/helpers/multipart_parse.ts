/**
 * A small, independent multipart/byteranges parser (RFC 9110 §14.6,
 * RFC 2046 §5.1.1) for tests: it parses a response body back into parts so
 * that a test can check every part's headers and exact bytes.
 *
 * It shares no code with src/http/multipart.ts on purpose. By default it is
 * strict, so framing mistakes fail loudly instead of being tolerated: no
 * preamble, no transport padding, and nothing after the close delimiter but
 * an optional CRLF. `{ strict: false }` accepts everything RFC 2046 allows.
 *
 * @module
 */

/** One body part: its header fields and its exact content bytes. */
export interface MultipartPart {
  headers: Headers;
  body: Uint8Array;
}

/** Options for {@linkcode parseMultipart}. */
export interface ParseMultipartOptions {
  /** Reject preamble, transport padding and epilogue (default true). */
  strict?: boolean;
}

const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;

/** Reads the `boundary` parameter of a multipart Content-Type (quoted or token). */
export function boundaryOf(contentType: string): string {
  const semi = contentType.indexOf(";");
  const mediaType = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (!mediaType.startsWith("multipart/")) throw new Error(`not a multipart type: ${contentType}`);
  const match = /;\s*boundary\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;"]+))/i.exec(contentType);
  if (!match) throw new Error(`no boundary parameter in: ${contentType}`);
  const boundary = match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : match[2];
  if (boundary.length < 1 || boundary.length > 70) throw new Error(`boundary length out of 1..70: ${boundary}`);
  return boundary;
}

/**
 * Splits a multipart body into its parts. Throws on any framing error:
 * missing delimiters, a missing close delimiter, malformed header lines.
 */
export function parseMultipart(
  body: Uint8Array,
  contentType: string,
  options: ParseMultipartOptions = {},
): MultipartPart[] {
  const strict = options.strict ?? true;
  const boundary = ascii(boundaryOf(contentType));
  const dashBoundary = concat(new Uint8Array([DASH, DASH]), boundary);
  const delimiter = concat(new Uint8Array([CR, LF]), dashBoundary);

  // The first dash-boundary starts the body (strict) or follows a preamble line.
  let pos: number;
  if (startsWithAt(body, dashBoundary, 0)) {
    pos = dashBoundary.length;
  } else {
    if (strict) throw new Error("body does not start with the dash-boundary");
    const at = indexOf(body, delimiter, 0);
    if (at < 0) throw new Error("no delimiter found");
    pos = at + delimiter.length;
  }

  const parts: MultipartPart[] = [];
  for (;;) {
    // After a delimiter: "--" closes, otherwise transport-padding CRLF.
    if (body[pos] === DASH && body[pos + 1] === DASH) {
      pos += 2;
      if (parts.length === 0) throw new Error("close delimiter before any part");
      const rest = body.subarray(pos);
      if (strict && !(rest.length === 0 || (rest.length === 2 && rest[0] === CR && rest[1] === LF))) {
        throw new Error(`unexpected ${rest.length} byte(s) after the close delimiter`);
      }
      return parts;
    }
    if (!strict) { while (body[pos] === 0x20 || body[pos] === 0x09) pos++; }
    if (body[pos] !== CR || body[pos + 1] !== LF) throw new Error(`expected CRLF after delimiter at ${pos}`);
    pos += 2;

    const end = indexOf(body, delimiter, pos);
    if (end < 0) throw new Error("part not terminated by a delimiter (missing close delimiter?)");
    parts.push(parsePart(body.subarray(pos, end)));
    pos = end + delimiter.length;
  }
}

function parsePart(part: Uint8Array): MultipartPart {
  const headers = new Headers();
  let pos = 0;
  // Header fields, one per line, until an empty line.
  for (;;) {
    if (part[pos] === CR && part[pos + 1] === LF) {
      pos += 2;
      break;
    }
    const eol = indexOf(part, new Uint8Array([CR, LF]), pos);
    if (eol < 0) throw new Error("part headers not terminated by an empty line");
    const line = new TextDecoder().decode(part.subarray(pos, eol));
    const colon = line.indexOf(":");
    if (colon <= 0 || /[\s]/.test(line.slice(0, colon))) throw new Error(`malformed header line: ${line}`);
    headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
    pos = eol + 2;
  }
  return { headers, body: part.slice(pos) };
}

function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7e || c < 0x20) throw new Error(`non-ASCII boundary: ${s}`);
    out[i] = c;
  }
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function startsWithAt(hay: Uint8Array, needle: Uint8Array, at: number): boolean {
  if (at + needle.length > hay.length) return false;
  for (let i = 0; i < needle.length; i++) if (hay[at + i] !== needle[i]) return false;
  return true;
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  const last = hay.length - needle.length;
  for (let i = from; i <= last; i++) {
    i = hay.indexOf(first, i);
    if (i < 0 || i > last) return -1;
    if (startsWithAt(hay, needle, i)) return i;
  }
  return -1;
}
