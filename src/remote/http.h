/* http.h -- the remote backend's HTTP transport over libcurl (internal).
 *
 * One rhttp per lsql connection: one CURL easy handle, reused for every
 * request so that the TCP/TLS connection is kept alive between requests.
 * Requests are synchronous (the calling thread waits). A streamed request
 * (rhttp_stream_*) hands out the body line by line while it is still
 * arriving, with bounded memory: the transfer is paused whenever more than
 * RHTTP_STREAM_WINDOW unread bytes are buffered.
 *
 * Errors (lsql codes, `e` filled: message, http_status, retryable flag):
 *   LSQL_HTTP_CONNECT   could not connect: nothing was sent (retryable)
 *   LSQL_HTTP_TIMEOUT   connect or request timeout (retryable)
 *   LSQL_HTTP_IO        reset/closed/short body during the exchange (retryable)
 *   LSQL_HTTP_TLS       TLS handshake or verification failure
 *   LSQL_HTTP_TOO_LARGE body larger than cfg.max_response
 *   LSQL_INTERRUPTED    rhttp_interrupt() was called during the request
 *   LSQL_NOMEM
 * A received answer is LSQL_OK whatever its HTTP status: the caller reads
 * *status and the body (lsql__remote_http_error() maps non-200 answers).
 * Also LSQL_INVALID_ARG (NULL argument, method other than GET/POST) and
 * LSQL_MISUSE_STATE (a request while a stream is still receiving; a stream
 * that has finished -- LSQL_DONE or an error -- is ended implicitly).
 *
 * After any error the rhttp stays usable: a failed or aborted transfer's
 * connection is closed by curl, the next request connects again. The
 * interrupt flag, though, stays set until rhttp_clear_interrupt().
 *
 * Every transfer runs through a curl multi handle owned by the rhttp (its
 * connection cache is what keeps the connection alive between plain
 * requests and streams).
 *
 * Threads: an rhttp is used by one thread at a time, except
 * rhttp_interrupt(), which any thread may call at any time. */
#ifndef LSQL_REMOTE_HTTP_H
#define LSQL_REMOTE_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lsql.h"
#include "../hrana/hrana.h"

#define RHTTP_STREAM_WINDOW (256 * 1024) /* unread bytes buffered before pausing */
#define RHTTP_CTYPE_MAX 96               /* bytes kept of an answer's Content-Type */

typedef struct rhttp_cfg {
    /* "http://host[:port][/prefix]" or "https://...", without a trailing
     * slash; request paths ("/v3/pipeline") are appended to it. Copied. */
    const char *base;
    const char *auth_token;      /* NULL or "": no Authorization header. Copied. */
    uint32_t connect_timeout_ms; /* 0: 10000 */
    uint32_t request_timeout_ms; /* 0: 30000. Plain requests: the whole exchange
                                    (connect included); streams: longest wait for
                                    the headers or for more data while the
                                    consumer waits in rhttp_stream_line */
    const char *ca_file;         /* NULL: system default. Copied. */
    const char *ca_path;         /* NULL: system default. Copied. */
    bool verify_tls;             /* peer and host verification */
    bool http2;                  /* offer HTTP/2 over TLS (ALPN) */
    size_t max_response;         /* bytes of one response body (streams: one line;
                                    a stream's non-200 body is truncated to it);
                                    0: 64 MiB */
} rhttp_cfg;

typedef struct rhttp rhttp;

/* Creates a transport. Calls curl_global_init once per process (thread-safe).
 * Nothing is connected yet. LSQL_OK, LSQL_NOMEM, LSQL_INVALID_URL (not
 * http:// or https://, no host, spaces), LSQL_NOTSUP (this libcurl lacks an
 * option, e.g. HTTP/2). Trailing slashes of cfg.base are dropped. */
int rhttp_new(const rhttp_cfg *cfg, rhttp **out, lsql_error *e);
/* Frees it (aborting a stream in progress). NULL is harmless. */
void rhttp_free(rhttp *h);

