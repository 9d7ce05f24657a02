/* extension.c -- loading a SQLite extension (a shared library).
 *
 * Usage: example_extension [path/to/extension.so [entry_point]]
 *
 * Extension loading is off on every connection: loading first needs
 * lsql_conn_enable_load_extension (only the C call is enabled; the SQL
 * function load_extension() stays off). Without an argument the example
 * shows the refusals and a clean failure for a missing file, and skips the
 * real load. With a path it loads it (tests/core/ext builds a tiny one,
 * lsql_test_ext.so, whose lsql_test_ext_answer() returns 42). */
#include <lsql.h>

#include <stdio.h>

int main(int argc, char **argv)
{
    lsql_db *db = NULL;
    lsql_conn *conn = NULL;
    lsql_error err;
    if (lsql_db_open_url(":memory:", &db, &err) || lsql_db_connect(db, &conn, &err)) {
        fprintf(stderr, "open: %s\n", err.message);
        return 1;
    }
    const char *path = argc > 1 ? argv[1] : "/nonexistent/extension.so";
    int rc = lsql_conn_load_extension(conn, path, NULL, &err);
    printf("before enabling: %s (%s)\n", lsql_errname(rc), err.message);
    if (rc != LSQL_PERM_EXTENSION)
        return 1;

    lsql_conn_enable_load_extension(conn, 1, &err);
    rc = lsql_conn_load_extension(conn, path, argc > 2 ? argv[2] : NULL, &err);
    int status = 0;
    if (argc < 2) {
        printf("missing file: %s (%s)\n", lsql_errname(rc), err.message);
        printf("no extension given: skipping the real load (pass a path to try one)\n");
        status = rc == LSQL_ERROR ? 0 : 1;
    } else if (rc != LSQL_OK) {
        fprintf(stderr, "load %s: %s\n", path, err.message);
        status = 1;
    } else {
        printf("loaded %s\n", path);
        int64_t v = 0;
        if (lsql_query_int64(conn, "SELECT lsql_test_ext_answer()", NULL, 0, &v, &err) == LSQL_OK)
            printf("lsql_test_ext_answer() = %lld\n", (long long)v);
    }
    lsql_conn_enable_load_extension(conn, 0, &err); /* off again */
    lsql_db_close(db);
    return status;
}
