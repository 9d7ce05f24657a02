/* test_func.c -- custom SQL functions: scalar and aggregate registration,
 * lsql_value arguments (text vs blob, embedded NULs, NULL, many arguments),
 * results and errors, flags (deterministic, direct-only), user data and its
 * destructor (replace, remove, close, failed registration), misuse. */
#include "coretest.h"

#include <math.h>

static int destroyed;
static void count_destroy(void *p)
{
    (void)p;
    destroyed++;
}

/* describe(x): "<type>:<bytes>" for each argument, joined by ',' */
static void describe(lsql_fn_ctx *fc, int argc, const lsql_value *argv)
{
    char out[512];
    size_t n = 0;
    out[0] = 0;
    for (int i = 0; i < argc; i++) {
        const lsql_value *v = &argv[i];
        switch (v->type) {
        case LSQL_TYPE_NULL:
            n += (size_t)snprintf(out + n, sizeof out - n, "%snull", i ? "," : "");
            break;
        case LSQL_TYPE_INTEGER:
            n += (size_t)snprintf(out + n, sizeof out - n, "%sint:%lld", i ? "," : "",
                                  (long long)v->u.i);
            break;
        case LSQL_TYPE_FLOAT:
            n += (size_t)snprintf(out + n, sizeof out - n, "%sfloat:%g", i ? "," : "", v->u.d);
            break;
        case LSQL_TYPE_TEXT:
            n += (size_t)snprintf(out + n, sizeof out - n, "%stext:%zu", i ? "," : "",
                                  v->u.bytes.n);
            break;
        case LSQL_TYPE_BLOB:
            n += (size_t)snprintf(out + n, sizeof out - n, "%sblob:%zu", i ? "," : "",
                                  v->u.bytes.n);
            break;
        }
    }
    lsql_result_text(fc, out, n, LSQL_COPY);
}

static void add_offset(lsql_fn_ctx *fc, int argc, const lsql_value *argv)
{
    (void)argc;
    const int64_t *off = lsql_fn_user_data(fc);
    if (argv[0].type != LSQL_TYPE_INTEGER) {
        lsql_result_error(fc, LSQL_MISMATCH, "add_offset wants an INTEGER");
        return;
    }
    lsql_result_int64(fc, argv[0].u.i + *off);
}

static void results(lsql_fn_ctx *fc, int argc, const lsql_value *argv)
{
    (void)argc;
    static const char stat[] = "static";
    switch (argv[0].u.i) {
    case 0:
        lsql_result_null(fc);
        break;
    case 1:
        lsql_result_double(fc, 2.5);
        break;
    case 2:
        lsql_result_blob(fc, "a\0b", 3, LSQL_COPY);
        break;
    case 3:
        lsql_result_text(fc, stat, sizeof stat - 1, LSQL_STATIC);
        break;
    case 4: {
        lsql_value v = lsql_text("x\0y", 3);
        lsql_result_value(fc, &v);
        break;
    }
    case 5: {
        lsql_value v;
        v.type = 99;
        v.u.i = 0;
        lsql_result_value(fc, &v);
        break;
    }
    case 6:
        lsql_result_error(fc, LSQL_CONSTRAINT_FUNCTION, "custom rule broken");
        break;
    case 7:
        lsql_result_error(fc, LSQL_INVALID_ARG, NULL); /* lsql-only code: reported as ERROR */
        break;
    case 8:
        lsql_result_value(fc, NULL);
        break;
    case 9:
        lsql_result_error(fc, LSQL_NOMEM, NULL);
        break;
    default:
        break; /* no result: NULL */
    }
}

static int64_t counter;
static void next_id(lsql_fn_ctx *fc, int argc, const lsql_value *argv)
{
    (void)argc;
    (void)argv;
    lsql_result_int64(fc, ++counter);
}

