/* test_params.c -- parameter binding: positional / numbered / named
 * parameters, the binding rules and their errors, lsql_bind_*, lifetimes and
 * parameter introspection. */
#include "target.h"

static int setup(void **state)
{
    lsql_db *db;
    lsql_conn *c;
    ct_target_memory(&db, &c);
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

/* Runs a one-row query and returns its detached row (must succeed). */
static lsql_row *one(lsql_conn *c, const char *sql, const lsql_param *p, size_t n)
{
    lsql_row *row = NULL;
    lsql_error e;
    int rc = lsql_query_one(c, sql, p, n, &row, &e);
    if (rc != LSQL_OK)
        fail_msg("%s: %s (%s)", sql, lsql_errname(rc), e.message);
    return row;
}

static int64_t col_int(const lsql_row *row, int col)
{
    lsql_value v;
    assert_ok(lsql_row_get(row, col, &v));
    if (v.type != LSQL_TYPE_INTEGER)
        fail_msg("column %d: type %d, want INTEGER", col, v.type);
    return v.u.i;
}

/* Expects a binding error `want` whose message contains frag1 and frag2
 * (each may be NULL). */
static void bind_fails(lsql_conn *c, const char *sql, const lsql_param *p, size_t n, int want,
                       const char *frag1, const char *frag2)
{
    lsql_error e;
    ct_err_garbage(&e);
    int rc = lsql_exec(c, sql, p, n, NULL, &e);
    if (rc != want)
        fail_msg("%s: got %s (%s), want %s", sql, lsql_errname(rc), e.message, lsql_errname(want));
    ct_check_err(rc, &e);
    if (frag1 && !strstr(e.message, frag1))
        fail_msg("%s: message '%s' lacks '%s'", sql, e.message, frag1);
    if (frag2 && !strstr(e.message, frag2))
        fail_msg("%s: message '%s' lacks '%s'", sql, e.message, frag2);
    assert_int_equal(lsql_conn_errcode(c), want);
    /* the same through lsql_query, lsql_query_one and lsql_query_value */
    lsql_rows *rows = NULL;
    assert_rc(want, lsql_query(c, sql, p, n, &rows, &e));
    assert_null(rows);
    lsql_row *row = NULL;
    assert_rc(want, lsql_query_one(c, sql, p, n, &row, &e));
    assert_null(row);
}

/* ---- positional and numbered ---------------------------------------------- */

static void positional(void **state)
{
    lsql_conn *c = *state;
    lsql_param p[] = {{NULL, lsql_int(1)}, {NULL, lsql_int(2)}, {NULL, lsql_int(3)}};
    lsql_row *row = one(c, "SELECT ?, ?, ?", p, 3);
    assert_int_equal(col_int(row, 0), 1);
    assert_int_equal(col_int(row, 1), 2);
    assert_int_equal(col_int(row, 2), 3);
    lsql_row_free(row);
    /* no parameters at all */
    row = one(c, "SELECT 5", NULL, 0);
    assert_int_equal(col_int(row, 0), 5);
    lsql_row_free(row);
}

static void numbered(void **state)
{
    lsql_conn *c = *state;
    lsql_param p[] = {{NULL, lsql_int(10)}, {NULL, lsql_int(20)}};
    lsql_row *row = one(c, "SELECT ?2, ?1, ?2 + ?1", p, 2);
    assert_int_equal(col_int(row, 0), 20);
    assert_int_equal(col_int(row, 1), 10);
    assert_int_equal(col_int(row, 2), 30);
    lsql_row_free(row);
    /* a gap: ?3 alone makes a statement of 3 parameters */
    lsql_param q[] = {{NULL, lsql_int(1)}, {NULL, lsql_int(2)}, {NULL, lsql_int(3)}};
    row = one(c, "SELECT ?3", q, 3);
    assert_int_equal(col_int(row, 0), 3);
    lsql_row_free(row);
    /* numbered by name */
    lsql_param r[] = {{"?2", lsql_int(7)}, {"?1", lsql_int(6)}};
    row = one(c, "SELECT ?1, ?2", r, 2);
    assert_int_equal(col_int(row, 0), 6);
    assert_int_equal(col_int(row, 1), 7);
    lsql_row_free(row);
}

/* ---- named ------------------------------------------------------------------ */

static void named_with_and_without_prefix(void **state)
{
    lsql_conn *c = *state;
    const char *sql = "SELECT :a, @b, $c";
    lsql_param with[] = {{"$c", lsql_int(3)}, {":a", lsql_int(1)}, {"@b", lsql_int(2)}};
    lsql_row *row = one(c, sql, with, 3);
    assert_int_equal(col_int(row, 0), 1);
    assert_int_equal(col_int(row, 1), 2);
    assert_int_equal(col_int(row, 2), 3);
    lsql_row_free(row);
    lsql_param without[] = {{"b", lsql_int(20)}, {"c", lsql_int(30)}, {"a", lsql_int(10)}};
    row = one(c, sql, without, 3);
    assert_int_equal(col_int(row, 0), 10);
    assert_int_equal(col_int(row, 1), 20);
    assert_int_equal(col_int(row, 2), 30);
    lsql_row_free(row);
    /* the wrong prefix is a different name */
    lsql_param wrong[] = {{":b", lsql_int(1)}, {"a", lsql_int(1)}, {"c", lsql_int(1)}};
    bind_fails(c, sql, wrong, 3, LSQL_PARAM_UNKNOWN, ":b", NULL);
    /* positional values for named parameters bind in index order */
    lsql_param pos[] = {{NULL, lsql_int(7)}, {NULL, lsql_int(8)}, {NULL, lsql_int(9)}};
    row = one(c, sql, pos, 3);
    assert_int_equal(col_int(row, 0), 7);
    assert_int_equal(col_int(row, 2), 9);
    lsql_row_free(row);
}

static void prefix_search_order(void **state)
{
    lsql_conn *c = *state;
    /* ":", "@" and "$" are tried in that order for a bare name */
    lsql_param p[] = {{"x", lsql_int(1)}, {"@x", lsql_int(2)}, {"$x", lsql_int(3)}};
    lsql_row *row = one(c, "SELECT $x, @x, :x", p, 3);
    assert_int_equal(col_int(row, 0), 3);
    assert_int_equal(col_int(row, 1), 2);
    assert_int_equal(col_int(row, 2), 1);
    lsql_row_free(row);
    lsql_param q[] = {{"x", lsql_int(5)}, {"$x", lsql_int(6)}};
    row = one(c, "SELECT $x, @x", q, 2);
    assert_int_equal(col_int(row, 0), 6);
    assert_int_equal(col_int(row, 1), 5);
    lsql_row_free(row);
}

static void repeated_name_one_slot(void **state)
{
    lsql_conn *c = *state;
    lsql_stmt *st;
    lsql_error e;
    assert_ok(lsql_prepare(c, "SELECT :a, :a + 1, :a * 2", -1, 0, &st, NULL, &e));
    assert_int_equal(lsql_param_count(st), 1);
    lsql_finalize(st);
    lsql_param p[] = {{"a", lsql_int(5)}};
    lsql_row *row = one(c, "SELECT :a, :a + 1, :a * 2", p, 1);
    assert_int_equal(col_int(row, 0), 5);
    assert_int_equal(col_int(row, 1), 6);
    assert_int_equal(col_int(row, 2), 10);
    lsql_row_free(row);
    /* positionally too: one value */
    lsql_param q[] = {{NULL, lsql_int(4)}};
    row = one(c, "SELECT :a, :a", q, 1);
    assert_int_equal(col_int(row, 1), 4);
    lsql_row_free(row);
}

static void mixed_positional_and_named(void **state)
{
    lsql_conn *c = *state;
    lsql_param p[] = {{NULL, lsql_int(1)}, {":b", lsql_int(2)}};
    lsql_row *row = one(c, "SELECT ?, :b", p, 2);
    assert_int_equal(col_int(row, 0), 1);
    assert_int_equal(col_int(row, 1), 2);
    lsql_row_free(row);
    lsql_param q[] = {{"c", lsql_int(30)}, {NULL, lsql_int(10)}, {NULL, lsql_int(20)}};
    row = one(c, "SELECT ?, ?, :c", q, 3);
    assert_int_equal(col_int(row, 0), 10);
    assert_int_equal(col_int(row, 1), 20);
    assert_int_equal(col_int(row, 2), 30);
    lsql_row_free(row);
    /* too many positional entries in mixed mode */
    lsql_param r[] = {{NULL, lsql_int(1)}, {NULL, lsql_int(2)}, {":a", lsql_int(3)}};
    bind_fails(c, "SELECT :a", r, 3, LSQL_PARAM_COUNT, "2", "1");
    /* the second positional entry takes slot 2, which :b names as well */
    lsql_param d[] = {{NULL, lsql_int(1)}, {NULL, lsql_int(2)}, {":b", lsql_int(3)}};
    bind_fails(c, "SELECT ?, :b", d, 3, LSQL_PARAM_DUPLICATE, ":b", NULL);
}

/* ---- errors ------------------------------------------------------------------ */

static void wrong_count(void **state)
{
    lsql_conn *c = *state;
    lsql_param three[] = {{NULL, lsql_int(1)}, {NULL, lsql_int(2)}, {NULL, lsql_int(3)}};
    bind_fails(c, "SELECT ?, ?", three, 3, LSQL_PARAM_COUNT, "2", "3");
    bind_fails(c, "SELECT ?, ?", three, 1, LSQL_PARAM_COUNT, "2", "1");
    bind_fails(c, "SELECT 1", three, 1, LSQL_PARAM_COUNT, "0", "1");
    bind_fails(c, "SELECT ?, ?, ?, ?, ?", three, 3, LSQL_PARAM_COUNT, "5", "3");
}

static void unknown_name(void **state)
{
    lsql_conn *c = *state;
    lsql_param p[] = {{":a", lsql_int(1)}, {"zebra", lsql_int(2)}};
    bind_fails(c, "SELECT :a", p, 2, LSQL_PARAM_UNKNOWN, "zebra", NULL);
    lsql_param q[] = {{"nope", lsql_int(2)}};
    bind_fails(c, "SELECT 1", q, 1, LSQL_PARAM_UNKNOWN, "nope", NULL);
    lsql_param r[] = {{"?9", lsql_int(2)}};
    bind_fails(c, "SELECT ?1", r, 1, LSQL_PARAM_UNKNOWN, "?9", NULL);
    lsql_param s[] = {{"", lsql_int(2)}};
    bind_fails(c, "SELECT :a", s, 1, LSQL_PARAM_UNKNOWN, NULL, NULL);
}

static void duplicate(void **state)
{
    lsql_conn *c = *state;
    lsql_param p[] = {{":a", lsql_int(1)}, {"a", lsql_int(2)}};
    bind_fails(c, "SELECT :a", p, 2, LSQL_PARAM_DUPLICATE, ":a", NULL);
    lsql_param q[] = {{"a", lsql_int(1)}, {"a", lsql_int(2)}};
    bind_fails(c, "SELECT :a", q, 2, LSQL_PARAM_DUPLICATE, ":a", NULL);
    /* a positional entry and a name for the same slot */
    lsql_param r[] = {{NULL, lsql_int(1)}, {":a", lsql_int(2)}, {":b", lsql_int(3)}};
    bind_fails(c, "SELECT :a, :b", r, 3, LSQL_PARAM_DUPLICATE, ":a", NULL);
    lsql_param s[] = {{"?1", lsql_int(1)}, {NULL, lsql_int(2)}};
    bind_fails(c, "SELECT ?1, ?2", s, 2, LSQL_PARAM_DUPLICATE, "?1", NULL);
}

static void missing(void **state)
{
    lsql_conn *c = *state;
    lsql_param p[] = {{":a", lsql_int(1)}};
    bind_fails(c, "SELECT :a, :b", p, 1, LSQL_PARAM_MISSING, ":b", NULL);
    bind_fails(c, "SELECT :a, ?", p, 1, LSQL_PARAM_MISSING, "?2", NULL);
    lsql_param q[] = {{"c", lsql_int(1)}};
    bind_fails(c, "SELECT @a, ?5, $c", q, 1, LSQL_PARAM_MISSING, "@a", NULL);
}

static void bad_type_tag(void **state)
{
    lsql_conn *c = *state;
    lsql_value bad;
    memset(&bad, 0, sizeof bad);
    bad.type = 99;
    lsql_param p[] = {{NULL, bad}};
    bind_fails(c, "SELECT ?", p, 1, LSQL_PARAM_TYPE, NULL, NULL);
    lsql_param q[] = {{"a", bad}};
    bind_fails(c, "SELECT :a", q, 1, LSQL_PARAM_TYPE, NULL, NULL);
    bad.type = -1;
    lsql_param r[] = {{NULL, lsql_int(1)}, {NULL, bad}};
    bind_fails(c, "SELECT ?, ?", r, 2, LSQL_PARAM_TYPE, NULL, NULL);
    bad.type = LSQL_TYPE_BLOB + 1;
    lsql_param s[] = {{NULL, bad}};
    bind_fails(c, "SELECT ?", s, 1, LSQL_PARAM_TYPE, NULL, NULL);
}

static void null_params_array(void **state)
{
    lsql_conn *c = *state;
    lsql_error e;
    ct_expect(LSQL_INVALID_ARG, &e, lsql_exec(c, "SELECT ?", NULL, 1, NULL, &e));
    lsql_rows *rows = NULL;
    ct_expect(LSQL_INVALID_ARG, &e, lsql_query(c, "SELECT ?", NULL, 1, &rows, &e));
    assert_null(rows);
    /* NULL with nparams 0 is fine */
    ct_expect(LSQL_OK, &e, lsql_exec(c, "SELECT 1", NULL, 0, NULL, &e));
}

static void text_null_pointer_with_length(void **state)
{
    lsql_conn *c = *state;
    lsql_param p[] = {{NULL, lsql_text(NULL, 5)}};
    lsql_error e;
    ct_err_garbage(&e);
    int rc = lsql_exec(c, "SELECT ?", p, 1, NULL, &e);
    assert_int_not_equal(rc, LSQL_OK);
    ct_check_err(rc, &e);
}

static void long_names(void **state)
{
    lsql_conn *c = *state;
    const size_t lens[] = {1, 120, 125, 126, 127, 128, 129, 200, 1000};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        size_t len = lens[k];
        char *name = malloc(len + 2);
        name[0] = ':';
        for (size_t i = 0; i < len; i++)
            name[1 + i] = (char)('a' + (i % 26));
        name[len + 1] = 0;
        char *sql = malloc(2 * len + 64);
        snprintf(sql, 2 * len + 64, "SELECT %s + 1, %s", name, name);
        /* without prefix */
        lsql_param p[] = {{name + 1, lsql_int((int64_t)len)}};
        lsql_row *row = one(c, sql, p, 1);
        assert_int_equal(col_int(row, 0), (int64_t)len + 1);
        lsql_row_free(row);
        /* with prefix */
        lsql_param q[] = {{name, lsql_int((int64_t)len)}};
        row = one(c, sql, q, 1);
        assert_int_equal(col_int(row, 1), (int64_t)len);
        lsql_row_free(row);
        /* unknown long name */
        name[len] = '_';
        bind_fails(c, sql, p, 1, LSQL_PARAM_UNKNOWN, NULL, NULL);
        /* lsql_param_index / lsql_bind_named */
        name[len] = (char)('a' + ((len - 1) % 26));
        lsql_stmt *st;
        lsql_error e;
        assert_ok(lsql_prepare(c, sql, -1, 0, &st, NULL, &e));
        assert_int_equal(lsql_param_index(st, name), 1);
        assert_int_equal(lsql_param_index(st, name + 1), 1);
        lsql_value v = lsql_int(3);
        assert_ok(lsql_bind_named(st, name + 1, &v, LSQL_COPY));
        assert_rc(LSQL_ROW, lsql_step(st, &e));
        assert_int_equal(lsql_column_int64(st, 0), 4);
        lsql_finalize(st);
        free(sql);
        free(name);
    }
}

