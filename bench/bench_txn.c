/* bench_txn.c -- transactions, batches and cursors (docs/PERFORMANCE.md,
 * section "txn-bench"; bench/run_txn.sh runs everything and writes it).
 *
 * Cases (one per process: --case NAME):
 *
 *   contention  two threads, one connection each, on one WAL file (lsql's
 *               defaults: busy_timeout 5000 ms, synchronous=NORMAL), each
 *               running --ntxn read-then-write transactions: read a counter,
 *               write it + 1, insert a log row, commit. Failures follow the
 *               retryable rule of lsql.h (a retryable error repeats the
 *               call, any other BUSY restarts the transaction after a
 *               sched_yield()). --impl is
 *               the behaviour: deferred, immediate or exclusive. Reported:
 *               committed transactions per second, BUSY-class errors seen
 *               (and how many were BUSY_SNAPSHOT), restarted transactions.
 *               The final counter is checked (no lost update).
 *
 *   batch       --n INSERTs of (i, text, real) into an empty table, all in
 *               one transaction, in a MEMORY database (so the SQL path is
 *               measured, not the disk):
 *                 exec_cached    BEGIN; lsql_exec(sql, params) per row
 *                                (statement cache); COMMIT
 *                 exec_uncached  the same with the statement cache off
 *                                (a prepare per row)
 *                 batch          lsql_batch_run(LSQL_BATCH_ATOMIC) of --n
 *                                steps (same SQL, parameters); building the
 *                                batch is not timed
 *                 script         lsql_script_run(LSQL_BATCH_ATOMIC) of one
 *                                string of --n INSERTs with literal values;
 *                                building the string is not timed
 *                 script_raw     sqlite3_exec() of BEGIN; that string;
 *                                COMMIT on a raw ":memory:" connection
 *
 *   cursor      reads --n rows (id, name, score) of a table in a MEMORY
 *               database, every column of every row:
 *                 rows           lsql_query + lsql_rows_next (streaming,
 *                                no copy: the floor)
 *                 cursor100      lsql_cursor_fetch, pages of 100 rows
 *                 cursor1000     pages of 1000 rows
 *                 materialise    one batch step: all rows copied into one
 *                                row set (what a fully buffered cursor
 *                                does)
 *               A counting allocator (lsql_set_allocator) records the peak
 *               of live bytes above the level before the read.
 *
 * Each timed case runs --reps times and prints the best and the median.
 * --cg runs the loop once between CALLGRIND_START/STOP_INSTRUMENTATION (run
 * it under valgrind --tool=callgrind --instr-atstart=no).
 *
 * Output: tab-separated lines starting with RESULT. */
#include "lsql.h"

#include <sqlite3.h>

#include <pthread.h>
#include <sched.h>
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

#define NOINLINE __attribute__((noinline))

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench_txn: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void check(int rc, const lsql_error *e, const char *what)
{
    if (rc != LSQL_OK && rc != LSQL_ROW && rc != LSQL_DONE)
        die("%s: %s (%s)", what, e ? e->message : "", lsql_errname(rc));
}

static void run(lsql_conn *c, const char *sql)
{
    lsql_error e;
    check(lsql_exec(c, sql, NULL, 0, NULL, &e), &e, sql);
}

/* ---- options ------------------------------------------------------------ */

typedef struct {
    const char *cs;
    const char *impl;
    long n;
    long ntxn;
    int reps;
    int cg;
    const char *dir;
} opts;

/* ---- counting allocator (cursor case): tests/common/peak_alloc.h ------- */

#include "peak_alloc.h"

static peak_counter g_mem;

/* ---- contention ------------------------------------------------------------- */

typedef struct {
    lsql_conn *c;
    int behavior;
    long ntxn;
    int id;
    long committed, busy, snapshot, restarts;
    pthread_barrier_t *start;
} worker;

/* 1: retry the call; 0: restart the transaction. Dies on anything else. */
static int rule(worker *w, int rc, const lsql_error *e)
{
    if (LSQL_CLASS(rc) != LSQL_BUSY)
        die("thread %d: %s (%s)", w->id, e->message, lsql_errname(rc));
    w->busy++;
    if (rc == LSQL_BUSY_SNAPSHOT)
        w->snapshot++;
    return (e->flags & LSQL_ERRF_RETRYABLE) != 0;
}

