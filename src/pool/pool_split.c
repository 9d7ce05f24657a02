/* pool_split.c -- the local WAL read/write split: which set serves an
 * intent, the database checks at open, and the read-only database readers
 * are opened from. */
#include "pool_int.h"

#include <string.h>

pool_set *pool__pick_set(lsql_pool *p, int intent)
{
    if (!p->split)
        return &p->sets[0];
    return intent == LSQL_POOL_READ ? &p->sets[0] : &p->sets[1];
}

int pool__role_intent(int role)
{
    return role == ROLE_READER ? LSQL_POOL_READ
           : role == ROLE_WRITER ? LSQL_POOL_WRITE
                                 : LSQL_POOL_ANY;
}

/* Checks, on the pool's first connection, that the database suits a pool:
 * a MEMORY database must be shared (a private one has an empty file name
 * in PRAGMA database_list: every connection would be its own database), and
 * the split needs a LOCAL file in WAL (readers then never block the writer;
 * a remote server has no read-only stream, and orders writes itself). Plain SQL and
 * public calls only, so any backend can answer. */
int pool__check_db(lsql_pool *p, lsql_conn *c, lsql_error *err)
{
    if (lsql_db_mode(p->db) == LSQL_MODE_MEMORY) {
        lsql_value v;
        memset(&v, 0, sizeof v);
        int rc = lsql_query_value(c, "SELECT file FROM pragma_database_list WHERE name = 'main'",
                                  NULL, 0, &v, err);
        if (rc)
            return rc;
        bool priv = v.type != LSQL_TYPE_TEXT || v.u.bytes.n == 0;
        lsql_value_release(&v);
        if (priv)
            return pool__fail(err, LSQL_POOL_PRIVATE_MEMORY,
                              "lsql_pool_open: the MEMORY database is private to each connection "
                              "(every pooled connection would be a separate, empty database); "
                              "open it with LSQL_DB_MEMORY_SHARED (URL memory=shared)");
    }
    if (p->split && lsql_db_mode(p->db) != LSQL_MODE_LOCAL) {
        int m = lsql_db_mode(p->db);
        return pool__fail(err, LSQL_NOTSUP_BACKEND,
                          "lsql_pool_open: LSQL_POOL_RW_SPLIT splits a LOCAL database in WAL "
                          "mode between one writer and read-only readers; this database is %s "
                          "(a server orders its clients' writes itself): open the pool without "
                          "the flag",
                          m == LSQL_MODE_REMOTE   ? "REMOTE"
                          : m == LSQL_MODE_MEMORY ? "MEMORY (no WAL)"
                                                  : "not LOCAL");
    }
    if (p->split) {
        int mode = -1;
        int rc = lsql_pragma_journal_mode(c, NULL, &mode, err);
        if (rc)
            return rc;
        if (mode != LSQL_JOURNAL_WAL)
            return pool__fail(err, LSQL_NOTSUP_BACKEND,
                              "lsql_pool_open: LSQL_POOL_RW_SPLIT needs a database in WAL mode "
                              "(journal mode is %s)",
                              lsql_journal_mode_name(mode) ? lsql_journal_mode_name(mode) : "?");
    }
    return LSQL_OK;
}

lsql_db *pool__set_db(lsql_pool *p, const pool_set *s)
{
    return s->role == ROLE_READER && p->rdb ? p->rdb : p->db;
}

/* Readers come from a second database on the same file opened with
 * LSQL_DB_READONLY (SQLITE_OPEN_READONLY): a write on them fails with
 * LSQL_READONLY, and no PRAGMA (query_only) can turn that off, so a release
 * needs no check. Same options otherwise (busy timeout, caches, open
 * flags). */
int pool__open_reader_db(lsql_pool *p, lsql_error *err)
{
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    int rc = lsql_db_opts_get(p->db, &o);
    if (rc)
        return pool__fail(err, rc, "lsql_pool_open: cannot read the database's options");
    o.flags |= LSQL_DB_READONLY;
    return lsql_db_open(&o, &p->rdb, err);
}
