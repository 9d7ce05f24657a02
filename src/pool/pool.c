/* pool.c -- lsql_pool: open, acquire, release, close.
 *
 * Acquire: under the mutex, take an idle connection (most recently released
 * first, or oldest with LSQL_POOL_FIFO), or reserve a slot to open one
 * (below max), or queue as a waiter (FIFO, per-waiter condvar). A newcomer
 * may take an idle connection while waiters exist (one is being woken for
 * it), unless the oldest waiter has waited overtake_ms: a connection in
 * demand then changes hands without a context switch, instead of waiting
 * for a sleeping thread to be scheduled (the convoy that strict FIFO
 * hand-over builds with more threads than CPUs). Outside the mutex: ping a
 * connection idle too long (replacing it if broken), or open the new one.
 * Release: find the entry, reset the connection outside the mutex, then
 * put it back on the idle list and wake the oldest waiter (or hand it
 * straight to that waiter when it has waited overtake_ms).
 * Lifetime: `refs` counts connections out plus threads inside pool calls;
 * after lsql_pool_close the last one to leave frees the pool. */
#define _GNU_SOURCE /* PTHREAD_MUTEX_ADAPTIVE_NP (glibc) */
#include "pool_int.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEF_MAX 8
#define MAX_MAX 4096
#define DEF_ACQUIRE_MS 30000
#define DEF_IDLE_MS 300000
#define DEF_LIFETIME_MS 3600000
#define DEF_HEALTH_MS 30000
/* Default overtake_ms. Chosen by bench_pool (split, 90/10, 8 and 32
 * threads on 2 CPUs): 1 ms still hands over to sleeping threads most of the
 * time at 32 threads (as many context switches as strict FIFO); 10 ms
 * removes most of them; 100 ms gains nothing more. */
#define DEF_OVERTAKE_MS 10

/* Thread affinity: the entry each thread released last into each set of a
 * pool. Taking it back (when idle) gives the thread a connection whose
 * caches -- SQLite's and the CPU's -- are its own, instead of one that
 * another thread on another core just used. Ids only: an entry pointer
 * kept here could dangle. */
typedef struct pool_affinity {
    uint64_t pool_id;
    uint64_t entry_id[2]; /* per set */
} pool_affinity;
static _Thread_local pool_affinity t_last;
static atomic_uint_fast64_t g_pool_ids;

/* How many idle entries (from the most recently released) are searched
 * for the calling thread's own. */
#define AFFINITY_SCAN 8

static void vfail(lsql_error *err, int code, const char *fmt, va_list ap)
{
    lsql_error_clear(err);
    err->code = LSQL_CLASS(code);
    err->ext_code = code;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
}

int pool__fail(lsql_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vfail(err, code, fmt, ap);
        va_end(ap);
    }
    return code;
}

int pool__fail_from(lsql_error *err, int code, const lsql_error *cause, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vfail(err, code, fmt, ap);
        va_end(ap);
        err->flags = cause->flags; /* a retryable cause stays retryable */
        err->sqlite_code = cause->sqlite_code;
        err->http_status = cause->http_status;
    }
    return code;
}

int64_t pool__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

LSQL_API void lsql_pool_opts_init_sized(lsql_pool_opts *o, size_t size)
{
    if (!o || size < sizeof o->struct_size)
        return;
    memset(o, 0, size); /* the caller's whole struct: sizeof *opts where it was compiled */
    o->struct_size = size;
}

static int norm_ms(int32_t *v, int32_t def, const char *name, lsql_error *err)
{
    if (*v == 0)
        *v = def;
    else if (*v < 0 && *v != LSQL_POOL_NEVER)
        return pool__fail(err, LSQL_INVALID_ARG,
                          "lsql_pool_open: %s = %d (use a positive value, 0 for the default "
                          "or LSQL_POOL_NEVER)",
                          name, (int)*v);
    return LSQL_OK;
}

