/*
 * hrana_pb.h -- the Hrana 3 protobuf encoding (HTTP: POST /v3-protobuf/pipeline
 * and /v3-protobuf/cursor, content type application/x-protobuf), both
 * directions, over the same C structures as the JSON codec (hrana.h).
 *
 * I/O-free, like the JSON codec. The schema is the "Protobuf schema"
 * appendix of the Hrana 3 specification (packages hrana and hrana.http);
 * the field numbers are the HRANA_PB_* constants below. Text fields are
 * read as bytes (NUL-safe, like the JSON decoder's strings); unknown fields
 * are skipped (the specification's forward compatibility); fields may come
 * in any order and repeated fields may be interleaved.
 *
 * Decoding enforces the same hrana_limits as JSON (max_body for the whole
 * body or cursor item, max_depth for the nesting of messages -- batch
 * conditions nest --, counts and sizes) and reports errors with the same
 * codes (HRANA_E_JSON is used for malformed protobuf: a bad varint, a
 * length past the end, a wrong wire type for a known field) and messages
 * naming the field path ("requests[3].stmt.args[0]: ...").
 *
 * Encoding appends to a hrana_buf (see hrana.h for overflow handling).
 * Messages nested in a field are written with hrana_pb_begin/hrana_pb_end:
 * the length is written once the content is known (the content is moved
 * when its length needs more than one varint byte), so output is canonical.
 *
 * Threads: no global state.
 */
#ifndef LSQL_HRANA_PB_H
#define LSQL_HRANA_PB_H

#include "hrana.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Wire types */
#define HRANA_PB_VARINT 0
#define HRANA_PB_I64 1
#define HRANA_PB_LEN 2
#define HRANA_PB_I32 5

/* ---- field numbers (Hrana 3 protobuf schema) ------------------------------ */
/* hrana.http.PipelineReqBody */
#define HRANA_PB_PIPELINE_REQ_BATON 1    /* optional string */
#define HRANA_PB_PIPELINE_REQ_REQUESTS 2 /* repeated StreamRequest */
/* hrana.http.PipelineRespBody */
#define HRANA_PB_PIPELINE_RESP_BATON 1    /* optional string */
#define HRANA_PB_PIPELINE_RESP_BASE_URL 2 /* optional string */
#define HRANA_PB_PIPELINE_RESP_RESULTS 3  /* repeated StreamResult */
/* hrana.http.StreamResult: oneof */
#define HRANA_PB_STREAM_RESULT_OK 1    /* StreamResponse */
#define HRANA_PB_STREAM_RESULT_ERROR 2 /* Error */
/* hrana.http.CursorReqBody */
#define HRANA_PB_CURSOR_REQ_BATON 1 /* optional string */
#define HRANA_PB_CURSOR_REQ_BATCH 2 /* Batch */
/* hrana.http.CursorRespBody */
#define HRANA_PB_CURSOR_RESP_BATON 1
#define HRANA_PB_CURSOR_RESP_BASE_URL 2
/* hrana.http.StreamRequest / StreamResponse: oneof, the field number is
 * the request kind. Equal to HRANA_REQ_* mapped by hrana_pb_req_field(). */
#define HRANA_PB_REQ_CLOSE 1          /* {} */
#define HRANA_PB_REQ_EXECUTE 2        /* req: stmt=1 Stmt; resp: result=1 StmtResult */
#define HRANA_PB_REQ_BATCH 3          /* req: batch=1 Batch; resp: result=1 BatchResult */
#define HRANA_PB_REQ_SEQUENCE 4       /* req: sql=1 optional string, sql_id=2 optional int32 */
#define HRANA_PB_REQ_DESCRIBE 5       /* req: as sequence; resp: result=1 DescribeResult */
#define HRANA_PB_REQ_STORE_SQL 6      /* req: sql_id=1 int32, sql=2 string */
#define HRANA_PB_REQ_CLOSE_SQL 7      /* req: sql_id=1 int32 */
#define HRANA_PB_REQ_GET_AUTOCOMMIT 8 /* resp: is_autocommit=1 bool */
/* the single field of Execute/Batch/Describe responses and of Execute and
 * Batch requests */
