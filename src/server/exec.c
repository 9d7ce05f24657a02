/* exec.c -- pipelines and cursors: decode, take the stream, run each
 * request (batches with their conditions and the BUSY retry), write the
 * answer (in the endpoint's encoding, an lsqld_out) with a fresh baton. */
#include "exec.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Room reserved after max_response for error objects and the envelope. */
#define RESPONSE_RESERVE (64u * 1024)
/* First allocation of a response: fits the usual one-row answer. */
#define INITIAL_RESPONSE 2048

void lsqld_reply_error(lsqld_reply *out, int status, const char *code, const char *message)
{
    hrana_buf b;
    hrana_buf_init(&b, 4096);
    hrana_encode_error(&b, message, code);
    out->status = status;
    out->content_type = "application/json";
    out->body = hrana_buf_detach(&b, &out->len);
    out->error_code = code;
}

static int autocommit(lsqld_stream *S)
{
    int ac = 1;
    if (S->conn)
        lsql_is_autocommit(S->conn, &ac);
    return ac;
}

static int eval(const hrana_cond *c, const unsigned char *outcome, lsqld_stream *S)
{
    switch (c->type) {
    case HRANA_COND_OK:
        return outcome[c->step] == 1;
    case HRANA_COND_ERROR:
        return outcome[c->step] == 2;
    case HRANA_COND_NOT:
        return !eval(&c->conds[0], outcome, S);
    case HRANA_COND_AND:
        for (size_t i = 0; i < c->nconds; i++)
            if (!eval(&c->conds[i], outcome, S))
                return 0;
        return 1;
    case HRANA_COND_OR:
        for (size_t i = 0; i < c->nconds; i++)
            if (eval(&c->conds[i], outcome, S))
                return 1;
        return 0;
    default: /* HRANA_COND_IS_AUTOCOMMIT */
        return autocommit(S);
    }
}

/* Decides whether a statement that failed with SQLITE_BUSY may be re-run
 * from the start of its batch/sequence: the request started in autocommit
 * (it owns any transaction it opened), nothing was committed yet, first
 * attempt, and the write lock could be taken. Prepares the re-run: takes
 * and pins the write lock, rolls back. */
static int prepare_retry(xctx *x, const xerr *e, int start_ac, int committed, int attempt)
{
    if (!e->busy || !start_ac || committed || attempt || !x->st->conn)
        return 0;
    xerr ignored;
    if (lsqld_take_writer(x, &ignored))
        return 0;
    x->pin_writer = 1;
    if (!autocommit(x->st))
        lsql_exec(x->st->conn, "ROLLBACK", NULL, 0, NULL, NULL);
    atomic_fetch_add(&x->srv->metrics.batch_retries, 1);
    return 1;
}

/* Gives back a pinned write lock once the connection is in autocommit. */
static void unpin(xctx *x)
{
    if (!x->pin_writer)
        return;
    x->pin_writer = 0;
    lsqld_stream *S = x->st;
    if (S->holds_writer && autocommit(S)) {
        lsqld_writer_release(&x->srv->writer, S->id);
        S->holds_writer = 0;
    }
}

