/* test_remote_pb.c -- REMOTE mode over Hrana 3 protobuf against the fake
 * server of fakesrv.h (answering with fakehrana.h, lsql's codec in both
 * encodings):
 *   - negotiation: protobuf when the server has /v3-protobuf (one request
 *     per open), JSON v3 when it 404s it (two), v2 (three), a forced
 *     encoding (one), forced protobuf against a JSON-only server, a 200
 *     that is not protobuf, invalid options;
 *   - the requests: content type and accept headers, the endpoints;
 *   - malformed protobuf answers -- cut at every byte, a bad varint, a
 *     length past the end, a wrong wire type, results missing or extra, a
 *     batch step index past the steps sent --, HTTP errors with JSON (and
 *     binary) bodies on the protobuf endpoints;
 *   - batches whose trailing skipped steps are absent (not an error);
 *   - cursors: many rows, an item larger than max_response (as soon as its
 *     length is read, and a real one), a body cut inside an item, a bad
 *     length prefix, a bad entry, a reset.
 * Each failure must be a clean error (no crash, no leak under ASan) and
 * the connection usable afterwards. */
#define LSQL_TEST_REMOTE 1 /* errors carry an HTTP status */
#include "coretest.h"

#include "fakehrana.h"
#include "fakesrv.h"

#include <stdatomic.h>
#include <sys/resource.h>

enum fault {
    F_NONE,
    F_CUT,          /* the answer cut to `cut` bytes, at most its length - 1 (a
                       complete HTTP answer); its length in `last_len` */
    F_RAW,          /* `raw` instead of the answer */
    F_DROP_RESULT,  /* one result fewer than requests */
    F_EXTRA_RESULT, /* one result more */
    F_STEP_BEYOND,  /* a batch result for the step after the last one */
    F_MANY_BATCHES, /* 4096 batch results, each one entry for step 16383 */
    F_STATUS,       /* `status` with `ctype` and `body` */
    F_RESET,        /* part of the answer, then a reset */
    /* cursor answers */
    C_BIG_PREFIX,   /* the head, then an item whose length says 1 GiB */
    C_CUT_ITEM,     /* the head, step_begin, half of a row item, end of body */
    C_BAD_PREFIX,   /* the head, then 11 bytes of 0xff */
    C_BAD_ENTRY,    /* the head, then a framed item that is not a CursorEntry */
};

typedef struct srv {
    fh_db db;
    bool no_pb;      /* 404 for /v3-protobuf/... */
    bool no_v3;      /* 404 for /v3/... */
    bool pb_is_json; /* /v3-protobuf/pipeline answers JSON with 200 */
    enum fault fault;
    const char *target; /* "execute", "batch", "cursor" */
    int times;          /* misbehave on the first `times` target requests (-1: always) */
    size_t cut;
    const unsigned char *raw;
    size_t raw_len;
    int status;
    const char *ctype;
    const char *body;
    size_t body_len;
    atomic_int hits;
    atomic_size_t last_len; /* F_CUT: length of the whole answer */
} srv;

static bool has_type(const fh_answer *a, const char *target)
{
    int want = !strcmp(target, "execute") ? HRANA_REQ_EXECUTE
               : !strcmp(target, "batch") ? HRANA_REQ_BATCH
               : !strcmp(target, "close") ? HRANA_REQ_CLOSE
                                          : -1;
    for (size_t i = 0; i < a->req.nrequests; i++)
        if (a->req.requests[i].type == want)
            return true;
    return false;
}

static enum fault take_fault(srv *s, bool target)
{
    if (!target || s->fault == F_NONE)
        return F_NONE;
    int k = atomic_fetch_add(&s->hits, 1);
    return s->times < 0 || k < s->times ? s->fault : F_NONE;
}

static void send_status(fs_conn *c, srv *s)
{
    char hdr[160];
    snprintf(hdr, sizeof hdr, "Content-Type: %s\r\n", s->ctype);
    fs_respond(c, s->status, s->ctype ? hdr : NULL, s->body,
               s->body_len ? s->body_len : strlen(s->body));
}

