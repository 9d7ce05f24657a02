/* stmt.c -- prepared statements: prepare, bind, step, columns, finalize. */
#include "internal.h"
#include "../local/local_ctl.h"

#include <string.h>

#if defined(__ELF__) && (defined(__GNUC__) || defined(__clang__))
/* LSQL_HOT (internal.h): part 1 starts a page, part 2 the next one, and the
 * code after them starts a page again (so it does not move with them). */
__asm__(".section .text.sorted.lsql.1,\"ax\",@progbits\n\t.balign 4096\n\t.previous\n\t"
        ".section .text.sorted.lsql.2,\"ax\",@progbits\n\t.balign 4096\n\t.previous\n\t"
        ".section .text.sorted.lsql.9,\"ax\",@progbits\n\t.balign 4096\n\t.previous");
#endif

/* ---- live list ---------------------------------------------------------- */

void lsql__live_link(lsql_conn *c, lsql_stmt *st)
{
    st->prev = NULL;
    st->next = c->live;
    if (c->live)
        c->live->prev = st;
    c->live = st;
}

LSQL_HOT("2")
void lsql__live_unlink(lsql_conn *c, lsql_stmt *st)
{
    if (st->prev)
        st->prev->next = st->next;
    else if (c->live == st)
        c->live = st->next;
    if (st->next)
        st->next->prev = st->prev;
    st->prev = st->next = NULL;
}

/* True when s[0..n) holds only whitespace, ';' and comments. */
static bool only_space(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        char ch = s[i];
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' ||
            ch == '\v' || ch == ';') {
            i++;
        } else if (ch == '-' && i + 1 < n && s[i + 1] == '-') {
            while (i < n && s[i] != '\n')
                i++;
        } else if (ch == '/' && i + 1 < n && s[i + 1] == '*') {
            i += 2;
            while (i + 1 < n && !(s[i] == '*' && s[i + 1] == '/'))
                i++;
            i = i + 1 < n ? i + 2 : n;
        } else {
            return false;
        }
    }
    return true;
}

void lsql__stmt_destroy(lsql_stmt *st)
{
    if (st->bs)
        st->conn->be->finalize(st);
    lsql__free(st->key);
    st->magic = LSQL_MAGIC_DEAD;
    st->rows.magic = LSQL_MAGIC_DEAD;
    lsql__free(st);
}

int lsql__stmt_acquire(lsql_conn *c, const char *sql, size_t n, bool nul_term,
                       int origin, unsigned flags, lsql_stmt **out,
                       const char **tail, lsql_error *out_err)
{
    bool use_cache = origin != ST_ORIGIN_USER && c->cache.capacity > 0;
    uint64_t h = 0;
    lsql_stmt *st = NULL;
    if (use_cache) {
        st = lsql__cache_take_mru(&c->cache, sql, n);
        if (!st) {
            h = lsql__hash(sql, n);
            st = lsql__cache_take(&c->cache, sql, n, h);
        }
        if (st && (st->epoch != c->schema_epoch || (c->be->expired && c->be->expired(st)))) {
            /* the schema changed under it: prepare it again, so column
             * metadata is right before the first step */
            lsql__stmt_destroy(st);
            st = NULL;
        }
        if (st) {
            if (st->stale_binds && origin != ST_ORIGIN_INTERNAL)
                c->be->clear_bindings(st);
            st->stale_binds = false;
            st->origin = origin;
            lsql__live_link(c, st);
            if (tail)
                *tail = sql + st->tail_off;
            *out = st;
            return LSQL_OK;
        }
    }
    st = lsql__calloc(1, sizeof *st);
    if (!st)
        return lsql__conn_fail(c, out_err, LSQL_NOMEM, "out of memory allocating a statement");
    st->magic = LSQL_MAGIC_STMT;
    st->conn = c;
    st->origin = origin;
    st->epoch = c->schema_epoch;
    if (origin != ST_ORIGIN_USER)
        flags |= LSQL_PREPARE_PERSISTENT;
    const char *t = NULL;
    int rc = c->be->prepare(c, sql, n, nul_term, flags, st, &t, &c->last);
    if (rc != LSQL_OK) {
        lsql__free(st);
        return lsql__conn_err(c, out_err);
    }
    if (!st->bs) {
        lsql__free(st);
        *out = NULL;
        if (tail)
            *tail = sql + n;
        if (flags & LSQL_PREPARE_ALLOW_EMPTY) {
            lsql__conn_ok(c, out_err);
            return LSQL_OK;
        }
        return lsql__conn_fail(c, out_err, LSQL_INVALID_SQL, "SQL text holds no statement");
    }
    st->nparams = c->be->param_count(st);
    st->tail_off = t ? (size_t)(t - sql) : n;
    st->has_tail = !only_space(sql + st->tail_off, n - st->tail_off);
    if (use_cache) {
        st->key = lsql__strndup(sql, n); /* NULL: simply not cached */
        st->keylen = n;
        st->hash = h;
        st->cacheable = st->key != NULL;
    }
    lsql__live_link(c, st);
    if (tail)
        *tail = sql + st->tail_off;
    *out = st;
    lsql__conn_ok(c, out_err);
    return LSQL_OK;
}

