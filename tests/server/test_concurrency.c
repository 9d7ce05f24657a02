/* test_concurrency.c -- many streams at once: 100 concurrent write batches
 * (BEGIN IMMEDIATE, as the TypeScript client's "write" mode), 100 deferred
 * read-then-write batches and 100 autocommit writes all succeed with no
 * SQLITE_BUSY reaching the client; readers run while a writer holds its
 * transaction. Run under ThreadSanitizer by scripts/test.sh. */
#include "srv_testutil.h"

#include <pthread.h>

#define N 100

static tsrv T;

typedef struct job {
    int i;
    int mode; /* 0 immediate batch, 1 deferred batch, 2 autocommit execute, 3 sequence */
    long status;
    char error[512];
    long long sum1, sum2;
} job;

static void *worker(void *p)
{
    job *jb = p;
    char req[4096];
    int i = jb->i;
    if (jb->mode == 0 || jb->mode == 1) {
        snprintf(req, sizeof req,
                 "{\"type\":\"batch\",\"batch\":{\"steps\":["
                 "{\"stmt\":{\"sql\":\"%s\",\"want_rows\":false}},"
                 "{\"condition\":{\"type\":\"ok\",\"step\":0},\"stmt\":{\"sql\":\"SELECT count(*) FROM t1\"}},"
                 "{\"condition\":{\"type\":\"ok\",\"step\":1},\"stmt\":{\"sql\":\"INSERT INTO t1 VALUES (?)\",\"args\":[{\"type\":\"integer\",\"value\":\"%d\"}]}},"
                 "{\"condition\":{\"type\":\"ok\",\"step\":2},\"stmt\":{\"sql\":\"INSERT INTO t2 VALUES (?)\",\"args\":[{\"type\":\"integer\",\"value\":\"%d\"}]}},"
                 "{\"condition\":{\"type\":\"ok\",\"step\":3},\"stmt\":{\"sql\":\"SELECT SUM(a) FROM t1\"}},"
                 "{\"condition\":{\"type\":\"ok\",\"step\":4},\"stmt\":{\"sql\":\"SELECT SUM(a) FROM t2\"}},"
                 "{\"condition\":{\"type\":\"ok\",\"step\":5},\"stmt\":{\"sql\":\"COMMIT\",\"want_rows\":false}},"
                 "{\"condition\":{\"type\":\"not\",\"cond\":{\"type\":\"ok\",\"step\":6}},\"stmt\":{\"sql\":\"ROLLBACK\",\"want_rows\":false}}"
                 "]}},{\"type\":\"close\"}",
                 jb->mode == 0 ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED", i, i * 10);
    } else if (jb->mode == 2) {
        snprintf(req, sizeof req,
                 "{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO t3 VALUES (?)\","
                 "\"args\":[{\"type\":\"integer\",\"value\":\"%d\"}]}},{\"type\":\"close\"}", i);
    } else {
        snprintf(req, sizeof req,
                 "{\"type\":\"sequence\",\"sql\":\"BEGIN; SELECT count(*) FROM t4; "
                 "INSERT INTO t4 VALUES (%d); COMMIT;\"},{\"type\":\"close\"}", i);
    }
    json_t *j = ts_pipeline(&T, NULL, req, &jb->status);
    json_t *r0 = jget(j, "results[0]");
    const char *type = json_string_value(jget(r0, "type"));
    if (!type || strcmp(type, "ok")) {
        snprintf(jb->error, sizeof jb->error, "%s", jb->status == 200 ? "request error" : "http");
        char *d = json_dumps(j, JSON_COMPACT);
        snprintf(jb->error, sizeof jb->error, "%.500s", d);
        free(d);
    } else if (jb->mode <= 1) {
        json_t *errs = jget(r0, "response.result.step_errors");
        for (size_t k = 0; k < json_array_size(errs); k++)
            if (!json_is_null(json_array_get(errs, k))) {
                char *d = json_dumps(json_array_get(errs, k), JSON_COMPACT);
                snprintf(jb->error, sizeof jb->error, "step %zu: %.480s", k, d);
                free(d);
                break;
            }
        json_t *s1 = jget(r0, "response.result.step_results[4].rows[0][0].value");
        json_t *s2 = jget(r0, "response.result.step_results[5].rows[0][0].value");
        if (!jb->error[0] && json_is_string(s1) && json_is_string(s2)) {
            jb->sum1 = atoll(json_string_value(s1));
            jb->sum2 = atoll(json_string_value(s2));
        } else if (!jb->error[0]) {
            snprintf(jb->error, sizeof jb->error, "missing sums");
        }
    }
    json_decref(j);
    return NULL;
}

static void run_all(int mode)
{
    pthread_t th[N];
    job jobs[N];
    for (int i = 0; i < N; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].i = i;
        jobs[i].mode = mode;
        if (pthread_create(&th[i], NULL, worker, &jobs[i]) != 0)
            fail_msg("pthread_create %d", i);
    }
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < N; i++) {
        if (jobs[i].status != 200 || jobs[i].error[0])
            fail_msg("mode %d job %d: status %ld %s", mode, i, jobs[i].status, jobs[i].error);
        if (mode <= 1 && jobs[i].sum2 != jobs[i].sum1 * 10)
            fail_msg("job %d: sums %lld / %lld: not one transaction", i, jobs[i].sum1,
                     jobs[i].sum2);
    }
}

static void expect_sum(const char *table, long long want)
{
    char stmt[128];
    snprintf(stmt, sizeof stmt, "{\"sql\":\"SELECT SUM(a), count(*) FROM %s\"}", table);
    json_t *j = ts_exec(&T, stmt);
    const char *got = jstr(j, "results[0].response.result.rows[0][0].value");
    if (atoll(got) != want)
        fail_msg("%s: sum %s, want %lld", table, got, want);
    json_decref(j);
}

static int setup(void **state)
{
    (void)state;
    lsqld_config c;
    ts_config(&c, &T, "concurrency");
    c.writer_timeout_ms = 60000; /* the test must not depend on speed */
    ts_start(&T, &c);
    ts_sql(&T, "CREATE TABLE t1(a)");
    ts_sql(&T, "CREATE TABLE t2(a)");
    ts_sql(&T, "CREATE TABLE t3(a)");
    ts_sql(&T, "CREATE TABLE t4(a)");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_stop(&T);
    return 0;
}

static void test_immediate_batches(void **state)
{
    (void)state;
    ts_sql(&T, "DELETE FROM t1");
    ts_sql(&T, "DELETE FROM t2");
    run_all(0);
    expect_sum("t1", N * (N - 1) / 2);
    expect_sum("t2", N * (N - 1) / 2 * 10);
}

static void test_deferred_batches(void **state)
{
    (void)state;
    ts_sql(&T, "DELETE FROM t1");
    ts_sql(&T, "DELETE FROM t2");
    run_all(1);
    expect_sum("t1", N * (N - 1) / 2);
    expect_sum("t2", N * (N - 1) / 2 * 10);
}

static void test_autocommit_writes(void **state)
{
    (void)state;
    run_all(2);
    expect_sum("t3", N * (N - 1) / 2);
}

static void test_sequences(void **state)
{
    (void)state;
    run_all(3);
    expect_sum("t4", N * (N - 1) / 2);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_immediate_batches),
        cmocka_unit_test(test_deferred_batches),
        cmocka_unit_test(test_autocommit_writes),
        cmocka_unit_test(test_sequences),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