static void pipeline(fs_conn *c, const fs_req *r, srv *s, bool pb)
{
    fh_answer a;
    if (fh_pipeline(&s->db, pb, r->body, r->body_len, &a)) {
        fh_answer_free(&a);
        fs_respond_json(c, 400, "{\"message\":\"bad body\",\"code\":\"PROTOBUF_INVALID\"}");
        return;
    }
    enum fault f = take_fault(s, s->target && has_type(&a, s->target));
    if (f == F_DROP_RESULT) {
        a.resp.nresults--;
    } else if (f == F_EXTRA_RESULT) {
        hrana_stream_result *v = fh_alloc(&a, (a.resp.nresults + 1) * sizeof *v);
        memcpy(v, a.resp.results, a.resp.nresults * sizeof *v);
        v[a.resp.nresults] = v[a.resp.nresults - 1];
        a.resp.results = v;
        a.resp.nresults++;
    } else if (f == F_STEP_BEYOND) {
        for (size_t i = 0; i < a.resp.nresults; i++) {
            hrana_batch_result *br = &a.resp.results[i].response.batch;
            if (a.resp.results[i].response.type != HRANA_REQ_BATCH)
                continue;
            size_t n = br->nsteps + 1;
            hrana_stmt_result **ok = fh_alloc(&a, n * sizeof *ok);
            hrana_error **er = fh_alloc(&a, n * sizeof *er);
            memcpy(ok, br->step_results, br->nsteps * sizeof *ok);
            memcpy(er, br->step_errors, br->nsteps * sizeof *er);
            ok[n - 1] = fh_alloc(&a, sizeof *ok[n - 1]);
            br->step_results = ok;
            br->step_errors = er;
            br->nsteps = n;
        }
    } else if (f == F_MANY_BATCHES) {
        size_t n = 4096, k = 16384; /* max_requests, max_steps */
        hrana_stream_result *v = fh_alloc(&a, n * sizeof *v);
        hrana_stmt_result **ok = fh_alloc(&a, k * sizeof *ok);
        hrana_error **er = fh_alloc(&a, k * sizeof *er);
        ok[k - 1] = fh_alloc(&a, sizeof *ok[k - 1]);
        for (size_t i = 0; i < n; i++) {
            v[i].response.type = HRANA_REQ_BATCH;
            v[i].response.batch.step_results = ok;
            v[i].response.batch.step_errors = er;
            v[i].response.batch.nsteps = k;
        }
        a.resp.results = v;
        a.resp.nresults = n;
    }
    hrana_buf out;
    fh_encode(&a, pb, &out);
    fh_answer_free(&a);
    const char *ct = pb ? "Content-Type: application/x-protobuf\r\n"
                        : "Content-Type: application/json\r\n";
    switch (f) {
    case F_CUT:
        atomic_store(&s->last_len, out.len);
        fs_respond(c, 200, ct, out.p, s->cut < out.len ? s->cut : out.len - 1);
        break;
    case F_RAW:
        fs_respond(c, 200, ct, s->raw, s->raw_len);
        break;
    case F_STATUS:
        send_status(c, s);
        break;
    case F_RESET:
        fs_send_head(c, 200, ct, (long long)out.len);
        fs_send_body(c, out.p, out.len / 2);
        fs_reset(c);
        break;
    default:
        if (pb)
            fs_respond_pb(c, 200, out.p, out.len);
        else
            fs_respond(c, 200, ct, out.p, out.len);
    }
    hrana_buf_free(&out);
}

static void cursor(fs_conn *c, const fs_req *r, srv *s, bool pb)
{
    hrana_buf out;
    if (fh_cursor(&s->db, pb, r->body, r->body_len, &out)) {
        hrana_buf_free(&out);
        fs_respond_json(c, 400, "{\"message\":\"bad body\",\"code\":\"PROTOBUF_INVALID\"}");
        return;
    }
    enum fault f = take_fault(s, s->target && !strcmp(s->target, "cursor"));
    /* sqld's content types for cursor answers (lsqld's protobuf one is
     * application/x-protobuf: lsql reads either) */
    const char *ct = pb ? "Content-Type: application/octet-stream\r\n"
                        : "Content-Type: text/plain\r\n";
    /* the head item: its prefix (one byte: a short baton) and body */
    size_t head = pb ? 1 + (unsigned char)out.p[0] : 0; /* faults: protobuf only */
    unsigned char bad[16];
    size_t nbad = 0;
    switch (f) {
    case F_STATUS:
        send_status(c, s);
        break;
    case C_BIG_PREFIX:
        nbad = fs_pb_varint(bad, 1ull << 30);
        bad[nbad++] = 0x22;
        fs_send_head(c, 200, ct, -1);
        fs_send_body(c, out.p, head);
        fs_send_body(c, bad, nbad);
        fs_sleep_ms(c, 200); /* the client fails on the prefix, before any more */
        fs_close(c);
        break;
    case C_CUT_ITEM: {
        /* head, step_begin, then half of the first row */
        size_t p = head;
        p += 1 + (unsigned char)out.p[p]; /* step_begin */
        size_t row = 1 + (unsigned char)out.p[p];
        fs_send_head(c, 200, ct, -1);
        fs_send_body(c, out.p, p + row / 2);
        fs_end(c);
        break;
    }
    case C_BAD_PREFIX:
        memset(bad, 0xff, 11);
        fs_send_head(c, 200, ct, -1);
        fs_send_body(c, out.p, head);
        fs_send_body(c, bad, 11);
        fs_end(c);
        break;
    case C_BAD_ENTRY:
        /* an item holding field 4 (row) with wire type varint */
        bad[0] = 2;
        bad[1] = 4 << 3 | 0;
        bad[2] = 1;
        fs_send_head(c, 200, ct, -1);
        fs_send_body(c, out.p, head);
        fs_send_body(c, bad, 3);
        fs_end(c);
        break;
    case F_RESET:
        fs_send_head(c, 200, ct, -1);
        fs_send_body(c, out.p, out.len / 2);
        fs_reset(c);
        break;
    default:
        /* in pieces, so that items straddle them */
        fs_send_head(c, 200, ct, -1);
        for (size_t off = 0; off < out.len; off += 1000)
            fs_send_body(c, out.p + off, out.len - off < 1000 ? out.len - off : 1000);
        fs_end(c);
    }
    hrana_buf_free(&out);
}

static void handler(fs_conn *c, const fs_req *r, void *ud)
{
    srv *s = ud;
    static const char k_404[] = "{\"message\":\"no such endpoint\",\"code\":\"NOT_FOUND\"}";
    bool pb = !strncmp(r->path, "/v3-protobuf/", 13);
    bool v3 = !strncmp(r->path, "/v3/", 4);
    if (strcmp(r->method, "POST") || (pb && s->no_pb) || (v3 && s->no_v3)) {
        fs_respond_json(c, 404, k_404);
        return;
    }
    if (pb && s->pb_is_json) {
        fs_respond_json(c, 200, "{\"baton\":null,\"base_url\":null,\"results\":[{\"type\":"
                                "\"ok\",\"response\":{\"type\":\"close\"}}]}");
        return;
    }
    /* a protobuf endpoint gets protobuf bodies, a JSON one JSON */
    if (pb != fs_req_is_pb(r)) {
        fs_respond_json(c, 415, "{\"message\":\"wrong content type\"}");
        return;
    }
    if (strstr(r->path, "/cursor"))
        cursor(c, r, s, pb);
    else
        pipeline(c, r, s, pb);
}

