/**
 * The data reference check shared by every MP4 transformation: media must be
 * in this file (every `dref` entry self-contained), since offsets into
 * another file cannot move or be cut with this one.
 *
 * @module
 */

import { type BoxHeader, childBoxes, Mp4FormatError } from "./boxes.ts";

/**
 * Throws {@linkcode Mp4FormatError} unless every entry of the `dref` box
 * `dref` (inside `bytes`) has the self-contained flag, and the entry count
 * matches the entries.
 */
export function checkSelfContained(bytes: Uint8Array, view: DataView, dref: BoxHeader): void {
  const body = dref.start + dref.headerSize;
  const end = dref.start + dref.size;
  if (end - body < 8) throw new Mp4FormatError("truncated dref");
  const count = view.getUint32(body + 4);
  if (count > (end - body - 8) / 12) throw new Mp4FormatError("dref entry count does not fit");
  let seen = 0;
  for (const entry of childBoxes(bytes, body + 8, end)) {
    if (entry.size - entry.headerSize < 4) throw new Mp4FormatError("truncated dref entry");
    const flags = view.getUint32(entry.start + entry.headerSize) & 0xffffff;
    if ((flags & 1) === 0) throw new Mp4FormatError(`media in another file (dref '${entry.type}')`);
    seen++;
  }
  if (seen !== count) throw new Mp4FormatError("dref entry count does not match its entries");
}
