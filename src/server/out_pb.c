/* out_pb.c -- lsqld's answers in protobuf (POST /v3-protobuf/pipeline and
 * /v3-protobuf/cursor; the schema and field numbers are in hrana_pb.h),
 * written as they are produced, with the codec's wire pieces.
 *
 * Fields may come in any order, so the pipeline's results are written first
 * and its baton (field 1) last, once known; base_url is never written.
 * Scalars of the schema are written even when zero (valid protobuf, and
 * what the JSON answers say); optional fields only when set, like the JSON
 * nulls; lsqld's StmtResult extras (rows_read, rows_written,
 * query_duration_ms) only when non-zero. Strings are valid UTF-8 (bad bytes
 * become U+FFFD, as in JSON). A cursor body is a sequence of
 * length-delimited items: the CursorRespBody, then CursorEntry messages. */
#include "out.h"
#include "hrana_pb.h"

#include <string.h>

/* Strings are written with the codec's text writers, which repair invalid
 * UTF-8 (text from the database, names and messages that echo a client's
 * bytes) with U+FFFD, as in the JSON answers. */

/* ---- requests ------------------------------------------------------------- */

static int decode_pipeline(const char *body, size_t len, const hrana_limits *lim,
                           hrana_pipeline_req *out, hrana_status *st)
{
    return hrana_pb_decode_pipeline_req(body ? body : "", len, lim, out, st);
}

static int decode_cursor(const char *body, size_t len, const hrana_limits *lim,
                         hrana_cursor_req *out, hrana_status *st)
{
    return hrana_pb_decode_cursor_req(body ? body : "", len, lim, out, st);
}

/* The codec reports malformed protobuf as HRANA_E_JSON. */
static const char *status_name(int code)
{
    return code == HRANA_E_JSON ? "PROTOBUF_INVALID" : hrana_status_name(code);
}

static void pipeline_begin(hrana_buf *b, size_t *slot)
{
    *slot = b->len; /* no slot: the baton is a field of its own */
}

static void result_next(hrana_buf *b, size_t i)
{
    (void)b;
    (void)i;
}

static void pipeline_end(hrana_buf *b, size_t slot, const char *baton, size_t n)
{
    (void)slot;
    if (baton)
        hrana_pb_put_bytes(b, HRANA_PB_PIPELINE_RESP_BATON, baton, n);
}

static int has_result(int type)
{
    return type == HRANA_REQ_EXECUTE || type == HRANA_REQ_BATCH || type == HRANA_REQ_DESCRIBE;
}

/* results { ok { <kind> { [result { ... }] } } } */
static void ok_begin(hrana_buf *b, int type, lsqld_out_mark *m)
{
    m->at = b->len;
    m->n = 0;
    m->overflow = b->overflow;
    m->m[m->n++] = hrana_pb_begin(b, HRANA_PB_PIPELINE_RESP_RESULTS);
    m->m[m->n++] = hrana_pb_begin(b, HRANA_PB_STREAM_RESULT_OK);
    /* the inner message even when empty: the field number is the answer */
    m->m[m->n++] = hrana_pb_begin(b, hrana_pb_req_field(type));
    if (has_result(type))
        m->m[m->n++] = hrana_pb_begin(b, HRANA_PB_INNER);
}

static void is_autocommit(hrana_buf *b, int ac)
{
    hrana_pb_put_bool(b, HRANA_PB_AUTOCOMMIT, ac);
}

static void ok_end(hrana_buf *b, lsqld_out_mark *m)
{
    while (m->n > 0)
        hrana_pb_end(b, m->m[--m->n]);
}

static void error_result(hrana_buf *b, const char *message, const char *code)
{
    size_t r = hrana_pb_begin(b, HRANA_PB_PIPELINE_RESP_RESULTS);
    hrana_pb_put_error(b, HRANA_PB_STREAM_RESULT_ERROR, message, code);
    hrana_pb_end(b, r);
}

/* ---- statements ------------------------------------------------------------ */

