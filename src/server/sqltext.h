/* sqltext.h -- the little SQL text inspection lsqld needs before SQLite
 * sees a statement: skipping blanks and comments, and recognising the kind
 * of a leading BEGIN (to take the write lock for IMMEDIATE/EXCLUSIVE and to
 * accept libSQL's BEGIN READONLY, which vanilla SQLite rejects). */
#ifndef LSQLD_SQLTEXT_H
#define LSQLD_SQLTEXT_H

#include <stddef.h>

/* Offset of the first byte after whitespace, comments and ';' from `at`. */
size_t lsqld_sql_skip_space(const char *sql, size_t n, size_t at);
/* 1 when sql[at..n) holds only whitespace, comments and ';'. */
int lsqld_sql_is_blank(const char *sql, size_t n, size_t at);

#define LSQLD_BEGIN_NONE 0          /* not a BEGIN statement */
#define LSQLD_BEGIN_DEFERRED 1      /* BEGIN [DEFERRED] [TRANSACTION [name]] */
#define LSQLD_BEGIN_IMMEDIATE 2
#define LSQLD_BEGIN_EXCLUSIVE 3
#define LSQLD_BEGIN_READONLY 4      /* BEGIN READONLY [TRANSACTION [name]]: libSQL only */
#define LSQLD_BEGIN_TXN_READONLY 5  /* BEGIN TRANSACTION READONLY (the TS client's "read") */

/* Kind of the statement starting at sql[at] (after blanks). For
 * LSQLD_BEGIN_READONLY, *end receives the offset just past the statement
 * (its ';' included) so that it can be replaced; a BEGIN READONLY followed
 * by anything but [TRANSACTION [name]] and ';'/end is LSQLD_BEGIN_NONE (and
 * SQLite reports the syntax error). */
int lsqld_sql_begin_kind(const char *sql, size_t n, size_t at, size_t *end);

/* 1 when sql[0..n) is a PRAGMA that may change a setting of the connection:
 * one with a value (`PRAGMA x = v`, `PRAGMA x(v)`), unless x only reads or
 * acts on the database file (table_info(t), integrity_check(n),
 * wal_checkpoint(m), user_version = v, ...). A PRAGMA without a value only
 * reads. Used to keep such connections out of the pool. */
int lsqld_sql_pragma_sets(const char *sql, size_t n);

/* 1 when sql[0..n) is a plain VACUUM: `VACUUM [schema]` and nothing but
 * blanks, comments and ';' after it (no INTO). */
int lsqld_sql_is_plain_vacuum(const char *sql, size_t n);

#endif
