/* extension.c -- loading SQLite extensions: argument checks over the
 * backend (loading is off until lsql_conn_enable_load_extension). */
#include "control.h"

LSQL_API int lsql_conn_enable_load_extension(lsql_conn *c, int on, lsql_error *err)
{
    if (!lsql__conn_valid(c))
        return lsql__fail(err, LSQL_MISUSE_HANDLE, "invalid connection handle");
    if (!c->be->enable_load_extension)
        return lsql__notsup(c, err, "extension loading");
    int rc = c->be->enable_load_extension(c, on != 0, &c->last);
    if (rc)
        return lsql__conn_err(c, err);
    lsql__conn_ok(c, err);
    return LSQL_OK;
}

LSQL_API int lsql_conn_load_extension(lsql_conn *c, const char *path, const char *entry_point,
                                      lsql_error *err)
{
    if (!lsql__conn_valid(c))
        return lsql__fail(err, LSQL_MISUSE_HANDLE, "invalid connection handle");
    if (!path || !*path)
        return lsql__conn_fail(c, err, LSQL_INVALID_ARG, "extension path is NULL or empty");
    if (entry_point && !*entry_point)
        return lsql__conn_fail(c, err, LSQL_INVALID_ARG,
                               "extension entry point is empty (pass NULL for the default)");
    if (!c->be->load_extension)
        return lsql__notsup(c, err, "extension loading");
    int rc = c->be->load_extension(c, path, entry_point, &c->last);
    if (rc)
        return lsql__conn_err(c, err);
    lsql__conn_ok(c, err);
    return LSQL_OK;
}
