/* test_stmt.c -- prepared statements: prepare / step / reset / finalize,
 * tails, columns, exec_stmt / query_stmt, state and handle checks, and the
 * statement classifier. */
#include "target.h"

static int setup(void **state)
{
    lsql_db *db;
    lsql_conn *c;
    ct_target_memory(&db, &c);
    tu_exec(c, "CREATE TABLE t(a INTEGER, b TEXT)");
    tu_exec(c, "INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three')");
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    lsql_conn *c = *state;
    lsql_db_close(lsql_conn_db(c));
    ct_target_cleanup();
    return 0;
}

static lsql_stmt *prep(lsql_conn *c, const char *sql, unsigned flags)
{
    lsql_stmt *st = NULL;
    lsql_error e;
    int rc = lsql_prepare(c, sql, -1, flags, &st, NULL, &e);
    if (rc != LSQL_OK)
        fail_msg("prepare '%s': %s (%s)", sql, lsql_errname(rc), e.message);
    assert_non_null(st);
    return st;
}

/* ---- prepare / step / reset / finalize --------------------------------------- */

static void prepare_step_reset(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    lsql_stmt *st = (lsql_stmt *)(void *)&st;
    ct_expect(LSQL_OK, &e, lsql_prepare(c, "SELECT a, b FROM t WHERE a >= ? ORDER BY a", -1, 0, &st, NULL, &e));
    assert_non_null(st);
    assert_ptr_equal(lsql_stmt_conn(st), c);
    assert_non_null(strstr(lsql_stmt_sql(st), "SELECT a, b FROM t"));
    assert_ok(lsql_bind_int64(st, 1, 2));
    ct_expect(LSQL_ROW, &e, lsql_step(st, &e));
    assert_int_equal(lsql_column_int64(st, 0), 2);
    assert_string_equal(lsql_column_text(st, 1, NULL), "two");
    ct_expect(LSQL_ROW, &e, lsql_step(st, &e));
    assert_int_equal(lsql_column_int64(st, 0), 3);
    ct_expect(LSQL_DONE, &e, lsql_step(st, &e));
    /* reset keeps the bindings */
    assert_ok(lsql_reset(st));
    ct_expect(LSQL_ROW, &e, lsql_step(st, &e));
    assert_int_equal(lsql_column_int64(st, 0), 2);
    /* reset mid-way, then clear_bindings: the parameter is NULL */
    assert_ok(lsql_reset(st));
    assert_ok(lsql_clear_bindings(st));
    ct_expect(LSQL_DONE, &e, lsql_step(st, &e)); /* a >= NULL matches nothing */
    assert_ok(lsql_reset(st));
    assert_ok(lsql_bind_int64(st, 1, 3));
    ct_expect(LSQL_ROW, &e, lsql_step(st, &e));
    assert_int_equal(lsql_column_int64(st, 0), 3);
    assert_ok(lsql_finalize(st));
}

static void prepare_errors(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    lsql_stmt *st = (lsql_stmt *)(void *)&st;
    const char *sql = "SELECT a FROM t WHERE a = = 1";
    ct_expect(LSQL_ERROR, &e, lsql_prepare(c, sql, -1, 0, &st, NULL, &e));
    assert_null(st);
    ct_check_offset(e.offset, (int)(strstr(sql, "= 1") - sql));
    assert_int_equal(lsql_conn_errcode(c), LSQL_ERROR);
    st = (lsql_stmt *)(void *)&st;
    ct_expect(LSQL_ERROR, &e, lsql_prepare(c, "SELECT nosuchcol FROM t", -1, 0, &st, NULL, &e));
    assert_null(st);
    ct_check_offset(e.offset, 7);
    ct_expect(LSQL_INVALID_ARG, &e, lsql_prepare(c, NULL, -1, 0, &st, NULL, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_prepare(c, "SELECT 1", -1, 0, NULL, NULL, &e));
    st = (lsql_stmt *)(void *)&st;
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_prepare(NULL, "SELECT 1", -1, 0, &st, NULL, &e));
    assert_null(st);
}

static void tail_pointer(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    const char *script = "SELECT 1; SELECT 2 ;\n SELECT 3 -- last\n";
    const char *p = script, *tail = NULL;
    int64_t got[4] = {0};
    int n = 0;
    for (;;) {
        lsql_stmt *st = NULL;
        ct_expect(LSQL_OK, &e, lsql_prepare(c, p, -1, LSQL_PREPARE_ALLOW_EMPTY, &st, &tail, &e));
        assert_true(tail >= p && tail <= script + strlen(script));
        if (!st)
            break;
        assert_true(n < 4);
        assert_rc(LSQL_ROW, lsql_step(st, &e));
        got[n++] = lsql_column_int64(st, 0);
        /* the statement's SQL is only its own text */
        const char *own = strstr(lsql_stmt_sql(st), "SELECT");
        assert_non_null(own);
        assert_null(strstr(own + 1, "SELECT"));
        lsql_finalize(st);
        assert_true(tail > p);
        p = tail;
    }
    assert_int_equal(n, 3);
    assert_int_equal(got[0], 1);
    assert_int_equal(got[1], 2);
    assert_int_equal(got[2], 3);
    /* the first tail points just past the first statement */
    lsql_stmt *st;
    assert_ok(lsql_prepare(c, script, -1, 0, &st, &tail, &e));
    assert_ptr_equal(tail, strchr(script, ';') + 1);
    assert_null(strstr(lsql_stmt_sql(st), "SELECT 2"));
    lsql_finalize(st);
    /* a single statement: the tail is at its end */
    const char *single = "SELECT 1";
    assert_ok(lsql_prepare(c, single, -1, 0, &st, &tail, &e));
    assert_ptr_equal(tail, single + strlen(single));
    lsql_finalize(st);
}

static void nbytes_limits_the_text(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    const char *sql = "SELECT 41 + 1 garbage that is not SQL";
    lsql_stmt *st;
    const char *tail;
    ct_expect(LSQL_OK, &e, lsql_prepare(c, sql, 13, 0, &st, &tail, &e));
    assert_ptr_equal(tail, sql + 13);
    assert_rc(LSQL_ROW, lsql_step(st, &e));
    assert_int_equal(lsql_column_int64(st, 0), 42);
    lsql_finalize(st);
    st = (lsql_stmt *)(void *)&st;
    ct_expect(LSQL_INVALID_SQL, &e, lsql_prepare(c, sql, 0, 0, &st, NULL, &e));
    assert_null(st);
    ct_expect(LSQL_OK, &e, lsql_prepare(c, sql, 0, LSQL_PREPARE_ALLOW_EMPTY, &st, &tail, &e));
    assert_null(st);
}

