/* remote_int.h -- the REMOTE backend (a libSQL server over Hrana/HTTP):
 * private structures shared by its files.
 *
 *   remote.c   database and connection ops, metadata, the backend table
 *   rneg.c     the server check at open (version, encoding, credentials)
 *   rpipe.c    one pipeline exchange: baton, stream generations, stored-SQL
 *              bookkeeping, autocommit tracking, retries, error mapping
 *   rstmt.c    statements: describe at prepare, binds, execute, columns
 *   rcursor.c  statements streamed through POST /v3/cursor
 *   rbatch.c   lsql_batch_run / lsql_script_run as one Hrana batch
 *   rsql.c     SQL text helpers (leading keyword -> kind, statement split)
 *   rreq.c     the requests of one exchange under construction (hrana_request
 *              structures, the same for both encodings)
 *   renc.c     what depends on the encoding (Hrana 3 protobuf or JSON):
 *              endpoints, request bodies, decoding answers, cursor items
 *   http.c     the libcurl transport;  rerr.c  error mapping and retries
 *
 * A connection owns one server stream at a time (its baton). Outside a
 * transaction a lost or expired stream is replaced silently (stored SQL is
 * stored again on the new stream: each stream has a generation number);
 * inside one the loss is LSQL_TXN_LOST until the application rolls back. */
#ifndef LSQL_REMOTE_INT_H
#define LSQL_REMOTE_INT_H

#include "../core/internal.h"
#include "../core/txn_int.h"
#include "http.h"
#include "rerr.h"

#include <time.h>

/* Longest SQL text stored on the server with store_sql (longer texts are
 * sent inline each time); the TS client uses the same bound. */
#define RSQL_STORE_MAX 5000
/* A stream idle for longer is not reused outside a transaction (servers
 * expire idle streams: sqld and lsqld after 10 s). */
#define RSTREAM_IDLE_MS 5000

typedef struct rdb {
    int version;          /* 2 or 3 */
    int encoding;         /* LSQL_HRANA_JSON or LSQL_HRANA_PROTOBUF (0 while negotiating) */
    char *base;           /* scheme://host[:port][/prefix], no trailing '/' */
    char *token;          /* NULL: none */
    char *ca_file, *ca_path;
    uint32_t connect_timeout_ms, request_timeout_ms;
    size_t max_response;
    bool verify_tls, http2;
    int retry_max;
    uint32_t retry_base_ms, retry_max_ms;
    hrana_limits limits; /* decoding responses */
} rdb;

typedef struct rstmt rstmt;

/* SQL texts of batch steps kept stored on the stream (rbatch.c): a text
 * repeated within a batch is stored (store_sql) with that batch, which still
 * sends it inline; later batches send its sql_id while the store holds on
 * the same stream generation. Evicted entries are closed (close_sql). */
#define RBATCH_SQLS 8
typedef struct rbsql {
    char *sql;        /* NULL: free slot */
    size_t len;
    uint32_t hash;
    bool stored;      /* stored as `id` on generation `gen` */
    bool failed;      /* the store failed on generation `gen`: not again there */
    int32_t id;
    uint32_t gen;
    uint64_t used;    /* the last batch that used it (rconn.bsql_tick) */
} rbsql;

/* A bump allocator whose blocks are kept between requests (rreq.c). */
typedef struct rsblock rsblock;
typedef struct rscratch {
    rsblock *head; /* the first block (kept by rreq_reset) */
} rscratch;

typedef struct rconn {
    lsql_conn *c;
    rdb *db;
    rhttp *http;
    char *baton;      /* NULL: no stream yet (the next request opens one) */
    uint32_t gen;     /* stream generation: bumped whenever the stream changes */
    int32_t next_sql_id;
    int32_t *close_ids; /* stored SQL of finalized statements, closed at the next request */
    size_t nclose, capclose;
    bool in_txn;      /* the server's connection is not in autocommit mode */
    bool lost;        /* the stream of an open transaction was lost */
    bool closing;     /* the request closes the stream: no get_autocommit after it */
    int v2_sp_depth;  /* Hrana 2: savepoints of a transaction a SAVEPOINT began */
    bool ac_unknown;  /* in_txn may be wrong (Hrana 3): the next pipeline asks */
    int64_t last_rowid;
    int64_t changes, total_changes;
    struct timespec last_use;
    lsql__retry retry;
    hrana_request *reqv; /* requests of the exchange under construction (rreq.c) */
    size_t nreq, capreq;
    rscratch scratch;    /* their statements, steps, conditions and arguments */
    hrana_buf req;    /* request body under construction (reused) */
    hrana_buf resp;   /* response body (reused) */
    rstmt *streaming; /* statement whose cursor answer is being read on http */
    rbsql bsql[RBATCH_SQLS]; /* batch SQL texts stored on the stream */
    uint64_t bsql_tick;
} rconn;

