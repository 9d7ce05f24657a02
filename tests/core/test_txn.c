/* test_txn.c -- transactions: behaviours (READ_ONLY enforced), commit and
 * rollback reporting every failure (deferred foreign keys, BUSY at COMMIT),
 * handle lifetime (free and close roll back), misuse across connections,
 * transactions ended behind the handle, and the retryable rule. */
#include "target.h"

#include <sqlite3.h>

static char g_path[1024];

typedef struct {
    lsql_db *db;
    lsql_conn *c;
} fx;

static lsql_db *open_file(const char *path, unsigned flags)
{
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = path;
    o.flags = flags;
    return ct_target_open(&o);
}

static int setup(void **state)
{
    static fx f;
    f.db = open_file(ct_path("txn", g_path, sizeof g_path), 0);
    f.c = ct_connect(f.db);
    tu_exec(f.c, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    assert_ok(lsql_db_close(f->db));
    ct_target_cleanup();
    tu_db_remove(g_path);
    return 0;
}

static int64_t count_t(lsql_conn *c) { return ct_int(c, "SELECT count(*) FROM t"); }

static int txn_state(lsql_conn *c)
{
    int s = -1;
    assert_ok(lsql_txn_state(c, &s));
    return s;
}

static int query_only(lsql_conn *c) { return (int)ct_int(c, "PRAGMA query_only"); }

/* ---- behaviours, commit, rollback ------------------------------------------ */

static void commit_each_behavior(void **state)
{
    fx *f = *state;
    static const int behs[] = {LSQL_BEGIN_DEFERRED, LSQL_BEGIN_IMMEDIATE, LSQL_BEGIN_EXCLUSIVE};
    lsql_conn *other = ct_connect(f->db);
    for (size_t i = 0; i < 3; i++) {
        lsql_txn *t = NULL;
        lsql_error e;
        ct_expect(LSQL_OK, &e, lsql_begin(f->c, behs[i], &t, &e));
        assert_non_null(t);
        assert_int_equal(lsql_txn_behavior(t), behs[i]);
        assert_ptr_equal(lsql_txn_conn(t), f->c);
        assert_int_equal(lsql_txn_active(t), 1);
        int ac = -1;
        assert_ok(lsql_is_autocommit(f->c, &ac));
        assert_int_equal(ac, 0);
        /* IMMEDIATE and EXCLUSIVE hold the write lock from the start
         * (remote: no transaction state, LSQL_NOTSUP_BACKEND, lsql.h) */
        if (ct_remote())
            assert_rc(LSQL_NOTSUP_BACKEND, lsql_txn_state(f->c, &(int){0}));
        else
            assert_int_equal(txn_state(f->c),
                             behs[i] == LSQL_BEGIN_DEFERRED ? LSQL_TXN_NONE : LSQL_TXN_WRITE);
        lsql_param p[] = {{NULL, lsql_text_z("x")}};
        assert_ok(lsql_exec(f->c, "INSERT INTO t(v) VALUES (?)", p, 1, NULL, NULL));
        /* not visible to another connection before the commit */
        assert_int_equal(count_t(other), (int64_t)i);
        ct_expect(LSQL_OK, &e, lsql_commit(f->c, t, &e));
        assert_int_equal(lsql_txn_active(t), 0);
        assert_int_equal(count_t(other), (int64_t)i + 1);
        assert_ok(lsql_is_autocommit(f->c, &ac));
        assert_int_equal(ac, 1);
        /* finished handle: everything after is LSQL_TXN_DONE, nothing run */
        ct_expect(LSQL_TXN_DONE, &e, lsql_commit(f->c, t, &e));
        assert_non_null(strstr(e.message, "committed"));
        ct_expect(LSQL_TXN_DONE, &e, lsql_rollback(f->c, t, &e));
        assert_int_equal(lsql_conn_errcode(f->c), LSQL_TXN_DONE);
        assert_ok(lsql_txn_free(t));
    }
    lsql_conn_close(other);
}

static void rollback_undoes(void **state)
{
    fx *f = *state;
    lsql_txn *t;
    lsql_error e;
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_DEFERRED, &t, NULL));
    tu_exec(f->c, "INSERT INTO t(v) VALUES ('a'), ('b')");
    assert_int_equal(count_t(f->c), 2);
    ct_expect(LSQL_OK, &e, lsql_rollback(f->c, t, &e));
    assert_int_equal(count_t(f->c), 0);
    assert_int_equal(lsql_txn_active(t), 0);
    ct_expect(LSQL_TXN_DONE, &e, lsql_rollback(f->c, t, &e));
    assert_non_null(strstr(e.message, "rolled back"));
    ct_expect(LSQL_TXN_DONE, &e, lsql_commit(f->c, t, &e));
    assert_ok(lsql_txn_free(t));
    assert_ok(lsql_txn_free(NULL));
}

