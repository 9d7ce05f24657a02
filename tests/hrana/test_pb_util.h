/* test_pb_util.h -- helpers of the protobuf codec tests: deep comparison of
 * decoded structures and encode-then-decode round trips. */
#ifndef LSQL_TEST_PB_UTIL_H
#define LSQL_TEST_PB_UTIL_H

#include "hrana_testutil.h"

#include "hrana_pb.h"

#include <math.h>

#define S(lit) ((hrana_str){lit, sizeof(lit) - 1})
#define NOSTR ((hrana_str){NULL, 0})

static inline void pbt_value_eq(const lsql_value *a, const lsql_value *b)
{
    assert_int_equal(a->type, b->type);
    switch (a->type) {
    case LSQL_TYPE_INTEGER:
        assert_true(a->u.i == b->u.i);
        break;
    case LSQL_TYPE_FLOAT: /* bit for bit: -0.0 stays negative */
        assert_memory_equal(&a->u.d, &b->u.d, sizeof(double));
        break;
    case LSQL_TYPE_TEXT:
    case LSQL_TYPE_BLOB:
        assert_int_equal(a->u.bytes.n, b->u.bytes.n);
        if (a->u.bytes.n)
            assert_memory_equal(a->u.bytes.p, b->u.bytes.p, a->u.bytes.n);
        break;
    default:
        break;
    }
}

/* Decoded strings are NUL-terminated after their bytes. */
static inline void pbt_decoded_str(hrana_str s)
{
    if (s.p)
        assert_int_equal(s.p[s.n], 0);
}

static inline void pbt_str_eq(hrana_str a, hrana_str b)
{
    if ((a.p == NULL) != (b.p == NULL))
        fail_msg("string %s vs %s", a.p ? a.p : "(absent)", b.p ? b.p : "(absent)");
    if (a.p) {
        assert_int_equal(a.n, b.n);
        assert_memory_equal(a.p, b.p, a.n);
    }
    pbt_decoded_str(b);
}

static inline void pbt_cond_eq(const hrana_cond *a, const hrana_cond *b)
{
    assert_true((a == NULL) == (b == NULL));
    if (!a)
        return;
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->step, b->step);
    assert_int_equal(a->nconds, b->nconds);
    for (size_t i = 0; i < a->nconds; i++)
        pbt_cond_eq(&a->conds[i], &b->conds[i]);
}

static inline void pbt_stmt_eq(const hrana_stmt *a, const hrana_stmt *b)
{
    pbt_str_eq(a->sql, b->sql);
    assert_int_equal(a->has_sql_id, b->has_sql_id);
    if (a->has_sql_id)
        assert_int_equal(a->sql_id, b->sql_id);
    assert_int_equal(a->want_rows, b->want_rows);
    assert_int_equal(a->nargs, b->nargs);
    for (size_t i = 0; i < a->nargs; i++)
        pbt_value_eq(&a->args[i], &b->args[i]);
    assert_int_equal(a->nnamed, b->nnamed);
    for (size_t i = 0; i < a->nnamed; i++) {
        pbt_str_eq(a->named_args[i].name, b->named_args[i].name);
        pbt_value_eq(&a->named_args[i].value, &b->named_args[i].value);
    }
}

static inline void pbt_batch_eq(const hrana_batch *a, const hrana_batch *b)
{
    assert_int_equal(a->nsteps, b->nsteps);
    for (size_t k = 0; k < a->nsteps; k++) {
        pbt_cond_eq(a->steps[k].cond, b->steps[k].cond);
        pbt_stmt_eq(&a->steps[k].stmt, &b->steps[k].stmt);
    }
}

static inline void pbt_request_eq(const hrana_request *x, const hrana_request *y)
{
    assert_int_equal(x->type, y->type);
    pbt_str_eq(x->sql, y->sql);
    assert_int_equal(x->has_sql_id, y->has_sql_id);
    if (x->has_sql_id)
        assert_int_equal(x->sql_id, y->sql_id);
    if (x->type == HRANA_REQ_EXECUTE)
        pbt_stmt_eq(&x->stmt, &y->stmt);
    if (x->type == HRANA_REQ_BATCH)
        pbt_batch_eq(&x->batch, &y->batch);
}

