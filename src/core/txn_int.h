/* txn_int.h -- private declarations of the transaction subsystem:
 * transactions and savepoints (txn.c, savepoint.c), row sets (rowset.c),
 * batches (batch.c), cursors (cursor.c) and connection reset (reset.c).
 *
 * Everything here is built in the core over the ordinary backend operations
 * (prepare / step / meta ...), so it works for every backend. Notes for the
 * remote (Hrana) backend to come:
 *  - BEGIN / COMMIT / ROLLBACK / SAVEPOINT are plain statements on the
 *    backend's stream, and META_AUTOCOMMIT / META_TXN_STATE must be answered
 *    (Hrana reports is_autocommit; the txn state can be derived from it and
 *    from whether the transaction has executed a statement);
 *  - READ_ONLY uses PRAGMA query_only, which sqld accepts on a stream;
 *  - a batch could be sent as one Hrana batch (BEGIN; steps...; COMMIT with
 *    conditions) instead of one round trip per step: batch.c keeps the
 *    step loop in one place (run_steps) so that a backend op can replace it;
 *  - a cursor maps onto Hrana's cursor/sequence requests the same way.
 *
 * The backend calls lsql__txn_step_error() on the error path of its step
 * (see there). */
#ifndef LSQL_TXN_INT_H
#define LSQL_TXN_INT_H

#include "internal.h"

#define LSQL_MAGIC_TXN 0x6c735458u    /* "lsTX" */
#define LSQL_MAGIC_BATCH 0x6c734241u  /* "lsBA" */
#define LSQL_MAGIC_BRES 0x6c734252u   /* "lsBR" */
#define LSQL_MAGIC_ROWSET 0x6c735254u /* "lsRT" */
#define LSQL_MAGIC_CURSOR 0x6c734355u /* "lsCU" */

/* ---- transactions (txn.c) ----------------------------------------------- */

enum {
    TXN_ACTIVE = 1,
    TXN_COMMITTED,
    TXN_ROLLED_BACK,
    TXN_ENDED,   /* ended behind the handle (COMMIT/ROLLBACK statement, auto-rollback) */
    TXN_RESET    /* rolled back by lsql_conn_reset */
};

struct lsql_txn {
    uint32_t magic;
    int state;    /* TXN_* */
    int behavior; /* LSQL_BEGIN_* */
    lsql_conn *conn;
    lsql_txn *prev, *next; /* in conn->txns */
    /* open savepoints, oldest first (owned copies of the names) */
    char **sp;
    size_t nsp, capsp;
};

static inline bool lsql__txn_valid(const lsql_txn *t)
{
    return t && t->magic == LSQL_MAGIC_TXN;
}

/* Runs one internal statement (BEGIN, COMMIT, PRAGMA ...) through the
 * statement cache; the error goes to c->last and `err`. */
int lsql__txn_exec(lsql_conn *c, const char *sql, lsql_error *err);
/* Runs SQL that should not stay in the statement cache (DROP of a TEMP
 * object, a savepoint with a user's name). */
int lsql__txn_exec_uncached(lsql_conn *c, const char *sql, lsql_error *err);
/* True when the connection is in autocommit mode (no transaction open);
 * also true when the backend cannot tell. */
bool lsql__autocommit(lsql_conn *c);
/* Checks the arguments of a call on an open transaction (commit, rollback,
 * savepoints): valid handles, same connection, handle still active, and
 * the transaction not ended behind the handle (then the handle is finished
 * and LSQL_TXN_ENDED returned). The error is recorded on `c`. */
int lsql__txn_check(lsql_conn *c, lsql_txn *t, const char *fn, lsql_error *err);
/* Prefixes the message of the connection's last error with `prefix` and
 * appends `suffix` (either may be NULL). */
void lsql__conn_err_wrap(lsql_conn *c, const char *prefix, const char *suffix);
/* Opens a transaction with an LSQL_BEGIN_* behaviour (BEGIN ..., and
 * query_only for READ_ONLY), without a handle. The connection must be in
 * autocommit mode. */
int lsql__txn_begin_raw(lsql_conn *c, int behavior, lsql_error *err);
/* Called once the connection's transaction has ended (whatever ended it):
 * restores query_only after a READ_ONLY transaction, clears the flags.
 * Returns the error of the restore (the flag then stays set and the restore
 * is tried again at the next begin). */
int lsql__txn_after_end(lsql_conn *c, lsql_error *err);
/* Marks a handle finished with state `st` (TXN_*), drops its savepoints,
 * detaches it from the connection. */
