/* test_cli.c -- the lsqld command: --help, bad flags, the refusal to serve
 * a non-loopback address without auth, --listen 127.0.0.1:0 with
 * --port-file, graceful shutdown on SIGTERM/SIGINT (a request in flight
 * finishes, open transactions roll back). */
#include "srv_testutil.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#ifndef LSQLD_BIN
#error "LSQLD_BIN must name the lsqld binary"
#endif

/* Runs lsqld with args; stdout+stderr go to `out`. Returns the pid. */
static pid_t spawn(char *const args[], const char *out)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(LSQLD_BIN, args);
        _exit(127);
    }
    return pid;
}

static int wait_exit(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char *slurp(const char *path)
{
    static char buf[8192];
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return buf;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static void paths(char *out, char *db, char *port, const char *name)
{
    snprintf(db, 1024, "%s", tu_db_path(name));
    snprintf(out, 1100, "%s.out", db);
    snprintf(port, 1100, "%s.port", db);
    unlink(port);
}

static void test_help_and_errors(void **state)
{
    (void)state;
    char out[1100], db[1024], port[1100];
    paths(out, db, port, "cli-help");
    char *help[] = {LSQLD_BIN, "--help", NULL};
    assert_int_equal(wait_exit(spawn(help, out)), 0);
    assert_non_null(strstr(slurp(out), "usage: lsqld"));
    char *version[] = {LSQLD_BIN, "--version", NULL};
    assert_int_equal(wait_exit(spawn(version, out)), 0);
    assert_non_null(strstr(slurp(out), LSQLD_VERSION));
    char *bad[] = {LSQLD_BIN, "--no-such-flag", NULL};
    assert_int_equal(wait_exit(spawn(bad, out)), 2);
    assert_non_null(strstr(slurp(out), "--no-such-flag"));
    /* refused before anything is bound */
    char *open_net[] = {LSQLD_BIN, "--db", db, "--listen", "0.0.0.0:0", NULL};
    assert_int_equal(wait_exit(spawn(open_net, out)), 1);
    assert_non_null(strstr(slurp(out), "--insecure-no-auth"));
    char *bad_db[] = {LSQLD_BIN, "--db", "/nonexistent-dir/x.db", "--listen", "127.0.0.1:0", NULL};
    assert_int_equal(wait_exit(spawn(bad_db, out)), 1);
    assert_non_null(strstr(slurp(out), "cannot open database"));
    unlink(out);
}

static int read_port(const char *path)
{
    for (int i = 0; i < 10000; i++) { /* bounded: 10 s */
        FILE *f = fopen(path, "r");
        if (f) {
            int p = 0;
            int ok = fscanf(f, "%d", &p) == 1;
            fclose(f);
            if (ok && p > 0)
                return p;
        }
        usleep(1000);
    }
    fail_msg("no port file %s", path);
    return -1;
}

/* Requests waiting for the write lock. */
static long waiting(int port)
{
    tresp r;
    ts_http(port, "GET", "/metrics", NULL, 0, NULL, &r);
    static const char key[] = "\nlsqld_writer_waiting ";
    const char *p = strstr(r.body, key);
    long v = p ? strtol(p + sizeof key - 1, NULL, 10) : -1;
    ts_free(&r);
    return v;
}

typedef struct inflight {
    int port;
    char baton[128];
    long status;
    json_t *j;
} inflight;

static void *inflight_main(void *p)
{
    inflight *f = p;
    f->j = ts_pipeline_v(f->port, "/v2/pipeline", NULL, NULL,
                         "{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO t VALUES (2)\"}},"
                         "{\"type\":\"close\"}",
                         &f->status);
    return NULL;
}

static void graceful(int sig)
{
    char out[1100], db[1024], port_file[1100];
    paths(out, db, port_file, sig == SIGTERM ? "cli-term" : "cli-int");
    char *args[] = {LSQLD_BIN, "--db", db, "--listen", "127.0.0.1:0", "--port-file", port_file,
                    "--writer-timeout", "1", "--log-level", "debug", NULL};
    pid_t pid = spawn(args, out);
    int port = read_port(port_file);
    tresp r;
    ts_http(port, "GET", "/health", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    ts_free(&r);
    long st;
    json_t *j = ts_pipeline_v(port, "/v2/pipeline", NULL, NULL,
                              "{\"type\":\"sequence\",\"sql\":\"CREATE TABLE t(a)\"},"
                              "{\"type\":\"execute\",\"stmt\":{\"sql\":\"BEGIN IMMEDIATE\"}},"
                              "{\"type\":\"execute\",\"stmt\":{\"sql\":\"INSERT INTO t VALUES (1)\"}}",
                              &st);
    assert_int_equal(st, 200);
    json_decref(j);
    /* a request waiting for the write lock is in flight when the signal comes */
    inflight f = {.port = port};
    pthread_t th;
    pthread_create(&th, NULL, inflight_main, &f);
    int i;
    for (i = 0; i < 10000 && waiting(port) < 1; i++)
        usleep(1000);
    assert_true(i < 10000);
    kill(pid, sig);
    pthread_join(th, NULL);
    /* it got a whole answer: the lock wait ended (busy), not the connection */
    assert_int_equal(f.status, 200);
    assert_string_equal(jstr(f.j, "results[0].error.code"), "SQLITE_BUSY");
    json_decref(f.j);
    assert_int_equal(wait_exit(pid), 0);
    const char *log = slurp(out);
    assert_non_null(strstr(log, "shutting down"));
    assert_non_null(strstr(log, "rolling back"));
    assert_int_equal(access(port_file, F_OK), -1); /* removed on exit */
    /* the open transaction was rolled back */
    lsql_db *d;
    lsql_error err;
    assert_ok(lsql_db_open_url(db, &d, &err));
    lsql_conn *c;
    assert_ok(lsql_db_connect(d, &c, &err));
    int64_t n = -1;
    assert_ok(lsql_query_int64(c, "SELECT count(*) FROM t", NULL, 0, &n, &err));
    assert_int_equal(n, 0);
    lsql_db_close(d);
    tu_db_remove(db);
    unlink(out);
}

static void test_sigterm(void **state)
{
    (void)state;
    graceful(SIGTERM);
}

static void test_sigint(void **state)
{
    (void)state;
    graceful(SIGINT);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_and_errors),
        cmocka_unit_test(test_sigterm),
        cmocka_unit_test(test_sigint),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
