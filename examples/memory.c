/* memory.c -- in-memory databases (LSQL_MODE_MEMORY).
 *
 * By default, like SQLite's ":memory:", each connection gets its own private
 * database. With LSQL_DB_MEMORY_SHARED every connection of one lsql_db sees
 * the same in-memory database, which lives as long as the lsql_db. */
#include <lsql.h>

#include <stdio.h>

static int fail(const char *what, const lsql_error *err)
{
    fprintf(stderr, "%s: %s\n", what, err->message);
    return 1;
}

int main(void)
{
    lsql_error err;
    lsql_db_opts opts;
    lsql_db_opts_init(&opts);
    opts.mode = LSQL_MODE_MEMORY;
    opts.flags = LSQL_DB_MEMORY_SHARED;

    /* One shared in-memory database, two connections. */
    lsql_db *db = NULL;
    lsql_conn *writer = NULL, *reader = NULL;
    if (lsql_db_open(&opts, &db, &err) != LSQL_OK)
        return fail("open", &err);
    if (lsql_db_connect(db, &writer, &err) != LSQL_OK ||
        lsql_db_connect(db, &reader, &err) != LSQL_OK)
        return fail("connect", &err);

    if (lsql_exec(writer, "CREATE TABLE colours(name TEXT)", NULL, 0, NULL, &err) ||
        lsql_exec(writer, "INSERT INTO colours VALUES ('red'), ('green'), ('blue')", NULL, 0,
                  NULL, &err))
        return fail("writer", &err);

    /* The second connection sees what the first one committed. */
    int64_t n = 0;
    if (lsql_query_int64(reader, "SELECT count(*) FROM colours", NULL, 0, &n, &err))
        return fail("reader", &err);
    printf("shared memory database: the reader sees %lld colours\n", (long long)n);
    if (n != 3)
        return 1;

    /* Closing one connection keeps the data: the lsql_db holds it. */
    lsql_conn_close(writer);
    lsql_conn *later = NULL;
    if (lsql_db_connect(db, &later, &err) ||
        lsql_query_int64(later, "SELECT count(*) FROM colours", NULL, 0, &n, &err))
        return fail("later connection", &err);
    printf("a connection opened later still sees %lld colours\n", (long long)n);
    lsql_db_close(db); /* frees the database and its remaining connections */

    /* Private (the default): each connection has a database of its own. */
    opts.flags = 0;
    lsql_conn *a = NULL, *b = NULL;
    if (lsql_db_open(&opts, &db, &err) || lsql_db_connect(db, &a, &err) ||
        lsql_db_connect(db, &b, &err))
        return fail("open private", &err);
    if (lsql_exec(a, "CREATE TABLE only_in_a(x)", NULL, 0, NULL, &err))
        return fail("create", &err);
    int rc = lsql_exec(b, "SELECT * FROM only_in_a", NULL, 0, NULL, &err);
    printf("private memory databases: the other connection gets %s (%s)\n",
           lsql_errname(rc), err.message);
    if (rc != LSQL_ERROR)
        return 1;
    lsql_db_close(db);
    return 0;
}
