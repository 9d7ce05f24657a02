/* test_pool.c -- the pool of idle connections: streams reuse connections,
 * and a reused connection shows nothing of the streams before it (TEMP
 * objects, open or read-only transactions, savepoints, query_only and other
 * PRAGMAs, stored SQL, last_insert_rowid, the write lock); the bound and
 * the idle timeout; broken connections are closed, not reused; read-only
 * tokens use the read-only database's pool; many threads at once. */
#include "srv_testutil.h"

#include <pthread.h>
#include <sodium.h>

#include "server_int.h"

/* A labelled metric of /metrics ("name{db=\"rw\"}"); -1 when missing. */
static long metric_db(int port, const char *name, const char *db)
{
    tresp r;
    ts_http(port, "GET", "/metrics", NULL, 0, NULL, &r);
    char key[160];
    snprintf(key, sizeof key, "\n%s{db=\"%s\"} ", name, db);
    const char *p = strstr(r.body, key);
    long v = p ? strtol(p + strlen(key), NULL, 10) : -1;
    ts_free(&r);
    return v;
}

static long opened(tsrv *t)
{
    return metric_db(t->port, "lsqld_db_connections_opened_total", "rw");
}

static long unsafe(tsrv *t)
{
    return metric_db(t->port, "lsqld_db_connections_unsafe_total", "rw");
}

/* The one value of a one-row result of `sql` on a new stream. */
static char *value_of(tsrv *t, const char *sql)
{
    json_t *s = json_pack("{s:s}", "sql", sql);
    char *stmt = json_dumps(s, JSON_COMPACT);
    json_t *j = ts_exec(t, stmt);
    if (strcmp(jstr(j, "results[0].type"), "ok"))
        fail_msg("%s: %s", sql, json_dumps(j, JSON_COMPACT));
    json_t *v = jget(j, "results[0].response.result.rows[0][0]");
    char *out = strdup(json_is_null(jget(v, "value")) || !jget(v, "value")
                           ? "null"
                           : json_string_value(jget(v, "value")));
    json_decref(j);
    free(stmt);
    json_decref(s);
    return out;
}

static void want_value(tsrv *t, const char *sql, const char *want)
{
    char *got = value_of(t, sql);
    if (strcmp(got, want))
        fail_msg("%s: got %s, want %s", sql, got, want);
    free(got);
}

/* A pipeline on a new stream that must answer 200 with every result ok. */
static void run_ok(tsrv *t, const char *requests)
{
    long st;
    json_t *j = ts_pipeline(t, NULL, requests, &st);
    assert_int_equal(st, 200);
    json_t *res = jget(j, "results");
    for (size_t i = 0; i < json_array_size(res); i++)
        if (strcmp(json_string_value(jget(json_array_get(res, i), "type")), "ok"))
            fail_msg("%s: %s", requests, json_dumps(j, JSON_COMPACT));
    json_decref(j);
}

/* A configuration where every stream gets the same connection. */
static void config_one(tsrv *t, lsqld_config *c, const char *name)
{
    ts_config(c, t, name);
    c->idle_connections = 1;
    c->idle_timeout_ms = 0;
}

static void start_one(tsrv *t, lsqld_config *c, const char *name)
{
    config_one(t, c, name);
    ts_start(t, c);
}

/* Streams run one after the other reuse one connection. */
static void test_reuse(void **state)
{
    (void)state;
    tsrv t;
    lsqld_config c;
    start_one(&t, &c, "pool_reuse");
    ts_sql(&t, "CREATE TABLE t(a INTEGER PRIMARY KEY, b)");
    for (int i = 0; i < 20; i++)
        want_value(&t, "SELECT count(*) FROM t", "0");
    assert_int_equal(opened(&t), 1);
    assert_true(metric_db(t.port, "lsqld_db_connections_reused_total", "rw") >= 20);
    assert_int_equal(lsqld_idle_connections(t.s, 0), 1);
    assert_int_equal(lsqld_idle_connections(t.s, 1), 0); /* no read-only database */
    assert_int_equal(lsqld_stream_count(t.s), 0);
    ts_stop(&t);
}

