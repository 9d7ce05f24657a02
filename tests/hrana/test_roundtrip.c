/* test_roundtrip.c -- both directions of the codec: requests encoded by the
 * client-side encoders decode to the same structures, responses encoded by
 * the server-side encoders decode to the same structures, and real-looking
 * server answers decode. */
#include "hrana_testutil.h"

#include <math.h>

static void assert_value_eq(const lsql_value *a, const lsql_value *b)
{
    assert_int_equal(a->type, b->type);
    switch (a->type) {
    case LSQL_TYPE_INTEGER:
        assert_true(a->u.i == b->u.i);
        break;
    case LSQL_TYPE_FLOAT:
        assert_true(a->u.d == b->u.d && signbit(a->u.d) == signbit(b->u.d));
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

static void assert_str_eq(hrana_str a, hrana_str b)
{
    assert_true((a.p == NULL) == (b.p == NULL));
    if (a.p) {
        assert_int_equal(a.n, b.n);
        assert_memory_equal(a.p, b.p, a.n);
    }
}

static void assert_cond_eq(const hrana_cond *a, const hrana_cond *b)
{
    assert_true((a == NULL) == (b == NULL));
    if (!a)
        return;
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->step, b->step);
    assert_int_equal(a->nconds, b->nconds);
    for (size_t i = 0; i < a->nconds; i++)
        assert_cond_eq(&a->conds[i], &b->conds[i]);
}

static void assert_stmt_eq(const hrana_stmt *a, const hrana_stmt *b)
{
    assert_str_eq(a->sql, b->sql);
    assert_int_equal(a->has_sql_id, b->has_sql_id);
    if (a->has_sql_id)
        assert_int_equal(a->sql_id, b->sql_id);
    assert_int_equal(a->want_rows, b->want_rows);
    assert_int_equal(a->nargs, b->nargs);
    for (size_t i = 0; i < a->nargs; i++)
        assert_value_eq(&a->args[i], &b->args[i]);
    assert_int_equal(a->nnamed, b->nnamed);
    for (size_t i = 0; i < a->nnamed; i++) {
        assert_str_eq(a->named_args[i].name, b->named_args[i].name);
        assert_value_eq(&a->named_args[i].value, &b->named_args[i].value);
    }
}

#define S(lit) ((hrana_str){lit, sizeof(lit) - 1})

static void test_request_roundtrip(void **state)
{
    (void)state;
    static const unsigned char blob[] = {0, 1, 2, 0xff, 0xfe};
    lsql_value args[] = {lsql_int(INT64_MIN), lsql_int(INT64_MAX), lsql_float(5e-324),
                         lsql_float(-0.0), lsql_float(1e21), lsql_float(3.0),
                         lsql_text("a\0\xf0\x9f\x98\x80\"\\\n", 9), lsql_blob(blob, 5),
                         lsql_blob(NULL, 0), lsql_null()};
    hrana_named_arg named[] = {{S(":a"), lsql_text("x", 1)}, {S("b"), lsql_int(-1)}};
    hrana_cond ok0 = {.type = HRANA_COND_OK, .step = 0};
    hrana_cond err1 = {.type = HRANA_COND_ERROR, .step = 1};
    hrana_cond ac = {.type = HRANA_COND_IS_AUTOCOMMIT};
    hrana_cond list[] = {ok0, err1, ac};
    hrana_cond andc = {.type = HRANA_COND_AND, .conds = list, .nconds = 3};
    hrana_cond notc = {.type = HRANA_COND_NOT, .conds = &andc, .nconds = 1};
    hrana_cond orc = {.type = HRANA_COND_OR, .conds = NULL, .nconds = 0};
    hrana_step steps[] = {
        {NULL, {.sql = S("BEGIN"), .want_rows = 0}},
        {&ok0, {.has_sql_id = 1, .sql_id = 7, .named_args = named, .nnamed = 2, .want_rows = 1}},
        {&notc, {.sql = S("COMMIT"), .want_rows = 1}},
        {&orc, {.sql = S("ROLLBACK"), .want_rows = 0}},
    };
    hrana_request reqs[] = {
        {.type = HRANA_REQ_STORE_SQL, .sql = S("SELECT :a, $b"), .has_sql_id = 1, .sql_id = 7},
        {.type = HRANA_REQ_EXECUTE, .stmt = {.sql = S("SELECT ?"), .args = args, .nargs = 10, .want_rows = 1}},
        {.type = HRANA_REQ_BATCH, .batch = {steps, 4}},
        {.type = HRANA_REQ_SEQUENCE, .sql = S("A; B")},
        {.type = HRANA_REQ_DESCRIBE, .has_sql_id = 1, .sql_id = -3},
        {.type = HRANA_REQ_CLOSE_SQL, .has_sql_id = 1, .sql_id = 7},
        {.type = HRANA_REQ_GET_AUTOCOMMIT},
        {.type = HRANA_REQ_CLOSE},
    };
    hrana_pipeline_req in = {.baton = S("b4t0n"), .requests = reqs, .nrequests = 8};
    hrana_buf b;
    hrana_buf_init(&b, 1 << 20);
    hrana_encode_pipeline_req(&b, &in);
    assert_true(hrana_buf_ok(&b));
    hrana_pipeline_req out;
    hrana_status st;
    hrana_limits l = ht_limits();
    assert_status(HRANA_OK, hrana_decode_pipeline_req(b.p, b.len, &l, &out, &st), st);
    assert_str_eq(in.baton, out.baton);
    assert_int_equal(out.nrequests, 8);
    for (size_t i = 0; i < 8; i++) {
        const hrana_request *x = &in.requests[i], *y = &out.requests[i];
        assert_int_equal(x->type, y->type);
        assert_str_eq(x->sql, y->sql);
        assert_int_equal(x->has_sql_id, y->has_sql_id);
        if (x->has_sql_id)
            assert_int_equal(x->sql_id, y->sql_id);
        if (x->type == HRANA_REQ_EXECUTE)
            assert_stmt_eq(&x->stmt, &y->stmt);
        if (x->type == HRANA_REQ_BATCH) {
            assert_int_equal(x->batch.nsteps, y->batch.nsteps);
            for (size_t k = 0; k < x->batch.nsteps; k++) {
                assert_cond_eq(x->batch.steps[k].cond, y->batch.steps[k].cond);
                assert_stmt_eq(&x->batch.steps[k].stmt, &y->batch.steps[k].stmt);
            }
        }
    }
    hrana_pipeline_req_free(&out);
    /* the cursor request too */
    hrana_cursor_req cin = {.baton = {NULL, 0}, .batch = {steps, 4}}, cout;
    hrana_buf_truncate(&b, 0);
    hrana_encode_cursor_req(&b, &cin);
    assert_status(HRANA_OK, hrana_decode_cursor_req(b.p, b.len, &l, &cout, &st), st);
    assert_null(cout.baton.p);
    assert_int_equal(cout.batch.nsteps, 4);
    assert_cond_eq(cin.batch.steps[2].cond, cout.batch.steps[2].cond);
    hrana_cursor_req_free(&cout);
    hrana_buf_free(&b);
}

static void assert_result_eq(const hrana_stmt_result *a, const hrana_stmt_result *b)
{
    assert_int_equal(a->ncols, b->ncols);
    for (size_t i = 0; i < a->ncols; i++) {
        assert_str_eq(a->cols[i].name, b->cols[i].name);
        assert_str_eq(a->cols[i].decltype, b->cols[i].decltype);
    }
    assert_int_equal(a->nrows, b->nrows);
    for (size_t i = 0; i < a->nrows * a->ncols; i++)
        assert_value_eq(&a->rows[i], &b->rows[i]);
    assert_true(a->affected_row_count == b->affected_row_count);
    assert_int_equal(a->has_last_insert_rowid, b->has_last_insert_rowid);
    if (a->has_last_insert_rowid)
        assert_true(a->last_insert_rowid == b->last_insert_rowid);
    assert_true(a->query_duration_ms == b->query_duration_ms);
}

static void test_response_roundtrip(void **state)
{
    (void)state;
    hrana_col cols[] = {{S("id"), S("INTEGER")}, {S("x"), {NULL, 0}}};
    lsql_value rows[] = {lsql_int(1), lsql_float(0.5), lsql_int(-9), lsql_text("\x01", 1)};
    hrana_stmt_result r1 = {.cols = cols, .ncols = 2, .rows = rows, .nrows = 2,
                            .affected_row_count = 3, .has_last_insert_rowid = 1,
                            .last_insert_rowid = INT64_MIN, .query_duration_ms = 1.25};
    hrana_stmt_result r2 = {.cols = NULL, .ncols = 0, .rows = NULL, .nrows = 0};
    hrana_stmt_result *sr[] = {&r1, NULL, &r2};
    hrana_error e1 = {S("boom \"quoted\""), S("SQLITE_CONSTRAINT")};
    hrana_error *se[] = {NULL, &e1, NULL};
    hrana_str params[] = {{NULL, 0}, S("?2"), S(":x")};
    hrana_stream_result res[] = {
        {.response = {.type = HRANA_REQ_EXECUTE, .stmt = r1}},
        {.response = {.type = HRANA_REQ_BATCH, .batch = {3, sr, se}}},
        {.response = {.type = HRANA_REQ_DESCRIBE,
                      .describe = {params, 3, cols, 2, 1, 0}}},
        {.response = {.type = HRANA_REQ_GET_AUTOCOMMIT, .is_autocommit = 1}},
        {.response = {.type = HRANA_REQ_SEQUENCE}},
        {.is_error = 1, .error = {S("no"), {NULL, 0}}},
        {.response = {.type = HRANA_REQ_CLOSE}},
    };
    hrana_pipeline_resp in = {.baton = {NULL, 0}, .base_url = S("http://h/"), .results = res,
                              .nresults = 7};
    hrana_buf b;
    hrana_buf_init(&b, 1 << 20);
    hrana_encode_pipeline_resp(&b, &in);
    assert_true(hrana_buf_ok(&b));
    hrana_pipeline_resp out;
    hrana_status st;
    hrana_limits l = ht_limits();
    assert_status(HRANA_OK, hrana_decode_pipeline_resp(b.p, b.len, &l, &out, &st), st);
    assert_null(out.baton.p);
    assert_str_eq(in.base_url, out.base_url);
    assert_int_equal(out.nresults, 7);
    assert_result_eq(&r1, &out.results[0].response.stmt);
    const hrana_batch_result *br = &out.results[1].response.batch;
    assert_int_equal(br->nsteps, 3);
    assert_result_eq(&r1, br->step_results[0]);
    assert_null(br->step_results[1]);
    assert_result_eq(&r2, br->step_results[2]);
    assert_null(br->step_errors[0]);
    assert_str_eq(e1.message, br->step_errors[1]->message);
    assert_str_eq(e1.code, br->step_errors[1]->code);
    const hrana_describe_result *d = &out.results[2].response.describe;
    assert_int_equal(d->nparams, 3);
    assert_null(d->params[0].p);
    assert_str_eq(params[2], d->params[2]);
    assert_int_equal(d->is_explain, 1);
    assert_int_equal(d->is_readonly, 0);
    assert_int_equal(out.results[3].response.is_autocommit, 1);
    assert_int_equal(out.results[4].response.type, HRANA_REQ_SEQUENCE);
    assert_int_equal(out.results[5].is_error, 1);
    assert_null(out.results[5].error.code.p);
    assert_int_equal(out.results[6].response.type, HRANA_REQ_CLOSE);
    hrana_pipeline_resp_free(&out);
    hrana_buf_free(&b);
}

static void test_cursor_roundtrip(void **state)
{
    (void)state;
    hrana_col cols[] = {{S("a"), {NULL, 0}}};
    lsql_value row[] = {lsql_text("t", 1)};
    hrana_cursor_entry in[] = {
        {.type = HRANA_ENTRY_STEP_BEGIN, .step = 3, .cols = cols, .ncols = 1},
        {.type = HRANA_ENTRY_ROW, .row = row, .nrow = 1},
        {.type = HRANA_ENTRY_STEP_END, .affected_row_count = 2, .has_last_insert_rowid = 1,
         .last_insert_rowid = 99},
        {.type = HRANA_ENTRY_STEP_ERROR, .step = 4, .error = {S("bad"), S("SQLITE_ERROR")}},
        {.type = HRANA_ENTRY_ERROR, .error = {S("all bad"), S("X")}},
    };
    hrana_buf b;
    hrana_buf_init(&b, 1 << 16);
    hrana_cursor_head h = {.baton = S("bt")};
    hrana_encode_cursor_head(&b, &h);
    for (int i = 0; i < 5; i++)
        hrana_encode_cursor_entry(&b, &in[i]);
    assert_true(hrana_buf_ok(&b));
    b.p[b.len] = 0; /* the buffer always keeps room for it */
    hrana_limits l = ht_limits();
    hrana_status st;
    char *line = b.p;
    char *nl = strchr(line, '\n');
    hrana_cursor_head ho;
    assert_status(HRANA_OK, hrana_decode_cursor_head(line, (size_t)(nl - line), &l, &ho, &st), st);
    assert_string_equal(ho.baton.p, "bt");
    hrana_cursor_head_free(&ho);
    for (int i = 0; i < 5; i++) {
        line = nl + 1;
        nl = strchr(line, '\n');
        assert_non_null(nl);
        hrana_cursor_entry e;
        assert_status(HRANA_OK, hrana_decode_cursor_entry(line, (size_t)(nl - line), &l, &e, &st), st);
        assert_int_equal(e.type, in[i].type);
        assert_int_equal(e.step, in[i].step);
        assert_int_equal(e.ncols, in[i].ncols);
        assert_int_equal(e.nrow, in[i].nrow);
        assert_true(e.affected_row_count == in[i].affected_row_count);
        assert_int_equal(e.has_last_insert_rowid, in[i].has_last_insert_rowid);
        assert_true(e.last_insert_rowid == in[i].last_insert_rowid);
        assert_str_eq(in[i].error.message, e.error.message);
        if (e.nrow)
            assert_value_eq(&row[0], &e.row[0]);
        hrana_cursor_entry_free(&e);
    }
    assert_string_equal(nl + 1, "");
    hrana_cursor_entry e;
    const char *unknown = "{\"type\":\"replication_index\",\"replication_index\":\"5\"}";
    assert_status(HRANA_E_UNKNOWN_TYPE, hrana_decode_cursor_entry(unknown, strlen(unknown), &l, &e, &st), st);
    hrana_buf_free(&b);
}

/* An answer as sqld writes it (extra fields, integers for counts). */
static void test_decode_sqld_response(void **state)
{
    (void)state;
    const char *json =
        "{\"baton\":\"xyz\",\"base_url\":null,\"results\":[{\"type\":\"ok\",\"response\":{\"type\":"
        "\"execute\",\"result\":{\"cols\":[{\"name\":\"1\",\"decltype\":null}],\"rows\":[[{\"type\":"
        "\"integer\",\"value\":\"1\"}]],\"affected_row_count\":0,\"last_insert_rowid\":null,"
        "\"replication_index\":\"3\",\"rows_read\":1,\"rows_written\":0,\"query_duration_ms\":0.052}}},"
        "{\"type\":\"error\",\"error\":{\"message\":\"SQLite error: no such table: t\",\"code\":"
        "\"SQLITE_UNKNOWN\"}}]}";
    hrana_pipeline_resp r;
    hrana_status st;
    hrana_limits l = ht_limits();
    assert_status(HRANA_OK, hrana_decode_pipeline_resp(json, strlen(json), &l, &r, &st), st);
    assert_string_equal(r.baton.p, "xyz");
    assert_true(r.results[0].response.stmt.rows[0].u.i == 1);
    assert_true(r.results[0].response.stmt.rows_read == 1);
    assert_string_equal(r.results[1].error.code.p, "SQLITE_UNKNOWN");
    hrana_pipeline_resp_free(&r);
    /* wrong shapes */
    static const char *bad[] = {
        "{\"results\":[{\"type\":\"ok\",\"response\":{\"type\":\"execute\",\"result\":{\"cols\":[],\"rows\":[[{\"type\":\"null\"}]],\"affected_row_count\":0}}}]}",
        "{\"results\":[{\"type\":\"ok\",\"response\":{\"type\":\"batch\",\"result\":{\"step_results\":[null],\"step_errors\":[]}}}]}",
        "{\"results\":[{\"type\":\"ok\",\"response\":{\"type\":\"execute\",\"result\":{\"cols\":[],\"rows\":[],\"affected_row_count\":0,\"last_insert_rowid\":\"x\"}}}]}",
        "{\"results\":[{\"type\":\"maybe\"}]}",
        "{\"results\":[{\"type\":\"ok\",\"response\":{\"type\":\"teleport\"}}]}",
        "{\"results\":[{\"type\":\"ok\",\"response\":{\"type\":\"get_autocommit\"}}]}",
        "{\"results\":[{\"type\":\"error\",\"error\":{\"code\":\"X\"}}]}",
        "{\"baton\":null}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = hrana_decode_pipeline_resp(bad[i], strlen(bad[i]), &l, &r, &st);
        if (rc == HRANA_OK)
            fail_msg("accepted: %s", bad[i]);
        assert_null(r.arena);
    }
    /* an Error body of an HTTP 4xx */
    hrana_arena *a = hrana_arena_new();
    hrana_error e;
    const char *eb = "{\"message\":\"the stream expired\",\"code\":\"STREAM_EXPIRED\"}";
    assert_status(HRANA_OK, hrana_decode_error(eb, strlen(eb), &l, a, &e, &st), st);
    assert_string_equal(e.code.p, "STREAM_EXPIRED");
    hrana_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_roundtrip),
        cmocka_unit_test(test_response_roundtrip),
        cmocka_unit_test(test_cursor_roundtrip),
        cmocka_unit_test(test_decode_sqld_response),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