/* Runs a batch: a BatchResult. */
static int run_batch(xctx *x, const hrana_batch *bt, xerr *fatal)
{
    hrana_buf *b = x->b;
    const lsqld_out *O = x->out;
    lsqld_stream *S = x->st;
    size_t n = bt->nsteps;
    size_t mark0 = b->len;
    int start_ac = autocommit(S);
    unsigned char *outcome = calloc(n ? n : 1, 1);
    xerr **errs = calloc(n ? n : 1, sizeof *errs);
    if (!outcome || !errs) {
        free(outcome);
        free(errs);
        return lsqld_xfail(fatal, "INTERNAL_ERROR", "out of memory");
    }
    int attempt = 0;
again:;
    unsigned long commits0 = x->commits;
    int retry = 0;
    O->batch_begin(b);
    for (size_t i = 0; i < n; i++) {
        const hrana_step *step = &bt->steps[i];
        lsqld_out_mark m;
        O->step_begin(b, (uint32_t)i, &m);
        /* !S->conn: a ROLLBACK cannot close it, but be safe */
        if (!S->conn || (step->cond && !eval(step->cond, outcome, S))) {
            outcome[i] = 0;
            O->step_none(b, &m);
            continue;
        }
        xerr e;
        if (lsqld_run_stmt(x, &step->stmt, OUT_RESULT, (uint32_t)i, &e) == 0) {
            outcome[i] = 1;
            O->step_ok(b, &m);
            continue;
        }
        outcome[i] = 2;
        if (prepare_retry(x, &e, start_ac, x->commits != commits0, attempt)) {
            retry = 1;
            break;
        }
        lsqld_metrics_error(&x->srv->metrics, e.code);
        O->step_none(b, &m);
        errs[i] = malloc(sizeof **errs);
        if (errs[i])
            *errs[i] = e;
    }
    if (retry) {
        attempt = 1;
        hrana_buf_truncate(b, mark0);
        memset(outcome, 0, n ? n : 1);
        for (size_t i = 0; i < n; i++) {
            free(errs[i]);
            errs[i] = NULL;
        }
        goto again;
    }
    unpin(x);
    O->errors_begin(b);
    for (size_t i = 0; i < n; i++) {
        O->step_error(b, (uint32_t)i, errs[i] ? errs[i]->message : NULL,
                      errs[i] ? errs[i]->code : NULL);
        free(errs[i]);
    }
    O->batch_end(b);
    free(errs);
    free(outcome);
    return 0;
}

static int run_sequence(xctx *x, const char *sql, size_t n, xerr *e)
{
    int start_ac = autocommit(x->st);
    unsigned long commits0 = x->commits;
    if (lsqld_run_sequence(x, sql, n, e) == 0)
        return 0;
    if (!prepare_retry(x, e, start_ac, x->commits != commits0, 0))
        return -1;
    int rc = lsqld_run_sequence(x, sql, n, e);
    unpin(x);
    return rc;
}

static int store_sql(xctx *x, const hrana_request *r, xerr *e)
{
    lsqld_stream *S = x->st;
    const lsqld_config *c = &x->srv->cfg;
    if (lsqld_stream_sql_find(S, r->sql_id))
        return lsqld_xfail(e, "SQL_STORE_EXISTS", "sql_id %d is already stored on this stream",
                           (int)r->sql_id);
    if (S->nsqls >= c->max_stored_sql)
        return lsqld_xfail(e, "SQL_STORE_TOO_MANY",
                           "the stream already stores %zu SQL texts (limit %u)", S->nsqls,
                           c->max_stored_sql);
    if (r->sql.n > c->max_stored_sql_bytes)
        return lsqld_xfail(e, "SQL_STORE_TOO_LARGE",
                           "SQL text of %zu bytes is larger than the limit of %zu for stored SQL",
                           r->sql.n, c->max_stored_sql_bytes);
    stored_sql *arr = realloc(S->sqls, (S->nsqls + 1) * sizeof *arr);
    if (!arr)
        return lsqld_xfail(e, "INTERNAL_ERROR", "out of memory");
    S->sqls = arr;
    char *copy = malloc(r->sql.n + 1);
    if (!copy)
        return lsqld_xfail(e, "INTERNAL_ERROR", "out of memory");
    memcpy(copy, r->sql.p, r->sql.n);
    copy[r->sql.n] = 0;
    arr[S->nsqls].id = r->sql_id;
    arr[S->nsqls].sql = copy;
    arr[S->nsqls].n = r->sql.n;
    S->nsqls++;
    return 0;
}

static void close_sql(lsqld_stream *S, int32_t id)
{
    for (size_t i = 0; i < S->nsqls; i++)
        if (S->sqls[i].id == id) {
            free(S->sqls[i].sql);
            S->sqls[i] = S->sqls[--S->nsqls];
            return;
        }
}

