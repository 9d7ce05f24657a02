/* test_http.c -- the remote transport (src/remote/http.c) against the fake
 * server: keep-alive, headers, statuses, every failure class. The tests
 * with a second client thread and the streams are in test_http_thread.c. */
#include "http_testutil.h"

static void keepalive_reuse(void **state)
{
    (void)state;
    ht_env t = {0};
    ht_up(&t);
    hrana_buf b;
    hrana_buf_init(&b, 16);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(ht_req(t.h, "GET", "/ok", NULL, &b), 200);
        assert_int_equal(b.len, 5);
        assert_memory_equal(b.p, "hello", 5);
        assert_int_equal(ht_req(t.h, "POST", "/echo", "{\"n\":1}", &b), 200);
        assert_int_equal(b.len, 7);
    }
    /* answers with a body of 0 bytes and error statuses keep it too */
    assert_int_equal(ht_req(t.h, "POST", "/echo", NULL, &b), 200);
    assert_int_equal(b.len, 0);
    assert_int_equal(ht_req(t.h, "GET", "/status/500", NULL, &b), 500);
    assert_int_equal(ht_req(t.h, "GET", "/ok", NULL, &b), 200);
    assert_int_equal(fs_requests(t.srv), 13);
    assert_int_equal(fs_connections(t.srv), 1);
    /* the server drops an idle kept-alive connection: the next request
     * connects again transparently */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ht_req(t.h, "GET", "/ok-close", NULL, &b), 200);
        assert_int_equal(b.len, 3);
        if (i == 1) { /* give the FIN time to arrive first, once */
            struct timespec ts = {0, 50 * 1000000L};
            nanosleep(&ts, NULL);
        }
        assert_int_equal(ht_req(t.h, "POST", "/echo", "{}", &b), 200);
        assert_int_equal(b.len, 2);
    }
    assert_int_equal(fs_connections(t.srv), 4);
    hrana_buf_free(&b);
    ht_down(&t);
}

static void headers_sent(void **state)
{
    (void)state;
    ht_env t = {0};
    t.srv = fs_start(ht_handler, &t.ctx);
    fs_url(t.srv, t.url, sizeof t.url);
    ht_cfg(&t.cfg, t.url);
    t.cfg.auth_token = "s3cr3t.tok";
    t.h = ht_new(&t.cfg);
    hrana_buf b;
    hrana_buf_init(&b, 0);
    char v[256];

    assert_int_equal(ht_req(t.h, "POST", "/echo", "{\"a\":[1,2]}", &b), 200);
    fs_last_method(t.srv, v, sizeof v);
    assert_string_equal(v, "POST");
    fs_last_path(t.srv, v, sizeof v);
    assert_string_equal(v, "/echo");
    assert_true(fs_last_header(t.srv, "authorization", v, sizeof v));
    assert_string_equal(v, "Bearer s3cr3t.tok");
    assert_true(fs_last_header(t.srv, "content-type", v, sizeof v));
    assert_string_equal(v, "application/json");
    assert_true(fs_last_header(t.srv, "x-libsql-client-version", v, sizeof v));
    assert_string_equal(v, "lsql-" LSQL_VERSION);
    assert_false(fs_last_header(t.srv, "expect", v, sizeof v));
    size_t n = 0;
    char *body = fs_last_body(t.srv, &n);
    assert_int_equal(n, 11);
    assert_string_equal(body, "{\"a\":[1,2]}");
    free(body);
    /* the server echoed it: the client got exactly those bytes */
    assert_int_equal(b.len, 11);
    assert_memory_equal(b.p, "{\"a\":[1,2]}", 11);

    /* GET: no body, no content-type, same authorization */
    assert_int_equal(ht_req(t.h, "GET", "/ok", NULL, &b), 200);
    fs_last_method(t.srv, v, sizeof v);
    assert_string_equal(v, "GET");
    assert_false(fs_last_header(t.srv, "content-type", v, sizeof v));
    assert_true(fs_last_header(t.srv, "authorization", v, sizeof v));
    body = fs_last_body(t.srv, &n);
    assert_int_equal(n, 0);
    free(body);
    rhttp_free(t.h);

    /* no token, and "" as a token: no authorization header at all */
    const char *toks[] = {NULL, ""};
    for (int i = 0; i < 2; i++) {
        t.cfg.auth_token = toks[i];
        t.h = ht_new(&t.cfg);
        assert_int_equal(ht_req(t.h, "POST", "/echo", "{}", &b), 200);
        assert_false(fs_last_header(t.srv, "authorization", v, sizeof v));
        assert_true(fs_last_header(t.srv, "x-libsql-client-version", v, sizeof v));
        rhttp_free(t.h);
    }

    /* a big body goes through whole (no Expect: 100-continue either) */
    size_t big = 3 << 20;
    char *bb = malloc(big + 1);
    memset(bb, 'q', big);
    bb[big] = 0;
    t.cfg.max_response = 4 << 20;
    t.h = ht_new(&t.cfg);
    assert_int_equal(ht_req(t.h, "POST", "/echo", bb, &b), 200);
    assert_int_equal(b.len, big);
    assert_false(fs_last_header(t.srv, "expect", v, sizeof v));
    free(bb);
    hrana_buf_free(&b);
    ht_down(&t);
}

