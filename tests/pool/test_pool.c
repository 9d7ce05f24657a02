/* test_pool.c -- lsql_pool behaviour: options, errors, exhaustion and
 * timeouts, FIFO fairness, warm reuse, broken connections, release with an
 * open transaction, shutdown while threads wait, read/write split,
 * maintenance, metrics and events. */
#include "pool_testutil.h"

#include <stdbool.h>

/* ---- options and handles ------------------------------------------------ */

static void test_open_errors(void **state)
{
    (void)state;
    lsql_db *db = pt_open_file("pool_open", 0);
    lsql_pool *p = (lsql_pool *)0x1;
    lsql_error e;
    lsql_pool_opts o;

    ct_expect(LSQL_INVALID_ARG, &e, lsql_pool_open(db, NULL, NULL, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_pool_open(NULL, NULL, &p, &e));
    assert_null(p);

    memset(&o, 0, sizeof o); /* struct_size not set */
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pool_open(db, &o, &p, &e));
    assert_non_null(strstr(e.message, "struct_size"));

    lsql_pool_opts_init(&o);
    o.min_size = 5;
    o.max_size = 2;
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pool_open(db, &o, &p, &e));
    assert_non_null(strstr(e.message, "min_size 5 > max_size 2"));

    lsql_pool_opts_init(&o);
    o.max_size = -1;
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pool_open(db, &o, &p, &e));
    lsql_pool_opts_init(&o);
    o.max_size = 100000;
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pool_open(db, &o, &p, &e));
    lsql_pool_opts_init(&o);
    o.flags = 0x100;
    ct_expect(LSQL_INVALID_OPTION, &e, lsql_pool_open(db, &o, &p, &e));
    lsql_pool_opts_init(&o);
    o.idle_timeout_ms = -5;
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pool_open(db, &o, &p, &e));
    assert_non_null(strstr(e.message, "idle_timeout_ms"));
    lsql_pool_opts_init(&o);
    o.maintain_interval_ms = -1;
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pool_open(db, &o, &p, &e));
    assert_null(p);
    lsql_pool_opts_init(&o);
    o.overtake_ms = -3;
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pool_open(db, &o, &p, &e));
    assert_non_null(strstr(e.message, "overtake_ms"));
    assert_null(p);
    /* a caller compiled before overtake_ms existed: the default */
    lsql_pool_opts_init(&o);
    o.struct_size = offsetof(lsql_pool_opts, overtake_ms);
    o.overtake_ms = -3; /* beyond its struct: not read */
    ct_expect(LSQL_OK, &e, lsql_pool_open(db, &o, &p, &e));
    assert_ok(lsql_pool_close(p));
    p = NULL;

    /* NULL opts: defaults */
    ct_expect(LSQL_OK, &e, lsql_pool_open(db, NULL, &p, &e));
    lsql_pool_metrics m = pt_metrics(p);
    assert_int_equal(m.max_size, 8);
    assert_int_equal(m.min_size, 0);
    assert_int_equal(m.size, 1); /* the connection that checked the database */

    /* misuse: NULL / foreign handles */
    lsql_conn *c = (lsql_conn *)0x1;
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_pool_acquire(NULL, LSQL_POOL_ANY, 0, &c, &e));
    assert_null(c);
    char junk[256];
    memset(junk, 0x33, sizeof junk);
    ct_expect(LSQL_MISUSE_HANDLE, &e,
              lsql_pool_acquire((lsql_pool *)junk, LSQL_POOL_ANY, 0, &c, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_pool_release((lsql_pool *)junk, NULL, &e));
    assert_int_equal(lsql_pool_close((lsql_pool *)junk), LSQL_MISUSE_HANDLE);
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_pool_maintain(NULL, &e));
    assert_int_equal(lsql_pool_set_event_cb(NULL, NULL, NULL), LSQL_MISUSE_HANDLE);
    lsql_pool_metrics mm;
    assert_int_equal(lsql_pool_metrics_get(NULL, &mm), LSQL_MISUSE_HANDLE);
    assert_int_equal(lsql_pool_metrics_get(p, NULL), LSQL_INVALID_ARG);
    mm.struct_size = 4;
    assert_int_equal(lsql_pool_metrics_get(p, &mm), LSQL_INVALID_ARG);

    /* bad arguments of acquire */
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pool_acquire(p, LSQL_POOL_ANY, 0, NULL, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pool_acquire(p, 7, 0, &c, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pool_acquire(p, LSQL_POOL_ANY, -2, &c, &e));

    /* release: NULL is harmless, foreign connection refused and untouched */
    ct_expect(LSQL_OK, &e, lsql_pool_release(p, NULL, &e));
    lsql_conn *mine = ct_connect(db);
    tu_exec(mine, "CREATE TABLE t(x)");
    lsql_txn *tx;
    assert_ok(lsql_begin(mine, LSQL_BEGIN_DEFERRED, &tx, NULL));
    tu_exec(mine, "INSERT INTO t VALUES (1)");
    ct_expect(LSQL_POOL_FOREIGN, &e, lsql_pool_release(p, mine, &e));
    assert_int_equal(lsql_txn_active(tx), 1); /* not reset */
    assert_ok(lsql_commit(mine, tx, NULL));
    lsql_txn_free(tx);

    /* double release */
    c = pt_acquire(p, LSQL_POOL_ANY);
    ct_expect(LSQL_OK, &e, lsql_pool_release(p, c, &e));
    ct_expect(LSQL_POOL_FOREIGN, &e, lsql_pool_release(p, c, &e));
    assert_non_null(strstr(e.message, "twice"));

    assert_int_equal(lsql_pool_close(NULL), LSQL_OK);
    assert_int_equal(lsql_pool_close(p), LSQL_OK);
    lsql_conn_close(mine);
    lsql_db_close(db);
}

/* The option initialisers write only the caller's sizeof: a program
 * compiled against an older, smaller struct is never written past it. */
static void test_opts_init_sized(void **state)
{
    (void)state;
    union {
        lsql_pool_opts o;
        unsigned char b[sizeof(lsql_pool_opts) + 32];
    } u;
    memset(&u, 0xab, sizeof u);
    size_t old = offsetof(lsql_pool_opts, on_connect);
    lsql_pool_opts_init_sized(&u.o, old);
    assert_int_equal(u.o.struct_size, old);
    assert_int_equal(u.o.max_size, 0);
    for (size_t i = old; i < sizeof u.b; i++)
        assert_int_equal(u.b[i], 0xab);
    lsql_pool_opts_init_sized(&u.o, 3); /* cannot hold struct_size: untouched */
    assert_int_equal(u.o.struct_size, old);
    lsql_pool_opts_init_sized(NULL, sizeof u.o);
    /* an older caller's struct is read only as far as it goes */
    lsql_db *db = pt_open_file("pool_init_sized", 0);
    lsql_pool *p = NULL;
    assert_ok(lsql_pool_open(db, &u.o, &p, NULL));
    assert_int_equal(pt_metrics(p).max_size, 8);
    assert_ok(lsql_pool_close(p));
    lsql_db_close(db);

    union {
        lsql_db_opts o;
        unsigned char b[sizeof(lsql_db_opts) + 32];
    } d;
    memset(&d, 0xab, sizeof d);
    size_t dold = offsetof(lsql_db_opts, flags);
    lsql_db_opts_init_sized(&d.o, dold);
    assert_int_equal(d.o.struct_size, dold);
    assert_int_equal(d.o.mode, LSQL_MODE_LOCAL);
    for (size_t i = dold; i < sizeof d.b; i++)
        assert_int_equal(d.b[i], 0xab);
    /* the macro passes the caller's own sizeof */
    lsql_pool_opts full;
    memset(&full, 0xab, sizeof full);
    lsql_pool_opts_init(&full);
    assert_int_equal(full.struct_size, sizeof full);
    assert_null(full.on_connect);
    assert_int_equal(full.leak_threshold_ms, 0);
}

static void test_error_names(void **state)
{
    (void)state;
    assert_string_equal(lsql_errname(LSQL_POOL_TIMEOUT), "LSQL_POOL_TIMEOUT");
    assert_string_equal(lsql_errname(LSQL_POOL_CLOSED), "LSQL_POOL_CLOSED");
    assert_string_equal(lsql_errname(LSQL_POOL_FOREIGN), "LSQL_POOL_FOREIGN");
    assert_string_equal(lsql_errname(LSQL_POOL_DISCARDED), "LSQL_POOL_DISCARDED");
    assert_string_equal(lsql_errname(LSQL_POOL_PRIVATE_MEMORY), "LSQL_POOL_PRIVATE_MEMORY");
    assert_int_equal(LSQL_CLASS(LSQL_POOL_TIMEOUT), LSQL_POOL);
    assert_string_not_equal(lsql_errstr(LSQL_POOL_TIMEOUT), lsql_errstr(LSQL_POOL));
}

