/* server_int.h -- the server object shared by the modules of lsqld. */
#ifndef LSQLD_SERVER_INT_H
#define LSQLD_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "auth.h"
#include "baton.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "server.h"
#include "streams.h"
#include "writer.h"

struct MHD_Daemon;

struct lsqld_server {
    lsqld_config cfg;
    lsqld_logger log;
    lsqld_auth auth;
    lsql_db *db;    /* read-write: streams of full-access clients */
    lsql_db *db_ro; /* read-only (only with a JWT key): streams of "ro" tokens */
    lsqld_pool pool_rw; /* idle connections of db */
    lsqld_pool pool_ro; /* idle connections of db_ro */
    unsigned char baton_key[LSQLD_BATON_KEY];
    lsqld_streams streams;
    lsqld_writer writer;
    lsqld_metrics metrics;
    struct MHD_Daemon *mhd;
    int listen_fd;
    int port;
    /* shutdown */
    atomic_int draining;      /* answer 503 to new requests */
    atomic_int interrupt_all; /* the progress handler aborts statements */
    pthread_mutex_t active_mu; /* with active_cv: wakes lsqld_stop while draining */
    pthread_cond_t active_cv;
    atomic_long active; /* requests between their first byte and completion */
    /* the idle-stream reaper */
    pthread_t reaper;
    int reaper_started;
    int reaper_stop; /* under streams.mu */
    pthread_cond_t reaper_cv;
};

/* Milliseconds of the monotonic clock. */
int64_t lsqld_now_ms(void);

#endif
