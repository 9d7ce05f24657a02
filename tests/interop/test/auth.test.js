// Authentication: static tokens (--auth-token) and Ed25519 JWTs (--jwt-key).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { startServer, rawPipeline } from "../lib/server.js";
import { rejectsLibsql, rejectsBatch, ed25519Keys, signJwt, nowSeconds } from "../lib/util.js";

const SELECT_ONE = { requests: [{ type: "execute", stmt: { sql: "SELECT 1" } }, { type: "close" }] };

// What @libsql/client makes of an HTTP 401: SERVER_ERROR "Server returned HTTP
// status 401" for a {"error": ...} body, or the server's own code when the JSON
// body has "message" and "code".
function assertAuthError(e) {
  const ok = (e.code === "SERVER_ERROR" && /401/.test(e.message)) || /^AUTH_/.test(e.code ?? "");
  assert.ok(ok, `expected an auth error, got ${e.code}: ${e.message}`);
}

async function assert401(url, token) {
  const r = await rawPipeline(url, SELECT_ONE, { token });
  assert.equal(r.status, 401, `status for token ${JSON.stringify(token)}: body ${r.text}`);
  assert.match(r.headers.get("content-type") ?? "", /^application\/json/);
  assert.ok(r.json !== undefined && typeof r.json === "object", `401 body is JSON: ${r.text}`);
}

describe("static auth tokens", () => {
  let srv;
  before(async () => { srv = await startServer({ authTokens: ["s3cret-one", "s3cret-two"] }); });
  after(async () => { await srv?.stop(); });

  it("no token, a wrong token and an empty token get HTTP 401 JSON", async () => {
    await assert401(srv.url, undefined);
    await assert401(srv.url, "wrong");
    await assert401(srv.url, "");
    await assert401(srv.url, "s3cret-one-but-longer");
    await assert401(srv.url, "s3cret-on");
  });

  it("@libsql/client with a wrong token or none fails with an auth error", async () => {
    for (const authToken of [undefined, "wrong"]) {
      const c = createClient({ url: srv.url, authToken });
      try {
        await rejectsLibsql(c.execute("SELECT 1"), assertAuthError);
        await rejectsLibsql(c.batch(["SELECT 1"], "read"), assertAuthError);
        const tx = await c.transaction("write");
        await rejectsLibsql(tx.execute("SELECT 1"), assertAuthError);
        tx.close();
      } finally {
        c.close();
      }
    }
  });

  it("every configured token works", async () => {
    for (const authToken of ["s3cret-one", "s3cret-two"]) {
      const c = createClient({ url: srv.url, authToken, intMode: "bigint" });
      try {
        assert.equal((await c.execute("SELECT 41 + 1 AS v")).rows[0].v, 42n);
        await c.batch(["CREATE TABLE IF NOT EXISTS a(x)", "INSERT INTO a VALUES (1)"], "write");
      } finally {
        c.close();
      }
    }
    const r = await rawPipeline(srv.url, SELECT_ONE, { token: "s3cret-two" });
    assert.equal(r.status, 200);
  });

  it("the Bearer scheme is case-insensitive", async () => {
    const r = await fetch(`${srv.url}/v2/pipeline`, {
      method: "POST",
      headers: { authorization: "bearer s3cret-one", "content-type": "application/json" },
      body: JSON.stringify(SELECT_ONE),
    });
    await r.text();
    assert.equal(r.status, 200);
  });

  it("a wrong token cannot continue a stream opened with a good one", async () => {
    const open = await rawPipeline(srv.url, { requests: [{ type: "execute", stmt: { sql: "SELECT 1" } }] },
      { token: "s3cret-one" });
    assert.equal(open.status, 200);
    assert.equal(typeof open.json.baton, "string");
    const r = await rawPipeline(srv.url, { baton: open.json.baton, requests: [{ type: "close" }] }, { token: "bad" });
    assert.equal(r.status, 401);
    const close = await rawPipeline(srv.url, { baton: open.json.baton, requests: [{ type: "close" }] },
      { token: "s3cret-one" });
    assert.equal(close.status, 200);
  });
});