static void allow_empty(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    const char *empties[] = {"", "  \n\t", ";;", "-- just a comment", "/* block */ ;"};
    for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
        lsql_stmt *st = (lsql_stmt *)(void *)&st;
        ct_expect(LSQL_INVALID_SQL, &e, lsql_prepare(c, empties[i], -1, 0, &st, NULL, &e));
        assert_null(st);
        st = (lsql_stmt *)(void *)&st;
        ct_expect(LSQL_OK, &e, lsql_prepare(c, empties[i], -1, LSQL_PREPARE_ALLOW_EMPTY, &st, NULL, &e));
        assert_null(st);
        st = (lsql_stmt *)(void *)&st;
        ct_expect(LSQL_OK, &e, lsql_prepare(c, empties[i], -1, LSQL_PREPARE_ALLOW_EMPTY | LSQL_PREPARE_CACHED, &st, NULL, &e));
        assert_null(st);
    }
}

static void reset_does_not_repeat_error(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    tu_exec(c, "CREATE TABLE u(k UNIQUE)");
    lsql_stmt *st = prep(c, "INSERT INTO u VALUES (?)", 0);
    assert_ok(lsql_bind_int64(st, 1, 1));
    ct_expect(LSQL_DONE, &e, lsql_step(st, &e));
    assert_ok(lsql_reset(st));
    ct_expect(LSQL_CONSTRAINT_UNIQUE, &e, lsql_step(st, &e));
    assert_ok(lsql_reset(st)); /* not the step's error */
    assert_ok(lsql_bind_int64(st, 1, 2));
    ct_expect(LSQL_DONE, &e, lsql_step(st, &e));
    lsql_finalize(st);
    assert_int_equal(ct_int(c, "SELECT count(*) FROM u"), 2);
}

/* ---- columns ------------------------------------------------------------------ */

static void column_metadata(void **state)
{
    lsql_conn *c = *state;
    lsql_stmt *st = prep(c, "SELECT a, b AS bee, a + 1, t.b FROM t ORDER BY a", 0);
    /* available right after prepare */
    assert_int_equal(lsql_column_count(st), 4);
    assert_string_equal(lsql_column_name(st, 0), "a");
    assert_string_equal(lsql_column_name(st, 1), "bee");
    assert_string_equal(lsql_column_name(st, 2), "a + 1");
    assert_string_equal(lsql_column_name(st, 3), "b");
    assert_string_equal(lsql_column_decltype(st, 0), "INTEGER");
    assert_string_equal(lsql_column_decltype(st, 1), "TEXT");
    assert_null(lsql_column_decltype(st, 2));
    if (ct_remote()) {
        /* the server does not say where a column comes from: NULL (lsql.h) */
        for (int i = 0; i < 4; i++) {
            assert_null(lsql_column_table(st, i));
            assert_null(lsql_column_origin(st, i));
        }
    } else {
        assert_string_equal(lsql_column_table(st, 0), "t");
        assert_string_equal(lsql_column_table(st, 1), "t");
        assert_null(lsql_column_table(st, 2));
        assert_string_equal(lsql_column_origin(st, 0), "a");
        assert_string_equal(lsql_column_origin(st, 1), "b");
        assert_null(lsql_column_origin(st, 2));
        assert_string_equal(lsql_column_origin(st, 3), "b");
    }
    /* out of range */
    assert_null(lsql_column_name(st, 4));
    assert_null(lsql_column_name(st, -1));
    assert_null(lsql_column_decltype(st, 4));
    assert_null(lsql_column_table(st, 4));
    assert_null(lsql_column_origin(st, -1));
    lsql_finalize(st);
    /* a statement without result columns */
    st = prep(c, "UPDATE t SET a = a", 0);
    assert_int_equal(lsql_column_count(st), 0);
    assert_null(lsql_column_name(st, 0));
    lsql_finalize(st);
}

static void column_value_needs_a_row(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    lsql_stmt *st = prep(c, "SELECT a, b FROM t WHERE a = 1", 0);
    lsql_value v;
    assert_rc(LSQL_MISUSE_STATE, lsql_column_value(st, 0, &v)); /* before the first step */
    assert_int_equal(lsql_column_int64(st, 0), 0);
    assert_null(lsql_column_text(st, 1, NULL));
    ct_expect(LSQL_ROW, &e, lsql_step(st, &e));
    assert_ok(lsql_column_value(st, 0, &v));
    assert_int_equal(v.type, LSQL_TYPE_INTEGER);
    assert_int_equal(v.u.i, 1);
    assert_ok(lsql_column_value(st, 1, &v));
    assert_int_equal(v.type, LSQL_TYPE_TEXT);
    assert_int_equal(v.u.bytes.n, 3);
    assert_string_equal(v.u.bytes.p, "one");
    assert_rc(LSQL_RANGE, lsql_column_value(st, 2, &v));
    assert_rc(LSQL_RANGE, lsql_column_value(st, -1, &v));
    assert_rc(LSQL_INVALID_ARG, lsql_column_value(st, 0, NULL));
    assert_int_equal(lsql_column_type(st, 0), LSQL_TYPE_INTEGER);
    assert_int_equal(lsql_column_type(st, 1), LSQL_TYPE_TEXT);
    assert_true(lsql_column_double(st, 0) == 1.0);
    size_t n = 0;
    assert_string_equal(lsql_column_text(st, 1, &n), "one");
    assert_int_equal(n, 3);
    assert_non_null(lsql_column_blob(st, 1, &n));
    assert_int_equal(n, 3);
    ct_expect(LSQL_DONE, &e, lsql_step(st, &e));
    assert_rc(LSQL_MISUSE_STATE, lsql_column_value(st, 0, &v)); /* after the end */
    assert_ok(lsql_reset(st));
    assert_rc(LSQL_MISUSE_STATE, lsql_column_value(st, 0, &v)); /* after reset */
    lsql_finalize(st);
}

/* ---- exec_stmt / query_stmt ---------------------------------------------------- */

