/* srv_testutil.h -- helpers of the lsqld tests: an in-process server on an
 * ephemeral loopback port, a libcurl client, JSON lookups by path. */
#ifndef LSQLD_SRV_TESTUTIL_H
#define LSQLD_SRV_TESTUTIL_H

#include "testutil.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "server.h"

typedef struct tsrv {
    lsqld_server *s;
    int port;
    char db[1024];
} tsrv;

/* Defaults for tests: loopback, ephemeral port, a fresh database file. */
static inline void ts_config(lsqld_config *c, tsrv *t, const char *name)
{
    lsqld_config_defaults(c);
    c->listen = "127.0.0.1:0";
    snprintf(t->db, sizeof t->db, "%s", tu_db_path(name));
    c->db_path = t->db;
}

static inline void ts_start(tsrv *t, const lsqld_config *c)
{
    char err[512];
    if (lsqld_start(c, &t->s, err, sizeof err))
        fail_msg("lsqld_start: %s", err);
    t->port = lsqld_port(t->s);
    assert_true(t->port > 0);
}

static inline void ts_stop(tsrv *t)
{
    lsqld_stop(t->s);
    t->s = NULL;
    tu_db_remove(t->db);
}

typedef struct tresp {
    long status;
    char *body;
    size_t len;
    char ctype[128];
    char allow_origin[64];
} tresp;

static size_t ts_write_cb(char *p, size_t size, size_t n, void *ctx)
{
    tresp *r = ctx;
    size_t add = size * n;
    char *q = realloc(r->body, r->len + add + 1);
    if (!q)
        return 0;
    memcpy(q + r->len, p, add);
    r->len += add;
    q[r->len] = 0;
    r->body = q;
    return add;
}

static size_t ts_header_cb(char *p, size_t size, size_t n, void *ctx)
{
    tresp *r = ctx;
    size_t len = size * n;
    static const char h[] = "access-control-allow-origin:";
    if (len > sizeof h && !strncasecmp(p, h, sizeof h - 1)) {
        size_t i = sizeof h - 1;
        while (i < len && p[i] == ' ')
            i++;
        size_t k = 0;
        while (i < len && p[i] != '\r' && p[i] != '\n' && k + 1 < sizeof r->allow_origin)
            r->allow_origin[k++] = p[i++];
        r->allow_origin[k] = 0;
    }
    return len;
}

