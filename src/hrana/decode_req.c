/* decode_req.c -- decoding requests: pipeline and cursor bodies and the
 * requests of a pipeline. */
#include "decode_int.h"

#include <string.h>

static const char *const req_names[HRANA_REQ_COUNT] = {
    NULL, "execute", "batch", "sequence", "describe", "store_sql", "close_sql", "close",
    "get_autocommit",
};

const char *hrana_req_type_name(int type)
{
    return type > 0 && type < HRANA_REQ_COUNT ? req_names[type] : NULL;
}

static int req_type_of(const char *s)
{
    for (int i = 1; i < HRANA_REQ_COUNT; i++)
        if (!strcmp(req_names[i], s))
            return i;
    return 0;
}

static int request(dctx *c, json_t *v, void *outp, void *arg)
{
    (void)arg;
    hrana_request *r = outp;
    memset(r, 0, sizeof *r);
    const char *type;
    if (hrana__need_object(c, v, "a request") || hrana__get_type(c, v, &type))
        return -1;
    r->type = req_type_of(type);
    switch (r->type) {
    case HRANA_REQ_EXECUTE:
        return hrana__get_sub(c, v, "stmt", &r->stmt, hrana__stmt, NULL);
    case HRANA_REQ_BATCH:
        return hrana__get_sub(c, v, "batch", &r->batch, hrana__batch, NULL);
    case HRANA_REQ_SEQUENCE:
    case HRANA_REQ_DESCRIBE:
        return hrana__get_sql_or_id(c, v, &r->sql, &r->sql_id, &r->has_sql_id) ||
                       hrana__check_sql_or_id(c, &r->sql, r->has_sql_id)
                   ? -1
                   : 0;
    case HRANA_REQ_STORE_SQL:
        r->has_sql_id = 1;
        return hrana__get_i32(c, v, "sql_id", 1, &r->sql_id, NULL) ||
                       hrana__get_string(c, v, "sql", 1, c->lim->max_sql, &r->sql)
                   ? -1
                   : 0;
    case HRANA_REQ_CLOSE_SQL:
        r->has_sql_id = 1;
        return hrana__get_i32(c, v, "sql_id", 1, &r->sql_id, NULL);
    case HRANA_REQ_CLOSE:
    case HRANA_REQ_GET_AUTOCOMMIT:
        return 0;
    default:
        return hrana__fail(c, HRANA_E_UNKNOWN_TYPE, "unknown request type \"%.40s\"", type);
    }
}

static int pipeline_req(dctx *c, json_t *root, void *outp, void *arg)
{
    (void)arg;
    hrana_pipeline_req *out = outp;
    if (hrana__get_string(c, root, "baton", 0, c->lim->max_text, &out->baton))
        return -1;
    out->requests = hrana__get_list(c, root, "requests", c->lim->max_requests, "requests",
                                    sizeof *out->requests, request, NULL, &out->nrequests);
    return out->requests ? 0 : -1;
}

/* hrana_decode_pipeline_req(), hrana_pipeline_req_free() */
HRANA_OWNED_DECODER(pipeline_req, pipeline_req)

static int cursor_req(dctx *c, json_t *root, void *outp, void *arg)
{
    (void)arg;
    hrana_cursor_req *out = outp;
    if (hrana__get_string(c, root, "baton", 0, c->lim->max_text, &out->baton))
        return -1;
    return hrana__get_sub(c, root, "batch", &out->batch, hrana__batch, NULL);
}

/* hrana_decode_cursor_req(), hrana_cursor_req_free() */
HRANA_OWNED_DECODER(cursor_req, cursor_req)
