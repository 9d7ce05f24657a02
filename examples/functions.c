/* functions.c -- custom SQL functions written in C.
 *
 * A scalar function gets its arguments as lsql_value (text and blob kept
 * apart) and sets its result with lsql_result_*; it can fail the statement
 * with lsql_result_error. An aggregate keeps a per-group state that lsql
 * allocates zeroed. User data is handed back on every call and released by
 * its destructor when the function goes away (here at close). */
#include <lsql.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

/* slugify(text): lower case, runs of other characters become one '-' */
static void slugify(lsql_fn_ctx *fc, int argc, const lsql_value *argv)
{
    (void)argc;
    if (argv[0].type == LSQL_TYPE_NULL) {
        lsql_result_null(fc);
        return;
    }
    if (argv[0].type != LSQL_TYPE_TEXT) {
        lsql_result_error(fc, LSQL_MISMATCH, "slugify() wants TEXT");
        return;
    }
    const char *s = argv[0].u.bytes.p;
    size_t n = argv[0].u.bytes.n, o = 0;
    char *out = malloc(n + 1);
    if (!out) {
        lsql_result_error(fc, LSQL_NOMEM, NULL);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (isalnum(ch))
            out[o++] = (char)tolower(ch);
        else if (o && out[o - 1] != '-')
            out[o++] = '-';
    }
    while (o && out[o - 1] == '-')
        o--;
    lsql_result_text(fc, out, o, LSQL_COPY);
    free(out);
}

/* weighted_avg(value, weight) */
typedef struct {
    double sum, weights;
} wavg;

static void wavg_step(lsql_fn_ctx *fc, int argc, const lsql_value *argv)
{
    (void)argc;
    wavg *st = lsql_fn_aggregate_state(fc);
    if (!st)
        return;
    double v = argv[0].type == LSQL_TYPE_INTEGER ? (double)argv[0].u.i : argv[0].u.d;
    double w = argv[1].type == LSQL_TYPE_INTEGER ? (double)argv[1].u.i : argv[1].u.d;
    st->sum += v * w;
    st->weights += w;
}

static void wavg_final(lsql_fn_ctx *fc)
{
    wavg *st = lsql_fn_aggregate_state(fc);
    if (!st || st->weights == 0)
        lsql_result_null(fc);
    else
        lsql_result_double(fc, st->sum / st->weights);
}

/* scaled(x): x times the factor given as user data */
static void scaled(lsql_fn_ctx *fc, int argc, const lsql_value *argv)
{
    (void)argc;
    const double *factor = lsql_fn_user_data(fc);
    lsql_result_double(fc, (argv[0].type == LSQL_TYPE_INTEGER ? (double)argv[0].u.i
                                                              : argv[0].u.d) * *factor);
}

static void release_factor(void *p)
{
    printf("destructor: releasing the factor of scaled()\n");
    free(p);
}

int main(void)
{
    lsql_db *db = NULL;
    lsql_conn *conn = NULL;
    lsql_error err;
    if (lsql_db_open_url(":memory:", &db, &err) || lsql_db_connect(db, &conn, &err)) {
        fprintf(stderr, "open: %s\n", err.message);
        return 1;
    }
    double *factor = malloc(sizeof *factor);
    if (!factor)
        return 1;
    *factor = 2.5;
    if (lsql_create_function(conn, "slugify", 1, LSQL_FN_DETERMINISTIC | LSQL_FN_INNOCUOUS,
                             slugify, NULL, NULL, &err) ||
        lsql_create_aggregate(conn, "weighted_avg", 2, LSQL_FN_DETERMINISTIC, sizeof(wavg),
                              wavg_step, wavg_final, NULL, NULL, &err) ||
        lsql_create_function(conn, "scaled", 1, 0, scaled, factor, release_factor, &err)) {
        fprintf(stderr, "register: %s\n", err.message);
        return 1;
    }
    lsql_value v;
    lsql_query_value(conn, "SELECT slugify('Hello, World -- from C!')", NULL, 0, &v, &err);
    printf("slugify: %s\n", (const char *)v.u.bytes.p);
    lsql_value_release(&v);

    lsql_exec(conn, "CREATE TABLE grades(score REAL, weight INTEGER)", NULL, 0, NULL, &err);
    lsql_exec(conn, "INSERT INTO grades VALUES (90, 1), (70, 3)", NULL, 0, NULL, &err);
    lsql_query_value(conn, "SELECT weighted_avg(score, weight) FROM grades", NULL, 0, &v, &err);
    printf("weighted_avg: %.2f\n", v.u.d);
    double avg = v.u.d;
    lsql_query_value(conn, "SELECT scaled(4)", NULL, 0, &v, &err);
    printf("scaled(4): %.1f\n", v.u.d);

    int rc = lsql_query_value(conn, "SELECT slugify(42)", NULL, 0, &v, &err);
    printf("slugify(42): %s (%s)\n", lsql_errname(rc), err.message);
    lsql_db_close(db); /* runs release_factor */
    return avg == 75.0 && rc == LSQL_MISMATCH ? 0 : 1;
}
