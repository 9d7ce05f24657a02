/* decode_int.h -- private helpers shared by the decoders (requests and
 * responses): the parse with pre-checked limits, a path for messages, typed
 * field readers, walkers over nested objects and arrays, and the readers of
 * the structures both directions share. */
#ifndef LSQL_HRANA_DECODE_INT_H
#define LSQL_HRANA_DECODE_INT_H

#include "hrana.h"

#include <jansson.h>
#include <stdbool.h>

#if defined(__GNUC__) || defined(__clang__)
#define HRANA_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define HRANA_PRINTF(a, b)
#endif

/* The path of the value being decoded, for messages ("requests[3].stmt.args[0]"):
 * a stack of components, formatted only when an error is reported. A key is
 * a C string that outlives the decode (the readers pass literals); an index
 * component has key NULL. The formatted path is cut at HRANA_PATH_MAX - 1
 * characters; every component takes at least 3 ("[0]", ".sql"), so the
 * components deeper than HRANA_PATH_DEPTH are counted but need not be kept. */
#define HRANA_PATH_MAX 192
#define HRANA_PATH_DEPTH (HRANA_PATH_MAX / 3 + 2)
typedef struct hrana__seg {
    const char *key;
    size_t index;
} hrana__seg;

typedef struct dctx {
    const hrana_limits *lim;
    hrana_arena *arena;
    hrana_status *st;
    size_t depth; /* components on the path (some may not be kept) */
    hrana__seg seg[HRANA_PATH_DEPTH];
} dctx;

/* ---- decode.c: parse, context, errors, path ---------------------------- */

/* Starts a decode: checks size, nesting depth and node count before the
 * parser runs, then parses with jansson. NULL on error (st filled). The
 * tree must be dropped with hrana__unload(root, *windowed) before anything
 * else uses jansson on this thread (see decode.c: jansson's memory). */
json_t *hrana__load(const char *body, size_t len, const hrana_limits *lim, hrana_status *st,
                    bool *windowed);
void hrana__unload(json_t *root, bool windowed);

void hrana__ctx_init(dctx *c, const hrana_limits *lim, hrana_arena *arena, hrana_status *st);
/* Sets the error (first one wins) with the current path; returns -1. */
int hrana__fail(dctx *c, int code, const char *fmt, ...) HRANA_PRINTF(3, 4);
/* The same with `key` appended to the path for the message; returns -1. */
int hrana__fail_at(dctx *c, const char *key, int code, const char *fmt, ...) HRANA_PRINTF(4, 5);
/* Path handling: push returns the previous depth to restore with pop. */
static inline size_t hrana__push_key(dctx *c, const char *key)
{
    size_t m = c->depth;
    if (m < HRANA_PATH_DEPTH)
        c->seg[m].key = key;
    c->depth = m + 1;
    return m;
}
static inline size_t hrana__push_index(dctx *c, size_t i)
{
    size_t m = c->depth;
    if (m < HRANA_PATH_DEPTH) {
        c->seg[m].key = NULL;
        c->seg[m].index = i;
    }
    c->depth = m + 1;
    return m;
}
/* Replaces the index of the component pushed at mark (walking an array). */
static inline void hrana__set_index(dctx *c, size_t mark, size_t i)
{
    if (mark < HRANA_PATH_DEPTH)
        c->seg[mark].index = i;
}
static inline void hrana__pop(dctx *c, size_t mark) { c->depth = mark; }

/* ---- decode_field.c: typed field readers ------------------------------- */

/* "an object", "a string", ... for messages. */
const char *hrana__kind_of(json_t *v);
/* 0 when v is an object, else fails with "<what> must be an object". */
int hrana__need_object(dctx *c, json_t *v, const char *what);

/* obj[key], *out NULL when absent or null (an error when required), else
 * "expected <want>" unless its type is one of `kinds` (HRANA_KIND bits of
 * jansson types). */
#define HRANA_KIND(t) (1u << (t))
#define HRANA_KINDS_NUMBER (HRANA_KIND(JSON_INTEGER) | HRANA_KIND(JSON_REAL))
#define HRANA_KINDS_BOOL (HRANA_KIND(JSON_TRUE) | HRANA_KIND(JSON_FALSE))
int hrana__get_typed(dctx *c, json_t *obj, const char *key, int required, unsigned kinds,
                     const char *want, json_t **out);

/* Field readers: each returns 0 (value stored, or field absent and
 * optional) or -1 (error set). `present` (may be NULL) tells whether the
 * field was there and not null. */
int hrana__get_object(dctx *c, json_t *obj, const char *key, int required, json_t **out);
int hrana__get_array(dctx *c, json_t *obj, const char *key, int required, size_t max,
                     const char *what, json_t **out);
int hrana__get_string(dctx *c, json_t *obj, const char *key, int required, size_t max,
                      hrana_str *out);
int hrana__get_bool(dctx *c, json_t *obj, const char *key, int required, int *out,
                    int *present);
