/* test_cursor.c -- POST /v3/cursor streams: rows leave as they are produced
 * (a cursor larger than --max-response-size works, the limit applies to each
 * line), rows before a failing step's error are kept, the stream stays in
 * use until the cursor ends, and a client that goes away mid-body gets its
 * stream closed (rolled back, write lock given back). */
#include "srv_testutil.h"


#define MAX_RESPONSE (64 * 1024)

static tsrv T;

static int setup(void **state)
{
    (void)state;
    lsqld_config c;
    ts_config(&c, &T, "cursor");
    c.max_response = MAX_RESPONSE;
    c.writer_timeout_ms = 20000; /* a bound for the waits below, never reached */
    ts_start(&T, &c);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_stop(&T);
    return 0;
}

/* The lines of a cursor body, each parsed (the head first). */
typedef struct lines {
    json_t **v;
    size_t n;
} lines;

static lines split(const tresp *r)
{
    lines L = {NULL, 0};
    const char *p = r->body ? r->body : "";
    const char *end = p + r->len;
    size_t cap = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            fail_msg("the body does not end with a newline: %.200s", p);
        json_error_t je;
        json_t *j = json_loadb(p, (size_t)(nl - p), 0, &je);
        if (!j)
            fail_msg("line %zu is not JSON (%s): %.200s", L.n, je.text, p);
        if (L.n == cap) {
            cap = cap ? cap * 2 : 64;
            L.v = realloc(L.v, cap * sizeof *L.v);
            assert_non_null(L.v);
        }
        L.v[L.n++] = j;
        p = nl + 1;
    }
    return L;
}

static void lines_free(lines *L)
{
    for (size_t i = 0; i < L->n; i++)
        json_decref(L->v[i]);
    free(L->v);
}

static const char *type_of(const lines *L, size_t i)
{
    if (i >= L->n)
        fail_msg("no line %zu (%zu lines)", i, L->n);
    return jstr(L->v[i], "type");
}

static void cursor(const char *steps, tresp *r)
{
    size_t n = strlen(steps) + 128;
    char *body = malloc(n);
    assert_non_null(body);
    snprintf(body, n, "{\"baton\":null,\"batch\":{\"steps\":[%s]}}", steps);
    ts_http(T.port, "POST", "/v3/cursor", body, strlen(body), NULL, r);
    free(body);
    assert_int_equal(r->status, 200);
}

#define SERIES(n) "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c LIMIT " #n ") "

/* A cursor far larger than the response limit: every row arrives. */
static void test_large_cursor(void **state)
{
    (void)state;
    tresp r;
    cursor("{\"stmt\":{\"sql\":\"" SERIES(200000) "SELECT x, 'row ' || x FROM c\"}},"
           "{\"stmt\":{\"sql\":\"SELECT 'after'\"}}",
           &r);
    assert_true(r.len > 20 * (size_t)MAX_RESPONSE);
    lines L = split(&r);
    assert_non_null(jget(L.v[0], "baton"));
    assert_string_equal(type_of(&L, 1), "step_begin");
    assert_int_equal(json_array_size(jget(L.v[1], "cols")), 2);
    for (size_t i = 0; i < 200000; i++) {
        json_t *row = L.v[2 + i];
        if (strcmp(type_of(&L, 2 + i), "row"))
            fail_msg("line %zu: %s", 2 + i, json_dumps(row, JSON_COMPACT));
        char want[32];
        snprintf(want, sizeof want, "%zu", i + 1);
        assert_string_equal(jstr(row, "row[0].value"), want);
    }
    size_t k = 2 + 200000;
    assert_string_equal(type_of(&L, k), "step_end");
    assert_string_equal(type_of(&L, k + 1), "step_begin");
    assert_string_equal(jstr(L.v[k + 2], "row[0].value"), "after");
    assert_string_equal(type_of(&L, k + 3), "step_end");
    assert_int_equal(L.n, k + 4);
    lines_free(&L);
    ts_free(&r);
}

/* A step failing after some rows: step_begin, the rows, then step_error. */
static void test_rows_before_error(void **state)
{
    (void)state;
    tresp r;
    cursor("{\"stmt\":{\"sql\":\"" SERIES(5) "SELECT x, CASE WHEN x = 3 THEN "
           "abs(-9223372036854775808) ELSE x END FROM c\"}},"
           "{\"stmt\":{\"sql\":\"SELECT 2\"}}",
           &r);
    lines L = split(&r);
    static const char *want[] = {"step_begin", "row", "row", "step_error",
                                 "step_begin", "row", "step_end"};
    if (L.n != 8)
        fail_msg("%zu lines: %s", L.n, r.body);
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(type_of(&L, i + 1), want[i]);
    assert_string_equal(jstr(L.v[2], "row[0].value"), "1");
    assert_string_equal(jstr(L.v[3], "row[0].value"), "2");
    assert_int_equal(json_integer_value(jget(L.v[4], "step")), 0);
    assert_string_equal(jstr(L.v[4], "error.message"), "integer overflow");
    assert_int_equal(json_integer_value(jget(L.v[5], "step")), 1);
    lines_free(&L);
    ts_free(&r);
}

