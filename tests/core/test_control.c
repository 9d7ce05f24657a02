/* test_control.c -- busy timeout (set/get, timing out, 0), ping, cache
 * flush, WAL checkpoints, limits, db config options, extra open flags, and
 * LSQL_NOTSUP_BACKEND / misuse for every backend op of the control section. */
#include "coretest.h"

#include "../../src/core/internal.h"

#include <sqlite3.h>

static int deny_pragmas(void *ctx, int action, const char *a1, const char *a2,
                        const char *schema, const char *trigger)
{
    (void)ctx, (void)a1, (void)a2, (void)schema, (void)trigger;
    return action == LSQL_ACTION_PRAGMA ? LSQL_AUTHZ_DENY : LSQL_AUTHZ_OK;
}

static void busy_timeout_get_set(void **state)
{
    (void)state;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    tu_open_memory(&db, &c);
    uint32_t ms = 1;
    assert_ok(lsql_conn_busy_timeout(c, &ms));
    assert_int_equal(ms, 5000);
    assert_ok(lsql_conn_set_busy_timeout(c, 1234));
    assert_ok(lsql_conn_busy_timeout(c, &ms));
    assert_int_equal(ms, 1234);
    assert_ok(lsql_conn_set_busy_timeout(c, 0));
    assert_ok(lsql_conn_busy_timeout(c, &ms));
    assert_int_equal(ms, 0);
    assert_ok(lsql_conn_set_busy_timeout(c, UINT32_MAX));
    assert_ok(lsql_conn_busy_timeout(c, &ms));
    assert_int_equal(ms, UINT32_MAX);
    /* the SQL form reads and sets the same value (and keeps lsql's handler,
     * see test_interrupt_thread) */
    assert_ok(lsql_conn_set_busy_timeout(c, 4321));
    assert_int_equal(ct_int(c, "PRAGMA busy_timeout"), 4321);
    tu_exec(c, "PRAGMA busy_timeout = 250");
    assert_ok(lsql_conn_busy_timeout(c, &ms));
    assert_int_equal(ms, 250);
    assert_int_equal(ct_int(c, "PRAGMA busy_timeout"), 250); /* the cached read is fresh */
    assert_int_equal(ct_int(c, "PRAGMA main.busy_timeout(-5)"), 0);
    assert_ok(lsql_conn_busy_timeout(c, &ms));
    assert_int_equal(ms, 0);
    assert_ok(lsql_conn_set_busy_timeout(c, 99));
    assert_int_equal(ct_int(c, "PRAGMA busy_timeout"), 99);
    /* a PRAGMA an authorizer refuses changes nothing */
    lsql_error e;
    assert_ok(lsql_conn_set_authorizer(c, deny_pragmas, NULL));
    ct_expect(LSQL_AUTH, &e, lsql_exec(c, "PRAGMA busy_timeout = 5", NULL, 0, NULL, &e));
    assert_ok(lsql_conn_busy_timeout(c, &ms));
    assert_int_equal(ms, 99);
    assert_ok(lsql_conn_set_authorizer(c, NULL, NULL));
    /* a user statement compiled again inside its step (expired by the
     * authorizer change) still goes through lsql's handler */
    lsql_stmt *st = NULL;
    ct_expect(LSQL_OK, &e, lsql_prepare(c, "PRAGMA busy_timeout = 77", -1, 0, &st, NULL, &e));
    assert_ok(lsql_conn_set_busy_timeout(c, 98));
    assert_ok(lsql_conn_set_authorizer(c, deny_pragmas, NULL));
    assert_ok(lsql_conn_set_authorizer(c, NULL, NULL)); /* expires st */
    ct_expect(LSQL_ROW, &e, lsql_step(st, &e));
    assert_int_equal(lsql_column_int64(st, 0), 77);
    lsql_finalize(st);
    assert_ok(lsql_conn_busy_timeout(c, &ms));
    assert_int_equal(ms, 77);
    /* misuse */
    assert_rc(LSQL_INVALID_ARG, lsql_conn_busy_timeout(c, NULL));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_conn_busy_timeout(NULL, &ms));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_conn_set_busy_timeout(NULL, 1));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_conn_set_busy_timeout((lsql_conn *)db, 1));
    lsql_db_close(db);

    /* from the options, and off with LSQL_DB_NO_BUSY_TIMEOUT */
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.mode = LSQL_MODE_MEMORY;
    o.busy_timeout_ms = 777;
    db = ct_open(&o);
    c = ct_connect(db);
    assert_ok(lsql_conn_busy_timeout(c, &ms));
    assert_int_equal(ms, 777);
    lsql_db_close(db);
    o.flags = LSQL_DB_NO_BUSY_TIMEOUT;
    db = ct_open(&o);
    c = ct_connect(db);
    assert_ok(lsql_conn_busy_timeout(c, &ms));
    assert_int_equal(ms, 0);
    lsql_db_close(db);
}

