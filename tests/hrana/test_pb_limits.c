/* test_pb_limits.c -- what the protobuf decoders refuse and why: every
 * hrana_limits limit (with the field path in the message), nesting without
 * deep recursion, the JSON decoder's validations, and the protobuf rules
 * (defaults of absent fields, the last of repeated singular fields and
 * oneofs winning, map entries). */
#include "test_pb_util.h"

#include <pthread.h>
#include <sys/resource.h>

/* ---- body builders -------------------------------------------------------- */

typedef void (*put_fn)(hrana_buf *b);

/* requests[0] = execute {stmt {...}}, the statement written by fn. */
static void exec_body(hrana_buf *b, put_fn fn)
{
    size_t m1 = hrana_pb_begin(b, HRANA_PB_PIPELINE_REQ_REQUESTS);
    size_t m2 = hrana_pb_begin(b, HRANA_PB_REQ_EXECUTE);
    size_t m3 = hrana_pb_begin(b, HRANA_PB_INNER);
    fn(b);
    hrana_pb_end(b, m3);
    hrana_pb_end(b, m2);
    hrana_pb_end(b, m1);
}

/* results[0] = ok {execute {result {...}}}, the result written by fn. */
static void exec_resp(hrana_buf *b, put_fn fn)
{
    size_t m1 = hrana_pb_begin(b, HRANA_PB_PIPELINE_RESP_RESULTS);
    size_t m2 = hrana_pb_begin(b, HRANA_PB_STREAM_RESULT_OK);
    size_t m3 = hrana_pb_begin(b, HRANA_PB_REQ_EXECUTE);
    size_t m4 = hrana_pb_begin(b, HRANA_PB_INNER);
    fn(b);
    hrana_pb_end(b, m4);
    hrana_pb_end(b, m3);
    hrana_pb_end(b, m2);
    hrana_pb_end(b, m1);
}

static int dreq(const hrana_buf *b, const hrana_limits *l, hrana_status *st)
{
    hrana_pipeline_req r;
    int rc = hrana_pb_decode_pipeline_req(b->p, b->len, l, &r, st);
    if (rc != HRANA_OK)
        assert_null(r.arena);
    hrana_pipeline_req_free(&r);
    return rc;
}

static int dresp(const hrana_buf *b, const hrana_limits *l, hrana_status *st)
{
    hrana_pipeline_resp r;
    int rc = hrana_pb_decode_pipeline_resp(b->p, b->len, l, &r, st);
    if (rc != HRANA_OK)
        assert_null(r.arena);
    hrana_pipeline_resp_free(&r);
    return rc;
}

#define expect(want, rc, st, in_msg)                                                       \
    do {                                                                                   \
        int rc_ = (rc);                                                                    \
        if (rc_ != (want))                                                                 \
            fail_msg("line %d: got %s (%s), want %s", __LINE__, hrana_status_name(rc_),    \
                     (st).message, hrana_status_name(want));                               \
        if ((in_msg) && !strstr((st).message, (in_msg) ? (in_msg) : ""))                   \
            fail_msg("line %d: message '%s' lacks '%s'", __LINE__, (st).message,           \
                     (in_msg) ? (in_msg) : "");                                            \
    } while (0)

static void reset(hrana_buf *b)
{
    hrana_buf_truncate(b, 0);
}

/* ---- nesting ------------------------------------------------------------- */

/* A batch of two steps whose second has `depth` nested `not` around an
 * `ok` condition on step 0. */
static void nested_nots(hrana_buf *b, size_t depth)
{
    size_t *marks = malloc((depth + 1) * sizeof *marks);
    size_t m1 = hrana_pb_begin(b, HRANA_PB_PIPELINE_REQ_REQUESTS);
    size_t m2 = hrana_pb_begin(b, HRANA_PB_REQ_BATCH);
    size_t m3 = hrana_pb_begin(b, HRANA_PB_INNER);
    for (int s = 0; s < 2; s++) {
        size_t m4 = hrana_pb_begin(b, HRANA_PB_BATCH_STEPS);
        if (s == 1) {
            size_t m5 = hrana_pb_begin(b, HRANA_PB_STEP_CONDITION);
            for (size_t i = 0; i < depth; i++)
                marks[i] = hrana_pb_begin(b, HRANA_PB_COND_NOT);
            hrana_pb_put_uint(b, HRANA_PB_COND_STEP_OK, 0);
            for (size_t i = depth; i-- > 0;)
                hrana_pb_end(b, marks[i]);
            hrana_pb_end(b, m5);
        }
        size_t m6 = hrana_pb_begin(b, HRANA_PB_STEP_STMT);
        hrana_pb_put_cstr(b, HRANA_PB_STMT_SQL, "x");
        hrana_pb_end(b, m6);
        hrana_pb_end(b, m4);
    }
    hrana_pb_end(b, m3);
    hrana_pb_end(b, m2);
    hrana_pb_end(b, m1);
    free(marks);
}

