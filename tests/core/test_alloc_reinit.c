/* test_alloc_reinit.c -- changing the allocator after lsql_shutdown.
 *
 * After lsql_shutdown lsql is no longer initialised. lsql.h allows two
 * consistent behaviours for lsql_set_allocator then: accept the change
 * (LSQL_OK; the next initialisation uses the new allocator, for lsql and
 * SQLite alike) or refuse it (LSQL_MISUSE_INIT; nothing changes). Either way
 * the next lsql_initialize must succeed and the library must work, and the
 * allocator in effect must be the one the return code says. A process of
 * its own. */
#include "testutil.h"

#include "alloc_counter.h"

static alloc_counter g_a, g_b;

/* Opens a MEMORY database, does some work, closes it and shuts down. */
static void use_and_shutdown(void)
{
    assert_ok(lsql_initialize());
    lsql_db *db;
    lsql_conn *conn;
    tu_open_memory(&db, &conn);
    tu_exec(conn, "CREATE TABLE t(x)");
    tu_exec(conn, "INSERT INTO t VALUES (randomblob(50000))");
    int64_t n = 0;
    assert_ok(lsql_query_int64(conn, "SELECT count(*) FROM t", NULL, 0, &n, NULL));
    assert_int_equal(n, 1);
    assert_ok(lsql_db_close(db));
    assert_ok(lsql_shutdown());
}

static void test_first_allocator(void **state)
{
    (void)state;
    lsql_allocator a = ac_allocator(&g_a);
    assert_ok(lsql_set_allocator(&a, NULL));
    use_and_shutdown();
    assert_true(g_a.mallocs > 0);
    assert_int_equal(g_a.live, 0);
}

/* A -> B after shutdown. */
static void test_other_allocator_after_shutdown(void **state)
{
    (void)state;
    lsql_allocator b = ac_allocator(&g_b);
    unsigned long a_before = g_a.mallocs;
    int rc = lsql_set_allocator(&b, NULL);
    if (rc != LSQL_OK && rc != LSQL_MISUSE_INIT)
        fail_msg("lsql_set_allocator after shutdown: %s", lsql_errname(rc));
    use_and_shutdown();
    if (rc == LSQL_OK) {
        assert_true(g_b.mallocs > 0);
        assert_int_equal(g_a.mallocs, a_before);
    } else {
        assert_int_equal(g_b.mallocs, 0);
        assert_true(g_a.mallocs > a_before);
    }
    assert_int_equal(g_a.live, 0);
    assert_int_equal(g_b.live, 0);
}

/* custom -> defaults (NULL) after shutdown: "NULL restores the defaults". */
static void test_defaults_after_shutdown(void **state)
{
    (void)state;
    unsigned long a_before = g_a.mallocs, b_before = g_b.mallocs;
    int rc = lsql_set_allocator(NULL, NULL);
    if (rc != LSQL_OK && rc != LSQL_MISUSE_INIT)
        fail_msg("lsql_set_allocator(NULL) after shutdown: %s", lsql_errname(rc));
    use_and_shutdown();
    if (rc == LSQL_OK) {
        assert_int_equal(g_a.mallocs, a_before);
        assert_int_equal(g_b.mallocs, b_before);
    } else {
        assert_true(g_a.mallocs + g_b.mallocs > a_before + b_before);
    }
    assert_int_equal(g_a.live, 0);
    assert_int_equal(g_b.live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_allocator),
        cmocka_unit_test(test_other_allocator_after_shutdown),
        cmocka_unit_test(test_defaults_after_shutdown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
