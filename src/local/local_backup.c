/* local_backup.c -- online backup of the local backend (sqlite3_backup_*):
 * to a file, from a file, or to another connection, in steps of N pages with
 * a progress callback, retrying locked steps within the busy timeout, and
 * interruptible. */
#include "local_ctl.h"

#include <stdio.h>
#include <string.h>

/* Opens a private handle on a database file (a plain path, as for LOCAL
 * databases: "file:..." is not read as a URI). */
static int open_file(const char *path, bool readonly, sqlite3 **out, lsql_error *e)
{
    char plain[4096];
    const char *name = path;
    if (!strncmp(path, "file:", 5)) {
        if (strlen(path) + 3 > sizeof plain)
            return lsql__fail(e, LSQL_CANTOPEN, "path is too long");
        snprintf(plain, sizeof plain, "./%s", path);
        name = plain;
    }
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
                (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    sqlite3 *s = NULL;
    int rc = sqlite3_open_v2(name, &s, flags, NULL);
    if (rc != SQLITE_OK) {
        char prefix[300];
        snprintf(prefix, sizeof prefix, "backup: cannot open '%.256s'", path);
        rc = local__error(s, rc, e, prefix);
        sqlite3_close_v2(s);
        return rc;
    }
    *out = s;
    return LSQL_OK;
}

typedef struct {
    local_conn *a, *b; /* interruptible connections (b may be NULL) */
    unsigned ga, gb;
} guard;

static bool interrupted(const guard *g)
{
    return local__interrupted_since(g->a, g->ga) ||
           (g->b && local__interrupted_since(g->b, g->gb));
}

static int run(sqlite3 *dst, const char *dname, sqlite3 *src, const char *sname,
               const lsql_backup_opts *o, const guard *g, uint32_t busy_ms, lsql_error *e)
{
    sqlite3_backup *b = sqlite3_backup_init(dst, dname, src, sname);
    if (!b)
        return local__error(dst, sqlite3_errcode(dst), e, "backup");
    int pages = o->pages_per_step > 0 ? o->pages_per_step : -1;
    int rc = LSQL_OK, step_rc = SQLITE_OK;
    uint32_t waited = 0, busy_steps = 0;
    for (;;) {
        if (interrupted(g)) {
            rc = LSQL_INTERRUPTED;
            lsql__err_set(e, rc, "backup interrupted");
            break;
        }
        int r = sqlite3_backup_step(b, pages);
        if (r == SQLITE_DONE || r == SQLITE_OK) {
            waited = busy_steps = 0;
            if (o->progress &&
                o->progress(o->ctx, sqlite3_backup_remaining(b), sqlite3_backup_pagecount(b)) &&
                r == SQLITE_OK) {
                rc = LSQL_ABORT;
                lsql__err_set(e, rc, "backup stopped by the progress callback");
                break;
            }
            if (r == SQLITE_DONE)
                break;
            if (o->sleep_ms && local__ctl_sleep(g->a, g->ga, o->sleep_ms)) {
                rc = LSQL_INTERRUPTED;
                lsql__err_set(e, rc, "backup interrupted");
                break;
            }
            continue;
        }
        if ((r & 0xff) == SQLITE_BUSY || (r & 0xff) == SQLITE_LOCKED) {
            uint32_t ms = busy_steps < 4 ? 5u << busy_steps : 100u; /* 5..40, then 100 */
            if (waited >= busy_ms) {
                step_rc = r;
                break;
            }
            if (ms > busy_ms - waited)
                ms = busy_ms - waited;
            busy_steps++;
            waited += ms;
            if (local__ctl_sleep(g->a, g->ga, ms)) {
                rc = LSQL_INTERRUPTED;
                lsql__err_set(e, rc, "backup interrupted while the database was locked");
                break;
            }
            continue;
        }
        step_rc = r;
        break;
    }
    int fr = sqlite3_backup_finish(b);
    if (rc != LSQL_OK)
        return rc;
    if (step_rc != SQLITE_OK)
        return local__error(dst, step_rc, e, "backup");
    if (fr != SQLITE_OK)
        return local__error(dst, fr, e, "backup");
    return LSQL_OK;
}

/* SQLite copies the source's header, WAL flag included (bytes 18-19 = 2),
 * and rewrites it only when the destination is in WAL mode. A destination
 * whose VFS cannot do WAL (the memdb VFS of shared MEMORY databases) would
 * then fail to open ("unable to open database file"): mark it a
 * rollback-journal database again, and bump the change counter so that
 * every connection's page cache reloads page 1. */
static void fix_wal_flag(sqlite3 *db, const char *schema)
{
    sqlite3_file *f = NULL;
    if (sqlite3_file_control(db, schema, SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || !f ||
        !f->pMethods || (f->pMethods->iVersion >= 2 && f->pMethods->xShmMap))
        return;
    unsigned char h[100];
    if (f->pMethods->xRead(f, h, sizeof h, 0) != SQLITE_OK || (h[18] != 2 && h[19] != 2))
        return;
    h[18] = h[19] = 1;
    uint32_t n = ((uint32_t)h[24] << 24 | (uint32_t)h[25] << 16 | (uint32_t)h[26] << 8 | h[27]) + 1;
    for (int i = 0; i < 4; i++)
        h[24 + i] = h[92 + i] = (unsigned char)(n >> (24 - 8 * i)); /* counter, valid-for */
    f->pMethods->xWrite(f, h, sizeof h, 0);
}

int local__backup(lsql_conn *c, const char *schema, lsql_conn *other, const char *other_schema,
                  const char *path, int dir, const lsql_backup_opts *o, lsql_error *e)
{
    local_conn *lc = LC(c);
    local_conn *lo = other ? LC(other) : NULL;
    const char *mine = schema ? schema : "main";
    sqlite3 *file = NULL;
    int rc;
    if (dir != LSQL__BACKUP_TO_CONN) {
        rc = open_file(path, dir == LSQL__BACKUP_FROM_FILE, &file, e);
        if (rc)
            return rc;
        sqlite3_busy_timeout(file, (int)(lc->ctl->busy_ms > INT32_MAX ? INT32_MAX
                                                                       : lc->ctl->busy_ms));
    }
    local__op_begin(lc);
    if (lo)
        local__op_begin(lo);
    local__forget_idle_interrupt(lc);
    if (lo)
        local__forget_idle_interrupt(lo);
    guard g = {lc, lo, lc->ctl->op_gen, lo ? lo->ctl->op_gen : 0};
    switch (dir) {
    case LSQL__BACKUP_TO_FILE:
        rc = run(file, "main", lc->db, mine, o, &g, lc->ctl->busy_ms, e);
        break;
    case LSQL__BACKUP_FROM_FILE:
        rc = run(lc->db, mine, file, "main", o, &g, lc->ctl->busy_ms, e);
        break;
    default:
        rc = run(lo->db, other_schema ? other_schema : "main", lc->db, mine, o, &g,
                 lc->ctl->busy_ms, e);
        break;
    }
    if (rc == LSQL_OK && dir == LSQL__BACKUP_FROM_FILE)
        fix_wal_flag(lc->db, mine);
    else if (rc == LSQL_OK && lo)
        fix_wal_flag(lo->db, other_schema ? other_schema : "main");
    if (lo)
        local__op_end(lo);
    local__op_end(lc);
    if (file) {
        int cr = sqlite3_close_v2(file);
        if (rc == LSQL_OK && cr != SQLITE_OK)
            rc = local__error(NULL, cr, e, "backup: closing the file");
    }
    return rc;
}