typedef struct deep_job {
    const hrana_buf *b;
    hrana_limits lim;
    hrana_status st;
    int rc;
} deep_job;

static void *deep_decode(void *arg)
{
    deep_job *j = arg;
    j->rc = dreq(j->b, &j->lim, &j->st);
    return NULL;
}

static void test_nesting(void **state)
{
    (void)state;
    hrana_buf b;
    hrana_buf_init(&b, 1u << 20);
    nested_nots(&b, 10000);
    assert_true(hrana_buf_ok(&b));
    /* decoded on a 128 KiB stack: the depth limit stops it long before a
     * recursion of 10000 levels could */
    deep_job j = {.b = &b, .lim = ht_limits()};
    pthread_attr_t at;
    pthread_attr_init(&at);
    assert_int_equal(pthread_attr_setstacksize(&at, 128 * 1024), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, &at, deep_decode, &j), 0);
    pthread_join(t, NULL);
    pthread_attr_destroy(&at);
    expect(HRANA_E_LIMIT, j.rc, j.st, "nesting deeper than 64");
    assert_non_null(strstr(j.st.message, "requests[0].batch.steps[1].condition.not.not"));
    /* the boundary: the condition is message 6 (body, request, batch request,
     * batch, step, condition), each `not` one more */
    hrana_limits l = ht_limits();
    hrana_status st;
    for (size_t depth = 50; depth <= 60; depth++) {
        reset(&b);
        nested_nots(&b, depth);
        int want = 6 + depth <= 64 ? HRANA_OK : HRANA_E_LIMIT;
        expect(want, dreq(&b, &l, &st), st, NULL);
    }
    l.max_depth = 300;
    reset(&b);
    nested_nots(&b, 290);
    expect(HRANA_OK, dreq(&b, &l, &st), st, NULL);
    /* the encoder refuses absurd nesting instead of recursing without end */
    size_t n = 5000;
    hrana_cond *c = calloc(n, sizeof *c);
    for (size_t i = 0; i + 1 < n; i++)
        c[i] = (hrana_cond){.type = HRANA_COND_NOT, .conds = &c[i + 1], .nconds = 1};
    c[n - 1] = (hrana_cond){.type = HRANA_COND_IS_AUTOCOMMIT};
    hrana_step steps[] = {{c, {.sql = S("x")}}};
    hrana_cursor_req cr = {.batch = {steps, 1}};
    hrana_buf_truncate(&b, 0);
    hrana_pb_encode_cursor_req(&b, &cr);
    assert_false(hrana_buf_ok(&b));
    /* ... but not a deep one that a decoder could accept */
    hrana_buf_truncate(&b, 0);
    steps[0].cond = &c[n - 250];
    hrana_pb_encode_cursor_req(&b, &cr);
    assert_true(hrana_buf_ok(&b));
    hrana_cursor_req out;
    expect(HRANA_OK, hrana_pb_decode_cursor_req(b.p, b.len, &l, &out, &st), st, NULL);
    pbt_cond_eq(steps[0].cond, out.batch.steps[0].cond);
    hrana_cursor_req_free(&out);
    free(c);
    hrana_buf_free(&b);
}

/* ---- counts and sizes ------------------------------------------------------ */

static void n_args(hrana_buf *b, int na, int nn)
{
    lsql_value v = lsql_null();
    hrana_pb_put_cstr(b, HRANA_PB_STMT_SQL, "x");
    for (int i = 0; i < na; i++)
        hrana_pb_put_value(b, HRANA_PB_STMT_ARGS, &v);
    for (int i = 0; i < nn; i++) {
        size_t m = hrana_pb_begin(b, HRANA_PB_STMT_NAMED_ARGS);
        hrana_pb_put_cstr(b, HRANA_PB_NAMED_ARG_NAME, "a");
        hrana_pb_put_value(b, HRANA_PB_NAMED_ARG_VALUE, &v);
        hrana_pb_end(b, m);
    }
}
static void args_3_0(hrana_buf *b) { n_args(b, 3, 0); }
static void args_0_3(hrana_buf *b) { n_args(b, 0, 3); }
static void args_2_1(hrana_buf *b) { n_args(b, 2, 1); }
static void args_1_1(hrana_buf *b) { n_args(b, 1, 1); }

static void sql_abcd(hrana_buf *b) { hrana_pb_put_cstr(b, HRANA_PB_STMT_SQL, "abcd"); }
static void text_abcd(hrana_buf *b)
{
    lsql_value v = lsql_text("ab\0d", 4);
    hrana_pb_put_cstr(b, HRANA_PB_STMT_SQL, "x");
    hrana_pb_put_value(b, HRANA_PB_STMT_ARGS, &v);
}
static void name_abcd(hrana_buf *b)
{
    lsql_value v = lsql_null();
    hrana_pb_put_cstr(b, HRANA_PB_STMT_SQL, "x");
    size_t m = hrana_pb_begin(b, HRANA_PB_STMT_NAMED_ARGS);
    hrana_pb_put_cstr(b, HRANA_PB_NAMED_ARG_NAME, "abcd");
    hrana_pb_put_value(b, HRANA_PB_NAMED_ARG_VALUE, &v);
    hrana_pb_end(b, m);
}
static void blob_4(hrana_buf *b)
{
    lsql_value v = lsql_blob("\0\1\2\3", 4);
    hrana_pb_put_cstr(b, HRANA_PB_STMT_SQL, "x");
    hrana_pb_put_value(b, HRANA_PB_STMT_ARGS, &v);
}

