/* rpipe.c -- one pipeline exchange of the remote backend.
 *
 * Every request goes through rpipe_run: it adds the connection's baton
 * (stream), the stored-SQL ids waiting to be closed and, on Hrana 3, a
 * get_autocommit request that keeps the transaction state exact; it posts
 * the body, maps transport and HTTP failures, retries where that is safe,
 * and adopts the new baton.
 *
 * get_autocommit is sent only where the state may change or is not known:
 * inside a transaction (any statement's error may roll it back), for
 * requests that may begin or end one (RPIPE_TXN), and while rc->ac_unknown
 * (an answer was missing, or a cursor ran such a statement). A statement
 * outside a transaction whose kind is not TRANSACTION, SAVEPOINT or OTHER
 * cannot leave one open, whether it succeeds or fails: SQLite's autocommit
 * flag changes only with BEGIN, COMMIT/END, ROLLBACK, SAVEPOINT and RELEASE
 * (and an error inside a transaction); a new stream starts in autocommit
 * mode.
 *
 * Retry rule: outside a transaction, a request is sent again (after a
 * full-jitter backoff) when it cannot have been applied -- connection
 * refused, HTTP 429 or 503 -- or when every statement in it is read-only
 * and the failure was transient (reset, timeout, 502, 504). An expired or
 * unknown stream outside a transaction is replaced at once. Inside a
 * transaction nothing is retried: a failure that cannot have been applied
 * is returned as is (the stream and its transaction are intact, the caller
 * may run the call again); any other one loses the stream: LSQL_TXN_LOST. */
#include "remote_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int64_t ms_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

void rpipe_drop_stream(rconn *rc)
{
    lsql__free(rc->baton);
    rc->baton = NULL;
    rc->gen++;
    rc->nclose = 0; /* ids of the old stream died with it */
    rc->in_txn = false;
    rc->v2_sp_depth = 0;
    rc->ac_unknown = false; /* a new stream starts in autocommit mode */
}

void rpipe_queue_close(rconn *rc, int32_t id)
{
    if (!rc->baton)
        return;
    if (rc->nclose == rc->capclose) {
        size_t cap = rc->capclose ? rc->capclose * 2 : 8;
        int32_t *p = lsql__realloc(rc->close_ids, cap * sizeof *p);
        if (!p)
            return; /* the id stays stored until the stream ends: harmless */
        rc->close_ids = p;
        rc->capclose = cap;
    }
    rc->close_ids[rc->nclose++] = id;
}

int rpipe_lost_error(rconn *rc)
{
    return lsql__conn_fail(rc->c, NULL, LSQL_TXN_LOST,
                           "the server stream of this connection's transaction was lost "
                           "(expired, closed or broken); its work was rolled back by the "
                           "server. Roll back to continue");
}

/* The transaction's stream is gone: everything fails until ROLLBACK. */
static int mark_lost(rconn *rc, const lsql_error *cause)
{
    rpipe_drop_stream(rc);
    rc->lost = true;
    lsql_conn *c = rc->c;
    lsql__conn_fail(c, NULL, LSQL_TXN_LOST,
                    "the server stream holding the transaction was lost (%.300s); the "
                    "transaction was rolled back by the server. Roll back to continue",
                    cause->message);
    c->last.http_status = cause->http_status;
    return LSQL_TXN_LOST;
}

int rpipe_fail_request(rconn *rc, int code, long status, const lsql_error *e)
{
    if ((rc->in_txn || (rc->ac_unknown && rc->baton)) && rpipe_may_retry(code, status, false)) {
        /* refused, 429, 503: the request did not reach the stream, whose
         * transaction and baton are intact; the call may be run again */
        rc->c->last = *e;
        rc->c->last.ext_code = code;
        rc->c->last.code = LSQL_CLASS(code);
        return code;
    }
    return rpipe_fail_transport(rc, code, e);
}

