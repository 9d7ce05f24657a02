/* test_errors.c -- error codes, names and texts, the lsql_error fill rules,
 * the per-connection error, syntax offsets, constraint details and the
 * retryable flag. */
#include "target.h"

/* ---- names and texts ----------------------------------------------------- */

typedef struct {
    int code;
    const char *name;
} named_code;

#define N(x) {x, #x}
static const named_code k_all[] = {
    N(LSQL_OK), N(LSQL_ERROR), N(LSQL_INTERNAL), N(LSQL_PERM), N(LSQL_ABORT),
    N(LSQL_BUSY), N(LSQL_LOCKED), N(LSQL_NOMEM), N(LSQL_READONLY),
    N(LSQL_INTERRUPTED), N(LSQL_IOERR), N(LSQL_CORRUPT), N(LSQL_NOTFOUND),
    N(LSQL_FULL), N(LSQL_CANTOPEN), N(LSQL_PROTOCOL), N(LSQL_SCHEMA),
    N(LSQL_TOOBIG), N(LSQL_CONSTRAINT), N(LSQL_MISMATCH), N(LSQL_MISUSE),
    N(LSQL_NOLFS), N(LSQL_AUTH), N(LSQL_FORMAT), N(LSQL_RANGE), N(LSQL_NOTADB),
    N(LSQL_NOTICE), N(LSQL_WARNING), N(LSQL_INVALID), N(LSQL_PARAM),
    N(LSQL_NOTSUP), N(LSQL_NO_ROWS), N(LSQL_TOO_MANY_ROWS), N(LSQL_TXN),
    N(LSQL_HTTP), N(LSQL_HRANA), N(LSQL_POOL), N(LSQL_ROW), N(LSQL_DONE),
    N(LSQL_BUSY_RECOVERY), N(LSQL_BUSY_SNAPSHOT), N(LSQL_BUSY_TIMEOUT),
    N(LSQL_LOCKED_SHAREDCACHE), N(LSQL_IOERR_NOMEM), N(LSQL_READONLY_DBMOVED),
    N(LSQL_CONSTRAINT_CHECK), N(LSQL_CONSTRAINT_COMMITHOOK),
    N(LSQL_CONSTRAINT_FOREIGNKEY), N(LSQL_CONSTRAINT_FUNCTION),
    N(LSQL_CONSTRAINT_NOTNULL), N(LSQL_CONSTRAINT_PRIMARYKEY),
    N(LSQL_CONSTRAINT_TRIGGER), N(LSQL_CONSTRAINT_UNIQUE),
    N(LSQL_CONSTRAINT_VTAB), N(LSQL_CONSTRAINT_ROWID),
    N(LSQL_CONSTRAINT_PINNED), N(LSQL_CONSTRAINT_DATATYPE),
    N(LSQL_MISUSE_HANDLE), N(LSQL_MISUSE_CONN), N(LSQL_MISUSE_STATE),
    N(LSQL_MISUSE_INIT), N(LSQL_INVALID_ARG), N(LSQL_INVALID_URL),
    N(LSQL_INVALID_OPTION), N(LSQL_INVALID_SQL), N(LSQL_INVALID_NAME),
    N(LSQL_PARAM_MISSING), N(LSQL_PARAM_UNKNOWN), N(LSQL_PARAM_DUPLICATE),
    N(LSQL_PARAM_COUNT), N(LSQL_PARAM_TYPE), N(LSQL_NOTSUP_MODE),
    N(LSQL_NOTSUP_BACKEND),
};
#undef N
#define NCODES (sizeof k_all / sizeof k_all[0])

static void errname_every_code_has_its_symbol(void **state)
{
    (void)state;
    for (size_t i = 0; i < NCODES; i++) {
        const char *nm = lsql_errname(k_all[i].code);
        assert_non_null(nm);
        if (strcmp(nm, k_all[i].name) != 0)
            fail_msg("lsql_errname(%d) = '%s', want '%s'", k_all[i].code, nm, k_all[i].name);
    }
}

static void errstr_every_code_has_a_text(void **state)
{
    (void)state;
    for (size_t i = 0; i < NCODES; i++) {
        const char *s = lsql_errstr(k_all[i].code);
        assert_non_null(s);
        if (!*s)
            fail_msg("lsql_errstr(%s) is empty", k_all[i].name);
        if (!strcmp(s, "unknown error"))
            fail_msg("lsql_errstr(%s) is 'unknown error'", k_all[i].name);
    }
    /* extended codes refine their class: their text differs from it */
    assert_string_not_equal(lsql_errstr(LSQL_CONSTRAINT_UNIQUE), lsql_errstr(LSQL_CONSTRAINT));
    assert_non_null(strstr(lsql_errstr(LSQL_CONSTRAINT_UNIQUE), "UNIQUE"));
    assert_non_null(strstr(lsql_errstr(LSQL_CONSTRAINT_NOTNULL), "NOT NULL"));
    assert_string_not_equal(lsql_errstr(LSQL_OK), lsql_errstr(LSQL_ERROR));
}

