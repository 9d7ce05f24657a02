/* decode.c -- the decoders' common part: limits checked before parsing,
 * error paths, typed field readers, values, errors and columns. */
#include "decode_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void hrana_limits_default(hrana_limits *l)
{
    l->max_body = 16u << 20;
    l->max_depth = 64;
    l->max_nodes = 1000000;
    l->max_requests = 4096;
    l->max_steps = 16384;
    l->max_args = 32766;
    l->max_sql = 4u << 20;
    l->max_text = 8u << 20;
    l->max_blob = 8u << 20;
    l->max_cols = 4096;
    l->max_rows = 10000000;
}

const char *hrana_status_name(int code)
{
    switch (code) {
    case HRANA_OK: return "OK";
    case HRANA_E_JSON: return "JSON_INVALID";
    case HRANA_E_INVALID: return "REQUEST_INVALID";
    case HRANA_E_UNKNOWN_TYPE: return "REQUEST_UNKNOWN";
    case HRANA_E_LIMIT: return "LIMIT_EXCEEDED";
    case HRANA_E_TOO_LARGE: return "BODY_TOO_LARGE";
    case HRANA_E_NOMEM: return "OUT_OF_MEMORY";
    default: return "UNKNOWN";
    }
}

static void set_status(hrana_status *st, int code, const char *fmt, ...) HRANA_PRINTF(3, 4);
static void set_status(hrana_status *st, int code, const char *fmt, ...)
{
    st->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->message, sizeof st->message, fmt, ap);
    va_end(ap);
}

/* One pass over the text outside strings: nesting depth and an upper bound
 * of the number of values (every '[', '{', ',' and the top value). Keeps the
 * parser's memory and recursion bounded whatever the input. */
static int prescan(const char *s, size_t n, const hrana_limits *lim, hrana_status *st)
{
    unsigned depth = 0;
    size_t nodes = 1;
    size_t i = 0;
    while (i < n) {
        char ch = s[i++];
        switch (ch) {
        case '"':
            while (i < n && s[i] != '"') {
                if (s[i] == '\\')
                    i++;
                i++;
            }
            i++;
            break;
        case '[':
        case '{':
            if (++depth > lim->max_depth) {
                set_status(st, HRANA_E_LIMIT,
                           "JSON nesting deeper than %u levels (at byte %zu)", lim->max_depth,
                           i - 1);
                return -1;
            }
            nodes++;
            break;
        case ']':
        case '}':
            if (depth)
                depth--;
            break;
        case ',':
            nodes++;
            break;
        default:
            break;
        }
        if (nodes > lim->max_nodes) {
            set_status(st, HRANA_E_LIMIT, "JSON document has more than %zu values",
                       lim->max_nodes);
            return -1;
        }
    }
    return 0;
}

