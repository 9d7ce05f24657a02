/* test_remote_body.c -- what REMOTE mode puts in its request bodies, against
 * the fake server of fakesrv.h (a small Hrana responder built on jansson that
 * keeps every body it receives):
 *   - get_autocommit only where the transaction state may change or is not
 *     known (BEGIN/COMMIT/..., statements of unknown kind, inside a
 *     transaction, after an answer without it), with the state kept right;
 *   - batch bodies: no empty args/named_args, no want_rows, "not
 *     is_autocommit" only after a step that may end the transaction, SQL
 *     texts repeated in a batch stored on the stream and sent by sql_id from
 *     the next batch on -- not after a refused store, stored again on a new
 *     stream. */
#define LSQL_TEST_REMOTE 1
#include "coretest.h"

#include "fakesrv.h"

#include <jansson.h>

#define MAX_BODIES 64

typedef struct srv {
    pthread_mutex_t mu;
    char *bodies[MAX_BODIES]; /* pipeline bodies, in order */
    int nbodies;
    char *sqls[256];          /* stored SQL by id */
    bool in_txn;
    bool refuse_store;        /* store_sql answers an error */
    bool ac_error;            /* get_autocommit answers an error */
    bool close_stream;        /* answer with baton null (the server ends the stream) */
} srv;

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

static const char *stmt_sql(srv *s, json_t *stmt)
{
    const char *sql = json_string_value(json_object_get(stmt, "sql"));
    json_t *id = json_object_get(stmt, "sql_id");
    if (!sql && json_is_integer(id) && json_integer_value(id) >= 0 &&
        json_integer_value(id) < 256)
        sql = s->sqls[json_integer_value(id)];
    return sql;
}

/* Runs one statement on the fake database: the transaction state follows
 * BEGIN / COMMIT / ROLLBACK. NULL: unknown sql_id. */
static const char *run(srv *s, json_t *stmt)
{
    const char *sql = stmt_sql(s, stmt);
    if (!sql)
        return NULL;
    if (!strncmp(sql, "BEGIN", 5))
        s->in_txn = true;
    else if (!strncmp(sql, "COMMIT", 6) || !strcmp(sql, "ROLLBACK"))
        s->in_txn = false;
    return strstr(sql, "SELECT") ? k_row_result : k_write_result;
}

static bool cond_true(srv *s, json_t *c, json_t *res)
{
    if (!c)
        return true;
    const char *t = json_string_value(json_object_get(c, "type"));
    if (!strcmp(t, "ok"))
        return json_is_true(json_array_get(res, json_integer_value(json_object_get(c, "step"))));
    if (!strcmp(t, "not"))
        return !cond_true(s, json_object_get(c, "cond"), res);
    if (!strcmp(t, "and")) {
        json_t *cs = json_object_get(c, "conds");
        for (size_t i = 0; i < json_array_size(cs); i++)
            if (!cond_true(s, json_array_get(cs, i), res))
                return false;
        return true;
    }
    if (!strcmp(t, "is_autocommit"))
        return !s->in_txn;
    fail_msg("unexpected condition type %s", t);
    return false;
}

