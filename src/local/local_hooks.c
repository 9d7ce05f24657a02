/* local_hooks.c -- SQLite hooks of the local backend: update, commit,
 * rollback, pre-update, WAL, progress, and the user's authorizer (chained
 * after lsql's classifier, which stays the only SQLite authorizer). */

/* the pre-update hook is declared by sqlite3.h only with this macro; the
 * symbols are referenced weakly and checked at run time, so a SQLite built
 * without the hook still links (the setter then returns NOTSUP_BACKEND) */
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include "local_ctl.h"

#if defined(__GNUC__) || defined(__clang__)
#pragma weak sqlite3_preupdate_hook
#pragma weak sqlite3_preupdate_old
#pragma weak sqlite3_preupdate_new
#pragma weak sqlite3_preupdate_count
#pragma weak sqlite3_preupdate_depth
#define HAVE_PREUPDATE() (sqlite3_preupdate_hook != NULL)
#else
#define HAVE_PREUPDATE() 1
#endif

static int op_kind(int op)
{
    switch (op) {
    case SQLITE_INSERT:
        return LSQL_KIND_INSERT;
    case SQLITE_UPDATE:
        return LSQL_KIND_UPDATE;
    default:
        return LSQL_KIND_DELETE;
    }
}

/* ---- update / commit / rollback ------------------------------------------- */

static void update_tramp(void *arg, int op, const char *db, const char *table, sqlite3_int64 rowid)
{
    local_ctl *x = ((local_conn *)arg)->ctl;
    if (x->update_fn)
        x->update_fn(x->update_ctx, op_kind(op), db, table, (int64_t)rowid);
}

int local__set_update_hook(lsql_conn *c, lsql_update_hook_fn fn, void *ctx)
{
    local_conn *lc = LC(c);
    lc->ctl->update_fn = fn;
    lc->ctl->update_ctx = ctx;
    sqlite3_update_hook(lc->db, fn ? update_tramp : NULL, fn ? lc : NULL);
    return LSQL_OK;
}

static int commit_tramp(void *arg)
{
    local_ctl *x = ((local_conn *)arg)->ctl;
    return x->commit_fn ? (x->commit_fn(x->commit_ctx) != 0) : 0;
}

int local__set_commit_hook(lsql_conn *c, lsql_commit_hook_fn fn, void *ctx)
{
    local_conn *lc = LC(c);
    lc->ctl->commit_fn = fn;
    lc->ctl->commit_ctx = ctx;
    sqlite3_commit_hook(lc->db, fn ? commit_tramp : NULL, fn ? lc : NULL);
    return LSQL_OK;
}

static void rollback_tramp(void *arg)
{
    local_ctl *x = ((local_conn *)arg)->ctl;
    if (x->rollback_fn)
        x->rollback_fn(x->rollback_ctx);
}

int local__set_rollback_hook(lsql_conn *c, lsql_rollback_hook_fn fn, void *ctx)
{
    local_conn *lc = LC(c);
    lc->ctl->rollback_fn = fn;
    lc->ctl->rollback_ctx = ctx;
    sqlite3_rollback_hook(lc->db, fn ? rollback_tramp : NULL, fn ? lc : NULL);
    return LSQL_OK;
}

/* ---- WAL ------------------------------------------------------------------- */

#define WAL_AUTOCHECKPOINT 1000 /* SQLite's default, kept while a hook is set */

static int wal_tramp(void *arg, sqlite3 *db, const char *schema, int pages)
{
    local_ctl *x = ((local_conn *)arg)->ctl;
    if (x->wal_fn)
        x->wal_fn(x->wal_ctx, schema, pages);
    if (pages >= WAL_AUTOCHECKPOINT)
        sqlite3_wal_checkpoint(db, schema); /* as SQLite's default hook: best effort */
    return SQLITE_OK;
}

int local__set_wal_hook(lsql_conn *c, lsql_wal_hook_fn fn, void *ctx)
{
    local_conn *lc = LC(c);
    lc->ctl->wal_fn = fn;
    lc->ctl->wal_ctx = ctx;
    if (fn)
        sqlite3_wal_hook(lc->db, wal_tramp, lc);
    else
        sqlite3_wal_autocheckpoint(lc->db, WAL_AUTOCHECKPOINT);
    return LSQL_OK;
}

/* ---- progress ---------------------------------------------------------------- */

static int progress_tramp(void *arg)
{
    local_ctl *x = ((local_conn *)arg)->ctl;
    return x->progress_fn ? (x->progress_fn(x->progress_ctx) != 0) : 0;
}

int local__set_progress(lsql_conn *c, int n_ops, lsql_progress_fn fn, void *ctx)
{
    local_conn *lc = LC(c);
    bool on = fn && n_ops > 0;
    lc->ctl->progress_fn = on ? fn : NULL;
    lc->ctl->progress_ctx = on ? ctx : NULL;
    sqlite3_progress_handler(lc->db, on ? n_ops : 0, on ? progress_tramp : NULL, on ? lc : NULL);
    return LSQL_OK;
}

