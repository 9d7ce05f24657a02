/* test_pb_cursor.c -- POST /v3-protobuf/cursor: a body of length-delimited
 * items (CursorRespBody, then CursorEntry messages) streamed while the batch
 * runs, read and decoded incrementally by the client; the response limit
 * applies to each item; rows before a step's error are kept; the stream is
 * in use until the cursor ends and closed when its client goes away. */
#include "srv_pbutil.h"

#include <pthread.h>

#define MAX_RESPONSE (64 * 1024)

static tsrv T;

static int setup(void **state)
{
    (void)state;
    lsqld_config c;
    ts_config(&c, &T, "pb-cursor");
    c.max_response = MAX_RESPONSE;
    c.writer_timeout_ms = 20000; /* a bound for the waits below, never reached */
    ts_start(&T, &c);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_stop(&T);
    return 0;
}

#define SERIES(n) "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c LIMIT " #n ") "

/* ---- an incremental client: items framed and decoded as bytes arrive ---- */

typedef struct creader {
    char *buf;         /* bytes not yet framed */
    size_t len, cap;
    size_t max_buffered;
    size_t total, chunks;
    int head;          /* the CursorRespBody was read */
    char baton[80];
    int keep;          /* keep the decoded entries */
    hrana_cursor_entry *e;
    size_t n, ecap;
    size_t rows;       /* row entries */
    int seq;           /* rows must be 1, 2, 3... in their first column */
    char err[512];
    int chunked;
    char ctype[64];
} creader;

static void reader_item(creader *R, const char *p, size_t n)
{
    hrana_limits lim;
    pb_limits(&lim);
    hrana_status st;
    if (!R->head) {
        hrana_cursor_head h;
        if (hrana_pb_decode_cursor_head(p, n, &lim, &h, &st) != HRANA_OK) {
            snprintf(R->err, sizeof R->err, "head: %s", st.message);
            return;
        }
        if (h.baton.p && h.baton.n < sizeof R->baton) {
            memcpy(R->baton, h.baton.p, h.baton.n);
            R->baton[h.baton.n] = 0;
        }
        if (h.base_url.p)
            snprintf(R->err, sizeof R->err, "head has a base_url");
        hrana_cursor_head_free(&h);
        R->head = 1;
        return;
    }
    hrana_cursor_entry e;
    if (hrana_pb_decode_cursor_entry(p, n, &lim, &e, &st) != HRANA_OK) {
        snprintf(R->err, sizeof R->err, "entry %zu: %s", R->n, st.message);
        return;
    }
    if (e.type == HRANA_ENTRY_ROW) {
        R->rows++;
        if (R->seq && (e.nrow < 1 || e.row[0].type != LSQL_TYPE_INTEGER ||
                       e.row[0].u.i != (int64_t)R->rows))
            snprintf(R->err, sizeof R->err, "row %zu out of sequence", R->rows);
    }
    if (R->keep) {
        if (R->n == R->ecap) {
            R->ecap = R->ecap ? 2 * R->ecap : 32;
            R->e = realloc(R->e, R->ecap * sizeof *R->e);
            assert_non_null(R->e);
        }
        R->e[R->n++] = e;
    } else {
        R->n++;
        hrana_cursor_entry_free(&e);
    }
}

static size_t reader_write(char *p, size_t size, size_t nmemb, void *ctx)
{
    creader *R = ctx;
    size_t add = size * nmemb;
    if (R->err[0])
        return add;
    R->total += add;
    R->chunks++;
    if (R->len + add > R->cap) {
        R->cap = (R->len + add) * 2;
        R->buf = realloc(R->buf, R->cap);
        assert_non_null(R->buf);
    }
    memcpy(R->buf + R->len, p, add);
    R->len += add;
    if (R->len > R->max_buffered)
        R->max_buffered = R->len;
    size_t off = 0;
    for (;;) {
        size_t hdr, n;
        hrana_status st;
        int rc = hrana_pb_frame(R->buf + off, R->len - off, (size_t)1 << 30, &hdr, &n, &st);
        if (rc < 0) {
            snprintf(R->err, sizeof R->err, "framing: %s", st.message);
            break;
        }
        if (rc == 0)
            break;
        reader_item(R, R->buf + off + hdr, n);
        off += hdr + n;
    }
    memmove(R->buf, R->buf + off, R->len - off);
    R->len -= off;
    return add;
}

