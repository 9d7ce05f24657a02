// Interactive transactions (client.transaction) and executeMultiple.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "@libsql/client";
import { startServer } from "../lib/server.js";
import { rejectsLibsql, rejectsBatch, recordingFetch } from "../lib/util.js";

describe("interactive transactions", () => {
  let srv, c, other;
  before(async () => {
    srv = await startServer();
    c = createClient({ url: srv.url, intMode: "bigint" });
    other = createClient({ url: srv.url, intMode: "bigint" });
  });
  after(async () => {
    c?.close(); other?.close();
    await srv?.stop();
  });

  const count = async (table) => (await other.execute(`SELECT count(*) AS n FROM ${table}`)).rows[0].n;

  it("commit makes the writes visible; they are invisible to others before", async () => {
    await c.execute("CREATE TABLE t_commit(x)");
    const tx = await c.transaction("write");
    try {
      const ins = await tx.execute({ sql: "INSERT INTO t_commit VALUES (?), (?)", args: [1n, 2n] });
      assert.equal(ins.rowsAffected, 2);
      assert.equal((await tx.execute("SELECT count(*) FROM t_commit")).rows[0][0], 2n);
      assert.equal(await count("t_commit"), 0n, "uncommitted rows leaked to another connection");
      await tx.execute("INSERT INTO t_commit VALUES (3)");
      await tx.commit();
    } finally {
      tx.close();
    }
    assert.equal(tx.closed, true);
    assert.equal(await count("t_commit"), 3n);
  });

  it("rollback discards the writes", async () => {
    await c.execute("CREATE TABLE t_rb(x)");
    await c.execute("INSERT INTO t_rb VALUES (0)");
    const tx = await c.transaction("write");
    try {
      await tx.execute("INSERT INTO t_rb VALUES (1)");
      await tx.execute("DELETE FROM t_rb WHERE x = 0");
      assert.equal((await tx.execute("SELECT count(*) FROM t_rb")).rows[0][0], 1n);
      await tx.rollback();
    } finally {
      tx.close();
    }
    const rows = (await c.execute("SELECT x FROM t_rb")).rows.map((r) => r.x);
    assert.deepEqual(rows, [0n]);
  });

  it("close() without commit rolls back (the server drops the stream's connection)", async () => {
    await c.execute("CREATE TABLE t_close(x)");
    const tx = await c.transaction("write");
    await tx.execute("INSERT INTO t_close VALUES (1)");
    tx.close(); // fire-and-forget [close]; the server must roll back and release the lock
    // the close request may still be in flight: retry a refused write for at most ~5 s
    let w, lastErr;
    for (let i = 0; i < 100 && w === undefined; i++) {
      try {
        w = await c.batch(["INSERT INTO t_close VALUES (2)", "SELECT count(*) AS n FROM t_close"], "write");
      } catch (e) {
        if (!/BUSY|LOCKED/.test(e?.code ?? "")) throw e;
        lastErr = e;
        await sleep(50);
      }
    }
    assert.ok(w !== undefined, `the write lock was never released: ${lastErr?.message}`);
    assert.equal(w[1].rows[0].n, 1n);
  });

  it("a failed statement does not roll back the transaction", async () => {
    await c.execute("CREATE TABLE t_err(x INTEGER PRIMARY KEY)");
    const tx = await c.transaction("write");
    try {
      await tx.execute("INSERT INTO t_err VALUES (1)");
      await rejectsLibsql(tx.execute("INSERT INTO t_err VALUES (1)"),
        (e) => assert.equal(e.code, "SQLITE_CONSTRAINT"));
      await rejectsLibsql(tx.execute("SELECT * FROM no_such_table"));
      await tx.execute("INSERT INTO t_err VALUES (2)");
      await tx.commit();
    } finally {
      tx.close();
    }
    assert.deepEqual((await c.execute("SELECT x FROM t_err ORDER BY x")).rows.map((r) => r.x), [1n, 2n]);
  });

  it("a failing step of tx.batch reports its index and leaves the transaction usable", async () => {
    await c.execute("CREATE TABLE t_batch(x INTEGER PRIMARY KEY)");
    const tx = await c.transaction("write");
    try {
      const rs = await tx.batch(["INSERT INTO t_batch VALUES (1)", "INSERT INTO t_batch VALUES (2)"]);
      assert.equal(rs.length, 2);
      await rejectsBatch(tx.batch(["INSERT INTO t_batch VALUES (3)", "INSERT INTO t_batch VALUES (1)",
                                   "INSERT INTO t_batch VALUES (4)"]), 1,
        (e) => assert.equal(e.code, "SQLITE_CONSTRAINT"));
      await tx.execute("INSERT INTO t_batch VALUES (5)");
      await tx.commit();
    } finally {
      tx.close();
    }
    // step 0 of the failed tx.batch (3) ran, step 2 (4) was skipped
    assert.deepEqual((await c.execute("SELECT x FROM t_batch ORDER BY x")).rows.map((r) => r.x), [1n, 2n, 3n, 5n]);
  });

  it("read transaction: reads work, writes are rejected", async () => {
    await c.execute("CREATE TABLE t_read(x)");
    await c.execute("INSERT INTO t_read VALUES (1)");
    const tx = await c.transaction("read");
    try {
      assert.equal((await tx.execute("SELECT count(*) FROM t_read")).rows[0][0], 1n);
      await rejectsLibsql(tx.execute("INSERT INTO t_read VALUES (2)"));
      await rejectsLibsql(tx.execute("CREATE TABLE t_read_nope(y)"));
      // still usable for reads after the refused writes
      assert.equal((await tx.execute("SELECT count(*) FROM t_read")).rows[0][0], 1n);
      await tx.commit();
    } finally {
      tx.close();
    }
    assert.equal(await count("t_read"), 1n);
    const t = await c.execute("SELECT count(*) FROM sqlite_schema WHERE name = 't_read_nope'");
    assert.equal(t.rows[0][0], 0n);
  });

  it("read transaction sees a stable snapshot while another client writes", async () => {
    await c.execute("CREATE TABLE t_snap(x)");
    await c.execute("INSERT INTO t_snap VALUES (1)");
    const tx = await c.transaction("read");
    try {
      assert.equal((await tx.execute("SELECT count(*) FROM t_snap")).rows[0][0], 1n);
      await other.execute("INSERT INTO t_snap VALUES (2)");
      assert.equal((await tx.execute("SELECT count(*) FROM t_snap")).rows[0][0], 1n);
      await tx.commit();
    } finally {
      tx.close();
    }
    assert.equal(await count("t_snap"), 2n);
  });

  it("deferred transaction commits", async () => {
    await c.execute("CREATE TABLE t_def(x)");
    const tx = await c.transaction("deferred");
    try {
      assert.equal((await tx.execute("SELECT count(*) FROM t_def")).rows[0][0], 0n);
      await tx.execute("INSERT INTO t_def VALUES ('d')");
      await tx.commit();
    } finally {
      tx.close();
    }
    assert.equal(await count("t_def"), 1n);
  });

  it("statements after commit fail with TRANSACTION_CLOSED", async () => {
    const tx = await c.transaction("write");
    await tx.execute("SELECT 1");
    await tx.commit();
    await rejectsLibsql(tx.execute("SELECT 1"), (e) => assert.equal(e.code, "TRANSACTION_CLOSED"));
    tx.close();
  });

  it("tx.executeMultiple runs a script inside the transaction", async () => {
    await c.execute("CREATE TABLE t_multi(x)");
    const tx = await c.transaction("write");
    try {
      await tx.executeMultiple("INSERT INTO t_multi VALUES (1); INSERT INTO t_multi VALUES (2);\n-- comment\nINSERT INTO t_multi VALUES (3)");
      assert.equal((await tx.execute("SELECT count(*) FROM t_multi")).rows[0][0], 3n);
      await tx.rollback();
    } finally {
      tx.close();
    }
    assert.equal(await count("t_multi"), 0n);
  });

  it("stored SQL lives across the requests of one transaction (store_sql/close_sql/sql_id)", async () => {
    const rec = recordingFetch();
    const rc = createClient({ url: srv.url, intMode: "bigint", fetch: rec.fetch });
    try {
      await rc.execute("CREATE TABLE t_store(k TEXT, v INTEGER)");
      const tx = await rc.transaction("write");
      try {
        // 40 distinct texts > the client's 30-entry cache: forces close_sql; every
        // text is used in two different HTTP requests so later requests refer to
        // sql_ids stored by earlier ones.
        for (let round = 0; round < 2; round++) {
          for (let i = 0; i < 40; i++) {
            await tx.execute({ sql: `INSERT INTO t_store VALUES ('k${i}', ?)`, args: [BigInt(round)] });
          }
        }
        const rs = await tx.execute("SELECT count(*) AS n, sum(v) AS s FROM t_store");
        assert.equal(rs.rows[0].n, 80n);
        assert.equal(rs.rows[0].s, 40n);
        await tx.commit();
      } finally {
        tx.close();
      }
      const pipelines = rec.bodies.filter((b) => b.json?.requests);
      const types = pipelines.flatMap((b) => b.json.requests.map((r) => r.type));
      assert.ok(types.includes("store_sql"), "client sent store_sql");
      assert.ok(types.includes("close_sql"), "client sent close_sql");
      // batons: every request after the first carries the baton of the previous response
      const txBodies = pipelines.slice(1); // [0] is the CREATE TABLE
      assert.equal(txBodies[0].json.baton ?? null, null);
      const batons = txBodies.slice(1).map((b) => b.json.baton);
      assert.ok(batons.every((b) => typeof b === "string" && b.length > 0), "later requests carry a baton");
      assert.equal(new Set(batons).size, batons.length, "the server issues a fresh baton for every request");
      assert.equal((await rc.execute("SELECT count(*) FROM t_store")).rows[0][0], 80n);
    } finally {
      rc.close();
    }
  });

  it("a second write transaction waits for or is refused while the first holds the lock", async () => {
    await c.execute("CREATE TABLE t_two(who TEXT)");
    const tx1 = await c.transaction("write");
    const tx2 = await other.transaction("write");
    try {
      await tx1.execute("INSERT INTO t_two VALUES ('one')");
      const second = tx2.execute("INSERT INTO t_two VALUES ('two')").then(
        () => tx2.commit().then(() => "committed"),
        (e) => e);
      await tx1.commit();
      const outcome = await second;
      if (outcome !== "committed") {
        assert.equal(outcome?.name, "LibsqlError", String(outcome));
        assert.match(outcome.code, /^(SQLITE_BUSY|TRANSACTION_BUSY|SQLITE_LOCKED)$/);
      }
      const who = (await c.execute("SELECT who FROM t_two ORDER BY rowid")).rows.map((r) => r.who);
      assert.deepEqual(who, outcome === "committed" ? ["one", "two"] : ["one"]);
    } finally {
      tx1.close(); tx2.close();
    }
  });
});

