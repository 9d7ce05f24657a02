/* pb_write.c -- protobuf writing pieces: varints, tagged fields, nested
 * messages whose length is written once their content is known, and the
 * small messages the server streams (Value, Col, Error, StmtResult). */
#include "hrana_pb.h"

#include <math.h>
#include <string.h>

static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Writes v at p (room for varint_size(v) bytes); returns the bytes written. */
static size_t varint_at(char *p, uint64_t v)
{
    size_t i = 0;
    while (v >= 0x80) {
        p[i++] = (char)(v | 0x80);
        v >>= 7;
    }
    p[i++] = (char)v;
    return i;
}

void hrana_pb_put_varint(hrana_buf *b, uint64_t v)
{
    if (v < 0x80) {
        hrana_buf_putc(b, (char)v);
        return;
    }
    if (hrana_buf_reserve(b, varint_size(v)))
        return;
    b->len += varint_at(b->p + b->len, v);
}

void hrana_pb_put_tag(hrana_buf *b, unsigned field, unsigned wire_type)
{
    hrana_pb_put_varint(b, (uint64_t)field << 3 | (wire_type & 7u));
}

void hrana_pb_put_uint(hrana_buf *b, unsigned field, uint64_t v)
{
    hrana_pb_put_tag(b, field, HRANA_PB_VARINT);
    hrana_pb_put_varint(b, v);
}

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0);
}

void hrana_pb_put_sint(hrana_buf *b, unsigned field, int64_t v)
{
    hrana_pb_put_uint(b, field, zigzag(v));
}

void hrana_pb_put_int32(hrana_buf *b, unsigned field, int32_t v)
{
    hrana_pb_put_uint(b, field, (uint64_t)(int64_t)v);
}

void hrana_pb_put_bool(hrana_buf *b, unsigned field, int v)
{
    hrana_pb_put_uint(b, field, v ? 1 : 0);
}

void hrana_pb_put_double(hrana_buf *b, unsigned field, double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    hrana_pb_put_tag(b, field, HRANA_PB_I64);
    char le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (char)(u >> (8 * i));
    hrana_buf_put(b, le, sizeof le);
}

void hrana_pb_put_bytes(hrana_buf *b, unsigned field, const void *p, size_t n)
{
    hrana_pb_put_tag(b, field, HRANA_PB_LEN);
    hrana_pb_put_varint(b, n);
    if (n)
        hrana_buf_put(b, p, n);
}

void hrana_pb_put_text(hrana_buf *b, unsigned field, const void *p, size_t n)
{
    if (hrana_utf8_valid(p, n)) {
        hrana_pb_put_bytes(b, field, p, n);
        return;
    }
    hrana_pb_put_tag(b, field, HRANA_PB_LEN);
    hrana_pb_put_varint(b, hrana_utf8_fixed_len(p, n));
    hrana_utf8_put_fixed(b, p, n);
}

void hrana_pb_put_cstr(hrana_buf *b, unsigned field, const char *s)
{
    if (s)
        hrana_pb_put_text(b, field, s, strlen(s));
}

/* ---- nested messages -----------------------------------------------------
 * A mark is the offset of the content, just after a one-byte length
 * placeholder; 0 (never a valid mark) when the buffer overflowed. */

size_t hrana_pb_item_begin(hrana_buf *b)
{
    if (hrana_buf_putc(b, 0))
        return 0;
    return b->len;
}

void hrana_pb_item_end(hrana_buf *b, size_t mark)
{
    if (b->overflow || mark == 0 || mark > b->len)
        return;
    size_t n = b->len - mark;
    size_t k = varint_size(n);
    if (k > 1) {
        if (hrana_buf_reserve(b, k - 1))
            return;
        memmove(b->p + mark - 1 + k, b->p + mark, n);
        b->len += k - 1;
    }
    varint_at(b->p + mark - 1, n);
}

size_t hrana_pb_begin(hrana_buf *b, unsigned field)
{
    hrana_pb_put_tag(b, field, HRANA_PB_LEN);
    return hrana_pb_item_begin(b);
}

void hrana_pb_end(hrana_buf *b, size_t mark)
{
    hrana_pb_item_end(b, mark);
}

/* ---- small messages ------------------------------------------------------ */

/* A Value's length is known up front: no placeholder, nothing to move (rows
 * of large texts and blobs are written once). */
void hrana_pb_put_value(hrana_buf *b, unsigned field, const lsql_value *v)
{
    const void *p = v->u.bytes.p;
    size_t n = p ? v->u.bytes.n : 0;
    hrana_pb_put_tag(b, field, HRANA_PB_LEN);
    switch (v->type) {
    case LSQL_TYPE_INTEGER:
        hrana_pb_put_varint(b, 1 + varint_size(zigzag(v->u.i)));
        hrana_pb_put_sint(b, HRANA_PB_VALUE_INTEGER, v->u.i);
        return;
    case LSQL_TYPE_FLOAT:
        if (isnan(v->u.d))
            break;
        hrana_pb_put_varint(b, 9);
        hrana_pb_put_double(b, HRANA_PB_VALUE_FLOAT, v->u.d);
        return;
    case LSQL_TYPE_TEXT:
        if (!hrana_utf8_valid(p, n)) { /* written repaired: the length changes */
            size_t fixed = hrana_utf8_fixed_len(p, n);
            hrana_pb_put_varint(b, 1 + varint_size(fixed) + (uint64_t)fixed);
            hrana_pb_put_text(b, HRANA_PB_VALUE_TEXT, p, n);
            return;
        }
        hrana_pb_put_varint(b, 1 + varint_size(n) + (uint64_t)n);
        hrana_pb_put_bytes(b, HRANA_PB_VALUE_TEXT, p, n);
        return;
    case LSQL_TYPE_BLOB:
        hrana_pb_put_varint(b, 1 + varint_size(n) + (uint64_t)n);
        hrana_pb_put_bytes(b, HRANA_PB_VALUE_BLOB, p, n);
        return;
    default:
        break;
    }
    hrana_pb_put_varint(b, 2); /* Null {} */
    hrana_pb_put_bytes(b, HRANA_PB_VALUE_NULL, NULL, 0);
}