static size_t reader_header(char *p, size_t size, size_t n, void *ctx)
{
    creader *R = ctx;
    size_t len = size * n;
    char line[256];
    size_t k = len < sizeof line - 1 ? len : sizeof line - 1;
    for (size_t i = 0; i < k; i++)
        line[i] = (char)tolower((unsigned char)p[i]);
    line[k] = 0;
    if (strstr(line, "transfer-encoding: chunked"))
        R->chunked = 1;
    return len;
}

static void reader_free(creader *R)
{
    for (size_t i = 0; R->keep && i < R->n; i++)
        hrana_cursor_entry_free(&R->e[i]);
    free(R->e);
    free(R->buf);
    memset(R, 0, sizeof *R);
}

/* POSTs a CursorReqBody and reads the answer incrementally. */
static long run_cursor(int port, const char *baton, const hrana_step *steps, size_t n,
                       creader *R)
{
    hrana_cursor_req req;
    memset(&req, 0, sizeof req);
    req.baton = pb_str(baton);
    req.batch.steps = (hrana_step *)steps;
    req.batch.nsteps = n;
    hrana_buf body;
    hrana_buf_init(&body, 1 << 20);
    hrana_pb_encode_cursor_req(&body, &req);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d" PB_CURSOR, port);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: " PB_CTYPE);
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.p ? body.p : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, reader_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, R);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, reader_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, R);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        fail_msg("cursor: %s", curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    char *ct = NULL;
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    snprintf(R->ctype, sizeof R->ctype, "%s", ct ? ct : "");
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    hrana_buf_free(&body);
    if (status == 200) {
        if (R->err[0])
            fail_msg("%s", R->err);
        if (R->len)
            fail_msg("%zu bytes after the last item", R->len);
        assert_true(R->head);
        assert_string_equal(R->ctype, PB_CTYPE);
    }
    return status;
}

static const hrana_cursor_entry *entry(const creader *R, size_t i, int type)
{
    if (i >= R->n)
        fail_msg("no entry %zu (%zu entries)", i, R->n);
    if (R->e[i].type != type)
        fail_msg("entry %zu: type %d, want %d", i, R->e[i].type, type);
    return &R->e[i];
}

/* A cursor far larger than the response limit: every row arrives, in
 * order, read item by item as the bytes come (the client never holds much
 * of the body). */
static void test_pbc_large(void **state)
{
    (void)state;
    hrana_step steps[] = {pb_step(NULL, SERIES(200000) "SELECT x, 'row ' || x FROM c"),
                          pb_step(NULL, "SELECT 200001")};
    creader R;
    memset(&R, 0, sizeof R);
    R.seq = 1;
    assert_int_equal(run_cursor(T.port, NULL, steps, 2, &R), 200);
    assert_int_equal(R.rows, 200001);
    assert_true(R.total > 20 * (size_t)MAX_RESPONSE);
    assert_true(R.chunked);
    assert_true(R.chunks > 10);
    assert_true(R.max_buffered < 2 * (size_t)MAX_RESPONSE);
    /* 1 + 200000 rows + 1 step_end, then step_begin, a row, step_end */
    assert_int_equal(R.n, 200000 + 2 + 3);
    assert_int_equal(strlen(R.baton), 64);
    reader_free(&R);
}

/* A step failing after some rows: step_begin, the rows, then step_error;
 * the next step runs. A step failing at prepare is a lone step_error. */
