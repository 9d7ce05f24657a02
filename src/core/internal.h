/* internal.h -- private structures of the lsql core and the backend interface.
 *
 * Every mode (local file / memory, later remote and replica) is a backend: a
 * table of functions (lsql_backend) over which the core implements the public
 * API once. The core owns handles, errors, parameters, the statement cache and
 * rows; a backend owns only its native connection and statement objects. */
#ifndef LSQL_INTERNAL_H
#define LSQL_INTERNAL_H

#include "lsql.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define LSQL_LIKELY(x) __builtin_expect(!!(x), 1)
#define LSQL_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define LSQL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define LSQL_LIKELY(x) (x)
#define LSQL_UNLIKELY(x) (x)
#define LSQL_PRINTF(a, b)
#endif

#if defined(__GNUC__) || defined(__clang__)
#define LSQL_COLD __attribute__((cold, noinline))
#define LSQL_NOINLINE __attribute__((noinline))
#else
#define LSQL_COLD
#define LSQL_NOINLINE
#endif

/* The per-row code of the explicit prepared path (lsql_bind_*, lsql_step,
 * lsql_reset, lsql_column_int64: part "1") and of the SQL-text path
 * (lsql_exec and what it calls: parts "2".."4") is kept in blocks of its
 * own, each starting a page (stmt.c), so that the instruction cache sets it
 * falls in do not move when other code changes: the insert benchmark runs
 * SQLite's code at the limit of a 32 KiB L1i, and a few lines of lsql in an
 * already full set cost more than all of lsql's instructions. ELF with GNU
 * ld: .text.sorted.* sections are placed together, in name order, before
 * the rest of .text; elsewhere this is a no-op. */
#if defined(__ELF__) && (defined(__GNUC__) || defined(__clang__))
#define LSQL_HOT(part) __attribute__((section(".text.sorted.lsql." part)))
#else
#define LSQL_HOT(part)
#endif

/* Magic words: checked on entry of every public function. */
#define LSQL_MAGIC_DB 0x6c73444bu   /* "lsDB" */
#define LSQL_MAGIC_CONN 0x6c73434eu /* "lsCN" */
#define LSQL_MAGIC_STMT 0x6c735354u /* "lsST" */
#define LSQL_MAGIC_ROWS 0x6c735253u /* "lsRS" */
#define LSQL_MAGIC_ROW 0x6c735231u  /* "lsR1" */
#define LSQL_MAGIC_DEAD 0xdeadbeefu

/* ---- memory (alloc.c) --------------------------------------------------- */
void *lsql__malloc(size_t n);
void *lsql__calloc(size_t n, size_t size);
void *lsql__realloc(void *p, size_t n);
void lsql__free(void *p);
char *lsql__strndup(const char *s, size_t n);
char *lsql__strdup(const char *s);
int lsql__alloc_install_sqlite(void); /* routes SQLite to the allocator */
bool lsql__alloc_is_custom(void);

/* ---- global state (init.c) ---------------------------------------------- */
int lsql__ensure_init(void);
bool lsql__initialized(void);
void lsql__log(int level, const char *fmt, ...) LSQL_PRINTF(2, 3);
void lsql__db_count_add(int delta);

/* ---- errors (error.c) --------------------------------------------------- */
/* Fills *e: code/class, message (printf), everything else reset. */
void lsql__err_set(lsql_error *e, int code, const char *fmt, ...)
    LSQL_PRINTF(3, 4);
void lsql__err_vset(lsql_error *e, int code, const char *fmt, va_list ap);
/* Copies an error to the caller's struct (if any); returns e->ext_code. */
int lsql__err_out(const lsql_error *e, lsql_error *out);
static inline void lsql__err_ok(lsql_error *out)
{
    if (out) {
        out->code = 0;
        out->ext_code = 0;
    }
}
/* Error for a call that has no connection to record it on. */
int lsql__fail(lsql_error *out, int code, const char *fmt, ...)
    LSQL_PRINTF(3, 4);
/* Retryable classification of a code (BUSY, LOCKED...). */
bool lsql__code_retryable(int code);

/* ---- backend interface -------------------------------------------------- */
typedef struct lsql_backend lsql_backend;
typedef struct lsql__bstep lsql__bstep; /* a batch step (txn_int.h) */

