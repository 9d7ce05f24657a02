/* exec.c -- one-shot execution (exec, query, query_one, query_value) over the
 * statement cache, and the streaming rows handle. */
#include "internal.h"
#include "../local/local_ctl.h"

#include <string.h>

/* The hot statement (the last one a one-shot call released) when it is for
 * exactly this SQL: no hashing, no list work. Only for calls that read no
 * column metadata before their first step (SQLite re-prepares a statement it
 * expired at that step anyway). */
static inline lsql_stmt *take_hot(lsql_conn *c, const char *sql)
{
    lsql_stmt *st = c->cache.hot;
    if (!st || st->epoch != c->schema_epoch || strnlen(sql, st->keylen + 1) != st->keylen ||
        memcmp(st->key, sql, st->keylen))
        return NULL;
    c->cache.hot = NULL;
    c->cache.size--;
    c->cache.hits++;
    st->origin = ST_ORIGIN_INTERNAL;
    return st;
}

/* Gives back a one-shot statement: straight into the empty hot slot when it
 * can, else through the cache. */
static inline void release_oneshot(lsql_stmt *st)
{
    lsql_conn *c = st->conn;
    lsql_stmt_cache *k = &c->cache;
    if (LSQL_LIKELY(!k->hot && st->cacheable && k->size < k->capacity)) {
        lsql__live_unlink(c, st);
        if (LSQL_LIKELY(c->be == &lsql__local_backend))
            local__reset(st);
        else
            c->be->reset(st);
        st->stale_binds = true; /* the next one-shot call rebinds them all */
        k->hot = st;
        k->size++;
        return;
    }
    lsql__stmt_release(st);
}

/* Takes a cached statement for a one-shot call, binds the parameters. With
 * `hot`, the hot statement may serve (see take_hot). */
LSQL_HOT("3")
static int oneshot(lsql_conn *c, const char *sql, const lsql_param *params,
                   size_t nparams, int lifetime, bool hot, lsql_stmt **out,
                   lsql_error *err)
{
    if (LSQL_UNLIKELY(!lsql__conn_valid(c)))
        return lsql__fail(err, LSQL_MISUSE_HANDLE, "invalid connection handle");
    if (LSQL_UNLIKELY(!sql))
        return lsql__conn_fail(c, err, LSQL_INVALID_ARG, "sql is NULL");
    lsql_stmt *st = hot ? take_hot(c, sql) : NULL;
    int rc;
    if (LSQL_UNLIKELY(!st)) { /* lsql_exec: mostly the hot statement */
        rc = lsql__stmt_acquire(c, sql, strlen(sql), true, ST_ORIGIN_INTERNAL, 0, &st, NULL,
                                err);
        if (LSQL_UNLIKELY(rc))
            return rc;
    }
    if (LSQL_UNLIKELY(st->has_tail)) {
        release_oneshot(st);
        return lsql__conn_fail(c, err, LSQL_INVALID_SQL,
                               "SQL holds more than one statement; run them one by one "
                               "or as a script batch");
    }
    if (nparams || st->nparams) {
        rc = lsql__bind_params(st, params, nparams, lifetime);
        if (LSQL_UNLIKELY(rc)) {
            release_oneshot(st);
            return lsql__conn_err(c, err);
        }
    }
    *out = st;
    return LSQL_OK;
}

LSQL_HOT("3")
LSQL_API int lsql_exec(lsql_conn *c, const char *sql, const lsql_param *params,
                       size_t nparams, int64_t *changes, lsql_error *err)
{
    lsql_stmt *st = NULL;
    int rc = oneshot(c, sql, params, nparams, LSQL_STATIC, true, &st, err);
    if (LSQL_UNLIKELY(rc))
        return rc;
    rc = lsql__run_to_done(st, changes, err);
    release_oneshot(st);
    return rc;
}

/* ---- rows --------------------------------------------------------------- */

void lsql__rows_open(lsql_stmt *st)
{
    st->rows.magic = LSQL_MAGIC_ROWS;
    st->rows.state = ROWS_FRESH;
    st->rows.last = 0;
    st->rows.st = st;
    st->busy = true;
    st->has_rows = true;
    st->on_row = false;
}

LSQL_API int lsql_query(lsql_conn *c, const char *sql, const lsql_param *params,
                        size_t nparams, lsql_rows **out, lsql_error *err)
{
    if (out)
        *out = NULL;
    if (LSQL_UNLIKELY(!out))
        return lsql__conn_valid(c) ? lsql__conn_fail(c, err, LSQL_INVALID_ARG, "out is NULL")
                                   : lsql__fail(err, LSQL_MISUSE_HANDLE, "invalid connection handle");
    lsql_stmt *st = NULL;
    int rc = oneshot(c, sql, params, nparams, LSQL_COPY, false, &st, err);
    if (LSQL_UNLIKELY(rc))
        return rc;
    lsql__rows_open(st);
    *out = &st->rows;
    lsql__conn_ok(c, err);
    return LSQL_OK;
}

