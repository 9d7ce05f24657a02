/* pb_encode.c -- protobuf encoders of whole structures: requests (client
 * direction) and responses and cursor items (tests and fake servers; lsqld
 * streams with the pieces of pb_write.c). Each reads back with the decoders
 * of pb_decode_*.c to an equal structure. */
#include "hrana_pb.h"

/* Conditions nest; deeper ones than this are refused (the buffer is marked
 * overflowed) instead of recursing further. Far above any max_depth. */
#define PB_COND_DEPTH_MAX 1000

/* ---- client direction ---------------------------------------------------- */

static void put_stmt(hrana_buf *b, unsigned field, const hrana_stmt *s)
{
    size_t m = hrana_pb_begin(b, field);
    if (s->sql.p)
        hrana_pb_put_bytes(b, HRANA_PB_STMT_SQL, s->sql.p, s->sql.n);
    else
        hrana_pb_put_int32(b, HRANA_PB_STMT_SQL_ID, s->sql_id);
    for (size_t i = 0; i < s->nargs; i++)
        hrana_pb_put_value(b, HRANA_PB_STMT_ARGS, &s->args[i]);
    for (size_t i = 0; i < s->nnamed; i++) {
        const hrana_named_arg *a = &s->named_args[i];
        size_t m2 = hrana_pb_begin(b, HRANA_PB_STMT_NAMED_ARGS);
        hrana_pb_put_bytes(b, HRANA_PB_NAMED_ARG_NAME, a->name.p, a->name.p ? a->name.n : 0);
        hrana_pb_put_value(b, HRANA_PB_NAMED_ARG_VALUE, &a->value);
        hrana_pb_end(b, m2);
    }
    hrana_pb_put_bool(b, HRANA_PB_STMT_WANT_ROWS, s->want_rows);
    hrana_pb_end(b, m);
}

static void put_cond(hrana_buf *b, unsigned field, const hrana_cond *c, unsigned depth)
{
    if (depth > PB_COND_DEPTH_MAX) {
        b->overflow = 1;
        return;
    }
    size_t m = hrana_pb_begin(b, field);
    switch (c->type) {
    case HRANA_COND_OK:
        hrana_pb_put_uint(b, HRANA_PB_COND_STEP_OK, c->step);
        break;
    case HRANA_COND_ERROR:
        hrana_pb_put_uint(b, HRANA_PB_COND_STEP_ERROR, c->step);
        break;
    case HRANA_COND_NOT:
        if (c->nconds)
            put_cond(b, HRANA_PB_COND_NOT, &c->conds[0], depth + 1);
        else /* like the JSON encoder's "cond":null: refused by decoders */
            hrana_pb_end(b, hrana_pb_begin(b, HRANA_PB_COND_NOT));
        break;
    case HRANA_COND_AND:
    case HRANA_COND_OR: {
        size_t m2 = hrana_pb_begin(b, c->type == HRANA_COND_AND ? HRANA_PB_COND_AND
                                                                : HRANA_PB_COND_OR);
        for (size_t i = 0; i < c->nconds && !b->overflow; i++)
            put_cond(b, HRANA_PB_CONDLIST_CONDS, &c->conds[i], depth + 1);
        hrana_pb_end(b, m2);
        break;
    }
    default:
        hrana_pb_end(b, hrana_pb_begin(b, HRANA_PB_COND_IS_AUTOCOMMIT));
    }
    hrana_pb_end(b, m);
}

static void put_batch(hrana_buf *b, unsigned field, const hrana_batch *batch)
{
    size_t m = hrana_pb_begin(b, field);
    for (size_t i = 0; i < batch->nsteps && !b->overflow; i++) {
        const hrana_step *s = &batch->steps[i];
        size_t m2 = hrana_pb_begin(b, HRANA_PB_BATCH_STEPS);
        if (s->cond)
            put_cond(b, HRANA_PB_STEP_CONDITION, s->cond, 0);
        put_stmt(b, HRANA_PB_STEP_STMT, &s->stmt);
        hrana_pb_end(b, m2);
    }
    hrana_pb_end(b, m);
}