static int norm_opts(const lsql_pool_opts *in, lsql_pool_opts *o, lsql_error *err)
{
    lsql_pool_opts_init(o);
    if (in) {
        if (in->struct_size < offsetof(lsql_pool_opts, acquire_timeout_ms))
            return pool__fail(err, LSQL_INVALID_ARG,
                              "lsql_pool_opts.struct_size is %zu: set it to "
                              "sizeof(lsql_pool_opts)",
                              in->struct_size);
        size_t n = in->struct_size < sizeof *o ? in->struct_size : sizeof *o;
        memcpy(o, in, n);
        o->struct_size = sizeof *o;
    }
    if (o->flags & ~(LSQL_POOL_FIFO | LSQL_POOL_RW_SPLIT | LSQL_POOL_PING_ALWAYS))
        return pool__fail(err, LSQL_INVALID_OPTION, "lsql_pool_open: unknown flags 0x%x",
                          o->flags & ~(LSQL_POOL_FIFO | LSQL_POOL_RW_SPLIT |
                                       LSQL_POOL_PING_ALWAYS));
    if (o->min_size < 0 || o->max_size < 0)
        return pool__fail(err, LSQL_INVALID_ARG, "lsql_pool_open: negative size (min %d, max %d)",
                          o->min_size, o->max_size);
    if (o->max_size == 0)
        o->max_size = o->min_size > DEF_MAX ? o->min_size : DEF_MAX;
    if (o->max_size > MAX_MAX)
        return pool__fail(err, LSQL_INVALID_ARG, "lsql_pool_open: max_size %d is above %d",
                          o->max_size, MAX_MAX);
    if (o->min_size > o->max_size)
        return pool__fail(err, LSQL_INVALID_ARG, "lsql_pool_open: min_size %d > max_size %d",
                          o->min_size, o->max_size);
    int rc;
    if ((rc = norm_ms(&o->acquire_timeout_ms, DEF_ACQUIRE_MS, "acquire_timeout_ms", err)) ||
        (rc = norm_ms(&o->idle_timeout_ms, DEF_IDLE_MS, "idle_timeout_ms", err)) ||
        (rc = norm_ms(&o->max_lifetime_ms, DEF_LIFETIME_MS, "max_lifetime_ms", err)) ||
        (rc = norm_ms(&o->health_check_idle_ms, DEF_HEALTH_MS, "health_check_idle_ms", err)) ||
        (rc = norm_ms(&o->overtake_ms, DEF_OVERTAKE_MS, "overtake_ms", err)) ||
        (rc = norm_ms(&o->leak_threshold_ms, LSQL_POOL_NEVER, "leak_threshold_ms", err)))
        return rc;
    if (o->maintain_interval_ms < 0)
        return pool__fail(err, LSQL_INVALID_ARG,
                          "lsql_pool_open: maintain_interval_ms = %d (0: no thread)",
                          (int)o->maintain_interval_ms);
    return LSQL_OK;
}

void pool__unref_locked(lsql_pool *p, bool *free_now)
{
    p->refs--;
    *free_now = p->closed && p->refs == 0;
}

void pool__destroy(lsql_pool *p)
{
    /* every entry is closed by now: idle ones by close, others at release */
    for (int i = 0; i < p->nall; i++)
        pool__close_entry(p->all[i]);
    lsql_free(p->all);
    lsql_db_close(p->rdb); /* after its connections */
    pthread_cond_destroy(&p->thread_cv);
    pthread_mutex_destroy(&p->mu);
    p->magic = POOL_DEAD;
    lsql_free(p);
}

