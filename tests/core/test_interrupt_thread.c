/* test_interrupt_thread.c -- lsql_conn_interrupt from another thread: it
 * cancels a query that is running right now (not only idle connections),
 * and a statement waiting in the busy handler for a lock; the connection is
 * usable afterwards; an interrupt on an idle connection does not poison the
 * next call; interrupts racing with a stream of short queries are safe.
 * No durations are asserted: waits are for events, with generous bounds. */
#include "coretest.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#define BOUND_MS 60000 /* generous bound for any wait on an event */

/* counts to 1e12: minutes of work unless interrupted */
#define FOREVER_SQL                                                                    \
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000000) " \
    "SELECT count(*) FROM c"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

typedef struct {
    lsql_conn *conn;
    const char *sql;
    atomic_int started; /* set right before the call */
    atomic_int running; /* set by the progress handler: the statement is executing */
    atomic_int done;
    int rc;
    int64_t value;
    lsql_error err;
} job;

static int on_progress(void *ctx)
{
    job *j = ctx;
    atomic_store(&j->running, 1);
    return 0;
}

static void *run_query(void *arg)
{
    job *j = arg;
    atomic_store(&j->started, 1);
    j->rc = lsql_query_int64(j->conn, j->sql, NULL, 0, &j->value, &j->err);
    atomic_store(&j->done, 1);
    return NULL;
}

static void *run_exec(void *arg)
{
    job *j = arg;
    atomic_store(&j->started, 1);
    j->rc = lsql_exec(j->conn, j->sql, NULL, 0, NULL, &j->err);
    atomic_store(&j->done, 1);
    return NULL;
}

/* Waits until *flag is set (bounded); fails the test otherwise. */
static void wait_flag(atomic_int *flag, const char *what)
{
    for (long waited = 0; !atomic_load(flag); waited++) {
        if (waited > BOUND_MS)
            fail_msg("timed out waiting for: %s", what);
        sleep_ms(1);
    }
}

/* The query runs in a worker; the main thread interrupts it once the
 * progress handler has reported that it is executing. */
static void interrupt_running_query(void **state)
{
    (void)state;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    tu_open_memory(&db, &c);
    job j;
    memset(&j, 0, sizeof j);
    j.conn = c;
    j.sql = FOREVER_SQL;
    assert_ok(lsql_conn_set_progress_handler(c, 1000, on_progress, &j));
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, run_query, &j), 0);
    wait_flag(&j.running, "the query to run");
    assert_ok(lsql_conn_interrupt(c));
    /* one interrupt is enough: wait for the worker without interrupting again */
    wait_flag(&j.done, "the interrupted query to return");
    assert_int_equal(pthread_join(th, NULL), 0);
    if (j.rc != LSQL_INTERRUPTED)
        fail_msg("got %s: %s", lsql_errname(j.rc), j.err.message);
    ct_check_err(j.rc, &j.err);
    assert_int_equal(lsql_conn_errcode(c), LSQL_INTERRUPTED);

    /* usable afterwards, also the same statement (from the cache) */
    assert_ok(lsql_conn_set_progress_handler(c, 0, NULL, NULL));
    assert_int_equal(ct_int(c, "SELECT 41 + 1"), 42);
    assert_int_equal(ct_int(c, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                               "WHERE x < 1000) SELECT count(*) FROM c"),
                     1000);
    lsql_db_close(db);
}

/* Without a progress handler: the interrupter only knows the call has been
 * made, so it interrupts repeatedly until the query returns. */
static void interrupt_without_handler(void **state)
{
    (void)state;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    tu_open_memory(&db, &c);
    job j;
    memset(&j, 0, sizeof j);
    j.conn = c;
    j.sql = FOREVER_SQL;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, run_query, &j), 0);
    wait_flag(&j.started, "the worker to start");
    for (long waited = 0; !atomic_load(&j.done); waited += 5) {
        if (waited > BOUND_MS)
            fail_msg("the query was not interrupted");
        assert_ok(lsql_conn_interrupt(c));
        sleep_ms(5);
    }
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_rc(LSQL_INTERRUPTED, j.rc);
    assert_int_equal(ct_int(c, "SELECT 7"), 7);
    lsql_db_close(db);
}

