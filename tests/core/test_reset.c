/* test_reset.c -- lsql_conn_reset: open transactions rolled back (handle or
 * BEGIN statement) with their handles finished, READ_ONLY's query_only
 * restored, statements reset with bindings cleared, rows handles and cursors
 * ended, read snapshots released, TEMP objects dropped, statement cache
 * kept, last error cleared; and the fast path: a clean connection's reset
 * runs no SQL, yet TEMP objects are dropped whoever created them (lsql, the
 * native handle, statements prepared or cached before a reset). */
#include "coretest.h"

#include <sqlite3.h>

static char g_path[1024];

typedef struct {
    lsql_db *db;
    lsql_conn *c;
} fx;

static int setup(void **state)
{
    static fx f;
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = ct_path("reset", g_path, sizeof g_path);
    f.db = ct_open(&o);
    f.c = ct_connect(f.db);
    tu_exec(f.c, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
    tu_exec(f.c, "INSERT INTO t(v) VALUES ('a'), ('b'), ('c')");
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    assert_ok(lsql_db_close(f->db));
    tu_db_remove(g_path);
    return 0;
}

static int autocommit(lsql_conn *c)
{
    int ac = -1;
    assert_ok(lsql_is_autocommit(c, &ac));
    return ac;
}

static int txn_state(lsql_conn *c)
{
    int s = -1;
    assert_ok(lsql_txn_state(c, &s));
    return s;
}

static void rolls_back(void **state)
{
    fx *f = *state;
    lsql_txn *t;
    lsql_error e;
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_IMMEDIATE, &t, NULL));
    tu_exec(f->c, "INSERT INTO t(v) VALUES ('gone')");
    ct_expect(LSQL_OK, &e, lsql_conn_reset(f->c, &e));
    assert_int_equal(autocommit(f->c), 1);
    assert_int_equal(ct_int(f->c, "SELECT count(*) FROM t"), 3);
    /* the handle is finished, cleanly */
    assert_int_equal(lsql_txn_active(t), 0);
    ct_expect(LSQL_TXN_DONE, &e, lsql_commit(f->c, t, &e));
    assert_non_null(strstr(e.message, "lsql_conn_reset"));
    ct_expect(LSQL_TXN_DONE, &e, lsql_savepoint(f->c, t, "sp", &e));
    /* a new transaction begins; the old handle is freed without effect */
    lsql_txn *t2;
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_DEFERRED, &t2, NULL));
    tu_exec(f->c, "INSERT INTO t(v) VALUES ('kept')");
    assert_ok(lsql_txn_free(t));
    assert_int_equal(lsql_txn_active(t2), 1);
    assert_ok(lsql_commit(f->c, t2, NULL));
    assert_ok(lsql_txn_free(t2));
    assert_int_equal(ct_int(f->c, "SELECT count(*) FROM t"), 4);

    /* a transaction opened with a BEGIN statement, with savepoints */
    tu_exec(f->c, "BEGIN");
    tu_exec(f->c, "SAVEPOINT s");
    tu_exec(f->c, "DELETE FROM t");
    ct_expect(LSQL_OK, &e, lsql_conn_reset(f->c, &e));
    assert_int_equal(autocommit(f->c), 1);
    assert_int_equal(ct_int(f->c, "SELECT count(*) FROM t"), 4);
}

static void read_only_restored(void **state)
{
    fx *f = *state;
    lsql_txn *t;
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_READ_ONLY, &t, NULL));
    assert_int_equal(ct_int(f->c, "PRAGMA query_only"), 1);
    assert_ok(lsql_conn_reset(f->c, NULL));
    assert_int_equal(ct_int(f->c, "PRAGMA query_only"), 0);
    tu_exec(f->c, "INSERT INTO t(v) VALUES ('w')");
    assert_ok(lsql_txn_free(t));
    /* a READ_ONLY transaction ended behind lsql's back is restored too */
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_READ_ONLY, &t, NULL));
    tu_exec(f->c, "ROLLBACK");
    assert_ok(lsql_conn_reset(f->c, NULL));
    tu_exec(f->c, "INSERT INTO t(v) VALUES ('w2')");
    assert_ok(lsql_txn_free(t));
}