static void test_isolation_temp(void **state)
{
    (void)state;
    tsrv t;
    lsqld_config c;
    start_one(&t, &c, "pool_temp");
    ts_sql(&t, "CREATE TABLE t(a INTEGER PRIMARY KEY, b)");
    run_ok(&t, "{\"type\":\"sequence\",\"sql\":\"CREATE TEMP TABLE tt(x); INSERT INTO tt VALUES (1);"
               " CREATE TEMP VIEW tv AS SELECT x FROM tt; CREATE TEMP TRIGGER tg AFTER INSERT ON"
               " main.t BEGIN INSERT INTO tt VALUES (new.a); END; CREATE INDEX temp.ti ON tt(x)\"},"
               "{\"type\":\"close\"}");
    want_value(&t, "SELECT count(*) FROM temp.sqlite_schema", "0");
    json_t *j = ts_exec(&t, "{\"sql\":\"SELECT * FROM tt\"}");
    assert_string_equal(jstr(j, "results[0].type"), "error");
    json_decref(j);
    /* the trigger is gone: inserting into t does not fail on a missing tt */
    ts_sql(&t, "INSERT INTO t(b) VALUES ('x')");
    /* the same names can be created again */
    run_ok(&t, "{\"type\":\"sequence\",\"sql\":\"CREATE TEMP TABLE tt(y)\"},{\"type\":\"close\"}");
    want_value(&t, "SELECT count(*) FROM temp.sqlite_schema", "0");
    assert_int_equal(opened(&t), 1);
    ts_stop(&t);
}

static void test_isolation_transactions(void **state)
{
    (void)state;
    tsrv t;
    lsqld_config c;
    config_one(&t, &c, "pool_txn");
    c.writer_timeout_ms = 2000;
    ts_start(&t, &c);
    ts_sql(&t, "CREATE TABLE t(a INTEGER PRIMARY KEY, b)");
    /* an open write transaction, closed without COMMIT */
    long st;
    json_t *j = ts_pipeline(&t, NULL,
                            "{\"type\":\"execute\",\"stmt\":{\"sql\":\"BEGIN\"}},"
                            "{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO t(b) VALUES ('leak')\"}}",
                            &st);
    assert_int_equal(st, 200);
    char b[128];
    ts_baton(j, b, sizeof b);
    json_decref(j);
    j = ts_pipeline(&t, b, "{\"type\":\"close\"}", &st);
    assert_int_equal(st, 200);
    json_decref(j);
    want_value(&t, "SELECT count(*) FROM t", "0");
    j = ts_pipeline(&t, NULL, "{\"type\":\"get_autocommit\"},{\"type\":\"close\"}", &st);
    assert_true(json_is_true(jget(j, "results[0].response.is_autocommit")));
    json_decref(j);
    /* the write lock was given back */
    ts_sql(&t, "INSERT INTO t(b) VALUES ('ok')");
    want_value(&t, "SELECT count(*) FROM t", "1");

    /* closed in the same pipeline as BEGIN, and with a savepoint */
    run_ok(&t, "{\"type\":\"execute\",\"stmt\":{\"sql\":\"BEGIN IMMEDIATE\"}},"
               "{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO t(b) VALUES ('leak')\"}},"
               "{\"type\":\"close\"}");
    run_ok(&t, "{\"type\":\"execute\",\"stmt\":{\"sql\":\"SAVEPOINT sp\"}},"
               "{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO t(b) VALUES ('leak')\"}},"
               "{\"type\":\"close\"}");
    want_value(&t, "SELECT count(*) FROM t", "1");

    /* a read-only transaction (query_only=ON until it ends), left open */
    run_ok(&t, "{\"type\":\"execute\",\"stmt\":{\"sql\":\"BEGIN TRANSACTION READONLY\"}},"
               "{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT count(*) FROM t\"}},"
               "{\"type\":\"close\"}");
    run_ok(&t, "{\"type\":\"execute\",\"stmt\":{\"sql\":\"BEGIN READONLY\"}},{\"type\":\"close\"}");
    want_value(&t, "PRAGMA query_only", "0");
    ts_sql(&t, "INSERT INTO t(b) VALUES ('ok')");
    want_value(&t, "SELECT count(*) FROM t", "2");
    /* none of this needed a new connection */
    assert_int_equal(opened(&t), 1);
    assert_int_equal(unsafe(&t), 0);
    ts_stop(&t);
}