int rpipe_fail_transport(rconn *rc, int code, const lsql_error *e)
{
    /* as in rpipe_run: a transaction open, or perhaps open */
    if (rc->in_txn || (rc->ac_unknown && rc->baton))
        return mark_lost(rc, e);
    rpipe_drop_stream(rc);
    rc->c->last = *e;
    rc->c->last.ext_code = code;
    rc->c->last.code = LSQL_CLASS(code);
    return code;
}

void rpipe_track(rconn *rc, const char *sql, size_t n, int kind)
{
    if (kind == LSQL_KIND_TRANSACTION) {
        if (rsql_is_begin(sql, n))
            rc->in_txn = true;
        else if (rsql_is_end(sql, n))
            rc->in_txn = false;
        rc->v2_sp_depth = 0;
    } else if (kind == LSQL_KIND_SAVEPOINT) {
        /* a SAVEPOINT outside a transaction starts one, which the RELEASE
         * of that outermost savepoint ends; counted by depth (a RELEASE of
         * an outer name releases the inner ones too: then the transaction
         * is thought open longer than it is, which only costs the idle
         * stream drop and retries) */
        const char *p = sql;
        while (p < sql + n && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
            p++;
        bool is_sp = (size_t)(sql + n - p) >= 9 && !strncasecmp(p, "SAVEPOINT", 9);
        bool is_rel = (size_t)(sql + n - p) >= 7 && !strncasecmp(p, "RELEASE", 7);
        if (is_sp && !rc->in_txn) {
            rc->in_txn = true;
            rc->v2_sp_depth = 1;
        } else if (is_sp && rc->v2_sp_depth) {
            rc->v2_sp_depth++;
        } else if (is_rel && rc->v2_sp_depth && --rc->v2_sp_depth == 0) {
            rc->in_txn = false;
        }
    }
}

int rpipe_stmt_error(rconn *rc, const hrana_error *he)
{
    lsql_conn *c = rc->c;
    int code = lsql__remote_hrana_error(he, &c->last);
    if (code == LSQL_TXN_LOST || code == LSQL_HRANA_STREAM_EXPIRED) {
        lsql_error cause = c->last;
        if (rc->in_txn)
            return mark_lost(rc, &cause);
        rpipe_drop_stream(rc);
        c->last = cause;
        return code;
    }
    return lsql__txn_step_error(c, code);
}

int rpipe_take_http(rconn *rc)
{
    if (!rc->streaming)
        return LSQL_OK;
    rstmt *s = rc->streaming;
    int rc2 = rcursor_drain(s);
    rc->streaming = NULL;
    return rc2;
}

bool rpipe_stream_gone(int code, const lsql_error *e)
{
    if (code == LSQL_HRANA_STREAM_EXPIRED)
        return true;
    if (code != LSQL_HRANA_SERVER)
        return false;
    /* lsqld: [BATON_INVALID] [BATON_REUSED] [STREAM_CLOSED]; sqld: "invalid
     * baton", "baton reused" (a plain-text 400) */
    static const char *const k_gone[] = {"BATON_", "STREAM_CLOSED", "invalid baton",
                                         "baton reused", "Stream closed"};
    for (size_t i = 0; i < sizeof k_gone / sizeof k_gone[0]; i++)
        if (strstr(e->message, k_gone[i]))
            return true;
    return false;
}

/* Whether a failure may be retried (outside a transaction). */
bool rpipe_may_retry(int code, long status, bool readonly)
{
    switch (code) {
    case LSQL_HTTP_CONNECT:
    case LSQL_HTTP_RATE_LIMITED:
        return true;
    case LSQL_HTTP_UNAVAILABLE:
        return status == 503 || readonly;
    case LSQL_HTTP_IO:
    case LSQL_HTTP_TIMEOUT:
        return readonly;
    default:
        return false;
    }
}

/* Builds and encodes the whole body for one attempt; -1 when the builder
 * failed or the body cannot be written (error in rc->c->last). `ac`:
 * get_autocommit last. */
static int encode(rconn *rc, rpipe_build_fn build, void *ctx, bool ac, size_t *nreq,
                  size_t *first)
{
    rreq_reset(rc);
    for (size_t i = 0; i < rc->nclose; i++) {
        hrana_request *r = rreq_add(rc, HRANA_REQ_CLOSE_SQL);
        if (!r)
            return -1;
        r->has_sql_id = 1;
        r->sql_id = rc->close_ids[i];
    }
    *first = rc->nreq;
    if (build(rc, ctx))
        return -1;
    if (ac && !rreq_add(rc, HRANA_REQ_GET_AUTOCOMMIT))
        return -1;
    *nreq = rc->nreq;
    int code = renc_pipeline(rc->db->encoding, &rc->req, rc->baton, rc->reqv, rc->nreq);
    rreq_reset(rc);
    if (code == LSQL_NOMEM)
        return lsql__conn_fail(rc->c, NULL, code, "out of memory writing a request"), -1;
    if (code)
        return lsql__conn_fail(rc->c, NULL, code, "request body too large (over %zu bytes)",
                               rc->req.max),
               -1;
    return 0;
}

int rpipe_run(rconn *rc, rpipe_build_fn build, void *ctx, unsigned flags,
              hrana_pipeline_resp *out, size_t *first)
{
    lsql_conn *c = rc->c;
    bool readonly = (flags & RPIPE_READONLY) != 0;
    memset(out, 0, sizeof *out);
    if (rc->lost)
        return rpipe_lost_error(rc);
    int rc2 = rpipe_take_http(rc);
    (void)rc2; /* a cursor's own failure stays with the cursor */
    const char *path = renc_path(rc->db->version, rc->db->encoding, RENC_PIPELINE);
    bool fresh_retry_done = false;
    /* an interrupt from now on (also during a backoff wait) ends the call */
    rhttp_clear_interrupt(rc->http);
    for (int attempt = 0;; attempt++) {
        if (rc->baton && !rc->in_txn && !rc->ac_unknown &&
            ms_since(&rc->last_use) > RSTREAM_IDLE_MS)
            rpipe_drop_stream(rc); /* the server may have expired it */
        bool had_stream = rc->baton != NULL;
        /* a transaction may be open (or it is not known): the stream must
         * not change under it and nothing may be resent */
        bool txn = rc->in_txn || (rc->ac_unknown && rc->baton);
        bool ac = rc->db->version >= 3 && !rc->closing &&
                  (txn || rc->ac_unknown || (flags & RPIPE_TXN));
        size_t nreq = 0;
        if (encode(rc, build, ctx, ac, &nreq, first))
            return c->last.ext_code;
        long status = 0;
        lsql_error e;
        lsql_error_clear(&e);
        int code = rhttp_request(rc->http, "POST", path, rc->req.p, rc->req.len, &status,
                                 &rc->resp, &e);
        clock_gettime(CLOCK_MONOTONIC, &rc->last_use);
        if (code == LSQL_OK && status != 200) {
            code = renc_http_error(rc->http, status, &rc->resp, &e);
            if (!txn && had_stream && !fresh_retry_done && rpipe_stream_gone(code, &e)) {
                /* expired or unknown baton: a new stream, once, at once */
                rpipe_drop_stream(rc);
                fresh_retry_done = true;
                attempt--;
                continue;
            }
        }
        if (code != LSQL_OK) {
            if (code == LSQL_INTERRUPTED) {
                if (txn)
                    return mark_lost(rc, &e);
                rpipe_drop_stream(rc);
                c->last = e;
                return code;
            }
            if (txn) /* unless nothing reached it, the stream's state is unknown now */
                return rpipe_fail_request(rc, code, status, &e);
            rpipe_drop_stream(rc);
            if (!txn && attempt < rc->retry.max && rpipe_may_retry(code, status, readonly)) {
                uint32_t ms = lsql__retry_delay_ms(&rc->retry, attempt, rhttp_retry_after(rc->http));
                lsql__retry_sleep(ms, rhttp_interrupt_flag(rc->http));
                continue; /* interrupted: the next attempt says so */
            }
            c->last = e;
            if (attempt > 0 && (e.flags & LSQL_ERRF_RETRYABLE)) {
                size_t l = strlen(c->last.message);
                snprintf(c->last.message + l, sizeof c->last.message - l,
                         " (after %d attempts)", attempt + 1);
            }
            return code;
        }
        hrana_status hs;
        /* at most one result more than requests (more is refused below
         * anyway): a protobuf batch result costs a slot per step up to its
         * largest index whatever its size, so thousands of tiny ones must
         * not be allocated before the count is checked */
        hrana_limits lim = rc->db->limits;
        if (lim.max_requests > nreq + 1)
            lim.max_requests = nreq + 1;
        if (renc_decode_pipeline(rc->db->encoding, rc->resp.p, rc->resp.len, &lim, out, &hs)) {
            lsql_error pe;
            lsql_error_clear(&pe);
            lsql__err_set(&pe, hs.code == HRANA_E_NOMEM ? LSQL_NOMEM : LSQL_HRANA_PROTOCOL,
                          "invalid response from the server: %s", hs.message);
            if (txn)
                return mark_lost(rc, &pe);
            rpipe_drop_stream(rc);
            c->last = pe;
            return pe.ext_code;
        }
        if (out->nresults != nreq) {
            lsql_error pe;
            lsql_error_clear(&pe);
            lsql__err_set(&pe, LSQL_HRANA_PROTOCOL,
                          "invalid response from the server: %zu results for %zu requests",
                          out->nresults, nreq);
            hrana_pipeline_resp_free(out);
            memset(out, 0, sizeof *out);
            if (txn)
                return mark_lost(rc, &pe);
            rpipe_drop_stream(rc);
            c->last = pe;
            return pe.ext_code;
        }
        rc->nclose = 0;
        /* the new baton (null: the server closed the stream) */
        char *nb = NULL;
        if (out->baton.p && !(nb = lsql__strndup(out->baton.p, out->baton.n))) {
            hrana_pipeline_resp_free(out);
            memset(out, 0, sizeof *out);
            lsql_error pe;
            lsql_error_clear(&pe);
            lsql__err_set(&pe, LSQL_NOMEM, "out of memory keeping the stream's baton");
            if (txn)
                return mark_lost(rc, &pe);
            rpipe_drop_stream(rc); /* the old baton is spent */
            c->last = pe;
            return LSQL_NOMEM;
        }
        if (!nb) {
            bool was_txn = rc->in_txn;
            rpipe_drop_stream(rc);
            rc->in_txn = was_txn; /* corrected by get_autocommit below */
        } else {
            lsql__free(rc->baton);
            rc->baton = nb;
        }
        if (ac) {
            const hrana_stream_result *r = &out->results[out->nresults - 1];
            rc->ac_unknown = r->is_error || r->response.type != HRANA_REQ_GET_AUTOCOMMIT;
            if (!rc->ac_unknown)
                rc->in_txn = !r->response.is_autocommit;
        }
        if (!rc->baton && !rc->in_txn)
            rc->ac_unknown = false; /* the next request opens a new stream */
        if (!rc->baton && rc->in_txn) {
            /* a transaction without a stream cannot go on */
            lsql_error pe;
            lsql_error_clear(&pe);
            lsql__err_set(&pe, LSQL_HRANA_PROTOCOL, "the server closed the stream");
            hrana_pipeline_resp_free(out);
            memset(out, 0, sizeof *out);
            return mark_lost(rc, &pe);
        }
        return LSQL_OK;
    }
}
