/* test_savepoint.c -- savepoints: nesting, release, rollback-to, repeated
 * and case-different names, name validation (nothing is run for a bad
 * name), unknown names, misuse across connections and finished handles. */
#include "target.h"

static char g_path[1024];

typedef struct {
    lsql_db *db;
    lsql_conn *c;
    lsql_txn *t;
} fx;

static int setup(void **state)
{
    static fx f;
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = ct_path("savepoint", g_path, sizeof g_path);
    f.db = ct_target_open(&o);
    f.c = ct_connect(f.db);
    tu_exec(f.c, "CREATE TABLE t(x INTEGER)");
    assert_ok(lsql_begin(f.c, LSQL_BEGIN_DEFERRED, &f.t, NULL));
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    lsql_txn_free(f->t);
    assert_ok(lsql_db_close(f->db));
    ct_target_cleanup();
    tu_db_remove(g_path);
    return 0;
}

static void ins(lsql_conn *c, int x)
{
    lsql_param p[] = {{NULL, lsql_int(x)}};
    assert_ok(lsql_exec(c, "INSERT INTO t VALUES (?)", p, 1, NULL, NULL));
}

/* The rows of t as a number: 1,2,3 -> 123. */
static int64_t digits(lsql_conn *c)
{
    return ct_int(c, "SELECT coalesce(group_concat(x, ''), 0) + 0 FROM (SELECT x FROM t ORDER BY x)");
}

static void nested(void **state)
{
    fx *f = *state;
    lsql_error e;
    ins(f->c, 1);
    ct_expect(LSQL_OK, &e, lsql_savepoint(f->c, f->t, "a", &e));
    ins(f->c, 2);
    ct_expect(LSQL_OK, &e, lsql_savepoint(f->c, f->t, "b", &e));
    ins(f->c, 3);
    assert_int_equal(lsql_txn_savepoints(f->t), 2);
    assert_int_equal(digits(f->c), 123);
    ct_expect(LSQL_OK, &e, lsql_savepoint_rollback(f->c, f->t, "b", &e));
    assert_int_equal(digits(f->c), 12);
    assert_int_equal(lsql_txn_savepoints(f->t), 2); /* b stays open */
    ins(f->c, 4);
    ct_expect(LSQL_OK, &e, lsql_savepoint_rollback(f->c, f->t, "a", &e));
    assert_int_equal(digits(f->c), 1);
    assert_int_equal(lsql_txn_savepoints(f->t), 1); /* b is gone, a stays */
    ct_expect(LSQL_TXN_SAVEPOINT, &e, lsql_savepoint_release(f->c, f->t, "b", &e));
    assert_non_null(strstr(e.message, "'b'"));
    ins(f->c, 5);
    ct_expect(LSQL_OK, &e, lsql_savepoint_release(f->c, f->t, "a", &e));
    assert_int_equal(lsql_txn_savepoints(f->t), 0);
    /* releasing keeps the changes in the transaction; commit keeps them */
    assert_int_equal(lsql_txn_active(f->t), 1);
    assert_ok(lsql_commit(f->c, f->t, NULL));
    assert_int_equal(digits(f->c), 15);
}

static void release_many_and_rollback_all(void **state)
{
    fx *f = *state;
    static const char *const names[] = {"s1", "s2", "s3", "s4"};
    for (int i = 0; i < 4; i++) {
        assert_ok(lsql_savepoint(f->c, f->t, names[i], NULL));
        ins(f->c, i + 1);
    }
    assert_int_equal(lsql_txn_savepoints(f->t), 4);
    /* releasing s2 releases s3 and s4 too */
    assert_ok(lsql_savepoint_release(f->c, f->t, "s2", NULL));
    assert_int_equal(lsql_txn_savepoints(f->t), 1);
    assert_rc(LSQL_TXN_SAVEPOINT, lsql_savepoint_rollback(f->c, f->t, "s3", NULL));
    assert_int_equal(digits(f->c), 1234);
    /* rolling back the transaction undoes released savepoints' work */
    assert_ok(lsql_rollback(f->c, f->t, NULL));
    assert_int_equal(digits(f->c), 0);
    assert_int_equal(lsql_txn_savepoints(f->t), 0);
    lsql_error e;
    ct_expect(LSQL_TXN_DONE, &e, lsql_savepoint(f->c, f->t, "late", &e));
    ct_expect(LSQL_TXN_DONE, &e, lsql_savepoint_release(f->c, f->t, "s1", &e));
    ct_expect(LSQL_TXN_DONE, &e, lsql_savepoint_rollback(f->c, f->t, "s1", &e));
}

