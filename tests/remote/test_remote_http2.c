/* test_remote_http2.c -- remote mode over HTTP/2, end to end: an lsqld
 * started in-process, and in front of it a real HTTP/2 reverse proxy,
 * nghttpx (Debian package nghttp2-proxy, installed by scripts/deps.sh
 * test): TLS with a self-signed certificate for 127.0.0.1 made at test time
 * (ALPN h2 and http/1.1), HTTP/1.1 to lsqld. A second, clear-text front of
 * the same nghttpx speaks HTTP/1.1 and h2c.
 *
 * With http2=on (or LSQL_DB_HTTP2) and the test CA, lsql runs queries with
 * parameters, a transaction across requests (seen by its own connection,
 * not by another one until the commit; a rolled-back one), batches (an
 * atomic one, one that fails and is rolled back) and streamed cursors of
 * 20,000 rows (about 2 MB: the transfer is paused and resumed many times),
 * read whole, closed early and interleaved with another request on the
 * same connection, in both encodings (protobuf, negotiated, and
 * encoding=json). nghttpx's access log, which records the ALPN and HTTP
 * version of every request, proves what was spoken: every request of an
 * http2=on database is HTTP/2 (h2), every request of the same database
 * without it HTTP/1.1, and http2=on over clear text stays HTTP/1.1
 * (CURL_HTTP_VERSION_2TLS: no h2c upgrade).
 *
 * nghttpx missing is a failure, not a skip: scripts/deps.sh installs it. */
#define LSQL_TEST_REMOTE 1
#include "coretest.h"

#include "server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define CURSOR_ROWS 20000
#define TEXT_LEN 100

static struct {
    char err[2048];       /* why the front is not there ("" when it is) */
    char dir[1100];       /* certificate, logs */
    char db[1200];        /* lsqld's database */
    char ca[1200];        /* the certificate, as CA file */
    char log[1200];       /* nghttpx's access log */
    char errlog[1200];    /* nghttpx's error log */
    char nghttpx[1100];   /* path of the binary */
    lsqld_server *srv;
    pid_t pid;
    int tls_port, plain_port;
    size_t log_off;       /* bytes of the access log already looked at */
} g;

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
    int port = -1;
    if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof a) &&
        !getsockname(fd, (struct sockaddr *)&a, &len))
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
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

/* nghttpx on PATH, or in the sbin directories (Debian installs it in
 * /usr/sbin, which a non-root PATH may lack). */
static bool find_nghttpx(void)
{
    const char *path = getenv("PATH");
    char dirs[4096];
    snprintf(dirs, sizeof dirs, "%s:/usr/sbin:/usr/local/sbin:/sbin", path ? path : "");
    for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(g.nghttpx, sizeof g.nghttpx, "%s/nghttpx", *d ? d : ".");
        if (access(g.nghttpx, X_OK) == 0)
            return true;
    }
    g.nghttpx[0] = 0;
    return false;
}

/* The last line of nghttpx's error log, for messages. */
static const char *errlog_tail(char *buf, size_t cap)
{
    buf[0] = 0;
    FILE *f = fopen(g.errlog, "r");
    if (!f)
        return buf;
    char line[512];
    while (fgets(line, sizeof line, f))
        if (line[0] && line[0] != '\n')
            snprintf(buf, cap, "%s", line);
    fclose(f);
    size_t n = strlen(buf);
    if (n && buf[n - 1] == '\n')
        buf[n - 1] = 0;
    return buf;
}

static void stop_front(void)
{
    if (g.pid > 0) {
        kill(g.pid, SIGTERM);
        waitpid(g.pid, NULL, 0);
        g.pid = 0;
    }
}

/* Starts nghttpx: a TLS front (h2, http/1.1) on tls_port and a clear-text
 * one on plain_port, both to lsqld. */
