/* allocator.c -- routing all memory through your own allocator.
 *
 * lsql_set_allocator installs malloc/realloc/free functions for lsql AND for
 * SQLite (lsql hands them to SQLite through SQLITE_CONFIG_MALLOC), so every
 * byte either of them allocates goes through your code: useful for
 * accounting, limits, arenas or debugging. It must be the first lsql call in
 * the process (before lsql_initialize or the first open). */
#include <lsql.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A counting allocator. Each block carries a 16-byte header with its size
 * (16 keeps the payload aligned for any type). The functions may be called
 * from any thread that uses lsql: a multi-threaded program needs atomic
 * counters or a lock here; this example is single-threaded. */
typedef struct {
    size_t calls;      /* malloc + realloc calls */
    size_t live_bytes; /* bytes currently allocated */
    size_t peak_bytes;
} mem_stats;

#define HDR 16

static void account(mem_stats *s, size_t add, size_t sub)
{
    s->live_bytes = s->live_bytes + add - sub;
    if (s->live_bytes > s->peak_bytes)
        s->peak_bytes = s->live_bytes;
}

static void *my_malloc(size_t n, void *ctx)
{
    mem_stats *s = ctx;
    unsigned char *b = malloc(n + HDR);
    if (!b)
        return NULL;
    memcpy(b, &n, sizeof n);
    s->calls++;
    account(s, n, 0);
    return b + HDR;
}

static void *my_realloc(void *p, size_t n, void *ctx)
{
    if (!p) /* realloc(NULL, n) must act as malloc */
        return my_malloc(n, ctx);
    mem_stats *s = ctx;
    unsigned char *b = (unsigned char *)p - HDR;
    size_t old;
    memcpy(&old, b, sizeof old);
    unsigned char *q = realloc(b, n + HDR);
    if (!q)
        return NULL; /* the old block stays valid */
    memcpy(q, &n, sizeof n);
    s->calls++;
    account(s, n, old);
    return q + HDR;
}

static void my_free(void *p, void *ctx)
{
    if (!p) /* free(NULL) must be harmless */
        return;
    mem_stats *s = ctx;
    unsigned char *b = (unsigned char *)p - HDR;
    size_t n;
    memcpy(&n, b, sizeof n);
    account(s, 0, n);
    free(b);
}

int main(void)
{
    static mem_stats stats;
    lsql_allocator a = {my_malloc, my_realloc, my_free, &stats};

    /* 1. First call of the process. `old` receives the previous allocator
     *    (all NULL: the defaults). */
    lsql_allocator old;
    int rc = lsql_set_allocator(&a, &old);
    if (rc != LSQL_OK) {
        fprintf(stderr, "lsql_set_allocator: %s\n", lsql_errname(rc));
        return 1;
    }

    /* 2. Use lsql as usual. */
    lsql_error err;
    lsql_db_opts opts;
    lsql_db_opts_init(&opts);
    opts.mode = LSQL_MODE_MEMORY;
    lsql_db *db = NULL;
    lsql_conn *conn = NULL;
    if (lsql_db_open(&opts, &db, &err) || lsql_db_connect(db, &conn, &err)) {
        fprintf(stderr, "open: %s\n", err.message);
        return 1;
    }
    printf("after open:          %zu calls, %zu bytes live\n", stats.calls, stats.live_bytes);
    if (lsql_exec(conn, "CREATE TABLE t(x BLOB)", NULL, 0, NULL, &err) ||
        lsql_exec(conn, "INSERT INTO t VALUES (randomblob(1000000))", NULL, 0, NULL, &err)) {
        fprintf(stderr, "exec: %s\n", err.message);
        return 1;
    }
    /* the in-memory database's pages are SQLite's memory: counted too */
    printf("after a 1 MB insert: %zu calls, %zu bytes live\n", stats.calls, stats.live_bytes);

    /* 3. Too late now: the allocator cannot change while lsql is initialised. */
    rc = lsql_set_allocator(NULL, NULL);
    printf("changing it now:     %s\n", lsql_errname(rc));
    if (rc != LSQL_MISUSE_INIT)
        return 1;

    /* 4. Close everything and shut down: all memory comes back. */
    lsql_db_close(db);
    rc = lsql_shutdown();
    printf("after shutdown:      %zu bytes live (peak %zu)\n", stats.live_bytes,
           stats.peak_bytes);
    return rc == LSQL_OK && stats.live_bytes == 0 ? 0 : 1;
}