describe("executeMultiple", () => {
  let srv, c;
  before(async () => {
    srv = await startServer();
    c = createClient({ url: srv.url, intMode: "bigint" });
  });
  after(async () => {
    c?.close();
    await srv?.stop();
  });

  it("runs a multi-statement script with comments, strings containing ';' and a trigger", async () => {
    await c.executeMultiple(`
      -- a comment; with a semicolon
      CREATE TABLE em(id INTEGER PRIMARY KEY, s TEXT);
      CREATE TABLE em_log(n INTEGER);
      CREATE TRIGGER em_ai AFTER INSERT ON em BEGIN INSERT INTO em_log VALUES (new.id); END;
      /* block ; comment */
      INSERT INTO em(s) VALUES ('a;b'), ('c');
      SELECT * FROM em;
      UPDATE em SET s = s || ';' WHERE id = 2;
    `);
    const rs = await c.execute("SELECT s FROM em ORDER BY id");
    assert.deepEqual(rs.rows.map((r) => r.s), ["a;b", "c;"]);
    assert.equal((await c.execute("SELECT count(*) FROM em_log")).rows[0][0], 2n);
  });

  it("stops at the first error; earlier statements stay applied (autocommit)", async () => {
    await c.execute("CREATE TABLE em2(x)");
    await rejectsLibsql(c.executeMultiple(
      "INSERT INTO em2 VALUES (1); INSERT INTO no_such VALUES (1); INSERT INTO em2 VALUES (2);"),
      (e) => assert.match(e.message, /no such table/));
    assert.deepEqual((await c.execute("SELECT x FROM em2")).rows.map((r) => r.x), [1n]);
  });

  it("an explicit transaction inside the script is atomic", async () => {
    await c.execute("CREATE TABLE em3(x)");
    await c.executeMultiple("BEGIN; INSERT INTO em3 VALUES (1); INSERT INTO em3 VALUES (2); COMMIT;");
    assert.equal((await c.execute("SELECT count(*) FROM em3")).rows[0][0], 2n);
  });

  it("an unfinished transaction in a script is rolled back when the stream closes", async () => {
    await c.execute("CREATE TABLE em4(x)");
    await c.executeMultiple("BEGIN; INSERT INTO em4 VALUES (1);");
    assert.equal((await c.execute("SELECT count(*) FROM em4")).rows[0][0], 0n);
    // and the database is not left locked
    await c.execute("INSERT INTO em4 VALUES (2)");
    assert.equal((await c.execute("SELECT count(*) FROM em4")).rows[0][0], 1n);
  });

  it("an empty or comment-only script succeeds", async () => {
    await c.executeMultiple("");
    await c.executeMultiple("  -- nothing here\n /* nor here */ ;");
  });
});
