/* test_meta.c -- connection metadata (rowid, changes, autocommit, transaction
 * state, native handle), version functions and small value helpers. */
#include "target.h"

static char g_path[1024];

static int setup(void **state)
{
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = ct_path("meta", g_path, sizeof g_path);
    lsql_db *db = ct_target_open(&o);
    lsql_conn *c = ct_connect(db);
    tu_exec(c, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    lsql_conn *c = *state;
    lsql_db_close(lsql_conn_db(c));
    ct_target_cleanup();
    tu_db_remove(g_path);
    return 0;
}

static void last_insert_rowid(void **state)
{
    lsql_conn *c = *state;
    int64_t id = -1;
    assert_ok(lsql_last_insert_rowid(c, &id));
    assert_int_equal(id, 0);
    tu_exec(c, "INSERT INTO t(v) VALUES ('a')");
    assert_ok(lsql_last_insert_rowid(c, &id));
    assert_int_equal(id, 1);
    tu_exec(c, "INSERT INTO t(id, v) VALUES (100, 'b')");
    assert_ok(lsql_last_insert_rowid(c, &id));
    assert_int_equal(id, 100);
    tu_exec(c, "INSERT INTO t(v) VALUES ('c')");
    assert_ok(lsql_last_insert_rowid(c, &id));
    assert_int_equal(id, 101);
    assert_int_equal(ct_int(c, "SELECT last_insert_rowid()"), 101);
    /* a failed insert does not change it */
    lsql_error e;
    assert_int_equal(LSQL_CLASS(lsql_exec(c, "INSERT INTO t(id) VALUES (1)", NULL, 0, NULL, &e)),
                     LSQL_CONSTRAINT);
    assert_ok(lsql_last_insert_rowid(c, &id));
    assert_int_equal(id, 101);
    /* per connection */
    lsql_conn *c2 = ct_connect(lsql_conn_db(c));
    assert_ok(lsql_last_insert_rowid(c2, &id));
    assert_int_equal(id, 0);
    tu_exec(c2, "INSERT INTO t(id, v) VALUES (500, 'd')");
    assert_ok(lsql_last_insert_rowid(c2, &id));
    assert_int_equal(id, 500);
    assert_ok(lsql_last_insert_rowid(c, &id));
    assert_int_equal(id, 101);
    lsql_conn_close(c2);
    assert_rc(LSQL_INVALID_ARG, lsql_last_insert_rowid(c, NULL));
}

static void changes_and_total(void **state)
{
    lsql_conn *c = *state;
    int64_t ch = -1, total0 = -1, total = -1;
    assert_ok(lsql_total_changes(c, &total0));
    tu_exec(c, "INSERT INTO t(v) VALUES ('a'), ('b'), ('c'), ('d')");
    assert_ok(lsql_changes(c, &ch));
    assert_int_equal(ch, 4);
    assert_ok(lsql_total_changes(c, &total));
    assert_int_equal(total - total0, 4);
    tu_exec(c, "UPDATE t SET v = 'x' WHERE id <= 2");
    assert_ok(lsql_changes(c, &ch));
    assert_int_equal(ch, 2);
    assert_ok(lsql_total_changes(c, &total));
    assert_int_equal(total - total0, 6);
    tu_exec(c, "DELETE FROM t WHERE id = 4");
    assert_ok(lsql_changes(c, &ch));
    assert_int_equal(ch, 1);
    assert_ok(lsql_total_changes(c, &total));
    assert_int_equal(total - total0, 7);
    /* a SELECT leaves the counters as they were */
    tu_exec(c, "SELECT * FROM t");
    assert_ok(lsql_changes(c, &ch));
    assert_int_equal(ch, 1);
    assert_ok(lsql_total_changes(c, &total));
    assert_int_equal(total - total0, 7);
    assert_int_equal(ct_int(c, "SELECT total_changes()"), total);
    /* the changes of another connection are not counted */
    lsql_conn *c2 = ct_connect(lsql_conn_db(c));
    int64_t t2 = -1;
    assert_ok(lsql_total_changes(c2, &t2));
    assert_int_equal(t2, 0);
    tu_exec(c2, "INSERT INTO t(v) VALUES ('e')");
    assert_ok(lsql_total_changes(c, &total));
    assert_int_equal(total - total0, 7);
    lsql_conn_close(c2);
    assert_rc(LSQL_INVALID_ARG, lsql_changes(c, NULL));
    assert_rc(LSQL_INVALID_ARG, lsql_total_changes(c, NULL));
}

/* Checks lsql_txn_state; remote it has no meaning (LSQL_NOTSUP_BACKEND,
 * lsql.h). */
static void expect_ts(lsql_conn *c, int want)
{
    int ts = -1;
    if (ct_remote()) {
        assert_rc(LSQL_NOTSUP_BACKEND, lsql_txn_state(c, &ts));
        return;
    }
    assert_ok(lsql_txn_state(c, &ts));
    assert_int_equal(ts, want);
}

static void autocommit_and_txn_state(void **state)
{
    lsql_conn *c = *state;
    int ac = -1;
    assert_ok(lsql_is_autocommit(c, &ac));
    assert_int_equal(ac, 1);
    expect_ts(c, LSQL_TXN_NONE);
    tu_exec(c, "BEGIN");
    assert_ok(lsql_is_autocommit(c, &ac));
    assert_int_equal(ac, 0);
    expect_ts(c, LSQL_TXN_NONE); /* deferred: nothing read yet */
    tu_exec(c, "SELECT count(*) FROM t");
    expect_ts(c, LSQL_TXN_READ);
    tu_exec(c, "INSERT INTO t(v) VALUES ('x')");
    expect_ts(c, LSQL_TXN_WRITE);
    tu_exec(c, "COMMIT");
    assert_ok(lsql_is_autocommit(c, &ac));
    assert_int_equal(ac, 1);
    expect_ts(c, LSQL_TXN_NONE);
    /* BEGIN IMMEDIATE writes at once; ROLLBACK ends it */
    tu_exec(c, "BEGIN IMMEDIATE");
    expect_ts(c, LSQL_TXN_WRITE);
    tu_exec(c, "ROLLBACK");
    expect_ts(c, LSQL_TXN_NONE);
    /* an open read statement outside a transaction holds a read txn */
    lsql_rows *rows;
    lsql_error e;
    tu_exec(c, "INSERT INTO t(v) VALUES ('y')");
    assert_ok(lsql_query(c, "SELECT v FROM t", NULL, 0, &rows, &e));
    assert_rc(LSQL_ROW, lsql_rows_next(rows, &e));
    expect_ts(c, LSQL_TXN_READ);
    assert_ok(lsql_is_autocommit(c, &ac));
    assert_int_equal(ac, 1);
    lsql_rows_free(rows);
    expect_ts(c, LSQL_TXN_NONE);
    assert_rc(LSQL_INVALID_ARG, lsql_is_autocommit(c, NULL));
    assert_rc(LSQL_INVALID_ARG, lsql_txn_state(c, NULL));
}

static void conn_close_rolls_back(void **state)
{
    lsql_conn *c = *state;
    lsql_db *db = lsql_conn_db(c);
    lsql_conn *c2 = ct_connect(db);
    tu_exec(c2, "BEGIN");
    tu_exec(c2, "INSERT INTO t(v) VALUES ('never')");
    assert_ok(lsql_conn_close(c2));
    assert_int_equal(ct_int(c, "SELECT count(*) FROM t WHERE v = 'never'"), 0);
    /* and the write lock is gone */
    tu_exec(c, "INSERT INTO t(v) VALUES ('after')");
}

static void native_handle(void **state)
{
    ct_local_only("no SQLite handle remotely (LSQL_NOTSUP_BACKEND)");
    lsql_conn *c = *state;
    void *h = NULL;
    assert_ok(lsql_conn_native_handle(c, &h));
    assert_non_null(h);
    void *h2 = NULL;
    assert_ok(lsql_conn_native_handle(c, &h2));
    assert_ptr_equal(h, h2); /* stable */
    lsql_conn *c2 = ct_connect(lsql_conn_db(c));
    void *h3 = NULL;
    assert_ok(lsql_conn_native_handle(c2, &h3));
    assert_non_null(h3);
    assert_ptr_not_equal(h, h3); /* one per connection */
    lsql_conn_close(c2);
    assert_rc(LSQL_INVALID_ARG, lsql_conn_native_handle(c, NULL));
    /* MEMORY mode has one too */
    lsql_db *mdb;
    lsql_conn *mc;
    ct_target_memory(&mdb, &mc);
    h = NULL;
    assert_ok(lsql_conn_native_handle(mc, &h));
    assert_non_null(h);
    lsql_db_close(mdb);
}

static void versions(void **state)
{
    (void)state;
    assert_non_null(lsql_libversion());
    assert_string_equal(lsql_libversion(), LSQL_VERSION);
    assert_int_equal(lsql_libversion_number(), LSQL_VERSION_NUM);
    char buf[32];
    snprintf(buf, sizeof buf, "%d.%d.%d", (lsql_libversion_number() >> 16) & 0xff,
             (lsql_libversion_number() >> 8) & 0xff, lsql_libversion_number() & 0xff);
    assert_string_equal(buf, lsql_libversion());
    assert_true(LSQL_AT_LEAST_VERSION(LSQL_VERSION_MAJOR, LSQL_VERSION_MINOR, LSQL_VERSION_PATCH));
    assert_false(LSQL_AT_LEAST_VERSION(LSQL_VERSION_MAJOR, LSQL_VERSION_MINOR,
                                       LSQL_VERSION_PATCH + 1));
    assert_int_equal(lsql_threadsafe(), 1);
}

static void value_helpers(void **state)
{
    (void)state;
    const char *s = "hello";
    lsql_value v = lsql_text_z(s);
    assert_int_equal(v.type, LSQL_TYPE_TEXT);
    assert_ptr_equal(v.u.bytes.p, s); /* borrows */
    assert_int_equal(v.u.bytes.n, 5);
    v = lsql_text_z("");
    assert_int_equal(v.type, LSQL_TYPE_TEXT);
    assert_int_equal(v.u.bytes.n, 0);
    v = lsql_null();
    assert_int_equal(v.type, LSQL_TYPE_NULL);
    v = lsql_int(-5);
    assert_int_equal(v.type, LSQL_TYPE_INTEGER);
    assert_true(v.u.i == -5);
    v = lsql_float(0.5);
    assert_int_equal(v.type, LSQL_TYPE_FLOAT);
    assert_true(v.u.d == 0.5);
    v = lsql_blob("ab", 2);
    assert_int_equal(v.type, LSQL_TYPE_BLOB);
    assert_int_equal(v.u.bytes.n, 2);
    /* release */
    lsql_value_release(NULL);
    v = lsql_int(3);
    lsql_value_release(&v); /* nothing owned: just reset */
    assert_int_equal(v.type, LSQL_TYPE_NULL);
    lsql_db *db;
    lsql_conn *c;
    ct_target_memory(&db, &c);
    lsql_error e;
    assert_ok(lsql_query_value(c, "SELECT 'owned text'", NULL, 0, &v, &e));
    lsql_value_release(&v); /* ASan: freed */
    assert_int_equal(v.type, LSQL_TYPE_NULL);
    lsql_value_release(&v); /* twice is harmless once reset */
    assert_ok(lsql_query_value(c, "SELECT x'0001'", NULL, 0, &v, &e));
    lsql_value_release(&v);
    assert_int_equal(v.type, LSQL_TYPE_NULL);
    lsql_db_close(db);
}

static void malloc_and_free(void **state)
{
    (void)state;
    char *p = lsql_malloc(64);
    assert_non_null(p);
    memset(p, 1, 64);
    lsql_free(p);
    lsql_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(last_insert_rowid, setup, teardown),
        cmocka_unit_test_setup_teardown(changes_and_total, setup, teardown),
        cmocka_unit_test_setup_teardown(autocommit_and_txn_state, setup, teardown),
        cmocka_unit_test_setup_teardown(conn_close_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(native_handle, setup, teardown),
        cmocka_unit_test(versions),
        cmocka_unit_test_teardown(value_helpers, ct_target_teardown),
        cmocka_unit_test(malloc_and_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
