// Statement arguments in every spelling @libsql/client accepts.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { startServer } from "../lib/server.js";
import { rejectsLibsql } from "../lib/util.js";

describe("arguments", () => {
  let srv, c;
  before(async () => {
    srv = await startServer();
    c = createClient({ url: srv.url, intMode: "bigint" });
  });
  after(async () => {
    c?.close();
    await srv?.stop();
  });

  const row = (rs) => Array.from(rs.rows[0]);

  it("no arguments: execute(sql), execute({sql}), execute(sql, [])", async () => {
    assert.deepEqual(row(await c.execute("SELECT 1, 'a'")), [1n, "a"]);
    assert.deepEqual(row(await c.execute({ sql: "SELECT 2" })), [2n]);
    assert.deepEqual(row(await c.execute("SELECT 3", [])), [3n]);
  });

  it("positional ? with an array: execute({sql,args}) and execute(sql, args)", async () => {
    assert.deepEqual(row(await c.execute({ sql: "SELECT ?, ?, ?", args: [1n, "two", null] })), [1n, "two", null]);
    assert.deepEqual(row(await c.execute("SELECT ? || ?", ["a", "b"])), ["ab"]);
  });

  it("numbered ?NNN parameters share the index space with ?", async () => {
    assert.deepEqual(row(await c.execute({ sql: "SELECT ?2, ?, ?3", args: ["one", "two", "three"] })),
      ["two", "three", "three"]);
    assert.deepEqual(row(await c.execute({ sql: "SELECT ?3, ?1", args: [1n, 2n, 3n] })), [3n, 1n]);
    assert.deepEqual(row(await c.execute({ sql: "SELECT ?1 + ?1, ?2", args: [20n, "x"] })), [40n, "x"]);
  });

  for (const prefix of [":", "@", "$"]) {
    it(`named ${prefix}name with keys without prefix`, async () => {
      const rs = await c.execute({
        sql: `SELECT ${prefix}a AS a, ${prefix}b AS b, ${prefix}a || ${prefix}b AS ab`,
        args: { a: "x", b: "y" },
      });
      assert.deepEqual(row(rs), ["x", "y", "xy"]);
    });
    it(`named ${prefix}name with keys with the same prefix`, async () => {
      const rs = await c.execute({
        sql: `SELECT ${prefix}a AS a, ${prefix}b AS b`,
        args: { [`${prefix}a`]: 1n, [`${prefix}b`]: 2n },
      });
      assert.deepEqual(row(rs), [1n, 2n]);
    });
  }

  it("named parameters of all three prefixes in one statement", async () => {
    const rs = await c.execute({ sql: "SELECT :a, @b, $c, :a", args: { a: 1n, "@b": 2n, c: 3n } });
    assert.deepEqual(row(rs), [1n, 2n, 3n, 1n]);
  });

  it("named args with execute(sql, object) and in INSERT ... VALUES", async () => {
    await c.execute("CREATE TABLE people(name TEXT, age INTEGER)");
    const ins = await c.execute("INSERT INTO people VALUES (:name, $age)", { name: "ada", age: 36n });
    assert.equal(ins.rowsAffected, 1);
    const rs = await c.execute("SELECT name, age FROM people WHERE name = @name", { name: "ada" });
    assert.deepEqual(row(rs), ["ada", 36n]);
  });

  it("named parameter names are case sensitive", async () => {
    const rs = await c.execute({ sql: "SELECT :Ab AS v", args: { Ab: "exact" } });
    assert.equal(rs.rows[0].v, "exact");
  });

  it("tuple spelling [sql, args] in execute and batch", async () => {
    assert.deepEqual(row(await c.execute(["SELECT ? * 2", [21n]])), [42n]);
    const rs = await c.batch([["SELECT ?", [1n]], ["SELECT :x", { x: 2n }], "SELECT 3",
                              { sql: "SELECT ?", args: [4n] }], "read");
    assert.deepEqual(rs.map((r) => r.rows[0][0]), [1n, 2n, 3n, 4n]);
  });

  it("all value kinds as named args", async () => {
    const rs = await c.execute({
      sql: "SELECT typeof(:i), typeof(:f), typeof(:t), typeof(:b), typeof(:n), typeof(:bool), typeof(:d)",
      args: { i: 1n, f: 1.5, t: "t", b: new Uint8Array([1]), n: null, bool: true, d: new Date(0) },
    });
    assert.deepEqual(row(rs), ["integer", "real", "text", "blob", "null", "integer", "real"]);
  });

  it("an unknown named argument is an error", async () => {
    await rejectsLibsql(c.execute({ sql: "SELECT :a", args: { nope: 1n } }));
  });

  it("more positional arguments than parameters is an error", async () => {
    await rejectsLibsql(c.execute({ sql: "SELECT ?", args: [1n, 2n] }));
  });

  it("the connection still works after argument errors", async () => {
    assert.deepEqual(row(await c.execute({ sql: "SELECT ?", args: ["fine"] })), ["fine"]);
  });
});
