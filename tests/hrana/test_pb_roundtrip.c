/* test_pb_roundtrip.c -- every message of the protobuf encoding: structures
 * encoded by the protobuf encoders decode to equal structures, values at
 * their extremes survive, and realistic JSON bodies (those of the JSON
 * codec's tests and corpus) decode, encode as protobuf and decode again to
 * the structures the JSON decoder produced. */
#include "test_pb_util.h"

#include <dirent.h>
#include <float.h>
#include <libgen.h>

static const unsigned char blob5[] = {0, 1, 2, 0xff, 0xfe};

static void test_requests(void **state)
{
    (void)state;
    lsql_value args[] = {lsql_int(INT64_MIN), lsql_int(INT64_MAX), lsql_float(5e-324),
                         lsql_float(-0.0), lsql_float(1e21), lsql_float(3.0),
                         lsql_text("a\0\xf0\x9f\x98\x80\"\\\n", 9), lsql_blob(blob5, 5),
                         lsql_blob(NULL, 0), lsql_null()};
    hrana_named_arg named[] = {{S(":a"), lsql_text("x", 1)}, {S("b"), lsql_int(-1)},
                               {S(""), lsql_null()}};
    hrana_cond ok0 = {.type = HRANA_COND_OK, .step = 0};
    hrana_cond err1 = {.type = HRANA_COND_ERROR, .step = 1};
    hrana_cond ac = {.type = HRANA_COND_IS_AUTOCOMMIT};
    hrana_cond empty_or = {.type = HRANA_COND_OR, .conds = NULL, .nconds = 0};
    hrana_cond list[] = {ok0, err1, ac, empty_or};
    hrana_cond andc = {.type = HRANA_COND_AND, .conds = list, .nconds = 4};
    hrana_cond notc = {.type = HRANA_COND_NOT, .conds = &andc, .nconds = 1};
    hrana_cond orc = {.type = HRANA_COND_OR, .conds = list, .nconds = 2};
    hrana_step steps[] = {
        {NULL, {.sql = S("BEGIN"), .want_rows = 0}},
        {&ok0, {.has_sql_id = 1, .sql_id = 7, .named_args = named, .nnamed = 3, .want_rows = 1}},
        {&notc, {.sql = S("COMMIT"), .want_rows = 1}},
        {&orc, {.sql = S(""), .want_rows = 0}},
        {&ac, {.has_sql_id = 1, .sql_id = INT32_MIN, .args = args, .nargs = 10}},
    };
    hrana_request reqs[] = {
        {.type = HRANA_REQ_STORE_SQL, .sql = S("SELECT :a, $b"), .has_sql_id = 1, .sql_id = 7},
        {.type = HRANA_REQ_STORE_SQL, .sql = S(""), .has_sql_id = 1, .sql_id = 0},
        {.type = HRANA_REQ_EXECUTE,
         .stmt = {.sql = S("SELECT ?"), .args = args, .nargs = 10, .want_rows = 1}},
        {.type = HRANA_REQ_EXECUTE, .stmt = {.has_sql_id = 1, .sql_id = 0, .want_rows = 0}},
        {.type = HRANA_REQ_BATCH, .batch = {steps, 5}},
        {.type = HRANA_REQ_BATCH, .batch = {NULL, 0}},
        {.type = HRANA_REQ_SEQUENCE, .sql = S("A; B")},
        {.type = HRANA_REQ_SEQUENCE, .has_sql_id = 1, .sql_id = 0},
        {.type = HRANA_REQ_DESCRIBE, .has_sql_id = 1, .sql_id = -3},
        {.type = HRANA_REQ_DESCRIBE, .sql = S("SELECT 1")},
        {.type = HRANA_REQ_CLOSE_SQL, .has_sql_id = 1, .sql_id = INT32_MAX},
        {.type = HRANA_REQ_GET_AUTOCOMMIT},
        {.type = HRANA_REQ_CLOSE},
    };
    hrana_pipeline_req in = {.baton = S("b4t0n"), .requests = reqs, .nrequests = 13};
    pbt_req_roundtrip(&in);
    in.baton = NOSTR;
    pbt_req_roundtrip(&in);
    in.baton = S(""); /* an empty baton is present, not absent */
    pbt_req_roundtrip(&in);
    in.nrequests = 0;
    pbt_req_roundtrip(&in);
    /* cursor requests */
    hrana_cursor_req c1 = {.baton = NOSTR, .batch = {steps, 5}};
    pbt_cursor_req_roundtrip(&c1);
    hrana_cursor_req c2 = {.baton = S("x"), .batch = {NULL, 0}};
    pbt_cursor_req_roundtrip(&c2);
}

