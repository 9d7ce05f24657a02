/* test_exec.c -- one-shot execution: lsql_exec, lsql_query (streaming rows),
 * lsql_query_one (detached rows), lsql_query_value / lsql_query_int64, and
 * value round trips. */
#include "target.h"

#include <float.h>
#include <math.h>

/* A query whose row 3 raises a runtime error ("integer overflow"). */
#define ERR_AT_ROW3_TABLE                                                      \
    "SELECT CASE WHEN x = 3 THEN abs(-9223372036854775808) ELSE x END FROM n"
#define ERR_AT_ROW3_CTE                                                        \
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5) "  \
    "SELECT CASE WHEN x = 3 THEN abs(-9223372036854775808) ELSE x END FROM c"

static int setup(void **state)
{
    lsql_db *db;
    lsql_conn *c;
    ct_target_memory(&db, &c);
    tu_exec(c, "CREATE TABLE n(x INTEGER)");
    tu_exec(c, "INSERT INTO n VALUES (1), (2), (3), (4), (5)");
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

/* ---- lsql_exec ---------------------------------------------------------- */

static void exec_changes(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    int64_t ch = -1;
    ct_expect(LSQL_OK, &e, lsql_exec(c, "CREATE TABLE t(a, b)", NULL, 0, &ch, &e));
    assert_int_equal(ch, 0);
    ch = -1;
    ct_expect(LSQL_OK, &e, lsql_exec(c, "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')", NULL, 0, &ch, &e));
    assert_int_equal(ch, 3);
    ch = -1;
    ct_expect(LSQL_OK, &e, lsql_exec(c, "UPDATE t SET b = 'z' WHERE a >= 2", NULL, 0, &ch, &e));
    assert_int_equal(ch, 2);
    ch = -1;
    ct_expect(LSQL_OK, &e, lsql_exec(c, "SELECT * FROM t", NULL, 0, &ch, &e));
    assert_int_equal(ch, 0); /* not the previous UPDATE's 2 */
    ch = -1;
    ct_expect(LSQL_OK, &e, lsql_exec(c, "UPDATE t SET b = 'y' WHERE a > 100", NULL, 0, &ch, &e));
    assert_int_equal(ch, 0);
    ch = -1;
    ct_expect(LSQL_OK, &e, lsql_exec(c, "CREATE INDEX t_a ON t(a)", NULL, 0, &ch, &e));
    assert_int_equal(ch, 0);
    ch = -1;
    ct_expect(LSQL_OK, &e, lsql_exec(c, "DELETE FROM t WHERE a = 1", NULL, 0, &ch, &e));
    assert_int_equal(ch, 1);
    ch = -1;
    ct_expect(LSQL_OK, &e, lsql_exec(c, "PRAGMA user_version = 3", NULL, 0, &ch, &e));
    assert_int_equal(ch, 0);
    ch = -1;
    ct_expect(LSQL_OK, &e, lsql_exec(c, "DELETE FROM t", NULL, 0, &ch, &e));
    assert_int_equal(ch, 2);
    ch = -1;
    ct_expect(LSQL_OK, &e, lsql_exec(c, "DROP TABLE t", NULL, 0, &ch, &e));
    assert_int_equal(ch, 0);
    /* with parameters, and a NULL changes pointer */
    lsql_param p[] = {{NULL, lsql_int(9)}};
    ct_expect(LSQL_OK, &e, lsql_exec(c, "INSERT INTO n VALUES (?)", p, 1, NULL, &e));
    assert_int_equal(ct_int(c, "SELECT count(*) FROM n WHERE x = 9"), 1);
}

static void exec_select_discards_rows(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    int64_t ch = -1;
    ct_expect(LSQL_OK, &e, lsql_exec(c, "SELECT x FROM n", NULL, 0, &ch, &e));
    assert_int_equal(ch, 0);
    /* the statement ran to completion: a row-returning write is fully done */
    tu_exec(c, "CREATE TABLE r(v)");
    ct_expect(LSQL_OK, &e, lsql_exec(c, "INSERT INTO r SELECT x FROM n RETURNING v", NULL, 0, &ch, &e));
    assert_int_equal(ch, 5);
    assert_int_equal(ct_int(c, "SELECT count(*) FROM r"), 5);
    /* a runtime error in a later row is reported */
    ct_expect(LSQL_ERROR, &e, lsql_exec(c, ERR_AT_ROW3_TABLE, NULL, 0, NULL, &e));
}

static void exec_multiple_statements(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    tu_exec(c, "CREATE TABLE m(v)");
    ct_expect(LSQL_INVALID_SQL, &e, lsql_exec(c, "INSERT INTO m VALUES (1); INSERT INTO m VALUES (2)", NULL, 0, NULL, &e));
    ct_expect(LSQL_INVALID_SQL, &e, lsql_exec(c, "INSERT INTO m VALUES (1);SELECT 1;", NULL, 0, NULL, &e));
    ct_expect(LSQL_INVALID_SQL, &e, lsql_exec(c, "INSERT INTO m VALUES (1); -- c\n SELECT 2", NULL, 0, NULL, &e));
    /* nothing ran */
    assert_int_equal(ct_int(c, "SELECT count(*) FROM m"), 0);
    /* and the same for query functions */
    lsql_rows *rows = (lsql_rows *)(void *)&rows;
    ct_expect(LSQL_INVALID_SQL, &e, lsql_query(c, "SELECT 1; SELECT 2", NULL, 0, &rows, &e));
    assert_null(rows);
    int64_t v;
    ct_expect(LSQL_INVALID_SQL, &e, lsql_query_int64(c, "SELECT 1; SELECT 2", NULL, 0, &v, &e));
}

static void exec_trailing_noise_allowed(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    tu_exec(c, "CREATE TABLE tn(v)");
    const char *ok[] = {
        "INSERT INTO tn VALUES (1);",
        "INSERT INTO tn VALUES (1);   \n\t ",
        "INSERT INTO tn VALUES (1); -- trailing comment",
        "INSERT INTO tn VALUES (1); /* block */ ;; -- x\n",
        "  /* leading */ INSERT INTO tn VALUES (1) -- no semicolon",
        "INSERT INTO tn VALUES (1)\n;\n;\n",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t ch = -1;
        ct_err_garbage(&e);
        int rc = lsql_exec(c, ok[i], NULL, 0, &ch, &e);
        if (rc != LSQL_OK)
            fail_msg("'%s': %s (%s)", ok[i], lsql_errname(rc), e.message);
        assert_int_equal(ch, 1);
    }
    assert_int_equal(ct_int(c, "SELECT count(*) FROM tn;"), (int64_t)(sizeof ok / sizeof ok[0]));
}

static void exec_empty_sql(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    const char *empty[] = {"", "   ", ";", " ; ; ", "-- only a comment", "/* c */", "\n\t\n"};
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        ct_expect(LSQL_INVALID_SQL, &e, lsql_exec(c, empty[i], NULL, 0, NULL, &e));
        lsql_rows *rows = NULL;
        ct_expect(LSQL_INVALID_SQL, &e, lsql_query(c, empty[i], NULL, 0, &rows, &e));
        assert_null(rows);
    }
    ct_expect(LSQL_INVALID_ARG, &e, lsql_exec(c, NULL, NULL, 0, NULL, &e));
}