/* What a database needs to remember from its options. */
typedef struct lsql_db_config {
    int mode;
    char *path;     /* LOCAL: file path; MEMORY: shared memdb URI */
    char *url;      /* reserved: remote */
    char *auth_token;
    unsigned flags;
    uint32_t busy_timeout_ms;
    uint32_t cache_size_kib;
    int stmt_cache_capacity;
    int open_mode; /* 0 = rwc, 1 = ro, 2 = rw */
    int sqlite_open_flags; /* extra SQLite open flags (LSQL_OPEN_*) */
    /* REMOTE: the transport options as given (0 / NULL = default) */
    uint32_t connect_timeout_ms, request_timeout_ms;
    char *tls_ca_file, *tls_ca_path;
    size_t max_response_bytes;
    int retry_max;
    uint32_t retry_base_ms, retry_max_ms;
    int hrana_version;  /* as given; the remote backend sets the one in use */
    int hrana_encoding; /* likewise: 0, LSQL_HRANA_JSON or LSQL_HRANA_PROTOBUF */
} lsql_db_config;

struct lsql_db {
    uint32_t magic;
    lsql_db_config cfg;
    const lsql_backend *be;
    void *be_db; /* backend's per-database state (may be NULL) */
    pthread_mutex_t mu; /* guards conns list */
    lsql_conn *conns;   /* every open connection (doubly linked) */
};

/* A statement. The rows handle of a statement is embedded: a statement has
 * at most one open rows handle, so lsql_query never allocates one. */
struct lsql_rows {
    uint32_t magic;
    int state; /* ROWS_* */
    int last;  /* LSQL_ROW, LSQL_DONE or the error that ended it */
    lsql_stmt *st;
};

enum { ROWS_CLOSED = 0, ROWS_FRESH, ROWS_ON_ROW, ROWS_ENDED };

enum {
    ST_ORIGIN_USER = 0,  /* lsql_prepare without CACHED */
    ST_ORIGIN_CACHED,    /* lsql_prepare CACHED: finalize returns it to the cache */
    ST_ORIGIN_INTERNAL   /* one-shot calls: lsql_rows_free returns it to the cache */
};

struct lsql_stmt {
    uint32_t magic;
    int origin;       /* ST_ORIGIN_* */
    bool busy;        /* an open rows handle or a step in progress */
    bool has_rows;    /* rows handle open */
    bool cacheable;   /* may go to the cache when released */
    bool has_tail;    /* SQL holds more than one statement */
    bool on_row;      /* the last step gave LSQL_ROW */
    /* idle in the cache still holding a one-shot call's bindings (one-shot
     * calls rebind every parameter, so only lsql_prepare(CACHED) clears) */
    bool stale_binds;
    lsql_conn *conn;
    void *bs;         /* backend statement */
    /* cache key (owned): SQL text the statement was looked up by */
    char *key;
    size_t keylen;
    uint64_t hash;
    size_t tail_off; /* offset of the tail within key */
    int kind;         /* LSQL_KIND_* from the backend's prepare */
    uint32_t epoch;   /* conn->schema_epoch when prepared */
    int nparams;      /* parameter count (fixed by the SQL text) */
    int be_nbind;     /* the backend's: parameters 1..be_nbind can be bound
                         with no error check (0: check every bind) */
    /* links: live list (checked-out statements) or cache LRU + bucket chain */
    lsql_stmt *prev, *next;
    lsql_stmt *hnext;
    lsql_rows rows;
};

/* Statement cache (cache.c): idle statements, LRU order, hashed by SQL. */
typedef struct lsql_stmt_cache {
    int capacity;
    int size;
    lsql_stmt **buckets;
    size_t nbuckets; /* power of two or 0 */
    lsql_stmt *hot;      /* the last statement a one-shot call released: the
                            next call with the same SQL takes it without
                            hashing or list work (counted in size) */
    lsql_stmt *lru_head; /* most recently used */
    lsql_stmt *lru_tail; /* least recently used */
    uint64_t hits, misses, evictions;
} lsql_stmt_cache;