static void test_isolation_expired(void **state)
{
    (void)state;
    tsrv t;
    lsqld_config c;
    config_one(&t, &c, "pool_expired");
    c.stream_timeout_ms = 1;
    ts_start(&t, &c);
    ts_sql(&t, "CREATE TABLE t(a INTEGER PRIMARY KEY, b)");
    long st;
    json_t *j = ts_pipeline(&t, NULL,
                            "{\"type\":\"execute\",\"stmt\":{\"sql\":\"BEGIN IMMEDIATE\"}},"
                            "{\"type\":\"execute\",\"stmt\":{\"sql\":\"CREATE TEMP TABLE tt(x)\"}},"
                            "{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO t(b) VALUES ('leak')\"}}",
                            &st);
    assert_int_equal(st, 200);
    json_decref(j);
    for (int i = 0; i < 5000 && lsqld_stream_count(t.s) > 0; i++) {
        lsqld_reap_now(t.s);
        usleep(1000);
    }
    assert_int_equal(lsqld_stream_count(t.s), 0);
    assert_int_equal(lsqld_idle_connections(t.s, 0), 1);
    want_value(&t, "SELECT count(*) FROM t", "0");
    want_value(&t, "SELECT count(*) FROM temp.sqlite_schema", "0");
    ts_sql(&t, "INSERT INTO t(b) VALUES ('ok')");
    assert_int_equal(opened(&t), 1);
    ts_stop(&t);
}

static void test_isolation_pragmas(void **state)
{
    (void)state;
    tsrv t;
    lsqld_config c;
    start_one(&t, &c, "pool_pragma");
    ts_sql(&t, "CREATE TABLE t(a INTEGER PRIMARY KEY, b)");
    /* reading PRAGMAs keeps the connection */
    run_ok(&t, "{\"type\":\"execute\",\"stmt\":{\"sql\":\"PRAGMA table_info(t)\"}},"
               "{\"type\":\"execute\",\"stmt\":{\"sql\":\"PRAGMA main.foreign_keys\"}},"
               "{\"type\":\"execute\",\"stmt\":{\"sql\":\"PRAGMA integrity_check(10)\"}},"
               "{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT * FROM pragma_index_list('t')\"}},"
               "{\"type\":\"close\"}");
    assert_int_equal(opened(&t), 1);
    assert_int_equal(unsafe(&t), 0);
    /* a setting changed by the client: the connection is not reused */
    run_ok(&t, "{\"type\":\"execute\",\"stmt\":{\"sql\":\"PRAGMA query_only=ON\"}},{\"type\":\"close\"}");
    assert_int_equal(unsafe(&t), 1);
    want_value(&t, "PRAGMA query_only", "0");
    ts_sql(&t, "INSERT INTO t(b) VALUES ('written')");
    run_ok(&t, "{\"type\":\"sequence\",\"sql\":\"PRAGMA foreign_keys = OFF\"},{\"type\":\"close\"}");
    want_value(&t, "PRAGMA foreign_keys", "1");
    run_ok(&t, "{\"type\":\"execute\",\"stmt\":{\"sql\":\"PRAGMA temp.cache_size(-100)\"}},"
               "{\"type\":\"close\"}");
    /* a quoted name, the opposite of the default */
    char *dflt = value_of(&t, "PRAGMA recursive_triggers");
    char req[256];
    snprintf(req, sizeof req,
             "{\"type\":\"execute\",\"stmt\":{\"sql\":\"pragma \\\"recursive_triggers\\\"=%d\"}},"
             "{\"type\":\"close\"}",
             !strcmp(dflt, "0"));
    run_ok(&t, req);
    want_value(&t, "PRAGMA recursive_triggers", dflt);
    free(dflt);
    assert_int_equal(unsafe(&t), 4);
    assert_int_equal(opened(&t), 5);
    assert_int_equal(lsqld_idle_connections(t.s, 0), 1);
    ts_stop(&t);
}