/* ---- memory modes --------------------------------------------------------- */

static void test_memory_modes(void **state)
{
    (void)state;
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.mode = LSQL_MODE_MEMORY;
    lsql_db *priv = ct_open(&o);
    lsql_pool *p = (lsql_pool *)0x1;
    lsql_error e;
    ct_expect(LSQL_POOL_PRIVATE_MEMORY, &e, lsql_pool_open(priv, NULL, &p, &e));
    assert_null(p);
    assert_non_null(strstr(e.message, "LSQL_DB_MEMORY_SHARED"));
    lsql_db_close(priv);

    o.flags = LSQL_DB_MEMORY_SHARED;
    lsql_db *shared = ct_open(&o);
    p = pt_pool(shared, 0, 2, 0);
    lsql_conn *a = pt_acquire(p, LSQL_POOL_ANY);
    lsql_conn *b = pt_acquire(p, LSQL_POOL_ANY);
    assert_ptr_not_equal(a, b);
    tu_exec(a, "CREATE TABLE t(x)");
    tu_exec(a, "INSERT INTO t VALUES (42)");
    assert_int_equal(ct_int(b, "SELECT x FROM t"), 42); /* one database */
    assert_ok(lsql_pool_release(p, a, NULL));
    assert_ok(lsql_pool_release(p, b, NULL));
    /* the split needs WAL: a memory database is refused */
    lsql_pool_opts po;
    lsql_pool_opts_init(&po);
    po.flags = LSQL_POOL_RW_SPLIT;
    lsql_pool *q = NULL;
    ct_expect(LSQL_NOTSUP_BACKEND, &e, lsql_pool_open(shared, &po, &q, &e));
    assert_non_null(strstr(e.message, "WAL"));
    assert_ok(lsql_pool_close(p));
    lsql_db_close(shared);
}

static void test_split_needs_wal(void **state)
{
    (void)state;
    lsql_db *db = pt_open_file("pool_nowal", LSQL_DB_NO_WAL);
    lsql_pool_opts po;
    lsql_pool_opts_init(&po);
    po.flags = LSQL_POOL_RW_SPLIT;
    lsql_pool *p = NULL;
    lsql_error e;
    /* remote: the split is refused whatever the server's journal mode */
    ct_expect(LSQL_NOTSUP_BACKEND, &e, lsql_pool_open(db, &po, &p, &e));
    assert_non_null(strstr(e.message, ct_by_mode("delete", "REMOTE")));
    assert_null(p);
    lsql_db_close(db);
}

/* ---- exhaustion, timeouts ---------------------------------------------------- */

typedef struct ev_log {
    pthread_mutex_t mu;
    int n[8];
    int last_code;
    int64_t last_wait;
} ev_log;

static void on_event(void *ctx, const lsql_pool_event *ev)
{
    ev_log *l = ctx;
    pthread_mutex_lock(&l->mu);
    if (ev->type > 0 && ev->type < 8)
        l->n[ev->type]++;
    if (ev->type == LSQL_POOL_EV_BROKEN || ev->type == LSQL_POOL_EV_TIMEOUT)
        l->last_code = ev->code;
    if (ev->type == LSQL_POOL_EV_TIMEOUT)
        l->last_wait = ev->wait_ns;
    pthread_mutex_unlock(&l->mu);
}

static void test_exhaustion_timeout(void **state)
{
    (void)state;
    lsql_db *db = pt_open_file("pool_exhaust", 0);
    lsql_pool *p = pt_pool(db, 0, 2, 0);
    ev_log log;
    memset(&log, 0, sizeof log);
    pthread_mutex_init(&log.mu, NULL);
    assert_ok(lsql_pool_set_event_cb(p, on_event, &log));

    lsql_conn *a = pt_acquire(p, LSQL_POOL_ANY);
    lsql_conn *b = pt_acquire(p, LSQL_POOL_ANY);
    lsql_conn *c = (lsql_conn *)0x1;
    lsql_error e;
    ct_expect(LSQL_POOL_TIMEOUT, &e, lsql_pool_acquire(p, LSQL_POOL_ANY, 0, &c, &e));
    assert_null(c);
    assert_non_null(strstr(e.message, "2 of 2 connections in use"));
    ct_expect(LSQL_POOL_TIMEOUT, &e, lsql_pool_acquire(p, LSQL_POOL_ANY, 20, &c, &e));
    assert_non_null(strstr(e.message, "within 20 ms"));
    assert_non_null(strstr(e.message, "waited"));
    assert_non_null(strstr(e.message, "0 other acquirers were waiting"));

    lsql_pool_metrics m = pt_metrics(p);
    assert_int_equal(m.timeouts, 2);
    assert_int_equal(m.in_use, 2);
    assert_int_equal(m.idle, 0);
    assert_int_equal(m.size, 2);
    assert_int_equal(m.acquires, 2);
    pthread_mutex_lock(&log.mu);
    assert_int_equal(log.n[LSQL_POOL_EV_TIMEOUT], 2);
    assert_int_equal(log.last_code, LSQL_POOL_TIMEOUT);
    assert_true(log.last_wait > 0);
    pthread_mutex_unlock(&log.mu);

    /* after a release the same acquire succeeds at once */
    assert_ok(lsql_pool_release(p, a, NULL));
    c = pt_acquire(p, LSQL_POOL_ANY);
    assert_ptr_equal(c, a);
    assert_ok(lsql_pool_release(p, c, NULL));
    assert_ok(lsql_pool_release(p, b, NULL));

    m = pt_metrics(p);
    assert_int_equal(m.acquires, 3);
    assert_int_equal(m.releases, 3);
    assert_int_equal(m.created, 2);
    assert_int_equal(m.in_use, 0);
    assert_int_equal(m.idle, 2);
    assert_true(m.wait_max_ns >= m.wait_p99_ns);
    assert_true(m.wait_p99_ns >= m.wait_p50_ns);
    pthread_mutex_lock(&log.mu);
    assert_int_equal(log.n[LSQL_POOL_EV_ACQUIRE], 3);
    assert_int_equal(log.n[LSQL_POOL_EV_RELEASE], 3);
    assert_int_equal(log.n[LSQL_POOL_EV_GROW], 1); /* b; a was opened by lsql_pool_open */
    pthread_mutex_unlock(&log.mu);

    /* a smaller metrics struct (an older caller) gets the fields that fit */
    lsql_pool_metrics small;
    memset(&small, 0xee, sizeof small);
    small.struct_size = offsetof(lsql_pool_metrics, acquires);
    assert_ok(lsql_pool_metrics_get(p, &small));
    assert_int_equal(small.idle, 2);
    assert_true(small.acquires == 0xeeeeeeeeeeeeeeeeull);

    assert_ok(lsql_pool_close(p));
    pthread_mutex_destroy(&log.mu);
    lsql_db_close(db);
}

/* ---- FIFO fairness ----------------------------------------------------------- */

typedef struct fifo_arg {
    lsql_pool *p;
    int id;
    int *order;
    int *next;
    pthread_mutex_t *mu;
    int rc;
} fifo_arg;

static void *fifo_waiter(void *arg)
{
    fifo_arg *a = arg;
    lsql_conn *c = NULL;
    a->rc = lsql_pool_acquire(a->p, LSQL_POOL_ANY, 10000, &c, NULL);
    if (a->rc == LSQL_OK) {
        pthread_mutex_lock(a->mu);
        a->order[(*a->next)++] = a->id;
        pthread_mutex_unlock(a->mu);
        a->rc = lsql_pool_release(a->p, c, NULL);
    }
    return NULL;
}

static void test_fifo_waiters(void **state)
{
    (void)state;
    lsql_db *db = pt_open_file("pool_fifo", 0);
    lsql_pool *p = pt_pool(db, 0, 1, 0);
    lsql_conn *held = pt_acquire(p, LSQL_POOL_ANY);
    enum { N = 5 };
    pthread_t th[N];
    fifo_arg args[N];
    int order[N] = {0}, next = 0;
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    for (int i = 0; i < N; i++) {
        args[i] = (fifo_arg){p, i, order, &next, &mu, -1};
        assert_int_equal(pthread_create(&th[i], NULL, fifo_waiter, &args[i]), 0);
        pt_wait_waiters(p, i + 1); /* queued in this order */
    }
    assert_ok(lsql_pool_release(p, held, NULL));
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < N; i++) {
        assert_int_equal(args[i].rc, LSQL_OK);
        assert_int_equal(order[i], i);
    }
    lsql_pool_metrics m = pt_metrics(p);
    assert_int_equal(m.waits, N);
    assert_int_equal(m.size, 1);
    assert_int_equal(m.waiters, 0);
    assert_true(m.wait_max_ns > 0);
    assert_ok(lsql_pool_close(p));
    lsql_db_close(db);
}

