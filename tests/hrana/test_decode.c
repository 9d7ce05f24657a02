/* test_decode.c -- decoding requests: every request type, defaults,
 * protocol violations with clear messages (naming the field), and every
 * decode limit. */
#include "hrana_testutil.h"

static int dec(const char *json, const hrana_limits *l, hrana_pipeline_req *r, hrana_status *st)
{
    hrana_limits def = ht_limits();
    return hrana_decode_pipeline_req(json, strlen(json), l ? l : &def, r, st);
}

static void test_all_request_types(void **state)
{
    (void)state;
    const char *json =
        "{\"baton\":\"abc\",\"requests\":["
        "{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT ?\",\"args\":[{\"type\":\"integer\",\"value\":\"7\"}],"
        "\"want_rows\":false,\"replication_index\":\"12\",\"future_field\":{\"x\":[1,2]}}},"
        "{\"type\":\"batch\",\"batch\":{\"steps\":[{\"stmt\":{\"sql_id\":3,\"named_args\":"
        "[{\"name\":\":a\",\"value\":{\"type\":\"text\",\"value\":\"t\"}}]}},"
        "{\"condition\":{\"type\":\"not\",\"cond\":{\"type\":\"and\",\"conds\":[{\"type\":\"ok\",\"step\":0},"
        "{\"type\":\"error\",\"step\":0},{\"type\":\"or\",\"conds\":[]},{\"type\":\"is_autocommit\"}]}},"
        "\"stmt\":{\"sql\":\"COMMIT\"}}]}},"
        "{\"type\":\"sequence\",\"sql\":\"A;B\"},"
        "{\"type\":\"describe\",\"sql_id\":-5},"
        "{\"type\":\"store_sql\",\"sql_id\":2147483647,\"sql\":\"SELECT 1\"},"
        "{\"type\":\"close_sql\",\"sql_id\":-2147483648},"
        "{\"type\":\"get_autocommit\"},"
        "{\"type\":\"close\"}]}";
    hrana_pipeline_req r;
    hrana_status st;
    assert_status(HRANA_OK, dec(json, NULL, &r, &st), st);
    assert_string_equal(r.baton.p, "abc");
    assert_int_equal(r.nrequests, 8);
    hrana_request *q = r.requests;
    assert_int_equal(q[0].type, HRANA_REQ_EXECUTE);
    assert_string_equal(q[0].stmt.sql.p, "SELECT ?");
    assert_int_equal(q[0].stmt.nargs, 1);
    assert_true(q[0].stmt.args[0].u.i == 7);
    assert_int_equal(q[0].stmt.want_rows, 0);
    assert_int_equal(q[1].type, HRANA_REQ_BATCH);
    assert_int_equal(q[1].batch.nsteps, 2);
    assert_null(q[1].batch.steps[0].cond);
    assert_true(q[1].batch.steps[0].stmt.has_sql_id);
    assert_int_equal(q[1].batch.steps[0].stmt.sql_id, 3);
    assert_int_equal(q[1].batch.steps[0].stmt.want_rows, 1); /* default */
    assert_string_equal(q[1].batch.steps[0].stmt.named_args[0].name.p, ":a");
    hrana_cond *c = q[1].batch.steps[1].cond;
    assert_int_equal(c->type, HRANA_COND_NOT);
    assert_int_equal(c->conds[0].type, HRANA_COND_AND);
    assert_int_equal(c->conds[0].nconds, 4);
    assert_int_equal(c->conds[0].conds[1].type, HRANA_COND_ERROR);
    assert_int_equal(c->conds[0].conds[2].type, HRANA_COND_OR);
    assert_int_equal(c->conds[0].conds[2].nconds, 0);
    assert_int_equal(c->conds[0].conds[3].type, HRANA_COND_IS_AUTOCOMMIT);
    assert_int_equal(q[2].type, HRANA_REQ_SEQUENCE);
    assert_string_equal(q[2].sql.p, "A;B");
    assert_int_equal(q[3].type, HRANA_REQ_DESCRIBE);
    assert_int_equal(q[3].sql_id, -5);
    assert_int_equal(q[4].sql_id, INT32_MAX);
    assert_int_equal(q[5].sql_id, INT32_MIN);
    assert_int_equal(q[6].type, HRANA_REQ_GET_AUTOCOMMIT);
    assert_int_equal(q[7].type, HRANA_REQ_CLOSE);
    hrana_pipeline_req_free(&r);
    /* baton absent or null */
    assert_status(HRANA_OK, dec("{\"requests\":[]}", NULL, &r, &st), st);
    assert_null(r.baton.p);
    assert_int_equal(r.nrequests, 0);
    hrana_pipeline_req_free(&r);
    assert_status(HRANA_OK, dec("{\"baton\":null,\"requests\":[],\"x\":1}", NULL, &r, &st), st);
    assert_null(r.baton.p);
    hrana_pipeline_req_free(&r);
    /* the cursor body */
    hrana_cursor_req cr;
    const char *cj = "{\"baton\":null,\"batch\":{\"steps\":[{\"stmt\":{\"sql\":\"SELECT 1\"}}]}}";
    hrana_limits l = ht_limits();
    assert_status(HRANA_OK, hrana_decode_cursor_req(cj, strlen(cj), &l, &cr, &st), st);
    assert_int_equal(cr.batch.nsteps, 1);
    hrana_cursor_req_free(&cr);
    assert_status(HRANA_E_INVALID, hrana_decode_cursor_req("{}", 2, &l, &cr, &st), st);
}