static void errname_unknown_codes(void **state)
{
    (void)state;
    /* an unknown extended code of a known class gives the class */
    int unk_ext = LSQL_CONSTRAINT | (50 << 8);
    assert_string_equal(lsql_errname(unk_ext), "LSQL_CONSTRAINT");
    assert_string_equal(lsql_errstr(unk_ext), lsql_errstr(LSQL_CONSTRAINT));
    int io_read = LSQL_IOERR | (1 << 8); /* SQLITE_IOERR_READ, passed through */
    assert_string_equal(lsql_errname(io_read), "LSQL_IOERR");
    assert_string_equal(lsql_errstr(io_read), lsql_errstr(LSQL_IOERR));
    int unk_misuse = LSQL_MISUSE | (99 << 8);
    assert_string_equal(lsql_errname(unk_misuse), "LSQL_MISUSE");
    /* unknown classes */
    const int unknown[] = {99, 250, 31, LSQL_POOL + 1, 99 | (3 << 8), -1};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        assert_string_equal(lsql_errname(unknown[i]), "LSQL_UNKNOWN");
        assert_string_equal(lsql_errstr(unknown[i]), "unknown error");
    }
}

static void class_macro(void **state)
{
    (void)state;
    assert_int_equal(LSQL_CONSTRAINT_UNIQUE, 2067); /* documented: the SQLite code */
    for (size_t i = 0; i < NCODES; i++) {
        int c = k_all[i].code;
        assert_int_equal(LSQL_CLASS(c), c & 0xff);
        /* an extended code's class is itself a known code with its own name */
        if (c > 0xff) {
            const char *cls = lsql_errname(LSQL_CLASS(c));
            if (strncmp(k_all[i].name, cls, strlen(cls)) != 0)
                fail_msg("%s: class name %s is not its prefix", k_all[i].name, cls);
        }
    }
    assert_int_equal(LSQL_CLASS(LSQL_MISUSE_HANDLE), LSQL_MISUSE);
    assert_int_equal(LSQL_CLASS(LSQL_PARAM_DUPLICATE), LSQL_PARAM);
    assert_int_equal(LSQL_CLASS(LSQL_NOTSUP_MODE), LSQL_NOTSUP);
    assert_int_equal(LSQL_CLASS(LSQL_INVALID_SQL), LSQL_INVALID);
}

static void codes_are_distinct(void **state)
{
    (void)state;
    for (size_t i = 0; i < NCODES; i++)
        for (size_t j = i + 1; j < NCODES; j++)
            if (k_all[i].code == k_all[j].code)
                fail_msg("%s and %s share code %d", k_all[i].name, k_all[j].name,
                         k_all[i].code);
}

static void error_clear(void **state)
{
    (void)state;
    lsql_error e;
    ct_err_garbage(&e);
    lsql_error_clear(&e);
    assert_int_equal(e.code, 0);
    assert_int_equal(e.ext_code, 0);
    assert_int_equal(e.sqlite_code, 0);
    assert_int_equal(e.http_status, 0);
    assert_int_equal(e.offset, -1);
    assert_int_equal(e.flags, 0);
    assert_int_equal(e.constraint_kind, 0);
    assert_string_equal(e.message, "");
    assert_string_equal(e.constraint_name, "");
    lsql_error_clear(NULL); /* ignored */
}

/* ---- fill rules ------------------------------------------------------------ */