static void test_isolation_stream_state(void **state)
{
    (void)state;
    tsrv t;
    lsqld_config c;
    start_one(&t, &c, "pool_state");
    ts_sql(&t, "CREATE TABLE t(a INTEGER PRIMARY KEY, b)");
    /* stored SQL belongs to the stream */
    run_ok(&t, "{\"type\":\"store_sql\",\"sql_id\":7,\"sql\":\"SELECT 42\"},"
               "{\"type\":\"execute\",\"stmt\":{\"sql_id\":7}},{\"type\":\"close\"}");
    long st;
    json_t *j = ts_pipeline(&t, NULL, "{\"type\":\"execute\",\"stmt\":{\"sql_id\":7}},{\"type\":\"close\"}",
                            &st);
    assert_int_equal(st, 200);
    assert_string_equal(jstr(j, "results[0].type"), "error");
    assert_string_equal(jstr(j, "results[0].error.code"), "SQL_NOT_FOUND");
    json_decref(j);
    /* last_insert_rowid() of an earlier stream does not show */
    ts_sql(&t, "INSERT INTO t(a, b) VALUES (41, 'x')");
    want_value(&t, "SELECT last_insert_rowid()", "0");
    /* new stream ids and batons for every stream */
    char b1[128], b2[128];
    j = ts_pipeline(&t, NULL, "", &st);
    ts_baton(j, b1, sizeof b1);
    json_decref(j);
    j = ts_pipeline(&t, b1, "{\"type\":\"close\"}", &st);
    json_decref(j);
    j = ts_pipeline(&t, NULL, "", &st);
    ts_baton(j, b2, sizeof b2);
    json_decref(j);
    assert_string_not_equal(b1, b2);
    j = ts_pipeline(&t, b1, "", &st); /* the old stream stays closed */
    assert_int_equal(st, 400);
    assert_string_equal(jstr(j, "code"), "STREAM_CLOSED");
    json_decref(j);
    j = ts_pipeline(&t, b2, "{\"type\":\"close\"}", &st);
    assert_int_equal(st, 200);
    json_decref(j);
    assert_int_equal(opened(&t), 1);
    ts_stop(&t);
}

typedef struct baton {
    char s[LSQLD_BATON_LEN + 1];
} baton;

/* Opens n streams (each holding a connection); batons into b. */
static void open_streams(tsrv *t, int n, baton *b)
{
    for (int i = 0; i < n; i++) {
        long st;
        json_t *j = ts_pipeline(t, NULL, "{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT 1\"}}", &st);
        assert_int_equal(st, 200);
        ts_baton(j, b[i].s, sizeof b[i].s);
        json_decref(j);
    }
}

static void close_streams(tsrv *t, int n, baton *b)
{
    for (int i = 0; i < n; i++) {
        long st;
        char one[LSQLD_BATON_LEN + 1];
        memcpy(one, b[i].s, sizeof one);
        json_t *j = ts_pipeline(t, one, "{\"type\":\"close\"}", &st);
        assert_int_equal(st, 200);
        json_decref(j);
    }
}

