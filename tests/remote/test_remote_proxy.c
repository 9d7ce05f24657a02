/* test_remote_proxy.c -- remote mode through an HTTP proxy named by the
 * environment (libcurl's default: http_proxy, no_proxy), end to end.
 *
 * The test runs a minimal forwarding proxy in a thread (one thread per
 * client connection): it reads a request head, refuses (400) any request
 * whose target is not in absolute form for the origin
 * http://some-name.invalid:1234 -- a name that does not resolve, so only a
 * proxy can reach it --, rewrites it to origin form and forwards it to an
 * lsqld started in-process (Connection: close upstream), then relays the
 * answer (keeping the client's connection alive when the answer has a
 * length or is chunked). It counts what it forwarded and what it refused.
 *
 * With http_proxy (and HTTP_PROXY alike) pointing at it, lsql opens
 * http://some-name.invalid:1234 and runs queries, a transaction across
 * requests, a batch and a streamed cursor, in both encodings: every request
 * goes through the proxy. With no_proxy=127.0.0.1, http://127.0.0.1:PORT
 * is reached directly (the proxy sees nothing); without no_proxy the same
 * URL goes to the proxy (which refuses it: proof that no_proxy made the
 * difference). The environment is process-wide: it is set only here,
 * before each open, and restored after each test. */
#define LSQL_TEST_REMOTE 1
#include "coretest.h"

#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define ORIGIN_HOST "some-name.invalid:1234"
#define ORIGIN "http://" ORIGIN_HOST
#define MAX_CONNS 64
#define HEAD_MAX 65536

/* ---- the proxy ----------------------------------------------------------- */

typedef struct pconn {
    pthread_t th;
    int cfd; /* client; -1 once closed */
    int ufd; /* upstream; -1 when none */
} pconn;

static struct {
    int upstream_port; /* lsqld */
    int lfd, port;
    int wake[2];
    pthread_t acceptor;
    pthread_mutex_t mu;
    pconn conns[MAX_CONNS];
    int nconns;
    /* counters, under mu */
    int connections; /* client connections accepted */
    int forwarded;   /* requests forwarded to lsqld */
    int refused;     /* requests not for ORIGIN in absolute form, or malformed */
    int bad_host;    /* forwarded requests whose Host was not ORIGIN_HOST */
    int upstream_failed; /* lsqld could not be reached */
    char last_refused[256];
} P;

static lsqld_server *g_srv;
static char g_db[1024];

static void count(int *what)
{
    pthread_mutex_lock(&P.mu);
    (*what)++;
    pthread_mutex_unlock(&P.mu);
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static ssize_t read_some(int fd, char *p, size_t n)
{
    for (;;) {
        ssize_t r = recv(fd, p, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        return r;
    }
}

static const char *find_crlf2(const char *p, size_t n)
{
    for (size_t i = 0; i + 4 <= n; i++)
        if (!memcmp(p + i, "\r\n\r\n", 4))
            return p + i;
    return NULL;
}

/* Reads until buf[0..*have) holds a whole head; its length (with the blank
 * line) in *head. false at EOF, on an error, or when it does not fit. */
static bool read_head(int fd, char *buf, size_t cap, size_t *have, size_t *head)
{
    for (;;) {
        const char *e = find_crlf2(buf, *have);
        if (e) {
            *head = (size_t)(e - buf) + 4;
            return true;
        }
        if (*have == cap)
            return false;
        ssize_t r = read_some(fd, buf + *have, cap - *have);
        if (r <= 0)
            return false;
        *have += (size_t)r;
    }
}

/* The header line [p, end) named `name` (case-insensitive)? */
static bool is_header(const char *p, const char *end, const char *name)
{
    size_t k = strlen(name);
    return (size_t)(end - p) > k && p[k] == ':' && !strncasecmp(p, name, k);
}

/* The value of a header line, blanks trimmed, into out. */
static void header_value(const char *p, const char *end, char *out, size_t cap)
{
    const char *v = memchr(p, ':', (size_t)(end - p));
    v = v ? v + 1 : end;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    const char *e = end;
    while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    snprintf(out, cap, "%.*s", (int)(e - v), v);
}

static void refuse(int cfd, const char *line, size_t n)
{
    pthread_mutex_lock(&P.mu);
    P.refused++;
    snprintf(P.last_refused, sizeof P.last_refused, "%.*s", (int)(n > 200 ? 200 : n), line);
    pthread_mutex_unlock(&P.mu);
    static const char ans[] =
        "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    write_all(cfd, ans, sizeof ans - 1);
}

/* The head and the body go out in separate writes: without this, Nagle's
 * algorithm holds the second one for the peer's delayed ACK (40 ms). */
static void no_delay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int connect_upstream(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)P.upstream_port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
        no_delay(fd);
        return fd;
    }
    if (fd >= 0)
        close(fd);
    return -1;
}

