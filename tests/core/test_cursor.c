/* test_cursor.c -- paging cursors: pages, the end, empty results with
 * columns, copied parameters, errors (also in the middle of a result),
 * cursors inside a transaction and across its end, other statements while a
 * cursor is open, statements going back to the cache, close with the
 * connection; and memory: through a counting allocator (installed first,
 * for the whole binary) the peak of live bytes while reading 1,000,000 rows
 * is the same as for 1,000, while materialising the rows (a batch) grows
 * with the count. */
#include "target.h"

#include <stdlib.h>

/* ---- a counting allocator: live bytes and their peak --------------------- */

#include "peak_alloc.h"

static peak_counter g_mem;

/* ---- fixture ----------------------------------------------------------------- */

static char g_path[1024];

typedef struct {
    lsql_db *db;
    lsql_conn *c;
} fx;

static int setup(void **state)
{
    static fx f;
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = ct_path("cursor", g_path, sizeof g_path);
    f.db = ct_target_open(&o);
    f.c = ct_connect(f.db);
    tu_exec(f.c, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, b BLOB)");
    tu_exec(f.c, "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 250) "
                 "INSERT INTO t SELECT i, 'n' || i, x'00ff' FROM r");
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (f->db)
        assert_ok(lsql_db_close(f->db));
    ct_target_cleanup();
    tu_db_remove(g_path);
    return 0;
}

static void pages(void **state)
{
    fx *f = *state;
    lsql_cursor *cur = NULL;
    const lsql_rowset *pg = NULL;
    lsql_error e;
    ct_expect(LSQL_OK, &e, lsql_cursor_open(f->c, "SELECT id, name, b FROM t ORDER BY id", NULL, 0, &cur, &e));
    assert_non_null(cur);
    assert_int_equal(lsql_cursor_rows_read(cur), 0);
    static const size_t want[] = {100, 100, 50};
    int64_t next = 1;
    for (size_t p = 0; p < 3; p++) {
        ct_expect(LSQL_ROW, &e, lsql_cursor_fetch(cur, 100, &pg, &e));
        assert_int_equal(lsql_rowset_count(pg), want[p]);
        assert_int_equal(lsql_rowset_column_count(pg), 3);
        assert_string_equal(lsql_rowset_column_name(pg, 1), "name");
        for (size_t i = 0; i < want[p]; i++, next++) {
            assert_int_equal(lsql_rowset_int64(pg, i, 0), next);
            char buf[32];
            snprintf(buf, sizeof buf, "n%lld", (long long)next);
            assert_string_equal(lsql_rowset_text(pg, i, 1, NULL), buf);
            lsql_value v;
            assert_ok(lsql_rowset_get(pg, i, 2, &v));
            assert_int_equal(v.type, LSQL_TYPE_BLOB);
            assert_int_equal(v.u.bytes.n, 2);
            assert_memory_equal(v.u.bytes.p, "\x00\xff", 2);
        }
    }
    assert_int_equal(lsql_cursor_rows_read(cur), 250);
    ct_expect(LSQL_DONE, &e, lsql_cursor_fetch(cur, 100, &pg, &e));
    assert_int_equal(lsql_rowset_count(pg), 0);
    assert_int_equal(lsql_rowset_column_count(pg), 3);
    ct_expect(LSQL_DONE, &e, lsql_cursor_fetch(cur, 1, &pg, &e));
    assert_ok(lsql_cursor_close(cur));

    /* an exact multiple: the last page is full, the next fetch says DONE */
    assert_ok(lsql_cursor_open(f->c, "SELECT id FROM t LIMIT 10", NULL, 0, &cur, NULL));
    assert_rc(LSQL_ROW, lsql_cursor_fetch(cur, 5, &pg, NULL));
    assert_rc(LSQL_ROW, lsql_cursor_fetch(cur, 5, &pg, NULL));
    assert_rc(LSQL_DONE, lsql_cursor_fetch(cur, 5, &pg, NULL));
    assert_ok(lsql_cursor_close(cur));

    /* one page bigger than the result */
    assert_ok(lsql_cursor_open(f->c, "SELECT id FROM t", NULL, 0, &cur, NULL));
    assert_rc(LSQL_ROW, lsql_cursor_fetch(cur, 100000, &pg, NULL));
    assert_int_equal(lsql_rowset_count(pg), 250);
    assert_rc(LSQL_DONE, lsql_cursor_fetch(cur, 100000, &pg, NULL));
    assert_ok(lsql_cursor_close(cur));
}

