/* http.c -- the remote backend's HTTP transport over libcurl (see http.h).
 *
 * One easy handle and one multi handle per rhttp. Every transfer, plain or
 * streamed, runs through the multi handle (curl_multi_perform +
 * curl_multi_poll with a short timeout), so that:
 *   - the connection cache is the multi handle's, shared by plain requests
 *     and streams (keep-alive across both);
 *   - rhttp_interrupt() works within ~100 ms even while curl is idle
 *     (curl_multi_wakeup ends the poll at once; the poll timeout and the
 *     progress callback are the fallbacks);
 *   - a streamed answer can be consumed between calls (the transfer stays
 *     attached to the multi handle, paused while the window is full).
 *
 * Plain requests use CURLOPT_TIMEOUT_MS (whole exchange). Streams have no
 * total timeout: rhttp itself fails a wait for data that lasts longer than
 * request_timeout_ms (the clock runs only while the consumer waits).
 *
 * Stream buffer: sbuf[sstart..slen) are the unread bytes, sscan the offset up
 * to which they have been searched for '\n'. The write callback refuses (and
 * pauses the transfer) while more than RHTTP_STREAM_WINDOW bytes are unread,
 * unless the consumer is waiting for the end of a line (want_more): then it
 * takes chunks until one holds a '\n'. So with lines shorter than the window
 * the buffer never holds more than the window plus one chunk of curl's
 * (CURL_MAX_WRITE_SIZE), whatever the size of the body. A stream may instead
 * be read as length-prefixed items (rhttp_stream_item: Hrana's protobuf
 * cursor bodies, a varint length then the message): the same buffer and
 * window, the consumer's want_more taking one chunk at a time until the item
 * is whole, and an item longer than max_response refused as soon as its
 * prefix is in. */
#include "http.h"

#include "../core/internal.h"
#include "../hrana/hrana_pb.h"

#include <curl/curl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define POLL_MS 100 /* longest curl_multi_poll: bounds the interrupt latency */
#define PATH_MSG_MAX 96

enum { XFER_NONE = 0, XFER_PLAIN, XFER_STREAM };

struct rhttp {
    CURL *easy;
    CURLM *multi;
    struct curl_slist *hdr_plain; /* GET / POST without a body */
    struct curl_slist *hdr_json;  /* POST with a JSON body */
    struct curl_slist *hdr_pb;    /* POST with a protobuf body (and Accept: protobuf) */
    bool protobuf;                /* POST bodies are protobuf (rhttp_set_protobuf) */
    char *base;
    size_t base_len;
    char *url;
    size_t url_cap;
    uint32_t connect_timeout_ms;
    uint32_t request_timeout_ms;
    size_t max_response;
    char errbuf[CURL_ERROR_SIZE];
    atomic_int intr;

    /* the transfer in progress (or the last one) */
    int mode;      /* XFER_* */
    bool attached; /* easy handle is in the multi handle */
    bool done;     /* curl reported the transfer finished */
    CURLcode result;
    long status;       /* of the last status line seen, 0 before */
    bool headers_done; /* final (non-1xx) header block complete */
    long retry_after;
    char ctype[RHTTP_CTYPE_MAX]; /* Content-Type of the answer ("" when none) */
    bool too_large;      /* body (plain) or error body refused: limit */
    bool nomem;          /* an allocation in a callback failed */
    bool aborting;       /* write callback refuses everything */
    bool sink_truncated; /* stream error body cut at the limit */
    hrana_buf *sink;     /* plain answer, or the error body of a stream */
    const char *method;
    char path[PATH_MSG_MAX]; /* for messages */

    /* stream */
    bool streaming; /* between a 200 rhttp_stream_start and rhttp_stream_end */
    bool paused;    /* the write callback returned CURL_WRITEFUNC_PAUSE */
    bool want_more; /* consumer waits for the end of a line / more of an item */
    bool items;     /* the consumer reads length-prefixed items, not lines */
    bool eof;       /* LSQL_DONE was returned */
    char *sbuf;
    size_t scap, sstart, slen, sscan;
    uint64_t rx_gen;   /* bumped on every byte received */
    uint64_t deadline; /* stream: monotonic ms after which a wait fails */
    int serr;          /* sticky stream error (0 none) */
    lsql_error serr_e;
    size_t peak_unread, peak_cap; /* test accessors */
};

/* ---- helpers ------------------------------------------------------------- */

static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;
static CURLcode g_curl_init_rc = CURLE_FAILED_INIT;

