/* test_log.c -- lsql_set_log: SQLite's log reaches the callback when the
 * callback is installed before initialisation. A failed prepare is logged by
 * SQLite with SQLITE_ERROR, which lsql forwards at LSQL_LOG_DEBUG (it is
 * returned to the caller anyway): delivered when the maximum level is DEBUG,
 * filtered out below it, and nothing at all once logging is disabled.
 * A process of its own: the log hook is installed at initialisation. */
#include "testutil.h"

#define MAX_MSGS 64

typedef struct {
    int n;
    int level[MAX_MSGS];
    char msg[MAX_MSGS][512];
    void *ctx_seen;
} log_capture;

static log_capture g_log;
static int g_ctx_tag;

static void log_cb(int level, const char *msg, void *ctx)
{
    g_log.ctx_seen = ctx;
    if (g_log.n < MAX_MSGS) {
        g_log.level[g_log.n] = level;
        snprintf(g_log.msg[g_log.n], sizeof g_log.msg[0], "%s", msg ? msg : "(null)");
    }
    g_log.n++;
}

static void log_reset(void) { memset(&g_log, 0, sizeof g_log); }

/* Number of captured messages at `level` whose text contains `needle`. */
static int count_msgs(int level, const char *needle)
{
    int k = 0;
    for (int i = 0; i < g_log.n && i < MAX_MSGS; i++)
        if ((level == 0 || g_log.level[i] == level) && strstr(g_log.msg[i], needle))
            k++;
    return k;
}

static lsql_db *g_db;
static lsql_conn *g_conn;

/* A prepare that fails with a syntax error; the SQL text is unique to the
 * caller so its log line can be recognised. */
static void failed_prepare(const char *sql)
{
    lsql_stmt *st = NULL;
    lsql_error err;
    assert_rc(LSQL_ERROR, lsql_prepare(g_conn, sql, -1, 0, &st, NULL, &err));
    assert_null(st);
}

/* Runs before anything else in the process. */
static void test_bad_level(void **state)
{
    (void)state;
    assert_rc(LSQL_INVALID_ARG, lsql_set_log(log_cb, 0, NULL));
    assert_rc(LSQL_INVALID_ARG, lsql_set_log(log_cb, LSQL_LOG_DEBUG + 1, NULL));
    assert_rc(LSQL_INVALID_ARG, lsql_set_log(log_cb, -1, NULL));
    assert_rc(LSQL_INVALID_ARG, lsql_set_log(log_cb, 1000, NULL));
    /* the valid levels */
    assert_ok(lsql_set_log(log_cb, LSQL_LOG_ERROR, &g_ctx_tag));
    assert_ok(lsql_set_log(log_cb, LSQL_LOG_WARN, &g_ctx_tag));
    assert_ok(lsql_set_log(log_cb, LSQL_LOG_INFO, &g_ctx_tag));
    /* DEBUG, before initialisation: SQLite's log is forwarded */
    assert_ok(lsql_set_log(log_cb, LSQL_LOG_DEBUG, &g_ctx_tag));
}

static void test_failed_prepare_logged_at_debug(void **state)
{
    (void)state;
    tu_open_memory(&g_db, &g_conn);
    log_reset();
    failed_prepare("SELEC 'first probe'");
    if (count_msgs(LSQL_LOG_DEBUG, "first probe") < 1) {
        for (int i = 0; i < g_log.n && i < MAX_MSGS; i++)
            print_message("log[%d] level %d: %s\n", i, g_log.level[i], g_log.msg[i]);
        fail_msg("no DEBUG log message for the failed prepare (%d messages)", g_log.n);
    }
    assert_ptr_equal(g_log.ctx_seen, &g_ctx_tag);
    /* the message says what went wrong */
    assert_true(count_msgs(LSQL_LOG_DEBUG, "syntax error") >= 1);
}

/* A rejected lsql_set_log changes nothing: still DEBUG, same ctx. */
static void test_rejected_call_keeps_setting(void **state)
{
    (void)state;
    assert_rc(LSQL_INVALID_ARG, lsql_set_log(log_cb, 9, NULL));
    log_reset();
    failed_prepare("SELEC 'second probe'");
    assert_true(count_msgs(LSQL_LOG_DEBUG, "second probe") >= 1);
    assert_ptr_equal(g_log.ctx_seen, &g_ctx_tag);
}

/* Below DEBUG the failed prepare is filtered out, and nothing more verbose
 * than the maximum level is ever delivered. */
static void test_filtered_below_debug(void **state)
{
    (void)state;
    for (int max = LSQL_LOG_ERROR; max <= LSQL_LOG_INFO; max++) {
        assert_ok(lsql_set_log(log_cb, max, &g_ctx_tag));
        log_reset();
        failed_prepare("SELEC 'third probe'");
        assert_int_equal(count_msgs(0, "third probe"), 0);
        for (int i = 0; i < g_log.n && i < MAX_MSGS; i++)
            assert_true(g_log.level[i] <= max);
    }
}

/* Disabled: the callback is never called. */
static void test_disabled(void **state)
{
    (void)state;
    assert_ok(lsql_set_log(NULL, 0, NULL));
    log_reset();
    failed_prepare("SELEC 'fourth probe'");
    tu_exec(g_conn, "CREATE TABLE t(x)");
    lsql_error err;
    assert_rc(LSQL_ERROR, lsql_exec(g_conn, "INSERT INTO no_such_table VALUES (1)", NULL, 0,
                                    NULL, &err));
    assert_int_equal(g_log.n, 0);
    assert_ok(lsql_db_close(g_db));
    assert_int_equal(g_log.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_level),
        cmocka_unit_test(test_failed_prepare_logged_at_debug),
        cmocka_unit_test(test_rejected_call_keeps_setting),
        cmocka_unit_test(test_filtered_below_debug),
        cmocka_unit_test(test_disabled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
