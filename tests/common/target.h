/* target.h -- the mode switch of the core functional suite ("one suite, all
 * modes"). Each tests/core file listed in tests/core/remote.cmake is built
 * three times: core_test_X (local: SQLite, as always), remote_core_test_X,
 * built with -DLSQL_TEST_REMOTE=1 and linked with lsqld_core, where every
 * database the test opens through this header is a REMOTE database (an lsqld
 * started in-process on 127.0.0.1:0) speaking the negotiated encoding --
 * Hrana 3 protobuf, which lsqld offers --, and remote_json_core_test_X, also
 * built with -DLSQL_TEST_REMOTE_JSON=1, whose databases ask for Hrana 3 JSON
 * (LSQL_HRANA_JSON). ct_target_open checks the encoding in use. Each MEMORY (or path-less) database gets its
 * own server over a fresh file under $LSQL_TEST_TMPDIR; a LOCAL path names
 * the server's database file (reopening the path reaches the same server).
 * ct_target_cleanup() -- in teardown -- stops the servers (and removes the
 * files of their own), so tests stay isolated.
 *
 *   ct_remote()            is this the remote run?
 *   ct_target_opts(&o)     local options -> options of the current mode
 *   ct_target_open(&o)     a database of the current mode: local: o as given;
 *                          remote: a server on o.path's file (or a fresh
 *                          one), o's mode-independent options kept
 *   ct_target_memory(..)   tu_open_memory() of the current mode
 *   ct_target_teardown     a cmocka teardown: ct_target_cleanup()
 *   ct_by_mode(l, r)       the local or the remote expectation (they differ)
 *   ct_local_only("why")   skips the test in the remote run (no remote meaning)
 *
 * Everything is static so that each binary gets its own copy. */
#ifndef LSQL_TARGET_H
#define LSQL_TARGET_H

#include "coretest.h"

#ifndef LSQL_TEST_REMOTE
#define LSQL_TEST_REMOTE 0
#endif
#ifndef LSQL_TEST_REMOTE_JSON
#define LSQL_TEST_REMOTE_JSON 0
#endif

#if LSQL_TEST_REMOTE
#include "server.h"
#endif

/* True in the remote build of a test file. */
static inline int ct_remote(void)
{
    return LSQL_TEST_REMOTE;
}

/* The expectation of the current mode, where the remote one legitimately
 * differs (say why at the call). */
#define ct_by_mode(local, remote) (ct_remote() ? (remote) : (local))

/* Skips the calling test in the remote run: what it checks has no remote
 * meaning. `why` is printed with the skip. */
#define ct_local_only(why)                                                     \
    do {                                                                       \
        if (ct_remote()) {                                                     \
            print_message("[  SKIP    ] remote: %s\n", (why));                 \
            skip();                                                            \
        }                                                                      \
    } while (0)

#if LSQL_TEST_REMOTE

#define CT_MAX_SERVERS 16

typedef struct ct_server {
    lsqld_server *s;
    char db[1024];
    char url[64];
    int own_file; /* a file of target.h's own: removed at cleanup */
} ct_server;

static ct_server ct_servers[CT_MAX_SERVERS];
static int ct_nservers;
static int ct_server_seq;
static int ct_atexit_set;

static inline void ct_target_cleanup(void)
{
    for (int i = ct_nservers - 1; i >= 0; i--) {
        if (ct_servers[i].s) /* NULL: stopped by ct_target_server_stop */
            lsqld_stop(ct_servers[i].s);
        if (ct_servers[i].own_file)
            tu_db_remove(ct_servers[i].db);
        memset(&ct_servers[i], 0, sizeof ct_servers[i]);
    }
    ct_nservers = 0;
}

static void ct_target_atexit(void)
{
    ct_target_cleanup(); /* a test that failed before its cleanup */
}

/* Starts a server on the database file `path` (NULL: a fresh file). */
static inline ct_server *ct_target_start(const char *path)
{
    if (ct_nservers == CT_MAX_SERVERS)
        fail_msg("target.h: more than %d servers without ct_target_cleanup()", CT_MAX_SERVERS);
    if (!ct_atexit_set) {
        atexit(ct_target_atexit);
        ct_atexit_set = 1;
    }
    ct_server *t = &ct_servers[ct_nservers];
    if (path) {
        snprintf(t->db, sizeof t->db, "%s", path);
    } else {
        snprintf(t->db, sizeof t->db, "%s/remote-%ld-%d.db", ct_tmpdir(), (long)getpid(),
                 ct_server_seq++);
        tu_db_remove(t->db);
        t->own_file = 1;
    }
    lsqld_config cfg;
    lsqld_config_defaults(&cfg);
    cfg.listen = "127.0.0.1:0";
    cfg.db_path = t->db;
    cfg.shutdown_timeout_ms = 2000; /* a failed test's request in flight: no 10 s wait */
    char err[512];
    if (lsqld_start(&cfg, &t->s, err, sizeof err))
        fail_msg("lsqld_start: %s", err);
    snprintf(t->url, sizeof t->url, "http://127.0.0.1:%d", lsqld_port(t->s));
    ct_nservers++;
    return t;
}

