/* server.c -- start and graceful stop of lsqld, the idle-stream reaper. */
#include "http.h"
#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

int64_t lsqld_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timespec deadline_in(unsigned ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static void *reaper_main(void *arg)
{
    lsqld_server *s = arg;
    unsigned interval = s->cfg.stream_timeout_ms / 4;
    if (interval < 50)
        interval = 50;
    if (interval > 1000)
        interval = 1000;
    pthread_mutex_lock(&s->streams.mu);
    while (!s->reaper_stop) {
        struct timespec until = deadline_in(interval);
        pthread_cond_timedwait(&s->reaper_cv, &s->streams.mu, &until);
        if (s->reaper_stop)
            break;
        pthread_mutex_unlock(&s->streams.mu);
        lsqld_streams_reap(s);
        int64_t now = lsqld_now_ms();
        lsqld_pool_trim(&s->pool_rw, now);
        if (s->db_ro)
            lsqld_pool_trim(&s->pool_ro, now);
        pthread_mutex_lock(&s->streams.mu);
    }
    pthread_mutex_unlock(&s->streams.mu);
    return NULL;
}

static int cond_init_mono(pthread_cond_t *cv)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(cv, &ca);
    pthread_condattr_destroy(&ca);
    return rc;
}

static void destroy(lsqld_server *s)
{
    lsqld_streams_close_all(s);
    lsqld_pool_destroy(&s->pool_ro);
    lsqld_pool_destroy(&s->pool_rw);
    lsql_db_close(s->db_ro);
    lsql_db_close(s->db);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    lsqld_writer_destroy(&s->writer);
    lsqld_streams_destroy(&s->streams);
    pthread_cond_destroy(&s->reaper_cv);
    pthread_cond_destroy(&s->active_cv);
    pthread_mutex_destroy(&s->active_mu);
    free(s);
}

static int open_db(lsqld_server *s, lsql_db **out, unsigned flags, char *err, size_t errlen)
{
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.mode = LSQL_MODE_LOCAL;
    o.path = s->cfg.db_path;
    o.flags = flags;
    lsql_error e;
    if (lsql_db_open(&o, out, &e) != LSQL_OK) {
        snprintf(err, errlen, "cannot open database '%s': %s", s->cfg.db_path, e.message);
        return -1;
    }
    return 0;
}

int lsqld_start(const lsqld_config *c, lsqld_server **out, char *err, size_t errlen)
{
    *out = NULL;
    if (lsqld_config_check(c, err, errlen))
        return -1;
    if (sodium_init() < 0) {
        snprintf(err, errlen, "libsodium failed to initialise");
        return -1;
    }
    lsqld_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->cfg = *c;
    s->listen_fd = -1;
    s->log.level = c->log_level;
    s->log.fn = c->log;
    s->log.ctx = c->log_ctx;
    s->auth.tokens = s->cfg.tokens;
    s->auth.ntokens = s->cfg.ntokens;
    s->auth.has_jwt_key = s->cfg.has_jwt_key;
    s->auth.jwt_key = s->cfg.jwt_key;
    randombytes_buf(s->baton_key, sizeof s->baton_key);
    lsqld_metrics_init(&s->metrics);
    if (lsqld_streams_init(&s->streams) || lsqld_writer_init(&s->writer) ||
        pthread_mutex_init(&s->active_mu, NULL) || cond_init_mono(&s->active_cv) ||
        cond_init_mono(&s->reaper_cv)) {
        snprintf(err, errlen, "cannot initialise locks");
        free(s);
        return -1;
    }
    if (open_db(s, &s->db, 0, err, errlen) ||
        (s->cfg.has_jwt_key && open_db(s, &s->db_ro, LSQL_DB_READONLY, err, errlen))) {
        destroy(s);
        return -1;
    }
    unsigned idle = s->cfg.idle_connections;
    if (idle == LSQLD_IDLE_CONNECTIONS_AUTO) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN); /* 2 x CPUs in [8, 8192] */
        idle = cpus <= 4 ? 8 : cpus >= 4096 ? 8192 : (unsigned)(2 * cpus);
        s->cfg.idle_connections = idle;
    }
    /* beyond `idle`, the pool holds connections used within the idle
     * timeout, at most one per HTTP connection (= request at a time) */
    unsigned cap = s->cfg.idle_timeout_ms ? s->cfg.max_connections : idle;
    if (lsqld_pool_init(&s->pool_rw, s, s->db, idle, cap, s->cfg.idle_timeout_ms) ||
        (s->db_ro && lsqld_pool_init(&s->pool_ro, s, s->db_ro, idle, cap, s->cfg.idle_timeout_ms))) {
        snprintf(err, errlen, "cannot initialise locks");
        destroy(s);
        return -1;
    }
    struct sockaddr_storage addr;
    socklen_t alen;
    if (lsqld_resolve_listen(c->listen, &addr, &alen, err, errlen)) {
        destroy(s);
        return -1;
    }
    s->listen_fd = lsqld_listen(&addr, alen, &s->port, err, errlen);
    if (s->listen_fd < 0) {
        destroy(s);
        return -1;
    }
    if (lsqld_http_start(s, addr.ss_family == AF_INET6, err, errlen)) {
        destroy(s);
        return -1;
    }
    if (pthread_create(&s->reaper, NULL, reaper_main, s) != 0) {
        snprintf(err, errlen, "cannot start the reaper thread");
        lsqld_http_stop(s);
        destroy(s);
        return -1;
    }
    s->reaper_started = 1;
    lsqld_log(&s->log, LSQLD_LOG_INFO, "lsqld %s serving %s on %s (port %d), auth: %s%s",
              LSQLD_VERSION, c->db_path, c->listen, s->port,
              lsqld_auth_enabled(&s->auth) ? "on" : "off",
              c->has_jwt_key ? " (JWT)" : "");
    *out = s;
    return 0;
}

