/* local.c -- the local backend: SQLite files and in-memory databases. */
#include "local.h"
#include "local_ctl.h"
#include "../core/txn_int.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int journal_mode(sqlite3 *s, const char *set, bool *wal);

/* ---- database level ------------------------------------------------------ */

typedef struct local_db {
    char memuri[96]; /* shared MEMORY: "file:/lsql-mem-PID-N?vfs=memdb" */
    sqlite3 *anchor; /* keeps a shared in-memory database alive */
} local_db;

static atomic_uint g_mem_counter;

static int open_flags(const lsql_db_config *cfg)
{
    int f = SQLITE_OPEN_EXRESCODE;
    if (cfg->flags & LSQL_DB_READONLY)
        f |= SQLITE_OPEN_READONLY;
    else if (cfg->flags & LSQL_DB_NO_CREATE)
        f |= SQLITE_OPEN_READWRITE;
    else
        f |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    f |= (cfg->flags & LSQL_DB_FULLMUTEX) ? SQLITE_OPEN_FULLMUTEX : SQLITE_OPEN_NOMUTEX;
    f |= cfg->sqlite_open_flags; /* validated by lsql_db_open */
    return f;
}

/* Opens one SQLite connection for `db` (any mode). */
static int raw_open(lsql_db *db, sqlite3 **out, lsql_error *e)
{
    local_db *ld = db->be_db;
    const char *name;
    int flags = open_flags(&db->cfg);
    if (db->cfg.mode == LSQL_MODE_MEMORY) {
        if (!(db->cfg.flags & LSQL_DB_MEMORY_SHARED)) {
            name = ":memory:";
        } else {
            name = ld->memuri;
            flags |= SQLITE_OPEN_URI;
        }
    } else {
        name = db->cfg.path;
    }
    /* Debian's SQLite reads "file:..." names as URIs (SQLITE_USE_URI); a
     * LOCAL path is a plain path, so keep it one. */
    char plain[4096];
    if (db->cfg.mode == LSQL_MODE_LOCAL && !strncmp(name, "file:", 5)) {
        if (strlen(name) + 3 > sizeof plain)
            return lsql__fail(e, LSQL_CANTOPEN, "path is too long");
        snprintf(plain, sizeof plain, "./%s", name);
        name = plain;
    }
    sqlite3 *s = NULL;
    int rc = sqlite3_open_v2(name, &s, flags, NULL);
    if (rc != SQLITE_OK) {
        if (!s) {
            lsql__err_set(e, local__code(rc), "cannot open '%.256s': %s",
                          db->cfg.mode == LSQL_MODE_MEMORY ? ":memory:" : name,
                          sqlite3_errstr(rc));
            e->sqlite_code = rc;
        } else {
            char prefix[300];
            snprintf(prefix, sizeof prefix, "cannot open '%.256s'",
                     db->cfg.mode == LSQL_MODE_MEMORY ? ":memory:" : name);
            local__error(s, rc, e, prefix);
            sqlite3_close_v2(s);
        }
        return e->ext_code;
    }
    *out = s;
    return LSQL_OK;
}

