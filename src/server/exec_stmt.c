/* exec_stmt.c -- one statement: resolve its text, prepare (accepting BEGIN
 * READONLY), bind, take the write lock when it writes, step, write rows
 * into the response (through its lsqld_out); plus sequences and describe. */
#include "exec.h"
#include "sqltext.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


int lsqld_resolve_sql(xctx *x, hrana_str sql, int has_id, int32_t id, const char **p, size_t *n,
                      xerr *e)
{
    if (sql.p) {
        *p = sql.p;
        *n = sql.n;
        return 0;
    }
    (void)has_id;
    const stored_sql *s = lsqld_stream_sql_find(x->st, id);
    if (!s)
        return lsqld_xfail(e, "SQL_NOT_FOUND", "no SQL text stored with sql_id %d on this stream",
                           (int)id);
    *p = s->sql;
    *n = s->n;
    return 0;
}

int lsqld_take_writer(xctx *x, xerr *e)
{
    lsqld_stream *S = x->st;
    if (S->holds_writer)
        return 0;
    int waited = 0;
    lsqld_server *srv = x->srv;
    atomic_fetch_add(&srv->metrics.writer_waiting, 1);
    int rc = lsqld_writer_acquire(&srv->writer, S->id, srv->cfg.writer_timeout_ms, &waited);
    atomic_fetch_sub(&srv->metrics.writer_waiting, 1);
    if (rc) {
        atomic_fetch_add(&srv->metrics.writer_timeouts, 1);
        return lsqld_xfail(e, "SQLITE_BUSY",
                           "database is locked: another stream kept the write lock for more "
                           "than %u ms",
                           srv->cfg.writer_timeout_ms);
    }
    if (waited)
        atomic_fetch_add(&srv->metrics.writer_waits, 1);
    S->holds_writer = 1;
    return 0;
}

/* After every statement: end a read-only transaction's query_only and give
 * the write lock back once the connection is in autocommit again. */
static void after_stmt(xctx *x)
{
    lsqld_stream *S = x->st;
    if (!S->conn)
        return;
    int ac = 1;
    lsql_is_autocommit(S->conn, &ac);
    if (!ac)
        return;
    if (S->ro_txn) {
        lsql_exec(S->conn, "PRAGMA query_only=OFF", NULL, 0, NULL, NULL);
        S->ro_txn = 0;
    }
    if (S->holds_writer && !x->pin_writer) {
        lsqld_writer_release(&x->srv->writer, S->id);
        S->holds_writer = 0;
    }
}

/* A refusal of lsqld's authorizer: its reason instead of SQLite's "not
 * authorized". */
static void explain_denial(lsqld_pconn *pc, xerr *e)
{
    if (pc->denied && e->code && !strcmp(e->code, "SQLITE_AUTH"))
        snprintf(e->message, sizeof e->message, "%s", pc->denied);
}

/* Prepares the first statement of sql[0..n), which starts at byte `base`
 * of the client's text (error offsets count from there). *out NULL when
 * there is none; *used = bytes consumed (up to the tail); *bk = its BEGIN
 * kind. */
static int prepare_one(xctx *x, const char *sql, size_t n, size_t base, unsigned flags,
                       lsql_stmt **out, size_t *used, int *bk, xerr *e)
{
    size_t end = n;
    *bk = lsqld_sql_begin_kind(sql, n, 0, &end);
    const char *text = sql;
    size_t len = n;
    if (*bk == LSQLD_BEGIN_READONLY) { /* libSQL syntax: a deferred, read-only transaction */
        text = "BEGIN DEFERRED";
        len = 14;
    }
    lsql_error err;
    const char *tail = NULL;
    x->st->pc->denied = NULL;
    int rc = lsql_prepare(x->st->conn, text, (int)len, flags | LSQL_PREPARE_ALLOW_EMPTY, out, &tail,
                          &err);
    if (rc != LSQL_OK) {
        lsqld_pconn_note_error(x->st->pc, rc);
        if (err.offset >= 0 && text == sql && base <= (size_t)(INT_MAX - err.offset))
            err.offset += (int)base;
        lsqld_xerr_from_lsql(e, &err, 1);
        explain_denial(x->st->pc, e);
        return -1;
    }
    if (*bk == LSQLD_BEGIN_READONLY)
        *used = end;
    else
        *used = tail ? (size_t)(tail - text) : len;
    return 0;
}

