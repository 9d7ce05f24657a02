/* test_remote_faults.c -- REMOTE mode against a misbehaving server: the
 * fake server of fakesrv.h answers the Hrana requests correctly (a small
 * responder built on jansson) except the one request a test picks, which it
 * answers badly: connection reset mid-body, truncated or invalid JSON, a
 * wrong number of results, a slow answer past the timeout, 5xx, 429, 401.
 * Each must give a clean error (or a safe retry), no leak (the ASan run),
 * no crash, and a batch is never resent or reported half-done. */
#define LSQL_TEST_REMOTE 1 /* errors carry an HTTP status */
#include "coretest.h"

#include "fakesrv.h"

#include <jansson.h>
#include <stdatomic.h>

enum fault {
    F_NONE,
    F_RESET_MID_BODY, /* Content-Length given, part of the body, then RST */
    F_CLOSE_NO_ANSWER,
    F_TRUNCATED_JSON, /* a complete HTTP answer whose JSON is cut */
    F_INVALID_JSON,
    F_MISSING_RESULT, /* one result fewer than requests */
    F_WRONG_STEPS,    /* a batch result with one step too few */
    F_SLOW,           /* answers after 1.5 s (the client waits 300 ms) */
    F_STATUS          /* answers `status` with `body` */
};

typedef struct scenario {
    enum fault fault;
    const char *target; /* request type to misbehave on: "execute" or "batch" */
    int times;          /* misbehave on the first `times` such requests (-1: always) */
    int status;
    const char *headers;
    const char *body;
    atomic_int hits;    /* requests of the target type received */
    /* the server's state: stored SQL texts by id, the transaction */
    pthread_mutex_t mu;
    char *sqls[256];
    bool in_txn;
    bool v2_only;  /* 404 for everything under /v3 */
    bool no_hrana; /* 404 for the version probes */
} scenario;

/* ---- the responder ----------------------------------------------------------- */

static void append(char **buf, size_t *len, const char *s)
{
    size_t n = strlen(s);
    *buf = realloc(*buf, *len + n + 1);
    memcpy(*buf + *len, s, n + 1);
    *len += n;
}

static const char k_row_result[] =
    "{\"cols\":[{\"name\":\"x\",\"decltype\":null}],\"rows\":[[{\"type\":\"integer\",\"value\":"
    "\"1\"}]],\"affected_row_count\":0,\"last_insert_rowid\":null}";
static const char k_write_result[] =
    "{\"cols\":[],\"rows\":[],\"affected_row_count\":1,\"last_insert_rowid\":\"7\"}";

/* The SQL of a stmt object (by text or stored id). */
static const char *stmt_sql(scenario *sc, json_t *stmt)
{
    const char *sql = json_string_value(json_object_get(stmt, "sql"));
    json_t *id = json_object_get(stmt, "sql_id");
    if (!sql && json_is_integer(id) && json_integer_value(id) >= 0 &&
        json_integer_value(id) < 256)
        sql = sc->sqls[json_integer_value(id)];
    return sql ? sql : "";
}

