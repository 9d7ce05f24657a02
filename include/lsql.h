/*
 * lsql.h -- the one public header of lsql, a C client library for SQLite and
 * libSQL databases.
 *
 * ---------------------------------------------------------------------------
 * CONVENTIONS (read once, they hold for every declaration below)
 * ---------------------------------------------------------------------------
 * Status.   Every function that can fail returns an int status: LSQL_OK (0) on
 *           success, LSQL_ROW / LSQL_DONE from stepping functions, otherwise an
 *           error code. Error codes are "extended": the low byte is the class
 *           (LSQL_CLASS(rc)), the upper bits refine it, exactly like SQLite's
 *           extended result codes. For errors that come from SQLite, the lsql
 *           code IS the SQLite extended code (LSQL_CONSTRAINT_UNIQUE == 2067).
 *           Codes are append-only: none is ever renumbered or removed.
 *
 * Errors.   Functions that take a trailing `lsql_error *err` accept NULL.
 *           When non-NULL it is filled on every call: on success err->code and
 *           err->ext_code are 0; on failure the whole struct is written and
 *           err->ext_code equals the return value. The struct belongs to the
 *           caller (stack is fine); the library never keeps a pointer to it.
 *           Each connection also keeps a copy of its last error
 *           (lsql_conn_errcode / lsql_conn_errmsg / lsql_conn_error).
 *
 * Handles.  lsql_db, lsql_conn, lsql_stmt, lsql_rows and lsql_row are opaque.
 *           Every handle carries a magic word that is checked on entry; a
 *           wrong or foreign handle gives LSQL_MISUSE rather than a crash (for
 *           pointers to live objects; a freed pointer is undefined behaviour,
 *           as everywhere in C). Destroy functions accept NULL.
 *           A parent owns its children: lsql_db_close() closes its
 *           connections, lsql_conn_close() finalizes its statements and rows.
 *           After a parent is closed its children's pointers are invalid.
 *
 * Strings.  Input strings are copied or used only during the call unless a
 *           declaration says otherwise. Output pointers are "borrowed" (owned
 *           by the library, valid for the lifetime stated at the declaration)
 *           or "owned" (the caller frees them with the function named there).
 *
 * Threads.  lsql is built thread-safe (lsql_threadsafe() returns 1). The
 *           contract is curl's: a connection (and every statement, rows
 *           handle and transaction it owns) is used by ONE thread at a time,
 *           and may move between threads between calls (hand it over with
 *           proper synchronisation, e.g. a mutex or a pool). Different
 *           connections, even of the same lsql_db, may be used concurrently
 *           from different threads. lsql_db_connect() may be called from
 *           several threads at once. lsql_db_close() must not race with any
 *           other use of that database or its connections. Global functions
 *           (lsql_set_allocator, lsql_set_log, lsql_initialize,
 *           lsql_shutdown) are not thread-safe and belong at program start
 *           and end. Functions documented "any thread" (none yet in this
 *           version besides the pure ones: lsql_errstr, lsql_errname,
 *           lsql_libversion*) may be called at any time.
 *
 * The header compiles as C99, C11 and C++ and needs only <stddef.h> and
 * <stdint.h>.
 */
#ifndef LSQL_H
#define LSQL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------- */
/* Export macro and version                                                  */
/* ------------------------------------------------------------------------- */

#if defined(LSQL_STATIC_DEFINE)
#define LSQL_API
#elif defined(_WIN32)
#ifdef LSQL_BUILDING
#define LSQL_API __declspec(dllexport)
#else
#define LSQL_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define LSQL_API __attribute__((visibility("default")))
#else
#define LSQL_API
#endif

#define LSQL_VERSION_MAJOR 0
#define LSQL_VERSION_MINOR 1
#define LSQL_VERSION_PATCH 0
#define LSQL_VERSION "0.1.0"
/* 0xMMmmpp: compare with LSQL_VERSION_NUM >= 0x000100 */
#define LSQL_VERSION_NUM                                                      \
    ((LSQL_VERSION_MAJOR << 16) | (LSQL_VERSION_MINOR << 8) | LSQL_VERSION_PATCH)
#define LSQL_AT_LEAST_VERSION(ma, mi, pa)                                     \
    (LSQL_VERSION_NUM >= (((ma) << 16) | ((mi) << 8) | (pa)))

/* Version string of the library actually linked ("0.1.0"). Static storage;
 * any thread; cannot fail. */
LSQL_API const char *lsql_libversion(void);
/* LSQL_VERSION_NUM of the library actually linked. Any thread. */
LSQL_API int lsql_libversion_number(void);
/* 1 when the library and the SQLite it uses are built thread-safe (the
 * thread contract above holds), 0 otherwise. Any thread. */
LSQL_API int lsql_threadsafe(void);

/* ------------------------------------------------------------------------- */
/* Result and error codes                                                    */
/* ------------------------------------------------------------------------- */

/* Class of a code: LSQL_CLASS(LSQL_CONSTRAINT_UNIQUE) == LSQL_CONSTRAINT. */
#define LSQL_CLASS(rc) ((rc) & 0xff)