static void curl_init_once(void) { g_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Fills *e (may be NULL) with code, flags and status; returns code. */
static int fail(lsql_error *e, int code, unsigned flags, long status, const char *fmt, ...)
    LSQL_PRINTF(5, 6);
static int fail(lsql_error *e, int code, unsigned flags, long status, const char *fmt, ...)
{
    if (!e)
        return code;
    va_list ap;
    va_start(ap, fmt);
    lsql__err_vset(e, code, fmt, ap);
    va_end(ap);
    e->flags |= flags;
    e->http_status = (int)status;
    return code;
}

static bool ieq_prefix(const char *p, size_t n, const char *name)
{
    size_t k = strlen(name);
    return n >= k && strncasecmp(p, name, k) == 0;
}

/* Parses a non-negative decimal after optional blanks; -1 when the value is
 * not only digits (then blanks / CRLF). */
static long long parse_num(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    if (i == n || p[i] < '0' || p[i] > '9')
        return -1;
    long long v = 0;
    for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
        if (v > (LLONG_MAX - 9) / 10)
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    for (; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
            return -1;
    return v;
}

static void track_peak(rhttp *h)
{
    size_t unread = h->slen - h->sstart;
    if (unread > h->peak_unread)
        h->peak_unread = unread;
    if (h->scap > h->peak_cap)
        h->peak_cap = h->scap;
}

/* ---- curl callbacks ------------------------------------------------------ */

static size_t on_header(char *p, size_t size, size_t nitems, void *ud)
{
    rhttp *h = ud;
    size_t n = size * nitems;
    h->rx_gen++;
    if (h->mode == XFER_STREAM)
        h->deadline = now_ms() + h->request_timeout_ms;
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        /* a status line: "HTTP/1.1 200 OK", "HTTP/2 200" */
        const char *sp = memchr(p, ' ', n);
        long st = 0;
        if (sp) {
            for (sp++; sp < p + n && *sp >= '0' && *sp <= '9'; sp++)
                st = st * 10 + (*sp - '0');
        }
        h->status = st;
        h->retry_after = -1;
        h->ctype[0] = 0;
        h->headers_done = false;
        return n;
    }
    if ((n == 2 && p[0] == '\r' && p[1] == '\n') || (n == 1 && p[0] == '\n')) {
        if (h->status >= 200)
            h->headers_done = true;
        return n;
    }
    if (ieq_prefix(p, n, "content-type:")) {
        const char *v = p + 13, *end = p + n;
        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' ||
                           end[-1] == '\t'))
            end--;
        size_t k = (size_t)(end - v) < sizeof h->ctype - 1 ? (size_t)(end - v)
                                                            : sizeof h->ctype - 1;
        memcpy(h->ctype, v, k);
        h->ctype[k] = 0;
    } else if (ieq_prefix(p, n, "retry-after:")) {
        long long v = parse_num(p + 12, n - 12);
        h->retry_after = v < 0 ? -1 : v > 86400 * 365 ? 86400 * 365 : (long)v;
    } else if (ieq_prefix(p, n, "content-length:") && h->status >= 200) {
        long long v = parse_num(p + 15, n - 15);
        /* plain answers only: a stream's limit is per line, and a stream's
         * error body is truncated rather than refused */
        if (h->mode == XFER_PLAIN && v >= 0 && (unsigned long long)v > h->max_response) {
            h->too_large = true;
            return 0; /* CURLE_WRITE_ERROR */
        }
    }
    return n;
}

static int stream_room(rhttp *h, size_t n)
{
    if (h->scap - h->slen >= n)
        return 0;
    size_t unread = h->slen - h->sstart;
    if (h->sstart) { /* compact */
        memmove(h->sbuf, h->sbuf + h->sstart, unread);
        h->sscan -= h->sstart;
        h->slen = unread;
        h->sstart = 0;
    }
    if (h->scap - h->slen >= n)
        return 0;
    size_t need = unread + n;
    size_t cap = h->scap ? h->scap : RHTTP_STREAM_WINDOW + CURL_MAX_WRITE_SIZE;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *nb = lsql__realloc(h->sbuf, cap);
    if (!nb)
        return -1;
    h->sbuf = nb;
    h->scap = cap;
    return 0;
}

static size_t on_write(char *p, size_t size, size_t nitems, void *ud)
{
    rhttp *h = ud;
    size_t n = size * nitems;
    if (h->aborting)
        return 0;
    h->rx_gen++;
    if (h->mode == XFER_PLAIN || (h->mode == XFER_STREAM && h->status != 200)) {
        hrana_buf *b = h->sink;
        if (!b) /* cannot happen: an answer's body without a sink */
            return 0;
        if (n > h->max_response || b->len > h->max_response - n) {
            if (h->mode == XFER_STREAM) { /* error body: keep what fits */
                size_t room = h->max_response > b->len ? h->max_response - b->len : 0;
                if (room && hrana_buf_put(b, p, room))
                    h->nomem = true;
                h->sink_truncated = true;
            } else {
                h->too_large = true;
            }
            return 0;
        }
        if (hrana_buf_put(b, p, n)) {
            h->nomem = true;
            return 0;
        }
        return n;
    }
    if (h->mode != XFER_STREAM)
        return 0;
    h->deadline = now_ms() + h->request_timeout_ms;
    if (!h->want_more && h->slen - h->sstart > RHTTP_STREAM_WINDOW) {
        h->paused = true;
        h->rx_gen--; /* nothing taken */
        return CURL_WRITEFUNC_PAUSE;
    }
    if (stream_room(h, n)) {
        h->nomem = true;
        return 0;
    }
    memcpy(h->sbuf + h->slen, p, n);
    h->slen += n;
    /* lines: until one ends; items: any progress (the consumer checks) */
    if (h->want_more && (h->items || memchr(p, '\n', n)))
        h->want_more = false;
    track_peak(h);
    return n;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    rhttp *h = ud;
    return atomic_load_explicit(&h->intr, memory_order_relaxed) ? 1 : 0;
}

