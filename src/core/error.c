/* error.c -- code names and texts, and the error struct helpers. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    int code;
    const char *name;
    const char *text;
} code_info;

#define C(x, t) {x, #x, t}
static const code_info k_codes[] = {
    C(LSQL_OK, "not an error"),
    C(LSQL_ERROR, "SQL error or missing database"),
    C(LSQL_INTERNAL, "internal error"),
    C(LSQL_PERM, "access permission denied"),
    C(LSQL_ABORT, "operation aborted by a callback"),
    C(LSQL_BUSY, "database is locked"),
    C(LSQL_LOCKED, "database table is locked"),
    C(LSQL_NOMEM, "out of memory"),
    C(LSQL_READONLY, "attempt to write a read-only database"),
    C(LSQL_INTERRUPTED, "operation interrupted"),
    C(LSQL_IOERR, "disk I/O error"),
    C(LSQL_CORRUPT, "database disk image is malformed"),
    C(LSQL_NOTFOUND, "unknown operation"),
    C(LSQL_FULL, "database or disk is full"),
    C(LSQL_CANTOPEN, "unable to open database file"),
    C(LSQL_PROTOCOL, "locking protocol error"),
    C(LSQL_SCHEMA, "database schema has changed"),
    C(LSQL_TOOBIG, "string or blob too big"),
    C(LSQL_CONSTRAINT, "constraint failed"),
    C(LSQL_MISMATCH, "datatype mismatch"),
    C(LSQL_MISUSE, "library used incorrectly"),
    C(LSQL_NOLFS, "large file support is disabled"),
    C(LSQL_AUTH, "authorization denied"),
    C(LSQL_FORMAT, "format error"),
    C(LSQL_RANGE, "index out of range"),
    C(LSQL_NOTADB, "file is not a database"),
    C(LSQL_NOTICE, "notification"),
    C(LSQL_WARNING, "warning"),
    C(LSQL_INVALID, "invalid argument"),
    C(LSQL_PARAM, "parameter binding error"),
    C(LSQL_NOTSUP, "not supported"),
    C(LSQL_NO_ROWS, "query returned no rows"),
    C(LSQL_TOO_MANY_ROWS, "query returned more than one row"),
    C(LSQL_TXN, "transaction state error"),
    C(LSQL_HTTP, "HTTP transport error"),
    C(LSQL_HRANA, "libSQL protocol error"),
    C(LSQL_POOL, "connection pool error"),
    C(LSQL_ROW, "another row is available"),
    C(LSQL_DONE, "no more rows"),
    C(LSQL_BUSY_RECOVERY, "database is locked: WAL recovery in progress"),
    C(LSQL_BUSY_SNAPSHOT, "database is locked: snapshot is stale, restart the transaction"),
    C(LSQL_BUSY_TIMEOUT, "database is locked: busy timeout expired"),
    C(LSQL_LOCKED_SHAREDCACHE, "table locked by another connection of the shared cache"),
    C(LSQL_IOERR_NOMEM, "out of memory during I/O"),
    C(LSQL_READONLY_DBMOVED, "database file was moved or deleted"),
    C(LSQL_CONSTRAINT_CHECK, "constraint violation: CHECK"),
    C(LSQL_CONSTRAINT_COMMITHOOK, "constraint violation: commit hook"),
    C(LSQL_CONSTRAINT_FOREIGNKEY, "constraint violation: FOREIGN KEY"),
    C(LSQL_CONSTRAINT_FUNCTION, "constraint violation: function"),
    C(LSQL_CONSTRAINT_NOTNULL, "constraint violation: NOT NULL"),
    C(LSQL_CONSTRAINT_PRIMARYKEY, "constraint violation: PRIMARY KEY"),
    C(LSQL_CONSTRAINT_TRIGGER, "constraint violation: trigger RAISE"),
    C(LSQL_CONSTRAINT_UNIQUE, "constraint violation: UNIQUE"),
    C(LSQL_CONSTRAINT_VTAB, "constraint violation: virtual table"),
    C(LSQL_CONSTRAINT_ROWID, "constraint violation: rowid not unique"),
    C(LSQL_CONSTRAINT_PINNED, "constraint violation: pinned row"),
    C(LSQL_CONSTRAINT_DATATYPE, "constraint violation: STRICT datatype"),
    C(LSQL_MISUSE_HANDLE, "invalid handle"),
    C(LSQL_MISUSE_CONN, "handle belongs to another connection"),
    C(LSQL_MISUSE_STATE, "call not allowed in the handle's current state"),
    C(LSQL_MISUSE_INIT, "global setting changed after initialisation"),
    C(LSQL_INVALID_ARG, "invalid argument"),
    C(LSQL_INVALID_URL, "invalid URL"),
    C(LSQL_INVALID_OPTION, "invalid option"),
    C(LSQL_INVALID_SQL, "invalid SQL text: empty, or more than one statement"),
    C(LSQL_INVALID_NAME, "invalid identifier"),
    C(LSQL_PARAM_MISSING, "parameter has no value"),
    C(LSQL_PARAM_UNKNOWN, "no parameter of that name"),
    C(LSQL_PARAM_DUPLICATE, "parameter given more than once"),
    C(LSQL_PARAM_COUNT, "wrong number of parameters"),
    C(LSQL_PARAM_TYPE, "parameter value has an unknown type"),
    C(LSQL_NOTSUP_MODE, "mode not supported by this version"),
    C(LSQL_NOTSUP_BACKEND, "not supported in this mode"),
    /* [codes: txn] */
    C(LSQL_TXN_ACTIVE, "a transaction is already open on the connection"),
    C(LSQL_TXN_DONE, "the transaction has already ended"),
    C(LSQL_TXN_ENDED, "the transaction was ended behind its handle"),
    C(LSQL_TXN_SAVEPOINT, "no open savepoint of that name"),
    C(LSQL_TXN_SKIPPED, "batch step not run: an earlier step failed"),
    C(LSQL_TXN_LOST, "the remote stream holding the transaction was lost"),
    C(LSQL_HTTP_CONNECT, "could not connect to the server"),
    C(LSQL_HTTP_TIMEOUT, "HTTP request timed out"),
    C(LSQL_HTTP_IO, "connection reset or closed during the HTTP exchange"),
    C(LSQL_HTTP_TLS, "TLS handshake or certificate verification failed"),
    C(LSQL_HTTP_STATUS, "unexpected HTTP status from the server"),
    C(LSQL_HTTP_TOO_LARGE, "HTTP response larger than the configured limit"),
    C(LSQL_HTTP_RATE_LIMITED, "the server is rate limiting (HTTP 429)"),
    C(LSQL_HTTP_UNAVAILABLE, "the server is unavailable (HTTP 502/503/504)"),
    C(LSQL_HRANA_PROTOCOL, "malformed or inconsistent response from the server"),
    C(LSQL_HRANA_SERVER, "the server refused the request as a protocol error"),
    C(LSQL_HRANA_STREAM_EXPIRED, "the server's stream expired"),
    C(LSQL_HRANA_VERSION, "no libSQL protocol version both sides speak"),
    C(LSQL_AUTH_REMOTE, "the server refused the credentials"),
    C(LSQL_READONLY_TXN, "attempt to write inside a READ_ONLY transaction"),
    C(LSQL_PERM_EXTENSION, "extension loading is not enabled on this connection"),
    /* [codes: pool] */
    C(LSQL_POOL_TIMEOUT, "no pool connection became available within the timeout"),
    C(LSQL_POOL_CLOSED, "the connection pool is closed"),
    C(LSQL_POOL_FOREIGN, "the connection was not acquired from this pool"),
    C(LSQL_POOL_DISCARDED, "the released connection could not be reset and was closed"),
    C(LSQL_POOL_PRIVATE_MEMORY, "a pool needs a shared in-memory database (LSQL_DB_MEMORY_SHARED)"),
};
#undef C

