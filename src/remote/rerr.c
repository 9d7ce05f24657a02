/* rerr.c -- remote mode: HTTP answers and Hrana Error objects to lsql errors,
 * and the retry policy (see rerr.h). */
#include "rerr.h"
#include "../hrana/hrana_pb.h"

#include "../core/internal.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

/* ---- SQLite code names --------------------------------------------------- */

typedef struct {
    const char *name;
    int code;
} sq_name;

#define N(x) {#x, x}
/* primary codes, in order (index == code for 1..28) */
static const sq_name k_primary[] = {
    N(SQLITE_ERROR),    N(SQLITE_INTERNAL), N(SQLITE_PERM),      N(SQLITE_ABORT),
    N(SQLITE_BUSY),     N(SQLITE_LOCKED),   N(SQLITE_NOMEM),     N(SQLITE_READONLY),
    N(SQLITE_INTERRUPT), N(SQLITE_IOERR),   N(SQLITE_CORRUPT),   N(SQLITE_NOTFOUND),
    N(SQLITE_FULL),     N(SQLITE_CANTOPEN), N(SQLITE_PROTOCOL),  N(SQLITE_EMPTY),
    N(SQLITE_SCHEMA),   N(SQLITE_TOOBIG),   N(SQLITE_CONSTRAINT), N(SQLITE_MISMATCH),
    N(SQLITE_MISUSE),   N(SQLITE_NOLFS),    N(SQLITE_AUTH),      N(SQLITE_FORMAT),
    N(SQLITE_RANGE),    N(SQLITE_NOTADB),   N(SQLITE_NOTICE),    N(SQLITE_WARNING),
};

