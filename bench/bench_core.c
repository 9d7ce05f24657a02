/* bench_core.c -- lsql against the raw SQLite C API, in the same process and
 * the same run.
 *
 * Cases (each in three modes: file = a database file in WAL mode, memory =
 * lsql's shared in-memory database (LSQL_DB_MEMORY_SHARED, memdb VFS)
 * against raw ":memory:", memory_private = lsql's default MEMORY mode (plain
 * ":memory:" per connection) against raw ":memory:"):
 *
 *   insert  N rows in one transaction through one reused statement.
 *           raw:  sqlite3_bind_* / sqlite3_step / sqlite3_reset
 *           lsql: lsql_prepare + lsql_bind_* / lsql_step / lsql_reset
 *   exec    the same N rows through the SQL-string path.
 *           raw:         reused statement (as in insert)
 *           raw_prepare: sqlite3_prepare_v2 / bind / step / finalize per row
 *           lsql:        lsql_exec(conn, sql, params, 4, ...) per row
 *   select  N point SELECTs by primary key (pseudo-random keys).
 *           raw_default:     sqlite3_open_v2(path, RW|CREATE, NULL): SQLite's
 *                            defaults (serialized mutex, cache_size -2000,
 *                            journal_mode DELETE on its own file)
 *           raw_default_wal: the same open defaults on the WAL file (file
 *                            mode only)
 *           raw:             lsql-equivalent configuration (see below)
 *           lsql:            lsql defaults, lsql_prepare'd statement reused
 *           lsql_int64:      lsql_query_int64() per lookup
 *           lsql_query:      lsql_query() + lsql_rows_next + lsql_rows_int64
 *                            + lsql_rows_free per lookup
 *   scan    full scan of N rows reading every column.
 *           raw:       sqlite3_step + sqlite3_column_*
 *           lsql:      lsql_step + lsql_column_*
 *           lsql_rows: lsql_query + lsql_rows_next + lsql_rows_*
 *
 * "raw" (no suffix) is configured like an lsql connection so that the
 * comparison measures the library and not the settings: opened with
 * SQLITE_OPEN_NOMUTEX, busy_timeout 5000, foreign_keys=ON,
 * cache_size=-8192, secure_delete=OFF, temp_store=MEMORY and, for files,
 * journal_mode=WAL + synchronous=NORMAL.
 *
 * Only the loop is timed (and counted under callgrind); BEGIN/COMMIT, table
 * creation and data loading are not. COMMIT of the insert cases is timed
 * separately and reported as extra information.
 *
 * The tune sub-command (--tune) is a raw-SQLite side experiment over
 * cache_size and mmap_size for the file/WAL configuration.
 *
 * Output: one tab-separated line per measurement, starting with RESULT (or
 * TUNE), for bench/run.sh to turn into docs/PERFORMANCE.md. */
#include "lsql.h"

#include <sqlite3.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(LSQL_BENCH_HAVE_CALLGRIND)
#include <valgrind/callgrind.h>
#define CG_START() CALLGRIND_START_INSTRUMENTATION
#define CG_STOP() CALLGRIND_STOP_INSTRUMENTATION
#define CG_AVAILABLE 1
#else
#define CG_START() ((void)0)
#define CG_STOP() ((void)0)
#define CG_AVAILABLE 0
#endif

/* Each measured loop starts on its own page, so that where the linker puts
 * the benchmark's code (which moves whenever the library's size changes)
 * cannot favour one implementation's instruction-cache sets over another's. */
#define NOINLINE __attribute__((noinline, aligned(4096)))

/* ------------------------------------------------------------------------ */
/* Utilities                                                                */
/* ------------------------------------------------------------------------ */

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench_core: ", stderr);
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

static void raw_check(sqlite3 *db, int rc, const char *what)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        die("%s: %s (%d)", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc);
}

static void raw_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        die("%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
}

static void lsql_check(int rc, const lsql_error *e, const char *what)
{
    if (rc != LSQL_OK && rc != LSQL_DONE && rc != LSQL_ROW)
        die("%s: %s (%s)", what, e ? e->message : "", lsql_errname(rc));
}

static void lsql_run(lsql_conn *c, const char *sql)
{
    lsql_error e;
    int rc = lsql_exec(c, sql, NULL, 0, NULL, &e);
    lsql_check(rc, &e, sql);
}