static int contention_txn(worker *w)
{
    lsql_conn *c = w->c;
    lsql_error e;
    lsql_txn *t = NULL;
    int rc;
    while ((rc = lsql_begin(c, w->behavior, &t, &e)) != LSQL_OK)
        if (!rule(w, rc, &e))
            die("begin: not retryable: %s", e.message);
    int64_t v = 0;
    while ((rc = lsql_query_int64(c, "SELECT n FROM counter", NULL, 0, &v, &e)) != LSQL_OK)
        if (!rule(w, rc, &e))
            goto restart;
    lsql_param p[] = {{NULL, lsql_int(v + 1)}};
    while ((rc = lsql_exec(c, "UPDATE counter SET n = ?", p, 1, NULL, &e)) != LSQL_OK)
        if (!rule(w, rc, &e))
            goto restart;
    lsql_param q[] = {{NULL, lsql_int(w->id)}, {NULL, lsql_int(v + 1)}};
    while ((rc = lsql_exec(c, "INSERT INTO log(thread, v) VALUES (?, ?)", q, 2, NULL, &e)) !=
           LSQL_OK)
        if (!rule(w, rc, &e))
            goto restart;
    while ((rc = lsql_commit(c, t, &e)) != LSQL_OK)
        if (!rule(w, rc, &e) || !lsql_txn_active(t))
            goto restart;
    lsql_txn_free(t);
    return 1;
restart:
    lsql_txn_free(t);
    w->restarts++;
    sched_yield(); /* let the other writer finish rather than spin */
    return 0;
}

static void *contention_thread(void *arg)
{
    worker *w = arg;
    pthread_barrier_wait(w->start);
    while (w->committed < w->ntxn)
        w->committed += contention_txn(w);
    return NULL;
}

static void case_contention(const opts *o)
{
    int beh;
    if (!strcmp(o->impl, "deferred"))
        beh = LSQL_BEGIN_DEFERRED;
    else if (!strcmp(o->impl, "immediate"))
        beh = LSQL_BEGIN_IMMEDIATE;
    else if (!strcmp(o->impl, "exclusive"))
        beh = LSQL_BEGIN_EXCLUSIVE;
    else
        die("contention: --impl deferred|immediate|exclusive");
    double *secs = calloc((size_t)o->reps, sizeof *secs);
    long busy = 0, snapshot = 0, restarts = 0;
    for (int rep = 0; rep < o->reps; rep++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/bench-txn-contention-%ld.db", o->dir, (long)getpid());
        static const char *const sfx[] = {"", "-wal", "-shm"};
        for (int i = 0; i < 3; i++) {
            char p[1100];
            snprintf(p, sizeof p, "%s%s", path, sfx[i]);
            unlink(p);
        }
        lsql_db_opts dopts;
        lsql_db_opts_init(&dopts);
        dopts.path = path;
        lsql_db *db;
        lsql_error e;
        check(lsql_db_open(&dopts, &db, &e), &e, "open");
        lsql_conn *c;
        check(lsql_db_connect(db, &c, &e), &e, "connect");
        run(c, "CREATE TABLE counter(n INTEGER NOT NULL)");
        run(c, "INSERT INTO counter VALUES (0)");
        run(c, "CREATE TABLE log(thread INTEGER, v INTEGER)");
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, 3);
        worker w[2];
        pthread_t th[2];
        memset(w, 0, sizeof w);
        for (int i = 0; i < 2; i++) {
            check(lsql_db_connect(db, &w[i].c, &e), &e, "connect");
            w[i].behavior = beh;
            w[i].ntxn = o->ntxn;
            w[i].id = i;
            w[i].start = &start;
            pthread_create(&th[i], NULL, contention_thread, &w[i]);
        }
        double t0 = now_s();
        pthread_barrier_wait(&start);
        for (int i = 0; i < 2; i++)
            pthread_join(th[i], NULL);
        secs[rep] = now_s() - t0;
        pthread_barrier_destroy(&start);
        int64_t n = 0;
        check(lsql_query_int64(c, "SELECT n FROM counter", NULL, 0, &n, &e), &e, "count");
        if (n != 2 * o->ntxn)
            die("contention: counter %lld, want %ld (a lost update)", (long long)n, 2 * o->ntxn);
        for (int i = 0; i < 2; i++) {
            busy += w[i].busy;
            snapshot += w[i].snapshot;
            restarts += w[i].restarts;
            lsql_conn_close(w[i].c);
        }
        lsql_db_close(db);
        for (int i = 0; i < 3; i++) {
            char p[1100];
            snprintf(p, sizeof p, "%s%s", path, sfx[i]);
            unlink(p);
        }
    }
    qsort(secs, (size_t)o->reps, sizeof *secs, cmp_double);
    double med = secs[o->reps / 2];
    /* RESULT contention impl txns best median txn_per_s busy snapshot restarts (per run) */
    printf("RESULT\tcontention\t%s\t%ld\t%.6f\t%.6f\t%.0f\t%.1f\t%.1f\t%.1f\n", o->impl,
           2 * o->ntxn, secs[0], med, (double)(2 * o->ntxn) / med, (double)busy / o->reps,
           (double)snapshot / o->reps, (double)restarts / o->reps);
    free(secs);
}