/* Classes 0..28 mirror SQLite's primary result codes one to one. */
#define LSQL_OK 0
#define LSQL_ERROR 1        /* SQL error or missing database */
#define LSQL_INTERNAL 2     /* internal logic error */
#define LSQL_PERM 3         /* access permission denied */
#define LSQL_ABORT 4        /* callback requested an abort */
#define LSQL_BUSY 5         /* database file is locked (retryable) */
#define LSQL_LOCKED 6       /* a table in the database is locked */
#define LSQL_NOMEM 7        /* an allocation failed */
#define LSQL_READONLY 8     /* attempt to write a read-only database */
#define LSQL_INTERRUPTED 9  /* operation interrupted */
#define LSQL_IOERR 10       /* disk I/O error */
#define LSQL_CORRUPT 11     /* database disk image is malformed */
#define LSQL_NOTFOUND 12    /* unknown opcode / file control */
#define LSQL_FULL 13        /* database or disk is full */
#define LSQL_CANTOPEN 14    /* unable to open the database file */
#define LSQL_PROTOCOL 15    /* SQLite file-locking protocol error */
#define LSQL_SCHEMA 17      /* database schema changed */
#define LSQL_TOOBIG 18      /* string or blob exceeds a size limit */
#define LSQL_CONSTRAINT 19  /* constraint violation (see LSQL_CONSTRAINT_*) */
#define LSQL_MISMATCH 20    /* data type mismatch */
#define LSQL_MISUSE 21      /* library used incorrectly (see LSQL_MISUSE_*) */
#define LSQL_NOLFS 22       /* large file support missing */
#define LSQL_AUTH 23        /* authorization denied */
#define LSQL_FORMAT 24      /* not used by SQLite */
#define LSQL_RANGE 25       /* column or parameter index out of range */
#define LSQL_NOTADB 26      /* file is not a database */
#define LSQL_NOTICE 27
#define LSQL_WARNING 28

/* Classes 32..99 belong to lsql. */
#define LSQL_INVALID 32      /* bad argument, option, URL or SQL text */
#define LSQL_PARAM 33        /* parameter binding error (see LSQL_PARAM_*) */
#define LSQL_NOTSUP 34       /* not supported (in this mode / version) */
#define LSQL_NO_ROWS 35      /* query_one / query_value: the query gave no row */
#define LSQL_TOO_MANY_ROWS 36 /* query_one / query_value: more than one row */
#define LSQL_TXN 37          /* transaction state error (reserved) */
#define LSQL_HTTP 38         /* HTTP transport error (reserved: remote mode) */
#define LSQL_HRANA 39        /* libSQL protocol error (reserved: remote mode) */
#define LSQL_POOL 40         /* connection pool error (reserved: pool) */

/* Stepping results (not errors). */
#define LSQL_ROW 100  /* lsql_step / lsql_rows_next: a row is ready */
#define LSQL_DONE 101 /* no more rows; the statement has finished */

/* Extended codes passed through from SQLite (a selection; every other SQLite
 * extended code is passed through numerically as well). */
#define LSQL_BUSY_RECOVERY (LSQL_BUSY | (1 << 8))
#define LSQL_BUSY_SNAPSHOT (LSQL_BUSY | (2 << 8))
#define LSQL_BUSY_TIMEOUT (LSQL_BUSY | (3 << 8))
#define LSQL_LOCKED_SHAREDCACHE (LSQL_LOCKED | (1 << 8))
#define LSQL_IOERR_NOMEM (LSQL_IOERR | (12 << 8))
#define LSQL_READONLY_DBMOVED (LSQL_READONLY | (4 << 8))
#define LSQL_CONSTRAINT_CHECK (LSQL_CONSTRAINT | (1 << 8))
#define LSQL_CONSTRAINT_COMMITHOOK (LSQL_CONSTRAINT | (2 << 8))
#define LSQL_CONSTRAINT_FOREIGNKEY (LSQL_CONSTRAINT | (3 << 8))
#define LSQL_CONSTRAINT_FUNCTION (LSQL_CONSTRAINT | (4 << 8))
#define LSQL_CONSTRAINT_NOTNULL (LSQL_CONSTRAINT | (5 << 8))
#define LSQL_CONSTRAINT_PRIMARYKEY (LSQL_CONSTRAINT | (6 << 8))
#define LSQL_CONSTRAINT_TRIGGER (LSQL_CONSTRAINT | (7 << 8))
#define LSQL_CONSTRAINT_UNIQUE (LSQL_CONSTRAINT | (8 << 8))
#define LSQL_CONSTRAINT_VTAB (LSQL_CONSTRAINT | (9 << 8))
#define LSQL_CONSTRAINT_ROWID (LSQL_CONSTRAINT | (10 << 8))
#define LSQL_CONSTRAINT_PINNED (LSQL_CONSTRAINT | (11 << 8))
#define LSQL_CONSTRAINT_DATATYPE (LSQL_CONSTRAINT | (12 << 8))

/* lsql's own details on SQLite classes start at 64 so they never collide
 * with extended codes SQLite may add later. */
#define LSQL_MISUSE_HANDLE (LSQL_MISUSE | (64 << 8)) /* NULL/foreign/dead handle */
#define LSQL_MISUSE_CONN (LSQL_MISUSE | (65 << 8))   /* handle belongs to another connection */
#define LSQL_MISUSE_STATE (LSQL_MISUSE | (66 << 8))  /* call not allowed in this state */
#define LSQL_MISUSE_INIT (LSQL_MISUSE | (67 << 8))   /* global call after initialisation */

#define LSQL_INVALID_ARG (LSQL_INVALID | (1 << 8))    /* NULL or out-of-range argument */
#define LSQL_INVALID_URL (LSQL_INVALID | (2 << 8))    /* URL could not be parsed */
#define LSQL_INVALID_OPTION (LSQL_INVALID | (3 << 8)) /* unknown or bad option value */
#define LSQL_INVALID_SQL (LSQL_INVALID | (4 << 8))    /* empty SQL, or several statements where one is expected */
#define LSQL_INVALID_NAME (LSQL_INVALID | (5 << 8))   /* not a valid identifier */

#define LSQL_PARAM_MISSING (LSQL_PARAM | (1 << 8))   /* a parameter has no value */
#define LSQL_PARAM_UNKNOWN (LSQL_PARAM | (2 << 8))   /* a name matches no parameter */
#define LSQL_PARAM_DUPLICATE (LSQL_PARAM | (3 << 8)) /* a parameter is given twice */
#define LSQL_PARAM_COUNT (LSQL_PARAM | (4 << 8))     /* wrong number of positional values */
#define LSQL_PARAM_TYPE (LSQL_PARAM | (5 << 8))      /* value with an unknown type tag */

