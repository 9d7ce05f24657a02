/* decode_resp.c -- decoding responses (the client direction): pipeline
 * responses, statement/batch/describe results and cursor lines. */
#include "decode_int.h"

#include <stdio.h>
#include <string.h>

static int rowid(dctx *c, json_t *obj, int *has, int64_t *out)
{
    hrana_str s;
    *has = 0;
    if (hrana__get_string(c, obj, "last_insert_rowid", 0, 64, &s))
        return -1;
    if (!s.p)
        return 0;
    if (hrana_parse_i64(s.p, s.n, out)) {
        size_t m = hrana__push_key(c, "last_insert_rowid");
        hrana__fail(c, HRANA_E_INVALID, "\"%.40s\" is not a 64-bit signed integer", s.p);
        hrana__pop(c, m);
        return -1;
    }
    *has = 1;
    return 0;
}

static int values(dctx *c, json_t *a, size_t n, lsql_value *out)
{
    for (size_t i = 0; i < n; i++) {
        size_t m = hrana__push_index(c, i);
        if (hrana__value(c, json_array_get(a, i), &out[i]))
            return -1;
        hrana__pop(c, m);
    }
    return 0;
}

static int stmt_result(dctx *c, json_t *v, hrana_stmt_result *r)
{
    memset(r, 0, sizeof *r);
    if (!json_is_object(v))
        return hrana__fail(c, HRANA_E_INVALID, "a statement result must be an object");
    json_t *rows;
    if (hrana__cols(c, v, "cols", &r->cols, &r->ncols) ||
        hrana__get_array(c, v, "rows", 1, c->lim->max_rows, "rows", &rows) ||
        hrana__get_u64(c, v, "affected_row_count", 1, &r->affected_row_count) ||
        rowid(c, v, &r->has_last_insert_rowid, &r->last_insert_rowid) ||
        hrana__get_u64(c, v, "rows_read", 0, &r->rows_read) ||
        hrana__get_u64(c, v, "rows_written", 0, &r->rows_written) ||
        hrana__get_double(c, v, "query_duration_ms", 0, &r->query_duration_ms))
        return -1;
    size_t nr = json_array_size(rows);
    if (nr && r->ncols && nr > SIZE_MAX / r->ncols / sizeof(lsql_value))
        return hrana__fail(c, HRANA_E_LIMIT, "result too large");
    size_t total = nr * r->ncols;
    r->rows = hrana_arena_alloc(c->arena, (total ? total : 1) * sizeof *r->rows);
    if (!r->rows)
        return hrana__fail(c, HRANA_E_NOMEM, "out of memory");
    size_t m = hrana__push_key(c, "rows");
    for (size_t i = 0; i < nr; i++) {
        size_t m2 = hrana__push_index(c, i);
        json_t *row = json_array_get(rows, i);
        if (!json_is_array(row))
            return hrana__fail(c, HRANA_E_INVALID, "a row must be an array");
        if (json_array_size(row) != r->ncols)
            return hrana__fail(c, HRANA_E_INVALID, "row has %zu values for %zu columns",
                               json_array_size(row), r->ncols);
        if (values(c, row, r->ncols, r->rows + i * r->ncols))
            return -1;
        hrana__pop(c, m2);
    }
    hrana__pop(c, m);
    r->nrows = nr;
    return 0;
}