void lsql__stmt_release(lsql_stmt *st)
{
    lsql_conn *c = st->conn;
    lsql__live_unlink(c, st);
    st->busy = false;
    st->has_rows = false;
    st->on_row = false;
    st->rows.magic = 0;
    if (st->cacheable && c->cache.capacity > 0) {
        c->be->reset(st);
        /* one-shot calls rebind every parameter before stepping: their
         * statements keep the stale bindings (never read while idle) and are
         * cleared when lsql_prepare(CACHED) hands them out */
        if (st->origin == ST_ORIGIN_INTERNAL) {
            st->stale_binds = true;
            if (lsql__cache_park(&c->cache, st))
                return;
        } else {
            c->be->clear_bindings(st);
            if (lsql__cache_put(&c->cache, st))
                return;
        }
    }
    lsql__stmt_destroy(st);
}

/* ---- public: prepare / finalize ----------------------------------------- */

LSQL_API int lsql_prepare(lsql_conn *c, const char *sql, int nbytes,
                          unsigned flags, lsql_stmt **out, const char **tail,
                          lsql_error *err)
{
    if (out)
        *out = NULL;
    if (!lsql__conn_valid(c))
        return lsql__fail(err, LSQL_MISUSE_HANDLE, "invalid connection handle");
    if (!sql || !out)
        return lsql__conn_fail(c, err, LSQL_INVALID_ARG, "lsql_prepare: sql and out must not be NULL");
    size_t n = nbytes < 0 ? strlen(sql) : (size_t)nbytes;
    int origin = (flags & LSQL_PREPARE_CACHED) ? ST_ORIGIN_CACHED : ST_ORIGIN_USER;
    return lsql__stmt_acquire(c, sql, n, nbytes < 0, origin, flags, out, tail, err);
}

LSQL_API int lsql_finalize(lsql_stmt *st)
{
    if (!st)
        return LSQL_OK;
    if (!lsql__stmt_valid(st) || st->origin == ST_ORIGIN_INTERNAL)
        return LSQL_MISUSE_HANDLE;
    if (st->origin == ST_ORIGIN_CACHED) {
        lsql__stmt_release(st);
    } else {
        lsql__live_unlink(st->conn, st);
        lsql__stmt_destroy(st);
    }
    return LSQL_OK;
}

/* ---- binding ------------------------------------------------------------ */

/* Why a bind is refused (out of the typed binds' way). */
LSQL_COLD static int bind_refused(lsql_stmt *st)
{
    if (!lsql__stmt_valid(st))
        return LSQL_MISUSE_HANDLE;
    return lsql__conn_fail(st->conn, NULL, LSQL_MISUSE_STATE,
                           "statement has an open rows handle; free it before binding");
}

LSQL_COLD static int bind_null_ptr(lsql_stmt *st, const char *msg)
{
    return lsql__stmt_valid(st) ? lsql__conn_fail(st->conn, NULL, LSQL_INVALID_ARG, "%s", msg)
                                : LSQL_MISUSE_HANDLE;
}

static int bind_check(lsql_stmt *st)
{
    if (LSQL_UNLIKELY(!lsql__stmt_valid(st)))
        return LSQL_MISUSE_HANDLE;
    if (LSQL_UNLIKELY(st->busy))
        return lsql__conn_fail(st->conn, NULL, LSQL_MISUSE_STATE,
                               "statement has an open rows handle; free it before binding");
    return LSQL_OK;
}