LSQL_API int lsql_pool_open(lsql_db *db, const lsql_pool_opts *opts, lsql_pool **out,
                            lsql_error *err)
{
    if (out)
        *out = NULL;
    if (!lsql_db_mode(db))
        return pool__fail(err, LSQL_MISUSE_HANDLE, "lsql_pool_open: invalid database handle");
    if (!out)
        return pool__fail(err, LSQL_INVALID_ARG, "lsql_pool_open: out is NULL");
    lsql_pool_opts o;
    int rc = norm_opts(opts, &o, err);
    if (rc)
        return rc;

    lsql_pool *p = lsql_malloc(sizeof *p);
    if (!p)
        return pool__fail(err, LSQL_NOMEM, "lsql_pool_open: out of memory");
    memset(p, 0, sizeof *p);
    pthread_condattr_t ca;
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
#ifdef PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
    /* spin a little before sleeping: the lock is held for list updates only */
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
    int mrc = pthread_mutex_init(&p->mu, &ma);
    pthread_mutexattr_destroy(&ma);
    if (mrc) {
        lsql_free(p);
        return pool__fail(err, LSQL_NOMEM, "lsql_pool_open: cannot create a mutex");
    }
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (pthread_cond_init(&p->thread_cv, &ca)) {
        pthread_condattr_destroy(&ca);
        pthread_mutex_destroy(&p->mu);
        lsql_free(p);
        return pool__fail(err, LSQL_NOMEM, "lsql_pool_open: cannot create a condition variable");
    }
    pthread_condattr_destroy(&ca);
    p->magic = POOL_MAGIC;
    p->id = atomic_fetch_add(&g_pool_ids, 1) + 1;
    p->db = db;
    p->opts = o;
    p->split = (o.flags & LSQL_POOL_RW_SPLIT) != 0;
    p->overtake_ns = o.overtake_ms == LSQL_POOL_NEVER ? 0 : (int64_t)o.overtake_ms * 1000000;
    p->spin = sysconf(_SC_NPROCESSORS_ONLN) > 1;
    p->nsets = p->split ? 2 : 1;
    p->sets[0].role = p->split ? ROLE_READER : ROLE_ANY;
    p->sets[0].min = o.min_size;
    p->sets[0].max = o.max_size;
    if (p->split) {
        p->sets[1].role = ROLE_WRITER;
        p->sets[1].min = o.min_size > 0 ? 1 : 0;
        p->sets[1].max = 1;
    }
    p->refs = 1; /* the opener, until the end of this call */

    /* a first connection checks the database (the writer for the split) */
    pool_set *first = p->split ? &p->sets[1] : &p->sets[0];
    pool_entry *e = NULL;
    rc = pool__open_conn(p, first, &e, err);
    if (rc == LSQL_OK)
        rc = pool__check_db(p, e->conn, err);
    if (rc == LSQL_OK && p->split)
        rc = pool__open_reader_db(p, err);
    if (rc == LSQL_OK && pool__register_locked(p, e) != LSQL_OK)
        rc = pool__fail(err, LSQL_NOMEM, "lsql_pool_open: out of memory");
    if (rc) {
        pool__close_entry(e);
        pool__destroy(p);
        return rc;
    }
    first->total = 1;
    p->ctr.created = 1;
    pool__idle_push(first, e, true);

    /* then min_size (and the writer) */
    for (int i = 0; i < p->nsets; i++) {
        pool_set *s = &p->sets[i];
        while (s->total < s->min) {
            rc = pool__open_conn(p, s, &e, err);
            if (rc == LSQL_OK && pool__register_locked(p, e) != LSQL_OK) {
                pool__close_entry(e);
                rc = pool__fail(err, LSQL_NOMEM, "lsql_pool_open: out of memory");
            }
            if (rc) {
                p->closed = true;
                pool__destroy(p);
                return rc;
            }
            s->total++;
            p->ctr.created++;
            pool__idle_push(s, e, true);
        }
    }
    if (o.maintain_interval_ms > 0) {
        if (pthread_create(&p->thread, NULL, pool__thread_main, p)) {
            pool__destroy(p);
            return pool__fail(err, LSQL_NOMEM, "lsql_pool_open: cannot start the maintenance thread");
        }
        p->has_thread = true;
    }
    p->refs = 0;
    *out = p;
    lsql_error_clear(err);
    return LSQL_OK;
}

