/* test_remote_cursor_mem.c -- a remote cursor over 1,000,000 rows keeps
 * the client's memory flat: the peak of lsql's live allocations (counted by
 * a test allocator installed before anything else) is about the same for
 * 1,000 and for 1,000,000 rows, and the process's peak resident size grows
 * by far less than the size of the answer (about 90 MB of JSON lines, or
 * 30 MB of protobuf items) -- in both encodings: protobuf (negotiated with
 * lsqld) and JSON. lsqld runs as a separate process so that only the
 * client is measured. */
#include "testutil.h"

#include "peak_alloc.h"

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef LSQLD_BIN
#error "LSQLD_BIN must name the lsqld binary"
#endif

static peak_counter g_mem;
static pid_t g_pid;
static int g_port;
static char g_db[1024];

static bool under_asan(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return true;
#else
    return false;
#endif
#else
    return false;
#endif
}

static long vm_hwm_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long v = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6))
            v = strtol(line + 6, NULL, 10);
    fclose(f);
    return v;
}

static int start_server(void **state)
{
    (void)state;
    char port_file[1100], out[1100];
    snprintf(g_db, sizeof g_db, "%s", tu_db_path("remote-cursor-mem"));
    snprintf(port_file, sizeof port_file, "%s.port", g_db);
    snprintf(out, sizeof out, "%s.out", g_db);
    unlink(port_file);
    g_pid = fork();
    if (g_pid == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        char *args[] = {LSQLD_BIN, "--db", g_db, "--listen", "127.0.0.1:0", "--port-file",
                        port_file, "--max-response-size", "512M", "--log-level", "warn", NULL};
        execv(LSQLD_BIN, args);
        _exit(127);
    }
    if (g_pid < 0)
        return -1;
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
    return g_port > 0 ? 0 : -1;
}

static int stop_server(void **state)
{
    (void)state;
    kill(g_pid, SIGTERM);
    int st;
    waitpid(g_pid, &st, 0);
    tu_db_remove(g_db);
    return 0;
}

static const char k_gen[] =
    "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < ?1) "
    "SELECT i, printf('row-%012d', i) FROM r";

/* Peak of lsql's live bytes above the starting point while reading n rows,
 * 100 a page. */
static size_t cursor_peak(lsql_conn *c, int64_t n)
{
    size_t base = g_mem.live;
    g_mem.peak = base;
    lsql_cursor *cur;
    const lsql_rowset *pg;
    lsql_param p[] = {{NULL, lsql_int(n)}};
    lsql_error e;
    int rc = lsql_cursor_open(c, k_gen, p, 1, &cur, &e);
    if (rc)
        fail_msg("lsql_cursor_open: %s", e.message);
    int64_t rows = 0, last = 0;
    while ((rc = lsql_cursor_fetch(cur, 100, &pg, &e)) == LSQL_ROW) {
        size_t k = lsql_rowset_count(pg);
        for (size_t i = 0; i < k; i++)
            assert_int_equal(lsql_rowset_int64(pg, i, 0), ++last);
        rows += (int64_t)k;
    }
    if (rc != LSQL_DONE)
        fail_msg("lsql_cursor_fetch: %s (%s)", e.message, lsql_errname(rc));
    assert_int_equal(rows, n);
    assert_ok(lsql_cursor_close(cur));
    return g_mem.peak - base;
}

static void million_rows_in(int encoding)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", g_port,
             encoding == LSQL_HRANA_JSON ? "?encoding=json" : "");
    lsql_db *db;
    lsql_conn *c;
    lsql_error e;
    assert_ok(lsql_db_open_url(url, &db, &e));
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    assert_ok(lsql_db_opts_get(db, &o));
    assert_int_equal(o.hrana_encoding, encoding);
    assert_ok(lsql_db_connect(db, &c, &e));
    size_t small = cursor_peak(c, 1000);
    long hwm0 = vm_hwm_kib();
    size_t big = cursor_peak(c, 1000000);
    long hwm1 = vm_hwm_kib();
    printf("# %s: lsql peak: %zu bytes for 1k rows, %zu bytes for 1M rows; VmHWM +%ld KiB\n",
           encoding == LSQL_HRANA_JSON ? "JSON" : "protobuf", small, big, hwm1 - hwm0);
    lsql_db_close(db);
    /* flat: the 1M-row peak is within 64 KiB of the 1k-row peak, and the
     * whole process grew by less than a third of the answer's size (not
     * under AddressSanitizer, whose quarantine keeps freed memory resident) */
    assert_true(big <= small + 64 * 1024);
    assert_true(big < 2 * 1024 * 1024);
    if (!under_asan())
        assert_true(hwm0 > 0 && hwm1 - hwm0 < 32 * 1024);
}

static void million_rows_flat_memory(void **state)
{
    (void)state;
    million_rows_in(LSQL_HRANA_PROTOBUF);
}

static void million_rows_flat_memory_json(void **state)
{
    (void)state;
    million_rows_in(LSQL_HRANA_JSON);
}

int main(void)
{
    lsql_allocator a = peak_allocator(&g_mem);
    if (lsql_set_allocator(&a, NULL) != LSQL_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(million_rows_flat_memory),
        cmocka_unit_test(million_rows_flat_memory_json),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