/* The correct answer to a pipeline body; NULL when the body is not one. */
static char *answer(scenario *sc, const char *body, size_t len, bool drop_last,
                    bool short_batch)
{
    json_error_t je;
    json_t *root = json_loadb(body, len, 0, &je);
    json_t *reqs = root ? json_object_get(root, "requests") : NULL;
    if (!json_is_array(reqs)) {
        json_decref(root);
        return NULL;
    }
    char *out = NULL;
    size_t n = 0;
    append(&out, &n, "{\"baton\":\"b1\",\"base_url\":null,\"results\":[");
    size_t count = json_array_size(reqs);
    if (drop_last && count)
        count--;
    for (size_t i = 0; i < count; i++) {
        json_t *rq = json_array_get(reqs, i);
        const char *type = json_string_value(json_object_get(rq, "type"));
        if (!type)
            type = "";
        if (i)
            append(&out, &n, ",");
        append(&out, &n, "{\"type\":\"ok\",\"response\":{\"type\":\"");
        append(&out, &n, type);
        append(&out, &n, "\"");
        if (!strcmp(type, "store_sql")) {
            json_int_t id = json_integer_value(json_object_get(rq, "sql_id"));
            const char *sql = json_string_value(json_object_get(rq, "sql"));
            if (id >= 0 && id < 256 && sql) {
                free(sc->sqls[id]);
                sc->sqls[id] = strdup(sql);
            }
        } else if (!strcmp(type, "describe")) {
            const char *sql = json_string_value(json_object_get(rq, "sql"));
            bool write = sql && strstr(sql, "INSERT");
            append(&out, &n,
                   write ? ",\"result\":{\"params\":[{\"name\":null}],\"cols\":[],"
                           "\"is_explain\":false,\"is_readonly\":false}"
                         : ",\"result\":{\"params\":[],\"cols\":[{\"name\":\"x\",\"decltype\":"
                           "null}],\"is_explain\":false,\"is_readonly\":true}");
        } else if (!strcmp(type, "execute")) {
            const char *sql = stmt_sql(sc, json_object_get(rq, "stmt"));
            if (strstr(sql, "BEGIN"))
                sc->in_txn = true;
            else if (strstr(sql, "COMMIT") || strstr(sql, "ROLLBACK"))
                sc->in_txn = false;
            append(&out, &n, ",\"result\":");
            append(&out, &n, strstr(sql, "SELECT") ? k_row_result : k_write_result);
        } else if (!strcmp(type, "batch")) {
            size_t steps = json_array_size(
                json_object_get(json_object_get(rq, "batch"), "steps"));
            if (short_batch && steps)
                steps--;
            append(&out, &n, ",\"result\":{\"step_results\":[");
            for (size_t k = 0; k < steps; k++) {
                if (k)
                    append(&out, &n, ",");
                append(&out, &n, k_write_result);
            }
            append(&out, &n, "],\"step_errors\":[");
            for (size_t k = 0; k < steps; k++)
                append(&out, &n, k ? ",null" : "null");
            append(&out, &n, "]}");
        } else if (!strcmp(type, "get_autocommit")) {
            append(&out, &n, sc->in_txn ? ",\"is_autocommit\":false" : ",\"is_autocommit\":true");
        }
        append(&out, &n, "}}");
    }
    append(&out, &n, "]}");
    json_decref(root);
    return out;
}

static bool has_request(const fs_req *r, const char *type)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"type\":\"%s\"", type);
    return strstr(r->body, pat) != NULL;
}

static void handler(fs_conn *c, const fs_req *r, void *ud)
{
    scenario *sc = ud;
    if (sc->no_hrana) { /* no Hrana endpoint at all */
        fs_respond(c, 404, NULL, "not found", 9);
        return;
    }
    if (!strcmp(r->method, "GET")) {
        if ((!strcmp(r->path, "/v3") && !sc->v2_only) || !strcmp(r->path, "/v2"))
            fs_respond(c, 200, NULL, "ok", 2);
        else
            fs_respond(c, 404, NULL, "not found", 9);
        return;
    }
    if (sc->v2_only && strstr(r->path, "/v3")) {
        fs_respond(c, 404, NULL, "not found", 9);
        return;
    }
    bool target = sc->target && has_request(r, sc->target);
    enum fault f = F_NONE;
    if (target) {
        int k = atomic_fetch_add(&sc->hits, 1);
        if (sc->times < 0 || k < sc->times)
            f = sc->fault;
    }
    if (f == F_STATUS) { /* an error status: the server did not run the request */
        fs_respond(c, sc->status, sc->headers, sc->body, strlen(sc->body));
        return;
    }
    pthread_mutex_lock(&sc->mu);
    char *good = answer(sc, r->body, r->body_len, f == F_MISSING_RESULT, f == F_WRONG_STEPS);
    pthread_mutex_unlock(&sc->mu);
    if (!good) {
        fs_respond(c, 400, NULL, "bad request", 11);
        return;
    }
    size_t len = strlen(good);
    switch (f) {
    case F_RESET_MID_BODY:
        fs_send_head(c, 200, "Content-Type: application/json\r\n", (long long)len);
        fs_send_body(c, good, len / 3);
        fs_reset(c);
        break;
    case F_CLOSE_NO_ANSWER:
        fs_close(c);
        break;
    case F_TRUNCATED_JSON:
        fs_respond(c, 200, "Content-Type: application/json\r\n", good, len / 2);
        break;
    case F_INVALID_JSON:
        fs_respond_json(c, 200, "this is not {json");
        break;
    case F_SLOW:
        if (fs_sleep_ms(c, 1500))
            fs_respond_json(c, 200, good);
        break;
    default:
        fs_respond_json(c, 200, good);
    }
    free(good);
}

/* ---- fixture ---------------------------------------------------------------------- */