#define HRANA_PB_INNER 1
#define HRANA_PB_SQL_REQ_SQL 1    /* Sequence/Describe requests */
#define HRANA_PB_SQL_REQ_SQL_ID 2
#define HRANA_PB_STORE_SQL_ID 1   /* StoreSql request */
#define HRANA_PB_STORE_SQL_SQL 2
#define HRANA_PB_CLOSE_SQL_ID 1   /* CloseSql request */
#define HRANA_PB_AUTOCOMMIT 1     /* GetAutocommit response */
/* hrana.Error */
#define HRANA_PB_ERROR_MESSAGE 1 /* string */
#define HRANA_PB_ERROR_CODE 2    /* optional string */
/* hrana.Stmt */
#define HRANA_PB_STMT_SQL 1        /* optional string */
#define HRANA_PB_STMT_SQL_ID 2     /* optional int32 */
#define HRANA_PB_STMT_ARGS 3       /* repeated Value */
#define HRANA_PB_STMT_NAMED_ARGS 4 /* repeated NamedArg */
#define HRANA_PB_STMT_WANT_ROWS 5  /* optional bool */
/* hrana.NamedArg */
#define HRANA_PB_NAMED_ARG_NAME 1  /* string */
#define HRANA_PB_NAMED_ARG_VALUE 2 /* Value */
/* hrana.StmtResult */
#define HRANA_PB_RESULT_COLS 1              /* repeated Col */
#define HRANA_PB_RESULT_ROWS 2              /* repeated Row */
#define HRANA_PB_RESULT_AFFECTED 3          /* uint64 */
#define HRANA_PB_RESULT_LAST_INSERT_ROWID 4 /* optional sint64 */
/* not in the specification's schema but in sqld's (libsql-server
 * src/hrana/proto.rs, which wins): read when present, written by lsqld like
 * its JSON fields (rows_read, rows_written, query_duration_ms). Field 5 is
 * sqld's optional uint64 replication_index (skipped when read, never
 * written): writing rows_read there would be misread by libsql clients. */
#define HRANA_PB_RESULT_REPLICATION_INDEX 5 /* optional uint64, ignored */
#define HRANA_PB_RESULT_ROWS_READ 6         /* uint64 */
#define HRANA_PB_RESULT_ROWS_WRITTEN 7      /* uint64 */
#define HRANA_PB_RESULT_DURATION_MS 8       /* double */
/* hrana.Col, hrana.DescribeCol */
#define HRANA_PB_COL_NAME 1     /* optional string (DescribeCol: string) */
#define HRANA_PB_COL_DECLTYPE 2 /* optional string */
/* hrana.Row */
#define HRANA_PB_ROW_VALUES 1 /* repeated Value */
/* hrana.Batch */
#define HRANA_PB_BATCH_STEPS 1 /* repeated BatchStep */
/* hrana.BatchStep */
#define HRANA_PB_STEP_CONDITION 1 /* optional BatchCond */
#define HRANA_PB_STEP_STMT 2      /* Stmt */
/* hrana.BatchCond: oneof */
#define HRANA_PB_COND_STEP_OK 1       /* uint32 */
#define HRANA_PB_COND_STEP_ERROR 2    /* uint32 */
#define HRANA_PB_COND_NOT 3           /* BatchCond */
#define HRANA_PB_COND_AND 4           /* CondList */
#define HRANA_PB_COND_OR 5            /* CondList */
#define HRANA_PB_COND_IS_AUTOCOMMIT 6 /* IsAutocommit {} */
#define HRANA_PB_CONDLIST_CONDS 1     /* repeated BatchCond */
/* hrana.BatchResult: two maps, written as repeated entries {key=1, value=2} */
#define HRANA_PB_BATCH_STEP_RESULTS 1 /* map<uint32, StmtResult> */
#define HRANA_PB_BATCH_STEP_ERRORS 2  /* map<uint32, Error> */
#define HRANA_PB_MAP_KEY 1
#define HRANA_PB_MAP_VALUE 2
/* hrana.CursorEntry: oneof */
#define HRANA_PB_ENTRY_STEP_BEGIN 1 /* StepBeginEntry {step=1 uint32, cols=2 repeated Col} */
#define HRANA_PB_ENTRY_STEP_END 2   /* StepEndEntry {affected_row_count=1 uint64,
                                        last_insert_rowid=2 optional sint64} */
