/* out_json.c -- lsqld's answers in JSON (POST /v2/pipeline, /v3/pipeline,
 * /v3/cursor): written as they are produced. The pipeline envelope starts
 * with a blank slot where the baton is written at the end (JSON allows the
 * blanks of a null). */
#include "out.h"
#include "baton.h"

#include <string.h>

/* '"' + 64 characters + '"', or null padded with spaces */
#define BATON_SLOT (LSQLD_BATON_LEN + 2)

static void pipeline_begin(hrana_buf *b, size_t *slot)
{
    hrana_buf_puts(b, "{\"baton\":");
    *slot = b->len;
    for (int i = 0; i < BATON_SLOT; i++)
        hrana_buf_putc(b, ' ');
    hrana_buf_puts(b, ",\"base_url\":null,\"results\":[");
}

static void result_next(hrana_buf *b, size_t i)
{
    if (i)
        hrana_buf_putc(b, ',');
}

static void pipeline_end(hrana_buf *b, size_t slot, const char *baton, size_t n)
{
    hrana_buf_puts(b, "]}");
    if (b->overflow)
        return;
    if (baton && n == LSQLD_BATON_LEN) {
        b->p[slot] = '"';
        memcpy(b->p + slot + 1, baton, LSQLD_BATON_LEN);
        b->p[slot + 1 + LSQLD_BATON_LEN] = '"';
    } else {
        memcpy(b->p + slot, "null", 4);
    }
}

static int has_result(int type)
{
    return type == HRANA_REQ_EXECUTE || type == HRANA_REQ_BATCH || type == HRANA_REQ_DESCRIBE;
}

static void ok_begin(hrana_buf *b, int type, lsqld_out_mark *m)
{
    m->at = b->len;
    m->n = 0;
    m->overflow = b->overflow;
    hrana_buf_puts(b, "{\"type\":\"ok\",\"response\":{\"type\":\"");
    hrana_buf_puts(b, hrana_req_type_name(type));
    hrana_buf_putc(b, '"');
    if (has_result(type))
        hrana_buf_puts(b, ",\"result\":");
}

static void is_autocommit(hrana_buf *b, int ac)
{
    hrana_buf_puts(b, ac ? ",\"is_autocommit\":true" : ",\"is_autocommit\":false");
}

static void ok_end(hrana_buf *b, lsqld_out_mark *m)
{
    (void)m;
    hrana_buf_puts(b, "}}");
}

static void error_result(hrana_buf *b, const char *message, const char *code)
{
    hrana_buf_puts(b, "{\"type\":\"error\",\"error\":");
    hrana_encode_error(b, message, code);
    hrana_buf_putc(b, '}');
}

/* ---- statements ------------------------------------------------------------ */

static void put_cols(hrana_buf *b, lsql_stmt *st, int ncols)
{
    hrana_buf_putc(b, '[');
    for (int i = 0; i < ncols; i++) {
        if (i)
            hrana_buf_putc(b, ',');
        hrana_encode_col(b, lsql_column_name(st, i), lsql_column_decltype(st, i));
    }
    hrana_buf_putc(b, ']');
}

static int put_row(hrana_buf *b, lsql_stmt *st, int ncols)
{
    hrana_buf_putc(b, '[');
    for (int i = 0; i < ncols; i++) {
        lsql_value v;
        if (lsql_column_value(st, i, &v) != LSQL_OK)
            return -1;
        if (i)
            hrana_buf_putc(b, ',');
        hrana_encode_value(b, &v);
    }
    hrana_buf_putc(b, ']');
    return 0;
}

static void put_rowid(hrana_buf *b, const lsqld_out_end *e)
{
    if (!e->has_rowid) {
        hrana_buf_put(b, "null", 4);
        return;
    }
    hrana_buf_putc(b, '"');
    hrana_put_i64(b, e->rowid);
    hrana_buf_putc(b, '"');
}

static void result_head(hrana_buf *b, lsql_stmt *st, int ncols)
{
    hrana_buf_puts(b, "{\"cols\":");
    put_cols(b, st, ncols);
    hrana_buf_puts(b, ",\"rows\":[");
}

static int result_row(hrana_buf *b, lsql_stmt *st, int ncols, size_t i)
{
    if (i)
        hrana_buf_putc(b, ',');
    return put_row(b, st, ncols);
}

static void result_tail(hrana_buf *b, const lsqld_out_end *e)
{
    hrana_buf_puts(b, "],\"affected_row_count\":");
    hrana_put_i64(b, e->affected);
    hrana_buf_puts(b, ",\"last_insert_rowid\":");
    put_rowid(b, e);
    hrana_buf_puts(b, ",\"rows_read\":0,\"rows_written\":0,\"query_duration_ms\":");
    hrana_put_i64(b, e->duration_ms);
    hrana_buf_putc(b, '}');
}

