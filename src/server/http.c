/* http.c -- libmicrohttpd glue: one thread per connection (a request that
 * waits for the write lock blocks only its own connection), routing of the
 * Hrana endpoints (JSON under /v2 and /v3, protobuf under /v3-protobuf),
 * request bodies, auth, CORS, metrics and access logs.
 *
 * Answers are queued in the last call of the access handler (after the
 * body, even an empty one): a response queued in the first call makes
 * libmicrohttpd stop reading the connection and close it after the answer.
 * Only refusals of a POST body (auth, size, shutdown) are sent early, on
 * purpose: the body is not read and the connection is closed. */
#include "http.h"
#include "exec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/types.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sqlite3.h>

enum { K_NONE = 0, K_PIPELINE, K_CURSOR };

/* What to answer in the last call. */
enum {
    R_HRANA = 0, /* K_PIPELINE / K_CURSOR */
    R_HEALTH,
    R_VERSION,
    R_PROBE_V2,
    R_PROBE_V3,
    R_PROBE_V3_PB,
    R_METRICS,
    R_OPTIONS,
    R_NOT_FOUND,
    R_NOT_ALLOWED /* 405 with `allow` */
};

/* A body declared (Content-Length) over the limit by at most this factor
 * is read and dropped before the 413; a larger one is refused at once and
 * the connection closed without reading it. */
#define LSQLD_DRAIN_FACTOR 4

typedef struct req {
    int endpoint;   /* EP_* */
    int kind;       /* K_* for POST endpoints */
    const lsqld_out *out; /* their encoding */
    int route;      /* R_* */
    const char *allow;
    int access;
    int64_t t0_us;
    char *body;
    size_t len, cap;
    int too_large;
    unsigned long long declared; /* Content-Length of a body drained for a 413 */
    int responded;
    int status;
    const char *error_code;
    char method[8];
    char path[64];
} req;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Queues resp (headers added) and drops our reference to it. */
static enum MHD_Result queue(lsqld_server *s, struct MHD_Connection *c, req *r, int status,
                             const char *ctype, struct MHD_Response *resp)
{
    if (ctype)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    if (atomic_load(&s->draining))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    r->responded = 1;
    r->status = status;
    return ret;
}

static enum MHD_Result respond(lsqld_server *s, struct MHD_Connection *c, req *r, int status,
                               const char *ctype, char *body, size_t len, int owned)
{
    struct MHD_Response *resp;
    if (body && owned)
        resp = MHD_create_response_from_buffer_with_free_callback(len, body, free);
    else
        resp = MHD_create_response_from_buffer(len, (void *)(body ? body : ""),
                                               MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        if (owned)
            free(body);
        return MHD_NO;
    }
    return queue(s, c, r, status, ctype, resp);
}

static enum MHD_Result respond_reply(lsqld_server *s, struct MHD_Connection *c, req *r,
                                     lsqld_reply *rep)
{
    r->error_code = rep->error_code;
    if (rep->error_code)
        lsqld_metrics_error(&s->metrics, rep->error_code);
    return respond(s, c, r, rep->status, rep->content_type, rep->body, rep->len, 1);
}

static enum MHD_Result respond_error(lsqld_server *s, struct MHD_Connection *c, req *r,
                                     int status, const char *code, const char *msg)
{
    lsqld_reply rep;
    lsqld_reply_error(&rep, status, code, msg);
    return respond_reply(s, c, r, &rep);
}

/* ---- cursors: a body produced while it is sent ---------------------------- */

/* What libmicrohttpd asks for at a time (it may ask for less). */
#define CURSOR_BLOCK (32u * 1024)

/* Called in the connection's thread whenever the socket takes more: runs
 * the cursor's batch as far as needed (a blocking producer is fine with a
 * thread per connection). */
static ssize_t cursor_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    if (!max)
        return 0; /* nothing asked: "no data now" */
    long n = lsqld_cursor_read(cls, buf, max);
    if (n > 0)
        return (ssize_t)n;
    return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

/* When the response is done with: after its end, or when the client went
 * away, or the connection was closed at shutdown. */
static void cursor_release(void *cls)
{
    lsqld_cursor_free(cls);
}

