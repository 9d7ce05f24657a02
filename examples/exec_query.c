/* exec_query.c -- running statements with lsql_exec and reading results as a
 * stream with lsql_query / lsql_rows_next.
 *
 * lsql_exec runs exactly ONE statement (parameters optional) and reports
 * the number of changed rows. lsql_query returns a rows handle that reads
 * lazily: one row per lsql_rows_next, nothing is buffered. Both take their
 * prepared statement from the connection's statement cache. */
#include <lsql.h>

#include <stdio.h>

static int fail(const char *what, const lsql_error *err)
{
    fprintf(stderr, "%s: %s (%s)\n", what, err->message, lsql_errname(err->ext_code));
    return 1;
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

    /* DDL: no parameters, no change count needed. */
    if (lsql_exec(conn,
                  "CREATE TABLE fruit(id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                  "price REAL, stock INTEGER, photo BLOB)",
                  NULL, 0, NULL, &err))
        return fail("create", &err);

    /* Inserts with positional parameters; values are borrowed for the call. */
    static const unsigned char png[] = {0x89, 'P', 'N', 'G'};
    const char *names[] = {"apple", "banana", "cherry"};
    const double prices[] = {0.5, 0.25, 3.0};
    for (int i = 0; i < 3; i++) {
        lsql_param p[] = {
            {NULL, lsql_text_z(names[i])},
            {NULL, lsql_float(prices[i])},
            {NULL, lsql_int(10 * (i + 1))},
            {NULL, i == 0 ? lsql_blob(png, sizeof png) : lsql_null()},
        };
        if (lsql_exec(conn, "INSERT INTO fruit(name, price, stock, photo) VALUES (?, ?, ?, ?)",
                      p, 4, NULL, &err))
            return fail("insert", &err);
    }

    /* An UPDATE reports how many rows it changed. */
    int64_t changed = 0;
    lsql_param cheap[] = {{NULL, lsql_float(1.0)}};
    if (lsql_exec(conn, "UPDATE fruit SET stock = stock + 1 WHERE price < ?", cheap, 1,
                  &changed, &err))
        return fail("update", &err);
    printf("UPDATE changed %lld row(s)\n", (long long)changed);

    /* Streaming query: column names are known before the first row. */
    lsql_rows *rows = NULL;
    if (lsql_query(conn, "SELECT id, name, price, stock, photo FROM fruit ORDER BY id", NULL,
                   0, &rows, &err))
        return fail("query", &err);
    int ncol = lsql_rows_column_count(rows);
    for (int c = 0; c < ncol; c++)
        printf("%s%s", c ? " | " : "", lsql_rows_column_name(rows, c));
    printf("\n");
    int rc;
    while ((rc = lsql_rows_next(rows, &err)) == LSQL_ROW) {
        /* typed getters for columns whose type is known ... */
        size_t name_len = 0;
        const char *name = lsql_rows_text(rows, 1, &name_len);
        printf("%lld | %.*s | %.2f | %lld | ", (long long)lsql_rows_int64(rows, 0),
               (int)name_len, name, lsql_rows_double(rows, 2),
               (long long)lsql_rows_int64(rows, 3));
        /* ... and lsql_rows_get when the type matters (NULL vs blob here) */
        lsql_value photo;
        lsql_rows_get(rows, 4, &photo);
        if (photo.type == LSQL_TYPE_BLOB)
            printf("blob of %zu bytes\n", photo.u.bytes.n);
        else
            printf("NULL\n");
    }
    if (rc != LSQL_DONE) /* an error ends the loop too: always check */
        return fail("rows", &err);
    /* lsql_rows_free returns the statement to the cache. */
    lsql_rows_free(rows);

    /* lsql_exec runs one statement only: a second one is an error, not
     * silently ignored. */
    rc = lsql_exec(conn, "DELETE FROM fruit; DROP TABLE fruit", NULL, 0, NULL, &err);
    printf("two statements in lsql_exec: %s\n", lsql_errname(rc));
    if (rc != LSQL_INVALID_SQL)
        return 1;

    lsql_db_close(db);
    return 0;
}
