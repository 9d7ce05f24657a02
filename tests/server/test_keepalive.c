/* test_keepalive.c -- HTTP/1.1 keep-alive: every answer (GET endpoints,
 * errors, CORS preflight, pipelines) leaves the connection open for the
 * next request, except refusals of a POST body sent before reading it (401,
 * 413), which close it. One libcurl handle sends the requests in turn;
 * CURLINFO_NUM_CONNECTS tells whether a request needed a new connection. */
#include "srv_testutil.h"

typedef struct ka {
    CURL *c;
    int port;
    int saw_close; /* "Connection: close" in the last answer */
    char body[4096];
    size_t len;
} ka;

static size_t ka_body(char *p, size_t size, size_t n, void *ctx)
{
    ka *k = ctx;
    size_t add = size * n;
    size_t room = sizeof k->body - 1 - k->len;
    memcpy(k->body + k->len, p, add < room ? add : room);
    k->len += add < room ? add : room;
    k->body[k->len] = 0;
    return add;
}

static size_t ka_header(char *p, size_t size, size_t n, void *ctx)
{
    ka *k = ctx;
    size_t len = size * n;
    static const char h[] = "connection:";
    if (len >= sizeof h - 1 && !strncasecmp(p, h, sizeof h - 1)) {
        for (size_t i = sizeof h - 1; i + 5 <= len; i++)
            if (!strncasecmp(p + i, "close", 5))
                k->saw_close = 1;
    }
    return len;
}

/* One request on the shared handle; returns the status. *fresh: it needed
 * a new TCP connection. */
static long ka_req(ka *k, const char *method, const char *path, const char *body,
                   const char *auth, int *fresh)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", k->port, path);
    CURL *c = k->c;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_NOBODY, 0L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    if (strcmp(method, body ? "POST" : "GET"))
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    struct curl_slist *h = curl_slist_append(NULL, "Expect:");
    char ah[512];
    if (auth) {
        snprintf(ah, sizeof ah, "Authorization: %s", auth);
        h = curl_slist_append(h, ah);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    k->saw_close = 0;
    k->len = 0;
    k->body[0] = 0;
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(h);
    if (rc != CURLE_OK)
        fail_msg("%s %s: %s", method, path, curl_easy_strerror(rc));
    long status = 0, connects = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
    *fresh = connects > 0;
    return status;
}

/* The request is answered `status` and the connection stays open: the
 * next request reuses it. */
static void kept(ka *k, const char *method, const char *path, const char *body, long status)
{
    int fresh;
    long st = ka_req(k, method, path, body, NULL, &fresh);
    if (st != status)
        fail_msg("%s %s: %ld, want %ld (%s)", method, path, st, status, k->body);
    if (k->saw_close)
        fail_msg("%s %s: answered with Connection: close", method, path);
    st = ka_req(k, "GET", "/health", NULL, NULL, &fresh);
    assert_int_equal(st, 200);
    if (fresh)
        fail_msg("%s %s: the next request needed a new connection", method, path);
}

static void test_keepalive(void **state)
{
    (void)state;
    tsrv t;
    lsqld_config c;
    ts_config(&c, &t, "keepalive");
    c.ntokens = 1;
    c.tokens[0] = "secret";
    ts_start(&t, &c);
    ka k = {.c = curl_easy_init(), .port = t.port};
    assert_non_null(k.c);
    curl_easy_setopt(k.c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(k.c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(k.c, CURLOPT_WRITEFUNCTION, ka_body);
    curl_easy_setopt(k.c, CURLOPT_WRITEDATA, &k);
    curl_easy_setopt(k.c, CURLOPT_HEADERFUNCTION, ka_header);
    curl_easy_setopt(k.c, CURLOPT_HEADERDATA, &k);
    int fresh;
    assert_int_equal(ka_req(&k, "GET", "/health", NULL, NULL, &fresh), 200);
    assert_true(fresh);
    assert_int_equal(k.saw_close, 0);
    kept(&k, "GET", "/health", NULL, 200);
    kept(&k, "HEAD", "/health", NULL, 200);
    assert_int_equal(ka_req(&k, "GET", "/version", NULL, NULL, &fresh), 200);
    assert_non_null(strstr(k.body, "lsqld "));
    kept(&k, "GET", "/version", NULL, 200);
    kept(&k, "GET", "/v2", NULL, 200);
    kept(&k, "GET", "/v3", NULL, 200);
    kept(&k, "GET", "/metrics", NULL, 200);
    kept(&k, "GET", "/v3-protobuf", NULL, 200);
    kept(&k, "GET", "/nope", NULL, 404);
    kept(&k, "POST", "/nope", "{\"a\":1}", 404);
    kept(&k, "POST", "/health", "x", 405);
    kept(&k, "GET", "/v2/pipeline", NULL, 405);
    kept(&k, "OPTIONS", "/v2/pipeline", NULL, 204);
    /* the pipeline itself (with the token) */
    int f2;
    long st = ka_req(&k, "POST", "/v2/pipeline",
                     "{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT 1\"}},"
                     "{\"type\":\"close\"}]}",
                     "Bearer secret", &f2);
    assert_int_equal(st, 200);
    assert_int_equal(k.saw_close, 0);
    assert_int_equal(ka_req(&k, "GET", "/health", NULL, NULL, &f2), 200);
    assert_false(f2);
    /* a body refused before it is read: the connection closes */
    st = ka_req(&k, "POST", "/v2/pipeline", "{\"requests\":[]}", NULL, &f2);
    assert_int_equal(st, 401);
    assert_true(k.saw_close);
    assert_int_equal(ka_req(&k, "GET", "/health", NULL, NULL, &f2), 200);
    assert_true(f2);
    curl_easy_cleanup(k.c);
    ts_stop(&t);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keepalive),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
