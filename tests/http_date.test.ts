import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { formatHttpDate, parseHttpDate } from "../src/http/http_date.ts";

const RFC_EXAMPLE = 784111777000; // Sun, 06 Nov 1994 08:49:37 GMT
const NOW = Date.UTC(2025, 5, 15, 12, 0, 0); // fixed "now" for the two-digit-year rule

/** [value, expected ms, why] */
const valid: [string, number, string][] = [
  // IMF-fixdate
  ["Sun, 06 Nov 1994 08:49:37 GMT", RFC_EXAMPLE, "IMF-fixdate, RFC 9110 example"],
  ["Thu, 01 Jan 1970 00:00:00 GMT", 0, "IMF-fixdate, the epoch"],
  ["Sat, 01 Jan 2000 00:00:00 GMT", Date.UTC(2000, 0, 1), "IMF-fixdate, Y2K"],
  ["Sat, 29 Feb 2020 12:00:00 GMT", Date.UTC(2020, 1, 29, 12), "IMF-fixdate, leap day"],
  ["Thu, 29 Feb 2024 23:59:59 GMT", Date.UTC(2024, 1, 29, 23, 59, 59), "IMF-fixdate, leap day 2024"],
  ["Wed, 31 Dec 2008 23:59:60 GMT", Date.UTC(2008, 11, 31, 23, 59, 59), "IMF-fixdate, leap second → :59"],
  ["Fri, 31 Dec 9999 23:59:59 GMT", 253402300799000, "IMF-fixdate, year 9999"],
  ["Mon, 01 Jan 2024 00:00:00 GMT", Date.UTC(2024, 0, 1), "IMF-fixdate, start of a year"],
  ["Tue, 30 Apr 2024 10:20:30 GMT", Date.UTC(2024, 3, 30, 10, 20, 30), "IMF-fixdate, last day of a 30-day month"],
  ["  Sun, 06 Nov 1994 08:49:37 GMT  ", RFC_EXAMPLE, "IMF-fixdate, surrounding whitespace trimmed"],
  // A wrong weekday is accepted: the day-name is redundant and RFC 9110 does not ask recipients to check it.
  ["Mon, 06 Nov 1994 08:49:37 GMT", RFC_EXAMPLE, "IMF-fixdate, inconsistent day-name accepted"],
  // RFC 850
  ["Sunday, 06-Nov-94 08:49:37 GMT", RFC_EXAMPLE, "RFC 850, RFC 9110 example"],
  ["Saturday, 01-Jan-00 00:00:00 GMT", Date.UTC(2000, 0, 1), "RFC 850, 00 → 2000"],
  ["Thursday, 01-Jan-76 00:00:00 GMT", Date.UTC(1976, 0, 1), "RFC 850, 76 → 1976 (2076 is > 50 years ahead)"],
  ["Saturday, 15-Jun-75 00:00:00 GMT", Date.UTC(2075, 5, 15), "RFC 850, 75 → 2075 (exactly 50 years ahead)"],
  ["Sunday, 15-Jun-25 00:00:00 GMT", Date.UTC(2025, 5, 15), "RFC 850, the current year"],
  ["Thursday, 29-Feb-24 12:00:00 GMT", Date.UTC(2024, 1, 29, 12), "RFC 850, leap day"],
  ["Monday, 06-Nov-94 08:49:37 GMT", RFC_EXAMPLE, "RFC 850, inconsistent day-name accepted"],
  // asctime
  ["Sun Nov  6 08:49:37 1994", RFC_EXAMPLE, "asctime, RFC 9110 example (space-padded day)"],
  ["Sun Nov 06 08:49:37 1994", RFC_EXAMPLE, "asctime, two-digit day"],
  ["Thu Jan  1 00:00:00 1970", 0, "asctime, the epoch"],
  ["Sat Feb 29 12:00:00 2020", Date.UTC(2020, 1, 29, 12), "asctime, leap day"],
  ["Fri Dec 31 23:59:59 9999", 253402300799000, "asctime, year 9999"],
];

