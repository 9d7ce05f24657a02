/* savepoint.c -- savepoints inside a transaction handle: validated, quoted
 * names and a stack kept by the handle (so an unknown name is reported
 * before anything runs). */
#include "txn_int.h"

#include <stdio.h>
#include <string.h>

#define SP_NAME_MAX 128

static bool name_ok(const char *n)
{
    if (!n)
        return false;
    size_t i = 0;
    for (; n[i]; i++) {
        char ch = n[i];
        bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
        if (!alpha && !(i > 0 && ch >= '0' && ch <= '9'))
            return false;
        if (i >= SP_NAME_MAX)
            return false;
    }
    return i > 0;
}

/* ASCII case-insensitive equality, as SQLite compares savepoint names. */
static bool name_eq(const char *a, const char *b)
{
    for (;; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return false;
        if (!x)
            return true;
    }
}

/* Index of the most recent savepoint called `name`, or -1. */
static long sp_find(const lsql_txn *t, const char *name)
{
    for (size_t i = t->nsp; i-- > 0;)
        if (name_eq(t->sp[i], name))
            return (long)i;
    return -1;
}

static void sp_truncate(lsql_txn *t, size_t n)
{
    while (t->nsp > n)
        lsql__free(t->sp[--t->nsp]);
}

/* Common start: handles, name, transaction state. */
static int sp_check(lsql_conn *c, lsql_txn *t, const char *name, const char *fn,
                    lsql_error *err)
{
    if (!lsql__conn_valid(c))
        return lsql__fail(err, LSQL_MISUSE_HANDLE, "%s: invalid connection handle", fn);
    if (lsql__txn_valid(t) && t->conn == c && !name_ok(name)) {
        if (!name)
            return lsql__conn_fail(c, err, LSQL_INVALID_NAME, "%s: savepoint name is NULL", fn);
        return lsql__conn_fail(c, err, LSQL_INVALID_NAME,
                               "%s: savepoint name '%.64s%s' is not an identifier "
                               "([A-Za-z_][A-Za-z0-9_]*, 1 to %d bytes)",
                               fn, name, strlen(name) > 64 ? "..." : "", SP_NAME_MAX);
    }
    return lsql__txn_check(c, t, fn, err);
}

static int sp_run(lsql_conn *c, const char *verb, const char *name, lsql_error *err)
{
    char sql[32 + SP_NAME_MAX];
    snprintf(sql, sizeof sql, "%s \"%s\"", verb, name);
    return lsql__txn_exec(c, sql, err);
}

LSQL_API int lsql_savepoint(lsql_conn *c, lsql_txn *t, const char *name, lsql_error *err)
{
    int rc = sp_check(c, t, name, "lsql_savepoint", err);
    if (rc)
        return rc;
    if (t->nsp == t->capsp) {
        size_t cap = t->capsp ? t->capsp * 2 : 4;
        char **p = lsql__realloc(t->sp, cap * sizeof *p);
        if (!p)
            return lsql__conn_fail(c, err, LSQL_NOMEM, "out of memory for a savepoint");
        t->sp = p;
        t->capsp = cap;
    }
    char *copy = lsql__strdup(name);
    if (!copy)
        return lsql__conn_fail(c, err, LSQL_NOMEM, "out of memory for a savepoint");
    rc = sp_run(c, "SAVEPOINT", name, err);
    if (rc) {
        lsql__free(copy);
        return rc;
    }
    t->sp[t->nsp++] = copy;
    return LSQL_OK;
}

static int sp_end(lsql_conn *c, lsql_txn *t, const char *name, bool release, lsql_error *err)
{
    const char *fn = release ? "lsql_savepoint_release" : "lsql_savepoint_rollback";
    int rc = sp_check(c, t, name, fn, err);
    if (rc)
        return rc;
    long i = sp_find(t, name);
    if (i < 0)
        return lsql__conn_fail(c, err, LSQL_TXN_SAVEPOINT,
                               "%s: no savepoint named '%s' is open in this transaction", fn,
                               name);
    rc = sp_run(c, release ? "RELEASE" : "ROLLBACK TO", name, err);
    if (rc)
        return rc;
    sp_truncate(t, release ? (size_t)i : (size_t)i + 1);
    return LSQL_OK;
}

LSQL_API int lsql_savepoint_release(lsql_conn *c, lsql_txn *t, const char *name,
                                    lsql_error *err)
{
    return sp_end(c, t, name, true, err);
}

LSQL_API int lsql_savepoint_rollback(lsql_conn *c, lsql_txn *t, const char *name,
                                     lsql_error *err)
{
    return sp_end(c, t, name, false, err);
}

LSQL_API int lsql_txn_savepoints(const lsql_txn *t)
{
    if (!lsql__txn_valid(t) || t->state != TXN_ACTIVE)
        return 0;
    return (int)t->nsp;
}
