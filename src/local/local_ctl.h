/* local_ctl.h -- per-connection control state of the local backend:
 * interrupt, the interruptible busy handler, hooks, the user's authorizer
 * (local_control.c, local_hooks.c, local_func.c, local_backup.c). */
#ifndef LSQL_LOCAL_CTL_H
#define LSQL_LOCAL_CTL_H

#include "../core/control.h"
#include "local.h"

#include <stdatomic.h>
#include <time.h>

typedef struct local_ctl {
    /* interrupt: bumped by lsql_conn_interrupt from any thread; a wait in
     * the busy handler stops when it changes. mu/cv wake a sleeping wait. */
    atomic_uint gen;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* owner thread only: the generation when the outermost lsql operation
     * (prepare, step, checkpoint, backup ...) began; an interrupt after it
     * cancels that operation's waits, an earlier one does not. */
    int depth;
    unsigned op_gen;
    unsigned wait_gen; /* generation a busy wait compares with */
    struct timespec wait_start;
    uint32_t busy_ms;
    /* "PRAGMA busy_timeout" compiled by lsql_prepare (see local__busy_pragma_*) */
    bool busy_pragma;
    uint32_t pragma_ms;
    /* hooks and the user's authorizer (local_hooks.c) */
    lsql_update_hook_fn update_fn;
    void *update_ctx;
    lsql_commit_hook_fn commit_fn;
    void *commit_ctx;
    lsql_rollback_hook_fn rollback_fn;
    void *rollback_ctx;
    lsql_preupdate_hook_fn preupdate_fn;
    void *preupdate_ctx;
    lsql_wal_hook_fn wal_fn;
    void *wal_ctx;
    lsql_progress_fn progress_fn;
    void *progress_ctx;
    lsql_authorizer_fn auth_fn;
    void *auth_ctx;
} local_ctl;

/* Creates lc->ctl (before anything runs on the connection); frees it after
 * sqlite3_close. */
int local__ctl_open(local_conn *lc);
void local__ctl_close(local_conn *lc);
/* Unregisters every user hook, progress handler and the user authorizer
 * (at close, before anything else runs). */
void local__hooks_clear(local_conn *lc);
/* Installs the interruptible busy handler with a timeout of `ms`. */
void local__busy_set(local_conn *lc, uint32_t ms);

/* PRAGMA busy_timeout as SQL: SQLite would replace lsql's busy handler
 * with its own (and report 0 for lsql's). Seen by the classifier while the
 * PRAGMA compiles inside an lsql prepare or step (`arg`: its value or
 * NULL), then completed after that call: lsql's handler is put back, with
 * the new value when the PRAGMA compiled (`ok`), and a read reports lsql's
 * timeout. */
void local__busy_pragma_seen(local_conn *lc, const char *name, const char *arg);
void local__busy_pragma_done_slow(local_conn *lc, bool ok);
static inline void local__busy_pragma_done(local_conn *lc, bool ok)
{
    if (LSQL_UNLIKELY(lc->ctl->busy_pragma))
        local__busy_pragma_done_slow(lc, ok);
}

/* Brackets an operation that may wait for a lock; nested calls count. */
static inline void local__ctl_op_begin(local_ctl *x)
{
    if (LSQL_LIKELY(x->depth == 0))
        x->op_gen = atomic_load_explicit(&x->gen, memory_order_relaxed);
    x->depth++;
}
static inline void local__ctl_op_end(local_ctl *x)
{
    x->depth--;
}
static inline void local__op_begin(local_conn *lc)
{
    local__ctl_op_begin(lc->ctl);
}
static inline void local__op_end(local_conn *lc)
{
    local__ctl_op_end(lc->ctl);
}

/* ---- the explicit prepared path ---------------------------------------------
 * local.c's bind_int64/bind_double/bind_text/step/reset ops are these inline
 * functions, and the core calls them directly for a connection of this
 * backend (c->be == &lsql__local_backend): one call level and one indirect
 * call less per operation. Only the common case is inline.
 *
 * st->be_nbind: while the native statement is known to be reset (SQLite's
 * READY state: sqlite3_reset, or a bind that succeeded, since the last
 * sqlite3_step), the parameter count, else 0. A typed bind of a parameter in
 * 1..be_nbind cannot fail (SQLite's binds of integers and doubles fail only
 * for a statement that is not reset or an index out of range), so it is a
 * tail call into SQLite; any other goes through the checked path. Every
 * step and reset of an lsql statement goes through local__step /
 * local__reset, which keep it. */
_Static_assert(SQLITE_ROW == LSQL_ROW && SQLITE_DONE == LSQL_DONE && SQLITE_OK == LSQL_OK,
               "lsql step codes are SQLite's");

/* The checked binds (local.c): on success they record that the statement is
 * reset (be_nbind); on failure they fill c->last and return the lsql code. */
int local__bind_int64_checked(lsql_stmt *st, int idx, int64_t v) LSQL_NOINLINE;
int local__bind_double_checked(lsql_stmt *st, int idx, double v) LSQL_NOINLINE;
/* A failed sqlite3_bind_* (rc) of parameter idx (n: the value's size): fills
 * c->last and returns the lsql code. */
int local__bind_fail(lsql_stmt *st, int idx, int rc, size_t n) LSQL_COLD;
/* The end of a step that gave neither a row nor DONE, or compiled a PRAGMA
 * busy_timeout: completes the PRAGMA, maps an error (c->last, the
 * transaction rules) and returns the lsql code. */
