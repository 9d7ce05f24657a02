/*
 * hrana.h -- the Hrana (libSQL remote protocol) JSON codec, both directions.
 *
 * I/O-free: it turns JSON bodies into C structures and C structures into
 * JSON, nothing else. The server (lsqld) decodes requests and encodes
 * responses; the remote client will encode requests and decode responses
 * with the same functions. The wire format is the one of
 * docs/hrana-protocol.md (Hrana 2/3 over HTTP, JSON encoding).
 *
 * Memory. Every decoded structure lives in an arena owned by the top-level
 * result (hrana_*_free releases all of it at once). Decoded strings are
 * NUL-terminated after their length and may contain NULs. Values are
 * lsql_value (lsql.h): TEXT/BLOB bytes point into the arena.
 *
 * Limits. Decoding enforces the limits of a hrana_limits (body size, JSON
 * nesting depth and node count, counts of requests, steps, arguments, rows,
 * sizes of SQL, text and blobs). Every violation is an error with a message
 * naming the field ("requests[3].stmt.args[0]: ...") and the limit.
 *
 * Encoding appends to a hrana_buf, a growable buffer with a hard maximum:
 * once a write would pass the maximum, the buffer is marked overflowed and
 * keeps its content up to that point (callers check hrana_buf_ok()).
 *
 * Threads: no global state; any function may run in any thread on distinct
 * objects.
 */
#ifndef LSQL_HRANA_H
#define LSQL_HRANA_H

#include <stddef.h>
#include <stdint.h>

#include "lsql.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------- */
/* Status of a decode                                                        */
/* ------------------------------------------------------------------------- */

#define HRANA_OK 0
#define HRANA_E_JSON 1         /* not JSON (syntax, invalid UTF-8, lone surrogate, duplicate key) */
#define HRANA_E_INVALID 2      /* JSON of the wrong shape: missing field, wrong type, bad value */
#define HRANA_E_UNKNOWN_TYPE 3 /* a request/response/entry "type" this codec does not know */
#define HRANA_E_LIMIT 4        /* a hrana_limits limit was exceeded (other than the body size) */
#define HRANA_E_TOO_LARGE 5    /* the body is larger than max_body */
#define HRANA_E_NOMEM 6        /* out of memory */

#define HRANA_MSG_MAX 256

typedef struct hrana_status {
    int code;                   /* HRANA_OK or HRANA_E_* */
    char message[HRANA_MSG_MAX]; /* "" on success */
} hrana_status;

/* Protocol error code name for a status code: "JSON_INVALID",
 * "REQUEST_INVALID", "REQUEST_UNKNOWN", "LIMIT_EXCEEDED", "BODY_TOO_LARGE",
 * "OUT_OF_MEMORY" ("OK" for HRANA_OK). Static storage. */
const char *hrana_status_name(int code);

/* ------------------------------------------------------------------------- */
/* Limits                                                                    */
/* ------------------------------------------------------------------------- */

typedef struct hrana_limits {
    size_t max_body;     /* bytes of one JSON document */
    unsigned max_depth;  /* nesting of arrays and objects */
    size_t max_nodes;    /* JSON values in one document (bounds parser memory) */
    size_t max_requests; /* requests of a pipeline; results of a response */
    size_t max_steps;    /* steps of a batch */
    size_t max_args;     /* positional + named arguments of a statement */
    size_t max_sql;      /* bytes of one SQL text */
    size_t max_text;     /* bytes of a text value, name, message or baton */
    size_t max_blob;     /* decoded bytes of a blob value */
    size_t max_cols;     /* columns of a result (decoding responses) */
    size_t max_rows;     /* rows of a result (decoding responses) */
} hrana_limits;

/* Defaults (documented in docs/LSQLD.md):
 *   max_body 16 MiB, max_depth 64, max_nodes 1,000,000, max_requests 4096,
 *   max_steps 16384, max_args 32766, max_sql 4 MiB, max_text 8 MiB,
 *   max_blob 8 MiB, max_cols 4096, max_rows 10,000,000. */
void hrana_limits_default(hrana_limits *l);

/* ------------------------------------------------------------------------- */
/* Arena                                                                     */
/* ------------------------------------------------------------------------- */

typedef struct hrana_arena hrana_arena;

hrana_arena *hrana_arena_new(void);
void hrana_arena_free(hrana_arena *a); /* NULL is harmless */
/* 16-byte aligned, zeroed; NULL when out of memory or n is absurd. */
void *hrana_arena_alloc(hrana_arena *a, size_t n);
/* Copy of p[0..n) with a NUL after it. */
char *hrana_arena_strndup(hrana_arena *a, const char *p, size_t n);

/* ------------------------------------------------------------------------- */
/* Shared structures                                                         */
/* ------------------------------------------------------------------------- */