static void test_responses(void **state)
{
    (void)state;
    hrana_col cols[] = {{S("id"), S("INTEGER")}, {S(""), NOSTR}, {NOSTR, S("")}};
    lsql_value rows[] = {lsql_int(1), lsql_float(0.5), lsql_null(),
                         lsql_int(-9), lsql_text("\x01", 1), lsql_blob(blob5, 5)};
    hrana_stmt_result r1 = {.cols = cols, .ncols = 3, .rows = rows, .nrows = 2,
                            .affected_row_count = UINT64_MAX, .has_last_insert_rowid = 1,
                            .last_insert_rowid = INT64_MIN, .rows_read = 10,
                            .rows_written = 1, .query_duration_ms = 1.25};
    hrana_stmt_result r2 = {0};
    hrana_stmt_result r3 = {.cols = cols, .ncols = 1, .has_last_insert_rowid = 1,
                            .last_insert_rowid = 0};
    hrana_stmt_result *sr[] = {&r1, NULL, &r2, &r3, NULL, NULL};
    hrana_error e1 = {S("boom \"quoted\""), S("SQLITE_CONSTRAINT")};
    hrana_error e2 = {S(""), NOSTR};
    hrana_error *se[] = {NULL, &e1, NULL, NULL, &e2, NULL};
    hrana_str params[] = {NOSTR, S("?2"), S(":x"), S("")};
    hrana_stream_result res[] = {
        {.response = {.type = HRANA_REQ_EXECUTE, .stmt = r1}},
        {.response = {.type = HRANA_REQ_EXECUTE, .stmt = r2}},
        /* trailing empty steps are not carried: 5 steps come back */
        {.response = {.type = HRANA_REQ_BATCH, .batch = {6, sr, se}}},
        {.response = {.type = HRANA_REQ_BATCH, .batch = {0, NULL, NULL}}},
        {.response = {.type = HRANA_REQ_DESCRIBE, .describe = {params, 4, cols, 3, 1, 0}}},
        {.response = {.type = HRANA_REQ_DESCRIBE, .describe = {NULL, 0, NULL, 0, 0, 1}}},
        {.response = {.type = HRANA_REQ_GET_AUTOCOMMIT, .is_autocommit = 1}},
        {.response = {.type = HRANA_REQ_GET_AUTOCOMMIT, .is_autocommit = 0}},
        {.response = {.type = HRANA_REQ_SEQUENCE}},
        {.response = {.type = HRANA_REQ_STORE_SQL}},
        {.response = {.type = HRANA_REQ_CLOSE_SQL}},
        {.is_error = 1, .error = {S("no"), NOSTR}},
        {.is_error = 1, .error = e1},
        {.response = {.type = HRANA_REQ_CLOSE}},
    };
    hrana_pipeline_resp in = {.baton = NOSTR, .base_url = S("http://h/"), .results = res,
                              .nresults = 14};
    pbt_resp_roundtrip(&in);
    in.baton = S("b");
    in.base_url = NOSTR;
    pbt_resp_roundtrip(&in);
    /* the step count of a batch result is one past the largest step seen */
    hrana_buf b;
    hrana_buf_init(&b, 1 << 20);
    hrana_pb_encode_pipeline_resp(&b, &in);
    hrana_pipeline_resp out;
    hrana_status st;
    hrana_limits l = ht_limits();
    assert_status(HRANA_OK, hrana_pb_decode_pipeline_resp(b.p, b.len, &l, &out, &st), st);
    assert_int_equal(out.results[2].response.batch.nsteps, 5);
    assert_null(out.results[2].response.batch.step_results[4]);
    assert_non_null(out.results[2].response.batch.step_errors[4]);
    assert_int_equal(out.results[3].response.batch.nsteps, 0);
    hrana_pipeline_resp_free(&out);
    hrana_buf_free(&b);
}