static void bad(const char *json, int code, const char *in_msg)
{
    hrana_pipeline_req r;
    hrana_status st;
    int rc = dec(json, NULL, &r, &st);
    if (rc != code)
        fail_msg("%s: got %s (%s), want %s", json, hrana_status_name(rc), st.message,
                 hrana_status_name(code));
    if (in_msg && !strstr(st.message, in_msg))
        fail_msg("%s: message '%s' lacks '%s'", json, st.message, in_msg);
    assert_null(r.requests);
    assert_null(r.arena);
}

static void test_invalid(void **state)
{
    (void)state;
    bad("", HRANA_E_JSON, "invalid JSON");
    bad("{", HRANA_E_JSON, NULL);
    bad("{\"requests\":[]}x", HRANA_E_JSON, NULL);
    bad("{\"requests\":[],\"requests\":[]}", HRANA_E_JSON, NULL);
    bad("{\"requests\":[{\"type\":\"close\",\"type\":\"close\"}]}", HRANA_E_JSON, NULL);
    bad("[]", HRANA_E_INVALID, "object");
    bad("\"x\"", HRANA_E_JSON, NULL);
    bad("{}", HRANA_E_INVALID, "requests: missing field");
    bad("{\"requests\":null}", HRANA_E_INVALID, "requests: missing field");
    bad("{\"requests\":5}", HRANA_E_INVALID, "requests: expected an array");
    bad("{\"baton\":1,\"requests\":[]}", HRANA_E_INVALID, "baton: expected a string");
    bad("{\"requests\":[5]}", HRANA_E_INVALID, "requests[0]");
    bad("{\"requests\":[{\"type\":5}]}", HRANA_E_INVALID, "requests[0].type");
    bad("{\"requests\":[{\"type\":\"close\"},{\"type\":\"open_stream\"}]}", HRANA_E_UNKNOWN_TYPE,
        "requests[1]: unknown request type \"open_stream\"");
    bad("{\"requests\":[{\"type\":\"execute\"}]}", HRANA_E_INVALID, "requests[0].stmt: missing");
    bad("{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"x\",\"sql_id\":1}}]}",
        HRANA_E_INVALID, "both");
    bad("{\"requests\":[{\"type\":\"execute\",\"stmt\":{}}]}", HRANA_E_INVALID, "one of");
    bad("{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":1}}]}", HRANA_E_INVALID,
        "stmt.sql: expected a string");
    bad("{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql_id\":1.5}}]}", HRANA_E_INVALID,
        "sql_id");
    bad("{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql_id\":2147483648}}]}",
        HRANA_E_INVALID, "sql_id");
    bad("{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"x\",\"want_rows\":1}}]}",
        HRANA_E_INVALID, "want_rows");
    bad("{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"x\",\"args\":[{\"type\":\"integer\",\"value\":\"x\"}]}}]}",
        HRANA_E_INVALID, "requests[0].stmt.args[0].value");
    bad("{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"x\",\"named_args\":[{\"value\":{\"type\":\"null\"}}]}}]}",
        HRANA_E_INVALID, "named_args[0].name");
    bad("{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"x\",\"named_args\":[{\"name\":\"a\"}]}}]}",
        HRANA_E_INVALID, "named_args[0].value");
    bad("{\"requests\":[{\"type\":\"batch\",\"batch\":{}}]}", HRANA_E_INVALID, "steps");
    bad("{\"requests\":[{\"type\":\"batch\",\"batch\":{\"steps\":[{\"condition\":{\"type\":\"ok\",\"step\":0},\"stmt\":{\"sql\":\"x\"}}]}}]}",
        HRANA_E_INVALID, "not before step 0");
    bad("{\"requests\":[{\"type\":\"batch\",\"batch\":{\"steps\":[{\"stmt\":{\"sql\":\"x\"}},{\"condition\":{\"type\":\"maybe\"},\"stmt\":{\"sql\":\"x\"}}]}}]}",
        HRANA_E_INVALID, "steps[1].condition: unknown condition type");
    bad("{\"requests\":[{\"type\":\"batch\",\"batch\":{\"steps\":[{\"stmt\":{\"sql\":\"x\"}},{\"condition\":{\"type\":\"ok\",\"step\":-1},\"stmt\":{\"sql\":\"x\"}}]}}]}",
        HRANA_E_INVALID, "step");
    bad("{\"requests\":[{\"type\":\"batch\",\"batch\":{\"steps\":[{\"stmt\":{\"sql\":\"x\"}},{\"condition\":{\"type\":\"not\"},\"stmt\":{\"sql\":\"x\"}}]}}]}",
        HRANA_E_INVALID, "cond");
    bad("{\"requests\":[{\"type\":\"sequence\",\"sql\":\"x\",\"sql_id\":1}]}", HRANA_E_INVALID, "both");
    bad("{\"requests\":[{\"type\":\"describe\"}]}", HRANA_E_INVALID, "one of");
    bad("{\"requests\":[{\"type\":\"store_sql\",\"sql_id\":1}]}", HRANA_E_INVALID, "sql: missing");
    bad("{\"requests\":[{\"type\":\"close_sql\"}]}", HRANA_E_INVALID, "sql_id: missing");
}

