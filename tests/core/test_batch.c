/* test_batch.c -- statement batches and scripts: per-step results (changes,
 * last rowid, detached rows with columns even when empty), non-atomic
 * stop-at-first-error, atomic rollback, behaviours, savepoint mode inside an
 * open transaction, step errors, flag validation, the retryable flag of the
 * whole call, and scripts (comments, empty statements, error offsets). */
#include "target.h"

#include <sqlite3.h>

static char g_path[1024];

typedef struct {
    lsql_db *db;
    lsql_conn *c;
    lsql_batch *b;
} fx;

static int setup(void **state)
{
    static fx f;
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = ct_path("batch", g_path, sizeof g_path);
    f.db = ct_target_open(&o);
    f.c = ct_connect(f.db);
    tu_exec(f.c, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT UNIQUE, score REAL)");
    assert_ok(lsql_batch_new(&f.b));
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    lsql_batch_free(f->b);
    if (f->db)
        assert_ok(lsql_db_close(f->db));
    ct_target_cleanup();
    tu_db_remove(g_path);
    return 0;
}

static int64_t count_t(lsql_conn *c) { return ct_int(c, "SELECT count(*) FROM t"); }

static lsql_step_result step(const lsql_batch_result *r, size_t i)
{
    lsql_step_result s;
    memset(&s, 0x5a, sizeof s);
    s.struct_size = sizeof s;
    assert_ok(lsql_batch_result_step(r, i, &s));
    return s;
}

static void add(lsql_batch *b, const char *sql, const lsql_param *p, size_t n)
{
    lsql_error e;
    int rc = lsql_batch_add(b, sql, p, n, &e);
    if (rc)
        fail_msg("lsql_batch_add '%s': %s", sql, e.message);
}

/* Three inserts (positional, named, mixed prefixes) and a SELECT. */
static void add_basic(lsql_batch *b)
{
    char name[8] = "ada";
    lsql_param p1[] = {{NULL, lsql_text_z(name)}, {NULL, lsql_float(1.5)}};
    add(b, "INSERT INTO t(name, score) VALUES (?, ?)", p1, 2);
    strcpy(name, "XXX"); /* the batch copied the text */
    lsql_param p2[] = {{":name", lsql_text_z("bob")}, {"score", lsql_float(2.5)}};
    add(b, "INSERT INTO t(name, score) VALUES (:name, :score)", p2, 2);
    lsql_param p3[] = {{"@n", lsql_text("cy\0d", 4)}};
    add(b, "INSERT INTO t(id, name) VALUES (10, @n)", p3, 1);
    add(b, "SELECT id, name, score FROM t ORDER BY id", NULL, 0);
}

static void success_non_atomic(void **state)
{
    fx *f = *state;
    add_basic(f->b);
    assert_int_equal(lsql_batch_count(f->b), 4);
    lsql_batch_result *r = NULL;
    lsql_error e;
    ct_expect(LSQL_OK, &e, lsql_batch_run(f->c, f->b, 0, &r, &e));
    assert_non_null(r);
    assert_int_equal(lsql_batch_result_count(r), 4);
    assert_int_equal(lsql_batch_result_failed_step(r), -1);
    ct_expect(LSQL_OK, &e, lsql_batch_result_status(r, &e));

    lsql_step_result s = step(r, 0);
    assert_int_equal(s.status, LSQL_OK);
    assert_int_equal(s.kind, LSQL_KIND_INSERT);
    assert_int_equal(s.changes, 1);
    assert_int_equal(s.last_insert_rowid, 1);
    assert_null(s.rows);
    assert_null(s.error);
    assert_int_equal(s.sql_offset, 0);
    assert_int_equal(s.sql_length, strlen("INSERT INTO t(name, score) VALUES (?, ?)"));
    s = step(r, 2);
    assert_int_equal(s.last_insert_rowid, 10);
    s = step(r, 3);
    assert_int_equal(s.kind, LSQL_KIND_SELECT);
    assert_int_equal(s.changes, 0);
    assert_int_equal(s.last_insert_rowid, 0);
    const lsql_rowset *rs = s.rows;
    assert_non_null(rs);
    assert_int_equal(lsql_rowset_count(rs), 3);
    assert_int_equal(lsql_rowset_column_count(rs), 3);
    assert_string_equal(lsql_rowset_column_name(rs, 1), "name");
    assert_string_equal(lsql_rowset_column_decltype(rs, 2), "REAL");
    assert_null(lsql_rowset_column_name(rs, 3));
    assert_null(lsql_rowset_column_decltype(rs, -1));
    assert_int_equal(lsql_rowset_int64(rs, 2, 0), 10);
    assert_string_equal(lsql_rowset_text(rs, 0, 1, NULL), "ada");
    size_t n = 0;
    const char *cyd = lsql_rowset_text(rs, 2, 1, &n);
    assert_int_equal(n, 4);
    assert_memory_equal(cyd, "cy\0d", 4);
    lsql_value v;
    assert_ok(lsql_rowset_get(rs, 1, 2, &v));
    assert_int_equal(v.type, LSQL_TYPE_FLOAT);
    assert_true(v.u.d == 2.5);
    assert_int_equal(lsql_rowset_int64(rs, 1, 2), 2); /* FLOAT truncated */
    assert_ok(lsql_rowset_get(rs, 2, 2, &v));
    assert_int_equal(v.type, LSQL_TYPE_NULL);
    assert_rc(LSQL_RANGE, lsql_rowset_get(rs, 3, 0, &v));
    assert_rc(LSQL_RANGE, lsql_rowset_get(rs, 0, 3, &v));
    assert_rc(LSQL_INVALID_ARG, lsql_rowset_get(rs, 0, 0, NULL));
    assert_int_equal(lsql_rowset_int64(rs, 9, 0), 0);
    assert_null(lsql_rowset_text(rs, 0, 0, &n)); /* an INTEGER: no text */
    assert_int_equal(n, 0);

    /* the result outlives the connection and the database */
    lsql_db_close(f->db);
    f->db = NULL;
    assert_string_equal(lsql_rowset_text(rs, 1, 1, NULL), "bob");
    lsql_batch_result_free(r);
}

