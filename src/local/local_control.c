/* local_control.c -- the local backend's connection control: interrupt, the
 * interruptible busy handler, cache flush, checkpoints, limits, db config
 * and extension loading. */
#include "local_ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- state ----------------------------------------------------------------- */

int local__ctl_open(local_conn *lc)
{
    local_ctl *x = lsql__calloc(1, sizeof *x);
    if (!x)
        return LSQL_NOMEM;
    atomic_init(&x->gen, 0);
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca)) {
        lsql__free(x);
        return LSQL_NOMEM;
    }
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int bad = pthread_cond_init(&x->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (bad) {
        lsql__free(x);
        return LSQL_NOMEM;
    }
    if (pthread_mutex_init(&x->mu, NULL)) {
        pthread_cond_destroy(&x->cv);
        lsql__free(x);
        return LSQL_NOMEM;
    }
    lc->ctl = x;
    /* extension loading starts off (some builds, Debian's among them, turn
     * the C API on by default) */
    sqlite3_db_config(lc->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, (int *)NULL);
    return LSQL_OK;
}

void local__ctl_close(local_conn *lc)
{
    local_ctl *x = lc->ctl;
    if (!x)
        return;
    pthread_mutex_destroy(&x->mu);
    pthread_cond_destroy(&x->cv);
    lsql__free(x);
    lc->ctl = NULL;
}

/* ---- interruptible sleeping and the busy handler ---------------------------- */

static _Thread_local sqlite3 *tl_cancelled; /* see local__busy_take_cancel */

bool local__busy_take_cancel(sqlite3 *db)
{
    if (!db || tl_cancelled != db)
        return false;
    tl_cancelled = NULL;
    return true;
}

static uint64_t ms_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t ms = (int64_t)(now.tv_sec - t0->tv_sec) * 1000 +
                 (now.tv_nsec - t0->tv_nsec) / 1000000;
    return ms < 0 ? 0 : (uint64_t)ms;
}

bool local__ctl_sleep(local_conn *lc, unsigned gen0, uint32_t ms)
{
    local_ctl *x = lc->ctl;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    bool hit = false;
    pthread_mutex_lock(&x->mu);
    for (;;) {
        if (local__interrupted_since(lc, gen0)) {
            hit = true;
            break;
        }
        int rc = pthread_cond_timedwait(&x->cv, &x->mu, &until);
        if (rc == ETIMEDOUT) {
            hit = local__interrupted_since(lc, gen0);
            break;
        }
    }
    pthread_mutex_unlock(&x->mu);
    return hit;
}

/* Sleeps between attempts, like SQLite's default handler, but in steps that
 * an interrupt cuts short and with the elapsed time measured, not summed. */
static int busy_handler(void *arg, int count)
{
    static const uint8_t delays[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50};
    local_conn *lc = arg;
    local_ctl *x = lc->ctl;
    if (count == 0) {
        clock_gettime(CLOCK_MONOTONIC, &x->wait_start);
        /* inside an lsql operation: interrupts since it began count; outside
         * one (SQL run directly on the handle): since the wait began */
        x->wait_gen = x->depth > 0 ? x->op_gen
                                   : atomic_load_explicit(&x->gen, memory_order_relaxed);
        if (tl_cancelled == lc->db)
            tl_cancelled = NULL;
    }
    if (local__interrupted_since(lc, x->wait_gen)) {
        tl_cancelled = lc->db;
        return 0;
    }
    uint64_t spent = ms_since(&x->wait_start);
    if (spent >= x->busy_ms)
        return 0;
    uint64_t step = count < (int)sizeof delays ? delays[count] : 100;
    if (step > x->busy_ms - spent)
        step = x->busy_ms - spent;
    if (local__ctl_sleep(lc, x->wait_gen, (uint32_t)step)) {
        tl_cancelled = lc->db;
        return 0;
    }
    return 1;
}

void local__busy_set(local_conn *lc, uint32_t ms)
{
    lc->ctl->busy_ms = ms;
    sqlite3_busy_handler(lc->db, busy_handler, lc);
}

void local__busy_pragma_seen(local_conn *lc, const char *name, const char *arg)
{
    local_ctl *x = lc->ctl;
    /* only inside lsql's own prepare/step, which complete it afterwards */
    if (!x || x->depth <= 0 || !name || strcasecmp(name, "busy_timeout"))
        return;
    x->busy_pragma = true;
    if (arg) { /* SQLite's own handler is installed while the PRAGMA compiles */
        long long v = strtoll(arg, NULL, 10);
        x->pragma_ms = v < 0 ? 0 : v > INT32_MAX ? (uint32_t)INT32_MAX : (uint32_t)v;
    } else { /* the PRAGMA reports db->busyTimeout: make it lsql's value */
        x->pragma_ms = x->busy_ms;
        sqlite3_busy_timeout(lc->db, (int)(x->busy_ms > INT32_MAX ? INT32_MAX : x->busy_ms));
    }
}

void local__busy_pragma_done_slow(local_conn *lc, bool ok)
{
    local_ctl *x = lc->ctl;
    x->busy_pragma = false;
    local__busy_set(lc, ok ? x->pragma_ms : x->busy_ms);
}

int local__busy_timeout(lsql_conn *c, bool set, uint32_t *ms)
{
    local_conn *lc = LC(c);
    if (set)
        local__busy_set(lc, *ms);
    else
        *ms = lc->ctl->busy_ms;
    return LSQL_OK;
}

