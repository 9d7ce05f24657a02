/* config.c -- defaults, command-line parsing and validation of lsqld's
 * configuration. */
#include "auth.h"
#include "log.h"
#include "net.h"
#include "server.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lsqld_config_defaults(lsqld_config *c)
{
    memset(c, 0, sizeof *c);
    c->db_path = "lsqld.db";
    c->listen = "127.0.0.1:8080";
    c->stream_timeout_ms = 10000;
    c->max_streams = 1024;
    c->max_connections = 256;
    c->idle_connections = LSQLD_IDLE_CONNECTIONS_AUTO;
    c->idle_timeout_ms = 10000;
    c->max_response = 64u << 20;
    c->max_stored_sql = 50;
    c->max_stored_sql_bytes = 16384;
    c->writer_timeout_ms = 5000;
    c->statement_timeout_ms = 30000;
    c->shutdown_timeout_ms = 10000;
    c->http_idle_timeout_s = 60;
    hrana_limits_default(&c->limits);
    c->log_level = LSQLD_LOG_INFO;
}

const char *lsqld_usage(void)
{
    return "usage: lsqld [options]\n"
           "Serves a SQLite database to libSQL clients (Hrana over HTTP, JSON and protobuf).\n"
           "\n"
           "  --db PATH                 database file (default lsqld.db; created if missing)\n"
           "  --listen HOST:PORT        address to listen on (default 127.0.0.1:8080;\n"
           "                            port 0 picks a free port; [::1]:PORT for IPv6)\n"
           "  --port-file PATH          write the bound port number to PATH once listening\n"
           "  --auth-token TOKEN        accept 'Authorization: Bearer TOKEN' (full access);\n"
           "                            repeatable\n"
           "  --jwt-key FILE            accept Ed25519 JWTs (sqld/Turso tokens) signed by the\n"
           "                            public key in FILE (PEM or base64url of 32 bytes);\n"
           "                            claim a=\"ro\" gives read-only access\n"
           "  --insecure-no-auth        allow a non-loopback address without any auth\n"
           "  --stream-timeout SECONDS  close streams idle this long (default 10)\n"
           "  --max-streams N           open streams at most (default 1024)\n"
           "  --max-connections N       HTTP connections at most (default 256)\n"
           "  --idle-connections N      idle database connections always kept for new\n"
           "                            streams, per database (default 2 x CPUs, at least 8)\n"
           "  --idle-connection-timeout SECONDS  more idle connections (up to\n"
           "                            --max-connections) are kept while used again within\n"
           "                            this time (default 10; 0 = keep only N)\n"
           "  --max-body-size BYTES     request body limit (default 16M)\n"
           "  --max-response-size BYTES response body limit (default 64M)\n"
           "  --max-stored-sql N        store_sql texts per stream (default 50)\n"
           "  --max-stored-sql-size BYTES  bytes of one stored text (default 16384)\n"
           "  --writer-timeout SECONDS  wait for the write lock at most (default 5)\n"
           "  --statement-timeout SECONDS  interrupt statements running longer\n"
           "                            (default 30; 0 = no limit)\n"
           "  --shutdown-timeout SECONDS  drain time on SIGTERM/SIGINT (default 10)\n"
           "  --log-level LEVEL         error, warn, info (default) or debug\n"
           "  --version                 print the version and exit\n"
           "  --help                    print this help and exit\n"
           "\n"
           "Sizes accept K, M and G suffixes (powers of 1024).\n";
}

static int bad(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
    snprintf(err, errlen, fmt, a, b);
    return LSQLD_ARGS_ERROR;
}

static int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned long long mul = 1;
    if (*end == 'K' || *end == 'k')
        mul = 1ull << 10, end++;
    else if (*end == 'M' || *end == 'm')
        mul = 1ull << 20, end++;
    else if (*end == 'G' || *end == 'g')
        mul = 1ull << 30, end++;
    if (errno || *end || v == 0 || v > (1ull << 40) / mul)
        return -1;
    *out = (size_t)(v * mul);
    return 0;
}

/* Seconds (decimals allowed) to milliseconds. */
static int parse_seconds(const char *s, unsigned *ms)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (!*s || errno || *end || !(d >= 0) || d > 86400.0 * 365)
        return -1;
    *ms = (unsigned)llround(d * 1000.0);
    return 0;
}