static void fill_rules_success_and_failure(void **state)
{
    (void)state;
    lsql_error e;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.mode = LSQL_MODE_MEMORY;
    o.flags = LSQL_DB_MEMORY_SHARED;
    ct_target_opts(&o);

    ct_expect(LSQL_OK, &e, lsql_db_open(&o, &db, &e));
    ct_expect(LSQL_OK, &e, lsql_db_connect(db, &c, &e));
    ct_expect(LSQL_OK, &e, lsql_exec(c, "CREATE TABLE t(x INTEGER UNIQUE)", NULL, 0, NULL, &e));
    ct_expect(LSQL_OK, &e, lsql_exec(c, "INSERT INTO t VALUES (1), (2)", NULL, 0, NULL, &e));

    /* failures of every flavour */
    lsql_db *db2 = db; /* must be set to NULL on failure */
    o.mode = 0;
    ct_expect(LSQL_INVALID_OPTION, &e, lsql_db_open(&o, &db2, &e));
    assert_null(db2);
    ct_expect(LSQL_INVALID_ARG, &e, lsql_db_open(NULL, &db2, &e));
    /* (REMOTE is supported now: a WebSocket URL is the mode that is not, and
     * it is refused before any network access) */
    ct_expect(LSQL_NOTSUP_MODE, &e, lsql_db_open_url("wss://example.com", &db2, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_db_connect(NULL, &c, &e));
    assert_null(c);
    c = ct_connect(db);
    ct_expect(LSQL_ERROR, &e, lsql_exec(c, "SELEC 1", NULL, 0, NULL, &e));
    ct_expect(LSQL_ERROR, &e, lsql_exec(c, "SELECT * FROM nosuch", NULL, 0, NULL, &e));
    ct_expect(LSQL_CONSTRAINT_UNIQUE, &e, lsql_exec(c, "INSERT INTO t VALUES (1)", NULL, 0, NULL, &e));
    ct_expect(LSQL_INVALID_SQL, &e, lsql_exec(c, "", NULL, 0, NULL, &e));
    ct_expect(LSQL_INVALID_SQL, &e, lsql_exec(c, "SELECT 1; SELECT 2", NULL, 0, NULL, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_exec(c, NULL, NULL, 0, NULL, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_exec(NULL, "SELECT 1", NULL, 0, NULL, &e));
    ct_expect(LSQL_PARAM_COUNT, &e, lsql_exec(c, "SELECT ?", NULL, 0, NULL, &e));

    int64_t v = 0;
    ct_expect(LSQL_OK, &e, lsql_query_int64(c, "SELECT 7", NULL, 0, &v, &e));
    assert_int_equal(v, 7);
    ct_expect(LSQL_NO_ROWS, &e, lsql_query_int64(c, "SELECT x FROM t WHERE 0", NULL, 0, &v, &e));
    ct_expect(LSQL_TOO_MANY_ROWS, &e, lsql_query_int64(c, "SELECT x FROM t", NULL, 0, &v, &e));
    ct_expect(LSQL_MISMATCH, &e, lsql_query_int64(c, "SELECT 'a'", NULL, 0, &v, &e));
    lsql_row *row = NULL;
    ct_expect(LSQL_OK, &e, lsql_query_one(c, "SELECT 1, 2", NULL, 0, &row, &e));
    lsql_row_free(row);
    ct_expect(LSQL_NO_ROWS, &e, lsql_query_one(c, "SELECT 1 WHERE 0", NULL, 0, &row, &e));
    assert_null(row);

    lsql_rows *rows = NULL;
    ct_expect(LSQL_OK, &e, lsql_query(c, "SELECT x FROM t ORDER BY x", NULL, 0, &rows, &e));
    ct_expect(LSQL_ROW, &e, lsql_rows_next(rows, &e));
    ct_expect(LSQL_ROW, &e, lsql_rows_next(rows, &e));
    ct_expect(LSQL_DONE, &e, lsql_rows_next(rows, &e));
    ct_expect(LSQL_DONE, &e, lsql_rows_next(rows, &e));
    lsql_rows_free(rows);
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_rows_next(NULL, &e));

    lsql_stmt *st = NULL;
    ct_expect(LSQL_OK, &e, lsql_prepare(c, "SELECT ?1 + 1", -1, 0, &st, NULL, &e));
    lsql_param p = {NULL, lsql_int(41)};
    ct_expect(LSQL_OK, &e, lsql_bind_params(st, &p, 1, LSQL_COPY, &e));
    ct_expect(LSQL_ROW, &e, lsql_step(st, &e));
    ct_expect(LSQL_DONE, &e, lsql_step(st, &e));
    ct_expect(LSQL_PARAM_COUNT, &e, lsql_bind_params(st, NULL, 0, LSQL_COPY, &e));
    ct_expect(LSQL_OK, &e, lsql_exec_stmt(c, st, &p, 1, NULL, &e));
    ct_expect(LSQL_OK, &e, lsql_query_stmt(c, st, &p, 1, &rows, &e));
    lsql_rows_free(rows);
    lsql_finalize(st);
    ct_expect(LSQL_ERROR, &e, lsql_prepare(c, "SELECT FROM", -1, 0, &st, NULL, &e));
    assert_null(st);
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_step(NULL, &e));

    /* NULL err is accepted everywhere */
    assert_rc(LSQL_ERROR, lsql_exec(c, "SELEC 1", NULL, 0, NULL, NULL));
    assert_rc(LSQL_OK, lsql_exec(c, "SELECT 1", NULL, 0, NULL, NULL));
    lsql_db_close(db);
}

static void fill_rules_lsql_own_errors_reset_fields(void **state)
{
    (void)state;
    lsql_db *db;
    lsql_conn *c;
    ct_target_memory(&db, &c);
    lsql_error e;
    ct_expect(LSQL_PARAM_COUNT, &e, lsql_exec(c, "SELECT ?, ?", NULL, 0, NULL, &e));
    /* the whole struct is written: no garbage left in any field */
    assert_int_equal(e.sqlite_code, 0);
    assert_int_equal(e.http_status, 0);
    assert_int_equal(e.offset, -1);
    assert_int_equal(e.flags, 0);
    assert_int_equal(e.constraint_kind, LSQL_CONSTRAINT_KIND_NONE);
    assert_string_equal(e.constraint_name, "");
    lsql_db_close(db);
}

/* ---- per-connection error -------------------------------------------------- */

static void conn_error_copy(void **state)
{
    (void)state;
    lsql_db *db;
    lsql_conn *c;
    ct_target_memory(&db, &c);
    lsql_conn *c2 = ct_connect(db);

    /* fresh connection: no error */
    assert_int_equal(lsql_conn_errcode(c), 0);
    assert_string_equal(lsql_conn_errmsg(c), "");

    tu_exec(c, "CREATE TABLE t(a TEXT NOT NULL)");
    lsql_error e, copy;
    ct_expect(LSQL_CONSTRAINT_NOTNULL, &e, lsql_exec(c, "INSERT INTO t VALUES (NULL)", NULL, 0, NULL, &e));
    assert_int_equal(lsql_conn_errcode(c), LSQL_CONSTRAINT_NOTNULL);
    assert_string_equal(lsql_conn_errmsg(c), e.message);
    ct_err_garbage(&copy);
    assert_ok(lsql_conn_error(c, &copy));
    assert_int_equal(copy.code, e.code);
    assert_int_equal(copy.ext_code, e.ext_code);
    assert_int_equal(copy.sqlite_code, e.sqlite_code);
    assert_int_equal(copy.offset, e.offset);
    assert_int_equal(copy.flags, e.flags);
    assert_int_equal(copy.constraint_kind, e.constraint_kind);
    assert_string_equal(copy.constraint_name, e.constraint_name);
    assert_string_equal(copy.message, e.message);

    /* reading it does not change it */
    assert_int_equal(lsql_conn_errcode(c), LSQL_CONSTRAINT_NOTNULL);
    assert_ok(lsql_conn_error(c, &copy));
    assert_int_equal(copy.ext_code, LSQL_CONSTRAINT_NOTNULL);
    assert_string_equal(lsql_conn_errmsg(c), e.message);

    /* another connection's error is its own */
    assert_int_equal(lsql_conn_errcode(c2), 0);
    assert_string_equal(lsql_conn_errmsg(c2), "");

    /* errors made by lsql itself are recorded too */
    ct_expect(LSQL_NO_ROWS, &e, lsql_query_one(c, "SELECT 1 WHERE 0", NULL, 0, &(lsql_row *){NULL}, &e));
    assert_int_equal(lsql_conn_errcode(c), LSQL_NO_ROWS);
    assert_string_equal(lsql_conn_errmsg(c), e.message);

    /* a successful call clears it */
    tu_exec(c, "INSERT INTO t VALUES ('x')");
    assert_int_equal(lsql_conn_errcode(c), 0);
    assert_string_equal(lsql_conn_errmsg(c), "");
    ct_err_garbage(&copy);
    assert_ok(lsql_conn_error(c, &copy));
    assert_int_equal(copy.code, 0);
    assert_int_equal(copy.ext_code, 0);

    /* bad arguments */
    assert_rc(LSQL_INVALID_ARG, lsql_conn_error(c, NULL));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_conn_error(NULL, &copy));
    assert_int_equal(LSQL_CLASS(lsql_conn_errcode(NULL)), LSQL_MISUSE);
    assert_non_null(lsql_conn_errmsg(NULL));
    lsql_db_close(db);
}

