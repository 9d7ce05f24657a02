/* streams.c -- the stream table: create (with a pooled connection), acquire
 * by baton, release with a new baton, close, expire. */
#include "server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

int lsqld_streams_init(lsqld_streams *t)
{
    memset(t, 0, sizeof *t);
    atomic_init(&t->count, 0);
    atomic_init(&t->next_id, 1);
    return pthread_mutex_init(&t->mu, NULL) ? -1 : 0;
}

void lsqld_streams_destroy(lsqld_streams *t)
{
    pthread_mutex_destroy(&t->mu);
}

static size_t bucket(uint64_t id)
{
    return (size_t)(id * 0x9e3779b97f4a7c15ull >> 40) % LSQLD_STREAM_BUCKETS;
}

static void fail(lsqld_fail *f, int status, const char *code, const char *msg)
{
    f->status = status;
    f->code = code;
    snprintf(f->message, sizeof f->message, "%s", msg);
}

/* ---- table operations (caller holds t->mu) ------------------------------ */

static lsqld_stream *find(lsqld_streams *t, uint64_t id)
{
    for (lsqld_stream *s = t->buckets[bucket(id)]; s; s = s->hnext)
        if (s->id == id)
            return s;
    return NULL;
}

static void insert(lsqld_streams *t, lsqld_stream *s)
{
    size_t b = bucket(s->id);
    s->hnext = t->buckets[b];
    t->buckets[b] = s;
    s->prev = NULL;
    s->next = t->all;
    if (t->all)
        t->all->prev = s;
    t->all = s;
}

static void unlink_stream(lsqld_streams *t, lsqld_stream *s)
{
    lsqld_stream **pp = &t->buckets[bucket(s->id)];
    while (*pp && *pp != s)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = s->hnext;
    if (s->prev)
        s->prev->next = s->next;
    else if (t->all == s)
        t->all = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = s->hnext = NULL;
    s->in_table = 0;
}

static void ring_add(lsqld_streams *t, uint64_t id, int expired)
{
    t->ring_id[t->ring_head] = id;
    t->ring_expired[t->ring_head] = (unsigned char)expired;
    t->ring_head = (t->ring_head + 1) % LSQLD_CLOSED_RING;
}

/* 1 expired, 0 closed, -1 unknown */
static int ring_find(lsqld_streams *t, uint64_t id)
{
    for (size_t i = 0; i < LSQLD_CLOSED_RING; i++)
        if (t->ring_id[i] == id)
            return t->ring_expired[i];
    return -1;
}

/* ---- connection life ----------------------------------------------------- */

static lsqld_pool *pool_of(lsqld_server *s, int access)
{
    return access == LSQLD_ACCESS_RO ? &s->pool_ro : &s->pool_rw;
}

static void free_stream(lsqld_streams *t, lsqld_stream *st)
{
    for (size_t i = 0; i < st->nsqls; i++)
        free(st->sqls[i].sql);
    free(st->sqls);
    free(st);
    atomic_fetch_sub(&t->count, 1);
}

void lsqld_stream_close_conn(lsqld_server *s, lsqld_stream *st)
{
    if (!st->pc)
        return;
    /* rolled back (and so out of the write transaction) before the write
     * lock is given up */
    lsqld_pool_put(st->pc, st->ro_txn);
    st->pc = NULL;
    st->conn = NULL;
    if (st->holds_writer) {
        lsqld_writer_release(&s->writer, st->id);
        st->holds_writer = 0;
    }
    st->ro_txn = 0;
    atomic_fetch_sub_explicit(&s->metrics.streams_open, 1, memory_order_relaxed);
}

int lsqld_stream_create(lsqld_server *s, int access, lsqld_stream **out, lsqld_fail *f)
{
    lsqld_streams *t = &s->streams;
    if (atomic_fetch_add(&t->count, 1) >= s->cfg.max_streams) {
        atomic_fetch_sub(&t->count, 1);
        char msg[120];
        snprintf(msg, sizeof msg, "too many open streams (limit %u); close streams or retry",
                 s->cfg.max_streams);
        fail(f, 503, "STREAMS_TOO_MANY", msg);
        return -1;
    }
    lsqld_stream *st = calloc(1, sizeof *st);
    lsql_error err;
    int rc = -1;
    if (st)
        rc = lsqld_pool_take(pool_of(s, access), &st->pc, &err);
    if (rc) {
        if (st)
            lsqld_log(&s->log, LSQLD_LOG_ERROR, "cannot open a connection: %s", err.message);
        free(st);
        atomic_fetch_sub(&t->count, 1);
        fail(f, 500, "INTERNAL_ERROR", "cannot open a database connection");
        return -1;
    }
    st->id = atomic_fetch_add_explicit(&t->next_id, 1, memory_order_relaxed);
    st->srv = s;
    st->access = access;
    st->in_use = 1;
    st->conn = st->pc->conn;
    atomic_fetch_add_explicit(&s->metrics.streams_open, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->metrics.streams_opened, 1, memory_order_relaxed);
    *out = st;
    return 0;
}

static int expired(lsqld_server *s, lsqld_stream *st, int64_t now)
{
    return now - st->last_used_ms >= (int64_t)s->cfg.stream_timeout_ms;
}