/* A waiter that has waited past overtake_ms (default 10 ms; NEVER: from
 * the start) gets the next released connection directly: a newcomer finds
 * nothing idle. (Below the bound a newcomer may take the connection first;
 * that case is not deterministic and is not asserted.) */
typedef struct starve_arg {
    lsql_pool *p;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool got, done;
    int rc;
} starve_arg;

static void *starve_waiter(void *arg)
{
    starve_arg *a = arg;
    lsql_conn *c = NULL;
    a->rc = lsql_pool_acquire(a->p, LSQL_POOL_ANY, 10000, &c, NULL);
    pthread_mutex_lock(&a->mu);
    a->got = true;
    pthread_cond_broadcast(&a->cv);
    while (!a->done)
        pthread_cond_wait(&a->cv, &a->mu);
    pthread_mutex_unlock(&a->mu);
    if (a->rc == LSQL_OK)
        a->rc = lsql_pool_release(a->p, c, NULL);
    return NULL;
}

static void starving_waiter_first(int32_t overtake_ms, int sleep_ms)
{
    lsql_db *db = pt_open_file("pool_starve", 0);
    lsql_pool_opts po;
    lsql_pool_opts_init(&po);
    po.max_size = 1;
    po.overtake_ms = overtake_ms;
    lsql_pool *p = NULL;
    assert_ok(lsql_pool_open(db, &po, &p, NULL));
    lsql_conn *held = pt_acquire(p, LSQL_POOL_ANY);
    starve_arg a;
    memset(&a, 0, sizeof a);
    a.p = p;
    a.rc = -1;
    pthread_mutex_init(&a.mu, NULL);
    pthread_cond_init(&a.cv, NULL);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, starve_waiter, &a), 0);
    pt_wait_waiters(p, 1);
    if (sleep_ms)
        pt_sleep_ms(sleep_ms); /* past the bound */
    assert_ok(lsql_pool_release(p, held, NULL));
    lsql_conn *c = NULL;
    lsql_error e;
    /* the waiter owns it now (it holds it until `done`) */
    assert_int_equal(lsql_pool_acquire(p, LSQL_POOL_ANY, 0, &c, &e), LSQL_POOL_TIMEOUT);
    assert_null(c);
    pthread_mutex_lock(&a.mu);
    while (!a.got)
        pthread_cond_wait(&a.cv, &a.mu);
    a.done = true;
    pthread_cond_broadcast(&a.cv);
    pthread_mutex_unlock(&a.mu);
    pthread_join(th, NULL);
    assert_int_equal(a.rc, LSQL_OK);
    lsql_pool_metrics m = pt_metrics(p);
    assert_int_equal(m.waits, 1);
    assert_int_equal(m.in_use, 0);
    assert_int_equal(m.idle, 1);
    assert_int_equal(m.waiters, 0);
    pthread_cond_destroy(&a.cv);
    pthread_mutex_destroy(&a.mu);
    assert_ok(lsql_pool_close(p));
    lsql_db_close(db);
}

static void test_starving_waiter_first(void **state)
{
    (void)state;
    starving_waiter_first(0, 30);                 /* default bound, 10 ms */
    starving_waiter_first(5, 20);                 /* a set bound */
    starving_waiter_first(LSQL_POOL_NEVER, 0);    /* strict FIFO: at once */
}

/* ---- warm reuse ---------------------------------------------------------------- */

static void reuse_order(unsigned flags, int want_first)
{
    lsql_db *db = pt_open_file("pool_reuse", 0);
    lsql_pool *p = pt_pool(db, 0, 3, flags);
    lsql_conn *c[3];
    for (int i = 0; i < 3; i++)
        c[i] = pt_acquire(p, LSQL_POOL_ANY);
    for (int i = 0; i < 3; i++)
        assert_ok(lsql_pool_release(p, c[i], NULL));
    lsql_conn *x = pt_acquire(p, LSQL_POOL_ANY);
    assert_ptr_equal(x, c[want_first]);
    assert_ok(lsql_pool_release(p, x, NULL));
    assert_ok(lsql_pool_close(p));
    lsql_db_close(db);
}

static void test_warm_reuse_lifo(void **state)
{
    (void)state;
    reuse_order(0, 2);
}

static void test_reuse_fifo_flag(void **state)
{
    (void)state;
    reuse_order(LSQL_POOL_FIFO, 0);
}

/* ---- release with an open transaction --------------------------------------- */

static void test_release_open_txn(void **state)
{
    (void)state;
    lsql_db *db = pt_open_file("pool_txn", 0);
    lsql_pool *p = pt_pool(db, 1, 1, 0);
    lsql_conn *c = pt_acquire(p, LSQL_POOL_WRITE);
    tu_exec(c, "CREATE TABLE t(x)");
    tu_exec(c, "INSERT INTO t VALUES (1)");
    lsql_txn *tx;
    assert_ok(lsql_begin(c, LSQL_BEGIN_IMMEDIATE, &tx, NULL));
    tu_exec(c, "INSERT INTO t VALUES (2)");
    tu_exec(c, "CREATE TEMP TABLE scratch(y)");
    lsql_cache_stats cs = {sizeof cs, 0, 0, 0, 0, 0};
    assert_ok(lsql_stmt_cache_stats(c, &cs));
    int cached = cs.size;
    assert_true(cached > 0);
    /* the user forgets the transaction */
    lsql_error e;
    ct_expect(LSQL_OK, &e, lsql_pool_release(p, c, &e));
    assert_int_equal(lsql_txn_active(tx), 0); /* rolled back by the reset */

    lsql_conn *d = pt_acquire(p, LSQL_POOL_ANY);
    assert_ptr_equal(d, c);
    int ac = 0;
    assert_ok(lsql_is_autocommit(d, &ac));
    assert_int_equal(ac, 1);
    if (!ct_remote()) { /* remote: LSQL_NOTSUP_BACKEND (no read/write state) */
        int st = -1;
        assert_ok(lsql_txn_state(d, &st));
        assert_int_equal(st, LSQL_TXN_NONE);
    }
    assert_int_equal(ct_int(d, "SELECT count(*) FROM t"), 1); /* row 2 rolled back */
    assert_int_equal(ct_int(d, "SELECT count(*) FROM temp.sqlite_schema"), 0);
    /* statement cache kept */
    lsql_cache_stats cs2 = {sizeof cs2, 0, 0, 0, 0, 0};
    assert_ok(lsql_stmt_cache_stats(d, &cs2));
    assert_true(cs2.size >= cached);
    lsql_txn_free(tx);
    /* another connection can write at once: no lock left behind */
    lsql_conn *other = ct_connect(db);
    if (!ct_remote()) /* remote: lsqld waits writer_timeout_ms, then fails */
        assert_ok(lsql_conn_set_busy_timeout(other, 0));
    tu_exec(other, "INSERT INTO t VALUES (3)");
    lsql_conn_close(other);
    assert_ok(lsql_pool_release(p, d, NULL));
    assert_ok(lsql_pool_close(p));
    lsql_db_close(db);
}

/* ---- broken connections ---------------------------------------------------- */

/* A progress handler that fails every statement while *flag is set: an
 * honest way to make a connection's queries (and so its ping or its
 * reset) fail through the public API. */
static int fail_when_set(void *ctx)
{
    return *(volatile int *)ctx;
}

static void test_broken_on_ping(void **state)
{
    (void)state;
    ct_local_only("a progress handler breaks one connection (remote: test_remote_*)");
    lsql_db *db = pt_open_file("pool_broken", 0);
    lsql_pool *p = pt_pool(db, 1, 1, LSQL_POOL_PING_ALWAYS);
    ev_log log;
    memset(&log, 0, sizeof log);
    pthread_mutex_init(&log.mu, NULL);
    assert_ok(lsql_pool_set_event_cb(p, on_event, &log));

    int flag = 0;
    lsql_conn *c = pt_acquire(p, LSQL_POOL_ANY);
    tu_exec(c, "CREATE TABLE t(x)");
    assert_ok(lsql_conn_set_progress_handler(c, 1, fail_when_set, &flag));
    assert_ok(lsql_pool_release(p, c, NULL)); /* resets fine: flag is 0 */
    flag = 1; /* now every statement of that idle connection fails */

    lsql_conn *d = pt_acquire(p, LSQL_POOL_ANY); /* ping fails: replaced */
    tu_exec(d, "INSERT INTO t VALUES (1)");     /* the new one works */
    lsql_pool_metrics m = pt_metrics(p);
    assert_int_equal(m.broken, 1);
    assert_int_equal(m.created, 2);
    assert_int_equal(m.destroyed, 1);
    assert_int_equal(m.size, 1);
    pthread_mutex_lock(&log.mu);
    assert_int_equal(log.n[LSQL_POOL_EV_BROKEN], 1);
    assert_int_equal(LSQL_CLASS(log.last_code), LSQL_INTERRUPTED);
    assert_int_equal(log.n[LSQL_POOL_EV_GROW], 1);
    pthread_mutex_unlock(&log.mu);
    assert_ok(lsql_pool_release(p, d, NULL));
    assert_ok(lsql_pool_close(p));
    pthread_mutex_destroy(&log.mu);
    lsql_db_close(db);
}

