/* pool.c -- a connection pool with a WAL read/write split.
 *
 * lsql_pool hands connections of one lsql_db to many threads: acquire for
 * READ or WRITE, use the connection, release it (an open transaction is
 * rolled back, the statement cache kept). With LSQL_POOL_RW_SPLIT on a WAL
 * file there is one writer connection (writers queue for it in the pool,
 * so nobody meets "database is locked") and several read-only readers that
 * never wait for the writer. Shown here: per-connection setup
 * (on_connect registers an SQL function on every connection the pool
 * opens), worker threads, a forgotten transaction, a timeout with its
 * message, the metrics and the events. */
#include <lsql.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define WORKERS 8
#define OPS 200

typedef struct {
    lsql_pool *pool;
    int id;
    int failed;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    lsql_error err;
    for (int i = 0; i < OPS; i++) {
        int writing = i % 10 == 0; /* 90% reads, 10% writes */
        lsql_conn *c = NULL;
        if (lsql_pool_acquire(w->pool, writing ? LSQL_POOL_WRITE : LSQL_POOL_READ,
                              LSQL_POOL_DEFAULT_TIMEOUT, &c, &err) != LSQL_OK) {
            fprintf(stderr, "worker %d: acquire: %s\n", w->id, err.message);
            w->failed = 1;
            return NULL;
        }
        int rc;
        if (writing) {
            lsql_param p[] = {{":w", lsql_int(w->id)}, {":i", lsql_int(i)}};
            rc = lsql_exec(c, "INSERT INTO log(worker, n) VALUES (:w, :i)", p, 2, NULL, &err);
        } else {
            int64_t n;
            /* is_even() exists on every pooled connection: on_connect */
            rc = lsql_query_int64(c, "SELECT count(*) FROM log WHERE is_even(n)", NULL, 0, &n,
                                  &err);
        }
        if (rc != LSQL_OK) {
            fprintf(stderr, "worker %d: %s (%s)\n", w->id, err.message, lsql_errname(rc));
            w->failed = 1;
        }
        lsql_pool_release(w->pool, c, NULL);
    }
    return NULL;
}

static void is_even(lsql_fn_ctx *fc, int argc, const lsql_value *argv)
{
    (void)argc;
    lsql_result_int64(fc, argv[0].type == LSQL_TYPE_INTEGER && argv[0].u.i % 2 == 0);
}

/* Runs once for every connection the pool opens, before its first use, in
 * whichever thread opens it. */
static int on_connect(void *ctx, lsql_conn *c, int role, lsql_error *err)
{
    (void)role; /* LSQL_POOL_READ for readers, LSQL_POOL_WRITE for the writer */
    __atomic_fetch_add((int *)ctx, 1, __ATOMIC_RELAXED);
    return lsql_create_function(c, "is_even", 1, LSQL_FN_DETERMINISTIC, is_even, NULL, NULL,
                                err);
}

static void on_event(void *ctx, const lsql_pool_event *ev)
{
    int *grows = ctx;
    if (ev->type == LSQL_POOL_EV_GROW) /* events come from any thread */
        __atomic_fetch_add(grows, 1, __ATOMIC_RELAXED);
}