static int bind_args(lsql_stmt *st, const hrana_stmt *s, xerr *e)
{
    int pc = lsql_param_count(st);
    lsql_error err;
    if (s->nnamed == 0) {
        if (s->nargs != (size_t)pc)
            return lsqld_xfail(e, "ARGS_INVALID",
                               "the statement has %d parameter%s but %zu argument%s given", pc,
                               pc == 1 ? "" : "s", s->nargs, s->nargs == 1 ? " was" : "s were");
        for (size_t i = 0; i < s->nargs; i++) {
            int rc = lsql_bind_value(st, (int)i + 1, &s->args[i], LSQL_STATIC);
            if (rc != LSQL_OK) {
                lsql_conn_error(lsql_stmt_conn(st), &err);
                lsqld_xerr_from_lsql(e, &err, 0);
                return -1;
            }
        }
        return 0;
    }
    unsigned char small[256];
    unsigned char *bound = (size_t)pc + 1 <= sizeof small ? small : calloc((size_t)pc + 1, 1);
    if (!bound)
        return lsqld_xfail(e, "SQLITE_NOMEM", "out of memory");
    memset(bound, 0, bound == small ? sizeof small : 0);
    int ret = 0;
    for (size_t i = 0; i < s->nnamed && !ret; i++) {
        const hrana_named_arg *a = &s->named_args[i];
        int idx = lsql_param_index(st, a->name.p);
        if (idx <= 0) {
            ret = lsqld_xfail(e, "ARGS_INVALID", "the statement has no parameter named '%.100s'",
                              a->name.p);
        } else if (bound[idx]) {
            ret = lsqld_xfail(e, "ARGS_INVALID", "parameter '%.100s' is given twice", a->name.p);
        } else if (lsql_bind_value(st, idx, &a->value, LSQL_STATIC) != LSQL_OK) {
            lsql_conn_error(lsql_stmt_conn(st), &err);
            lsqld_xerr_from_lsql(e, &err, 0);
            ret = -1;
        } else {
            bound[idx] = 1;
        }
    }
    for (int i = 1; i <= pc && !ret; i++) {
        const char *name = lsql_param_name(st, i);
        if (!bound[i] && name)
            ret = lsqld_xfail(e, "ARGS_INVALID", "parameter '%.100s' has no value", name);
    }
    if (bound != small)
        free(bound);
    return ret;
}

static int too_large(const xctx *x)
{
    return x->b->overflow || x->b->len > x->max_response;
}

/* The statement's end: finalized (back to the cache), the write lock and
 * query_only looked after. */
static void run_end(xctx *x, lsqld_run *r)
{
    x->st->pc->vacuum = 0;
    if (r->st) {
        lsql_finalize(r->st);
        r->st = NULL;
    }
    after_stmt(x);
}

/* Everything before the first step of a prepared statement (owned by r
 * from now on): what it will do, the write lock. On failure the statement
 * is ended. */
static int run_begin(xctx *x, lsql_stmt *st, int bk, int mode, uint32_t step, int want_rows,
                     lsqld_run *r, xerr *e)
{
    lsqld_stream *S = x->st;
    memset(r, 0, sizeof *r);
    r->st = st;
    r->bk = bk;
    r->mode = mode;
    r->step = step;
    r->want_rows = want_rows;
    lsql_stmt_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    lsql_stmt_info_get(st, &info);
    r->readonly = info.readonly;
    r->kind = info.kind;
    r->writes = !info.readonly || bk == LSQLD_BEGIN_IMMEDIATE || bk == LSQLD_BEGIN_EXCLUSIVE;
    x->last_readonly = !r->writes;
    const char *text = lsql_stmt_sql(st);
    /* what the connection must undo before another stream gets it */
    if (!(info.readonly && info.kind == LSQL_KIND_SELECT) && !info.is_explain) {
        S->pc->dirty = 1;
        if (info.kind == LSQL_KIND_PRAGMA && text && lsqld_sql_pragma_sets(text, strlen(text)))
            S->pc->tainted = 1;
    }
    /* plain VACUUM attaches a temporary database while it runs (allowed by
     * the authorizer, pool.c); VACUUM INTO does not qualify */
    r->plain_vacuum = info.kind == LSQL_KIND_VACUUM && text &&
                      lsqld_sql_is_plain_vacuum(text, strlen(text));
    if (r->writes && S->access == LSQLD_ACCESS_RW && !S->ro_txn && lsqld_take_writer(x, e)) {
        run_end(x, r);
        return -1;
    }
    lsql_total_changes(S->conn, &r->before);
    r->ac_before = 1;
    lsql_is_autocommit(S->conn, &r->ac_before);
    r->t0 = lsqld_now_ms();
    r->mark = x->b->len;
    return 0;
}

/* The columns, written once the first step has run: a statement compiled
 * again by that step (the schema changed since it was prepared) may have
 * other columns than before it. */
static void put_head(xctx *x, lsqld_run *r)
{
    r->ncols = lsql_column_count(r->st);
    if (r->mode == OUT_RESULT)
        x->out->result_head(x->b, r->st, r->ncols);
    else if (r->mode == OUT_CURSOR)
        x->out->cursor_step_begin(x->b, r->step, r->st, r->ncols);
    r->started = 1;
}