static void test_cursor_items(void **state)
{
    (void)state;
    hrana_col cols[] = {{S("a"), NOSTR}, {NOSTR, S("TEXT")}};
    lsql_value row[] = {lsql_text("t", 1), lsql_int(INT64_MAX)};
    hrana_cursor_entry in[] = {
        {.type = HRANA_ENTRY_STEP_BEGIN, .step = 3, .cols = cols, .ncols = 2},
        {.type = HRANA_ENTRY_STEP_BEGIN, .step = UINT32_MAX},
        {.type = HRANA_ENTRY_ROW, .row = row, .nrow = 2},
        {.type = HRANA_ENTRY_ROW, .row = NULL, .nrow = 0},
        {.type = HRANA_ENTRY_STEP_END, .affected_row_count = 2, .has_last_insert_rowid = 1,
         .last_insert_rowid = -99},
        {.type = HRANA_ENTRY_STEP_END},
        {.type = HRANA_ENTRY_STEP_ERROR, .step = 4, .error = {S("bad"), S("SQLITE_ERROR")}},
        {.type = HRANA_ENTRY_ERROR, .error = {S("all bad"), NOSTR}},
    };
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        pbt_entry_roundtrip(&in[i]);
    /* a whole cursor body: the head, then the entries, framed one by one */
    hrana_buf b;
    hrana_buf_init(&b, 1 << 20);
    hrana_cursor_head h = {.baton = S("bt"), .base_url = NOSTR};
    hrana_pb_encode_cursor_head(&b, &h);
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        hrana_pb_encode_cursor_entry(&b, &in[i]);
    assert_true(hrana_buf_ok(&b));
    hrana_limits l = ht_limits();
    hrana_status st;
    size_t off = 0, hdr, len, k = 0;
    while (off < b.len) {
        assert_int_equal(hrana_pb_frame(b.p + off, b.len - off, 1 << 20, &hdr, &len, &st), 1);
        const char *item = b.p + off + hdr;
        if (off == 0) {
            hrana_cursor_head ho;
            assert_status(HRANA_OK, hrana_pb_decode_cursor_head(item, len, &l, &ho, &st), st);
            pbt_str_eq(h.baton, ho.baton);
            pbt_str_eq(h.base_url, ho.base_url);
            hrana_cursor_head_free(&ho);
        } else {
            hrana_cursor_entry e;
            assert_status(HRANA_OK, hrana_pb_decode_cursor_entry(item, len, &l, &e, &st), st);
            pbt_entry_eq(&in[k++], &e);
            hrana_cursor_entry_free(&e);
        }
        off += hdr + len;
    }
    assert_int_equal(k, sizeof in / sizeof in[0]);
    hrana_buf_free(&b);
}

static void test_value_extremes(void **state)
{
    (void)state;
    size_t nbig = 1u << 20;
    unsigned char *big = malloc(nbig);
    for (size_t i = 0; i < nbig; i++)
        big[i] = (unsigned char)(i * 31);
    char text200[200];
    memset(text200, 'x', sizeof text200);
    lsql_value vals[] = {
        lsql_int(0), lsql_int(-1), lsql_int(1), lsql_int(INT64_MIN), lsql_int(INT64_MAX),
        lsql_int(INT64_MIN + 1), lsql_float(0.0), lsql_float(-0.0), lsql_float(INFINITY),
        lsql_float(-INFINITY), lsql_float(DBL_MAX), lsql_float(-DBL_MIN), lsql_float(5e-324),
        lsql_text("", 0), lsql_text("\0", 1), lsql_text("a\0b\0", 4),
        lsql_text("\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80", 11), lsql_text(text200, 200), lsql_blob(NULL, 0),
        lsql_blob(big, nbig), lsql_null(),
    };
    size_t n = sizeof vals / sizeof vals[0];
    hrana_request q = {.type = HRANA_REQ_EXECUTE,
                       .stmt = {.sql = S("SELECT"), .args = vals, .nargs = n, .want_rows = 1}};
    hrana_pipeline_req in = {.requests = &q, .nrequests = 1};
    pbt_req_roundtrip(&in);
    /* decoded text and blobs are arena copies, NUL-terminated */
    hrana_buf b;
    hrana_buf_init(&b, 8u << 20);
    hrana_pb_encode_pipeline_req(&b, &in);
    hrana_pipeline_req out;
    hrana_status st;
    hrana_limits l = ht_limits();
    assert_status(HRANA_OK, hrana_pb_decode_pipeline_req(b.p, b.len, &l, &out, &st), st);
    const lsql_value *a = out.requests[0].stmt.args;
    assert_true(a[15].u.bytes.p != vals[15].u.bytes.p);
    assert_int_equal(((const char *)a[15].u.bytes.p)[4], 0);
    assert_non_null(a[18].u.bytes.p); /* an empty blob still points somewhere */
    assert_true((const char *)a[19].u.bytes.p < b.p || (const char *)a[19].u.bytes.p >= b.p + b.len);
    hrana_pipeline_req_free(&out);
    /* protobuf strings are UTF-8: invalid bytes are written as U+FFFD, as
     * the JSON writer does (sqld's decoder refuses a request otherwise) */
    lsql_value bad[2] = {lsql_text("\xff\xfe not utf-8", 13), lsql_text("a\xc0\xaf" "b", 4)};
    q.stmt.args = bad;
    q.stmt.nargs = 2;
    hrana_buf_truncate(&b, 0);
    hrana_pb_encode_pipeline_req(&b, &in);
    assert_status(HRANA_OK, hrana_pb_decode_pipeline_req(b.p, b.len, &l, &out, &st), st);
    a = out.requests[0].stmt.args;
    assert_int_equal(a[0].u.bytes.n, 17);
    assert_memory_equal(a[0].u.bytes.p, "\xef\xbf\xbd\xef\xbf\xbd not utf-8", 17);
    assert_int_equal(a[1].u.bytes.n, 8); /* an overlong: two bad bytes */
    assert_memory_equal(a[1].u.bytes.p, "a\xef\xbf\xbd\xef\xbf\xbd" "b", 8);
    hrana_pipeline_req_free(&out);
    q.stmt.args = vals;
    q.stmt.nargs = n;
    /* NaN has no protobuf form either: it becomes NULL */
    lsql_value nan = lsql_float(NAN);
    q.stmt.args = &nan;
    q.stmt.nargs = 1;
    hrana_buf_truncate(&b, 0);
    hrana_pb_encode_pipeline_req(&b, &in);
    assert_status(HRANA_OK, hrana_pb_decode_pipeline_req(b.p, b.len, &l, &out, &st), st);
    assert_int_equal(out.requests[0].stmt.args[0].type, LSQL_TYPE_NULL);
    hrana_pipeline_req_free(&out);
    /* the same values as rows of a result */
    hrana_col col = {S("v"), NOSTR};
    hrana_stmt_result r = {.cols = &col, .ncols = 1, .rows = vals, .nrows = n};
    hrana_stream_result sr = {.response = {.type = HRANA_REQ_EXECUTE, .stmt = r}};
    hrana_pipeline_resp resp = {.results = &sr, .nresults = 1};
    pbt_resp_roundtrip(&resp);
    hrana_buf_free(&b);
    free(big);
}

