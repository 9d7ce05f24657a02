/* bench_remote -- lsql's remote mode against the raw libcurl loopback floor
 * (bench/remote/run.sh; docs/PERFORMANCE.md, section remote-bench).
 *
 *   bench_remote --impl lsql|floor --case point|batch100 --url http://127.0.0.1:PORT
 *                [--n N] [--warmup W] [--rows R] [--seed S] [--variant V] [--path P]
 *                [--encoding json|protobuf]
 *   bench_remote --info | --has-callgrind
 *   bench_remote --probe --url URL   (exit 0: remote mode works; 3: LSQL_NOTSUP_MODE)
 *
 * Cases (the same work for every implementation, also bench/remote/node_client.mjs):
 *   point     N sequential `SELECT v FROM t WHERE id = ?`, id uniform in 1..R
 *   batch100  N sequential atomic batches (BEGIN IMMEDIATE, what @libsql/client's
 *             batch(stmts, "write") does) of 100 `INSERT INTO t2(v) VALUES (?)`
 * Implementations:
 *   lsql   lsql's public API only (include/lsql.h): lsql_db_open_url, one
 *          connection; point runs two variants, `query_value` (one-shot
 *          lsql_query_value per request) and `prepared` (prepare once, then
 *          bind/step/reset per request); batch100 builds the lsql_batch (100
 *          lsql_batch_add) and runs it with LSQL_BATCH_ATOMIC|LSQL_BATCH_IMMEDIATE
 *          inside the timed loop, as a program would. The encoding is the
 *          negotiated one (protobuf when lsqld offers it) unless --encoding
 *          forces one (URL parameter encoding=; the row's variant then ends
 *          in -json or -protobuf).
 *   floor  raw libcurl: one easy handle (keep-alive), POST of the cheapest
 *          Hrana body for the same work: JSON to --path (default /v2/pipeline)
 *          or, with --encoding protobuf, protobuf to /v3-protobuf/pipeline,
 *          the whole response read and thrown away, nothing decoded. The
 *          bodies are built before the timed loop: the floor is "HTTP round
 *          trip + server work" with no client-side cost beyond libcurl.
 *
 * Output: one line per result, `RESULT {json}` with impl, case, variant, n,
 * secs, rps (requests per second: one request = one point query or one whole
 * batch), p50_us, p99_us, mean_us, max_us (per-request latency). Only the
 * loop is timed (and counted under callgrind: run as
 * valgrind --tool=callgrind --instr-atstart=no ...); opening, the warm-up
 * and building the floor's bodies are not.
 *
 * Exit status: 0 ok, 1 failure, 2 usage, 3 remote mode not available
 * (lsql_db_open_url returned LSQL_NOTSUP_MODE; the message is printed). */
#include <curl/curl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "hrana_pb.h"
#include "lsql.h"

#if defined(LSQL_BENCH_HAVE_CALLGRIND)
#include <valgrind/callgrind.h>
#define CG_START() CALLGRIND_START_INSTRUMENTATION
#define CG_STOP() CALLGRIND_STOP_INSTRUMENTATION
#define CG_AVAILABLE 1
#else
#define CG_START() ((void)0)
#define CG_STOP() ((void)0)
#define CG_AVAILABLE 0
#endif

#define NOINLINE __attribute__((noinline))

#define POINT_SQL "SELECT v FROM t WHERE id = ?"
#define INSERT_SQL "INSERT INTO t2(v) VALUES (?)"
#define BATCH_STEPS 100
#define EXIT_NOTSUP 3

/* ------------------------------------------------------------------------ */
/* Utilities                                                                */
/* ------------------------------------------------------------------------ */

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench_remote: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* user + system CPU time of this process, in ns */
static uint64_t cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
           ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* splitmix64: the same sequence on every run for a given seed. */
static uint64_t rng_state;
static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static int64_t rand_id(int64_t rows)
{
    return (int64_t)(rng_next() % (uint64_t)rows) + 1;
}

static int64_t rand_val(void)
{
    return (int64_t)(rng_next() >> 34); /* 0 .. 2^30 */
}