static void remove_db_files(const char *path)
{
    static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
    char buf[4200];
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        snprintf(buf, sizeof buf, "%s%s", path, sfx[i]);
        if (unlink(buf) != 0 && errno != ENOENT)
            die("cannot remove %s: %s", buf, strerror(errno));
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ------------------------------------------------------------------------ */
/* Configuration                                                            */
/* ------------------------------------------------------------------------ */

enum { M_FILE, M_MEMORY, M_MEMORY_PRIVATE, M_COUNT };
static const char *const mode_names[M_COUNT] = {"file", "memory", "memory_private"};

enum { C_INSERT, C_EXEC, C_SELECT, C_SCAN, C_COUNT };
static const char *const case_names[C_COUNT] = {"insert", "exec", "select", "scan"};

/* Implementations, per case. */
enum {
    I_RAW,             /* raw SQLite, lsql-equivalent configuration */
    I_RAW_PREPARE,     /* raw, prepare/finalize per row */
    I_RAW_DEFAULT,     /* raw, SQLite's defaults */
    I_RAW_DEFAULT_WAL, /* raw, SQLite's open defaults on the WAL file */
    I_LSQL,            /* lsql, explicit prepared statement */
    I_LSQL_EXEC,       /* lsql_exec per row */
    I_LSQL_INT64,      /* lsql_query_int64 per lookup */
    I_LSQL_QUERY,      /* lsql_query + rows per lookup */
    I_LSQL_ROWS,       /* lsql_query + rows_* getters over a scan */
    I_COUNT
};
static const char *const impl_names[I_COUNT] = {
    "raw", "raw_prepare", "raw_default", "raw_default_wal", "lsql",
    "lsql_exec", "lsql_int64", "lsql_query", "lsql_rows"};

/* Which implementations each case has (in the order they run). */
static const int case_impls[C_COUNT][7] = {
    [C_INSERT] = {I_RAW, I_LSQL, -1},
    [C_EXEC] = {I_RAW, I_RAW_PREPARE, I_LSQL_EXEC, -1},
    [C_SELECT] = {I_RAW_DEFAULT, I_RAW_DEFAULT_WAL, I_RAW, I_LSQL, I_LSQL_INT64,
                  I_LSQL_QUERY, -1},
    [C_SCAN] = {I_RAW, I_LSQL, I_LSQL_ROWS, -1},
};

static const char SQL_CREATE[] =
    "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
    "score REAL NOT NULL, qty INTEGER NOT NULL)";
static const char SQL_INSERT[] = "INSERT INTO t(id, name, score, qty) VALUES (?, ?, ?, ?)";
static const char SQL_SELECT[] = "SELECT qty FROM t WHERE id = ?";
static const char SQL_SCAN[] = "SELECT id, name, score, qty FROM t";

#define NAME_CAP 24

typedef struct bench {
    int n;
    int reps;
    const char *dir;
    int callgrind; /* --impl given: one rep, instrumented loop */
    char (*names)[NAME_CAP];
    size_t *name_len;
    int64_t *keys; /* point-select keys, 1..n */
    /* tune options */
    int tune_cache_kib; /* 0: sweep */
} bench;

static double row_score(int i) { return (double)i * 0.25; }
static int64_t row_qty(int i) { return (int64_t)((i * 7919) % 1000); }

static void bench_data(bench *b)
{
    b->names = malloc((size_t)b->n * sizeof *b->names);
    b->name_len = malloc((size_t)b->n * sizeof *b->name_len);
    b->keys = malloc((size_t)b->n * sizeof *b->keys);
    if (!b->names || !b->name_len || !b->keys)
        die("out of memory");
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < b->n; i++) {
        int len = snprintf(b->names[i], NAME_CAP, "user-%08d", i + 1);
        b->name_len[i] = (size_t)len;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b->keys[i] = (int64_t)(x % (uint64_t)b->n) + 1;
    }
}

static void db_path(const bench *b, char *buf, size_t cap, const char *tag)
{
    snprintf(buf, cap, "%s/bench-%s.db", b->dir, tag);
}

/* Removes every database file the benchmark may have created in b->dir. */
static void cleanup_files(const bench *b)
{
    static const char *const tags[] = {"ins-lsql", "ins-raw", "rd-lsql", "rd-raw",
                                       "rd-rawdef", "rd-rawwal", "tune"};
    char path[4200];
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
        db_path(b, path, sizeof path, tags[i]);
        remove_db_files(path);
    }
}

/* ------------------------------------------------------------------------ */
/* Opening connections                                                      */
/* ------------------------------------------------------------------------ */

/* Raw SQLite configured like an lsql connection (see the header comment). */
static sqlite3 *raw_open_matched(int mode, const char *path)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                SQLITE_OPEN_EXRESCODE;
    int rc = sqlite3_open_v2(mode == M_FILE ? path : ":memory:", &db, flags, NULL);
    raw_check(db, rc, "sqlite3_open_v2");
    sqlite3_busy_timeout(db, 5000);
    raw_exec(db, "PRAGMA foreign_keys=ON; PRAGMA cache_size=-8192; "
                 "PRAGMA secure_delete=OFF; PRAGMA temp_store=MEMORY");
    if (mode == M_FILE)
        raw_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL");
    return db;
}

/* Raw SQLite with SQLite's defaults: no flags beyond read-write-create, no
 * pragmas. */
static sqlite3 *raw_open_default(int mode, const char *path)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(mode == M_FILE ? path : ":memory:", &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    raw_check(db, rc, "sqlite3_open_v2");
    return db;
}

typedef struct lconn {
    lsql_db *db;
    lsql_conn *c;
} lconn;

