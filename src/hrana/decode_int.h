/* decode_int.h -- private helpers shared by the decoders (requests and
 * responses): the parse with pre-checked limits, a path for messages, and
 * typed field readers. */
#ifndef LSQL_HRANA_DECODE_INT_H
#define LSQL_HRANA_DECODE_INT_H

#include "hrana.h"

#include <jansson.h>

#if defined(__GNUC__) || defined(__clang__)
#define HRANA_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define HRANA_PRINTF(a, b)
#endif

typedef struct dctx {
    const hrana_limits *lim;
    hrana_arena *arena;
    hrana_status *st;
    char path[192];
    size_t plen;
} dctx;

/* Starts a decode: checks size, nesting depth and node count before the
 * parser runs, then parses with jansson. NULL on error (st filled). */
json_t *hrana__load(const char *body, size_t len, const hrana_limits *lim, hrana_status *st);

void hrana__ctx_init(dctx *c, const hrana_limits *lim, hrana_arena *arena, hrana_status *st);
/* Sets the error (first one wins) with the current path; returns -1. */
int hrana__fail(dctx *c, int code, const char *fmt, ...) HRANA_PRINTF(3, 4);
/* Path handling: push returns the previous length to restore with pop. */
size_t hrana__push_key(dctx *c, const char *key);
size_t hrana__push_index(dctx *c, size_t i);
static inline void hrana__pop(dctx *c, size_t mark)
{
    c->plen = mark;
    c->path[mark] = 0;
}

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
/* The "type" field of a tagged object (required string). */
int hrana__get_type(dctx *c, json_t *obj, const char **out);

/* A JSON string as arena copy. */
int hrana__str_of(dctx *c, json_t *s, size_t max, hrana_str *out);
/* A Value object. */
int hrana__value(dctx *c, json_t *v, lsql_value *out);
/* An Error object. */
int hrana__error(dctx *c, json_t *v, hrana_error *out);
/* A Col object. */
int hrana__col(dctx *c, json_t *v, hrana_col *out);
/* An array of Col at obj[key]. */
int hrana__cols(dctx *c, json_t *obj, const char *key, hrana_col **out, size_t *n);
/* Stmt and Batch (shared by the pipeline and cursor request decoders). */
int hrana__stmt(dctx *c, json_t *v, hrana_stmt *out);
int hrana__batch(dctx *c, json_t *v, hrana_batch *out);

#endif