/** [value, why] */
const invalid: [string, string][] = [
  ["", "empty"],
  ["   ", "whitespace"],
  ["yesterday", "a word"],
  ["784111777", "a number"],
  ["1994-11-06T08:49:37Z", "ISO 8601"],
  ["1994-11-06 08:49:37", "SQL-like"],
  // IMF-fixdate day-name
  ["Sunday, 06 Nov 1994 08:49:37 GMT", "IMF with a long day-name"],
  ["sun, 06 Nov 1994 08:49:37 GMT", "IMF with a lower-case day-name"],
  ["SUN, 06 Nov 1994 08:49:37 GMT", "IMF with an upper-case day-name"],
  ["Sun 06 Nov 1994 08:49:37 GMT", "IMF without the comma"],
  ["Sux, 06 Nov 1994 08:49:37 GMT", "IMF with a bad day-name"],
  [", 06 Nov 1994 08:49:37 GMT", "IMF without a day-name"],
  // IMF-fixdate month
  ["Sun, 06 nov 1994 08:49:37 GMT", "IMF with a lower-case month"],
  ["Sun, 06 NOV 1994 08:49:37 GMT", "IMF with an upper-case month"],
  ["Sun, 06 November 1994 08:49:37 GMT", "IMF with a long month"],
  ["Sun, 06 Noo 1994 08:49:37 GMT", "IMF with a bad month"],
  ["Sun, 06 11 1994 08:49:37 GMT", "IMF with a numeric month"],
  // IMF-fixdate day and year
  ["Thu, 31 Feb 1994 08:49:37 GMT", "31 Feb"],
  ["Thu, 30 Feb 2024 08:49:37 GMT", "30 Feb in a leap year"],
  ["Wed, 29 Feb 2023 08:49:37 GMT", "29 Feb in a common year"],
  ["Thu, 29 Feb 1900 08:49:37 GMT", "29 Feb 1900 (not a leap year)"],
  ["Sun, 31 Apr 2024 08:49:37 GMT", "31 Apr"],
  ["Sun, 00 Nov 1994 08:49:37 GMT", "day 00"],
  ["Sun, 32 Jan 1994 08:49:37 GMT", "day 32"],
  ["Sun, 6 Nov 1994 08:49:37 GMT", "one-digit day"],
  ["Sun,  6 Nov 1994 08:49:37 GMT", "space-padded day in IMF"],
  ["Sun, 06 Nov 94 08:49:37 GMT", "two-digit year in IMF"],
  ["Sun, 06 Nov 01994 08:49:37 GMT", "five-digit year"],
  // IMF-fixdate time
  ["Sun, 06 Nov 1994 25:00:00 GMT", "hour 25"],
  ["Sun, 06 Nov 1994 24:00:00 GMT", "hour 24"],
  ["Sun, 06 Nov 1994 08:60:00 GMT", "minute 60"],
  ["Sun, 06 Nov 1994 08:49:61 GMT", "second 61"],
  ["Sun, 06 Nov 1994 8:49:37 GMT", "one-digit hour"],
  ["Sun, 06 Nov 1994 08:49 GMT", "no seconds"],
  ["Sun, 06 Nov 1994 08:49:37.5 GMT", "fractional seconds"],
  // IMF-fixdate zone
  ["Sun, 06 Nov 1994 08:49:37", "missing GMT"],
  ["Sun, 06 Nov 1994 08:49:37 UTC", "UTC instead of GMT"],
  ["Sun, 06 Nov 1994 08:49:37 gmt", "lower-case gmt"],
  ["Sun, 06 Nov 1994 08:49:37 +0000", "numeric zone"],
  ["Sun, 06 Nov 1994 08:49:37 GMT+1", "zone with offset"],
  ["Sun, 06 Nov 1994 08:49:37GMT", "no space before GMT"],
  // IMF-fixdate spacing
  ["Sun,  06 Nov 1994 08:49:37 GMT", "two spaces after the comma"],
  ["Sun, 06  Nov 1994 08:49:37 GMT", "two spaces before the month"],
  ["Sun, 06 Nov  1994 08:49:37 GMT", "two spaces before the year"],
  ["Sun, 06 Nov 1994  08:49:37 GMT", "two spaces before the time"],
  ["Sun, 06 Nov 1994 08:49:37  GMT", "two spaces before GMT"],
  ["Sun,06 Nov 1994 08:49:37 GMT", "no space after the comma"],
  ["Sun, 06\tNov 1994 08:49:37 GMT", "tab instead of space"],
  ["Sun, 06-Nov-1994 08:49:37 GMT", "dashes in IMF"],
  ["Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT", "a list of two dates"],
  ["Sun, 06 Nov 1994 08:49:37 GMT x", "trailing garbage"],
  // RFC 850
  ["Sun, 06-Nov-94 08:49:37 GMT", "RFC 850 with a short day-name"],
  ["sunday, 06-Nov-94 08:49:37 GMT", "RFC 850 with a lower-case day-name"],
  ["Sunday, 06-nov-94 08:49:37 GMT", "RFC 850 with a lower-case month"],
  ["Sunday, 06-Nov-1994 08:49:37 GMT", "RFC 850 with a four-digit year"],
  ["Sunday, 6-Nov-94 08:49:37 GMT", "RFC 850 with a one-digit day"],
  ["Sunday, 31-Feb-94 08:49:37 GMT", "RFC 850, 31 Feb"],
  ["Sunday, 06-Nov-94 25:49:37 GMT", "RFC 850, hour 25"],
  ["Sunday, 06-Nov-94 08:49:37", "RFC 850 without GMT"],
  ["Sunday, 06 Nov 94 08:49:37 GMT", "RFC 850 without dashes"],
  // Both anchors of the RFC 850 pattern: dropping `^` or `$` accepts these.
  ["xSunday, 06-Nov-94 08:49:37 GMT", "RFC 850 with leading garbage"],
  ["Sunday, 06-Nov-94 08:49:37 GMTx", "RFC 850 with trailing garbage"],
  // asctime
  ["Sun Nov 6 08:49:37 1994", "asctime with an unpadded day"],
  ["Sun Nov   6 08:49:37 1994", "asctime with three spaces"],
  ["Sun Nov  6 08:49:37 1994 GMT", "asctime with a zone"],
  ["Sun Nov  6 08:49:37 94", "asctime with a two-digit year"],
  ["Sun nov  6 08:49:37 1994", "asctime with a lower-case month"],
  ["sun Nov  6 08:49:37 1994", "asctime with a lower-case day-name"],
  ["Sunday Nov  6 08:49:37 1994", "asctime with a long day-name"],
  ["Sun Nov 31 08:49:37 1994", "asctime, 31 Nov"],
  ["Sun Nov  0 08:49:37 1994", "asctime, day 0"],
  ["Sun Nov  6 24:00:00 1994", "asctime, hour 24"],
  ["Sun, Nov  6 08:49:37 1994", "asctime with a comma"],
  // The `^` of the asctime pattern: dropping it accepts this.
  ["xSun Nov  6 08:49:37 1994", "asctime with leading garbage"],
];

