/* test_backup.c -- online backup to a file, from a file and between
 * connections, in steps with a progress callback (which can stop it), with
 * interrupts, retries while the source is locked, and the errors for bad
 * arguments, paths and handles. */
#include "coretest.h"

typedef struct {
    int calls;
    int last_remaining, last_total;
    int stop_at;           /* stop when calls reaches this (0: never) */
    lsql_conn *interrupt;  /* interrupt this connection at the first call */
} prog;

static int on_progress(void *ctx, int remaining, int total)
{
    prog *p = ctx;
    p->calls++;
    assert_true(remaining >= 0 && remaining <= total);
    if (p->calls > 1)
        assert_true(remaining <= p->last_remaining);
    p->last_remaining = remaining;
    p->last_total = total;
    if (p->interrupt)
        lsql_conn_interrupt(p->interrupt);
    return p->stop_at && p->calls >= p->stop_at;
}

static void fill(lsql_conn *c, int rows)
{
    tu_exec(c, "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)");
    lsql_param p = {NULL, lsql_int(rows)};
    lsql_error e;
    int rc = lsql_exec(c,
                       "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?) "
                       "INSERT INTO t SELECT i, randomblob(1000) FROM s",
                       &p, 1, NULL, &e);
    if (rc)
        fail_msg("fill: %s", e.message);
}

static void to_file_and_back(void **state)
{
    (void)state;
    char src[1024], copy[1024];
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.path = ct_path("backup-src", src, sizeof src);
    lsql_db *db = ct_open(&o);
    lsql_conn *c = ct_connect(db);
    fill(c, 1000);
    ct_path("backup-copy", copy, sizeof copy);
    prog p;
    memset(&p, 0, sizeof p);
    lsql_backup_opts bo;
    memset(&bo, 0, sizeof bo);
    bo.struct_size = sizeof bo;
    bo.pages_per_step = 20;
    bo.progress = on_progress;
    bo.ctx = &p;
    lsql_error e;
    ct_expect(LSQL_OK, &e, lsql_backup_to_file(c, NULL, copy, &bo, &e));
    assert_true(p.calls > 5); /* 1 MB in steps of 20 pages */
    assert_int_equal(p.last_remaining, 0);
    assert_true(p.last_total > 60);

    /* the copy is a database with the same content */
    lsql_db_opts co;
    lsql_db_opts_init(&co);
    co.path = copy;
    lsql_db *cdb = ct_open(&co);
    lsql_conn *cc = ct_connect(cdb);
    assert_int_equal(ct_int(cc, "SELECT count(*) FROM t"), 1000);
    assert_int_equal(ct_int(cc, "SELECT sum(length(v)) FROM t"), 1000000);
    lsql_db_close(cdb);

    /* all at once (no opts), overwriting the copy, from a MEMORY database */
    lsql_db *mdb = NULL;
    lsql_conn *mc = NULL;
    tu_open_memory(&mdb, &mc);
    tu_exec(mc, "CREATE TABLE m(x)");
    tu_exec(mc, "INSERT INTO m VALUES ('mem')");
    ct_expect(LSQL_OK, &e, lsql_backup_to_file(mc, "main", copy, NULL, &e));
    cdb = ct_open(&co);
    cc = ct_connect(cdb);
    char buf[16];
    assert_string_equal(ct_text(cc, "SELECT x FROM m", buf, sizeof buf), "mem");
    lsql_db_close(cdb);

    /* restore: from the file into the memory database (replacing it) */
    ct_expect(LSQL_OK, &e, lsql_backup_to_file(c, NULL, copy, NULL, &e));
    memset(&p, 0, sizeof p);
    bo.pages_per_step = 50;
    ct_expect(LSQL_OK, &e, lsql_backup_from_file(mc, NULL, copy, &bo, &e));
    assert_true(p.calls >= 2);
    assert_int_equal(ct_int(mc, "SELECT count(*) FROM t"), 1000);
    int64_t n = 0;
    ct_expect(LSQL_ERROR, &e, lsql_query_int64(mc, "SELECT count(*) FROM m", NULL, 0, &n, &e));
    /* a second connection of the shared memory database sees it too */
    lsql_conn *mc2 = ct_connect(mdb);
    assert_int_equal(ct_int(mc2, "SELECT count(*) FROM t"), 1000);
    lsql_db_close(mdb);

    /* restoring the (WAL-mode) copy into a private in-memory database and
     * into an attached one */
    lsql_db_opts po;
    lsql_db_opts_init(&po);
    po.mode = LSQL_MODE_MEMORY;
    po.flags = 0; /* private: the default */
    lsql_db *pdb = ct_open(&po);
    lsql_conn *pc = ct_connect(pdb);
    ct_expect(LSQL_OK, &e, lsql_backup_from_file(pc, NULL, copy, NULL, &e));
    assert_int_equal(ct_int(pc, "SELECT count(*) FROM t"), 1000);
    tu_exec(pc, "ATTACH ':memory:' AS aux");
    ct_expect(LSQL_OK, &e, lsql_backup_from_file(pc, "aux", copy, NULL, &e));
    assert_int_equal(ct_int(pc, "SELECT count(*) FROM aux.t"), 1000);
    tu_exec(pc, "INSERT INTO aux.t(v) VALUES (x'00')");
    assert_int_equal(ct_int(pc, "SELECT count(*) FROM aux.t"), 1001);
    lsql_db_close(pdb);
    lsql_db_close(db);
    tu_db_remove(src);
    tu_db_remove(copy);
}