static void set_ufd(pconn *pc, int fd)
{
    pthread_mutex_lock(&P.mu);
    pc->ufd = fd;
    pthread_mutex_unlock(&P.mu);
}

/* Relays lsqld's answer on ufd to the client. The answer ends when lsqld
 * closes (it was asked to). Returns false when the client connection must
 * be closed (the answer is delimited by the close, or a failure). */
static bool relay_answer(int ufd, int cfd)
{
    char *buf = malloc(HEAD_MAX + 1), *out = malloc(HEAD_MAX + 64);
    bool keep = false;
    size_t have = 0, head = 0;
    if (!buf || !out || !read_head(ufd, buf, HEAD_MAX, &have, &head))
        goto done;
    buf[have] = 0; /* the head has no NUL (a body may): strstr stays in it */
    if (memchr(buf, 0, head))
        goto done;
    /* status line as is; Connection / Keep-Alive dropped; the framing
     * decides whether the client's connection can go on */
    const char *p = buf, *end = buf + head - 2;
    const char *eol = strstr(p, "\r\n");
    int status = 0;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
        goto done;
    size_t o = 0;
    memcpy(out, p, (size_t)(eol + 2 - p));
    o += (size_t)(eol + 2 - p);
    bool framed = (status >= 100 && status < 200) || status == 204 || status == 304;
    for (p = eol + 2; p < end; p = eol + 2) {
        eol = strstr(p, "\r\n");
        if (is_header(p, eol, "connection") || is_header(p, eol, "keep-alive"))
            continue;
        if (is_header(p, eol, "content-length"))
            framed = true;
        if (is_header(p, eol, "transfer-encoding")) {
            char v[64];
            header_value(p, eol, v, sizeof v);
            if (!strcasecmp(v, "chunked"))
                framed = true;
        }
        memcpy(out + o, p, (size_t)(eol + 2 - p));
        o += (size_t)(eol + 2 - p);
    }
    if (!framed) {
        memcpy(out + o, "Connection: close\r\n", 19);
        o += 19;
    }
    memcpy(out + o, "\r\n", 2);
    o += 2;
    if (!write_all(cfd, out, o) || !write_all(cfd, buf + head, have - head))
        goto done;
    for (;;) {
        ssize_t r = read_some(ufd, buf, HEAD_MAX);
        if (r < 0)
            goto done;
        if (r == 0)
            break;
        if (!write_all(cfd, buf, (size_t)r))
            goto done;
    }
    keep = framed;
done:
    free(buf);
    free(out);
    return keep;
}

/* One request whose head is buf[0..head) (of `have` bytes read). false:
 * close the client connection. */
