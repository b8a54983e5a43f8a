/**
 * The query grammar of time-seek clips, as nginx's `ngx_http_mp4_module`
 * reads it: `?start=12.5&end=30`. Pure: no I/O, never throws.
 *
 * @module
 */

/** A requested clip in whole milliseconds: `end` undefined means "to the end". */
export interface ClipTimes {
  /** Start in milliseconds (0 when only `end` was given). */
  readonly start: number;
  /** End in milliseconds, greater than `start`, or undefined. */
  readonly end?: number;
}

/**
 * Longest time accepted, in milliseconds: 10^12 ms is 31 years, and keeps
 * every value an exact integer far below 2^53.
 */
export const MAX_CLIP_MS = 1e12;

// Decimal seconds: digits with at most one point, at least one digit, no sign or exponent (nginx's ngx_atofp).
const DECIMAL = /^(\d*)(?:\.(\d*))?$/;

/**
 * Decimal seconds to whole milliseconds, extra decimals cut (not rounded);
 * `undefined` for anything else (empty, signed, exponent, two points, too large).
 *
 * @example
 * ```ts
 * import { parseClipSeconds } from "@ranged/video";
 * console.log(parseClipSeconds("12.5"), parseClipSeconds("1.23456"), parseClipSeconds("-1")); // 12500 1234 undefined
 * ```
 */
export function parseClipSeconds(text: string | null | undefined): number | undefined {
  if (text === null || text === undefined) return undefined;
  const m = DECIMAL.exec(text);
  if (m === null || (m[1] === "" && (m[2] ?? "") === "")) return undefined;
  // Leading zeros say nothing; dropping them keeps the length check honest.
  const whole = m[1].replace(/^0+(?=\d)/, "");
  if (whole.length > 13) return undefined;
  const ms = Number(whole || "0") * 1000 + Number(((m[2] ?? "") + "000").slice(0, 3));
  return ms <= MAX_CLIP_MS ? ms : undefined;
}

/**
 * The clip a query asks for, or `undefined` for "no clip" (the file as it
 * is). An invalid value is ignored as if absent; `end` without `start`
 * means start 0; `end <= start` means no end.
 *
 * @example
 * ```ts
 * import { parseClipQuery } from "@ranged/video";
 * console.log(parseClipQuery(new URLSearchParams("start=12.5&end=30"))); // { start: 12500, end: 30000 }
 * console.log(parseClipQuery(new URLSearchParams("end=5"))); // { start: 0, end: 5000 }
 * console.log(parseClipQuery(new URLSearchParams("start=9&end=3"))); // { start: 9000 }
 * console.log(parseClipQuery(new URLSearchParams("start=abc"))); // undefined
 * ```
 */
export function parseClipQuery(params: URLSearchParams): ClipTimes | undefined {
  const start = parseClipSeconds(params.get("start"));
  const end = parseClipSeconds(params.get("end"));
  if (start === undefined && end === undefined) return undefined;
  const from = start ?? 0;
  return end !== undefined && end > from ? { start: from, end } : { start: from };
}
