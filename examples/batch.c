/* batch.c -- a statement batch: steps of (SQL, parameters), positional or
 * named, run with one result per step (changes, last rowid, detached rows
 * that outlive the connection) -- non-atomic (stops at the first error,
 * earlier steps stay) and atomic (one transaction, rolled back on error). */
#include <lsql.h>

#include <stdio.h>

static int fail(const char *what, const lsql_error *err)
{
    fprintf(stderr, "%s: %s (%s)\n", what, err->message, lsql_errname(err->ext_code));
    return 1;
}

static void report(const lsql_batch_result *res)
{
    for (size_t i = 0; i < lsql_batch_result_count(res); i++) {
        lsql_step_result s;
        s.struct_size = sizeof s;
        lsql_batch_result_step(res, i, &s);
        if (s.status == LSQL_OK)
            printf("  step %zu: ok, changes=%lld rowid=%lld rows=%zu\n", i, (long long)s.changes,
                   (long long)s.last_insert_rowid, lsql_rowset_count(s.rows));
        else
            printf("  step %zu: %s: %s\n", i, lsql_errname(s.status), s.error->message);
    }
}

int main(void)
{
    lsql_error err;
    lsql_db *db = NULL;
    lsql_conn *conn = NULL;
    if (lsql_db_open_url(":memory:", &db, &err) || lsql_db_connect(db, &conn, &err))
        return fail("open", &err);
    lsql_exec(conn, "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT UNIQUE, age INTEGER)",
              NULL, 0, NULL, &err);

    lsql_batch *batch = NULL;
    if (lsql_batch_new(&batch))
        return 1;
    lsql_param p1[] = {{NULL, lsql_text_z("ada@example.com")}, {NULL, lsql_int(36)}};
    lsql_param p2[] = {{":email", lsql_text_z("bob@example.com")}, {"age", lsql_int(41)}};
    if (lsql_batch_add(batch, "INSERT INTO users(email, age) VALUES (?, ?)", p1, 2, &err) ||
        lsql_batch_add(batch, "INSERT INTO users(email, age) VALUES (:email, :age)", p2, 2, &err) ||
        lsql_batch_add(batch, "SELECT id, email FROM users ORDER BY id", NULL, 0, &err))
        return fail("batch add", &err);

    lsql_batch_result *res = NULL;
    if (lsql_batch_run(conn, batch, LSQL_BATCH_ATOMIC, &res, &err))
        return fail("batch run", &err);
    printf("atomic batch:\n");
    report(res);

    /* a duplicate email in a second batch */
    lsql_batch_clear(batch);
    lsql_param p3[] = {{NULL, lsql_text_z("cy@example.com")}, {NULL, lsql_int(29)}};
    lsql_param p4[] = {{NULL, lsql_text_z("ada@example.com")}, {NULL, lsql_int(99)}};
    lsql_batch_add(batch, "INSERT INTO users(email, age) VALUES (?, ?)", p3, 2, &err);
    lsql_batch_add(batch, "INSERT INTO users(email, age) VALUES (?, ?)", p4, 2, &err);
    lsql_batch_add(batch, "UPDATE users SET age = age + 1", NULL, 0, &err);
    lsql_batch_result *bad = NULL;
    int rc = lsql_batch_run(conn, batch, LSQL_BATCH_ATOMIC, &bad, &err);
    printf("atomic batch with a duplicate: %s, failed step %lld (%s)\n", lsql_errname(rc),
           (long long)lsql_batch_result_failed_step(bad), err.message);
    report(bad);
    lsql_batch_result_free(bad);
    int64_t n = 0;
    lsql_query_int64(conn, "SELECT count(*) FROM users", NULL, 0, &n, &err);
    printf("users after the rolled-back batch: %lld\n", (long long)n);
    if (n != 2)
        return 1;

    /* non-atomic: the steps before the failure stay */
    rc = lsql_batch_run(conn, batch, 0, &bad, &err);
    printf("non-atomic batch with a duplicate: %s\n", lsql_errname(rc));
    report(bad);
    lsql_batch_result_free(bad);
    lsql_query_int64(conn, "SELECT count(*) FROM users", NULL, 0, &n, &err);
    printf("users after the non-atomic batch: %lld\n", (long long)n);
    lsql_batch_free(batch);

    /* the first result's rows outlive the database */
    lsql_db_close(db);
    lsql_step_result s;
    s.struct_size = sizeof s;
    lsql_batch_result_step(res, 2, &s);
    for (size_t i = 0; i < lsql_rowset_count(s.rows); i++)
        printf("user %lld: %s\n", (long long)lsql_rowset_int64(s.rows, i, 0),
               lsql_rowset_text(s.rows, i, 1, NULL));
    size_t rows = lsql_rowset_count(s.rows);
    lsql_batch_result_free(res);
    return n == 3 && rows == 2 ? 0 : 1;
}