typedef struct bench {
    const char *impl;
    const char *cs; /* "point" | "batch100" */
    const char *variant;
    const char *url;
    const char *path; /* floor */
    const char *encoding; /* NULL (lsql: negotiated; floor: JSON), "json", "protobuf" */
    int pb;               /* floor: protobuf bodies */
    int n, warmup;
    int64_t rows;
    uint64_t *lat; /* ns per request, n entries */
    uint64_t cpu0; /* cpu_ns() when the timed loop started */
} bench;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* nearest-rank percentile of a sorted array */
static double pct_us(const uint64_t *v, int n, double p)
{
    int k = (int)((p / 100.0) * n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return (double)v[k - 1] / 1000.0;
}

static void report(bench *b, const char *variant, uint64_t total_ns, double extra_bytes)
{
    char v2[64];
    if (!strcmp(b->impl, "lsql") && b->encoding) { /* a forced encoding names the row */
        snprintf(v2, sizeof v2, "%s-%s", variant, b->encoding);
        variant = v2;
    }
    double cpu_us = (double)(cpu_ns() - b->cpu0) / 1000.0;
    int n = b->n;
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += (double)b->lat[i];
    qsort(b->lat, (size_t)n, sizeof b->lat[0], cmp_u64);
    double secs = (double)total_ns / 1e9;
    printf("RESULT {\"impl\":\"%s\",\"case\":\"%s\",\"variant\":\"%s\",\"n\":%d,"
           "\"secs\":%.6f,\"rps\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
           "\"mean_us\":%.1f,\"max_us\":%.1f,\"cpu_us\":%.2f,\"resp_bytes\":%.0f}\n",
           b->impl, b->cs, variant, n, secs, n / secs, pct_us(b->lat, n, 50),
           pct_us(b->lat, n, 99), sum / n / 1000.0, (double)b->lat[n - 1] / 1000.0,
           cpu_us / n, extra_bytes);
    fflush(stdout);
}

/* ------------------------------------------------------------------------ */
/* floor: raw libcurl                                                       */
/* ------------------------------------------------------------------------ */

typedef struct sink {
    size_t bytes; /* total received */
    char *keep;   /* when set: a copy of the body (the check request) */
    size_t keep_n, keep_cap;
} sink;

static size_t sink_write(char *p, size_t size, size_t nmemb, void *ctx)
{
    sink *s = ctx;
    size_t n = size * nmemb;
    s->bytes += n;
    if (s->keep) {
        if (s->keep_n + n + 1 > s->keep_cap) {
            size_t cap = (s->keep_n + n + 1) * 2;
            char *q = realloc(s->keep, cap);
            if (!q)
                return 0;
            s->keep = q;
            s->keep_cap = cap;
        }
        memcpy(s->keep + s->keep_n, p, n);
        s->keep_n += n;
        s->keep[s->keep_n] = 0;
    }
    return n;
}

typedef struct body {
    char *p;
    size_t n;
} body;

/* a growable string for building bodies */
typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_add(sbuf *s, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(s->p ? s->p + s->n : NULL, s->p ? s->cap - s->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0)
            die("vsnprintf failed");
        if (s->p && s->n + (size_t)k < s->cap) {
            s->n += (size_t)k;
            return;
        }
        size_t cap = (s->cap ? s->cap : 256);
        while (cap <= s->n + (size_t)k)
            cap *= 2;
        char *q = realloc(s->p, cap);
        if (!q)
            die("out of memory");
        s->p = q;
        s->cap = cap;
    }
}

/* The cheapest Hrana body for one point query: [execute, close] without a
 * baton (no named_args, want_rows defaults to true). */
static body point_body(int64_t id)
{
    sbuf s = {0};
    sb_add(&s,
           "{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"" POINT_SQL "\","
           "\"args\":[{\"type\":\"integer\",\"value\":\"%" PRId64 "\"}]}},"
           "{\"type\":\"close\"}]}",
           id);
    return (body){s.p, s.n};
}

