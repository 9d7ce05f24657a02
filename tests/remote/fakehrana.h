/* fakehrana.h -- a small Hrana responder for fakesrv.h handlers, built on
 * lsql's codec, that speaks both encodings: requests are decoded with
 * hrana_decode_* (JSON) or hrana_pb_decode_* (protobuf), run against a
 * fake database, and the answer is built as codec structures -- which a
 * test may tamper with before they are encoded -- then written with
 * hrana_encode_* or hrana_pb_encode_*. (The responders of
 * test_remote_faults.c and test_remote_body.c speak JSON with jansson and
 * check JSON bytes; this one serves the protobuf tests.)
 *
 * The fake database: store_sql / close_sql keep texts by id; describe says
 * one nameless parameter per '?', a column "x" for a SELECT (read-only);
 * execute runs a SELECT as one row x = 1 (a cursor: fh->cursor_rows rows x =
 * 1..n), a statement containing "FAIL" as a UNIQUE constraint error,
 * anything else as one changed row with rowid 7; BEGIN / COMMIT / ROLLBACK
 * set the transaction state that get_autocommit and is_autocommit
 * conditions see; batch conditions are evaluated step by step; a pipeline
 * holding "close" ends the stream (baton null).
 *
 *   fh_db db; fh_init(&db);
 *   fh_answer a;
 *   if (fh_pipeline(&db, pb, r->body, r->body_len, &a) == 0) {
 *       ... a.resp may be changed (fh_alloc for new arrays) ...
 *       hrana_buf out; fh_encode(&a, pb, &out); fs_respond_pb(c, 200, out.p, out.len);
 *       hrana_buf_free(&out);
 *   }
 *   fh_answer_free(&a);
 *   fh_cursor(&db, pb, body, len, &out) -> the whole cursor answer (items)
 *   fh_free(&db);
 *
 * Thread safety: fh_pipeline / fh_cursor lock db->mu. */
#ifndef LSQL_TEST_FAKEHRANA_H
#define LSQL_TEST_FAKEHRANA_H

#include "hrana.h"
#include "hrana_pb.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct fh_db {
    pthread_mutex_t mu;
    char *sqls[256];
    bool in_txn;
    int cursor_rows;   /* rows of a SELECT run through a cursor (default 3) */
    size_t cursor_text; /* > 0: cursor rows carry a text of this many 'a' bytes too */
} fh_db;

typedef struct fh_answer {
    hrana_pipeline_req req;
    hrana_pipeline_resp resp; /* resp.arena: the answer's memory (fh_alloc) */
} fh_answer;

static inline void fh_init(fh_db *db)
{
    memset(db, 0, sizeof *db);
    pthread_mutex_init(&db->mu, NULL);
    db->cursor_rows = 3;
}

static inline void fh_free(fh_db *db)
{
    for (int i = 0; i < 256; i++)
        free(db->sqls[i]);
    pthread_mutex_destroy(&db->mu);
}

static inline void *fh_alloc(fh_answer *a, size_t n)
{
    void *p = hrana_arena_alloc(a->resp.arena, n);
    if (!p)
        abort();
    return p;
}

static inline hrana_str fh_str(const char *s)
{
    hrana_str h = {s, s ? strlen(s) : 0};
    return h;
}

static hrana_col fh_col_x = {{"x", 1}, {NULL, 0}};

/* The SQL of a statement (text or stored id); "" when unknown. */
static inline const char *fh__sql(fh_db *db, const hrana_stmt *s)
{
    if (s->sql.p)
        return s->sql.p;
    if (s->has_sql_id && s->sql_id >= 0 && s->sql_id < 256 && db->sqls[s->sql_id])
        return db->sqls[s->sql_id];
    return "";
}