static void test_pbc_rows_before_error(void **state)
{
    (void)state;
    hrana_step steps[] = {
        pb_step(NULL, SERIES(5) "SELECT x, CASE WHEN x = 3 THEN abs(-9223372036854775808) "
                                "ELSE x END FROM c"),
        pb_step(NULL, "SELECT 2"),
        pb_step(NULL, "SELECT nope"),
    };
    creader R;
    memset(&R, 0, sizeof R);
    R.keep = 1;
    assert_int_equal(run_cursor(T.port, NULL, steps, 3, &R), 200);
    static const int want[] = {HRANA_ENTRY_STEP_BEGIN, HRANA_ENTRY_ROW,       HRANA_ENTRY_ROW,
                               HRANA_ENTRY_STEP_ERROR, HRANA_ENTRY_STEP_BEGIN, HRANA_ENTRY_ROW,
                               HRANA_ENTRY_STEP_END,   HRANA_ENTRY_STEP_ERROR};
    assert_int_equal(R.n, N_(want));
    for (size_t i = 0; i < N_(want); i++)
        entry(&R, i, want[i]);
    assert_int_equal(entry(&R, 0, HRANA_ENTRY_STEP_BEGIN)->ncols, 2);
    assert_true(entry(&R, 1, HRANA_ENTRY_ROW)->row[0].u.i == 1);
    assert_true(entry(&R, 2, HRANA_ENTRY_ROW)->row[1].u.i == 2);
    const hrana_cursor_entry *e = entry(&R, 3, HRANA_ENTRY_STEP_ERROR);
    assert_int_equal(e->step, 0);
    assert_string_equal(e->error.message.p, "integer overflow");
    assert_string_equal(e->error.code.p, "SQLITE_ERROR");
    assert_int_equal(entry(&R, 4, HRANA_ENTRY_STEP_BEGIN)->step, 1);
    e = entry(&R, 7, HRANA_ENTRY_STEP_ERROR);
    assert_int_equal(e->step, 2);
    assert_string_equal(e->error.code.p, "SQL_INPUT_ERROR");
    reader_free(&R);
}

/* The response limit applies to each item: a row larger than it is the
 * step's RESPONSE_TOO_LARGE, after the rows before it. */
static void test_pbc_item_limit(void **state)
{
    (void)state;
    hrana_step steps[] = {
        pb_step(NULL, SERIES(4) "SELECT CASE WHEN x = 3 THEN zeroblob(100000) ELSE x END FROM c"),
        pb_step(NULL, "SELECT zeroblob(60000)"), /* under the limit: fine */
    };
    creader R;
    memset(&R, 0, sizeof R);
    R.keep = 1;
    assert_int_equal(run_cursor(T.port, NULL, steps, 2, &R), 200);
    static const int want[] = {HRANA_ENTRY_STEP_BEGIN, HRANA_ENTRY_ROW,       HRANA_ENTRY_ROW,
                               HRANA_ENTRY_STEP_ERROR, HRANA_ENTRY_STEP_BEGIN, HRANA_ENTRY_ROW,
                               HRANA_ENTRY_STEP_END};
    assert_int_equal(R.n, N_(want));
    for (size_t i = 0; i < N_(want); i++)
        entry(&R, i, want[i]);
    assert_string_equal(entry(&R, 3, HRANA_ENTRY_STEP_ERROR)->error.code.p, "RESPONSE_TOO_LARGE");
    const hrana_cursor_entry *big = entry(&R, 5, HRANA_ENTRY_ROW);
    assert_int_equal(big->row[0].type, LSQL_TYPE_BLOB);
    assert_int_equal(big->row[0].u.bytes.n, 60000);
    reader_free(&R);
}

