/* test_pb_wire.c -- the bytes of /v3-protobuf answers checked by hand
 * against the schema (a reader of the tests' own, not the codec), the same
 * requests answered alike by the JSON and protobuf endpoints, and the JSON
 * answer unchanged byte for byte by the split of the writers. */
#include "srv_pbutil.h"

static tsrv T;

static int setup(void **state)
{
    (void)state;
    lsqld_config c;
    ts_config(&c, &T, "pb-wire");
    c.limits.max_body = 256 * 1024;
    c.max_response = 128 * 1024;
    c.max_stored_sql = 3;
    c.max_stored_sql_bytes = 64;
    c.statement_timeout_ms = 2000;
    ts_start(&T, &c);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_stop(&T);
    return 0;
}

/* ---- byte-level checks against the schema, without the codec ------------- */

static void put_varint(unsigned char *out, size_t *n, uint64_t v)
{
    while (v >= 0x80) {
        out[(*n)++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    out[(*n)++] = (unsigned char)v;
}

static void test_pb_bytes(void **state)
{
    (void)state;
    hrana_request reqs[] = {
        pb_req(HRANA_REQ_GET_AUTOCOMMIT),
        pb_sql_req(HRANA_REQ_DESCRIBE, "SELECT ? AS x", 0),
        pb_store_sql(1, "SELECT 1"),
        pb_close_sql(1),
        pb_sql_req(HRANA_REQ_SEQUENCE, "SELECT 1", 0),
        pb_exec("SELEC"),
        pb_req(HRANA_REQ_CLOSE),
    };
    hrana_pipeline_resp p;
    tresp r;
    pb_pipeline_v(T.port, NULL, NULL, reqs, N_(reqs), &p, &r);
    hrana_pipeline_resp_free(&p);
    unsigned char want[512];
    size_t n = 0;
    static const unsigned char head[] = {
        /* results { ok { get_autocommit(8) { is_autocommit: true } } } */
        0x1a, 0x06, 0x0a, 0x04, 0x42, 0x02, 0x08, 0x01,
        /* results { ok { describe(5) { result { params {} cols {name "x"}
         * is_explain false, is_readonly true } } } } */
        0x1a, 0x11, 0x0a, 0x0f, 0x2a, 0x0d, 0x0a, 0x0b, 0x0a, 0x00, 0x12, 0x03, 0x0a, 0x01,
        'x', 0x18, 0x00, 0x20, 0x01,
        /* store_sql(6) {}, close_sql(7) {}, sequence(4) {} */
        0x1a, 0x04, 0x0a, 0x02, 0x32, 0x00, 0x1a, 0x04, 0x0a, 0x02, 0x3a, 0x00, 0x1a, 0x04,
        0x0a, 0x02, 0x22, 0x00};
    memcpy(want, head, sizeof head);
    n = sizeof head;
    /* results { error { message, code } } */
    const char *msg = "near \"SELEC\": syntax error (at offset 0)", *code = "SQL_INPUT_ERROR";
    size_t ml = strlen(msg), cl = strlen(code);
    size_t err_len = 2 + ml + 2 + cl;
    want[n++] = 0x1a;
    put_varint(want, &n, 2 + err_len);
    want[n++] = 0x12;
    put_varint(want, &n, err_len);
    want[n++] = 0x0a;
    put_varint(want, &n, ml);
    memcpy(want + n, msg, ml);
    n += ml;
    want[n++] = 0x12;
    put_varint(want, &n, cl);
    memcpy(want + n, code, cl);
    n += cl;
    /* results { ok { close(1) {} } }; no baton */
    static const unsigned char tail[] = {0x1a, 0x04, 0x0a, 0x02, 0x0a, 0x00};
    memcpy(want + n, tail, sizeof tail);
    n += sizeof tail;
    if (r.len != n || memcmp(r.body, want, n)) {
        char hex[2048];
        size_t k = 0;
        for (size_t i = 0; i < r.len && k + 4 < sizeof hex; i++)
            k += (size_t)snprintf(hex + k, sizeof hex - k, "%02x ", (unsigned char)r.body[i]);
        fail_msg("answer of %zu bytes (want %zu): %s", r.len, n, hex);
    }
    ts_free(&r);

    /* an execute with every value type, walked by hand; the stream stays
     * open: the baton comes last */
    static const unsigned char blob[] = {0, 0xff};
    lsql_value args[] = {lsql_int(INT64_MIN), lsql_float(1.5), lsql_text("h\0i", 3),
                         lsql_blob(blob, 2), lsql_null(), lsql_int(-3)};
    hrana_stmt s = pb_stmt("SELECT ? AS a, ?, ?, ?, ?, ?");
    s.args = args;
    s.nargs = N_(args);
    hrana_request ex = pb_exec_stmt(s);
    pb_pipeline_v(T.port, NULL, NULL, &ex, 1, &p, &r);
    char baton[128];
    pb_baton(&p, baton, sizeof baton);
    hrana_pipeline_resp_free(&p);
    size_t pos = 0, nf = 0;
    pbf f, last = {0};
    while (pbr_next((const unsigned char *)r.body, r.len, &pos, &f)) {
        nf++;
        last = f;
    }
    assert_int_equal(nf, 2);
    assert_int_equal(last.field, HRANA_PB_PIPELINE_RESP_BATON);
    assert_int_equal(last.n, 64);
    assert_memory_equal(last.p, baton, 64);
    pbf res = pbr_get(r.body, r.len, HRANA_PB_PIPELINE_RESP_RESULTS, 0);
    pbf ok = pbr_get(res.p, res.n, HRANA_PB_STREAM_RESULT_OK, 0);
    pbf exf = pbr_get(ok.p, ok.n, HRANA_PB_REQ_EXECUTE, 0);
    pbf sr = pbr_get(exf.p, exf.n, HRANA_PB_INNER, 0);
    assert_int_equal(pbr_count(sr.p, sr.n, HRANA_PB_RESULT_COLS), 6);
    pbf col0 = pbr_get(sr.p, sr.n, HRANA_PB_RESULT_COLS, 0);
    assert_int_equal(col0.n, 3); /* name "a", no decltype */
    assert_memory_equal(col0.p, "\x0a\x01" "a", 3);
    assert_int_equal(pbr_count(sr.p, sr.n, HRANA_PB_RESULT_ROWS), 1);
    pbf row = pbr_get(sr.p, sr.n, HRANA_PB_RESULT_ROWS, 0);
    pbf v0 = pbr_get(row.p, row.n, HRANA_PB_ROW_VALUES, 0);
    /* integer = 2 (sint64): zigzag(INT64_MIN) is all ones, 10 bytes */
    assert_int_equal(v0.n, 11);
    assert_memory_equal(v0.p, "\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11);
    pbf v1 = pbr_get(row.p, row.n, HRANA_PB_ROW_VALUES, 1);
    assert_int_equal(v1.n, 9); /* float = 3, fixed64 little-endian */
    assert_memory_equal(v1.p, "\x19\x00\x00\x00\x00\x00\x00\xf8\x3f", 9);
    pbf v2 = pbr_get(row.p, row.n, HRANA_PB_ROW_VALUES, 2);
    assert_int_equal(v2.n, 5); /* text = 4 */
    assert_memory_equal(v2.p, "\x22\x03h\0i", 5);
    pbf v3 = pbr_get(row.p, row.n, HRANA_PB_ROW_VALUES, 3);
    assert_int_equal(v3.n, 4); /* blob = 5 */
    assert_memory_equal(v3.p, "\x2a\x02\x00\xff", 4);
    pbf v4 = pbr_get(row.p, row.n, HRANA_PB_ROW_VALUES, 4);
    assert_int_equal(v4.n, 2); /* null = 1, an empty message */
    assert_memory_equal(v4.p, "\x0a\x00", 2);
    pbf v5 = pbr_get(row.p, row.n, HRANA_PB_ROW_VALUES, 5);
    assert_int_equal(v5.n, 2);
    assert_memory_equal(v5.p, "\x10\x05", 2); /* zigzag(-3) = 5 */
    assert_int_equal(pbr_get(sr.p, sr.n, HRANA_PB_RESULT_AFFECTED, 0).v, 0);
    assert_int_equal(pbr_count(sr.p, sr.n, HRANA_PB_RESULT_LAST_INSERT_ROWID), 0);
    assert_int_equal(pbr_count(sr.p, sr.n, HRANA_PB_RESULT_ROWS_READ), 0);
    assert_int_equal(pbr_count(sr.p, sr.n, HRANA_PB_RESULT_ROWS_WRITTEN), 0);
    ts_free(&r);

    /* last_insert_rowid (sint64) and affected_row_count, by hand */
    hrana_request ins[] = {pb_exec("CREATE TEMP TABLE b(id INTEGER PRIMARY KEY)"),
                           pb_exec("INSERT INTO b VALUES (-5), (-300)"),
                           pb_req(HRANA_REQ_CLOSE)};
    pb_pipeline_v(T.port, NULL, baton, ins, N_(ins), &p, &r);
    hrana_pipeline_resp_free(&p);
    res = pbr_get(r.body, r.len, HRANA_PB_PIPELINE_RESP_RESULTS, 1);
    ok = pbr_get(res.p, res.n, HRANA_PB_STREAM_RESULT_OK, 0);
    exf = pbr_get(ok.p, ok.n, HRANA_PB_REQ_EXECUTE, 0);
    sr = pbr_get(exf.p, exf.n, HRANA_PB_INNER, 0);
    assert_int_equal(pbr_get(sr.p, sr.n, HRANA_PB_RESULT_AFFECTED, 0).v, 2);
    pbf rowid = pbr_get(sr.p, sr.n, HRANA_PB_RESULT_LAST_INSERT_ROWID, 0);
    assert_int_equal(rowid.wt, HRANA_PB_VARINT);
    assert_int_equal(rowid.v, 599); /* zigzag(-300) */
    assert_true(pbr_zigzag(rowid.v) == -300);
    assert_int_equal(pbr_count(r.body, r.len, HRANA_PB_PIPELINE_RESP_BATON), 0);
    ts_free(&r);
}

/* ---- the same requests on both endpoints: the same answers ---------------- */

static void same_str(hrana_str a, hrana_str b, const char *what)
{
    if (!a.p != !b.p || a.n != b.n || (a.n && memcmp(a.p, b.p, a.n)))
        fail_msg("%s: '%.*s' vs '%.*s'", what, (int)a.n, a.p ? a.p : "", (int)b.n,
                 b.p ? b.p : "");
}

static void same_value(const lsql_value *a, const lsql_value *b)
{
    assert_int_equal(a->type, b->type);
    if (a->type == LSQL_TYPE_INTEGER)
        assert_true(a->u.i == b->u.i);
    else if (a->type == LSQL_TYPE_FLOAT)
        assert_memory_equal(&a->u.d, &b->u.d, sizeof(double));
    else if (a->type != LSQL_TYPE_NULL) {
        assert_int_equal(a->u.bytes.n, b->u.bytes.n);
        if (a->u.bytes.n)
            assert_memory_equal(a->u.bytes.p, b->u.bytes.p, a->u.bytes.n);
    }
}

static void same_stmt(const hrana_stmt_result *a, const hrana_stmt_result *b)
{
    assert_int_equal(a->ncols, b->ncols);
    assert_int_equal(a->nrows, b->nrows);
    for (size_t i = 0; i < a->ncols; i++) {
        same_str(a->cols[i].name, b->cols[i].name, "col name");
        same_str(a->cols[i].decltype, b->cols[i].decltype, "decltype");
    }
    for (size_t i = 0; i < a->nrows * a->ncols; i++)
        same_value(&a->rows[i], &b->rows[i]);
    assert_int_equal(a->affected_row_count, b->affected_row_count);
    assert_int_equal(a->has_last_insert_rowid, b->has_last_insert_rowid);
    assert_true(a->last_insert_rowid == b->last_insert_rowid);
    assert_true(a->rows_read == b->rows_read && a->rows_written == b->rows_written);
}

static void same_error(const hrana_error *a, const hrana_error *b)
{
    same_str(a->message, b->message, "error message");
    same_str(a->code, b->code, "error code");
}

static void same_answer(const hrana_pipeline_resp *j, const hrana_pipeline_resp *p)
{
    assert_int_equal(j->nresults, p->nresults);
    assert_int_equal(!j->baton.p, !p->baton.p);
    for (size_t i = 0; i < j->nresults; i++) {
        const hrana_stream_result *a = &j->results[i], *b = &p->results[i];
        assert_int_equal(a->is_error, b->is_error);
        if (a->is_error) {
            same_error(&a->error, &b->error);
            continue;
        }
        assert_int_equal(a->response.type, b->response.type);
        switch (a->response.type) {
        case HRANA_REQ_EXECUTE:
            same_stmt(&a->response.stmt, &b->response.stmt);
            break;
        case HRANA_REQ_BATCH: {
            const hrana_batch_result *x = &a->response.batch, *y = &b->response.batch;
            size_t n = x->nsteps > y->nsteps ? x->nsteps : y->nsteps;
            for (size_t k = 0; k < n; k++) {
                const hrana_stmt_result *rx = pb_step_res(x, k), *ry = pb_step_res(y, k);
                const hrana_error *ex = pb_step_err(x, k), *ey = pb_step_err(y, k);
                assert_int_equal(!rx, !ry);
                assert_int_equal(!ex, !ey);
                if (rx)
                    same_stmt(rx, ry);
                if (ex)
                    same_error(ex, ey);
            }
            break;
        }
        case HRANA_REQ_DESCRIBE: {
            const hrana_describe_result *x = &a->response.describe, *y = &b->response.describe;
            assert_int_equal(x->nparams, y->nparams);
            for (size_t k = 0; k < x->nparams; k++)
                same_str(x->params[k], y->params[k], "param");
            assert_int_equal(x->ncols, y->ncols);
            for (size_t k = 0; k < x->ncols; k++) {
                same_str(x->cols[k].name, y->cols[k].name, "describe col");
                same_str(x->cols[k].decltype, y->cols[k].decltype, "describe decltype");
            }
            assert_int_equal(x->is_explain, y->is_explain);
            assert_int_equal(x->is_readonly, y->is_readonly);
            break;
        }
        case HRANA_REQ_GET_AUTOCOMMIT:
            assert_int_equal(a->response.is_autocommit, b->response.is_autocommit);
            break;
        }
    }
}

static void test_pb_json_parity(void **state)
{
    (void)state;
    static const char *json_reqs =
        "{\"type\":\"execute\",\"stmt\":{\"sql\":\"CREATE TEMP TABLE par(i INTEGER PRIMARY KEY, "
        "r REAL, t TEXT, b BLOB)\"}},"
        "{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO par VALUES (?, ?, ?, ?)\",\"args\":["
        "{\"type\":\"integer\",\"value\":\"-9223372036854775808\"},{\"type\":\"float\",\"value\":-2.5e-300},"
        "{\"type\":\"text\",\"value\":\"t\\u0000\\u00e9\\ud83d\\ude00\"},{\"type\":\"blob\",\"base64\":\"AP8\"}]}},"
        "{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO par(i, t) VALUES (9223372036854775807, "
        "CAST(x'ff41' AS TEXT))\"}},"
        "{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT *, typeof(r), 0.1, -0.0 FROM par ORDER BY i\"}},"
        "{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT :a, @b\",\"named_args\":["
        "{\"name\":\"a\",\"value\":{\"type\":\"integer\",\"value\":\"1\"}},"
        "{\"name\":\"@b\",\"value\":{\"type\":\"null\"}}]}},"
        "{\"type\":\"batch\",\"batch\":{\"steps\":[{\"stmt\":{\"sql\":\"SELECT 1\"}},"
        "{\"stmt\":{\"sql\":\"SELECT nope\"}},"
        "{\"condition\":{\"type\":\"ok\",\"step\":1},\"stmt\":{\"sql\":\"SELECT 2\"}},"
        "{\"condition\":{\"type\":\"error\",\"step\":1},\"stmt\":{\"sql\":\"UPDATE par SET r = 1\"}}]}},"
        "{\"type\":\"describe\",\"sql\":\"SELECT i AS x, ? FROM par WHERE t = :t\"},"
        "{\"type\":\"store_sql\",\"sql_id\":3,\"sql\":\"SELECT count(*) FROM par\"},"
        "{\"type\":\"execute\",\"stmt\":{\"sql_id\":3}},"
        "{\"type\":\"close_sql\",\"sql_id\":3},"
        "{\"type\":\"execute\",\"stmt\":{\"sql_id\":3}},"
        "{\"type\":\"sequence\",\"sql\":\"SELECT 1; SELECT nope\"},"
        "{\"type\":\"get_autocommit\"},"
        "{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT zeroblob(200000)\"}},"
        "{\"type\":\"execute\",\"stmt\":{\"sql\":\"DROP TABLE par\"}},"
        "{\"type\":\"close\"},"
        "{\"type\":\"get_autocommit\"}";
    /* the JSON endpoint's answer, and the same request decoded and sent as
     * protobuf */
    char body[8192];
    snprintf(body, sizeof body, "{\"baton\":null,\"requests\":[%s]}", json_reqs);
    hrana_limits lim;
    pb_limits(&lim);
    hrana_status st;
    hrana_pipeline_req req;
    assert_int_equal(hrana_decode_pipeline_req(body, strlen(body), &lim, &req, &st), HRANA_OK);
    tresp rj, rp;
    ts_http(T.port, "POST", "/v3/pipeline", body, strlen(body), NULL, &rj);
    assert_int_equal(rj.status, 200);
    assert_string_equal(rj.ctype, "application/json");
    hrana_pipeline_resp j, p;
    if (hrana_decode_pipeline_resp(rj.body, rj.len, &lim, &j, &st) != HRANA_OK)
        fail_msg("JSON answer: %s", st.message);
    pb_pipeline_v(T.port, NULL, NULL, req.requests, req.nrequests, &p, &rp);
    same_answer(&j, &p);
    assert_string_equal(pb_err(&p, 13), "RESPONSE_TOO_LARGE");
    char buf[8];
    assert_string_equal(pb_text(pb_stmt_result(&p, 3), 1, 2, buf, sizeof buf), "\xef\xbf\xbd" "A");
    hrana_pipeline_resp_free(&j);
    hrana_pipeline_resp_free(&p);
    hrana_pipeline_req_free(&req);
    ts_free(&rj);
    ts_free(&rp);
}

/* The JSON answer is what it always was, byte for byte (the writer split). */
static void test_json_unchanged(void **state)
{
    (void)state;
    const char *body =
        "{\"baton\":null,\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT 1 AS a, "
        "'x', NULL, 1.5, x'00ff'\"}},{\"type\":\"batch\",\"batch\":{\"steps\":["
        "{\"stmt\":{\"sql\":\"SELECT 2\"}},{\"stmt\":{\"sql\":\"SELEC\"}},"
        "{\"condition\":{\"type\":\"ok\",\"step\":1},\"stmt\":{\"sql\":\"SELECT 3\"}}]}},"
        "{\"type\":\"describe\",\"sql\":\"SELECT ? AS x\"},{\"type\":\"get_autocommit\"},"
        "{\"type\":\"sequence\",\"sql\":\"SELECT 1\"},{\"type\":\"close\"}]}";
    tresp r;
    ts_http(T.port, "POST", "/v2/pipeline", body, strlen(body), NULL, &r);
    assert_int_equal(r.status, 200);
    /* query_duration_ms varies: compare around it */
    char head[128];
    snprintf(head, sizeof head, "{\"baton\":%-66s,", "null");
    assert_memory_equal(r.body, head, strlen(head));
    static const char *const want[] = {
        "\"base_url\":null,\"results\":[{\"type\":\"ok\",\"response\":{\"type\":\"execute\","
        "\"result\":{\"cols\":[{\"name\":\"a\",\"decltype\":null},{\"name\":\"'x'\",\"decltype\":null},"
        "{\"name\":\"NULL\",\"decltype\":null},{\"name\":\"1.5\",\"decltype\":null},"
        "{\"name\":\"x'00ff'\",\"decltype\":null}],\"rows\":[[{\"type\":\"integer\",\"value\":\"1\"},"
        "{\"type\":\"text\",\"value\":\"x\"},{\"type\":\"null\"},{\"type\":\"float\",\"value\":1.5},"
        "{\"type\":\"blob\",\"base64\":\"AP8\"}]],\"affected_row_count\":0,"
        "\"last_insert_rowid\":null,\"rows_read\":0,\"rows_written\":0,\"query_duration_ms\":",
        "}}},{\"type\":\"ok\",\"response\":{\"type\":\"batch\",\"result\":{\"step_results\":["
        "{\"cols\":[{\"name\":\"2\",\"decltype\":null}],\"rows\":[[{\"type\":\"integer\","
        "\"value\":\"2\"}]],\"affected_row_count\":0,\"last_insert_rowid\":null,\"rows_read\":0,"
        "\"rows_written\":0,\"query_duration_ms\":",
        "},null,null],\"step_errors\":[null,{\"message\":\"near \\\"SELEC\\\": syntax error (at "
        "offset 0)\",\"code\":\"SQL_INPUT_ERROR\"},null]}}},{\"type\":\"ok\",\"response\":"
        "{\"type\":\"describe\",\"result\":{\"params\":[{\"name\":null}],\"cols\":[{\"name\":\"x\","
        "\"decltype\":null}],\"is_explain\":false,\"is_readonly\":true}}},{\"type\":\"ok\","
        "\"response\":{\"type\":\"get_autocommit\",\"is_autocommit\":true}},{\"type\":\"ok\","
        "\"response\":{\"type\":\"sequence\"}},{\"type\":\"ok\",\"response\":{\"type\":\"close\"}}]}",
    };
    const char *at = r.body + strlen(head);
    for (size_t i = 0; i < N_(want); i++) {
        if (strncmp(at, want[i], strlen(want[i])))
            fail_msg("piece %zu differs:\n got: %.400s\nwant: %.400s", i, at, want[i]);
        at += strlen(want[i]);
        if (i + 1 < N_(want))
            while (*at >= '0' && *at <= '9')
                at++;
    }
    assert_string_equal(at, "");
    ts_free(&r);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pb_bytes),
        cmocka_unit_test(test_pb_json_parity),
        cmocka_unit_test(test_json_unchanged),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
