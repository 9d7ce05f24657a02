/* bench_pool_raw.h -- raw SQLite reference implementations of the pool
 * benchmark's mixed workload (bench_pool.c --impl raw-split|raw-conns|
 * raw-mutex): the same operations on sqlite3 handles directly, with no lsql
 * and no pool at all, and the same settings as lsql's defaults. raw-split is
 * the ideal read/write split -- every thread owns a read-only connection,
 * writes go to one shared connection behind a mutex, nothing is handed over
 * -- so it bounds from above what any split pool can reach on the machine. */
#ifndef BENCH_POOL_RAW_H
#define BENCH_POOL_RAW_H

#include <sqlite3.h>
#include <stdint.h>

typedef struct raw_conn {
    sqlite3 *db;
    sqlite3_stmt *rd, *wr, *begin, *commit, *rollback;
} raw_conn;

/* Opens path (read-only or read-write) with lsql's default settings
 * (busy_timeout 5000 ms, foreign_keys ON, cache_size -8192, secure_delete
 * OFF, synchronous NORMAL, temp_store MEMORY) plus `extra` (PRAGMAs, may be
 * ""), prepares the statements and
 * starts counting cache misses. Exits on failure. */
void raw_open(raw_conn *r, const char *path, int readonly, const char *extra);
void raw_close(raw_conn *r);
/* One operation: SELECT v FROM kv WHERE k = key, or a write (one UPDATE in
 * autocommit, or write_stmts UPDATEs on key, key+1, ... in BEGIN IMMEDIATE
 * ... COMMIT); a BUSY is counted in *busy and the operation run again. */
void raw_op(raw_conn *r, int write, int64_t key, int write_stmts, int keys, long *busy);
/* Page-cache misses since raw_open. */
long raw_misses(raw_conn *r);

#endif