static int local_db_open(lsql_db *db, lsql_error *e)
{
    local_db *ld = lsql__calloc(1, sizeof *ld);
    if (!ld)
        return lsql__fail(e, LSQL_NOMEM, NULL);
    db->be_db = ld;
    if (db->cfg.mode == LSQL_MODE_MEMORY && (db->cfg.flags & LSQL_DB_MEMORY_SHARED)) {
        snprintf(ld->memuri, sizeof ld->memuri, "file:/lsql-mem-%ld-%u?vfs=memdb",
                 (long)getpid(), atomic_fetch_add(&g_mem_counter, 1));
    }
    if (db->cfg.mode == LSQL_MODE_MEMORY && !(db->cfg.flags & LSQL_DB_MEMORY_SHARED))
        return LSQL_OK;
    /* LOCAL: open once to report a bad path now, not at the first connect;
     * shared MEMORY: keep this connection as the database's anchor. */
    sqlite3 *s = NULL;
    int rc = raw_open(db, &s, e);
    if (rc) {
        lsql__free(ld);
        db->be_db = NULL;
        return rc;
    }
    if (db->cfg.mode == LSQL_MODE_MEMORY) {
        ld->anchor = s;
        return LSQL_OK;
    }
    /* Validate that it is a database (sqlite opens lazily), and switch the
     * file to WAL once, here, rather than from every connection. */
    rc = sqlite3_exec(s, "SELECT 1 FROM sqlite_schema LIMIT 0", NULL, NULL, NULL);
    if (rc == SQLITE_OK && !(db->cfg.flags & (LSQL_DB_NO_WAL | LSQL_DB_READONLY))) {
        bool wal = false;
        if (!db->cfg.busy_timeout_ms || (db->cfg.flags & LSQL_DB_NO_BUSY_TIMEOUT))
            sqlite3_busy_timeout(s, 0);
        else
            sqlite3_busy_timeout(s, (int)(db->cfg.busy_timeout_ms > INT32_MAX ? INT32_MAX
                                                                           : db->cfg.busy_timeout_ms));
        rc = journal_mode(s, NULL, &wal);
        if (rc == SQLITE_OK && !wal)
            rc = journal_mode(s, "WAL", &wal);
    }
    if (rc != SQLITE_OK) {
        char prefix[300];
        snprintf(prefix, sizeof prefix, "cannot open '%.256s'", db->cfg.path);
        rc = local__error(s, rc, e, prefix);
        sqlite3_close_v2(s);
        lsql__free(ld);
        db->be_db = NULL;
        return rc;
    }
    sqlite3_close_v2(s);
    return LSQL_OK;
}

static void local_db_close(lsql_db *db)
{
    local_db *ld = db->be_db;
    if (!ld)
        return;
    if (ld->anchor)
        sqlite3_close_v2(ld->anchor);
    lsql__free(ld);
    db->be_db = NULL;
}

/* ---- connection ------------------------------------------------------------ */

/* Runs "PRAGMA journal_mode" (set = NULL) or "PRAGMA journal_mode=<set>" and
 * tells whether the result is WAL. Returns a SQLite code. */