/* ---- JSON bodies through the protobuf encoding -------------------------- */

static int jstarts(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

static int json_kind_req(const char *json, size_t n)
{
    hrana_limits l = ht_limits();
    hrana_status st;
    hrana_pipeline_req r;
    if (hrana_decode_pipeline_req(json, n, &l, &r, &st) != HRANA_OK)
        return 0;
    pbt_req_roundtrip(&r);
    hrana_pipeline_req_free(&r);
    return 1;
}

static int json_kind_cursor(const char *json, size_t n)
{
    hrana_limits l = ht_limits();
    hrana_status st;
    hrana_cursor_req r;
    if (hrana_decode_cursor_req(json, n, &l, &r, &st) != HRANA_OK)
        return 0;
    pbt_cursor_req_roundtrip(&r);
    hrana_cursor_req_free(&r);
    return 1;
}

static int json_kind_resp(const char *json, size_t n)
{
    hrana_limits l = ht_limits();
    hrana_status st;
    hrana_pipeline_resp r;
    if (hrana_decode_pipeline_resp(json, n, &l, &r, &st) != HRANA_OK)
        return 0;
    pbt_resp_roundtrip(&r);
    hrana_pipeline_resp_free(&r);
    return 1;
}

static int json_kind_entry(const char *json, size_t n)
{
    hrana_limits l = ht_limits();
    hrana_status st;
    hrana_cursor_entry e;
    if (hrana_decode_cursor_entry(json, n, &l, &e, &st) != HRANA_OK)
        return 0;
    pbt_entry_roundtrip(&e);
    hrana_cursor_entry_free(&e);
    return 1;
}

static const char *const k_req_bodies[] = {
    /* test_decode.c: every request type */
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
    "{\"type\":\"close\"}]}",
    "{\"requests\":[]}",
    "{\"baton\":null,\"requests\":[],\"x\":1}",
    /* values of every type, as the JS client writes them */
    "{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT ?,?,?,?,?\",\"args\":["
    "{\"type\":\"null\"},{\"type\":\"integer\",\"value\":\"-9223372036854775808\"},"
    "{\"type\":\"float\",\"value\":-0.0},{\"type\":\"float\",\"value\":1e308},"
    "{\"type\":\"text\",\"value\":\"h\\u0000\\u00e9\\ud83d\\ude00\"},{\"type\":\"blob\",\"base64\":\"AAEC/w==\"}],"
    "\"named_args\":[],\"want_rows\":true}}]}",
};

static const char *const k_resp_bodies[] = {
    /* test_roundtrip.c: as sqld writes it */
    "{\"baton\":\"xyz\",\"base_url\":null,\"results\":[{\"type\":\"ok\",\"response\":{\"type\":"
    "\"execute\",\"result\":{\"cols\":[{\"name\":\"1\",\"decltype\":null}],\"rows\":[[{\"type\":"
    "\"integer\",\"value\":\"1\"}]],\"affected_row_count\":0,\"last_insert_rowid\":null,"
    "\"replication_index\":\"3\",\"rows_read\":1,\"rows_written\":0,\"query_duration_ms\":0.052}}},"
    "{\"type\":\"error\",\"error\":{\"message\":\"SQLite error: no such table: t\",\"code\":"
    "\"SQLITE_UNKNOWN\"}}]}",
    "{\"baton\":null,\"base_url\":null,\"results\":[{\"type\":\"ok\",\"response\":{\"type\":\"batch\","
    "\"result\":{\"step_results\":[{\"cols\":[],\"rows\":[],\"affected_row_count\":1,"
    "\"last_insert_rowid\":\"-5\"},null,null],\"step_errors\":[null,{\"message\":\"m\",\"code\":\"C\"},"
    "null]}}},{\"type\":\"ok\",\"response\":{\"type\":\"describe\",\"result\":{\"params\":[{\"name\":null},"
    "{\"name\":\":a\"}],\"cols\":[{\"name\":\"x\",\"decltype\":\"INT\"}],\"is_explain\":false,"
    "\"is_readonly\":true}}},{\"type\":\"ok\",\"response\":{\"type\":\"get_autocommit\","
    "\"is_autocommit\":false}},{\"type\":\"ok\",\"response\":{\"type\":\"close\"}}]}",
};

static const char *const k_entry_bodies[] = {
    "{\"type\":\"step_begin\",\"step\":0,\"cols\":[{\"name\":\"a\",\"decltype\":null}]}",
    "{\"type\":\"row\",\"row\":[{\"type\":\"integer\",\"value\":\"1\"},{\"type\":\"text\",\"value\":\"\"}]}",
    "{\"type\":\"step_end\",\"affected_row_count\":0,\"last_insert_rowid\":null}",
    "{\"type\":\"step_end\",\"affected_row_count\":7,\"last_insert_rowid\":\"-1\"}",
    "{\"type\":\"step_error\",\"step\":2,\"error\":{\"message\":\"no\",\"code\":\"SQLITE_ERROR\"}}",
    "{\"type\":\"error\",\"error\":{\"message\":\"fatal\"}}",
};

static char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)sz + 1);
    assert_int_equal(fread(p, 1, (size_t)sz, f), (size_t)sz);
    fclose(f);
    *n = (size_t)sz;
    return p;
}