static void syntax_error_offset(void **state)
{
    (void)state;
    lsql_db *db;
    lsql_conn *c;
    ct_target_memory(&db, &c);
    tu_exec(c, "CREATE TABLE t(a)");
    lsql_error e;
    const char *sql = "SELECT 1 +* 2";
    ct_expect(LSQL_ERROR, &e, lsql_exec(c, sql, NULL, 0, NULL, &e));
    ct_check_offset(e.offset, (int)(strchr(sql, '*') - sql));
    /* remote: SQL_INPUT_ERROR names no SQLite code (rerr.c could say
     * SQLITE_ERROR: reported) */
    assert_true(e.sqlite_code == 1 || (ct_remote() && e.sqlite_code == 0));
    lsql_error copy;
    assert_ok(lsql_conn_error(c, &copy));
    assert_int_equal(copy.offset, e.offset);

    const char *sql2 = "SELECT a, nosuch FROM t";
    ct_expect(LSQL_ERROR, &e, lsql_exec(c, sql2, NULL, 0, NULL, &e));
    ct_check_offset(e.offset, (int)(strstr(sql2, "nosuch") - sql2));

    /* errors that are not about SQL text have no offset */
    tu_exec(c, "CREATE TABLE u(a UNIQUE)");
    tu_exec(c, "INSERT INTO u VALUES (1)");
    ct_expect(LSQL_CONSTRAINT_UNIQUE, &e, lsql_exec(c, "INSERT INTO u VALUES (1)", NULL, 0, NULL, &e));
    assert_int_equal(e.offset, -1);
    lsql_db_close(db);
}