/* ---- creation ------------------------------------------------------------ */

static struct curl_slist *add_header(struct curl_slist *l, const char *s, bool *ok)
{
    if (!*ok)
        return l;
    struct curl_slist *n = curl_slist_append(l, s);
    if (!n) {
        *ok = false;
        return l;
    }
    return n;
}

static bool build_headers(rhttp *h, const char *token)
{
    bool ok = true;
    char *auth = NULL;
    if (token && *token) {
        size_t tl = strlen(token);
        auth = lsql__malloc(tl + 32);
        if (!auth)
            return false;
        snprintf(auth, tl + 32, "authorization: Bearer %s", token);
    }
    for (int i = 0; i < 3; i++) {
        struct curl_slist *l = NULL;
        if (auth)
            l = add_header(l, auth, &ok);
        l = add_header(l, "x-libsql-client-version: lsql-" LSQL_VERSION, &ok);
        l = add_header(l, "Expect:", &ok); /* no 100-continue round trip */
        if (i == 1)
            l = add_header(l, "content-type: application/json", &ok);
        if (i == 2) {
            l = add_header(l, "content-type: application/x-protobuf", &ok);
            l = add_header(l, "accept: application/x-protobuf", &ok);
        }
        if (i == 0)
            h->hdr_plain = l;
        else if (i == 1)
            h->hdr_json = l;
        else
            h->hdr_pb = l;
    }
    if (auth) { /* do not leave the token lying around in freed memory */
        volatile char *v = auth;
        for (size_t i = 0; v[i]; i++)
            v[i] = 0;
        lsql__free(auth);
    }
    return ok;
}

void rhttp_free(rhttp *h)
{
    if (!h)
        return;
    rhttp_stream_end(h);
    if (h->attached && h->multi && h->easy)
        curl_multi_remove_handle(h->multi, h->easy);
    if (h->easy)
        curl_easy_cleanup(h->easy);
    if (h->multi)
        curl_multi_cleanup(h->multi);
    curl_slist_free_all(h->hdr_plain);
    curl_slist_free_all(h->hdr_json);
    curl_slist_free_all(h->hdr_pb);
    lsql__free(h->base);
    lsql__free(h->url);
    lsql__free(h->sbuf);
    lsql__free(h);
}

