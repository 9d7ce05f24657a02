/* http_testutil.h -- shared pieces of tests/remote/test_http*.c: a fake server
 * handler with one scenario per path, and rhttp set-up helpers. */
#ifndef LSQL_TEST_HTTP_TESTUTIL_H
#define LSQL_TEST_HTTP_TESTUTIL_H

#include "testutil.h"

#include "fakesrv.h"

#include "../../src/remote/http.h"

#include <inttypes.h>

/* Body lines of the stream scenarios: fixed length, numbered. */
#define HT_LINE_LEN 100 /* with its '\n' */

static inline void ht_line(char *out, long i)
{
    int k = snprintf(out, HT_LINE_LEN, "{\"i\":%09ld,\"pad\":\"", i);
    memset(out + k, 'x', (size_t)(HT_LINE_LEN - k - 3));
    memcpy(out + HT_LINE_LEN - 3, "\"}\n", 3);
}

/* Checks a line from ht_line (without its '\n'); returns its number or -1. */
static inline long ht_line_no(const char *p, size_t n)
{
    if (n != HT_LINE_LEN - 1 || memcmp(p, "{\"i\":", 5) || p[n - 1] != '}')
        return -1;
    long v = 0;
    for (int i = 5; i < 14; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* Items of the /items scenario: varied lengths (1- to 3-byte prefixes, an
 * empty one), every byte of item i the same. */
static inline size_t ht_item_len(long i)
{
    return (size_t)((i * 37) % 300) + (i % 500 == 7 ? 20000 : 0);
}

static inline unsigned char ht_item_byte(long i) { return (unsigned char)(i * 7 + 1); }

/* Appends item i (prefix + bytes) to buf at *n (room is the caller's). */
static inline void ht_item(unsigned char *buf, size_t *n, long i, size_t len, unsigned char b)
{
    (void)i;
    *n += fs_pb_varint(buf + *n, len);
    memset(buf + *n, b, len);
    *n += len;
}

/* Scenario parameters a test sets before its requests. Atomic: the server
 * thread reads them; a handler reads each once (the client may already
 * change them for its next request while the handler still sends). */
typedef struct ht_ctx {
    atomic_long nlines;    /* /lines: how many ht_line lines */
    atomic_size_t big;     /* /big-*: body size */
    atomic_uint sleep_ms;  /* /slow, /stream-stall */
} ht_ctx;

/* One scenario per path:
 *   /ok            200 "hello"
 *   /ok-close      200 "bye", then the server closes the kept-alive connection
 *   /echo          200, the request body back (content-type kept)
 *   /status/N      status N, body "status N body" (none for 204/304),
 *                  Retry-After: 7 on 429/503
 *   /retry-date    503 with an HTTP-date Retry-After
 *   /slow          sleeps ctx->sleep_ms, then 200 "late"
 *   /reset         Content-Length 1000, 100 bytes, RST
 *   /cut           Content-Length 1000, 100 bytes, FIN
 *   /cut-chunked   chunked, one chunk, FIN
 *   /nothing       closes without answering
 *   /garbage       not HTTP at all
 *   /big-cl        ctx->big bytes with Content-Length
 *   /big-chunked   ctx->big bytes chunked
 *   /big-error     500 with ctx->big bytes, chunked
 *   /lines         ctx->nlines ht_line lines, chunked in 64 KiB writes
 *   /lines-cl      same with Content-Length
 *   /split         lines cut across chunks, with pauses, last one without '\n'
 *   /stream-stall  headers and one line, then silence for ctx->sleep_ms
 *   /stream-cut    headers, 3 lines and half a line, then RST
 *   /longline      one line of ctx->big bytes then "end\n"
 *   /items         ctx->nlines length-prefixed items (ht_item_len / ht_item_byte),
 *                  chunked in 777-byte writes (prefixes split across writes)
 *   /items-big     3 items of ctx->big bytes each
 *   /items-cut     one item, then half of one, then the end of the body
 *   /items-badlen  one item, then a varint of 11 bytes
 *   /items-huge    an item whose length says 1 GiB, then silence (ctx->sleep_ms)
 */
static inline void ht_handler(fs_conn *c, const fs_req *r, void *ud)
{
    ht_ctx *x = ud;
    const char *p = r->path;
    long nlines = x ? atomic_load(&x->nlines) : 0;
    size_t big = x ? atomic_load(&x->big) : 0;
    unsigned sleep_ms = x ? atomic_load(&x->sleep_ms) : 1000;
    if (!strcmp(p, "/ok")) {
        fs_respond(c, 200, NULL, "hello", 5);
    } else if (!strcmp(p, "/ok-close")) {
        fs_respond(c, 200, NULL, "bye", 3);
        fs_close(c); /* without "Connection: close": the client finds out later */
    } else if (!strcmp(p, "/echo")) {
        char ct[128] = "", extra[200] = "";
        if (fs_req_header(r, "content-type", ct, sizeof ct))
            snprintf(extra, sizeof extra, "Content-Type: %s\r\n", ct);
        fs_respond(c, 200, extra, r->body, r->body_len);
    } else if (!strncmp(p, "/status/", 8)) {
        int st = atoi(p + 8);
        char body[64];
        int n = st == 204 || st == 304 ? 0 /* no body, by definition */
                                       : snprintf(body, sizeof body, "status %d body", st);
        fs_respond(c, st, st == 429 || st == 503 ? "Retry-After: 7\r\n" : NULL, body, (size_t)n);
    } else if (!strcmp(p, "/retry-date")) {
        fs_respond(c, 503, "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n", "x", 1);
    } else if (!strcmp(p, "/slow")) {
        if (fs_sleep_ms(c, sleep_ms))
            fs_respond(c, 200, NULL, "late", 4);
    } else if (!strcmp(p, "/reset") || !strcmp(p, "/cut")) {
        fs_send_head(c, 200, NULL, 1000);
        fs_send_fill(c, 'a', 100);
        fs_sleep_ms(c, 20);
        if (!strcmp(p, "/reset"))
            fs_reset(c);
        else
            fs_close(c);
    } else if (!strcmp(p, "/cut-chunked")) {
        fs_send_head(c, 200, NULL, -1);
        fs_send_body(c, "abc", 3);
        fs_sleep_ms(c, 20);
        fs_close(c);
    } else if (!strcmp(p, "/nothing")) {
        fs_close(c);
    } else if (!strcmp(p, "/garbage")) {
        fs_send_raw(c, "\x01\x02garbage\r\n\r\n", 13);
        fs_close(c);
    } else if (!strcmp(p, "/big-cl")) {
        fs_send_head(c, 200, NULL, (long long)big);
        fs_send_fill(c, 'b', big);
    } else if (!strcmp(p, "/big-error")) {
        fs_send_head(c, 500, NULL, -1);
        fs_send_fill(c, 'e', big);
        fs_end(c);
    } else if (!strcmp(p, "/big-chunked")) {
        fs_send_head(c, 200, NULL, -1);
        fs_send_fill(c, 'b', big);
        fs_end(c);
    } else if (!strcmp(p, "/lines") || !strcmp(p, "/lines-cl")) {
        bool cl = !strcmp(p, "/lines-cl");
        fs_send_head(c, 200, NULL, cl ? (long long)nlines * HT_LINE_LEN : -1);
        enum { PER = 655 }; /* lines per write: 65.5 KB */
        char *blk = malloc((size_t)PER * HT_LINE_LEN);
        if (!blk)
            return;
        for (long i = 0; i < nlines;) {
            long k = 0;
            for (; k < PER && i < nlines; k++, i++)
                ht_line(blk + k * HT_LINE_LEN, i);
            if (fs_send_body(c, blk, (size_t)k * HT_LINE_LEN))
                break;
        }
        free(blk);
        fs_end(c);
    } else if (!strcmp(p, "/split")) {
        static const char *const parts[] = {
            "first li", "ne\nsecond line\n", "\n", "third", " line", "\nfour",
            "th line\nlast line without newline",
        };
        fs_send_head(c, 200, NULL, -1);
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
            fs_send_body(c, parts[i], strlen(parts[i]));
            fs_sleep_ms(c, 30);
        }
        fs_end(c);
    } else if (!strcmp(p, "/stream-stall")) {
        fs_send_head(c, 200, NULL, -1);
        fs_send_body(c, "one\n", 4);
        fs_sleep_ms(c, sleep_ms);
        fs_end(c);
    } else if (!strcmp(p, "/stream-cut")) {
        fs_send_head(c, 200, NULL, -1);
        fs_send_body(c, "1\n2\n3\nhalf", 10);
        fs_sleep_ms(c, 20);
        fs_reset(c);
    } else if (!strcmp(p, "/longline")) {
        fs_send_head(c, 200, NULL, -1);
        fs_send_fill(c, 'L', big);
        fs_send_body(c, "\nend\n", 5);
        fs_end(c);
    } else if (!strcmp(p, "/items")) {
        size_t cap = 0;
        for (long i = 0; i < nlines; i++)
            cap += ht_item_len(i) + 10;
        unsigned char *buf = malloc(cap ? cap : 1);
        size_t n = 0;
        for (long i = 0; i < nlines; i++)
            ht_item(buf, &n, i, ht_item_len(i), ht_item_byte(i));
        fs_send_head(c, 200, "Content-Type: application/x-protobuf\r\n", -1);
        for (size_t off = 0; off < n; off += 777)
            if (fs_send_body(c, buf + off, n - off < 777 ? n - off : 777))
                break;
        fs_end(c);
        free(buf);
    } else if (!strcmp(p, "/items-big")) {
        unsigned char *buf = malloc(3 * (big + 10));
        size_t n = 0;
        for (long i = 0; i < 3; i++)
            ht_item(buf, &n, i, big, ht_item_byte(i));
        fs_send_head(c, 200, NULL, -1);
        fs_send_body(c, buf, n);
        fs_end(c);
        free(buf);
    } else if (!strcmp(p, "/items-cut") || !strcmp(p, "/items-badlen")) {
        unsigned char buf[64];
        size_t n = 0;
        ht_item(buf, &n, 0, 5, 'a');
        if (!strcmp(p, "/items-cut")) {
            ht_item(buf, &n, 1, 20, 'b');
            n -= 10;
        } else {
            memset(buf + n, 0xff, 11);
            n += 11;
        }
        fs_send_head(c, 200, NULL, -1);
        fs_send_body(c, buf, n);
        fs_end(c);
    } else if (!strcmp(p, "/items-huge")) {
        unsigned char buf[16];
        size_t n = fs_pb_varint(buf, 1ull << 30);
        fs_send_head(c, 200, NULL, -1);
        fs_send_body(c, buf, n);
        fs_send_body(c, "xyz", 3);
        fs_sleep_ms(c, sleep_ms);
        fs_end(c);
    } else {
        fs_respond(c, 404, NULL, "no such scenario", 16);
    }
}

static inline void ht_cfg(rhttp_cfg *cfg, const char *base)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->base = base;
    cfg->connect_timeout_ms = 5000;
    cfg->request_timeout_ms = 10000;
    cfg->verify_tls = true;
    cfg->max_response = 1 << 20;
}