int local__step_end(lsql_stmt *st, int rc) LSQL_COLD;

static inline int local__bind_int64(lsql_stmt *st, int idx, int64_t v)
{
    if (LSQL_LIKELY((unsigned)idx - 1u < (unsigned)st->be_nbind))
        return sqlite3_bind_int64(SS(st), idx, v); /* SQLITE_OK */
    return local__bind_int64_checked(st, idx, v);
}

static inline int local__bind_double(lsql_stmt *st, int idx, double v)
{
    if (LSQL_LIKELY((unsigned)idx - 1u < (unsigned)st->be_nbind))
        return sqlite3_bind_double(SS(st), idx, v); /* SQLITE_OK */
    return local__bind_double_checked(st, idx, v);
}

/* p: not NULL (the core maps a NULL empty text to ""). Text can fail even
 * on a reset statement (too big, out of memory): always checked. */
static inline int local__bind_text(lsql_stmt *st, int idx, const char *p, size_t n,
                                   int lifetime)
{
    int rc = sqlite3_bind_text64(SS(st), idx, p, n,
                                 lifetime == LSQL_STATIC ? SQLITE_STATIC : SQLITE_TRANSIENT,
                                 SQLITE_UTF8);
    return LSQL_LIKELY(rc == SQLITE_OK) ? LSQL_OK : local__bind_fail(st, idx, rc, n);
}

/* One step, inside the interrupt bracket (an interrupt from its start on
 * cancels its lock waits): LSQL_ROW / LSQL_DONE, or an error code with
 * c->last filled. */
static inline int local__step(lsql_stmt *st)
{
    local_ctl *x = LC(st->conn)->ctl;
    st->be_nbind = 0;
    local__ctl_op_begin(x);
    int rc = sqlite3_step(SS(st));
    local__ctl_op_end(x);
    if (LSQL_LIKELY(!x->busy_pragma)) {
        if (LSQL_LIKELY(rc == SQLITE_DONE))
            return LSQL_DONE;
        if (LSQL_LIKELY(rc == SQLITE_ROW))
            return LSQL_ROW;
    }
    return local__step_end(st, rc);
}

static inline void local__reset(lsql_stmt *st)
{
    sqlite3_reset(SS(st));
    st->be_nbind = st->nparams; /* reset, whatever sqlite3_reset returns */
}

/* True when operation started at generation `gen0` has been interrupted. */
static inline bool local__interrupted_since(const local_conn *lc, unsigned gen0)
{
    return atomic_load_explicit(&lc->ctl->gen, memory_order_relaxed) != gen0;
}
/* After local__op_begin of a checkpoint/backup: drops SQLite's interrupt
 * flag left by an interrupt of the idle connection. */
void local__forget_idle_interrupt(local_conn *lc);
/* Sleeps up to `ms`, waking early when the connection is interrupted after
 * generation gen0; returns true when interrupted. */
bool local__ctl_sleep(local_conn *lc, unsigned gen0, uint32_t ms);
/* For local__error: true (once) when the last SQLITE_BUSY on `db` came from
 * a busy wait that lsql_conn_interrupt cancelled on this thread. */
bool local__busy_take_cancel(sqlite3 *db);

/* The user's authorizer, chained after the classifier (local_error.c). */
int local__user_authorize(local_conn *lc, int action, const char *a1, const char *a2,
                          const char *dbname, const char *trigger);

/* sqlite3_value -> lsql_value (bytes borrowed from the value). LSQL_OK or
 * LSQL_NOMEM. */
int local__value_from_sqlite(sqlite3_value *v, lsql_value *out);

/* backend ops */
int local__interrupt(lsql_conn *c);
int local__busy_timeout(lsql_conn *c, bool set, uint32_t *ms);
int local__cacheflush(lsql_conn *c, lsql_error *e);
int local__checkpoint(lsql_conn *c, const char *schema, int mode, int *log, int *ckpt,
                      lsql_error *e);
int local__limit(lsql_conn *c, int id, int value, int *old);
int local__db_config(lsql_conn *c, int option, int value, int *out, lsql_error *e);
int local__set_update_hook(lsql_conn *c, lsql_update_hook_fn fn, void *ctx);
int local__set_commit_hook(lsql_conn *c, lsql_commit_hook_fn fn, void *ctx);
int local__set_rollback_hook(lsql_conn *c, lsql_rollback_hook_fn fn, void *ctx);
int local__set_preupdate_hook(lsql_conn *c, lsql_preupdate_hook_fn fn, void *ctx);
int local__set_wal_hook(lsql_conn *c, lsql_wal_hook_fn fn, void *ctx);
int local__set_progress(lsql_conn *c, int n_ops, lsql_progress_fn fn, void *ctx);
int local__set_authorizer(lsql_conn *c, lsql_authorizer_fn fn, void *ctx);
int local__create_function(lsql_conn *c, const char *name, int nargs, unsigned flags,
                           lsql_scalar_fn fn, lsql_scalar_fn step, lsql_final_fn final,
                           size_t state_size, void *user_data, lsql_destroy_fn destroy,
                           lsql_error *e);
int local__enable_load_extension(lsql_conn *c, int on, lsql_error *e);
int local__load_extension(lsql_conn *c, const char *path, const char *entry, lsql_error *e);
int local__backup(lsql_conn *c, const char *schema, lsql_conn *other, const char *other_schema,
                  const char *path, int dir, const lsql_backup_opts *o, lsql_error *e);

#endif
