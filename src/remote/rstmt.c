/* rstmt.c -- statements of the remote backend.
 *
 * prepare: the first statement of the text is described on the server
 * (parameters, columns, read-only) in the same request that stores its SQL
 * on the stream (store_sql), so that executions send only the sql_id.
 * bind: values are kept (bytes copied) until the execution.
 * step: the first step executes the statement (one request) and holds the
 * whole result; later steps walk its rows. Statements of an lsql cursor
 * stream their rows instead (rcursor.c). */
#include "remote_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- prepare ---------------------------------------------------------------- */

typedef struct prep_ctx {
    rstmt *s;
    bool store;   /* store_sql sent before the describe */
    uint32_t gen; /* the stream generation the request was built for */
} prep_ctx;

/* store_sql of the statement's text as s->sql_id. */
static int put_store(rstmt *s)
{
    hrana_request *r = rreq_add(s->rc, HRANA_REQ_STORE_SQL);
    if (!r)
        return -1;
    r->sql.p = s->sql;
    r->sql.n = s->sqllen;
    r->has_sql_id = 1;
    r->sql_id = s->sql_id;
    return 0;
}

/* Assigns a fresh id and stores the SQL on the current stream generation. */
static bool want_store(rstmt *s)
{
    rconn *rc = s->rc;
    if (!s->try_store || (s->stored && s->sql_gen == rc->gen))
        return false;
    if (rc->next_sql_id == INT32_MAX)
        rc->next_sql_id = 0;
    s->sql_id = rc->next_sql_id++;
    return true;
}

static int build_describe(rconn *rc, void *ctx)
{
    prep_ctx *p = ctx;
    rstmt *s = p->s;
    p->gen = rc->gen;
    p->store = want_store(s);
    if (p->store && put_store(s))
        return -1;
    hrana_request *r = rreq_add(rc, HRANA_REQ_DESCRIBE);
    if (!r)
        return -1;
    r->sql.p = s->sql;
    r->sql.n = s->sqllen;
    return 0;
}

static char *dup_str(hrana_str h)
{
    return h.p ? lsql__strndup(h.p, h.n) : NULL;
}

static void free_cols(rstmt *s)
{
    if (s->cols) {
        for (int i = 0; i < 2 * s->ncols; i++)
            lsql__free(s->cols[i]);
        lsql__free(s->cols);
    }
    s->cols = NULL;
    s->ncols = 0;
}

/* Replaces the statement's columns with cols[0..n). */
int rstmt_set_cols(rstmt *s, const hrana_col *cols, size_t n)
{
    free_cols(s);
    if (!n)
        return LSQL_OK;
    s->cols = lsql__calloc(2 * n, sizeof *s->cols);
    if (!s->cols)
        return LSQL_NOMEM;
    s->ncols = (int)n;
    for (size_t i = 0; i < n; i++) {
        s->cols[i] = cols[i].name.p ? dup_str(cols[i].name) : lsql__strdup("");
        s->cols[n + i] = dup_str(cols[i].decltype);
        if (!s->cols[i] || (cols[i].decltype.p && !s->cols[n + i]))
            return LSQL_NOMEM;
    }
    return LSQL_OK;
}

static void free_binds(rstmt *s)
{
    for (int i = 0; i < s->nparams; i++) {
        lsql_value *v = &s->args[i];
        if (v->type == LSQL_TYPE_TEXT || v->type == LSQL_TYPE_BLOB)
            lsql__free((void *)v->u.bytes.p);
        *v = lsql_null();
    }
}

static void rstmt_free(rstmt *s)
{
    rstmt_clear_result(s);
    free_cols(s);
    if (s->params) {
        for (int i = 0; i < s->nparams; i++)
            lsql__free(s->params[i]);
        lsql__free(s->params);
    }
    if (s->args) {
        free_binds(s);
        lsql__free(s->args);
    }
    lsql__free(s->sql);
    lsql__free(s);
}

