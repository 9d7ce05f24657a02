/* pool_wait.c -- the FIFO queue of threads waiting in lsql_pool_acquire.
 * Each waiter has its own condition variable (CLOCK_MONOTONIC), so a
 * release wakes exactly one waiter, the oldest: first come, first served
 * among waiters, no thundering herd. A release either wakes it to retry the
 * idle list (pool__wq_wake: a newcomer may get there first; the waiter keeps
 * its place) or, once it has waited overtake_ms, hands the connection
 * to it directly (pool__wq_grant_conn). Everything here runs under the pool
 * mutex, except the head waiter's short spin on its `ready` flag
 * (pool__wq_wait). */
#include "pool_int.h"

#include <errno.h>
#include <time.h>

int pool__waiter_init(pool_waiter *w)
{
    w->prev = w->next = NULL;
    w->granted = NULL;
    w->slot = false;
    w->closed = false;
    w->woken = false;
    w->since_ns = 0;
    atomic_init(&w->ready, false);
    pthread_condattr_t a;
    if (pthread_condattr_init(&a))
        return LSQL_NOMEM;
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&w->cv, &a);
    pthread_condattr_destroy(&a);
    return rc ? LSQL_NOMEM : LSQL_OK;
}

void pool__waiter_destroy(pool_waiter *w)
{
    pthread_cond_destroy(&w->cv);
}

void pool__wq_push(pool_set *s, pool_waiter *w)
{
    w->next = NULL;
    w->prev = s->wq_tail;
    if (s->wq_tail)
        s->wq_tail->next = w;
    else
        s->wq_head = w;
    s->wq_tail = w;
    s->nwait++;
}

void pool__wq_remove(pool_set *s, pool_waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        s->wq_head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        s->wq_tail = w->prev;
    w->prev = w->next = NULL;
    s->nwait--;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* How long the head waiter spins before sleeping: about one short write
 * statement (a WAL append), the usual time the writer is held. */
#define SPIN_NS 30000

bool pool__wq_wait(lsql_pool *p, pool_waiter *w, bool head, int64_t deadline_ns)
{
    if (head && p->spin) {
        pthread_mutex_unlock(&p->mu);
        int64_t stop = pool__now_ns() + SPIN_NS;
        if (deadline_ns >= 0 && deadline_ns < stop)
            stop = deadline_ns;
        for (unsigned i = 1; !atomic_load_explicit(&w->ready, memory_order_acquire); i++) {
            cpu_relax();
            if ((i & 63) == 0 && pool__now_ns() >= stop)
                break;
        }
        pthread_mutex_lock(&p->mu);
    }
    while (!w->granted && !w->slot && !w->closed && !w->woken) {
        if (deadline_ns < 0) {
            pthread_cond_wait(&w->cv, &p->mu);
            continue;
        }
        struct timespec ts;
        ts.tv_sec = (time_t)(deadline_ns / 1000000000);
        ts.tv_nsec = (long)(deadline_ns % 1000000000);
        int rc = pthread_cond_timedwait(&w->cv, &p->mu, &ts);
        if (rc == ETIMEDOUT && !w->granted && !w->slot && !w->closed && !w->woken)
            return false;
    }
    return true;
}

/* The waiter is signalled while the mutex is held: it cannot return (and
 * destroy its condition variable) before the signal is sent. */
bool pool__wq_grant_conn(pool_set *s, pool_entry *e)
{
    pool_waiter *w = s->wq_head;
    if (!w)
        return false;
    pool__wq_remove(s, w);
    w->granted = e;
    atomic_store_explicit(&w->ready, true, memory_order_release);
    pthread_cond_signal(&w->cv);
    return true;
}

bool pool__wq_starving(const pool_set *s, int64_t now, int64_t bound_ns)
{
    return s->wq_head && now - s->wq_head->since_ns >= bound_ns;
}

void pool__wq_wake(pool_set *s)
{
    pool_waiter *w = s->wq_head;
    if (!w || s->wake_pending)
        return;
    s->wake_pending = true;
    w->woken = true;
    atomic_store_explicit(&w->ready, true, memory_order_release);
    pthread_cond_signal(&w->cv);
}

bool pool__wq_grant_slot(pool_set *s)
{
    pool_waiter *w = s->wq_head;
    if (!w)
        return false;
    pool__wq_remove(s, w);
    w->slot = true;
    atomic_store_explicit(&w->ready, true, memory_order_release);
    pthread_cond_signal(&w->cv);
    return true;
}

void pool__wq_close_all(pool_set *s)
{
    pool_waiter *w;
    while ((w = s->wq_head) != NULL) {
        pool__wq_remove(s, w);
        w->closed = true;
        atomic_store_explicit(&w->ready, true, memory_order_release);
        pthread_cond_signal(&w->cv);
    }
}