#define LSQL_NOTSUP_MODE (LSQL_NOTSUP | (1 << 8))    /* mode not available in this build/version */
#define LSQL_NOTSUP_BACKEND (LSQL_NOTSUP | (2 << 8)) /* call has no meaning for this mode */

/* Static English description of a code ("constraint violation: UNIQUE").
 * Never NULL; unknown codes give the text of their class, or "unknown
 * error". Any thread. */
LSQL_API const char *lsql_errstr(int code);
/* Static symbolic name ("LSQL_CONSTRAINT_UNIQUE"); unknown extended codes give
 * their class name; unknown classes "LSQL_UNKNOWN". Any thread. */
LSQL_API const char *lsql_errname(int code);

/* Error flags */
#define LSQL_ERRF_RETRYABLE 0x1u /* running the same call again may succeed */

/* Kind of a constraint violation (derived from the extended code). */
#define LSQL_CONSTRAINT_KIND_NONE 0
#define LSQL_CONSTRAINT_KIND_UNIQUE 1
#define LSQL_CONSTRAINT_KIND_PRIMARYKEY 2
#define LSQL_CONSTRAINT_KIND_FOREIGNKEY 3
#define LSQL_CONSTRAINT_KIND_CHECK 4
#define LSQL_CONSTRAINT_KIND_NOTNULL 5
#define LSQL_CONSTRAINT_KIND_OTHER 6

#define LSQL_ERRMSG_MAX 512
#define LSQL_ERRNAME_MAX 128

/* Caller-owned error details. All fields are written on every failed call;
 * on success only code and ext_code are set (to 0). */
typedef struct lsql_error {
    int code;            /* class: LSQL_CLASS(ext_code) */
    int ext_code;        /* the exact code the call returned */
    int sqlite_code;     /* raw SQLite extended result code, 0 if none */
    int http_status;     /* HTTP status of a remote call, 0 if none */
    int offset;          /* byte offset in the SQL of a syntax error, -1 if none */
    unsigned flags;      /* LSQL_ERRF_* */
    int constraint_kind; /* LSQL_CONSTRAINT_KIND_*, 0 when not a constraint */
    /* Name of the violated constraint where known: the index name for UNIQUE
     * and PRIMARY KEY violations (for example "users_email_idx" or
     * "sqlite_autoindex_users_1"), the constraint name (or expression) for
     * CHECK, "table.column" for NOT NULL. Empty otherwise. */
    char constraint_name[LSQL_ERRNAME_MAX];
    char message[LSQL_ERRMSG_MAX]; /* NUL-terminated, truncated if longer */
} lsql_error;

/* Sets *err to the success state (code 0, empty message, offset -1).
 * Cannot fail; NULL is ignored. */
LSQL_API void lsql_error_clear(lsql_error *err);

/* ------------------------------------------------------------------------- */
/* Global set-up: allocator, log, init                                       */
/* ------------------------------------------------------------------------- */

/* A memory allocator. malloc_fn/realloc_fn return NULL on failure; realloc_fn
 * with p == NULL acts as malloc_fn; free_fn(NULL) must be harmless. ctx is
 * passed back unchanged. The same allocator is routed to SQLite (through
 * SQLITE_CONFIG_MALLOC), so SQLite's memory comes from it too. */
typedef struct lsql_allocator {
    void *(*malloc_fn)(size_t size, void *ctx);
    void *(*realloc_fn)(void *p, size_t size, void *ctx);
    void (*free_fn)(void *p, void *ctx);
    void *ctx;
} lsql_allocator;

/* Installs `a` as the allocator of lsql and SQLite (NULL restores the
 * defaults). If `old` is non-NULL it receives the previous allocator. Must be
 * called before lsql_initialize() (explicit or implied by the first open) and
 * before anything else in the process has initialised SQLite; otherwise
 * returns LSQL_MISUSE_INIT and changes nothing. The struct is copied.
 * Not thread-safe. Returns LSQL_OK, LSQL_INVALID_ARG (a set but incomplete
 * table) or LSQL_MISUSE_INIT. */
LSQL_API int lsql_set_allocator(const lsql_allocator *a, lsql_allocator *old);

/* Allocates/frees memory with the installed allocator. Use lsql_free() for
 * every "owned" pointer the library hands out. lsql_free(NULL) is harmless.
 * Thread-safe. */
LSQL_API void *lsql_malloc(size_t size);
LSQL_API void lsql_free(void *p);

/* Log levels, most severe first. */
#define LSQL_LOG_ERROR 1
#define LSQL_LOG_WARN 2
#define LSQL_LOG_INFO 3
#define LSQL_LOG_DEBUG 4

/* Log callback: `msg` is borrowed for the duration of the call. May be called
 * from any thread that uses lsql; it must not call back into lsql. */
typedef void (*lsql_log_fn)(int level, const char *msg, void *ctx);

/* Installs the log callback (NULL disables logging; the default) receiving
 * messages at `max_level` and more severe. When the callback is set before
 * initialisation, SQLite's own log (SQLITE_CONFIG_LOG) is forwarded too:
 * warnings, notices, corruption and I/O errors at WARN; the rest (SQLite logs
 * every failed prepare and step, which lsql also returns to the caller) at
 * DEBUG. The library never prints. Not thread-safe: call it
 * at start-up. Returns LSQL_OK or LSQL_INVALID_ARG (bad level). */
LSQL_API int lsql_set_log(lsql_log_fn fn, int max_level, void *ctx);