static void test_bound(void **state)
{
    (void)state;
    baton b[6];
    /* no idle timeout: exactly `idle_connections` stay */
    tsrv t;
    lsqld_config c;
    ts_config(&c, &t, "pool_bound");
    c.idle_connections = 2;
    c.idle_timeout_ms = 0;
    ts_start(&t, &c);
    open_streams(&t, 5, b);
    assert_int_equal(opened(&t), 5);
    close_streams(&t, 5, b);
    assert_int_equal(lsqld_idle_connections(t.s, 0), 2);
    assert_int_equal(metric_db(t.port, "lsqld_db_connections_closed_total", "rw"), 3);
    assert_int_equal(unsafe(&t), 0);
    open_streams(&t, 2, b); /* served by the idle ones */
    assert_int_equal(opened(&t), 5);
    assert_int_equal(lsqld_idle_connections(t.s, 0), 0);
    close_streams(&t, 2, b);
    ts_stop(&t);

    /* with an idle timeout: more stay while in use, down to 2 after it */
    ts_config(&c, &t, "pool_bound2");
    c.idle_connections = 2;
    c.idle_timeout_ms = 3600 * 1000;
    c.max_connections = 4; /* and never more than one per HTTP connection */
    ts_start(&t, &c);
    /* all requests on one kept-alive connection: with separate ones, a
     * connection just closed by the client may still count against the
     * limit of 4 and the next one be refused */
    ts_keepalive_begin();
    open_streams(&t, 6, b);
    close_streams(&t, 6, b);
    assert_int_equal(lsqld_idle_connections(t.s, 0), 4);
    lsqld_pool_trim(&t.s->pool_rw, lsqld_now_ms()); /* recently used: kept */
    assert_int_equal(lsqld_idle_connections(t.s, 0), 4);
    lsqld_pool_trim(&t.s->pool_rw, lsqld_now_ms() + 3601 * 1000);
    assert_int_equal(lsqld_idle_connections(t.s, 0), 2);
    lsqld_pool_trim(&t.s->pool_rw, lsqld_now_ms() + 7200 * 1000);
    assert_int_equal(lsqld_idle_connections(t.s, 0), 2);
    assert_int_equal(metric_db(t.port, "lsqld_db_connections_closed_total", "rw"), 4);
    want_value(&t, "SELECT 5", "5");
    assert_int_equal(opened(&t), 6);
    assert_int_equal(ts_keepalive_end(), 1);
    ts_stop(&t);
}

/* A connection that met a fatal error (here: the schema became corrupt) is
 * closed instead of going back to the pool. */
static void test_broken(void **state)
{
    (void)state;
    tsrv t;
    lsqld_config c;
    ts_config(&c, &t, "pool_broken");
    c.idle_connections = 2;
    c.idle_timeout_ms = 0;
    ts_start(&t, &c);
    ts_sql(&t, "CREATE TABLE c(a)");
    baton b[2];
    open_streams(&t, 2, b);
    close_streams(&t, 2, b);
    assert_int_equal(lsqld_idle_connections(t.s, 0), 2);
    /* writable_schema taints its own connection (closed); the other idle
     * one still has the old schema */
    run_ok(&t, "{\"type\":\"sequence\",\"sql\":\"PRAGMA writable_schema=ON; UPDATE sqlite_schema "
               "SET sql = 'CREATE TABLE c(a' WHERE name = 'c'; PRAGMA schema_version = 1000; "
               "PRAGMA writable_schema=OFF\"},{\"type\":\"close\"}");
    assert_int_equal(unsafe(&t), 1);
    assert_int_equal(lsqld_idle_connections(t.s, 0), 1);
    long st;
    json_t *j = ts_pipeline(&t, NULL, "{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT * FROM c\"}},"
                                      "{\"type\":\"close\"}",
                            &st);
    assert_int_equal(st, 200);
    assert_string_equal(jstr(j, "results[0].type"), "error");
    assert_string_equal(jstr(j, "results[0].error.code"), "SQLITE_CORRUPT");
    json_decref(j);
    assert_int_equal(unsafe(&t), 2);
    assert_int_equal(lsqld_idle_connections(t.s, 0), 0);
    /* new connections cannot be opened on this database any more */
    j = ts_pipeline(&t, NULL, "{\"type\":\"close\"}", &st);
    assert_int_equal(st, 500);
    json_decref(j);
    assert_int_equal(lsqld_stream_count(t.s), 0);
    ts_stop(&t);
}

