/* streams.h -- Hrana streams: one lsql connection each (taken from the
 * connection pool), a table keyed by id (under one mutex, held only for
 * lookups), batons, idle expiry. A request owns its stream exclusively
 * between create/acquire and release ("in use"), so statements run without
 * any server-wide lock. A stream enters the table only when it is handed a
 * baton: one opened and closed by the same request (a client's execute()
 * without a baton) never takes the table mutex. */
#ifndef LSQLD_STREAMS_H
#define LSQLD_STREAMS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "lsql.h"
#include "pool.h"

typedef struct lsqld_server lsqld_server;

typedef struct stored_sql {
    int32_t id;
    char *sql;
    size_t n;
} stored_sql;

typedef struct lsqld_stream {
    uint64_t id;
    uint64_t seq; /* sequence number of the last baton handed out */
    /* under the table mutex */
    int in_use;
    int in_table;      /* inserted (at its first baton) */
    int64_t last_used_ms;
    struct lsqld_stream *hnext;         /* hash chain */
    struct lsqld_stream *prev, *next;   /* list of all streams */
    /* owned by the request holding the stream */
    int access;        /* LSQLD_ACCESS_RO or _RW of the client that opened it */
    lsqld_pconn *pc;   /* its pooled connection; NULL once closed */
    lsql_conn *conn;   /* pc->conn, NULL once closed */
    int holds_writer;  /* holds the server's write lock */
    int ro_txn;        /* in a BEGIN READONLY transaction (query_only=ON) */
    int closed;        /* closed by a "close" request */
    lsqld_server *srv;
    stored_sql *sqls;
    size_t nsqls;
} lsqld_stream;

#define LSQLD_STREAM_BUCKETS 1024
#define LSQLD_CLOSED_RING 4096

typedef struct lsqld_streams {
    pthread_mutex_t mu;
    lsqld_stream *buckets[LSQLD_STREAM_BUCKETS];
    lsqld_stream *all;
    atomic_size_t count;         /* open streams, in the table or not yet */
    atomic_uint_least64_t next_id;
    /* recently ended streams, to tell "expired" from "closed" */
    uint64_t ring_id[LSQLD_CLOSED_RING];
    unsigned char ring_expired[LSQLD_CLOSED_RING];
    size_t ring_head;
} lsqld_streams;

int lsqld_streams_init(lsqld_streams *t);
void lsqld_streams_destroy(lsqld_streams *t);

/* Failure of acquire/create: HTTP status, error code and message. */
typedef struct lsqld_fail {
    int status;
    const char *code;
    char message[200];
} lsqld_fail;

/* Opens a new stream (a pooled or new connection) for a client with
 * `access`, in use by the caller. 0 or -1 with *f (STREAMS_TOO_MANY 503, INTERNAL_ERROR). */
int lsqld_stream_create(lsqld_server *s, int access, lsqld_stream **out, lsqld_fail *f);
/* Checks a baton and takes its stream: BATON_INVALID, BATON_REUSED,
 * STREAM_EXPIRED, STREAM_CLOSED (400) or AUTH_FORBIDDEN (403: a read-only
 * client on a full-access stream). */
int lsqld_stream_acquire(lsqld_server *s, const char *baton, size_t n, int access,
                         lsqld_stream **out, lsqld_fail *f);
/* Ends the request's ownership. An open stream gets a new baton (written to
 * baton_out, LSQLD_BATON_LEN + 1 bytes) and *has_baton = 1; a closed one is
 * removed and *has_baton = 0. */
void lsqld_stream_release(lsqld_server *s, lsqld_stream *st, char *baton_out, int *has_baton);
/* For a response that must name the next baton before its end (a cursor):
 * issues it now (the stream stays in use; the baton it replaces is spent),
 * then release_issued ends the request's use (a closed stream is removed). */
void lsqld_stream_issue_baton(lsqld_server *s, lsqld_stream *st, char *baton_out);
void lsqld_stream_release_issued(lsqld_server *s, lsqld_stream *st);
/* Ends the stream's use of its connection now (rolls back, gives it back to
 * the pool, frees the write lock); the stream is removed at release. */
void lsqld_stream_close_conn(lsqld_server *s, lsqld_stream *st);

/* Expires idle streams (older than the configured timeout). */
void lsqld_streams_reap(lsqld_server *s);
/* Closes every stream (shutdown; nothing may be in use). */
void lsqld_streams_close_all(lsqld_server *s);
size_t lsqld_streams_count(lsqld_server *s);

/* Stored SQL of a stream. */
const stored_sql *lsqld_stream_sql_find(const lsqld_stream *st, int32_t id);

#endif
