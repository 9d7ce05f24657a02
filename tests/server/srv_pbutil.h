/* srv_pbutil.h -- helpers of the lsqld protobuf tests (/v3-protobuf): Hrana
 * requests built from the codec's structures, sent encoded with the codec,
 * answers decoded with it; and a small protobuf reader of its own for the
 * byte-level checks (so that the tests do not only check the codec against
 * itself). */
#ifndef LSQLD_SRV_PBUTIL_H
#define LSQLD_SRV_PBUTIL_H

#include "srv_testutil.h"

#include "hrana_pb.h"

#define PB_PIPELINE "/v3-protobuf/pipeline"
#define PB_CURSOR "/v3-protobuf/cursor"
#define PB_CTYPE "application/x-protobuf"

#define N_(a) (sizeof(a) / sizeof((a)[0]))

static inline hrana_str pb_str(const char *s)
{
    hrana_str r = {s, s ? strlen(s) : 0};
    return r;
}

static inline hrana_stmt pb_stmt(const char *sql)
{
    hrana_stmt s;
    memset(&s, 0, sizeof s);
    s.sql = pb_str(sql);
    s.want_rows = 1;
    return s;
}

static inline hrana_request pb_req(int type)
{
    hrana_request r;
    memset(&r, 0, sizeof r);
    r.type = type;
    return r;
}

static inline hrana_request pb_exec(const char *sql)
{
    hrana_request r = pb_req(HRANA_REQ_EXECUTE);
    r.stmt = pb_stmt(sql);
    return r;
}

static inline hrana_request pb_exec_stmt(hrana_stmt s)
{
    hrana_request r = pb_req(HRANA_REQ_EXECUTE);
    r.stmt = s;
    return r;
}

/* sequence / describe with SQL text (sql != NULL) or a stored id */
static inline hrana_request pb_sql_req(int type, const char *sql, int32_t id)
{
    hrana_request r = pb_req(type);
    if (sql) {
        r.sql = pb_str(sql);
    } else {
        r.has_sql_id = 1;
        r.sql_id = id;
    }
    return r;
}

static inline hrana_request pb_store_sql(int32_t id, const char *sql)
{
    hrana_request r = pb_req(HRANA_REQ_STORE_SQL);
    r.sql = pb_str(sql);
    r.has_sql_id = 1;
    r.sql_id = id;
    return r;
}

static inline hrana_request pb_close_sql(int32_t id)
{
    hrana_request r = pb_req(HRANA_REQ_CLOSE_SQL);
    r.has_sql_id = 1;
    r.sql_id = id;
    return r;
}

/* POST of raw bytes (len may be 0). */
static inline void pb_post(int port, const char *path, const char *auth, const void *body,
                           size_t len, tresp *r)
{
    ts_http(port, "POST", path, len ? (const char *)body : "", len, auth, r);
}

static inline void pb_encode_pipeline(hrana_buf *b, const char *baton, const hrana_request *reqs,
                                      size_t n)
{
    hrana_pipeline_req req;
    memset(&req, 0, sizeof req);
    req.baton = pb_str(baton);
    req.requests = (hrana_request *)reqs;
    req.nrequests = n;
    hrana_buf_init(b, (size_t)1 << 30);
    hrana_pb_encode_pipeline_req(b, &req);
    assert_false(b->overflow);
}

static inline void pb_limits(hrana_limits *lim)
{
    hrana_limits_default(lim);
    lim->max_body = (size_t)1 << 30;
}

/* Decodes a 200 pipeline answer (content type checked). */
static inline void pb_decode_answer(const tresp *r, hrana_pipeline_resp *out)
{
    if (r->status != 200)
        fail_msg("status %ld: %.500s", r->status, r->body ? r->body : "");
    assert_string_equal(r->ctype, PB_CTYPE);
    hrana_limits lim;
    pb_limits(&lim);
    hrana_status st;
    if (hrana_pb_decode_pipeline_resp(r->body ? r->body : "", r->len, &lim, out, &st) != HRANA_OK)
        fail_msg("answer does not decode: %s (%s)", st.message, hrana_status_name(st.code));
}

/* POST /v3-protobuf/pipeline {baton, requests}; the answer must be 200 with
 * one result per request. The raw answer goes to *raw when not NULL (free
 * it with ts_free). */
static inline void pb_pipeline_v(int port, const char *auth, const char *baton,
                                 const hrana_request *reqs, size_t n, hrana_pipeline_resp *out,
                                 tresp *raw)
{
    hrana_buf b;
    pb_encode_pipeline(&b, baton, reqs, n);
    tresp r;
    pb_post(port, PB_PIPELINE, auth, b.p, b.len, &r);
    hrana_buf_free(&b);
    pb_decode_answer(&r, out);
    if (out->nresults != n)
        fail_msg("%zu results for %zu requests", out->nresults, n);
    if (raw)
        *raw = r;
    else
        ts_free(&r);
}