#define HRANA_PB_ENTRY_STEP_ERROR 3 /* StepErrorEntry {step=1 uint32, error=2 Error} */
#define HRANA_PB_ENTRY_ROW 4        /* Row */
#define HRANA_PB_ENTRY_ERROR 5      /* Error */
/* fields of StepBeginEntry, StepEndEntry, StepErrorEntry */
#define HRANA_PB_STEP_BEGIN_STEP 1
#define HRANA_PB_STEP_BEGIN_COLS 2
#define HRANA_PB_STEP_END_AFFECTED 1
#define HRANA_PB_STEP_END_LAST_INSERT_ROWID 2
#define HRANA_PB_STEP_ERROR_STEP 1
#define HRANA_PB_STEP_ERROR_ERROR 2
/* hrana.DescribeResult */
#define HRANA_PB_DESCRIBE_PARAMS 1      /* repeated DescribeParam {name=1 optional string} */
#define HRANA_PB_DESCRIBE_COLS 2        /* repeated DescribeCol */
#define HRANA_PB_DESCRIBE_IS_EXPLAIN 3  /* bool */
#define HRANA_PB_DESCRIBE_IS_READONLY 4 /* bool */
#define HRANA_PB_DESCRIBE_PARAM_NAME 1  /* DescribeParam.name */
/* hrana.Value: oneof */
#define HRANA_PB_VALUE_NULL 1    /* Null {} */
#define HRANA_PB_VALUE_INTEGER 2 /* sint64 */
#define HRANA_PB_VALUE_FLOAT 3   /* double */
#define HRANA_PB_VALUE_TEXT 4    /* string */
#define HRANA_PB_VALUE_BLOB 5    /* bytes */

/* The StreamRequest/StreamResponse field of a HRANA_REQ_* kind (0 for an
 * unknown kind), and back (0 for an unknown field). */
unsigned hrana_pb_req_field(int req_type);
int hrana_pb_req_type(unsigned field);

/* ---- decoding --------------------------------------------------------------
 * Same contracts as the JSON decoders of hrana.h (output in an arena owned by
 * the result, freed with the same hrana_*_free functions; on failure the
 * output is empty and *st says why).
 *
 * Protobuf rules that differ from JSON (the real sqld and clients win over
 * the specification where they disagree):
 *  - absent proto3 fields take their defaults: an empty body is an empty
 *    pipeline; store_sql/close_sql without sql_id mean 0 (and sql ""); a
 *    missing Error.message is ""; bools default to false; a Stmt without
 *    want_rows wants rows. Messages the JSON decoder requires stay required
 *    (Execute's stmt, Batch's batch, a step's stmt, a named argument's
 *    value, a cursor body's batch, the result of execute/batch/describe
 *    responses, a step_error's error).
 *  - Error.code "" is read as absent (sqld always writes a code).
 *  - a oneof (request/response kind, Value, BatchCond, StreamResult,
 *    CursorEntry) takes its last field; a singular field repeated: the last
 *    one (a repeated sub-message is not merged). A oneof without a known
 *    field: HRANA_E_INVALID for Value and BatchCond (like a missing JSON
 *    "type"), HRANA_E_UNKNOWN_TYPE for requests, responses, results and
 *    cursor entries (sqld ends a cursor with an empty or replication_index
 *    entry: skip those).
 *  - int32/uint32 fields keep the low 32 bits of the varint.
 *  - BatchResult maps: keys must be below max_steps; nsteps is one past the
 *    largest key (0 when none), absent steps are NULL; an entry without a
 *    value is the default (empty) StmtResult or Error; a repeated key: the
 *    last entry.
 *  - max_depth counts nested messages (the body is level 1); max_nodes
 *    counts decoded messages (each Value is one). Nothing recurses past
 *    max_depth: the reader checks the level before it descends. */
int hrana_pb_decode_pipeline_req(const void *body, size_t len, const hrana_limits *lim,
                                 hrana_pipeline_req *out, hrana_status *st);
int hrana_pb_decode_cursor_req(const void *body, size_t len, const hrana_limits *lim,
                               hrana_cursor_req *out, hrana_status *st);
int hrana_pb_decode_pipeline_resp(const void *body, size_t len, const hrana_limits *lim,
                                  hrana_pipeline_resp *out, hrana_status *st);

/* A /v3-protobuf/cursor response body is a sequence of items, each a varint
 * length then that many bytes: a CursorRespBody, then CursorEntry items.
 * hrana_pb_frame looks at the start of p[0..n): 1 when a whole item is
 * there (*hdr = bytes of its length prefix, *len = its length), 0 when more
 * bytes are needed, -1 when the prefix is malformed or the item is longer
 * than max (st says which). When it returns 0 with a whole prefix, *hdr and
 * *len are set too (the item is incomplete); st may be NULL. */
int hrana_pb_frame(const void *p, size_t n, size_t max, size_t *hdr, size_t *len,
                   hrana_status *st);
/* Decode one item (without its length prefix). */
int hrana_pb_decode_cursor_head(const void *msg, size_t len, const hrana_limits *lim,
                                hrana_cursor_head *out, hrana_status *st);
int hrana_pb_decode_cursor_entry(const void *msg, size_t len, const hrana_limits *lim,
                                 hrana_cursor_entry *out, hrana_status *st);

