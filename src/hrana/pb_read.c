/* pb_read.c -- the protobuf reader: varints, fields of one message with
 * every bound checked, scalar fields, nested messages with their depth
 * counted, repeated fields.
 *
 * Nothing here recurses: a nested message is read by the caller's reader,
 * through hrana__pb_sub(), which counts the nesting level against
 * lim->max_depth before going one level deeper. */
#include "pb_int.h"

#include <string.h>

int hrana__pb_varint(const unsigned char **pp, const unsigned char *end, uint64_t *out)
{
    const unsigned char *p = *pp;
    uint64_t v = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (p == end)
            return -1;
        unsigned byte = *p++;
        if (i == 9 && byte > 1)
            return -1; /* more than 64 bits */
        v |= (uint64_t)(byte & 0x7f) << (7 * i);
        if (!(byte & 0x80)) {
            *pp = p;
            *out = v;
            return 0;
        }
    }
    return -1;
}

static int malformed(pbctx *c, const unsigned char *at, const char *what)
{
    return hrana__fail(&c->d, HRANA_E_JSON, "malformed protobuf at byte %zu: %s",
                       (size_t)(at - c->base), what);
}

int hrana__pb_next(pbctx *c, pb_reader *r, pb_field *f)
{
    if (r->p >= r->end)
        return 0;
    const unsigned char *at = r->p;
    uint64_t tag;
    if (hrana__pb_varint(&r->p, r->end, &tag))
        return malformed(c, at, "bad field tag varint");
    if (tag >> 3 == 0 || tag >> 3 > 0x1fffffff)
        return malformed(c, at, "invalid field number");
    f->num = (uint32_t)(tag >> 3);
    f->wt = (unsigned)(tag & 7);
    f->p = NULL;
    f->n = 0;
    f->v = 0;
    size_t left;
    switch (f->wt) {
    case HRANA_PB_VARINT:
        if (hrana__pb_varint(&r->p, r->end, &f->v))
            return malformed(c, at, "truncated or over-long varint");
        return 1;
    case HRANA_PB_I64:
    case HRANA_PB_I32: {
        size_t w = f->wt == HRANA_PB_I64 ? 8 : 4;
        if ((size_t)(r->end - r->p) < w)
            return malformed(c, at, "truncated fixed-width field");
        for (size_t i = 0; i < w; i++)
            f->v |= (uint64_t)r->p[i] << (8 * i);
        r->p += w;
        return 1;
    }
    case HRANA_PB_LEN:
        if (hrana__pb_varint(&r->p, r->end, &f->v))
            return malformed(c, at, "bad length varint");
        left = (size_t)(r->end - r->p);
        if (f->v > left)
            return malformed(c, at, "length past the end of the message");
        f->p = r->p;
        f->n = (size_t)f->v;
        r->p += f->n;
        return 1;
    case 3:
    case 4:
        return malformed(c, at, "groups are not supported");
    default:
        return malformed(c, at, "invalid wire type");
    }
}

int hrana__pb_oneof(pbctx *c, const unsigned char *p, size_t n, unsigned nmax, pb_field *last,
                    unsigned *other)
{
    pb_reader r;
    pb_field f;
    int rc;
    last->num = 0;
    *other = 0;
    pb_reader_init(&r, p, n);
    while ((rc = hrana__pb_next(c, &r, &f)) > 0) {
        if (f.num < nmax)
            *last = f; /* the last one wins */
        else
            *other = f.num;
    }
    return rc;
}

int hrana__pb_no_kind(pbctx *c, const char *what, unsigned other)
{
    if (other)
        return hrana__fail(&c->d, HRANA_E_UNKNOWN_TYPE, "unknown %s type (field %u)", what,
                           other);
    return hrana__fail(&c->d, HRANA_E_UNKNOWN_TYPE, "empty %s (no type)", what);
}

static const char *wire_name(unsigned wt)
{
    switch (wt) {
    case HRANA_PB_VARINT: return "a varint";
    case HRANA_PB_I64: return "a 64-bit field";
    case HRANA_PB_LEN: return "a length-delimited field";
    default: return "a 32-bit field";
    }
}

int hrana__pb_want(pbctx *c, const pb_field *f, unsigned wt, const char *key)
{
    if (f->wt == wt)
        return 0;
    const char *want = wire_name(wt), *got = wire_name(f->wt);
    if (key)
        return hrana__fail_at(&c->d, key, HRANA_E_JSON, "malformed protobuf: expected %s, got %s",
                              want, got);
    return hrana__fail(&c->d, HRANA_E_JSON, "malformed protobuf: expected %s, got %s", want, got);
}

int hrana__pb_u64(pbctx *c, const pb_field *f, const char *key, uint64_t *out)
{
    if (hrana__pb_want(c, f, HRANA_PB_VARINT, key))
        return -1;
    *out = f->v;
    return 0;
}

int hrana__pb_i32(pbctx *c, const pb_field *f, const char *key, int32_t *out)
{
    uint64_t v;
    if (hrana__pb_u64(c, f, key, &v))
        return -1;
    *out = (int32_t)(uint32_t)v;
    return 0;
}