static void second_begin_is_an_error(void **state)
{
    fx *f = *state;
    lsql_txn *t, *t2 = (lsql_txn *)(uintptr_t)1;
    lsql_error e;
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_IMMEDIATE, &t, NULL));
    ct_expect(LSQL_TXN_ACTIVE, &e, lsql_begin(f->c, LSQL_BEGIN_DEFERRED, &t2, &e));
    assert_null(t2);
    assert_int_equal(e.code, LSQL_TXN);
    /* the first transaction is untouched */
    assert_int_equal(lsql_txn_active(t), 1);
    tu_exec(f->c, "INSERT INTO t(v) VALUES ('a')");
    assert_ok(lsql_commit(f->c, t, NULL));
    assert_ok(lsql_txn_free(t));
    assert_int_equal(count_t(f->c), 1);

    /* a transaction opened with a BEGIN statement counts too */
    tu_exec(f->c, "BEGIN");
    ct_expect(LSQL_TXN_ACTIVE, &e, lsql_begin(f->c, LSQL_BEGIN_DEFERRED, &t2, &e));
    assert_non_null(strstr(e.message, "BEGIN statement"));
    tu_exec(f->c, "ROLLBACK");
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_DEFERRED, &t2, NULL));
    assert_ok(lsql_txn_free(t2));
}

static void free_rolls_back(void **state)
{
    fx *f = *state;
    lsql_txn *t;
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_DEFERRED, &t, NULL));
    tu_exec(f->c, "INSERT INTO t(v) VALUES ('gone')");
    assert_ok(lsql_txn_free(t));
    assert_int_equal(count_t(f->c), 0);
    int ac = 0;
    assert_ok(lsql_is_autocommit(f->c, &ac));
    assert_int_equal(ac, 1);
    /* a new transaction can begin */
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_DEFERRED, &t, NULL));
    assert_ok(lsql_commit(f->c, t, NULL));
    assert_ok(lsql_txn_free(t));
}

static void close_rolls_back(void **state)
{
    fx *f = *state;
    lsql_conn *c2 = ct_connect(f->db);
    lsql_txn *t, *done;
    assert_ok(lsql_begin(c2, LSQL_BEGIN_DEFERRED, &done, NULL));
    assert_ok(lsql_commit(c2, done, NULL)); /* a finished handle, never freed */
    assert_ok(lsql_begin(c2, LSQL_BEGIN_IMMEDIATE, &t, NULL));
    tu_exec(c2, "INSERT INTO t(v) VALUES ('gone')");
    /* closing frees both handles (the leak checker of the ASan build
     * watches) and rolls back */
    assert_ok(lsql_conn_close(c2));
    assert_int_equal(count_t(f->c), 0);
    /* the write lock was released: this connection can write */
    tu_exec(f->c, "INSERT INTO t(v) VALUES ('kept')");

    /* lsql_db_close does the same for every connection */
    char path[1024];
    lsql_db *db = open_file(ct_path("txn-dbclose", path, sizeof path), 0);
    lsql_conn *c3 = ct_connect(db);
    tu_exec(c3, "CREATE TABLE u(x)");
    assert_ok(lsql_begin(c3, LSQL_BEGIN_DEFERRED, &t, NULL));
    tu_exec(c3, "INSERT INTO u VALUES (1)");
    assert_ok(lsql_db_close(db));
    db = open_file(path, 0);
    c3 = ct_connect(db);
    assert_int_equal(ct_int(c3, "SELECT count(*) FROM u"), 0);
    lsql_db_close(db);
    tu_db_remove(path);
}

/* ---- misuse ---------------------------------------------------------------------- */