static void put_cols(hrana_buf *b, unsigned field, lsql_stmt *st, int ncols)
{
    for (int i = 0; i < ncols; i++)
        hrana_pb_put_col(b, field, lsql_column_name(st, i), lsql_column_decltype(st, i));
}

/* A Row message in `field`. */
static int put_row(hrana_buf *b, unsigned field, lsql_stmt *st, int ncols)
{
    size_t m = hrana_pb_begin(b, field);
    for (int i = 0; i < ncols; i++) {
        lsql_value v;
        if (lsql_column_value(st, i, &v) != LSQL_OK)
            return -1;
        hrana_pb_put_value(b, HRANA_PB_ROW_VALUES, &v);
    }
    hrana_pb_end(b, m);
    return 0;
}

static void result_head(hrana_buf *b, lsql_stmt *st, int ncols)
{
    put_cols(b, HRANA_PB_RESULT_COLS, st, ncols);
}

static int result_row(hrana_buf *b, lsql_stmt *st, int ncols, size_t i)
{
    (void)i;
    return put_row(b, HRANA_PB_RESULT_ROWS, st, ncols);
}

static void result_tail(hrana_buf *b, const lsqld_out_end *e)
{
    hrana_pb_put_uint(b, HRANA_PB_RESULT_AFFECTED, (uint64_t)e->affected);
    if (e->has_rowid)
        hrana_pb_put_sint(b, HRANA_PB_RESULT_LAST_INSERT_ROWID, e->rowid);
    /* rows_read and rows_written are always 0 */
    if (e->duration_ms)
        hrana_pb_put_double(b, HRANA_PB_RESULT_DURATION_MS, (double)e->duration_ms);
}

/* ---- batches: two maps, entries {key, value} only for steps that have one -- */

static void batch_begin(hrana_buf *b)
{
    (void)b;
}

static void step_begin(hrana_buf *b, uint32_t i, lsqld_out_mark *m)
{
    m->at = b->len;
    m->n = 0;
    m->overflow = b->overflow;
    m->m[m->n++] = hrana_pb_begin(b, HRANA_PB_BATCH_STEP_RESULTS);
    hrana_pb_put_uint(b, HRANA_PB_MAP_KEY, i);
    m->m[m->n++] = hrana_pb_begin(b, HRANA_PB_MAP_VALUE);
}

static void step_ok(hrana_buf *b, lsqld_out_mark *m)
{
    while (m->n > 0)
        hrana_pb_end(b, m->m[--m->n]);
}

/* Drops the entry's head (truncating would also forget an earlier overflow,
 * which must reach the request's RESPONSE_TOO_LARGE check). */
static void step_none(hrana_buf *b, lsqld_out_mark *m)
{
    if (!m->overflow)
        hrana_buf_truncate(b, m->at);
    m->n = 0;
}

static void errors_begin(hrana_buf *b)
{
    (void)b;
}

static void step_error(hrana_buf *b, uint32_t i, const char *message, const char *code)
{
    if (!message)
        return;
    size_t m = hrana_pb_begin(b, HRANA_PB_BATCH_STEP_ERRORS);
    hrana_pb_put_uint(b, HRANA_PB_MAP_KEY, i);
    hrana_pb_put_error(b, HRANA_PB_MAP_VALUE, message, code);
    hrana_pb_end(b, m);
}

static void batch_end(hrana_buf *b)
{
    (void)b;
}

static void describe(hrana_buf *b, lsql_stmt *st, int is_explain, int is_readonly)
{
    int pc = lsql_param_count(st);
    for (int i = 1; i <= pc; i++) {
        size_t m = hrana_pb_begin(b, HRANA_PB_DESCRIBE_PARAMS);
        hrana_pb_put_cstr(b, HRANA_PB_DESCRIBE_PARAM_NAME, lsql_param_name(st, i));
        hrana_pb_end(b, m);
    }
    int nc = lsql_column_count(st);
    for (int i = 0; i < nc; i++) {
        const char *name = lsql_column_name(st, i);
        hrana_pb_put_col(b, HRANA_PB_DESCRIBE_COLS, name ? name : "",
                         lsql_column_decltype(st, i));
    }
    hrana_pb_put_bool(b, HRANA_PB_DESCRIBE_IS_EXPLAIN, is_explain);
    hrana_pb_put_bool(b, HRANA_PB_DESCRIBE_IS_READONLY, is_readonly);
}

