/* metrics.c -- the counters and their Prometheus text rendering. */
#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const int statuses[METRICS_STATUSES - 1] = {200, 204, 400, 401, 403, 404,
                                                   405, 413, 500, 503};
static const char *const ep_names[EP_COUNT] = {
    "pipeline", "cursor",  "pipeline_protobuf", "cursor_protobuf", "health",
    "version",  "probe",   "metrics",           "options",         "other"};
/* upper bounds in microseconds */
static const uint64_t bucket_us[METRICS_BUCKETS] = {
    250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000,
    2500000, 5000000, 10000000};
static const char *const bucket_le[METRICS_BUCKETS] = {
    "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
    "0.1",     "0.25",   "0.5",   "1",      "2.5",   "5",    "10"};

/* Error codes counted by name; anything else is "OTHER" (bounded labels). */
static const char *const codes[] = {
    "OTHER", "JSON_INVALID", "PROTOBUF_INVALID", "REQUEST_INVALID", "REQUEST_UNKNOWN", "LIMIT_EXCEEDED",
    "BODY_TOO_LARGE", "OUT_OF_MEMORY", "BATON_INVALID", "BATON_REUSED", "STREAM_EXPIRED",
    "STREAM_CLOSED", "STREAMS_TOO_MANY", "AUTH_HEADER_MISSING", "AUTH_HEADER_INVALID",
    "AUTH_TOKEN_INVALID", "AUTH_JWT_INVALID", "AUTH_JWT_EXPIRED", "AUTH_FORBIDDEN",
    "NOT_FOUND", "METHOD_NOT_ALLOWED", "INTERNAL_ERROR", "SHUTTING_DOWN",
    "SQL_INPUT_ERROR", "SQL_NO_STATEMENT", "SQL_MANY_STATEMENTS", "SQL_NOT_FOUND",
    "SQL_STORE_TOO_MANY", "SQL_STORE_TOO_LARGE", "SQL_STORE_EXISTS", "ARGS_INVALID",
    "ARGS_BOTH_POSITIONAL_AND_NAMED", "RESPONSE_TOO_LARGE", "SQLITE_ERROR",
    "SQLITE_INTERNAL", "SQLITE_PERM", "SQLITE_ABORT", "SQLITE_BUSY", "SQLITE_LOCKED",
    "SQLITE_NOMEM", "SQLITE_READONLY", "SQLITE_INTERRUPT", "SQLITE_IOERR", "SQLITE_CORRUPT",
    "SQLITE_NOTFOUND", "SQLITE_FULL", "SQLITE_CANTOPEN", "SQLITE_PROTOCOL", "SQLITE_EMPTY",
    "SQLITE_SCHEMA", "SQLITE_TOOBIG", "SQLITE_CONSTRAINT", "SQLITE_MISMATCH",
    "SQLITE_MISUSE", "SQLITE_NOLFS", "SQLITE_AUTH", "SQLITE_FORMAT", "SQLITE_RANGE",
    "SQLITE_NOTADB", "SQLITE_NOTICE", "SQLITE_WARNING",
};
_Static_assert(sizeof codes / sizeof codes[0] <= METRICS_CODES, "too many metric codes");

void lsqld_metrics_init(lsqld_metrics *m)
{
    memset(m, 0, sizeof *m);
}

void lsqld_metrics_http(lsqld_metrics *m, int endpoint, int status, uint64_t us)
{
    int si = METRICS_STATUSES - 1;
    for (int i = 0; i < METRICS_STATUSES - 1; i++)
        if (statuses[i] == status)
            si = i;
    if (endpoint < 0 || endpoint >= EP_COUNT)
        endpoint = EP_OTHER;
    atomic_fetch_add_explicit(&m->http[endpoint][si], 1, memory_order_relaxed);
    for (int i = 0; i < METRICS_BUCKETS; i++)
        if (us <= bucket_us[i]) {
            atomic_fetch_add_explicit(&m->latency_bucket[i], 1, memory_order_relaxed);
            break;
        }
    atomic_fetch_add_explicit(&m->latency_count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->latency_sum_us, us, memory_order_relaxed);
}

void lsqld_metrics_stream_req(lsqld_metrics *m, int type, int is_error)
{
    if (type <= 0 || type >= HRANA_REQ_COUNT)
        return;
    atomic_fetch_add_explicit(&m->stream_req[type][is_error ? 1 : 0], 1, memory_order_relaxed);
}

void lsqld_metrics_error(lsqld_metrics *m, const char *code)
{
    size_t idx = 0;
    for (size_t i = 1; i < sizeof codes / sizeof codes[0]; i++)
        if (!strcmp(codes[i], code)) {
            idx = i;
            break;
        }
    atomic_fetch_add_explicit(&m->errors[idx], 1, memory_order_relaxed);
}

