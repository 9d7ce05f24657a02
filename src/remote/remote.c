/* remote.c -- the REMOTE backend: database and connection operations and
 * the backend table (statements: rstmt.c; requests: rpipe.c).
 *
 * Opening a REMOTE database parses the URL and its options, then checks
 * the server once (rneg.c: protocol version and encoding, credentials).
 * Connections open no network connection until their first request. */
#include "remote_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEF_CONNECT_MS 10000u
#define DEF_REQUEST_MS 30000u
#define DEF_MAX_RESPONSE ((size_t)64 << 20)
#define DEF_RETRY_MAX 3
#define DEF_RETRY_BASE_MS 50u
#define DEF_RETRY_MAX_MS 2000u
#define REQ_BODY_MAX ((size_t)256 << 20)

/* ---- URL --------------------------------------------------------------------- */

static bool num(const char *v, uint64_t max, uint64_t *out)
{
    if (!*v || *v == '-' || *v == '+')
        return false;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (*end || errno || x > max)
        return false;
    *out = x;
    return true;
}

/* Applies one URL query option. */
static int url_opt(lsql_db *db, rdb *d, const char *k, const char *v, bool *tls, lsql_error *e)
{
    uint64_t x;
    bool b;
    if (!strcmp(k, "authToken") || !strcmp(k, "auth_token")) {
        lsql__free(d->token);
        d->token = *v ? lsql__strdup(v) : NULL;
        if (*v && !d->token)
            return lsql__fail(e, LSQL_NOMEM, NULL);
    } else if (!strcmp(k, "tls")) {
        if (!lsql__parse_onoff(v, tls))
            goto bad;
    } else if (!strcmp(k, "connect_timeout")) {
        if (!num(v, UINT32_MAX, &x) || !x)
            goto bad;
        d->connect_timeout_ms = (uint32_t)x;
    } else if (!strcmp(k, "timeout")) {
        if (!num(v, UINT32_MAX, &x) || !x)
            goto bad;
        d->request_timeout_ms = (uint32_t)x;
    } else if (!strcmp(k, "max_response")) {
        if (!num(v, SIZE_MAX, &x) || !x)
            goto bad;
        d->max_response = (size_t)x;
    } else if (!strcmp(k, "retries")) {
        if (!num(v, 100, &x))
            goto bad;
        d->retry_max = (int)x;
    } else if (!strcmp(k, "hrana")) {
        if (!num(v, 3, &x) || x < 2)
            goto bad;
        d->version = (int)x;
    } else if (!strcmp(k, "encoding")) {
        if (!strcasecmp(v, "json"))
            d->encoding = LSQL_HRANA_JSON;
        else if (!strcasecmp(v, "protobuf"))
            d->encoding = LSQL_HRANA_PROTOBUF;
        else
            return lsql__fail(e, LSQL_INVALID_OPTION,
                              "bad value '%.64s' for URL option 'encoding': use json or protobuf",
                              v);
    } else if (!strcmp(k, "http2")) {
        if (!lsql__parse_onoff(v, &b))
            goto bad;
        d->http2 = b;
    } else if (!strcmp(k, "tls_verify")) {
        if (!lsql__parse_onoff(v, &b))
            goto bad;
        d->verify_tls = b;
    } else if (!strcmp(k, "ca_file") || !strcmp(k, "ca_path")) {
        char **dst = k[3] == 'f' ? &d->ca_file : &d->ca_path;
        lsql__free(*dst);
        if (!(*dst = lsql__strdup(v)))
            return lsql__fail(e, LSQL_NOMEM, NULL);
    } else if (!strcmp(k, "stmt_cache")) {
        char *end;
        long n = strtol(v, &end, 10);
        if (!*v || *end || n < -1 || n > 1000000)
            goto bad;
        db->cfg.stmt_cache_capacity = n == 0 ? 64 : n < 0 ? 0 : (int)n;
    } else {
        return lsql__fail(e, LSQL_INVALID_OPTION, "unknown remote URL option '%.64s'", k);
    }
    return LSQL_OK;
bad:
    return lsql__fail(e, LSQL_INVALID_OPTION, "bad value '%.64s' for URL option '%.64s'", v, k);
}