static void misuse(void **state)
{
    fx *f = *state;
    lsql_conn *c2 = ct_connect(f->db);
    lsql_txn *t, *t2 = (lsql_txn *)(uintptr_t)1;
    lsql_error e;

    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_begin(NULL, LSQL_BEGIN_DEFERRED, &t2, &e));
    assert_null(t2);
    ct_expect(LSQL_INVALID_ARG, &e, lsql_begin(f->c, LSQL_BEGIN_DEFERRED, NULL, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_begin(f->c, 4, &t2, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_begin(f->c, -1, &t2, &e));
    /* a pointer to something that is not a transaction */
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_begin((lsql_conn *)(void *)&e, 0, &t2, &e));

    assert_ok(lsql_begin(f->c, LSQL_BEGIN_DEFERRED, &t, NULL));
    tu_exec(f->c, "INSERT INTO t(v) VALUES ('mine')");
    /* the handle used with another connection: LSQL_MISUSE_CONN, nothing run */
    ct_expect(LSQL_MISUSE_CONN, &e, lsql_commit(c2, t, &e));
    assert_int_equal(lsql_conn_errcode(c2), LSQL_MISUSE_CONN);
    ct_expect(LSQL_MISUSE_CONN, &e, lsql_rollback(c2, t, &e));
    ct_expect(LSQL_MISUSE_CONN, &e, lsql_savepoint(c2, t, "sp", &e));
    ct_expect(LSQL_MISUSE_CONN, &e, lsql_savepoint_release(c2, t, "sp", &e));
    ct_expect(LSQL_MISUSE_CONN, &e, lsql_savepoint_rollback(c2, t, "sp", &e));
    assert_int_equal(lsql_txn_active(t), 1);
    assert_int_equal(count_t(c2), 0); /* not committed by the misuse */
    assert_int_equal(count_t(f->c), 1);

    /* NULL and foreign handles */
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_commit(f->c, NULL, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_rollback(f->c, NULL, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_commit(NULL, t, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_commit(f->c, (lsql_txn *)(void *)f->c, &e));
    assert_rc(LSQL_MISUSE_HANDLE, lsql_txn_free((lsql_txn *)(void *)&e));
    assert_int_equal(lsql_txn_active(NULL), 0);
    assert_int_equal(lsql_txn_behavior(NULL), -1);
    assert_null(lsql_txn_conn(NULL));
    assert_int_equal(lsql_txn_savepoints(NULL), 0);
    /* commit/rollback work without an error struct */
    assert_rc(LSQL_MISUSE_CONN, lsql_commit(c2, t, NULL));
    assert_ok(lsql_commit(f->c, t, NULL));
    assert_int_equal(count_t(c2), 1);
    assert_ok(lsql_txn_free(t));
    lsql_conn_close(c2);
}

/* ---- READ_ONLY ----------------------------------------------------------------- */

static void read_only_enforced(void **state)
{
    fx *f = *state;
    tu_exec(f->c, "INSERT INTO t(v) VALUES ('a')");
    lsql_txn *t;
    lsql_error e;
    assert_int_equal(query_only(f->c), 0);
    ct_expect(LSQL_OK, &e, lsql_begin(f->c, LSQL_BEGIN_READ_ONLY, &t, &e));
    assert_int_equal(lsql_txn_behavior(t), LSQL_BEGIN_READ_ONLY);
    assert_int_equal(count_t(f->c), 1); /* reads work */
    ct_expect(LSQL_READONLY_TXN, &e, lsql_exec(f->c, "INSERT INTO t(v) VALUES ('b')", NULL, 0, NULL, &e));
    assert_int_equal(e.code, LSQL_READONLY);
    assert_non_null(strstr(e.message, "READ_ONLY"));
    assert_int_equal(e.sqlite_code, 8); /* SQLITE_READONLY */
    assert_int_equal(e.flags & LSQL_ERRF_RETRYABLE, 0);
    /* also UPDATE, DELETE, DDL and TEMP tables */
    ct_expect(LSQL_READONLY_TXN, &e, lsql_exec(f->c, "UPDATE t SET v = 'z'", NULL, 0, NULL, &e));
    ct_expect(LSQL_READONLY_TXN, &e, lsql_exec(f->c, "DELETE FROM t", NULL, 0, NULL, &e));
    ct_expect(LSQL_READONLY_TXN, &e, lsql_exec(f->c, "CREATE TABLE nope(x)", NULL, 0, NULL, &e));
    ct_expect(LSQL_READONLY_TXN, &e,
              lsql_exec(f->c, "CREATE TEMP TABLE nope(x)", NULL, 0, NULL, &e));
    /* the failed writes leave the transaction open */
    assert_int_equal(lsql_txn_active(t), 1);
    assert_int_equal(lsql_conn_errcode(f->c), LSQL_READONLY_TXN);
    ct_expect(LSQL_OK, &e, lsql_commit(f->c, t, &e));
    assert_ok(lsql_txn_free(t));
    /* restored after commit */
    assert_int_equal(query_only(f->c), 0);
    tu_exec(f->c, "INSERT INTO t(v) VALUES ('b')");

    /* ... after rollback, after free */
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_READ_ONLY, &t, NULL));
    assert_int_equal(query_only(f->c), 1);
    assert_ok(lsql_rollback(f->c, t, NULL));
    assert_int_equal(query_only(f->c), 0);
    assert_ok(lsql_txn_free(t));
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_READ_ONLY, &t, NULL));
    assert_ok(lsql_txn_free(t));
    assert_int_equal(query_only(f->c), 0);
    tu_exec(f->c, "INSERT INTO t(v) VALUES ('c')");
    assert_int_equal(count_t(f->c), 3);

    /* a plain DEFERRED transaction writes */
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_DEFERRED, &t, NULL));
    tu_exec(f->c, "INSERT INTO t(v) VALUES ('d')");
    assert_ok(lsql_commit(f->c, t, NULL));
    assert_ok(lsql_txn_free(t));

    /* query_only set by the user beforehand stays set afterwards, and a write
     * outside a READ_ONLY transaction keeps SQLite's plain code */
    tu_exec(f->c, "PRAGMA query_only=ON");
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_READ_ONLY, &t, NULL));
    ct_expect(LSQL_READONLY_TXN, &e, lsql_exec(f->c, "DELETE FROM t", NULL, 0, NULL, &e));
    assert_ok(lsql_commit(f->c, t, NULL));
    assert_ok(lsql_txn_free(t));
    assert_int_equal(query_only(f->c), 1);
    ct_expect(LSQL_READONLY, &e, lsql_exec(f->c, "DELETE FROM t", NULL, 0, NULL, &e));
    tu_exec(f->c, "PRAGMA query_only=OFF");
    assert_int_equal(count_t(f->c), 4);
}