static int journal_mode(sqlite3 *s, const char *set, bool *wal)
{
    char sql[48];
    snprintf(sql, sizeof sql, "PRAGMA journal_mode%s%s", set ? "=" : "", set ? set : "");
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *m = sqlite3_column_text(st, 0);
        if (!m) {
            rc = SQLITE_NOMEM;
        } else {
            *wal = !strcmp((const char *)m, "wal");
            rc = SQLITE_OK;
        }
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

static int apply_defaults(lsql_conn *c, lsql_error *e)
{
    const lsql_db_config *cfg = &c->db->cfg;
    sqlite3 *s = LC(c)->db;
    unsigned f = cfg->flags;
    int rc;
    /* lsql's busy handler: waits in bounded, interruptible steps */
    local__busy_set(LC(c), (f & LSQL_DB_NO_BUSY_TIMEOUT) ? 0 : cfg->busy_timeout_ms);
    char sql[256];
    size_t n = 0;
    sql[0] = 0;
    if (!(f & LSQL_DB_NO_FOREIGN_KEYS))
        n += (size_t)snprintf(sql + n, sizeof sql - n, "PRAGMA foreign_keys=ON;");
    if (!(f & LSQL_DB_NO_TUNING))
        n += (size_t)snprintf(sql + n, sizeof sql - n,
                              "PRAGMA cache_size=-%u;PRAGMA secure_delete=OFF;"
                              "PRAGMA temp_store=MEMORY;",
                              cfg->cache_size_kib);
    if (n && (rc = sqlite3_exec(s, sql, NULL, NULL, NULL)) != SQLITE_OK)
        return local__error(s, rc, e, "applying connection defaults");
    bool wal = false;
    if (cfg->mode == LSQL_MODE_LOCAL && !(f & LSQL_DB_NO_WAL) && !(f & LSQL_DB_READONLY)) {
        /* lsql_db_open already switched the file to WAL (persistent); a
         * connection only reads the mode, and switches only if someone changed
         * it since. Switching from many connections at once would give BUSY
         * without calling the busy handler. */
        rc = journal_mode(s, NULL, &wal);
        if (rc == LSQL_OK && !wal)
            rc = journal_mode(s, "WAL", &wal);
        if (rc)
            return local__error(s, rc, e, "setting journal_mode=WAL");
        if (!wal)
            lsql__log(LSQL_LOG_WARN, "%s: journal_mode=WAL was refused; keeping the file's mode",
                      cfg->path);
    } else if (cfg->mode == LSQL_MODE_LOCAL) {
        if ((rc = journal_mode(s, NULL, &wal)))
            return local__error(s, rc, e, "reading journal_mode");
    }
    if (wal && !(f & LSQL_DB_NO_SYNC_NORMAL) &&
        (rc = sqlite3_exec(s, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL)) != SQLITE_OK)
        return local__error(s, rc, e, "setting synchronous=NORMAL");
    return LSQL_OK;
}

static int local_conn_open(lsql_conn *c, lsql_error *e)
{
    local_conn *lc = lsql__calloc(1, sizeof *lc);
    if (!lc)
        return lsql__fail(e, LSQL_NOMEM, NULL);
    int rc = raw_open(c->db, &lc->db, e);
    if (rc) {
        lsql__free(lc);
        return rc;
    }
    c->bc = lc;
    if (local__ctl_open(lc) != LSQL_OK) {
        sqlite3_close_v2(lc->db);
        lsql__free(lc);
        c->bc = NULL;
        return lsql__fail(e, LSQL_NOMEM, NULL);
    }
    sqlite3_set_authorizer(lc->db, local__authorizer, lc);
    rc = apply_defaults(c, e);
    if (rc) {
        sqlite3_close_v2(lc->db);
        local__ctl_close(lc);
        lsql__free(lc);
        c->bc = NULL;
        return rc;
    }
    lc->temp_sticky = false; /* our own PRAGMA temp_store, before TEMP is opened */
    return LSQL_OK;
}

static int local_conn_close(lsql_conn *c, lsql_error *e)
{
    local_conn *lc = LC(c);
    if (!lc)
        return LSQL_OK;
    int rc = LSQL_OK;
    local__hooks_clear(lc); /* no user callback runs during the close */
    if (!sqlite3_get_autocommit(lc->db)) {
        int src = sqlite3_exec(lc->db, "ROLLBACK", NULL, NULL, NULL);
        if (src != SQLITE_OK)
            rc = local__error(lc->db, src, e, "rolling back at close");
    }
    int src = sqlite3_close_v2(lc->db);
    if (src != SQLITE_OK && rc == LSQL_OK)
        rc = local__error(NULL, src, e, "closing");
    local__ctl_close(lc);
    lsql__free(lc);
    c->bc = NULL;
    return rc;
}

static int local_native(lsql_conn *c, void **out)
{
    *out = LC(c)->db;
    return LSQL_OK;
}

/* ---- statements ------------------------------------------------------------ */

static int local_prepare(lsql_conn *c, const char *sql, size_t n, bool nul_term,
                         unsigned flags, lsql_stmt *st, const char **tail,
                         lsql_error *e)
{
    local_conn *lc = LC(c);
    if (n > (size_t)INT32_MAX - 1)
        return lsql__fail(e, LSQL_TOOBIG, "SQL text of %zu bytes is too long", n);
    unsigned pf = (flags & LSQL_PREPARE_PERSISTENT) ? SQLITE_PREPARE_PERSISTENT : 0;
    sqlite3_stmt *s = NULL;
    lc->classifying = true;
    lc->kind = LSQL_KIND_OTHER;
    lc->prio = 0;
    local__op_begin(lc);
    int rc = sqlite3_prepare_v3(lc->db, sql, nul_term ? (int)n + 1 : (int)n, pf, &s, tail);
    local__op_end(lc);
    lc->classifying = false;
    local__busy_pragma_done(lc, rc == SQLITE_OK); /* PRAGMA busy_timeout: lsql's handler */
    if (rc != SQLITE_OK)
        return local__error(lc->db, rc, e, NULL);
    st->bs = s;
    st->kind = lc->prio ? lc->kind : (s ? local__kind_fallback(sqlite3_sql(s)) : LSQL_KIND_OTHER);
    return LSQL_OK;
}

static void local_finalize(lsql_stmt *st)
{
    sqlite3_finalize(SS(st));
    st->bs = NULL;
}

static bool local_expired(const lsql_stmt *st)
{
    return sqlite3_expired(SS(st)) != 0;
}

static int local_bind(lsql_stmt *st, int idx, const lsql_value *v, int lifetime)
{
    sqlite3_stmt *s = SS(st);
    void (*d)(void *) = lifetime == LSQL_STATIC ? SQLITE_STATIC : SQLITE_TRANSIENT;
    int rc;
    switch (v->type) {
    case LSQL_TYPE_INTEGER:
        rc = sqlite3_bind_int64(s, idx, v->u.i);
        break;
    case LSQL_TYPE_FLOAT:
        rc = sqlite3_bind_double(s, idx, v->u.d);
        break;
    case LSQL_TYPE_TEXT:
        rc = sqlite3_bind_text64(s, idx, v->u.bytes.p ? v->u.bytes.p : "", v->u.bytes.n, d,
                                 SQLITE_UTF8);
        break;
    case LSQL_TYPE_BLOB:
        rc = sqlite3_bind_blob64(s, idx, v->u.bytes.p ? v->u.bytes.p : "", v->u.bytes.n, d);
        break;
    default:
        rc = sqlite3_bind_null(s, idx);
    }
    if (LSQL_LIKELY(rc == SQLITE_OK))
        return LSQL_OK;
    return local__bind_fail(st, idx, rc,
                            v->type == LSQL_TYPE_TEXT || v->type == LSQL_TYPE_BLOB ? v->u.bytes.n : 0);
}

/* Maps a failed sqlite3_bind_* to an lsql error on the connection. Kept out
 * of the bind fast paths. */
int local__bind_fail(lsql_stmt *st, int idx, int rc, size_t n)
{
    sqlite3_stmt *s = SS(st);
    lsql_conn *c = st->conn;
    switch (rc) {
    case SQLITE_RANGE:
        return lsql__conn_fail(c, NULL, LSQL_RANGE,
                               "parameter index %d is out of range (the statement has %d)", idx,
                               sqlite3_bind_parameter_count(s));
    case SQLITE_TOOBIG:
        return lsql__conn_fail(c, NULL, LSQL_TOOBIG, "parameter %d: value of %zu bytes is too big",
                               idx, n);
    case SQLITE_MISUSE:
        return lsql__conn_fail(c, NULL, LSQL_MISUSE_STATE,
                               "statement is running; reset it before binding");
    default:
        return local__error(LC(c)->db, rc, &c->last, "binding");
    }
}

/* the typed binds, step and reset: local_ctl.h (inline, the core calls them
 * directly too) */
int local__bind_int64_checked(lsql_stmt *st, int idx, int64_t v)
{
    int rc = sqlite3_bind_int64(SS(st), idx, v);
    if (LSQL_UNLIKELY(rc != SQLITE_OK))
        return local__bind_fail(st, idx, rc, 0);
    st->be_nbind = st->nparams; /* bound: the statement is reset */
    return LSQL_OK;
}

int local__bind_double_checked(lsql_stmt *st, int idx, double v)
{
    int rc = sqlite3_bind_double(SS(st), idx, v);
    if (LSQL_UNLIKELY(rc != SQLITE_OK))
        return local__bind_fail(st, idx, rc, 0);
    st->be_nbind = st->nparams;
    return LSQL_OK;
}

static int local_bind_int64(lsql_stmt *st, int idx, int64_t v)
{
    return local__bind_int64(st, idx, v);
}

static int local_bind_double(lsql_stmt *st, int idx, double v)
{
    return local__bind_double(st, idx, v);
}

static int local_bind_text(lsql_stmt *st, int idx, const char *p, size_t n, int lifetime)
{
    return local__bind_text(st, idx, p ? p : "", n, lifetime);
}

static int local_param_count(const lsql_stmt *st)
{
    return sqlite3_bind_parameter_count(SS(st));
}

static const char *local_param_name(const lsql_stmt *st, int idx)
{
    return sqlite3_bind_parameter_name(SS(st), idx);
}

static int local_param_index(const lsql_stmt *st, const char *name)
{
    return sqlite3_bind_parameter_index(SS(st), name);
}

int local__step_end(lsql_stmt *st, int rc)
{
    local_conn *lc = LC(st->conn);
    local__busy_pragma_done(lc, rc == SQLITE_ROW || rc == SQLITE_DONE); /* if re-prepared */
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return rc;
    /* [txn] retryable rule inside transactions, READ_ONLY transactions */
    return lsql__txn_step_error(st->conn, local__error(lc->db, rc, &st->conn->last, NULL));
}

static int local_step(lsql_stmt *st) { return local__step(st); }
static void local_reset(lsql_stmt *st) { local__reset(st); }
static void local_clear_bindings(lsql_stmt *st) { sqlite3_clear_bindings(SS(st)); }

static int local_column_count(const lsql_stmt *st)
{
    return sqlite3_column_count(SS(st));
}

static const char *local_column_name(const lsql_stmt *st, int col)
{
    return sqlite3_column_name(SS(st), col);
}

static const char *local_column_decltype(const lsql_stmt *st, int col)
{
    return sqlite3_column_decltype(SS(st), col);
}

static const char *local_column_table(const lsql_stmt *st, int col)
{
    return sqlite3_column_table_name(SS(st), col);
}

static const char *local_column_origin(const lsql_stmt *st, int col)
{
    return sqlite3_column_origin_name(SS(st), col);
}

static int local_column_type(lsql_stmt *st, int col)
{
    int t = sqlite3_column_type(SS(st), col);
    return t == SQLITE_NULL ? LSQL_TYPE_NULL : t; /* 1..4 are the same */
}

static int64_t local_column_int64(lsql_stmt *st, int col)
{
    return sqlite3_column_int64(SS(st), col);
}

static double local_column_double(lsql_stmt *st, int col)
{
    return sqlite3_column_double(SS(st), col);
}

static const void *local_column_bytes(lsql_stmt *st, int col, size_t *n, bool as_text)
{
    sqlite3_stmt *s = SS(st);
    const void *p = as_text ? (const void *)sqlite3_column_text(s, col)
                            : sqlite3_column_blob(s, col);
    *n = (size_t)sqlite3_column_bytes(s, col);
    return p;
}

static void local_stmt_info(const lsql_stmt *st, lsql_stmt_info *out)
{
    sqlite3_stmt *s = SS(st);
    out->column_count = sqlite3_column_count(s);
    out->returns_rows = out->column_count > 0;
    out->readonly = sqlite3_stmt_readonly(s);
    out->is_explain = sqlite3_stmt_isexplain(s);
    out->param_count = sqlite3_bind_parameter_count(s);
}

static const char *local_stmt_sql(const lsql_stmt *st) { return sqlite3_sql(SS(st)); }

static int local_meta(lsql_conn *c, int what, int64_t *out)
{
    sqlite3 *s = LC(c)->db;
    switch (what) {
    case META_LAST_ROWID:
        *out = sqlite3_last_insert_rowid(s);
        break;
    case META_CHANGES:
        *out = sqlite3_changes64(s);
        break;
    case META_TOTAL_CHANGES:
        *out = sqlite3_total_changes64(s);
        break;
    case META_AUTOCOMMIT:
        *out = sqlite3_get_autocommit(s) != 0;
        break;
    case META_TXN_STATE:
        *out = sqlite3_txn_state(s, NULL);
        break;
    default:
        return LSQL_NOTSUP_BACKEND;
    }
    return LSQL_OK;
}

/* ---- lsql_conn_reset's TEMP fast path ------------------------------------- */

/* The TEMP database's pager data version: it changes at every committed
 * write to TEMP, whatever prepared the statement (lsql, the native handle, a
 * statement prepared before the last reset). false when the connection has
 * no TEMP database open (it then holds no TEMP object). */
static bool temp_version(sqlite3 *s, unsigned *v, bool *absent)
{
    *absent = false;
#ifdef SQLITE_FCNTL_DATA_VERSION
    if (sqlite3_file_control(s, "temp", SQLITE_FCNTL_DATA_VERSION, v) == SQLITE_OK)
        return true;
    *absent = sqlite3_db_filename(s, "temp") == NULL;
#else
    (void)s;
    (void)v;
#endif
    return false;
}

static bool local_temp_maybe_used(lsql_conn *c)
{
    local_conn *lc = LC(c);
    if (lc->temp_seen || lc->temp_sticky)
        return true;
    unsigned v = 0;
    bool absent;
    if (!temp_version(lc->db, &v, &absent))
        return !absent;
    return !lc->temp_ver_ok || v != lc->temp_ver;
}

static void local_temp_clean(lsql_conn *c)
{
    local_conn *lc = LC(c);
    bool absent;
    lc->temp_seen = false;
    lc->temp_ver_ok = temp_version(lc->db, &lc->temp_ver, &absent);
}

const lsql_backend lsql__local_backend = {
    .name = "local",
    .db_open = local_db_open,
    .db_close = local_db_close,
    .conn_open = local_conn_open,
    .conn_close = local_conn_close,
    .native = local_native,
    .prepare = local_prepare,
    .finalize = local_finalize,
    .expired = local_expired,
    .bind = local_bind,
    .bind_int64 = local_bind_int64,
    .bind_double = local_bind_double,
    .bind_text = local_bind_text,
    .param_count = local_param_count,
    .param_name = local_param_name,
    .param_index = local_param_index,
    .step = local_step,
    .reset = local_reset,
    .clear_bindings = local_clear_bindings,
    .column_count = local_column_count,
    .column_name = local_column_name,
    .column_decltype = local_column_decltype,
    .column_table = local_column_table,
    .column_origin = local_column_origin,
    .column_type = local_column_type,
    .column_int64 = local_column_int64,
    .column_double = local_column_double,
    .column_bytes = local_column_bytes,
    .stmt_info = local_stmt_info,
    .stmt_sql = local_stmt_sql,
    .meta = local_meta,
    .temp_maybe_used = local_temp_maybe_used,
    .temp_clean = local_temp_clean,
    .interrupt = local__interrupt,
    .busy_timeout = local__busy_timeout,
    .cacheflush = local__cacheflush,
    .checkpoint = local__checkpoint,
    .limit = local__limit,
    .db_config = local__db_config,
    .set_update_hook = local__set_update_hook,
    .set_commit_hook = local__set_commit_hook,
    .set_rollback_hook = local__set_rollback_hook,
    .set_preupdate_hook = local__set_preupdate_hook,
    .set_wal_hook = local__set_wal_hook,
    .set_progress = local__set_progress,
    .set_authorizer = local__set_authorizer,
    .create_function = local__create_function,
    .enable_load_extension = local__enable_load_extension,
    .load_extension = local__load_extension,
    .backup = local__backup,
};