/* lsql with its defaults. */
static lconn lsql_open_mode(int mode, const char *path)
{
    lconn l = {NULL, NULL};
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    lsql_error e;
    if (mode == M_FILE) {
        o.mode = LSQL_MODE_LOCAL;
        o.path = path;
    } else {
        o.mode = LSQL_MODE_MEMORY;
        if (mode == M_MEMORY)
            o.flags |= LSQL_DB_MEMORY_SHARED;
    }
    int rc = lsql_db_open(&o, &l.db, &e);
    lsql_check(rc, &e, "lsql_db_open");
    rc = lsql_db_connect(l.db, &l.c, &e);
    lsql_check(rc, &e, "lsql_db_connect");
    return l;
}

static void lsql_close_conn(lconn *l)
{
    lsql_conn_close(l->c);
    lsql_db_close(l->db);
    l->c = NULL;
    l->db = NULL;
}

/* ------------------------------------------------------------------------ */
/* Loading data (not timed)                                                 */
/* ------------------------------------------------------------------------ */

static void raw_load(const bench *b, sqlite3 *db, int mode)
{
    raw_exec(db, SQL_CREATE);
    raw_exec(db, "BEGIN");
    sqlite3_stmt *st = NULL;
    raw_check(db, sqlite3_prepare_v2(db, SQL_INSERT, -1, &st, NULL), "prepare");
    for (int i = 0; i < b->n; i++) {
        sqlite3_bind_int64(st, 1, i + 1);
        sqlite3_bind_text(st, 2, b->names[i], (int)b->name_len[i], SQLITE_STATIC);
        sqlite3_bind_double(st, 3, row_score(i));
        sqlite3_bind_int64(st, 4, row_qty(i));
        if (sqlite3_step(st) != SQLITE_DONE)
            die("load: %s", sqlite3_errmsg(db));
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    raw_exec(db, "COMMIT");
    if (mode == M_FILE)
        raw_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
}

static void lsql_load(const bench *b, lsql_conn *c, int mode)
{
    lsql_error e;
    lsql_run(c, SQL_CREATE);
    lsql_run(c, "BEGIN");
    lsql_stmt *st = NULL;
    lsql_check(lsql_prepare(c, SQL_INSERT, -1, 0, &st, NULL, &e), &e, "lsql_prepare");
    for (int i = 0; i < b->n; i++) {
        lsql_bind_int64(st, 1, i + 1);
        lsql_bind_text(st, 2, b->names[i], b->name_len[i], LSQL_STATIC);
        lsql_bind_double(st, 3, row_score(i));
        lsql_bind_int64(st, 4, row_qty(i));
        if (lsql_step(st, &e) != LSQL_DONE)
            die("load: %s", e.message);
        lsql_reset(st);
    }
    lsql_finalize(st);
    lsql_run(c, "COMMIT");
    if (mode == M_FILE)
        lsql_run(c, "PRAGMA wal_checkpoint(TRUNCATE)");
}

/* ------------------------------------------------------------------------ */
/* Measured loops. Each is NOINLINE so that callgrind can also isolate it   */
/* with --toggle-collect=loop_* when the client-request header is absent.   */
/* ------------------------------------------------------------------------ */

typedef struct inst {
    const bench *b;
    int mode;
    int impl;
    sqlite3 *db;
    sqlite3_stmt *st;
    lconn l;
    lsql_stmt *lst;
    int64_t sum; /* checksum of what the loop read or wrote */
} inst;

NOINLINE static void loop_insert_raw(inst *s)
{
    const bench *b = s->b;
    sqlite3_stmt *st = s->st;
    int rc = 0;
    for (int i = 0; i < b->n; i++) {
        rc |= sqlite3_bind_int64(st, 1, i + 1);
        rc |= sqlite3_bind_text(st, 2, b->names[i], (int)b->name_len[i], SQLITE_STATIC);
        rc |= sqlite3_bind_double(st, 3, row_score(i));
        rc |= sqlite3_bind_int64(st, 4, row_qty(i));
        if (sqlite3_step(st) != SQLITE_DONE)
            die("insert: %s", sqlite3_errmsg(s->db));
        sqlite3_reset(st);
    }
    if (rc)
        die("insert: bind failed");
    s->sum += b->n;
}

NOINLINE static void loop_insert_raw_prepare(inst *s)
{
    const bench *b = s->b;
    sqlite3 *db = s->db;
    int rc = 0;
    for (int i = 0; i < b->n; i++) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, SQL_INSERT, -1, &st, NULL) != SQLITE_OK)
            die("prepare: %s", sqlite3_errmsg(db));
        rc |= sqlite3_bind_int64(st, 1, i + 1);
        rc |= sqlite3_bind_text(st, 2, b->names[i], (int)b->name_len[i], SQLITE_STATIC);
        rc |= sqlite3_bind_double(st, 3, row_score(i));
        rc |= sqlite3_bind_int64(st, 4, row_qty(i));
        if (sqlite3_step(st) != SQLITE_DONE)
            die("insert: %s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
    }
    if (rc)
        die("insert: bind failed");
    s->sum += b->n;
}

