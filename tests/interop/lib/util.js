// Small helpers shared by the interop tests.
import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import { LibsqlError, LibsqlBatchError } from "@libsql/client";

/**
 * Asserts that `promise` rejects with a LibsqlError; `check(err)` may add
 * more assertions. Returns the error.
 */
export async function rejectsLibsql(promise, check, what = "") {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err !== undefined, `expected a LibsqlError ${what}, but the call succeeded`);
  assert.ok(err instanceof LibsqlError,
    `expected a LibsqlError ${what}, got ${err?.name}: ${err?.message}`);
  if (check) check(err);
  return err;
}

export async function rejectsBatch(promise, statementIndex, check) {
  return rejectsLibsql(promise, (err) => {
    assert.ok(err instanceof LibsqlBatchError,
      `expected a LibsqlBatchError, got ${err.name}: ${err.message}`);
    assert.equal(err.statementIndex, statementIndex, `statementIndex (${err.message})`);
    if (check) check(err);
  }, "(batch)");
}

/** A fetch that records every request body (parsed JSON) sent to the server. */
export function recordingFetch() {
  const bodies = [];
  const f = async (request) => {
    const clone = request.clone();
    const text = await clone.text();
    const entry = { url: request.url, method: request.method, text, json: undefined, status: 0 };
    try { entry.json = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
    bodies.push(entry);
    const resp = await fetch(request);
    entry.status = resp.status;
    return resp;
  };
  return { fetch: f, bodies };
}

// ---- JWT (EdDSA / Ed25519) ----------------------------------------------------

const b64url = (buf) => Buffer.from(buf).toString("base64url");

/** A fresh Ed25519 key pair: { privateKey, publicPem, publicRaw (base64url) }. */
export function ed25519Keys() {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const publicPem = publicKey.export({ type: "spki", format: "pem" });
  const publicRaw = publicKey.export({ format: "jwk" }).x; // base64url of the raw 32 bytes
  return { privateKey, publicKey, publicPem, publicRaw };
}

/** Signs `claims` as a compact JWS with alg EdDSA. */
export function signJwt(privateKey, claims, header = { alg: "EdDSA", typ: "JWT" }) {
  const head = b64url(JSON.stringify(header));
  const body = b64url(JSON.stringify(claims));
  const sig = sign(null, Buffer.from(`${head}.${body}`), privateKey);
  return `${head}.${body}.${b64url(sig)}`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