static void empty_and_params(void **state)
{
    fx *f = *state;
    lsql_cursor *cur;
    const lsql_rowset *pg;
    lsql_error e;
    /* empty: the page still has the columns */
    assert_ok(lsql_cursor_open(f->c, "SELECT id AS i, name FROM t WHERE id < 0", NULL, 0, &cur, NULL));
    ct_expect(LSQL_DONE, &e, lsql_cursor_fetch(cur, 10, &pg, &e));
    assert_int_equal(lsql_rowset_count(pg), 0);
    assert_int_equal(lsql_rowset_column_count(pg), 2);
    assert_string_equal(lsql_rowset_column_name(pg, 0), "i");
    assert_ok(lsql_cursor_close(cur));

    /* parameters are copied at open */
    char name[16];
    strcpy(name, "n42");
    lsql_param p[] = {{":name", lsql_text_z(name)}, {"lo", lsql_int(1)}};
    assert_ok(lsql_cursor_open(f->c, "SELECT id FROM t WHERE name = :name AND id >= :lo", p, 2, &cur, NULL));
    strcpy(name, "zzz");
    assert_rc(LSQL_ROW, lsql_cursor_fetch(cur, 10, &pg, NULL));
    assert_int_equal(lsql_rowset_count(pg), 1);
    assert_int_equal(lsql_rowset_int64(pg, 0, 0), 42);
    assert_ok(lsql_cursor_close(cur));
}

static void errors(void **state)
{
    fx *f = *state;
    lsql_cursor *cur = (lsql_cursor *)(uintptr_t)1;
    const lsql_rowset *pg;
    lsql_error e;
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_cursor_open(NULL, "SELECT 1", NULL, 0, &cur, &e));
    assert_null(cur);
    ct_expect(LSQL_INVALID_ARG, &e, lsql_cursor_open(f->c, NULL, NULL, 0, &cur, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_cursor_open(f->c, "SELECT 1", NULL, 0, NULL, &e));
    ct_expect(LSQL_INVALID_SQL, &e, lsql_cursor_open(f->c, "SELECT 1; SELECT 2", NULL, 0, &cur, &e));
    assert_null(cur);
    ct_expect(LSQL_INVALID_SQL, &e, lsql_cursor_open(f->c, "  ", NULL, 0, &cur, &e));
    ct_expect(LSQL_ERROR, &e, lsql_cursor_open(f->c, "SELEC 1", NULL, 0, &cur, &e));
    ct_check_offset(e.offset, 0);
    ct_expect(LSQL_PARAM_COUNT, &e, lsql_cursor_open(f->c, "SELECT ?", NULL, 0, &cur, &e));
    lsql_param bad[] = {{":x", lsql_int(1)}};
    ct_expect(LSQL_PARAM_UNKNOWN, &e, lsql_cursor_open(f->c, "SELECT :y", bad, 1, &cur, &e));
    assert_null(cur);

    assert_ok(lsql_cursor_open(f->c, "SELECT 1", NULL, 0, &cur, NULL));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_cursor_fetch(cur, 0, &pg, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_cursor_fetch(cur, 1, NULL, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_cursor_fetch(NULL, 1, &pg, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_cursor_fetch((lsql_cursor *)(void *)f->c, 1, &pg, &e));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_cursor_close((lsql_cursor *)(void *)f->c));
    assert_int_equal(lsql_cursor_rows_read(NULL), 0);
    assert_ok(lsql_cursor_close(NULL));
    /* the arguments errors did not disturb the cursor */
    assert_rc(LSQL_ROW, lsql_cursor_fetch(cur, 1, &pg, NULL));
    assert_ok(lsql_cursor_close(cur));

    /* an error in the middle of the result: rows before it are in the page,
     * the error repeats (remote too: the server streams the rows before the
     * step's error) */
    assert_ok(lsql_cursor_open(f->c,
                               "SELECT CASE WHEN id = 5 THEN abs(-9223372036854775807 - 1) "
                               "ELSE id END FROM t ORDER BY id",
                               NULL, 0, &cur, NULL));
    ct_expect(LSQL_ROW, &e, lsql_cursor_fetch(cur, 3, &pg, &e));
    ct_expect(LSQL_ERROR, &e, lsql_cursor_fetch(cur, 3, &pg, &e));
    assert_non_null(strstr(e.message, "overflow"));
    assert_int_equal(lsql_rowset_count(pg), 1);
    assert_int_equal(lsql_rowset_int64(pg, 0, 0), 4);
    lsql_error e2;
    ct_expect(LSQL_ERROR, &e2, lsql_cursor_fetch(cur, 3, &pg, &e2));
    assert_string_equal(e2.message, e.message);
    assert_int_equal(lsql_rowset_count(pg), 0);
    assert_int_equal(lsql_conn_errcode(f->c), LSQL_ERROR);
    assert_ok(lsql_cursor_close(cur));
    /* the connection works */
    assert_int_equal(ct_int(f->c, "SELECT count(*) FROM t"), 250);
}

static void in_transaction(void **state)
{
    fx *f = *state;
    lsql_txn *t;
    lsql_cursor *cur;
    const lsql_rowset *pg;
    /* the cursor sees the transaction's own changes, and the transaction
     * can write while the cursor is open */
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_DEFERRED, &t, NULL));
    tu_exec(f->c, "INSERT INTO t(id, name) VALUES (1000, 'new')");
    assert_ok(lsql_cursor_open(f->c, "SELECT id FROM t WHERE id > 245 ORDER BY id", NULL, 0, &cur, NULL));
    assert_rc(LSQL_ROW, lsql_cursor_fetch(cur, 2, &pg, NULL));
    assert_int_equal(lsql_rowset_int64(pg, 0, 0), 246);
    tu_exec(f->c, "CREATE TABLE side(x)");
    tu_exec(f->c, "INSERT INTO side VALUES (1)");
    assert_rc(LSQL_ROW, lsql_cursor_fetch(cur, 10, &pg, NULL));
    assert_int_equal(lsql_rowset_count(pg), 4);
    assert_int_equal(lsql_rowset_int64(pg, 3, 0), 1000);
    assert_rc(LSQL_DONE, lsql_cursor_fetch(cur, 10, &pg, NULL));
    assert_ok(lsql_cursor_close(cur));

    /* open across the commit: the cursor keeps reading */
    assert_ok(lsql_cursor_open(f->c, "SELECT id FROM t WHERE id > 245 ORDER BY id", NULL, 0, &cur, NULL));
    assert_rc(LSQL_ROW, lsql_cursor_fetch(cur, 2, &pg, NULL));
    assert_ok(lsql_commit(f->c, t, NULL));
    assert_rc(LSQL_ROW, lsql_cursor_fetch(cur, 10, &pg, NULL));
    assert_int_equal(lsql_rowset_count(pg), 4); /* 248 249 250 1000 */
    assert_int_equal(lsql_rowset_int64(pg, 3, 0), 1000);
    assert_ok(lsql_cursor_close(cur));
    assert_ok(lsql_txn_free(t));

    /* ... and across a rollback, after which the rolled-back row is gone.
     * Remote: the server produced the whole answer before it ran the
     * ROLLBACK (the client reads the rest of a streaming cursor before it
     * sends another request on the connection), so the rolled-back row is
     * still in the cursor; a new query does not see it. */
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_DEFERRED, &t, NULL));
    tu_exec(f->c, "INSERT INTO t(id, name) VALUES (2000, 'gone')");
    assert_ok(lsql_cursor_open(f->c, "SELECT id FROM t WHERE id > 245 ORDER BY id", NULL, 0, &cur, NULL));
    assert_rc(LSQL_ROW, lsql_cursor_fetch(cur, 2, &pg, NULL));
    assert_ok(lsql_rollback(f->c, t, NULL));
    int rc;
    int64_t last = 0;
    while ((rc = lsql_cursor_fetch(cur, 10, &pg, NULL)) == LSQL_ROW)
        last = lsql_rowset_int64(pg, lsql_rowset_count(pg) - 1, 0);
    assert_rc(LSQL_DONE, rc);
    assert_int_equal(last, ct_by_mode(1000, 2000));
    assert_ok(lsql_cursor_close(cur));
    assert_ok(lsql_txn_free(t));
    assert_int_equal(ct_int(f->c, "SELECT count(*) FROM t WHERE id = 2000"), 0);
}

