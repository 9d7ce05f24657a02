// client.batch in every mode, client.migrate, large and concurrent batches, stored SQL.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { startServer } from "../lib/server.js";
import { rejectsBatch, rejectsLibsql, recordingFetch } from "../lib/util.js";

describe("batches", () => {
  let srv, c;
  before(async () => {
    srv = await startServer();
    c = createClient({ url: srv.url, intMode: "bigint" });
  });
  after(async () => {
    c?.close();
    await srv?.stop();
  });

  const count = async (table, where = "1") =>
    (await c.execute(`SELECT count(*) AS n FROM ${table} WHERE ${where}`)).rows[0].n;

  it("write batch: DDL + DML + SELECT in one transaction, results per statement", async () => {
    const rs = await c.batch([
      "CREATE TABLE w(id INTEGER PRIMARY KEY, v TEXT UNIQUE)",
      { sql: "INSERT INTO w(v) VALUES (?)", args: ["a"] },
      { sql: "INSERT INTO w(v) VALUES (:v)", args: { v: "b" } },
      "UPDATE w SET v = v || '!'",
      "SELECT id, v FROM w ORDER BY id",
    ], "write");
    assert.equal(rs.length, 5);
    assert.equal(rs[1].rowsAffected, 1);
    assert.equal(rs[1].lastInsertRowid, 1n);
    assert.equal(rs[2].lastInsertRowid, 2n);
    assert.equal(rs[3].rowsAffected, 2);
    assert.deepEqual(rs[4].columns, ["id", "v"]);
    assert.deepEqual(rs[4].rows.map((r) => [r.id, r.v]), [[1n, "a!"], [2n, "b!"]]);
  });

  for (const mode of ["write", "deferred"]) {
    it(`${mode} batch: a failing step rolls back every earlier step (LibsqlBatchError)`, async () => {
      const table = `rb_${mode}`;
      await c.execute(`CREATE TABLE ${table}(id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)`);
      await c.execute(`INSERT INTO ${table}(v) VALUES ('keep')`);
      await rejectsBatch(c.batch([
        `INSERT INTO ${table}(v) VALUES ('x1')`,
        `UPDATE ${table} SET v = 'changed' WHERE v = 'keep'`,
        `INSERT INTO ${table}(v) VALUES ('x2')`,
        `INSERT INTO ${table}(v) VALUES ('x1')`, // UNIQUE violation: index 3
        `INSERT INTO ${table}(v) VALUES ('never')`,
      ], mode), 3, (e) => assert.equal(e.code, "SQLITE_CONSTRAINT"));
      assert.equal(await count(table), 1n);
      assert.equal((await c.execute(`SELECT v FROM ${table}`)).rows[0].v, "keep");
    });
  }

  it("a syntax error in a later step rolls back and reports its index", async () => {
    await c.execute("CREATE TABLE rb_syntax(x)");
    await rejectsBatch(c.batch([
      "INSERT INTO rb_syntax VALUES (1)",
      "INSERT INTO rb_syntax VALUES (2)",
      "SELEKT nonsense",
    ], "write"), 2, (e) => assert.match(e.code, /^(SQLITE_ERROR|SQL_PARSE_ERROR|SQL_INPUT_ERROR)$/));
    assert.equal(await count("rb_syntax"), 0n);
  });

  it("the failing step may be the first one", async () => {
    await rejectsBatch(c.batch(["SELECT * FROM no_such_table", "SELECT 1"], "deferred"), 0,
      (e) => assert.match(e.message, /no such table/));
  });

  it("deferred batch (the default mode) commits", async () => {
    await c.execute("CREATE TABLE d(x)");
    const rs = await c.batch(["INSERT INTO d VALUES (1)", "INSERT INTO d VALUES (2)", "SELECT sum(x) AS s FROM d"]);
    assert.equal(rs[2].rows[0].s, 3n);
    assert.equal(await count("d"), 2n);
  });

  it("read batch: several SELECTs see one snapshot", async () => {
    await c.execute("CREATE TABLE r(x)");
    await c.execute("INSERT INTO r VALUES (1), (2), (3)");
    const rs = await c.batch(["SELECT count(*) AS n FROM r", "SELECT max(x) AS m FROM r", "SELECT 'lit' AS l"], "read");
    assert.deepEqual(rs.map((x) => x.rows[0][0]), [3n, 3n, "lit"]);
  });

  it("read batch: a write is rejected and nothing is written", async () => {
    await c.execute("CREATE TABLE ro(x)");
    await rejectsBatch(c.batch(["SELECT 1", "INSERT INTO ro VALUES (1)"], "read"), 1);
    assert.equal(await count("ro"), 0n);
  });

  it("an empty batch returns an empty array", async () => {
    assert.deepEqual(await c.batch([], "write"), []);
  });

  it("a batch may end with a failing statement whose error text is kept", async () => {
    await c.execute("CREATE TABLE chk(x INTEGER CHECK (x > 0))");
    await rejectsBatch(c.batch(["INSERT INTO chk VALUES (1)", "INSERT INTO chk VALUES (-1)"], "write"), 1,
      (e) => {
        assert.equal(e.code, "SQLITE_CONSTRAINT");
        assert.match(e.message, /CHECK constraint failed/);
      });
    assert.equal(await count("chk"), 0n);
  });

  it("migrate: DDL with foreign keys off during the batch, then on again", async () => {
    await c.execute("CREATE TABLE parent(id INTEGER PRIMARY KEY)");
    await c.execute("CREATE TABLE child(id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent(id))");
    const rs = await c.migrate([
      "INSERT INTO child VALUES (1, 99)", // dangling: allowed with foreign_keys off
      "ALTER TABLE child ADD COLUMN note TEXT",
      "SELECT count(*) AS n FROM child",
    ]);
    assert.equal(rs.length, 3);
    assert.equal(rs[2].rows[0].n, 1n);
    const cols = (await c.execute("SELECT name FROM pragma_table_info('child') ORDER BY cid")).rows.map((r) => r.name);
    assert.deepEqual(cols, ["id", "pid", "note"]);
    // when streams have foreign keys on by default, the same dangling insert
    // fails outside migrate (so the PRAGMA inside migrate really took effect)
    const fk = (await c.execute("PRAGMA foreign_keys")).rows[0][0];
    if (fk === 1n) {
      await rejectsLibsql(c.execute("INSERT INTO child(id, pid) VALUES (2, 98)"),
        (e) => assert.equal(e.code, "SQLITE_CONSTRAINT"));
    }
  });

  it("migrate: a failing step rolls back the migration", async () => {
    await c.execute("CREATE TABLE mig(x)");
    await rejectsBatch(c.migrate(["ALTER TABLE mig ADD COLUMN y", "INSERT INTO nope VALUES (1)"]), 1);
    const cols = (await c.execute("SELECT name FROM pragma_table_info('mig')")).rows.map((r) => r.name);
    assert.deepEqual(cols, ["x"]);
  });

  it("a batch of 1500 statements", async () => {
    await c.execute("CREATE TABLE many(i INTEGER PRIMARY KEY, s TEXT)");
    const stmts = [];
    for (let i = 0; i < 1500; i++) stmts.push({ sql: "INSERT INTO many VALUES (?, ?)", args: [BigInt(i), `s${i}`] });
    stmts.push("SELECT count(*) AS n, sum(i) AS s FROM many");
    const rs = await c.batch(stmts, "write");
    assert.equal(rs.length, 1501);
    assert.ok(rs.slice(0, 1500).every((r) => r.rowsAffected === 1));
    assert.equal(rs[1500].rows[0].n, 1500n);
    assert.equal(rs[1500].rows[0].s, BigInt(1499 * 1500 / 2));
  });

  it("a batch of 1200 distinct SQL texts (more than the client's 30-entry SQL cache)", async () => {
    await c.execute("CREATE TABLE distinct_sql(i INTEGER)");
    const stmts = [];
    for (let i = 0; i < 1200; i++) stmts.push(`INSERT INTO distinct_sql VALUES (${i})`);
    stmts.push("SELECT count(*) AS n FROM distinct_sql");
    const rs = await c.batch(stmts, "write");
    assert.equal(rs[1200].rows[0].n, 1200n);
  });

  it("a failure at step 1100 of a large batch rolls back all 1100 earlier steps", async () => {
    await c.execute("CREATE TABLE big_rb(i INTEGER PRIMARY KEY)");
    const stmts = [];
    for (let i = 0; i < 1100; i++) stmts.push({ sql: "INSERT INTO big_rb VALUES (?)", args: [BigInt(i)] });
    stmts.push({ sql: "INSERT INTO big_rb VALUES (?)", args: [5n] }); // duplicate key
    stmts.push("INSERT INTO big_rb VALUES (100000)");
    await rejectsBatch(c.batch(stmts, "write"), 1100, (e) => assert.equal(e.code, "SQLITE_CONSTRAINT"));
    assert.equal(await count("big_rb"), 0n);
  });

  it("stored SQL: repeated SQL in a batch goes through store_sql and sql_id", async () => {
    const rec = recordingFetch();
    const rc = createClient({ url: srv.url, intMode: "bigint", fetch: rec.fetch });
    try {
      await rc.execute("CREATE TABLE stored(i INTEGER, s TEXT)");
      const stmts = [];
      for (let i = 0; i < 50; i++) stmts.push({ sql: "INSERT INTO stored VALUES (?, ?)", args: [BigInt(i), `v${i}`] });
      stmts.push({ sql: "SELECT count(*) AS n FROM stored WHERE s LIKE ?", args: ["v%"] });
      stmts.push({ sql: "SELECT count(*) AS n FROM stored WHERE s LIKE ?", args: ["v1%"] });
      const rs = await rc.batch(stmts, "write");
      assert.equal(rs[50].rows[0].n, 50n);
      assert.equal(rs[51].rows[0].n, 11n); // v1, v10..v19
      // check that the client really used stored SQL, so the server was exercised
      const body = rec.bodies.at(-1).json;
      const stores = body.requests.filter((r) => r.type === "store_sql");
      assert.equal(stores.length, 2); // one per distinct user SQL text (BEGIN/COMMIT are inline)
      const steps = body.requests.find((r) => r.type === "batch").batch.steps;
      assert.equal(steps.filter((s) => typeof s.stmt.sql_id === "number").length, 52);
    } finally {
      rc.close();
    }
  });

  it("100 concurrent write batches all succeed with the right final count", async () => {
    await c.execute("CREATE TABLE conc(id INTEGER PRIMARY KEY, batch INTEGER, k INTEGER)");
    const runs = [];
    for (let b = 0; b < 100; b++) {
      runs.push(c.batch([
        { sql: "INSERT INTO conc(batch, k) VALUES (?, 0)", args: [BigInt(b)] },
        { sql: "INSERT INTO conc(batch, k) VALUES (?, 1)", args: [BigInt(b)] },
        { sql: "INSERT INTO conc(batch, k) VALUES (?, 2)", args: [BigInt(b)] },
        { sql: "SELECT count(*) AS n FROM conc WHERE batch = ?", args: [BigInt(b)] },
      ], "write"));
    }
    const results = await Promise.allSettled(runs);
    const failures = results.filter((r) => r.status === "rejected").map((r) => `${r.reason?.code}: ${r.reason?.message}`);
    assert.deepEqual(failures, [], "every batch must succeed");
    for (const r of results) assert.equal(r.value[3].rows[0].n, 3n); // each batch saw its own 3 rows
    assert.equal(await count("conc"), 300n);
    const per = await c.execute("SELECT count(DISTINCT batch) AS b, min(c) AS mn, max(c) AS mx FROM (SELECT batch, count(*) AS c FROM conc GROUP BY batch)");
    assert.deepEqual(Array.from(per.rows[0]), [100n, 3n, 3n]);
  });

  it("100 concurrent batches from 100 separate clients (separate connections)", async () => {
    await c.execute("CREATE TABLE conc2(id INTEGER PRIMARY KEY, v INTEGER)");
    const clients = Array.from({ length: 100 }, () => createClient({ url: srv.url, intMode: "bigint", concurrency: 1 }));
    try {
      const results = await Promise.allSettled(clients.map((cl, i) => cl.batch([
        { sql: "INSERT INTO conc2(v) VALUES (?)", args: [BigInt(i)] },
        "UPDATE conc2 SET v = v + 1000 WHERE id = last_insert_rowid()",
      ], "write")));
      const failures = results.filter((r) => r.status === "rejected").map((r) => `${r.reason?.code}: ${r.reason?.message}`);
      assert.deepEqual(failures, []);
      const rs = await c.execute("SELECT count(*) AS n, sum(v) AS s FROM conc2");
      assert.equal(rs.rows[0].n, 100n);
      assert.equal(rs.rows[0].s, BigInt(99 * 100 / 2 + 100 * 1000));
    } finally {
      for (const cl of clients) cl.close();
    }
  });
});