static void statuses_and_bodies(void **state)
{
    (void)state;
    ht_env t = {0};
    ht_up(&t);
    hrana_buf b;
    hrana_buf_init(&b, 0);
    static const int sts[] = {201, 204, 301, 400, 401, 403, 404, 413, 429, 500, 502, 503, 504};
    for (size_t i = 0; i < sizeof sts / sizeof sts[0]; i++) {
        char path[32], want[64];
        snprintf(path, sizeof path, "/status/%d", sts[i]);
        int wl = snprintf(want, sizeof want, "status %d body", sts[i]);
        long st = ht_req(t.h, i % 2 ? "GET" : "POST", path, i % 2 ? NULL : "{}", &b);
        assert_int_equal(st, sts[i]);
        if (sts[i] == 204) { /* no body by definition */
            assert_int_equal(b.len, 0);
        } else {
            assert_int_equal(b.len, wl);
            assert_memory_equal(b.p, want, (size_t)wl);
        }
        assert_int_equal(rhttp_retry_after(t.h), sts[i] == 429 || sts[i] == 503 ? 7 : -1);
    }
    /* Retry-After as an HTTP date: not used */
    assert_int_equal(ht_req(t.h, "GET", "/retry-date", NULL, &b), 503);
    assert_int_equal(rhttp_retry_after(t.h), -1);
    assert_int_equal(ht_req(t.h, "GET", "/status/429", NULL, &b), 429);
    assert_int_equal(rhttp_retry_after(t.h), 7);
    assert_int_equal(ht_req(t.h, "GET", "/ok", NULL, &b), 200);
    assert_int_equal(rhttp_retry_after(t.h), -1);
    /* the answer replaces what the buffer held */
    hrana_buf_puts(&b, "old content");
    assert_int_equal(ht_req(t.h, "GET", "/ok", NULL, &b), 200);
    assert_int_equal(b.len, 5);
    assert_int_equal(fs_connections(t.srv), 1);
    hrana_buf_free(&b);
    ht_down(&t);
}

static void connect_refused(void **state)
{
    (void)state;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", fs_closed_port());
    rhttp_cfg cfg;
    ht_cfg(&cfg, url);
    rhttp *h = ht_new(&cfg);
    hrana_buf b;
    hrana_buf_init(&b, 0);
    lsql_error e;
    long st = -1;
    int rc = rhttp_request(h, "POST", "/v3/pipeline", "{}", 2, &st, &b, &e);
    assert_rc(LSQL_HTTP_CONNECT, rc);
    assert_int_equal(e.ext_code, LSQL_HTTP_CONNECT);
    assert_int_equal(e.code, LSQL_HTTP);
    assert_true(e.flags & LSQL_ERRF_RETRYABLE);
    assert_int_equal(e.http_status, 0);
    assert_int_equal(st, 0);
    assert_non_null(strstr(e.message, "/v3/pipeline"));
    assert_non_null(strstr(e.message, "connect"));
    /* again: same answer, no crash, handle still fine */
    assert_rc(LSQL_HTTP_CONNECT, rhttp_request(h, "GET", "/x", NULL, 0, &st, &b, &e));
    /* NULL error pointer is accepted */
    assert_rc(LSQL_HTTP_CONNECT, rhttp_request(h, "GET", "/x", NULL, 0, &st, &b, NULL));
    hrana_buf_free(&b);
    rhttp_free(h);
}