/* ---- lsql_query ---------------------------------------------------------- */

static void query_streaming(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    lsql_rows *rows;
    ct_expect(LSQL_OK, &e, lsql_query(c, "SELECT x, x * 10 AS ten FROM n WHERE x <= ? ORDER BY x",
                                      (lsql_param[]){{NULL, lsql_int(3)}}, 1, &rows, &e));
    /* columns before the first row */
    assert_int_equal(lsql_rows_column_count(rows), 2);
    assert_string_equal(lsql_rows_column_name(rows, 0), "x");
    assert_string_equal(lsql_rows_column_name(rows, 1), "ten");
    assert_string_equal(lsql_rows_column_decltype(rows, 0), "INTEGER");
    assert_null(lsql_rows_column_decltype(rows, 1)); /* expression */
    assert_null(lsql_rows_column_name(rows, 2));
    assert_null(lsql_rows_column_name(rows, -1));
    lsql_value v;
    assert_rc(LSQL_MISUSE_STATE, lsql_rows_get(rows, 0, &v)); /* no row yet */
    int64_t want = 1;
    int rc;
    while ((rc = lsql_rows_next(rows, &e)) == LSQL_ROW) {
        assert_ok(lsql_rows_get(rows, 0, &v));
        assert_int_equal(v.type, LSQL_TYPE_INTEGER);
        assert_int_equal(v.u.i, want);
        assert_int_equal(lsql_rows_int64(rows, 1), want * 10);
        assert_rc(LSQL_RANGE, lsql_rows_get(rows, 2, &v));
        assert_rc(LSQL_RANGE, lsql_rows_get(rows, -1, &v));
        want++;
    }
    assert_rc(LSQL_DONE, rc);
    ct_check_err(rc, &e);
    assert_int_equal(want, 4);
    /* DONE repeats; there is no current row */
    for (int i = 0; i < 3; i++)
        ct_expect(LSQL_DONE, &e, lsql_rows_next(rows, &e));
    assert_rc(LSQL_MISUSE_STATE, lsql_rows_get(rows, 0, &v));
    assert_int_equal(lsql_rows_column_count(rows), 2);
    lsql_rows_free(rows);
}

static void query_empty_result_has_columns(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    lsql_rows *rows;
    tu_exec(c, "CREATE TABLE em(id INTEGER PRIMARY KEY, label VARCHAR(20), data BLOB)");
    ct_expect(LSQL_OK, &e, lsql_query(c, "SELECT id, label, data FROM em", NULL, 0, &rows, &e));
    assert_int_equal(lsql_rows_column_count(rows), 3);
    ct_expect(LSQL_DONE, &e, lsql_rows_next(rows, &e));
    assert_int_equal(lsql_rows_column_count(rows), 3);
    assert_string_equal(lsql_rows_column_name(rows, 1), "label");
    assert_string_equal(lsql_rows_column_decltype(rows, 1), "VARCHAR(20)");
    assert_string_equal(lsql_rows_column_decltype(rows, 2), "BLOB");
    ct_expect(LSQL_DONE, &e, lsql_rows_next(rows, &e));
    lsql_rows_free(rows);
}