static const sq_name k_extended[] = {
    N(SQLITE_ERROR_MISSING_COLLSEQ),
    N(SQLITE_ERROR_RETRY),
    N(SQLITE_ERROR_SNAPSHOT),
    N(SQLITE_IOERR_READ),
    N(SQLITE_IOERR_SHORT_READ),
    N(SQLITE_IOERR_WRITE),
    N(SQLITE_IOERR_FSYNC),
    N(SQLITE_IOERR_DIR_FSYNC),
    N(SQLITE_IOERR_TRUNCATE),
    N(SQLITE_IOERR_FSTAT),
    N(SQLITE_IOERR_UNLOCK),
    N(SQLITE_IOERR_RDLOCK),
    N(SQLITE_IOERR_DELETE),
    N(SQLITE_IOERR_BLOCKED),
    N(SQLITE_IOERR_NOMEM),
    N(SQLITE_IOERR_ACCESS),
    N(SQLITE_IOERR_CHECKRESERVEDLOCK),
    N(SQLITE_IOERR_LOCK),
    N(SQLITE_IOERR_CLOSE),
    N(SQLITE_IOERR_DIR_CLOSE),
    N(SQLITE_IOERR_SHMOPEN),
    N(SQLITE_IOERR_SHMSIZE),
    N(SQLITE_IOERR_SHMLOCK),
    N(SQLITE_IOERR_SHMMAP),
    N(SQLITE_IOERR_SEEK),
    N(SQLITE_IOERR_DELETE_NOENT),
    N(SQLITE_IOERR_MMAP),
    N(SQLITE_IOERR_GETTEMPPATH),
    N(SQLITE_IOERR_CONVPATH),
    N(SQLITE_IOERR_VNODE),
    N(SQLITE_IOERR_AUTH),
    N(SQLITE_IOERR_BEGIN_ATOMIC),
    N(SQLITE_IOERR_COMMIT_ATOMIC),
    N(SQLITE_IOERR_ROLLBACK_ATOMIC),
    N(SQLITE_IOERR_DATA),
    N(SQLITE_IOERR_CORRUPTFS),
#ifdef SQLITE_IOERR_IN_PAGE
    N(SQLITE_IOERR_IN_PAGE),
#endif
    N(SQLITE_LOCKED_SHAREDCACHE),
    N(SQLITE_LOCKED_VTAB),
    N(SQLITE_BUSY_RECOVERY),
    N(SQLITE_BUSY_SNAPSHOT),
    N(SQLITE_BUSY_TIMEOUT),
    N(SQLITE_CANTOPEN_NOTEMPDIR),
    N(SQLITE_CANTOPEN_ISDIR),
    N(SQLITE_CANTOPEN_FULLPATH),
    N(SQLITE_CANTOPEN_CONVPATH),
    N(SQLITE_CANTOPEN_DIRTYWAL),
    N(SQLITE_CANTOPEN_SYMLINK),
    N(SQLITE_CORRUPT_VTAB),
    N(SQLITE_CORRUPT_SEQUENCE),
    N(SQLITE_CORRUPT_INDEX),
    N(SQLITE_READONLY_RECOVERY),
    N(SQLITE_READONLY_CANTLOCK),
    N(SQLITE_READONLY_ROLLBACK),
    N(SQLITE_READONLY_DBMOVED),
    N(SQLITE_READONLY_CANTINIT),
    N(SQLITE_READONLY_DIRECTORY),
    N(SQLITE_ABORT_ROLLBACK),
    N(SQLITE_CONSTRAINT_CHECK),
    N(SQLITE_CONSTRAINT_COMMITHOOK),
    N(SQLITE_CONSTRAINT_FOREIGNKEY),
    N(SQLITE_CONSTRAINT_FUNCTION),
    N(SQLITE_CONSTRAINT_NOTNULL),
    N(SQLITE_CONSTRAINT_PRIMARYKEY),
    N(SQLITE_CONSTRAINT_TRIGGER),
    N(SQLITE_CONSTRAINT_UNIQUE),
    N(SQLITE_CONSTRAINT_VTAB),
    N(SQLITE_CONSTRAINT_ROWID),
    N(SQLITE_CONSTRAINT_PINNED),
    N(SQLITE_CONSTRAINT_DATATYPE),
    N(SQLITE_NOTICE_RECOVER_WAL),
    N(SQLITE_NOTICE_RECOVER_ROLLBACK),
#ifdef SQLITE_NOTICE_RBU
    N(SQLITE_NOTICE_RBU),
#endif
    N(SQLITE_WARNING_AUTOINDEX),
    N(SQLITE_AUTH_USER),
};
#undef N

static bool str_is(const char *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    return n == k && memcmp(p, s, k) == 0;
}

/* SQLite result code named by p[0..n) ("SQLITE_CONSTRAINT",
 * "SQLITE_CONSTRAINT_UNIQUE"); an unknown extended name of a known primary
 * code gives the primary code. 0 when not a SQLite error name. */
static int sqlite_code_of(const char *p, size_t n)
{
    if (n < 8 || memcmp(p, "SQLITE_", 7) != 0)
        return 0;
    for (size_t i = 0; i < sizeof k_extended / sizeof k_extended[0]; i++)
        if (str_is(p, n, k_extended[i].name))
            return k_extended[i].code;
    int best = 0;
    size_t best_len = 0;
    for (size_t i = 0; i < sizeof k_primary / sizeof k_primary[0]; i++) {
        size_t k = strlen(k_primary[i].name);
        if (n >= k && memcmp(p, k_primary[i].name, k) == 0 && (n == k || p[k] == '_') &&
            k > best_len) {
            best = k_primary[i].code;
            best_len = k;
        }
    }
    return best;
}

/* lsql code for a SQLite result code (lsql mirrors SQLite's codes). */
static int lsql_code_of_sqlite(int sc)
{
    if ((sc & 0xff) == SQLITE_NOMEM || sc == SQLITE_IOERR_NOMEM)
        return LSQL_NOMEM;
    if ((sc & 0xff) == SQLITE_EMPTY) /* no lsql class 16 */
        return LSQL_ERROR;
    return sc;
}

/* ---- constraint details from a message ----------------------------------- */

