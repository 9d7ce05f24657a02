/* hooks.c -- hooks (update, commit, rollback, pre-update, WAL, progress) and
 * the authorizer: argument checks over the backend's ops. */
#include "control.h"

#define HOOK_SETTER(api, op, type, what)                                      \
    LSQL_API int api(lsql_conn *c, type fn, void *ctx)                         \
    {                                                                          \
        if (!lsql__conn_valid(c))                                              \
            return LSQL_MISUSE_HANDLE;                                         \
        if (!c->be->op)                                                        \
            return lsql__notsup(c, NULL, what);                                \
        int rc = c->be->op(c, fn, fn ? ctx : NULL);                            \
        if (rc == LSQL_NOTSUP_BACKEND)                                         \
            return lsql__notsup(c, NULL, what);                                \
        return rc;                                                             \
    }

HOOK_SETTER(lsql_conn_set_update_hook, set_update_hook, lsql_update_hook_fn, "update hook")
HOOK_SETTER(lsql_conn_set_commit_hook, set_commit_hook, lsql_commit_hook_fn, "commit hook")
HOOK_SETTER(lsql_conn_set_rollback_hook, set_rollback_hook, lsql_rollback_hook_fn,
            "rollback hook")
HOOK_SETTER(lsql_conn_set_preupdate_hook, set_preupdate_hook, lsql_preupdate_hook_fn,
            "pre-update hook (SQLite built without SQLITE_ENABLE_PREUPDATE_HOOK?)")
HOOK_SETTER(lsql_conn_set_wal_hook, set_wal_hook, lsql_wal_hook_fn, "WAL hook")

LSQL_API int lsql_conn_set_progress_handler(lsql_conn *c, int n_ops, lsql_progress_fn fn,
                                            void *ctx)
{
    if (!lsql__conn_valid(c))
        return LSQL_MISUSE_HANDLE;
    if (!c->be->set_progress)
        return lsql__notsup(c, NULL, "progress handler");
    return c->be->set_progress(c, n_ops, fn, fn ? ctx : NULL);
}

LSQL_API int lsql_conn_set_authorizer(lsql_conn *c, lsql_authorizer_fn fn, void *ctx)
{
    if (!lsql__conn_valid(c))
        return LSQL_MISUSE_HANDLE;
    if (!c->be->set_authorizer)
        return lsql__notsup(c, NULL, "authorizer");
    int rc = c->be->set_authorizer(c, fn, fn ? ctx : NULL);
    if (rc == LSQL_OK)
        c->schema_epoch++; /* cached statements are prepared again, under the new policy */
    return rc;
}

/* ---- pre-update values --------------------------------------------------------- */

static bool pu_valid(const lsql_preupdate *pu)
{
    return pu && pu->magic == LSQL_MAGIC_PREUP;
}

LSQL_API int lsql_preupdate_column_count(const lsql_preupdate *pu)
{
    return pu_valid(pu) ? pu->ops->count(pu) : 0;
}

LSQL_API int lsql_preupdate_depth(const lsql_preupdate *pu)
{
    return pu_valid(pu) ? pu->ops->depth(pu) : -1;
}

static int pu_value(lsql_preupdate *pu, bool is_new, int col, lsql_value *out)
{
    if (!pu_valid(pu))
        return LSQL_MISUSE_HANDLE;
    if (!out)
        return LSQL_INVALID_ARG;
    *out = lsql_null();
    return pu->ops->value(pu, is_new, col, out);
}

LSQL_API int lsql_preupdate_old(lsql_preupdate *pu, int col, lsql_value *out)
{
    return pu_value(pu, false, col, out);
}

LSQL_API int lsql_preupdate_new(lsql_preupdate *pu, int col, lsql_value *out)
{
    return pu_value(pu, true, col, out);
}

/* ---- action names -------------------------------------------------------------- */

LSQL_API const char *lsql_action_name(int action)
{
    static const char *const names[] = {
        NULL,          "CREATE_INDEX", "CREATE_TABLE",  "CREATE_TEMP_INDEX", "CREATE_TEMP_TABLE",
        "CREATE_TEMP_TRIGGER", "CREATE_TEMP_VIEW", "CREATE_TRIGGER", "CREATE_VIEW", "DELETE",
        "DROP_INDEX",  "DROP_TABLE",   "DROP_TEMP_INDEX", "DROP_TEMP_TABLE", "DROP_TEMP_TRIGGER",
        "DROP_TEMP_VIEW", "DROP_TRIGGER", "DROP_VIEW",   "INSERT",            "PRAGMA",
        "READ",        "SELECT",       "TRANSACTION",   "UPDATE",            "ATTACH",
        "DETACH",      "ALTER_TABLE",  "REINDEX",       "ANALYZE",           "CREATE_VTABLE",
        "DROP_VTABLE", "FUNCTION",     "SAVEPOINT",     "RECURSIVE"};
    if (action < 1 || action >= (int)(sizeof names / sizeof names[0]))
        return NULL;
    return names[action];
}