static int batch_result(dctx *c, json_t *v, hrana_batch_result *r)
{
    memset(r, 0, sizeof *r);
    if (!json_is_object(v))
        return hrana__fail(c, HRANA_E_INVALID, "a batch result must be an object");
    json_t *res, *errs;
    if (hrana__get_array(c, v, "step_results", 1, c->lim->max_steps, "step results", &res) ||
        hrana__get_array(c, v, "step_errors", 1, c->lim->max_steps, "step errors", &errs))
        return -1;
    size_t n = json_array_size(res);
    if (json_array_size(errs) != n)
        return hrana__fail(c, HRANA_E_INVALID, "%zu step results but %zu step errors", n,
                           json_array_size(errs));
    r->step_results = hrana_arena_alloc(c->arena, (n ? n : 1) * sizeof *r->step_results);
    r->step_errors = hrana_arena_alloc(c->arena, (n ? n : 1) * sizeof *r->step_errors);
    if (!r->step_results || !r->step_errors)
        return hrana__fail(c, HRANA_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(res, i), *e = json_array_get(errs, i);
        size_t m = hrana__push_key(c, "step_results");
        size_t m2 = hrana__push_index(c, i);
        if (!json_is_null(x)) {
            r->step_results[i] = hrana_arena_alloc(c->arena, sizeof(hrana_stmt_result));
            if (!r->step_results[i])
                return hrana__fail(c, HRANA_E_NOMEM, "out of memory");
            if (stmt_result(c, x, r->step_results[i]))
                return -1;
        }
        hrana__pop(c, m2);
        hrana__pop(c, m);
        m = hrana__push_key(c, "step_errors");
        m2 = hrana__push_index(c, i);
        if (!json_is_null(e)) {
            r->step_errors[i] = hrana_arena_alloc(c->arena, sizeof(hrana_error));
            if (!r->step_errors[i])
                return hrana__fail(c, HRANA_E_NOMEM, "out of memory");
            if (hrana__error(c, e, r->step_errors[i]))
                return -1;
        }
        hrana__pop(c, m2);
        hrana__pop(c, m);
    }
    r->nsteps = n;
    return 0;
}

static int describe_result(dctx *c, json_t *v, hrana_describe_result *r)
{
    memset(r, 0, sizeof *r);
    if (!json_is_object(v))
        return hrana__fail(c, HRANA_E_INVALID, "a describe result must be an object");
    json_t *params;
    if (hrana__get_array(c, v, "params", 1, c->lim->max_args, "parameters", &params) ||
        hrana__cols(c, v, "cols", &r->cols, &r->ncols) ||
        hrana__get_bool(c, v, "is_explain", 1, &r->is_explain, NULL) ||
        hrana__get_bool(c, v, "is_readonly", 1, &r->is_readonly, NULL))
        return -1;
    size_t n = json_array_size(params);
    r->params = hrana_arena_alloc(c->arena, (n ? n : 1) * sizeof *r->params);
    if (!r->params)
        return hrana__fail(c, HRANA_E_NOMEM, "out of memory");
    size_t m = hrana__push_key(c, "params");
    for (size_t i = 0; i < n; i++) {
        size_t m2 = hrana__push_index(c, i);
        json_t *p = json_array_get(params, i);
        if (!json_is_object(p))
            return hrana__fail(c, HRANA_E_INVALID, "a parameter must be an object");
        if (hrana__get_string(c, p, "name", 0, c->lim->max_text, &r->params[i]))
            return -1;
        hrana__pop(c, m2);
    }
    hrana__pop(c, m);
    r->nparams = n;
    return 0;
}

static int response(dctx *c, json_t *v, hrana_response *r)
{
    memset(r, 0, sizeof *r);
    if (!json_is_object(v))
        return hrana__fail(c, HRANA_E_INVALID, "a response must be an object");
    const char *type;
    if (hrana__get_type(c, v, &type))
        return -1;
    int t = 0;
    for (int i = 1; i < HRANA_REQ_COUNT; i++)
        if (!strcmp(hrana_req_type_name(i), type))
            t = i;
    r->type = t;
    json_t *x;
    size_t m;
    switch (t) {
    case HRANA_REQ_EXECUTE:
    case HRANA_REQ_BATCH:
    case HRANA_REQ_DESCRIBE:
        if (hrana__get_object(c, v, "result", 1, &x))
            return -1;
        m = hrana__push_key(c, "result");
        if ((t == HRANA_REQ_EXECUTE && stmt_result(c, x, &r->stmt)) ||
            (t == HRANA_REQ_BATCH && batch_result(c, x, &r->batch)) ||
            (t == HRANA_REQ_DESCRIBE && describe_result(c, x, &r->describe)))
            return -1;
        hrana__pop(c, m);
        return 0;
    case HRANA_REQ_GET_AUTOCOMMIT:
        return hrana__get_bool(c, v, "is_autocommit", 1, &r->is_autocommit, NULL);
    case HRANA_REQ_SEQUENCE:
    case HRANA_REQ_STORE_SQL:
    case HRANA_REQ_CLOSE_SQL:
    case HRANA_REQ_CLOSE:
        return 0;
    default:
        return hrana__fail(c, HRANA_E_UNKNOWN_TYPE, "unknown response type \"%.40s\"", type);
    }
}