static enum MHD_Result respond_cursor(lsqld_server *s, struct MHD_Connection *c, req *r)
{
    lsqld_cursor *cur;
    lsqld_reply rep;
    if (lsqld_cursor_open(s, r->out, r->body, r->len, r->access, &cur, &rep))
        return respond_reply(s, c, r, &rep);
    /* unknown size: chunked transfer encoding (HTTP/1.1) */
    struct MHD_Response *resp = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, CURSOR_BLOCK, cursor_reader, cur, cursor_release);
    if (!resp) {
        lsqld_cursor_free(cur);
        return MHD_NO;
    }
    return queue(s, c, r, 200, r->out->cursor_content_type, resp);
}

static enum MHD_Result respond_text(lsqld_server *s, struct MHD_Connection *c, req *r,
                                    int status, const char *text)
{
    return respond(s, c, r, status, "text/plain; charset=utf-8", (char *)text, strlen(text), 0);
}

/* strlcpy (for the access log) */
static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

/* "//v3//pipeline/" -> "/v3/pipeline" */
static void normalise(const char *url, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = url; *p && n + 1 < cap; p++) {
        if (*p == '/' && n && out[n - 1] == '/')
            continue;
        out[n++] = *p;
    }
    if (n > 1 && out[n - 1] == '/')
        n--;
    if (n == 0)
        out[n++] = '/';
    out[n] = 0;
}

static enum MHD_Result options(lsqld_server *s, struct MHD_Connection *c, req *r)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"",
                                                                MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    const char *want =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Access-Control-Request-Headers");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    MHD_add_response_header(resp, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    MHD_add_response_header(resp, "Access-Control-Allow-Headers",
                            want && *want && strlen(want) < 1024
                                ? want
                                : "Authorization, Content-Type, X-Libsql-Client-Version");
    MHD_add_response_header(resp, "Access-Control-Max-Age", "86400");
    if (atomic_load(&s->draining))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(c, 204, resp);
    MHD_destroy_response(resp);
    r->responded = 1;
    r->status = 204;
    return ret;
}