int lsqld_stmt_resume(xctx *x, lsqld_run *r, size_t pause_at, xerr *e)
{
    lsqld_stream *S = x->st;
    lsqld_server *srv = x->srv;
    hrana_buf *b = x->b;
    lsql_stmt *st = r->st;
    /* the time limit counts the time spent stepping, not the pauses of a
     * cursor waiting for its client */
    int64_t resumed = lsqld_now_ms();
    unsigned limit = srv->cfg.statement_timeout_ms;
    S->pc->deadline_ms = limit ? resumed + (int64_t)limit - r->used_ms : 0;
    S->pc->vacuum = r->plain_vacuum;
    S->pc->denied = NULL;
    lsql_error err;
    int rc;
    int nomem = 0;
    for (;;) {
        rc = lsql_step(st, &err);
        if (rc != LSQL_ROW && rc != LSQL_DONE) {
            /* A transaction upgrading from read to write gets an immediate
             * SQLITE_BUSY (SQLite calls no busy handler there) when some
             * connection holds the WAL write lock for an instant without
             * being a writer (a reader checking the wal-index header). We
             * hold the server's write lock, so no real writer competes: try
             * the statement again, with a bounded backoff. Not for
             * BUSY_SNAPSHOT (the snapshot is stale: the batch retry handles
             * that) and not once rows were produced. */
            if (rc == LSQL_BUSY && err.sqlite_code == LSQL_BUSY && S->holds_writer &&
                r->stepped == 0 && r->waited_ms < srv->cfg.writer_timeout_ms) {
                lsql_reset(st);
                r->backoff_ms = r->backoff_ms ? (r->backoff_ms < 32 ? r->backoff_ms * 2 : 32) : 1;
                usleep(r->backoff_ms * 1000u);
                r->waited_ms += r->backoff_ms;
                continue;
            }
            break;
        }
        if (!r->started)
            put_head(x, r);
        if (rc == LSQL_DONE)
            break;
        r->stepped++;
        if (!r->want_rows || r->mode == OUT_NONE || r->big)
            continue;
        size_t line = b->len;
        if (r->mode == OUT_RESULT ? x->out->result_row(b, st, r->ncols, r->nrows)
                                  : x->out->cursor_row(b, st, r->ncols)) {
            hrana_buf_truncate(b, line);
            nomem = 1;
            break;
        }
        r->nrows++;
        /* a result: the whole response is bounded; a cursor: each entry */
        if (r->mode == OUT_RESULT ? too_large(x)
                                  : b->overflow || b->len - line > x->max_response) {
            r->big = 1;
            hrana_buf_truncate(b, r->mode == OUT_RESULT ? r->mark : line);
            if (r->readonly)
                break; /* nothing to finish: stop reading */
            continue;
        }
        if (b->len >= pause_at) { /* a cursor: send what is there first */
            S->pc->deadline_ms = 0;
            S->pc->vacuum = 0;
            r->used_ms += lsqld_now_ms() - resumed;
            return 1;
        }
    }
    int64_t deadline = S->pc->deadline_ms;
    S->pc->deadline_ms = 0;
    S->pc->vacuum = 0;
    r->used_ms += lsqld_now_ms() - resumed;
    /* a result is all or nothing; a cursor keeps the rows sent before the
     * step's error */
    if (r->big || nomem) {
        lsql_reset(st);
        if (r->mode != OUT_CURSOR)
            hrana_buf_truncate(b, r->mark);
        run_end(x, r);
        if (nomem) {
            S->pc->broken = 1;
            return lsqld_xfail(e, "SQLITE_NOMEM", "out of memory reading a column");
        }
        if (r->mode == OUT_CURSOR)
            return lsqld_xfail(e, "RESPONSE_TOO_LARGE",
                               "a row of the result is larger than the limit of %zu bytes",
                               x->max_response);
        return lsqld_xfail(e, "RESPONSE_TOO_LARGE",
                           "the result is larger than the response limit of %zu bytes",
                           x->max_response);
    }
    if (rc != LSQL_DONE) {
        if (r->mode != OUT_CURSOR)
            hrana_buf_truncate(b, r->mark);
        lsqld_pconn_note_error(S->pc, rc);
        lsqld_xerr_from_lsql(e, &err, 0);
        explain_denial(S->pc, e);
        if (LSQL_CLASS(rc) == LSQL_INTERRUPTED && deadline && lsqld_now_ms() > deadline)
            snprintf(e->message, sizeof e->message,
                     "interrupted: the statement ran longer than the limit of %u ms",
                     srv->cfg.statement_timeout_ms);
        else if (LSQL_CLASS(rc) == LSQL_INTERRUPTED &&
                 atomic_load(&srv->interrupt_all))
            snprintf(e->message, sizeof e->message, "interrupted: the server is shutting down");
        lsql_reset(st);
        run_end(x, r);
        return -1;
    }
    int64_t after = 0;
    lsql_total_changes(S->conn, &after);
    lsqld_out_end end = {0, 0, 0, 0};
    if (after != r->before)
        lsql_changes(S->conn, &end.affected);
    end.has_rowid = r->kind == LSQL_KIND_INSERT && after != r->before;
    if (end.has_rowid)
        lsql_last_insert_rowid(S->conn, &end.rowid);
    if (r->mode == OUT_RESULT) {
        end.duration_ms = lsqld_now_ms() - r->t0;
        x->out->result_tail(b, &end);
    } else if (r->mode == OUT_CURSOR) {
        x->out->cursor_step_end(b, &end);
    }
    int ac_after = 1;
    lsql_is_autocommit(S->conn, &ac_after);
    if (ac_after && (r->writes || !r->ac_before))
        x->commits++; /* it wrote in autocommit mode or ended a transaction */
    if (r->bk == LSQLD_BEGIN_READONLY || r->bk == LSQLD_BEGIN_TXN_READONLY) {
        /* enforce the read-only transaction until it ends (after_stmt) */
        if (lsql_exec(S->conn, "PRAGMA query_only=ON", NULL, 0, NULL, &err) == LSQL_OK)
            S->ro_txn = 1;
    }
    run_end(x, r);
    return 0;
}