static char *answer(srv *s, const char *body, size_t len)
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
    append(&out, &n, s->close_stream ? "{\"baton\":null,\"base_url\":null,\"results\":["
                                     : "{\"baton\":\"b1\",\"base_url\":null,\"results\":[");
    for (size_t i = 0; i < json_array_size(reqs); i++) {
        json_t *rq = json_array_get(reqs, i);
        const char *type = json_string_value(json_object_get(rq, "type"));
        if (i)
            append(&out, &n, ",");
        if ((s->refuse_store && !strcmp(type, "store_sql")) ||
            (s->ac_error && !strcmp(type, "get_autocommit"))) {
            append(&out, &n, "{\"type\":\"error\",\"error\":{\"message\":\"refused\","
                             "\"code\":\"SQL_STORE_TOO_MANY\"}}");
            continue;
        }
        append(&out, &n, "{\"type\":\"ok\",\"response\":{\"type\":\"");
        append(&out, &n, type);
        append(&out, &n, "\"");
        if (!strcmp(type, "store_sql")) {
            json_int_t id = json_integer_value(json_object_get(rq, "sql_id"));
            assert_true(id >= 0 && id < 256);
            free(s->sqls[id]);
            s->sqls[id] = strdup(json_string_value(json_object_get(rq, "sql")));
        } else if (!strcmp(type, "close_sql")) {
            json_int_t id = json_integer_value(json_object_get(rq, "sql_id"));
            assert_true(id >= 0 && id < 256);
            free(s->sqls[id]);
            s->sqls[id] = NULL;
        } else if (!strcmp(type, "describe")) {
            const char *sql = json_string_value(json_object_get(rq, "sql"));
            bool rows = sql && strstr(sql, "SELECT");
            bool param = sql && strchr(sql, '?');
            append(&out, &n, param ? ",\"result\":{\"params\":[{\"name\":null}],"
                                   : ",\"result\":{\"params\":[],");
            append(&out, &n, rows ? "\"cols\":[{\"name\":\"x\",\"decltype\":null}],"
                                  : "\"cols\":[],");
            append(&out, &n, rows ? "\"is_explain\":false,\"is_readonly\":true}"
                                  : "\"is_explain\":false,\"is_readonly\":false}");
        } else if (!strcmp(type, "execute")) {
            const char *r = run(s, json_object_get(rq, "stmt"));
            assert_non_null(r);
            append(&out, &n, ",\"result\":");
            append(&out, &n, r);
        } else if (!strcmp(type, "batch")) {
            json_t *steps = json_object_get(json_object_get(rq, "batch"), "steps");
            json_t *ok = json_array();
            char *errs = NULL;
            size_t ne = 0;
            append(&out, &n, ",\"result\":{\"step_results\":[");
            append(&errs, &ne, "],\"step_errors\":[");
            for (size_t k = 0; k < json_array_size(steps); k++) {
                json_t *st = json_array_get(steps, k);
                const char *r = NULL;
                bool runs = cond_true(s, json_object_get(st, "condition"), ok);
                if (runs)
                    r = run(s, json_object_get(st, "stmt"));
                json_array_append_new(ok, json_boolean(r != NULL));
                append(&out, &n, k ? "," : "");
                append(&out, &n, r ? r : "null");
                append(&errs, &ne, k ? "," : "");
                append(&errs, &ne, runs && !r ? "{\"message\":\"no such sql_id\","
                                                "\"code\":\"SQL_NOT_FOUND\"}"
                                              : "null");
            }
            append(&out, &n, errs);
            append(&out, &n, "]}");
            free(errs);
            json_decref(ok);
        } else if (!strcmp(type, "get_autocommit")) {
            append(&out, &n, s->in_txn ? ",\"is_autocommit\":false" : ",\"is_autocommit\":true");
        }
        append(&out, &n, "}}");
    }
    append(&out, &n, "]}");
    json_decref(root);
    return out;
}

static void handler(fs_conn *c, const fs_req *r, void *ud)
{
    srv *s = ud;
    if (!strcmp(r->method, "GET")) {
        fs_respond(c, 200, NULL, "ok", 2);
        return;
    }
    pthread_mutex_lock(&s->mu);
    if (s->nbodies < MAX_BODIES)
        s->bodies[s->nbodies++] = strdup(r->body);
    char *good = answer(s, r->body, r->body_len);
    pthread_mutex_unlock(&s->mu);
    if (!good) {
        fs_respond(c, 400, NULL, "bad request", 11);
        return;
    }
    fs_respond_json(c, 200, good);
    free(good);
}

/* ---- fixture ------------------------------------------------------------------ */

typedef struct fx {
    srv s;
    fakesrv *fs;
    lsql_db *db;
    lsql_conn *c;
    lsql_batch *b;
} fx;

static int setup(void **state)
{
    fx *x = calloc(1, sizeof *x);
    pthread_mutex_init(&x->s.mu, NULL);
    x->fs = fs_start(handler, &x->s);
    char url[256];
    fs_url(x->fs, url, sizeof url);
    strcat(url, "?encoding=json"); /* the bodies checked here are JSON */
    x->db = ct_open_url(url);
    x->c = ct_connect(x->db);
    assert_int_equal(lsql_batch_new(&x->b), LSQL_OK);
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    fx *x = *state;
    lsql_batch_free(x->b);
    lsql_db_close(x->db);
    fs_stop(x->fs);
    for (int i = 0; i < x->s.nbodies; i++)
        free(x->s.bodies[i]);
    for (int i = 0; i < 256; i++)
        free(x->s.sqls[i]);
    pthread_mutex_destroy(&x->s.mu);
    free(x);
    return 0;
}

/* The last pipeline body (owned by the fixture). */
static const char *last_body(fx *x)
{
    pthread_mutex_lock(&x->s.mu);
    const char *b = x->s.nbodies ? x->s.bodies[x->s.nbodies - 1] : "";
    pthread_mutex_unlock(&x->s.mu);
    return b;
}

