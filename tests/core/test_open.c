/* test_open.c -- lsql_db_open / lsql_db_open_url / connect / close: options,
 * modes, flags, URLs, per-connection defaults and shared memory databases. */
#include "coretest.h"


/* Expects lsql_db_open(o) to fail with exactly `want`; *out must be NULL. */
static void open_fails(const lsql_db_opts *o, int want)
{
    lsql_db *db = (lsql_db *)(void *)&db; /* any non-NULL value */
    lsql_error e;
    ct_err_garbage(&e);
    int rc = lsql_db_open(o, &db, &e);
    if (rc != want)
        fail_msg("lsql_db_open: got %s (%s), want %s", lsql_errname(rc), e.message,
                 lsql_errname(want));
    ct_check_err(rc, &e);
    assert_null(db);
}

/* Expects lsql_db_open_url(url) to fail with exactly `want`. Returns the
 * message (static buffer). */
static const char *url_fails(const char *url, int want)
{
    static char msg[LSQL_ERRMSG_MAX];
    lsql_db *db = (lsql_db *)(void *)&db;
    lsql_error e;
    ct_err_garbage(&e);
    int rc = lsql_db_open_url(url, &db, &e);
    if (rc != want)
        fail_msg("lsql_db_open_url('%s'): got %s (%s), want %s", url ? url : "(null)",
                 lsql_errname(rc), rc ? e.message : "", lsql_errname(want));
    ct_check_err(rc, &e);
    assert_null(db);
    snprintf(msg, sizeof msg, "%s", e.message);
    return msg;
}

static void write_file(const char *path, const char *text, size_t reps)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < reps; i++)
        fputs(text, f);
    fclose(f);
}

/* ---- options ------------------------------------------------------------- */

static void opts_init(void **state)
{
    (void)state;
    lsql_db_opts o;
    memset(&o, 0xa5, sizeof o);
    lsql_db_opts_init(&o);
    assert_int_equal(o.struct_size, sizeof(lsql_db_opts));
    assert_int_equal(o.mode, LSQL_MODE_LOCAL);
    assert_null(o.path);
    assert_null(o.url);
    assert_null(o.auth_token);
    assert_int_equal(o.flags, 0);
    assert_int_equal(o.busy_timeout_ms, 0);
    assert_int_equal(o.cache_size_kib, 0);
    assert_int_equal(o.stmt_cache_capacity, 0);
}

static void opts_struct_size(void **state)
{
    (void)state;
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.mode = LSQL_MODE_MEMORY;
    o.struct_size = 0;
    open_fails(&o, LSQL_INVALID_ARG);
    o.struct_size = sizeof(size_t); /* not even the mode fits */
    open_fails(&o, LSQL_INVALID_ARG);

    /* an older caller: fields past struct_size are not read (defaults) */
    o.struct_size = offsetof(lsql_db_opts, busy_timeout_ms);
    o.busy_timeout_ms = 1234;
    o.cache_size_kib = 999;
    o.stmt_cache_capacity = 3;
    lsql_db *db = ct_open(&o);
    lsql_conn *c = ct_connect(db);
    assert_int_equal(ct_int(c, "PRAGMA busy_timeout"), 5000);
    assert_int_equal(ct_int(c, "PRAGMA cache_size"), -8192);
    lsql_cache_stats s;
    s.struct_size = sizeof s;
    assert_ok(lsql_stmt_cache_stats(c, &s));
    assert_int_equal(s.capacity, 64);
    lsql_db_close(db);

    /* the fields inside struct_size are honoured */
    o.struct_size = offsetof(lsql_db_opts, cache_size_kib);
    db = ct_open(&o);
    c = ct_connect(db);
    assert_int_equal(ct_int(c, "PRAGMA busy_timeout"), 1234);
    assert_int_equal(ct_int(c, "PRAGMA cache_size"), -8192);
    lsql_db_close(db);
}