enum { RS_IDLE = 0, RS_ROWS, RS_STREAM, RS_DONE, RS_FAILED };

/* Queued cursor entries (read ahead when the connection needed its HTTP
 * handle while a cursor was still streaming). */
typedef struct rentry {
    struct rentry *next;
    hrana_cursor_entry e;
} rentry;

struct rstmt {
    lsql_stmt *st;
    rconn *rc;
    char *sql;        /* the first statement's text, NUL-terminated */
    size_t sqllen;
    int32_t sql_id;   /* valid when stored && sql_gen == rc->gen */
    uint32_t sql_gen;
    bool stored;
    bool try_store;   /* short enough to be stored */
    bool readonly;
    int is_explain;
    bool want_stream; /* run through /v3/cursor (lsql cursors) */
    int kind;
    /* from describe (and execution results) */
    int nparams;
    char **params;    /* nparams names (NULL: nameless) */
    int ncols;
    char **cols;      /* ncols names then ncols decltypes (NULL allowed) */
    lsql_value *args; /* nparams bound values (NULL type when unbound); bytes owned */
    /* execution */
    int state;        /* RS_* */
    int err_code;     /* RS_FAILED: the code to return again */
    hrana_pipeline_resp resp; /* RS_ROWS: the answer holding the rows */
    const hrana_stmt_result *res;
    size_t row;       /* rows handed out so far (current row = row - 1) */
    const lsql_value *cur; /* current row's values */
    hrana_arena *scratch;  /* conversions of the current result (text of numbers) */
    /* RS_STREAM */
    hrana_cursor_entry ent; /* the entry holding the current row */
    rentry *q_head, *q_tail;
    bool stream_ended;
    lsql_error drain_err; /* the queue was cut (ext_code 0: not) */
};

static inline rconn *RC(const lsql_conn *c) { return (rconn *)c->bc; }
static inline rstmt *RST(const lsql_stmt *st) { return (rstmt *)st->bs; }
static inline rdb *RDB(const lsql_db *db) { return (rdb *)db->be_db; }

/* Appends a string literal (no strlen). */
#define RPUT(b, lit) hrana_buf_put((b), "" lit, sizeof(lit) - 1)

/* ---- remote.c, rneg.c --------------------------------------------------------- */

/* The transport options of the database. */
void remote_http_cfg(const rdb *d, rhttp_cfg *h);
/* Chooses d->version and d->encoding among those the options allow, and
 * checks the credentials (rneg.c). Errors: the failing answer's, or
 * LSQL_HRANA_VERSION when the server speaks none of them. */
int rneg_check_server(rdb *d, lsql_error *e);

/* ---- rreq.c ----------------------------------------------------------------- */

/* Starts the request list of a new exchange (the previous one's structures
 * are released). */
void rreq_reset(rconn *rc);
/* Appends a zeroed request of `type`; NULL when out of memory (the error in
 * rc->c->last). The pointer is valid until the next rreq_add. */
hrana_request *rreq_add(rconn *rc, int type);
/* n zeroed bytes (aligned for any structure) living until the next
 * rreq_reset; NULL when out of memory (the error in rc->c->last). */
void *rreq_alloc(rconn *rc, size_t n);
/* Frees the list and its scratch memory. */
void rreq_free(rconn *rc);

/* ---- renc.c ------------------------------------------------------------------ */

enum { RENC_PIPELINE, RENC_CURSOR };
/* The endpoint of `what` for the database's version and encoding. */
const char *renc_path(int version, int encoding, int what);
/* Encodes a pipeline body {baton, requests} (version 2 or 3 JSON, or
 * protobuf) into b (emptied first). 0, or LSQL_TOOBIG / LSQL_NOMEM when it
 * does not fit (b's max) or memory ran out. */
int renc_pipeline(int encoding, hrana_buf *b, const char *baton, const hrana_request *v,
                  size_t n);
