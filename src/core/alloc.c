/* alloc.c -- the allocator hook shared by lsql and SQLite. */
#include "internal.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

static lsql_allocator g_alloc; /* all NULL: libc */
static bool g_custom;

bool lsql__alloc_is_custom(void) { return g_custom; }

void *lsql__malloc(size_t n)
{
    if (n == 0)
        n = 1;
    return g_custom ? g_alloc.malloc_fn(n, g_alloc.ctx) : malloc(n);
}

void *lsql__calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = lsql__malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *lsql__realloc(void *p, size_t n)
{
    if (n == 0)
        n = 1;
    return g_custom ? g_alloc.realloc_fn(p, n, g_alloc.ctx) : realloc(p, n);
}

void lsql__free(void *p)
{
    if (!p)
        return;
    int saved = errno;
    if (g_custom)
        g_alloc.free_fn(p, g_alloc.ctx);
    else
        free(p);
    errno = saved;
}

char *lsql__strndup(const char *s, size_t n)
{
    char *d = lsql__malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

char *lsql__strdup(const char *s) { return lsql__strndup(s, strlen(s)); }

LSQL_API void *lsql_malloc(size_t size) { return lsql__malloc(size); }
LSQL_API void lsql_free(void *p) { lsql__free(p); }

/* ---- SQLite shims: a 16-byte header keeps the size for xSize and keeps the
 * payload aligned for any type. */
#define HDR 16

static void *sq_malloc(int n)
{
    if (n <= 0)
        return NULL;
    unsigned char *p = g_alloc.malloc_fn((size_t)n + HDR, g_alloc.ctx);
    if (!p)
        return NULL;
    memcpy(p, &(size_t){(size_t)n}, sizeof(size_t));
    return p + HDR;
}

static void sq_free(void *p)
{
    if (p)
        lsql__free((unsigned char *)p - HDR);
}

static int sq_size(void *p)
{
    size_t n;
    if (!p)
        return 0;
    memcpy(&n, (unsigned char *)p - HDR, sizeof(size_t));
    return (int)n;
}

static void *sq_realloc(void *p, int n)
{
    if (n <= 0)
        return NULL;
    unsigned char *b = p ? (unsigned char *)p - HDR : NULL;
    unsigned char *q = g_alloc.realloc_fn(b, (size_t)n + HDR, g_alloc.ctx);
    if (!q)
        return NULL;
    memcpy(q, &(size_t){(size_t)n}, sizeof(size_t));
    return q + HDR;
}

static int sq_roundup(int n) { return (n + 7) & ~7; }
static int sq_init(void *ctx) { (void)ctx; return SQLITE_OK; }
static void sq_shutdown(void *ctx) { (void)ctx; }

static const sqlite3_mem_methods sq_methods = {
    sq_malloc, sq_free, sq_realloc, sq_size, sq_roundup, sq_init, sq_shutdown, NULL};

/* SQLite's own allocator, saved before lsql first replaces it, so that
 * restoring the default (lsql_set_allocator(NULL) after lsql_shutdown) gives
 * SQLite back its methods instead of shims over a cleared table. */
static sqlite3_mem_methods g_sqlite_default;
static bool g_saved_default, g_shims_installed;

int lsql__alloc_install_sqlite(void)
{
    if (!g_custom && !g_shims_installed)
        return LSQL_OK;
    if (!g_saved_default) {
        if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &g_sqlite_default) != SQLITE_OK)
            return LSQL_MISUSE_INIT;
        g_saved_default = true;
    }
    const sqlite3_mem_methods *m = g_custom ? &sq_methods : &g_sqlite_default;
    if (sqlite3_config(SQLITE_CONFIG_MALLOC, m) != SQLITE_OK)
        return LSQL_MISUSE_INIT;
    g_shims_installed = g_custom;
    return LSQL_OK;
}

/* True when SQLite is initialised (by lsql or by anything else in the
 * process): its configuration calls then answer SQLITE_MISUSE. */
static bool sqlite_initialized(void)
{
    sqlite3_mem_methods probe;
    return sqlite3_config(SQLITE_CONFIG_GETMALLOC, &probe) != SQLITE_OK;
}

LSQL_API int lsql_set_allocator(const lsql_allocator *a, lsql_allocator *old)
{
    if (lsql__initialized() || sqlite_initialized())
        return LSQL_MISUSE_INIT;
    if (a && (!a->malloc_fn || !a->realloc_fn || !a->free_fn))
        return LSQL_INVALID_ARG;
    if (old) {
        if (g_custom)
            *old = g_alloc;
        else
            memset(old, 0, sizeof *old);
    }
    if (a) {
        g_alloc = *a;
        g_custom = true;
    } else {
        memset(&g_alloc, 0, sizeof g_alloc);
        g_custom = false;
    }
    return LSQL_OK;
}