static void exec_stmt_and_query_stmt(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    lsql_stmt *ins = prep(c, "INSERT INTO t VALUES (?, ?)", 0);
    int64_t ch = -1;
    lsql_param p[] = {{NULL, lsql_int(10)}, {NULL, lsql_text_z("ten")}};
    ct_expect(LSQL_OK, &e, lsql_exec_stmt(c, ins, p, 2, &ch, &e));
    assert_int_equal(ch, 1);
    /* runs again (it was reset) */
    p[0].value = lsql_int(11);
    ct_expect(LSQL_OK, &e, lsql_exec_stmt(c, ins, p, 2, &ch, &e));
    assert_int_equal(ch, 1);
    ct_expect(LSQL_PARAM_COUNT, &e, lsql_exec_stmt(c, ins, p, 1, &ch, &e));
    lsql_finalize(ins);
    assert_int_equal(ct_int(c, "SELECT count(*) FROM t WHERE a >= 10"), 2);

    lsql_stmt *sel = prep(c, "SELECT b FROM t WHERE a > :min ORDER BY a", 0);
    lsql_rows *rows;
    lsql_param q[] = {{"min", lsql_int(9)}};
    ct_expect(LSQL_OK, &e, lsql_query_stmt(c, sel, q, 1, &rows, &e));
    assert_int_equal(lsql_rows_column_count(rows), 1);
    ct_expect(LSQL_ROW, &e, lsql_rows_next(rows, &e));
    assert_string_equal(lsql_rows_text(rows, 0, NULL), "ten");
    ct_expect(LSQL_ROW, &e, lsql_rows_next(rows, &e));
    assert_string_equal(lsql_rows_text(rows, 0, NULL), "ten"); /* a = 11 got the same text */
    ct_expect(LSQL_DONE, &e, lsql_rows_next(rows, &e));
    lsql_rows_free(rows);
    /* the statement is usable again after the rows are freed (reset) */
    q[0].value = lsql_int(10);
    ct_expect(LSQL_OK, &e, lsql_query_stmt(c, sel, q, 1, &rows, &e));
    ct_expect(LSQL_ROW, &e, lsql_rows_next(rows, &e));
    assert_string_equal(lsql_rows_text(rows, 0, NULL), "ten");
    lsql_rows_free(rows); /* freed mid-way */
    ct_expect(LSQL_OK, &e, lsql_query_stmt(c, sel, q, 1, &rows, &e));
    ct_expect(LSQL_ROW, &e, lsql_rows_next(rows, &e));
    assert_string_equal(lsql_rows_text(rows, 0, NULL), "ten"); /* from the start */
    lsql_rows_free(rows);
    ct_expect(LSQL_ROW, &e, lsql_step(sel, &e)); /* and steppable directly */
    lsql_finalize(sel);
}

static void query_stmt_params_copied(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    lsql_stmt *st = prep(c, "SELECT ?", 0);
    char *buf = strdup("copied by query_stmt");
    lsql_param p[] = {{NULL, lsql_text_z(buf)}};
    lsql_rows *rows;
    ct_expect(LSQL_OK, &e, lsql_query_stmt(c, st, p, 1, &rows, &e));
    memset(buf, '!', strlen(buf));
    free(buf);
    ct_expect(LSQL_ROW, &e, lsql_rows_next(rows, &e));
    assert_string_equal(lsql_rows_text(rows, 0, NULL), "copied by query_stmt");
    lsql_rows_free(rows);
    lsql_finalize(st);
}

static void wrong_connection(void **state)
{
    lsql_conn *c = *state;
    lsql_conn *c2 = ct_connect(lsql_conn_db(c));
    lsql_db *other_db;
    lsql_conn *c3;
    ct_target_memory(&other_db, &c3);
    lsql_stmt *st = prep(c, "SELECT count(*) FROM t", 0);
    lsql_error e;
    lsql_rows *rows = (lsql_rows *)(void *)&rows;
    ct_expect(LSQL_MISUSE_CONN, &e, lsql_exec_stmt(c2, st, NULL, 0, NULL, &e));
    ct_expect(LSQL_MISUSE_CONN, &e, lsql_query_stmt(c2, st, NULL, 0, &rows, &e));
    assert_null(rows);
    ct_expect(LSQL_MISUSE_CONN, &e, lsql_exec_stmt(c3, st, NULL, 0, NULL, &e));
    ct_expect(LSQL_MISUSE_CONN, &e, lsql_query_stmt(c3, st, NULL, 0, &rows, &e));
    assert_int_equal(lsql_conn_errcode(c3), LSQL_MISUSE_CONN);
    /* the statement is untouched and works with its own connection */
    ct_expect(LSQL_OK, &e, lsql_query_stmt(c, st, NULL, 0, &rows, &e));
    ct_expect(LSQL_ROW, &e, lsql_rows_next(rows, &e));
    assert_int_equal(lsql_rows_int64(rows, 0), 3);
    lsql_rows_free(rows);
    lsql_finalize(st);
    lsql_conn_close(c2);
    lsql_db_close(other_db);
}

static void open_rows_handle_blocks_statement(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    lsql_stmt *st = prep(c, "SELECT a FROM t WHERE a >= ?1 ORDER BY a", 0);
    lsql_rows *rows, *rows2 = (lsql_rows *)(void *)&rows2;
    lsql_param p[] = {{NULL, lsql_int(1)}};
    ct_expect(LSQL_OK, &e, lsql_query_stmt(c, st, p, 1, &rows, &e));
    ct_expect(LSQL_ROW, &e, lsql_rows_next(rows, &e));
    ct_expect(LSQL_MISUSE_STATE, &e, lsql_exec_stmt(c, st, p, 1, NULL, &e));
    ct_expect(LSQL_MISUSE_STATE, &e, lsql_query_stmt(c, st, p, 1, &rows2, &e));
    assert_null(rows2);
    ct_expect(LSQL_MISUSE_STATE, &e, lsql_step(st, &e));
    assert_rc(LSQL_MISUSE_STATE, lsql_reset(st));
    assert_rc(LSQL_MISUSE_STATE, lsql_bind_int64(st, 1, 3));
    assert_rc(LSQL_MISUSE_STATE, lsql_bind_null(st, 1));
    assert_rc(LSQL_MISUSE_STATE, lsql_bind_text(st, 1, "x", 1, LSQL_COPY));
    lsql_value v = lsql_int(1);
    assert_rc(LSQL_MISUSE_STATE, lsql_bind_value(st, 1, &v, LSQL_COPY));
    assert_rc(LSQL_MISUSE_STATE, lsql_bind_named(st, "?1", &v, LSQL_COPY));
    ct_expect(LSQL_MISUSE_STATE, &e, lsql_bind_params(st, p, 1, LSQL_COPY, &e));
    assert_rc(LSQL_MISUSE_STATE, lsql_clear_bindings(st));
    assert_int_equal(lsql_conn_errcode(c), LSQL_MISUSE_STATE);
    /* the rows handle itself was not disturbed */
    assert_int_equal(lsql_rows_int64(rows, 0), 1);
    ct_expect(LSQL_ROW, &e, lsql_rows_next(rows, &e));
    assert_int_equal(lsql_rows_int64(rows, 0), 2);
    lsql_rows_free(rows);
    /* free again: everything is allowed */
    assert_ok(lsql_bind_int64(st, 1, 3));
    ct_expect(LSQL_ROW, &e, lsql_step(st, &e));
    assert_int_equal(lsql_column_int64(st, 0), 3);
    assert_ok(lsql_finalize(st));
}