/* The response limit applies to each line: a row larger than it is the
 * step's RESPONSE_TOO_LARGE, after the rows before it; the next step runs. */
static void test_line_limit(void **state)
{
    (void)state;
    tresp r;
    cursor("{\"stmt\":{\"sql\":\"" SERIES(4) "SELECT CASE WHEN x = 3 THEN zeroblob(100000) "
           "ELSE x END FROM c\"}},"
           "{\"stmt\":{\"sql\":\"SELECT 2\"}}",
           &r);
    lines L = split(&r);
    static const char *want[] = {"step_begin", "row", "row", "step_error",
                                 "step_begin", "row", "step_end"};
    if (L.n != 8)
        fail_msg("%zu lines: %.2000s", L.n, r.body);
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(type_of(&L, i + 1), want[i]);
    assert_string_equal(jstr(L.v[4], "error.code"), "RESPONSE_TOO_LARGE");
    lines_free(&L);
    ts_free(&r);
}

/* ---- a raw HTTP client: reads part of a body, then goes away ------------ */

static int raw_cursor(int port, const char *steps)
{
    int fd = ts_raw_connect(port);
    char body[4096], req[5000];
    snprintf(body, sizeof body, "{\"baton\":null,\"batch\":{\"steps\":[%s]}}", steps);
    int n = snprintf(req, sizeof req,
                     "POST /v3/cursor HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                     "application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     strlen(body), body);
    assert_true(n > 0 && (size_t)n < sizeof req);
    ts_raw_send(fd, req, (size_t)n);
    return fd;
}

/* Reads until `needle` has arrived; returns what was read (NUL-terminated). */
static char *raw_read_until(int fd, const char *needle, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *p = malloc(cap + 1);
    assert_non_null(p);
    p[0] = 0;
    while (!strstr(p, needle)) {
        if (n == cap)
            fail_msg("%s not in the first %zu bytes", needle, cap);
        ssize_t k = recv(fd, p + n, cap - n, 0);
        if (k <= 0)
            fail_msg("connection ended before %s", needle);
        n += (size_t)k;
        p[n] = 0;
    }
    *len = n;
    return p;
}

/* 1 when the response headers in raw hold `header` (lower case). */
static int has_header(const char *raw, const char *header)
{
    const char *end = strstr(raw, "\r\n\r\n");
    assert_non_null(end);
    size_t n = (size_t)(end - raw);
    char *low = malloc(n + 1);
    assert_non_null(low);
    for (size_t i = 0; i < n; i++)
        low[i] = (char)tolower((unsigned char)raw[i]);
    low[n] = 0;
    int found = strstr(low, header) != NULL;
    free(low);
    return found;
}

static void head_baton(const char *raw, char *out, size_t cap)
{
    assert_non_null(strstr(raw, "HTTP/1.1 200"));
    assert_true(has_header(raw, "transfer-encoding: chunked"));
    const char *b = strstr(raw, "{\"baton\":\"");
    assert_non_null(b);
    b += 10;
    const char *e = strchr(b, '"');
    assert_non_null(e);
    assert_true((size_t)(e - b) < cap);
    memcpy(out, b, (size_t)(e - b));
    out[e - b] = 0;
}

static void expect_baton_error(const char *baton, long status, const char *code)
{
    long st;
    json_t *j = ts_pipeline(&T, baton, "{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT 1\"}}",
                            &st);
    if (st != status || !jget(j, "code") || strcmp(jstr(j, "code"), code))
        fail_msg("baton: got %ld %s, want %ld %s", st, json_dumps(j, JSON_COMPACT), status, code);
    json_decref(j);
}

/* The stream of a cursor whose client went away is closed once the server
 * has noticed (the cursor's end also gives the write lock back, which other
 * streams may take a moment before the stream itself is given back):
 * BATON_REUSED until then, STREAM_CLOSED after, within 5 s. */
