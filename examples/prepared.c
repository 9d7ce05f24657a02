/* prepared.c -- prepared statements: prepare, bind, step, reset, finalize,
 * and column metadata.
 *
 * A prepared statement is compiled once and run many times with different
 * values. Bindings are kept across lsql_reset; LSQL_COPY (0) copies text and
 * blob bytes at bind time, LSQL_STATIC borrows them until the next reset,
 * re-bind or finalize. */
#include <lsql.h>

#include <stdio.h>
#include <string.h>

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
    lsql_db *db = NULL;
    lsql_conn *conn = NULL;
    if (lsql_db_open(&opts, &db, &err) || lsql_db_connect(db, &conn, &err))
        return fail("open", &err);
    if (lsql_exec(conn,
                  "CREATE TABLE readings(id INTEGER PRIMARY KEY, sensor TEXT NOT NULL, "
                  "value REAL, raw BLOB)",
                  NULL, 0, NULL, &err))
        return fail("create", &err);

    /* Insert many rows with one statement. */
    lsql_stmt *ins = NULL;
    if (lsql_prepare(conn, "INSERT INTO readings(sensor, value, raw) VALUES (?1, ?2, ?3)", -1,
                     0, &ins, NULL, &err))
        return fail("prepare insert", &err);
    printf("the INSERT has %d parameters\n", lsql_param_count(ins));
    for (int i = 0; i < 5; i++) {
        char sensor[32];
        unsigned char raw[2] = {(unsigned char)i, (unsigned char)(i * 2)};
        snprintf(sensor, sizeof sensor, "sensor-%d", i % 2);
        /* sensor[] changes every iteration: LSQL_COPY takes a copy */
        if (lsql_bind_text(ins, 1, sensor, strlen(sensor), LSQL_COPY) ||
            lsql_bind_double(ins, 2, 20.0 + i * 0.5) ||
            lsql_bind_blob(ins, 3, raw, sizeof raw, LSQL_COPY)) {
            fprintf(stderr, "bind: %s\n", lsql_conn_errmsg(conn));
            return 1;
        }
        if (lsql_step(ins, &err) != LSQL_DONE)
            return fail("step insert", &err);
        lsql_reset(ins); /* ready to run again; bindings are kept */
    }
    /* lsql_clear_bindings sets every parameter back to NULL. */
    lsql_clear_bindings(ins);
    lsql_bind_text(ins, 1, "sensor-x", 8, LSQL_STATIC); /* a literal: STATIC is fine */
    if (lsql_step(ins, &err) != LSQL_DONE)
        return fail("step insert with NULLs", &err);
    lsql_finalize(ins);

    /* A query: column metadata is available right after prepare. */
    lsql_stmt *sel = NULL;
    if (lsql_prepare(conn,
                     "SELECT id, sensor, value, length(raw) AS raw_len FROM readings "
                     "WHERE sensor = ? ORDER BY id",
                     -1, 0, &sel, NULL, &err))
        return fail("prepare select", &err);
    int ncol = lsql_column_count(sel);
    for (int c = 0; c < ncol; c++) {
        const char *decl = lsql_column_decltype(sel, c);
        const char *table = lsql_column_table(sel, c);
        const char *origin = lsql_column_origin(sel, c);
        printf("column %d: %-8s declared %-8s from %s%s%s\n", c, lsql_column_name(sel, c),
               decl ? decl : "(none)", table ? table : "(an expression)", table ? "." : "",
               table ? origin : "");
    }

    /* Run the same query for two sensors. */
    const char *sensors[] = {"sensor-0", "sensor-1"};
    for (int s = 0; s < 2; s++) {
        lsql_bind_text(sel, 1, sensors[s], strlen(sensors[s]), LSQL_STATIC);
        printf("%s:", sensors[s]);
        int rc;
        while ((rc = lsql_step(sel, &err)) == LSQL_ROW)
            printf(" #%lld=%.1f(raw %lld)", (long long)lsql_column_int64(sel, 0),
                   lsql_column_double(sel, 2), (long long)lsql_column_int64(sel, 3));
        printf("\n");
        if (rc != LSQL_DONE)
            return fail("step select", &err);
        lsql_reset(sel);
    }
    printf("statement SQL: %s\n", lsql_stmt_sql(sel));
    lsql_finalize(sel);

    /* A script runs statement by statement with the tail pointer. */
    const char *script = "UPDATE readings SET value = value * 2; "
                         "DELETE FROM readings WHERE sensor = 'sensor-x'; "
                         "   -- a trailing comment";
    const char *sql = script;
    int n = 0;
    for (;;) {
        lsql_stmt *st = NULL;
        /* ALLOW_EMPTY: the end of the script gives LSQL_OK and st == NULL */
        if (lsql_prepare(conn, sql, -1, LSQL_PREPARE_ALLOW_EMPTY, &st, &sql, &err))
            return fail("prepare script", &err);
        if (!st)
            break;
        if (lsql_step(st, &err) != LSQL_DONE)
            return fail("step script", &err);
        lsql_finalize(st);
        n++;
    }
    printf("ran a script of %d statements\n", n);

    lsql_db_close(db);
    return 0;
}