/* Runs one statement: a result (NULL) or an error (*err filled). */
static inline void fh__run(fh_db *db, hrana_arena *ar, const hrana_stmt *st,
                           hrana_stmt_result **res, hrana_error **err)
{
    const char *sql = fh__sql(db, st);
    *res = NULL;
    *err = NULL;
    if (strstr(sql, "FAIL")) {
        hrana_error *e = hrana_arena_alloc(ar, sizeof *e);
        e->message = fh_str("UNIQUE constraint failed: t.a");
        e->code = fh_str("SQLITE_CONSTRAINT_UNIQUE");
        *err = e;
        return;
    }
    if (!strncmp(sql, "BEGIN", 5))
        db->in_txn = true;
    else if (!strncmp(sql, "COMMIT", 6) || !strcmp(sql, "ROLLBACK") || !strncmp(sql, "END", 3))
        db->in_txn = false;
    hrana_stmt_result *r = hrana_arena_alloc(ar, sizeof *r);
    if (strstr(sql, "SELECT")) {
        r->cols = &fh_col_x;
        r->ncols = 1;
        r->rows = hrana_arena_alloc(ar, sizeof *r->rows);
        r->rows[0] = lsql_int(1);
        r->nrows = 1;
    } else {
        r->affected_row_count = 1;
        r->has_last_insert_rowid = 1;
        r->last_insert_rowid = 7;
    }
    *res = r;
}

static inline bool fh__cond(fh_db *db, const hrana_cond *c, const hrana_batch_result *br)
{
    if (!c)
        return true;
    switch (c->type) {
    case HRANA_COND_OK:
        return c->step < br->nsteps && br->step_results[c->step];
    case HRANA_COND_ERROR:
        return c->step < br->nsteps && br->step_errors[c->step];
    case HRANA_COND_NOT:
        return !fh__cond(db, &c->conds[0], br);
    case HRANA_COND_AND:
        for (size_t i = 0; i < c->nconds; i++)
            if (!fh__cond(db, &c->conds[i], br))
                return false;
        return true;
    case HRANA_COND_OR:
        for (size_t i = 0; i < c->nconds; i++)
            if (fh__cond(db, &c->conds[i], br))
                return true;
        return false;
    default:
        return !db->in_txn;
    }
}

/* Decodes a pipeline body and answers it into *a (free with
 * fh_answer_free, also after a failure). 0, or -1 when the body does not
 * decode. */
static inline int fh_pipeline(fh_db *db, bool pb, const char *body, size_t len, fh_answer *a)
{
    memset(a, 0, sizeof *a);
    hrana_limits lim;
    hrana_limits_default(&lim);
    hrana_status st;
    int rc = pb ? hrana_pb_decode_pipeline_req(body, len, &lim, &a->req, &st)
                : hrana_decode_pipeline_req(body, len, &lim, &a->req, &st);
    if (rc)
        return -1;
    hrana_arena *ar = a->resp.arena = hrana_arena_new();
    pthread_mutex_lock(&db->mu);
    size_t n = a->req.nrequests;
    a->resp.results = hrana_arena_alloc(ar, (n ? n : 1) * sizeof *a->resp.results);
    a->resp.nresults = n;
    a->resp.baton = fh_str("b1");
    for (size_t i = 0; i < n; i++) {
        const hrana_request *q = &a->req.requests[i];
        hrana_stream_result *out = &a->resp.results[i];
        out->response.type = q->type;
        switch (q->type) {
        case HRANA_REQ_CLOSE:
            a->resp.baton = fh_str(NULL);
            break;
        case HRANA_REQ_STORE_SQL:
            if (q->sql_id >= 0 && q->sql_id < 256) {
                free(db->sqls[q->sql_id]);
                db->sqls[q->sql_id] = strdup(q->sql.p ? q->sql.p : "");
            }
            break;
        case HRANA_REQ_CLOSE_SQL:
            if (q->sql_id >= 0 && q->sql_id < 256) {
                free(db->sqls[q->sql_id]);
                db->sqls[q->sql_id] = NULL;
            }
            break;
        case HRANA_REQ_DESCRIBE: {
            const char *sql = q->sql.p ? q->sql.p : "";
            hrana_describe_result *d = &out->response.describe;
            for (const char *p = sql; *p; p++)
                d->nparams += *p == '?';
            if (d->nparams)
                d->params = hrana_arena_alloc(ar, d->nparams * sizeof *d->params);
            if (strstr(sql, "SELECT")) {
                d->cols = &fh_col_x;
                d->ncols = 1;
                d->is_readonly = 1;
            }
            break;
        }
        case HRANA_REQ_EXECUTE: {
            hrana_stmt_result *r;
            hrana_error *e;
            fh__run(db, ar, &q->stmt, &r, &e);
            if (e) {
                out->is_error = 1;
                out->error = *e;
            } else {
                out->response.stmt = *r;
            }
            break;
        }
        case HRANA_REQ_BATCH: {
            size_t k = q->batch.nsteps;
            hrana_batch_result *br = &out->response.batch;
            br->step_results = hrana_arena_alloc(ar, (k ? k : 1) * sizeof *br->step_results);
            br->step_errors = hrana_arena_alloc(ar, (k ? k : 1) * sizeof *br->step_errors);
            br->nsteps = k;
            for (size_t j = 0; j < k; j++) {
                const hrana_step *s = &q->batch.steps[j];
                if (fh__cond(db, s->cond, br))
                    fh__run(db, ar, &s->stmt, &br->step_results[j], &br->step_errors[j]);
            }
            break;
        }
        case HRANA_REQ_GET_AUTOCOMMIT:
            out->response.is_autocommit = !db->in_txn;
            break;
        default:
            break;
        }
    }
    pthread_mutex_unlock(&db->mu);
    return 0;
}