/* Conditions, skipped steps, step_end's counts; and the bytes by hand. */
static void test_pbc_entries_bytes(void **state)
{
    (void)state;
    hrana_cond ok1 = pb_cond_step(HRANA_COND_OK, 1), err1 = pb_cond_step(HRANA_COND_ERROR, 1);
    hrana_step steps[] = {
        pb_step(NULL, "CREATE TEMP TABLE cb(id INTEGER PRIMARY KEY, v)"),
        pb_step(NULL, "INSERT INTO cb VALUES (-300, 'a'), (7, NULL)"),
        pb_step(&err1, "SELECT 'skipped'"),
        pb_step(&ok1, "SELECT id, v FROM cb ORDER BY id"),
        pb_step(NULL, "DROP TABLE cb"),
    };
    hrana_cursor_req req;
    memset(&req, 0, sizeof req);
    req.batch.steps = steps;
    req.batch.nsteps = N_(steps);
    hrana_buf body;
    hrana_buf_init(&body, 1 << 20);
    hrana_pb_encode_cursor_req(&body, &req);
    tresp r;
    pb_post(T.port, PB_CURSOR, NULL, body.p, body.len, &r);
    hrana_buf_free(&body);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.ctype, PB_CTYPE);
    pbitems it = pb_split_items(r.body, r.len);
    /* head, 3 x (begin, end) + 1 x (begin, 2 rows, end) + (begin, end) */
    assert_int_equal(it.count, 1 + 2 + 2 + 4 + 2);
    /* the head: {baton = 1: 64 characters}, no base_url */
    assert_int_equal(it.n[0], 66);
    assert_memory_equal(r.body, "\x42\x0a\x40", 3);
    /* step_end of the INSERT: {affected_row_count = 1: 2, last_insert_rowid = 2:
     * sint64 7} */
    pbf end = pbr_get(it.p[4], it.n[4], HRANA_PB_ENTRY_STEP_END, 0);
    assert_int_equal(pbr_get(end.p, end.n, 1, 0).v, 2);
    assert_true(pbr_zigzag(pbr_get(end.p, end.n, 2, 0).v) == 7);
    assert_int_equal(end.n, 4);
    assert_memory_equal(end.p, "\x08\x02\x10\x0e", 4);
    /* step 2 was skipped: the next step_begin is step 3 */
    pbf begin = pbr_get(it.p[5], it.n[5], HRANA_PB_ENTRY_STEP_BEGIN, 0);
    assert_int_equal(pbr_get(begin.p, begin.n, 1, 0).v, 3);
    assert_int_equal(pbr_count(begin.p, begin.n, 2), 2);
    pbf col = pbr_get(begin.p, begin.n, 2, 0);
    assert_memory_equal(col.p, "\x0a\x02id\x12\x07INTEGER", col.n);
    /* rows: {row = 4: {values: {integer: zigzag(-300) = 599}, {text: "a"}}},
     * {row = 4: {values: {integer: zigzag(7)}, {null: {}}}} */
    assert_int_equal(it.n[6], 12);
    assert_memory_equal(it.p[6], "\x22\x0a\x0a\x03\x10\xd7\x04\x0a\x03\x22\x01" "a", 12);
    assert_int_equal(it.n[7], 10);
    assert_memory_equal(it.p[7], "\x22\x08\x0a\x02\x10\x0e\x0a\x02\x0a\x00", 10);
    /* step_end of a SELECT: affected 0, no rowid */
    end = pbr_get(it.p[8], it.n[8], HRANA_PB_ENTRY_STEP_END, 0);
    assert_int_equal(end.n, 2);
    assert_memory_equal(end.p, "\x08\x00", 2);
    pb_items_free(&it);
    ts_free(&r);
}

/* ---- a raw HTTP client: reads part of a body, then goes away ------------ */

static int raw_cursor(int port, const hrana_step *steps, size_t n)
{
    hrana_cursor_req req;
    memset(&req, 0, sizeof req);
    req.batch.steps = (hrana_step *)steps;
    req.batch.nsteps = n;
    hrana_buf body;
    hrana_buf_init(&body, 1 << 20);
    hrana_pb_encode_cursor_req(&body, &req);
    int fd = ts_raw_connect(port);
    char head[256];
    int k = snprintf(head, sizeof head,
                     "POST " PB_CURSOR " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " PB_CTYPE
                     "\r\nContent-Length: %zu\r\n\r\n",
                     body.len);
    ts_raw_send(fd, head, (size_t)k);
    ts_raw_send(fd, body.p, body.len);
    hrana_buf_free(&body);
    return fd;
}

