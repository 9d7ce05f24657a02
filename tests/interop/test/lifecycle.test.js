// Server lifecycle as a client sees it: idle stream expiry, the write lock
// timeout, and a clean SIGTERM with an open transaction followed by a restart
// on the same database.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "@libsql/client";
import { startServer } from "../lib/server.js";
import { rejectsLibsql } from "../lib/util.js";

describe("lifecycle", () => {
  const dirs = [];
  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

  it("an idle interactive transaction expires: later calls fail, its writes are rolled back, the lock is freed", async () => {
    const srv = await startServer({ extraArgs: ["--stream-timeout", "1"] });
    const c = createClient({ url: srv.url, intMode: "bigint" });
    try {
      await c.execute("CREATE TABLE exp(x)");
      const tx = await c.transaction("write");
      await tx.execute("INSERT INTO exp VALUES (1)");
      // wait (bounded) until the server has dropped the idle stream
      let err;
      for (let i = 0; i < 40 && err === undefined; i++) {
        await sleep(250);
        if (i < 4) continue; // the stream is surely still alive before 1 s
        try {
          await tx.execute("SELECT 1");
        } catch (e) {
          err = e;
        }
      }
      assert.ok(err !== undefined, "the stream never expired");
      assert.equal(err.name, "LibsqlError");
      tx.close();
      // rolled back, and another writer gets the lock at once
      const rs = await c.batch(["INSERT INTO exp VALUES (2)", "SELECT x FROM exp"], "write");
      assert.deepEqual(rs[1].rows.map((r) => r.x), [2n]);
    } finally {
      c.close();
      await srv.stop();
    }
  });

  it("a writer waiting longer than --writer-timeout gets SQLITE_BUSY; the holder still commits", async () => {
    const srv = await startServer({ extraArgs: ["--writer-timeout", "1"] });
    const c = createClient({ url: srv.url, intMode: "bigint" });
    const other = createClient({ url: srv.url, intMode: "bigint" });
    try {
      await c.execute("CREATE TABLE wl(who TEXT)");
      const tx = await c.transaction("write");
      try {
        await tx.execute("INSERT INTO wl VALUES ('holder')");
        // the lock is held until tx ends, so this must give up after ~1 s
        await rejectsLibsql(other.batch(["INSERT INTO wl VALUES ('waiter')"], "write"),
          (e) => assert.match(e.code, /BUSY/));
        await rejectsLibsql(other.execute("INSERT INTO wl VALUES ('waiter2')"),
          (e) => assert.match(e.code, /BUSY/));
        // readers are not blocked by the writer
        assert.equal((await other.execute("SELECT count(*) FROM wl")).rows[0][0], 0n);
        await tx.commit();
      } finally {
        tx.close();
      }
      assert.deepEqual((await other.execute("SELECT who FROM wl")).rows.map((r) => r.who), ["holder"]);
      await other.execute("INSERT INTO wl VALUES ('after')");
      assert.equal((await c.execute("SELECT count(*) FROM wl")).rows[0][0], 2n);
    } finally {
      c.close(); other.close();
      await srv.stop();
    }
  });

  it("SIGTERM with an open transaction exits 0, rolls it back, and the data survives a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lsqld-interop-persist-"));
    dirs.push(dir);
    const dbPath = join(dir, "keep.db");
    const srv = await startServer({ dbPath, extraArgs: ["--shutdown-timeout", "2"] });
    const c = createClient({ url: srv.url, intMode: "bigint" });
    let tx;
    try {
      await c.batch(["CREATE TABLE keep(x)", "INSERT INTO keep VALUES (1), (2)"], "write");
      tx = await c.transaction("write");
      await tx.execute("INSERT INTO keep VALUES (3)");
    } finally {
      const exit = await srv.stop();
      tx?.close();
      c.close();
      assert.deepEqual({ code: exit.code, signal: exit.signal, killed: !!srv.killed },
        { code: 0, signal: null, killed: false }, `lsqld output:\n${srv.log()}`);
    }
    const again = await startServer({ dbPath });
    const c2 = createClient({ url: again.url, intMode: "bigint" });
    try {
      assert.deepEqual((await c2.execute("SELECT x FROM keep ORDER BY x")).rows.map((r) => r.x), [1n, 2n]);
      await c2.execute("INSERT INTO keep VALUES (4)"); // not locked by the old transaction
    } finally {
      c2.close();
      await again.stop();
    }
  });
});
