/* local_error.c -- SQLite errors to lsql errors, with constraint details, and
 * the statement classifier (an authorizer, so SQLite's own compiler says what
 * a statement is). */
#include "local.h"

#include <stdio.h>
#include <string.h>

int local__code(int rc)
{
    if ((rc & 0xff) == SQLITE_NOMEM || rc == SQLITE_IOERR_NOMEM)
        return LSQL_NOMEM;
    return rc; /* lsql codes mirror SQLite's extended codes */
}

static int constraint_kind(int ext)
{
    switch (ext) {
    case SQLITE_CONSTRAINT_UNIQUE:
        return LSQL_CONSTRAINT_KIND_UNIQUE;
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_ROWID:
        return LSQL_CONSTRAINT_KIND_PRIMARYKEY;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        return LSQL_CONSTRAINT_KIND_FOREIGNKEY;
    case SQLITE_CONSTRAINT_CHECK:
        return LSQL_CONSTRAINT_KIND_CHECK;
    case SQLITE_CONSTRAINT_NOTNULL:
        return LSQL_CONSTRAINT_KIND_NOTNULL;
    default:
        return LSQL_CONSTRAINT_KIND_OTHER;
    }
}

/* For "UNIQUE constraint failed: t.a, t.b" finds the unique index of table t
 * on exactly (a, b) and copies its name. Best effort: leaves `out` empty when
 * the schema cannot be read. */
static void unique_index_name(sqlite3 *db, const char *cols, char *out, size_t cap)
{
    const char *dot = strchr(cols, '.');
    if (!dot)
        return;
    char table[256], want[512];
    size_t tl = (size_t)(dot - cols);
    if (tl >= sizeof table)
        return;
    memcpy(table, cols, tl);
    table[tl] = 0;
    /* rebuild "a,b" from "t.a, t.b" */
    size_t wl = 0;
    const char *p = cols;
    while (*p) {
        const char *d = strchr(p, '.');
        const char *end = strstr(p, ", ");
        if (!d || (end && d > end))
            return;
        size_t cl = end ? (size_t)(end - d - 1) : strlen(d + 1);
        if (wl + cl + 2 >= sizeof want)
            return;
        if (wl)
            want[wl++] = ',';
        memcpy(want + wl, d + 1, cl);
        wl += cl;
        p = end ? end + 2 : d + 1 + cl;
    }
    want[wl] = 0;
    static const char sql[] =
        "SELECT il.name FROM pragma_index_list(?1) AS il "
        "WHERE il.\"unique\" AND (SELECT group_concat(ii.name, ',') "
        "FROM pragma_index_info(il.name) AS ii) = ?2 LIMIT 1";
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, sql, sizeof sql, &s, NULL) != SQLITE_OK) {
        sqlite3_finalize(s);
        return;
    }
    sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, want, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) {
        const unsigned char *nm = sqlite3_column_text(s, 0);
        if (nm)
            snprintf(out, cap, "%s", (const char *)nm);
    }
    sqlite3_finalize(s);
}

static void constraint_details(sqlite3 *db, int ext, lsql_error *e)
{
    e->constraint_kind = constraint_kind(ext);
    const char *msg = e->message;
    const char *colon = strstr(msg, "constraint failed: ");
    if (!colon)
        return;
    const char *what = colon + strlen("constraint failed: ");
    if (e->constraint_kind == LSQL_CONSTRAINT_KIND_UNIQUE ||
        e->constraint_kind == LSQL_CONSTRAINT_KIND_PRIMARYKEY) {
        if (!strncmp(what, "index '", 7)) { /* expression index: named */
            const char *q = strchr(what + 7, '\'');
            if (q)
                snprintf(e->constraint_name, sizeof e->constraint_name, "%.*s",
                         (int)(q - what - 7), what + 7);
        } else {
            unique_index_name(db, what, e->constraint_name, sizeof e->constraint_name);
        }
    } else if (e->constraint_kind == LSQL_CONSTRAINT_KIND_CHECK ||
               e->constraint_kind == LSQL_CONSTRAINT_KIND_NOTNULL) {
        snprintf(e->constraint_name, sizeof e->constraint_name, "%s", what);
    }
}

int local__error(sqlite3 *db, int rc, lsql_error *e, const char *prefix)
{
    int ext = db ? sqlite3_extended_errcode(db) : rc;
    if ((ext & 0xff) != (rc & 0xff))
        ext = rc;
    int code = local__code(ext);
    const char *m = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if (prefix)
        lsql__err_set(e, code, "%s: %s", prefix, m);
    else
        lsql__err_set(e, code, "%s", m);
    e->sqlite_code = ext;
    e->offset = db ? sqlite3_error_offset(db) : -1;
    if ((ext & 0xff) == SQLITE_CONSTRAINT && db)
        constraint_details(db, ext, e);
    return code;
}

/* ---- classifier ----------------------------------------------------------- */

static void classify(int action, int *kind, int *prio)
{
    int k = -1, p = 0;
    switch (action) {
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_VTABLE:
        k = LSQL_KIND_CREATE, p = 6;
        break;
    case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_TEMP_TRIGGER:
    case SQLITE_DROP_TEMP_VIEW:
    case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_VIEW:
    case SQLITE_DROP_VTABLE:
        k = LSQL_KIND_DROP, p = 6;
        break;
    case SQLITE_ALTER_TABLE:
        k = LSQL_KIND_ALTER, p = 6;
        break;
    /* DML: the first one seen wins (an UPSERT is an INSERT), so all get the
     * same priority and ties keep the earlier kind. */
    case SQLITE_INSERT:
        k = LSQL_KIND_INSERT, p = 5;
        break;
    case SQLITE_UPDATE:
        k = LSQL_KIND_UPDATE, p = 5;
        break;
    case SQLITE_DELETE:
        k = LSQL_KIND_DELETE, p = 5;
        break;
    case SQLITE_TRANSACTION:
        k = LSQL_KIND_TRANSACTION, p = 4;
        break;
    case SQLITE_SAVEPOINT:
        k = LSQL_KIND_SAVEPOINT, p = 4;
        break;
    case SQLITE_ATTACH:
        k = LSQL_KIND_ATTACH, p = 4;
        break;
    case SQLITE_DETACH:
        k = LSQL_KIND_DETACH, p = 4;
        break;
    case SQLITE_ANALYZE:
        k = LSQL_KIND_ANALYZE, p = 4;
        break;
    case SQLITE_REINDEX:
        k = LSQL_KIND_REINDEX, p = 4;
        break;
    case SQLITE_PRAGMA:
        k = LSQL_KIND_PRAGMA, p = 3;
        break;
    case SQLITE_SELECT:
        k = LSQL_KIND_SELECT, p = 1;
        break;
    default:
        return;
    }
    if (p > *prio) {
        *prio = p;
        *kind = k;
    }
}

int local__authorizer(void *ctx, int action, const char *a1, const char *a2,
                      const char *dbname, const char *trigger)
{
    (void)a1;
    (void)a2;
    (void)dbname;
    local_conn *lc = ctx;
    if (lc->classifying && !trigger)
        classify(action, &lc->kind, &lc->prio);
    return SQLITE_OK;
}