/* The server of the database file `path` opened through ct_target_opts
 * (NULL if none). */
static inline ct_server *ct_target_server(const char *path)
{
    for (int i = 0; path && i < ct_nservers; i++)
        if (!strcmp(ct_servers[i].db, path))
            return &ct_servers[i];
    return NULL;
}

/* The server a database opened through ct_target_open talks to (NULL if
 * none). */
static inline ct_server *ct_target_server_of(lsql_db *db)
{
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    if (lsql_db_opts_get(db, &o) != LSQL_OK || !o.url)
        return NULL;
    for (int i = 0; i < ct_nservers; i++)
        if (!strcmp(ct_servers[i].url, o.url))
            return &ct_servers[i];
    return NULL;
}

/* Stops a server (its streams end, its port closes); its file and slot stay
 * for ct_target_server_start_again. */
static inline void ct_target_server_stop(ct_server *t)
{
    lsqld_stop(t->s);
    t->s = NULL;
}

/* Starts a stopped server again on the same port and file: what a client
 * sees of a server restart (every stream is gone). */
static inline void ct_target_server_start_again(ct_server *t)
{
    const char *colon = strrchr(t->url, ':');
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%s", colon ? colon + 1 : "0");
    lsqld_config cfg;
    lsqld_config_defaults(&cfg);
    cfg.listen = listen;
    cfg.db_path = t->db;
    cfg.shutdown_timeout_ms = 2000;
    char err[512];
    if (lsqld_start(&cfg, &t->s, err, sizeof err))
        fail_msg("lsqld_start again on %s: %s", listen, err);
}

/* Turns the options of a local test database into those of the current
 * mode. Remote: a LOCAL path names the server's database file, and the same
 * path again (a test that closes and reopens its database) reaches the same
 * server; MEMORY (or no path): a new server on a fresh file. Only the
 * options that mean the same in both modes are kept. */
static inline void ct_target_opts(lsql_db_opts *o)
{
    const char *path = o->mode == LSQL_MODE_LOCAL ? o->path : NULL;
    ct_server *t = ct_target_server(path);
    if (!t)
        t = ct_target_start(path);
    int cache = o->stmt_cache_capacity;
    lsql_db_opts_init(o);
    o->mode = LSQL_MODE_REMOTE;
    o->url = t->url;
    o->stmt_cache_capacity = cache;
    o->hrana_encoding = LSQL_TEST_REMOTE_JSON ? LSQL_HRANA_JSON : 0;
}

static inline lsql_db *ct_target_open(const lsql_db_opts *local)
{
    lsql_db_opts o = *local;
    ct_target_opts(&o);
    lsql_db *db = ct_open(&o);
    /* the run covers the encoding it is meant to */
    lsql_db_opts got;
    lsql_db_opts_init(&got);
    if (lsql_db_opts_get(db, &got) != LSQL_OK || got.hrana_version != 3 ||
        got.hrana_encoding != (LSQL_TEST_REMOTE_JSON ? LSQL_HRANA_JSON : LSQL_HRANA_PROTOBUF))
        fail_msg("target.h: the remote database speaks Hrana %d, encoding %d; want Hrana 3, %s",
                 got.hrana_version, got.hrana_encoding,
                 LSQL_TEST_REMOTE_JSON ? "JSON" : "protobuf");
    return db;
}

#else /* local */

static inline void ct_target_cleanup(void)
{
}

static inline void ct_target_opts(lsql_db_opts *o)
{
    (void)o;
}

static inline lsql_db *ct_target_open(const lsql_db_opts *local)
{
    return ct_open(local);
}

#endif

/* tu_open_memory() of the current mode: a shared MEMORY database locally, a
 * fresh server remotely; and one connection. */
static inline void ct_target_memory(lsql_db **db, lsql_conn **c)
{
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    o.mode = LSQL_MODE_MEMORY;
    o.flags = LSQL_DB_MEMORY_SHARED;
    *db = ct_target_open(&o);
    *c = ct_connect(*db);
}

/* Checks the byte offset of an error in SQL text. Remote: lsqld's
 * SQL_INPUT_ERROR messages do not carry the offset (sqld's end with "at
 * offset N", which the client reads), so -1 is accepted there; any other
 * value must be the right one. */
static inline void ct_check_offset(int got, int want)
{
    if (got == want || (ct_remote() && got == -1))
        return;
    fail_msg("error offset %d, want %d", got, want);
}

/* A cmocka teardown for tests that open their own databases. */
static inline int ct_target_teardown(void **state)
{
    (void)state;
    ct_target_cleanup();
    return 0;
}

#endif