static void finalize_with_open_rows(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    lsql_stmt *st = prep(c, "SELECT a FROM t", 0);
    lsql_rows *rows;
    ct_expect(LSQL_OK, &e, lsql_query_stmt(c, st, NULL, 0, &rows, &e));
    ct_expect(LSQL_ROW, &e, lsql_rows_next(rows, &e));
    assert_ok(lsql_finalize(st)); /* the rows handle goes with it */
    tu_exec(c, "SELECT 1");
}

/* ---- handle checks ---------------------------------------------------------------- */

static void foreign_handles(void **state)
{
    lsql_conn *c = *state;
    lsql_db *db = lsql_conn_db(c);
    lsql_stmt *st = prep(c, "SELECT a FROM t", 0);
    lsql_rows *rows;
    lsql_error e;
    assert_ok(lsql_query(c, "SELECT 1", NULL, 0, &rows, &e));
    lsql_row *row;
    assert_ok(lsql_query_one(c, "SELECT 1", NULL, 0, &row, &e));
    uint64_t zeros[32];
    memset(zeros, 0, sizeof zeros);

    void *not_stmts[] = {c, db, rows, row, zeros};
    for (size_t i = 0; i < sizeof not_stmts / sizeof not_stmts[0]; i++) {
        lsql_stmt *bad = not_stmts[i];
        ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_step(bad, &e));
        assert_rc(LSQL_MISUSE_HANDLE, lsql_reset(bad));
        assert_rc(LSQL_MISUSE_HANDLE, lsql_clear_bindings(bad));
        assert_rc(LSQL_MISUSE_HANDLE, lsql_finalize(bad));
        assert_rc(LSQL_MISUSE_HANDLE, lsql_bind_int64(bad, 1, 1));
        assert_rc(LSQL_MISUSE_HANDLE, lsql_bind_null(bad, 1));
        assert_rc(LSQL_MISUSE_HANDLE, lsql_bind_double(bad, 1, 1));
        assert_rc(LSQL_MISUSE_HANDLE, lsql_bind_text(bad, 1, "x", 1, LSQL_COPY));
        assert_rc(LSQL_MISUSE_HANDLE, lsql_bind_blob(bad, 1, "x", 1, LSQL_COPY));
        lsql_value v = lsql_int(1);
        assert_rc(LSQL_MISUSE_HANDLE, lsql_bind_value(bad, 1, &v, LSQL_COPY));
        assert_rc(LSQL_MISUSE_HANDLE, lsql_bind_named(bad, "a", &v, LSQL_COPY));
        ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_bind_params(bad, NULL, 0, LSQL_COPY, &e));
        assert_int_equal(lsql_column_count(bad), 0);
        assert_null(lsql_column_name(bad, 0));
        assert_null(lsql_column_decltype(bad, 0));
        assert_null(lsql_column_table(bad, 0));
        assert_null(lsql_column_origin(bad, 0));
        assert_rc(LSQL_MISUSE_HANDLE, lsql_column_value(bad, 0, &v));
        assert_int_equal(lsql_column_type(bad, 0), LSQL_TYPE_NULL);
        assert_int_equal(lsql_column_int64(bad, 0), 0);
        assert_true(lsql_column_double(bad, 0) == 0.0);
        assert_null(lsql_column_text(bad, 0, NULL));
        assert_null(lsql_column_blob(bad, 0, NULL));
        assert_int_equal(lsql_param_count(bad), 0);
        assert_null(lsql_param_name(bad, 1));
        assert_int_equal(lsql_param_index(bad, "a"), 0);
        assert_null(lsql_stmt_sql(bad));
        assert_null(lsql_stmt_conn(bad));
        lsql_stmt_info info;
        info.struct_size = sizeof info;
        assert_rc(LSQL_MISUSE_HANDLE, lsql_stmt_info_get(bad, &info));
        ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_exec_stmt(c, bad, NULL, 0, NULL, &e));
        lsql_rows *r2 = NULL;
        ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_query_stmt(c, bad, NULL, 0, &r2, &e));
        assert_null(r2);
    }

    void *not_conns[] = {st, db, rows, row, zeros};
    for (size_t i = 0; i < sizeof not_conns / sizeof not_conns[0]; i++) {
        lsql_conn *bad = not_conns[i];
        lsql_stmt *s2 = NULL;
        lsql_rows *r2 = NULL;
        lsql_row *row2 = NULL;
        int64_t i64;
        int iv;
        lsql_value v;
        void *nat;
        ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_exec(bad, "SELECT 1", NULL, 0, NULL, &e));
        ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_query(bad, "SELECT 1", NULL, 0, &r2, &e));
        ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_query_one(bad, "SELECT 1", NULL, 0, &row2, &e));
        ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_query_value(bad, "SELECT 1", NULL, 0, &v, &e));
        ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_query_int64(bad, "SELECT 1", NULL, 0, &i64, &e));
        ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_prepare(bad, "SELECT 1", -1, 0, &s2, NULL, &e));
        ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_exec_stmt(bad, st, NULL, 0, NULL, &e));
        ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_query_stmt(bad, st, NULL, 0, &r2, &e));
        assert_null(s2);
        assert_null(r2);
        assert_null(row2);
        assert_rc(LSQL_MISUSE_HANDLE, lsql_conn_close(bad));
        assert_null(lsql_conn_db(bad));
        assert_int_equal(LSQL_CLASS(lsql_conn_errcode(bad)), LSQL_MISUSE);
        assert_non_null(lsql_conn_errmsg(bad));
        assert_rc(LSQL_MISUSE_HANDLE, lsql_conn_error(bad, &e));
        assert_rc(LSQL_MISUSE_HANDLE, lsql_conn_native_handle(bad, &nat));
        assert_rc(LSQL_MISUSE_HANDLE, lsql_last_insert_rowid(bad, &i64));
        assert_rc(LSQL_MISUSE_HANDLE, lsql_changes(bad, &i64));
        assert_rc(LSQL_MISUSE_HANDLE, lsql_total_changes(bad, &i64));
        assert_rc(LSQL_MISUSE_HANDLE, lsql_is_autocommit(bad, &iv));
        assert_rc(LSQL_MISUSE_HANDLE, lsql_txn_state(bad, &iv));
        lsql_cache_stats cs;
        cs.struct_size = sizeof cs;
        assert_rc(LSQL_MISUSE_HANDLE, lsql_stmt_cache_stats(bad, &cs));
        assert_rc(LSQL_MISUSE_HANDLE, lsql_stmt_cache_set_capacity(bad, 3));
        assert_rc(LSQL_MISUSE_HANDLE, lsql_stmt_cache_clear(bad));
    }

    void *not_dbs[] = {c, st, rows, row, zeros};
    for (size_t i = 0; i < sizeof not_dbs / sizeof not_dbs[0]; i++) {
        lsql_db *bad = not_dbs[i];
        lsql_conn *c2 = NULL;
        ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_db_connect(bad, &c2, &e));
        assert_null(c2);
        assert_int_equal(lsql_db_mode(bad), 0);
        assert_rc(LSQL_MISUSE_HANDLE, lsql_db_close(bad));
    }

    void *not_rows[] = {c, db, st, row, zeros};
    for (size_t i = 0; i < sizeof not_rows / sizeof not_rows[0]; i++) {
        lsql_rows *bad = not_rows[i];
        lsql_value v;
        ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_rows_next(bad, &e));
        assert_int_equal(lsql_rows_column_count(bad), 0);
        assert_null(lsql_rows_column_name(bad, 0));
        assert_rc(LSQL_MISUSE_HANDLE, lsql_rows_get(bad, 0, &v));
        assert_int_equal(lsql_rows_int64(bad, 0), 0);
        assert_null(lsql_rows_text(bad, 0, NULL));
        lsql_rows_free(bad); /* ignored */
    }

    void *not_row[] = {c, db, st, rows, zeros};
    for (size_t i = 0; i < sizeof not_row / sizeof not_row[0]; i++) {
        lsql_row *bad = not_row[i];
        lsql_value v;
        assert_int_equal(lsql_row_column_count(bad), 0);
        assert_null(lsql_row_column_name(bad, 0));
        assert_rc(LSQL_MISUSE_HANDLE, lsql_row_get(bad, 0, &v));
        lsql_row_free(bad); /* ignored */
    }

    /* everything still works */
    assert_rc(LSQL_ROW, lsql_step(st, &e));
    assert_rc(LSQL_ROW, lsql_rows_next(rows, &e));
    assert_int_equal(lsql_row_column_count(row), 1);
    lsql_row_free(row);
    lsql_rows_free(rows);
    lsql_finalize(st);
}

