/* test_alloc.c -- lsql_set_allocator: a counting allocator installed before
 * any other lsql call receives lsql's own allocations and SQLite's, and gets
 * every block back after lsql_db_close + lsql_shutdown.
 *
 * The allocator is process-global, so this binary's tests run in order and
 * build on each other (the first one installs the allocator). Cases that need
 * a process in another state live in test_alloc_misuse.c (allocator set after
 * initialisation), test_alloc_foreign.c (SQLite initialised by someone else)
 * and test_alloc_reinit.c (changing the allocator after lsql_shutdown). */
#include "testutil.h"

#include <sqlite3.h>

#include "alloc_counter.h"

static alloc_counter g_cnt;

static int same_allocator(const lsql_allocator *a, const lsql_allocator *b)
{
    return a->malloc_fn == b->malloc_fn && a->realloc_fn == b->realloc_fn &&
           a->free_fn == b->free_fn && a->ctx == b->ctx;
}

/* Must run first: nothing in the process has touched lsql before. */
static void test_install_before_anything(void **state)
{
    (void)state;
    lsql_allocator mine = ac_allocator(&g_cnt);
    lsql_allocator old;

    /* the previous allocator of a fresh process is the default: all NULL */
    memset(&old, 0xa5, sizeof old);
    assert_ok(lsql_set_allocator(&mine, &old));
    assert_null(old.malloc_fn);
    assert_null(old.realloc_fn);
    assert_null(old.free_fn);
    assert_null(old.ctx);

    /* installing again hands back the one installed */
    memset(&old, 0, sizeof old);
    assert_ok(lsql_set_allocator(&mine, &old));
    assert_true(same_allocator(&old, &mine));

    /* NULL restores the defaults (and returns ours), then ours again */
    assert_ok(lsql_set_allocator(NULL, &old));
    assert_true(same_allocator(&old, &mine));
    assert_ok(lsql_set_allocator(&mine, &old));
    assert_null(old.malloc_fn);
    assert_null(old.free_fn);

    /* `old` may be NULL */
    assert_ok(lsql_set_allocator(&mine, NULL));

    /* the struct is copied: changing the caller's copy changes nothing */
    lsql_allocator tmp = mine;
    assert_ok(lsql_set_allocator(&tmp, NULL));
    memset(&tmp, 0, sizeof tmp);
    assert_ok(lsql_set_allocator(&mine, &old));
    assert_true(same_allocator(&old, &mine));

    /* nothing has allocated yet */
    assert_int_equal(g_cnt.mallocs, 0);
    assert_int_equal(g_cnt.live, 0);
}

/* A set but incomplete table is LSQL_INVALID_ARG and changes nothing. */
static void test_incomplete_table(void **state)
{
    (void)state;
    lsql_allocator mine = ac_allocator(&g_cnt);
    lsql_allocator bad;

    bad = mine;
    bad.malloc_fn = NULL;
    assert_rc(LSQL_INVALID_ARG, lsql_set_allocator(&bad, NULL));
    bad = mine;
    bad.realloc_fn = NULL;
    assert_rc(LSQL_INVALID_ARG, lsql_set_allocator(&bad, NULL));
    bad = mine;
    bad.free_fn = NULL;
    assert_rc(LSQL_INVALID_ARG, lsql_set_allocator(&bad, NULL));
    memset(&bad, 0, sizeof bad); /* all NULL but passed as a table */
    assert_rc(LSQL_INVALID_ARG, lsql_set_allocator(&bad, NULL));

    /* ours is still the installed one */
    lsql_allocator old;
    assert_ok(lsql_set_allocator(&mine, &old));
    assert_true(same_allocator(&old, &mine));
}

/* lsql_malloc/lsql_free go through the installed allocator. */
static void test_lsql_malloc_routed(void **state)
{
    (void)state;
    long live = g_cnt.live;
    unsigned long frees = g_cnt.frees;
    void *p = lsql_malloc(777);
    assert_non_null(p);
    assert_true(ac_owns(&g_cnt, p));
    assert_int_equal(ac_block_size(&g_cnt, p), 777);
    memset(p, 0x5a, 777);
    assert_int_equal(g_cnt.live, live + 1);
    lsql_free(p);
    assert_int_equal(g_cnt.live, live);
    assert_int_equal(g_cnt.frees, frees + 1);
    lsql_free(NULL); /* harmless, and not passed on as a block */
    assert_int_equal(g_cnt.frees, frees + 1);
}

static lsql_db *g_db;
static lsql_conn *g_conn;

/* Opening and using a database allocates from the counter, both in lsql
 * (handles, owned results) and in SQLite (connections, pages, strings). */
static void test_database_uses_allocator(void **state)
{
    (void)state;
    assert_int_equal(g_cnt.live, 0);
    unsigned long before = g_cnt.mallocs;
    tu_open_memory(&g_db, &g_conn);
    assert_true(g_cnt.mallocs > before);

    /* lsql's own allocations: the handles are blocks of ours */
    assert_true(ac_owns(&g_cnt, g_db));
    assert_true(ac_owns(&g_cnt, g_conn));

    tu_exec(g_conn, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)");
    tu_exec(g_conn, "INSERT INTO t(name) VALUES ('alpha'), ('beta')");

    /* an owned text from lsql_query_value is a block of ours until released */
    lsql_value v;
    lsql_error err;
    const lsql_param p1[] = {{NULL, lsql_int(2)}};
    assert_ok(lsql_query_value(g_conn, "SELECT name FROM t WHERE id = ?", p1, 1, &v, &err));
    assert_int_equal(v.type, LSQL_TYPE_TEXT);
    assert_string_equal((const char *)v.u.bytes.p, "beta");
    const void *bytes = v.u.bytes.p;
    assert_true(ac_owns(&g_cnt, bytes));
    long live = g_cnt.live;
    lsql_value_release(&v);
    assert_int_equal(g_cnt.live, live - 1);
    assert_false(ac_owns(&g_cnt, bytes));

    /* a detached row is a block of ours until lsql_row_free */
    lsql_row *row = NULL;
    assert_ok(lsql_query_one(g_conn, "SELECT id, name FROM t WHERE id = 1", NULL, 0, &row, &err));
    assert_true(ac_owns(&g_cnt, row));
    live = g_cnt.live;
    lsql_row_free(row);
    assert_int_equal(g_cnt.live, live - 1);

    /* a streaming query over the cached statement */
    lsql_rows *rows = NULL;
    assert_ok(lsql_query(g_conn, "SELECT name FROM t ORDER BY id", NULL, 0, &rows, &err));
    int n = 0;
    while (lsql_rows_next(rows, &err) == LSQL_ROW)
        n++;
    assert_int_equal(n, 2);
    lsql_rows_free(rows);
}