/* A connection waiting in the busy handler (timeout: 10 minutes) for a lock
 * another connection holds: the interrupt ends the wait with
 * LSQL_INTERRUPTED, long before the timeout. */
static void busy_wait_case(bool sql_timeout)
{
    char path[1024];
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = ct_path("interrupt-busy", path, sizeof path);
    lsql_db *db = ct_open(&o);
    lsql_conn *holder = ct_connect(db), *waiter = ct_connect(db);
    tu_exec(holder, "CREATE TABLE t(x)");
    tu_exec(holder, "BEGIN IMMEDIATE");
    tu_exec(holder, "INSERT INTO t VALUES (1)");
    if (sql_timeout) /* set through SQL: lsql's handler must stay */
        tu_exec(waiter, "PRAGMA busy_timeout = 600000");
    else
        assert_ok(lsql_conn_set_busy_timeout(waiter, 600000));
    job j;
    memset(&j, 0, sizeof j);
    j.conn = waiter;
    j.sql = "INSERT INTO t VALUES (2)";
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, run_exec, &j), 0);
    wait_flag(&j.started, "the writer to start");
    sleep_ms(50); /* most likely in the busy handler by now; not required */
    for (long waited = 0; !atomic_load(&j.done); waited += 20) {
        if (waited > BOUND_MS)
            fail_msg("the lock wait was not interrupted");
        assert_ok(lsql_conn_interrupt(waiter));
        sleep_ms(20);
    }
    assert_int_equal(pthread_join(th, NULL), 0);
    if (j.rc != LSQL_INTERRUPTED)
        fail_msg("got %s: %s", lsql_errname(j.rc), j.err.message);
    ct_check_err(j.rc, &j.err);
    assert_false(j.err.flags & LSQL_ERRF_RETRYABLE);
    assert_non_null(strstr(j.err.message, "lock"));

    /* the lock is released: the waiter works again */
    tu_exec(holder, "COMMIT");
    tu_exec(waiter, "INSERT INTO t VALUES (2)");
    assert_int_equal(ct_int(holder, "SELECT count(*) FROM t"), 2);
    lsql_db_close(db);
    tu_db_remove(path);
}

static void interrupt_busy_wait(void **state)
{
    (void)state;
    busy_wait_case(false);
}

static void interrupt_busy_wait_sql_timeout(void **state)
{
    (void)state;
    busy_wait_case(true);
}

/* Interrupting an idle connection changes nothing for the next calls: a
 * query runs, a rows handle opened later reads to the end, and a later lock
 * wait runs to its own timeout (LSQL_BUSY, not LSQL_INTERRUPTED). */
static void interrupt_idle_no_poison(void **state)
{
    (void)state;
    char path[1024];
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = ct_path("interrupt-idle", path, sizeof path);
    lsql_db *db = ct_open(&o);
    lsql_conn *holder = ct_connect(db), *c = ct_connect(db);
    tu_exec(c, "CREATE TABLE t(x)");
    tu_exec(c, "INSERT INTO t VALUES (1), (2), (3)");
    for (int i = 0; i < 3; i++)
        assert_ok(lsql_conn_interrupt(c));
    assert_int_equal(ct_int(c, "SELECT sum(x) FROM t"), 6);
    assert_ok(lsql_conn_interrupt(c));
    lsql_rows *r = NULL;
    lsql_error e;
    ct_expect(LSQL_OK, &e, lsql_query(c, "SELECT x FROM t ORDER BY x", NULL, 0, &r, &e));
    int n = 0;
    while (lsql_rows_next(r, &e) == LSQL_ROW)
        n++;
    assert_int_equal(e.ext_code, 0);
    assert_int_equal(n, 3);
    lsql_rows_free(r);

    assert_ok(lsql_conn_interrupt(c));
    tu_exec(holder, "BEGIN IMMEDIATE");
    assert_ok(lsql_conn_set_busy_timeout(c, 30));
    ct_expect(LSQL_BUSY, &e, lsql_exec(c, "INSERT INTO t VALUES (4)", NULL, 0, NULL, &e));
    tu_exec(holder, "ROLLBACK");
    /* also checkpoints and pragmas after an idle interrupt */
    assert_ok(lsql_conn_interrupt(c));
    ct_expect(LSQL_OK, &e, lsql_wal_checkpoint(c, NULL, LSQL_CHECKPOINT_PASSIVE, NULL, NULL, &e));
    int32_t uv = -1;
    ct_expect(LSQL_OK, &e, lsql_pragma_user_version(c, NULL, &uv, &e));
    assert_int_equal(uv, 0);
    lsql_db_close(db);
    tu_db_remove(path);
}

