/* encode.c -- encoders of whole structures: responses (server direction) and
 * requests (client direction). The server streams results through the
 * pieces of write.c instead; these produce the same JSON. */
#include "hrana.h"

#include <string.h>

static void put_str(hrana_buf *b, hrana_str s)
{
    hrana_put_string_or_null(b, s.p, s.n);
}

static void put_rowid(hrana_buf *b, int has, int64_t v)
{
    if (has) {
        hrana_buf_putc(b, '"');
        hrana_put_i64(b, v);
        hrana_buf_putc(b, '"');
    } else {
        hrana_buf_put(b, "null", 4);
    }
}

static void put_cols(hrana_buf *b, const hrana_col *cols, size_t n)
{
    hrana_buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            hrana_buf_putc(b, ',');
        hrana_buf_put(b, "{\"name\":", 8);
        put_str(b, cols[i].name);
        hrana_buf_put(b, ",\"decltype\":", 12);
        put_str(b, cols[i].decltype);
        hrana_buf_putc(b, '}');
    }
    hrana_buf_putc(b, ']');
}

static void put_values(hrana_buf *b, const lsql_value *v, size_t n)
{
    hrana_buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            hrana_buf_putc(b, ',');
        hrana_encode_value(b, &v[i]);
    }
    hrana_buf_putc(b, ']');
}

void hrana_encode_stmt_result(hrana_buf *b, const hrana_stmt_result *r)
{
    hrana_buf_puts(b, "{\"cols\":");
    put_cols(b, r->cols, r->ncols);
    hrana_buf_puts(b, ",\"rows\":[");
    for (size_t i = 0; i < r->nrows; i++) {
        if (i)
            hrana_buf_putc(b, ',');
        put_values(b, r->rows + i * r->ncols, r->ncols);
    }
    hrana_buf_puts(b, "],\"affected_row_count\":");
    hrana_put_u64(b, r->affected_row_count);
    hrana_buf_puts(b, ",\"last_insert_rowid\":");
    put_rowid(b, r->has_last_insert_rowid, r->last_insert_rowid);
    hrana_buf_puts(b, ",\"rows_read\":");
    hrana_put_u64(b, r->rows_read);
    hrana_buf_puts(b, ",\"rows_written\":");
    hrana_put_u64(b, r->rows_written);
    hrana_buf_puts(b, ",\"query_duration_ms\":");
    hrana_put_double(b, r->query_duration_ms);
    hrana_buf_putc(b, '}');
}

void hrana_encode_batch_result(hrana_buf *b, const hrana_batch_result *r)
{
    hrana_buf_puts(b, "{\"step_results\":[");
    for (size_t i = 0; i < r->nsteps; i++) {
        if (i)
            hrana_buf_putc(b, ',');
        if (r->step_results[i])
            hrana_encode_stmt_result(b, r->step_results[i]);
        else
            hrana_buf_put(b, "null", 4);
    }
    hrana_buf_puts(b, "],\"step_errors\":[");
    for (size_t i = 0; i < r->nsteps; i++) {
        if (i)
            hrana_buf_putc(b, ',');
        if (r->step_errors[i])
            hrana_encode_error_s(b, r->step_errors[i]);
        else
            hrana_buf_put(b, "null", 4);
    }
    hrana_buf_puts(b, "]}");
}

void hrana_encode_describe_result(hrana_buf *b, const hrana_describe_result *r)
{
    hrana_buf_puts(b, "{\"params\":[");
    for (size_t i = 0; i < r->nparams; i++) {
        if (i)
            hrana_buf_putc(b, ',');
        hrana_buf_put(b, "{\"name\":", 8);
        put_str(b, r->params[i]);
        hrana_buf_putc(b, '}');
    }
    hrana_buf_puts(b, "],\"cols\":");
    put_cols(b, r->cols, r->ncols);
    hrana_buf_puts(b, r->is_explain ? ",\"is_explain\":true" : ",\"is_explain\":false");
    hrana_buf_puts(b, r->is_readonly ? ",\"is_readonly\":true}" : ",\"is_readonly\":false}");
}