static void test_json_bodies(void **state)
{
    (void)state;
    int done = 0;
    for (size_t i = 0; i < sizeof k_req_bodies / sizeof k_req_bodies[0]; i++) {
        if (!json_kind_req(k_req_bodies[i], strlen(k_req_bodies[i])))
            fail_msg("JSON body %zu refused", i);
        done++;
    }
    for (size_t i = 0; i < sizeof k_resp_bodies / sizeof k_resp_bodies[0]; i++) {
        if (!json_kind_resp(k_resp_bodies[i], strlen(k_resp_bodies[i])))
            fail_msg("JSON response %zu refused", i);
        done++;
    }
    for (size_t i = 0; i < sizeof k_entry_bodies / sizeof k_entry_bodies[0]; i++) {
        if (!json_kind_entry(k_entry_bodies[i], strlen(k_entry_bodies[i])))
            fail_msg("JSON entry %zu refused", i);
        done++;
    }
    /* and the JSON corpus of the codec's tests (real clients' bodies) */
    char here[1024];
    snprintf(here, sizeof here, "%s", __FILE__);
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/corpus", dirname(here));
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d))) {
        const char *name = e->d_name;
        int (*fn)(const char *, size_t) = NULL;
        if (jstarts(name, "req-ok-"))
            fn = json_kind_req;
        else if (jstarts(name, "cursor-ok-"))
            fn = json_kind_cursor;
        else if (jstarts(name, "resp-ok-"))
            fn = json_kind_resp;
        else if (jstarts(name, "entry-ok-"))
            fn = json_kind_entry;
        if (!fn)
            continue;
        char path[2200];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        size_t n;
        char *body = read_file(path, &n);
        if (!fn(body, n))
            fail_msg("%s: the JSON decoder refused it", name);
        free(body);
        files++;
    }
    closedir(d);
    assert_true(files >= 8);
    assert_true(done >= 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests),
        cmocka_unit_test(test_responses),
        cmocka_unit_test(test_cursor_items),
        cmocka_unit_test(test_value_extremes),
        cmocka_unit_test(test_json_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
