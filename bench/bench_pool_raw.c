/* bench_pool_raw.c -- see bench_pool_raw.h. */
#include "bench_pool_raw.h"

#include <stdio.h>
#include <stdlib.h>

static void raw_die(raw_conn *r, const char *what)
{
    fprintf(stderr, "bench_pool (raw): %s: %s\n", what, r->db ? sqlite3_errmsg(r->db) : "?");
    exit(1);
}

static sqlite3_stmt *prep(raw_conn *r, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
        raw_die(r, sql);
    return st;
}

void raw_open(raw_conn *r, const char *path, int readonly, const char *extra)
{
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
                (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
    r->db = NULL;
    if (sqlite3_open_v2(path, &r->db, flags, NULL) != SQLITE_OK)
        raw_die(r, "open");
    sqlite3_busy_timeout(r->db, 5000);
    char sql[512];
    snprintf(sql, sizeof sql,
             "PRAGMA foreign_keys=ON; PRAGMA cache_size=-8192; PRAGMA secure_delete=OFF; "
             "PRAGMA temp_store=MEMORY; PRAGMA synchronous=NORMAL; %s",
             extra ? extra : "");
    if (sqlite3_exec(r->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        raw_die(r, sql);
    r->rd = prep(r, "SELECT v FROM kv WHERE k = ?");
    r->wr = readonly ? NULL : prep(r, "UPDATE kv SET v = v + 1 WHERE k = ?");
    r->begin = readonly ? NULL : prep(r, "BEGIN IMMEDIATE");
    r->commit = readonly ? NULL : prep(r, "COMMIT");
    r->rollback = readonly ? NULL : prep(r, "ROLLBACK");
    int cur, hi;
    sqlite3_db_status(r->db, SQLITE_DBSTATUS_CACHE_MISS, &cur, &hi, 1);
}

void raw_close(raw_conn *r)
{
    sqlite3_finalize(r->rd);
    sqlite3_finalize(r->wr);
    sqlite3_finalize(r->begin);
    sqlite3_finalize(r->commit);
    sqlite3_finalize(r->rollback);
    sqlite3_close(r->db);
    r->db = NULL;
}

/* Runs st to its end; the result code (SQLITE_DONE on success). */
static int run(sqlite3_stmt *st)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    sqlite3_reset(st);
    return rc;
}

static int busy_code(int rc)
{
    return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

void raw_op(raw_conn *r, int write, int64_t key, int write_stmts, int keys, long *busy)
{
    for (;;) {
        int rc;
        if (!write) {
            sqlite3_bind_int64(r->rd, 1, key);
            rc = run(r->rd);
        } else if (write_stmts <= 1) {
            sqlite3_bind_int64(r->wr, 1, key);
            rc = run(r->wr);
        } else {
            rc = run(r->begin);
            for (int i = 0; rc == SQLITE_DONE && i < write_stmts; i++) {
                sqlite3_bind_int64(r->wr, 1, 1 + (key - 1 + i) % keys);
                rc = run(r->wr);
            }
            if (rc == SQLITE_DONE)
                rc = run(r->commit);
            if (rc != SQLITE_DONE && !sqlite3_get_autocommit(r->db))
                run(r->rollback);
        }
        if (rc == SQLITE_DONE)
            return;
        if (busy_code(rc)) {
            (*busy)++;
            continue;
        }
        raw_die(r, write ? "write" : "read");
    }
}

long raw_misses(raw_conn *r)
{
    int cur = 0, hi = 0;
    sqlite3_db_status(r->db, SQLITE_DBSTATUS_CACHE_MISS, &cur, &hi, 0);
    return cur;
}
