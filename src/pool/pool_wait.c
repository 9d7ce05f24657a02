/* pool_wait.c -- the FIFO queue of threads waiting in lsql_pool_acquire.
 * Each waiter has its own condition variable (CLOCK_MONOTONIC), so a
 * release wakes exactly the waiter it serves: strict first come, first
 * served, no thundering herd. Everything here runs under the pool mutex. */
#include "pool_int.h"

#include <errno.h>
#include <time.h>

int pool__waiter_init(pool_waiter *w)
{
    w->prev = w->next = NULL;
    w->granted = NULL;
    w->slot = false;
    w->closed = false;
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

bool pool__wq_wait(lsql_pool *p, pool_waiter *w, int64_t deadline_ns)
{
    while (!w->granted && !w->slot && !w->closed) {
        if (deadline_ns < 0) {
            pthread_cond_wait(&w->cv, &p->mu);
            continue;
        }
        struct timespec ts;
        ts.tv_sec = (time_t)(deadline_ns / 1000000000);
        ts.tv_nsec = (long)(deadline_ns % 1000000000);
        int rc = pthread_cond_timedwait(&w->cv, &p->mu, &ts);
        if (rc == ETIMEDOUT && !w->granted && !w->slot && !w->closed)
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
    pthread_cond_signal(&w->cv);
    return true;
}

bool pool__wq_grant_slot(pool_set *s)
{
    pool_waiter *w = s->wq_head;
    if (!w)
        return false;
    pool__wq_remove(s, w);
    w->slot = true;
    pthread_cond_signal(&w->cv);
    return true;
}

void pool__wq_close_all(pool_set *s)
{
    pool_waiter *w;
    while ((w = s->wq_head) != NULL) {
        pool__wq_remove(s, w);
        w->closed = true;
        pthread_cond_signal(&w->cv);
    }
}
