/* reset.c -- lsql_conn_reset: a connection back to a clean state for its
 * next user (a pool), keeping the statement cache. */
#include "txn_int.h"

#include <string.h>

/* Appends `name` to buf as a quoted identifier ("a""b"). */
static bool quote_ident(char *buf, size_t cap, const char *prefix, const char *name)
{
    size_t n = strlen(prefix);
    if (n + 3 > cap)
        return false;
    memcpy(buf, prefix, n);
    buf[n++] = '"';
    for (const char *p = name; *p; p++) {
        if (n + 4 > cap)
            return false;
        if (*p == '"')
            buf[n++] = '"';
        buf[n++] = *p;
    }
    buf[n++] = '"';
    buf[n] = 0;
    return true;
}

/* Drops every TEMP trigger, view and table. */
static int drop_temp(lsql_conn *c, lsql_error *err)
{
    static const char *const kinds[] = {"trigger", "view", "table"};
    static const char *const drops[] = {"DROP TRIGGER IF EXISTS temp.", "DROP VIEW IF EXISTS temp.",
                                        "DROP TABLE IF EXISTS temp."};
    int first = LSQL_OK;
    for (size_t k = 0; k < 3; k++) {
        /* collect first: dropping while reading the schema is not allowed */
        char **names = NULL;
        size_t n = 0, cap = 0;
        lsql_param p = {NULL, lsql_text_z(kinds[k])};
        lsql_rows *rows = NULL;
        int rc = lsql_query(c,
                            "SELECT name FROM temp.sqlite_schema WHERE type = ?1 AND name NOT "
                            "LIKE 'sqlite\\_%' ESCAPE '\\'",
                            &p, 1, &rows, NULL);
        if (rc == LSQL_OK)
            rc = lsql_rows_next(rows, NULL);
        for (; rc == LSQL_ROW; rc = lsql_rows_next(rows, NULL)) {
            const char *nm = lsql_rows_text(rows, 0, NULL);
            if (!nm)
                continue;
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 8;
                char **q = lsql__realloc(names, nc * sizeof *q);
                if (!q) {
                    rc = LSQL_NOMEM;
                    break;
                }
                names = q;
                cap = nc;
            }
            if (!(names[n] = lsql__strdup(nm))) {
                rc = LSQL_NOMEM;
                break;
            }
            n++;
        }
        lsql_rows_free(rows);
        if (rc != LSQL_DONE && first == LSQL_OK) {
            first = rc == LSQL_NOMEM ? lsql__conn_fail(c, err, LSQL_NOMEM,
                                                      "out of memory listing TEMP objects")
                                     : lsql__conn_err(c, err);
        }
        for (size_t i = 0; i < n; i++) {
            char sql[600];
            if (!quote_ident(sql, sizeof sql, drops[k], names[i])) {
                if (first == LSQL_OK)
                    first = lsql__conn_fail(c, err, LSQL_TOOBIG, "TEMP object name too long");
            } else {
                int rc2 = lsql__txn_exec_uncached(c, sql, first == LSQL_OK ? err : NULL);
                if (rc2 && first == LSQL_OK)
                    first = rc2;
            }
            lsql__free(names[i]);
        }
        lsql__free(names);
    }
    return first;
}

LSQL_API int lsql_conn_reset(lsql_conn *c, lsql_error *err)
{
    if (!lsql__conn_valid(c))
        return lsql__fail(err, LSQL_MISUSE_HANDLE, "lsql_conn_reset: invalid connection handle");
    int first = LSQL_OK;
    lsql_error first_err;
    lsql_error_clear(&first_err);

    /* 1. cursors, rows handles and statements: stop reading, forget bindings */
    lsql__cursors_reset(c);
    for (lsql_stmt *st = c->live; st; st = st->next) {
        if (st->has_rows) {
            st->rows.state = ROWS_ENDED;
            st->rows.last = LSQL_MISUSE_STATE;
        }
        st->on_row = false;
        c->be->reset(st);
        c->be->clear_bindings(st);
    }

    /* 2. the transaction */
    if (c->txn)
        lsql__txn_finish(c->txn, TXN_RESET);
    if (!lsql__autocommit(c)) {
        int rc = lsql__txn_exec(c, "ROLLBACK", &first_err);
        if (rc)
            first = rc;
    }
    if (c->txn_read_only || c->txn_restore_qo) {
        lsql_error e;
        int rc = lsql__txn_after_end(c, &e);
        if (rc && first == LSQL_OK) {
            first = rc;
            first_err = e;
        }
    }

    /* 3. TEMP objects */
    {
        lsql_error e;
        int rc = drop_temp(c, &e);
        if (rc && first == LSQL_OK) {
            first = rc;
            first_err = e;
        }
    }

    if (first) {
        c->last = first_err;
        lsql__conn_err_wrap(c, "lsql_conn_reset: ", NULL);
        return lsql__conn_err(c, err);
    }
    lsql__conn_ok(c, err);
    return LSQL_OK;
}
