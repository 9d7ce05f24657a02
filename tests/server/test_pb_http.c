/* test_pb_http.c -- the HTTP side of /v3-protobuf: errors before the
 * stream (bad batons, malformed bodies, auth, sizes) are JSON
 * {"message","code"} with their status, as the JSON endpoints'; response
 * size limits; metrics per endpoint. */
#include "srv_pbutil.h"

static tsrv T;

static int setup(void **state)
{
    (void)state;
    lsqld_config c;
    ts_config(&c, &T, "pb-http");
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

/* HTTP-level errors are JSON with the right status, on both endpoints. */
static void test_pb_bad_baton(void **state)
{
    (void)state;
    static const char *const paths[] = {PB_PIPELINE, PB_CURSOR};
    for (int k = 0; k < 2; k++) {
        hrana_buf body;
        hrana_buf_init(&body, 1 << 20);
        if (k == 0) {
            hrana_request sel = pb_exec("SELECT 1");
            hrana_pipeline_req req = {pb_str("nope"), &sel, 1, NULL};
            hrana_pb_encode_pipeline_req(&body, &req);
        } else {
            hrana_step s1 = pb_step(NULL, "SELECT 1");
            hrana_cursor_req req = {pb_str("nope"), {&s1, 1}, NULL};
            hrana_pb_encode_cursor_req(&body, &req);
        }
        tresp r;
        pb_post(T.port, paths[k], NULL, body.p, body.len, &r);
        pb_expect_http_error(&r, 400, "BATON_INVALID");
        ts_free(&r);
        hrana_buf_free(&body);
    }
    /* a forged baton of the right shape */
    char forged[65];
    memset(forged, 'A', 64);
    forged[64] = 0;
    hrana_request sel = pb_exec("SELECT 1");
    hrana_buf body;
    pb_encode_pipeline(&body, forged, &sel, 1);
    tresp r;
    pb_post(T.port, PB_PIPELINE, NULL, body.p, body.len, &r);
    pb_expect_http_error(&r, 400, "BATON_INVALID");
    ts_free(&r);
    hrana_buf_free(&body);
}

/* Bodies that are not a PipelineReqBody: 400 with a JSON error, and the
 * server goes on. */
static void test_pb_malformed(void **state)
{
    (void)state;
    struct {
        const char *body;
        size_t len;
        const char *code;
    } cases[] = {
        {"\xff\xff\xff", 3, "PROTOBUF_INVALID"},                /* a bad varint */
        {"\x12\x05\x12\x00", 4, "PROTOBUF_INVALID"},            /* a length past the end */
        {"\x10\x01", 2, "PROTOBUF_INVALID"},                    /* requests as a varint */
        {"\x0a\x02", 2, "PROTOBUF_INVALID"},                    /* baton cut short */
        {"\x12\x02\x12\x00", 4, "REQUEST_INVALID"},             /* execute without stmt */
        {"\x12\x00", 2, NULL},                                   /* a request of no kind */
        {"\x12\x02\x4a\x00", 4, NULL},                           /* kind 9: unknown */
        {"{\"requests\":[]}", 15, NULL},                         /* JSON is not protobuf */
    };
    for (size_t i = 0; i < N_(cases); i++) {
        tresp r;
        pb_post(T.port, PB_PIPELINE, NULL, cases[i].body, cases[i].len, &r);
        if (r.status != 400)
            fail_msg("case %zu: status %ld (%.200s)", i, r.status, r.body ? r.body : "");
        assert_string_equal(r.ctype, "application/json");
        json_t *j = ts_parse(&r);
        if (cases[i].code && strcmp(jstr(j, "code"), cases[i].code))
            fail_msg("case %zu: code %s, want %s (%s)", i, jstr(j, "code"), cases[i].code,
                     jstr(j, "message"));
        assert_true(strlen(jstr(j, "message")) > 0);
        json_decref(j);
        ts_free(&r);
        if (!cases[i].code || strcmp(cases[i].code, "PROTOBUF_INVALID"))
            continue; /* the others are well-formed CursorReqBody messages */
        pb_post(T.port, PB_CURSOR, NULL, cases[i].body, cases[i].len, &r);
        pb_expect_http_error(&r, 400, "PROTOBUF_INVALID");
        ts_free(&r);
    }
    /* an empty body is an empty PipelineReqBody: a new stream, no results */
    tresp r;
    pb_post(T.port, PB_PIPELINE, NULL, "", 0, &r);
    hrana_pipeline_resp p;
    pb_decode_answer(&r, &p);
    assert_int_equal(p.nresults, 0);
    char baton[128];
    pb_baton(&p, baton, sizeof baton);
    hrana_pipeline_resp_free(&p);
    /* by hand: the whole body is the baton field */
    assert_int_equal(r.len, 2 + 64);
    assert_memory_equal(r.body, "\x0a\x40", 2);
    ts_free(&r);
    hrana_request close = pb_req(HRANA_REQ_CLOSE);
    pb_pipeline(&T, baton, &close, 1, &p);
    hrana_pipeline_resp_free(&p);
    pb_sql(&T, "SELECT 1");
}

static void test_pb_body_too_large(void **state)
{
    (void)state;
    /* a text argument of 300 KiB: over the 256 KiB body limit */
    size_t n = 300 * 1024;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, 'x', n);
    lsql_value v = lsql_text(big, n);
    hrana_stmt s = pb_stmt("SELECT length(?)");
    s.args = &v;
    s.nargs = 1;
    hrana_request req = pb_exec_stmt(s);
    hrana_buf body;
    pb_encode_pipeline(&body, NULL, &req, 1);
    tresp r;
    pb_post(T.port, PB_PIPELINE, NULL, body.p, body.len, &r);
    pb_expect_http_error(&r, 413, "BODY_TOO_LARGE");
    ts_free(&r);
    pb_post(T.port, PB_CURSOR, NULL, body.p, body.len, &r);
    pb_expect_http_error(&r, 413, "BODY_TOO_LARGE");
    ts_free(&r);
    hrana_buf_free(&body);
    /* just under the limit works */
    v = lsql_text(big, 200 * 1024);
    hrana_request reqs[] = {pb_exec_stmt(s), pb_req(HRANA_REQ_CLOSE)};
    reqs[0].stmt.args = &v;
    hrana_pipeline_resp p;
    pb_pipeline(&T, NULL, reqs, N_(reqs), &p);
    assert_true(pb_int(pb_stmt_result(&p, 0), 0, 0) == 200 * 1024);
    hrana_pipeline_resp_free(&p);
    free(big);
}

