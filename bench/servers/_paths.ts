// Shared by the benchmark servers written in TypeScript: the file a URL
// path names under ROOT, or null for anything that tries to leave it.
export function fileFor(root: string, url: string): string | null {
  let path: string;
  try {
    path = decodeURIComponent(new URL(url, "http://x").pathname);
  } catch {
    return null;
  }
  if (path.includes("\0") || path.split("/").some((s) => s === "..")) return null;
  return root.replace(/\/+$/, "") + path;
}

export const notFound = (): Response => new Response("not found", { status: 404 });
