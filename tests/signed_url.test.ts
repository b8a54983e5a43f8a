// Signed URLs (src/access/signed_url.ts): what a signature covers, as
// tables of tampered, expired, rotated, hostile and equivalent URLs, and a
// signer written from the README's recipe in plain WebCrypto agreeing with
// ours. Runs unchanged on Deno, Node and Bun.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  MAX_EXPIRES,
  MIN_SECRET_BYTES,
  SignedUrlError,
  signUrl,
  urlSigner,
  verifySignedUrl,
} from "../src/access/signed_url.ts";
import { MAX_SIGNED_PARAMS } from "../src/access/canonical.ts";

const SECRET = "correct horse battery staple 42";
const OLD = "the previous secret, retired soon";
const EXPIRES = 2_000_000_000_000; // ms: 2033-05-18
const EXP = 2_000_000_000; // the same in seconds, as the URL carries it
const NOW = 1_900_000_000_000;

const verify = (url: string, extra: Record<string, unknown> = {}) =>
  verifySignedUrl(new URL(url, "http://h"), { secret: SECRET, now: NOW, ...extra });

/** The signed URL with `from` replaced by `to` (which must occur once). */
function swap(url: string, from: string, to: string): string {
  assert.equal(url.split(from).length, 2, `${from} occurs once in ${url}`);
  return url.replace(from, to);
}

test("a signed URL has the documented shape and verifies", async () => {
  const url = await signUrl("/films/a.mp4", { secret: SECRET, expires: EXPIRES, params: { start: 12.5, end: 30 } });
  assert.match(url, /^\/films\/a\.mp4\?start=12\.5&end=30&exp=2000000000&sig=[A-Za-z0-9_-]{43}$/, url);
  assert.deepEqual(await verify(url), { ok: true, expires: EXP });
});

test("tampering with what the signature covers is refused", async () => {
  const clip = await signUrl("/films/a.mp4", { secret: SECRET, expires: EXPIRES, params: { start: 12.5, end: 30 } });
  const plain = await signUrl("/films/a.mp4", { secret: SECRET, expires: EXPIRES });
  const sig = new URL(clip, "http://h").searchParams.get("sig")!;
  const cases: [string, string, string][] = [
    ["another file", swap(plain, "/a.mp4", "/b.mp4"), "bad-signature"],
    ["another folder", swap(plain, "/films/", "/filmz/"), "bad-signature"],
    ["path case", swap(plain, "/a.mp4", "/A.mp4"), "bad-signature"],
    ["a later expiry", swap(plain, `exp=${EXP}`, `exp=${EXP + 1}`), "bad-signature"],
    ["an earlier expiry", swap(plain, `exp=${EXP}`, `exp=${EXP - 1}`), "bad-signature"],
    ["start moved", swap(clip, "start=12.5", "start=2.5"), "bad-signature"],
    ["end widened", swap(clip, "end=30", "end=300"), "bad-signature"],
    ["end dropped", swap(clip, "&end=30", ""), "bad-signature"],
    ["start dropped", swap(clip, "start=12.5&", ""), "bad-signature"],
    ["end added to a plain link", swap(plain, "?", "?end=5&"), "bad-signature"],
    ["a second start", swap(clip, "?", "?start=0&"), "bad-signature"],
    ["the clip's sig on the whole file", `${plain.split("&sig=")[0]}&sig=${sig}`, "bad-signature"],
    ["a scope added to a path link", swap(plain, "&sig", "&scope=/films&sig"), "bad-signature"],
    ["sig's first char", swap(plain, "sig=", "sig=" + "A"), "malformed"], // 44 chars
    ["no sig", plain.split("&sig=")[0], "missing"],
    ["no exp", swap(plain, `exp=${EXP}&`, ""), "missing"],
    ["no query", "/films/a.mp4", "missing"],
  ];
  for (const [name, url, reason] of cases) {
    assert.deepEqual(await verify(url), { ok: false, reason }, `${name}: ${url}`);
  }
});

test("every single-character change to a signed URL is refused", async () => {
  const url = await signUrl("/films/a.mp4", { secret: SECRET, expires: EXPIRES, params: { start: 12, end: 30 } });
  let refused = 0;
  for (let i = 0; i < url.length; i++) {
    const c = url[i] === "x" ? "y" : "x";
    const changed = url.slice(0, i) + c + url.slice(i + 1);
    const check = await verify(changed);
    assert.equal(check.ok, false, `changing char ${i} gives ${changed}, which verified`);
    refused++;
  }
  assert.equal(refused, url.length);
});

