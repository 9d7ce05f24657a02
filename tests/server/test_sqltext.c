/* test_sqltext.c -- blanks, comments and BEGIN kinds seen before SQLite
 * prepares a statement. */
#include "srv_testutil.h"

#include "sqltext.h"

static int kind(const char *sql, size_t *end)
{
    return lsqld_sql_begin_kind(sql, strlen(sql), 0, end);
}

static void test_begin_kinds(void **state)
{
    (void)state;
    size_t end = 0;
    assert_int_equal(kind("SELECT 1", &end), LSQLD_BEGIN_NONE);
    assert_int_equal(kind("BEGINX", &end), LSQLD_BEGIN_NONE);
    assert_int_equal(kind("BEGIN", &end), LSQLD_BEGIN_DEFERRED);
    assert_int_equal(kind("  -- c\n/* d */ begin deferred", &end), LSQLD_BEGIN_DEFERRED);
    assert_int_equal(kind("BEGIN TRANSACTION", &end), LSQLD_BEGIN_DEFERRED);
    assert_int_equal(kind("BEGIN IMMEDIATE", &end), LSQLD_BEGIN_IMMEDIATE);
    assert_int_equal(kind("Begin /* x */ Exclusive Transaction", &end), LSQLD_BEGIN_EXCLUSIVE);
    assert_int_equal(kind("BEGIN TRANSACTION READONLY", &end), LSQLD_BEGIN_TXN_READONLY);
    assert_int_equal(kind("BEGIN TRANSACTION \"READONLY\"", &end), LSQLD_BEGIN_DEFERRED);
    assert_int_equal(kind("BEGIN READONLY", &end), LSQLD_BEGIN_READONLY);
    assert_int_equal(end, 14);
    assert_int_equal(kind("begin readonly transaction; SELECT 1", &end), LSQLD_BEGIN_READONLY);
    assert_int_equal(end, 27);
    assert_int_equal(kind("BEGIN READONLY TRANSACTION t1 -- x\n;", &end), LSQLD_BEGIN_READONLY);
    assert_int_equal(kind("BEGIN READONLY SELECT", &end), LSQLD_BEGIN_NONE);
    assert_int_equal(kind("BEGIN READONLY TRANSACTION a b", &end), LSQLD_BEGIN_NONE);
    assert_int_equal(kind("\"BEGIN\" READONLY", &end), LSQLD_BEGIN_NONE);
    assert_int_equal(kind("", &end), LSQLD_BEGIN_NONE);
}

static void test_blanks(void **state)
{
    (void)state;
    assert_true(lsqld_sql_is_blank("", 0, 0));
    const char *s = " ; -- x\n /* y */ ;\t";
    assert_true(lsqld_sql_is_blank(s, strlen(s), 0));
    s = "/* unterminated";
    assert_true(lsqld_sql_is_blank(s, strlen(s), 0));
    s = "-- comment";
    assert_true(lsqld_sql_is_blank(s, strlen(s), 0));
    s = "; x";
    assert_false(lsqld_sql_is_blank(s, strlen(s), 0));
    assert_int_equal(lsqld_sql_skip_space(s, strlen(s), 0), 2);
    s = "- 1";
    assert_false(lsqld_sql_is_blank(s, strlen(s), 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_begin_kinds),
        cmocka_unit_test(test_blanks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