/* ---- fixture ---------------------------------------------------------------------- */

typedef struct fx {
    srv s;
    fakesrv *fs;
    char url[256];
    lsql_db *db;
    lsql_conn *c;
} fx;

static fx *fx_new(void)
{
    fx *x = calloc(1, sizeof *x);
    fh_init(&x->s.db);
    x->fs = fs_start(handler, &x->s);
    fs_url(x->fs, x->url, sizeof x->url);
    return x;
}

static void fx_open(fx *x, const char *opts)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", x->url, opts ? opts : "?timeout=1000&retries=0");
    x->db = ct_open_url(url);
    x->c = ct_connect(x->db);
}

static void fx_free(fx *x)
{
    lsql_db_close(x->db);
    fs_stop(x->fs);
    fh_free(&x->s.db);
    free(x);
}

static int hits(fx *x) { return atomic_load(&x->s.hits); }

static void in_use(lsql_db *db, int version, int encoding)
{
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    assert_ok(lsql_db_opts_get(db, &o));
    assert_int_equal(o.hrana_version, version);
    assert_int_equal(o.hrana_encoding, encoding);
}

static int select_one(fx *x, int64_t *v, lsql_error *e)
{
    return lsql_query_int64(x->c, "SELECT 1", NULL, 0, v, e);
}

static int insert_one(fx *x, lsql_error *e)
{
    lsql_param p = {NULL, lsql_int(1)};
    return lsql_exec(x->c, "INSERT INTO t VALUES (?)", &p, 1, NULL, e);
}

static void select_works(fx *x)
{
    lsql_error e;
    int64_t v = 0;
    ct_expect(LSQL_OK, &e, select_one(x, &v, &e));
    assert_int_equal(v, 1);
}

/* ---- negotiation ----------------------------------------------------------------- */

static void negotiates_protobuf(void **state)
{
    (void)state;
    fx *x = fx_new();
    fx_open(x, NULL);
    in_use(x->db, 3, LSQL_HRANA_PROTOBUF);
    assert_int_equal(fs_requests(x->fs), 1); /* one request per open */
    char v[128], path[64];
    fs_last_path(x->fs, path, sizeof path);
    assert_string_equal(path, "/v3-protobuf/pipeline");
    fs_last_header(x->fs, "content-type", v, sizeof v);
    assert_string_equal(v, "application/x-protobuf");
    fs_last_header(x->fs, "accept", v, sizeof v);
    assert_string_equal(v, "application/x-protobuf");
    select_works(x);
    fs_last_path(x->fs, path, sizeof path);
    assert_string_equal(path, "/v3-protobuf/pipeline");
    fs_last_header(x->fs, "content-type", v, sizeof v);
    assert_string_equal(v, "application/x-protobuf");
    /* a JSON encoding asked for by URL: JSON from the open on */
    lsql_db_close(x->db);
    x->db = NULL;
    int before = fs_requests(x->fs);
    fx_open(x, "?encoding=json");
    in_use(x->db, 3, LSQL_HRANA_JSON);
    assert_int_equal(fs_requests(x->fs) - before, 1);
    fs_last_path(x->fs, path, sizeof path);
    assert_string_equal(path, "/v3/pipeline");
    select_works(x);
    fs_last_path(x->fs, path, sizeof path);
    assert_string_equal(path, "/v3/pipeline");
    fs_last_header(x->fs, "content-type", v, sizeof v);
    assert_string_equal(v, "application/json");
    assert_false(fs_last_header(x->fs, "accept", v, sizeof v) &&
                 strstr(v, "protobuf") != NULL);
    /* and by option, forced either way */
    lsql_db_close(x->db);
    x->db = NULL;
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.mode = LSQL_MODE_REMOTE;
    o.url = x->url;
    o.hrana_encoding = LSQL_HRANA_PROTOBUF;
    x->db = ct_open(&o);
    in_use(x->db, 3, LSQL_HRANA_PROTOBUF);
    lsql_db_close(x->db);
    o.hrana_encoding = LSQL_HRANA_JSON;
    x->db = ct_open(&o);
    in_use(x->db, 3, LSQL_HRANA_JSON);
    x->c = ct_connect(x->db);
    select_works(x);
    fx_free(x);
}

static void negotiates_json_when_no_protobuf(void **state)
{
    (void)state;
    fx *x = fx_new();
    x->s.no_pb = true;
    fx_open(x, NULL);
    in_use(x->db, 3, LSQL_HRANA_JSON);
    assert_int_equal(fs_requests(x->fs), 2); /* /v3-protobuf 404, then /v3 */
    select_works(x);
    char path[64];
    fs_last_path(x->fs, path, sizeof path);
    assert_string_equal(path, "/v3/pipeline");
    lsql_db_close(x->db);
    x->db = NULL;
    /* Hrana 2 only: three requests */
    x->s.no_v3 = true;
    int before = fs_requests(x->fs);
    fx_open(x, NULL);
    in_use(x->db, 2, LSQL_HRANA_JSON);
    assert_int_equal(fs_requests(x->fs) - before, 3);
    select_works(x);
    fs_last_path(x->fs, path, sizeof path);
    assert_string_equal(path, "/v2/pipeline");
    fx_free(x);
}