static void null_handles(void **state)
{
    (void)state;
    lsql_error e;
    lsql_value v;
    int64_t i64;
    int iv;
    void *nat;
    lsql_stmt *st = NULL;
    lsql_rows *rows = NULL;
    lsql_row *row = NULL;
    lsql_conn *c = NULL;
    /* connection functions */
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_exec(NULL, "SELECT 1", NULL, 0, NULL, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_query(NULL, "SELECT 1", NULL, 0, &rows, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_query_one(NULL, "SELECT 1", NULL, 0, &row, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_query_value(NULL, "SELECT 1", NULL, 0, &v, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_query_int64(NULL, "SELECT 1", NULL, 0, &i64, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_prepare(NULL, "SELECT 1", -1, 0, &st, NULL, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_exec_stmt(NULL, NULL, NULL, 0, NULL, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_query_stmt(NULL, NULL, NULL, 0, &rows, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_db_connect(NULL, &c, &e));
    assert_int_equal(LSQL_CLASS(lsql_conn_errcode(NULL)), LSQL_MISUSE);
    assert_non_null(lsql_conn_errmsg(NULL));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_conn_native_handle(NULL, &nat));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_last_insert_rowid(NULL, &i64));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_changes(NULL, &i64));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_total_changes(NULL, &i64));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_is_autocommit(NULL, &iv));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_txn_state(NULL, &iv));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_is_autocommit(NULL, NULL));
    lsql_cache_stats cs;
    cs.struct_size = sizeof cs;
    assert_rc(LSQL_MISUSE_HANDLE, lsql_stmt_cache_stats(NULL, &cs));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_stmt_cache_set_capacity(NULL, 1));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_stmt_cache_clear(NULL));
    assert_null(lsql_conn_db(NULL));
    assert_int_equal(lsql_db_mode(NULL), 0);
    /* statement functions */
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_step(NULL, &e));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_reset(NULL));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_clear_bindings(NULL));
    assert_ok(lsql_finalize(NULL));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_bind_null(NULL, 1));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_bind_int64(NULL, 1, 1));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_bind_double(NULL, 1, 1));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_bind_text(NULL, 1, "x", 1, LSQL_COPY));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_bind_text(NULL, 1, NULL, 1, LSQL_COPY));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_bind_blob(NULL, 1, "x", 1, LSQL_COPY));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_bind_blob(NULL, 1, NULL, 1, LSQL_COPY));
    v = lsql_int(1);
    assert_rc(LSQL_MISUSE_HANDLE, lsql_bind_value(NULL, 1, &v, LSQL_COPY));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_bind_named(NULL, "a", &v, LSQL_COPY));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_bind_params(NULL, NULL, 0, LSQL_COPY, &e));
    assert_int_equal(lsql_column_count(NULL), 0);
    assert_null(lsql_column_name(NULL, 0));
    assert_null(lsql_column_decltype(NULL, 0));
    assert_null(lsql_column_table(NULL, 0));
    assert_null(lsql_column_origin(NULL, 0));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_column_value(NULL, 0, &v));
    assert_int_equal(lsql_column_type(NULL, 0), LSQL_TYPE_NULL);
    assert_int_equal(lsql_column_int64(NULL, 0), 0);
    assert_true(lsql_column_double(NULL, 0) == 0.0);
    size_t n = 7;
    assert_null(lsql_column_text(NULL, 0, &n));
    assert_int_equal(n, 0);
    n = 7;
    assert_null(lsql_column_blob(NULL, 0, &n));
    assert_int_equal(n, 0);
    assert_int_equal(lsql_param_count(NULL), 0);
    assert_null(lsql_param_name(NULL, 1));
    assert_int_equal(lsql_param_index(NULL, "a"), 0);
    assert_null(lsql_stmt_sql(NULL));
    assert_null(lsql_stmt_conn(NULL));
    lsql_stmt_info info;
    info.struct_size = sizeof info;
    assert_rc(LSQL_MISUSE_HANDLE, lsql_stmt_info_get(NULL, &info));
    /* rows / row */
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_rows_next(NULL, &e));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_rows_get(NULL, 0, &v));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_row_get(NULL, 0, &v));
    lsql_rows_free(NULL);
    lsql_row_free(NULL);
    /* closers */
    assert_ok(lsql_conn_close(NULL));
    assert_ok(lsql_db_close(NULL));
    /* NULL err pointers everywhere */
    assert_rc(LSQL_MISUSE_HANDLE, lsql_exec(NULL, "SELECT 1", NULL, 0, NULL, NULL));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_step(NULL, NULL));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_rows_next(NULL, NULL));
}