void hrana_encode_stream_result(hrana_buf *b, const hrana_stream_result *r)
{
    if (r->is_error) {
        hrana_buf_puts(b, "{\"type\":\"error\",\"error\":");
        hrana_encode_error_s(b, &r->error);
        hrana_buf_putc(b, '}');
        return;
    }
    const hrana_response *p = &r->response;
    const char *name = hrana_req_type_name(p->type);
    hrana_buf_puts(b, "{\"type\":\"ok\",\"response\":{\"type\":");
    hrana_put_string(b, name ? name : "", name ? strlen(name) : 0);
    switch (p->type) {
    case HRANA_REQ_EXECUTE:
        hrana_buf_puts(b, ",\"result\":");
        hrana_encode_stmt_result(b, &p->stmt);
        break;
    case HRANA_REQ_BATCH:
        hrana_buf_puts(b, ",\"result\":");
        hrana_encode_batch_result(b, &p->batch);
        break;
    case HRANA_REQ_DESCRIBE:
        hrana_buf_puts(b, ",\"result\":");
        hrana_encode_describe_result(b, &p->describe);
        break;
    case HRANA_REQ_GET_AUTOCOMMIT:
        hrana_buf_puts(b, p->is_autocommit ? ",\"is_autocommit\":true" : ",\"is_autocommit\":false");
        break;
    default:
        break;
    }
    hrana_buf_puts(b, "}}");
}

void hrana_encode_pipeline_resp(hrana_buf *b, const hrana_pipeline_resp *r)
{
    hrana_buf_puts(b, "{\"baton\":");
    put_str(b, r->baton);
    hrana_buf_puts(b, ",\"base_url\":");
    put_str(b, r->base_url);
    hrana_buf_puts(b, ",\"results\":[");
    for (size_t i = 0; i < r->nresults; i++) {
        if (i)
            hrana_buf_putc(b, ',');
        hrana_encode_stream_result(b, &r->results[i]);
    }
    hrana_buf_puts(b, "]}");
}

void hrana_encode_cursor_head(hrana_buf *b, const hrana_cursor_head *h)
{
    hrana_buf_puts(b, "{\"baton\":");
    put_str(b, h->baton);
    hrana_buf_puts(b, ",\"base_url\":");
    put_str(b, h->base_url);
    hrana_buf_puts(b, "}\n");
}

void hrana_encode_cursor_entry(hrana_buf *b, const hrana_cursor_entry *e)
{
    switch (e->type) {
    case HRANA_ENTRY_STEP_BEGIN:
        hrana_buf_puts(b, "{\"type\":\"step_begin\",\"step\":");
        hrana_put_u64(b, e->step);
        hrana_buf_puts(b, ",\"cols\":");
        put_cols(b, e->cols, e->ncols);
        break;
    case HRANA_ENTRY_STEP_END:
        hrana_buf_puts(b, "{\"type\":\"step_end\",\"affected_row_count\":");
        hrana_put_u64(b, e->affected_row_count);
        hrana_buf_puts(b, ",\"last_insert_rowid\":");
        put_rowid(b, e->has_last_insert_rowid, e->last_insert_rowid);
        break;
    case HRANA_ENTRY_STEP_ERROR:
        hrana_buf_puts(b, "{\"type\":\"step_error\",\"step\":");
        hrana_put_u64(b, e->step);
        hrana_buf_puts(b, ",\"error\":");
        hrana_encode_error_s(b, &e->error);
        break;
    case HRANA_ENTRY_ROW:
        hrana_buf_puts(b, "{\"type\":\"row\",\"row\":");
        put_values(b, e->row, e->nrow);
        break;
    default:
        hrana_buf_puts(b, "{\"type\":\"error\",\"error\":");
        hrana_encode_error_s(b, &e->error);
        break;
    }
    hrana_buf_puts(b, "}\n");
}

/* ---- client direction -----------------------------------------------------
 * What the remote client sends, kept small for the server to parse: no
 * empty "args" / "named_args", "want_rows" only when false (true when left
 * out), the id of a store_sql before its text. */

void hrana_encode_stmt(hrana_buf *b, const hrana_stmt *s)
{
    if (s->sql.p) {
        hrana_buf_puts(b, "{\"sql\":");
        put_str(b, s->sql);
    } else {
        hrana_buf_puts(b, "{\"sql_id\":");
        hrana_put_i64(b, s->sql_id);
    }
    if (s->nargs) {
        hrana_buf_puts(b, ",\"args\":");
        put_values(b, s->args, s->nargs);
    }
    if (s->nnamed) {
        hrana_buf_puts(b, ",\"named_args\":[");
        for (size_t i = 0; i < s->nnamed; i++) {
            if (i)
                hrana_buf_putc(b, ',');
            hrana_buf_puts(b, "{\"name\":");
            put_str(b, s->named_args[i].name);
            hrana_buf_puts(b, ",\"value\":");
            hrana_encode_value(b, &s->named_args[i].value);
            hrana_buf_putc(b, '}');
        }
        hrana_buf_putc(b, ']');
    }
    hrana_buf_puts(b, s->want_rows ? "}" : ",\"want_rows\":false}");
}