void lsqld_stmt_abandon(xctx *x, lsqld_run *r)
{
    if (!r->st)
        return;
    lsql_reset(r->st);
    run_end(x, r);
}

int lsqld_stmt_start(xctx *x, const hrana_stmt *s, int mode, uint32_t step, lsqld_run *r,
                     xerr *e)
{
    r->st = NULL;
    const char *sql = NULL;
    size_t n = 0;
    if (lsqld_resolve_sql(x, s->sql, s->has_sql_id, s->sql_id, &sql, &n, e))
        return -1;
    if (s->nargs && s->nnamed)
        return lsqld_xfail(e, "ARGS_BOTH_POSITIONAL_AND_NAMED",
                           "a statement takes positional or named arguments, not both");
    lsql_stmt *st = NULL;
    size_t used = 0;
    int bk = 0;
    if (prepare_one(x, sql, n, 0, LSQL_PREPARE_CACHED, &st, &used, &bk, e))
        return -1;
    if (!st)
        return lsqld_xfail(e, "SQL_NO_STATEMENT", "the SQL text holds no statement");
    int rc = 0;
    if (!lsqld_sql_is_blank(sql, n, used))
        rc = lsqld_xfail(e, "SQL_MANY_STATEMENTS",
                         "the SQL text holds more than one statement (use a sequence or a "
                         "batch for several)");
    else
        rc = bind_args(st, s, e);
    if (rc) {
        lsql_finalize(st);
        after_stmt(x);
        return -1;
    }
    return run_begin(x, st, bk, mode, step, s->want_rows, r, e);
}

int lsqld_run_stmt(xctx *x, const hrana_stmt *s, int mode, uint32_t step, xerr *e)
{
    lsqld_run r;
    if (lsqld_stmt_start(x, s, mode, step, &r, e))
        return -1;
    return lsqld_stmt_resume(x, &r, SIZE_MAX, e);
}

int lsqld_run_sequence(xctx *x, const char *sql, size_t n, xerr *e)
{
    size_t pos = 0;
    for (;;) {
        pos = lsqld_sql_skip_space(sql, n, pos);
        if (pos >= n)
            return 0;
        lsql_stmt *st = NULL;
        size_t used = 0;
        int bk = 0;
        if (prepare_one(x, sql + pos, n - pos, pos, 0, &st, &used, &bk, e))
            return -1;
        if (!st)
            return 0;
        lsqld_run r;
        if (run_begin(x, st, bk, OUT_NONE, 0, 0, &r, e) || lsqld_stmt_resume(x, &r, SIZE_MAX, e))
            return -1;
        if (used == 0)
            return 0;
        pos += used;
    }
}

int lsqld_describe(xctx *x, const char *sql, size_t n, xerr *e)
{
    lsql_stmt *st = NULL;
    size_t used = 0;
    int bk = 0;
    if (prepare_one(x, sql, n, 0, LSQL_PREPARE_CACHED, &st, &used, &bk, e))
        return -1;
    if (!st)
        return lsqld_xfail(e, "SQL_NO_STATEMENT", "the SQL text holds no statement");
    if (!lsqld_sql_is_blank(sql, n, used)) {
        lsql_finalize(st);
        return lsqld_xfail(e, "SQL_MANY_STATEMENTS", "the SQL text holds more than one statement");
    }
    lsql_stmt_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    lsql_stmt_info_get(st, &info);
    x->out->describe(x->b, st, info.is_explain, info.readonly);
    lsql_finalize(st);
    return 0;
}