static void close_connection_with_children(void **state)
{
    (void)state;
    lsql_db *db;
    lsql_conn *c;
    ct_target_memory(&db, &c);
    tu_exec(c, "CREATE TABLE t(a)");
    tu_exec(c, "INSERT INTO t VALUES (1), (2)");
    lsql_error e;
    lsql_stmt *s1 = prep(c, "SELECT a FROM t", 0);
    lsql_stmt *s2 = prep(c, "SELECT a + 1 FROM t", LSQL_PREPARE_CACHED);
    lsql_stmt *s3 = prep(c, "INSERT INTO t VALUES (?)", 0);
    assert_ok(lsql_bind_text(s3, 1, "text to free", 12, LSQL_COPY));
    assert_rc(LSQL_ROW, lsql_step(s1, &e));
    assert_rc(LSQL_ROW, lsql_step(s2, &e));
    lsql_rows *r1, *r2;
    assert_ok(lsql_query(c, "SELECT a FROM t", NULL, 0, &r1, &e));
    assert_rc(LSQL_ROW, lsql_rows_next(r1, &e));
    lsql_stmt *s4 = prep(c, "SELECT a * 2 FROM t", 0);
    assert_ok(lsql_query_stmt(c, s4, NULL, 0, &r2, &e));
    tu_exec(c, "SELECT 'cached'");
    tu_exec(c, "BEGIN");
    tu_exec(c, "INSERT INTO t VALUES (3)");
    assert_ok(lsql_conn_close(c)); /* ASan: nothing leaks */
    /* the open transaction was rolled back */
    lsql_conn *c2 = ct_connect(db);
    assert_int_equal(ct_int(c2, "SELECT count(*) FROM t"), 2);
    lsql_db_close(db);
}

/* ---- classifier ------------------------------------------------------------------ */

static lsql_stmt_info info_of(lsql_conn *c, const char *sql)
{
    lsql_stmt *st = prep(c, sql, 0);
    lsql_stmt_info info;
    memset(&info, 0xa5, sizeof info);
    info.struct_size = sizeof info;
    assert_ok(lsql_stmt_info_get(st, &info));
    assert_int_equal(info.struct_size, sizeof info);
    lsql_finalize(st);
    return info;
}

/* Mismatches are collected so that one run reports all of them. */
static char g_kind_log[4096];

static void expect_kind(lsql_conn *c, const char *sql, int kind)
{
    lsql_stmt_info info = info_of(c, sql);
    if (info.kind != kind) {
        size_t n = strlen(g_kind_log);
        snprintf(g_kind_log + n, sizeof g_kind_log - n, "\n  '%s': kind %d, want %d", sql,
                 info.kind, kind);
    }
}

static void kinds_begin(void)
{
    g_kind_log[0] = 0;
}

static void kinds_end(void)
{
    if (g_kind_log[0])
        fail_msg("wrong statement kinds:%s", g_kind_log);
}

static void classify_dml_and_select(void **state)
{
    lsql_conn *c = *state;
    kinds_begin();
    tu_exec(c, "CREATE TABLE k(id INTEGER PRIMARY KEY, v)");
    expect_kind(c, "SELECT 1", LSQL_KIND_SELECT);
    expect_kind(c, "SELECT a FROM t WHERE a IN (SELECT id FROM k)", LSQL_KIND_SELECT);
    expect_kind(c, "VALUES (1), (2)", LSQL_KIND_SELECT);
    expect_kind(c, "WITH x(n) AS (SELECT 1) SELECT n FROM x", LSQL_KIND_SELECT);
    expect_kind(c, "INSERT INTO k(v) VALUES (1)", LSQL_KIND_INSERT);
    expect_kind(c, "INSERT INTO k(v) SELECT a FROM t", LSQL_KIND_INSERT);
    expect_kind(c, "REPLACE INTO k VALUES (1, 2)", LSQL_KIND_INSERT);
    expect_kind(c, "INSERT INTO k VALUES (1, 2) ON CONFLICT(id) DO UPDATE SET v = excluded.v",
                LSQL_KIND_INSERT);
    expect_kind(c, "INSERT INTO k VALUES (1, 2) ON CONFLICT DO NOTHING", LSQL_KIND_INSERT);
    expect_kind(c, "WITH x(n) AS (SELECT 5) INSERT INTO k(v) SELECT n FROM x", LSQL_KIND_INSERT);
    expect_kind(c, "INSERT INTO k(v) VALUES (1) RETURNING id", LSQL_KIND_INSERT);
    expect_kind(c, "UPDATE k SET v = 1", LSQL_KIND_UPDATE);
    expect_kind(c, "UPDATE k SET v = (SELECT max(a) FROM t) WHERE id IN (SELECT a FROM t)",
                LSQL_KIND_UPDATE);
    expect_kind(c, "UPDATE k SET v = t.b FROM t WHERE t.a = k.id", LSQL_KIND_UPDATE);
    expect_kind(c, "WITH x(n) AS (SELECT 1) UPDATE k SET v = 0 WHERE id IN (SELECT n FROM x)",
                LSQL_KIND_UPDATE);
    expect_kind(c, "DELETE FROM k", LSQL_KIND_DELETE);
    expect_kind(c, "DELETE FROM k WHERE id IN (SELECT a FROM t)", LSQL_KIND_DELETE);
    expect_kind(c, "WITH x(n) AS (SELECT 1) DELETE FROM k WHERE id IN (SELECT n FROM x)",
                LSQL_KIND_DELETE);
    kinds_end();
}

/* Table-valued functions (eponymous virtual tables) in a plain SELECT; the
 * first use in a connection is the interesting one. */
static void classify_table_valued_functions(void **state)
{
    lsql_conn *c = *state;
    kinds_begin();
    expect_kind(c, "SELECT * FROM pragma_table_info('t')", LSQL_KIND_SELECT);
    expect_kind(c, "SELECT * FROM pragma_table_info('t')", LSQL_KIND_SELECT);
    expect_kind(c, "SELECT name FROM pragma_index_list('t')", LSQL_KIND_SELECT);
    lsql_stmt_info i = info_of(c, "SELECT * FROM pragma_table_info('t')");
    assert_int_equal(i.readonly, 1);
    kinds_end();
}

