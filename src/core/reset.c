/* reset.c -- lsql_conn_reset: a connection back to a clean state for its
 * next user (a pool), keeping the statement cache.
 *
 * Every step is skipped when its state is clean, so that resetting a clean
 * connection runs no SQL: cursors and statements are walked from their
 * lists (empty when the user freed everything), the transaction is asked
 * of the backend (sqlite3_get_autocommit), query_only is restored only
 * when a READ_ONLY transaction set it (txn.c's flags), and TEMP objects are
 * looked for only when the backend says some may exist (local: a TEMP
 * create seen by the authorizer, or a change of the TEMP pager's data
 * version since the last clean reset -- which also catches objects created
 * through the native handle or by statements prepared before the reset). */
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

/* Drops every TEMP trigger, view and table: one query lists them (read
 * first: dropping while reading the schema is not allowed), then triggers,
 * views and tables are dropped in that order (IF EXISTS: dropping a table
 * drops its triggers too). */
static int drop_temp(lsql_conn *c, lsql_error *err)
{
    static const char *const drops[] = {"DROP TRIGGER IF EXISTS temp.", "DROP VIEW IF EXISTS temp.",
                                        "DROP TABLE IF EXISTS temp."};
    typedef struct {
        int kind; /* index in drops */
        char *name;
    } temp_obj;
    int first = LSQL_OK;
    temp_obj *objs = NULL;
    size_t n = 0, cap = 0;
    lsql_rows *rows = NULL;
    int rc = lsql_query(c,
                        "SELECT CASE type WHEN 'trigger' THEN 0 WHEN 'view' THEN 1 ELSE 2 END, "
                        "name FROM temp.sqlite_schema WHERE type IN ('trigger', 'view', 'table') "
                        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
                        NULL, 0, &rows, NULL);
    if (rc == LSQL_OK)
        rc = lsql_rows_next(rows, NULL);
    for (; rc == LSQL_ROW; rc = lsql_rows_next(rows, NULL)) {
        int64_t kind = lsql_rows_int64(rows, 0);
        const char *nm = lsql_rows_text(rows, 1, NULL);
        if (!nm || kind < 0 || kind > 2)
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            temp_obj *q = lsql__realloc(objs, nc * sizeof *q);
            if (!q) {
                rc = LSQL_NOMEM;
                break;
            }
            objs = q;
            cap = nc;
        }
        if (!(objs[n].name = lsql__strdup(nm))) {
            rc = LSQL_NOMEM;
            break;
        }
        objs[n++].kind = (int)kind;
    }
    lsql_rows_free(rows);
    if (rc != LSQL_DONE) {
        first = rc == LSQL_NOMEM
                    ? lsql__conn_fail(c, err, LSQL_NOMEM, "out of memory listing TEMP objects")
                    : lsql__conn_err(c, err);
    }
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < n; i++) {
            if (objs[i].kind != k)
                continue;
            char sql[600];
            if (!quote_ident(sql, sizeof sql, drops[k], objs[i].name)) {
                if (first == LSQL_OK)
                    first = lsql__conn_fail(c, err, LSQL_TOOBIG, "TEMP object name too long");
            } else {
                int rc2 = lsql__txn_exec_uncached(c, sql, first == LSQL_OK ? err : NULL);
                if (rc2 && first == LSQL_OK)
                    first = rc2;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        lsql__free(objs[i].name);
    lsql__free(objs);
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

    /* 3. TEMP objects: only when the backend cannot tell that there are none
     * (the common case of a pool: no query at all) */
    if (!c->be->temp_maybe_used || c->be->temp_maybe_used(c)) {
        lsql_error e;
        int rc = drop_temp(c, &e);
        if (rc && first == LSQL_OK) {
            first = rc;
            first_err = e;
        }
        if (rc == LSQL_OK && c->be->temp_clean)
            c->be->temp_clean(c);
    }

    if (first) {
        c->last = first_err;
        lsql__conn_err_wrap(c, "lsql_conn_reset: ", NULL);
        return lsql__conn_err(c, err);
    }
    lsql__conn_ok(c, err);
    return LSQL_OK;
}
