/* rsql.c -- SQL text helpers of the remote backend: the statement kind from
 * its leading keywords (the server's describe says read-only or not, but
 * not the kind), and splitting a script into statements with SQLite's own
 * tokenizer (sqlite3_complete), so that a script can run as one batch. */
#include "remote_int.h"

#include <sqlite3.h>
#include <string.h>
#include <strings.h>

/* Skips whitespace and comments. */
static const char *skip_ws(const char *p, const char *end)
{
    while (p < end) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v') {
            p++;
        } else if (*p == '-' && p + 1 < end && p[1] == '-') {
            while (p < end && *p != '\n')
                p++;
        } else if (*p == '/' && p + 1 < end && p[1] == '*') {
            p += 2;
            while (p + 1 < end && !(p[0] == '*' && p[1] == '/'))
                p++;
            p = p + 1 < end ? p + 2 : end;
        } else {
            break;
        }
    }
    return p;
}

/* The next word (letters, digits, '_') at *pp; advances past it. */
static size_t word(const char **pp, const char *end, const char **w)
{
    const char *p = skip_ws(*pp, end);
    const char *s = p;
    while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                       (*p >= '0' && *p <= '9') || *p == '_'))
        p++;
    *w = s;
    *pp = p;
    return (size_t)(p - s);
}

static bool is(const char *w, size_t n, const char *kw)
{
    return strlen(kw) == n && !strncasecmp(w, kw, n);
}

int rsql_kind(const char *sql, size_t n)
{
    const char *p = sql, *end = sql + n, *w;
    size_t l = word(&p, end, &w);
    if (is(w, l, "EXPLAIN"))
        return LSQL_KIND_SELECT;
    if (is(w, l, "WITH")) {
        /* WITH ... the main statement follows the CTEs: find it at depth 0 */
        int depth = 0;
        while (p < end) {
            if (*p == '(')
                depth++;
            else if (*p == ')')
                depth--;
            else if (*p == '\'' || *p == '"' || *p == '`' || *p == '[') {
                char q = *p == '[' ? ']' : *p;
                for (p++; p < end && *p != q; p++)
                    ;
            } else if (depth == 0 && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) {
                const char *q = p;
                size_t k = word(&q, end, &w);
                if (is(w, k, "SELECT") || is(w, k, "VALUES"))
                    return LSQL_KIND_SELECT;
                if (is(w, k, "INSERT") || is(w, k, "REPLACE"))
                    return LSQL_KIND_INSERT;
                if (is(w, k, "UPDATE"))
                    return LSQL_KIND_UPDATE;
                if (is(w, k, "DELETE"))
                    return LSQL_KIND_DELETE;
                p = q;
                continue;
            }
            p++;
        }
        return LSQL_KIND_SELECT;
    }
    if (is(w, l, "SELECT") || is(w, l, "VALUES"))
        return LSQL_KIND_SELECT;
    if (is(w, l, "INSERT") || is(w, l, "REPLACE"))
        return LSQL_KIND_INSERT;
    if (is(w, l, "UPDATE"))
        return LSQL_KIND_UPDATE;
    if (is(w, l, "DELETE"))
        return LSQL_KIND_DELETE;
    if (is(w, l, "CREATE"))
        return LSQL_KIND_CREATE;
    if (is(w, l, "DROP"))
        return LSQL_KIND_DROP;
    if (is(w, l, "ALTER"))
        return LSQL_KIND_ALTER;
    if (is(w, l, "BEGIN") || is(w, l, "COMMIT") || is(w, l, "END"))
        return LSQL_KIND_TRANSACTION;
    if (is(w, l, "ROLLBACK")) {
        const char *q = p;
        size_t k = word(&q, end, &w);
        if (is(w, k, "TRANSACTION"))
            k = word(&q, end, &w);
        return is(w, k, "TO") ? LSQL_KIND_SAVEPOINT : LSQL_KIND_TRANSACTION;
    }
    if (is(w, l, "SAVEPOINT") || is(w, l, "RELEASE"))
        return LSQL_KIND_SAVEPOINT;
    if (is(w, l, "PRAGMA"))
        return LSQL_KIND_PRAGMA;
    if (is(w, l, "ATTACH"))
        return LSQL_KIND_ATTACH;
    if (is(w, l, "DETACH"))
        return LSQL_KIND_DETACH;
    if (is(w, l, "ANALYZE"))
        return LSQL_KIND_ANALYZE;
    if (is(w, l, "REINDEX"))
        return LSQL_KIND_REINDEX;
    if (is(w, l, "VACUUM"))
        return LSQL_KIND_VACUUM;
    return LSQL_KIND_OTHER;
}

int rsql_explain(const char *sql, size_t n)
{
    const char *p = sql, *end = sql + n, *w;
    size_t l = word(&p, end, &w);
    if (!is(w, l, "EXPLAIN"))
        return 0;
    l = word(&p, end, &w);
    if (!is(w, l, "QUERY"))
        return 1;
    l = word(&p, end, &w);
    return is(w, l, "PLAN") ? 2 : 1;
}

bool rsql_is_begin(const char *sql, size_t n)
{
    const char *p = sql, *w;
    size_t l = word(&p, sql + n, &w);
    return is(w, l, "BEGIN");
}

bool rsql_is_rollback(const char *sql, size_t n)
{
    const char *p = sql, *w;
    size_t l = word(&p, sql + n, &w);
    return is(w, l, "ROLLBACK") && rsql_kind(sql, n) == LSQL_KIND_TRANSACTION;
}

bool rsql_is_end(const char *sql, size_t n)
{
    const char *p = sql, *w;
    size_t l = word(&p, sql + n, &w);
    return is(w, l, "COMMIT") || is(w, l, "END") || rsql_is_rollback(sql, n);
}

bool rsql_blank(const char *sql, size_t n)
{
    const char *p = sql, *end = sql + n;
    for (;;) {
        p = skip_ws(p, end);
        if (p < end && *p == ';') {
            p++;
            continue;
        }
        return p >= end;
    }
}

size_t rsql_first_len(char *buf, size_t n)
{
    /* sqlite3_complete reads a NUL-terminated prefix: test each ';' (one
     * inside a string, a comment or a trigger body does not complete a
     * statement), with a NUL put after it for the call */
    for (size_t i = 0; i < n; i++) {
        if (buf[i] != ';')
            continue;
        char keep = buf[i + 1];
        buf[i + 1] = 0;
        int done = sqlite3_complete(buf);
        buf[i + 1] = keep;
        if (done)
            return i + 1;
    }
    return n;
}
