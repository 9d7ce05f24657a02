/* remote.c -- the same API against a libSQL server (sqld, Turso, lsqld):
 * open by URL with a token, prepared statements (described once, stored on
 * the server's stream), a transaction, a batch in one round trip, a
 * streaming cursor, and the errors a network adds: the HTTP status, the
 * retryable flag, and LSQL_TXN_LOST when a transaction's stream is lost.
 *
 *   example_remote URL      (or LSQL_URL; the token in LSQL_AUTH_TOKEN)
 *
 * The test run starts an lsqld on a free port and passes its URL
 * (examples/run_remote.sh). */
#include <lsql.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, const lsql_error *err)
{
    fprintf(stderr, "%s: %s (%s, HTTP status %d%s)\n", what, err->message,
            lsql_errname(err->ext_code), err->http_status,
            (err->flags & LSQL_ERRF_RETRYABLE) ? ", retryable" : "");
    return 1;
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : getenv("LSQL_URL");
    if (!url) {
        fprintf(stderr, "usage: %s URL (http://host:port, https://..., libsql://...)\n", argv[0]);
        return 2;
    }
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.mode = LSQL_MODE_REMOTE;
    o.url = url;
    o.auth_token = getenv("LSQL_AUTH_TOKEN"); /* NULL: none */
    o.request_timeout_ms = 10000;              /* one request, at most */
    o.retry_max = 2;                           /* safe automatic retries */
    lsql_db *db = NULL;
    lsql_conn *conn = NULL;
    lsql_error err;
    /* opening checks the server once: protocol version and token */
    if (lsql_db_open(&o, &db, &err))
        return fail("open", &err);
    if (lsql_db_connect(db, &conn, &err))
        return fail("connect", &err);

    if (lsql_exec(conn, "DROP TABLE IF EXISTS items", NULL, 0, NULL, &err) ||
        lsql_exec(conn, "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT UNIQUE, qty INTEGER)",
                  NULL, 0, NULL, &err))
        return fail("create", &err);

    /* a transaction held on the connection's server stream; the prepared
     * INSERT is described once, then each execution sends only its id */
    lsql_txn *txn = NULL;
    if (lsql_begin(conn, LSQL_BEGIN_IMMEDIATE, &txn, &err))
        return fail("begin", &err);
    lsql_stmt *ins = NULL;
    if (lsql_prepare(conn, "INSERT INTO items(name, qty) VALUES (?, ?)", -1, 0, &ins, NULL, &err))
        return fail("prepare", &err);
    static const char *const names[] = {"apple", "pear", "plum"};
    for (int i = 0; i < 3; i++) {
        lsql_param p[] = {{NULL, lsql_text(names[i], strlen(names[i]))},
                          {NULL, lsql_int(10 * (i + 1))}};
        if (lsql_bind_params(ins, p, 2, LSQL_COPY, &err) || lsql_step(ins, &err) != LSQL_DONE)
            return fail("insert", &err);
        lsql_reset(ins);
    }
    lsql_finalize(ins);
    int rc = lsql_commit(conn, txn, &err);
    lsql_txn_free(txn);
    if (rc == LSQL_TXN_LOST) /* the server expired the stream: nothing was committed */
        return fail("commit (transaction lost: run it again)", &err);
    if (rc)
        return fail("commit", &err);

    /* a batch: ONE request, atomic; the failing step is reported by index */
    lsql_batch *b = NULL;
    lsql_batch_new(&b);
    lsql_param p1[] = {{NULL, lsql_text("fig", 3)}};
    lsql_param p2[] = {{NULL, lsql_text("apple", 5)}}; /* duplicate: UNIQUE fails */
    lsql_batch_add(b, "INSERT INTO items(name, qty) VALUES (?, 1)", p1, 1, &err);
    lsql_batch_add(b, "INSERT INTO items(name, qty) VALUES (?, 1)", p2, 1, &err);
    lsql_batch_result *res = NULL;
    rc = lsql_batch_run(conn, b, LSQL_BATCH_ATOMIC, &res, &err);
    printf("batch: %s at step %lld, constraint %s; nothing applied\n", lsql_errname(rc),
           (long long)lsql_batch_result_failed_step(res), err.constraint_name);
    lsql_batch_result_free(res);
    lsql_batch_free(b);
    if (rc != LSQL_CONSTRAINT_UNIQUE)
        return fail("batch", &err);

    /* a cursor: rows arrive while the server is still sending */
    lsql_cursor *cur = NULL;
    if (lsql_cursor_open(conn, "SELECT name, qty FROM items ORDER BY id", NULL, 0, &cur, &err))
        return fail("cursor", &err);
    const lsql_rowset *page;
    int64_t total = 0;
    while ((rc = lsql_cursor_fetch(cur, 2, &page, &err)) == LSQL_ROW)
        for (size_t i = 0; i < lsql_rowset_count(page); i++) {
            printf("%s %lld\n", lsql_rowset_text(page, i, 0, NULL),
                   (long long)lsql_rowset_int64(page, i, 1));
            total += lsql_rowset_int64(page, i, 1);
        }
    lsql_cursor_close(cur);
    if (rc != LSQL_DONE)
        return fail("fetch", &err);
    printf("total %lld\n", (long long)total);

    /* what has no remote meaning says so */
    void *native = NULL;
    if (lsql_conn_native_handle(conn, &native) != LSQL_NOTSUP_BACKEND)
        return 1;
    lsql_db_close(db);
    return total == 60 ? 0 : 1;
}