int lsqld_config_parse(int argc, char **argv, lsqld_config *c, const char **port_file,
                       char *err, size_t errlen)
{
    if (port_file)
        *port_file = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return LSQLD_ARGS_HELP;
        if (!strcmp(a, "--version"))
            return LSQLD_ARGS_VERSION;
        if (!strcmp(a, "--insecure-no-auth")) {
            c->insecure_no_auth = 1;
            continue;
        }
        if (strncmp(a, "--", 2))
            return bad(err, errlen, "unexpected argument '%s'%s (see --help)", a, "");
        /* every other option takes a value: --opt VALUE or --opt=VALUE */
        const char *v;
        char name[64];
        const char *eq = strchr(a, '=');
        if (eq) {
            snprintf(name, sizeof name, "%.*s", (int)(eq - a), a);
            v = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", a);
            if (i + 1 >= argc)
                return bad(err, errlen, "option %s needs a value%s", a, "");
            v = argv[++i];
        }
        unsigned long long u;
        if (!strcmp(name, "--db")) {
            if (!*v)
                return bad(err, errlen, "%s needs a path%s", name, "");
            c->db_path = v;
        } else if (!strcmp(name, "--listen")) {
            c->listen = v;
        } else if (!strcmp(name, "--port-file")) {
            if (port_file)
                *port_file = v;
        } else if (!strcmp(name, "--auth-token")) {
            if (!*v)
                return bad(err, errlen, "%s must not be empty%s", name, "");
            if (c->ntokens >= LSQLD_MAX_TOKENS)
                return bad(err, errlen, "at most 64 %s options%s", name, "");
            c->tokens[c->ntokens++] = v;
        } else if (!strcmp(name, "--jwt-key")) {
            if (lsqld_jwt_key_load(v, c->jwt_key, err, errlen))
                return LSQLD_ARGS_ERROR;
            c->has_jwt_key = 1;
        } else if (!strcmp(name, "--stream-timeout")) {
            if (parse_seconds(v, &c->stream_timeout_ms) || c->stream_timeout_ms == 0)
                return bad(err, errlen, "invalid %s '%s' (seconds > 0)", name, v);
        } else if (!strcmp(name, "--max-streams")) {
            if (parse_uint(v, 1000000, &u) || u == 0)
                return bad(err, errlen, "invalid %s '%s' (1..1000000)", name, v);
            c->max_streams = (unsigned)u;
        } else if (!strcmp(name, "--max-connections")) {
            if (parse_uint(v, 100000, &u) || u == 0)
                return bad(err, errlen, "invalid %s '%s' (1..100000)", name, v);
            c->max_connections = (unsigned)u;
        } else if (!strcmp(name, "--idle-connections")) {
            if (parse_uint(v, 100000, &u))
                return bad(err, errlen, "invalid %s '%s' (0..100000)", name, v);
            c->idle_connections = (unsigned)u;
        } else if (!strcmp(name, "--idle-connection-timeout")) {
            if (parse_seconds(v, &c->idle_timeout_ms))
                return bad(err, errlen, "invalid %s '%s' (seconds)", name, v);
        } else if (!strcmp(name, "--max-body-size")) {
            if (parse_size(v, &c->limits.max_body))
                return bad(err, errlen, "invalid %s '%s'", name, v);
        } else if (!strcmp(name, "--max-response-size")) {
            if (parse_size(v, &c->max_response))
                return bad(err, errlen, "invalid %s '%s'", name, v);
        } else if (!strcmp(name, "--max-stored-sql")) {
            if (parse_uint(v, 100000, &u))
                return bad(err, errlen, "invalid %s '%s' (0..100000)", name, v);
            c->max_stored_sql = (unsigned)u;
        } else if (!strcmp(name, "--max-stored-sql-size")) {
            if (parse_size(v, &c->max_stored_sql_bytes))
                return bad(err, errlen, "invalid %s '%s'", name, v);
        } else if (!strcmp(name, "--writer-timeout")) {
            if (parse_seconds(v, &c->writer_timeout_ms))
                return bad(err, errlen, "invalid %s '%s' (seconds)", name, v);
        } else if (!strcmp(name, "--statement-timeout")) {
            if (parse_seconds(v, &c->statement_timeout_ms))
                return bad(err, errlen, "invalid %s '%s' (seconds, 0 = none)", name, v);
        } else if (!strcmp(name, "--shutdown-timeout")) {
            if (parse_seconds(v, &c->shutdown_timeout_ms))
                return bad(err, errlen, "invalid %s '%s' (seconds)", name, v);
        } else if (!strcmp(name, "--log-level")) {
            int l = lsqld_log_level_parse(v);
            if (l < 0)
                return bad(err, errlen, "invalid %s '%s' (error, warn, info, debug)", name, v);
            c->log_level = l;
        } else {
            return bad(err, errlen, "unknown option '%s'%s (see --help)", name, "");
        }
    }
    return LSQLD_ARGS_OK;
}

int lsqld_config_check(const lsqld_config *c, char *err, size_t errlen)
{
    struct sockaddr_storage addr;
    socklen_t len;
    if (!c->db_path || !*c->db_path) {
        snprintf(err, errlen, "no database path (--db)");
        return -1;
    }
    if (!c->listen || lsqld_resolve_listen(c->listen, &addr, &len, err, errlen))
        return -1;
    if (!lsqld_is_loopback((const struct sockaddr *)&addr) && c->ntokens == 0 &&
        !c->has_jwt_key && !c->insecure_no_auth) {
        snprintf(err, errlen,
                 "refusing to listen on non-loopback address %s without authentication: "
                 "give --auth-token or --jwt-key, or --insecure-no-auth to really serve "
                 "the database to anyone who can reach it",
                 c->listen);
        return -1;
    }
    if (c->max_streams == 0 || c->max_connections == 0 || c->stream_timeout_ms == 0 ||
        c->max_response < 1024 || c->limits.max_body < 64) {
        snprintf(err, errlen, "invalid limits (streams, connections, timeouts and sizes must "
                              "be positive; responses >= 1 KiB, bodies >= 64 bytes)");
        return -1;
    }
    return 0;
}