/* Initialises lsql and SQLite. Called implicitly by the first
 * lsql_db_open(); calling it explicitly is only needed to make allocator and
 * log settings take effect at a known point. Idempotent. Not thread-safe
 * with itself or lsql_shutdown(). Returns LSQL_OK, LSQL_NOMEM or
 * LSQL_MISUSE_INIT (SQLite refused the allocator because another part of the
 * process initialised it first). */
LSQL_API int lsql_initialize(void);

/* Releases global resources (sqlite3_shutdown). Every database must be
 * closed first. Idempotent. Not thread-safe. Returns LSQL_OK or
 * LSQL_MISUSE_STATE when databases are still open. */
LSQL_API int lsql_shutdown(void);

/* ------------------------------------------------------------------------- */
/* Values and parameters                                                     */
/* ------------------------------------------------------------------------- */

/* Type tags. A zero-initialised lsql_value is NULL. Text and blob are always
 * distinct: text is UTF-8, blob is bytes, and nothing guesses between them. */
#define LSQL_TYPE_NULL 0
#define LSQL_TYPE_INTEGER 1
#define LSQL_TYPE_FLOAT 2
#define LSQL_TYPE_TEXT 3
#define LSQL_TYPE_BLOB 4

/* A value. For TEXT and BLOB, `u.bytes.p` points to `u.bytes.n` bytes; n
 * never counts a terminating NUL and text may contain embedded NULs. TEXT
 * values handed out by the library are also NUL-terminated after n bytes
 * (blobs are not, except in lsql_row and lsql_query_value copies); all are
 * borrowed for the lifetime stated by the function that produced them. An
 * empty blob may have p == NULL. */
typedef struct lsql_value {
    int type; /* LSQL_TYPE_* */
    union {
        int64_t i;
        double d;
        struct {
            const void *p;
            size_t n;
        } bytes;
    } u;
} lsql_value;

/* Value constructors (pure; the value borrows `p`). */
static inline lsql_value lsql_null(void)
{
    lsql_value v;
    v.type = LSQL_TYPE_NULL;
    v.u.i = 0;
    return v;
}
static inline lsql_value lsql_int(int64_t i)
{
    lsql_value v;
    v.type = LSQL_TYPE_INTEGER;
    v.u.i = i;
    return v;
}
static inline lsql_value lsql_float(double d)
{
    lsql_value v;
    v.type = LSQL_TYPE_FLOAT;
    v.u.d = d;
    return v;
}
/* Text of n bytes (UTF-8; may hold NULs). */
static inline lsql_value lsql_text(const char *p, size_t n)
{
    lsql_value v;
    v.type = LSQL_TYPE_TEXT;
    v.u.bytes.p = p;
    v.u.bytes.n = n;
    return v;
}
/* Text of a NUL-terminated string (p must not be NULL). */
LSQL_API lsql_value lsql_text_z(const char *p);
static inline lsql_value lsql_blob(const void *p, size_t n)
{
    lsql_value v;
    v.type = LSQL_TYPE_BLOB;
    v.u.bytes.p = p;
    v.u.bytes.n = n;
    return v;
}

/* Frees the bytes of a value that the library declared "owned" (only
 * lsql_query_value() produces those) and resets it to NULL. Never call it on
 * a borrowed value. NULL is ignored. */
LSQL_API void lsql_value_release(lsql_value *v);

/* A parameter: `name` NULL means positional. A name may be given with its
 * prefix (":id", "@id", "$id", "?3") or without (":", "@" and "$" are tried
 * in that order). "?N" matches only a numbered parameter written "?N" in the
 * SQL; anonymous "?" parameters are bound positionally. Both the name and the value are borrowed for the call. */
typedef struct lsql_param {
    const char *name;
    lsql_value value;
} lsql_param;

/* Parameter binding rules for every function taking (params, nparams):
 *  - positional entries bind indexes 1, 2, 3 ... in array order; named
 *    entries bind the parameter of that name; mixing is allowed;
 *  - when every entry is positional, nparams must equal the statement's
 *    parameter count: otherwise LSQL_PARAM_COUNT;
 *  - a name that matches no parameter: LSQL_PARAM_UNKNOWN;
 *  - two entries for one parameter (also ":a" and "a", or a positional entry
 *    and a name for the same slot): LSQL_PARAM_DUPLICATE;
 *  - a parameter left without a value: LSQL_PARAM_MISSING;
 * and the message names the parameter (":a", or "?2" for anonymous ones).
 * `params` may be NULL when nparams is 0. */

/* ------------------------------------------------------------------------- */
/* Databases and connections                                                 */
/* ------------------------------------------------------------------------- */

typedef struct lsql_db lsql_db;
typedef struct lsql_conn lsql_conn;
typedef struct lsql_stmt lsql_stmt;
typedef struct lsql_rows lsql_rows;
typedef struct lsql_row lsql_row;

/* Modes. There is no "guess": the mode is always explicit. */
#define LSQL_MODE_LOCAL 1   /* a SQLite database file (`path`) */
#define LSQL_MODE_MEMORY 2  /* an in-memory database */
#define LSQL_MODE_REMOTE 3  /* a libSQL server over HTTP (not yet: LSQL_NOTSUP_MODE) */
#define LSQL_MODE_REPLICA 4 /* embedded replica (not yet: LSQL_NOTSUP_MODE) */

