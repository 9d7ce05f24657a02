/* pb_int.h -- private pieces of the protobuf decoders: a bounds-checked
 * reader of one message's fields, the decoding context (the JSON decoders'
 * context for arena, limits and error paths, plus the nesting level and the
 * count of decoded messages), and the readers of shared structures. */
#ifndef LSQL_HRANA_PB_INT_H
#define LSQL_HRANA_PB_INT_H

#include "decode_int.h"
#include "hrana_pb.h"

/* The fields of one message, read in order from p up to end. */
typedef struct pb_reader {
    const unsigned char *p;
    const unsigned char *end;
} pb_reader;

/* One field: its number, wire type and value (varint and fixed-width
 * fields in v, length-delimited ones as p[0..n)). */
typedef struct pb_field {
    uint32_t num;
    unsigned wt;
    uint64_t v;
    const unsigned char *p;
    size_t n;
} pb_field;

typedef struct pbctx {
    dctx d;         /* arena, limits, status and the path of messages */
    const unsigned char *base; /* the start of the body, for byte offsets */
    unsigned level; /* nesting of the message being read (the body is 1) */
    size_t nodes;   /* messages read so far (bounded by lim->max_nodes) */
} pbctx;

/* A reader of one message's bytes into *out; arg is reader-specific. */
typedef int (*pb_fn)(pbctx *c, const unsigned char *p, size_t n, void *out, void *arg);

/* ---- pb_read.c ------------------------------------------------------------ */
static inline void pb_reader_init(pb_reader *r, const unsigned char *p, size_t n)
{
    r->p = p;
    r->end = p + n;
}
/* Reads a varint at *pp (not past end); 0, or -1 when truncated or longer
 * than 10 bytes / 64 bits. */
int hrana__pb_varint(const unsigned char **pp, const unsigned char *end, uint64_t *out);
/* The next field: 1 (in *f), 0 at the end of the message, -1 when malformed
 * (error set: HRANA_E_JSON). Groups and wire types 6/7 are malformed. */
int hrana__pb_next(pbctx *c, pb_reader *r, pb_field *f);
/* The last field among 1..nmax-1 of a oneof message (last->num 0: none)
 * and the number of some other field in *other (0: none). */
int hrana__pb_oneof(pbctx *c, const unsigned char *p, size_t n, unsigned nmax, pb_field *last,
                    unsigned *other);
/* A oneof message without a known field: HRANA_E_UNKNOWN_TYPE naming an
 * unknown field when there was one ("unknown <what> type (field N)"). */
int hrana__pb_no_kind(pbctx *c, const char *what, unsigned other);
/* 0 when f has wire type wt, else a malformed-protobuf error at key. */
int hrana__pb_want(pbctx *c, const pb_field *f, unsigned wt, const char *key);
/* fn on the message f (a length-delimited field) with key (NULL: none) on
 * the path, one nesting level deeper (checked against max_depth) and
 * counted against max_nodes. */
int hrana__pb_sub(pbctx *c, const char *key, const pb_field *f, void *out, pb_fn fn,
                  void *arg);
/* The same with "key[i]" on the path. */
int hrana__pb_item(pbctx *c, const char *key, size_t i, const pb_field *f, void *out,
                   pb_fn fn, void *arg);
/* Scalar fields, each checked for its wire type (a malformed-protobuf error
 * at key otherwise): uint64, int32 and uint32 (the low 32 bits of the
 * varint, as protobuf does), sint64 (zigzag), bool, double (fixed64). */
int hrana__pb_u64(pbctx *c, const pb_field *f, const char *key, uint64_t *out);
int hrana__pb_i32(pbctx *c, const pb_field *f, const char *key, int32_t *out);
int hrana__pb_u32(pbctx *c, const pb_field *f, const char *key, uint32_t *out);
int hrana__pb_s64(pbctx *c, const pb_field *f, const char *key, int64_t *out);
int hrana__pb_bool(pbctx *c, const pb_field *f, const char *key, int *out);
int hrana__pb_double(pbctx *c, const pb_field *f, const char *key, double *out);
/* The last occurrence of field in the message p[0..n) (out->num 0: none). */
int hrana__pb_last(pbctx *c, const unsigned char *p, size_t n, unsigned field, pb_field *out);
/* A string field (wire type LEN, at most max bytes) as an arena copy. */
int hrana__pb_str(pbctx *c, const pb_field *f, const char *key, size_t max, hrana_str *out);
/* Fails when a repeated field has more than max elements, like the JSON
 * decoder: "<n> <what> is more than the limit of <max>" at key (at the
 * message itself when key is NULL). */
int hrana__pb_count(pbctx *c, size_t n, size_t max, const char *key, const char *what);
/* How many times field appears in the message p[0..n). */
int hrana__pb_count_field(pbctx *c, const unsigned char *p, size_t n, unsigned field,
                          size_t *count);
/* fn on the first k occurrences of field, the i-th into base + i * size,
 * with "key[i]" ("[i]" when key is NULL) on the path; *got: how many. */
int hrana__pb_items(pbctx *c, const unsigned char *p, size_t n, unsigned field, const char *key,
                    void *base, size_t size, size_t k, pb_fn fn, void *arg, size_t *got);
/* The elements of the repeated field `field` (at most max, see
 * hrana__pb_count) decoded by hrana__pb_items into a new arena array;
 * NULL on error, else *count is set. */
void *hrana__pb_list(pbctx *c, const unsigned char *p, size_t n, unsigned field, const char *key,
                     size_t max, const char *what, size_t size, pb_fn fn, void *arg,
                     size_t *count);
/* "missing field" at key (HRANA_E_INVALID). */
int hrana__pb_missing(pbctx *c, const char *key);
/* ---- pb_body.c ------------------------------------------------------------ */
/* A whole body (or cursor item) into *out (size bytes, cleared first) with
 * a new arena stored at *arena on success; nothing to free on failure. */
int hrana__pb_decode_owned(const void *body, size_t len, const hrana_limits *lim,
                           hrana_status *st, void *out, size_t size, hrana_arena **arena,
                           pb_fn fn);

/* ---- pb_decode_value.c, pb_decode_stmt.c: shared structures ----------- */
/* Readers (pb_fn shape; arg unused unless said): */
int hrana__pb_empty(pbctx *c, const unsigned char *p, size_t n, void *out, void *arg);
int hrana__pb_value(pbctx *c, const unsigned char *p, size_t n, void *out, void *arg);
int hrana__pb_error(pbctx *c, const unsigned char *p, size_t n, void *out, void *arg);
int hrana__pb_col(pbctx *c, const unsigned char *p, size_t n, void *out, void *arg);
int hrana__pb_stmt(pbctx *c, const unsigned char *p, size_t n, void *out, void *arg);
int hrana__pb_batch(pbctx *c, const unsigned char *p, size_t n, void *out, void *arg);
/* The Col elements of field `field` of the message p[0..n) (at most
 * max_cols) with "key[i]" on the path; NULL on error. */
hrana_col *hrana__pb_cols(pbctx *c, const unsigned char *p, size_t n, unsigned field,
                          const char *key, size_t *count);

/* ---- pb_decode_entry.c ------------------------------------------------- */
/* Field 1 (baton) or 2 (base_url) of a response head; others ignored. */
int hrana__pb_head_field(pbctx *c, const pb_field *f, hrana_str *baton, hrana_str *base_url);

#endif