typedef struct fx {
    scenario sc;
    fakesrv *srv;
    lsql_db *db;
    lsql_conn *c;
} fx;

static fx *fx_new(enum fault f, const char *target, int times, const char *url_opts)
{
    fx *x = calloc(1, sizeof *x);
    x->sc.fault = f;
    x->sc.target = target;
    x->sc.times = times;
    pthread_mutex_init(&x->sc.mu, NULL);
    x->srv = fs_start(handler, &x->sc);
    char url[256];
    fs_url(x->srv, url, sizeof url);
    strcat(url, url_opts ? url_opts : "?timeout=300&retries=3");
    strcat(url, "&encoding=json"); /* the responder speaks JSON (protobuf: test_remote_pb.c) */
    x->db = ct_open_url(url);
    x->c = ct_connect(x->db);
    return x;
}

static void fx_free(fx *x)
{
    lsql_db_close(x->db);
    fs_stop(x->srv);
    for (int i = 0; i < 256; i++)
        free(x->sc.sqls[i]);
    pthread_mutex_destroy(&x->sc.mu);
    free(x);
}

static int hits(fx *x) { return atomic_load(&x->sc.hits); }

/* A read-only query: SELECT 1 through the statement cache. */
static int select_one(fx *x, int64_t *v, lsql_error *e)
{
    return lsql_query_int64(x->c, "SELECT 1", NULL, 0, v, e);
}

/* A write: INSERT through the statement cache. */
static int insert_one(fx *x, lsql_error *e)
{
    lsql_param p = {NULL, lsql_int(1)};
    return lsql_exec(x->c, "INSERT INTO t VALUES (?)", &p, 1, NULL, e);
}

/* ---- transient failures: retried only when safe ------------------------------------- */

static void reset_mid_body(void **state)
{
    (void)state;
    /* a read-only query is sent again and succeeds */
    fx *x = fx_new(F_RESET_MID_BODY, "execute", 1, NULL);
    lsql_error e;
    int64_t v = 0;
    ct_expect(LSQL_OK, &e, select_one(x, &v, &e));
    assert_int_equal(v, 1);
    assert_int_equal(hits(x), 2);
    fx_free(x);
    /* a write is not: it may have been applied */
    x = fx_new(F_RESET_MID_BODY, "execute", 1, NULL);
    ct_expect(LSQL_HTTP_IO, &e, insert_one(x, &e));
    assert_true(e.flags & LSQL_ERRF_RETRYABLE);
    assert_int_equal(hits(x), 1);
    /* the connection recovers for the next call */
    ct_expect(LSQL_OK, &e, insert_one(x, &e));
    fx_free(x);
}

static void closed_without_answer(void **state)
{
    (void)state;
    fx *x = fx_new(F_CLOSE_NO_ANSWER, "execute", -1, "?timeout=300&retries=2&hrana=3");
    lsql_error e;
    int64_t v;
    ct_expect(LSQL_HTTP_IO, &e, select_one(x, &v, &e));
    /* the first attempt and 2 retries; libcurl itself resends a request once
     * when a kept-alive connection closes before any byte of the answer
     * (the first attempt went over the connection the describe used) */
    assert_int_equal(hits(x), 4);
    assert_non_null(strstr(e.message, "after 3 attempts"));
    fx_free(x);
}

static void slow_answer_times_out(void **state)
{
    (void)state;
    fx *x = fx_new(F_SLOW, "execute", 1, NULL);
    lsql_error e;
    ct_expect(LSQL_HTTP_TIMEOUT, &e, insert_one(x, &e));
    assert_true(e.flags & LSQL_ERRF_RETRYABLE);
    assert_int_equal(hits(x), 1);
    fx_free(x);
    x = fx_new(F_SLOW, "execute", 1, NULL);
    int64_t v = 0;
    ct_expect(LSQL_OK, &e, select_one(x, &v, &e)); /* read-only: retried */
    assert_int_equal(hits(x), 2);
    fx_free(x);
}

/* ---- malformed answers: protocol errors, never retried -------------------------------- */

static void malformed_answers(void **state)
{
    (void)state;
    static const enum fault faults[] = {F_TRUNCATED_JSON, F_INVALID_JSON, F_MISSING_RESULT};
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        fx *x = fx_new(faults[i], "execute", 1, NULL);
        lsql_error e;
        int64_t v;
        ct_expect(LSQL_HRANA_PROTOCOL, &e, select_one(x, &v, &e));
        assert_non_null(strstr(e.message, "invalid response"));
        assert_false(e.flags & LSQL_ERRF_RETRYABLE);
        assert_int_equal(hits(x), 1);
        ct_expect(LSQL_OK, &e, select_one(x, &v, &e));
        fx_free(x);
    }
}