int rhttp_new(const rhttp_cfg *cfg, rhttp **out, lsql_error *e)
{
    if (out)
        *out = NULL;
    if (!cfg || !out)
        return fail(e, LSQL_INVALID_ARG, 0, 0, "rhttp_new: NULL argument");
    const char *base = cfg->base;
    if (!base || !(strncasecmp(base, "http://", 7) == 0 || strncasecmp(base, "https://", 8) == 0))
        return fail(e, LSQL_INVALID_URL, 0, 0,
                    "remote URL must start with http:// or https:// (got \"%.100s\")",
                    base ? base : "(null)");
    size_t bl = strlen(base), pre = base[4] == ':' ? 7 : 8;
    while (bl > pre && base[bl - 1] == '/')
        bl--;
    if (bl <= pre || base[pre] == '/')
        return fail(e, LSQL_INVALID_URL, 0, 0, "remote URL has no host: \"%.100s\"", base);
    for (size_t i = 0; i < bl; i++)
        if ((unsigned char)base[i] <= ' ' || base[i] == 0x7f)
            return fail(e, LSQL_INVALID_URL, 0, 0,
                        "remote URL contains a space or control character");

    pthread_once(&g_curl_once, curl_init_once);
    if (g_curl_init_rc != CURLE_OK)
        return fail(e, LSQL_HTTP, 0, 0, "curl_global_init failed: %s",
                    curl_easy_strerror(g_curl_init_rc));

    rhttp *h = lsql__calloc(1, sizeof *h);
    if (!h)
        return fail(e, LSQL_NOMEM, 0, 0, NULL);
    atomic_init(&h->intr, 0);
    h->retry_after = -1;
    h->connect_timeout_ms = cfg->connect_timeout_ms ? cfg->connect_timeout_ms : 10000;
    h->request_timeout_ms = cfg->request_timeout_ms ? cfg->request_timeout_ms : 30000;
    h->max_response = cfg->max_response ? cfg->max_response : (size_t)64 << 20;
    h->base = lsql__strndup(base, bl);
    h->base_len = bl;
    h->easy = curl_easy_init();
    h->multi = curl_multi_init();
    if (!h->base || !h->easy || !h->multi || !build_headers(h, cfg->auth_token)) {
        rhttp_free(h);
        return fail(e, LSQL_NOMEM, 0, 0, NULL);
    }

    CURL *c = h->easy;
    CURLcode rc = CURLE_OK;
#define SET(opt, val)                                                          \
    do {                                                                       \
        if (rc == CURLE_OK)                                                    \
            rc = curl_easy_setopt(c, opt, val);                                \
    } while (0)
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ERRORBUFFER, h->errbuf);
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)h->connect_timeout_ms);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_WRITEFUNCTION, on_write);
    SET(CURLOPT_WRITEDATA, h);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, h);
    SET(CURLOPT_XFERINFOFUNCTION, on_progress);
    SET(CURLOPT_XFERINFODATA, h);
    SET(CURLOPT_NOPROGRESS, 0L);
    SET(CURLOPT_USERAGENT, "lsql/" LSQL_VERSION);
    SET(CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
    SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SET(CURLOPT_SSL_VERIFYPEER, cfg->verify_tls ? 1L : 0L);
    SET(CURLOPT_SSL_VERIFYHOST, cfg->verify_tls ? 2L : 0L);
    SET(CURLOPT_HTTP_VERSION, cfg->http2 ? (long)CURL_HTTP_VERSION_2TLS
                                         : (long)CURL_HTTP_VERSION_1_1);
    if (cfg->ca_file && *cfg->ca_file)
        SET(CURLOPT_CAINFO, cfg->ca_file);
    if (cfg->ca_path && *cfg->ca_path)
        SET(CURLOPT_CAPATH, cfg->ca_path);
#undef SET
    if (rc == CURLE_OUT_OF_MEMORY) {
        rhttp_free(h);
        return fail(e, LSQL_NOMEM, 0, 0, NULL);
    }
    if (rc != CURLE_OK) {
        /* CURLE_UNKNOWN_OPTION / NOT_BUILT_IN: e.g. HTTP/2 or CAPATH not in
         * this libcurl */
        int code = rc == CURLE_NOT_BUILT_IN || rc == CURLE_UNKNOWN_OPTION ? LSQL_NOTSUP
                                                                         : LSQL_HTTP;
        fail(e, code, 0, 0, "libcurl refused an option: %s", curl_easy_strerror(rc));
        rhttp_free(h);
        return code;
    }
    *out = h;
    lsql__err_ok(e);
    return LSQL_OK;
}

/* ---- transfers ----------------------------------------------------------- */

static int set_url(rhttp *h, const char *path, lsql_error *e)
{
    if (!path)
        path = "";
    size_t pl = strlen(path);
    size_t need = h->base_len + pl + 1;
    if (need > h->url_cap) {
        char *u = lsql__realloc(h->url, need);
        if (!u)
            return fail(e, LSQL_NOMEM, 0, 0, NULL);
        h->url = u;
        h->url_cap = need;
    }
    memcpy(h->url, h->base, h->base_len);
    memcpy(h->url + h->base_len, path, pl + 1);
    snprintf(h->path, sizeof h->path, "%s", *path ? path : "/");
    if (curl_easy_setopt(h->easy, CURLOPT_URL, h->url) != CURLE_OK)
        return fail(e, LSQL_NOMEM, 0, 0, NULL);
    return LSQL_OK;
}

static void reset_xfer(rhttp *h, int mode, const char *method)
{
    h->mode = mode;
    h->done = false;
    h->result = CURLE_OK;
    h->status = 0;
    h->headers_done = false;
    h->retry_after = -1;
    h->ctype[0] = 0;
    h->too_large = false;
    h->nomem = false;
    h->aborting = false;
    h->sink_truncated = false;
    h->sink = NULL;
    h->method = method;
    h->errbuf[0] = 0;
    h->paused = false;
    h->want_more = false;
}