/* SQLite's memory comes from the counter too (SQLITE_CONFIG_MALLOC). */
static void test_sqlite_uses_allocator(void **state)
{
    (void)state;
    /* a string SQLite allocates for us */
    size_t bytes = g_cnt.live_bytes;
    static char src[5001];
    memset(src, 'x', 5000);
    char *s = sqlite3_mprintf("%s", src);
    assert_non_null(s);
    assert_int_equal(strlen(s), 5000);
    assert_true(g_cnt.live_bytes >= bytes + 5000);
    sqlite3_free(s);
    assert_int_equal(g_cnt.live_bytes, bytes);

    /* work done by SQLite on the connection's native handle */
    void *native = NULL;
    assert_ok(lsql_conn_native_handle(g_conn, &native));
    unsigned long before = g_cnt.mallocs + g_cnt.reallocs;
    char *errmsg = NULL;
    assert_int_equal(sqlite3_exec(native, "CREATE TABLE direct(x); DROP TABLE direct", NULL,
                                  NULL, &errmsg),
                     SQLITE_OK);
    assert_true(g_cnt.mallocs + g_cnt.reallocs > before);

    /* the in-memory database's pages: a 2 MiB blob lives in our blocks */
    bytes = g_cnt.live_bytes;
    tu_exec(g_conn, "CREATE TABLE big(b BLOB)");
    tu_exec(g_conn, "INSERT INTO big VALUES (zeroblob(2 * 1024 * 1024))");
    assert_true(g_cnt.live_bytes >= bytes + 2u * 1024 * 1024);
    tu_exec(g_conn, "DROP TABLE big");
}

/* lsql_shutdown refuses while a database is open, and the database is left
 * working. */
static void test_shutdown_with_open_db(void **state)
{
    (void)state;
    assert_rc(LSQL_MISUSE_STATE, lsql_shutdown());
    tu_exec(g_conn, "INSERT INTO t(name) VALUES ('gamma')");
    int64_t n = 0;
    assert_ok(lsql_query_int64(g_conn, "SELECT count(*) FROM t", NULL, 0, &n, NULL));
    assert_int_equal(n, 3);
    /* also with a second database open, and after one of two is closed */
    lsql_db *db2;
    lsql_conn *c2;
    tu_open_memory(&db2, &c2);
    assert_rc(LSQL_MISUSE_STATE, lsql_shutdown());
    assert_ok(lsql_db_close(db2));
    assert_rc(LSQL_MISUSE_STATE, lsql_shutdown());
}

/* After lsql_db_close + lsql_shutdown every block is back. */
static void test_everything_freed(void **state)
{
    (void)state;
    assert_ok(lsql_db_close(g_db));
    g_db = NULL;
    g_conn = NULL;
    assert_ok(lsql_shutdown());
    assert_ok(lsql_shutdown()); /* idempotent */
    if (g_cnt.live != 0)
        fail_msg("%ld blocks (%zu bytes) still live after close + shutdown", g_cnt.live,
                 g_cnt.live_bytes);
    assert_int_equal(g_cnt.live_bytes, 0);
    assert_int_equal(g_cnt.mallocs, g_cnt.frees);
    /* big enough to be SQLite's page data, not only lsql's handles */
    assert_true(g_cnt.largest >= 2u * 1024 * 1024);
}

/* A file database too, and lsql_initialize / lsql_shutdown again: the same
 * allocator is used and everything comes back. */
static void test_file_db_after_reinit(void **state)
{
    (void)state;
    unsigned long before = g_cnt.mallocs;
    assert_ok(lsql_initialize());
    char path[1024];
    snprintf(path, sizeof path, "%s", tu_db_path("alloc"));
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = path;
    lsql_db *db;
    lsql_conn *conn;
    lsql_error err;
    assert_ok(lsql_db_open(&o, &db, &err));
    assert_ok(lsql_db_connect(db, &conn, &err));
    tu_exec(conn, "CREATE TABLE t(x)");
    tu_exec(conn, "INSERT INTO t VALUES (randomblob(100000))");
    assert_true(g_cnt.mallocs > before);
    assert_ok(lsql_db_close(db));
    tu_db_remove(path);
    assert_ok(lsql_shutdown());
    assert_int_equal(g_cnt.live, 0);
    assert_int_equal(g_cnt.live_bytes, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_install_before_anything),
        cmocka_unit_test(test_incomplete_table),
        cmocka_unit_test(test_lsql_malloc_routed),
        cmocka_unit_test(test_database_uses_allocator),
        cmocka_unit_test(test_sqlite_uses_allocator),
        cmocka_unit_test(test_shutdown_with_open_db),
        cmocka_unit_test(test_everything_freed),
        cmocka_unit_test(test_file_db_after_reinit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