static int bind_one(lsql_stmt *st, int idx, const lsql_value *v, int lifetime)
{
    int rc = bind_check(st);
    if (LSQL_UNLIKELY(rc))
        return rc;
    rc = st->conn->be->bind(st, idx, v, lifetime);
    if (LSQL_LIKELY(rc == LSQL_OK))
        st->conn->last.ext_code = st->conn->last.code = 0;
    return rc;
}

LSQL_API int lsql_bind_null(lsql_stmt *st, int idx)
{
    lsql_value v = lsql_null();
    return bind_one(st, idx, &v, LSQL_STATIC);
}

/* Typed binds: one check, the connection's error state cleared first (a
 * failing bind sets it again), then the backend's typed entry, which returns
 * the lsql code: the local one inline (local_ctl.h), any other through the
 * backend table (a tail call). When the check fails, bind_refused says
 * why (invalid handle, or a statement with an open rows handle). */
#define BIND_FAST_OK(st) LSQL_LIKELY(lsql__stmt_valid(st) && !(st)->busy)

static inline const lsql_backend *bind_begin(lsql_stmt *st)
{
    lsql_conn *c = st->conn;
    c->last.ext_code = c->last.code = 0;
    return c->be;
}

LSQL_HOT("1")
LSQL_API int lsql_bind_int64(lsql_stmt *st, int idx, int64_t x)
{
    if (!BIND_FAST_OK(st))
        return bind_refused(st);
    const lsql_backend *be = bind_begin(st);
    if (LSQL_LIKELY(be == &lsql__local_backend))
        return local__bind_int64(st, idx, x);
    return be->bind_int64(st, idx, x);
}

LSQL_HOT("1")
LSQL_API int lsql_bind_double(lsql_stmt *st, int idx, double x)
{
    if (!BIND_FAST_OK(st))
        return bind_refused(st);
    const lsql_backend *be = bind_begin(st);
    if (LSQL_LIKELY(be == &lsql__local_backend))
        return local__bind_double(st, idx, x);
    return be->bind_double(st, idx, x);
}

/* lsql_bind_text when the pointer is NULL or the check fails, in the
 * original order of the checks. */
LSQL_COLD static int bind_text_slow(lsql_stmt *st, int idx, const char *p, size_t n, int lifetime)
{
    if (!p && n)
        return bind_null_ptr(st, "text pointer is NULL");
    if (!BIND_FAST_OK(st))
        return bind_refused(st);
    return bind_begin(st)->bind_text(st, idx, p, n, lifetime);
}

LSQL_HOT("1")
LSQL_API int lsql_bind_text(lsql_stmt *st, int idx, const char *p, size_t n,
                            int lifetime)
{
    if (!BIND_FAST_OK(st) || LSQL_UNLIKELY(!p))
        return bind_text_slow(st, idx, p, n, lifetime);
    const lsql_backend *be = bind_begin(st);
    if (LSQL_LIKELY(be == &lsql__local_backend))
        return local__bind_text(st, idx, p, n, lifetime);
    return be->bind_text(st, idx, p, n, lifetime);
}

LSQL_API int lsql_bind_blob(lsql_stmt *st, int idx, const void *p, size_t n,
                            int lifetime)
{
    if (!p && n)
        return bind_null_ptr(st, "blob pointer is NULL");
    lsql_value v = lsql_blob(p, n);
    return bind_one(st, idx, &v, lifetime);
}

LSQL_API int lsql_bind_value(lsql_stmt *st, int idx, const lsql_value *v,
                             int lifetime)
{
    if (!lsql__stmt_valid(st))
        return LSQL_MISUSE_HANDLE;
    if (!v)
        return lsql__conn_fail(st->conn, NULL, LSQL_INVALID_ARG, "value is NULL");
    int rc = lsql__value_check(v);
    if (rc)
        return lsql__conn_fail(st->conn, NULL, rc, "parameter %d: invalid value (type tag %d)",
                               idx, v->type);
    return bind_one(st, idx, v, lifetime);
}

LSQL_API int lsql_bind_named(lsql_stmt *st, const char *name,
                             const lsql_value *v, int lifetime)
{
    if (!lsql__stmt_valid(st))
        return LSQL_MISUSE_HANDLE;
    if (!name)
        return lsql__conn_fail(st->conn, NULL, LSQL_INVALID_ARG, "parameter name is NULL");
    int idx = lsql__find_param(st, name);
    if (idx <= 0)
        return lsql__conn_fail(st->conn, NULL, LSQL_PARAM_UNKNOWN,
                               "no parameter named '%s' in the statement", name);
    return lsql_bind_value(st, idx, v, lifetime);
}