static bool forward(pconn *pc, char *buf, size_t head, size_t *have)
{
    int cfd = pc->cfd;
    const char *eol = strstr(buf, "\r\n");
    char method[16], target[2048], version[16];
    if (sscanf(buf, "%15s %2047s %15s", method, target, version) != 3 ||
        strncmp(version, "HTTP/1.", 7) != 0) {
        refuse(cfd, buf, (size_t)(eol - buf));
        return false;
    }
    /* the request target must be in absolute form, for the origin */
    size_t ol = strlen(ORIGIN);
    if (strncasecmp(target, ORIGIN, ol) != 0 || target[ol] != '/') {
        refuse(cfd, buf, (size_t)(eol - buf));
        return false;
    }
    char *up = malloc(HEAD_MAX + 256);
    if (!up)
        return false;
    int n = snprintf(up, HEAD_MAX, "%s %s %s\r\n", method, target + ol, version);
    size_t o = (size_t)n;
    long long body = 0;
    bool host_ok = false, ok = false;
    const char *end = buf + head - 2;
    for (const char *p = eol + 2; p < end; p = eol + 2) {
        eol = strstr(p, "\r\n");
        char v[256];
        if (is_header(p, eol, "proxy-connection") || is_header(p, eol, "connection") ||
            is_header(p, eol, "keep-alive") || is_header(p, eol, "proxy-authorization"))
            continue;
        if (is_header(p, eol, "transfer-encoding")) { /* not needed: lsql sends lengths */
            refuse(cfd, p, (size_t)(eol - p));
            goto out;
        }
        if (is_header(p, eol, "content-length")) {
            header_value(p, eol, v, sizeof v);
            char *e;
            body = strtoll(v, &e, 10);
            if (*e || body < 0) {
                refuse(cfd, p, (size_t)(eol - p));
                goto out;
            }
        }
        if (is_header(p, eol, "host")) {
            header_value(p, eol, v, sizeof v);
            host_ok = !strcasecmp(v, ORIGIN_HOST);
        }
        memcpy(up + o, p, (size_t)(eol + 2 - p));
        o += (size_t)(eol + 2 - p);
    }
    memcpy(up + o, "Connection: close\r\n\r\n", 21);
    o += 21;
    int ufd = connect_upstream();
    if (ufd < 0) {
        count(&P.upstream_failed);
        goto out;
    }
    set_ufd(pc, ufd);
    count(&P.forwarded);
    if (!host_ok)
        count(&P.bad_host);
    /* the body: what came with the head, then the rest */
    size_t extra = *have - head;
    size_t now = extra < (unsigned long long)body ? extra : (size_t)body;
    bool sent = write_all(ufd, up, o) && write_all(ufd, buf + head, now);
    long long left = body - (long long)now;
    /* bytes after the body (a pipelined request) stay for the next round */
    memmove(buf, buf + head + now, extra - now);
    *have = extra - now;
    while (sent && left > 0) {
        char chunk[16384];
        ssize_t r = read_some(cfd, chunk, left < (long long)sizeof chunk ? (size_t)left
                                                                         : sizeof chunk);
        sent = r > 0 && write_all(ufd, chunk, (size_t)r);
        left -= r > 0 ? r : 0;
    }
    ok = sent && relay_answer(ufd, cfd);
    set_ufd(pc, -1);
    close(ufd);
out:
    free(up);
    return ok;
}

static void *conn_main(void *arg)
{
    pconn *pc = arg;
    char *buf = malloc(HEAD_MAX + 1);
    size_t have = 0, head = 0;
    while (buf && read_head(pc->cfd, buf, HEAD_MAX, &have, &head)) {
        buf[have] = 0; /* strstr/sscanf stop at the end of what was read */
        if (memchr(buf, 0, head)) {
            refuse(pc->cfd, "(NUL in the head)", 17);
            break;
        }
        if (!forward(pc, buf, head, &have))
            break;
    }
    free(buf);
    pthread_mutex_lock(&P.mu);
    int fd = pc->cfd;
    pc->cfd = -1;
    pthread_mutex_unlock(&P.mu);
    close(fd);
    return NULL;
}

static void *acceptor_main(void *arg)
{
    (void)arg;
    for (;;) {
        struct pollfd pf[2] = {{P.lfd, POLLIN, 0}, {P.wake[0], POLLIN, 0}};
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pf[1].revents)
            break;
        int fd = accept(P.lfd, NULL, NULL);
        if (fd < 0)
            continue;
        no_delay(fd);
        pthread_mutex_lock(&P.mu);
        if (P.nconns == MAX_CONNS) {
            pthread_mutex_unlock(&P.mu);
            close(fd);
            continue;
        }
        pconn *pc = &P.conns[P.nconns];
        pc->cfd = fd;
        pc->ufd = -1;
        if (pthread_create(&pc->th, NULL, conn_main, pc)) {
            pthread_mutex_unlock(&P.mu);
            close(fd);
            continue;
        }
        P.nconns++;
        P.connections++;
        pthread_mutex_unlock(&P.mu);
    }
    return NULL;
}