void hrana_encode_cond(hrana_buf *b, const hrana_cond *c)
{
    switch (c->type) {
    case HRANA_COND_OK:
    case HRANA_COND_ERROR:
        hrana_buf_puts(b, c->type == HRANA_COND_OK ? "{\"type\":\"ok\",\"step\":"
                                                   : "{\"type\":\"error\",\"step\":");
        hrana_put_u64(b, c->step);
        hrana_buf_putc(b, '}');
        break;
    case HRANA_COND_NOT:
        hrana_buf_puts(b, "{\"type\":\"not\",\"cond\":");
        if (c->nconds)
            hrana_encode_cond(b, &c->conds[0]);
        else
            hrana_buf_puts(b, "null");
        hrana_buf_putc(b, '}');
        break;
    case HRANA_COND_AND:
    case HRANA_COND_OR:
        hrana_buf_puts(b, c->type == HRANA_COND_AND ? "{\"type\":\"and\",\"conds\":["
                                                    : "{\"type\":\"or\",\"conds\":[");
        for (size_t i = 0; i < c->nconds; i++) {
            if (i)
                hrana_buf_putc(b, ',');
            hrana_encode_cond(b, &c->conds[i]);
        }
        hrana_buf_puts(b, "]}");
        break;
    default:
        hrana_buf_puts(b, "{\"type\":\"is_autocommit\"}");
    }
}

void hrana_encode_batch(hrana_buf *b, const hrana_batch *batch)
{
    hrana_buf_puts(b, "{\"steps\":[");
    for (size_t i = 0; i < batch->nsteps; i++) {
        const hrana_step *s = &batch->steps[i];
        if (i)
            hrana_buf_putc(b, ',');
        hrana_buf_putc(b, '{');
        if (s->cond) {
            hrana_buf_puts(b, "\"condition\":");
            hrana_encode_cond(b, s->cond);
            hrana_buf_putc(b, ',');
        }
        hrana_buf_puts(b, "\"stmt\":");
        hrana_encode_stmt(b, &s->stmt);
        hrana_buf_putc(b, '}');
    }
    hrana_buf_puts(b, "]}");
}

void hrana_encode_request(hrana_buf *b, const hrana_request *r)
{
    const char *name = hrana_req_type_name(r->type);
    hrana_buf_puts(b, "{\"type\":\"");
    hrana_buf_puts(b, name ? name : ""); /* the names need no escapes */
    hrana_buf_putc(b, '"');
    switch (r->type) {
    case HRANA_REQ_EXECUTE:
        hrana_buf_puts(b, ",\"stmt\":");
        hrana_encode_stmt(b, &r->stmt);
        break;
    case HRANA_REQ_BATCH:
        hrana_buf_puts(b, ",\"batch\":");
        hrana_encode_batch(b, &r->batch);
        break;
    case HRANA_REQ_STORE_SQL:
    case HRANA_REQ_CLOSE_SQL:
        hrana_buf_puts(b, ",\"sql_id\":");
        hrana_put_i64(b, r->sql_id);
        if (r->type == HRANA_REQ_STORE_SQL) {
            hrana_buf_puts(b, ",\"sql\":");
            put_str(b, r->sql);
        }
        break;
    case HRANA_REQ_SEQUENCE:
    case HRANA_REQ_DESCRIBE:
        /* the text, or its id (both when a test asks for the error) */
        if (r->sql.p) {
            hrana_buf_puts(b, ",\"sql\":");
            put_str(b, r->sql);
        }
        if (r->has_sql_id || !r->sql.p) {
            hrana_buf_puts(b, ",\"sql_id\":");
            hrana_put_i64(b, r->sql_id);
        }
        break;
    default:
        break;
    }
    hrana_buf_putc(b, '}');
}

void hrana_encode_pipeline_req(hrana_buf *b, const hrana_pipeline_req *r)
{
    hrana_buf_puts(b, "{\"baton\":");
    put_str(b, r->baton);
    hrana_buf_puts(b, ",\"requests\":[");
    for (size_t i = 0; i < r->nrequests; i++) {
        if (i)
            hrana_buf_putc(b, ',');
        hrana_encode_request(b, &r->requests[i]);
    }
    hrana_buf_puts(b, "]}");
}

void hrana_encode_cursor_req(hrana_buf *b, const hrana_cursor_req *r)
{
    hrana_buf_puts(b, "{\"baton\":");
    put_str(b, r->baton);
    hrana_buf_puts(b, ",\"batch\":");
    hrana_encode_batch(b, &r->batch);
    hrana_buf_putc(b, '}');
}
