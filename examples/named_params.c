/* named_params.c -- named parameters and lsql_param arrays.
 *
 * SQLite spells named parameters :name, @name and $name, and numbered ones
 * ?NNN. In an lsql_param array a name may be given with its prefix (":id")
 * or without ("id": ':', '@' and '$' are tried in that order); a NULL name
 * means positional. Every mistake has its own code and the message names
 * the parameter. */
#include <lsql.h>

#include <stdio.h>

static int fail(const char *what, const lsql_error *err)
{
    fprintf(stderr, "%s: %s\n", what, err->message);
    return 1;
}

int main(void)
{
    lsql_error err;
    lsql_db_opts opts;
    lsql_db_opts_init(&opts);
    opts.mode = LSQL_MODE_MEMORY;
    lsql_db *db = NULL;
    lsql_conn *conn = NULL;
    if (lsql_db_open(&opts, &db, &err) || lsql_db_connect(db, &conn, &err))
        return fail("open", &err);
    if (lsql_exec(conn, "CREATE TABLE pets(name TEXT, kind TEXT, legs INTEGER, age INTEGER)",
                  NULL, 0, NULL, &err))
        return fail("create", &err);

    /* All four spellings in one statement. */
    const char *ins = "INSERT INTO pets VALUES (:name, @kind, $legs, ?4)";

    /* Names with their prefix, in any order. */
    lsql_param a[] = {
        {"@kind", lsql_text_z("cat")},
        {":name", lsql_text_z("Tom")},
        {"?4", lsql_int(3)},
        {"$legs", lsql_int(4)},
    };
    if (lsql_exec(conn, ins, a, 4, NULL, &err))
        return fail("insert with prefixes", &err);

    /* Names without their prefix. */
    lsql_param b[] = {
        {"name", lsql_text_z("Polly")},
        {"kind", lsql_text_z("parrot")},
        {"legs", lsql_int(2)},
        {"?4", lsql_int(40)},
    };
    if (lsql_exec(conn, ins, b, 4, NULL, &err))
        return fail("insert without prefixes", &err);

    /* Positional: entries bind ?1, ?2, ... in order (named slots too). */
    lsql_param c[] = {
        {NULL, lsql_text_z("Rex")},
        {NULL, lsql_text_z("dog")},
        {NULL, lsql_int(4)},
        {NULL, lsql_int(7)},
    };
    if (lsql_exec(conn, ins, c, 4, NULL, &err))
        return fail("insert positional", &err);

    /* Mixed: positional entries take the slots in order, names the rest. */
    lsql_param d[] = {
        {NULL, lsql_text_z("Nemo")},
        {"age", lsql_null()},
        {"kind", lsql_text_z("fish")},
        {"legs", lsql_int(0)},
    };
    /* "age" does not exist: the 4th slot is ?4, so this is an error ... */
    int rc = lsql_exec(conn, ins, d, 4, NULL, &err);
    printf("unknown name:      %-22s %s\n", lsql_errname(rc), err.message);
    if (rc != LSQL_PARAM_UNKNOWN)
        return 1;
    d[1].name = "?4"; /* ... and this is right */
    if (lsql_exec(conn, ins, d, 4, NULL, &err))
        return fail("insert mixed", &err);

    /* The other mistakes. */
    lsql_param dup[] = {{":name", lsql_text_z("x")}, {"name", lsql_text_z("y")},
                        {"kind", lsql_null()},       {"legs", lsql_null()},
                        {"?4", lsql_null()}};
    rc = lsql_exec(conn, ins, dup, 5, NULL, &err);
    printf("given twice:       %-22s %s\n", lsql_errname(rc), err.message);
    if (rc != LSQL_PARAM_DUPLICATE)
        return 1;
    rc = lsql_exec(conn, ins, a, 3, NULL, &err); /* the $legs entry left out */
    printf("missing value:     %-22s %s\n", lsql_errname(rc), err.message);
    if (rc != LSQL_PARAM_MISSING)
        return 1;
    rc = lsql_exec(conn, ins, c, 3, NULL, &err); /* positional: count must match */
    printf("wrong count:       %-22s %s\n", lsql_errname(rc), err.message);
    if (rc != LSQL_PARAM_COUNT)
        return 1;

    /* On a prepared statement: names and indexes, and lsql_bind_named. */
    lsql_stmt *st = NULL;
    if (lsql_prepare(conn, "SELECT name FROM pets WHERE kind = :kind AND legs >= :legs", -1, 0,
                     &st, NULL, &err))
        return fail("prepare", &err);
    for (int i = 1; i <= lsql_param_count(st); i++)
        printf("parameter %d is %s\n", i, lsql_param_name(st, i));
    printf("index of \"legs\" (no prefix): %d\n", lsql_param_index(st, "legs"));
    lsql_value kind = lsql_text_z("dog"), legs = lsql_int(1);
    if (lsql_bind_named(st, "kind", &kind, LSQL_STATIC) ||
        lsql_bind_named(st, ":legs", &legs, LSQL_STATIC)) {
        fprintf(stderr, "bind_named: %s\n", lsql_conn_errmsg(conn));
        return 1;
    }
    while ((rc = lsql_step(st, &err)) == LSQL_ROW)
        printf("a dog: %s\n", lsql_column_text(st, 0, NULL));
    if (rc != LSQL_DONE)
        return fail("step", &err);
    /* lsql_bind_params binds a whole array (the same rules as lsql_exec). */
    lsql_param fish[] = {{"kind", lsql_text_z("fish")}, {"legs", lsql_int(0)}};
    lsql_reset(st);
    if (lsql_bind_params(st, fish, 2, LSQL_COPY, &err))
        return fail("bind_params", &err);
    while ((rc = lsql_step(st, &err)) == LSQL_ROW)
        printf("a fish: %s\n", lsql_column_text(st, 0, NULL));
    if (rc != LSQL_DONE)
        return fail("step", &err);
    lsql_finalize(st);

    int64_t n = 0;
    if (lsql_query_int64(conn, "SELECT count(*) FROM pets", NULL, 0, &n, &err))
        return fail("count", &err);
    printf("%lld pets inserted\n", (long long)n);
    lsql_db_close(db);
    return n == 4 ? 0 : 1;
}