static void scalar(void **state)
{
    (void)state;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    tu_open_memory(&db, &c);
    lsql_error e;
    ct_expect(LSQL_OK, &e, lsql_create_function(c, "describe", -1, 0, describe, NULL, NULL, &e));
    char buf[512];
    assert_string_equal(ct_text(c, "SELECT describe(1, 2.5, 'ab', x'0001', NULL)", buf, sizeof buf),
                        "int:1,float:2.5,text:2,blob:2,null");
    lsql_param p[] = {{NULL, lsql_text("a\0b", 3)}, {NULL, lsql_blob("", 0)}};
    lsql_value v;
    ct_expect(LSQL_OK, &e, lsql_query_value(c, "SELECT describe(?, ?)", p, 2, &v, &e));
    assert_string_equal(v.u.bytes.p, "text:3,blob:0");
    lsql_value_release(&v);
    /* more arguments than the trampoline keeps on its stack */
    assert_string_equal(ct_text(c, "SELECT describe(1,2,3,4,5,6,7,8,9,10,11,12)", buf, sizeof buf),
                        "int:1,int:2,int:3,int:4,int:5,int:6,int:7,int:8,int:9,int:10,int:11,"
                        "int:12");
    assert_string_equal(ct_text(c, "SELECT describe()", buf, sizeof buf), "");

    /* user data and destructor */
    int64_t *off = malloc(sizeof *off);
    *off = 100;
    destroyed = 0;
    ct_expect(LSQL_OK, &e,
              lsql_create_function(c, "add_offset", 1, LSQL_FN_DETERMINISTIC, add_offset, off,
                                   free, &e));
    assert_int_equal(ct_int(c, "SELECT add_offset(5)"), 105);
    int64_t n = 0;
    ct_expect(LSQL_MISMATCH, &e, lsql_query_int64(c, "SELECT add_offset('x')", NULL, 0, &n, &e));
    assert_non_null(strstr(e.message, "INTEGER"));
    /* wrong arity: SQLite's own error */
    ct_expect(LSQL_ERROR, &e, lsql_query_int64(c, "SELECT add_offset(1, 2)", NULL, 0, &n, &e));

    /* deterministic: usable in an index expression; not so without the flag */
    tu_exec(c, "CREATE TABLE t(x INTEGER)");
    tu_exec(c, "CREATE INDEX t_off ON t(add_offset(x))");
    tu_exec(c, "INSERT INTO t VALUES (1), (2)");
    assert_int_equal(ct_int(c, "SELECT x FROM t WHERE add_offset(x) = 102"), 2);
    ct_expect(LSQL_OK, &e, lsql_create_function(c, "next_id", 0, 0, next_id, NULL, NULL, &e));
    ct_expect(LSQL_ERROR, &e, lsql_exec(c, "CREATE INDEX t_bad ON t(next_id())", NULL, 0, NULL, &e));

    /* direct-only: refused inside a view */
    ct_expect(LSQL_OK, &e,
              lsql_create_function(c, "secret_fn", 0, LSQL_FN_DIRECTONLY, next_id, NULL, NULL, &e));
    assert_true(ct_int(c, "SELECT secret_fn()") > 0);
    tu_exec(c, "CREATE VIEW vw AS SELECT secret_fn() AS s");
    ct_expect(LSQL_ERROR, &e, lsql_query_int64(c, "SELECT s FROM vw", NULL, 0, &n, &e));
    ct_expect(LSQL_OK, &e,
              lsql_create_function(c, "inno", 0, LSQL_FN_INNOCUOUS | LSQL_FN_DETERMINISTIC, next_id,
                                   NULL, NULL, &e));

    /* results of every kind */
    ct_expect(LSQL_OK, &e, lsql_create_function(c, "res", 1, 0, results, NULL, NULL, &e));
    ct_expect(LSQL_OK, &e, lsql_query_value(c, "SELECT res(0)", NULL, 0, &v, &e));
    assert_int_equal(v.type, LSQL_TYPE_NULL);
    ct_expect(LSQL_OK, &e, lsql_query_value(c, "SELECT res(1)", NULL, 0, &v, &e));
    assert_true(v.type == LSQL_TYPE_FLOAT && v.u.d == 2.5);
    ct_expect(LSQL_OK, &e, lsql_query_value(c, "SELECT res(2)", NULL, 0, &v, &e));
    assert_int_equal(v.type, LSQL_TYPE_BLOB);
    assert_int_equal(v.u.bytes.n, 3);
    assert_memory_equal(v.u.bytes.p, "a\0b", 3);
    lsql_value_release(&v);
    assert_string_equal(ct_text(c, "SELECT res(3)", buf, sizeof buf), "static");
    ct_expect(LSQL_OK, &e, lsql_query_value(c, "SELECT res(4)", NULL, 0, &v, &e));
    assert_int_equal(v.type, LSQL_TYPE_TEXT);
    assert_int_equal(v.u.bytes.n, 3);
    lsql_value_release(&v);
    ct_expect(LSQL_ERROR, &e, lsql_query_value(c, "SELECT res(5)", NULL, 0, &v, &e));
    assert_non_null(strstr(e.message, "type tag"));
    ct_expect(LSQL_CONSTRAINT_FUNCTION, &e, lsql_query_value(c, "SELECT res(6)", NULL, 0, &v, &e));
    assert_string_equal(e.message, "custom rule broken");
    assert_int_equal(e.constraint_kind, LSQL_CONSTRAINT_KIND_OTHER);
    ct_expect(LSQL_ERROR, &e, lsql_query_value(c, "SELECT res(7)", NULL, 0, &v, &e));
    ct_expect(LSQL_ERROR, &e, lsql_query_value(c, "SELECT res(8)", NULL, 0, &v, &e));
    ct_expect(LSQL_NOMEM, &e, lsql_query_value(c, "SELECT res(9)", NULL, 0, &v, &e));
    ct_expect(LSQL_OK, &e, lsql_query_value(c, "SELECT res(10)", NULL, 0, &v, &e));
    assert_int_equal(v.type, LSQL_TYPE_NULL);

    /* replacing calls the old destructor; removing too */
    int64_t *off2 = malloc(sizeof *off2);
    *off2 = 1000;
    ct_expect(LSQL_OK, &e,
              lsql_create_function(c, "cnt", 1, 0, add_offset, off2, count_destroy, &e));
    ct_expect(LSQL_OK, &e,
              lsql_create_function(c, "cnt", 1, 0, add_offset, off2, count_destroy, &e));
    assert_int_equal(destroyed, 1);
    assert_int_equal(ct_int(c, "SELECT cnt(1)"), 1001);
    ct_expect(LSQL_OK, &e, lsql_create_function(c, "cnt", 1, 0, NULL, NULL, NULL, &e));
    assert_int_equal(destroyed, 2);
    ct_expect(LSQL_ERROR, &e, lsql_query_int64(c, "SELECT cnt(1)", NULL, 0, &n, &e));
    free(off2);
    lsql_db_close(db); /* frees `off` through its destructor (ASan checks) */
}

