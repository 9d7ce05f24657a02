/* test_hooks.c -- update, commit, rollback, pre-update, WAL hooks, the
 * progress handler and the authorizer (chained with lsql's classifier):
 * what they see, replacing and removing them, statements prepared before an
 * authorizer change, and nothing called after the connection closes. */
#include "coretest.h"

#include <stdbool.h>

typedef struct {
    int n;
    int op[16];
    char table[16][32];
    int64_t rowid[16];
} updates;

static void on_update(void *ctx, int op, const char *schema, const char *table, int64_t rowid)
{
    updates *u = ctx;
    assert_string_equal(schema, "main");
    if (u->n < 16) {
        u->op[u->n] = op;
        snprintf(u->table[u->n], sizeof u->table[0], "%s", table);
        u->rowid[u->n] = rowid;
    }
    u->n++;
}

static void update_hook(void **state)
{
    (void)state;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    tu_open_memory(&db, &c);
    tu_exec(c, "CREATE TABLE t(id INTEGER PRIMARY KEY, v)");
    tu_exec(c, "CREATE TABLE w(k PRIMARY KEY, v) WITHOUT ROWID");
    updates u;
    memset(&u, 0, sizeof u);
    assert_ok(lsql_conn_set_update_hook(c, on_update, &u));
    tu_exec(c, "INSERT INTO t VALUES (10, 'a')");
    tu_exec(c, "UPDATE t SET v = 'b' WHERE id = 10");
    tu_exec(c, "DELETE FROM t WHERE id = 10");
    tu_exec(c, "INSERT INTO w VALUES (1, 2)"); /* WITHOUT ROWID: not reported */
    assert_int_equal(u.n, 3);
    assert_int_equal(u.op[0], LSQL_KIND_INSERT);
    assert_int_equal(u.op[1], LSQL_KIND_UPDATE);
    assert_int_equal(u.op[2], LSQL_KIND_DELETE);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(u.table[i], "t");
        assert_int_equal(u.rowid[i], 10);
    }
    /* replace with another context, then remove */
    updates u2;
    memset(&u2, 0, sizeof u2);
    assert_ok(lsql_conn_set_update_hook(c, on_update, &u2));
    tu_exec(c, "INSERT INTO t VALUES (11, 'c')");
    assert_int_equal(u.n, 3);
    assert_int_equal(u2.n, 1);
    assert_ok(lsql_conn_set_update_hook(c, NULL, &u2));
    tu_exec(c, "INSERT INTO t VALUES (12, 'd')");
    assert_int_equal(u2.n, 1);
    assert_rc(LSQL_MISUSE_HANDLE, lsql_conn_set_update_hook(NULL, on_update, &u));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_conn_set_update_hook((lsql_conn *)db, on_update, &u));
    lsql_db_close(db);
}

typedef struct {
    int commits, rollbacks;
    int veto;
} txn_counts;

static int on_commit(void *ctx)
{
    txn_counts *t = ctx;
    t->commits++;
    return t->veto;
}

static void on_rollback(void *ctx)
{
    ((txn_counts *)ctx)->rollbacks++;
}

