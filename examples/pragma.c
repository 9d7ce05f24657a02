/* pragma.c -- typed PRAGMA helpers and schema introspection.
 *
 * Scalars come back typed (journal mode as LSQL_JOURNAL_*, cache size with
 * its unit), schema names are quoted, table and index names bound, and the
 * list pragmas come back as one owned array per call (free it with
 * lsql_free). lsql_pragma runs any other PRAGMA and returns its rows. */
#include <lsql.h>

#include <stdio.h>

static int fail(const char *what, const lsql_error *err)
{
    fprintf(stderr, "%s: %s\n", what, err->message);
    return 1;
}

int main(void)
{
    lsql_db *db = NULL;
    lsql_conn *conn = NULL;
    lsql_error err;
    if (lsql_db_open_url(":memory:", &db, &err) || lsql_db_connect(db, &conn, &err))
        return fail("open", &err);
    if (lsql_exec(conn,
                  "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, "
                  "name TEXT DEFAULT 'anon')",
                  NULL, 0, NULL, &err) ||
        lsql_exec(conn, "CREATE INDEX users_name ON users(name DESC)", NULL, 0, NULL, &err))
        return fail("schema", &err);

    int fk = 0, mode = 0, sync = 0, unit = 0;
    int64_t cache = 0;
    int32_t version = 0;
    if (lsql_pragma_foreign_keys(conn, &fk, &err) ||
        lsql_pragma_journal_mode(conn, NULL, &mode, &err) ||
        lsql_pragma_synchronous(conn, NULL, &sync, &err) ||
        lsql_pragma_cache_size(conn, NULL, &cache, &unit, &err) ||
        lsql_pragma_set_user_version(conn, NULL, 3, &err) ||
        lsql_pragma_user_version(conn, NULL, &version, &err))
        return fail("pragmas", &err);
    printf("foreign_keys=%d journal_mode=%s synchronous=%d cache_size=%lld %s user_version=%d\n",
           fk, lsql_journal_mode_name(mode), sync, (long long)cache,
           unit == LSQL_CACHE_KIB ? "KiB" : "pages", (int)version);

    lsql_column_info *cols = NULL;
    size_t n = 0;
    if (lsql_table_info(conn, NULL, "users", &cols, &n, &err))
        return fail("table_info", &err);
    for (size_t i = 0; i < n; i++)
        printf("  column %d %-6s %-8s notnull=%d pk=%d default=%s\n", cols[i].cid, cols[i].name,
               cols[i].type, cols[i].notnull, cols[i].pk,
               cols[i].default_sql ? cols[i].default_sql : "-");
    lsql_free(cols);

    lsql_index_entry *idx = NULL;
    if (lsql_index_list(conn, NULL, "users", &idx, &n, &err))
        return fail("index_list", &err);
    for (size_t i = 0; i < n; i++) {
        lsql_index_column *ic = NULL;
        size_t k = 0;
        if (lsql_index_info(conn, NULL, idx[i].name, &ic, &k, &err))
            return fail("index_info", &err);
        printf("  index %s unique=%d origin=%s first column=%s%s\n", idx[i].name, idx[i].unique,
               idx[i].origin, ic[0].name, ic[0].desc ? " DESC" : "");
        lsql_free(ic);
    }
    lsql_free(idx);

    char **problems = NULL;
    if (lsql_integrity_check(conn, NULL, 0, 0, &problems, &n, &err))
        return fail("integrity_check", &err);
    printf("integrity_check: %s\n", n == 0 ? "ok" : problems[0]);
    lsql_free(problems);

    /* any other PRAGMA, with its rows */
    lsql_rows *rows = NULL;
    if (lsql_pragma(conn, NULL, "page_size", NULL, &rows, &err))
        return fail("page_size", &err);
    if (lsql_rows_next(rows, &err) == LSQL_ROW)
        printf("page_size=%lld\n", (long long)lsql_rows_int64(rows, 0));
    lsql_rows_free(rows);

    /* names are validated, not pasted into SQL */
    int rc = lsql_pragma(conn, NULL, "user_version; DROP TABLE users", NULL, NULL, &err);
    printf("bad pragma name: %s\n", lsql_errname(rc));
    lsql_db_close(db);
    return rc == LSQL_INVALID_NAME ? 0 : 1;
}
