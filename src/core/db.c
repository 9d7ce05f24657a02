/* db.c -- database handles: options, open, connect, close. */
#include "internal.h"

#include <stddef.h>
#include <string.h>

#define DEFAULT_BUSY_TIMEOUT_MS 5000u
#define DEFAULT_CACHE_SIZE_KIB 8192u
#define DEFAULT_STMT_CACHE 64

LSQL_API void lsql_db_opts_init_sized(lsql_db_opts *o, size_t size)
{
    if (!o || size < offsetof(lsql_db_opts, mode) + sizeof o->mode)
        return;
    memset(o, 0, size); /* the caller's whole struct: sizeof *opts where it was compiled */
    o->struct_size = size;
    o->mode = LSQL_MODE_LOCAL;
}

static void cfg_free(lsql_db_config *cfg)
{
    lsql__free(cfg->path);
    lsql__free(cfg->url);
    lsql__free(cfg->auth_token);
    lsql__free(cfg->tls_ca_file);
    lsql__free(cfg->tls_ca_path);
}

static int dup_opt(const char *s, char **out, lsql_error *e)
{
    *out = NULL;
    if (!s)
        return LSQL_OK;
    *out = lsql__strdup(s);
    return *out ? LSQL_OK : lsql__fail(e, LSQL_NOMEM, NULL);
}

LSQL_API int lsql_db_open(const lsql_db_opts *in, lsql_db **out, lsql_error *err)
{
    if (out)
        *out = NULL;
    if (!in || !out)
        return lsql__fail(err, LSQL_INVALID_ARG, "lsql_db_open: opts and out must not be NULL");
    if (in->struct_size < offsetof(lsql_db_opts, flags))
        return lsql__fail(err, LSQL_INVALID_ARG,
                          "lsql_db_open: opts.struct_size is %zu; set it to sizeof(lsql_db_opts)",
                          in->struct_size);
    lsql_db_opts o;
    memset(&o, 0, sizeof o);
    memcpy(&o, in, in->struct_size < sizeof o ? in->struct_size : sizeof o);

    const lsql_backend *be = NULL;
    switch (o.mode) {
    case LSQL_MODE_LOCAL:
        if (!o.path || !*o.path)
            return lsql__fail(err, LSQL_INVALID_OPTION, "LOCAL mode needs a file path");
        be = &lsql__local_backend;
        break;
    case LSQL_MODE_MEMORY:
        be = &lsql__local_backend;
        break;
    case LSQL_MODE_REMOTE:
        be = &lsql__remote_backend;
        break;
    case LSQL_MODE_REPLICA:
        return lsql__fail(err, LSQL_NOTSUP_MODE, "REPLICA mode is not supported by lsql %s yet",
                          LSQL_VERSION);
    default:
        return lsql__fail(err, LSQL_INVALID_OPTION, "unknown mode %d (use LSQL_MODE_*)", o.mode);
    }
    if ((o.flags & LSQL_DB_READONLY) && o.mode == LSQL_MODE_MEMORY)
        return lsql__fail(err, LSQL_INVALID_OPTION, "a MEMORY database cannot be read-only");
    if ((unsigned)o.sqlite_open_flags &
            ~(unsigned)(LSQL_OPEN_SHAREDCACHE | LSQL_OPEN_PRIVATECACHE | LSQL_OPEN_NOFOLLOW) ||
        ((o.sqlite_open_flags & LSQL_OPEN_SHAREDCACHE) &&
         (o.sqlite_open_flags & LSQL_OPEN_PRIVATECACHE)))
        return lsql__fail(err, LSQL_INVALID_OPTION,
                          "sqlite_open_flags 0x%x: only LSQL_OPEN_SHAREDCACHE or "
                          "LSQL_OPEN_PRIVATECACHE, and LSQL_OPEN_NOFOLLOW, are accepted",
                          (unsigned)o.sqlite_open_flags);
    int rc = lsql__ensure_init();
    if (rc)
        return lsql__fail(err, rc, "lsql initialisation failed");

    lsql_db *db = lsql__calloc(1, sizeof *db);
    if (!db)
        return lsql__fail(err, LSQL_NOMEM, NULL);
    db->cfg.mode = o.mode;
    db->cfg.flags = o.flags;
    db->cfg.sqlite_open_flags = o.sqlite_open_flags;
    db->cfg.busy_timeout_ms = o.busy_timeout_ms ? o.busy_timeout_ms : DEFAULT_BUSY_TIMEOUT_MS;
    db->cfg.cache_size_kib = o.cache_size_kib ? o.cache_size_kib : DEFAULT_CACHE_SIZE_KIB;
    db->cfg.stmt_cache_capacity = o.stmt_cache_capacity == 0 ? DEFAULT_STMT_CACHE
                                  : o.stmt_cache_capacity < 0 ? 0
                                                              : o.stmt_cache_capacity;
    db->cfg.connect_timeout_ms = o.connect_timeout_ms;
    db->cfg.request_timeout_ms = o.request_timeout_ms;
    db->cfg.max_response_bytes = o.max_response_bytes;
    db->cfg.retry_max = o.retry_max;
    db->cfg.retry_base_ms = o.retry_base_ms;
    db->cfg.retry_max_ms = o.retry_max_ms;
    db->cfg.hrana_version = o.hrana_version;
    db->cfg.hrana_encoding = o.hrana_encoding; /* 0 from callers without the field */
    if ((rc = dup_opt(o.mode == LSQL_MODE_LOCAL ? o.path : NULL, &db->cfg.path, err)) ||
        (rc = dup_opt(o.url, &db->cfg.url, err)) ||
        (rc = dup_opt(o.auth_token, &db->cfg.auth_token, err)) ||
        (rc = dup_opt(o.tls_ca_file, &db->cfg.tls_ca_file, err)) ||
        (rc = dup_opt(o.tls_ca_path, &db->cfg.tls_ca_path, err))) {
        cfg_free(&db->cfg);
        lsql__free(db);
        return rc;
    }
    if (pthread_mutex_init(&db->mu, NULL)) {
        cfg_free(&db->cfg);
        lsql__free(db);
        return lsql__fail(err, LSQL_NOMEM, "cannot create a mutex");
    }
    db->be = be;
    db->magic = LSQL_MAGIC_DB;
    lsql_error e;
    lsql_error_clear(&e);
    rc = be->db_open(db, &e);
    if (rc) {
        pthread_mutex_destroy(&db->mu);
        cfg_free(&db->cfg);
        db->magic = LSQL_MAGIC_DEAD;
        lsql__free(db);
        return lsql__err_out(&e, err);
    }
    lsql__db_count_add(1);
    lsql__err_ok(err);
    *out = db;
    return LSQL_OK;
}

