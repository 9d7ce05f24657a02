/* pb_decode_resp.c -- decoding protobuf responses (the client direction):
 * PipelineRespBody, statement/batch/describe results and cursor items
 * (the checks of decode_resp.c). */
#include "pb_int.h"

#include <string.h>

/* A Row of a statement result into out (room for *arg values: a row must
 * have as many values as the result has columns). */
static int row(pbctx *c, const unsigned char *p, size_t n, void *out, void *arg)
{
    size_t want = *(const size_t *)arg, k;
    if (hrana__pb_count_field(c, p, n, HRANA_PB_ROW_VALUES, &k))
        return -1;
    if (k != want)
        return hrana__fail(&c->d, HRANA_E_INVALID, "row has %zu values for %zu columns", k, want);
    return hrana__pb_items(c, p, n, HRANA_PB_ROW_VALUES, NULL, out, sizeof(lsql_value), k,
                           hrana__pb_value, NULL, &k);
}

static int stmt_result(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    hrana_stmt_result *out = outp;
    memset(out, 0, sizeof *out);
    size_t nr;
    out->cols = hrana__pb_cols(c, p, n, HRANA_PB_RESULT_COLS, "cols", &out->ncols);
    if (!out->cols || hrana__pb_count_field(c, p, n, HRANA_PB_RESULT_ROWS, &nr) ||
        hrana__pb_count(c, nr, c->d.lim->max_rows, "rows", "rows"))
        return -1;
    size_t nc = out->ncols;
    if (nr && nc && nr > SIZE_MAX / nc / sizeof(lsql_value))
        return hrana__fail(&c->d, HRANA_E_LIMIT, "result too large");
    /* a row takes at least 2 bytes, and so does each of its nc values (an
     * empty Value is invalid): rows that cannot fit in the n bytes are
     * refused before room for them is allocated (4096 empty columns and
     * 2-byte empty rows would cost 64 KiB of values per row) */
    if (nc && nr > n / 2 / (nc + 1))
        return hrana__fail_at(&c->d, "rows", HRANA_E_INVALID,
                              "%zu rows of %zu values do not fit in %zu bytes", nr, nc, n);
    out->rows = hrana__alloc_n(&c->d, nr * nc, sizeof *out->rows);
    if (!out->rows || hrana__pb_items(c, p, n, HRANA_PB_RESULT_ROWS, "rows", out->rows,
                                      nc * sizeof *out->rows, nr, row, &nc, &out->nrows))
        return -1;
    pb_reader r;
    pb_field f;
    int rc = 0, bad = 0;
    pb_reader_init(&r, p, n);
    while (!bad && (rc = hrana__pb_next(c, &r, &f)) > 0) {
        switch (f.num) {
        case HRANA_PB_RESULT_AFFECTED:
            bad = hrana__pb_u64(c, &f, "affected_row_count", &out->affected_row_count);
            break;
        case HRANA_PB_RESULT_LAST_INSERT_ROWID:
            bad = hrana__pb_s64(c, &f, "last_insert_rowid", &out->last_insert_rowid);
            out->has_last_insert_rowid = 1;
            break;
        case HRANA_PB_RESULT_ROWS_READ:
            bad = hrana__pb_u64(c, &f, "rows_read", &out->rows_read);
            break;
        case HRANA_PB_RESULT_ROWS_WRITTEN:
            bad = hrana__pb_u64(c, &f, "rows_written", &out->rows_written);
            break;
        case HRANA_PB_RESULT_DURATION_MS:
            bad = hrana__pb_double(c, &f, "query_duration_ms", &out->query_duration_ms);
            break;
        default:
            break;
        }
    }
    return bad ? -1 : rc;
}

/* The key of a map entry (BatchResult.step_results/step_errors): field 1,
 * 0 when absent; fails at key[...] unless below max_steps. */