/* One request of a pipeline: a StreamResult. */
static void run_request(xctx *x, const hrana_request *r)
{
    hrana_buf *b = x->b;
    const lsqld_out *O = x->out;
    lsqld_stream *S = x->st;
    size_t mark = b->len;
    xerr e;
    int rc = 0;
    const char *sql = NULL;
    size_t n = 0;
    lsqld_out_mark m;
    if (!S->conn) {
        rc = lsqld_xfail(&e, "STREAM_CLOSED", "the stream was closed by an earlier close request");
        goto out;
    }
    if (!hrana_req_type_name(r->type)) { /* the decoders refuse them: be safe */
        rc = lsqld_xfail(&e, "REQUEST_UNKNOWN", "unknown request");
        goto out;
    }
    O->ok_begin(b, r->type, &m);
    switch (r->type) {
    case HRANA_REQ_EXECUTE:
        rc = lsqld_run_stmt(x, &r->stmt, OUT_RESULT, 0, &e);
        break;
    case HRANA_REQ_BATCH:
        rc = run_batch(x, &r->batch, &e);
        break;
    case HRANA_REQ_SEQUENCE:
        rc = lsqld_resolve_sql(x, r->sql, r->has_sql_id, r->sql_id, &sql, &n, &e);
        if (!rc)
            rc = run_sequence(x, sql, n, &e);
        break;
    case HRANA_REQ_DESCRIBE:
        rc = lsqld_resolve_sql(x, r->sql, r->has_sql_id, r->sql_id, &sql, &n, &e);
        if (!rc)
            rc = lsqld_describe(x, sql, n, &e);
        break;
    case HRANA_REQ_STORE_SQL:
        rc = store_sql(x, r, &e);
        break;
    case HRANA_REQ_CLOSE_SQL:
        close_sql(S, r->sql_id);
        break;
    case HRANA_REQ_CLOSE:
        lsqld_stream_close_conn(x->srv, S);
        S->closed = 1;
        break;
    case HRANA_REQ_GET_AUTOCOMMIT:
        O->is_autocommit(b, autocommit(S));
        break;
    default:
        rc = lsqld_xfail(&e, "REQUEST_UNKNOWN", "unknown request");
    }
    if (!rc) {
        O->ok_end(b, &m);
        if (b->len > x->max_response || b->overflow)
            rc = lsqld_xfail(&e, "RESPONSE_TOO_LARGE",
                             "the response is larger than the limit of %zu bytes",
                             x->max_response);
    }
out:
    lsqld_metrics_stream_req(&x->srv->metrics, r->type, rc != 0);
    if (rc) {
        hrana_buf_truncate(b, mark);
        lsqld_metrics_error(&x->srv->metrics, e.code);
        O->error_result(b, e.message, e.code);
    }
}

/* A body that could not be decoded: a JSON error answer in any encoding. */
static void decode_failed(const lsqld_out *enc, lsqld_reply *out, const hrana_status *st)
{
    int status = st->code == HRANA_E_TOO_LARGE ? 413 : st->code == HRANA_E_NOMEM ? 500 : 400;
    lsqld_reply_error(out, status, enc->status_name(st->code), st->message);
}

/* Takes the stream of `baton` or opens one. */
static int take_stream(lsqld_server *s, hrana_str baton, int access, lsqld_stream **st,
                       lsqld_reply *out)
{
    lsqld_fail f;
    int rc = baton.p ? lsqld_stream_acquire(s, baton.p, baton.n, access, st, &f)
                     : lsqld_stream_create(s, access, st, &f);
    if (rc)
        lsqld_reply_error(out, f.status, f.code, f.message);
    return rc;
}

/* Releases the stream and ends the body with its new baton (or none). */
static void end_pipeline(xctx *x, size_t slot)
{
    char baton[LSQLD_BATON_LEN + 1];
    int has = 0;
    lsqld_stream_release(x->srv, x->st, baton, &has);
    x->out->pipeline_end(x->b, slot, has ? baton : NULL, has ? LSQLD_BATON_LEN : 0);
}

static void finish(hrana_buf *b, lsqld_reply *out, const char *content_type)
{
    if (b->overflow) {
        hrana_buf_free(b);
        lsqld_reply_error(out, 500, "RESPONSE_TOO_LARGE",
                          "the response could not be built (too large or out of memory)");
        return;
    }
    out->status = 200;
    out->content_type = content_type;
    out->body = hrana_buf_detach(b, &out->len);
    out->error_code = NULL;
}

/* Starts a pipeline response: the bounded buffer, the execution context and
 * the envelope (the JSON baton slot). */
static void begin_response(lsqld_server *s, const lsqld_out *enc, lsqld_stream *S, hrana_buf *b,
                           xctx *x, size_t *slot)
{
    hrana_buf_init(b, s->cfg.max_response + RESPONSE_RESERVE);
    hrana_buf_reserve(b, INITIAL_RESPONSE); /* no regrowth for small answers */
    *x = (xctx){.srv = s, .st = S, .b = b, .out = enc, .max_response = s->cfg.max_response};
    enc->pipeline_begin(b, slot);
}