static void put_request(hrana_buf *b, const hrana_request *r)
{
    size_t m = hrana_pb_begin(b, HRANA_PB_PIPELINE_REQ_REQUESTS);
    unsigned kind = hrana_pb_req_field(r->type);
    if (kind) {
        size_t m2 = hrana_pb_begin(b, kind);
        switch (r->type) {
        case HRANA_REQ_EXECUTE:
            put_stmt(b, HRANA_PB_INNER, &r->stmt);
            break;
        case HRANA_REQ_BATCH:
            put_batch(b, HRANA_PB_INNER, &r->batch);
            break;
        case HRANA_REQ_SEQUENCE:
        case HRANA_REQ_DESCRIBE:
            hrana_pb_put_str(b, HRANA_PB_SQL_REQ_SQL, r->sql);
            if (r->has_sql_id)
                hrana_pb_put_int32(b, HRANA_PB_SQL_REQ_SQL_ID, r->sql_id);
            break;
        case HRANA_REQ_STORE_SQL:
            hrana_pb_put_int32(b, HRANA_PB_STORE_SQL_ID, r->sql_id);
            hrana_pb_put_bytes(b, HRANA_PB_STORE_SQL_SQL, r->sql.p, r->sql.p ? r->sql.n : 0);
            break;
        case HRANA_REQ_CLOSE_SQL:
            hrana_pb_put_int32(b, HRANA_PB_CLOSE_SQL_ID, r->sql_id);
            break;
        default:
            break;
        }
        hrana_pb_end(b, m2);
    }
    hrana_pb_end(b, m);
}

void hrana_pb_encode_pipeline_req(hrana_buf *b, const hrana_pipeline_req *r)
{
    hrana_pb_put_str(b, HRANA_PB_PIPELINE_REQ_BATON, r->baton);
    for (size_t i = 0; i < r->nrequests && !b->overflow; i++)
        put_request(b, &r->requests[i]);
}

void hrana_pb_encode_cursor_req(hrana_buf *b, const hrana_cursor_req *r)
{
    hrana_pb_put_str(b, HRANA_PB_CURSOR_REQ_BATON, r->baton);
    put_batch(b, HRANA_PB_CURSOR_REQ_BATCH, &r->batch);
}

/* ---- server direction ---------------------------------------------------- */

static void put_batch_result(hrana_buf *b, unsigned field, const hrana_batch_result *r)
{
    size_t m = hrana_pb_begin(b, field);
    for (size_t i = 0; i < r->nsteps && !b->overflow; i++) {
        if (!r->step_results[i])
            continue;
        size_t m2 = hrana_pb_begin(b, HRANA_PB_BATCH_STEP_RESULTS);
        hrana_pb_put_uint(b, HRANA_PB_MAP_KEY, i);
        hrana_pb_put_stmt_result(b, HRANA_PB_MAP_VALUE, r->step_results[i]);
        hrana_pb_end(b, m2);
    }
    for (size_t i = 0; i < r->nsteps && !b->overflow; i++) {
        if (!r->step_errors[i])
            continue;
        size_t m2 = hrana_pb_begin(b, HRANA_PB_BATCH_STEP_ERRORS);
        hrana_pb_put_uint(b, HRANA_PB_MAP_KEY, i);
        hrana_pb_put_error_s(b, HRANA_PB_MAP_VALUE, r->step_errors[i]);
        hrana_pb_end(b, m2);
    }
    hrana_pb_end(b, m);
}

static void put_describe_result(hrana_buf *b, unsigned field, const hrana_describe_result *r)
{
    size_t m = hrana_pb_begin(b, field);
    for (size_t i = 0; i < r->nparams; i++) {
        size_t m2 = hrana_pb_begin(b, HRANA_PB_DESCRIBE_PARAMS);
        hrana_pb_put_str(b, HRANA_PB_DESCRIBE_PARAM_NAME, r->params[i]);
        hrana_pb_end(b, m2);
    }
    hrana_pb_put_cols(b, HRANA_PB_DESCRIBE_COLS, r->cols, r->ncols);
    if (r->is_explain)
        hrana_pb_put_bool(b, HRANA_PB_DESCRIBE_IS_EXPLAIN, 1);
    if (r->is_readonly)
        hrana_pb_put_bool(b, HRANA_PB_DESCRIBE_IS_READONLY, 1);
    hrana_pb_end(b, m);
}

