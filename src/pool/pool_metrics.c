/* pool_metrics.c -- wait-time histogram, metrics snapshot and events. */
#include "pool_int.h"

#include <string.h>

/* Bucket of a value: exact below 16, then 8 buckets per power of two. */
static int bucket_of(uint64_t v)
{
    if (v < 16)
        return (int)v;
    int e = 63 - __builtin_clzll(v); /* e >= 4 */
    int sub = (int)((v >> (e - 3)) & 7);
    return 16 + (e - 4) * 8 + sub;
}

static uint64_t bucket_upper(int b)
{
    if (b < 16)
        return (uint64_t)b;
    int e = (b - 16) / 8 + 4, sub = (b - 16) % 8;
    if (e >= 63 && sub == 7)
        return UINT64_MAX;
    return (((uint64_t)(8 + sub + 1)) << (e - 3)) - 1;
}

void pool__hist_add(pool_hist *h, uint64_t ns)
{
    h->b[bucket_of(ns)]++;
    h->count++;
    if (ns > h->max_ns)
        h->max_ns = ns;
}

uint64_t pool__hist_pct(const pool_hist *h, double q)
{
    if (h->count == 0)
        return 0;
    uint64_t want = (uint64_t)(q * (double)h->count);
    if ((double)want < q * (double)h->count)
        want++;
    if (want == 0)
        want = 1;
    uint64_t seen = 0;
    for (int b = 0; b < POOL_HIST_BUCKETS; b++) {
        seen += h->b[b];
        if (seen >= want) {
            uint64_t up = bucket_upper(b);
            return up < h->max_ns ? up : h->max_ns;
        }
    }
    return h->max_ns;
}

static int total_waiters(const lsql_pool *p)
{
    int n = 0;
    for (int i = 0; i < p->nsets; i++)
        n += p->sets[i].nwait;
    return n;
}

LSQL_API int lsql_pool_metrics_get(lsql_pool *p, lsql_pool_metrics *out)
{
    if (!p || p->magic != POOL_MAGIC)
        return LSQL_MISUSE_HANDLE;
    if (!out || out->struct_size < offsetof(lsql_pool_metrics, acquires))
        return LSQL_INVALID_ARG;
    size_t want = out->struct_size;
    lsql_pool_metrics m;
    memset(&m, 0, sizeof m);
    m.struct_size = want < sizeof m ? want : sizeof m;
    pthread_mutex_lock(&p->mu);
    for (int i = 0; i < p->nsets; i++) {
        const pool_set *s = &p->sets[i];
        m.size += s->total;
        m.in_use += s->in_use;
        m.idle += s->idle;
        m.waiters += s->nwait;
        m.min_size += s->min;
        m.max_size += s->max;
        if (s->role == ROLE_WRITER) {
            m.writer_in_use = s->in_use;
            m.writer_waiters = s->nwait;
        }
    }
    m.acquires = p->ctr.acquires;
    m.waits = p->ctr.waits;
    m.timeouts = p->ctr.timeouts;
    m.created = p->ctr.created;
    m.destroyed = p->ctr.destroyed;
    m.broken = p->ctr.broken;
    m.releases = p->ctr.releases;
    m.wait_p50_ns = pool__hist_pct(&p->hist, 0.50);
    m.wait_p99_ns = pool__hist_pct(&p->hist, 0.99);
    m.wait_max_ns = p->hist.max_ns;
    m.hold_p50_ns = pool__hist_pct(&p->hold_hist, 0.50);
    m.hold_p99_ns = pool__hist_pct(&p->hold_hist, 0.99);
    m.hold_max_ns = p->hold_hist.max_ns;
    m.leaks = p->ctr.leaks;
    int64_t now = pool__now_ns();
    for (int i = 0; i < p->nall; i++) {
        const pool_entry *e = p->all[i];
        if (e->state != PE_IDLE && !e->granted && now - e->acquired_ns > (int64_t)m.held_longest_ns)
            m.held_longest_ns = (uint64_t)(now - e->acquired_ns);
    }
    pthread_mutex_unlock(&p->mu);
    memcpy(out, &m, m.struct_size);
    out->struct_size = want;
    return LSQL_OK;
}

LSQL_API int lsql_pool_set_event_cb(lsql_pool *p, lsql_pool_event_fn fn, void *ctx)
{
    if (!p || p->magic != POOL_MAGIC)
        return LSQL_MISUSE_HANDLE;
    pthread_mutex_lock(&p->mu);
    p->ev_fn = fn;
    p->ev_ctx = fn ? ctx : NULL;
    pthread_mutex_unlock(&p->mu);
    return LSQL_OK;
}

void pool__event_fill(lsql_pool *p, lsql_pool_event *ev, int type, const pool_set *s,
                      lsql_conn *c, int64_t wait_ns, int code)
{
    memset(ev, 0, sizeof *ev);
    ev->struct_size = sizeof *ev;
    ev->type = type;
    ev->intent = s ? pool__role_intent(s->role) : LSQL_POOL_ANY;
    ev->conn = c;
    ev->wait_ns = wait_ns;
    ev->waiters = total_waiters(p);
    for (int i = 0; i < p->nsets; i++) {
        ev->size += p->sets[i].total;
        ev->in_use += p->sets[i].in_use;
    }
    ev->code = code;
}

void pool__event_emit(lsql_pool_event_fn fn, void *ctx, const lsql_pool_event *ev)
{
    if (fn)
        fn(ctx, ev);
}