/* Parses url into d->base (and options from its query). */
static int parse_url(lsql_db *db, rdb *d, const char *url, lsql_error *e)
{
    const char *rest;
    bool tls;
    if (!strncasecmp(url, "http://", 7)) {
        rest = url + 7;
        tls = false;
    } else if (!strncasecmp(url, "https://", 8)) {
        rest = url + 8;
        tls = true;
    } else if (!strncasecmp(url, "libsql://", 9)) {
        rest = url + 9;
        tls = true;
    } else if (!strncasecmp(url, "ws://", 5) || !strncasecmp(url, "wss://", 6)) {
        return lsql__fail(e, LSQL_NOTSUP_MODE,
                          "WebSocket URLs are not supported; use http://, https:// or "
                          "libsql:// (the same server answers HTTP)");
    } else {
        return lsql__fail(e, LSQL_INVALID_URL,
                          "a remote URL starts with http://, https:// or libsql://");
    }
    bool libsql = url[0] == 'l' || url[0] == 'L';
    size_t hl = strcspn(rest, "/?#");
    if (hl == 0)
        return lsql__fail(e, LSQL_INVALID_URL, "remote URL has no host: '%.200s'", url);
    if (memchr(rest, '@', hl))
        return lsql__fail(e, LSQL_INVALID_URL,
                          "credentials in the URL are not supported; use authToken");
    const char *path = rest + hl;
    size_t pl = strcspn(path, "?#");
    const char *q = path[pl] == '?' ? path + pl + 1 : NULL;
    if (q) {
        size_t ql = strcspn(q, "#");
        while (ql) {
            size_t l = strcspn(q, "&");
            if (l > ql)
                l = ql;
            const char *eq = memchr(q, '=', l);
            if (l) {
                bool bad = false;
                char *k = lsql__pct_decode(q, eq ? (size_t)(eq - q) : l, &bad);
                char *v = eq ? lsql__pct_decode(eq + 1, l - (size_t)(eq + 1 - q), &bad)
                             : lsql__strdup("");
                int rc = k && v ? url_opt(db, d, k, v, &tls, e)
                         : bad  ? lsql__fail(e, LSQL_INVALID_URL, "bad %%-escape in the URL query")
                                : lsql__fail(e, LSQL_NOMEM, NULL);
                lsql__free(k);
                lsql__free(v);
                if (rc)
                    return rc;
            }
            q += l;
            ql -= l;
            if (ql) {
                q++;
                ql--;
            }
        }
    }
    (void)libsql;
    while (pl && path[pl - 1] == '/')
        pl--;
    size_t scheme = tls ? 8 : 7;
    size_t total = scheme + hl + pl + 1;
    d->base = lsql__malloc(total);
    if (!d->base)
        return lsql__fail(e, LSQL_NOMEM, NULL);
    memcpy(d->base, tls ? "https://" : "http://", scheme);
    memcpy(d->base + scheme, rest, hl);
    memcpy(d->base + scheme + hl, path, pl);
    d->base[scheme + hl + pl] = 0;
    return LSQL_OK;
}

/* ---- database ------------------------------------------------------------------- */

static void rdb_free(rdb *d)
{
    if (!d)
        return;
    lsql__free(d->base);
    lsql__free(d->token);
    lsql__free(d->ca_file);
    lsql__free(d->ca_path);
    lsql__free(d);
}

void remote_http_cfg(const rdb *d, rhttp_cfg *h)
{
    memset(h, 0, sizeof *h);
    h->base = d->base;
    h->auth_token = d->token;
    h->connect_timeout_ms = d->connect_timeout_ms;
    h->request_timeout_ms = d->request_timeout_ms;
    h->ca_file = d->ca_file;
    h->ca_path = d->ca_path;
    h->verify_tls = d->verify_tls;
    h->http2 = d->http2;
    h->max_response = d->max_response;
}

