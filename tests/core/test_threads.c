/* test_threads.c -- the thread contract: one connection per thread used
 * concurrently, concurrent lsql_db_connect, and a connection handed from one
 * thread to another. */
#include "coretest.h"

#include <pthread.h>

#define NTHREADS 4
#define NINSERTS 200

typedef struct {
    lsql_db *db;
    int id;
    int rc;            /* first failure, LSQL_OK if none */
    char msg[LSQL_ERRMSG_MAX + 64];
    int inserted;
} worker;

static void *insert_worker(void *arg)
{
    worker *w = arg;
    lsql_conn *c = NULL;
    lsql_error e;
    w->rc = lsql_db_connect(w->db, &c, &e);
    if (w->rc) {
        snprintf(w->msg, sizeof w->msg, "connect: %s", e.message);
        return NULL;
    }
    for (int i = 0; i < NINSERTS; i++) {
        lsql_param p[] = {{":t", lsql_int(w->id)}, {":i", lsql_int(i)}};
        int rc = lsql_exec(c, "INSERT INTO t(thread, i) VALUES (:t, :i)", p, 2, NULL, &e);
        if (rc) {
            w->rc = rc;
            snprintf(w->msg, sizeof w->msg, "insert %d: %s", i, e.message);
            break;
        }
        w->inserted++;
    }
    int rc = lsql_conn_close(c);
    if (rc && !w->rc)
        w->rc = rc;
    return NULL;
}

