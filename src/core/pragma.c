/* pragma.c -- typed PRAGMA helpers, the generic lsql_pragma, and the list
 * pragmas (table_info, table_list, index_list, index_info, integrity_check)
 * returned as caller-owned struct arrays. Plain SQL through the statement
 * cache: names are bound as values or written as quoted identifiers. */
#include "control.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define NAME_MAX_BYTES 255

int lsql__quote_ident(char *buf, size_t cap, const char *name)
{
    if (!name || !*name || strlen(name) > NAME_MAX_BYTES)
        return LSQL_INVALID_NAME;
    size_t n = 0;
    if (cap < 3)
        return LSQL_INVALID_NAME;
    buf[n++] = '"';
    for (const char *p = name; *p; p++) {
        if (n + 4 > cap)
            return LSQL_INVALID_NAME;
        if (*p == '"')
            buf[n++] = '"';
        buf[n++] = *p;
    }
    buf[n++] = '"';
    buf[n] = 0;
    return LSQL_OK;
}

/* "PRAGMA <"schema".>name<suffix>" into sql; LSQL_OK or a recorded error. */
static int build(lsql_conn *c, const char *schema, const char *name, const char *suffix,
                 char *sql, size_t cap, lsql_error *err)
{
    char q[2 * NAME_MAX_BYTES + 4];
    q[0] = 0;
    if (schema && lsql__quote_ident(q, sizeof q, schema))
        return lsql__conn_fail(c, err, LSQL_INVALID_NAME,
                               "schema name must be 1 to %d bytes", NAME_MAX_BYTES);
    int n = snprintf(sql, cap, "PRAGMA %s%s%s%s", q, schema ? "." : "", name, suffix);
    if (n < 0 || (size_t)n >= cap)
        return lsql__conn_fail(c, err, LSQL_TOOBIG, "PRAGMA text is too long");
    return LSQL_OK;
}

static int get_int(lsql_conn *c, const char *schema, const char *name, int64_t *out,
                   lsql_error *err)
{
    char sql[640];
    int rc = build(c, schema, name, "", sql, sizeof sql, err);
    return rc ? rc : lsql_query_int64(c, sql, NULL, 0, out, err);
}

static int set_int(lsql_conn *c, const char *schema, const char *name, int64_t v,
                   lsql_error *err)
{
    char sql[640], suffix[32];
    snprintf(suffix, sizeof suffix, "=%lld", (long long)v);
    int rc = build(c, schema, name, suffix, sql, sizeof sql, err);
    return rc ? rc : lsql_exec(c, sql, NULL, 0, NULL, err);
}

#define CHECK_CONN(c, err)                                                    \
    do {                                                                      \
        if (!lsql__conn_valid(c))                                             \
            return lsql__fail(err, LSQL_MISUSE_HANDLE, "invalid connection handle"); \
    } while (0)