/* A string: p == NULL means absent or JSON null. Decoded strings are
 * NUL-terminated at p[n]. */
typedef struct hrana_str {
    const char *p;
    size_t n;
} hrana_str;

typedef struct hrana_named_arg {
    hrana_str name;
    lsql_value value;
} hrana_named_arg;

typedef struct hrana_stmt {
    hrana_str sql;      /* absent: sql.p == NULL */
    int has_sql_id;
    int32_t sql_id;
    lsql_value *args;
    size_t nargs;
    hrana_named_arg *named_args;
    size_t nnamed;
    int want_rows;      /* default 1 */
} hrana_stmt;

#define HRANA_COND_OK 1
#define HRANA_COND_ERROR 2
#define HRANA_COND_NOT 3
#define HRANA_COND_AND 4
#define HRANA_COND_OR 5
#define HRANA_COND_IS_AUTOCOMMIT 6

typedef struct hrana_cond {
    int type;                /* HRANA_COND_* */
    uint32_t step;           /* OK, ERROR */
    struct hrana_cond *conds; /* NOT: exactly 1; AND, OR: nconds (may be 0) */
    size_t nconds;
} hrana_cond;

typedef struct hrana_step {
    hrana_cond *cond; /* NULL: no condition */
    hrana_stmt stmt;
} hrana_step;

typedef struct hrana_batch {
    hrana_step *steps;
    size_t nsteps;
} hrana_batch;

typedef struct hrana_error {
    hrana_str message;
    hrana_str code; /* may be absent in decoded input (p == NULL) */
} hrana_error;

typedef struct hrana_col {
    hrana_str name;     /* may be null */
    hrana_str decltype; /* may be null */
} hrana_col;

/* ------------------------------------------------------------------------- */
/* Requests                                                                  */
/* ------------------------------------------------------------------------- */

#define HRANA_REQ_EXECUTE 1
#define HRANA_REQ_BATCH 2
#define HRANA_REQ_SEQUENCE 3
#define HRANA_REQ_DESCRIBE 4
#define HRANA_REQ_STORE_SQL 5
#define HRANA_REQ_CLOSE_SQL 6
#define HRANA_REQ_CLOSE 7
#define HRANA_REQ_GET_AUTOCOMMIT 8
#define HRANA_REQ_COUNT 9 /* one past the last */

/* "execute", "batch", ... for HRANA_REQ_*; NULL for an unknown value. */
const char *hrana_req_type_name(int type);

typedef struct hrana_request {
    int type;          /* HRANA_REQ_* */
    hrana_stmt stmt;   /* EXECUTE */
    hrana_batch batch; /* BATCH */
    /* SEQUENCE, DESCRIBE: exactly one of sql / sql_id; STORE_SQL: both;
     * CLOSE_SQL: sql_id. */
    hrana_str sql;
    int has_sql_id;
    int32_t sql_id;
} hrana_request;

typedef struct hrana_pipeline_req {
    hrana_str baton; /* absent or null: p == NULL */
    hrana_request *requests;
    size_t nrequests;
    hrana_arena *arena; /* owns everything above (decoded requests) */
} hrana_pipeline_req;

typedef struct hrana_cursor_req {
    hrana_str baton;
    hrana_batch batch;
    hrana_arena *arena;
} hrana_cursor_req;

/* Decode a POST /v2|v3/pipeline body. Validates everything that can be
 * checked without a database: types, exactly one of sql/sql_id, condition
 * steps that point to earlier steps only, value encodings, limits. On
 * failure *out is empty (nothing to free) and *st says why. */
int hrana_decode_pipeline_req(const char *body, size_t len, const hrana_limits *lim,
                              hrana_pipeline_req *out, hrana_status *st);
void hrana_pipeline_req_free(hrana_pipeline_req *r);

/* Decode a POST /v3/cursor body. */
int hrana_decode_cursor_req(const char *body, size_t len, const hrana_limits *lim,
                            hrana_cursor_req *out, hrana_status *st);
void hrana_cursor_req_free(hrana_cursor_req *r);

/* Decode one JSON Value object ({"type":"integer","value":"1"} ...) into
 * *out; text/blob bytes are allocated in `arena`. */
int hrana_decode_value(const char *json, size_t len, const hrana_limits *lim,
                       hrana_arena *arena, lsql_value *out, hrana_status *st);

/* ------------------------------------------------------------------------- */
/* Responses                                                                 */
/* ------------------------------------------------------------------------- */

typedef struct hrana_stmt_result {
    hrana_col *cols;
    size_t ncols;
    lsql_value *rows; /* nrows * ncols values, row after row */
    size_t nrows;
    uint64_t affected_row_count;
    int has_last_insert_rowid;
    int64_t last_insert_rowid;
    uint64_t rows_read;
    uint64_t rows_written;
    double query_duration_ms;
} hrana_stmt_result;

