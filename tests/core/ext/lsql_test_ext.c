/* lsql_test_ext.c -- a tiny SQLite extension built by the test run and
 * loaded by tests/core/test_extension.c: it registers lsql_test_ext_answer()
 * (returns 42). Two entry points: SQLite's default name for this file
 * (sqlite3_lsqltestext_init) and an explicit one (lsql_test_ext_alt_init,
 * which registers lsql_test_ext_alt() returning 43). */
#include <stddef.h>

#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

int sqlite3_lsqltestext_init(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api);
int lsql_test_ext_alt_init(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api);
int lsql_test_ext_fail_init(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api);

static void answer(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    sqlite3_result_int(ctx, 42);
}

static void alt(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    sqlite3_result_int(ctx, 43);
}

int sqlite3_lsqltestext_init(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api)
{
    (void)errmsg;
    SQLITE_EXTENSION_INIT2(api);
    return sqlite3_create_function(db, "lsql_test_ext_answer", 0,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, answer, NULL, NULL);
}

int lsql_test_ext_alt_init(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api)
{
    (void)errmsg;
    SQLITE_EXTENSION_INIT2(api);
    return sqlite3_create_function(db, "lsql_test_ext_alt", 0, SQLITE_UTF8, NULL, alt, NULL, NULL);
}

/* an entry point that fails, with a message */
int lsql_test_ext_fail_init(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api)
{
    (void)db;
    SQLITE_EXTENSION_INIT2(api);
    *errmsg = sqlite3_mprintf("lsql_test_ext refuses to load");
    return SQLITE_ERROR;
}
