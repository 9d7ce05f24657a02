/* test_pragma.c -- typed PRAGMA helpers (foreign_keys, journal_mode,
 * synchronous, cache_size, user_version, busy_timeout through lsql_pragma),
 * the generic lsql_pragma with identifier validation and quoting, and the
 * list helpers (table_info, table_list, index_list, index_info,
 * integrity_check) with their owned arrays. */
#include "coretest.h"

#include <sqlite3.h>
#include <stdbool.h>

static void scalars(void **state)
{
    (void)state;
    char path[1024];
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = ct_path("pragma-scalars", path, sizeof path);
    lsql_db *db = ct_open(&o);
    lsql_conn *c = ct_connect(db);
    lsql_error e;
    int v = -1;

    /* foreign_keys: ON by default */
    ct_expect(LSQL_OK, &e, lsql_pragma_foreign_keys(c, &v, &e));
    assert_int_equal(v, 1);
    ct_expect(LSQL_OK, &e, lsql_pragma_set_foreign_keys(c, 0, &e));
    ct_expect(LSQL_OK, &e, lsql_pragma_foreign_keys(c, &v, &e));
    assert_int_equal(v, 0);
    tu_exec(c, "BEGIN");
    ct_expect(LSQL_MISUSE_STATE, &e, lsql_pragma_set_foreign_keys(c, 1, &e));
    tu_exec(c, "ROLLBACK");
    ct_expect(LSQL_OK, &e, lsql_pragma_set_foreign_keys(c, 7, &e)); /* any non-zero: on */
    ct_expect(LSQL_OK, &e, lsql_pragma_foreign_keys(c, &v, &e));
    assert_int_equal(v, 1);

    /* journal_mode: WAL by default for files */
    ct_expect(LSQL_OK, &e, lsql_pragma_journal_mode(c, NULL, &v, &e));
    assert_int_equal(v, LSQL_JOURNAL_WAL);
    ct_expect(LSQL_OK, &e, lsql_pragma_journal_mode(c, "main", &v, &e));
    assert_int_equal(v, LSQL_JOURNAL_WAL);
    int res = -1;
    ct_expect(LSQL_OK, &e, lsql_pragma_set_journal_mode(c, "main", LSQL_JOURNAL_DELETE, &res, &e));
    assert_int_equal(res, LSQL_JOURNAL_DELETE);
    ct_expect(LSQL_OK, &e, lsql_pragma_set_journal_mode(c, NULL, LSQL_JOURNAL_WAL, NULL, &e));
    ct_expect(LSQL_OK, &e, lsql_pragma_journal_mode(c, NULL, &v, &e));
    assert_int_equal(v, LSQL_JOURNAL_WAL);
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pragma_set_journal_mode(c, NULL, 6, &res, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pragma_set_journal_mode(c, NULL, -1, &res, &e));
    assert_string_equal(lsql_journal_mode_name(LSQL_JOURNAL_WAL), "wal");
    assert_string_equal(lsql_journal_mode_name(LSQL_JOURNAL_OFF), "off");
    assert_null(lsql_journal_mode_name(6));

    /* synchronous: NORMAL in WAL by lsql's defaults */
    ct_expect(LSQL_OK, &e, lsql_pragma_synchronous(c, NULL, &v, &e));
    assert_int_equal(v, LSQL_SYNC_NORMAL);
    ct_expect(LSQL_OK, &e, lsql_pragma_set_synchronous(c, "main", LSQL_SYNC_EXTRA, &e));
    ct_expect(LSQL_OK, &e, lsql_pragma_synchronous(c, "main", &v, &e));
    assert_int_equal(v, LSQL_SYNC_EXTRA);
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pragma_set_synchronous(c, NULL, 4, &e));

    /* cache_size: 8192 KiB by lsql's defaults */
    int64_t amount = 0;
    int unit = -1;
    ct_expect(LSQL_OK, &e, lsql_pragma_cache_size(c, NULL, &amount, &unit, &e));
    assert_int_equal(amount, 8192);
    assert_int_equal(unit, LSQL_CACHE_KIB);
    ct_expect(LSQL_OK, &e, lsql_pragma_set_cache_size(c, NULL, 500, LSQL_CACHE_PAGES, &e));
    ct_expect(LSQL_OK, &e, lsql_pragma_cache_size(c, NULL, &amount, &unit, &e));
    assert_int_equal(amount, 500);
    assert_int_equal(unit, LSQL_CACHE_PAGES);
    assert_int_equal(ct_int(c, "PRAGMA cache_size"), 500);
    ct_expect(LSQL_OK, &e, lsql_pragma_set_cache_size(c, "main", 1024, LSQL_CACHE_KIB, &e));
    assert_int_equal(ct_int(c, "PRAGMA cache_size"), -1024);
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pragma_set_cache_size(c, NULL, -1, LSQL_CACHE_KIB, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pragma_set_cache_size(c, NULL, 1, 2, &e));
    ct_expect(LSQL_INVALID_ARG,
              &e, lsql_pragma_set_cache_size(c, NULL, (int64_t)INT32_MAX + 1, LSQL_CACHE_KIB, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pragma_cache_size(c, NULL, &amount, NULL, &e));

    /* user_version, full 32-bit range */
    int32_t uv = 1;
    ct_expect(LSQL_OK, &e, lsql_pragma_user_version(c, NULL, &uv, &e));
    assert_int_equal(uv, 0);
    ct_expect(LSQL_OK, &e, lsql_pragma_set_user_version(c, NULL, -123456, &e));
    ct_expect(LSQL_OK, &e, lsql_pragma_user_version(c, "main", &uv, &e));
    assert_int_equal(uv, -123456);
    ct_expect(LSQL_OK, &e, lsql_pragma_set_user_version(c, "main", INT32_MAX, &e));
    ct_expect(LSQL_OK, &e, lsql_pragma_user_version(c, NULL, &uv, &e));
    assert_int_equal(uv, INT32_MAX);

    /* schemas: attached, unknown, odd names (quoted, not pasted) */
    lsql_param p = {NULL, lsql_text_z(":memory:")};
    ct_expect(LSQL_OK, &e, lsql_exec(c, "ATTACH ? AS \"we\"\"ird.name\"", &p, 1, NULL, &e));
    ct_expect(LSQL_OK, &e, lsql_pragma_set_user_version(c, "we\"ird.name", 9, &e));
    ct_expect(LSQL_OK, &e, lsql_pragma_user_version(c, "we\"ird.name", &uv, &e));
    assert_int_equal(uv, 9);
    ct_expect(LSQL_OK, &e, lsql_pragma_journal_mode(c, "we\"ird.name", &v, &e));
    assert_int_equal(v, LSQL_JOURNAL_MEMORY);
    ct_expect(LSQL_ERROR, &e, lsql_pragma_user_version(c, "nosuch", &uv, &e));
    ct_expect(LSQL_ERROR, &e, lsql_pragma_user_version(c, "main\"; DROP TABLE x; --", &uv, &e));
    ct_expect(LSQL_INVALID_NAME, &e, lsql_pragma_user_version(c, "", &uv, &e));
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    ct_expect(LSQL_INVALID_NAME, &e, lsql_pragma_user_version(c, longname, &uv, &e));

    /* misuse */
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pragma_user_version(c, NULL, NULL, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pragma_foreign_keys(c, NULL, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_pragma_foreign_keys(NULL, &v, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_pragma_set_user_version((lsql_conn *)db, NULL, 1, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_pragma_journal_mode(NULL, NULL, &v, &e));
    lsql_db_close(db);
    tu_db_remove(path);
}

static void generic(void **state)
{
    (void)state;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    tu_open_memory(&db, &c);
    lsql_error e;
    lsql_rows *r = NULL;
    ct_expect(LSQL_OK, &e, lsql_pragma(c, NULL, "page_size", NULL, &r, &e));
    ct_expect(LSQL_ROW, &e, lsql_rows_next(r, &e));
    assert_true(lsql_rows_int64(r, 0) >= 512);
    lsql_rows_free(r);

    lsql_value v = lsql_int(3);
    ct_expect(LSQL_OK, &e, lsql_pragma(c, "main", "user_version", &v, NULL, &e));
    assert_int_equal(ct_int(c, "PRAGMA user_version"), 3);
    v = lsql_text_z("memory"); /* text values are string literals */
    ct_expect(LSQL_OK, &e, lsql_pragma(c, NULL, "temp_store", &v, NULL, &e));
    assert_int_equal(ct_int(c, "PRAGMA temp_store"), 2);
    v = lsql_text_z("it's"); /* a quote inside a literal */
    ct_expect(LSQL_OK, &e, lsql_pragma(c, NULL, "application_id", &v, NULL, &e));
    v = lsql_float(2.0);
    ct_expect(LSQL_OK, &e, lsql_pragma(c, NULL, "user_version", &v, NULL, &e));
    assert_int_equal(ct_int(c, "PRAGMA user_version"), 2);

    /* a list pragma as rows */
    tu_exec(c, "CREATE TABLE t(a INTEGER, b TEXT)");
    v = lsql_text_z("t");
    ct_expect(LSQL_OK, &e, lsql_pragma(c, NULL, "table_info", &v, &r, &e));
    int n = 0;
    while (lsql_rows_next(r, &e) == LSQL_ROW)
        n++;
    assert_int_equal(n, 2);
    assert_string_equal(lsql_rows_column_name(r, 1), "name");
    lsql_rows_free(r);

    /* busy_timeout goes to the interruptible handler */
    v = lsql_int(1500);
    ct_expect(LSQL_OK, &e, lsql_pragma(c, NULL, "BUSY_TIMEOUT", &v, &r, &e));
    ct_expect(LSQL_ROW, &e, lsql_rows_next(r, &e));
    assert_int_equal(lsql_rows_int64(r, 0), 1500);
    assert_string_equal(lsql_rows_column_name(r, 0), "timeout");
    lsql_rows_free(r);
    uint32_t ms = 0;
    assert_ok(lsql_conn_busy_timeout(c, &ms));
    assert_int_equal(ms, 1500);
    ct_expect(LSQL_OK, &e, lsql_pragma(c, NULL, "busy_timeout", NULL, NULL, &e));
    v = lsql_int(-1);
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pragma(c, NULL, "busy_timeout", &v, NULL, &e));
    v = lsql_text_z("10");
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pragma(c, NULL, "busy_timeout", &v, NULL, &e));

    /* names and values that must be refused */
    const char *bad[] = {"", "1abc", "user_version; DROP TABLE t", "a b", "x-y", NULL};
    for (int i = 0; i < 6; i++)
        ct_expect(LSQL_INVALID_NAME, &e, lsql_pragma(c, NULL, bad[i], NULL, NULL, &e));
    v = lsql_null();
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pragma(c, NULL, "user_version", &v, NULL, &e));
    v = lsql_blob("x", 1);
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pragma(c, NULL, "user_version", &v, NULL, &e));
    v = lsql_text("a\0b", 3);
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pragma(c, NULL, "user_version", &v, NULL, &e));
    v = lsql_float(1.0 / 0.0);
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pragma(c, NULL, "user_version", &v, NULL, &e));
    ct_expect(LSQL_INVALID_NAME, &e, lsql_pragma(c, "", "user_version", NULL, NULL, &e));
    /* an unknown pragma is no error in SQLite: no rows */
    ct_expect(LSQL_OK, &e, lsql_pragma(c, NULL, "no_such_pragma", NULL, &r, &e));
    ct_expect(LSQL_DONE, &e, lsql_rows_next(r, &e));
    lsql_rows_free(r);
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_pragma(NULL, NULL, "user_version", NULL, &r, &e));
    assert_null(r);
    assert_int_equal(ct_int(c, "SELECT count(*) FROM t"), 0); /* t survived */
    lsql_db_close(db);
}