static void query_error_mid_stream_repeats(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    lsql_rows *rows;
    ct_expect(LSQL_OK, &e, lsql_query(c, ERR_AT_ROW3_TABLE, NULL, 0, &rows, &e));
    if (!ct_remote()) {
        ct_expect(LSQL_ROW, &e, lsql_rows_next(rows, &e));
        assert_int_equal(lsql_rows_int64(rows, 0), 1);
        ct_expect(LSQL_ROW, &e, lsql_rows_next(rows, &e));
        assert_int_equal(lsql_rows_int64(rows, 0), 2);
    }
    /* remote: the server runs the whole statement at the first step, so the
     * error comes before any row (lsql.h, "Remote mode") */
    ct_err_garbage(&e);
    int rc = lsql_rows_next(rows, &e);
    assert_int_equal(LSQL_CLASS(rc), LSQL_ERROR);
    ct_check_err(rc, &e);
    assert_non_null(strstr(e.message, "overflow"));
    assert_int_equal(lsql_conn_errcode(c), rc);
    /* it keeps returning the error, without stepping on to rows 4 and 5 */
    for (int i = 0; i < 3; i++) {
        lsql_error e2;
        ct_err_garbage(&e2);
        assert_rc(rc, lsql_rows_next(rows, &e2));
        ct_check_err(rc, &e2);
    }
    /* also after another, successful call on the connection */
    tu_exec(c, "SELECT 1");
    assert_rc(rc, lsql_rows_next(rows, &e));
    lsql_value v;
    assert_rc(LSQL_MISUSE_STATE, lsql_rows_get(rows, 0, &v));
    lsql_rows_free(rows);
}

static void query_is_lazy(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    lsql_rows *rows;
    /* the very first row fails: lsql_query itself reads nothing */
    ct_expect(LSQL_OK, &e, lsql_query(c, "SELECT abs(-9223372036854775808)", NULL, 0, &rows, &e));
    assert_int_equal(lsql_rows_column_count(rows), 1);
    ct_err_garbage(&e);
    int rc = lsql_rows_next(rows, &e);
    assert_int_equal(LSQL_CLASS(rc), LSQL_ERROR);
    ct_check_err(rc, &e);
    lsql_rows_free(rows);
    /* an INSERT through lsql_query runs only when stepped */
    tu_exec(c, "CREATE TABLE lazy(v)");
    ct_expect(LSQL_OK, &e, lsql_query(c, "INSERT INTO lazy VALUES (1) RETURNING v", NULL, 0, &rows, &e));
    assert_int_equal(ct_int(c, "SELECT count(*) FROM lazy"), 0);
    ct_expect(LSQL_ROW, &e, lsql_rows_next(rows, &e));
    assert_int_equal(lsql_rows_int64(rows, 0), 1);
    ct_expect(LSQL_DONE, &e, lsql_rows_next(rows, &e));
    lsql_rows_free(rows);
    assert_int_equal(ct_int(c, "SELECT count(*) FROM lazy"), 1);
}

static void query_params_copied(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    char *txt = strdup("copied text");
    unsigned char *blob = malloc(4);
    memcpy(blob, "\x01\x02\x03\x04", 4);
    lsql_param *p = calloc(2, sizeof *p);
    p[0].value = lsql_text(txt, strlen(txt));
    p[1].name = ":b";
    p[1].value = lsql_blob(blob, 4);
    lsql_rows *rows;
    ct_expect(LSQL_OK, &e, lsql_query(c, "SELECT ?1, :b", p, 2, &rows, &e));
    /* the caller's memory may be reused or freed after the call */
    memset(txt, 'X', strlen(txt));
    memset(blob, 0xff, 4);
    free(txt);
    free(blob);
    free(p);
    ct_expect(LSQL_ROW, &e, lsql_rows_next(rows, &e));
    size_t n = 0;
    const char *t = lsql_rows_text(rows, 0, &n);
    assert_int_equal(n, 11);
    assert_memory_equal(t, "copied text", 11);
    const void *b = lsql_rows_blob(rows, 1, &n);
    assert_int_equal(n, 4);
    assert_memory_equal(b, "\x01\x02\x03\x04", 4);
    lsql_rows_free(rows);
}

static void query_other_statements_while_open(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    tu_exec(c, "CREATE TABLE side(v)");
    lsql_rows *rows;
    ct_expect(LSQL_OK, &e, lsql_query(c, "SELECT x FROM n ORDER BY x", NULL, 0, &rows, &e));
    int64_t sum = 0;
    while (lsql_rows_next(rows, &e) == LSQL_ROW) {
        int64_t x = lsql_rows_int64(rows, 0);
        lsql_param p = {NULL, lsql_int(x * 2)};
        ct_expect(LSQL_OK, &e, lsql_exec(c, "INSERT INTO side VALUES (?)", &p, 1, NULL, &e));
        sum += x;
    }
    assert_int_equal(sum, 15);
    lsql_rows_free(rows);
    assert_int_equal(ct_int(c, "SELECT sum(v) FROM side"), 30);
}

static void query_bad_args(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    ct_expect(LSQL_INVALID_ARG, &e, lsql_query(c, "SELECT 1", NULL, 0, NULL, &e));
    lsql_rows *rows = (lsql_rows *)(void *)&rows;
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_query(NULL, "SELECT 1", NULL, 0, &rows, &e));
    assert_null(rows);
    rows = (lsql_rows *)(void *)&rows;
    ct_expect(LSQL_ERROR, &e, lsql_query(c, "SELECT * FROM nosuch", NULL, 0, &rows, &e));
    assert_null(rows);
    ct_expect(LSQL_INVALID_ARG, &e, lsql_query(c, NULL, NULL, 0, &rows, &e));
    /* invalid rows handles */
    assert_int_equal(lsql_rows_column_count(NULL), 0);
    assert_null(lsql_rows_column_name(NULL, 0));
    assert_null(lsql_rows_column_decltype(NULL, 0));
    lsql_value v;
    assert_rc(LSQL_MISUSE_HANDLE, lsql_rows_get(NULL, 0, &v));
    assert_int_equal(lsql_rows_int64(NULL, 0), 0);
    assert_int_equal(lsql_rows_type(NULL, 0), LSQL_TYPE_NULL);
    size_t n = 99;
    assert_null(lsql_rows_text(NULL, 0, &n));
    assert_int_equal(n, 0);
    n = 99;
    assert_null(lsql_rows_blob(NULL, 0, &n));
    assert_int_equal(n, 0);
}