/* ---- batches: two arrays with one entry (or null) per step ------------------ */

static void batch_begin(hrana_buf *b)
{
    hrana_buf_puts(b, "{\"step_results\":[");
}

static void step_begin(hrana_buf *b, uint32_t i, lsqld_out_mark *m)
{
    if (i)
        hrana_buf_putc(b, ',');
    m->at = b->len;
    m->n = 0;
    m->overflow = b->overflow;
}

static void step_ok(hrana_buf *b, lsqld_out_mark *m)
{
    (void)b;
    (void)m;
}

/* (a failed statement has dropped its output already) */
static void step_none(hrana_buf *b, lsqld_out_mark *m)
{
    (void)m;
    hrana_buf_put(b, "null", 4);
}

static void errors_begin(hrana_buf *b)
{
    hrana_buf_puts(b, "],\"step_errors\":[");
}

static void step_error(hrana_buf *b, uint32_t i, const char *message, const char *code)
{
    if (i)
        hrana_buf_putc(b, ',');
    if (message)
        hrana_encode_error(b, message, code);
    else
        hrana_buf_put(b, "null", 4);
}

static void batch_end(hrana_buf *b)
{
    hrana_buf_puts(b, "]}");
}

static void describe(hrana_buf *b, lsql_stmt *st, int is_explain, int is_readonly)
{
    hrana_buf_puts(b, "{\"params\":[");
    int pc = lsql_param_count(st);
    for (int i = 1; i <= pc; i++) {
        if (i > 1)
            hrana_buf_putc(b, ',');
        hrana_buf_puts(b, "{\"name\":");
        hrana_put_cstr_or_null(b, lsql_param_name(st, i));
        hrana_buf_putc(b, '}');
    }
    hrana_buf_puts(b, "],\"cols\":[");
    int nc = lsql_column_count(st);
    for (int i = 0; i < nc; i++) {
        if (i)
            hrana_buf_putc(b, ',');
        const char *name = lsql_column_name(st, i);
        hrana_encode_col(b, name ? name : "", lsql_column_decltype(st, i));
    }
    hrana_buf_puts(b, is_explain ? "],\"is_explain\":true" : "],\"is_explain\":false");
    hrana_buf_puts(b, is_readonly ? ",\"is_readonly\":true}" : ",\"is_readonly\":false}");
}

/* ---- cursors: newline-delimited JSON --------------------------------------- */

static void cursor_head(hrana_buf *b, const char *baton, size_t n)
{
    hrana_buf_puts(b, "{\"baton\":\"");
    hrana_buf_put(b, baton, n);
    hrana_buf_puts(b, "\",\"base_url\":null}\n");
}

static void cursor_step_begin(hrana_buf *b, uint32_t step, lsql_stmt *st, int ncols)
{
    hrana_buf_puts(b, "{\"type\":\"step_begin\",\"step\":");
    hrana_put_u64(b, step);
    hrana_buf_puts(b, ",\"cols\":");
    put_cols(b, st, ncols);
    hrana_buf_puts(b, "}\n");
}

static int cursor_row(hrana_buf *b, lsql_stmt *st, int ncols)
{
    hrana_buf_puts(b, "{\"type\":\"row\",\"row\":");
    if (put_row(b, st, ncols))
        return -1;
    hrana_buf_puts(b, "}\n");
    return 0;
}

static void cursor_step_end(hrana_buf *b, const lsqld_out_end *e)
{
    hrana_buf_puts(b, "{\"type\":\"step_end\",\"affected_row_count\":");
    hrana_put_i64(b, e->affected);
    hrana_buf_puts(b, ",\"last_insert_rowid\":");
    put_rowid(b, e);
    hrana_buf_puts(b, "}\n");
}

static void cursor_step_error(hrana_buf *b, uint32_t step, const char *message, const char *code)
{
    hrana_buf_puts(b, "{\"type\":\"step_error\",\"step\":");
    hrana_put_u64(b, step);
    hrana_buf_puts(b, ",\"error\":");
    hrana_encode_error(b, message, code);
    hrana_buf_puts(b, "}\n");
}

const lsqld_out lsqld_out_json = {
    .name = "json",
    .content_type = "application/json",
    .cursor_content_type = "text/plain",
    .decode_pipeline = hrana_decode_pipeline_req,
    .decode_cursor = hrana_decode_cursor_req,
    .status_name = hrana_status_name,
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
