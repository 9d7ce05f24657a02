/* interrupt.c -- cancelling a query that is running, from another thread.
 *
 * lsql_conn_interrupt is the one call that may be made from any thread
 * while the connection's owner is inside a call (but not while it closes
 * the connection). Here a worker runs a query that would count to 10^12;
 * a progress handler tells the main thread once it is really running, and
 * the main thread interrupts it: the worker's call returns
 * LSQL_INTERRUPTED and the connection is usable right away. An interrupt
 * of an idle connection does nothing (it is not remembered). */
#include <lsql.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

typedef struct {
    lsql_conn *conn;
    atomic_int running;
    int rc;
    char message[LSQL_ERRMSG_MAX];
} job;

static int on_progress(void *ctx)
{
    atomic_store(&((job *)ctx)->running, 1);
    return 0; /* keep going */
}

static void *worker(void *arg)
{
    job *j = arg;
    lsql_error err;
    int64_t n = 0;
    j->rc = lsql_query_int64(j->conn,
                             "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                             "WHERE x < 1000000000000) SELECT count(*) FROM c",
                             NULL, 0, &n, &err);
    snprintf(j->message, sizeof j->message, "%s", j->rc ? err.message : "");
    return NULL;
}

int main(void)
{
    lsql_db *db = NULL;
    lsql_conn *conn = NULL;
    lsql_error err;
    if (lsql_db_open_url(":memory:", &db, &err) || lsql_db_connect(db, &conn, &err)) {
        fprintf(stderr, "open: %s\n", err.message);
        return 1;
    }
    job j = {conn, 0, 0, ""};
    lsql_conn_set_progress_handler(conn, 10000, on_progress, &j);
    pthread_t th;
    if (pthread_create(&th, NULL, worker, &j))
        return 1;
    for (int ms = 0; !atomic_load(&j.running); ms++) { /* wait until it runs */
        if (ms > 60000)
            return 1;
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    printf("query is running; interrupting it from the main thread\n");
    lsql_conn_interrupt(conn);
    pthread_join(th, NULL);
    printf("worker got %s: %s\n", lsql_errname(j.rc), j.message);
    if (j.rc != LSQL_INTERRUPTED)
        return 1;

    /* the connection goes on; an interrupt while idle changes nothing */
    lsql_conn_set_progress_handler(conn, 0, NULL, NULL);
    lsql_conn_interrupt(conn);
    int64_t v = 0;
    if (lsql_query_int64(conn, "SELECT 6 * 7", NULL, 0, &v, &err)) {
        fprintf(stderr, "after interrupt: %s\n", err.message);
        return 1;
    }
    printf("next query after an idle interrupt: %lld\n", (long long)v);
    lsql_db_close(db);
    return 0;
}