/* The statement goes back to the cache at the end; cursors left open are
 * freed with their connection (the ASan build's leak checker watches). */
static void cache_and_close(void **state)
{
    fx *f = *state;
    const char *sql = "SELECT id FROM t WHERE id <= 3";
    lsql_cache_stats s0, s1;
    s0.struct_size = s1.struct_size = sizeof s0;
    lsql_cursor *cur;
    const lsql_rowset *pg;
    assert_ok(lsql_cursor_open(f->c, sql, NULL, 0, &cur, NULL));
    assert_rc(LSQL_ROW, lsql_cursor_fetch(cur, 10, &pg, NULL));
    assert_rc(LSQL_DONE, lsql_cursor_fetch(cur, 10, &pg, NULL));
    assert_ok(lsql_stmt_cache_stats(f->c, &s0));
    /* already back in the cache before close */
    lsql_cursor *cur2;
    assert_ok(lsql_cursor_open(f->c, sql, NULL, 0, &cur2, NULL));
    assert_ok(lsql_stmt_cache_stats(f->c, &s1));
    assert_int_equal(s1.hits, s0.hits + 1);
    assert_ok(lsql_cursor_close(cur));
    /* two open cursors on the same SQL: the second gets its own statement */
    lsql_cursor *cur3;
    assert_ok(lsql_cursor_open(f->c, sql, NULL, 0, &cur3, NULL));
    assert_rc(LSQL_ROW, lsql_cursor_fetch(cur2, 1, &pg, NULL));
    assert_rc(LSQL_ROW, lsql_cursor_fetch(cur3, 3, &pg, NULL));
    assert_int_equal(lsql_rowset_count(pg), 3);
    assert_rc(LSQL_ROW, lsql_cursor_fetch(cur2, 5, &pg, NULL));
    assert_int_equal(lsql_rowset_count(pg), 2);
    /* leave cur2 and cur3 open: the connection frees them */
    assert_ok(lsql_db_close(f->db));
    f->db = NULL;
}

