/* auth.c -- bearer tokens and Ed25519 JWT verification (libsodium for the
 * signature and base64url, jansson for the JSON parts). */
#include "auth.h"

#include <errno.h>
#include <strings.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#define JWT_MAX 8192

int lsqld_auth_enabled(const lsqld_auth *a)
{
    return a->ntokens > 0 || a->has_jwt_key;
}

static int deny(lsqld_auth_result *r, const char *code, const char *fmt, ...)
{
    r->access = LSQLD_ACCESS_NONE;
    r->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    return -1;
}

static int b64url(const char *s, size_t n, unsigned char *out, size_t cap, size_t *len)
{
    const char *end = NULL;
    if (sodium_base642bin(out, cap, s, n, NULL, len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        end != s + n)
        return -1;
    return 0;
}

/* Decodes a base64url JSON segment into a jansson object. */
static json_t *segment_json(const char *s, size_t n)
{
    unsigned char buf[JWT_MAX];
    size_t len = 0;
    if (b64url(s, n, buf, sizeof buf, &len))
        return NULL;
    json_t *j = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, NULL);
    if (j && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

int lsqld_jwt_verify(const unsigned char key[32], const char *token, size_t n, int64_t now,
                     lsqld_auth_result *r)
{
    if (n > JWT_MAX)
        return deny(r, "AUTH_JWT_INVALID", "token is longer than %d bytes", JWT_MAX);
    const char *d1 = memchr(token, '.', n);
    const char *d2 = d1 ? memchr(d1 + 1, '.', (size_t)(token + n - d1 - 1)) : NULL;
    if (!d1 || !d2 || memchr(d2 + 1, '.', (size_t)(token + n - d2 - 1)))
        return deny(r, "AUTH_JWT_INVALID", "token is not a JWT (header.payload.signature)");
    unsigned char sig[crypto_sign_BYTES + 1];
    size_t siglen = 0;
    if (b64url(d2 + 1, (size_t)(token + n - d2 - 1), sig, sizeof sig, &siglen) ||
        siglen != crypto_sign_BYTES)
        return deny(r, "AUTH_JWT_INVALID", "JWT signature is not 64 bytes of base64url");
    json_t *hdr = segment_json(token, (size_t)(d1 - token));
    if (!hdr)
        return deny(r, "AUTH_JWT_INVALID", "JWT header is not base64url JSON");
    json_t *alg = json_object_get(hdr, "alg");
    int alg_ok = json_is_string(alg) && !strcmp(json_string_value(alg), "EdDSA");
    json_decref(hdr);
    if (!alg_ok)
        return deny(r, "AUTH_JWT_INVALID", "JWT algorithm must be EdDSA");
    if (crypto_sign_verify_detached(sig, (const unsigned char *)token, (size_t)(d2 - token),
                                    key) != 0)
        return deny(r, "AUTH_JWT_INVALID", "JWT signature does not verify");
    json_t *claims = segment_json(d1 + 1, (size_t)(d2 - d1 - 1));
    if (!claims)
        return deny(r, "AUTH_JWT_INVALID", "JWT payload is not base64url JSON");
    int rc = 0;
    json_t *exp = json_object_get(claims, "exp");
    json_t *nbf = json_object_get(claims, "nbf");
    json_t *a = json_object_get(claims, "a");
    if (exp && !json_is_number(exp)) {
        rc = deny(r, "AUTH_JWT_INVALID", "JWT claim exp is not a number");
    } else if (exp && json_number_value(exp) <= (double)now) {
        rc = deny(r, "AUTH_JWT_EXPIRED", "JWT expired");
    } else if (nbf && (!json_is_number(nbf) || json_number_value(nbf) > (double)now)) {
        rc = deny(r, "AUTH_JWT_INVALID", "JWT is not valid yet (nbf)");
    } else if (a && !json_is_null(a) && !json_is_string(a)) {
        rc = deny(r, "AUTH_JWT_INVALID", "JWT claim a is not a string");
    } else if (!a || json_is_null(a) || !strcmp(json_string_value(a), "rw")) {
        r->access = LSQLD_ACCESS_RW;
    } else if (!strcmp(json_string_value(a), "ro")) {
        r->access = LSQLD_ACCESS_RO;
    } else {
        rc = deny(r, "AUTH_JWT_INVALID", "JWT claim a=\"%.20s\" is not \"ro\" or \"rw\"",
                  json_string_value(a));
    }
    json_decref(claims);
    if (rc == 0) {
        r->code = NULL;
        r->message[0] = 0;
    }
    return rc;
}

int lsqld_auth_check(const lsqld_auth *a, const char *header, int64_t now,
                     lsqld_auth_result *r)
{
    r->code = NULL;
    r->message[0] = 0;
    if (!lsqld_auth_enabled(a)) {
        r->access = LSQLD_ACCESS_RW;
        return 0;
    }
    if (!header || !*header)
        return deny(r, "AUTH_HEADER_MISSING", "missing Authorization header");
    if (strncasecmp(header, "bearer ", 7) != 0)
        return deny(r, "AUTH_HEADER_INVALID", "Authorization header must be \"Bearer <token>\"");
    const char *tok = header + 7;
    while (*tok == ' ')
        tok++;
    size_t n = strlen(tok);
    while (n && (tok[n - 1] == ' ' || tok[n - 1] == '\t'))
        n--;
    if (n == 0)
        return deny(r, "AUTH_TOKEN_INVALID", "empty bearer token");
    for (size_t i = 0; i < a->ntokens; i++) {
        size_t tl = strlen(a->tokens[i]);
        if (tl == n && sodium_memcmp(a->tokens[i], tok, n) == 0) {
            r->access = LSQLD_ACCESS_RW;
            return 0;
        }
    }
    if (a->has_jwt_key && memchr(tok, '.', n))
        return lsqld_jwt_verify(a->jwt_key, tok, n, now, r);
    return deny(r, "AUTH_TOKEN_INVALID", "invalid bearer token");
}

static int key_err(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return -1;
}

int lsqld_jwt_key_parse(const char *text, size_t n, unsigned char key[32], char *err,
                        size_t errlen)
{
    static const char begin[] = "-----BEGIN PUBLIC KEY-----";
    static const char end[] = "-----END PUBLIC KEY-----";
    /* SubjectPublicKeyInfo prefix of an Ed25519 key (RFC 8410) */
    static const unsigned char spki[12] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                           0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
    while (n && strchr(" \t\r\n", text[0]))
        text++, n--;
    while (n && strchr(" \t\r\n", text[n - 1]))
        n--;
    unsigned char buf[128];
    size_t len = 0;
    const char *stop = NULL;
    if (n >= sizeof begin - 1 && !memcmp(text, begin, sizeof begin - 1)) {
        const char *body = text + sizeof begin - 1;
        const char *e = NULL;
        for (const char *p = body; p + sizeof end - 1 <= text + n; p++)
            if (!memcmp(p, end, sizeof end - 1)) {
                e = p;
                break;
            }
        if (!e)
            return key_err(err, errlen, "PEM key has no END PUBLIC KEY line");
        if (sodium_base642bin(buf, sizeof buf, body, (size_t)(e - body), " \t\r\n", &len, &stop,
                              sodium_base64_VARIANT_ORIGINAL) != 0 ||
            stop != e)
            return key_err(err, errlen, "PEM key body is not base64");
        if (len != 44 || memcmp(buf, spki, sizeof spki))
            return key_err(err, errlen, "PEM key is not an Ed25519 public key");
        memcpy(key, buf + 12, 32);
        return 0;
    }
    static const int variants[] = {
        sodium_base64_VARIANT_URLSAFE_NO_PADDING, sodium_base64_VARIANT_URLSAFE,
        sodium_base64_VARIANT_ORIGINAL_NO_PADDING, sodium_base64_VARIANT_ORIGINAL};
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        if (sodium_base642bin(buf, sizeof buf, text, n, NULL, &len, &stop, variants[i]) == 0 &&
            stop == text + n && len == 32) {
            memcpy(key, buf, 32);
            return 0;
        }
    }
    return key_err(err, errlen,
                   "JWT key must be a PEM public key or 32 bytes in base64url");
}

int lsqld_jwt_key_load(const char *path, unsigned char key[32], char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open JWT key file '%s': %s", path, strerror(errno));
        return -1;
    }
    char text[16384];
    size_t n = fread(text, 1, sizeof text, f);
    int big = n == sizeof text;
    fclose(f);
    if (big) {
        snprintf(err, errlen, "JWT key file '%s' is larger than 16 KiB", path);
        return -1;
    }
    char why[200];
    if (lsqld_jwt_key_parse(text, n, key, why, sizeof why)) {
        snprintf(err, errlen, "JWT key file '%s': %s", path, why);
        return -1;
    }
    return 0;
}
