/* bench_pool.c -- the connection pool (docs/PERFORMANCE.md, section
 * "pool-bench"; bench/run_pool.sh runs everything and writes it).
 *
 * Cases (one per process: --case NAME):
 *
 *   uncontended  one thread: lsql_pool_acquire + lsql_pool_release of an
 *                idle connection, --n times (default pool on a WAL file;
 *                --impl split acquires a reader of a RW_SPLIT pool).
 *                Reports ns per acquire+release. With --cg the loop runs
 *                between CALLGRIND_START/STOP_INSTRUMENTATION.
 *
 *   mixed        --threads T threads, each running --ops operations on a
 *                WAL file with a table kv(k INTEGER PRIMARY KEY, v) of
 *                10000 rows: 90% reads (SELECT v FROM kv WHERE k = ?),
 *                10% writes (UPDATE kv SET v = v + 1 WHERE k = ?,
 *                autocommit), random keys; one operation is one statement
 *                (plus, for the pools, one acquire and one release). --impl:
 *                  split  a LSQL_POOL_RW_SPLIT pool (T readers, or
 *                         --readers N, + the writer): acquire READ or WRITE
 *                         per operation
 *                  pool   a plain pool (no split, max T connections):
 *                         acquire ANY per operation; writers meet in
 *                         SQLite (busy_timeout), like `conns`
 *                  conns  one connection per thread, lsql's default
 *                         busy_timeout (5000 ms); a BUSY is retried
 *                  mutex  one connection shared behind a pthread mutex
 *                  raw-split, raw-conns, raw-mutex
 *                         the same three on sqlite3 handles directly, no
 *                         lsql and no pool (bench_pool_raw.h): raw-split,
 *                         each thread with its own read-only connection and
 *                         the writer behind a mutex, is the ideal split --
 *                         an upper bound for any split pool here
 *                Same database, data, operation sequence (per-thread seeds)
 *                and lsql default settings for all; every connection is
 *                opened (and the pools filled) before the clock starts: the
 *                threads start together at a barrier. Reports operations/s
 *                (median, worst and best repetition), BUSY errors seen,
 *                process CPU time (user + sys) per operation and its ratio
 *                to wall time ("cores": at most the CPU count), and page-
 *                cache misses of all connections per write (SQLite's
 *                SQLITE_DBSTATUS_CACHE_MISS: pages read from the file or the
 *                WAL), and voluntary context switches (a thread went to
 *                sleep) per 1000 operations. Checks that the sum of v grew
 *                by the number of writes.
 *                Variants: --writes PCT (share of writes, default 10),
 *                --write-stmts N (a write is a BEGIN IMMEDIATE transaction
 *                of N UPDATEs instead of one autocommit UPDATE),
 *                --mmap BYTES (PRAGMA mmap_size on every connection of every
 *                implementation), --sync MODE (PRAGMA synchronous on every
 *                connection: FULL makes each commit durable, an fsync), --readers N, --overtake MS (the pools'
 *                overtake_ms; -1: strict FIFO hand-over), --label NAME
 *                (printed in RESULT), --verbose (each repetition on stderr).
 *
 * Each case runs --reps times. Output: tab-separated lines starting with
 * RESULT. */
#include "lsql.h"

#include "bench_pool_raw.h"

#include <pthread.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(LSQL_BENCH_HAVE_CALLGRIND)
#include <valgrind/callgrind.h>
#define CG_START() CALLGRIND_START_INSTRUMENTATION
#define CG_STOP() CALLGRIND_STOP_INSTRUMENTATION
#else
#define CG_START() ((void)0)
#define CG_STOP() ((void)0)
#endif

#define KEYS 10000

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench_pool: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static const char *g_dir = "/tmp";
static int g_write_pct = 10; /* --writes: percentage of writes in "mixed" */
/* --write-stmts N: a write is N UPDATEs in one BEGIN IMMEDIATE ... COMMIT
 * transaction (default 1: one autocommit UPDATE) */