int hrana__get_i32(dctx *c, json_t *obj, const char *key, int required, int32_t *out,
                   int *present);
int hrana__get_u32(dctx *c, json_t *obj, const char *key, int required, uint32_t *out);
int hrana__get_u64(dctx *c, json_t *obj, const char *key, int required, uint64_t *out);
int hrana__get_double(dctx *c, json_t *obj, const char *key, int required, double *out);
/* Parses s[0..n) as a 64-bit signed integer; fails at obj key `key`. */
int hrana__parse_i64_at(dctx *c, const char *key, const char *s, size_t n, int64_t *out);
/* The "type" field of a tagged object (required string). */
int hrana__get_type(dctx *c, json_t *obj, const char **out);
/* A JSON string as arena copy. */
int hrana__str_of(dctx *c, json_t *s, size_t max, hrana_str *out);

/* ---- decode_walk.c: nested objects, arrays, whole documents ------------ */

/* A reader decodes the JSON value v into *out (a structure of the type the
 * reader names); arg is reader-specific (most ignore it). 0 or -1. */
typedef int (*hrana__reader)(dctx *c, json_t *v, void *out, void *arg);

/* Arena room for max(n, 1) elements of `size` bytes; NULL (error set) when
 * out of memory. */
void *hrana__alloc_n(dctx *c, size_t n, size_t size);
/* fn on v with `key` appended to the path. */
int hrana__read_in(dctx *c, const char *key, json_t *v, void *out, hrana__reader fn,
                   void *arg);
/* fn on the required object obj[key]. */
int hrana__get_sub(dctx *c, json_t *obj, const char *key, void *out, hrana__reader fn,
                   void *arg);
/* fn on every element of the array a (element i into base + i * size),
 * with "key[i]" on the path ("[i]" when key is NULL). */
int hrana__read_items(dctx *c, const char *key, json_t *a, void *base, size_t size,
                      hrana__reader fn, void *arg);
/* An arena array of the decoded elements of a (array found at key); NULL
 * on error. *n is set on success. */
void *hrana__list_of(dctx *c, const char *key, json_t *a, size_t size, hrana__reader fn,
                     void *arg, size_t *n);
/* hrana__list_of on the required array obj[key] of at most max elements. */
void *hrana__get_list(dctx *c, json_t *obj, const char *key, size_t max, const char *what,
                      size_t size, hrana__reader fn, void *arg, size_t *n);

/* A whole document into *out (`size` bytes, cleared first), its memory in
 * a new arena stored at *arena once fn succeeded; on failure *out is
 * cleared again and nothing is left to free. Returns the status code. */
int hrana__decode_owned(const char *body, size_t len, const hrana_limits *lim,
                        hrana_status *st, void *out, size_t size, hrana_arena **arena,
                        hrana__reader fn);
/* A whole document into *out, memory from the caller's arena. */
int hrana__decode_into(const char *body, size_t len, const hrana_limits *lim,
                       hrana_arena *arena, hrana_status *st, void *out, hrana__reader fn);
/* Frees what hrana__decode_owned kept and clears *obj. */
void hrana__release(hrana_arena *arena, void *obj, size_t size);
/* Defines the public pair hrana_decode_<name>() and hrana_<name>_free() of
 * the top-level structure hrana_<name> (declared in hrana.h), which owns
 * an arena; `reader` decodes the document's root object into it. */
#define HRANA_OWNED_DECODER(name, reader)                                                  \
    int hrana_decode_##name(const char *body, size_t len, const hrana_limits *lim,        \
                            hrana_##name *out, hrana_status *st)                          \
    {                                                                                      \
        return hrana__decode_owned(body, len, lim, st, out, sizeof *out, &out->arena,      \
                                   reader);                                                \
    }                                                                                      \
    void hrana_##name##_free(hrana_##name *r)                                              \
    {                                                                                      \
        if (r)                                                                             \
            hrana__release(r->arena, r, sizeof *r);                                        \
    }

/* ---- decode_value.c, decode_stmt.c: shared structures ------------------ */
/* Readers (hrana__reader shape; arg unused): */
int hrana__value(dctx *c, json_t *v, void *out, void *arg); /* lsql_value */
int hrana__error(dctx *c, json_t *v, void *out, void *arg); /* hrana_error */
int hrana__col(dctx *c, json_t *v, void *out, void *arg);   /* hrana_col */
int hrana__stmt(dctx *c, json_t *v, void *out, void *arg);  /* hrana_stmt */
int hrana__batch(dctx *c, json_t *v, void *out, void *arg); /* hrana_batch */
/* The required array of Col at obj[key]. */
int hrana__cols(dctx *c, json_t *obj, const char *key, hrana_col **out, size_t *n);
/* sql / sql_id (both optional) and the check that exactly one was given. */
int hrana__get_sql_or_id(dctx *c, json_t *v, hrana_str *sql, int32_t *id, int *has_id);
int hrana__check_sql_or_id(dctx *c, const hrana_str *sql, int has_id);

#endif