static void concurrent_inserts(void **state)
{
    (void)state;
    char path[1024];
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = ct_path("threads-inserts", path, sizeof path);
    lsql_db *db = ct_open(&o);
    lsql_conn *c = ct_connect(db);
    tu_exec(c, "CREATE TABLE t(thread INTEGER, i INTEGER, PRIMARY KEY (thread, i))");

    pthread_t th[NTHREADS];
    worker w[NTHREADS];
    memset(w, 0, sizeof w);
    for (int i = 0; i < NTHREADS; i++) {
        w[i].db = db;
        w[i].id = i;
        assert_int_equal(pthread_create(&th[i], NULL, insert_worker, &w[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < NTHREADS; i++)
        if (w[i].rc != LSQL_OK)
            fail_msg("thread %d: %s (%s) after %d inserts", i, lsql_errname(w[i].rc), w[i].msg,
                     w[i].inserted);
    assert_int_equal(ct_int(c, "SELECT count(*) FROM t"), NTHREADS * NINSERTS);
    for (int i = 0; i < NTHREADS; i++) {
        lsql_param p = {NULL, lsql_int(i)};
        int64_t n = -1;
        lsql_error e;
        assert_ok(lsql_query_int64(c, "SELECT count(*) FROM t WHERE thread = ?", &p, 1, &n, &e));
        assert_int_equal(n, NINSERTS);
    }
    lsql_db_close(db);
    tu_db_remove(path);
}

/* ---- concurrent connect ----------------------------------------------------- */

#define NCONNECT 8
#define CONNECT_ROUNDS 10

typedef struct {
    lsql_db *db;
    pthread_barrier_t *start;
    const char *sql; /* a one-integer query each connection runs */
    int rounds;      /* connections to open (0: CONNECT_ROUNDS) */
    int rc;
    char msg[LSQL_ERRMSG_MAX + 64];
    int64_t seen;
} connector;

static void *connect_worker(void *arg)
{
    connector *w = arg;
    pthread_barrier_wait(w->start);
    int rounds = w->rounds ? w->rounds : CONNECT_ROUNDS;
    for (int r = 0; r < rounds && w->rc == LSQL_OK; r++) {
        lsql_conn *c = NULL;
        lsql_error e;
        int rc = lsql_db_connect(w->db, &c, &e);
        if (rc) {
            w->rc = rc;
            snprintf(w->msg, sizeof w->msg, "connect: %s", e.message);
            break;
        }
        int64_t v = -1;
        rc = lsql_query_int64(c, w->sql, NULL, 0, &v, &e);
        if (rc) {
            w->rc = rc;
            snprintf(w->msg, sizeof w->msg, "query: %s", e.message);
        }
        w->seen = v;
        /* keep every other connection open: lsql_db_close closes them */
        if (r % 2 == 0) {
            rc = lsql_conn_close(c);
            if (rc && !w->rc)
                w->rc = rc;
        }
    }
    return NULL;
}

static void concurrent_connect_mode(int mode)
{
    char path[1024];
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.mode = mode;
    if (mode == LSQL_MODE_LOCAL)
        o.path = ct_path("threads-connect", path, sizeof path);
    else
        o.flags = LSQL_DB_MEMORY_SHARED;
    lsql_db *db = ct_open(&o);
    lsql_conn *c = ct_connect(db);
    tu_exec(c, "CREATE TABLE seed(x)");
    tu_exec(c, "INSERT INTO seed VALUES (1), (2), (3)");

    pthread_barrier_t start;
    assert_int_equal(pthread_barrier_init(&start, NULL, NCONNECT), 0);
    pthread_t th[NCONNECT];
    connector w[NCONNECT];
    memset(w, 0, sizeof w);
    for (int i = 0; i < NCONNECT; i++) {
        w[i].db = db;
        w[i].start = &start;
        w[i].sql = "SELECT count(*) FROM seed";
        assert_int_equal(pthread_create(&th[i], NULL, connect_worker, &w[i]), 0);
    }
    for (int i = 0; i < NCONNECT; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < NCONNECT; i++) {
        if (w[i].rc != LSQL_OK)
            fail_msg("thread %d: %s (%s)", i, lsql_errname(w[i].rc), w[i].msg);
        assert_int_equal(w[i].seen, 3);
    }
    assert_ok(lsql_db_close(db)); /* closes the connections left open */
    if (mode == LSQL_MODE_LOCAL)
        tu_db_remove(path);
}

static void concurrent_connect_file(void **state)
{
    (void)state;
    concurrent_connect_mode(LSQL_MODE_LOCAL);
}

static void concurrent_connect_memory(void **state)
{
    (void)state;
    concurrent_connect_mode(LSQL_MODE_MEMORY);
}

/* A fresh file: the first connections race to switch it to WAL. The race is
 * short, so it is repeated on several fresh files. */
#define FRESH_ITERATIONS 100

static void concurrent_first_connect_fresh_file(void **state)
{
    (void)state;
    char path[1024];
    for (int it = 0; it < FRESH_ITERATIONS; it++) {
        lsql_db_opts o;
        lsql_db_opts_init(&o);
        o.path = ct_path("threads-fresh", path, sizeof path);
        lsql_db *db = ct_open(&o);
        pthread_barrier_t start;
        assert_int_equal(pthread_barrier_init(&start, NULL, NCONNECT), 0);
        pthread_t th[NCONNECT];
        connector w[NCONNECT];
        memset(w, 0, sizeof w);
        for (int i = 0; i < NCONNECT; i++) {
            w[i].db = db;
            w[i].start = &start;
            w[i].rounds = 1;
            w[i].sql = "SELECT count(*) FROM sqlite_schema";
            assert_int_equal(pthread_create(&th[i], NULL, connect_worker, &w[i]), 0);
        }
        for (int i = 0; i < NCONNECT; i++)
            assert_int_equal(pthread_join(th[i], NULL), 0);
        pthread_barrier_destroy(&start);
        for (int i = 0; i < NCONNECT; i++) {
            if (w[i].rc != LSQL_OK) {
                lsql_db_close(db);
                tu_db_remove(path);
                fail_msg("iteration %d, thread %d: %s (%s)", it, i, lsql_errname(w[i].rc),
                         w[i].msg);
            }
            assert_int_equal(w[i].seen, 0);
        }
        lsql_conn *c = ct_connect(db);
        char buf[16];
        assert_string_equal(ct_text(c, "PRAGMA journal_mode", buf, sizeof buf), "wal");
        assert_ok(lsql_db_close(db));
    }
    tu_db_remove(path);
}

/* ---- hand-over ---------------------------------------------------------------- */

typedef struct {
    lsql_conn *c;
    lsql_stmt *st;
    lsql_rows *rows;
    int rc;
    char msg[LSQL_ERRMSG_MAX + 64];
    int64_t first_row;
    int64_t count;
} handover;

static void *handover_worker(void *arg)
{
    handover *h = arg;
    lsql_error e;
    /* continue the rows handle the main thread started */
    int rc = lsql_rows_next(h->rows, &e);
    if (rc != LSQL_ROW) {
        h->rc = rc ? rc : LSQL_ERROR;
        snprintf(h->msg, sizeof h->msg, "rows_next: %s", e.message);
        return NULL;
    }
    h->first_row = lsql_rows_int64(h->rows, 0);
    lsql_rows_free(h->rows);
    h->rows = NULL;
    /* use the statement prepared on the main thread */
    for (int i = 0; i < 10; i++) {
        lsql_param p = {NULL, lsql_int(100 + i)};
        rc = lsql_exec_stmt(h->c, h->st, &p, 1, NULL, &e);
        if (rc) {
            h->rc = rc;
            snprintf(h->msg, sizeof h->msg, "exec_stmt: %s", e.message);
            return NULL;
        }
    }
    /* and the connection directly */
    rc = lsql_query_int64(h->c, "SELECT count(*) FROM t", NULL, 0, &h->count, &e);
    if (rc) {
        h->rc = rc;
        snprintf(h->msg, sizeof h->msg, "count: %s", e.message);
        return NULL;
    }
    rc = lsql_exec(h->c, "INSERT INTO t VALUES (-1)", NULL, 0, NULL, &e);
    if (rc) {
        h->rc = rc;
        snprintf(h->msg, sizeof h->msg, "exec: %s", e.message);
    }
    return NULL;
}

static void connection_handover(void **state)
{
    (void)state;
    char path[1024];
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = ct_path("threads-handover", path, sizeof path);
    lsql_db *db = ct_open(&o);
    lsql_conn *c = ct_connect(db);
    tu_exec(c, "CREATE TABLE t(x)");
    tu_exec(c, "INSERT INTO t VALUES (1), (2), (3)");
    handover h;
    memset(&h, 0, sizeof h);
    h.c = c;
    lsql_error e;
    assert_ok(lsql_prepare(c, "INSERT INTO t VALUES (?)", -1, 0, &h.st, NULL, &e));
    assert_ok(lsql_query(c, "SELECT x FROM t ORDER BY x", NULL, 0, &h.rows, &e));
    assert_rc(LSQL_ROW, lsql_rows_next(h.rows, &e));
    assert_int_equal(lsql_rows_int64(h.rows, 0), 1);

    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, handover_worker, &h), 0);
    assert_int_equal(pthread_join(th, NULL), 0); /* the join is the hand-back */
    if (h.rc != LSQL_OK)
        fail_msg("worker: %s (%s)", lsql_errname(h.rc), h.msg);
    assert_int_equal(h.first_row, 2);
    assert_int_equal(h.count, 13);
    /* back on the main thread */
    assert_int_equal(ct_int(c, "SELECT count(*) FROM t"), 14);
    lsql_param p = {NULL, lsql_int(7)};
    assert_ok(lsql_exec_stmt(c, h.st, &p, 1, NULL, &e));
    assert_int_equal(ct_int(c, "SELECT count(*) FROM t WHERE x = 7"), 1);
    lsql_finalize(h.st);
    lsql_db_close(db);
    tu_db_remove(path);
}

/* A connection created on a worker thread and used (and closed) by main. */
static void *create_conn_worker(void *arg)
{
    lsql_db *db = ((void **)arg)[0];
    lsql_conn **out = ((void **)arg)[1];
    lsql_error e;
    if (lsql_db_connect(db, out, &e) != LSQL_OK)
        *out = NULL;
    else if (lsql_exec(*out, "INSERT INTO t VALUES (42)", NULL, 0, NULL, &e) != LSQL_OK) {
        lsql_conn_close(*out);
        *out = NULL;
    }
    return NULL;
}

static void connection_created_on_worker(void **state)
{
    (void)state;
    lsql_db *db;
    lsql_conn *c;
    tu_open_memory(&db, &c);
    tu_exec(c, "CREATE TABLE t(x)");
    lsql_conn *wc = NULL;
    void *args[2] = {db, &wc};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, create_conn_worker, args), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_non_null(wc);
    assert_int_equal(ct_int(wc, "SELECT x FROM t"), 42);
    assert_ok(lsql_conn_close(wc));
    lsql_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(concurrent_inserts),
        cmocka_unit_test(concurrent_connect_file),
        cmocka_unit_test(concurrent_connect_memory),
        cmocka_unit_test(concurrent_first_connect_fresh_file),
        cmocka_unit_test(connection_handover),
        cmocka_unit_test(connection_created_on_worker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