static void line(hrana_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(hrana_buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        hrana_buf_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

#define LOAD(x) ((unsigned long long)atomic_load_explicit(&(x), memory_order_relaxed))

void lsqld_metrics_render(lsqld_metrics *m, hrana_buf *b)
{
    line(b, "# HELP lsqld_http_requests_total HTTP requests by endpoint and status.\n");
    line(b, "# TYPE lsqld_http_requests_total counter\n");
    for (int e = 0; e < EP_COUNT; e++)
        for (int s = 0; s < METRICS_STATUSES; s++) {
            unsigned long long v = LOAD(m->http[e][s]);
            if (!v)
                continue;
            if (s < METRICS_STATUSES - 1)
                line(b, "lsqld_http_requests_total{endpoint=\"%s\",status=\"%d\"} %llu\n",
                     ep_names[e], statuses[s], v);
            else
                line(b, "lsqld_http_requests_total{endpoint=\"%s\",status=\"other\"} %llu\n",
                     ep_names[e], v);
        }
    line(b, "# HELP lsqld_stream_requests_total Hrana stream requests by type and result.\n");
    line(b, "# TYPE lsqld_stream_requests_total counter\n");
    for (int t = 1; t < HRANA_REQ_COUNT; t++)
        for (int r = 0; r < 2; r++)
            line(b, "lsqld_stream_requests_total{type=\"%s\",result=\"%s\"} %llu\n",
                 hrana_req_type_name(t), r ? "error" : "ok", LOAD(m->stream_req[t][r]));
    line(b, "# HELP lsqld_errors_total Errors sent to clients, by code.\n");
    line(b, "# TYPE lsqld_errors_total counter\n");
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        unsigned long long v = LOAD(m->errors[i]);
        if (v)
            line(b, "lsqld_errors_total{code=\"%s\"} %llu\n", codes[i], v);
    }
    line(b, "# HELP lsqld_http_request_duration_seconds Time to answer an HTTP request.\n");
    line(b, "# TYPE lsqld_http_request_duration_seconds histogram\n");
    unsigned long long cum = 0;
    for (int i = 0; i < METRICS_BUCKETS; i++) {
        cum += LOAD(m->latency_bucket[i]);
        line(b, "lsqld_http_request_duration_seconds_bucket{le=\"%s\"} %llu\n", bucket_le[i],
             cum);
    }
    unsigned long long count = LOAD(m->latency_count);
    line(b, "lsqld_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", count);
    line(b, "lsqld_http_request_duration_seconds_sum %.6f\n", LOAD(m->latency_sum_us) / 1e6);
    line(b, "lsqld_http_request_duration_seconds_count %llu\n", count);
    line(b, "# HELP lsqld_http_requests_active HTTP requests being answered.\n");
    line(b, "# TYPE lsqld_http_requests_active gauge\n");
    line(b, "lsqld_http_requests_active %lld\n",
         (long long)atomic_load_explicit(&m->http_active, memory_order_relaxed));
    line(b, "# HELP lsqld_streams_open Streams currently open.\n");
    line(b, "# TYPE lsqld_streams_open gauge\n");
    line(b, "lsqld_streams_open %lld\n",
         (long long)atomic_load_explicit(&m->streams_open, memory_order_relaxed));
    line(b, "# HELP lsqld_streams_opened_total Streams opened.\n");
    line(b, "# TYPE lsqld_streams_opened_total counter\n");
    line(b, "lsqld_streams_opened_total %llu\n", LOAD(m->streams_opened));
    line(b, "# HELP lsqld_streams_expired_total Streams closed after being idle too long.\n");
    line(b, "# TYPE lsqld_streams_expired_total counter\n");
    line(b, "lsqld_streams_expired_total %llu\n", LOAD(m->streams_expired));
    line(b, "# HELP lsqld_writer_waiting Requests waiting for the write lock.\n");
    line(b, "# TYPE lsqld_writer_waiting gauge\n");
    line(b, "lsqld_writer_waiting %lld\n",
         (long long)atomic_load_explicit(&m->writer_waiting, memory_order_relaxed));
    line(b, "# HELP lsqld_writer_waits_total Times a stream waited for the write lock.\n");
    line(b, "# TYPE lsqld_writer_waits_total counter\n");
    line(b, "lsqld_writer_waits_total %llu\n", LOAD(m->writer_waits));
    line(b, "# HELP lsqld_writer_timeouts_total Write-lock waits that timed out.\n");
    line(b, "# TYPE lsqld_writer_timeouts_total counter\n");
    line(b, "lsqld_writer_timeouts_total %llu\n", LOAD(m->writer_timeouts));
    line(b, "# HELP lsqld_batch_retries_total Batches re-run under the write lock after SQLITE_BUSY.\n");
    line(b, "# TYPE lsqld_batch_retries_total counter\n");
    line(b, "lsqld_batch_retries_total %llu\n", LOAD(m->batch_retries));
}
