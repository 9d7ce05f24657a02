/* metrics.h -- counters for GET /metrics (Prometheus text format): HTTP
 * requests by endpoint and status, stream requests by type and result,
 * errors by code, a latency histogram, stream gauges. All atomics. */
#ifndef LSQLD_METRICS_H
#define LSQLD_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "hrana.h"

enum {
    EP_PIPELINE = 0, /* POST /v2/pipeline, /v3/pipeline (JSON) */
    EP_CURSOR,       /* POST /v3/cursor (JSON) */
    EP_PIPELINE_PB,  /* POST /v3-protobuf/pipeline */
    EP_CURSOR_PB,    /* POST /v3-protobuf/cursor */
    EP_HEALTH,
    EP_VERSION,
    EP_PROBE, /* GET /v2, /v3, /v3-protobuf */
    EP_METRICS,
    EP_OPTIONS,
    EP_OTHER,
    EP_COUNT
};

#define METRICS_STATUSES 11 /* 200 204 400 401 403 404 405 413 500 503 other */
#define METRICS_BUCKETS 15
#define METRICS_CODES 64

typedef struct lsqld_metrics {
    atomic_ullong http[EP_COUNT][METRICS_STATUSES];
    atomic_ullong stream_req[HRANA_REQ_COUNT][2]; /* [type][0 ok, 1 error] */
    atomic_ullong errors[METRICS_CODES];          /* index from metrics_code_index */
    atomic_ullong latency_bucket[METRICS_BUCKETS]; /* cumulative at export */
    atomic_ullong latency_count;
    atomic_ullong latency_sum_us;
    atomic_llong streams_open;
    atomic_llong http_active; /* requests being answered */
    atomic_ullong streams_opened;
    atomic_ullong streams_expired;
    atomic_llong writer_waiting; /* requests waiting for the write lock now */
    atomic_ullong writer_waits;
    atomic_ullong writer_timeouts;
    atomic_ullong batch_retries;
} lsqld_metrics;

void lsqld_metrics_init(lsqld_metrics *m);
void lsqld_metrics_http(lsqld_metrics *m, int endpoint, int status, uint64_t micros);
void lsqld_metrics_stream_req(lsqld_metrics *m, int type, int is_error);
/* Counts an error code (protocol, auth or SQLite code name). */
void lsqld_metrics_error(lsqld_metrics *m, const char *code);
/* Appends the Prometheus text exposition to b. */
void lsqld_metrics_render(lsqld_metrics *m, hrana_buf *b);

#endif