LSQL_API int lsql_bind_params(lsql_stmt *st, const lsql_param *params,
                              size_t nparams, int lifetime, lsql_error *err)
{
    if (!lsql__stmt_valid(st))
        return lsql__fail(err, LSQL_MISUSE_HANDLE, "invalid statement handle");
    int rc = bind_check(st);
    if (rc)
        return lsql__conn_err(st->conn, err);
    st->conn->be->clear_bindings(st);
    rc = lsql__bind_params(st, params, nparams, lifetime);
    if (rc)
        return lsql__conn_err(st->conn, err);
    lsql__conn_ok(st->conn, err);
    return LSQL_OK;
}

/* ---- stepping ----------------------------------------------------------- */

/* Why lsql_step / lsql_reset refuse a statement. */
LSQL_COLD static int step_refused(lsql_stmt *st, lsql_error *err)
{
    if (!lsql__stmt_valid(st))
        return lsql__fail(err, LSQL_MISUSE_HANDLE, "invalid statement handle");
    return lsql__conn_fail(st->conn, err, LSQL_MISUSE_STATE,
                           "statement is being read through a rows handle");
}

LSQL_COLD static int step_failed(lsql_stmt *st, lsql_error *err)
{
    st->on_row = false;
    return lsql__conn_err(st->conn, err);
}

/* What a step that gave rc means for the statement (any backend). */
static inline int step_result(lsql_stmt *st, int rc, lsql_error *err)
{
    if (LSQL_LIKELY(rc == LSQL_DONE)) {
        st->on_row = false;
        lsql__stmt_done(st);
        return rc;
    }
    if (LSQL_LIKELY(rc == LSQL_ROW)) {
        st->on_row = true;
        return rc;
    }
    return step_failed(st, err);
}

/* lsql_step through the backend table (a backend other than the local one,
 * whose step is inline below). */
LSQL_NOINLINE static int step_other(lsql_stmt *st, lsql_error *err)
{
    lsql_conn *c = st->conn;
    int rc = c->be->step(st);
    if (rc == LSQL_ROW || rc == LSQL_DONE)
        lsql__conn_ok(c, err);
    return step_result(st, rc, err);
}

LSQL_HOT("1")
LSQL_API int lsql_step(lsql_stmt *st, lsql_error *err)
{
    if (LSQL_UNLIKELY(!lsql__stmt_valid(st) || st->has_rows))
        return step_refused(st, err);
    lsql_conn *c = st->conn;
    if (LSQL_UNLIKELY(c->be != &lsql__local_backend))
        return step_other(st, err);
    /* the error state is cleared first: a failing step sets it again */
    c->last.ext_code = c->last.code = 0;
    lsql__err_ok(err);
    return step_result(st, local__step(st), err);
}

LSQL_HOT("1")
LSQL_API int lsql_reset(lsql_stmt *st)
{
    if (LSQL_UNLIKELY(!lsql__stmt_valid(st) || st->has_rows))
        return step_refused(st, NULL);
    st->on_row = false;
    lsql_conn *c = st->conn;
    if (LSQL_LIKELY(c->be == &lsql__local_backend))
        local__reset(st);
    else
        c->be->reset(st);
    return LSQL_OK;
}

LSQL_API int lsql_clear_bindings(lsql_stmt *st)
{
    int rc = bind_check(st);
    if (rc)
        return rc;
    st->conn->be->clear_bindings(st);
    return LSQL_OK;
}

LSQL_HOT("2")
int lsql__run_to_done(lsql_stmt *st, int64_t *changes, lsql_error *out)
{
    lsql_conn *c = st->conn;
    int rc;
    if (LSQL_LIKELY(c->be == &lsql__local_backend)) {
        while ((rc = local__step(st)) == LSQL_ROW)
            ;
    } else {
        while ((rc = c->be->step(st)) == LSQL_ROW)
            ;
    }
    if (LSQL_UNLIKELY(rc != LSQL_DONE))
        return lsql__conn_err(c, out);
    lsql__stmt_done(st);
    if (changes) {
        *changes = 0;
        if (st->kind == LSQL_KIND_INSERT || st->kind == LSQL_KIND_UPDATE ||
            st->kind == LSQL_KIND_DELETE)
            c->be->meta(c, META_CHANGES, changes);
    }
    lsql__conn_ok(c, out);
    return LSQL_OK;
}

