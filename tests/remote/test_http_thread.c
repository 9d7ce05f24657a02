/* test_http_thread.c -- the remote transport's streams and interrupts (a
 * second thread), against the fake server. Named *thread* so that the TSan
 * stage of the CI runs it. */
#include "http_testutil.h"

#include "../../src/remote/rerr.h"

#include <curl/curl.h>
#include <pthread.h>

/* Streamed body size of the flat-memory test (lines of HT_LINE_LEN bytes). */
#ifndef HT_FLAT_BYTES
#define HT_FLAT_BYTES (200L * 1000 * 1000)
#endif

/* ---- interrupts ------------------------------------------------------------ */

typedef struct {
    rhttp *h;
    unsigned delay_ms;
} intr_arg;

static void *interrupter(void *p)
{
    intr_arg *a = p;
    struct timespec ts = {0, (long)a->delay_ms * 1000000L};
    nanosleep(&ts, NULL);
    rhttp_interrupt(a->h);
    return NULL;
}

static void interrupt_thread_request(void **state)
{
    (void)state;
    ht_env t = {0};
    t.ctx.sleep_ms = 10000;
    ht_up(&t); /* request timeout 10 s: only the interrupt can end it early */
    hrana_buf b;
    hrana_buf_init(&b, 0);
    lsql_error e;
    long st = -1;
    intr_arg a = {t.h, 150};
    pthread_t th;
    uint64_t t0 = ht_now_ms();
    assert_int_equal(pthread_create(&th, NULL, interrupter, &a), 0);
    int rc = rhttp_request(t.h, "POST", "/slow", "{}", 2, &st, &b, &e);
    uint64_t took = ht_now_ms() - t0;
    pthread_join(th, NULL);
    assert_rc(LSQL_INTERRUPTED, rc);
    assert_true(took < 8000); /* sanity only: well before the server answers */
    assert_false(e.flags & LSQL_ERRF_RETRYABLE);
    assert_non_null(strstr(e.message, "/slow"));
    /* the flag stays until cleared: the next request fails without sending */
    int before = fs_requests(t.srv);
    assert_rc(LSQL_INTERRUPTED, rhttp_request(t.h, "GET", "/ok", NULL, 0, &st, &b, &e));
    /* the flag, for backoff sleeps */
    assert_non_null(rhttp_interrupt_flag(t.h));
    assert_int_equal(atomic_load(rhttp_interrupt_flag(t.h)), 1);
    assert_false(lsql__retry_sleep(60000, rhttp_interrupt_flag(t.h)));
    assert_rc(LSQL_INTERRUPTED,
              rhttp_stream_start(t.h, "/lines", "{}", 2, &st, &b, &e));
    assert_int_equal(fs_requests(t.srv), before);
    rhttp_clear_interrupt(t.h);
    assert_int_equal(atomic_load(rhttp_interrupt_flag(t.h)), 0);
    assert_int_equal(ht_req(t.h, "GET", "/ok", NULL, &b), 200);
    hrana_buf_free(&b);
    ht_down(&t);
}

static void interrupt_thread_stream(void **state)
{
    (void)state;
    ht_env t = {0};
    t.ctx.sleep_ms = 10000;
    ht_up(&t);
    hrana_buf eb;
    hrana_buf_init(&eb, 0);
    lsql_error e;
    long st = -1;
    assert_ok(rhttp_stream_start(t.h, "/stream-stall", "{}", 2, &st, &eb, &e));
    assert_int_equal(st, 200);
    assert_true(rhttp_streaming(t.h));
    const char *line;
    size_t len;
    assert_rc(LSQL_ROW, rhttp_stream_line(t.h, &line, &len, &e));
    assert_int_equal(len, 3);
    assert_memory_equal(line, "one", 3);
    intr_arg a = {t.h, 150};
    pthread_t th;
    uint64_t t0 = ht_now_ms();
    assert_int_equal(pthread_create(&th, NULL, interrupter, &a), 0);
    int rc = rhttp_stream_line(t.h, &line, &len, &e);
    uint64_t took = ht_now_ms() - t0;
    pthread_join(th, NULL);
    assert_rc(LSQL_INTERRUPTED, rc);
    assert_true(took < 8000);
    /* sticky until the stream is ended */
    assert_rc(LSQL_INTERRUPTED, rhttp_stream_line(t.h, &line, &len, &e));
    rhttp_stream_end(t.h);
    assert_false(rhttp_streaming(t.h));
    rhttp_clear_interrupt(t.h);
    hrana_buf b;
    hrana_buf_init(&b, 0);
    assert_int_equal(ht_req(t.h, "GET", "/ok", NULL, &b), 200);
    hrana_buf_free(&b);
    hrana_buf_free(&eb);
    ht_down(&t);
}