static void test_pb_response_too_large(void **state)
{
    (void)state;
    hrana_request reqs[] = {
        pb_exec("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c LIMIT 100000) "
                "SELECT x FROM c"),
        pb_exec("SELECT 1"),
        pb_req(HRANA_REQ_CLOSE),
    };
    hrana_pipeline_resp p;
    pb_pipeline(&T, NULL, reqs, N_(reqs), &p);
    assert_string_equal(pb_err(&p, 0), "RESPONSE_TOO_LARGE");
    assert_true(pb_int(pb_stmt_result(&p, 1), 0, 0) == 1);
    hrana_pipeline_resp_free(&p);
    /* in a batch: the step's error, the other steps run */
    hrana_step steps[] = {pb_step(NULL, "SELECT zeroblob(200000)"), pb_step(NULL, "SELECT 2")};
    hrana_request b[] = {pb_batch(steps, 2), pb_req(HRANA_REQ_CLOSE)};
    pb_pipeline(&T, NULL, b, N_(b), &p);
    const hrana_batch_result *br = &pb_ok(&p, 0, HRANA_REQ_BATCH)->batch;
    assert_string_equal(pb_step_err(br, 0)->code.p, "RESPONSE_TOO_LARGE");
    assert_null(pb_step_res(br, 0));
    assert_true(pb_int(pb_step_res(br, 1), 0, 0) == 2);
    hrana_pipeline_resp_free(&p);
    /* results adding up past the limit: the request that crosses it fails */
    hrana_request many[] = {pb_exec("SELECT zeroblob(50000)"), pb_exec("SELECT zeroblob(50000)"),
                            pb_exec("SELECT zeroblob(50000)"), pb_req(HRANA_REQ_CLOSE)};
    pb_pipeline(&T, NULL, many, N_(many), &p);
    pb_stmt_result(&p, 0);
    pb_stmt_result(&p, 1);
    assert_string_equal(pb_err(&p, 2), "RESPONSE_TOO_LARGE");
    pb_ok(&p, 3, HRANA_REQ_CLOSE);
    hrana_pipeline_resp_free(&p);
}