/* ---- batch ------------------------------------------------------------------- */

static const char SQL_INS[] = "INSERT INTO t(id, name, score) VALUES (?, ?, ?)";

typedef struct {
    lsql_conn *c;
    sqlite3 *raw;
    long n;
    char (*names)[32];
    lsql_batch *b;
    char *script;     /* lsql_script_run */
    char *raw_script; /* BEGIN; script; COMMIT */
} bstate;

NOINLINE static void loop_exec(bstate *s)
{
    lsql_error e;
    run(s->c, "BEGIN");
    for (long i = 0; i < s->n; i++) {
        lsql_param p[] = {{NULL, lsql_int(i + 1)},
                          {NULL, lsql_text_z(s->names[i])},
                          {NULL, lsql_float((double)i * 0.5)}};
        check(lsql_exec(s->c, SQL_INS, p, 3, NULL, &e), &e, "insert");
    }
    run(s->c, "COMMIT");
}

NOINLINE static void loop_batch(bstate *s)
{
    lsql_error e;
    lsql_batch_result *r = NULL;
    check(lsql_batch_run(s->c, s->b, LSQL_BATCH_ATOMIC, &r, &e), &e, "batch");
    lsql_batch_result_free(r);
}

NOINLINE static void loop_script(bstate *s)
{
    lsql_error e;
    lsql_batch_result *r = NULL;
    check(lsql_script_run(s->c, s->script, LSQL_BATCH_ATOMIC, &r, &e), &e, "script");
    lsql_batch_result_free(r);
}

NOINLINE static void loop_script_raw(bstate *s)
{
    char *msg = NULL;
    if (sqlite3_exec(s->raw, s->raw_script, NULL, NULL, &msg) != SQLITE_OK)
        die("sqlite3_exec: %s", msg ? msg : "?");
}

