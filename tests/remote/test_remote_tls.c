/* test_remote_tls.c -- TLS of remote mode against `openssl s_server` with a
 * fresh self-signed certificate for 127.0.0.1: verification is on by
 * default (an untrusted certificate is LSQL_HTTP_TLS, not retryable), a CA
 * file that holds the certificate makes it trusted (tls_ca_file and the
 * ca_file URL option), and LSQL_DB_TLS_NO_VERIFY turns verification off.
 * s_server answers GET /v3 with a file (the version probe passes) but is no
 * libSQL server, so a trusted connection then fails with a non-TLS error. */
#define LSQL_TEST_REMOTE 1
#include "coretest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static char g_dir[1100];
static pid_t g_pid;
static int g_port;

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) ||
        getsockname(fd, (struct sockaddr *)&a, &len))
        return -1;
    close(fd);
    return ntohs(a.sin_port);
}

/* Can a TCP connection be made to the port yet? */
static bool listening(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static int start_tls_server(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "%s.tls", tu_db_path("remote-tls"));
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && mkdir -p '%s' && cd '%s' && echo ok > v3 && "
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem "
             "-days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
             ">/dev/null 2>&1",
             g_dir, g_dir, g_dir);
    if (sh(cmd) != 0) {
        fprintf(stderr, "cannot create a certificate with openssl\n");
        return -1;
    }
    for (int attempt = 0; attempt < 5 && !g_port; attempt++) {
        int port = free_port();
        g_pid = fork();
        if (g_pid == 0) {
            if (chdir(g_dir))
                _exit(127);
            freopen("/dev/null", "w", stdout);
            freopen("/dev/null", "w", stderr);
            char accept[64];
            snprintf(accept, sizeof accept, "127.0.0.1:%d", port);
            execlp("openssl", "openssl", "s_server", "-quiet", "-accept", accept, "-cert",
                   "cert.pem", "-key", "key.pem", "-WWW", (char *)NULL);
            _exit(127);
        }
        for (int i = 0; i < 500 && !listening(port); i++)
            usleep(10 * 1000);
        if (listening(port))
            g_port = port;
        else {
            kill(g_pid, SIGTERM);
            waitpid(g_pid, NULL, 0);
        }
    }
    return g_port ? 0 : -1;
}

static int stop_tls_server(void **state)
{
    (void)state;
    kill(g_pid, SIGTERM);
    waitpid(g_pid, NULL, 0);
    char cmd[1300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    sh(cmd);
    return 0;
}

static int open_with(const char *url, unsigned flags, const char *ca, lsql_error *e)
{
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.mode = LSQL_MODE_REMOTE;
    o.url = url;
    o.flags = flags;
    o.tls_ca_file = ca;
    o.retry_max = -1;
    o.request_timeout_ms = 1000; /* s_server never answers a POST */
    lsql_db *db = NULL;
    ct_err_garbage(e);
    int rc = lsql_db_open(&o, &db, e);
    ct_check_err(rc, e);
    lsql_db_close(db);
    return rc;
}

static void verification(void **state)
{
    (void)state;
    char url[256], ca[1300];
    snprintf(url, sizeof url, "https://127.0.0.1:%d", g_port);
    snprintf(ca, sizeof ca, "%s/cert.pem", g_dir);
    lsql_error e;
    /* on by default: a self-signed certificate is refused */
    int rc = open_with(url, 0, NULL, &e);
    assert_int_equal(rc, LSQL_HTTP_TLS);
    assert_false(e.flags & LSQL_ERRF_RETRYABLE);
    assert_int_equal(e.http_status, 0);
    /* trusted through a CA file: TLS passes, then the server is no libSQL
     * server (a non-TLS error) */
    rc = open_with(url, 0, ca, &e);
    assert_int_not_equal(rc, LSQL_HTTP_TLS);
    assert_true(LSQL_CLASS(rc) == LSQL_HTTP || LSQL_CLASS(rc) == LSQL_HRANA);
    char url2[1600];
    snprintf(url2, sizeof url2, "%s?ca_file=%s", url, ca);
    rc = open_with(url2, 0, NULL, &e);
    assert_int_not_equal(rc, LSQL_HTTP_TLS);
    /* verification off */
    rc = open_with(url, LSQL_DB_TLS_NO_VERIFY, NULL, &e);
    assert_int_not_equal(rc, LSQL_HTTP_TLS);
    assert_true(LSQL_CLASS(rc) == LSQL_HTTP || LSQL_CLASS(rc) == LSQL_HRANA);
    /* plain http to a TLS port is not TLS either: a clean HTTP error */
    snprintf(url, sizeof url, "http://127.0.0.1:%d?retries=0", g_port);
    rc = open_with(url, 0, NULL, &e);
    assert_true(LSQL_CLASS(rc) == LSQL_HTTP || LSQL_CLASS(rc) == LSQL_HRANA);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(verification),
    };
    return cmocka_run_group_tests(tests, start_tls_server, stop_tls_server);
}