static void result_3x2(hrana_buf *b)
{
    lsql_value v[2] = {lsql_int(1), lsql_null()};
    hrana_pb_put_col(b, HRANA_PB_RESULT_COLS, "a", NULL);
    hrana_pb_put_col(b, HRANA_PB_RESULT_COLS, "b", NULL);
    for (int i = 0; i < 3; i++) {
        size_t m = hrana_pb_begin(b, HRANA_PB_RESULT_ROWS);
        hrana_pb_put_value(b, HRANA_PB_ROW_VALUES, &v[0]);
        hrana_pb_put_value(b, HRANA_PB_ROW_VALUES, &v[1]);
        hrana_pb_end(b, m);
    }
}

static void test_limits(void **state)
{
    (void)state;
    hrana_buf b;
    hrana_buf_init(&b, 1u << 20);
    hrana_status st;
    hrana_limits l;
    /* body size */
    exec_body(&b, args_1_1);
    l = ht_limits();
    l.max_body = b.len - 1;
    expect(HRANA_E_TOO_LARGE, dreq(&b, &l, &st), st, "larger than the limit");
    l.max_body = b.len;
    expect(HRANA_OK, dreq(&b, &l, &st), st, NULL);
    hrana_cursor_entry e;
    l.max_body = 1;
    expect(HRANA_E_TOO_LARGE, hrana_pb_decode_cursor_entry(b.p, 2, &l, &e, &st), st,
           "body of 2 bytes is larger than the limit of 1");
    /* messages (the JSON decoder's node count) */
    l = ht_limits();
    l.max_nodes = 8;
    expect(HRANA_E_LIMIT, dreq(&b, &l, &st), st, "more than 8 values");
    /* body, request, execute, stmt, arg, its Null, named arg, value, Null */
    l.max_nodes = 9;
    expect(HRANA_OK, dreq(&b, &l, &st), st, NULL);
    /* requests */
    reset(&b);
    for (int i = 0; i < 3; i++) {
        size_t m = hrana_pb_begin(&b, HRANA_PB_PIPELINE_REQ_REQUESTS);
        hrana_pb_end(&b, hrana_pb_begin(&b, HRANA_PB_REQ_CLOSE));
        hrana_pb_end(&b, m);
    }
    l = ht_limits();
    l.max_requests = 2;
    expect(HRANA_E_LIMIT, dreq(&b, &l, &st), st, "requests: 3 requests is more than the limit of 2");
    l.max_requests = 3;
    expect(HRANA_OK, dreq(&b, &l, &st), st, NULL);
    /* steps, and conditions of an and/or */
    reset(&b);
    nested_nots(&b, 0);
    l = ht_limits();
    l.max_steps = 1;
    expect(HRANA_E_LIMIT, dreq(&b, &l, &st), st,
           "requests[0].batch.steps: 2 steps is more than the limit of 1");
    hrana_cond list[3] = {{.type = HRANA_COND_IS_AUTOCOMMIT}, {.type = HRANA_COND_IS_AUTOCOMMIT},
                          {.type = HRANA_COND_IS_AUTOCOMMIT}};
    hrana_cond orc = {.type = HRANA_COND_OR, .conds = list, .nconds = 3};
    hrana_step steps[] = {{&orc, {.sql = S("x")}}};
    hrana_request q = {.type = HRANA_REQ_BATCH, .batch = {steps, 1}};
    hrana_pipeline_req in = {.requests = &q, .nrequests = 1};
    reset(&b);
    hrana_pb_encode_pipeline_req(&b, &in);
    l.max_steps = 2;
    expect(HRANA_E_LIMIT, dreq(&b, &l, &st), st,
           "requests[0].batch.steps[0].condition.or.conds: 3 conditions is more than the limit of 2");
    l.max_steps = 3;
    expect(HRANA_OK, dreq(&b, &l, &st), st, NULL);
    /* arguments: positional, named, both together */
    l = ht_limits();
    l.max_args = 2;
    reset(&b);
    exec_body(&b, args_3_0);
    expect(HRANA_E_LIMIT, dreq(&b, &l, &st), st,
           "requests[0].stmt.args: 3 arguments is more than the limit of 2");
    reset(&b);
    exec_body(&b, args_0_3);
    expect(HRANA_E_LIMIT, dreq(&b, &l, &st), st,
           "requests[0].stmt.named_args: 3 named arguments is more than the limit of 2");
    reset(&b);
    exec_body(&b, args_2_1);
    expect(HRANA_E_LIMIT, dreq(&b, &l, &st), st,
           "requests[0].stmt: 3 arguments is more than the limit of 2");
    reset(&b);
    exec_body(&b, args_1_1);
    expect(HRANA_OK, dreq(&b, &l, &st), st, NULL);
    /* sizes: sql, text, names, batons, blobs */
    l = ht_limits();
    l.max_sql = 3;
    reset(&b);
    exec_body(&b, sql_abcd);
    expect(HRANA_E_LIMIT, dreq(&b, &l, &st), st,
           "requests[0].stmt.sql: string of 4 bytes is longer than the limit of 3");
    l.max_sql = 4;
    expect(HRANA_OK, dreq(&b, &l, &st), st, NULL);
    hrana_request seq = {.type = HRANA_REQ_SEQUENCE, .sql = S("abcd")};
    in = (hrana_pipeline_req){.requests = &seq, .nrequests = 1};
    reset(&b);
    hrana_pb_encode_pipeline_req(&b, &in);
    l.max_sql = 3;
    expect(HRANA_E_LIMIT, dreq(&b, &l, &st), st, "requests[0].sql: string of 4 bytes");
    seq.type = HRANA_REQ_STORE_SQL;
    seq.has_sql_id = 1;
    reset(&b);
    hrana_pb_encode_pipeline_req(&b, &in);
    expect(HRANA_E_LIMIT, dreq(&b, &l, &st), st, "requests[0].sql: string of 4 bytes");
    l = ht_limits();
    l.max_text = 3;
    reset(&b);
    exec_body(&b, text_abcd);
    expect(HRANA_E_LIMIT, dreq(&b, &l, &st), st,
           "requests[0].stmt.args[0].text: string of 4 bytes is longer than the limit of 3");
    reset(&b);
    exec_body(&b, name_abcd);
    expect(HRANA_E_LIMIT, dreq(&b, &l, &st), st, "requests[0].stmt.named_args[0].name: string");
    reset(&b);
    hrana_pb_put_cstr(&b, HRANA_PB_PIPELINE_REQ_BATON, "abcd");
    expect(HRANA_E_LIMIT, dreq(&b, &l, &st), st, "baton: string of 4 bytes");
    l = ht_limits();
    l.max_blob = 3;
    reset(&b);
    exec_body(&b, blob_4);
    expect(HRANA_E_LIMIT, dreq(&b, &l, &st), st,
           "requests[0].stmt.args[0].blob: blob of 4 bytes is larger than the limit of 3");
    l.max_blob = 4;
    expect(HRANA_OK, dreq(&b, &l, &st), st, NULL);
    /* responses: columns, rows, texts */
    reset(&b);
    exec_resp(&b, result_3x2);
    l = ht_limits();
    expect(HRANA_OK, dresp(&b, &l, &st), st, NULL);
    l.max_cols = 1;
    expect(HRANA_E_LIMIT, dresp(&b, &l, &st), st,
           "results[0].response.result.cols: 2 columns is more than the limit of 1");
    l = ht_limits();
    l.max_rows = 2;
    expect(HRANA_E_LIMIT, dresp(&b, &l, &st), st,
           "results[0].response.result.rows: 3 rows is more than the limit of 2");
    l = ht_limits();
    l.max_text = 0;
    expect(HRANA_E_LIMIT, dresp(&b, &l, &st), st, "results[0].response.result.cols[0].name");
    l = ht_limits();
    l.max_requests = 0;
    expect(HRANA_E_LIMIT, dresp(&b, &l, &st), st, "results: 1 results is more than");
    /* batch result step numbers */
    hrana_error err = {S("m"), NOSTR};
    hrana_error *se[] = {NULL, NULL, &err};
    hrana_stmt_result *sr[] = {NULL, NULL, NULL};
    hrana_stream_result res = {.response = {.type = HRANA_REQ_BATCH, .batch = {3, sr, se}}};
    hrana_pipeline_resp pr = {.results = &res, .nresults = 1};
    reset(&b);
    hrana_pb_encode_pipeline_resp(&b, &pr);
    l = ht_limits();
    l.max_steps = 2;
    expect(HRANA_E_LIMIT, dresp(&b, &l, &st), st,
           "results[0].response.result.step_errors: step 2 is past the limit of 2 steps");
    l.max_steps = 3;
    expect(HRANA_OK, dresp(&b, &l, &st), st, NULL);
    /* describe parameters and columns */
    hrana_str params[2] = {NOSTR, S(":a")};
    hrana_col dcols[2] = {{S("a"), NOSTR}, {S("b"), NOSTR}};
    res = (hrana_stream_result){
        .response = {.type = HRANA_REQ_DESCRIBE, .describe = {params, 2, dcols, 2, 0, 0}}};
    reset(&b);
    hrana_pb_encode_pipeline_resp(&b, &pr);
    l = ht_limits();
    l.max_args = 1;
    expect(HRANA_E_LIMIT, dresp(&b, &l, &st), st, "result.params: 2 parameters");
    l = ht_limits();
    l.max_cols = 1;
    expect(HRANA_E_LIMIT, dresp(&b, &l, &st), st, "result.cols: 2 columns");
    /* cursor entries: row values, step_begin columns, error messages */
    lsql_value row[2] = {lsql_int(1), lsql_int(2)};
    hrana_cursor_entry ents[] = {
        {.type = HRANA_ENTRY_ROW, .row = row, .nrow = 2},
        {.type = HRANA_ENTRY_STEP_BEGIN, .cols = dcols, .ncols = 2},
    };
    l = ht_limits();
    l.max_cols = 1;
    for (int i = 0; i < 2; i++) {
        size_t hdr, len;
        reset(&b);
        hrana_pb_encode_cursor_entry(&b, &ents[i]);
        assert_int_equal(hrana_pb_frame(b.p, b.len, b.len, &hdr, &len, &st), 1);
        expect(HRANA_E_LIMIT, hrana_pb_decode_cursor_entry(b.p + hdr, len, &l, &e, &st), st,
               i == 0 ? "row: 2 values is more than the limit of 1"
                      : "cols: 2 columns is more than the limit of 1");
    }
    hrana_buf_free(&b);
}

