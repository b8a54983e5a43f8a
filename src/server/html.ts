/**
 * HTML escaping for the pages serveDir renders. File names are attacker
 * controlled (anyone who can drop a file in the folder), so every name goes
 * through {@linkcode escapeHtml} before it meets markup.
 *
 * @module
 */

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Escapes text for HTML element content and quoted attribute values.
 *
 * @example
 * ```ts ignore
 * import { escapeHtml } from "@ranged/video";
 * console.log(escapeHtml(`<img src=x onerror="alert(1)">.mp4`));
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/**
 * Serializes a value as JSON safe to embed inside a `<script>` element:
 * `<`, `>`, `&` and the line separators U+2028/U+2029 are escaped so no
 * file name can close the script or break the parser.
 *
 * @example
 * ```ts ignore
 * import { jsonForScript } from "@ranged/video";
 * console.log(jsonForScript({ name: "</script><b>.mp4" }));
 * ```
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
