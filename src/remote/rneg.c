/* rneg.c -- the server check at open: which protocol version and encoding
 * to speak, and whether the credentials are taken.
 *
 * A pipeline holding only "close" (a stream opened and closed at once) is
 * posted to the endpoint of each candidate in turn, in this order:
 *   Hrana 3, protobuf   POST /v3-protobuf/pipeline (application/x-protobuf)
 *   Hrana 3, JSON       POST /v3/pipeline
 *   Hrana 2, JSON       POST /v2/pipeline
 * skipping those that the options rule out (hrana_version, hrana_encoding,
 * the hrana= and encoding= URL options). The first that answers 200 is
 * chosen: the same request checked the credentials. An endpoint the server
 * does not have -- 404, 405, 415, 501, or (negotiating) a 200 that does not
 * read as a protobuf answer -- moves on to the next candidate; anything
 * else (401/403, other statuses, a transport failure) fails the open with
 * its error, and no candidate left is LSQL_HRANA_VERSION.
 *
 * Requests per open: 1 on a server with protobuf (lsqld, sqld), 2 on a
 * JSON-only Hrana 3 server, 3 on a Hrana 2 server; 1 when the version and
 * encoding are given. (The GET /v3 probes of the Hrana specification would
 * cost one more request each: a POST that fails with 404 says the same.) */
#include "remote_int.h"

#include <stdio.h>
#include <string.h>

/* try_protocol: the server does not speak that candidate (no lsql code is
 * negative) */
#define NOT_OFFERED (-1)

/* Whether an answer says the endpoint does not exist on this server (the
 * next candidate protocol may be tried). */
static bool not_offered(long status)
{
    return status == 404 || status == 405 || status == 415 || status == 501;
}

/* One candidate of the negotiation: posts a pipeline holding only "close"
 * to its endpoint. LSQL_OK: the server speaks it (and took the
 * credentials); NOT_OFFERED: the endpoint is not there (or, while negotiating, its
 * protobuf answer is not protobuf), *status says what it answered; else an
 * error in *e. */
static int try_protocol(rdb *d, rhttp *h, int version, int encoding, bool forced,
                        hrana_buf *body, long *status, lsql_error *e)
{
    hrana_request close_req;
    memset(&close_req, 0, sizeof close_req);
    close_req.type = HRANA_REQ_CLOSE;
    hrana_buf req;
    hrana_buf_init(&req, 4096);
    int rc = renc_pipeline(encoding, &req, NULL, &close_req, 1);
    if (rc) {
        hrana_buf_free(&req);
        return lsql__fail(e, rc, NULL);
    }
    rhttp_set_protobuf(h, encoding == LSQL_HRANA_PROTOBUF);
    rc = rhttp_request(h, "POST", renc_path(version, encoding, RENC_PIPELINE), req.p, req.len,
                       status, body, e);
    hrana_buf_free(&req);
    if (rc)
        return rc;
    if (*status != 200)
        return not_offered(*status) ? NOT_OFFERED : renc_http_error(h, *status, body, e);
    if (encoding != LSQL_HRANA_PROTOBUF)
        return LSQL_OK; /* as before: the status says enough */
    /* a protobuf answer must read as one: a server that answers anything
     * with 200 does not speak it */
    hrana_pipeline_resp resp;
    hrana_status hs;
    hrana_limits lim = d->limits;
    lim.max_requests = 2; /* 1 is right: more is not allocated (see rpipe.c) */
    if (renc_decode_pipeline(encoding, body->p, body->len, &lim, &resp, &hs) == HRANA_OK) {
        size_t n = resp.nresults;
        hrana_pipeline_resp_free(&resp);
        if (n == 1)
            return LSQL_OK;
        snprintf(hs.message, sizeof hs.message, "%zu results for 1 request", n);
    } else if (hs.code == HRANA_E_NOMEM) {
        return lsql__fail(e, LSQL_NOMEM, NULL);
    }
    if (!forced)
        return NOT_OFFERED;
    return lsql__fail(e, LSQL_HRANA_PROTOCOL,
                      "invalid protobuf answer to POST /v3-protobuf/pipeline: %.200s",
                      hs.message);
}

int rneg_check_server(rdb *d, lsql_error *e)
{
    rhttp_cfg hc;
    remote_http_cfg(d, &hc);
    rhttp *h = NULL;
    int rc = rhttp_new(&hc, &h, e);
    if (rc)
        return rc;
    hrana_buf body;
    hrana_buf_init(&body, d->max_response);
    static const struct {
        int version, encoding;
        const char *path;
    } k_cand[] = {
        {3, LSQL_HRANA_PROTOBUF, "/v3-protobuf/pipeline"},
        {3, LSQL_HRANA_JSON, "/v3/pipeline"},
        {2, LSQL_HRANA_JSON, "/v2/pipeline"},
    };
    bool forced = d->encoding == LSQL_HRANA_PROTOBUF;
    long status = 0;
    char tried[160];
    size_t tl = 0;
    tried[0] = 0;
    rc = NOT_OFFERED;
    for (size_t i = 0; i < sizeof k_cand / sizeof k_cand[0] && rc == NOT_OFFERED; i++) {
        if ((d->version && d->version != k_cand[i].version) ||
            (d->encoding && d->encoding != k_cand[i].encoding))
            continue;
        rc = try_protocol(d, h, k_cand[i].version, k_cand[i].encoding, forced, &body, &status,
                          e);
        if (rc == LSQL_OK) {
            d->version = k_cand[i].version;
            d->encoding = k_cand[i].encoding;
        } else if (rc == NOT_OFFERED) {
            int k = snprintf(tried + tl, sizeof tried - tl, "%s%s", tl ? ", " : "",
                             k_cand[i].path);
            if (k > 0 && (size_t)k < sizeof tried - tl)
                tl += (size_t)k;
        }
    }
    if (rc == NOT_OFFERED) {
        if (forced)
            rc = lsql__fail(e, LSQL_HRANA_VERSION,
                            "the server at %.200s does not speak Hrana 3 with the protobuf "
                            "encoding that was asked for (POST %s: HTTP %ld); leave the "
                            "encoding to negotiation, or ask for encoding=json",
                            d->base, tried, status);
        else if (d->version)
            rc = lsql__fail(e, LSQL_HRANA_VERSION,
                            "the server at %.200s does not speak Hrana %d over HTTP (POST %s: "
                            "HTTP %ld)",
                            d->base, d->version, tried, status);
        else
            rc = lsql__fail(e, LSQL_HRANA_VERSION,
                            "the server at %.200s speaks neither Hrana 3 nor Hrana 2 over HTTP "
                            "(POST %s: HTTP %ld)",
                            d->base, tried, status);
        e->http_status = (int)status;
    }
    if (rc && rc != LSQL_NOMEM && e) {
        char msg[LSQL_ERRMSG_MAX];
        memcpy(msg, e->message, sizeof msg);
        msg[sizeof msg - 1] = 0;
        snprintf(e->message, sizeof e->message, "cannot open %.200s: %.290s", d->base, msg);
    }
    hrana_buf_free(&body);
    rhttp_free(h);
    return rc;
}

