/* cursor.c -- a paging cursor: rows come a page at a time, the statement is
 * stepped only as far as each page needs, so a huge result is read in
 * bounded memory; works inside a transaction (it sees the transaction's own
 * rows), and the columns are known even for an empty result. */
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
    lsql_db *db = NULL;
    lsql_conn *conn = NULL;
    if (lsql_db_open_url(":memory:", &db, &err) || lsql_db_connect(db, &conn, &err))
        return fail("open", &err);
    lsql_exec(conn, "CREATE TABLE events(id INTEGER PRIMARY KEY, kind TEXT)", NULL, 0, NULL, &err);

    lsql_txn *txn = NULL;
    if (lsql_begin(conn, LSQL_BEGIN_IMMEDIATE, &txn, &err))
        return fail("begin", &err);
    lsql_exec(conn,
              "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 10000) "
              "INSERT INTO events SELECT i, CASE i % 3 WHEN 0 THEN 'click' ELSE 'view' END FROM r",
              NULL, 0, NULL, &err);

    /* inside the (uncommitted) transaction */
    lsql_cursor *cur = NULL;
    lsql_param p[] = {{":kind", lsql_text_z("click")}};
    if (lsql_cursor_open(conn, "SELECT id, kind FROM events WHERE kind = :kind ORDER BY id", p, 1,
                         &cur, &err))
        return fail("cursor", &err);
    const lsql_rowset *page = NULL;
    int rc, pages = 0;
    int64_t last = 0;
    while ((rc = lsql_cursor_fetch(cur, 1000, &page, &err)) == LSQL_ROW) {
        size_t n = lsql_rowset_count(page);
        last = lsql_rowset_int64(page, n - 1, 0);
        if (pages++ < 2)
            printf("page %d: %zu rows, first id %lld, last id %lld\n", pages, n,
                   (long long)lsql_rowset_int64(page, 0, 0), (long long)last);
    }
    if (rc != LSQL_DONE)
        return fail("fetch", &err);
    printf("%d pages, %llu rows, last id %lld\n", pages,
           (unsigned long long)lsql_cursor_rows_read(cur), (long long)last);
    lsql_cursor_close(cur);
    lsql_commit(conn, txn, &err);
    lsql_txn_free(txn);

    /* a big generated result, never held in memory at once */
    lsql_param big[] = {{NULL, lsql_int(1000000)}};
    lsql_cursor_open(conn,
                     "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < ?) "
                     "SELECT i FROM r",
                     big, 1, &cur, &err);
    int64_t sum = 0;
    while ((rc = lsql_cursor_fetch(cur, 500, &page, &err)) == LSQL_ROW)
        for (size_t i = 0; i < lsql_rowset_count(page); i++)
            sum += lsql_rowset_int64(page, i, 0);
    printf("sum of 1..1000000 = %lld\n", (long long)sum);
    lsql_cursor_close(cur);

    /* empty: no rows, but the columns */
    lsql_cursor_open(conn, "SELECT id AS event_id, kind FROM events WHERE 0", NULL, 0, &cur, &err);
    rc = lsql_cursor_fetch(cur, 10, &page, &err);
    printf("empty result: %s, %d columns, first is %s\n", lsql_errname(rc),
           lsql_rowset_column_count(page), lsql_rowset_column_name(page, 0));
    lsql_cursor_close(cur);
    lsql_db_close(db);
    return sum == 500000500000LL && rc == LSQL_DONE && last == 9999 ? 0 : 1;
}
