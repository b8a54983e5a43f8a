/**
 * The second wall against escaping the root: a request's segments (already
 * checked as strings by `safe_path.ts`) become a real path only when
 * realpath puts them inside the root's real path, which also covers
 * symlinks. Never answers for anything outside the root.
 *
 * @module
 */

import type { DirFs, PathStat } from "./dir_fs.ts";
import { FileNotFoundError } from "../http/errors.ts";

/** Resolves request segments under one root. */
export interface RootResolver {
  /** The real path of `segments` under the root, or undefined when it is missing, escapes, or is hidden. */
  resolve(segments: readonly string[]): Promise<string | undefined>;
}

/** What a request path names: the longest existing part, and the segments past it. */
export interface Target {
  /** The request's decoded path segments. */
  readonly segments: readonly string[];
  /** The request path ended with `/`. */
  readonly trailingSlash: boolean;
  /** Real path of `segments` without `rest`. */
  readonly real: string;
  /** Stat of `real`. */
  readonly stat: PathStat;
  /**
   * Trailing segments that do not exist on disk: empty for a plain file or
   * directory; a derived view's sub-path (`movie.mp4/master.m3u8`) otherwise.
   */
  readonly rest: readonly string[];
}

/**
 * How many trailing segments may name something that is not on disk. Derived
 * views live at most two levels under a file or folder (`movie/720p.mp4/seg-1.m4s`);
 * each level costs one more realpath, and only for paths that do not exist.
 */
export const MAX_REST_SEGMENTS = 2;

/** A resolver for `root` whose real path is looked up once, lazily. */
export function rootResolver(fs: DirFs, root: string, dotfiles: boolean): RootResolver {
  const base = root.replace(/[\\/]+$/, "") || "/";
  let rootReal: Promise<string> | undefined;
  const realRoot = () => {
    // A failure is retried on the next request.
    rootReal ??= fs.realpath(base).catch((err) => {
      rootReal = undefined;
      throw err;
    });
    return rootReal;
  };
  return {
    async resolve(segments) {
      const top = await realRoot();
      const joined = segments.length ? `${base === "/" ? "" : base}/${segments.join("/")}` : base;
      let real: string;
      try {
        real = await fs.realpath(joined);
      } catch (err) {
        if (err instanceof FileNotFoundError) return undefined;
        throw err;
      }
      const inside = relativeInside(top, real);
      if (inside === undefined) return undefined;
      // A link inside the root may still point at a dotfile inside it.
      if (!dotfiles && inside.some((s) => s.startsWith("."))) return undefined;
      return real;
    },
  };
}

/**
 * The target of `segments`: the whole path when it exists, else its longest
 * existing parent with at most {@linkcode MAX_REST_SEGMENTS} segments left over.
 */
export async function resolveTarget(
  fs: DirFs,
  resolver: RootResolver,
  segments: readonly string[],
  trailingSlash: boolean,
): Promise<Target | undefined> {
  for (let rest = 0; rest <= Math.min(MAX_REST_SEGMENTS, segments.length); rest++) {
    const head = segments.slice(0, segments.length - rest);
    const real = await resolver.resolve(head);
    if (real === undefined) continue;
    const stat = await fs.stat(real);
    return { segments, trailingSlash, real, stat, rest: segments.slice(head.length) };
  }
  return undefined;
}

/** `real` relative to `root` as segments, or undefined when it lies outside. */
export function relativeInside(root: string, real: string): string[] | undefined {
  // Compare with `/` only, so Windows paths from node:fs behave like POSIX ones.
  const r = root.replaceAll("\\", "/").replace(/\/+$/, "");
  const p = real.replaceAll("\\", "/");
  if (p === r) return [];
  if (!p.startsWith(r + "/")) return undefined;
  return p.slice(r.length + 1).split("/").filter((s) => s !== "");
}