/* ---- the JSON decoder's validations ---------------------------------------- */

static void stmt_both(hrana_buf *b)
{
    hrana_pb_put_cstr(b, HRANA_PB_STMT_SQL, "x");
    hrana_pb_put_int32(b, HRANA_PB_STMT_SQL_ID, 1);
}
static void stmt_none(hrana_buf *b) { hrana_pb_put_bool(b, HRANA_PB_STMT_WANT_ROWS, 0); }
static void empty_value(hrana_buf *b)
{
    hrana_pb_put_cstr(b, HRANA_PB_STMT_SQL, "x");
    hrana_pb_end(b, hrana_pb_begin(b, HRANA_PB_STMT_ARGS));
}
static void unknown_value(hrana_buf *b)
{
    hrana_pb_put_cstr(b, HRANA_PB_STMT_SQL, "x");
    size_t m = hrana_pb_begin(b, HRANA_PB_STMT_ARGS);
    hrana_pb_put_uint(b, 9, 1);
    hrana_pb_end(b, m);
}
static void named_no_value(hrana_buf *b)
{
    hrana_pb_put_cstr(b, HRANA_PB_STMT_SQL, "x");
    size_t m = hrana_pb_begin(b, HRANA_PB_STMT_NAMED_ARGS);
    hrana_pb_put_cstr(b, HRANA_PB_NAMED_ARG_NAME, "a");
    hrana_pb_end(b, m);
}
static void row_short(hrana_buf *b)
{
    lsql_value v = lsql_int(1);
    hrana_pb_put_col(b, HRANA_PB_RESULT_COLS, "a", NULL);
    hrana_pb_put_col(b, HRANA_PB_RESULT_COLS, "b", NULL);
    size_t m = hrana_pb_begin(b, HRANA_PB_RESULT_ROWS);
    hrana_pb_put_value(b, HRANA_PB_ROW_VALUES, &v);
    hrana_pb_put_value(b, HRANA_PB_ROW_VALUES, &v);
    hrana_pb_end(b, m);
    m = hrana_pb_begin(b, HRANA_PB_RESULT_ROWS);
    hrana_pb_put_value(b, HRANA_PB_ROW_VALUES, &v);
    hrana_pb_end(b, m);
}