static void open_null_args(void **state)
{
    (void)state;
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.mode = LSQL_MODE_MEMORY;
    open_fails(NULL, LSQL_INVALID_ARG);
    lsql_error e;
    ct_expect(LSQL_INVALID_ARG, &e, lsql_db_open(&o, NULL, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_db_open_url(":memory:", NULL, &e));
    /* NULL err is fine */
    lsql_db *db = NULL;
    assert_ok(lsql_db_open(&o, &db, NULL));
    assert_non_null(db);
    lsql_db_close(db);
}

static void modes(void **state)
{
    (void)state;
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.mode = LSQL_MODE_REMOTE; /* no server on port 1: the check at open fails */
    o.url = "http://127.0.0.1:1";
    o.retry_max = -1;
    open_fails(&o, LSQL_HTTP_CONNECT);
    o.retry_max = 0;
    o.url = NULL;
    open_fails(&o, LSQL_INVALID_OPTION);
    o.mode = LSQL_MODE_REPLICA;
    o.path = "/nonexistent/replica.db";
    open_fails(&o, LSQL_NOTSUP_MODE);
    o.url = NULL;
    o.path = NULL;
    o.mode = 0;
    open_fails(&o, LSQL_INVALID_OPTION);
    o.mode = 5;
    open_fails(&o, LSQL_INVALID_OPTION);
    o.mode = -1;
    open_fails(&o, LSQL_INVALID_OPTION);
    o.mode = 1000;
    open_fails(&o, LSQL_INVALID_OPTION);

    o.mode = LSQL_MODE_MEMORY;
    lsql_db *db = ct_open(&o);
    assert_int_equal(lsql_db_mode(db), LSQL_MODE_MEMORY);
    lsql_db_close(db);

    char path[1024];
    o.mode = LSQL_MODE_LOCAL;
    o.path = ct_path("open-modes", path, sizeof path);
    db = ct_open(&o);
    assert_int_equal(lsql_db_mode(db), LSQL_MODE_LOCAL);
    lsql_db_close(db);
    tu_db_remove(path);

    assert_int_equal(lsql_db_mode(NULL), 0);
}

static void local_without_path(void **state)
{
    (void)state;
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    lsql_db *db = NULL;
    lsql_error e;
    ct_err_garbage(&e);
    int rc = lsql_db_open(&o, &db, &e);
    assert_int_equal(LSQL_CLASS(rc), LSQL_INVALID);
    ct_check_err(rc, &e);
    assert_null(db);
    o.path = "";
    rc = lsql_db_open(&o, &db, &e);
    assert_int_equal(LSQL_CLASS(rc), LSQL_INVALID);
    assert_null(db);
}

static void missing_directory_cantopen(void **state)
{
    (void)state;
    char path[1200];
    snprintf(path, sizeof path, "%s/no-such-dir-%ld/sub/x.db", ct_tmpdir(), (long)getpid());
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = path;
    lsql_db *db = NULL;
    lsql_error e;
    ct_err_garbage(&e);
    int rc = lsql_db_open(&o, &db, &e);
    if (LSQL_CLASS(rc) != LSQL_CANTOPEN)
        fail_msg("got %s (%s), want LSQL_CANTOPEN", lsql_errname(rc), e.message);
    ct_check_err(rc, &e);
    assert_null(db);
}

static void not_a_database(void **state)
{
    (void)state;
    char path[1024];
    ct_path("open-notadb", path, sizeof path);
    write_file(path, "this is a plain text file and not an SQLite database at all.\n", 100);
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = path;
    lsql_db *db = NULL;
    lsql_error e;
    ct_err_garbage(&e);
    int rc = lsql_db_open(&o, &db, &e);
    if (LSQL_CLASS(rc) != LSQL_NOTADB)
        fail_msg("got %s (%s), want LSQL_NOTADB", lsql_errname(rc), e.message);
    ct_check_err(rc, &e);
    assert_null(db);
    tu_db_remove(path);
}

/* Creates a small database at path with one table t(x) holding 1 row. */
static void make_db(const char *path)
{
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = path;
    lsql_db *db = ct_open(&o);
    lsql_conn *c = ct_connect(db);
    tu_exec(c, "CREATE TABLE t(x)");
    tu_exec(c, "INSERT INTO t VALUES (1)");
    lsql_db_close(db);
}

static void readonly_flag(void **state)
{
    (void)state;
    char path[1024];
    ct_path("open-ro", path, sizeof path);
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = path;
    o.flags = LSQL_DB_READONLY;
    /* missing file: not created */
    lsql_db *db = NULL;
    lsql_error e;
    int rc = lsql_db_open(&o, &db, &e);
    assert_int_equal(LSQL_CLASS(rc), LSQL_CANTOPEN);
    assert_null(db);
    assert_false(ct_file_exists(path));

    make_db(path);
    db = ct_open(&o);
    lsql_conn *c = ct_connect(db);
    assert_int_equal(ct_int(c, "SELECT count(*) FROM t"), 1);
    ct_err_garbage(&e);
    rc = lsql_exec(c, "INSERT INTO t VALUES (2)", NULL, 0, NULL, &e);
    if (LSQL_CLASS(rc) != LSQL_READONLY)
        fail_msg("write on read-only: %s (%s)", lsql_errname(rc), e.message);
    ct_check_err(rc, &e);
    lsql_db_close(db);
    tu_db_remove(path);
}

static void no_create_flag(void **state)
{
    (void)state;
    char path[1024];
    ct_path("open-nocreate", path, sizeof path);
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = path;
    o.flags = LSQL_DB_NO_CREATE;
    lsql_db *db = NULL;
    lsql_error e;
    int rc = lsql_db_open(&o, &db, &e);
    assert_int_equal(LSQL_CLASS(rc), LSQL_CANTOPEN);
    assert_null(db);
    assert_false(ct_file_exists(path));

    make_db(path);
    db = ct_open(&o);
    lsql_conn *c = ct_connect(db);
    tu_exec(c, "INSERT INTO t VALUES (2)"); /* read-write */
    assert_int_equal(ct_int(c, "SELECT count(*) FROM t"), 2);
    lsql_db_close(db);
    tu_db_remove(path);
}

static void open_creates_file_and_sets_wal(void **state)
{
    (void)state;
    char path[1024];
    ct_path("open-creates", path, sizeof path);
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = path;
    lsql_db *db = ct_open(&o);
    /* "the file is opened (and created ...) once to validate it and apply
     * the persistent defaults (WAL)" -- before any connection exists */
    assert_true(ct_file_exists(path));
    lsql_db_opts o2;
    lsql_db_opts_init(&o2);
    o2.path = path;
    o2.flags = LSQL_DB_NO_WAL; /* keeps the file's journal mode */
    lsql_db *db2 = ct_open(&o2);
    lsql_conn *c2 = ct_connect(db2);
    char buf[32];
    ct_text(c2, "PRAGMA journal_mode", buf, sizeof buf);
    lsql_db_close(db2);
    lsql_db_close(db);
    tu_db_remove(path);
    assert_string_equal(buf, "wal");
}

/* ---- defaults ------------------------------------------------------------ */

static void check_file_defaults(lsql_conn *c)
{
    char buf[32];
    assert_string_equal(ct_text(c, "PRAGMA journal_mode", buf, sizeof buf), "wal");
    assert_int_equal(ct_int(c, "PRAGMA busy_timeout"), 5000);
    assert_int_equal(ct_int(c, "PRAGMA foreign_keys"), 1);
    assert_int_equal(ct_int(c, "PRAGMA synchronous"), 1);
    assert_int_equal(ct_int(c, "PRAGMA cache_size"), -8192);
    assert_int_equal(ct_int(c, "PRAGMA secure_delete"), 0);
    assert_int_equal(ct_int(c, "PRAGMA temp_store"), 2);
}

static void defaults_file(void **state)
{
    (void)state;
    char path[1024];
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = ct_path("open-defaults", path, sizeof path);
    lsql_db *db = ct_open(&o);
    lsql_conn *c1 = ct_connect(db);
    lsql_conn *c2 = ct_connect(db);
    check_file_defaults(c1);
    check_file_defaults(c2);
    lsql_conn_close(c1);
    lsql_conn *c3 = ct_connect(db);
    check_file_defaults(c3);
    lsql_db_close(db);
    tu_db_remove(path);
}

static void defaults_memory(void **state)
{
    (void)state;
    lsql_db *db;
    lsql_conn *c;
    tu_open_memory(&db, &c);
    lsql_conn *c2 = ct_connect(db);
    lsql_conn *cs[2] = {c, c2};
    for (int i = 0; i < 2; i++) {
        char buf[32];
        assert_string_not_equal(ct_text(cs[i], "PRAGMA journal_mode", buf, sizeof buf), "wal");
        assert_int_equal(ct_int(cs[i], "PRAGMA busy_timeout"), 5000);
        assert_int_equal(ct_int(cs[i], "PRAGMA foreign_keys"), 1);
        assert_int_equal(ct_int(cs[i], "PRAGMA cache_size"), -8192);
        assert_int_equal(ct_int(cs[i], "PRAGMA secure_delete"), 0);
        assert_int_equal(ct_int(cs[i], "PRAGMA temp_store"), 2);
    }
    lsql_db_close(db);
}

/* Opens a fresh file database with `flags` and one connection. */
static lsql_db *open_flags(const char *name, unsigned flags, char *path, size_t cap,
                           lsql_conn **c)
{
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = ct_path(name, path, cap);
    o.flags = flags;
    lsql_db *db = ct_open(&o);
    *c = ct_connect(db);
    return db;
}

static void flag_no_wal(void **state)
{
    (void)state;
    char path[1024], buf[32];
    lsql_conn *c;
    lsql_db *db = open_flags("open-nowal", LSQL_DB_NO_WAL, path, sizeof path, &c);
    assert_string_equal(ct_text(c, "PRAGMA journal_mode", buf, sizeof buf), "delete");
    assert_int_equal(ct_int(c, "PRAGMA foreign_keys"), 1); /* the others stay */
    assert_int_equal(ct_int(c, "PRAGMA busy_timeout"), 5000);
    lsql_db_close(db);
    tu_db_remove(path);
}

static void flag_no_foreign_keys(void **state)
{
    (void)state;
    char path[1024], buf[32];
    lsql_conn *c;
    lsql_db *db = open_flags("open-nofk", LSQL_DB_NO_FOREIGN_KEYS, path, sizeof path, &c);
    assert_int_equal(ct_int(c, "PRAGMA foreign_keys"), 0);
    assert_string_equal(ct_text(c, "PRAGMA journal_mode", buf, sizeof buf), "wal");
    tu_exec(c, "CREATE TABLE p(id INTEGER PRIMARY KEY)");
    tu_exec(c, "CREATE TABLE ch(pid REFERENCES p(id))");
    tu_exec(c, "INSERT INTO ch VALUES (42)"); /* not enforced */
    lsql_db_close(db);
    tu_db_remove(path);
}

static void flag_no_sync_normal(void **state)
{
    (void)state;
    char path[1024], buf[32];
    lsql_conn *c;
    lsql_db *db = open_flags("open-nosync", LSQL_DB_NO_SYNC_NORMAL, path, sizeof path, &c);
    assert_string_equal(ct_text(c, "PRAGMA journal_mode", buf, sizeof buf), "wal");
    assert_int_equal(ct_int(c, "PRAGMA synchronous"), 2); /* FULL */
    lsql_db_close(db);
    tu_db_remove(path);
}

static void flag_no_busy_timeout(void **state)
{
    (void)state;
    char path[1024];
    lsql_conn *c;
    lsql_db *db = open_flags("open-nobusy", LSQL_DB_NO_BUSY_TIMEOUT, path, sizeof path, &c);
    assert_int_equal(ct_int(c, "PRAGMA busy_timeout"), 0);
    assert_int_equal(ct_int(c, "PRAGMA foreign_keys"), 1);
    lsql_db_close(db);
    tu_db_remove(path);
}

static void flag_no_tuning(void **state)
{
    (void)state;
    char path[1024];
    lsql_conn *c;
    lsql_db *db = open_flags("open-notuning", LSQL_DB_NO_TUNING, path, sizeof path, &c);
    assert_int_not_equal(ct_int(c, "PRAGMA cache_size"), -8192);
    assert_int_not_equal(ct_int(c, "PRAGMA temp_store"), 2);
    assert_int_equal(ct_int(c, "PRAGMA busy_timeout"), 5000);
    assert_int_equal(ct_int(c, "PRAGMA foreign_keys"), 1);
    assert_int_equal(ct_int(c, "PRAGMA synchronous"), 1);
    lsql_db_close(db);
    tu_db_remove(path);
}

static void flag_no_defaults(void **state)
{
    (void)state;
    char path[1024], buf[32];
    lsql_conn *c;
    lsql_db *db = open_flags("open-nodefaults", LSQL_DB_NO_DEFAULTS, path, sizeof path, &c);
    assert_string_equal(ct_text(c, "PRAGMA journal_mode", buf, sizeof buf), "delete");
    assert_int_equal(ct_int(c, "PRAGMA busy_timeout"), 0);
    assert_int_equal(ct_int(c, "PRAGMA foreign_keys"), 0);
    assert_int_not_equal(ct_int(c, "PRAGMA cache_size"), -8192);
    lsql_db_close(db);
    tu_db_remove(path);
}

static void custom_values(void **state)
{
    (void)state;
    char path[1024];
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = ct_path("open-custom", path, sizeof path);
    o.busy_timeout_ms = 1234;
    o.cache_size_kib = 1000;
    o.stmt_cache_capacity = 5;
    lsql_db *db = ct_open(&o);
    lsql_conn *c = ct_connect(db);
    assert_int_equal(ct_int(c, "PRAGMA busy_timeout"), 1234);
    assert_int_equal(ct_int(c, "PRAGMA cache_size"), -1000);
    lsql_cache_stats s;
    s.struct_size = sizeof s;
    assert_ok(lsql_stmt_cache_stats(c, &s));
    assert_int_equal(s.capacity, 5);
    lsql_db_close(db);

    o.stmt_cache_capacity = -1;
    db = ct_open(&o);
    c = ct_connect(db);
    assert_ok(lsql_stmt_cache_stats(c, &s));
    assert_int_equal(s.capacity, 0);
    lsql_db_close(db);
    tu_db_remove(path);
}

/* ---- URLs ---------------------------------------------------------------- */

static void url_memory(void **state)
{
    (void)state;
    /* ":memory:" keeps SQLite's meaning: one private database per
     * connection; "memory=shared" shares one across the lsql_db */
    const char *urls[] = {":memory:", "file::memory:", "file::memory:?memory=shared"};
    for (int i = 0; i < 3; i++) {
        lsql_db *db = ct_open_url(urls[i]);
        assert_int_equal(lsql_db_mode(db), LSQL_MODE_MEMORY);
        lsql_conn *c1 = ct_connect(db);
        lsql_conn *c2 = ct_connect(db);
        tu_exec(c1, "CREATE TABLE t(x)");
        tu_exec(c1, "INSERT INTO t VALUES (1)");
        assert_int_equal(ct_int(c2, "SELECT count(*) FROM sqlite_schema WHERE name = 't'"),
                         i == 2 ? 1 : 0);
        lsql_db_close(db);
    }
}

static void url_memory_private(void **state)
{
    (void)state;
    lsql_db *db = ct_open_url("file::memory:?memory=private");
    assert_int_equal(lsql_db_mode(db), LSQL_MODE_MEMORY);
    lsql_conn *c1 = ct_connect(db);
    lsql_conn *c2 = ct_connect(db);
    tu_exec(c1, "CREATE TABLE t(x)");
    assert_int_equal(ct_int(c2, "SELECT count(*) FROM sqlite_schema"), 0);
    lsql_db_close(db);

    db = ct_open_url("file::memory:?memory=shared");
    c1 = ct_connect(db);
    c2 = ct_connect(db);
    tu_exec(c1, "CREATE TABLE t(x)");
    assert_int_equal(ct_int(c2, "SELECT count(*) FROM sqlite_schema"), 1);
    lsql_db_close(db);
}

static void url_plain_paths(void **state)
{
    (void)state;
    char path[1024], url[1200];
    ct_path("open-url-plain", path, sizeof path);
    /* a plain path (no scheme) */
    lsql_db *db = ct_open_url(path);
    assert_int_equal(lsql_db_mode(db), LSQL_MODE_LOCAL);
    lsql_conn *c = ct_connect(db);
    tu_exec(c, "CREATE TABLE t(x)");
    lsql_db_close(db);
    assert_true(ct_file_exists(path));

    /* the same file as file:/abs, file:///abs and file://localhost/abs */
    const char *fmts[] = {"file:%s", "file://%s", "file://localhost%s"};
    for (int i = 0; i < 3; i++) {
        snprintf(url, sizeof url, fmts[i], path);
        db = ct_open_url(url);
        assert_int_equal(lsql_db_mode(db), LSQL_MODE_LOCAL);
        c = ct_connect(db);
        assert_int_equal(ct_int(c, "SELECT count(*) FROM sqlite_schema WHERE name = 't'"), 1);
        lsql_db_close(db);
    }
    /* a file: URL with an authority other than localhost */
    snprintf(url, sizeof url, "file://otherhost%s", path);
    url_fails(url, LSQL_INVALID_URL);
    tu_db_remove(path);
}

static void url_options(void **state)
{
    (void)state;
    char path[1024], url[1400], buf[32];
    ct_path("open-url-opts", path, sizeof path);
    snprintf(url, sizeof url,
             "file:%s?busy_timeout=250&foreign_keys=off&wal=off&cache_size=1000&stmt_cache=7",
             path);
    lsql_db *db = ct_open_url(url);
    lsql_conn *c = ct_connect(db);
    assert_int_equal(ct_int(c, "PRAGMA busy_timeout"), 250);
    assert_int_equal(ct_int(c, "PRAGMA foreign_keys"), 0);
    assert_string_equal(ct_text(c, "PRAGMA journal_mode", buf, sizeof buf), "delete");
    assert_int_equal(ct_int(c, "PRAGMA cache_size"), -1000);
    lsql_cache_stats s;
    s.struct_size = sizeof s;
    assert_ok(lsql_stmt_cache_stats(c, &s));
    assert_int_equal(s.capacity, 7);
    lsql_db_close(db);
    tu_db_remove(path);

    /* synchronous=default in WAL keeps FULL; normal gives NORMAL; on values */
    snprintf(url, sizeof url, "file:%s?synchronous=default&wal=on&foreign_keys=on", path);
    db = ct_open_url(url);
    c = ct_connect(db);
    assert_string_equal(ct_text(c, "PRAGMA journal_mode", buf, sizeof buf), "wal");
    assert_int_equal(ct_int(c, "PRAGMA synchronous"), 2);
    assert_int_equal(ct_int(c, "PRAGMA foreign_keys"), 1);
    lsql_db_close(db);
    snprintf(url, sizeof url, "file:%s?synchronous=normal", path);
    db = ct_open_url(url);
    c = ct_connect(db);
    assert_int_equal(ct_int(c, "PRAGMA synchronous"), 1);
    lsql_db_close(db);
    tu_db_remove(path);

    /* stmt_cache=-1 disables */
    snprintf(url, sizeof url, "file:%s?stmt_cache=-1", path);
    db = ct_open_url(url);
    c = ct_connect(db);
    assert_ok(lsql_stmt_cache_stats(c, &s));
    assert_int_equal(s.capacity, 0);
    lsql_db_close(db);
    tu_db_remove(path);

    /* empty query parts are ignored */
    snprintf(url, sizeof url, "file:%s?&busy_timeout=77&", path);
    db = ct_open_url(url);
    c = ct_connect(db);
    assert_int_equal(ct_int(c, "PRAGMA busy_timeout"), 77);
    lsql_db_close(db);
    tu_db_remove(path);
}

static void url_mode_option(void **state)
{
    (void)state;
    char path[1024], url[1200];
    ct_path("open-url-mode", path, sizeof path);
    lsql_db *db = NULL;
    lsql_error e;
    /* ro / rw do not create */
    snprintf(url, sizeof url, "file:%s?mode=ro", path);
    assert_int_equal(LSQL_CLASS(lsql_db_open_url(url, &db, &e)), LSQL_CANTOPEN);
    assert_null(db);
    snprintf(url, sizeof url, "file:%s?mode=rw", path);
    assert_int_equal(LSQL_CLASS(lsql_db_open_url(url, &db, &e)), LSQL_CANTOPEN);
    assert_null(db);
    assert_false(ct_file_exists(path));
    /* rwc creates */
    snprintf(url, sizeof url, "file:%s?mode=rwc", path);
    db = ct_open_url(url);
    lsql_conn *c = ct_connect(db);
    tu_exec(c, "CREATE TABLE t(x)");
    lsql_db_close(db);
    assert_true(ct_file_exists(path));
    /* rw writes */
    snprintf(url, sizeof url, "file:%s?mode=rw", path);
    db = ct_open_url(url);
    c = ct_connect(db);
    tu_exec(c, "INSERT INTO t VALUES (1)");
    lsql_db_close(db);
    /* ro reads but does not write */
    snprintf(url, sizeof url, "file:%s?mode=ro", path);
    db = ct_open_url(url);
    c = ct_connect(db);
    assert_int_equal(ct_int(c, "SELECT count(*) FROM t"), 1);
    assert_int_equal(LSQL_CLASS(lsql_exec(c, "INSERT INTO t VALUES (2)", NULL, 0, NULL, &e)),
                     LSQL_READONLY);
    lsql_db_close(db);
    tu_db_remove(path);
}

static void url_percent_escapes(void **state)
{
    (void)state;
    char url[1400], want[1024];
    snprintf(want, sizeof want, "%s/pct a+b-%ld.db", ct_tmpdir(), (long)getpid());
    tu_db_remove(want);
    snprintf(url, sizeof url, "file:%s/pct%%20a%%2Bb-%ld.db?busy%%5Ftimeout=%%31%%32", ct_tmpdir(),
             (long)getpid());
    lsql_db *db = ct_open_url(url);
    lsql_conn *c = ct_connect(db);
    tu_exec(c, "CREATE TABLE t(x)");
    assert_int_equal(ct_int(c, "PRAGMA busy_timeout"), 12);
    lsql_db_close(db);
    assert_true(ct_file_exists(want));
    tu_db_remove(want);
}

static void url_bad_escapes(void **state)
{
    (void)state;
    char url[1400];
    const char *bad[] = {"%zz", "%4", "%", "%00", "%g1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(url, sizeof url, "file:%s/bad%s.db", ct_tmpdir(), bad[i]);
        url_fails(url, LSQL_INVALID_URL);
        snprintf(url, sizeof url, "file:%s/bad.db?busy_timeout=1%s", ct_tmpdir(), bad[i]);
        url_fails(url, LSQL_INVALID_URL);
        snprintf(url, sizeof url, "file:%s/bad.db?busy%s=1", ct_tmpdir(), bad[i]);
        url_fails(url, LSQL_INVALID_URL);
    }
}

static void url_unknown_option(void **state)
{
    (void)state;
    char url[1400];
    snprintf(url, sizeof url, "file:%s/unk.db?busy_timeout=5&frobnicate=1", ct_tmpdir());
    const char *msg = url_fails(url, LSQL_INVALID_OPTION);
    if (!strstr(msg, "frobnicate"))
        fail_msg("message does not name the option: %s", msg);
    msg = url_fails("file::memory:?journal=wal", LSQL_INVALID_OPTION);
    if (!strstr(msg, "journal"))
        fail_msg("message does not name the option: %s", msg);
    /* nothing was created */
    snprintf(url, sizeof url, "%s/unk.db", ct_tmpdir());
    assert_false(ct_file_exists(url));
}

static void url_bad_values(void **state)
{
    (void)state;
    const char *bad[] = {
        "busy_timeout=abc", "busy_timeout=-5", "busy_timeout=", "busy_timeout=99999999999",
        "cache_size=x",     "foreign_keys=maybe", "wal=2",       "synchronous=sometimes",
        "mode=rwx",         "mode=",           "memory=public", "stmt_cache=abc",
        "stmt_cache=-2",
    };
    char url[1400];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(url, sizeof url, "file:%s/badval.db?%s", ct_tmpdir(), bad[i]);
        url_fails(url, LSQL_INVALID_OPTION);
    }
}

