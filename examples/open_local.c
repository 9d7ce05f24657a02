/* open_local.c -- opening a SQLite database file (LSQL_MODE_LOCAL).
 *
 * Shows the defaults lsql applies to every connection (WAL journal,
 * foreign keys on, a busy timeout, synchronous=NORMAL), how to change them
 * with lsql_db_opts, a read-only open, and what a missing file gives with
 * LSQL_DB_NO_CREATE. The files live in $TMPDIR (or /tmp) and are removed at
 * the end. */
#include <lsql.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Builds "$TMPDIR/lsql-example-<name>-<pid>.db". */
static void temp_path(char *buf, size_t cap, const char *name)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    snprintf(buf, cap, "%s/lsql-example-%s-%ld.db", dir, name, (long)getpid());
}

/* Removes a database file and its WAL side files. */
static void remove_db(const char *path)
{
    char side[1100];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-journal", path);
    unlink(side);
}

/* Prints a one-value PRAGMA of a connection. */
static int show_pragma(lsql_conn *conn, const char *pragma)
{
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA %s", pragma);
    lsql_value v;
    lsql_error err;
    if (lsql_query_value(conn, sql, NULL, 0, &v, &err) != LSQL_OK) {
        fprintf(stderr, "%s: %s\n", sql, err.message);
        return -1;
    }
    if (v.type == LSQL_TYPE_TEXT)
        printf("  %-14s = %s\n", pragma, (const char *)v.u.bytes.p);
    else if (v.type == LSQL_TYPE_INTEGER)
        printf("  %-14s = %lld\n", pragma, (long long)v.u.i);
    lsql_value_release(&v); /* query_value's text is owned by us */
    return 0;
}

int main(void)
{
    char path[1024];
    temp_path(path, sizeof path, "open-local");
    remove_db(path);

    lsql_error err;
    lsql_db *db = NULL;
    lsql_conn *conn = NULL;

    /* 1. Defaults: lsql_db_opts_init zeroes the struct, sets struct_size and
     *    mode = LSQL_MODE_LOCAL. Only the path is needed. */
    lsql_db_opts opts;
    lsql_db_opts_init(&opts);
    opts.path = path;
    if (lsql_db_open(&opts, &db, &err) != LSQL_OK) {
        fprintf(stderr, "open: %s\n", err.message);
        return 1;
    }
    /* lsql_db is a description of the database; work is done on
     * connections (one per thread at a time). */
    if (lsql_db_connect(db, &conn, &err) != LSQL_OK) {
        fprintf(stderr, "connect: %s\n", err.message);
        return 1;
    }
    printf("opened %s with the defaults:\n", path);
    if (show_pragma(conn, "journal_mode") || show_pragma(conn, "foreign_keys") ||
        show_pragma(conn, "busy_timeout") || show_pragma(conn, "synchronous"))
        return 1;
    if (lsql_exec(conn, "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT)", NULL, 0,
                  NULL, &err) != LSQL_OK ||
        lsql_exec(conn, "INSERT INTO notes(body) VALUES ('hello')", NULL, 0, NULL, &err) !=
            LSQL_OK) {
        fprintf(stderr, "exec: %s\n", err.message);
        return 1;
    }
    /* Closing the database closes its connections too. */
    lsql_db_close(db);

    /* 2. Options: every field left at 0 keeps its default. */
    lsql_db_opts_init(&opts);
    opts.path = path;
    opts.busy_timeout_ms = 250;      /* wait at most 250 ms for a lock */
    opts.cache_size_kib = 2048;      /* 2 MiB page cache per connection */
    opts.stmt_cache_capacity = 16;   /* 16 idle statements per connection */
    opts.flags = LSQL_DB_NO_FOREIGN_KEYS;
    if (lsql_db_open(&opts, &db, &err) != LSQL_OK ||
        lsql_db_connect(db, &conn, &err) != LSQL_OK) {
        fprintf(stderr, "open with options: %s\n", err.message);
        return 1;
    }
    printf("opened again with options:\n");
    if (show_pragma(conn, "foreign_keys") || show_pragma(conn, "busy_timeout") ||
        show_pragma(conn, "cache_size"))
        return 1;
    lsql_db_close(db);

    /* 3. Read-only: reading works, writing fails with class LSQL_READONLY. */
    lsql_db_opts_init(&opts);
    opts.path = path;
    opts.flags = LSQL_DB_READONLY;
    if (lsql_db_open(&opts, &db, &err) != LSQL_OK ||
        lsql_db_connect(db, &conn, &err) != LSQL_OK) {
        fprintf(stderr, "open read-only: %s\n", err.message);
        return 1;
    }
    int64_t n = 0;
    if (lsql_query_int64(conn, "SELECT count(*) FROM notes", NULL, 0, &n, &err) != LSQL_OK) {
        fprintf(stderr, "count: %s\n", err.message);
        return 1;
    }
    int rc = lsql_exec(conn, "INSERT INTO notes(body) VALUES ('nope')", NULL, 0, NULL, &err);
    printf("read-only: %lld note(s); INSERT gives %s\n", (long long)n, lsql_errname(rc));
    if (LSQL_CLASS(rc) != LSQL_READONLY)
        return 1;
    lsql_db_close(db);

    /* 4. LSQL_DB_NO_CREATE: a missing file is an error, reported at open. */
    char missing[1024];
    temp_path(missing, sizeof missing, "does-not-exist");
    remove_db(missing);
    lsql_db_opts_init(&opts);
    opts.path = missing;
    opts.flags = LSQL_DB_NO_CREATE;
    rc = lsql_db_open(&opts, &db, &err);
    printf("NO_CREATE on a missing file: %s (%s)\n", lsql_errname(rc), err.message);
    if (LSQL_CLASS(rc) != LSQL_CANTOPEN || db != NULL)
        return 1;

    remove_db(path);
    lsql_shutdown(); /* optional: releases SQLite's global resources */
    return 0;
}