/* An interrupt from another thread cuts a backoff sleep short. */
static void interrupt_thread_backoff(void **state)
{
    (void)state;
    ht_env t = {0};
    ht_up(&t);
    intr_arg a = {t.h, 100};
    pthread_t th;
    uint64_t t0 = ht_now_ms();
    assert_int_equal(pthread_create(&th, NULL, interrupter, &a), 0);
    assert_false(lsql__retry_sleep(60000, rhttp_interrupt_flag(t.h)));
    uint64_t took = ht_now_ms() - t0;
    pthread_join(th, NULL);
    assert_true(took < 8000);
    rhttp_clear_interrupt(t.h);
    assert_true(lsql__retry_sleep(20, rhttp_interrupt_flag(t.h)));
    ht_down(&t);
}

/* ---- streams --------------------------------------------------------------- */

/* Reads a whole /lines stream, checking every line; returns the count. */
static long read_lines(rhttp *h)
{
    lsql_error e;
    const char *line;
    size_t len;
    long n = 0;
    int rc;
    while ((rc = rhttp_stream_line(h, &line, &len, &e)) == LSQL_ROW) {
        long no = ht_line_no(line, len);
        if (no != n)
            fail_msg("line %ld: got number %ld (len %zu)", n, no, len);
        n++;
    }
    if (rc != LSQL_DONE)
        fail_msg("after %ld lines: %s (%s)", n, e.message, lsql_errname(rc));
    /* DONE again */
    assert_rc(LSQL_DONE, rhttp_stream_line(h, &line, &len, &e));
    return n;
}

static void stream_lines(void **state)
{
    (void)state;
    ht_env t = {0};
    ht_up(&t);
    hrana_buf eb;
    hrana_buf_init(&eb, 0);
    lsql_error e;
    long st = -1;
    const char *paths[] = {"/lines", "/lines-cl"};
    long counts[] = {0, 1, 20000};
    for (int p = 0; p < 2; p++) {
        for (int k = 0; k < 3; k++) {
            t.ctx.nlines = counts[k];
            int rc = rhttp_stream_start(t.h, paths[p], "{\"cursor\":1}", 12, &st, &eb, &e);
            if (rc != LSQL_OK)
                fail_msg("%s, %ld lines: %s", paths[p], counts[k], e.message);
            assert_int_equal(st, 200);
            assert_int_equal(read_lines(t.h), counts[k]);
            rhttp_stream_end(t.h);
        }
    }
    /* the request carried the JSON headers and body */
    char v[64];
    assert_true(fs_last_header(t.srv, "content-type", v, sizeof v));
    assert_string_equal(v, "application/json");
    size_t n;
    char *body = fs_last_body(t.srv, &n);
    assert_string_equal(body, "{\"cursor\":1}");
    free(body);
    /* plain requests between and after streams: one connection throughout */
    hrana_buf b;
    hrana_buf_init(&b, 0);
    assert_int_equal(ht_req(t.h, "GET", "/ok", NULL, &b), 200);
    t.ctx.nlines = 10;
    assert_ok(rhttp_stream_start(t.h, "/lines", NULL, 0, &st, &eb, &e));
    assert_int_equal(read_lines(t.h), 10);
    /* a finished stream need not be ended before the next request */
    assert_int_equal(ht_req(t.h, "POST", "/echo", "x", &b), 200);
    assert_false(rhttp_streaming(t.h));
    assert_int_equal(fs_connections(t.srv), 1);
    hrana_buf_free(&b);
    hrana_buf_free(&eb);
    ht_down(&t);
}