NOINLINE static void loop_insert_lsql(inst *s)
{
    const bench *b = s->b;
    lsql_stmt *st = s->lst;
    int rc = 0;
    for (int i = 0; i < b->n; i++) {
        rc |= lsql_bind_int64(st, 1, i + 1);
        rc |= lsql_bind_text(st, 2, b->names[i], b->name_len[i], LSQL_STATIC);
        rc |= lsql_bind_double(st, 3, row_score(i));
        rc |= lsql_bind_int64(st, 4, row_qty(i));
        if (lsql_step(st, NULL) != LSQL_DONE)
            die("insert: %s", lsql_conn_errmsg(s->l.c));
        lsql_reset(st);
    }
    if (rc)
        die("insert: bind failed");
    s->sum += b->n;
}

NOINLINE static void loop_insert_lsql_exec(inst *s)
{
    const bench *b = s->b;
    lsql_conn *c = s->l.c;
    for (int i = 0; i < b->n; i++) {
        lsql_param p[4] = {
            {NULL, lsql_int(i + 1)},
            {NULL, lsql_text(b->names[i], b->name_len[i])},
            {NULL, lsql_float(row_score(i))},
            {NULL, lsql_int(row_qty(i))},
        };
        if (lsql_exec(c, SQL_INSERT, p, 4, NULL, NULL) != LSQL_OK)
            die("insert: %s", lsql_conn_errmsg(c));
    }
    s->sum += b->n;
}

NOINLINE static void loop_select_raw(inst *s)
{
    const bench *b = s->b;
    sqlite3_stmt *st = s->st;
    int64_t sum = 0;
    int rc = 0;
    for (int i = 0; i < b->n; i++) {
        rc |= sqlite3_bind_int64(st, 1, b->keys[i]);
        if (sqlite3_step(st) != SQLITE_ROW)
            die("select: %s", sqlite3_errmsg(s->db));
        sum += sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }
    if (rc)
        die("select: bind failed");
    s->sum += sum;
}

NOINLINE static void loop_select_lsql(inst *s)
{
    const bench *b = s->b;
    lsql_stmt *st = s->lst;
    int64_t sum = 0;
    int rc = 0;
    for (int i = 0; i < b->n; i++) {
        rc |= lsql_bind_int64(st, 1, b->keys[i]);
        if (lsql_step(st, NULL) != LSQL_ROW)
            die("select: %s", lsql_conn_errmsg(s->l.c));
        sum += lsql_column_int64(st, 0);
        lsql_reset(st);
    }
    if (rc)
        die("select: bind failed");
    s->sum += sum;
}

NOINLINE static void loop_select_lsql_int64(inst *s)
{
    const bench *b = s->b;
    lsql_conn *c = s->l.c;
    int64_t sum = 0;
    for (int i = 0; i < b->n; i++) {
        lsql_param p = {NULL, lsql_int(b->keys[i])};
        int64_t v;
        if (lsql_query_int64(c, SQL_SELECT, &p, 1, &v, NULL) != LSQL_OK)
            die("select: %s", lsql_conn_errmsg(c));
        sum += v;
    }
    s->sum += sum;
}

NOINLINE static void loop_select_lsql_query(inst *s)
{
    const bench *b = s->b;
    lsql_conn *c = s->l.c;
    int64_t sum = 0;
    for (int i = 0; i < b->n; i++) {
        lsql_param p = {NULL, lsql_int(b->keys[i])};
        lsql_rows *r;
        if (lsql_query(c, SQL_SELECT, &p, 1, &r, NULL) != LSQL_OK ||
            lsql_rows_next(r, NULL) != LSQL_ROW)
            die("select: %s", lsql_conn_errmsg(c));
        sum += lsql_rows_int64(r, 0);
        lsql_rows_free(r);
    }
    s->sum += sum;
}

static int64_t row_sum(int64_t id, size_t len, double score, int64_t qty)
{
    return id + (int64_t)len + (int64_t)(score * 4.0) + qty;
}

NOINLINE static void loop_scan_raw(inst *s)
{
    sqlite3 *db = s->db;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, SQL_SCAN, -1, &st, NULL) != SQLITE_OK)
        die("prepare: %s", sqlite3_errmsg(db));
    int64_t sum = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        const unsigned char *name = sqlite3_column_text(st, 1);
        size_t len = (size_t)sqlite3_column_bytes(st, 1);
        double score = sqlite3_column_double(st, 2);
        int64_t qty = sqlite3_column_int64(st, 3);
        sum += row_sum(id, len, score, qty) + name[0];
    }
    if (rc != SQLITE_DONE)
        die("scan: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    s->sum += sum;
}

NOINLINE static void loop_scan_lsql(inst *s)
{
    lsql_conn *c = s->l.c;
    lsql_stmt *st = NULL;
    lsql_error e;
    if (lsql_prepare(c, SQL_SCAN, -1, 0, &st, NULL, &e) != LSQL_OK)
        die("prepare: %s", e.message);
    int64_t sum = 0;
    int rc;
    while ((rc = lsql_step(st, NULL)) == LSQL_ROW) {
        int64_t id = lsql_column_int64(st, 0);
        size_t len;
        const char *name = lsql_column_text(st, 1, &len);
        double score = lsql_column_double(st, 2);
        int64_t qty = lsql_column_int64(st, 3);
        sum += row_sum(id, len, score, qty) + (unsigned char)name[0];
    }
    if (rc != LSQL_DONE)
        die("scan: %s", lsql_conn_errmsg(c));
    lsql_finalize(st);
    s->sum += sum;
}

