/* rowset.c -- detached row sets: the rows of a batch step or a cursor page,
 * copied out of the statement. Values sit in one array (row-major); text and
 * blob bytes in chunks that never move (so pointers handed out stay valid),
 * and the column names and declared types in one block shared by all rows. */
#include "txn_int.h"

#include <string.h>

struct rs_chunk {
    rs_chunk *next;
    size_t cap, used;
    /* bytes follow */
};

#define RS_CHUNK_FIRST 4096u
#define RS_CHUNK_MAX (1u << 20)

static unsigned char *chunk_data(rs_chunk *ch) { return (unsigned char *)(ch + 1); }

/* Room for n bytes that stay where they are until the row set is cleared. */
static unsigned char *rs_bytes(lsql_rowset *rs, size_t n)
{
    rs_chunk *head = rs->chunks;
    if (head && head->cap - head->used >= n) {
        unsigned char *p = chunk_data(head) + head->used;
        head->used += n;
        return p;
    }
    size_t cap = head ? head->cap * 2 : RS_CHUNK_FIRST;
    if (cap > RS_CHUNK_MAX)
        cap = RS_CHUNK_MAX;
    bool big = n > cap / 4;
    if (big)
        cap = n; /* a chunk of its own, behind the head: the head keeps filling */
    if (cap > SIZE_MAX - sizeof(rs_chunk))
        return NULL;
    rs_chunk *ch = lsql__malloc(sizeof *ch + cap);
    if (!ch)
        return NULL;
    ch->cap = cap;
    ch->used = n;
    if (big && head) {
        ch->next = head->next;
        head->next = ch;
    } else {
        ch->next = head;
        rs->chunks = ch;
    }
    return chunk_data(ch);
}

int lsql__rowset_init_cols(lsql_rowset *rs, int n, const char *const *names,
                           const char *const *decltypes)
{
    memset(rs, 0, sizeof *rs);
    rs->magic = LSQL_MAGIC_ROWSET;
    if (n <= 0)
        return LSQL_OK;
    size_t total = (size_t)n * 2 * sizeof(char *);
    for (int i = 0; i < n; i++) {
        const char *nm = names[i];
        const char *dt = decltypes ? decltypes[i] : NULL;
        total += (nm ? strlen(nm) : 0) + 1 + (dt ? strlen(dt) + 1 : 0);
    }
    char **cols = lsql__malloc(total);
    if (!cols)
        return LSQL_NOMEM;
    char *p = (char *)(cols + 2 * n);
    for (int i = 0; i < n; i++) {
        const char *nm = names[i];
        size_t l = nm ? strlen(nm) : 0;
        memcpy(p, nm ? nm : "", l + 1);
        cols[i] = p;
        p += l + 1;
        const char *dt = decltypes ? decltypes[i] : NULL;
        if (dt) {
            l = strlen(dt);
            memcpy(p, dt, l + 1);
            cols[n + i] = p;
            p += l + 1;
        } else {
            cols[n + i] = NULL;
        }
    }
    rs->cols = cols;
    rs->ncol = n;
    return LSQL_OK;
}

int lsql__rowset_init(lsql_rowset *rs, lsql_stmt *st)
{
    const lsql_backend *be = st->conn->be;
    int n = be->column_count(st);
    if (n <= 0)
        return lsql__rowset_init_cols(rs, 0, NULL, NULL);
    const char **names = lsql__malloc((size_t)n * 2 * sizeof *names);
    if (!names) {
        memset(rs, 0, sizeof *rs);
        rs->magic = LSQL_MAGIC_ROWSET;
        return LSQL_NOMEM;
    }
    for (int i = 0; i < n; i++) {
        names[i] = be->column_name(st, i);
        names[n + i] = be->column_decltype(st, i);
    }
    int rc = lsql__rowset_init_cols(rs, n, names, names + n);
    lsql__free(names);
    return rc;
}

/* Room for one more row; its values. NULL when out of memory. */
static lsql_value *rs_new_row(lsql_rowset *rs)
{
    size_t ncol = (size_t)rs->ncol;
    if (rs->nrows == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 16;
        if (cap > SIZE_MAX / sizeof(lsql_value) / ncol)
            return NULL;
        lsql_value *v = lsql__realloc(rs->vals, cap * ncol * sizeof(lsql_value));
        if (!v)
            return NULL;
        rs->vals = v;
        rs->cap = cap;
    }
    return rs->vals + rs->nrows * ncol;
}

/* A row without values to copy: counted when the row set has no columns,
 * else the allocation of its values failed. */
static int rs_no_values(lsql_rowset *rs)
{
    if (rs->ncol)
        return LSQL_NOMEM;
    rs->nrows++;
    return LSQL_OK;
}

/* Copies len bytes (and a NUL) into the row set's chunks. */
static const unsigned char *rs_copy(lsql_rowset *rs, const void *b, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    unsigned char *dst = rs_bytes(rs, len + 1);
    if (!dst)
        return NULL;
    if (len)
        memcpy(dst, b, len);
    dst[len] = 0;
    return dst;
}