static void copy_name(lsql_error *e, const char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n' ||
                 s[n - 1] == '.'))
        n--;
    if (n >= sizeof e->constraint_name)
        n = sizeof e->constraint_name - 1;
    memcpy(e->constraint_name, s, n);
    e->constraint_name[n] = 0;
}

static int kind_of_ext(int ext)
{
    switch (ext) {
    case LSQL_CONSTRAINT_UNIQUE:
        return LSQL_CONSTRAINT_KIND_UNIQUE;
    case LSQL_CONSTRAINT_PRIMARYKEY:
    case LSQL_CONSTRAINT_ROWID:
        return LSQL_CONSTRAINT_KIND_PRIMARYKEY;
    case LSQL_CONSTRAINT_FOREIGNKEY:
        return LSQL_CONSTRAINT_KIND_FOREIGNKEY;
    case LSQL_CONSTRAINT_CHECK:
        return LSQL_CONSTRAINT_KIND_CHECK;
    case LSQL_CONSTRAINT_NOTNULL:
        return LSQL_CONSTRAINT_KIND_NOTNULL;
    default:
        return LSQL_CONSTRAINT_KIND_OTHER;
    }
}

/* Reads SQLite's constraint message (msg: the server's text, NUL-terminated)
 * into e's kind and name. `code` is the code so far (LSQL_CONSTRAINT or an
 * extended one): a plain LSQL_CONSTRAINT is refined from the message.
 * Returns the final code. */
static int constraint_details(int code, const char *msg, lsql_error *e)
{
    static const struct {
        const char *what;
        int code;
        bool named;
    } k_forms[] = {
        {"UNIQUE constraint failed: ", LSQL_CONSTRAINT_UNIQUE, true},
        {"PRIMARY KEY constraint failed: ", LSQL_CONSTRAINT_PRIMARYKEY, true},
        {"NOT NULL constraint failed: ", LSQL_CONSTRAINT_NOTNULL, true},
        {"CHECK constraint failed: ", LSQL_CONSTRAINT_CHECK, true},
        {"FOREIGN KEY constraint failed", LSQL_CONSTRAINT_FOREIGNKEY, false},
        {"PRIMARY KEY constraint failed", LSQL_CONSTRAINT_PRIMARYKEY, false},
        {"CHECK constraint failed", LSQL_CONSTRAINT_CHECK, false},
    };
    int found = 0;
    for (size_t i = 0; i < sizeof k_forms / sizeof k_forms[0] && !found; i++) {
        const char *at = strstr(msg, k_forms[i].what);
        if (!at)
            continue;
        found = k_forms[i].code;
        if (!k_forms[i].named)
            break;
        const char *what = at + strlen(k_forms[i].what);
        if (!strncmp(what, "index '", 7)) { /* expression index: named */
            const char *q = strchr(what + 7, '\'');
            if (q) {
                char tmp[sizeof e->constraint_name];
                size_t l = (size_t)(q - what - 7);
                if (l >= sizeof tmp)
                    l = sizeof tmp - 1;
                memcpy(tmp, what + 7, l);
                tmp[l] = 0;
                copy_name(e, tmp);
                break;
            }
        }
        copy_name(e, what);
    }
    if (!found && strstr(msg, "cannot store ") && strstr(msg, " value in ") &&
        strstr(msg, " column "))
        found = LSQL_CONSTRAINT_DATATYPE;
    if (code == LSQL_CONSTRAINT && found)
        code = found;
    e->constraint_kind = kind_of_ext(code);
    return code;
}

/* Byte offset named by the message ("... at offset 7", "offset=7",
 * "(offset 7)"), or -1. */
static int offset_of(const char *msg)
{
    for (const char *p = strstr(msg, "offset"); p; p = strstr(p + 1, "offset")) {
        const char *q = p + 6;
        while (*q == ' ' || *q == '=' || *q == ':')
            q++;
        if (*q < '0' || *q > '9')
            continue;
        long v = 0;
        while (*q >= '0' && *q <= '9' && v < 100000000)
            v = v * 10 + (*q++ - '0');
        if (v >= 100000000)
            return -1;
        return (int)v;
    }
    return -1;
}

