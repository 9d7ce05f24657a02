/* test_pb_wire.c -- the protobuf wire level: bytes written by the writing
 * pieces checked by hand against the specification, nested lengths of 1, 2
 * and 3 bytes, the writer at its maximum, hrana_pb_frame, and the reader on
 * hand-written and malformed bytes (varints, wire types, unknown fields,
 * groups, lengths, truncation at every byte). */
#include "test_pb_util.h"

static hrana_limits lim(void)
{
    return ht_limits();
}

static void test_put_handchecked(void **state)
{
    (void)state;
    hrana_buf b;
    hrana_buf_init(&b, 1024);
    /* Value.integer = 1: field 2, varint, zigzag(1) = 2 */
    hrana_pb_put_sint(&b, HRANA_PB_VALUE_INTEGER, 1);
    assert_bytes(&b, 0x10, 0x02);
    hrana_buf_truncate(&b, 0);
    hrana_pb_put_sint(&b, 2, -1);
    assert_bytes(&b, 0x10, 0x01);
    hrana_buf_truncate(&b, 0);
    hrana_pb_put_sint(&b, 2, INT64_MIN); /* zigzag: all ones, 10 bytes */
    assert_bytes(&b, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    hrana_buf_truncate(&b, 0);
    hrana_pb_put_sint(&b, 2, INT64_MAX);
    assert_bytes(&b, 0x10, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    hrana_buf_truncate(&b, 0);
    /* int32 -1 is sign-extended to 64 bits */
    hrana_pb_put_int32(&b, 2, -1);
    assert_bytes(&b, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    hrana_buf_truncate(&b, 0);
    hrana_pb_put_uint(&b, 3, 300);
    assert_bytes(&b, 0x18, 0xac, 0x02);
    hrana_buf_truncate(&b, 0);
    /* a field number above 15 takes a two-byte tag */
    hrana_pb_put_tag(&b, 16, HRANA_PB_VARINT);
    assert_bytes(&b, 0x80, 0x01);
    hrana_buf_truncate(&b, 0);
    /* double 1.0, little-endian fixed64 */
    hrana_pb_put_double(&b, HRANA_PB_VALUE_FLOAT, 1.0);
    assert_bytes(&b, 0x19, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f);
    hrana_buf_truncate(&b, 0);
    hrana_pb_put_bool(&b, 5, 7);
    assert_bytes(&b, 0x28, 0x01);
    hrana_buf_truncate(&b, 0);
    hrana_pb_put_cstr(&b, 4, NULL);
    assert_int_equal(b.len, 0);
    hrana_pb_put_cstr(&b, 4, "hi");
    assert_bytes(&b, 0x22, 0x02, 'h', 'i');
    hrana_buf_truncate(&b, 0);
    /* Values nested in field 3 (Stmt.args) */
    lsql_value v = lsql_int(1);
    hrana_pb_put_value(&b, 3, &v);
    assert_bytes(&b, 0x1a, 0x02, 0x10, 0x02);
    hrana_buf_truncate(&b, 0);
    v = lsql_float(NAN); /* NaN: Null, like the JSON encoder */
    hrana_pb_put_value(&b, 3, &v);
    assert_bytes(&b, 0x1a, 0x02, 0x0a, 0x00);
    hrana_buf_truncate(&b, 0);
    v = lsql_null();
    hrana_pb_put_value(&b, 1, &v);
    assert_bytes(&b, 0x0a, 0x02, 0x0a, 0x00);
    hrana_buf_truncate(&b, 0);
    v = lsql_text("a\0b", 3);
    hrana_pb_put_value(&b, 1, &v);
    assert_bytes(&b, 0x0a, 0x05, 0x22, 0x03, 'a', 0, 'b');
    hrana_buf_truncate(&b, 0);
    v = lsql_blob(NULL, 0);
    hrana_pb_put_value(&b, 1, &v);
    assert_bytes(&b, 0x0a, 0x02, 0x2a, 0x00);
    hrana_buf_truncate(&b, 0);
    v = lsql_text("", 0); /* empty text is still text */
    hrana_pb_put_value(&b, 1, &v);
    assert_bytes(&b, 0x0a, 0x02, 0x22, 0x00);
    hrana_buf_truncate(&b, 0);
    hrana_pb_put_col(&b, 1, "a", NULL);
    assert_bytes(&b, 0x0a, 0x03, 0x0a, 0x01, 'a');
    hrana_buf_truncate(&b, 0);
    hrana_pb_put_error(&b, 2, "m", "C");
    assert_bytes(&b, 0x12, 0x06, 0x0a, 0x01, 'm', 0x12, 0x01, 'C');
    hrana_buf_truncate(&b, 0);
    hrana_pb_put_error(&b, 2, "m", NULL);
    assert_bytes(&b, 0x12, 0x03, 0x0a, 0x01, 'm');
    hrana_buf_truncate(&b, 0);
    /* StmtResult: no rows, affected 1, rowid -1, stats only when non-zero */
    hrana_stmt_result r = {.affected_row_count = 1, .has_last_insert_rowid = 1,
                           .last_insert_rowid = -1};
    hrana_pb_put_stmt_result(&b, 1, &r);
    assert_bytes(&b, 0x0a, 0x04, 0x18, 0x01, 0x20, 0x01);
    hrana_buf_truncate(&b, 0);
    r = (hrana_stmt_result){.rows_read = 2, .rows_written = 3, .query_duration_ms = 0.5};
    hrana_pb_put_stmt_result(&b, 1, &r);
    /* sqld's fields: 6 rows_read, 7 rows_written, 8 query_duration_ms */
    assert_bytes(&b, 0x0a, 0x0f, 0x18, 0x00, 0x30, 0x02, 0x38, 0x03, 0x41, 0, 0, 0, 0, 0, 0,
                 0xe0, 0x3f);
    hrana_buf_truncate(&b, 0);
    /* whole request bodies */
    hrana_request close = {.type = HRANA_REQ_CLOSE};
    hrana_pipeline_req pr = {.requests = &close, .nrequests = 1};
    hrana_pb_encode_pipeline_req(&b, &pr);
    assert_bytes(&b, 0x12, 0x02, 0x0a, 0x00);
    hrana_buf_truncate(&b, 0);
    hrana_request ga = {.type = HRANA_REQ_GET_AUTOCOMMIT};
    pr = (hrana_pipeline_req){.baton = S("b"), .requests = &ga, .nrequests = 1};
    hrana_pb_encode_pipeline_req(&b, &pr);
    assert_bytes(&b, 0x0a, 0x01, 'b', 0x12, 0x02, 0x42, 0x00);
    hrana_buf_free(&b);
}

/* Hand-written bodies decode to what they say. */
static void test_decode_handwritten(void **state)
{
    (void)state;
    hrana_limits l = lim();
    hrana_status st;
    /* requests[0] = execute {stmt {sql "SELECT 1", want_rows false}} */
    static const unsigned char req[] = {0x12, 0x10, 0x12, 0x0e, 0x0a, 0x0c, 0x0a, 0x08,
                                        'S',  'E',  'L',  'E',  'C',  'T',  ' ',  '1',
                                        0x28, 0x00};
    hrana_pipeline_req r;
    assert_status(HRANA_OK, hrana_pb_decode_pipeline_req(req, sizeof req, &l, &r, &st), st);
    assert_null(r.baton.p);
    assert_int_equal(r.nrequests, 1);
    assert_int_equal(r.requests[0].type, HRANA_REQ_EXECUTE);
    assert_string_equal(r.requests[0].stmt.sql.p, "SELECT 1");
    assert_int_equal(r.requests[0].stmt.want_rows, 0);
    assert_int_equal(r.requests[0].stmt.has_sql_id, 0);
    hrana_pipeline_req_free(&r);
    /* results[0] = ok {execute {result {cols [{name "x"}], rows [[42]],
     * last_insert_rowid 7}}} */
    static const unsigned char resp[] = {0x1a, 0x13, 0x0a, 0x11, 0x12, 0x0f, 0x0a, 0x0d,
                                         0x0a, 0x03, 0x0a, 0x01, 'x',  0x12, 0x04, 0x0a,
                                         0x02, 0x10, 0x54, 0x20, 0x0e};
    hrana_pipeline_resp p;
    assert_status(HRANA_OK, hrana_pb_decode_pipeline_resp(resp, sizeof resp, &l, &p, &st), st);
    assert_int_equal(p.nresults, 1);
    const hrana_stmt_result *sr = &p.results[0].response.stmt;
    assert_int_equal(p.results[0].response.type, HRANA_REQ_EXECUTE);
    assert_int_equal(sr->ncols, 1);
    assert_string_equal(sr->cols[0].name.p, "x");
    assert_null(sr->cols[0].decltype.p);
    assert_int_equal(sr->nrows, 1);
    assert_int_equal(sr->rows[0].type, LSQL_TYPE_INTEGER);
    assert_true(sr->rows[0].u.i == 42);
    assert_true(sr->affected_row_count == 0);
    assert_int_equal(sr->has_last_insert_rowid, 1);
    assert_true(sr->last_insert_rowid == 7);
    hrana_pipeline_resp_free(&p);
    /* a cursor entry: step_end {affected 3, rowid -2 (zigzag 3)} */
    static const unsigned char ent[] = {0x12, 0x04, 0x08, 0x03, 0x10, 0x03};
    hrana_cursor_entry e;
    assert_status(HRANA_OK, hrana_pb_decode_cursor_entry(ent, sizeof ent, &l, &e, &st), st);
    assert_int_equal(e.type, HRANA_ENTRY_STEP_END);
    assert_true(e.affected_row_count == 3);
    assert_true(e.has_last_insert_rowid && e.last_insert_rowid == -2);
    hrana_cursor_entry_free(&e);
    /* an empty body is an empty pipeline (protobuf has no required fields) */
    assert_status(HRANA_OK, hrana_pb_decode_pipeline_req(NULL, 0, &l, &r, &st), st);
    assert_int_equal(r.nrequests, 0);
    hrana_pipeline_req_free(&r);
    assert_status(HRANA_E_JSON, hrana_pb_decode_pipeline_req(NULL, 3, &l, &r, &st), st);
}

/* Content moved right when its length needs 2 or 3 bytes. */
static void check_len(size_t n, const unsigned char *prefix, size_t plen)
{
    hrana_buf b;
    hrana_buf_init(&b, 1 << 20);
    hrana_buf_putc(&b, 'X');
    size_t m = hrana_pb_begin(&b, 4);
    for (size_t i = 0; i < n; i++)
        hrana_buf_putc(&b, (char)(i * 7 + 1));
    hrana_pb_end(&b, m);
    hrana_buf_putc(&b, 'Y');
    assert_true(hrana_buf_ok(&b));
    assert_int_equal(b.len, 1 + 1 + plen + n + 1);
    assert_int_equal(b.p[0], 'X');
    assert_int_equal((unsigned char)b.p[1], 0x22);
    assert_memory_equal(b.p + 2, prefix, plen);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(b.p[2 + plen + i], (char)(i * 7 + 1));
    assert_int_equal(b.p[b.len - 1], 'Y');
    /* the same as a top-level item */
    hrana_buf_truncate(&b, 0);
    m = hrana_pb_item_begin(&b);
    for (size_t i = 0; i < n; i++)
        hrana_buf_putc(&b, 'z');
    hrana_pb_item_end(&b, m);
    assert_int_equal(b.len, plen + n);
    assert_memory_equal(b.p, prefix, plen);
    size_t hdr, len;
    hrana_status st;
    assert_int_equal(hrana_pb_frame(b.p, b.len, n, &hdr, &len, &st), 1);
    assert_int_equal(hdr, plen);
    assert_int_equal(len, n);
    hrana_buf_free(&b);
}

static void test_begin_end_lengths(void **state)
{
    (void)state;
    check_len(0, (const unsigned char[]){0x00}, 1);
    check_len(127, (const unsigned char[]){0x7f}, 1);
    check_len(128, (const unsigned char[]){0x80, 0x01}, 2);
    check_len(300, (const unsigned char[]){0xac, 0x02}, 2);
    check_len(16383, (const unsigned char[]){0xff, 0x7f}, 2);
    check_len(16384, (const unsigned char[]){0x80, 0x80, 0x01}, 3);
    check_len(70000, (const unsigned char[]){0xf0, 0xa2, 0x04}, 3);
    /* nested: both lengths grow, content intact through the decoder */
    char *big = malloc(20000);
    for (int i = 0; i < 20000; i++)
        big[i] = (char)('a' + i % 26);
    lsql_value args[] = {lsql_text(big, 20000), lsql_blob(big, 200), lsql_int(5)};
    hrana_request q = {.type = HRANA_REQ_EXECUTE,
                       .stmt = {.sql = S("SELECT ?, ?, ?"), .args = args, .nargs = 3,
                                .want_rows = 1}};
    hrana_pipeline_req in = {.requests = &q, .nrequests = 1};
    pbt_req_roundtrip(&in);
    free(big);
}

static void test_writer_overflow(void **state)
{
    (void)state;
    static const unsigned char blob[300] = {1};
    lsql_value args[] = {lsql_blob(blob, 300), lsql_int(1)};
    hrana_request q = {.type = HRANA_REQ_EXECUTE,
                       .stmt = {.sql = S("SELECT ?"), .args = args, .nargs = 2}};
    hrana_pipeline_req in = {.requests = &q, .nrequests = 1};
    hrana_buf full;
    hrana_buf_init(&full, 1 << 20);
    hrana_pb_encode_pipeline_req(&full, &in);
    assert_true(hrana_buf_ok(&full));
    /* every maximum below the size fails cleanly, the exact one works */
    for (size_t max = 0; max <= full.len; max++) {
        hrana_buf b;
        hrana_buf_init(&b, max);
        hrana_pb_encode_pipeline_req(&b, &in);
        if (max < full.len) {
            assert_false(hrana_buf_ok(&b));
            assert_true(b.len <= max);
            /* more writes after the overflow do nothing */
            size_t len = b.len;
            size_t m = hrana_pb_begin(&b, 1);
            hrana_pb_put_uint(&b, 1, 5);
            hrana_pb_end(&b, m);
            hrana_pb_item_end(&b, 1);
            assert_int_equal(b.len, len);
        } else {
            assert_true(hrana_buf_ok(&b));
            assert_int_equal(b.len, full.len);
            assert_memory_equal(b.p, full.p, full.len);
        }
        hrana_buf_free(&b);
    }
    /* the length growing by a byte at hrana_pb_end is what overflows */
    hrana_buf b;
    hrana_buf_init(&b, 2 + 128);
    size_t m = hrana_pb_begin(&b, 1);
    for (int i = 0; i < 128; i++)
        hrana_buf_putc(&b, 'a');
    assert_true(hrana_buf_ok(&b));
    hrana_pb_end(&b, m);
    assert_false(hrana_buf_ok(&b));
    hrana_buf_free(&b);
    /* a stale mark past the end is ignored */
    hrana_buf_init(&b, 100);
    m = hrana_pb_begin(&b, 1);
    hrana_buf_truncate(&b, 0);
    hrana_pb_end(&b, m);
    assert_int_equal(b.len, 0);
    assert_true(hrana_buf_ok(&b));
    hrana_buf_free(&b);
    hrana_buf_free(&full);
}

static void test_frame(void **state)
{
    (void)state;
    hrana_status st;
    size_t hdr = 99, len = 99;
    const unsigned char *none = (const unsigned char *)"";
    assert_int_equal(hrana_pb_frame(none, 0, 100, &hdr, &len, &st), 0);
    static const unsigned char p1[] = {0x80};
    assert_int_equal(hrana_pb_frame(p1, 1, 1000, &hdr, &len, &st), 0);
    static const unsigned char p2[] = {0x80, 0x80};
    assert_int_equal(hrana_pb_frame(p2, 2, 1000, &hdr, &len, &st), 0);
    /* a whole prefix, part of the item: not yet, but sizes known */
    static const unsigned char p3[] = {0x03, 'a', 'b'};
    assert_int_equal(hrana_pb_frame(p3, 3, 1000, &hdr, &len, &st), 0);
    assert_int_equal(hdr, 1);
    assert_int_equal(len, 3);
    static const unsigned char p4[] = {0x03, 'a', 'b', 'c', 0x05};
    assert_int_equal(hrana_pb_frame(p4, 5, 1000, &hdr, &len, &st), 1);
    assert_int_equal(hdr, 1);
    assert_int_equal(len, 3);
    static const unsigned char p5[] = {0x00};
    assert_int_equal(hrana_pb_frame(p5, 1, 0, &hdr, &len, &st), 1);
    assert_int_equal(len, 0);
    /* longer than max */
    static const unsigned char p6[] = {0xac, 0x02};
    assert_int_equal(hrana_pb_frame(p6, 2, 299, &hdr, &len, &st), -1);
    assert_int_equal(st.code, HRANA_E_TOO_LARGE);
    assert_non_null(strstr(st.message, "300"));
    assert_int_equal(hrana_pb_frame(p6, 2, 300, &hdr, &len, &st), 0);
    /* a 10-byte prefix of the largest value: too large, not malformed */
    static const unsigned char p7[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    assert_int_equal(hrana_pb_frame(p7, 10, SIZE_MAX - 1, &hdr, &len, &st), -1);
    assert_int_equal(st.code, HRANA_E_TOO_LARGE);
    /* malformed: more than 64 bits, more than 10 bytes */
    static const unsigned char p8[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    assert_int_equal(hrana_pb_frame(p8, 10, 1000, &hdr, &len, &st), -1);
    assert_int_equal(st.code, HRANA_E_JSON);
    static const unsigned char p9[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    assert_int_equal(hrana_pb_frame(p9, 11, 1000, &hdr, &len, &st), -1);
    assert_int_equal(st.code, HRANA_E_JSON);
    /* nine continuation bytes may still become a valid prefix */
    assert_int_equal(hrana_pb_frame(p9, 9, 1000, &hdr, &len, &st), 0);
    /* a non-minimal prefix is still a length */
    static const unsigned char p10[] = {0x81, 0x00, 'x'};
    assert_int_equal(hrana_pb_frame(p10, 3, 10, &hdr, &len, NULL), 1);
    assert_int_equal(hdr, 2);
    assert_int_equal(len, 1);
}

/* A Value message of raw bytes decoded inside a statement argument. */
static int dec_value(const unsigned char *val, size_t n, lsql_value *out, hrana_status *st,
                     hrana_pipeline_req *r)
{
    hrana_buf b;
    hrana_buf_init(&b, 1 << 20);
    size_t m1 = hrana_pb_begin(&b, HRANA_PB_PIPELINE_REQ_REQUESTS);
    size_t m2 = hrana_pb_begin(&b, HRANA_PB_REQ_EXECUTE);
    size_t m3 = hrana_pb_begin(&b, HRANA_PB_INNER);
    hrana_pb_put_cstr(&b, HRANA_PB_STMT_SQL, "SELECT ?");
    hrana_pb_put_bytes(&b, HRANA_PB_STMT_ARGS, val, n);
    hrana_pb_end(&b, m3);
    hrana_pb_end(&b, m2);
    hrana_pb_end(&b, m1);
    hrana_limits l = lim();
    int rc = hrana_pb_decode_pipeline_req(b.p, b.len, &l, r, st);
    if (rc == HRANA_OK)
        *out = r->requests[0].stmt.args[0];
    hrana_buf_free(&b);
    return rc;
}

static void test_varints(void **state)
{
    (void)state;
    hrana_status st;
    hrana_pipeline_req r;
    lsql_value v;
    /* 10 bytes: the largest zigzag value is INT64_MIN */
    static const unsigned char ten[] = {0x10, 0xff, 0xff, 0xff, 0xff, 0xff,
                                        0xff, 0xff, 0xff, 0xff, 0x01};
    assert_status(HRANA_OK, dec_value(ten, sizeof ten, &v, &st, &r), st);
    assert_true(v.type == LSQL_TYPE_INTEGER && v.u.i == INT64_MIN);
    hrana_pipeline_req_free(&r);
    /* non-minimal (padded) varints are accepted: 0x82 0x80 0x00 = 2 -> 1 */
    static const unsigned char pad[] = {0x10, 0x82, 0x80, 0x00};
    assert_status(HRANA_OK, dec_value(pad, sizeof pad, &v, &st, &r), st);
    assert_true(v.u.i == 1);
    hrana_pipeline_req_free(&r);
    /* 11 bytes */
    static const unsigned char eleven[] = {0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                           0x80, 0x80, 0x80, 0x80, 0x00};
    assert_status(HRANA_E_JSON, dec_value(eleven, sizeof eleven, &v, &st, &r), st);
    assert_non_null(strstr(st.message, "varint"));
    assert_non_null(strstr(st.message, "requests[0].stmt.args[0]"));
    assert_null(r.arena);
    /* 10 bytes, more than 64 bits */
    static const unsigned char wide[] = {0x10, 0xff, 0xff, 0xff, 0xff, 0xff,
                                         0xff, 0xff, 0xff, 0xff, 0x02};
    assert_status(HRANA_E_JSON, dec_value(wide, sizeof wide, &v, &st, &r), st);
    /* truncated */
    static const unsigned char cut[] = {0x10, 0xff};
    assert_status(HRANA_E_JSON, dec_value(cut, sizeof cut, &v, &st, &r), st);
    /* doubles */
    static const unsigned char mz[] = {0x19, 0, 0, 0, 0, 0, 0, 0, 0x80};
    assert_status(HRANA_OK, dec_value(mz, sizeof mz, &v, &st, &r), st);
    assert_true(v.type == LSQL_TYPE_FLOAT && v.u.d == 0 && signbit(v.u.d));
    hrana_pipeline_req_free(&r);
    static const unsigned char shortd[] = {0x19, 0, 0, 0, 0, 0, 0, 0};
    assert_status(HRANA_E_JSON, dec_value(shortd, sizeof shortd, &v, &st, &r), st);
}

static void test_wire_types(void **state)
{
    (void)state;
    hrana_status st;
    hrana_pipeline_req r;
    lsql_value v;
    /* unknown fields of every wire type, before and after, are skipped */
    static const unsigned char junk[] = {
        0x48, 0x96, 0x01,                         /* 9: varint 150 */
        0x51, 1, 2, 3, 4, 5, 6, 7, 8,             /* 10: fixed64 */
        0x5a, 0x03, 'x', 'y', 'z',                /* 11: bytes */
        0x65, 1, 2, 3, 4,                         /* 12: fixed32 */
        0xf8, 0xff, 0xff, 0xff, 0x0f, 0x01,       /* 536870911: varint */
        0x10, 0x0a,                               /* integer 5 */
        0x6a, 0x00,                               /* 13: empty bytes */
    };
    assert_status(HRANA_OK, dec_value(junk, sizeof junk, &v, &st, &r), st);
    assert_true(v.type == LSQL_TYPE_INTEGER && v.u.i == 5);
    hrana_pipeline_req_free(&r);
    /* groups and wire types 6, 7 are malformed, known or not */
    static const unsigned char g3[] = {0x4b, 0x4c, 0x10, 0x02};
    assert_status(HRANA_E_JSON, dec_value(g3, sizeof g3, &v, &st, &r), st);
    assert_non_null(strstr(st.message, "group"));
    static const unsigned char g4[] = {0x10, 0x02, 0x4c};
    assert_status(HRANA_E_JSON, dec_value(g4, sizeof g4, &v, &st, &r), st);
    static const unsigned char w6[] = {0x10, 0x02, 0x4e};
    assert_status(HRANA_E_JSON, dec_value(w6, sizeof w6, &v, &st, &r), st);
    static const unsigned char w7[] = {0x17, 0x02};
    assert_status(HRANA_E_JSON, dec_value(w7, sizeof w7, &v, &st, &r), st);
    /* field number 0, and beyond 2^29 - 1 */
    static const unsigned char f0[] = {0x00, 0x01};
    assert_status(HRANA_E_JSON, dec_value(f0, sizeof f0, &v, &st, &r), st);
    static const unsigned char fbig[] = {0x80, 0x80, 0x80, 0x80, 0x10, 0x01};
    assert_status(HRANA_E_JSON, dec_value(fbig, sizeof fbig, &v, &st, &r), st);
    /* a known field with the wrong wire type */
    static const unsigned char wi[] = {0x12, 0x01, 0x05}; /* integer as bytes */
    assert_status(HRANA_E_JSON, dec_value(wi, sizeof wi, &v, &st, &r), st);
    assert_non_null(strstr(st.message, "requests[0].stmt.args[0].integer"));
    static const unsigned char wf[] = {0x1d, 0, 0, 0, 0}; /* float as fixed32 */
    assert_status(HRANA_E_JSON, dec_value(wf, sizeof wf, &v, &st, &r), st);
    static const unsigned char wt[] = {0x20, 0x01}; /* text as varint */
    assert_status(HRANA_E_JSON, dec_value(wt, sizeof wt, &v, &st, &r), st);
    static const unsigned char wn[] = {0x08, 0x00}; /* null as varint */
    assert_status(HRANA_E_JSON, dec_value(wn, sizeof wn, &v, &st, &r), st);
    /* a length past the end of the enclosing message */
    static const unsigned char past[] = {0x22, 0x05, 'a', 'b'};
    assert_status(HRANA_E_JSON, dec_value(past, sizeof past, &v, &st, &r), st);
    assert_non_null(strstr(st.message, "past the end"));
    /* a malformed Null message */
    static const unsigned char badnull[] = {0x0a, 0x01, 0x80};
    assert_status(HRANA_E_JSON, dec_value(badnull, sizeof badnull, &v, &st, &r), st);
    /* at the top level: requests as a varint */
    hrana_limits l = lim();
    static const unsigned char top[] = {0x10, 0x01};
    assert_status(HRANA_E_JSON, hrana_pb_decode_pipeline_req(top, sizeof top, &l, &r, &st), st);
    assert_non_null(strstr(st.message, "requests[0]"));
    static const unsigned char topb[] = {0x08, 0x01}; /* baton as a varint */
    assert_status(HRANA_E_JSON, hrana_pb_decode_pipeline_req(topb, sizeof topb, &l, &r, &st), st);
    assert_non_null(strstr(st.message, "baton"));
}

/* Unknown fields of every wire type at every level of a request (sqld's
 * replication_index fields among them) change nothing. */
static void junk(hrana_buf *b)
{
    hrana_pb_put_uint(b, 20, 1);
    hrana_pb_put_double(b, 21, 2.0);
    hrana_pb_put_cstr(b, 22, "junk");
    hrana_pb_put_tag(b, 23, HRANA_PB_I32);
    hrana_buf_put(b, "\1\2\3\4", 4);
}

static void test_unknown_fields_everywhere(void **state)
{
    (void)state;
    hrana_buf b;
    hrana_buf_init(&b, 1 << 20);
    junk(&b);
    size_t m1 = hrana_pb_begin(&b, HRANA_PB_PIPELINE_REQ_REQUESTS);
    junk(&b);
    size_t m2 = hrana_pb_begin(&b, HRANA_PB_REQ_BATCH);
    junk(&b);
    size_t m3 = hrana_pb_begin(&b, HRANA_PB_INNER);
    hrana_pb_put_uint(&b, 2, 77); /* sqld: Batch.replication_index */
    junk(&b);
    for (int s = 0; s < 2; s++) {
        size_t m4 = hrana_pb_begin(&b, HRANA_PB_BATCH_STEPS);
        junk(&b);
        if (s == 1) {
            size_t m5 = hrana_pb_begin(&b, HRANA_PB_STEP_CONDITION);
            junk(&b);
            size_t m6 = hrana_pb_begin(&b, HRANA_PB_COND_AND);
            junk(&b);
            size_t m7 = hrana_pb_begin(&b, HRANA_PB_CONDLIST_CONDS);
            hrana_pb_put_uint(&b, HRANA_PB_COND_STEP_OK, 0);
            junk(&b);
            hrana_pb_end(&b, m7);
            hrana_pb_end(&b, m6);
            hrana_pb_end(&b, m5);
        }
        size_t m8 = hrana_pb_begin(&b, HRANA_PB_STEP_STMT);
        junk(&b);
        hrana_pb_put_cstr(&b, HRANA_PB_STMT_SQL, "SELECT :a");
        hrana_pb_put_uint(&b, 6, 5); /* sqld: Stmt.replication_index */
        size_t m9 = hrana_pb_begin(&b, HRANA_PB_STMT_NAMED_ARGS);
        junk(&b);
        hrana_pb_put_cstr(&b, HRANA_PB_NAMED_ARG_NAME, ":a");
        size_t m10 = hrana_pb_begin(&b, HRANA_PB_NAMED_ARG_VALUE);
        junk(&b);
        hrana_pb_put_sint(&b, HRANA_PB_VALUE_INTEGER, -7);
        junk(&b);
        hrana_pb_end(&b, m10);
        hrana_pb_end(&b, m9);
        junk(&b);
        hrana_pb_end(&b, m8);
        hrana_pb_end(&b, m4);
    }
    hrana_pb_end(&b, m3);
    junk(&b);
    hrana_pb_end(&b, m2);
    hrana_pb_end(&b, m1);
    junk(&b);
    assert_true(hrana_buf_ok(&b));
    hrana_limits l = lim();
    hrana_status st;
    hrana_pipeline_req r;
    assert_status(HRANA_OK, hrana_pb_decode_pipeline_req(b.p, b.len, &l, &r, &st), st);
    hrana_named_arg na = {S(":a"), lsql_int(-7)};
    hrana_cond ok0 = {.type = HRANA_COND_OK, .step = 0};
    hrana_cond andc = {.type = HRANA_COND_AND, .conds = &ok0, .nconds = 1};
    hrana_step steps[] = {
        {NULL, {.sql = S("SELECT :a"), .named_args = &na, .nnamed = 1, .want_rows = 1}},
        {&andc, {.sql = S("SELECT :a"), .named_args = &na, .nnamed = 1, .want_rows = 1}},
    };
    hrana_request q = {.type = HRANA_REQ_BATCH, .batch = {steps, 2}};
    hrana_pipeline_req want = {.requests = &q, .nrequests = 1};
    pbt_pipeline_req_eq(&want, &r);
    hrana_pipeline_req_free(&r);
    hrana_buf_free(&b);
}

/* Where top-level fields end in body[0..n) (a separate, minimal reader). */
static size_t top_boundaries(const unsigned char *p, size_t n, size_t *out, size_t max)
{
    size_t i = 0, k = 0;
    out[k++] = 0;
    while (i < n && k < max) {
        uint64_t tag = 0, len = 0;
        int sh = 0;
        do
            tag |= (uint64_t)(p[i] & 0x7f) << sh, sh += 7;
        while (p[i++] & 0x80);
        if ((tag & 7) == 0) {
            while (p[i++] & 0x80)
                ;
        } else if ((tag & 7) == 2) {
            sh = 0;
            do
                len |= (uint64_t)(p[i] & 0x7f) << sh, sh += 7;
            while (p[i++] & 0x80);
            i += (size_t)len;
        } else {
            i += (tag & 7) == 1 ? 8 : 4;
        }
        out[k++] = i;
    }
    return k;
}

typedef int (*dec_fn)(const unsigned char *p, size_t n, int *ok);

static void truncations(const hrana_buf *b, dec_fn fn)
{
    size_t bound[256];
    size_t nb = top_boundaries((const unsigned char *)b->p, b->len, bound, 256);
    assert_true(nb < 256);
    size_t failed = 0;
    for (size_t n = 0; n < b->len; n++) {
        /* a copy of exactly n bytes, so that ASan sees any read past it */
        unsigned char *copy = malloc(n ? n : 1);
        memcpy(copy, b->p, n);
        int ok = 0;
        fn(copy, n, &ok);
        free(copy);
        int at_boundary = 0;
        for (size_t k = 0; k < nb; k++)
            at_boundary |= bound[k] == n;
        if (ok != at_boundary)
            fail_msg("prefix of %zu bytes of %zu: %s", n, b->len, ok ? "accepted" : "refused");
        failed += !ok;
    }
    assert_true(failed > b->len / 2);
}

static int trunc_req(const unsigned char *p, size_t n, int *ok)
{
    hrana_limits l = lim();
    hrana_status st;
    hrana_pipeline_req r;
    int rc = hrana_pb_decode_pipeline_req(p, n, &l, &r, &st);
    *ok = rc == HRANA_OK;
    if (rc != HRANA_OK) {
        assert_true(st.message[0] != 0);
        assert_null(r.arena);
        assert_null(r.requests);
    }
    hrana_pipeline_req_free(&r);
    return rc;
}

static int trunc_resp(const unsigned char *p, size_t n, int *ok)
{
    hrana_limits l = lim();
    hrana_status st;
    hrana_pipeline_resp r;
    int rc = hrana_pb_decode_pipeline_resp(p, n, &l, &r, &st);
    *ok = rc == HRANA_OK;
    if (rc != HRANA_OK)
        assert_null(r.arena);
    hrana_pipeline_resp_free(&r);
    return rc;
}

static void test_truncation_everywhere(void **state)
{
    (void)state;
    lsql_value args[] = {lsql_int(INT64_MIN), lsql_float(-2.5), lsql_text("t\0x", 3),
                         lsql_blob("\1\2", 2), lsql_null()};
    hrana_named_arg named[] = {{S(":n"), lsql_int(3)}};
    hrana_cond ok0 = {.type = HRANA_COND_OK, .step = 0};
    hrana_cond notc = {.type = HRANA_COND_NOT, .conds = &ok0, .nconds = 1};
    hrana_step steps[] = {{NULL, {.sql = S("BEGIN")}}, {&notc, {.has_sql_id = 1, .sql_id = 4}}};
    hrana_request reqs[] = {
        {.type = HRANA_REQ_EXECUTE,
         .stmt = {.sql = S("SELECT ?"), .args = args, .nargs = 5, .named_args = named,
                  .nnamed = 1, .want_rows = 1}},
        {.type = HRANA_REQ_BATCH, .batch = {steps, 2}},
        {.type = HRANA_REQ_STORE_SQL, .sql = S("SELECT 2"), .has_sql_id = 1, .sql_id = 4},
        {.type = HRANA_REQ_DESCRIBE, .sql = S("SELECT 3")},
    };
    hrana_pipeline_req in = {.baton = S("bt"), .requests = reqs, .nrequests = 4};
    hrana_buf b;
    hrana_buf_init(&b, 1 << 20);
    hrana_pb_encode_pipeline_req(&b, &in);
    truncations(&b, trunc_req);
    hrana_buf_truncate(&b, 0);
    hrana_col cols[] = {{S("a"), S("INT")}, {NOSTR, NOSTR}};
    lsql_value rows[] = {lsql_int(1), lsql_text("x", 1), lsql_float(1e300), lsql_null()};
    hrana_stmt_result r1 = {cols, 2, rows, 2, 5, 1, -9, 1, 2, 0.25};
    hrana_stmt_result *sr[] = {NULL, &r1};
    hrana_error e1 = {S("bad"), S("SQLITE_ERROR")};
    hrana_error *se[] = {&e1, NULL};
    hrana_stream_result res[] = {
        {.response = {.type = HRANA_REQ_EXECUTE, .stmt = r1}},
        {.response = {.type = HRANA_REQ_BATCH, .batch = {2, sr, se}}},
        {.is_error = 1, .error = e1},
    };
    hrana_pipeline_resp out = {.baton = S("b"), .base_url = S("u"), .results = res,
                               .nresults = 3};
    hrana_pb_encode_pipeline_resp(&b, &out);
    truncations(&b, trunc_resp);
    hrana_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_handchecked),
        cmocka_unit_test(test_decode_handwritten),
        cmocka_unit_test(test_begin_end_lengths),
        cmocka_unit_test(test_writer_overflow),
        cmocka_unit_test(test_frame),
        cmocka_unit_test(test_varints),
        cmocka_unit_test(test_wire_types),
        cmocka_unit_test(test_unknown_fields_everywhere),
        cmocka_unit_test(test_truncation_everywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
