/* pool_int.h -- private structures of the connection pool (src/pool/).
 *
 * The pool is built on the public API of lsql.h only (connect, reset, ping,
 * txn_state, close), so it works unchanged for every backend.
 *
 * Locking: one mutex per pool guards every field below except `opts`,
 * `db`, `rdb`, `split`, `spin`, `overtake_ns` (fixed at open). Connections
 * are opened, pinged, reset and closed OUTSIDE the mutex; only list and
 * counter updates happen under it, so the maintenance step and slow
 * connects never block acquirers.
 */
#ifndef LSQL_POOL_INT_H
#define LSQL_POOL_INT_H

#include "lsql.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define POOL_MAGIC 0x6c504f4cu /* "lPOL" */
#define POOL_DEAD 0xdead9001u

/* Entry states */
#define PE_IDLE 0
#define PE_OUT 1       /* acquired by a user */
#define PE_RELEASING 2 /* being reset by lsql_pool_release */

/* Roles of a set of connections */
#define ROLE_ANY 0    /* no read/write split */
#define ROLE_READER 1 /* split: query_only readers */
#define ROLE_WRITER 2 /* split: the one writer */

typedef struct pool_set pool_set;

typedef struct pool_entry {
    lsql_conn *conn;
    uint64_t id; /* unique in its pool (thread affinity, pool.c) */
    struct pool_entry *prev, *next; /* idle list of its set */
    pool_set *set;
    int64_t created_ns;
    int64_t idle_since_ns;
    int64_t acquired_ns; /* when the current lease began (PE_OUT) */
    bool leak_reported;  /* this lease was reported (leak_threshold_ms) */
    bool granted;        /* PE_OUT, handed to a waiter that has not run yet */
    int state; /* PE_* */
} pool_entry;

/* A thread blocked in lsql_pool_acquire (lives on that thread's stack). */
typedef struct pool_waiter {
    struct pool_waiter *prev, *next;
    pthread_cond_t cv;    /* CLOCK_MONOTONIC */
    int64_t since_ns;     /* when it queued (pool__wq_starving) */
    pool_entry *granted;  /* a connection handed over by a release */
    bool slot;            /* permission to open a new connection */
    bool closed;          /* the pool was closed */
    bool woken;           /* a connection went idle: retry the idle list */
    /* set (release order) after one of the four above, under the mutex:
     * lets the head waiter spin on it without the mutex before sleeping */
    atomic_bool ready;
} pool_waiter;

struct pool_set {
    int role;
    int min, max;
    int total;  /* connections open or being opened */
    int in_use; /* PE_OUT + PE_RELEASING */
    int idle;
    pool_entry *idle_head, *idle_tail; /* head: most recently released */
    pool_waiter *wq_head, *wq_tail;    /* FIFO */
    int nwait;
    bool wake_pending; /* the head waiter was woken and has not retried yet */
};

/* Wait-time histogram: log-linear buckets, 8 per power of two (<= 12.5%
 * error on the reported percentiles). */
#define POOL_HIST_BUCKETS 512
typedef struct pool_hist {
    uint64_t count;
    uint64_t max_ns;
    uint64_t b[POOL_HIST_BUCKETS];
} pool_hist;

/* Counters */
typedef struct pool_counters {
    uint64_t acquires, waits, timeouts, created, destroyed, broken, releases, leaks;
} pool_counters;

struct lsql_pool {
    uint32_t magic;
    pthread_mutex_t mu;
    lsql_db *db;
    /* RW_SPLIT: a second database on the same file, opened with
     * LSQL_DB_READONLY, owned by the pool: readers are its connections, so
     * they refuse writes whatever their users do (no check at release) */
    lsql_db *rdb;
    lsql_pool_opts opts; /* normalised: defaults applied */
    bool split;
    bool spin; /* more than one CPU: the head waiter spins before sleeping */
    /* opts.overtake_ms in ns; 0: never (strict FIFO hand-over) */
    int64_t overtake_ns;
    int nsets;
    pool_set sets[2]; /* [0]: general or readers, [1]: the writer (split) */

    pool_entry **all; /* every open entry (for release lookups) */
    int nall, capall;
    uint64_t id;            /* unique per pool in the process (thread affinity) */
    uint64_t next_entry_id; /* ids of entries */

    bool closed;
    int refs; /* connections out + threads inside pool calls */

    pool_counters ctr;
    pool_hist hist;      /* acquire waits */
    pool_hist hold_hist; /* how long connections were out, at release */

    lsql_pool_event_fn ev_fn;
    void *ev_ctx;

    /* background maintenance */
    bool has_thread, stop_thread;
    pthread_t thread;
    pthread_cond_t thread_cv;
};

