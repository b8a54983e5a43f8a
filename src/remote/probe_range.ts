/**
 * The first request to a remote source must learn the size and validators;
 * made as a Range GET it also fetches the first block the client needs.
 * This picks that range from the client's own request.
 *
 * @module
 */

/** The range the first request asks the origin for; `end: Infinity` asks to the end (`bytes=start-`). */
export type ProbeRange =
  | { start: number; end: number }
  | { suffix: number };

/** Options of {@linkcode probePlan}. */
export interface ProbePlanOptions {
  /**
   * Ask for the whole span the client will read (a single range, or the
   * whole file for a GET without one) rather than its first block: a
   * source that streams a response span from its first answer then needs
   * no second request. Default false (one block).
   */
  whole?: boolean;
}

/** What {@linkcode probePlan} decides: the origin range, and the client range expected after it. */
export interface ProbePlan {
  /** Range of the first origin request. */
  range: ProbeRange;
  /** The single closed range the client asked for, so blocks do not outrun it. */
  expect?: { start: number; end: number };
}

/**
 * Chooses the first origin request for a client request: the block where
 * the client's first range starts (a seek to the middle costs one origin
 * request, not a probe at 0 and then the real read), one byte for HEAD,
 * block 0 otherwise. A suffix range (`bytes=-500`) is asked as a suffix,
 * since the size is not known yet. With `whole`, a single range is asked
 * to its end instead of one block.
 *
 * @example
 * ```ts ignore
 * const plan = probePlan(new Request("http://x/", { headers: { range: "bytes=100-199" } }), 4096);
 * console.log(plan.range); // { start: 100, end: 199 }
 * ```
 */
export function probePlan(
  request: Request | undefined,
  blockSize: number,
  options: ProbePlanOptions = {},
): ProbePlan {
  const block = (start: number, last: number) => Math.min(last, options.whole ? Infinity : start + blockSize - 1);
  if (request?.method === "HEAD") return { range: { start: 0, end: 0 } };
  const header = request?.method === "GET" ? request.headers.get("range") : null;
  const m = header ? /^\s*bytes\s*=\s*([^,]*)(,?)/i.exec(header) : null;
  if (m) {
    const spec = /^\s*(\d*)\s*-\s*(\d*)\s*$/.exec(m[1]);
    const single = m[2] === "";
    if (spec && spec[1] !== "") {
      const start = Number(spec[1]);
      const last = spec[2] === "" ? Infinity : Number(spec[2]);
      if (Number.isSafeInteger(start) && last >= start) {
        return {
          range: { start, end: single ? block(start, last) : Math.min(last, start + blockSize - 1) },
          expect: single && last !== Infinity ? { start, end: last } : undefined,
        };
      }
    } else if (spec && spec[2] !== "" && Number(spec[2]) > 0 && Number.isSafeInteger(Number(spec[2]))) {
      return { range: { suffix: Number(spec[2]) } };
    }
  }
  // A GET with no usable Range is answered whole (without a request, nothing says so: one block).
  return { range: { start: 0, end: request?.method === "GET" ? block(0, Infinity) : blockSize - 1 } };
}

/** The Range header value for a {@linkcode ProbeRange}. */
export function rangeHeader(range: ProbeRange): string {
  if ("suffix" in range) return `bytes=-${range.suffix}`;
  return `bytes=${range.start}-${range.end === Infinity ? "" : range.end}`;
}