NOINLINE static void loop_scan_lsql_rows(inst *s)
{
    lsql_conn *c = s->l.c;
    lsql_rows *r = NULL;
    lsql_error e;
    if (lsql_query(c, SQL_SCAN, NULL, 0, &r, &e) != LSQL_OK)
        die("query: %s", e.message);
    int64_t sum = 0;
    int rc;
    while ((rc = lsql_rows_next(r, NULL)) == LSQL_ROW) {
        int64_t id = lsql_rows_int64(r, 0);
        size_t len;
        const char *name = lsql_rows_text(r, 1, &len);
        double score = lsql_rows_double(r, 2);
        int64_t qty = lsql_rows_int64(r, 3);
        sum += row_sum(id, len, score, qty) + (unsigned char)name[0];
    }
    if (rc != LSQL_DONE)
        die("scan: %s", lsql_conn_errmsg(c));
    lsql_rows_free(r);
    s->sum += sum;
}

typedef void (*loop_fn)(inst *s);

static loop_fn loop_for(int cs, int impl)
{
    switch (cs) {
    case C_INSERT:
    case C_EXEC:
        switch (impl) {
        case I_RAW: return loop_insert_raw;
        case I_RAW_PREPARE: return loop_insert_raw_prepare;
        case I_LSQL: return loop_insert_lsql;
        case I_LSQL_EXEC: return loop_insert_lsql_exec;
        default: break;
        }
        break;
    case C_SELECT:
        switch (impl) {
        case I_RAW:
        case I_RAW_DEFAULT:
        case I_RAW_DEFAULT_WAL: return loop_select_raw;
        case I_LSQL: return loop_select_lsql;
        case I_LSQL_INT64: return loop_select_lsql_int64;
        case I_LSQL_QUERY: return loop_select_lsql_query;
        default: break;
        }
        break;
    case C_SCAN:
        switch (impl) {
        case I_RAW: return loop_scan_raw;
        case I_LSQL: return loop_scan_lsql;
        case I_LSQL_ROWS: return loop_scan_lsql_rows;
        default: break;
        }
        break;
    default: break;
    }
    return NULL;
}

static int impl_is_lsql(int impl)
{
    return impl == I_LSQL || impl == I_LSQL_EXEC || impl == I_LSQL_INT64 ||
           impl == I_LSQL_QUERY || impl == I_LSQL_ROWS;
}

/* Runs the measured loop once: timed, and (under callgrind) the only
 * instrumented region. */
static double measure(loop_fn fn, inst *s, int instrument)
{
    if (instrument)
        CG_START();
    double t0 = now_s();
    fn(s);
    double t1 = now_s();
    if (instrument)
        CG_STOP();
    return t1 - t0;
}

/* ------------------------------------------------------------------------ */
/* Insert cases: a fresh database per repetition                            */
/* ------------------------------------------------------------------------ */

static void insert_setup(const bench *b, inst *s)
{
    char path[4200];
    db_path(b, path, sizeof path, impl_is_lsql(s->impl) ? "ins-lsql" : "ins-raw");
    if (s->mode == M_FILE)
        remove_db_files(path);
    if (impl_is_lsql(s->impl)) {
        s->l = lsql_open_mode(s->mode, path);
        lsql_run(s->l.c, SQL_CREATE);
        lsql_run(s->l.c, "BEGIN");
        if (s->impl == I_LSQL) {
            lsql_error e;
            lsql_check(lsql_prepare(s->l.c, SQL_INSERT, -1, 0, &s->lst, NULL, &e), &e,
                       "lsql_prepare");
        }
    } else {
        s->db = raw_open_matched(s->mode, path);
        raw_exec(s->db, SQL_CREATE);
        raw_exec(s->db, "BEGIN");
        if (s->impl == I_RAW)
            raw_check(s->db, sqlite3_prepare_v2(s->db, SQL_INSERT, -1, &s->st, NULL),
                      "prepare");
    }
}

/* Commits (timed separately), verifies and closes. Returns commit seconds. */
static double insert_finish(const bench *b, inst *s)
{
    double t0 = now_s(), t1;
    int64_t count = -1;
    if (impl_is_lsql(s->impl)) {
        lsql_finalize(s->lst);
        s->lst = NULL;
        lsql_run(s->l.c, "COMMIT");
        t1 = now_s();
        lsql_error e;
        lsql_check(lsql_query_int64(s->l.c, "SELECT count(*) FROM t", NULL, 0, &count, &e), &e,
                   "count");
        lsql_close_conn(&s->l);
    } else {
        sqlite3_finalize(s->st);
        s->st = NULL;
        raw_exec(s->db, "COMMIT");
        t1 = now_s();
        sqlite3_stmt *st;
        raw_check(s->db, sqlite3_prepare_v2(s->db, "SELECT count(*) FROM t", -1, &st, NULL),
                  "prepare");
        if (sqlite3_step(st) == SQLITE_ROW)
            count = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        sqlite3_close_v2(s->db);
        s->db = NULL;
    }
    if (count != b->n)
        die("%s/%s: %lld rows after insert, expected %d", mode_names[s->mode],
            impl_names[s->impl], (long long)count, b->n);
    return t1 - t0;
}