/* Sets up the request; body copied when `copy` (streams outlive the call). */
static int setup(rhttp *h, const char *method, const char *path, const char *body, size_t n,
                 bool copy, long timeout_ms, lsql_error *e)
{
    bool post;
    if (method && !strcmp(method, "POST"))
        post = true;
    else if (method && !strcmp(method, "GET"))
        post = false;
    else
        return fail(e, LSQL_INVALID_ARG, 0, 0, "HTTP method must be GET or POST (got %.16s)",
                    method ? method : "(null)");
    int rc = set_url(h, path, e);
    if (rc)
        return rc;
    CURL *c = h->easy;
    CURLcode cc = CURLE_OK;
    if (post) {
        if (!body)
            body = "", n = 0;
        cc = curl_easy_setopt(c, CURLOPT_POST, 1L);
        if (!cc)
            cc = curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
        if (!cc)
            cc = curl_easy_setopt(c, copy ? CURLOPT_COPYPOSTFIELDS : CURLOPT_POSTFIELDS, body);
    } else {
        cc = curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    if (!cc)
        cc = curl_easy_setopt(c, CURLOPT_HTTPHEADER,
                              !post || !n ? h->hdr_plain : h->protobuf ? h->hdr_pb : h->hdr_json);
    if (!cc)
        cc = curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    if (cc)
        return fail(e, cc == CURLE_OUT_OF_MEMORY ? LSQL_NOMEM : LSQL_HTTP, 0, 0,
                    "%s %s: libcurl refused the request: %s", method, h->path,
                    curl_easy_strerror(cc));
    return LSQL_OK;
}

static int attach(rhttp *h, lsql_error *e)
{
    CURLMcode mc = curl_multi_add_handle(h->multi, h->easy);
    if (mc != CURLM_OK)
        return fail(e, mc == CURLM_OUT_OF_MEMORY ? LSQL_NOMEM : LSQL_HTTP, 0, 0,
                    "%s %s: curl_multi_add_handle: %s", h->method, h->path,
                    curl_multi_strerror(mc));
    h->attached = true;
    return LSQL_OK;
}

/* Takes the handle out of the multi handle. An unfinished transfer is
 * aborted there: curl closes its connection. */
static void detach(rhttp *h)
{
    if (!h->attached)
        return;
    if (!h->done && h->paused) {
        /* flush what curl holds for the paused transfer into a refusing
         * callback so that nothing is left over for the next request */
        h->aborting = true;
        h->paused = false;
        curl_easy_pause(h->easy, CURLPAUSE_CONT);
    }
    curl_multi_remove_handle(h->multi, h->easy);
    h->attached = false;
    h->aborting = false;
}

static void collect(rhttp *h)
{
    int left;
    CURLMsg *m;
    while ((m = curl_multi_info_read(h->multi, &left))) {
        if (m->msg == CURLMSG_DONE && m->easy_handle == h->easy) {
            h->done = true;
            h->result = m->data.result;
        }
    }
    if (h->done)
        detach(h);
}

#define DRIVE_INTR (-1)
#define DRIVE_TIMEOUT (-2)
#define DRIVE_MULTI (-3)

/* Runs the transfer until it is done, or `enough` says so (NULL: never), or
 * the interrupt flag, or (with `use_deadline`) h->deadline passes. 0 or a
 * DRIVE_* value. */
static int drive(rhttp *h, bool (*enough)(const rhttp *h, uint64_t mark), uint64_t mark,
                 bool use_deadline, CURLMcode *mcode)
{
    for (;;) {
        if (atomic_load(&h->intr))
            return DRIVE_INTR;
        int running = 0;
        CURLMcode mc = curl_multi_perform(h->multi, &running);
        if (mc != CURLM_OK) {
            *mcode = mc;
            return DRIVE_MULTI;
        }
        collect(h);
        if (h->done || (enough && enough(h, mark)))
            return 0;
        int wait = POLL_MS;
        if (use_deadline) {
            uint64_t now = now_ms();
            if (now >= h->deadline)
                return DRIVE_TIMEOUT;
            if (h->deadline - now < (uint64_t)wait)
                wait = (int)(h->deadline - now);
        }
        mc = curl_multi_poll(h->multi, NULL, 0, wait, NULL);
        if (mc != CURLM_OK) {
            *mcode = mc;
            return DRIVE_MULTI;
        }
    }
}

static const char *errtext(const rhttp *h, CURLcode rc)
{
    return h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc);
}

static bool is_tls_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
        return true;
    default:
        return false;
    }
}