static void commit_rollback_hooks(void **state)
{
    (void)state;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    tu_open_memory(&db, &c);
    tu_exec(c, "CREATE TABLE t(x)");
    txn_counts t = {0, 0, 0};
    assert_ok(lsql_conn_set_commit_hook(c, on_commit, &t));
    assert_ok(lsql_conn_set_rollback_hook(c, on_rollback, &t));
    tu_exec(c, "INSERT INTO t VALUES (1)"); /* autocommit: one commit */
    assert_int_equal(t.commits, 1);
    tu_exec(c, "BEGIN");
    tu_exec(c, "INSERT INTO t VALUES (2)");
    tu_exec(c, "ROLLBACK");
    assert_int_equal(t.rollbacks, 1);
    assert_int_equal(t.commits, 1);

    /* the commit hook vetoes: COMMIT fails, the data is rolled back */
    t.veto = 1;
    tu_exec(c, "BEGIN");
    tu_exec(c, "INSERT INTO t VALUES (3)");
    lsql_error e;
    ct_expect(LSQL_CONSTRAINT_COMMITHOOK, &e, lsql_exec(c, "COMMIT", NULL, 0, NULL, &e));
    assert_int_equal(t.commits, 2);
    assert_int_equal(t.rollbacks, 2);
    int ac = 0;
    assert_ok(lsql_is_autocommit(c, &ac));
    assert_int_equal(ac, 1);
    t.veto = 0;
    assert_int_equal(ct_int(c, "SELECT count(*) FROM t"), 1);

    /* removed: not called any more */
    assert_ok(lsql_conn_set_commit_hook(c, NULL, NULL));
    assert_ok(lsql_conn_set_rollback_hook(c, NULL, NULL));
    tu_exec(c, "BEGIN");
    tu_exec(c, "INSERT INTO t VALUES (4)");
    tu_exec(c, "ROLLBACK");
    tu_exec(c, "INSERT INTO t VALUES (5)");
    assert_int_equal(t.commits, 2);
    assert_int_equal(t.rollbacks, 2);

    /* closing with an open transaction does not call the rollback hook */
    assert_ok(lsql_conn_set_rollback_hook(c, on_rollback, &t));
    tu_exec(c, "BEGIN");
    tu_exec(c, "INSERT INTO t VALUES (6)");
    assert_ok(lsql_conn_close(c));
    assert_int_equal(t.rollbacks, 2);
    lsql_db_close(db);
}

typedef struct {
    int calls;
    int op;
    int64_t oldr, newr;
    int ncol, depth;
    int64_t oldv, newv;
    char oldt[32], newt[32];
    int rc_old, rc_new, rc_range, rc_null;
    int max_depth;
} pre;

static void on_pre(void *ctx, lsql_preupdate *pu, int op, const char *schema, const char *table,
                   int64_t oldr, int64_t newr)
{
    pre *p = ctx;
    (void)schema;
    if (strcmp(table, "t"))
        return;
    p->calls++;
    p->op = op;
    p->oldr = oldr;
    p->newr = newr;
    p->ncol = lsql_preupdate_column_count(pu);
    p->depth = lsql_preupdate_depth(pu);
    lsql_value v;
    p->rc_old = lsql_preupdate_old(pu, 1, &v);
    if (p->rc_old == LSQL_OK && v.type == LSQL_TYPE_TEXT)
        snprintf(p->oldt, sizeof p->oldt, "%.*s", (int)v.u.bytes.n, (const char *)v.u.bytes.p);
    if (lsql_preupdate_old(pu, 0, &v) == LSQL_OK)
        p->oldv = v.u.i;
    p->rc_new = lsql_preupdate_new(pu, 1, &v);
    if (p->rc_new == LSQL_OK && v.type == LSQL_TYPE_TEXT)
        snprintf(p->newt, sizeof p->newt, "%.*s", (int)v.u.bytes.n, (const char *)v.u.bytes.p);
    if (lsql_preupdate_new(pu, 0, &v) == LSQL_OK)
        p->newv = v.u.i;
    p->rc_range = lsql_preupdate_old(pu, 99, &v);
    p->rc_null = lsql_preupdate_new(pu, 0, NULL);
}

static void on_pre_depth(void *ctx, lsql_preupdate *pu, int op, const char *schema,
                         const char *table, int64_t oldr, int64_t newr)
{
    (void)op, (void)schema, (void)table, (void)oldr, (void)newr;
    pre *p = ctx;
    int d = lsql_preupdate_depth(pu);
    if (d > p->max_depth)
        p->max_depth = d;
    p->calls++;
}