/* ---- cursors: length-delimited items ---------------------------------------- */

static void cursor_head(hrana_buf *b, const char *baton, size_t n)
{
    size_t it = hrana_pb_item_begin(b);
    hrana_pb_put_bytes(b, HRANA_PB_CURSOR_RESP_BATON, baton, n);
    hrana_pb_item_end(b, it);
}

static void cursor_step_begin(hrana_buf *b, uint32_t step, lsql_stmt *st, int ncols)
{
    size_t it = hrana_pb_item_begin(b);
    size_t m = hrana_pb_begin(b, HRANA_PB_ENTRY_STEP_BEGIN);
    hrana_pb_put_uint(b, HRANA_PB_STEP_BEGIN_STEP, step);
    put_cols(b, HRANA_PB_STEP_BEGIN_COLS, st, ncols);
    hrana_pb_end(b, m);
    hrana_pb_item_end(b, it);
}

static int cursor_row(hrana_buf *b, lsql_stmt *st, int ncols)
{
    size_t it = hrana_pb_item_begin(b);
    if (put_row(b, HRANA_PB_ENTRY_ROW, st, ncols))
        return -1;
    hrana_pb_item_end(b, it);
    return 0;
}

static void cursor_step_end(hrana_buf *b, const lsqld_out_end *e)
{
    size_t it = hrana_pb_item_begin(b);
    size_t m = hrana_pb_begin(b, HRANA_PB_ENTRY_STEP_END);
    hrana_pb_put_uint(b, HRANA_PB_STEP_END_AFFECTED, (uint64_t)e->affected);
    if (e->has_rowid)
        hrana_pb_put_sint(b, HRANA_PB_STEP_END_LAST_INSERT_ROWID, e->rowid);
    hrana_pb_end(b, m);
    hrana_pb_item_end(b, it);
}

static void cursor_step_error(hrana_buf *b, uint32_t step, const char *message, const char *code)
{
    size_t it = hrana_pb_item_begin(b);
    size_t m = hrana_pb_begin(b, HRANA_PB_ENTRY_STEP_ERROR);
    hrana_pb_put_uint(b, HRANA_PB_STEP_ERROR_STEP, step);
    hrana_pb_put_error(b, HRANA_PB_STEP_ERROR_ERROR, message, code);
    hrana_pb_end(b, m);
    hrana_pb_item_end(b, it);
}

const lsqld_out lsqld_out_pb = {
    .name = "protobuf",
    .content_type = "application/x-protobuf",
    .cursor_content_type = "application/x-protobuf",
    .decode_pipeline = decode_pipeline,
    .decode_cursor = decode_cursor,
    .status_name = status_name,
    .pipeline_begin = pipeline_begin,
    .result_next = result_next,
    .pipeline_end = pipeline_end,
    .ok_begin = ok_begin,
    .is_autocommit = is_autocommit,
    .ok_end = ok_end,
    .error_result = error_result,
    .result_head = result_head,
    .result_row = result_row,
    .result_tail = result_tail,
    .batch_begin = batch_begin,
    .step_begin = step_begin,
    .step_ok = step_ok,
    .step_none = step_none,
    .errors_begin = errors_begin,
    .step_error = step_error,
    .batch_end = batch_end,
    .describe = describe,
    .cursor_head = cursor_head,
    .cursor_step_begin = cursor_step_begin,
    .cursor_row = cursor_row,
    .cursor_step_end = cursor_step_end,
    .cursor_step_error = cursor_step_error,
};
