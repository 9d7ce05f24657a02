/* control.c -- connection control: interrupt, busy timeout, ping, cache
 * flush, WAL checkpoints, limits and SQLite options, over the backend. */
#include "control.h"

int lsql__notsup(lsql_conn *c, lsql_error *err, const char *what)
{
    return lsql__conn_fail(c, err, LSQL_NOTSUP_BACKEND, "%s is not supported in this mode (%s)",
                           what, c->be->name);
}

LSQL_API int lsql_conn_interrupt(lsql_conn *c)
{
    /* Any thread: touch nothing but the backend's interrupt state (no last
     * error: the connection's owner may be writing it right now). */
    if (!lsql__conn_valid(c))
        return LSQL_MISUSE_HANDLE;
    if (!c->be->interrupt)
        return LSQL_NOTSUP_BACKEND;
    return c->be->interrupt(c);
}

LSQL_API int lsql_conn_set_busy_timeout(lsql_conn *c, uint32_t ms)
{
    if (!lsql__conn_valid(c))
        return LSQL_MISUSE_HANDLE;
    if (!c->be->busy_timeout)
        return lsql__notsup(c, NULL, "busy timeout");
    int rc = c->be->busy_timeout(c, true, &ms);
    if (rc == LSQL_OK)
        c->schema_epoch++; /* a cached "PRAGMA busy_timeout" holds the old value */
    return rc;
}

LSQL_API int lsql_conn_busy_timeout(lsql_conn *c, uint32_t *out)
{
    if (!lsql__conn_valid(c))
        return LSQL_MISUSE_HANDLE;
    if (!out)
        return LSQL_INVALID_ARG;
    if (!c->be->busy_timeout)
        return lsql__notsup(c, NULL, "busy timeout");
    return c->be->busy_timeout(c, false, out);
}

LSQL_API int lsql_conn_ping(lsql_conn *c, lsql_error *err)
{
    if (!lsql__conn_valid(c))
        return lsql__fail(err, LSQL_MISUSE_HANDLE, "invalid connection handle");
    int64_t one = 0;
    int rc = lsql_query_int64(c, "SELECT 1", NULL, 0, &one, err);
    if (rc == LSQL_OK && one != 1)
        return lsql__conn_fail(c, err, LSQL_INTERNAL, "ping: SELECT 1 returned %lld",
                               (long long)one);
    return rc;
}

LSQL_API int lsql_conn_cacheflush(lsql_conn *c, lsql_error *err)
{
    if (!lsql__conn_valid(c))
        return lsql__fail(err, LSQL_MISUSE_HANDLE, "invalid connection handle");
    if (!c->be->cacheflush)
        return lsql__notsup(c, err, "cache flush");
    int rc = c->be->cacheflush(c, &c->last);
    if (rc)
        return lsql__conn_err(c, err);
    lsql__conn_ok(c, err);
    return LSQL_OK;
}

LSQL_API int lsql_wal_checkpoint(lsql_conn *c, const char *schema, int mode,
                                 int *log_frames, int *checkpointed_frames, lsql_error *err)
{
    if (log_frames)
        *log_frames = -1;
    if (checkpointed_frames)
        *checkpointed_frames = -1;
    if (!lsql__conn_valid(c))
        return lsql__fail(err, LSQL_MISUSE_HANDLE, "invalid connection handle");
    if (mode < LSQL_CHECKPOINT_PASSIVE || mode > LSQL_CHECKPOINT_TRUNCATE)
        return lsql__conn_fail(c, err, LSQL_INVALID_ARG,
                               "checkpoint mode %d is not one of LSQL_CHECKPOINT_*", mode);
    if (schema && !*schema)
        return lsql__conn_fail(c, err, LSQL_INVALID_NAME, "schema name is empty");
    if (!c->be->checkpoint)
        return lsql__notsup(c, err, "WAL checkpoint");
    int lg = -1, ck = -1;
    int rc = c->be->checkpoint(c, schema, mode, &lg, &ck, &c->last);
    if (log_frames)
        *log_frames = lg;
    if (checkpointed_frames)
        *checkpointed_frames = ck;
    if (rc)
        return lsql__conn_err(c, err);
    lsql__conn_ok(c, err);
    return LSQL_OK;
}

LSQL_API int lsql_conn_limit(lsql_conn *c, int id, int new_value, int *old_value)
{
    if (!lsql__conn_valid(c))
        return LSQL_MISUSE_HANDLE;
    if (id < LSQL_LIMIT_LENGTH || id > LSQL_LIMIT_WORKER_THREADS)
        return lsql__conn_fail(c, NULL, LSQL_RANGE, "unknown limit id %d (use LSQL_LIMIT_*)", id);
    if (!c->be->limit)
        return lsql__notsup(c, NULL, "limits");
    int old = 0;
    int rc = c->be->limit(c, id, new_value < 0 ? -1 : new_value, &old);
    if (rc == LSQL_OK && old_value)
        *old_value = old;
    return rc;
}

LSQL_API int lsql_conn_config(lsql_conn *c, int option, int value, int *out, lsql_error *err)
{
    if (!lsql__conn_valid(c))
        return lsql__fail(err, LSQL_MISUSE_HANDLE, "invalid connection handle");
    if (option < LSQL_DBCONFIG_ENABLE_FKEY || option > LSQL_DBCONFIG_LEGACY_FILE_FORMAT)
        return lsql__conn_fail(c, err, LSQL_INVALID_ARG,
                               "unknown option %d (use LSQL_DBCONFIG_*)", option);
    if (value < -1 || value > 1)
        return lsql__conn_fail(c, err, LSQL_INVALID_ARG,
                               "option value %d: use 1 (on), 0 (off) or -1 (read)", value);
    if (!c->be->db_config)
        return lsql__notsup(c, err, "connection options");
    int now = 0;
    int rc = c->be->db_config(c, option, value, &now, &c->last);
    if (rc)
        return lsql__conn_err(c, err);
    if (out)
        *out = now;
    lsql__conn_ok(c, err);
    return LSQL_OK;
}