/* A READ_ONLY transaction ended by a ROLLBACK statement: writes stay refused
 * (with the READ_ONLY code) until the handle is finished. */
static void read_only_ended_behind(void **state)
{
    fx *f = *state;
    lsql_txn *t;
    lsql_error e;
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_READ_ONLY, &t, NULL));
    tu_exec(f->c, "ROLLBACK");
    assert_int_equal(lsql_txn_active(t), 0);
    ct_expect(LSQL_READONLY_TXN, &e, lsql_exec(f->c, "INSERT INTO t(v) VALUES ('x')", NULL, 0, NULL, &e));
    ct_expect(LSQL_TXN_ENDED, &e, lsql_rollback(f->c, t, &e));
    assert_int_equal(query_only(f->c), 0);
    tu_exec(f->c, "INSERT INTO t(v) VALUES ('x')");
    assert_ok(lsql_txn_free(t));

    /* or until the next lsql_begin, which finishes the stale handle */
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_READ_ONLY, &t, NULL));
    tu_exec(f->c, "COMMIT");
    lsql_txn *t2;
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_DEFERRED, &t2, NULL));
    tu_exec(f->c, "INSERT INTO t(v) VALUES ('y')");
    assert_ok(lsql_commit(f->c, t2, NULL));
    ct_expect(LSQL_TXN_DONE, &e, lsql_commit(f->c, t, &e));
    assert_non_null(strstr(e.message, "behind"));
    assert_ok(lsql_txn_free(t));
    assert_ok(lsql_txn_free(t2));
    assert_int_equal(count_t(f->c), 2);
}

/* ---- failures at COMMIT ----------------------------------------------------------- */

static void deferred_fk_at_commit(void **state)
{
    fx *f = *state;
    tu_exec(f->c, "CREATE TABLE p(id INTEGER PRIMARY KEY)");
    tu_exec(f->c, "CREATE TABLE ch(pid INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED)");
    lsql_txn *t;
    lsql_error e;
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_DEFERRED, &t, NULL));
    tu_exec(f->c, "INSERT INTO ch VALUES (7)"); /* no parent yet: deferred */
    ct_expect(LSQL_CONSTRAINT_FOREIGNKEY, &e, lsql_commit(f->c, t, &e));
    assert_int_equal(e.constraint_kind, LSQL_CONSTRAINT_KIND_FOREIGNKEY);
    assert_non_null(strstr(e.message, "commit failed"));
    assert_non_null(strstr(e.message, "still open"));
    assert_int_equal(e.flags & LSQL_ERRF_RETRYABLE, 0);
    /* the transaction is still open: repair and commit again */
    assert_int_equal(lsql_txn_active(t), 1);
    tu_exec(f->c, "INSERT INTO p VALUES (7)");
    ct_expect(LSQL_OK, &e, lsql_commit(f->c, t, &e));
    assert_int_equal(ct_int(f->c, "SELECT count(*) FROM ch"), 1);
    assert_ok(lsql_txn_free(t));

    /* or give up: rollback */
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_DEFERRED, &t, NULL));
    tu_exec(f->c, "INSERT INTO ch VALUES (8)");
    assert_rc(LSQL_CONSTRAINT_FOREIGNKEY, lsql_commit(f->c, t, NULL));
    ct_expect(LSQL_OK, &e, lsql_rollback(f->c, t, &e));
    assert_ok(lsql_txn_free(t));
    assert_int_equal(ct_int(f->c, "SELECT count(*) FROM ch"), 1);

    /* and free after a failed commit rolls back too */
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_DEFERRED, &t, NULL));
    tu_exec(f->c, "INSERT INTO ch VALUES (9)");
    assert_rc(LSQL_CONSTRAINT_FOREIGNKEY, lsql_commit(f->c, t, NULL));
    assert_ok(lsql_txn_free(t));
    int ac = 0;
    assert_ok(lsql_is_autocommit(f->c, &ac));
    assert_int_equal(ac, 1);
    assert_int_equal(ct_int(f->c, "SELECT count(*) FROM ch"), 1);
}

/* In rollback-journal mode COMMIT needs every reader gone: BUSY at COMMIT,
 * reported as retryable with the transaction still open. */