#define CHECK_OUT(c, out, err)                                                \
    do {                                                                      \
        CHECK_CONN(c, err);                                                   \
        if (!(out))                                                           \
            return lsql__conn_fail(c, err, LSQL_INVALID_ARG, "%s is NULL", #out); \
    } while (0)

/* ---- generic ---------------------------------------------------------------- */

static bool plain_ident(const char *s)
{
    if (!s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    size_t n = 0;
    for (; *s; s++, n++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return n <= 64;
}

/* The value as an SQL literal ("=42", "='wal'") into buf. */
static int literal(lsql_conn *c, const lsql_value *v, char *buf, size_t cap, lsql_error *err)
{
    switch (v->type) {
    case LSQL_TYPE_INTEGER:
        snprintf(buf, cap, "=%lld", (long long)v->u.i);
        return LSQL_OK;
    case LSQL_TYPE_FLOAT:
        if (!isfinite(v->u.d))
            return lsql__conn_fail(c, err, LSQL_INVALID_ARG, "PRAGMA value is not finite");
        snprintf(buf, cap, "=%.17g", v->u.d);
        return LSQL_OK;
    case LSQL_TYPE_TEXT: {
        const char *p = v->u.bytes.p;
        size_t n = v->u.bytes.n, o = 0;
        if ((!p && n) || (n && memchr(p, 0, n)))
            return lsql__conn_fail(c, err, LSQL_INVALID_ARG,
                                   "PRAGMA text value is NULL or holds a NUL byte");
        buf[o++] = '=';
        buf[o++] = '\'';
        for (size_t i = 0; i < n; i++) {
            if (o + 4 > cap)
                return lsql__conn_fail(c, err, LSQL_TOOBIG, "PRAGMA text value is too long");
            if (p[i] == '\'')
                buf[o++] = '\'';
            buf[o++] = p[i];
        }
        buf[o++] = '\'';
        buf[o] = 0;
        return LSQL_OK;
    }
    default:
        return lsql__conn_fail(c, err, LSQL_INVALID_ARG,
                               "PRAGMA value must be an INTEGER, FLOAT or TEXT value");
    }
}

static int busy_pragma(lsql_conn *c, const lsql_value *value, lsql_rows **out, lsql_error *err)
{
    int rc;
    if (value) {
        if (value->type != LSQL_TYPE_INTEGER || value->u.i < 0 || value->u.i > UINT32_MAX)
            return lsql__conn_fail(c, err, LSQL_INVALID_ARG,
                                   "busy_timeout takes an INTEGER number of ms (0..%u)",
                                   (unsigned)UINT32_MAX);
        if ((rc = lsql_conn_set_busy_timeout(c, (uint32_t)value->u.i)))
            return lsql__conn_err(c, err);
    }
    uint32_t ms = 0;
    if ((rc = lsql_conn_busy_timeout(c, &ms)))
        return lsql__conn_err(c, err);
    if (!out) {
        lsql__conn_ok(c, err);
        return LSQL_OK;
    }
    lsql_param p = {NULL, lsql_int(ms)};
    return lsql_query(c, "SELECT ?1 AS timeout", &p, 1, out, err);
}

LSQL_API int lsql_pragma(lsql_conn *c, const char *schema, const char *name,
                         const lsql_value *value, lsql_rows **out, lsql_error *err)
{
    if (out)
        *out = NULL;
    CHECK_CONN(c, err);
    if (!plain_ident(name))
        return lsql__conn_fail(c, err, LSQL_INVALID_NAME,
                               "PRAGMA name '%.64s' is not a plain identifier",
                               name ? name : "(null)");
    if (!strcasecmp(name, "busy_timeout"))
        return busy_pragma(c, value, out, err);
    char lit[1100] = "";
    int rc;
    if (value && (rc = literal(c, value, lit, sizeof lit, err)))
        return rc;
    char sql[2048];
    if ((rc = build(c, schema, name, lit, sql, sizeof sql, err)))
        return rc;
    if (out)
        return lsql_query(c, sql, NULL, 0, out, err);
    return lsql_exec(c, sql, NULL, 0, NULL, err);
}

/* ---- typed scalars ------------------------------------------------------------- */

LSQL_API int lsql_pragma_foreign_keys(lsql_conn *c, int *on, lsql_error *err)
{
    CHECK_OUT(c, on, err);
    int64_t v = 0;
    int rc = get_int(c, NULL, "foreign_keys", &v, err);
    if (rc == LSQL_OK)
        *on = v != 0;
    return rc;
}

LSQL_API int lsql_pragma_set_foreign_keys(lsql_conn *c, int on, lsql_error *err)
{
    CHECK_CONN(c, err);
    int rc = set_int(c, NULL, "foreign_keys", on ? 1 : 0, err);
    int now = 0;
    if (rc == LSQL_OK && (rc = lsql_pragma_foreign_keys(c, &now, err)) == LSQL_OK &&
        now != (on != 0))
        return lsql__conn_fail(c, err, LSQL_MISUSE_STATE,
                               "foreign_keys cannot change inside a transaction");
    return rc;
}

static const char *const k_journal[] = {"delete", "truncate", "persist", "memory", "wal", "off"};

LSQL_API const char *lsql_journal_mode_name(int mode)
{
    return mode >= 0 && mode <= LSQL_JOURNAL_OFF ? k_journal[mode] : NULL;
}

static int journal_from_text(lsql_conn *c, const char *sql, int *mode, lsql_error *err)
{
    lsql_value v;
    int rc = lsql_query_value(c, sql, NULL, 0, &v, err);
    if (rc)
        return rc;
    int found = -1;
    if (v.type == LSQL_TYPE_TEXT)
        for (int i = 0; i <= LSQL_JOURNAL_OFF; i++)
            if (!strcasecmp(v.u.bytes.p, k_journal[i]))
                found = i;
    lsql_value_release(&v);
    if (found < 0)
        return lsql__conn_fail(c, err, LSQL_MISMATCH, "journal_mode returned an unknown mode");
    *mode = found;
    return LSQL_OK;
}

LSQL_API int lsql_pragma_journal_mode(lsql_conn *c, const char *schema, int *mode,
                                      lsql_error *err)
{
    CHECK_OUT(c, mode, err);
    char sql[640];
    int rc = build(c, schema, "journal_mode", "", sql, sizeof sql, err);
    return rc ? rc : journal_from_text(c, sql, mode, err);
}

LSQL_API int lsql_pragma_set_journal_mode(lsql_conn *c, const char *schema, int mode,
                                          int *result, lsql_error *err)
{
    CHECK_CONN(c, err);
    const char *name = lsql_journal_mode_name(mode);
    if (!name)
        return lsql__conn_fail(c, err, LSQL_INVALID_ARG,
                               "journal mode %d is not one of LSQL_JOURNAL_*", mode);
    char sql[640], suffix[16];
    snprintf(suffix, sizeof suffix, "=%s", name);
    int rc = build(c, schema, "journal_mode", suffix, sql, sizeof sql, err);
    int now = -1;
    if (rc == LSQL_OK)
        rc = journal_from_text(c, sql, &now, err);
    if (rc == LSQL_OK && result)
        *result = now;
    return rc;
}

LSQL_API int lsql_pragma_synchronous(lsql_conn *c, const char *schema, int *level,
                                     lsql_error *err)
{
    CHECK_OUT(c, level, err);
    int64_t v = 0;
    int rc = get_int(c, schema, "synchronous", &v, err);
    if (rc == LSQL_OK)
        *level = (int)v;
    return rc;
}

LSQL_API int lsql_pragma_set_synchronous(lsql_conn *c, const char *schema, int level,
                                         lsql_error *err)
{
    CHECK_CONN(c, err);
    if (level < LSQL_SYNC_OFF || level > LSQL_SYNC_EXTRA)
        return lsql__conn_fail(c, err, LSQL_INVALID_ARG,
                               "synchronous level %d is not one of LSQL_SYNC_*", level);
    return set_int(c, schema, "synchronous", level, err);
}

LSQL_API int lsql_pragma_cache_size(lsql_conn *c, const char *schema, int64_t *amount, int *unit,
                                    lsql_error *err)
{
    CHECK_OUT(c, amount, err);
    if (!unit)
        return lsql__conn_fail(c, err, LSQL_INVALID_ARG, "unit is NULL");
    int64_t v = 0;
    int rc = get_int(c, schema, "cache_size", &v, err);
    if (rc == LSQL_OK) {
        *amount = v < 0 ? -v : v;
        *unit = v < 0 ? LSQL_CACHE_KIB : LSQL_CACHE_PAGES;
    }
    return rc;
}

LSQL_API int lsql_pragma_set_cache_size(lsql_conn *c, const char *schema, int64_t amount,
                                        int unit, lsql_error *err)
{
    CHECK_CONN(c, err);
    if (amount < 0 || amount > INT32_MAX || (unit != LSQL_CACHE_PAGES && unit != LSQL_CACHE_KIB))
        return lsql__conn_fail(c, err, LSQL_INVALID_ARG,
                               "cache_size needs 0 <= amount <= %d and LSQL_CACHE_PAGES or "
                               "LSQL_CACHE_KIB",
                               INT32_MAX);
    return set_int(c, schema, "cache_size", unit == LSQL_CACHE_KIB ? -amount : amount, err);
}

LSQL_API int lsql_pragma_user_version(lsql_conn *c, const char *schema, int32_t *out,
                                      lsql_error *err)
{
    CHECK_OUT(c, out, err);
    int64_t v = 0;
    int rc = get_int(c, schema, "user_version", &v, err);
    if (rc == LSQL_OK)
        *out = (int32_t)v;
    return rc;
}

LSQL_API int lsql_pragma_set_user_version(lsql_conn *c, const char *schema, int32_t value,
                                          lsql_error *err)
{
    CHECK_CONN(c, err);
    return set_int(c, schema, "user_version", value, err);
}

/* ---- lists ------------------------------------------------------------------------ */

/* How a result column lands in a struct: an int or a string pointer. */
typedef struct {
    size_t off;
    bool is_str;
} field;

/* Runs `sql` and builds ONE allocation: `count` structs of `size` bytes
 * followed by the strings they point to. */
static int collect(lsql_conn *c, const char *sql, const lsql_param *p, size_t np,
                   const field *fields, int nf, size_t size, void **out, size_t *count,
                   lsql_error *err)
{
    *out = NULL;
    *count = 0;
    lsql_rows *rows = NULL;
    int rc = lsql_query(c, sql, p, np, &rows, err);
    if (rc)
        return rc;
    unsigned char *tmp = NULL; /* structs with strings lsql__strdup'ed */
    size_t n = 0, cap = 0, bytes = 0;
    while ((rc = lsql_rows_next(rows, err)) == LSQL_ROW) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            unsigned char *nt = lsql__realloc(tmp, ncap * size);
            if (!nt) {
                rc = LSQL_NOMEM;
                break;
            }
            tmp = nt;
            cap = ncap;
        }
        unsigned char *item = tmp + n * size;
        memset(item, 0, size);
        n++;
        for (int i = 0; i < nf && rc != LSQL_NOMEM; i++) {
            if (!fields[i].is_str) {
                int v = (int)lsql_rows_int64(rows, i);
                memcpy(item + fields[i].off, &v, sizeof v);
                continue;
            }
            const char *s = NULL;
            if (lsql_rows_type(rows, i) != LSQL_TYPE_NULL) {
                size_t len = 0;
                const char *t = lsql_rows_text(rows, i, &len);
                s = t ? lsql__strndup(t, len) : NULL;
                if (!s)
                    rc = LSQL_NOMEM;
                else
                    bytes += strlen(s) + 1;
            }
            memcpy(item + fields[i].off, &s, sizeof s);
        }
        if (rc == LSQL_NOMEM)
            break;
    }
    lsql_rows_free(rows);
    unsigned char *all = NULL;
    if (rc == LSQL_DONE && n) {
        all = lsql__malloc(n * size + bytes);
        if (!all)
            rc = LSQL_NOMEM;
    }
    char *sp = all ? (char *)(all + n * size) : NULL;
    for (size_t k = 0; k < n; k++) {
        unsigned char *item = tmp + k * size;
        for (int i = 0; i < nf; i++) {
            if (!fields[i].is_str)
                continue;
            char *s;
            memcpy(&s, item + fields[i].off, sizeof s);
            if (all && s) {
                size_t len = strlen(s) + 1;
                memcpy(sp, s, len);
                char *moved = sp;
                memcpy(item + fields[i].off, &moved, sizeof moved);
                sp += len;
            }
            lsql__free(s);
        }
    }
    if (all)
        memcpy(all, tmp, n * size);
    lsql__free(tmp);
    if (rc == LSQL_NOMEM)
        return lsql__conn_fail(c, err, LSQL_NOMEM, "out of memory reading a PRAGMA result");
    if (rc != LSQL_DONE)
        return rc; /* lsql_rows_next recorded it */
    *out = all;
    *count = n;
    lsql__conn_ok(c, err);
    return LSQL_OK;
}

static int check_name(lsql_conn *c, const char *what, const char *name, const char *schema,
                      lsql_error *err)
{
    if (!name || !*name)
        return lsql__conn_fail(c, err, LSQL_INVALID_NAME, "%s name is NULL or empty", what);
    if (schema && !*schema)
        return lsql__conn_fail(c, err, LSQL_INVALID_NAME, "schema name is empty");
    return LSQL_OK;
}

static lsql_value opt_text(const char *s)
{
    return s ? lsql_text_z(s) : lsql_null();
}

#define LIST_OUT(c, out, count, err)                                          \
    do {                                                                      \
        if (out)                                                              \
            *(out) = NULL;                                                    \
        if (count)                                                            \
            *(count) = 0;                                                     \
        CHECK_OUT(c, out, err);                                               \
        if (!(count))                                                         \
            return lsql__conn_fail(c, err, LSQL_INVALID_ARG, "count is NULL"); \
    } while (0)

static int table_missing(lsql_conn *c, const char *schema, const char *table, lsql_error *err)
{
    return lsql__conn_fail(c, err, LSQL_ERROR, "no such table: %s%s%.200s",
                           schema ? schema : "", schema ? "." : "", table);
}

LSQL_API int lsql_table_info(lsql_conn *c, const char *schema, const char *table,
                             lsql_column_info **out, size_t *count, lsql_error *err)
{
    LIST_OUT(c, out, count, err);
    int rc = check_name(c, "table", table, schema, err);
    if (rc)
        return rc;
    static const field f[] = {{offsetof(lsql_column_info, cid), false},
                              {offsetof(lsql_column_info, name), true},
                              {offsetof(lsql_column_info, type), true},
                              {offsetof(lsql_column_info, notnull), false},
                              {offsetof(lsql_column_info, default_sql), true},
                              {offsetof(lsql_column_info, pk), false},
                              {offsetof(lsql_column_info, hidden), false}};
    lsql_param p[] = {{NULL, lsql_text_z(table)}, {NULL, opt_text(schema)}};
    void *all = NULL;
    rc = collect(c,
                 "SELECT cid, name, type, \"notnull\", dflt_value, pk, hidden "
                 "FROM pragma_table_xinfo(?1, ?2)",
                 p, 2, f, 7, sizeof(lsql_column_info), &all, count, err);
    if (rc)
        return rc;
    if (!*count)
        return table_missing(c, schema, table, err);
    *out = all;
    return LSQL_OK;
}

LSQL_API int lsql_table_list(lsql_conn *c, const char *schema, lsql_table_entry **out,
                             size_t *count, lsql_error *err)
{
    LIST_OUT(c, out, count, err);
    if (schema && !*schema)
        return lsql__conn_fail(c, err, LSQL_INVALID_NAME, "schema name is empty");
    static const field f[] = {{offsetof(lsql_table_entry, schema), true},
                              {offsetof(lsql_table_entry, name), true},
                              {offsetof(lsql_table_entry, type), true},
                              {offsetof(lsql_table_entry, ncol), false},
                              {offsetof(lsql_table_entry, without_rowid), false},
                              {offsetof(lsql_table_entry, strict), false}};
    lsql_param p[] = {{NULL, opt_text(schema)}};
    void *all = NULL;
    int rc = collect(c,
                     "SELECT schema, name, type, ncol, wr, strict FROM pragma_table_list "
                     "WHERE ?1 IS NULL OR schema = ?1",
                     p, 1, f, 6, sizeof(lsql_table_entry), &all, count, err);
    if (rc == LSQL_OK)
        *out = all;
    return rc;
}

LSQL_API int lsql_index_list(lsql_conn *c, const char *schema, const char *table,
                             lsql_index_entry **out, size_t *count, lsql_error *err)
{
    LIST_OUT(c, out, count, err);
    int rc = check_name(c, "table", table, schema, err);
    if (rc)
        return rc;
    static const field f[] = {{offsetof(lsql_index_entry, seq), false},
                              {offsetof(lsql_index_entry, name), true},
                              {offsetof(lsql_index_entry, unique), false},
                              {offsetof(lsql_index_entry, origin), true},
                              {offsetof(lsql_index_entry, partial), false}};
    lsql_param p[] = {{NULL, lsql_text_z(table)}, {NULL, opt_text(schema)}};
    void *all = NULL;
    rc = collect(c,
                 "SELECT seq, name, \"unique\", origin, partial FROM pragma_index_list(?1, ?2)",
                 p, 2, f, 5, sizeof(lsql_index_entry), &all, count, err);
    if (rc)
        return rc;
    if (!*count) {
        int64_t ncol = 0;
        rc = lsql_query_int64(c, "SELECT count(*) FROM pragma_table_xinfo(?1, ?2)", p, 2, &ncol,
                              err);
        if (rc)
            return rc;
        if (!ncol)
            return table_missing(c, schema, table, err);
    }
    *out = all;
    return LSQL_OK;
}

LSQL_API int lsql_index_info(lsql_conn *c, const char *schema, const char *index,
                             lsql_index_column **out, size_t *count, lsql_error *err)
{
    LIST_OUT(c, out, count, err);
    int rc = check_name(c, "index", index, schema, err);
    if (rc)
        return rc;
    static const field f[] = {{offsetof(lsql_index_column, seqno), false},
                              {offsetof(lsql_index_column, cid), false},
                              {offsetof(lsql_index_column, name), true},
                              {offsetof(lsql_index_column, desc), false},
                              {offsetof(lsql_index_column, collation), true}};
    lsql_param p[] = {{NULL, lsql_text_z(index)}, {NULL, opt_text(schema)}};
    void *all = NULL;
    rc = collect(c,
                 "SELECT seqno, cid, name, \"desc\", coll FROM pragma_index_xinfo(?1, ?2) "
                 "WHERE key",
                 p, 2, f, 5, sizeof(lsql_index_column), &all, count, err);
    if (rc)
        return rc;
    if (!*count)
        return lsql__conn_fail(c, err, LSQL_ERROR, "no such index: %s%s%.200s",
                               schema ? schema : "", schema ? "." : "", index);
    *out = all;
    return LSQL_OK;
}

LSQL_API int lsql_integrity_check(lsql_conn *c, const char *schema, int max_errors, int quick,
                                  char ***problems, size_t *count, lsql_error *err)
{
    LIST_OUT(c, problems, count, err);
    char sql[640], suffix[32] = "";
    if (max_errors > 0)
        snprintf(suffix, sizeof suffix, "(%d)", max_errors);
    int rc = build(c, schema, quick ? "quick_check" : "integrity_check", suffix, sql, sizeof sql,
                   err);
    if (rc)
        return rc;
    typedef struct {
        char *msg;
    } line;
    static const field f[] = {{offsetof(line, msg), true}};
    void *all = NULL;
    size_t n = 0;
    rc = collect(c, sql, NULL, 0, f, 1, sizeof(line), &all, &n, err);
    if (rc)
        return rc;
    line *l = all;
    if (n == 1 && l[0].msg && !strcmp(l[0].msg, "ok")) {
        lsql__free(all);
        return LSQL_OK;
    }
    /* line is exactly one char*: the array is already char *[n] + strings */
    *problems = (char **)all;
    *count = n;
    return LSQL_OK;
}