static void test_broken_on_release(void **state)
{
    (void)state;
    ct_local_only("a progress handler breaks one connection (remote: test_remote_*)");
    lsql_db *db = pt_open_file("pool_broken_rel", 0);
    lsql_pool *p = pt_pool(db, 0, 1, 0);
    int flag = 1;
    lsql_conn *c = pt_acquire(p, LSQL_POOL_ANY);
    /* something for the reset to undo (a clean connection's reset runs no
     * SQL, so it cannot fail) */
    tu_exec(c, "CREATE TEMP TABLE scratch(x)");
    assert_ok(lsql_conn_set_progress_handler(c, 1, fail_when_set, &flag));
    lsql_error e;
    ct_expect(LSQL_POOL_DISCARDED, &e, lsql_pool_release(p, c, &e));
    assert_non_null(strstr(e.message, "could not be reset"));
    lsql_pool_metrics m = pt_metrics(p);
    assert_int_equal(m.broken, 1);
    assert_int_equal(m.size, 0);
    assert_int_equal(m.in_use, 0);
    /* a replacement is opened on demand */
    lsql_conn *d = pt_acquire(p, LSQL_POOL_ANY);
    assert_int_equal(ct_int(d, "SELECT 7"), 7);
    assert_ok(lsql_pool_release(p, d, NULL));
    assert_int_equal(pt_metrics(p).created, 2);
    assert_ok(lsql_pool_close(p));
    lsql_db_close(db);
}

/* A broken release while a thread waits: the waiter gets a new connection. */
typedef struct acq_arg {
    lsql_pool *p;
    int intent;
    int32_t timeout;
    int rc;
    char msg[LSQL_ERRMSG_MAX];
} acq_arg;

static void *acq_thread(void *arg)
{
    acq_arg *a = arg;
    lsql_conn *c = NULL;
    lsql_error e;
    a->rc = lsql_pool_acquire(a->p, a->intent, a->timeout, &c, &e);
    snprintf(a->msg, sizeof a->msg, "%s", e.message);
    if (a->rc == LSQL_OK) {
        if (lsql_conn_ping(c, NULL) != LSQL_OK)
            a->rc = -1;
        int rc = lsql_pool_release(a->p, c, NULL);
        if (rc != LSQL_OK)
            a->rc = rc;
    }
    return NULL;
}

static void test_broken_release_serves_waiter(void **state)
{
    (void)state;
    ct_local_only("a progress handler breaks one connection (remote: test_remote_*)");
    lsql_db *db = pt_open_file("pool_broken_wait", 0);
    lsql_pool *p = pt_pool(db, 0, 1, 0);
    int flag = 1;
    lsql_conn *c = pt_acquire(p, LSQL_POOL_ANY);
    acq_arg a = {p, LSQL_POOL_ANY, 10000, -99, ""};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, acq_thread, &a), 0);
    pt_wait_waiters(p, 1);
    tu_exec(c, "CREATE TEMP TABLE scratch(x)"); /* work for the reset */
    assert_ok(lsql_conn_set_progress_handler(c, 1, fail_when_set, &flag));
    assert_int_equal(lsql_pool_release(p, c, NULL), LSQL_POOL_DISCARDED);
    pthread_join(th, NULL);
    assert_int_equal(a.rc, LSQL_OK);
    assert_int_equal(pt_metrics(p).size, 1);
    assert_ok(lsql_pool_close(p));
    lsql_db_close(db);
}

#if LSQL_TEST_REMOTE
/* ---- remote: server restarts and outages -------------------------------------- */

/* A remote connection idle across a server restart keeps working (a new
 * stream, transparently: not broken); while the server is down, an acquire
 * whose ping fails gets the error of the outage once the replacement fails
 * too, rather than a connection that fails at first use; once the server
 * is back, the pool serves again. */
static void test_remote_restart_and_outage(void **state)
{
    (void)state;
    lsql_db *db = pt_open_file("pool_restart", 0);
    ct_server *srv = ct_target_server_of(db);
    assert_non_null(srv);
    lsql_pool *p = pt_pool(db, 1, 2, LSQL_POOL_PING_ALWAYS);
    ev_log log;
    memset(&log, 0, sizeof log);
    pthread_mutex_init(&log.mu, NULL);
    assert_ok(lsql_pool_set_event_cb(p, on_event, &log));

    lsql_conn *c = pt_acquire(p, LSQL_POOL_ANY);
    tu_exec(c, "CREATE TABLE t(x)");
    tu_exec(c, "INSERT INTO t VALUES (1)");
    assert_ok(lsql_pool_release(p, c, NULL));

    /* restart: the idle connection's stream is gone; the ping opens a new one */
    ct_target_server_stop(srv);
    ct_target_server_start_again(srv);
    lsql_conn *d = pt_acquire(p, LSQL_POOL_ANY);
    assert_ptr_equal(d, c);
    assert_int_equal(ct_int(d, "SELECT count(*) FROM t"), 1);
    assert_ok(lsql_pool_release(p, d, NULL));
    assert_int_equal(pt_metrics(p).broken, 0);

    /* outage: the idle connection fails its ping, so does its replacement */
    ct_target_server_stop(srv);
    lsql_conn *x = (lsql_conn *)0x1;
    lsql_error e;
    int rc = lsql_pool_acquire(p, LSQL_POOL_ANY, 5000, &x, &e);
    assert_int_equal(rc, LSQL_HTTP_CONNECT);
    assert_int_equal(e.ext_code, LSQL_HTTP_CONNECT);
    assert_true(e.flags & LSQL_ERRF_RETRYABLE);
    assert_non_null(strstr(e.message, "fails too"));
    assert_null(x);
    lsql_pool_metrics m = pt_metrics(p);
    assert_int_equal(m.broken, 2);
    assert_int_equal(m.size, 0);
    assert_int_equal(m.in_use, 0);
    assert_int_equal(m.created, 2);
    assert_int_equal(m.destroyed, 2);
    pthread_mutex_lock(&log.mu);
    assert_int_equal(log.n[LSQL_POOL_EV_BROKEN], 2);
    assert_int_equal(log.last_code, LSQL_HTTP_CONNECT);
    pthread_mutex_unlock(&log.mu);

    /* back: a new connection, the data still there */
    ct_target_server_start_again(srv);
    lsql_conn *y = pt_acquire(p, LSQL_POOL_ANY);
    assert_int_equal(ct_int(y, "SELECT count(*) FROM t"), 1);
    assert_ok(lsql_pool_release(p, y, NULL));
    m = pt_metrics(p);
    assert_int_equal(m.size, 1);
    assert_int_equal(m.broken, 2);
    assert_ok(lsql_pool_close(p));
    pthread_mutex_destroy(&log.mu);
    lsql_db_close(db);
}

/* A connection released with a transaction whose server stream was lost
 * (here: the server restarted) is clean for its next user: the server
 * rolled the transaction back, so the release has nothing to undo and does
 * not discard the connection. */
static void test_remote_release_lost_txn(void **state)
{
    (void)state;
    lsql_db *db = pt_open_file("pool_lost", 0);
    ct_server *srv = ct_target_server_of(db);
    lsql_pool *p = pt_pool(db, 1, 1, 0);
    lsql_conn *c = pt_acquire(p, LSQL_POOL_WRITE);
    tu_exec(c, "CREATE TABLE t(x)");
    lsql_txn *tx;
    assert_ok(lsql_begin(c, LSQL_BEGIN_IMMEDIATE, &tx, NULL));
    tu_exec(c, "INSERT INTO t VALUES (1)");
    ct_target_server_stop(srv);
    ct_target_server_start_again(srv);
    lsql_error e;
    ct_expect(LSQL_OK, &e, lsql_pool_release(p, c, &e));
    assert_int_equal(lsql_txn_active(tx), 0);
    lsql_txn_free(tx);
    lsql_conn *d = pt_acquire(p, LSQL_POOL_ANY);
    assert_ptr_equal(d, c);
    int ac = 0;
    assert_ok(lsql_is_autocommit(d, &ac));
    assert_int_equal(ac, 1);
    assert_int_equal(ct_int(d, "SELECT count(*) FROM t"), 0); /* rolled back */
    tu_exec(d, "INSERT INTO t VALUES (2)");
    assert_ok(lsql_pool_release(p, d, NULL));
    lsql_pool_metrics m = pt_metrics(p);
    assert_int_equal(m.broken, 0);
    assert_int_equal(m.created, 1);
    assert_ok(lsql_pool_close(p));
    lsql_db_close(db);
}