test("expiry: valid through exp plus the clock-skew allowance, then refused", async () => {
  const url = await signUrl("/a.mp4", { secret: SECRET, expires: new Date(EXPIRES) });
  const at = (now: number, clockSkew?: number) => verify(url, { now, clockSkew });
  assert.equal((await at(EXPIRES - 1)).ok, true, "before expiry");
  assert.equal((await at(EXPIRES + 5000)).ok, true, "inside the default 5 s allowance");
  assert.deepEqual(await at(EXPIRES + 5001), { ok: false, reason: "expired" }, "one ms past the allowance");
  assert.equal((await at(EXPIRES, 0)).ok, true, "at exp with no allowance");
  assert.deepEqual(await at(EXPIRES + 1, 0), { ok: false, reason: "expired" }, "past exp with no allowance");
  assert.equal((await at(EXPIRES + 60_000, 60)).ok, true, "a configured allowance");
  assert.throws(() => urlSigner({ secret: SECRET, clockSkew: -1 }), SignedUrlError);
});

test("keys: a wrong key is refused; rotation verifies old links and signs with the first", async () => {
  const byOld = await signUrl("/a.mp4", { secret: OLD, expires: EXPIRES });
  const byNew = await signUrl("/a.mp4", { secrets: [SECRET, OLD], expires: EXPIRES });
  assert.equal(byNew, await signUrl("/a.mp4", { secret: SECRET, expires: EXPIRES }), "the first secret signs");
  assert.deepEqual(await verify(byOld), { ok: false, reason: "bad-signature" }, "wrong key");
  assert.equal((await verify(byOld, { secret: undefined, secrets: [SECRET, OLD] })).ok, true, "old key, rotated");
  assert.equal((await verify(byNew, { secret: undefined, secrets: [SECRET, OLD] })).ok, true, "new key, rotated");
  assert.equal((await verify(byOld, { secret: undefined, secrets: [SECRET] })).ok, false, "old key dropped");
  const bytes = new Uint8Array(32).map((_, i) => i * 7);
  const raw = await signUrl("/a.mp4", { secret: bytes, expires: EXPIRES });
  assert.equal((await verifySignedUrl(new URL(raw, "http://h"), { secret: bytes, now: NOW })).ok, true, "byte key");
});

test("empty, oversized and repeated token fields are malformed, never a crash", async () => {
  const url = await signUrl("/a.mp4", { secret: SECRET, expires: EXPIRES });
  const sig = new URL(url, "http://h").searchParams.get("sig")!;
  const cases: [string, string][] = [
    ["empty sig", `/a.mp4?exp=${EXP}&sig=`],
    ["empty exp", `/a.mp4?exp=&sig=${sig}`],
    ["short sig", `/a.mp4?exp=${EXP}&sig=${sig.slice(1)}`],
    ["long sig", `/a.mp4?exp=${EXP}&sig=${sig}A`],
    ["sig with padding", `/a.mp4?exp=${EXP}&sig=${sig.slice(0, 42)}=`],
    ["sig in base64, not base64url", `/a.mp4?exp=${EXP}&sig=${sig.slice(0, 42)}+`],
    ["13-digit exp", `/a.mp4?exp=1${EXP}000&sig=${sig}`],
    ["negative exp", `/a.mp4?exp=-${EXP}&sig=${sig}`],
    ["fractional exp", `/a.mp4?exp=${EXP}.5&sig=${sig}`],
    ["huge exp", `/a.mp4?exp=${"9".repeat(5000)}&sig=${sig}`],
    ["huge sig", `/a.mp4?exp=${EXP}&sig=${"A".repeat(100_000)}`],
    ["two sigs", `${url}&sig=${sig}`],
    ["two exps", `${url}&exp=${EXP}`],
    ["two scopes", `${url}&scope=/&scope=/`],
    ["malformed percent-encoding in the path", `/a%zz.mp4?exp=${EXP}&sig=${sig}`],
    ["malformed scope", `/a.mp4?exp=${EXP}&scope=a&sig=${sig}`],
  ];
  for (const [name, u] of cases) assert.deepEqual(await verify(u), { ok: false, reason: "malformed" }, name);
  const max = `/a.mp4?exp=${MAX_EXPIRES}&sig=${sig}`;
  assert.deepEqual(await verify(max), { ok: false, reason: "bad-signature" }, "12 digits parse (the limit)");
});