static int remote_db_open(lsql_db *db, lsql_error *e)
{
    const lsql_db_config *cfg = &db->cfg;
    if (!cfg->url || !*cfg->url)
        return lsql__fail(e, LSQL_INVALID_OPTION, "REMOTE mode needs a server URL (opts.url)");
    if (cfg->flags & ~(LSQL_DB_TLS_NO_VERIFY | LSQL_DB_HTTP2))
        return lsql__fail(e, LSQL_INVALID_OPTION,
                          "flags 0x%x have no meaning in REMOTE mode (only "
                          "LSQL_DB_TLS_NO_VERIFY and LSQL_DB_HTTP2)",
                          cfg->flags & ~(LSQL_DB_TLS_NO_VERIFY | LSQL_DB_HTTP2));
    if (cfg->hrana_version && cfg->hrana_version != 2 && cfg->hrana_version != 3)
        return lsql__fail(e, LSQL_INVALID_OPTION, "hrana_version %d: use 0, 2 or 3",
                          cfg->hrana_version);
    if (cfg->hrana_encoding && cfg->hrana_encoding != LSQL_HRANA_JSON &&
        cfg->hrana_encoding != LSQL_HRANA_PROTOBUF)
        return lsql__fail(e, LSQL_INVALID_OPTION,
                          "hrana_encoding %d: use 0 (negotiate), LSQL_HRANA_JSON or "
                          "LSQL_HRANA_PROTOBUF",
                          cfg->hrana_encoding);
    rdb *d = lsql__calloc(1, sizeof *d);
    if (!d)
        return lsql__fail(e, LSQL_NOMEM, NULL);
    d->version = cfg->hrana_version;
    d->encoding = cfg->hrana_encoding;
    d->connect_timeout_ms = cfg->connect_timeout_ms ? cfg->connect_timeout_ms : DEF_CONNECT_MS;
    d->request_timeout_ms = cfg->request_timeout_ms ? cfg->request_timeout_ms : DEF_REQUEST_MS;
    d->max_response = cfg->max_response_bytes ? cfg->max_response_bytes : DEF_MAX_RESPONSE;
    d->retry_max = cfg->retry_max == 0 ? DEF_RETRY_MAX : cfg->retry_max < 0 ? 0 : cfg->retry_max;
    d->retry_base_ms = cfg->retry_base_ms ? cfg->retry_base_ms : DEF_RETRY_BASE_MS;
    d->retry_max_ms = cfg->retry_max_ms ? cfg->retry_max_ms : DEF_RETRY_MAX_MS;
    d->verify_tls = !(cfg->flags & LSQL_DB_TLS_NO_VERIFY);
    d->http2 = (cfg->flags & LSQL_DB_HTTP2) != 0;
    int rc = LSQL_OK;
    if ((cfg->auth_token && *cfg->auth_token && !(d->token = lsql__strdup(cfg->auth_token))) ||
        (cfg->tls_ca_file && !(d->ca_file = lsql__strdup(cfg->tls_ca_file))) ||
        (cfg->tls_ca_path && !(d->ca_path = lsql__strdup(cfg->tls_ca_path))))
        rc = lsql__fail(e, LSQL_NOMEM, NULL);
    if (!rc)
        rc = parse_url(db, d, cfg->url, e);
    if (!rc && d->version == 2 && d->encoding == LSQL_HRANA_PROTOBUF)
        rc = lsql__fail(e, LSQL_INVALID_OPTION,
                        "the protobuf encoding needs Hrana 3: hrana_version (or hrana=) 2 "
                        "asks for Hrana 2, which has JSON only");
    if (!rc) {
        hrana_limits_default(&d->limits);
        d->limits.max_body = d->max_response;
        d->limits.max_nodes = (size_t)-1 / 2; /* bounded by max_body */
        rc = rneg_check_server(d, e);
    }
    if (rc) {
        rdb_free(d);
        return rc;
    }
    /* lsql_db_opts_get reports what is in use */
    db->cfg.hrana_version = d->version;
    db->cfg.hrana_encoding = d->encoding;
    db->be_db = d;
    return LSQL_OK;
}

static void remote_db_close(lsql_db *db)
{
    rdb_free(RDB(db));
    db->be_db = NULL;
}

/* ---- connections --------------------------------------------------------------- */

