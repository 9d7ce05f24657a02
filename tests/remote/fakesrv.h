/* fakesrv.h -- a small, deliberately misbehaving HTTP/1.1 server for tests.
 *
 * Header-only (static inline): include it in a test_*.c. It listens on
 * 127.0.0.1 with a kernel-chosen port, accepts connections in a thread and
 * serves each connection in its own thread (keep-alive: many requests per
 * connection, pipelined bytes kept). For every request it calls the test's
 * handler, which decides the answer with the fs_* helpers below -- or
 * misbehaves on purpose.
 *
 *   static void handler(fs_conn *c, const fs_req *r, void *ud)
 *   {
 *       if (!strcmp(r->path, "/v3/pipeline"))
 *           fs_respond_json(c, 200, "{\"baton\":null,\"results\":[]}");
 *       else
 *           fs_respond(c, 404, NULL, "not found", 9);
 *   }
 *   fakesrv *s = fs_start(handler, NULL);
 *   char url[64]; fs_url(s, url, sizeof url);     // "http://127.0.0.1:PORT"
 *   ... client requests ...
 *   assert_int_equal(fs_connections(s), 1);        // keep-alive reuse
 *   char tok[256]; fs_last_header(s, "authorization", tok, sizeof tok);
 *   fs_stop(s);
 *
 * Answers (all return 0, or -1 once the peer is gone; send errors never
 * raise SIGPIPE):
 *   fs_respond(c, status, extra_headers, body, n)   whole answer with Content-Length
 *   fs_respond_json(c, status, json)                 same, content-type application/json
 *   fs_respond_pb(c, status, body, n)                same, content-type application/x-protobuf
 *                                                    (Hrana 3 protobuf answers: fakehrana.h)
 *   fs_send_head(c, status, extra_headers, len)      status line + headers; len >= 0:
 *                                                    Content-Length, len < 0: chunked
 *   fs_send_body(c, p, n)                            body bytes (one chunk when chunked)
 *   fs_send_fill(c, byte, n)                         n body bytes of `byte` (huge bodies)
 *   fs_end(c)                                        ends a chunked body ("0\r\n\r\n")
 *   fs_send_raw(c, p, n)                             raw bytes, no framing (garbage, bad
 *                                                    chunk sizes, a second status line...)
 *   fs_sleep_ms(c, ms)                               pause (slow answers, timeouts);
 *                                                    returns early when the server stops
 *   fs_close(c)                                      close the connection now (FIN): with
 *                                                    nothing sent = "close without answering",
 *                                                    after a partial body = truncated answer
 *   fs_reset(c)                                      close with SO_LINGER 0 (RST)
 * extra_headers: NULL or lines with their CRLF ("Retry-After: 2\r\n").
 * A handler that returns without answering or closing gets its connection
 * closed. A connection stays open for the next request only when the
 * handler answered completely (fs_respond, or fs_send_head with a length
 * and that many bytes, or chunked + fs_end) and the request did not say
 * "Connection: close".
 *
 * Records (thread-safe): fs_requests() and fs_connections() count requests
 * and accepted TCP connections; fs_last_*() copy the last request's method,
 * path, header (case-insensitive) and body. Inside the handler, r->conn_no
 * says which connection (1-based, in accept order) a request came on and
 * r->conn_req_no its rank on it.
 *
 * Request parsing: request line, headers (up to 64 KiB), a Content-Length
 * or chunked body, "Expect: 100-continue" answered with 100 Continue.
 * A malformed request gets "400" and the connection is closed.
 *
 * Handlers run in the server's connection threads. The client may send its
 * next request as soon as it has the whole answer -- possibly before the
 * handler has returned -- so a handler should read the test's parameters
 * once, at its start, and they should be atomics (or set before fs_start).
 *
 * fs_closed_port() gives a port on 127.0.0.1 where nothing listens (bound,
 * then closed), for connection-refused tests.
 *
 * Protobuf bodies by hand (malformed ones on purpose): fs_pb_varint(out, v)
 * writes a varint (returns its length, at most 10); fs_req_is_pb(r) tells
 * whether a request's body is protobuf (its content type).
 */