static void url_schemes(void **state)
{
    (void)state;
    /* remote schemes reach the remote backend (nothing listens on port 1) */
    url_fails("http://127.0.0.1:1?retries=0", LSQL_HTTP_CONNECT);
    url_fails("libsql://127.0.0.1:1?tls=0&retries=0", LSQL_HTTP_CONNECT);
    url_fails("https://127.0.0.1:1/db/?retries=0", LSQL_HTTP_CONNECT);
    url_fails("http://127.0.0.1:1?bogus=1", LSQL_INVALID_OPTION);
    url_fails("ws://127.0.0.1:1", LSQL_NOTSUP_MODE);
    url_fails("ftp://example.com/x.db", LSQL_INVALID_URL);
    url_fails("postgres://u@h/db", LSQL_INVALID_URL);
    lsql_db *db = NULL;
    lsql_error e;
    assert_int_equal(LSQL_CLASS(lsql_db_open_url("", &db, &e)), LSQL_INVALID);
    assert_null(db);
    assert_int_equal(LSQL_CLASS(lsql_db_open_url(NULL, &db, &e)), LSQL_INVALID);
    assert_null(db);
}

/* ---- shared memory ------------------------------------------------------- */

static void memory_shared_between_connections(void **state)
{
    (void)state;
    lsql_db *db;
    lsql_conn *c1;
    tu_open_memory(&db, &c1);
    lsql_conn *c2 = ct_connect(db);
    tu_exec(c1, "CREATE TABLE t(x)");
    tu_exec(c1, "INSERT INTO t VALUES (1), (2)");
    assert_int_equal(ct_int(c2, "SELECT sum(x) FROM t"), 3);
    tu_exec(c2, "INSERT INTO t VALUES (3)");
    assert_int_equal(ct_int(c1, "SELECT sum(x) FROM t"), 6);
    lsql_db_close(db);
}