int lsqld_stream_acquire(lsqld_server *s, const char *baton, size_t n, int access,
                         lsqld_stream **out, lsqld_fail *f)
{
    uint64_t id, seq;
    if (lsqld_baton_parse(s->baton_key, baton, n, &id, &seq)) {
        fail(f, 400, "BATON_INVALID", "invalid baton (not issued by this server)");
        return -1;
    }
    lsqld_streams *t = &s->streams;
    lsqld_stream *dead = NULL;
    int rc = 0;
    pthread_mutex_lock(&t->mu);
    lsqld_stream *st = find(t, id);
    if (!st) {
        int r = ring_find(t, id);
        if (r == 0)
            fail(f, 400, "STREAM_CLOSED", "the stream of this baton was closed");
        else
            fail(f, 400, "STREAM_EXPIRED", "the stream expired after being idle; open a new one");
        rc = -1;
    } else if (st->in_use) {
        fail(f, 400, "BATON_REUSED", "baton reused: the stream is busy with another request");
        rc = -1;
    } else if (st->seq != seq) {
        fail(f, 400, "BATON_REUSED", "baton reused: a newer baton was issued for this stream");
        rc = -1;
    } else if (expired(s, st, lsqld_now_ms())) {
        unlink_stream(t, st);
        ring_add(t, id, 1);
        dead = st;
        fail(f, 400, "STREAM_EXPIRED", "the stream expired after being idle; open a new one");
        rc = -1;
    } else if (access < st->access) {
        fail(f, 403, "AUTH_FORBIDDEN", "a read-only token cannot use a read-write stream");
        rc = -1;
    } else {
        st->in_use = 1;
        *out = st;
    }
    pthread_mutex_unlock(&t->mu);
    if (dead) {
        atomic_fetch_add(&s->metrics.streams_expired, 1);
        lsqld_log(&s->log, LSQLD_LOG_DEBUG, "stream %llu expired", (unsigned long long)id);
        lsqld_stream_close_conn(s, dead);
        free_stream(t, dead);
    }
    return rc;
}

/* Removes a closed stream (its connection given back) and frees it. */
static void drop_closed(lsqld_server *s, lsqld_stream *st)
{
    lsqld_streams *t = &s->streams;
    lsqld_stream_close_conn(s, st);
    if (st->in_table) {
        pthread_mutex_lock(&t->mu);
        unlink_stream(t, st);
        ring_add(t, st->id, 0);
        pthread_mutex_unlock(&t->mu);
    }
    /* else: no baton was ever handed out, nobody can name the stream */
    free_stream(t, st);
}

/* The next baton of an open stream (entered in the table at its first);
 * `release` also ends the request's use. */
static void next_baton(lsqld_server *s, lsqld_stream *st, int release, char *baton_out)
{
    lsqld_streams *t = &s->streams;
    if (!st->in_table) {
        /* the first baton: a random start for the sequence */
        randombytes_buf(&st->seq, sizeof st->seq);
        st->seq >>= 1; /* room to count up */
    }
    pthread_mutex_lock(&t->mu);
    if (!st->in_table) {
        insert(t, st);
        st->in_table = 1;
    }
    uint64_t seq = ++st->seq;
    if (release) {
        st->last_used_ms = lsqld_now_ms();
        st->in_use = 0;
    }
    pthread_mutex_unlock(&t->mu);
    lsqld_baton_make(s->baton_key, st->id, seq, baton_out);
}

void lsqld_stream_release(lsqld_server *s, lsqld_stream *st, char *baton_out, int *has_baton)
{
    if (st->closed || !st->conn) {
        drop_closed(s, st);
        *has_baton = 0;
        return;
    }
    next_baton(s, st, 1, baton_out);
    *has_baton = 1;
}

void lsqld_stream_issue_baton(lsqld_server *s, lsqld_stream *st, char *baton_out)
{
    next_baton(s, st, 0, baton_out);
}

void lsqld_stream_release_issued(lsqld_server *s, lsqld_stream *st)
{
    if (st->closed || !st->conn) {
        drop_closed(s, st);
        return;
    }
    lsqld_streams *t = &s->streams;
    pthread_mutex_lock(&t->mu);
    st->last_used_ms = lsqld_now_ms();
    st->in_use = 0;
    pthread_mutex_unlock(&t->mu);
}

void lsqld_streams_reap(lsqld_server *s)
{
    lsqld_streams *t = &s->streams;
    lsqld_stream *dead = NULL;
    int64_t now = lsqld_now_ms();
    pthread_mutex_lock(&t->mu);
    lsqld_stream *st = t->all;
    while (st) {
        lsqld_stream *next = st->next;
        if (!st->in_use && expired(s, st, now)) {
            unlink_stream(t, st);
            ring_add(t, st->id, 1);
            st->next = dead;
            dead = st;
        }
        st = next;
    }
    pthread_mutex_unlock(&t->mu);
    while (dead) {
        lsqld_stream *next = dead->next;
        atomic_fetch_add(&s->metrics.streams_expired, 1);
        lsqld_log(&s->log, LSQLD_LOG_DEBUG, "stream %llu expired",
                  (unsigned long long)dead->id);
        lsqld_stream_close_conn(s, dead);
        free_stream(t, dead);
        dead = next;
    }
}

void lsqld_streams_close_all(lsqld_server *s)
{
    lsqld_streams *t = &s->streams;
    pthread_mutex_lock(&t->mu);
    lsqld_stream *st = t->all;
    t->all = NULL;
    memset(t->buckets, 0, sizeof t->buckets);
    pthread_mutex_unlock(&t->mu);
    while (st) {
        lsqld_stream *next = st->next;
        lsqld_stream_close_conn(s, st);
        free_stream(t, st);
        st = next;
    }
}

size_t lsqld_streams_count(lsqld_server *s)
{
    return atomic_load(&s->streams.count);
}

const stored_sql *lsqld_stream_sql_find(const lsqld_stream *st, int32_t id)
{
    for (size_t i = 0; i < st->nsqls; i++)
        if (st->sqls[i].id == id)
            return &st->sqls[i];
    return NULL;
}