static void statements_rows_cursors(void **state)
{
    fx *f = *state;
    /* a prepared statement in the middle of its rows, with a binding */
    lsql_stmt *st;
    assert_ok(lsql_prepare(f->c, "SELECT v, ?1 FROM t ORDER BY id", -1, 0, &st, NULL, NULL));
    assert_ok(lsql_bind_int64(st, 1, 42));
    assert_rc(LSQL_ROW, lsql_step(st, NULL));
    assert_rc(LSQL_ROW, lsql_step(st, NULL));
    assert_string_equal(lsql_column_text(st, 0, NULL), "b");
    /* a rows handle in the middle of its rows */
    lsql_rows *rows;
    assert_ok(lsql_query(f->c, "SELECT id FROM t ORDER BY id", NULL, 0, &rows, NULL));
    assert_rc(LSQL_ROW, lsql_rows_next(rows, NULL));
    /* a cursor in the middle of its rows */
    lsql_cursor *cur;
    const lsql_rowset *pg;
    assert_ok(lsql_cursor_open(f->c, "SELECT id FROM t", NULL, 0, &cur, NULL));
    assert_rc(LSQL_ROW, lsql_cursor_fetch(cur, 1, &pg, NULL));
    /* all of them hold a read snapshot */
    assert_int_equal(txn_state(f->c), LSQL_TXN_READ);

    lsql_error e;
    ct_expect(LSQL_OK, &e, lsql_conn_reset(f->c, &e));
    assert_int_equal(txn_state(f->c), LSQL_TXN_NONE); /* released */

    /* the statement starts over, with its binding cleared */
    assert_rc(LSQL_ROW, lsql_step(st, NULL));
    assert_string_equal(lsql_column_text(st, 0, NULL), "a");
    assert_int_equal(lsql_column_type(st, 1), LSQL_TYPE_NULL);
    lsql_finalize(st);
    /* the rows handle and the cursor are ended, and can still be freed */
    ct_expect(LSQL_MISUSE_STATE, &e, lsql_rows_next(rows, &e));
    assert_rc(LSQL_MISUSE_STATE, lsql_rows_next(rows, NULL));
    lsql_rows_free(rows);
    ct_expect(LSQL_MISUSE_STATE, &e, lsql_cursor_fetch(cur, 1, &pg, &e));
    assert_non_null(strstr(e.message, "reset"));
    assert_int_equal(lsql_rowset_count(pg), 0);
    assert_ok(lsql_cursor_close(cur));
    /* an exhausted cursor keeps answering DONE */
    assert_ok(lsql_cursor_open(f->c, "SELECT 1", NULL, 0, &cur, NULL));
    assert_rc(LSQL_ROW, lsql_cursor_fetch(cur, 5, &pg, NULL));
    assert_rc(LSQL_DONE, lsql_cursor_fetch(cur, 5, &pg, NULL));
    assert_ok(lsql_conn_reset(f->c, NULL));
    assert_rc(LSQL_DONE, lsql_cursor_fetch(cur, 5, &pg, NULL));
    assert_ok(lsql_cursor_close(cur));
}

static void temp_objects(void **state)
{
    fx *f = *state;
    tu_exec(f->c, "CREATE TEMP TABLE tt(x)");
    tu_exec(f->c, "CREATE INDEX temp.tt_x ON tt(x)");
    tu_exec(f->c, "CREATE TEMP TABLE \"we\"\"ird name\"(x)");
    tu_exec(f->c, "CREATE TEMP VIEW tv AS SELECT * FROM t");
    tu_exec(f->c, "CREATE TEMP TRIGGER ttr AFTER INSERT ON t BEGIN SELECT 1; END");
    tu_exec(f->c, "CREATE TABLE main_kept(x)");
    tu_exec(f->c, "CREATE VIEW main_view AS SELECT 1");
    /* a temp table shadowing a main one */
    tu_exec(f->c, "CREATE TEMP TABLE t(other)");
    assert_int_equal(ct_int(f->c, "SELECT count(*) FROM temp.sqlite_schema"), 6);
    lsql_error e;
    ct_expect(LSQL_OK, &e, lsql_conn_reset(f->c, &e));
    assert_int_equal(ct_int(f->c, "SELECT count(*) FROM temp.sqlite_schema"), 0);
    assert_int_equal(ct_int(f->c, "SELECT count(*) FROM sqlite_schema WHERE name IN "
                                  "('main_kept', 'main_view', 't')"),
                     3);
    /* "t" is the main table again */
    assert_int_equal(ct_int(f->c, "SELECT count(*) FROM t"), 3);
    /* other connections never saw any of it */
    lsql_conn *c2 = ct_connect(f->db);
    assert_int_equal(ct_int(c2, "SELECT count(*) FROM sqlite_schema WHERE name = 'main_kept'"), 1);
    lsql_conn_close(c2);
}

