/* coretest.h -- extra helpers for the tests/core functional suite (on top of
 * testutil.h). Everything is static inline so each test binary gets its own
 * copy and -Wmissing-prototypes stays quiet. */
#ifndef LSQL_CORETEST_H
#define LSQL_CORETEST_H

#include "testutil.h"

#include <sys/stat.h>

/* Fills an error struct with garbage so that tests can see what a call wrote. */
static inline void ct_err_garbage(lsql_error *e)
{
    memset(e, 0x5a, sizeof *e);
}

/* True when s holds a NUL within cap bytes. */
static inline int ct_terminated(const char *s, size_t cap)
{
    return memchr(s, 0, cap) != NULL;
}

/* Checks the lsql_error fill rules for a call that returned rc:
 *  success (LSQL_OK / LSQL_ROW / LSQL_DONE): code == ext_code == 0;
 *  failure: ext_code == rc, code == LSQL_CLASS(rc), the strings are
 *  NUL-terminated, the message is not empty, http_status is 0 (local). */
static inline void ct_check_err(int rc, const lsql_error *e)
{
    if (rc == LSQL_OK || rc == LSQL_ROW || rc == LSQL_DONE) {
        if (e->code != 0 || e->ext_code != 0)
            fail_msg("success (%s) but err->code=%d err->ext_code=%d", lsql_errname(rc),
                     e->code, e->ext_code);
        return;
    }
    if (e->ext_code != rc)
        fail_msg("returned %s (%d) but err->ext_code=%d", lsql_errname(rc), rc, e->ext_code);
    if (e->code != LSQL_CLASS(rc))
        fail_msg("returned %s (%d) but err->code=%d, want class %d", lsql_errname(rc), rc,
                 e->code, LSQL_CLASS(rc));
    if (!ct_terminated(e->message, sizeof e->message))
        fail_msg("err->message is not NUL-terminated");
    if (!ct_terminated(e->constraint_name, sizeof e->constraint_name))
        fail_msg("err->constraint_name is not NUL-terminated");
    if (e->message[0] == 0)
        fail_msg("err->message is empty for %s", lsql_errname(rc));
#ifndef LSQL_TEST_REMOTE
    if (e->http_status != 0)
        fail_msg("err->http_status=%d for a local error", e->http_status);
#else
    if (e->http_status != 0 && (e->http_status < 100 || e->http_status > 599))
        fail_msg("err->http_status=%d", e->http_status);
#endif
    if (e->offset < -1)
        fail_msg("err->offset=%d", e->offset);
    if (e->constraint_kind < LSQL_CONSTRAINT_KIND_NONE ||
        e->constraint_kind > LSQL_CONSTRAINT_KIND_OTHER)
        fail_msg("err->constraint_kind=%d", e->constraint_kind);
}

/* Asserts `expr` returns `want` and that *errp was filled by the rules. */
#define ct_expect(want, errp, expr)                                            \
    do {                                                                       \
        ct_err_garbage(errp);                                                  \
        int rc_ct__ = (expr);                                                  \
        if (rc_ct__ != (want))                                                 \
            fail_msg("%s: got %s (%d), want %s (%d): %s", #expr,               \
                     lsql_errname(rc_ct__), rc_ct__, lsql_errname(want),       \
                     (int)(want), (errp)->message);                            \
        ct_check_err(rc_ct__, errp);                                           \
    } while (0)

/* Integer result of a one-value query that must succeed. */
static inline int64_t ct_int(lsql_conn *c, const char *sql)
{
    lsql_error e;
    int64_t v = 0;
    int rc = lsql_query_int64(c, sql, NULL, 0, &v, &e);
    if (rc != LSQL_OK)
        fail_msg("query_int64 '%s': %s (%s)", sql, e.message, lsql_errname(rc));
    return v;
}

/* Text result of a one-value query that must succeed, copied into buf. */
static inline const char *ct_text(lsql_conn *c, const char *sql, char *buf, size_t cap)
{
    lsql_error e;
    lsql_value v;
    int rc = lsql_query_value(c, sql, NULL, 0, &v, &e);
    if (rc != LSQL_OK)
        fail_msg("query_value '%s': %s (%s)", sql, e.message, lsql_errname(rc));
    if (v.type != LSQL_TYPE_TEXT)
        fail_msg("query_value '%s': type %d, want TEXT", sql, v.type);
    snprintf(buf, cap, "%.*s", (int)v.u.bytes.n, (const char *)v.u.bytes.p);
    lsql_value_release(&v);
    return buf;
}

/* Opens a database from options that must succeed. */
static inline lsql_db *ct_open(const lsql_db_opts *o)
{
    lsql_db *db = NULL;
    lsql_error e;
    int rc = lsql_db_open(o, &db, &e);
    if (rc != LSQL_OK)
        fail_msg("lsql_db_open: %s (%s)", e.message, lsql_errname(rc));
    return db;
}

static inline lsql_db *ct_open_url(const char *url)
{
    lsql_db *db = NULL;
    lsql_error e;
    int rc = lsql_db_open_url(url, &db, &e);
    if (rc != LSQL_OK)
        fail_msg("lsql_db_open_url '%s': %s (%s)", url, e.message, lsql_errname(rc));
    return db;
}

static inline lsql_conn *ct_connect(lsql_db *db)
{
    lsql_conn *c = NULL;
    lsql_error e;
    int rc = lsql_db_connect(db, &c, &e);
    if (rc != LSQL_OK)
        fail_msg("lsql_db_connect: %s (%s)", e.message, lsql_errname(rc));
    return c;
}

/* A fresh database file path copied into buf (tu_db_path's buffer is
 * shared). */
static inline char *ct_path(const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", tu_db_path(name));
    return buf;
}

/* The test temp directory. */
static inline const char *ct_tmpdir(void)
{
    const char *dir = getenv("LSQL_TEST_TMPDIR");
    return dir && *dir ? dir : "/tmp";
}

static inline int ct_file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

#endif
