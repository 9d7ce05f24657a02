/* hooks.c -- watching a connection's changes and transactions.
 *
 * The update hook reports each row written (operation, table, rowid); the
 * pre-update hook sees the row's old and new values before the change; the
 * commit hook can veto a commit (the COMMIT then fails with
 * LSQL_CONSTRAINT_COMMITHOOK and the transaction rolls back, which the
 * rollback hook sees). Hook contexts are borrowed: they must outlive the
 * hook or the connection. */
#include <lsql.h>

#include <stdio.h>

static const char *op_name(int op)
{
    return op == LSQL_KIND_INSERT ? "INSERT" : op == LSQL_KIND_UPDATE ? "UPDATE" : "DELETE";
}

static void on_update(void *ctx, int op, const char *schema, const char *table, int64_t rowid)
{
    int *count = ctx;
    (*count)++;
    printf("  update hook: %s %s.%s rowid=%lld\n", op_name(op), schema, table, (long long)rowid);
}

static void on_preupdate(void *ctx, lsql_preupdate *pu, int op, const char *schema,
                         const char *table, int64_t old_rowid, int64_t new_rowid)
{
    (void)ctx, (void)schema, (void)old_rowid, (void)new_rowid;
    lsql_value before, after;
    if (op == LSQL_KIND_UPDATE && lsql_preupdate_old(pu, 1, &before) == LSQL_OK &&
        lsql_preupdate_new(pu, 1, &after) == LSQL_OK && before.type == LSQL_TYPE_INTEGER)
        printf("  pre-update: %s.balance %lld -> %lld\n", table, (long long)before.u.i,
               (long long)after.u.i);
}

static int on_commit(void *ctx)
{
    int veto = *(int *)ctx;
    printf("  commit hook: %s\n", veto ? "veto" : "ok");
    return veto;
}

static void on_rollback(void *ctx)
{
    (void)ctx;
    printf("  rollback hook\n");
}

int main(void)
{
    lsql_db *db = NULL;
    lsql_conn *conn = NULL;
    lsql_error err;
    if (lsql_db_open_url(":memory:", &db, &err) || lsql_db_connect(db, &conn, &err)) {
        fprintf(stderr, "open: %s\n", err.message);
        return 1;
    }
    lsql_exec(conn, "CREATE TABLE accounts(id INTEGER PRIMARY KEY, balance INTEGER)", NULL, 0,
              NULL, &err);
    int updates = 0, veto = 0;
    lsql_conn_set_update_hook(conn, on_update, &updates);
    lsql_conn_set_commit_hook(conn, on_commit, &veto);
    lsql_conn_set_rollback_hook(conn, on_rollback, NULL);
    if (lsql_conn_set_preupdate_hook(conn, on_preupdate, NULL) == LSQL_NOTSUP_BACKEND)
        printf("(this SQLite has no pre-update hook)\n");

    printf("insert and update:\n");
    lsql_exec(conn, "INSERT INTO accounts VALUES (1, 100)", NULL, 0, NULL, &err);
    lsql_exec(conn, "UPDATE accounts SET balance = balance - 30 WHERE id = 1", NULL, 0, NULL,
              &err);

    printf("a transaction the commit hook refuses:\n");
    veto = 1;
    lsql_exec(conn, "BEGIN", NULL, 0, NULL, &err);
    lsql_exec(conn, "DELETE FROM accounts", NULL, 0, NULL, &err);
    int rc = lsql_exec(conn, "COMMIT", NULL, 0, NULL, &err);
    printf("COMMIT: %s\n", lsql_errname(rc));
    veto = 0;

    int64_t n = 0;
    lsql_query_int64(conn, "SELECT count(*) FROM accounts", NULL, 0, &n, &err);
    printf("rows left: %lld, update hook calls: %d\n", (long long)n, updates);

    lsql_conn_set_update_hook(conn, NULL, NULL); /* removing a hook */
    lsql_db_close(db);
    return rc == LSQL_CONSTRAINT_COMMITHOOK && n == 1 ? 0 : 1;
}
