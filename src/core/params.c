/* params.c -- binding arrays of positional and named parameters. */
#include "internal.h"
#include "../local/local_ctl.h"

#include <stdio.h>
#include <string.h>

int lsql__find_param(const lsql_stmt *st, const char *name)
{
    const lsql_backend *be = st->conn->be;
    char c0 = name[0];
    if (c0 == ':' || c0 == '@' || c0 == '$' || c0 == '?')
        return be->param_index(st, name);
    if (!c0)
        return 0;
    char buf[128], *p = buf;
    size_t n = strlen(name);
    if (n + 2 > sizeof buf && !(p = lsql__malloc(n + 2)))
        return -1;
    memcpy(p + 1, name, n + 1);
    int idx = 0;
    static const char prefixes[] = {':', '@', '$'};
    for (size_t i = 0; i < sizeof prefixes && idx == 0; i++) {
        p[0] = prefixes[i];
        idx = be->param_index(st, p);
    }
    if (p != buf)
        lsql__free(p);
    return idx;
}

/* Display name of parameter idx for messages: ":a", or "?N". */
static const char *pname(const lsql_stmt *st, int idx, char *buf, size_t cap)
{
    const char *nm = st->conn->be->param_name(st, idx);
    if (nm)
        return nm;
    snprintf(buf, cap, "?%d", idx);
    return buf;
}

static int bind_checked(lsql_stmt *st, int idx, const lsql_value *v,
                        int lifetime)
{
    int rc = lsql__value_check(v);
    if (LSQL_UNLIKELY(rc)) {
        char lb[32];
        const char *label = pname(st, idx, lb, sizeof lb);
        if (rc == LSQL_PARAM_TYPE)
            return lsql__conn_fail(st->conn, NULL, rc,
                                   "parameter %s: unknown value type tag %d", label, v->type);
        return lsql__conn_fail(st->conn, NULL, rc,
                               "parameter %s: NULL pointer with a non-zero length", label);
    }
    return st->conn->be->bind(st, idx, v, lifetime);
}

static int bind_named(lsql_stmt *st, const lsql_param *p, size_t n, int lifetime, int count);

LSQL_HOT("4")
int lsql__bind_params(lsql_stmt *st, const lsql_param *p, size_t n,
                      int lifetime)
{
    lsql_conn *c = st->conn;
    const lsql_backend *be = c->be;
    if (n && !p)
        return lsql__conn_fail(c, NULL, LSQL_INVALID_ARG, "params is NULL but nparams is %zu", n);
    int count = st->nparams;
    /* Fast path: all positional and the right count. Each value goes
     * straight to the backend's typed bind; a name met on the way sends
     * everything to the named path below (which binds every entry again). */
    if (LSQL_LIKELY(n == (size_t)count)) {
        size_t i;
        for (i = 0; i < n; i++) {
            const lsql_param *q = &p[i];
            if (LSQL_UNLIKELY(q->name != NULL))
                break;
            int idx = (int)i + 1, rc;
            /* the local backend's typed binds inline (local_ctl.h) */
            bool local = be == &lsql__local_backend;
            switch (q->value.type) {
            case LSQL_TYPE_INTEGER:
                rc = local ? local__bind_int64(st, idx, q->value.u.i)
                           : be->bind_int64(st, idx, q->value.u.i);
                break;
            case LSQL_TYPE_FLOAT:
                rc = local ? local__bind_double(st, idx, q->value.u.d)
                           : be->bind_double(st, idx, q->value.u.d);
                break;
            case LSQL_TYPE_TEXT:
                if (LSQL_LIKELY(q->value.u.bytes.p != NULL)) {
                    const char *t = (const char *)q->value.u.bytes.p;
                    rc = local ? local__bind_text(st, idx, t, q->value.u.bytes.n, lifetime)
                               : be->bind_text(st, idx, t, q->value.u.bytes.n, lifetime);
                    break;
                }
                rc = bind_checked(st, idx, &q->value, lifetime); /* NULL pointer */
                if (LSQL_UNLIKELY(rc))
                    return rc;
                continue;
            default:
                rc = bind_checked(st, idx, &q->value, lifetime);
                if (LSQL_UNLIKELY(rc))
                    return rc;
                continue;
            }
            if (LSQL_UNLIKELY(rc))
                return rc;
        }
        if (i == n)
            return LSQL_OK;
    }
    return bind_named(st, p, n, lifetime, count);
}

/* The named (or mixed, or miscounted) case, out of the positional fast
 * path's way. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static int bind_named(lsql_stmt *st, const lsql_param *p, size_t n, int lifetime, int count)
{
    lsql_conn *c = st->conn;
    bool named = false;
    for (size_t i = 0; i < n; i++)
        if (p[i].name) {
            named = true;
            break;
        }
    char lb[32];
    if (!named)
        return lsql__conn_fail(c, NULL, LSQL_PARAM_COUNT,
                               "statement expects %d parameter%s, %zu given", count,
                               count == 1 ? "" : "s", n);
    /* Named (or mixed): track which slots got a value. */
    unsigned char small[256], *seen = small;
    if ((size_t)count + 1 > sizeof small) {
        seen = lsql__calloc((size_t)count + 1, 1);
        if (!seen)
            return lsql__conn_fail(c, NULL, LSQL_NOMEM, NULL);
    } else {
        memset(small, 0, (size_t)count + 1);
    }
    int rc = LSQL_OK, pos = 0;
    for (size_t i = 0; i < n && rc == LSQL_OK; i++) {
        int idx;
        if (!p[i].name) {
            idx = ++pos;
            if (idx > count) {
                rc = lsql__conn_fail(c, NULL, LSQL_PARAM_COUNT,
                                     "%d positional values given, the statement has %d parameter%s",
                                     idx, count, count == 1 ? "" : "s");
                break;
            }
        } else {
            idx = lsql__find_param(st, p[i].name);
            if (idx < 0) {
                rc = lsql__conn_fail(c, NULL, LSQL_NOMEM, NULL);
                break;
            }
            if (idx == 0) {
                rc = lsql__conn_fail(c, NULL, LSQL_PARAM_UNKNOWN,
                                     "no parameter named '%s' in the statement", p[i].name);
                break;
            }
        }
        if (seen[idx]) {
            rc = lsql__conn_fail(c, NULL, LSQL_PARAM_DUPLICATE,
                                 "parameter %s is given more than once",
                                 pname(st, idx, lb, sizeof lb));
            break;
        }
        seen[idx] = 1;
        rc = bind_checked(st, idx, &p[i].value, lifetime);
    }
    for (int idx = 1; rc == LSQL_OK && idx <= count; idx++)
        if (!seen[idx])
            rc = lsql__conn_fail(c, NULL, LSQL_PARAM_MISSING, "parameter %s has no value",
                                 pname(st, idx, lb, sizeof lb));
    if (seen != small)
        lsql__free(seen);
    return rc;
}