static void stream_split_lines(void **state)
{
    (void)state;
    ht_env t = {0};
    ht_up(&t);
    hrana_buf eb;
    hrana_buf_init(&eb, 0);
    lsql_error e;
    long st = -1;
    assert_ok(rhttp_stream_start(t.h, "/split", "{}", 2, &st, &eb, &e));
    static const char *const want[] = {"first line", "second line", "", "third line",
                                       "fourth line", "last line without newline"};
    const char *line;
    size_t len;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int rc = rhttp_stream_line(t.h, &line, &len, &e);
        if (rc != LSQL_ROW)
            fail_msg("line %zu: %s (%s)", i, e.message, lsql_errname(rc));
        assert_int_equal(len, strlen(want[i]));
        assert_memory_equal(line, want[i], len);
    }
    assert_rc(LSQL_DONE, rhttp_stream_line(t.h, &line, &len, &e));
    rhttp_stream_end(t.h);
    hrana_buf_free(&eb);
    ht_down(&t);
}

/* A huge body through a stream: the buffer never holds more than the window
 * plus one of curl's chunks. */
static void stream_flat_memory(void **state)
{
    (void)state;
    ht_env t = {0};
    ht_up(&t);
    hrana_buf eb;
    hrana_buf_init(&eb, 0);
    lsql_error e;
    long st = -1;
    t.ctx.nlines = HT_FLAT_BYTES / HT_LINE_LEN;
    assert_ok(rhttp_stream_start(t.h, "/lines", "{}", 2, &st, &eb, &e));
    assert_int_equal(read_lines(t.h), t.ctx.nlines);
    rhttp_stream_end(t.h);
    size_t bound = RHTTP_STREAM_WINDOW + CURL_MAX_WRITE_SIZE;
    size_t pu = rhttp__stream_peak_unread(t.h), pc = rhttp__stream_peak_cap(t.h);
    print_message("streamed %ld bytes: peak unread %zu, peak buffer %zu (bound %zu)\n",
                  HT_FLAT_BYTES, pu, pc, bound);
    assert_true(pu <= bound);
    assert_true(pc <= bound);
    assert_true(pu > 0);
    hrana_buf_free(&eb);
    ht_down(&t);
}

static void stream_abort_then_reuse(void **state)
{
    (void)state;
    ht_env t = {0};
    ht_up(&t);
    hrana_buf eb, b;
    hrana_buf_init(&eb, 0);
    hrana_buf_init(&b, 0);
    lsql_error e;
    long st = -1;
    const char *line;
    size_t len;
    t.ctx.nlines = 1000000; /* 100 MB: never read to the end */
    for (int round = 0; round < 3; round++) {
        assert_ok(rhttp_stream_start(t.h, "/lines", "{}", 2, &st, &eb, &e));
        for (long i = 0; i < 5000; i++) {
            assert_rc(LSQL_ROW, rhttp_stream_line(t.h, &line, &len, &e));
            assert_int_equal(ht_line_no(line, len), i);
        }
        /* a request while the stream still receives is refused */
        assert_rc(LSQL_MISUSE_STATE, rhttp_request(t.h, "GET", "/ok", NULL, 0, &st, &b, &e));
        assert_rc(LSQL_MISUSE_STATE, rhttp_stream_start(t.h, "/lines", "{}", 2, &st, &eb, &e));
        rhttp_stream_end(t.h);
        assert_false(rhttp_streaming(t.h));
        rhttp_stream_end(t.h); /* twice: harmless */
        assert_int_equal(ht_req(t.h, "GET", "/ok", NULL, &b), 200);
        assert_int_equal(b.len, 5);
        assert_memory_equal(b.p, "hello", 5);
    }
    /* the aborted connections were closed: one new connection per round */
    assert_int_equal(fs_connections(t.srv), 4);
    /* rhttp_free in the middle of a stream */
    assert_ok(rhttp_stream_start(t.h, "/lines", "{}", 2, &st, &eb, &e));
    assert_rc(LSQL_ROW, rhttp_stream_line(t.h, &line, &len, &e));
    hrana_buf_free(&eb);
    hrana_buf_free(&b);
    ht_down(&t);
}