static void rows_typed_getters(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    lsql_rows *rows;
    ct_expect(LSQL_OK, &e, lsql_query(c, "SELECT 42, 2.5, 'hello', x'00ff', NULL, '17'", NULL, 0, &rows, &e));
    ct_expect(LSQL_ROW, &e, lsql_rows_next(rows, &e));
    assert_int_equal(lsql_rows_type(rows, 0), LSQL_TYPE_INTEGER);
    assert_int_equal(lsql_rows_type(rows, 1), LSQL_TYPE_FLOAT);
    assert_int_equal(lsql_rows_type(rows, 2), LSQL_TYPE_TEXT);
    assert_int_equal(lsql_rows_type(rows, 3), LSQL_TYPE_BLOB);
    assert_int_equal(lsql_rows_type(rows, 4), LSQL_TYPE_NULL);
    assert_int_equal(lsql_rows_int64(rows, 0), 42);
    assert_true(lsql_rows_double(rows, 1) == 2.5);
    size_t n = 0;
    const char *s = lsql_rows_text(rows, 2, &n);
    assert_int_equal(n, 5);
    assert_string_equal(s, "hello");
    const unsigned char *b = lsql_rows_blob(rows, 3, &n);
    assert_int_equal(n, 2);
    assert_int_equal(b[0], 0x00);
    assert_int_equal(b[1], 0xff);
    /* SQLite's conversions apply */
    assert_int_equal(lsql_rows_int64(rows, 5), 17);
    assert_true(lsql_rows_double(rows, 0) == 42.0);
    assert_int_equal(lsql_rows_int64(rows, 4), 0);
    /* out of range: 0 / NULL */
    assert_int_equal(lsql_rows_int64(rows, 6), 0);
    assert_true(lsql_rows_double(rows, 6) == 0.0);
    assert_int_equal(lsql_rows_type(rows, 6), LSQL_TYPE_NULL);
    n = 99;
    assert_null(lsql_rows_text(rows, 6, &n));
    assert_int_equal(n, 0);
    assert_null(lsql_rows_blob(rows, -1, NULL));
    /* lsql_rows_get borrowed values, TEXT NUL-terminated after n */
    lsql_value v;
    assert_ok(lsql_rows_get(rows, 2, &v));
    assert_int_equal(v.type, LSQL_TYPE_TEXT);
    assert_int_equal(v.u.bytes.n, 5);
    assert_int_equal(((const char *)v.u.bytes.p)[5], 0);
    assert_ok(lsql_rows_get(rows, 1, &v));
    assert_int_equal(v.type, LSQL_TYPE_FLOAT);
    assert_true(v.u.d == 2.5);
    assert_ok(lsql_rows_get(rows, 4, &v));
    assert_int_equal(v.type, LSQL_TYPE_NULL);
    assert_ok(lsql_rows_get(rows, 3, &v));
    assert_int_equal(v.type, LSQL_TYPE_BLOB);
    assert_int_equal(v.u.bytes.n, 2);
    ct_expect(LSQL_DONE, &e, lsql_rows_next(rows, &e));
    lsql_rows_free(rows);
}

/* ---- lsql_query_one ------------------------------------------------------- */

static void query_one_ok(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    lsql_row *row = NULL;
    ct_expect(LSQL_OK, &e, lsql_query_one(c, "SELECT x, 'name' || x AS label, NULL AS empty_col, x'beef' AS b FROM n WHERE x = ?",
                                          (lsql_param[]){{NULL, lsql_int(4)}}, 1, &row, &e));
    assert_non_null(row);
    assert_int_equal(lsql_row_column_count(row), 4);
    assert_string_equal(lsql_row_column_name(row, 0), "x");
    assert_string_equal(lsql_row_column_name(row, 1), "label");
    assert_null(lsql_row_column_name(row, 4));
    assert_null(lsql_row_column_name(row, -1));
    lsql_value v;
    assert_ok(lsql_row_get(row, 0, &v));
    assert_int_equal(v.type, LSQL_TYPE_INTEGER);
    assert_int_equal(v.u.i, 4);
    assert_ok(lsql_row_get(row, 1, &v));
    assert_int_equal(v.type, LSQL_TYPE_TEXT);
    assert_int_equal(v.u.bytes.n, 5);
    assert_string_equal(v.u.bytes.p, "name4");
    assert_ok(lsql_row_get(row, 2, &v));
    assert_int_equal(v.type, LSQL_TYPE_NULL);
    assert_ok(lsql_row_get(row, 3, &v));
    assert_int_equal(v.type, LSQL_TYPE_BLOB);
    assert_int_equal(v.u.bytes.n, 2);
    assert_memory_equal(v.u.bytes.p, "\xbe\xef", 2);
    assert_int_equal(((const unsigned char *)v.u.bytes.p)[2], 0); /* row copies are terminated */
    assert_rc(LSQL_RANGE, lsql_row_get(row, 4, &v));
    assert_rc(LSQL_RANGE, lsql_row_get(row, -1, &v));
    assert_rc(LSQL_INVALID_ARG, lsql_row_get(row, 0, NULL));
    lsql_row_free(row);
    /* invalid handles */
    assert_int_equal(lsql_row_column_count(NULL), 0);
    assert_null(lsql_row_column_name(NULL, 0));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_row_get(NULL, 0, &v));
}