static const char *find(const char *p, size_t n, const char *needle, size_t k)
{
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(p + i, needle, k))
            return p + i;
    return NULL;
}

/* Reads at least `want` bytes; returns the baton of the head item (the
 * first chunk of the body: 0x42 0x0a 0x40 + 64 characters). */
static void raw_read(int fd, size_t want, char *baton)
{
    size_t cap = want + (1 << 16), n = 0;
    char *p = malloc(cap);
    assert_non_null(p);
    while (n < want) {
        ssize_t k = recv(fd, p + n, cap - n, 0);
        if (k <= 0)
            fail_msg("connection ended after %zu bytes", n);
        n += (size_t)k;
    }
    assert_true(n > 12 && !memcmp(p, "HTTP/1.1 200", 12));
    const char *body = find(p, n, "\r\n\r\n", 4);
    assert_non_null(body);
    const char *h = find(body, n - (size_t)(body - p), "\x42\x0a\x40", 3);
    assert_non_null(h);
    assert_true((size_t)(h + 3 + 64 - p) <= n);
    memcpy(baton, h + 3, 64);
    baton[64] = 0;
    free(p);
}

static void expect_baton_error(const char *baton, long status, const char *code)
{
    hrana_request close = pb_req(HRANA_REQ_CLOSE);
    hrana_buf b;
    pb_encode_pipeline(&b, baton, &close, 1);
    tresp r;
    pb_post(T.port, PB_PIPELINE, NULL, b.p, b.len, &r);
    hrana_buf_free(&b);
    pb_expect_http_error(&r, status, code);
    ts_free(&r);
}

/* The stream of a cursor whose client went away is closed once the server
 * has noticed (the cursor's end also gives the write lock back, which other
 * streams may take a moment before the stream itself is given back):
 * BATON_REUSED until then, STREAM_CLOSED after, within 5 s. */
static void wait_stream_closed(const char *baton)
{
    for (int i = 0;; i++) {
        hrana_request close = pb_req(HRANA_REQ_CLOSE);
        hrana_buf b;
        pb_encode_pipeline(&b, baton, &close, 1);
        tresp r;
        pb_post(T.port, PB_PIPELINE, NULL, b.p, b.len, &r);
        hrana_buf_free(&b);
        assert_int_equal(r.status, 400);
        json_t *j = ts_parse(&r);
        int closed = !strcmp(jstr(j, "code"), "STREAM_CLOSED");
        if (!closed && strcmp(jstr(j, "code"), "BATON_REUSED"))
            fail_msg("baton: %s", jstr(j, "code"));
        json_decref(j);
        ts_free(&r);
        if (closed)
            return;
        assert_true(i < 500);
        usleep(10000);
    }
}

/* 100000 rows of 1 KB: far more than the socket buffers hold. */
#define BIG_SELECT SERIES(100000) "SELECT x, hex(zeroblob(500)) FROM c"

/* The stream is in use while its cursor runs; a client that disconnects
 * mid-body gets its stream closed: its transaction rolled back and the
 * write lock given back. */
static void test_pbc_disconnect(void **state)
{
    (void)state;
    pb_sql(&T, "CREATE TABLE w(x)");
    size_t streams = lsqld_stream_count(T.s);
    hrana_step steps[] = {pb_step(NULL, "BEGIN IMMEDIATE"),
                          pb_step(NULL, "INSERT INTO w VALUES (1)"), pb_step(NULL, BIG_SELECT)};
    int fd = raw_cursor(T.port, steps, N_(steps));
    char baton[80];
    raw_read(fd, 64 * 1024, baton);
    expect_baton_error(baton, 400, "BATON_REUSED"); /* the cursor is running */
    close(fd); /* with unread data: the server sees a reset */
    /* waits for the write lock, which only the end of the cursor frees */
    pb_sql(&T, "INSERT INTO w VALUES (2)");
    wait_stream_closed(baton);
    hrana_request q[] = {pb_exec("SELECT group_concat(x) FROM w"), pb_exec("DROP TABLE w"),
                         pb_req(HRANA_REQ_CLOSE)};
    hrana_pipeline_resp p;
    pb_pipeline(&T, NULL, q, N_(q), &p);
    char buf[16];
    assert_string_equal(pb_text(pb_stmt_result(&p, 0), 0, 0, buf, sizeof buf), "2");
    hrana_pipeline_resp_free(&p);
    assert_int_equal(lsqld_stream_count(T.s), streams);
}