static void lists(void **state)
{
    (void)state;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    tu_open_memory(&db, &c);
    tu_exec(c, "CREATE TABLE \"odd \"\"name\"(id INTEGER PRIMARY KEY, email TEXT NOT NULL "
               "DEFAULT 'x@y' COLLATE NOCASE, n INT, g AS (n * 2) STORED, UNIQUE (email))");
    tu_exec(c, "CREATE INDEX odd_n ON \"odd \"\"name\"(n DESC, lower(email)) WHERE n > 0");
    tu_exec(c, "CREATE TABLE plain(x ANY) STRICT");
    tu_exec(c, "CREATE TABLE kv(k TEXT PRIMARY KEY, v) WITHOUT ROWID");
    tu_exec(c, "CREATE VIEW vw AS SELECT 1 AS one");
    lsql_error e;

    lsql_column_info *cols = NULL;
    size_t n = 99;
    ct_expect(LSQL_OK, &e, lsql_table_info(c, NULL, "odd \"name", &cols, &n, &e));
    assert_int_equal(n, 4);
    assert_int_equal(cols[0].cid, 0);
    assert_string_equal(cols[0].name, "id");
    assert_string_equal(cols[0].type, "INTEGER");
    assert_int_equal(cols[0].pk, 1);
    assert_null(cols[0].default_sql);
    assert_string_equal(cols[1].name, "email");
    assert_int_equal(cols[1].notnull, 1);
    assert_string_equal(cols[1].default_sql, "'x@y'");
    assert_string_equal(cols[2].type, "INT");
    assert_string_equal(cols[3].name, "g");
    assert_int_equal(cols[3].hidden, 3);
    assert_string_equal(cols[3].type, "");
    lsql_free(cols); /* one allocation, strings included */

    ct_expect(LSQL_OK, &e, lsql_table_info(c, "main", "vw", &cols, &n, &e));
    assert_int_equal(n, 1);
    assert_string_equal(cols[0].name, "one");
    lsql_free(cols);
    cols = (lsql_column_info *)1;
    ct_expect(LSQL_ERROR, &e, lsql_table_info(c, NULL, "nosuch", &cols, &n, &e));
    assert_null(cols);
    assert_int_equal(n, 0);
    assert_non_null(strstr(e.message, "no such table"));
    ct_expect(LSQL_ERROR, &e, lsql_table_info(c, "nosuchdb", "t", &cols, &n, &e));
    ct_expect(LSQL_INVALID_NAME, &e, lsql_table_info(c, NULL, "", &cols, &n, &e));
    ct_expect(LSQL_INVALID_NAME, &e, lsql_table_info(c, NULL, NULL, &cols, &n, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_table_info(c, NULL, "kv", NULL, &n, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_table_info(c, NULL, "kv", &cols, NULL, &e));

    lsql_table_entry *tabs = NULL;
    ct_expect(LSQL_OK, &e, lsql_table_list(c, "main", &tabs, &n, &e));
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(tabs[i].schema, "main");
        if (!strcmp(tabs[i].name, "kv")) {
            seen |= 1;
            assert_int_equal(tabs[i].without_rowid, 1);
            assert_string_equal(tabs[i].type, "table");
        } else if (!strcmp(tabs[i].name, "plain")) {
            seen |= 2;
            assert_int_equal(tabs[i].strict, 1);
            assert_int_equal(tabs[i].ncol, 1);
        } else if (!strcmp(tabs[i].name, "vw")) {
            seen |= 4;
            assert_string_equal(tabs[i].type, "view");
        } else if (!strcmp(tabs[i].name, "odd \"name")) {
            seen |= 8;
            assert_int_equal(tabs[i].ncol, 4);
        }
    }
    assert_int_equal(seen, 15);
    lsql_free(tabs);
    ct_expect(LSQL_OK, &e, lsql_table_list(c, NULL, &tabs, &n, &e));
    bool temp = false;
    for (size_t i = 0; i < n; i++)
        temp = temp || !strcmp(tabs[i].schema, "temp");
    assert_true(temp);
    lsql_free(tabs);

    lsql_index_entry *idx = NULL;
    ct_expect(LSQL_OK, &e, lsql_index_list(c, NULL, "odd \"name", &idx, &n, &e));
    assert_int_equal(n, 2);
    int kinds = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(idx[i].name, "odd_n")) {
            kinds |= 1;
            assert_string_equal(idx[i].origin, "c");
            assert_int_equal(idx[i].partial, 1);
            assert_int_equal(idx[i].unique, 0);
        } else {
            kinds |= 2;
            assert_string_equal(idx[i].origin, "u");
            assert_int_equal(idx[i].unique, 1);
        }
    }
    assert_int_equal(kinds, 3);
    lsql_free(idx);
    idx = (lsql_index_entry *)1;
    ct_expect(LSQL_OK, &e, lsql_index_list(c, NULL, "plain", &idx, &n, &e));
    assert_int_equal(n, 0);
    assert_null(idx);
    ct_expect(LSQL_ERROR, &e, lsql_index_list(c, NULL, "nosuch", &idx, &n, &e));
    assert_non_null(strstr(e.message, "no such table"));

    lsql_index_column *ic = NULL;
    ct_expect(LSQL_OK, &e, lsql_index_info(c, NULL, "odd_n", &ic, &n, &e));
    assert_int_equal(n, 2);
    assert_int_equal(ic[0].seqno, 0);
    assert_string_equal(ic[0].name, "n");
    assert_int_equal(ic[0].cid, 2);
    assert_int_equal(ic[0].desc, 1);
    assert_string_equal(ic[0].collation, "BINARY");
    assert_null(ic[1].name); /* an expression */
    assert_int_equal(ic[1].cid, -2);
    assert_int_equal(ic[1].desc, 0);
    lsql_free(ic);
    ct_expect(LSQL_ERROR, &e, lsql_index_info(c, NULL, "nosuch", &ic, &n, &e));
    assert_non_null(strstr(e.message, "no such index"));
    ct_expect(LSQL_INVALID_NAME, &e, lsql_index_info(c, NULL, "", &ic, &n, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_index_info(NULL, NULL, "odd_n", &ic, &n, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_table_list(NULL, NULL, &tabs, &n, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_index_list(NULL, NULL, "x", &idx, &n, &e));
    lsql_db_close(db);
}

static void integrity(void **state)
{
    (void)state;
    char path[1024];
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = ct_path("pragma-integrity", path, sizeof path);
    lsql_db *db = ct_open(&o);
    lsql_conn *c = ct_connect(db);
    lsql_error e;
    tu_exec(c, "CREATE TABLE a(x)");
    tu_exec(c, "CREATE INDEX ax ON a(x)");
    tu_exec(c, "CREATE TABLE b(y)");
    tu_exec(c, "CREATE INDEX by_ ON b(y)");
    tu_exec(c, "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 50) "
               "INSERT INTO a SELECT i FROM s");
    tu_exec(c, "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 50) "
               "INSERT INTO b SELECT -i FROM s");
    char **problems = (char **)1;
    size_t n = 99;
    ct_expect(LSQL_OK, &e, lsql_integrity_check(c, NULL, 0, 0, &problems, &n, &e));
    assert_null(problems);
    assert_int_equal(n, 0);
    ct_expect(LSQL_OK, &e, lsql_integrity_check(c, "main", 10, 1, &problems, &n, &e));
    assert_int_equal(n, 0);

    /* damage it: swap the root pages of the two indexes (through the native
     * handle; the test's business, not lsql's) */
    void *native = NULL;
    assert_ok(lsql_conn_native_handle(c, &native));
    sqlite3 *s = native;
    int rc = sqlite3_exec(s,
                          "PRAGMA writable_schema=ON;"
                          "UPDATE sqlite_schema SET rootpage = CASE name "
                          "WHEN 'ax' THEN (SELECT rootpage FROM sqlite_schema WHERE name='by_') "
                          "ELSE (SELECT rootpage FROM sqlite_schema WHERE name='ax') END "
                          "WHERE name IN ('ax', 'by_');"
                          "PRAGMA writable_schema=OFF;",
                          NULL, NULL, NULL);
    assert_int_equal(rc, SQLITE_OK);
    lsql_conn_close(c);
    c = ct_connect(db);
    ct_expect(LSQL_OK, &e, lsql_integrity_check(c, NULL, 5, 0, &problems, &n, &e));
    assert_true(n >= 1 && n <= 5);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(problems[i]);
        assert_true(strlen(problems[i]) > 0);
        assert_string_not_equal(problems[i], "ok");
    }
    lsql_free(problems);
    ct_expect(LSQL_OK, &e, lsql_integrity_check(c, NULL, 1, 0, &problems, &n, &e));
    assert_int_equal(n, 1);
    lsql_free(problems);
    ct_expect(LSQL_INVALID_ARG, &e, lsql_integrity_check(c, NULL, 0, 0, NULL, &n, &e));
    ct_expect(LSQL_ERROR, &e, lsql_integrity_check(c, "nosuch", 0, 0, &problems, &n, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_integrity_check(NULL, NULL, 0, 0, &problems, &n, &e));
    lsql_db_close(db);
    tu_db_remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scalars),
        cmocka_unit_test(generic),
        cmocka_unit_test(lists),
        cmocka_unit_test(integrity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