static void wait_stream_closed(const char *baton)
{
    for (int i = 0;; i++) {
        long st;
        json_t *j = ts_pipeline(&T, baton, "{\"type\":\"close\"}", &st);
        assert_int_equal(st, 400);
        const char *code = jstr(j, "code");
        int closed = !strcmp(code, "STREAM_CLOSED");
        if (!closed && strcmp(code, "BATON_REUSED"))
            fail_msg("baton: %s", json_dumps(j, JSON_COMPACT));
        json_decref(j);
        if (closed)
            return;
        assert_true(i < 500);
        usleep(10000);
    }
}

/* 100000 rows of 1 KB: far more than the socket buffers hold, so the
 * server is still producing rows when the client stops reading. */
#define BIG_SELECT "{\"stmt\":{\"sql\":\"" SERIES(100000) "SELECT x, hex(zeroblob(500)) FROM c\"}}"

/* The stream is in use while its cursor runs; a client that disconnects
 * mid-body gets its stream closed: its transaction rolled back and the
 * write lock given back. */
static void test_disconnect_mid_body(void **state)
{
    (void)state;
    ts_sql(&T, "CREATE TABLE w(x)");
    size_t streams = lsqld_stream_count(T.s);
    int fd = raw_cursor(T.port, "{\"stmt\":{\"sql\":\"BEGIN IMMEDIATE\"}},"
                                "{\"stmt\":{\"sql\":\"INSERT INTO w VALUES (1)\"}}," BIG_SELECT);
    size_t n;
    char *raw = raw_read_until(fd, "{\"type\":\"row\"", &n);
    char baton[128];
    head_baton(raw, baton, sizeof baton);
    free(raw);
    /* the cursor is running: its stream is busy */
    expect_baton_error(baton, 400, "BATON_REUSED");
    close(fd); /* with unread data: the server sees a reset */
    /* waits for the write lock, which only the end of the cursor frees */
    ts_sql(&T, "INSERT INTO w VALUES (2)");
    wait_stream_closed(baton);
    json_t *j = ts_exec(&T, "{\"sql\":\"SELECT group_concat(x) FROM w\"}");
    assert_string_equal(jstr(j, "results[0].response.result.rows[0][0].value"), "2");
    json_decref(j);
    assert_int_equal(lsqld_stream_count(T.s), streams);
    ts_sql(&T, "DROP TABLE w");
}

/* Read-only cursor, client gone: the stream is closed too (and the
 * connection goes back to the pool). */
static void test_disconnect_read_only(void **state)
{
    (void)state;
    size_t streams = lsqld_stream_count(T.s);
    int fd = raw_cursor(T.port, BIG_SELECT);
    size_t n;
    char *raw = raw_read_until(fd, "{\"type\":\"row\"", &n);
    char baton[128];
    head_baton(raw, baton, sizeof baton);
    free(raw);
    close(fd);
    /* a write needs no lock the cursor had; the stream ends on its own */
    ts_sql(&T, "CREATE TABLE IF NOT EXISTS w2(x)");
    ts_sql(&T, "DROP TABLE w2");
    wait_stream_closed(baton);
    assert_int_equal(lsqld_stream_count(T.s), streams);
}

/* A cursor that ends gives its stream back before the last bytes leave:
 * the next request with the head's baton, sent as soon as the body has
 * arrived, finds the stream free, with the cursor's transaction open. */
static void test_baton_after_cursor(void **state)
{
    (void)state;
    ts_sql(&T, "CREATE TABLE bc(x)");
    for (int round = 0; round < 20; round++) {
        tresp r;
        cursor("{\"stmt\":{\"sql\":\"BEGIN\"}},"
               "{\"stmt\":{\"sql\":\"INSERT INTO bc VALUES (1)\"}},"
               "{\"stmt\":{\"sql\":\"SELECT count(*) FROM bc\"}}",
               &r);
        lines L = split(&r);
        char baton[128];
        ts_baton(L.v[0], baton, sizeof baton);
        assert_int_equal(L.n, 1 + 3 + 4);
        lines_free(&L);
        ts_free(&r);
        long st;
        json_t *j = ts_pipeline(&T, baton,
                                "{\"type\":\"get_autocommit\"},"
                                "{\"type\":\"execute\",\"stmt\":{\"sql\":\"COMMIT\"}},"
                                "{\"type\":\"close\"}",
                                &st);
        if (st != 200)
            fail_msg("round %d: %ld %s", round, st, json_dumps(j, JSON_COMPACT));
        assert_true(json_is_false(jget(j, "results[0].response.is_autocommit")));
        assert_string_equal(jstr(j, "results[1].type"), "ok");
        json_decref(j);
    }
    json_t *j = ts_exec(&T, "{\"sql\":\"SELECT count(*) FROM bc\"}");
    assert_string_equal(jstr(j, "results[0].response.result.rows[0][0].value"), "20");
    json_decref(j);
    ts_sql(&T, "DROP TABLE bc");
}