/* A cursor that ends gives its stream back before the last bytes leave:
 * the head's baton works at once, with the cursor's transaction open; a
 * cursor on a stream (baton) sees its state. */
static void test_pbc_batons(void **state)
{
    (void)state;
    pb_sql(&T, "CREATE TABLE bc(x)");
    for (int round = 0; round < 10; round++) {
        hrana_step steps[] = {pb_step(NULL, "BEGIN"), pb_step(NULL, "INSERT INTO bc VALUES (1)"),
                              pb_step(NULL, "SELECT count(*) FROM bc")};
        creader R;
        memset(&R, 0, sizeof R);
        R.keep = 1;
        assert_int_equal(run_cursor(T.port, NULL, steps, N_(steps), &R), 200);
        assert_int_equal(R.n, 3 * 2 + 1);
        assert_true(entry(&R, 5, HRANA_ENTRY_ROW)->row[0].u.i == round + 1);
        hrana_request reqs[] = {pb_req(HRANA_REQ_GET_AUTOCOMMIT), pb_exec("COMMIT")};
        hrana_pipeline_resp p;
        pb_pipeline(&T, R.baton, reqs, N_(reqs), &p);
        assert_false(pb_ok(&p, 0, HRANA_REQ_GET_AUTOCOMMIT)->is_autocommit);
        pb_stmt_result(&p, 1);
        char baton[80];
        pb_baton(&p, baton, sizeof baton);
        hrana_pipeline_resp_free(&p);
        reader_free(&R);
        /* a cursor on that stream: a new baton; the old one is spent */
        hrana_step sel[] = {pb_step(NULL, "SELECT count(*) FROM bc")};
        memset(&R, 0, sizeof R);
        R.keep = 1;
        assert_int_equal(run_cursor(T.port, baton, sel, 1, &R), 200);
        assert_string_not_equal(R.baton, baton);
        assert_true(entry(&R, 1, HRANA_ENTRY_ROW)->row[0].u.i == round + 1);
        expect_baton_error(baton, 400, "BATON_REUSED");
        hrana_request close = pb_req(HRANA_REQ_CLOSE);
        pb_pipeline(&T, R.baton, &close, 1, &p);
        assert_null(p.baton.p);
        hrana_pipeline_resp_free(&p);
        reader_free(&R);
    }
    pb_sql(&T, "DROP TABLE bc");
}

/* ---- the SQLITE_BUSY retry of a cursor's batch ---------------------------- */

typedef struct racer {
    int port;
    unsigned delay_ms;
} racer;

static void *race_write(void *arg)
{
    racer *rc = arg;
    usleep(rc->delay_ms * 1000u);
    hrana_request reqs[] = {pb_exec("INSERT INTO race VALUES (0)"), pb_req(HRANA_REQ_CLOSE)};
    hrana_pipeline_resp p;
    pb_pipeline_v(rc->port, NULL, NULL, reqs, N_(reqs), &p, NULL);
    hrana_pipeline_resp_free(&p);
    return NULL;
}

static unsigned long long retries(int port)
{
    tresp r;
    ts_http(port, "GET", "/metrics", NULL, 0, NULL, &r);
    const char *at = strstr(r.body, "\nlsqld_batch_retries_total ");
    assert_non_null(at);
    unsigned long long v = strtoull(at + strlen("\nlsqld_batch_retries_total "), NULL, 10);
    ts_free(&r);
    return v;
}

/* A deferred batch reads, another stream commits a write while a slow step
 * runs, the batch writes: SQLITE_BUSY (a stale snapshot). Nothing of the
 * batch was handed out yet, so it runs again from its start: the body holds
 * the entries of the second run only. */
