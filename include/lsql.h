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
 *           and end. Functions documented "any thread" may be called at any
 *           time from any thread: the pure ones (lsql_errstr, lsql_errname,
 *           lsql_libversion*) and lsql_conn_interrupt, which may race with
 *           every call on its connection except lsql_conn_close.
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

/* Remote mode (HTTP transport). The error's http_status holds the status of
 * the answer when there was one. LSQL_ERRF_RETRYABLE is set on CONNECT,
 * TIMEOUT, IO, RATE_LIMITED and UNAVAILABLE. */
#define LSQL_HTTP_CONNECT (LSQL_HTTP | (1 << 8))   /* could not connect (refused, unreachable, DNS): nothing was sent */
#define LSQL_HTTP_TIMEOUT (LSQL_HTTP | (2 << 8))   /* connect or request timeout */
#define LSQL_HTTP_IO (LSQL_HTTP | (3 << 8))        /* connection reset or closed during the exchange */
#define LSQL_HTTP_TLS (LSQL_HTTP | (4 << 8))       /* TLS handshake or certificate verification failed */
#define LSQL_HTTP_STATUS (LSQL_HTTP | (5 << 8))    /* the server answered with an unexpected HTTP status */
#define LSQL_HTTP_TOO_LARGE (LSQL_HTTP | (6 << 8)) /* response larger than the configured limit */
#define LSQL_HTTP_RATE_LIMITED (LSQL_HTTP | (7 << 8)) /* HTTP 429 */
#define LSQL_HTTP_UNAVAILABLE (LSQL_HTTP | (8 << 8))  /* HTTP 502, 503 or 504 */
/* Remote mode (libSQL protocol). */
#define LSQL_HRANA_PROTOCOL (LSQL_HRANA | (1 << 8)) /* malformed or inconsistent response from the server */
#define LSQL_HRANA_SERVER (LSQL_HRANA | (2 << 8))   /* the server refused the request as a protocol error */
#define LSQL_HRANA_STREAM_EXPIRED (LSQL_HRANA | (3 << 8)) /* the server's stream expired */
#define LSQL_HRANA_VERSION (LSQL_HRANA | (4 << 8))  /* no Hrana version that both sides speak */
/* The server refused the credentials (HTTP 401/403). */
#define LSQL_AUTH_REMOTE (LSQL_AUTH | (64 << 8))

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
 * table) or LSQL_MISUSE_INIT.
 * Memory of the libraries remote mode uses is not routed through it:
 * libcurl allocates with malloc, and the JSON parser jansson with its own
 * functions. At its first JSON decode lsql installs jansson allocation
 * functions (json_set_alloc_funcs) that are malloc/free except during lsql's
 * own decodes, where a per-thread arena replaces thousands of small
 * allocations -- but only if jansson still has its default functions: an
 * application that gives jansson its own must do so before its first
 * remote call, and lsql then uses them. */
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
#define LSQL_MODE_REMOTE 3  /* a libSQL server over HTTP (`url`; see "Remote mode" below) */
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
#define LSQL_DB_MEMORY_SHARED 0x0400u   /* MEMORY: one database shared by all connections */
#define LSQL_DB_TLS_NO_VERIFY 0x1000u   /* REMOTE: do not verify the server's certificate */
#define LSQL_DB_HTTP2 0x2000u           /* REMOTE: offer HTTP/2 (TLS: ALPN; clear text: no) */
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
    /* LOCAL/MEMORY: extra SQLite open flags OR-ed into every connection's
     * open (LSQL_OPEN_* in the control section); 0 = none. Other bits are
     * LSQL_INVALID_OPTION. */
    int sqlite_open_flags;
    /* REMOTE (0 or NULL = default for each) */
    uint32_t connect_timeout_ms; /* TCP + TLS connect; default 10000 */
    uint32_t request_timeout_ms; /* one whole request; default 30000 (cursors: time
                                    without any byte received) */
    const char *tls_ca_file;     /* CA bundle file; default: the system's */
    const char *tls_ca_path;     /* CA directory; default: the system's */
    size_t max_response_bytes;   /* largest response body accepted; default 64 MiB */
    /* Automatic retries of a failed request where it is safe (see the
     * remote section): retries after the first attempt (default 3, -1 =
     * never), with full-jitter exponential backoff from retry_base_ms
     * (default 50) up to retry_max_ms (default 2000) per wait. */
    int retry_max;
    uint32_t retry_base_ms;
    uint32_t retry_max_ms;
    int hrana_version; /* 0 = negotiate (v3 when offered, else v2); 2 or 3 forces it
                          (URL: hrana=2|3) */
    /* REMOTE: the encoding of Hrana 3 bodies (see "Remote mode").
     * 0 = negotiate (default): protobuf when the server offers it (POST
     * /v3-protobuf/pipeline), else JSON (Hrana 3, else Hrana 2).
     * LSQL_HRANA_JSON forces JSON (Hrana 3 or 2). LSQL_HRANA_PROTOBUF forces
     * protobuf: lsql_db_open fails with LSQL_HRANA_VERSION when the server
     * lacks it, and with LSQL_INVALID_OPTION together with hrana_version 2
     * (Hrana 2 is JSON only). Other values: LSQL_INVALID_OPTION. URL:
     * encoding=json|protobuf. lsql_db_opts_get reports the encoding in use.
     * Added at the end of the struct: callers compiled without it (a
     * smaller struct_size) get the default. */
    int hrana_encoding;
} lsql_db_opts;

/* Values of lsql_db_opts.hrana_encoding (0 = negotiate). */
#define LSQL_HRANA_JSON 1
#define LSQL_HRANA_PROTOBUF 2

/* lsql_db_opts_init(opts): fills *opts with zeros, struct_size and mode =
 * LSQL_MODE_LOCAL. It is a macro passing sizeof *opts -- the size of the
 * struct the caller was compiled with -- to lsql_db_opts_init_sized, which
 * writes only that many bytes: a program built against an older, smaller
 * lsql_db_opts and run with a newer library is never written past its
 * struct (the library then reads only what struct_size covers). A NULL
 * opts, or a size too small to hold struct_size, is ignored. */
LSQL_API void lsql_db_opts_init_sized(lsql_db_opts *opts, size_t size);
#define lsql_db_opts_init(opts) lsql_db_opts_init_sized((opts), sizeof *(opts))

/* Opens a database description. For LOCAL the file is opened (and created
 * unless LSQL_DB_NO_CREATE/READONLY) once to validate it and apply the
 * persistent defaults (WAL). *out receives an owned handle, freed with
 * lsql_db_close(); it is NULL on failure.
 * Defaults applied on every connection of a LOCAL/MEMORY database (each can
 * be turned off by its flag): journal_mode=WAL for files; busy_timeout 5000
 * ms; foreign_keys=ON; synchronous=NORMAL when in WAL; SQLITE_OPEN_NOMUTEX
 * (a connection has one user at a time); cache_size 8192 KiB;
 * secure_delete=OFF (Debian builds SQLite with it ON); temp_store=MEMORY.
 * MEMORY follows SQLite's ":memory:": each connection has its own private
 * database, gone at its close (fastest: no locking at all). With
 * LSQL_DB_MEMORY_SHARED (URL "memory=shared") all connections of the lsql_db
 * share one in-memory database (SQLite's memdb VFS), which lives as long as
 * the lsql_db even with no connection open; it costs each statement a lock
 * and a change check (about 18% on a point SELECT, docs/PERFORMANCE.md). Use
 * it when several connections (a pool) must see the same data.
 * REMOTE: `url` names the server (http://, https://, libsql:// = https://)
 * and `auth_token` its bearer token; opening checks the server (protocol
 * version, encoding and credentials: one request on a server with Hrana 3
 * protobuf), see "Remote mode" below.
 * Errors: LSQL_INVALID_ARG/OPTION, LSQL_NOTSUP_MODE (REPLICA in this
 * version), LSQL_CANTOPEN, LSQL_NOTADB, LSQL_NOMEM; REMOTE: LSQL_INVALID_URL,
 * LSQL_HTTP_* (server unreachable...), LSQL_AUTH_REMOTE (token refused),
 * LSQL_HRANA_VERSION (not a libSQL server, or not one with the version or
 * encoding that was forced). Thread-safe. */
LSQL_API int lsql_db_open(const lsql_db_opts *opts, lsql_db **out,
                          lsql_error *err);

/* Opens a database from a URL:
 *   ":memory:" or "file::memory:"      MEMORY
 *   "path/to/file.db"                  LOCAL (anything without a scheme)
 *   "file:path?key=value&..."          LOCAL, path percent-decoded
 *   "http://", "https://", "libsql://" REMOTE ("libsql://" is https://)
 * Query keys (unknown keys are LSQL_INVALID_OPTION, naming the key):
 *   busy_timeout=MS  cache_size=KIB  stmt_cache=N (-1 disables)
 *   foreign_keys=on|off  wal=on|off  synchronous=normal|default
 *   mode=ro|rw|rwc  memory=shared|private
 * REMOTE query keys: authToken=TOKEN  tls=0 (libsql:// over plain http)
 *   timeout=MS (request)  connect_timeout=MS  max_response=BYTES
 *   retries=N  hrana=2|3  encoding=json|protobuf  http2=on  tls_verify=off
 *   ca_file=PATH  ca_path=DIR  stmt_cache=N
 * (a URL option wins over the same option of the struct)
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

/* Copies the options `db` was opened with into *out (after URL parsing,
 * with defaults filled in: busy_timeout_ms, cache_size_kib and
 * stmt_cache_capacity hold the values in use, -1 for a disabled statement
 * cache), e.g. to open a second database on the same file with other flags.
 * Set out->struct_size first: only the fields that fit are written. The
 * strings (path; url, auth_token: reserved) are borrowed from `db`, valid
 * until lsql_db_close(db); path is NULL for MEMORY. REMOTE: hrana_version
 * and hrana_encoding hold the protocol version (2 or 3) and encoding
 * (LSQL_HRANA_JSON or LSQL_HRANA_PROTOBUF) chosen at open. Returns LSQL_OK,
 * LSQL_MISUSE_HANDLE, or LSQL_INVALID_ARG (NULL out or struct_size too
 * small). Thread-safe. */
