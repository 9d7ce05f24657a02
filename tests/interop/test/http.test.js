// Plain HTTP surface of lsqld and the protocol details the real clients rely on,
// checked with raw requests (the clients hide some of them).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import * as hrana from "@libsql/hrana-client";
import { startServer, rawPipeline } from "../lib/server.js";

const exec = (sql, extra = {}) => ({ type: "execute", stmt: { sql, ...extra } });

describe("HTTP endpoints and raw Hrana", () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(async () => { await srv?.stop(); });

  it("GET /health is 200", async () => {
    const r = await fetch(`${srv.url}/health`);
    await r.text();
    assert.equal(r.status, 200);
  });

  it("GET /version is 200 with a non-empty body", async () => {
    const r = await fetch(`${srv.url}/version`);
    const body = await r.text();
    assert.equal(r.status, 200);
    assert.ok(body.trim().length > 0);
  });

  it("GET /metrics is Prometheus text exposition", async () => {
    await rawPipeline(srv.url, { requests: [exec("SELECT 1"), { type: "close" }] });
    const r = await fetch(`${srv.url}/metrics`);
    const body = await r.text();
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type") ?? "", /^text\/plain/);
    const lines = body.split("\n").filter((l) => l.length > 0);
    assert.ok(lines.some((l) => l.startsWith("# TYPE ")), "has # TYPE lines");
    const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+]?([0-9.e+-]+|NaN|\+Inf|-Inf)( [0-9]+)?$/;
    for (const l of lines) {
      if (l.startsWith("#")) assert.match(l, /^# (TYPE|HELP) [a-zA-Z_:][a-zA-Z0-9_:]* /, l);
      else assert.match(l, sample, `bad sample line: ${l}`);
    }
    assert.ok(lines.some((l) => !l.startsWith("#") && Number(l.split(" ")[1]) > 0), "some counter moved");
  });

  it("GET /v3-protobuf is 2xx (Hrana 3 over protobuf too); unknown paths are 404", async () => {
    const r = await fetch(`${srv.url}/v3-protobuf`);
    await r.arrayBuffer();
    assert.equal(r.status, 200);
    const n = await fetch(`${srv.url}/no/such/path`);
    await n.arrayBuffer();
    assert.equal(n.status, 404);
  });

  it("hrana-client asking for protocol 3 gets it (protobuf, see protobuf.test.js) and works", async () => {
    const client = hrana.openHttp(srv.url, undefined, undefined, undefined, 3);
    try {
      assert.equal(await client.getVersion(), 3);
      const s = client.openStream();
      const row = await s.queryRow("SELECT 40 + 2 AS v");
      assert.equal(row.row.v, 42);
      s.close();
    } finally {
      client.close();
    }
  });

  it("pipeline: one result per request, per-request errors, baton lifecycle", async () => {
    const r = await rawPipeline(srv.url, { baton: null, requests: [
      exec("SELECT 1 AS a"), exec("SELEKT"), exec("SELECT 2 AS b"),
    ] });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.results.length, 3);
    assert.equal(r.json.results[0].type, "ok");
    assert.equal(r.json.results[0].response.type, "execute");
    assert.equal(r.json.results[1].type, "error");
    assert.equal(typeof r.json.results[1].error.message, "string");
    assert.equal(typeof r.json.results[1].error.code, "string");
    assert.equal(r.json.results[2].type, "ok", "requests after an error still run");
    assert.equal(typeof r.json.baton, "string", "stream without close keeps a baton");
    const res = r.json.results[0].response.result;
    assert.deepEqual(res.cols, [{ name: "a", decltype: null }]);
    assert.deepEqual(res.rows, [[{ type: "integer", value: "1" }]]);
    assert.ok("last_insert_rowid" in res, "last_insert_rowid key present (Rust client needs it)");
    const c = await rawPipeline(srv.url, { baton: r.json.baton, requests: [{ type: "close" }] });
    assert.equal(c.status, 200);
    assert.equal(c.json.baton, null);
    assert.deepEqual(c.json.results, [{ type: "ok", response: { type: "close" } }]);
    const again = await rawPipeline(srv.url, { baton: r.json.baton, requests: [exec("SELECT 1")] });
    assert.ok(again.status >= 400, `a closed stream's baton must be refused, got ${again.status}`);
  });

  it("malformed bodies and bogus batons are 4xx, not crashes", async () => {
    for (const body of ["", "{", "[]", "{\"requests\": 5}", "{\"requests\": [{\"type\": \"nope\"}]}"]) {
      const r = await rawPipeline(srv.url, body);
      assert.ok(r.status >= 400 && r.status < 500, `body ${JSON.stringify(body)}: status ${r.status}`);
    }
    const r = await rawPipeline(srv.url, { baton: "forged-baton", requests: [exec("SELECT 1")] });
    assert.ok(r.status >= 400 && r.status < 500, `forged baton: ${r.status}`);
    const ok = await rawPipeline(srv.url, { requests: [exec("SELECT 1"), { type: "close" }] });
    assert.equal(ok.status, 200);
  });

  it("JSON escapes: surrogate pairs, \\u0000, and unpadded base64 blobs are decoded", async () => {
    const body = '{"requests":[{"type":"execute","stmt":{"sql":"SELECT hex(?), hex(?), hex(?)","args":[' +
      '{"type":"text","value":"\\ud83d\\ude00"},{"type":"text","value":"a\\u0000b\\u00e9"},' +
      '{"type":"blob","base64":"AQID/w"}]}},{"type":"close"}]}';
    const r = await rawPipeline(srv.url, body);
    assert.equal(r.status, 200, r.text);
    const row = r.json.results[0].response.result.rows[0].map((v) => v.value);
    assert.deepEqual(row, ["F09F9880", "610062C3A9", "010203FF"]);
  });

  it("floats are emitted as JSON numbers that round-trip; integers as strings", async () => {
    const r = await rawPipeline(srv.url, { requests: [exec("SELECT 0.1, 1e21, 5e-324, 2.0, -0.0, 9223372036854775807"),
                                                      { type: "close" }] });
    const row = r.json.results[0].response.result.rows[0];
    assert.deepEqual(row.slice(0, 4).map((v) => [v.type, v.value]),
      [["float", 0.1], ["float", 1e21], ["float", 5e-324], ["float", 2]]);
    assert.ok(Object.is(row[4].value, -0) && row[4].type === "float", JSON.stringify(row[4]));
    assert.deepEqual(row[5], { type: "integer", value: "9223372036854775807" });
    assert.match(r.text, /"value":\s*"9223372036854775807"/);
  });

  it("batch conditions: ok/error/not/and/or, skipped steps have neither result nor error", async () => {
    const step = (sql, condition) => ({ condition, stmt: { sql } });
    const r = await rawPipeline(srv.url, { requests: [{ type: "batch", batch: { steps: [
      step("SELECT 1"),                                                     // 0 ok
      step("SELEKT", { type: "ok", step: 0 }),                              // 1 error
      step("SELECT 2", { type: "ok", step: 1 }),                            // 2 skipped
      step("SELECT 3", { type: "error", step: 2 }),                         // 3 skipped (2 did not run)
      step("SELECT 4", { type: "error", step: 1 }),                         // 4 ok
      step("SELECT 5", { type: "not", cond: { type: "ok", step: 2 } }),     // 5 ok
      step("SELECT 6", { type: "and", conds: [] }),                         // 6 ok
      step("SELECT 7", { type: "or", conds: [] }),                          // 7 skipped
      step("SELECT 8", { type: "or", conds: [{ type: "ok", step: 7 }, { type: "ok", step: 6 }] }), // 8 ok
    ] } }, { type: "close" }] });
    assert.equal(r.status, 200, r.text);
    const { step_results: res, step_errors: errs } = r.json.results[0].response.result;
    assert.equal(res.length, 9);
    assert.equal(errs.length, 9);
    const state = res.map((x, i) => (x ? "ok" : errs[i] ? "error" : "skipped"));
    assert.deepEqual(state, ["ok", "error", "skipped", "skipped", "ok", "ok", "ok", "skipped", "ok"]);
  });

  it("sequence, describe, store_sql/close_sql on one stream", async () => {
    const r = await rawPipeline(srv.url, { requests: [
      { type: "sequence", sql: "CREATE TABLE seq(a INTEGER, b TEXT); INSERT INTO seq VALUES (1, 'x');" },
      { type: "describe", sql: "SELECT a, b, ?, :n FROM seq" },
      { type: "store_sql", sql_id: 7, sql: "SELECT count(*) FROM seq WHERE a = ?" },
      { type: "execute", stmt: { sql_id: 7, args: [{ type: "integer", value: "1" }] } },
      { type: "close_sql", sql_id: 7 },
      { type: "close" },
    ] });
    assert.equal(r.status, 200, r.text);
    const [seq, desc, store, ex, close] = r.json.results;
    assert.equal(seq.type, "ok");
    assert.equal(desc.type, "ok");
    const d = desc.response.result;
    assert.deepEqual(d.params.map((p) => p.name), [null, ":n"]);
    assert.deepEqual(d.cols.map((c) => [c.name, c.decltype]), [["a", "INTEGER"], ["b", "TEXT"], ["?", null], [":n", null]]);
    assert.equal(d.is_readonly, true);
    assert.equal(d.is_explain, false);
    assert.equal(store.type, "ok");
    assert.deepEqual(ex.response.result.rows, [[{ type: "integer", value: "1" }]]);
    assert.equal(close.type, "ok");
    // a closed sql_id can no longer be used: sqld fails the whole pipeline (4xx),
    // a per-request error is acceptable too
    const gone = await rawPipeline(srv.url, { requests: [
      { type: "store_sql", sql_id: 1, sql: "SELECT 1" }, { type: "close_sql", sql_id: 1 },
      { type: "execute", stmt: { sql_id: 1 } }, { type: "close" },
    ] });
    if (gone.status === 200) assert.equal(gone.json.results[2].type, "error", gone.text);
    else assert.ok(gone.status >= 400 && gone.status < 500, `status ${gone.status}`);
  });

  it("v3 pipeline: get_autocommit follows BEGIN/COMMIT", async () => {
    const r = await rawPipeline(srv.url, { requests: [
      { type: "get_autocommit" }, exec("BEGIN"), { type: "get_autocommit" }, exec("COMMIT"),
      { type: "get_autocommit" }, { type: "close" },
    ] }, { path: "/v3/pipeline" });
    assert.equal(r.status, 200, r.text);
    const ac = r.json.results.filter((x) => x.response?.type === "get_autocommit").map((x) => x.response.is_autocommit);
    assert.deepEqual(ac, [true, false, true]);
  });

  it("v3 cursor: NDJSON entries for a batch", async () => {
    const r = await fetch(`${srv.url}/v3/cursor`, {
      method: "POST",
      body: JSON.stringify({ baton: null, batch: { steps: [
        { stmt: { sql: "SELECT 1 AS x UNION ALL SELECT 2" } },
        { stmt: { sql: "SELEKT" } },
      ] } }),
    });
    const text = await r.text();
    assert.equal(r.status, 200, text);
    const lines = text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
    assert.ok("baton" in lines[0], "first line carries the baton");
    const kinds = lines.slice(1).map((l) => l.type);
    assert.deepEqual(kinds, ["step_begin", "row", "row", "step_end", "step_error"]);
    assert.deepEqual(lines[1].cols.map((c) => c.name), ["x"]);
    assert.deepEqual(lines[2].row, [{ type: "integer", value: "1" }]);
    assert.equal(lines[5].step, 1);
    if (lines[0].baton) {
      await rawPipeline(srv.url, { baton: lines[0].baton, requests: [{ type: "close" }] }, { path: "/v3/pipeline" });
    }
  });
});
