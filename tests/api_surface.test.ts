// The public API does not drift by accident: every entry point of deno.json,
// each exported name with its kind and a digest of its declaration, as
// `deno doc` reads them, must equal the committed snapshot. An intended change
// updates it with `node scripts/api_surface.mjs --update` in the same commit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
// @ts-types="./helpers/api_surface.d.ts"
import { apiSurface, SNAPSHOT } from "../scripts/api_surface.mjs";

test("every entry point exports the same names with the same declarations as the snapshot", () => {
  const expected = JSON.parse(readFileSync(SNAPSHOT, "utf8")) as Record<string, Record<string, string>>;
  const actual = apiSurface() as Record<string, Record<string, string>>;
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), "deno.json exports changed");
  for (const entry of Object.keys(expected)) {
    assert.deepEqual(
      actual[entry],
      expected[entry],
      `the API of ${entry} changed; if intended: node scripts/api_surface.mjs --update`,
    );
  }
  assert.ok(Object.keys(actual["."]).includes("handleVideo"), "the snapshot sees the main export");
});
