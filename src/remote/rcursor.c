/* rcursor.c -- statements whose rows stream through POST /v3/cursor or
 * /v3-protobuf/cursor (lsql cursors on a Hrana 3 server). The answer is read
 * item by item -- lines of JSON or length-prefixed protobuf messages
 * (renc.c) -- while it arrives (http.c pauses the transfer when the reader
 * falls behind), so memory stays flat whatever the number of rows.
 *
 * The connection has one HTTP handle: when another request must go out
 * while a cursor is still streaming, the rest of the cursor's answer is
 * read into its queue first (rpipe_take_http). */
#include "remote_int.h"

#include <string.h>

static void entry_free(hrana_cursor_entry *e)
{
    if (e->arena)
        hrana_cursor_entry_free(e);
    memset(e, 0, sizeof *e);
}

static void queue_free(rstmt *s)
{
    rentry *q = s->q_head;
    while (q) {
        rentry *nx = q->next;
        entry_free(&q->e);
        lsql__free(q);
        q = nx;
    }
    s->q_head = s->q_tail = NULL;
}

/* Stops reading the streaming answer on rc. Inside a transaction the rest
 * is read and dropped (the stream must stay usable); outside, the transfer
 * is cut and the stream dropped (the server may still be writing on it). */
static void stop_reading(rconn *rc)
{
    rc->streaming = NULL;
    if (rc->in_txn) {
        const char *line;
        size_t len;
        lsql_error e;
        int r;
        while ((r = renc_cursor_item(rc, &line, &len, &e)) == LSQL_ROW)
            ;
        rhttp_stream_end(rc->http);
        if (r != LSQL_DONE)
            rpipe_fail_transport(rc, r, &e);
    } else {
        rhttp_stream_end(rc->http);
        rpipe_drop_stream(rc);
    }
}

void rcursor_abort(rstmt *s)
{
    rconn *rc = s->rc;
    if (rc->streaming == s)
        stop_reading(rc);
    entry_free(&s->ent);
    queue_free(s);
    s->stream_ended = false;
    lsql_error_clear(&s->drain_err);
    s->cur = NULL;
    if (s->state == RS_STREAM)
        s->state = RS_IDLE;
}

static int proto_error(rstmt *s, const char *what, const char *detail)
{
    rconn *rc = s->rc;
    lsql_error e;
    lsql_error_clear(&e);
    lsql__err_set(&e, LSQL_HRANA_PROTOCOL, "invalid cursor response from the server: %s%s%.200s",
                  what, detail ? ": " : "", detail ? detail : "");
    if (rc->streaming == s) {
        rc->streaming = NULL;
        rhttp_stream_end(rc->http);
    }
    return rpipe_fail_transport(rc, LSQL_HRANA_PROTOCOL, &e);
}

/* Reads and decodes the next entry from the network into *out.
 * LSQL_ROW: an entry; LSQL_DONE: end of the answer; else an error (in
 * c->last). */
static int read_entry(rstmt *s, hrana_cursor_entry *out, size_t *nbytes)
{
    rconn *rc = s->rc;
    const char *line;
    size_t len;
    lsql_error e;
    lsql_error_clear(&e);
    for (;;) {
        int r = renc_cursor_item(rc, &line, &len, &e);
        if (r == LSQL_DONE) {
            rc->streaming = NULL;
            rhttp_stream_end(rc->http);
            return LSQL_DONE;
        }
        if (r != LSQL_ROW) {
            rc->streaming = NULL;
            rhttp_stream_end(rc->http);
            return rpipe_fail_transport(rc, r, &e);
        }
        if (len == 0 && rc->db->encoding != LSQL_HRANA_PROTOBUF)
            continue; /* a blank line */
        hrana_status hs;
        if (renc_decode_cursor_entry(rc, line, len, out, &hs)) {
            if (hs.code == HRANA_E_UNKNOWN_TYPE)
                continue; /* e.g. sqld's replication_index entries */
            return proto_error(s, "bad entry", hs.message);
        }
        if (nbytes)
            *nbytes += len;
        return LSQL_ROW;
    }
}

/* The rest of the answer is more than max_response: the rows read so far
 * stay queued, then the cursor fails with LSQL_HTTP_TOO_LARGE. Inside a
 * transaction the rest is read and dropped (the stream must stay usable);
 * outside, the transfer is cut and the stream dropped. */