typedef struct hrana_batch_result {
    size_t nsteps;
    hrana_stmt_result **step_results; /* nsteps entries, NULL = null */
    hrana_error **step_errors;        /* nsteps entries, NULL = null */
} hrana_batch_result;

typedef struct hrana_describe_result {
    hrana_str *params; /* name of parameter i+1, p NULL when nameless */
    size_t nparams;
    hrana_col *cols;
    size_t ncols;
    int is_explain;
    int is_readonly;
} hrana_describe_result;

typedef struct hrana_response {
    int type;                       /* HRANA_REQ_* of the request it answers */
    hrana_stmt_result stmt;         /* EXECUTE */
    hrana_batch_result batch;       /* BATCH */
    hrana_describe_result describe; /* DESCRIBE */
    int is_autocommit;              /* GET_AUTOCOMMIT */
} hrana_response;

typedef struct hrana_stream_result {
    int is_error;
    hrana_error error;       /* is_error */
    hrana_response response; /* !is_error */
} hrana_stream_result;

typedef struct hrana_pipeline_resp {
    hrana_str baton;
    hrana_str base_url;
    hrana_stream_result *results;
    size_t nresults;
    hrana_arena *arena;
} hrana_pipeline_resp;

#define HRANA_ENTRY_STEP_BEGIN 1
#define HRANA_ENTRY_STEP_END 2
#define HRANA_ENTRY_STEP_ERROR 3
#define HRANA_ENTRY_ROW 4
#define HRANA_ENTRY_ERROR 5

typedef struct hrana_cursor_entry {
    int type;         /* HRANA_ENTRY_* */
    uint32_t step;    /* STEP_BEGIN, STEP_ERROR */
    hrana_col *cols;  /* STEP_BEGIN */
    size_t ncols;
    lsql_value *row;  /* ROW */
    size_t nrow;
    uint64_t affected_row_count; /* STEP_END */
    int has_last_insert_rowid;
    int64_t last_insert_rowid;
    hrana_error error; /* STEP_ERROR, ERROR */
    hrana_arena *arena;
} hrana_cursor_entry;

typedef struct hrana_cursor_head {
    hrana_str baton;
    hrana_str base_url;
    hrana_arena *arena;
} hrana_cursor_head;

/* Decode a pipeline response body (client direction). */
int hrana_decode_pipeline_resp(const char *body, size_t len, const hrana_limits *lim,
                               hrana_pipeline_resp *out, hrana_status *st);
void hrana_pipeline_resp_free(hrana_pipeline_resp *r);

/* Decode the first line of a cursor response, then each following line. */
int hrana_decode_cursor_head(const char *line, size_t len, const hrana_limits *lim,
                             hrana_cursor_head *out, hrana_status *st);
void hrana_cursor_head_free(hrana_cursor_head *h);
int hrana_decode_cursor_entry(const char *line, size_t len, const hrana_limits *lim,
                              hrana_cursor_entry *out, hrana_status *st);
void hrana_cursor_entry_free(hrana_cursor_entry *e);

/* Decode an Error object ({"message":..,"code":..}), e.g. the body of an
 * HTTP 4xx answer. */
int hrana_decode_error(const char *body, size_t len, const hrana_limits *lim,
                       hrana_arena *arena, hrana_error *out, hrana_status *st);

/* ------------------------------------------------------------------------- */
/* Output buffer                                                             */
/* ------------------------------------------------------------------------- */

typedef struct hrana_buf {
    char *p;
    size_t len;
    size_t cap;
    size_t max;   /* hard maximum of len */
    int overflow; /* a write was refused (too large or out of memory) */
    int nomem;    /* ... because an allocation failed */
} hrana_buf;

void hrana_buf_init(hrana_buf *b, size_t max);
void hrana_buf_free(hrana_buf *b);
static inline int hrana_buf_ok(const hrana_buf *b) { return !b->overflow; }
/* Makes room for n more bytes; 0 or -1 (overflow set). */
int hrana_buf_reserve(hrana_buf *b, size_t n);
int hrana_buf_put(hrana_buf *b, const void *p, size_t n);
int hrana_buf_puts(hrana_buf *b, const char *s);
int hrana_buf_putc(hrana_buf *b, char c);
/* Truncates to `len` (a mark taken earlier) and clears the overflow flag. */
void hrana_buf_truncate(hrana_buf *b, size_t len);
/* Hands the bytes to the caller (free() them); the buffer becomes empty. */
char *hrana_buf_detach(hrana_buf *b, size_t *len);