#ifndef LSQL_TEST_FAKESRV_H
#define LSQL_TEST_FAKESRV_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FS_MAX_CONNS 256
#define FS_MAX_HEAD (64 * 1024)

typedef struct fs_req {
    char method[16];
    char path[2048];
    char *head;      /* header lines as received ("Name: value\r\n"...), NUL-terminated */
    size_t head_len;
    char *body;      /* NUL-terminated after body_len ("" when none) */
    size_t body_len;
    int conn_no;     /* 1-based connection number (accept order) */
    int conn_req_no; /* 1-based request number on that connection */
    int req_no;      /* 1-based request number on the server */
} fs_req;

typedef struct fakesrv fakesrv;

typedef struct fs_conn {
    fakesrv *srv;
    int fd;
    int slot;
    int conn_no;
    bool closed;    /* fs_close / fs_reset */
    bool broken;    /* a send failed */
    bool head_sent;
    bool chunked;
    bool complete;  /* the answer was sent completely */
    long long left; /* Content-Length bytes still to send */
} fs_conn;

typedef void (*fs_handler)(fs_conn *c, const fs_req *r, void *ud);

struct fakesrv {
    int lfd;
    int port;
    pthread_t acceptor;
    atomic_int stop;
    fs_handler fn;
    void *ud;
    pthread_mutex_t mu;
    struct {
        pthread_t th;
        int fd; /* -1 once closed */
        bool used;
    } conns[FS_MAX_CONNS];
    int nconns;
    int nreqs;
    /* last request */
    char last_method[16];
    char last_path[2048];
    char *last_head;
    char *last_body;
    size_t last_body_len;
};

/* ---- small helpers -------------------------------------------------------- */

/* Copies a string into out[cap], cut if needed, always terminated. */
static inline void fs__strcpy(char *out, size_t cap, const char *src)
{
    if (!cap)
        return;
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, src, n);
    out[n] = 0;
}

static inline const char *fs__reason(int st)
{
    switch (st) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
    }
}

/* Finds header `name` in a block of "Name: value\r\n" lines; copies the value
 * (trimmed) into out. */
static inline bool fs__find_header(const char *head, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = head; p && *p;) {
        const char *eol = strstr(p, "\r\n");
        size_t ll = eol ? (size_t)(eol - p) : strlen(p);
        if (ll > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            size_t vl = ll - nl - 1;
            while (vl && (*v == ' ' || *v == '\t'))
                v++, vl--;
            while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
                vl--;
            if (out && cap) {
                size_t k = vl < cap - 1 ? vl : cap - 1;
                memcpy(out, v, k);
                out[k] = 0;
            }
            return true;
        }
        p = eol ? eol + 2 : NULL;
    }
    return false;
}

/* Value of header `name` of r (case-insensitive) into out; false if absent. */
static inline bool fs_req_header(const fs_req *r, const char *name, char *out, size_t cap)
{
    return fs__find_header(r->head, name, out, cap);
}

static inline int fs__send_all(fs_conn *c, const void *p, size_t n)
{
    if (c->closed || c->broken)
        return -1;
    const char *q = p;
    while (n) {
        ssize_t k = send(c->fd, q, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            c->broken = true;
            return -1;
        }
        q += k;
        n -= (size_t)k;
    }
    return 0;
}

static inline int fs_send_raw(fs_conn *c, const void *p, size_t n) { return fs__send_all(c, p, n); }