static inline bool rows_valid(const lsql_rows *r)
{
    return r && r->magic == LSQL_MAGIC_ROWS;
}

LSQL_API int lsql_rows_next(lsql_rows *r, lsql_error *err)
{
    if (LSQL_UNLIKELY(!rows_valid(r)))
        return lsql__fail(err, LSQL_MISUSE_HANDLE, "invalid rows handle");
    lsql_stmt *st = r->st;
    lsql_conn *c = st->conn;
    if (LSQL_UNLIKELY(r->state == ROWS_ENDED)) {
        if (r->last == LSQL_DONE) {
            lsql__err_ok(err);
            return LSQL_DONE;
        }
        /* the error that ended the rows, again (message as last recorded);
         * once other calls replaced the connection's last error, or for rows
         * ended by lsql_conn_reset, a message of its own */
        if (c->last.ext_code != r->last)
            return lsql__conn_fail(c, err, r->last, "this rows handle has already ended with %s (%s)",
                                   lsql_errname(r->last), lsql_errstr(r->last));
        lsql__err_out(&c->last, err);
        if (err)
            err->ext_code = r->last, err->code = LSQL_CLASS(r->last);
        return r->last;
    }
    int rc = c->be->step(st);
    if (LSQL_LIKELY(rc == LSQL_ROW)) {
        r->state = ROWS_ON_ROW;
        st->on_row = true;
        lsql__conn_ok(c, err);
        return rc;
    }
    st->on_row = false;
    r->state = ROWS_ENDED;
    r->last = rc;
    if (rc == LSQL_DONE) {
        lsql__stmt_done(st);
        lsql__conn_ok(c, err);
        return rc;
    }
    return lsql__conn_err(c, err);
}

LSQL_API int lsql_rows_column_count(const lsql_rows *r)
{
    return rows_valid(r) ? lsql_column_count(r->st) : 0;
}

LSQL_API const char *lsql_rows_column_name(const lsql_rows *r, int col)
{
    return rows_valid(r) ? lsql_column_name(r->st, col) : NULL;
}

LSQL_API const char *lsql_rows_column_decltype(const lsql_rows *r, int col)
{
    return rows_valid(r) ? lsql_column_decltype(r->st, col) : NULL;
}

LSQL_API int lsql_rows_get(lsql_rows *r, int col, lsql_value *out)
{
    if (!rows_valid(r))
        return LSQL_MISUSE_HANDLE;
    return lsql_column_value(r->st, col, out);
}

/* The typed getters check the handle once and call the backend directly. */
#define ON_ROW(r) LSQL_LIKELY(rows_valid(r) && (r)->st->on_row)

LSQL_API int lsql_rows_type(lsql_rows *r, int col)
{
    return ON_ROW(r) ? r->st->conn->be->column_type(r->st, col) : LSQL_TYPE_NULL;
}

LSQL_API int64_t lsql_rows_int64(lsql_rows *r, int col)
{
    return ON_ROW(r) ? r->st->conn->be->column_int64(r->st, col) : 0;
}

LSQL_API double lsql_rows_double(lsql_rows *r, int col)
{
    return ON_ROW(r) ? r->st->conn->be->column_double(r->st, col) : 0.0;
}

LSQL_API const char *lsql_rows_text(lsql_rows *r, int col, size_t *len)
{
    size_t n = 0;
    const char *p = ON_ROW(r) ? r->st->conn->be->column_bytes(r->st, col, &n, true) : NULL;
    if (len)
        *len = n;
    return p;
}

LSQL_API const void *lsql_rows_blob(lsql_rows *r, int col, size_t *len)
{
    size_t n = 0;
    const void *p = ON_ROW(r) ? r->st->conn->be->column_bytes(r->st, col, &n, false) : NULL;
    if (len)
        *len = n;
    return p;
}

LSQL_API void lsql_rows_free(lsql_rows *r)
{
    if (!rows_valid(r))
        return;
    lsql_stmt *st = r->st;
    r->magic = 0;
    if (st->origin == ST_ORIGIN_INTERNAL) {
        lsql__stmt_release(st);
        return;
    }
    /* a user statement: reset it, drop the copied bindings */
    st->busy = st->has_rows = st->on_row = false;
    st->conn->be->reset(st);
}

/* ---- exactly one row ---------------------------------------------------- */

/* Runs a one-shot query that must give exactly one row: `on_row` copies the
 * first row out (it returns a code and, on failure, may set *msg); a second
 * step tells whether there is more (and nothing past it is read). */
typedef int (*row_fn)(lsql_stmt *st, void *ctx, const char **msg);

