// Starts and stops lsqld for the interop tests.
//
//   const srv = await startServer({ authTokens: ["secret"], jwtKey: pem });
//   ... srv.url, srv.port, srv.dbPath ...
//   await srv.stop();
//
// Every server gets a fresh temporary directory (database, port file, log,
// key file) that stop() removes. The binary comes from $LSQLD_BIN (run.sh sets
// it), else ../../build/ci/gcc/src/server/lsqld relative to this directory.
// Servers still running when the process exits are killed synchronously.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, accessSync, constants } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

const here = dirname(fileURLToPath(import.meta.url));
const defaultBin = resolve(here, "../../../build/ci/gcc/src/server/lsqld");
const START_TIMEOUT_MS = 15000;
const STOP_TIMEOUT_MS = 5000;

const running = new Set();
function killAll() {
  for (const s of running) {
    try { s.child.kill("SIGKILL"); } catch { /* already gone */ }
    try { rmSync(s.dir, { recursive: true, force: true }); } catch { /* best effort */ }
  }
  running.clear();
}
process.on("exit", killAll);
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.once(sig, () => { killAll(); process.exit(128 + (sig === "SIGINT" ? 2 : 15)); });
}

export function lsqldPath() {
  const bin = process.env.LSQLD_BIN ? resolve(process.env.LSQLD_BIN) : defaultBin;
  if (!existsSync(bin)) {
    throw new Error(`lsqld binary not found at ${bin}: build it (target lsqld) or set LSQLD_BIN`);
  }
  try { accessSync(bin, constants.X_OK); } catch {
    throw new Error(`lsqld binary at ${bin} is not executable`);
  }
  return bin;
}

/**
 * options:
 *   authTokens: string[]   -> one --auth-token each
 *   jwtKey: string          -> written to a file, passed as --jwt-key
 *   extraArgs: string[]     -> appended verbatim
 *   dbPath: string          -> use this database instead of a fresh one
 */
export async function startServer(options = {}) {
  const bin = lsqldPath();
  const dir = mkdtempSync(join(tmpdir(), "lsqld-interop-"));
  const dbPath = options.dbPath ?? join(dir, "test.db");
  const portFile = join(dir, "port");
  const args = ["--db", dbPath, "--listen", "127.0.0.1:0", "--port-file", portFile];
  for (const t of options.authTokens ?? []) args.push("--auth-token", t);
  if (options.jwtKey !== undefined) {
    const keyFile = join(dir, "jwt.key");
    writeFileSync(keyFile, options.jwtKey);
    args.push("--jwt-key", keyFile);
  }
  args.push(...(options.extraArgs ?? []));

  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  const srv = { child, dir, dbPath, portFile, port: 0, url: "", output: "", exited: null };
  running.add(srv);
  const keep = (chunk) => {
    srv.output += chunk.toString();
    if (srv.output.length > 200000) srv.output = srv.output.slice(-100000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  srv.exitPromise = new Promise((res) => {
    child.on("exit", (code, signal) => { srv.exited = { code, signal }; res(srv.exited); });
    child.on("error", (err) => { srv.exited = { code: null, signal: null, err }; res(srv.exited); });
  });

  srv.stop = () => stopServer(srv);
  srv.log = () => srv.output;

  try {
    srv.port = await waitUntilServing(srv);
    srv.url = `http://127.0.0.1:${srv.port}`;
  } catch (err) {
    await stopServer(srv);
    throw new Error(`${err.message}\n--- lsqld ${args.join(" ")} output:\n${srv.output}`);
  }
  return srv;
}

// Polls the port file (re-read every time, so a half-written file is harmless),
// then GET /health on that port until it answers 200. Bounded by START_TIMEOUT_MS.
async function waitUntilServing(srv) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last = "no port file yet";
  while (Date.now() < deadline) {
    if (srv.exited) {
      throw new Error(`lsqld exited before serving (${JSON.stringify(srv.exited)})`);
    }
    let port = 0;
    try {
      const m = /^\s*(\d+)\s*$/.exec(readFileSync(srv.portFile, "utf8"));
      if (m) port = Number(m[1]);
    } catch { /* not written yet */ }
    if (port > 0 && port < 65536) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
        await r.arrayBuffer();
        if (r.status === 200) return port;
        last = `GET /health on port ${port}: status ${r.status}`;
      } catch (e) {
        last = `GET /health on port ${port}: ${e?.cause ?? e}`;
      }
    }
    await sleep(25);
  }
  throw new Error(`lsqld was not serving within ${START_TIMEOUT_MS} ms (${last})`);
}

async function stopServer(srv) {
  if (!running.has(srv)) return srv.exited;
  if (!srv.exited) {
    srv.child.kill("SIGTERM");
    let timer;
    const t = new Promise((res) => { timer = setTimeout(() => res("timeout"), STOP_TIMEOUT_MS); });
    const first = await Promise.race([srv.exitPromise, t]);
    clearTimeout(timer); // a pending timer would keep node alive
    if (first === "timeout") {
      srv.child.kill("SIGKILL");
      await srv.exitPromise;
      srv.killed = true;
    }
  }
  running.delete(srv);
  rmSync(srv.dir, { recursive: true, force: true });
  return srv.exited;
}

/** POST a raw Hrana pipeline body; returns { status, headers, json, text }. */
export async function rawPipeline(url, body, { token, path = "/v2/pipeline" } = {}) {
  const headers = { "content-type": "application/json" };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const r = await fetch(url + path, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(10000),
  });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, headers: r.headers, json, text };
}