/* Encodes a cursor body {baton, batch} into b (emptied first). */
int renc_cursor(int encoding, hrana_buf *b, const char *baton, const hrana_batch *batch);
/* Decodes a pipeline answer of the encoding. */
int renc_decode_pipeline(int encoding, const char *body, size_t len, const hrana_limits *lim,
                         hrana_pipeline_resp *out, hrana_status *st);
/* The next item of a streamed cursor answer on rc->http: a line (JSON) or a
 * length-prefixed message (protobuf); as rhttp_stream_line. */
int renc_cursor_item(rconn *rc, const char **p, size_t *len, lsql_error *e);
/* Decodes the cursor answer's first item / a following one. */
int renc_decode_cursor_head(const rconn *rc, const char *p, size_t len, hrana_cursor_head *out,
                            hrana_status *st);
int renc_decode_cursor_entry(const rconn *rc, const char *p, size_t len,
                             hrana_cursor_entry *out, hrana_status *st);
/* Maps an HTTP answer other than 200 (body in `body`) to an lsql error,
 * reading the body by its content type (rerr.h). */
int renc_http_error(const rhttp *h, long status, const hrana_buf *body, lsql_error *e);
/* Whether the answers of this encoding number batch steps by map keys
 * (protobuf: a step left out was skipped, the step count is not sent). */
static inline bool renc_sparse_steps(int encoding) { return encoding == LSQL_HRANA_PROTOBUF; }

/* ---- rpipe.c ---------------------------------------------------------------- */

/* Appends the caller's requests (rreq_add) for the current stream
 * generation; 0, or -1 with the error in rc->c->last. */
typedef int (*rpipe_build_fn)(rconn *rc, void *ctx);

/* rpipe_run flags:
 *   RPIPE_READONLY  every statement of the request is read-only (a transient
 *                   failure may then be retried)
 *   RPIPE_TXN       the request may begin or end a transaction (statements of
 *                   kind TRANSACTION, SAVEPOINT or OTHER, batches that do) */
#define RPIPE_READONLY 1u
#define RPIPE_TXN 2u
/* True when a statement of this kind may begin or end a transaction. A
 * statement of any other kind leaves the autocommit state as it found it,
 * failed or not, outside a transaction (inside one an error may roll it
 * back: rpipe_run always asks there). */
static inline bool rpipe_kind_txn(int kind)
{
    return kind == LSQL_KIND_TRANSACTION || kind == LSQL_KIND_SAVEPOINT ||
           kind == LSQL_KIND_OTHER;
}
/* Runs one pipeline: the connection's pending close_sql requests, the
 * caller's requests, and, on Hrana 3, get_autocommit when the transaction
 * state may change or is not known (RPIPE_TXN, inside a transaction, or
 * rc->ac_unknown). On LSQL_OK *out holds the decoded answer (free with
 * hrana_pipeline_resp_free) and *first the index of the caller's first
 * result. Errors are in rc->c->last. */
int rpipe_run(rconn *rc, rpipe_build_fn build, void *ctx, unsigned flags,
              hrana_pipeline_resp *out, size_t *first);
/* Whether an HTTP error says the stream (baton) is gone -- expired, closed,
 * unknown or reused -- so that the request did not run and may go out again
 * on a new stream (outside a transaction). */
bool rpipe_stream_gone(int code, const lsql_error *e);
/* Whether a failed request may be sent again (outside a transaction):
 * it cannot have been applied (connection refused, 429, 503), or it is
 * read-only and the failure was transient (reset, timeout, 502, 504). */
bool rpipe_may_retry(int code, long status, bool readonly);
/* Called before a request that needs the HTTP handle: reads what is left
 * of a streaming cursor into its queue. */
int rpipe_take_http(rconn *rc);
/* Fails with LSQL_TXN_LOST (when the transaction's stream is lost). */
int rpipe_lost_error(rconn *rc);
/* Updates the transaction tracking after statement `kind`/`sql` succeeded
 * (v2 servers have no get_autocommit). */
void rpipe_track(rconn *rc, const char *sql, size_t n, int kind);
/* A Hrana statement error into c->last (and the transaction rules). */
int rpipe_stmt_error(rconn *rc, const hrana_error *he);
/* Starts over without a stream (the old one is forgotten). */
void rpipe_drop_stream(rconn *rc);
/* Queues a stored SQL id to be closed with the next request. */
void rpipe_queue_close(rconn *rc, int32_t id);
/* Handles the transport/HTTP failure of a request made outside rpipe_run
 * (cursors): maps, marks the transaction lost when one was open. */