static void busy_at_commit(void **state)
{
    (void)state;
    ct_local_only("journal mode, busy timeout and SQLite locks are the server's");
    char path[1024];
    lsql_db *db = open_file(ct_path("txn-busycommit", path, sizeof path),
                            LSQL_DB_NO_WAL | LSQL_DB_NO_BUSY_TIMEOUT);
    lsql_conn *w = ct_connect(db), *r = ct_connect(db);
    tu_exec(w, "CREATE TABLE t(x)");
    lsql_txn *tw, *tr;
    lsql_error e;
    assert_ok(lsql_begin(w, LSQL_BEGIN_IMMEDIATE, &tw, NULL));
    tu_exec(w, "INSERT INTO t VALUES (1)");
    assert_ok(lsql_begin(r, LSQL_BEGIN_DEFERRED, &tr, NULL));
    assert_int_equal(ct_int(r, "SELECT count(*) FROM t"), 0); /* holds a read lock */
    ct_expect(LSQL_BUSY, &e, lsql_commit(w, tw, &e));
    assert_true(e.flags & LSQL_ERRF_RETRYABLE);
    assert_non_null(strstr(e.message, "still open"));
    assert_int_equal(lsql_txn_active(tw), 1);
    assert_ok(lsql_commit(r, tr, NULL)); /* the reader goes away */
    ct_expect(LSQL_OK, &e, lsql_commit(w, tw, &e));
    assert_int_equal(ct_int(r, "SELECT count(*) FROM t"), 1);
    lsql_txn_free(tw);
    lsql_txn_free(tr);
    lsql_db_close(db);
    tu_db_remove(path);
}

/* A COMMIT that SQLite turns into a rollback (a commit hook vetoes it, set
 * here through the native handle): the failure is reported, the handle is
 * finished, nothing was committed. */
static int veto(void *ctx)
{
    (void)ctx;
    return 1;
}

static void commit_rolled_back(void **state)
{
    ct_local_only("a commit hook needs the SQLite handle (none remotely)");
    fx *f = *state;
    void *native = NULL;
    assert_ok(lsql_conn_native_handle(f->c, &native));
    lsql_txn *t;
    lsql_error e;
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_DEFERRED, &t, NULL));
    tu_exec(f->c, "INSERT INTO t(v) VALUES ('vetoed')");
    sqlite3_commit_hook(native, veto, NULL);
    ct_expect(LSQL_CONSTRAINT_COMMITHOOK, &e, lsql_commit(f->c, t, &e));
    sqlite3_commit_hook(native, NULL, NULL);
    assert_non_null(strstr(e.message, "rolled back"));
    assert_int_equal(lsql_txn_active(t), 0);
    ct_expect(LSQL_TXN_DONE, &e, lsql_commit(f->c, t, &e));
    assert_int_equal(count_t(f->c), 0);
    assert_ok(lsql_txn_free(t));
    /* a READ_ONLY one gets its query_only back */
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_READ_ONLY, &t, NULL));
    sqlite3_commit_hook(native, veto, NULL);
    assert_int_equal(count_t(f->c), 0); /* a read: the hook runs at COMMIT */
    int rc = lsql_commit(f->c, t, NULL);
    sqlite3_commit_hook(native, NULL, NULL);
    /* (a transaction that wrote nothing may commit without the hook) */
    assert_true(rc == LSQL_OK || rc == LSQL_CONSTRAINT_COMMITHOOK);
    assert_int_equal(lsql_txn_active(t), 0);
    assert_int_equal(query_only(f->c), 0);
    assert_ok(lsql_txn_free(t));
}

/* ---- the retryable rule -------------------------------------------------------------- */

/* lsql_conn_set_deferred_begin(IMMEDIATE): lsql_begin(DEFERRED) and atomic
 * batches take the write lock at the BEGIN, so a read-then-write
 * transaction waits there (retryable) instead of meeting the
 * non-retryable BUSY of a lock upgrade. */
