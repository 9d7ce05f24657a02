/* errmap.c -- lsql errors to Hrana error codes. */
#include "exec.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const names[] = {
    "SQLITE_OK",       "SQLITE_ERROR",    "SQLITE_INTERNAL", "SQLITE_PERM",
    "SQLITE_ABORT",    "SQLITE_BUSY",     "SQLITE_LOCKED",   "SQLITE_NOMEM",
    "SQLITE_READONLY", "SQLITE_INTERRUPT", "SQLITE_IOERR",   "SQLITE_CORRUPT",
    "SQLITE_NOTFOUND", "SQLITE_FULL",     "SQLITE_CANTOPEN", "SQLITE_PROTOCOL",
    "SQLITE_EMPTY",    "SQLITE_SCHEMA",   "SQLITE_TOOBIG",   "SQLITE_CONSTRAINT",
    "SQLITE_MISMATCH", "SQLITE_MISUSE",   "SQLITE_NOLFS",    "SQLITE_AUTH",
    "SQLITE_FORMAT",   "SQLITE_RANGE",    "SQLITE_NOTADB",   "SQLITE_NOTICE",
    "SQLITE_WARNING",
};

const char *lsqld_sqlite_code_name(int base)
{
    return base >= 1 && base <= 28 ? names[base] : "SQLITE_ERROR";
}

int lsqld_xfail(xerr *e, const char *code, const char *fmt, ...)
{
    e->code = code;
    e->busy = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return -1;
}

void lsqld_xerr_from_lsql(xerr *e, const lsql_error *err, int during_prepare)
{
    int cls = err->code ? err->code : LSQL_CLASS(err->ext_code);
    int base = err->sqlite_code ? (err->sqlite_code & 0xff) : (cls < 32 ? cls : 0);
    e->busy = err->sqlite_code != 0 && base == LSQL_BUSY;
    snprintf(e->message, sizeof e->message, "%s", err->message);
    if (during_prepare && base == LSQL_ERROR && err->offset >= 0) {
        /* as sqld: the position where SQLite located the error */
        size_t n = strlen(e->message);
        snprintf(e->message + n, sizeof e->message - n, " (at offset %d)", err->offset);
        e->code = "SQL_INPUT_ERROR";
        return;
    }
    if (base) {
        e->code = lsqld_sqlite_code_name(base);
        return;
    }
    switch (cls) {
    case LSQL_PARAM:
        e->code = "ARGS_INVALID";
        break;
    case LSQL_INVALID:
        e->code = err->ext_code == LSQL_INVALID_SQL ? "SQL_NO_STATEMENT" : "SQLITE_MISUSE";
        break;
    default:
        e->code = "SQLITE_ERROR";
    }
}
