/* test_extension.c -- loading a SQLite extension built by this test run
 * (tests/core/ext/lsql_test_ext.c, path compiled in): off by default
 * (LSQL_PERM_EXTENSION), loading with the default and an explicit entry
 * point, a failing entry point, bad paths, disabling again, and the SQL
 * function load_extension() staying unavailable. */
#include "coretest.h"

#ifndef LSQL_TEST_EXT_PATH
#error "LSQL_TEST_EXT_PATH must name the test extension (tests/core/ext/CMakeLists.txt)"
#endif

static void disabled_by_default(void **state)
{
    (void)state;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    tu_open_memory(&db, &c);
    lsql_error e;
    ct_expect(LSQL_PERM_EXTENSION, &e, lsql_conn_load_extension(c, LSQL_TEST_EXT_PATH, NULL, &e));
    assert_int_equal(e.code, LSQL_PERM);
    assert_non_null(strstr(e.message, "lsql_conn_enable_load_extension"));
    assert_string_equal(lsql_errname(LSQL_PERM_EXTENSION), "LSQL_PERM_EXTENSION");
    assert_int_equal(lsql_conn_errcode(c), LSQL_PERM_EXTENSION);
    int64_t v = 0;
    ct_expect(LSQL_ERROR, &e, lsql_query_int64(c, "SELECT lsql_test_ext_answer()", NULL, 0, &v, &e));
    lsql_db_close(db);
}

static void load_and_call(void **state)
{
    (void)state;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    tu_open_memory(&db, &c);
    lsql_conn *other = ct_connect(db);
    lsql_error e;
    ct_expect(LSQL_OK, &e, lsql_conn_enable_load_extension(c, 1, &e));
    ct_expect(LSQL_OK, &e, lsql_conn_load_extension(c, LSQL_TEST_EXT_PATH, NULL, &e));
    assert_int_equal(ct_int(c, "SELECT lsql_test_ext_answer()"), 42);
    ct_expect(LSQL_OK,
              &e, lsql_conn_load_extension(c, LSQL_TEST_EXT_PATH, "lsql_test_ext_alt_init", &e));
    assert_int_equal(ct_int(c, "SELECT lsql_test_ext_alt()"), 43);
    /* per connection: the other connection has neither the function nor the right */
    int64_t v = 0;
    ct_expect(LSQL_ERROR, &e,
              lsql_query_int64(other, "SELECT lsql_test_ext_answer()", NULL, 0, &v, &e));
    ct_expect(LSQL_PERM_EXTENSION, &e,
              lsql_conn_load_extension(other, LSQL_TEST_EXT_PATH, NULL, &e));

    /* the SQL function stays off even while the C call is enabled */
    lsql_param p = {NULL, lsql_text_z(LSQL_TEST_EXT_PATH)};
    ct_expect(LSQL_ERROR, &e, lsql_exec(c, "SELECT load_extension(?)", &p, 1, NULL, &e));
    assert_non_null(strstr(e.message, "not authorized"));

    /* failures */
    ct_expect(LSQL_ERROR, &e,
              lsql_conn_load_extension(c, LSQL_TEST_EXT_PATH, "lsql_test_ext_fail_init", &e));
    assert_non_null(strstr(e.message, "refuses to load"));
    ct_expect(LSQL_ERROR, &e,
              lsql_conn_load_extension(c, LSQL_TEST_EXT_PATH, "no_such_entry_point", &e));
    assert_non_null(strstr(e.message, "no_such_entry_point"));
    ct_expect(LSQL_ERROR, &e, lsql_conn_load_extension(c, "/nonexistent/dir/ext.so", NULL, &e));
    assert_non_null(strstr(e.message, "/nonexistent/dir/ext.so"));
    char notlib[1024];
    snprintf(notlib, sizeof notlib, "%s/not-a-library-%ld.so", ct_tmpdir(), (long)getpid());
    FILE *f = fopen(notlib, "w");
    assert_non_null(f);
    fputs("this is not an ELF file\n", f);
    fclose(f);
    ct_expect(LSQL_ERROR, &e, lsql_conn_load_extension(c, notlib, NULL, &e));
    unlink(notlib);
    ct_expect(LSQL_INVALID_ARG, &e, lsql_conn_load_extension(c, NULL, NULL, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_conn_load_extension(c, "", NULL, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_conn_load_extension(c, LSQL_TEST_EXT_PATH, "", &e));

    /* disabled again: loading fails, what was loaded stays */
    ct_expect(LSQL_OK, &e, lsql_conn_enable_load_extension(c, 0, &e));
    ct_expect(LSQL_PERM_EXTENSION, &e, lsql_conn_load_extension(c, LSQL_TEST_EXT_PATH, NULL, &e));
    assert_int_equal(ct_int(c, "SELECT lsql_test_ext_answer()"), 42);

    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_conn_enable_load_extension(NULL, 1, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_conn_load_extension(NULL, LSQL_TEST_EXT_PATH, NULL, &e));
    ct_expect(LSQL_MISUSE_HANDLE,
              &e, lsql_conn_load_extension((lsql_conn *)db, LSQL_TEST_EXT_PATH, NULL, &e));
    lsql_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(disabled_by_default),
        cmocka_unit_test(load_and_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
