/* reset.c -- lsql_conn_reset, as a pool would call it between two users of
 * a connection: the open transaction is rolled back (its handle reports
 * LSQL_TXN_DONE), statements are reset with their bindings cleared, TEMP
 * objects are dropped, and the statement cache stays warm. */
#include <lsql.h>

#include <stdio.h>

static int fail(const char *what, const lsql_error *err)
{
    fprintf(stderr, "%s: %s (%s)\n", what, err->message, lsql_errname(err->ext_code));
    return 1;
}

/* What a careless user leaves behind. */
static lsql_txn *careless_user(lsql_conn *conn, lsql_stmt **stmt)
{
    lsql_error err;
    lsql_txn *txn = NULL;
    lsql_exec(conn, "CREATE TEMP TABLE scratch(x)", NULL, 0, NULL, &err);
    lsql_begin(conn, LSQL_BEGIN_IMMEDIATE, &txn, &err);
    lsql_exec(conn, "INSERT INTO jobs(name) VALUES ('half-done')", NULL, 0, NULL, &err);
    lsql_prepare(conn, "SELECT name FROM jobs WHERE id > ?", -1, 0, stmt, NULL, &err);
    lsql_bind_int64(*stmt, 1, 0);
    lsql_step(*stmt, &err); /* left in the middle of its rows */
    return txn;
}

static void show(lsql_conn *conn, const char *when)
{
    int autocommit = 0, state = 0;
    int64_t jobs = 0, temps = 0;
    lsql_error err;
    lsql_is_autocommit(conn, &autocommit);
    lsql_txn_state(conn, &state);
    lsql_query_int64(conn, "SELECT count(*) FROM jobs", NULL, 0, &jobs, &err);
    lsql_query_int64(conn, "SELECT count(*) FROM temp.sqlite_schema", NULL, 0, &temps, &err);
    printf("%-14s autocommit=%d txn_state=%d jobs=%lld temp objects=%lld\n", when, autocommit,
           state, (long long)jobs, (long long)temps);
}

int main(void)
{
    lsql_error err;
    lsql_db *db = NULL;
    lsql_conn *conn = NULL;
    if (lsql_db_open_url(":memory:", &db, &err) || lsql_db_connect(db, &conn, &err))
        return fail("open", &err);
    lsql_exec(conn, "CREATE TABLE jobs(id INTEGER PRIMARY KEY, name TEXT)", NULL, 0, NULL, &err);
    lsql_exec(conn, "INSERT INTO jobs(name) VALUES ('done')", NULL, 0, NULL, &err);

    lsql_stmt *stmt = NULL;
    lsql_txn *txn = careless_user(conn, &stmt);
    show(conn, "before reset:");
    lsql_cache_stats before, after;
    before.struct_size = after.struct_size = sizeof before;
    lsql_stmt_cache_stats(conn, &before);

    if (lsql_conn_reset(conn, &err))
        return fail("reset", &err);
    show(conn, "after reset:");
    lsql_stmt_cache_stats(conn, &after);
    printf("cached statements: %d before, %d after\n", before.size, after.size);

    /* the old transaction handle is finished, cleanly */
    int rc = lsql_commit(conn, txn, &err);
    printf("old handle: %s (%s)\n", lsql_errname(rc), err.message);
    lsql_txn_free(txn);
    /* the statement starts over, its parameter is NULL again */
    rc = lsql_step(stmt, &err);
    printf("old statement after reset: %s (its parameter is unbound: no rows)\n",
           lsql_errname(rc));
    lsql_finalize(stmt);
    lsql_db_close(db);
    return rc == LSQL_DONE && after.size >= before.size ? 0 : 1;
}