static inline rhttp *ht_new(const rhttp_cfg *cfg)
{
    rhttp *h = NULL;
    lsql_error e;
    int rc = rhttp_new(cfg, &h, &e);
    if (rc != LSQL_OK)
        fail_msg("rhttp_new: %s (%s)", e.message, lsql_errname(rc));
    return h;
}

/* Server + client on it with the default test config. */
typedef struct ht_env {
    ht_ctx ctx;
    fakesrv *srv;
    char url[64];
    rhttp_cfg cfg;
    rhttp *h;
} ht_env;

static inline void ht_up(ht_env *t)
{
    t->srv = fs_start(ht_handler, &t->ctx);
    assert_non_null(t->srv);
    fs_url(t->srv, t->url, sizeof t->url);
    ht_cfg(&t->cfg, t->url);
    t->h = ht_new(&t->cfg);
}

static inline void ht_down(ht_env *t)
{
    rhttp_free(t->h);
    fs_stop(t->srv);
}

/* A plain request that must succeed; returns the status. */
static inline long ht_req(rhttp *h, const char *method, const char *path, const char *body,
                          hrana_buf *resp)
{
    lsql_error e;
    long st = -1;
    int rc = rhttp_request(h, method, path, body, body ? strlen(body) : 0, &st, resp, &e);
    if (rc != LSQL_OK)
        fail_msg("%s %s: %s (%s)", method, path, e.message, lsql_errname(rc));
    return st;
}

static inline uint64_t ht_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* libcurl honours proxy variables: keep the tests on the loopback. */
static inline void ht_no_proxy(void)
{
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    setenv("no_proxy", "127.0.0.1,localhost", 1);
}

#endif
