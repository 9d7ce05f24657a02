/* test_streams.c -- streams and batons: a new baton on every response,
 * reuse, forgery, closed and expired streams (with rollback and the write
 * lock given back), the open-stream limit, busy streams. */
#include "srv_testutil.h"

#include <pthread.h>

#include "baton.h"

static void expect_error(int port, const char *baton, int status, const char *code)
{
    long st;
    json_t *j = ts_pipeline_v(port, "/v2/pipeline", NULL, baton,
                              "{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT 1\"}}", &st);
    if (st != status || strcmp(jstr(j, "code"), code))
        fail_msg("baton %.20s...: got %ld %s, want %d %s", baton, st,
                 json_dumps(j, JSON_COMPACT), status, code);
    assert_true(strlen(jstr(j, "message")) > 0);
    json_decref(j);
}

static void test_baton_codec(void **state)
{
    (void)state;
    unsigned char key[LSQLD_BATON_KEY] = {1, 2, 3}, other[LSQLD_BATON_KEY] = {9};
    char b[LSQLD_BATON_LEN + 1];
    lsqld_baton_make(key, 42, 0x123456789abcdefull, b);
    assert_int_equal(strlen(b), LSQLD_BATON_LEN);
    uint64_t id, seq;
    assert_int_equal(lsqld_baton_parse(key, b, strlen(b), &id, &seq), 0);
    assert_true(id == 42 && seq == 0x123456789abcdefull);
    assert_int_equal(lsqld_baton_parse(other, b, strlen(b), &id, &seq), -1);
    for (size_t i = 0; i < LSQLD_BATON_LEN; i++) { /* any flipped character */
        char f[LSQLD_BATON_LEN + 1];
        memcpy(f, b, sizeof f);
        f[i] = f[i] == 'A' ? 'B' : 'A';
        assert_int_equal(lsqld_baton_parse(key, f, LSQLD_BATON_LEN, &id, &seq), -1);
    }
    assert_int_equal(lsqld_baton_parse(key, b, LSQLD_BATON_LEN - 1, &id, &seq), -1);
    assert_int_equal(lsqld_baton_parse(key, "", 0, &id, &seq), -1);
    char next[LSQLD_BATON_LEN + 1];
    lsqld_baton_make(key, 42, 0x123456789abcdefull + 1, next);
    assert_string_not_equal(b, next);
}

static void test_baton_flow(void **state)
{
    (void)state;
    tsrv t;
    lsqld_config c;
    ts_config(&c, &t, "batons");
    ts_start(&t, &c);
    long st;
    json_t *j = ts_pipeline(&t, NULL,
                            "{\"type\":\"sequence\",\"sql\":\"CREATE TABLE b(a)\"},"
                            "{\"type\":\"execute\",\"stmt\":{\"sql\":\"BEGIN\"}},"
                            "{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO b VALUES (1)\"}}",
                            &st);
    assert_int_equal(st, 200);
    char b1[128], b2[128], b3[128];
    ts_baton(j, b1, sizeof b1);
    json_decref(j);
    assert_int_equal(strlen(b1), LSQLD_BATON_LEN);
    /* the transaction goes on with the new baton */
    j = ts_pipeline(&t, b1, "{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT count(*) FROM b\"}},"
                            "{\"type\":\"get_autocommit\"}", &st);
    assert_int_equal(st, 200);
    assert_string_equal(jstr(j, "results[0].response.result.rows[0][0].value"), "1");
    assert_true(json_is_false(jget(j, "results[1].response.is_autocommit")));
    ts_baton(j, b2, sizeof b2);
    json_decref(j);
    assert_string_not_equal(b1, b2);
    /* an old baton is refused, and does not disturb the stream */
    expect_error(t.port, b1, 400, "BATON_REUSED");
    /* an empty pipeline still hands out a new baton */
    j = ts_pipeline(&t, b2, "", &st);
    assert_int_equal(st, 200);
    ts_baton(j, b3, sizeof b3);
    json_decref(j);
    assert_string_not_equal(b2, b3);
    expect_error(t.port, b2, 400, "BATON_REUSED");
    /* forged batons */
    char forged[128];
    snprintf(forged, sizeof forged, "%s", b3);
    forged[10] = forged[10] == 'x' ? 'y' : 'x';
    expect_error(t.port, forged, 400, "BATON_INVALID");
    expect_error(t.port, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 400,
                 "BATON_INVALID");
    expect_error(t.port, "", 400, "BATON_INVALID");
    expect_error(t.port, "not a baton at all", 400, "BATON_INVALID");
    /* a baton of another server (another key) */
    tsrv t2;
    lsqld_config c2;
    ts_config(&c2, &t2, "batons2");
    ts_start(&t2, &c2);
    j = ts_pipeline(&t2, NULL, "", &st);
    char foreign[128];
    ts_baton(j, foreign, sizeof foreign);
    json_decref(j);
    expect_error(t.port, foreign, 400, "BATON_INVALID");
    ts_stop(&t2);
    /* commit and close: baton null, then the last baton is of a closed stream */
    j = ts_pipeline(&t, b3, "{\"type\":\"execute\",\"stmt\":{\"sql\":\"COMMIT\"}},{\"type\":\"close\"}",
                    &st);
    assert_int_equal(st, 200);
    assert_jnull(j, "baton");
    json_decref(j);
    expect_error(t.port, b3, 400, "STREAM_CLOSED");
    j = ts_exec(&t, "{\"sql\":\"SELECT count(*) FROM b\"}");
    assert_string_equal(jstr(j, "results[0].response.result.rows[0][0].value"), "1");
    json_decref(j);
    assert_int_equal(lsqld_stream_count(t.s), 0);
    ts_stop(&t);
}