/* ---- aggregates ------------------------------------------------------------------ */

typedef struct {
    int64_t n;
    double sum;
    char *buf; /* owned by the state: freed in final */
} agg;

static void mean_step(lsql_fn_ctx *fc, int argc, const lsql_value *argv)
{
    (void)argc;
    agg *a = lsql_fn_aggregate_state(fc);
    if (!a) {
        lsql_result_error(fc, LSQL_NOMEM, NULL);
        return;
    }
    if (argv[0].type == LSQL_TYPE_NULL)
        return;
    if (!a->buf)
        a->buf = malloc(16); /* something to release in final */
    a->n++;
    a->sum += argv[0].type == LSQL_TYPE_INTEGER ? (double)argv[0].u.i : argv[0].u.d;
}

static int finals;
static void mean_final(lsql_fn_ctx *fc)
{
    agg *a = lsql_fn_aggregate_state(fc);
    finals++;
    if (!a) {
        lsql_result_error(fc, LSQL_NOMEM, NULL);
        return;
    }
    free(a->buf);
    a->buf = NULL;
    if (a->n == 0)
        lsql_result_null(fc);
    else
        lsql_result_double(fc, a->sum / (double)a->n);
}

static void no_state_step(lsql_fn_ctx *fc, int argc, const lsql_value *argv)
{
    (void)argc;
    (void)argv;
    assert_null(lsql_fn_aggregate_state(fc)); /* state_size 0 */
    int *calls = lsql_fn_user_data(fc);
    (*calls)++;
}