static void test_pb_auth(void **state)
{
    (void)state;
    tsrv t;
    lsqld_config c;
    ts_config(&c, &t, "protocol-pb-auth");
    c.ntokens = 1;
    c.tokens[0] = "secret";
    ts_start(&t, &c);
    hrana_request reqs[] = {pb_exec("SELECT 7"), pb_req(HRANA_REQ_CLOSE)};
    hrana_buf body;
    pb_encode_pipeline(&body, NULL, reqs, N_(reqs));
    tresp r;
    pb_post(t.port, PB_PIPELINE, NULL, body.p, body.len, &r);
    pb_expect_http_error(&r, 401, "AUTH_HEADER_MISSING");
    ts_free(&r);
    pb_post(t.port, PB_PIPELINE, "Bearer wrong", body.p, body.len, &r);
    assert_int_equal(r.status, 401);
    assert_string_equal(r.ctype, "application/json");
    ts_free(&r);
    hrana_buf_free(&body);
    hrana_pipeline_resp p;
    pb_pipeline_v(t.port, "Bearer secret", NULL, reqs, N_(reqs), &p, NULL);
    assert_true(pb_int(pb_stmt_result(&p, 0), 0, 0) == 7);
    hrana_pipeline_resp_free(&p);
    /* the probe needs no token */
    ts_http(t.port, "GET", "/v3-protobuf", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    ts_free(&r);
    ts_stop(&t);
}

static void test_pb_metrics(void **state)
{
    (void)state;
    pb_sql(&T, "SELECT 1");
    hrana_step s1 = pb_step(NULL, "SELECT 1");
    hrana_cursor_req creq = {{NULL, 0}, {&s1, 1}, NULL};
    hrana_buf body;
    hrana_buf_init(&body, 1 << 20);
    hrana_pb_encode_cursor_req(&body, &creq);
    tresp r;
    pb_post(T.port, PB_CURSOR, NULL, body.p, body.len, &r);
    assert_int_equal(r.status, 200);
    ts_free(&r);
    hrana_buf_free(&body);
    pb_post(T.port, PB_PIPELINE, NULL, "\xff", 1, &r);
    ts_free(&r);
    ts_http(T.port, "GET", "/metrics", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "lsqld_http_requests_total{endpoint=\"pipeline_protobuf\","
                                   "status=\"200\"}"));
    assert_non_null(strstr(r.body, "lsqld_http_requests_total{endpoint=\"pipeline_protobuf\","
                                   "status=\"400\"}"));
    assert_non_null(strstr(r.body, "lsqld_http_requests_total{endpoint=\"cursor_protobuf\","
                                   "status=\"200\"}"));
    assert_non_null(strstr(r.body, "lsqld_errors_total{code=\"PROTOBUF_INVALID\"}"));
    assert_non_null(strstr(r.body, "lsqld_stream_requests_total{type=\"execute\",result=\"ok\"}"));
    ts_free(&r);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pb_bad_baton),
        cmocka_unit_test(test_pb_malformed),
        cmocka_unit_test(test_pb_body_too_large),
        cmocka_unit_test(test_pb_response_too_large),
        cmocka_unit_test(test_pb_auth),
        cmocka_unit_test(test_pb_metrics),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
