/* main.c -- the lsqld command: parse flags, start the server, write the
 * port file, wait for SIGTERM/SIGINT, stop gracefully. Logs go to stderr. */
#include "server.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

static void log_stderr(int level, const char *msg, void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    const char *name = lsqld_log_level_name(level);
    pthread_mutex_lock(&log_mu);
    fprintf(stderr, "%s.%03ldZ %-5s %s\n", when, ts.tv_nsec / 1000000, name ? name : "?", msg);
    pthread_mutex_unlock(&log_mu);
}

static int write_port_file(const char *path, int port)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -1;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    int ok = fprintf(f, "%d\n", port) > 0;
    ok = (fclose(f) == 0) && ok;
    /* rename: readers never see a half-written file */
    return ok && rename(tmp, path) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    lsqld_config cfg;
    lsqld_config_defaults(&cfg);
    cfg.log = log_stderr;
    const char *port_file = NULL;
    char err[512];
    int rc = lsqld_config_parse(argc - 1, argv + 1, &cfg, &port_file, err, sizeof err);
    if (rc == LSQLD_ARGS_HELP) {
        fputs(lsqld_usage(), stdout);
        return 0;
    }
    if (rc == LSQLD_ARGS_VERSION) {
        printf("lsqld %s\n", LSQLD_VERSION);
        return 0;
    }
    if (rc != LSQLD_ARGS_OK) {
        fprintf(stderr, "lsqld: %s\n", err);
        return 2;
    }
    /* every thread (MHD's included) inherits this mask; main waits for them */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    lsqld_server *srv;
    if (lsqld_start(&cfg, &srv, err, sizeof err)) {
        fprintf(stderr, "lsqld: %s\n", err);
        return 1;
    }
    if (port_file && write_port_file(port_file, lsqld_port(srv))) {
        fprintf(stderr, "lsqld: cannot write the port file '%s': %s\n", port_file,
                strerror(errno));
        lsqld_stop(srv);
        return 1;
    }
    int sig = 0;
    for (;;) {
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP)
            continue; /* no configuration to reload */
        break;
    }
    lsqld_log(&(lsqld_logger){cfg.log_level, cfg.log, NULL}, LSQLD_LOG_INFO,
              "received %s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    lsqld_stop(srv);
    if (port_file)
        unlink(port_file);
    return 0;
}