/* ---- Hrana errors --------------------------------------------------------- */

typedef struct {
    const char *name;
    int code;
} hr_name;

static const hr_name k_hrana[] = {
    {"SQL_PARSE_ERROR", LSQL_ERROR},
    {"SQL_INPUT_ERROR", LSQL_ERROR},
    {"SQL_NO_STATEMENT", LSQL_INVALID_SQL},
    {"SQL_MANY_STATEMENTS", LSQL_INVALID_SQL},
    {"ARGS_INVALID", LSQL_PARAM_COUNT},
    {"ARGS_BOTH_POSITIONAL_AND_NAMED", LSQL_PARAM},
    {"TRANSACTION_TIMEOUT", LSQL_TXN_LOST},
    {"TRANSACTION_BUSY", LSQL_BUSY},
    {"BLOCKED", LSQL_BUSY},
    {"RESPONSE_TOO_LARGE", LSQL_TOOBIG},
    {"STREAM_EXPIRED", LSQL_HRANA_STREAM_EXPIRED},
    {"SQL_STORE_TOO_MANY", LSQL_HRANA_SERVER},
    {"SQL_STORE_TOO_LARGE", LSQL_HRANA_SERVER},
    /* sqld's name for a generic SQLITE_ERROR */
    {"SQLITE_UNKNOWN", LSQL_ERROR},
};

int lsql__remote_hrana_error(const hrana_error *he, lsql_error *e)
{
    lsql_error tmp;
    if (!e)
        e = &tmp;
    const char *msg = he && he->message.p ? he->message.p : "";
    size_t mlen = he && he->message.p ? he->message.n : 0;
    const char *cp = he ? he->code.p : NULL;
    size_t cn = cp ? he->code.n : 0;
    /* the message as a C string (decoded strings are NUL-terminated, but may
     * hold NULs: stop at the first) */
    char text[LSQL_ERRMSG_MAX];
    size_t tl = strnlen(msg, mlen);
    if (tl >= sizeof text)
        tl = sizeof text - 1;
    memcpy(text, msg, tl);
    text[tl] = 0;

    int code = 0, sc = 0;
    bool parse = false;
    if (cp && cn) {
        sc = sqlite_code_of(cp, cn);
        if (sc)
            code = lsql_code_of_sqlite(sc);
        for (size_t i = 0; !code && i < sizeof k_hrana / sizeof k_hrana[0]; i++)
            if (str_is(cp, cn, k_hrana[i].name)) {
                code = k_hrana[i].code;
                parse = str_is(cp, cn, "SQL_PARSE_ERROR") || str_is(cp, cn, "SQL_INPUT_ERROR");
            }
        if (!code)
            code = LSQL_HRANA_SERVER; /* unknown code */
    } else {
        /* no code: a plain SQL error, unless the text says constraint */
        code = strstr(text, "constraint failed") ? LSQL_CONSTRAINT : LSQL_ERROR;
    }

    if (cp && cn)
        lsql__err_set(e, code, "[%.*s] %s", (int)(cn > 64 ? 64 : cn), cp, text);
    else
        lsql__err_set(e, code, "%s", tl ? text : "error without a message from the server");
    if (LSQL_CLASS(code) == LSQL_CONSTRAINT) {
        int refined = constraint_details(code, text, e);
        if (refined != code) {
            code = refined;
            e->ext_code = code;
        }
    }
    e->sqlite_code = sc;
    if (parse)
        e->offset = offset_of(text);
    e->http_status = 0;
    return code;
}

/* ---- HTTP answers --------------------------------------------------------- */

static const char *reason(long status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
    }
}

/* A printable quote of p[0..n): control characters as spaces, at most cap-1
 * bytes, cut on a UTF-8 boundary with "..." when longer. */