static int stream_result(dctx *c, json_t *v, hrana_stream_result *r)
{
    memset(r, 0, sizeof *r);
    if (!json_is_object(v))
        return hrana__fail(c, HRANA_E_INVALID, "a result must be an object");
    const char *type;
    if (hrana__get_type(c, v, &type))
        return -1;
    json_t *x;
    if (!strcmp(type, "ok")) {
        if (hrana__get_object(c, v, "response", 1, &x))
            return -1;
        size_t m = hrana__push_key(c, "response");
        if (response(c, x, &r->response))
            return -1;
        hrana__pop(c, m);
        return 0;
    }
    if (!strcmp(type, "error")) {
        r->is_error = 1;
        if (hrana__get_object(c, v, "error", 1, &x))
            return -1;
        size_t m = hrana__push_key(c, "error");
        if (hrana__error(c, x, &r->error))
            return -1;
        hrana__pop(c, m);
        return 0;
    }
    return hrana__fail(c, HRANA_E_UNKNOWN_TYPE, "unknown result type \"%.40s\"", type);
}

/* Shared start of every decoder: parse + arena. */
static json_t *begin(const char *body, size_t len, const hrana_limits *lim, hrana_status *st,
                     hrana_arena **arena)
{
    json_t *root = hrana__load(body, len, lim, st);
    if (!root)
        return NULL;
    *arena = hrana_arena_new();
    if (!*arena) {
        json_decref(root);
        st->code = HRANA_E_NOMEM;
        snprintf(st->message, sizeof st->message, "out of memory");
        return NULL;
    }
    return root;
}

int hrana_decode_pipeline_resp(const char *body, size_t len, const hrana_limits *lim,
                               hrana_pipeline_resp *out, hrana_status *st)
{
    memset(out, 0, sizeof *out);
    hrana_arena *arena;
    json_t *root = begin(body, len, lim, st, &arena);
    if (!root)
        return st->code;
    dctx c;
    hrana__ctx_init(&c, lim, arena, st);
    json_t *res;
    int rc = -1;
    if (hrana__get_string(&c, root, "baton", 0, lim->max_text, &out->baton) ||
        hrana__get_string(&c, root, "base_url", 0, lim->max_text, &out->base_url) ||
        hrana__get_array(&c, root, "results", 1, lim->max_requests, "results", &res))
        goto done;
    size_t n = json_array_size(res);
    out->results = hrana_arena_alloc(arena, (n ? n : 1) * sizeof *out->results);
    if (!out->results) {
        hrana__fail(&c, HRANA_E_NOMEM, "out of memory");
        goto done;
    }
    size_t m = hrana__push_key(&c, "results");
    for (size_t i = 0; i < n; i++) {
        size_t m2 = hrana__push_index(&c, i);
        if (stream_result(&c, json_array_get(res, i), &out->results[i]))
            goto done;
        hrana__pop(&c, m2);
    }
    hrana__pop(&c, m);
    out->nresults = n;
    rc = 0;
done:
    json_decref(root);
    if (rc) {
        hrana_arena_free(arena);
        memset(out, 0, sizeof *out);
        return st->code;
    }
    out->arena = arena;
    return HRANA_OK;
}

void hrana_pipeline_resp_free(hrana_pipeline_resp *r)
{
    if (!r)
        return;
    hrana_arena_free(r->arena);
    memset(r, 0, sizeof *r);
}