static inline void pb_pipeline(tsrv *t, const char *baton, const hrana_request *reqs, size_t n,
                               hrana_pipeline_resp *out)
{
    pb_pipeline_v(t->port, NULL, baton, reqs, n, out, NULL);
}

/* An answer that must be an HTTP-level error: JSON {"message","code"}. */
static inline void pb_expect_http_error(const tresp *r, long status, const char *code)
{
    if (r->status != status)
        fail_msg("status %ld, want %ld: %.300s", r->status, status, r->body ? r->body : "");
    assert_string_equal(r->ctype, "application/json");
    json_t *j = ts_parse(r);
    if (strcmp(jstr(j, "code"), code))
        fail_msg("code %s, want %s (%s)", jstr(j, "code"), code, jstr(j, "message"));
    assert_true(strlen(jstr(j, "message")) > 0);
    json_decref(j);
}

static inline const hrana_stream_result *pb_result(const hrana_pipeline_resp *p, size_t i)
{
    assert_true(i < p->nresults);
    return &p->results[i];
}

/* Result i must be ok and answer a request of `type`. */
static inline const hrana_response *pb_ok(const hrana_pipeline_resp *p, size_t i, int type)
{
    const hrana_stream_result *r = pb_result(p, i);
    if (r->is_error)
        fail_msg("result %zu: error %s: %s", i, r->error.code.p ? r->error.code.p : "-",
                 r->error.message.p ? r->error.message.p : "");
    if (r->response.type != type)
        fail_msg("result %zu: type %d, want %d", i, r->response.type, type);
    return &r->response;
}

static inline const hrana_stmt_result *pb_stmt_result(const hrana_pipeline_resp *p, size_t i)
{
    return &pb_ok(p, i, HRANA_REQ_EXECUTE)->stmt;
}

/* Result i must be an error; returns its code ("" when absent). */
static inline const char *pb_err(const hrana_pipeline_resp *p, size_t i)
{
    const hrana_stream_result *r = pb_result(p, i);
    if (!r->is_error)
        fail_msg("result %zu: ok (type %d), want an error", i, r->response.type);
    assert_non_null(r->error.message.p);
    assert_true(r->error.message.n > 0);
    return r->error.code.p ? r->error.code.p : "";
}

static inline const lsql_value *pb_cell(const hrana_stmt_result *r, size_t row, size_t col)
{
    if (row >= r->nrows || col >= r->ncols)
        fail_msg("no cell [%zu][%zu] in %zu x %zu", row, col, r->nrows, r->ncols);
    return &r->rows[row * r->ncols + col];
}

static inline int64_t pb_int(const hrana_stmt_result *r, size_t row, size_t col)
{
    const lsql_value *v = pb_cell(r, row, col);
    if (v->type != LSQL_TYPE_INTEGER)
        fail_msg("cell [%zu][%zu]: type %d, want an integer", row, col, v->type);
    return v->u.i;
}

/* Text cell as a NUL-terminated copy in buf. */
static inline const char *pb_text(const hrana_stmt_result *r, size_t row, size_t col, char *buf,
                                  size_t cap)
{
    const lsql_value *v = pb_cell(r, row, col);
    if (v->type != LSQL_TYPE_TEXT)
        fail_msg("cell [%zu][%zu]: type %d, want text", row, col, v->type);
    assert_true(v->u.bytes.n < cap);
    memcpy(buf, v->u.bytes.p, v->u.bytes.n);
    buf[v->u.bytes.n] = 0;
    return buf;
}

static inline void pb_baton(const hrana_pipeline_resp *p, char *out, size_t cap)
{
    if (!p->baton.p)
        fail_msg("no baton");
    assert_true(p->baton.n < cap);
    memcpy(out, p->baton.p, p->baton.n);
    out[p->baton.n] = 0;
}

static inline const hrana_stmt_result *pb_step_res(const hrana_batch_result *b, size_t i)
{
    return i < b->nsteps ? b->step_results[i] : NULL;
}

static inline const hrana_error *pb_step_err(const hrana_batch_result *b, size_t i)
{
    return i < b->nsteps ? b->step_errors[i] : NULL;
}