static void repeated_and_case(void **state)
{
    fx *f = *state;
    assert_ok(lsql_savepoint(f->c, f->t, "x", NULL));
    ins(f->c, 1);
    assert_ok(lsql_savepoint(f->c, f->t, "x", NULL));
    ins(f->c, 2);
    /* the most recent "x" */
    assert_ok(lsql_savepoint_rollback(f->c, f->t, "x", NULL));
    assert_int_equal(digits(f->c), 1);
    assert_ok(lsql_savepoint_release(f->c, f->t, "x", NULL));
    assert_int_equal(lsql_txn_savepoints(f->t), 1);
    assert_ok(lsql_savepoint_rollback(f->c, f->t, "X", NULL)); /* case-insensitive */
    assert_int_equal(digits(f->c), 0);
    assert_ok(lsql_savepoint(f->c, f->t, "Mixed_Case_9", NULL));
    assert_ok(lsql_savepoint_release(f->c, f->t, "mixed_case_9", NULL));
    assert_int_equal(lsql_txn_savepoints(f->t), 1);
    /* SQL keywords are fine: names are quoted */
    assert_ok(lsql_savepoint(f->c, f->t, "select", NULL));
    assert_ok(lsql_savepoint(f->c, f->t, "_", NULL));
    assert_ok(lsql_savepoint_release(f->c, f->t, "SELECT", NULL));
    assert_int_equal(lsql_txn_savepoints(f->t), 1);
}

static void bad_names(void **state)
{
    fx *f = *state;
    lsql_error e;
    static const char *const bad[] = {"",   "1abc", "a-b",        "a b", "x\"y", "sp;",
                                      "é",  "a.b",  "; DROP TABLE t --", "'q'"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ct_expect(LSQL_INVALID_NAME, &e, lsql_savepoint(f->c, f->t, bad[i], &e));
        ct_expect(LSQL_INVALID_NAME, &e, lsql_savepoint_release(f->c, f->t, bad[i], &e));
        ct_expect(LSQL_INVALID_NAME, &e, lsql_savepoint_rollback(f->c, f->t, bad[i], &e));
    }
    ct_expect(LSQL_INVALID_NAME, &e, lsql_savepoint(f->c, f->t, NULL, &e));
    /* 128 bytes is the limit */
    char name[200];
    memset(name, 'n', sizeof name);
    name[128] = 0;
    ct_expect(LSQL_OK, &e, lsql_savepoint(f->c, f->t, name, &e));
    ct_expect(LSQL_OK, &e, lsql_savepoint_release(f->c, f->t, name, &e));
    name[128] = 'n';
    name[129] = 0;
    ct_expect(LSQL_INVALID_NAME, &e, lsql_savepoint(f->c, f->t, name, &e));
    assert_non_null(strstr(e.message, "..."));
    /* nothing was run: the table is still there, no savepoint is open */
    assert_int_equal(lsql_txn_savepoints(f->t), 0);
    assert_int_equal(ct_int(f->c, "SELECT count(*) FROM t"), 0);
    assert_int_equal(lsql_txn_active(f->t), 1);
}

static void unknown_and_misuse(void **state)
{
    fx *f = *state;
    lsql_error e;
    ct_expect(LSQL_TXN_SAVEPOINT, &e, lsql_savepoint_release(f->c, f->t, "nope", &e));
    ct_expect(LSQL_TXN_SAVEPOINT, &e, lsql_savepoint_rollback(f->c, f->t, "nope", &e));
    assert_ok(lsql_savepoint(f->c, f->t, "sp", NULL));
    lsql_conn *c2 = ct_connect(f->db);
    ct_expect(LSQL_MISUSE_CONN, &e, lsql_savepoint(c2, f->t, "sp2", &e));
    ct_expect(LSQL_MISUSE_CONN, &e, lsql_savepoint_release(c2, f->t, "sp", &e));
    ct_expect(LSQL_MISUSE_CONN, &e, lsql_savepoint_rollback(c2, f->t, "sp", &e));
    assert_int_equal(lsql_txn_savepoints(f->t), 1);
    /* c2's own transaction is no substitute */
    lsql_txn *t2;
    assert_ok(lsql_begin(c2, LSQL_BEGIN_DEFERRED, &t2, NULL));
    ct_expect(LSQL_MISUSE_CONN, &e, lsql_savepoint(f->c, t2, "sp", &e));
    ct_expect(LSQL_MISUSE_CONN, &e, lsql_savepoint(c2, f->t, "sp", &e));
    assert_ok(lsql_savepoint(c2, t2, "sp", NULL));
    lsql_txn_free(t2);
    lsql_conn_close(c2);
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_savepoint(f->c, NULL, "sp", &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_savepoint(NULL, f->t, "sp", &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_savepoint_release(f->c, NULL, "sp", &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_savepoint_rollback(NULL, NULL, "sp", &e));
    assert_int_equal(lsql_txn_savepoints(f->t), 1);
}

/* Savepoints work in a READ_ONLY transaction (they write nothing). */
static void in_read_only(void **state)
{
    fx *f = *state;
    assert_ok(lsql_rollback(f->c, f->t, NULL));
    lsql_txn_free(f->t);
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_READ_ONLY, &f->t, NULL));
    assert_ok(lsql_savepoint(f->c, f->t, "r", NULL));
    assert_rc(LSQL_READONLY_TXN, lsql_exec(f->c, "INSERT INTO t VALUES (1)", NULL, 0, NULL, NULL));
    assert_ok(lsql_savepoint_rollback(f->c, f->t, "r", NULL));
    assert_ok(lsql_savepoint_release(f->c, f->t, "r", NULL));
    assert_ok(lsql_commit(f->c, f->t, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(nested, setup, teardown),
        cmocka_unit_test_setup_teardown(release_many_and_rollback_all, setup, teardown),
        cmocka_unit_test_setup_teardown(repeated_and_case, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_names, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_and_misuse, setup, teardown),
        cmocka_unit_test_setup_teardown(in_read_only, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