/* A connection that cannot be reset because the server is down is
 * discarded, and its slot goes to a thread waiting meanwhile: that thread
 * gets a new connection (a remote connection reaches the server only at its
 * first request), which works once the server is back. */
typedef struct down_arg {
    lsql_pool *p;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool got, server_back;
    int rc, ping_rc;
} down_arg;

static void *down_waiter(void *arg)
{
    down_arg *a = arg;
    lsql_conn *c = NULL;
    int rc = lsql_pool_acquire(a->p, LSQL_POOL_ANY, 30000, &c, NULL);
    pthread_mutex_lock(&a->mu);
    a->rc = rc;
    a->got = true;
    pthread_cond_broadcast(&a->cv);
    while (!a->server_back)
        pthread_cond_wait(&a->cv, &a->mu);
    pthread_mutex_unlock(&a->mu);
    if (rc == LSQL_OK) {
        a->ping_rc = lsql_conn_ping(c, NULL);
        lsql_pool_release(a->p, c, NULL);
    }
    return NULL;
}

static void test_remote_discard_serves_waiter(void **state)
{
    (void)state;
    lsql_db *db = pt_open_file("pool_down_wait", 0);
    ct_server *srv = ct_target_server_of(db);
    lsql_pool *p = pt_pool(db, 0, 1, 0);
    lsql_conn *c = pt_acquire(p, LSQL_POOL_ANY);
    tu_exec(c, "CREATE TEMP TABLE scratch(x)"); /* work for the reset */
    down_arg a;
    memset(&a, 0, sizeof a);
    a.p = p;
    a.rc = a.ping_rc = -99;
    pthread_mutex_init(&a.mu, NULL);
    pthread_cond_init(&a.cv, NULL);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, down_waiter, &a), 0);
    pt_wait_waiters(p, 1);
    ct_target_server_stop(srv);
    lsql_error e;
    ct_expect(LSQL_POOL_DISCARDED, &e, lsql_pool_release(p, c, &e));
    pthread_mutex_lock(&a.mu);
    while (!a.got)
        pthread_cond_wait(&a.cv, &a.mu);
    pthread_mutex_unlock(&a.mu);
    assert_int_equal(a.rc, LSQL_OK); /* the freed slot, a new connection */
    ct_target_server_start_again(srv);
    pthread_mutex_lock(&a.mu);
    a.server_back = true;
    pthread_cond_broadcast(&a.cv);
    pthread_mutex_unlock(&a.mu);
    pthread_join(th, NULL);
    assert_int_equal(a.ping_rc, LSQL_OK);
    lsql_pool_metrics m = pt_metrics(p);
    assert_int_equal(m.size, 1);
    assert_int_equal(m.broken, 1);
    assert_int_equal(m.created, 2);
    pthread_cond_destroy(&a.cv);
    pthread_mutex_destroy(&a.mu);
    assert_ok(lsql_pool_close(p));
    lsql_db_close(db);
}
#endif

/* ---- on_connect ------------------------------------------------------------ */

typedef struct hook_log {
    pthread_mutex_t mu;
    int calls, reads, writes, anys;
    lsql_conn *seen[16];
    int fail; /* fail the next calls with LSQL_CONSTRAINT */
} hook_log;

static void pool_tag_fn(lsql_fn_ctx *fc, int argc, const lsql_value *argv)
{
    (void)argc;
    (void)argv;
    lsql_result_int64(fc, 4242);
}

static int on_connect(void *ctx, lsql_conn *c, int role, lsql_error *err)
{
    hook_log *h = ctx;
    pthread_mutex_lock(&h->mu);
    int fail = h->fail;
    if (!fail) {
        h->calls++;
        h->reads += role == LSQL_POOL_READ;
        h->writes += role == LSQL_POOL_WRITE;
        h->anys += role == LSQL_POOL_ANY;
        if (h->calls <= 16)
            h->seen[h->calls - 1] = c;
    }
    pthread_mutex_unlock(&h->mu);
    if (fail) {
        snprintf(err->message, sizeof err->message, "tenant %d is not allowed", 7);
        err->code = err->ext_code = LSQL_CONSTRAINT;
        return LSQL_CONSTRAINT;
    }
    /* remote: no SQL functions; a statement shows the connection works */
    if (ct_remote())
        return lsql_exec(c, "SELECT 1", NULL, 0, NULL, err);
    return lsql_create_function(c, "pool_tag", 0, LSQL_FN_DETERMINISTIC, pool_tag_fn, NULL, NULL,
                                err);
}

static bool hook_saw(hook_log *h, lsql_conn *c)
{
    pthread_mutex_lock(&h->mu);
    bool found = false;
    for (int i = 0; i < h->calls && i < 16; i++)
        found |= h->seen[i] == c;
    pthread_mutex_unlock(&h->mu);
    return found;
}

static lsql_pool *hook_pool(lsql_db *db, int min, int max, unsigned flags, hook_log *h,
                            lsql_error *e, int *rc)
{
    lsql_pool_opts po;
    lsql_pool_opts_init(&po);
    po.min_size = min;
    po.max_size = max;
    po.flags = flags;
    po.on_connect = on_connect;
    po.on_connect_ctx = h;
    lsql_pool *p = NULL;
    *rc = lsql_pool_open(db, &po, &p, e);
    return p;
}

/* Every connection the pool opens goes through on_connect once, before its
 * first use, whichever path opens it; what it sets up outlives the resets
 * of releases. */
static void test_on_connect(void **state)
{
    (void)state;
    lsql_db *db = pt_open_file("pool_hook", 0);
    hook_log h;
    memset(&h, 0, sizeof h);
    pthread_mutex_init(&h.mu, NULL);
    lsql_error e;
    int rc;
    lsql_pool *p = hook_pool(db, 2, 3, 0, &h, &e, &rc);
    assert_int_equal(rc, LSQL_OK);
    assert_int_equal(h.calls, 2); /* min_size */
    assert_int_equal(h.anys, 2);
    lsql_conn *c[3];
    for (int i = 0; i < 3; i++) {
        c[i] = pt_acquire(p, LSQL_POOL_ANY);
        assert_true(hook_saw(&h, c[i]));
    }
    assert_int_equal(h.calls, 3); /* the third was opened by an acquire */
    if (!ct_remote()) {
        tu_exec(c[0], "CREATE TEMP TABLE scratch(x)"); /* work for the reset */
        assert_int_equal(ct_int(c[0], "SELECT pool_tag()"), 4242);
    }
    for (int i = 0; i < 3; i++)
        assert_ok(lsql_pool_release(p, c[i], NULL));
    if (!ct_remote()) { /* the function outlives the reset */
        lsql_conn *again = pt_acquire(p, LSQL_POOL_ANY);
        assert_int_equal(ct_int(again, "SELECT pool_tag()"), 4242);
        assert_ok(lsql_pool_release(p, again, NULL));
    }
    assert_int_equal(h.calls, 3);
    assert_ok(lsql_pool_close(p));

    /* the split: the writer and each reader, with its role */
    if (!ct_remote()) {
        memset(&h.seen, 0, sizeof h.seen);
        h.calls = h.reads = h.writes = h.anys = 0;
        p = hook_pool(db, 1, 2, LSQL_POOL_RW_SPLIT, &h, &e, &rc);
        assert_int_equal(rc, LSQL_OK);
        assert_int_equal(h.writes, 1);
        assert_int_equal(h.reads, 1);
        lsql_conn *r1 = pt_acquire(p, LSQL_POOL_READ);
        lsql_conn *r2 = pt_acquire(p, LSQL_POOL_READ);
        assert_int_equal(h.reads, 2);
        assert_int_equal(h.anys, 0);
        assert_int_equal(ct_int(r2, "SELECT pool_tag()"), 4242);
        assert_ok(lsql_pool_release(p, r1, NULL));
        assert_ok(lsql_pool_release(p, r2, NULL));
        assert_ok(lsql_pool_close(p));
    }
    pthread_mutex_destroy(&h.mu);
    lsql_db_close(db);
}

/* A failing on_connect: the connection is closed, the call that opened it
 * returns the callback's code and message, nothing is left counted. */