static int fill_describe(rstmt *s, const hrana_describe_result *d)
{
    if (d->nparams > 32766 || d->ncols > 32767)
        return LSQL_HRANA_PROTOCOL;
    s->nparams = (int)d->nparams;
    if (d->nparams) {
        s->params = lsql__calloc(d->nparams, sizeof *s->params);
        s->args = lsql__calloc(d->nparams, sizeof *s->args);
        if (!s->params || !s->args)
            return LSQL_NOMEM;
        for (size_t i = 0; i < d->nparams; i++) {
            s->args[i] = lsql_null();
            if (d->params[i].p && !(s->params[i] = dup_str(d->params[i])))
                return LSQL_NOMEM;
        }
    }
    s->readonly = d->is_readonly != 0;
    /* Hrana says only whether it is an EXPLAIN: 2 for EXPLAIN QUERY PLAN, as
     * sqlite3_stmt_isexplain */
    int ex = rsql_explain(s->sql, s->sqllen);
    s->is_explain = d->is_explain ? (ex ? ex : 1) : 0;
    return rstmt_set_cols(s, d->cols, d->ncols);
}

int remote_prepare(lsql_conn *c, const char *sql, size_t n, bool nul_term, unsigned flags,
                   lsql_stmt *st, const char **tail, lsql_error *e)
{
    (void)nul_term;
    (void)flags;
    rconn *rc = RC(c);
    st->bs = NULL;
    /* find the first statement that is not empty */
    char *buf = lsql__malloc(n + 1);
    if (!buf)
        return lsql__fail(e, LSQL_NOMEM, NULL);
    memcpy(buf, sql, n);
    buf[n] = 0;
    size_t off = 0, len = 0;
    while (off < n) {
        len = rsql_first_len(buf + off, n - off);
        if (!rsql_blank(buf + off, len))
            break;
        off += len;
        len = 0;
    }
    *tail = sql + off + len;
    if (len == 0) { /* nothing but whitespace, comments and ';' */
        lsql__free(buf);
        return LSQL_OK;
    }
    rstmt *s = lsql__calloc(1, sizeof *s);
    if (!s) {
        lsql__free(buf);
        return lsql__fail(e, LSQL_NOMEM, NULL);
    }
    memmove(buf, buf + off, len);
    buf[len] = 0;
    s->sql = buf;
    s->sqllen = len;
    s->rc = rc;
    s->st = st;
    s->kind = rsql_kind(buf, len);
    s->try_store = len <= RSQL_STORE_MAX;
    if (rc->lost && rsql_is_rollback(buf, len)) {
        /* the transaction is already gone: this ROLLBACK runs locally (see
         * execute()), nothing to describe */
        st->bs = s;
        st->kind = s->kind;
        return LSQL_OK;
    }
    prep_ctx p = {s, false, 0};
    hrana_pipeline_resp resp;
    size_t first = 0;
    int code = rpipe_run(rc, build_describe, &p, RPIPE_READONLY, &resp, &first);
    if (code == LSQL_TXN_LOST && rc->lost && rsql_is_rollback(buf, len)) {
        /* the describe found the transaction's stream gone: the ROLLBACK
         * that asked for it runs locally, as above */
        st->bs = s;
        st->kind = s->kind;
        return LSQL_OK;
    }
    if (code) {
        rstmt_free(s);
        return lsql__err_out(&c->last, e == &c->last ? NULL : e);
    }
    size_t di = first + (p.store ? 1 : 0);
    if (p.store) {
        if (resp.results[first].is_error) {
            s->try_store = false; /* e.g. the server's limit of stored texts */
        } else if (rc->gen == p.gen) { /* else the stream it was stored on is gone */
            s->stored = true;
            s->sql_gen = rc->gen;
        }
    }
    const hrana_stream_result *r = &resp.results[di];
    if (r->is_error) {
        code = rpipe_stmt_error(rc, &r->error);
        if (c->last.offset >= 0 && off)
            c->last.offset += (int)off;
    } else if (r->response.type != HRANA_REQ_DESCRIBE) {
        code = lsql__conn_fail(c, NULL, LSQL_HRANA_PROTOCOL,
                               "invalid response from the server: describe answered by '%s'",
                               hrana_req_type_name(r->response.type));
    } else if ((code = fill_describe(s, &r->response.describe))) {
        code = lsql__conn_fail(c, NULL, code,
                               code == LSQL_NOMEM ? "out of memory describing a statement"
                                                  : "invalid response from the server: "
                                                    "too many parameters or columns");
    }
    hrana_pipeline_resp_free(&resp);
    if (code) {
        if (s->stored)
            rpipe_queue_close(rc, s->sql_id);
        rstmt_free(s);
        return lsql__err_out(&c->last, e == &c->last ? NULL : e);
    }
    st->bs = s;
    st->kind = s->kind;
    return LSQL_OK;
}

