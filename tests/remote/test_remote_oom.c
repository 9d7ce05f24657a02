/* test_remote_oom.c -- out of memory in REMOTE mode. The fault-injecting
 * allocator (fault_alloc.h) is lsql's allocator; lsqld runs as a separate
 * process so that only the client's allocations fail. For N = 1, 2, ... a
 * scenario runs open, connect, exec, prepare + bind + step, query + rows,
 * a statement batch, a script and a cursor, with the Nth allocation failing
 * (transient: only that one, and the failing call is then retried with
 * faults disarmed and must succeed; persistent: that one and every later
 * one, and the scenario jumps to the cleanup). Every call must give its
 * normal result or a code of class LSQL_NOMEM, and after the cleanup every
 * block is freed. The loop ends at the first N whose run hits no fault.
 * (libcurl's and jansson's own allocations do not go through lsql's
 * allocator, so they are not failed here.) The statements are idempotent:
 * a request may have run on the server before the client ran out of
 * memory reading the answer. The loops run in both encodings: the
 * negotiated one (protobuf: lsqld offers it) and JSON. */
#define LSQL_TEST_REMOTE 1
#include "coretest.h"

#include "fault_alloc.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef LSQLD_BIN
#error "LSQLD_BIN must name the lsqld binary"
#endif

static pid_t g_pid;
static int g_port;
static char g_db[1024];
static char g_url_pb[128];
static char g_url_json[160];
static const char *g_url; /* the one of the running test */

static int start_server(void **state)
{
    (void)state;
    char port_file[1100];
    snprintf(g_db, sizeof g_db, "%s", tu_db_path("remote-oom"));
    snprintf(port_file, sizeof port_file, "%s.port", g_db);
    unlink(port_file);
    g_pid = fork();
    if (g_pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        dup2(fd, 2);
        char *args[] = {LSQLD_BIN, "--db", g_db, "--listen", "127.0.0.1:0", "--port-file",
                        port_file, "--log-level", "error", NULL};
        execv(LSQLD_BIN, args);
        _exit(127);
    }
    for (int i = 0; i < 1000 && g_port <= 0; i++) {
        FILE *f = fopen(port_file, "r");
        if (f) {
            if (fscanf(f, "%d", &g_port) != 1)
                g_port = 0;
            fclose(f);
        }
        if (g_port <= 0)
            usleep(10 * 1000);
    }
    snprintf(g_url_pb, sizeof g_url_pb, "http://127.0.0.1:%d?retries=0", g_port);
    snprintf(g_url_json, sizeof g_url_json, "%s&encoding=json", g_url_pb);
    return g_port > 0 ? 0 : -1;
}

static int stop_server(void **state)
{
    (void)state;
    kill(g_pid, SIGTERM);
    waitpid(g_pid, NULL, 0);
    tu_db_remove(g_db);
    return 0;
}

typedef struct run {
    bool persistent;
    unsigned long n;
    unsigned long nomem;
} run;

/* One call: true when it gave `want` (also after a transient NOMEM, when
 * the call, run again -- no later allocation fails -- succeeded); false
 * after a NOMEM in a persistent run (the scenario must stop). */
#define CALL(r, what, want, expr)                                                        \
    (call_check((r), (what), (want), (expr), &e) ||                                      \
     ((r)->persistent ? false : (must((what), (want), (expr), &e), true)))

static bool call_check(run *r, const char *what, int want, int rc, const lsql_error *e)
{
    if (rc == want)
        return true;
    if (LSQL_CLASS(rc) != LSQL_NOMEM)
        fail_msg("OOM %s N=%lu: %s returned %s (%d), want %s or NOMEM: %s",
                 r->persistent ? "persistent" : "transient", r->n, what, lsql_errname(rc), rc,
                 lsql_errname(want), e->message);
    if (e->ext_code != rc)
        fail_msg("OOM N=%lu: %s returned %s but err holds %d", r->n, what, lsql_errname(rc),
                 e->ext_code);
    r->nomem++;
    if (getenv("LSQL_OOM_TRACE"))
        fprintf(stderr, "N=%lu %s: NOMEM\n", r->n, what);
    return false;
}