LSQL_API int lsql_db_opts_get(const lsql_db *db, lsql_db_opts *out);

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
/* ------------------------------------------------------------------------- */
/* Remote mode                                                               */
/* ------------------------------------------------------------------------- */
/* [section: remote]
 * A REMOTE database is a libSQL server (sqld, Turso, lsqld) spoken to over
 * HTTP with the Hrana protocol (version 3 when the server offers it, else
 * 2). Every function of this header keeps its meaning; what differs:
 *
 * Protocol and encoding. Hrana 3 has two encodings of the same messages:
 * protobuf (POST /v3-protobuf/pipeline and /v3-protobuf/cursor, content
 * type application/x-protobuf; cheaper for both sides to write and read)
 * and JSON (/v3/...); Hrana 2 is JSON only. lsql_db_open tries, in order,
 * Hrana 3 protobuf, Hrana 3 JSON, Hrana 2, each with a request that opens
 * and closes a stream (which also checks the token), and keeps the first
 * the server answers: one request on a server with protobuf (lsqld, sqld),
 * two on a JSON-only Hrana 3 server, three on a Hrana 2 server. An endpoint
 * the server lacks (HTTP 404, 405, 415, 501) moves on to the next; any
 * other failure (401, 5xx, unreachable) fails the open. hrana_version and
 * hrana_encoding (URL: hrana=2|3, encoding=json|protobuf) restrict the
 * choice -- then one request --; forcing an encoding or version the server
 * lacks is LSQL_HRANA_VERSION, protobuf with Hrana 2 LSQL_INVALID_OPTION.
 * lsql_db_opts_get tells what was chosen. Both encodings behave the same
 * for the application. The Error body of an HTTP error answer is read by
 * its content type, JSON or protobuf (sqld answers stream errors on its
 * protobuf endpoints with a protobuf Error and HTTP 500; a stream error
 * -- STREAM_EXPIRED, BATON_* -- is treated alike whatever the status).
 *
 * Connections. Each lsql_conn has its own HTTP connection (libcurl, kept
 * alive) and at most one server "stream" (a server-side connection). No
 * network traffic happens at lsql_db_connect; the first request opens the
 * stream. lsql_conn_close closes the stream (the server rolls back an open
 * transaction).
 *
 * Statements. lsql_prepare (and the first use of a SQL text through the
 * statement cache) asks the server to describe the statement: parameters,
 * columns, read-only -- one round trip -- and stores its SQL on the stream
 * (store_sql), so that executions send only its id. The first
 * lsql_step/lsql_rows_next executes it (one round trip) and receives the
 * whole result; later steps read rows already received. A query's runtime
 * error therefore appears at the first step, before any row. Results larger
 * than max_response_bytes fail with LSQL_HTTP_TOO_LARGE: use a cursor.
 *
 * Cursors (lsql_cursor_open) stream their rows with POST /v3/cursor (or
 * /v3-protobuf/cursor): rows are handed out while the answer is still
 * arriving and memory stays flat whatever the size of the result (Hrana 3;
 * on a Hrana 2 server the rows are fetched whole); one row larger than
 * max_response_bytes fails with LSQL_HTTP_TOO_LARGE. If another request is
 * made on the same connection while a cursor is streaming, the rest of the
 * cursor's rows is read into memory first.
 *
 * Batches. lsql_batch_run and lsql_script_run send ONE request (a Hrana
 * batch with conditions: one round trip) and give the same per-step results
 * and failing step as in local mode. A script is split into statements on
 * the client with SQLite's tokenizer. Batch steps are not described: a
 * parameter error comes back from the server as LSQL_PARAM_COUNT or
 * LSQL_PARAM rather than naming the parameter.
 *
 * Transactions are held on the connection's stream. The server expires a
 * stream left idle (sqld and lsqld: 10 s): outside a transaction lsql then
 * opens a new stream silently; inside one every call fails with
 * LSQL_TXN_LOST (the server has rolled the work back) until the application
 * rolls back (lsql_rollback, or a ROLLBACK statement through lsql_exec or a
 * prepared statement, succeeds at once -- also when the ROLLBACK itself is
 * the first request to find the stream gone, so lsql_conn_reset and a
 * pool's release leave such a connection clean; a script or batch fails
 * with LSQL_TXN_LOST). The same holds when the connection breaks during a
 * transaction or the server restarts; where the stream is unreachable
 * rather than known gone (a timeout, a reset), the server rolls the work
 * back when it expires the stream. A failure that cannot have reached the
 * stream -- connection refused, HTTP 429 or 503 (lsqld sends them only
 * before it reads a request) -- does not lose the transaction: the call
 * fails, retryable, and may be run again on the same stream (a COMMIT or
 * ROLLBACK included). Behind a proxy that answers 503 after forwarding a
 * request, such a retry finds the stream moved on and reports
 * LSQL_TXN_LOST, though the first attempt may have been applied.
 *
 * Errors carry the HTTP status in lsql_error.http_status. Statement errors
 * keep their SQLite class (LSQL_CONSTRAINT_UNIQUE...) and constraint kind;
 * constraint_name holds the "table.column" list of the server's message
 * (the server does not name the index). Transport failures: LSQL_HTTP_*;
 * protocol failures: LSQL_HRANA_*; refused token: LSQL_AUTH_REMOTE.
 *
 * Retries. A failed request is sent again automatically, up to retry_max
 * times with full-jitter exponential backoff (retry_base_ms doubling up to
 * retry_max_ms; a Retry-After header is honoured), only when that is safe:
 * outside a transaction, and either the request cannot have been applied
 * (connection refused, HTTP 429 or 503) or every statement in it is
 * read-only (connection reset, timeout, 502, 504). Batches are never resent
 * after a transient failure. LSQL_ERRF_RETRYABLE tells the application
 * whether its own retry may help. (Below lsql, libcurl itself sends a
 * request once more when a kept-alive connection turns out to be closed
 * before any byte of the answer arrived -- the common case of a server
 * closing an idle connection; only a server that closes a connection after
 * running a request without answering can see such a request twice.)
 *
 * No remote meaning (LSQL_NOTSUP_BACKEND): lsql_conn_native, hooks,
 * authorizer, progress handler, user functions, extensions, backup,
 * checkpoint, busy timeout, limits, db_config, cache flush, transaction
 * state (lsql_conn_txn_state). lsql_column_table / lsql_column_origin give
 * NULL. lsql_conn_changes / last_insert_rowid / total_changes report what
 * this connection's statements did, as the server returned it.
 * lsql_conn_interrupt aborts the request in progress (within about 100 ms)
 * or the wait before an automatic retry; as in local mode, an interrupt
 * while no call runs on the connection has no effect on the next call;
 * an interrupted request inside a transaction loses the transaction
 * (LSQL_TXN_LOST), since the server may or may not have run it. */

/* [section: txn] */
/* Handles of this section (opaque, magic-checked like the others).
 * Threads: transaction handles and cursors belong to their connection and
 * follow its rule (one thread at a time, with everything the connection
 * owns). Batches, batch results and their row sets are independent of any
 * connection: a batch may be run by several threads at once (on different
 * connections) while nobody adds to it; results and row sets may be read
 * by several threads at once; freeing must not race with any other use. */
typedef struct lsql_txn lsql_txn;                   /* a transaction */
typedef struct lsql_batch lsql_batch;               /* a list of statements */
typedef struct lsql_batch_result lsql_batch_result; /* per-step results */
typedef struct lsql_rowset lsql_rowset;             /* detached rows */
typedef struct lsql_cursor lsql_cursor;             /* a paging cursor */

/* Codes of this section. The LSQL_TXN class:                               */
#define LSQL_TXN_ACTIVE (LSQL_TXN | (1 << 8))    /* a transaction is already open on the connection */
#define LSQL_TXN_DONE (LSQL_TXN | (2 << 8))      /* the handle's transaction has already ended */
#define LSQL_TXN_ENDED (LSQL_TXN | (3 << 8))     /* the transaction was ended behind its handle */
#define LSQL_TXN_SAVEPOINT (LSQL_TXN | (4 << 8)) /* no open savepoint of that name */
#define LSQL_TXN_SKIPPED (LSQL_TXN | (5 << 8))   /* batch step not run: an earlier step failed */
#define LSQL_TXN_LOST (LSQL_TXN | (6 << 8))      /* remote: the stream holding the transaction was lost */
/* ... and one detail of a SQLite class (lsql's details start at 64): */
#define LSQL_READONLY_TXN (LSQL_READONLY | (64 << 8)) /* write inside a READ_ONLY transaction */

/* ---- Transactions ---------------------------------------------------------
 *
 * lsql_begin() opens a transaction on a connection and returns a handle for
 * it. The statements of the transaction are run on the connection as usual
 * (lsql_exec, lsql_query, prepared statements, batches, cursors): whatever
 * the connection runs until the transaction ends belongs to it. A connection
 * has at most one transaction.
 *
 * The handle belongs to its connection, like a statement: free it with
 * lsql_txn_free() (which rolls back a transaction still open);
 * lsql_conn_close() and lsql_db_close() roll back and free the handles still
 * held, after which their pointers are invalid. A handle whose transaction
 * has ended (committed, rolled back, or by lsql_conn_reset) stays valid until
 * it is freed and answers LSQL_TXN_DONE.
 *
 * Calls that act on a transaction take the connection AND the handle; a
 * handle of another connection is LSQL_MISUSE_CONN (nothing is run).
 *
 * End a transaction through its handle. If it ends behind the handle's back
 * -- a COMMIT or ROLLBACK statement, or SQLite rolling it back by itself
 * after certain errors (ON CONFLICT ROLLBACK, RAISE(ROLLBACK), SQLITE_FULL,
 * some I/O errors) -- the next call on the handle reports LSQL_TXN_ENDED and
 * finishes the handle (lsql cannot tell a COMMIT statement from a rollback,
 * so lsql_commit never reports success for it). For a READ_ONLY transaction,
 * writes stay refused until that call.
 *
 * Retryable errors (LSQL_ERRF_RETRYABLE in err->flags) in and around
 * transactions. The flag means "running the same call again, unchanged, may
 * succeed":
 *  - LSQL_BUSY / LSQL_BUSY_TIMEOUT / LSQL_LOCKED from lsql_begin (IMMEDIATE,
 *    EXCLUSIVE), from a statement outside any transaction, or from the first
 *    statement of a transaction that has not read yet (no snapshot taken):
 *    retryable -- nothing was done, wait and run the call again;
 *  - LSQL_BUSY from lsql_commit: retryable; the transaction is still open and
 *    lsql_commit may be called again (or lsql_rollback);
 *  - LSQL_BUSY_SNAPSHOT: never retryable. Another connection committed since
 *    this transaction took its snapshot; the transaction can no longer write:
 *    roll it back and run it again from the start;
 *  - LSQL_BUSY on a write in a transaction that has already read (it holds a
 *    read snapshot, lsql_txn_state() == LSQL_TXN_READ; outside a transaction
 *    the same holds while an unfinished query of the connection keeps a
 *    snapshot -- finish or free it first): not retryable -- the
 *    other writer will almost always commit, after which the retry can only
 *    give LSQL_BUSY_SNAPSHOT (and in rollback-journal mode the two
 *    connections wait for each other). Roll back and restart.
 * A transaction that reads and then writes avoids both of the last cases
 * when it begins with LSQL_BEGIN_IMMEDIATE: it then waits for the write lock
 * (busy_timeout) at lsql_begin, where a BUSY is retryable.
 * The same rule applies to statements that run in a transaction opened with
 * a BEGIN statement, and to the steps of a batch.
 */

/* Behaviours of lsql_begin(). */
#define LSQL_BEGIN_DEFERRED 0  /* locks are taken by the first read / first write */
#define LSQL_BEGIN_IMMEDIATE 1 /* the write lock is taken now (waiting up to busy_timeout) */
#define LSQL_BEGIN_EXCLUSIVE 2 /* IMMEDIATE, and in rollback-journal mode readers are locked out too
                                  (in WAL mode the same as IMMEDIATE) */
/* DEFERRED, and writes are refused: lsql sets PRAGMA query_only=ON for the
 * life of the transaction and restores it however the transaction ends
 * (commit, rollback, free, reset). A write -- also to TEMP tables -- fails
 * with LSQL_READONLY_TXN and leaves the transaction open. (libSQL's "BEGIN
 * READONLY" is a plain DEFERRED transaction; this one is enforced.) */
#define LSQL_BEGIN_READ_ONLY 3

/* Opens a transaction with `behavior` (LSQL_BEGIN_*). *out receives a handle
 * owned by the connection (see above); it is NULL on failure.
 * Errors: LSQL_MISUSE_HANDLE, LSQL_INVALID_ARG (NULL out, unknown behavior),
 * LSQL_TXN_ACTIVE (a transaction is already open on the connection, through
 * lsql_begin or a BEGIN statement), LSQL_BUSY (retryable; IMMEDIATE and
 * EXCLUSIVE only), LSQL_NOMEM, ... Not thread-safe for one connection (the
 * thread contract above). */
LSQL_API int lsql_begin(lsql_conn *conn, int behavior, lsql_txn **out,
                        lsql_error *err);

/* What LSQL_BEGIN_DEFERRED means on this connection, for lsql_begin and for
 * atomic batches without a behaviour flag: LSQL_BEGIN_DEFERRED (the
 * default), or LSQL_BEGIN_IMMEDIATE / LSQL_BEGIN_EXCLUSIVE, which take the
 * write lock at the BEGIN -- waiting for it up to busy_timeout there -- so
 * that a transaction that reads and then writes never meets the
 * non-retryable LSQL_BUSY of a lock upgrade (see above). What ecto_sqlite3
 * calls default_transaction_mode. The writer of a LSQL_POOL_RW_SPLIT pool
 * is set to IMMEDIATE: it is the only writer, so taking the lock at the
 * BEGIN costs nothing, and SQLite's readers may still hold the write lock
 * for an instant (when they meet a WAL header being rewritten). READ_ONLY
 * transactions, BEGIN statements run as SQL and SAVEPOINTs that open a
 * transaction are not changed. Kept by lsql_conn_reset. Returns LSQL_OK,
 * LSQL_MISUSE_HANDLE, or LSQL_INVALID_ARG (another behaviour). Not
 * thread-safe for one connection. */
LSQL_API int lsql_conn_set_deferred_begin(lsql_conn *conn, int behavior);

/* Commits the transaction. LSQL_OK means it is committed and the handle is
 * finished. A failed COMMIT is always reported, and then:
 *  - if the transaction is still open (LSQL_BUSY, which is retryable; a
 *    deferred foreign key violation, LSQL_CONSTRAINT_FOREIGNKEY, that later
 *    statements may repair) the handle stays active: call lsql_commit again
 *    or lsql_rollback;
 *  - if SQLite rolled it back, the handle is finished (lsql_txn_active()
 *    gives 0).
 * Also LSQL_MISUSE_HANDLE, LSQL_MISUSE_CONN (`txn` belongs to another
 * connection), LSQL_TXN_DONE (already ended; nothing is run),
 * LSQL_TXN_ENDED (ended behind the handle: it may or may not have been
 * committed; the handle is finished). */
LSQL_API int lsql_commit(lsql_conn *conn, lsql_txn *txn, lsql_error *err);