static int g_write_stmts = 1;
static int g_readers;        /* --readers: split pool readers (0: one per thread) */
static long long g_mmap;     /* --mmap: PRAGMA mmap_size on every connection (0: off) */
static int g_verbose;        /* --verbose: each repetition on stderr */
static const char *g_label = "-"; /* --label: a name for this variant in RESULT */
static int g_overtake;       /* --overtake: pools' overtake_ms (0: default, -1: strict FIFO) */
static char g_path[1024];
/* --sync MODE: PRAGMA synchronous on every connection (default: lsql's
 * NORMAL); FULL makes every commit durable (an fsync per commit) */
static const char *g_sync;

static lsql_db *open_db(int fresh)
{
    snprintf(g_path, sizeof g_path, "%s/bench-pool-%ld.db", g_dir, (long)getpid());
    if (fresh) {
        char side[1100];
        unlink(g_path);
        snprintf(side, sizeof side, "%s-wal", g_path);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", g_path);
        unlink(side);
    }
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.mode = LSQL_MODE_LOCAL;
    o.path = g_path;
    lsql_db *db;
    lsql_error e;
    if (lsql_db_open(&o, &db, &e))
        die("open: %s", e.message);
    return db;
}

static void setup_kv(lsql_db *db)
{
    lsql_conn *c;
    lsql_error e;
    if (lsql_db_connect(db, &c, &e))
        die("connect: %s", e.message);
    lsql_batch_result *r = NULL;
    if (lsql_script_run(c,
                        "DROP TABLE IF EXISTS kv; CREATE TABLE kv(k INTEGER PRIMARY KEY, v INT);"
                        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE "
                        "i < 10000) INSERT INTO kv SELECT i, 0 FROM s",
                        LSQL_BATCH_ATOMIC, &r, &e))
        die("setup: %s", e.message);
    lsql_batch_result_free(r);
    lsql_wal_checkpoint(c, NULL, LSQL_CHECKPOINT_TRUNCATE, NULL, NULL, NULL);
    lsql_conn_close(c);
}

static void cleanup(lsql_db *db)
{
    lsql_db_close(db);
    char side[1100];
    unlink(g_path);
    snprintf(side, sizeof side, "%s-wal", g_path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", g_path);
    unlink(side);
}

/* Page-cache misses of c's SQLite connection since the last reset (pages
 * read from the file or the WAL); reset: start counting again. */
static long conn_misses(lsql_conn *c, int reset)
{
    void *h = NULL;
    int cur = 0, hi = 0;
    if (lsql_conn_native_handle(c, &h) != LSQL_OK || !h)
        return 0;
    sqlite3_db_status((sqlite3 *)h, SQLITE_DBSTATUS_CACHE_MISS, &cur, &hi, reset);
    return cur;
}

/* Applies the per-connection settings under test (--mmap) to c, and
 * starts counting its cache misses. */
static void conn_setup(lsql_conn *c)
{
    if (g_sync) {
        char sql[64];
        lsql_error e;
        snprintf(sql, sizeof sql, "PRAGMA synchronous=%s", g_sync);
        if (lsql_exec(c, sql, NULL, 0, NULL, &e))
            die("%s: %s", sql, e.message);
    }
    if (g_mmap > 0) {
        char sql[64];
        lsql_error e;
        snprintf(sql, sizeof sql, "PRAGMA mmap_size=%lld", g_mmap);
        if (lsql_exec(c, sql, NULL, 0, NULL, &e))
            die("%s: %s", sql, e.message);
    }
    conn_misses(c, 1);
}

/* The same per-connection settings (--sync, --mmap) for raw connections. */
static const char *raw_extra(void)
{
    static char buf[128];
    int n = 0;
    buf[0] = 0;
    if (g_sync)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "PRAGMA synchronous=%s;", g_sync);
    if (g_mmap > 0)
        snprintf(buf + n, sizeof buf - (size_t)n, "PRAGMA mmap_size=%lld;", g_mmap);
    return buf;
}

/* ---- uncontended ---------------------------------------------------------- */