/* The cheapest body for one atomic batch of 100 INSERTs, with the
 * transaction shape @libsql/client sends for batch(stmts, "write"): the SQL
 * stored once (store_sql) and referenced by id, BEGIN IMMEDIATE, every step
 * conditioned on the previous one, COMMIT if all succeeded, ROLLBACK
 * otherwise; no rows wanted (INSERTs return none). */
static body batch_body(void)
{
    sbuf s = {0};
    sb_add(&s, "{\"requests\":[{\"type\":\"store_sql\",\"sql_id\":1,\"sql\":\"" INSERT_SQL "\"},"
               "{\"type\":\"batch\",\"batch\":{\"steps\":["
               "{\"stmt\":{\"sql\":\"BEGIN IMMEDIATE\",\"want_rows\":false}}");
    for (int i = 1; i <= BATCH_STEPS; i++)
        sb_add(&s,
               ",{\"condition\":{\"type\":\"ok\",\"step\":%d},\"stmt\":{\"sql_id\":1,"
               "\"args\":[{\"type\":\"integer\",\"value\":\"%" PRId64 "\"}],\"want_rows\":false}}",
               i - 1, rand_val());
    sb_add(&s,
           ",{\"condition\":{\"type\":\"ok\",\"step\":%d},\"stmt\":{\"sql\":\"COMMIT\","
           "\"want_rows\":false}}"
           ",{\"condition\":{\"type\":\"not\",\"cond\":{\"type\":\"ok\",\"step\":%d}},"
           "\"stmt\":{\"sql\":\"ROLLBACK\",\"want_rows\":false}}]}},{\"type\":\"close\"}]}",
           BATCH_STEPS, BATCH_STEPS + 1);
    return (body){s.p, s.n};
}

/* The same two bodies in the Hrana 3 protobuf encoding (POST
 * /v3-protobuf/pipeline), built with the codec's encoder before the loop. */
static body pb_finish(const hrana_pipeline_req *r)
{
    hrana_buf hb;
    hrana_buf_init(&hb, 1u << 24);
    hrana_pb_encode_pipeline_req(&hb, r);
    if (!hrana_buf_ok(&hb))
        die("protobuf body: encoder overflow");
    body bd;
    bd.p = hrana_buf_detach(&hb, &bd.n);
    return bd;
}

static hrana_str str_of(const char *s)
{
    return (hrana_str){s, strlen(s)};
}

static body point_body_pb(int64_t id)
{
    lsql_value arg = lsql_int(id);
    hrana_request rq[2];
    memset(rq, 0, sizeof rq);
    rq[0].type = HRANA_REQ_EXECUTE;
    rq[0].stmt.sql = str_of(POINT_SQL);
    rq[0].stmt.args = &arg;
    rq[0].stmt.nargs = 1;
    rq[0].stmt.want_rows = 1;
    rq[1].type = HRANA_REQ_CLOSE;
    hrana_pipeline_req r = {.requests = rq, .nrequests = 2};
    return pb_finish(&r);
}

static body batch_body_pb(void)
{
    enum { N = BATCH_STEPS + 3 };
    static hrana_step steps[N];
    static hrana_cond conds[N + 1];
    static lsql_value args[N];
    memset(steps, 0, sizeof steps);
    memset(conds, 0, sizeof conds);
    for (int i = 0; i < N; i++)
        steps[i].stmt.want_rows = 1; /* the default: not written */
    steps[0].stmt.sql = str_of("BEGIN IMMEDIATE");
    for (int i = 1; i <= BATCH_STEPS + 1; i++) {
        conds[i].type = HRANA_COND_OK;
        conds[i].step = (uint32_t)(i - 1);
        steps[i].cond = &conds[i];
    }
    for (int i = 1; i <= BATCH_STEPS; i++) {
        args[i] = lsql_int(rand_val());
        steps[i].stmt.has_sql_id = 1;
        steps[i].stmt.sql_id = 1;
        steps[i].stmt.args = &args[i];
        steps[i].stmt.nargs = 1;
    }
    steps[BATCH_STEPS + 1].stmt.sql = str_of("COMMIT");
    /* ROLLBACK on not ok(COMMIT) */
    conds[N].type = HRANA_COND_OK;
    conds[N].step = BATCH_STEPS + 1;
    hrana_cond not_ok = {.type = HRANA_COND_NOT, .conds = &conds[N], .nconds = 1};
    steps[BATCH_STEPS + 2].cond = &not_ok;
    steps[BATCH_STEPS + 2].stmt.sql = str_of("ROLLBACK");
    hrana_request rq[3];
    memset(rq, 0, sizeof rq);
    rq[0].type = HRANA_REQ_STORE_SQL;
    rq[0].sql = str_of(INSERT_SQL);
    rq[0].has_sql_id = 1;
    rq[0].sql_id = 1;
    rq[1].type = HRANA_REQ_BATCH;
    rq[1].batch.steps = steps;
    rq[1].batch.nsteps = N;
    rq[2].type = HRANA_REQ_CLOSE;
    hrana_pipeline_req r = {.requests = rq, .nrequests = 3};
    return pb_finish(&r);
}