struct lsql_conn {
    uint32_t magic;
    lsql_db *db;
    const lsql_backend *be;
    void *bc; /* backend connection */
    lsql_conn *prev, *next; /* in db->conns */
    lsql_stmt *live;        /* checked-out statements (user + internal) */
    lsql_stmt_cache cache;
    lsql_error last; /* last error */
    /* bumped when DDL run through this connection finishes: cached
     * statements prepared before are prepared again (their column metadata
     * would be stale until their first step otherwise) */
    uint32_t schema_epoch;
    /* [conn fields: txn] */
    lsql_txn *txn;          /* handle of the open transaction lsql_begin made, or NULL */
    lsql_txn *txns;         /* every handle not yet freed (doubly linked; txn.c) */
    lsql_cursor *cursors;   /* every cursor not yet closed (doubly linked; cursor.c) */
    bool txn_read_only;     /* the open transaction was begun READ_ONLY by lsql */
    int deferred_as;        /* what LSQL_BEGIN_DEFERRED begins (lsql_conn_set_deferred_begin) */
    bool txn_restore_qo;    /* lsql set query_only=ON: set it OFF when that ends */
    /* [conn fields: control] */
};

struct lsql_backend {
    const char *name;
    /* database-level: validate/create and keep per-db state. */
    int (*db_open)(lsql_db *db, lsql_error *e);
    void (*db_close)(lsql_db *db);
    /* connection */
    int (*conn_open)(lsql_conn *c, lsql_error *e);
    int (*conn_close)(lsql_conn *c, lsql_error *e); /* rolls back, frees bc */
    int (*native)(lsql_conn *c, void **out);
    /* statements: prepare fills st->bs, st->kind and *tail; on failure it
     * fills *e. */
    int (*prepare)(lsql_conn *c, const char *sql, size_t n, bool nul_term,
                   unsigned flags, lsql_stmt *st, const char **tail,
                   lsql_error *e);
    void (*finalize)(lsql_stmt *st);
    /* true when a prepared statement no longer matches the schema and must
     * be prepared again before its metadata can be trusted (may be NULL) */
    bool (*expired)(const lsql_stmt *st);
    /* bind: returns an lsql code, and on error fills c->last */
    int (*bind)(lsql_stmt *st, int idx, const lsql_value *v, int lifetime);
    /* typed fast paths for lsql_bind_* and one-shot parameters: return an
     * lsql code; on failure they fill c->last */
    int (*bind_int64)(lsql_stmt *st, int idx, int64_t v);
    int (*bind_double)(lsql_stmt *st, int idx, double v);
    int (*bind_text)(lsql_stmt *st, int idx, const char *p, size_t n, int lifetime);
    int (*param_count)(const lsql_stmt *st);
    const char *(*param_name)(const lsql_stmt *st, int idx);
    int (*param_index)(const lsql_stmt *st, const char *prefixed_name);
    /* step: LSQL_ROW / LSQL_DONE, or an error code with c->last filled */
    int (*step)(lsql_stmt *st);
    void (*reset)(lsql_stmt *st);
    void (*clear_bindings)(lsql_stmt *st);
    int (*column_count)(const lsql_stmt *st);
    const char *(*column_name)(const lsql_stmt *st, int col);
    const char *(*column_decltype)(const lsql_stmt *st, int col);
    const char *(*column_table)(const lsql_stmt *st, int col);
    const char *(*column_origin)(const lsql_stmt *st, int col);
    int (*column_type)(lsql_stmt *st, int col);
    int64_t (*column_int64)(lsql_stmt *st, int col);
    double (*column_double)(lsql_stmt *st, int col);
    /* bytes of a TEXT (as_text) or BLOB value; NUL-terminated */
    const void *(*column_bytes)(lsql_stmt *st, int col, size_t *n, bool as_text);
    void (*stmt_info)(const lsql_stmt *st, lsql_stmt_info *out);
    const char *(*stmt_sql)(const lsql_stmt *st);
    /* metadata: LSQL_OK or LSQL_NOTSUP_BACKEND */
    int (*meta)(lsql_conn *c, int what, int64_t *out);
    /* [backend ops: txn] */
    /* (none: transactions, savepoints, batches, cursors and reset are built
     * in the core over the ops above, for every backend; a backend's step
     * calls lsql__txn_step_error() on failure. txn_int.h notes what the
     * remote backend will need, e.g. one Hrana batch per lsql batch.) */
    /* [backend ops: reset] */
    /* lsql_conn_reset's fast path (either may be NULL: TEMP objects are then
     * always looked for). temp_maybe_used answers false only when the
     * connection certainly holds no TEMP table, view or trigger -- whatever
     * created it (lsql or the native handle) -- since temp_clean() was last
     * called; temp_clean() records that the TEMP schema was just emptied. */
    bool (*temp_maybe_used)(lsql_conn *c);
    void (*temp_clean)(lsql_conn *c);
    /* [backend ops: control] */
    /* Connection control, hooks, functions, extensions, backup (core:
     * control.c, pragma.c, hooks.c, func.c, extension.c, backup.c). A NULL
     * op means the mode has no such feature: the core returns
     * LSQL_NOTSUP_BACKEND. Ops taking an lsql_error fill it on failure. */
    int (*interrupt)(lsql_conn *c); /* any thread (see lsql_conn_interrupt) */
    int (*busy_timeout)(lsql_conn *c, bool set, uint32_t *ms);
    int (*cacheflush)(lsql_conn *c, lsql_error *e);
    int (*checkpoint)(lsql_conn *c, const char *schema, int mode, int *log,
                      int *ckpt, lsql_error *e);
    int (*limit)(lsql_conn *c, int id, int value, int *old);
    int (*db_config)(lsql_conn *c, int option, int value, int *out, lsql_error *e);
    int (*set_update_hook)(lsql_conn *c, lsql_update_hook_fn fn, void *ctx);
    int (*set_commit_hook)(lsql_conn *c, lsql_commit_hook_fn fn, void *ctx);
    int (*set_rollback_hook)(lsql_conn *c, lsql_rollback_hook_fn fn, void *ctx);
    int (*set_preupdate_hook)(lsql_conn *c, lsql_preupdate_hook_fn fn, void *ctx);
    int (*set_wal_hook)(lsql_conn *c, lsql_wal_hook_fn fn, void *ctx);
    int (*set_progress)(lsql_conn *c, int n_ops, lsql_progress_fn fn, void *ctx);
    int (*set_authorizer)(lsql_conn *c, lsql_authorizer_fn fn, void *ctx);
    /* registers (fn or step+final set) or removes (all NULL) a function;
     * `destroy(user_data)` is called by the backend in every case where
     * ownership passes (replaced, removed, closed, failed) */
    int (*create_function)(lsql_conn *c, const char *name, int nargs, unsigned flags,
                           lsql_scalar_fn fn, lsql_scalar_fn step, lsql_final_fn final,
                           size_t state_size, void *user_data, lsql_destroy_fn destroy,
                           lsql_error *e);
    int (*enable_load_extension)(lsql_conn *c, int on, lsql_error *e);
    int (*load_extension)(lsql_conn *c, const char *path, const char *entry,
                          lsql_error *e);
    /* backup: dir is LSQL__BACKUP_* (control.h); `other` is the destination
     * connection for TO_CONN, `path` the file otherwise */
    int (*backup)(lsql_conn *c, const char *schema, lsql_conn *other,
                  const char *other_schema, const char *path, int dir,
                  const lsql_backup_opts *o, lsql_error *e);
    /* [backend ops: remote] */
    /* Runs a statement batch, or a script split into statements, in one
     * exchange with the server (lsql_batch_run: steps[0..n); lsql_script_run:
 * `script`, steps NULL, r empty: the backend splits it); NULL:
     * the core steps each statement. Fills r (txn_int.h) and finishes it
     * with lsql__batch_finish. */
    int (*batch_run)(lsql_conn *c, const lsql__bstep *steps, size_t n, const char *script,
                     unsigned flags, lsql_batch_result *r, lsql_error *err);
    /* Asks for the rows of `st` to be streamed as they arrive (lsql
     * cursors) rather than fetched whole; may be NULL. */
    void (*stmt_stream)(lsql_stmt *st);
};

