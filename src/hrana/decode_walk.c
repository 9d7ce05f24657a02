/* decode_walk.c -- the decoders' structure: nested objects and arrays
 * handed to readers with the path kept for messages, and the start and end
 * of a whole document (parse, arena, clean-up on failure). */
#include "decode_int.h"

#include <stdio.h>
#include <string.h>

void *hrana__alloc_n(dctx *c, size_t n, size_t size)
{
    void *p = hrana_arena_alloc(c->arena, (n ? n : 1) * size);
    if (!p)
        hrana__fail(c, HRANA_E_NOMEM, "out of memory");
    return p;
}

int hrana__read_in(dctx *c, const char *key, json_t *v, void *out, hrana__reader fn,
                   void *arg)
{
    size_t m = hrana__push_key(c, key);
    if (fn(c, v, out, arg))
        return -1;
    hrana__pop(c, m);
    return 0;
}

int hrana__get_sub(dctx *c, json_t *obj, const char *key, void *out, hrana__reader fn,
                   void *arg)
{
    json_t *v;
    if (hrana__get_object(c, obj, key, 1, &v))
        return -1;
    return hrana__read_in(c, key, v, out, fn, arg);
}

int hrana__read_items(dctx *c, const char *key, json_t *a, void *base, size_t size,
                      hrana__reader fn, void *arg)
{
    size_t m = key ? hrana__push_key(c, key) : c->depth;
    size_t n = json_array_size(a);
    size_t m2 = hrana__push_index(c, 0);
    for (size_t i = 0; i < n; i++) {
        hrana__set_index(c, m2, i);
        if (fn(c, json_array_get(a, i), (char *)base + i * size, arg))
            return -1;
    }
    hrana__pop(c, m);
    return 0;
}

void *hrana__list_of(dctx *c, const char *key, json_t *a, size_t size, hrana__reader fn,
                     void *arg, size_t *n)
{
    size_t cnt = json_array_size(a);
    void *p = hrana__alloc_n(c, cnt, size);
    if (!p || hrana__read_items(c, key, a, p, size, fn, arg))
        return NULL;
    *n = cnt;
    return p;
}

void *hrana__get_list(dctx *c, json_t *obj, const char *key, size_t max, const char *what,
                      size_t size, hrana__reader fn, void *arg, size_t *n)
{
    json_t *a;
    if (hrana__get_array(c, obj, key, 1, max, what, &a))
        return NULL;
    return hrana__list_of(c, key, a, size, fn, arg, n);
}

int hrana__decode_owned(const char *body, size_t len, const hrana_limits *lim,
                        hrana_status *st, void *out, size_t size, hrana_arena **arena,
                        hrana__reader fn)
{
    memset(out, 0, size);
    bool w;
    json_t *root = hrana__load(body, len, lim, st, &w);
    if (!root)
        return st->code;
    hrana_arena *a = hrana_arena_new();
    if (!a) {
        hrana__unload(root, w);
        st->code = HRANA_E_NOMEM;
        snprintf(st->message, sizeof st->message, "out of memory");
        return st->code;
    }
    dctx c;
    hrana__ctx_init(&c, lim, a, st);
    int rc = fn(&c, root, out, NULL);
    hrana__unload(root, w);
    if (rc) {
        hrana_arena_free(a);
        memset(out, 0, size);
        return st->code;
    }
    *arena = a;
    return HRANA_OK;
}

int hrana__decode_into(const char *body, size_t len, const hrana_limits *lim,
                       hrana_arena *arena, hrana_status *st, void *out, hrana__reader fn)
{
    bool w;
    json_t *root = hrana__load(body, len, lim, st, &w);
    if (!root)
        return st->code;
    dctx c;
    hrana__ctx_init(&c, lim, arena, st);
    int rc = fn(&c, root, out, NULL);
    hrana__unload(root, w);
    return rc ? st->code : HRANA_OK;
}

void hrana__release(hrana_arena *arena, void *obj, size_t size)
{
    hrana_arena_free(arena);
    memset(obj, 0, size);
}