/* ---- memory ---------------------------------------------------------------------- */

static const char k_gen[] =
    "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < ?1) "
    "SELECT i, printf('row-%012d', i), zeroblob(24) FROM r";

/* Peak of live bytes above the starting point while reading n rows through
 * a cursor, 100 rows a page. */
static size_t cursor_peak(lsql_conn *c, int64_t n)
{
    size_t base = g_mem.live;
    g_mem.peak = base;
    lsql_cursor *cur;
    const lsql_rowset *pg;
    lsql_param p[] = {{NULL, lsql_int(n)}};
    assert_ok(lsql_cursor_open(c, k_gen, p, 1, &cur, NULL));
    int rc;
    int64_t rows = 0, sum = 0;
    while ((rc = lsql_cursor_fetch(cur, 100, &pg, NULL)) == LSQL_ROW) {
        size_t k = lsql_rowset_count(pg);
        rows += (int64_t)k;
        sum += lsql_rowset_int64(pg, k - 1, 0);
    }
    assert_rc(LSQL_DONE, rc);
    assert_int_equal(rows, n);
    assert_int_equal(lsql_cursor_rows_read(cur), (uint64_t)n);
    assert_true(sum > 0);
    assert_ok(lsql_cursor_close(cur));
    return g_mem.peak - base;
}

/* The same rows materialised by a batch step. */
static size_t batch_peak(lsql_conn *c, int64_t n)
{
    size_t base = g_mem.live;
    g_mem.peak = base;
    lsql_batch *b;
    lsql_batch_result *r;
    lsql_param p[] = {{NULL, lsql_int(n)}};
    assert_ok(lsql_batch_new(&b));
    assert_ok(lsql_batch_add(b, k_gen, p, 1, NULL));
    assert_ok(lsql_batch_run(c, b, 0, &r, NULL));
    lsql_step_result s;
    s.struct_size = sizeof s;
    assert_ok(lsql_batch_result_step(r, 0, &s));
    assert_int_equal(lsql_rowset_count(s.rows), (size_t)n);
    lsql_batch_result_free(r);
    lsql_batch_free(b);
    return g_mem.peak - base;
}

static void memory_does_not_grow(void **state)
{
    (void)state;
    /* the counting allocator would count the in-process server too (and
     * lsqld buffers a whole cursor answer, up to its 64 MiB limit); the
     * client's flat memory over a 1M-row remote cursor is
     * tests/remote/test_remote_cursor_mem.c, with lsqld in its own process */
    ct_local_only("measured in tests/remote/test_remote_cursor_mem.c (server out of process)");
    lsql_db *db;
    lsql_conn *c;
    ct_target_memory(&db, &c);
    /* warm up: statement cache, lookaside, first chunks */
    (void)cursor_peak(c, 1000);
    size_t p1k = cursor_peak(c, 1000);
    size_t p1m = cursor_peak(c, 1000000);
    size_t b1k = batch_peak(c, 1000);
    size_t b100k = batch_peak(c, 100000);
    print_message("peak live bytes: cursor 1k rows %zu, 1M rows %zu; batch 1k rows %zu, "
                  "100k rows %zu\n",
                  p1k, p1m, b1k, b100k);
    /* the allocator sees lsql's and SQLite's memory */
    assert_true(g_mem.calls > 0);
    assert_true(p1k > 0);
    /* streaming: no growth with the row count (a little slack for SQLite's
     * own bookkeeping) */
    assert_true(p1m <= p1k + 4096);
    /* the measurement is sensitive: materialising grows with the count */
    assert_true(b100k > b1k + 100000u * 40u);
    assert_true(b100k > p1m * 20);
    lsql_db_close(db);
}

int main(void)
{
    lsql_allocator a = peak_allocator(&g_mem);
    if (lsql_set_allocator(&a, NULL) != LSQL_OK) {
        fprintf(stderr, "cannot install the counting allocator\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(pages, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_and_params, setup, teardown),
        cmocka_unit_test_setup_teardown(errors, setup, teardown),
        cmocka_unit_test_setup_teardown(in_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(cache_and_close, setup, teardown),
        cmocka_unit_test_teardown(memory_does_not_grow, ct_target_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lsql_shutdown();
    if (rc == 0 && g_mem.live != 0) {
        fprintf(stderr, "%zu bytes still live after lsql_shutdown\n", g_mem.live);
        return 1;
    }
    return rc;
}
