/* script_batch.c -- one string holding many statements (comments, empty
 * statements and trailing whitespace allowed), run with a result per
 * statement; atomic scripts roll back entirely, a syntax error reports the
 * statement and its offset in the script. */
#include <lsql.h>

#include <stdio.h>

static int fail(const char *what, const lsql_error *err)
{
    fprintf(stderr, "%s: %s (%s)\n", what, err->message, lsql_errname(err->ext_code));
    return 1;
}

static const char k_schema[] =
    "-- schema and seed data\n"
    "CREATE TABLE tags(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n"
    "CREATE INDEX tags_name ON tags(name);\n"
    "INSERT INTO tags(name) VALUES ('red'), ('green'), ('blue');;\n"
    "/* a query inside a script gives rows too */\n"
    "SELECT count(*) AS n FROM tags;\n"
    "   \n";

int main(void)
{
    lsql_error err;
    lsql_db *db = NULL;
    lsql_conn *conn = NULL;
    if (lsql_db_open_url(":memory:", &db, &err) || lsql_db_connect(db, &conn, &err))
        return fail("open", &err);

    lsql_batch_result *res = NULL;
    if (lsql_script_run(conn, k_schema, LSQL_BATCH_ATOMIC, &res, &err))
        return fail("script", &err);
    for (size_t i = 0; i < lsql_batch_result_count(res); i++) {
        lsql_step_result s;
        s.struct_size = sizeof s;
        lsql_batch_result_step(res, i, &s);
        printf("statement %zu: \"%.*s\" changes=%lld\n", i, (int)s.sql_length,
               k_schema + s.sql_offset, (long long)s.changes);
        if (s.rows && lsql_rowset_count(s.rows))
            printf("  -> %s = %lld\n", lsql_rowset_column_name(s.rows, 0),
                   (long long)lsql_rowset_int64(s.rows, 0, 0));
    }
    lsql_batch_result_free(res);

    /* an atomic script with a syntax error in its third statement: nothing
     * of it stays, and the error says where */
    const char *broken = "INSERT INTO tags(name) VALUES ('cyan');\n"
                         "DELETE FROM tags WHERE name = 'red';\n"
                         "UPDATE tags SET name = upper(name) WHER id = 1;\n";
    int rc = lsql_script_run(conn, broken, LSQL_BATCH_ATOMIC, &res, &err);
    printf("broken script: %s at byte %d: %s\n", lsql_errname(rc), err.offset, err.message);
    printf("  failed statement %lld of %zu attempted\n",
           (long long)lsql_batch_result_failed_step(res), lsql_batch_result_count(res));
    lsql_batch_result_free(res);
    int64_t n = 0;
    lsql_query_int64(conn, "SELECT count(*) FROM tags", NULL, 0, &n, &err);
    printf("tags after the rolled-back script: %lld\n", (long long)n);
    lsql_db_close(db);
    return rc == LSQL_ERROR && n == 3 ? 0 : 1;
}
