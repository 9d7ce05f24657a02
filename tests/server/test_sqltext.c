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

static int sets(const char *sql)
{
    return lsqld_sql_pragma_sets(sql, strlen(sql));
}

/* PRAGMAs that may change a connection setting (kept out of the pool). */
static void test_pragma_sets(void **state)
{
    (void)state;
    assert_true(sets("PRAGMA query_only=ON"));
    assert_true(sets("pragma query_only = 1;"));
    assert_true(sets("  /* c */ PRAGMA main.cache_size(-100)"));
    assert_true(sets("PRAGMA \"foreign_keys\"=OFF"));
    assert_true(sets("PRAGMA temp . busy_timeout = 10"));
    assert_true(sets("PRAGMA writable_schema=ON"));
    assert_true(sets("PRAGMA journal_mode=DELETE"));
    assert_true(sets("PRAGMA \"table_info\"(t)")); /* quoted: not recognised, assumed to set */
    assert_true(sets("PRAGMA"));                     /* not understood */
    assert_true(sets("PRAGMA x y"));
    /* reading, or acting on the database file only */
    assert_false(sets("PRAGMA query_only"));
    assert_false(sets("PRAGMA main.foreign_keys;"));
    assert_false(sets("PRAGMA foreign_keys -- = OFF"));
    assert_false(sets("PRAGMA table_info(t)"));
    assert_false(sets("PRAGMA main.table_xinfo('t')"));
    assert_false(sets("PRAGMA index_list = t"));
    assert_false(sets("PRAGMA integrity_check(10)"));
    assert_false(sets("PRAGMA wal_checkpoint(TRUNCATE)"));
    assert_false(sets("PRAGMA user_version = 3"));
    assert_false(sets("PRAGMA OPTIMIZE"));
    /* not a PRAGMA */
    assert_false(sets("SELECT * FROM pragma_table_info('t')"));
    assert_false(sets("INSERT INTO pragma VALUES (1)"));
    assert_false(sets(""));
}

static void test_plain_vacuum(void **state)
{
    (void)state;
    static const char *plain[] = {"VACUUM", " vacuum ;", "VACUUM main", "/* c */ VACUUM \"main\";",
                                  "VACUUM [x] -- done", "vacuum\n;\n"};
    static const char *not_plain[] = {"VACUUM INTO 'f.db'", "VACUUM main INTO 'f.db'",
                                      "vacuum into ?", "VACUUM INTO ''", "VACUUMX",
                                      "SELECT 1", "VACUUM main extra", ""};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (!lsqld_sql_is_plain_vacuum(plain[i], strlen(plain[i])))
            fail_msg("%s: not seen as a plain VACUUM", plain[i]);
    for (size_t i = 0; i < sizeof not_plain / sizeof not_plain[0]; i++)
        if (lsqld_sql_is_plain_vacuum(not_plain[i], strlen(not_plain[i])))
            fail_msg("%s: seen as a plain VACUUM", not_plain[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_begin_kinds),
        cmocka_unit_test(test_blanks),
        cmocka_unit_test(test_pragma_sets),
        cmocka_unit_test(test_plain_vacuum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