/* An entry goes out to the acquirer that will return it: its lease begins
 * now (hold times, leak_threshold_ms). Under p->mu. */
static inline void pool__lease_begin(pool_entry *e, int64_t now)
{
    e->state = PE_OUT;
    e->acquired_ns = now;
    e->leak_reported = false;
    e->granted = false;
}

/* An entry is handed to a waiting thread, which begins the lease when it
 * runs: until then it is out but held by nobody (no leak report, not in
 * held_longest_ns). Under p->mu. */
static inline void pool__lease_grant(pool_entry *e)
{
    e->state = PE_OUT;
    e->granted = true;
}

/* pool.c */
int pool__fail(lsql_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* pool__fail, keeping the flags (retryable), SQLite code and HTTP status of
 * the error that caused it. */
int pool__fail_from(lsql_error *err, int code, const lsql_error *cause, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
int64_t pool__now_ns(void);
void pool__unref_locked(lsql_pool *p, bool *free_now);
void pool__destroy(lsql_pool *p);

/* pool_wait.c: the FIFO queue of waiters (all under p->mu) */
int pool__waiter_init(pool_waiter *w);
void pool__waiter_destroy(pool_waiter *w);
void pool__wq_push(pool_set *s, pool_waiter *w);
void pool__wq_remove(pool_set *s, pool_waiter *w);
/* Waits until the waiter is granted something, the pool closes or
 * deadline_ns (CLOCK_MONOTONIC, < 0: none) passes; returns false on timeout
 * (the waiter is still queued: the caller removes it). The first waiter of
 * a queue (`head`) first spins briefly with the mutex released: a
 * connection held for a short statement then changes hands without a
 * sleep and a wake-up. */
bool pool__wq_wait(lsql_pool *p, pool_waiter *w, bool head, int64_t deadline_ns);
/* Hands entry e (already counted in use) to the head waiter; false if none. */
bool pool__wq_grant_conn(pool_set *s, pool_entry *e);
/* True when the head waiter has waited bound_ns or more (overtake_ms):
 * released connections then go straight to it and newcomers queue behind
 * it. bound_ns 0: whenever anyone waits (strict FIFO). */
bool pool__wq_starving(const pool_set *s, int64_t now, int64_t bound_ns);
/* A connection of s went idle: wakes the head waiter to retry the idle
 * list, unless one is already on its way. */
void pool__wq_wake(pool_set *s);
/* Gives the head waiter the right to open a connection in a free slot;
 * false if nobody waits. */
bool pool__wq_grant_slot(pool_set *s);
void pool__wq_close_all(pool_set *s);

/* pool_health.c: opening, expiry, health, maintenance */
int pool__open_conn(lsql_pool *p, pool_set *s, pool_entry **out, lsql_error *err);
void pool__close_entry(pool_entry *e);
/* Closes entries taken out of the pool, emitting one SHRINK event each;
 * called without the lock held. */
void pool__close_doomed(lsql_pool *p, pool_entry *doomed, lsql_pool_event_fn fn, void *ctx);
bool pool__expired(const lsql_pool *p, const pool_entry *e, int64_t now);
bool pool__needs_ping(const lsql_pool *p, const pool_entry *e, int64_t now);
int pool__register_locked(lsql_pool *p, pool_entry *e);
void pool__unregister_locked(lsql_pool *p, pool_entry *e);
void pool__idle_push(pool_set *s, pool_entry *e, bool at_head);
void pool__idle_remove(pool_set *s, pool_entry *e);
/* A slot of set s became free: give it to a waiter or shrink the count. */
void pool__slot_free_locked(pool_set *s);
void *pool__thread_main(void *arg);

/* pool_split.c */
pool_set *pool__pick_set(lsql_pool *p, int intent);
int pool__role_intent(int role);
int pool__check_db(lsql_pool *p, lsql_conn *c, lsql_error *err);
/* The database the connections of set s are opened from. */
lsql_db *pool__set_db(lsql_pool *p, const pool_set *s);
/* RW_SPLIT: opens p->rdb (read-only, same file and options as p->db). */
int pool__open_reader_db(lsql_pool *p, lsql_error *err);

/* pool_metrics.c */
void pool__hist_add(pool_hist *h, uint64_t ns);
uint64_t pool__hist_pct(const pool_hist *h, double q);
/* Fills an event (struct_size set) from the pool's state; call under p->mu. */
void pool__event_fill(lsql_pool *p, lsql_pool_event *ev, int type, const pool_set *s,
                      lsql_conn *c, int64_t wait_ns, int code);
void pool__event_emit(lsql_pool_event_fn fn, void *ctx, const lsql_pool_event *ev);

#endif
