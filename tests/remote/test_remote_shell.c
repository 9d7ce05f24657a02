/* test_remote_shell.c -- the lsql shell (README's main program) against a
 * remote URL: lsqld in-process with a token, the shell binary run as a
 * child process with SQL from its arguments and from standard input. */
#include "testutil.h"

#include "../server/srv_testutil.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef LSQL_CLI_BIN
#error "LSQL_CLI_BIN must name the lsql shell binary"
#endif

/* Runs the shell with args (and `input` on stdin when not NULL), with
 * LSQL_AUTH_TOKEN = token (unset when NULL); returns the exit status and
 * its stdout+stderr in out. */
static int run_shell(char *const args[], const char *input, const char *token, char *out,
                     size_t cap)
{
    char path[1100], in_path[1100];
    snprintf(path, sizeof path, "%s.shell-out", tu_db_path("remote-shell"));
    snprintf(in_path, sizeof in_path, "%s.shell-in", tu_db_path("remote-shell"));
    if (input) {
        FILE *f = fopen(in_path, "w");
        assert_non_null(f);
        fputs(input, f);
        fclose(f);
    }
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
        int in = open(input ? in_path : "/dev/null", O_RDONLY);
        dup2(in, 0);
        close(in);
        if (token)
            setenv("LSQL_AUTH_TOKEN", token, 1);
        else
            unsetenv("LSQL_AUTH_TOKEN");
        execv(LSQL_CLI_BIN, args);
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        ;
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(out, 1, cap - 1, f) : 0;
    out[n] = 0;
    if (f)
        fclose(f);
    unlink(path);
    unlink(in_path);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void shell_against_remote_url(void **state)
{
    (void)state;
    tsrv t;
    lsqld_config cfg;
    ts_config(&cfg, &t, "remote-shell-db");
    static const char *tok = "shell-token";
    cfg.tokens[0] = tok;
    cfg.ntokens = 1;
    ts_start(&t, &cfg);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", t.port);
    char out[8192];
    /* SQL from the arguments, token from the environment */
    char *a1[] = {LSQL_CLI_BIN, "--db", url,
                  "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT); "
                  "INSERT INTO notes(body) VALUES ('hello'), ('world')",
                  "SELECT id, body FROM notes ORDER BY id", NULL};
    assert_int_equal(run_shell(a1, NULL, tok, out, sizeof out), 0);
    assert_string_equal(out, "id|body\n1|hello\n2|world\n");
    /* SQL from standard input, token in the URL */
    char url2[256];
    snprintf(url2, sizeof url2, "%s?authToken=shell-token", url);
    char *a2[] = {LSQL_CLI_BIN, "--db", url2, "--no-header", NULL};
    assert_int_equal(run_shell(a2, "SELECT count(*) FROM notes;\nSELECT 1.5, x'00ff', NULL;\n",
                               NULL, out, sizeof out),
                     0);
    assert_string_equal(out, "2\n1.5|x'00ff'|NULL\n");
    /* errors: a failing statement, a refused token */
    char *a3[] = {LSQL_CLI_BIN, "--db", url, "INSERT INTO notes(id) VALUES (1)", NULL};
    assert_int_equal(run_shell(a3, NULL, tok, out, sizeof out), 1);
    assert_non_null(strstr(out, "UNIQUE constraint failed"));
    assert_int_equal(run_shell(a1, NULL, "wrong", out, sizeof out), 1);
    assert_non_null(strstr(out, "LSQL_AUTH_REMOTE"));
    ts_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shell_against_remote_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
