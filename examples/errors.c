/* errors.c -- what an lsql error tells you.
 *
 * Every failing call returns an extended code (LSQL_CLASS(rc) gives its
 * class) and, when given an lsql_error *, fills it: message, raw SQLite
 * code, syntax-error offset, constraint kind and name, retryable flag. The
 * connection also keeps its last error (lsql_conn_errcode/errmsg). */
#include <lsql.h>

#include <stdio.h>

/* Prints everything an lsql_error holds. */
static void show(const char *what, int rc, const lsql_error *e)
{
    printf("%s\n", what);
    printf("  returned      %d = %s (class %s)\n", rc, lsql_errname(rc),
           lsql_errname(LSQL_CLASS(rc)));
    printf("  description   %s\n", lsql_errstr(rc));
    printf("  message       %s\n", e->message);
    printf("  sqlite_code   %d, offset %d, retryable %s\n", e->sqlite_code, e->offset,
           (e->flags & LSQL_ERRF_RETRYABLE) ? "yes" : "no");
    if (e->constraint_kind != LSQL_CONSTRAINT_KIND_NONE)
        printf("  constraint    kind %d, name '%s'\n", e->constraint_kind, e->constraint_name);
}

int main(void)
{
    lsql_error err;
    lsql_db_opts opts;
    lsql_db_opts_init(&opts);
    opts.mode = LSQL_MODE_MEMORY;
    lsql_db *db = NULL;
    lsql_conn *conn = NULL;
    if (lsql_db_open(&opts, &db, &err) || lsql_db_connect(db, &conn, &err)) {
        fprintf(stderr, "open: %s\n", err.message);
        return 1;
    }
    if (lsql_exec(conn,
                  "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL, "
                  "age INTEGER CONSTRAINT age_positive CHECK (age > 0))",
                  NULL, 0, NULL, &err) ||
        lsql_exec(conn, "CREATE UNIQUE INDEX users_email_idx ON users(email)", NULL, 0, NULL,
                  &err) ||
        lsql_exec(conn, "INSERT INTO users VALUES (1, 'ada@example.org', 36)", NULL, 0, NULL,
                  &err)) {
        fprintf(stderr, "setup: %s\n", err.message);
        return 1;
    }

    /* A UNIQUE violation names the index, so the caller can tell which
     * unique key was hit without parsing the message. */
    int rc = lsql_exec(conn, "INSERT INTO users VALUES (2, 'ada@example.org', 20)", NULL, 0,
                       NULL, &err);
    show("duplicate email:", rc, &err);
    if (rc != LSQL_CONSTRAINT_UNIQUE || err.constraint_kind != LSQL_CONSTRAINT_KIND_UNIQUE)
        return 1;

    rc = lsql_exec(conn, "INSERT INTO users VALUES (1, 'bob@example.org', 20)", NULL, 0, NULL,
                   &err);
    show("duplicate id:", rc, &err);
    if (err.constraint_kind != LSQL_CONSTRAINT_KIND_PRIMARYKEY)
        return 1;

    rc = lsql_exec(conn, "INSERT INTO users(id, age) VALUES (3, 30)", NULL, 0, NULL, &err);
    show("missing email:", rc, &err);
    if (rc != LSQL_CONSTRAINT_NOTNULL)
        return 1;

    rc = lsql_exec(conn, "INSERT INTO users VALUES (4, 'eve@example.org', -1)", NULL, 0, NULL,
                   &err);
    show("negative age:", rc, &err);
    if (rc != LSQL_CONSTRAINT_CHECK)
        return 1;

    /* A syntax error carries the byte offset of the bad token. */
    const char *bad = "SELECT id, email FORM users";
    lsql_stmt *st = NULL;
    rc = lsql_prepare(conn, bad, -1, 0, &st, NULL, &err);
    show("syntax error:", rc, &err);
    if (rc != LSQL_ERROR || err.offset < 0)
        return 1;
    printf("  %s\n  %*s^\n", bad, err.offset, "");

    /* The connection remembers its last error ... */
    printf("last error on the connection: %s: %s\n", lsql_errname(lsql_conn_errcode(conn)),
           lsql_conn_errmsg(conn));
    /* ... and a successful call clears it. */
    lsql_exec(conn, "SELECT 1", NULL, 0, NULL, &err);
    printf("after a good call: code %d, err.code %d\n", lsql_conn_errcode(conn), err.code);

    /* Names and texts exist for every code, including lsql's own. */
    int codes[] = {LSQL_BUSY, LSQL_NO_ROWS, LSQL_PARAM_MISSING, LSQL_MISUSE_HANDLE, 2067};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        printf("%5d  %-22s %s\n", codes[i], lsql_errname(codes[i]), lsql_errstr(codes[i]));

    /* Misuse is reported, not crashed on. */
    rc = lsql_exec(NULL, "SELECT 1", NULL, 0, NULL, &err);
    printf("NULL connection: %s\n", lsql_errname(rc));

    lsql_db_close(db);
    return rc == LSQL_MISUSE_HANDLE ? 0 : 1;
}