/* A rows handle part-way through counts as running: interrupting (here from
 * the same thread, which is allowed too) makes its next step fail, and the
 * connection goes on. */
static void interrupt_open_rows(void **state)
{
    (void)state;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    tu_open_memory(&db, &c);
    lsql_rows *r = NULL;
    lsql_error e;
    ct_expect(LSQL_OK, &e,
              lsql_query(c,
                         "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                         "WHERE x < 1000000000000) SELECT x FROM c",
                         NULL, 0, &r, &e));
    ct_expect(LSQL_ROW, &e, lsql_rows_next(r, &e));
    ct_expect(LSQL_ROW, &e, lsql_rows_next(r, &e));
    assert_ok(lsql_conn_interrupt(c));
    ct_expect(LSQL_INTERRUPTED, &e, lsql_rows_next(r, &e));
    ct_expect(LSQL_INTERRUPTED, &e, lsql_rows_next(r, &e)); /* sticky on that handle */
    lsql_rows_free(r);
    assert_int_equal(ct_int(c, "SELECT 5"), 5);
    lsql_db_close(db);
}

/* ---- interrupts racing with a stream of short calls ------------------------ */

typedef struct {
    lsql_conn *conn;
    atomic_int stop;
    long sent;
} storm;

static void *interrupter(void *arg)
{
    storm *s = arg;
    while (!atomic_load(&s->stop)) {
        if (lsql_conn_interrupt(s->conn) != LSQL_OK)
            return (void *)1;
        s->sent++;
        sleep_ms(1);
    }
    return NULL;
}

static void interrupt_race(void **state)
{
    (void)state;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    tu_open_memory(&db, &c);
    tu_exec(c, "CREATE TABLE t(x)");
    storm s;
    memset(&s, 0, sizeof s);
    s.conn = c;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, interrupter, &s), 0);
    int ok = 0, interrupted = 0;
    for (int i = 0; i < 2000; i++) {
        lsql_error e;
        lsql_param p = {NULL, lsql_int(i)};
        int rc = i % 2 ? lsql_exec(c, "INSERT INTO t VALUES (?)", &p, 1, NULL, &e)
                       : lsql_query_int64(c,
                                          "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 "
                                          "FROM c WHERE x < 300) SELECT count(*) FROM c",
                                          NULL, 0, &(int64_t){0}, &e);
        if (rc == LSQL_OK)
            ok++;
        else if (rc == LSQL_INTERRUPTED)
            interrupted++;
        else
            fail_msg("call %d: %s (%s)", i, lsql_errname(rc), e.message);
    }
    atomic_store(&s.stop, 1);
    void *res = NULL;
    assert_int_equal(pthread_join(th, &res), 0);
    assert_null(res);
    assert_int_equal(ok + interrupted, 2000);
    assert_true(s.sent > 0);
    /* whatever was interrupted, the connection is consistent and usable */
    assert_int_equal(ct_int(c, "SELECT 1"), 1);
    int autocommit = 0;
    assert_ok(lsql_is_autocommit(c, &autocommit));
    assert_int_equal(autocommit, 1);
    lsql_db_close(db);
}

static void interrupt_misuse(void **state)
{
    (void)state;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    tu_open_memory(&db, &c);
    assert_rc(LSQL_MISUSE_HANDLE, lsql_conn_interrupt(NULL));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_conn_interrupt((lsql_conn *)db));
    lsql_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(interrupt_running_query), cmocka_unit_test(interrupt_without_handler),
        cmocka_unit_test(interrupt_busy_wait),     cmocka_unit_test(interrupt_idle_no_poison),
        cmocka_unit_test(interrupt_open_rows),     cmocka_unit_test(interrupt_race),
        cmocka_unit_test(interrupt_misuse),        cmocka_unit_test(interrupt_busy_wait_sql_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
