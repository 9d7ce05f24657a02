/* query_one.c -- queries that must give exactly one row or one value.
 *
 * lsql_query_one   -> a detached lsql_row (valid after the connection closes)
 * lsql_query_value -> one lsql_value (text/blob bytes are owned by the caller)
 * lsql_query_int64 -> one INTEGER (NULL or other types are LSQL_MISMATCH)
 * No row is LSQL_NO_ROWS, more than one is LSQL_TOO_MANY_ROWS: both are
 * ordinary results to branch on, not crashes or silent defaults. */
#include <lsql.h>

#include <stdio.h>

static int fail(const char *what, const lsql_error *err)
{
    fprintf(stderr, "%s: %s\n", what, err->message);
    return 1;
}

/* Looks a user up by id; "not found" is a normal outcome. */
static int print_user(lsql_conn *conn, int64_t id)
{
    lsql_error err;
    lsql_row *row = NULL;
    lsql_param p[] = {{NULL, lsql_int(id)}};
    int rc = lsql_query_one(conn, "SELECT id, name, email FROM users WHERE id = ?", p, 1, &row,
                            &err);
    if (rc == LSQL_NO_ROWS) {
        printf("user %lld: not found\n", (long long)id);
        return 0;
    }
    if (rc != LSQL_OK)
        return fail("query_one", &err);
    lsql_value name, email;
    lsql_row_get(row, 1, &name);
    lsql_row_get(row, 2, &email);
    printf("user %lld: %s <%s> (%d columns, first is '%s')\n", (long long)id,
           (const char *)name.u.bytes.p,
           email.type == LSQL_TYPE_NULL ? "no email" : (const char *)email.u.bytes.p,
           lsql_row_column_count(row), lsql_row_column_name(row, 0));
    lsql_row_free(row);
    return 0;
}

int main(void)
{
    lsql_error err;
    lsql_db_opts opts;
    lsql_db_opts_init(&opts);
    opts.mode = LSQL_MODE_MEMORY;
    lsql_db *db = NULL;
    lsql_conn *conn = NULL;
    if (lsql_db_open(&opts, &db, &err) || lsql_db_connect(db, &conn, &err))
        return fail("open", &err);
    if (lsql_exec(conn, "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT, email TEXT)",
                  NULL, 0, NULL, &err) ||
        lsql_exec(conn,
                  "INSERT INTO users VALUES (1, 'ada', 'ada@example.org'), (2, 'alan', NULL)",
                  NULL, 0, NULL, &err))
        return fail("setup", &err);

    /* lsql_query_one */
    if (print_user(conn, 1) || print_user(conn, 2) || print_user(conn, 99))
        return 1;

    /* lsql_query_value: the text is a copy we own and must release */
    lsql_value v;
    if (lsql_query_value(conn, "SELECT group_concat(name, ', ') FROM users", NULL, 0, &v, &err))
        return fail("query_value", &err);
    printf("all names: %s\n", (const char *)v.u.bytes.p);
    lsql_value_release(&v);

    /* lsql_query_int64 */
    int64_t count = 0;
    if (lsql_query_int64(conn, "SELECT count(*) FROM users", NULL, 0, &count, &err))
        return fail("query_int64", &err);
    printf("count: %lld\n", (long long)count);

    /* The error cases, each with its own code. */
    int rc = lsql_query_int64(conn, "SELECT id FROM users WHERE id > 100", NULL, 0, &count,
                              &err);
    printf("no row:        %s\n", lsql_errname(rc));
    if (rc != LSQL_NO_ROWS)
        return 1;
    rc = lsql_query_int64(conn, "SELECT id FROM users", NULL, 0, &count, &err);
    printf("two rows:      %s\n", lsql_errname(rc));
    if (rc != LSQL_TOO_MANY_ROWS)
        return 1;
    rc = lsql_query_int64(conn, "SELECT email FROM users WHERE id = 2", NULL, 0, &count, &err);
    printf("NULL as int64: %s (%s)\n", lsql_errname(rc), err.message);
    if (rc != LSQL_MISMATCH)
        return 1;
    rc = lsql_query_value(conn, "SELECT id, name FROM users WHERE id = 1", NULL, 0, &v, &err);
    printf("two columns:   %s\n", lsql_errname(rc));
    if (rc != LSQL_MISMATCH)
        return 1;

    /* A detached row outlives its connection and database. */
    lsql_row *row = NULL;
    if (lsql_query_one(conn, "SELECT name FROM users WHERE id = 1", NULL, 0, &row, &err))
        return fail("query_one", &err);
    lsql_db_close(db);
    lsql_value name;
    lsql_row_get(row, 0, &name);
    printf("after closing the database the row still says: %s\n",
           (const char *)name.u.bytes.p);
    lsql_row_free(row);
    return 0;
}