/* A writer holds the lock: the other connection fails with LSQL_BUSY after
 * its timeout (short), or at once with 0. */
static void busy_timeout_expires(void **state)
{
    (void)state;
    char path[1024];
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = ct_path("control-busy", path, sizeof path);
    lsql_db *db = ct_open(&o);
    lsql_conn *a = ct_connect(db), *b = ct_connect(db);
    tu_exec(a, "CREATE TABLE t(x)");
    tu_exec(a, "BEGIN IMMEDIATE");
    tu_exec(a, "INSERT INTO t VALUES (1)");
    lsql_error e;
    uint32_t timeouts[] = {30, 0};
    for (size_t i = 0; i < 2; i++) {
        assert_ok(lsql_conn_set_busy_timeout(b, timeouts[i]));
        ct_expect(LSQL_BUSY, &e, lsql_exec(b, "INSERT INTO t VALUES (2)", NULL, 0, NULL, &e));
        assert_true(e.flags & LSQL_ERRF_RETRYABLE);
        assert_int_equal(lsql_conn_errcode(b), LSQL_BUSY);
    }
    tu_exec(a, "COMMIT");
    tu_exec(b, "INSERT INTO t VALUES (2)");
    assert_int_equal(ct_int(a, "SELECT count(*) FROM t"), 2);
    lsql_db_close(db);
    tu_db_remove(path);
}