static void cache_kept(void **state)
{
    fx *f = *state;
    const char *sql = "SELECT v FROM t WHERE id = ?";
    lsql_param p[] = {{NULL, lsql_int(1)}};
    lsql_value v;
    assert_ok(lsql_query_value(f->c, sql, p, 1, &v, NULL));
    lsql_value_release(&v);
    lsql_cache_stats s0, s1;
    s0.struct_size = s1.struct_size = sizeof s0;
    assert_ok(lsql_stmt_cache_stats(f->c, &s0));
    assert_true(s0.size > 0);
    assert_ok(lsql_conn_reset(f->c, NULL));
    assert_ok(lsql_stmt_cache_stats(f->c, &s1));
    /* the reset itself may add a few statements, it removes none */
    assert_true(s1.size >= s0.size);
    assert_ok(lsql_query_value(f->c, sql, p, 1, &v, NULL));
    lsql_value_release(&v);
    lsql_cache_stats s2;
    s2.struct_size = sizeof s2;
    assert_ok(lsql_stmt_cache_stats(f->c, &s2));
    assert_int_equal(s2.hits, s1.hits + 1);
    assert_int_equal(s2.misses, s1.misses);
}

static void misc(void **state)
{
    fx *f = *state;
    lsql_error e;
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_conn_reset(NULL, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_conn_reset((lsql_conn *)(void *)&e, &e));
    /* the last error is cleared */
    assert_rc(LSQL_ERROR, lsql_exec(f->c, "SELEC", NULL, 0, NULL, NULL));
    assert_int_equal(lsql_conn_errcode(f->c), LSQL_ERROR);
    assert_ok(lsql_conn_reset(f->c, NULL));
    assert_int_equal(lsql_conn_errcode(f->c), 0);
    assert_string_equal(lsql_conn_errmsg(f->c), "");
    /* a clean connection: a no-op, any number of times */
    for (int i = 0; i < 3; i++)
        ct_expect(LSQL_OK, &e, lsql_conn_reset(f->c, &e));
    assert_int_equal(ct_int(f->c, "SELECT count(*) FROM t"), 3);
}


/* Statements taken from the cache (hits + misses): a reset that runs no SQL
 * leaves them unchanged. */
static uint64_t cache_uses(lsql_conn *c)
{
    lsql_cache_stats cs;
    memset(&cs, 0, sizeof cs);
    cs.struct_size = sizeof cs;
    assert_ok(lsql_stmt_cache_stats(c, &cs));
    return cs.hits + cs.misses;
}

static int temp_count(lsql_conn *c)
{
    return (int)ct_int(c, "SELECT count(*) FROM temp.sqlite_schema");
}

/* Resets, and checks that a second reset finds nothing to do. */
static void reset_then_clean(lsql_conn *c)
{
    lsql_error e;
    ct_expect(LSQL_OK, &e, lsql_conn_reset(c, &e));
    assert_int_equal(temp_count(c), 0);
    uint64_t u = cache_uses(c);
    ct_expect(LSQL_OK, &e, lsql_conn_reset(c, &e));
    assert_int_equal(cache_uses(c), u);
}

static void fast_path_clean(void **state)
{
    fx *f = *state;
    /* never used TEMP: no query at all, any number of times */
    uint64_t u = cache_uses(f->c);
    for (int i = 0; i < 3; i++)
        assert_ok(lsql_conn_reset(f->c, NULL));
    assert_int_equal(cache_uses(f->c), u);
    /* reads and writes of main tables, a committed transaction, a rows
     * handle freed: still clean */
    tu_exec(f->c, "INSERT INTO t(v) VALUES ('d')");
    lsql_txn *t;
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_IMMEDIATE, &t, NULL));
    tu_exec(f->c, "UPDATE t SET v = v || '!' WHERE id = 1");
    assert_ok(lsql_commit(f->c, t, NULL));
    assert_ok(lsql_txn_free(t));
    assert_int_equal(ct_int(f->c, "SELECT count(*) FROM t"), 4);
    u = cache_uses(f->c);
    assert_ok(lsql_conn_reset(f->c, NULL));
    assert_int_equal(cache_uses(f->c), u);
    /* after a TEMP object was dropped, the connection is clean again */
    tu_exec(f->c, "CREATE TEMP TABLE scratch(x)");
    tu_exec(f->c, "INSERT INTO scratch VALUES (1)");
    reset_then_clean(f->c);
    /* reading TEMP's (empty) schema keeps it clean */
    assert_int_equal(temp_count(f->c), 0);
    u = cache_uses(f->c);
    assert_ok(lsql_conn_reset(f->c, NULL));
    assert_int_equal(cache_uses(f->c), u);
}