static bool start_front(int backend)
{
    char tail[512];
    for (int attempt = 0; attempt < 5; attempt++) {
        int tp = free_port(), pp = free_port();
        if (tp < 0 || pp < 0 || tp == pp)
            continue;
        char f1[64], f2[64], b[64], al[1300], el[1300];
        snprintf(f1, sizeof f1, "--frontend=127.0.0.1,%d", tp);
        snprintf(f2, sizeof f2, "--frontend=127.0.0.1,%d;no-tls", pp);
        snprintf(b, sizeof b, "--backend=127.0.0.1,%d", backend);
        snprintf(al, sizeof al, "--accesslog-file=%s", g.log);
        snprintf(el, sizeof el, "--errorlog-file=%s", g.errlog);
        unlink(g.log);
        pid_t pid = fork();
        if (pid < 0)
            break;
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the test */
            if (chdir(g.dir))
                _exit(127);
            if (!freopen("/dev/null", "r", stdin) || !freopen("nghttpx.out", "w", stdout) ||
                !freopen("nghttpx.out", "a", stderr))
                _exit(127);
            /* --conf=/dev/null: not the package's /etc/nghttpx/nghttpx.conf */
            execl(g.nghttpx, "nghttpx", "--conf=/dev/null", f1, f2, b, "--workers=1",
                  "--no-ocsp", al, el, "--accesslog-write-early",
                  "--accesslog-format=$alpn $protocol_version $method $path $status",
                  "key.pem", "cert.pem", (char *)NULL);
            _exit(127);
        }
        g.pid = pid;
        bool up = false, died = false;
        for (int i = 0; i < 500 && !up && !died; i++) {
            up = listening(tp) && listening(pp);
            if (!up) {
                died = waitpid(pid, NULL, WNOHANG) == pid;
                if (!died)
                    usleep(10 * 1000);
            }
        }
        if (up) {
            g.tls_port = tp;
            g.plain_port = pp;
            return true;
        }
        if (died)
            g.pid = 0;
        stop_front();
        snprintf(g.err, sizeof g.err, "nghttpx (%s) did not start: %s", g.nghttpx,
                 errlog_tail(tail, sizeof tail));
    }
    if (!g.err[0])
        snprintf(g.err, sizeof g.err, "nghttpx (%s) could not be started", g.nghttpx);
    return false;
}

static int setup(void **state)
{
    (void)state;
    g.err[0] = 0;
    snprintf(g.dir, sizeof g.dir, "%s.h2", tu_db_path("remote-http2"));
    snprintf(g.ca, sizeof g.ca, "%s/cert.pem", g.dir);
    snprintf(g.log, sizeof g.log, "%s/access.log", g.dir);
    snprintf(g.errlog, sizeof g.errlog, "%s/error.log", g.dir);
    snprintf(g.db, sizeof g.db, "%s/lsqld.db", g.dir);
    if (!find_nghttpx()) {
        snprintf(g.err, sizeof g.err,
                 "nghttpx is not installed: this test needs the HTTP/2 reverse proxy of "
                 "Debian's package nghttp2-proxy (scripts/deps.sh test installs it)");
        return 0;
    }
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && mkdir -p '%s' && cd '%s' && "
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
             "-keyout key.pem -out cert.pem -days 1 -subj /CN=127.0.0.1 "
             "-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
             g.dir, g.dir, g.dir);
    if (sh(cmd) != 0) {
        snprintf(g.err, sizeof g.err, "cannot create a certificate with openssl in %s", g.dir);
        return 0;
    }
    lsqld_config cfg;
    lsqld_config_defaults(&cfg);
    cfg.listen = "127.0.0.1:0";
    cfg.db_path = g.db;
    cfg.shutdown_timeout_ms = 2000;
    char err[512];
    if (lsqld_start(&cfg, &g.srv, err, sizeof err)) {
        snprintf(g.err, sizeof g.err, "lsqld_start: %s", err);
        return 0;
    }
    start_front(lsqld_port(g.srv));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    stop_front();
    if (g.srv)
        lsqld_stop(g.srv);
    g.srv = NULL;
    if (g.dir[0]) {
        char cmd[1300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", g.dir);
        sh(cmd);
    }
    return 0;
}

static void need_front(void)
{
    if (g.err[0])
        fail_msg("%s", g.err);
}

/* ---- the access log ------------------------------------------------------ */

typedef struct logcount {
    int lines;
    int h2;      /* "h2 HTTP/2 ..." */
    int h1;      /* "http/1.1 HTTP/1.1 ..." */
    int cursor;  /* requests for /v3/cursor or /v3-protobuf/cursor */
    int bad;     /* status other than 200 */
    char first_h2[256], first_h1[256], first_other[256]; /* the first line of each */
} logcount;