static void query_one_no_rows(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    lsql_row *row = (lsql_row *)(void *)&row;
    ct_expect(LSQL_NO_ROWS, &e, lsql_query_one(c, "SELECT x FROM n WHERE x > 100", NULL, 0, &row, &e));
    assert_null(row);
    assert_int_equal(lsql_conn_errcode(c), LSQL_NO_ROWS);
}

static void query_one_too_many_rows(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    lsql_row *row = (lsql_row *)(void *)&row;
    ct_expect(LSQL_TOO_MANY_ROWS, &e, lsql_query_one(c, "SELECT x FROM n", NULL, 0, &row, &e));
    assert_null(row);
    /* Control: the CTE query fails at its third row when read to the end. */
    lsql_rows *rows;
    ct_expect(LSQL_OK, &e, lsql_query(c, ERR_AT_ROW3_CTE, NULL, 0, &rows, &e));
    if (!ct_remote()) {
        ct_expect(LSQL_ROW, &e, lsql_rows_next(rows, &e));
        ct_expect(LSQL_ROW, &e, lsql_rows_next(rows, &e));
    }
    assert_int_equal(LSQL_CLASS(lsql_rows_next(rows, &e)), LSQL_ERROR);
    lsql_rows_free(rows);
    if (ct_remote()) {
        /* the server runs the whole statement: the error comes first, and
         * query_one cannot stop at the second row before it */
        lsql_value v;
        int64_t i;
        ct_err_garbage(&e);
        assert_int_equal(LSQL_CLASS(lsql_query_one(c, ERR_AT_ROW3_CTE, NULL, 0, &row, &e)), LSQL_ERROR);
        assert_non_null(strstr(e.message, "overflow"));
        assert_int_equal(LSQL_CLASS(lsql_query_value(c, ERR_AT_ROW3_CTE, NULL, 0, &v, &e)), LSQL_ERROR);
        assert_int_equal(LSQL_CLASS(lsql_query_int64(c, ERR_AT_ROW3_CTE, NULL, 0, &i, &e)), LSQL_ERROR);
        return;
    }
    /* query_one stops at the second row: it never reaches the error */
    row = (lsql_row *)(void *)&row;
    ct_expect(LSQL_TOO_MANY_ROWS, &e, lsql_query_one(c, ERR_AT_ROW3_CTE, NULL, 0, &row, &e));
    assert_null(row);
    lsql_value v;
    ct_expect(LSQL_TOO_MANY_ROWS, &e, lsql_query_value(c, ERR_AT_ROW3_CTE, NULL, 0, &v, &e));
    int64_t i;
    ct_expect(LSQL_TOO_MANY_ROWS, &e, lsql_query_int64(c, ERR_AT_ROW3_CTE, NULL, 0, &i, &e));
}

static void query_one_error_in_first_row(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    lsql_row *row = (lsql_row *)(void *)&row;
    ct_err_garbage(&e);
    int rc = lsql_query_one(c, "SELECT abs(-9223372036854775808)", NULL, 0, &row, &e);
    assert_int_equal(LSQL_CLASS(rc), LSQL_ERROR);
    ct_check_err(rc, &e);
    assert_null(row);
    ct_expect(LSQL_INVALID_ARG, &e, lsql_query_one(c, "SELECT 1", NULL, 0, NULL, &e));
    row = (lsql_row *)(void *)&row;
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_query_one(NULL, "SELECT 1", NULL, 0, &row, &e));
    assert_null(row);
}

static void detached_row_outlives_connection_and_db(void **state)
{
    (void)state;
    lsql_db *db;
    lsql_conn *c;
    ct_target_memory(&db, &c);
    tu_exec(c, "CREATE TABLE d(t TEXT, b BLOB, i INTEGER, f REAL)");
    tu_exec(c, "INSERT INTO d VALUES ('survivor', x'0102', 7, 1.5)");
    lsql_row *row = NULL;
    lsql_error e;
    ct_expect(LSQL_OK, &e, lsql_query_one(c, "SELECT t, b, i, f FROM d", NULL, 0, &row, &e));
    lsql_conn_close(c);
    lsql_db_close(db);
    assert_int_equal(lsql_row_column_count(row), 4);
    assert_string_equal(lsql_row_column_name(row, 0), "t");
    lsql_value v;
    assert_ok(lsql_row_get(row, 0, &v));
    assert_int_equal(v.type, LSQL_TYPE_TEXT);
    assert_int_equal(v.u.bytes.n, 8);
    assert_memory_equal(v.u.bytes.p, "survivor", 9);
    assert_ok(lsql_row_get(row, 1, &v));
    assert_int_equal(v.type, LSQL_TYPE_BLOB);
    assert_memory_equal(v.u.bytes.p, "\x01\x02", 2);
    assert_ok(lsql_row_get(row, 2, &v));
    assert_int_equal(v.u.i, 7);
    assert_ok(lsql_row_get(row, 3, &v));
    assert_true(v.u.d == 1.5);
    lsql_row_free(row);
}

/* ---- lsql_query_value / lsql_query_int64 ------------------------------------ */

