/* writer.c -- the write lock: a mutex, a condition variable on the monotonic
 * clock and the owning stream id. */
#include "writer.h"

#include <errno.h>
#include <time.h>

int lsqld_writer_init(lsqld_writer *w)
{
    w->owner = 0;
    if (pthread_mutex_init(&w->mu, NULL))
        return -1;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc) {
        pthread_mutex_destroy(&w->mu);
        return -1;
    }
    return 0;
}

void lsqld_writer_destroy(lsqld_writer *w)
{
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
}

int lsqld_writer_acquire(lsqld_writer *w, uint64_t owner, unsigned timeout_ms, int *waited)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    int rc = 0;
    *waited = 0;
    pthread_mutex_lock(&w->mu);
    while (w->owner != 0 && w->owner != owner) {
        *waited = 1;
        if (pthread_cond_timedwait(&w->cv, &w->mu, &until) == ETIMEDOUT &&
            w->owner != 0 && w->owner != owner) {
            rc = -1;
            break;
        }
    }
    if (rc == 0)
        w->owner = owner;
    pthread_mutex_unlock(&w->mu);
    return rc;
}

void lsqld_writer_release(lsqld_writer *w, uint64_t owner)
{
    pthread_mutex_lock(&w->mu);
    if (w->owner == owner) {
        w->owner = 0;
        pthread_cond_signal(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
}