static void stream_error_answers(void **state)
{
    (void)state;
    ht_env t = {0};
    ht_up(&t);
    hrana_buf eb;
    hrana_buf_init(&eb, 0);
    lsql_error e;
    long st = -1;
    const char *line;
    size_t len;
    /* a non-200 answer: its body, no stream */
    assert_ok(rhttp_stream_start(t.h, "/status/503", "{}", 2, &st, &eb, &e));
    assert_int_equal(st, 503);
    assert_false(rhttp_streaming(t.h));
    assert_int_equal(eb.len, strlen("status 503 body"));
    assert_memory_equal(eb.p, "status 503 body", eb.len);
    assert_int_equal(rhttp_retry_after(t.h), 7);
    assert_rc(LSQL_MISUSE_STATE, rhttp_stream_line(t.h, &line, &len, &e));
    rhttp_stream_end(t.h);
    /* a huge error body is cut at max_response */
    t.ctx.big = 5 << 20;
    assert_ok(rhttp_stream_start(t.h, "/big-error", "{}", 2, &st, &eb, &e));
    assert_int_equal(st, 500);
    assert_int_equal(eb.len, t.cfg.max_response);
    assert_false(rhttp_streaming(t.h));
    /* the body is cut short: IO, the lines before it come first */
    assert_ok(rhttp_stream_start(t.h, "/stream-cut", "{}", 2, &st, &eb, &e));
    for (int i = 1; i <= 3; i++) {
        assert_rc(LSQL_ROW, rhttp_stream_line(t.h, &line, &len, &e));
        assert_int_equal(len, 1);
        assert_int_equal(line[0], '0' + i);
    }
    int rc = rhttp_stream_line(t.h, &line, &len, &e);
    assert_rc(LSQL_HTTP_IO, rc);
    assert_true(e.flags & LSQL_ERRF_RETRYABLE);
    assert_int_equal(e.http_status, 200);
    assert_rc(LSQL_HTTP_IO, rhttp_stream_line(t.h, &line, &len, &e));
    /* an errored stream that was not ended does not block the next request */
    hrana_buf b;
    hrana_buf_init(&b, 0);
    assert_int_equal(ht_req(t.h, "GET", "/ok", NULL, &b), 200);
    /* a line longer than the window but within max_response is fine */
    t.ctx.big = 700 * 1024;
    assert_ok(rhttp_stream_start(t.h, "/longline", "{}", 2, &st, &eb, &e));
    assert_rc(LSQL_ROW, rhttp_stream_line(t.h, &line, &len, &e));
    assert_int_equal(len, t.ctx.big);
    assert_int_equal(line[0], 'L');
    assert_int_equal(line[len - 1], 'L');
    assert_rc(LSQL_ROW, rhttp_stream_line(t.h, &line, &len, &e));
    assert_int_equal(len, 3);
    assert_rc(LSQL_DONE, rhttp_stream_line(t.h, &line, &len, &e));
    rhttp_stream_end(t.h);
    /* longer than max_response: TOO_LARGE */
    t.ctx.big = 3 << 20;
    assert_ok(rhttp_stream_start(t.h, "/longline", "{}", 2, &st, &eb, &e));
    rc = rhttp_stream_line(t.h, &line, &len, &e);
    assert_rc(LSQL_HTTP_TOO_LARGE, rc);
    assert_non_null(strstr(e.message, "line"));
    rhttp_stream_end(t.h);
    assert_int_equal(ht_req(t.h, "GET", "/ok", NULL, &b), 200);
    hrana_buf_free(&b);
    hrana_buf_free(&eb);
    ht_down(&t);
}