static void test_on_connect_fails(void **state)
{
    (void)state;
    lsql_db *db = pt_open_file("pool_hook_fail", 0);
    hook_log h;
    memset(&h, 0, sizeof h);
    pthread_mutex_init(&h.mu, NULL);
    h.fail = 1;
    lsql_error e;
    int rc;
    lsql_pool *p = hook_pool(db, 0, 2, 0, &h, &e, &rc);
    assert_int_equal(rc, LSQL_CONSTRAINT);
    assert_null(p);
    assert_string_equal(e.message, "pool: on_connect: tenant 7 is not allowed");

    h.fail = 0;
    p = hook_pool(db, 0, 2, 0, &h, &e, &rc);
    assert_int_equal(rc, LSQL_OK);
    lsql_conn *first = pt_acquire(p, LSQL_POOL_ANY); /* the one lsql_pool_open opened */
    h.fail = 1;
    lsql_conn *x = (lsql_conn *)0x1;
    ct_expect(LSQL_CONSTRAINT, &e, lsql_pool_acquire(p, LSQL_POOL_ANY, 0, &x, &e));
    assert_null(x);
    assert_non_null(strstr(e.message, "tenant 7"));
    lsql_pool_metrics m = pt_metrics(p);
    assert_int_equal(m.size, 1);
    assert_int_equal(m.in_use, 1);
    assert_int_equal(m.created, 1);
    assert_int_equal(m.waiters, 0);
    h.fail = 0;
    lsql_conn *second = pt_acquire(p, LSQL_POOL_ANY); /* the slot is free again */
    assert_true(hook_saw(&h, second));
    assert_ok(lsql_pool_release(p, first, NULL));
    assert_ok(lsql_pool_release(p, second, NULL));
    assert_int_equal(pt_metrics(p).created, 2);
    assert_ok(lsql_pool_close(p));

    /* a caller compiled before on_connect existed: not read */
    lsql_pool_opts po;
    lsql_pool_opts_init(&po);
    po.struct_size = offsetof(lsql_pool_opts, on_connect);
    po.on_connect = on_connect;
    po.on_connect_ctx = &h;
    h.fail = 1; /* would fail the open */
    ct_expect(LSQL_OK, &e, lsql_pool_open(db, &po, &p, &e));
    assert_ok(lsql_pool_close(p));
    pthread_mutex_destroy(&h.mu);
    lsql_db_close(db);
}

/* ---- hold times and leak detection ------------------------------------------ */

typedef struct leak_log {
    pthread_mutex_t mu;
    int leaks, releases;
    lsql_conn *conn;
    int64_t held_ns, rel_held_ns;
} leak_log;

static void on_leak_event(void *ctx, const lsql_pool_event *ev)
{
    leak_log *l = ctx;
    pthread_mutex_lock(&l->mu);
    if (ev->type == LSQL_POOL_EV_LEAK) {
        l->leaks++;
        l->conn = ev->conn;
        l->held_ns = ev->held_ns;
    } else if (ev->type == LSQL_POOL_EV_RELEASE) {
        l->releases++;
        l->rel_held_ns = ev->held_ns;
    }
    pthread_mutex_unlock(&l->mu);
}

/* How long connections are held (metrics, RELEASE events), and a
 * connection out longer than leak_threshold_ms reported once per lease by
 * the maintenance step. Durations are asserted as lower bounds only. */
static void test_hold_and_leaks(void **state)
{
    (void)state;
    lsql_db *db = pt_open_file("pool_leak", 0);
    lsql_pool_opts po;
    lsql_pool_opts_init(&po);
    po.max_size = 2;
    po.leak_threshold_ms = 20;
    lsql_pool *p = NULL;
    assert_ok(lsql_pool_open(db, &po, &p, NULL));
    leak_log l;
    memset(&l, 0, sizeof l);
    pthread_mutex_init(&l.mu, NULL);
    assert_ok(lsql_pool_set_event_cb(p, on_leak_event, &l));

    lsql_conn *c = pt_acquire(p, LSQL_POOL_ANY);
    lsql_conn *quick = pt_acquire(p, LSQL_POOL_ANY); /* back before the check */
    assert_ok(lsql_pool_release(p, quick, NULL));
    pt_sleep_ms(30);
    lsql_pool_metrics m = pt_metrics(p);
    assert_true(m.held_longest_ns >= 30000000ull);
    assert_ok(lsql_pool_maintain(p, NULL));
    pthread_mutex_lock(&l.mu);
    assert_int_equal(l.leaks, 1);
    assert_ptr_equal(l.conn, c);
    assert_true(l.held_ns >= 30000000);
    pthread_mutex_unlock(&l.mu);
    assert_ok(lsql_pool_maintain(p, NULL)); /* once per lease */
    assert_int_equal(l.leaks, 1);
    assert_int_equal(pt_metrics(p).leaks, 1);

    assert_ok(lsql_pool_release(p, c, NULL));
    pthread_mutex_lock(&l.mu);
    assert_true(l.rel_held_ns >= 30000000);
    pthread_mutex_unlock(&l.mu);
    m = pt_metrics(p);
    assert_int_equal(m.held_longest_ns, 0);
    assert_true(m.hold_max_ns >= 30000000ull);
    assert_true(m.hold_max_ns >= m.hold_p99_ns && m.hold_p99_ns >= m.hold_p50_ns);

    /* a new lease of the same connection is watched again */
    c = pt_acquire(p, LSQL_POOL_ANY);
    pt_sleep_ms(30);
    assert_ok(lsql_pool_maintain(p, NULL));
    assert_int_equal(pt_metrics(p).leaks, 2);
    assert_ok(lsql_pool_release(p, c, NULL));

    /* a smaller (older) metrics struct: the new fields are not written */
    lsql_pool_metrics small;
    memset(&small, 0xee, sizeof small);
    small.struct_size = offsetof(lsql_pool_metrics, hold_p50_ns);
    assert_ok(lsql_pool_metrics_get(p, &small));
    assert_true(small.leaks == 0xeeeeeeeeeeeeeeeeull);
    assert_int_equal(small.releases, 3);
    assert_ok(lsql_pool_close(p));

    /* off by default: nothing reported */
    p = pt_pool(db, 0, 1, 0);
    c = pt_acquire(p, LSQL_POOL_ANY);
    pt_sleep_ms(5);
    assert_ok(lsql_pool_maintain(p, NULL));
    assert_int_equal(pt_metrics(p).leaks, 0);
    assert_ok(lsql_pool_release(p, c, NULL));
    assert_ok(lsql_pool_close(p));
    lsql_pool_opts_init(&po);
    po.leak_threshold_ms = -7;
    lsql_error e;
    ct_expect(LSQL_INVALID_ARG, &e, lsql_pool_open(db, &po, &p, &e));
    assert_non_null(strstr(e.message, "leak_threshold_ms"));
    pthread_mutex_destroy(&l.mu);
    lsql_db_close(db);
}

/* ---- shutdown while threads wait -------------------------------------------- */

static void test_close_while_waiting(void **state)
{
    (void)state;
    lsql_db *db = pt_open_file("pool_close_wait", 0);
    lsql_pool *p = pt_pool(db, 0, 1, 0);
    lsql_conn *held = pt_acquire(p, LSQL_POOL_ANY);
    tu_exec(held, "CREATE TABLE t(x)");
    enum { N = 3 };
    acq_arg args[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        args[i] = (acq_arg){p, LSQL_POOL_ANY, 60000, -99, ""};
        assert_int_equal(pthread_create(&th[i], NULL, acq_thread, &args[i]), 0);
    }
    pt_wait_waiters(p, N);
    assert_ok(lsql_pool_close(p));
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].rc, LSQL_POOL_CLOSED);
        assert_non_null(strstr(args[i].msg, "closed while waiting"));
    }
    /* the holder keeps using its connection, then releases it: closed */
    tu_exec(held, "INSERT INTO t VALUES (1)");
    lsql_pool_metrics m = pt_metrics(p); /* allowed while a connection is out */
    assert_int_equal(m.in_use, 1);
    assert_int_equal(m.waiters, 0);
    assert_int_equal(lsql_pool_release(p, held, NULL), LSQL_OK); /* frees the pool */
    lsql_conn *chk = ct_connect(db);
    assert_int_equal(ct_int(chk, "SELECT count(*) FROM t"), 1);
    lsql_conn_close(chk);
    lsql_db_close(db);
}

/* ---- read/write split ------------------------------------------------------- */

