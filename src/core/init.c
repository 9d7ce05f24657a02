/* init.c -- global initialisation, version and the log callback. */
#include "internal.h"

#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>

static atomic_bool g_init;
static pthread_mutex_t g_init_mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_int g_open_dbs;

static lsql_log_fn g_log;
static void *g_log_ctx;
static int g_log_level;

bool lsql__initialized(void) { return atomic_load(&g_init); }

LSQL_API const char *lsql_libversion(void) { return LSQL_VERSION; }
LSQL_API int lsql_libversion_number(void) { return LSQL_VERSION_NUM; }
LSQL_API int lsql_threadsafe(void) { return sqlite3_threadsafe() != 0; }

static void sqlite_log_cb(void *ctx, int code, const char *msg)
{
    (void)ctx;
    /* SQLite logs every failed prepare/step (SQLITE_ERROR, CONSTRAINT,
     * SCHEMA ...); those are returned to the caller anyway, so they go out
     * at DEBUG; real warnings (recovery, auto-index) at WARN. */
    int cls = code & 0xff;
    int level = (cls == SQLITE_WARNING || cls == SQLITE_NOTICE ||
                 cls == SQLITE_CORRUPT || cls == SQLITE_IOERR)
                    ? LSQL_LOG_WARN
                    : LSQL_LOG_DEBUG;
    lsql__log(level, "sqlite (%d): %s", code, msg);
}

void lsql__log(int level, const char *fmt, ...)
{
    lsql_log_fn fn = g_log;
    if (!fn || level > g_log_level)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fn(level, buf, g_log_ctx);
}

LSQL_API int lsql_set_log(lsql_log_fn fn, int max_level, void *ctx)
{
    if (fn && (max_level < LSQL_LOG_ERROR || max_level > LSQL_LOG_DEBUG))
        return LSQL_INVALID_ARG;
    g_log = fn;
    g_log_ctx = ctx;
    g_log_level = max_level;
    return LSQL_OK;
}

LSQL_API int lsql_initialize(void)
{
    if (atomic_load(&g_init))
        return LSQL_OK;
    pthread_mutex_lock(&g_init_mu);
    int rc = LSQL_OK;
    if (!atomic_load(&g_init)) {
        rc = lsql__alloc_install_sqlite();
        if (rc == LSQL_OK && g_log)
            sqlite3_config(SQLITE_CONFIG_LOG, sqlite_log_cb, NULL);
        if (rc == LSQL_OK) {
            int src = sqlite3_initialize();
            rc = src == SQLITE_OK ? LSQL_OK
                                  : (src == SQLITE_NOMEM ? LSQL_NOMEM : src);
        }
        if (rc == LSQL_OK)
            atomic_store(&g_init, true);
    }
    pthread_mutex_unlock(&g_init_mu);
    return rc;
}

int lsql__ensure_init(void)
{
    return LSQL_LIKELY(atomic_load(&g_init)) ? LSQL_OK : lsql_initialize();
}

void lsql__db_count_add(int delta) { atomic_fetch_add(&g_open_dbs, delta); }

LSQL_API int lsql_shutdown(void)
{
    pthread_mutex_lock(&g_init_mu);
    int rc = LSQL_OK;
    if (atomic_load(&g_open_dbs) > 0) {
        rc = LSQL_MISUSE_STATE;
    } else if (atomic_load(&g_init)) {
        sqlite3_shutdown();
        atomic_store(&g_init, false);
    }
    pthread_mutex_unlock(&g_init_mu);
    return rc;
}