/* A body of one request of kind `field` whose content is raw[0..n). */
static void raw_request(hrana_buf *b, unsigned field, const void *raw, size_t n)
{
    size_t m = hrana_pb_begin(b, HRANA_PB_PIPELINE_REQ_REQUESTS);
    if (field)
        hrana_pb_put_bytes(b, field, raw, n);
    else
        hrana_buf_put(b, raw, n);
    hrana_pb_end(b, m);
}

static void test_validation(void **state)
{
    (void)state;
    hrana_buf b;
    hrana_buf_init(&b, 1u << 20);
    hrana_status st;
    hrana_limits l = ht_limits();
    exec_body(&b, stmt_both);
    expect(HRANA_E_INVALID, dreq(&b, &l, &st), st, "requests[0].stmt: both");
    reset(&b);
    exec_body(&b, stmt_none);
    expect(HRANA_E_INVALID, dreq(&b, &l, &st), st, "requests[0].stmt: one of");
    reset(&b);
    exec_body(&b, empty_value);
    expect(HRANA_E_INVALID, dreq(&b, &l, &st), st, "requests[0].stmt.args[0]: a value needs");
    reset(&b);
    exec_body(&b, unknown_value);
    expect(HRANA_E_INVALID, dreq(&b, &l, &st), st, "requests[0].stmt.args[0]");
    reset(&b);
    exec_body(&b, named_no_value);
    expect(HRANA_E_INVALID, dreq(&b, &l, &st), st,
           "requests[0].stmt.named_args[0].value: missing field");
    /* sequence / describe need exactly one of sql and sql_id */
    static const unsigned char both[] = {0x0a, 0x01, 'x', 0x10, 0x01};
    reset(&b);
    raw_request(&b, HRANA_PB_REQ_SEQUENCE, both, sizeof both);
    expect(HRANA_E_INVALID, dreq(&b, &l, &st), st, "requests[0]: both");
    reset(&b);
    raw_request(&b, HRANA_PB_REQ_DESCRIBE, NULL, 0);
    expect(HRANA_E_INVALID, dreq(&b, &l, &st), st, "requests[0]: one of");
    /* execute and batch need their statement / batch */
    reset(&b);
    raw_request(&b, HRANA_PB_REQ_EXECUTE, NULL, 0);
    expect(HRANA_E_INVALID, dreq(&b, &l, &st), st, "requests[0].stmt: missing field");
    reset(&b);
    raw_request(&b, HRANA_PB_REQ_BATCH, NULL, 0);
    expect(HRANA_E_INVALID, dreq(&b, &l, &st), st, "requests[0].batch: missing field");
    static const unsigned char step_no_stmt[] = {0x0a, 0x02, 0x0a, 0x00}; /* batch {steps [{}]} */
    reset(&b);
    raw_request(&b, HRANA_PB_REQ_BATCH, step_no_stmt, sizeof step_no_stmt);
    expect(HRANA_E_INVALID, dreq(&b, &l, &st), st,
           "requests[0].batch.steps[0].stmt: missing field");
    /* an empty request or one of a kind this codec does not know */
    reset(&b);
    raw_request(&b, 0, NULL, 0);
    expect(HRANA_E_UNKNOWN_TYPE, dreq(&b, &l, &st), st, "requests[0]: empty request");
    static const unsigned char future[] = {0x4a, 0x00}; /* field 9 {} */
    reset(&b);
    raw_request(&b, 0, future, sizeof future);
    expect(HRANA_E_UNKNOWN_TYPE, dreq(&b, &l, &st), st,
           "requests[0]: unknown request type (field 9)");
    /* conditions: earlier steps only, at any depth; a condition needs a kind */
    hrana_cond fwd = {.type = HRANA_COND_ERROR, .step = 1};
    hrana_cond notc = {.type = HRANA_COND_NOT, .conds = &fwd, .nconds = 1};
    hrana_cond ok0 = {.type = HRANA_COND_OK, .step = 0};
    hrana_cond list[] = {ok0, notc};
    hrana_cond andc = {.type = HRANA_COND_AND, .conds = list, .nconds = 2};
    hrana_step steps[] = {{NULL, {.sql = S("a")}}, {&andc, {.sql = S("b")}}};
    hrana_cursor_req cr = {.batch = {steps, 2}};
    hrana_cursor_req out;
    reset(&b);
    hrana_pb_encode_cursor_req(&b, &cr);
    expect(HRANA_E_INVALID, hrana_pb_decode_cursor_req(b.p, b.len, &l, &out, &st), st,
           "batch.steps[1].condition.and.conds[1].not: condition refers to step 1, which is not "
           "before step 1");
    steps[0].cond = &ok0;
    steps[1].cond = NULL;
    reset(&b);
    hrana_pb_encode_cursor_req(&b, &cr);
    expect(HRANA_E_INVALID, hrana_pb_decode_cursor_req(b.p, b.len, &l, &out, &st), st,
           "batch.steps[0].condition: condition refers to step 0");
    /* batch {steps [{condition {}, stmt {sql "x"}}]} */
    static const unsigned char empty_cond[] = {0x0a, 0x09, 0x0a, 0x07, 0x0a, 0x00, 0x12,
                                               0x03, 0x0a, 0x01, 'x'};
    reset(&b);
    raw_request(&b, HRANA_PB_REQ_BATCH, empty_cond, sizeof empty_cond);
    expect(HRANA_E_INVALID, dreq(&b, &l, &st), st,
           "requests[0].batch.steps[0].condition: a condition needs one of");
    /* the cursor request needs its batch */
    expect(HRANA_E_INVALID, hrana_pb_decode_cursor_req(NULL, 0, &l, &out, &st), st,
           "batch: missing field");
    /* responses */
    reset(&b);
    exec_resp(&b, row_short);
    expect(HRANA_E_INVALID, dresp(&b, &l, &st), st,
           "results[0].response.result.rows[1]: row has 1 values for 2 columns");
    static const unsigned char empty_result[] = {0x1a, 0x00};
    hrana_pipeline_resp pr;
    expect(HRANA_E_UNKNOWN_TYPE, hrana_pb_decode_pipeline_resp(empty_result, 2, &l, &pr, &st), st,
           "results[0]: empty result");
    static const unsigned char empty_response[] = {0x1a, 0x02, 0x0a, 0x00};
    expect(HRANA_E_UNKNOWN_TYPE, hrana_pb_decode_pipeline_resp(empty_response, 4, &l, &pr, &st),
           st, "results[0].response: empty response");
    static const unsigned char no_result[] = {0x1a, 0x04, 0x0a, 0x02, 0x12, 0x00};
    expect(HRANA_E_INVALID, hrana_pb_decode_pipeline_resp(no_result, 6, &l, &pr, &st), st,
           "results[0].response.result: missing field");
    hrana_cursor_entry e;
    static const unsigned char empty_entry[1];
    expect(HRANA_E_UNKNOWN_TYPE, hrana_pb_decode_cursor_entry(empty_entry, 0, &l, &e, &st), st,
           "empty cursor entry");
    static const unsigned char repl_entry[] = {0x30, 0x05}; /* sqld: replication_index */
    expect(HRANA_E_UNKNOWN_TYPE, hrana_pb_decode_cursor_entry(repl_entry, 2, &l, &e, &st), st,
           "field 6");
    static const unsigned char step_error_no_error[] = {0x1a, 0x02, 0x08, 0x01};
    expect(HRANA_E_INVALID, hrana_pb_decode_cursor_entry(step_error_no_error, 4, &l, &e, &st), st,
           "error: missing field");
    hrana_buf_free(&b);
}

