/* savepoints.c -- nested savepoints inside a transaction: rollback-to undoes
 * part of the work and keeps the savepoint, release merges it into the
 * transaction; names are validated identifiers; an unknown name is
 * reported before anything runs. */
#include <lsql.h>

#include <stdio.h>

static int fail(const char *what, const lsql_error *err)
{
    fprintf(stderr, "%s: %s (%s)\n", what, err->message, lsql_errname(err->ext_code));
    return 1;
}

static void show(lsql_conn *conn, const char *when)
{
    lsql_rows *rows = NULL;
    lsql_error err;
    printf("%-28s", when);
    if (lsql_query(conn, "SELECT item FROM cart ORDER BY rowid", NULL, 0, &rows, &err) == LSQL_OK)
        while (lsql_rows_next(rows, &err) == LSQL_ROW)
            printf(" %s", lsql_rows_text(rows, 0, NULL));
    lsql_rows_free(rows);
    printf("\n");
}

static void add(lsql_conn *conn, const char *item)
{
    lsql_param p[] = {{NULL, lsql_text_z(item)}};
    lsql_exec(conn, "INSERT INTO cart(item) VALUES (?)", p, 1, NULL, NULL);
}

int main(void)
{
    lsql_error err;
    lsql_db *db = NULL;
    lsql_conn *conn = NULL;
    if (lsql_db_open_url(":memory:", &db, &err) || lsql_db_connect(db, &conn, &err))
        return fail("open", &err);
    lsql_exec(conn, "CREATE TABLE cart(item TEXT)", NULL, 0, NULL, &err);

    lsql_txn *txn = NULL;
    if (lsql_begin(conn, LSQL_BEGIN_IMMEDIATE, &txn, &err))
        return fail("begin", &err);
    add(conn, "bread");
    if (lsql_savepoint(conn, txn, "extras", &err))
        return fail("savepoint", &err);
    add(conn, "cheese");
    lsql_savepoint(conn, txn, "treats", &err);
    add(conn, "cake");
    add(conn, "chocolate");
    show(conn, "with everything:");
    printf("open savepoints: %d\n", lsql_txn_savepoints(txn));

    /* undo the treats; the savepoint stays open */
    if (lsql_savepoint_rollback(conn, txn, "treats", &err))
        return fail("rollback to", &err);
    show(conn, "after ROLLBACK TO treats:");
    add(conn, "apple");
    /* keep the extras: release merges them into the transaction */
    if (lsql_savepoint_release(conn, txn, "extras", &err))
        return fail("release", &err);
    printf("open savepoints: %d\n", lsql_txn_savepoints(txn));

    /* names are identifiers; anything else is refused before running */
    int rc = lsql_savepoint(conn, txn, "x; DROP TABLE cart", &err);
    printf("bad name: %s (%s)\n", lsql_errname(rc), err.message);
    rc = lsql_savepoint_release(conn, txn, "treats", &err);
    printf("released already: %s (%s)\n", lsql_errname(rc), err.message);

    if (lsql_commit(conn, txn, &err))
        return fail("commit", &err);
    lsql_txn_free(txn);
    show(conn, "committed:");
    int64_t n = 0;
    lsql_query_int64(conn, "SELECT count(*) FROM cart", NULL, 0, &n, &err);
    lsql_db_close(db);
    return n == 3 && rc == LSQL_TXN_SAVEPOINT ? 0 : 1;
}