/* Rolls the transaction back. LSQL_OK means it is rolled back and the handle
 * is finished. If ROLLBACK fails and the transaction is still open, the
 * handle stays active (call lsql_rollback again, or lsql_txn_free; closing
 * the connection rolls back too). Errors as for lsql_commit. */
LSQL_API int lsql_rollback(lsql_conn *conn, lsql_txn *txn, lsql_error *err);

/* Rolls back the transaction if it is still open and frees the handle. NULL
 * is harmless. Returns LSQL_OK, LSQL_MISUSE_HANDLE, or the error of the
 * rollback (the handle is freed anyway). */
LSQL_API int lsql_txn_free(lsql_txn *txn);

/* 1 while the handle's transaction is open on its connection, 0 once it has
 * ended (also behind the handle's back) or for an invalid handle. */
LSQL_API int lsql_txn_active(lsql_txn *txn);
/* The behaviour given to lsql_begin (LSQL_BEGIN_*), -1 for an invalid
 * handle. */
LSQL_API int lsql_txn_behavior(const lsql_txn *txn);
/* The connection of the handle (borrowed), NULL for an invalid handle. */
LSQL_API lsql_conn *lsql_txn_conn(const lsql_txn *txn);

/* ---- Savepoints ------------------------------------------------------------
 *
 * Savepoints nest inside a transaction opened with lsql_begin. A name is an
 * identifier of 1 to 128 bytes: [A-Za-z_][A-Za-z0-9_]* (else
 * LSQL_INVALID_NAME); it is quoted in the SQL lsql runs. Names compare
 * without regard to ASCII case, as in SQLite, and may repeat: release and
 * rollback-to act on the most recent savepoint of that name. The handle
 * keeps the stack of open savepoints, so an unknown name is
 * LSQL_TXN_SAVEPOINT before anything is run.
 * Each returns LSQL_OK or: LSQL_MISUSE_HANDLE, LSQL_MISUSE_CONN,
 * LSQL_INVALID_NAME, LSQL_TXN_DONE, LSQL_TXN_ENDED, LSQL_TXN_SAVEPOINT, or
 * the error of the SAVEPOINT / RELEASE / ROLLBACK TO statement. */

/* Opens a savepoint (SAVEPOINT "name") on top of the stack. */
LSQL_API int lsql_savepoint(lsql_conn *conn, lsql_txn *txn, const char *name,
                            lsql_error *err);
/* Releases the most recent savepoint `name` and every savepoint opened after
 * it (RELEASE "name"): their changes stay part of the transaction. */
LSQL_API int lsql_savepoint_release(lsql_conn *conn, lsql_txn *txn,
                                    const char *name, lsql_error *err);
/* Undoes everything done since the most recent savepoint `name` was opened
 * (ROLLBACK TO "name"); savepoints opened after it are gone, `name` itself
 * stays open (release it, or roll back to it again). */
LSQL_API int lsql_savepoint_rollback(lsql_conn *conn, lsql_txn *txn,
                                     const char *name, lsql_error *err);
/* Number of open savepoints of the handle (0 when none, or for an invalid or
 * finished handle). */
LSQL_API int lsql_txn_savepoints(const lsql_txn *txn);

/* ---- Row sets (detached rows, from batches and cursors) ----------------------
 *
 * A row set holds copies of rows -- values, column names and declared types
 * -- independent of any statement or connection. Row sets are borrowed from
 * the object that produced them (a batch result or a cursor), which states
 * how long they live. The columns are known even when there are no rows.
 * All functions are pure reads: a row set may be read from several threads
 * at once. */

/* Number of rows; 0 for NULL or an invalid handle. */
LSQL_API size_t lsql_rowset_count(const lsql_rowset *rs);
/* Number of columns; 0 for NULL or an invalid handle. */
LSQL_API int lsql_rowset_column_count(const lsql_rowset *rs);
/* Column name / declared type (borrowed, as long as the row set); NULL when
 * out of range (or no declared type). */
LSQL_API const char *lsql_rowset_column_name(const lsql_rowset *rs, int col);
LSQL_API const char *lsql_rowset_column_decltype(const lsql_rowset *rs, int col);
/* Value at (row, col), both 0-based. Text and blob bytes are borrowed as
 * long as the row set, and NUL-terminated after u.bytes.n bytes. Returns
 * LSQL_OK, LSQL_RANGE, LSQL_MISUSE_HANDLE or LSQL_INVALID_ARG (NULL out). */
LSQL_API int lsql_rowset_get(const lsql_rowset *rs, size_t row, int col,
                             lsql_value *out);
/* Unchecked getters without conversion: an INTEGER (a FLOAT in the int64
 * range is truncated), else 0; the bytes of a TEXT or BLOB value (and *len), else NULL (and
 * *len = 0). Out-of-range positions give 0 / NULL. */
LSQL_API int64_t lsql_rowset_int64(const lsql_rowset *rs, size_t row, int col);
LSQL_API const char *lsql_rowset_text(const lsql_rowset *rs, size_t row,
                                      int col, size_t *len);

/* ---- Batches --------------------------------------------------------------
 *
 * A batch is a list of steps, each one statement with its parameters, run
 * by lsql_batch_run() with one result or error per step (the shape of a
 * Hrana batch). lsql_script_run() does the same for one string of
 * statements. A batch is independent of connections: it can be run many
 * times, on any connection, and by several threads at once on different
 * connections as long as nobody adds to it meanwhile.
 *
 * Modes (flags of lsql_batch_run / lsql_script_run):
 *  - 0 (non-atomic): each step runs as if alone (in autocommit mode, or in
 *    the transaction already open on the connection); the batch stops at the
 *    first failing step; the steps before it keep their effects;
 *  - LSQL_BATCH_ATOMIC: all steps run in one transaction that lsql begins
 *    (DEFERRED unless a behaviour flag says otherwise) and commits after the
 *    last step; at the first failing step it is rolled back and the rest is
 *    not run. If a transaction is already open on the connection, the steps
 *    run under a savepoint instead (rolled back to on failure, released on
 *    success), so the batch is all-or-nothing inside the outer transaction;
 *    a behaviour flag is then LSQL_TXN_ACTIVE. A step that ends lsql's
 *    transaction itself (COMMIT, ROLLBACK) fails with LSQL_TXN_ENDED.
 * Behaviour flags (with LSQL_BATCH_ATOMIC only, at most one, else
 * LSQL_INVALID_ARG): */
#define LSQL_BATCH_ATOMIC 0x1u
#define LSQL_BATCH_IMMEDIATE 0x2u /* BEGIN IMMEDIATE */
#define LSQL_BATCH_EXCLUSIVE 0x4u /* BEGIN EXCLUSIVE */
#define LSQL_BATCH_READ_ONLY 0x8u /* as LSQL_BEGIN_READ_ONLY: writes fail */

/* Creates an empty batch; *out is owned (lsql_batch_free). Returns LSQL_OK,
 * LSQL_INVALID_ARG (NULL out) or LSQL_NOMEM. */
LSQL_API int lsql_batch_new(lsql_batch **out);

/* Appends a step: one SQL statement (NUL-terminated; a second statement
 * makes the step fail with LSQL_INVALID_SQL when it runs) and its
 * parameters, positional or named (the binding rules above apply when the
 * step runs). The SQL, the names and the text/blob bytes are copied: the
 * arguments are used during the call only. Returns LSQL_OK,
 * LSQL_MISUSE_HANDLE, LSQL_INVALID_ARG (NULL sql, NULL params with
 * nparams > 0), LSQL_PARAM_TYPE / LSQL_INVALID_ARG (a bad value, named in
 * err->message) or LSQL_NOMEM; on error the batch is unchanged. */
LSQL_API int lsql_batch_add(lsql_batch *b, const char *sql,
                            const lsql_param *params, size_t nparams,
                            lsql_error *err);

/* Number of steps (0 for an invalid handle). */
LSQL_API size_t lsql_batch_count(const lsql_batch *b);
/* Removes every step (the memory is kept for reuse). */
LSQL_API void lsql_batch_clear(lsql_batch *b);
/* Frees the batch. NULL is harmless. Results of earlier runs are
 * independent of it. */
LSQL_API void lsql_batch_free(lsql_batch *b);

/* Runs the steps of `b` on `conn` in order (see the modes above). Each
 * step's statement comes from the connection's statement cache.
 * Returns LSQL_OK when every step (and the commit) succeeded. Otherwise
 * the error that stopped the batch: a step's error, or the error of
 * BEGIN / COMMIT; err->message then starts with "step N: " for a step.
 * *out receives an owned result (lsql_batch_result_free; it outlives the
 * connection) as soon as the batch started, also when a step or the COMMIT
 * failed; *out is NULL when nothing was run (LSQL_MISUSE_HANDLE,
 * LSQL_INVALID_ARG for bad flags or NULL b/out, LSQL_TXN_ACTIVE,
 * LSQL_NOMEM, or the error of BEGIN).
 * If the batch's transaction (or savepoint) cannot be rolled back after a
 * failure, the error of the rollback is returned instead (class LSQL_NOMEM
 * or LSQL_IOERR, typically), its message also quoting the error that caused
 * the rollback, and the transaction is still open: roll it back (a
 * ROLLBACK statement, lsql_conn_reset) or close the connection.
 * The retryable flag of the returned error tells whether running the whole
 * call again may succeed: for an atomic batch that began its own
 * transaction every LSQL_BUSY* and LSQL_LOCKED* error qualifies (including
 * LSQL_BUSY_SNAPSHOT, since the batch's transaction was rolled back); for a
 * non-atomic batch only a failure of the first step (nothing was
 * committed); under a savepoint the rule of the outer transaction applies.
 * The per-step errors keep the flag of the statement itself. */
LSQL_API int lsql_batch_run(lsql_conn *conn, const lsql_batch *b,
                            unsigned flags, lsql_batch_result **out,
                            lsql_error *err);

/* Runs a script: `sql` holds any number of statements separated by ';'
 * (comments, empty statements and trailing whitespace allowed; an empty
 * script succeeds with no steps). Statements are prepared one at a time
 * just before they run (a statement may use a table created by an earlier
 * one) and are not cached; they cannot take parameters (a statement with
 * parameters fails with LSQL_PARAM_MISSING). Modes, return values and *out
 * as for lsql_batch_run, except that the result holds one step per
 * statement attempted: the statements after a failing one are not parsed.
 * A syntax error is the failing step; its err->offset counts from the start
 * of the script. */
LSQL_API int lsql_script_run(lsql_conn *conn, const char *sql, unsigned flags,
                             lsql_batch_result **out, lsql_error *err);

/* The result of one step. */
typedef struct lsql_step_result {
    size_t struct_size; /* set by the caller: sizeof(lsql_step_result) */
    /* LSQL_OK: the step ran (in an atomic batch that failed later, its
     * effects were rolled back); an error code: the step failed (see
     * `error`); LSQL_TXN_SKIPPED: not run, an earlier step failed. */
    int status;
    int kind;              /* LSQL_KIND_* of the statement; 0 if it was not prepared */
    int64_t changes;       /* as lsql_exec: rows changed by INSERT/UPDATE/DELETE, else 0 */
    int64_t last_insert_rowid; /* after an INSERT step: the connection's last rowid; else 0 */
    /* Where the statement is: for a script, byte offset and length of the
     * statement within the script (leading whitespace and comments and the
     * trailing ';' excluded); for a batch, 0 and the length of the step's
     * SQL. */
    size_t sql_offset;
    size_t sql_length;
    /* Columns and rows the step returned (a SELECT, a PRAGMA, ...
     * RETURNING), borrowed until lsql_batch_result_free; the columns are set
     * even when there are no rows. NULL for steps that return no columns or
     * did not run. */
    const lsql_rowset *rows;
    /* The step's error (borrowed until lsql_batch_result_free); NULL when
     * status is LSQL_OK. */
    const lsql_error *error;
} lsql_step_result;

/* Number of steps in the result (for a script: statements attempted). */
LSQL_API size_t lsql_batch_result_count(const lsql_batch_result *r);
/* The status of the whole run (what lsql_batch_run returned) and, if err
 * is non-NULL, its error. LSQL_MISUSE_HANDLE for an invalid handle. */
LSQL_API int lsql_batch_result_status(const lsql_batch_result *r,
                                      lsql_error *err);
/* Index of the step that failed, or -1 when no step failed (success, or the
 * COMMIT failed) or for an invalid handle. */
LSQL_API int64_t lsql_batch_result_failed_step(const lsql_batch_result *r);
/* Fills the fields of *out that fit in out->struct_size with step i.
 * Returns LSQL_OK, LSQL_RANGE (i >= count), LSQL_MISUSE_HANDLE or
 * LSQL_INVALID_ARG (NULL out or struct_size too small). */
LSQL_API int lsql_batch_result_step(const lsql_batch_result *r, size_t i,
                                    lsql_step_result *out);