/* The pool itself: a connection marked broken (or tainted) is closed. */
static void test_pool_unit(void **state)
{
    (void)state;
    tsrv t;
    lsqld_config c;
    ts_config(&c, &t, "pool_unit");
    c.idle_connections = 4;
    c.idle_timeout_ms = 0;
    ts_start(&t, &c);
    lsqld_pool *p = &t.s->pool_rw;
    lsqld_pconn *a, *b2;
    lsql_error err;
    assert_int_equal(lsqld_pool_take(p, &a, &err), 0);
    assert_int_equal(lsqld_pool_take(p, &b2, &err), 0);
    assert_ptr_not_equal(a, b2);
    lsqld_pool_put(a, 0);
    assert_int_equal(lsqld_pool_idle(p), 1);
    lsqld_pconn *again;
    assert_int_equal(lsqld_pool_take(p, &again, &err), 0);
    assert_ptr_equal(again, a); /* the warm one */
    assert_int_equal(again->uses, 2);
    again->broken = 1;
    lsqld_pool_put(again, 0);
    assert_int_equal(lsqld_pool_idle(p), 0);
    b2->tainted = 1;
    lsqld_pool_put(b2, 0);
    assert_int_equal(lsqld_pool_idle(p), 0);
    assert_int_equal(atomic_load(&p->rejected), 2);
    /* an error class decides */
    assert_int_equal(lsqld_pool_take(p, &a, &err), 0);
    lsqld_pconn_note_error(a, LSQL_CONSTRAINT_UNIQUE);
    lsqld_pconn_note_error(a, LSQL_BUSY_SNAPSHOT);
    lsqld_pconn_note_error(a, LSQL_INTERRUPTED);
    assert_int_equal(a->broken, 0);
    lsqld_pconn_note_error(a, LSQL_IOERR_NOMEM);
    assert_int_equal(a->broken, 1);
    lsqld_pool_put(a, 0);
    assert_int_equal(lsqld_pool_idle(p), 0);
    ts_stop(&t);
}

static unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];

