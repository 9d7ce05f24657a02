/* test_protocol.c -- lsqld's HTTP endpoints and every Hrana request type,
 * value round trips, batch conditions, errors and limits. */
#include "srv_testutil.h"

#include <math.h>

static tsrv T;

static int setup(void **state)
{
    (void)state;
    lsqld_config c;
    ts_config(&c, &T, "protocol");
    c.limits.max_body = 256 * 1024;
    c.max_response = 128 * 1024;
    c.max_stored_sql = 3;
    c.max_stored_sql_bytes = 64;
    c.statement_timeout_ms = 200;
    ts_start(&T, &c);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_stop(&T);
    return 0;
}

static void test_endpoints(void **state)
{
    (void)state;
    tresp r;
    ts_http(T.port, "GET", "/health", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    ts_free(&r);
    ts_http(T.port, "GET", "/version", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "lsqld " LSQLD_VERSION));
    ts_free(&r);
    ts_http(T.port, "GET", "/v2", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    ts_free(&r);
    ts_http(T.port, "GET", "/v3", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    ts_free(&r);
    /* protobuf too (tests/server/test_pb_*.c) */
    ts_http(T.port, "GET", "/v3-protobuf", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    ts_free(&r);
    ts_http(T.port, "GET", "/nope", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.ctype, "application/json");
    json_t *j = ts_parse(&r);
    assert_string_equal(jstr(j, "code"), "NOT_FOUND");
    json_decref(j);
    ts_free(&r);
    ts_http(T.port, "GET", "/v2/pipeline", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 405);
    ts_free(&r);
    ts_http(T.port, "POST", "/health", "x", 1, NULL, &r);
    assert_int_equal(r.status, 405);
    ts_free(&r);
    /* CORS preflight */
    ts_http(T.port, "OPTIONS", "/v2/pipeline", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 204);
    assert_string_equal(r.allow_origin, "*");
    ts_free(&r);
    /* double slashes and a trailing slash are normalised */
    ts_http(T.port, "POST", "//v2//pipeline/", "{\"requests\":[]}", 15, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.allow_origin, "*");
    ts_free(&r);
}

/* HTTP/1.1 keep-alive: one connection serves several requests. */
static void test_keep_alive(void **state)
{
    (void)state;
    CURL *c = curl_easy_init();
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v2/pipeline", T.port);
    const char *body = "{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT 1\"}},{\"type\":\"close\"}]}";
    tresp r;
    memset(&r, 0, sizeof r);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ts_write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(curl_easy_perform(c), CURLE_OK);
        long code = 0, connects = -1;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
        assert_int_equal(code, 200);
        assert_int_equal(connects, i == 0 ? 1 : 0); /* reused after the first */
    }
    ts_free(&r);
    curl_easy_cleanup(c);
}

static void test_metrics(void **state)
{
    (void)state;
    ts_sql(&T, "SELECT 1");
    tresp r;
    ts_http(T.port, "GET", "/metrics", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "lsqld_http_requests_total{endpoint=\"pipeline\",status=\"200\"}"));
    assert_non_null(strstr(r.body, "lsqld_stream_requests_total{type=\"execute\",result=\"ok\"}"));
    assert_non_null(strstr(r.body, "lsqld_http_request_duration_seconds_bucket{le=\"+Inf\"}"));
    assert_non_null(strstr(r.body, "lsqld_streams_open "));
    ts_free(&r);
}

static void test_execute_values(void **state)
{
    (void)state;
    json_t *j = ts_exec(&T,
        "{\"sql\":\"SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?\",\"args\":["
        "{\"type\":\"integer\",\"value\":\"-9223372036854775808\"},"
        "{\"type\":\"integer\",\"value\":\"9223372036854775807\"},"
        "{\"type\":\"float\",\"value\":5e-324},"
        "{\"type\":\"float\",\"value\":1e+21},"
        "{\"type\":\"float\",\"value\":1672662896000},"
        "{\"type\":\"text\",\"value\":\"a\\u0000b\\ud83d\\ude00\"},"
        "{\"type\":\"blob\",\"base64\":\"AAEC/w==\"},"
        "{\"type\":\"blob\",\"base64\":\"AAEC/w\"},"
        "{\"type\":\"null\"}],\"named_args\":[],\"want_rows\":true}");
    assert_string_equal(jstr(j, "results[0].type"), "ok");
    assert_string_equal(jstr(j, "results[0].response.type"), "execute");
    json_t *row = jget(j, "results[0].response.result.rows[0]");
    assert_string_equal(jstr(row, "[0].type"), "integer");
    assert_string_equal(jstr(row, "[0].value"), "-9223372036854775808");
    assert_string_equal(jstr(row, "[1].value"), "9223372036854775807");
    assert_string_equal(jstr(row, "[2].type"), "float");
    assert_true(json_real_value(jget(row, "[2].value")) == 5e-324);
    assert_true(json_number_value(jget(row, "[3].value")) == 1e21);
    /* an integral float stays a float */
    assert_string_equal(jstr(row, "[4].type"), "float");
    assert_true(json_number_value(jget(row, "[4].value")) == 1672662896000.0);
    assert_string_equal(jstr(row, "[5].type"), "text");
    json_t *text = jget(row, "[5].value");
    assert_int_equal(json_string_length(text), 7);
    assert_memory_equal(json_string_value(text), "a\0b\xf0\x9f\x98\x80", 7);
    assert_string_equal(jstr(row, "[6].type"), "blob");
    assert_string_equal(jstr(row, "[6].base64"), "AAEC/w");
    assert_string_equal(jstr(row, "[7].base64"), "AAEC/w");
    assert_string_equal(jstr(row, "[8].type"), "null");
    /* the stream was closed by the last request: no baton */
    assert_jnull(j, "baton");
    assert_jnull(j, "base_url");
    assert_string_equal(jstr(j, "results[1].response.type"), "close");
    json_decref(j);
}

static void test_execute_results(void **state)
{
    (void)state;
    ts_sql(&T, "CREATE TABLE IF NOT EXISTS r(id INTEGER PRIMARY KEY, v REAL, s TEXT)");
    json_t *j = ts_exec(&T, "{\"sql\":\"INSERT INTO r VALUES (12345, 1.0, 'a'), (12346, 1e999, 'b')\"}");
    assert_true(json_number_value(jget(j, "results[0].response.result.affected_row_count")) == 2);
    assert_string_equal(jstr(j, "results[0].response.result.last_insert_rowid"), "12346");
    json_decref(j);
    /* floats: 1.0 stays float, +Inf is written 1e999 (JSON text check) */
    tresp r;
    const char *body = "{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT v, -v FROM r ORDER BY id\"}},{\"type\":\"close\"}]}";
    ts_http(T.port, "POST", "/v2/pipeline", body, strlen(body), NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.ctype, "application/json");
    assert_non_null(strstr(r.body, "{\"type\":\"float\",\"value\":1}"));
    assert_non_null(strstr(r.body, "{\"type\":\"float\",\"value\":1e999}"));
    assert_non_null(strstr(r.body, "{\"type\":\"float\",\"value\":-1e999}"));
    assert_non_null(strstr(r.body, "\"decltype\":null"));
    ts_free(&r);
    /* decltype, want_rows:false, SELECT has no rowid and 0 affected */
    j = ts_exec(&T, "{\"sql\":\"SELECT id, s FROM r\",\"want_rows\":false}");
    json_t *res = jget(j, "results[0].response.result");
    assert_string_equal(jstr(res, "cols[0].name"), "id");
    assert_string_equal(jstr(res, "cols[0].decltype"), "INTEGER");
    assert_string_equal(jstr(res, "cols[1].decltype"), "TEXT");
    assert_int_equal(json_array_size(jget(res, "rows")), 0);
    assert_jnull(res, "last_insert_rowid");
    assert_true(json_number_value(jget(res, "affected_row_count")) == 0);
    json_decref(j);
    /* UPDATE counts rows; WITH ... INSERT too; DDL 0 */
    j = ts_exec(&T, "{\"sql\":\"UPDATE r SET s = s || 'x'\"}");
    assert_true(json_number_value(jget(j, "results[0].response.result.affected_row_count")) == 2);
    json_decref(j);
    j = ts_exec(&T, "{\"sql\":\"WITH x(a) AS (SELECT id+100 FROM r) INSERT INTO r(id) SELECT a FROM x\"}");
    assert_true(json_number_value(jget(j, "results[0].response.result.affected_row_count")) == 2);
    json_decref(j);
    j = ts_exec(&T, "{\"sql\":\"INSERT INTO r(id) VALUES (1) RETURNING id * 2 AS d\"}");
    assert_string_equal(jstr(j, "results[0].response.result.rows[0][0].value"), "2");
    assert_string_equal(jstr(j, "results[0].response.result.cols[0].name"), "d");
    json_decref(j);
    ts_sql(&T, "DROP TABLE r");
}

static const char *err_code(json_t *j, const char *path)
{
    return jstr(j, path);
}

static void test_statement_errors(void **state)
{
    (void)state;
    ts_sql(&T, "CREATE TABLE IF NOT EXISTS e(id INTEGER PRIMARY KEY, u TEXT UNIQUE NOT NULL)");
    ts_sql(&T, "INSERT INTO e VALUES (1, 'a')");
    struct {
        const char *stmt, *code;
    } cases[] = {
        {"{\"sql\":\"INSERT INTO e VALUES (2, 'a')\"}", "SQLITE_CONSTRAINT"},
        {"{\"sql\":\"INSERT INTO e VALUES (1, 'b')\"}", "SQLITE_CONSTRAINT"},
        {"{\"sql\":\"INSERT INTO e(id) VALUES (3)\"}", "SQLITE_CONSTRAINT"},
        {"{\"sql\":\"SELEC 1\"}", "SQL_INPUT_ERROR"},
        {"{\"sql\":\"SELECT nope FROM e\"}", "SQL_INPUT_ERROR"},
        {"{\"sql\":\"\"}", "SQL_NO_STATEMENT"},
        {"{\"sql\":\"  -- only a comment\\n ;\"}", "SQL_NO_STATEMENT"},
        {"{\"sql\":\"SELECT 1; SELECT 2\"}", "SQL_MANY_STATEMENTS"},
        {"{\"sql\":\"SELECT ?\"}", "ARGS_INVALID"},
        {"{\"sql\":\"SELECT 1\",\"args\":[{\"type\":\"null\"}]}", "ARGS_INVALID"},
        {"{\"sql\":\"SELECT :a\",\"named_args\":[{\"name\":\"b\",\"value\":{\"type\":\"null\"}}]}", "ARGS_INVALID"},
        {"{\"sql\":\"SELECT :a, :b\",\"named_args\":[{\"name\":\"a\",\"value\":{\"type\":\"null\"}}]}", "ARGS_INVALID"},
        {"{\"sql\":\"SELECT :a\",\"named_args\":[{\"name\":\"a\",\"value\":{\"type\":\"null\"}},{\"name\":\":a\",\"value\":{\"type\":\"null\"}}]}", "ARGS_INVALID"},
        {"{\"sql\":\"SELECT ?, :a\",\"args\":[{\"type\":\"null\"}],\"named_args\":[{\"name\":\"a\",\"value\":{\"type\":\"null\"}}]}", "ARGS_BOTH_POSITIONAL_AND_NAMED"},
        {"{\"sql_id\":99}", "SQL_NOT_FOUND"},
        {"{\"sql\":\"SELECT abs(-9223372036854775808)\"}", "SQLITE_ERROR"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *j = ts_exec(&T, cases[i].stmt);
        if (strcmp(jstr(j, "results[0].type"), "error"))
            fail_msg("%s: expected an error, got %s", cases[i].stmt, json_dumps(j, 0));
        const char *code = err_code(j, "results[0].error.code");
        if (strcmp(code, cases[i].code))
            fail_msg("%s: code %s, want %s (%s)", cases[i].stmt, code, cases[i].code,
                     jstr(j, "results[0].error.message"));
        assert_true(strlen(jstr(j, "results[0].error.message")) > 0);
        /* the stream survives statement errors: close still works */
        assert_string_equal(jstr(j, "results[1].type"), "ok");
        json_decref(j);
    }
    ts_sql(&T, "DROP TABLE e");
}

static void test_named_args(void **state)
{
    (void)state;
    const char *signs[] = {":", "@", "$"};
    for (int i = 0; i < 3; i++) {
        char stmt[512];
        snprintf(stmt, sizeof stmt,
                 "{\"sql\":\"SELECT %sb, %sa, ?1\",\"named_args\":["
                 "{\"name\":\"a\",\"value\":{\"type\":\"text\",\"value\":\"one\"}},"
                 "{\"name\":\"%sb\",\"value\":{\"type\":\"text\",\"value\":\"two\"}}]}",
                 signs[i], signs[i], signs[i]);
        json_t *j = ts_exec(&T, stmt);
        json_t *row = jget(j, "results[0].response.result.rows[0]");
        assert_non_null(row);
        assert_string_equal(jstr(row, "[0].value"), "two");
        assert_string_equal(jstr(row, "[1].value"), "one");
        assert_string_equal(jstr(row, "[2].value"), "two");
        json_decref(j);
    }
    /* ?NNN with holes, and ?NNN mixed with ? */
    json_t *j = ts_exec(&T, "{\"sql\":\"SELECT ?3, ?1\",\"args\":[{\"type\":\"text\",\"value\":\"one\"},"
                            "{\"type\":\"text\",\"value\":\"two\"},{\"type\":\"text\",\"value\":\"three\"}]}");
    assert_string_equal(jstr(j, "results[0].response.result.rows[0][0].value"), "three");
    assert_string_equal(jstr(j, "results[0].response.result.rows[0][1].value"), "one");
    json_decref(j);
    j = ts_exec(&T, "{\"sql\":\"SELECT ?2, ?, ?3\",\"args\":[{\"type\":\"text\",\"value\":\"one\"},"
                    "{\"type\":\"text\",\"value\":\"two\"},{\"type\":\"text\",\"value\":\"three\"}]}");
    assert_string_equal(jstr(j, "results[0].response.result.rows[0][0].value"), "two");
    assert_string_equal(jstr(j, "results[0].response.result.rows[0][1].value"), "three");
    assert_string_equal(jstr(j, "results[0].response.result.rows[0][2].value"), "three");
    json_decref(j);
}

/* Batch conditions: ok, error, not, and, or, is_autocommit; skipped steps
 * have null result and null error, and make both ok and error false. */
static void test_batch_conditions(void **state)
{
    (void)state;
    json_t *j = ts_exec(&T, "{\"sql\":\"SELECT 1\"}"); /* warm up */
    json_decref(j);
    long st;
    j = ts_pipeline(&T, NULL,
        "{\"type\":\"batch\",\"batch\":{\"steps\":["
        /*0*/ "{\"stmt\":{\"sql\":\"SELECT 1\"}},"
        /*1*/ "{\"stmt\":{\"sql\":\"SELECT nope\"}},"
        /*2*/ "{\"condition\":{\"type\":\"ok\",\"step\":1},\"stmt\":{\"sql\":\"SELECT 2\"}},"
        /*3*/ "{\"condition\":{\"type\":\"ok\",\"step\":2},\"stmt\":{\"sql\":\"SELECT 3\"}},"
        /*4*/ "{\"condition\":{\"type\":\"error\",\"step\":2},\"stmt\":{\"sql\":\"SELECT 4\"}},"
        /*5*/ "{\"condition\":{\"type\":\"not\",\"cond\":{\"type\":\"error\",\"step\":2}},\"stmt\":{\"sql\":\"SELECT 5\"}},"
        /*6*/ "{\"condition\":{\"type\":\"and\",\"conds\":[{\"type\":\"ok\",\"step\":0},{\"type\":\"error\",\"step\":1}]},\"stmt\":{\"sql\":\"SELECT 6\"}},"
        /*7*/ "{\"condition\":{\"type\":\"and\",\"conds\":[]},\"stmt\":{\"sql\":\"SELECT 7\"}},"
        /*8*/ "{\"condition\":{\"type\":\"or\",\"conds\":[]},\"stmt\":{\"sql\":\"SELECT 8\"}},"
        /*9*/ "{\"condition\":{\"type\":\"or\",\"conds\":[{\"type\":\"ok\",\"step\":1},{\"type\":\"ok\",\"step\":0}]},\"stmt\":{\"sql\":\"SELECT 9\"}},"
        /*10*/ "{\"condition\":{\"type\":\"is_autocommit\"},\"stmt\":{\"sql\":\"BEGIN\"}},"
        /*11*/ "{\"condition\":{\"type\":\"is_autocommit\"},\"stmt\":{\"sql\":\"SELECT 11\"}},"
        /*12*/ "{\"condition\":{\"type\":\"not\",\"cond\":{\"type\":\"is_autocommit\"}},\"stmt\":{\"sql\":\"ROLLBACK\"}}"
        "]}},{\"type\":\"close\"}",
        &st);
    assert_int_equal(st, 200);
    json_t *res = jget(j, "results[0].response.result");
    assert_non_null(res);
    assert_int_equal(json_array_size(jget(res, "step_results")), 13);
    assert_int_equal(json_array_size(jget(res, "step_errors")), 13);
    static const char expect[] = "SesssSSSsSSsS"; /* S ok, e error, s skipped */
    for (int i = 0; i < 13; i++) {
        char p1[32], p2[32];
        snprintf(p1, sizeof p1, "step_results[%d]", i);
        snprintf(p2, sizeof p2, "step_errors[%d]", i);
        json_t *r = jget(res, p1), *e = jget(res, p2);
        char want = expect[i];
        char got = json_is_object(r) && json_is_null(e)   ? 'S'
                   : json_is_null(r) && json_is_object(e) ? 'e'
                   : json_is_null(r) && json_is_null(e)   ? 's'
                                                           : '?';
        if (got != want)
            fail_msg("step %d: got %c want %c", i, got, want);
    }
    assert_string_equal(jstr(res, "step_errors[1].code"), "SQL_INPUT_ERROR");
    json_decref(j);
    /* a condition on a later step is a protocol error (whole request) */
    j = ts_pipeline(&T, NULL,
                    "{\"type\":\"batch\",\"batch\":{\"steps\":[{\"condition\":{\"type\":\"ok\",\"step\":0},"
                    "\"stmt\":{\"sql\":\"SELECT 1\"}}]}}",
                    &st);
    assert_int_equal(st, 400);
    assert_string_equal(jstr(j, "code"), "REQUEST_INVALID");
    json_decref(j);
    /* an empty batch */
    j = ts_pipeline(&T, NULL, "{\"type\":\"batch\",\"batch\":{\"steps\":[]}},{\"type\":\"close\"}", &st);
    assert_int_equal(json_array_size(jget(j, "results[0].response.result.step_results")), 0);
    assert_int_equal(json_array_size(jget(j, "results[0].response.result.step_errors")), 0);
    json_decref(j);
}

/* The transactional batch the TypeScript client sends: an error rolls it
 * back. */
static void test_batch_transaction(void **state)
{
    (void)state;
    ts_sql(&T, "CREATE TABLE IF NOT EXISTS bt(a)");
    long st;
    json_t *j = ts_pipeline(&T, NULL,
        "{\"type\":\"store_sql\",\"sql_id\":0,\"sql\":\"INSERT INTO bt VALUES (?)\"},"
        "{\"type\":\"batch\",\"batch\":{\"steps\":["
        "{\"stmt\":{\"sql\":\"BEGIN IMMEDIATE\",\"want_rows\":false}},"
        "{\"condition\":{\"type\":\"ok\",\"step\":0},\"stmt\":{\"sql_id\":0,\"args\":[{\"type\":\"integer\",\"value\":\"1\"}]}},"
        "{\"condition\":{\"type\":\"ok\",\"step\":1},\"stmt\":{\"sql\":\"SELECT foobar\"}},"
        "{\"condition\":{\"type\":\"ok\",\"step\":2},\"stmt\":{\"sql_id\":0,\"args\":[{\"type\":\"integer\",\"value\":\"2\"}]}},"
        "{\"condition\":{\"type\":\"ok\",\"step\":3},\"stmt\":{\"sql\":\"COMMIT\",\"want_rows\":false}},"
        "{\"condition\":{\"type\":\"not\",\"cond\":{\"type\":\"ok\",\"step\":4}},\"stmt\":{\"sql\":\"ROLLBACK\",\"want_rows\":false}}"
        "]}},{\"type\":\"close\"}",
        &st);
    assert_int_equal(st, 200);
    assert_string_equal(jstr(j, "results[0].response.type"), "store_sql");
    json_t *res = jget(j, "results[1].response.result");
    assert_true(json_is_object(jget(res, "step_results[1]")));
    assert_true(json_is_object(jget(res, "step_errors[2]")));
    assert_true(json_is_null(jget(res, "step_results[3]")) && json_is_null(jget(res, "step_errors[3]")));
    assert_true(json_is_object(jget(res, "step_results[5]")));
    json_decref(j);
    j = ts_exec(&T, "{\"sql\":\"SELECT count(*) FROM bt\"}");
    assert_string_equal(jstr(j, "results[0].response.result.rows[0][0].value"), "0");
    json_decref(j);
    ts_sql(&T, "DROP TABLE bt");
}

static void test_sequence_and_describe(void **state)
{
    (void)state;
    long st;
    json_t *j = ts_pipeline(&T, NULL,
        "{\"type\":\"sequence\",\"sql\":\"CREATE TABLE sq(a TEXT); INSERT INTO sq VALUES ('x');"
        " -- comment\\n INSERT INTO sq VALUES ('y');;\"},"
        "{\"type\":\"sequence\",\"sql\":\"  /* nothing */ ; \"},"
        "{\"type\":\"sequence\",\"sql\":\"INSERT INTO sq VALUES ('z'); INSERT INTO sq VALUES (foo()); INSERT INTO sq VALUES ('w')\"},"
        "{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT group_concat(a, '') FROM sq\"}},"
        "{\"type\":\"describe\",\"sql\":\"SELECT ?, ?3, :one, $two, @three, a AS x FROM sq\"},"
        "{\"type\":\"describe\",\"sql\":\"EXPLAIN SELECT 1\"},"
        "{\"type\":\"describe\",\"sql\":\"INSERT INTO sq VALUES (1)\"},"
        "{\"type\":\"describe\",\"sql\":\"SELECT * FROM missing\"},"
        "{\"type\":\"store_sql\",\"sql_id\":7,\"sql\":\"SELECT 42\"},"
        "{\"type\":\"describe\",\"sql_id\":7},"
        "{\"type\":\"sequence\",\"sql_id\":7},"
        "{\"type\":\"execute\",\"stmt\":{\"sql\":\"DROP TABLE sq\"}},"
        "{\"type\":\"close\"}",
        &st);
    assert_int_equal(st, 200);
    assert_string_equal(jstr(j, "results[0].response.type"), "sequence");
    assert_string_equal(jstr(j, "results[1].response.type"), "sequence");
    assert_string_equal(jstr(j, "results[2].type"), "error");
    /* the statements before the error ran, the one after did not */
    assert_string_equal(jstr(j, "results[3].response.result.rows[0][0].value"), "xyz");
    json_t *d = jget(j, "results[4].response.result");
    assert_int_equal(json_array_size(jget(d, "params")), 6);
    assert_jnull(d, "params[0].name");
    assert_jnull(d, "params[1].name");
    assert_string_equal(jstr(d, "params[2].name"), "?3");
    assert_string_equal(jstr(d, "params[3].name"), ":one");
    assert_string_equal(jstr(d, "params[4].name"), "$two");
    assert_string_equal(jstr(d, "params[5].name"), "@three");
    assert_string_equal(jstr(d, "cols[5].name"), "x");
    assert_string_equal(jstr(d, "cols[5].decltype"), "TEXT");
    assert_true(json_is_false(jget(d, "is_explain")));
    assert_true(json_is_true(jget(d, "is_readonly")));
    assert_true(json_is_true(jget(j, "results[5].response.result.is_explain")));
    assert_true(json_is_false(jget(j, "results[6].response.result.is_readonly")));
    assert_string_equal(jstr(j, "results[7].error.code"), "SQLITE_ERROR");
    assert_string_equal(jstr(j, "results[9].response.result.cols[0].name"), "42");
    assert_string_equal(jstr(j, "results[10].response.type"), "sequence");
    json_decref(j);
}

static void test_store_sql_limits(void **state)
{
    (void)state;
    long st;
    json_t *j = ts_pipeline(&T, NULL,
        "{\"type\":\"store_sql\",\"sql_id\":1,\"sql\":\"SELECT 1\"},"
        "{\"type\":\"store_sql\",\"sql_id\":1,\"sql\":\"SELECT 2\"},"
        "{\"type\":\"store_sql\",\"sql_id\":2,\"sql\":\"SELECT 2\"},"
        "{\"type\":\"store_sql\",\"sql_id\":3,\"sql\":\"SELECT 3\"},"
        "{\"type\":\"store_sql\",\"sql_id\":4,\"sql\":\"SELECT 4\"},"
        "{\"type\":\"close_sql\",\"sql_id\":3},"
        "{\"type\":\"close_sql\",\"sql_id\":3},"
        "{\"type\":\"store_sql\",\"sql_id\":5,\"sql\":\"SELECT '0123456789012345678901234567890123456789012345678901234567890123456789'\"},"
        "{\"type\":\"store_sql\",\"sql_id\":5,\"sql\":\"SELECT 5\"},"
        "{\"type\":\"execute\",\"stmt\":{\"sql_id\":5}},"
        "{\"type\":\"execute\",\"stmt\":{\"sql_id\":3}},"
        "{\"type\":\"close\"}",
        &st);
    assert_int_equal(st, 200);
    assert_string_equal(jstr(j, "results[0].type"), "ok");
    assert_string_equal(jstr(j, "results[1].error.code"), "SQL_STORE_EXISTS");
    assert_string_equal(jstr(j, "results[2].type"), "ok");
    assert_string_equal(jstr(j, "results[3].type"), "ok");
    assert_string_equal(jstr(j, "results[4].error.code"), "SQL_STORE_TOO_MANY");
    assert_string_equal(jstr(j, "results[5].response.type"), "close_sql");
    assert_string_equal(jstr(j, "results[6].response.type"), "close_sql"); /* unknown id: fine */
    assert_string_equal(jstr(j, "results[7].error.code"), "SQL_STORE_TOO_LARGE");
    assert_string_equal(jstr(j, "results[8].type"), "ok");
    assert_string_equal(jstr(j, "results[9].response.result.rows[0][0].value"), "5");
    assert_string_equal(jstr(j, "results[10].error.code"), "SQL_NOT_FOUND");
    json_decref(j);
}

static void test_close_and_autocommit(void **state)
{
    (void)state;
    long st;
    json_t *j = ts_pipeline(&T, NULL,
        "{\"type\":\"get_autocommit\"},"
        "{\"type\":\"execute\",\"stmt\":{\"sql\":\"BEGIN\"}},"
        "{\"type\":\"get_autocommit\"},"
        "{\"type\":\"close\"},"
        "{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT 1\"}},"
        "{\"type\":\"get_autocommit\"}",
        &st);
    assert_int_equal(st, 200);
    assert_true(json_is_true(jget(j, "results[0].response.is_autocommit")));
    assert_true(json_is_false(jget(j, "results[2].response.is_autocommit")));
    assert_string_equal(jstr(j, "results[3].response.type"), "close");
    assert_string_equal(jstr(j, "results[4].error.code"), "STREAM_CLOSED");
    assert_string_equal(jstr(j, "results[5].error.code"), "STREAM_CLOSED");
    assert_jnull(j, "baton");
    json_decref(j);
}

static void test_protocol_errors(void **state)
{
    (void)state;
    struct {
        const char *body;
        int status;
        const char *code;
    } cases[] = {
        {"{\"requests\":[", 400, "JSON_INVALID"},
        {"not json", 400, "JSON_INVALID"},
        {"", 400, "JSON_INVALID"},
        {"{\"requests\":[]} trailing", 400, "JSON_INVALID"},
        {"{\"requests\":[],\"requests\":[]}", 400, "JSON_INVALID"},
        {"{\"requests\":[{\"type\":\"text\",\"value\":\"\xff\"}]}", 400, "JSON_INVALID"},
        {"[1,2]", 400, "REQUEST_INVALID"},
        {"{}", 400, "REQUEST_INVALID"},
        {"{\"requests\":{}}", 400, "REQUEST_INVALID"},
        {"{\"requests\":[{\"type\":\"execute\"}]}", 400, "REQUEST_INVALID"},
        {"{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT 1\",\"sql_id\":1}}]}", 400, "REQUEST_INVALID"},
        {"{\"requests\":[{\"type\":\"execute\",\"stmt\":{}}]}", 400, "REQUEST_INVALID"},
        {"{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT ?\",\"args\":[{\"type\":\"integer\",\"value\":\"1e3\"}]}}]}", 400, "REQUEST_INVALID"},
        {"{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT ?\",\"args\":[{\"type\":\"blob\",\"base64\":\"!!\"}]}}]}", 400, "REQUEST_INVALID"},
        {"{\"requests\":[{\"type\":\"sequence\"}]}", 400, "REQUEST_INVALID"},
        {"{\"requests\":[{\"type\":\"store_sql\",\"sql\":\"x\"}]}", 400, "REQUEST_INVALID"},
        {"{\"requests\":[{\"type\":\"open_stream\"}]}", 400, "REQUEST_UNKNOWN"},
        {"{\"requests\":[{\"type\":\"close\"},{\"type\":\"fly\"}]}", 400, "REQUEST_UNKNOWN"},
        {"{\"requests\":[{}]}", 400, "REQUEST_INVALID"},
        {"{\"baton\":\"nope\",\"requests\":[]}", 400, "BATON_INVALID"},
        {"{\"baton\":5,\"requests\":[]}", 400, "REQUEST_INVALID"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tresp r;
        ts_http(T.port, "POST", "/v2/pipeline", cases[i].body, strlen(cases[i].body), NULL, &r);
        if (r.status != cases[i].status)
            fail_msg("%s: status %ld, want %d (%s)", cases[i].body, r.status, cases[i].status, r.body);
        assert_string_equal(r.ctype, "application/json");
        json_t *j = ts_parse(&r);
        if (strcmp(jstr(j, "code"), cases[i].code))
            fail_msg("%s: code %s, want %s", cases[i].body, jstr(j, "code"), cases[i].code);
        assert_true(strlen(jstr(j, "message")) > 0);
        json_decref(j);
        ts_free(&r);
    }
    /* the same on the cursor endpoint */
    tresp r;
    ts_http(T.port, "POST", "/v3/cursor", "{\"batch\":5}", 11, NULL, &r);
    assert_int_equal(r.status, 400);
    ts_free(&r);
    /* and nothing of it hurt the server */
    ts_sql(&T, "SELECT 1");
}

/* Reads one answer with a Content-Length body; returns the head and body
 * (NUL-terminated, to free) and the body length. */
static char *raw_answer(int fd, size_t *body_at)
{
    size_t cap = 1 << 16, n = 0;
    char *p = malloc(cap + 1);
    assert_non_null(p);
    p[0] = 0;
    char *end = NULL;
    long want = -1;
    for (;;) {
        if (!end && (end = strstr(p, "\r\n\r\n"))) {
            const char *cl = strstr(p, "Content-Length:");
            assert_non_null(cl);
            want = strtol(cl + 15, NULL, 10);
        }
        if (end && (long)(n - (size_t)(end + 4 - p)) >= want)
            break;
        assert_true(n < cap);
        ssize_t k = recv(fd, p + n, cap - n, 0);
        if (k <= 0)
            fail_msg("connection closed or timed out after %zu bytes: %s", n, p);
        n += (size_t)k;
        p[n] = 0;
    }
    *body_at = (size_t)(end + 4 - p);
    return p;
}

static void test_body_too_large(void **state)
{
    (void)state;
    /* a body over the limit (by less than 4x) is read and dropped: the 413
     * arrives, and the same connection then serves the next request */
    size_t over = 300 * 1024;
    char *big = malloc(over);
    assert_non_null(big);
    memset(big, ' ', over);
    int fd = ts_raw_connect(T.port);
    char head[256];
    int hn = snprintf(head, sizeof head,
                      "POST /v2/pipeline HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n",
                      over);
    ts_raw_send(fd, head, (size_t)hn);
    ts_raw_send(fd, big, over);
    size_t at = 0;
    char *ans = raw_answer(fd, &at);
    assert_non_null(strstr(ans, "HTTP/1.1 413"));
    assert_non_null(strstr(ans + at, "BODY_TOO_LARGE"));
    assert_non_null(strstr(ans + at, "body of 307200 bytes"));
    free(ans);
    const char *health = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    ts_raw_send(fd, health, strlen(health));
    ans = raw_answer(fd, &at);
    assert_non_null(strstr(ans, "HTTP/1.1 200"));
    free(ans);
    close(fd);
    free(big);
    /* far over the limit: refused on the header, before any of it is sent */
    fd = ts_raw_connect(T.port);
    hn = snprintf(head, sizeof head,
                  "POST /v2/pipeline HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n",
                  (size_t)5 * 256 * 1024);
    ts_raw_send(fd, head, (size_t)hn);
    ans = raw_answer(fd, &at);
    assert_non_null(strstr(ans, "HTTP/1.1 413"));
    assert_non_null(strstr(ans + at, "BODY_TOO_LARGE"));
    free(ans);
    close(fd);

    size_t n = 300 * 1024;
    char *body = malloc(n);
    memset(body, ' ', n);
    memcpy(body, "{\"requests\":[]}", 15);
    tresp r;
    ts_http(T.port, "POST", "/v2/pipeline", body, n, NULL, &r);
    assert_int_equal(r.status, 413);
    json_t *j = ts_parse(&r);
    assert_string_equal(jstr(j, "code"), "BODY_TOO_LARGE");
    json_decref(j);
    ts_free(&r);
    /* just under the limit is fine */
    ts_http(T.port, "POST", "/v2/pipeline", body, 256 * 1024, NULL, &r);
    assert_int_equal(r.status, 200);
    ts_free(&r);
    free(body);
}

static void test_response_too_large(void **state)
{
    (void)state;
    json_t *j = ts_exec(&T, "{\"sql\":\"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c LIMIT 100000) SELECT x FROM c\"}");
    assert_string_equal(jstr(j, "results[0].error.code"), "RESPONSE_TOO_LARGE");
    assert_string_equal(jstr(j, "results[1].type"), "ok");
    json_decref(j);
    /* a cursor streams its rows: the limit applies to each line (10000
     * rows: more than the limit, well within the statement time limit) */
    const char *body = "{\"batch\":{\"steps\":[{\"stmt\":{\"sql\":\"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c LIMIT 10000) SELECT x FROM c\"}},{\"stmt\":{\"sql\":\"SELECT 1\"}}]}}";
    tresp r;
    ts_http(T.port, "POST", "/v3/cursor", body, strlen(body), NULL, &r);
    assert_int_equal(r.status, 200);
    if (strstr(r.body, "step_error"))
        fail_msg("%s", strstr(r.body, "step_error"));
    assert_true(r.len > 128 * 1024);
    assert_non_null(strstr(r.body, "{\"type\":\"row\",\"row\":[{\"type\":\"integer\",\"value\":\"10000\"}]}\n"));
    assert_non_null(strstr(r.body, "\"type\":\"step_begin\",\"step\":1"));
    ts_free(&r);
    /* ... and a row larger than the limit is the step's error */
    body = "{\"batch\":{\"steps\":[{\"stmt\":{\"sql\":\"SELECT 1 UNION ALL SELECT zeroblob(200000)\"}},{\"stmt\":{\"sql\":\"SELECT 1\"}}]}}";
    ts_http(T.port, "POST", "/v3/cursor", body, strlen(body), NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "{\"type\":\"row\",\"row\":[{\"type\":\"integer\",\"value\":\"1\"}]}\n"
                                   "{\"type\":\"step_error\",\"step\":0"));
    assert_non_null(strstr(r.body, "RESPONSE_TOO_LARGE"));
    assert_non_null(strstr(r.body, "\"type\":\"step_begin\",\"step\":1"));
    ts_free(&r);
}

static void test_statement_timeout(void **state)
{
    (void)state;
    json_t *j = ts_exec(&T, "{\"sql\":\"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c\"}");
    assert_string_equal(jstr(j, "results[0].error.code"), "SQLITE_INTERRUPT");
    assert_non_null(strstr(jstr(j, "results[0].error.message"), "limit of 200 ms"));
    json_decref(j);
}

static void test_cursor(void **state)
{
    (void)state;
    const char *body =
        "{\"baton\":null,\"batch\":{\"steps\":["
        "{\"stmt\":{\"sql\":\"VALUES (1, 'one'), (2, 'two')\"}},"
        "{\"stmt\":{\"sql\":\"SELECT nope\"}},"
        "{\"condition\":{\"type\":\"ok\",\"step\":1},\"stmt\":{\"sql\":\"SELECT 3\"}},"
        "{\"condition\":{\"type\":\"error\",\"step\":1},\"stmt\":{\"sql\":\"SELECT 4\"}}]}}";
    tresp r;
    ts_http(T.port, "POST", "/v3/cursor", body, strlen(body), NULL, &r);
    assert_int_equal(r.status, 200);
    /* decode it line by line with the codec (client direction) */
    hrana_limits lim;
    hrana_limits_default(&lim);
    char *line = r.body, *nl;
    int n = 0;
    const char *want[] = {"head", "b0", "row", "row", "end", "err1", "b3", "row", "end"};
    while ((nl = strchr(line, '\n'))) {
        hrana_status st;
        assert_true(n < 9);
        if (n == 0) {
            hrana_cursor_head h;
            assert_int_equal(hrana_decode_cursor_head(line, (size_t)(nl - line), &lim, &h, &st), 0);
            assert_non_null(h.baton.p);
            assert_null(h.base_url.p);
            hrana_cursor_head_free(&h);
        } else {
            hrana_cursor_entry e;
            if (hrana_decode_cursor_entry(line, (size_t)(nl - line), &lim, &e, &st))
                fail_msg("line %d: %s", n, st.message);
            switch (want[n][0]) {
            case 'b':
                assert_int_equal(e.type, HRANA_ENTRY_STEP_BEGIN);
                assert_int_equal(e.step, (uint32_t)(want[n][1] - '0'));
                break;
            case 'r':
                assert_int_equal(e.type, HRANA_ENTRY_ROW);
                break;
            case 'e':
                assert_int_equal(e.type, want[n][1] == 'n' ? HRANA_ENTRY_STEP_END : HRANA_ENTRY_STEP_ERROR);
                if (e.type == HRANA_ENTRY_STEP_ERROR) {
                    assert_int_equal(e.step, 1);
                    assert_string_equal(e.error.code.p, "SQL_INPUT_ERROR");
                }
                break;
            }
            if (n == 2) {
                assert_int_equal(e.nrow, 2);
                assert_true(e.row[0].u.i == 1);
            }
            hrana_cursor_entry_free(&e);
        }
        n++;
        line = nl + 1;
    }
    assert_int_equal(n, 9);
    assert_string_equal(line, "");
    ts_free(&r);
}

static void test_safety(void **state)
{
    (void)state;
    json_t *j = ts_exec(&T, "{\"sql\":\"ATTACH 'other.db' AS o\"}");
    assert_string_equal(jstr(j, "results[0].type"), "error");
    assert_string_equal(jstr(j, "results[0].error.code"), "SQLITE_AUTH");
    json_decref(j);
    j = ts_exec(&T, "{\"sql\":\"VACUUM INTO '/tmp/lsqld-should-not-exist.db'\"}");
    assert_string_equal(jstr(j, "results[0].type"), "error");
    json_decref(j);
    assert_int_equal(access("/tmp/lsqld-should-not-exist.db", F_OK), -1);
    j = ts_exec(&T, "{\"sql\":\"SELECT load_extension('/nonexistent/ext')\"}");
    assert_string_equal(jstr(j, "results[0].type"), "error");
    assert_non_null(strstr(jstr(j, "results[0].error.message"), "not authorized"));
    json_decref(j);
}

/* A statement prepared (and cached) before another connection changed the
 * schema is compiled again by SQLite inside its first step: the columns sent
 * must be those of the rows, read after that step. */
static void test_cols_after_schema_change(void **state)
{
    (void)state;
    ts_sql(&T, "CREATE TABLE sc(a)");
    ts_sql(&T, "INSERT INTO sc VALUES (1)");
    long st;
    const char *sel = "{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT * FROM sc\"}}";
    json_t *j = ts_pipeline(&T, NULL, sel, &st);
    assert_int_equal(st, 200);
    assert_int_equal(json_array_size(jget(j, "results[0].response.result.cols")), 1);
    char baton[128];
    ts_baton(j, baton, sizeof baton);
    json_decref(j);
    /* another stream (so another connection: the first one keeps its own) */
    ts_sql(&T, "ALTER TABLE sc ADD COLUMN b DEFAULT 7");
    j = ts_pipeline(&T, baton, sel, &st);
    assert_int_equal(st, 200);
    json_t *cols = jget(j, "results[0].response.result.cols");
    json_t *row = jget(j, "results[0].response.result.rows[0]");
    if (json_array_size(cols) != 2 || json_array_size(row) != 2)
        fail_msg("cols and rows after ADD COLUMN: %s", json_dumps(j, JSON_COMPACT));
    assert_string_equal(jstr(j, "results[0].response.result.cols[1].name"), "b");
    assert_string_equal(jstr(j, "results[0].response.result.rows[0][1].value"), "7");
    ts_baton(j, baton, sizeof baton);
    json_decref(j);
    /* the cursor: step_begin is written after the first step too */
    ts_sql(&T, "ALTER TABLE sc ADD COLUMN c DEFAULT 'x'");
    char body[512];
    snprintf(body, sizeof body,
             "{\"baton\":\"%s\",\"batch\":{\"steps\":[{\"stmt\":{\"sql\":\"SELECT * FROM sc\"}}]}}",
             baton);
    tresp r;
    ts_http(T.port, "POST", "/v3/cursor", body, strlen(body), NULL, &r);
    assert_int_equal(r.status, 200);
    if (!strstr(r.body, "\"cols\":[{\"name\":\"a\",\"decltype\":null},{\"name\":\"b\",\"decltype\":null},"
                        "{\"name\":\"c\",\"decltype\":null}]") ||
        !strstr(r.body, "{\"type\":\"text\",\"value\":\"x\"}]"))
        fail_msg("cursor after ADD COLUMN: %s", r.body);
    /* the stream is still usable: close it */
    const char *nl = strchr(r.body, '\n');
    assert_non_null(nl);
    json_error_t je;
    json_t *head = json_loadb(r.body, (size_t)(nl - r.body), 0, &je);
    assert_non_null(head);
    ts_baton(head, baton, sizeof baton);
    json_decref(head);
    ts_free(&r);
    j = ts_pipeline(&T, baton, "{\"type\":\"close\"}", &st);
    assert_int_equal(st, 200);
    json_decref(j);
    ts_sql(&T, "DROP TABLE sc");
}

/* ATTACH is refused (it could open any file) but VACUUM, which attaches a
 * temporary database internally, works. */
static void test_vacuum_and_attach(void **state)
{
    (void)state;
    ts_sql(&T, "CREATE TABLE IF NOT EXISTS va(x)");
    ts_sql(&T, "INSERT INTO va VALUES (1), (2)");
    ts_sql(&T, "DELETE FROM va WHERE x = 1");
    long st;
    json_t *j = ts_pipeline(&T, NULL,
                            "{\"type\":\"execute\",\"stmt\":{\"sql\":\"VACUUM\"}},"
                            "{\"type\":\"execute\",\"stmt\":{\"sql\":\"vacuum main;\"}},"
                            "{\"type\":\"sequence\",\"sql\":\"SELECT 1; VACUUM; SELECT 2\"},"
                            "{\"type\":\"batch\",\"batch\":{\"steps\":[{\"stmt\":{\"sql\":\"VACUUM\"}}]}},"
                            /* after a VACUUM, the same connection still refuses ATTACH */
                            "{\"type\":\"execute\",\"stmt\":{\"sql\":\"ATTACH '' AS e\"}},"
                            "{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT count(*) FROM va\"}},"
                            "{\"type\":\"close\"}",
                            &st);
    assert_int_equal(st, 200);
    for (int i = 0; i < 4; i++) {
        char path[64];
        snprintf(path, sizeof path, "results[%d].type", i);
        if (strcmp(jstr(j, path), "ok"))
            fail_msg("VACUUM (request %d): %s", i, json_dumps(j, JSON_COMPACT));
    }
    assert_jnull(j, "results[3].response.result.step_errors[0]");
    assert_string_equal(jstr(j, "results[4].error.code"), "SQLITE_AUTH");
    assert_string_equal(jstr(j, "results[5].response.result.rows[0][0].value"), "1");
    json_decref(j);
    /* a cursor step too */
    const char *body = "{\"batch\":{\"steps\":[{\"stmt\":{\"sql\":\"VACUUM\"}}]}}";
    tresp r;
    ts_http(T.port, "POST", "/v3/cursor", body, strlen(body), NULL, &r);
    assert_int_equal(r.status, 200);
    if (!strstr(r.body, "\"type\":\"step_end\"") || strstr(r.body, "step_error"))
        fail_msg("VACUUM in a cursor: %s", r.body);
    ts_free(&r);
    /* every form of ATTACH, and VACUUM INTO (which attaches its target) */
    static const char *denied[] = {
        "ATTACH 'lsqld-attached.db' AS o",
        "ATTACH '' AS e",
        "ATTACH ':memory:' AS m",
        "ATTACH 'lsqld-' || 'attached.db' AS o",
        "VACUUM INTO '/tmp/lsqld-should-not-exist.db'",
        "VACUUM main INTO '/tmp/lsqld-should-not-exist.db'",
        "VACUUM INTO ''",
    };
    for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
        json_t *s = json_pack("{s:s}", "sql", denied[i]);
        char *stmt = json_dumps(s, JSON_COMPACT);
        j = ts_exec(&T, stmt);
        if (strcmp(jstr(j, "results[0].type"), "error") ||
            strcmp(jstr(j, "results[0].error.code"), "SQLITE_AUTH") ||
            !strstr(jstr(j, "results[0].error.message"), "ATTACH"))
            fail_msg("%s: %s", denied[i], json_dumps(j, JSON_COMPACT));
        json_decref(j);
        free(stmt);
        json_decref(s);
    }
    /* bound file names too */
    j = ts_exec(&T, "{\"sql\":\"VACUUM INTO ?\",\"args\":[{\"type\":\"text\",\"value\":\"/tmp/lsqld-should-not-exist.db\"}]}");
    assert_string_equal(jstr(j, "results[0].error.code"), "SQLITE_AUTH");
    json_decref(j);
    assert_int_equal(access("/tmp/lsqld-should-not-exist.db", F_OK), -1);
    assert_int_equal(access("lsqld-attached.db", F_OK), -1);
    ts_sql(&T, "DROP TABLE va");
}

/* SQL_INPUT_ERROR messages end with " (at offset N)" as sqld's do; N counts
 * from the start of the text the client sent. */
static void test_input_error_offset(void **state)
{
    (void)state;
    json_t *j = ts_exec(&T, "{\"sql\":\"SELEC 1\"}");
    assert_string_equal(jstr(j, "results[0].error.code"), "SQL_INPUT_ERROR");
    assert_string_equal(jstr(j, "results[0].error.message"),
                        "near \"SELEC\": syntax error (at offset 0)");
    json_decref(j);
    j = ts_exec(&T, "{\"sql\":\"SELECT 1, nope\"}");
    assert_string_equal(jstr(j, "results[0].error.code"), "SQL_INPUT_ERROR");
    assert_string_equal(jstr(j, "results[0].error.message"), "no such column: nope (at offset 10)");
    json_decref(j);
    /* in a sequence: from the start of the whole text */
    long st;
    j = ts_pipeline(&T, NULL,
                    "{\"type\":\"sequence\",\"sql\":\"SELECT 1;\\n  SELECT nope\"},"
                    "{\"type\":\"describe\",\"sql\":\"SELECT 1 FRM x\"},"
                    "{\"type\":\"close\"}",
                    &st);
    assert_int_equal(st, 200);
    assert_string_equal(jstr(j, "results[0].error.code"), "SQL_INPUT_ERROR");
    assert_string_equal(jstr(j, "results[0].error.message"), "no such column: nope (at offset 19)");
    assert_string_equal(jstr(j, "results[1].error.code"), "SQL_INPUT_ERROR");
    assert_string_equal(jstr(j, "results[1].error.message"), "near \"x\": syntax error (at offset 13)");
    json_decref(j);
    /* errors without a position keep SQLite's message */
    j = ts_exec(&T, "{\"sql\":\"SELECT 1 FROM nope_table\"}");
    assert_string_equal(jstr(j, "results[0].error.message"), "no such table: nope_table");
    json_decref(j);
    j = ts_exec(&T, "{\"sql\":\"SELECT abs(-9223372036854775808)\"}");
    assert_string_equal(jstr(j, "results[0].error.message"), "integer overflow");
    json_decref(j);
    /* a cursor step */
    const char *body = "{\"batch\":{\"steps\":[{\"stmt\":{\"sql\":\"SELECT 1, nope\"}}]}}";
    tresp r;
    ts_http(T.port, "POST", "/v3/cursor", body, strlen(body), NULL, &r);
    assert_int_equal(r.status, 200);
    if (!strstr(r.body, "\"code\":\"SQL_INPUT_ERROR\"") || !strstr(r.body, "(at offset 10)"))
        fail_msg("cursor: %s", r.body);
    ts_free(&r);
}

static void test_begin_readonly(void **state)
{
    (void)state;
    ts_sql(&T, "CREATE TABLE IF NOT EXISTS ro(a)");
    static const char *begins[] = {"BEGIN READONLY", "begin readonly transaction;",
                                   "BEGIN TRANSACTION READONLY"};
    for (int i = 0; i < 3; i++) {
        char req[1024];
        snprintf(req, sizeof req,
                 "{\"type\":\"execute\",\"stmt\":{\"sql\":\"%s\"}},"
                 "{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT count(*) FROM ro\"}},"
                 "{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO ro VALUES (1)\"}},"
                 "{\"type\":\"get_autocommit\"},"
                 "{\"type\":\"execute\",\"stmt\":{\"sql\":\"COMMIT\"}},"
                 "{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO ro VALUES (2)\"}},"
                 "{\"type\":\"sequence\",\"sql\":\"BEGIN READONLY; SELECT 1; ROLLBACK; INSERT INTO ro VALUES (3)\"},"
                 "{\"type\":\"describe\",\"sql\":\"BEGIN READONLY\"},"
                 /* the same statements again on this connection (from lsql's cache) */
                 "{\"type\":\"execute\",\"stmt\":{\"sql\":\"%s\"}},"
                 "{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO ro VALUES (4)\"}},"
                 "{\"type\":\"execute\",\"stmt\":{\"sql\":\"ROLLBACK\"}},"
                 "{\"type\":\"close\"}",
                 begins[i], begins[i]);
        long st;
        json_t *j = ts_pipeline(&T, NULL, req, &st);
        assert_int_equal(st, 200);
        if (strcmp(jstr(j, "results[0].type"), "ok"))
            fail_msg("%s: %s", begins[i], json_dumps(j, 0));
        assert_string_equal(jstr(j, "results[1].type"), "ok");
        assert_string_equal(jstr(j, "results[2].error.code"), "SQLITE_READONLY");
        assert_true(json_is_false(jget(j, "results[3].response.is_autocommit")));
        assert_string_equal(jstr(j, "results[4].type"), "ok");
        /* after the transaction, writes work again */
        assert_string_equal(jstr(j, "results[5].type"), "ok");
        assert_string_equal(jstr(j, "results[6].type"), "ok");
        assert_string_equal(jstr(j, "results[7].type"), "ok");
        assert_string_equal(jstr(j, "results[8].type"), "ok");
        assert_string_equal(jstr(j, "results[9].error.code"), "SQLITE_READONLY");
        assert_string_equal(jstr(j, "results[10].type"), "ok");
        json_decref(j);
    }
    json_t *j = ts_exec(&T, "{\"sql\":\"SELECT count(*) FROM ro\"}");
    assert_string_equal(jstr(j, "results[0].response.result.rows[0][0].value"), "6");
    json_decref(j);
    ts_sql(&T, "DROP TABLE ro");
    /* anything after BEGIN READONLY [TRANSACTION [name]] is SQLite's error */
    j = ts_exec(&T, "{\"sql\":\"BEGIN READONLY foo bar\"}");
    assert_string_equal(jstr(j, "results[0].type"), "error");
    json_decref(j);
}

static void test_v3_paths(void **state)
{
    (void)state;
    long st;
    json_t *j = ts_pipeline_v(T.port, "/v3/pipeline", NULL, NULL,
                              "{\"type\":\"batch\",\"batch\":{\"steps\":[{\"stmt\":{\"sql\":\"SELECT 1\"}}],"
                              "\"replication_index\":null}},{\"type\":\"get_autocommit\"},{\"type\":\"close\"}",
                              &st);
    assert_int_equal(st, 200);
    assert_true(json_is_true(jget(j, "results[1].response.is_autocommit")));
    json_decref(j);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_endpoints),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_execute_values),
        cmocka_unit_test(test_execute_results),
        cmocka_unit_test(test_statement_errors),
        cmocka_unit_test(test_named_args),
        cmocka_unit_test(test_batch_conditions),
        cmocka_unit_test(test_batch_transaction),
        cmocka_unit_test(test_sequence_and_describe),
        cmocka_unit_test(test_store_sql_limits),
        cmocka_unit_test(test_close_and_autocommit),
        cmocka_unit_test(test_protocol_errors),
        cmocka_unit_test(test_body_too_large),
        cmocka_unit_test(test_response_too_large),
        cmocka_unit_test(test_statement_timeout),
        cmocka_unit_test(test_cursor),
        cmocka_unit_test(test_safety),
        cmocka_unit_test(test_cols_after_schema_change),
        cmocka_unit_test(test_vacuum_and_attach),
        cmocka_unit_test(test_input_error_offset),
        cmocka_unit_test(test_begin_readonly),
        cmocka_unit_test(test_v3_paths),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