/* ------------------------------------------------------------------------ */
/* Read cases: loaded once per implementation, measured repeatedly          */
/* ------------------------------------------------------------------------ */

static void read_setup(const bench *b, int cs, inst *s)
{
    char path[4200];
    const char *tag;
    switch (s->impl) {
    case I_RAW_DEFAULT: tag = "rd-rawdef"; break;
    case I_RAW_DEFAULT_WAL: tag = "rd-rawwal"; break;
    case I_RAW: tag = "rd-raw"; break;
    default: tag = "rd-lsql"; break;
    }
    db_path(b, path, sizeof path, tag);
    if (impl_is_lsql(s->impl)) {
        if (s->mode == M_FILE)
            remove_db_files(path);
        s->l = lsql_open_mode(s->mode, path);
        lsql_load(b, s->l.c, s->mode);
        if (cs == C_SELECT && s->impl == I_LSQL) {
            lsql_error e;
            lsql_check(lsql_prepare(s->l.c, SQL_SELECT, -1, 0, &s->lst, NULL, &e), &e,
                       "lsql_prepare");
        }
        return;
    }
    if (s->impl == I_RAW_DEFAULT_WAL) {
        /* a WAL file loaded like I_RAW's, then opened with SQLite's
         * defaults (journal_mode=WAL is persistent; synchronous, cache_size
         * and the mutex are not) */
        remove_db_files(path);
        sqlite3 *db = raw_open_matched(s->mode, path);
        raw_load(b, db, s->mode);
        sqlite3_close_v2(db);
        s->db = raw_open_default(s->mode, path);
    } else if (s->impl == I_RAW_DEFAULT) {
        if (s->mode == M_FILE)
            remove_db_files(path);
        s->db = raw_open_default(s->mode, path);
        raw_load(b, s->db, M_MEMORY); /* no WAL: keep journal_mode=DELETE */
    } else {
        if (s->mode == M_FILE)
            remove_db_files(path);
        s->db = raw_open_matched(s->mode, path);
        raw_load(b, s->db, s->mode);
    }
    if (cs == C_SELECT)
        raw_check(s->db, sqlite3_prepare_v2(s->db, SQL_SELECT, -1, &s->st, NULL), "prepare");
}

static void read_teardown(inst *s)
{
    if (s->st)
        sqlite3_finalize(s->st);
    if (s->db)
        sqlite3_close_v2(s->db);
    if (s->lst)
        lsql_finalize(s->lst);
    if (s->l.db)
        lsql_close_conn(&s->l);
    s->st = NULL;
    s->db = NULL;
    s->lst = NULL;
}

/* ------------------------------------------------------------------------ */
/* Driver                                                                   */
/* ------------------------------------------------------------------------ */

static void report(const bench *b, int cs, int mode, int impl, double *t, int reps,
                   int64_t sum, double extra)
{
    qsort(t, (size_t)reps, sizeof *t, cmp_double);
    double best = t[0], med = t[reps / 2];
    printf("RESULT\t%s\t%s\t%s\t%d\t%d\t%.6f\t%.6f\t%.0f\t%.0f\t%lld\t%.6f\n", case_names[cs],
           mode_names[mode], impl_names[impl], b->n, reps, best, med, b->n / best, b->n / med,
           (long long)sum, extra);
    fflush(stdout);
}

static int impl_applies(int mode, int impl)
{
    return !(impl == I_RAW_DEFAULT_WAL && mode != M_FILE);
}

/* Runs one case in one mode; only_impl >= 0 restricts it to one
 * implementation (instrumented, for callgrind). */