static void memory_survives_closing_all_connections(void **state)
{
    (void)state;
    lsql_db *db;
    lsql_conn *c1;
    tu_open_memory(&db, &c1);
    tu_exec(c1, "CREATE TABLE t(x)");
    tu_exec(c1, "INSERT INTO t VALUES (42)");
    assert_ok(lsql_conn_close(c1));
    lsql_conn *c2 = ct_connect(db);
    assert_int_equal(ct_int(c2, "SELECT x FROM t"), 42);
    lsql_db_close(db);
}

static void memory_private(void **state)
{
    (void)state;
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.mode = LSQL_MODE_MEMORY;
    o.flags = 0; /* private is the default */
    lsql_db *db = ct_open(&o);
    lsql_conn *c1 = ct_connect(db);
    lsql_conn *c2 = ct_connect(db);
    tu_exec(c1, "CREATE TABLE t(x)");
    assert_int_equal(ct_int(c1, "SELECT count(*) FROM sqlite_schema"), 1);
    assert_int_equal(ct_int(c2, "SELECT count(*) FROM sqlite_schema"), 0);
    tu_exec(c2, "CREATE TABLE t(y, z)"); /* no clash */
    lsql_db_close(db);
}

static void memory_two_databases_are_separate(void **state)
{
    (void)state;
    lsql_db *db1, *db2;
    lsql_conn *c1, *c2;
    tu_open_memory(&db1, &c1);
    tu_open_memory(&db2, &c2);
    tu_exec(c1, "CREATE TABLE t(x)");
    assert_int_equal(ct_int(c2, "SELECT count(*) FROM sqlite_schema"), 0);
    lsql_db_close(db1);
    /* a new MEMORY database starts empty */
    lsql_db *db3;
    lsql_conn *c3;
    tu_open_memory(&db3, &c3);
    assert_int_equal(ct_int(c3, "SELECT count(*) FROM sqlite_schema"), 0);
    lsql_db_close(db3);
    lsql_db_close(db2);
}