int lsqld_port(const lsqld_server *s)
{
    return s->port;
}

/* Waits until no request is active or the deadline passes; 0 when idle.
 * (draining is set: the last request to complete signals active_cv.) */
static int wait_idle(lsqld_server *s, unsigned ms)
{
    struct timespec until = deadline_in(ms);
    int rc = 0;
    pthread_mutex_lock(&s->active_mu);
    while (atomic_load(&s->active) > 0) {
        if (pthread_cond_timedwait(&s->active_cv, &s->active_mu, &until) == ETIMEDOUT) {
            rc = atomic_load(&s->active) > 0 ? -1 : 0;
            break;
        }
    }
    pthread_mutex_unlock(&s->active_mu);
    return rc;
}

void lsqld_stop(lsqld_server *s)
{
    if (!s)
        return;
    lsqld_log(&s->log, LSQLD_LOG_INFO, "shutting down: draining requests");
    atomic_store(&s->draining, 1);
    lsqld_http_quiesce(s);
    if (wait_idle(s, s->cfg.shutdown_timeout_ms)) {
        lsqld_log(&s->log, LSQLD_LOG_WARN,
                  "requests still running after %u ms: interrupting their statements",
                  s->cfg.shutdown_timeout_ms);
        atomic_store(&s->interrupt_all, 1);
        wait_idle(s, 5000);
    }
    lsqld_http_stop(s);
    if (s->reaper_started) {
        pthread_mutex_lock(&s->streams.mu);
        s->reaper_stop = 1;
        pthread_cond_signal(&s->reaper_cv);
        pthread_mutex_unlock(&s->streams.mu);
        pthread_join(s->reaper, NULL);
    }
    size_t n = lsqld_streams_count(s);
    if (n)
        lsqld_log(&s->log, LSQLD_LOG_INFO, "closing %zu open stream%s (rolling back)", n,
                  n == 1 ? "" : "s");
    destroy(s);
}

void lsqld_reap_now(lsqld_server *s)
{
    lsqld_streams_reap(s);
    int64_t now = lsqld_now_ms();
    lsqld_pool_trim(&s->pool_rw, now);
    if (s->db_ro)
        lsqld_pool_trim(&s->pool_ro, now);
}

size_t lsqld_stream_count(lsqld_server *s)
{
    return lsqld_streams_count(s);
}

unsigned lsqld_idle_connections(lsqld_server *s, int ro)
{
    if (ro && !s->db_ro)
        return 0;
    return lsqld_pool_idle(ro ? &s->pool_ro : &s->pool_rw);
}