/* One request with the whole answer. method "GET" or "POST"; body may be
 * NULL (n 0). Sends "authorization: Bearer <token>" when a token is set,
 * "content-type: application/json" with a body (application/x-protobuf,
 * with "accept: application/x-protobuf", after rhttp_set_protobuf(h, true)),
 * and "x-libsql-client-version: lsql-<version>". The answer's body replaces
 * the contents of *resp (its max is raised to cfg.max_response). */
int rhttp_request(rhttp *h, const char *method, const char *path, const char *body,
                  size_t n, long *status, hrana_buf *resp, lsql_error *e);

/* POST bodies of the following requests are protobuf (on) or JSON (off,
 * the default): their content-type and accept headers. */
void rhttp_set_protobuf(rhttp *h, bool on);

/* The Content-Type of the last answer (as sent, without surrounding
 * blanks; at most RHTTP_CTYPE_MAX - 1 bytes), "" when it had none. */
const char *rhttp_content_type(const rhttp *h);

/* Seconds of a Retry-After header of the last answer (delta-seconds form
 * only), or -1. */
long rhttp_retry_after(const rhttp *h);

/* Streams a POST answer (the body is copied). Returns once the status line
 * and headers are in: LSQL_OK with *status; for a status other than 200 the
 * whole body (truncated to cfg.max_response) is read into *errbody and no
 * stream is open; for 200 a stream is open (rhttp_streaming() true) until
 * rhttp_stream_end(), which the caller must call in every case. */
int rhttp_stream_start(rhttp *h, const char *path, const char *body, size_t n, long *status,
                       hrana_buf *errbody, lsql_error *e);
/* Next line of the streamed body, without its '\n' (a last line without
 * '\n' counts; a '\r' before the '\n' is kept). LSQL_ROW: *line and *len valid
 * until the next call on h; LSQL_DONE: end of body (again on later calls);
 * else an error (a line longer than cfg.max_response is
 * LSQL_HTTP_TOO_LARGE; LSQL_HTTP_TIMEOUT when no byte arrives for
 * request_timeout_ms; LSQL_HTTP_IO when the body is cut short). An error
 * aborts the transfer and is returned again by later calls until
 * rhttp_stream_end(). Lines that are already buffered are handed out
 * without touching the network. */
int rhttp_stream_line(rhttp *h, const char **line, size_t *len, lsql_error *e);
/* Next item of a streamed body made of length-prefixed items (a varint
 * length, then that many bytes: Hrana's protobuf cursor bodies), without its
 * prefix. Same results as rhttp_stream_line, plus: an item longer than
 * cfg.max_response is LSQL_HTTP_TOO_LARGE as soon as its prefix is in (the
 * item is not buffered); a malformed prefix, or a body that ends inside an
 * item, is LSQL_HRANA_PROTOCOL. The stream window bounds memory the same
 * way (an item longer than the window is buffered whole). A stream is read
 * either by lines or by items. */
int rhttp_stream_item(rhttp *h, const char **item, size_t *len, lsql_error *e);
/* Ends a stream: an unfinished transfer is aborted (its connection is not
 * reused). Harmless when no stream is open. */
void rhttp_stream_end(rhttp *h);
bool rhttp_streaming(const rhttp *h);

/* Makes the request in progress (or the next one started on h before
 * rhttp_clear_interrupt) fail with LSQL_INTERRUPTED within about 100 ms.
 * Any thread. */
void rhttp_interrupt(rhttp *h);
void rhttp_clear_interrupt(rhttp *h);
/* The interrupt flag itself (non-zero while set), e.g. as the `stop` of
 * lsql__retry_sleep() so that an interrupt also cuts a backoff wait short. */
const atomic_int *rhttp_interrupt_flag(const rhttp *h);

/* Tests only: the most unread bytes the stream buffer ever held, and its
 * largest capacity, over the life of h. */
size_t rhttp__stream_peak_unread(const rhttp *h);
size_t rhttp__stream_peak_cap(const rhttp *h);

#endif