static void stops_at_first_error(void **state)
{
    fx *f = *state;
    add_basic(f->b);
    lsql_param dup[] = {{NULL, lsql_text_z("bob")}};
    add(f->b, "INSERT INTO t(name) VALUES (?)", dup, 1); /* step 4: UNIQUE */
    add(f->b, "INSERT INTO t(name) VALUES ('never')", NULL, 0);
    add(f->b, "SELECT 1", NULL, 0);
    lsql_batch_result *r = NULL;
    lsql_error e;
    ct_expect(LSQL_CONSTRAINT_UNIQUE, &e, lsql_batch_run(f->c, f->b, 0, &r, &e));
    assert_non_null(strstr(e.message, "step 4: "));
    /* remote: the server names the columns, not the index (lsql.h) */
    assert_string_equal(e.constraint_name, ct_by_mode("sqlite_autoindex_t_1", "t.name"));
    assert_non_null(r);
    assert_int_equal(lsql_batch_result_failed_step(r), 4);
    lsql_error e2;
    ct_expect(LSQL_CONSTRAINT_UNIQUE, &e2, lsql_batch_result_status(r, &e2));
    assert_string_equal(e2.message, e.message);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(step(r, i).status, LSQL_OK);
    lsql_step_result s = step(r, 4);
    assert_int_equal(s.status, LSQL_CONSTRAINT_UNIQUE);
    assert_non_null(s.error);
    assert_int_equal(s.error->ext_code, LSQL_CONSTRAINT_UNIQUE);
    assert_null(strstr(s.error->message, "step 4")); /* the step's own message */
    for (size_t i = 5; i < 7; i++) {
        s = step(r, i);
        assert_int_equal(s.status, LSQL_TXN_SKIPPED);
        assert_non_null(s.error);
        assert_int_equal(s.error->ext_code, LSQL_TXN_SKIPPED);
        assert_non_null(strstr(s.error->message, "step 4"));
        assert_null(s.rows);
    }
    /* the connection's last error is the batch's */
    assert_int_equal(lsql_conn_errcode(f->c), LSQL_CONSTRAINT_UNIQUE);
    assert_non_null(strstr(lsql_conn_errmsg(f->c), "step 4: "));
    /* the steps before the failure stay */
    assert_int_equal(count_t(f->c), 3);
    assert_int_equal(ct_int(f->c, "SELECT count(*) FROM t WHERE name = 'never'"), 0);
    lsql_batch_result_free(r);
}