enum {
    META_LAST_ROWID,
    META_CHANGES,
    META_TOTAL_CHANGES,
    META_AUTOCOMMIT,
    META_TXN_STATE
};

extern const lsql_backend lsql__local_backend;
extern const lsql_backend lsql__remote_backend;

/* ---- connection helpers (conn.c) ---------------------------------------- */
/* Records an error on the connection and copies it to `out`. */
int lsql__conn_fail(lsql_conn *c, lsql_error *out, int code, const char *fmt,
                    ...) LSQL_PRINTF(4, 5);
/* Copies the connection's last error to `out` and returns its code. */
static inline int lsql__conn_err(lsql_conn *c, lsql_error *out)
{
    return lsql__err_out(&c->last, out);
}
static inline void lsql__conn_ok(lsql_conn *c, lsql_error *out)
{
    c->last.code = 0;
    c->last.ext_code = 0;
    lsql__err_ok(out);
}
static inline bool lsql__conn_valid(const lsql_conn *c)
{
    return c && c->magic == LSQL_MAGIC_CONN;
}
static inline bool lsql__stmt_valid(const lsql_stmt *s)
{
    return s && s->magic == LSQL_MAGIC_STMT;
}
void lsql__conn_destroy(lsql_conn *c, int *rc_out); /* used by db close */