/* A cursor on a stream with a baton: the stream keeps its state. */
static void test_cursor_on_stream(void **state)
{
    (void)state;
    long st;
    json_t *j = ts_pipeline(&T, NULL,
                            "{\"type\":\"execute\",\"stmt\":{\"sql\":\"CREATE TEMP TABLE t(x)\"}},"
                            "{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO t VALUES (42)\"}}",
                            &st);
    assert_int_equal(st, 200);
    char baton[128];
    ts_baton(j, baton, sizeof baton);
    json_decref(j);
    char body[512];
    snprintf(body, sizeof body,
             "{\"baton\":\"%s\",\"batch\":{\"steps\":[{\"stmt\":{\"sql\":\"SELECT x FROM t\"}}]}}",
             baton);
    tresp r;
    ts_http(T.port, "POST", "/v3/cursor", body, strlen(body), NULL, &r);
    assert_int_equal(r.status, 200);
    lines L = split(&r);
    assert_int_equal(L.n, 4);
    assert_string_equal(jstr(L.v[2], "row[0].value"), "42");
    char next[128];
    ts_baton(L.v[0], next, sizeof next);
    assert_string_not_equal(next, baton);
    lines_free(&L);
    ts_free(&r);
    /* the old baton is spent, the new one works */
    ts_http(T.port, "POST", "/v3/cursor", body, strlen(body), NULL, &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "BATON_REUSED"));
    ts_free(&r);
    j = ts_pipeline(&T, next, "{\"type\":\"close\"}", &st);
    assert_int_equal(st, 200);
    json_decref(j);
}

/* A client that stops reading (without going away) is cut by the HTTP
 * connection timeout, which ends the cursor: its stream is closed, the
 * write lock given back. */
static void test_stalled_reader(void **state)
{
    (void)state;
    tsrv t;
    lsqld_config c;
    ts_config(&c, &t, "cursor-stall");
    c.max_response = MAX_RESPONSE;
    c.http_idle_timeout_s = 1;
    c.writer_timeout_ms = 60000;
    ts_start(&t, &c);
    int fd = raw_cursor(t.port, "{\"stmt\":{\"sql\":\"BEGIN IMMEDIATE\"}},"
                                "{\"stmt\":{\"sql\":\"CREATE TABLE s(x)\"}}," BIG_SELECT);
    size_t n;
    char *raw = raw_read_until(fd, "{\"type\":\"row\"", &n);
    char baton[128];
    head_baton(raw, baton, sizeof baton);
    free(raw);
    /* the write lock is free once the server cut the connection */
    json_t *j = ts_pipeline_v(t.port, "/v2/pipeline", NULL, NULL,
                              "{\"type\":\"execute\",\"stmt\":{\"sql\":\"CREATE TABLE s(y)\"}},"
                              "{\"type\":\"close\"}",
                              NULL);
    if (strcmp(jstr(j, "results[0].type"), "ok"))
        fail_msg("%s", json_dumps(j, JSON_COMPACT));
    json_decref(j);
    long st;
    j = ts_pipeline_v(t.port, "/v2/pipeline", NULL, baton, "{\"type\":\"close\"}", &st);
    assert_int_equal(st, 400);
    assert_string_equal(jstr(j, "code"), "STREAM_CLOSED");
    json_decref(j);
    close(fd);
    ts_stop(&t);
}

/* Stopping the server while a cursor waits for its client. */
static void test_stop_with_paused_cursor(void **state)
{
    (void)state;
    tsrv t;
    lsqld_config c;
    ts_config(&c, &t, "cursor-stop");
    c.max_response = MAX_RESPONSE;
    c.shutdown_timeout_ms = 200;
    ts_start(&t, &c);
    int fd = raw_cursor(t.port, "{\"stmt\":{\"sql\":\"BEGIN IMMEDIATE\"}},"
                                "{\"stmt\":{\"sql\":\"CREATE TABLE s(x)\"}}," BIG_SELECT);
    size_t n;
    char *raw = raw_read_until(fd, "{\"type\":\"row\"", &n);
    free(raw);
    ts_stop(&t); /* closes the connection, ends the cursor, rolls back */
    close(fd);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_large_cursor),
        cmocka_unit_test(test_rows_before_error),
        cmocka_unit_test(test_line_limit),
        cmocka_unit_test(test_disconnect_mid_body),
        cmocka_unit_test(test_disconnect_read_only),
        cmocka_unit_test(test_baton_after_cursor),
        cmocka_unit_test(test_cursor_on_stream),
        cmocka_unit_test(test_stalled_reader),
        cmocka_unit_test(test_stop_with_paused_cursor),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