static void b64url(const void *p, size_t n, char *out, size_t cap)
{
    sodium_bin2base64(out, cap, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* "Bearer <JWT with payload>" */
static void bearer(const char *payload, char *out, size_t cap)
{
    char h[256], pl[512], signing[1024], sig64[256];
    const char *hdr = "{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}";
    b64url(hdr, strlen(hdr), h, sizeof h);
    b64url(payload, strlen(payload), pl, sizeof pl);
    snprintf(signing, sizeof signing, "%s.%s", h, pl);
    unsigned char sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, NULL, (const unsigned char *)signing, strlen(signing), sk);
    b64url(sig, sizeof sig, sig64, sizeof sig64);
    snprintf(out, cap, "Bearer %s.%s", signing, sig64);
}

static json_t *exec_as(tsrv *t, const char *auth, const char *sql)
{
    char req[1024];
    snprintf(req, sizeof req,
             "{\"type\":\"execute\",\"stmt\":{\"sql\":\"%s\"}},{\"type\":\"close\"}", sql);
    long st;
    json_t *j = ts_pipeline_v(t->port, "/v2/pipeline", auth, NULL, req, &st);
    assert_int_equal(st, 200);
    return j;
}

/* Read-only tokens: their own pool, on the read-only database. */
static void test_readonly_pool(void **state)
{
    (void)state;
    assert_true(sodium_init() >= 0);
    crypto_sign_keypair(pk, sk);
    tsrv t;
    lsqld_config c;
    ts_config(&c, &t, "pool_ro");
    c.has_jwt_key = 1;
    memcpy(c.jwt_key, pk, 32);
    c.idle_connections = 1;
    c.idle_timeout_ms = 0;
    ts_start(&t, &c);
    char ro[1024], rw[1024];
    bearer("{\"a\":\"ro\"}", ro, sizeof ro);
    bearer("{\"a\":\"rw\"}", rw, sizeof rw);
    json_t *j = exec_as(&t, rw, "CREATE TABLE t(a)");
    assert_string_equal(jstr(j, "results[0].type"), "ok");
    json_decref(j);
    for (int i = 0; i < 3; i++) {
        j = exec_as(&t, ro, "SELECT count(*) FROM t");
        assert_string_equal(jstr(j, "results[0].response.result.rows[0][0].value"), "0");
        json_decref(j);
        j = exec_as(&t, ro, "INSERT INTO t VALUES (1)");
        assert_string_equal(jstr(j, "results[0].error.code"), "SQLITE_READONLY");
        json_decref(j);
    }
    /* TEMP objects of a read-only stream do not outlive it either */
    j = exec_as(&t, ro, "CREATE TEMP TABLE tt(x)");
    assert_string_equal(jstr(j, "results[0].type"), "ok");
    json_decref(j);
    j = exec_as(&t, ro, "SELECT count(*) FROM temp.sqlite_schema");
    assert_string_equal(jstr(j, "results[0].response.result.rows[0][0].value"), "0");
    json_decref(j);
    assert_int_equal(metric_db(t.port, "lsqld_db_connections_opened_total", "ro"), 1);
    assert_true(metric_db(t.port, "lsqld_db_connections_reused_total", "ro") >= 7);
    assert_int_equal(lsqld_idle_connections(t.s, 1), 1);
    /* full-access streams never get a read-only connection */
    j = exec_as(&t, rw, "INSERT INTO t VALUES (1)");
    assert_string_equal(jstr(j, "results[0].type"), "ok");
    json_decref(j);
    assert_int_equal(opened(&t), 1);
    ts_stop(&t);
}

/* Many threads opening and closing streams against a small pool. */
#define THREADS 8
#define ROUNDS 40

typedef struct job {
    tsrv *t;
    int i;
    char error[512];
} job;

static void *worker(void *arg)
{
    job *jb = arg;
    for (int r = 0; r < ROUNDS && !jb->error[0]; r++) {
        char req[1024];
        int k = jb->i * ROUNDS + r;
        snprintf(req, sizeof req,
                 "{\"type\":\"execute\",\"stmt\":{\"sql\":\"CREATE TEMP TABLE IF NOT EXISTS "
                 "mine(x)\"}},"
                 "{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT count(*) FROM mine\"}},"
                 "{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO t VALUES (%d)\"}},"
                 "{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT last_insert_rowid()\"}},"
                 "{\"type\":\"close\"}",
                 k);
        long st;
        json_t *j = ts_pipeline(jb->t, NULL, req, &st);
        const char *cnt = json_string_value(jget(j, "results[1].response.result.rows[0][0].value"));
        const char *rowid = json_string_value(jget(j, "results[3].response.result.rows[0][0].value"));
        char want[32];
        snprintf(want, sizeof want, "%d", k);
        if (st != 200 || !cnt || strcmp(cnt, "0") || !rowid || strcmp(rowid, want)) {
            char *d = json_dumps(j, JSON_COMPACT);
            snprintf(jb->error, sizeof jb->error, "%.500s", d);
            free(d);
        }
        json_decref(j);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    tsrv t;
    lsqld_config c;
    ts_config(&c, &t, "pool_threads");
    c.idle_connections = 2;
    c.idle_timeout_ms = 0;
    c.writer_timeout_ms = 60000;
    ts_start(&t, &c);
    ts_sql(&t, "CREATE TABLE t(a INTEGER PRIMARY KEY)");
    pthread_t th[THREADS];
    job jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (job){.t = &t, .i = i};
        pthread_create(&th[i], NULL, worker, &jobs[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < THREADS; i++)
        if (jobs[i].error[0])
            fail_msg("thread %d: %s", i, jobs[i].error);
    char want[32];
    snprintf(want, sizeof want, "%d", THREADS * ROUNDS);
    want_value(&t, "SELECT count(*) FROM t", want);
    assert_true(lsqld_idle_connections(t.s, 0) <= 2);
    assert_int_equal(lsqld_stream_count(t.s), 0);
    assert_int_equal(unsafe(&t), 0);
    ts_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reuse),
        cmocka_unit_test(test_isolation_temp),
        cmocka_unit_test(test_isolation_transactions),
        cmocka_unit_test(test_isolation_expired),
        cmocka_unit_test(test_isolation_pragmas),
        cmocka_unit_test(test_isolation_stream_state),
        cmocka_unit_test(test_bound),
        cmocka_unit_test(test_broken),
        cmocka_unit_test(test_pool_unit),
        cmocka_unit_test(test_readonly_pool),
        cmocka_unit_test(test_threads),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