static inline void pbt_pipeline_req_eq(const hrana_pipeline_req *a, const hrana_pipeline_req *b)
{
    pbt_str_eq(a->baton, b->baton);
    assert_int_equal(a->nrequests, b->nrequests);
    for (size_t i = 0; i < a->nrequests; i++)
        pbt_request_eq(&a->requests[i], &b->requests[i]);
}

static inline void pbt_error_eq(const hrana_error *a, const hrana_error *b)
{
    pbt_str_eq(a->message, b->message);
    pbt_str_eq(a->code, b->code);
}

static inline void pbt_cols_eq(const hrana_col *a, size_t na, const hrana_col *b, size_t nb)
{
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        pbt_str_eq(a[i].name, b[i].name);
        pbt_str_eq(a[i].decltype, b[i].decltype);
    }
}

static inline void pbt_result_eq(const hrana_stmt_result *a, const hrana_stmt_result *b)
{
    pbt_cols_eq(a->cols, a->ncols, b->cols, b->ncols);
    assert_int_equal(a->nrows, b->nrows);
    for (size_t i = 0; i < a->nrows * a->ncols; i++)
        pbt_value_eq(&a->rows[i], &b->rows[i]);
    assert_true(a->affected_row_count == b->affected_row_count);
    assert_int_equal(a->has_last_insert_rowid, b->has_last_insert_rowid);
    if (a->has_last_insert_rowid)
        assert_true(a->last_insert_rowid == b->last_insert_rowid);
    assert_true(a->rows_read == b->rows_read);
    assert_true(a->rows_written == b->rows_written);
    assert_memory_equal(&a->query_duration_ms, &b->query_duration_ms, sizeof(double));
}

/* The protobuf form has no step count: b may lack a's trailing empty steps. */
static inline void pbt_batch_result_eq(const hrana_batch_result *a, const hrana_batch_result *b)
{
    size_t n = a->nsteps;
    while (n && !a->step_results[n - 1] && !a->step_errors[n - 1])
        n--;
    assert_int_equal(n, b->nsteps);
    for (size_t i = 0; i < n; i++) {
        assert_true((a->step_results[i] == NULL) == (b->step_results[i] == NULL));
        assert_true((a->step_errors[i] == NULL) == (b->step_errors[i] == NULL));
        if (a->step_results[i])
            pbt_result_eq(a->step_results[i], b->step_results[i]);
        if (a->step_errors[i])
            pbt_error_eq(a->step_errors[i], b->step_errors[i]);
    }
}

static inline void pbt_response_eq(const hrana_response *a, const hrana_response *b)
{
    assert_int_equal(a->type, b->type);
    switch (a->type) {
    case HRANA_REQ_EXECUTE:
        pbt_result_eq(&a->stmt, &b->stmt);
        break;
    case HRANA_REQ_BATCH:
        pbt_batch_result_eq(&a->batch, &b->batch);
        break;
    case HRANA_REQ_DESCRIBE:
        assert_int_equal(a->describe.nparams, b->describe.nparams);
        for (size_t i = 0; i < a->describe.nparams; i++)
            pbt_str_eq(a->describe.params[i], b->describe.params[i]);
        pbt_cols_eq(a->describe.cols, a->describe.ncols, b->describe.cols, b->describe.ncols);
        assert_int_equal(a->describe.is_explain, b->describe.is_explain);
        assert_int_equal(a->describe.is_readonly, b->describe.is_readonly);
        break;
    case HRANA_REQ_GET_AUTOCOMMIT:
        assert_int_equal(a->is_autocommit, b->is_autocommit);
        break;
    default:
        break;
    }
}

static inline void pbt_pipeline_resp_eq(const hrana_pipeline_resp *a,
                                        const hrana_pipeline_resp *b)
{
    pbt_str_eq(a->baton, b->baton);
    pbt_str_eq(a->base_url, b->base_url);
    assert_int_equal(a->nresults, b->nresults);
    for (size_t i = 0; i < a->nresults; i++) {
        assert_int_equal(a->results[i].is_error, b->results[i].is_error);
        if (a->results[i].is_error)
            pbt_error_eq(&a->results[i].error, &b->results[i].error);
        else
            pbt_response_eq(&a->results[i].response, &b->results[i].response);
    }
}