/* Decode an Error message, e.g. the body of an HTTP 4xx/5xx answer that sqld
 * sends on its protobuf endpoints (content type application/x-protobuf):
 * like hrana_decode_error, the strings are copied into `arena`. */
int hrana_pb_decode_error(const void *body, size_t len, const hrana_limits *lim,
                          hrana_arena *arena, hrana_error *out, hrana_status *st);

/* ---- encoding of whole structures --------------------------------------- */
/* Client direction */
void hrana_pb_encode_pipeline_req(hrana_buf *b, const hrana_pipeline_req *r);
void hrana_pb_encode_cursor_req(hrana_buf *b, const hrana_cursor_req *r);
/* Server direction (lsqld streams its answers with the pieces below; these
 * are for tests, fuzzers and fake servers) */
void hrana_pb_encode_pipeline_resp(hrana_buf *b, const hrana_pipeline_resp *r);
/* One cursor item each, with its length prefix. */
void hrana_pb_encode_cursor_head(hrana_buf *b, const hrana_cursor_head *h);
void hrana_pb_encode_cursor_entry(hrana_buf *b, const hrana_cursor_entry *e);

/* ---- wire pieces (streaming writers) -------------------------------------- */
void hrana_pb_put_varint(hrana_buf *b, uint64_t v);
void hrana_pb_put_tag(hrana_buf *b, unsigned field, unsigned wire_type);
void hrana_pb_put_uint(hrana_buf *b, unsigned field, uint64_t v);  /* varint field */
void hrana_pb_put_sint(hrana_buf *b, unsigned field, int64_t v);   /* zigzag varint field */
void hrana_pb_put_int32(hrana_buf *b, unsigned field, int32_t v);  /* int32 (sign-extended) */
void hrana_pb_put_bool(hrana_buf *b, unsigned field, int v);
void hrana_pb_put_double(hrana_buf *b, unsigned field, double d); /* fixed64 field */
void hrana_pb_put_bytes(hrana_buf *b, unsigned field, const void *p, size_t n);
/* A string field: p[0..n) with each invalid UTF-8 byte written as U+FFFD
 * (protobuf strings must be valid UTF-8; strict decoders refuse the whole
 * message otherwise), as the JSON writer does. hrana_pb_put_value,
 * put_str, put_cstr, put_col and put_error write their text this way;
 * hrana_pb_put_bytes writes bytes as they are (blobs). */
void hrana_pb_put_text(hrana_buf *b, unsigned field, const void *p, size_t n);
/* hrana_pb_put_text of a NUL-terminated string; nothing when s is NULL. */
void hrana_pb_put_cstr(hrana_buf *b, unsigned field, const char *s);
/* Starts a message in `field` (tag + a one-byte length placeholder); returns
 * the mark to give hrana_pb_end, which writes the real length. */
size_t hrana_pb_begin(hrana_buf *b, unsigned field);
void hrana_pb_end(hrana_buf *b, size_t mark);
/* A length-delimited top-level item (cursor bodies): hrana_pb_item_begin
 * reserves the length prefix, hrana_pb_item_end writes it. */
size_t hrana_pb_item_begin(hrana_buf *b);
void hrana_pb_item_end(hrana_buf *b, size_t mark);
/* A Value message in `field` (NaN floats as Null, like the JSON encoder). */
void hrana_pb_put_value(hrana_buf *b, unsigned field, const lsql_value *v);
/* A Col message in `field` (name/decltype NULL: absent). */
void hrana_pb_put_col(hrana_buf *b, unsigned field, const char *name, const char *decltype);
/* An Error message in `field` (code NULL: absent). */
void hrana_pb_put_error(hrana_buf *b, unsigned field, const char *message, const char *code);
/* A StmtResult message in `field`. */
void hrana_pb_put_stmt_result(hrana_buf *b, unsigned field, const hrana_stmt_result *r);
/* (Additions.) A string field of a hrana_str (nothing when s.p is NULL);
 * an Error message of a hrana_error (code absent when code.p is NULL); n
 * Col messages, each in `field`; a Row message {values} of n values. */
void hrana_pb_put_str(hrana_buf *b, unsigned field, hrana_str s);
void hrana_pb_put_error_s(hrana_buf *b, unsigned field, const hrana_error *e);
void hrana_pb_put_cols(hrana_buf *b, unsigned field, const hrana_col *cols, size_t n);
void hrana_pb_put_row(hrana_buf *b, unsigned field, const lsql_value *v, size_t n);

#ifdef __cplusplus
}
#endif

#endif
