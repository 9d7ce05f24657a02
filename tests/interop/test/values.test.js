// Value round-trips through lsqld with the real @libsql/client (Hrana v2, JSON).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { startServer } from "../lib/server.js";
import { rejectsLibsql } from "../lib/util.js";

const I64_MIN = -9223372036854775808n;
const I64_MAX = 9223372036854775807n;

describe("values", () => {
  let srv, big, num, str;
  before(async () => {
    srv = await startServer();
    big = createClient({ url: srv.url, intMode: "bigint" });
    num = createClient({ url: srv.url }); // intMode "number" (default)
    str = createClient({ url: srv.url, intMode: "string" });
  });
  after(async () => {
    big?.close(); num?.close(); str?.close();
    await srv?.stop();
  });

  // SELECT the argument back together with SQLite's own idea of its type.
  async function echo(client, value) {
    const rs = await client.execute({ sql: "SELECT ?1 AS v, typeof(?1) AS t", args: [value] });
    assert.equal(rs.rows.length, 1);
    return { v: rs.rows[0].v, t: rs.rows[0].t };
  }

  it("int64 extremes and neighbours round-trip exactly as bigint", async () => {
    for (const n of [I64_MIN, I64_MIN + 1n, -9007199254740993n, -1n, 0n, 1n,
                     9007199254740993n, I64_MAX - 1n, I64_MAX]) {
      const { v, t } = await echo(big, n);
      assert.equal(t, "integer", `typeof for ${n}`);
      assert.equal(typeof v, "bigint", `JS type for ${n}`);
      assert.equal(v, n);
    }
  });

  it("int64 extremes produced by SQL come back exactly", async () => {
    const rs = await big.execute(
      "SELECT -9223372036854775807 - 1 AS mn, 9223372036854775807 AS mx, 9007199254740993 AS odd");
    assert.equal(rs.rows[0].mn, I64_MIN);
    assert.equal(rs.rows[0].mx, I64_MAX);
    assert.equal(rs.rows[0].odd, 9007199254740993n);
  });

  it("int64 stored in a table round-trips in every intMode", async () => {
    await big.execute("CREATE TABLE ints(k INTEGER PRIMARY KEY, v INTEGER)");
    await big.execute({ sql: "INSERT INTO ints VALUES (1, ?), (2, ?), (3, ?)", args: [I64_MIN, I64_MAX, 42n] });
    const b = await big.execute("SELECT v FROM ints ORDER BY k");
    assert.deepEqual(b.rows.map((r) => r.v), [I64_MIN, I64_MAX, 42n]);
    const s = await str.execute("SELECT v FROM ints ORDER BY k");
    assert.deepEqual(s.rows.map((r) => r.v), ["-9223372036854775808", "9223372036854775807", "42"]);
    const n = await num.execute("SELECT v FROM ints WHERE k = 3");
    assert.equal(n.rows[0].v, 42);
    assert.equal(typeof n.rows[0].v, "number");
  });

  it("intMode number refuses unsafe integers (client-side RangeError)", async () => {
    await assert.rejects(num.execute("SELECT 9223372036854775807"), RangeError);
  });

  it("floats round-trip bit-exactly, including extremes", async () => {
    for (const x of [5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
                     -1.7976931348623157e308, 1e21, 1e+21 + 131072, 1e-7, 0.1, 1 / 3,
                     12.345, -2.5, 123456789.123456789, 4503599627370497.5, Math.PI]) {
      const { v, t } = await echo(big, x);
      assert.equal(t, "real", `typeof for ${x}`);
      assert.equal(typeof v, "number", `JS type for ${x}`);
      assert.ok(Object.is(v, x), `${x} came back as ${v}`);
    }
  });

  it("integral floats stay floats (REAL), even in intMode bigint", async () => {
    for (const x of [0, 1, 2, -7, 1e15, 9007199254740992, 1e21, 1672662896000]) {
      const { v, t } = await echo(big, x); // JS numbers are sent as Hrana floats
      assert.equal(t, "real", `typeof for ${x}`);
      assert.equal(typeof v, "number", `${x} must not become a bigint`);
      assert.equal(v, x);
    }
    const rs = await big.execute("SELECT 2.0 AS a, CAST(3 AS REAL) AS b, 1e21 AS c, 1e300 AS d");
    for (const [k, want] of Object.entries({ a: 2, b: 3, c: 1e21, d: 1e300 })) {
      assert.equal(typeof rs.rows[0][k], "number", `column ${k}`);
      assert.equal(rs.rows[0][k], want, `column ${k}`);
    }
  });

  it("negative zero from SQL keeps its sign", async () => {
    const rs = await big.execute("SELECT -0.0 AS z, typeof(-0.0) AS t");
    assert.equal(rs.rows[0].t, "real");
    assert.ok(Object.is(rs.rows[0].z, -0), `got ${rs.rows[0].z}`);
  });

  it("negative zero as an argument: the client sends it as 0 (float)", async () => {
    // @libsql/client writes floats with ""+n, which prints -0 as "0": this pins
    // the client's behaviour; the value must still arrive as a REAL.
    const { v, t } = await echo(big, -0);
    assert.equal(t, "real");
    assert.equal(v, 0);
  });

  it("infinite results are either +/-Infinity or a clean LibsqlError, never broken JSON", async () => {
    let rs;
    try {
      rs = await big.execute("SELECT 1e999 AS p, -1e999 AS n");
    } catch (e) {
      assert.ok(e?.name === "LibsqlError", `expected LibsqlError, got ${e?.name}: ${e?.message}`);
      assert.ok(!["HRANA_PROTO_ERROR", "UNKNOWN"].includes(e.code), e.message);
      return;
    }
    assert.equal(rs.rows[0].p, Infinity);
    assert.equal(rs.rows[0].n, -Infinity);
  });

  it("text: unicode, emoji (astral plane), NUL, empty, long", async () => {
    const texts = ["", "plain", "héllo wörld", "日本語テキスト", "😀🎉👩‍👩‍👧", "a\u0000b", "\u0000",
                   "tab\tnewline\nquote\"backslash\\", "\u2028\u2029", "\u007f\u0001\u001f",
                   "x".repeat(100000) + "😀"];
    for (const s of texts) {
      const { v, t } = await echo(big, s);
      assert.equal(t, "text", `typeof for ${JSON.stringify(s.slice(0, 20))}`);
      assert.equal(v, s);
    }
  });

  it("text with an embedded NUL is bound with its full length", async () => {
    const rs = await big.execute({ sql: "SELECT hex(?) AS h, length(CAST(? AS BLOB)) AS n", args: ["a\u0000b", "a\u0000b"] });
    assert.equal(rs.rows[0].h, "610062");
    assert.equal(rs.rows[0].n, 3n);
  });

  it("emoji are stored as 4-byte UTF-8 (surrogate pairs decoded)", async () => {
    const rs = await big.execute({ sql: "SELECT hex(?) AS h", args: ["😀"] });
    assert.equal(rs.rows[0].h, "F09F9880");
    const back = await big.execute("SELECT char(128512) AS c, X'F09F9880' = CAST(char(128512) AS BLOB) AS same");
    assert.equal(back.rows[0].c, "😀");
    assert.equal(back.rows[0].same, 1n);
  });

  it("blobs: empty, every byte value, large", async () => {
    const all = new Uint8Array(256).map((_, i) => i);
    const large = new Uint8Array(300000).map((_, i) => (i * 7919 + 13) & 0xff);
    for (const b of [new Uint8Array(0), new Uint8Array([0]), all, large, new Uint8Array([0xff, 0xfe, 0x00, 0x80])]) {
      const { v, t } = await echo(big, b);
      assert.equal(t, "blob", `typeof for a ${b.length}-byte blob`);
      assert.ok(v instanceof ArrayBuffer, "blobs come back as ArrayBuffer");
      assert.deepEqual(new Uint8Array(v), b);
    }
    const ab = new Uint8Array([1, 2, 3]).buffer; // an ArrayBuffer argument is a blob too
    const { v, t } = await echo(big, ab);
    assert.equal(t, "blob");
    assert.deepEqual(new Uint8Array(v), new Uint8Array([1, 2, 3]));
  });

  it("blob lengths 1..5 (base64 padding variants) round-trip", async () => {
    for (let n = 1; n <= 5; n++) {
      const b = new Uint8Array(n).map((_, i) => 250 - i);
      const { v } = await echo(big, b);
      assert.deepEqual(new Uint8Array(v), b);
    }
    const rs = await big.execute("SELECT X'' AS e, X'00' AS z, X'DEADBEEF' AS d, zeroblob(3) AS zb");
    assert.equal(rs.rows[0].e.byteLength, 0);
    assert.deepEqual(new Uint8Array(rs.rows[0].z), new Uint8Array([0]));
    assert.deepEqual(new Uint8Array(rs.rows[0].d), new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
    assert.deepEqual(new Uint8Array(rs.rows[0].zb), new Uint8Array(3));
  });

  it("NULL", async () => {
    const { v, t } = await echo(big, null);
    assert.equal(t, "null");
    assert.equal(v, null);
    const rs = await big.execute("SELECT NULL AS n");
    assert.equal(rs.rows[0].n, null);
  });

  it("booleans become integers 1/0", async () => {
    for (const [b, want] of [[true, 1n], [false, 0n]]) {
      const { v, t } = await echo(big, b);
      assert.equal(t, "integer");
      assert.equal(v, want);
    }
    const n = await num.execute({ sql: "SELECT ? AS v", args: [true] });
    assert.equal(n.rows[0].v, 1);
  });

  it("Dates become float milliseconds", async () => {
    const d = new Date(1672662896000);
    const { v, t } = await echo(big, d);
    assert.equal(t, "real");
    assert.equal(typeof v, "number");
    assert.equal(v, 1672662896000);
  });

  it("a mixed row stored in a typed table comes back with values, names and decltypes", async () => {
    await big.execute(`CREATE TABLE mixed(id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT,
                         b BLOB, n NUMERIC, x, "Odd Name" VARCHAR(10))`);
    const ins = await big.execute({
      sql: "INSERT INTO mixed(i, r, s, b, n, x, \"Odd Name\") VALUES (?, ?, ?, ?, ?, ?, ?)",
      args: [-5n, 0.5, "s", new Uint8Array([9]), 7n, null, "odd"],
    });
    assert.equal(ins.rowsAffected, 1);
    assert.equal(ins.lastInsertRowid, 1n);
    const rs = await big.execute("SELECT id, i, r, s, b, n, x, \"Odd Name\", i + 1 AS expr FROM mixed");
    assert.deepEqual(rs.columns, ["id", "i", "r", "s", "b", "n", "x", "Odd Name", "expr"]);
    assert.deepEqual(rs.columnTypes, ["INTEGER", "INTEGER", "REAL", "TEXT", "BLOB", "NUMERIC", "", "VARCHAR(10)", ""]);
    const r = rs.rows[0];
    assert.equal(r.id, 1n);
    assert.equal(r.i, -5n);
    assert.equal(r.r, 0.5);
    assert.equal(r.s, "s");
    assert.deepEqual(new Uint8Array(r.b), new Uint8Array([9]));
    assert.equal(r.n, 7n);
    assert.equal(r.x, null);
    assert.equal(r["Odd Name"], "odd");
    assert.equal(r.expr, -4n);
    // rows are also indexable by position
    assert.equal(r[1], -5n);
    assert.equal(r.length, 9);
  });

  it("REAL column affinity keeps integral values as floats", async () => {
    await big.execute("CREATE TABLE reals(r REAL)");
    await big.execute({ sql: "INSERT INTO reals VALUES (?), (?)", args: [3n, 4] });
    const rs = await big.execute("SELECT r, typeof(r) AS t FROM reals ORDER BY r");
    for (const [i, want] of [[0, 3], [1, 4]]) {
      assert.equal(rs.rows[i].t, "real");
      assert.equal(typeof rs.rows[i].r, "number");
      assert.equal(rs.rows[i].r, want);
    }
  });

  it("rowsAffected, lastInsertRowid and RETURNING", async () => {
    await big.execute("CREATE TABLE ra(id INTEGER PRIMARY KEY, v TEXT)");
    const ins = await big.execute("INSERT INTO ra(v) VALUES ('a'), ('b'), ('c')");
    assert.equal(ins.rowsAffected, 3);
    assert.equal(ins.lastInsertRowid, 3n);
    const big1 = await big.execute({ sql: "INSERT INTO ra(id, v) VALUES (?, 'max')", args: [I64_MAX] });
    assert.equal(big1.lastInsertRowid, I64_MAX);
    const upd = await big.execute("UPDATE ra SET v = v || '!' WHERE id <= 2");
    assert.equal(upd.rowsAffected, 2);
    const sel = await big.execute("SELECT * FROM ra");
    assert.equal(sel.rowsAffected, 0);
    assert.equal(sel.rows.length, 4);
    const ret = await big.execute("INSERT INTO ra(v) VALUES ('r1'), ('r2') RETURNING id, upper(v) AS u");
    // the rowid after 2^63-1 is chosen at random by SQLite: check only the shape
    assert.deepEqual(ret.columns, ["id", "u"]);
    assert.deepEqual(ret.rows.map((r) => r.u), ["R1", "R2"]);
    assert.equal(ret.rowsAffected, 2);
    const del = await big.execute("DELETE FROM ra WHERE v LIKE 'r%' RETURNING v");
    assert.equal(del.rowsAffected, 2);
    assert.deepEqual(del.rows.map((r) => r.v).sort(), ["r1", "r2"]);
    const ddl = await big.execute("CREATE TABLE ra2(x)");
    assert.equal(ddl.rowsAffected, 0);
  });

  it("a statement with no rows returns its column names", async () => {
    const rs = await big.execute("SELECT 1 AS one, 'x' AS two WHERE 0");
    assert.deepEqual(rs.columns, ["one", "two"]);
    assert.equal(rs.rows.length, 0);
  });

  it("many rows in one result", async () => {
    const rs = await big.execute(
      "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 20000) SELECT n, 'row' || n AS s FROM c");
    assert.equal(rs.rows.length, 20000);
    assert.equal(rs.rows[19999].n, 20000n);
    assert.equal(rs.rows[12344].s, "row12345");
  });

  it("unsupported JS values are refused by the client before reaching the server", async () => {
    await assert.rejects(big.execute({ sql: "SELECT ?", args: [NaN] }), RangeError);
    await assert.rejects(big.execute({ sql: "SELECT ?", args: [I64_MAX + 1n] }), RangeError);
    // and the client/server pair still works afterwards
    const { v } = await echo(big, 1n);
    assert.equal(v, 1n);
  });

  it("lone surrogates are either replaced or refused cleanly", async () => {
    // JSON.stringify escapes a lone surrogate as \ud800, which has no UTF-8
    // encoding. Accept U+FFFD replacement or a LibsqlError, nothing else.
    let res;
    try {
      res = await echo(big, "a\ud800b");
    } catch (e) {
      assert.ok(e?.name === "LibsqlError", `expected LibsqlError, got ${e?.name}: ${e?.message}`);
      res = undefined;
    }
    if (res) {
      assert.equal(res.t, "text");
      assert.equal(res.v, "a\ufffdb");
    }
    const { v } = await echo(big, "ok");
    assert.equal(v, "ok");
  });

  it("client.close makes further calls fail", async () => {
    const c = createClient({ url: srv.url });
    const rs = await c.execute("SELECT 1 AS one");
    assert.equal(rs.rows[0].one, 1);
    c.close();
    assert.equal(c.closed, true);
    // @libsql/client 0.18 reports this as code UNKNOWN, "... closed" (client-side)
    await rejectsLibsql(c.execute("SELECT 1"), (e) => assert.match(e.message, /closed/i));
  });
});