static void quote(char *out, size_t cap, const char *p, size_t n)
{
    size_t max = cap - 4, o = 0;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == '\t'))
        n--;
    while (n && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++, n--;
    bool cut = n > max;
    size_t take = cut ? max : n;
    if (cut)
        while (take && ((unsigned char)p[take] & 0xc0) == 0x80)
            take--;
    for (size_t i = 0; i < take; i++) {
        unsigned char c = (unsigned char)p[i];
        out[o++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
    if (cut) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = 0;
}

/* True for a content type whose body is not text (protobuf, octet-stream,
 * images...): such a body is neither parsed nor quoted. Absent: text. */
static bool binary_type(const char *ct)
{
    if (!ct || !*ct)
        return false;
    static const char *const k_text[] = {"text/", "application/json", "application/problem+json",
                                         "application/xml", "application/xhtml"};
    for (size_t i = 0; i < sizeof k_text / sizeof k_text[0]; i++)
        if (!strncasecmp(ct, k_text[i], strlen(k_text[i])))
            return false;
    return true;
}

int lsql__remote_http_error(long status, const char *body, size_t n, lsql_error *e)
{
    return lsql__remote_http_error_ct(status, NULL, body, n, e);
}

/* A body that is not read (binary, or protobuf that is no Error): only its
 * type and size are told; *n becomes 0 (nothing more to look at). */
static void opaque_body(char *what, size_t cap, size_t *n, const char *ctype)
{
    snprintf(what, cap, "(a %zu-byte %.64s body)", *n, ctype);
    *n = 0;
}

int lsql__remote_http_error_ct(long status, const char *ctype, const char *body, size_t n,
                               lsql_error *e)
{
    lsql_error tmp;
    if (!e)
        e = &tmp;
    if (!body)
        n = 0;
    char what[256]; /* the quoted body, or its message */
    what[0] = 0;
    bool json_msg = false;
    /* sqld answers stream errors on its protobuf endpoints with a protobuf
     * Error (HTTP 500, application/x-protobuf): decoded like a JSON one */
    bool pb = n && ctype && (!strncasecmp(ctype, "application/x-protobuf", 22) ||
                             !strncasecmp(ctype, "application/protobuf", 20));
    if (n && binary_type(ctype) && !pb) { /* e.g. application/octet-stream */
        opaque_body(what, sizeof what, &n, ctype);
        json_msg = true;
    }

    /* a Hrana Error object? */
    hrana_error he;
    bool hrana = false;
    hrana_arena *arena = n ? hrana_arena_new() : NULL;
    if (arena) {
        hrana_limits lim;
        hrana_status st;
        hrana_limits_default(&lim);
        int drc = pb ? hrana_pb_decode_error(body, n, &lim, arena, &he, &st)
                     : hrana_decode_error(body, n, &lim, arena, &he, &st);
        if (drc == HRANA_OK && pb && !(he.message.p && he.message.n))
            drc = HRANA_E_INVALID; /* not an Error message after all */
        if (drc != HRANA_OK && pb) {
            opaque_body(what, sizeof what, &n, ctype);
            json_msg = true;
        }
        if (drc == HRANA_OK) {
            hrana = true;
            json_msg = true;
            if (he.message.p)
                quote(what, sizeof what, he.message.p, strnlen(he.message.p, he.message.n));
        }
    }
    if (!hrana && n && body[0] == '{') { /* {"error": "..."} (sqld, proxies) */
        json_error_t jerr;
        json_t *j = json_loadb(body, n, 0, &jerr);
        json_t *v = j ? json_object_get(j, "error") : NULL;
        if (!v && j)
            v = json_object_get(j, "message");
        if (v && json_is_string(v)) {
            quote(what, sizeof what, json_string_value(v), json_string_length(v));
            json_msg = true;
        }
        json_decref(j);
    }
    if (!json_msg)
        quote(what, sizeof what, body ? body : "", n);

    const char *rs = reason(status);
    char head[64];
    snprintf(head, sizeof head, "HTTP %ld%s%s", status, *rs ? " " : "", rs);

    int code;
    /* sqld answers stream errors (STREAM_EXPIRED...) with HTTP 500 and an
     * Error body, JSON or protobuf by endpoint: read by their code too */
    bool stream_err = hrana && he.code.p && status == 500 &&
                      (!strncmp(he.code.p, "STREAM_", 7) || !strncmp(he.code.p, "BATON_", 6));
    if ((status == 400 || stream_err) && hrana && he.code.p && he.code.n) {
        code = lsql__remote_hrana_error(&he, e);
        char msg[LSQL_ERRMSG_MAX];
        memcpy(msg, e->message, sizeof msg);
        size_t hl = strlen(head), ml = strnlen(msg, sizeof msg - 1);
        if (hl + 2 + ml >= sizeof e->message)
            ml = sizeof e->message - 1 - hl - 2;
        memcpy(e->message, head, hl);
        memcpy(e->message + hl, ": ", 2);
        memcpy(e->message + hl + 2, msg, ml);
        e->message[hl + 2 + ml] = 0;
    } else {
        unsigned flags = 0;
        if (status == 400)
            code = LSQL_HRANA_SERVER;
        else if (status == 401 || status == 403)
            code = LSQL_AUTH_REMOTE;
        else if (status == 413)
            code = LSQL_TOOBIG;
        else if (status == 429)
            code = LSQL_HTTP_RATE_LIMITED, flags = LSQL_ERRF_RETRYABLE;
        else if (status == 502 || status == 503 || status == 504)
            code = LSQL_HTTP_UNAVAILABLE, flags = LSQL_ERRF_RETRYABLE;
        else
            code = LSQL_HTTP_STATUS;
        if (what[0])
            lsql__err_set(e, code, "%s: %s", head, what);
        else
            lsql__err_set(e, code, "%s (empty body)", head);
        e->flags |= flags;
    }
    e->http_status = (int)status;
    hrana_arena_free(arena);
    return code;
}

/* ---- retry policy ---------------------------------------------------------- */

static uint64_t splitmix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

void lsql__retry_init(lsql__retry *r, int max, uint32_t base_ms, uint32_t cap_ms)
{
    r->max = max < 0 ? 0 : max;
    r->base_ms = base_ms;
    r->cap_ms = cap_ms < base_ms ? base_ms : cap_ms;
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)(uintptr_t)r;
    }
    seed = splitmix(seed);
    r->rng = seed ? seed : 0x2545f4914f6cdd1dull;
}

