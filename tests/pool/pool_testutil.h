/* pool_testutil.h -- helpers of the pool tests. */
#ifndef LSQL_POOL_TESTUTIL_H
#define LSQL_POOL_TESTUTIL_H

#include "coretest.h"
#include "target.h"

#include <pthread.h>
#include <time.h>

static inline lsql_db *pt_open_file(const char *name, unsigned flags)
{
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.mode = LSQL_MODE_LOCAL;
    o.path = tu_db_path(name);
    o.flags = flags;
    return ct_target_open(&o);
}

static inline lsql_pool *pt_pool(lsql_db *db, int min, int max, unsigned flags)
{
    lsql_pool_opts po;
    lsql_pool_opts_init(&po);
    po.min_size = min;
    po.max_size = max;
    po.flags = flags;
    lsql_pool *p = NULL;
    lsql_error e;
    int rc = lsql_pool_open(db, &po, &p, &e);
    if (rc != LSQL_OK)
        fail_msg("lsql_pool_open: %s (%s)", e.message, lsql_errname(rc));
    return p;
}

static inline lsql_conn *pt_acquire(lsql_pool *p, int intent)
{
    lsql_conn *c = NULL;
    lsql_error e;
    int rc = lsql_pool_acquire(p, intent, 5000, &c, &e);
    if (rc != LSQL_OK)
        fail_msg("lsql_pool_acquire: %s (%s)", e.message, lsql_errname(rc));
    return c;
}

static inline lsql_pool_metrics pt_metrics(lsql_pool *p)
{
    lsql_pool_metrics m;
    memset(&m, 0, sizeof m);
    m.struct_size = sizeof m;
    if (lsql_pool_metrics_get(p, &m) != LSQL_OK)
        fail_msg("lsql_pool_metrics_get failed");
    return m;
}

static inline void pt_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits (bounded: 10 s) until `waiters` threads wait in the pool. */
static inline void pt_wait_waiters(lsql_pool *p, int waiters)
{
    for (int i = 0; i < 10000; i++) {
        if (pt_metrics(p).waiters == waiters)
            return;
        pt_sleep_ms(1);
    }
    fail_msg("timed out waiting for %d waiters (have %d)", waiters, pt_metrics(p).waiters);
}

#endif