static void test_limits(void **state)
{
    (void)state;
    hrana_pipeline_req r;
    hrana_status st;
    hrana_limits l = ht_limits();
    /* body */
    l.max_body = 10;
    assert_status(HRANA_E_TOO_LARGE, dec("{\"requests\":[]}", &l, &r, &st), st);
    l = ht_limits();
    /* depth: nested conditions */
    char deep[8192];
    size_t n = 0;
    n += (size_t)snprintf(deep + n, sizeof deep - n,
                          "{\"requests\":[{\"type\":\"batch\",\"batch\":{\"steps\":[{\"stmt\":{\"sql\":\"x\"}},"
                          "{\"stmt\":{\"sql\":\"x\"},\"condition\":");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(deep + n, sizeof deep - n, "{\"type\":\"not\",\"cond\":");
    n += (size_t)snprintf(deep + n, sizeof deep - n, "{\"type\":\"ok\",\"step\":0}");
    for (int i = 0; i < 100; i++)
        deep[n++] = '}';
    n += (size_t)snprintf(deep + n, sizeof deep - n, "}]}}]}");
    assert_status(HRANA_E_LIMIT, dec(deep, &l, &r, &st), st);
    assert_non_null(strstr(st.message, "deeper than 64"));
    l.max_depth = 200;
    assert_status(HRANA_OK, dec(deep, &l, &r, &st), st);
    hrana_pipeline_req_free(&r);
    /* a huge nesting never reaches the parser */
    char *wall = malloc(1 << 20);
    memset(wall, '[', 1 << 20);
    l = ht_limits();
    assert_status(HRANA_E_LIMIT, hrana_decode_pipeline_req(wall, 1 << 20, &l, &r, &st), st);
    free(wall);
    /* nodes */
    l.max_nodes = 10;
    assert_status(HRANA_E_LIMIT, dec("{\"requests\":[1,2,3,4,5,6,7,8,9,10,11]}", &l, &r, &st), st);
    assert_non_null(strstr(st.message, "more than 10 values"));
    l = ht_limits();
    /* requests */
    l.max_requests = 2;
    assert_status(HRANA_OK, dec("{\"requests\":[{\"type\":\"close\"},{\"type\":\"close\"}]}", &l, &r, &st), st);
    hrana_pipeline_req_free(&r);
    assert_status(HRANA_E_LIMIT, dec("{\"requests\":[{\"type\":\"close\"},{\"type\":\"close\"},{\"type\":\"close\"}]}", &l, &r, &st), st);
    assert_non_null(strstr(st.message, "limit of 2"));
    l = ht_limits();
    /* steps */
    l.max_steps = 1;
    assert_status(HRANA_E_LIMIT, dec("{\"requests\":[{\"type\":\"batch\",\"batch\":{\"steps\":[{\"stmt\":{\"sql\":\"x\"}},{\"stmt\":{\"sql\":\"y\"}}]}}]}", &l, &r, &st), st);
    assert_non_null(strstr(st.message, "requests[0].batch.steps"));
    l = ht_limits();
    /* args (positional + named together) */
    l.max_args = 2;
    assert_status(HRANA_OK, dec("{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"x\",\"args\":[{\"type\":\"null\"},{\"type\":\"null\"}]}}]}", &l, &r, &st), st);
    hrana_pipeline_req_free(&r);
    assert_status(HRANA_E_LIMIT, dec("{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"x\",\"args\":[{\"type\":\"null\"},{\"type\":\"null\"}],"
                                     "\"named_args\":[{\"name\":\"a\",\"value\":{\"type\":\"null\"}}]}}]}", &l, &r, &st), st);
    l = ht_limits();
    /* sql */
    l.max_sql = 3;
    assert_status(HRANA_OK, dec("{\"requests\":[{\"type\":\"sequence\",\"sql\":\"abc\"}]}", &l, &r, &st), st);
    hrana_pipeline_req_free(&r);
    assert_status(HRANA_E_LIMIT, dec("{\"requests\":[{\"type\":\"sequence\",\"sql\":\"abcd\"}]}", &l, &r, &st), st);
    assert_non_null(strstr(st.message, "requests[0].sql"));
    l = ht_limits();
    /* text, names, batons */
    l.max_text = 3;
    assert_status(HRANA_E_LIMIT, dec("{\"baton\":\"abcd\",\"requests\":[]}", &l, &r, &st), st);
    assert_status(HRANA_E_LIMIT, dec("{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"x\",\"named_args\":[{\"name\":\"abcd\",\"value\":{\"type\":\"null\"}}]}}]}", &l, &r, &st), st);
    l = ht_limits();
    /* blob */
    l.max_blob = 3;
    assert_status(HRANA_OK, dec("{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"x\",\"args\":[{\"type\":\"blob\",\"base64\":\"YWJj\"}]}}]}", &l, &r, &st), st);
    hrana_pipeline_req_free(&r);
    assert_status(HRANA_E_LIMIT, dec("{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"x\",\"args\":[{\"type\":\"blob\",\"base64\":\"YWJjZA\"}]}}]}", &l, &r, &st), st);
    assert_status(HRANA_E_LIMIT, dec("{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"x\",\"args\":[{\"type\":\"blob\",\"base64\":\"YWJjZGVmZ2hpams\"}]}}]}", &l, &r, &st), st);
}