static double run_uncontended(const char *impl, long n, int cg)
{
    if (strcmp(impl, "default") != 0 && strcmp(impl, "split") != 0)
        die("--case uncontended: --impl default or split (not %s)", impl);
    lsql_db *db = open_db(1);
    lsql_pool_opts po;
    lsql_pool_opts_init(&po);
    po.min_size = 1;
    po.max_size = 4;
    int intent = LSQL_POOL_ANY;
    if (strcmp(impl, "split") == 0) {
        po.flags = LSQL_POOL_RW_SPLIT;
        intent = LSQL_POOL_READ;
    }
    lsql_pool *p;
    lsql_error e;
    if (lsql_pool_open(db, &po, &p, &e))
        die("pool: %s", e.message);
    lsql_conn *c;
    for (int i = 0; i < 1000; i++) { /* warm up */
        if (lsql_pool_acquire(p, intent, 1000, &c, &e))
            die("acquire: %s", e.message);
        lsql_pool_release(p, c, NULL);
    }
    double t0 = now_s();
    if (cg)
        CG_START();
    for (long i = 0; i < n; i++) {
        if (lsql_pool_acquire(p, intent, 1000, &c, NULL))
            die("acquire failed");
        if (lsql_pool_release(p, c, NULL))
            die("release failed");
    }
    if (cg)
        CG_STOP();
    double t = now_s() - t0;
    lsql_pool_close(p);
    cleanup(db);
    return t;
}

/* ---- mixed 90/10 ----------------------------------------------------------- */

typedef struct mixed_ctx {
    const char *impl;
    lsql_db *db;
    lsql_pool *pool;
    lsql_conn *shared;
    int raw;             /* raw-*: sqlite3 directly (bench_pool_raw.h) */
    raw_conn rshared;    /* raw-mutex: the connection; raw-split: the writer */
    pthread_mutex_t mu;
    pthread_barrier_t start; /* every thread ready (connected), then the clock */
    long ops;
} mixed_ctx;

typedef struct mixed_thr {
    mixed_ctx *m;
    unsigned seed;
    long writes, busy, misses;
    pthread_t th;
} mixed_thr;

typedef struct mixed_res {
    double t;       /* wall seconds */
    double cpu_us;  /* process CPU (user + sys) per operation, us */
    double cores;   /* CPU seconds / wall seconds */
    long busy;      /* LSQL_BUSY/LOCKED errors retried */
    long writes;
    long misses;    /* page-cache misses of all connections */
    long vcsw;      /* voluntary context switches (a thread went to sleep) */
} mixed_res;

/* A write transaction of g_write_stmts UPDATEs on keys key, key+1, ...
 * (wrapping); on BUSY it is rolled back and run again. */
static int txn_op(lsql_conn *c, int64_t key, long *busy)
{
    for (;;) {
        lsql_error e;
        int rc = lsql_exec(c, "BEGIN IMMEDIATE", NULL, 0, NULL, &e);
        for (int i = 0; rc == LSQL_OK && i < g_write_stmts; i++) {
            lsql_param p[] = {{NULL, lsql_int(1 + (key - 1 + i) % KEYS)}};
            rc = lsql_exec(c, "UPDATE kv SET v = v + 1 WHERE k = ?", p, 1, NULL, &e);
        }
        if (rc == LSQL_OK)
            rc = lsql_exec(c, "COMMIT", NULL, 0, NULL, &e);
        if (rc == LSQL_OK)
            return 0;
        lsql_exec(c, "ROLLBACK", NULL, 0, NULL, NULL);
        if (LSQL_CLASS(rc) == LSQL_BUSY || LSQL_CLASS(rc) == LSQL_LOCKED) {
            (*busy)++;
            continue;
        }
        die("txn: %s", e.message);
    }
}

static int one_op(lsql_conn *c, int write, int64_t key, long *busy)
{
    if (write && g_write_stmts > 1)
        return txn_op(c, key, busy);
    lsql_param p[] = {{NULL, lsql_int(key)}};
    for (;;) {
        lsql_error e;
        int rc;
        if (write) {
            rc = lsql_exec(c, "UPDATE kv SET v = v + 1 WHERE k = ?", p, 1, NULL, &e);
        } else {
            int64_t v;
            rc = lsql_query_int64(c, "SELECT v FROM kv WHERE k = ?", p, 1, &v, &e);
        }
        if (rc == LSQL_OK)
            return 0;
        if (LSQL_CLASS(rc) == LSQL_BUSY || LSQL_CLASS(rc) == LSQL_LOCKED) {
            (*busy)++;
            continue;
        }
        die("op: %s", e.message);
    }
}