/* Takes an idle connection of s, closing expired ones found on the way
 * (they go to *doomed). Returns NULL when none is idle. */
static pool_entry *take_idle(lsql_pool *p, pool_set *s, int64_t now, pool_entry **doomed)
{
    for (;;) {
        pool_entry *e = (p->opts.flags & LSQL_POOL_FIFO) ? s->idle_tail : s->idle_head;
        if (!e)
            return NULL;
        if (!(p->opts.flags & LSQL_POOL_FIFO) && t_last.pool_id == p->id) {
            /* the calling thread's own connection, if it is still idle */
            uint64_t want = t_last.entry_id[s - p->sets];
            pool_entry *x = e;
            for (int i = 0; x && i < AFFINITY_SCAN; i++, x = x->next)
                if (x->id == want) {
                    e = x;
                    break;
                }
        }
        pool__idle_remove(s, e);
        if (pool__expired(p, e, now)) {
            pool__unregister_locked(p, e);
            s->total--;
            p->ctr.destroyed++;
            e->next = *doomed;
            *doomed = e;
            continue;
        }
        return e;
    }
}

/* Closes a list of entries taken out of the pool, one SHRINK event each
 * (the lock is taken only to fill the event). */
void pool__close_doomed(lsql_pool *p, pool_entry *doomed, lsql_pool_event_fn fn, void *ctx)
{
    while (doomed) {
        pool_entry *e = doomed;
        doomed = e->next;
        lsql_pool_event ev;
        pthread_mutex_lock(&p->mu);
        pool__event_fill(p, &ev, LSQL_POOL_EV_SHRINK, e->set, NULL, 0, 0);
        pthread_mutex_unlock(&p->mu);
        pool__close_entry(e);
        pool__event_emit(fn, ctx, &ev);
    }
}

/* Leaves a pool call that failed: drops the caller's reference. */
static int leave_fail(lsql_pool *p, int rc)
{
    bool free_now;
    pthread_mutex_lock(&p->mu);
    pool__unref_locked(p, &free_now);
    pthread_mutex_unlock(&p->mu);
    if (free_now)
        pool__destroy(p);
    return rc;
}

/* Under p->mu: a connection out for an acquire failed its health check
 * (code): it leaves the pool's books (no longer registered nor in use,
 * counted broken and destroyed; its slot stays counted) and *ev is its
 * BROKEN event, to emit once the mutex is released. */
static void forget_broken_locked(lsql_pool *p, pool_set *s, pool_entry *e, int code,
                                 lsql_pool_event *ev)
{
    pool__unregister_locked(p, e);
    s->in_use--;
    p->ctr.broken++;
    p->ctr.destroyed++;
    pool__event_fill(p, ev, LSQL_POOL_EV_BROKEN, s, NULL, 0, code);
}

/* The replacement of a connection that failed its health check is checked
 * too before it is handed out: when the database itself is unreachable (a
 * server down), the acquirer gets that error now instead of a connection
 * that fails at its first use. On failure the replacement is closed, its
 * slot freed, and the caller's reference dropped; `first` is the broken
 * connection's error. */
static int replacement_check(lsql_pool *p, pool_set *s, pool_entry *e, const lsql_error *first,
                             lsql_error *err)
{
    lsql_error e2;
    int rc = lsql_conn_ping(e->conn, &e2);
    if (rc == LSQL_OK)
        return LSQL_OK;
    lsql_pool_event ev;
    pthread_mutex_lock(&p->mu);
    forget_broken_locked(p, s, e, rc, &ev);
    lsql_pool_event_fn fn = p->ev_fn;
    void *ctx = p->ev_ctx;
    pool__slot_free_locked(s);
    bool free_now;
    pool__unref_locked(p, &free_now);
    pthread_mutex_unlock(&p->mu);
    pool__close_entry(e);
    pool__event_emit(fn, ctx, &ev);
    if (free_now)
        pool__destroy(p);
    return pool__fail_from(err, rc, &e2,
                           "pool: a connection failed its health check (%.200s) and a new one "
                           "fails too (the database is unreachable?): %.300s",
                           first->message, e2.message);
}

