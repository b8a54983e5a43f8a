/**
 * Content-Disposition with a safe ASCII `filename` and, when needed, an
 * RFC 8187 `filename*` (RFC 6266 §4.3).
 *
 * @module
 */

/**
 * Builds a Content-Disposition value. Non-ASCII names get a `filename*`
 * in UTF-8 with an ASCII fallback; quotes, backslashes and control
 * characters never reach the quoted string, and path parts are dropped.
 *
 * @example
 * ```ts
 * import { contentDisposition } from "@ranged/video";
 * contentDisposition("attachment", "Café.mp4");
 * // `attachment; filename="Caf_.mp4"; filename*=UTF-8''Caf%C3%A9.mp4`
 * ```
 */
export function contentDisposition(type: "inline" | "attachment", filename?: string): string {
  if (filename === undefined) return type;
  const base = filename.slice(Math.max(filename.lastIndexOf("/"), filename.lastIndexOf("\\")) + 1);
  if (base === "") return type;
  const fallback = base.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  let value = `${type}; filename="${fallback}"`;
  if (fallback !== base) value += `; filename*=UTF-8''${encodeRfc8187(base)}`;
  return value;
}

const ATTR_CHAR = /[A-Za-z0-9!#$&+\-.^_`|~]/;

function encodeRfc8187(s: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(s)) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && ATTR_CHAR.test(ch) ? ch : "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}