static inline int fs_send_head(fs_conn *c, int status, const char *extra, long long len)
{
    char buf[512];
    int k;
    if (len >= 0)
        k = snprintf(buf, sizeof buf, "HTTP/1.1 %d %s\r\nContent-Length: %lld\r\n", status,
                     fs__reason(status), len);
    else
        k = snprintf(buf, sizeof buf, "HTTP/1.1 %d %s\r\nTransfer-Encoding: chunked\r\n",
                     status, fs__reason(status));
    c->head_sent = true;
    c->chunked = len < 0;
    c->left = len < 0 ? 0 : len;
    c->complete = len == 0;
    if (fs__send_all(c, buf, (size_t)k))
        return -1;
    if (extra && fs__send_all(c, extra, strlen(extra)))
        return -1;
    return fs__send_all(c, "\r\n", 2);
}

static inline int fs_send_body(fs_conn *c, const void *p, size_t n)
{
    if (!n)
        return 0;
    if (c->chunked) {
        char hdr[32];
        int k = snprintf(hdr, sizeof hdr, "%zx\r\n", n);
        if (fs__send_all(c, hdr, (size_t)k) || fs__send_all(c, p, n) ||
            fs__send_all(c, "\r\n", 2))
            return -1;
        return 0;
    }
    if (fs__send_all(c, p, n))
        return -1;
    c->left -= (long long)n;
    if (c->left == 0)
        c->complete = true;
    return 0;
}

static inline int fs_send_fill(fs_conn *c, int byte, size_t n)
{
    char blk[65536];
    memset(blk, byte, sizeof blk);
    while (n) {
        size_t k = n < sizeof blk ? n : sizeof blk;
        if (fs_send_body(c, blk, k))
            return -1;
        n -= k;
    }
    return 0;
}

static inline int fs_end(fs_conn *c)
{
    if (c->chunked) {
        if (fs__send_all(c, "0\r\n\r\n", 5))
            return -1;
        c->complete = true;
    }
    return 0;
}

static inline int fs_respond(fs_conn *c, int status, const char *extra, const void *body,
                             size_t n)
{
    if (fs_send_head(c, status, extra, (long long)n))
        return -1;
    return fs_send_body(c, body, n);
}

static inline int fs_respond_json(fs_conn *c, int status, const char *json)
{
    return fs_respond(c, status, "Content-Type: application/json\r\n", json, strlen(json));
}

static inline int fs_respond_pb(fs_conn *c, int status, const void *body, size_t n)
{
    return fs_respond(c, status, "Content-Type: application/x-protobuf\r\n", body, n);
}