static void deferred_begin_immediate(void **state)
{
    (void)state;
    ct_local_only("SQLite's locks are the server's (lsqld queues writers)");
    char path[1024];
    lsql_db *db = open_file(ct_path("txn-deferred-as", path, sizeof path), LSQL_DB_NO_BUSY_TIMEOUT);
    lsql_conn *a = ct_connect(db), *b = ct_connect(db);
    tu_exec(a, "CREATE TABLE t(x)");
    lsql_error e;
    assert_int_equal(lsql_conn_set_deferred_begin(a, LSQL_BEGIN_READ_ONLY), LSQL_INVALID_ARG);
    assert_int_equal(lsql_conn_set_deferred_begin(a, 9), LSQL_INVALID_ARG);
    assert_int_equal(lsql_conn_set_deferred_begin(NULL, LSQL_BEGIN_IMMEDIATE), LSQL_MISUSE_HANDLE);
    assert_ok(lsql_conn_set_deferred_begin(a, LSQL_BEGIN_IMMEDIATE));

    lsql_txn *ta, *tb;
    assert_ok(lsql_begin(a, LSQL_BEGIN_DEFERRED, &ta, NULL));
    int st = -1;
    assert_ok(lsql_txn_state(a, &st));
    assert_int_equal(st, LSQL_TXN_WRITE); /* the write lock is held already */
    assert_int_equal(lsql_txn_behavior(ta), LSQL_BEGIN_DEFERRED); /* what was asked */
    /* so another writer meets the lock at its BEGIN, where BUSY is retryable */
    assert_int_equal(ct_int(b, "SELECT count(*) FROM t"), 0); /* readers go on */
    ct_expect(LSQL_BUSY, &e, lsql_begin(b, LSQL_BEGIN_IMMEDIATE, &tb, &e));
    assert_true(e.flags & LSQL_ERRF_RETRYABLE);
    assert_ok(lsql_rollback(a, ta, NULL));
    lsql_txn_free(ta);

    /* READ_ONLY is not changed */
    assert_ok(lsql_begin(a, LSQL_BEGIN_READ_ONLY, &ta, NULL));
    assert_int_equal(ct_int(a, "SELECT count(*) FROM t"), 0);
    assert_ok(lsql_txn_state(a, &st));
    assert_int_equal(st, LSQL_TXN_READ);
    assert_ok(lsql_commit(a, ta, NULL));
    lsql_txn_free(ta);

    /* an atomic batch without a behaviour flag begins IMMEDIATE too: with
     * b holding the write lock, even a batch of one read fails at its BEGIN */
    assert_ok(lsql_begin(b, LSQL_BEGIN_IMMEDIATE, &tb, NULL));
    lsql_batch *bt = NULL;
    assert_ok(lsql_batch_new(&bt));
    assert_ok(lsql_batch_add(bt, "SELECT count(*) FROM t", NULL, 0, NULL));
    lsql_batch_result *r = NULL;
    int rc = lsql_batch_run(a, bt, LSQL_BATCH_ATOMIC, &r, &e);
    assert_int_equal(LSQL_CLASS(rc), LSQL_BUSY); /* a DEFERRED batch of one read would pass */
    lsql_batch_result_free(r);
    assert_ok(lsql_rollback(b, tb, NULL));
    lsql_txn_free(tb);
    r = NULL;
    ct_expect(LSQL_OK, &e, lsql_batch_run(a, bt, LSQL_BATCH_ATOMIC, &r, &e));
    lsql_batch_result_free(r);
    lsql_batch_free(bt);

    /* back to DEFERRED */
    assert_ok(lsql_conn_set_deferred_begin(a, LSQL_BEGIN_DEFERRED));
    assert_ok(lsql_begin(a, LSQL_BEGIN_DEFERRED, &ta, NULL));
    assert_ok(lsql_txn_state(a, &st));
    assert_int_equal(st, LSQL_TXN_NONE);
    assert_ok(lsql_rollback(a, ta, NULL));
    lsql_txn_free(ta);
    lsql_conn_close(b);
    lsql_conn_close(a);
    lsql_db_close(db);
}