static void atomic(void **state)
{
    fx *f = *state;
    add_basic(f->b);
    lsql_batch_result *r = NULL;
    lsql_error e;
    ct_expect(LSQL_OK, &e, lsql_batch_run(f->c, f->b, LSQL_BATCH_ATOMIC, &r, &e));
    assert_int_equal(count_t(f->c), 3);
    int ac = 0;
    assert_ok(lsql_is_autocommit(f->c, &ac));
    assert_int_equal(ac, 1);
    lsql_batch_result_free(r);

    /* failure rolls back every step */
    lsql_batch_clear(f->b);
    assert_int_equal(lsql_batch_count(f->b), 0);
    add(f->b, "INSERT INTO t(name) VALUES ('x1')", NULL, 0);
    add(f->b, "INSERT INTO t(name) VALUES ('x2')", NULL, 0);
    add(f->b, "INSERT INTO t(name) VALUES ('ada')", NULL, 0); /* UNIQUE */
    add(f->b, "INSERT INTO t(name) VALUES ('x3')", NULL, 0);
    static const unsigned modes[] = {LSQL_BATCH_ATOMIC, LSQL_BATCH_ATOMIC | LSQL_BATCH_IMMEDIATE,
                                     LSQL_BATCH_ATOMIC | LSQL_BATCH_EXCLUSIVE};
    for (size_t m = 0; m < 3; m++) {
        ct_expect(LSQL_CONSTRAINT_UNIQUE, &e, lsql_batch_run(f->c, f->b, modes[m], &r, &e));
        assert_int_equal(lsql_batch_result_failed_step(r), 2);
        assert_int_equal(step(r, 0).status, LSQL_OK); /* ran, then rolled back */
        assert_int_equal(step(r, 3).status, LSQL_TXN_SKIPPED);
        assert_int_equal(count_t(f->c), 3);
        assert_ok(lsql_is_autocommit(f->c, &ac));
        assert_int_equal(ac, 1);
        lsql_batch_result_free(r);
    }
    /* the behaviours commit too */
    lsql_batch_clear(f->b);
    add(f->b, "INSERT INTO t(name) VALUES ('i')", NULL, 0);
    ct_expect(LSQL_OK, &e, lsql_batch_run(f->c, f->b, modes[1], &r, &e));
    lsql_batch_result_free(r);
    lsql_batch_clear(f->b);
    add(f->b, "INSERT INTO t(name) VALUES ('e')", NULL, 0);
    ct_expect(LSQL_OK, &e, lsql_batch_run(f->c, f->b, modes[2], &r, &e));
    lsql_batch_result_free(r);
    assert_int_equal(count_t(f->c), 5);
}

static void read_only_batch(void **state)
{
    fx *f = *state;
    tu_exec(f->c, "INSERT INTO t(name) VALUES ('a')");
    add(f->b, "SELECT count(*) FROM t", NULL, 0);
    lsql_batch_result *r;
    lsql_error e;
    unsigned ro = LSQL_BATCH_ATOMIC | LSQL_BATCH_READ_ONLY;
    ct_expect(LSQL_OK, &e, lsql_batch_run(f->c, f->b, ro, &r, &e));
    assert_int_equal(lsql_rowset_int64(step(r, 0).rows, 0, 0), 1);
    lsql_batch_result_free(r);
    add(f->b, "DELETE FROM t", NULL, 0);
    ct_expect(LSQL_READONLY_TXN, &e, lsql_batch_run(f->c, f->b, ro, &r, &e));
    assert_int_equal(lsql_batch_result_failed_step(r), 1);
    lsql_batch_result_free(r);
    /* query_only restored: writes work again */
    assert_int_equal(ct_int(f->c, "PRAGMA query_only"), 0);
    ct_expect(LSQL_OK, &e, lsql_batch_run(f->c, f->b, LSQL_BATCH_ATOMIC, &r, &e));
    lsql_batch_result_free(r);
    assert_int_equal(count_t(f->c), 0);
}

/* Inside an open transaction an atomic batch runs under a savepoint. */
static void inside_transaction(void **state)
{
    fx *f = *state;
    lsql_txn *t;
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_DEFERRED, &t, NULL));
    tu_exec(f->c, "INSERT INTO t(name) VALUES ('outer')");
    add(f->b, "INSERT INTO t(name) VALUES ('in1')", NULL, 0);
    add(f->b, "INSERT INTO t(name) VALUES ('outer')", NULL, 0); /* UNIQUE */
    lsql_batch_result *r = (lsql_batch_result *)(uintptr_t)1;
    lsql_error e;
    ct_expect(LSQL_CONSTRAINT_UNIQUE, &e, lsql_batch_run(f->c, f->b, LSQL_BATCH_ATOMIC, &r, &e));
    lsql_batch_result_free(r);
    /* the batch's step 0 is undone, the outer insert stays, the transaction
     * is still open */
    assert_int_equal(lsql_txn_active(t), 1);
    assert_int_equal(count_t(f->c), 1);
    /* success is released into the outer transaction */
    lsql_batch_clear(f->b);
    add(f->b, "INSERT INTO t(name) VALUES ('in2')", NULL, 0);
    ct_expect(LSQL_OK, &e, lsql_batch_run(f->c, f->b, LSQL_BATCH_ATOMIC, &r, &e));
    lsql_batch_result_free(r);
    assert_int_equal(count_t(f->c), 2);
    /* a behaviour flag cannot apply to an open transaction */
    r = (lsql_batch_result *)(uintptr_t)1;
    ct_expect(LSQL_TXN_ACTIVE, &e,
              lsql_batch_run(f->c, f->b, LSQL_BATCH_ATOMIC | LSQL_BATCH_IMMEDIATE, &r, &e));
    assert_null(r);
    /* non-atomic batches just run in it */
    ct_expect(LSQL_CONSTRAINT_UNIQUE, &e, lsql_batch_run(f->c, f->b, 0, &r, &e));
    lsql_batch_result_free(r);
    assert_int_equal(lsql_txn_active(t), 1);
    assert_ok(lsql_rollback(f->c, t, NULL));
    assert_int_equal(count_t(f->c), 0);
    lsql_txn_free(t);
}

