/* batch.c -- statement batches and scripts, with one result or error per
 * step (the shape of a Hrana batch), atomic (one transaction, or a savepoint
 * inside an open one) or not. */
#include "txn_int.h"

#include <stdio.h>
#include <string.h>

/* ---- the batch ------------------------------------------------------------ */

typedef struct batch_step {
    const char *sql; /* inside mem */
    size_t sqllen;
    lsql_param *params; /* inside mem; names and bytes too */
    size_t nparams;
    void *mem; /* one block per step */
} batch_step;

struct lsql_batch {
    uint32_t magic;
    batch_step *steps;
    size_t n, cap;
};

static bool batch_ok(const lsql_batch *b) { return b && b->magic == LSQL_MAGIC_BATCH; }

LSQL_API int lsql_batch_new(lsql_batch **out)
{
    if (!out)
        return LSQL_INVALID_ARG;
    *out = NULL;
    lsql_batch *b = lsql__calloc(1, sizeof *b);
    if (!b)
        return LSQL_NOMEM;
    b->magic = LSQL_MAGIC_BATCH;
    *out = b;
    return LSQL_OK;
}

LSQL_API int lsql_batch_add(lsql_batch *b, const char *sql, const lsql_param *params,
                            size_t nparams, lsql_error *err)
{
    if (!batch_ok(b))
        return lsql__fail(err, LSQL_MISUSE_HANDLE, "lsql_batch_add: invalid batch handle");
    if (!sql)
        return lsql__fail(err, LSQL_INVALID_ARG, "lsql_batch_add: sql is NULL");
    if (nparams && !params)
        return lsql__fail(err, LSQL_INVALID_ARG,
                          "lsql_batch_add: params is NULL but nparams is %zu", nparams);
    if (nparams > SIZE_MAX / 2 / sizeof(lsql_param))
        return lsql__fail(err, LSQL_INVALID_ARG, "lsql_batch_add: nparams is too large");
    /* size of the block: params array, SQL, names, bytes */
    size_t sqllen = strlen(sql);
    size_t total = nparams * sizeof(lsql_param) + sqllen + 1;
    for (size_t i = 0; i < nparams; i++) {
        const lsql_param *p = &params[i];
        int rc = lsql__value_check(&p->value);
        if (rc) {
            if (p->name)
                return lsql__fail(err, rc, "lsql_batch_add: parameter '%.64s': %s", p->name,
                                  rc == LSQL_PARAM_TYPE ? "unknown value type tag"
                                                        : "NULL pointer with a non-zero length");
            return lsql__fail(err, rc, "lsql_batch_add: parameter %zu: %s", i + 1,
                              rc == LSQL_PARAM_TYPE ? "unknown value type tag"
                                                    : "NULL pointer with a non-zero length");
        }
        size_t add = p->name ? strlen(p->name) + 1 : 0;
        if (p->value.type == LSQL_TYPE_TEXT || p->value.type == LSQL_TYPE_BLOB)
            add += p->value.u.bytes.n + 1;
        if (add > SIZE_MAX - total)
            return lsql__fail(err, LSQL_NOMEM, "lsql_batch_add: step is too large");
        total += add;
    }
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        batch_step *s = lsql__realloc(b->steps, cap * sizeof *s);
        if (!s)
            return lsql__fail(err, LSQL_NOMEM, "out of memory adding a batch step");
        b->steps = s;
        b->cap = cap;
    }
    void *mem = lsql__malloc(total);
    if (!mem)
        return lsql__fail(err, LSQL_NOMEM, "out of memory adding a batch step");
    lsql_param *ps = mem;
    char *p = (char *)(ps + nparams);
    memcpy(p, sql, sqllen + 1);
    batch_step *s = &b->steps[b->n];
    s->sql = p;
    s->sqllen = sqllen;
    p += sqllen + 1;
    for (size_t i = 0; i < nparams; i++) {
        ps[i] = params[i];
        if (params[i].name) {
            size_t l = strlen(params[i].name);
            memcpy(p, params[i].name, l + 1);
            ps[i].name = p;
            p += l + 1;
        }
        lsql_value *v = &ps[i].value;
        if (v->type == LSQL_TYPE_TEXT || v->type == LSQL_TYPE_BLOB) {
            if (v->u.bytes.n)
                memcpy(p, v->u.bytes.p, v->u.bytes.n);
            p[v->u.bytes.n] = 0;
            v->u.bytes.p = p;
            p += v->u.bytes.n + 1;
        }
    }
    s->params = nparams ? ps : NULL;
    s->nparams = nparams;
    s->mem = mem;
    b->n++;
    lsql__err_ok(err);
    return LSQL_OK;
}