/* ---- constraints ------------------------------------------------------------- */

/* Fixture: a MEMORY database and one connection, closed even when a test
 * fails (so that ASan leak reports only ever point at the library). */
static int mem_setup(void **state)
{
    lsql_db *db;
    lsql_conn *c;
    ct_target_memory(&db, &c);
    *state = c;
    return 0;
}

static int mem_teardown(void **state)
{
    lsql_db_close(lsql_conn_db(*state));
    ct_target_cleanup();
    return 0;
}

/* The constraint name of a UNIQUE / PRIMARY KEY failure: the index locally;
 * remote, the "table.column" list of the server's message (the server does
 * not name the index, lsql.h). */
#define IDX(index, columns) ct_by_mode(index, columns)

/* Runs sql that must fail with `want`; checks kind and (when want_name is not
 * NULL) the constraint name, on the returned error and the connection's. */
static void expect_constraint(lsql_conn *c, const char *sql, int want, int kind,
                              const char *want_name)
{
    lsql_error e;
    ct_err_garbage(&e);
    int rc = lsql_exec(c, sql, NULL, 0, NULL, &e);
    if (rc != want)
        fail_msg("%s: got %s, want %s (%s)", sql, lsql_errname(rc), lsql_errname(want), e.message);
    ct_check_err(rc, &e);
    assert_int_equal(e.code, LSQL_CONSTRAINT);
    /* remote: Hrana carries only SQLite's primary code */
    assert_int_equal(e.sqlite_code, ct_by_mode(want, LSQL_CONSTRAINT));
    if (e.constraint_kind != kind)
        fail_msg("%s: constraint_kind %d, want %d", sql, e.constraint_kind, kind);
    assert_int_equal(e.flags & LSQL_ERRF_RETRYABLE, 0);
    if (want_name && strcmp(e.constraint_name, want_name) != 0)
        fail_msg("%s: constraint_name '%s', want '%s' (message: %s)", sql, e.constraint_name,
                 want_name, e.message);
    lsql_error copy;
    assert_ok(lsql_conn_error(c, &copy));
    assert_int_equal(copy.constraint_kind, kind);
    assert_string_equal(copy.constraint_name, e.constraint_name);
}

static void constraint_unique_named_index(void **state)
{
    lsql_conn *c = *state;
    tu_exec(c, "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT)");
    tu_exec(c, "CREATE UNIQUE INDEX users_email_idx ON users(email)");
    tu_exec(c, "INSERT INTO users(email) VALUES ('a@x')");
    expect_constraint(c, "INSERT INTO users(email) VALUES ('a@x')", LSQL_CONSTRAINT_UNIQUE,
                      LSQL_CONSTRAINT_KIND_UNIQUE, IDX("users_email_idx", "users.email"));
    /* UPDATE into a duplicate as well */
    tu_exec(c, "INSERT INTO users(email) VALUES ('b@x')");
    expect_constraint(c, "UPDATE users SET email = 'a@x' WHERE email = 'b@x'",
                      LSQL_CONSTRAINT_UNIQUE, LSQL_CONSTRAINT_KIND_UNIQUE,
                      IDX("users_email_idx", "users.email"));
}

static void constraint_unique_column_autoindex(void **state)
{
    lsql_conn *c = *state;
    tu_exec(c, "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT UNIQUE, nick TEXT UNIQUE)");
    tu_exec(c, "INSERT INTO users(email, nick) VALUES ('a', 'n')");
    expect_constraint(c, "INSERT INTO users(email, nick) VALUES ('a', 'm')",
                      LSQL_CONSTRAINT_UNIQUE, LSQL_CONSTRAINT_KIND_UNIQUE,
                      IDX("sqlite_autoindex_users_1", "users.email"));
    expect_constraint(c, "INSERT INTO users(email, nick) VALUES ('b', 'n')",
                      LSQL_CONSTRAINT_UNIQUE, LSQL_CONSTRAINT_KIND_UNIQUE,
                      IDX("sqlite_autoindex_users_2", "users.nick"));
}