static const code_info *find(int code)
{
    for (size_t i = 0; i < sizeof k_codes / sizeof k_codes[0]; i++)
        if (k_codes[i].code == code)
            return &k_codes[i];
    return NULL;
}

LSQL_API const char *lsql_errstr(int code)
{
    const code_info *ci = find(code);
    if (!ci)
        ci = find(LSQL_CLASS(code));
    return ci ? ci->text : "unknown error";
}

LSQL_API const char *lsql_errname(int code)
{
    const code_info *ci = find(code);
    if (!ci)
        ci = find(LSQL_CLASS(code));
    return ci ? ci->name : "LSQL_UNKNOWN";
}

LSQL_API void lsql_error_clear(lsql_error *e)
{
    if (!e)
        return;
    memset(e, 0, offsetof(lsql_error, constraint_name));
    e->offset = -1;
    e->constraint_name[0] = 0;
    e->message[0] = 0;
}

bool lsql__code_retryable(int code)
{
    int cls = LSQL_CLASS(code);
    if (code == LSQL_BUSY_SNAPSHOT) /* needs a new transaction, not a retry */
        return false;
    return cls == LSQL_BUSY || cls == LSQL_LOCKED;
}

void lsql__err_vset(lsql_error *e, int code, const char *fmt, va_list ap)
{
    lsql_error_clear(e);
    e->code = LSQL_CLASS(code);
    e->ext_code = code;
    if (lsql__code_retryable(code))
        e->flags |= LSQL_ERRF_RETRYABLE;
    if (fmt)
        vsnprintf(e->message, sizeof e->message, fmt, ap);
    else
        snprintf(e->message, sizeof e->message, "%s", lsql_errstr(code));
}

void lsql__err_set(lsql_error *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lsql__err_vset(e, code, fmt, ap);
    va_end(ap);
}

int lsql__err_out(const lsql_error *e, lsql_error *out)
{
    if (out && out != e)
        *out = *e;
    return e->ext_code;
}

int lsql__fail(lsql_error *out, int code, const char *fmt, ...)
{
    if (out) {
        va_list ap;
        va_start(ap, fmt);
        lsql__err_vset(out, code, fmt, ap);
        va_end(ap);
    }
    return code;
}
