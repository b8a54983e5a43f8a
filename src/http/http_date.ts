/**
 * HTTP-date (RFC 9110 §5.6.7): strict parsing of the three formats a
 * recipient must accept, and IMF-fixdate formatting.
 *
 * @module
 */

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const IMF = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850 =
  /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/**
 * Parses an HTTP-date into ms since the epoch; `undefined` when the value is
 * not a valid HTTP-date, in which case the conditional header carrying it
 * must be ignored (§13.1.3, §13.1.4).
 *
 * @example
 * ```ts
 * import { parseHttpDate } from "@ranged/video";
 * parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"); // 784111777000
 * parseHttpDate("yesterday"); // undefined
 * ```
 */
export function parseHttpDate(value: string, now: number = Date.now()): number | undefined {
  const s = value.trim();
  let m = IMF.exec(s);
  if (m) return build(+m[3], m[2], +m[1], +m[4], +m[5], +m[6]);
  m = RFC850.exec(s);
  if (m) {
    // Two-digit years more than 50 years ahead are in the past century (§5.6.7).
    // The rule compares timestamps, not calendar years.
    const horizon = new Date(now);
    horizon.setUTCFullYear(horizon.getUTCFullYear() + 50);
    const year = Math.floor(new Date(now).getUTCFullYear() / 100) * 100 + +m[3];
    const ms = build(year, m[2], +m[1], +m[4], +m[5], +m[6]);
    return ms !== undefined && ms > horizon.getTime() ? build(year - 100, m[2], +m[1], +m[4], +m[5], +m[6]) : ms;
  }
  m = ASCTIME.exec(s);
  if (m) return build(+m[6], m[1], +m[2].trim(), +m[3], +m[4], +m[5]);
  return undefined;
}

function build(year: number, mon: string, day: number, h: number, min: number, sec: number) {
  const month = MONTHS.indexOf(mon);
  if (month < 0 || h > 23 || min > 59 || sec > 60) return undefined;
  const date = new Date(Date.UTC(2000, month, day, h, min, Math.min(sec, 59)));
  // setUTCFullYear, because Date.UTC reads years 0..99 as 1900..1999.
  date.setUTCFullYear(year, month, day);
  // Reject day overflow such as 31 Feb, which Date would roll over.
  if (date.getUTCDate() !== day || day === 0) return undefined;
  return date.getTime();
}

/**
 * Formats ms since the epoch as an IMF-fixdate, the form HTTP senders use.
 *
 * @example
 * ```ts
 * import { formatHttpDate } from "@ranged/video";
 * formatHttpDate(784111777000); // "Sun, 06 Nov 1994 08:49:37 GMT"
 * ```
 */
export function formatHttpDate(ms: number): string {
  // Every answer of one file formats the same Last-Modified: the last one is kept.
  if (ms !== lastFormatted.ms) lastFormatted = { ms, text: new Date(ms).toUTCString() };
  return lastFormatted.text;
}

let lastFormatted = { ms: NaN, text: "" };
