/* renc.c -- what depends on the encoding of Hrana bodies.
 *
 * Hrana 3 comes in two encodings over the same structures: JSON (POST
 * /v3/pipeline, /v3/cursor; Hrana 2: /v2/pipeline) and protobuf (POST
 * /v3-protobuf/pipeline, /v3-protobuf/cursor, content type
 * application/x-protobuf), which is cheaper to write and to read. The rest
 * of the backend builds hrana_request structures (rreq.c) and reads the
 * decoded hrana_* answers; this file picks the endpoint, writes the body,
 * decodes the answer, and reads cursor answers item by item: lines of JSON,
 * or varint-length-prefixed protobuf messages (both with the transport's
 * bounded, paused buffering and the max_response limit per item).
 *
 * Protobuf answers differ in one way the callers see: a batch result is
 * two maps keyed by step index, so a skipped step is simply absent and the
 * decoded step count is one more than the largest index present
 * (renc_sparse_steps; rbatch.c treats missing trailing steps as skipped).
 * HTTP errors stay JSON bodies on the protobuf endpoints too (lsqld, sqld):
 * renc_http_error reads a body by its content type. */
#include "remote_int.h"

#include "../hrana/hrana_pb.h"

#include <string.h>

const char *renc_path(int version, int encoding, int what)
{
    if (version < 3)
        return "/v2/pipeline";
    if (encoding == LSQL_HRANA_PROTOBUF)
        return what == RENC_CURSOR ? "/v3-protobuf/cursor" : "/v3-protobuf/pipeline";
    return what == RENC_CURSOR ? "/v3/cursor" : "/v3/pipeline";
}

static hrana_str cstr(const char *s)
{
    hrana_str h = {s, s ? strlen(s) : 0};
    return h;
}

static int done(hrana_buf *b)
{
    if (hrana_buf_ok(b))
        return LSQL_OK;
    return b->nomem ? LSQL_NOMEM : LSQL_TOOBIG;
}

int renc_pipeline(int encoding, hrana_buf *b, const char *baton, const hrana_request *v,
                  size_t n)
{
    hrana_buf_truncate(b, 0);
    hrana_pipeline_req r;
    memset(&r, 0, sizeof r);
    r.baton = cstr(baton);
    r.requests = (hrana_request *)v; /* read only */
    r.nrequests = n;
    if (encoding == LSQL_HRANA_PROTOBUF)
        hrana_pb_encode_pipeline_req(b, &r);
    else
        hrana_encode_pipeline_req(b, &r);
    return done(b);
}

int renc_cursor(int encoding, hrana_buf *b, const char *baton, const hrana_batch *batch)
{
    hrana_buf_truncate(b, 0);
    hrana_cursor_req r;
    memset(&r, 0, sizeof r);
    r.baton = cstr(baton);
    r.batch = *batch;
    if (encoding == LSQL_HRANA_PROTOBUF)
        hrana_pb_encode_cursor_req(b, &r);
    else
        hrana_encode_cursor_req(b, &r);
    return done(b);
}

int renc_decode_pipeline(int encoding, const char *body, size_t len, const hrana_limits *lim,
                         hrana_pipeline_resp *out, hrana_status *st)
{
    if (encoding == LSQL_HRANA_PROTOBUF)
        return hrana_pb_decode_pipeline_resp(body, len, lim, out, st);
    return hrana_decode_pipeline_resp(body, len, lim, out, st);
}

int renc_cursor_item(rconn *rc, const char **p, size_t *len, lsql_error *e)
{
    if (rc->db->encoding == LSQL_HRANA_PROTOBUF)
        return rhttp_stream_item(rc->http, p, len, e);
    return rhttp_stream_line(rc->http, p, len, e);
}

int renc_decode_cursor_head(const rconn *rc, const char *p, size_t len, hrana_cursor_head *out,
                            hrana_status *st)
{
    if (rc->db->encoding == LSQL_HRANA_PROTOBUF)
        return hrana_pb_decode_cursor_head(p, len, &rc->db->limits, out, st);
    return hrana_decode_cursor_head(p, len, &rc->db->limits, out, st);
}

int renc_decode_cursor_entry(const rconn *rc, const char *p, size_t len,
                             hrana_cursor_entry *out, hrana_status *st)
{
    if (rc->db->encoding == LSQL_HRANA_PROTOBUF)
        return hrana_pb_decode_cursor_entry(p, len, &rc->db->limits, out, st);
    return hrana_decode_cursor_entry(p, len, &rc->db->limits, out, st);
}

int renc_http_error(const rhttp *h, long status, const hrana_buf *body, lsql_error *e)
{
    return lsql__remote_http_error_ct(status, rhttp_content_type(h), body->p, body->len, e);
}
