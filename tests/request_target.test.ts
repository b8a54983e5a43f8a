// Pure decisions about what a client sent: Host values, request targets,
// methods, and the parser-error answers of the node:http servers.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { isValidHost, requestUrl, targetUrl } from "../src/http/request_target.ts";
import { methodStatus, unsupportedMethod } from "../src/http/method_check.ts";
import { clientErrorResponse, clientErrorStatus } from "../src/adapters/client_error.ts";

describe("isValidHost (RFC 9110 §7.2)", () => {
  const table: [string, boolean][] = [
    ["example.com", true],
    ["example.com:8000", true],
    ["127.0.0.1:80", true],
    ["[::1]:8000", true],
    ["[::ffff:127.0.0.1]", true],
    ["xn--bcher-kva.example", true],
    ["a%20b", true],
    ["", false],
    ["../x", false],
    ["a/b", false],
    ["a b", false],
    ["[::1", false],
    ["user@host", false],
    ["host:80:80", false],
    ["host:8a", false],
  ];
  for (const [host, ok] of table) {
    test(`${JSON.stringify(host)} → ${ok}`, () => assert.equal(isValidHost(host), ok, host));
  }
});

describe("targetUrl (what node:http hands over)", () => {
  const table: [string, string[], string, string | undefined][] = [
    ["/a.mp4?t=1", ["x:8000"], "1.1", "http://x:8000/a.mp4?t=1"],
    ["//evil/x", ["x"], "1.1", "http://x//evil/x"],
    ["/a.mp4", [], "1.0", "http://fallback:1/a.mp4"],
    ["/a.mp4", [], "1.1", undefined],
    ["/a.mp4", ["x", "y"], "1.1", undefined],
    ["/a.mp4", ["../x"], "1.1", undefined],
    ["http://127.0.0.1:8000../x/a.bin", ["x"], "1.1", undefined],
    ["http://other:9/a.mp4", ["x"], "1.1", "http://other:9/a.mp4"],
    ["ftp://x/a.mp4", ["x"], "1.1", undefined],
    ["*", ["x"], "1.1", undefined],
    ["a.mp4", ["x"], "1.1", undefined],
  ];
  for (const [target, hosts, version, want] of table) {
    test(`${target} Host=${hosts.join(",") || "none"} HTTP/${version} → ${want ?? "400"}`, () => {
      assert.equal(targetUrl(target, hosts, version, "fallback:1")?.href, want);
    });
  }
});

describe("requestUrl (a Fetch Request as a server received it)", () => {
  test("a well-formed request gives its URL", () => {
    assert.equal(requestUrl(new Request("http://x:1/a%20b.mp4?q"))?.pathname, "/a%20b.mp4");
  });
  test("a malformed Host gives undefined", () => {
    assert.equal(requestUrl(new Request("http://x/", { headers: { host: "../x" } })), undefined);
  });
  test("a url that does not parse gives undefined", () => {
    // Deno hands such targets over as they came; a Request-like stands in for it here.
    const req = { url: "http://127.0.0.1:8000../x", headers: new Headers() } as unknown as Request;
    assert.equal(requestUrl(req), undefined);
  });
});

describe("unsupportedMethod and methodStatus (RFC 9110 §9.1, §15.5.6, §15.6.2)", () => {
  const table: [string, number | undefined][] = [
    ["GET", undefined],
    ["HEAD", undefined],
    ["POST", 405],
    ["DELETE", 405],
    ["OPTIONS", 405],
    ["PATCH", 405],
    ["BREW", 501],
    ["get", 501],
  ];
  for (const [method, status] of table) {
    test(`${method} → ${status ?? "allowed"}`, () => {
      const res = unsupportedMethod(method, ["GET", "HEAD"]);
      assert.equal(res?.status, status, "status");
      if (res) {
        assert.equal(res.headers.get("allow"), "GET, HEAD", "Allow");
        assert.equal(res.headers.get("content-length"), "0", "Content-Length");
        assert.equal(methodStatus(method), status);
      }
    });
  }
});

describe("clientErrorStatus and clientErrorResponse (node:http parser errors)", () => {
  const table: [string | undefined, number][] = [
    ["HPE_INVALID_METHOD", 501],
    ["HPE_HEADER_OVERFLOW", 431],
    ["ERR_HTTP_REQUEST_TIMEOUT", 408],
    ["HPE_CHUNK_EXTENSIONS_OVERFLOW", 413],
    ["HPE_INVALID_VERSION", 400],
    [undefined, 400],
  ];
  for (const [code, status] of table) {
    test(`${code} → ${status}`, () => assert.equal(clientErrorStatus(code), status));
  }
  test("the raw answer is complete: status line, Date, Allow on 501, empty body, close", () => {
    assert.equal(
      clientErrorResponse("HPE_INVALID_METHOD", Date.UTC(2026, 10, 29, 12), "GET, HEAD"),
      "HTTP/1.1 501 Not Implemented\r\nDate: Sun, 29 Nov 2026 12:00:00 GMT\r\nAllow: GET, HEAD\r\n" +
        "Content-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert.equal(
      clientErrorResponse("HPE_INVALID_VERSION", 0, "GET"),
      "HTTP/1.1 400 Bad Request\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
  });
});