static int entry_key(pbctx *c, const pb_field *e, const char *key, uint32_t *out)
{
    if (hrana__pb_want(c, e, HRANA_PB_LEN, key))
        return -1;
    pb_reader r;
    pb_field f;
    int rc;
    *out = 0;
    pb_reader_init(&r, e->p, e->n);
    while ((rc = hrana__pb_next(c, &r, &f)) > 0)
        if (f.num == HRANA_PB_MAP_KEY && hrana__pb_u32(c, &f, key, out))
            return -1;
    if (rc < 0)
        return -1;
    if (*out >= c->d.lim->max_steps)
        return hrana__fail_at(&c->d, key, HRANA_E_LIMIT,
                              "step %u is past the limit of %zu steps", *out,
                              c->d.lim->max_steps);
    return 0;
}

typedef struct map_arg {
    pb_fn fn;    /* reader of the value */
    size_t size; /* its structure */
} map_arg;

/* A map entry's value into a new structure at *(void **)out (the default
 * one when the entry has no value, as protobuf says). */
static int map_value(pbctx *c, const unsigned char *p, size_t n, void *out, void *arg)
{
    const map_arg *m = arg;
    pb_field v;
    if (hrana__pb_last(c, p, n, HRANA_PB_MAP_VALUE, &v))
        return -1;
    void *x = hrana__alloc_n(&c->d, 1, m->size);
    if (!x)
        return -1;
    *(void **)out = x;
    if (v.num)
        return hrana__pb_sub(c, NULL, &v, x, m->fn, NULL);
    static const unsigned char none[1];
    return m->fn(c, none, 0, x, NULL);
}

static int batch_result(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    hrana_batch_result *out = outp;
    memset(out, 0, sizeof *out);
    static const char *const keys[3] = {NULL, "step_results", "step_errors"};
    pb_reader r;
    pb_field f;
    int rc;
    uint32_t k;
    size_t nsteps = 0;
    pb_reader_init(&r, p, n);
    while ((rc = hrana__pb_next(c, &r, &f)) > 0) {
        if (f.num != HRANA_PB_BATCH_STEP_RESULTS && f.num != HRANA_PB_BATCH_STEP_ERRORS)
            continue;
        if (entry_key(c, &f, keys[f.num], &k))
            return -1;
        if ((size_t)k + 1 > nsteps)
            nsteps = (size_t)k + 1;
    }
    if (rc < 0)
        return -1;
    out->step_results = hrana__alloc_n(&c->d, nsteps, sizeof *out->step_results);
    out->step_errors = out->step_results ? hrana__alloc_n(&c->d, nsteps, sizeof *out->step_errors)
                                         : NULL;
    if (!out->step_errors)
        return -1;
    map_arg results = {stmt_result, sizeof(hrana_stmt_result)};
    map_arg errors = {hrana__pb_error, sizeof(hrana_error)};
    pb_reader_init(&r, p, n);
    while ((rc = hrana__pb_next(c, &r, &f)) > 0) {
        int is_result = f.num == HRANA_PB_BATCH_STEP_RESULTS;
        if (!is_result && f.num != HRANA_PB_BATCH_STEP_ERRORS)
            continue;
        void *x = NULL;
        if (entry_key(c, &f, keys[f.num], &k) ||
            hrana__pb_item(c, keys[f.num], k, &f, &x, map_value, is_result ? &results : &errors))
            return -1;
        /* a repeated key: the last entry wins */
        if (is_result)
            out->step_results[k] = x;
        else
            out->step_errors[k] = x;
    }
    if (rc < 0)
        return -1;
    out->nsteps = nsteps;
    return 0;
}

static int param(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    hrana_str *out = outp;
    pb_reader r;
    pb_field f;
    int rc;
    pb_reader_init(&r, p, n);
    while ((rc = hrana__pb_next(c, &r, &f)) > 0)
        if (f.num == HRANA_PB_DESCRIBE_PARAM_NAME &&
            hrana__pb_str(c, &f, "name", c->d.lim->max_text, out))
            return -1;
    return rc;
}

