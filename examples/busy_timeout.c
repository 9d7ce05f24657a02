/* busy_timeout.c -- waiting for a lock held by another connection.
 *
 * Every connection waits up to its busy timeout (5000 ms by default, from
 * lsql_db_opts.busy_timeout_ms) when another connection holds the write
 * lock; lsql's busy handler sleeps in short steps that lsql_conn_interrupt
 * can cut short. Here one connection holds a write transaction, the other
 * tries to write with a 50 ms timeout and gets the retryable LSQL_BUSY, then
 * succeeds once the lock is released. */
#include <lsql.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
    char path[512];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/lsql-example-busy-%ld.db", dir && *dir ? dir : "/tmp",
             (long)getpid());
    lsql_db_opts opts;
    lsql_db_opts_init(&opts);
    opts.path = path;
    lsql_db *db = NULL;
    lsql_conn *holder = NULL, *waiter = NULL;
    lsql_error err;
    if (lsql_db_open(&opts, &db, &err) || lsql_db_connect(db, &holder, &err) ||
        lsql_db_connect(db, &waiter, &err)) {
        fprintf(stderr, "open: %s\n", err.message);
        return 1;
    }
    uint32_t ms = 0;
    lsql_conn_busy_timeout(waiter, &ms);
    printf("default busy timeout: %u ms\n", ms);

    lsql_exec(holder, "CREATE TABLE jobs(name TEXT)", NULL, 0, NULL, &err);
    lsql_exec(holder, "BEGIN IMMEDIATE", NULL, 0, NULL, &err); /* takes the write lock */

    lsql_conn_set_busy_timeout(waiter, 50);
    int rc = lsql_exec(waiter, "INSERT INTO jobs VALUES ('a')", NULL, 0, NULL, &err);
    printf("while locked: %s (%s), retryable=%d\n", lsql_errname(rc), err.message,
           (err.flags & LSQL_ERRF_RETRYABLE) != 0);
    if (rc != LSQL_BUSY)
        return 1;

    lsql_exec(holder, "COMMIT", NULL, 0, NULL, &err);
    rc = lsql_exec(waiter, "INSERT INTO jobs VALUES ('a')", NULL, 0, NULL, &err);
    printf("after the lock is released: %s\n", lsql_errname(rc));
    lsql_db_close(db);
    unlink(path);
    char side[600];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    return rc == LSQL_OK ? 0 : 1;
}