static void between_connections(void **state)
{
    (void)state;
    lsql_db *adb = NULL, *bdb = NULL;
    lsql_conn *a = NULL, *b = NULL;
    tu_open_memory(&adb, &a);
    tu_open_memory(&bdb, &b);
    fill(a, 400);
    tu_exec(b, "CREATE TABLE old(x)");
    /* a statement b prepared before the restore */
    lsql_stmt *st = NULL;
    lsql_error e;
    ct_expect(LSQL_OK, &e, lsql_prepare(b, "SELECT count(*) FROM old", -1, 0, &st, NULL, &e));
    prog p;
    memset(&p, 0, sizeof p);
    lsql_backup_opts bo;
    memset(&bo, 0, sizeof bo);
    bo.struct_size = sizeof bo;
    bo.pages_per_step = 10;
    bo.sleep_ms = 1;
    bo.progress = on_progress;
    bo.ctx = &p;
    ct_expect(LSQL_OK, &e, lsql_backup_to_conn(a, NULL, b, "main", &bo, &e));
    assert_true(p.calls > 3);
    assert_int_equal(ct_int(b, "SELECT count(*) FROM t"), 400);
    ct_expect(LSQL_ERROR, &e, lsql_step(st, &e)); /* "old" is gone */
    lsql_finalize(st);

    /* into an attached schema */
    tu_exec(b, "ATTACH ':memory:' AS aux");
    ct_expect(LSQL_OK, &e, lsql_backup_to_conn(a, "main", b, "aux", NULL, &e));
    assert_int_equal(ct_int(b, "SELECT count(*) FROM aux.t"), 400);

    /* the progress callback stops it: LSQL_ABORT, the destination unchanged */
    lsql_db *cdb = NULL;
    lsql_conn *cc = NULL;
    tu_open_memory(&cdb, &cc);
    tu_exec(cc, "CREATE TABLE keep(x)");
    memset(&p, 0, sizeof p);
    p.stop_at = 2;
    ct_expect(LSQL_ABORT, &e, lsql_backup_to_conn(a, NULL, cc, NULL, &bo, &e));
    assert_int_equal(p.calls, 2);
    assert_int_equal(ct_int(cc, "SELECT count(*) FROM keep"), 0);
    assert_int_equal(lsql_conn_errcode(a), LSQL_ABORT);

    /* interrupting the source (here from the callback) stops it */
    memset(&p, 0, sizeof p);
    p.interrupt = a;
    ct_expect(LSQL_INTERRUPTED, &e, lsql_backup_to_conn(a, NULL, cc, NULL, &bo, &e));
    assert_int_equal(p.calls, 1);
    /* ... or the destination */
    memset(&p, 0, sizeof p);
    p.interrupt = cc;
    ct_expect(LSQL_INTERRUPTED, &e, lsql_backup_to_conn(a, NULL, cc, NULL, &bo, &e));
    assert_int_equal(ct_int(cc, "SELECT count(*) FROM keep"), 0);
    /* an idle interrupt does not stop a later backup */
    assert_ok(lsql_conn_interrupt(a));
    assert_ok(lsql_conn_interrupt(cc));
    ct_expect(LSQL_OK, &e, lsql_backup_to_conn(a, NULL, cc, NULL, NULL, &e));
    assert_int_equal(ct_int(cc, "SELECT count(*) FROM t"), 400);
    lsql_db_close(cdb);
    lsql_db_close(adb);
    lsql_db_close(bdb);
}

