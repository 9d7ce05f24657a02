/* out.h -- the encodings of lsqld's Hrana endpoints: JSON (/v2, /v3) and
 * protobuf (/v3-protobuf). The executors (exec.c, exec_stmt.c) decide what
 * to answer and say it through an lsqld_out while statements step;
 * out_json.c and out_pb.c write it into the response buffer. Neither
 * prints; both leave overflow handling to the buffer (hrana.h).
 *
 * Pieces that may be dropped are bracketed by the caller with marks (a
 * buffer length to truncate back to); pieces with a begin and an end keep
 * what they need in an lsqld_out_mark (the open protobuf messages). */
#ifndef LSQLD_OUT_H
#define LSQLD_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "hrana.h"

/* An open piece of output: where it starts and its open nested messages. */
typedef struct lsqld_out_mark {
    size_t at;   /* b->len before the piece */
    size_t m[4]; /* protobuf messages opened, outermost first */
    int n;
    int overflow; /* the buffer had overflowed before the piece */
} lsqld_out_mark;

/* The end of a statement (StmtResult tail, cursor step_end). */
typedef struct lsqld_out_end {
    int64_t affected;
    int has_rowid; /* last_insert_rowid is set (an INSERT that inserted) */
    int64_t rowid;
    int64_t duration_ms; /* StmtResult only */
} lsqld_out_end;

typedef struct lsqld_out {
    const char *name;                /* "json", "protobuf" */
    const char *content_type;        /* of pipeline answers */
    const char *cursor_content_type; /* of cursor bodies */

    /* ---- requests: the codec's decoders, and the error code of a
     * failed decode (hrana_status code -> code name) */
    int (*decode_pipeline)(const char *body, size_t len, const hrana_limits *lim,
                           hrana_pipeline_req *out, hrana_status *st);
    int (*decode_cursor)(const char *body, size_t len, const hrana_limits *lim,
                         hrana_cursor_req *out, hrana_status *st);
    const char *(*status_name)(int code);

    /* ---- pipeline body: pipeline_begin, then per request result_next and
     * one StreamResult, then pipeline_end with the baton (NULL: none). */
    void (*pipeline_begin)(hrana_buf *b, size_t *slot);
    void (*result_next)(hrana_buf *b, size_t i);
    void (*pipeline_end)(hrana_buf *b, size_t slot, const char *baton, size_t n);
    /* A successful StreamResult answering a request of `type` (a known
     * HRANA_REQ_*): written up to where its result goes (a StmtResult,
     * BatchResult or DescribeResult for execute, batch and describe; the
     * is_autocommit flag for get_autocommit; nothing else), then closed. */
    void (*ok_begin)(hrana_buf *b, int type, lsqld_out_mark *m);
    void (*is_autocommit)(hrana_buf *b, int ac);
    void (*ok_end)(hrana_buf *b, lsqld_out_mark *m);
    /* A failed StreamResult. */
    void (*error_result)(hrana_buf *b, const char *message, const char *code);

    /* ---- a StmtResult: head (after the first step), rows, tail. A row
     * is -1 when a column cannot be read (the caller drops it). */
    void (*result_head)(hrana_buf *b, lsql_stmt *st, int ncols);
    int (*result_row)(hrana_buf *b, lsql_stmt *st, int ncols, size_t i);
    void (*result_tail)(hrana_buf *b, const lsqld_out_end *e);

    /* ---- a BatchResult: batch_begin; per step step_begin, then step_ok
     * (its StmtResult was written) or step_none (skipped or failed: what
     * step_begin wrote is dropped); then errors_begin, step_error for every
     * step (message NULL: none), batch_end. */
    void (*batch_begin)(hrana_buf *b);
    void (*step_begin)(hrana_buf *b, uint32_t i, lsqld_out_mark *m);
    void (*step_ok)(hrana_buf *b, lsqld_out_mark *m);
    void (*step_none)(hrana_buf *b, lsqld_out_mark *m);
    void (*errors_begin)(hrana_buf *b);
    void (*step_error)(hrana_buf *b, uint32_t i, const char *message, const char *code);
    void (*batch_end)(hrana_buf *b);

    /* ---- a DescribeResult of a prepared statement */
    void (*describe)(hrana_buf *b, lsql_stmt *st, int is_explain, int is_readonly);

    /* ---- cursor body: the head, then entries; each is a whole item (a
     * line, or a length-delimited message). A row is -1 as above. */
    void (*cursor_head)(hrana_buf *b, const char *baton, size_t n);
    void (*cursor_step_begin)(hrana_buf *b, uint32_t step, lsql_stmt *st, int ncols);
    int (*cursor_row)(hrana_buf *b, lsql_stmt *st, int ncols);
    void (*cursor_step_end)(hrana_buf *b, const lsqld_out_end *e);
    void (*cursor_step_error)(hrana_buf *b, uint32_t step, const char *message,
                              const char *code);
} lsqld_out;

extern const lsqld_out lsqld_out_json; /* out_json.c */
extern const lsqld_out lsqld_out_pb;   /* out_pb.c */

#endif
