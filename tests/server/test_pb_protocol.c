/* test_pb_protocol.c -- Hrana 3 over protobuf (POST /v3-protobuf/pipeline):
 * every request type, values at their extremes, named and positional
 * arguments, batch conditions, stored SQL, batons across requests (and
 * across encodings), the SQLITE_BUSY batch retry. Requests are encoded and
 * answers decoded with the codec (src/hrana/hrana_pb.h). */
#include "srv_pbutil.h"

#include <math.h>
#include <pthread.h>

static tsrv T;

static int setup(void **state)
{
    (void)state;
    lsqld_config c;
    ts_config(&c, &T, "pb-protocol");
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

static void test_pb_endpoints(void **state)
{
    (void)state;
    tresp r;
    /* the probe: hrana-client speaks protobuf when it answers 2xx */
    ts_http(T.port, "GET", "/v3-protobuf", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    ts_free(&r);
    ts_http(T.port, "GET", "/v3-protobuf/", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    ts_free(&r);
    ts_http(T.port, "GET", PB_PIPELINE, NULL, 0, NULL, &r);
    pb_expect_http_error(&r, 405, "METHOD_NOT_ALLOWED");
    ts_free(&r);
    ts_http(T.port, "GET", PB_CURSOR, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 405);
    ts_free(&r);
    pb_post(T.port, "/v3-protobuf/nope", NULL, "", 0, &r);
    pb_expect_http_error(&r, 404, "NOT_FOUND");
    ts_free(&r);
    ts_http(T.port, "OPTIONS", PB_PIPELINE, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 204);
    assert_string_equal(r.allow_origin, "*");
    ts_free(&r);
    /* normalised paths, CORS header on the answer */
    hrana_buf b;
    hrana_request close = pb_req(HRANA_REQ_CLOSE);
    pb_encode_pipeline(&b, NULL, &close, 1);
    pb_post(T.port, "//v3-protobuf//pipeline/", NULL, b.p, b.len, &r);
    hrana_buf_free(&b);
    assert_string_equal(r.allow_origin, "*");
    hrana_pipeline_resp p;
    pb_decode_answer(&r, &p);
    assert_int_equal(p.nresults, 1);
    pb_ok(&p, 0, HRANA_REQ_CLOSE);
    assert_null(p.baton.p);
    assert_null(p.base_url.p);
    hrana_pipeline_resp_free(&p);
    ts_free(&r);
}

static void test_pb_values(void **state)
{
    (void)state;
    static const char text[] = "a\0b\xf0\x9f\x98\x80";
    static const unsigned char blob[] = {0, 1, 2, 0xff, 0};
    lsql_value args[] = {
        lsql_int(INT64_MIN),     lsql_int(INT64_MAX),   lsql_int(-1),
        lsql_int(0),             lsql_float(5e-324),    lsql_float(1e21),
        lsql_float(1672662896000.0), lsql_float(-0.0),  lsql_float(INFINITY),
        lsql_float(-INFINITY),   lsql_text(text, 7),    lsql_text("", 0),
        lsql_blob(blob, 5),      lsql_blob("", 0),      lsql_null(),
        lsql_float(-1.5e-300),
    };
    hrana_stmt s = pb_stmt("SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                           "typeof(?7), 2.0, CAST('\xff' AS TEXT)");
    s.args = args;
    s.nargs = N_(args);
    hrana_request reqs[] = {pb_exec_stmt(s), pb_req(HRANA_REQ_CLOSE)};
    hrana_pipeline_resp p;
    pb_pipeline(&T, NULL, reqs, N_(reqs), &p);
    const hrana_stmt_result *r = pb_stmt_result(&p, 0);
    assert_int_equal(r->nrows, 1);
    assert_int_equal(r->ncols, N_(args) + 3);
    for (size_t i = 0; i < N_(args); i++) {
        const lsql_value *v = pb_cell(r, 0, i);
        if (v->type != args[i].type)
            fail_msg("value %zu: type %d, want %d", i, v->type, args[i].type);
        switch (v->type) {
        case LSQL_TYPE_INTEGER:
            assert_true(v->u.i == args[i].u.i);
            break;
        case LSQL_TYPE_FLOAT:
            if (memcmp(&v->u.d, &args[i].u.d, sizeof(double)))
                fail_msg("value %zu: %.17g, want %.17g", i, v->u.d, args[i].u.d);
            break;
        case LSQL_TYPE_TEXT:
        case LSQL_TYPE_BLOB:
            assert_int_equal(v->u.bytes.n, args[i].u.bytes.n);
            if (v->u.bytes.n)
                assert_memory_equal(v->u.bytes.p, args[i].u.bytes.p, v->u.bytes.n);
            break;
        }
    }
    char buf[64];
    assert_string_equal(pb_text(r, 0, N_(args), buf, sizeof buf), "real");
    /* an integral REAL stays a float */
    assert_int_equal(pb_cell(r, 0, N_(args) + 1)->type, LSQL_TYPE_FLOAT);
    assert_true(pb_cell(r, 0, N_(args) + 1)->u.d == 2.0);
    /* text that is not UTF-8: U+FFFD, as in JSON (protobuf strings are UTF-8) */
    assert_string_equal(pb_text(r, 0, N_(args) + 2, buf, sizeof buf), "\xef\xbf\xbd");
    /* the stream was closed by the last request: no baton */
    assert_null(p.baton.p);
    pb_ok(&p, 1, HRANA_REQ_CLOSE);
    hrana_pipeline_resp_free(&p);
}

static void test_pb_results(void **state)
{
    (void)state;
    pb_sql(&T, "CREATE TABLE r(id INTEGER PRIMARY KEY, v REAL, s TEXT)");
    hrana_request reqs[] = {
        pb_exec("INSERT INTO r VALUES (12345, 1.0, 'a'), (12346, 1e999, 'b')"),
        pb_exec("SELECT v, -v, s FROM r ORDER BY id"),
        pb_exec("SELECT id, s FROM r"),
        pb_exec("UPDATE r SET s = s || 'x'"),
        pb_exec("INSERT INTO r(id) VALUES (-5) RETURNING id * 2 AS d"),
        pb_exec("DELETE FROM r WHERE id = -5"),
        pb_req(HRANA_REQ_CLOSE),
    };
    reqs[2].stmt.want_rows = 0;
    hrana_pipeline_resp p;
    pb_pipeline(&T, NULL, reqs, N_(reqs), &p);
    const hrana_stmt_result *r = pb_stmt_result(&p, 0);
    assert_int_equal(r->affected_row_count, 2);
    assert_true(r->has_last_insert_rowid);
    assert_true(r->last_insert_rowid == 12346);
    r = pb_stmt_result(&p, 1);
    assert_int_equal(r->nrows, 2);
    assert_true(pb_cell(r, 0, 0)->type == LSQL_TYPE_FLOAT && pb_cell(r, 0, 0)->u.d == 1.0);
    assert_true(isinf(pb_cell(r, 1, 0)->u.d) && pb_cell(r, 1, 0)->u.d > 0);
    assert_true(isinf(pb_cell(r, 1, 1)->u.d) && pb_cell(r, 1, 1)->u.d < 0);
    assert_non_null(r->cols[0].name.p);
    assert_string_equal(r->cols[0].name.p, "v");
    assert_string_equal(r->cols[0].decltype.p, "REAL");
    assert_null(r->cols[1].decltype.p); /* an expression */
    assert_false(r->has_last_insert_rowid);
    assert_int_equal(r->affected_row_count, 0);
    r = pb_stmt_result(&p, 2); /* want_rows false */
    assert_int_equal(r->ncols, 2);
    assert_string_equal(r->cols[0].decltype.p, "INTEGER");
    assert_int_equal(r->nrows, 0);
    assert_int_equal(pb_stmt_result(&p, 3)->affected_row_count, 2);
    r = pb_stmt_result(&p, 4);
    assert_true(pb_int(r, 0, 0) == -10);
    assert_string_equal(r->cols[0].name.p, "d");
    assert_true(r->has_last_insert_rowid && r->last_insert_rowid == -5);
    assert_int_equal(pb_stmt_result(&p, 5)->affected_row_count, 1);
    hrana_pipeline_resp_free(&p);
    pb_sql(&T, "DROP TABLE r");
}

static void test_pb_statement_errors(void **state)
{
    (void)state;
    pb_sql(&T, "CREATE TABLE e(id INTEGER PRIMARY KEY, u TEXT UNIQUE NOT NULL)");
    pb_sql(&T, "INSERT INTO e VALUES (1, 'a')");
    lsql_value one = lsql_null();
    hrana_named_arg na[] = {{pb_str("b"), lsql_null()}};
    struct {
        hrana_stmt s;
        const char *code;
    } cases[] = {
        {pb_stmt("INSERT INTO e VALUES (2, 'a')"), "SQLITE_CONSTRAINT"},
        {pb_stmt("SELEC 1"), "SQL_INPUT_ERROR"},
        {pb_stmt(""), "SQL_NO_STATEMENT"},
        {pb_stmt("SELECT 1; SELECT 2"), "SQL_MANY_STATEMENTS"},
        {pb_stmt("SELECT ?"), "ARGS_INVALID"},
        {pb_stmt("SELECT 1"), "ARGS_INVALID"},       /* + one argument */
        {pb_stmt("SELECT :a"), "ARGS_INVALID"},      /* + named b */
        {pb_stmt("SELECT ?, :b"), "ARGS_BOTH_POSITIONAL_AND_NAMED"},
        {pb_stmt(NULL), "SQL_NOT_FOUND"},            /* sql_id 99 */
        {pb_stmt("SELECT abs(-9223372036854775808)"), "SQLITE_ERROR"},
    };
    cases[5].s.args = &one;
    cases[5].s.nargs = 1;
    cases[6].s.named_args = na;
    cases[6].s.nnamed = 1;
    cases[7].s.args = &one;
    cases[7].s.nargs = 1;
    cases[7].s.named_args = na;
    cases[7].s.nnamed = 1;
    cases[8].s.has_sql_id = 1;
    cases[8].s.sql_id = 99;
    for (size_t i = 0; i < N_(cases); i++) {
        hrana_request reqs[] = {pb_exec_stmt(cases[i].s), pb_req(HRANA_REQ_CLOSE)};
        hrana_pipeline_resp p;
        pb_pipeline(&T, NULL, reqs, N_(reqs), &p);
        const char *code = pb_err(&p, 0);
        if (strcmp(code, cases[i].code))
            fail_msg("case %zu: code %s, want %s (%s)", i, code, cases[i].code,
                     p.results[0].error.message.p);
        pb_ok(&p, 1, HRANA_REQ_CLOSE); /* the stream survives */
        hrana_pipeline_resp_free(&p);
    }
    /* the message of an input error, as in JSON */
    hrana_request reqs[] = {pb_exec("SELECT 1, nope"), pb_req(HRANA_REQ_CLOSE)};
    hrana_pipeline_resp p;
    pb_pipeline(&T, NULL, reqs, N_(reqs), &p);
    assert_string_equal(pb_err(&p, 0), "SQL_INPUT_ERROR");
    assert_string_equal(p.results[0].error.message.p, "no such column: nope (at offset 10)");
    hrana_pipeline_resp_free(&p);
    pb_sql(&T, "DROP TABLE e");
}

static void test_pb_args(void **state)
{
    (void)state;
    const char *signs[] = {":", "@", "$"};
    for (int i = 0; i < 3; i++) {
        char sql[128], bname[8];
        snprintf(sql, sizeof sql, "SELECT %sb, %sa, ?1", signs[i], signs[i]);
        snprintf(bname, sizeof bname, "%sb", signs[i]);
        hrana_named_arg na[] = {{pb_str("a"), lsql_text("one", 3)},
                                {pb_str(bname), lsql_text("two", 3)}};
        hrana_stmt s = pb_stmt(sql);
        s.named_args = na;
        s.nnamed = 2;
        hrana_request reqs[] = {pb_exec_stmt(s), pb_req(HRANA_REQ_CLOSE)};
        hrana_pipeline_resp p;
        pb_pipeline(&T, NULL, reqs, N_(reqs), &p);
        const hrana_stmt_result *r = pb_stmt_result(&p, 0);
        char buf[16];
        assert_string_equal(pb_text(r, 0, 0, buf, sizeof buf), "two");
        assert_string_equal(pb_text(r, 0, 1, buf, sizeof buf), "one");
        assert_string_equal(pb_text(r, 0, 2, buf, sizeof buf), "two");
        hrana_pipeline_resp_free(&p);
    }
    /* positional, ?NNN with holes and mixed with ? */
    lsql_value args[] = {lsql_text("one", 3), lsql_text("two", 3), lsql_text("three", 5)};
    hrana_stmt s1 = pb_stmt("SELECT ?3, ?1"), s2 = pb_stmt("SELECT ?2, ?, ?3");
    s1.args = s2.args = args;
    s1.nargs = s2.nargs = 3;
    hrana_request reqs[] = {pb_exec_stmt(s1), pb_exec_stmt(s2), pb_req(HRANA_REQ_CLOSE)};
    hrana_pipeline_resp p;
    pb_pipeline(&T, NULL, reqs, N_(reqs), &p);
    char buf[16];
    assert_string_equal(pb_text(pb_stmt_result(&p, 0), 0, 0, buf, sizeof buf), "three");
    assert_string_equal(pb_text(pb_stmt_result(&p, 0), 0, 1, buf, sizeof buf), "one");
    assert_string_equal(pb_text(pb_stmt_result(&p, 1), 0, 0, buf, sizeof buf), "two");
    assert_string_equal(pb_text(pb_stmt_result(&p, 1), 0, 1, buf, sizeof buf), "three");
    assert_string_equal(pb_text(pb_stmt_result(&p, 1), 0, 2, buf, sizeof buf), "three");
    hrana_pipeline_resp_free(&p);
}

/* Batch conditions: ok, error, not, and, or, is_autocommit; a failing step;
 * skipped steps have neither a result nor an error. */
static void test_pb_batch_conditions(void **state)
{
    (void)state;
    hrana_cond ok1 = pb_cond_step(HRANA_COND_OK, 1), ok2 = pb_cond_step(HRANA_COND_OK, 2),
               err2 = pb_cond_step(HRANA_COND_ERROR, 2);
    hrana_cond not_err2 = pb_cond_list(HRANA_COND_NOT, &err2, 1);
    hrana_cond and_items[] = {pb_cond_step(HRANA_COND_OK, 0), pb_cond_step(HRANA_COND_ERROR, 1)};
    hrana_cond and6 = pb_cond_list(HRANA_COND_AND, and_items, 2);
    hrana_cond and_empty = pb_cond_list(HRANA_COND_AND, NULL, 0);
    hrana_cond or_empty = pb_cond_list(HRANA_COND_OR, NULL, 0);
    hrana_cond or_items[] = {pb_cond_step(HRANA_COND_OK, 1), pb_cond_step(HRANA_COND_OK, 0)};
    hrana_cond or9 = pb_cond_list(HRANA_COND_OR, or_items, 2);
    hrana_cond ac = pb_cond_list(HRANA_COND_IS_AUTOCOMMIT, NULL, 0);
    hrana_cond not_ac = pb_cond_list(HRANA_COND_NOT, &ac, 1);
    hrana_step steps[] = {
        pb_step(NULL, "SELECT 1"),     pb_step(NULL, "SELECT nope"),  pb_step(&ok1, "SELECT 2"),
        pb_step(&ok2, "SELECT 3"),     pb_step(&err2, "SELECT 4"),    pb_step(&not_err2, "SELECT 5"),
        pb_step(&and6, "SELECT 6"),    pb_step(&and_empty, "SELECT 7"), pb_step(&or_empty, "SELECT 8"),
        pb_step(&or9, "SELECT 9"),     pb_step(&ac, "BEGIN"),         pb_step(&ac, "SELECT 11"),
        pb_step(&not_ac, "ROLLBACK"),  pb_step(NULL, "SELECT 13"),
    };
    hrana_request reqs[] = {pb_batch(steps, N_(steps)), pb_batch(NULL, 0),
                            pb_req(HRANA_REQ_CLOSE)};
    hrana_pipeline_resp p;
    tresp raw;
    pb_pipeline_v(T.port, NULL, NULL, reqs, N_(reqs), &p, &raw);
    const hrana_batch_result *b = &pb_ok(&p, 0, HRANA_REQ_BATCH)->batch;
    static const char expect[] = "SesssSSSsSSsSS"; /* S ok, e error, s skipped */
    for (size_t i = 0; i < N_(steps); i++) {
        const hrana_stmt_result *r = pb_step_res(b, i);
        const hrana_error *e = pb_step_err(b, i);
        char got = r && !e ? 'S' : !r && e ? 'e' : !r && !e ? 's' : '?';
        if (got != expect[i])
            fail_msg("step %zu: got %c want %c", i, got, expect[i]);
        if (r && i != 10 && i != 12) /* not BEGIN, ROLLBACK */
            assert_true(pb_int(r, 0, 0) == (int64_t)(i == 0 ? 1 : i));
    }
    assert_string_equal(pb_step_err(b, 1)->code.p, "SQL_INPUT_ERROR");
    /* an empty batch */
    const hrana_batch_result *e = &pb_ok(&p, 1, HRANA_REQ_BATCH)->batch;
    for (size_t i = 0; i < e->nsteps; i++)
        assert_true(!e->step_results[i] && !e->step_errors[i]);
    /* by hand: results[0].ok.batch.result holds 8 step_results entries and
     * one step_errors entry {key 1, value {message, code}} */
    pbf res = pbr_get(raw.body, raw.len, HRANA_PB_PIPELINE_RESP_RESULTS, 0);
    pbf ok = pbr_get(res.p, res.n, HRANA_PB_STREAM_RESULT_OK, 0);
    pbf bt = pbr_get(ok.p, ok.n, HRANA_PB_REQ_BATCH, 0);
    pbf br = pbr_get(bt.p, bt.n, HRANA_PB_INNER, 0);
    assert_int_equal(pbr_count(br.p, br.n, HRANA_PB_BATCH_STEP_RESULTS), 8);
    assert_int_equal(pbr_count(br.p, br.n, HRANA_PB_BATCH_STEP_ERRORS), 1);
    pbf ent = pbr_get(br.p, br.n, HRANA_PB_BATCH_STEP_ERRORS, 0);
    assert_int_equal(pbr_get(ent.p, ent.n, HRANA_PB_MAP_KEY, 0).v, 1);
    pbf err = pbr_get(ent.p, ent.n, HRANA_PB_MAP_VALUE, 0);
    pbf code = pbr_get(err.p, err.n, HRANA_PB_ERROR_CODE, 0);
    assert_int_equal(code.n, strlen("SQL_INPUT_ERROR"));
    assert_memory_equal(code.p, "SQL_INPUT_ERROR", code.n);
    /* the step results carry their keys in order, skipped ones left out */
    static const uint64_t keys[] = {0, 5, 6, 7, 9, 10, 12, 13};
    for (size_t i = 0; i < N_(keys); i++) {
        pbf sr = pbr_get(br.p, br.n, HRANA_PB_BATCH_STEP_RESULTS, i);
        assert_int_equal(pbr_get(sr.p, sr.n, HRANA_PB_MAP_KEY, 0).v, keys[i]);
    }
    hrana_pipeline_resp_free(&p);
    ts_free(&raw);
    /* a condition on a later step: the whole body is refused (JSON error) */
    hrana_cond ok0 = pb_cond_step(HRANA_COND_OK, 0);
    hrana_step bad[] = {pb_step(&ok0, "SELECT 1")};
    hrana_request breq = pb_batch(bad, 1);
    hrana_buf body;
    pb_encode_pipeline(&body, NULL, &breq, 1);
    tresp r;
    pb_post(T.port, PB_PIPELINE, NULL, body.p, body.len, &r);
    hrana_buf_free(&body);
    pb_expect_http_error(&r, 400, "REQUEST_INVALID");
    ts_free(&r);
}

/* The transactional batch the TypeScript client sends: an error rolls it
 * back. */
static void test_pb_batch_transaction(void **state)
{
    (void)state;
    pb_sql(&T, "CREATE TABLE bt(a)");
    hrana_cond c0 = pb_cond_step(HRANA_COND_OK, 0), c1 = pb_cond_step(HRANA_COND_OK, 1),
               c2 = pb_cond_step(HRANA_COND_OK, 2), c3 = pb_cond_step(HRANA_COND_OK, 3),
               c4 = pb_cond_step(HRANA_COND_OK, 4);
    hrana_cond not4 = pb_cond_list(HRANA_COND_NOT, &c4, 1);
    lsql_value v1 = lsql_int(1), v2 = lsql_int(2);
    hrana_step steps[] = {pb_step(NULL, "BEGIN IMMEDIATE"), pb_step(&c0, NULL), pb_step(&c1, "SELECT foobar"),
                          pb_step(&c2, NULL), pb_step(&c3, "COMMIT"), pb_step(&not4, "ROLLBACK")};
    steps[1].stmt.has_sql_id = steps[3].stmt.has_sql_id = 1;
    steps[1].stmt.sql_id = steps[3].stmt.sql_id = 0;
    steps[1].stmt.args = &v1;
    steps[3].stmt.args = &v2;
    steps[1].stmt.nargs = steps[3].stmt.nargs = 1;
    steps[0].stmt.want_rows = steps[4].stmt.want_rows = steps[5].stmt.want_rows = 0;
    hrana_request reqs[] = {pb_store_sql(0, "INSERT INTO bt VALUES (?)"),
                            pb_batch(steps, N_(steps)), pb_req(HRANA_REQ_CLOSE)};
    hrana_pipeline_resp p;
    pb_pipeline(&T, NULL, reqs, N_(reqs), &p);
    pb_ok(&p, 0, HRANA_REQ_STORE_SQL);
    const hrana_batch_result *b = &pb_ok(&p, 1, HRANA_REQ_BATCH)->batch;
    assert_non_null(pb_step_res(b, 1));
    assert_int_equal(pb_step_res(b, 1)->affected_row_count, 1);
    assert_non_null(pb_step_err(b, 2));
    assert_true(!pb_step_res(b, 3) && !pb_step_err(b, 3));
    assert_true(!pb_step_res(b, 4) && !pb_step_err(b, 4));
    assert_non_null(pb_step_res(b, 5));
    hrana_pipeline_resp_free(&p);
    hrana_request q[] = {pb_exec("SELECT count(*) FROM bt"), pb_exec("DROP TABLE bt"),
                         pb_req(HRANA_REQ_CLOSE)};
    pb_pipeline(&T, NULL, q, N_(q), &p);
    assert_true(pb_int(pb_stmt_result(&p, 0), 0, 0) == 0);
    hrana_pipeline_resp_free(&p);
}

static void test_pb_sequence_describe(void **state)
{
    (void)state;
    hrana_request reqs[] = {
        pb_sql_req(HRANA_REQ_SEQUENCE, "CREATE TABLE sq(a TEXT); INSERT INTO sq VALUES ('x');"
                                       " -- comment\n INSERT INTO sq VALUES ('y');;", 0),
        pb_sql_req(HRANA_REQ_SEQUENCE, "  /* nothing */ ; ", 0),
        pb_sql_req(HRANA_REQ_SEQUENCE, "INSERT INTO sq VALUES ('z'); INSERT INTO sq VALUES "
                                       "(foo()); INSERT INTO sq VALUES ('w')", 0),
        pb_exec("SELECT group_concat(a, '') FROM sq"),
        pb_sql_req(HRANA_REQ_DESCRIBE, "SELECT ?, ?3, :one, $two, @three, a AS x FROM sq", 0),
        pb_sql_req(HRANA_REQ_DESCRIBE, "EXPLAIN SELECT 1", 0),
        pb_sql_req(HRANA_REQ_DESCRIBE, "INSERT INTO sq VALUES (1)", 0),
        pb_sql_req(HRANA_REQ_DESCRIBE, "SELECT * FROM missing", 0),
        pb_store_sql(7, "SELECT 42"),
        pb_sql_req(HRANA_REQ_DESCRIBE, NULL, 7),
        pb_sql_req(HRANA_REQ_SEQUENCE, NULL, 7),
        pb_exec("DROP TABLE sq"),
        pb_req(HRANA_REQ_CLOSE),
    };
    hrana_pipeline_resp p;
    pb_pipeline(&T, NULL, reqs, N_(reqs), &p);
    pb_ok(&p, 0, HRANA_REQ_SEQUENCE);
    pb_ok(&p, 1, HRANA_REQ_SEQUENCE);
    pb_err(&p, 2); /* no such function */
    char buf[16];
    assert_string_equal(pb_text(pb_stmt_result(&p, 3), 0, 0, buf, sizeof buf), "xyz");
    const hrana_describe_result *d = &pb_ok(&p, 4, HRANA_REQ_DESCRIBE)->describe;
    assert_int_equal(d->nparams, 6);
    assert_null(d->params[0].p);
    assert_null(d->params[1].p);
    assert_string_equal(d->params[2].p, "?3");
    assert_string_equal(d->params[3].p, ":one");
    assert_string_equal(d->params[4].p, "$two");
    assert_string_equal(d->params[5].p, "@three");
    assert_int_equal(d->ncols, 6);
    assert_string_equal(d->cols[5].name.p, "x");
    assert_string_equal(d->cols[5].decltype.p, "TEXT");
    assert_false(d->is_explain);
    assert_true(d->is_readonly);
    assert_true(pb_ok(&p, 5, HRANA_REQ_DESCRIBE)->describe.is_explain);
    assert_false(pb_ok(&p, 6, HRANA_REQ_DESCRIBE)->describe.is_readonly);
    assert_string_equal(pb_err(&p, 7), "SQLITE_ERROR");
    pb_ok(&p, 8, HRANA_REQ_STORE_SQL);
    assert_string_equal(pb_ok(&p, 9, HRANA_REQ_DESCRIBE)->describe.cols[0].name.p, "42");
    pb_ok(&p, 10, HRANA_REQ_SEQUENCE);
    pb_stmt_result(&p, 11);
    hrana_pipeline_resp_free(&p);
}

static void test_pb_store_sql(void **state)
{
    (void)state;
    hrana_stmt by5 = pb_stmt(NULL), by3 = pb_stmt(NULL);
    by5.has_sql_id = by3.has_sql_id = 1;
    by5.sql_id = 5;
    by3.sql_id = 3;
    hrana_request reqs[] = {
        pb_store_sql(1, "SELECT 1"),
        pb_store_sql(1, "SELECT 2"),
        pb_store_sql(2, "SELECT 2"),
        pb_store_sql(3, "SELECT 3"),
        pb_store_sql(4, "SELECT 4"),
        pb_close_sql(3),
        pb_close_sql(3),
        pb_store_sql(5, "SELECT '0123456789012345678901234567890123456789012345678901234567890123456789'"),
        pb_store_sql(5, "SELECT 5"),
        pb_exec_stmt(by5),
        pb_exec_stmt(by3),
        pb_store_sql(-7, "SELECT -7"), /* negative ids are int32 too */
        pb_req(HRANA_REQ_CLOSE),
    };
    hrana_pipeline_resp p;
    pb_pipeline(&T, NULL, reqs, N_(reqs), &p);
    pb_ok(&p, 0, HRANA_REQ_STORE_SQL);
    assert_string_equal(pb_err(&p, 1), "SQL_STORE_EXISTS");
    pb_ok(&p, 2, HRANA_REQ_STORE_SQL);
    pb_ok(&p, 3, HRANA_REQ_STORE_SQL);
    assert_string_equal(pb_err(&p, 4), "SQL_STORE_TOO_MANY");
    pb_ok(&p, 5, HRANA_REQ_CLOSE_SQL);
    pb_ok(&p, 6, HRANA_REQ_CLOSE_SQL);
    assert_string_equal(pb_err(&p, 7), "SQL_STORE_TOO_LARGE");
    pb_ok(&p, 8, HRANA_REQ_STORE_SQL);
    assert_true(pb_int(pb_stmt_result(&p, 9), 0, 0) == 5);
    assert_string_equal(pb_err(&p, 10), "SQL_NOT_FOUND");
    assert_string_equal(pb_err(&p, 11), "SQL_STORE_TOO_MANY");
    hrana_pipeline_resp_free(&p);
    /* stored SQL lives on the stream: across requests with the baton */
    hrana_request a[] = {pb_store_sql(-7, "SELECT -7")};
    pb_pipeline(&T, NULL, a, 1, &p);
    char baton[128];
    pb_baton(&p, baton, sizeof baton);
    hrana_pipeline_resp_free(&p);
    hrana_stmt byneg = pb_stmt(NULL);
    byneg.has_sql_id = 1;
    byneg.sql_id = -7;
    hrana_request b[] = {pb_exec_stmt(byneg), pb_close_sql(-7), pb_exec_stmt(byneg),
                         pb_req(HRANA_REQ_CLOSE)};
    pb_pipeline(&T, baton, b, N_(b), &p);
    assert_true(pb_int(pb_stmt_result(&p, 0), 0, 0) == -7);
    pb_ok(&p, 1, HRANA_REQ_CLOSE_SQL);
    assert_string_equal(pb_err(&p, 2), "SQL_NOT_FOUND");
    hrana_pipeline_resp_free(&p);
}

static void test_pb_autocommit_close(void **state)
{
    (void)state;
    hrana_request reqs[] = {
        pb_req(HRANA_REQ_GET_AUTOCOMMIT), pb_exec("BEGIN"), pb_req(HRANA_REQ_GET_AUTOCOMMIT),
        pb_req(HRANA_REQ_CLOSE),          pb_exec("SELECT 1"), pb_req(HRANA_REQ_GET_AUTOCOMMIT),
    };
    hrana_pipeline_resp p;
    pb_pipeline(&T, NULL, reqs, N_(reqs), &p);
    assert_true(pb_ok(&p, 0, HRANA_REQ_GET_AUTOCOMMIT)->is_autocommit);
    assert_false(pb_ok(&p, 2, HRANA_REQ_GET_AUTOCOMMIT)->is_autocommit);
    pb_ok(&p, 3, HRANA_REQ_CLOSE);
    assert_string_equal(pb_err(&p, 4), "STREAM_CLOSED");
    assert_string_equal(pb_err(&p, 5), "STREAM_CLOSED");
    assert_null(p.baton.p);
    hrana_pipeline_resp_free(&p);
}

/* An interactive transaction over two requests (the baton), continued on
 * the JSON endpoint: streams do not depend on the encoding. */
static void test_pb_transaction(void **state)
{
    (void)state;
    pb_sql(&T, "CREATE TABLE tx(a)");
    hrana_request a[] = {pb_exec("BEGIN"), pb_exec("INSERT INTO tx VALUES (1)")};
    hrana_pipeline_resp p;
    pb_pipeline(&T, NULL, a, N_(a), &p);
    char baton[128];
    pb_baton(&p, baton, sizeof baton);
    assert_int_equal(strlen(baton), 64);
    hrana_pipeline_resp_free(&p);
    /* another stream does not see it yet */
    hrana_request other[] = {pb_exec("SELECT count(*) FROM tx"), pb_req(HRANA_REQ_CLOSE)};
    pb_pipeline(&T, NULL, other, N_(other), &p);
    assert_true(pb_int(pb_stmt_result(&p, 0), 0, 0) == 0);
    hrana_pipeline_resp_free(&p);
    hrana_request b[] = {pb_exec("INSERT INTO tx VALUES (2)"), pb_req(HRANA_REQ_GET_AUTOCOMMIT),
                         pb_exec("SELECT count(*) FROM tx")};
    pb_pipeline(&T, baton, b, N_(b), &p);
    assert_false(pb_ok(&p, 1, HRANA_REQ_GET_AUTOCOMMIT)->is_autocommit);
    assert_true(pb_int(pb_stmt_result(&p, 2), 0, 0) == 2);
    char next[128];
    pb_baton(&p, next, sizeof next);
    assert_string_not_equal(next, baton);
    hrana_pipeline_resp_free(&p);
    /* the spent baton is refused (a JSON error) */
    tresp r;
    hrana_buf body;
    hrana_request sel = pb_exec("SELECT 1");
    pb_encode_pipeline(&body, baton, &sel, 1);
    pb_post(T.port, PB_PIPELINE, NULL, body.p, body.len, &r);
    hrana_buf_free(&body);
    pb_expect_http_error(&r, 400, "BATON_REUSED");
    ts_free(&r);
    /* the JSON endpoint continues the same stream */
    long st;
    json_t *j = ts_pipeline(&T, next,
                            "{\"type\":\"execute\",\"stmt\":{\"sql\":\"COMMIT\"}},"
                            "{\"type\":\"get_autocommit\"}",
                            &st);
    assert_int_equal(st, 200);
    assert_true(json_is_true(jget(j, "results[1].response.is_autocommit")));
    ts_baton(j, next, sizeof next);
    json_decref(j);
    /* and protobuf again */
    hrana_request c[] = {pb_exec("SELECT count(*) FROM tx"), pb_exec("DROP TABLE tx"),
                         pb_req(HRANA_REQ_CLOSE)};
    pb_pipeline(&T, next, c, N_(c), &p);
    assert_true(pb_int(pb_stmt_result(&p, 0), 0, 0) == 2);
    assert_null(p.baton.p);
    hrana_pipeline_resp_free(&p);
}

/* ---- the SQLITE_BUSY retry re-runs a batch from its start ------------------ */

typedef struct racer {
    int port;
    unsigned delay_ms;
} racer;

static void *race_write(void *arg)
{
    racer *rc = arg;
    usleep(rc->delay_ms * 1000u);
    json_t *j = ts_pipeline_v(rc->port, "/v2/pipeline", NULL, NULL,
                              "{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO race VALUES (0)\"}},"
                              "{\"type\":\"close\"}",
                              NULL);
    json_decref(j);
    return NULL;
}

static unsigned long long metric(int port, const char *name)
{
    tresp r;
    ts_http(port, "GET", "/metrics", NULL, 0, NULL, &r);
    const char *at = strstr(r.body, name);
    assert_non_null(at);
    unsigned long long v = strtoull(at + strlen(name), NULL, 10);
    ts_free(&r);
    return v;
}

/* A deferred batch reads, then (while a slow step runs) another stream
 * commits a write, then the batch writes: SQLite says SQLITE_BUSY (a stale
 * snapshot) and lsqld runs the whole batch again under the write lock. The
 * answer must be the one of the second run, complete and well formed. */
static void test_pb_busy_retry(void **state)
{
    (void)state;
    tsrv t;
    lsqld_config c;
    ts_config(&c, &t, "protocol-pb-retry");
    c.statement_timeout_ms = 0;
    c.writer_timeout_ms = 60000;
    ts_start(&t, &c);
    json_t *j = ts_pipeline_v(t.port, "/v2/pipeline", NULL, NULL,
                              "{\"type\":\"execute\",\"stmt\":{\"sql\":\"CREATE TABLE race(a)\"}},"
                              "{\"type\":\"close\"}",
                              NULL);
    json_decref(j);
    int retried = 0;
    int64_t count0 = 0;
    for (unsigned k = 0; k < 6 && !retried; k++) {
        char slow[256];
        snprintf(slow, sizeof slow,
                 "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c LIMIT %u) "
                 "SELECT count(*) FROM c",
                 200000u << k);
        hrana_cond c0 = pb_cond_step(HRANA_COND_OK, 0), c3 = pb_cond_step(HRANA_COND_OK, 3),
                   c4 = pb_cond_step(HRANA_COND_OK, 4);
        hrana_cond not4 = pb_cond_list(HRANA_COND_NOT, &c4, 1);
        hrana_step steps[] = {pb_step(NULL, "BEGIN DEFERRED"), pb_step(&c0, "SELECT count(*) FROM race"),
                              pb_step(&c0, slow), pb_step(&c0, "INSERT INTO race VALUES (1)"),
                              pb_step(&c3, "COMMIT"), pb_step(&not4, "ROLLBACK")};
        hrana_request reqs[] = {pb_batch(steps, N_(steps)), pb_req(HRANA_REQ_CLOSE)};
        unsigned long long before = metric(t.port, "\nlsqld_batch_retries_total ");
        pthread_t th;
        racer rc = {t.port, 30};
        assert_int_equal(pthread_create(&th, NULL, race_write, &rc), 0);
        hrana_pipeline_resp p;
        pb_pipeline_v(t.port, NULL, NULL, reqs, N_(reqs), &p, NULL);
        pthread_join(th, NULL);
        retried = metric(t.port, "\nlsqld_batch_retries_total ") > before;
        const hrana_batch_result *b = &pb_ok(&p, 0, HRANA_REQ_BATCH)->batch;
        for (size_t i = 0; i < 5; i++)
            if (!pb_step_res(b, i) || pb_step_err(b, i))
                fail_msg("round %u, step %zu: %s", k, i,
                         pb_step_err(b, i) ? pb_step_err(b, i)->message.p : "no result");
        assert_true(!pb_step_res(b, 5) && !pb_step_err(b, 5));
        /* the answer is the second run's: it saw the racer's row */
        int64_t seen = pb_int(pb_step_res(b, 1), 0, 0);
        if (retried && seen != count0 + 1)
            fail_msg("round %u: retried, but the answer saw %lld rows of %lld", k,
                     (long long)seen, (long long)count0 + 1);
        assert_true(seen == count0 || seen == count0 + 1);
        hrana_pipeline_resp_free(&p);
        count0 += 2; /* ours and the racer's */
        hrana_request cnt[] = {pb_exec("SELECT count(*) FROM race"), pb_req(HRANA_REQ_CLOSE)};
        pb_pipeline_v(t.port, NULL, NULL, cnt, N_(cnt), &p, NULL);
        assert_true(pb_int(pb_stmt_result(&p, 0), 0, 0) == count0);
        hrana_pipeline_resp_free(&p);
    }
    if (!retried)
        fail_msg("no batch was retried (the racing write never came in time)");
    ts_stop(&t);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pb_endpoints),
        cmocka_unit_test(test_pb_values),
        cmocka_unit_test(test_pb_results),
        cmocka_unit_test(test_pb_statement_errors),
        cmocka_unit_test(test_pb_args),
        cmocka_unit_test(test_pb_batch_conditions),
        cmocka_unit_test(test_pb_batch_transaction),
        cmocka_unit_test(test_pb_sequence_describe),
        cmocka_unit_test(test_pb_store_sql),
        cmocka_unit_test(test_pb_autocommit_close),
        cmocka_unit_test(test_pb_transaction),
        cmocka_unit_test(test_pb_busy_retry),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
