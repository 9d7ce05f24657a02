/* test_txn_oom.c -- out-of-memory behaviour of transactions, savepoints,
 * batches, scripts, cursors and reset.
 *
 * A fault-injecting allocator (installed first, so SQLite's memory comes
 * from it too) fails the Nth allocation after fault_arm(N): only that one
 * (transient) or every one from it on (persistent). For N = 1, 2, ... a
 * scenario runs every operation of the subsystem; each call must give its
 * normal result or a code of class LSQL_NOMEM (with err filled to match),
 * never anything else and never a crash. At the first NOMEM the scenario
 * stops:
 *  - transient: faults are disarmed and the connection must still work
 *    (a query, lsql_conn_reset, a new transaction), then everything is
 *    closed;
 *  - persistent: everything is freed and closed while allocations keep
 *    failing.
 * After every run the live blocks must be back at their baseline (a leak
 * check that works without ASan). The loop ends at the first N that the
 * scenario no longer reaches. */
#include "coretest.h"

#include <stdbool.h>

#define HDR 16

static struct {
    long live_blocks;
    bool armed, persistent;
    unsigned long since_arm, fail_at, hits;
} g_f;

static bool should_fail(void)
{
    if (!g_f.armed)
        return false;
    unsigned long k = ++g_f.since_arm;
    if (k == g_f.fail_at || (g_f.persistent && k > g_f.fail_at)) {
        g_f.hits++;
        return true;
    }
    return false;
}

static void *f_malloc(size_t n, void *ctx)
{
    (void)ctx;
    if (should_fail())
        return NULL;
    unsigned char *b = malloc(n + HDR);
    if (!b)
        return NULL;
    g_f.live_blocks++;
    return b + HDR;
}

static void *f_realloc(void *p, size_t n, void *ctx)
{
    if (!p)
        return f_malloc(n, ctx);
    if (should_fail())
        return NULL;
    unsigned char *q = realloc((unsigned char *)p - HDR, n + HDR);
    return q ? q + HDR : NULL;
}

static void f_free(void *p, void *ctx)
{
    (void)ctx;
    if (!p)
        return;
    g_f.live_blocks--;
    free((unsigned char *)p - HDR);
}

typedef struct {
    unsigned long n;
    bool persistent;
    unsigned long nomem; /* NOMEM results over the loop */
} run_ctx;

/* true: the call gave `want`; false: NOMEM (stop the scenario). */
static bool ok(run_ctx *r, const char *what, int rc, int want, const lsql_error *e)
{
    if (rc == want)
        return true;
    if (LSQL_CLASS(rc) != LSQL_NOMEM)
        fail_msg("OOM %s N=%lu: %s returned %s (%d), want %s or class LSQL_NOMEM: %s",
                 r->persistent ? "persistent" : "transient", r->n, what, lsql_errname(rc), rc,
                 lsql_errname(want), e ? e->message : "");
    if (e && (e->ext_code != rc || e->code != LSQL_NOMEM || !e->message[0]))
        fail_msg("OOM N=%lu: %s returned %s but err is %d/%d '%s'", r->n, what,
                 lsql_errname(rc), e->code, e->ext_code, e->message);
    r->nomem++;
    return false;
}

#define STEP(what, want, call, errp)                                                   \
    do {                                                                               \
        if (!ok(r, (what), (call), (want), (errp)))                                    \
            goto stop;                                                                 \
    } while (0)