static void constraint_unique_multi_column(void **state)
{
    lsql_conn *c = *state;
    tu_exec(c, "CREATE TABLE m(a, b, c)");
    tu_exec(c, "CREATE UNIQUE INDEX m_a ON m(a, c)");
    tu_exec(c, "CREATE UNIQUE INDEX m_ab ON m(a, b)");
    tu_exec(c, "INSERT INTO m VALUES (1, 2, 3)");
    tu_exec(c, "INSERT INTO m VALUES (1, 3, 4)"); /* (a,b) and (a,c) differ */
    expect_constraint(c, "INSERT INTO m VALUES (1, 2, 5)", LSQL_CONSTRAINT_UNIQUE,
                      LSQL_CONSTRAINT_KIND_UNIQUE, IDX("m_ab", "m.a, m.b"));
    expect_constraint(c, "INSERT INTO m VALUES (1, 9, 3)", LSQL_CONSTRAINT_UNIQUE,
                      LSQL_CONSTRAINT_KIND_UNIQUE, IDX("m_a", "m.a, m.c"));
    /* table-level UNIQUE(a, b) */
    tu_exec(c, "CREATE TABLE tl(a, b, UNIQUE(b, a))");
    tu_exec(c, "INSERT INTO tl VALUES (1, 2)");
    expect_constraint(c, "INSERT INTO tl VALUES (1, 2)", LSQL_CONSTRAINT_UNIQUE,
                      LSQL_CONSTRAINT_KIND_UNIQUE, IDX("sqlite_autoindex_tl_1", "tl.b, tl.a"));
}

static void constraint_unique_expression_index(void **state)
{
    lsql_conn *c = *state;
    tu_exec(c, "CREATE TABLE u(name TEXT)");
    tu_exec(c, "CREATE UNIQUE INDEX u_lower_name ON u(lower(name))");
    tu_exec(c, "INSERT INTO u VALUES ('Bob')");
    expect_constraint(c, "INSERT INTO u VALUES ('BOB')", LSQL_CONSTRAINT_UNIQUE,
                      LSQL_CONSTRAINT_KIND_UNIQUE, "u_lower_name");
}

/* A quoted table name holding a '.' must still give the index name. The
 * expected name is read from the schema rather than hard-coded. */
static void constraint_unique_table_name_with_dot(void **state)
{
    lsql_conn *c = *state;
    tu_exec(c, "CREATE TABLE \"my.items\"(sku TEXT UNIQUE)");
    tu_exec(c, "INSERT INTO \"my.items\" VALUES ('a')");
    char want[128];
    ct_text(c, "SELECT name FROM pragma_index_list('my.items') WHERE \"unique\"", want,
            sizeof want);
    if (ct_remote()) /* the server names the columns (lsql.h) */
        snprintf(want, sizeof want, "my.items.sku");
    expect_constraint(c, "INSERT INTO \"my.items\" VALUES ('a')", LSQL_CONSTRAINT_UNIQUE,
                      LSQL_CONSTRAINT_KIND_UNIQUE, want);
}

static void constraint_primary_key(void **state)
{
    lsql_conn *c = *state;
    /* WITHOUT ROWID: the primary key is an index */
    tu_exec(c, "CREATE TABLE w(k TEXT, j INT, v, PRIMARY KEY (k, j)) WITHOUT ROWID");
    tu_exec(c, "INSERT INTO w VALUES ('a', 1, 1)");
    /* remote: without the extended code, SQLite's message for a PRIMARY KEY
     * ("UNIQUE constraint failed: w.k, w.j") reads as UNIQUE */
    expect_constraint(c, "INSERT INTO w VALUES ('a', 1, 2)",
                      ct_by_mode(LSQL_CONSTRAINT_PRIMARYKEY, LSQL_CONSTRAINT_UNIQUE),
                      ct_by_mode(LSQL_CONSTRAINT_KIND_PRIMARYKEY, LSQL_CONSTRAINT_KIND_UNIQUE),
                      IDX("sqlite_autoindex_w_1", "w.k, w.j"));
    /* INTEGER PRIMARY KEY (the rowid): kind only, there is no index */
    tu_exec(c, "CREATE TABLE r(id INTEGER PRIMARY KEY, v)");
    tu_exec(c, "INSERT INTO r VALUES (1, 'x')");
    expect_constraint(c, "INSERT INTO r VALUES (1, 'y')",
                      ct_by_mode(LSQL_CONSTRAINT_PRIMARYKEY, LSQL_CONSTRAINT_UNIQUE),
                      ct_by_mode(LSQL_CONSTRAINT_KIND_PRIMARYKEY, LSQL_CONSTRAINT_KIND_UNIQUE),
                      IDX(NULL, "r.id"));
    /* a non-integer PRIMARY KEY of a rowid table */
    tu_exec(c, "CREATE TABLE p(k TEXT PRIMARY KEY)");
    tu_exec(c, "INSERT INTO p VALUES ('a')");
    expect_constraint(c, "INSERT INTO p VALUES ('a')",
                      ct_by_mode(LSQL_CONSTRAINT_PRIMARYKEY, LSQL_CONSTRAINT_UNIQUE),
                      ct_by_mode(LSQL_CONSTRAINT_KIND_PRIMARYKEY, LSQL_CONSTRAINT_KIND_UNIQUE),
                      IDX("sqlite_autoindex_p_1", "p.k"));
}

