/* A program built against an installed lsql. */
#include <lsql.h>
#include <stdio.h>

int main(void)
{
    lsql_db *db = NULL;
    lsql_conn *conn = NULL;
    lsql_error err;
    int64_t v = 0;
    if (lsql_db_open_url(":memory:", &db, &err) || lsql_db_connect(db, &conn, &err) ||
        lsql_query_int64(conn, "SELECT 40 + 2", NULL, 0, &v, &err) || v != 42) {
        fprintf(stderr, "consumer failed: %s\n", err.message);
        return 1;
    }
    lsql_db_close(db);
    printf("consumer: lsql %s ok\n", lsql_libversion());
    return 0;
}