static void scenario(run_ctx *r)
{
    lsql_error e;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    lsql_txn *t = NULL;
    lsql_batch *b = NULL;
    lsql_batch_result *res = NULL;
    lsql_cursor *cur = NULL;
    const lsql_rowset *pg = NULL;
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.mode = LSQL_MODE_MEMORY;
    /* private: SQLite's memdb VFS (shared MEMORY) keeps a grown global array
     * after some failed opens, which a leak count would take for a leak (see
     * test_oom.c, settle_memdb) */
    o.flags = 0; /* private: the default */
    lsql_param p[] = {{NULL, lsql_text_z("a text value long enough to be its own block")},
                      {":n", lsql_int(7)}};
    lsql_param p0[] = {{NULL, lsql_int(0)}};
    int64_t count = 0;

    STEP("open", LSQL_OK, lsql_db_open(&o, &db, &e), &e);
    STEP("connect", LSQL_OK, lsql_db_connect(db, &c, &e), &e);
    STEP("create", LSQL_OK,
         lsql_exec(c, "CREATE TABLE t(id INTEGER PRIMARY KEY, s TEXT, n INTEGER)", NULL, 0, NULL, &e),
         &e);
    STEP("begin", LSQL_OK, lsql_begin(c, LSQL_BEGIN_IMMEDIATE, &t, &e), &e);
    STEP("savepoint", LSQL_OK, lsql_savepoint(c, t, "sp1", &e), &e);
    STEP("insert", LSQL_OK,
         lsql_exec(c, "INSERT INTO t(s, n) VALUES (?, :n)", p, 2, NULL, &e), &e);
    STEP("savepoint 2", LSQL_OK, lsql_savepoint(c, t, "sp2", &e), &e);
    STEP("rollback to", LSQL_OK, lsql_savepoint_rollback(c, t, "sp2", &e), &e);
    STEP("release", LSQL_OK, lsql_savepoint_release(c, t, "sp1", &e), &e);
    STEP("commit", LSQL_OK, lsql_commit(c, t, &e), &e);
    STEP("txn free", LSQL_OK, lsql_txn_free(t), NULL);
    t = NULL;
    STEP("begin read-only", LSQL_OK, lsql_begin(c, LSQL_BEGIN_READ_ONLY, &t, &e), &e);
    STEP("rollback", LSQL_OK, lsql_rollback(c, t, &e), &e);
    STEP("txn free", LSQL_OK, lsql_txn_free(t), NULL);
    t = NULL;

    STEP("batch new", LSQL_OK, lsql_batch_new(&b), NULL);
    STEP("batch add", LSQL_OK, lsql_batch_add(b, "INSERT INTO t(s, n) VALUES (?, :n)", p, 2, &e), &e);
    STEP("batch add", LSQL_OK, lsql_batch_add(b, "SELECT id, s, n FROM t ORDER BY id", NULL, 0, &e), &e);
    STEP("batch run", LSQL_OK, lsql_batch_run(c, b, LSQL_BATCH_ATOMIC, &res, &e), &e);
    lsql_batch_result_free(res);
    res = NULL;
    STEP("batch run read-only", LSQL_READONLY_TXN,
         lsql_batch_run(c, b, LSQL_BATCH_ATOMIC | LSQL_BATCH_READ_ONLY, &res, &e), &e);
    lsql_batch_result_free(res);
    res = NULL;
    STEP("script", LSQL_OK,
         lsql_script_run(c, "INSERT INTO t(s) VALUES ('x'); SELECT * FROM t; -- end\n",
                         LSQL_BATCH_ATOMIC, &res, &e),
         &e);
    lsql_batch_result_free(res);
    res = NULL;

    STEP("cursor open", LSQL_OK, lsql_cursor_open(c, "SELECT id, s FROM t WHERE n >= ?", p0, 1, &cur, &e), &e);
    STEP("cursor fetch", LSQL_ROW, lsql_cursor_fetch(cur, 1, &pg, &e), &e);
    STEP("cursor fetch", LSQL_ROW, lsql_cursor_fetch(cur, 10, &pg, &e), &e);
    STEP("cursor fetch", LSQL_DONE, lsql_cursor_fetch(cur, 10, &pg, &e), &e);
    STEP("cursor close", LSQL_OK, lsql_cursor_close(cur), NULL);
    cur = NULL;

    STEP("temp table", LSQL_OK, lsql_exec(c, "CREATE TEMP TABLE tt(x)", NULL, 0, NULL, &e), &e);
    STEP("begin", LSQL_OK, lsql_begin(c, LSQL_BEGIN_DEFERRED, &t, &e), &e);
    STEP("cursor open", LSQL_OK, lsql_cursor_open(c, "SELECT * FROM t", NULL, 0, &cur, &e), &e);
    STEP("reset", LSQL_OK, lsql_conn_reset(c, &e), &e);
    STEP("count", LSQL_OK, lsql_query_int64(c, "SELECT count(*) FROM t", NULL, 0, &count, &e), &e);

stop:
    if (!r->persistent && g_f.hits) {
        /* transient: the connection must still work */
        g_f.armed = false;
        if (c) {
            int64_t n = -1;
            assert_ok(lsql_conn_reset(c, &e));
            assert_ok(lsql_exec(c, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, s TEXT, "
                                   "n INTEGER)", NULL, 0, NULL, &e));
            assert_ok(lsql_query_int64(c, "SELECT count(*) FROM t", NULL, 0, &n, &e));
            lsql_txn *t2;
            assert_ok(lsql_begin(c, LSQL_BEGIN_DEFERRED, &t2, &e));
            assert_ok(lsql_exec(c, "INSERT INTO t(s) VALUES ('after')", NULL, 0, NULL, &e));
            assert_ok(lsql_commit(c, t2, &e));
            lsql_txn_free(t2);
        }
    }
    /* cleanup: under persistent faults too */
    lsql_batch_result_free(res);
    lsql_batch_free(b);
    lsql_cursor_close(cur);
    lsql_txn_free(t);
    lsql_db_close(db);
}

static void oom_loop(bool persistent)
{
    run_ctx r;
    memset(&r, 0, sizeof r);
    r.persistent = persistent;
    long base = g_f.live_blocks;
    for (r.n = 1;; r.n++) {
        g_f.armed = true;
        g_f.persistent = persistent;
        g_f.since_arm = 0;
        g_f.fail_at = r.n;
        g_f.hits = 0;
        scenario(&r);
        bool reached = g_f.hits > 0;
        g_f.armed = false;
        if (g_f.live_blocks != base)
            fail_msg("OOM %s N=%lu: %ld blocks leaked", persistent ? "persistent" : "transient",
                     r.n, g_f.live_blocks - base);
        if (!reached)
            break;
        if (r.n > 100000)
            fail_msg("OOM loop does not end");
    }
    print_message("OOM %s: %lu runs, %lu NOMEM results\n", persistent ? "persistent" : "transient",
                  r.n, r.nomem);
    assert_true(r.n > 50); /* the scenario does allocate */
    assert_true(r.nomem > 0);
}

static void transient(void **state)
{
    (void)state;
    oom_loop(false);
}

static void persistent(void **state)
{
    (void)state;
    oom_loop(true);
}

int main(void)
{
    lsql_allocator a = {f_malloc, f_realloc, f_free, NULL};
    if (lsql_set_allocator(&a, NULL) != LSQL_OK || lsql_initialize() != LSQL_OK) {
        fprintf(stderr, "cannot install the allocator\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(transient),
        cmocka_unit_test(persistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