/* Frees the result and every row set and error it holds. NULL is
 * harmless. */
LSQL_API void lsql_batch_result_free(lsql_batch_result *r);

/* ---- Cursors --------------------------------------------------------------
 *
 * A cursor runs a query and hands out its rows a page at a time, stepping
 * the statement only as far as the page needs: memory is bounded by the
 * largest page, whatever the number of rows. It reads through the
 * connection like any statement, so inside a transaction it sees the
 * transaction's own changes. The connection may run other statements while
 * a cursor is open. The cursor holds a read snapshot (as any unfinished
 * query) until it reaches the end, fails, or is closed. A cursor left open
 * when its transaction ends is not closed by it: SQLite continues the
 * query (after a commit it reads on unchanged; after a rollback it no
 * longer sees the rolled-back rows). */

/* Prepares `sql` (one statement, from the statement cache), binds `params`
 * (copied: they may be freed after the call) and returns a cursor; no row
 * is read yet. *out is owned: close it with lsql_cursor_close(). It is a
 * child of the connection: lsql_conn_close() / lsql_db_close() free the
 * cursors still open, after which their pointers are invalid. *out is NULL
 * on failure. Errors as for lsql_query (LSQL_INVALID_SQL for more than one
 * statement). */
LSQL_API int lsql_cursor_open(lsql_conn *conn, const char *sql,
                              const lsql_param *params, size_t nparams,
                              lsql_cursor **out, lsql_error *err);

/* Reads up to `max_rows` rows into the cursor's page and points *page at it.
 * The page is borrowed until the next fetch or close; its columns are set
 * even when it has no rows. Returns LSQL_ROW when the page holds at least
 * one row (perhaps fewer than max_rows: the last page), LSQL_DONE when no
 * row is left (empty page; further calls return LSQL_DONE again), or an
 * error -- the page then holds the rows read before it, and further calls
 * return that error again. The statement goes back to the cache as soon as
 * the end or an error is reached. Also LSQL_MISUSE_HANDLE, LSQL_INVALID_ARG
 * (max_rows 0 or NULL page), LSQL_MISUSE_STATE (the connection was reset
 * with lsql_conn_reset), LSQL_NOMEM. */
LSQL_API int lsql_cursor_fetch(lsql_cursor *cur, size_t max_rows,
                               const lsql_rowset **page, lsql_error *err);

/* Total number of rows handed out so far (0 for an invalid handle). */
LSQL_API uint64_t lsql_cursor_rows_read(const lsql_cursor *cur);

/* Closes the cursor (its statement goes back to the cache) and frees it.
 * NULL is harmless. Returns LSQL_OK or LSQL_MISUSE_HANDLE. */
LSQL_API int lsql_cursor_close(lsql_cursor *cur);

/* ---- Reset ------------------------------------------------------------------ */

/* Returns a connection to a clean state for reuse (a pool calls it before
 * handing the connection to its next user), keeping its statement cache:
 *  - every open cursor is finished (its fetches give LSQL_MISUSE_STATE; it
 *    still has to be closed) and every open rows handle is ended (its
 *    lsql_rows_next gives LSQL_MISUSE_STATE; it still has to be freed);
 *  - every prepared statement of the connection is reset and its bindings
 *    are cleared (the handles stay valid);
 *  - an open transaction is rolled back (also one opened with a BEGIN
 *    statement); its handle is finished (LSQL_TXN_DONE) and a READ_ONLY
 *    transaction's query_only is restored;
 *  - TEMP tables, views and triggers are dropped (indexes go with their
 *    tables); cached statements that used them are prepared again when
 *    next used;
 *  - the connection's last error is cleared.
 * Other state (PRAGMAs set by the user, attached databases) is kept.
 * Each step runs only when there is something to undo, so resetting a
 * clean connection runs no SQL (LOCAL/MEMORY: TEMP objects are looked for
 * only when one may exist -- one was prepared, or SQLite's TEMP database
 * changed since the last reset -- which includes objects created through
 * lsql_conn_native_handle() and by statements prepared before the reset).
 * Returns LSQL_OK, LSQL_MISUSE_HANDLE, or the first error met (the other
 * steps are still done). */
LSQL_API int lsql_conn_reset(lsql_conn *conn, lsql_error *err);

/* ------------------------------------------------------------------------- */
/* Connection control, PRAGMA helpers, tuning, hooks, functions, extensions,  */
/* backup                                                                    */
/* ------------------------------------------------------------------------- */
/* [section: control] */
/* Every function of this section checks its handles' magic words on entry
 * (LSQL_MISUSE_HANDLE for NULL or foreign handles) and returns
 * LSQL_NOTSUP_BACKEND in modes that have no such feature (the SQLite-only
 * features below: busy handler, cache flush, checkpoints, limits, db config,
 * hooks, functions, extensions, backup; the PRAGMA helpers and ping are plain
 * SQL and work in every mode). Unless a declaration says otherwise they follow
 * the thread contract at the top of this file (one thread at a time per
 * connection) and record failures as the connection's last error. */

/* ---- Interrupt and busy timeout ------------------------------------------ */

/* Cancels what is running on the connection right now and returns at once
 * (it never waits for the running call). ANY THREAD: it may race with every
 * other call on this connection, its statements and rows handles, EXCEPT
 * lsql_conn_close() / lsql_db_close() (the caller must make sure the
 * connection is not being closed while this runs).
 * Effect: a statement being stepped fails with LSQL_INTERRUPTED; a call
 * waiting in the busy handler for a lock (see below) stops waiting and fails
 * with LSQL_INTERRUPTED; a running backup or checkpoint stops with
 * LSQL_INTERRUPTED. Statements that have started but are not finished (a rows
 * handle that has returned rows and is not at its end) count as running:
 * their next step fails with LSQL_INTERRUPTED too. When the interrupted
 * statement was writing inside an explicit transaction, SQLite rolls the
 * whole transaction back (check lsql_txn_state); otherwise the transaction
 * stays open.
 * Nothing is remembered: when nothing is running the call has no effect, and
 * the next call on the connection runs normally ("interrupt" is not a
 * sticky cancel flag). The connection stays usable after an interrupt.
 * Returns LSQL_OK, LSQL_MISUSE_HANDLE or LSQL_NOTSUP_BACKEND. */
LSQL_API int lsql_conn_interrupt(lsql_conn *conn);

/* Sets how long a statement waits for a lock held by another connection
 * before failing with LSQL_BUSY. The wait happens in lsql's busy handler,
 * which sleeps in bounded steps (1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50,
 * then 100 ms at most per step) and wakes at once on lsql_conn_interrupt()
 * (the call then fails with LSQL_INTERRUPTED). 0 fails at once. The initial
 * value comes from lsql_db_opts.busy_timeout_ms (default 5000 ms; 0 with
 * LSQL_DB_NO_BUSY_TIMEOUT). This is the typed form of PRAGMA busy_timeout.
 * The SQL form works too and keeps lsql's interruptible handler: "PRAGMA
 * busy_timeout = N" (run through lsql) sets this value, "PRAGMA
 * busy_timeout" reports it (as in SQLite, the value is taken when the
 * PRAGMA is compiled). Returns LSQL_OK, LSQL_MISUSE_HANDLE,
 * LSQL_NOTSUP_BACKEND. */
LSQL_API int lsql_conn_set_busy_timeout(lsql_conn *conn, uint32_t ms);
/* Reads the busy timeout in ms into *out. LSQL_OK, LSQL_MISUSE_HANDLE,
 * LSQL_INVALID_ARG (out NULL), LSQL_NOTSUP_BACKEND. */
LSQL_API int lsql_conn_busy_timeout(lsql_conn *conn, uint32_t *out);

/* ---- Liveness, cache, checkpoints ---------------------------------------- */

/* Cheap liveness check: runs "SELECT 1" through the statement cache (for a
 * local database this checks the handle and the library, not the disk; a
 * remote mode will make a round trip). Returns LSQL_OK or the error of the
 * query (LSQL_MISUSE_HANDLE for a bad handle). */
LSQL_API int lsql_conn_ping(lsql_conn *conn, lsql_error *err);

/* Writes dirty pages of the connection's page cache to the database file
 * (sqlite3_db_cacheflush) without committing anything. Returns LSQL_OK,
 * LSQL_BUSY (a page could not be written because of a lock; the others were),
 * an I/O error, LSQL_MISUSE_HANDLE or LSQL_NOTSUP_BACKEND. */
LSQL_API int lsql_conn_cacheflush(lsql_conn *conn, lsql_error *err);

/* WAL checkpoint modes (same meanings as SQLite's). */
#define LSQL_CHECKPOINT_PASSIVE 0  /* copy what can be copied without waiting */
#define LSQL_CHECKPOINT_FULL 1     /* wait for writers, then copy everything */
#define LSQL_CHECKPOINT_RESTART 2  /* FULL, then wait for readers so the WAL restarts */
#define LSQL_CHECKPOINT_TRUNCATE 3 /* RESTART, then truncate the WAL file to 0 bytes */

/* Runs a checkpoint of the WAL of `schema` ("main", an attached name, or NULL
 * for every attached database). If non-NULL, *log_frames receives the number
 * of frames in the WAL and *checkpointed_frames how many of them are now in
 * the database file (both -1 when the database is not in WAL mode, which is
 * not an error). FULL/RESTART/TRUNCATE wait through the busy handler (and
 * can be interrupted); when they cannot finish they return LSQL_BUSY with the
 * counts still filled. Returns LSQL_OK, LSQL_BUSY, LSQL_INTERRUPTED,
 * LSQL_ERROR (unknown schema), LSQL_INVALID_ARG (bad mode),
 * LSQL_MISUSE_HANDLE, LSQL_NOTSUP_BACKEND. */
LSQL_API int lsql_wal_checkpoint(lsql_conn *conn, const char *schema, int mode,
                                 int *log_frames, int *checkpointed_frames,
                                 lsql_error *err);

/* ---- Limits and SQLite configuration ------------------------------------- */

/* Run-time limits (sqlite3_limit; same ids). */
#define LSQL_LIMIT_LENGTH 0              /* max bytes of a string or blob */
#define LSQL_LIMIT_SQL_LENGTH 1          /* max bytes of an SQL text */
#define LSQL_LIMIT_COLUMN 2              /* max columns of a table/result/index */
#define LSQL_LIMIT_EXPR_DEPTH 3          /* max depth of an expression tree */
#define LSQL_LIMIT_COMPOUND_SELECT 4     /* max terms of a compound SELECT */
#define LSQL_LIMIT_VDBE_OP 5             /* max instructions of a statement */
#define LSQL_LIMIT_FUNCTION_ARG 6        /* max arguments of a function */
#define LSQL_LIMIT_ATTACHED 7            /* max attached databases */
#define LSQL_LIMIT_LIKE_PATTERN_LENGTH 8 /* max bytes of a LIKE/GLOB pattern */
#define LSQL_LIMIT_VARIABLE_NUMBER 9     /* max parameter index */
#define LSQL_LIMIT_TRIGGER_DEPTH 10      /* max trigger recursion depth */
#define LSQL_LIMIT_WORKER_THREADS 11     /* max auxiliary worker threads */

/* Reads and optionally changes a limit: *old_value (may be NULL) receives
 * the value before the call; new_value < 0 leaves it unchanged. SQLite
 * silently caps a new value at its compile-time maximum (read it back to see
 * what is in force). Returns LSQL_OK, LSQL_RANGE (unknown id),
 * LSQL_MISUSE_HANDLE, LSQL_NOTSUP_BACKEND. */
LSQL_API int lsql_conn_limit(lsql_conn *conn, int id, int new_value, int *old_value);

/* Per-connection SQLite options (a safe selection of sqlite3_db_config;
 * lsql's own numbering). Options that could corrupt a database or load code
 * (writable_schema, reset_database, load_extension, fts3_tokenizer) are not
 * offered here; extension loading has its own functions below. */
#define LSQL_DBCONFIG_ENABLE_FKEY 1          /* enforce foreign keys (= PRAGMA foreign_keys) */
#define LSQL_DBCONFIG_ENABLE_TRIGGER 2       /* run triggers */
#define LSQL_DBCONFIG_ENABLE_VIEW 3          /* allow views */
#define LSQL_DBCONFIG_DEFENSIVE 4            /* refuse features that can corrupt the file */
#define LSQL_DBCONFIG_TRUSTED_SCHEMA 5       /* schema may call functions/vtabs not marked innocuous */
#define LSQL_DBCONFIG_DQS_DML 6              /* double-quoted string literals in DML */
#define LSQL_DBCONFIG_DQS_DDL 7              /* double-quoted string literals in DDL */
#define LSQL_DBCONFIG_ENABLE_QPSG 8          /* query planner stability guarantee */
#define LSQL_DBCONFIG_TRIGGER_EQP 9          /* EXPLAIN QUERY PLAN shows triggers */
#define LSQL_DBCONFIG_LEGACY_ALTER_TABLE 10  /* pre-3.26 ALTER TABLE RENAME */
#define LSQL_DBCONFIG_NO_CKPT_ON_CLOSE 11    /* no checkpoint when the last connection closes */
#define LSQL_DBCONFIG_LEGACY_FILE_FORMAT 12  /* create files readable by SQLite < 3.3.0 */