int lsql__rowset_add_values(lsql_rowset *rs, const lsql_value *vals)
{
    size_t ncol = (size_t)rs->ncol;
    lsql_value *row = NULL;
    if (ncol == 0 || !(row = rs_new_row(rs)))
        return rs_no_values(rs);
    for (size_t i = 0; i < ncol; i++) {
        row[i] = vals[i];
        if (vals[i].type == LSQL_TYPE_TEXT || vals[i].type == LSQL_TYPE_BLOB) {
            const unsigned char *d = rs_copy(rs, vals[i].u.bytes.p, vals[i].u.bytes.n);
            if (!d)
                return LSQL_NOMEM;
            row[i].u.bytes.p = d;
        } else if (vals[i].type != LSQL_TYPE_INTEGER && vals[i].type != LSQL_TYPE_FLOAT) {
            row[i].type = LSQL_TYPE_NULL;
            row[i].u.i = 0;
        }
    }
    rs->nrows++;
    return LSQL_OK;
}

int lsql__rowset_add(lsql_rowset *rs, lsql_stmt *st)
{
    size_t ncol = (size_t)rs->ncol;
    lsql_value *row = NULL;
    if (ncol == 0 || !(row = rs_new_row(rs)))
        return rs_no_values(rs);
    const lsql_backend *be = st->conn->be;
    for (size_t i = 0; i < ncol; i++) {
        lsql_value *v = &row[i];
        int col = (int)i;
        v->type = be->column_type(st, col);
        switch (v->type) {
        case LSQL_TYPE_INTEGER:
            v->u.i = be->column_int64(st, col);
            break;
        case LSQL_TYPE_FLOAT:
            v->u.d = be->column_double(st, col);
            break;
        case LSQL_TYPE_TEXT:
        case LSQL_TYPE_BLOB: {
            size_t len = 0;
            const void *b = be->column_bytes(st, col, &len, v->type == LSQL_TYPE_TEXT);
            if (!b && len)
                return LSQL_NOMEM;
            const unsigned char *dst = rs_copy(rs, b, len);
            if (!dst)
                return LSQL_NOMEM;
            v->u.bytes.p = dst;
            v->u.bytes.n = len;
            break;
        }
        default:
            v->type = LSQL_TYPE_NULL;
            v->u.i = 0;
        }
    }
    rs->nrows++;
    return LSQL_OK;
}

void lsql__rowset_clear(lsql_rowset *rs)
{
    rs->nrows = 0;
    rs_chunk *head = rs->chunks;
    if (!head)
        return;
    /* keep the head (the chunk being filled, the largest regular one) */
    rs_chunk *ch = head->next;
    while (ch) {
        rs_chunk *nx = ch->next;
        lsql__free(ch);
        ch = nx;
    }
    head->next = NULL;
    head->used = 0;
}

void lsql__rowset_fini(lsql_rowset *rs)
{
    rs_chunk *ch = rs->chunks;
    while (ch) {
        rs_chunk *nx = ch->next;
        lsql__free(ch);
        ch = nx;
    }
    lsql__free(rs->vals);
    lsql__free(rs->cols);
    memset(rs, 0, sizeof *rs);
    rs->magic = LSQL_MAGIC_DEAD;
}

/* ---- public --------------------------------------------------------------- */

static bool rs_ok(const lsql_rowset *rs) { return rs && rs->magic == LSQL_MAGIC_ROWSET; }

static const lsql_value *rs_at(const lsql_rowset *rs, size_t row, int col)
{
    if (!rs_ok(rs) || row >= rs->nrows || col < 0 || col >= rs->ncol)
        return NULL;
    return &rs->vals[row * (size_t)rs->ncol + (size_t)col];
}

LSQL_API size_t lsql_rowset_count(const lsql_rowset *rs)
{
    return rs_ok(rs) ? rs->nrows : 0;
}

LSQL_API int lsql_rowset_column_count(const lsql_rowset *rs)
{
    return rs_ok(rs) ? rs->ncol : 0;
}

LSQL_API const char *lsql_rowset_column_name(const lsql_rowset *rs, int col)
{
    if (!rs_ok(rs) || col < 0 || col >= rs->ncol)
        return NULL;
    return rs->cols[col];
}

LSQL_API const char *lsql_rowset_column_decltype(const lsql_rowset *rs, int col)
{
    if (!rs_ok(rs) || col < 0 || col >= rs->ncol)
        return NULL;
    return rs->cols[rs->ncol + col];
}

LSQL_API int lsql_rowset_get(const lsql_rowset *rs, size_t row, int col, lsql_value *out)
{
    if (!rs_ok(rs))
        return LSQL_MISUSE_HANDLE;
    if (!out)
        return LSQL_INVALID_ARG;
    const lsql_value *v = rs_at(rs, row, col);
    if (!v)
        return LSQL_RANGE;
    *out = *v;
    return LSQL_OK;
}

LSQL_API int64_t lsql_rowset_int64(const lsql_rowset *rs, size_t row, int col)
{
    const lsql_value *v = rs_at(rs, row, col);
    if (!v)
        return 0;
    if (v->type == LSQL_TYPE_INTEGER)
        return v->u.i;
    if (v->type == LSQL_TYPE_FLOAT && v->u.d >= -9223372036854775808.0 &&
        v->u.d < 9223372036854775808.0)
        return (int64_t)v->u.d;
    return 0;
}

LSQL_API const char *lsql_rowset_text(const lsql_rowset *rs, size_t row, int col, size_t *len)
{
    const lsql_value *v = rs_at(rs, row, col);
    if (!v || (v->type != LSQL_TYPE_TEXT && v->type != LSQL_TYPE_BLOB)) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = v->u.bytes.n;
    return v->u.bytes.p;
}
