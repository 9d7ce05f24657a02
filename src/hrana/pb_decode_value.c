/* pb_decode_value.c -- the small protobuf messages of both directions:
 * Value, Error and Col. */
#include "pb_int.h"

#include <string.h>

/* A message that must be well-formed and whose fields are all ignored
 * (Value.Null, BatchCond.IsAutocommit, CloseStreamReq, ...). */
int hrana__pb_empty(pbctx *c, const unsigned char *p, size_t n, void *out, void *arg)
{
    (void)out;
    (void)arg;
    pb_reader r;
    pb_field f;
    int rc;
    pb_reader_init(&r, p, n);
    while ((rc = hrana__pb_next(c, &r, &f)) > 0)
        ;
    return rc;
}

int hrana__pb_value(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    lsql_value *out = outp;
    pb_field last;
    unsigned other;
    if (hrana__pb_oneof(c, p, n, HRANA_PB_VALUE_BLOB + 1, &last, &other))
        return -1;
    hrana_str s;
    switch (last.num) {
    case HRANA_PB_VALUE_NULL:
        *out = lsql_null();
        return hrana__pb_sub(c, "null", &last, NULL, hrana__pb_empty, NULL);
    case HRANA_PB_VALUE_INTEGER:
        out->type = LSQL_TYPE_INTEGER;
        return hrana__pb_s64(c, &last, "integer", &out->u.i);
    case HRANA_PB_VALUE_FLOAT:
        out->type = LSQL_TYPE_FLOAT;
        return hrana__pb_double(c, &last, "float", &out->u.d);
    case HRANA_PB_VALUE_TEXT:
        if (hrana__pb_str(c, &last, "text", c->d.lim->max_text, &s))
            return -1;
        *out = lsql_text(s.p, s.n);
        return 0;
    case HRANA_PB_VALUE_BLOB:
        if (last.wt == HRANA_PB_LEN && last.n > c->d.lim->max_blob)
            return hrana__fail_at(&c->d, "blob", HRANA_E_LIMIT,
                                  "blob of %zu bytes is larger than the limit of %zu", last.n,
                                  c->d.lim->max_blob);
        if (hrana__pb_str(c, &last, "blob", SIZE_MAX, &s))
            return -1;
        *out = lsql_blob(s.p, s.n);
        return 0;
    default:
        return hrana__fail(&c->d, HRANA_E_INVALID,
                           "a value needs one of null, integer, float, text or blob");
    }
}

int hrana__pb_error(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    hrana_error *out = outp;
    pb_reader r;
    pb_field f;
    int rc;
    pb_reader_init(&r, p, n);
    out->message.p = "";
    out->message.n = 0;
    out->code.p = NULL;
    out->code.n = 0;
    while ((rc = hrana__pb_next(c, &r, &f)) > 0) {
        if (f.num == HRANA_PB_ERROR_MESSAGE &&
            hrana__pb_str(c, &f, "message", c->d.lim->max_text, &out->message))
            return -1;
        if (f.num == HRANA_PB_ERROR_CODE &&
            hrana__pb_str(c, &f, "code", c->d.lim->max_text, &out->code))
            return -1;
    }
    if (out->code.p && out->code.n == 0)
        out->code.p = NULL; /* sqld always writes a code, "" for none */
    return rc;
}

int hrana__pb_col(pbctx *c, const unsigned char *p, size_t n, void *outp, void *arg)
{
    (void)arg;
    hrana_col *out = outp;
    pb_reader r;
    pb_field f;
    int rc;
    pb_reader_init(&r, p, n);
    while ((rc = hrana__pb_next(c, &r, &f)) > 0) {
        if (f.num == HRANA_PB_COL_NAME &&
            hrana__pb_str(c, &f, "name", c->d.lim->max_text, &out->name))
            return -1;
        if (f.num == HRANA_PB_COL_DECLTYPE &&
            hrana__pb_str(c, &f, "decltype", c->d.lim->max_text, &out->decltype))
            return -1;
    }
    return rc;
}

hrana_col *hrana__pb_cols(pbctx *c, const unsigned char *p, size_t n, unsigned field,
                          const char *key, size_t *count)
{
    return hrana__pb_list(c, p, n, field, key, c->d.lim->max_cols, "columns", sizeof(hrana_col),
                          hrana__pb_col, NULL, count);
}