/* Maps the outcome of a finished (or aborted) transfer to an lsql code. */
static int map_result(rhttp *h, CURLcode rc, lsql_error *e)
{
    const char *m = h->method, *p = h->path;
    long st = h->headers_done ? h->status : 0;
    if (rc != CURLE_OK && atomic_load(&h->intr))
        return fail(e, LSQL_INTERRUPTED, 0, st, "%s %s: interrupted", m, p);
    if (h->too_large)
        return fail(e, LSQL_HTTP_TOO_LARGE, 0, st,
                    "%s %s: response body larger than the limit of %zu bytes (HTTP %ld)", m, p,
                    h->max_response, h->status);
    if (h->nomem || rc == CURLE_OUT_OF_MEMORY)
        return fail(e, LSQL_NOMEM, 0, st, "%s %s: out of memory while receiving the answer", m,
                    p);
    switch (rc) {
    case CURLE_OK:
        return LSQL_OK;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return fail(e, LSQL_HTTP_CONNECT, LSQL_ERRF_RETRYABLE, 0, "%s %s: could not connect: %s",
                    m, p, errtext(h, rc));
    case CURLE_OPERATION_TIMEDOUT:
        return fail(e, LSQL_HTTP_TIMEOUT, LSQL_ERRF_RETRYABLE, st,
                    "%s %s: timed out (connect timeout %u ms, request timeout %u ms): %s", m, p,
                    h->connect_timeout_ms, h->request_timeout_ms, errtext(h, rc));
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP3:
        if (st)
            return fail(e, LSQL_HTTP_IO, LSQL_ERRF_RETRYABLE, st,
                        "%s %s: connection failed while receiving the answer (HTTP %ld): %s", m,
                        p, st, errtext(h, rc));
        return fail(e, LSQL_HTTP_IO, LSQL_ERRF_RETRYABLE, 0,
                    "%s %s: connection failed before an answer arrived: %s", m, p,
                    errtext(h, rc));
    case CURLE_UNSUPPORTED_PROTOCOL: /* the scheme was checked: "Received HTTP/0.9" */
        return fail(e, LSQL_HTTP_IO, LSQL_ERRF_RETRYABLE, 0,
                    "%s %s: the answer is not HTTP (a TLS server on an http:// URL?): %s", m, p,
                    errtext(h, rc));
    case CURLE_URL_MALFORMAT:
        return fail(e, LSQL_INVALID_URL, 0, 0, "%s %s: invalid URL: %s", m, p, errtext(h, rc));
    case CURLE_ABORTED_BY_CALLBACK:
        /* the interrupt flag was cleared in between: still an interrupt */
        return fail(e, LSQL_INTERRUPTED, 0, st, "%s %s: interrupted", m, p);
    default:
        if (is_tls_error(rc))
            return fail(e, LSQL_HTTP_TLS, 0, 0, "%s %s: TLS error: %s", m, p, errtext(h, rc));
        return fail(e, LSQL_HTTP, 0, st, "%s %s: HTTP transfer failed (curl error %d): %s", m, p,
                    (int)rc, errtext(h, rc));
    }
}

static int drive_error(rhttp *h, int d, CURLMcode mc, lsql_error *e)
{
    long st = h->headers_done ? h->status : 0;
    if (d == DRIVE_INTR)
        return fail(e, LSQL_INTERRUPTED, 0, st, "%s %s: interrupted", h->method, h->path);
    if (d == DRIVE_TIMEOUT)
        return fail(e, LSQL_HTTP_TIMEOUT, LSQL_ERRF_RETRYABLE, st,
                    "%s %s: no data received for %u ms (request timeout)", h->method, h->path,
                    h->request_timeout_ms);
    return fail(e, mc == CURLM_OUT_OF_MEMORY ? LSQL_NOMEM : LSQL_HTTP, 0, st, "%s %s: %s",
                h->method, h->path, curl_multi_strerror(mc));
}

/* A finished stream is closed implicitly; one still receiving is misuse. */
static int check_idle(rhttp *h, const char *method, const char *path, lsql_error *e)
{
    if (h->streaming) {
        if (h->attached)
            return fail(e, LSQL_MISUSE_STATE, 0, 0,
                        "HTTP transport busy: a streamed answer is still being read "
                        "(rhttp_stream_end first)");
        rhttp_stream_end(h);
    }
    if (atomic_load(&h->intr))
        return fail(e, LSQL_INTERRUPTED, 0, 0, "%.16s %.200s: interrupted before the request was sent",
                    method ? method : "?", path ? path : "");
    return LSQL_OK;
}

int rhttp_request(rhttp *h, const char *method, const char *path, const char *body, size_t n,
                  long *status, hrana_buf *resp, lsql_error *e)
{
    if (status)
        *status = 0;
    if (!h || !resp)
        return fail(e, LSQL_INVALID_ARG, 0, 0, "rhttp_request: NULL argument");
    int rc = check_idle(h, method, path, e);
    if (rc)
        return rc;
    reset_xfer(h, XFER_PLAIN, method);
    rc = setup(h, method, path, body, n, false, (long)h->request_timeout_ms, e);
    if (rc)
        return rc;
    hrana_buf_truncate(resp, 0);
    if (resp->max < h->max_response)
        resp->max = h->max_response;
    h->sink = resp;
    rc = attach(h, e);
    if (rc)
        return rc;
    CURLMcode mc = CURLM_OK;
    int d = drive(h, NULL, 0, false, &mc);
    if (d) {
        detach(h);
        h->sink = NULL;
        return drive_error(h, d, mc, e);
    }
    h->sink = NULL;
    rc = map_result(h, h->result, e);
    if (rc)
        return rc;
    if (status)
        *status = h->status;
    lsql__err_ok(e);
    return LSQL_OK;
}

long rhttp_retry_after(const rhttp *h) { return h ? h->retry_after : -1; }

/* ---- streams ------------------------------------------------------------- */

static bool got_headers(const rhttp *h, uint64_t mark)
{
    (void)mark;
    return h->headers_done;
}

static bool got_data(const rhttp *h, uint64_t mark) { return h->rx_gen != mark; }