LSQL_API size_t lsql_batch_count(const lsql_batch *b)
{
    return batch_ok(b) ? b->n : 0;
}

LSQL_API void lsql_batch_clear(lsql_batch *b)
{
    if (!batch_ok(b))
        return;
    for (size_t i = 0; i < b->n; i++)
        lsql__free(b->steps[i].mem);
    b->n = 0;
}

LSQL_API void lsql_batch_free(lsql_batch *b)
{
    if (!batch_ok(b))
        return;
    lsql_batch_clear(b);
    lsql__free(b->steps);
    b->magic = LSQL_MAGIC_DEAD;
    lsql__free(b);
}

/* ---- results ----------------------------------------------------------------- */

typedef lsql__step_res step_res;

static bool res_ok(const lsql_batch_result *r) { return r && r->magic == LSQL_MAGIC_BRES; }

static lsql_batch_result *res_new(size_t cap)
{
    lsql_batch_result *r = lsql__calloc(1, sizeof *r);
    if (!r)
        return NULL;
    if (cap && !(r->steps = lsql__calloc(cap, sizeof *r->steps))) {
        lsql__free(r);
        return NULL;
    }
    r->magic = LSQL_MAGIC_BRES;
    r->cap = cap;
    r->failed = -1;
    lsql_error_clear(&r->err);
    lsql_error_clear(&r->step_err);
    lsql_error_clear(&r->skipped);
    return r;
}

/* A new step entry (for scripts, where the count is not known in advance). */
step_res *lsql__batch_res_push(lsql_batch_result *r)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        step_res *s = lsql__realloc(r->steps, cap * sizeof *s);
        if (!s)
            return NULL;
        r->steps = s;
        r->cap = cap;
    }
    step_res *sr = &r->steps[r->n++];
    memset(sr, 0, sizeof *sr);
    return sr;
}

LSQL_API void lsql_batch_result_free(lsql_batch_result *r)
{
    if (!res_ok(r))
        return;
    for (size_t i = 0; i < r->n; i++) {
        if (r->steps[i].rows) {
            lsql__rowset_fini(r->steps[i].rows);
            lsql__free(r->steps[i].rows);
        }
    }
    lsql__free(r->steps);
    r->magic = LSQL_MAGIC_DEAD;
    lsql__free(r);
}

LSQL_API size_t lsql_batch_result_count(const lsql_batch_result *r)
{
    return res_ok(r) ? r->n : 0;
}

LSQL_API int lsql_batch_result_status(const lsql_batch_result *r, lsql_error *err)
{
    if (!res_ok(r))
        return lsql__fail(err, LSQL_MISUSE_HANDLE, "invalid batch result handle");
    if (r->status == LSQL_OK) {
        lsql__err_ok(err);
        return LSQL_OK;
    }
    return lsql__err_out(&r->err, err);
}

LSQL_API int64_t lsql_batch_result_failed_step(const lsql_batch_result *r)
{
    return res_ok(r) ? r->failed : -1;
}

LSQL_API int lsql_batch_result_step(const lsql_batch_result *r, size_t i, lsql_step_result *out)
{
    if (!res_ok(r))
        return LSQL_MISUSE_HANDLE;
    if (!out || out->struct_size < offsetof(lsql_step_result, status) + sizeof(int))
        return LSQL_INVALID_ARG;
    if (i >= r->n)
        return LSQL_RANGE;
    const step_res *sr = &r->steps[i];
    lsql_step_result s;
    memset(&s, 0, sizeof s);
    s.struct_size = out->struct_size;
    s.status = sr->status;
    s.kind = sr->kind;
    s.changes = sr->changes;
    s.last_insert_rowid = sr->rowid;
    s.sql_offset = sr->off;
    s.sql_length = sr->len;
    s.rows = sr->rows;
    s.error = sr->err;
    memcpy(out, &s, out->struct_size < sizeof s ? out->struct_size : sizeof s);
    return LSQL_OK;
}

/* ---- running --------------------------------------------------------------------- */

enum { RUN_PLAIN = LSQL__RUN_PLAIN, RUN_BEGIN = LSQL__RUN_BEGIN, RUN_SAVEPOINT = LSQL__RUN_SAVEPOINT };

