/**
 * Turns a request's URL path into validated file-system segments, or a
 * refusal. This is the first of two walls against path traversal; the
 * second is the realpath containment check in `serve_dir.ts`, which catches
 * what a string check cannot see (symlinks).
 *
 * @module
 */

/** The outcome of {@linkcode parseRequestPath}. */
export type RequestPath =
  | {
    readonly ok: true;
    /** Decoded path segments, none empty, none `.` or `..`, none with a separator or NUL. */
    readonly segments: readonly string[];
    /** The path ended with `/` (a directory was asked for). */
    readonly trailingSlash: boolean;
  }
  | { readonly ok: false; readonly status: 400 | 404 };

/** Options of {@linkcode parseRequestPath}. */
export interface RequestPathOptions {
  /** Allow segments starting with `.` (dotfiles and dot-directories). Default false. */
  dotfiles?: boolean;
}

// Encoded separators and NUL are refused before decoding: once decoded, a
// `%2f` would be indistinguishable from a real separator to the file system.
const ENCODED_FORBIDDEN = /%(2f|5c|00)/i;
// C0 controls and DEL never belong in a served file name; NUL truncates paths in C APIs.
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const MAX_PATH = 4096;

/**
 * Parses a URL pathname (still percent-encoded, as in `new URL(req.url).pathname`).
 * Percent-decoding happens exactly once, per segment, so `%252e%252e` names a
 * file literally called `%2e%2e` and never climbs.
 *
 * Refused with 404: `\`, `%2f`, `%5c`, `%00`, control characters, empty
 * interior segments (`//`), `.` and `..` segments (also when encoded), and
 * dot-segments when `dotfiles` is off. Refused with 400: malformed percent-encoding.
 *
 * @example
 * ```ts ignore
 * import { parseRequestPath } from "@ranged/video";
 * console.log(parseRequestPath("/movies/My%20Film.mp4")); // { ok: true, segments: ["movies", "My Film.mp4"], trailingSlash: false }
 * console.log(parseRequestPath("/..%2fetc/passwd")); // { ok: false, status: 404 }
 * ```
 */
export function parseRequestPath(pathname: string, options: RequestPathOptions = {}): RequestPath {
  const notFound = { ok: false, status: 404 } as const;
  if (!pathname.startsWith("/") || pathname.length > MAX_PATH) return notFound;
  if (pathname.includes("\\") || ENCODED_FORBIDDEN.test(pathname) || CONTROL.test(pathname)) return notFound;
  const raw = pathname.slice(1).split("/");
  const trailingSlash = raw[raw.length - 1] === "";
  if (trailingSlash) raw.pop();
  const segments: string[] = [];
  for (const part of raw) {
    if (part === "") return notFound;
    let segment: string;
    try {
      segment = decodeURIComponent(part);
    } catch {
      return { ok: false, status: 400 };
    }
    if (segment === "." || segment === "..") return notFound;
    if (segment.includes("/") || segment.includes("\\") || CONTROL.test(segment)) return notFound;
    if (!options.dotfiles && segment.startsWith(".")) return notFound;
    segments.push(segment);
  }
  return { ok: true, segments, trailingSlash };
}

/**
 * The canonical URL path for decoded segments: each segment
 * percent-encoded, so a name with `#`, `?` or `%` links back to itself.
 *
 * @example
 * ```ts ignore
 * import { encodePath } from "@ranged/video";
 * console.log(encodePath(["a b", "100%.mp4"])); // "/a%20b/100%25.mp4"
 * ```
 */
export function encodePath(segments: readonly string[], directory = false): string {
  const path = "/" + segments.map(encodeURIComponent).join("/");
  return directory && segments.length > 0 ? path + "/" : path;
}
