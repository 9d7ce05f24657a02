/* pool.c -- idle connections between streams: take, clean and give back,
 * close what cannot be trusted. */
#include "server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

int lsqld_pool_init(lsqld_pool *p, lsqld_server *s, lsql_db *db, unsigned keep, unsigned cap,
                    unsigned idle_timeout_ms)
{
    p->idle = NULL;
    p->nidle = 0;
    p->keep = keep;
    p->cap = cap > keep ? cap : keep;
    p->idle_timeout_ms = idle_timeout_ms;
    p->db = db;
    p->srv = s;
    atomic_init(&p->opened, 0);
    atomic_init(&p->reused, 0);
    atomic_init(&p->discarded, 0);
    atomic_init(&p->rejected, 0);
    return pthread_mutex_init(&p->mu, NULL) ? -1 : 0;
}

static void close_pconn(lsqld_pconn *pc)
{
    lsql_conn_close(pc->conn); /* rolls back an open transaction */
    free(pc);
}

void lsqld_pool_destroy(lsqld_pool *p)
{
    if (!p->srv)
        return; /* never initialised */
    lsqld_pconn *pc = p->idle;
    p->idle = NULL;
    p->nidle = 0;
    while (pc) {
        lsqld_pconn *next = pc->next;
        close_pconn(pc);
        pc = next;
    }
    pthread_mutex_destroy(&p->mu);
    p->srv = NULL;
}

/* SQLite's progress handler: interrupts statements past their deadline, and
 * all of them when shutdown has waited long enough. */
static int progress(void *ctx)
{
    lsqld_pconn *pc = ctx;
    if (atomic_load_explicit(&pc->srv->interrupt_all, memory_order_relaxed))
        return 1;
    return pc->deadline_ms && lsqld_now_ms() > pc->deadline_ms;
}

#define DENY_ATTACH                                                                        \
    "not authorized: lsqld refuses ATTACH, and VACUUM INTO (which attaches its target file); " \
    "plain VACUUM is allowed"

/* lsqld's authorizer (lsql_conn_set_authorizer: chained after lsql's own
 * statement classifier). ATTACH could open or create any file the server
 * can reach: refused, except the temporary database (file name '') that a
 * plain VACUUM attaches while it runs (pc->vacuum, set around its steps;
 * VACUUM INTO attaches its target by name, a user's ATTACH '' is compiled
 * outside any VACUUM). Extension loading is off already; refused here too. */
static int authorize(void *ctx, int action, const char *arg1, const char *arg2,
                     const char *schema, const char *trigger)
{
    lsqld_pconn *pc = ctx;
    (void)schema;
    switch (action) {
    case LSQL_ACTION_ATTACH:
        if (pc->vacuum && arg1 && !arg1[0] && !trigger)
            return LSQL_AUTHZ_OK;
        pc->denied = DENY_ATTACH;
        return LSQL_AUTHZ_DENY;
    case LSQL_ACTION_FUNCTION:
        if (arg2 && !strcasecmp(arg2, "load_extension"))
            return LSQL_AUTHZ_DENY;
        return LSQL_AUTHZ_OK;
    default:
        return LSQL_AUTHZ_OK;
    }
}

static int open_pconn(lsqld_pool *p, lsqld_pconn **out, lsql_error *err)
{
    lsqld_pconn *pc = calloc(1, sizeof *pc);
    if (!pc) {
        lsql_error_clear(err);
        err->code = err->ext_code = LSQL_NOMEM;
        snprintf(err->message, sizeof err->message, "out of memory");
        return -1;
    }
    if (lsql_db_connect(p->db, &pc->conn, err) != LSQL_OK) {
        free(pc);
        return -1;
    }
    pc->srv = p->srv;
    pc->pool = p;
    void *native = NULL;
    lsql_conn_native_handle(pc->conn, &native);
    pc->native = native;
    /* deny ATTACH (VACUUM INTO too), time-limit statements; extension
     * loading stays disabled (SQLite's default) */
    if (lsql_conn_set_authorizer(pc->conn, authorize, pc) != LSQL_OK ||
        lsql_conn_set_progress_handler(pc->conn, 1000, progress, pc) != LSQL_OK) {
        lsql_conn_close(pc->conn);
        free(pc);
        lsql_error_clear(err);
        err->code = err->ext_code = LSQL_INTERNAL;
        snprintf(err->message, sizeof err->message,
                 "cannot install the authorizer or the progress handler");
        return -1;
    }
    atomic_fetch_add_explicit(&p->opened, 1, memory_order_relaxed);
    *out = pc;
    return 0;
}

int lsqld_pool_take(lsqld_pool *p, lsqld_pconn **out, lsql_error *err)
{
    pthread_mutex_lock(&p->mu);
    lsqld_pconn *pc = p->idle;
    if (pc) {
        p->idle = pc->next;
        p->nidle--;
    }
    pthread_mutex_unlock(&p->mu);
    if (pc) {
        pc->next = NULL;
        pc->uses++;
        atomic_fetch_add_explicit(&p->reused, 1, memory_order_relaxed);
        *out = pc;
        return 0;
    }
    if (open_pconn(p, &pc, err))
        return -1;
    pc->uses = 1;
    *out = pc;
    return 0;
}

/* Brings a connection the stream did more than read with back to a clean
 * state. 0 when it can be reused. */