int hrana_decode_cursor_head(const char *line, size_t len, const hrana_limits *lim,
                             hrana_cursor_head *out, hrana_status *st)
{
    memset(out, 0, sizeof *out);
    hrana_arena *arena;
    json_t *root = begin(line, len, lim, st, &arena);
    if (!root)
        return st->code;
    dctx c;
    hrana__ctx_init(&c, lim, arena, st);
    int rc = hrana__get_string(&c, root, "baton", 0, lim->max_text, &out->baton) ||
             hrana__get_string(&c, root, "base_url", 0, lim->max_text, &out->base_url);
    json_decref(root);
    if (rc) {
        hrana_arena_free(arena);
        memset(out, 0, sizeof *out);
        return st->code;
    }
    out->arena = arena;
    return HRANA_OK;
}

void hrana_cursor_head_free(hrana_cursor_head *h)
{
    if (!h)
        return;
    hrana_arena_free(h->arena);
    memset(h, 0, sizeof *h);
}

static int entry(dctx *c, json_t *v, hrana_cursor_entry *e)
{
    const char *type;
    if (hrana__get_type(c, v, &type))
        return -1;
    json_t *x;
    if (!strcmp(type, "step_begin")) {
        e->type = HRANA_ENTRY_STEP_BEGIN;
        return hrana__get_u32(c, v, "step", 1, &e->step) ||
                       hrana__cols(c, v, "cols", &e->cols, &e->ncols)
                   ? -1
                   : 0;
    }
    if (!strcmp(type, "step_end")) {
        e->type = HRANA_ENTRY_STEP_END;
        return hrana__get_u64(c, v, "affected_row_count", 1, &e->affected_row_count) ||
                       rowid(c, v, &e->has_last_insert_rowid, &e->last_insert_rowid)
                   ? -1
                   : 0;
    }
    if (!strcmp(type, "row")) {
        e->type = HRANA_ENTRY_ROW;
        if (hrana__get_array(c, v, "row", 1, c->lim->max_cols, "values", &x))
            return -1;
        size_t n = json_array_size(x);
        e->row = hrana_arena_alloc(c->arena, (n ? n : 1) * sizeof *e->row);
        if (!e->row)
            return hrana__fail(c, HRANA_E_NOMEM, "out of memory");
        size_t m = hrana__push_key(c, "row");
        if (values(c, x, n, e->row))
            return -1;
        hrana__pop(c, m);
        e->nrow = n;
        return 0;
    }
    if (!strcmp(type, "step_error") || !strcmp(type, "error")) {
        e->type = type[0] == 's' ? HRANA_ENTRY_STEP_ERROR : HRANA_ENTRY_ERROR;
        if (e->type == HRANA_ENTRY_STEP_ERROR && hrana__get_u32(c, v, "step", 1, &e->step))
            return -1;
        if (hrana__get_object(c, v, "error", 1, &x))
            return -1;
        size_t m = hrana__push_key(c, "error");
        if (hrana__error(c, x, &e->error))
            return -1;
        hrana__pop(c, m);
        return 0;
    }
    return hrana__fail(c, HRANA_E_UNKNOWN_TYPE, "unknown cursor entry type \"%.40s\"", type);
}

int hrana_decode_cursor_entry(const char *line, size_t len, const hrana_limits *lim,
                              hrana_cursor_entry *out, hrana_status *st)
{
    memset(out, 0, sizeof *out);
    hrana_arena *arena;
    json_t *root = begin(line, len, lim, st, &arena);
    if (!root)
        return st->code;
    dctx c;
    hrana__ctx_init(&c, lim, arena, st);
    int rc = entry(&c, root, out);
    json_decref(root);
    if (rc) {
        hrana_arena_free(arena);
        memset(out, 0, sizeof *out);
        return st->code;
    }
    out->arena = arena;
    return HRANA_OK;
}

void hrana_cursor_entry_free(hrana_cursor_entry *e)
{
    if (!e)
        return;
    hrana_arena_free(e->arena);
    memset(e, 0, sizeof *e);
}