static int drain_too_large(rstmt *s, size_t total)
{
    rconn *rc = s->rc;
    lsql_error_clear(&s->drain_err);
    lsql__err_set(&s->drain_err, LSQL_HTTP_TOO_LARGE,
                  "another request was made on the connection while this cursor was still "
                  "streaming, and the rest of its answer (over %zu bytes) is more than "
                  "max_response_bytes allows to hold in memory; read a cursor to its end "
                  "before using its connection for something else",
                  total);
    stop_reading(rc);
    s->stream_ended = true;
    return LSQL_OK; /* the request that needed the connection goes on */
}

int rcursor_drain(rstmt *s)
{
    rconn *rc = s->rc;
    size_t total = 0;
    while (rc->streaming == s) {
        if (total > rc->db->max_response)
            return drain_too_large(s, total);
        rentry *q = lsql__calloc(1, sizeof *q);
        if (!q)
            return lsql__conn_fail(rc->c, NULL, LSQL_NOMEM, "out of memory reading a cursor");
        int r = read_entry(s, &q->e, &total);
        if (r != LSQL_ROW) {
            lsql__free(q);
            if (r == LSQL_DONE)
                s->stream_ended = true;
            return r == LSQL_DONE ? LSQL_OK : r;
        }
        if (s->q_tail)
            s->q_tail->next = q;
        else
            s->q_head = q;
        s->q_tail = q;
    }
    return LSQL_OK;
}

/* Starts the request and reads the head line. */
static int start(rstmt *s)
{
    rconn *rc = s->rc;
    lsql_conn *c = rc->c;
    int r = rpipe_take_http(rc);
    (void)r;
    rhttp_clear_interrupt(rc->http);
    for (int attempt = 0;; attempt++) {
        hrana_buf *b = &rc->req;
        hrana_step step;
        memset(&step, 0, sizeof step);
        rstmt_hstmt(s, &step.stmt);
        hrana_batch batch = {&step, 1};
        int code = renc_cursor(rc->db->encoding, b, rc->baton, &batch);
        if (code == LSQL_NOMEM)
            return lsql__conn_fail(c, NULL, code, "out of memory writing a request");
        if (code)
            return lsql__conn_fail(c, NULL, code, "request body too large");
        bool had_stream = rc->baton != NULL;
        /* as in rpipe_run: a transaction may be open (or it is not known):
         * no new stream and no resend */
        bool txn = rc->in_txn || (rc->ac_unknown && rc->baton);
        long status = 0;
        lsql_error e;
        lsql_error_clear(&e);
        code = rhttp_stream_start(rc->http,
                                  renc_path(rc->db->version, rc->db->encoding, RENC_CURSOR),
                                  b->p, b->len, &status, &rc->resp, &e);
        clock_gettime(CLOCK_MONOTONIC, &rc->last_use);
        if (code == LSQL_OK && status != 200) {
            code = renc_http_error(rc->http, status, &rc->resp, &e);
            if (!txn && had_stream && attempt == 0 && rpipe_stream_gone(code, &e)) {
                rpipe_drop_stream(rc);
                continue;
            }
        }
        if (code != LSQL_OK) {
            rhttp_stream_end(rc->http);
            if (!txn && attempt < rc->retry.max && rpipe_may_retry(code, status, s->readonly)) {
                rpipe_drop_stream(rc);
                lsql__retry_sleep(lsql__retry_delay_ms(&rc->retry, attempt,
                                                       rhttp_retry_after(rc->http)),
                                  rhttp_interrupt_flag(rc->http));
                continue; /* interrupted: the next attempt says so */
            }
            return rpipe_fail_request(rc, code, status, &e);
        }
        rc->streaming = s;
        /* cursor requests carry no get_autocommit: the next pipeline asks
         * after a statement that may begin or end a transaction */
        if (rpipe_kind_txn(s->kind))
            rc->ac_unknown = true;
        /* head: {"baton":..,"base_url":..} */
        const char *line;
        size_t len;
        code = renc_cursor_item(rc, &line, &len, &e);
        if (code != LSQL_ROW) {
            rc->streaming = NULL;
            rhttp_stream_end(rc->http);
            if (code == LSQL_DONE)
                return proto_error(s, "empty body", NULL);
            return rpipe_fail_transport(rc, code, &e);
        }
        hrana_cursor_head h;
        hrana_status hs;
        if (renc_decode_cursor_head(rc, line, len, &h, &hs))
            return proto_error(s, "bad head", hs.message);
        bool has_baton = h.baton.p != NULL;
        char *nb = has_baton ? lsql__strndup(h.baton.p, h.baton.n) : NULL;
        hrana_cursor_head_free(&h);
        if (!has_baton && !rc->in_txn) {
            /* the server closed the stream: its rows are still good */
            rpipe_drop_stream(rc);
            s->state = RS_STREAM;
            s->stream_ended = false;
            return LSQL_OK;
        }
        if (!nb) {
            /* a transaction cannot go on without its stream (as in
             * rpipe_run); nor can anything when the baton cannot be kept */
            rc->streaming = NULL;
            rhttp_stream_end(rc->http);
            lsql_error pe;
            lsql_error_clear(&pe);
            lsql__err_set(&pe, has_baton ? LSQL_NOMEM : LSQL_HRANA_PROTOCOL,
                          has_baton ? "out of memory keeping the stream's baton"
                                    : "the server closed the stream");
            return rpipe_fail_transport(rc, pe.ext_code, &pe);
        }
        lsql__free(rc->baton);
        rc->baton = nb;
        s->state = RS_STREAM;
        s->stream_ended = false;
        return LSQL_OK;
    }
}