int hrana__pb_u32(pbctx *c, const pb_field *f, const char *key, uint32_t *out)
{
    uint64_t v;
    if (hrana__pb_u64(c, f, key, &v))
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int hrana__pb_s64(pbctx *c, const pb_field *f, const char *key, int64_t *out)
{
    uint64_t v;
    if (hrana__pb_u64(c, f, key, &v))
        return -1;
    *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
    return 0;
}

int hrana__pb_bool(pbctx *c, const pb_field *f, const char *key, int *out)
{
    uint64_t v;
    if (hrana__pb_u64(c, f, key, &v))
        return -1;
    *out = v != 0;
    return 0;
}

int hrana__pb_double(pbctx *c, const pb_field *f, const char *key, double *out)
{
    if (hrana__pb_want(c, f, HRANA_PB_I64, key))
        return -1;
    memcpy(out, &f->v, sizeof *out);
    return 0;
}

int hrana__pb_last(pbctx *c, const unsigned char *p, size_t n, unsigned field, pb_field *out)
{
    pb_reader r;
    pb_field f;
    int rc;
    out->num = 0;
    pb_reader_init(&r, p, n);
    while ((rc = hrana__pb_next(c, &r, &f)) > 0)
        if (f.num == field)
            *out = f;
    return rc;
}

static int enter(pbctx *c, const pb_field *f, void *out, pb_fn fn, void *arg)
{
    if (f->wt != HRANA_PB_LEN)
        return hrana__fail(&c->d, HRANA_E_JSON,
                           "malformed protobuf: expected a message (length-delimited), got %s",
                           wire_name(f->wt));
    if (c->level >= c->d.lim->max_depth)
        return hrana__fail(&c->d, HRANA_E_LIMIT, "protobuf nesting deeper than %u levels",
                           c->d.lim->max_depth);
    if (++c->nodes > c->d.lim->max_nodes)
        return hrana__fail(&c->d, HRANA_E_LIMIT, "protobuf body has more than %zu values",
                           c->d.lim->max_nodes);
    c->level++;
    int rc = fn(c, f->p, f->n, out, arg);
    c->level--;
    return rc;
}

int hrana__pb_sub(pbctx *c, const char *key, const pb_field *f, void *out, pb_fn fn,
                  void *arg)
{
    size_t m = key ? hrana__push_key(&c->d, key) : c->d.depth;
    if (enter(c, f, out, fn, arg))
        return -1;
    hrana__pop(&c->d, m);
    return 0;
}

int hrana__pb_item(pbctx *c, const char *key, size_t i, const pb_field *f, void *out,
                   pb_fn fn, void *arg)
{
    size_t m = key ? hrana__push_key(&c->d, key) : c->d.depth;
    hrana__push_index(&c->d, i);
    if (enter(c, f, out, fn, arg))
        return -1;
    hrana__pop(&c->d, m);
    return 0;
}

int hrana__pb_str(pbctx *c, const pb_field *f, const char *key, size_t max, hrana_str *out)
{
    if (hrana__pb_want(c, f, HRANA_PB_LEN, key))
        return -1;
    if (f->n > max)
        return hrana__fail_at(&c->d, key, HRANA_E_LIMIT,
                              "string of %zu bytes is longer than the limit of %zu", f->n, max);
    char *s = hrana_arena_strndup(c->d.arena, (const char *)f->p, f->n);
    if (!s)
        return hrana__fail(&c->d, HRANA_E_NOMEM, "out of memory");
    out->p = s;
    out->n = f->n;
    return 0;
}

int hrana__pb_count(pbctx *c, size_t n, size_t max, const char *key, const char *what)
{
    if (n <= max)
        return 0;
    if (key)
        return hrana__fail_at(&c->d, key, HRANA_E_LIMIT, "%zu %s is more than the limit of %zu",
                              n, what, max);
    return hrana__fail(&c->d, HRANA_E_LIMIT, "%zu %s is more than the limit of %zu", n, what,
                       max);
}

int hrana__pb_count_field(pbctx *c, const unsigned char *p, size_t n, unsigned field,
                          size_t *count)
{
    pb_reader r;
    pb_field f;
    int rc;
    *count = 0;
    pb_reader_init(&r, p, n);
    while ((rc = hrana__pb_next(c, &r, &f)) > 0)
        *count += f.num == field;
    return rc;
}

int hrana__pb_items(pbctx *c, const unsigned char *p, size_t n, unsigned field, const char *key,
                    void *base, size_t size, size_t k, pb_fn fn, void *arg, size_t *got)
{
    pb_reader r;
    pb_field f;
    int rc;
    size_t i = 0;
    pb_reader_init(&r, p, n);
    while ((rc = hrana__pb_next(c, &r, &f)) > 0) {
        if (f.num != field || i == k)
            continue;
        if (hrana__pb_item(c, key, i, &f, (char *)base + i * size, fn, arg))
            return -1;
        i++;
    }
    *got = i;
    return rc;
}

void *hrana__pb_list(pbctx *c, const unsigned char *p, size_t n, unsigned field, const char *key,
                     size_t max, const char *what, size_t size, pb_fn fn, void *arg,
                     size_t *count)
{
    size_t k;
    if (hrana__pb_count_field(c, p, n, field, &k) || hrana__pb_count(c, k, max, key, what))
        return NULL;
    void *base = hrana__alloc_n(&c->d, k, size);
    if (!base || hrana__pb_items(c, p, n, field, key, base, size, k, fn, arg, count))
        return NULL;
    return base;
}

int hrana__pb_missing(pbctx *c, const char *key)
{
    return hrana__fail_at(&c->d, key, HRANA_E_INVALID, "missing field");
}