static void test_rw_split(void **state)
{
    (void)state;
    ct_local_only("LSQL_POOL_RW_SPLIT is LOCAL only (test_split_needs_wal: refused)");
    lsql_db *db = pt_open_file("pool_split", 0);
    lsql_pool *p = pt_pool(db, 1, 3, LSQL_POOL_RW_SPLIT);
    lsql_pool_metrics m = pt_metrics(p);
    assert_int_equal(m.size, 2); /* the writer and one reader */
    assert_int_equal(m.max_size, 4);

    lsql_conn *w = pt_acquire(p, LSQL_POOL_WRITE);
    tu_exec(w, "CREATE TABLE t(x)");
    lsql_txn *tx;
    assert_ok(lsql_begin(w, LSQL_BEGIN_IMMEDIATE, &tx, NULL));
    tu_exec(w, "INSERT INTO t VALUES (1)");

    /* writers are serialised in the pool, readers never wait for the writer */
    lsql_conn *w2 = (lsql_conn *)0x1;
    lsql_error e;
    ct_expect(LSQL_POOL_TIMEOUT, &e, lsql_pool_acquire(p, LSQL_POOL_WRITE, 0, &w2, &e));
    assert_non_null(strstr(e.message, "writer"));
    ct_expect(LSQL_POOL_TIMEOUT, &e, lsql_pool_acquire(p, LSQL_POOL_ANY, 0, &w2, &e));
    m = pt_metrics(p);
    assert_int_equal(m.writer_in_use, 1);
    lsql_conn *r = NULL;
    ct_expect(LSQL_OK, &e, lsql_pool_acquire(p, LSQL_POOL_READ, 0, &r, &e));
    assert_int_equal(ct_int(r, "SELECT count(*) FROM t"), 0); /* snapshot before commit */

    /* a reader cannot write */
    ct_expect(LSQL_READONLY, &e, lsql_exec(r, "INSERT INTO t VALUES (9)", NULL, 0, NULL, &e));
    assert_ok(lsql_commit(w, tx, NULL));
    lsql_txn_free(tx);
    assert_int_equal(ct_int(r, "SELECT count(*) FROM t"), 1);

    /* a user who turns query_only off gets it back on at release */
    tu_exec(r, "PRAGMA query_only = 0");
    assert_ok(lsql_pool_release(p, r, NULL));
    lsql_conn *r2 = pt_acquire(p, LSQL_POOL_READ);
    assert_ptr_equal(r2, r);
    ct_expect(LSQL_READONLY, &e, lsql_exec(r2, "DELETE FROM t", NULL, 0, NULL, &e));

    /* a waiting writer gets the writer when it is released */
    acq_arg a = {p, LSQL_POOL_WRITE, 10000, -99, ""};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, acq_thread, &a), 0);
    pt_wait_waiters(p, 1);
    assert_int_equal(pt_metrics(p).writer_waiters, 1);
    assert_ok(lsql_pool_release(p, w, NULL));
    pthread_join(th, NULL);
    assert_int_equal(a.rc, LSQL_OK);

    /* the writer begins DEFERRED transactions IMMEDIATE: a read-then-write
     * transaction holds the write lock from its BEGIN (no upgrade BUSY) */
    w = pt_acquire(p, LSQL_POOL_WRITE);
    assert_ok(lsql_begin(w, LSQL_BEGIN_DEFERRED, &tx, NULL));
    int st = -1;
    assert_ok(lsql_txn_state(w, &st));
    assert_int_equal(st, LSQL_TXN_WRITE);
    assert_ok(lsql_rollback(w, tx, NULL));
    lsql_txn_free(tx);
    assert_ok(lsql_pool_release(p, w, NULL));
    /* readers are not changed */
    lsql_conn *r3 = pt_acquire(p, LSQL_POOL_READ);
    assert_ok(lsql_begin(r3, LSQL_BEGIN_DEFERRED, &tx, NULL));
    assert_ok(lsql_txn_state(r3, &st));
    assert_int_equal(st, LSQL_TXN_NONE);
    assert_ok(lsql_rollback(r3, tx, NULL));
    lsql_txn_free(tx);
    assert_ok(lsql_pool_release(p, r3, NULL));

    assert_ok(lsql_pool_release(p, r2, NULL));
    assert_ok(lsql_pool_close(p));
    lsql_db_close(db);
}

/* ---- maintenance ----------------------------------------------------------- */

static void test_maintain_shrink_and_lifetime(void **state)
{
    (void)state;
    lsql_db *db = pt_open_file("pool_maint", 0);
    lsql_pool_opts po;
    lsql_pool_opts_init(&po);
    po.min_size = 1;
    po.max_size = 4;
    po.idle_timeout_ms = 1;
    po.max_lifetime_ms = LSQL_POOL_NEVER;
    lsql_pool *p = NULL;
    assert_ok(lsql_pool_open(db, &po, &p, NULL));
    ev_log log;
    memset(&log, 0, sizeof log);
    pthread_mutex_init(&log.mu, NULL);
    assert_ok(lsql_pool_set_event_cb(p, on_event, &log));
    lsql_conn *c[4];
    for (int i = 0; i < 4; i++)
        c[i] = pt_acquire(p, LSQL_POOL_ANY);
    for (int i = 0; i < 4; i++)
        assert_ok(lsql_pool_release(p, c[i], NULL));
    assert_int_equal(pt_metrics(p).size, 4);
    pt_sleep_ms(5); /* > idle_timeout_ms */
    assert_ok(lsql_pool_maintain(p, NULL));
    lsql_pool_metrics m = pt_metrics(p);
    assert_int_equal(m.size, 1); /* shrunk to min_size */
    assert_int_equal(m.destroyed, 3);
    pthread_mutex_lock(&log.mu);
    assert_int_equal(log.n[LSQL_POOL_EV_SHRINK], 3);
    pthread_mutex_unlock(&log.mu);
    assert_ok(lsql_pool_close(p));
    pthread_mutex_destroy(&log.mu);

    /* max lifetime: a connection past it is closed at release and replaced
     * by maintenance up to min_size */
    lsql_pool_opts_init(&po);
    po.min_size = 1;
    po.max_size = 2;
    po.max_lifetime_ms = 1;
    assert_ok(lsql_pool_open(db, &po, &p, NULL));
    lsql_conn *x = pt_acquire(p, LSQL_POOL_ANY);
    pt_sleep_ms(5);
    assert_ok(lsql_pool_release(p, x, NULL));
    m = pt_metrics(p);
    assert_int_equal(m.size, 0);
    assert_int_equal(m.broken, 0);
    assert_ok(lsql_pool_maintain(p, NULL));
    assert_int_equal(pt_metrics(p).size, 1);
    assert_ok(lsql_pool_close(p));
    lsql_db_close(db);
}

static void test_background_maintenance(void **state)
{
    (void)state;
    lsql_db *db = pt_open_file("pool_bg", 0);
    lsql_pool_opts po;
    lsql_pool_opts_init(&po);
    po.min_size = 1;
    po.max_size = 3;
    po.idle_timeout_ms = 1;
    po.maintain_interval_ms = 2;
    lsql_pool *p = NULL;
    assert_ok(lsql_pool_open(db, &po, &p, NULL));
    lsql_conn *c[3];
    for (int i = 0; i < 3; i++)
        c[i] = pt_acquire(p, LSQL_POOL_ANY);
    for (int i = 0; i < 3; i++)
        assert_ok(lsql_pool_release(p, c[i], NULL));
    int size = -1;
    for (int i = 0; i < 10000 && size != 1; i++) { /* bounded wait for the event */
        pt_sleep_ms(1);
        size = pt_metrics(p).size;
    }
    assert_int_equal(size, 1);
    assert_ok(lsql_pool_close(p)); /* joins the thread */
    lsql_db_close(db);
}

/* ---- growth ------------------------------------------------------------------ */

static void test_grow_on_demand(void **state)
{
    (void)state;
    lsql_db *db = pt_open_file("pool_grow", 0);
    lsql_pool *p = pt_pool(db, 2, 4, 0);
    assert_int_equal(pt_metrics(p).size, 2);
    lsql_conn *c[4];
    for (int i = 0; i < 4; i++)
        c[i] = pt_acquire(p, LSQL_POOL_ANY);
    lsql_pool_metrics m = pt_metrics(p);
    assert_int_equal(m.size, 4);
    assert_int_equal(m.in_use, 4);
    assert_int_equal(m.created, 4);
    for (int i = 0; i < 4; i++)
        assert_ok(lsql_pool_release(p, c[i], NULL));
    assert_ok(lsql_pool_close(p));
    lsql_db_close(db);
}


/* ---- release fast path, read-only readers, affinity, db options -------------- */

static uint64_t cache_uses(lsql_conn *c)
{
    lsql_cache_stats cs = {sizeof cs, 0, 0, 0, 0, 0};
    assert_ok(lsql_stmt_cache_stats(c, &cs));
    return cs.hits + cs.misses;
}