test("equivalent spellings verify: percent-encoding, non-ASCII, query order", async () => {
  const opts = { secret: SECRET, expires: EXPIRES };
  const cafe = await signUrl("/films/café.mp4", { ...opts, params: { start: "1 2" } });
  assert.ok(cafe.startsWith("/films/caf%C3%A9.mp4?start=1%202&"), cafe);
  const sigPart = cafe.slice(cafe.indexOf("exp="));
  const same = [
    `/films/caf%C3%A9.mp4?start=1%202&${sigPart}`,
    `/films/caf%c3%a9.mp4?start=1%202&${sigPart}`,
    `/films/café.mp4?start=1+2&${sigPart}`,
    `/%66ilms/caf%C3%A9.mp4?${sigPart}&start=1%202`,
    `/films/caf%C3%A9.mp4?${sigPart.replace("&", "&start=1%202&")}`,
  ];
  for (const u of same) assert.equal((await verify(u)).ok, true, u);
  const tilde = await signUrl("/%7Euser/a.mp4", opts);
  assert.equal((await verify(tilde.replace("/~user/", "/%7euser/"))).ok, true, "~ and %7e are one path");
  const order = await signUrl("/a.mp4", { ...opts, params: [["b", "2"], ["a", "1"], ["a", "0"]] });
  const q = new URL(order, "http://h").searchParams;
  const reordered = `/a.mp4?a=0&sig=${q.get("sig")}&a=1&exp=${q.get("exp")}&b=2`;
  assert.equal((await verify(reordered)).ok, true, "any order of parameters, repeated keys included");
  assert.equal((await verify(reordered.replace("a=0", "a=00"))).ok, false, "but not another value");
});

test("distinct paths stay distinct: encoded slash, dot segments, trailing slash", async () => {
  const opts = { secret: SECRET, expires: EXPIRES };
  const slash = await signUrl("/a%2Fb.mp4", opts);
  assert.equal((await verify(slash)).ok, true);
  assert.equal((await verify(slash.replace("/a%2Fb.mp4", "/a/b.mp4"))).ok, false, "%2F is not a separator");
  const dir = await signUrl("/films/", opts);
  assert.equal((await verify(dir.replace("/films/", "/films"))).ok, false, "/films/ and /films differ");
  // The URL parser resolves dot segments before we see them: a climb lands on another path.
  assert.equal((await verify((await signUrl("/films/a.mp4", opts)).replace("/films/", "/films/x/%2e%2e/"))).ok, true);
  assert.equal((await verify((await signUrl("/films/a.mp4", opts)).replace("/films/", "/x/%2e%2e/"))).ok, false);
  await assert.rejects(signUrl("/films/../secret", opts), SignedUrlError, "a dot segment cannot be signed");
  await assert.rejects(signUrl("/films/%2e%2e/secret", opts), SignedUrlError, "nor an encoded one");
});

test("scope: one signature opens a prefix, segment-wise, with no parameters of its own", async () => {
  const token = await signUrl("/films/a.mp4/master.m3u8", {
    secret: SECRET,
    expires: EXPIRES,
    scope: "/films/a.mp4",
  });
  const query = token.slice(token.indexOf("?") + 1);
  assert.match(query, /^exp=2000000000&scope=\/films\/a\.mp4&sig=/, query);
  const at = (path: string) => verify(`${path}?${query}`);
  for (const path of ["/films/a.mp4", "/films/a.mp4/master.m3u8", "/films/a.mp4/v0/seg-12.m4s", "/films/a.mp4/"]) {
    assert.deepEqual(await at(path), { ok: true, expires: EXP, scope: "/films/a.mp4" }, path);
  }
  for (const path of ["/films/a.mp42", "/films/b.mp4/master.m3u8", "/films", "/", "/other/films/a.mp4"]) {
    assert.deepEqual(await at(path), { ok: false, reason: "out-of-scope" }, path);
  }
  assert.deepEqual(await verify(`/films/a.mp4?start=3&${query}`), { ok: false, reason: "bad-signature" }, "a param");
  const widened = token.replace("scope=/films/a.mp4", "scope=/films");
  assert.deepEqual(await verify(widened), { ok: false, reason: "bad-signature" }, "a widened scope");
  assert.deepEqual(await verify(token.replace(/&scope=[^&]*/, "")), { ok: false, reason: "bad-signature" }, "dropped");
  const root = await signUrl("/", { secret: SECRET, expires: EXPIRES, scope: "/" });
  assert.equal((await verify(`/any/thing.mp4?${root.slice(2)}`)).ok, true, "scope / covers everything");
  await assert.rejects(signUrl("/b.mp4", { secret: SECRET, expires: EXPIRES, scope: "/a" }), SignedUrlError);
});