int rpipe_fail_transport(rconn *rc, int code, const lsql_error *e);
/* The same for the failure of a whole request (HTTP `status`, 0 if none):
 * inside a transaction, one that cannot have been applied (refused, 429,
 * 503) keeps the stream and its transaction, and is returned as is. */
int rpipe_fail_request(rconn *rc, int code, long status, const lsql_error *e);

/* ---- rstmt.c ---------------------------------------------------------------- */

/* The Stmt of a statement's execution (sql_id or sql, args -- pointing to
 * the statement's binds --, want_rows). */
void rstmt_hstmt(const rstmt *s, hrana_stmt *out);
/* Frees the current result / stream state (not the binds). */
void rstmt_clear_result(rstmt *s);
/* Records the changes and rowid of a finished statement on the connection. */
void rstmt_note_result(rstmt *s, uint64_t affected, int has_rowid, int64_t rowid);
/* Replaces the statement's columns (names, decltypes). LSQL_OK / LSQL_NOMEM. */
int rstmt_set_cols(rstmt *s, const hrana_col *cols, size_t n);

/* the statement ops of the backend table */
int remote_prepare(lsql_conn *c, const char *sql, size_t n, bool nul_term, unsigned flags,
                   lsql_stmt *st, const char **tail, lsql_error *e);
void remote_finalize(lsql_stmt *st);
int remote_bind(lsql_stmt *st, int idx, const lsql_value *v, int lifetime);
int remote_bind_int64(lsql_stmt *st, int idx, int64_t v);
int remote_bind_double(lsql_stmt *st, int idx, double v);
int remote_bind_text(lsql_stmt *st, int idx, const char *p, size_t n, int lifetime);
int remote_param_count(const lsql_stmt *st);
const char *remote_param_name(const lsql_stmt *st, int idx);
int remote_param_index(const lsql_stmt *st, const char *name);
void remote_clear_bindings(lsql_stmt *st);
int remote_step(lsql_stmt *st);
void remote_reset(lsql_stmt *st);
int remote_column_count(const lsql_stmt *st);
const char *remote_column_name(const lsql_stmt *st, int col);
const char *remote_column_decltype(const lsql_stmt *st, int col);
int64_t remote_column_int64(lsql_stmt *st, int col);
double remote_column_double(lsql_stmt *st, int col);
const void *remote_column_bytes(lsql_stmt *st, int col, size_t *n, bool as_text);
void remote_stmt_info(const lsql_stmt *st, lsql_stmt_info *out);
const char *remote_stmt_sql(const lsql_stmt *st);
void remote_stmt_stream(lsql_stmt *st);

int rstmt_column_type(lsql_stmt *st, int col);

/* ---- rcursor.c ---------------------------------------------------------------- */

int rcursor_step(rstmt *s);
/* Reads the rest of the streamed answer into the statement's queue. */
int rcursor_drain(rstmt *s);
/* Aborts the stream (statement reset while streaming). */
void rcursor_abort(rstmt *s);

/* ---- rbatch.c ----------------------------------------------------------------- */

int remote_batch_run(lsql_conn *c, const lsql__bstep *steps, size_t n, const char *script,
                     unsigned flags, lsql_batch_result *r, lsql_error *err);
/* Frees the connection's batch SQL texts. */
void rbatch_free_sqls(rconn *rc);

/* ---- rsql.c ------------------------------------------------------------------ */

/* LSQL_KIND_* from the leading keyword(s) of a statement. */
int rsql_kind(const char *sql, size_t n);
/* 0, or 1 for EXPLAIN, 2 for EXPLAIN QUERY PLAN (sqlite3_stmt_isexplain). */
int rsql_explain(const char *sql, size_t n);
/* True when the statement is a ROLLBACK of the whole transaction (not TO). */
bool rsql_is_rollback(const char *sql, size_t n);
/* True when it begins a transaction (BEGIN) / ends one (COMMIT, END,
 * ROLLBACK without TO). */
bool rsql_is_begin(const char *sql, size_t n);
bool rsql_is_end(const char *sql, size_t n);
/* Length of the first complete statement of buf[0..n) (up to and including
 * its ';'), or n when there is no complete one. buf[n] must be NUL; buf is
 * modified during the call and restored. */
size_t rsql_first_len(char *buf, size_t n);
/* True when sql[0..n) holds only whitespace, comments and ';'. */
bool rsql_blank(const char *sql, size_t n);

extern const lsql_backend lsql__remote_backend;

#endif
