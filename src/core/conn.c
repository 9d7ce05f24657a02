/* conn.c -- connections: close, last error, metadata. */
#include "internal.h"
#include "txn_int.h"

#include <string.h>

int lsql__conn_fail(lsql_conn *c, lsql_error *out, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lsql__err_vset(&c->last, code, fmt, ap);
    va_end(ap);
    return lsql__err_out(&c->last, out);
}

/* Finalizes every statement, closes the backend connection, frees `c`. The
 * caller has already unlinked it from its database. */
void lsql__conn_destroy(lsql_conn *c, int *rc_out)
{
    lsql__txn_conn_destroy(c); /* transaction handles and cursors */
    while (c->live) {
        lsql_stmt *st = c->live;
        lsql__live_unlink(c, st);
        lsql__stmt_destroy(st);
    }
    lsql__cache_clear(&c->cache);
    lsql__free(c->cache.buckets);
    lsql_error e;
    lsql_error_clear(&e);
    int rc = c->be->conn_close(c, &e);
    if (rc_out)
        *rc_out = rc;
    c->magic = LSQL_MAGIC_DEAD;
    lsql__free(c);
}

LSQL_API int lsql_conn_close(lsql_conn *c)
{
    if (!c)
        return LSQL_OK;
    if (!lsql__conn_valid(c))
        return LSQL_MISUSE_HANDLE;
    lsql_db *db = c->db;
    pthread_mutex_lock(&db->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        db->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&db->mu);
    int rc = LSQL_OK;
    lsql__conn_destroy(c, &rc);
    return rc;
}

LSQL_API lsql_db *lsql_conn_db(const lsql_conn *c)
{
    return lsql__conn_valid(c) ? c->db : NULL;
}

LSQL_API int lsql_conn_errcode(const lsql_conn *c)
{
    return lsql__conn_valid(c) ? c->last.ext_code : LSQL_MISUSE_HANDLE;
}

LSQL_API const char *lsql_conn_errmsg(const lsql_conn *c)
{
    if (!lsql__conn_valid(c))
        return "invalid connection handle";
    return c->last.ext_code ? c->last.message : "";
}

LSQL_API int lsql_conn_error(const lsql_conn *c, lsql_error *out)
{
    if (!lsql__conn_valid(c))
        return LSQL_MISUSE_HANDLE;
    if (!out)
        return LSQL_INVALID_ARG;
    if (c->last.ext_code)
        *out = c->last;
    else
        lsql_error_clear(out);
    return LSQL_OK;
}

LSQL_API int lsql_conn_native_handle(lsql_conn *c, void **out)
{
    if (!lsql__conn_valid(c))
        return LSQL_MISUSE_HANDLE;
    if (!out)
        return LSQL_INVALID_ARG;
    return c->be->native(c, out);
}

static int meta(lsql_conn *c, int what, int64_t *out)
{
    if (!lsql__conn_valid(c))
        return LSQL_MISUSE_HANDLE;
    if (!out)
        return LSQL_INVALID_ARG;
    return c->be->meta(c, what, out);
}

LSQL_API int lsql_last_insert_rowid(lsql_conn *c, int64_t *out)
{
    return meta(c, META_LAST_ROWID, out);
}

LSQL_API int lsql_changes(lsql_conn *c, int64_t *out)
{
    return meta(c, META_CHANGES, out);
}

LSQL_API int lsql_total_changes(lsql_conn *c, int64_t *out)
{
    return meta(c, META_TOTAL_CHANGES, out);
}

static int meta_int(lsql_conn *c, int what, int *out)
{
    if (!out)
        return lsql__conn_valid(c) ? LSQL_INVALID_ARG : LSQL_MISUSE_HANDLE;
    int64_t v = 0;
    int rc = meta(c, what, &v);
    if (rc == LSQL_OK)
        *out = (int)v;
    return rc;
}

LSQL_API int lsql_is_autocommit(lsql_conn *c, int *out)
{
    return meta_int(c, META_AUTOCOMMIT, out);
}

LSQL_API int lsql_txn_state(lsql_conn *c, int *out)
{
    return meta_int(c, META_TXN_STATE, out);
}
