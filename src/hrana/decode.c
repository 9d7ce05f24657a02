/* decode.c -- the decoders' common start: limits checked before parsing,
 * the decoding context, error messages and their paths. */
#include "decode_int.h"

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

static int vfail(dctx *c, int code, const char *fmt, va_list ap) HRANA_PRINTF(3, 0);
static int vfail(dctx *c, int code, const char *fmt, va_list ap)
{
    if (c->st->code != HRANA_OK)
        return -1;
    char msg[HRANA_MSG_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
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

int hrana__fail(dctx *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(c, code, fmt, ap);
    va_end(ap);
    return -1;
}

int hrana__fail_at(dctx *c, const char *key, int code, const char *fmt, ...)
{
    size_t m = hrana__push_key(c, key);
    va_list ap;
    va_start(ap, fmt);
    vfail(c, code, fmt, ap);
    va_end(ap);
    hrana__pop(c, m);
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

