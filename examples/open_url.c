/* open_url.c -- opening databases from URL strings with lsql_db_open_url.
 *
 *   ":memory:"                 an in-memory database
 *   "path/to/file.db"          a file (anything without a scheme)
 *   "file:PATH?key=value&..."  a file, with options in the query string
 *
 * Options: busy_timeout, cache_size, stmt_cache, foreign_keys, wal,
 * synchronous, mode (ro/rw/rwc), memory (shared/private). Unknown options
 * are rejected, naming the key. */
#include <lsql.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void remove_db(const char *path)
{
    char side[1100];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-journal", path);
    unlink(side);
}

/* Opens `url`, connects, and prints journal_mode and busy_timeout. */
static int try_url(const char *url)
{
    lsql_db *db = NULL;
    lsql_conn *conn = NULL;
    lsql_error err;
    if (lsql_db_open_url(url, &db, &err) != LSQL_OK) {
        fprintf(stderr, "open %s: %s\n", url, err.message);
        return -1;
    }
    if (lsql_db_connect(db, &conn, &err) != LSQL_OK) {
        fprintf(stderr, "connect %s: %s\n", url, err.message);
        lsql_db_close(db);
        return -1;
    }
    lsql_value mode;
    int64_t timeout = 0;
    if (lsql_query_value(conn, "PRAGMA journal_mode", NULL, 0, &mode, &err) != LSQL_OK ||
        lsql_query_int64(conn, "PRAGMA busy_timeout", NULL, 0, &timeout, &err) != LSQL_OK) {
        fprintf(stderr, "pragma: %s\n", err.message);
        lsql_db_close(db);
        return -1;
    }
    printf("%-60s mode=%s journal=%s busy_timeout=%lld\n", url,
           lsql_db_mode(db) == LSQL_MODE_MEMORY ? "MEMORY" : "LOCAL",
           (const char *)mode.u.bytes.p, (long long)timeout);
    lsql_value_release(&mode);
    lsql_db_close(db);
    return 0;
}

int main(void)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    /* The file name has a space: in a file: URL it is written %20. */
    char path[1024], url[1200];
    snprintf(path, sizeof path, "%s/lsql example url-%ld.db", dir, (long)getpid());
    remove_db(path);

    /* an in-memory database */
    if (try_url(":memory:"))
        return 1;

    /* a file with options: no WAL, 1.5 s busy timeout, small statement cache */
    snprintf(url, sizeof url, "file:%s/lsql%%20example%%20url-%ld.db"
             "?wal=off&busy_timeout=1500&stmt_cache=8", dir, (long)getpid());
    if (try_url(url))
        return 1;
    /* the same file as a plain path, with the defaults (WAL) */
    if (try_url(path))
        return 1;
    /* read-only through the URL */
    snprintf(url, sizeof url, "file:%s/lsql%%20example%%20url-%ld.db?mode=ro", dir,
             (long)getpid());
    if (try_url(url))
        return 1;

    /* Errors are reported precisely. */
    lsql_db *db = NULL;
    lsql_error err;
    int rc = lsql_db_open_url("file:x.db?colour=blue", &db, &err);
    printf("unknown option:  %s: %s\n", lsql_errname(rc), err.message);
    if (rc != LSQL_INVALID_OPTION)
        return 1;
    rc = lsql_db_open_url("file:x.db?busy_timeout=soon", &db, &err);
    printf("bad value:       %s: %s\n", lsql_errname(rc), err.message);
    if (rc != LSQL_INVALID_OPTION)
        return 1;
    /* a remote URL (examples/remote.c shows a real server): nothing listens
     * on port 1, and retries=0 reports that at once */
    rc = lsql_db_open_url("http://127.0.0.1:1?retries=0", &db, &err);
    printf("remote, no server: %s: %s\n", lsql_errname(rc), err.message);
    if (rc != LSQL_HTTP_CONNECT || !(err.flags & LSQL_ERRF_RETRYABLE))
        return 1;

    remove_db(path);
    return 0;
}
