/* decode_resp.c -- decoding responses (the client direction): pipeline
 * responses, statement/batch/describe results and cursor lines. */
#include "decode_int.h"

#include <string.h>

static int rowid(dctx *c, json_t *obj, int *has, int64_t *out)
{
    hrana_str s;
    *has = 0;
    if (hrana__get_string(c, obj, "last_insert_rowid", 0, 64, &s))
        return -1;
    if (!s.p)
        return 0;
    if (hrana__parse_i64_at(c, "last_insert_rowid", s.p, s.n, out))
        return -1;
    *has = 1;
    return 0;
}

/* A row of a statement result; arg: the number of columns (a size_t). */
static int row(dctx *c, json_t *v, void *out, void *arg)
{
    size_t ncols = *(const size_t *)arg;
    if (!json_is_array(v))
        return hrana__fail(c, HRANA_E_INVALID, "a row must be an array");
    if (json_array_size(v) != ncols)
        return hrana__fail(c, HRANA_E_INVALID, "row has %zu values for %zu columns",
                           json_array_size(v), ncols);
    return hrana__read_items(c, NULL, v, out, sizeof(lsql_value), hrana__value, NULL);
}

static int stmt_result(dctx *c, json_t *v, void *outp, void *arg)
{
    (void)arg;
    hrana_stmt_result *r = outp;
    memset(r, 0, sizeof *r);
    json_t *rows;
    if (hrana__need_object(c, v, "a statement result") ||
        hrana__cols(c, v, "cols", &r->cols, &r->ncols) ||
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
    r->rows = hrana__alloc_n(c, nr * r->ncols, sizeof *r->rows);
    if (!r->rows ||
        hrana__read_items(c, "rows", rows, r->rows, r->ncols * sizeof *r->rows, row, &r->ncols))
        return -1;
    r->nrows = nr;
    return 0;
}

/* Element i of a nullable array at key: *slot stays NULL for null. */
static int nullable_at(dctx *c, const char *key, size_t i, json_t *v, void **slot, size_t size,
                       hrana__reader fn)
{
    size_t m = hrana__push_key(c, key);
    size_t m2 = hrana__push_index(c, i);
    if (!json_is_null(v)) {
        *slot = hrana__alloc_n(c, 1, size);
        if (!*slot || fn(c, v, *slot, NULL))
            return -1;
    }
    hrana__pop(c, m2);
    hrana__pop(c, m);
    return 0;
}

static int batch_result(dctx *c, json_t *v, void *outp, void *arg)
{
    (void)arg;
    hrana_batch_result *r = outp;
    memset(r, 0, sizeof *r);
    json_t *res, *errs;
    if (hrana__need_object(c, v, "a batch result") ||
        hrana__get_array(c, v, "step_results", 1, c->lim->max_steps, "step results", &res) ||
        hrana__get_array(c, v, "step_errors", 1, c->lim->max_steps, "step errors", &errs))
        return -1;
    size_t n = json_array_size(res);
    if (json_array_size(errs) != n)
        return hrana__fail(c, HRANA_E_INVALID, "%zu step results but %zu step errors", n,
                           json_array_size(errs));
    r->step_results = hrana__alloc_n(c, n, sizeof *r->step_results);
    r->step_errors = r->step_results ? hrana__alloc_n(c, n, sizeof *r->step_errors) : NULL;
    if (!r->step_errors)
        return -1;
    for (size_t i = 0; i < n; i++) {
        void *x = NULL, *e = NULL;
        if (nullable_at(c, "step_results", i, json_array_get(res, i), &x,
                        sizeof(hrana_stmt_result), stmt_result) ||
            nullable_at(c, "step_errors", i, json_array_get(errs, i), &e, sizeof(hrana_error),
                        hrana__error))
            return -1;
        r->step_results[i] = x;
        r->step_errors[i] = e;
    }
    r->nsteps = n;
    return 0;
}

static int param(dctx *c, json_t *p, void *out, void *arg)
{
    (void)arg;
    if (hrana__need_object(c, p, "a parameter"))
        return -1;
    return hrana__get_string(c, p, "name", 0, c->lim->max_text, out);
}

static int describe_result(dctx *c, json_t *v, void *outp, void *arg)
{
    (void)arg;
    hrana_describe_result *r = outp;
    memset(r, 0, sizeof *r);
    json_t *params;
    if (hrana__need_object(c, v, "a describe result") ||
        hrana__get_array(c, v, "params", 1, c->lim->max_args, "parameters", &params) ||
        hrana__cols(c, v, "cols", &r->cols, &r->ncols) ||
        hrana__get_bool(c, v, "is_explain", 1, &r->is_explain, NULL) ||
        hrana__get_bool(c, v, "is_readonly", 1, &r->is_readonly, NULL))
        return -1;
    r->params = hrana__list_of(c, "params", params, sizeof *r->params, param, NULL, &r->nparams);
    return r->params ? 0 : -1;
}

/* The "result" of a response whose type is already known. */
static int response_result(dctx *c, json_t *x, void *outp, void *arg)
{
    (void)arg;
    hrana_response *r = outp;
    switch (r->type) {
    case HRANA_REQ_EXECUTE: return stmt_result(c, x, &r->stmt, NULL);
    case HRANA_REQ_BATCH: return batch_result(c, x, &r->batch, NULL);
    default: return describe_result(c, x, &r->describe, NULL);
    }
}

static int response(dctx *c, json_t *v, void *outp, void *arg)
{
    (void)arg;
    hrana_response *r = outp;
    memset(r, 0, sizeof *r);
    const char *type;
    if (hrana__need_object(c, v, "a response") || hrana__get_type(c, v, &type))
        return -1;
    int t = 0;
    for (int i = 1; i < HRANA_REQ_COUNT; i++)
        if (!strcmp(hrana_req_type_name(i), type))
            t = i;
    r->type = t;
    switch (t) {
    case HRANA_REQ_EXECUTE:
    case HRANA_REQ_BATCH:
    case HRANA_REQ_DESCRIBE:
        return hrana__get_sub(c, v, "result", r, response_result, NULL);
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

static int stream_result(dctx *c, json_t *v, void *outp, void *arg)
{
    (void)arg;
    hrana_stream_result *r = outp;
    memset(r, 0, sizeof *r);
    const char *type;
    if (hrana__need_object(c, v, "a result") || hrana__get_type(c, v, &type))
        return -1;
    if (!strcmp(type, "ok"))
        return hrana__get_sub(c, v, "response", &r->response, response, NULL);
    if (!strcmp(type, "error")) {
        r->is_error = 1;
        return hrana__get_sub(c, v, "error", &r->error, hrana__error, NULL);
    }
    return hrana__fail(c, HRANA_E_UNKNOWN_TYPE, "unknown result type \"%.40s\"", type);
}

/* baton and base_url, the head of both kinds of response. */
static int head(dctx *c, json_t *root, hrana_str *baton, hrana_str *base_url)
{
    return hrana__get_string(c, root, "baton", 0, c->lim->max_text, baton) ||
                   hrana__get_string(c, root, "base_url", 0, c->lim->max_text, base_url)
               ? -1
               : 0;
}

static int pipeline_resp(dctx *c, json_t *root, void *outp, void *arg)
{
    (void)arg;
    hrana_pipeline_resp *out = outp;
    if (head(c, root, &out->baton, &out->base_url))
        return -1;
    out->results = hrana__get_list(c, root, "results", c->lim->max_requests, "results",
                                   sizeof *out->results, stream_result, NULL, &out->nresults);
    return out->results ? 0 : -1;
}

/* hrana_decode_pipeline_resp(), hrana_pipeline_resp_free() */
HRANA_OWNED_DECODER(pipeline_resp, pipeline_resp)

static int cursor_head(dctx *c, json_t *root, void *outp, void *arg)
{
    (void)arg;
    hrana_cursor_head *out = outp;
    return head(c, root, &out->baton, &out->base_url);
}

/* hrana_decode_cursor_head(), hrana_cursor_head_free() */
HRANA_OWNED_DECODER(cursor_head, cursor_head)

static int entry(dctx *c, json_t *v, void *outp, void *arg)
{
    (void)arg;
    hrana_cursor_entry *e = outp;
    const char *type;
    if (hrana__get_type(c, v, &type))
        return -1;
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
        e->row = hrana__get_list(c, v, "row", c->lim->max_cols, "values", sizeof *e->row,
                                 hrana__value, NULL, &e->nrow);
        return e->row ? 0 : -1;
    }
    if (!strcmp(type, "step_error") || !strcmp(type, "error")) {
        e->type = type[0] == 's' ? HRANA_ENTRY_STEP_ERROR : HRANA_ENTRY_ERROR;
        if (e->type == HRANA_ENTRY_STEP_ERROR && hrana__get_u32(c, v, "step", 1, &e->step))
            return -1;
        return hrana__get_sub(c, v, "error", &e->error, hrana__error, NULL);
    }
    return hrana__fail(c, HRANA_E_UNKNOWN_TYPE, "unknown cursor entry type \"%.40s\"", type);
}

/* hrana_decode_cursor_entry(), hrana_cursor_entry_free() */
HRANA_OWNED_DECODER(cursor_entry, entry)
