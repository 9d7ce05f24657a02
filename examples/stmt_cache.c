/* stmt_cache.c -- the per-connection statement cache.
 *
 * lsql_exec / lsql_query / lsql_query_one / lsql_query_value look the SQL
 * text up in the connection's cache of idle prepared statements: the first
 * call prepares (a miss), later calls with the same text reuse it (hits).
 * lsql_prepare with LSQL_PREPARE_CACHED uses the same cache, and
 * lsql_finalize hands such a statement back instead of destroying it. */
#include <lsql.h>

#include <stdio.h>

static int fail(const char *what, const lsql_error *err)
{
    fprintf(stderr, "%s: %s\n", what, err->message);
    return 1;
}

static void print_stats(const char *when, lsql_conn *conn)
{
    lsql_cache_stats s;
    s.struct_size = sizeof s; /* lets later versions add fields safely */
    if (lsql_stmt_cache_stats(conn, &s) != LSQL_OK)
        return;
    printf("%-34s capacity %2d, idle %d, hits %llu, misses %llu, evictions %llu\n", when,
           s.capacity, s.size, (unsigned long long)s.hits, (unsigned long long)s.misses,
           (unsigned long long)s.evictions);
}

int main(void)
{
    lsql_error err;
    lsql_db_opts opts;
    lsql_db_opts_init(&opts);
    opts.mode = LSQL_MODE_MEMORY;
    opts.stmt_cache_capacity = 4; /* small, to show evictions (default 64) */
    lsql_db *db = NULL;
    lsql_conn *conn = NULL;
    if (lsql_db_open(&opts, &db, &err) || lsql_db_connect(db, &conn, &err))
        return fail("open", &err);
    print_stats("fresh connection:", conn);

    if (lsql_exec(conn, "CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT)", NULL, 0, NULL, &err))
        return fail("create", &err);

    /* The same INSERT a thousand times: prepared once, then cache hits. */
    for (int i = 0; i < 1000; i++) {
        lsql_param p[] = {{NULL, lsql_int(i)}, {NULL, lsql_text_z("value")}};
        if (lsql_exec(conn, "INSERT INTO kv VALUES (?, ?)", p, 2, NULL, &err))
            return fail("insert", &err);
    }
    print_stats("after 1000 identical INSERTs:", conn);

    /* A cached prepared statement: taken from the cache, given back by
     * lsql_finalize (reset, bindings cleared). */
    for (int round = 0; round < 3; round++) {
        lsql_stmt *st = NULL;
        if (lsql_prepare(conn, "SELECT v FROM kv WHERE k = ?", -1, LSQL_PREPARE_CACHED, &st,
                         NULL, &err))
            return fail("prepare", &err);
        lsql_bind_int64(st, 1, round);
        if (lsql_step(st, &err) != LSQL_ROW)
            return fail("step", &err);
        lsql_finalize(st);
    }
    print_stats("after 3 cached prepares:", conn);

    /* More distinct statements than the capacity: the least recently used
     * ones are evicted (finalized). */
    const char *queries[] = {"SELECT count(*) FROM kv", "SELECT max(k) FROM kv",
                             "SELECT min(k) FROM kv", "SELECT sum(k) FROM kv",
                             "SELECT avg(k) FROM kv"};
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        lsql_value v;
        if (lsql_query_value(conn, queries[i], NULL, 0, &v, &err))
            return fail("query", &err);
        lsql_value_release(&v);
    }
    print_stats("after 5 different queries:", conn);

    /* Note: the cache key is the exact text; "SELECT 1" and "select 1" are
     * two entries. Tuning at run time: */
    lsql_stmt_cache_set_capacity(conn, 2); /* shrinking evicts */
    print_stats("capacity set to 2:", conn);
    lsql_stmt_cache_clear(conn); /* finalize every idle statement */
    print_stats("cleared:", conn);
    lsql_stmt_cache_set_capacity(conn, 0); /* 0 disables the cache */
    lsql_exec(conn, "SELECT 1", NULL, 0, NULL, &err);
    print_stats("disabled, after one exec:", conn);

    lsql_db_close(db);
    return 0;
}