/* ---- statuses -------------------------------------------------------------------- */

static void statuses(void **state)
{
    (void)state;
    lsql_error e;
    int64_t v;
    /* 500: not retried */
    fx *x = fx_new(F_STATUS, "execute", 1, NULL);
    x->sc.status = 500;
    x->sc.body = "internal error";
    ct_expect(LSQL_HTTP_STATUS, &e, select_one(x, &v, &e));
    assert_int_equal(e.http_status, 500);
    assert_non_null(strstr(e.message, "500"));
    assert_int_equal(hits(x), 1);
    fx_free(x);
    /* 503: the server did not take the work: even a write is sent again */
    x = fx_new(F_STATUS, "execute", 1, NULL);
    x->sc.status = 503;
    x->sc.body = "busy";
    ct_expect(LSQL_OK, &e, insert_one(x, &e));
    assert_int_equal(hits(x), 2);
    fx_free(x);
    /* 502: a write is not resent; the flag says a retry may help */
    x = fx_new(F_STATUS, "execute", 1, NULL);
    x->sc.status = 502;
    x->sc.body = "bad gateway";
    ct_expect(LSQL_HTTP_UNAVAILABLE, &e, insert_one(x, &e));
    assert_int_equal(e.http_status, 502);
    assert_true(e.flags & LSQL_ERRF_RETRYABLE);
    assert_int_equal(hits(x), 1);
    fx_free(x);
    /* 429 with Retry-After: retried */
    x = fx_new(F_STATUS, "execute", 2, NULL);
    x->sc.status = 429;
    x->sc.headers = "Retry-After: 0\r\n";
    x->sc.body = "slow down";
    ct_expect(LSQL_OK, &e, insert_one(x, &e));
    assert_int_equal(hits(x), 3);
    fx_free(x);
    /* retries exhausted */
    x = fx_new(F_STATUS, "execute", -1, "?timeout=300&retries=2");
    x->sc.status = 429;
    x->sc.body = "slow down";
    ct_expect(LSQL_HTTP_RATE_LIMITED, &e, select_one(x, &v, &e));
    assert_int_equal(hits(x), 3);
    fx_free(x);
    /* 401 in the middle of a session: the token was revoked */
    x = fx_new(F_STATUS, "execute", 1, NULL);
    x->sc.status = 401;
    x->sc.body = "{\"error\":\"Unauthorized\"}";
    ct_expect(LSQL_AUTH_REMOTE, &e, select_one(x, &v, &e));
    assert_int_equal(e.http_status, 401);
    assert_int_equal(hits(x), 1);
    fx_free(x);
    /* a 400 that is not about the stream (here an unknown code) is not
     * resent on a new stream: the server may have run part of it */
    x = fx_new(F_STATUS, "execute", 0, NULL);
    x->sc.status = 400;
    x->sc.body = "{\"message\":\"refused\",\"code\":\"SOMETHING_ELSE\"}";
    ct_expect(LSQL_OK, &e, select_one(x, &v, &e)); /* the stream exists */
    atomic_store(&x->sc.hits, 0);
    x->sc.times = 1;
    ct_err_garbage(&e);
    int rc400 = insert_one(x, &e);
    assert_int_not_equal(rc400, LSQL_OK);
    assert_int_equal(e.http_status, 400);
    assert_int_equal(hits(x), 1);
    fx_free(x);
    /* retries=0: nothing is resent */
    x = fx_new(F_STATUS, "execute", 1, "?timeout=300&retries=0");
    x->sc.status = 503;
    x->sc.body = "busy";
    ct_expect(LSQL_HTTP_UNAVAILABLE, &e, select_one(x, &v, &e));
    assert_int_equal(hits(x), 1);
    fx_free(x);
}

/* ---- batches: never resent, never reported half-done ----------------------------- */

static lsql_batch *three_inserts(void)
{
    lsql_batch *b;
    assert_ok(lsql_batch_new(&b));
    for (int i = 0; i < 3; i++) {
        lsql_param p = {NULL, lsql_int(i)};
        assert_ok(lsql_batch_add(b, "INSERT INTO t VALUES (?)", &p, 1, NULL));
    }
    return b;
}