/* Counts the access log's lines written since the last call. nghttpx
 * writes a line as soon as the backend's answer head arrives
 * (--accesslog-write-early), before it forwards the answer, so every
 * request lsql has finished is there. */
static logcount log_since(void)
{
    logcount c;
    memset(&c, 0, sizeof c);
    FILE *f = fopen(g.log, "r");
    if (!f)
        fail_msg("cannot read nghttpx's access log %s", g.log);
    if (fseek(f, (long)g.log_off, SEEK_SET))
        fail_msg("fseek %s", g.log);
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        if (!n || line[n - 1] != '\n')
            break; /* a partial line: never with write-early, but not counted */
        g.log_off += n;
        line[n - 1] = 0;
        c.lines++;
        char alpn[64] = "", ver[64] = "", method[16] = "", path[512] = "";
        int status = 0;
        if (sscanf(line, "%63s %63s %15s %511s %d", alpn, ver, method, path, &status) != 5)
            fail_msg("access log line not understood: \"%s\"", line);
        char *first;
        if (!strcmp(alpn, "h2") && !strcmp(ver, "HTTP/2"))
            c.h2++, first = c.first_h2;
        else if (!strcmp(alpn, "http/1.1") && !strcmp(ver, "HTTP/1.1"))
            c.h1++, first = c.first_h1;
        else
            first = c.first_other;
        if (!first[0])
            snprintf(first, sizeof c.first_other, "%.*s", (int)sizeof c.first_other - 1, line);
        if (strstr(path, "/cursor"))
            c.cursor++;
        if (status != 200)
            c.bad++;
    }
    fclose(f);
    return c;
}

/* Every request since the last look was HTTP/2 (want_h2) or HTTP/1.1, at
 * least min_lines of them, min_cursor cursor requests, all answered 200. */
static void expect_log(bool want_h2, int min_lines, int min_cursor, const char *what)
{
    logcount c = log_since();
    if (c.lines < min_lines)
        fail_msg("%s: nghttpx logged %d requests, want at least %d", what, c.lines, min_lines);
    const char *other = c.first_other[0] ? c.first_other : want_h2 ? c.first_h1 : c.first_h2;
    if (want_h2 && c.h2 != c.lines)
        fail_msg("%s: %d of %d requests were HTTP/2 (h2), want all; first other: \"%s\"", what,
                 c.h2, c.lines, other);
    if (!want_h2 && c.h1 != c.lines)
        fail_msg("%s: %d of %d requests were HTTP/1.1, want all; first other: \"%s\"", what,
                 c.h1, c.lines, other);
    if (c.cursor < min_cursor)
        fail_msg("%s: %d cursor requests logged, want at least %d", what, c.cursor, min_cursor);
    if (c.bad)
        fail_msg("%s: %d requests were not answered 200", what, c.bad);
}

/* ---- the work ------------------------------------------------------------ */

