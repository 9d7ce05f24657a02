/* testutil.h -- helpers shared by the cmocka test binaries. */
#ifndef LSQL_TESTUTIL_H
#define LSQL_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lsql.h"

/* Asserts an lsql call returned `want`, printing both codes' names and the
 * error message when it did not. */
#define assert_rc(want, expr)                                                  \
    do {                                                                       \
        int rc__ = (expr);                                                     \
        if (rc__ != (want))                                                    \
            fail_msg("%s: got %s (%d), want %s (%d)", #expr, lsql_errname(rc__), \
                     rc__, lsql_errname(want), (int)(want));                   \
    } while (0)

#define assert_ok(expr) assert_rc(LSQL_OK, expr)

/* A fresh path for a database file in the test temp dir (removed first,
 * with its -wal/-shm). Static buffer: copy it if you need two. */
static inline const char *tu_db_path(const char *name)
{
    static char buf[1024];
    const char *dir = getenv("LSQL_TEST_TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    snprintf(buf, sizeof buf, "%s/%s-%ld.db", dir, name, (long)getpid());
    char side[1100];
    unlink(buf);
    snprintf(side, sizeof side, "%s-wal", buf);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", buf);
    unlink(side);
    return buf;
}

static inline void tu_db_remove(const char *path)
{
    char side[1100];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* Opens a shared MEMORY database (LSQL_DB_MEMORY_SHARED: later connections
 * of the same lsql_db see it) and one connection to it. */
static inline void tu_open_memory(lsql_db **db, lsql_conn **conn)
{
    lsql_error err;
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.mode = LSQL_MODE_MEMORY;
    o.flags = LSQL_DB_MEMORY_SHARED;
    if (lsql_db_open(&o, db, &err) != LSQL_OK)
        fail_msg("open memory: %s", err.message);
    if (lsql_db_connect(*db, conn, &err) != LSQL_OK)
        fail_msg("connect memory: %s", err.message);
}

/* Opens a LOCAL file database (fresh file) and one connection to it. */
static inline void tu_open_file(const char *name, lsql_db **db, lsql_conn **conn)
{
    lsql_error err;
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.mode = LSQL_MODE_LOCAL;
    o.path = tu_db_path(name);
    if (lsql_db_open(&o, db, &err) != LSQL_OK)
        fail_msg("open %s: %s", o.path, err.message);
    if (lsql_db_connect(*db, conn, &err) != LSQL_OK)
        fail_msg("connect %s: %s", o.path, err.message);
}

/* Runs SQL that must succeed. */
static inline void tu_exec(lsql_conn *c, const char *sql)
{
    lsql_error err;
    int rc = lsql_exec(c, sql, NULL, 0, NULL, &err);
    if (rc != LSQL_OK)
        fail_msg("exec '%s': %s (%s)", sql, err.message, lsql_errname(rc));
}

#endif