static void test_release_fast_path(void **state)
{
    (void)state;
    ct_local_only("LSQL_POOL_RW_SPLIT is LOCAL only (test_split_needs_wal: refused)");
    lsql_db *db = pt_open_file("pool_fast", 0);
    lsql_pool *p = pt_pool(db, 1, 2, LSQL_POOL_RW_SPLIT);
    lsql_conn *w = pt_acquire(p, LSQL_POOL_WRITE);
    tu_exec(w, "CREATE TABLE t(x)");
    tu_exec(w, "INSERT INTO t VALUES (1)");
    assert_ok(lsql_pool_release(p, w, NULL));
    /* a clean connection is released without running any SQL */
    lsql_conn *r = pt_acquire(p, LSQL_POOL_READ);
    assert_int_equal(ct_int(r, "SELECT count(*) FROM t"), 1);
    uint64_t u = cache_uses(r);
    assert_ok(lsql_pool_release(p, r, NULL));
    lsql_conn *r2 = pt_acquire(p, LSQL_POOL_READ);
    assert_ptr_equal(r2, r);
    assert_int_equal(cache_uses(r2), u);
    /* a reader is read-only whatever its user does, without a check at
     * release; TEMP tables are allowed and dropped at release */
    lsql_error e;
    tu_exec(r2, "PRAGMA query_only = 0");
    ct_expect(LSQL_READONLY, &e, lsql_exec(r2, "INSERT INTO t VALUES (2)", NULL, 0, NULL, &e));
    tu_exec(r2, "CREATE TEMP TABLE scratch AS SELECT * FROM t");
    assert_ok(lsql_pool_release(p, r2, NULL));
    r = pt_acquire(p, LSQL_POOL_READ);
    assert_ptr_equal(r, r2);
    assert_int_equal(ct_int(r, "SELECT count(*) FROM temp.sqlite_schema"), 0);
    ct_expect(LSQL_READONLY, &e, lsql_exec(r, "DELETE FROM t", NULL, 0, NULL, &e));
    assert_ok(lsql_pool_release(p, r, NULL));
    /* the writer's own TEMP objects are dropped too */
    w = pt_acquire(p, LSQL_POOL_WRITE);
    tu_exec(w, "CREATE TEMP VIEW v AS SELECT 1");
    assert_ok(lsql_pool_release(p, w, NULL));
    w = pt_acquire(p, LSQL_POOL_WRITE);
    assert_int_equal(ct_int(w, "SELECT count(*) FROM temp.sqlite_schema"), 0);
    assert_int_equal(ct_int(w, "SELECT count(*) FROM t"), 1);
    assert_ok(lsql_pool_release(p, w, NULL));
    assert_ok(lsql_pool_close(p));
    lsql_db_close(db);
}

typedef struct aff_arg {
    lsql_pool *p;
    lsql_conn *mine, *again;
    pthread_barrier_t *released, *go;
} aff_arg;

static void *aff_thread(void *arg)
{
    aff_arg *a = arg;
    a->mine = pt_acquire(a->p, LSQL_POOL_ANY);
    assert_ok(lsql_pool_release(a->p, a->mine, NULL));
    pthread_barrier_wait(a->released);
    pthread_barrier_wait(a->go); /* the main thread released another one since */
    a->again = pt_acquire(a->p, LSQL_POOL_ANY);
    assert_ok(lsql_pool_release(a->p, a->again, NULL));
    return NULL;
}

static void test_thread_affinity(void **state)
{
    (void)state;
    lsql_db *db = pt_open_file("pool_affinity", 0);
    lsql_pool *p = pt_pool(db, 0, 2, 0);
    lsql_conn *mine = pt_acquire(p, LSQL_POOL_ANY); /* keeps the thread off it */
    pthread_barrier_t b1, b2;
    pthread_barrier_init(&b1, NULL, 2);
    pthread_barrier_init(&b2, NULL, 2);
    aff_arg a = {p, NULL, NULL, &b1, &b2};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, aff_thread, &a), 0);
    pthread_barrier_wait(&b1);
    assert_ptr_not_equal(a.mine, mine);
    /* released last: the most recent idle one, but not the thread's */
    assert_ok(lsql_pool_release(p, mine, NULL));
    pthread_barrier_wait(&b2);
    pthread_join(th, NULL);
    assert_ptr_equal(a.again, a.mine);
    /* this thread gets its own back too */
    lsql_conn *c = pt_acquire(p, LSQL_POOL_ANY);
    assert_ptr_equal(c, mine);
    assert_ok(lsql_pool_release(p, c, NULL));
    pthread_barrier_destroy(&b1);
    pthread_barrier_destroy(&b2);
    assert_ok(lsql_pool_close(p));
    lsql_db_close(db);
}

static void test_db_opts_get(void **state)
{
    (void)state;
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.mode = LSQL_MODE_LOCAL;
    o.path = tu_db_path("pool_opts");
    o.flags = LSQL_DB_NO_FOREIGN_KEYS;
    o.busy_timeout_ms = 1234;
    o.stmt_cache_capacity = -1;
    lsql_db *db = ct_open(&o);
    lsql_db_opts g;
    memset(&g, 0, sizeof g);
    assert_int_equal(lsql_db_opts_get(db, &g), LSQL_INVALID_ARG); /* struct_size 0 */
    assert_int_equal(lsql_db_opts_get(db, NULL), LSQL_INVALID_ARG);
    assert_int_equal(lsql_db_opts_get(NULL, &g), LSQL_MISUSE_HANDLE);
    g.struct_size = sizeof g;
    assert_ok(lsql_db_opts_get(db, &g));
    assert_int_equal(g.struct_size, sizeof g);
    assert_int_equal(g.mode, LSQL_MODE_LOCAL);
    assert_string_equal(g.path, o.path);
    assert_int_equal(g.flags, LSQL_DB_NO_FOREIGN_KEYS);
    assert_int_equal(g.busy_timeout_ms, 1234);
    assert_int_equal(g.cache_size_kib, 8192);
    assert_int_equal(g.stmt_cache_capacity, -1);
    /* round trip: a read-only twin of the same file */
    g.flags |= LSQL_DB_READONLY;
    lsql_db *ro = ct_open(&g);
    lsql_conn *c = ct_connect(db), *rc = ct_connect(ro);
    tu_exec(c, "CREATE TABLE t(x)");
    tu_exec(c, "INSERT INTO t VALUES (5)");
    assert_int_equal(ct_int(rc, "SELECT x FROM t"), 5);
    assert_int_equal(lsql_exec(rc, "INSERT INTO t VALUES (6)", NULL, 0, NULL, NULL),
                     LSQL_READONLY);
    lsql_db_close(ro);
    lsql_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_open_errors, ct_target_teardown),
        cmocka_unit_test_teardown(test_opts_init_sized, ct_target_teardown),
        cmocka_unit_test_teardown(test_error_names, ct_target_teardown),
        cmocka_unit_test_teardown(test_memory_modes, ct_target_teardown),
        cmocka_unit_test_teardown(test_split_needs_wal, ct_target_teardown),
        cmocka_unit_test_teardown(test_exhaustion_timeout, ct_target_teardown),
        cmocka_unit_test_teardown(test_fifo_waiters, ct_target_teardown),
        cmocka_unit_test_teardown(test_starving_waiter_first, ct_target_teardown),
        cmocka_unit_test_teardown(test_warm_reuse_lifo, ct_target_teardown),
        cmocka_unit_test_teardown(test_reuse_fifo_flag, ct_target_teardown),
        cmocka_unit_test_teardown(test_release_open_txn, ct_target_teardown),
        cmocka_unit_test_teardown(test_broken_on_ping, ct_target_teardown),
        cmocka_unit_test_teardown(test_broken_on_release, ct_target_teardown),
        cmocka_unit_test_teardown(test_broken_release_serves_waiter, ct_target_teardown),
        cmocka_unit_test_teardown(test_on_connect, ct_target_teardown),
        cmocka_unit_test_teardown(test_on_connect_fails, ct_target_teardown),
        cmocka_unit_test_teardown(test_hold_and_leaks, ct_target_teardown),
        cmocka_unit_test_teardown(test_close_while_waiting, ct_target_teardown),
#if LSQL_TEST_REMOTE
        cmocka_unit_test_teardown(test_remote_restart_and_outage, ct_target_teardown),
        cmocka_unit_test_teardown(test_remote_release_lost_txn, ct_target_teardown),
        cmocka_unit_test_teardown(test_remote_discard_serves_waiter, ct_target_teardown),
#endif
        cmocka_unit_test_teardown(test_rw_split, ct_target_teardown),
        cmocka_unit_test_teardown(test_maintain_shrink_and_lifetime, ct_target_teardown),
        cmocka_unit_test_teardown(test_background_maintenance, ct_target_teardown),
        cmocka_unit_test_teardown(test_grow_on_demand, ct_target_teardown),
        cmocka_unit_test_teardown(test_release_fast_path, ct_target_teardown),
        cmocka_unit_test_teardown(test_thread_affinity, ct_target_teardown),
        cmocka_unit_test_teardown(test_db_opts_get, ct_target_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
