/* decode_value.c -- the small structures of both directions: Value, Error
 * and Col objects, and the public decoders of a lone Value or Error. */
#include "decode_int.h"

#include <string.h>

static int blob(dctx *c, json_t *v, lsql_value *out)
{
    json_t *x;
    if (hrana__get_typed(c, v, "base64", 1, HRANA_KIND(JSON_STRING), "a string", &x))
        return -1;
    size_t n = json_string_length(x), max = c->lim->max_blob;
    size_t cap = n / 4 * 3 + 3;
    if (cap > max + 3 && n / 4 * 3 > max)
        return hrana__fail_at(c, "base64", HRANA_E_LIMIT,
                              "blob of about %zu bytes is larger than the limit of %zu",
                              n / 4 * 3, max);
    unsigned char *p = hrana_arena_alloc(c->arena, cap);
    if (!p)
        return hrana__fail(c, HRANA_E_NOMEM, "out of memory");
    long long got = hrana_base64_decode(json_string_value(x), n, p, cap);
    if (got < 0)
        return hrana__fail_at(c, "base64", HRANA_E_INVALID, "invalid base64");
    if ((size_t)got > max)
        return hrana__fail_at(c, "base64", HRANA_E_LIMIT,
                              "blob of %lld bytes is larger than the limit of %zu", got, max);
    *out = lsql_blob(p, (size_t)got);
    return 0;
}

int hrana__value(dctx *c, json_t *v, void *outp, void *arg)
{
    (void)arg;
    lsql_value *out = outp;
    if (!json_is_object(v))
        return hrana__fail(c, HRANA_E_INVALID, "a value must be an object, got %s",
                           hrana__kind_of(v));
    const char *type;
    if (hrana__get_type(c, v, &type))
        return -1;
    json_t *x;
    if (!strcmp(type, "null")) {
        *out = lsql_null();
        return 0;
    }
    if (!strcmp(type, "integer")) {
        int64_t i;
        if (hrana__get_typed(c, v, "value", 1, HRANA_KIND(JSON_STRING),
                             "a string (integers are sent as decimal strings)", &x) ||
            hrana__parse_i64_at(c, "value", json_string_value(x), json_string_length(x), &i))
            return -1;
        *out = lsql_int(i);
        return 0;
    }
    if (!strcmp(type, "float")) {
        double d;
        if (hrana__get_double(c, v, "value", 1, &d))
            return -1;
        *out = lsql_float(d);
        return 0;
    }
    if (!strcmp(type, "text")) {
        hrana_str s;
        if (hrana__get_string(c, v, "value", 1, c->lim->max_text, &s))
            return -1;
        *out = lsql_text(s.p, s.n);
        return 0;
    }
    if (!strcmp(type, "blob"))
        return blob(c, v, out);
    return hrana__fail(c, HRANA_E_INVALID, "unknown value type \"%.40s\"", type);
}

int hrana__error(dctx *c, json_t *v, void *outp, void *arg)
{
    (void)arg;
    hrana_error *out = outp;
    if (!json_is_object(v))
        return hrana__fail(c, HRANA_E_INVALID, "an error must be an object, got %s",
                           hrana__kind_of(v));
    if (hrana__get_string(c, v, "message", 1, c->lim->max_text, &out->message) ||
        hrana__get_string(c, v, "code", 0, c->lim->max_text, &out->code))
        return -1;
    return 0;
}

int hrana__col(dctx *c, json_t *v, void *outp, void *arg)
{
    (void)arg;
    hrana_col *out = outp;
    if (!json_is_object(v))
        return hrana__fail(c, HRANA_E_INVALID, "a column must be an object, got %s",
                           hrana__kind_of(v));
    if (hrana__get_string(c, v, "name", 0, c->lim->max_text, &out->name) ||
        hrana__get_string(c, v, "decltype", 0, c->lim->max_text, &out->decltype))
        return -1;
    return 0;
}

int hrana__cols(dctx *c, json_t *obj, const char *key, hrana_col **out, size_t *n)
{
    *out = hrana__get_list(c, obj, key, c->lim->max_cols, "columns", sizeof **out, hrana__col,
                           NULL, n);
    return *out ? 0 : -1;
}

int hrana_decode_value(const char *json, size_t len, const hrana_limits *lim,
                       hrana_arena *arena, lsql_value *out, hrana_status *st)
{
    return hrana__decode_into(json, len, lim, arena, st, out, hrana__value);
}

int hrana_decode_error(const char *body, size_t len, const hrana_limits *lim,
                       hrana_arena *arena, hrana_error *out, hrana_status *st)
{
    memset(out, 0, sizeof *out);
    return hrana__decode_into(body, len, lim, arena, st, out, hrana__error);
}