/* Sets option `option` on (value 1) or off (value 0), or only reads it
 * (value -1); *out (may be NULL) receives the state after the call (0/1).
 * Returns LSQL_OK, LSQL_INVALID_ARG (unknown option or value other than
 * -1/0/1), LSQL_MISUSE_HANDLE, LSQL_NOTSUP_BACKEND. */
LSQL_API int lsql_conn_config(lsql_conn *conn, int option, int value, int *out,
                              lsql_error *err);

/* Extra SQLite open flags accepted in lsql_db_opts.sqlite_open_flags (the
 * values are SQLite's SQLITE_OPEN_* bits; any other bit is
 * LSQL_INVALID_OPTION at lsql_db_open, since lsql sets the rest itself from
 * LSQL_DB_* flags). */
#define LSQL_OPEN_SHAREDCACHE 0x00020000  /* SQLite shared cache (discouraged) */
#define LSQL_OPEN_PRIVATECACHE 0x00040000 /* private cache even if shared cache is on */
#define LSQL_OPEN_NOFOLLOW 0x01000000     /* the path must not be a symbolic link */

/* ---- Typed PRAGMA helpers ------------------------------------------------ */
/* `schema` is the database name ("main", "temp", an attached name) or NULL
 * for SQLite's default. Schema, table and index names are passed as bound
 * values or as double-quoted identifiers, never pasted into SQL: any name is
 * safe (an empty name is LSQL_INVALID_NAME). Errors of the underlying SQL
 * (LSQL_ERROR "unknown database", LSQL_BUSY, LSQL_AUTH when an authorizer
 * refuses the PRAGMA ...) are returned as they are. Every helper runs through
 * the statement cache. */

/* Runs "PRAGMA [schema.]name" (value NULL) or "PRAGMA [schema.]name = value".
 * `name` must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*, else
 * LSQL_INVALID_NAME). `value` may be an INTEGER, FLOAT or TEXT value (text is
 * passed as an SQL string literal, which PRAGMA accepts for keywords such as
 * WAL or NORMAL); NULL and BLOB values are LSQL_INVALID_ARG. If `out` is
 * non-NULL it receives an owned rows handle over the PRAGMA's result (free it
 * with lsql_rows_free; it may have no rows); if NULL, the PRAGMA runs to
 * completion and its rows are discarded. "busy_timeout" is handled by
 * lsql_conn_set_busy_timeout()/lsql_conn_busy_timeout() (its rows: one row,
 * one column "timeout"). */
LSQL_API int lsql_pragma(lsql_conn *conn, const char *schema, const char *name,
                         const lsql_value *value, lsql_rows **out, lsql_error *err);

/* PRAGMA foreign_keys: *on receives 0 or 1. Setting it inside a transaction
 * is a no-op in SQLite; lsql reports that as LSQL_MISUSE_STATE. */
LSQL_API int lsql_pragma_foreign_keys(lsql_conn *conn, int *on, lsql_error *err);
LSQL_API int lsql_pragma_set_foreign_keys(lsql_conn *conn, int on, lsql_error *err);

/* Journal modes */
#define LSQL_JOURNAL_DELETE 0
#define LSQL_JOURNAL_TRUNCATE 1
#define LSQL_JOURNAL_PERSIST 2
#define LSQL_JOURNAL_MEMORY 3
#define LSQL_JOURNAL_WAL 4
#define LSQL_JOURNAL_OFF 5

/* PRAGMA journal_mode: *mode receives LSQL_JOURNAL_*. The setter asks for
 * `mode` and stores in *result (may be NULL) the mode actually in force
 * afterwards (SQLite may keep another: an in-memory database stays MEMORY,
 * and the mode cannot leave WAL while other connections use the file); that
 * is not an error, compare *result with what you asked. LSQL_INVALID_ARG for
 * an unknown mode. */
LSQL_API int lsql_pragma_journal_mode(lsql_conn *conn, const char *schema, int *mode,
                                      lsql_error *err);
LSQL_API int lsql_pragma_set_journal_mode(lsql_conn *conn, const char *schema, int mode,
                                          int *result, lsql_error *err);
/* Lower-case name of a journal mode ("wal"), or NULL for an unknown one.
 * Any thread. */
LSQL_API const char *lsql_journal_mode_name(int mode);

/* synchronous levels */
#define LSQL_SYNC_OFF 0
#define LSQL_SYNC_NORMAL 1
#define LSQL_SYNC_FULL 2
#define LSQL_SYNC_EXTRA 3

/* PRAGMA synchronous: *level receives LSQL_SYNC_*. The setter takes one of
 * them (else LSQL_INVALID_ARG). */
LSQL_API int lsql_pragma_synchronous(lsql_conn *conn, const char *schema, int *level,
                                     lsql_error *err);
LSQL_API int lsql_pragma_set_synchronous(lsql_conn *conn, const char *schema, int level,
                                         lsql_error *err);

/* Units of cache_size */
#define LSQL_CACHE_PAGES 0 /* a number of pages */
#define LSQL_CACHE_KIB 1   /* KiB (SQLite's negative form) */

/* PRAGMA cache_size: *amount and *unit receive the size as SQLite stores it
 * (a positive value is pages, a negative one -KiB: lsql gives the absolute
 * value and the unit). The setter takes amount >= 0 and a unit (else
 * LSQL_INVALID_ARG; amounts beyond INT32_MAX are LSQL_INVALID_ARG). */
LSQL_API int lsql_pragma_cache_size(lsql_conn *conn, const char *schema, int64_t *amount,
                                    int *unit, lsql_error *err);
LSQL_API int lsql_pragma_set_cache_size(lsql_conn *conn, const char *schema, int64_t amount,
                                        int unit, lsql_error *err);

/* PRAGMA user_version (a 32-bit integer stored in the database header). */
LSQL_API int lsql_pragma_user_version(lsql_conn *conn, const char *schema, int32_t *out,
                                      lsql_error *err);
LSQL_API int lsql_pragma_set_user_version(lsql_conn *conn, const char *schema,
                                          int32_t value, lsql_error *err);

/* List results. Each list function returns its entries as ONE owned
 * allocation: an array of `*count` structs followed by the strings its
 * entries point to. Free it with lsql_free(*out) (strings included); it
 * outlives the connection. With zero entries *out is NULL and *count 0. On
 * error *out is NULL and *count 0. */

/* A column of a table (PRAGMA table_xinfo). */
typedef struct lsql_column_info {
    int cid;                 /* column index (0-based) */
    const char *name;
    const char *type;        /* declared type, "" when none */
    int notnull;             /* 1 if NOT NULL */
    const char *default_sql; /* DEFAULT clause as SQL text, NULL when none */
    int pk;                  /* 1-based position in the primary key, 0 if not part */
    int hidden;              /* 0 normal, 1 hidden (virtual table), 2 generated
                                VIRTUAL, 3 generated STORED */
} lsql_column_info;

/* Columns of `table` (a table or view; hidden and generated columns
 * included, see `hidden`). A table that does not exist is LSQL_ERROR with
 * "no such table". */
LSQL_API int lsql_table_info(lsql_conn *conn, const char *schema, const char *table,
                             lsql_column_info **out, size_t *count, lsql_error *err);

/* A table or view (PRAGMA table_list). */
typedef struct lsql_table_entry {
    const char *schema; /* "main", "temp", an attached name */
    const char *name;
    const char *type;   /* "table", "view", "shadow" or "virtual" */
    int ncol;           /* number of columns (hidden ones included) */
    int without_rowid;  /* 1 for a WITHOUT ROWID table */
    int strict;         /* 1 for a STRICT table */
} lsql_table_entry;

/* Tables and views of `schema` (NULL: of every attached database), SQLite's
 * own sqlite_schema tables included, in SQLite's order. */
LSQL_API int lsql_table_list(lsql_conn *conn, const char *schema, lsql_table_entry **out,
                             size_t *count, lsql_error *err);

/* An index of a table (PRAGMA index_list). */
typedef struct lsql_index_entry {
    int seq;
    const char *name;
    int unique;         /* 1 for a UNIQUE index */
    const char *origin; /* "c" CREATE INDEX, "u" UNIQUE constraint, "pk" PRIMARY KEY */
    int partial;        /* 1 for a partial index (WHERE clause) */
} lsql_index_entry;

/* Indexes of `table`; a table without indexes gives 0 entries, a table that
 * does not exist LSQL_ERROR "no such table". */
LSQL_API int lsql_index_list(lsql_conn *conn, const char *schema, const char *table,
                             lsql_index_entry **out, size_t *count, lsql_error *err);

/* A key column of an index (PRAGMA index_xinfo, key columns only). */
typedef struct lsql_index_column {
    int seqno;             /* rank in the index (0-based) */
    int cid;               /* table column index; -1 rowid, -2 expression */
    const char *name;      /* column name, NULL for an expression */
    int desc;              /* 1 for DESC */
    const char *collation; /* collating sequence ("BINARY", "NOCASE" ...) */
} lsql_index_column;

/* Key columns of index `index`; an index that does not exist is LSQL_ERROR
 * "no such index". */
LSQL_API int lsql_index_info(lsql_conn *conn, const char *schema, const char *index,
                             lsql_index_column **out, size_t *count, lsql_error *err);

/* PRAGMA integrity_check (quick = 0) or quick_check (quick = 1), reporting at
 * most max_errors problems (<= 0: SQLite's default, 100). *problems receives
 * an owned array of *count NUL-terminated messages (one allocation with the
 * strings; free with lsql_free) and is NULL with *count 0 when the database
 * is fine ("ok"). Finding problems is not an error: the call returns LSQL_OK
 * and the caller looks at *count. A database too damaged to check gives the
 * error (LSQL_CORRUPT, LSQL_NOTADB ...). */
LSQL_API int lsql_integrity_check(lsql_conn *conn, const char *schema, int max_errors,
                                  int quick, char ***problems, size_t *count,
                                  lsql_error *err);

/* ---- Hooks --------------------------------------------------------------- */
/* One hook of each kind per connection: setting one replaces the previous
 * one, fn = NULL removes it. `ctx` is borrowed: it must stay valid until the
 * hook is replaced or removed or the connection is closed (lsql never frees
 * it). Hooks run on the thread that is using the connection, inside the call
 * that triggered them; a hook must not use its connection (no lsql call on
 * it or on its statements) and must not close it. Closing the connection
 * unregisters every hook. Each setter returns LSQL_OK, LSQL_MISUSE_HANDLE or
 * LSQL_NOTSUP_BACKEND. */

/* Called after a row of a rowid table is inserted, updated or deleted: op is
 * LSQL_KIND_INSERT, LSQL_KIND_UPDATE or LSQL_KIND_DELETE; schema, table
 * borrowed for the call. Not called for WITHOUT ROWID tables, for the
 * truncate optimisation of "DELETE FROM t" without WHERE, nor for changes to
 * SQLite's internal tables. */
typedef void (*lsql_update_hook_fn)(void *ctx, int op, const char *schema, const char *table,
                                    int64_t rowid);
LSQL_API int lsql_conn_set_update_hook(lsql_conn *conn, lsql_update_hook_fn fn, void *ctx);

/* Called when a transaction is about to commit; returning non-zero turns the
 * COMMIT into a ROLLBACK and the committing call fails with
 * LSQL_CONSTRAINT_COMMITHOOK. */
typedef int (*lsql_commit_hook_fn)(void *ctx);
LSQL_API int lsql_conn_set_commit_hook(lsql_conn *conn, lsql_commit_hook_fn fn, void *ctx);

/* Called when a transaction is rolled back (explicitly, by a failed
 * statement that aborts it, or because the commit hook refused the commit;
 * not when the connection is closed). */
typedef void (*lsql_rollback_hook_fn)(void *ctx);
LSQL_API int lsql_conn_set_rollback_hook(lsql_conn *conn, lsql_rollback_hook_fn fn,
                                         void *ctx);

/* Pre-update hook: called BEFORE a row is inserted, updated or deleted
 * (rowid and WITHOUT ROWID tables alike), with access to the old and new
 * values of the row. `pu` is valid only during the callback. op is
 * LSQL_KIND_INSERT, LSQL_KIND_UPDATE or LSQL_KIND_DELETE; old_rowid is
 * meaningful for UPDATE/DELETE and new_rowid for INSERT/UPDATE (neither
 * means anything for a WITHOUT ROWID table: read the key columns with
 * lsql_preupdate_old/new). LSQL_NOTSUP_BACKEND also when the SQLite library was
 * built without SQLITE_ENABLE_PREUPDATE_HOOK. */
