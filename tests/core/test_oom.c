/* test_oom.c -- out-of-memory behaviour of the whole stack.
 *
 * A fault-injecting allocator is installed with lsql_set_allocator() before
 * anything else, so lsql's own memory and SQLite's (SQLITE_CONFIG_MALLOC) both
 * come from it. After fault_arm(N) the Nth allocation (malloc or realloc)
 * from then on fails: only that one ("transient"), or that one and every
 * later one ("persistent").
 *
 * For N = 1, 2, ... a scenario runs open, connect, exec, prepare, bind, step,
 * reset, query + rows_next, query_one, query_value and the cleanup, and every
 * call must give its normal result or a code of class LSQL_NOMEM:
 *  - transient: after a NOMEM the failing call is retried once with faults
 *    disarmed and must then succeed; the scenario goes on to the end, so the
 *    handles obtained so far are shown to be usable;
 *  - persistent: after the first NOMEM the scenario jumps to its cleanup
 *    while allocations keep failing, so the handles are shown to be
 *    closable under memory pressure.
 * After every run the number of live blocks must be back at its baseline (a
 * leak check that works without ASan). The loop stops at the first N whose
 * run hits no injected fault, i.e. N has passed the number of allocations
 * the scenario makes.
 *
 * The four loops (MEMORY/LOCAL x transient/persistent) run twice: with
 * SQLite's default configuration, then with its lookaside allocator turned
 * off (SQLITE_CONFIG_LOOKASIDE 0,0 between lsql_shutdown and the next
 * initialisation), so that on SQLite builds with lookaside SQLite's small
 * allocations go through the allocator as well and more failure points are
 * reached (Debian's libsqlite3 3.40 already has lookaside off: both rounds
 * reach the same N there). */
#include "testutil.h"

#include <sqlite3.h>
#include <stdbool.h>

#include "fault_alloc.h"

/* ---- bookkeeping of one loop ----------------------------------------------- */

#define MAX_CALLS 48

typedef struct {
    const char *variant; /* "transient" / "persistent" */
    const char *mode_name;
    int mode;
    bool persistent;
    unsigned long n; /* the N of the current run */
    char path[1024]; /* LOCAL: database file */
    /* which calls returned NOMEM, and how often (over the whole loop) */
    const char *call_name[MAX_CALLS];
    unsigned long call_nomem[MAX_CALLS];
    int ncalls;
    unsigned long nomem_total;
    unsigned long stale_nomem; /* NOMEM although no fault hit during the call */
    unsigned long close_nomem; /* conn/db close reporting NOMEM */
    unsigned long settled;     /* runs after which settle_memdb() was needed */
} run_ctx;

static void note_nomem(run_ctx *r, const char *what)
{
    r->nomem_total++;
    for (int i = 0; i < r->ncalls; i++)
        if (!strcmp(r->call_name[i], what)) {
            r->call_nomem[i]++;
            return;
        }
    if (r->ncalls < MAX_CALLS) {
        r->call_name[r->ncalls] = what;
        r->call_nomem[r->ncalls++] = 1;
    }
}

/* Message of the connection's last error, or of `err`. */
static const char *msg_of(const lsql_error *err, const lsql_conn *conn)
{
    if (err && err->ext_code)
        return err->message;
    return conn ? lsql_conn_errmsg(conn) : "";
}

/* Judges the result of one call: true when it gave `want`, false when it
 * failed with a code of class LSQL_NOMEM (the caller then recovers), and a
 * test failure for anything else. `hits_before` is the injected-fault count
 * before the call. */