static void case_batch(const opts *o)
{
    enum { B_EXEC_CACHED, B_EXEC_UNCACHED, B_BATCH, B_SCRIPT, B_SCRIPT_RAW } impl;
    if (!strcmp(o->impl, "exec_cached"))
        impl = B_EXEC_CACHED;
    else if (!strcmp(o->impl, "exec_uncached"))
        impl = B_EXEC_UNCACHED;
    else if (!strcmp(o->impl, "batch"))
        impl = B_BATCH;
    else if (!strcmp(o->impl, "script"))
        impl = B_SCRIPT;
    else if (!strcmp(o->impl, "script_raw"))
        impl = B_SCRIPT_RAW;
    else
        die("batch: --impl exec_cached|exec_uncached|batch|script|script_raw");
    bstate s;
    memset(&s, 0, sizeof s);
    s.n = o->n;
    s.names = malloc((size_t)o->n * sizeof *s.names);
    for (long i = 0; i < o->n; i++)
        snprintf(s.names[i], sizeof s.names[i], "user-%08ld", i + 1);
    lsql_error e;
    lsql_db *db = NULL;
    lsql_db_opts dopts;
    lsql_db_opts_init(&dopts);
    dopts.mode = LSQL_MODE_MEMORY;
    if (impl == B_EXEC_UNCACHED)
        dopts.stmt_cache_capacity = -1;
    check(lsql_db_open(&dopts, &db, &e), &e, "open");
    check(lsql_db_connect(db, &s.c, &e), &e, "connect");
    if (impl == B_BATCH) {
        lsql_batch_new(&s.b);
        for (long i = 0; i < o->n; i++) {
            lsql_param p[] = {{NULL, lsql_int(i + 1)},
                              {NULL, lsql_text_z(s.names[i])},
                              {NULL, lsql_float((double)i * 0.5)}};
            check(lsql_batch_add(s.b, SQL_INS, p, 3, &e), &e, "batch add");
        }
    }
    if (impl == B_SCRIPT || impl == B_SCRIPT_RAW) {
        size_t cap = (size_t)o->n * 96 + 64, len = 0;
        s.raw_script = malloc(cap);
        len += (size_t)snprintf(s.raw_script + len, cap - len, "BEGIN;\n");
        s.script = s.raw_script + len;
        for (long i = 0; i < o->n; i++)
            len += (size_t)snprintf(s.raw_script + len, cap - len,
                                    "INSERT INTO t(id, name, score) VALUES (%ld, '%s', %.1f);\n",
                                    i + 1, s.names[i], (double)i * 0.5);
        if (impl == B_SCRIPT_RAW) {
            snprintf(s.raw_script + len, cap - len, "COMMIT;\n");
            if (sqlite3_open_v2(":memory:", &s.raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                                NULL) != SQLITE_OK)
                die("raw open");
        }
    }
    void (*fn)(bstate *) = impl == B_BATCH         ? loop_batch
                           : impl == B_SCRIPT      ? loop_script
                           : impl == B_SCRIPT_RAW  ? loop_script_raw
                                                   : loop_exec;
    int reps = o->cg ? 1 : o->reps;
    double *secs = calloc((size_t)reps, sizeof *secs);
    for (int rep = 0; rep < reps; rep++) {
        if (s.raw)
            sqlite3_exec(s.raw, "DROP TABLE IF EXISTS t; CREATE TABLE t(id INTEGER PRIMARY KEY, "
                                "name TEXT NOT NULL, score REAL NOT NULL)",
                         NULL, NULL, NULL);
        else {
            run(s.c, "DROP TABLE IF EXISTS t");
            run(s.c, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL NOT NULL)");
        }
        if (o->cg)
            CG_START();
        double t0 = now_s();
        fn(&s);
        secs[rep] = now_s() - t0;
        if (o->cg)
            CG_STOP();
        int64_t n = 0;
        if (s.raw) {
            sqlite3_stmt *st;
            sqlite3_prepare_v2(s.raw, "SELECT count(*) FROM t", -1, &st, NULL);
            sqlite3_step(st);
            n = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        } else {
            check(lsql_query_int64(s.c, "SELECT count(*) FROM t", NULL, 0, &n, &e), &e, "count");
        }
        if (n != o->n)
            die("batch %s: %lld rows, want %ld", o->impl, (long long)n, o->n);
    }
    qsort(secs, (size_t)reps, sizeof *secs, cmp_double);
    printf("RESULT\tbatch\t%s\t%ld\t%.6f\t%.6f\t%.0f\n", o->impl, o->n, secs[0], secs[reps / 2],
           (double)o->n / secs[reps / 2]);
    free(secs);
    lsql_batch_free(s.b);
    free(s.raw_script);
    free(s.names);
    sqlite3_close(s.raw);
    lsql_db_close(db);
}

/* ---- cursor ------------------------------------------------------------------- */

static const char SQL_SCAN[] = "SELECT id, name, score FROM t";

typedef struct {
    lsql_conn *c;
    size_t page;
    int64_t sum;
    long rows;
} cstate;

NOINLINE static void loop_rows(cstate *s)
{
    lsql_rows *r = NULL;
    lsql_error e;
    check(lsql_query(s->c, SQL_SCAN, NULL, 0, &r, &e), &e, "query");
    int rc;
    while ((rc = lsql_rows_next(r, &e)) == LSQL_ROW) {
        size_t len = 0;
        const char *name = lsql_rows_text(r, 1, &len);
        s->sum += lsql_rows_int64(r, 0) + (int64_t)len + (unsigned char)name[5] +
                  (int64_t)lsql_rows_double(r, 2);
        s->rows++;
    }
    check(rc, &e, "rows");
    lsql_rows_free(r);
}

static void sum_rowset(cstate *s, const lsql_rowset *rs)
{
    size_t n = lsql_rowset_count(rs);
    for (size_t i = 0; i < n; i++) {
        lsql_value v;
        size_t len = 0;
        const char *name = lsql_rowset_text(rs, i, 1, &len);
        lsql_rowset_get(rs, i, 2, &v);
        s->sum += lsql_rowset_int64(rs, i, 0) + (int64_t)len + (unsigned char)name[5] +
                  (int64_t)v.u.d;
    }
    s->rows += (long)n;
}

NOINLINE static void loop_cursor(cstate *s)
{
    lsql_cursor *cur = NULL;
    lsql_error e;
    check(lsql_cursor_open(s->c, SQL_SCAN, NULL, 0, &cur, &e), &e, "cursor");
    const lsql_rowset *pg;
    int rc;
    while ((rc = lsql_cursor_fetch(cur, s->page, &pg, &e)) == LSQL_ROW)
        sum_rowset(s, pg);
    check(rc, &e, "fetch");
    lsql_cursor_close(cur);
}