typedef struct lsql_preupdate lsql_preupdate;
typedef void (*lsql_preupdate_hook_fn)(void *ctx, lsql_preupdate *pu, int op,
                                       const char *schema, const char *table,
                                       int64_t old_rowid, int64_t new_rowid);
LSQL_API int lsql_conn_set_preupdate_hook(lsql_conn *conn, lsql_preupdate_hook_fn fn,
                                          void *ctx);
/* Number of columns of the row being changed; 0 for an invalid handle. */
LSQL_API int lsql_preupdate_column_count(const lsql_preupdate *pu);
/* 0 for a change made directly by a statement, 1 for one made by a trigger
 * it fired, 2 by a trigger fired by that trigger, ...; -1 for an invalid
 * handle. */
LSQL_API int lsql_preupdate_depth(const lsql_preupdate *pu);
/* Value of column `col` before (old: UPDATE and DELETE) or after (new:
 * INSERT and UPDATE) the change. Text/blob bytes are borrowed until the
 * callback returns. Returns LSQL_OK, LSQL_RANGE (bad column),
 * LSQL_MISUSE_STATE (old for an INSERT, new for a DELETE),
 * LSQL_MISUSE_HANDLE, LSQL_INVALID_ARG (out NULL), LSQL_NOMEM. */
LSQL_API int lsql_preupdate_old(lsql_preupdate *pu, int col, lsql_value *out);
LSQL_API int lsql_preupdate_new(lsql_preupdate *pu, int col, lsql_value *out);

/* Called after a transaction was committed in WAL mode, with the schema
 * name and the number of pages now in the WAL. lsql keeps SQLite's automatic
 * checkpoint while a WAL hook is installed: after the hook returns, a
 * PASSIVE checkpoint runs once the WAL holds 1000 pages or more (running
 * "PRAGMA wal_autocheckpoint" replaces the hook, as in SQLite; removing the
 * hook restores SQLite's automatic checkpoint at 1000 pages). */
typedef void (*lsql_wal_hook_fn)(void *ctx, const char *schema, int wal_pages);
LSQL_API int lsql_conn_set_wal_hook(lsql_conn *conn, lsql_wal_hook_fn fn, void *ctx);

/* Called about every `n_ops` virtual-machine instructions while a statement
 * runs (n_ops < 1 or fn NULL removes the handler). Returning non-zero stops
 * the statement, which fails with LSQL_INTERRUPTED. Use it for progress
 * reports or deadlines; lsql_conn_interrupt() needs no handler. */
typedef int (*lsql_progress_fn)(void *ctx);
LSQL_API int lsql_conn_set_progress_handler(lsql_conn *conn, int n_ops, lsql_progress_fn fn,
                                            void *ctx);

/* ---- Authorizer ---------------------------------------------------------- */

/* Authorizer answers */
#define LSQL_AUTHZ_OK 0     /* allow */
#define LSQL_AUTHZ_DENY 1   /* refuse: the statement fails to prepare with LSQL_AUTH
                               (LSQL_ERROR "not authorized to use function" for
                               LSQL_ACTION_FUNCTION, as SQLite reports it) */
#define LSQL_AUTHZ_IGNORE 2 /* READ: the column reads as NULL; DELETE: the
                               truncate optimisation is off; other actions: the
                               action is silently skipped where SQLite allows
                               it, else the statement fails like DENY */

/* Actions (arg1 / arg2 of the callback in comments; same numbers as
 * SQLite's authorizer codes). */
#define LSQL_ACTION_CREATE_INDEX 1        /* index name, table name */
#define LSQL_ACTION_CREATE_TABLE 2        /* table name, NULL */
#define LSQL_ACTION_CREATE_TEMP_INDEX 3   /* index name, table name */
#define LSQL_ACTION_CREATE_TEMP_TABLE 4   /* table name, NULL */
#define LSQL_ACTION_CREATE_TEMP_TRIGGER 5 /* trigger name, table name */
#define LSQL_ACTION_CREATE_TEMP_VIEW 6    /* view name, NULL */
#define LSQL_ACTION_CREATE_TRIGGER 7      /* trigger name, table name */
#define LSQL_ACTION_CREATE_VIEW 8         /* view name, NULL */
#define LSQL_ACTION_DELETE 9              /* table name, NULL */
#define LSQL_ACTION_DROP_INDEX 10         /* index name, table name */
#define LSQL_ACTION_DROP_TABLE 11         /* table name, NULL */
#define LSQL_ACTION_DROP_TEMP_INDEX 12    /* index name, table name */
#define LSQL_ACTION_DROP_TEMP_TABLE 13    /* table name, NULL */
#define LSQL_ACTION_DROP_TEMP_TRIGGER 14  /* trigger name, table name */
#define LSQL_ACTION_DROP_TEMP_VIEW 15     /* view name, NULL */
#define LSQL_ACTION_DROP_TRIGGER 16       /* trigger name, table name */
#define LSQL_ACTION_DROP_VIEW 17          /* view name, NULL */
#define LSQL_ACTION_INSERT 18             /* table name, NULL */
#define LSQL_ACTION_PRAGMA 19             /* pragma name, first argument or NULL */
#define LSQL_ACTION_READ 20               /* table name, column name */
#define LSQL_ACTION_SELECT 21             /* NULL, NULL */
#define LSQL_ACTION_TRANSACTION 22        /* "BEGIN"/"COMMIT"/"ROLLBACK", NULL */
#define LSQL_ACTION_UPDATE 23             /* table name, column name */
#define LSQL_ACTION_ATTACH 24             /* file name, NULL */
#define LSQL_ACTION_DETACH 25             /* database name, NULL */
#define LSQL_ACTION_ALTER_TABLE 26        /* database name, table name */
#define LSQL_ACTION_REINDEX 27            /* index name, NULL */
#define LSQL_ACTION_ANALYZE 28            /* table name, NULL */
#define LSQL_ACTION_CREATE_VTABLE 29      /* table name, module name */
#define LSQL_ACTION_DROP_VTABLE 30        /* table name, module name */
#define LSQL_ACTION_FUNCTION 31           /* NULL, function name */
#define LSQL_ACTION_SAVEPOINT 32          /* "BEGIN"/"RELEASE"/"ROLLBACK", savepoint name */
#define LSQL_ACTION_RECURSIVE 33          /* NULL, NULL (a recursive CTE) */

/* Called while a statement is compiled (lsql_prepare, lsql_exec, ... and
 * the PRAGMA helpers, which prepare SQL too), once per action the statement
 * would perform. `schema` is the database ("main", "temp", ...) or NULL;
 * `trigger` is the innermost trigger or view the action comes from, or NULL
 * for the statement itself. Strings are borrowed for the call. Return
 * LSQL_AUTHZ_OK, LSQL_AUTHZ_DENY or LSQL_AUTHZ_IGNORE (any other value
 * counts as DENY). Typical use: deny LSQL_ACTION_ATTACH, or the
 * load_extension() function (LSQL_ACTION_FUNCTION, arg2 "load_extension").
 * Setting or removing an authorizer expires every statement prepared
 * earlier on the connection (as SQLite does): cached statements and your own
 * prepared statements are compiled again, under the new policy, before
 * their next run (a statement the new policy refuses then fails at its next
 * step with LSQL_AUTH); a statement already running finishes under the old
 * one. lsql's statement classifier keeps working with any authorizer
 * installed. Returns LSQL_OK, LSQL_MISUSE_HANDLE, LSQL_NOTSUP_BACKEND. */
typedef int (*lsql_authorizer_fn)(void *ctx, int action, const char *arg1, const char *arg2,
                                  const char *schema, const char *trigger);
LSQL_API int lsql_conn_set_authorizer(lsql_conn *conn, lsql_authorizer_fn fn, void *ctx);
/* Upper-case name of an action ("ATTACH"), or NULL for an unknown one. Any
 * thread. */
LSQL_API const char *lsql_action_name(int action);

/* ---- Custom SQL functions ------------------------------------------------ */

/* Function flags */
#define LSQL_FN_DETERMINISTIC 0x1u /* same arguments, same result: usable in
                                      indexes, CHECK, generated columns */
#define LSQL_FN_DIRECTONLY 0x2u    /* only callable from top-level SQL, never from
                                      triggers, views, CHECK or index expressions */
#define LSQL_FN_INNOCUOUS 0x4u     /* no side effects: usable from the schema even
                                      with trusted_schema off */

/* The context of one call of a custom function: valid only during the
 * callback (never keep it). */
typedef struct lsql_fn_ctx lsql_fn_ctx;

/* A scalar function, or the step of an aggregate: argv[0..argc) are the
 * arguments, borrowed until the callback returns (text values are
 * NUL-terminated; text and blob stay distinct). Set the result with one of
 * the lsql_result_* functions (none: the result is NULL). */
typedef void (*lsql_scalar_fn)(lsql_fn_ctx *fc, int argc, const lsql_value *argv);
/* The end of an aggregate: set the result and release what the state holds.
 * Called exactly once for every group the step was called for, and also
 * when the query stops early (reset/finalize) or for an empty input (with a
 * zeroed state). */
typedef void (*lsql_final_fn)(lsql_fn_ctx *fc);
/* Destructor of the user data of a function. */
typedef void (*lsql_destroy_fn)(void *user_data);

/* Registers (or replaces) the scalar SQL function `name` taking `nargs`
 * arguments (-1: any number, 0..127). `flags` are LSQL_FN_*. `user_data` is
 * handed to the callback through lsql_fn_user_data(); `destroy` (may be NULL)
 * is called on it when the function is replaced or removed, when the
 * connection closes, and also when this call fails (ownership passes to the
 * library in every case). fn = NULL removes the function of that name and
 * arity. Registering while a statement of the connection is running is
 * LSQL_BUSY. Errors: LSQL_INVALID_NAME (name NULL, empty or longer than 255
 * bytes), LSQL_INVALID_ARG (nargs, flags), LSQL_BUSY, LSQL_NOMEM,
 * LSQL_MISUSE_HANDLE, LSQL_NOTSUP_BACKEND. */
LSQL_API int lsql_create_function(lsql_conn *conn, const char *name, int nargs,
                                  unsigned flags, lsql_scalar_fn fn, void *user_data,
                                  lsql_destroy_fn destroy, lsql_error *err);

/* Registers (or replaces) the aggregate SQL function `name`: `step` runs for
 * every row of a group and `final` once per group. Each group has a state of
 * `state_size` bytes (0..65536), zeroed before its first step, reached with
 * lsql_fn_aggregate_state(). Other arguments and errors as for
 * lsql_create_function (step and final must both be set or both NULL; NULL
 * removes the function). */
LSQL_API int lsql_create_aggregate(lsql_conn *conn, const char *name, int nargs,
                                   unsigned flags, size_t state_size, lsql_scalar_fn step,
                                   lsql_final_fn final, void *user_data,
                                   lsql_destroy_fn destroy, lsql_error *err);

/* The user_data given at registration (NULL for an invalid context). */
LSQL_API void *lsql_fn_user_data(lsql_fn_ctx *fc);
/* The state of the current aggregate group (state_size zeroed bytes on its
 * first use), or NULL for a scalar function, a state_size of 0, an invalid
 * context or when memory runs out (the query then fails with LSQL_NOMEM). */
LSQL_API void *lsql_fn_aggregate_state(lsql_fn_ctx *fc);

/* Sets the result of the current call (the last call wins). Text is UTF-8
 * (n bytes, may hold NULs); `lifetime` LSQL_COPY copies the bytes,
 * LSQL_STATIC borrows them (they must stay valid until the statement is
 * reset, e.g. static storage). lsql_result_value takes any lsql_value (NULL
 * for an invalid type tag is refused with an error result). Invalid
 * contexts are ignored. */
LSQL_API void lsql_result_null(lsql_fn_ctx *fc);
LSQL_API void lsql_result_int64(lsql_fn_ctx *fc, int64_t v);
LSQL_API void lsql_result_double(lsql_fn_ctx *fc, double v);
LSQL_API void lsql_result_text(lsql_fn_ctx *fc, const char *p, size_t n, int lifetime);
LSQL_API void lsql_result_blob(lsql_fn_ctx *fc, const void *p, size_t n, int lifetime);
LSQL_API void lsql_result_value(lsql_fn_ctx *fc, const lsql_value *v);
/* Makes the statement fail: with `code` (an SQLite-class code below 32, e.g.
 * LSQL_ERROR, LSQL_CONSTRAINT_FUNCTION, LSQL_TOOBIG, LSQL_NOMEM; any other
 * code is reported as LSQL_ERROR) and message `msg` (copied; NULL gives the
 * code's text). */