void remote_finalize(lsql_stmt *st)
{
    rstmt *s = RST(st);
    if (!s)
        return;
    rconn *rc = s->rc;
    if (rc->streaming == s)
        rcursor_abort(s);
    if (s->stored && s->sql_gen == rc->gen)
        rpipe_queue_close(rc, s->sql_id);
    rstmt_free(s);
    st->bs = NULL;
}

/* ---- binds ------------------------------------------------------------------ */

static int check_idx(rstmt *s, int idx)
{
    /* as SQLite: a statement stepped since its last reset takes no binds */
    if (s->state != RS_IDLE)
        return lsql__conn_fail(s->rc->c, NULL, LSQL_MISUSE_STATE,
                               "statement is running; reset it before binding");
    if (idx >= 1 && idx <= s->nparams)
        return LSQL_OK;
    return lsql__conn_fail(s->rc->c, NULL, LSQL_RANGE,
                           "parameter index %d is out of range (the statement has %d)", idx,
                           s->nparams);
}

static void put_arg(rstmt *s, int idx, lsql_value v)
{
    lsql_value *a = &s->args[idx - 1];
    if (a->type == LSQL_TYPE_TEXT || a->type == LSQL_TYPE_BLOB)
        lsql__free((void *)a->u.bytes.p);
    *a = v;
}

static int bind_bytes(rstmt *s, int idx, int type, const void *p, size_t n)
{
    if (n >= SIZE_MAX - 1)
        return lsql__conn_fail(s->rc->c, NULL, LSQL_TOOBIG, "value too large");
    char *d = lsql__malloc(n + 1);
    if (!d)
        return lsql__conn_fail(s->rc->c, NULL, LSQL_NOMEM, "out of memory binding a value");
    if (n)
        memcpy(d, p, n);
    d[n] = 0;
    lsql_value v;
    v.type = type;
    v.u.bytes.p = d;
    v.u.bytes.n = n;
    put_arg(s, idx, v);
    return LSQL_OK;
}

int remote_bind(lsql_stmt *st, int idx, const lsql_value *v, int lifetime)
{
    (void)lifetime;
    rstmt *s = RST(st);
    int rc = check_idx(s, idx);
    if (rc)
        return rc;
    switch (v->type) {
    case LSQL_TYPE_TEXT:
    case LSQL_TYPE_BLOB:
        return bind_bytes(s, idx, v->type, v->u.bytes.p, v->u.bytes.n);
    case LSQL_TYPE_INTEGER:
    case LSQL_TYPE_FLOAT:
        put_arg(s, idx, *v);
        return LSQL_OK;
    default:
        put_arg(s, idx, lsql_null());
        return LSQL_OK;
    }
}

int remote_bind_int64(lsql_stmt *st, int idx, int64_t v)
{
    rstmt *s = RST(st);
    int rc = check_idx(s, idx);
    if (!rc)
        put_arg(s, idx, lsql_int(v));
    return rc;
}