static void preupdate_hook(void **state)
{
    (void)state;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    tu_open_memory(&db, &c);
    tu_exec(c, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
    pre p;
    memset(&p, 0, sizeof p);
    int rc = lsql_conn_set_preupdate_hook(c, on_pre, &p);
    if (rc == LSQL_NOTSUP_BACKEND) { /* SQLite built without the hook */
        lsql_db_close(db);
        skip();
    }
    assert_ok(rc);
    tu_exec(c, "INSERT INTO t VALUES (5, 'new')");
    assert_int_equal(p.calls, 1);
    assert_int_equal(p.op, LSQL_KIND_INSERT);
    assert_int_equal(p.newr, 5);
    assert_int_equal(p.ncol, 2);
    assert_int_equal(p.depth, 0);
    assert_int_equal(p.rc_old, LSQL_MISUSE_STATE);
    assert_int_equal(p.rc_new, LSQL_OK);
    assert_string_equal(p.newt, "new");
    assert_int_equal(p.newv, 5);
    assert_int_equal(p.rc_range, LSQL_MISUSE_STATE); /* old on INSERT, whatever the column */
    assert_int_equal(p.rc_null, LSQL_INVALID_ARG);

    memset(&p, 0, sizeof p);
    tu_exec(c, "UPDATE t SET id = 6, v = 'newer' WHERE id = 5");
    assert_int_equal(p.op, LSQL_KIND_UPDATE);
    assert_int_equal(p.oldr, 5);
    assert_int_equal(p.newr, 6);
    assert_string_equal(p.oldt, "new");
    assert_string_equal(p.newt, "newer");
    assert_int_equal(p.oldv, 5);
    assert_int_equal(p.newv, 6);
    assert_int_equal(p.rc_range, LSQL_RANGE);

    memset(&p, 0, sizeof p);
    tu_exec(c, "DELETE FROM t");
    assert_int_equal(p.op, LSQL_KIND_DELETE);
    assert_int_equal(p.oldr, 6);
    assert_string_equal(p.oldt, "newer");
    assert_int_equal(p.rc_new, LSQL_MISUSE_STATE);

    /* depth through a trigger */
    tu_exec(c, "CREATE TABLE audit(x)");
    tu_exec(c, "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO audit VALUES (new.id); END");
    memset(&p, 0, sizeof p);
    assert_ok(lsql_conn_set_preupdate_hook(c, on_pre_depth, &p));
    tu_exec(c, "INSERT INTO t VALUES (1, 'x')");
    assert_int_equal(p.calls, 2);
    assert_int_equal(p.max_depth, 1);
    assert_ok(lsql_conn_set_preupdate_hook(c, NULL, NULL));
    tu_exec(c, "INSERT INTO t VALUES (2, 'y')");
    assert_int_equal(p.calls, 2);

    /* invalid handles */
    assert_int_equal(lsql_preupdate_column_count(NULL), 0);
    assert_int_equal(lsql_preupdate_depth(NULL), -1);
    lsql_value v;
    assert_rc(LSQL_MISUSE_HANDLE, lsql_preupdate_old(NULL, 0, &v));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_preupdate_new((lsql_preupdate *)c, 0, &v));
    lsql_db_close(db);
}

typedef struct {
    int calls;
    int last_pages;
    char schema[16];
} walinfo;

static void on_wal(void *ctx, const char *schema, int pages)
{
    walinfo *w = ctx;
    w->calls++;
    w->last_pages = pages;
    snprintf(w->schema, sizeof w->schema, "%s", schema);
}

static void wal_hook(void **state)
{
    (void)state;
    char path[1024];
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = ct_path("hooks-wal", path, sizeof path);
    lsql_db *db = ct_open(&o);
    lsql_conn *c = ct_connect(db);
    walinfo w;
    memset(&w, 0, sizeof w);
    assert_ok(lsql_conn_set_wal_hook(c, on_wal, &w));
    tu_exec(c, "CREATE TABLE t(x)");
    tu_exec(c, "INSERT INTO t VALUES (1)");
    assert_int_equal(w.calls, 2);
    assert_true(w.last_pages > 0);
    assert_string_equal(w.schema, "main");
    /* automatic checkpoints go on while the hook is set: many large commits
     * never let the WAL grow far past 1000 pages */
    int max_pages = 0, drops = 0, prev = w.last_pages;
    for (int i = 0; i < 40; i++) {
        tu_exec(c, "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 100) "
                   "INSERT INTO t SELECT randomblob(3000) FROM s");
        if (w.last_pages > max_pages)
            max_pages = w.last_pages;
        if (w.last_pages < prev)
            drops++;
        prev = w.last_pages;
    }
    assert_true(max_pages >= 1000);
    assert_true(drops >= 1); /* the WAL restarted after an automatic checkpoint */
    int calls = w.calls;
    assert_ok(lsql_conn_set_wal_hook(c, NULL, NULL));
    tu_exec(c, "INSERT INTO t VALUES (2)");
    assert_int_equal(w.calls, calls);
    lsql_db_close(db);
    tu_db_remove(path);
}