#define BATCH_BEHAVIOURS (LSQL_BATCH_IMMEDIATE | LSQL_BATCH_EXCLUSIVE | LSQL_BATCH_READ_ONLY)

static int check_flags(lsql_conn *c, unsigned flags, const char *fn, lsql_error *err)
{
    unsigned beh = flags & BATCH_BEHAVIOURS;
    if (flags & ~(LSQL_BATCH_ATOMIC | BATCH_BEHAVIOURS))
        return lsql__conn_fail(c, err, LSQL_INVALID_ARG, "%s: unknown flags 0x%x", fn,
                               flags & ~(LSQL_BATCH_ATOMIC | BATCH_BEHAVIOURS));
    if (beh && !(flags & LSQL_BATCH_ATOMIC))
        return lsql__conn_fail(c, err, LSQL_INVALID_ARG,
                               "%s: a behaviour flag needs LSQL_BATCH_ATOMIC", fn);
    if (beh & (beh - 1))
        return lsql__conn_fail(c, err, LSQL_INVALID_ARG,
                               "%s: more than one behaviour flag", fn);
    return LSQL_OK;
}

/* Opens the batch's transaction or savepoint. */
static int run_begin(lsql_conn *c, unsigned flags, int *mode, lsql_error *err)
{
    *mode = RUN_PLAIN;
    if (!(flags & LSQL_BATCH_ATOMIC))
        return LSQL_OK;
    int rc;
    if (!lsql__autocommit(c)) {
        if (flags & BATCH_BEHAVIOURS)
            return lsql__conn_fail(c, err, LSQL_TXN_ACTIVE,
                                   "a transaction is already open on this connection: an atomic "
                                   "batch runs under a savepoint inside it and takes no "
                                   "behaviour flag");
        if ((rc = lsql__txn_exec(c, "SAVEPOINT lsql_batch", err)))
            return rc;
        *mode = RUN_SAVEPOINT;
        return LSQL_OK;
    }
    if (c->txn) /* its transaction ended behind its back */
        lsql__txn_finish(c->txn, TXN_ENDED);
    int beh = (flags & LSQL_BATCH_IMMEDIATE)   ? LSQL_BEGIN_IMMEDIATE
              : (flags & LSQL_BATCH_EXCLUSIVE) ? LSQL_BEGIN_EXCLUSIVE
              : (flags & LSQL_BATCH_READ_ONLY) ? LSQL_BEGIN_READ_ONLY
                                               : LSQL_BEGIN_DEFERRED;
    if ((rc = lsql__txn_begin_raw(c, beh, err)))
        return rc;
    *mode = RUN_BEGIN;
    return LSQL_OK;
}

/* Undoes the batch's work after a failure (a failed ROLLBACK is tried once
 * more). Returns LSQL_OK, or the error of the rollback, in *uerr, when the
 * batch's transaction or savepoint could not be undone. The connection's
 * last error is kept. */
static int run_undo(lsql_conn *c, int mode, lsql_error *uerr)
{
    if (mode == RUN_PLAIN)
        return LSQL_OK;
    lsql_error keep = c->last;
    int rc = LSQL_OK;
    if (mode == RUN_BEGIN) {
        for (int i = 0; i < 2 && !lsql__autocommit(c); i++)
            if ((rc = lsql__txn_exec(c, "ROLLBACK", uerr)) == LSQL_OK)
                break;
        if (lsql__autocommit(c))
            rc = LSQL_OK;
        lsql__txn_after_end(c, NULL);
    } else if (!lsql__autocommit(c)) {
        for (int i = 0; i < 2; i++) {
            rc = lsql__txn_exec(c, "ROLLBACK TO lsql_batch", uerr);
            if (rc == LSQL_OK)
                rc = lsql__txn_exec(c, "RELEASE lsql_batch", uerr);
            if (rc == LSQL_OK)
                break;
        }
    }
    c->last = keep;
    return rc;
}

/* Commits (or releases) after the last step; on failure rolls back and
 * leaves the error in c->last (*urc: the result of the rollback). */
