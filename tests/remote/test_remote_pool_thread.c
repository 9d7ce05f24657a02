/* test_remote_pool_thread.c -- the connection pool over REMOTE connections
 * (no change to the pool's API): worker threads acquire, write inside a
 * transaction, release; a connection released with an open transaction is
 * rolled back on the server; every write is there at the end. lsqld runs
 * in-process. Named "thread" and "pool": the TSan stage runs it. */
#define LSQL_TEST_REMOTE 1
#include "coretest.h"

#include "../server/srv_testutil.h"

#include <pthread.h>

enum { THREADS = 4, PER_THREAD = 25 };

typedef struct work {
    lsql_pool *pool;
    int id;
    int failures;
} work;

static void *worker(void *p)
{
    work *w = p;
    for (int i = 0; i < PER_THREAD; i++) {
        lsql_conn *c = NULL;
        lsql_error e;
        if (lsql_pool_acquire(w->pool, LSQL_POOL_WRITE, LSQL_POOL_DEFAULT_TIMEOUT, &c, &e)) {
            w->failures++;
            continue;
        }
        lsql_txn *tx = NULL;
        lsql_param p1[] = {{NULL, lsql_int(w->id)}, {NULL, lsql_int(i)}};
        if (lsql_begin(c, LSQL_BEGIN_IMMEDIATE, &tx, &e) ||
            lsql_exec(c, "INSERT INTO t(worker, n) VALUES (?, ?)", p1, 2, NULL, &e) ||
            lsql_commit(c, tx, &e))
            w->failures++;
        lsql_txn_free(tx);
        lsql_pool_release(w->pool, c, &e);
    }
    return NULL;
}

static void pool_of_remote_connections(void **state)
{
    (void)state;
    tsrv t;
    lsqld_config cfg;
    ts_config(&cfg, &t, "remote-pool");
    ts_start(&t, &cfg);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", t.port);
    lsql_db *db = ct_open_url(url);
    lsql_conn *c = ct_connect(db);
    tu_exec(c, "CREATE TABLE t(worker INTEGER, n INTEGER)");
    lsql_pool_opts po;
    lsql_pool_opts_init(&po);
    po.max_size = 3;
    lsql_pool *pool;
    lsql_error e;
    ct_expect(LSQL_OK, &e, lsql_pool_open(db, &po, &pool, &e));
    work w[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (work){.pool = pool, .id = i};
        assert_int_equal(pthread_create(&th[i], NULL, worker, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    /* a connection given back with an open transaction: rolled back */
    lsql_conn *pc;
    ct_expect(LSQL_OK, &e, lsql_pool_acquire(pool, LSQL_POOL_ANY, 1000, &pc, &e));
    lsql_txn *tx;
    ct_expect(LSQL_OK, &e, lsql_begin(pc, LSQL_BEGIN_IMMEDIATE, &tx, &e));
    tu_exec(pc, "INSERT INTO t VALUES (99, 99)");
    lsql_pool_release(pool, pc, &e);
    assert_int_equal(ct_int(c, "SELECT count(*) FROM t"), THREADS * PER_THREAD);
    lsql_pool_metrics m = {.struct_size = sizeof m};
    assert_ok(lsql_pool_metrics_get(pool, &m));
    assert_true(m.created >= 1 && m.created <= 3);
    assert_ok(lsql_pool_close(pool));
    lsql_db_close(db);
    ts_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pool_of_remote_connections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
