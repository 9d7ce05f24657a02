/* auth.h -- request authentication: static bearer tokens and Ed25519 JWTs
 * compatible with sqld/Turso tokens (header alg "EdDSA"; claim "a" = "ro" or
 * "rw", absent = full access; "exp" and "nbf" checked). */
#ifndef LSQLD_AUTH_H
#define LSQLD_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define LSQLD_ACCESS_NONE 0
#define LSQLD_ACCESS_RO 1 /* reads only */
#define LSQLD_ACCESS_RW 2 /* full access */

typedef struct lsqld_auth {
    const char *const *tokens;
    size_t ntokens;
    int has_jwt_key;
    const unsigned char *jwt_key; /* 32 bytes */
} lsqld_auth;

/* 1 when any authentication is configured. */
int lsqld_auth_enabled(const lsqld_auth *a);

typedef struct lsqld_auth_result {
    int access;        /* LSQLD_ACCESS_* */
    const char *code;  /* on failure: AUTH_HEADER_MISSING, AUTH_HEADER_INVALID,
                          AUTH_TOKEN_INVALID, AUTH_JWT_INVALID, AUTH_JWT_EXPIRED */
    char message[160];
} lsqld_auth_result;

/* Checks an Authorization header value (NULL when absent) at time now
 * (seconds since the epoch). Without any auth configured everything is
 * full access. 0 on success, -1 with r->code/message. */
int lsqld_auth_check(const lsqld_auth *a, const char *header, int64_t now,
                     lsqld_auth_result *r);

/* Verifies a compact JWS (header.payload.signature) with an Ed25519 public
 * key; the same result fields. Exposed for the tests. */
int lsqld_jwt_verify(const unsigned char key[32], const char *token, size_t n, int64_t now,
                     lsqld_auth_result *r);

/* Parses a public key: PEM ("-----BEGIN PUBLIC KEY-----", SubjectPublicKeyInfo
 * of an Ed25519 key) or the raw 32 bytes in base64url (padded or not) or
 * standard base64. 0 or -1 with err. */
int lsqld_jwt_key_parse(const char *text, size_t n, unsigned char key[32], char *err,
                        size_t errlen);
/* Reads a key file (at most 16 KiB) and parses it. */
int lsqld_jwt_key_load(const char *path, unsigned char key[32], char *err, size_t errlen);

#endif