static lsql_db *open_url(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static lsql_db *open_url(const char *fmt, ...)
{
    char url[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(url, sizeof url, fmt, ap);
    va_end(ap);
    return ct_open_url(url);
}

static void check_encoding(lsql_db *db, int want)
{
    lsql_db_opts got;
    lsql_db_opts_init(&got);
    assert_ok(lsql_db_opts_get(db, &got));
    assert_int_equal(got.hrana_version, 3);
    assert_int_equal(got.hrana_encoding, want);
}

static void exec_ok(lsql_conn *c, const char *sql, const lsql_param *p, size_t np)
{
    lsql_error e;
    int rc = lsql_exec(c, sql, p, np, NULL, &e);
    if (rc != LSQL_OK)
        fail_msg("exec '%s': %s (%s)", sql, e.message, lsql_errname(rc));
}

static void want_text(const char *s, size_t n, int64_t i)
{
    char want[TEXT_LEN + 1];
    snprintf(want, sizeof want, "%0*lld", TEXT_LEN, (long long)i);
    if (!s || n != TEXT_LEN || memcmp(s, want, n))
        fail_msg("row %lld: text \"%.*s\" (%zu bytes), want \"%s\"", (long long)i,
                 s ? (int)(n > 120 ? 120 : n) : 0, s ? s : "", n, want);
}

#define CURSOR_SQL                                                             \
    "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?) " \
    "SELECT i, printf('%0100d', i) FROM s"

/* Reads `cur` in pages of `page` rows from row `next` on, checking each
 * row; stops after `max` rows (or at the end). Returns the next row's i. */
static int64_t read_cursor(lsql_cursor *cur, int64_t next, size_t page, int64_t max)
{
    lsql_error e;
    int64_t got = 0;
    while (got < max) {
        const lsql_rowset *rs = NULL;
        int rc = lsql_cursor_fetch(cur, page, &rs, &e);
        if (rc == LSQL_DONE)
            break;
        if (rc != LSQL_ROW)
            fail_msg("cursor_fetch at row %lld: %s (%s)", (long long)next, e.message,
                     lsql_errname(rc));
        assert_int_equal(lsql_rowset_column_count(rs), 2);
        size_t n = lsql_rowset_count(rs);
        assert_true(n > 0 && n <= page);
        for (size_t r = 0; r < n; r++, next++, got++) {
            if (lsql_rowset_int64(rs, r, 0) != next)
                fail_msg("cursor row %lld: i = %lld", (long long)next,
                         (long long)lsql_rowset_int64(rs, r, 0));
            size_t len = 0;
            const char *t = lsql_rowset_text(rs, r, 1, &len);
            want_text(t, len, next);
        }
    }
    return next;
}

static lsql_cursor *open_cursor(lsql_conn *c, int64_t rows)
{
    lsql_param p = {NULL, lsql_int(rows)};
    lsql_cursor *cur = NULL;
    lsql_error e;
    int rc = lsql_cursor_open(c, CURSOR_SQL, &p, 1, &cur, &e);
    if (rc != LSQL_OK)
        fail_msg("cursor_open: %s (%s)", e.message, lsql_errname(rc));
    return cur;
}

/* Queries, a transaction across requests, batches, cursors; `tag` names
 * the table (each run has its own). Returns the number of cursors opened. */
static int workload(lsql_db *db, const char *tag)
{
    lsql_conn *c1 = ct_connect(db), *c2 = ct_connect(db);
    lsql_error e;
    char sql[256];
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS t_%s", tag);
    exec_ok(c1, sql, NULL, 0);
    snprintf(sql, sizeof sql, "CREATE TABLE t_%s(id INTEGER PRIMARY KEY, v TEXT NOT NULL)", tag);
    exec_ok(c1, sql, NULL, 0);

    /* a query with parameters */
    char ins[128], cnt[128];
    snprintf(ins, sizeof ins, "INSERT INTO t_%s(id, v) VALUES (?, ?)", tag);
    snprintf(cnt, sizeof cnt, "SELECT count(*) FROM t_%s", tag);
    lsql_param p[2] = {{NULL, lsql_int(1)}, {NULL, lsql_text_z("one")}};
    exec_ok(c1, ins, p, 2);
    char buf[64];
    snprintf(sql, sizeof sql, "SELECT v FROM t_%s WHERE id = 1", tag);
    assert_string_equal(ct_text(c2, sql, buf, sizeof buf), "one");

    /* a transaction across requests: its own connection sees it, another
     * one does not until the commit */
    lsql_txn *txn = NULL;
    assert_ok(lsql_begin(c1, LSQL_BEGIN_IMMEDIATE, &txn, &e));
    for (int i = 2; i <= 4; i++) {
        p[0].value = lsql_int(i);
        p[1].value = lsql_text_z("txn");
        exec_ok(c1, ins, p, 2);
        assert_int_equal(ct_int(c1, cnt), i);
    }
    assert_int_equal(ct_int(c2, cnt), 1);
    assert_ok(lsql_commit(c1, txn, &e));
    lsql_txn_free(txn);
    assert_int_equal(ct_int(c2, cnt), 4);
    /* and one rolled back */
    txn = NULL;
    assert_ok(lsql_begin(c1, LSQL_BEGIN_DEFERRED, &txn, &e));
    p[0].value = lsql_int(5);
    exec_ok(c1, ins, p, 2);
    assert_int_equal(ct_int(c1, cnt), 5);
    assert_ok(lsql_rollback(c1, txn, &e));
    lsql_txn_free(txn);
    assert_int_equal(ct_int(c1, cnt), 4);

    /* an atomic batch, then one that fails at its second step and is
     * rolled back whole */
    lsql_batch *b = NULL;
    assert_ok(lsql_batch_new(&b));
    snprintf(sql, sizeof sql, "INSERT INTO t_%s(id, v) VALUES (10, 'b10')", tag);
    assert_ok(lsql_batch_add(b, sql, NULL, 0, &e));
    snprintf(sql, sizeof sql, "INSERT INTO t_%s(id, v) VALUES (11, 'b11')", tag);
    assert_ok(lsql_batch_add(b, sql, NULL, 0, &e));
    assert_ok(lsql_batch_add(b, cnt, NULL, 0, &e));
    lsql_batch_result *r = NULL;
    int rc = lsql_batch_run(c1, b, LSQL_BATCH_ATOMIC, &r, &e);
    if (rc != LSQL_OK)
        fail_msg("batch: %s (%s)", e.message, lsql_errname(rc));
    assert_int_equal(lsql_batch_result_count(r), 3);
    lsql_step_result st;
    memset(&st, 0, sizeof st);
    st.struct_size = sizeof st;
    assert_ok(lsql_batch_result_step(r, 2, &st));
    assert_non_null(st.rows);
    assert_int_equal(lsql_rowset_int64(st.rows, 0, 0), 6);
    lsql_batch_result_free(r);
    lsql_batch_clear(b);
    snprintf(sql, sizeof sql, "INSERT INTO t_%s(id, v) VALUES (12, 'b12')", tag);
    assert_ok(lsql_batch_add(b, sql, NULL, 0, &e));
    snprintf(sql, sizeof sql, "INSERT INTO t_%s(id, v) VALUES (1, 'dup')", tag);
    assert_ok(lsql_batch_add(b, sql, NULL, 0, &e));
    r = NULL;
    rc = lsql_batch_run(c1, b, LSQL_BATCH_ATOMIC, &r, &e);
    assert_int_equal(LSQL_CLASS(rc), LSQL_CONSTRAINT);
    assert_int_equal(lsql_batch_result_failed_step(r), 1);
    lsql_batch_result_free(r);
    lsql_batch_free(b);
    assert_int_equal(ct_int(c2, cnt), 6);

    /* a cursor read whole (about 2 MB: paused and resumed many times) */
    lsql_cursor *cur = open_cursor(c1, CURSOR_ROWS);
    assert_int_equal(read_cursor(cur, 1, 500, INT64_MAX), CURSOR_ROWS + 1);
    assert_int_equal(lsql_cursor_rows_read(cur), CURSOR_ROWS);
    lsql_cursor_close(cur);
    /* closed early, its transfer cut: the connection goes on */
    cur = open_cursor(c1, CURSOR_ROWS);
    assert_int_equal(read_cursor(cur, 1, 100, 100), 101);
    lsql_cursor_close(cur);
    assert_int_equal(ct_int(c1, cnt), 6);
    /* another request on the connection while a cursor streams (the rest
     * is read first), and one on another connection */
    cur = open_cursor(c1, CURSOR_ROWS);
    int64_t next = read_cursor(cur, 1, 1000, 1000);
    assert_int_equal(ct_int(c2, cnt), 6);
    assert_int_equal(ct_int(c1, cnt), 6);
    assert_int_equal(read_cursor(cur, next, 1000, INT64_MAX), CURSOR_ROWS + 1);
    lsql_cursor_close(cur);
    /* a cursor inside a transaction sees its writes */
    txn = NULL;
    assert_ok(lsql_begin(c2, LSQL_BEGIN_IMMEDIATE, &txn, &e));
    snprintf(sql, sizeof sql, "DELETE FROM t_%s WHERE id >= 10", tag);
    exec_ok(c2, sql, NULL, 0);
    snprintf(sql, sizeof sql, "SELECT id FROM t_%s ORDER BY id", tag);
    cur = NULL;
    assert_ok(lsql_cursor_open(c2, sql, NULL, 0, &cur, &e));
    const lsql_rowset *rs = NULL;
    assert_int_equal(lsql_cursor_fetch(cur, 100, &rs, &e), LSQL_ROW);
    assert_int_equal(lsql_rowset_count(rs), 4);
    assert_int_equal(lsql_rowset_int64(rs, 3, 0), 4);
    assert_int_equal(lsql_cursor_fetch(cur, 100, &rs, &e), LSQL_DONE);
    lsql_cursor_close(cur);
    assert_ok(lsql_commit(c2, txn, &e));
    lsql_txn_free(txn);
    assert_int_equal(ct_int(c1, cnt), 4);

    assert_ok(lsql_conn_close(c1));
    assert_ok(lsql_conn_close(c2));
    return 4;
}

/* ---- tests --------------------------------------------------------------- */

/* http2=on, both encodings: everything works and every request is h2. */
static void http2_protobuf(void **state)
{
    (void)state;
    need_front();
    log_since(); /* what came before */
    lsql_db *db = open_url("https://127.0.0.1:%d?http2=on&ca_file=%s", g.tls_port, g.ca);
    check_encoding(db, LSQL_HRANA_PROTOBUF);
    int cursors = workload(db, "pb");
    assert_ok(lsql_db_close(db));
    expect_log(true, 30, cursors, "http2=on, protobuf");
}

static void http2_json(void **state)
{
    (void)state;
    need_front();
    log_since();
    lsql_db *db = open_url("https://127.0.0.1:%d?http2=on&encoding=json&ca_file=%s", g.tls_port,
                           g.ca);
    check_encoding(db, LSQL_HRANA_JSON);
    int cursors = workload(db, "json");
    assert_ok(lsql_db_close(db));
    expect_log(true, 30, cursors, "http2=on, encoding=json");
}

/* The flag of the options struct is the same as the URL option. */
static void http2_flag(void **state)
{
    (void)state;
    need_front();
    log_since();
    char url[64];
    snprintf(url, sizeof url, "https://127.0.0.1:%d", g.tls_port);
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.mode = LSQL_MODE_REMOTE;
    o.url = url;
    o.flags = LSQL_DB_HTTP2;
    o.tls_ca_file = g.ca;
    lsql_db *db = ct_open(&o);
    lsql_conn *c = ct_connect(db);
    assert_int_equal(ct_int(c, "SELECT 6 * 7"), 42);
    lsql_cursor *cur = open_cursor(c, 3000);
    assert_int_equal(read_cursor(cur, 1, 250, INT64_MAX), 3001);
    lsql_cursor_close(cur);
    assert_ok(lsql_db_close(db));
    expect_log(true, 3, 1, "LSQL_DB_HTTP2");
}

/* Without http2=on the same TLS front is spoken to with HTTP/1.1 (it offers
 * h2: lsql does not ask for it). */
static void http1_without_flag(void **state)
{
    (void)state;
    need_front();
    log_since();
    lsql_db *db = open_url("https://127.0.0.1:%d?ca_file=%s", g.tls_port, g.ca);
    check_encoding(db, LSQL_HRANA_PROTOBUF);
    int cursors = workload(db, "h1");
    assert_ok(lsql_db_close(db));
    expect_log(false, 30, cursors, "no http2=on");
}

/* http2=on over clear text stays HTTP/1.1: the front would speak h2c, lsql
 * does not ask for it. */
static void http2_clear_text_is_http1(void **state)
{
    (void)state;
    need_front();
    log_since();
    lsql_db *db = open_url("http://127.0.0.1:%d?http2=on", g.plain_port);
    lsql_conn *c = ct_connect(db);
    assert_int_equal(ct_int(c, "SELECT 6 * 7"), 42);
    lsql_cursor *cur = open_cursor(c, 3000);
    assert_int_equal(read_cursor(cur, 1, 250, INT64_MAX), 3001);
    lsql_cursor_close(cur);
    assert_ok(lsql_db_close(db));
    expect_log(false, 3, 1, "http2=on over http://");
}

/* The test CA is needed: without it the front's certificate is refused,
 * HTTP/2 or not (the TLS handshake comes first). */
static void http2_verifies_certificate(void **state)
{
    (void)state;
    need_front();
    char url[128];
    snprintf(url, sizeof url, "https://127.0.0.1:%d?http2=on&retries=0", g.tls_port);
    lsql_db *db = NULL;
    lsql_error e;
    int rc = lsql_db_open_url(url, &db, &e);
    assert_null(db);
    assert_int_equal(rc, LSQL_HTTP_TLS);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(http2_protobuf),
        cmocka_unit_test(http2_json),
        cmocka_unit_test(http2_flag),
        cmocka_unit_test(http1_without_flag),
        cmocka_unit_test(http2_clear_text_is_http1),
        cmocka_unit_test(http2_verifies_certificate),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