static void run_case(const bench *b, int cs, int mode, int only_impl)
{
    int impls[8], ni = 0;
    for (int k = 0; case_impls[cs][k] >= 0 && k < 7; k++) {
        int impl = case_impls[cs][k];
        if (!impl_applies(mode, impl))
            continue;
        if (only_impl >= 0 && impl != only_impl)
            continue;
        impls[ni++] = impl;
    }
    if (ni == 0)
        die("case %s has no implementation %s in mode %s", case_names[cs],
            only_impl >= 0 ? impl_names[only_impl] : "?", mode_names[mode]);
    int reps = b->reps;
    double *times = calloc((size_t)(ni * reps), sizeof *times);
    double *extra = calloc((size_t)(ni * reps), sizeof *extra);
    int64_t *sums = calloc((size_t)ni, sizeof *sums);
    inst *st = calloc((size_t)ni, sizeof *st);
    if (!times || !extra || !sums || !st)
        die("out of memory");
    for (int k = 0; k < ni; k++) {
        st[k].b = b;
        st[k].mode = mode;
        st[k].impl = impls[k];
    }
    const int reads = cs == C_SELECT || cs == C_SCAN;
    if (reads)
        for (int k = 0; k < ni; k++)
            read_setup(b, cs, &st[k]);
    /* Interleave the implementations rep by rep so that drift of the
     * machine affects all of them alike. */
    for (int r = 0; r < reps; r++) {
        for (int k = 0; k < ni; k++) {
            inst *s = &st[k];
            loop_fn fn = loop_for(cs, s->impl);
            s->sum = 0;
            if (reads) {
                times[k * reps + r] = measure(fn, s, b->callgrind);
            } else {
                insert_setup(b, s);
                times[k * reps + r] = measure(fn, s, b->callgrind);
                extra[k * reps + r] = insert_finish(b, s);
            }
            sums[k] = s->sum;
        }
    }
    if (reads)
        for (int k = 0; k < ni; k++)
            read_teardown(&st[k]);
    for (int k = 1; k < ni; k++)
        if (sums[k] != sums[0])
            die("%s/%s: checksum of %s (%lld) differs from %s (%lld)", case_names[cs],
                mode_names[mode], impl_names[impls[k]], (long long)sums[k],
                impl_names[impls[0]], (long long)sums[0]);
    for (int k = 0; k < ni; k++) {
        double ex = 0;
        if (!reads) {
            qsort(extra + k * reps, (size_t)reps, sizeof *extra, cmp_double);
            ex = extra[k * reps + reps / 2];
        }
        report(b, cs, mode, impls[k], times + k * reps, reps, sums[k], ex);
    }
    free(times);
    free(extra);
    free(sums);
    free(st);
}

/* ------------------------------------------------------------------------ */
/* Tuning experiment (raw SQLite, file in WAL, lsql-equivalent settings)    */
/* ------------------------------------------------------------------------ */

static sqlite3 *tune_open(const char *path, int cache_kib, int64_t mmap)
{
    sqlite3 *db = raw_open_matched(M_FILE, path);
    char sql[200];
    snprintf(sql, sizeof sql, "PRAGMA cache_size=-%d; PRAGMA mmap_size=%lld", cache_kib,
             (long long)mmap);
    raw_exec(db, sql);
    return db;
}

static void run_tune(bench *b)
{
    static const int caches[] = {2000, 8192, 65536};
    static const int64_t mmaps[] = {0, 268435456};
    char path[4200];
    db_path(b, path, sizeof path, "tune");
    for (size_t ci = 0; ci < sizeof caches / sizeof caches[0]; ci++) {
        if (b->tune_cache_kib && caches[ci] != b->tune_cache_kib)
            continue;
        for (size_t mi = 0; mi < sizeof mmaps / sizeof mmaps[0]; mi++) {
            double tin[16], tsel[16], tscan[16], first_sel = 0, first_scan = 0;
            int reps = b->reps > 16 ? 16 : b->reps;
            inst s;
            memset(&s, 0, sizeof s);
            s.b = b;
            s.mode = M_FILE;
            for (int r = 0; r < reps; r++) {
                /* insert, including COMMIT (cache spills happen here) */
                remove_db_files(path);
                s.db = tune_open(path, caches[ci], mmaps[mi]);
                raw_exec(s.db, SQL_CREATE);
                raw_exec(s.db, "BEGIN");
                raw_check(s.db, sqlite3_prepare_v2(s.db, SQL_INSERT, -1, &s.st, NULL),
                          "prepare");
                double t0 = now_s();
                loop_insert_raw(&s);
                sqlite3_finalize(s.st);
                s.st = NULL;
                raw_exec(s.db, "COMMIT");
                tin[r] = now_s() - t0;
                raw_exec(s.db, "PRAGMA wal_checkpoint(TRUNCATE)");
                sqlite3_close_v2(s.db);
                s.db = NULL;
            }
            struct stat sb;
            long long dbsize = stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
            /* reads on a fresh connection: the first pass starts with an
             * empty page cache (the OS cache is warm). */
            s.db = tune_open(path, caches[ci], mmaps[mi]);
            raw_check(s.db, sqlite3_prepare_v2(s.db, SQL_SELECT, -1, &s.st, NULL), "prepare");
            for (int r = 0; r < reps; r++) {
                double t0 = now_s();
                loop_select_raw(&s);
                tsel[r] = now_s() - t0;
                if (r == 0)
                    first_sel = tsel[r];
            }
            /* the same lookups inside one read transaction: no per-statement
             * lock/unlock, so the page cache and mmap effects stand out */
            double ttx[16];
            for (int r = 0; r < reps; r++) {
                double t0 = now_s();
                raw_exec(s.db, "BEGIN");
                loop_select_raw(&s);
                raw_exec(s.db, "COMMIT");
                ttx[r] = now_s() - t0;
            }
            sqlite3_finalize(s.st);
            s.st = NULL;
            sqlite3_close_v2(s.db);
            s.db = tune_open(path, caches[ci], mmaps[mi]);
            for (int r = 0; r < reps; r++) {
                double t0 = now_s();
                loop_scan_raw(&s);
                tscan[r] = now_s() - t0;
                if (r == 0)
                    first_scan = tscan[r];
            }
            sqlite3_close_v2(s.db);
            s.db = NULL;
            qsort(tin, (size_t)reps, sizeof *tin, cmp_double);
            qsort(tsel, (size_t)reps, sizeof *tsel, cmp_double);
            qsort(tscan, (size_t)reps, sizeof *tscan, cmp_double);
            qsort(ttx, (size_t)reps, sizeof *ttx, cmp_double);
            /* TUNE rows cache_kib mmap reps insert(med best) select(med best
             * first) scan(med best first) select_in_txn(best) db_bytes */
            printf("TUNE\t%d\t%d\t%lld\t%d\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f"
                   "\t%.0f\t%lld\n",
                   b->n, caches[ci], (long long)mmaps[mi], reps, b->n / tin[reps / 2],
                   b->n / tin[0], b->n / tsel[reps / 2], b->n / tsel[0], b->n / first_sel,
                   b->n / tscan[reps / 2], b->n / tscan[0], b->n / first_scan, b->n / ttx[0], dbsize);
            fflush(stdout);
        }
    }
}

