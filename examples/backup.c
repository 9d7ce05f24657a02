/* backup.c -- online backup and restore.
 *
 * lsql_backup_to_file copies a live database to a file in steps of N pages,
 * reporting progress (the callback can stop it); lsql_backup_from_file
 * restores a file into a connection (here an in-memory database), and
 * lsql_backup_to_conn copies between two connections. */
#include <lsql.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int on_progress(void *ctx, int remaining, int total)
{
    int *steps = ctx;
    (*steps)++;
    printf("  %d of %d pages left\n", remaining, total);
    return 0; /* non-zero would stop the backup with LSQL_ABORT */
}

int main(void)
{
    char path[512];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/lsql-example-backup-%ld.db", dir && *dir ? dir : "/tmp",
             (long)getpid());
    lsql_db *db = NULL, *mem = NULL;
    lsql_conn *conn = NULL, *restored = NULL;
    lsql_error err;
    if (lsql_db_open_url(":memory:", &db, &err) || lsql_db_connect(db, &conn, &err) ||
        lsql_db_open_url(":memory:", &mem, &err) || lsql_db_connect(mem, &restored, &err)) {
        fprintf(stderr, "open: %s\n", err.message);
        return 1;
    }
    lsql_exec(conn, "CREATE TABLE docs(id INTEGER PRIMARY KEY, body BLOB)", NULL, 0, NULL, &err);
    lsql_exec(conn,
              "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 200) "
              "INSERT INTO docs SELECT i, randomblob(1000) FROM s",
              NULL, 0, NULL, &err);

    int steps = 0;
    lsql_backup_opts opts = {sizeof(lsql_backup_opts), 16, 0, on_progress, &steps};
    printf("backup to %s:\n", path);
    if (lsql_backup_to_file(conn, NULL, path, &opts, &err)) {
        fprintf(stderr, "backup: %s\n", err.message);
        return 1;
    }
    printf("done in %d steps\n", steps);

    if (lsql_backup_from_file(restored, NULL, path, NULL, &err)) {
        fprintf(stderr, "restore: %s\n", err.message);
        return 1;
    }
    int64_t n = 0;
    lsql_query_int64(restored, "SELECT count(*) FROM docs", NULL, 0, &n, &err);
    printf("restored into memory: %lld rows\n", (long long)n);

    /* connection to connection */
    lsql_exec(conn, "INSERT INTO docs(body) VALUES (x'00')", NULL, 0, NULL, &err);
    if (lsql_backup_to_conn(conn, NULL, restored, NULL, NULL, &err)) {
        fprintf(stderr, "backup to conn: %s\n", err.message);
        return 1;
    }
    lsql_query_int64(restored, "SELECT count(*) FROM docs", NULL, 0, &n, &err);
    printf("after copying connection to connection: %lld rows\n", (long long)n);
    lsql_db_close(db);
    lsql_db_close(mem);
    unlink(path);
    return n == 201 ? 0 : 1;
}