json_t *hrana__load(const char *body, size_t len, const hrana_limits *lim, hrana_status *st)
{
    st->code = HRANA_OK;
    st->message[0] = 0;
    if (!body && len) {
        set_status(st, HRANA_E_JSON, "no body");
        return NULL;
    }
    if (len > lim->max_body) {
        set_status(st, HRANA_E_TOO_LARGE, "body of %zu bytes is larger than the limit of %zu",
                   len, lim->max_body);
        return NULL;
    }
    if (prescan(body ? body : "", len, lim, st))
        return NULL;
    json_error_t je;
    json_t *root = json_loadb(body ? body : "", len,
                              JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL | JSON_REJECT_DUPLICATES,
                              &je);
    if (!root) {
        if (json_error_code(&je) == json_error_out_of_memory)
            set_status(st, HRANA_E_NOMEM, "out of memory parsing JSON");
        else
            set_status(st, HRANA_E_JSON, "invalid JSON at byte %d: %s", je.position, je.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        set_status(st, HRANA_E_INVALID, "the body must be a JSON object");
        json_decref(root);
        return NULL;
    }
    return root;
}

void hrana__ctx_init(dctx *c, const hrana_limits *lim, hrana_arena *arena, hrana_status *st)
{
    c->lim = lim;
    c->arena = arena;
    c->st = st;
    c->plen = 0;
    c->path[0] = 0;
    st->code = HRANA_OK;
    st->message[0] = 0;
}

int hrana__fail(dctx *c, int code, const char *fmt, ...)
{
    if (c->st->code != HRANA_OK)
        return -1;
    char msg[HRANA_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->st->code = code;
    size_t pl = c->plen;
    if (pl > sizeof c->st->message / 2)
        pl = sizeof c->st->message / 2;
    if (pl)
        snprintf(c->st->message, sizeof c->st->message, "%.*s: %.*s", (int)pl, c->path,
                 (int)(sizeof c->st->message - pl - 3), msg);
    else
        snprintf(c->st->message, sizeof c->st->message, "%.*s",
                 (int)(sizeof c->st->message - 1), msg);
    return -1;
}

static size_t push(dctx *c, const char *seg)
{
    size_t mark = c->plen;
    size_t room = sizeof c->path - 1 - c->plen;
    size_t n = strlen(seg);
    if (n > room)
        n = room;
    memcpy(c->path + c->plen, seg, n);
    c->plen += n;
    c->path[c->plen] = 0;
    return mark;
}

size_t hrana__push_key(dctx *c, const char *key)
{
    char seg[64];
    snprintf(seg, sizeof seg, "%s%.60s", c->plen ? "." : "", key);
    return push(c, seg);
}

size_t hrana__push_index(dctx *c, size_t i)
{
    char seg[32];
    snprintf(seg, sizeof seg, "[%zu]", i);
    return push(c, seg);
}

static const char *kind_of(json_t *v)
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

/* Looks up key; *out NULL when absent or null. -1 when required and
 * missing. */
static int field(dctx *c, json_t *obj, const char *key, int required, json_t **out)
{
    json_t *v = json_object_get(obj, key);
    if (v && json_is_null(v))
        v = NULL;
    *out = v;
    if (!v && required) {
        size_t m = hrana__push_key(c, key);
        hrana__fail(c, HRANA_E_INVALID, "missing field");
        hrana__pop(c, m);
        return -1;
    }
    return 0;
}

static int wrong_type(dctx *c, const char *key, const char *want, json_t *v)
{
    size_t m = hrana__push_key(c, key);
    hrana__fail(c, HRANA_E_INVALID, "expected %s, got %s", want, kind_of(v));
    hrana__pop(c, m);
    return -1;
}

int hrana__get_object(dctx *c, json_t *obj, const char *key, int required, json_t **out)
{
    json_t *v;
    if (field(c, obj, key, required, &v))
        return -1;
    if (v && !json_is_object(v))
        return wrong_type(c, key, "an object", v);
    *out = v;
    return 0;
}

int hrana__get_array(dctx *c, json_t *obj, const char *key, int required, size_t max,
                     const char *what, json_t **out)
{
    json_t *v;
    if (field(c, obj, key, required, &v))
        return -1;
    if (v && !json_is_array(v))
        return wrong_type(c, key, "an array", v);
    if (v && json_array_size(v) > max) {
        size_t m = hrana__push_key(c, key);
        hrana__fail(c, HRANA_E_LIMIT, "%zu %s is more than the limit of %zu",
                    json_array_size(v), what, max);
        hrana__pop(c, m);
        return -1;
    }
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
    if (field(c, obj, key, required, &v))
        return -1;
    if (!v)
        return 0;
    if (!json_is_string(v))
        return wrong_type(c, key, "a string", v);
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
    if (field(c, obj, key, required, &v))
        return -1;
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return wrong_type(c, key, "a boolean", v);
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
    if (field(c, obj, key, required, &v))
        return -1;
    if (!v)
        return 0;
    if (!json_is_number(v))
        return wrong_type(c, key, "a number", v);
    double d = json_number_value(v);
    if (!(d >= lo && d <= hi) || d != floor(d)) {
        size_t m = hrana__push_key(c, key);
        hrana__fail(c, HRANA_E_INVALID, "expected an integer in [%.0f, %.0f], got %.17g", lo, hi,
                    d);
        hrana__pop(c, m);
        return -1;
    }
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
    if (field(c, obj, key, required, &v))
        return -1;
    if (!v)
        return 0;
    if (!json_is_number(v))
        return wrong_type(c, key, "a number", v);
    *out = json_number_value(v);
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

int hrana__value(dctx *c, json_t *v, lsql_value *out)
{
    if (!json_is_object(v))
        return hrana__fail(c, HRANA_E_INVALID, "a value must be an object, got %s", kind_of(v));
    const char *type;
    if (hrana__get_type(c, v, &type))
        return -1;
    if (!strcmp(type, "null")) {
        *out = lsql_null();
        return 0;
    }
    if (!strcmp(type, "integer")) {
        json_t *x;
        if (field(c, v, "value", 1, &x))
            return -1;
        if (!json_is_string(x))
            return wrong_type(c, "value", "a string (integers are sent as decimal strings)", x);
        int64_t i;
        if (hrana_parse_i64(json_string_value(x), json_string_length(x), &i)) {
            size_t m = hrana__push_key(c, "value");
            hrana__fail(c, HRANA_E_INVALID, "\"%.40s\" is not a 64-bit signed integer",
                        json_string_value(x));
            hrana__pop(c, m);
            return -1;
        }
        *out = lsql_int(i);
        return 0;
    }
    if (!strcmp(type, "float")) {
        json_t *x;
        if (field(c, v, "value", 1, &x))
            return -1;
        if (!json_is_number(x))
            return wrong_type(c, "value", "a number", x);
        *out = lsql_float(json_number_value(x));
        return 0;
    }
    if (!strcmp(type, "text")) {
        hrana_str s;
        if (hrana__get_string(c, v, "value", 1, c->lim->max_text, &s))
            return -1;
        *out = lsql_text(s.p, s.n);
        return 0;
    }
    if (!strcmp(type, "blob")) {
        json_t *x;
        if (field(c, v, "base64", 1, &x))
            return -1;
        if (!json_is_string(x))
            return wrong_type(c, "base64", "a string", x);
        size_t n = json_string_length(x);
        size_t cap = n / 4 * 3 + 3;
        size_t m = hrana__push_key(c, "base64");
        if (cap > c->lim->max_blob + 3 && n / 4 * 3 > c->lim->max_blob) {
            hrana__fail(c, HRANA_E_LIMIT, "blob of about %zu bytes is larger than the limit of %zu",
                        n / 4 * 3, c->lim->max_blob);
            hrana__pop(c, m);
            return -1;
        }
        unsigned char *p = hrana_arena_alloc(c->arena, cap);
        if (!p) {
            hrana__pop(c, m);
            return hrana__fail(c, HRANA_E_NOMEM, "out of memory");
        }
        long long got = hrana_base64_decode(json_string_value(x), n, p, cap);
        if (got < 0) {
            hrana__fail(c, HRANA_E_INVALID, "invalid base64");
            hrana__pop(c, m);
            return -1;
        }
        if ((size_t)got > c->lim->max_blob) {
            hrana__fail(c, HRANA_E_LIMIT, "blob of %lld bytes is larger than the limit of %zu",
                        got, c->lim->max_blob);
            hrana__pop(c, m);
            return -1;
        }
        hrana__pop(c, m);
        *out = lsql_blob(p, (size_t)got);
        return 0;
    }
    return hrana__fail(c, HRANA_E_INVALID, "unknown value type \"%.40s\"", type);
}

int hrana__error(dctx *c, json_t *v, hrana_error *out)
{
    if (!json_is_object(v))
        return hrana__fail(c, HRANA_E_INVALID, "an error must be an object, got %s", kind_of(v));
    if (hrana__get_string(c, v, "message", 1, c->lim->max_text, &out->message) ||
        hrana__get_string(c, v, "code", 0, c->lim->max_text, &out->code))
        return -1;
    return 0;
}

int hrana__col(dctx *c, json_t *v, hrana_col *out)
{
    if (!json_is_object(v))
        return hrana__fail(c, HRANA_E_INVALID, "a column must be an object, got %s", kind_of(v));
    if (hrana__get_string(c, v, "name", 0, c->lim->max_text, &out->name) ||
        hrana__get_string(c, v, "decltype", 0, c->lim->max_text, &out->decltype))
        return -1;
    return 0;
}

int hrana__cols(dctx *c, json_t *obj, const char *key, hrana_col **out, size_t *n)
{
    json_t *a;
    if (hrana__get_array(c, obj, key, 1, c->lim->max_cols, "columns", &a))
        return -1;
    size_t cnt = json_array_size(a);
    hrana_col *cols = hrana_arena_alloc(c->arena, (cnt ? cnt : 1) * sizeof *cols);
    if (!cols)
        return hrana__fail(c, HRANA_E_NOMEM, "out of memory");
    size_t m = hrana__push_key(c, key);
    for (size_t i = 0; i < cnt; i++) {
        size_t m2 = hrana__push_index(c, i);
        if (hrana__col(c, json_array_get(a, i), &cols[i]))
            return -1;
        hrana__pop(c, m2);
    }
    hrana__pop(c, m);
    *out = cols;
    *n = cnt;
    return 0;
}

int hrana_decode_value(const char *json, size_t len, const hrana_limits *lim,
                       hrana_arena *arena, lsql_value *out, hrana_status *st)
{
    json_t *root = hrana__load(json, len, lim, st);
    if (!root)
        return st->code;
    dctx c;
    hrana__ctx_init(&c, lim, arena, st);
    int rc = hrana__value(&c, root, out);
    json_decref(root);
    return rc ? st->code : HRANA_OK;
}

int hrana_decode_error(const char *body, size_t len, const hrana_limits *lim,
                       hrana_arena *arena, hrana_error *out, hrana_status *st)
{
    memset(out, 0, sizeof *out);
    json_t *root = hrana__load(body, len, lim, st);
    if (!root)
        return st->code;
    dctx c;
    hrana__ctx_init(&c, lim, arena, st);
    int rc = hrana__error(&c, root, out);
    json_decref(root);
    return rc ? st->code : HRANA_OK;
}