/* A writer in another connection holds the source's write lock in rollback
 * mode: the backup's read waits (short timeout) and fails with LSQL_BUSY;
 * once the lock is gone it works. */
static void locked_source(void **state)
{
    (void)state;
    char src[1024], copy[1024];
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.flags = LSQL_DB_NO_WAL;
    o.path = ct_path("backup-locked", src, sizeof src);
    lsql_db *db = ct_open(&o);
    lsql_conn *c = ct_connect(db), *w = ct_connect(db);
    fill(c, 50);
    ct_path("backup-locked-copy", copy, sizeof copy);
    tu_exec(w, "BEGIN EXCLUSIVE");
    assert_ok(lsql_conn_set_busy_timeout(c, 30));
    lsql_error e;
    ct_err_garbage(&e);
    int rc = lsql_backup_to_file(c, NULL, copy, NULL, &e);
    assert_int_equal(LSQL_CLASS(rc), LSQL_BUSY);
    ct_check_err(rc, &e);
    tu_exec(w, "COMMIT");
    ct_expect(LSQL_OK, &e, lsql_backup_to_file(c, NULL, copy, NULL, &e));
    lsql_db_close(db);
    tu_db_remove(src);
    tu_db_remove(copy);
}

static void errors(void **state)
{
    (void)state;
    lsql_db *db = NULL;
    lsql_conn *c = NULL;
    tu_open_memory(&db, &c);
    lsql_conn *other = ct_connect(db);
    tu_exec(c, "CREATE TABLE t(x)");
    lsql_error e;
    ct_expect(LSQL_INVALID_ARG, &e, lsql_backup_to_file(c, NULL, NULL, NULL, &e));
    ct_expect(LSQL_INVALID_ARG, &e, lsql_backup_to_file(c, NULL, "", NULL, &e));
    ct_expect(LSQL_INVALID_NAME, &e, lsql_backup_to_file(c, "", "/tmp/x.db", NULL, &e));
    ct_err_garbage(&e);
    int rc = lsql_backup_to_file(c, NULL, "/nonexistent-dir/sub/x.db", NULL, &e);
    assert_int_equal(LSQL_CLASS(rc), LSQL_CANTOPEN);
    ct_check_err(rc, &e);
    char path[1024];
    ct_path("backup-err", path, sizeof path);
    ct_expect(LSQL_ERROR, &e, lsql_backup_to_file(c, "nosuch", path, NULL, &e));
    ct_expect(LSQL_ERROR, &e, lsql_backup_from_file(c, "nosuch", path, NULL, &e));
    /* a file that is not a database */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 200; i++)
        fputs("definitely not an SQLite database file. ", f);
    fclose(f);
    ct_expect(LSQL_NOTADB, &e, lsql_backup_from_file(c, NULL, path, NULL, &e));
    assert_int_equal(ct_int(c, "SELECT count(*) FROM t"), 0); /* untouched */
    unlink(path);
    ct_expect(LSQL_INVALID_ARG, &e, lsql_backup_to_conn(c, NULL, c, NULL, NULL, &e));
    ct_expect(LSQL_INVALID_NAME, &e, lsql_backup_to_conn(c, "", other, NULL, NULL, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_backup_to_conn(c, NULL, NULL, NULL, NULL, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_backup_to_conn(NULL, NULL, c, NULL, NULL, &e));
    ct_expect(LSQL_MISUSE_HANDLE,
              &e, lsql_backup_to_conn(c, NULL, (lsql_conn *)db, NULL, NULL, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_backup_to_file(NULL, NULL, "/tmp/x.db", NULL, &e));
    ct_expect(LSQL_MISUSE_HANDLE, &e, lsql_backup_from_file(NULL, NULL, "/tmp/x.db", NULL, &e));
    lsql_backup_opts bo;
    memset(&bo, 0, sizeof bo);
    bo.struct_size = 4; /* too small */
    ct_expect(LSQL_INVALID_ARG, &e, lsql_backup_to_conn(c, NULL, other, NULL, &bo, &e));
    lsql_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(to_file_and_back),
        cmocka_unit_test(between_connections),
        cmocka_unit_test(locked_source),
        cmocka_unit_test(errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