static void query_value_owned(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    lsql_value v;
    ct_expect(LSQL_OK, &e, lsql_query_value(c, "SELECT 'owned' || ?", (lsql_param[]){{NULL, lsql_text_z("!")}}, 1, &v, &e));
    assert_int_equal(v.type, LSQL_TYPE_TEXT);
    assert_int_equal(v.u.bytes.n, 6);
    assert_string_equal(v.u.bytes.p, "owned!");
    /* owned: still valid after the connection runs other statements */
    tu_exec(c, "SELECT 'something else'");
    assert_string_equal(v.u.bytes.p, "owned!");
    lsql_value_release(&v);
    assert_int_equal(v.type, LSQL_TYPE_NULL);

    ct_expect(LSQL_OK, &e, lsql_query_value(c, "SELECT x'00010200'", NULL, 0, &v, &e));
    assert_int_equal(v.type, LSQL_TYPE_BLOB);
    assert_int_equal(v.u.bytes.n, 4);
    assert_memory_equal(v.u.bytes.p, "\x00\x01\x02\x00", 4);
    assert_int_equal(((const unsigned char *)v.u.bytes.p)[4], 0); /* terminated copy */
    lsql_value_release(&v);

    ct_expect(LSQL_OK, &e, lsql_query_value(c, "SELECT 3.25", NULL, 0, &v, &e));
    assert_int_equal(v.type, LSQL_TYPE_FLOAT);
    assert_true(v.u.d == 3.25);
    lsql_value_release(&v); /* harmless for non-owned types */
    ct_expect(LSQL_OK, &e, lsql_query_value(c, "SELECT NULL", NULL, 0, &v, &e));
    assert_int_equal(v.type, LSQL_TYPE_NULL);
    ct_expect(LSQL_OK, &e, lsql_query_value(c, "SELECT max(x) FROM n", NULL, 0, &v, &e));
    assert_int_equal(v.type, LSQL_TYPE_INTEGER);
    assert_int_equal(v.u.i, 5);
}