static int stop_after(void *ctx)
{
    int *n = ctx;
    return ++*n >= 5;
}

static void progress_handler(void **state)
{
    (void)state;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    tu_open_memory(&db, &c);
    int n = 0;
    assert_ok(lsql_conn_set_progress_handler(c, 100, stop_after, &n));
    lsql_error e;
    int64_t v = 0;
    ct_expect(LSQL_INTERRUPTED, &e,
              lsql_query_int64(c,
                               "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s "
                               "WHERE i < 100000000) SELECT count(*) FROM s",
                               NULL, 0, &v, &e));
    assert_int_equal(n, 5);
    assert_ok(lsql_conn_set_progress_handler(c, 0, stop_after, &n)); /* n_ops 0: removed */
    assert_int_equal(ct_int(c, "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s "
                               "WHERE i < 10000) SELECT count(*) FROM s"),
                     10000);
    assert_int_equal(n, 5);
    assert_rc(LSQL_MISUSE_HANDLE, lsql_conn_set_progress_handler(NULL, 1, stop_after, &n));
    lsql_db_close(db);
}

/* ---- authorizer -------------------------------------------------------------- */

typedef struct {
    int calls;
    bool deny_attach;
    bool deny_write_t;
    bool ignore_secret;
    bool saw_trigger;
    int actions[40];
} policy;

static int authorize(void *ctx, int action, const char *a1, const char *a2, const char *schema,
                     const char *trigger)
{
    policy *p = ctx;
    (void)schema;
    p->calls++;
    if (action > 0 && action < 40)
        p->actions[action]++;
    if (trigger)
        p->saw_trigger = true;
    if (action == LSQL_ACTION_ATTACH && p->deny_attach)
        return LSQL_AUTHZ_DENY;
    if ((action == LSQL_ACTION_INSERT || action == LSQL_ACTION_UPDATE) && a1 &&
        !strcmp(a1, "t") && p->deny_write_t)
        return LSQL_AUTHZ_DENY;
    if (action == LSQL_ACTION_READ && a2 && !strcmp(a2, "secret") && p->ignore_secret)
        return LSQL_AUTHZ_IGNORE;
    if (action == LSQL_ACTION_FUNCTION && a2 && !strcmp(a2, "abs"))
        return 77; /* not an answer: counts as DENY */
    return LSQL_AUTHZ_OK;
}