static void constraint_foreign_key_default_on(void **state)
{
    lsql_conn *c = *state;
    tu_exec(c, "CREATE TABLE parent(id INTEGER PRIMARY KEY)");
    tu_exec(c, "CREATE TABLE child(pid INTEGER REFERENCES parent(id))");
    tu_exec(c, "INSERT INTO parent VALUES (1)");
    tu_exec(c, "INSERT INTO child VALUES (1)");
    expect_constraint(c, "INSERT INTO child VALUES (2)", LSQL_CONSTRAINT_FOREIGNKEY,
                      LSQL_CONSTRAINT_KIND_FOREIGNKEY, NULL);
    expect_constraint(c, "DELETE FROM parent WHERE id = 1", LSQL_CONSTRAINT_FOREIGNKEY,
                      LSQL_CONSTRAINT_KIND_FOREIGNKEY, NULL);
    assert_int_equal(ct_int(c, "SELECT count(*) FROM child"), 1);
}

static void constraint_check(void **state)
{
    lsql_conn *c = *state;
    tu_exec(c, "CREATE TABLE t(age INT CONSTRAINT age_positive CHECK (age > 0), "
               "x INT CHECK (x < 10))");
    expect_constraint(c, "INSERT INTO t VALUES (-1, 1)", LSQL_CONSTRAINT_CHECK,
                      LSQL_CONSTRAINT_KIND_CHECK, "age_positive");
    /* unnamed: the expression (header: "the constraint name (or expression)") */
    lsql_error e;
    ct_expect(LSQL_CONSTRAINT_CHECK, &e, lsql_exec(c, "INSERT INTO t VALUES (1, 11)", NULL, 0, NULL, &e));
    assert_int_equal(e.constraint_kind, LSQL_CONSTRAINT_KIND_CHECK);
    assert_non_null(strstr(e.constraint_name, "x < 10"));
}

static void constraint_not_null(void **state)
{
    lsql_conn *c = *state;
    tu_exec(c, "CREATE TABLE t(a INT, c TEXT NOT NULL)");
    expect_constraint(c, "INSERT INTO t VALUES (1, NULL)", LSQL_CONSTRAINT_NOTNULL,
                      LSQL_CONSTRAINT_KIND_NOTNULL, "t.c");
    expect_constraint(c, "INSERT INTO t(a) VALUES (1)", LSQL_CONSTRAINT_NOTNULL,
                      LSQL_CONSTRAINT_KIND_NOTNULL, "t.c");
}

static void constraint_via_step(void **state)
{
    lsql_conn *c = *state;
    tu_exec(c, "CREATE TABLE t(a UNIQUE)");
    lsql_stmt *st;
    lsql_error e;
    assert_ok(lsql_prepare(c, "INSERT INTO t VALUES (?)", -1, 0, &st, NULL, &e));
    assert_ok(lsql_bind_int64(st, 1, 5));
    ct_expect(LSQL_DONE, &e, lsql_step(st, &e));
    assert_ok(lsql_reset(st));
    ct_expect(LSQL_CONSTRAINT_UNIQUE, &e, lsql_step(st, &e));
    assert_int_equal(e.constraint_kind, LSQL_CONSTRAINT_KIND_UNIQUE);
    assert_string_equal(e.constraint_name, IDX("sqlite_autoindex_t_1", "t.a"));
    assert_int_equal(lsql_conn_errcode(c), LSQL_CONSTRAINT_UNIQUE);
    lsql_finalize(st);
}

/* ---- retryable ----------------------------------------------------------- */