static void stream_reset_buf(rhttp *h)
{
    lsql__free(h->sbuf);
    h->sbuf = NULL;
    h->scap = h->sstart = h->slen = h->sscan = 0;
}

int rhttp_stream_start(rhttp *h, const char *path, const char *body, size_t n, long *status,
                       hrana_buf *errbody, lsql_error *e)
{
    if (status)
        *status = 0;
    if (!h || !errbody)
        return fail(e, LSQL_INVALID_ARG, 0, 0, "rhttp_stream_start: NULL argument");
    int rc = check_idle(h, "POST", path, e);
    if (rc)
        return rc;
    reset_xfer(h, XFER_STREAM, "POST");
    rc = setup(h, "POST", path, body, n, true, 0L, e);
    if (rc)
        return rc;
    stream_reset_buf(h);
    h->serr = 0;
    h->eof = false;
    h->rx_gen = 0;
    hrana_buf_truncate(errbody, 0);
    if (errbody->max < h->max_response)
        errbody->max = h->max_response;
    h->sink = errbody;
    h->deadline = now_ms() + h->request_timeout_ms;
    rc = attach(h, e);
    if (rc)
        return rc;
    CURLMcode mc = CURLM_OK;
    int d = drive(h, got_headers, 0, true, &mc);
    if (d) {
        detach(h);
        h->sink = NULL;
        stream_reset_buf(h);
        return drive_error(h, d, mc, e);
    }
    if (!h->headers_done || h->status != 200) {
        /* an error answer (or a failure before the headers): read the whole
         * bounded body, no stream */
        if (!h->done) {
            h->deadline = now_ms() + h->request_timeout_ms;
            d = drive(h, NULL, 0, true, &mc);
            if (d) {
                detach(h);
                h->sink = NULL;
                stream_reset_buf(h);
                return drive_error(h, d, mc, e);
            }
        }
        h->sink = NULL;
        stream_reset_buf(h);
        CURLcode cr = h->result;
        if (h->sink_truncated && cr == CURLE_WRITE_ERROR && !h->nomem)
            cr = CURLE_OK; /* error body cut at the limit: fine */
        rc = map_result(h, cr, e);
        if (rc)
            return rc;
        if (!h->headers_done) /* cannot happen: done without headers is an error */
            return fail(e, LSQL_HTTP_IO, LSQL_ERRF_RETRYABLE, 0,
                        "POST %s: the answer ended before its headers", h->path);
        if (status)
            *status = h->status;
        lsql__err_ok(e);
        return LSQL_OK;
    }
    h->sink = NULL;
    h->streaming = true;
    if (status)
        *status = 200;
    lsql__err_ok(e);
    return LSQL_OK;
}

static int stream_fail(rhttp *h, int code, lsql_error *e)
{
    /* abort the transfer, keep the error for later calls */
    detach(h);
    h->serr = code;
    h->serr_e = *e;
    return code;
}

/* Looks for the next whole item (line, or length-prefixed message) of the
 * unread bytes. 1: the item is *len bytes at sbuf + *off (consumed); 0:
 * more bytes are needed; -1: the stream failed (a malformed or too long
 * item: the error is set). */
static int find_item(rhttp *h, bool items, size_t *off, size_t *len, lsql_error *e)
{
    if (!items) {
        char *nl = h->slen > h->sscan ? memchr(h->sbuf + h->sscan, '\n', h->slen - h->sscan)
                                      : NULL;
        if (nl) {
            size_t l = (size_t)(nl - (h->sbuf + h->sstart));
            *off = h->sstart;
            *len = l;
            h->sstart = h->sscan = h->sstart + l + 1;
            if (l <= h->max_response)
                return 1;
        } else {
            h->sscan = h->slen;
            if (h->slen - h->sstart <= h->max_response)
                return 0;
        }
        stream_fail(h,
                    fail(e, LSQL_HTTP_TOO_LARGE, 0, 200,
                         "POST %s: a line of the streamed answer is larger than the limit of "
                         "%zu bytes",
                         h->path, h->max_response),
                    e);
        return -1;
    }
    /* a varint length, then that many bytes */
    size_t unread = h->slen - h->sstart, hdr = 0, l = 0;
    h->sscan = h->slen;
    if (!unread)
        return 0;
    hrana_status st;
    st.code = HRANA_OK;
    st.message[0] = 0;
    int f = hrana_pb_frame(h->sbuf + h->sstart, unread, h->max_response, &hdr, &l, &st);
    if (f > 0) {
        *off = h->sstart + hdr;
        *len = l;
        h->sstart = h->sscan = h->sstart + hdr + l;
        return 1;
    }
    if (f == 0)
        return 0;
    if (st.code == HRANA_E_TOO_LARGE)
        fail(e, LSQL_HTTP_TOO_LARGE, 0, 200,
             "POST %s: an item of the streamed answer is larger than the limit of %zu bytes",
             h->path, h->max_response);
    else
        fail(e, st.code == HRANA_E_NOMEM ? LSQL_NOMEM : LSQL_HRANA_PROTOCOL, 0, 200,
             "POST %s: malformed length of an item of the streamed answer: %s", h->path,
             st.message);
    stream_fail(h, e->ext_code, e);
    return -1;
}