/* Builds "SELECT :p1 + :p2 + ... + :pN" (and, when `with_pos`, "?, " first). */
static char *many_sql(int n, int with_pos)
{
    size_t cap = (size_t)n * 12 + 64;
    char *sql = malloc(cap);
    size_t off = (size_t)snprintf(sql, cap, "SELECT %s", with_pos ? "? + " : "");
    for (int i = 1; i <= n; i++)
        off += (size_t)snprintf(sql + off, cap - off, "%s:p%d", i > 1 ? " + " : "", i);
    return sql;
}

static void many_parameters_named(void **state)
{
    lsql_conn *c = *state;
    const int counts[] = {254, 255, 256, 257, 300, 600};
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
        int n = counts[k];
        char *sql = many_sql(n, 0);
        lsql_param *p = calloc((size_t)n, sizeof *p);
        char (*names)[16] = calloc((size_t)n, sizeof *names);
        int64_t want = 0;
        for (int i = 0; i < n; i++) {
            snprintf(names[i], sizeof names[i], "p%d", n - i); /* reverse order */
            p[i].name = names[i];
            p[i].value = lsql_int(n - i);
            want += n - i;
        }
        lsql_row *row = one(c, sql, p, (size_t)n);
        assert_int_equal(col_int(row, 0), want);
        lsql_row_free(row);
        /* missing the last one */
        bind_fails(c, sql, p + 1, (size_t)n - 1, LSQL_PARAM_MISSING, ":p", NULL);
        /* duplicate of a high slot */
        p[0].name = names[1];
        char frag[16];
        snprintf(frag, sizeof frag, ":p%d", n - 1);
        bind_fails(c, sql, p, (size_t)n, LSQL_PARAM_DUPLICATE, frag, NULL);
        free(names);
        free(p);
        free(sql);
    }
    /* mixed with a positional value in a large statement */
    int n = 300;
    char *sql = many_sql(n, 1);
    lsql_param *p = calloc((size_t)n + 1, sizeof *p);
    char (*names)[16] = calloc((size_t)n, sizeof *names);
    p[0].value = lsql_int(1000000);
    for (int i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], ":p%d", i + 1);
        p[i + 1].name = names[i];
        p[i + 1].value = lsql_int(1);
    }
    lsql_row *row = one(c, sql, p, (size_t)n + 1);
    assert_int_equal(col_int(row, 0), 1000000 + n);
    lsql_row_free(row);
    free(names);
    free(p);
    free(sql);
}