static inline void ts_free(tresp *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* NULL: every request opens (and closes) its own TCP connection. Set, by a
 * test whose server has a small max_connections: ts_http sends every
 * request of the calling thread on this one libcurl handle, so they share
 * one kept-alive connection. (A connection closed by the client still
 * counts against the server's limit until its thread has seen the close;
 * a client opening connection after connection can outrun that and be
 * refused.) */
static _Thread_local CURL *ts_keepalive;
static _Thread_local long ts_keepalive_connects; /* TCP connections it opened */

static inline void ts_keepalive_begin(void)
{
    assert_null(ts_keepalive);
    ts_keepalive = curl_easy_init();
    assert_non_null(ts_keepalive);
    ts_keepalive_connects = 0;
}

/* Returns the number of TCP connections the handle opened. */
static inline long ts_keepalive_end(void)
{
    assert_non_null(ts_keepalive);
    curl_easy_cleanup(ts_keepalive);
    ts_keepalive = NULL;
    return ts_keepalive_connects;
}

/* One HTTP request to 127.0.0.1:port. body may be NULL (GET). auth: the
 * whole Authorization header value or NULL. */
static inline void ts_http(int port, const char *method, const char *path, const char *body,
                           size_t len, const char *auth, tresp *r)
{
    memset(r, 0, sizeof *r);
    CURL *c = ts_keepalive;
    if (c)
        curl_easy_reset(c); /* keeps the connection cache */
    else
        c = curl_easy_init();
    assert_non_null(c);
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ts_write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, ts_header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    struct curl_slist *h = NULL;
    char ah[8192];
    if (auth) {
        snprintf(ah, sizeof ah, "Authorization: %s", auth);
        h = curl_slist_append(h, ah);
    }
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    if (strcmp(method, body ? "POST" : "GET"))
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (!strcmp(method, "HEAD"))
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        fail_msg("%s %s: %s", method, path, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    char *ct = NULL;
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    snprintf(r->ctype, sizeof r->ctype, "%s", ct ? ct : "");
    curl_slist_free_all(h);
    if (c == ts_keepalive) {
        long n = 0;
        curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &n); /* for this transfer */
        ts_keepalive_connects += n;
    } else {
        curl_easy_cleanup(c);
    }
}

static inline json_t *ts_parse(const tresp *r)
{
    json_error_t je;
    json_t *j = json_loadb(r->body ? r->body : "", r->len, JSON_ALLOW_NUL, &je);
    if (!j)
        fail_msg("response is not JSON (%s): %.300s", je.text, r->body ? r->body : "");
    return j;
}

/* Looks up "a.b[2].c" in j; NULL when missing. */
static inline json_t *jget(json_t *j, const char *path)
{
    const char *p = path;
    while (j && *p) {
        if (*p == '.') {
            p++;
            continue;
        }
        if (*p == '[') {
            size_t i = (size_t)strtoul(p + 1, (char **)&p, 10);
            if (*p == ']')
                p++;
            j = json_is_array(j) ? json_array_get(j, i) : NULL;
            continue;
        }
        char key[64];
        size_t k = 0;
        while (*p && *p != '.' && *p != '[' && k + 1 < sizeof key)
            key[k++] = *p++;
        key[k] = 0;
        j = json_is_object(j) ? json_object_get(j, key) : NULL;
    }
    return j;
}

static inline const char *jstr(json_t *j, const char *path)
{
    json_t *v = jget(j, path);
    if (!json_is_string(v))
        fail_msg("%s: not a string in %s", path, json_dumps(j, JSON_COMPACT));
    return json_string_value(v);
}

static inline void assert_jnull(json_t *j, const char *path)
{
    json_t *v = jget(j, path);
    if (!json_is_null(v))
        fail_msg("%s: expected null", path);
}

/* POST /v2/pipeline {"baton":baton,"requests":[requests]}; returns the
 * parsed body and the status. */
static inline json_t *ts_pipeline_v(int port, const char *path, const char *auth,
                                    const char *baton, const char *requests, long *status)
{
    size_t n = strlen(requests) + 256;
    char *body = malloc(n);
    assert_non_null(body);
    if (baton)
        snprintf(body, n, "{\"baton\":\"%s\",\"requests\":[%s]}", baton, requests);
    else
        snprintf(body, n, "{\"baton\":null,\"requests\":[%s]}", requests);
    tresp r;
    ts_http(port, "POST", path, body, strlen(body), auth, &r);
    free(body);
    json_t *j = ts_parse(&r);
    if (status)
        *status = r.status;
    ts_free(&r);
    return j;
}

static inline json_t *ts_pipeline(tsrv *t, const char *baton, const char *requests, long *status)
{
    return ts_pipeline_v(t->port, "/v2/pipeline", NULL, baton, requests, status);
}

/* One execute request on a new stream (closed after). Returns the result of
 * results[0] (the whole body, decref it). */
static inline json_t *ts_exec(tsrv *t, const char *stmt_json)
{
    char req[65536];
    snprintf(req, sizeof req, "{\"type\":\"execute\",\"stmt\":%s},{\"type\":\"close\"}", stmt_json);
    long st;
    json_t *j = ts_pipeline(t, NULL, req, &st);
    assert_int_equal(st, 200);
    return j;
}

/* Runs SQL that must succeed on a fresh stream. */
static inline void ts_sql(tsrv *t, const char *sql)
{
    json_t *s = json_pack("{s:s}", "sql", sql);
    char *stmt = json_dumps(s, JSON_COMPACT);
    json_t *j = ts_exec(t, stmt);
    if (strcmp(jstr(j, "results[0].type"), "ok"))
        fail_msg("%s: %s", sql, json_dumps(j, JSON_COMPACT));
    json_decref(j);
    free(stmt);
    json_decref(s);
}

/* Copies the baton of a response (asserting it is a string). */
static inline void ts_baton(json_t *j, char *out, size_t cap)
{
    snprintf(out, cap, "%s", jstr(j, "baton"));
}

/* ---- a raw HTTP client (no library: a test controls what is sent, when) -- */

/* A connection to 127.0.0.1:port whose reads fail after 120 s rather than
 * hang. */
static inline int ts_raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct timeval tv = {120, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* Sends all n bytes (fails the test if the peer goes away). */
static inline void ts_raw_send(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
        assert_true(k > 0);
        c += k;
        n -= (size_t)k;
    }
}

#endif