NOINLINE static void loop_materialise(cstate *s)
{
    lsql_batch *b;
    lsql_batch_result *r = NULL;
    lsql_error e;
    lsql_batch_new(&b);
    lsql_batch_add(b, SQL_SCAN, NULL, 0, NULL);
    check(lsql_batch_run(s->c, b, 0, &r, &e), &e, "materialise");
    lsql_step_result st;
    st.struct_size = sizeof st;
    lsql_batch_result_step(r, 0, &st);
    sum_rowset(s, st.rows);
    lsql_batch_result_free(r);
    lsql_batch_free(b);
}

static void case_cursor(const opts *o)
{
    lsql_allocator a = peak_allocator(&g_mem);
    if (lsql_set_allocator(&a, NULL) != LSQL_OK)
        die("cannot install the counting allocator");
    void (*fn)(cstate *) = NULL;
    cstate s;
    memset(&s, 0, sizeof s);
    if (!strcmp(o->impl, "rows"))
        fn = loop_rows;
    else if (!strcmp(o->impl, "cursor100"))
        fn = loop_cursor, s.page = 100;
    else if (!strcmp(o->impl, "cursor1000"))
        fn = loop_cursor, s.page = 1000;
    else if (!strcmp(o->impl, "materialise"))
        fn = loop_materialise;
    else
        die("cursor: --impl rows|cursor100|cursor1000|materialise");
    lsql_error e;
    lsql_db *db = NULL;
    lsql_db_opts dopts;
    lsql_db_opts_init(&dopts);
    dopts.mode = LSQL_MODE_MEMORY;
    check(lsql_db_open(&dopts, &db, &e), &e, "open");
    check(lsql_db_connect(db, &s.c, &e), &e, "connect");
    run(s.c, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL NOT NULL)");
    lsql_param p[] = {{NULL, lsql_int(o->n)}};
    check(lsql_exec(s.c,
                    "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < ?) "
                    "INSERT INTO t SELECT i, printf('user-%08d', i), i * 0.5 FROM r",
                    p, 1, NULL, &e),
          &e, "load");
    fn(&s); /* warm-up: statement cache, page cache */
    int reps = o->cg ? 1 : o->reps;
    double *secs = calloc((size_t)reps, sizeof *secs);
    size_t peak = 0;
    for (int rep = 0; rep < reps; rep++) {
        s.rows = 0;
        size_t base = g_mem.live;
        g_mem.peak = base;
        if (o->cg)
            CG_START();
        double t0 = now_s();
        fn(&s);
        secs[rep] = now_s() - t0;
        if (o->cg)
            CG_STOP();
        if (g_mem.peak - base > peak)
            peak = g_mem.peak - base;
        if (s.rows != o->n)
            die("cursor %s: %ld rows, want %ld", o->impl, s.rows, o->n);
    }
    qsort(secs, (size_t)reps, sizeof *secs, cmp_double);
    /* RESULT cursor impl n best median rows_per_s peak_bytes */
    printf("RESULT\tcursor\t%s\t%ld\t%.6f\t%.6f\t%.0f\t%zu\n", o->impl, o->n, secs[0],
           secs[reps / 2], (double)o->n / secs[reps / 2], peak);
    free(secs);
    lsql_db_close(db);
}

/* ---- main ---------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    opts o = {NULL, NULL, 10000, 500, 5, 0, "/tmp"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--cg")) {
            o.cg = 1;
            continue;
        }
        if (!v)
            die("%s needs a value", a);
        if (!strcmp(a, "--case"))
            o.cs = v;
        else if (!strcmp(a, "--impl"))
            o.impl = v;
        else if (!strcmp(a, "--n"))
            o.n = atol(v);
        else if (!strcmp(a, "--ntxn"))
            o.ntxn = atol(v);
        else if (!strcmp(a, "--reps"))
            o.reps = atoi(v);
        else if (!strcmp(a, "--dir"))
            o.dir = v;
        else
            die("unknown option %s", a);
        i++;
    }
    if (!o.cs || !o.impl || o.n <= 0 || o.ntxn <= 0 || o.reps <= 0)
        die("usage: bench_txn --case contention|batch|cursor --impl NAME [--n N] [--ntxn N] "
            "[--reps N] [--dir DIR] [--cg]");
    if (!strcmp(o.cs, "contention"))
        case_contention(&o);
    else if (!strcmp(o.cs, "batch"))
        case_batch(&o);
    else if (!strcmp(o.cs, "cursor"))
        case_cursor(&o);
    else
        die("unknown case %s", o.cs);
    lsql_shutdown();
    return 0;
}