static bool outcome(run_ctx *r, const char *what, int rc, int want,
                    const lsql_error *err, const lsql_conn *conn,
                    unsigned long hits_before)
{
    if (rc == want)
        return true;
    if (LSQL_CLASS(rc) != LSQL_NOMEM)
        fail_msg("OOM %s/%s N=%lu: %s returned %s (%d), want %s or class LSQL_NOMEM; "
                 "message: %s",
                 r->variant, r->mode_name, r->n, what, lsql_errname(rc), rc,
                 lsql_errname(want), msg_of(err, conn));
    if (err && (err->ext_code != rc || err->code != LSQL_NOMEM))
        fail_msg("OOM %s/%s N=%lu: %s returned %s but err holds code %d ext %d",
                 r->variant, r->mode_name, r->n, what, lsql_errname(rc), err->code,
                 err->ext_code);
    /* the connection keeps a copy of its last error */
    if (conn && lsql_conn_errcode(conn) != rc)
        fail_msg("OOM %s/%s N=%lu: %s returned %s but lsql_conn_errcode gives %s",
                 r->variant, r->mode_name, r->n, what, lsql_errname(rc),
                 lsql_errname(lsql_conn_errcode(conn)));
    if (g_fault.hits == hits_before)
        r->stale_nomem++;
    note_nomem(r, what);
    return false;
}

/* With faults disarmed, a call must give exactly `want`. */
static void must(run_ctx *r, const char *what, int rc, int want,
                 const lsql_error *err, const lsql_conn *conn)
{
    if (rc != want)
        fail_msg("OOM %s/%s N=%lu: retry of %s (faults disarmed) returned %s (%d), "
                 "want %s; message: %s",
                 r->variant, r->mode_name, r->n, what, lsql_errname(rc), rc,
                 lsql_errname(want), msg_of(err, conn));
}

/* Runs `call`; on a NOMEM runs `on_fail` (checks and preparation for a
 * retry), then either jumps to the cleanup (persistent) or disarms the faults
 * and retries the call once, which must give `want` (transient). */
#define RUN(r, what, want, call, errp, on_fail)                                    \
    do {                                                                           \
        unsigned long hb_ = g_fault.hits;                                          \
        int rc_ = (call);                                                          \
        if (!outcome((r), (what), rc_, (want), (errp), conn, hb_)) {               \
            on_fail;                                                               \
            if ((r)->persistent)                                                   \
                goto cleanup;                                                      \
            fault_disarm();                                                        \
            rc_ = (call);                                                          \
            must((r), (what), rc_, (want), (errp), conn);                          \
        }                                                                          \
    } while (0)

#define NOTHING ((void)0)

/* ---- the scenario ------------------------------------------------------------- */

static const char TEXT1[] = "the first row's text, long enough to need its own block";
static const char TEXT2[] = "second row";
static const unsigned char BLOB1[24] = {0, 1, 2, 3, 255, 254, 0, 7, 8, 9, 10, 11,
                                        12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23};

#define INSERT_SQL "INSERT INTO t(a, b, c) VALUES (?1, ?2, ?3)"
#define SELECT_SQL "SELECT a, b, c FROM t WHERE a >= ?1 ORDER BY a"

/* Checks the current row `i` of the SELECT (42/TEXT1/BLOB1, 43/TEXT2/NULL). */
static void check_rows_row(lsql_rows *rows, int i)
{
    lsql_value v;
    assert_ok(lsql_rows_get(rows, 0, &v));
    assert_int_equal(v.type, LSQL_TYPE_INTEGER);
    assert_int_equal(v.u.i, i == 0 ? 42 : 43);
    assert_ok(lsql_rows_get(rows, 1, &v));
    assert_int_equal(v.type, LSQL_TYPE_TEXT);
    const char *want = i == 0 ? TEXT1 : TEXT2;
    assert_int_equal(v.u.bytes.n, strlen(want));
    assert_memory_equal(v.u.bytes.p, want, strlen(want));
    assert_ok(lsql_rows_get(rows, 2, &v));
    if (i == 0) {
        assert_int_equal(v.type, LSQL_TYPE_BLOB);
        assert_int_equal(v.u.bytes.n, sizeof BLOB1);
        assert_memory_equal(v.u.bytes.p, BLOB1, sizeof BLOB1);
    } else {
        assert_int_equal(v.type, LSQL_TYPE_NULL);
    }
}

