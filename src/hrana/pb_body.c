/* pb_body.c -- the start and end of a protobuf decode (size limit, arena,
 * clean-up on failure) and the framing of the items of a cursor body. */
#include "pb_int.h"

#include <stdio.h>
#include <string.h>

int hrana__pb_decode_owned(const void *body, size_t len, const hrana_limits *lim,
                           hrana_status *st, void *out, size_t size, hrana_arena **arena,
                           pb_fn fn)
{
    memset(out, 0, size);
    st->code = HRANA_OK;
    st->message[0] = 0;
    if (!body && len) {
        st->code = HRANA_E_JSON;
        snprintf(st->message, sizeof st->message, "no body");
        return st->code;
    }
    if (len > lim->max_body) {
        st->code = HRANA_E_TOO_LARGE;
        snprintf(st->message, sizeof st->message,
                 "body of %zu bytes is larger than the limit of %zu", len, lim->max_body);
        return st->code;
    }
    hrana_arena *a = hrana_arena_new();
    if (!a) {
        st->code = HRANA_E_NOMEM;
        snprintf(st->message, sizeof st->message, "out of memory");
        return st->code;
    }
    static const unsigned char empty[1];
    const unsigned char *p = body ? body : empty;
    pbctx c;
    hrana__ctx_init(&c.d, lim, a, st);
    c.base = p;
    c.level = 1;
    c.nodes = 1;
    if (fn(&c, p, len, out, NULL)) {
        hrana_arena_free(a);
        memset(out, 0, size);
        if (st->code == HRANA_OK)
            st->code = HRANA_E_INVALID;
        return st->code;
    }
    *arena = a;
    return HRANA_OK;
}

int hrana_pb_frame(const void *p, size_t n, size_t max, size_t *hdr, size_t *len,
                   hrana_status *st)
{
    const unsigned char *s = p, *q = p;
    uint64_t v;
    if (st) {
        st->code = HRANA_OK;
        st->message[0] = 0;
    }
    if (n == 0)
        return 0;
    if (hrana__pb_varint(&q, s + n, &v)) {
        /* more bytes may complete it, unless 10 are there already */
        size_t i = 0;
        while (i < n && i < 10 && (s[i] & 0x80))
            i++;
        if (i == n && n < 10)
            return 0;
        if (st) {
            st->code = HRANA_E_JSON;
            snprintf(st->message, sizeof st->message,
                     "malformed protobuf: bad length prefix of a cursor item");
        }
        return -1;
    }
    if (v > max) {
        if (st) {
            st->code = HRANA_E_TOO_LARGE;
            snprintf(st->message, sizeof st->message,
                     "cursor item of %llu bytes is larger than the limit of %zu",
                     (unsigned long long)v, max);
        }
        return -1;
    }
    *hdr = (size_t)(q - s);
    *len = (size_t)v;
    return n - *hdr >= *len ? 1 : 0;
}

int hrana_pb_decode_error(const void *body, size_t len, const hrana_limits *lim,
                          hrana_arena *arena, hrana_error *out, hrana_status *st)
{
    hrana_arena *own = NULL;
    hrana_error e;
    int rc = hrana__pb_decode_owned(body, len, lim, st, &e, sizeof e, &own, hrana__pb_error);
    memset(out, 0, sizeof *out);
    if (rc != HRANA_OK)
        return rc;
    /* the strings move to the caller's arena */
    if (e.message.p &&
        !(out->message.p = hrana_arena_strndup(arena, e.message.p, e.message.n)))
        rc = HRANA_E_NOMEM;
    if (rc == HRANA_OK && e.code.p && !(out->code.p = hrana_arena_strndup(arena, e.code.p, e.code.n)))
        rc = HRANA_E_NOMEM;
    out->message.n = out->message.p ? e.message.n : 0;
    out->code.n = out->code.p ? e.code.n : 0;
    hrana_arena_free(own);
    if (rc != HRANA_OK) {
        memset(out, 0, sizeof *out);
        st->code = rc;
        snprintf(st->message, sizeof st->message, "out of memory");
    }
    return rc;
}