int remote_bind_double(lsql_stmt *st, int idx, double v)
{
    rstmt *s = RST(st);
    int rc = check_idx(s, idx);
    if (!rc)
        put_arg(s, idx, lsql_float(v));
    return rc;
}

int remote_bind_text(lsql_stmt *st, int idx, const char *p, size_t n, int lifetime)
{
    (void)lifetime;
    rstmt *s = RST(st);
    int rc = check_idx(s, idx);
    return rc ? rc : bind_bytes(s, idx, LSQL_TYPE_TEXT, p, n);
}

int remote_param_count(const lsql_stmt *st) { return RST(st)->nparams; }

const char *remote_param_name(const lsql_stmt *st, int idx)
{
    const rstmt *s = RST(st);
    return idx >= 1 && idx <= s->nparams ? s->params[idx - 1] : NULL;
}

int remote_param_index(const lsql_stmt *st, const char *name)
{
    const rstmt *s = RST(st);
    for (int i = 0; i < s->nparams; i++)
        if (s->params[i] && !strcmp(s->params[i], name))
            return i + 1;
    return 0;
}

void remote_clear_bindings(lsql_stmt *st) { free_binds(RST(st)); }

/* ---- execution ------------------------------------------------------------ */

void rstmt_clear_result(rstmt *s)
{
    if (s->resp.arena)
        hrana_pipeline_resp_free(&s->resp);
    memset(&s->resp, 0, sizeof s->resp);
    s->res = NULL;
    s->row = 0;
    s->cur = NULL;
    if (s->scratch) {
        hrana_arena_free(s->scratch);
        s->scratch = NULL;
    }
    if (s->state == RS_STREAM || s->ent.arena || s->q_head)
        rcursor_abort(s);
}

void rstmt_hstmt(const rstmt *s, hrana_stmt *out)
{
    memset(out, 0, sizeof *out);
    if (s->stored && s->sql_gen == s->rc->gen) {
        out->has_sql_id = 1;
        out->sql_id = s->sql_id;
    } else {
        out->sql.p = s->sql;
        out->sql.n = s->sqllen;
    }
    /* parameters go by position (named ones too) */
    out->args = s->args;
    out->nargs = (size_t)s->nparams;
    out->want_rows = s->ncols > 0 || s->kind == LSQL_KIND_OTHER;
}

typedef struct exec_ctx {
    rstmt *s;
    bool store;
    uint32_t gen; /* the stream generation the request was built for */
} exec_ctx;

static int build_execute(rconn *rc, void *ctx)
{
    exec_ctx *x = ctx;
    rstmt *s = x->s;
    x->gen = rc->gen;
    x->store = want_store(s);
    if (x->store) {
        if (put_store(s))
            return -1;
        s->stored = false; /* this execution sends the text; the store is for the next */
    }
    hrana_request *r = rreq_add(rc, HRANA_REQ_EXECUTE);
    if (!r)
        return -1;
    rstmt_hstmt(s, &r->stmt);
    return 0;
}

void rstmt_note_result(rstmt *s, uint64_t affected, int has_rowid, int64_t rowid)
{
    rconn *rc = s->rc;
    if (s->kind == LSQL_KIND_INSERT || s->kind == LSQL_KIND_UPDATE ||
        s->kind == LSQL_KIND_DELETE) {
        rc->changes = (int64_t)affected;
        rc->total_changes += (int64_t)affected;
    }
    if (s->kind == LSQL_KIND_INSERT && has_rowid)
        rc->last_rowid = rowid;
}