static void batch_faults(void **state)
{
    (void)state;
    static const struct {
        enum fault f;
        int want;
    } cases[] = {
        {F_RESET_MID_BODY, LSQL_HTTP_IO},
        {F_SLOW, LSQL_HTTP_TIMEOUT},
        {F_TRUNCATED_JSON, LSQL_HRANA_PROTOCOL},
        {F_WRONG_STEPS, LSQL_HRANA_PROTOCOL},
        {F_STATUS, LSQL_HTTP_UNAVAILABLE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx *x = fx_new(cases[i].f, "batch", 1, NULL);
        x->sc.status = 504;
        x->sc.body = "gateway timeout";
        lsql_batch *b = three_inserts();
        lsql_batch_result *r = NULL;
        lsql_error e;
        ct_expect(cases[i].want, &e, lsql_batch_run(x->c, b, LSQL_BATCH_ATOMIC, &r, &e));
        assert_int_equal(hits(x), 1); /* never sent twice */
        assert_non_null(r);
        assert_int_equal(lsql_batch_result_failed_step(r), -1);
        assert_int_equal(lsql_batch_result_status(r, NULL), cases[i].want);
        /* no step claims success: the outcome is unknown */
        for (size_t k = 0; k < lsql_batch_result_count(r); k++) {
            lsql_step_result sr = {.struct_size = sizeof sr};
            assert_ok(lsql_batch_result_step(r, k, &sr));
            assert_int_not_equal(sr.status, LSQL_OK);
        }
        lsql_batch_result_free(r);
        /* the next batch goes through */
        ct_expect(LSQL_OK, &e, lsql_batch_run(x->c, b, LSQL_BATCH_ATOMIC, &r, &e));
        lsql_batch_result_free(r);
        lsql_batch_free(b);
        fx_free(x);
    }
}

/* ---- inside a transaction a broken exchange loses the transaction ----------------- */

static void failure_inside_transaction(void **state)
{
    (void)state;
    fx *x = fx_new(F_RESET_MID_BODY, "execute", -1, NULL);
    x->sc.target = NULL; /* behave while the transaction starts */
    lsql_error e;
    lsql_txn *tx;
    ct_expect(LSQL_OK, &e, lsql_begin(x->c, LSQL_BEGIN_IMMEDIATE, &tx, &e));
    x->sc.target = "execute";
    int64_t v;
    ct_expect(LSQL_TXN_LOST, &e, select_one(x, &v, &e));
    assert_int_equal(hits(x), 1); /* a read inside a transaction is not resent either */
    x->sc.target = NULL;
    ct_expect(LSQL_TXN_LOST, &e, lsql_commit(x->c, tx, &e));
    ct_expect(LSQL_OK, &e, lsql_rollback(x->c, tx, &e));
    ct_expect(LSQL_OK, &e, select_one(x, &v, &e));
    fx_free(x);
}

/* ---- any failed exchange inside a transaction loses it ------------------------------- */

/* An answer whose error is not of class LSQL_HTTP / LSQL_HRANA (401, 413, a
 * 400 with a SQLite-named Hrana code) inside a transaction: the next call
 * must fail with LSQL_TXN_LOST, never go out on a new stream. */
static void run_status_in_txn(int status, const char *body)
{
    fx *x = fx_new(F_STATUS, "execute", -1, NULL);
    x->sc.target = NULL;
    x->sc.status = status;
    x->sc.body = body;
    lsql_error e;
    lsql_txn *tx;
    ct_expect(LSQL_OK, &e, lsql_begin(x->c, LSQL_BEGIN_IMMEDIATE, &tx, &e));
    x->sc.target = "execute";
    lsql_error e1;
    assert_int_not_equal(insert_one(x, &e1), LSQL_OK);
    x->sc.target = NULL;
    int before = fs_requests(x->srv);
    ct_expect(LSQL_TXN_LOST, &e, insert_one(x, &e));
    assert_int_equal(fs_requests(x->srv), before); /* nothing was sent */
    ct_expect(LSQL_OK, &e, lsql_rollback(x->c, tx, &e));
    fx_free(x);
}

/* A failure that cannot have been applied (503, 429: the request never
 * reached the stream) inside a transaction keeps the stream and the
 * transaction: the call fails, retryable, and works when run again. In
 * particular a ROLLBACK that meets one is not reported done while the
 * server still holds the transaction, and a COMMIT can be retried. */
static void unsent_inside_transaction(void **state)
{
    (void)state;
    static const int sts[] = {503, 429};
    for (int i = 0; i < 2; i++) {
        for (int commit = 0; commit < 2; commit++) {
            fx *x = fx_new(F_STATUS, "execute", 1, "?retries=0");
            x->sc.target = NULL;
            x->sc.status = sts[i];
            x->sc.body = "not now";
            lsql_error e;
            lsql_txn *tx;
            ct_expect(LSQL_OK, &e, lsql_begin(x->c, LSQL_BEGIN_IMMEDIATE, &tx, &e));
            ct_expect(LSQL_OK, &e, insert_one(x, &e));
            x->sc.target = "execute";
            int rc = commit ? lsql_commit(x->c, tx, &e) : lsql_rollback(x->c, tx, &e);
            assert_int_equal(rc, sts[i] == 503 ? LSQL_HTTP_UNAVAILABLE : LSQL_HTTP_RATE_LIMITED);
            assert_true(e.flags & LSQL_ERRF_RETRYABLE);
            assert_int_equal(hits(x), 1);
            int ac = 1;
            assert_ok(lsql_is_autocommit(x->c, &ac));
            assert_int_equal(ac, 0); /* still in the transaction, on its stream */
            assert_int_equal(lsql_txn_active(tx), 1);
            /* run again: the fault is spent */
            ct_expect(LSQL_OK, &e, commit ? lsql_commit(x->c, tx, &e) : lsql_rollback(x->c, tx, &e));
            assert_ok(lsql_is_autocommit(x->c, &ac));
            assert_int_equal(ac, 1);
            assert_int_equal(hits(x), 2); /* it went to the server, on the same stream */
            size_t blen = 0;
            char *body = fs_last_body(x->srv, &blen);
            assert_non_null(body);
            assert_non_null(strstr(body, "\"baton\":\"b1\""));
            free(body);
            lsql_txn_free(tx);
            fx_free(x);
        }
    }
}

static void statuses_inside_transaction(void **state)
{
    (void)state;
    run_status_in_txn(413, "too big");
    run_status_in_txn(401, "{\"error\":\"Unauthorized\"}");
    run_status_in_txn(400, "{\"message\":\"x\",\"code\":\"TRANSACTION_TIMEOUT\"}");
}

/* ---- version negotiation ----------------------------------------------------------- */

static void negotiates_v2(void **state)
{
    (void)state;
    scenario sc = {0};
    sc.v2_only = true;
    pthread_mutex_init(&sc.mu, NULL);
    fakesrv *srv = fs_start(handler, &sc);
    char url[128];
    fs_url(srv, url, sizeof url);
    lsql_db *db = ct_open_url(url);
    lsql_conn *c = ct_connect(db);
    lsql_error e;
    int64_t v = 0;
    ct_expect(LSQL_OK, &e, lsql_query_int64(c, "SELECT 1", NULL, 0, &v, &e));
    assert_int_equal(v, 1);
    char path[64], body[4096];
    fs_last_path(srv, path, sizeof path);
    assert_string_equal(path, "/v2/pipeline");
    size_t n = 0;
    char *last = fs_last_body(srv, &n);
    snprintf(body, sizeof body, "%s", last ? last : "");
    free(last);
    assert_null(strstr(body, "get_autocommit")); /* a Hrana 3 request */
    lsql_db_close(db);
    fs_stop(srv);
    for (int i = 0; i < 256; i++)
        free(sc.sqls[i]);
    /* a server that speaks neither */
    memset(&sc, 0, sizeof sc);
    sc.no_hrana = true;
    srv = fs_start(handler, &sc);
    fs_url(srv, url, sizeof url);
    db = NULL;
    ct_expect(LSQL_HRANA_VERSION, &e, lsql_db_open_url(url, &db, &e));
    assert_int_equal(e.http_status, 404);
    assert_null(db);
    fs_stop(srv);
    pthread_mutex_destroy(&sc.mu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reset_mid_body),
        cmocka_unit_test(closed_without_answer),
        cmocka_unit_test(slow_answer_times_out),
        cmocka_unit_test(malformed_answers),
        cmocka_unit_test(statuses),
        cmocka_unit_test(batch_faults),
        cmocka_unit_test(failure_inside_transaction),
        cmocka_unit_test(statuses_inside_transaction),
        cmocka_unit_test(unsent_inside_transaction),
        cmocka_unit_test(negotiates_v2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