static int one_row(lsql_conn *c, const char *sql, const lsql_param *params,
                   size_t nparams, row_fn on_row, void *ctx, lsql_error *err)
{
    lsql_stmt *st = NULL;
    int rc = oneshot(c, sql, params, nparams, LSQL_STATIC, true, &st, err);
    if (rc)
        return rc;
    const char *msg = NULL;
    rc = c->be->step(st);
    if (rc == LSQL_DONE) {
        rc = lsql__conn_fail(c, err, LSQL_NO_ROWS, "query returned no rows");
    } else if (rc != LSQL_ROW) {
        rc = lsql__conn_err(c, err);
    } else if ((rc = on_row(st, ctx, &msg)) != LSQL_OK) {
        rc = lsql__conn_fail(c, err, rc, msg ? "%s" : NULL, msg);
    } else {
        int rc2 = c->be->step(st);
        if (rc2 == LSQL_ROW)
            rc = lsql__conn_fail(c, err, LSQL_TOO_MANY_ROWS,
                                 "query returned more than one row");
        else if (rc2 != LSQL_DONE)
            rc = lsql__conn_err(c, err);
        else
            lsql__conn_ok(c, err);
    }
    release_oneshot(st);
    return rc;
}

static int copy_row(lsql_stmt *st, void *ctx, const char **msg)
{
    (void)msg;
    return lsql__row_from_stmt(st, (lsql_row **)ctx);
}

LSQL_API int lsql_query_one(lsql_conn *c, const char *sql,
                            const lsql_param *params, size_t nparams,
                            lsql_row **out, lsql_error *err)
{
    if (out)
        *out = NULL;
    if (!out)
        return lsql__conn_valid(c) ? lsql__conn_fail(c, err, LSQL_INVALID_ARG, "out is NULL")
                                   : lsql__fail(err, LSQL_MISUSE_HANDLE, "invalid connection handle");
    lsql_row *row = NULL;
    int rc = one_row(c, sql, params, nparams, copy_row, &row, err);
    if (rc) {
        lsql_row_free(row);
        return rc;
    }
    *out = row;
    return LSQL_OK;
}

typedef struct {
    lsql_value *out;
    bool want_int;
} value_ctx;

static int copy_value(lsql_stmt *st, void *ctx, const char **msg)
{
    value_ctx *vc = ctx;
    const lsql_backend *be = st->conn->be;
    if (be->column_count(st) != 1) {
        *msg = "query must return exactly one column";
        return LSQL_MISMATCH;
    }
    lsql_value v;
    int rc = lsql__column_value(st, 0, &v);
    if (rc)
        return rc;
    if (vc->want_int && v.type != LSQL_TYPE_INTEGER) {
        *msg = v.type == LSQL_TYPE_NULL ? "query returned NULL where an INTEGER was expected"
                                        : "query returned a non-INTEGER value";
        return LSQL_MISMATCH;
    }
    if (v.type == LSQL_TYPE_TEXT || v.type == LSQL_TYPE_BLOB) {
        char *copy = lsql__malloc(v.u.bytes.n + 1);
        if (!copy)
            return LSQL_NOMEM;
        if (v.u.bytes.n)
            memcpy(copy, v.u.bytes.p, v.u.bytes.n);
        copy[v.u.bytes.n] = 0;
        v.u.bytes.p = copy;
    }
    *vc->out = v;
    return LSQL_OK;
}

static int query_value(lsql_conn *c, const char *sql, const lsql_param *params,
                       size_t nparams, lsql_value *out, bool want_int,
                       lsql_error *err)
{
    lsql_value v = lsql_null();
    value_ctx vc = {&v, want_int};
    int rc = one_row(c, sql, params, nparams, copy_value, &vc, err);
    if (rc) {
        lsql_value_release(&v);
        return rc;
    }
    *out = v;
    return LSQL_OK;
}

LSQL_API int lsql_query_value(lsql_conn *c, const char *sql,
                              const lsql_param *params, size_t nparams,
                              lsql_value *out, lsql_error *err)
{
    if (!out)
        return lsql__conn_valid(c) ? lsql__conn_fail(c, err, LSQL_INVALID_ARG, "out is NULL")
                                   : lsql__fail(err, LSQL_MISUSE_HANDLE, "invalid connection handle");
    *out = lsql_null();
    return query_value(c, sql, params, nparams, out, false, err);
}

LSQL_API int lsql_query_int64(lsql_conn *c, const char *sql,
                              const lsql_param *params, size_t nparams,
                              int64_t *out, lsql_error *err)
{
    if (!out)
        return lsql__conn_valid(c) ? lsql__conn_fail(c, err, LSQL_INVALID_ARG, "out is NULL")
                                   : lsql__fail(err, LSQL_MISUSE_HANDLE, "invalid connection handle");
    lsql_value v;
    int rc = query_value(c, sql, params, nparams, &v, true, err);
    if (rc == LSQL_OK)
        *out = v.u.i;
    return rc;
}