static void put_response(hrana_buf *b, unsigned field, const hrana_response *p)
{
    size_t m = hrana_pb_begin(b, field);
    unsigned kind = hrana_pb_req_field(p->type);
    if (kind) {
        size_t m2 = hrana_pb_begin(b, kind);
        switch (p->type) {
        case HRANA_REQ_EXECUTE:
            hrana_pb_put_stmt_result(b, HRANA_PB_INNER, &p->stmt);
            break;
        case HRANA_REQ_BATCH:
            put_batch_result(b, HRANA_PB_INNER, &p->batch);
            break;
        case HRANA_REQ_DESCRIBE:
            put_describe_result(b, HRANA_PB_INNER, &p->describe);
            break;
        case HRANA_REQ_GET_AUTOCOMMIT:
            hrana_pb_put_bool(b, HRANA_PB_AUTOCOMMIT, p->is_autocommit);
            break;
        default:
            break;
        }
        hrana_pb_end(b, m2);
    }
    hrana_pb_end(b, m);
}

void hrana_pb_encode_pipeline_resp(hrana_buf *b, const hrana_pipeline_resp *r)
{
    hrana_pb_put_str(b, HRANA_PB_PIPELINE_RESP_BATON, r->baton);
    hrana_pb_put_str(b, HRANA_PB_PIPELINE_RESP_BASE_URL, r->base_url);
    for (size_t i = 0; i < r->nresults && !b->overflow; i++) {
        const hrana_stream_result *s = &r->results[i];
        size_t m = hrana_pb_begin(b, HRANA_PB_PIPELINE_RESP_RESULTS);
        if (s->is_error)
            hrana_pb_put_error_s(b, HRANA_PB_STREAM_RESULT_ERROR, &s->error);
        else
            put_response(b, HRANA_PB_STREAM_RESULT_OK, &s->response);
        hrana_pb_end(b, m);
    }
}

void hrana_pb_encode_cursor_head(hrana_buf *b, const hrana_cursor_head *h)
{
    size_t m = hrana_pb_item_begin(b);
    hrana_pb_put_str(b, HRANA_PB_CURSOR_RESP_BATON, h->baton);
    hrana_pb_put_str(b, HRANA_PB_CURSOR_RESP_BASE_URL, h->base_url);
    hrana_pb_item_end(b, m);
}

void hrana_pb_encode_cursor_entry(hrana_buf *b, const hrana_cursor_entry *e)
{
    size_t m = hrana_pb_item_begin(b);
    size_t m2;
    switch (e->type) {
    case HRANA_ENTRY_STEP_BEGIN:
        m2 = hrana_pb_begin(b, HRANA_PB_ENTRY_STEP_BEGIN);
        hrana_pb_put_uint(b, HRANA_PB_STEP_BEGIN_STEP, e->step);
        hrana_pb_put_cols(b, HRANA_PB_STEP_BEGIN_COLS, e->cols, e->ncols);
        hrana_pb_end(b, m2);
        break;
    case HRANA_ENTRY_STEP_END:
        m2 = hrana_pb_begin(b, HRANA_PB_ENTRY_STEP_END);
        hrana_pb_put_uint(b, HRANA_PB_STEP_END_AFFECTED, e->affected_row_count);
        if (e->has_last_insert_rowid)
            hrana_pb_put_sint(b, HRANA_PB_STEP_END_LAST_INSERT_ROWID, e->last_insert_rowid);
        hrana_pb_end(b, m2);
        break;
    case HRANA_ENTRY_STEP_ERROR:
        m2 = hrana_pb_begin(b, HRANA_PB_ENTRY_STEP_ERROR);
        hrana_pb_put_uint(b, HRANA_PB_STEP_ERROR_STEP, e->step);
        hrana_pb_put_error_s(b, HRANA_PB_STEP_ERROR_ERROR, &e->error);
        hrana_pb_end(b, m2);
        break;
    case HRANA_ENTRY_ROW:
        hrana_pb_put_row(b, HRANA_PB_ENTRY_ROW, e->row, e->nrow);
        break;
    default:
        hrana_pb_put_error_s(b, HRANA_PB_ENTRY_ERROR, &e->error);
        break;
    }
    hrana_pb_item_end(b, m);
}