describe("parseHttpDate: valid", () => {
  for (const [value, expected, why] of valid) {
    test(`${why}: ${JSON.stringify(value)}`, () => {
      assert.equal(parseHttpDate(value, NOW), expected);
    });
  }
});

describe("parseHttpDate: invalid", () => {
  for (const [value, why] of invalid) {
    test(`${why}: ${JSON.stringify(value)}`, () => {
      assert.equal(parseHttpDate(value, NOW), undefined);
    });
  }
});

describe("parseHttpDate: RFC 850 two-digit years (RFC 9110 §5.6.7)", () => {
  test("a year more than 50 years ahead is in the past century", () => {
    const now = Date.UTC(2030, 0, 1);
    assert.equal(parseHttpDate("Saturday, 01-Jan-94 00:00:00 GMT", now), Date.UTC(1994, 0, 1));
    assert.equal(parseHttpDate("Thursday, 01-Jan-81 00:00:00 GMT", now), Date.UTC(1981, 0, 1));
    assert.equal(parseHttpDate("Monday, 01-Jan-80 00:00:00 GMT", now), Date.UTC(2080, 0, 1));
    assert.equal(parseHttpDate("Tuesday, 01-Jan-30 00:00:00 GMT", now), Date.UTC(2030, 0, 1));
  });

  test("depends on the current time, not on a fixed pivot", () => {
    const value = "Thursday, 01-Jan-70 00:00:00 GMT";
    assert.equal(parseHttpDate(value, Date.UTC(2025, 6, 1)), Date.UTC(2070, 0, 1));
    assert.equal(parseHttpDate(value, Date.UTC(2015, 6, 1)), Date.UTC(1970, 0, 1));
  });

  test("within 50 years ahead stays in the future, to the day", () => {
    // 2075-01-01 is less than 50 years after 2025-12-31.
    assert.equal(parseHttpDate("Tuesday, 01-Jan-75 00:00:00 GMT", Date.UTC(2025, 11, 31)), Date.UTC(2075, 0, 1));
  });

  test("a date in this century keeps its hour, minute and second", () => {
    // Every other RFC 850 case either rolls back a century or is at 00:00:00, so
    // negating the hour, minute or second of the first build (`+m[4]` → `-m[4]`) survived.
    // Not hour 12: setUTCFullYear keeps the time of day, and -12 h is 12:00 the day before.
    assert.equal(
      parseHttpDate("Monday, 01-Jan-24 08:34:56 GMT", Date.UTC(2025, 0, 1)),
      Date.UTC(2024, 0, 1, 8, 34, 56),
      "01-Jan-24 08:34:56 read in 2025",
    );
  });

  test("the 50-year rule compares timestamps, not calendar years", () => {
    // 2075-12-31 is more than 50 years after 2025-01-01, so it "appears to be more than 50 years in the
    // future" and MUST be read as 1975-12-31 (RFC 9110 §5.6.7).
    assert.equal(
      parseHttpDate("Wednesday, 31-Dec-75 23:59:59 GMT", Date.UTC(2025, 0, 1)),
      Date.UTC(1975, 11, 31, 23, 59, 59),
    );
  });

  test("now defaults to the current time", () => {
    const thisYear = new Date().getUTCFullYear();
    const got = parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT");
    assert.ok(got !== undefined);
    const year = new Date(got).getUTCFullYear();
    assert.equal(year % 100, 94);
    assert.ok(year <= thisYear + 50 && year > thisYear - 100, String(year));
  });
});

