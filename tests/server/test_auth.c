/* test_auth.c -- static bearer tokens, Ed25519 JWTs (keys generated and
 * tokens signed here with libsodium), read-only access, 401 answers, the
 * refusal to serve a non-loopback address without auth. */
#include "srv_testutil.h"

#include <sodium.h>
#include <time.h>

#include "auth.h"

static unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];

static void b64url(const void *p, size_t n, char *out, size_t cap)
{
    sodium_bin2base64(out, cap, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* header.payload.signature signed with sk (or a tampered/other variant). */
static char *make_jwt(const char *header, const char *payload, const unsigned char *key)
{
    static char tok[4096];
    char h[1024], p[1024];
    b64url(header, strlen(header), h, sizeof h);
    b64url(payload, strlen(payload), p, sizeof p);
    char signing[2100];
    snprintf(signing, sizeof signing, "%s.%s", h, p);
    unsigned char sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, NULL, (const unsigned char *)signing, strlen(signing), key);
    char s[200];
    b64url(sig, sizeof sig, s, sizeof s);
    snprintf(tok, sizeof tok, "%s.%s", signing, s);
    return tok;
}

static const char *HDR = "{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}";

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    crypto_sign_keypair(pk, sk);
    return 0;
}

static void verify(const char *tok, int want_rc, int want_access, const char *want_code)
{
    lsqld_auth_result r;
    int rc = lsqld_jwt_verify(pk, tok, strlen(tok), (int64_t)time(NULL), &r);
    if (rc != want_rc)
        fail_msg("%s: rc %d (%s)", tok, rc, r.message);
    if (rc == 0)
        assert_int_equal(r.access, want_access);
    else
        assert_string_equal(r.code, want_code);
}

static void test_jwt(void **state)
{
    (void)state;
    char payload[256];
    long now = (long)time(NULL);
    snprintf(payload, sizeof payload, "{\"a\":\"rw\",\"exp\":%ld,\"id\":\"db\"}", now + 3600);
    verify(make_jwt(HDR, payload, sk), 0, LSQLD_ACCESS_RW, NULL);
    snprintf(payload, sizeof payload, "{\"a\":\"ro\",\"exp\":%ld}", now + 3600);
    verify(make_jwt(HDR, payload, sk), 0, LSQLD_ACCESS_RO, NULL);
    verify(make_jwt(HDR, "{}", sk), 0, LSQLD_ACCESS_RW, NULL); /* no a, no exp */
    verify(make_jwt(HDR, "{\"iat\":1}", sk), 0, LSQLD_ACCESS_RW, NULL);
    snprintf(payload, sizeof payload, "{\"a\":\"rw\",\"exp\":%ld}", now - 10);
    verify(make_jwt(HDR, payload, sk), -1, 0, "AUTH_JWT_EXPIRED");
    snprintf(payload, sizeof payload, "{\"nbf\":%ld}", now + 3600);
    verify(make_jwt(HDR, payload, sk), -1, 0, "AUTH_JWT_INVALID");
    verify(make_jwt(HDR, "{\"a\":\"admin\"}", sk), -1, 0, "AUTH_JWT_INVALID");
    verify(make_jwt(HDR, "{\"exp\":\"soon\"}", sk), -1, 0, "AUTH_JWT_INVALID");
    verify(make_jwt("{\"alg\":\"HS256\"}", "{}", sk), -1, 0, "AUTH_JWT_INVALID");
    verify(make_jwt("{\"alg\":\"none\"}", "{}", sk), -1, 0, "AUTH_JWT_INVALID");
    verify(make_jwt("not json", "{}", sk), -1, 0, "AUTH_JWT_INVALID");
    verify(make_jwt(HDR, "[]", sk), -1, 0, "AUTH_JWT_INVALID");
    /* signed by another key */
    unsigned char pk2[crypto_sign_PUBLICKEYBYTES], sk2[crypto_sign_SECRETKEYBYTES];
    crypto_sign_keypair(pk2, sk2);
    verify(make_jwt(HDR, "{}", sk2), -1, 0, "AUTH_JWT_INVALID");
    /* tampered payload, tampered signature */
    char *t = make_jwt(HDR, "{\"a\":\"ro\"}", sk);
    char tok[4096];
    snprintf(tok, sizeof tok, "%s", t);
    char *dot = strchr(tok, '.');
    char payload_rw[64];
    b64url("{\"a\":\"rw\"}", 10, payload_rw, sizeof payload_rw);
    char forged[4096];
    snprintf(forged, sizeof forged, "%.*s.%s%s", (int)(dot - tok), tok, payload_rw,
             strrchr(tok, '.'));
    verify(forged, -1, 0, "AUTH_JWT_INVALID");
    size_t n = strlen(tok);
    tok[n - 3] = tok[n - 3] == 'A' ? 'B' : 'A';
    verify(tok, -1, 0, "AUTH_JWT_INVALID");
    verify("a.b", -1, 0, "AUTH_JWT_INVALID");
    verify("a.b.c.d", -1, 0, "AUTH_JWT_INVALID");
    verify("..", -1, 0, "AUTH_JWT_INVALID");
}