static int run_commit(lsql_conn *c, int mode, int *urc, lsql_error *uerr)
{
    if (mode == RUN_PLAIN)
        return LSQL_OK;
    int rc = lsql__txn_exec(c, mode == RUN_BEGIN ? "COMMIT" : "RELEASE lsql_batch", NULL);
    if (rc) {
        lsql__conn_err_wrap(c, mode == RUN_BEGIN ? "commit failed: " : "release failed: ", NULL);
        *urc = run_undo(c, mode, uerr);
        if (*urc == LSQL_OK)
            lsql__conn_err_wrap(c, NULL, "; the batch was rolled back");
        return rc;
    }
    if (mode == RUN_BEGIN) {
        lsql_error keep = c->last;
        lsql__txn_after_end(c, NULL);
        c->last = keep;
    }
    return LSQL_OK;
}

/* Steps a prepared statement to the end, copying rows. LSQL_OK or an error
 * (recorded in c->last). */
static int run_stmt(lsql_conn *c, lsql_stmt *st, step_res *sr)
{
    const lsql_backend *be = c->be;
    sr->kind = st->kind;
    if (be->column_count(st) > 0) {
        sr->rows = lsql__calloc(1, sizeof *sr->rows);
        if (!sr->rows || lsql__rowset_init(sr->rows, st))
            return lsql__conn_fail(c, NULL, LSQL_NOMEM, "out of memory for the rows of a step");
    }
    int rc;
    while ((rc = be->step(st)) == LSQL_ROW) {
        if (sr->rows && lsql__rowset_add(sr->rows, st)) {
            be->reset(st);
            return lsql__conn_fail(c, NULL, LSQL_NOMEM, "out of memory copying a row");
        }
    }
    if (rc != LSQL_DONE)
        return rc;
    lsql__stmt_done(st);
    if (st->kind == LSQL_KIND_INSERT || st->kind == LSQL_KIND_UPDATE ||
        st->kind == LSQL_KIND_DELETE)
        be->meta(c, META_CHANGES, &sr->changes);
    if (st->kind == LSQL_KIND_INSERT)
        be->meta(c, META_LAST_ROWID, &sr->rowid);
    return LSQL_OK;
}

/* After a step that succeeded in an atomic batch: did it end the batch's
 * transaction (a COMMIT or ROLLBACK statement)? */
static int check_still_open(lsql_conn *c, int mode, size_t i)
{
    if (mode == RUN_PLAIN || !lsql__autocommit(c))
        return LSQL_OK;
    return lsql__conn_fail(c, NULL, LSQL_TXN_ENDED,
                           "step %zu ended the batch's transaction (a COMMIT or ROLLBACK "
                           "statement); the steps before it may have been committed",
                           i);
}

/* Records the failure of step i (error in c->last). */
void lsql__batch_step_failed(lsql_batch_result *r, size_t i, lsql_conn *c)
{
    r->step_err = c->last;
    r->steps[i].status = c->last.ext_code;
    r->steps[i].err = &r->step_err;
    r->failed = (int64_t)i;
}

/* Sets the result's status and error from c->last (or success) and copies it
 * out. The retryable flag is recomputed for the call as a whole. */
int lsql__batch_finish(lsql_conn *c, lsql_batch_result *r, int mode, int rc, int urc,
                       const lsql_error *uerr, lsql_error *err)
{
    if (rc == LSQL_OK) {
        r->status = LSQL_OK;
        lsql__conn_ok(c, err);
        return LSQL_OK;
    }
    if (r->failed >= 0) {
        char prefix[48];
        snprintf(prefix, sizeof prefix, "step %lld: ", (long long)r->failed);
        c->last = r->step_err;
        lsql__conn_err_wrap(c, prefix, NULL);
        for (size_t i = (size_t)r->failed + 1; i < r->n; i++) {
            r->steps[i].status = LSQL_TXN_SKIPPED;
            r->steps[i].err = &r->skipped;
        }
        lsql__err_set(&r->skipped, LSQL_TXN_SKIPPED, "not run: step %lld failed",
                      (long long)r->failed);
    }
    if (urc) {
        /* the work could not be undone: that error is the call's, with the
         * one that caused the rollback in its message */
        char first[LSQL_ERRMSG_MAX];
        memcpy(first, c->last.message, sizeof first);
        first[sizeof first - 1] = 0;
        c->last = *uerr;
        lsql__conn_err_wrap(c, NULL, "; the batch's transaction is still open");
        char second[LSQL_ERRMSG_MAX];
        memcpy(second, c->last.message, sizeof second);
        second[sizeof second - 1] = 0;
        snprintf(c->last.message, sizeof c->last.message, "%.200s; then rolling back failed: %.280s",
                 first, second);
        c->last.flags &= ~LSQL_ERRF_RETRYABLE;
        r->status = c->last.ext_code;
        r->err = c->last;
        return lsql__conn_err(c, err);
    }
    int cls = LSQL_CLASS(c->last.ext_code);
    bool retry;
    if (mode == RUN_BEGIN)
        retry = cls == LSQL_BUSY || cls == LSQL_LOCKED;
    else if (mode == RUN_PLAIN)
        retry = r->failed <= 0 && (c->last.flags & LSQL_ERRF_RETRYABLE);
    else
        retry = (c->last.flags & LSQL_ERRF_RETRYABLE) != 0;
    if (retry)
        c->last.flags |= LSQL_ERRF_RETRYABLE;
    else
        c->last.flags &= ~LSQL_ERRF_RETRYABLE;
    r->status = c->last.ext_code;
    r->err = c->last;
    return lsql__conn_err(c, err);
}