/* ---- authorizer ------------------------------------------------------------ */

int local__user_authorize(local_conn *lc, int action, const char *a1, const char *a2,
                          const char *dbname, const char *trigger)
{
    local_ctl *x = lc->ctl;
    if (!x || !x->auth_fn)
        return SQLITE_OK;
    int r = x->auth_fn(x->auth_ctx, action, a1, a2, dbname, trigger);
    if (r == LSQL_AUTHZ_OK)
        return SQLITE_OK;
    if (r == LSQL_AUTHZ_IGNORE)
        return SQLITE_IGNORE;
    return SQLITE_DENY;
}

int local__set_authorizer(lsql_conn *c, lsql_authorizer_fn fn, void *ctx)
{
    local_conn *lc = LC(c);
    lc->ctl->auth_fn = fn;
    lc->ctl->auth_ctx = fn ? ctx : NULL;
    /* Installing the same (classifier) authorizer again changes nothing but
     * expires every prepared statement, which is what SQLite does when an
     * authorizer is set: they are compiled again under the new policy. */
    sqlite3_set_authorizer(lc->db, local__authorizer, lc);
    return LSQL_OK;
}

/* ---- pre-update -------------------------------------------------------------- */

static int pu_count(const lsql_preupdate *pu)
{
    return sqlite3_preupdate_count(pu->native);
}

static int pu_depth(const lsql_preupdate *pu)
{
    return sqlite3_preupdate_depth(pu->native);
}

static int pu_value(lsql_preupdate *pu, bool is_new, int col, lsql_value *out)
{
    if (is_new ? pu->op == LSQL_KIND_DELETE : pu->op == LSQL_KIND_INSERT)
        return LSQL_MISUSE_STATE;
    if (col < 0 || col >= sqlite3_preupdate_count(pu->native))
        return LSQL_RANGE;
    sqlite3_value *v = NULL;
    int rc = is_new ? sqlite3_preupdate_new(pu->native, col, &v)
                    : sqlite3_preupdate_old(pu->native, col, &v);
    if (rc != SQLITE_OK || !v)
        return rc == SQLITE_RANGE ? LSQL_RANGE : rc == SQLITE_MISUSE ? LSQL_MISUSE_STATE
                                                                      : LSQL_NOMEM;
    return local__value_from_sqlite(v, out);
}

static const lsql__preupdate_ops k_pu_ops = {pu_count, pu_depth, pu_value};

static void preupdate_tramp(void *arg, sqlite3 *db, int op, const char *schema,
                            const char *table, sqlite3_int64 k1, sqlite3_int64 k2)
{
    local_ctl *x = ((local_conn *)arg)->ctl;
    if (!x->preupdate_fn)
        return;
    lsql_preupdate pu = {LSQL_MAGIC_PREUP, &k_pu_ops, db, op_kind(op)};
    x->preupdate_fn(x->preupdate_ctx, &pu, pu.op, schema, table, (int64_t)k1, (int64_t)k2);
    pu.magic = LSQL_MAGIC_DEAD;
}

int local__set_preupdate_hook(lsql_conn *c, lsql_preupdate_hook_fn fn, void *ctx)
{
    local_conn *lc = LC(c);
    if (!HAVE_PREUPDATE())
        return LSQL_NOTSUP_BACKEND;
    lc->ctl->preupdate_fn = fn;
    lc->ctl->preupdate_ctx = ctx;
    sqlite3_preupdate_hook(lc->db, fn ? preupdate_tramp : NULL, fn ? lc : NULL);
    return LSQL_OK;
}

void local__hooks_clear(local_conn *lc)
{
    local_ctl *x = lc->ctl;
    if (!x)
        return;
    if (x->update_fn)
        sqlite3_update_hook(lc->db, NULL, NULL);
    if (x->commit_fn)
        sqlite3_commit_hook(lc->db, NULL, NULL);
    if (x->rollback_fn)
        sqlite3_rollback_hook(lc->db, NULL, NULL);
    if (x->preupdate_fn && HAVE_PREUPDATE())
        sqlite3_preupdate_hook(lc->db, NULL, NULL);
    if (x->wal_fn)
        sqlite3_wal_hook(lc->db, NULL, NULL);
    if (x->progress_fn)
        sqlite3_progress_handler(lc->db, 0, NULL, NULL);
    x->update_fn = NULL;
    x->commit_fn = NULL;
    x->rollback_fn = NULL;
    x->preupdate_fn = NULL;
    x->wal_fn = NULL;
    x->progress_fn = NULL;
    x->auth_fn = NULL; /* the classifier stays; it no longer calls out */
}