static void forced_protobuf_without_it(void **state)
{
    (void)state;
    fx *x = fx_new();
    x->s.no_pb = true;
    lsql_db *db = NULL;
    lsql_error e;
    char url[512];
    snprintf(url, sizeof url, "%s?encoding=protobuf", x->url);
    ct_expect(LSQL_HRANA_VERSION, &e, lsql_db_open_url(url, &db, &e));
    assert_null(db);
    assert_int_equal(e.http_status, 404);
    assert_non_null(strstr(e.message, "protobuf"));
    assert_non_null(strstr(e.message, "/v3-protobuf/pipeline"));
    assert_int_equal(fs_requests(x->fs), 1); /* no fallback when forced */
    /* hrana=3 without protobuf: JSON v3; hrana=2: v2 */
    snprintf(url, sizeof url, "%s?hrana=3", x->url);
    ct_expect(LSQL_OK, &e, lsql_db_open_url(url, &db, &e));
    in_use(db, 3, LSQL_HRANA_JSON);
    lsql_db_close(db);
    x->s.no_v3 = true;
    ct_expect(LSQL_HRANA_VERSION, &e, lsql_db_open_url(url, &db, &e));
    assert_non_null(strstr(e.message, "Hrana 3"));
    snprintf(url, sizeof url, "%s?hrana=2", x->url);
    int before = fs_requests(x->fs);
    ct_expect(LSQL_OK, &e, lsql_db_open_url(url, &db, &e));
    in_use(db, 2, LSQL_HRANA_JSON);
    assert_int_equal(fs_requests(x->fs) - before, 1);
    lsql_db_close(db);
    fx_free(x);
}

/* Only a missing endpoint moves on to the next candidate: any other
 * failure of the open's request fails the open, with one request. */