static int remote_conn_open(lsql_conn *c, lsql_error *e)
{
    rdb *d = RDB(c->db);
    rconn *rc = lsql__calloc(1, sizeof *rc);
    if (!rc)
        return lsql__fail(e, LSQL_NOMEM, NULL);
    rhttp_cfg hc;
    remote_http_cfg(d, &hc);
    int r = rhttp_new(&hc, &rc->http, e);
    if (r) {
        lsql__free(rc);
        return r;
    }
    rhttp_set_protobuf(rc->http, d->encoding == LSQL_HRANA_PROTOBUF);
    rc->c = c;
    rc->db = d;
    hrana_buf_init(&rc->req, REQ_BODY_MAX);
    hrana_buf_init(&rc->resp, d->max_response);
    lsql__retry_init(&rc->retry, d->retry_max, d->retry_base_ms, d->retry_max_ms);
    c->bc = rc;
    return LSQL_OK;
}

static int build_close(rconn *rc, void *ctx)
{
    (void)ctx;
    return rreq_add(rc, HRANA_REQ_CLOSE) ? 0 : -1;
}

static int remote_conn_close(lsql_conn *c, lsql_error *e)
{
    (void)e;
    rconn *rc = RC(c);
    if (!rc)
        return LSQL_OK;
    if (rc->streaming)
        rcursor_abort(rc->streaming);
    if (rc->baton && !rc->lost) {
        /* closing the stream rolls back an open transaction on the server;
         * a failure changes nothing (the server expires the stream) */
        rc->retry.max = 0;
        rc->closing = true;
        hrana_pipeline_resp resp;
        size_t first;
        if (rpipe_run(rc, build_close, NULL, RPIPE_READONLY, &resp, &first) == LSQL_OK)
            hrana_pipeline_resp_free(&resp);
    }
    rhttp_free(rc->http);
    hrana_buf_free(&rc->req);
    hrana_buf_free(&rc->resp);
    rreq_free(rc);
    lsql__free(rc->baton);
    lsql__free(rc->close_ids);
    rbatch_free_sqls(rc);
    lsql__free(rc);
    c->bc = NULL;
    return LSQL_OK;
}

static int remote_native(lsql_conn *c, void **out)
{
    (void)c;
    *out = NULL;
    return LSQL_NOTSUP_BACKEND;
}

static int remote_meta(lsql_conn *c, int what, int64_t *out)
{
    rconn *rc = RC(c);
    switch (what) {
    case META_LAST_ROWID:
        *out = rc->last_rowid;
        return LSQL_OK;
    case META_CHANGES:
        *out = rc->changes;
        return LSQL_OK;
    case META_TOTAL_CHANGES:
        *out = rc->total_changes;
        return LSQL_OK;
    case META_AUTOCOMMIT:
        *out = !(rc->in_txn || rc->lost);
        return LSQL_OK;
    default:
        return LSQL_NOTSUP_BACKEND;
    }
}

static int remote_interrupt(lsql_conn *c)
{
    rhttp_interrupt(RC(c)->http);
    return LSQL_OK;
}

/* The server does not say which table a result column comes from. */
static const char *remote_column_origin(const lsql_stmt *st, int col)
{
    (void)st;
    (void)col;
    return NULL;
}

const lsql_backend lsql__remote_backend = {
    .name = "remote",
    .db_open = remote_db_open,
    .db_close = remote_db_close,
    .conn_open = remote_conn_open,
    .conn_close = remote_conn_close,
    .native = remote_native,
    .prepare = remote_prepare,
    .finalize = remote_finalize,
    .expired = NULL,
    .bind = remote_bind,
    .bind_int64 = remote_bind_int64,
    .bind_double = remote_bind_double,
    .bind_text = remote_bind_text,
    .param_count = remote_param_count,
    .param_name = remote_param_name,
    .param_index = remote_param_index,
    .step = remote_step,
    .reset = remote_reset,
    .clear_bindings = remote_clear_bindings,
    .column_count = remote_column_count,
    .column_name = remote_column_name,
    .column_decltype = remote_column_decltype,
    .column_table = remote_column_origin,
    .column_origin = remote_column_origin,
    .column_type = rstmt_column_type,
    .column_int64 = remote_column_int64,
    .column_double = remote_column_double,
    .column_bytes = remote_column_bytes,
    .stmt_info = remote_stmt_info,
    .stmt_sql = remote_stmt_sql,
    .meta = remote_meta,
    .interrupt = remote_interrupt,
    .batch_run = remote_batch_run,
    .stmt_stream = remote_stmt_stream,
};