/* A C string as a hrana_str (absent when s is NULL). */
static hrana_str cstr(const char *s)
{
    hrana_str r = {s, s ? strlen(s) : 0};
    return r;
}

void hrana_pb_put_col(hrana_buf *b, unsigned field, const char *name, const char *decltype)
{
    hrana_col c = {cstr(name), cstr(decltype)};
    hrana_pb_put_cols(b, field, &c, 1);
}

void hrana_pb_put_error(hrana_buf *b, unsigned field, const char *message, const char *code)
{
    hrana_error e = {cstr(message), cstr(code)};
    hrana_pb_put_error_s(b, field, &e);
}

void hrana_pb_put_str(hrana_buf *b, unsigned field, hrana_str s)
{
    if (s.p)
        hrana_pb_put_text(b, field, s.p, s.n);
}

void hrana_pb_put_error_s(hrana_buf *b, unsigned field, const hrana_error *e)
{
    size_t m = hrana_pb_begin(b, field);
    hrana_pb_put_bytes(b, HRANA_PB_ERROR_MESSAGE, e->message.p, e->message.p ? e->message.n : 0);
    hrana_pb_put_str(b, HRANA_PB_ERROR_CODE, e->code);
    hrana_pb_end(b, m);
}

void hrana_pb_put_cols(hrana_buf *b, unsigned field, const hrana_col *cols, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t m = hrana_pb_begin(b, field);
        hrana_pb_put_str(b, HRANA_PB_COL_NAME, cols[i].name);
        hrana_pb_put_str(b, HRANA_PB_COL_DECLTYPE, cols[i].decltype);
        hrana_pb_end(b, m);
    }
}

void hrana_pb_put_row(hrana_buf *b, unsigned field, const lsql_value *v, size_t n)
{
    size_t m = hrana_pb_begin(b, field);
    for (size_t i = 0; i < n; i++)
        hrana_pb_put_value(b, HRANA_PB_ROW_VALUES, &v[i]);
    hrana_pb_end(b, m);
}

void hrana_pb_put_stmt_result(hrana_buf *b, unsigned field, const hrana_stmt_result *r)
{
    size_t mark = hrana_pb_begin(b, field);
    hrana_pb_put_cols(b, HRANA_PB_RESULT_COLS, r->cols, r->ncols);
    for (size_t i = 0; i < r->nrows && !b->overflow; i++)
        hrana_pb_put_row(b, HRANA_PB_RESULT_ROWS, r->rows + i * r->ncols, r->ncols);
    hrana_pb_put_uint(b, HRANA_PB_RESULT_AFFECTED, r->affected_row_count);
    if (r->has_last_insert_rowid)
        hrana_pb_put_sint(b, HRANA_PB_RESULT_LAST_INSERT_ROWID, r->last_insert_rowid);
    if (r->rows_read)
        hrana_pb_put_uint(b, HRANA_PB_RESULT_ROWS_READ, r->rows_read);
    if (r->rows_written)
        hrana_pb_put_uint(b, HRANA_PB_RESULT_ROWS_WRITTEN, r->rows_written);
    if (r->query_duration_ms != 0)
        hrana_pb_put_double(b, HRANA_PB_RESULT_DURATION_MS, r->query_duration_ms);
    hrana_pb_end(b, mark);
}

/* ---- request kinds ------------------------------------------------------- */

static const unsigned char k_req_field[HRANA_REQ_COUNT] = {
    [HRANA_REQ_EXECUTE] = HRANA_PB_REQ_EXECUTE,
    [HRANA_REQ_BATCH] = HRANA_PB_REQ_BATCH,
    [HRANA_REQ_SEQUENCE] = HRANA_PB_REQ_SEQUENCE,
    [HRANA_REQ_DESCRIBE] = HRANA_PB_REQ_DESCRIBE,
    [HRANA_REQ_STORE_SQL] = HRANA_PB_REQ_STORE_SQL,
    [HRANA_REQ_CLOSE_SQL] = HRANA_PB_REQ_CLOSE_SQL,
    [HRANA_REQ_CLOSE] = HRANA_PB_REQ_CLOSE,
    [HRANA_REQ_GET_AUTOCOMMIT] = HRANA_PB_REQ_GET_AUTOCOMMIT,
};

unsigned hrana_pb_req_field(int req_type)
{
    return req_type > 0 && req_type < HRANA_REQ_COUNT ? k_req_field[req_type] : 0;
}

int hrana_pb_req_type(unsigned field)
{
    for (int t = 1; t < HRANA_REQ_COUNT; t++)
        if (field && k_req_field[t] == field)
            return t;
    return 0;
}