static inline void pbt_entry_eq(const hrana_cursor_entry *a, const hrana_cursor_entry *b)
{
    assert_int_equal(a->type, b->type);
    switch (a->type) {
    case HRANA_ENTRY_STEP_BEGIN:
        assert_int_equal(a->step, b->step);
        pbt_cols_eq(a->cols, a->ncols, b->cols, b->ncols);
        break;
    case HRANA_ENTRY_STEP_END:
        assert_true(a->affected_row_count == b->affected_row_count);
        assert_int_equal(a->has_last_insert_rowid, b->has_last_insert_rowid);
        if (a->has_last_insert_rowid)
            assert_true(a->last_insert_rowid == b->last_insert_rowid);
        break;
    case HRANA_ENTRY_ROW:
        assert_int_equal(a->nrow, b->nrow);
        for (size_t i = 0; i < a->nrow; i++)
            pbt_value_eq(&a->row[i], &b->row[i]);
        break;
    case HRANA_ENTRY_STEP_ERROR:
        assert_int_equal(a->step, b->step);
        pbt_error_eq(&a->error, &b->error);
        break;
    default:
        pbt_error_eq(&a->error, &b->error);
    }
}

/* Encodes with the protobuf encoder, decodes, compares with the input. */
static inline void pbt_req_roundtrip(const hrana_pipeline_req *in)
{
    hrana_buf b;
    hrana_buf_init(&b, 64u << 20);
    hrana_pb_encode_pipeline_req(&b, in);
    assert_true(hrana_buf_ok(&b));
    hrana_pipeline_req out;
    hrana_status st;
    hrana_limits l = ht_limits();
    assert_status(HRANA_OK, hrana_pb_decode_pipeline_req(b.p, b.len, &l, &out, &st), st);
    pbt_pipeline_req_eq(in, &out);
    hrana_pipeline_req_free(&out);
    hrana_buf_free(&b);
}

static inline void pbt_cursor_req_roundtrip(const hrana_cursor_req *in)
{
    hrana_buf b;
    hrana_buf_init(&b, 64u << 20);
    hrana_pb_encode_cursor_req(&b, in);
    assert_true(hrana_buf_ok(&b));
    hrana_cursor_req out;
    hrana_status st;
    hrana_limits l = ht_limits();
    assert_status(HRANA_OK, hrana_pb_decode_cursor_req(b.p, b.len, &l, &out, &st), st);
    pbt_str_eq(in->baton, out.baton);
    pbt_batch_eq(&in->batch, &out.batch);
    hrana_cursor_req_free(&out);
    hrana_buf_free(&b);
}

static inline void pbt_resp_roundtrip(const hrana_pipeline_resp *in)
{
    hrana_buf b;
    hrana_buf_init(&b, 64u << 20);
    hrana_pb_encode_pipeline_resp(&b, in);
    assert_true(hrana_buf_ok(&b));
    hrana_pipeline_resp out;
    hrana_status st;
    hrana_limits l = ht_limits();
    assert_status(HRANA_OK, hrana_pb_decode_pipeline_resp(b.p, b.len, &l, &out, &st), st);
    pbt_pipeline_resp_eq(in, &out);
    hrana_pipeline_resp_free(&out);
    hrana_buf_free(&b);
}

/* A cursor item written with its length prefix: frames and decodes it. */
static inline void pbt_entry_roundtrip(const hrana_cursor_entry *in)
{
    hrana_buf b;
    hrana_buf_init(&b, 64u << 20);
    hrana_pb_encode_cursor_entry(&b, in);
    assert_true(hrana_buf_ok(&b));
    size_t hdr = 0, len = 0;
    hrana_status st;
    assert_int_equal(hrana_pb_frame(b.p, b.len, b.len, &hdr, &len, &st), 1);
    assert_int_equal(hdr + len, b.len);
    hrana_cursor_entry out;
    hrana_limits l = ht_limits();
    assert_status(HRANA_OK, hrana_pb_decode_cursor_entry(b.p + hdr, len, &l, &out, &st), st);
    pbt_entry_eq(in, &out);
    hrana_cursor_entry_free(&out);
    hrana_buf_free(&b);
}

/* Bytes written by f into a fresh buffer, compared with want[0..n). */
#define assert_bytes(buf, ...)                                                      \
    do {                                                                            \
        static const unsigned char want__[] = {__VA_ARGS__};                       \
        if ((buf)->len != sizeof want__)                                            \
            fail_msg("wrote %zu bytes, want %zu", (buf)->len, sizeof want__);       \
        assert_memory_equal((buf)->p, want__, sizeof want__);                      \
    } while (0)

#endif
