/* alloc_counter.h -- a counting lsql_allocator for the allocator tests
 * (test_alloc*.c). Not thread-safe: the tests that use it are single-threaded.
 *
 * Every block carries a 16-byte header with its size (the payload stays
 * aligned for any type), and the counter keeps the set of live payload
 * pointers, so a test can ask whether a pointer the library handed out came
 * from this allocator. */
#ifndef LSQL_TEST_ALLOC_COUNTER_H
#define LSQL_TEST_ALLOC_COUNTER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsql.h"

#define AC_HDR 16
#define AC_SET_CAP (1u << 16) /* live-block set: power of two */

typedef struct alloc_counter {
    unsigned long mallocs;  /* new blocks: malloc_fn, realloc_fn(NULL, n) */
    unsigned long reallocs; /* realloc_fn of an existing block */
    unsigned long frees;    /* free_fn of a block */
    long live;              /* live blocks */
    size_t live_bytes;      /* payload bytes of the live blocks */
    size_t largest;         /* largest block ever handed out */
    void *set[AC_SET_CAP];  /* live payload pointers (open addressing) */
} alloc_counter;

static inline size_t ac_slot(const void *p)
{
    uintptr_t x = (uintptr_t)p >> 4;
    x *= (uintptr_t)0x9e3779b97f4a7c15ull;
    return (size_t)(x >> 7) & (AC_SET_CAP - 1);
}

static inline void ac_set_add(alloc_counter *c, void *p)
{
    if ((size_t)c->live >= AC_SET_CAP / 2) {
        fprintf(stderr, "alloc_counter: too many live blocks\n");
        abort();
    }
    size_t i = ac_slot(p);
    while (c->set[i])
        i = (i + 1) & (AC_SET_CAP - 1);
    c->set[i] = p;
}

static inline int ac_set_find(const alloc_counter *c, const void *p, size_t *at)
{
    size_t i = ac_slot(p);
    while (c->set[i]) {
        if (c->set[i] == p) {
            if (at)
                *at = i;
            return 1;
        }
        i = (i + 1) & (AC_SET_CAP - 1);
    }
    return 0;
}

/* Linear-probing removal with backward shift (no tombstones). */
static inline void ac_set_del(alloc_counter *c, const void *p)
{
    size_t i;
    if (!ac_set_find(c, p, &i)) {
        fprintf(stderr, "alloc_counter: free of a block it never handed out: %p\n", p);
        abort();
    }
    c->set[i] = NULL;
    size_t j = i;
    for (;;) {
        j = (j + 1) & (AC_SET_CAP - 1);
        if (!c->set[j])
            break;
        size_t k = ac_slot(c->set[j]);
        /* move set[j] into the hole at i unless its home k lies in (i, j] */
        if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
            c->set[i] = c->set[j];
            c->set[j] = NULL;
            i = j;
        }
    }
}

static inline void *ac_malloc(size_t n, void *ctx)
{
    alloc_counter *c = ctx;
    unsigned char *b = malloc(n + AC_HDR);
    if (!b)
        return NULL;
    memcpy(b, &n, sizeof n);
    c->mallocs++;
    c->live++;
    c->live_bytes += n;
    if (n > c->largest)
        c->largest = n;
    ac_set_add(c, b + AC_HDR);
    return b + AC_HDR;
}

static inline void *ac_realloc(void *p, size_t n, void *ctx)
{
    alloc_counter *c = ctx;
    if (!p)
        return ac_malloc(n, ctx);
    unsigned char *b = (unsigned char *)p - AC_HDR;
    size_t old;
    memcpy(&old, b, sizeof old);
    ac_set_del(c, p);
    unsigned char *q = realloc(b, n + AC_HDR);
    if (!q) {
        ac_set_add(c, p);
        return NULL;
    }
    memcpy(q, &n, sizeof n);
    c->reallocs++;
    c->live_bytes = c->live_bytes - old + n;
    if (n > c->largest)
        c->largest = n;
    ac_set_add(c, q + AC_HDR);
    return q + AC_HDR;
}

static inline void ac_free(void *p, void *ctx)
{
    alloc_counter *c = ctx;
    if (!p)
        return;
    unsigned char *b = (unsigned char *)p - AC_HDR;
    size_t n;
    memcpy(&n, b, sizeof n);
    ac_set_del(c, p);
    c->frees++;
    c->live--;
    c->live_bytes -= n;
    free(b);
}

/* The lsql_allocator that counts into *c (ctx is c). */
static inline lsql_allocator ac_allocator(alloc_counter *c)
{
    lsql_allocator a = {ac_malloc, ac_realloc, ac_free, c};
    return a;
}

/* 1 when p is the start of a live block handed out by c. */
static inline int ac_owns(const alloc_counter *c, const void *p)
{
    return p && ac_set_find(c, p, NULL);
}

/* Size of a live block of c (0 when c does not own it). */
static inline size_t ac_block_size(const alloc_counter *c, const void *p)
{
    if (!ac_owns(c, p))
        return 0;
    size_t n;
    memcpy(&n, (const unsigned char *)p - AC_HDR, sizeof n);
    return n;
}

#endif