/* ---- connect / close ----------------------------------------------------- */

static void connect_args(void **state)
{
    (void)state;
    lsql_db *db;
    lsql_conn *c;
    tu_open_memory(&db, &c);
    assert_ptr_equal(lsql_conn_db(c), db);
    assert_null(lsql_conn_db(NULL));
    lsql_error e;
    ct_expect(LSQL_INVALID_ARG, &e, lsql_db_connect(db, NULL, &e));
    lsql_conn *c2 = c;
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_db_connect(NULL, &c2, &e));
    assert_null(c2);
    c2 = c;
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_db_connect((lsql_db *)(void *)c, &c2, &e));
    assert_null(c2);
    lsql_db_close(db);
}

static void close_with_open_children(void **state)
{
    (void)state;
    char path[1024];
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = ct_path("open-close-children", path, sizeof path);
    lsql_db *db = ct_open(&o);
    lsql_conn *c1 = ct_connect(db);
    lsql_conn *c2 = ct_connect(db);
    lsql_conn *c3 = ct_connect(db);
    (void)c3;
    tu_exec(c1, "CREATE TABLE t(x)");
    tu_exec(c1, "INSERT INTO t VALUES (1), (2), (3)");
    tu_exec(c2, "BEGIN");
    tu_exec(c2, "INSERT INTO t VALUES (4)"); /* open write transaction */
    lsql_stmt *st;
    lsql_error e;
    assert_ok(lsql_prepare(c1, "SELECT x FROM t", -1, 0, &st, NULL, &e));
    assert_rc(LSQL_ROW, lsql_step(st, &e));
    lsql_stmt *cst;
    assert_ok(lsql_prepare(c1, "SELECT x + 1 FROM t", -1, LSQL_PREPARE_CACHED, &cst, NULL, &e));
    lsql_rows *rows;
    assert_ok(lsql_query(c1, "SELECT x FROM t ORDER BY x", NULL, 0, &rows, &e));
    assert_rc(LSQL_ROW, lsql_rows_next(rows, &e));
    lsql_rows *rows2;
    assert_ok(lsql_query(c2, "SELECT x FROM t", NULL, 0, &rows2, &e));
    assert_ok(lsql_db_close(db)); /* closes everything (ASan: no leak) */

    /* c2's transaction was rolled back */
    db = ct_open(&o);
    c1 = ct_connect(db);
    assert_int_equal(ct_int(c1, "SELECT count(*) FROM t"), 3);
    lsql_db_close(db);
    tu_db_remove(path);
}