static void *mixed_main(void *arg)
{
    mixed_thr *t = arg;
    mixed_ctx *m = t->m;
    lsql_conn *own = NULL;
    lsql_error e;
    raw_conn rown = {0};
    int raw_split = m->raw && strcmp(m->impl, "raw-split") == 0;
    if (m->raw && strcmp(m->impl, "raw-mutex") != 0)
        raw_open(&rown, g_path, raw_split, raw_extra());
    if (strcmp(m->impl, "conns") == 0) {
        if (lsql_db_connect(m->db, &own, &e))
            die("connect: %s", e.message);
        conn_setup(own);
    }
    pthread_barrier_wait(&m->start);
    for (long i = 0; i < m->ops; i++) {
        t->seed = t->seed * 1103515245u + 12345u;
        int write = (int)((t->seed >> 16) % 100) < g_write_pct;
        t->seed = t->seed * 1103515245u + 12345u;
        int64_t key = 1 + (int64_t)((t->seed >> 8) % KEYS);
        if (m->raw) {
            if (rown.db && !(raw_split && write)) {
                raw_op(&rown, write, key, g_write_stmts, KEYS, &t->busy);
            } else {
                pthread_mutex_lock(&m->mu);
                raw_op(&m->rshared, write, key, g_write_stmts, KEYS, &t->busy);
                pthread_mutex_unlock(&m->mu);
            }
        } else if (own) {
            one_op(own, write, key, &t->busy);
        } else if (m->pool) {
            lsql_conn *c;
            int intent = strcmp(m->impl, "pool") == 0 ? LSQL_POOL_ANY
                         : write                     ? LSQL_POOL_WRITE
                                                     : LSQL_POOL_READ;
            if (lsql_pool_acquire(m->pool, intent,
                                  LSQL_POOL_DEFAULT_TIMEOUT, &c, &e))
                die("acquire: %s", e.message);
            one_op(c, write, key, &t->busy);
            lsql_pool_release(m->pool, c, NULL);
        } else {
            pthread_mutex_lock(&m->mu);
            one_op(m->shared, write, key, &t->busy);
            pthread_mutex_unlock(&m->mu);
        }
        t->writes += write * g_write_stmts; /* UPDATEs: the check sums them */
    }
    if (own)
        t->misses = conn_misses(own, 0);
    if (rown.db) {
        t->misses = raw_misses(&rown);
        raw_close(&rown);
    }
    lsql_conn_close(own);
    return NULL;
}

/* Cache misses of every connection of a pool (all idle now). */
static long pool_misses(lsql_pool *p, int split, int n)
{
    lsql_conn **cs = calloc((size_t)n + 1, sizeof *cs);
    long sum = 0;
    lsql_error e;
    for (int i = 0; i <= n; i++) {
        if (i == n && !split)
            break;
        if (lsql_pool_acquire(p, i == n ? LSQL_POOL_WRITE : split ? LSQL_POOL_READ : LSQL_POOL_ANY,
                              0, &cs[i], &e))
            die("acquire: %s", e.message);
        sum += conn_misses(cs[i], 0);
    }
    for (int i = 0; i <= n; i++)
        lsql_pool_release(p, cs[i], NULL);
    free(cs);
    return sum;
}