static inline void fh_answer_free(fh_answer *a)
{
    if (a->req.arena)
        hrana_pipeline_req_free(&a->req);
    hrana_arena_free(a->resp.arena);
    memset(a, 0, sizeof *a);
}

/* Encodes the answer (out initialised here; free it). */
static inline void fh_encode(const fh_answer *a, bool pb, hrana_buf *out)
{
    hrana_buf_init(out, (size_t)1 << 30);
    if (pb)
        hrana_pb_encode_pipeline_resp(out, &a->resp);
    else
        hrana_encode_pipeline_resp(out, &a->resp);
}

/* The whole answer to a cursor body into *out (initialised here; free it):
 * the head, then the step's entries. -1 when the body does not decode. */
static inline int fh_cursor(fh_db *db, bool pb, const char *body, size_t len, hrana_buf *out)
{
    hrana_buf_init(out, (size_t)1 << 30);
    hrana_limits lim;
    hrana_limits_default(&lim);
    hrana_status st;
    hrana_cursor_req req;
    int rc = pb ? hrana_pb_decode_cursor_req(body, len, &lim, &req, &st)
                : hrana_decode_cursor_req(body, len, &lim, &req, &st);
    if (rc)
        return -1;
    hrana_cursor_head h;
    memset(&h, 0, sizeof h);
    h.baton = fh_str("b1");
    if (pb)
        hrana_pb_encode_cursor_head(out, &h);
    else
        hrana_encode_cursor_head(out, &h);
    pthread_mutex_lock(&db->mu);
    char *text = NULL;
    if (db->cursor_text) {
        text = malloc(db->cursor_text);
        memset(text, 'a', db->cursor_text);
    }
    for (size_t j = 0; j < req.batch.nsteps; j++) {
        const char *sql = fh__sql(db, &req.batch.steps[j].stmt);
        hrana_cursor_entry e;
        memset(&e, 0, sizeof e);
        e.step = (uint32_t)j;
        if (strstr(sql, "FAIL")) {
            e.type = HRANA_ENTRY_STEP_ERROR;
            e.error.message = fh_str("UNIQUE constraint failed: t.a");
            e.error.code = fh_str("SQLITE_CONSTRAINT_UNIQUE");
            if (pb)
                hrana_pb_encode_cursor_entry(out, &e);
            else
                hrana_encode_cursor_entry(out, &e);
            continue;
        }
        hrana_col cols[2] = {{{"x", 1}, {NULL, 0}}, {{"t", 1}, {NULL, 0}}};
        e.type = HRANA_ENTRY_STEP_BEGIN;
        e.cols = cols;
        e.ncols = text ? 2 : 1;
        if (pb)
            hrana_pb_encode_cursor_entry(out, &e);
        else
            hrana_encode_cursor_entry(out, &e);
        for (int i = 1; i <= db->cursor_rows; i++) {
            lsql_value v[2] = {lsql_int(i), lsql_text(text ? text : "", db->cursor_text)};
            memset(&e, 0, sizeof e);
            e.type = HRANA_ENTRY_ROW;
            e.row = v;
            e.nrow = text ? 2 : 1;
            if (pb)
                hrana_pb_encode_cursor_entry(out, &e);
            else
                hrana_encode_cursor_entry(out, &e);
        }
        memset(&e, 0, sizeof e);
        e.type = HRANA_ENTRY_STEP_END;
        if (pb)
            hrana_pb_encode_cursor_entry(out, &e);
        else
            hrana_encode_cursor_entry(out, &e);
    }
    free(text);
    pthread_mutex_unlock(&db->mu);
    hrana_cursor_req_free(&req);
    return 0;
}

#endif
