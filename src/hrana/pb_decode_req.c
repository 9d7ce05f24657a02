/* pb_decode_req.c -- decoding protobuf requests: PipelineReqBody,
 * CursorReqBody and the StreamRequest of a pipeline (the checks of
 * decode_req.c). */
#include "pb_int.h"

#include <string.h>

/* Sequence/Describe: optional sql = 1, optional sql_id = 2, exactly one. */
static int sql_req(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    hrana_request *out = outp;
    pb_reader r;
    pb_field f;
    int rc;
    pb_reader_init(&r, p, n);
    while ((rc = hrana__pb_next(c, &r, &f)) > 0) {
        if (f.num == HRANA_PB_SQL_REQ_SQL &&
            hrana__pb_str(c, &f, "sql", c->d.lim->max_sql, &out->sql))
            return -1;
        if (f.num == HRANA_PB_SQL_REQ_SQL_ID) {
            if (hrana__pb_i32(c, &f, "sql_id", &out->sql_id))
                return -1;
            out->has_sql_id = 1;
        }
    }
    if (rc < 0)
        return -1;
    return hrana__check_sql_or_id(&c->d, &out->sql, out->has_sql_id);
}

/* StoreSql: sql_id = 1, sql = 2; CloseSql: sql_id = 1 (proto3: absent
 * means 0 and ""). */
static int sql_id_req(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    hrana_request *out = outp;
    pb_reader r;
    pb_field f;
    int rc;
    out->has_sql_id = 1;
    if (out->type == HRANA_REQ_STORE_SQL)
        out->sql.p = "";
    pb_reader_init(&r, p, n);
    while ((rc = hrana__pb_next(c, &r, &f)) > 0) {
        if (f.num == HRANA_PB_STORE_SQL_ID) { /* == HRANA_PB_CLOSE_SQL_ID */
            if (hrana__pb_i32(c, &f, "sql_id", &out->sql_id))
                return -1;
        } else if (f.num == HRANA_PB_STORE_SQL_SQL && out->type == HRANA_REQ_STORE_SQL) {
            if (hrana__pb_str(c, &f, "sql", c->d.lim->max_sql, &out->sql))
                return -1;
        }
    }
    return rc;
}

/* ExecuteStreamReq / BatchStreamReq: the required message in field 1. */
static int wrapped(pbctx *c, const unsigned char *p, size_t n, const char *key, void *out,
                   pb_fn fn)
{
    pb_field inner;
    if (hrana__pb_last(c, p, n, HRANA_PB_INNER, &inner))
        return -1;
    if (!inner.num)
        return hrana__pb_missing(c, key);
    return hrana__pb_sub(c, key, &inner, out, fn, NULL);
}

static int execute_req(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    return wrapped(c, p, n, "stmt", &((hrana_request *)outp)->stmt, hrana__pb_stmt);
}

static int batch_req(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    return wrapped(c, p, n, "batch", &((hrana_request *)outp)->batch, hrana__pb_batch);
}

static int request(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    hrana_request *out = outp;
    pb_field last;
    unsigned other;
    memset(out, 0, sizeof *out);
    if (hrana__pb_oneof(c, p, n, HRANA_PB_REQ_GET_AUTOCOMMIT + 1, &last, &other))
        return -1;
    out->type = hrana_pb_req_type(last.num);
    pb_fn fn;
    switch (out->type) {
    case HRANA_REQ_EXECUTE: fn = execute_req; break;
    case HRANA_REQ_BATCH: fn = batch_req; break;
    case HRANA_REQ_SEQUENCE:
    case HRANA_REQ_DESCRIBE: fn = sql_req; break;
    case HRANA_REQ_STORE_SQL:
    case HRANA_REQ_CLOSE_SQL: fn = sql_id_req; break;
    case HRANA_REQ_CLOSE:
    case HRANA_REQ_GET_AUTOCOMMIT: fn = hrana__pb_empty; break;
    default:
        return hrana__pb_no_kind(c, "request", other);
    }
    /* no path component for the oneof wrapper: "requests[0].stmt" as in JSON */
    return hrana__pb_sub(c, NULL, &last, out, fn, NULL);
}

static int pipeline_req(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    hrana_pipeline_req *out = outp;
    pb_reader r;
    pb_field f;
    int rc;
    pb_reader_init(&r, p, n);
    while ((rc = hrana__pb_next(c, &r, &f)) > 0)
        if (f.num == HRANA_PB_PIPELINE_REQ_BATON &&
            hrana__pb_str(c, &f, "baton", c->d.lim->max_text, &out->baton))
            return -1;
    if (rc < 0)
        return -1;
    out->requests = hrana__pb_list(c, p, n, HRANA_PB_PIPELINE_REQ_REQUESTS, "requests",
                                   c->d.lim->max_requests, "requests", sizeof *out->requests,
                                   request, NULL, &out->nrequests);
    return out->requests ? 0 : -1;
}

int hrana_pb_decode_pipeline_req(const void *body, size_t len, const hrana_limits *lim,
                                 hrana_pipeline_req *out, hrana_status *st)
{
    return hrana__pb_decode_owned(body, len, lim, st, out, sizeof *out, &out->arena,
                                  pipeline_req);
}

static int cursor_req(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    hrana_cursor_req *out = outp;
    pb_reader r;
    pb_field f, batch;
    int rc;
    batch.num = 0;
    pb_reader_init(&r, p, n);
    while ((rc = hrana__pb_next(c, &r, &f)) > 0) {
        if (f.num == HRANA_PB_CURSOR_REQ_BATON &&
            hrana__pb_str(c, &f, "baton", c->d.lim->max_text, &out->baton))
            return -1;
        if (f.num == HRANA_PB_CURSOR_REQ_BATCH)
            batch = f;
    }
    if (rc < 0)
        return -1;
    if (!batch.num)
        return hrana__pb_missing(c, "batch");
    return hrana__pb_sub(c, "batch", &batch, &out->batch, hrana__pb_batch, NULL);
}

int hrana_pb_decode_cursor_req(const void *body, size_t len, const hrana_limits *lim,
                               hrana_cursor_req *out, hrana_status *st)
{
    return hrana__pb_decode_owned(body, len, lim, st, out, sizeof *out, &out->arena, cursor_req);
}
