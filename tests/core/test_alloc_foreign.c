/* test_alloc_foreign.c -- SQLite initialised by another part of the process
 * before lsql: lsql_set_allocator can no longer route SQLite's memory, so it
 * must return LSQL_MISUSE_INIT and change nothing (lsql.h), and lsql must
 * keep working with the defaults. A process of its own. */
#include "testutil.h"

#include <sqlite3.h>

#include "alloc_counter.h"

static alloc_counter g_cnt;

static void test_set_allocator_after_foreign_init(void **state)
{
    (void)state;
    /* "another part of the process" */
    assert_int_equal(sqlite3_initialize(), SQLITE_OK);

    lsql_allocator mine = ac_allocator(&g_cnt);
    assert_rc(LSQL_MISUSE_INIT, lsql_set_allocator(&mine, NULL));
}

static void test_lsql_works_with_defaults(void **state)
{
    (void)state;
    assert_ok(lsql_initialize());
    lsql_db *db;
    lsql_conn *conn;
    tu_open_memory(&db, &conn);
    tu_exec(conn, "CREATE TABLE t(x)");
    tu_exec(conn, "INSERT INTO t VALUES (randomblob(1000))");
    void *p = lsql_malloc(64);
    assert_non_null(p);
    lsql_free(p);
    assert_ok(lsql_db_close(db));
    /* the rejected allocator was never used */
    assert_int_equal(g_cnt.mallocs, 0);
    assert_int_equal(g_cnt.frees, 0);
    assert_ok(lsql_shutdown());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_allocator_after_foreign_init),
        cmocka_unit_test(test_lsql_works_with_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
