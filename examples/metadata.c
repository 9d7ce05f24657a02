/* metadata.c -- what a connection and a statement can tell about
 * themselves: last insert rowid, change counts, autocommit and transaction
 * state, and the statement classifier (lsql_stmt_info_get), which reports
 * what SQLite's compiler saw rather than guessing from the SQL text. */
#include <lsql.h>

#include <stdio.h>

static int fail(const char *what, const lsql_error *err)
{
    fprintf(stderr, "%s: %s\n", what, err->message);
    return 1;
}

static const char *kind_name(int kind)
{
    static const char *const names[] = {"OTHER",  "SELECT",      "INSERT",    "UPDATE",
                                        "DELETE", "CREATE",      "DROP",      "ALTER",
                                        "TRANSACTION", "SAVEPOINT", "PRAGMA", "ATTACH",
                                        "DETACH", "ANALYZE",     "REINDEX",   "VACUUM"};
    return kind >= 0 && kind < (int)(sizeof names / sizeof names[0]) ? names[kind] : "?";
}

static const char *txn_name(int state)
{
    return state == LSQL_TXN_NONE ? "none" : state == LSQL_TXN_READ ? "read" : "write";
}

static void show_txn(const char *when, lsql_conn *conn)
{
    int autocommit = 0, state = 0;
    lsql_is_autocommit(conn, &autocommit);
    lsql_txn_state(conn, &state);
    printf("%-26s autocommit=%d txn=%s\n", when, autocommit, txn_name(state));
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
    if (lsql_exec(conn, "CREATE TABLE items(id INTEGER PRIMARY KEY, label TEXT)", NULL, 0,
                  NULL, &err) ||
        lsql_exec(conn, "CREATE TABLE old_items(id INTEGER)", NULL, 0, NULL, &err))
        return fail("create", &err);

    /* rowid of the last INSERT, and change counts */
    int64_t rowid = 0, changes = 0, total = 0;
    lsql_exec(conn, "INSERT INTO items(label) VALUES ('a')", NULL, 0, NULL, &err);
    lsql_exec(conn, "INSERT INTO items(label) VALUES ('b')", NULL, 0, NULL, &err);
    lsql_last_insert_rowid(conn, &rowid);
    printf("last insert rowid: %lld\n", (long long)rowid);
    lsql_exec(conn, "UPDATE items SET label = upper(label)", NULL, 0, &changes, &err);
    printf("UPDATE changed %lld rows (lsql_exec's count)\n", (long long)changes);
    lsql_changes(conn, &changes);
    lsql_total_changes(conn, &total);
    printf("lsql_changes: %lld, lsql_total_changes: %lld\n", (long long)changes,
           (long long)total);

    /* transaction state */
    show_txn("outside a transaction:", conn);
    lsql_exec(conn, "BEGIN", NULL, 0, NULL, &err);
    show_txn("after BEGIN:", conn);
    int64_t n = 0;
    lsql_query_int64(conn, "SELECT count(*) FROM items", NULL, 0, &n, &err);
    show_txn("after a read:", conn);
    lsql_exec(conn, "DELETE FROM items WHERE id = 1", NULL, 0, NULL, &err);
    show_txn("after a write:", conn);
    lsql_exec(conn, "ROLLBACK", NULL, 0, NULL, &err);
    show_txn("after ROLLBACK:", conn);

    /* the statement classifier */
    const char *sqls[] = {
        "SELECT * FROM items",
        "WITH x AS (SELECT 1) SELECT * FROM x",
        "INSERT INTO items(label) VALUES ('c') RETURNING id",
        "INSERT INTO items(id, label) VALUES (1, 'A') ON CONFLICT(id) DO UPDATE SET label = 'z'",
        "UPDATE items SET label = 'x'",
        "DELETE FROM items",
        "CREATE INDEX items_label ON items(label)",
        "DROP TABLE old_items",
        "ALTER TABLE items ADD COLUMN extra TEXT",
        "BEGIN IMMEDIATE",
        "SAVEPOINT sp1",
        "PRAGMA user_version",
        "EXPLAIN QUERY PLAN SELECT * FROM items WHERE id = 1",
    };
    printf("%-12s rows ro expl cols params  SQL\n", "kind");
    for (size_t i = 0; i < sizeof sqls / sizeof sqls[0]; i++) {
        lsql_stmt *st = NULL;
        if (lsql_prepare(conn, sqls[i], -1, 0, &st, NULL, &err))
            return fail(sqls[i], &err);
        lsql_stmt_info info;
        info.struct_size = sizeof info; /* lets later versions add fields safely */
        if (lsql_stmt_info_get(st, &info) != LSQL_OK)
            return 1;
        printf("%-12s %4d %2d %4d %4d %6d  %s\n", kind_name(info.kind), info.returns_rows,
               info.readonly, info.is_explain, info.column_count, info.param_count, sqls[i]);
        lsql_finalize(st); /* prepared only: nothing above was run */
    }

    lsql_db_close(db);
    return 0;
}