static void test_key_parse(void **state)
{
    (void)state;
    unsigned char key[32];
    char err[200], text[512];
    /* base64url of the raw key, with and without padding and blanks */
    char raw[64];
    b64url(pk, 32, raw, sizeof raw);
    snprintf(text, sizeof text, "  %s\n", raw);
    assert_int_equal(lsqld_jwt_key_parse(text, strlen(text), key, err, sizeof err), 0);
    assert_memory_equal(key, pk, 32);
    /* PEM (SubjectPublicKeyInfo) */
    unsigned char der[44] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65,
                             0x70, 0x03, 0x21, 0x00};
    memcpy(der + 12, pk, 32);
    char b64[128];
    sodium_bin2base64(b64, sizeof b64, der, sizeof der, sodium_base64_VARIANT_ORIGINAL);
    snprintf(text, sizeof text, "-----BEGIN PUBLIC KEY-----\n%.40s\n%s\n-----END PUBLIC KEY-----\n",
             b64, b64 + 40);
    memset(key, 0, sizeof key);
    assert_int_equal(lsqld_jwt_key_parse(text, strlen(text), key, err, sizeof err), 0);
    assert_memory_equal(key, pk, 32);
    /* a key file */
    char path[1100];
    snprintf(path, sizeof path, "%s.key", tu_db_path("jwtkey"));
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    memset(key, 0, sizeof key);
    assert_int_equal(lsqld_jwt_key_load(path, key, err, sizeof err), 0);
    assert_memory_equal(key, pk, 32);
    unlink(path);
    assert_int_equal(lsqld_jwt_key_load(path, key, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open"));
    /* wrong things */
    der[5] = 0x07;
    sodium_bin2base64(b64, sizeof b64, der, sizeof der, sodium_base64_VARIANT_ORIGINAL);
    snprintf(text, sizeof text, "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----", b64);
    assert_int_equal(lsqld_jwt_key_parse(text, strlen(text), key, err, sizeof err), -1);
    assert_non_null(strstr(err, "Ed25519"));
    assert_int_equal(lsqld_jwt_key_parse("abc", 3, key, err, sizeof err), -1);
    assert_int_equal(lsqld_jwt_key_parse("-----BEGIN PUBLIC KEY-----\nAAAA", 31, key, err, sizeof err), -1);
}

static void check(const lsqld_auth *a, const char *hdr, int want_rc, int want_access,
                  const char *want_code)
{
    lsqld_auth_result r;
    int rc = lsqld_auth_check(a, hdr, (int64_t)time(NULL), &r);
    if (rc != want_rc)
        fail_msg("header '%s': rc %d (%s)", hdr ? hdr : "(none)", rc, r.message);
    if (rc == 0)
        assert_int_equal(r.access, want_access);
    else
        assert_string_equal(r.code, want_code);
}

static void test_auth_check(void **state)
{
    (void)state;
    lsqld_auth none = {0};
    check(&none, NULL, 0, LSQLD_ACCESS_RW, NULL);
    check(&none, "Bearer ", 0, LSQLD_ACCESS_RW, NULL); /* what the Rust client sends */
    const char *tokens[] = {"s3cret", "other"};
    lsqld_auth a = {.tokens = tokens, .ntokens = 2, .has_jwt_key = 1, .jwt_key = pk};
    check(&a, "Bearer s3cret", 0, LSQLD_ACCESS_RW, NULL);
    check(&a, "bearer other", 0, LSQLD_ACCESS_RW, NULL);
    check(&a, "BEARER  s3cret ", 0, LSQLD_ACCESS_RW, NULL);
    check(&a, NULL, -1, 0, "AUTH_HEADER_MISSING");
    check(&a, "", -1, 0, "AUTH_HEADER_MISSING");
    check(&a, "Basic czNjcmV0", -1, 0, "AUTH_HEADER_INVALID");
    check(&a, "s3cret", -1, 0, "AUTH_HEADER_INVALID");
    check(&a, "Bearer ", -1, 0, "AUTH_TOKEN_INVALID");
    check(&a, "Bearer s3cre", -1, 0, "AUTH_TOKEN_INVALID");
    check(&a, "Bearer s3cret2", -1, 0, "AUTH_TOKEN_INVALID");
    char hdr[4200];
    snprintf(hdr, sizeof hdr, "Bearer %s", make_jwt(HDR, "{\"a\":\"ro\"}", sk));
    check(&a, hdr, 0, LSQLD_ACCESS_RO, NULL);
    /* without a JWT key a JWT is just a wrong token */
    lsqld_auth t = {.tokens = tokens, .ntokens = 1};
    check(&t, hdr, -1, 0, "AUTH_TOKEN_INVALID");
}

static void expect_401(int port, const char *auth, const char *code)
{
    const char *body = "{\"requests\":[]}";
    tresp r;
    ts_http(port, "POST", "/v2/pipeline", body, strlen(body), auth, &r);
    if (r.status != 401)
        fail_msg("auth '%s': status %ld", auth ? auth : "(none)", r.status);
    assert_string_equal(r.ctype, "application/json");
    json_t *j = ts_parse(&r);
    assert_string_equal(jstr(j, "code"), code);
    assert_true(strlen(jstr(j, "message")) > 0);
    json_decref(j);
    ts_free(&r);
}

static void test_http_auth(void **state)
{
    (void)state;
    tsrv t;
    lsqld_config c;
    ts_config(&c, &t, "auth");
    c.tokens[0] = "s3cret";
    c.ntokens = 1;
    c.has_jwt_key = 1;
    memcpy(c.jwt_key, pk, 32);
    ts_start(&t, &c);
    expect_401(t.port, NULL, "AUTH_HEADER_MISSING");
    expect_401(t.port, "Bearer nope", "AUTH_TOKEN_INVALID");
    expect_401(t.port, "Token s3cret", "AUTH_HEADER_INVALID");
    char payload[128], rw[4200], ro[4200], expired[4200], bad[4200];
    snprintf(payload, sizeof payload, "{\"exp\":%ld}", (long)time(NULL) - 1);
    snprintf(expired, sizeof expired, "Bearer %s", make_jwt(HDR, payload, sk));
    expect_401(t.port, expired, "AUTH_JWT_EXPIRED");
    snprintf(bad, sizeof bad, "Bearer %s", make_jwt(HDR, "{}", sk));
    bad[strlen(bad) - 2] ^= 1;
    expect_401(t.port, bad, "AUTH_JWT_INVALID");
    /* the cursor endpoint is guarded too; health and version are not */
    tresp r;
    ts_http(t.port, "POST", "/v3/cursor", "{}", 2, NULL, &r);
    assert_int_equal(r.status, 401);
    ts_free(&r);
    ts_http(t.port, "GET", "/health", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    ts_free(&r);

    long st;
    json_t *j = ts_pipeline_v(t.port, "/v2/pipeline", "Bearer s3cret", NULL,
                              "{\"type\":\"sequence\",\"sql\":\"CREATE TABLE a(x); INSERT INTO a VALUES (1)\"},"
                              "{\"type\":\"close\"}", &st);
    assert_int_equal(st, 200);
    assert_string_equal(jstr(j, "results[0].type"), "ok");
    json_decref(j);
    snprintf(rw, sizeof rw, "Bearer %s", make_jwt(HDR, "{\"a\":\"rw\"}", sk));
    j = ts_pipeline_v(t.port, "/v2/pipeline", rw, NULL,
                      "{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO a VALUES (2)\"}}", &st);
    assert_int_equal(st, 200);
    assert_string_equal(jstr(j, "results[0].type"), "ok");
    char rw_baton[128];
    ts_baton(j, rw_baton, sizeof rw_baton);
    json_decref(j);
    /* read-only token: reads work, writes are SQLITE_READONLY, even in
     * transactions and sequences and after trying to lift query_only */
    snprintf(ro, sizeof ro, "Bearer %s", make_jwt(HDR, "{\"a\":\"ro\"}", sk));
    j = ts_pipeline_v(t.port, "/v2/pipeline", ro, NULL,
                      "{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT count(*) FROM a\"}},"
                      "{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO a VALUES (3)\"}},"
                      "{\"type\":\"sequence\",\"sql\":\"PRAGMA query_only=0; BEGIN IMMEDIATE; DELETE FROM a\"},"
                      "{\"type\":\"execute\",\"stmt\":{\"sql\":\"CREATE TABLE b(y)\"}},"
                      "{\"type\":\"close\"}",
                      &st);
    assert_int_equal(st, 200);
    assert_string_equal(jstr(j, "results[0].response.result.rows[0][0].value"), "2");
    assert_string_equal(jstr(j, "results[1].error.code"), "SQLITE_READONLY");
    assert_string_equal(jstr(j, "results[2].type"), "error");
    assert_string_equal(jstr(j, "results[3].error.code"), "SQLITE_READONLY");
    json_decref(j);
    /* a read-only token cannot drive a read-write stream */
    j = ts_pipeline_v(t.port, "/v2/pipeline", ro, rw_baton, "", &st);
    assert_int_equal(st, 403);
    assert_string_equal(jstr(j, "code"), "AUTH_FORBIDDEN");
    json_decref(j);
    /* the stream is still fine for its owner */
    j = ts_pipeline_v(t.port, "/v2/pipeline", rw, rw_baton,
                      "{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT count(*) FROM a\"}},"
                      "{\"type\":\"close\"}", &st);
    assert_int_equal(st, 200);
    assert_string_equal(jstr(j, "results[0].response.result.rows[0][0].value"), "2");
    json_decref(j);
    ts_stop(&t);
}

static void test_config_check(void **state)
{
    (void)state;
    lsqld_config c;
    lsqld_config_defaults(&c);
    char err[512];
    c.listen = "127.0.0.1:0";
    assert_int_equal(lsqld_config_check(&c, err, sizeof err), 0);
    c.listen = "[::1]:0";
    assert_int_equal(lsqld_config_check(&c, err, sizeof err), 0);
    c.listen = "localhost:0";
    assert_int_equal(lsqld_config_check(&c, err, sizeof err), 0);
    c.listen = "0.0.0.0:8080";
    assert_int_equal(lsqld_config_check(&c, err, sizeof err), -1);
    assert_non_null(strstr(err, "--insecure-no-auth"));
    c.insecure_no_auth = 1;
    assert_int_equal(lsqld_config_check(&c, err, sizeof err), 0);
    c.insecure_no_auth = 0;
    c.tokens[0] = "t";
    c.ntokens = 1;
    assert_int_equal(lsqld_config_check(&c, err, sizeof err), 0);
    c.ntokens = 0;
    c.has_jwt_key = 1;
    assert_int_equal(lsqld_config_check(&c, err, sizeof err), 0);
    c.listen = "127.0.0.1";
    assert_int_equal(lsqld_config_check(&c, err, sizeof err), -1);
    c.listen = "127.0.0.1:99999";
    assert_int_equal(lsqld_config_check(&c, err, sizeof err), -1);
    c.listen = "[::1:80";
    assert_int_equal(lsqld_config_check(&c, err, sizeof err), -1);
}

static void test_config_parse(void **state)
{
    (void)state;
    lsqld_config c;
    lsqld_config_defaults(&c);
    char err[512];
    const char *pf;
    char *argv[] = {"--db", "x.db", "--listen=127.0.0.1:0", "--auth-token", "a",
                    "--auth-token", "b", "--stream-timeout", "2.5", "--max-body-size", "2M",
                    "--log-level", "debug", "--port-file", "p", "--statement-timeout", "0"};
    assert_int_equal(lsqld_config_parse(17, argv, &c, &pf, err, sizeof err), LSQLD_ARGS_OK);
    assert_string_equal(c.db_path, "x.db");
    assert_string_equal(c.listen, "127.0.0.1:0");
    assert_int_equal(c.ntokens, 2);
    assert_string_equal(c.tokens[1], "b");
    assert_int_equal(c.stream_timeout_ms, 2500);
    assert_int_equal(c.limits.max_body, 2u << 20);
    assert_int_equal(c.log_level, LSQLD_LOG_DEBUG);
    assert_int_equal(c.statement_timeout_ms, 0);
    assert_string_equal(pf, "p");
    char *bad1[] = {"--max-streams", "0"};
    assert_int_equal(lsqld_config_parse(2, bad1, &c, &pf, err, sizeof err), LSQLD_ARGS_ERROR);
    char *bad2[] = {"--frobnicate"};
    assert_int_equal(lsqld_config_parse(1, bad2, &c, &pf, err, sizeof err), LSQLD_ARGS_ERROR);
    assert_non_null(strstr(err, "--frobnicate"));
    char *bad3[] = {"--db"};
    assert_int_equal(lsqld_config_parse(1, bad3, &c, &pf, err, sizeof err), LSQLD_ARGS_ERROR);
    char *bad4[] = {"--max-body-size", "12Q"};
    assert_int_equal(lsqld_config_parse(2, bad4, &c, &pf, err, sizeof err), LSQLD_ARGS_ERROR);
    char *bad5[] = {"--jwt-key", "/nonexistent/key"};
    assert_int_equal(lsqld_config_parse(2, bad5, &c, &pf, err, sizeof err), LSQLD_ARGS_ERROR);
    char *help[] = {"--help"};
    assert_int_equal(lsqld_config_parse(1, help, &c, &pf, err, sizeof err), LSQLD_ARGS_HELP);
    assert_non_null(strstr(lsqld_usage(), "--port-file"));
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jwt),
        cmocka_unit_test(test_key_parse),
        cmocka_unit_test(test_auth_check),
        cmocka_unit_test(test_http_auth),
        cmocka_unit_test(test_config_check),
        cmocka_unit_test(test_config_parse),
    };
    int rc = cmocka_run_group_tests(tests, setup, NULL);
    curl_global_cleanup();
    return rc;
}
