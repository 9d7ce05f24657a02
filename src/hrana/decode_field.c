/* decode_field.c -- typed readers of one field of a JSON object, with the
 * messages for missing fields, wrong types and values out of range. */
#include "decode_int.h"

#include <math.h>
#include <string.h>

const char *hrana__kind_of(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

int hrana__need_object(dctx *c, json_t *v, const char *what)
{
    return json_is_object(v) ? 0 : hrana__fail(c, HRANA_E_INVALID, "%s must be an object", what);
}

/* Looks up key; *out NULL when absent or null. -1 when required and
 * missing. */
static int field(dctx *c, json_t *obj, const char *key, int required, json_t **out)
{
    json_t *v = json_object_get(obj, key);
    if (v && json_is_null(v))
        v = NULL;
    *out = v;
    if (!v && required)
        return hrana__fail_at(c, key, HRANA_E_INVALID, "missing field");
    return 0;
}

static int wrong_type(dctx *c, const char *key, const char *want, json_t *v)
{
    return hrana__fail_at(c, key, HRANA_E_INVALID, "expected %s, got %s", want,
                          hrana__kind_of(v));
}

int hrana__get_typed(dctx *c, json_t *obj, const char *key, int required, unsigned kinds,
                     const char *want, json_t **out)
{
    if (field(c, obj, key, required, out))
        return -1;
    if (*out && !(HRANA_KIND(json_typeof(*out)) & kinds))
        return wrong_type(c, key, want, *out);
    return 0;
}

int hrana__get_object(dctx *c, json_t *obj, const char *key, int required, json_t **out)
{
    json_t *v;
    if (hrana__get_typed(c, obj, key, required, HRANA_KIND(JSON_OBJECT), "an object", &v))
        return -1;
    *out = v;
    return 0;
}

int hrana__get_array(dctx *c, json_t *obj, const char *key, int required, size_t max,
                     const char *what, json_t **out)
{
    json_t *v;
    if (hrana__get_typed(c, obj, key, required, HRANA_KIND(JSON_ARRAY), "an array", &v))
        return -1;
    if (v && json_array_size(v) > max)
        return hrana__fail_at(c, key, HRANA_E_LIMIT, "%zu %s is more than the limit of %zu",
                              json_array_size(v), what, max);
    *out = v;
    return 0;
}

int hrana__str_of(dctx *c, json_t *s, size_t max, hrana_str *out)
{
    size_t n = json_string_length(s);
    if (n > max)
        return hrana__fail(c, HRANA_E_LIMIT, "string of %zu bytes is longer than the limit of %zu",
                           n, max);
    char *p = hrana_arena_strndup(c->arena, json_string_value(s), n);
    if (!p)
        return hrana__fail(c, HRANA_E_NOMEM, "out of memory");
    out->p = p;
    out->n = n;
    return 0;
}

int hrana__get_string(dctx *c, json_t *obj, const char *key, int required, size_t max,
                      hrana_str *out)
{
    json_t *v;
    out->p = NULL;
    out->n = 0;
    if (hrana__get_typed(c, obj, key, required, HRANA_KIND(JSON_STRING), "a string", &v))
        return -1;
    if (!v)
        return 0;
    size_t m = hrana__push_key(c, key);
    int rc = hrana__str_of(c, v, max, out);
    hrana__pop(c, m);
    return rc;
}

int hrana__get_bool(dctx *c, json_t *obj, const char *key, int required, int *out,
                    int *present)
{
    json_t *v;
    if (present)
        *present = 0;
    if (hrana__get_typed(c, obj, key, required, HRANA_KINDS_BOOL, "a boolean", &v))
        return -1;
    if (!v)
        return 0;
    *out = json_is_true(v);
    if (present)
        *present = 1;
    return 0;
}

/* A JSON number that must be an integer in [lo, hi]. */
static int get_int(dctx *c, json_t *obj, const char *key, int required, double lo, double hi,
                   double *out, int *present)
{
    json_t *v;
    if (present)
        *present = 0;
    if (hrana__get_typed(c, obj, key, required, HRANA_KINDS_NUMBER, "a number", &v))
        return -1;
    if (!v)
        return 0;
    double d = json_number_value(v);
    if (!(d >= lo && d <= hi) || d != floor(d))
        return hrana__fail_at(c, key, HRANA_E_INVALID,
                              "expected an integer in [%.0f, %.0f], got %.17g", lo, hi, d);
    *out = d;
    if (present)
        *present = 1;
    return 0;
}

int hrana__get_i32(dctx *c, json_t *obj, const char *key, int required, int32_t *out,
                   int *present)
{
    double d = 0;
    if (get_int(c, obj, key, required, -2147483648.0, 2147483647.0, &d, present))
        return -1;
    *out = (int32_t)d;
    return 0;
}

int hrana__get_u32(dctx *c, json_t *obj, const char *key, int required, uint32_t *out)
{
    double d = 0;
    if (get_int(c, obj, key, required, 0, 4294967295.0, &d, NULL))
        return -1;
    *out = (uint32_t)d;
    return 0;
}

int hrana__get_u64(dctx *c, json_t *obj, const char *key, int required, uint64_t *out)
{
    double d = 0;
    /* doubles carry 53 bits; larger counts come back rounded */
    if (get_int(c, obj, key, required, 0, 18446744073709549568.0, &d, NULL))
        return -1;
    *out = (uint64_t)d;
    return 0;
}

int hrana__get_double(dctx *c, json_t *obj, const char *key, int required, double *out)
{
    json_t *v;
    if (hrana__get_typed(c, obj, key, required, HRANA_KINDS_NUMBER, "a number", &v))
        return -1;
    if (!v)
        return 0;
    *out = json_number_value(v);
    return 0;
}

int hrana__parse_i64_at(dctx *c, const char *key, const char *s, size_t n, int64_t *out)
{
    if (hrana_parse_i64(s, n, out))
        return hrana__fail_at(c, key, HRANA_E_INVALID, "\"%.40s\" is not a 64-bit signed integer",
                              s);
    return 0;
}

int hrana__get_type(dctx *c, json_t *obj, const char **out)
{
    json_t *v = json_object_get(obj, "type");
    if (!v)
        return hrana__fail(c, HRANA_E_INVALID, "missing field \"type\"");
    if (!json_is_string(v))
        return wrong_type(c, "type", "a string", v);
    *out = json_string_value(v);
    return 0;
}