/* The floor's check of its first protobuf answer: every result ok, no step
 * error, and (point) a row. */
static void check_pb_answer(const sink *sk, int point)
{
    hrana_limits lim;
    hrana_limits_default(&lim);
    hrana_pipeline_resp r;
    hrana_status st;
    if (hrana_pb_decode_pipeline_resp(sk->keep, sk->keep_n, &lim, &r, &st) != HRANA_OK)
        die("floor: undecodable protobuf answer: %s", st.message);
    int rows = 0;
    for (size_t i = 0; i < r.nresults; i++) {
        const hrana_stream_result *res = &r.results[i];
        if (res->is_error)
            die("floor: request %zu failed: %s", i, res->error.message.p);
        if (res->response.type == HRANA_REQ_EXECUTE)
            rows += (int)res->response.stmt.nrows;
        const hrana_batch_result *br = &res->response.batch;
        if (res->response.type == HRANA_REQ_BATCH)
            for (size_t k = 0; k < br->nsteps; k++)
                if (br->step_errors[k])
                    die("floor: batch step %zu failed: %s", k, br->step_errors[k]->message.p);
    }
    if (r.nresults == 0 || (point && rows != 1))
        die("floor: unexpected protobuf answer (%zu results, %d rows)", r.nresults, rows);
    hrana_pipeline_resp_free(&r);
}

static void floor_post(CURL *h, const body *bd)
{
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, bd->p);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bd->n);
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK)
        die("floor: %s", curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200)
        die("floor: HTTP status %ld", status);
}

static NOINLINE uint64_t loop_floor(bench *b, CURL *h, const body *bodies)
{
    uint64_t t0 = now_ns(), prev = t0;
    for (int i = 0; i < b->n; i++) {
        floor_post(h, &bodies[i]);
        uint64_t t = now_ns();
        b->lat[i] = t - prev;
        prev = t;
    }
    return prev - t0;
}

