// SQL errors as @libsql/client reports them.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createClient, LibsqlError } from "@libsql/client";
import { startServer } from "../lib/server.js";
import { rejectsLibsql } from "../lib/util.js";

describe("errors", () => {
  let srv, c;
  before(async () => {
    srv = await startServer();
    c = createClient({ url: srv.url, intMode: "bigint" });
    await c.batch([
      "CREATE TABLE u(id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, age INTEGER CHECK (age >= 0))",
      "CREATE TABLE p(id INTEGER PRIMARY KEY)",
      "CREATE TABLE ch(id INTEGER PRIMARY KEY, pid INTEGER NOT NULL REFERENCES p(id))",
      "INSERT INTO u VALUES (1, 'a@x', 1)",
      "INSERT INTO p VALUES (1)",
    ], "write");
  });
  after(async () => {
    c?.close();
    await srv?.stop();
  });

  it("syntax error: SQLite error code and SQLite's message", async () => {
    const e = await rejectsLibsql(c.execute("SELEKT 1"));
    assert.match(e.code, /^(SQLITE_ERROR|SQL_PARSE_ERROR|SQL_INPUT_ERROR)$/);
    assert.match(e.message, /syntax error/);
    assert.ok(e.message.startsWith(`${e.code}: `), `message is "<code>: <text>": ${e.message}`);
    assert.equal(e.extendedCode, undefined); // not transported over Hrana
  });

  it("unknown table / column", async () => {
    const t = await rejectsLibsql(c.execute("SELECT * FROM nope"));
    assert.match(t.code, /^(SQLITE_ERROR|SQL_INPUT_ERROR)$/);
    assert.match(t.message, /no such table: nope/);
    const col = await rejectsLibsql(c.execute("SELECT nope FROM u"));
    assert.match(col.message, /no such column: nope/);
  });

  const constraintCases = [
    ["UNIQUE", "INSERT INTO u VALUES (2, 'a@x', 1)", /UNIQUE constraint failed: u\.email/],
    ["PRIMARY KEY", "INSERT INTO u VALUES (1, 'b@x', 1)", /UNIQUE constraint failed: u\.id/],
    ["NOT NULL", "INSERT INTO u VALUES (3, NULL, 1)", /NOT NULL constraint failed: u\.email/],
    ["CHECK", "INSERT INTO u VALUES (4, 'c@x', -1)", /CHECK constraint failed/],
    ["FOREIGN KEY (when enabled)", "INSERT INTO ch VALUES (1, 99)", /FOREIGN KEY constraint failed/],
  ];
  for (const [name, sql, msg] of constraintCases) {
    it(`${name} violation is SQLITE_CONSTRAINT (base code)`, async () => {
      if (name.startsWith("FOREIGN")) {
        const fk = (await c.execute("PRAGMA foreign_keys")).rows[0][0];
        if (fk !== 1n) return; // server runs without foreign keys: nothing to check
      }
      const e = await rejectsLibsql(c.execute(sql));
      assert.equal(e.code, "SQLITE_CONSTRAINT");
      assert.match(e.message, msg);
    });
  }

  it("constraint violation in an UPDATE leaves the row unchanged", async () => {
    await c.execute("INSERT INTO u VALUES (10, 'z@x', 5)");
    await rejectsLibsql(c.execute("UPDATE u SET email = 'a@x' WHERE id = 10"),
      (e) => assert.equal(e.code, "SQLITE_CONSTRAINT"));
    assert.equal((await c.execute("SELECT email FROM u WHERE id = 10")).rows[0].email, "z@x");
  });

  it("datatype mismatch is SQLITE_MISMATCH", async () => {
    const e = await rejectsLibsql(c.execute("INSERT INTO u(id, email) VALUES ('not an int', 'm@x')"));
    assert.equal(e.code, "SQLITE_MISMATCH");
  });

  it("an error raised while stepping (after rows were produced) fails the statement", async () => {
    const e = await rejectsLibsql(c.execute(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) " +
      "SELECT CASE WHEN i = 4 THEN abs(-9223372036854775807 - 1) ELSE i END FROM n"));
    assert.match(e.message, /integer overflow/);
  });

  it("RAISE(ABORT) in a trigger is SQLITE_CONSTRAINT with the trigger's message", async () => {
    await c.execute("CREATE TABLE guarded(x)");
    await c.execute("CREATE TRIGGER guard BEFORE INSERT ON guarded WHEN new.x < 0 BEGIN SELECT RAISE(ABORT, 'negative not allowed'); END");
    const e = await rejectsLibsql(c.execute("INSERT INTO guarded VALUES (-1)"));
    assert.equal(e.code, "SQLITE_CONSTRAINT");
    assert.match(e.message, /negative not allowed/);
  });

  it("an empty statement is an error", async () => {
    const e = await rejectsLibsql(c.execute(""));
    assert.ok(e instanceof LibsqlError);
    const e2 = await rejectsLibsql(c.execute("  -- only a comment\n"));
    assert.equal(e2.code, e.code);
  });

  it("two statements in one execute are an error and neither runs", async () => {
    await c.execute("CREATE TABLE two(x)");
    await rejectsLibsql(c.execute("INSERT INTO two VALUES (1); INSERT INTO two VALUES (2)"));
    assert.equal((await c.execute("SELECT count(*) FROM two")).rows[0][0], 0n);
  });

  it("a trailing semicolon, whitespace and comment are fine", async () => {
    const rs = await c.execute("SELECT 7 AS v;  -- done\n");
    assert.equal(rs.rows[0].v, 7n);
  });

  it("error codes are also delivered for statements inside a batch", async () => {
    await assert.rejects(c.batch(["INSERT INTO u VALUES (1, 'dup@x', 1)"], "write"),
      (e) => e.code === "SQLITE_CONSTRAINT" && e.statementIndex === 0);
  });

  it("a BEGIN left open by a single execute does not leave the database locked", async () => {
    await c.execute("BEGIN IMMEDIATE"); // the stream is closed right after: implicit rollback
    const rs = await c.batch(["INSERT INTO p VALUES (2)", "SELECT count(*) FROM p"], "write");
    assert.equal(rs[1].rows[0][0], 2n);
  });

  it("the client is still usable after all these errors", async () => {
    assert.equal((await c.execute("SELECT count(*) FROM u")).rows[0][0], 2n);
  });
});