/* The next line (items false) or length-prefixed item (items true) of the
 * stream: see rhttp_stream_line and rhttp_stream_item. */
static int stream_next(rhttp *h, bool items, const char **line, size_t *len, lsql_error *e)
{
    lsql_error tmp;
    lsql_error *pe = e ? e : &tmp;
    if (line)
        *line = NULL;
    if (len)
        *len = 0;
    if (!h || !line || !len)
        return fail(e, LSQL_INVALID_ARG, 0, 0, "rhttp_stream_line: NULL argument");
    if (!h->streaming)
        return fail(e, LSQL_MISUSE_STATE, 0, 0, "rhttp_stream_line: no stream is open");
    if (h->serr) {
        if (e)
            *e = h->serr_e;
        return h->serr;
    }
    if (h->eof) {
        lsql__err_ok(e);
        return LSQL_DONE;
    }
    if (atomic_load_explicit(&h->intr, memory_order_relaxed))
        return stream_fail(h, drive_error(h, DRIVE_INTR, CURLM_OK, pe), pe);
    h->items = items;
    for (;;) {
        size_t off = 0, l = 0;
        int f = find_item(h, items, &off, &l, pe);
        if (f < 0)
            return pe->ext_code;
        if (f > 0) {
            *line = h->sbuf + off;
            *len = l;
            lsql__err_ok(e);
            return LSQL_ROW;
        }
        size_t unread = h->slen - h->sstart;
        if (h->done) {
            int rc = map_result(h, h->result, pe);
            if (!rc && unread && items)
                rc = fail(pe, LSQL_HRANA_PROTOCOL, 0, 200,
                          "POST %s: the streamed answer ends inside an item (%zu bytes of it "
                          "received)",
                          h->path, unread);
            if (rc) {
                h->serr = rc;
                h->serr_e = *pe;
                return rc;
            }
            if (unread) { /* last line without '\n' */
                *line = h->sbuf + h->sstart;
                *len = unread;
                h->sstart = h->sscan = h->slen;
                lsql__err_ok(e);
                return LSQL_ROW;
            }
            h->eof = true;
            lsql__err_ok(e);
            return LSQL_DONE;
        }
        /* need more: compact, then receive until some bytes arrive */
        if (h->sstart) {
            memmove(h->sbuf, h->sbuf + h->sstart, unread);
            h->slen = h->sscan = unread;
            h->sstart = 0;
        }
        h->want_more = true;
        uint64_t mark = h->rx_gen;
        h->deadline = now_ms() + h->request_timeout_ms;
        if (h->paused) {
            h->paused = false;
            CURLcode cr = curl_easy_pause(h->easy, CURLPAUSE_CONT);
            if (cr != CURLE_OK && !h->done) {
                h->done = true;
                h->result = cr;
                detach(h);
                continue;
            }
            if (h->rx_gen != mark)
                continue; /* curl delivered what it held */
        }
        CURLMcode mc = CURLM_OK;
        int d = drive(h, got_data, mark, true, &mc);
        if (d)
            return stream_fail(h, drive_error(h, d, mc, pe), pe);
    }
}

int rhttp_stream_line(rhttp *h, const char **line, size_t *len, lsql_error *e)
{
    return stream_next(h, false, line, len, e);
}

int rhttp_stream_item(rhttp *h, const char **item, size_t *len, lsql_error *e)
{
    return stream_next(h, true, item, len, e);
}

void rhttp_stream_end(rhttp *h)
{
    if (!h || !h->streaming)
        return;
    detach(h);
    h->streaming = false;
    h->want_more = false;
    h->paused = false;
    h->serr = 0;
    h->eof = false;
    stream_reset_buf(h);
    h->mode = XFER_NONE;
}

bool rhttp_streaming(const rhttp *h) { return h && h->streaming; }

void rhttp_interrupt(rhttp *h)
{
    if (!h)
        return;
    atomic_store(&h->intr, 1);
    curl_multi_wakeup(h->multi);
}

void rhttp_set_protobuf(rhttp *h, bool on)
{
    if (h)
        h->protobuf = on;
}

const char *rhttp_content_type(const rhttp *h) { return h ? h->ctype : ""; }

void rhttp_clear_interrupt(rhttp *h)
{
    if (h)
        atomic_store(&h->intr, 0);
}

const atomic_int *rhttp_interrupt_flag(const rhttp *h) { return h ? &h->intr : NULL; }

size_t rhttp__stream_peak_unread(const rhttp *h) { return h ? h->peak_unread : 0; }
size_t rhttp__stream_peak_cap(const rhttp *h) { return h ? h->peak_cap : 0; }