static void run_floor(bench *b)
{
    int point = !strcmp(b->cs, "point");
    int total = b->n + b->warmup;
    body *bodies = malloc(sizeof *bodies * (size_t)total);
    if (!bodies)
        die("out of memory");
    for (int i = 0; i < total; i++)
        bodies[i] = b->pb ? (point ? point_body_pb(rand_id(b->rows)) : batch_body_pb())
                          : (point ? point_body(rand_id(b->rows)) : batch_body());

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        die("curl_global_init failed");
    CURL *h = curl_easy_init();
    if (!h)
        die("curl_easy_init failed");
    size_t ul = strlen(b->url), pl = strlen(b->path);
    char *full = malloc(ul + pl + 1);
    if (!full)
        die("out of memory");
    memcpy(full, b->url, ul);
    memcpy(full + ul, b->path, pl + 1);
    if (ul && full[ul - 1] == '/' && b->path[0] == '/')
        memmove(full + ul - 1, full + ul, pl + 1);
    struct curl_slist *hdr = NULL;
    hdr = curl_slist_append(hdr, b->pb ? "Content-Type: application/x-protobuf"
                                       : "Content-Type: application/json");
    hdr = curl_slist_append(hdr, "Expect:"); /* no 100-continue round trip for big bodies */
    sink sk = {0};
    curl_easy_setopt(h, CURLOPT_URL, full);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sk);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);

    /* the first warm-up request is kept and checked: a Hrana error anywhere
     * in it (a result of type "error", a step error) carries "message" */
    sk.keep = malloc(1);
    sk.keep_cap = 1;
    sk.keep[0] = 0;
    floor_post(h, &bodies[0]);
    if (b->pb) {
        check_pb_answer(&sk, point);
    } else {
        if (strstr(sk.keep, "\"message\"") || !strstr(sk.keep, "\"results\""))
            die("floor: unexpected answer: %.400s", sk.keep);
        if (point && !strstr(sk.keep, "\"rows\":[["))
            die("floor: point query found no row: %.400s", sk.keep);
    }
    free(sk.keep);
    sk.keep = NULL;
    for (int i = 1; i < b->warmup; i++)
        floor_post(h, &bodies[i]);

    sk.bytes = 0;
    b->cpu0 = cpu_ns();
    CG_START();
    uint64_t tot = loop_floor(b, h, bodies + b->warmup);
    CG_STOP();
    report(b, b->pb ? "v3-protobuf" : b->path[2] == '3' ? "v3" : "v2", tot,
           (double)sk.bytes / b->n);

    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    curl_global_cleanup();
    free(full);
    for (int i = 0; i < total; i++)
        free(bodies[i].p);
    free(bodies);
}

/* ------------------------------------------------------------------------ */
/* lsql: the public API                                                     */
/* ------------------------------------------------------------------------ */

static void lsql_die(const char *what, int rc, const lsql_error *err)
{
    die("lsql: %s: %s (%s, code %d, http %d)", what, err->message[0] ? err->message : "-",
        lsql_errstr(rc), rc, err->http_status);
}

static void point_query_value(lsql_conn *c, int64_t id)
{
    lsql_error err;
    lsql_param p = {NULL, lsql_int(id)};
    lsql_value v;
    int rc = lsql_query_value(c, POINT_SQL, &p, 1, &v, &err);
    if (rc != LSQL_OK)
        lsql_die("lsql_query_value", rc, &err);
    if (v.type != LSQL_TYPE_TEXT || v.u.bytes.n == 0)
        die("lsql: lsql_query_value gave type %d for id %" PRId64, v.type, id);
    lsql_value_release(&v);
}

static void point_prepared(lsql_stmt *st, int64_t id)
{
    lsql_error err;
    int rc = lsql_bind_int64(st, 1, id);
    if (rc != LSQL_OK)
        lsql_die("lsql_bind_int64", rc, &err);
    rc = lsql_step(st, &err);
    if (rc != LSQL_ROW)
        lsql_die("lsql_step", rc, &err);
    size_t len = 0;
    if (!lsql_column_text(st, 0, &len) || len == 0)
        die("lsql: empty column for id %" PRId64, id);
    if ((rc = lsql_reset(st)) != LSQL_OK)
        die("lsql: lsql_reset: %s", lsql_errstr(rc));
}

static void batch_once(lsql_conn *c, lsql_batch *bt)
{
    lsql_error err;
    lsql_batch_clear(bt);
    for (int k = 0; k < BATCH_STEPS; k++) {
        lsql_param p = {NULL, lsql_int(rand_val())};
        int rc = lsql_batch_add(bt, INSERT_SQL, &p, 1, &err);
        if (rc != LSQL_OK)
            lsql_die("lsql_batch_add", rc, &err);
    }
    lsql_batch_result *res = NULL;
    int rc = lsql_batch_run(c, bt, LSQL_BATCH_ATOMIC | LSQL_BATCH_IMMEDIATE, &res, &err);
    if (rc != LSQL_OK)
        lsql_die("lsql_batch_run", rc, &err);
    if (lsql_batch_result_count(res) != BATCH_STEPS)
        die("lsql: batch result has %zu steps", lsql_batch_result_count(res));
    lsql_batch_result_free(res);
}

