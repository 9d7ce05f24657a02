/* pool.h -- idle lsql connections kept between streams. A stream takes a
 * connection from the pool of its database (read-write, or read-only for
 * "ro" tokens) or opens one; when the stream ends its connection is cleaned
 * (transaction rolled back, statements reset, TEMP objects dropped,
 * query_only and last_insert_rowid reset) and goes back with its statement
 * and page caches warm, unless the connection cannot be trusted (a fatal
 * error, a PRAGMA that changed connection settings, a failed clean-up): then
 * it is closed.
 *
 * Bounds: `keep` idle connections stay however long they are unused; more
 * (up to `cap`) stay while they are used again within `idle_timeout_ms`
 * (lsqld_pool_trim closes the others), so the pool never holds more
 * connections than were recently in use at the same time. */
#ifndef LSQLD_POOL_H
#define LSQLD_POOL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "hrana.h"
#include "lsql.h"

typedef struct lsqld_server lsqld_server;
typedef struct lsqld_pool lsqld_pool;

/* A connection of the pool; owned by one stream at a time. */
typedef struct lsqld_pconn {
    lsql_conn *conn;
    void *native;        /* the sqlite3* of conn */
    lsqld_server *srv;
    lsqld_pool *pool;
    int64_t deadline_ms; /* statement time limit for the progress handler; 0 = none */
    int64_t idle_since_ms; /* when it came back to the pool */
    /* set while a stream uses the connection, cleared when it comes back */
    int dirty;   /* ran something but plain reads: needs lsql_conn_reset */
    int tainted; /* changed a setting the clean-up cannot restore (PRAGMA x=..) */
    int broken;  /* a fatal error (I/O, corruption, out of memory...) */
    /* for the authorizer (pool.c), during a statement of the stream */
    int vacuum;          /* a plain VACUUM is running: its internal ATTACH is allowed */
    const char *denied;  /* why the authorizer refused something (static), or NULL */
    uint64_t uses; /* streams served (tests, logs) */
    struct lsqld_pconn *next; /* idle list */
} lsqld_pconn;

struct lsqld_pool {
    pthread_mutex_t mu; /* guards idle, nidle */
    lsqld_pconn *idle;  /* LIFO: the most recently used (warmest) first */
    unsigned nidle;
    unsigned keep;      /* idle connections kept without time limit */
    unsigned cap;       /* idle connections at most */
    unsigned idle_timeout_ms; /* for those beyond `keep` */
    lsql_db *db;
    lsqld_server *srv;
    atomic_ullong opened;    /* connections opened */
    atomic_ullong reused;    /* streams served by an idle connection */
    atomic_ullong discarded; /* connections closed instead of kept (any reason) */
    atomic_ullong rejected;  /* ... of which unsafe to reuse (broken, tainted, clean-up failed) */
};

int lsqld_pool_init(lsqld_pool *p, lsqld_server *s, lsql_db *db, unsigned keep, unsigned cap,
                    unsigned idle_timeout_ms);
/* Closes the idle connections (connections in use must have come back). */
void lsqld_pool_destroy(lsqld_pool *p);
/* An idle connection, or a new one. 0, or -1 with *err. */
int lsqld_pool_take(lsqld_pool *p, lsqld_pconn **out, lsql_error *err);
/* Gives a connection back: cleans it and keeps it, or closes it. ro_txn:
 * the stream had set query_only for a read-only transaction. Call it while
 * the stream still holds the write lock (the rollback must happen first). */
void lsqld_pool_put(lsqld_pconn *pc, int ro_txn);
/* Closes the idle connections beyond `keep` unused for idle_timeout_ms. */
void lsqld_pool_trim(lsqld_pool *p, int64_t now_ms);
/* Number of idle connections. */
unsigned lsqld_pool_idle(lsqld_pool *p);

/* Appends the pool metrics (Prometheus text) of both databases. */
void lsqld_pool_metrics_render(lsqld_server *s, hrana_buf *b);

/* Marks pc broken if `code` (an lsql code) means the connection may be
 * unusable: I/O errors, corruption, not a database, out of memory, locking
 * protocol, internal errors, misuse. */
void lsqld_pconn_note_error(lsqld_pconn *pc, int code);

#endif
