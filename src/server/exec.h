/* exec.h -- executing Hrana requests on a stream: statements (prepare, bind,
 * step, encode), sequences, describe, batches with conditions, pipelines and
 * cursors. Results are written straight into the response buffer, in the
 * encoding of the endpoint (an lsqld_out: JSON or protobuf). */
#ifndef LSQLD_EXEC_H
#define LSQLD_EXEC_H

#include "out.h"
#include "server_int.h"

/* An error to send to the client. */
typedef struct xerr {
    const char *code; /* static string */
    char message[LSQL_ERRMSG_MAX + 96];
    int busy;         /* SQLite reported SQLITE_BUSY (a retry under the write lock may help) */
} xerr;

typedef struct xctx {
    lsqld_server *srv;
    lsqld_stream *st;
    hrana_buf *b;
    const lsqld_out *out; /* the encoding of the answer */
    size_t max_response; /* results beyond this size are RESPONSE_TOO_LARGE */
    int pin_writer;      /* keep the write lock until the batch ends */
    int last_readonly;   /* the last statement run did not write */
    unsigned long commits; /* statements that committed (autocommit writes, COMMIT...) */
} xctx;

#define OUT_RESULT 0 /* a StmtResult */
#define OUT_CURSOR 1 /* step_begin, row..., step_end cursor entries */
#define OUT_NONE 2   /* nothing (sequence) */

/* A statement being run, resumable: a cursor stops after a row to send
 * what it has and goes on when the client has taken it. */
typedef struct lsqld_run {
    lsql_stmt *st;      /* NULL once ended */
    int bk, mode, want_rows;
    uint32_t step;
    int readonly, kind, writes, plain_vacuum;
    int64_t before;     /* total_changes before it */
    int ac_before;
    int64_t t0;         /* start (query_duration_ms) */
    int64_t used_ms;    /* time spent stepping (the statement time limit) */
    size_t mark;        /* where its output starts in the buffer (not for cursors) */
    int ncols;
    int started;        /* the columns are written (after the first step) */
    int big;            /* RESPONSE_TOO_LARGE: stepping on without output */
    size_t nrows, stepped;
    unsigned backoff_ms, waited_ms;
} lsqld_run;

/* exec_stmt.c */
/* Runs one statement to its end (its result written in `mode`). */
int lsqld_run_stmt(xctx *x, const hrana_stmt *s, int mode, uint32_t step, xerr *e);
/* The same in pieces: start (resolve, prepare, bind, write lock; nothing
 * written yet), then resume until it ends (0, or -1 with *e; the statement
 * is ended either way) or until the buffer holds pause_at bytes after a row
 * (1: resume it later, or abandon it). */
int lsqld_stmt_start(xctx *x, const hrana_stmt *s, int mode, uint32_t step, lsqld_run *r,
                     xerr *e);
int lsqld_stmt_resume(xctx *x, lsqld_run *r, size_t pause_at, xerr *e);
void lsqld_stmt_abandon(xctx *x, lsqld_run *r);
int lsqld_run_sequence(xctx *x, const char *sql, size_t n, xerr *e);
int lsqld_describe(xctx *x, const char *sql, size_t n, xerr *e);
/* Takes the write lock for the stream (wait bounded by writer_timeout_ms). */
int lsqld_take_writer(xctx *x, xerr *e);
/* Resolves sql / sql_id to text (stored SQL of the stream). */
int lsqld_resolve_sql(xctx *x, hrana_str sql, int has_id, int32_t id, const char **p, size_t *n,
                      xerr *e);
int lsqld_xfail(xerr *e, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* errmap.c: an lsql error to a Hrana error (SQLITE_<BASE> names,
 * SQL_INPUT_ERROR for prepare errors with a position, ARGS_INVALID...). */
void lsqld_xerr_from_lsql(xerr *e, const lsql_error *err, int during_prepare);
const char *lsqld_sqlite_code_name(int base);

/* An HTTP answer produced by the executors. */
typedef struct lsqld_reply {
    int status;
    const char *content_type;
    char *body; /* malloc'd */
    size_t len;
    const char *error_code; /* for logs and metrics; NULL on success */
} lsqld_reply;

/* exec.c. `enc`: the encoding of the request body and of the answer
 * (HTTP-level errors are JSON either way). */
void lsqld_exec_pipeline(lsqld_server *s, const lsqld_out *enc, const char *body, size_t len,
                         int access, lsqld_reply *out);
/* A cursor (POST /v3/cursor, /v3-protobuf/cursor) whose body is produced as
 * it is read. */
typedef struct lsqld_cursor lsqld_cursor;
/* Decodes the request and takes its stream (in use until the batch ends):
 * 0 and *out, or -1 with the error answer in *err. */
int lsqld_cursor_open(lsqld_server *s, const lsqld_out *enc, const char *body, size_t len,
                      int access, lsqld_cursor **out, lsqld_reply *err);
/* The next bytes of the body (at most max): > 0, 0 at its end, -1 when it
 * cannot be finished. Runs the batch as far as needed (blocks meanwhile). */
long lsqld_cursor_read(lsqld_cursor *c, char *buf, size_t max);
/* Frees the cursor; one freed before its end (client gone) closes its
 * stream. */
void lsqld_cursor_free(lsqld_cursor *c);
/* {"message":..,"code":..} with the given status. */
void lsqld_reply_error(lsqld_reply *out, int status, const char *code, const char *message);

#endif
