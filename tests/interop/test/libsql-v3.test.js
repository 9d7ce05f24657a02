// Hrana v3 (POST /v3/pipeline, /v3/cursor, describe, get_autocommit): the npm
// `libsql` package (the Rust libSQL client inside Node) in remote mode:
// new Database("http://127.0.0.1:PORT", { authToken }).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import Database from "libsql";
import { startServer } from "../lib/server.js";

const I64_MIN = -9223372036854775808n;
const I64_MAX = 9223372036854775807n;

describe("libsql (npm) remote mode, Hrana v3", () => {
  let srv, db;
  before(async () => {
    srv = await startServer({ authTokens: ["v3-token"] });
    db = new Database(srv.url, { authToken: "v3-token" });
  });
  after(async () => {
    try { db?.close(); } catch { /* already closed */ }
    await srv?.stop();
  });

  it("opens in remote mode and runs a query", () => {
    assert.equal(db.memory, false);
    const row = db.prepare("SELECT 1 AS one, 'two' AS two").get();
    assert.equal(row.one, 1);
    assert.equal(row.two, "two");
  });

  it("exec runs a multi-statement script; run reports changes and lastInsertRowid", () => {
    db.exec("CREATE TABLE v3(id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB); CREATE INDEX v3_t ON v3(t);");
    const info = db.prepare("INSERT INTO v3(i, r, t, b) VALUES (?, ?, ?, ?)").run(7, 1.5, "seven", Buffer.from([1, 2, 3]));
    assert.equal(info.changes, 1);
    assert.equal(Number(info.lastInsertRowid), 1);
    const upd = db.prepare("UPDATE v3 SET i = i + 1").run();
    assert.equal(upd.changes, 1);
  });

  it("values round-trip (safe integers, floats, text, blobs, null)", () => {
    const st = db.prepare("SELECT ? AS i, ? AS f, ? AS t, ? AS b, ? AS n, 2.0 AS f2").safeIntegers(true);
    const row = st.get(I64_MAX, 5e-324, "héllo 😀 a\u0000b", Buffer.from([0, 255, 128]), null);
    assert.equal(row.i, I64_MAX);
    assert.ok(Object.is(row.f, 5e-324));
    assert.equal(row.t, "héllo 😀 a\u0000b");
    assert.ok(Buffer.isBuffer(row.b) || row.b instanceof Uint8Array || row.b instanceof ArrayBuffer);
    assert.deepEqual([...new Uint8Array(row.b.buffer ? row.b.buffer.slice(row.b.byteOffset, row.b.byteOffset + row.b.byteLength) : row.b)], [0, 255, 128]);
    assert.equal(row.n, null);
    assert.equal(typeof row.f2, "number");
    assert.equal(row.f2, 2);
    const mn = db.prepare("SELECT ? AS v, typeof(?) AS t").safeIntegers(true).get(I64_MIN, I64_MIN);
    assert.equal(mn.v, I64_MIN);
    assert.equal(mn.t, "integer");
  });

  // Named parameters (an object argument) are not tested here: libsql 0.5.29 in
  // remote mode sends "named_args": [] for them (client-side; see README.md).
  it("numbered parameters ?NNN", () => {
    const row = db.prepare("SELECT ?2 AS a, ?1 AS b, ?2 || ?1 AS c").get("x", "y");
    assert.equal(row.a, "y");
    assert.equal(row.b, "x");
    assert.equal(row.c, "yx");
  });

  it("all() and iterate() go through the v3 cursor and see every row", () => {
    db.exec("CREATE TABLE many3(n INTEGER)");
    db.exec("INSERT INTO many3 WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000) SELECT n FROM c");
    const rows = db.prepare("SELECT n FROM many3 ORDER BY n").all();
    assert.equal(rows.length, 1000);
    assert.equal(rows[999].n, 1000);
    let sum = 0, k = 0;
    for (const r of db.prepare("SELECT n FROM many3").iterate()) { sum += r.n; k++; }
    assert.equal(k, 1000);
    assert.equal(sum, 500500);
    assert.deepEqual(db.prepare("SELECT n FROM many3 WHERE n < 0").all(), []);
  });

  it("columns() describes the result (describe request)", () => {
    const cols = db.prepare("SELECT id, t, i + 1 AS expr FROM v3").columns();
    assert.deepEqual(cols.map((c) => c.name), ["id", "t", "expr"]);
    // libsql 0.5.29 remote statements report type: null for every column even
    // when describe sends the decltype, so types are not checked here.
  });

  it("raw() and pluck() modes", () => {
    assert.deepEqual(db.prepare("SELECT 1, 'x'").raw().get(), [1, "x"]);
    assert.deepEqual(db.prepare("SELECT 'plucked' AS p UNION ALL SELECT 'twice'").pluck().all(), ["plucked", "twice"]);
  });

  // Statements are prepared inside the transaction: libsql 0.5.29 closes the
  // stream after running a statement prepared before BEGIN (client-side).
  it("an interactive transaction commits across requests (stream kept by baton)", () => {
    db.exec("CREATE TABLE tx3(x)");
    const txn = db.transaction((xs) => {
      const insert = db.prepare("INSERT INTO tx3 VALUES (?)");
      for (const x of xs) insert.run(x);
    });
    txn([1, 2, 3]);
    assert.equal(db.prepare("SELECT count(*) AS n FROM tx3").get().n, 3);
    assert.equal(db.inTransaction, false);
  });

  it("a throwing transaction function rolls back", () => {
    const txn = db.transaction(() => {
      db.prepare("INSERT INTO tx3 VALUES (?)").run(100);
      assert.equal(db.inTransaction, true); // BEGIN kept the stream open (get_autocommit = false)
      throw new Error("boom");
    });
    assert.throws(() => txn(), /boom/);
    assert.equal(db.prepare("SELECT count(*) AS n FROM tx3 WHERE x = 100").get().n, 0);
  });

  it("BEGIN ... COMMIT through exec keeps one stream", () => {
    db.exec("BEGIN");
    assert.equal(db.inTransaction, true);
    db.prepare("INSERT INTO tx3 VALUES (?)").run(50);
    assert.equal(db.prepare("SELECT count(*) AS n FROM tx3 WHERE x = 50").get().n, 1);
    db.exec("COMMIT");
    assert.equal(db.inTransaction, false);
    assert.equal(db.prepare("SELECT count(*) AS n FROM tx3 WHERE x = 50").get().n, 1);
  });

  it("errors: syntax error and constraint violation are thrown with SQLite's message", () => {
    assert.throws(() => db.prepare("SELEKT 1").get(), /syntax error/);
    db.exec("CREATE TABLE uq3(x UNIQUE)");
    db.prepare("INSERT INTO uq3 VALUES (1)").run();
    assert.throws(() => db.prepare("INSERT INTO uq3 VALUES (1)").run(), /UNIQUE constraint failed|SQLITE_CONSTRAINT/);
    assert.equal(db.prepare("SELECT count(*) AS n FROM uq3").get().n, 1);
  });

  it("a wrong token is refused", () => {
    const bad = new Database(srv.url, { authToken: "wrong" });
    try {
      assert.throws(() => bad.prepare("SELECT 1").get(), /401|nauthori[sz]ed|auth/i);
    } finally {
      bad.close();
    }
  });
});