static int count(const char *s, const char *sub)
{
    int n = 0;
    for (const char *p = strstr(s, sub); p; p = strstr(p + 1, sub))
        n++;
    return n;
}

static bool asks_autocommit(fx *x) { return strstr(last_body(x), "get_autocommit") != NULL; }

static void exec_ok(fx *x, const char *sql)
{
    lsql_error e;
    ct_expect(LSQL_OK, &e, lsql_exec(x->c, sql, NULL, 0, NULL, &e));
}

static bool autocommit(fx *x)
{
    int ac = 0;
    assert_int_equal(lsql_is_autocommit(x->c, &ac), LSQL_OK);
    return ac != 0;
}

/* ---- get_autocommit ------------------------------------------------------------- */

static void autocommit_only_when_needed(void **state)
{
    fx *x = *state;
    lsql_error e;
    int64_t v = 0;
    /* plain statements outside a transaction: no question */
    ct_expect(LSQL_OK, &e, lsql_query_int64(x->c, "SELECT 1", NULL, 0, &v, &e));
    assert_int_equal(v, 1);
    assert_false(asks_autocommit(x));
    exec_ok(x, "INSERT INTO t VALUES (1)");
    assert_false(asks_autocommit(x));
    assert_true(autocommit(x));
    /* BEGIN asks; so does everything inside the transaction */
    exec_ok(x, "BEGIN");
    assert_true(asks_autocommit(x));
    assert_false(autocommit(x));
    exec_ok(x, "INSERT INTO t VALUES (2)");
    assert_true(asks_autocommit(x));
    ct_expect(LSQL_OK, &e, lsql_query_int64(x->c, "SELECT 2", NULL, 0, &v, &e));
    assert_true(asks_autocommit(x));
    assert_false(autocommit(x));
    exec_ok(x, "COMMIT");
    assert_true(asks_autocommit(x));
    assert_true(autocommit(x));
    /* a statement of unknown kind asks (it may begin a transaction) */
    exec_ok(x, "FROBNICATE");
    assert_true(asks_autocommit(x));
    exec_ok(x, "DELETE FROM t");
    assert_false(asks_autocommit(x));
}

static void autocommit_unknown_asks_again(void **state)
{
    fx *x = *state;
    x->s.ac_error = true; /* the answer to get_autocommit is an error */
    exec_ok(x, "BEGIN");
    assert_true(asks_autocommit(x));
    x->s.ac_error = false;
    /* the state was not known: the next request asks, whatever it is */
    exec_ok(x, "INSERT INTO t VALUES (1)");
    assert_true(asks_autocommit(x));
    assert_false(autocommit(x));
    exec_ok(x, "ROLLBACK");
    assert_true(autocommit(x));
    exec_ok(x, "INSERT INTO t VALUES (1)");
    assert_false(asks_autocommit(x));
}

/* ---- batch bodies --------------------------------------------------------------- */

static void add(fx *x, const char *sql, int64_t v)
{
    lsql_param p = {NULL, lsql_int(v)};
    lsql_error e;
    assert_int_equal(lsql_batch_add(x->b, sql, &p, strchr(sql, '?') ? 1 : 0, &e), LSQL_OK);
}

static void run_batch(fx *x, unsigned flags, int want)
{
    lsql_batch_result *r = NULL;
    lsql_error e;
    ct_expect(want, &e, lsql_batch_run(x->c, x->b, flags, &r, &e));
    lsql_batch_result_free(r);
}

#define INS "INSERT INTO t(v) VALUES (?)"

static void batch_body_is_small(void **state)
{
    fx *x = *state;
    for (int i = 0; i < 5; i++)
        add(x, INS, i);
    add(x, "DELETE FROM t", 0);
    run_batch(x, LSQL_BATCH_ATOMIC, LSQL_OK);
    const char *b = last_body(x);
    assert_null(strstr(b, "named_args"));
    assert_null(strstr(b, "want_rows"));
    assert_null(strstr(b, "\"args\":[]"));
    /* no step may end the transaction: only the ROLLBACK checks */
    assert_int_equal(count(b, "is_autocommit"), 1);
    /* the first batch sends the repeated text inline (5 times) and stores it */
    assert_int_equal(count(b, "\"type\":\"store_sql\""), 1);
    assert_int_equal(count(b, "\"sql\":\"" INS "\""), 6);
    assert_int_equal(count(b, "\"sql_id\""), 1);
    /* the next batch sends it by id */
    run_batch(x, LSQL_BATCH_ATOMIC, LSQL_OK);
    b = last_body(x);
    assert_int_equal(count(b, "\"type\":\"store_sql\""), 0);
    assert_int_equal(count(b, INS), 0);
    assert_int_equal(count(b, "\"sql_id\""), 5);
    assert_true(autocommit(x));
    /* a text used once is not stored; a stored one is used even once */
    lsql_batch_clear(x->b);
    add(x, INS, 1);
    add(x, "UPDATE t SET v = 1", 0);
    run_batch(x, 0, LSQL_OK);
    b = last_body(x);
    assert_int_equal(count(b, "\"sql_id\""), 1);
    assert_int_equal(count(b, "store_sql"), 0);
    assert_int_equal(count(b, "UPDATE t SET v = 1"), 1);
}