static void classify_ddl(void **state)
{
    lsql_conn *c = *state;
    kinds_begin();
    expect_kind(c, "CREATE TABLE n1(x)", LSQL_KIND_CREATE);
    expect_kind(c, "CREATE TEMP TABLE n2(x)", LSQL_KIND_CREATE);
    expect_kind(c, "CREATE TABLE n3 AS SELECT * FROM t", LSQL_KIND_CREATE);
    expect_kind(c, "CREATE INDEX t_a ON t(a)", LSQL_KIND_CREATE);
    expect_kind(c, "CREATE UNIQUE INDEX t_b ON t(b)", LSQL_KIND_CREATE);
    expect_kind(c, "CREATE VIEW v1 AS SELECT a FROM t", LSQL_KIND_CREATE);
    expect_kind(c, "CREATE TRIGGER tr1 AFTER INSERT ON t BEGIN DELETE FROM t WHERE 0; END",
                LSQL_KIND_CREATE);
    tu_exec(c, "CREATE INDEX t_a ON t(a)");
    tu_exec(c, "CREATE VIEW v1 AS SELECT a FROM t");
    tu_exec(c, "CREATE TRIGGER tr1 AFTER INSERT ON t BEGIN DELETE FROM t WHERE 0; END");
    tu_exec(c, "CREATE TABLE d(x, y)");
    expect_kind(c, "DROP TABLE d", LSQL_KIND_DROP);
    expect_kind(c, "DROP INDEX t_a", LSQL_KIND_DROP);
    expect_kind(c, "DROP VIEW v1", LSQL_KIND_DROP);
    expect_kind(c, "DROP TRIGGER tr1", LSQL_KIND_DROP);
    expect_kind(c, "DROP TABLE IF EXISTS d", LSQL_KIND_DROP);
    expect_kind(c, "ALTER TABLE d ADD COLUMN z", LSQL_KIND_ALTER);
    expect_kind(c, "ALTER TABLE d RENAME TO d2", LSQL_KIND_ALTER);
    expect_kind(c, "ALTER TABLE d RENAME COLUMN x TO x2", LSQL_KIND_ALTER);
    expect_kind(c, "ALTER TABLE d DROP COLUMN y", LSQL_KIND_ALTER);
    kinds_end();
}

static void classify_transactions_and_others(void **state)
{
    lsql_conn *c = *state;
    kinds_begin();
    expect_kind(c, "BEGIN", LSQL_KIND_TRANSACTION);
    expect_kind(c, "BEGIN IMMEDIATE", LSQL_KIND_TRANSACTION);
    expect_kind(c, "COMMIT", LSQL_KIND_TRANSACTION);
    expect_kind(c, "END", LSQL_KIND_TRANSACTION);
    expect_kind(c, "ROLLBACK", LSQL_KIND_TRANSACTION);
    expect_kind(c, "SAVEPOINT sp", LSQL_KIND_SAVEPOINT);
    expect_kind(c, "RELEASE sp", LSQL_KIND_SAVEPOINT);
    expect_kind(c, "RELEASE SAVEPOINT sp", LSQL_KIND_SAVEPOINT);
    expect_kind(c, "ROLLBACK TO sp", LSQL_KIND_SAVEPOINT);
    expect_kind(c, "PRAGMA user_version", LSQL_KIND_PRAGMA);
    expect_kind(c, "PRAGMA user_version = 7", LSQL_KIND_PRAGMA);
    expect_kind(c, "PRAGMA table_info(t)", LSQL_KIND_PRAGMA);
    if (ct_remote()) { /* lsqld's authorizer refuses ATTACH, already at describe */
        lsql_error ae;
        int arc = lsql_exec(c, "ATTACH ':memory:' AS aux", NULL, 0, NULL, &ae);
        assert_int_equal(LSQL_CLASS(arc), LSQL_AUTH);
        assert_non_null(strstr(ae.message, "ATTACH"));
    } else {
        expect_kind(c, "ATTACH ':memory:' AS aux", LSQL_KIND_ATTACH);
        tu_exec(c, "ATTACH ':memory:' AS aux");
    }
    expect_kind(c, "DETACH aux", LSQL_KIND_DETACH);
    expect_kind(c, "DETACH DATABASE aux", LSQL_KIND_DETACH);
    kinds_end();
}

/* Statements the compiler reports nothing for: the header says the leading
 * keyword decides (VACUUM, DROP, CREATE). */
static void classify_vacuum_and_noop_ddl(void **state)
{
    lsql_conn *c = *state;
    kinds_begin();
    expect_kind(c, "VACUUM", LSQL_KIND_VACUUM);
    expect_kind(c, "  -- comment\n vacuum main", LSQL_KIND_VACUUM);
    expect_kind(c, "/* c */ VACUUM", LSQL_KIND_VACUUM);
    expect_kind(c, "DROP TABLE IF EXISTS no_such_table", LSQL_KIND_DROP);
    expect_kind(c, "DROP INDEX IF EXISTS no_such_index", LSQL_KIND_DROP);
    expect_kind(c, "DROP VIEW IF EXISTS no_such_view", LSQL_KIND_DROP);
    expect_kind(c, "DROP TRIGGER IF EXISTS no_such_trigger", LSQL_KIND_DROP);
    tu_exec(c, "CREATE INDEX t_a ON t(a)");
    expect_kind(c, "CREATE TABLE IF NOT EXISTS t(a INTEGER, b TEXT)", LSQL_KIND_CREATE);
    expect_kind(c, "CREATE INDEX IF NOT EXISTS t_a ON t(a)", LSQL_KIND_CREATE);
    expect_kind(c, "create table if not exists t(x)", LSQL_KIND_CREATE);
    kinds_end();
    /* VACUUM also runs (on lsqld too: its authorizer lets plain VACUUM's
     * own temporary attachment through) */
    tu_exec(c, "VACUUM");
}

static void classify_analyze(void **state)
{
    lsql_conn *c = *state;
    kinds_begin();
    /* a database without sqlite_stat1 yet */
    expect_kind(c, "ANALYZE", LSQL_KIND_ANALYZE);
    expect_kind(c, "ANALYZE t", LSQL_KIND_ANALYZE);
    tu_exec(c, "CREATE INDEX t_a ON t(a)");
    tu_exec(c, "ANALYZE");
    /* and once sqlite_stat1 exists */
    expect_kind(c, "ANALYZE", LSQL_KIND_ANALYZE);
    expect_kind(c, "ANALYZE t", LSQL_KIND_ANALYZE);
    expect_kind(c, "ANALYZE main", LSQL_KIND_ANALYZE);
    kinds_end();
}

static void classify_reindex(void **state)
{
    lsql_conn *c = *state;
    kinds_begin();
    /* no index at all yet */
    expect_kind(c, "REINDEX", LSQL_KIND_REINDEX);
    tu_exec(c, "CREATE INDEX t_a ON t(a)");
    expect_kind(c, "REINDEX", LSQL_KIND_REINDEX);
    expect_kind(c, "REINDEX t", LSQL_KIND_REINDEX);
    expect_kind(c, "REINDEX t_a", LSQL_KIND_REINDEX);
    expect_kind(c, "REINDEX nocase", LSQL_KIND_REINDEX);
    kinds_end();
}