static int proxy_start(int upstream_port)
{
    P.upstream_port = upstream_port;
    pthread_mutex_init(&P.mu, NULL);
    P.lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (P.lfd < 0 || bind(P.lfd, (struct sockaddr *)&a, sizeof a) || listen(P.lfd, 64) ||
        getsockname(P.lfd, (struct sockaddr *)&a, &len) || pipe(P.wake))
        return -1;
    P.port = ntohs(a.sin_port);
    return pthread_create(&P.acceptor, NULL, acceptor_main, NULL) ? -1 : 0;
}

static void proxy_stop(void)
{
    if (write(P.wake[1], "x", 1) != 1)
        fprintf(stderr, "proxy_stop: cannot wake the acceptor\n");
    pthread_join(P.acceptor, NULL);
    /* connections still open (a failed test's): cut them */
    pthread_mutex_lock(&P.mu);
    for (int i = 0; i < P.nconns; i++) {
        if (P.conns[i].cfd >= 0)
            shutdown(P.conns[i].cfd, SHUT_RDWR);
        if (P.conns[i].ufd >= 0)
            shutdown(P.conns[i].ufd, SHUT_RDWR);
    }
    int n = P.nconns;
    pthread_mutex_unlock(&P.mu);
    for (int i = 0; i < n; i++)
        pthread_join(P.conns[i].th, NULL);
    close(P.lfd);
    close(P.wake[0]);
    close(P.wake[1]);
    pthread_mutex_destroy(&P.mu);
}

typedef struct counts {
    int connections, forwarded, refused, bad_host, upstream_failed;
    char last_refused[256];
} counts;

static counts proxy_counts(void)
{
    counts c;
    pthread_mutex_lock(&P.mu);
    c.connections = P.connections;
    c.forwarded = P.forwarded;
    c.refused = P.refused;
    c.bad_host = P.bad_host;
    c.upstream_failed = P.upstream_failed;
    memcpy(c.last_refused, P.last_refused, sizeof c.last_refused);
    pthread_mutex_unlock(&P.mu);
    return c;
}

/* ---- the environment ----------------------------------------------------- */

static const char *const env_names[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                                        "HTTPS_PROXY", "all_proxy",  "ALL_PROXY",
                                        "no_proxy",    "NO_PROXY"};
#define NENV (sizeof env_names / sizeof env_names[0])
static char *env_saved[NENV];
static bool env_had[NENV];

static void env_save(void)
{
    for (size_t i = 0; i < NENV; i++) {
        const char *v = getenv(env_names[i]);
        env_had[i] = v != NULL;
        env_saved[i] = v ? strdup(v) : NULL;
    }
}

/* Back to what the process had. */
static void env_restore(void)
{
    for (size_t i = 0; i < NENV; i++) {
        if (env_had[i] && env_saved[i])
            setenv(env_names[i], env_saved[i], 1);
        else
            unsetenv(env_names[i]);
    }
}

/* No proxy variable at all, then http_proxy (and HTTP_PROXY alike) to the
 * test's proxy and, if given, no_proxy. */
static void env_proxy(const char *no_proxy)
{
    for (size_t i = 0; i < NENV; i++)
        unsetenv(env_names[i]);
    char v[64];
    snprintf(v, sizeof v, "http://127.0.0.1:%d", P.port);
    setenv("http_proxy", v, 1);
    setenv("HTTP_PROXY", v, 1);
    if (no_proxy)
        setenv("no_proxy", no_proxy, 1);
}

/* ---- setup --------------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    env_save();
    snprintf(g_db, sizeof g_db, "%s", tu_db_path("remote-proxy"));
    lsqld_config cfg;
    lsqld_config_defaults(&cfg);
    cfg.listen = "127.0.0.1:0";
    cfg.db_path = g_db;
    cfg.shutdown_timeout_ms = 2000;
    char err[512];
    if (lsqld_start(&cfg, &g_srv, err, sizeof err)) {
        fprintf(stderr, "lsqld_start: %s\n", err);
        return -1;
    }
    if (proxy_start(lsqld_port(g_srv))) {
        fprintf(stderr, "cannot start the test proxy: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    env_restore();
    proxy_stop();
    lsqld_stop(g_srv);
    tu_db_remove(g_db);
    for (size_t i = 0; i < NENV; i++)
        free(env_saved[i]);
    return 0;
}

static int test_teardown(void **state)
{
    (void)state;
    env_restore();
    return 0;
}

/* ---- the work ------------------------------------------------------------ */