/* Runs a statement that must succeed on a fresh stream, closed after. */
static inline void pb_sql(tsrv *t, const char *sql)
{
    hrana_request reqs[] = {pb_exec(sql), pb_req(HRANA_REQ_CLOSE)};
    hrana_pipeline_resp p;
    pb_pipeline(t, NULL, reqs, 2, &p);
    pb_stmt_result(&p, 0);
    hrana_pipeline_resp_free(&p);
}


static inline hrana_cond pb_cond_step(int type, uint32_t step)
{
    hrana_cond c;
    memset(&c, 0, sizeof c);
    c.type = type;
    c.step = step;
    return c;
}

static inline hrana_cond pb_cond_list(int type, hrana_cond *conds, size_t n)
{
    hrana_cond c;
    memset(&c, 0, sizeof c);
    c.type = type;
    c.conds = conds;
    c.nconds = n;
    return c;
}

static inline hrana_step pb_step(hrana_cond *cond, const char *sql)
{
    hrana_step s;
    s.cond = cond;
    s.stmt = pb_stmt(sql);
    return s;
}

static inline hrana_request pb_batch(hrana_step *steps, size_t n)
{
    hrana_request r = pb_req(HRANA_REQ_BATCH);
    r.batch.steps = steps;
    r.batch.nsteps = n;
    return r;
}


/* ---- a protobuf reader of the tests' own ---------------------------------- */

typedef struct pbf {
    unsigned field, wt;
    uint64_t v;              /* VARINT, I64 (the 8 bytes, little-endian) */
    const unsigned char *p;  /* LEN: the payload */
    size_t n;
} pbf;

static inline uint64_t pbr_varint(const unsigned char **p, const unsigned char *end)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (*p >= end)
            fail_msg("varint past the end");
        unsigned c = *(*p)++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return v;
    }
    fail_msg("varint too long");
    return 0;
}

/* The next field of msg (*pos advances); 0 at the end. */
static inline int pbr_next(const unsigned char *msg, size_t n, size_t *pos, pbf *f)
{
    const unsigned char *p = msg + *pos, *end = msg + n;
    if (p >= end)
        return 0;
    uint64_t key = pbr_varint(&p, end);
    f->field = (unsigned)(key >> 3);
    f->wt = (unsigned)(key & 7);
    f->p = NULL;
    f->n = 0;
    f->v = 0;
    switch (f->wt) {
    case 0:
        f->v = pbr_varint(&p, end);
        break;
    case 1:
        if (end - p < 8)
            fail_msg("fixed64 past the end");
        for (int i = 7; i >= 0; i--)
            f->v = f->v << 8 | p[i];
        p += 8;
        break;
    case 2:
        f->n = (size_t)pbr_varint(&p, end);
        if ((size_t)(end - p) < f->n)
            fail_msg("length %zu past the end", f->n);
        f->p = p;
        p += f->n;
        break;
    default:
        fail_msg("unexpected wire type %u", f->wt);
    }
    *pos = (size_t)(p - msg);
    return 1;
}

/* The k-th (0-based) occurrence of `field` in msg; fails when missing. */
static inline pbf pbr_get(const void *msg, size_t n, unsigned field, size_t k)
{
    size_t pos = 0;
    pbf f;
    while (pbr_next(msg, n, &pos, &f))
        if (f.field == field && k-- == 0)
            return f;
    fail_msg("field %u (occurrence) not found", field);
    return f;
}

static inline size_t pbr_count(const void *msg, size_t n, unsigned field)
{
    size_t pos = 0, c = 0;
    pbf f;
    while (pbr_next(msg, n, &pos, &f))
        c += f.field == field;
    return c;
}

static inline int64_t pbr_zigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Cursor bodies: the length-delimited items, split by hand. */
typedef struct pbitems {
    const unsigned char **p;
    size_t *n;
    size_t count;
} pbitems;

static inline pbitems pb_split_items(const void *body, size_t len)
{
    pbitems it = {NULL, NULL, 0};
    size_t cap = 0;
    const unsigned char *p = body, *end = p + len;
    while (p < end) {
        size_t n = (size_t)pbr_varint(&p, end);
        if ((size_t)(end - p) < n)
            fail_msg("item %zu: length %zu past the end", it.count, n);
        if (it.count == cap) {
            cap = cap ? cap * 2 : 64;
            it.p = realloc(it.p, cap * sizeof *it.p);
            it.n = realloc(it.n, cap * sizeof *it.n);
            assert_non_null(it.p);
            assert_non_null(it.n);
        }
        it.p[it.count] = p;
        it.n[it.count++] = n;
        p += n;
    }
    return it;
}

static inline void pb_items_free(pbitems *it)
{
    free(it->p);
    free(it->n);
    memset(it, 0, sizeof *it);
}

#endif