void lsql__txn_finish(lsql_txn *t, int st);
/* Frees every handle of a connection being destroyed (the backend's close
 * rolls back) and closes its cursors. */
void lsql__txn_conn_destroy(lsql_conn *c);
/* Called by a backend's step on failure, after c->last was filled with the
 * error `code`; returns the (possibly refined) code. Applies the retryable
 * rule of transactions (BUSY on a write of a transaction that has read is
 * not retryable) and turns a write refused by query_only in a READ_ONLY
 * transaction into LSQL_READONLY_TXN. Cold path only. */
int lsql__txn_step_error(lsql_conn *c, int code);

/* ---- row sets (rowset.c) ------------------------------------------------ */

typedef struct rs_chunk rs_chunk;

struct lsql_rowset {
    uint32_t magic;
    int ncol;
    char **cols;      /* ncol names, then ncol declared types (NULL allowed); one block */
    lsql_value *vals; /* nrows * ncol */
    size_t nrows, cap; /* cap: rows vals has room for */
    rs_chunk *chunks; /* text/blob bytes, newest chunk first */
};

/* Initialises an empty row set with the columns of `st`. LSQL_OK or
 * LSQL_NOMEM (then the row set is empty and can be finalised). */
int lsql__rowset_init(lsql_rowset *rs, lsql_stmt *st);
/* Appends a copy of the current row of `st`. LSQL_OK or LSQL_NOMEM. */
int lsql__rowset_add(lsql_rowset *rs, lsql_stmt *st);
/* Drops the rows, keeping the columns and some memory for the next rows. */
void lsql__rowset_clear(lsql_rowset *rs);
/* Frees what the row set holds (not the struct itself). */
void lsql__rowset_fini(lsql_rowset *rs);

/* Initialises an empty row set with n columns named names[i] (decltypes
 * may be NULL, and so may its entries). LSQL_OK or LSQL_NOMEM. */
int lsql__rowset_init_cols(lsql_rowset *rs, int n, const char *const *names,
                           const char *const *decltypes);
/* Appends a copy of a row of rs->ncol values. LSQL_OK or LSQL_NOMEM. */
int lsql__rowset_add_values(lsql_rowset *rs, const lsql_value *vals);

/* ---- batches (batch.c) -------------------------------------------------- */

/* A step of a statement batch, or one statement of a split script. */
struct lsql__bstep {
    const char *sql; /* not always NUL-terminated: sqllen bytes */
    size_t sqllen;
    const lsql_param *params;
    size_t nparams;
    size_t off; /* scripts: offset of the statement in the script */
};

typedef struct lsql__step_res {
    int status;
    int kind;
    int64_t changes;
    int64_t rowid;
    size_t off, len;
    lsql_rowset *rows;
    const lsql_error *err;
} lsql__step_res;

struct lsql_batch_result {
    uint32_t magic;
    int status;
    int64_t failed;
    size_t n, cap;
    lsql__step_res *steps;
    lsql_error err;      /* the error of the run */
    lsql_error step_err; /* the failing step's own error (one step fails at most) */
    lsql_error skipped;  /* shared by the steps that did not run */
    /* set by a backend's batch_run: the run failed before any step ran (the
     * batch's BEGIN or SAVEPOINT failed, or a transaction is already open
     * for a behaviour flag), so the caller gets no result, as in the local
     * loop */
    bool none;
};

/* How a batch runs (flags LSQL_BATCH_*): not atomic, in its own transaction,
 * or under a savepoint inside the caller's transaction. */
enum { LSQL__RUN_PLAIN, LSQL__RUN_BEGIN, LSQL__RUN_SAVEPOINT };

/* Appends an empty step entry; NULL when out of memory. */
lsql__step_res *lsql__batch_res_push(lsql_batch_result *r);
/* Records the failure of step i (its error in c->last). */
void lsql__batch_step_failed(lsql_batch_result *r, size_t i, lsql_conn *c);
/* Sets the result's status from rc / c->last (after a step failure or the
 * failure to undo, urc with uerr) and copies the error out. */
int lsql__batch_finish(lsql_conn *c, lsql_batch_result *r, int mode, int rc, int urc,
                       const lsql_error *uerr, lsql_error *err);

/* ---- cursors (cursor.c) ------------------------------------------------- */

/* lsql_conn_reset: finishes every cursor of the connection. */
void lsql__cursors_reset(lsql_conn *c);
/* Connection destruction: frees every cursor. */
void lsql__cursors_destroy(lsql_conn *c);

#endif