void lsqld_exec_pipeline(lsqld_server *s, const lsqld_out *enc, const char *body, size_t len,
                         int access, lsqld_reply *out)
{
    hrana_pipeline_req req;
    hrana_status st;
    if (enc->decode_pipeline(body, len, &s->cfg.limits, &req, &st) != HRANA_OK) {
        decode_failed(enc, out, &st);
        return;
    }
    lsqld_stream *S;
    if (take_stream(s, req.baton, access, &S, out)) {
        hrana_pipeline_req_free(&req);
        return;
    }
    hrana_buf b;
    xctx x;
    size_t slot;
    begin_response(s, enc, S, &b, &x, &slot);
    for (size_t i = 0; i < req.nrequests; i++) {
        enc->result_next(&b, i);
        run_request(&x, &req.requests[i]);
    }
    end_pipeline(&x, slot);
    hrana_pipeline_req_free(&req);
    finish(&b, out, enc->content_type);
}

/* ---- cursors ---------------------------------------------------------------
 *
 * POST /v3/cursor and /v3-protobuf/cursor stream their body: the HTTP layer
 * asks for bytes (lsqld_cursor_read, in the connection's own thread) and the
 * batch runs as far as needed to give them: up to CURSOR_CHUNK bytes of
 * entries (lines, or length-delimited messages) at a time,
 * a statement pausing after a row and going on at the next read. The head
 * line carries the stream's next baton, issued at the start; the stream
 * stays in use (BATON_REUSED for a request naming it) until the batch has
 * ended, and is given back before the last bytes are handed out, so that a
 * client that has read the whole body finds it free. A cursor freed before
 * its end (the client went away) closes its stream: rolled back, the write
 * lock given back. */

#define CURSOR_CHUNK (16u * 1024)

struct lsqld_cursor {
    lsqld_server *s;
    lsqld_stream *S;     /* NULL once given back */
    hrana_cursor_req req;
    hrana_buf b;         /* entries not yet handed out */
    size_t rd;           /* bytes of b handed out */
    uint64_t base;       /* bytes handed out before b's first byte */
    uint64_t batch_at;   /* where the batch's entries start (after the head) */
    xctx x;
    unsigned char *outcome; /* per step: 0 not run, 1 ok, 2 error */
    size_t i;            /* the step running (run.st) or next */
    lsqld_run run;
    int start_ac, attempt;
    unsigned long commits0;
    int done;            /* the batch ended and the stream was given back */
};

int lsqld_cursor_open(lsqld_server *s, const lsqld_out *enc, const char *body, size_t len,
                      int access, lsqld_cursor **out, lsqld_reply *err)
{
    lsqld_cursor *c = calloc(1, sizeof *c);
    if (!c) {
        lsqld_reply_error(err, 500, "INTERNAL_ERROR", "out of memory");
        return -1;
    }
    hrana_status st;
    if (enc->decode_cursor(body, len, &s->cfg.limits, &c->req, &st) != HRANA_OK) {
        decode_failed(enc, err, &st);
        free(c);
        return -1;
    }
    size_t n = c->req.batch.nsteps;
    c->outcome = calloc(n ? n : 1, 1);
    if (!c->outcome) {
        lsqld_reply_error(err, 500, "INTERNAL_ERROR", "out of memory");
        hrana_cursor_req_free(&c->req);
        free(c);
        return -1;
    }
    if (take_stream(s, c->req.baton, access, &c->S, err)) {
        free(c->outcome);
        hrana_cursor_req_free(&c->req);
        free(c);
        return -1;
    }
    c->s = s;
    /* an entry may be max_response long (the per-entry limit) */
    hrana_buf_init(&c->b, s->cfg.max_response + RESPONSE_RESERVE);
    hrana_buf_reserve(&c->b, 2 * CURSOR_CHUNK);
    c->x = (xctx){.srv = s, .st = c->S, .b = &c->b, .out = enc,
                  .max_response = s->cfg.max_response};
    char baton[LSQLD_BATON_LEN + 1];
    lsqld_stream_issue_baton(s, c->S, baton);
    enc->cursor_head(&c->b, baton, LSQLD_BATON_LEN);
    c->batch_at = c->b.len;
    c->start_ac = autocommit(c->S);
    c->commits0 = c->x.commits;
    lsqld_metrics_stream_req(&s->metrics, HRANA_REQ_BATCH, 0);
    *out = c;
    return 0;
}