int main(void)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    char path[1024], side[1100];
    snprintf(path, sizeof path, "%s/lsql-example-pool-%ld.db", dir, (long)getpid());
    unlink(path);

    lsql_error err;
    lsql_db_opts opts;
    lsql_db_opts_init(&opts);
    opts.mode = LSQL_MODE_LOCAL;
    opts.path = path; /* WAL is the default for files */
    lsql_db *db = NULL;
    if (lsql_db_open(&opts, &db, &err) != LSQL_OK) {
        fprintf(stderr, "open: %s\n", err.message);
        return 1;
    }

    lsql_pool_opts po;
    lsql_pool_opts_init(&po);
    po.min_size = 2;  /* readers kept open (plus the writer) */
    po.max_size = 4;  /* at most 4 readers */
    po.flags = LSQL_POOL_RW_SPLIT;
    po.acquire_timeout_ms = 10000;
    int prepared = 0;
    po.on_connect = on_connect;
    po.on_connect_ctx = &prepared;
    po.leak_threshold_ms = 5000; /* report a connection out for 5 s (a forgotten release) */
    po.maintain_interval_ms = 1000; /* ... checked by a background thread */
    lsql_pool *pool = NULL;
    if (lsql_pool_open(db, &po, &pool, &err) != LSQL_OK) {
        fprintf(stderr, "pool: %s\n", err.message);
        return 1;
    }
    int grows = 0;
    lsql_pool_set_event_cb(pool, on_event, &grows);

    lsql_conn *c = NULL;
    lsql_pool_acquire(pool, LSQL_POOL_WRITE, LSQL_POOL_DEFAULT_TIMEOUT, &c, &err);
    lsql_exec(c, "CREATE TABLE log(worker INT, n INT)", NULL, 0, NULL, &err);

    /* A forgotten transaction is rolled back at release (its handle belongs
     * to the connection, which belongs to the pool again: never touch it
     * after the release; it is freed when the connection closes). */
    lsql_txn *tx = NULL;
    lsql_begin(c, LSQL_BEGIN_IMMEDIATE, &tx, &err);
    lsql_exec(c, "INSERT INTO log VALUES (-1, -1)", NULL, 0, NULL, &err);
    lsql_pool_release(pool, c, NULL);
    lsql_pool_acquire(pool, LSQL_POOL_WRITE, LSQL_POOL_DEFAULT_TIMEOUT, &c, &err);
    int state = -1;
    int64_t n = -1;
    lsql_txn_state(c, &state);
    lsql_query_int64(c, "SELECT count(*) FROM log", NULL, 0, &n, &err);
    printf("after release: transaction state %d, rows %lld\n", state, (long long)n);
    lsql_pool_release(pool, c, NULL);

    /* Readers cannot write; writers wait for the one writer. */
    lsql_conn *r = NULL, *w = NULL, *w2 = NULL;
    lsql_pool_acquire(pool, LSQL_POOL_READ, 0, &r, &err);
    int rc = lsql_exec(r, "INSERT INTO log VALUES (0, 0)", NULL, 0, NULL, &err);
    printf("write on a reader: %s\n", lsql_errname(rc));
    lsql_pool_acquire(pool, LSQL_POOL_WRITE, 0, &w, &err);
    rc = lsql_pool_acquire(pool, LSQL_POOL_WRITE, 50, &w2, &err);
    printf("second writer: %s: %s\n", lsql_errname(rc), err.message);
    lsql_pool_release(pool, w, NULL);
    lsql_pool_release(pool, r, NULL);

    pthread_t th[WORKERS];
    worker ws[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        ws[i] = (worker){pool, i, 0};
        pthread_create(&th[i], NULL, work, &ws[i]);
    }
    int failed = 0;
    for (int i = 0; i < WORKERS; i++) {
        pthread_join(th[i], NULL);
        failed |= ws[i].failed;
    }

    lsql_pool_metrics m = {.struct_size = sizeof m};
    lsql_pool_metrics_get(pool, &m);
    printf("pool: %d open (%d idle, %d in use), %llu acquires, %llu waited, %llu timeouts, "
           "%llu opened, wait p50 %llu ns p99 %llu ns max %llu ns, held p50 %llu ns p99 %llu "
           "ns, %llu leaks\n",
           m.size, m.idle, m.in_use, (unsigned long long)m.acquires,
           (unsigned long long)m.waits, (unsigned long long)m.timeouts,
           (unsigned long long)m.created, (unsigned long long)m.wait_p50_ns,
           (unsigned long long)m.wait_p99_ns, (unsigned long long)m.wait_max_ns,
           (unsigned long long)m.hold_p50_ns, (unsigned long long)m.hold_p99_ns,
           (unsigned long long)m.leaks);
    printf("grow events: %d, connections prepared by on_connect: %d\n",
           __atomic_load_n(&grows, __ATOMIC_RELAXED), __atomic_load_n(&prepared, __ATOMIC_RELAXED));

    lsql_pool_acquire(pool, LSQL_POOL_READ, LSQL_POOL_DEFAULT_TIMEOUT, &c, &err);
    int64_t rows = 0;
    lsql_query_int64(c, "SELECT count(*) FROM log", NULL, 0, &rows, &err);
    lsql_pool_release(pool, c, NULL);
    printf("rows: %lld (want %d)\n", (long long)rows, WORKERS * OPS / 10);
    if (rows != WORKERS * OPS / 10 || m.in_use != 0)
        failed = 1;

    lsql_pool_close(pool); /* before the database */
    lsql_db_close(db);
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    return failed;
}
