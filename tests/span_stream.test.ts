// spanStream: one response span from one source request, resumed from the
// byte reached when cut, against scripted sources (no network): counts
// requests and pulls, asserts bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Span } from "../src/remote/block_reader.ts";
import { OriginChangedError, OriginError } from "../src/remote/origin_errors.ts";
import { spanStream } from "../src/remote/span_stream.ts";
import { patternBytes } from "./helpers/counting_file.ts";

const SEED = 3;
const DATA = patternBytes(100_000, SEED);
const CHUNK = 1000;

/** A body over `data[from..to]` in CHUNK pieces, counting pulls; `cutAt` errors it at that file position. */
function body(from: number, to: number, counters: { pulls: number; cancelled: number }, cutAt?: number) {
  let at = from;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      counters.pulls++;
      if (cutAt !== undefined && at >= cutAt) return c.error(new TypeError("connection reset"));
      const next = Math.min(to + 1, at + CHUNK, cutAt ?? Infinity);
      c.enqueue(DATA.slice(at, next));
      at = next;
      if (at > to) c.close();
    },
    cancel() {
      counters.cancelled++;
    },
  }, { highWaterMark: 0 });
}

async function all(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

test(`spanStream (seed ${SEED}): one request for the span, bytes exact, no read-ahead`, async () => {
  const counters = { pulls: 0, cancelled: 0 };
  const asked: string[] = [];
  const open = (a: number, b: number) => {
    asked.push(`${a}-${b}`);
    return Promise.resolve<Span>({ offset: a, body: body(a, b, counters) });
  };
  const reader = spanStream(open, 1234, 56788).getReader();
  assert.deepEqual(asked, [], "nothing is asked before the first pull");
  const first = await reader.read();
  assert.deepEqual(first.value, DATA.subarray(1234, 2234));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(counters.pulls, 1, "one source chunk per chunk read: the source is read at the client's pace");
  const rest = await all(
    new ReadableStream({
      pull: async (c) => {
        const r = await reader.read();
        if (r.done) c.close();
        else c.enqueue(r.value);
      },
    }),
  );
  assert.deepEqual(rest, DATA.subarray(2234, 56789));
  assert.deepEqual(asked, ["1234-56788"]);
});

test("spanStream: an open first answer is used, then the rest is one more request; earlier bytes skipped", async () => {
  const counters = { pulls: 0, cancelled: 0 };
  const asked: string[] = [];
  const open = (a: number, b: number) => {
    asked.push(`${a}-${b}`);
    return Promise.resolve<Span>({ offset: a, body: body(a, b, counters) });
  };
  const first = { span: { offset: 0, body: body(0, 9999, counters) }, end: 9999 };
  assert.deepEqual(await all(spanStream(open, 500, 29999, { first })), DATA.subarray(500, 30000));
  assert.deepEqual(asked, ["10000-29999"]);
  // A source that ignores Range answers from 0: the bytes before the span are skipped, not sent.
  const sequential = () =>
    Promise.resolve<Span>({ offset: 0, body: body(0, DATA.length - 1, counters), sequential: true });
  assert.deepEqual(await all(spanStream(sequential, 70000, 70999)), DATA.subarray(70000, 71000));
});

test("spanStream: a cut resumes at the byte reached; the budget renews with progress, then fails typed", async () => {
  const counters = { pulls: 0, cancelled: 0 };
  const asked: string[] = [];
  // Every answer is cut 25,000 bytes after it starts: progress each time, so it completes.
  const cutting = (a: number, b: number) => {
    asked.push(`${a}-${b}`);
    return Promise.resolve<Span>({ offset: a, body: body(a, b, counters, a + 25_000) });
  };
  assert.deepEqual(await all(spanStream(cutting, 0, 99_999, { backoff: 1, retries: 1 })), DATA);
  assert.deepEqual(asked, ["0-99999", "25000-99999", "50000-99999", "75000-99999"]);
  // No progress at all: retries + 1 attempts, then the source's error.
  let attempts = 0;
  const dead = () => (attempts++, Promise.reject(new TypeError("fetch failed")));
  await assert.rejects(all(spanStream(dead, 0, 10, { backoff: 1, retries: 2 })), TypeError);
  assert.equal(attempts, 3);
  // A changed object is final: no retry, the typed error.
  let changed = 0;
  const gone = () => (changed++, Promise.reject(new OriginChangedError("x", '"v1"', "412")));
  await assert.rejects(all(spanStream(gone, 0, 10, { backoff: 1 })), OriginChangedError);
  assert.equal(changed, 1);
  // An answer that starts after the byte asked for would skip bytes: refused.
  const late = (a: number) => Promise.resolve<Span>({ offset: a + 1, body: body(a + 1, 99, counters) });
  await assert.rejects(all(spanStream(late, 0, 99, { retries: 0 })), OriginError);
});

test("spanStream: cancel aborts the request's signal and cancels its body; onClose runs once", async () => {
  const counters = { pulls: 0, cancelled: 0 };
  let signal: AbortSignal | undefined;
  let closes = 0;
  const open = (a: number, b: number, s: AbortSignal) => {
    signal = s;
    return Promise.resolve<Span>({ offset: a, body: body(a, b, counters) });
  };
  const reader = spanStream(open, 0, 99_999, { onClose: () => closes++ }).getReader();
  await reader.read();
  await reader.cancel();
  assert.equal(signal?.aborted, true, "the request in flight is aborted");
  assert.equal(counters.cancelled, 1, "its body is cancelled");
  assert.equal(closes, 1);
  // An unusable first answer is cancelled at once.
  const unused = { pulls: 0, cancelled: 0 };
  const first = { span: { offset: 50, body: body(50, 99, unused) }, end: 99 };
  await all(spanStream(open, 0, 9, { first, onClose: () => closes++ }));
  assert.equal(unused.cancelled, 1);
  assert.equal(closes, 2);
});
