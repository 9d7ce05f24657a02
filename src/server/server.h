/*
 * server.h -- lsqld, a libSQL (Hrana over HTTP) server over lsql, as a
 * library: configure, start, stop. main.c is the command-line front end;
 * the tests start servers in-process with it.
 */
#ifndef LSQLD_SERVER_H
#define LSQLD_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "hrana.h"

#define LSQLD_VERSION "0.1.0"

/* Log levels (same numbers as LSQL_LOG_*). */
#define LSQLD_LOG_ERROR 1
#define LSQLD_LOG_WARN 2
#define LSQLD_LOG_INFO 3
#define LSQLD_LOG_DEBUG 4

/* Receives one formatted line (no newline); called from any thread. */
typedef void (*lsqld_log_fn)(int level, const char *msg, void *ctx);

#define LSQLD_MAX_TOKENS 64

typedef struct lsqld_config {
    const char *db_path;          /* default "lsqld.db" */
    const char *listen;           /* "HOST:PORT" or "[V6]:PORT"; default "127.0.0.1:8080" */
    const char *tokens[LSQLD_MAX_TOKENS]; /* static bearer tokens (full access) */
    size_t ntokens;
    int has_jwt_key;              /* verify Ed25519 JWTs with jwt_key */
    unsigned char jwt_key[32];
    int insecure_no_auth;         /* allow a non-loopback address without auth */
    unsigned stream_timeout_ms;   /* idle stream expiry; default 10000 */
    unsigned max_streams;         /* open streams; default 1024 */
    unsigned max_connections;     /* HTTP connections (= threads); default 256 */
    unsigned idle_connections;    /* idle database connections kept for new streams (per
                                     database); default LSQLD_IDLE_CONNECTIONS_AUTO */
    unsigned idle_timeout_ms;     /* more idle connections (up to max_connections) are kept
                                     while used within this time; default 10000 */
    size_t max_response;          /* bytes of one response body; default 64 MiB */
    unsigned max_stored_sql;      /* store_sql texts per stream; default 50 */
    size_t max_stored_sql_bytes;  /* bytes of one stored text; default 16384 */
    unsigned writer_timeout_ms;   /* wait for the write lock; default 5000 */
    unsigned statement_timeout_ms; /* 0 = none; default 30000 */
    unsigned shutdown_timeout_ms; /* drain time on stop; default 10000 */
    unsigned http_idle_timeout_s; /* idle keep-alive connection; default 60 */
    hrana_limits limits;          /* request decoding; max_body is the body limit */
    int log_level;                /* LSQLD_LOG_*; default INFO */
    lsqld_log_fn log;             /* NULL: no logging */
    void *log_ctx;
} lsqld_config;

/* idle_connections default: 2 x the number of CPUs, at least 8 */
#define LSQLD_IDLE_CONNECTIONS_AUTO (~0u)

void lsqld_config_defaults(lsqld_config *c);

/* Result of argument parsing. */
#define LSQLD_ARGS_OK 0
#define LSQLD_ARGS_HELP 1    /* --help: print lsqld_usage() and exit 0 */
#define LSQLD_ARGS_VERSION 2 /* --version */
#define LSQLD_ARGS_ERROR -1  /* err says why */

/* Parses argv (without argv[0]) into c (which holds defaults). The strings
 * of argv are borrowed. --jwt-key reads and parses the key file. The port
 * file path (if any) goes to *port_file. */
int lsqld_config_parse(int argc, char **argv, lsqld_config *c, const char **port_file,
                       char *err, size_t errlen);
/* Checks a configuration: a non-loopback address needs auth or
 * insecure_no_auth, limits must be sane. 0 or -1 with err. */
int lsqld_config_check(const lsqld_config *c, char *err, size_t errlen);
const char *lsqld_usage(void);

typedef struct lsqld_server lsqld_server;

/* Opens the database, binds the address and starts serving in background
 * threads. 0 on success; -1 with err. */
int lsqld_start(const lsqld_config *c, lsqld_server **out, char *err, size_t errlen);
/* The bound TCP port (useful with port 0). */
int lsqld_port(const lsqld_server *s);
/* Graceful stop: stop accepting, let running requests finish (at most
 * shutdown_timeout_ms, then interrupt statements), close every stream
 * (rolling back open transactions), close the database, free. */
void lsqld_stop(lsqld_server *s);

/* Test hooks. */
void lsqld_reap_now(lsqld_server *s);  /* one pass of the reaper (streams, idle connections) */
size_t lsqld_stream_count(lsqld_server *s);
/* Idle connections in the pool of the read-write (ro = 0) or read-only
 * (ro = 1) database. */
unsigned lsqld_idle_connections(lsqld_server *s, int ro);

#endif