static void busy_is_retryable(lsql_db_opts *o2, const char *url2)
{
    char path[1024];
    ct_path("errors-busy", path, sizeof path);
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = path;
    lsql_db *db1 = ct_open(&o);
    lsql_conn *c1 = ct_connect(db1);
    tu_exec(c1, "CREATE TABLE t(x)");

    lsql_db *db2;
    if (url2) {
        char url[1200];
        snprintf(url, sizeof url, "file:%s?%s", path, url2);
        db2 = ct_open_url(url);
    } else {
        o2->path = path;
        db2 = ct_open(o2);
    }
    lsql_conn *c2 = ct_connect(db2);

    tu_exec(c1, "BEGIN IMMEDIATE");
    tu_exec(c1, "INSERT INTO t VALUES (1)");
    lsql_error e;
    ct_err_garbage(&e);
    int rc = lsql_exec(c2, "INSERT INTO t VALUES (2)", NULL, 0, NULL, &e);
    if (LSQL_CLASS(rc) != LSQL_BUSY)
        fail_msg("write under a held lock: %s (%s), want LSQL_BUSY", lsql_errname(rc), e.message);
    ct_check_err(rc, &e);
    assert_true(e.flags & LSQL_ERRF_RETRYABLE);
    lsql_error copy;
    assert_ok(lsql_conn_error(c2, &copy));
    assert_true(copy.flags & LSQL_ERRF_RETRYABLE);
    assert_int_equal(LSQL_CLASS(lsql_conn_errcode(c2)), LSQL_BUSY);

    /* and indeed, once the lock is gone, the same call succeeds */
    tu_exec(c1, "COMMIT");
    ct_expect(LSQL_OK, &e, lsql_exec(c2, "INSERT INTO t VALUES (2)", NULL, 0, NULL, &e));
    assert_int_equal(ct_int(c1, "SELECT count(*) FROM t"), 2);
    lsql_db_close(db2);
    lsql_db_close(db1);
    tu_db_remove(path);
}

static void busy_retryable_url_timeout(void **state)
{
    (void)state;
    ct_local_only("busy timeout and SQLite locks are the server's (lsqld queues writers)");
    busy_is_retryable(NULL, "busy_timeout=1");
}

static void busy_retryable_no_busy_timeout(void **state)
{
    (void)state;
    ct_local_only("busy timeout and SQLite locks are the server's (lsqld queues writers)");
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.flags = LSQL_DB_NO_BUSY_TIMEOUT;
    busy_is_retryable(&o, NULL);
}

static void non_busy_errors_not_retryable(void **state)
{
    (void)state;
    lsql_db *db;
    lsql_conn *c;
    ct_target_memory(&db, &c);
    lsql_error e;
    ct_expect(LSQL_ERROR, &e, lsql_exec(c, "SELECT * FROM nosuch", NULL, 0, NULL, &e));
    assert_int_equal(e.flags & LSQL_ERRF_RETRYABLE, 0);
    ct_expect(LSQL_INVALID_SQL, &e, lsql_exec(c, "", NULL, 0, NULL, &e));
    assert_int_equal(e.flags & LSQL_ERRF_RETRYABLE, 0);
    lsql_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(errname_every_code_has_its_symbol),
        cmocka_unit_test(errstr_every_code_has_a_text),
        cmocka_unit_test(errname_unknown_codes),
        cmocka_unit_test(class_macro),
        cmocka_unit_test(codes_are_distinct),
        cmocka_unit_test(error_clear),
        cmocka_unit_test_teardown(fill_rules_success_and_failure, ct_target_teardown),
        cmocka_unit_test_teardown(fill_rules_lsql_own_errors_reset_fields, ct_target_teardown),
        cmocka_unit_test_teardown(conn_error_copy, ct_target_teardown),
        cmocka_unit_test_teardown(syntax_error_offset, ct_target_teardown),
        cmocka_unit_test_setup_teardown(constraint_unique_named_index, mem_setup, mem_teardown),
        cmocka_unit_test_setup_teardown(constraint_unique_column_autoindex, mem_setup, mem_teardown),
        cmocka_unit_test_setup_teardown(constraint_unique_multi_column, mem_setup, mem_teardown),
        cmocka_unit_test_setup_teardown(constraint_unique_expression_index, mem_setup, mem_teardown),
        cmocka_unit_test_setup_teardown(constraint_unique_table_name_with_dot, mem_setup, mem_teardown),
        cmocka_unit_test_setup_teardown(constraint_primary_key, mem_setup, mem_teardown),
        cmocka_unit_test_setup_teardown(constraint_foreign_key_default_on, mem_setup, mem_teardown),
        cmocka_unit_test_setup_teardown(constraint_check, mem_setup, mem_teardown),
        cmocka_unit_test_setup_teardown(constraint_not_null, mem_setup, mem_teardown),
        cmocka_unit_test_setup_teardown(constraint_via_step, mem_setup, mem_teardown),
        cmocka_unit_test_teardown(busy_retryable_url_timeout, ct_target_teardown),
        cmocka_unit_test_teardown(busy_retryable_no_busy_timeout, ct_target_teardown),
        cmocka_unit_test_teardown(non_busy_errors_not_retryable, ct_target_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