LSQL_API int lsql_pool_acquire(lsql_pool *p, int intent, int32_t timeout_ms, lsql_conn **out,
                               lsql_error *err)
{
    if (out)
        *out = NULL;
    if (!p || p->magic != POOL_MAGIC)
        return pool__fail(err, LSQL_MISUSE_HANDLE, "lsql_pool_acquire: invalid pool handle");
    if (!out)
        return pool__fail(err, LSQL_INVALID_ARG, "lsql_pool_acquire: out is NULL");
    if (intent != LSQL_POOL_ANY && intent != LSQL_POOL_READ && intent != LSQL_POOL_WRITE)
        return pool__fail(err, LSQL_INVALID_ARG, "lsql_pool_acquire: unknown intent %d", intent);
    if (timeout_ms < LSQL_POOL_DEFAULT_TIMEOUT)
        return pool__fail(err, LSQL_INVALID_ARG,
                          "lsql_pool_acquire: timeout_ms = %d (0: no wait, "
                          "LSQL_POOL_DEFAULT_TIMEOUT: the pool's default)",
                          (int)timeout_ms);
    if (timeout_ms == LSQL_POOL_DEFAULT_TIMEOUT)
        timeout_ms = p->opts.acquire_timeout_ms; /* may be LSQL_POOL_NEVER */

    int64_t t0 = pool__now_ns();
    pool_entry *e = NULL, *doomed = NULL;
    bool open_new = false, waited = false;
    pool_set *s = pool__pick_set(p, intent);

    pthread_mutex_lock(&p->mu);
    if (p->closed) {
        pthread_mutex_unlock(&p->mu);
        return pool__fail(err, LSQL_POOL_CLOSED, "lsql_pool_acquire: the pool is closed");
    }
    p->refs++;
    bool counted = false; /* e counted in s->in_use by the releaser */
    if (!pool__wq_starving(s, t0, p->overtake_ns))
        e = take_idle(p, s, t0, &doomed);
    if (!e && s->nwait == 0 && s->total < s->max) {
        s->total++;
        open_new = true;
    }
    if (!e && !open_new) {
        /* wait, first come first served among waiters */
        int others = s->nwait;
        int in_use = s->in_use, max = s->max;
        int rc = LSQL_OK;
        if (timeout_ms == 0) {
            rc = LSQL_POOL_TIMEOUT;
        } else {
            pool_waiter w;
            if (pool__waiter_init(&w)) {
                rc = LSQL_NOMEM;
            } else {
                waited = true;
                w.since_ns = t0;
                pool__wq_push(s, &w);
                int64_t deadline = timeout_ms < 0 ? -1 : t0 + (int64_t)timeout_ms * 1000000;
                for (;;) {
                    bool ok = pool__wq_wait(p, &w, s->wq_head == &w, deadline);
                    if (w.woken) { /* this wake is used up, whatever happens next */
                        w.woken = false;
                        s->wake_pending = false;
                        atomic_store_explicit(&w.ready, false, memory_order_relaxed);
                    }
                    if (!ok) {
                        pool__wq_remove(s, &w);
                        rc = LSQL_POOL_TIMEOUT;
                    } else if (w.closed) {
                        rc = LSQL_POOL_CLOSED;
                    } else if (w.granted) {
                        e = w.granted;
                        counted = true;
                    } else if (w.slot) {
                        open_new = true; /* s->total already counts it */
                    } else if ((e = take_idle(p, s, pool__now_ns(), &doomed)) != NULL) {
                        pool__wq_remove(s, &w); /* woken, and the connection is still idle */
                    } else {
                        continue; /* a newcomer took it first: wait on, still first */
                    }
                    break;
                }
                /* a connection still idle (a wake used up above without taking
                 * it) goes to the next waiter */
                if (s->idle > 0)
                    pool__wq_wake(s);
                pool__waiter_destroy(&w);
            }
        }
        if (rc) {
            int64_t waited_ns = pool__now_ns() - t0;
            lsql_pool_event ev;
            lsql_pool_event_fn fn = p->ev_fn;
            void *ctx = p->ev_ctx;
            if (rc == LSQL_POOL_TIMEOUT) {
                p->ctr.timeouts++;
                pool__event_fill(p, &ev, LSQL_POOL_EV_TIMEOUT, s, NULL, waited_ns, rc);
            }
            int now_waiting = s->nwait;
            const char *what = s->role == ROLE_WRITER   ? "writer "
                               : s->role == ROLE_READER ? "reader "
                                                        : "";
            bool free_now;
            pool__unref_locked(p, &free_now);
            pthread_mutex_unlock(&p->mu);
            pool__close_doomed(p, doomed, fn, ctx);
            if (rc == LSQL_POOL_TIMEOUT)
                pool__event_emit(fn, ctx, &ev);
            if (free_now)
                pool__destroy(p);
            if (rc == LSQL_POOL_TIMEOUT)
                return pool__fail(err, rc,
                                  "pool: no %sconnection within %d ms (waited %.1f ms; %d other "
                                  "acquirer%s waiting when it started, %d still waiting; %d of "
                                  "%d connections in use)",
                                  what, (int)timeout_ms, (double)waited_ns / 1e6, others,
                                  others == 1 ? " was" : "s were", now_waiting, in_use, max);
            if (rc == LSQL_POOL_CLOSED)
                return pool__fail(err, rc,
                                  "pool: closed while waiting for a connection (waited %.1f ms)",
                                  (double)waited_ns / 1e6);
            return pool__fail(err, rc, "pool: out of memory");
        }
    }
    int64_t t1 = pool__now_ns();
    if (e) {
        pool__lease_begin(e, t1);
        if (!counted)
            s->in_use++;
    }
    pool__hist_add(&p->hist, (uint64_t)(t1 - t0));
    if (waited)
        p->ctr.waits++;
    lsql_pool_event_fn fn = p->ev_fn;
    void *ctx = p->ev_ctx;
    if (e && !open_new && !pool__needs_ping(p, e, t1)) {
        /* the common case, in one critical section: an idle connection */
        lsql_pool_event ev;
        p->ctr.acquires++;
        bool want_ev = fn != NULL;
        if (want_ev)
            pool__event_fill(p, &ev, LSQL_POOL_EV_ACQUIRE, s, e->conn, t1 - t0, 0);
        pthread_mutex_unlock(&p->mu);
        pool__close_doomed(p, doomed, fn, ctx);
        if (want_ev)
            pool__event_emit(fn, ctx, &ev);
        *out = e->conn;
        lsql_error_clear(err);
        return LSQL_OK;
    }
    pthread_mutex_unlock(&p->mu);
    pool__close_doomed(p, doomed, fn, ctx);

    /* health: a connection idle too long is pinged; a broken one is closed
     * and replaced in the same slot */
    bool replacing = false;
    lsql_error perr;
    if (e && pool__needs_ping(p, e, t1)) {
        int prc = lsql_conn_ping(e->conn, &perr);
        if (prc != LSQL_OK) {
            lsql_pool_event ev;
            pthread_mutex_lock(&p->mu);
            forget_broken_locked(p, s, e, prc, &ev);
            fn = p->ev_fn;
            ctx = p->ev_ctx;
            pthread_mutex_unlock(&p->mu);
            pool__close_entry(e);
            pool__event_emit(fn, ctx, &ev);
            e = NULL;
            open_new = true; /* the slot stays counted in s->total */
            replacing = true;
        }
    }
    if (open_new) {
        int rc = pool__open_conn(p, s, &e, err);
        lsql_pool_event ev;
        pthread_mutex_lock(&p->mu);
        if (rc == LSQL_OK && p->closed) {
            rc = LSQL_POOL_CLOSED;
        } else if (rc == LSQL_OK && pool__register_locked(p, e) != LSQL_OK) {
            rc = LSQL_NOMEM;
        }
        if (rc) {
            pool__slot_free_locked(s);
            bool free_now;
            pool__unref_locked(p, &free_now);
            pthread_mutex_unlock(&p->mu);
            if (e) {
                pool__close_entry(e);
                if (rc == LSQL_POOL_CLOSED)
                    pool__fail(err, rc, "pool: closed while a connection was being opened");
                else
                    pool__fail(err, rc, "pool: out of memory");
            }
            if (free_now)
                pool__destroy(p);
            return rc;
        }
        p->ctr.created++;
        pool__lease_begin(e, pool__now_ns());
        s->in_use++;
        pool__event_fill(p, &ev, LSQL_POOL_EV_GROW, s, e->conn, 0, 0);
        fn = p->ev_fn;
        ctx = p->ev_ctx;
        pthread_mutex_unlock(&p->mu);
        pool__event_emit(fn, ctx, &ev);
        if (replacing) {
            int rc2 = replacement_check(p, s, e, &perr, err);
            if (rc2)
                return rc2;
        }
    }

    /* the caller's reference now belongs to the connection that is out */
    lsql_pool_event ev;
    pthread_mutex_lock(&p->mu);
    p->ctr.acquires++;
    bool want_ev = p->ev_fn != NULL;
    if (want_ev)
        pool__event_fill(p, &ev, LSQL_POOL_EV_ACQUIRE, s, e->conn, t1 - t0, 0);
    fn = p->ev_fn;
    ctx = p->ev_ctx;
    pthread_mutex_unlock(&p->mu);
    if (want_ev)
        pool__event_emit(fn, ctx, &ev);
    *out = e->conn;
    lsql_error_clear(err);
    return LSQL_OK;
}