static int describe_result(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    hrana_describe_result *out = outp;
    memset(out, 0, sizeof *out);
    out->params = hrana__pb_list(c, p, n, HRANA_PB_DESCRIBE_PARAMS, "params", c->d.lim->max_args,
                                 "parameters", sizeof *out->params, param, NULL, &out->nparams);
    if (!out->params)
        return -1;
    out->cols = hrana__pb_cols(c, p, n, HRANA_PB_DESCRIBE_COLS, "cols", &out->ncols);
    if (!out->cols)
        return -1;
    pb_reader r;
    pb_field f;
    int rc;
    pb_reader_init(&r, p, n);
    while ((rc = hrana__pb_next(c, &r, &f)) > 0) {
        switch (f.num) {
        case HRANA_PB_DESCRIBE_IS_EXPLAIN:
            if (hrana__pb_bool(c, &f, "is_explain", &out->is_explain))
                return -1;
            break;
        case HRANA_PB_DESCRIBE_IS_READONLY:
            if (hrana__pb_bool(c, &f, "is_readonly", &out->is_readonly))
                return -1;
            break;
        default:
            break;
        }
    }
    return rc;
}

/* Execute/Batch/Describe responses: the result in field 1 (required, as in
 * JSON); GetAutocommit: is_autocommit (proto3: absent is false). */
static int response_kind(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    hrana_response *out = outp;
    pb_field inner;
    if (hrana__pb_last(c, p, n, HRANA_PB_INNER, &inner))
        return -1;
    switch (out->type) {
    case HRANA_REQ_EXECUTE:
    case HRANA_REQ_BATCH:
    case HRANA_REQ_DESCRIBE:
        if (!inner.num)
            return hrana__pb_missing(c, "result");
        return out->type == HRANA_REQ_EXECUTE
                   ? hrana__pb_sub(c, "result", &inner, &out->stmt, stmt_result, NULL)
               : out->type == HRANA_REQ_BATCH
                   ? hrana__pb_sub(c, "result", &inner, &out->batch, batch_result, NULL)
                   : hrana__pb_sub(c, "result", &inner, &out->describe, describe_result, NULL);
    case HRANA_REQ_GET_AUTOCOMMIT:
        return inner.num ? hrana__pb_bool(c, &inner, "is_autocommit", &out->is_autocommit) : 0;
    default:
        return 0;
    }
}

static int response(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    hrana_response *out = outp;
    pb_field last;
    unsigned other;
    memset(out, 0, sizeof *out);
    if (hrana__pb_oneof(c, p, n, HRANA_PB_REQ_GET_AUTOCOMMIT + 1, &last, &other))
        return -1;
    out->type = hrana_pb_req_type(last.num);
    if (!out->type)
        return hrana__pb_no_kind(c, "response", other);
    return hrana__pb_sub(c, NULL, &last, out, response_kind, NULL);
}

static int stream_result(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    hrana_stream_result *out = outp;
    pb_field last;
    unsigned other;
    memset(out, 0, sizeof *out);
    if (hrana__pb_oneof(c, p, n, HRANA_PB_STREAM_RESULT_ERROR + 1, &last, &other))
        return -1;
    if (last.num == HRANA_PB_STREAM_RESULT_OK)
        return hrana__pb_sub(c, "response", &last, &out->response, response, NULL);
    if (last.num == HRANA_PB_STREAM_RESULT_ERROR) {
        out->is_error = 1;
        return hrana__pb_sub(c, "error", &last, &out->error, hrana__pb_error, NULL);
    }
    return hrana__pb_no_kind(c, "result", other);
}

static int pipeline_resp(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    hrana_pipeline_resp *out = outp;
    pb_reader r;
    pb_field f;
    int rc;
    pb_reader_init(&r, p, n);
    while ((rc = hrana__pb_next(c, &r, &f)) > 0)
        if (hrana__pb_head_field(c, &f, &out->baton, &out->base_url))
            return -1;
    if (rc < 0)
        return -1;
    out->results = hrana__pb_list(c, p, n, HRANA_PB_PIPELINE_RESP_RESULTS, "results",
                                  c->d.lim->max_requests, "results", sizeof *out->results,
                                  stream_result, NULL, &out->nresults);
    return out->results ? 0 : -1;
}

int hrana_pb_decode_pipeline_resp(const void *body, size_t len, const hrana_limits *lim,
                                  hrana_pipeline_resp *out, hrana_status *st)
{
    return hrana__pb_decode_owned(body, len, lim, st, out, sizeof *out, &out->arena,
                                  pipeline_resp);
}