LSQL_API void lsql_result_error(lsql_fn_ctx *fc, int code, const char *msg);

/* ---- Extensions ---------------------------------------------------------- */

/* Turns the loading of SQLite extensions with lsql_conn_load_extension() on
 * (on != 0) or off. It is off on every new connection. Only the C call is
 * enabled: the SQL function load_extension() stays unavailable. Returns
 * LSQL_OK, LSQL_MISUSE_HANDLE, LSQL_NOTSUP_BACKEND. */
LSQL_API int lsql_conn_enable_load_extension(lsql_conn *conn, int on, lsql_error *err);

/* Loads the shared library at `path` (borrowed) into the connection and
 * runs its entry point (`entry_point`, or NULL for SQLite's default:
 * sqlite3_extension_init or sqlite3_<name>_init). Errors:
 * LSQL_PERM_EXTENSION (loading is not enabled on this connection),
 * LSQL_INVALID_ARG (path NULL or empty), LSQL_ERROR (the file cannot be
 * loaded, the entry point is missing or failed; the message says which),
 * LSQL_MISUSE_HANDLE, LSQL_NOTSUP_BACKEND. */
LSQL_API int lsql_conn_load_extension(lsql_conn *conn, const char *path,
                                      const char *entry_point, lsql_error *err);

/* ---- Online backup ------------------------------------------------------- */

/* Progress of a backup, called after each step: `remaining` pages still to
 * copy out of `total`. Return 0 to go on, non-zero to stop (the backup then
 * fails with LSQL_ABORT and the destination is left as it was before the
 * backup for a connection, or incomplete for a file). */
typedef int (*lsql_backup_progress_fn)(void *ctx, int remaining, int total);

/* Options of the backup functions (NULL: defaults). Zero-initialise and set
 * struct_size = sizeof(lsql_backup_opts). */
typedef struct lsql_backup_opts {
    size_t struct_size;
    int pages_per_step;               /* pages copied per step; <= 0: all at once */
    uint32_t sleep_ms;                /* pause between steps (lets writers in); 0: none */
    lsql_backup_progress_fn progress; /* may be NULL */
    void *ctx;                        /* passed to progress */
} lsql_backup_opts;

/* Copies database `schema` (NULL: "main") of `conn` to the file at `path`,
 * which is created or overwritten, while other connections may keep using
 * the source (a step that meets a lock is retried within the connection's
 * busy timeout; a write through another connection restarts the copy, as
 * SQLite does). The copy runs on the calling thread; lsql_conn_interrupt on
 * `conn` stops it with LSQL_INTERRUPTED. Errors: LSQL_INVALID_ARG (path NULL
 * or empty, bad opts), LSQL_CANTOPEN, LSQL_BUSY, LSQL_ABORT (the progress
 * callback stopped it), LSQL_INTERRUPTED, LSQL_READONLY, I/O errors,
 * LSQL_MISUSE_HANDLE, LSQL_NOTSUP_BACKEND. */
LSQL_API int lsql_backup_to_file(lsql_conn *conn, const char *schema, const char *path,
                                 const lsql_backup_opts *opts, lsql_error *err);

/* Replaces database `schema` (NULL: "main") of `conn` with the content of
 * the database file at `path` (opened read-only). Errors as for
 * lsql_backup_to_file, plus LSQL_NOTADB; statements prepared earlier on
 * `conn` are compiled again before their next run. */
LSQL_API int lsql_backup_from_file(lsql_conn *conn, const char *schema, const char *path,
                                   const lsql_backup_opts *opts, lsql_error *err);

/* Copies database `src_schema` of `src` into `dest_schema` of `dest` (NULL
 * names: "main"). The two connections must be different and of the same
 * backend (else LSQL_INVALID_ARG / LSQL_NOTSUP_BACKEND), and the caller must
 * own both for the duration of the call (thread contract). Interrupting
 * either connection stops the copy. Errors as above; the error is recorded
 * on `src`. */
LSQL_API int lsql_backup_to_conn(lsql_conn *src, const char *src_schema, lsql_conn *dest,
                                 const char *dest_schema, const lsql_backup_opts *opts,
                                 lsql_error *err);

/* ---- Error codes added with this section (append-only) ------------------- */
#define LSQL_PERM_EXTENSION (LSQL_PERM | (64 << 8)) /* extension loading is not enabled */

/* ------------------------------------------------------------------------- */
/* Connection pool                                                           */
/* ------------------------------------------------------------------------- */
/* [section: pool] */
/* A thread-safe pool of connections to one lsql_db, built on the public API
 * above only (connect, lsql_conn_reset, lsql_conn_ping, lsql_txn_state,
 * close), so it works the same for every mode a database can have.
 *
 *  - acquire with a timeout; waiters are served first come, first served
 *    among themselves: a connection released while threads wait wakes the
 *    oldest waiter, and a later waiter never gets one before it. A thread
 *    that calls acquire at that moment (it is not waiting) may take the
 *    idle connection before the woken waiter runs -- the waiter then keeps
 *    its place at the head -- so that a connection in demand changes hands
 *    without a sleep and a wake-up each time (with more threads than CPUs,
 *    handing it to a sleeping thread stalls it until that thread is
 *    scheduled). This lasts at most overtake_ms (default 10 ms): once the
 *    oldest waiter has waited that long, the next released connection goes
 *    straight to it and newcomers queue behind it (overtake_ms =
 *    LSQL_POOL_NEVER: always, strict first come, first served);
 *  - release rolls back an open transaction and resets the connection with
 *    lsql_conn_reset() (its statement cache is kept); a connection that
 *    cannot be reset is closed instead;
 *  - an idle connection is handed out most-recently-released first (its
 *    caches are warm), preferring the one the calling thread released last
 *    if it is idle, unless LSQL_POOL_FIFO;
 *  - a connection idle for health_check_idle_ms or longer is pinged
 *    (lsql_conn_ping) before it is handed out; one that fails is closed and
 *    replaced by a new one, transparently for the acquirer (the new one is
 *    pinged too: if it fails as well, acquire returns its error rather than
 *    a connection that would fail at first use);
 *  - the pool grows on demand up to max_size and shrinks back to min_size:
 *    idle connections beyond min_size are closed after idle_timeout_ms, and
 *    every connection after max_lifetime_ms (when next idle), by
 *    lsql_pool_maintain() (a background thread with maintain_interval_ms, or
 *    your own calls) and lazily by acquire;
 *  - every connection the pool opens first goes through the optional
 *    on_connect callback (per-connection setup: functions, PRAGMAs...);
 *  - the metrics give wait and hold times (percentiles), and a connection
 *    kept out longer than leak_threshold_ms is reported (an
 *    LSQL_POOL_EV_LEAK event) -- a forgotten release shows up;
 *  - every mode: a pool works the same over LOCAL (shared MEMORY) and
 *    REMOTE databases; a remote connection outlives a server restart
 *    outside a transaction (its stream is replaced), and a connection whose
 *    transaction was lost is clean again at release;
 *  - LSQL_POOL_RW_SPLIT (a LOCAL database in WAL mode; other modes:
 *    LSQL_NOTSUP_BACKEND from lsql_pool_open): one writer
 *    connection and min_size..max_size readers; readers are read-only
 *    connections (the pool opens a second lsql_db on the same file with
 *    LSQL_DB_READONLY and the same options): a write to the database on
 *    them fails with LSQL_READONLY whatever PRAGMAs their user sets (TEMP
 *    tables are allowed, and dropped at release). Readers never wait for the
 *    writer, and writers queue in the pool for the one writer connection
 *    instead of meeting SQLITE_BUSY in SQLite. The writer begins
 *    LSQL_BEGIN_DEFERRED transactions IMMEDIATE
 *    (lsql_conn_set_deferred_begin), so a read-then-write transaction on it
 *    does not meet a lock upgrade's LSQL_BUSY either; a BEGIN statement run
 *    as SQL is not changed: use lsql_begin.
 *
 * Threads: every lsql_pool_* function may be called from any thread at any
 * time, except lsql_pool_close (see there). An acquired connection belongs
 * to the acquiring thread (the connection thread contract at the top of
 * this file) until it is released; it may be released from another thread.
 *
 * Lifetime: the pool does not own the lsql_db. The database must stay open
 * until the pool is closed AND every connection acquired from it has been
 * released (lsql_db_close() closes the pool's connections behind its back).
 * The pool keeps no pointer to any caller-owned memory other than the event
 * callback's ctx. */

typedef struct lsql_pool lsql_pool;

/* Codes of this section (class LSQL_POOL). */
#define LSQL_POOL_TIMEOUT (LSQL_POOL | (1 << 8))  /* acquire: no connection within the timeout */
#define LSQL_POOL_CLOSED (LSQL_POOL | (2 << 8))   /* the pool is closed (or closed while waiting) */
#define LSQL_POOL_FOREIGN (LSQL_POOL | (3 << 8))  /* release: not a connection acquired from this pool */
#define LSQL_POOL_DISCARDED (LSQL_POOL | (4 << 8)) /* release: could not be reset; closed instead */
#define LSQL_POOL_PRIVATE_MEMORY (LSQL_POOL | (5 << 8)) /* pool over a private in-memory database */

/* Pool flags */
#define LSQL_POOL_FIFO 0x1u       /* hand out the least recently released idle
                                     connection (default: the most recent one) */
#define LSQL_POOL_RW_SPLIT 0x2u   /* one writer + readers (LOCAL, WAL mode) */
#define LSQL_POOL_PING_ALWAYS 0x4u /* ping every connection before handing it out */

/* Duration fields: 0 means "the default", LSQL_POOL_NEVER turns the
 * feature off. */
#define LSQL_POOL_NEVER (-1)

/* Options of lsql_pool_open(). Zero-initialise (or lsql_pool_opts_init) and
 * set struct_size = sizeof(lsql_pool_opts); zero fields get defaults. */
/* lsql_pool_opts.on_connect: prepares a connection the pool has just
 * opened, before anyone uses it. `role` is LSQL_POOL_READ (a
 * LSQL_POOL_RW_SPLIT reader), LSQL_POOL_WRITE (its writer) or LSQL_POOL_ANY.
 * Return LSQL_OK, or an error code with *err filled (err is never NULL):
 * the connection is then closed and the call that opened it fails with that
 * code. */
typedef int (*lsql_pool_connect_fn)(void *ctx, lsql_conn *conn, int role, lsql_error *err);

typedef struct lsql_pool_opts {
    size_t struct_size;
    /* Connections kept open even when idle (default 0); opened by
     * lsql_pool_open. With LSQL_POOL_RW_SPLIT: readers (the writer is opened
     * at start when min_size > 0). */
    int min_size;
    /* Most connections open at once (default 8, at most 4096). With
     * LSQL_POOL_RW_SPLIT: most readers; the writer is one more. */
    int max_size;
    unsigned flags; /* LSQL_POOL_* */
    /* Timeout of lsql_pool_acquire(..., LSQL_POOL_DEFAULT_TIMEOUT, ...)
     * (default 30000 ms; LSQL_POOL_NEVER: wait without limit). */
    int32_t acquire_timeout_ms;
    /* Idle connections beyond min_size are closed after this long (default
     * 300000 ms = 5 min). */
    int32_t idle_timeout_ms;
    /* A connection is closed (when next idle) after this long since it was
     * opened (default 3600000 ms = 1 h). */
    int32_t max_lifetime_ms;
    /* A connection idle at least this long is pinged before it is handed
     * out (default 30000 ms; see also LSQL_POOL_PING_ALWAYS). */
    int32_t health_check_idle_ms;
    /* > 0: a background thread runs lsql_pool_maintain() this often (in ms).
     * 0 (the default): no thread; call lsql_pool_maintain() yourself (acquire
     * still skips and closes expired connections). */
    int32_t maintain_interval_ms;
    /* How long a thread calling lsql_pool_acquire may take an idle
     * connection ahead of threads already waiting (default 10 ms; see the
     * top of this section): once the oldest waiter has waited this long, a
     * released connection goes straight to it and newcomers queue behind
     * it. LSQL_POOL_NEVER: never -- strict first come, first served, every
     * released connection goes straight to the oldest waiter (with more
     * threads than CPUs each hand-over then waits for a sleeping thread to
     * be scheduled: docs/PERFORMANCE.md, pool section). Added after
     * maintain_interval_ms: a caller compiled without it gets the default. */
    int32_t overtake_ms;
    /* Called for every connection the pool opens (at lsql_pool_open, when
     * an acquire grows the pool or replaces a broken connection, when
     * maintenance refills min_size), once, before its first use: the place
     * for per-connection setup that outlives lsql_conn_reset -- SQL
     * functions and collations, hooks, PRAGMAs, ATTACH, extensions. (TEMP
     * objects made here are dropped by the first release's reset; on a
     * REMOTE database, settings of the server stream last until the server
     * expires that stream.) NULL (the default): none. It runs without any
     * pool lock, in the thread that opens the connection (a background
     * maintenance thread included), possibly in several threads at once;
     * it must not acquire from, release to or close this pool. A failure
     * closes the connection: lsql_pool_open, lsql_pool_acquire or
     * lsql_pool_maintain then returns the callback's code with its message
     * after "pool: on_connect: ". on_connect_ctx is passed back as ctx.
     * Added after overtake_ms: a caller compiled without them gets NULL. */
    lsql_pool_connect_fn on_connect;
    void *on_connect_ctx;
    /* Leak detection: a connection out (acquired, not released) for this
     * long is reported once per acquire, by the maintenance step (the
     * background thread of maintain_interval_ms, or lsql_pool_maintain):
     * an LSQL_POOL_EV_LEAK event and the `leaks` counter of the metrics. 0
     * (the default) or LSQL_POOL_NEVER: off. Nothing is done to the
     * connection. Added after on_connect_ctx. */
    int32_t leak_threshold_ms;
} lsql_pool_opts;

