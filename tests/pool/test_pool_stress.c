/* test_pool_stress.c -- 32 threads mixing reads, writes and transactions
 * through a read/write split pool (remote_pool_test_pool_stress: a plain pool
 * over lsqld), for a bounded number of operations (run under
 * ThreadSanitizer by the test command). Checks: no "database is
 * locked" (LSQL_BUSY / LSQL_LOCKED) and no other error, no leaked
 * connection, every write present afterwards, integrity_check ok. Then the
 * hand-over of connections between many threads (test_stress_handover). */
#include "pool_testutil.h"

#include <sched.h>
#include <stdatomic.h>

enum { THREADS = 32, OPS = 150 };

typedef struct worker {
    lsql_pool *p;
    int id;
    int writes;   /* rows this worker committed */
    int busy;     /* BUSY/LOCKED errors seen */
    int errors;   /* any other error */
    char msg[LSQL_ERRMSG_MAX + 64];
} worker;

static void note(worker *w, int rc, const lsql_error *e)
{
    if (rc == LSQL_OK)
        return;
    if (LSQL_CLASS(rc) == LSQL_BUSY || LSQL_CLASS(rc) == LSQL_LOCKED)
        w->busy++;
    else
        w->errors++;
    if (!w->msg[0])
        snprintf(w->msg, sizeof w->msg, "%s: %s", lsql_errname(rc), e->message);
}

static void *work(void *arg)
{
    worker *w = arg;
    unsigned seed = (unsigned)w->id * 2654435761u + 1;
    for (int i = 0; i < OPS; i++) {
        seed = seed * 1103515245u + 12345u;
        int pick = (int)((seed >> 16) % 100);
        lsql_conn *c = NULL;
        lsql_error e;
        int rc;
        if (pick < 70) { /* read */
            rc = lsql_pool_acquire(w->p, LSQL_POOL_READ, LSQL_POOL_DEFAULT_TIMEOUT, &c, &e);
            note(w, rc, &e);
            if (rc)
                continue;
            int64_t n = 0;
            rc = lsql_query_int64(c, "SELECT count(*) FROM items WHERE worker = ?",
                                  (lsql_param[]){{NULL, lsql_int(w->id)}}, 1, &n, &e);
            note(w, rc, &e);
            if (rc == LSQL_OK && n != w->writes) { /* our own writes are visible */
                w->errors++;
                if (!w->msg[0])
                    snprintf(w->msg, sizeof w->msg, "worker %d sees %lld rows, wrote %d", w->id,
                             (long long)n, w->writes);
            }
            note(w, lsql_pool_release(w->p, c, &e), &e);
        } else if (pick < 80) { /* read transaction on a reader */
            rc = lsql_pool_acquire(w->p, LSQL_POOL_READ, LSQL_POOL_DEFAULT_TIMEOUT, &c, &e);
            note(w, rc, &e);
            if (rc)
                continue;
            lsql_txn *tx = NULL;
            rc = lsql_begin(c, LSQL_BEGIN_READ_ONLY, &tx, &e);
            note(w, rc, &e);
            if (rc == LSQL_OK) {
                int64_t a = 0, b = 0;
                note(w, lsql_query_int64(c, "SELECT count(*) FROM items", NULL, 0, &a, &e), &e);
                note(w, lsql_query_int64(c, "SELECT count(*) FROM items", NULL, 0, &b, &e), &e);
                if (a != b)
                    w->errors++; /* a snapshot is stable */
                note(w, lsql_commit(c, tx, &e), &e);
                lsql_txn_free(tx);
            }
            note(w, lsql_pool_release(w->p, c, &e), &e);
        } else if (pick < 92) { /* single write */
            rc = lsql_pool_acquire(w->p, LSQL_POOL_WRITE, LSQL_POOL_DEFAULT_TIMEOUT, &c, &e);
            note(w, rc, &e);
            if (rc)
                continue;
            lsql_param ps[] = {{NULL, lsql_int(w->id)}, {NULL, lsql_int(i)}};
            rc = lsql_exec(c, "INSERT INTO items(worker, seq, n) VALUES (?, ?, 0)", ps, 2, NULL,
                           &e);
            note(w, rc, &e);
            if (rc == LSQL_OK)
                w->writes++;
            note(w, lsql_pool_release(w->p, c, &e), &e);
        } else { /* read-then-write transaction: 2 rows + a counter */
            rc = lsql_pool_acquire(w->p, LSQL_POOL_WRITE, LSQL_POOL_DEFAULT_TIMEOUT, &c, &e);
            note(w, rc, &e);
            if (rc)
                continue;
            lsql_txn *tx = NULL;
            /* the split serialises writers, so a DEFERRED read-then-write is
             * safe; a plain pool (remote) takes the write lock first */
            rc = lsql_begin(c, ct_remote() ? LSQL_BEGIN_IMMEDIATE : LSQL_BEGIN_DEFERRED, &tx, &e);
            note(w, rc, &e);
            if (rc == LSQL_OK) {
                int64_t total = 0;
                int ok = 1;
                rc = lsql_query_int64(c, "SELECT total FROM counter", NULL, 0, &total, &e);
                note(w, rc, &e);
                ok &= rc == LSQL_OK;
                for (int k = 0; ok && k < 2; k++) {
                    lsql_param ps[] = {{NULL, lsql_int(w->id)}, {NULL, lsql_int(1000 + i * 2 + k)}};
                    rc = lsql_exec(c, "INSERT INTO items(worker, seq, n) VALUES (?, ?, 1)", ps,
                                   2, NULL, &e);
                    note(w, rc, &e);
                    ok &= rc == LSQL_OK;
                }
                if (ok) {
                    lsql_param pt[] = {{NULL, lsql_int(total + 2)}};
                    rc = lsql_exec(c, "UPDATE counter SET total = ?", pt, 1, NULL, &e);
                    note(w, rc, &e);
                    ok &= rc == LSQL_OK;
                }
                if (ok && (i % 5) == 4) {
                    /* the user forgets to commit: the release rolls back
                     * (the handle belongs to the connection, which now
                     * belongs to the pool: it is not touched again) */
                    note(w, lsql_pool_release(w->p, c, &e), &e);
                    continue;
                }
                if (ok) {
                    rc = lsql_commit(c, tx, &e);
                    note(w, rc, &e);
                    if (rc == LSQL_OK)
                        w->writes += 2;
                }
                lsql_txn_free(tx);
            }
            note(w, lsql_pool_release(w->p, c, &e), &e);
        }
    }
    return NULL;
}