static lsql_db *open_url(const char *url)
{
    lsql_db *db = NULL;
    lsql_error e;
    int rc = lsql_db_open_url(url, &db, &e);
    if (rc != LSQL_OK) {
        counts c = proxy_counts();
        fail_msg("lsql_db_open_url '%s': %s (%s); proxy: %d forwarded, %d refused (%s)", url,
                 e.message, lsql_errname(rc), c.forwarded, c.refused, c.last_refused);
    }
    return db;
}

static void exec_ok(lsql_conn *c, const char *sql, const lsql_param *p, size_t np)
{
    lsql_error e;
    int rc = lsql_exec(c, sql, p, np, NULL, &e);
    if (rc != LSQL_OK)
        fail_msg("exec '%s': %s (%s)", sql, e.message, lsql_errname(rc));
}

/* Queries, a transaction across requests, a batch and a cursor of `rows`
 * rows on table t_<tag>. */
static void workload(lsql_db *db, const char *tag, int rows)
{
    lsql_conn *c1 = ct_connect(db), *c2 = ct_connect(db);
    lsql_error e;
    char sql[256], ins[128], cnt[128];
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS t_%s", tag);
    exec_ok(c1, sql, NULL, 0);
    snprintf(sql, sizeof sql, "CREATE TABLE t_%s(id INTEGER PRIMARY KEY, v TEXT)", tag);
    exec_ok(c1, sql, NULL, 0);
    snprintf(ins, sizeof ins, "INSERT INTO t_%s(id, v) VALUES (?, ?)", tag);
    snprintf(cnt, sizeof cnt, "SELECT count(*) FROM t_%s", tag);
    lsql_param p[2] = {{NULL, lsql_int(1)}, {NULL, lsql_text_z("one")}};
    exec_ok(c1, ins, p, 2);
    assert_int_equal(ct_int(c2, cnt), 1);

    /* a transaction across requests */
    lsql_txn *txn = NULL;
    assert_ok(lsql_begin(c1, LSQL_BEGIN_IMMEDIATE, &txn, &e));
    for (int i = 2; i <= 4; i++) {
        p[0].value = lsql_int(i);
        exec_ok(c1, ins, p, 2);
        assert_int_equal(ct_int(c1, cnt), i);
    }
    assert_int_equal(ct_int(c2, cnt), 1);
    assert_ok(lsql_commit(c1, txn, &e));
    lsql_txn_free(txn);
    assert_int_equal(ct_int(c2, cnt), 4);

    /* a batch */
    lsql_batch *b = NULL;
    assert_ok(lsql_batch_new(&b));
    snprintf(sql, sizeof sql, "INSERT INTO t_%s(id, v) VALUES (10, 'b')", tag);
    assert_ok(lsql_batch_add(b, sql, NULL, 0, &e));
    assert_ok(lsql_batch_add(b, cnt, NULL, 0, &e));
    lsql_batch_result *r = NULL;
    int rc = lsql_batch_run(c2, b, LSQL_BATCH_ATOMIC, &r, &e);
    if (rc != LSQL_OK)
        fail_msg("batch: %s (%s)", e.message, lsql_errname(rc));
    lsql_step_result st;
    memset(&st, 0, sizeof st);
    st.struct_size = sizeof st;
    assert_ok(lsql_batch_result_step(r, 1, &st));
    assert_non_null(st.rows);
    assert_int_equal(lsql_rowset_int64(st.rows, 0, 0), 5);
    lsql_batch_result_free(r);
    lsql_batch_free(b);

    /* a cursor, streamed through the proxy */
    lsql_param lim = {NULL, lsql_int(rows)};
    lsql_cursor *cur = NULL;
    rc = lsql_cursor_open(c1,
                          "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s "
                          "WHERE i < ?) SELECT i, printf('%0100d', i) FROM s",
                          &lim, 1, &cur, &e);
    if (rc != LSQL_OK)
        fail_msg("cursor_open: %s (%s)", e.message, lsql_errname(rc));
    int64_t next = 1;
    for (;;) {
        const lsql_rowset *rs = NULL;
        rc = lsql_cursor_fetch(cur, 500, &rs, &e);
        if (rc == LSQL_DONE)
            break;
        if (rc != LSQL_ROW)
            fail_msg("cursor_fetch: %s (%s)", e.message, lsql_errname(rc));
        for (size_t i = 0; i < lsql_rowset_count(rs); i++, next++) {
            assert_int_equal(lsql_rowset_int64(rs, i, 0), next);
            size_t len = 0;
            const char *t = lsql_rowset_text(rs, i, 1, &len);
            char want[128];
            snprintf(want, sizeof want, "%0100lld", (long long)next);
            assert_int_equal(len, 100);
            assert_memory_equal(t, want, 100);
        }
    }
    assert_int_equal(next, rows + 1);
    lsql_cursor_close(cur);
    assert_int_equal(ct_int(c1, cnt), 5);
    assert_ok(lsql_conn_close(c1));
    assert_ok(lsql_conn_close(c2));
}