static int fail(rstmt *s, int code)
{
    s->state = RS_FAILED;
    s->err_code = code;
    s->cur = NULL;
    return code;
}

int rcursor_step(rstmt *s)
{
    rconn *rc = s->rc;
    if (s->state != RS_STREAM) {
        int r = start(s);
        if (r)
            return fail(s, r);
    }
    for (;;) {
        entry_free(&s->ent);
        s->cur = NULL;
        if (s->q_head) {
            rentry *q = s->q_head;
            s->q_head = q->next;
            if (!s->q_head)
                s->q_tail = NULL;
            s->ent = q->e;
            lsql__free(q);
        } else if (rc->streaming == s) {
            int r = read_entry(s, &s->ent, NULL);
            if (r == LSQL_DONE) {
                s->stream_ended = true;
                continue;
            }
            if (r != LSQL_ROW)
                return fail(s, r);
        } else if (s->drain_err.ext_code) {
            rc->c->last = s->drain_err;
            return fail(s, s->drain_err.ext_code);
        } else {
            /* the answer ended without step_end: broken off */
            if (s->stream_ended)
                return fail(s, proto_error(s, "the answer ended before the end of the step",
                                           NULL));
            return fail(s, proto_error(s, "the answer ended early", NULL));
        }
        hrana_cursor_entry *e = &s->ent;
        switch (e->type) {
        case HRANA_ENTRY_STEP_BEGIN:
            if (e->step != 0)
                return fail(s, proto_error(s, "step_begin of an unknown step", NULL));
            /* the result's columns win over the describe's */
            if (e->ncols != (size_t)s->ncols && rstmt_set_cols(s, e->cols, e->ncols))
                return fail(s, lsql__conn_fail(rc->c, NULL, LSQL_NOMEM, NULL));
            continue;
        case HRANA_ENTRY_ROW:
            if (e->nrow != (size_t)s->ncols)
                return fail(s, proto_error(s, "row with a wrong number of values", NULL));
            s->cur = e->row;
            return LSQL_ROW;
        case HRANA_ENTRY_STEP_END: {
            rstmt_note_result(s, e->affected_row_count, e->has_last_insert_rowid,
                              e->last_insert_rowid);
            rpipe_track(rc, s->sql, s->sqllen, s->kind); /* cursors never ask get_autocommit */
            entry_free(&s->ent);
            /* the rest must be the end of the answer */
            if (rc->streaming == s) {
                int r = rcursor_drain(s);
                if (r)
                    return fail(s, r);
            }
            queue_free(s);
            s->state = RS_DONE;
            return LSQL_DONE;
        }
        case HRANA_ENTRY_STEP_ERROR:
        case HRANA_ENTRY_ERROR: {
            int code = rpipe_stmt_error(rc, &e->error);
            if (rc->streaming == s)
                rcursor_drain(s);
            queue_free(s);
            return fail(s, code);
        }
        default:
            continue;
        }
    }
}
