/* lsql -- a small shell over the lsql library.
 *
 *   lsql [--db URL] [SQL ...]
 *
 * Opens URL (default ./lsql.db, a local file; http://, https:// or
 * libsql:// for a libSQL server, whose token may come from the
 * LSQL_AUTH_TOKEN environment variable) and runs the SQL given as
 * arguments, or read from standard input when there is none. Every statement
 * of a script is run in order; rows are printed as '|'-separated lines with a
 * header. The exit status is 0 when every statement succeeded, 1 otherwise. */
#include "lsql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: lsql [--db URL] [--no-header] [SQL ...]\n"
          "  Runs SQL (arguments, else standard input) against URL.\n"
          "  URL: a file path (default ./lsql.db), :memory:, file:path?opts, or a\n"
          "  libSQL server: http://host:port, https://..., libsql://... (the token\n"
          "  from ?authToken=... or the LSQL_AUTH_TOKEN environment variable)\n",
          f);
}

static void print_value(lsql_rows *rows, int col)
{
    lsql_value v;
    if (lsql_rows_get(rows, col, &v) != LSQL_OK)
        return;
    switch (v.type) {
    case LSQL_TYPE_NULL:
        fputs("NULL", stdout);
        break;
    case LSQL_TYPE_INTEGER:
        printf("%lld", (long long)v.u.i);
        break;
    case LSQL_TYPE_FLOAT:
        printf("%.17g", v.u.d);
        break;
    case LSQL_TYPE_TEXT:
        fwrite(v.u.bytes.p, 1, v.u.bytes.n, stdout);
        break;
    case LSQL_TYPE_BLOB:
        fputs("x'", stdout);
        for (size_t i = 0; i < v.u.bytes.n; i++)
            printf("%02x", ((const unsigned char *)v.u.bytes.p)[i]);
        fputs("'", stdout);
        break;
    }
}

/* Runs every statement of `sql`; returns 0 if all succeeded. */
static int run_script(lsql_conn *conn, const char *sql, int header)
{
    const char *p = sql;
    while (*p) {
        lsql_stmt *st = NULL;
        const char *tail = NULL;
        lsql_error err;
        int rc = lsql_prepare(conn, p, -1, LSQL_PREPARE_ALLOW_EMPTY, &st, &tail, &err);
        if (rc != LSQL_OK) {
            fprintf(stderr, "error: %s (%s)", err.message, lsql_errname(rc));
            if (err.offset >= 0)
                fprintf(stderr, " at offset %d", (int)(p - sql) + err.offset);
            fputc('\n', stderr);
            return 1;
        }
        if (!st)
            break; /* only whitespace or comments left */
        lsql_rows *rows = NULL;
        rc = lsql_query_stmt(conn, st, NULL, 0, &rows, &err);
        int ncol = rc == LSQL_OK ? lsql_rows_column_count(rows) : 0;
        if (rc == LSQL_OK && ncol > 0 && header) {
            for (int i = 0; i < ncol; i++)
                printf("%s%s", i ? "|" : "", lsql_rows_column_name(rows, i));
            putchar('\n');
        }
        while (rc == LSQL_OK && (rc = lsql_rows_next(rows, &err)) == LSQL_ROW) {
            for (int i = 0; i < ncol; i++) {
                if (i)
                    putchar('|');
                print_value(rows, i);
            }
            putchar('\n');
            rc = LSQL_OK;
        }
        lsql_rows_free(rows);
        lsql_finalize(st);
        if (rc != LSQL_DONE) {
            fprintf(stderr, "error: %s (%s)\n", err.message, lsql_errname(rc));
            return 1;
        }
        p = tail;
    }
    return 0;
}

static char *read_all(FILE *f)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
    }
    buf[n] = 0;
    return buf;
}

int main(int argc, char **argv)
{
    const char *url = "lsql.db";
    int header = 1, first_sql = argc;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--db") && i + 1 < argc) {
            url = argv[++i];
        } else if (!strcmp(argv[i], "--no-header")) {
            header = 0;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--version")) {
            printf("lsql %s\n", lsql_libversion());
            return 0;
        } else if (!strcmp(argv[i], "--")) {
            first_sql = i + 1;
            break;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            fprintf(stderr, "lsql: unknown option %s\n", argv[i]);
            usage(stderr);
            return 2;
        } else {
            first_sql = i;
            break;
        }
    }
    lsql_db *db = NULL;
    lsql_conn *conn = NULL;
    lsql_error err;
    const char *token = getenv("LSQL_AUTH_TOKEN");
    int rc;
    if (token && *token && strstr(url, "://") && strncmp(url, "file:", 5)) {
        lsql_db_opts o; /* a server URL: the token from the environment */
        lsql_db_opts_init(&o);
        o.mode = LSQL_MODE_REMOTE;
        o.url = url;
        o.auth_token = token;
        rc = lsql_db_open(&o, &db, &err);
    } else {
        rc = lsql_db_open_url(url, &db, &err);
    }
    if (rc != LSQL_OK || lsql_db_connect(db, &conn, &err) != LSQL_OK) {
        fprintf(stderr, "lsql: %s (%s)\n", err.message, lsql_errname(err.ext_code));
        lsql_db_close(db);
        return 1;
    }
    int status = 0;
    if (first_sql < argc) {
        for (int i = first_sql; i < argc && !status; i++)
            status = run_script(conn, argv[i], header);
    } else {
        char *sql = read_all(stdin);
        if (!sql) {
            fprintf(stderr, "lsql: out of memory reading standard input\n");
            status = 1;
        } else {
            status = run_script(conn, sql, header);
            free(sql);
        }
    }
    lsql_db_close(db);
    return status;
}
