/* transactions.c -- lsql_begin with a behaviour, commit and rollback that
 * report every failure, READ_ONLY transactions that really refuse writes,
 * the retryable rule for BUSY inside a transaction (retry the call, or
 * restart the transaction), and a handle used with the wrong connection. */
#include <lsql.h>

#include <stdio.h>
#include <stdlib.h>

static int fail(const char *what, const lsql_error *err)
{
    fprintf(stderr, "%s: %s (%s)\n", what, err->message, lsql_errname(err->ext_code));
    return 1;
}

/* Moves `amount` from one account to another in an IMMEDIATE transaction
 * (read-then-write: IMMEDIATE takes the write lock up front, so a BUSY can
 * only happen at lsql_begin, where it is retryable). */
static int transfer(lsql_conn *conn, int from, int to, int64_t amount, lsql_error *err)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        lsql_txn *txn = NULL;
        int rc = lsql_begin(conn, LSQL_BEGIN_IMMEDIATE, &txn, err);
        if (rc && (err->flags & LSQL_ERRF_RETRYABLE))
            continue; /* another writer: try again (busy_timeout already waited) */
        if (rc)
            return rc;
        lsql_param p1[] = {{":amount", lsql_int(amount)}, {":id", lsql_int(from)}};
        lsql_param p2[] = {{":amount", lsql_int(amount)}, {":id", lsql_int(to)}};
        int64_t balance = 0;
        lsql_param q[] = {{NULL, lsql_int(from)}};
        rc = lsql_query_int64(conn, "SELECT balance FROM accounts WHERE id = ?", q, 1, &balance, err);
        if (!rc && balance < amount) {
            lsql_txn_free(txn); /* rolls back */
            fprintf(stderr, "account %d: balance %lld, cannot move %lld\n", from,
                    (long long)balance, (long long)amount);
            return LSQL_OK;
        }
        if (!rc)
            rc = lsql_exec(conn, "UPDATE accounts SET balance = balance - :amount WHERE id = :id",
                           p1, 2, NULL, err);
        if (!rc)
            rc = lsql_exec(conn, "UPDATE accounts SET balance = balance + :amount WHERE id = :id",
                           p2, 2, NULL, err);
        if (!rc)
            rc = lsql_commit(conn, txn, err); /* a failed COMMIT is reported */
        int retry = rc && (err->flags & LSQL_ERRF_RETRYABLE);
        lsql_txn_free(txn); /* rolls back if still open */
        if (!retry)
            return rc;
    }
    return LSQL_BUSY;
}

int main(void)
{
    lsql_error err;
    lsql_db *db = NULL;
    lsql_conn *conn = NULL, *other = NULL;
    if (lsql_db_open_url("file::memory:?memory=shared", &db, &err) ||
        lsql_db_connect(db, &conn, &err) ||
        lsql_db_connect(db, &other, &err))
        return fail("open", &err);
    if (lsql_exec(conn, "CREATE TABLE accounts(id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)",
                  NULL, 0, NULL, &err) ||
        lsql_exec(conn, "INSERT INTO accounts VALUES (1, 100), (2, 0)", NULL, 0, NULL, &err))
        return fail("create", &err);

    /* commit */
    if (transfer(conn, 1, 2, 30, &err))
        return fail("transfer", &err);
    int64_t b1 = 0, b2 = 0;
    lsql_query_int64(conn, "SELECT balance FROM accounts WHERE id = 1", NULL, 0, &b1, &err);
    lsql_query_int64(conn, "SELECT balance FROM accounts WHERE id = 2", NULL, 0, &b2, &err);
    printf("after transfer: account 1 = %lld, account 2 = %lld\n", (long long)b1, (long long)b2);
    if (b1 != 70 || b2 != 30)
        return 1;

    /* rollback */
    lsql_txn *txn = NULL;
    if (lsql_begin(conn, LSQL_BEGIN_DEFERRED, &txn, &err))
        return fail("begin", &err);
    lsql_exec(conn, "DELETE FROM accounts", NULL, 0, NULL, &err);
    if (lsql_rollback(conn, txn, &err))
        return fail("rollback", &err);
    /* the handle is finished: a second commit is a clear error */
    int rc = lsql_commit(conn, txn, &err);
    printf("commit after rollback: %s (%s)\n", lsql_errname(rc), err.message);
    lsql_txn_free(txn);
    if (rc != LSQL_TXN_DONE)
        return 1;

    /* one transaction per connection */
    lsql_txn *t2 = NULL;
    lsql_begin(conn, LSQL_BEGIN_DEFERRED, &txn, &err);
    rc = lsql_begin(conn, LSQL_BEGIN_DEFERRED, &t2, &err);
    printf("second begin: %s\n", lsql_errname(rc));
    /* a handle belongs to its connection */
    rc = lsql_commit(other, txn, &err);
    printf("commit through another connection: %s (%s)\n", lsql_errname(rc), err.message);
    if (rc != LSQL_MISUSE_CONN)
        return 1;
    lsql_commit(conn, txn, &err);
    lsql_txn_free(txn);

    /* READ_ONLY is enforced */
    if (lsql_begin(conn, LSQL_BEGIN_READ_ONLY, &txn, &err))
        return fail("begin read-only", &err);
    rc = lsql_exec(conn, "UPDATE accounts SET balance = 0", NULL, 0, NULL, &err);
    printf("write in a READ_ONLY transaction: %s (%s)\n", lsql_errname(rc), err.message);
    if (rc != LSQL_READONLY_TXN)
        return 1;
    lsql_commit(conn, txn, &err);
    lsql_txn_free(txn);
    /* writes work again once it has ended */
    if (lsql_exec(conn, "UPDATE accounts SET balance = balance", NULL, 0, NULL, &err))
        return fail("write after read-only", &err);

    /* a deferred foreign key checked at COMMIT: the failure is reported and
     * the transaction stays open, so it can be repaired */
    lsql_exec(conn, "CREATE TABLE owners(id INTEGER PRIMARY KEY)", NULL, 0, NULL, &err);
    lsql_exec(conn, "CREATE TABLE cards(owner INTEGER REFERENCES owners(id) "
                    "DEFERRABLE INITIALLY DEFERRED)", NULL, 0, NULL, &err);
    lsql_begin(conn, LSQL_BEGIN_DEFERRED, &txn, &err);
    lsql_exec(conn, "INSERT INTO cards VALUES (7)", NULL, 0, NULL, &err);
    rc = lsql_commit(conn, txn, &err);
    printf("commit with a dangling reference: %s (%s)\n", lsql_errname(rc), err.message);
    lsql_exec(conn, "INSERT INTO owners VALUES (7)", NULL, 0, NULL, &err);
    rc = lsql_commit(conn, txn, &err);
    printf("commit after the repair: %s\n", lsql_errname(rc));
    lsql_txn_free(txn);
    if (rc != LSQL_OK)
        return 1;

    /* an unfinished transaction is rolled back by lsql_txn_free, and by
     * closing its connection */
    lsql_begin(conn, LSQL_BEGIN_DEFERRED, &txn, &err);
    lsql_exec(conn, "DELETE FROM accounts", NULL, 0, NULL, &err);
    lsql_conn_close(conn); /* rolls back, frees txn */
    int64_t n = 0;
    lsql_query_int64(other, "SELECT count(*) FROM accounts", NULL, 0, &n, &err);
    printf("accounts after closing with an open transaction: %lld\n", (long long)n);
    lsql_db_close(db);
    return n == 2 ? 0 : 1;
}