/* ---- lsql_bind_* on statements -------------------------------------------- */

static void bind_by_index(void **state)
{
    lsql_conn *c = *state;
    lsql_stmt *st;
    lsql_error e;
    assert_ok(lsql_prepare(c, "SELECT ?, ?, ?, ?, ?, ?, typeof(?5), typeof(?6)", -1, 0, &st, NULL, &e));
    assert_int_equal(lsql_param_count(st), 6);
    assert_ok(lsql_bind_null(st, 1));
    assert_ok(lsql_bind_int64(st, 2, INT64_MIN));
    assert_ok(lsql_bind_double(st, 3, -2.5));
    assert_ok(lsql_bind_text(st, 4, "hi\0there", 8, LSQL_COPY));
    assert_ok(lsql_bind_blob(st, 5, "\0\1", 2, LSQL_COPY));
    lsql_value v = lsql_text("val", 3);
    assert_ok(lsql_bind_value(st, 6, &v, LSQL_COPY));
    assert_rc(LSQL_ROW, lsql_step(st, &e));
    assert_int_equal(lsql_column_type(st, 0), LSQL_TYPE_NULL);
    assert_true(lsql_column_int64(st, 1) == INT64_MIN);
    assert_true(lsql_column_double(st, 2) == -2.5);
    size_t n;
    assert_memory_equal(lsql_column_text(st, 3, &n), "hi\0there", 8);
    assert_int_equal(n, 8);
    assert_memory_equal(lsql_column_blob(st, 4, &n), "\0\1", 2);
    assert_int_equal(n, 2);
    assert_string_equal(lsql_column_text(st, 5, NULL), "val");
    assert_string_equal(lsql_column_text(st, 6, NULL), "blob");
    assert_string_equal(lsql_column_text(st, 7, NULL), "text");
    assert_ok(lsql_reset(st));

    /* out of range: recorded on the connection, message names index and count */
    assert_rc(LSQL_RANGE, lsql_bind_int64(st, 7, 1));
    assert_int_equal(lsql_conn_errcode(c), LSQL_RANGE);
    assert_non_null(strstr(lsql_conn_errmsg(c), "7"));
    assert_non_null(strstr(lsql_conn_errmsg(c), "6"));
    assert_rc(LSQL_RANGE, lsql_bind_int64(st, 0, 1));
    assert_rc(LSQL_RANGE, lsql_bind_null(st, -1));
    assert_rc(LSQL_RANGE, lsql_bind_double(st, 100, 1.0));
    assert_rc(LSQL_RANGE, lsql_bind_text(st, 7, "x", 1, LSQL_COPY));
    assert_rc(LSQL_RANGE, lsql_bind_blob(st, 7, "x", 1, LSQL_COPY));
    assert_rc(LSQL_RANGE, lsql_bind_value(st, 7, &v, LSQL_COPY));
    /* a successful bind clears the connection's error */
    assert_ok(lsql_bind_int64(st, 1, 1));
    assert_int_equal(lsql_conn_errcode(c), 0);
    /* bad values */
    lsql_value bad;
    memset(&bad, 0, sizeof bad);
    bad.type = 42;
    assert_rc(LSQL_PARAM_TYPE, lsql_bind_value(st, 1, &bad, LSQL_COPY));
    assert_int_equal(lsql_conn_errcode(c), LSQL_PARAM_TYPE);
    assert_rc(LSQL_INVALID_ARG, lsql_bind_value(st, 1, NULL, LSQL_COPY));
    assert_rc(LSQL_INVALID_ARG, lsql_bind_text(st, 1, NULL, 3, LSQL_COPY));
    assert_rc(LSQL_INVALID_ARG, lsql_bind_blob(st, 1, NULL, 3, LSQL_COPY));
    /* NULL pointer with length 0 is an empty value */
    assert_ok(lsql_bind_blob(st, 5, NULL, 0, LSQL_COPY));
    assert_ok(lsql_bind_text(st, 6, NULL, 0, LSQL_COPY));
    assert_rc(LSQL_ROW, lsql_step(st, &e));
    assert_string_equal(lsql_column_text(st, 6, NULL), "blob");
    assert_string_equal(lsql_column_text(st, 7, NULL), "text");
    lsql_finalize(st);
}