LSQL_API int lsql_db_open_url(const char *url, lsql_db **out, lsql_error *err)
{
    if (out)
        *out = NULL;
    if (!out)
        return lsql__fail(err, LSQL_INVALID_ARG, "out is NULL");
    lsql_db_opts o;
    lsql_db_opts_init(&o);
    char *path = NULL;
    int rc = lsql__url_parse(url, &o, &path, err);
    if (rc == LSQL_OK)
        rc = lsql_db_open(&o, out, err);
    lsql__free(path);
    return rc;
}

static inline bool db_valid(const lsql_db *db)
{
    return db && db->magic == LSQL_MAGIC_DB;
}

LSQL_API int lsql_db_mode(const lsql_db *db)
{
    return db_valid(db) ? db->cfg.mode : 0;
}

LSQL_API int lsql_db_opts_get(const lsql_db *db, lsql_db_opts *out)
{
    if (!db_valid(db))
        return LSQL_MISUSE_HANDLE;
    if (!out || out->struct_size < offsetof(lsql_db_opts, flags))
        return LSQL_INVALID_ARG;
    lsql_db_opts o;
    memset(&o, 0, sizeof o);
    o.struct_size = out->struct_size < sizeof o ? out->struct_size : sizeof o;
    o.mode = db->cfg.mode;
    o.path = db->cfg.path;
    o.url = db->cfg.url;
    o.auth_token = db->cfg.auth_token;
    o.flags = db->cfg.flags;
    o.busy_timeout_ms = db->cfg.busy_timeout_ms;
    o.cache_size_kib = db->cfg.cache_size_kib;
    o.stmt_cache_capacity = db->cfg.stmt_cache_capacity ? db->cfg.stmt_cache_capacity : -1;
    o.sqlite_open_flags = db->cfg.sqlite_open_flags;
    o.connect_timeout_ms = db->cfg.connect_timeout_ms;
    o.request_timeout_ms = db->cfg.request_timeout_ms;
    o.tls_ca_file = db->cfg.tls_ca_file;
    o.tls_ca_path = db->cfg.tls_ca_path;
    o.max_response_bytes = db->cfg.max_response_bytes;
    o.retry_max = db->cfg.retry_max;
    o.retry_base_ms = db->cfg.retry_base_ms;
    o.retry_max_ms = db->cfg.retry_max_ms;
    o.hrana_version = db->cfg.hrana_version;
    o.hrana_encoding = db->cfg.hrana_encoding;
    memcpy(out, &o, o.struct_size);
    return LSQL_OK;
}

LSQL_API int lsql_db_close(lsql_db *db)
{
    if (!db)
        return LSQL_OK;
    if (!db_valid(db))
        return LSQL_MISUSE_HANDLE;
    int first = LSQL_OK;
    pthread_mutex_lock(&db->mu);
    while (db->conns) {
        lsql_conn *c = db->conns;
        db->conns = c->next;
        int rc = LSQL_OK;
        lsql__conn_destroy(c, &rc);
        if (rc && !first)
            first = rc;
    }
    pthread_mutex_unlock(&db->mu);
    db->be->db_close(db);
    pthread_mutex_destroy(&db->mu);
    cfg_free(&db->cfg);
    db->magic = LSQL_MAGIC_DEAD;
    lsql__free(db);
    lsql__db_count_add(-1);
    return first;
}

LSQL_API int lsql_db_connect(lsql_db *db, lsql_conn **out, lsql_error *err)
{
    if (out)
        *out = NULL;
    if (!db_valid(db))
        return lsql__fail(err, LSQL_MISUSE_HANDLE, "invalid database handle");
    if (!out)
        return lsql__fail(err, LSQL_INVALID_ARG, "out is NULL");
    lsql_conn *c = lsql__calloc(1, sizeof *c);
    if (!c)
        return lsql__fail(err, LSQL_NOMEM, NULL);
    c->magic = LSQL_MAGIC_CONN;
    c->db = db;
    c->be = db->be;
    c->cache.capacity = db->cfg.stmt_cache_capacity;
    lsql_error_clear(&c->last);
    int rc = c->be->conn_open(c, &c->last);
    if (rc) {
        rc = lsql__err_out(&c->last, err);
        c->magic = LSQL_MAGIC_DEAD;
        lsql__free(c);
        return rc;
    }
    c->last.code = c->last.ext_code = 0;
    c->last.message[0] = 0;
    pthread_mutex_lock(&db->mu);
    c->next = db->conns;
    if (db->conns)
        db->conns->prev = c;
    db->conns = c;
    pthread_mutex_unlock(&db->mu);
    lsql__err_ok(err);
    *out = c;
    return LSQL_OK;
}