/* ------------------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_core [--case all|insert|exec|select|scan] "
            "[--mode all|file|memory|memory_private]\n"
            "                  [--impl NAME] [--n ROWS] [--reps R] [--dir DIR]\n"
            "       bench_core --tune [--n ROWS] [--reps R] [--dir DIR] [--cache KIB]\n"
            "       bench_core --info | --has-callgrind\n"
            "--impl runs one implementation once with the loop instrumented for\n"
            "callgrind (run it as valgrind --tool=callgrind --instr-atstart=no ...).\n"
            "Implementations: raw raw_prepare raw_default raw_default_wal lsql\n"
            "                 lsql_exec lsql_int64 lsql_query lsql_rows\n");
    exit(2);
}

static int lookup(const char *const *names, int count, const char *s)
{
    for (int i = 0; i < count; i++)
        if (!strcmp(names[i], s))
            return i;
    return -1;
}

int main(int argc, char **argv)
{
    bench b;
    memset(&b, 0, sizeof b);
    b.n = 100000;
    b.reps = 5;
    b.dir = ".";
    int cs = -1, mode = -1, impl = -1, tune = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--case") && v) {
            cs = strcmp(v, "all") ? lookup(case_names, C_COUNT, v) : -1;
            if (strcmp(v, "all") && cs < 0)
                usage();
            i++;
        } else if (!strcmp(a, "--mode") && v) {
            mode = strcmp(v, "all") ? lookup(mode_names, M_COUNT, v) : -1;
            if (strcmp(v, "all") && mode < 0)
                usage();
            i++;
        } else if (!strcmp(a, "--impl") && v) {
            if ((impl = lookup(impl_names, I_COUNT, v)) < 0)
                usage();
            i++;
        } else if (!strcmp(a, "--n") && v) {
            b.n = atoi(v);
            i++;
        } else if (!strcmp(a, "--reps") && v) {
            b.reps = atoi(v);
            i++;
        } else if (!strcmp(a, "--dir") && v) {
            b.dir = v;
            i++;
        } else if (!strcmp(a, "--cache") && v) {
            b.tune_cache_kib = atoi(v);
            i++;
        } else if (!strcmp(a, "--tune")) {
            tune = 1;
        } else if (!strcmp(a, "--has-callgrind")) {
            printf("%d\n", CG_AVAILABLE);
            return 0;
        } else if (!strcmp(a, "--info")) {
            printf("sqlite_version\t%s\nsqlite_source_id\t%s\nsqlite_threadsafe\t%d\n"
                   "lsql_version\t%s\n",
                   sqlite3_libversion(), sqlite3_sourceid(), sqlite3_threadsafe(),
                   lsql_libversion());
#if defined(__VERSION__)
            printf("compiler\t%s\n", __VERSION__);
#endif
            return 0;
        } else {
            usage();
        }
    }
    if (b.n <= 0 || b.reps <= 0)
        usage();
    if (lsql_initialize() != LSQL_OK)
        die("lsql_initialize failed");
    if (impl >= 0 && (cs < 0 || mode < 0))
        die("--impl needs --case and --mode");
    bench_data(&b);
    if (tune) {
        run_tune(&b);
    } else if (impl >= 0) {
        /* callgrind mode: one case, one mode, one implementation, one rep */
        b.reps = 1;
        b.callgrind = 1;
        run_case(&b, cs, mode, impl);
    } else {
        for (int m = 0; m < M_COUNT; m++) {
            if (mode >= 0 && m != mode)
                continue;
            for (int c = 0; c < C_COUNT; c++)
                if (cs < 0 || c == cs)
                    run_case(&b, c, m, -1);
        }
    }
    lsql_shutdown();
    cleanup_files(&b);
    free(b.names);
    free(b.name_len);
    free(b.keys);
    return 0;
}