for (const keyFormat of ["pem", "raw"]) {
  describe(`JWT auth (Ed25519 public key as ${keyFormat === "pem" ? "PEM SPKI" : "base64url raw 32 bytes"})`, () => {
    let srv, keys, rw, ro;
    before(async () => {
      keys = ed25519Keys();
      srv = await startServer({ jwtKey: keyFormat === "pem" ? keys.publicPem : keys.publicRaw + "\n" });
      rw = signJwt(keys.privateKey, { a: "rw", iat: nowSeconds(), exp: nowSeconds() + 3600 });
      ro = signJwt(keys.privateKey, { a: "ro", iat: nowSeconds(), exp: nowSeconds() + 3600 });
      const c = createClient({ url: srv.url, authToken: rw });
      await c.batch(["CREATE TABLE j(x)", "INSERT INTO j VALUES (1)"], "write");
      c.close();
    });
    after(async () => { await srv?.stop(); });

    it("a read-write token reads and writes", async () => {
      const c = createClient({ url: srv.url, authToken: rw, intMode: "bigint" });
      try {
        await c.execute("INSERT INTO j VALUES (2)");
        assert.equal((await c.execute("SELECT count(*) FROM j")).rows[0][0], 2n);
        await c.execute("DELETE FROM j WHERE x = 2");
      } finally {
        c.close();
      }
    });

    it("a token without exp is accepted", async () => {
      const t = signJwt(keys.privateKey, { a: "rw" });
      const r = await rawPipeline(srv.url, SELECT_ONE, { token: t });
      assert.equal(r.status, 200, r.text);
    });

    it("a read-only token reads but every kind of write is rejected", async () => {
      const c = createClient({ url: srv.url, authToken: ro, intMode: "bigint" });
      try {
        assert.equal((await c.execute("SELECT count(*) FROM j")).rows[0][0], 1n);
        assert.equal((await c.batch(["SELECT count(*) FROM j", "SELECT 2"], "read"))[0].rows[0][0], 1n);
        await rejectsLibsql(c.execute("INSERT INTO j VALUES (3)"));
        await rejectsLibsql(c.execute("UPDATE j SET x = 5"));
        await rejectsLibsql(c.execute("DELETE FROM j"));
        await rejectsLibsql(c.execute("CREATE TABLE j2(y)"));
        await rejectsLibsql(c.execute("DROP TABLE j"));
        await rejectsBatch(c.batch(["SELECT 1", "INSERT INTO j VALUES (4)"], "write"), 1);
        await rejectsLibsql(c.executeMultiple("INSERT INTO j VALUES (5);"));
        const tx = await c.transaction("deferred");
        try {
          await rejectsLibsql(tx.execute("INSERT INTO j VALUES (6)"));
        } finally {
          tx.close();
        }
      } finally {
        c.close();
      }
      const check = createClient({ url: srv.url, authToken: rw, intMode: "bigint" });
      try {
        assert.deepEqual((await check.execute("SELECT x FROM j")).rows.map((r) => r.x), [1n]);
        assert.equal((await check.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'j2'")).rows[0][0], 0n);
      } finally {
        check.close();
      }
    });

    it("expired, foreign-key, tampered, alg-none and garbage tokens get 401", async () => {
      const other = ed25519Keys();
      const expired = signJwt(keys.privateKey, { a: "rw", exp: nowSeconds() - 600 });
      const foreign = signJwt(other.privateKey, { a: "rw", exp: nowSeconds() + 3600 });
      const [h, , s] = ro.split(".");
      const tamperedBody = Buffer.from(JSON.stringify({ a: "rw", exp: nowSeconds() + 3600 })).toString("base64url");
      const tampered = `${h}.${tamperedBody}.${s}`;
      const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${tamperedBody}.`;
      const badSig = rw.slice(0, -4) + (rw.endsWith("AAAA") ? "BBBB" : "AAAA");
      for (const [what, t] of Object.entries({ expired, foreign, tampered, none, badSig,
                                              garbage: "not.a.jwt", empty: "" })) {
        const r = await rawPipeline(srv.url, SELECT_ONE, { token: t });
        assert.equal(r.status, 401, `${what} token: got ${r.status} ${r.text}`);
      }
      const c = createClient({ url: srv.url, authToken: expired });
      try {
        await rejectsLibsql(c.execute("SELECT 1"), assertAuthError);
      } finally {
        c.close();
      }
    });

    it("missing Authorization gets 401", async () => {
      await assert401(srv.url, undefined);
    });
  });
}