static void query_value_errors(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    lsql_value v;
    ct_expect(LSQL_NO_ROWS, &e, lsql_query_value(c, "SELECT x FROM n WHERE 0", NULL, 0, &v, &e));
    assert_int_equal(v.type, LSQL_TYPE_NULL);
    ct_expect(LSQL_TOO_MANY_ROWS, &e, lsql_query_value(c, "SELECT x FROM n", NULL, 0, &v, &e));
    ct_expect(LSQL_MISMATCH, &e, lsql_query_value(c, "SELECT 1, 2", NULL, 0, &v, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_query_value(c, "SELECT 1", NULL, 0, NULL, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_query_value(NULL, "SELECT 1", NULL, 0, &v, &e));
}

static void query_int64_strict(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    int64_t i = 0;
    ct_expect(LSQL_OK, &e, lsql_query_int64(c, "SELECT count(*) FROM n", NULL, 0, &i, &e));
    assert_int_equal(i, 5);
    ct_expect(LSQL_MISMATCH, &e, lsql_query_int64(c, "SELECT NULL", NULL, 0, &i, &e));
    ct_expect(LSQL_MISMATCH, &e, lsql_query_int64(c, "SELECT '12'", NULL, 0, &i, &e));
    ct_expect(LSQL_MISMATCH, &e, lsql_query_int64(c, "SELECT 1.0", NULL, 0, &i, &e));
    ct_expect(LSQL_MISMATCH, &e, lsql_query_int64(c, "SELECT x'01'", NULL, 0, &i, &e));
    ct_expect(LSQL_MISMATCH, &e, lsql_query_int64(c, "SELECT 1, 2", NULL, 0, &i, &e));
    ct_expect(LSQL_NO_ROWS, &e, lsql_query_int64(c, "SELECT 1 WHERE 0", NULL, 0, &i, &e));
    ct_expect(LSQL_TOO_MANY_ROWS, &e, lsql_query_int64(c, "SELECT x FROM n", NULL, 0, &i, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_query_int64(c, "SELECT 1", NULL, 0, NULL, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_query_int64(NULL, "SELECT 1", NULL, 0, &i, &e));
}

/* ---- value round trips ---------------------------------------------------- */

/* Binds v to "SELECT ?, typeof(?1)" and returns the detached row. */
static lsql_row *roundtrip(lsql_conn *c, lsql_value v)
{
    lsql_row *row = NULL;
    lsql_error e;
    lsql_param p = {NULL, v};
    int rc = lsql_query_one(c, "SELECT ?1, typeof(?1)", &p, 1, &row, &e);
    if (rc)
        fail_msg("roundtrip: %s (%s)", lsql_errname(rc), e.message);
    return row;
}

static void expect_typeof(const lsql_row *row, const char *want)
{
    lsql_value t;
    assert_ok(lsql_row_get(row, 1, &t));
    assert_int_equal(t.type, LSQL_TYPE_TEXT);
    assert_string_equal(t.u.bytes.p, want);
}

static void values_integers_and_null(void **state)
{
    lsql_conn *c = *state;
    const int64_t ints[] = {0, 1, -1, INT64_MAX, INT64_MIN, INT32_MAX + (int64_t)1};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        lsql_row *row = roundtrip(c, lsql_int(ints[i]));
        lsql_value v;
        assert_ok(lsql_row_get(row, 0, &v));
        assert_int_equal(v.type, LSQL_TYPE_INTEGER);
        assert_true(v.u.i == ints[i]);
        expect_typeof(row, "integer");
        lsql_row_free(row);
    }
    lsql_row *row = roundtrip(c, lsql_null());
    lsql_value v;
    assert_ok(lsql_row_get(row, 0, &v));
    assert_int_equal(v.type, LSQL_TYPE_NULL);
    expect_typeof(row, "null");
    lsql_row_free(row);
    /* a zero-initialised value is NULL */
    lsql_value zero;
    memset(&zero, 0, sizeof zero);
    row = roundtrip(c, zero);
    expect_typeof(row, "null");
    lsql_row_free(row);
    /* stored and read back through a table */
    int64_t got;
    lsql_error e;
    tu_exec(c, "CREATE TABLE ints(v INTEGER)");
    lsql_param p[] = {{NULL, lsql_int(INT64_MIN)}};
    ct_expect(LSQL_OK, &e, lsql_exec(c, "INSERT INTO ints VALUES (?)", p, 1, NULL, &e));
    ct_expect(LSQL_OK, &e, lsql_query_int64(c, "SELECT v FROM ints", NULL, 0, &got, &e));
    assert_true(got == INT64_MIN);
}

static void values_doubles(void **state)
{
    lsql_conn *c = *state;
    const double ds[] = {0.0, -0.0, 1.5, -2.25, 1e308, -1e308, DBL_MAX, DBL_MIN,
                         4.9406564584124654e-324 /* smallest subnormal */, 1e-310,
                         0.1, 3.141592653589793};
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
        lsql_row *row = roundtrip(c, lsql_float(ds[i]));
        lsql_value v;
        assert_ok(lsql_row_get(row, 0, &v));
        assert_int_equal(v.type, LSQL_TYPE_FLOAT);
        if (memcmp(&v.u.d, &ds[i], sizeof(double)) != 0)
            fail_msg("double %.17g came back as %.17g", ds[i], v.u.d);
        expect_typeof(row, "real");
        lsql_row_free(row);
    }
    /* -0.0 keeps its sign */
    lsql_row *row = roundtrip(c, lsql_float(-0.0));
    lsql_value v;
    assert_ok(lsql_row_get(row, 0, &v));
    assert_true(signbit(v.u.d));
    lsql_row_free(row);
    /* through a REAL column */
    tu_exec(c, "CREATE TABLE dbl(v REAL)");
    lsql_error e;
    lsql_param p[] = {{NULL, lsql_float(4.9406564584124654e-324)}};
    ct_expect(LSQL_OK, &e, lsql_exec(c, "INSERT INTO dbl VALUES (?)", p, 1, NULL, &e));
    ct_expect(LSQL_OK, &e, lsql_query_value(c, "SELECT v FROM dbl", NULL, 0, &v, &e));
    assert_int_equal(v.type, LSQL_TYPE_FLOAT);
    assert_true(v.u.d == 4.9406564584124654e-324);
}

static void values_text(void **state)
{
    lsql_conn *c = *state;
    /* embedded NULs: length preserved, still TEXT */
    const char nul[] = {'a', 0, 'b', 0, 'c'};
    lsql_row *row = roundtrip(c, lsql_text(nul, sizeof nul));
    lsql_value v;
    assert_ok(lsql_row_get(row, 0, &v));
    assert_int_equal(v.type, LSQL_TYPE_TEXT);
    assert_int_equal(v.u.bytes.n, sizeof nul);
    assert_memory_equal(v.u.bytes.p, nul, sizeof nul);
    expect_typeof(row, "text");
    lsql_row_free(row);

    /* empty text is not NULL */
    row = roundtrip(c, lsql_text("", 0));
    assert_ok(lsql_row_get(row, 0, &v));
    assert_int_equal(v.type, LSQL_TYPE_TEXT);
    assert_int_equal(v.u.bytes.n, 0);
    assert_non_null(v.u.bytes.p);
    assert_int_equal(((const char *)v.u.bytes.p)[0], 0);
    expect_typeof(row, "text");
    lsql_row_free(row);
    row = roundtrip(c, lsql_text(NULL, 0)); /* NULL pointer, length 0: still '' */
    assert_ok(lsql_row_get(row, 0, &v));
    assert_int_equal(v.type, LSQL_TYPE_TEXT);
    expect_typeof(row, "text");
    lsql_row_free(row);

    /* unicode */
    const char *uni = "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89";
    lsql_param p = {NULL, lsql_text_z(uni)};
    lsql_error e;
    ct_expect(LSQL_OK, &e, lsql_query_one(c, "SELECT ?1, length(?1)", &p, 1, &row, &e));
    assert_ok(lsql_row_get(row, 0, &v));
    assert_int_equal(v.type, LSQL_TYPE_TEXT);
    assert_int_equal(v.u.bytes.n, strlen(uni));
    assert_string_equal(v.u.bytes.p, uni);
    assert_ok(lsql_row_get(row, 1, &v));
    assert_int_equal(v.u.i, 18); /* characters, not bytes */
    lsql_row_free(row);

    /* text with NULs through a table and the streaming getters */
    tu_exec(c, "CREATE TABLE txt(v TEXT)");
    lsql_param pn = {NULL, lsql_text(nul, sizeof nul)};
    ct_expect(LSQL_OK, &e, lsql_exec(c, "INSERT INTO txt VALUES (?)", &pn, 1, NULL, &e));
    lsql_rows *rows;
    ct_expect(LSQL_OK, &e, lsql_query(c, "SELECT v, typeof(v), length(CAST(v AS BLOB)) FROM txt", NULL, 0, &rows, &e));
    ct_expect(LSQL_ROW, &e, lsql_rows_next(rows, &e));
    size_t n = 0;
    const char *t = lsql_rows_text(rows, 0, &n);
    assert_int_equal(n, sizeof nul);
    assert_memory_equal(t, nul, sizeof nul);
    assert_string_equal(lsql_rows_text(rows, 1, NULL), "text");
    assert_int_equal(lsql_rows_int64(rows, 2), (int64_t)sizeof nul);
    assert_ok(lsql_rows_get(rows, 0, &v));
    assert_int_equal(v.type, LSQL_TYPE_TEXT);
    assert_int_equal(v.u.bytes.n, sizeof nul);
    lsql_rows_free(rows);

    /* query_value keeps the length too */
    ct_expect(LSQL_OK, &e, lsql_query_value(c, "SELECT v FROM txt", NULL, 0, &v, &e));
    assert_int_equal(v.type, LSQL_TYPE_TEXT);
    assert_int_equal(v.u.bytes.n, sizeof nul);
    assert_memory_equal(v.u.bytes.p, nul, sizeof nul);
    lsql_value_release(&v);
}

static void values_blob(void **state)
{
    lsql_conn *c = *state;
    /* binary with zeros */
    unsigned char bin[256];
    for (int i = 0; i < 256; i++)
        bin[i] = (unsigned char)(i % 3 == 0 ? 0 : i);
    lsql_row *row = roundtrip(c, lsql_blob(bin, sizeof bin));
    lsql_value v;
    assert_ok(lsql_row_get(row, 0, &v));
    assert_int_equal(v.type, LSQL_TYPE_BLOB);
    assert_int_equal(v.u.bytes.n, sizeof bin);
    assert_memory_equal(v.u.bytes.p, bin, sizeof bin);
    expect_typeof(row, "blob");
    lsql_row_free(row);

    /* empty blob: BLOB, not NULL and not TEXT */
    row = roundtrip(c, lsql_blob(NULL, 0));
    assert_ok(lsql_row_get(row, 0, &v));
    assert_int_equal(v.type, LSQL_TYPE_BLOB);
    assert_int_equal(v.u.bytes.n, 0);
    expect_typeof(row, "blob");
    lsql_row_free(row);
    row = roundtrip(c, lsql_blob("", 0));
    expect_typeof(row, "blob");
    lsql_row_free(row);

    /* a blob that is valid UTF-8 text stays a BLOB; text stays TEXT, even in
     * typed columns */
    tu_exec(c, "CREATE TABLE tb(anything, t TEXT, b BLOB)");
    lsql_error e;
    lsql_param p[] = {{NULL, lsql_blob("abc", 3)}, {NULL, lsql_blob("xyz", 3)}, {NULL, lsql_text("abc", 3)}};
    ct_expect(LSQL_OK, &e, lsql_exec(c, "INSERT INTO tb VALUES (?, ?, ?)", p, 3, NULL, &e));
    lsql_rows *rows;
    ct_expect(LSQL_OK, &e, lsql_query(c, "SELECT anything, t, b, typeof(anything), typeof(t), typeof(b) FROM tb", NULL, 0, &rows, &e));
    ct_expect(LSQL_ROW, &e, lsql_rows_next(rows, &e));
    assert_int_equal(lsql_rows_type(rows, 0), LSQL_TYPE_BLOB);
    assert_int_equal(lsql_rows_type(rows, 1), LSQL_TYPE_BLOB);
    assert_int_equal(lsql_rows_type(rows, 2), LSQL_TYPE_TEXT);
    assert_string_equal(lsql_rows_text(rows, 3, NULL), "blob");
    assert_string_equal(lsql_rows_text(rows, 4, NULL), "blob");
    assert_string_equal(lsql_rows_text(rows, 5, NULL), "text");
    assert_ok(lsql_rows_get(rows, 0, &v));
    assert_int_equal(v.type, LSQL_TYPE_BLOB);
    assert_int_equal(v.u.bytes.n, 3);
    assert_memory_equal(v.u.bytes.p, "abc", 3);
    lsql_rows_free(rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(exec_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(exec_select_discards_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(exec_multiple_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(exec_trailing_noise_allowed, setup, teardown),
        cmocka_unit_test_setup_teardown(exec_empty_sql, setup, teardown),
        cmocka_unit_test_setup_teardown(query_streaming, setup, teardown),
        cmocka_unit_test_setup_teardown(query_empty_result_has_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(query_error_mid_stream_repeats, setup, teardown),
        cmocka_unit_test_setup_teardown(query_is_lazy, setup, teardown),
        cmocka_unit_test_setup_teardown(query_params_copied, setup, teardown),
        cmocka_unit_test_setup_teardown(query_other_statements_while_open, setup, teardown),
        cmocka_unit_test_setup_teardown(query_bad_args, setup, teardown),
        cmocka_unit_test_setup_teardown(rows_typed_getters, setup, teardown),
        cmocka_unit_test_setup_teardown(query_one_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(query_one_no_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(query_one_too_many_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(query_one_error_in_first_row, setup, teardown),
        cmocka_unit_test_teardown(detached_row_outlives_connection_and_db, ct_target_teardown),
        cmocka_unit_test_setup_teardown(query_value_owned, setup, teardown),
        cmocka_unit_test_setup_teardown(query_value_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(query_int64_strict, setup, teardown),
        cmocka_unit_test_setup_teardown(values_integers_and_null, setup, teardown),
        cmocka_unit_test_setup_teardown(values_doubles, setup, teardown),
        cmocka_unit_test_setup_teardown(values_text, setup, teardown),
        cmocka_unit_test_setup_teardown(values_blob, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