/* A protobuf varint of v into out (10 bytes at most); its length. */
static inline size_t fs_pb_varint(unsigned char *out, unsigned long long v)
{
    size_t n = 0;
    do {
        out[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return n;
}

static inline bool fs_req_is_pb(const fs_req *r)
{
    char v[128];
    return fs__find_header(r->head, "content-type", v, sizeof v) &&
           !strncasecmp(v, "application/x-protobuf", 22);
}

static inline void fs__close_fd(fs_conn *c, bool rst)
{
    if (c->closed)
        return;
    fakesrv *s = c->srv;
    pthread_mutex_lock(&s->mu);
    if (rst) {
        struct linger lg = {1, 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(c->fd);
    s->conns[c->slot].fd = -1;
    pthread_mutex_unlock(&s->mu);
    c->closed = true;
}

static inline void fs_close(fs_conn *c) { fs__close_fd(c, false); }
static inline void fs_reset(fs_conn *c) { fs__close_fd(c, true); }

/* Sleeps ms milliseconds; false when it stopped early (server stopping). */
static inline bool fs_sleep_ms(fs_conn *c, unsigned ms)
{
    while (ms) {
        if (c && atomic_load(&c->srv->stop))
            return false;
        unsigned step = ms < 10 ? ms : 10;
        struct timespec ts = {0, (long)step * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
    return true;
}

/* ---- request parsing ------------------------------------------------------ */

typedef struct {
    char *buf;
    size_t len, cap;
} fs__in;

/* Reads more bytes into in; 0, or -1 on EOF/error/stop. */
static inline int fs__read_more(fs_conn *c, fs__in *in)
{
    if (in->cap - in->len < 65536) {
        size_t cap = in->cap ? in->cap * 2 : 131072;
        char *nb = realloc(in->buf, cap);
        if (!nb)
            return -1;
        in->buf = nb;
        in->cap = cap;
    }
    for (;;) {
        if (atomic_load(&c->srv->stop))
            return -1;
        struct pollfd pfd = {c->fd, POLLIN, 0};
        int pr = poll(&pfd, 1, 50);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0)
            return -1;
        if (pr == 0)
            continue;
        ssize_t k = recv(c->fd, in->buf + in->len, in->cap - in->len - 1, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        in->len += (size_t)k;
        in->buf[in->len] = 0;
        return 0;
    }
}

static inline void fs__consume(fs__in *in, size_t n)
{
    memmove(in->buf, in->buf + n, in->len - n);
    in->len -= n;
    if (in->buf)
        in->buf[in->len] = 0;
}

static inline char *fs__find(const fs__in *in, size_t from, const char *s)
{
    size_t sl = strlen(s);
    for (size_t i = from; i + sl <= in->len; i++)
        if (memcmp(in->buf + i, s, sl) == 0)
            return in->buf + i;
    return NULL;
}

static inline bool fs__has_word(const char *s, const char *w)
{
    size_t wl = strlen(w);
    for (; *s; s++)
        if (strncasecmp(s, w, wl) == 0)
            return true;
    return false;
}

/* Reads one request; 1 got one, 0 clean EOF/stop, -1 malformed. */
static inline int fs__read_request(fs_conn *c, fs__in *in, fs_req *r)
{
    char *end;
    while (!(end = fs__find(in, 0, "\r\n\r\n"))) {
        if (in->len > FS_MAX_HEAD || (in->len && (in->buf[0] < 'A' || in->buf[0] > 'Z')))
            return -1;
        if (fs__read_more(c, in))
            return 0;
    }
    if (in->buf[0] < 'A' || in->buf[0] > 'Z')
        return -1; /* not HTTP (a TLS ClientHello...) */
    size_t hlen = (size_t)(end - in->buf) + 4;
    char *line_end = strstr(in->buf, "\r\n");
    char path[sizeof r->path];
    if (sscanf(in->buf, "%15s %2047s", r->method, path) != 2)
        return -1;
    fs__strcpy(r->path, sizeof r->path, path);
    size_t hs = (size_t)(line_end + 2 - in->buf);
    r->head_len = hlen - 2 - hs;
    r->head = malloc(r->head_len + 1);
    if (!r->head)
        return -1;
    memcpy(r->head, in->buf + hs, r->head_len);
    r->head[r->head_len] = 0;
    fs__consume(in, hlen);

    char v[64];
    if (fs__find_header(r->head, "expect", v, sizeof v) && !strcasecmp(v, "100-continue"))
        fs__send_all(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
    if (fs__find_header(r->head, "transfer-encoding", v, sizeof v) && fs__has_word(v, "chunked")) {
        size_t blen = 0, bcap = 1024;
        char *body = malloc(bcap);
        if (!body)
            return -1;
        for (;;) {
            char *crlf;
            while (!(crlf = fs__find(in, 0, "\r\n")))
                if (fs__read_more(c, in)) {
                    free(body);
                    return -1;
                }
            size_t sz = strtoul(in->buf, NULL, 16);
            fs__consume(in, (size_t)(crlf - in->buf) + 2);
            while (in->len < sz + 2)
                if (fs__read_more(c, in)) {
                    free(body);
                    return -1;
                }
            if (blen + sz + 1 > bcap) {
                while (blen + sz + 1 > bcap)
                    bcap *= 2;
                char *nb = realloc(body, bcap);
                if (!nb) {
                    free(body);
                    return -1;
                }
                body = nb;
            }
            memcpy(body + blen, in->buf, sz);
            blen += sz;
            fs__consume(in, sz + 2); /* data + CRLF (trailers not supported) */
            if (sz == 0)
                break;
        }
        body[blen] = 0;
        r->body = body;
        r->body_len = blen;
        return 1;
    }
    size_t clen = 0;
    if (fs__find_header(r->head, "content-length", v, sizeof v))
        clen = strtoul(v, NULL, 10);
    while (in->len < clen)
        if (fs__read_more(c, in))
            return -1;
    r->body = malloc(clen + 1);
    if (!r->body)
        return -1;
    memcpy(r->body, in->buf, clen);
    r->body[clen] = 0;
    r->body_len = clen;
    fs__consume(in, clen);
    return 1;
}

static inline void fs__record(fakesrv *s, fs_req *r)
{
    pthread_mutex_lock(&s->mu);
    r->req_no = ++s->nreqs;
    fs__strcpy(s->last_method, sizeof s->last_method, r->method);
    fs__strcpy(s->last_path, sizeof s->last_path, r->path);
    free(s->last_head);
    free(s->last_body);
    s->last_head = strdup(r->head);
    s->last_body = malloc(r->body_len + 1);
    if (s->last_body) {
        memcpy(s->last_body, r->body, r->body_len + 1);
        s->last_body_len = r->body_len;
    }
    pthread_mutex_unlock(&s->mu);
}

typedef struct {
    fakesrv *srv;
    int fd;
    int slot;
    int conn_no;
} fs__conn_arg;

static inline void *fs__conn_main(void *arg)
{
    fs__conn_arg a = *(fs__conn_arg *)arg;
    free(arg);
    fs_conn c;
    memset(&c, 0, sizeof c);
    c.srv = a.srv;
    c.fd = a.fd;
    c.slot = a.slot;
    c.conn_no = a.conn_no;
    fs__in in = {NULL, 0, 0};
    int nreq = 0;
    while (!c.closed && !atomic_load(&a.srv->stop)) {
        fs_req r;
        memset(&r, 0, sizeof r);
        int got = fs__read_request(&c, &in, &r);
        if (got <= 0) {
            if (got < 0 && !c.broken)
                fs_respond(&c, 400, "Connection: close\r\n", "bad request", 11);
            free(r.head);
            free(r.body);
            break;
        }
        r.conn_no = c.conn_no;
        r.conn_req_no = ++nreq;
        fs__record(a.srv, &r);
        c.head_sent = c.chunked = c.complete = false;
        c.left = 0;
        a.srv->fn(&c, &r, a.srv->ud);
        char v[32];
        bool close_req = fs_req_header(&r, "connection", v, sizeof v) && !strcasecmp(v, "close");
        free(r.head);
        free(r.body);
        if (c.closed || c.broken || !c.head_sent || !c.complete || close_req)
            break;
    }
    free(in.buf);
    fs_close(&c);
    return NULL;
}

static inline void *fs__accept_main(void *arg)
{
    fakesrv *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd pfd = {s->lfd, POLLIN, 0};
        int pr = poll(&pfd, 1, 50);
        if (pr <= 0)
            continue;
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_mutex_lock(&s->mu);
        int slot = -1;
        for (int i = 0; i < FS_MAX_CONNS; i++)
            if (!s->conns[i].used) {
                slot = i;
                break;
            }
        if (slot < 0) {
            pthread_mutex_unlock(&s->mu);
            close(fd);
            continue;
        }
        fs__conn_arg *a = malloc(sizeof *a);
        if (!a) {
            pthread_mutex_unlock(&s->mu);
            close(fd);
            continue;
        }
        a->srv = s;
        a->fd = fd;
        a->slot = slot;
        a->conn_no = ++s->nconns;
        s->conns[slot].used = true;
        s->conns[slot].fd = fd;
        if (pthread_create(&s->conns[slot].th, NULL, fs__conn_main, a)) {
            s->conns[slot].used = false;
            s->conns[slot].fd = -1;
            s->nconns--;
            free(a);
            close(fd);
        }
        pthread_mutex_unlock(&s->mu);
    }
    return NULL;
}

/* ---- server --------------------------------------------------------------- */

/* Starts a server; NULL on failure. */
static inline fakesrv *fs_start(fs_handler fn, void *ud)
{
    fakesrv *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->fn = fn;
    s->ud = ud;
    atomic_init(&s->stop, 0);
    pthread_mutex_init(&s->mu, NULL);
    for (int i = 0; i < FS_MAX_CONNS; i++)
        s->conns[i].fd = -1;
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    socklen_t sl = sizeof sa;
    if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof sa) ||
        listen(s->lfd, 64) || getsockname(s->lfd, (struct sockaddr *)&sa, &sl)) {
        if (s->lfd >= 0)
            close(s->lfd);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return NULL;
    }
    s->port = ntohs(sa.sin_port);
    if (pthread_create(&s->acceptor, NULL, fs__accept_main, s)) {
        close(s->lfd);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return NULL;
    }
    return s;
}

static inline int fs_port(const fakesrv *s) { return s->port; }

static inline void fs_url(const fakesrv *s, char *buf, size_t cap)
{
    snprintf(buf, cap, "http://127.0.0.1:%d", s->port);
}

/* Stops accepting, wakes every connection (shutdown) and joins every thread. */
static inline void fs_stop(fakesrv *s)
{
    if (!s)
        return;
    atomic_store(&s->stop, 1);
    pthread_join(s->acceptor, NULL);
    close(s->lfd);
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < FS_MAX_CONNS; i++)
        if (s->conns[i].used && s->conns[i].fd >= 0)
            shutdown(s->conns[i].fd, SHUT_RDWR);
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < FS_MAX_CONNS; i++)
        if (s->conns[i].used)
            pthread_join(s->conns[i].th, NULL);
    free(s->last_head);
    free(s->last_body);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static inline int fs_requests(fakesrv *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->nreqs;
    pthread_mutex_unlock(&s->mu);
    return n;
}

static inline int fs_connections(fakesrv *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->nconns;
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* Copies of the last request's parts (empty strings before any request). */
static inline void fs_last_method(fakesrv *s, char *out, size_t cap)
{
    pthread_mutex_lock(&s->mu);
    fs__strcpy(out, cap, s->last_method);
    pthread_mutex_unlock(&s->mu);
}

static inline void fs_last_path(fakesrv *s, char *out, size_t cap)
{
    pthread_mutex_lock(&s->mu);
    fs__strcpy(out, cap, s->last_path);
    pthread_mutex_unlock(&s->mu);
}

static inline bool fs_last_header(fakesrv *s, const char *name, char *out, size_t cap)
{
    pthread_mutex_lock(&s->mu);
    bool ok = s->last_head && fs__find_header(s->last_head, name, out, cap);
    pthread_mutex_unlock(&s->mu);
    if (!ok && out && cap)
        out[0] = 0;
    return ok;
}

/* The last body, NUL-terminated, malloc'ed (free it); *n its length. */
static inline char *fs_last_body(fakesrv *s, size_t *n)
{
    pthread_mutex_lock(&s->mu);
    size_t len = s->last_body ? s->last_body_len : 0;
    char *b = malloc(len + 1);
    if (b) {
        if (len)
            memcpy(b, s->last_body, len);
        b[len] = 0;
    }
    pthread_mutex_unlock(&s->mu);
    if (n)
        *n = len;
    return b;
}

/* A TCP port on 127.0.0.1 with no listener (bound then closed; another
 * process could grab it in between, which tests accept). */
static inline int fs_closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    int port = 1;
    if (fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof sa) &&
        !getsockname(fd, (struct sockaddr *)&sa, &sl))
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

#endif