static void step_errors(void **state)
{
    fx *f = *state;
    lsql_batch_result *r;
    lsql_error e;
    struct {
        const char *sql;
        lsql_param p[2];
        size_t n;
        int want;
    } cases[] = {
        {"SELECT 1; SELECT 2", {{NULL, {0, {0}}}}, 0, LSQL_INVALID_SQL},
        {"", {{NULL, {0, {0}}}}, 0, LSQL_INVALID_SQL},
        {"  -- only a comment", {{NULL, {0, {0}}}}, 0, LSQL_INVALID_SQL},
        {"SELEC 1", {{NULL, {0, {0}}}}, 0, LSQL_ERROR},
        {"SELECT ?, ?", {{NULL, {LSQL_TYPE_INTEGER, {1}}}}, 1, LSQL_PARAM_COUNT},
        {"SELECT :a", {{":b", {LSQL_TYPE_INTEGER, {1}}}}, 1, LSQL_PARAM_UNKNOWN},
        {"SELECT :a, :b", {{":a", {LSQL_TYPE_INTEGER, {1}}}}, 1, LSQL_PARAM_MISSING},
        {"SELECT * FROM missing", {{NULL, {0, {0}}}}, 0, LSQL_ERROR},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lsql_batch_clear(f->b);
        add(f->b, "SELECT 'first'", NULL, 0);
        add(f->b, cases[i].sql, cases[i].p, cases[i].n);
        /* remote: batch steps are not described; a parameter error is the
         * server's ARGS_INVALID, LSQL_PARAM_COUNT (lsql.h) */
        if (ct_remote() && LSQL_CLASS(cases[i].want) == LSQL_PARAM)
            cases[i].want = LSQL_PARAM_COUNT;
        ct_expect(cases[i].want, &e, lsql_batch_run(f->c, f->b, 0, &r, &e));
        assert_non_null(strstr(e.message, "step 1: "));
        assert_int_equal(lsql_batch_result_failed_step(r), 1);
        lsql_step_result s = step(r, 1);
        assert_int_equal(s.status, cases[i].want);
        ct_check_err(s.status, s.error);
        assert_int_equal(step(r, 0).status, LSQL_OK);
        lsql_batch_result_free(r);
    }
    /* a step that ends the batch's transaction */
    lsql_batch_clear(f->b);
    add(f->b, "INSERT INTO t(name) VALUES ('a')", NULL, 0);
    add(f->b, "COMMIT", NULL, 0);
    add(f->b, "INSERT INTO t(name) VALUES ('b')", NULL, 0);
    ct_expect(LSQL_TXN_ENDED, &e, lsql_batch_run(f->c, f->b, LSQL_BATCH_ATOMIC, &r, &e));
    assert_int_equal(lsql_batch_result_failed_step(r), 1);
    assert_int_equal(step(r, 2).status, LSQL_TXN_SKIPPED);
    lsql_batch_result_free(r);
    assert_int_equal(count_t(f->c), 1); /* committed by the step, as the message says */
    int ac = 0;
    assert_ok(lsql_is_autocommit(f->c, &ac));
    assert_int_equal(ac, 1);
}