static void check_row_42(const lsql_row *row)
{
    assert_non_null(row);
    assert_int_equal(lsql_row_column_count(row), 3);
    assert_string_equal(lsql_row_column_name(row, 0), "a");
    assert_string_equal(lsql_row_column_name(row, 2), "c");
    lsql_value v;
    assert_ok(lsql_row_get(row, 0, &v));
    assert_int_equal(v.type, LSQL_TYPE_INTEGER);
    assert_int_equal(v.u.i, 42);
    assert_ok(lsql_row_get(row, 1, &v));
    assert_int_equal(v.type, LSQL_TYPE_TEXT);
    assert_string_equal((const char *)v.u.bytes.p, TEXT1);
    assert_ok(lsql_row_get(row, 2, &v));
    assert_int_equal(v.type, LSQL_TYPE_BLOB);
    assert_int_equal(v.u.bytes.n, sizeof BLOB1);
    assert_memory_equal(v.u.bytes.p, BLOB1, sizeof BLOB1);
}

static void scenario(run_ctx *r)
{
    lsql_error err;
    lsql_db *db = NULL;
    lsql_conn *conn = NULL;
    lsql_stmt *st = NULL;
    lsql_rows *rows = NULL;
    lsql_row *row = NULL;
    lsql_value val = lsql_null();
    int64_t count = -1;
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.mode = r->mode;
    if (r->mode == LSQL_MODE_LOCAL)
        o.path = r->path;
    const lsql_param p0[] = {{NULL, lsql_int(0)}};
    const lsql_param p42[] = {{":a", lsql_int(42)}};
    const lsql_param p43[] = {{NULL, lsql_int(43)}};

    RUN(r, "lsql_db_open", LSQL_OK, lsql_db_open(&o, &db, &err), &err,
        assert_null(db));
    RUN(r, "lsql_db_connect", LSQL_OK, lsql_db_connect(db, &conn, &err), &err,
        assert_null(conn));
    RUN(r, "lsql_exec CREATE TABLE", LSQL_OK,
        lsql_exec(conn, "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT NOT NULL, c BLOB)",
                  NULL, 0, NULL, &err),
        &err, NOTHING);
    RUN(r, "lsql_prepare", LSQL_OK, lsql_prepare(conn, INSERT_SQL, -1, 0, &st, NULL, &err),
        &err, assert_null(st));

    /* first row: every column bound, text and blob copied */
    RUN(r, "lsql_bind_int64", LSQL_OK, lsql_bind_int64(st, 1, 42), NULL, NOTHING);
    RUN(r, "lsql_bind_text", LSQL_OK,
        lsql_bind_text(st, 2, TEXT1, strlen(TEXT1), LSQL_COPY), NULL, NOTHING);
    RUN(r, "lsql_bind_blob", LSQL_OK,
        lsql_bind_blob(st, 3, BLOB1, sizeof BLOB1, LSQL_COPY), NULL, NOTHING);
    RUN(r, "lsql_step", LSQL_DONE, lsql_step(st, &err), &err,
        assert_ok(lsql_reset(st)));
    RUN(r, "lsql_reset", LSQL_OK, lsql_reset(st), NULL, NOTHING);

    /* second row: a kept binding replaced, c set back to NULL */
    RUN(r, "lsql_bind_int64", LSQL_OK, lsql_bind_int64(st, 1, 43), NULL, NOTHING);
    RUN(r, "lsql_bind_text", LSQL_OK,
        lsql_bind_text(st, 2, TEXT2, strlen(TEXT2), LSQL_COPY), NULL, NOTHING);
    RUN(r, "lsql_bind_null", LSQL_OK, lsql_bind_null(st, 3), NULL, NOTHING);
    RUN(r, "lsql_step", LSQL_DONE, lsql_step(st, &err), &err,
        assert_ok(lsql_reset(st)));
    RUN(r, "lsql_reset", LSQL_OK, lsql_reset(st), NULL, NOTHING);

    /* streaming query over both rows */
    RUN(r, "lsql_query", LSQL_OK, lsql_query(conn, SELECT_SQL, p0, 1, &rows, &err), &err,
        assert_null(rows));
    for (int i = 0;; i++) {
        int want = i < 2 ? LSQL_ROW : LSQL_DONE;
        unsigned long hb = g_fault.hits;
        int rc = lsql_rows_next(rows, &err);
        if (!outcome(r, "lsql_rows_next", rc, want, &err, conn, hb)) {
            /* documented: the error that ended the rows is repeated */
            int again = lsql_rows_next(rows, &err);
            if (again != rc)
                fail_msg("OOM %s/%s N=%lu: lsql_rows_next after %s returned %s",
                         r->variant, r->mode_name, r->n, lsql_errname(rc),
                         lsql_errname(again));
            lsql_rows_free(rows);
            rows = NULL;
            if (r->persistent)
                goto cleanup;
            fault_disarm();
            must(r, "lsql_query (after rows_next failed)",
                 lsql_query(conn, SELECT_SQL, p0, 1, &rows, &err), LSQL_OK, &err, conn);
            i = -1; /* read the result again from its start */
            continue;
        }
        if (rc == LSQL_DONE)
            break;
        check_rows_row(rows, i);
    }
    lsql_rows_free(rows);
    rows = NULL;

    /* exactly one row, detached */
    RUN(r, "lsql_query_one", LSQL_OK,
        lsql_query_one(conn, "SELECT a, b, c FROM t WHERE a = :a", p42, 1, &row, &err),
        &err, assert_null(row));
    check_row_42(row);
    lsql_row_free(row);
    row = NULL;

    /* one value, owned text */
    RUN(r, "lsql_query_value", LSQL_OK,
        lsql_query_value(conn, "SELECT b FROM t WHERE a = ?", p43, 1, &val, &err), &err,
        assert_int_equal(val.type, LSQL_TYPE_NULL));
    assert_int_equal(val.type, LSQL_TYPE_TEXT);
    assert_string_equal((const char *)val.u.bytes.p, TEXT2);
    lsql_value_release(&val);

    /* a failure must never have been reported for work that was done: each
     * row was inserted exactly once */
    RUN(r, "lsql_query_int64 count", LSQL_OK,
        lsql_query_int64(conn, "SELECT count(*) FROM t", NULL, 0, &count, &err), &err,
        NOTHING);
    assert_int_equal(count, 2);

    /* a connection that opened under memory pressure has every default */
    int64_t fk = -1;
    RUN(r, "lsql_query_int64 PRAGMA foreign_keys", LSQL_OK,
        lsql_query_int64(conn, "PRAGMA foreign_keys", NULL, 0, &fk, &err), &err, NOTHING);
    if (fk != 1)
        fail_msg("OOM %s/%s N=%lu: connection opened with foreign_keys=%lld",
                 r->variant, r->mode_name, r->n, (long long)fk);
    if (r->mode == LSQL_MODE_LOCAL) {
        RUN(r, "lsql_query_value PRAGMA journal_mode", LSQL_OK,
            lsql_query_value(conn, "PRAGMA journal_mode", NULL, 0, &val, &err), &err,
            NOTHING);
        if (val.type != LSQL_TYPE_TEXT || strcmp((const char *)val.u.bytes.p, "wal"))
            fail_msg("OOM %s/%s N=%lu: connection opened with journal_mode=%s",
                     r->variant, r->mode_name, r->n,
                     val.type == LSQL_TYPE_TEXT ? (const char *)val.u.bytes.p : "(not text)");
        lsql_value_release(&val);
    }

cleanup:
    lsql_rows_free(rows);
    lsql_row_free(row);
    lsql_value_release(&val);
    /* On odd N the statement and the connection are left to their parents:
     * lsql_db_close must close them. */
    if (r->n % 2 == 0 || !db) {
        int rc = lsql_finalize(st);
        if (rc != LSQL_OK)
            fail_msg("OOM %s/%s N=%lu: lsql_finalize returned %s", r->variant,
                     r->mode_name, r->n, lsql_errname(rc));
        rc = lsql_conn_close(conn);
        if (rc != LSQL_OK && LSQL_CLASS(rc) != LSQL_NOMEM)
            fail_msg("OOM %s/%s N=%lu: lsql_conn_close returned %s", r->variant,
                     r->mode_name, r->n, lsql_errname(rc));
        if (rc != LSQL_OK)
            r->close_nomem++;
    }
    int rc = lsql_db_close(db);
    if (rc != LSQL_OK && LSQL_CLASS(rc) != LSQL_NOMEM)
        fail_msg("OOM %s/%s N=%lu: lsql_db_close returned %s", r->variant, r->mode_name,
                 r->n, lsql_errname(rc));
    if (rc != LSQL_OK)
        r->close_nomem++;
}

