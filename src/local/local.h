/* local.h -- private state of the local (SQLite file / memory) backend. */
#ifndef LSQL_LOCAL_H
#define LSQL_LOCAL_H

#include "../core/internal.h"

#include <sqlite3.h>

typedef struct local_conn {
    sqlite3 *db;
    /* statement classifier: the authorizer records the strongest top-level
     * action SQLite reports while one of our prepares runs. */
    bool classifying;
    int kind;
    int prio;
    /* lsql_conn_reset's TEMP fast path (local.c, local__authorizer): a TEMP
     * object may have been created since the last clean reset (the
     * authorizer saw one being prepared, by lsql or through the native
     * handle); the TEMP database was replaced (PRAGMA temp_store: sticky,
     * the fast path is then off for the connection's life); and the TEMP
     * pager's data version when the TEMP schema was last emptied. */
    bool temp_seen;
    bool temp_sticky;
    bool temp_ver_ok;
    unsigned temp_ver;
    /* interrupt, busy handler, hooks, user authorizer (local_ctl.h) */
    struct local_ctl *ctl;
} local_conn;

#define LC(c) ((local_conn *)(c)->bc)
#define SS(st) ((sqlite3_stmt *)(st)->bs)

/* Fills *e from the connection's SQLite error state for result `rc`
 * (extended codes, message, offset, constraint details) and returns the lsql
 * code. `prefix` (may be NULL) is prepended to the message. */
int local__error(sqlite3 *db, int rc, lsql_error *e, const char *prefix);
/* Maps a SQLite result code to an lsql code (NOMEM variants to LSQL_NOMEM). */
int local__code(int rc);
/* The authorizer that classifies statements during prepare. */
int local__authorizer(void *ctx, int action, const char *a1, const char *a2,
                      const char *dbname, const char *trigger);

/* Kind of a statement SQLite reported no action for (VACUUM, no-op DDL),
 * from its leading keyword. */
int local__kind_fallback(const char *sql);

#endif
