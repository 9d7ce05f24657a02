/* threads.c -- one connection per thread.
 *
 * The thread contract: a connection (and its statements and rows) is used
 * by one thread at a time; different connections of the same lsql_db may be
 * used concurrently, and lsql_db_connect may be called from several threads
 * at once. Here every worker opens its own connection to a shared file
 * database (WAL: readers never block the writer) and inserts rows; SQLite's
 * busy timeout, on by default, makes the writers take turns. */
#include <lsql.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define WORKERS 4
#define ROWS_PER_WORKER 200

typedef struct {
    lsql_db *db; /* shared: lsql_db_connect is thread-safe */
    int id;
    int failed;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    lsql_error err;
    lsql_conn *conn = NULL;
    /* The connection belongs to this thread alone. */
    if (lsql_db_connect(w->db, &conn, &err) != LSQL_OK) {
        fprintf(stderr, "worker %d: connect: %s\n", w->id, err.message);
        w->failed = 1;
        return NULL;
    }
    for (int i = 0; i < ROWS_PER_WORKER; i++) {
        lsql_param p[] = {{":w", lsql_int(w->id)}, {":i", lsql_int(i)}};
        int rc = lsql_exec(conn, "INSERT INTO log(worker, n) VALUES (:w, :i)", p, 2, NULL,
                           &err);
        if (rc != LSQL_OK) {
            fprintf(stderr, "worker %d: insert: %s (%s)\n", w->id, err.message,
                    lsql_errname(rc));
            w->failed = 1;
            break;
        }
        /* reads from this connection see its own writes */
        if (i % 50 == 0) {
            int64_t mine = 0;
            lsql_param q[] = {{NULL, lsql_int(w->id)}};
            if (lsql_query_int64(conn, "SELECT count(*) FROM log WHERE worker = ?", q, 1,
                                 &mine, &err) != LSQL_OK || mine != i + 1) {
                fprintf(stderr, "worker %d: count: %s\n", w->id, err.message);
                w->failed = 1;
                break;
            }
        }
    }
    lsql_conn_close(conn);
    return NULL;
}

int main(void)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    char path[1024], side[1100];
    snprintf(path, sizeof path, "%s/lsql-example-threads-%ld.db", dir, (long)getpid());
    unlink(path);

    printf("lsql is %sthread-safe\n", lsql_threadsafe() ? "" : "NOT ");
    if (!lsql_threadsafe())
        return 1;

    lsql_error err;
    lsql_db_opts opts;
    lsql_db_opts_init(&opts);
    opts.path = path;
    opts.busy_timeout_ms = 10000; /* generous: the writers queue up */
    lsql_db *db = NULL;
    lsql_conn *main_conn = NULL;
    if (lsql_db_open(&opts, &db, &err) || lsql_db_connect(db, &main_conn, &err)) {
        fprintf(stderr, "open: %s\n", err.message);
        return 1;
    }
    if (lsql_exec(main_conn, "CREATE TABLE log(worker INTEGER, n INTEGER)", NULL, 0, NULL,
                  &err)) {
        fprintf(stderr, "create: %s\n", err.message);
        return 1;
    }

    pthread_t tid[WORKERS];
    worker w[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        w[i].db = db;
        w[i].id = i;
        w[i].failed = 0;
        if (pthread_create(&tid[i], NULL, work, &w[i]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            return 1;
        }
    }
    int failed = 0;
    for (int i = 0; i < WORKERS; i++) {
        pthread_join(tid[i], NULL);
        failed |= w[i].failed;
    }

    /* All threads are done: the main connection counts their rows. */
    int64_t total = 0;
    if (lsql_query_int64(main_conn, "SELECT count(*) FROM log", NULL, 0, &total, &err)) {
        fprintf(stderr, "count: %s\n", err.message);
        return 1;
    }
    printf("%d threads inserted %lld rows (expected %d)\n", WORKERS, (long long)total,
           WORKERS * ROWS_PER_WORKER);
    lsql_db_close(db); /* only after every thread has finished with it */

    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    return !failed && total == WORKERS * ROWS_PER_WORKER ? 0 : 1;
}