static void classify_flags(void **state)
{
    lsql_conn *c = *state;
    lsql_stmt_info i;
    i = info_of(c, "SELECT a, b FROM t WHERE a = ?");
    assert_int_equal(i.readonly, 1);
    assert_int_equal(i.returns_rows, 1);
    assert_int_equal(i.is_explain, 0);
    assert_int_equal(i.column_count, 2);
    assert_int_equal(i.param_count, 1);
    i = info_of(c, "INSERT INTO t VALUES (?, :b)");
    assert_int_equal(i.readonly, 0);
    assert_int_equal(i.returns_rows, 0);
    assert_int_equal(i.column_count, 0);
    assert_int_equal(i.param_count, 2);
    i = info_of(c, "INSERT INTO t VALUES (1, 'x') RETURNING a, b, rowid");
    assert_int_equal(i.kind, LSQL_KIND_INSERT);
    assert_int_equal(i.readonly, 0);
    assert_int_equal(i.returns_rows, 1);
    assert_int_equal(i.column_count, 3);
    i = info_of(c, "DELETE FROM t RETURNING *");
    assert_int_equal(i.kind, LSQL_KIND_DELETE);
    assert_int_equal(i.returns_rows, 1);
    i = info_of(c, "UPDATE t SET a = 1");
    assert_int_equal(i.readonly, 0);
    assert_int_equal(i.returns_rows, 0);
    i = info_of(c, "CREATE TABLE z(x)");
    assert_int_equal(i.readonly, 0);
    i = info_of(c, "PRAGMA user_version");
    assert_int_equal(i.kind, LSQL_KIND_PRAGMA);
    assert_int_equal(i.returns_rows, 1);
    assert_int_equal(i.readonly, 1);
    i = info_of(c, "PRAGMA user_version = 3");
    assert_int_equal(i.returns_rows, 0);
    assert_int_equal(i.readonly, 0);
    i = info_of(c, "EXPLAIN SELECT a FROM t");
    assert_int_equal(i.is_explain, 1);
    assert_int_equal(i.returns_rows, 1);
    i = info_of(c, "EXPLAIN QUERY PLAN SELECT a FROM t WHERE a = 1");
    assert_int_equal(i.is_explain, 2);
    assert_int_equal(i.returns_rows, 1);
    i = info_of(c, "EXPLAIN INSERT INTO t VALUES (1, 2)");
    assert_int_equal(i.is_explain, 1);
    i = info_of(c, "EXPLAIN QUERY PLAN DELETE FROM t");
    assert_int_equal(i.is_explain, 2);
}

static void stmt_info_struct_size(void **state)
{
    lsql_conn *c = *state;
    lsql_stmt *st = prep(c, "SELECT a, b FROM t WHERE a = ?", 0);
    lsql_stmt_info info;
    /* only kind fits */
    memset(&info, 0xa5, sizeof info);
    info.struct_size = offsetof(lsql_stmt_info, returns_rows);
    assert_ok(lsql_stmt_info_get(st, &info));
    assert_int_equal(info.struct_size, offsetof(lsql_stmt_info, returns_rows));
    assert_int_equal(info.kind, LSQL_KIND_SELECT);
    unsigned char pattern[sizeof info];
    memset(pattern, 0xa5, sizeof pattern);
    assert_memory_equal((unsigned char *)&info + offsetof(lsql_stmt_info, returns_rows),
                        pattern, sizeof info - offsetof(lsql_stmt_info, returns_rows));
    /* up to readonly */
    memset(&info, 0xa5, sizeof info);
    info.struct_size = offsetof(lsql_stmt_info, is_explain);
    assert_ok(lsql_stmt_info_get(st, &info));
    assert_int_equal(info.kind, LSQL_KIND_SELECT);
    assert_int_equal(info.returns_rows, 1);
    assert_int_equal(info.readonly, 1);
    assert_memory_equal((unsigned char *)&info + offsetof(lsql_stmt_info, is_explain), pattern,
                        sizeof info - offsetof(lsql_stmt_info, is_explain));
    /* a newer caller's bigger struct: the unknown tail is left alone */
    struct {
        lsql_stmt_info info;
        unsigned char extra[32];
    } big;
    memset(&big, 0xa5, sizeof big);
    big.info.struct_size = sizeof big;
    assert_ok(lsql_stmt_info_get(st, &big.info));
    assert_int_equal(big.info.struct_size, sizeof big);
    assert_int_equal(big.info.param_count, 1);
    assert_int_equal(big.info.column_count, 2);
    assert_memory_equal(big.extra, pattern, sizeof big.extra);
    /* too small for anything, or NULL */
    memset(&info, 0xa5, sizeof info);
    info.struct_size = sizeof(size_t);
    int rc = lsql_stmt_info_get(st, &info);
    assert_true(rc == LSQL_OK || rc == LSQL_INVALID_ARG);
    assert_memory_equal((unsigned char *)&info + sizeof(size_t), pattern,
                        sizeof info - sizeof(size_t));
    assert_rc(LSQL_INVALID_ARG, lsql_stmt_info_get(st, NULL));
    lsql_finalize(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(prepare_step_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(prepare_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(tail_pointer, setup, teardown),
        cmocka_unit_test_setup_teardown(nbytes_limits_the_text, setup, teardown),
        cmocka_unit_test_setup_teardown(allow_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(reset_does_not_repeat_error, setup, teardown),
        cmocka_unit_test_setup_teardown(column_metadata, setup, teardown),
        cmocka_unit_test_setup_teardown(column_value_needs_a_row, setup, teardown),
        cmocka_unit_test_setup_teardown(exec_stmt_and_query_stmt, setup, teardown),
        cmocka_unit_test_setup_teardown(query_stmt_params_copied, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(open_rows_handle_blocks_statement, setup, teardown),
        cmocka_unit_test_setup_teardown(finalize_with_open_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(foreign_handles, setup, teardown),
        cmocka_unit_test(null_handles),
        cmocka_unit_test_teardown(close_connection_with_children, ct_target_teardown),
        cmocka_unit_test_setup_teardown(classify_dml_and_select, setup, teardown),
        cmocka_unit_test_setup_teardown(classify_table_valued_functions, setup, teardown),
        cmocka_unit_test_setup_teardown(classify_ddl, setup, teardown),
        cmocka_unit_test_setup_teardown(classify_transactions_and_others, setup, teardown),
        cmocka_unit_test_setup_teardown(classify_vacuum_and_noop_ddl, setup, teardown),
        cmocka_unit_test_setup_teardown(classify_analyze, setup, teardown),
        cmocka_unit_test_setup_teardown(classify_reindex, setup, teardown),
        cmocka_unit_test_setup_teardown(classify_flags, setup, teardown),
        cmocka_unit_test_setup_teardown(stmt_info_struct_size, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