static int execute(rstmt *s)
{
    rconn *rc = s->rc;
    lsql_conn *c = rc->c;
    if (rc->lost) {
        if (rsql_is_rollback(s->sql, s->sqllen)) {
            /* the server already rolled the transaction back */
            rc->lost = false;
            rc->in_txn = false;
            s->state = RS_DONE;
            return LSQL_DONE;
        }
        return rpipe_lost_error(rc);
    }
    if (s->want_stream && rc->db->version >= 3 && s->ncols > 0)
        return rcursor_step(s);
    exec_ctx x = {s, false, 0};
    size_t first = 0;
    unsigned flags = (s->readonly ? RPIPE_READONLY : 0) | (rpipe_kind_txn(s->kind) ? RPIPE_TXN : 0);
    int code = rpipe_run(rc, build_execute, &x, flags, &s->resp, &first);
    if (code == LSQL_TXN_LOST && rc->lost && rsql_is_rollback(s->sql, s->sqllen)) {
        /* a ROLLBACK that finds the stream gone: the server has rolled the
         * transaction back, which is what was asked */
        rc->lost = false;
        rc->in_txn = false;
        s->state = RS_DONE;
        return LSQL_DONE;
    }
    if (code) {
        s->state = RS_FAILED;
        s->err_code = code;
        return code;
    }
    if (x.store) {
        if (s->resp.results[first].is_error) {
            s->try_store = false;
        } else if (rc->gen == x.gen) { /* else the stream it was stored on is gone */
            s->stored = true;
            s->sql_gen = rc->gen;
        }
    }
    const hrana_stream_result *r = &s->resp.results[first + (x.store ? 1 : 0)];
    if (r->is_error) {
        code = rpipe_stmt_error(rc, &r->error);
        rstmt_clear_result(s);
        s->state = RS_FAILED;
        s->err_code = code;
        return code;
    }
    if (r->response.type != HRANA_REQ_EXECUTE) {
        rstmt_clear_result(s);
        s->state = RS_FAILED;
        return s->err_code = lsql__conn_fail(c, NULL, LSQL_HRANA_PROTOCOL,
                                             "invalid response from the server: execute "
                                             "answered by '%s'",
                                             hrana_req_type_name(r->response.type));
    }
    const hrana_stmt_result *res = &r->response.stmt;
    if (res->nrows && res->ncols != (size_t)s->ncols && rstmt_set_cols(s, res->cols, res->ncols)) {
        rstmt_clear_result(s);
        s->state = RS_FAILED;
        return s->err_code = lsql__conn_fail(c, NULL, LSQL_NOMEM, NULL);
    }
    rstmt_note_result(s, res->affected_row_count, res->has_last_insert_rowid,
                      res->last_insert_rowid);
    if (rc->db->version < 3) /* v3 asked get_autocommit */
        rpipe_track(rc, s->sql, s->sqllen, s->kind);
    if (!res->nrows || !res->ncols) {
        rstmt_clear_result(s);
        s->state = RS_DONE;
        return LSQL_DONE;
    }
    s->res = res;
    s->row = 1;
    s->cur = res->rows;
    s->state = RS_ROWS;
    return LSQL_ROW;
}

int remote_step(lsql_stmt *st)
{
    rstmt *s = RST(st);
    switch (s->state) {
    case RS_ROWS:
        if (s->row < s->res->nrows) {
            s->cur = s->res->rows + s->row * s->res->ncols;
            s->row++;
            if (s->scratch) {
                hrana_arena_free(s->scratch);
                s->scratch = NULL;
            }
            return LSQL_ROW;
        }
        rstmt_clear_result(s);
        s->state = RS_DONE;
        return LSQL_DONE;
    case RS_STREAM:
        return rcursor_step(s);
    case RS_DONE:
    case RS_FAILED:
        rstmt_clear_result(s); /* runs again, like sqlite3_step after the end */
        s->state = RS_IDLE;
        /* fall through */
    default:
        return execute(s);
    }
}

void remote_reset(lsql_stmt *st)
{
    rstmt *s = RST(st);
    rstmt_clear_result(s);
    s->state = RS_IDLE;
    s->want_stream = false; /* a cursor asks again each time (lsql_cursor_open) */
}

/* ---- columns ---------------------------------------------------------------- */

