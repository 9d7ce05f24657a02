/* test_remote_api.c -- what is specific to REMOTE mode, against lsqld
 * running in-process on an ephemeral loopback port: opening (URLs, tokens,
 * unreachable servers), value round trips, stored SQL reuse, one round trip
 * per batch, stream expiry outside and inside a transaction (LSQL_TXN_LOST),
 * Hrana 2, cursors and calls without remote meaning. The shared behaviour
 * (exec, query, statements, parameters, transactions, batches, cursors) is
 * tested by the core suite run in remote mode. */
#define LSQL_TEST_REMOTE 1 /* errors may carry an HTTP status */
#include "coretest.h"

#include "../server/srv_testutil.h"

#include <float.h>
#include <math.h>
#include <unistd.h>

typedef struct fx {
    tsrv t;
    lsqld_config cfg;
    const char *tokens[1];
    lsql_db *db;
    lsql_conn *c;
    char url[256];
    int encoding; /* in use (lsql_db_opts_get) */
} fx;

static fx *fx_start(const char *name, void (*tune)(lsqld_config *))
{
    fx *f = calloc(1, sizeof *f);
    ts_config(&f->cfg, &f->t, name);
    if (tune)
        tune(&f->cfg);
    ts_start(&f->t, &f->cfg);
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d", f->t.port);
    return f;
}

static void fx_connect(fx *f, const char *suffix)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", f->url, suffix ? suffix : "");
    f->db = ct_open_url(url);
    f->c = ct_connect(f->db);
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    assert_ok(lsql_db_opts_get(f->db, &o));
    f->encoding = o.hrana_encoding;
}

static void fx_stop(fx *f)
{
    lsql_db_close(f->db);
    ts_stop(&f->t);
    free(f);
}

