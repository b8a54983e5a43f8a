/**
 * One node:http response's side of its socket, for the node writer: whether
 * the client has gone, backpressure, and the pooled buffers its writes hold
 * until the socket has flushed them (each then given back, and timed for
 * the read pacing).
 *
 * Per chunk it allocates only what the write itself must: 200 slow viewers
 * make tens of thousands of chunks a second, and a closure, view or async
 * frame more per chunk grew V8's young generation by tens of MiB (bench D).
 *
 * @module
 */

import type { ServerResponse } from "node:http";
import { BUFFERS, ReadPacer } from "../http/read_pacer.ts";
import { giveBuffer } from "./buffer_pool.ts";

/**
 * The flow of one response's body to its socket. Call
 * {@linkcode ResponseFlow.end} when the body is done or abandoned.
 *
 * @example
 * ```ts ignore
 * const flow = new ResponseFlow(res, 65536, true);
 * while (flow.blocked()) await flow.wait();
 * if (!flow.gone) flow.send(buf, view);
 * flow.end();
 * ```
 */
export class ResponseFlow {
  /** True once the client went away before the response finished. */
  gone: boolean;
  /** The size of the next read. */
  readonly pacer: ReadPacer;
  #res: ServerResponse;
  #paced: boolean;
  #wake: (() => void) | undefined;
  // Writes on one stream complete in order: what each holds waits here, not in a closure per write.
  #sent: Uint8Array[] = [];
  #sentAt: number[] = [];
  #sentBytes: number[] = [];

  /** Reads start at `first` bytes, and follow the socket's pace when `paced`. */
  constructor(res: ServerResponse, first: number, paced: boolean) {
    this.#res = res;
    this.gone = res.destroyed;
    this.#paced = paced;
    this.pacer = new ReadPacer(first);
    res.on("close", this.#onClose);
    res.on("drain", this.#onWake);
  }

  /** Whether the next chunk must wait: two buffers are with the socket, or it asks to drain. */
  blocked(): boolean {
    return !this.gone && (this.#sent.length >= BUFFERS || this.#res.writableNeedDrain);
  }

  /** Resolves on the next drain, flush or close. */
  wait(): Promise<void> {
    return new Promise<void>(this.#setWake);
  }

  /**
   * Writes the first `view.length` bytes of the pooled `buf` (`view` is `buf`
   * or a prefix of it); with `last`, ends the response with them.
   */
  send(buf: Uint8Array, view: Uint8Array, last = false): void {
    this.#sent.push(buf);
    this.#sentAt.push(performance.now());
    this.#sentBytes.push(view.length);
    // Ending with the last bytes rather than after them: a 1 MiB range is
    // then one call that node:http can send with its head (bench B on Node
    // and on Bun's node:http: about 10% more requests/s).
    if (last) this.#res.end(view, this.#onFlushed);
    else this.#res.write(view, this.#onFlushed);
  }

  /** Stops listening; buffers still with the socket go back to the pool as they flush. */
  end(): void {
    this.pacer.done();
    this.#res.off("close", this.#onClose);
    this.#res.off("drain", this.#onWake);
  }

  #setWake = (resolve: () => void) => {
    this.#wake = resolve;
  };

  #onWake = () => {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  };

  #onClose = () => {
    if (!this.#res.writableFinished) this.gone = true;
    this.#onWake();
  };

  #onFlushed = () => {
    const buf = this.#sent.shift()!;
    const now = performance.now();
    const at = this.#sentAt.shift()!;
    const n = this.#sentBytes.shift()!;
    if (this.#paced) this.pacer.flushedChunk(n, now - at, now);
    giveBuffer(buf);
    this.#onWake();
  };
}
