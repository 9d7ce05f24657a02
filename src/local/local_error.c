/* local_error.c -- SQLite errors to lsql errors, with constraint details, and
 * the statement classifier (an authorizer, so SQLite's own compiler says what
 * a statement is). */
#include "local.h"
#include "local_ctl.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

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

/* Looks up the unique index of `table` whose columns are exactly `cols`
 * ("a,b", in index order). */
static bool lookup_unique_index(sqlite3 *db, const char *table, const char *cols,
                                char *out, size_t cap)
{
    static const char sql[] =
        "SELECT il.name FROM pragma_index_list(?1) AS il "
        "WHERE il.\"unique\" AND (SELECT group_concat(ii.name, ',') "
        "FROM pragma_index_info(il.name) AS ii) = ?2 LIMIT 1";
    sqlite3_stmt *s = NULL;
    bool found = false;
    if (sqlite3_prepare_v2(db, sql, sizeof sql, &s, NULL) == SQLITE_OK) {
        sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, cols, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0)) {
            snprintf(out, cap, "%s", (const char *)sqlite3_column_text(s, 0));
            found = true;
        }
    }
    sqlite3_finalize(s);
    return found;
}

/* For "UNIQUE constraint failed: t.a, t.b" finds the unique index of table t
 * on exactly (a, b) and copies its name. Table and column names may contain
 * dots, so every split of the first item is tried. Best effort: `out` stays
 * empty when nothing matches or the schema cannot be read. */
static void unique_index_name(sqlite3 *db, const char *items, char *out, size_t cap)
{
    char table[256], want[512];
    for (const char *dot = strchr(items, '.'); dot; dot = strchr(dot + 1, '.')) {
        size_t tl = (size_t)(dot - items);
        if (tl >= sizeof table)
            return;
        memcpy(table, items, tl);
        table[tl] = 0;
        /* every item must be "<table>.<column>" */
        size_t wl = 0;
        const char *p = items;
        bool ok = true;
        while (ok && *p) {
            const char *end = strstr(p, ", ");
            size_t il = end ? (size_t)(end - p) : strlen(p);
            if (il <= tl + 1 || strncmp(p, table, tl) || p[tl] != '.' ||
                wl + (il - tl - 1) + 2 >= sizeof want) {
                ok = false;
                break;
            }
            if (wl)
                want[wl++] = ',';
            memcpy(want + wl, p + tl + 1, il - tl - 1);
            wl += il - tl - 1;
            p = end ? end + 2 : p + il;
        }
        want[wl] = 0;
        if (ok && lookup_unique_index(db, table, want, out, cap))
            return;
    }
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
    /* a lock wait that lsql_conn_interrupt cancelled (busy handler) */
    bool cancelled = (ext & 0xff) == SQLITE_BUSY && ext != SQLITE_BUSY_SNAPSHOT &&
                     local__busy_take_cancel(db);
    if (cancelled)
        code = LSQL_INTERRUPTED;
    if (cancelled)
        lsql__err_set(e, code, "%s%sinterrupted while waiting for a lock (%s)",
                      prefix ? prefix : "", prefix ? ": " : "", m);
    else if (prefix)
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

/* SQLite's own bookkeeping: the schema tables (table-valued PRAGMA functions
 * report UPDATEs on sqlite_master when they are first set up). */
static bool internal_table(const char *name)
{
    return name && (!strcmp(name, "sqlite_master") || !strcmp(name, "sqlite_schema") ||
                    !strcmp(name, "sqlite_temp_master") || !strcmp(name, "sqlite_temp_schema"));
}

static void classify(int action, const char *a1, int *kind, int *prio)
{
    int k = -1, p = 0;
    if ((action == SQLITE_INSERT || action == SQLITE_UPDATE || action == SQLITE_DELETE) &&
        internal_table(a1))
        return;
    /* ANALYZE creates sqlite_stat1; user objects cannot be named sqlite_* */
    if ((action == SQLITE_CREATE_TABLE || action == SQLITE_DROP_TABLE) && a1 &&
        !strncmp(a1, "sqlite_", 7))
        return;
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
        k = LSQL_KIND_CREATE, p = 8;
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
        k = LSQL_KIND_DROP, p = 8;
        break;
    case SQLITE_ALTER_TABLE:
        k = LSQL_KIND_ALTER, p = 8;
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
    /* ANALYZE and REINDEX write internal tables (sqlite_stat1) as part of
     * their work: they outrank DML (CREATE INDEX reports a REINDEX too, so
     * they stay below DDL). */
    case SQLITE_ANALYZE:
        k = LSQL_KIND_ANALYZE, p = 7;
        break;
    case SQLITE_REINDEX:
        k = LSQL_KIND_REINDEX, p = 7;
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

/* Notes what lsql_conn_reset must undo: a TEMP object being prepared (by
 * any caller: the authorizer sees the native handle's prepares too), or the
 * TEMP database being replaced. */
static void temp_watch(local_conn *lc, int action, const char *a1, const char *a2,
                       const char *dbname)
{
    switch (action) {
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_CREATE_TEMP_VIEW:
        lc->temp_seen = true;
        break;
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_VTABLE: /* CREATE TABLE temp.x ... */
        if (dbname && !strcasecmp(dbname, "temp"))
            lc->temp_seen = true;
        break;
    case SQLITE_PRAGMA:
        if (a1 && a2 && !strncasecmp(a1, "temp_store", 10)) /* set: may close TEMP */
            lc->temp_sticky = true;
        break;
    default:
        break;
    }
}

int local__authorizer(void *ctx, int action, const char *a1, const char *a2,
                      const char *dbname, const char *trigger)
{
    local_conn *lc = ctx;
    temp_watch(lc, action, a1, a2, dbname);
    if (lc->classifying && !trigger)
        classify(action, a1, &lc->kind, &lc->prio);
    if (action == SQLITE_PRAGMA && !trigger)
        local__busy_pragma_seen(lc, a1, a2);
    /* the user's authorizer (lsql_conn_set_authorizer), chained: one SQLite
     * authorizer per connection */
    return local__user_authorize(lc, action, a1, a2, dbname, trigger);
}

int local__kind_fallback(const char *sql)
{
    static const struct {
        const char *kw;
        int kind;
    } k[] = {{"VACUUM", LSQL_KIND_VACUUM}, {"DROP", LSQL_KIND_DROP}, {"CREATE", LSQL_KIND_CREATE},
            {"REINDEX", LSQL_KIND_REINDEX}};
    const char *p = sql;
    for (;;) { /* skip whitespace and comments */
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f')
            p++;
        if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            p = e ? e + 2 : p + strlen(p);
        } else {
            break;
        }
    }
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        size_t n = strlen(k[i].kw);
        if (!strncasecmp(p, k[i].kw, n) && !((p[n] >= 'a' && p[n] <= 'z') ||
                                             (p[n] >= 'A' && p[n] <= 'Z') ||
                                             (p[n] >= '0' && p[n] <= '9') || p[n] == '_'))
            return k[i].kind;
    }
    return LSQL_KIND_OTHER;
}
