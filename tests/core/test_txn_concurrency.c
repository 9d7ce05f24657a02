/* test_txn_concurrency.c -- two threads, one connection each, increment a
 * shared counter with read-then-write transactions of every behaviour and
 * with atomic batches, following the retryable rule: a retryable error
 * repeats the call, any other BUSY restarts the transaction. No increment
 * may be lost, every failure must be a BUSY-class error with the documented
 * flag, and the transaction handles must end clean. (Run under TSan too.) */
#include "coretest.h"

#include <pthread.h>

#define NTHREADS 2
#define NTXN 60

static pthread_barrier_t g_start;

typedef struct {
    lsql_conn *c; /* connected by the main thread, used by the worker only */
    int behavior; /* LSQL_BEGIN_*, or -1: atomic batches */
    int rc;       /* first unexpected failure */
    char msg[LSQL_ERRMSG_MAX + 64];
    int committed;
    int busy;      /* BUSY-class errors seen */
    int snapshot;  /* ... of them LSQL_BUSY_SNAPSHOT */
    int restarts;  /* transactions restarted */
} worker;

static void fail_w(worker *w, int rc, const char *what, const lsql_error *e)
{
    if (!w->rc) {
        w->rc = rc ? rc : -1;
        snprintf(w->msg, sizeof w->msg, "%s: %s (%s)", what, e ? e->message : "",
                 lsql_errname(rc));
    }
}

/* Checks a BUSY-class failure against the rule. Returns 1 to retry the
 * call, 0 to restart the transaction, -1 for an unexpected error. */
static int classify(worker *w, int rc, const lsql_error *e, int at_begin_or_commit)
{
    if (LSQL_CLASS(rc) != LSQL_BUSY)
        return -1;
    w->busy++;
    int retryable = (e->flags & LSQL_ERRF_RETRYABLE) != 0;
    if (rc == LSQL_BUSY_SNAPSHOT) {
        w->snapshot++;
        if (retryable)
            return -1; /* never retryable */
        return 0;
    }
    if (at_begin_or_commit && !retryable)
        return -1; /* BEGIN and COMMIT BUSY are always retryable */
    return retryable ? 1 : 0;
}

static int one_txn(worker *w, lsql_conn *c)
{
    lsql_error e;
    lsql_txn *t = NULL;
    int rc;
    for (;;) { /* begin */
        rc = lsql_begin(c, w->behavior, &t, &e);
        if (rc == LSQL_OK)
            break;
        int k = classify(w, rc, &e, 1);
        if (k != 1) {
            fail_w(w, rc, "begin", &e);
            return -1;
        }
    }
    int64_t v = 0;
    for (;;) { /* read */
        rc = lsql_query_int64(c, "SELECT n FROM counter", NULL, 0, &v, &e);
        if (rc == LSQL_OK)
            break;
        int k = classify(w, rc, &e, 0);
        if (k == 1)
            continue;
        lsql_txn_free(t);
        if (k == 0)
            return 0;
        fail_w(w, rc, "read", &e);
        return -1;
    }
    lsql_param p[] = {{NULL, lsql_int(v + 1)}};
    for (;;) { /* write */
        rc = lsql_exec(c, "UPDATE counter SET n = ?", p, 1, NULL, &e);
        if (rc == LSQL_OK)
            break;
        int k = classify(w, rc, &e, 0);
        if (k == 1)
            continue;
        if (lsql_txn_free(t) != LSQL_OK) {
            fail_w(w, rc, "rollback after write failure", &e);
            return -1;
        }
        if (k == 0)
            return 0;
        fail_w(w, rc, "write", &e);
        return -1;
    }
    for (;;) { /* commit */
        rc = lsql_commit(c, t, &e);
        if (rc == LSQL_OK)
            break;
        int k = classify(w, rc, &e, 1);
        if (k != 1 || !lsql_txn_active(t)) {
            fail_w(w, rc, "commit", &e);
            lsql_txn_free(t);
            return -1;
        }
    }
    lsql_txn_free(t);
    return 1;
}

static int one_batch(worker *w, lsql_conn *c, lsql_batch *b)
{
    lsql_error e;
    lsql_batch_result *r = NULL;
    int rc = lsql_batch_run(c, b, LSQL_BATCH_ATOMIC, &r, &e);
    lsql_batch_result_free(r);
    if (rc == LSQL_OK)
        return 1;
    /* for an atomic batch every BUSY is retryable: run it again */
    if (LSQL_CLASS(rc) == LSQL_BUSY && (e.flags & LSQL_ERRF_RETRYABLE)) {
        w->busy++;
        if (rc == LSQL_BUSY_SNAPSHOT)
            w->snapshot++;
        return 0;
    }
    fail_w(w, rc, "batch", &e);
    return -1;
}

