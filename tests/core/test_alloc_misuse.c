/* test_alloc_misuse.c -- lsql_set_allocator after initialisation is
 * LSQL_MISUSE_INIT and changes nothing; lsql_shutdown refuses while a
 * database is open. A process of its own: here lsql is initialised with the
 * default allocator (first implicitly by lsql_db_open, then explicitly). */
#include "testutil.h"

#include "alloc_counter.h"

static alloc_counter g_cnt;
static lsql_db *g_db;
static lsql_conn *g_conn;

/* The first lsql_db_open initialises lsql; the allocator is then fixed. */
static void test_after_implicit_init(void **state)
{
    (void)state;
    tu_open_memory(&g_db, &g_conn);
    lsql_allocator mine = ac_allocator(&g_cnt);
    assert_rc(LSQL_MISUSE_INIT, lsql_set_allocator(&mine, NULL));
    lsql_allocator old;
    assert_rc(LSQL_MISUSE_INIT, lsql_set_allocator(&mine, &old));
    assert_rc(LSQL_MISUSE_INIT, lsql_set_allocator(NULL, &old));
}

/* lsql_initialize is idempotent, and the allocator stays fixed after it. */
static void test_after_explicit_init(void **state)
{
    (void)state;
    assert_ok(lsql_initialize());
    assert_ok(lsql_initialize());
    lsql_allocator mine = ac_allocator(&g_cnt);
    assert_rc(LSQL_MISUSE_INIT, lsql_set_allocator(&mine, NULL));
}

/* Nothing changed: the rejected allocator never sees a call. */
static void test_rejected_allocator_unused(void **state)
{
    (void)state;
    tu_exec(g_conn, "CREATE TABLE t(x)");
    tu_exec(g_conn, "INSERT INTO t VALUES (randomblob(10000))");
    lsql_db *db2;
    lsql_conn *c2;
    tu_open_memory(&db2, &c2);
    tu_exec(c2, "CREATE TABLE u(x)");
    void *p = lsql_malloc(100);
    assert_non_null(p);
    lsql_free(p);
    assert_ok(lsql_db_close(db2));
    assert_int_equal(g_cnt.mallocs, 0);
    assert_int_equal(g_cnt.reallocs, 0);
    assert_int_equal(g_cnt.frees, 0);
}

/* lsql_shutdown with a database still open: LSQL_MISUSE_STATE, and the
 * database keeps working; after closing it shutdown succeeds. */
static void test_shutdown_with_open_db(void **state)
{
    (void)state;
    assert_rc(LSQL_MISUSE_STATE, lsql_shutdown());
    tu_exec(g_conn, "INSERT INTO t VALUES (1)");
    int64_t n = 0;
    assert_ok(lsql_query_int64(g_conn, "SELECT count(*) FROM t", NULL, 0, &n, NULL));
    assert_int_equal(n, 2);
    /* a database whose connections are all closed still counts as open */
    assert_ok(lsql_conn_close(g_conn));
    g_conn = NULL;
    assert_rc(LSQL_MISUSE_STATE, lsql_shutdown());
    assert_ok(lsql_db_close(g_db));
    g_db = NULL;
    assert_ok(lsql_shutdown());
    assert_ok(lsql_shutdown());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_after_implicit_init),
        cmocka_unit_test(test_after_explicit_init),
        cmocka_unit_test(test_rejected_allocator_unused),
        cmocka_unit_test(test_shutdown_with_open_db),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