static void retryable_rule(void **state)
{
    (void)state;
    ct_local_only("busy timeout and SQLite locks are the server's (lsqld queues writers)");
    char path[1024];
    lsql_db *db = open_file(ct_path("txn-retry", path, sizeof path), LSQL_DB_NO_BUSY_TIMEOUT);
    lsql_conn *a = ct_connect(db), *b = ct_connect(db);
    tu_exec(a, "CREATE TABLE t(x)");
    tu_exec(a, "INSERT INTO t VALUES (0)");
    lsql_txn *ta, *tb, *none = (lsql_txn *)(uintptr_t)1;
    lsql_error e;

    /* 1. BUSY at BEGIN IMMEDIATE: retryable, no handle */
    assert_ok(lsql_begin(b, LSQL_BEGIN_IMMEDIATE, &tb, NULL));
    ct_expect(LSQL_BUSY, &e, lsql_begin(a, LSQL_BEGIN_IMMEDIATE, &none, &e));
    assert_null(none);
    assert_true(e.flags & LSQL_ERRF_RETRYABLE);
    int ac = 0;
    assert_ok(lsql_is_autocommit(a, &ac));
    assert_int_equal(ac, 1);
    ct_expect(LSQL_BUSY, &e, lsql_begin(a, LSQL_BEGIN_EXCLUSIVE, &none, &e));
    assert_true(e.flags & LSQL_ERRF_RETRYABLE);

    /* 2. first write of a transaction that has not read: retryable, and the
     *    retry succeeds once the other writer is done */
    assert_ok(lsql_begin(a, LSQL_BEGIN_DEFERRED, &ta, NULL));
    ct_expect(LSQL_BUSY, &e, lsql_exec(a, "INSERT INTO t VALUES (1)", NULL, 0, NULL, &e));
    assert_true(e.flags & LSQL_ERRF_RETRYABLE);
    tu_exec(b, "INSERT INTO t VALUES (2)");
    assert_ok(lsql_commit(b, tb, NULL));
    ct_expect(LSQL_OK, &e, lsql_exec(a, "INSERT INTO t VALUES (1)", NULL, 0, NULL, &e));
    assert_ok(lsql_commit(a, ta, NULL));
    assert_int_equal(ct_int(a, "SELECT count(*) FROM t"), 3);
    lsql_txn_free(ta);
    lsql_txn_free(tb);

    /* 3. a write after a read while another connection writes: BUSY, not
     *    retryable (restart the transaction) */
    assert_ok(lsql_begin(a, LSQL_BEGIN_DEFERRED, &ta, NULL));
    assert_int_equal(ct_int(a, "SELECT count(*) FROM t"), 3);
    assert_ok(lsql_begin(b, LSQL_BEGIN_IMMEDIATE, &tb, NULL));
    ct_expect(LSQL_BUSY, &e, lsql_exec(a, "INSERT INTO t VALUES (3)", NULL, 0, NULL, &e));
    assert_int_equal(e.flags & LSQL_ERRF_RETRYABLE, 0);
    assert_non_null(strstr(e.message, "not retryable"));
    assert_int_equal(lsql_conn_errcode(a), LSQL_BUSY);
    lsql_error stored;
    assert_ok(lsql_conn_error(a, &stored));
    assert_int_equal(stored.flags & LSQL_ERRF_RETRYABLE, 0);
    tu_exec(b, "INSERT INTO t VALUES (4)");
    assert_ok(lsql_commit(b, tb, NULL));
    lsql_txn_free(tb);

    /* 4. ... after which the snapshot is stale: BUSY_SNAPSHOT, not retryable */
    ct_expect(LSQL_BUSY_SNAPSHOT, &e, lsql_exec(a, "INSERT INTO t VALUES (3)", NULL, 0, NULL, &e));
    assert_int_equal(e.flags & LSQL_ERRF_RETRYABLE, 0);
    /* restarting the transaction works */
    assert_ok(lsql_rollback(a, ta, NULL));
    lsql_txn_free(ta);
    assert_ok(lsql_begin(a, LSQL_BEGIN_DEFERRED, &ta, NULL));
    assert_int_equal(ct_int(a, "SELECT count(*) FROM t"), 4);
    tu_exec(a, "INSERT INTO t VALUES (3)");
    assert_ok(lsql_commit(a, ta, NULL));
    lsql_txn_free(ta);

    /* 5. outside any transaction: BUSY is retryable */
    assert_ok(lsql_begin(b, LSQL_BEGIN_IMMEDIATE, &tb, NULL));
    ct_expect(LSQL_BUSY, &e, lsql_exec(a, "INSERT INTO t VALUES (5)", NULL, 0, NULL, &e));
    assert_true(e.flags & LSQL_ERRF_RETRYABLE);
    /* but not while an unfinished query of the connection holds a snapshot */
    lsql_rows *rows;
    assert_ok(lsql_query(a, "SELECT x FROM t", NULL, 0, &rows, NULL));
    assert_rc(LSQL_ROW, lsql_rows_next(rows, NULL));
    ct_expect(LSQL_BUSY, &e, lsql_exec(a, "INSERT INTO t VALUES (5)", NULL, 0, NULL, &e));
    assert_int_equal(e.flags & LSQL_ERRF_RETRYABLE, 0);
    lsql_rows_free(rows);
    assert_ok(lsql_rollback(b, tb, NULL));
    lsql_txn_free(tb);
    tu_exec(a, "INSERT INTO t VALUES (5)");
    assert_int_equal(ct_int(a, "SELECT count(*) FROM t"), 6);
    lsql_db_close(db);
    tu_db_remove(path);
}

/* ---- ended behind the handle ---------------------------------------------------------- */

