/* checkpoint.c -- WAL checkpoints and the WAL hook.
 *
 * In WAL mode commits go to the -wal file; a checkpoint copies them into
 * the database file. lsql_wal_checkpoint runs one (PASSIVE, FULL, RESTART
 * or TRUNCATE) and reports the frames in the WAL and how many are now in
 * the database. The WAL hook is told the WAL's size after every commit
 * (SQLite's automatic checkpoint at 1000 pages stays on). */
#include <lsql.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void on_wal(void *ctx, const char *schema, int pages)
{
    int *last = ctx;
    *last = pages;
    (void)schema;
}

int main(void)
{
    char path[512];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/lsql-example-ckpt-%ld.db", dir && *dir ? dir : "/tmp",
             (long)getpid());
    lsql_db_opts opts;
    lsql_db_opts_init(&opts);
    opts.path = path;
    lsql_db *db = NULL;
    lsql_conn *conn = NULL;
    lsql_error err;
    if (lsql_db_open(&opts, &db, &err) || lsql_db_connect(db, &conn, &err)) {
        fprintf(stderr, "open: %s\n", err.message);
        return 1;
    }
    int wal_pages = 0;
    lsql_conn_set_wal_hook(conn, on_wal, &wal_pages);
    lsql_exec(conn, "CREATE TABLE events(payload BLOB)", NULL, 0, NULL, &err);
    lsql_exec(conn,
              "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 100) "
              "INSERT INTO events SELECT randomblob(500) FROM s",
              NULL, 0, NULL, &err);
    printf("WAL hook: %d pages in the WAL after the last commit\n", wal_pages);

    int log = 0, done = 0;
    if (lsql_wal_checkpoint(conn, NULL, LSQL_CHECKPOINT_PASSIVE, &log, &done, &err)) {
        fprintf(stderr, "checkpoint: %s\n", err.message);
        return 1;
    }
    printf("PASSIVE: %d frames in the WAL, %d checkpointed\n", log, done);
    if (lsql_wal_checkpoint(conn, "main", LSQL_CHECKPOINT_TRUNCATE, &log, &done, &err)) {
        fprintf(stderr, "checkpoint: %s\n", err.message);
        return 1;
    }
    printf("TRUNCATE: %d frames left in the WAL\n", log);
    int rc = lsql_wal_checkpoint(conn, NULL, 7, NULL, NULL, &err);
    printf("unknown mode: %s\n", lsql_errname(rc));
    lsql_db_close(db);
    unlink(path);
    char side[600];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    return log == 0 && rc == LSQL_INVALID_ARG ? 0 : 1;
}