static NOINLINE uint64_t loop_query_value(bench *b, lsql_conn *c)
{
    uint64_t t0 = now_ns(), prev = t0;
    for (int i = 0; i < b->n; i++) {
        point_query_value(c, rand_id(b->rows));
        uint64_t t = now_ns();
        b->lat[i] = t - prev;
        prev = t;
    }
    return prev - t0;
}

static NOINLINE uint64_t loop_prepared(bench *b, lsql_stmt *st)
{
    uint64_t t0 = now_ns(), prev = t0;
    for (int i = 0; i < b->n; i++) {
        point_prepared(st, rand_id(b->rows));
        uint64_t t = now_ns();
        b->lat[i] = t - prev;
        prev = t;
    }
    return prev - t0;
}

static NOINLINE uint64_t loop_batch(bench *b, lsql_conn *c, lsql_batch *bt)
{
    uint64_t t0 = now_ns(), prev = t0;
    for (int i = 0; i < b->n; i++) {
        batch_once(c, bt);
        uint64_t t = now_ns();
        b->lat[i] = t - prev;
        prev = t;
    }
    return prev - t0;
}

/* Opens the URL; on LSQL_NOTSUP_MODE prints why and exits with EXIT_NOTSUP. */
static lsql_db *open_remote(const char *url)
{
    lsql_db *db = NULL;
    lsql_error err;
    lsql_error_clear(&err);
    int rc = lsql_db_open_url(url, &db, &err);
    if (rc == LSQL_NOTSUP_MODE) {
        fprintf(stderr, "bench_remote: lsql remote mode is not available: %s (%s)\n",
                err.message[0] ? err.message : lsql_errstr(rc), lsql_errstr(rc));
        exit(EXIT_NOTSUP);
    }
    if (rc != LSQL_OK)
        lsql_die("lsql_db_open_url", rc, &err);
    return db;
}

static int want(const bench *b, const char *variant)
{
    return !strcmp(b->variant, "all") || !strcmp(b->variant, variant);
}

static void run_lsql(bench *b)
{
    char url[512];
    if (b->encoding) {
        snprintf(url, sizeof url, "%s%cencoding=%s", b->url, strchr(b->url, '?') ? '&' : '?',
                 b->encoding);
        b->url = url;
    }
    lsql_db *db = open_remote(b->url);
    lsql_conn *c = NULL;
    lsql_error err;
    int rc = lsql_db_connect(db, &c, &err);
    if (rc != LSQL_OK)
        lsql_die("lsql_db_connect", rc, &err);
    if (!strcmp(b->cs, "point")) {
        if (want(b, "query_value")) {
            for (int i = 0; i < b->warmup; i++)
                point_query_value(c, rand_id(b->rows));
            b->cpu0 = cpu_ns();
            CG_START();
            uint64_t tot = loop_query_value(b, c);
            CG_STOP();
            report(b, "query_value", tot, 0);
        }
        if (want(b, "prepared")) {
            lsql_stmt *st = NULL;
            rc = lsql_prepare(c, POINT_SQL, -1, LSQL_PREPARE_PERSISTENT, &st, NULL, &err);
            if (rc != LSQL_OK)
                lsql_die("lsql_prepare", rc, &err);
            for (int i = 0; i < b->warmup; i++)
                point_prepared(st, rand_id(b->rows));
            b->cpu0 = cpu_ns();
            CG_START();
            uint64_t tot = loop_prepared(b, st);
            CG_STOP();
            report(b, "prepared", tot, 0);
            lsql_finalize(st);
        }
    } else {
        lsql_batch *bt = NULL;
        if ((rc = lsql_batch_new(&bt)) != LSQL_OK)
            die("lsql: lsql_batch_new: %s", lsql_errstr(rc));
        for (int i = 0; i < b->warmup; i++)
            batch_once(c, bt);
        b->cpu0 = cpu_ns();
        CG_START();
        uint64_t tot = loop_batch(b, c, bt);
        CG_STOP();
        report(b, "atomic", tot, 0);
        lsql_batch_free(bt);
    }
    lsql_conn_close(c);
    lsql_db_close(db);
}