/* ---- tests --------------------------------------------------------------- */

/* http_proxy: everything goes through the proxy, in both encodings. */
static void through_proxy(void **state)
{
    (void)state;
    static const struct {
        const char *url, *tag;
        int enc;
    } runs[] = {
        {ORIGIN, "pb", LSQL_HRANA_PROTOBUF},
        {ORIGIN "?encoding=json", "json", LSQL_HRANA_JSON},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        env_proxy(NULL);
        counts before = proxy_counts();
        lsql_db *db = open_url(runs[i].url);
        lsql_db_opts got;
        lsql_db_opts_init(&got);
        assert_ok(lsql_db_opts_get(db, &got));
        assert_int_equal(got.hrana_encoding, runs[i].enc);
        workload(db, runs[i].tag, 5000);
        assert_ok(lsql_db_close(db));
        env_restore();
        counts after = proxy_counts();
        /* the open, 2 DDL, 1 insert, 1 count, begin + 3 x (insert, count)
         * + count + commit, count, batch, cursor, count, closes: > 15 */
        int fwd = after.forwarded - before.forwarded;
        if (fwd < 15)
            fail_msg("%s: the proxy forwarded %d requests, want at least 15", runs[i].tag, fwd);
        assert_int_equal(after.refused, before.refused);
        assert_int_equal(after.bad_host, before.bad_host);
        assert_int_equal(after.upstream_failed, before.upstream_failed);
        assert_true(after.connections > before.connections);
    }
}

/* no_proxy=127.0.0.1: a URL on 127.0.0.1 is reached directly; without it,
 * the same URL goes to the proxy (which refuses it: not its origin). */
static void no_proxy_bypass(void **state)
{
    (void)state;
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", lsqld_port(g_srv));
    env_proxy("127.0.0.1");
    counts before = proxy_counts();
    lsql_db *db = open_url(url);
    lsql_conn *c = ct_connect(db);
    assert_int_equal(ct_int(c, "SELECT 6 * 7"), 42);
    lsql_txn *txn = NULL;
    lsql_error e;
    assert_ok(lsql_begin(c, LSQL_BEGIN_DEFERRED, &txn, &e));
    assert_int_equal(ct_int(c, "SELECT 1"), 1);
    assert_ok(lsql_commit(c, txn, &e));
    lsql_txn_free(txn);
    assert_ok(lsql_db_close(db));
    counts after = proxy_counts();
    assert_int_equal(after.connections, before.connections);
    assert_int_equal(after.forwarded, before.forwarded);
    assert_int_equal(after.refused, before.refused);
    env_restore();

    /* the control: no no_proxy, the proxy gets the request */
    env_proxy(NULL);
    before = proxy_counts();
    char url2[160];
    snprintf(url2, sizeof url2, "%s?retries=0", url);
    db = NULL;
    int rc = lsql_db_open_url(url2, &db, &e);
    assert_null(db);
    assert_int_not_equal(rc, LSQL_OK);
    assert_int_equal(e.http_status, 400);
    after = proxy_counts();
    assert_int_equal(after.refused, before.refused + 1);
    assert_int_equal(after.forwarded, before.forwarded);
    env_restore();
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(through_proxy, test_teardown),
        cmocka_unit_test_teardown(no_proxy_bypass, test_teardown),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