static void must(const char *what, int want, int rc, const lsql_error *e)
{
    if (rc != want)
        fail_msg("OOM: retry of %s (faults disarmed) returned %s, want %s: %s", what,
                 lsql_errname(rc), lsql_errname(want), e->message);
}

/* Binds take no lsql_error: the connection's last error is copied. */
static int bind_err(lsql_conn *c, int rc, lsql_error *e)
{
    if (rc)
        lsql_conn_error(c, e);
    else
        lsql_error_clear(e);
    return rc;
}

/* The scenario; returns when done or at the first NOMEM of a persistent run. */
static void scenario(run *r, lsql_db **dbp, lsql_conn **cp)
{
    lsql_error e;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    if (!CALL(r, "open", LSQL_OK, lsql_db_open_url(g_url, &db, &e)))
        return;
    *dbp = db;
    if (!CALL(r, "connect", LSQL_OK, lsql_db_connect(db, &c, &e)))
        return;
    *cp = c;
    if (!CALL(r, "exec", LSQL_OK,
              lsql_exec(c, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v TEXT)", NULL,
                        0, NULL, &e)))
        return;
    lsql_stmt *st = NULL;
    if (!CALL(r, "prepare", LSQL_OK,
              lsql_prepare(c, "INSERT OR REPLACE INTO t VALUES (?, ?)", -1, 0, &st, NULL, &e)))
        return;
    bool ok = CALL(r, "bind", LSQL_OK, bind_err(c, lsql_bind_int64(st, 1, 1), &e)) &&
              CALL(r, "bind_text", LSQL_OK,
                   bind_err(c, lsql_bind_text(st, 2, "one", 3, LSQL_COPY), &e)) &&
              CALL(r, "step", LSQL_DONE, lsql_step(st, &e));
    lsql_finalize(st);
    if (!ok)
        return;
    lsql_rows *rows = NULL;
    if (!CALL(r, "query", LSQL_OK, lsql_query(c, "SELECT id, v FROM t", NULL, 0, &rows, &e)))
        return;
    /* a rows handle keeps its error: after a NOMEM the query runs again */
    ok = call_check(r, "rows_next", LSQL_ROW, lsql_rows_next(rows, &e), &e);
    lsql_rows_free(rows);
    if (!ok && r->persistent)
        return;
    if (!ok) {
        must("query", LSQL_OK, lsql_query(c, "SELECT id, v FROM t", NULL, 0, &rows, &e), &e);
        must("rows_next", LSQL_ROW, lsql_rows_next(rows, &e), &e);
        lsql_rows_free(rows);
    }
    lsql_batch *b = NULL;
    if (lsql_batch_new(&b) != LSQL_OK) { /* NOMEM: no err struct here */
        r->nomem++;
        if (r->persistent)
            return;
        assert_ok(lsql_batch_new(&b));
    }
    lsql_param p[] = {{NULL, lsql_int(2)}, {NULL, lsql_text("two", 3)}};
    ok = CALL(r, "batch_add", LSQL_OK,
              lsql_batch_add(b, "INSERT OR REPLACE INTO t VALUES (?, ?)", p, 2, &e));
    lsql_batch_result *res = NULL;
    if (ok) {
        /* a failed run still hands out its result: free it before a retry */
        ok = call_check(r, "batch_run", LSQL_OK, lsql_batch_run(c, b, LSQL_BATCH_ATOMIC, &res, &e),
                        &e);
        lsql_batch_result_free(res);
        res = NULL;
        if (!ok && !r->persistent) {
            must("batch_run", LSQL_OK, lsql_batch_run(c, b, LSQL_BATCH_ATOMIC, &res, &e), &e);
            lsql_batch_result_free(res);
            res = NULL;
            ok = true;
        }
    }
    lsql_batch_free(b);
    if (!ok)
        return;
    static const char k_script[] = "UPDATE t SET v = v WHERE id = 1; SELECT count(*) FROM t";
    ok = call_check(r, "script", LSQL_OK, lsql_script_run(c, k_script, 0, &res, &e), &e);
    lsql_batch_result_free(res);
    res = NULL;
    if (!ok && r->persistent)
        return;
    if (!ok) {
        must("script", LSQL_OK, lsql_script_run(c, k_script, 0, &res, &e), &e);
        lsql_batch_result_free(res);
    }
    lsql_cursor *cur = NULL;
    if (!CALL(r, "cursor_open", LSQL_OK,
              lsql_cursor_open(c, "SELECT id FROM t ORDER BY id", NULL, 0, &cur, &e)))
        return;
    /* a cursor keeps its error too: after a NOMEM it is opened again */
    const lsql_rowset *pg;
    ok = call_check(r, "cursor_fetch", LSQL_ROW, lsql_cursor_fetch(cur, 10, &pg, &e), &e);
    lsql_cursor_close(cur);
    if (!ok && !r->persistent) {
        must("cursor_open", LSQL_OK,
             lsql_cursor_open(c, "SELECT id FROM t ORDER BY id", NULL, 0, &cur, &e), &e);
        must("cursor_fetch", LSQL_ROW, lsql_cursor_fetch(cur, 10, &pg, &e), &e);
        assert_int_equal(lsql_rowset_count(pg), 2);
        lsql_cursor_close(cur);
    }
}