/* ---- the loop ---------------------------------------------------------------- */

/* SQLite's memdb VFS keeps a global array of shared in-memory databases.
 * When opening one fails after that array was grown (the mutex allocation
 * after it fails), SQLite keeps the grown array, still referenced by its
 * global, until the next shared in-memory database is closed. That is SQLite
 * holding a block, not a leak: opening and closing one shared MEMORY
 * database (faults disarmed) hands it back. A block really leaked by a run
 * is not freed by this, so the live count check after it still catches it. */
static void settle_memdb(void)
{
    lsql_db *db;
    lsql_conn *conn;
    tu_open_memory(&db, &conn);
    assert_ok(lsql_db_close(db));
}

/* Upper bound on N: far above what the scenario allocates, only there so a
 * bug that makes the scenario allocate without end cannot hang the test. */
#define MAX_N 200000ul

static const char *g_config = "default";

static void oom_loop(int mode, bool persistent)
{
    static run_ctx r; /* static: large, and zeroed below */
    memset(&r, 0, sizeof r);
    r.variant = persistent ? "persistent" : "transient";
    r.mode = mode;
    r.mode_name = mode == LSQL_MODE_MEMORY ? "MEMORY" : "LOCAL";
    r.persistent = persistent;
    if (mode == LSQL_MODE_LOCAL)
        snprintf(r.path, sizeof r.path, "%s", tu_db_path(persistent ? "oom-p" : "oom-t"));

    fault_disarm();
    assert_ok(lsql_initialize());
    long base_blocks = g_fault.live_blocks;
    size_t base_bytes = g_fault.live_bytes;

    /* a clean run first: the scenario itself must pass, and leak nothing */
    r.n = 0;
    scenario(&r);
    tu_db_remove(r.path);
    assert_int_equal(g_fault.live_blocks, base_blocks);
    assert_int_equal(g_fault.live_bytes, base_bytes);

    unsigned long n;
    unsigned long runs_with_nomem = 0;
    for (n = 1; n <= MAX_N; n++) {
        r.n = n;
        unsigned long before = r.nomem_total;
        fault_arm(n, persistent);
        scenario(&r);
        unsigned long hits = g_fault.hits;
        fault_disarm();
        if (r.path[0])
            tu_db_remove(r.path);
        if (g_fault.live_blocks != base_blocks || g_fault.live_bytes != base_bytes) {
            settle_memdb();
            r.settled++;
        }
        if (g_fault.live_blocks != base_blocks || g_fault.live_bytes != base_bytes)
            fail_msg("OOM %s/%s N=%lu: %ld blocks / %zu bytes live after the run, "
                     "baseline %ld / %zu (leak)",
                     r.variant, r.mode_name, n, g_fault.live_blocks, g_fault.live_bytes,
                     base_blocks, base_bytes);
        if (r.nomem_total != before)
            runs_with_nomem++;
        if (hits == 0)
            break;
    }
    assert_true(n <= MAX_N);
    /* The allocator is routed: the scenario makes many allocations, and many
     * of the injected failures surface as LSQL_NOMEM. */
    assert_true(n > 100);
    assert_true(runs_with_nomem > 10);

    print_message("[ OOM      ] %s/%s/%s: N reached %lu (the run with N=%lu hit no fault); "
                  "%lu runs saw LSQL_NOMEM; %lu NOMEM returns without a new fault; "
                  "%lu closes reported NOMEM; %lu runs needed settle_memdb()\n",
                  r.variant, r.mode_name, g_config, n, n, runs_with_nomem, r.stale_nomem,
                  r.close_nomem, r.settled);
    for (int i = 0; i < r.ncalls; i++)
        print_message("[ OOM      ]   %-40s NOMEM x%lu\n", r.call_name[i], r.call_nomem[i]);
}