static void test_stress_split(void **state)
{
    (void)state;
    lsql_db *db = pt_open_file("pool_stress", 0);
    lsql_conn *setup = ct_connect(db);
    tu_exec(setup, "CREATE TABLE items(id INTEGER PRIMARY KEY, worker INT NOT NULL, "
                   "seq INT NOT NULL, n INT NOT NULL, UNIQUE(worker, seq))");
    tu_exec(setup, "CREATE TABLE counter(total INT NOT NULL)");
    tu_exec(setup, "INSERT INTO counter VALUES (0)");
    lsql_conn_close(setup);

    /* remote: no split (LOCAL only); the server orders the writers */
    lsql_pool *p = pt_pool(db, 2, 8, ct_remote() ? 0 : LSQL_POOL_RW_SPLIT);
    worker ws[THREADS];
    pthread_t th[THREADS];
    memset(ws, 0, sizeof ws);
    for (int i = 0; i < THREADS; i++) {
        ws[i].p = p;
        ws[i].id = i;
        assert_int_equal(pthread_create(&th[i], NULL, work, &ws[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);

    int busy = 0, errors = 0, writes = 0;
    for (int i = 0; i < THREADS; i++) {
        busy += ws[i].busy;
        errors += ws[i].errors;
        writes += ws[i].writes;
        if (ws[i].msg[0])
            print_message("worker %d: %s\n", i, ws[i].msg);
    }
    assert_int_equal(busy, 0);
    assert_int_equal(errors, 0);
    assert_true(writes > 0);

    lsql_pool_metrics m = pt_metrics(p);
    assert_int_equal(m.in_use, 0); /* no leaked connection */
    assert_int_equal(m.waiters, 0);
    assert_int_equal(m.size, m.idle);
    assert_int_equal(m.timeouts, 0);
    assert_int_equal(m.acquires, m.releases);
    assert_int_equal(m.created - m.destroyed, (uint64_t)m.size);
    assert_true(m.size <= (ct_remote() ? 8 : 9));

    /* every write is there, integrity ok */
    lsql_conn *c = pt_acquire(p, LSQL_POOL_READ);
    assert_int_equal(ct_int(c, "SELECT count(*) FROM items"), writes);
    for (int i = 0; i < THREADS; i++) {
        lsql_param pw[] = {{NULL, lsql_int(i)}};
        int64_t n = 0;
        assert_ok(lsql_query_int64(c, "SELECT count(*) FROM items WHERE worker = ?", pw, 1, &n,
                                   NULL));
        assert_int_equal(n, ws[i].writes);
    }
    assert_int_equal(ct_int(c, "SELECT total FROM counter"),
                     ct_int(c, "SELECT count(*) FROM items WHERE n = 1"));
    char **problems = NULL;
    size_t nprob = 0;
    assert_ok(lsql_integrity_check(c, NULL, 0, 0, &problems, &nprob, NULL));
    assert_int_equal(nprob, 0);
    lsql_free(problems);
    assert_ok(lsql_pool_release(p, c, NULL));
    assert_ok(lsql_pool_close(p));
    lsql_db_close(db);
}

/* Hand-over under pressure: 16 threads on 2 connections with short
 * timeouts, so that releases, wake-ups of the oldest waiter, newcomers
 * taking an idle connection first, starving waiters and timeouts all race.
 * Checks the bookkeeping afterwards: every attempt either got a connection
 * or timed out, nothing is left in use or waiting, no connection was
 * handed to two threads at once. */
enum { HO_THREADS = 16, HO_OPS = 300 };

typedef struct ho_worker {
    lsql_pool *p;
    int id;
    atomic_int *owners; /* per connection slot: threads holding it */
    lsql_conn **conns;  /* the pool's 2 connections, filled at start */
    int got, timeouts, errors;
} ho_worker;

static void *handover(void *arg)
{
    ho_worker *w = arg;
    for (int i = 0; i < HO_OPS; i++) {
        lsql_conn *c = NULL;
        int rc = lsql_pool_acquire(w->p, LSQL_POOL_ANY, (i % 7) == 0 ? 0 : 2, &c, NULL);
        if (rc == LSQL_POOL_TIMEOUT) {
            w->timeouts++;
            continue;
        }
        if (rc != LSQL_OK) {
            w->errors++;
            continue;
        }
        w->got++;
        int slot = c == w->conns[0] ? 0 : c == w->conns[1] ? 1 : -1;
        if (slot < 0 || atomic_fetch_add(&w->owners[slot], 1) != 0)
            w->errors++; /* unknown connection, or one already out */
        if ((i % 3) == 0)
            sched_yield(); /* hold it a little, sometimes */
        if (slot >= 0)
            atomic_fetch_sub(&w->owners[slot], 1);
        if (lsql_pool_release(w->p, c, NULL) != LSQL_OK)
            w->errors++;
    }
    return NULL;
}

static void test_stress_handover(void **state)
{
    (void)state;
    lsql_db *db = pt_open_file("pool_handover", 0);
    lsql_pool *p = pt_pool(db, 2, 2, 0);
    lsql_conn *conns[2] = {pt_acquire(p, LSQL_POOL_ANY), pt_acquire(p, LSQL_POOL_ANY)};
    assert_ok(lsql_pool_release(p, conns[0], NULL));
    assert_ok(lsql_pool_release(p, conns[1], NULL));
    atomic_int owners[2];
    atomic_init(&owners[0], 0);
    atomic_init(&owners[1], 0);
    ho_worker ws[HO_THREADS];
    pthread_t th[HO_THREADS];
    memset(ws, 0, sizeof ws);
    for (int i = 0; i < HO_THREADS; i++) {
        ws[i].p = p;
        ws[i].id = i;
        ws[i].owners = owners;
        ws[i].conns = conns;
        assert_int_equal(pthread_create(&th[i], NULL, handover, &ws[i]), 0);
    }
    uint64_t got = 0, timeouts = 0;
    for (int i = 0; i < HO_THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(ws[i].errors, 0);
        assert_int_equal(ws[i].got + ws[i].timeouts, HO_OPS);
        got += (uint64_t)ws[i].got;
        timeouts += (uint64_t)ws[i].timeouts;
    }
    assert_true(got > 0);
    lsql_pool_metrics m = pt_metrics(p);
    assert_int_equal(m.in_use, 0);
    assert_int_equal(m.waiters, 0);
    assert_int_equal(m.idle, 2);
    assert_int_equal(m.size, 2);
    assert_int_equal(m.acquires, got + 2);
    assert_int_equal(m.releases, got + 2);
    assert_int_equal(m.timeouts, timeouts);
    assert_ok(lsql_pool_close(p));
    lsql_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_stress_split, ct_target_teardown),
        cmocka_unit_test_teardown(test_stress_handover, ct_target_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