/* lsql_pool_opts_init(opts): fills *opts with zeros and struct_size. A macro
 * passing sizeof *opts to lsql_pool_opts_init_sized, which writes only that
 * many bytes (see lsql_db_opts_init: safe for a program compiled against
 * an older, smaller struct). NULL, or a size too small to hold struct_size,
 * is ignored. */
LSQL_API void lsql_pool_opts_init_sized(lsql_pool_opts *opts, size_t size);
#define lsql_pool_opts_init(opts) lsql_pool_opts_init_sized((opts), sizeof *(opts))

/* Opens a pool over `db` (borrowed: see Lifetime above). `opts` may be NULL
 * (defaults); it is copied. Opens min_size connections (and, with
 * LSQL_POOL_RW_SPLIT, the writer) before returning, and at least one
 * connection to check the database:
 *  - a MEMORY database must be shared (LSQL_DB_MEMORY_SHARED): with a
 *    private one every connection would be a separate, empty database, so it
 *    is refused with LSQL_POOL_PRIVATE_MEMORY;
 *  - LSQL_POOL_RW_SPLIT needs a LOCAL database file in WAL mode (the
 *    default journal mode): otherwise -- another journal mode, a MEMORY or
 *    a REMOTE database -- LSQL_NOTSUP_BACKEND, whose message says which.
 * *out is owned (lsql_pool_close); NULL on failure. Errors:
 * LSQL_MISUSE_HANDLE (db), LSQL_INVALID_ARG (NULL out, struct_size 0 or too
 * small, negative or inconsistent sizes: min_size > max_size, max_size >
 * 4096, negative durations other than LSQL_POOL_NEVER),
 * LSQL_INVALID_OPTION (unknown flags), LSQL_POOL_PRIVATE_MEMORY,
 * LSQL_NOTSUP_BACKEND, LSQL_NOMEM, or the error of a connect. Thread-safe. */
LSQL_API int lsql_pool_open(lsql_db *db, const lsql_pool_opts *opts, lsql_pool **out,
                            lsql_error *err);

/* Intents of lsql_pool_acquire */
#define LSQL_POOL_ANY 0   /* no preference (with LSQL_POOL_RW_SPLIT: the writer) */
#define LSQL_POOL_READ 1  /* with LSQL_POOL_RW_SPLIT: a query_only reader */
#define LSQL_POOL_WRITE 2 /* with LSQL_POOL_RW_SPLIT: the writer */

/* timeout_ms of lsql_pool_acquire: the pool's acquire_timeout_ms. */
#define LSQL_POOL_DEFAULT_TIMEOUT (-1)

/* Takes a connection for `intent` (LSQL_POOL_ANY/READ/WRITE; without the
 * split all connections are alike and the intent only picks nothing).
 * An idle connection is handed out at once (pinged first if it has been idle
 * health_check_idle_ms or more; a broken one is replaced); otherwise a new
 * connection is opened if the pool is below max_size; otherwise the caller
 * waits, behind the threads already waiting (see the top of this section:
 * an idle connection is taken at once even while others wait, unless the
 * oldest waiter has waited overtake_ms), up to timeout_ms (0: do not wait;
 * LSQL_POOL_DEFAULT_TIMEOUT: the pool's default; LSQL_POOL_NEVER from the
 * options waits without limit; it bounds the wait for a connection, not a
 * ping or connect that may follow, which the database's own timeouts and
 * retries bound). *out receives a connection owned by the pool
 * and lent to the caller until lsql_pool_release(); it is NULL on error.
 * Do not lsql_conn_close() it: release it. Errors: LSQL_POOL_TIMEOUT (the
 * message says how long the caller waited, how many other threads were
 * waiting and how many connections were in use), LSQL_POOL_CLOSED (the pool
 * is closed, also while waiting), LSQL_INVALID_ARG (NULL out, bad intent,
 * timeout_ms < -1), LSQL_MISUSE_HANDLE, the error of opening a connection
 * (LSQL_CANTOPEN, LSQL_NOMEM, ...), or -- when a connection failed its
 * health check and its replacement fails the same check (the database is
 * unreachable: a server down) -- the replacement's error (for example
 * LSQL_HTTP_CONNECT, retryable), both connections closed. Thread-safe. */
LSQL_API int lsql_pool_acquire(lsql_pool *pool, int intent, int32_t timeout_ms,
                               lsql_conn **out, lsql_error *err);

/* Gives a connection back. It is reset with lsql_conn_reset() (an open
 * transaction is rolled back, open statements/rows/cursors are reset, TEMP
 * objects dropped; the statement cache is kept; a connection left clean
 * costs no SQL at all) and becomes idle, waking the oldest waiter if any
 * (or goes straight to it once it has waited overtake_ms: see the top of
 * this section). Pointers to its transaction handles,
 * cursors, statements and rows must not be used after the release (free
 * them before, or they are freed when the connection closes). After
 * lsql_pool_close, or when it has outlived max_lifetime_ms, the connection
 * is closed instead. conn NULL is harmless (LSQL_OK).
 * Returns LSQL_OK; LSQL_POOL_DISCARDED when the reset failed (err says why)
 * and the connection was closed instead -- it is released either way, and
 * a replacement is opened on demand; LSQL_POOL_FOREIGN for a connection that
 * is not currently acquired from this pool (also a second release; nothing
 * is done to it); LSQL_MISUSE_HANDLE for a bad pool. Thread-safe. */
LSQL_API int lsql_pool_release(lsql_pool *pool, lsql_conn *conn, lsql_error *err);

/* One maintenance step, never blocking acquirers (connections are closed and
 * opened outside the pool's lock): closes idle connections beyond min_size
 * idle for idle_timeout_ms, and idle connections older than max_lifetime_ms;
 * then opens connections until min_size are open (each goes to a waiter
 * first, if any). Returns LSQL_OK, LSQL_POOL_CLOSED, LSQL_MISUSE_HANDLE, or
 * the first error of opening a connection (maintenance stops there; the
 * next step tries again). Thread-safe. */
LSQL_API int lsql_pool_maintain(lsql_pool *pool, lsql_error *err);

/* Pool metrics (a snapshot; counters are cumulative since open). */
typedef struct lsql_pool_metrics {
    size_t struct_size; /* set by the caller: sizeof(lsql_pool_metrics) */
    int size;           /* connections open or being opened */
    int in_use;         /* acquired (or being released) */
    int idle;
    int waiters;        /* threads blocked in lsql_pool_acquire */
    int min_size, max_size; /* as configured (split: readers + 1 writer) */
    int writer_in_use;  /* RW_SPLIT: 1 while the writer is out, else 0 */
    int writer_waiters; /* RW_SPLIT: threads waiting for the writer */
    uint64_t acquires;  /* successful acquires */
    uint64_t waits;     /* acquires that had to wait for a connection */
    uint64_t timeouts;  /* acquires that failed with LSQL_POOL_TIMEOUT */
    uint64_t created;   /* connections opened */
    uint64_t destroyed; /* connections closed (any reason) */
    uint64_t broken;    /* closed because a ping or a reset failed */
    uint64_t releases;
    /* Time from entering lsql_pool_acquire to having a pool connection
     * (without the ping/connect that may follow), over every successful
     * acquire, in ns: percentiles are bucket upper bounds (<= 12.5% high),
     * the max is exact. 0 before the first acquire. */
    uint64_t wait_p50_ns, wait_p99_ns, wait_max_ns;
    /* Added after wait_max_ns (a smaller struct_size does not get them):
     * how long connections were held, from the moment lsql_pool_acquire
     * takes one (a ping or connect it then needs included) to the call of
     * lsql_pool_release, over every release (percentiles as above, in ns); */
    uint64_t hold_p50_ns, hold_p99_ns, hold_max_ns;
    /* how long the connection out the longest has been out now (0: none
     * out), and the leases reported by leak_threshold_ms. */
    uint64_t held_longest_ns;
    uint64_t leaks;
} lsql_pool_metrics;

/* Fills the fields of *out that fit in out->struct_size. Returns LSQL_OK,
 * LSQL_MISUSE_HANDLE, or LSQL_INVALID_ARG (NULL out or struct_size too
 * small). Also works on a closed pool while connections are still out.
 * Thread-safe. */
LSQL_API int lsql_pool_metrics_get(lsql_pool *pool, lsql_pool_metrics *out);

/* Events */
#define LSQL_POOL_EV_ACQUIRE 1 /* a connection was handed out */
#define LSQL_POOL_EV_RELEASE 2 /* a connection came back (reset, idle or to a waiter) */
#define LSQL_POOL_EV_TIMEOUT 3 /* an acquire failed with LSQL_POOL_TIMEOUT */
#define LSQL_POOL_EV_GROW 4    /* a connection was opened */
#define LSQL_POOL_EV_SHRINK 5  /* a connection was closed (idle timeout, lifetime, close) */
#define LSQL_POOL_EV_BROKEN 6  /* a connection failed its ping or reset and was closed */
#define LSQL_POOL_EV_LEAK 7    /* a connection has been out leak_threshold_ms or longer */

typedef struct lsql_pool_event {
    size_t struct_size; /* sizeof(lsql_pool_event) of the library */
    int type;           /* LSQL_POOL_EV_* */
    int intent;         /* role of the connection: LSQL_POOL_READ (split reader),
                           LSQL_POOL_WRITE (split writer) or LSQL_POOL_ANY */
    lsql_conn *conn;    /* ACQUIRE, RELEASE, GROW, LEAK: the connection
                           (borrowed, do not use it in the callback; LEAK:
                           another thread holds it); else NULL */
    int64_t wait_ns;    /* ACQUIRE, TIMEOUT: time spent waiting; else 0 */
    int waiters;        /* threads waiting (all roles) after the event */
    int size;           /* connections open after the event */
    int in_use;         /* connections in use after the event */
    int code;           /* BROKEN: the error of the ping or reset; TIMEOUT:
                           LSQL_POOL_TIMEOUT; else 0 */
    int64_t held_ns;    /* RELEASE: how long the connection was out; LEAK: how
                           long it has been out so far; else 0 (added after
                           code: check struct_size) */
} lsql_pool_event;

/* Event callback: `ev` is borrowed for the call. It runs on the thread whose
 * call caused the event, outside the pool's lock; it may call
 * lsql_pool_metrics_get but must not acquire, release or close. */
typedef void (*lsql_pool_event_fn)(void *ctx, const lsql_pool_event *ev);

/* Installs (fn NULL: removes) the event callback; `ctx` is borrowed until
 * it is replaced or the pool is freed. An event already being delivered may
 * still reach the previous callback once. Returns LSQL_OK or
 * LSQL_MISUSE_HANDLE. Thread-safe. */
LSQL_API int lsql_pool_set_event_cb(lsql_pool *pool, lsql_pool_event_fn fn, void *ctx);

/* Closes the pool: threads waiting in lsql_pool_acquire wake up with
 * LSQL_POOL_CLOSED, idle connections are closed, the maintenance thread is
 * stopped (joined). Connections still acquired stay usable by their holders
 * and are closed when released (lsql_pool_release still works, and returns
 * LSQL_OK); the pool's memory is freed when the last one comes back. Does
 * not close the lsql_db. NULL is harmless. After this call, starting any
 * other call on the pool is undefined (calls already blocked in it are
 * fine), except lsql_pool_release of connections acquired earlier and
 * lsql_pool_metrics_get while some are out. Must not be called from the
 * event callback. Returns LSQL_OK or LSQL_MISUSE_HANDLE. */
LSQL_API int lsql_pool_close(lsql_pool *pool);


#ifdef __cplusplus
}
#endif

#endif /* LSQL_H */