/* The batch ended: the stream is given back (its baton was issued). */
static void cursor_end(lsqld_cursor *c)
{
    unpin(&c->x);
    lsqld_stream_release_issued(c->s, c->S);
    c->S = NULL;
    c->x.st = NULL;
    c->done = 1;
}

static void cursor_step_failed(lsqld_cursor *c, xerr *e)
{
    xctx *x = &c->x;
    size_t n = c->req.batch.nsteps;
    c->outcome[c->i] = 2;
    /* the BUSY retry runs the batch again from its start: only while none
     * of its entries has been handed out */
    if (c->base + c->rd <= c->batch_at &&
        prepare_retry(x, e, c->start_ac, x->commits != c->commits0, c->attempt)) {
        c->attempt = 1;
        hrana_buf_truncate(&c->b, (size_t)(c->batch_at - c->base));
        memset(c->outcome, 0, n ? n : 1);
        c->i = 0;
        c->commits0 = x->commits;
        return;
    }
    lsqld_metrics_error(&c->s->metrics, e->code);
    x->out->cursor_step_error(&c->b, (uint32_t)c->i, e->message, e->code);
    c->i++;
}

/* Runs the batch until CURSOR_CHUNK bytes of entries are ready or it ends. */
static void cursor_produce(lsqld_cursor *c)
{
    xctx *x = &c->x;
    const hrana_batch *bt = &c->req.batch;
    while (!c->done && c->b.len < CURSOR_CHUNK && !c->b.overflow) {
        xerr e;
        if (!c->run.st) {
            if (c->i >= bt->nsteps) {
                cursor_end(c);
                break;
            }
            const hrana_step *step = &bt->steps[c->i];
            /* !conn: a ROLLBACK cannot close it, but be safe */
            if (!c->S->conn || (step->cond && !eval(step->cond, c->outcome, c->S))) {
                c->outcome[c->i++] = 0;
                continue;
            }
            if (lsqld_stmt_start(x, &step->stmt, OUT_CURSOR, (uint32_t)c->i, &c->run, &e)) {
                cursor_step_failed(c, &e);
                continue;
            }
        }
        int rc = lsqld_stmt_resume(x, &c->run, CURSOR_CHUNK, &e);
        if (rc == 0)
            c->outcome[c->i++] = 1;
        else if (rc < 0)
            cursor_step_failed(c, &e);
        /* rc == 1: paused, the chunk is full */
    }
}

long lsqld_cursor_read(lsqld_cursor *c, char *buf, size_t max)
{
    if (c->rd == c->b.len) {
        c->base += c->b.len;
        c->rd = 0;
        hrana_buf_truncate(&c->b, 0);
        cursor_produce(c);
        if (c->b.overflow) /* out of memory: the body cannot be finished */
            return -1;
    }
    size_t n = c->b.len - c->rd;
    if (n > max)
        n = max;
    if (n > LONG_MAX)
        n = LONG_MAX;
    memcpy(buf, c->b.p + c->rd, n);
    c->rd += n;
    return (long)n;
}

void lsqld_cursor_free(lsqld_cursor *c)
{
    if (!c)
        return;
    if (!c->done) {
        /* the client went away (or the body could not be sent): the stream
         * is closed -- its transaction rolled back, the write lock given
         * back -- since the client cannot know where the batch stopped */
        lsqld_stmt_abandon(&c->x, &c->run);
        c->x.pin_writer = 0;
        lsqld_stream_close_conn(c->s, c->S);
        c->S->closed = 1;
        lsqld_log(&c->s->log, LSQLD_LOG_DEBUG,
                  "cursor ended before its last step (client gone): stream %llu closed",
                  (unsigned long long)c->S->id);
        lsqld_stream_release_issued(c->s, c->S);
    }
    hrana_buf_free(&c->b);
    hrana_cursor_req_free(&c->req);
    free(c->outcome);
    free(c);
}