static void test_stream_limit(void **state)
{
    (void)state;
    tsrv t;
    lsqld_config c;
    ts_config(&c, &t, "limit");
    c.max_streams = 3;
    ts_start(&t, &c);
    char batons[3][128];
    long st;
    for (int i = 0; i < 3; i++) {
        json_t *j = ts_pipeline(&t, NULL, "", &st);
        assert_int_equal(st, 200);
        ts_baton(j, batons[i], sizeof batons[i]);
        json_decref(j);
    }
    assert_int_equal(lsqld_stream_count(t.s), 3);
    json_t *j = ts_pipeline(&t, NULL, "", &st);
    assert_int_equal(st, 503);
    assert_string_equal(jstr(j, "code"), "STREAMS_TOO_MANY");
    json_decref(j);
    /* existing streams keep working; closing one frees a slot */
    j = ts_pipeline(&t, batons[0], "{\"type\":\"close\"}", &st);
    assert_int_equal(st, 200);
    json_decref(j);
    j = ts_pipeline(&t, NULL, "{\"type\":\"close\"}", &st);
    assert_int_equal(st, 200);
    json_decref(j);
    ts_stop(&t);
}

static void test_expiry(void **state)
{
    (void)state;
    tsrv t;
    lsqld_config c;
    ts_config(&c, &t, "expiry");
    c.stream_timeout_ms = 1; /* every idle stream expires at once */
    c.writer_timeout_ms = 2000;
    ts_start(&t, &c);
    long st;
    json_t *j = ts_pipeline(&t, NULL,
                            "{\"type\":\"sequence\",\"sql\":\"CREATE TABLE x(a)\"},"
                            "{\"type\":\"execute\",\"stmt\":{\"sql\":\"BEGIN IMMEDIATE\"}},"
                            "{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO x VALUES (1)\"}}",
                            &st);
    assert_int_equal(st, 200);
    char b[128];
    ts_baton(j, b, sizeof b);
    json_decref(j);
    for (int i = 0; i < 5000 && lsqld_stream_count(t.s) > 0; i++) {
        lsqld_reap_now(t.s);
        usleep(1000);
    }
    assert_int_equal(lsqld_stream_count(t.s), 0);
    tresp r;
    char body[256];
    snprintf(body, sizeof body, "{\"baton\":\"%s\",\"requests\":[]}", b);
    ts_http(t.port, "POST", "/v2/pipeline", body, strlen(body), NULL, &r);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.ctype, "application/json");
    json_t *e = ts_parse(&r);
    assert_string_equal(jstr(e, "code"), "STREAM_EXPIRED");
    json_decref(e);
    ts_free(&r);
    /* rolled back, and the write lock was given back */
    j = ts_exec(&t, "{\"sql\":\"INSERT INTO x VALUES (2)\"}");
    assert_string_equal(jstr(j, "results[0].type"), "ok");
    json_decref(j);
    j = ts_exec(&t, "{\"sql\":\"SELECT group_concat(a) FROM x\"}");
    assert_string_equal(jstr(j, "results[0].response.result.rows[0][0].value"), "2");
    json_decref(j);
    /* without the reaper: a stale stream is found expired when used */
    j = ts_pipeline(&t, NULL, "", &st);
    ts_baton(j, b, sizeof b);
    json_decref(j);
    usleep(5000);
    expect_error(t.port, b, 400, "STREAM_EXPIRED");
    tresp m;
    ts_http(t.port, "GET", "/metrics", NULL, 0, NULL, &m);
    assert_non_null(strstr(m.body, "lsqld_streams_expired_total 2"));
    ts_free(&m);
    ts_stop(&t);
}