static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(hrana_status_name(HRANA_E_JSON), "JSON_INVALID");
    assert_string_equal(hrana_status_name(HRANA_E_INVALID), "REQUEST_INVALID");
    assert_string_equal(hrana_status_name(HRANA_E_UNKNOWN_TYPE), "REQUEST_UNKNOWN");
    assert_string_equal(hrana_status_name(HRANA_E_LIMIT), "LIMIT_EXCEEDED");
    assert_string_equal(hrana_status_name(HRANA_E_TOO_LARGE), "BODY_TOO_LARGE");
    assert_string_equal(hrana_req_type_name(HRANA_REQ_GET_AUTOCOMMIT), "get_autocommit");
    assert_null(hrana_req_type_name(0));
    assert_null(hrana_req_type_name(HRANA_REQ_COUNT));
}

static void test_buf(void **state)
{
    (void)state;
    hrana_buf b;
    hrana_buf_init(&b, 8);
    assert_int_equal(hrana_buf_puts(&b, "12345678"), 0);
    assert_int_equal(hrana_buf_putc(&b, '9'), -1);
    assert_false(hrana_buf_ok(&b));
    assert_int_equal(b.len, 8);
    hrana_buf_truncate(&b, 4);
    assert_true(hrana_buf_ok(&b));
    assert_int_equal(hrana_buf_puts(&b, "ab"), 0);
    size_t n;
    char *p = hrana_buf_detach(&b, &n);
    assert_int_equal(n, 6);
    assert_string_equal(p, "1234ab");
    free(p);
    hrana_buf_free(&b);
    /* a string that does not fit leaves the buffer marked */
    hrana_buf_init(&b, 5);
    hrana_put_string(&b, "abcdef", 6);
    assert_false(hrana_buf_ok(&b));
    hrana_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_request_types),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_buf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