static void ended_behind_handle(void **state)
{
    fx *f = *state;
    lsql_txn *t;
    lsql_error e;
    /* a COMMIT statement: lsql_commit cannot know, and says so */
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_DEFERRED, &t, NULL));
    tu_exec(f->c, "INSERT INTO t(v) VALUES ('a')");
    tu_exec(f->c, "COMMIT");
    assert_int_equal(lsql_txn_active(t), 0);
    ct_expect(LSQL_TXN_ENDED, &e, lsql_commit(f->c, t, &e));
    assert_non_null(strstr(e.message, "behind"));
    ct_expect(LSQL_TXN_DONE, &e, lsql_commit(f->c, t, &e));
    assert_ok(lsql_txn_free(t));
    assert_int_equal(count_t(f->c), 1);

    /* SQLite rolling back by itself (RAISE(ROLLBACK) in a trigger): commit
     * never reports success */
    tu_exec(f->c, "CREATE TRIGGER no42 BEFORE INSERT ON t WHEN new.v = '42' "
                  "BEGIN SELECT RAISE(ROLLBACK, 'no 42'); END");
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_DEFERRED, &t, NULL));
    tu_exec(f->c, "INSERT INTO t(v) VALUES ('b')");
    /* (remote: Hrana carries only SQLite's primary code) */
    ct_expect(ct_by_mode(LSQL_CONSTRAINT_TRIGGER, LSQL_CONSTRAINT), &e,
              lsql_exec(f->c, "INSERT INTO t(v) VALUES ('42')", NULL, 0, NULL, &e));
    ct_expect(LSQL_TXN_ENDED, &e, lsql_commit(f->c, t, &e));
    assert_int_equal(count_t(f->c), 1); /* 'b' was rolled back */
    assert_ok(lsql_txn_free(t));

    /* savepoint calls see it too */
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_DEFERRED, &t, NULL));
    tu_exec(f->c, "ROLLBACK");
    ct_expect(LSQL_TXN_ENDED, &e, lsql_savepoint(f->c, t, "sp", &e));
    ct_expect(LSQL_TXN_DONE, &e, lsql_savepoint(f->c, t, "sp", &e));
    assert_ok(lsql_txn_free(t));

    /* a stale handle does not block the next lsql_begin */
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_DEFERRED, &t, NULL));
    tu_exec(f->c, "ROLLBACK");
    lsql_txn *t2;
    ct_expect(LSQL_OK, &e, lsql_begin(f->c, LSQL_BEGIN_DEFERRED, &t2, &e));
    assert_int_equal(lsql_txn_active(t), 0);
    assert_int_equal(lsql_txn_active(t2), 1);
    assert_ok(lsql_commit(f->c, t2, NULL));
    assert_ok(lsql_txn_free(t2));
    assert_ok(lsql_txn_free(t));
}

/* Statements of the transaction may be anything: prepared statements, rows
 * handles, other one-shot calls. */
static void statements_in_transaction(void **state)
{
    fx *f = *state;
    lsql_txn *t;
    assert_ok(lsql_begin(f->c, LSQL_BEGIN_IMMEDIATE, &t, NULL));
    lsql_stmt *st;
    assert_ok(lsql_prepare(f->c, "INSERT INTO t(v) VALUES (?)", -1, 0, &st, NULL, NULL));
    for (int i = 0; i < 10; i++) {
        lsql_param p[] = {{NULL, lsql_int(i)}};
        assert_ok(lsql_exec_stmt(f->c, st, p, 1, NULL, NULL));
    }
    lsql_finalize(st);
    lsql_rows *rows;
    assert_ok(lsql_query(f->c, "SELECT count(*) FROM t", NULL, 0, &rows, NULL));
    assert_rc(LSQL_ROW, lsql_rows_next(rows, NULL));
    assert_int_equal(lsql_rows_int64(rows, 0), 10);
    lsql_rows_free(rows);
    assert_ok(lsql_rollback(f->c, t, NULL));
    assert_int_equal(count_t(f->c), 0);
    assert_ok(lsql_txn_free(t));
}

static void codes_have_names(void **state)
{
    (void)state;
    static const int codes[] = {LSQL_TXN_ACTIVE, LSQL_TXN_DONE, LSQL_TXN_ENDED,
                                LSQL_TXN_SAVEPOINT, LSQL_TXN_SKIPPED, LSQL_READONLY_TXN};
    static const char *const names[] = {"LSQL_TXN_ACTIVE", "LSQL_TXN_DONE", "LSQL_TXN_ENDED",
                                        "LSQL_TXN_SAVEPOINT", "LSQL_TXN_SKIPPED",
                                        "LSQL_READONLY_TXN"};
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(lsql_errname(codes[i]), names[i]);
        assert_string_not_equal(lsql_errstr(codes[i]), lsql_errstr(LSQL_CLASS(codes[i])));
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(codes[i], codes[j]);
    }
    assert_int_equal(LSQL_CLASS(LSQL_TXN_ACTIVE), LSQL_TXN);
    assert_int_equal(LSQL_CLASS(LSQL_READONLY_TXN), LSQL_READONLY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(commit_each_behavior, setup, teardown),
        cmocka_unit_test_setup_teardown(rollback_undoes, setup, teardown),
        cmocka_unit_test_setup_teardown(second_begin_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(free_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(close_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(misuse, setup, teardown),
        cmocka_unit_test_setup_teardown(read_only_enforced, setup, teardown),
        cmocka_unit_test_setup_teardown(read_only_ended_behind, setup, teardown),
        cmocka_unit_test_setup_teardown(deferred_fk_at_commit, setup, teardown),
        cmocka_unit_test_teardown(busy_at_commit, ct_target_teardown),
        cmocka_unit_test_setup_teardown(commit_rolled_back, setup, teardown),
        cmocka_unit_test_teardown(retryable_rule, ct_target_teardown),
        cmocka_unit_test_teardown(deferred_begin_immediate, ct_target_teardown),
        cmocka_unit_test_setup_teardown(ended_behind_handle, setup, teardown),
        cmocka_unit_test_setup_teardown(statements_in_transaction, setup, teardown),
        cmocka_unit_test(codes_have_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