/* Checks shared by exec_stmt/query_stmt. */
static int own_check(lsql_conn *c, lsql_stmt *st, lsql_error *err)
{
    if (!lsql__conn_valid(c))
        return lsql__fail(err, LSQL_MISUSE_HANDLE, "invalid connection handle");
    if (!lsql__stmt_valid(st) || st->origin == ST_ORIGIN_INTERNAL)
        return lsql__conn_fail(c, err, LSQL_MISUSE_HANDLE, "invalid statement handle");
    if (st->conn != c)
        return lsql__conn_fail(c, err, LSQL_MISUSE_CONN,
                               "statement belongs to another connection");
    if (st->busy)
        return lsql__conn_fail(c, err, LSQL_MISUSE_STATE,
                               "statement has an open rows handle");
    return LSQL_OK;
}

static int rebind(lsql_stmt *st, const lsql_param *p, size_t n, int lifetime,
                  lsql_error *err)
{
    lsql_conn *c = st->conn;
    st->on_row = false;
    c->be->reset(st);
    if (!p && n == 0)
        return LSQL_OK; /* keep the bindings made with lsql_bind_* */
    c->be->clear_bindings(st);
    if (lsql__bind_params(st, p, n, lifetime)) {
        c->be->clear_bindings(st);
        return lsql__conn_err(c, err);
    }
    return LSQL_OK;
}

LSQL_API int lsql_exec_stmt(lsql_conn *c, lsql_stmt *st,
                            const lsql_param *params, size_t nparams,
                            int64_t *changes, lsql_error *err)
{
    int rc = own_check(c, st, err);
    if (rc)
        return rc;
    if ((rc = rebind(st, params, nparams, LSQL_STATIC, err)))
        return rc;
    rc = lsql__run_to_done(st, changes, err);
    c->be->reset(st);
    if (params || nparams)
        c->be->clear_bindings(st); /* the values were borrowed */
    return rc;
}

void lsql__rows_open(lsql_stmt *st);

LSQL_API int lsql_query_stmt(lsql_conn *c, lsql_stmt *st,
                             const lsql_param *params, size_t nparams,
                             lsql_rows **out, lsql_error *err)
{
    if (out)
        *out = NULL;
    int rc = own_check(c, st, err);
    if (rc)
        return rc;
    if (!out)
        return lsql__conn_fail(c, err, LSQL_INVALID_ARG, "out is NULL");
    if ((rc = rebind(st, params, nparams, LSQL_COPY, err)))
        return rc;
    lsql__rows_open(st);
    *out = &st->rows;
    lsql__conn_ok(c, err);
    return LSQL_OK;
}

/* ---- columns ------------------------------------------------------------ */

#define ST_OK(st) LSQL_LIKELY(lsql__stmt_valid(st))
#define ROW_OK(st) LSQL_LIKELY(lsql__stmt_valid(st) && (st)->on_row)

LSQL_API int lsql_column_count(const lsql_stmt *st)
{
    return ST_OK(st) ? st->conn->be->column_count(st) : 0;
}

static bool col_ok(const lsql_stmt *st, int col)
{
    return ST_OK(st) && col >= 0 && col < st->conn->be->column_count(st);
}

LSQL_API const char *lsql_column_name(const lsql_stmt *st, int col)
{
    return col_ok(st, col) ? st->conn->be->column_name(st, col) : NULL;
}

LSQL_API const char *lsql_column_decltype(const lsql_stmt *st, int col)
{
    return col_ok(st, col) ? st->conn->be->column_decltype(st, col) : NULL;
}

LSQL_API const char *lsql_column_table(const lsql_stmt *st, int col)
{
    return col_ok(st, col) ? st->conn->be->column_table(st, col) : NULL;
}

LSQL_API const char *lsql_column_origin(const lsql_stmt *st, int col)
{
    return col_ok(st, col) ? st->conn->be->column_origin(st, col) : NULL;
}

