/**
 * Sidecar subtitles: `movie.vtt`, `movie.en.vtt`, `movie.pt-BR.vtt` next to
 * `movie.mp4` belong to it. Pure: a video name and a folder's file names
 * in, the matching files with their language out.
 *
 * @module
 */

/** A sidecar WebVTT file of a video. */
export interface Sidecar {
  /** The file's name in the folder. */
  readonly file: string;
  /** Its BCP 47 language tag (`en`, `pt-BR`), when the name carries one. */
  readonly language?: string;
  /** What a player shows: the language tag, or "Subtitles". */
  readonly label: string;
}

/** A language tag as it appears in file names: 2–3 letters, optional subtags. */
const LANGUAGE = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/;
/** Most sidecars listed for one video. */
export const MAX_SIDECARS = 16;

/**
 * The WebVTT sidecars named after `stem` (a video's name without its
 * extension, or a folder's name) among `names`, ordered: no language first,
 * then by language.
 *
 * @example
 * ```ts ignore
 * sidecarSubtitles("movie", ["movie.mp4", "movie.en.vtt", "movie.vtt", "other.vtt"]);
 * // [{ file: "movie.vtt", label: "Subtitles" }, { file: "movie.en.vtt", language: "en", label: "en" }]
 * ```
 */
export function sidecarSubtitles(stem: string, names: readonly string[]): Sidecar[] {
  const out: Sidecar[] = [];
  for (const name of names) {
    if (!name.toLowerCase().endsWith(".vtt") || !name.startsWith(stem + ".")) continue;
    const middle = name.slice(stem.length + 1, -4);
    if (middle === "") out.push({ file: name, label: "Subtitles" });
    else if (LANGUAGE.test(middle)) out.push({ file: name, language: middle, label: middle });
  }
  out.sort((a, b) => (a.language ?? "").localeCompare(b.language ?? ""));
  return out.slice(0, MAX_SIDECARS);
}