static void close_functions_accept_null(void **state)
{
    (void)state;
    assert_ok(lsql_db_close(NULL));
    assert_ok(lsql_conn_close(NULL));
    assert_ok(lsql_finalize(NULL));
    lsql_rows_free(NULL);
    lsql_row_free(NULL);
}

static void close_foreign_handles(void **state)
{
    (void)state;
    lsql_db *db;
    lsql_conn *c;
    tu_open_memory(&db, &c);
    assert_rc(LSQL_MISUSE_HANDLE, lsql_db_close((lsql_db *)(void *)c));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_conn_close((lsql_conn *)(void *)db));
    /* both still work */
    tu_exec(c, "SELECT 1");
    assert_ok(lsql_conn_close(c));
    assert_ok(lsql_db_close(db));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(opts_init),
        cmocka_unit_test(opts_struct_size),
        cmocka_unit_test(open_null_args),
        cmocka_unit_test(modes),
        cmocka_unit_test(local_without_path),
        cmocka_unit_test(missing_directory_cantopen),
        cmocka_unit_test(not_a_database),
        cmocka_unit_test(readonly_flag),
        cmocka_unit_test(no_create_flag),
        cmocka_unit_test(open_creates_file_and_sets_wal),
        cmocka_unit_test(defaults_file),
        cmocka_unit_test(defaults_memory),
        cmocka_unit_test(flag_no_wal),
        cmocka_unit_test(flag_no_foreign_keys),
        cmocka_unit_test(flag_no_sync_normal),
        cmocka_unit_test(flag_no_busy_timeout),
        cmocka_unit_test(flag_no_tuning),
        cmocka_unit_test(flag_no_defaults),
        cmocka_unit_test(custom_values),
        cmocka_unit_test(url_memory),
        cmocka_unit_test(url_memory_private),
        cmocka_unit_test(url_plain_paths),
        cmocka_unit_test(url_options),
        cmocka_unit_test(url_mode_option),
        cmocka_unit_test(url_percent_escapes),
        cmocka_unit_test(url_bad_escapes),
        cmocka_unit_test(url_unknown_option),
        cmocka_unit_test(url_bad_values),
        cmocka_unit_test(url_schemes),
        cmocka_unit_test(memory_shared_between_connections),
        cmocka_unit_test(memory_survives_closing_all_connections),
        cmocka_unit_test(memory_private),
        cmocka_unit_test(memory_two_databases_are_separate),
        cmocka_unit_test(connect_args),
        cmocka_unit_test(close_with_open_children),
        cmocka_unit_test(close_functions_accept_null),
        cmocka_unit_test(close_foreign_handles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
