/* test_reset.c -- lsql_conn_reset: open transactions rolled back (handle or
 * BEGIN statement) with their handles finished, READ_ONLY's query_only
 * restored, statements reset with bindings cleared, rows handles and cursors
 * ended, read snapshots released, TEMP objects dropped, statement cache
 * kept, last error cleared. */
#include "coretest.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(read_only_restored, setup, teardown),
        cmocka_unit_test_setup_teardown(statements_rows_cursors, setup, teardown),
        cmocka_unit_test_setup_teardown(temp_objects, setup, teardown),
        cmocka_unit_test_setup_teardown(cache_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(misc, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