/* ---- statements (stmt.c) ------------------------------------------------ */
/* To call when a statement returned LSQL_DONE. */
static inline void lsql__stmt_done(lsql_stmt *st)
{
    if (st->kind >= LSQL_KIND_CREATE && st->kind <= LSQL_KIND_ALTER)
        st->conn->schema_epoch++;
}
void lsql__live_link(lsql_conn *c, lsql_stmt *st);
void lsql__live_unlink(lsql_conn *c, lsql_stmt *st);
/* Gets a prepared statement for sql[0..n) from the cache or by preparing it;
 * the result is linked in the live list. */
int lsql__stmt_acquire(lsql_conn *c, const char *sql, size_t n, bool nul_term,
                       int origin, unsigned flags, lsql_stmt **out,
                       const char **tail, lsql_error *out_err);
/* Returns a statement: to the cache if possible, else destroys it. */
void lsql__stmt_release(lsql_stmt *st);
void lsql__stmt_destroy(lsql_stmt *st);
int lsql__run_to_done(lsql_stmt *st, int64_t *changes, lsql_error *out);
int lsql__column_value(lsql_stmt *st, int col, lsql_value *out);
void lsql__rows_open(lsql_stmt *st);
int lsql__row_from_stmt(lsql_stmt *st, lsql_row **out);

/* ---- cache (cache.c) ---------------------------------------------------- */
uint64_t lsql__hash(const char *s, size_t n);
lsql_stmt *lsql__cache_take(lsql_stmt_cache *k, const char *sql, size_t n,
                            uint64_t h);
/* Takes the hot statement if its SQL is sql[0..n) (no hashing: repeated
 * one-shot calls of one statement hit here). */
lsql_stmt *lsql__cache_take_mru(lsql_stmt_cache *k, const char *sql, size_t n);
/* Parks an idle statement as the hot one (the previous hot one moves to the
 * LRU list); false when it cannot be held (the caller destroys it). */
bool lsql__cache_park(lsql_stmt_cache *k, lsql_stmt *st);
/* Puts an idle statement in the cache; returns false when it cannot be held
 * (the caller destroys it). */
bool lsql__cache_put(lsql_stmt_cache *k, lsql_stmt *st);
void lsql__cache_clear(lsql_stmt_cache *k);
int lsql__cache_set_capacity(lsql_stmt_cache *k, int cap);

/* ---- parameters (params.c) ---------------------------------------------- */
int lsql__bind_params(lsql_stmt *st, const lsql_param *p, size_t n,
                      int lifetime);
int lsql__find_param(const lsql_stmt *st, const char *name);

/* ---- values (value.c) --------------------------------------------------- */
int lsql__value_check(const lsql_value *v);

/* ---- URL (url.c) -------------------------------------------------------- */
int lsql__url_parse(const char *url, lsql_db_opts *o, char **path_owned,
                    lsql_error *e);
/* Percent-decodes s[0..n) into a new string (lsql__free it); NULL on a bad
 * escape (sets *bad) or out of memory. A decoded NUL byte is rejected too. */
char *lsql__pct_decode(const char *s, size_t n, bool *bad);
/* "on"/"true"/"1" or "off"/"false"/"0" (case-insensitive) into *on; false
 * for anything else. */
bool lsql__parse_onoff(const char *v, bool *on);

#endif