static void test_pbc_busy_retry(void **state)
{
    (void)state;
    tsrv t;
    lsqld_config c;
    ts_config(&c, &t, "pb-cursor-retry");
    c.statement_timeout_ms = 0;
    c.writer_timeout_ms = 60000;
    ts_start(&t, &c);
    hrana_request mk[] = {pb_exec("CREATE TABLE race(a)"), pb_req(HRANA_REQ_CLOSE)};
    hrana_pipeline_resp p;
    pb_pipeline_v(t.port, NULL, NULL, mk, N_(mk), &p, NULL);
    hrana_pipeline_resp_free(&p);
    int retried = 0;
    int64_t count0 = 0;
    for (unsigned k = 0; k < 6 && !retried; k++) {
        char slow[256];
        snprintf(slow, sizeof slow, SERIES(%u) "SELECT count(*) FROM c", 200000u << k);
        hrana_cond c0 = pb_cond_step(HRANA_COND_OK, 0), c3 = pb_cond_step(HRANA_COND_OK, 3),
                   c4 = pb_cond_step(HRANA_COND_OK, 4);
        hrana_cond not4 = pb_cond_list(HRANA_COND_NOT, &c4, 1);
        hrana_step steps[] = {pb_step(NULL, "BEGIN DEFERRED"),
                              pb_step(&c0, "SELECT count(*) FROM race"), pb_step(&c0, slow),
                              pb_step(&c0, "INSERT INTO race VALUES (1)"),
                              pb_step(&c3, "COMMIT"), pb_step(&not4, "ROLLBACK")};
        unsigned long long before = retries(t.port);
        pthread_t th;
        racer rc = {t.port, 30};
        assert_int_equal(pthread_create(&th, NULL, race_write, &rc), 0);
        creader R;
        memset(&R, 0, sizeof R);
        R.keep = 1;
        assert_int_equal(run_cursor(t.port, NULL, steps, N_(steps), &R), 200);
        pthread_join(th, NULL);
        retried = retries(t.port) > before;
        /* begin/end of BEGIN, begin/row/end x 2, begin/end x 2; ROLLBACK skipped */
        static const int want[] = {HRANA_ENTRY_STEP_BEGIN, HRANA_ENTRY_STEP_END,
                                   HRANA_ENTRY_STEP_BEGIN, HRANA_ENTRY_ROW,
                                   HRANA_ENTRY_STEP_END,   HRANA_ENTRY_STEP_BEGIN,
                                   HRANA_ENTRY_ROW,        HRANA_ENTRY_STEP_END,
                                   HRANA_ENTRY_STEP_BEGIN, HRANA_ENTRY_STEP_END,
                                   HRANA_ENTRY_STEP_BEGIN, HRANA_ENTRY_STEP_END};
        if (R.n != N_(want))
            fail_msg("round %u: %zu entries", k, R.n);
        for (size_t i = 0; i < N_(want); i++)
            entry(&R, i, want[i]);
        int64_t seen = entry(&R, 3, HRANA_ENTRY_ROW)->row[0].u.i;
        if (retried && seen != count0 + 1)
            fail_msg("round %u: retried, but the body saw %lld rows, not %lld", k,
                     (long long)seen, (long long)count0 + 1);
        assert_true(seen == count0 || seen == count0 + 1);
        assert_int_equal(entry(&R, 9, HRANA_ENTRY_STEP_END)->affected_row_count, 1);
        reader_free(&R);
        count0 += 2;
    }
    if (!retried)
        fail_msg("no cursor batch was retried (the racing write never came in time)");
    ts_stop(&t);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pbc_large),
        cmocka_unit_test(test_pbc_rows_before_error),
        cmocka_unit_test(test_pbc_item_limit),
        cmocka_unit_test(test_pbc_entries_bytes),
        cmocka_unit_test(test_pbc_disconnect),
        cmocka_unit_test(test_pbc_batons),
        cmocka_unit_test(test_pbc_busy_retry),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