static void bad_arguments(void **state)
{
    fx *f = *state;
    lsql_batch_result *r = (lsql_batch_result *)(uintptr_t)1;
    lsql_error e;
    add(f->b, "SELECT 1", NULL, 0);
    static const unsigned bad[] = {LSQL_BATCH_IMMEDIATE, LSQL_BATCH_READ_ONLY, 0x10u, 0x80000000u,
                                   LSQL_BATCH_ATOMIC | LSQL_BATCH_IMMEDIATE | LSQL_BATCH_EXCLUSIVE,
                                   LSQL_BATCH_ATOMIC | LSQL_BATCH_EXCLUSIVE | LSQL_BATCH_READ_ONLY};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = (lsql_batch_result *)(uintptr_t)1;
        ct_expect(LSQL_INVALID_ARG, &e, lsql_batch_run(f->c, f->b, bad[i], &r, &e));
        assert_null(r);
        r = (lsql_batch_result *)(uintptr_t)1;
        ct_expect(LSQL_INVALID_ARG, &e, lsql_script_run(f->c, "SELECT 1", bad[i], &r, &e));
        assert_null(r);
    }
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_batch_run(NULL, f->b, 0, &r, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_batch_run(f->c, NULL, 0, &r, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_batch_run(f->c, f->b, 0, NULL, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e,
              lsql_batch_run(f->c, (const lsql_batch *)(const void *)f->c, 0, &r, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_script_run(NULL, "SELECT 1", 0, &r, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_script_run(f->c, NULL, 0, &r, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_script_run(f->c, "SELECT 1", 0, NULL, &e));

    /* lsql_batch_add: nothing is added on error */
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_batch_add(NULL, "SELECT 1", NULL, 0, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_batch_add(f->b, NULL, NULL, 0, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_batch_add(f->b, "SELECT ?", NULL, 1, &e));
    lsql_param badtag[] = {{":a", {99, {0}}}};
    ct_expect(LSQL_PARAM_TYPE, &e, lsql_batch_add(f->b, "SELECT :a", badtag, 1, &e));
    assert_non_null(strstr(e.message, ":a"));
    lsql_param nullbytes[] = {{NULL, lsql_text(NULL, 3)}};
    ct_expect(LSQL_INVALID_ARG, &e, lsql_batch_add(f->b, "SELECT ?", nullbytes, 1, &e));
    lsql_param emptyblob[] = {{NULL, lsql_blob(NULL, 0)}};
    ct_expect(LSQL_OK, &e, lsql_batch_add(f->b, "SELECT length(?)", emptyblob, 1, &e));
    assert_int_equal(lsql_batch_count(f->b), 2);
    assert_int_equal(lsql_batch_count(NULL), 0);
    assert_rc(LSQL_INVALID_ARG, lsql_batch_new(NULL));
    lsql_batch_clear(NULL);
    lsql_batch_free(NULL);

    /* result accessors */
    ct_expect(LSQL_OK, &e, lsql_batch_run(f->c, f->b, 0, &r, &e));
    lsql_step_result s;
    s.struct_size = sizeof s;
    assert_rc(LSQL_RANGE, lsql_batch_result_step(r, 2, &s));
    assert_rc(LSQL_INVALID_ARG, lsql_batch_result_step(r, 0, NULL));
    s.struct_size = 4;
    assert_rc(LSQL_INVALID_ARG, lsql_batch_result_step(r, 0, &s));
    /* an older, smaller struct gets only its fields */
    struct {
        lsql_step_result s;
        char guard[16];
    } small;
    memset(&small, 0x77, sizeof small);
    small.s.struct_size = offsetof(lsql_step_result, kind) + sizeof(int);
    assert_ok(lsql_batch_result_step(r, 1, &small.s));
    assert_int_equal(small.s.status, LSQL_OK);
    assert_int_equal(small.s.kind, LSQL_KIND_SELECT);
    assert_int_equal(((unsigned char *)&small.s.changes)[0], 0x77);
    assert_int_equal(lsql_rowset_int64(step(r, 1).rows, 0, 0), 0);
    assert_rc(LSQL_MISUSE_HANDLE, lsql_batch_result_step(NULL, 0, &s));
    assert_int_equal(lsql_batch_result_count(NULL), 0);
    assert_int_equal(lsql_batch_result_failed_step(NULL), -1);
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_batch_result_status(NULL, &e));
    assert_int_equal(lsql_rowset_count(NULL), 0);
    assert_int_equal(lsql_rowset_column_count(NULL), 0);
    assert_null(lsql_rowset_column_name(NULL, 0));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_rowset_get(NULL, 0, 0, NULL));
    lsql_batch_result_free(r);
    lsql_batch_result_free(NULL);

    /* an empty batch succeeds with no steps, atomic or not */
    lsql_batch_clear(f->b);
    ct_expect(LSQL_OK, &e, lsql_batch_run(f->c, f->b, 0, &r, &e));
    assert_int_equal(lsql_batch_result_count(r), 0);
    lsql_batch_result_free(r);
    ct_expect(LSQL_OK, &e, lsql_batch_run(f->c, f->b, LSQL_BATCH_ATOMIC | LSQL_BATCH_EXCLUSIVE, &r, &e));
    assert_int_equal(lsql_batch_result_count(r), 0);
    lsql_batch_result_free(r);
}

static void empty_results_have_columns(void **state)
{
    fx *f = *state;
    add(f->b, "SELECT id AS the_id, name FROM t WHERE 0", NULL, 0);
    add(f->b, "INSERT INTO t(name) VALUES ('r') RETURNING id, name", NULL, 0);
    add(f->b, "CREATE INDEX t_score ON t(score)", NULL, 0);
    lsql_batch_result *r;
    assert_ok(lsql_batch_run(f->c, f->b, 0, &r, NULL));
    const lsql_rowset *rs = step(r, 0).rows;
    assert_non_null(rs);
    assert_int_equal(lsql_rowset_count(rs), 0);
    assert_int_equal(lsql_rowset_column_count(rs), 2);
    assert_string_equal(lsql_rowset_column_name(rs, 0), "the_id");
    lsql_step_result s = step(r, 1);
    assert_int_equal(s.kind, LSQL_KIND_INSERT);
    assert_int_equal(s.changes, 1);
    assert_int_equal(lsql_rowset_count(s.rows), 1);
    assert_string_equal(lsql_rowset_text(s.rows, 0, 1, NULL), "r");
    assert_int_equal(lsql_rowset_int64(s.rows, 0, 0), s.last_insert_rowid);
    s = step(r, 2);
    assert_int_equal(s.kind, LSQL_KIND_CREATE);
    assert_null(s.rows);
    lsql_batch_result_free(r);
}

/* One batch, two connections, runs again and again from the cache. */
static void reuse(void **state)
{
    fx *f = *state;
    lsql_conn *c2 = ct_connect(f->db);
    lsql_param p[] = {{NULL, lsql_int(1)}};
    add(f->b, "INSERT INTO t(score) VALUES (?)", p, 1);
    lsql_cache_stats st0, st1;
    st0.struct_size = st1.struct_size = sizeof st0;
    assert_ok(lsql_stmt_cache_stats(f->c, &st0));
    for (int i = 0; i < 5; i++) {
        lsql_batch_result *r;
        assert_ok(lsql_batch_run(i % 2 ? c2 : f->c, f->b, LSQL_BATCH_ATOMIC, &r, NULL));
        lsql_batch_result_free(r);
    }
    assert_ok(lsql_stmt_cache_stats(f->c, &st1));
    if (ct_remote()) /* one Hrana batch of SQL texts: no statement is prepared */
        assert_true(st1.hits == st0.hits);
    else
        assert_true(st1.hits >= st0.hits + 2);
    assert_int_equal(ct_int(f->c, "SELECT CAST(sum(score) AS INTEGER) FROM t"), 5);
    lsql_conn_close(c2);
}

/* The retryable flag of the whole call. */
static void retryable_call(void **state)
{
    (void)state;
    ct_local_only("busy timeout and SQLite locks are the server's (lsqld queues writers)");
    char path[1024];
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = ct_path("batch-retry", path, sizeof path);
    o.flags = LSQL_DB_NO_BUSY_TIMEOUT;
    lsql_db *db = ct_open(&o);
    lsql_conn *a = ct_connect(db), *b = ct_connect(db);
    tu_exec(a, "CREATE TABLE t(x)");
    lsql_txn *tb;
    assert_ok(lsql_begin(b, LSQL_BEGIN_IMMEDIATE, &tb, NULL)); /* b holds the write lock */
    lsql_batch *batch;
    assert_ok(lsql_batch_new(&batch));
    add(batch, "SELECT count(*) FROM t", NULL, 0);
    add(batch, "INSERT INTO t VALUES (1)", NULL, 0);
    lsql_batch_result *r;
    lsql_error e;
    /* non-atomic: step 0 committed (a read, but the rule is about the call),
     * step 1 failed: running the call again is not "the same" */
    ct_expect(LSQL_BUSY, &e, lsql_batch_run(a, batch, 0, &r, &e));
    assert_int_equal(lsql_batch_result_failed_step(r), 1);
    assert_true(step(r, 1).error->flags & LSQL_ERRF_RETRYABLE); /* the statement's own flag */
    assert_int_equal(e.flags & LSQL_ERRF_RETRYABLE, 0);
    lsql_batch_result_free(r);
    /* atomic: the batch read, then could not write: the statement is not
     * retryable, but the whole batch (rolled back) is */
    ct_expect(LSQL_BUSY, &e, lsql_batch_run(a, batch, LSQL_BATCH_ATOMIC, &r, &e));
    assert_int_equal(step(r, 1).error->flags & LSQL_ERRF_RETRYABLE, 0);
    assert_true(e.flags & LSQL_ERRF_RETRYABLE);
    lsql_batch_result_free(r);
    /* IMMEDIATE: BEGIN fails, nothing ran, no result, retryable */
    r = (lsql_batch_result *)(uintptr_t)1;
    ct_expect(LSQL_BUSY, &e,
              lsql_batch_run(a, batch, LSQL_BATCH_ATOMIC | LSQL_BATCH_IMMEDIATE, &r, &e));
    assert_null(r);
    assert_true(e.flags & LSQL_ERRF_RETRYABLE);
    /* and it succeeds once b is done */
    assert_ok(lsql_commit(b, tb, NULL));
    ct_expect(LSQL_OK, &e, lsql_batch_run(a, batch, LSQL_BATCH_ATOMIC | LSQL_BATCH_IMMEDIATE, &r, &e));
    lsql_batch_result_free(r);
    lsql_txn_free(tb);
    lsql_batch_free(batch);
    lsql_db_close(db);
    tu_db_remove(path);
}

/* The COMMIT of an atomic batch fails (a commit hook vetoes it, set through
 * the native handle): reported with no failed step, nothing committed. */
static int veto(void *ctx)
{
    (void)ctx;
    return 1;
}

static void commit_fails(void **state)
{
    ct_local_only("a commit hook needs the SQLite handle (none remotely)");
    fx *f = *state;
    void *native = NULL;
    assert_ok(lsql_conn_native_handle(f->c, &native));
    add(f->b, "INSERT INTO t(name) VALUES ('a')", NULL, 0);
    add(f->b, "INSERT INTO t(name) VALUES ('b')", NULL, 0);
    lsql_batch_result *r;
    lsql_error e;
    sqlite3_commit_hook(native, veto, NULL);
    ct_expect(LSQL_CONSTRAINT_COMMITHOOK, &e, lsql_batch_run(f->c, f->b, LSQL_BATCH_ATOMIC, &r, &e));
    sqlite3_commit_hook(native, NULL, NULL);
    assert_non_null(strstr(e.message, "commit failed"));
    assert_int_equal(lsql_batch_result_failed_step(r), -1);
    assert_int_equal(step(r, 0).status, LSQL_OK);
    assert_int_equal(step(r, 1).status, LSQL_OK);
    lsql_error e2;
    ct_expect(LSQL_CONSTRAINT_COMMITHOOK, &e2, lsql_batch_result_status(r, &e2));
    lsql_batch_result_free(r);
    assert_int_equal(count_t(f->c), 0);
    int ac = 0;
    assert_ok(lsql_is_autocommit(f->c, &ac));
    assert_int_equal(ac, 1);
    /* same for a script */
    sqlite3_commit_hook(native, veto, NULL);
    ct_expect(LSQL_CONSTRAINT_COMMITHOOK, &e,
              lsql_script_run(f->c, "INSERT INTO t(name) VALUES ('c')", LSQL_BATCH_ATOMIC, &r, &e));
    sqlite3_commit_hook(native, NULL, NULL);
    assert_int_equal(lsql_batch_result_failed_step(r), -1);
    lsql_batch_result_free(r);
    assert_int_equal(count_t(f->c), 0);
}

/* ---- scripts ------------------------------------------------------------------------ */

static const char k_script[] =
    "-- a script\n"
    "CREATE TABLE s(a INTEGER, b TEXT);\n"
    "INSERT INTO s VALUES (1, 'one'), (2, 'two');;\n"
    "/* block comment */ ;\n"
    "SELECT a, b FROM s ORDER BY a;\n"
    "UPDATE s SET b = upper(b)  ;  \n"
    "  -- trailing comment\n\t  \n";

static void script_success(void **state)
{
    fx *f = *state;
    lsql_batch_result *r;
    lsql_error e;
    ct_expect(LSQL_OK, &e, lsql_script_run(f->c, k_script, 0, &r, &e));
    assert_int_equal(lsql_batch_result_count(r), 4);
    lsql_step_result s = step(r, 0);
    assert_int_equal(s.kind, LSQL_KIND_CREATE);
    assert_memory_equal(k_script + s.sql_offset, "CREATE TABLE s(a INTEGER, b TEXT)", s.sql_length);
    assert_int_equal(s.sql_length, strlen("CREATE TABLE s(a INTEGER, b TEXT)"));
    s = step(r, 1);
    assert_int_equal(s.changes, 2);
    assert_int_equal(s.last_insert_rowid, 2);
    assert_memory_equal(k_script + s.sql_offset, "INSERT INTO s", 13);
    s = step(r, 2);
    assert_int_equal(lsql_rowset_count(s.rows), 2);
    assert_string_equal(lsql_rowset_text(s.rows, 1, 1, NULL), "two");
    assert_memory_equal(k_script + s.sql_offset, "SELECT a, b FROM s ORDER BY a", s.sql_length);
    s = step(r, 3);
    assert_int_equal(s.kind, LSQL_KIND_UPDATE);
    assert_int_equal(s.changes, 2);
    assert_int_equal(s.sql_length, strlen("UPDATE s SET b = upper(b)"));
    lsql_batch_result_free(r);
    assert_int_equal(ct_int(f->c, "SELECT count(*) FROM s WHERE b = 'ONE'"), 1);

    /* empty scripts succeed with no steps */
    static const char *const empty[] = {"", "   ", ";;;", "-- nothing\n", "/* x */", "/* open"};
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        ct_expect(LSQL_OK, &e, lsql_script_run(f->c, empty[i], LSQL_BATCH_ATOMIC, &r, &e));
        assert_int_equal(lsql_batch_result_count(r), 0);
        lsql_batch_result_free(r);
    }
    /* a script may manage its own transaction (non-atomic) */
    ct_expect(LSQL_OK, &e,
              lsql_script_run(f->c, "BEGIN; INSERT INTO s VALUES (3, 'x'); COMMIT", 0, &r, &e));
    lsql_batch_result_free(r);
    assert_int_equal(ct_int(f->c, "SELECT count(*) FROM s"), 3);
}

static void script_errors(void **state)
{
    fx *f = *state;
    lsql_batch_result *r;
    lsql_error e;
    /* a syntax error in the third statement: offset from the start */
    const char *sql = "CREATE TABLE s(a);\nINSERT INTO s VALUES (1);\nSELECT * FRM s;\nDROP TABLE t;";
    ct_expect(LSQL_ERROR, &e, lsql_script_run(f->c, sql, LSQL_BATCH_ATOMIC, &r, &e));
    assert_int_equal(lsql_batch_result_count(r), 3); /* the rest is not parsed */
    assert_int_equal(lsql_batch_result_failed_step(r), 2);
    assert_non_null(strstr(e.message, "step 2: "));
    const char *frm = strstr(sql, "FRM");
    assert_true((e.offset >= (int)(frm - sql) - 2 && e.offset <= (int)(frm - sql) + 4) ||
                (ct_remote() && e.offset == -1)); /* see ct_check_offset */
    lsql_step_result s = step(r, 2);
    assert_int_equal(s.error->offset, e.offset);
    assert_memory_equal(sql + s.sql_offset, "SELECT * FRM s", 14);
    lsql_batch_result_free(r);
    /* atomic: even the CREATE TABLE is gone */
    assert_int_equal(ct_int(f->c, "SELECT count(*) FROM sqlite_schema WHERE name = 's'"), 0);
    /* non-atomic: the first two stay */
    ct_expect(LSQL_ERROR, &e, lsql_script_run(f->c, sql, 0, &r, &e));
    lsql_batch_result_free(r);
    assert_int_equal(ct_int(f->c, "SELECT count(*) FROM s"), 1);
    assert_int_equal(count_t(f->c), 0); /* DROP TABLE t never ran */

    /* parameters are refused (remote: the server's ARGS_INVALID, lsql.h) */
    ct_expect(ct_by_mode(LSQL_PARAM_MISSING, LSQL_PARAM_COUNT), &e,
              lsql_script_run(f->c, "SELECT 1; SELECT ?", 0, &r, &e));
    assert_int_equal(lsql_batch_result_failed_step(r), 1);
    lsql_batch_result_free(r);
    /* a runtime error */
    ct_expect(LSQL_CONSTRAINT_UNIQUE, &e,
              lsql_script_run(f->c,
                              "INSERT INTO t(name) VALUES ('a'); INSERT INTO t(name) VALUES ('a')",
                              LSQL_BATCH_ATOMIC, &r, &e));
    lsql_batch_result_free(r);
    assert_int_equal(count_t(f->c), 0);
    /* BEGIN inside an atomic script fails at that statement */
    ct_expect(LSQL_ERROR, &e,
              lsql_script_run(f->c, "INSERT INTO t(name) VALUES ('a'); BEGIN", LSQL_BATCH_ATOMIC,
                              &r, &e));
    assert_int_equal(lsql_batch_result_failed_step(r), 1);
    lsql_batch_result_free(r);
    assert_int_equal(count_t(f->c), 0);
    /* READ_ONLY */
    ct_expect(LSQL_READONLY_TXN, &e,
              lsql_script_run(f->c, "SELECT 1; DELETE FROM s",
                              LSQL_BATCH_ATOMIC | LSQL_BATCH_READ_ONLY, &r, &e));
    lsql_batch_result_free(r);
    assert_int_equal(ct_int(f->c, "SELECT count(*) FROM s"), 1);
    tu_exec(f->c, "DELETE FROM s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(success_non_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(stops_at_first_error, setup, teardown),
        cmocka_unit_test_setup_teardown(atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(read_only_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(inside_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(step_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_results_have_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(reuse, setup, teardown),
        cmocka_unit_test_teardown(retryable_call, ct_target_teardown),
        cmocka_unit_test_setup_teardown(commit_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(script_success, setup, teardown),
        cmocka_unit_test_setup_teardown(script_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
