/* cursor.c -- paging cursors: the statement is stepped only as far as the
 * page asks, rows are copied into one reused page, so memory is bounded by
 * the largest page whatever the size of the result. */
#include "txn_int.h"

#include <string.h>

enum { CUR_OPEN = 1, CUR_DONE, CUR_FAILED, CUR_RESET };

struct lsql_cursor {
    uint32_t magic;
    int state; /* CUR_* */
    lsql_conn *conn;
    lsql_stmt *st; /* NULL once the end, an error or a reset was reached */
    uint64_t nread;
    lsql_rowset page;
    lsql_cursor *prev, *next; /* in conn->cursors */
    lsql_error err;           /* the error that ended it (CUR_FAILED) */
};

static bool cur_ok(const lsql_cursor *cur) { return cur && cur->magic == LSQL_MAGIC_CURSOR; }

static void cur_unlink(lsql_cursor *cur)
{
    lsql_conn *c = cur->conn;
    if (cur->prev)
        cur->prev->next = cur->next;
    else if (c->cursors == cur)
        c->cursors = cur->next;
    if (cur->next)
        cur->next->prev = cur->prev;
    cur->prev = cur->next = NULL;
}

static void cur_release(lsql_cursor *cur)
{
    if (cur->st) {
        lsql__stmt_release(cur->st);
        cur->st = NULL;
    }
}

LSQL_API int lsql_cursor_open(lsql_conn *c, const char *sql, const lsql_param *params,
                              size_t nparams, lsql_cursor **out, lsql_error *err)
{
    if (out)
        *out = NULL;
    if (!lsql__conn_valid(c))
        return lsql__fail(err, LSQL_MISUSE_HANDLE, "lsql_cursor_open: invalid connection handle");
    if (!out || !sql)
        return lsql__conn_fail(c, err, LSQL_INVALID_ARG,
                               "lsql_cursor_open: sql and out must not be NULL");
    lsql_cursor *cur = lsql__calloc(1, sizeof *cur);
    if (!cur)
        return lsql__conn_fail(c, err, LSQL_NOMEM, "out of memory allocating a cursor");
    lsql_stmt *st = NULL;
    int rc = lsql__stmt_acquire(c, sql, strlen(sql), true, ST_ORIGIN_INTERNAL, 0, &st, NULL, err);
    if (rc) {
        lsql__free(cur);
        return rc;
    }
    if (st->has_tail)
        rc = lsql__conn_fail(c, err, LSQL_INVALID_SQL,
                             "SQL holds more than one statement; a cursor runs one query");
    else if ((nparams || c->be->param_count(st)) &&
             lsql__bind_params(st, params, nparams, LSQL_COPY))
        rc = lsql__conn_err(c, err);
    else if (lsql__rowset_init(&cur->page, st))
        rc = lsql__conn_fail(c, err, LSQL_NOMEM, "out of memory allocating a cursor");
    if (rc) {
        lsql__rowset_fini(&cur->page);
        lsql__stmt_release(st);
        lsql__free(cur);
        return rc;
    }
    if (c->be->stmt_stream)
        c->be->stmt_stream(st);
    st->busy = true; /* nothing else may bind or step it */
    cur->magic = LSQL_MAGIC_CURSOR;
    cur->state = CUR_OPEN;
    cur->conn = c;
    cur->st = st;
    lsql_error_clear(&cur->err);
    cur->next = c->cursors;
    if (c->cursors)
        c->cursors->prev = cur;
    c->cursors = cur;
    *out = cur;
    lsql__conn_ok(c, err);
    return LSQL_OK;
}

LSQL_API int lsql_cursor_fetch(lsql_cursor *cur, size_t max_rows, const lsql_rowset **page,
                               lsql_error *err)
{
    if (!cur_ok(cur))
        return lsql__fail(err, LSQL_MISUSE_HANDLE, "lsql_cursor_fetch: invalid cursor handle");
    lsql_conn *c = cur->conn;
    if (!page || max_rows == 0)
        return lsql__conn_fail(c, err, LSQL_INVALID_ARG,
                               "lsql_cursor_fetch: %s", page ? "max_rows is 0" : "page is NULL");
    lsql__rowset_clear(&cur->page);
    *page = &cur->page;
    switch (cur->state) {
    case CUR_DONE:
        lsql__conn_ok(c, err);
        return LSQL_DONE;
    case CUR_FAILED:
        c->last = cur->err;
        return lsql__conn_err(c, err);
    case CUR_RESET:
        return lsql__conn_fail(c, err, LSQL_MISUSE_STATE,
                               "lsql_cursor_fetch: the connection was reset (lsql_conn_reset); "
                               "close the cursor");
    default:
        break;
    }
    lsql_stmt *st = cur->st;
    const lsql_backend *be = c->be;
    int rc = LSQL_OK;
    while (cur->page.nrows < max_rows) {
        rc = be->step(st);
        if (LSQL_LIKELY(rc == LSQL_ROW)) {
            if (lsql__rowset_add(&cur->page, st)) {
                rc = lsql__conn_fail(c, NULL, LSQL_NOMEM, "out of memory copying a row");
                break;
            }
            cur->nread++;
            continue;
        }
        break;
    }
    if (rc == LSQL_ROW || (rc == LSQL_OK && cur->page.nrows)) {
        lsql__conn_ok(c, err);
        return LSQL_ROW;
    }
    if (rc == LSQL_DONE) {
        lsql__stmt_done(st);
        cur_release(cur);
        cur->state = CUR_DONE;
        lsql__conn_ok(c, err);
        return cur->page.nrows ? LSQL_ROW : LSQL_DONE;
    }
    /* an error: keep it for the next calls, give the statement back */
    cur->err = c->last;
    cur_release(cur);
    cur->state = CUR_FAILED;
    return lsql__conn_err(c, err);
}

LSQL_API uint64_t lsql_cursor_rows_read(const lsql_cursor *cur)
{
    return cur_ok(cur) ? cur->nread : 0;
}

static void cur_destroy(lsql_cursor *cur)
{
    lsql__rowset_fini(&cur->page);
    cur->magic = LSQL_MAGIC_DEAD;
    lsql__free(cur);
}

LSQL_API int lsql_cursor_close(lsql_cursor *cur)
{
    if (!cur)
        return LSQL_OK;
    if (!cur_ok(cur))
        return LSQL_MISUSE_HANDLE;
    cur_release(cur);
    cur_unlink(cur);
    cur_destroy(cur);
    return LSQL_OK;
}

void lsql__cursors_reset(lsql_conn *c)
{
    for (lsql_cursor *cur = c->cursors; cur; cur = cur->next) {
        cur_release(cur);
        if (cur->state == CUR_OPEN)
            cur->state = CUR_RESET;
        lsql__rowset_clear(&cur->page);
    }
}

void lsql__cursors_destroy(lsql_conn *c)
{
    while (c->cursors) {
        lsql_cursor *cur = c->cursors;
        c->cursors = cur->next;
        cur_release(cur);
        cur_destroy(cur);
    }
}