/* Ends a batch or script run: undoes (after a failure) or commits the
 * transaction or savepoint of `mode`, then sets the result. */
static int run_end(lsql_conn *c, lsql_batch_result *r, int mode, int rc, lsql_error *err)
{
    int urc = LSQL_OK;
    lsql_error uerr;
    lsql_error_clear(&uerr);
    if (rc)
        urc = run_undo(c, mode, &uerr);
    else
        rc = run_commit(c, mode, &urc, &uerr);
    return lsql__batch_finish(c, r, mode, rc, urc, &uerr, err);
}

static int run_check(lsql_conn *c, const void *what, unsigned flags, lsql_batch_result **out,
                     const char *fn, lsql_error *err)
{
    if (out)
        *out = NULL;
    if (!lsql__conn_valid(c))
        return lsql__fail(err, LSQL_MISUSE_HANDLE, "%s: invalid connection handle", fn);
    if (!out)
        return lsql__conn_fail(c, err, LSQL_INVALID_ARG, "%s: out is NULL", fn);
    if (!what)
        return lsql__conn_fail(c, err, LSQL_INVALID_ARG, "%s: %s is NULL", fn,
                               strcmp(fn, "lsql_batch_run") ? "sql" : "batch");
    return check_flags(c, flags, fn, err);
}

/* Hands out the result of a backend's batch_run (none: as in local mode, no
 * result when the batch's transaction could not even begin). */
static int backend_out(lsql_batch_result *r, lsql_batch_result **out, int rc)
{
    if (r->none)
        lsql_batch_result_free(r);
    else
        *out = r;
    return rc;
}

LSQL_API int lsql_batch_run(lsql_conn *c, const lsql_batch *b, unsigned flags,
                            lsql_batch_result **out, lsql_error *err)
{
    int rc = run_check(c, b, flags, out, "lsql_batch_run", err);
    if (rc)
        return rc;
    if (!batch_ok(b))
        return lsql__conn_fail(c, err, LSQL_MISUSE_HANDLE, "lsql_batch_run: invalid batch handle");
    lsql_batch_result *r = res_new(b->n);
    if (!r)
        return lsql__conn_fail(c, err, LSQL_NOMEM, "out of memory for a batch result");
    r->n = b->n;
    if (c->be->batch_run) {
        lsql__bstep *bs = b->n ? lsql__calloc(b->n, sizeof *bs) : NULL;
        if (b->n && !bs) {
            lsql_batch_result_free(r);
            return lsql__conn_fail(c, err, LSQL_NOMEM, "out of memory for a batch");
        }
        for (size_t i = 0; i < b->n; i++) {
            bs[i].sql = b->steps[i].sql;
            bs[i].sqllen = b->steps[i].sqllen;
            bs[i].params = b->steps[i].params;
            bs[i].nparams = b->steps[i].nparams;
            r->steps[i].len = b->steps[i].sqllen;
        }
        rc = c->be->batch_run(c, bs, b->n, NULL, flags, r, err);
        lsql__free(bs);
        return backend_out(r, out, rc);
    }
    int mode;
    if ((rc = run_begin(c, flags, &mode, err))) {
        lsql_batch_result_free(r);
        return rc;
    }
    const lsql_backend *be = c->be;
    for (size_t i = 0; i < b->n; i++) {
        const batch_step *s = &b->steps[i];
        step_res *sr = &r->steps[i];
        sr->len = s->sqllen;
        lsql_stmt *st = NULL;
        rc = lsql__stmt_acquire(c, s->sql, s->sqllen, true, ST_ORIGIN_INTERNAL, 0, &st, NULL,
                                NULL);
        if (rc == LSQL_OK && st->has_tail)
            rc = lsql__conn_fail(c, NULL, LSQL_INVALID_SQL,
                                 "SQL holds more than one statement; use lsql_script_run for "
                                 "scripts");
        if (rc == LSQL_OK && (s->nparams || be->param_count(st)))
            rc = lsql__bind_params(st, s->params, s->nparams, LSQL_STATIC);
        if (rc == LSQL_OK)
            rc = run_stmt(c, st, sr);
        if (st)
            lsql__stmt_release(st);
        if (rc == LSQL_OK)
            rc = check_still_open(c, mode, i);
        if (rc) {
            lsql__batch_step_failed(r, i, c);
            break;
        }
        sr->status = LSQL_OK;
    }
    rc = run_end(c, r, mode, rc, err);
    *out = r;
    return rc;
}