int local__interrupt(lsql_conn *c)
{
    local_conn *lc = LC(c);
    local_ctl *x = lc->ctl;
    atomic_fetch_add_explicit(&x->gen, 1, memory_order_relaxed);
    sqlite3_interrupt(lc->db);
    pthread_mutex_lock(&x->mu);
    pthread_cond_broadcast(&x->cv);
    pthread_mutex_unlock(&x->mu);
    return LSQL_OK;
}

/* ---- cache flush, checkpoint, limits, config --------------------------------- */

int local__cacheflush(lsql_conn *c, lsql_error *e)
{
    local_conn *lc = LC(c);
    local__op_begin(lc);
    int rc = sqlite3_db_cacheflush(lc->db);
    local__op_end(lc);
    return rc == SQLITE_OK ? LSQL_OK : local__error(lc->db, rc, e, "cache flush");
}

void local__forget_idle_interrupt(local_conn *lc)
{
    /* SQLite clears its interrupt flag when a statement is compiled while
     * none is running, but checkpoints and backups do not: an interrupt of
     * an idle connection would still hit them. Compiling an empty text
     * clears it (no statement, no authorizer call); an interrupt that came
     * after this operation began is then set again. */
    sqlite3_stmt *s = NULL;
    sqlite3_prepare_v2(lc->db, "", -1, &s, NULL);
    sqlite3_finalize(s);
    if (local__interrupted_since(lc, lc->ctl->op_gen))
        sqlite3_interrupt(lc->db);
}

int local__checkpoint(lsql_conn *c, const char *schema, int mode, int *log, int *ckpt,
                      lsql_error *e)
{
    local_conn *lc = LC(c);
    local__op_begin(lc);
    local__forget_idle_interrupt(lc);
    int rc = sqlite3_wal_checkpoint_v2(lc->db, schema, mode, log, ckpt);
    local__op_end(lc);
    return rc == SQLITE_OK ? LSQL_OK : local__error(lc->db, rc, e, "checkpoint");
}

int local__limit(lsql_conn *c, int id, int value, int *old)
{
    *old = sqlite3_limit(LC(c)->db, id, value);
    return LSQL_OK;
}

int local__db_config(lsql_conn *c, int option, int value, int *out, lsql_error *e)
{
    static const int map[] = {
        [LSQL_DBCONFIG_ENABLE_FKEY] = SQLITE_DBCONFIG_ENABLE_FKEY,
        [LSQL_DBCONFIG_ENABLE_TRIGGER] = SQLITE_DBCONFIG_ENABLE_TRIGGER,
        [LSQL_DBCONFIG_ENABLE_VIEW] = SQLITE_DBCONFIG_ENABLE_VIEW,
        [LSQL_DBCONFIG_DEFENSIVE] = SQLITE_DBCONFIG_DEFENSIVE,
        [LSQL_DBCONFIG_TRUSTED_SCHEMA] = SQLITE_DBCONFIG_TRUSTED_SCHEMA,
        [LSQL_DBCONFIG_DQS_DML] = SQLITE_DBCONFIG_DQS_DML,
        [LSQL_DBCONFIG_DQS_DDL] = SQLITE_DBCONFIG_DQS_DDL,
        [LSQL_DBCONFIG_ENABLE_QPSG] = SQLITE_DBCONFIG_ENABLE_QPSG,
        [LSQL_DBCONFIG_TRIGGER_EQP] = SQLITE_DBCONFIG_TRIGGER_EQP,
        [LSQL_DBCONFIG_LEGACY_ALTER_TABLE] = SQLITE_DBCONFIG_LEGACY_ALTER_TABLE,
        [LSQL_DBCONFIG_NO_CKPT_ON_CLOSE] = SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
        [LSQL_DBCONFIG_LEGACY_FILE_FORMAT] = SQLITE_DBCONFIG_LEGACY_FILE_FORMAT,
    };
    local_conn *lc = LC(c);
    int now = 0;
    int rc = sqlite3_db_config(lc->db, map[option], value, &now);
    if (rc != SQLITE_OK)
        return local__error(lc->db, rc, e, "db config");
    *out = now != 0;
    return LSQL_OK;
}

/* ---- extensions ------------------------------------------------------------- */

int local__enable_load_extension(lsql_conn *c, int on, lsql_error *e)
{
    local_conn *lc = LC(c);
    int now = 0;
    int rc = sqlite3_db_config(lc->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, on ? 1 : 0, &now);
    if (rc != SQLITE_OK)
        return local__error(lc->db, rc, e, "enabling extension loading");
    return LSQL_OK;
}

int local__load_extension(lsql_conn *c, const char *path, const char *entry, lsql_error *e)
{
    local_conn *lc = LC(c);
    int on = 0;
    sqlite3_db_config(lc->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, -1, &on);
    if (!on) {
        lsql__err_set(e, LSQL_PERM_EXTENSION,
                      "extension loading is disabled on this connection; enable it with "
                      "lsql_conn_enable_load_extension()");
        return LSQL_PERM_EXTENSION;
    }
    char *msg = NULL;
    int rc = sqlite3_load_extension(lc->db, path, entry, &msg);
    if (rc != SQLITE_OK) {
        lsql__err_set(e, local__code(rc), "cannot load extension '%.256s': %s", path,
                      msg ? msg : sqlite3_errstr(rc));
        e->sqlite_code = rc;
        sqlite3_free(msg);
        return e->ext_code;
    }
    sqlite3_free(msg);
    return LSQL_OK;
}