static void stream_timeouts(void **state)
{
    (void)state;
    ht_env t = {0};
    t.ctx.sleep_ms = 5000;
    t.srv = fs_start(ht_handler, &t.ctx);
    fs_url(t.srv, t.url, sizeof t.url);
    ht_cfg(&t.cfg, t.url);
    t.cfg.request_timeout_ms = 300;
    t.h = ht_new(&t.cfg);
    hrana_buf eb;
    hrana_buf_init(&eb, 0);
    lsql_error e;
    long st = -1;
    const char *line;
    size_t len;
    /* no headers in time */
    assert_rc(LSQL_HTTP_TIMEOUT, rhttp_stream_start(t.h, "/slow", "{}", 2, &st, &eb, &e));
    assert_true(e.flags & LSQL_ERRF_RETRYABLE);
    assert_false(rhttp_streaming(t.h));
    /* headers, one line, then silence */
    assert_ok(rhttp_stream_start(t.h, "/stream-stall", "{}", 2, &st, &eb, &e));
    assert_rc(LSQL_ROW, rhttp_stream_line(t.h, &line, &len, &e));
    assert_rc(LSQL_HTTP_TIMEOUT, rhttp_stream_line(t.h, &line, &len, &e));
    assert_non_null(strstr(e.message, "/stream-stall"));
    rhttp_stream_end(t.h);
    /* a slow consumer is not a timeout: the clock runs only while waiting */
    t.ctx.nlines = 20000; /* 2 MB: the transfer pauses while the consumer sleeps */
    assert_ok(rhttp_stream_start(t.h, "/lines", "{}", 2, &st, &eb, &e));
    for (int i = 0; i < 2; i++) {
        struct timespec ts = {0, 400 * 1000000L};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(read_lines(t.h), 20000);
    rhttp_stream_end(t.h);
    /* connection refused */
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", fs_closed_port());
    rhttp_cfg cfg;
    ht_cfg(&cfg, url);
    rhttp *h = ht_new(&cfg);
    assert_rc(LSQL_HTTP_CONNECT, rhttp_stream_start(h, "/v3/cursor", "{}", 2, &st, &eb, &e));
    assert_false(rhttp_streaming(h));
    rhttp_free(h);
    hrana_buf_free(&eb);
    ht_down(&t);
}

/* ---- length-prefixed items (protobuf cursor bodies) ------------------------------ */

static void stream_items(void **state)
{
    (void)state;
    ht_env t = {0};
    ht_up(&t);
    hrana_buf eb;
    hrana_buf_init(&eb, 0);
    lsql_error e;
    long st = -1;
    /* many items of varied sizes, prefixes split across writes; then a body
     * much larger than the window: memory stays bounded */
    static const long counts[] = {1000, 60000};
    for (size_t k = 0; k < 2; k++) {
        atomic_store(&t.ctx.nlines, counts[k]);
        assert_ok(rhttp_stream_start(t.h, "/items", "{}", 2, &st, &eb, &e));
        assert_string_equal(rhttp_content_type(t.h), "application/x-protobuf");
        const char *p;
        size_t len;
        long i = 0;
        int rc;
        while ((rc = rhttp_stream_item(t.h, &p, &len, &e)) == LSQL_ROW) {
            if (len != ht_item_len(i))
                fail_msg("item %ld: %zu bytes, want %zu", i, len, ht_item_len(i));
            for (size_t j = 0; j < len; j++)
                if ((unsigned char)p[j] != ht_item_byte(i))
                    fail_msg("item %ld: byte %zu is %d", i, j, p[j]);
            i++;
        }
        if (rc != LSQL_DONE)
            fail_msg("items: %s (%s)", e.message, lsql_errname(rc));
        assert_int_equal(i, counts[k]);
        assert_rc(LSQL_DONE, rhttp_stream_item(t.h, &p, &len, &e));
        rhttp_stream_end(t.h);
    }
    size_t bound = RHTTP_STREAM_WINDOW + CURL_MAX_WRITE_SIZE + 20000;
    size_t pu = rhttp__stream_peak_unread(t.h);
    print_message("items: peak unread %zu (bound %zu)\n", pu, bound);
    assert_true(pu <= bound);
    /* items larger than the window (and than a curl chunk), under the limit */
    atomic_store(&t.ctx.big, (size_t)600000);
    assert_ok(rhttp_stream_start(t.h, "/items-big", "{}", 2, &st, &eb, &e));
    const char *p;
    size_t len;
    for (long i = 0; i < 3; i++) {
        assert_rc(LSQL_ROW, rhttp_stream_item(t.h, &p, &len, &e));
        assert_int_equal(len, 600000);
        assert_int_equal((unsigned char)p[0], ht_item_byte(i));
        assert_int_equal((unsigned char)p[len - 1], ht_item_byte(i));
    }
    assert_rc(LSQL_DONE, rhttp_stream_item(t.h, &p, &len, &e));
    rhttp_stream_end(t.h);
    /* larger than max_response (1 MiB here): refused */
    atomic_store(&t.ctx.big, (size_t)(1 << 20) + 1);
    assert_ok(rhttp_stream_start(t.h, "/items-big", "{}", 2, &st, &eb, &e));
    assert_rc(LSQL_HTTP_TOO_LARGE, rhttp_stream_item(t.h, &p, &len, &e));
    assert_rc(LSQL_HTTP_TOO_LARGE, rhttp_stream_item(t.h, &p, &len, &e)); /* sticky */
    rhttp_stream_end(t.h);
    /* the connection is still good */
    hrana_buf b;
    hrana_buf_init(&b, 0);
    assert_int_equal(ht_req(t.h, "GET", "/ok", NULL, &b), 200);
    hrana_buf_free(&b);
    hrana_buf_free(&eb);
    ht_down(&t);
}

static void stream_items_malformed(void **state)
{
    (void)state;
    ht_env t = {0};
    ht_up(&t);
    hrana_buf eb;
    hrana_buf_init(&eb, 0);
    lsql_error e;
    long st = -1;
    const char *p;
    size_t len;
    static const struct {
        const char *path;
        int want;
        const char *msg;
    } cases[] = {
        {"/items-cut", LSQL_HRANA_PROTOCOL, "ends inside an item"},
        {"/items-badlen", LSQL_HRANA_PROTOCOL, "malformed length"},
        {"/items-huge", LSQL_HTTP_TOO_LARGE, "larger than the limit"},
    };
    atomic_store(&t.ctx.sleep_ms, 5000u);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_ok(rhttp_stream_start(t.h, cases[i].path, "{}", 2, &st, &eb, &e));
        if (strcmp(cases[i].path, "/items-huge")) {
            assert_rc(LSQL_ROW, rhttp_stream_item(t.h, &p, &len, &e));
            assert_int_equal(len, 5);
        }
        uint64_t t0 = ht_now_ms();
        assert_rc(cases[i].want, rhttp_stream_item(t.h, &p, &len, &e));
        assert_true(ht_now_ms() - t0 < 2000); /* the huge item: refused at its prefix */
        if (!strstr(e.message, cases[i].msg))
            fail_msg("%s: '%s' lacks '%s'", cases[i].path, e.message, cases[i].msg);
        assert_rc(cases[i].want, rhttp_stream_item(t.h, &p, &len, &e));
        rhttp_stream_end(t.h);
    }
    /* request headers of protobuf bodies, and the answer's content type */
    hrana_buf b;
    hrana_buf_init(&b, 0);
    rhttp_set_protobuf(t.h, true);
    assert_int_equal(ht_req(t.h, "POST", "/echo", "\x0a\x01x", &b), 200);
    char v[128];
    fs_last_header(t.srv, "content-type", v, sizeof v);
    assert_string_equal(v, "application/x-protobuf");
    fs_last_header(t.srv, "accept", v, sizeof v);
    assert_string_equal(v, "application/x-protobuf");
    assert_string_equal(rhttp_content_type(t.h), "application/x-protobuf");
    rhttp_set_protobuf(t.h, false);
    assert_int_equal(ht_req(t.h, "POST", "/echo", "{}", &b), 200);
    fs_last_header(t.srv, "content-type", v, sizeof v);
    assert_string_equal(v, "application/json");
    assert_false(fs_last_header(t.srv, "accept", v, sizeof v) && strstr(v, "protobuf"));
    assert_int_equal(ht_req(t.h, "GET", "/ok", NULL, &b), 200);
    assert_string_equal(rhttp_content_type(t.h), ""); /* none */
    hrana_buf_free(&b);
    hrana_buf_free(&eb);
    ht_down(&t);
}

int main(void)
{
    ht_no_proxy();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(interrupt_thread_request), cmocka_unit_test(interrupt_thread_stream),
        cmocka_unit_test(interrupt_thread_backoff),
        cmocka_unit_test(stream_lines),             cmocka_unit_test(stream_split_lines),
        cmocka_unit_test(stream_flat_memory),       cmocka_unit_test(stream_abort_then_reuse),
        cmocka_unit_test(stream_error_answers),     cmocka_unit_test(stream_timeouts),
        cmocka_unit_test(stream_items),             cmocka_unit_test(stream_items_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