static void no_state_final(lsql_fn_ctx *fc)
{
    int *calls = lsql_fn_user_data(fc);
    lsql_result_int64(fc, *calls);
}

static void aggregate(void **state)
{
    (void)state;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    tu_open_memory(&db, &c);
    lsql_error e;
    ct_expect(LSQL_OK, &e,
              lsql_create_aggregate(c, "mean", 1, LSQL_FN_DETERMINISTIC, sizeof(agg), mean_step,
                                    mean_final, NULL, NULL, &e));
    tu_exec(c, "CREATE TABLE t(g TEXT, v)");
    tu_exec(c, "INSERT INTO t VALUES ('a', 1), ('a', 2), ('a', NULL), ('b', 10), ('b', 20.5)");
    lsql_rows *r = NULL;
    ct_expect(LSQL_OK, &e, lsql_query(c, "SELECT g, mean(v) FROM t GROUP BY g ORDER BY g", NULL, 0,
                                      &r, &e));
    ct_expect(LSQL_ROW, &e, lsql_rows_next(r, &e));
    assert_true(fabs(lsql_rows_double(r, 1) - 1.5) < 1e-9);
    ct_expect(LSQL_ROW, &e, lsql_rows_next(r, &e));
    assert_true(fabs(lsql_rows_double(r, 1) - 15.25) < 1e-9);
    ct_expect(LSQL_DONE, &e, lsql_rows_next(r, &e));
    lsql_rows_free(r);
    /* empty input: final once, with a zeroed state */
    finals = 0;
    lsql_value v;
    ct_expect(LSQL_OK, &e, lsql_query_value(c, "SELECT mean(v) FROM t WHERE 0", NULL, 0, &v, &e));
    assert_int_equal(v.type, LSQL_TYPE_NULL);
    assert_int_equal(finals, 1);
    /* a query stopped part-way still finalizes (the state's buffer is freed:
     * LeakSanitizer would see it otherwise) */
    ct_expect(LSQL_OK, &e, lsql_query(c, "SELECT g, mean(v) FROM t GROUP BY g", NULL, 0, &r, &e));
    ct_expect(LSQL_ROW, &e, lsql_rows_next(r, &e));
    lsql_rows_free(r);
    /* window use is not offered (no inverse): SQLite refuses it */
    int64_t n;
    ct_expect(LSQL_ERROR, &e,
              lsql_query_int64(c, "SELECT count(*) FROM (SELECT mean(v) OVER () FROM t)", NULL, 0,
                               &n, &e));

    int calls = 0;
    ct_expect(LSQL_OK, &e,
              lsql_create_aggregate(c, "nstep", -1, 0, 0, no_state_step, no_state_final, &calls,
                                    NULL, &e));
    assert_int_equal(ct_int(c, "SELECT nstep(v, g) FROM t"), 5);

    /* removal with NULL step/final, destructor called */
    destroyed = 0;
    ct_expect(LSQL_OK, &e,
              lsql_create_aggregate(c, "mean2", 1, 0, sizeof(agg), mean_step, mean_final, &calls,
                                    count_destroy, &e));
    ct_expect(LSQL_OK, &e,
              lsql_create_aggregate(c, "mean2", 1, 0, 0, NULL, NULL, NULL, NULL, &e));
    assert_int_equal(destroyed, 1);

    /* errors: step without final, state too big */
    ct_expect(LSQL_INVALID_ARG, &e,
              lsql_create_aggregate(c, "bad", 1, 0, 8, mean_step, NULL, NULL, count_destroy, &e));
    assert_int_equal(destroyed, 2);
    ct_expect(LSQL_INVALID_ARG, &e,
              lsql_create_aggregate(c, "bad", 1, 0, 65537, mean_step, mean_final, NULL,
                                    count_destroy, &e));
    assert_int_equal(destroyed, 3);
    lsql_db_close(db);
}