typedef struct busy_arg {
    int port;
    char baton[128];
    long status;
    json_t *result;
} busy_arg;

static void *busy_thread(void *p)
{
    busy_arg *a = p;
    a->result = ts_pipeline_v(a->port, "/v2/pipeline", NULL, a->baton,
                              "{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO w VALUES (2)\"}}",
                              &a->status);
    return NULL;
}

static long metric(int port, const char *name)
{
    tresp r;
    ts_http(port, "GET", "/metrics", NULL, 0, NULL, &r);
    char key[128];
    snprintf(key, sizeof key, "\n%s ", name);
    const char *p = strstr(r.body, key);
    long v = p ? strtol(p + strlen(key), NULL, 10) : -1;
    ts_free(&r);
    return v;
}

/* A second request with the baton of a stream that is running one is
 * BATON_REUSED; the first finishes normally. */
static void test_busy_stream(void **state)
{
    (void)state;
    tsrv t;
    lsqld_config c;
    ts_config(&c, &t, "busy");
    c.writer_timeout_ms = 60000;
    ts_start(&t, &c);
    ts_sql(&t, "CREATE TABLE w(a)");
    long st;
    /* stream A holds the write lock */
    json_t *j = ts_pipeline(&t, NULL, "{\"type\":\"execute\",\"stmt\":{\"sql\":\"BEGIN IMMEDIATE\"}},"
                                      "{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO w VALUES (1)\"}}",
                            &st);
    char a[128];
    ts_baton(j, a, sizeof a);
    json_decref(j);
    /* stream B's write waits for it */
    busy_arg arg = {.port = t.port};
    j = ts_pipeline(&t, NULL, "", &st);
    ts_baton(j, arg.baton, sizeof arg.baton);
    json_decref(j);
    pthread_t th;
    pthread_create(&th, NULL, busy_thread, &arg);
    int i;
    for (i = 0; i < 10000 && metric(t.port, "lsqld_writer_waiting") < 1; i++)
        usleep(1000);
    assert_true(i < 10000);
    expect_error(t.port, arg.baton, 400, "BATON_REUSED");
    /* readers do not wait for writers */
    long waits = metric(t.port, "lsqld_writer_waits_total");
    j = ts_exec(&t, "{\"sql\":\"SELECT count(*) FROM w\"}");
    assert_string_equal(jstr(j, "results[0].response.result.rows[0][0].value"), "0");
    json_decref(j);
    assert_int_equal(metric(t.port, "lsqld_writer_waits_total"), waits);
    /* A commits: B goes on */
    j = ts_pipeline(&t, a, "{\"type\":\"execute\",\"stmt\":{\"sql\":\"COMMIT\"}},{\"type\":\"close\"}", &st);
    assert_string_equal(jstr(j, "results[0].type"), "ok");
    json_decref(j);
    pthread_join(th, NULL);
    assert_int_equal(arg.status, 200);
    assert_string_equal(jstr(arg.result, "results[0].type"), "ok");
    json_decref(arg.result);
    j = ts_exec(&t, "{\"sql\":\"SELECT count(*) FROM w\"}");
    assert_string_equal(jstr(j, "results[0].response.result.rows[0][0].value"), "2");
    json_decref(j);
    ts_stop(&t);
}

/* The write lock wait is bounded: SQLITE_BUSY after writer_timeout_ms. */
static void test_writer_timeout(void **state)
{
    (void)state;
    tsrv t;
    lsqld_config c;
    ts_config(&c, &t, "wtimeout");
    c.writer_timeout_ms = 50;
    ts_start(&t, &c);
    ts_sql(&t, "CREATE TABLE w(a)");
    long st;
    json_t *j = ts_pipeline(&t, NULL, "{\"type\":\"execute\",\"stmt\":{\"sql\":\"BEGIN IMMEDIATE\"}}", &st);
    char a[128];
    ts_baton(j, a, sizeof a);
    json_decref(j);
    j = ts_exec(&t, "{\"sql\":\"INSERT INTO w VALUES (1)\"}");
    assert_string_equal(jstr(j, "results[0].error.code"), "SQLITE_BUSY");
    json_decref(j);
    j = ts_pipeline(&t, a, "{\"type\":\"execute\",\"stmt\":{\"sql\":\"ROLLBACK\"}},{\"type\":\"close\"}", &st);
    json_decref(j);
    j = ts_exec(&t, "{\"sql\":\"INSERT INTO w VALUES (1)\"}");
    assert_string_equal(jstr(j, "results[0].type"), "ok");
    json_decref(j);
    ts_stop(&t);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_baton_codec),
        cmocka_unit_test(test_baton_flow),
        cmocka_unit_test(test_stream_limit),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_busy_stream),
        cmocka_unit_test(test_writer_timeout),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