static int clean(lsqld_pconn *pc, int ro_txn)
{
    lsql_error e;
    /* rolls back (BEGIN statements included), resets every statement, drops
     * TEMP tables, views and triggers; keeps the statement cache */
    if (lsql_conn_reset(pc->conn, &e) != LSQL_OK)
        return -1;
    /* query_only set by lsqld for a read-only transaction (a PRAGMA of the
     * client's own taints the connection instead) */
    if (ro_txn && lsql_exec(pc->conn, "PRAGMA query_only=OFF", NULL, 0, NULL, &e) != LSQL_OK)
        return -1;
    /* last_insert_rowid() of the previous stream must not show; changes()
     * and total_changes() cannot be reset through SQLite's API */
    sqlite3_set_last_insert_rowid(pc->native, 0);
    int ac = 0;
    return lsql_is_autocommit(pc->conn, &ac) == LSQL_OK && ac ? 0 : -1;
}

void lsqld_pool_put(lsqld_pconn *pc, int ro_txn)
{
    lsqld_pool *p = pc->pool;
    int ok = !pc->broken && !pc->tainted;
    if (ok) {
        int ac = 0;
        if (pc->dirty || ro_txn || lsql_is_autocommit(pc->conn, &ac) != LSQL_OK || !ac)
            ok = clean(pc, ro_txn) == 0;
    }
    if (!ok)
        atomic_fetch_add_explicit(&p->rejected, 1, memory_order_relaxed);
    pc->dirty = pc->tainted = pc->broken = pc->vacuum = 0;
    pc->denied = NULL;
    pc->deadline_ms = 0;
    int kept = 0;
    if (ok && p->cap) {
        pc->idle_since_ms = lsqld_now_ms();
        pthread_mutex_lock(&p->mu);
        if (p->nidle < p->cap) {
            pc->next = p->idle;
            p->idle = pc;
            p->nidle++;
            kept = 1;
        }
        pthread_mutex_unlock(&p->mu);
    }
    if (!kept) {
        atomic_fetch_add_explicit(&p->discarded, 1, memory_order_relaxed);
        close_pconn(pc);
    }
}

void lsqld_pool_trim(lsqld_pool *p, int64_t now_ms)
{
    lsqld_pconn *dead = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->nidle > p->keep) {
        /* the list is ordered by idle_since, newest first: past the first
         * `keep`, cut at the first one unused for too long */
        lsqld_pconn **pp = &p->idle;
        unsigned i = 0;
        for (; *pp && i < p->keep; i++)
            pp = &(*pp)->next;
        while (*pp && now_ms - (*pp)->idle_since_ms < (int64_t)p->idle_timeout_ms) {
            pp = &(*pp)->next;
            i++;
        }
        dead = *pp;
        *pp = NULL;
        p->nidle = i;
    }
    pthread_mutex_unlock(&p->mu);
    while (dead) {
        lsqld_pconn *next = dead->next;
        atomic_fetch_add_explicit(&p->discarded, 1, memory_order_relaxed);
        close_pconn(dead);
        dead = next;
    }
}

unsigned lsqld_pool_idle(lsqld_pool *p)
{
    pthread_mutex_lock(&p->mu);
    unsigned n = p->nidle;
    pthread_mutex_unlock(&p->mu);
    return n;
}

void lsqld_pconn_note_error(lsqld_pconn *pc, int code)
{
    switch (LSQL_CLASS(code)) {
    case LSQL_INTERNAL:
    case LSQL_NOMEM:
    case LSQL_IOERR:
    case LSQL_CORRUPT:
    case LSQL_CANTOPEN:
    case LSQL_PROTOCOL:
    case LSQL_NOTADB:
    case LSQL_MISUSE:
        pc->broken = 1;
        break;
    default:
        break;
    }
}

static void put_metric(hrana_buf *b, const char *name, const char *db, unsigned long long v)
{
    char line[160];
    int n = snprintf(line, sizeof line, "%s{db=\"%s\"} %llu\n", name, db, v);
    if (n > 0 && (size_t)n < sizeof line)
        hrana_buf_put(b, line, (size_t)n);
}

void lsqld_pool_metrics_render(lsqld_server *s, hrana_buf *b)
{
    static const struct {
        const char *name, *type, *help;
    } m[] = {
        {"lsqld_db_connections_idle", "gauge", "Idle database connections kept for new streams."},
        {"lsqld_db_connections_opened_total", "counter", "Database connections opened."},
        {"lsqld_db_connections_reused_total", "counter",
         "Streams that got an idle connection instead of a new one."},
        {"lsqld_db_connections_closed_total", "counter",
         "Pooled connections closed: unsafe to reuse, pool full, or idle too long."},
        {"lsqld_db_connections_unsafe_total", "counter",
         "Connections not reused because of a fatal error, a changed setting or a failed "
         "clean-up."},
    };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        char head[256];
        int n = snprintf(head, sizeof head, "# HELP %s %s\n# TYPE %s %s\n", m[i].name,
                         m[i].help, m[i].name, m[i].type);
        if (n > 0 && (size_t)n < sizeof head)
            hrana_buf_put(b, head, (size_t)n);
        for (int ro = 0; ro < 2; ro++) {
            lsqld_pool *p = ro ? &s->pool_ro : &s->pool_rw;
            if (!p->srv)
                continue;
            unsigned long long v;
            switch (i) {
            case 0: v = lsqld_pool_idle(p); break;
            case 1: v = atomic_load_explicit(&p->opened, memory_order_relaxed); break;
            case 2: v = atomic_load_explicit(&p->reused, memory_order_relaxed); break;
            case 3: v = atomic_load_explicit(&p->discarded, memory_order_relaxed); break;
            default: v = atomic_load_explicit(&p->rejected, memory_order_relaxed); break;
            }
            put_metric(b, m[i].name, ro ? "ro" : "rw", v);
        }
    }
}
