/* rreq.c -- the requests of one exchange under construction.
 *
 * Every request body, JSON or protobuf, is written from the same
 * hrana_request structures (renc.c): builders append requests to the
 * connection's list (rreq_add) and take the memory of their statements,
 * steps, conditions and arguments from a scratch allocator (rreq_alloc)
 * that is rewound for the next exchange. The scratch keeps its first block
 * between exchanges, so a common request allocates nothing; larger ones
 * (big batches) take more blocks, freed at the next rreq_reset. Text and
 * values are not copied: the structures point to the statements' SQL and
 * binds, which outlive the exchange. */
#include "remote_int.h"

#include <string.h>

#define FIRST_BLOCK 4096u
#define NEXT_BLOCK 16384u
#define ALIGN 16u

struct rsblock {
    rsblock *next;
    size_t used, cap;
    /* data follows, aligned */
};

#define HDR ((sizeof(rsblock) + ALIGN - 1) & ~(size_t)(ALIGN - 1))

static void free_after(rsblock *b)
{
    rsblock *n = b ? b->next : NULL;
    while (n) {
        rsblock *x = n->next;
        lsql__free(n);
        n = x;
    }
    if (b)
        b->next = NULL;
}

void rreq_reset(rconn *rc)
{
    rc->nreq = 0;
    rsblock *b = rc->scratch.head;
    if (b) {
        free_after(b);
        b->used = 0;
    }
}

void rreq_free(rconn *rc)
{
    free_after(rc->scratch.head);
    lsql__free(rc->scratch.head);
    rc->scratch.head = NULL;
    lsql__free(rc->reqv);
    rc->reqv = NULL;
    rc->nreq = rc->capreq = 0;
}

static void *nomem(rconn *rc)
{
    lsql__conn_fail(rc->c, NULL, LSQL_NOMEM, "out of memory building a request");
    return NULL;
}

void *rreq_alloc(rconn *rc, size_t n)
{
    if (n > SIZE_MAX / 4)
        return nomem(rc);
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (!n)
        n = ALIGN;
    /* the newest block is second in the list (the first is kept) */
    rsblock *first = rc->scratch.head;
    rsblock *b = first && first->next ? first->next : first;
    if (!b || b->cap - b->used < n) {
        size_t cap = !first ? FIRST_BLOCK : b->cap < NEXT_BLOCK ? NEXT_BLOCK : b->cap * 2;
        if (cap > ((size_t)1 << 20))
            cap = (size_t)1 << 20;
        if (cap < n)
            cap = n;
        rsblock *nb = lsql__malloc(HDR + cap);
        if (!nb)
            return nomem(rc);
        nb->used = 0;
        nb->cap = cap;
        nb->next = NULL;
        if (!first) {
            rc->scratch.head = nb;
        } else {
            nb->next = first->next;
            first->next = nb;
        }
        b = nb;
    }
    char *p = (char *)b + HDR + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

hrana_request *rreq_add(rconn *rc, int type)
{
    if (rc->nreq == rc->capreq) {
        size_t cap = rc->capreq ? rc->capreq * 2 : 16;
        hrana_request *v = lsql__realloc(rc->reqv, cap * sizeof *v);
        if (!v)
            return nomem(rc);
        rc->reqv = v;
        rc->capreq = cap;
    }
    hrana_request *r = &rc->reqv[rc->nreq++];
    memset(r, 0, sizeof *r);
    r->type = type;
    return r;
}
