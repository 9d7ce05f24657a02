/* fault_alloc.h -- a fault-injecting lsql_allocator for the out-of-memory
 * tests (tests/core/test_oom.c, tests/remote/test_remote_oom.c). Install it
 * with lsql_set_allocator(&k_fault_allocator...) before anything else; after
 * fault_arm(N) the Nth allocation (malloc or realloc) from then on fails:
 * only that one ("transient"), or that one and every later one
 * ("persistent"). Live blocks and bytes are counted for leak checks. Not
 * thread-safe: one thread only. */
#ifndef LSQL_TEST_FAULT_ALLOC_H
#define LSQL_TEST_FAULT_ALLOC_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Every block carries a 16-byte header holding its size, so the payload
 * stays aligned for any type and live bytes can be counted. */
#define HDR 16

static struct {
    long live_blocks;
    size_t live_bytes;
    unsigned long allocs;     /* malloc/realloc calls in total */
    bool armed;
    bool persistent;
    unsigned long since_arm;  /* allocation calls since fault_arm */
    unsigned long fail_at;    /* the Nth one fails */
    unsigned long hits;       /* injected failures since fault_arm */
} g_fault;

static inline bool fault_should_fail(void)
{
    g_fault.allocs++;
    if (!g_fault.armed)
        return false;
    unsigned long k = ++g_fault.since_arm;
    if (k == g_fault.fail_at || (g_fault.persistent && k > g_fault.fail_at)) {
        g_fault.hits++;
        return true;
    }
    return false;
}

static inline void *f_malloc(size_t n, void *ctx)
{
    (void)ctx;
    if (fault_should_fail())
        return NULL;
    unsigned char *b = malloc(n + HDR);
    if (!b)
        return NULL;
    memcpy(b, &n, sizeof n);
    g_fault.live_blocks++;
    g_fault.live_bytes += n;
    return b + HDR;
}

static inline void *f_realloc(void *p, size_t n, void *ctx)
{
    if (!p)
        return f_malloc(n, ctx);
    if (fault_should_fail())
        return NULL; /* the old block stays valid */
    unsigned char *b = (unsigned char *)p - HDR;
    size_t old;
    memcpy(&old, b, sizeof old);
    unsigned char *q = realloc(b, n + HDR);
    if (!q)
        return NULL;
    memcpy(q, &n, sizeof n);
    g_fault.live_bytes = g_fault.live_bytes - old + n;
    return q + HDR;
}

static inline void f_free(void *p, void *ctx)
{
    (void)ctx;
    if (!p)
        return;
    unsigned char *b = (unsigned char *)p - HDR;
    size_t n;
    memcpy(&n, b, sizeof n);
    g_fault.live_blocks--;
    g_fault.live_bytes -= n;
    free(b);
}

static inline void fault_arm(unsigned long n, bool persistent)
{
    g_fault.armed = true;
    g_fault.persistent = persistent;
    g_fault.since_arm = 0;
    g_fault.fail_at = n;
    g_fault.hits = 0;
}

static inline void fault_disarm(void) { g_fault.armed = false; }


#endif