static void test_oom_memory_transient(void **state)
{
    (void)state;
    oom_loop(LSQL_MODE_MEMORY, false);
}

static void test_oom_local_transient(void **state)
{
    (void)state;
    oom_loop(LSQL_MODE_LOCAL, false);
}

static void test_oom_memory_persistent(void **state)
{
    (void)state;
    oom_loop(LSQL_MODE_MEMORY, true);
}

static void test_oom_local_persistent(void **state)
{
    (void)state;
    oom_loop(LSQL_MODE_LOCAL, true);
}

/* Switches SQLite's lookaside off for the loops that follow. */
static void test_lookaside_off(void **state)
{
    (void)state;
    fault_disarm();
    assert_ok(lsql_shutdown());
    assert_int_equal(sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0), SQLITE_OK);
    assert_ok(lsql_initialize());
    g_config = "no-lookaside";
}

/* lsql_initialize itself under OOM: after lsql_shutdown, initialisation is
 * retried with the Nth allocation failing; it returns OK or NOMEM, a retry
 * succeeds, and shutdown gives every block back. */
static void test_oom_initialize(void **state)
{
    (void)state;
    fault_disarm();
    assert_ok(lsql_shutdown());
    long base_blocks = g_fault.live_blocks;
    unsigned long n;
    for (n = 1; n <= 1000; n++) {
        for (int persistent = 0; persistent < 2; persistent++) {
            fault_arm(n, persistent);
            int rc = lsql_initialize();
            if (rc != LSQL_OK && LSQL_CLASS(rc) != LSQL_NOMEM)
                fail_msg("OOM init N=%lu: lsql_initialize returned %s", n, lsql_errname(rc));
            if (rc != LSQL_OK && persistent) {
                rc = lsql_initialize(); /* still failing: again OK or NOMEM */
                if (rc != LSQL_OK && LSQL_CLASS(rc) != LSQL_NOMEM)
                    fail_msg("OOM init N=%lu: second lsql_initialize returned %s", n,
                             lsql_errname(rc));
            }
            fault_disarm();
            if (rc != LSQL_OK)
                assert_ok(lsql_initialize());
            /* the library works after a failed initialisation */
            lsql_db *db;
            lsql_conn *conn;
            tu_open_memory(&db, &conn);
            tu_exec(conn, "CREATE TABLE t(x)");
            assert_ok(lsql_db_close(db));
            assert_ok(lsql_shutdown());
            assert_int_equal(g_fault.live_blocks, base_blocks);
        }
        /* stop once initialisation no longer reaches the Nth allocation */
        fault_arm(n, false);
        int rc = lsql_initialize();
        unsigned long hits = g_fault.hits;
        fault_disarm();
        if (rc != LSQL_OK)
            assert_ok(lsql_initialize());
        assert_ok(lsql_shutdown());
        if (hits == 0)
            break;
    }
    assert_true(n <= 1000);
    print_message("[ OOM      ] lsql_initialize: N reached %lu\n", n);
    assert_ok(lsql_initialize());
}

int main(void)
{
    /* before any other lsql call */
    lsql_allocator a = {f_malloc, f_realloc, f_free, NULL};
    if (lsql_set_allocator(&a, NULL) != LSQL_OK) {
        fprintf(stderr, "lsql_set_allocator failed\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oom_memory_transient),
        cmocka_unit_test(test_oom_local_transient),
        cmocka_unit_test(test_oom_memory_persistent),
        cmocka_unit_test(test_oom_local_persistent),
        cmocka_unit_test(test_lookaside_off),
        cmocka_unit_test(test_oom_memory_transient),
        cmocka_unit_test(test_oom_local_transient),
        cmocka_unit_test(test_oom_memory_persistent),
        cmocka_unit_test(test_oom_local_persistent),
        cmocka_unit_test(test_oom_initialize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