static void ping_and_cacheflush(void **state)
{
    (void)state;
    char path[1024];
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = ct_path("control-ping", path, sizeof path);
    lsql_db *db = ct_open(&o);
    lsql_conn *c = ct_connect(db);
    lsql_error e;
    ct_expect(LSQL_OK, &e, lsql_conn_ping(c, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_conn_ping(NULL, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_conn_ping((lsql_conn *)db, &e));
    tu_exec(c, "CREATE TABLE t(x)");
    tu_exec(c, "BEGIN");
    tu_exec(c, "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 2000) "
                  "INSERT INTO t SELECT i FROM s");
    ct_expect(LSQL_OK, &e, lsql_conn_cacheflush(c, &e));
    tu_exec(c, "COMMIT");
    assert_int_equal(ct_int(c, "SELECT count(*) FROM t"), 2000);
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_conn_cacheflush(NULL, &e));
    lsql_db_close(db);
    tu_db_remove(path);
}

static void checkpoints(void **state)
{
    (void)state;
    char path[1024];
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = ct_path("control-ckpt", path, sizeof path);
    lsql_db *db = ct_open(&o);
    lsql_conn *c = ct_connect(db);
    lsql_error e;
    tu_exec(c, "CREATE TABLE t(x)");
    tu_exec(c, "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 200) "
                  "INSERT INTO t SELECT randomblob(500) FROM s");
    int log = -5, done = -5;
    ct_expect(LSQL_OK, &e,
              lsql_wal_checkpoint(c, NULL, LSQL_CHECKPOINT_PASSIVE, &log, &done, &e));
    assert_true(log > 0);
    assert_int_equal(done, log);
    ct_expect(LSQL_OK, &e, lsql_wal_checkpoint(c, "main", LSQL_CHECKPOINT_FULL, &log, &done, &e));
    assert_int_equal(done, log);
    ct_expect(LSQL_OK, &e,
              lsql_wal_checkpoint(c, "main", LSQL_CHECKPOINT_TRUNCATE, &log, &done, &e));
    assert_int_equal(log, 0);
    assert_int_equal(done, 0);
    ct_expect(LSQL_OK, &e, lsql_wal_checkpoint(c, NULL, LSQL_CHECKPOINT_RESTART, NULL, NULL, &e));

    /* a reader holding a snapshot: RESTART cannot finish -> BUSY, counts set */
    lsql_conn *r = ct_connect(db);
    tu_exec(c, "INSERT INTO t VALUES (1)");
    tu_exec(r, "BEGIN");
    assert_int_equal(ct_int(r, "SELECT count(*) FROM t"), 201);
    tu_exec(c, "INSERT INTO t VALUES (2)");
    assert_ok(lsql_conn_set_busy_timeout(c, 20));
    log = done = -5;
    ct_expect(LSQL_BUSY, &e,
              lsql_wal_checkpoint(c, NULL, LSQL_CHECKPOINT_RESTART, &log, &done, &e));
    assert_true(log > 0);
    assert_true(done >= 0 && done <= log);
    tu_exec(r, "COMMIT");

    /* bad arguments */
    ct_expect(LSQL_INVALID_ARG, &e, lsql_wal_checkpoint(c, NULL, 4, NULL, NULL, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_wal_checkpoint(c, NULL, -1, NULL, NULL, &e));
    ct_expect(LSQL_INVALID_NAME, &e, lsql_wal_checkpoint(c, "", 0, NULL, NULL, &e));
    ct_expect(LSQL_ERROR, &e, lsql_wal_checkpoint(c, "nosuch", 0, &log, &done, &e));
    assert_non_null(strstr(e.message, "nosuch"));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_wal_checkpoint(NULL, NULL, 0, &log, &done, &e));
    assert_int_equal(log, -1);
    lsql_db_close(db);
    tu_db_remove(path);

    /* not in WAL mode: -1/-1 and LSQL_OK */
    lsql_db *mdb = NULL;
    tu_open_memory(&mdb, &c);
    log = done = 7;
    ct_expect(LSQL_OK, &e, lsql_wal_checkpoint(c, NULL, LSQL_CHECKPOINT_FULL, &log, &done, &e));
    assert_int_equal(log, -1);
    assert_int_equal(done, -1);
    lsql_db_close(mdb);
}

static void limits(void **state)
{
    (void)state;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    tu_open_memory(&db, &c);
    int old = 0;
    assert_ok(lsql_conn_limit(c, LSQL_LIMIT_LENGTH, -1, &old));
    assert_true(old > 1000);
    assert_ok(lsql_conn_limit(c, LSQL_LIMIT_LENGTH, 100, &old));
    int now = 0;
    assert_ok(lsql_conn_limit(c, LSQL_LIMIT_LENGTH, -1, &now));
    assert_int_equal(now, 100);
    lsql_error e;
    int64_t n = 0;
    ct_expect(LSQL_TOOBIG, &e,
              lsql_query_int64(c, "SELECT length(zeroblob(1000))", NULL, 0, &n, &e));
    assert_ok(lsql_conn_limit(c, LSQL_LIMIT_LENGTH, old, NULL));
    assert_int_equal(ct_int(c, "SELECT length(zeroblob(1000))"), 1000);
    assert_ok(lsql_conn_limit(c, LSQL_LIMIT_ATTACHED, 0, NULL));
    ct_expect(LSQL_ERROR, &e, lsql_exec(c, "ATTACH ':memory:' AS x", NULL, 0, NULL, &e));
    assert_rc(LSQL_RANGE, lsql_conn_limit(c, 12, -1, &old));
    assert_rc(LSQL_RANGE, lsql_conn_limit(c, -1, -1, &old));
    assert_int_equal(lsql_conn_errcode(c), LSQL_RANGE);
    assert_rc(LSQL_MISUSE_HANDLE, lsql_conn_limit(NULL, 0, -1, &old));
    lsql_db_close(db);
}

static void db_config_options(void **state)
{
    (void)state;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    tu_open_memory(&db, &c);
    lsql_error e;
    int on = -1;
    /* foreign keys are on by lsql's defaults */
    ct_expect(LSQL_OK, &e, lsql_conn_config(c, LSQL_DBCONFIG_ENABLE_FKEY, -1, &on, &e));
    assert_int_equal(on, 1);
    ct_expect(LSQL_OK, &e, lsql_conn_config(c, LSQL_DBCONFIG_DEFENSIVE, 1, &on, &e));
    assert_int_equal(on, 1);
    ct_expect(LSQL_OK, &e, lsql_conn_config(c, LSQL_DBCONFIG_DEFENSIVE, -1, &on, &e));
    assert_int_equal(on, 1);
    /* defensive: the schema cannot be written even with writable_schema */
    tu_exec(c, "PRAGMA writable_schema=ON");
    ct_expect(LSQL_ERROR, &e,
              lsql_exec(c, "UPDATE sqlite_schema SET sql = 'x'", NULL, 0, NULL, &e));
    tu_exec(c, "PRAGMA writable_schema=OFF");

    /* triggers off: the trigger does not fire */
    tu_exec(c, "CREATE TABLE t(x)");
    tu_exec(c, "CREATE TABLE log(x)");
    tu_exec(c, "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.x); END");
    ct_expect(LSQL_OK, &e, lsql_conn_config(c, LSQL_DBCONFIG_ENABLE_TRIGGER, 0, &on, &e));
    assert_int_equal(on, 0);
    tu_exec(c, "INSERT INTO t VALUES (1)");
    assert_int_equal(ct_int(c, "SELECT count(*) FROM log"), 0);
    ct_expect(LSQL_OK, &e, lsql_conn_config(c, LSQL_DBCONFIG_ENABLE_TRIGGER, 1, NULL, &e));
    tu_exec(c, "INSERT INTO t VALUES (2)");
    assert_int_equal(ct_int(c, "SELECT count(*) FROM log"), 1);

    /* double-quoted strings off in DML: "abc" is an unknown column */
    ct_expect(LSQL_OK, &e, lsql_conn_config(c, LSQL_DBCONFIG_DQS_DML, 0, NULL, &e));
    int64_t n = 0;
    ct_expect(LSQL_ERROR, &e, lsql_query_int64(c, "SELECT length(\"abc\")", NULL, 0, &n, &e));
    ct_expect(LSQL_OK, &e, lsql_conn_config(c, LSQL_DBCONFIG_DQS_DML, 1, NULL, &e));
    assert_int_equal(ct_int(c, "SELECT length(\"abc\")"), 3);

    for (int opt = LSQL_DBCONFIG_ENABLE_FKEY; opt <= LSQL_DBCONFIG_LEGACY_FILE_FORMAT; opt++) {
        on = -1;
        ct_expect(LSQL_OK, &e, lsql_conn_config(c, opt, -1, &on, &e));
        assert_true(on == 0 || on == 1);
    }
    ct_expect(LSQL_INVALID_ARG, &e, lsql_conn_config(c, 0, -1, &on, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_conn_config(c, 13, -1, &on, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_conn_config(c, LSQL_DBCONFIG_DEFENSIVE, 2, &on, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_conn_config(NULL, LSQL_DBCONFIG_DEFENSIVE, 1, &on, &e));
    lsql_db_close(db);
}

static void open_flags(void **state)
{
    (void)state;
    char path[1024], link[1100];
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = ct_path("control-flags", path, sizeof path);
    lsql_db *db = NULL;
    lsql_error e;
    o.sqlite_open_flags = 0x00000004; /* SQLITE_OPEN_CREATE: lsql's own business */
    ct_expect(LSQL_INVALID_OPTION, &e, lsql_db_open(&o, &db, &e));
    assert_null(db);
    o.sqlite_open_flags = LSQL_OPEN_SHAREDCACHE | LSQL_OPEN_PRIVATECACHE;
    ct_expect(LSQL_INVALID_OPTION, &e, lsql_db_open(&o, &db, &e));
    o.sqlite_open_flags = LSQL_OPEN_PRIVATECACHE | LSQL_OPEN_NOFOLLOW;
    db = ct_open(&o);
    lsql_conn *c = ct_connect(db);
    tu_exec(c, "CREATE TABLE t(x)");
    lsql_db_close(db);

    /* NOFOLLOW refuses a symbolic link to the file */
    snprintf(link, sizeof link, "%s-link", path);
    unlink(link);
    assert_int_equal(symlink(path, link), 0);
    o.path = link;
    o.sqlite_open_flags = LSQL_OPEN_NOFOLLOW;
    ct_err_garbage(&e);
    int rc = lsql_db_open(&o, &db, &e);
    assert_int_equal(LSQL_CLASS(rc), LSQL_CANTOPEN); /* LSQL_CANTOPEN | symlink detail */
    ct_check_err(rc, &e);
    o.sqlite_open_flags = 0;
    db = ct_open(&o); /* without the flag the link is fine */
    lsql_db_close(db);
    unlink(link);
    tu_db_remove(path);

    /* an old caller's smaller struct: the new field reads as 0 */
    lsql_db_opts_init(&o);
    o.mode = LSQL_MODE_MEMORY;
    o.sqlite_open_flags = 0x7fffffff; /* beyond struct_size: ignored */
    o.struct_size = offsetof(lsql_db_opts, sqlite_open_flags);
    db = ct_open(&o);
    lsql_db_close(db);
}

/* ---- a backend without any of the control ops ------------------------------ */

static int destroyed;
static void count_destroy(void *p)
{
    (void)p;
    destroyed++;
}
static void noop_fn(lsql_fn_ctx *fc, int argc, const lsql_value *argv)
{
    (void)fc;
    (void)argc;
    (void)argv;
}

static void notsup_backend(void **state)
{
    (void)state;
    static lsql_backend fake_be; /* all ops NULL */
    fake_be.name = "fake";
    lsql_conn *fake = calloc(1, sizeof *fake);
    assert_non_null(fake);
    fake->magic = LSQL_MAGIC_CONN;
    fake->be = &fake_be;
    lsql_error e;
    uint32_t ms;
    int x;
    assert_rc(LSQL_NOTSUP_BACKEND, lsql_conn_interrupt(fake));
    assert_rc(LSQL_NOTSUP_BACKEND, lsql_conn_set_busy_timeout(fake, 1));
    assert_rc(LSQL_NOTSUP_BACKEND, lsql_conn_busy_timeout(fake, &ms));
    ct_expect(LSQL_NOTSUP_BACKEND, &e, lsql_conn_cacheflush(fake, &e));
    ct_expect(LSQL_NOTSUP_BACKEND, &e, lsql_wal_checkpoint(fake, NULL, 0, NULL, NULL, &e));
    assert_rc(LSQL_NOTSUP_BACKEND, lsql_conn_limit(fake, 0, -1, &x));
    ct_expect(LSQL_NOTSUP_BACKEND, &e, lsql_conn_config(fake, LSQL_DBCONFIG_DEFENSIVE, 1, &x, &e));
    assert_rc(LSQL_NOTSUP_BACKEND, lsql_conn_set_update_hook(fake, NULL, NULL));
    assert_rc(LSQL_NOTSUP_BACKEND, lsql_conn_set_commit_hook(fake, NULL, NULL));
    assert_rc(LSQL_NOTSUP_BACKEND, lsql_conn_set_rollback_hook(fake, NULL, NULL));
    assert_rc(LSQL_NOTSUP_BACKEND, lsql_conn_set_preupdate_hook(fake, NULL, NULL));
    assert_rc(LSQL_NOTSUP_BACKEND, lsql_conn_set_wal_hook(fake, NULL, NULL));
    assert_rc(LSQL_NOTSUP_BACKEND, lsql_conn_set_progress_handler(fake, 1, NULL, NULL));
    assert_rc(LSQL_NOTSUP_BACKEND, lsql_conn_set_authorizer(fake, NULL, NULL));
    assert_int_equal(lsql_conn_errcode(fake), LSQL_NOTSUP_BACKEND);
    assert_non_null(strstr(lsql_conn_errmsg(fake), "fake"));
    destroyed = 0;
    ct_expect(LSQL_NOTSUP_BACKEND, &e,
              lsql_create_function(fake, "f", 0, 0, noop_fn, &x, count_destroy, &e));
    assert_int_equal(destroyed, 1); /* ownership passed even though it failed */
    ct_expect(LSQL_NOTSUP_BACKEND, &e, lsql_conn_enable_load_extension(fake, 1, &e));
    ct_expect(LSQL_NOTSUP_BACKEND, &e, lsql_conn_load_extension(fake, "/x.so", NULL, &e));
    ct_expect(LSQL_NOTSUP_BACKEND, &e, lsql_backup_to_file(fake, NULL, "/tmp/x.db", NULL, &e));
    ct_expect(LSQL_NOTSUP_BACKEND, &e, lsql_backup_from_file(fake, NULL, "/tmp/x.db", NULL, &e));

    /* backup between a local connection and the fake one */
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    tu_open_memory(&db, &c);
    ct_expect(LSQL_NOTSUP_BACKEND, &e, lsql_backup_to_conn(c, NULL, fake, NULL, NULL, &e));
    lsql_db_close(db);
    free(fake);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(busy_timeout_get_set), cmocka_unit_test(busy_timeout_expires),
        cmocka_unit_test(ping_and_cacheflush),  cmocka_unit_test(checkpoints),
        cmocka_unit_test(limits),               cmocka_unit_test(db_config_options),
        cmocka_unit_test(open_flags),           cmocka_unit_test(notsup_backend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