static void request_timeout(void **state)
{
    (void)state;
    ht_env t = {0};
    t.ctx.sleep_ms = 5000;
    t.srv = fs_start(ht_handler, &t.ctx);
    fs_url(t.srv, t.url, sizeof t.url);
    ht_cfg(&t.cfg, t.url);
    t.cfg.request_timeout_ms = 300;
    t.h = ht_new(&t.cfg);
    hrana_buf b;
    hrana_buf_init(&b, 0);
    lsql_error e;
    long st = -1;
    uint64_t t0 = ht_now_ms();
    int rc = rhttp_request(t.h, "GET", "/slow", NULL, 0, &st, &b, &e);
    assert_rc(LSQL_HTTP_TIMEOUT, rc);
    assert_true(ht_now_ms() - t0 < 30000);
    assert_true(e.flags & LSQL_ERRF_RETRYABLE);
    assert_non_null(strstr(e.message, "/slow"));
    assert_non_null(strstr(e.message, "timed out"));
    /* the handle works again (on a new connection) */
    assert_int_equal(ht_req(t.h, "GET", "/ok", NULL, &b), 200);
    assert_int_equal(b.len, 5);
    assert_int_equal(fs_connections(t.srv), 2);
    hrana_buf_free(&b);
    ht_down(&t);
}