/* ---- protobuf rules ------------------------------------------------------ */

static void test_proto_rules(void **state)
{
    (void)state;
    hrana_limits l = ht_limits();
    hrana_status st;
    hrana_pipeline_req r;
    /* oneofs: the last field wins (close then execute; integer then text) */
    static const unsigned char req[] = {
        0x12, 0x14,                         /* requests[0] */
        0x0a, 0x00,                         /* close {} */
        0x12, 0x10, 0x0a, 0x0e,             /* execute {stmt} */
        0x0a, 0x01, 'x',                    /* sql "x" */
        0x1a, 0x05, 0x10, 0x02, 0x22, 0x01, 't', /* args[0]: integer 1, text "t" */
        0x28, 0x01, 0x28, 0x00,             /* want_rows true, then false */
    };
    expect(HRANA_OK, hrana_pb_decode_pipeline_req(req, sizeof req, &l, &r, &st), st, NULL);
    assert_int_equal(r.requests[0].type, HRANA_REQ_EXECUTE);
    assert_int_equal(r.requests[0].stmt.args[0].type, LSQL_TYPE_TEXT);
    assert_int_equal(r.requests[0].stmt.want_rows, 0);
    hrana_pipeline_req_free(&r);
    /* absent fields take their defaults: want_rows 1; store_sql and
     * close_sql 0 and ""; a repeated baton: the last one */
    static const unsigned char defaults[] = {
        0x0a, 0x01, 'a', 0x0a, 0x01, 'b',                /* baton "a", then "b" */
        0x12, 0x07, 0x12, 0x05, 0x0a, 0x03, 0x0a, 0x01, 'x', /* execute {stmt {sql "x"}} */
        0x12, 0x02, 0x32, 0x00,                          /* store_sql {} */
        0x12, 0x02, 0x3a, 0x00,                          /* close_sql {} */
        0x12, 0x0d, 0x3a, 0x0b, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        /* close_sql {sql_id -1 as a 10-byte varint} */
        0x12, 0x08, 0x3a, 0x06, 0x08, 0x85, 0x80, 0x80, 0x80, 0x10,
        /* close_sql {sql_id 2^32 + 5: the low 32 bits} */
    };
    expect(HRANA_OK, hrana_pb_decode_pipeline_req(defaults, sizeof defaults, &l, &r, &st), st,
           NULL);
    assert_string_equal(r.baton.p, "b");
    assert_int_equal(r.nrequests, 5);
    assert_int_equal(r.requests[0].stmt.want_rows, 1);
    assert_int_equal(r.requests[1].type, HRANA_REQ_STORE_SQL);
    assert_int_equal(r.requests[1].has_sql_id, 1);
    assert_int_equal(r.requests[1].sql_id, 0);
    assert_non_null(r.requests[1].sql.p);
    assert_int_equal(r.requests[1].sql.n, 0);
    assert_int_equal(r.requests[2].type, HRANA_REQ_CLOSE_SQL);
    assert_int_equal(r.requests[2].has_sql_id, 1);
    assert_null(r.requests[2].sql.p);
    assert_int_equal(r.requests[3].sql_id, -1);
    assert_int_equal(r.requests[4].sql_id, 5);
    hrana_pipeline_req_free(&r);
    /* responses: sqld's Error always has a code, "" for none; a message may
     * be absent (""); bools default to false; map entries without key or
     * value; a repeated key: the last entry */
    static const unsigned char resp2[] = {
        0x1a, 0x06, 0x12, 0x04, 0x12, 0x00, 0x0a, 0x00, /* error {code "", message ""} */
        0x1a, 0x02, 0x12, 0x00,                         /* error {} */
        0x1a, 0x04, 0x0a, 0x02, 0x42, 0x00,             /* ok {get_autocommit {}} */
        0x1a, 0x06, 0x0a, 0x04, 0x2a, 0x02, 0x0a, 0x00, /* ok {describe {result {}}} */
        0x1a, 0x1b, 0x0a, 0x19, 0x1a, 0x17, 0x0a, 0x15, /* ok {batch {result { */
        0x0a, 0x00,                                     /*   step_results {}: step 0, {} */
        0x12, 0x02, 0x08, 0x02,                         /*   step_errors {key 2} */
        0x12, 0x07, 0x08, 0x02, 0x12, 0x03, 0x0a, 0x01, 'z', /* step_errors {2: "z"} */
        0x0a, 0x04, 0x08, 0x01, 0x12, 0x00,             /*   step_results {1: {}} }}} */
    };
    hrana_pipeline_resp p;
    expect(HRANA_OK, hrana_pb_decode_pipeline_resp(resp2, sizeof resp2, &l, &p, &st), st, NULL);
    assert_int_equal(p.nresults, 5);
    assert_int_equal(p.results[0].is_error, 1);
    assert_string_equal(p.results[0].error.message.p, "");
    assert_null(p.results[0].error.code.p);
    assert_int_equal(p.results[1].is_error, 1);
    assert_non_null(p.results[1].error.message.p);
    assert_int_equal(p.results[2].response.type, HRANA_REQ_GET_AUTOCOMMIT);
    assert_int_equal(p.results[2].response.is_autocommit, 0);
    assert_int_equal(p.results[3].response.type, HRANA_REQ_DESCRIBE);
    assert_int_equal(p.results[3].response.describe.is_explain, 0);
    assert_int_equal(p.results[3].response.describe.nparams, 0);
    const hrana_batch_result *br = &p.results[4].response.batch;
    assert_int_equal(br->nsteps, 3);
    assert_non_null(br->step_results[0]);
    assert_int_equal(br->step_results[0]->ncols, 0);
    assert_non_null(br->step_results[1]);
    assert_null(br->step_results[2]);
    assert_null(br->step_errors[0]);
    assert_null(br->step_errors[1]);
    assert_string_equal(br->step_errors[2]->message.p, "z");
    hrana_pipeline_resp_free(&p);
}