static void *run_worker(void *arg)
{
    worker *w = arg;
    lsql_conn *c = w->c;
    int rc;
    lsql_batch *b = NULL;
    if (w->behavior < 0) {
        lsql_batch_new(&b);
        lsql_batch_add(b, "SELECT n FROM counter", NULL, 0, NULL);
        lsql_batch_add(b, "UPDATE counter SET n = n + 1", NULL, 0, NULL);
    }
    pthread_barrier_wait(&g_start); /* both workers start together */
    while (w->committed < NTXN && !w->rc) {
        int k = w->behavior < 0 ? one_batch(w, c, b) : one_txn(w, c);
        if (k == 1)
            w->committed++;
        else if (k == 0)
            w->restarts++;
    }
    lsql_batch_free(b);
    int ac = 0;
    lsql_is_autocommit(c, &ac);
    if (!ac && !w->rc)
        fail_w(w, LSQL_TXN_ACTIVE, "a transaction was left open", NULL);
    rc = lsql_conn_close(c);
    if (rc && !w->rc)
        fail_w(w, rc, "close", NULL);
    return NULL;
}

static void contention(int behavior, unsigned db_flags, uint32_t busy_ms)
{
    char path[1024];
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = ct_path("txn-concurrency", path, sizeof path);
    o.flags = db_flags;
    o.busy_timeout_ms = busy_ms;
    lsql_db *db = ct_open(&o);
    lsql_conn *c = ct_connect(db);
    tu_exec(c, "CREATE TABLE counter(n INTEGER NOT NULL)");
    tu_exec(c, "INSERT INTO counter VALUES (0)");

    pthread_t th[NTHREADS];
    worker w[NTHREADS];
    memset(w, 0, sizeof w);
    /* connecting takes locks too: done here, before the contention */
    for (int i = 0; i < NTHREADS; i++)
        w[i].c = ct_connect(db);
    assert_int_equal(pthread_barrier_init(&g_start, NULL, NTHREADS), 0);
    for (int i = 0; i < NTHREADS; i++) {
        w[i].behavior = behavior;
        assert_int_equal(pthread_create(&th[i], NULL, run_worker, &w[i]), 0);
    }
    int busy = 0, restarts = 0;
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        if (w[i].rc)
            fail_msg("behavior %d, worker %d: %s", behavior, i, w[i].msg);
        assert_int_equal(w[i].committed, NTXN);
        busy += w[i].busy;
        restarts += w[i].restarts;
    }
    pthread_barrier_destroy(&g_start);
    /* no lost update */
    assert_int_equal(ct_int(c, "SELECT n FROM counter"), NTHREADS * NTXN);
    print_message("behavior %d: %d BUSY errors, %d restarts\n", behavior, busy, restarts);
    lsql_db_close(db);
    tu_db_remove(path);
}

static void deferred(void **state)
{
    (void)state;
    contention(LSQL_BEGIN_DEFERRED, 0, 5000);
}

static void deferred_no_wait(void **state)
{
    (void)state;
    contention(LSQL_BEGIN_DEFERRED, LSQL_DB_NO_BUSY_TIMEOUT, 0);
}

static void immediate(void **state)
{
    (void)state;
    contention(LSQL_BEGIN_IMMEDIATE, 0, 5000);
}

static void immediate_no_wait(void **state)
{
    (void)state;
    contention(LSQL_BEGIN_IMMEDIATE, LSQL_DB_NO_BUSY_TIMEOUT, 0);
}

static void exclusive(void **state)
{
    (void)state;
    contention(LSQL_BEGIN_EXCLUSIVE, 0, 5000);
}

static void rollback_journal(void **state)
{
    (void)state;
    contention(LSQL_BEGIN_DEFERRED, LSQL_DB_NO_WAL | LSQL_DB_NO_BUSY_TIMEOUT, 0);
    contention(LSQL_BEGIN_IMMEDIATE, LSQL_DB_NO_WAL, 5000);
}

static void atomic_batches(void **state)
{
    (void)state;
    contention(-1, LSQL_DB_NO_BUSY_TIMEOUT, 0);
    contention(-1, 0, 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(deferred),      cmocka_unit_test(deferred_no_wait),
        cmocka_unit_test(immediate),     cmocka_unit_test(immediate_no_wait),
        cmocka_unit_test(exclusive),     cmocka_unit_test(rollback_journal),
        cmocka_unit_test(atomic_batches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
