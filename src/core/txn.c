/* txn.c -- transactions: lsql_begin with its behaviours (READ_ONLY enforced
 * through PRAGMA query_only), commit / rollback that report every failure,
 * handle lifetime, and the retryable rule for errors inside a transaction.
 *
 * Built over ordinary statements (run through the statement cache), so it
 * works for every backend that answers META_AUTOCOMMIT / META_TXN_STATE. */
#include "txn_int.h"

#include <stdio.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------- */

int lsql__txn_exec(lsql_conn *c, const char *sql, lsql_error *err)
{
    return lsql_exec(c, sql, NULL, 0, NULL, err);
}

int lsql__txn_exec_uncached(lsql_conn *c, const char *sql, lsql_error *err)
{
    lsql_stmt *st = NULL;
    int rc = lsql__stmt_acquire(c, sql, strlen(sql), true, ST_ORIGIN_USER, 0, &st, NULL, err);
    if (rc)
        return rc;
    rc = lsql__run_to_done(st, NULL, err);
    lsql__live_unlink(c, st);
    lsql__stmt_destroy(st);
    return rc;
}

bool lsql__autocommit(lsql_conn *c)
{
    int64_t v = 1;
    if (c->be->meta(c, META_AUTOCOMMIT, &v) != LSQL_OK)
        return true;
    return v != 0;
}

void lsql__conn_err_wrap(lsql_conn *c, const char *prefix, const char *suffix)
{
    char msg[LSQL_ERRMSG_MAX];
    memcpy(msg, c->last.message, sizeof msg);
    msg[sizeof msg - 1] = 0;
    /* prefix + message + suffix, truncated to the buffer */
    const char *parts[3] = {prefix ? prefix : "", msg, suffix ? suffix : ""};
    char *out = c->last.message;
    size_t cap = sizeof c->last.message - 1, n = 0;
    for (int i = 0; i < 3; i++) {
        size_t l = strlen(parts[i]);
        if (l > cap - n)
            l = cap - n;
        memcpy(out + n, parts[i], l);
        n += l;
    }
    out[n] = 0;
}

static const char *state_text(int st)
{
    switch (st) {
    case TXN_COMMITTED:
        return "been committed";
    case TXN_ROLLED_BACK:
        return "been rolled back";
    case TXN_ENDED:
        return "ended behind its handle (a COMMIT or ROLLBACK statement, or an automatic "
               "rollback by SQLite)";
    case TXN_RESET:
        return "been rolled back by lsql_conn_reset";
    default:
        return "ended";
    }
}

/* ---- query_only for READ_ONLY -------------------------------------------- */

int lsql__txn_after_end(lsql_conn *c, lsql_error *err)
{
    c->txn_read_only = false;
    if (!c->txn_restore_qo) {
        lsql__err_ok(err);
        return LSQL_OK;
    }
    int rc = lsql__txn_exec(c, "PRAGMA query_only=OFF", err);
    if (rc != LSQL_OK) /* once more (a transient failure); else retried at the next begin */
        rc = lsql__txn_exec(c, "PRAGMA query_only=OFF", err);
    if (rc == LSQL_OK)
        c->txn_restore_qo = false;
    return rc;
}

/* Runs the end-of-transaction work without disturbing the connection's last
 * error (a failed restore stays pending and is retried at the next begin). */
static void after_end_quiet(lsql_conn *c)
{
    if (!c->txn_read_only && !c->txn_restore_qo)
        return;
    lsql_error keep = c->last;
    lsql__txn_after_end(c, NULL);
    c->last = keep;
}

static const char *const k_begin_sql[] = {"BEGIN DEFERRED", "BEGIN IMMEDIATE", "BEGIN EXCLUSIVE",
                                          "BEGIN DEFERRED"};

int lsql__txn_begin_raw(lsql_conn *c, int behavior, lsql_error *err)
{
    int rc;
    if (behavior == LSQL_BEGIN_DEFERRED)
        behavior = c->deferred_as; /* DEFERRED unless set otherwise */
    /* a READ_ONLY transaction that ended behind lsql's back, or a restore
     * that failed earlier */
    if ((c->txn_read_only || c->txn_restore_qo) && (rc = lsql__txn_after_end(c, err)))
        return rc;
    if (behavior == LSQL_BEGIN_READ_ONLY) {
        int64_t qo = 0;
        if ((rc = lsql_query_int64(c, "PRAGMA query_only", NULL, 0, &qo, err)))
            return rc;
        c->txn_read_only = true;
        if (!qo) {
            /* set first: a PRAGMA that fails (NOMEM) may still have taken
             * effect, and must then be undone */
            c->txn_restore_qo = true;
            if ((rc = lsql__txn_exec(c, "PRAGMA query_only=ON", err))) {
                after_end_quiet(c);
                return lsql__conn_err(c, err);
            }
        }
    }
    rc = lsql__txn_exec(c, k_begin_sql[behavior], err);
    if (rc) {
        /* a BEGIN that reports a failure must not leave a transaction open */
        if (!lsql__autocommit(c)) {
            lsql_error keep = c->last;
            lsql__txn_exec(c, "ROLLBACK", NULL);
            c->last = keep;
        }
        after_end_quiet(c);
        return lsql__conn_err(c, err);
    }
    return LSQL_OK;
}

