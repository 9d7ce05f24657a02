// bench/remote/node_client.mjs -- the remote benchmark's cases with the real
// @libsql/client (bench/remote/run.sh; docs/PERFORMANCE.md, section remote-bench).
//
//   node bench/remote/node_client.mjs --case point|batch100 --url http://127.0.0.1:PORT
//        [--n N] [--warmup W] [--rows R] [--seed S]
//   node bench/remote/node_client.mjs --version      (prints the @libsql/client version)
//
// The same work as bench_remote.c:
//   point     N sequential, awaited client.execute({sql: "SELECT v FROM t WHERE id = ?",
//             args: [BigInt(id)]}), id uniform in 1..R (a BigInt, so that the id is
//             sent as a Hrana integer as the C clients send it; a JS number goes out
//             as {"type":"float"})
//   batch100  N sequential, awaited client.batch(stmts, "write") of 100
//             {sql: "INSERT INTO t2(v) VALUES (?)", args: [BigInt(v)]} (the array is built in
//             the timed loop, as a program would)
// Output: one `RESULT {json}` line, the same fields as bench_remote.
//
// @libsql/client is resolved from LSQL_BENCH_NODE_MODULES (a node_modules
// directory) if set, else from tests/interop/node_modules (the project's pinned
// install, tests/interop/package-lock.json), else from the usual lookup.
import { createRequire } from "node:module";
import path from "node:path";
import fs from "node:fs";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const searchPaths = [
  process.env.LSQL_BENCH_NODE_MODULES,
  path.join(here, "..", "..", "tests", "interop", "node_modules"),
  path.join(here, "node_modules"),
].filter(Boolean);

function resolveClient() {
  for (const p of searchPaths) {
    const pkg = path.join(p, "@libsql", "client", "package.json");
    if (fs.existsSync(pkg)) {
      const main = require.resolve("@libsql/client", { paths: [p] });
      return { main, version: JSON.parse(fs.readFileSync(pkg, "utf8")).version, dir: p };
    }
  }
  const main = require.resolve("@libsql/client");
  return { main, version: "unknown", dir: "" };
}

const POINT_SQL = "SELECT v FROM t WHERE id = ?";
const INSERT_SQL = "INSERT INTO t2(v) VALUES (?)";
const BATCH_STEPS = 100;

function parseArgs(argv) {
  const o = { case: "", url: "", n: 10000, warmup: -1, rows: 10000, seed: 42, version: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    switch (a) {
      case "--case": o.case = v; i++; break;
      case "--url": o.url = v; i++; break;
      case "--n": o.n = Number(v); i++; break;
      case "--warmup": o.warmup = Number(v); i++; break;
      case "--rows": o.rows = Number(v); i++; break;
      case "--seed": o.seed = Number(v); i++; break;
      case "--version": o.version = true; break;
      default:
        console.error(`node_client: unknown argument ${a}`);
        process.exit(2);
    }
  }
  return o;
}

// xorshift32: cheap, deterministic for a seed (the ids need not match the C side's).
let rngState = 42;
function rngNext() {
  let x = rngState;
  x ^= x << 13; x >>>= 0;
  x ^= x >>> 17;
  x ^= x << 5; x >>>= 0;
  rngState = x;
  return x;
}
const randId = (rows) => (rngNext() % rows) + 1;
const randVal = () => rngNext() >>> 2;

function report(o, variant, lat, totalMs, cpu) {
  const n = lat.length;
  const sum = lat.reduce((a, b) => a + b, 0);
  const s = Float64Array.from(lat).sort();
  const pct = (p) => s[Math.min(n, Math.max(1, Math.ceil((p / 100) * n))) - 1];
  const r = {
    impl: "node", case: o.case, variant, n, secs: totalMs / 1000, rps: n / (totalMs / 1000),
    p50_us: pct(50) * 1000, p99_us: pct(99) * 1000, mean_us: (sum / n) * 1000,
    max_us: s[n - 1] * 1000, cpu_us: (cpu.user + cpu.system) / n, resp_bytes: 0,
  };
  const round = (k, d) => { r[k] = Number(r[k].toFixed(d)); };
  round("secs", 6); round("rps", 1);
  for (const k of ["p50_us", "p99_us", "mean_us", "max_us"]) round(k, 1);
  round("cpu_us", 2);
  console.log("RESULT " + JSON.stringify(r));
}

async function pointOnce(client, rows) {
  const id = randId(rows);
  // BigInt: sent as a Hrana integer like the other clients' ids (a JS number
  // would go out as {"type":"float"})
  const rs = await client.execute({ sql: POINT_SQL, args: [BigInt(id)] });
  if (rs.rows.length !== 1 || typeof rs.rows[0][0] !== "string") {
    throw new Error(`point query for id ${id} gave ${JSON.stringify(rs.rows)}`);
  }
}

async function batchOnce(client) {
  const stmts = new Array(BATCH_STEPS);
  for (let k = 0; k < BATCH_STEPS; k++) stmts[k] = { sql: INSERT_SQL, args: [BigInt(randVal())] };
  const res = await client.batch(stmts, "write");
  if (res.length !== BATCH_STEPS) throw new Error(`batch gave ${res.length} results`);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const lib = resolveClient();
  if (o.version) {
    console.log(lib.version);
    return;
  }
  if (!o.url || (o.case !== "point" && o.case !== "batch100") || !(o.n > 0)) {
    console.error("usage: node node_client.mjs --case point|batch100 --url URL [--n N] [--warmup W] [--rows R] [--seed S]");
    process.exit(2);
  }
  if (o.warmup < 0) o.warmup = o.case === "point" ? 500 : 20;
  rngState = (o.seed >>> 0) || 1;
  const { createClient } = require(lib.main);
  const client = createClient({ url: o.url });
  const once = o.case === "point" ? () => pointOnce(client, o.rows) : () => batchOnce(client);
  for (let i = 0; i < o.warmup; i++) await once();
  const lat = new Array(o.n);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let prev = t0;
  for (let i = 0; i < o.n; i++) {
    await once();
    const t = performance.now();
    lat[i] = t - prev;
    prev = t;
  }
  const cpu = process.cpuUsage(cpu0);
  report(o, `client-${lib.version}`, lat, prev - t0, cpu);
  client.close();
}

main().catch((e) => {
  console.error(`node_client: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
