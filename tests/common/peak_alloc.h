/* peak_alloc.h -- an lsql_allocator that tracks live bytes and their peak,
 * for the tests and benchmarks that show memory does not grow with the row
 * count (tests/core/test_cursor.c, bench/bench_txn.c). The counters are
 * atomic: lsql's allocator is process-wide, so other threads (an
 * in-process lsqld in the remote builds) count into them too; the peak is
 * exact for one thread. Each block carries a 16-byte size header, so the
 * payload stays aligned for any type. */
#ifndef LSQL_TEST_PEAK_ALLOC_H
#define LSQL_TEST_PEAK_ALLOC_H

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "lsql.h"

typedef struct {
    _Atomic size_t live, peak;
    _Atomic unsigned long calls;
} peak_counter;

#define PEAK_HDR 16

static inline void *peak_malloc(size_t n, void *ctx)
{
    peak_counter *m = ctx;
    unsigned char *b = malloc(n + PEAK_HDR);
    if (!b)
        return NULL;
    memcpy(b, &n, sizeof n);
    m->live += n;
    if (m->live > m->peak)
        m->peak = m->live;
    m->calls++;
    return b + PEAK_HDR;
}

static inline void peak_free(void *p, void *ctx)
{
    peak_counter *m = ctx;
    if (!p)
        return;
    unsigned char *b = (unsigned char *)p - PEAK_HDR;
    size_t n;
    memcpy(&n, b, sizeof n);
    m->live -= n;
    free(b);
}

static inline void *peak_realloc(void *p, size_t n, void *ctx)
{
    peak_counter *m = ctx;
    if (!p)
        return peak_malloc(n, ctx);
    unsigned char *b = (unsigned char *)p - PEAK_HDR;
    size_t old;
    memcpy(&old, b, sizeof old);
    unsigned char *q = realloc(b, n + PEAK_HDR);
    if (!q)
        return NULL;
    memcpy(q, &n, sizeof n);
    m->live += n;
    m->live -= old;
    if (m->live > m->peak)
        m->peak = m->live;
    m->calls++;
    return q + PEAK_HDR;
}

/* The allocator table for lsql_set_allocator, counting into *m. */
static inline lsql_allocator peak_allocator(peak_counter *m)
{
    lsql_allocator a = {peak_malloc, peak_realloc, peak_free, m};
    return a;
}

#endif