/* ------------------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_remote --impl lsql|floor --case point|batch100 --url URL\n"
            "                    [--n N] [--warmup W] [--rows R] [--seed S]\n"
            "                    [--variant all|query_value|prepared] [--path /v2/pipeline]\n"
            "                    [--encoding json|protobuf]\n"
            "       bench_remote --probe --url URL | --info | --has-callgrind\n");
    exit(2);
}

int main(int argc, char **argv)
{
    bench b;
    memset(&b, 0, sizeof b);
    b.n = 10000;
    b.warmup = -1;
    b.rows = 10000;
    b.variant = "all";
    b.path = NULL;
    uint64_t seed = 42;
    int probe = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--impl") && v) {
            b.impl = argv[++i];
        } else if (!strcmp(a, "--case") && v) {
            b.cs = argv[++i];
        } else if (!strcmp(a, "--url") && v) {
            b.url = argv[++i];
        } else if (!strcmp(a, "--path") && v) {
            b.path = argv[++i];
        } else if (!strcmp(a, "--encoding") && v) {
            b.encoding = argv[++i];
            if (strcmp(b.encoding, "json") && strcmp(b.encoding, "protobuf"))
                usage();
        } else if (!strcmp(a, "--variant") && v) {
            b.variant = argv[++i];
        } else if (!strcmp(a, "--n") && v) {
            b.n = atoi(argv[++i]);
        } else if (!strcmp(a, "--warmup") && v) {
            b.warmup = atoi(argv[++i]);
        } else if (!strcmp(a, "--rows") && v) {
            b.rows = atoll(argv[++i]);
        } else if (!strcmp(a, "--seed") && v) {
            seed = strtoull(argv[++i], NULL, 10);
        } else if (!strcmp(a, "--probe")) {
            probe = 1;
        } else if (!strcmp(a, "--has-callgrind")) {
            printf("%d\n", CG_AVAILABLE);
            return 0;
        } else if (!strcmp(a, "--info")) {
            printf("lsql_version\t%s\ncurl_version\t%s\n", lsql_libversion(), curl_version());
#if defined(__VERSION__)
            printf("compiler\t%s\n", __VERSION__);
#endif
            return 0;
        } else {
            usage();
        }
    }
    if (!b.url)
        usage();
    if (probe) {
        lsql_db *db = open_remote(b.url);
        lsql_conn *c = NULL;
        lsql_error err;
        int rc = lsql_db_connect(db, &c, &err);
        if (rc != LSQL_OK)
            lsql_die("lsql_db_connect", rc, &err);
        lsql_value v;
        rc = lsql_query_value(c, "SELECT 1", NULL, 0, &v, &err);
        if (rc != LSQL_OK)
            lsql_die("SELECT 1", rc, &err);
        lsql_conn_close(c);
        lsql_db_close(db);
        puts("ok");
        return 0;
    }
    if (!b.impl || !b.cs || b.n <= 0 || b.rows <= 0)
        usage();
    if (strcmp(b.cs, "point") && strcmp(b.cs, "batch100"))
        usage();
    if (strcmp(b.variant, "all") && strcmp(b.variant, "query_value") &&
        strcmp(b.variant, "prepared"))
        usage();
    if (b.warmup < 0)
        b.warmup = !strcmp(b.cs, "point") ? 500 : 20;
    if (b.warmup < 1)
        b.warmup = 1; /* the floor checks its first answer */
    rng_state = seed;
    b.lat = malloc(sizeof *b.lat * (size_t)b.n);
    if (!b.lat)
        die("out of memory");
    b.pb = b.encoding && !strcmp(b.encoding, "protobuf");
    if (!b.path)
        b.path = b.pb ? "/v3-protobuf/pipeline" : "/v2/pipeline";
    if (!strcmp(b.impl, "floor"))
        run_floor(&b);
    else if (!strcmp(b.impl, "lsql"))
        run_lsql(&b);
    else
        usage();
    free(b.lat);
    return 0;
}