static void batch_guard_after_txn_step(void **state)
{
    fx *x = *state;
    add(x, INS, 1);
    add(x, "COMMIT", 0);
    add(x, INS, 2);
    run_batch(x, LSQL_BATCH_ATOMIC, LSQL_TXN_ENDED);
    const char *b = last_body(x);
    /* the step after the COMMIT and the ROLLBACK check */
    assert_int_equal(count(b, "is_autocommit"), 2);
    assert_true(strstr(b, "get_autocommit") != NULL);
    assert_true(autocommit(x));
}

static void batch_store_refused(void **state)
{
    fx *x = *state;
    x->s.refuse_store = true;
    for (int i = 0; i < 3; i++)
        add(x, INS, i);
    run_batch(x, LSQL_BATCH_ATOMIC, LSQL_OK);
    assert_int_equal(count(last_body(x), "store_sql"), 1);
    /* refused on this stream: inline again, not stored again */
    run_batch(x, LSQL_BATCH_ATOMIC, LSQL_OK);
    const char *b = last_body(x);
    assert_int_equal(count(b, "store_sql"), 0);
    assert_int_equal(count(b, INS), 3);
    assert_int_equal(count(b, "sql_id"), 0);
}

static void batch_store_new_stream(void **state)
{
    fx *x = *state;
    for (int i = 0; i < 3; i++)
        add(x, INS, i);
    run_batch(x, 0, LSQL_OK);
    run_batch(x, 0, LSQL_OK);
    assert_int_equal(count(last_body(x), "sql_id"), 3);
    /* the server ends the stream: its stored texts are gone */
    x->s.close_stream = true;
    run_batch(x, 0, LSQL_OK);
    x->s.close_stream = false;
    for (int i = 0; i < 256; i++) { /* as a real server would */
        free(x->s.sqls[i]);
        x->s.sqls[i] = NULL;
    }
    run_batch(x, 0, LSQL_OK);
    const char *b = last_body(x);
    assert_true(strstr(b, "\"baton\":null") != NULL);
    assert_int_equal(count(b, "store_sql"), 1);
    assert_int_equal(count(b, INS), 4);
    run_batch(x, 0, LSQL_OK);
    assert_int_equal(count(last_body(x), "sql_id"), 3);
}

static void batch_many_texts(void **state)
{
    fx *x = *state;
    /* more repeated texts than the connection keeps: every batch still
     * runs, and older texts are closed on the server when replaced */
    char sql[64];
    for (int round = 0; round < 3; round++) {
        lsql_batch_clear(x->b);
        for (int t = 0; t < 12; t++) {
            snprintf(sql, sizeof sql, "INSERT INTO t%d(v) VALUES (?)", round * 12 + t);
            add(x, sql, 1);
            add(x, sql, 2);
        }
        run_batch(x, LSQL_BATCH_ATOMIC, LSQL_OK);
        run_batch(x, LSQL_BATCH_ATOMIC, LSQL_OK);
        const char *b = last_body(x);
        assert_int_equal(count(b, "\"sql_id\""), 16); /* 8 texts kept, 2 uses each */
        if (round)
            assert_int_equal(count(b, "close_sql") + count(x->s.bodies[x->s.nbodies - 2],
                                                           "close_sql"),
                             8);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(autocommit_only_when_needed, setup, teardown),
        cmocka_unit_test_setup_teardown(autocommit_unknown_asks_again, setup, teardown),
        cmocka_unit_test_setup_teardown(batch_body_is_small, setup, teardown),
        cmocka_unit_test_setup_teardown(batch_guard_after_txn_step, setup, teardown),
        cmocka_unit_test_setup_teardown(batch_store_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(batch_store_new_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(batch_many_texts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