static void broken_answers(void **state)
{
    (void)state;
    ht_env t = {0};
    ht_up(&t);
    hrana_buf b;
    hrana_buf_init(&b, 0);
    static const struct {
        const char *path;
        int status; /* http_status the error must carry */
    } cases[] = {
        {"/reset", 200}, {"/cut", 200}, {"/cut-chunked", 200}, {"/nothing", 0}, {"/garbage", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lsql_error e;
        long st = -1;
        int rc = rhttp_request(t.h, "POST", cases[i].path, "{}", 2, &st, &b, &e);
        if (rc != LSQL_HTTP_IO)
            fail_msg("%s: got %s: %s", cases[i].path, lsql_errname(rc), e.message);
        assert_true(e.flags & LSQL_ERRF_RETRYABLE);
        assert_int_equal(e.http_status, cases[i].status);
        assert_non_null(strstr(e.message, cases[i].path));
        /* usable right after */
        assert_int_equal(ht_req(t.h, "GET", "/ok", NULL, &b), 200);
    }
    hrana_buf_free(&b);
    ht_down(&t);
}

static void too_large(void **state)
{
    (void)state;
    ht_env t = {0};
    t.srv = fs_start(ht_handler, &t.ctx);
    fs_url(t.srv, t.url, sizeof t.url);
    ht_cfg(&t.cfg, t.url);
    t.cfg.max_response = 1000;
    t.h = ht_new(&t.cfg);
    hrana_buf b;
    hrana_buf_init(&b, 10); /* its max is raised to max_response */
    const char *paths[] = {"/big-cl", "/big-chunked"};
    for (int i = 0; i < 2; i++) {
        lsql_error e;
        long st = -1;
        /* exactly the limit: fine */
        t.ctx.big = 1000;
        assert_int_equal(ht_req(t.h, "GET", paths[i], NULL, &b), 200);
        assert_int_equal(b.len, 1000);
        /* one byte more, and much more (the server is still sending) */
        size_t sizes[] = {1001, 50 << 20};
        for (int k = 0; k < 2; k++) {
            t.ctx.big = sizes[k];
            int rc = rhttp_request(t.h, "GET", paths[i], NULL, 0, &st, &b, &e);
            if (rc != LSQL_HTTP_TOO_LARGE)
                fail_msg("%s %zu: got %s: %s", paths[i], sizes[k], lsql_errname(rc), e.message);
            assert_false(e.flags & LSQL_ERRF_RETRYABLE);
            assert_non_null(strstr(e.message, "1000 bytes"));
            assert_true(b.len <= 1000);
        }
        assert_int_equal(ht_req(t.h, "GET", "/ok", NULL, &b), 200);
    }
    hrana_buf_free(&b);
    ht_down(&t);
}

static void tls_to_plain_server(void **state)
{
    (void)state;
    fakesrv *s = fs_start(ht_handler, NULL);
    char url[64];
    snprintf(url, sizeof url, "https://127.0.0.1:%d", fs_port(s));
    rhttp_cfg cfg;
    ht_cfg(&cfg, url);
    cfg.request_timeout_ms = 5000;
    for (int verify = 0; verify < 2; verify++) {
        for (int h2 = 0; h2 < 2; h2++) {
            cfg.verify_tls = verify;
            cfg.http2 = h2;
            rhttp *h = ht_new(&cfg);
            hrana_buf b;
            hrana_buf_init(&b, 0);
            lsql_error e;
            long st = -1;
            int rc = rhttp_request(h, "POST", "/v3/pipeline", "{}", 2, &st, &b, &e);
            if (rc != LSQL_HTTP_TLS && rc != LSQL_HTTP_CONNECT)
                fail_msg("https to a plain server: %s: %s", lsql_errname(rc), e.message);
            assert_true(strlen(e.message) > 10);
            hrana_buf_free(&b);
            rhttp_free(h);
        }
    }
    /* a CA file that does not exist: a TLS error too, not a crash */
    cfg.verify_tls = true;
    cfg.http2 = false;
    cfg.ca_file = "/nonexistent/ca.pem";
    rhttp *h = ht_new(&cfg);
    hrana_buf b;
    hrana_buf_init(&b, 0);
    lsql_error e;
    long st;
    int rc = rhttp_request(h, "GET", "/ok", NULL, 0, &st, &b, &e);
    if (rc != LSQL_HTTP_TLS && rc != LSQL_HTTP_CONNECT)
        fail_msg("bad CA file: %s: %s", lsql_errname(rc), e.message);
    hrana_buf_free(&b);
    rhttp_free(h);
    fs_stop(s);
}

static void bad_arguments(void **state)
{
    (void)state;
    rhttp_cfg cfg;
    rhttp *h = (rhttp *)1;
    lsql_error e;
    const char *bad[] = {NULL, "", "ftp://x", "localhost:8080", "http://", "https:///",
                         "http://a b", "file:///etc/passwd"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ht_cfg(&cfg, bad[i]);
        h = (rhttp *)1;
        int rc = rhttp_new(&cfg, &h, &e);
        if (rc != LSQL_INVALID_URL)
            fail_msg("'%s': got %s", bad[i] ? bad[i] : "(null)", lsql_errname(rc));
        assert_null(h);
    }
    assert_rc(LSQL_INVALID_ARG, rhttp_new(NULL, &h, &e));
    /* trailing slashes are dropped; defaults for zero settings */
    fakesrv *s = fs_start(ht_handler, NULL);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d//", fs_port(s));
    memset(&cfg, 0, sizeof cfg);
    cfg.base = url;
    h = ht_new(&cfg);
    hrana_buf b;
    hrana_buf_init(&b, 0);
    assert_int_equal(ht_req(h, "GET", "/ok", NULL, &b), 200);
    char p[64];
    fs_last_path(s, p, sizeof p);
    assert_string_equal(p, "/ok");
    long st;
    assert_rc(LSQL_INVALID_ARG, rhttp_request(h, "PUT", "/ok", NULL, 0, &st, &b, &e));
    assert_rc(LSQL_INVALID_ARG, rhttp_request(h, NULL, "/ok", NULL, 0, &st, &b, &e));
    assert_rc(LSQL_INVALID_ARG, rhttp_request(h, "GET", "/ok", NULL, 0, &st, NULL, &e));
    assert_rc(LSQL_MISUSE_STATE, rhttp_stream_line(h, &(const char *){0}, &(size_t){0}, &e));
    rhttp_stream_end(h); /* harmless without a stream */
    assert_false(rhttp_streaming(h));
    assert_int_equal(ht_req(h, "GET", "/ok", NULL, &b), 200);
    hrana_buf_free(&b);
    rhttp_free(h);
    rhttp_free(NULL);
    fs_stop(s);
}

int main(void)
{
    ht_no_proxy();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keepalive_reuse),    cmocka_unit_test(headers_sent),
        cmocka_unit_test(statuses_and_bodies), cmocka_unit_test(connect_refused),
        cmocka_unit_test(request_timeout),    cmocka_unit_test(broken_answers),
        cmocka_unit_test(too_large),          cmocka_unit_test(tls_to_plain_server),
        cmocka_unit_test(bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
