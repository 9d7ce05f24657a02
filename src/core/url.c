/* url.c -- database URLs ("file:path?busy_timeout=100", ":memory:", ...). */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *lsql__pct_decode(const char *s, size_t n, bool *bad)
{
    char *d = lsql__malloc(n + 1), *o = d;
    if (!d)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n) {
                *bad = true;
                lsql__free(d);
                return NULL;
            }
            int a = hexval((unsigned char)s[i + 1]), b = hexval((unsigned char)s[i + 2]);
            if (a < 0 || b < 0 || (a == 0 && b == 0)) {
                *bad = true;
                lsql__free(d);
                return NULL;
            }
            *o++ = (char)(a * 16 + b);
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = 0;
    return d;
}

static bool parse_u32(const char *v, uint32_t *out)
{
    if (!*v)
        return false;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (*end || errno || x > UINT32_MAX || v[0] == '-' || v[0] == '+')
        return false;
    *out = (uint32_t)x;
    return true;
}

bool lsql__parse_onoff(const char *v, bool *on)
{
    if (!strcasecmp(v, "on") || !strcasecmp(v, "true") || !strcmp(v, "1")) {
        *on = true;
        return true;
    }
    if (!strcasecmp(v, "off") || !strcasecmp(v, "false") || !strcmp(v, "0")) {
        *on = false;
        return true;
    }
    return false;
}

static int apply_param(const char *k, const char *v, lsql_db_opts *o,
                       lsql_error *e)
{
    bool on;
    uint32_t u;
    if (!strcmp(k, "busy_timeout")) {
        if (!parse_u32(v, &u))
            goto bad;
        if (u == 0)
            o->flags |= LSQL_DB_NO_BUSY_TIMEOUT;
        o->busy_timeout_ms = u;
    } else if (!strcmp(k, "cache_size")) {
        if (!parse_u32(v, &u) || u == 0)
            goto bad;
        o->cache_size_kib = u;
    } else if (!strcmp(k, "stmt_cache")) {
        if (!strcmp(v, "-1"))
            o->stmt_cache_capacity = -1;
        else if (parse_u32(v, &u) && u <= 1000000)
            o->stmt_cache_capacity = u == 0 ? -1 : (int)u;
        else
            goto bad;
    } else if (!strcmp(k, "foreign_keys")) {
        if (!lsql__parse_onoff(v, &on))
            goto bad;
        o->flags = on ? o->flags & ~LSQL_DB_NO_FOREIGN_KEYS
                      : o->flags | LSQL_DB_NO_FOREIGN_KEYS;
    } else if (!strcmp(k, "wal")) {
        if (!lsql__parse_onoff(v, &on))
            goto bad;
        o->flags = on ? o->flags & ~LSQL_DB_NO_WAL : o->flags | LSQL_DB_NO_WAL;
    } else if (!strcmp(k, "synchronous")) {
        if (!strcasecmp(v, "normal"))
            o->flags &= ~LSQL_DB_NO_SYNC_NORMAL;
        else if (!strcasecmp(v, "default") || !strcasecmp(v, "full"))
            o->flags |= LSQL_DB_NO_SYNC_NORMAL;
        else
            goto bad;
    } else if (!strcmp(k, "mode")) {
        o->flags &= ~(LSQL_DB_READONLY | LSQL_DB_NO_CREATE);
        if (!strcmp(v, "ro"))
            o->flags |= LSQL_DB_READONLY;
        else if (!strcmp(v, "rw"))
            o->flags |= LSQL_DB_NO_CREATE;
        else if (strcmp(v, "rwc"))
            goto bad;
    } else if (!strcmp(k, "memory")) {
        if (!strcmp(v, "private"))
            o->flags &= ~LSQL_DB_MEMORY_SHARED;
        else if (!strcmp(v, "shared"))
            o->flags |= LSQL_DB_MEMORY_SHARED;
        else
            goto bad;
    } else {
        return lsql__fail(e, LSQL_INVALID_OPTION, "unknown URL option '%s'", k);
    }
    return LSQL_OK;
bad:
    return lsql__fail(e, LSQL_INVALID_OPTION, "bad value '%s' for URL option '%s'",
                      v, k);
}