LSQL_API int lsql_pool_release(lsql_pool *p, lsql_conn *c, lsql_error *err)
{
    if (!p || p->magic != POOL_MAGIC)
        return pool__fail(err, LSQL_MISUSE_HANDLE, "lsql_pool_release: invalid pool handle");
    if (!c) {
        lsql_error_clear(err);
        return LSQL_OK;
    }
    pool_entry *e = NULL;
    pthread_mutex_lock(&p->mu);
    for (int i = 0; i < p->nall; i++)
        if (p->all[i]->conn == c) {
            e = p->all[i];
            break;
        }
    if (!e || e->state != PE_OUT) {
        pthread_mutex_unlock(&p->mu);
        return pool__fail(err, LSQL_POOL_FOREIGN,
                          "lsql_pool_release: the connection is not currently acquired from "
                          "this pool%s",
                          e ? " (released twice?)" : "");
    }
    e->state = PE_RELEASING;
    bool closed = p->closed;
    pthread_mutex_unlock(&p->mu);

    /* reset outside the lock: rolls back, resets statements, keeps the cache */
    pool_set *s = e->set;
    int rc = LSQL_OK;
    lsql_error rerr;
    lsql_error_clear(&rerr);
    int64_t now = pool__now_ns();
    bool retire = closed || pool__expired(p, e, now);
    if (!retire) {
        rc = lsql_conn_reset(c, &rerr);
        int st = LSQL_TXN_NONE;
        if (rc == LSQL_OK && lsql_txn_state(c, &st) == LSQL_OK && st != LSQL_TXN_NONE)
            rc = pool__fail(&rerr, LSQL_INTERNAL, "the transaction is still open after the reset");
    }
    bool discard = retire || rc != LSQL_OK;

    lsql_pool_event ev_rel, ev_gone;
    bool have_gone = false;
    int64_t held = now - e->acquired_ns;
    pthread_mutex_lock(&p->mu);
    p->ctr.releases++;
    pool__hist_add(&p->hold_hist, (uint64_t)(held > 0 ? held : 0));
    closed = p->closed; /* may have been closed meanwhile */
    if (closed)
        discard = true;
    s->in_use--;
    if (discard) {
        pool__unregister_locked(p, e);
        p->ctr.destroyed++;
        if (rc != LSQL_OK)
            p->ctr.broken++;
        if (closed)
            s->total--;
        else
            pool__slot_free_locked(s); /* a waiter may open a replacement */
        pool__event_fill(p, &ev_gone, rc != LSQL_OK ? LSQL_POOL_EV_BROKEN : LSQL_POOL_EV_SHRINK,
                         s, NULL, 0, rc);
        have_gone = true;
    } else {
        e->idle_since_ns = now;
        if (pool__wq_starving(s, now, p->overtake_ns)) {
            /* the oldest waiter has waited long enough: straight to it */
            s->in_use++;
            pool__lease_grant(e);
            pool__wq_grant_conn(s, e);
        } else {
            /* idle, and the oldest waiter (if any) is woken to take it; a
             * running thread may take it first (no context switch per
             * hand-over when a connection is in demand) */
            pool__idle_push(s, e, true);
            if (t_last.pool_id != p->id) {
                t_last.pool_id = p->id;
                t_last.entry_id[0] = t_last.entry_id[1] = 0;
            }
            t_last.entry_id[s - p->sets] = e->id;
            pool__wq_wake(s);
        }
    }
    bool want_ev = p->ev_fn != NULL;
    if (want_ev) {
        pool__event_fill(p, &ev_rel, LSQL_POOL_EV_RELEASE, s, c, 0, 0);
        ev_rel.held_ns = held;
    }
    lsql_pool_event_fn fn = p->ev_fn;
    void *ctx = p->ev_ctx;
    bool free_now;
    pool__unref_locked(p, &free_now);
    pthread_mutex_unlock(&p->mu);

    if (want_ev)
        pool__event_emit(fn, ctx, &ev_rel);
    if (discard)
        pool__close_entry(e);
    if (have_gone)
        pool__event_emit(fn, ctx, &ev_gone);
    if (free_now)
        pool__destroy(p);
    if (rc != LSQL_OK)
        return pool__fail(err, LSQL_POOL_DISCARDED,
                          "lsql_pool_release: the connection could not be reset and was closed: "
                          "%s (%s)",
                          rerr.message, lsql_errname(rc));
    lsql_error_clear(err);
    return LSQL_OK;
}

LSQL_API int lsql_pool_close(lsql_pool *p)
{
    if (!p)
        return LSQL_OK;
    if (p->magic != POOL_MAGIC)
        return LSQL_MISUSE_HANDLE;
    pool_entry *doomed = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->closed) {
        pthread_mutex_unlock(&p->mu);
        return LSQL_MISUSE_HANDLE;
    }
    p->closed = true;
    p->stop_thread = true;
    p->refs++;
    pthread_cond_broadcast(&p->thread_cv);
    for (int i = 0; i < p->nsets; i++) {
        pool_set *s = &p->sets[i];
        pool__wq_close_all(s);
        pool_entry *e;
        while ((e = s->idle_head) != NULL) {
            pool__idle_remove(s, e);
            pool__unregister_locked(p, e);
            s->total--;
            p->ctr.destroyed++;
            e->next = doomed;
            doomed = e;
        }
    }
    lsql_pool_event_fn fn = p->ev_fn;
    void *ctx = p->ev_ctx;
    pthread_mutex_unlock(&p->mu);
    if (p->has_thread)
        pthread_join(p->thread, NULL);
    pool__close_doomed(p, doomed, fn, ctx);
    return leave_fail(p, LSQL_OK);
}