/* ---- scripts ------------------------------------------------------------------------ */

/* Skips whitespace, comments and empty statements (';'). */
static const char *skip_space(const char *p)
{
    for (;;) {
        char ch = *p;
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v' ||
            ch == ';') {
            p++;
        } else if (ch == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (ch == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            p = e ? e + 2 : p + strlen(p);
        } else {
            return p;
        }
    }
}

/* Length of the statement [start, tail) without trailing whitespace, ';' and
 * comments (approximately: trailing line comments are kept). */
static size_t stmt_len(const char *start, const char *tail)
{
    const char *e = tail;
    while (e > start && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r' ||
                         e[-1] == '\f' || e[-1] == '\v' || e[-1] == ';'))
        e--;
    return (size_t)(e - start);
}

LSQL_API int lsql_script_run(lsql_conn *c, const char *sql, unsigned flags,
                             lsql_batch_result **out, lsql_error *err)
{
    int rc = run_check(c, sql, flags, out, "lsql_script_run", err);
    if (rc)
        return rc;
    lsql_batch_result *r = res_new(0);
    if (!r)
        return lsql__conn_fail(c, err, LSQL_NOMEM, "out of memory for a batch result");
    if (c->be->batch_run) {
        rc = c->be->batch_run(c, NULL, 0, sql, flags, r, err);
        return backend_out(r, out, rc);
    }
    int mode;
    if ((rc = run_begin(c, flags, &mode, err))) {
        lsql_batch_result_free(r);
        return rc;
    }
    const lsql_backend *be = c->be;
    const char *end = sql + strlen(sql);
    const char *p = sql;
    for (size_t i = 0;; i++) {
        p = skip_space(p);
        if (p >= end)
            break;
        step_res *sr = lsql__batch_res_push(r);
        if (!sr) {
            rc = lsql__conn_fail(c, NULL, LSQL_NOMEM, "out of memory for a batch result");
            r->failed = -1;
            break;
        }
        sr->off = (size_t)(p - sql);
        lsql_stmt *st = NULL;
        const char *tail = NULL;
        rc = lsql__stmt_acquire(c, p, (size_t)(end - p), true, ST_ORIGIN_USER,
                                LSQL_PREPARE_ALLOW_EMPTY, &st, &tail, NULL);
        if (rc) {
            if (c->last.offset >= 0)
                c->last.offset += (int)(p - sql);
            sr->len = stmt_len(p, end);
            lsql__batch_step_failed(r, i, c);
            break;
        }
        if (!st) { /* only what SQLite considers empty was left */
            r->n--;
            break;
        }
        sr->len = stmt_len(p, tail);
        int np = be->param_count(st);
        if (np > 0)
            rc = lsql__conn_fail(c, NULL, LSQL_PARAM_MISSING,
                                 "statement %zu of the script has %d parameter%s; scripts take "
                                 "no parameters (use a statement batch)",
                                 i, np, np == 1 ? "" : "s");
        else
            rc = run_stmt(c, st, sr);
        lsql__live_unlink(c, st);
        lsql__stmt_destroy(st);
        if (rc == LSQL_OK)
            rc = check_still_open(c, mode, i);
        if (rc) {
            lsql__batch_step_failed(r, i, c);
            break;
        }
        sr->status = LSQL_OK;
        p = tail;
    }
    rc = run_end(c, r, mode, rc, err);
    *out = r;
    return rc;
}