static mixed_res run_mixed(const char *impl, int threads, long ops)
{
    mixed_res res;
    memset(&res, 0, sizeof res);
    int split = strcmp(impl, "split") == 0, npool = 0;
    lsql_db *db = open_db(1);
    setup_kv(db);
    mixed_ctx m;
    memset(&m, 0, sizeof m);
    m.impl = impl;
    m.db = db;
    m.ops = ops;
    pthread_mutex_init(&m.mu, NULL);
    lsql_error e;
    if (strcmp(impl, "split") == 0 || strcmp(impl, "pool") == 0) {
        lsql_pool_opts po;
        lsql_pool_opts_init(&po);
        int n = npool = split && g_readers > 0 ? g_readers : threads;
        po.min_size = n;
        po.max_size = n;
        po.flags = split ? LSQL_POOL_RW_SPLIT : 0;
        po.overtake_ms = g_overtake;
        if (lsql_pool_open(db, &po, &m.pool, &e))
            die("pool: %s", e.message);
        /* every connection of the pool gets the same settings */
        lsql_conn **cs = calloc((size_t)n + 1, sizeof *cs);
        for (int i = 0; i < n; i++) {
            if (lsql_pool_acquire(m.pool, split ? LSQL_POOL_READ : LSQL_POOL_ANY, 0, &cs[i], &e))
                die("acquire: %s", e.message);
            conn_setup(cs[i]);
        }
        if (split) {
            if (lsql_pool_acquire(m.pool, LSQL_POOL_WRITE, 0, &cs[n], &e))
                die("acquire: %s", e.message);
            conn_setup(cs[n]);
        }
        for (int i = 0; i <= n; i++)
            lsql_pool_release(m.pool, cs[i], NULL);
        free(cs);
    } else if (strcmp(impl, "mutex") == 0) {
        if (lsql_db_connect(db, &m.shared, &e))
            die("connect: %s", e.message);
        conn_setup(m.shared);
    } else if (!strcmp(impl, "raw-split") || !strcmp(impl, "raw-mutex") ||
               !strcmp(impl, "raw-conns")) {
        m.raw = 1;
        if (strcmp(impl, "raw-conns") != 0)
            raw_open(&m.rshared, g_path, 0, raw_extra());
    } else if (strcmp(impl, "conns") != 0) {
        die("unknown impl %s", impl);
    }
    mixed_thr *ts = calloc((size_t)threads, sizeof *ts);
    pthread_barrier_init(&m.start, NULL, (unsigned)threads + 1);
    for (int i = 0; i < threads; i++) {
        ts[i].m = &m;
        ts[i].seed = 7919u * (unsigned)(i + 1);
        if (pthread_create(&ts[i].th, NULL, mixed_main, &ts[i]))
            die("pthread_create");
    }
    pthread_barrier_wait(&m.start);
    double t0 = now_s();
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    long writes = 0, busy = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(ts[i].th, NULL);
        writes += ts[i].writes;
        busy += ts[i].busy;
    }
    double t = now_s() - t0;
    getrusage(RUSAGE_SELF, &ru1);
    double ut = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
                (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6;
    double st = (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    long nops = (long)threads * ops;
    res.t = t;
    res.cpu_us = (ut + st) * 1e6 / (double)nops;
    res.cores = (ut + st) / t;
    res.busy = busy;
    res.writes = writes;
    res.vcsw = ru1.ru_nvcsw - ru0.ru_nvcsw;
    for (int i = 0; i < threads; i++)
        res.misses += ts[i].misses;
    if (m.pool)
        res.misses = pool_misses(m.pool, split, npool);
    else if (m.shared)
        res.misses = conn_misses(m.shared, 0);
    if (m.rshared.db) {
        res.misses += raw_misses(&m.rshared);
        raw_close(&m.rshared);
    }
    if (g_verbose)
        fprintf(stderr,
                "rep\t%s\t%d\t%.0f ops/s\tcores %.2f\tuser %.2f us/op\tsys %.2f us/op\t"
                "vcsw %ld\tivcsw %ld\tmisses/write %.1f\n",
                impl, threads, (double)nops / t, res.cores, ut * 1e6 / (double)nops,
                st * 1e6 / (double)nops, ru1.ru_nvcsw - ru0.ru_nvcsw,
                ru1.ru_nivcsw - ru0.ru_nivcsw,
                writes ? (double)res.misses / (double)writes : 0.0);
    /* check: every write is there */
    lsql_conn *c;
    if (lsql_db_connect(db, &c, &e))
        die("connect: %s", e.message);
    int64_t sum = 0;
    if (lsql_query_int64(c, "SELECT sum(v) FROM kv", NULL, 0, &sum, &e))
        die("sum: %s", e.message);
    if (sum != writes)
        die("lost writes: sum %lld, writes %ld", (long long)sum, writes);
    lsql_conn_close(c);
    lsql_conn_close(m.shared);
    lsql_pool_close(m.pool);
    pthread_mutex_destroy(&m.mu);
    pthread_barrier_destroy(&m.start);
    free(ts);
    cleanup(db);
    return res;
}

int main(int argc, char **argv)
{
    const char *cs = NULL, *impl = "default";
    long n = 100000, ops = 20000;
    int threads = 2, reps = 5, cg = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--cg")) {
            cg = 1;
            continue;
        }
        if (!strcmp(a, "--verbose")) {
            g_verbose++;
            continue;
        }
        if (!v)
            die("missing value for %s", a);
        i++;
        if (!strcmp(a, "--case")) cs = v;
        else if (!strcmp(a, "--impl")) impl = v;
        else if (!strcmp(a, "--n")) n = atol(v);
        else if (!strcmp(a, "--ops")) ops = atol(v);
        else if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--reps")) reps = atoi(v);
        else if (!strcmp(a, "--dir")) g_dir = v;
        else if (!strcmp(a, "--writes")) g_write_pct = atoi(v);
        else if (!strcmp(a, "--write-stmts")) g_write_stmts = atoi(v) > 0 ? atoi(v) : 1;
        else if (!strcmp(a, "--readers")) g_readers = atoi(v);
        else if (!strcmp(a, "--mmap")) g_mmap = atoll(v);
        else if (!strcmp(a, "--label")) g_label = v;
        else if (!strcmp(a, "--overtake")) g_overtake = atoi(v);
        else if (!strcmp(a, "--sync")) g_sync = v;
        else die("unknown option %s", a);
    }
    if (!cs)
        die("--case uncontended|mixed");
    if (cg)
        reps = 1;
    double *t = calloc((size_t)reps, sizeof *t);
    double *cpu = calloc((size_t)reps, sizeof *cpu), *cores = calloc((size_t)reps, sizeof *cores);
    long busy_total = 0, writes_total = 0, misses_total = 0, vcsw_total = 0;
    for (int r = 0; r < reps; r++) {
        if (!strcmp(cs, "uncontended")) {
            t[r] = run_uncontended(impl, n, cg);
        } else if (!strcmp(cs, "mixed")) {
            mixed_res x = run_mixed(impl, threads, ops);
            t[r] = x.t;
            cpu[r] = x.cpu_us;
            cores[r] = x.cores;
            busy_total += x.busy;
            writes_total += x.writes;
            misses_total += x.misses;
            vcsw_total += x.vcsw;
        } else {
            die("unknown case %s", cs);
        }
    }
    qsort(t, (size_t)reps, sizeof *t, cmp_d);
    qsort(cpu, (size_t)reps, sizeof *cpu, cmp_d);
    qsort(cores, (size_t)reps, sizeof *cores, cmp_d);
    double best = t[0], med = t[reps / 2], worst = t[reps - 1];
    if (!strcmp(cs, "uncontended"))
        printf("RESULT\tuncontended\t%s\t%ld\t%.6f\t%.6f\t%.1f\n", impl, n, best, med,
               med * 1e9 / (double)n);
    else
        /* impl threads ops best-s median-s ops/s(median) busy/run cpu-us/op
         * cores misses/write label ops/s(worst) ops/s(best) sleeps/1000ops */
        printf("RESULT\tmixed\t%s\t%d\t%ld\t%.6f\t%.6f\t%.0f\t%.1f\t%.2f\t%.2f\t%.2f\t%s\t%.0f\t%.0f"
               "\t%.1f\n",
               impl, threads, ops, best, med, (double)threads * (double)ops / med,
               (double)busy_total / reps, cpu[reps / 2], cores[reps / 2],
               writes_total ? (double)misses_total / (double)writes_total : 0.0, g_label,
               (double)threads * (double)ops / worst, (double)threads * (double)ops / best,
               (double)vcsw_total * 1000.0 / ((double)threads * (double)ops * reps));
    free(cpu);
    free(cores);
    free(t);
    return 0;
}