/* ---- memory bounded by the body ---------------------------------------------
 * The JSON decoder allocates nothing before jansson has parsed the tree, so
 * the remote client, which reads answers of up to max_response bytes,
 * bounds them by max_body alone (max_nodes unlimited). The protobuf decoder
 * allocates from counts: what it allocates must stay proportional to the
 * body, or a small hostile answer makes a client allocate (and clear)
 * gigabytes. */

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* 4096 empty columns, then `wide_rows` empty rows. */
static size_t wide_rows;
static void wide_empty_rows(hrana_buf *b)
{
    for (int i = 0; i < 4096; i++)
        hrana_pb_end(b, hrana_pb_begin(b, HRANA_PB_RESULT_COLS));
    for (size_t i = 0; i < wide_rows; i++)
        hrana_pb_end(b, hrana_pb_begin(b, HRANA_PB_RESULT_ROWS));
}

static void test_amplification(void **state)
{
    (void)state;
    hrana_buf b;
    hrana_buf_init(&b, 16u << 20);
    hrana_status st;
    hrana_limits l = ht_limits(); /* the remote client's (remote.c) */
    l.max_body = 64u << 20;
    l.max_nodes = (size_t)-1 / 2;
    /* 16384 rows of 4096 columns would be 64M values (1 GiB of lsql_value)
     * from a 40 KB body */
    wide_rows = 16384;
    exec_resp(&b, wide_empty_rows);
    assert_true(b.len < 64 * 1024);
    long before = peak_rss_kb();
    expect(HRANA_E_INVALID, dresp(&b, &l, &st), st,
           "results[0].response.result.rows: 16384 rows of 4096 values do not fit in");
    assert_true(peak_rss_kb() - before < 256 * 1024);
    /* the smallest rows that fit are read: 4-byte Null values */
    reset(&b);
    size_t m1 = hrana_pb_begin(&b, HRANA_PB_PIPELINE_RESP_RESULTS);
    size_t m2 = hrana_pb_begin(&b, HRANA_PB_STREAM_RESULT_OK);
    size_t m3 = hrana_pb_begin(&b, HRANA_PB_REQ_EXECUTE);
    size_t m4 = hrana_pb_begin(&b, HRANA_PB_INNER);
    hrana_pb_put_col(&b, HRANA_PB_RESULT_COLS, NULL, NULL);
    lsql_value nul = lsql_null();
    for (int i = 0; i < 3; i++)
        hrana_pb_put_row(&b, HRANA_PB_RESULT_ROWS, &nul, 1);
    hrana_pb_end(&b, m4);
    hrana_pb_end(&b, m3);
    hrana_pb_end(&b, m2);
    hrana_pb_end(&b, m1);
    hrana_pipeline_resp p;
    expect(HRANA_OK, hrana_pb_decode_pipeline_resp(b.p, b.len, &l, &p, &st), st, NULL);
    assert_int_equal(p.results[0].response.stmt.nrows, 3);
    hrana_pipeline_resp_free(&p);
    hrana_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nesting),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_proto_rules),
        cmocka_unit_test(test_amplification),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