/* Open flags. Zero gives every documented default. */
#define LSQL_DB_READONLY 0x0001u        /* open read-only */
#define LSQL_DB_NO_CREATE 0x0002u       /* fail if the file does not exist */
#define LSQL_DB_NO_WAL 0x0010u          /* keep the file's journal mode */
#define LSQL_DB_NO_FOREIGN_KEYS 0x0020u /* leave foreign_keys OFF */
#define LSQL_DB_NO_SYNC_NORMAL 0x0040u  /* keep synchronous=FULL in WAL */
#define LSQL_DB_NO_BUSY_TIMEOUT 0x0080u /* no busy timeout (fail at once) */
#define LSQL_DB_FULLMUTEX 0x0100u       /* SQLite's serialized mode per connection */
#define LSQL_DB_NO_TUNING 0x0200u       /* skip cache_size/secure_delete/temp_store tuning */
#define LSQL_DB_MEMORY_PRIVATE 0x0400u  /* MEMORY: one private database per connection */
#define LSQL_DB_NO_DEFAULTS 0x03f0u     /* every NO_* default off + FULLMUTEX */

/* Options of lsql_db_open(). Zero-initialise or call lsql_db_opts_init(),
 * then set what you need; zero means "default" for every field. Strings are
 * copied during lsql_db_open(). */
typedef struct lsql_db_opts {
    size_t struct_size; /* sizeof(lsql_db_opts) as the caller was compiled */
    int mode;           /* LSQL_MODE_*; required (0 is LSQL_INVALID_OPTION) */
    const char *path;   /* LOCAL/REPLICA: file path (plain path, not a URI) */
    const char *url;    /* REMOTE/REPLICA: server URL (reserved) */
    const char *auth_token; /* REMOTE/REPLICA: bearer token (reserved) */
    unsigned flags;     /* LSQL_DB_* */
    /* Busy timeout in ms applied to every connection; 0 = default 5000.
     * Disable with LSQL_DB_NO_BUSY_TIMEOUT. */
    uint32_t busy_timeout_ms;
    /* Page cache per connection in KiB; 0 = lsql's default (8192 KiB, chosen
     * by the benchmark in docs/PERFORMANCE.md). */
    uint32_t cache_size_kib;
    /* Statement-cache capacity per connection; 0 = default (64); a negative
     * value disables the cache. */
    int stmt_cache_capacity;
} lsql_db_opts;

/* Fills *opts with zeros, struct_size and mode = LSQL_MODE_LOCAL. */
LSQL_API void lsql_db_opts_init(lsql_db_opts *opts);

/* Opens a database description. For LOCAL the file is opened (and created
 * unless LSQL_DB_NO_CREATE/READONLY) once to validate it and apply the
 * persistent defaults (WAL). *out receives an owned handle, freed with
 * lsql_db_close(); it is NULL on failure.
 * Defaults applied on every connection of a LOCAL/MEMORY database (each can
 * be turned off by its flag): journal_mode=WAL for files; busy_timeout 5000
 * ms; foreign_keys=ON; synchronous=NORMAL when in WAL; SQLITE_OPEN_NOMUTEX
 * (a connection has one user at a time); cache_size 8192 KiB;
 * secure_delete=OFF (Debian builds SQLite with it ON); temp_store=MEMORY.
 * A MEMORY database is shared by all connections of the lsql_db and lives as
 * long as the lsql_db (even with no connection open); with
 * LSQL_DB_MEMORY_PRIVATE each connection has its own, gone at its close.
 * Errors: LSQL_INVALID_ARG/OPTION, LSQL_NOTSUP_MODE (REMOTE, REPLICA in this
 * version), LSQL_CANTOPEN, LSQL_NOTADB, LSQL_NOMEM, ... Thread-safe. */
LSQL_API int lsql_db_open(const lsql_db_opts *opts, lsql_db **out,
                          lsql_error *err);

/* Opens a database from a URL:
 *   ":memory:" or "file::memory:"      MEMORY
 *   "path/to/file.db"                  LOCAL (anything without a scheme)
 *   "file:path?key=value&..."          LOCAL, path percent-decoded
 *   "http://", "https://", "libsql://" REMOTE (LSQL_NOTSUP_MODE for now)
 * Query keys (unknown keys are LSQL_INVALID_OPTION, naming the key):
 *   busy_timeout=MS  cache_size=KIB  stmt_cache=N (-1 disables)
 *   foreign_keys=on|off  wal=on|off  synchronous=normal|default
 *   mode=ro|rw|rwc  memory=shared|private
 * `url` is borrowed for the call. Same result and errors as lsql_db_open. */
LSQL_API int lsql_db_open_url(const char *url, lsql_db **out, lsql_error *err);

/* Closes the database: closes every connection still open (rolling back
 * their transactions, finalizing their statements) and frees the handle.
 * Pointers to those connections and their children become invalid. NULL is
 * harmless. Returns LSQL_OK, LSQL_MISUSE_HANDLE for a foreign pointer, or the
 * first error met while closing children (the handle is freed anyway). Must
 * not race with any other use of the database. */
LSQL_API int lsql_db_close(lsql_db *db);

/* The database's mode (LSQL_MODE_*), or 0 for an invalid handle. */
LSQL_API int lsql_db_mode(const lsql_db *db);

/* Opens a new connection to `db`. *out receives an owned handle, freed with
 * lsql_conn_close() (or by lsql_db_close()). Thread-safe: several threads may
 * connect to one lsql_db at once. Errors: LSQL_MISUSE_HANDLE, LSQL_CANTOPEN,
 * LSQL_NOMEM, LSQL_BUSY (defaults could not be applied), ... */
LSQL_API int lsql_db_connect(lsql_db *db, lsql_conn **out, lsql_error *err);

/* Closes the connection: rolls back an open transaction, finalizes every
 * statement and rows handle it owns (their pointers become invalid) and
 * frees it. NULL is harmless. Returns LSQL_OK, LSQL_MISUSE_HANDLE, or the
 * error of the rollback or close (the connection is freed anyway). */
LSQL_API int lsql_conn_close(lsql_conn *conn);

/* The database a connection belongs to (borrowed), or NULL for an invalid
 * handle. */
LSQL_API lsql_db *lsql_conn_db(const lsql_conn *conn);