static void bind_while_running(void **state)
{
    lsql_conn *c = *state;
    tu_exec(c, "CREATE TABLE r(x)");
    tu_exec(c, "INSERT INTO r VALUES (1), (2), (3)");
    lsql_stmt *st;
    lsql_error e;
    assert_ok(lsql_prepare(c, "SELECT x FROM r WHERE x > ?", -1, 0, &st, NULL, &e));
    assert_ok(lsql_bind_int64(st, 1, 0));
    assert_rc(LSQL_ROW, lsql_step(st, &e));
    /* "is running": stepped and not reset */
    assert_rc(LSQL_MISUSE_STATE, lsql_bind_int64(st, 1, 2));
    assert_int_equal(lsql_conn_errcode(c), LSQL_MISUSE_STATE);
    assert_ok(lsql_reset(st));
    assert_ok(lsql_bind_int64(st, 1, 2));
    assert_rc(LSQL_ROW, lsql_step(st, &e));
    assert_int_equal(lsql_column_int64(st, 0), 3);
    lsql_finalize(st);
}

static void bind_named_api(void **state)
{
    lsql_conn *c = *state;
    lsql_stmt *st;
    lsql_error e;
    assert_ok(lsql_prepare(c, "SELECT :a, @b, $c, ?4", -1, 0, &st, NULL, &e));
    lsql_value v1 = lsql_int(1), v2 = lsql_int(2), v3 = lsql_int(3), v4 = lsql_int(4);
    assert_ok(lsql_bind_named(st, "a", &v1, LSQL_COPY));
    assert_ok(lsql_bind_named(st, "@b", &v2, LSQL_COPY));
    assert_ok(lsql_bind_named(st, "c", &v3, LSQL_COPY));
    assert_ok(lsql_bind_named(st, "?4", &v4, LSQL_COPY));
    assert_rc(LSQL_ROW, lsql_step(st, &e));
    for (int i = 0; i < 4; i++)
        assert_int_equal(lsql_column_int64(st, i), i + 1);
    assert_ok(lsql_reset(st));
    assert_rc(LSQL_PARAM_UNKNOWN, lsql_bind_named(st, "zzz", &v1, LSQL_COPY));
    assert_int_equal(lsql_conn_errcode(c), LSQL_PARAM_UNKNOWN);
    assert_non_null(strstr(lsql_conn_errmsg(c), "zzz"));
    assert_rc(LSQL_PARAM_UNKNOWN, lsql_bind_named(st, ":b", &v1, LSQL_COPY));
    assert_rc(LSQL_PARAM_UNKNOWN, lsql_bind_named(st, "", &v1, LSQL_COPY));
    assert_rc(LSQL_INVALID_ARG, lsql_bind_named(st, NULL, &v1, LSQL_COPY));
    assert_rc(LSQL_INVALID_ARG, lsql_bind_named(st, "a", NULL, LSQL_COPY));
    lsql_finalize(st);
}

