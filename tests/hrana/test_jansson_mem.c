/* test_jansson_mem.c -- jansson's memory during a decode (src/hrana/decode.c):
 * the decoders give jansson a thread-local arena for the tree they parse and
 * drop, through json_set_alloc_funcs, behaving as malloc/free everywhere
 * else. Checks: the functions are installed by the first decode and behave
 * as malloc/free for the application's own jansson use; decodes of every
 * kind and size (over the arena's body limit too, failures included) give
 * the same results, from many threads at once; and in a process whose
 * application set its own jansson functions first, those are kept and every
 * allocation of a decode is freed (test_jansson_mem_own). Leaks and misuse
 * are caught by the sanitizer builds. */
#include "hrana_testutil.h"

#include <jansson.h>
#include <pthread.h>

static const char k_resp[] =
    "{\"baton\":\"b\",\"base_url\":null,\"results\":[{\"type\":\"ok\",\"response\":{\"type\":"
    "\"execute\",\"result\":{\"cols\":[{\"name\":\"v\",\"decltype\":\"TEXT\"}],\"rows\":[[{"
    "\"type\":\"text\",\"value\":\"value-1\"}]],\"affected_row_count\":0,\"last_insert_rowid\":"
    "null}}},{\"type\":\"ok\",\"response\":{\"type\":\"get_autocommit\",\"is_autocommit\":"
    "true}}]}";

/* A batch request of n steps, each on ok(the one before) (malloc'd). */
static char *batch_req(size_t n, size_t *len)
{
    size_t cap = 256 + n * 160, l = 0;
    char *p = malloc(cap);
    l += (size_t)snprintf(p + l, cap - l, "%s",
                          "{\"baton\":null,\"requests\":[{\"type\":\"batch\",\"batch\":"
                          "{\"steps\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            l += (size_t)snprintf(p + l, cap - l,
                                  ",{\"condition\":{\"type\":\"ok\",\"step\":%zu},", i - 1);
        else
            l += (size_t)snprintf(p + l, cap - l, "{");
        l += (size_t)snprintf(p + l, cap - l,
                              "\"stmt\":{\"sql\":\"INSERT INTO t VALUES (?)\",\"args\":[{\"type\":"
                              "\"integer\",\"value\":\"%zu\"}]}}",
                              i);
    }
    l += (size_t)snprintf(p + l, cap - l, "]}}]}");
    *len = l;
    return p;
}

static void check_resp(void)
{
    hrana_limits l = ht_limits();
    hrana_pipeline_resp r;
    hrana_status st;
    assert_int_equal(hrana_decode_pipeline_resp(k_resp, strlen(k_resp), &l, &r, &st), HRANA_OK);
    assert_int_equal(r.nresults, 2);
    const hrana_stmt_result *s = &r.results[0].response.stmt;
    assert_int_equal(s->nrows, 1);
    assert_memory_equal(s->rows[0].u.bytes.p, "value-1", 7);
    assert_true(r.results[1].response.is_autocommit);
    hrana_pipeline_resp_free(&r);
}

static void check_batch(size_t n)
{
    hrana_limits l = ht_limits();
    l.max_body = 64u << 20;
    size_t len;
    char *body = batch_req(n, &len);
    hrana_pipeline_req r;
    hrana_status st;
    assert_int_equal(hrana_decode_pipeline_req(body, len, &l, &r, &st), HRANA_OK);
    assert_int_equal(r.requests[0].batch.nsteps, n);
    const hrana_step *last = &r.requests[0].batch.steps[n - 1];
    assert_int_equal(last->stmt.args[0].u.i, (int64_t)(n - 1));
    if (n > 1)
        assert_int_equal(last->cond->step, n - 2);
    hrana_pipeline_req_free(&r);
    free(body);
}

static void check_failures(void)
{
    hrana_limits l = ht_limits();
    hrana_pipeline_req r;
    hrana_status st;
    static const char *const bad[] = {
        "{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"x\",\"sql_id\":1}}]}",
        "{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"x\"}}",
        "[1, 2, 3]",
        "{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"x\",\"sql\":\"y\"}}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_not_equal(hrana_decode_pipeline_req(bad[i], strlen(bad[i]), &l, &r, &st),
                             HRANA_OK);
}

static void installed_and_transparent(void **state)
{
    (void)state;
    check_resp();
    json_malloc_t m;
    json_free_t f;
    json_get_alloc_funcs(&m, &f);
    assert_true(m != malloc && f != free); /* the decoders' functions */
    /* the application's own jansson use, between decodes */
    json_t *keep = json_pack("{s:s, s:[i, i]}", "a", "b", "c", 1, 2);
    assert_non_null(keep);
    check_batch(100);
    check_failures();
    json_t *more = json_deep_copy(keep);
    check_resp();
    assert_true(json_equal(keep, more));
    char *dump = json_dumps(more, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(dump, "{\"a\":\"b\",\"c\":[1,2]}");
    free(dump);
    json_decref(keep);
    json_decref(more);
}

static void sizes(void **state)
{
    (void)state;
    /* one step to past the arena's body limit (parsed as usual there), and
     * back: the kept block grows and the results stay right */
    static const size_t ns[] = {1, 10, 100, 1000, 3000, 10000, 100, 1};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
        check_batch(ns[i]);
    check_resp();
}

static void *worker(void *arg)
{
    size_t k = (size_t)(uintptr_t)arg;
    for (int i = 0; i < 200; i++) {
        check_resp();
        check_batch(1 + (k * 37 + (size_t)i) % 150);
        if (i % 50 == 0)
            check_failures();
        json_t *j = json_integer(i); /* plain jansson use in the same thread */
        json_decref(j);
    }
    return NULL;
}

static void threads(void **state)
{
    (void)state;
    pthread_t th[8];
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i), 0);
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(installed_and_transparent),
        cmocka_unit_test(sizes),
        cmocka_unit_test(threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