/* The connection's last error: code (extended; 0 after a successful call),
 * message (borrowed, valid until the next call on the connection; "" when
 * none), and a full copy into *out. lsql_conn_error returns LSQL_OK or
 * LSQL_MISUSE_HANDLE / LSQL_INVALID_ARG. These three leave the stored error
 * unchanged. */
LSQL_API int lsql_conn_errcode(const lsql_conn *conn);
LSQL_API const char *lsql_conn_errmsg(const lsql_conn *conn);
LSQL_API int lsql_conn_error(const lsql_conn *conn, lsql_error *out);

/* Escape hatch: the backend's native handle (for LOCAL/MEMORY a sqlite3*).
 * Borrowed: valid until lsql_conn_close(). Using it to change state behind
 * lsql's back (closing it, installing an authorizer) is undefined. Returns
 * LSQL_OK or LSQL_NOTSUP_BACKEND (no native SQLite handle in this mode). */
LSQL_API int lsql_conn_native_handle(lsql_conn *conn, void **out);

/* ------------------------------------------------------------------------- */
/* One-shot execution (through the statement cache)                          */
/* ------------------------------------------------------------------------- */

/* Runs ONE statement to completion, discarding any rows it returns. `sql` is
 * NUL-terminated and may end in whitespace, ';' and comments; a second
 * statement is LSQL_INVALID_SQL. Parameters follow the binding rules above
 * and are used during the call only. If `changes` is non-NULL it receives
 * sqlite3_changes() for INSERT/UPDATE/DELETE and 0 otherwise. The prepared
 * statement is taken from and returned to the connection's cache. */
LSQL_API int lsql_exec(lsql_conn *conn, const char *sql,
                       const lsql_param *params, size_t nparams,
                       int64_t *changes, lsql_error *err);

/* Prepares and binds a query and returns a rows handle that steps it lazily
 * (no row is read until lsql_rows_next). Text and blob parameters are copied,
 * so `params` may be freed after the call. *out is owned: free it with
 * lsql_rows_free(), which returns the statement to the cache. While a rows
 * handle is open its connection may run other statements. */
LSQL_API int lsql_query(lsql_conn *conn, const char *sql,
                        const lsql_param *params, size_t nparams,
                        lsql_rows **out, lsql_error *err);

/* Runs a query that must give exactly one row: *out receives an owned,
 * detached copy of it (free with lsql_row_free; it outlives the connection).
 * Zero rows: LSQL_NO_ROWS. More than one: LSQL_TOO_MANY_ROWS (it stops at the
 * second row and reads no further). *out is NULL on any error. */
LSQL_API int lsql_query_one(lsql_conn *conn, const char *sql,
                            const lsql_param *params, size_t nparams,
                            lsql_row **out, lsql_error *err);

/* Runs a query that must give exactly one row of exactly one column (else
 * LSQL_NO_ROWS, LSQL_TOO_MANY_ROWS, or LSQL_MISMATCH for a column count other
 * than 1) and stores the value in *out. Text/blob bytes are owned by *out:
 * release them with lsql_value_release(). */
LSQL_API int lsql_query_value(lsql_conn *conn, const char *sql,
                              const lsql_param *params, size_t nparams,
                              lsql_value *out, lsql_error *err);

/* As lsql_query_value() for an INTEGER result: a NULL or non-integer value is
 * LSQL_MISMATCH (no silent conversion). */
LSQL_API int lsql_query_int64(lsql_conn *conn, const char *sql,
                              const lsql_param *params, size_t nparams,
                              int64_t *out, lsql_error *err);

/* ------------------------------------------------------------------------- */
/* Rows (a streaming result)                                                 */
/* ------------------------------------------------------------------------- */

/* Steps to the next row: LSQL_ROW, LSQL_DONE, or an error. After LSQL_DONE
 * or an error, further calls return that same code without stepping again.
 * Values of the previous row become invalid. */
LSQL_API int lsql_rows_next(lsql_rows *rows, lsql_error *err);

/* Number of columns (known before the first row and for empty results);
 * 0 for an invalid handle. */
LSQL_API int lsql_rows_column_count(const lsql_rows *rows);

/* Column name / declared type; borrowed until lsql_rows_free. NULL for an
 * out-of-range column (or no declared type). */
LSQL_API const char *lsql_rows_column_name(const lsql_rows *rows, int col);
LSQL_API const char *lsql_rows_column_decltype(const lsql_rows *rows, int col);

/* Value of column `col` (0-based) of the current row. Text/blob bytes are
 * borrowed until the next lsql_rows_next or lsql_rows_free. Returns LSQL_OK,
 * LSQL_RANGE (bad column) or LSQL_MISUSE_STATE (no current row). */
LSQL_API int lsql_rows_get(lsql_rows *rows, int col, lsql_value *out);

/* Unchecked typed getters of the current row (SQLite's conversions apply).
 * Out-of-range columns give 0 / NULL. Pointers as for lsql_rows_get. */
LSQL_API int lsql_rows_type(lsql_rows *rows, int col);
LSQL_API int64_t lsql_rows_int64(lsql_rows *rows, int col);
LSQL_API double lsql_rows_double(lsql_rows *rows, int col);
LSQL_API const char *lsql_rows_text(lsql_rows *rows, int col, size_t *len);
LSQL_API const void *lsql_rows_blob(lsql_rows *rows, int col, size_t *len);

/* Frees the rows handle and returns its statement to the cache (or resets
 * the user's statement for lsql_query_stmt). NULL is harmless. */
LSQL_API void lsql_rows_free(lsql_rows *rows);

/* ------------------------------------------------------------------------- */
/* Detached rows (from lsql_query_one)                                       */
/* ------------------------------------------------------------------------- */

