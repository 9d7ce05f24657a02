/* pool_health.c -- opening and closing pooled connections, expiry and
 * health rules, the idle lists, and the maintenance step (on demand or in a
 * background thread). Connections are opened and closed outside the pool
 * mutex; only bookkeeping happens under it. */
#include "pool_int.h"

#include <string.h>
#include <time.h>

/* lsql_pool_opts.on_connect for a new connection of set s. */
static int run_on_connect(lsql_pool *p, pool_set *s, lsql_conn *c, lsql_error *err)
{
    lsql_error ce;
    lsql_error_clear(&ce);
    int rc = p->opts.on_connect(p->opts.on_connect_ctx, c, pool__role_intent(s->role), &ce);
    if (rc == LSQL_OK)
        return LSQL_OK;
    if (rc == LSQL_ROW || rc == LSQL_DONE) /* not an error code */
        rc = LSQL_ERROR;
    return pool__fail_from(err, rc, &ce, "pool: on_connect: %s",
                           ce.message[0] ? ce.message : "the callback failed without a message");
}

int pool__open_conn(lsql_pool *p, pool_set *s, pool_entry **out, lsql_error *err)
{
    *out = NULL;
    pool_entry *e = lsql_malloc(sizeof *e);
    if (!e)
        return pool__fail(err, LSQL_NOMEM, "pool: out of memory for a connection entry");
    memset(e, 0, sizeof *e);
    int rc = lsql_db_connect(pool__set_db(p, s), &e->conn, err);
    /* the split's one writer takes the write lock at every BEGIN: a
     * read-then-write transaction then never meets the BUSY of a lock
     * upgrade (a reader may hold the write lock for an instant while it
     * rereads a WAL header being rewritten) */
    if (rc == LSQL_OK && s->role == ROLE_WRITER)
        lsql_conn_set_deferred_begin(e->conn, LSQL_BEGIN_IMMEDIATE); /* cannot fail here */
    if (rc == LSQL_OK && p->opts.on_connect)
        rc = run_on_connect(p, s, e->conn, err);
    if (rc) {
        lsql_conn_close(e->conn);
        lsql_free(e);
        return rc;
    }
    e->set = s;
    e->created_ns = e->idle_since_ns = pool__now_ns();
    *out = e;
    return LSQL_OK;
}

void pool__close_entry(pool_entry *e)
{
    if (!e)
        return;
    lsql_conn_close(e->conn);
    lsql_free(e);
}

bool pool__expired(const lsql_pool *p, const pool_entry *e, int64_t now)
{
    int32_t life = p->opts.max_lifetime_ms;
    return life != LSQL_POOL_NEVER && now - e->created_ns >= (int64_t)life * 1000000;
}

static bool idle_too_long(const lsql_pool *p, const pool_entry *e, int64_t now)
{
    int32_t t = p->opts.idle_timeout_ms;
    return t != LSQL_POOL_NEVER && now - e->idle_since_ns >= (int64_t)t * 1000000;
}

bool pool__needs_ping(const lsql_pool *p, const pool_entry *e, int64_t now)
{
    if (p->opts.flags & LSQL_POOL_PING_ALWAYS)
        return true;
    int32_t t = p->opts.health_check_idle_ms;
    return t != LSQL_POOL_NEVER && now - e->idle_since_ns >= (int64_t)t * 1000000;
}

int pool__register_locked(lsql_pool *p, pool_entry *e)
{
    if (p->nall == p->capall) {
        int nc = p->capall ? p->capall * 2 : 16;
        pool_entry **a = lsql_malloc((size_t)nc * sizeof *a);
        if (!a)
            return LSQL_NOMEM;
        if (p->nall)
            memcpy(a, p->all, (size_t)p->nall * sizeof *a);
        lsql_free(p->all);
        p->all = a;
        p->capall = nc;
    }
    p->all[p->nall++] = e;
    e->id = ++p->next_entry_id;
    return LSQL_OK;
}

void pool__unregister_locked(lsql_pool *p, pool_entry *e)
{
    for (int i = 0; i < p->nall; i++)
        if (p->all[i] == e) {
            p->all[i] = p->all[--p->nall];
            return;
        }
}

void pool__idle_push(pool_set *s, pool_entry *e, bool at_head)
{
    e->state = PE_IDLE;
    if (at_head) {
        e->prev = NULL;
        e->next = s->idle_head;
        if (s->idle_head)
            s->idle_head->prev = e;
        else
            s->idle_tail = e;
        s->idle_head = e;
    } else {
        e->next = NULL;
        e->prev = s->idle_tail;
        if (s->idle_tail)
            s->idle_tail->next = e;
        else
            s->idle_head = e;
        s->idle_tail = e;
    }
    s->idle++;
}

void pool__idle_remove(pool_set *s, pool_entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        s->idle_head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        s->idle_tail = e->prev;
    e->prev = e->next = NULL;
    s->idle--;
}

void pool__slot_free_locked(pool_set *s)
{
    if (!pool__wq_grant_slot(s))
        s->total--;
}

/* Opens one connection for set s into a slot already counted in s->total
 * and gives it to a waiter or the idle list. */