static void authorizer(void **state)
{
    (void)state;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    tu_open_memory(&db, &c);
    tu_exec(c, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, secret TEXT)");
    tu_exec(c, "INSERT INTO t VALUES (1, 'ann', 'pw')");
    lsql_error e;

    /* statements prepared BEFORE the authorizer is set */
    lsql_stmt *ins = NULL;
    ct_expect(LSQL_OK, &e,
              lsql_prepare(c, "INSERT INTO t(name) VALUES ('bob')", -1, 0, &ins, NULL, &e));
    char buf[64];
    assert_string_equal(ct_text(c, "SELECT secret FROM t WHERE id = 1", buf, sizeof buf), "pw");

    policy p;
    memset(&p, 0, sizeof p);
    p.deny_attach = p.deny_write_t = p.ignore_secret = true;
    assert_ok(lsql_conn_set_authorizer(c, authorize, &p));

    ct_expect(LSQL_AUTH, &e, lsql_exec(c, "ATTACH ':memory:' AS x", NULL, 0, NULL, &e));
    assert_non_null(strstr(e.message, "not authorized"));
    ct_expect(LSQL_AUTH, &e, lsql_exec(c, "INSERT INTO t(name) VALUES ('eve')", NULL, 0, NULL, &e));
    /* the statement prepared before is compiled again under the new policy */
    ct_expect(LSQL_AUTH, &e, lsql_step(ins, &e));
    /* the cached SELECT too: the ignored column reads as NULL */
    lsql_value v;
    ct_expect(LSQL_OK, &e,
              lsql_query_value(c, "SELECT secret FROM t WHERE id = 1", NULL, 0, &v, &e));
    assert_int_equal(v.type, LSQL_TYPE_NULL);
    assert_string_equal(ct_text(c, "SELECT name FROM t WHERE id = 1", buf, sizeof buf), "ann");
    int64_t n = 0;
    /* a denied function: SQLite reports it as a plain error */
    ct_expect(LSQL_ERROR, &e, lsql_query_int64(c, "SELECT abs(-1)", NULL, 0, &n, &e));
    assert_non_null(strstr(e.message, "not authorized"));
    assert_true(p.actions[LSQL_ACTION_READ] > 0);
    assert_true(p.actions[LSQL_ACTION_SELECT] > 0);

    /* the classifier keeps working with a user authorizer */
    lsql_stmt *st = NULL;
    ct_expect(LSQL_OK, &e, lsql_prepare(c, "DELETE FROM t WHERE id = 99", -1, 0, &st, NULL, &e));
    lsql_stmt_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    assert_ok(lsql_stmt_info_get(st, &info));
    assert_int_equal(info.kind, LSQL_KIND_DELETE);
    lsql_finalize(st);

    /* actions from a trigger name it */
    p.deny_write_t = false;
    tu_exec(c, "CREATE TABLE log(x)");
    tu_exec(c, "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.id); END");
    tu_exec(c, "INSERT INTO t(name) VALUES ('zed')");
    assert_true(p.saw_trigger);

    /* removing it: everything is allowed again, also the old statement */
    assert_ok(lsql_conn_set_authorizer(c, NULL, NULL));
    int calls = p.calls;
    ct_expect(LSQL_DONE, &e, lsql_step(ins, &e));
    tu_exec(c, "ATTACH ':memory:' AS x");
    assert_string_equal(ct_text(c, "SELECT secret FROM t WHERE id = 1", buf, sizeof buf), "pw");
    assert_int_equal(p.calls, calls);
    lsql_finalize(ins);

    assert_rc(LSQL_MISUSE_HANDLE, lsql_conn_set_authorizer(NULL, authorize, &p));
    assert_string_equal(lsql_action_name(LSQL_ACTION_ATTACH), "ATTACH");
    assert_string_equal(lsql_action_name(LSQL_ACTION_CREATE_INDEX), "CREATE_INDEX");
    assert_string_equal(lsql_action_name(LSQL_ACTION_RECURSIVE), "RECURSIVE");
    assert_null(lsql_action_name(0));
    assert_null(lsql_action_name(34));
    lsql_db_close(db);
}

/* Hooks stay registered across other connections' work and disappear with
 * their connection (no call into freed state: ASan would see it). */
static void hooks_die_with_connection(void **state)
{
    (void)state;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    tu_open_memory(&db, &c);
    lsql_conn *other = ct_connect(db);
    tu_exec(c, "CREATE TABLE t(x)");
    updates *u = calloc(1, sizeof *u);
    txn_counts *t = calloc(1, sizeof *t);
    policy *p = calloc(1, sizeof *p);
    assert_ok(lsql_conn_set_update_hook(c, on_update, u));
    assert_ok(lsql_conn_set_commit_hook(c, on_commit, t));
    assert_ok(lsql_conn_set_rollback_hook(c, on_rollback, t));
    assert_ok(lsql_conn_set_authorizer(c, authorize, p));
    tu_exec(other, "INSERT INTO t VALUES (1)"); /* another connection: not seen */
    assert_int_equal(u->n, 0);
    assert_int_equal(t->commits, 0);
    tu_exec(c, "BEGIN");
    tu_exec(c, "INSERT INTO t VALUES (2)");
    assert_int_equal(u->n, 1);
    assert_ok(lsql_conn_close(c));
    free(u);
    free(t);
    free(p);
    tu_exec(other, "INSERT INTO t VALUES (3)");
    assert_int_equal(ct_int(other, "SELECT count(*) FROM t"), 2);
    lsql_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(update_hook),      cmocka_unit_test(commit_rollback_hooks),
        cmocka_unit_test(preupdate_hook),   cmocka_unit_test(wal_hook),
        cmocka_unit_test(progress_handler), cmocka_unit_test(authorizer),
        cmocka_unit_test(hooks_die_with_connection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