/* ---- handles --------------------------------------------------------------- */

static void sp_clear(lsql_txn *t)
{
    for (size_t i = 0; i < t->nsp; i++)
        lsql__free(t->sp[i]);
    lsql__free(t->sp);
    t->sp = NULL;
    t->nsp = t->capsp = 0;
}

void lsql__txn_finish(lsql_txn *t, int st)
{
    t->state = st;
    sp_clear(t);
    if (t->conn->txn == t)
        t->conn->txn = NULL;
}

static void txn_unlink(lsql_txn *t)
{
    lsql_conn *c = t->conn;
    if (t->prev)
        t->prev->next = t->next;
    else if (c->txns == t)
        c->txns = t->next;
    if (t->next)
        t->next->prev = t->prev;
    t->prev = t->next = NULL;
}

static void txn_free_mem(lsql_txn *t)
{
    sp_clear(t);
    t->magic = LSQL_MAGIC_DEAD;
    lsql__free(t);
}

void lsql__txn_conn_destroy(lsql_conn *c)
{
    lsql__cursors_destroy(c);
    while (c->txns) {
        lsql_txn *t = c->txns;
        c->txns = t->next;
        txn_free_mem(t);
    }
    c->txn = NULL;
}

int lsql__txn_check(lsql_conn *c, lsql_txn *t, const char *fn, lsql_error *err)
{
    if (!lsql__conn_valid(c))
        return lsql__fail(err, LSQL_MISUSE_HANDLE, "%s: invalid connection handle", fn);
    if (!lsql__txn_valid(t))
        return lsql__conn_fail(c, err, LSQL_MISUSE_HANDLE, "%s: invalid transaction handle", fn);
    if (t->conn != c)
        return lsql__conn_fail(c, err, LSQL_MISUSE_CONN,
                               "%s: the transaction belongs to another connection", fn);
    if (t->state != TXN_ACTIVE)
        return lsql__conn_fail(c, err, LSQL_TXN_DONE, "%s: the transaction has already %s", fn,
                               state_text(t->state));
    if (lsql__autocommit(c)) {
        lsql__txn_finish(t, TXN_ENDED);
        lsql__txn_after_end(c, NULL);
        return lsql__conn_fail(c, err, LSQL_TXN_ENDED,
                               "%s: the transaction was ended behind its handle (a COMMIT or "
                               "ROLLBACK statement, or SQLite rolled it back after an error); "
                               "nothing was run",
                               fn);
    }
    return LSQL_OK;
}

/* ---- public ------------------------------------------------------------------ */

LSQL_API int lsql_conn_set_deferred_begin(lsql_conn *c, int behavior)
{
    if (!lsql__conn_valid(c))
        return LSQL_MISUSE_HANDLE;
    if (behavior != LSQL_BEGIN_DEFERRED && behavior != LSQL_BEGIN_IMMEDIATE &&
        behavior != LSQL_BEGIN_EXCLUSIVE)
        return LSQL_INVALID_ARG;
    c->deferred_as = behavior;
    return LSQL_OK;
}

LSQL_API int lsql_begin(lsql_conn *c, int behavior, lsql_txn **out, lsql_error *err)
{
    if (out)
        *out = NULL;
    if (!lsql__conn_valid(c))
        return lsql__fail(err, LSQL_MISUSE_HANDLE, "lsql_begin: invalid connection handle");
    if (!out)
        return lsql__conn_fail(c, err, LSQL_INVALID_ARG, "lsql_begin: out is NULL");
    if (behavior < LSQL_BEGIN_DEFERRED || behavior > LSQL_BEGIN_READ_ONLY)
        return lsql__conn_fail(c, err, LSQL_INVALID_ARG,
                               "lsql_begin: unknown behavior %d (use LSQL_BEGIN_*)", behavior);
    bool ac = lsql__autocommit(c);
    if (c->txn) {
        if (!ac)
            return lsql__conn_fail(c, err, LSQL_TXN_ACTIVE,
                                   "lsql_begin: a transaction is already open on this "
                                   "connection; commit or roll it back first");
        lsql__txn_finish(c->txn, TXN_ENDED); /* it ended behind its back */
    }
    if (!ac)
        return lsql__conn_fail(c, err, LSQL_TXN_ACTIVE,
                               "lsql_begin: a transaction is already open on this connection "
                               "(begun by a BEGIN statement)");
    lsql_txn *t = lsql__calloc(1, sizeof *t);
    if (!t)
        return lsql__conn_fail(c, err, LSQL_NOMEM, "out of memory allocating a transaction");
    int rc = lsql__txn_begin_raw(c, behavior, err);
    if (rc) {
        lsql__free(t);
        return rc;
    }
    t->magic = LSQL_MAGIC_TXN;
    t->state = TXN_ACTIVE;
    t->behavior = behavior;
    t->conn = c;
    t->next = c->txns;
    if (c->txns)
        c->txns->prev = t;
    c->txns = t;
    c->txn = t;
    *out = t;
    lsql__conn_ok(c, err);
    return LSQL_OK;
}

