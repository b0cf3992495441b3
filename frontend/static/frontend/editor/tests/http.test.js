// The shared fetch client (../../http.js) against a stub fetch().
import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import { ApiError, api, parseBody, request } from "../../http.js";

let calls;

function stubFetch(status, text, headers = {}) {
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init });
    return {
      status,
      ok: status >= 200 && status < 300,
      text: async () => text,
      headers: { get: (name) => headers[name] ?? null },
    };
  };
}

beforeEach(() => {
  calls = [];
  globalThis.document = { cookie: "sessionid=x; csrftoken=tok%3D1" };
});

afterEach(() => {
  delete globalThis.fetch;
  delete globalThis.document;
});

test("request sends JSON, the CSRF token and If-Match, and reads the ETag", async () => {
  stubFetch(200, '{"version": 3}', { ETag: '"3"' });
  const r = await request("PUT", "/a/", { json: { x: 1 }, ifMatch: 2 });
  assert.deepEqual(r, { status: 200, ok: true, data: { version: 3 }, etag: '"3"' });
  const { url, init } = calls[0];
  assert.equal(url, "/a/");
  assert.equal(init.method, "PUT");
  assert.equal(init.credentials, "same-origin");
  assert.equal(init.body, '{"x":1}');
  assert.equal(init.headers["Content-Type"], "application/json");
  assert.equal(init.headers["X-CSRFToken"], "tok=1");
  assert.equal(init.headers["If-Match"], '"2"');
});

test("GET sends no CSRF token; a raw body and extra headers pass through", async () => {
  stubFetch(200, "");
  assert.equal(await api("GET", "/b/"), null);
  assert.equal(calls[0].init.headers["X-CSRFToken"], undefined);
  const bytes = new Uint8Array([1, 2]);
  await api("PUT", "/c/", { body: bytes, headers: { "Content-Type": "application/octet-stream" } });
  assert.equal(calls[1].init.body, bytes);
  assert.equal(calls[1].init.headers["Content-Type"], "application/octet-stream");
  assert.equal(calls[1].init.headers["X-CSRFToken"], "tok=1");
});

test("api throws ApiError with the server's detail, else the field errors as sentences, else the status", async () => {
  stubFetch(409, '{"detail": "Frozen.", "code": "frozen"}');
  const err = await api("POST", "/d/").catch((e) => e);
  assert.ok(err instanceof ApiError);
  assert.deepEqual([err.status, err.message, err.body.code], [409, "Frozen.", "frozen"]);
  stubFetch(400, '{"mode": ["Not a valid choice."]}');
  assert.equal((await api("POST", "/d/").catch((e) => e)).message, "Mode: Not a valid choice.");
  stubFetch(400, '{"image_size": ["Must be a multiple of 32."], "non_field_errors": ["Pick one."]}');
  assert.equal((await api("POST", "/d/").catch((e) => e)).message, "Image size: Must be a multiple of 32. Pick one.");
  stubFetch(502, "");
  assert.equal((await api("GET", "/d/").catch((e) => e)).message, "The server answered 502.");
});

test("204 has no body; a non-JSON body becomes a short detail", async () => {
  stubFetch(204, "should not be read");
  assert.equal((await request("GET", "/e/")).data, null);
  assert.deepEqual(parseBody("<html>oops</html>"), { detail: "<html>oops</html>" });
  assert.equal(parseBody("x".repeat(1000)).detail.length, 300);
});