int remote_column_count(const lsql_stmt *st) { return RST(st)->ncols; }

const char *remote_column_name(const lsql_stmt *st, int col)
{
    const rstmt *s = RST(st);
    return col >= 0 && col < s->ncols ? s->cols[col] : NULL;
}

const char *remote_column_decltype(const lsql_stmt *st, int col)
{
    const rstmt *s = RST(st);
    return col >= 0 && col < s->ncols ? s->cols[s->ncols + col] : NULL;
}

static const lsql_value *cell(const lsql_stmt *st, int col)
{
    const rstmt *s = RST(st);
    if (!s->cur || col < 0 || col >= s->ncols)
        return NULL;
    return &s->cur[col];
}

int rstmt_column_type(lsql_stmt *st, int col)
{
    const lsql_value *v = cell(st, col);
    return v ? v->type : LSQL_TYPE_NULL;
}

int64_t remote_column_int64(lsql_stmt *st, int col)
{
    const lsql_value *v = cell(st, col);
    if (!v)
        return 0;
    switch (v->type) {
    case LSQL_TYPE_INTEGER:
        return v->u.i;
    case LSQL_TYPE_FLOAT:
        if (v->u.d >= 9223372036854775807.0)
            return INT64_MAX;
        if (v->u.d <= -9223372036854775808.0)
            return INT64_MIN;
        return v->u.d == v->u.d ? (int64_t)v->u.d : 0;
    case LSQL_TYPE_TEXT:
    case LSQL_TYPE_BLOB:
        return v->u.bytes.p ? strtoll((const char *)v->u.bytes.p, NULL, 10) : 0;
    default:
        return 0;
    }
}

double remote_column_double(lsql_stmt *st, int col)
{
    const lsql_value *v = cell(st, col);
    if (!v)
        return 0.0;
    switch (v->type) {
    case LSQL_TYPE_INTEGER:
        return (double)v->u.i;
    case LSQL_TYPE_FLOAT:
        return v->u.d;
    case LSQL_TYPE_TEXT:
    case LSQL_TYPE_BLOB:
        return v->u.bytes.p ? strtod((const char *)v->u.bytes.p, NULL) : 0.0;
    default:
        return 0.0;
    }
}

const void *remote_column_bytes(lsql_stmt *st, int col, size_t *n, bool as_text)
{
    (void)as_text;
    const lsql_value *v = cell(st, col);
    *n = 0;
    if (!v)
        return NULL;
    if (v->type == LSQL_TYPE_TEXT || v->type == LSQL_TYPE_BLOB) {
        *n = v->u.bytes.n;
        return v->u.bytes.p ? v->u.bytes.p : "";
    }
    if (v->type != LSQL_TYPE_INTEGER && v->type != LSQL_TYPE_FLOAT)
        return NULL;
    /* a number read as text: SQLite's formatting */
    rstmt *s = RST(st);
    if (!s->scratch && !(s->scratch = hrana_arena_new()))
        return NULL;
    char tmp[40];
    int len;
    if (v->type == LSQL_TYPE_INTEGER)
        len = snprintf(tmp, sizeof tmp, "%" PRId64, v->u.i);
    else
        len = (int)hrana_format_double(tmp, sizeof tmp, v->u.d);
    char *p = hrana_arena_strndup(s->scratch, tmp, (size_t)len);
    if (p)
        *n = (size_t)len;
    return p;
}

void remote_stmt_info(const lsql_stmt *st, lsql_stmt_info *out)
{
    const rstmt *s = RST(st);
    out->kind = s->kind;
    out->returns_rows = s->ncols > 0;
    out->readonly = s->readonly;
    out->is_explain = s->is_explain;
    out->column_count = s->ncols;
    out->param_count = s->nparams;
}

const char *remote_stmt_sql(const lsql_stmt *st) { return RST(st)->sql; }

void remote_stmt_stream(lsql_stmt *st) { RST(st)->want_stream = true; }