test("unsigned parameters may vary; every other one is covered", async () => {
  const url = await signUrl("/a.mp4", { secret: SECRET, expires: EXPIRES });
  assert.equal((await verify(`${url}&viewer=abc`, { unsigned: ["viewer"] })).ok, true);
  assert.equal((await verify(`${url}&viewer=abc`)).ok, false, "not declared unsigned");
  assert.equal((await verify(`${url}&viewer=abc&start=1`, { unsigned: ["viewer"] })).ok, false);
});

test(`at most ${MAX_SIGNED_PARAMS} signed parameters`, async () => {
  const params = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, String(i)]));
  const url = await signUrl("/a.mp4", { secret: SECRET, expires: EXPIRES, params: params(MAX_SIGNED_PARAMS) });
  assert.equal((await verify(url)).ok, true, "at the limit");
  assert.deepEqual(await verify(`${url}&extra=1`), { ok: false, reason: "malformed" }, "one past it");
  await assert.rejects(
    signUrl("/a.mp4", { secret: SECRET, expires: EXPIRES, params: params(MAX_SIGNED_PARAMS + 1) }),
    SignedUrlError,
  );
});

test("bad signing input throws SignedUrlError", async () => {
  const ok = { secret: SECRET, expires: EXPIRES };
  const bad: [string, () => Promise<string>][] = [
    ["short secret", () => signUrl("/a", { ...ok, secret: "x".repeat(MIN_SECRET_BYTES - 1) })],
    ["no secret", () => signUrl("/a", { expires: EXPIRES })],
    ["both secret and secrets", () => signUrl("/a", { ...ok, secrets: [SECRET] })],
    ["empty secrets", () => signUrl("/a", { expires: EXPIRES, secrets: [] })],
    ["relative path", () => signUrl("a.mp4", ok)],
    ["fragment", () => signUrl("/a.mp4#t=3", ok)],
    ["malformed encoding", () => signUrl("/100%.mp4", ok)],
    ["reserved param", () => signUrl("/a", { ...ok, params: { sig: "x" } })],
    ["reserved param in the path", () => signUrl("/a?exp=1", ok)],
    ["seconds where ms are meant", () => signUrl("/a", { ...ok, expires: EXP })],
    ["NaN expiry", () => signUrl("/a", { ...ok, expires: NaN })],
    ["expiry past 12 digits", () => signUrl("/a", { ...ok, expires: (MAX_EXPIRES + 1) * 1000 })],
  ];
  for (const [name, call] of bad) await assert.rejects(call(), SignedUrlError, name);
  assert.match(await signUrl("/a", { ...ok, secret: "x".repeat(MIN_SECRET_BYTES) }), /sig=/, "a 16-byte secret");
  assert.match(await signUrl("/a?start=1", ok), /^\/a\?start=1&exp=/, "a query in the path is kept and signed");
});

test("a plain-WebCrypto signer written from the README's recipe agrees", async () => {
  // The README's recipe for other backends, for a path of URL-safe characters and no parameters.
  async function readmeSign(path: string, secret: string, expires: number): Promise<string> {
    const enc = new TextEncoder();
    const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    const message = `ranged-url-1\n${expires}\npath\n${path}\n`;
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(message)));
    const sig = btoa(String.fromCharCode(...mac)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    return `${path}?exp=${expires}&sig=${sig}`;
  }
  const theirs = await readmeSign("/films/a.mp4", SECRET, EXP);
  assert.equal(theirs, await signUrl("/films/a.mp4", { secret: SECRET, expires: EXPIRES }));
  assert.equal((await verify(theirs)).ok, true);
});