static void registration_errors(void **state)
{
    (void)state;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    tu_open_memory(&db, &c);
    lsql_error e;
    char longname[300];
    memset(longname, 'f', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    destroyed = 0;
    ct_expect(LSQL_INVALID_NAME, &e,
              lsql_create_function(c, NULL, 0, 0, next_id, NULL, count_destroy, &e));
    ct_expect(LSQL_INVALID_NAME, &e,
              lsql_create_function(c, "", 0, 0, next_id, NULL, count_destroy, &e));
    ct_expect(LSQL_INVALID_NAME, &e,
              lsql_create_function(c, longname, 0, 0, next_id, NULL, count_destroy, &e));
    ct_expect(LSQL_INVALID_ARG, &e,
              lsql_create_function(c, "f", 128, 0, next_id, NULL, count_destroy, &e));
    ct_expect(LSQL_INVALID_ARG, &e,
              lsql_create_function(c, "f", -2, 0, next_id, NULL, count_destroy, &e));
    ct_expect(LSQL_INVALID_ARG, &e,
              lsql_create_function(c, "f", 0, 0x80, next_id, NULL, count_destroy, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e,
              lsql_create_function(NULL, "f", 0, 0, next_id, NULL, count_destroy, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e,
              lsql_create_aggregate((lsql_conn *)db, "f", 0, 0, 0, next_id, no_state_final, NULL,
                                    count_destroy, &e));
    assert_int_equal(destroyed, 8); /* ownership passed on every failure */

    /* replacing a function while a statement that uses it runs: BUSY */
    ct_expect(LSQL_OK, &e, lsql_create_function(c, "next_id", 0, 0, next_id, NULL, NULL, &e));
    lsql_rows *r = NULL;
    ct_expect(LSQL_OK, &e,
              lsql_query(c, "SELECT next_id() FROM (SELECT 1 UNION ALL SELECT 2)", NULL, 0, &r, &e));
    ct_expect(LSQL_ROW, &e, lsql_rows_next(r, &e));
    ct_expect(LSQL_BUSY, &e,
              lsql_create_function(c, "next_id", 0, 0, next_id, NULL, count_destroy, &e));
    assert_int_equal(destroyed, 9);
    lsql_rows_free(r);

    /* calls on invalid contexts are ignored */
    assert_null(lsql_fn_user_data(NULL));
    assert_null(lsql_fn_aggregate_state(NULL));
    lsql_result_null(NULL);
    lsql_result_int64(NULL, 1);
    lsql_result_double(NULL, 1);
    lsql_result_text(NULL, "x", 1, LSQL_COPY);
    lsql_result_blob(NULL, "x", 1, LSQL_COPY);
    lsql_result_value(NULL, NULL);
    lsql_result_error(NULL, LSQL_ERROR, "x");
    assert_null(lsql_fn_user_data((lsql_fn_ctx *)c));

    /* a destructor runs when the connection closes */
    destroyed = 0;
    ct_expect(LSQL_OK, &e, lsql_create_function(c, "g", 0, 0, next_id, NULL, count_destroy, &e));
    assert_ok(lsql_conn_close(c));
    assert_int_equal(destroyed, 1);
    lsql_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scalar),
        cmocka_unit_test(aggregate),
        cmocka_unit_test(registration_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