static int fill_slot(lsql_pool *p, pool_set *s, lsql_error *err)
{
    pool_entry *e;
    int rc = pool__open_conn(p, s, &e, err);
    lsql_pool_event ev;
    lsql_pool_event_fn fn;
    void *ctx;
    pthread_mutex_lock(&p->mu);
    bool closed = p->closed;
    if (rc == LSQL_OK && (closed || pool__register_locked(p, e) != LSQL_OK)) {
        s->total--;
        pthread_mutex_unlock(&p->mu);
        pool__close_entry(e);
        return closed ? pool__fail(err, LSQL_POOL_CLOSED, "pool: closed during maintenance")
                      : pool__fail(err, LSQL_NOMEM, "pool: out of memory");
    }
    if (rc) {
        pool__slot_free_locked(s);
        pthread_mutex_unlock(&p->mu);
        return rc;
    }
    p->ctr.created++;
    s->in_use++;
    pool__lease_grant(e);
    if (!pool__wq_grant_conn(s, e)) {
        s->in_use--;
        e->granted = false;
        pool__idle_push(s, e, true);
    }
    pool__event_fill(p, &ev, LSQL_POOL_EV_GROW, s, e->conn, 0, 0);
    fn = p->ev_fn;
    ctx = p->ev_ctx;
    pthread_mutex_unlock(&p->mu);
    pool__event_emit(fn, ctx, &ev);
    return LSQL_OK;
}

/* leak_threshold_ms: reports (once per lease) the connections out that
 * long; at most POOL_LEAK_BATCH per pass, the others at the next one. */
#define POOL_LEAK_BATCH 16
static void report_leaks(lsql_pool *p, int64_t now)
{
    int32_t t = p->opts.leak_threshold_ms;
    if (t == LSQL_POOL_NEVER)
        return;
    lsql_pool_event ev[POOL_LEAK_BATCH];
    int n = 0;
    pthread_mutex_lock(&p->mu);
    for (int i = 0; i < p->nall && n < POOL_LEAK_BATCH; i++) {
        pool_entry *e = p->all[i];
        if (e->state != PE_OUT || e->granted || e->leak_reported ||
            now - e->acquired_ns < (int64_t)t * 1000000)
            continue;
        e->leak_reported = true;
        p->ctr.leaks++;
        pool__event_fill(p, &ev[n], LSQL_POOL_EV_LEAK, e->set, e->conn, 0, 0);
        ev[n++].held_ns = now - e->acquired_ns;
    }
    lsql_pool_event_fn fn = p->ev_fn;
    void *ctx = p->ev_ctx;
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < n; i++)
        pool__event_emit(fn, ctx, &ev[i]);
}

LSQL_API int lsql_pool_maintain(lsql_pool *p, lsql_error *err)
{
    if (!p || p->magic != POOL_MAGIC)
        return pool__fail(err, LSQL_MISUSE_HANDLE, "lsql_pool_maintain: invalid pool handle");
    pool_entry *doomed = NULL;
    int need[2] = {0, 0};
    int64_t now = pool__now_ns();

    pthread_mutex_lock(&p->mu);
    if (p->closed) {
        pthread_mutex_unlock(&p->mu);
        return pool__fail(err, LSQL_POOL_CLOSED, "lsql_pool_maintain: the pool is closed");
    }
    p->refs++;
    for (int i = 0; i < p->nsets; i++) {
        pool_set *s = &p->sets[i];
        /* oldest idle first: the tail of the idle list */
        pool_entry *e = s->idle_tail;
        while (e) {
            pool_entry *prev = e->prev;
            if (pool__expired(p, e, now) || (s->total > s->min && idle_too_long(p, e, now))) {
                pool__idle_remove(s, e);
                pool__unregister_locked(p, e);
                s->total--;
                p->ctr.destroyed++;
                e->next = doomed;
                doomed = e;
            }
            e = prev;
        }
        if (s->total < s->min) {
            need[i] = s->min - s->total;
            s->total += need[i];
        }
    }
    lsql_pool_event_fn fn = p->ev_fn;
    void *ctx = p->ev_ctx;
    pthread_mutex_unlock(&p->mu);

    pool__close_doomed(p, doomed, fn, ctx);
    report_leaks(p, now);

    int first = LSQL_OK;
    lsql_error_clear(err);
    for (int i = 0; i < p->nsets; i++) {
        for (int k = 0; k < need[i]; k++) {
            if (first != LSQL_OK) { /* give back the slots not filled */
                pthread_mutex_lock(&p->mu);
                pool__slot_free_locked(&p->sets[i]);
                pthread_mutex_unlock(&p->mu);
                continue;
            }
            first = fill_slot(p, &p->sets[i], err);
        }
    }

    bool free_now;
    pthread_mutex_lock(&p->mu);
    pool__unref_locked(p, &free_now);
    pthread_mutex_unlock(&p->mu);
    if (free_now)
        pool__destroy(p);
    return first;
}

void *pool__thread_main(void *arg)
{
    lsql_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stop_thread) {
        int64_t deadline = pool__now_ns() + (int64_t)p->opts.maintain_interval_ms * 1000000;
        struct timespec ts;
        ts.tv_sec = (time_t)(deadline / 1000000000);
        ts.tv_nsec = (long)(deadline % 1000000000);
        while (!p->stop_thread && pool__now_ns() < deadline)
            pthread_cond_timedwait(&p->thread_cv, &p->mu, &ts);
        if (p->stop_thread)
            break;
        pthread_mutex_unlock(&p->mu);
        lsql_pool_maintain(p, NULL);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}