static void bind_params_api(void **state)
{
    lsql_conn *c = *state;
    lsql_stmt *st;
    lsql_error e;
    assert_ok(lsql_prepare(c, "SELECT :a, :b", -1, 0, &st, NULL, &e));
    lsql_param p[] = {{"b", lsql_int(2)}, {"a", lsql_int(1)}};
    ct_expect(LSQL_OK, &e, lsql_bind_params(st, p, 2, LSQL_COPY, &e));
    assert_rc(LSQL_ROW, lsql_step(st, &e));
    assert_int_equal(lsql_column_int64(st, 0), 1);
    assert_int_equal(lsql_column_int64(st, 1), 2);
    assert_ok(lsql_reset(st));
    /* the rules apply: missing / unknown / duplicate / count / type */
    ct_expect(LSQL_PARAM_MISSING, &e, lsql_bind_params(st, p, 1, LSQL_COPY, &e));
    assert_non_null(strstr(e.message, ":a"));
    lsql_param u[] = {{"a", lsql_int(1)}, {"b", lsql_int(1)}, {"q", lsql_int(1)}};
    ct_expect(LSQL_PARAM_UNKNOWN, &e, lsql_bind_params(st, u, 3, LSQL_COPY, &e));
    lsql_param d[] = {{"a", lsql_int(1)}, {":a", lsql_int(1)}};
    ct_expect(LSQL_PARAM_DUPLICATE, &e, lsql_bind_params(st, d, 2, LSQL_COPY, &e));
    lsql_param n3[] = {{NULL, lsql_int(1)}, {NULL, lsql_int(1)}, {NULL, lsql_int(1)}};
    ct_expect(LSQL_PARAM_COUNT, &e, lsql_bind_params(st, n3, 3, LSQL_COPY, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_bind_params(st, NULL, 2, LSQL_COPY, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_bind_params(NULL, p, 2, LSQL_COPY, &e));
    /* clears all bindings first: earlier values do not leak into a new bind */
    assert_ok(lsql_bind_int64(st, 1, 111));
    assert_ok(lsql_bind_int64(st, 2, 222));
    lsql_param pos[] = {{NULL, lsql_int(5)}, {NULL, lsql_null()}};
    ct_expect(LSQL_OK, &e, lsql_bind_params(st, pos, 2, LSQL_COPY, &e));
    assert_rc(LSQL_ROW, lsql_step(st, &e));
    assert_int_equal(lsql_column_int64(st, 0), 5);
    assert_int_equal(lsql_column_type(st, 1), LSQL_TYPE_NULL);
    lsql_finalize(st);
}

/* ---- lifetimes -------------------------------------------------------------- */

static void copy_lifetime(void **state)
{
    lsql_conn *c = *state;
    lsql_stmt *st;
    lsql_error e;
    assert_ok(lsql_prepare(c, "SELECT ?, ?, :n", -1, 0, &st, NULL, &e));
    char text[16], blob[4], named[8];
    strcpy(text, "original");
    memcpy(blob, "\1\2\3\4", 4);
    strcpy(named, "named");
    assert_ok(lsql_bind_text(st, 1, text, strlen(text), LSQL_COPY));
    assert_ok(lsql_bind_blob(st, 2, blob, 4, LSQL_COPY));
    lsql_value nv = lsql_text(named, 5);
    assert_ok(lsql_bind_named(st, "n", &nv, LSQL_COPY));
    /* overwrite the caller's buffers after binding */
    strcpy(text, "CHANGED!");
    memset(blob, 0xee, 4);
    strcpy(named, "XXXXX");
    assert_rc(LSQL_ROW, lsql_step(st, &e));
    assert_string_equal(lsql_column_text(st, 0, NULL), "original");
    size_t n;
    assert_memory_equal(lsql_column_blob(st, 1, &n), "\1\2\3\4", 4);
    assert_string_equal(lsql_column_text(st, 2, NULL), "named");
    /* the copies survive reset (bindings are kept) */
    assert_ok(lsql_reset(st));
    assert_rc(LSQL_ROW, lsql_step(st, &e));
    assert_string_equal(lsql_column_text(st, 0, NULL), "original");
    assert_ok(lsql_reset(st));

    /* lsql_bind_params with LSQL_COPY */
    char *heap = strdup("heap value");
    lsql_param p[] = {{NULL, lsql_text_z(heap)}, {NULL, lsql_int(1)}, {"n", lsql_int(2)}};
    ct_expect(LSQL_OK, &e, lsql_bind_params(st, p, 3, LSQL_COPY, &e));
    memset(heap, '#', strlen(heap));
    free(heap);
    assert_rc(LSQL_ROW, lsql_step(st, &e));
    assert_string_equal(lsql_column_text(st, 0, NULL), "heap value");
    lsql_finalize(st);
}

static void static_lifetime(void **state)
{
    lsql_conn *c = *state;
    lsql_stmt *st;
    lsql_error e;
    assert_ok(lsql_prepare(c, "SELECT ?, ?", -1, 0, &st, NULL, &e));
    static const char text[] = "static text";
    static const unsigned char blob[] = {9, 8, 7};
    assert_ok(lsql_bind_text(st, 1, text, sizeof text - 1, LSQL_STATIC));
    assert_ok(lsql_bind_blob(st, 2, blob, sizeof blob, LSQL_STATIC));
    assert_rc(LSQL_ROW, lsql_step(st, &e));
    assert_string_equal(lsql_column_text(st, 0, NULL), "static text");
    size_t n;
    assert_memory_equal(lsql_column_blob(st, 1, &n), blob, sizeof blob);
    assert_int_equal(n, sizeof blob);
    lsql_finalize(st);
}

/* ---- introspection ---------------------------------------------------------- */

static void param_introspection(void **state)
{
    lsql_conn *c = *state;
    lsql_stmt *st;
    lsql_error e;
    assert_ok(lsql_prepare(c, "SELECT :a, ?, @b, $c, ?6, :a", -1, 0, &st, NULL, &e));
    assert_int_equal(lsql_param_count(st), 6);
    assert_string_equal(lsql_param_name(st, 1), ":a");
    assert_null(lsql_param_name(st, 2)); /* anonymous */
    assert_string_equal(lsql_param_name(st, 3), "@b");
    assert_string_equal(lsql_param_name(st, 4), "$c");
    assert_null(lsql_param_name(st, 5)); /* gap */
    assert_string_equal(lsql_param_name(st, 6), "?6");
    assert_null(lsql_param_name(st, 0));
    assert_null(lsql_param_name(st, 7));
    assert_null(lsql_param_name(st, -1));
    assert_int_equal(lsql_param_index(st, ":a"), 1);
    assert_int_equal(lsql_param_index(st, "a"), 1);
    assert_int_equal(lsql_param_index(st, "b"), 3);
    assert_int_equal(lsql_param_index(st, "@b"), 3);
    assert_int_equal(lsql_param_index(st, ":b"), 0);
    assert_int_equal(lsql_param_index(st, "c"), 4);
    assert_int_equal(lsql_param_index(st, "$c"), 4);
    assert_int_equal(lsql_param_index(st, "?6"), 6);
    assert_int_equal(lsql_param_index(st, "zz"), 0);
    assert_int_equal(lsql_param_index(st, ""), 0);
    assert_int_equal(lsql_param_index(st, NULL), 0);
    lsql_finalize(st);
    assert_ok(lsql_prepare(c, "SELECT 1", -1, 0, &st, NULL, &e));
    assert_int_equal(lsql_param_count(st), 0);
    assert_null(lsql_param_name(st, 1));
    lsql_finalize(st);
    /* invalid handles */
    assert_int_equal(lsql_param_count(NULL), 0);
    assert_null(lsql_param_name(NULL, 1));
    assert_int_equal(lsql_param_index(NULL, "a"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(positional, setup, teardown),
        cmocka_unit_test_setup_teardown(numbered, setup, teardown),
        cmocka_unit_test_setup_teardown(named_with_and_without_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(prefix_search_order, setup, teardown),
        cmocka_unit_test_setup_teardown(repeated_name_one_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(mixed_positional_and_named, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_count, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_name, setup, teardown),
        cmocka_unit_test_setup_teardown(duplicate, setup, teardown),
        cmocka_unit_test_setup_teardown(missing, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_type_tag, setup, teardown),
        cmocka_unit_test_setup_teardown(null_params_array, setup, teardown),
        cmocka_unit_test_setup_teardown(text_null_pointer_with_length, setup, teardown),
        cmocka_unit_test_setup_teardown(long_names, setup, teardown),
        cmocka_unit_test_setup_teardown(many_parameters_named, setup, teardown),
        cmocka_unit_test_setup_teardown(bind_by_index, setup, teardown),
        cmocka_unit_test_setup_teardown(bind_while_running, setup, teardown),
        cmocka_unit_test_setup_teardown(bind_named_api, setup, teardown),
        cmocka_unit_test_setup_teardown(bind_params_api, setup, teardown),
        cmocka_unit_test_setup_teardown(copy_lifetime, setup, teardown),
        cmocka_unit_test_setup_teardown(static_lifetime, setup, teardown),
        cmocka_unit_test_setup_teardown(param_introspection, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