describe("parseHttpDate: years before 100", () => {
  // Date.UTC maps years 0..99 to 1900..1999; a four-digit "0094" must not alias 1994.
  const year94 = (() => {
    const d = new Date(RFC_EXAMPLE);
    d.setUTCFullYear(94);
    return d.getTime();
  })();
  for (const value of ["Sat, 06 Nov 0094 08:49:37 GMT", "Sat Nov  6 08:49:37 0094"]) {
    test(`${JSON.stringify(value)} is year 94 or rejected, never 1994`, () => {
      const got = parseHttpDate(value, NOW);
      assert.notEqual(got, RFC_EXAMPLE);
      assert.ok(got === undefined || got === year94, `got ${got}`);
    });
  }
});

describe("formatHttpDate", () => {
  const cases: [number, string][] = [
    [RFC_EXAMPLE, "Sun, 06 Nov 1994 08:49:37 GMT"],
    [0, "Thu, 01 Jan 1970 00:00:00 GMT"],
    [RFC_EXAMPLE + 999, "Sun, 06 Nov 1994 08:49:37 GMT"],
    [Date.UTC(2024, 1, 29, 1, 2, 3), "Thu, 29 Feb 2024 01:02:03 GMT"],
    [Date.UTC(2000, 0, 9), "Sun, 09 Jan 2000 00:00:00 GMT"],
    [253402300799000, "Fri, 31 Dec 9999 23:59:59 GMT"],
  ];
  for (const [ms, expected] of cases) {
    test(`${ms} → ${expected}`, () => assert.equal(formatHttpDate(ms), expected));
  }

  test("the kept last answer is only ever the one for the same time", () => {
    // Each case twice in a row (the kept one), then in another order: no answer leaks into the next time.
    for (const [ms, expected] of [...cases, ...cases.toReversed()]) {
      assert.equal(formatHttpDate(ms), expected);
      assert.equal(formatHttpDate(ms), expected);
    }
  });

  test("round trip: parse(format(t)) is t truncated to the second", () => {
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const samples = [0, 999, 1000, RFC_EXAMPLE, Date.UTC(2038, 0, 19, 3, 14, 8), 253402300799999];
    for (let i = 0; i < 500; i++) samples.push(Math.floor(rand() * 253402300799999));
    for (const ms of samples) {
      const text = formatHttpDate(ms);
      assert.match(text, /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
      assert.equal(parseHttpDate(text, NOW), Math.floor(ms / 1000) * 1000, text);
    }
  });

  test("round trip: format(parse(s)) is s for IMF-fixdates", () => {
    for (const [value] of valid) {
      const trimmed = value.trim();
      if (!/GMT$/.test(trimmed) || trimmed.includes("-") || trimmed.startsWith("Mon, 06 Nov")) continue;
      if (trimmed.includes(":60 ")) continue;
      assert.equal(formatHttpDate(parseHttpDate(trimmed, NOW)!), trimmed);
    }
  });
});