LSQL_API int lsql_row_column_count(const lsql_row *row);
/* Borrowed until lsql_row_free; NULL when out of range. */
LSQL_API const char *lsql_row_column_name(const lsql_row *row, int col);
/* Text/blob bytes borrowed until lsql_row_free. LSQL_OK or LSQL_RANGE. */
LSQL_API int lsql_row_get(const lsql_row *row, int col, lsql_value *out);
LSQL_API void lsql_row_free(lsql_row *row);

/* ------------------------------------------------------------------------- */
/* Prepared statements                                                       */
/* ------------------------------------------------------------------------- */

/* Prepare flags */
#define LSQL_PREPARE_CACHED 0x1u      /* take from / return to the statement cache */
#define LSQL_PREPARE_PERSISTENT 0x2u  /* hint: will be reused many times */
#define LSQL_PREPARE_ALLOW_EMPTY 0x4u /* empty SQL gives LSQL_OK and *out NULL */

/* Prepares the first statement of `sql` (nbytes < 0: NUL-terminated). If
 * `tail` is non-NULL it receives a pointer into `sql` just past that
 * statement. *out is an owned handle, freed with lsql_finalize (or by
 * lsql_conn_close). SQL with no statement (only whitespace/comments) is
 * LSQL_INVALID_SQL unless LSQL_PREPARE_ALLOW_EMPTY. Syntax errors give
 * LSQL_ERROR with err->offset set. */
LSQL_API int lsql_prepare(lsql_conn *conn, const char *sql, int nbytes,
                          unsigned flags, lsql_stmt **out, const char **tail,
                          lsql_error *err);

/* Bind lifetimes: LSQL_COPY (0, the default) copies the bytes now;
 * LSQL_STATIC borrows them until the statement is reset, re-bound or
 * finalized. */
#define LSQL_COPY 0
#define LSQL_STATIC 1

/* Binds a value to parameter `idx` (1-based). Returns LSQL_OK, LSQL_RANGE
 * (message names the index and the count), LSQL_TOOBIG, LSQL_NOMEM,
 * LSQL_MISUSE_STATE (the statement has an open rows handle or is running).
 * Each call also records the error on the connection. */
LSQL_API int lsql_bind_null(lsql_stmt *st, int idx);
LSQL_API int lsql_bind_int64(lsql_stmt *st, int idx, int64_t v);
LSQL_API int lsql_bind_double(lsql_stmt *st, int idx, double v);
LSQL_API int lsql_bind_text(lsql_stmt *st, int idx, const char *p, size_t n,
                            int lifetime);
LSQL_API int lsql_bind_blob(lsql_stmt *st, int idx, const void *p, size_t n,
                            int lifetime);
LSQL_API int lsql_bind_value(lsql_stmt *st, int idx, const lsql_value *v,
                             int lifetime);
/* Binds by name, with or without prefix: LSQL_PARAM_UNKNOWN if none matches. */
LSQL_API int lsql_bind_named(lsql_stmt *st, const char *name,
                             const lsql_value *v, int lifetime);
/* Clears all bindings and binds an array under the binding rules above. */
LSQL_API int lsql_bind_params(lsql_stmt *st, const lsql_param *params,
                              size_t nparams, int lifetime, lsql_error *err);

/* Steps: LSQL_ROW (read columns), LSQL_DONE, or an error. */
LSQL_API int lsql_step(lsql_stmt *st, lsql_error *err);
/* Resets to run again; bindings are kept. Returns LSQL_OK or
 * LSQL_MISUSE_*. (Unlike sqlite3_reset it does not repeat the last step's
 * error.) */
LSQL_API int lsql_reset(lsql_stmt *st);
/* Sets every parameter back to NULL. */
LSQL_API int lsql_clear_bindings(lsql_stmt *st);
/* Frees the statement (a LSQL_PREPARE_CACHED one goes back to the cache,
 * reset and cleared). NULL is harmless. Returns LSQL_OK or
 * LSQL_MISUSE_HANDLE. */
LSQL_API int lsql_finalize(lsql_stmt *st);

/* Binds `params` (binding rules above; used during the call only), runs the
 * statement to completion and resets it. `conn` must be the statement's own
 * connection, else LSQL_MISUSE_CONN. `changes` as for lsql_exec. */
LSQL_API int lsql_exec_stmt(lsql_conn *conn, lsql_stmt *st,
                            const lsql_param *params, size_t nparams,
                            int64_t *changes, lsql_error *err);
/* Binds `params` (copied) and returns a rows handle over the statement; the
 * statement is busy (LSQL_MISUSE_STATE) until lsql_rows_free, which resets
 * it. `conn` must be the statement's own connection, else LSQL_MISUSE_CONN. */
LSQL_API int lsql_query_stmt(lsql_conn *conn, lsql_stmt *st,
                             const lsql_param *params, size_t nparams,
                             lsql_rows **out, lsql_error *err);

/* Columns of the current row (after LSQL_ROW). Same contracts as the
 * lsql_rows_* getters; pointers are borrowed until the next step, reset or
 * finalize. Names and declared types are available right after prepare. */
LSQL_API int lsql_column_count(const lsql_stmt *st);
LSQL_API const char *lsql_column_name(const lsql_stmt *st, int col);
LSQL_API const char *lsql_column_decltype(const lsql_stmt *st, int col);
/* Origin of a result column that comes straight from a table column: table
 * name and column name (NULL for expressions). */
LSQL_API const char *lsql_column_table(const lsql_stmt *st, int col);
LSQL_API const char *lsql_column_origin(const lsql_stmt *st, int col);
LSQL_API int lsql_column_value(lsql_stmt *st, int col, lsql_value *out);
LSQL_API int lsql_column_type(lsql_stmt *st, int col);
LSQL_API int64_t lsql_column_int64(lsql_stmt *st, int col);
LSQL_API double lsql_column_double(lsql_stmt *st, int col);
LSQL_API const char *lsql_column_text(lsql_stmt *st, int col, size_t *len);
LSQL_API const void *lsql_column_blob(lsql_stmt *st, int col, size_t *len);