static int parse_query(const char *q, lsql_db_opts *o, lsql_error *e)
{
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        if (len) {
            const char *eq = memchr(q, '=', len);
            if (!eq)
                return lsql__fail(e, LSQL_INVALID_URL,
                                  "URL option '%.*s' has no '=value'", (int)len, q);
            bool bad = false;
            char *k = lsql__pct_decode(q, (size_t)(eq - q), &bad);
            char *v = k ? lsql__pct_decode(eq + 1, len - (size_t)(eq - q) - 1, &bad) : NULL;
            int rc;
            if (!k || !v)
                rc = bad ? lsql__fail(e, LSQL_INVALID_URL, "bad %%-escape in URL query")
                         : lsql__fail(e, LSQL_NOMEM, NULL);
            else
                rc = apply_param(k, v, o, e);
            lsql__free(k);
            lsql__free(v);
            if (rc)
                return rc;
        }
        q += len + (amp ? 1 : 0);
    }
    return LSQL_OK;
}

int lsql__url_parse(const char *url, lsql_db_opts *o, char **path_owned,
                    lsql_error *e)
{
    *path_owned = NULL;
    if (!url || !*url)
        return lsql__fail(e, LSQL_INVALID_URL, "empty database URL");
    static const char *const remote[] = {"http://", "https://", "libsql://",
                                         "ws://", "wss://"};
    for (size_t i = 0; i < sizeof remote / sizeof remote[0]; i++)
        if (!strncasecmp(url, remote[i], strlen(remote[i]))) {
            o->mode = LSQL_MODE_REMOTE;
            o->url = url;
            return LSQL_OK;
        }
    if (!strcmp(url, ":memory:")) {
        o->mode = LSQL_MODE_MEMORY;
        return LSQL_OK;
    }
    if (strncmp(url, "file:", 5) != 0) {
        const char *colon = strstr(url, "://");
        if (colon) {
            bool scheme = colon > url;
            for (const char *p = url; p < colon; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))
                    scheme = false;
            if (scheme)
                return lsql__fail(e, LSQL_INVALID_URL,
                                  "unsupported URL scheme '%.*s'", (int)(colon - url), url);
        }
        o->mode = LSQL_MODE_LOCAL;
        o->path = url;
        return LSQL_OK;
    }
    const char *p = url + 5;
    if (!strncmp(p, "//", 2)) { /* file://[localhost]/abs/path */
        p += 2;
        if (!strncmp(p, "localhost/", 10))
            p += 9;
        else if (*p != '/')
            return lsql__fail(e, LSQL_INVALID_URL,
                              "file: URL authority must be empty or 'localhost'");
    }
    const char *q = strchr(p, '?');
    size_t plen = q ? (size_t)(q - p) : strlen(p);
    const char *hash = memchr(p, '#', plen);
    if (hash)
        plen = (size_t)(hash - p);
    bool bad = false;
    char *path = lsql__pct_decode(p, plen, &bad);
    if (!path)
        return bad ? lsql__fail(e, LSQL_INVALID_URL, "bad %%-escape in URL path")
                   : lsql__fail(e, LSQL_NOMEM, NULL);
    if (!strcmp(path, ":memory:")) {
        o->mode = LSQL_MODE_MEMORY;
        lsql__free(path);
    } else if (!*path) {
        lsql__free(path);
        return lsql__fail(e, LSQL_INVALID_URL, "file: URL has an empty path");
    } else {
        o->mode = LSQL_MODE_LOCAL;
        o->path = path;
        *path_owned = path;
    }
    if (q) {
        int rc = parse_query(q + 1, o, e);
        if (rc) {
            lsql__free(*path_owned);
            *path_owned = NULL;
            return rc;
        }
    }
    return LSQL_OK;
}