static enum MHD_Result method_not_allowed(lsqld_server *s, struct MHD_Connection *c, req *r,
                                          const char *allow)
{
    lsqld_reply rep;
    lsqld_reply_error(&rep, 405, "METHOD_NOT_ALLOWED", "method not allowed on this endpoint");
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(rep.len, rep.body, free);
    if (!resp) {
        free(rep.body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ret = MHD_queue_response(c, 405, resp);
    MHD_destroy_response(resp);
    lsqld_metrics_error(&s->metrics, "METHOD_NOT_ALLOWED");
    r->responded = 1;
    r->status = 405;
    r->error_code = "METHOD_NOT_ALLOWED";
    return ret;
}

/* The Hrana POST endpoints. */
static const struct hrana_route {
    const char *path;
    int kind, endpoint;
    const lsqld_out *out;
} hrana_routes[] = {
    {"/v2/pipeline", K_PIPELINE, EP_PIPELINE, &lsqld_out_json},
    {"/v3/pipeline", K_PIPELINE, EP_PIPELINE, &lsqld_out_json},
    {"/v3/cursor", K_CURSOR, EP_CURSOR, &lsqld_out_json},
    {"/v3-protobuf/pipeline", K_PIPELINE, EP_PIPELINE_PB, &lsqld_out_pb},
    {"/v3-protobuf/cursor", K_CURSOR, EP_CURSOR_PB, &lsqld_out_pb},
};

static const struct hrana_route *hrana_route(const char *path)
{
    for (size_t i = 0; i < sizeof hrana_routes / sizeof hrana_routes[0]; i++)
        if (!strcmp(path, hrana_routes[i].path))
            return &hrana_routes[i];
    return NULL;
}

/* First call of a request: route; check auth and the announced size of
 * POST bodies (refused at once, without reading the body). Everything else
 * is answered by `answer` in the last call. */
static enum MHD_Result first_call(lsqld_server *s, struct MHD_Connection *c, req *r,
                                  const char *url, const char *method)
{
    char path[256];
    normalise(url, path, sizeof path);
    copy_str(r->method, sizeof r->method, method);
    copy_str(r->path, sizeof r->path, path);
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    int post = !strcmp(method, "POST");
    r->endpoint = EP_OTHER;
    if (atomic_load_explicit(&s->draining, memory_order_relaxed))
        return respond_error(s, c, r, 503, "SHUTTING_DOWN", "the server is shutting down");
    if (!strcmp(method, "OPTIONS")) {
        r->endpoint = EP_OPTIONS;
        r->route = R_OPTIONS;
        return MHD_YES;
    }
    int route = R_NOT_FOUND;
    r->allow = "GET";
    const struct hrana_route *hr = hrana_route(path);
    if (hr) {
        r->endpoint = hr->endpoint;
        if (!post) {
            r->route = R_NOT_ALLOWED;
            r->allow = "POST, OPTIONS";
            return MHD_YES;
        }
        r->kind = hr->kind;
        r->out = hr->out;
        r->route = R_HRANA;
        lsqld_auth_result ar;
        const char *hdr = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
        if (lsqld_auth_check(&s->auth, hdr, (int64_t)time(NULL), &ar))
            return respond_error(s, c, r, 401, ar.code, ar.message);
        r->access = ar.access;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            unsigned long long n = strtoull(cl, NULL, 10);
            if (n > s->cfg.limits.max_body &&
                n / LSQLD_DRAIN_FACTOR <= s->cfg.limits.max_body) {
                /* read and drop the body, then answer 413 on a connection
                 * that stays usable: a client still sending would otherwise
                 * meet a reset instead of the answer */
                r->too_large = 1;
                r->declared = n;
                return MHD_YES;
            }
            if (n > s->cfg.limits.max_body) {
                char msg[128];
                snprintf(msg, sizeof msg, "body of %llu bytes is larger than the limit of %zu",
                         n, s->cfg.limits.max_body);
                return respond_error(s, c, r, 413, "BODY_TOO_LARGE", msg);
            }
            /* the whole body in one allocation */
            if (n > 0) {
                r->body = malloc((size_t)n);
                if (r->body)
                    r->cap = (size_t)n;
            }
        }
        return MHD_YES; /* wait for the body */
    }
    if (!strcmp(path, "/health")) {
        r->endpoint = EP_HEALTH;
        route = R_HEALTH;
    } else if (!strcmp(path, "/version")) {
        r->endpoint = EP_VERSION;
        route = R_VERSION;
    } else if (!strcmp(path, "/v2") || !strcmp(path, "/v3")) {
        r->endpoint = EP_PROBE;
        route = path[2] == '2' ? R_PROBE_V2 : R_PROBE_V3;
    } else if (!strcmp(path, "/v3-protobuf")) {
        r->endpoint = EP_PROBE;
        route = R_PROBE_V3_PB;
    } else if (!strcmp(path, "/metrics")) {
        r->endpoint = EP_METRICS;
        route = R_METRICS;
    } else {
        r->route = R_NOT_FOUND;
        return MHD_YES;
    }
    r->route = get ? route : R_NOT_ALLOWED;
    return MHD_YES;
}

/* The last call of a request that is not a Hrana POST. */
static enum MHD_Result answer(lsqld_server *s, struct MHD_Connection *c, req *r)
{
    switch (r->route) {
    case R_OPTIONS:
        return options(s, c, r);
    case R_HEALTH:
        return respond_text(s, c, r, 200, "");
    case R_VERSION: {
        char version[128];
        int n = snprintf(version, sizeof version, "lsqld %s (lsql %s, SQLite %s)\n",
                         LSQLD_VERSION, lsql_libversion(), sqlite3_libversion());
        char *text = malloc((size_t)n + 1);
        if (!text)
            return MHD_NO;
        memcpy(text, version, (size_t)n + 1);
        return respond(s, c, r, 200, "text/plain; charset=utf-8", text, (size_t)n, 1);
    }
    case R_PROBE_V2:
        return respond_text(s, c, r, 200, "lsqld: Hrana over HTTP, version 2 (JSON)\n");
    case R_PROBE_V3:
        return respond_text(s, c, r, 200, "lsqld: Hrana over HTTP, version 3 (JSON)\n");
    case R_PROBE_V3_PB:
        return respond_text(s, c, r, 200, "lsqld: Hrana over HTTP, version 3 (protobuf)\n");
    case R_METRICS: {
        hrana_buf b;
        hrana_buf_init(&b, 1u << 20);
        lsqld_metrics_render(&s->metrics, &b);
        lsqld_pool_metrics_render(s, &b);
        size_t len;
        char *text = hrana_buf_detach(&b, &len);
        return respond(s, c, r, 200, "text/plain; version=0.0.4", text, len, 1);
    }
    case R_NOT_ALLOWED:
        return method_not_allowed(s, c, r, r->allow);
    default:
        return respond_error(s, c, r, 404, "NOT_FOUND", "no such endpoint");
    }
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version,
                               const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    lsqld_server *s = cls;
    req *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->t0_us = now_us();
        *con_cls = r;
        atomic_fetch_add(&s->active, 1);
        atomic_fetch_add_explicit(&s->metrics.http_active, 1, memory_order_relaxed);
        return first_call(s, c, r, url, method);
    }
    if (r->responded) { /* answered early (401, 413...): drop the body */
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->kind == K_NONE) { /* a body nobody reads */
        if (*upload_size) {
            *upload_size = 0;
            return MHD_YES;
        }
        return answer(s, c, r);
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (r->too_large || r->len + n > s->cfg.limits.max_body) {
            r->too_large = 1;
            return MHD_YES;
        }
        if (r->len + n > r->cap) {
            size_t cap = r->cap ? r->cap : 4096;
            while (cap < r->len + n)
                cap *= 2;
            if (cap > s->cfg.limits.max_body)
                cap = s->cfg.limits.max_body;
            char *p = realloc(r->body, cap);
            if (!p)
                return MHD_NO;
            r->body = p;
            r->cap = cap;
        }
        memcpy(r->body + r->len, upload, n);
        r->len += n;
        return MHD_YES;
    }
    if (r->too_large) {
        char msg[128];
        if (r->declared)
            snprintf(msg, sizeof msg, "body of %llu bytes is larger than the limit of %zu",
                     r->declared, s->cfg.limits.max_body);
        else
            snprintf(msg, sizeof msg, "body is larger than the limit of %zu bytes",
                     s->cfg.limits.max_body);
        return respond_error(s, c, r, 413, "BODY_TOO_LARGE", msg);
    }
    if (r->kind == K_CURSOR)
        return respond_cursor(s, c, r);
    lsqld_reply rep;
    lsqld_exec_pipeline(s, r->out, r->body, r->len, r->access, &rep);
    return respond_reply(s, c, r, &rep);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)c;
    (void)toe;
    lsqld_server *s = cls;
    req *r = *con_cls;
    if (!r)
        return;
    *con_cls = NULL;
    int64_t us = now_us() - r->t0_us;
    lsqld_metrics_http(&s->metrics, r->endpoint, r->status, (uint64_t)(us > 0 ? us : 0));
    if (lsqld_log_on(&s->log, LSQLD_LOG_DEBUG))
        lsqld_log(&s->log, LSQLD_LOG_DEBUG, "%s %s %d%s%s %.3f ms", r->method, r->path,
                  r->status, r->error_code ? " " : "", r->error_code ? r->error_code : "",
                  us / 1000.0);
    free(r->body);
    free(r);
    atomic_fetch_sub_explicit(&s->metrics.http_active, 1, memory_order_relaxed);
    /* lsqld_stop sets draining before it waits for active to reach 0 */
    if (atomic_fetch_sub(&s->active, 1) == 1 && atomic_load(&s->draining)) {
        pthread_mutex_lock(&s->active_mu);
        pthread_cond_broadcast(&s->active_cv);
        pthread_mutex_unlock(&s->active_mu);
    }
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    lsqld_server *s = cls;
    if (!lsqld_log_on(&s->log, LSQLD_LOG_WARN))
        return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = 0;
    lsqld_log(&s->log, LSQLD_LOG_WARN, "http: %s", msg);
}

int lsqld_http_start(lsqld_server *s, int ipv6, char *err, size_t errlen)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_USE_AUTO;
    if (ipv6)
        flags |= MHD_USE_IPv6;
    s->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, handler, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)s->listen_fd, MHD_OPTION_NOTIFY_COMPLETED,
        completed, s, MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->cfg.max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->cfg.http_idle_timeout_s, MHD_OPTION_END);
    if (!s->mhd) {
        snprintf(err, errlen, "cannot start the HTTP server (libmicrohttpd)");
        return -1;
    }
    return 0;
}

void lsqld_http_quiesce(lsqld_server *s)
{
    if (!s->mhd)
        return;
    MHD_socket fd = MHD_quiesce_daemon(s->mhd);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    s->listen_fd = -1;
}

void lsqld_http_stop(lsqld_server *s)
{
    if (!s->mhd)
        return;
    MHD_stop_daemon(s->mhd);
    s->mhd = NULL;
}