static uint64_t next_rand(lsql__retry *r)
{
    uint64_t x = r->rng ? r->rng : 0x2545f4914f6cdd1dull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    r->rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

uint32_t lsql__retry_delay_ms(lsql__retry *r, int attempt, long retry_after_s)
{
    uint64_t top = r->base_ms;
    for (int i = 0; i < attempt && i < 40 && top < r->cap_ms; i++)
        top <<= 1;
    if (top > r->cap_ms)
        top = r->cap_ms;
    /* uniform in [0, top]: multiply-shift of 32 random bits */
    uint64_t d = ((next_rand(r) >> 32) * (top + 1)) >> 32;
    if (retry_after_s >= 0) {
        uint64_t ra = (uint64_t)retry_after_s * 1000u;
        if (ra > r->cap_ms)
            ra = r->cap_ms;
        if (ra > d)
            d = ra;
    }
    return (uint32_t)d;
}

bool lsql__retry_sleep(uint32_t ms, const atomic_int *stop)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t start = (uint64_t)t0.tv_sec * 1000u + (uint64_t)t0.tv_nsec / 1000000u;
    uint64_t end = start + ms;
    for (;;) {
        if (stop && atomic_load(stop))
            return false;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        uint64_t t = (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
        if (t >= end)
            return true;
        uint64_t step = end - t;
        if (stop && step > 10)
            step = 10;
        struct timespec ts = {(time_t)(step / 1000), (long)(step % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
}