/* ------------------------------------------------------------------------- */
/* JSON writing pieces (used by the server's streaming encoder)              */
/* ------------------------------------------------------------------------- */

/* UTF-8 (utf8.c). Strings of both encodings must be valid UTF-8; text from
 * a database need not be: the writers put U+FFFD for each invalid byte.
 * hrana_utf8_seq: the length of the valid sequence at s[0..n) (n >= 1), or
 * 0 when invalid (overlongs, surrogates and code points above U+10FFFF are
 * invalid). hrana_utf8_valid: 1 when all of p[0..n) is valid.
 * hrana_utf8_fixed_len: the length of p[0..n) once repaired;
 * hrana_utf8_put_fixed appends it repaired. */
size_t hrana_utf8_seq(const unsigned char *s, size_t n);
int hrana_utf8_valid(const void *p, size_t n);
size_t hrana_utf8_fixed_len(const void *p, size_t n);
void hrana_utf8_put_fixed(hrana_buf *b, const void *p, size_t n);

/* A JSON string of p[0..n): quotes, escapes (control characters, '"', '\\',
 * NUL as \u0000). Invalid UTF-8 sequences are written as U+FFFD. */
void hrana_put_string(hrana_buf *b, const char *p, size_t n);
/* hrana_put_string, or null when p is NULL. */
void hrana_put_string_or_null(hrana_buf *b, const char *p, size_t n);
void hrana_put_cstr_or_null(hrana_buf *b, const char *s);
void hrana_put_i64(hrana_buf *b, int64_t v);
void hrana_put_u64(hrana_buf *b, uint64_t v);
/* Shortest of %.15g/%.16g/%.17g that reads back as the same double; +Inf
 * and -Inf as 1e999 / -1e999 (JavaScript reads them as +-Infinity); NaN as
 * null. */
void hrana_put_double(hrana_buf *b, double d);
/* Formats d like hrana_put_double into out (at least 32 bytes); returns the
 * length. */
size_t hrana_format_double(char *out, size_t cap, double d);

/* A Value object. Integers as decimal strings, floats as JSON numbers
 * (NaN becomes {"type":"null"}), text as a JSON string, blobs as unpadded
 * standard base64. */
void hrana_encode_value(hrana_buf *b, const lsql_value *v);
/* {"message":..,"code":..}; code NULL writes no code. */
void hrana_encode_error(hrana_buf *b, const char *message, const char *code);
void hrana_encode_error_s(hrana_buf *b, const hrana_error *e);
/* {"name":..,"decltype":..} */
void hrana_encode_col(hrana_buf *b, const char *name, const char *decltype);

/* ------------------------------------------------------------------------- */
/* Encoders of whole structures                                              */
/* ------------------------------------------------------------------------- */

void hrana_encode_stmt_result(hrana_buf *b, const hrana_stmt_result *r);
void hrana_encode_batch_result(hrana_buf *b, const hrana_batch_result *r);
void hrana_encode_describe_result(hrana_buf *b, const hrana_describe_result *r);
void hrana_encode_stream_result(hrana_buf *b, const hrana_stream_result *r);
void hrana_encode_pipeline_resp(hrana_buf *b, const hrana_pipeline_resp *r);
/* One cursor line each, with its trailing newline. */
void hrana_encode_cursor_head(hrana_buf *b, const hrana_cursor_head *h);
void hrana_encode_cursor_entry(hrana_buf *b, const hrana_cursor_entry *e);

/* Client direction. */
void hrana_encode_stmt(hrana_buf *b, const hrana_stmt *s);
void hrana_encode_cond(hrana_buf *b, const hrana_cond *c);
void hrana_encode_batch(hrana_buf *b, const hrana_batch *batch);
void hrana_encode_request(hrana_buf *b, const hrana_request *r);
void hrana_encode_pipeline_req(hrana_buf *b, const hrana_pipeline_req *r);
void hrana_encode_cursor_req(hrana_buf *b, const hrana_cursor_req *r);

/* ------------------------------------------------------------------------- */
/* Value helpers                                                             */
/* ------------------------------------------------------------------------- */

/* Parses a decimal int64 ("-9223372036854775808".."9223372036854775807",
 * optional sign, no spaces). 0 on success, -1 when malformed or out of
 * range. */
int hrana_parse_i64(const char *s, size_t n, int64_t *out);

/* Base64 (standard alphabet) with or without '=' padding into dst (capacity
 * cap). Returns the decoded length, or -1 when malformed or too long. */
long long hrana_base64_decode(const char *src, size_t n, unsigned char *dst, size_t cap);
/* Unpadded standard base64 of p[0..n) appended to b. */
void hrana_put_base64(hrana_buf *b, const void *p, size_t n);

#ifdef __cplusplus
}
#endif

#endif