static void fast_path_temp_kinds(void **state)
{
    fx *f = *state;
    /* qualified names instead of TEMP */
    tu_exec(f->c, "CREATE TABLE temp.q(x)");
    reset_then_clean(f->c);
    tu_exec(f->c, "CREATE TEMP TABLE base(x)");
    reset_then_clean(f->c);
    tu_exec(f->c, "CREATE VIEW temp.qv AS SELECT 1");
    reset_then_clean(f->c);
    /* a TEMP trigger on a main table only */
    tu_exec(f->c, "CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END");
    reset_then_clean(f->c);
    /* created by a script and by a batch step */
    lsql_batch_result *r = NULL;
    assert_ok(lsql_script_run(f->c, "CREATE TEMP TABLE s1(x); CREATE TEMP VIEW s2 AS SELECT 2",
                              0, &r, NULL));
    lsql_batch_result_free(r);
    assert_int_equal(temp_count(f->c), 2);
    reset_then_clean(f->c);
    /* created in a transaction left open: rolled back, nothing to drop */
    tu_exec(f->c, "BEGIN");
    tu_exec(f->c, "CREATE TEMP TABLE in_txn(x)");
    reset_then_clean(f->c);
    assert_int_equal(ct_int(f->c, "SELECT count(*) FROM t"), 3);
}

static void fast_path_native_handle(void **state)
{
    fx *f = *state;
    void *native = NULL;
    assert_ok(lsql_conn_native_handle(f->c, &native));
    sqlite3 *db = native;
    /* a clean reset first, so TEMP is open and its state recorded */
    tu_exec(f->c, "CREATE TEMP TABLE first(x)");
    reset_then_clean(f->c);
    assert_int_equal(sqlite3_exec(db, "CREATE TEMP TABLE nat(x); INSERT INTO nat VALUES (1)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    reset_then_clean(f->c);
    /* a statement prepared on the native handle before the reset and run
     * after it */
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "CREATE TEMP TABLE late(x)", -1, &st, NULL),
                     SQLITE_OK);
    assert_ok(lsql_conn_reset(f->c, NULL));
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    assert_int_equal(temp_count(f->c), 1);
    reset_then_clean(f->c);
    /* TEMP moved to another store (SQLite closes and reopens TEMP): the
     * fast path is off from then on, objects made after it are dropped */
    assert_int_equal(sqlite3_exec(db, "PRAGMA temp_store = FILE", NULL, NULL, NULL), SQLITE_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(sqlite3_exec(db, "CREATE TEMP TABLE f1(x); CREATE TEMP TABLE f2(x)",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
        assert_ok(lsql_conn_reset(f->c, NULL));
        assert_int_equal(temp_count(f->c), 0);
    }
}

static void fast_path_stale_statements(void **state)
{
    fx *f = *state;
    /* a user statement prepared before a (clean) reset, run after it */
    lsql_stmt *st;
    assert_ok(lsql_prepare(f->c, "CREATE TEMP TABLE later(x)", -1, 0, &st, NULL, NULL));
    assert_ok(lsql_conn_reset(f->c, NULL));
    assert_rc(LSQL_DONE, lsql_step(st, NULL));
    assert_ok(lsql_finalize(st));
    assert_int_equal(temp_count(f->c), 1);
    reset_then_clean(f->c);
    /* a cached statement: prepared once, then taken from the cache after
     * each reset */
    for (int i = 0; i < 3; i++) {
        tu_exec(f->c, "CREATE TEMP TABLE IF NOT EXISTS cached(x)");
        assert_int_equal(temp_count(f->c), 1);
        reset_then_clean(f->c);
    }
    /* a cached INSERT into a TEMP table that is created again each time */
    for (int i = 0; i < 3; i++) {
        tu_exec(f->c, "CREATE TEMP TABLE IF NOT EXISTS cached(x)");
        tu_exec(f->c, "INSERT INTO cached VALUES (1)");
        assert_int_equal(ct_int(f->c, "SELECT count(*) FROM cached"), 1);
        reset_then_clean(f->c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(read_only_restored, setup, teardown),
        cmocka_unit_test_setup_teardown(statements_rows_cursors, setup, teardown),
        cmocka_unit_test_setup_teardown(temp_objects, setup, teardown),
        cmocka_unit_test_setup_teardown(cache_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(misc, setup, teardown),
        cmocka_unit_test_setup_teardown(fast_path_clean, setup, teardown),
        cmocka_unit_test_setup_teardown(fast_path_temp_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(fast_path_native_handle, setup, teardown),
        cmocka_unit_test_setup_teardown(fast_path_stale_statements, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