LSQL_API int lsql_commit(lsql_conn *c, lsql_txn *t, lsql_error *err)
{
    int rc = lsql__txn_check(c, t, "lsql_commit", err);
    if (rc)
        return rc;
    rc = lsql__txn_exec(c, "COMMIT", NULL);
    if (rc == LSQL_OK) {
        lsql__txn_finish(t, TXN_COMMITTED);
        after_end_quiet(c);
        lsql__conn_ok(c, err);
        return LSQL_OK;
    }
    if (lsql__autocommit(c)) {
        lsql__txn_finish(t, TXN_ROLLED_BACK);
        after_end_quiet(c);
        lsql__conn_err_wrap(c, "commit failed: ", "; the transaction was rolled back");
    } else {
        lsql__conn_err_wrap(c, "commit failed: ",
                            (c->last.flags & LSQL_ERRF_RETRYABLE)
                                ? "; the transaction is still open: commit again or roll back"
                                : "; the transaction is still open: fix the cause and commit "
                                  "again, or roll back");
    }
    return lsql__conn_err(c, err);
}

LSQL_API int lsql_rollback(lsql_conn *c, lsql_txn *t, lsql_error *err)
{
    int rc = lsql__txn_check(c, t, "lsql_rollback", err);
    if (rc)
        return rc;
    rc = lsql__txn_exec(c, "ROLLBACK", NULL);
    if (rc == LSQL_OK || lsql__autocommit(c)) {
        lsql__txn_finish(t, TXN_ROLLED_BACK);
        after_end_quiet(c);
    }
    if (rc) {
        lsql__conn_err_wrap(c, "rollback failed: ", NULL);
        return lsql__conn_err(c, err);
    }
    lsql__conn_ok(c, err);
    return LSQL_OK;
}

LSQL_API int lsql_txn_free(lsql_txn *t)
{
    if (!t)
        return LSQL_OK;
    if (!lsql__txn_valid(t))
        return LSQL_MISUSE_HANDLE;
    lsql_conn *c = t->conn;
    int rc = LSQL_OK;
    if (t->state == TXN_ACTIVE) {
        if (!lsql__autocommit(c))
            rc = lsql__txn_exec(c, "ROLLBACK", NULL);
        lsql__txn_finish(t, rc ? TXN_ENDED : TXN_ROLLED_BACK);
        after_end_quiet(c);
    }
    txn_unlink(t);
    txn_free_mem(t);
    return rc;
}

LSQL_API int lsql_txn_active(lsql_txn *t)
{
    if (!lsql__txn_valid(t) || t->state != TXN_ACTIVE)
        return 0;
    return !lsql__autocommit(t->conn);
}

LSQL_API int lsql_txn_behavior(const lsql_txn *t)
{
    return lsql__txn_valid(t) ? t->behavior : -1;
}

LSQL_API lsql_conn *lsql_txn_conn(const lsql_txn *t)
{
    return lsql__txn_valid(t) ? t->conn : NULL;
}

/* ---- errors of statements inside a transaction ----------------------------------- */

int lsql__txn_step_error(lsql_conn *c, int code)
{
    if (code == LSQL_READONLY && c->txn_read_only) {
        char msg[LSQL_ERRMSG_MAX];
        memcpy(msg, c->last.message, sizeof msg);
        msg[sizeof msg - 1] = 0;
        int sc = c->last.sqlite_code;
        lsql__err_set(&c->last, LSQL_READONLY_TXN,
                      "cannot write inside a READ_ONLY transaction (%s)", msg);
        c->last.sqlite_code = sc;
        return LSQL_READONLY_TXN;
    }
    if (LSQL_CLASS(code) == LSQL_BUSY && (c->last.flags & LSQL_ERRF_RETRYABLE)) {
        /* Holding a read snapshot, the connection cannot take the write lock
         * until it ends its read: another writer is at work and will commit,
         * after which the snapshot is stale. Retrying the statement cannot
         * help; restarting the transaction can. */
        int64_t st = 0;
        if (c->be->meta(c, META_TXN_STATE, &st) == LSQL_OK && st == LSQL_TXN_READ) {
            c->last.flags &= ~LSQL_ERRF_RETRYABLE;
            lsql__conn_err_wrap(c, NULL,
                                " (not retryable: this connection already read in its "
                                "transaction, or has an unfinished query; roll back and run "
                                "the transaction again, or begin it IMMEDIATE)");
        }
    }
    return code;
}