static void oom_loop(bool persistent, int encoding)
{
    g_url = encoding == LSQL_HRANA_PROTOBUF ? g_url_pb : g_url_json;
    {
        /* the encoding under test is the one in use */
        lsql_db *db = ct_open_url(g_url);
        lsql_db_opts o;
        lsql_db_opts_init(&o);
        assert_ok(lsql_db_opts_get(db, &o));
        assert_int_equal(o.hrana_encoding, encoding);
        lsql_db_close(db);
    }
    unsigned long n;
    unsigned long total_nomem = 0;
    for (n = 1; n < 100000; n++) {
        run r = {.persistent = persistent, .n = n};
        long base = g_fault.live_blocks;
        lsql_db *db = NULL;
        lsql_conn *c = NULL;
        fault_arm(n, persistent);
        scenario(&r, &db, &c);
        bool hit = g_fault.hits > 0;
        fault_disarm();
        lsql_db_close(db); /* closes c too */
        if (g_fault.live_blocks != base)
            fail_msg("OOM %s N=%lu: %ld blocks leaked", persistent ? "persistent" : "transient",
                     n, g_fault.live_blocks - base);
        total_nomem += r.nomem;
        if (!hit)
            break;
    }
    printf("# %s, %s: %lu runs, %lu NOMEM results\n", persistent ? "persistent" : "transient",
           encoding == LSQL_HRANA_PROTOBUF ? "protobuf" : "JSON", n, total_nomem);
    assert_true(n > 10); /* the scenario allocates: faults were really injected */
    assert_true(total_nomem > 0);
}

static void transient(void **state)
{
    (void)state;
    oom_loop(false, LSQL_HRANA_PROTOBUF);
}

static void persistent(void **state)
{
    (void)state;
    oom_loop(true, LSQL_HRANA_PROTOBUF);
}

static void transient_json(void **state)
{
    (void)state;
    oom_loop(false, LSQL_HRANA_JSON);
}

static void persistent_json(void **state)
{
    (void)state;
    oom_loop(true, LSQL_HRANA_JSON);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    lsql_allocator a = {f_malloc, f_realloc, f_free, NULL};
    if (lsql_set_allocator(&a, NULL) != LSQL_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(transient),
        cmocka_unit_test(persistent),
        cmocka_unit_test(transient_json),
        cmocka_unit_test(persistent_json),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
