/* value.c -- values, and detached rows (lsql_row). */
#include "internal.h"

#include <string.h>

LSQL_API lsql_value lsql_text_z(const char *p)
{
    return lsql_text(p, p ? strlen(p) : 0);
}

LSQL_API void lsql_value_release(lsql_value *v)
{
    if (!v)
        return;
    if (v->type == LSQL_TYPE_TEXT || v->type == LSQL_TYPE_BLOB)
        lsql__free((void *)v->u.bytes.p);
    v->type = LSQL_TYPE_NULL;
    v->u.i = 0;
}

int lsql__value_check(const lsql_value *v)
{
    switch (v->type) {
    case LSQL_TYPE_NULL:
    case LSQL_TYPE_INTEGER:
    case LSQL_TYPE_FLOAT:
        return LSQL_OK;
    case LSQL_TYPE_TEXT:
    case LSQL_TYPE_BLOB:
        if (!v->u.bytes.p && v->u.bytes.n)
            return LSQL_INVALID_ARG;
        return LSQL_OK;
    default:
        return LSQL_PARAM_TYPE;
    }
}

/* A detached row: one allocation holding the header, the values, the column
 * names and the bytes of text/blob values. */
struct lsql_row {
    uint32_t magic;
    int ncol;
    const char **names;
    lsql_value *vals;
};

/* Builds a detached copy of the current row of `st`. */
int lsql__row_from_stmt(lsql_stmt *st, lsql_row **out)
{
    const lsql_backend *be = st->conn->be;
    int n = be->column_count(st);
    size_t total = sizeof(lsql_row) + (size_t)n * (sizeof(char *) + sizeof(lsql_value));
    for (int i = 0; i < n; i++) {
        const char *nm = be->column_name(st, i);
        total += (nm ? strlen(nm) : 0) + 1;
        int t = be->column_type(st, i);
        if (t == LSQL_TYPE_TEXT || t == LSQL_TYPE_BLOB) {
            size_t len = 0;
            if (!be->column_bytes(st, i, &len, t == LSQL_TYPE_TEXT) && len)
                return LSQL_NOMEM;
            total += len + 1;
        }
    }
    lsql_row *r = lsql__malloc(total);
    if (!r)
        return LSQL_NOMEM;
    r->magic = LSQL_MAGIC_ROW;
    r->ncol = n;
    r->vals = (lsql_value *)(r + 1);
    r->names = (const char **)(r->vals + n);
    char *p = (char *)(r->names + n);
    for (int i = 0; i < n; i++) {
        const char *nm = be->column_name(st, i);
        size_t l = nm ? strlen(nm) : 0;
        memcpy(p, nm ? nm : "", l + 1);
        r->names[i] = p;
        p += l + 1;
        lsql_value *v = &r->vals[i];
        v->type = be->column_type(st, i);
        switch (v->type) {
        case LSQL_TYPE_INTEGER:
            v->u.i = be->column_int64(st, i);
            break;
        case LSQL_TYPE_FLOAT:
            v->u.d = be->column_double(st, i);
            break;
        case LSQL_TYPE_TEXT:
        case LSQL_TYPE_BLOB: {
            size_t len = 0;
            const void *b = be->column_bytes(st, i, &len, v->type == LSQL_TYPE_TEXT);
            if (len)
                memcpy(p, b, len);
            p[len] = 0;
            v->u.bytes.p = p;
            v->u.bytes.n = len;
            p += len + 1;
            break;
        }
        default:
            v->type = LSQL_TYPE_NULL;
            v->u.i = 0;
        }
    }
    *out = r;
    return LSQL_OK;
}

static bool row_ok(const lsql_row *r) { return r && r->magic == LSQL_MAGIC_ROW; }

LSQL_API int lsql_row_column_count(const lsql_row *row)
{
    return row_ok(row) ? row->ncol : 0;
}

LSQL_API const char *lsql_row_column_name(const lsql_row *row, int col)
{
    if (!row_ok(row) || col < 0 || col >= row->ncol)
        return NULL;
    return row->names[col];
}

LSQL_API int lsql_row_get(const lsql_row *row, int col, lsql_value *out)
{
    if (!row_ok(row))
        return LSQL_MISUSE_HANDLE;
    if (!out)
        return LSQL_INVALID_ARG;
    if (col < 0 || col >= row->ncol)
        return LSQL_RANGE;
    *out = row->vals[col];
    return LSQL_OK;
}

LSQL_API void lsql_row_free(lsql_row *row)
{
    if (!row_ok(row))
        return;
    row->magic = LSQL_MAGIC_DEAD;
    lsql__free(row);
}