int lsql__column_value(lsql_stmt *st, int col, lsql_value *out)
{
    const lsql_backend *be = st->conn->be;
    if (col < 0 || col >= be->column_count(st))
        return LSQL_RANGE;
    out->type = be->column_type(st, col);
    switch (out->type) {
    case LSQL_TYPE_INTEGER:
        out->u.i = be->column_int64(st, col);
        break;
    case LSQL_TYPE_FLOAT:
        out->u.d = be->column_double(st, col);
        break;
    case LSQL_TYPE_TEXT:
    case LSQL_TYPE_BLOB:
        out->u.bytes.p = be->column_bytes(st, col, &out->u.bytes.n,
                                          out->type == LSQL_TYPE_TEXT);
        if (!out->u.bytes.p && out->u.bytes.n)
            return LSQL_NOMEM;
        break;
    default:
        out->type = LSQL_TYPE_NULL;
        out->u.i = 0;
    }
    return LSQL_OK;
}

LSQL_API int lsql_column_value(lsql_stmt *st, int col, lsql_value *out)
{
    if (!ST_OK(st))
        return LSQL_MISUSE_HANDLE;
    if (!out)
        return LSQL_INVALID_ARG;
    if (!st->on_row)
        return LSQL_MISUSE_STATE;
    return lsql__column_value(st, col, out);
}

LSQL_API int lsql_column_type(lsql_stmt *st, int col)
{
    return ROW_OK(st) ? st->conn->be->column_type(st, col) : LSQL_TYPE_NULL;
}

LSQL_HOT("1")
LSQL_API int64_t lsql_column_int64(lsql_stmt *st, int col)
{
    if (!ROW_OK(st))
        return 0;
    const lsql_backend *be = st->conn->be;
    return LSQL_LIKELY(be == &lsql__local_backend) ? sqlite3_column_int64(SS(st), col)
                                                  : be->column_int64(st, col);
}

LSQL_API double lsql_column_double(lsql_stmt *st, int col)
{
    if (!ROW_OK(st))
        return 0.0;
    const lsql_backend *be = st->conn->be;
    return LSQL_LIKELY(be == &lsql__local_backend) ? sqlite3_column_double(SS(st), col)
                                                  : be->column_double(st, col);
}

LSQL_API const char *lsql_column_text(lsql_stmt *st, int col, size_t *len)
{
    size_t n = 0;
    const char *p = ROW_OK(st) ? st->conn->be->column_bytes(st, col, &n, true) : NULL;
    if (len)
        *len = n;
    return p;
}

LSQL_API const void *lsql_column_blob(lsql_stmt *st, int col, size_t *len)
{
    size_t n = 0;
    const void *p = ROW_OK(st) ? st->conn->be->column_bytes(st, col, &n, false) : NULL;
    if (len)
        *len = n;
    return p;
}

/* ---- parameters / info -------------------------------------------------- */

LSQL_API int lsql_param_count(const lsql_stmt *st)
{
    return ST_OK(st) ? st->conn->be->param_count(st) : 0;
}

LSQL_API const char *lsql_param_name(const lsql_stmt *st, int idx)
{
    return ST_OK(st) ? st->conn->be->param_name(st, idx) : NULL;
}

LSQL_API int lsql_param_index(const lsql_stmt *st, const char *name)
{
    return ST_OK(st) && name ? lsql__find_param(st, name) : 0;
}

LSQL_API const char *lsql_stmt_sql(const lsql_stmt *st)
{
    if (!ST_OK(st))
        return NULL;
    return st->conn->be->stmt_sql(st);
}

LSQL_API lsql_conn *lsql_stmt_conn(const lsql_stmt *st)
{
    return ST_OK(st) ? st->conn : NULL;
}

LSQL_API int lsql_stmt_info_get(const lsql_stmt *st, lsql_stmt_info *out)
{
    if (!ST_OK(st))
        return LSQL_MISUSE_HANDLE;
    if (!out || out->struct_size < offsetof(lsql_stmt_info, kind) + sizeof(int))
        return LSQL_INVALID_ARG;
    lsql_stmt_info info;
    memset(&info, 0, sizeof info);
    st->conn->be->stmt_info(st, &info);
    info.kind = st->kind;
    size_t n = out->struct_size < sizeof info ? out->struct_size : sizeof info;
    info.struct_size = out->struct_size;
    memcpy(out, &info, n);
    return LSQL_OK;
}