static void open_errors_do_not_fall_back(void **state)
{
    (void)state;
    static const struct {
        int status;
        const char *ctype, *body;
        int want;
    } cases[] = {
        {400, "application/json", "{\"message\":\"no\",\"code\":\"SQLITE_ERROR\"}", LSQL_ERROR},
        {401, "application/json", "{\"message\":\"who?\",\"code\":\"AUTH_HEADER_MISSING\"}",
         LSQL_AUTH_REMOTE},
        {500, "text/plain", "oops", LSQL_HTTP_STATUS},
        {503, NULL, "busy", LSQL_HTTP_UNAVAILABLE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx *x = fx_new();
        x->s.target = "close";
        x->s.fault = F_STATUS;
        x->s.times = -1;
        x->s.status = cases[i].status;
        x->s.ctype = cases[i].ctype;
        x->s.body = cases[i].body;
        lsql_db *db = NULL;
        lsql_error e;
        ct_expect(cases[i].want, &e, lsql_db_open_url(x->url, &db, &e));
        assert_null(db);
        assert_int_equal(e.http_status, cases[i].status);
        assert_non_null(strstr(e.message, "cannot open"));
        assert_int_equal(fs_requests(x->fs), 1);
        fx_free(x);
    }
}

static void not_protobuf_answer_falls_back(void **state)
{
    (void)state;
    /* a server answering /v3-protobuf/pipeline with 200 and JSON does not
     * speak protobuf: negotiation moves on; forced protobuf fails cleanly */
    fx *x = fx_new();
    x->s.pb_is_json = true;
    fx_open(x, NULL);
    in_use(x->db, 3, LSQL_HRANA_JSON);
    select_works(x);
    lsql_db *db = NULL;
    lsql_error e;
    char url[512];
    snprintf(url, sizeof url, "%s?encoding=protobuf", x->url);
    ct_expect(LSQL_HRANA_PROTOCOL, &e, lsql_db_open_url(url, &db, &e));
    assert_null(db);
    fx_free(x);
}

static void invalid_options(void **state)
{
    (void)state;
    fx *x = fx_new();
    lsql_db *db = NULL;
    lsql_error e;
    char url[512];
    snprintf(url, sizeof url, "%s?encoding=xml", x->url);
    ct_expect(LSQL_INVALID_OPTION, &e, lsql_db_open_url(url, &db, &e));
    assert_non_null(strstr(e.message, "encoding"));
    assert_non_null(strstr(e.message, "json or protobuf"));
    snprintf(url, sizeof url, "%s?encoding=", x->url);
    ct_expect(LSQL_INVALID_OPTION, &e, lsql_db_open_url(url, &db, &e));
    snprintf(url, sizeof url, "%s?hrana=2&encoding=protobuf", x->url);
    ct_expect(LSQL_INVALID_OPTION, &e, lsql_db_open_url(url, &db, &e));
    assert_non_null(strstr(e.message, "Hrana 2"));
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.mode = LSQL_MODE_REMOTE;
    o.url = x->url;
    o.hrana_encoding = 3;
    ct_expect(LSQL_INVALID_OPTION, &e, lsql_db_open(&o, &db, &e));
    assert_non_null(strstr(e.message, "hrana_encoding"));
    o.hrana_encoding = -1;
    ct_expect(LSQL_INVALID_OPTION, &e, lsql_db_open(&o, &db, &e));
    o.hrana_encoding = LSQL_HRANA_PROTOBUF;
    o.hrana_version = 2;
    ct_expect(LSQL_INVALID_OPTION, &e, lsql_db_open(&o, &db, &e));
    assert_null(db);
    assert_int_equal(fs_requests(x->fs), 0); /* refused before any request */
    /* the URL wins over the option, as for the other options */
    o.hrana_version = 0;
    o.hrana_encoding = LSQL_HRANA_PROTOBUF;
    snprintf(url, sizeof url, "%s?encoding=json", x->url);
    o.url = url;
    ct_expect(LSQL_OK, &e, lsql_db_open(&o, &db, &e));
    in_use(db, 3, LSQL_HRANA_JSON);
    lsql_db_close(db);
    fx_free(x);
}

/* A caller compiled before hrana_encoding existed (smaller struct_size,
 * garbage where the field would be) gets negotiation; lsql_db_opts_get
 * writes nothing past its struct_size. */
static void old_struct_size(void **state)
{
    (void)state;
    fx *x = fx_new();
    size_t old = offsetof(lsql_db_opts, hrana_encoding);
    union {
        lsql_db_opts o;
        unsigned char b[sizeof(lsql_db_opts) + 16];
    } u;
    memset(u.b, 0x7f, sizeof u.b);
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.struct_size = old;
    o.mode = LSQL_MODE_REMOTE;
    o.url = x->url;
    memcpy(u.b, &o, old);
    lsql_db *db = NULL;
    lsql_error e;
    ct_expect(LSQL_OK, &e, lsql_db_open(&u.o, &db, &e));
    in_use(db, 3, LSQL_HRANA_PROTOBUF);
    memset(u.b, 0x7f, sizeof u.b);
    u.o.struct_size = old;
    assert_ok(lsql_db_opts_get(db, &u.o));
    for (size_t i = old; i < sizeof u.b; i++)
        assert_int_equal(u.b[i], 0x7f);
    lsql_db_close(db);
    fx_free(x);
}

/* ---- malformed answers ------------------------------------------------------------ */

static void expect_protocol_error(fx *x)
{
    lsql_error e;
    int64_t v;
    ct_expect(LSQL_HRANA_PROTOCOL, &e, select_one(x, &v, &e));
    assert_non_null(strstr(e.message, "invalid response"));
    assert_false(e.flags & LSQL_ERRF_RETRYABLE);
}

static void cut_at_every_byte(void **state)
{
    (void)state;
    fx *x = fx_new();
    fx_open(x, NULL);
    select_works(x); /* described, stored */
    x->s.target = "execute";
    x->s.times = 1;
    size_t cut = 0;
    do {
        x->s.fault = F_CUT;
        x->s.cut = cut;
        atomic_store(&x->s.hits, 0);
        expect_protocol_error(x);
        assert_int_equal(hits(x), 1); /* never resent */
        x->s.fault = F_NONE;
        select_works(x); /* the connection recovers */
    } while (++cut < atomic_load(&x->s.last_len));
    assert_true(cut > 10);
    fx_free(x);
}

static void malformed_bytes(void **state)
{
    (void)state;
    static const unsigned char k_varint[] = {0x1a, 0xff, 0xff, 0xff, 0xff, 0xff,
                                             0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    static const unsigned char k_past_end[] = {0x1a, 0x64, 0x0a, 0x02}; /* results: 100 bytes */
    static const unsigned char k_wire[] = {0x18, 0x01}; /* results as a varint */
    static const unsigned char k_tag0[] = {0x00, 0x01}; /* field number 0 */
    static const struct {
        const unsigned char *p;
        size_t n;
    } cases[] = {
        {k_varint, sizeof k_varint},
        {k_past_end, sizeof k_past_end},
        {k_wire, sizeof k_wire},
        {k_tag0, sizeof k_tag0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx *x = fx_new();
        fx_open(x, NULL);
        x->s.target = "execute";
        x->s.fault = F_RAW;
        x->s.times = 1;
        x->s.raw = cases[i].p;
        x->s.raw_len = cases[i].n;
        expect_protocol_error(x);
        assert_int_equal(hits(x), 1);
        select_works(x);
        fx_free(x);
    }
}

static void wrong_result_counts(void **state)
{
    (void)state;
    static const enum fault faults[] = {F_DROP_RESULT, F_EXTRA_RESULT};
    for (size_t i = 0; i < 2; i++) {
        fx *x = fx_new();
        fx_open(x, NULL);
        x->s.target = "execute";
        x->s.fault = faults[i];
        x->s.times = 1;
        lsql_error e;
        int64_t v;
        ct_expect(LSQL_HRANA_PROTOCOL, &e, select_one(x, &v, &e));
        assert_non_null(strstr(e.message, "results for"));
        select_works(x);
        fx_free(x);
    }
}

/* A batch result holds a slot per step up to its largest step index,
 * whatever its size in bytes: an answer of 4096 results of one entry for
 * step 16383 (60 KB) would be 1 GiB of slots. An answer with more results
 * than requests is refused before they are allocated. */
static void many_batch_results(void **state)
{
    (void)state;
    fx *x = fx_new();
    fx_open(x, NULL);
    x->s.target = "execute";
    x->s.fault = F_MANY_BATCHES;
    x->s.times = 1;
    lsql_error e;
    int64_t v;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long before = ru.ru_maxrss;
    ct_expect(LSQL_HRANA_PROTOCOL, &e, select_one(x, &v, &e));
    getrusage(RUSAGE_SELF, &ru);
    assert_true(ru.ru_maxrss - before < 256 * 1024);
    select_works(x);
    fx_free(x);
    /* the same answer to the negotiation's close: not protobuf after all */
    x = fx_new();
    x->s.target = "close";
    x->s.fault = F_MANY_BATCHES;
    x->s.times = 1;
    fx_open(x, NULL);
    getrusage(RUSAGE_SELF, &ru);
    assert_true(ru.ru_maxrss - before < 256 * 1024);
    in_use(x->db, 3, LSQL_HRANA_JSON);
    select_works(x);
    fx_free(x);
}

static lsql_batch *three_inserts(const char *second)
{
    lsql_batch *b;
    assert_ok(lsql_batch_new(&b));
    for (int i = 0; i < 3; i++) {
        lsql_param p = {NULL, lsql_int(i)};
        assert_ok(lsql_batch_add(b, i == 1 && second ? second : "INSERT INTO t VALUES (?)", &p,
                                 1, NULL));
    }
    return b;
}

static void batch_step_beyond(void **state)
{
    (void)state;
    static const unsigned flags[] = {0, LSQL_BATCH_ATOMIC};
    for (size_t i = 0; i < 2; i++) {
        fx *x = fx_new();
        fx_open(x, NULL);
        x->s.target = "batch";
        x->s.fault = F_STEP_BEYOND;
        x->s.times = 1;
        lsql_batch *b = three_inserts(NULL);
        lsql_batch_result *r = NULL;
        lsql_error e;
        ct_expect(LSQL_HRANA_PROTOCOL, &e, lsql_batch_run(x->c, b, flags[i], &r, &e));
        assert_non_null(strstr(e.message, "a result for step"));
        for (size_t k = 0; k < lsql_batch_result_count(r); k++) {
            lsql_step_result sr = {.struct_size = sizeof sr};
            assert_ok(lsql_batch_result_step(r, k, &sr));
            assert_int_not_equal(sr.status, LSQL_OK);
        }
        lsql_batch_result_free(r);
        ct_expect(LSQL_OK, &e, lsql_batch_run(x->c, b, flags[i], &r, &e));
        lsql_batch_result_free(r);
        lsql_batch_free(b);
        fx_free(x);
    }
}

/* Protobuf batch results leave skipped steps out: a failure with skipped
 * steps after it (nothing at their indexes) is the step's error, the rest
 * LSQL_TXN_SKIPPED -- in both encodings. */
static void batch_skipped_trailing_steps(void **state)
{
    (void)state;
    static const char *const opts[] = {NULL, "?encoding=json"};
    for (size_t i = 0; i < 2; i++) {
        fx *x = fx_new();
        fx_open(x, opts[i]);
        lsql_batch *b = three_inserts("INSERT INTO t VALUES (? + 0) -- FAIL");
        lsql_batch_result *r = NULL;
        lsql_error e;
        ct_expect(LSQL_CONSTRAINT_UNIQUE, &e, lsql_batch_run(x->c, b, 0, &r, &e));
        assert_int_equal(lsql_batch_result_failed_step(r), 1);
        lsql_step_result sr = {.struct_size = sizeof sr};
        assert_ok(lsql_batch_result_step(r, 0, &sr));
        assert_int_equal(sr.status, LSQL_OK);
        assert_ok(lsql_batch_result_step(r, 2, &sr));
        assert_int_equal(sr.status, LSQL_TXN_SKIPPED);
        lsql_batch_result_free(r);
        /* atomic: the ROLLBACK runs after skipped steps */
        ct_expect(LSQL_CONSTRAINT_UNIQUE, &e, lsql_batch_run(x->c, b, LSQL_BATCH_ATOMIC, &r, &e));
        assert_int_equal(lsql_batch_result_failed_step(r), 1);
        lsql_batch_result_free(r);
        int ac = 0;
        assert_ok(lsql_is_autocommit(x->c, &ac));
        assert_int_equal(ac, 1);
        /* no failure: every step */
        lsql_batch_free(b);
        b = three_inserts(NULL);
        ct_expect(LSQL_OK, &e, lsql_batch_run(x->c, b, LSQL_BATCH_ATOMIC, &r, &e));
        assert_int_equal(lsql_batch_result_count(r), 3);
        lsql_batch_result_free(r);
        lsql_batch_free(b);
        fx_free(x);
    }
}

/* ---- HTTP errors on the protobuf endpoints ------------------------------------------ */

static void http_errors(void **state)
{
    (void)state;
    /* a JSON Hrana error: read as one */
    fx *x = fx_new();
    fx_open(x, NULL);
    x->s.target = "execute";
    x->s.fault = F_STATUS;
    x->s.times = 1;
    x->s.status = 400;
    x->s.ctype = "application/json";
    x->s.body = "{\"message\":\"wrong number of arguments\",\"code\":\"ARGS_INVALID\"}";
    lsql_error e;
    int64_t v;
    ct_expect(LSQL_PARAM_COUNT, &e, select_one(x, &v, &e));
    assert_int_equal(e.http_status, 400);
    assert_non_null(strstr(e.message, "wrong number of arguments"));
    select_works(x);
    /* a protobuf Error body (what sqld sends on its protobuf endpoints):
     * decoded, its message told */
    static const char k_bin[] = "\x0a\x05oops!\x12\x03\xff\x00\x01";
    atomic_store(&x->s.hits, 0);
    x->s.ctype = "application/x-protobuf";
    x->s.body = k_bin;
    x->s.body_len = sizeof k_bin - 1;
    ct_expect(LSQL_HRANA_SERVER, &e, select_one(x, &v, &e));
    assert_non_null(strstr(e.message, "oops!"));
    assert_int_equal(e.http_status, 400);
    select_works(x);
    /* protobuf that is no Error (field 1 a varint): type and size only */
    static const char k_notpb[] = "\x08\x05\x10\x01";
    atomic_store(&x->s.hits, 0);
    x->s.body = k_notpb;
    x->s.body_len = sizeof k_notpb - 1;
    ct_expect(LSQL_HRANA_SERVER, &e, select_one(x, &v, &e));
    assert_non_null(strstr(e.message, "4-byte application/x-protobuf body"));
    select_works(x);
    /* another binary type: neither parsed nor quoted */
    atomic_store(&x->s.hits, 0);
    x->s.ctype = "application/octet-stream";
    x->s.body = k_bin;
    x->s.body_len = sizeof k_bin - 1;
    ct_expect(LSQL_HRANA_SERVER, &e, select_one(x, &v, &e));
    assert_non_null(strstr(e.message, "application/octet-stream"));
    assert_null(strstr(e.message, "oops"));
    select_works(x);
    x->s.ctype = "application/x-protobuf";
    /* text: quoted */
    atomic_store(&x->s.hits, 0);
    x->s.status = 500;
    x->s.ctype = "text/plain";
    x->s.body = "the disk is on fire";
    x->s.body_len = 0;
    ct_expect(LSQL_HTTP_STATUS, &e, select_one(x, &v, &e));
    assert_non_null(strstr(e.message, "the disk is on fire"));
    /* the cursor endpoint too */
    atomic_store(&x->s.hits, 0);
    x->s.target = "cursor";
    x->s.status = 400;
    x->s.ctype = "application/json";
    x->s.body = "{\"message\":\"no such table: nope\",\"code\":\"SQLITE_ERROR\"}";
    lsql_cursor *cur = NULL;
    const lsql_rowset *pg;
    ct_expect(LSQL_OK, &e, lsql_cursor_open(x->c, "SELECT x FROM nope", NULL, 0, &cur, &e));
    ct_expect(LSQL_ERROR, &e, lsql_cursor_fetch(cur, 10, &pg, &e));
    assert_non_null(strstr(e.message, "no such table"));
    assert_int_equal(e.http_status, 400);
    lsql_cursor_close(cur);
    select_works(x);
    /* a reset in the middle of an answer: a read-only request is resent */
    lsql_db_close(x->db);
    x->db = NULL;
    fx_open(x, "?timeout=1000&retries=2");
    atomic_store(&x->s.hits, 0);
    x->s.target = "execute";
    x->s.fault = F_RESET;
    x->s.times = 1;
    select_works(x);
    assert_int_equal(hits(x), 2);
    atomic_store(&x->s.hits, 0);
    ct_expect(LSQL_HTTP_IO, &e, insert_one(x, &e)); /* a write is not */
    assert_int_equal(hits(x), 1);
    fx_free(x);
}

/* sqld answers stream errors with HTTP 500 and an Error body in the
 * endpoint's encoding (protobuf on /v3-protobuf): outside a transaction the
 * request is resent on a fresh stream, inside one the transaction is lost. */
static void stream_error_500(void **state)
{
    (void)state;
    static const char k_pb[] = "\x0a\x0estream expired\x12\x0eSTREAM_EXPIRED";
    static const char k_json[] = "{\"message\":\"stream expired\",\"code\":\"STREAM_EXPIRED\"}";
    for (int pb = 0; pb < 2; pb++) {
        fx *x = fx_new();
        fx_open(x, pb ? NULL : "?timeout=1000&retries=0&encoding=json");
        in_use(x->db, 3, pb ? LSQL_HRANA_PROTOBUF : LSQL_HRANA_JSON);
        select_works(x); /* the connection has a stream now */
        x->s.target = "execute";
        x->s.fault = F_STATUS;
        x->s.times = 1;
        x->s.status = 500;
        x->s.ctype = pb ? "application/x-protobuf" : "application/json";
        x->s.body = pb ? k_pb : k_json;
        x->s.body_len = pb ? sizeof k_pb - 1 : sizeof k_json - 1;
        atomic_store(&x->s.hits, 0);
        select_works(x);
        assert_int_equal(hits(x), 2); /* the expired answer, then the resend */
        /* in a transaction: lost, until it is rolled back */
        lsql_error e;
        int64_t v;
        ct_expect(LSQL_OK, &e, lsql_exec(x->c, "BEGIN", NULL, 0, NULL, &e));
        ct_expect(LSQL_OK, &e, select_one(x, &v, &e));
        atomic_store(&x->s.hits, 0);
        ct_expect(LSQL_TXN_LOST, &e, select_one(x, &v, &e));
        assert_int_equal(hits(x), 1);
        assert_non_null(strstr(e.message, "stream expired"));
        ct_expect(LSQL_TXN_LOST, &e, select_one(x, &v, &e));
        ct_expect(LSQL_OK, &e, lsql_exec(x->c, "ROLLBACK", NULL, 0, NULL, &e));
        select_works(x);
        /* a transaction begun through a cursor (whose request carries no
         * get_autocommit): a stream error on the next cursor loses it too,
         * never a silent new stream */
        lsql_cursor *cur = NULL;
        const lsql_rowset *pg;
        ct_expect(LSQL_OK, &e, lsql_cursor_open(x->c, "BEGIN", NULL, 0, &cur, &e));
        assert_int_equal(lsql_cursor_fetch(cur, 10, &pg, &e), LSQL_DONE);
        lsql_cursor_close(cur);
        x->s.target = "cursor";
        x->s.times = 1;
        atomic_store(&x->s.hits, 0);
        ct_expect(LSQL_OK, &e, lsql_cursor_open(x->c, "SELECT x FROM t", NULL, 0, &cur, &e));
        ct_expect(LSQL_TXN_LOST, &e, lsql_cursor_fetch(cur, 10, &pg, &e));
        lsql_cursor_close(cur);
        assert_int_equal(hits(x), 1);
        ct_expect(LSQL_OK, &e, lsql_exec(x->c, "ROLLBACK", NULL, 0, NULL, &e));
        select_works(x);
        fx_free(x);
    }
}

/* ---- cursors ------------------------------------------------------------------------ */

static int read_cursor(fx *x, int64_t *rows, lsql_error *e)
{
    lsql_cursor *cur = NULL;
    int rc = lsql_cursor_open(x->c, "SELECT x FROM t", NULL, 0, &cur, e);
    if (rc)
        return rc;
    const lsql_rowset *pg;
    *rows = 0;
    while ((rc = lsql_cursor_fetch(cur, 100, &pg, e)) == LSQL_ROW) {
        for (size_t i = 0; i < lsql_rowset_count(pg); i++)
            assert_int_equal(lsql_rowset_int64(pg, i, 0), ++*rows);
    }
    if (rc == LSQL_DONE)
        lsql_error_clear(e);
    lsql_cursor_close(cur);
    return rc == LSQL_DONE ? LSQL_OK : rc;
}

static void cursor_rows(void **state)
{
    (void)state;
    static const char *const opts[] = {NULL, "?encoding=json"};
    for (size_t i = 0; i < 2; i++) {
        fx *x = fx_new();
        x->s.db.cursor_rows = 20000;
        fx_open(x, opts[i]);
        lsql_error e;
        int64_t rows = 0;
        ct_expect(LSQL_OK, &e, read_cursor(x, &rows, &e));
        assert_int_equal(rows, 20000);
        char path[64];
        fs_last_path(x->fs, path, sizeof path);
        assert_string_equal(path, i ? "/v3/cursor" : "/v3-protobuf/cursor");
        /* a statement error as a cursor entry */
        lsql_cursor *cur = NULL;
        const lsql_rowset *pg;
        ct_expect(LSQL_OK, &e, lsql_cursor_open(x->c, "SELECT 1 -- FAIL", NULL, 0, &cur, &e));
        ct_expect(LSQL_CONSTRAINT_UNIQUE, &e, lsql_cursor_fetch(cur, 10, &pg, &e));
        lsql_cursor_close(cur);
        select_works(x);
        fx_free(x);
    }
}

static void cursor_faults(void **state)
{
    (void)state;
    static const struct {
        enum fault f;
        int want;
        const char *msg;
    } cases[] = {
        {C_BIG_PREFIX, LSQL_HTTP_TOO_LARGE, "larger than the limit"},
        {C_CUT_ITEM, LSQL_HRANA_PROTOCOL, "inside an item"},
        {C_BAD_PREFIX, LSQL_HRANA_PROTOCOL, "malformed length"},
        {C_BAD_ENTRY, LSQL_HRANA_PROTOCOL, "bad entry"},
        {F_RESET, LSQL_HTTP_IO, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx *x = fx_new();
        x->s.db.cursor_rows = 50;
        fx_open(x, "?timeout=2000&retries=0&max_response=65536");
        x->s.target = "cursor";
        x->s.fault = cases[i].f;
        x->s.times = 1;
        lsql_error e;
        int64_t rows = 0;
        ct_expect(cases[i].want, &e, read_cursor(x, &rows, &e));
        if (cases[i].msg && !strstr(e.message, cases[i].msg))
            fail_msg("case %zu: '%s' lacks '%s'", i, e.message, cases[i].msg);
        assert_true(rows < 50);
        /* the connection goes on */
        ct_expect(LSQL_OK, &e, read_cursor(x, &rows, &e));
        assert_int_equal(rows, 50);
        select_works(x);
        fx_free(x);
    }
    /* a real item larger than max_response (a row with a 100 KB text) */
    fx *x = fx_new();
    x->s.db.cursor_rows = 2;
    x->s.db.cursor_text = 100000;
    fx_open(x, "?timeout=2000&retries=0&max_response=65536");
    lsql_error e;
    int64_t rows = 0;
    ct_expect(LSQL_HTTP_TOO_LARGE, &e, read_cursor(x, &rows, &e));
    x->s.db.cursor_text = 1000;
    ct_expect(LSQL_OK, &e, read_cursor(x, &rows, &e));
    assert_int_equal(rows, 2);
    fx_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(negotiates_protobuf),
        cmocka_unit_test(negotiates_json_when_no_protobuf),
        cmocka_unit_test(forced_protobuf_without_it),
        cmocka_unit_test(open_errors_do_not_fall_back),
        cmocka_unit_test(not_protobuf_answer_falls_back),
        cmocka_unit_test(invalid_options),
        cmocka_unit_test(old_struct_size),
        cmocka_unit_test(cut_at_every_byte),
        cmocka_unit_test(malformed_bytes),
        cmocka_unit_test(wrong_result_counts),
        cmocka_unit_test(batch_step_beyond),
        cmocka_unit_test(many_batch_results),
        cmocka_unit_test(batch_skipped_trailing_steps),
        cmocka_unit_test(http_errors),
        cmocka_unit_test(stream_error_500),
        cmocka_unit_test(cursor_rows),
        cmocka_unit_test(cursor_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