/* A counter of lsqld's /metrics ("name{labels}" exactly as printed). */
static long metric(fx *f, const char *key)
{
    tresp r;
    ts_http(f->t.port, "GET", "/metrics", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    long v = 0;
    const char *p = strstr(r.body, key);
    if (p)
        v = strtol(p + strlen(key), NULL, 10);
    ts_free(&r);
    return v;
}

/* lsqld counts a request once its answer is sent: the count of the last
 * request may lag behind the client by a moment. With the client idle,
 * reads the counter until it stays the same for 30 ms. */
static long metric_settled(fx *f, const char *key)
{
    long v = metric(f, key), prev = -1;
    for (int i = 0; i < 200 && v != prev; i++) {
        usleep(30 * 1000);
        prev = v;
        v = metric(f, key);
    }
    return v;
}

#define PIPELINES "lsqld_http_requests_total{endpoint=\"pipeline\",status=\"200\"} "
#define PIPELINES_PB "lsqld_http_requests_total{endpoint=\"pipeline_protobuf\",status=\"200\"} "
#define CURSORS "endpoint=\"cursor\",status=\"200\"} "
#define CURSORS_PB "endpoint=\"cursor_protobuf\",status=\"200\"} "

/* The counters of the endpoints the connection's encoding uses. */
static const char *pipelines(const fx *f)
{
    return f->encoding == LSQL_HRANA_PROTOBUF ? PIPELINES_PB : PIPELINES;
}

static const char *cursors(const fx *f)
{
    return f->encoding == LSQL_HRANA_PROTOBUF ? CURSORS_PB : CURSORS;
}

/* The URL suffixes of the two encodings, for the tests run in both: the
 * negotiated one (protobuf: lsqld offers it) and JSON. */
static const char *const k_encodings[] = {NULL, "?encoding=json"};
#define N_ENCODINGS 2
/* the same with more options */
static void suffix(char *out, size_t cap, int enc, const char *more)
{
    snprintf(out, cap, "%s%s%s", k_encodings[enc] ? k_encodings[enc] : "",
             more ? (k_encodings[enc] ? "&" : "?") : "", more ? more : "");
}

/* ---- opening ---------------------------------------------------------------- */

static void open_url_forms_and_errors(void **state)
{
    (void)state;
    fx *f = fx_start("remote-open", NULL);
    lsql_db *db = NULL;
    lsql_error e;
    char url[512];
    /* unknown option, bad value, no host, WebSocket, credentials */
    snprintf(url, sizeof url, "%s?colour=red", f->url);
    ct_expect(LSQL_INVALID_OPTION, &e, lsql_db_open_url(url, &db, &e));
    assert_non_null(strstr(e.message, "colour"));
    snprintf(url, sizeof url, "%s?timeout=abc", f->url);
    ct_expect(LSQL_INVALID_OPTION, &e, lsql_db_open_url(url, &db, &e));
    ct_expect(LSQL_INVALID_URL, &e, lsql_db_open_url("http://", &db, &e));
    ct_expect(LSQL_INVALID_URL, &e, lsql_db_open_url("http://u:p@127.0.0.1:1/", &db, &e));
    ct_expect(LSQL_NOTSUP_MODE, &e, lsql_db_open_url("ws://127.0.0.1:1", &db, &e));
    assert_null(db);
    /* libsql:// with tls=0 is plain http; a trailing slash is fine */
    snprintf(url, sizeof url, "libsql://127.0.0.1:%d/?tls=0", f->t.port);
    ct_expect(LSQL_OK, &e, lsql_db_open_url(url, &db, &e));
    assert_int_equal(lsql_db_mode(db), LSQL_MODE_REMOTE);
    lsql_db_close(db);
    /* options struct: mode REMOTE needs a URL */
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.mode = LSQL_MODE_REMOTE;
    ct_expect(LSQL_INVALID_OPTION, &e, lsql_db_open(&o, &db, &e));
    o.url = f->url;
    o.flags = LSQL_DB_READONLY; /* no meaning remotely */
    ct_expect(LSQL_INVALID_OPTION, &e, lsql_db_open(&o, &db, &e));
    o.flags = 0;
    o.hrana_version = 4;
    ct_expect(LSQL_INVALID_OPTION, &e, lsql_db_open(&o, &db, &e));
    o.hrana_version = 0;
    ct_expect(LSQL_OK, &e, lsql_db_open(&o, &db, &e));
    lsql_db_opts got;
    lsql_db_opts_init(&got);
    assert_ok(lsql_db_opts_get(db, &got));
    assert_int_equal(got.mode, LSQL_MODE_REMOTE);
    assert_string_equal(got.url, f->url);
    lsql_db_close(db);
    fx_stop(f);
}

/* GET /v2, /v3, /v3-protobuf answered (200 or 404). */
static long probes(fx *f)
{
    return metric_settled(f, "lsqld_http_requests_total{endpoint=\"probe\",status=\"200\"} ") +
           metric_settled(f, "lsqld_http_requests_total{endpoint=\"probe\",status=\"404\"} ");
}

/* lsqld offers protobuf: chosen by default with one request at open (a
 * stream opened and closed); JSON and Hrana 2 when asked for, one request
 * each as well. lsql_db_opts_get reports what is in use. */
static void negotiation_with_lsqld(void **state)
{
    (void)state;
    fx *f = fx_start("remote-negotiate", NULL);
    static const struct {
        const char *suffix;
        int version, encoding;
        const char *endpoint;
    } cases[] = {
        {"", 3, LSQL_HRANA_PROTOBUF, PIPELINES_PB},
        {"?encoding=protobuf", 3, LSQL_HRANA_PROTOBUF, PIPELINES_PB},
        {"?encoding=json", 3, LSQL_HRANA_JSON, PIPELINES},
        {"?hrana=3", 3, LSQL_HRANA_PROTOBUF, PIPELINES_PB},
        {"?hrana=2", 2, LSQL_HRANA_JSON, PIPELINES},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long pb0 = metric_settled(f, PIPELINES_PB), js0 = metric_settled(f, PIPELINES);
        long probes0 = probes(f);
        char url[300];
        snprintf(url, sizeof url, "%s%s", f->url, cases[i].suffix);
        lsql_db *db = ct_open_url(url);
        lsql_db_opts o;
        lsql_db_opts_init(&o);
        assert_ok(lsql_db_opts_get(db, &o));
        assert_int_equal(o.hrana_version, cases[i].version);
        assert_int_equal(o.hrana_encoding, cases[i].encoding);
        long pb = metric_settled(f, PIPELINES_PB) - pb0, js = metric_settled(f, PIPELINES) - js0;
        assert_int_equal(pb + js, 1); /* one request per open */
        assert_int_equal(!strcmp(cases[i].endpoint, PIPELINES_PB) ? pb : js, 1);
        assert_int_equal(probes(f), probes0); /* no GET /v3-protobuf, /v3, /v2 */
        lsql_conn *c = ct_connect(db);
        assert_int_equal(ct_int(c, "SELECT 41 + 1"), 42);
        lsql_db_close(db);
    }
    fx_stop(f);
}

static void open_unreachable_server(void **state)
{
    (void)state;
    /* a port where nothing listens (lsqld started and stopped) */
    fx *f = fx_start("remote-unreachable", NULL);
    char url[300];
    snprintf(url, sizeof url, "%s?retries=1", f->url);
    lsqld_stop(f->t.s);
    f->t.s = NULL;
    lsql_db *db = NULL;
    lsql_error e;
    ct_expect(LSQL_HTTP_CONNECT, &e, lsql_db_open_url(url, &db, &e));
    assert_true(e.flags & LSQL_ERRF_RETRYABLE);
    assert_null(db);
    tu_db_remove(f->t.db);
    free(f);
}

static void tune_token(lsqld_config *c)
{
    static const char *tok = "s3cret-token";
    c->tokens[0] = tok;
    c->ntokens = 1;
}

static void open_with_token(void **state)
{
    (void)state;
    fx *f = fx_start("remote-token", tune_token);
    lsql_db *db = NULL;
    lsql_error e;
    /* no token, wrong token: refused at open, with the HTTP status */
    ct_expect(LSQL_AUTH_REMOTE, &e, lsql_db_open_url(f->url, &db, &e));
    assert_int_equal(e.http_status, 401);
    assert_false(e.flags & LSQL_ERRF_RETRYABLE);
    char url[400];
    snprintf(url, sizeof url, "%s?authToken=wrong", f->url);
    ct_expect(LSQL_AUTH_REMOTE, &e, lsql_db_open_url(url, &db, &e));
    snprintf(url, sizeof url, "%s?authToken=%%zz", f->url);
    ct_expect(LSQL_INVALID_URL, &e, lsql_db_open_url(url, &db, &e));
    snprintf(url, sizeof url, "%s?authToken=s3cret%%2Dtoken", f->url); /* %-escaped '-' */
    ct_expect(LSQL_OK, &e, lsql_db_open_url(url, &db, &e));
    lsql_db_close(db);
    /* the URL parameter and the option both work */
    snprintf(url, sizeof url, "%s?authToken=s3cret-token", f->url);
    ct_expect(LSQL_OK, &e, lsql_db_open_url(url, &db, &e));
    lsql_conn *c = ct_connect(db);
    assert_int_equal(ct_int(c, "SELECT 40 + 2"), 42);
    lsql_db_close(db);
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.mode = LSQL_MODE_REMOTE;
    o.url = f->url;
    o.auth_token = "s3cret-token";
    ct_expect(LSQL_OK, &e, lsql_db_open(&o, &db, &e));
    c = ct_connect(db);
    assert_int_equal(ct_int(c, "SELECT 7"), 7);
    lsql_db_close(db);
    fx_stop(f);
}

/* ---- values, metadata ------------------------------------------------------------ */

static void values_round_trip_in(int enc)
{
    fx *f = fx_start("remote-values", NULL);
    fx_connect(f, k_encodings[enc]);
    lsql_conn *c = f->c;
    lsql_error e;
    tu_exec(c, "CREATE TABLE v(id INTEGER PRIMARY KEY, i INTEGER, d REAL, t TEXT, b BLOB)");
    static const char txt[] = "h\0\xc3\xa9llo \xf0\x9f\x98\x80";
    static const unsigned char blob[] = {0, 1, 2, 0xff, 0, 0x80};
    lsql_param p[5] = {
        {NULL, lsql_int(INT64_MIN)},
        {NULL, lsql_float(5e-324)},
        {NULL, lsql_text(txt, sizeof txt - 1)},
        {NULL, lsql_blob(blob, sizeof blob)},
    };
    int64_t ch = -1;
    ct_expect(LSQL_OK, &e, lsql_exec(c, "INSERT INTO v(i, d, t, b) VALUES (?, ?, ?, ?)", p, 4,
                                     &ch, &e));
    assert_int_equal(ch, 1);
    int64_t rowid = 0;
    assert_ok(lsql_last_insert_rowid(c, &rowid));
    assert_int_equal(rowid, 1);
    lsql_param q[4] = {
        {":i", lsql_int(INT64_MAX)},
        {"d", lsql_float(1.7976931348623157e308)},
        {"$t", lsql_null()},
        {"@b", lsql_blob(NULL, 0)},
    };
    ct_expect(LSQL_OK, &e, lsql_exec(c, "INSERT INTO v(i, d, t, b) VALUES (:i, :d, $t, @b)", q,
                                     4, NULL, &e));
    assert_ok(lsql_last_insert_rowid(c, &rowid));
    assert_int_equal(rowid, 2);
    lsql_rows *rows;
    ct_expect(LSQL_OK, &e, lsql_query(c, "SELECT i, d, t, b, 1.0, NULL FROM v ORDER BY id", NULL,
                                      0, &rows, &e));
    assert_int_equal(lsql_rows_column_count(rows), 6);
    assert_string_equal(lsql_rows_column_name(rows, 1), "d");
    assert_string_equal(lsql_rows_column_decltype(rows, 1), "REAL");
    ct_expect(LSQL_ROW, &e, lsql_rows_next(rows, &e));
    lsql_value v;
    assert_ok(lsql_rows_get(rows, 0, &v));
    assert_int_equal(v.type, LSQL_TYPE_INTEGER);
    assert_true(v.u.i == INT64_MIN);
    assert_ok(lsql_rows_get(rows, 1, &v));
    assert_int_equal(v.type, LSQL_TYPE_FLOAT);
    assert_true(v.u.d == 5e-324);
    assert_ok(lsql_rows_get(rows, 2, &v));
    assert_int_equal(v.type, LSQL_TYPE_TEXT);
    assert_int_equal(v.u.bytes.n, sizeof txt - 1);
    assert_memory_equal(v.u.bytes.p, txt, sizeof txt - 1);
    assert_ok(lsql_rows_get(rows, 3, &v));
    assert_int_equal(v.type, LSQL_TYPE_BLOB);
    assert_int_equal(v.u.bytes.n, sizeof blob);
    assert_memory_equal(v.u.bytes.p, blob, sizeof blob);
    assert_ok(lsql_rows_get(rows, 4, &v));
    assert_int_equal(v.type, LSQL_TYPE_FLOAT); /* REAL stays REAL even when integral */
    assert_ok(lsql_rows_get(rows, 5, &v));
    assert_int_equal(v.type, LSQL_TYPE_NULL);
    ct_expect(LSQL_ROW, &e, lsql_rows_next(rows, &e));
    assert_ok(lsql_rows_get(rows, 0, &v));
    assert_true(v.u.i == INT64_MAX);
    assert_ok(lsql_rows_get(rows, 1, &v));
    assert_true(v.u.d == DBL_MAX);
    assert_ok(lsql_rows_get(rows, 2, &v));
    assert_int_equal(v.type, LSQL_TYPE_NULL);
    assert_ok(lsql_rows_get(rows, 3, &v));
    assert_int_equal(v.type, LSQL_TYPE_BLOB);
    assert_int_equal(v.u.bytes.n, 0);
    /* a number read as text is formatted like SQLite does */
    size_t n = 0;
    assert_string_equal(lsql_rows_text(rows, 0, &n), "9223372036854775807");
    ct_expect(LSQL_DONE, &e, lsql_rows_next(rows, &e));
    lsql_rows_free(rows);
    /* changes: UPDATE of 2 rows; a SELECT leaves it alone */
    ct_expect(LSQL_OK, &e, lsql_exec(c, "UPDATE v SET i = 0", NULL, 0, &ch, &e));
    assert_int_equal(ch, 2);
    assert_int_equal(ct_int(c, "SELECT count(*) FROM v"), 2);
    assert_ok(lsql_changes(c, &ch));
    assert_int_equal(ch, 2);
    int64_t total = 0;
    assert_ok(lsql_total_changes(c, &total));
    assert_int_equal(total, 4);
    fx_stop(f);
}

static void values_round_trip(void **state)
{
    (void)state;
    for (int enc = 0; enc < N_ENCODINGS; enc++)
        values_round_trip_in(enc);
}

static void no_remote_meaning(void **state)
{
    (void)state;
    fx *f = fx_start("remote-notsup", NULL);
    fx_connect(f, NULL);
    lsql_conn *c = f->c;
    void *h = (void *)1;
    assert_rc(LSQL_NOTSUP_BACKEND, lsql_conn_native_handle(c, &h));
    assert_null(h);
    int st = -1;
    assert_rc(LSQL_NOTSUP_BACKEND, lsql_txn_state(c, &st));
    assert_rc(LSQL_NOTSUP_BACKEND, lsql_conn_set_update_hook(c, NULL, NULL));
    tu_exec(c, "CREATE TABLE t(a INTEGER)");
    lsql_stmt *s;
    lsql_error e;
    ct_expect(LSQL_OK, &e, lsql_prepare(c, "SELECT a FROM t", -1, 0, &s, NULL, &e));
    assert_int_equal(lsql_column_count(s), 1);
    assert_string_equal(lsql_column_name(s, 0), "a");
    assert_string_equal(lsql_column_decltype(s, 0), "INTEGER");
    assert_null(lsql_column_table(s, 0));
    lsql_stmt_info info = {.struct_size = sizeof info};
    assert_ok(lsql_stmt_info_get(s, &info));
    assert_int_equal(info.kind, LSQL_KIND_SELECT);
    assert_true(info.readonly);
    assert_int_equal(info.column_count, 1);
    lsql_finalize(s);
    int ac = 0;
    assert_ok(lsql_is_autocommit(c, &ac));
    assert_int_equal(ac, 1);
    fx_stop(f);
}

/* ---- stored SQL, batches in one round trip ------------------------------------------ */

static void prepared_statement_reuses_stored_sql_in(int enc)
{
    fx *f = fx_start("remote-store", NULL);
    fx_connect(f, k_encodings[enc]);
    lsql_conn *c = f->c;
    tu_exec(c, "CREATE TABLE t(a INTEGER)");
    long store0 = metric(f, "type=\"store_sql\",result=\"ok\"} ");
    long desc0 = metric(f, "type=\"describe\",result=\"ok\"} ");
    lsql_stmt *s;
    lsql_error e;
    ct_expect(LSQL_OK, &e, lsql_prepare(c, "INSERT INTO t VALUES (?)", -1, 0, &s, NULL, &e));
    assert_int_equal(lsql_param_count(s), 1);
    long pipes0 = metric_settled(f, pipelines(f));
    for (int i = 0; i < 20; i++) {
        assert_ok(lsql_bind_int64(s, 1, i));
        ct_expect(LSQL_DONE, &e, lsql_step(s, &e));
        assert_ok(lsql_reset(s));
    }
    /* one request per execution, the SQL stored once and described once */
    assert_int_equal(metric_settled(f, pipelines(f)) - pipes0, 20);
    assert_int_equal(metric(f, "type=\"store_sql\",result=\"ok\"} ") - store0, 1);
    assert_int_equal(metric(f, "type=\"describe\",result=\"ok\"} ") - desc0, 1);
    assert_int_equal(ct_int(c, "SELECT sum(a) FROM t"), 190);
    lsql_finalize(s);
    fx_stop(f);
}

static void prepared_statement_reuses_stored_sql(void **state)
{
    (void)state;
    for (int enc = 0; enc < N_ENCODINGS; enc++)
        prepared_statement_reuses_stored_sql_in(enc);
}

static void batch_is_one_round_trip_in(int enc)
{
    fx *f = fx_start("remote-batch", NULL);
    fx_connect(f, k_encodings[enc]);
    lsql_conn *c = f->c;
    tu_exec(c, "CREATE TABLE t(a INTEGER UNIQUE)");
    lsql_batch *b;
    assert_ok(lsql_batch_new(&b));
    lsql_error e;
    for (int i = 0; i < 100; i++) {
        lsql_param p = {NULL, lsql_int(i)};
        assert_ok(lsql_batch_add(b, "INSERT INTO t VALUES (?)", &p, 1, &e));
    }
    long pipes0 = metric_settled(f, pipelines(f));
    lsql_batch_result *r;
    ct_expect(LSQL_OK, &e, lsql_batch_run(c, b, LSQL_BATCH_ATOMIC, &r, &e));
    assert_int_equal(metric_settled(f, pipelines(f)) - pipes0, 1);
    assert_int_equal(lsql_batch_result_count(r), 100);
    lsql_step_result sr = {.struct_size = sizeof sr};
    assert_ok(lsql_batch_result_step(r, 99, &sr));
    assert_int_equal(sr.changes, 1);
    assert_int_equal(sr.last_insert_rowid, 100);
    lsql_batch_result_free(r);
    /* atomic: a failure at step 50 applies nothing */
    lsql_batch_clear(b);
    for (int i = 100; i < 200; i++) {
        lsql_param p = {NULL, lsql_int(i == 150 ? 5 : i)};
        assert_ok(lsql_batch_add(b, "INSERT INTO t VALUES (?)", &p, 1, &e));
    }
    pipes0 = metric_settled(f, pipelines(f));
    ct_expect(LSQL_CONSTRAINT_UNIQUE, &e, lsql_batch_run(c, b, LSQL_BATCH_ATOMIC, &r, &e));
    assert_int_equal(metric_settled(f, pipelines(f)) - pipes0, 1);
    assert_int_equal(lsql_batch_result_failed_step(r), 50);
    assert_int_equal(e.constraint_kind, LSQL_CONSTRAINT_KIND_UNIQUE);
    assert_ok(lsql_batch_result_step(r, 51, &sr));
    assert_int_equal(sr.status, LSQL_TXN_SKIPPED);
    lsql_batch_result_free(r);
    assert_int_equal(ct_int(c, "SELECT count(*) FROM t"), 100);
    /* not atomic: the steps before the failure stay */
    ct_expect(LSQL_CONSTRAINT_UNIQUE, &e, lsql_batch_run(c, b, 0, &r, &e));
    assert_int_equal(lsql_batch_result_failed_step(r), 50);
    lsql_batch_result_free(r);
    assert_int_equal(ct_int(c, "SELECT count(*) FROM t"), 150);
    lsql_batch_free(b);
    /* a script: one request, one result per statement (the trigger's ';'
     * do not split it) */
    pipes0 = metric_settled(f, pipelines(f));
    ct_expect(LSQL_OK, &e,
              lsql_script_run(c,
                              "CREATE TABLE log(x);\n"
                              "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n"
                              "  INSERT INTO log VALUES (new.a); INSERT INTO log VALUES (0);\n"
                              "END;\n"
                              "-- a comment\n"
                              "INSERT INTO t VALUES (1000);",
                              LSQL_BATCH_ATOMIC, &r, &e));
    assert_int_equal(metric_settled(f, pipelines(f)) - pipes0, 1);
    assert_int_equal(lsql_batch_result_count(r), 3);
    assert_ok(lsql_batch_result_step(r, 1, &sr));
    assert_int_equal(sr.kind, LSQL_KIND_CREATE);
    assert_int_equal(sr.sql_offset, 21);
    lsql_batch_result_free(r);
    assert_int_equal(ct_int(c, "SELECT count(*) FROM log"), 2);
    fx_stop(f);
}

static void batch_is_one_round_trip(void **state)
{
    (void)state;
    for (int enc = 0; enc < N_ENCODINGS; enc++)
        batch_is_one_round_trip_in(enc);
}

/* ---- streams: expiry outside and inside a transaction -------------------------- */

static void tune_short_streams(lsqld_config *c) { c->stream_timeout_ms = 200; }

static void expire_streams(fx *f)
{
    usleep(400 * 1000);
    lsqld_reap_now(f->t.s);
}

static void expired_stream_outside_txn_is_replaced(void **state)
{
    (void)state;
    fx *f = fx_start("remote-expiry", tune_short_streams);
    fx_connect(f, NULL);
    lsql_conn *c = f->c;
    tu_exec(c, "CREATE TABLE t(a INTEGER)");
    lsql_stmt *s;
    lsql_error e;
    ct_expect(LSQL_OK, &e, lsql_prepare(c, "INSERT INTO t VALUES (?)", -1, 0, &s, NULL, &e));
    expire_streams(f);
    /* the stored SQL died with its stream: the statement still runs */
    assert_ok(lsql_bind_int64(s, 1, 1));
    ct_expect(LSQL_DONE, &e, lsql_step(s, &e));
    assert_ok(lsql_reset(s));
    expire_streams(f);
    assert_ok(lsql_bind_int64(s, 1, 2));
    ct_expect(LSQL_DONE, &e, lsql_step(s, &e));
    lsql_finalize(s);
    assert_int_equal(ct_int(c, "SELECT sum(a) FROM t"), 3);
    fx_stop(f);
}

static void expired_stream_inside_txn_is_lost(void **state)
{
    (void)state;
    fx *f = fx_start("remote-lost", tune_short_streams);
    fx_connect(f, NULL);
    lsql_conn *c = f->c;
    lsql_error e;
    tu_exec(c, "CREATE TABLE t(a INTEGER)");
    lsql_txn *tx;
    ct_expect(LSQL_OK, &e, lsql_begin(c, LSQL_BEGIN_IMMEDIATE, &tx, &e));
    tu_exec(c, "INSERT INTO t VALUES (1)");
    expire_streams(f);
    /* never a silent new stream: every call fails until the rollback */
    ct_expect(LSQL_TXN_LOST, &e, lsql_exec(c, "INSERT INTO t VALUES (2)", NULL, 0, NULL, &e));
    assert_false(e.flags & LSQL_ERRF_RETRYABLE);
    int64_t v;
    ct_expect(LSQL_TXN_LOST, &e, lsql_query_int64(c, "SELECT count(*) FROM t", NULL, 0, &v, &e));
    int ac = 1;
    assert_ok(lsql_is_autocommit(c, &ac));
    assert_int_equal(ac, 0);
    ct_expect(LSQL_TXN_LOST, &e, lsql_commit(c, tx, &e));
    ct_expect(LSQL_OK, &e, lsql_rollback(c, tx, &e));
    assert_ok(lsql_is_autocommit(c, &ac));
    assert_int_equal(ac, 1);
    /* the server rolled the insert back; the connection works again */
    assert_int_equal(ct_int(c, "SELECT count(*) FROM t"), 0);
    ct_expect(LSQL_OK, &e, lsql_begin(c, LSQL_BEGIN_DEFERRED, &tx, &e));
    tu_exec(c, "INSERT INTO t VALUES (3)");
    ct_expect(LSQL_OK, &e, lsql_commit(c, tx, &e));
    assert_int_equal(ct_int(c, "SELECT sum(a) FROM t"), 3);
    fx_stop(f);
}

/* The ROLLBACK itself is the first request to find the stream gone (before
 * the statement is prepared, then with a cached ROLLBACK): the server has
 * rolled the transaction back, which is what was asked, so it succeeds and
 * the connection is clean (what a pool's release relies on). */
static void rollback_that_finds_the_stream_lost(void **state)
{
    (void)state;
    fx *f = fx_start("remote-lost-rb", tune_short_streams);
    fx_connect(f, NULL);
    lsql_conn *c = f->c;
    lsql_error e;
    tu_exec(c, "CREATE TABLE t(a INTEGER)");
    for (int round = 0; round < 2; round++) { /* 0: ROLLBACK prepared now, 1: cached */
        lsql_txn *tx;
        ct_expect(LSQL_OK, &e, lsql_begin(c, LSQL_BEGIN_IMMEDIATE, &tx, &e));
        tu_exec(c, "INSERT INTO t VALUES (1)");
        expire_streams(f);
        ct_expect(LSQL_OK, &e, lsql_rollback(c, tx, &e));
        lsql_txn_free(tx);
        int ac = 0;
        assert_ok(lsql_is_autocommit(c, &ac));
        assert_int_equal(ac, 1);
        assert_int_equal(ct_int(c, "SELECT count(*) FROM t"), 0);
    }
    /* the same through a plain ROLLBACK statement */
    tu_exec(c, "BEGIN");
    tu_exec(c, "INSERT INTO t VALUES (1)");
    expire_streams(f);
    ct_expect(LSQL_OK, &e, lsql_exec(c, "ROLLBACK", NULL, 0, NULL, &e));
    assert_int_equal(ct_int(c, "SELECT count(*) FROM t"), 0);
    fx_stop(f);
}

static void close_rolls_back_on_the_server(void **state)
{
    (void)state;
    fx *f = fx_start("remote-close", NULL);
    fx_connect(f, NULL);
    tu_exec(f->c, "CREATE TABLE t(a INTEGER)");
    lsql_conn *c2 = ct_connect(f->db);
    lsql_txn *tx;
    lsql_error e;
    ct_expect(LSQL_OK, &e, lsql_begin(c2, LSQL_BEGIN_IMMEDIATE, &tx, &e));
    tu_exec(c2, "INSERT INTO t VALUES (1)");
    size_t streams = lsqld_stream_count(f->t.s);
    assert_true(streams >= 1);
    assert_ok(lsql_conn_close(c2));
    assert_int_equal(lsqld_stream_count(f->t.s), streams - 1);
    /* the write lock is free again and nothing was committed */
    tu_exec(f->c, "INSERT INTO t VALUES (2)");
    assert_int_equal(ct_int(f->c, "SELECT sum(a) FROM t"), 2);
    fx_stop(f);
}

/* ---- Hrana 2 ---------------------------------------------------------------------- */

static void hrana2_server(void **state)
{
    (void)state;
    fx *f = fx_start("remote-v2", NULL);
    fx_connect(f, "?hrana=2");
    lsql_conn *c = f->c;
    lsql_error e;
    long v2 = metric(f, "lsqld_http_requests_total{endpoint=\"pipeline\",status=\"200\"} ");
    tu_exec(c, "CREATE TABLE t(a INTEGER)");
    assert_true(metric(f, PIPELINES) > v2);
    lsql_txn *tx;
    ct_expect(LSQL_OK, &e, lsql_begin(c, LSQL_BEGIN_IMMEDIATE, &tx, &e));
    int ac = 1;
    assert_ok(lsql_is_autocommit(c, &ac));
    assert_int_equal(ac, 0);
    tu_exec(c, "INSERT INTO t VALUES (1), (2)");
    ct_expect(LSQL_OK, &e, lsql_commit(c, tx, &e));
    assert_ok(lsql_is_autocommit(c, &ac));
    assert_int_equal(ac, 1);
    /* a cursor works (rows fetched whole: no cursor endpoint in Hrana 2) */
    lsql_cursor *cur;
    ct_expect(LSQL_OK, &e, lsql_cursor_open(c, "SELECT a FROM t ORDER BY a", NULL, 0, &cur, &e));
    const lsql_rowset *page;
    ct_expect(LSQL_ROW, &e, lsql_cursor_fetch(cur, 10, &page, &e));
    assert_int_equal(lsql_rowset_count(page), 2);
    ct_expect(LSQL_DONE, &e, lsql_cursor_fetch(cur, 10, &page, &e));
    lsql_cursor_close(cur);
    assert_int_equal(metric(f, "endpoint=\"cursor\",status=\"200\"} "), 0);
    fx_stop(f);
}

/* ---- cursors ------------------------------------------------------------------------ */

static void cursor_streams_and_interleaves_in(int enc)
{
    fx *f = fx_start("remote-cursor", NULL);
    fx_connect(f, k_encodings[enc]);
    lsql_conn *c = f->c;
    lsql_error e;
    lsql_cursor *cur;
    ct_expect(LSQL_OK, &e,
              lsql_cursor_open(c,
                               "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
                               "WHERE x < 20000) SELECT x, 'row ' || x FROM n",
                               NULL, 0, &cur, &e));
    const lsql_rowset *page;
    int64_t next = 1;
    int pages = 0;
    int rc;
    while ((rc = lsql_cursor_fetch(cur, 1000, &page, &e)) == LSQL_ROW) {
        for (size_t i = 0; i < lsql_rowset_count(page); i++)
            assert_int_equal(lsql_rowset_int64(page, i, 0), next++);
        /* another request on the connection in the middle of the stream */
        if (++pages == 3)
            assert_int_equal(ct_int(c, "SELECT 5"), 5);
    }
    assert_int_equal(rc, LSQL_DONE);
    assert_int_equal(next, 20001);
    assert_int_equal(lsql_cursor_rows_read(cur), 20000);
    lsql_cursor_close(cur);
    assert_true(metric(f, cursors(f)) >= 1);
    /* an error in the middle of the rows arrives after the rows before it */
    ct_expect(LSQL_OK, &e,
              lsql_cursor_open(c,
                               "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
                               "WHERE x < 5) SELECT CASE WHEN x = 3 THEN "
                               "abs(-9223372036854775808) ELSE x END FROM n",
                               NULL, 0, &cur, &e));
    ct_err_garbage(&e);
    rc = lsql_cursor_fetch(cur, 100, &page, &e);
    if (rc == LSQL_ROW) {
        assert_int_equal(lsql_rowset_count(page), 2);
        rc = lsql_cursor_fetch(cur, 100, &page, &e);
    }
    assert_int_equal(LSQL_CLASS(rc), LSQL_ERROR);
    assert_non_null(strstr(e.message, "overflow"));
    lsql_cursor_close(cur);
    /* the same SQL run as a plain query afterwards is not streamed */
    ct_expect(LSQL_OK, &e, lsql_cursor_open(c, "SELECT 5 AS v", NULL, 0, &cur, &e));
    ct_expect(LSQL_ROW, &e, lsql_cursor_fetch(cur, 10, &page, &e));
    lsql_cursor_close(cur);
    long ncur = metric_settled(f, cursors(f));
    assert_int_equal(ct_int(c, "SELECT 5 AS v"), 5);
    assert_int_equal(metric_settled(f, cursors(f)), ncur);
    /* closing a cursor before its end leaves the connection usable */
    ct_expect(LSQL_OK, &e,
              lsql_cursor_open(c,
                               "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
                               "WHERE x < 100000) SELECT x FROM n",
                               NULL, 0, &cur, &e));
    ct_expect(LSQL_ROW, &e, lsql_cursor_fetch(cur, 10, &page, &e));
    lsql_cursor_close(cur);
    assert_int_equal(ct_int(c, "SELECT 6"), 6);
    fx_stop(f);
}

static void cursor_streams_and_interleaves(void **state)
{
    (void)state;
    for (int enc = 0; enc < N_ENCODINGS; enc++)
        cursor_streams_and_interleaves_in(enc);
}

/* Another request while a cursor streams reads the cursor's rest into
 * memory -- at most max_response bytes of it; beyond, the cursor fails with
 * LSQL_HTTP_TOO_LARGE after the rows it holds, and the other request works. */
static void cursor_rest_bounded_in(int enc)
{
    fx *f = fx_start("remote-cursor-cap", NULL);
    char sfx[128];
    suffix(sfx, sizeof sfx, enc, "max_response=65536");
    fx_connect(f, sfx);
    lsql_conn *c = f->c;
    lsql_error e;
    lsql_cursor *cur;
    ct_expect(LSQL_OK, &e,
              lsql_cursor_open(c,
                               "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
                               "WHERE x < 200000) SELECT x, 'row ' || x FROM n",
                               NULL, 0, &cur, &e));
    const lsql_rowset *page;
    ct_expect(LSQL_ROW, &e, lsql_cursor_fetch(cur, 10, &page, &e));
    assert_int_equal(ct_int(c, "SELECT 6"), 6);
    int rc;
    uint64_t before = lsql_cursor_rows_read(cur);
    while ((rc = lsql_cursor_fetch(cur, 1000, &page, &e)) == LSQL_ROW)
        ;
    assert_int_equal(rc, LSQL_HTTP_TOO_LARGE);
    assert_true(lsql_cursor_rows_read(cur) > before); /* the rows held were handed out */
    assert_true(lsql_cursor_rows_read(cur) < 200000);
    lsql_cursor_close(cur);
    assert_int_equal(ct_int(c, "SELECT 7"), 7);
    fx_stop(f);
}

static void cursor_rest_bounded(void **state)
{
    (void)state;
    for (int enc = 0; enc < N_ENCODINGS; enc++)
        cursor_rest_bounded_in(enc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(open_url_forms_and_errors),
        cmocka_unit_test(negotiation_with_lsqld),
        cmocka_unit_test(open_unreachable_server),
        cmocka_unit_test(open_with_token),
        cmocka_unit_test(values_round_trip),
        cmocka_unit_test(no_remote_meaning),
        cmocka_unit_test(prepared_statement_reuses_stored_sql),
        cmocka_unit_test(batch_is_one_round_trip),
        cmocka_unit_test(expired_stream_outside_txn_is_replaced),
        cmocka_unit_test(expired_stream_inside_txn_is_lost),
        cmocka_unit_test(rollback_that_finds_the_stream_lost),
        cmocka_unit_test(close_rolls_back_on_the_server),
        cmocka_unit_test(hrana2_server),
        cmocka_unit_test(cursor_streams_and_interleaves),
        cmocka_unit_test(cursor_rest_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