/* Parameters: count (largest index); name of index idx (1-based, with its
 * prefix: ":id", "?3"; NULL for anonymous "?" or out of range; borrowed until
 * finalize); index of a name given with or without prefix (0 if none). */
LSQL_API int lsql_param_count(const lsql_stmt *st);
LSQL_API const char *lsql_param_name(const lsql_stmt *st, int idx);
LSQL_API int lsql_param_index(const lsql_stmt *st, const char *name);

/* The statement's SQL text (borrowed until finalize) and its connection. */
LSQL_API const char *lsql_stmt_sql(const lsql_stmt *st);
LSQL_API lsql_conn *lsql_stmt_conn(const lsql_stmt *st);

/* Statement kinds, as SQLite's compiler sees them (an authorizer records the
 * actions it reports while the statement is prepared; nothing is guessed from
 * the text). A few statements give the compiler nothing to report: VACUUM,
 * REINDEX when there is no index to rebuild, and DDL that compiles to a no-op
 * (DROP ... IF EXISTS of a missing object, CREATE ... IF NOT EXISTS of an
 * existing one); for those alone the leading keyword decides (VACUUM,
 * REINDEX, DROP, CREATE). */
#define LSQL_KIND_OTHER 0
#define LSQL_KIND_SELECT 1
#define LSQL_KIND_INSERT 2
#define LSQL_KIND_UPDATE 3
#define LSQL_KIND_DELETE 4
#define LSQL_KIND_CREATE 5      /* CREATE TABLE/INDEX/VIEW/TRIGGER/VIRTUAL TABLE */
#define LSQL_KIND_DROP 6
#define LSQL_KIND_ALTER 7
#define LSQL_KIND_TRANSACTION 8 /* BEGIN, COMMIT, END, ROLLBACK */
#define LSQL_KIND_SAVEPOINT 9   /* SAVEPOINT, RELEASE, ROLLBACK TO */
#define LSQL_KIND_PRAGMA 10
#define LSQL_KIND_ATTACH 11
#define LSQL_KIND_DETACH 12
#define LSQL_KIND_ANALYZE 13
#define LSQL_KIND_REINDEX 14
#define LSQL_KIND_VACUUM 15

typedef struct lsql_stmt_info {
    size_t struct_size; /* set by the caller: sizeof(lsql_stmt_info) */
    int kind;           /* LSQL_KIND_* */
    int returns_rows;   /* 1 if the statement has result columns (SELECT,
                           PRAGMA with output, ... RETURNING) */
    int readonly;       /* sqlite3_stmt_readonly(): does not write the db */
    int is_explain;     /* 1 = EXPLAIN, 2 = EXPLAIN QUERY PLAN */
    int column_count;
    int param_count;
} lsql_stmt_info;

/* Classifies a prepared statement. Fills the fields that fit in
 * out->struct_size. Returns LSQL_OK, LSQL_MISUSE_HANDLE or
 * LSQL_INVALID_ARG. */
LSQL_API int lsql_stmt_info_get(const lsql_stmt *st, lsql_stmt_info *out);

/* ------------------------------------------------------------------------- */
/* Statement cache                                                           */
/* ------------------------------------------------------------------------- */

typedef struct lsql_cache_stats {
    size_t struct_size; /* set by the caller */
    int capacity;       /* 0 when disabled */
    int size;           /* idle statements held */
    uint64_t hits;
    uint64_t misses;
    uint64_t evictions;
} lsql_cache_stats;

/* Reads the connection's cache counters. LSQL_OK / LSQL_MISUSE_HANDLE /
 * LSQL_INVALID_ARG. */
LSQL_API int lsql_stmt_cache_stats(const lsql_conn *conn, lsql_cache_stats *out);
/* Sets the capacity (0 disables and empties the cache; shrinking evicts the
 * least recently used statements). LSQL_INVALID_ARG for < 0. */
LSQL_API int lsql_stmt_cache_set_capacity(lsql_conn *conn, int capacity);
/* Finalizes every idle cached statement (counters are kept). */
LSQL_API int lsql_stmt_cache_clear(lsql_conn *conn);

/* ------------------------------------------------------------------------- */
/* Connection metadata                                                       */
/* ------------------------------------------------------------------------- */

#define LSQL_TXN_NONE 0  /* no transaction */
#define LSQL_TXN_READ 1  /* a read transaction is open */
#define LSQL_TXN_WRITE 2 /* a write transaction is open */

/* Each returns LSQL_OK and writes *out, or LSQL_MISUSE_HANDLE /
 * LSQL_INVALID_ARG, or LSQL_NOTSUP_BACKEND where a mode has no such value. */
LSQL_API int lsql_last_insert_rowid(lsql_conn *conn, int64_t *out);
LSQL_API int lsql_changes(lsql_conn *conn, int64_t *out);
LSQL_API int lsql_total_changes(lsql_conn *conn, int64_t *out);
LSQL_API int lsql_is_autocommit(lsql_conn *conn, int *out);
LSQL_API int lsql_txn_state(lsql_conn *conn, int *out);

/* ------------------------------------------------------------------------- */
/* Transactions, savepoints, batches, cursors, reset                          */
/* ------------------------------------------------------------------------- */
/* [section: txn] */

/* ------------------------------------------------------------------------- */
/* Connection control, PRAGMA helpers, tuning, hooks, functions, extensions,  */
/* backup                                                                    */
/* ------------------------------------------------------------------------- */
/* [section: control] */

#ifdef __cplusplus
}
#endif

#endif /* LSQL_H */
