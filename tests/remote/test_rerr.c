/* test_rerr.c -- remote error mapping (HTTP statuses, Hrana Error objects)
 * and the retry policy (src/remote/rerr.c). */
#include "testutil.h"

#include "../../src/remote/rerr.h"

#include <sqlite3.h>
#include <time.h>

static hrana_error herr(const char *code, const char *msg)
{
    hrana_error he;
    he.code.p = code;
    he.code.n = code ? strlen(code) : 0;
    he.message.p = msg;
    he.message.n = msg ? strlen(msg) : 0;
    return he;
}

static int map(const char *code, const char *msg, lsql_error *e)
{
    hrana_error he = herr(code, msg);
    memset(e, 0x5a, sizeof *e);
    int rc = lsql__remote_hrana_error(&he, e);
    assert_int_equal(e->ext_code, rc);
    assert_int_equal(e->code, LSQL_CLASS(rc));
    assert_int_equal(e->http_status, 0);
    assert_non_null(memchr(e->message, 0, sizeof e->message));
    assert_non_null(memchr(e->constraint_name, 0, sizeof e->constraint_name));
    return rc;
}

static int http(long status, const char *body, lsql_error *e)
{
    memset(e, 0x5a, sizeof *e);
    int rc = lsql__remote_http_error(status, body, body ? strlen(body) : 0, e);
    assert_int_equal(e->ext_code, rc);
    assert_int_equal(e->code, LSQL_CLASS(rc));
    assert_int_equal(e->http_status, status);
    assert_non_null(memchr(e->message, 0, sizeof e->message));
    return rc;
}

/* ---- Hrana codes ----------------------------------------------------------- */

static void hrana_codes(void **state)
{
    (void)state;
    static const struct {
        const char *code;
        int want;
        bool retryable;
    } cases[] = {
        {"SQL_PARSE_ERROR", LSQL_ERROR, false},
        {"SQL_INPUT_ERROR", LSQL_ERROR, false},
        {"SQL_NO_STATEMENT", LSQL_INVALID_SQL, false},
        {"SQL_MANY_STATEMENTS", LSQL_INVALID_SQL, false},
        {"ARGS_INVALID", LSQL_PARAM_COUNT, false},
        {"ARGS_BOTH_POSITIONAL_AND_NAMED", LSQL_PARAM, false},
        {"TRANSACTION_TIMEOUT", LSQL_TXN_LOST, false},
        {"TRANSACTION_BUSY", LSQL_BUSY, true},
        {"BLOCKED", LSQL_BUSY, true},
        {"RESPONSE_TOO_LARGE", LSQL_TOOBIG, false},
        {"STREAM_EXPIRED", LSQL_HRANA_STREAM_EXPIRED, false},
        {"SQL_STORE_TOO_MANY", LSQL_HRANA_SERVER, false},
        {"SQL_STORE_TOO_LARGE", LSQL_HRANA_SERVER, false},
        {"SQLITE_UNKNOWN", LSQL_ERROR, false},
        {"SOMETHING_NEW", LSQL_HRANA_SERVER, false},
        {"sqlite_error", LSQL_HRANA_SERVER, false}, /* names are case-sensitive */
        {"SQLITE_", LSQL_HRANA_SERVER, false},
        {"SQLITE_OK", LSQL_HRANA_SERVER, false},  /* not an error */
        {"SQLITE_ROW", LSQL_HRANA_SERVER, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lsql_error e;
        int rc = map(cases[i].code, "the message", &e);
        if (rc != cases[i].want)
            fail_msg("%s: got %s, want %s", cases[i].code, lsql_errname(rc),
                     lsql_errname(cases[i].want));
        assert_int_equal(!!(e.flags & LSQL_ERRF_RETRYABLE), cases[i].retryable);
        char want[128];
        snprintf(want, sizeof want, "[%s] the message", cases[i].code);
        assert_string_equal(e.message, want);
        assert_int_equal(e.constraint_kind, 0);
        assert_string_equal(e.constraint_name, "");
        assert_int_equal(e.sqlite_code, 0);
    }
}

static void sqlite_primary_names(void **state)
{
    (void)state;
    static const char *const names[] = {
        NULL,           "ERROR",  "INTERNAL", "PERM",     "ABORT",    "BUSY",   "LOCKED",
        "NOMEM",        "READONLY", "INTERRUPT", "IOERR", "CORRUPT",  "NOTFOUND", "FULL",
        "CANTOPEN",     "PROTOCOL", "EMPTY",  "SCHEMA",   "TOOBIG",   "CONSTRAINT", "MISMATCH",
        "MISUSE",       "NOLFS",  "AUTH",     "FORMAT",   "RANGE",    "NOTADB", "NOTICE",
        "WARNING",
    };
    for (int c = 1; c <= 28; c++) {
        char code[64];
        snprintf(code, sizeof code, "SQLITE_%s", names[c]);
        lsql_error e;
        int rc = map(code, "something failed", &e);
        int want = c == SQLITE_NOMEM ? LSQL_NOMEM : c == SQLITE_EMPTY ? LSQL_ERROR : c;
        if (rc != want)
            fail_msg("%s: got %s (%d), want %d", code, lsql_errname(rc), rc, want);
        assert_int_equal(e.sqlite_code, c);
        assert_int_equal(!!(e.flags & LSQL_ERRF_RETRYABLE),
                         c == SQLITE_BUSY || c == SQLITE_LOCKED);
        if (c == SQLITE_CONSTRAINT)
            assert_int_equal(e.constraint_kind, LSQL_CONSTRAINT_KIND_OTHER);
        else
            assert_int_equal(e.constraint_kind, 0);
        assert_int_equal(e.offset, -1);
    }
    lsql_error e;
    assert_int_equal(map("SQLITE_BUSY", "database is locked", &e), LSQL_BUSY);
    assert_string_equal(e.message, "[SQLITE_BUSY] database is locked");
}

static void sqlite_extended_names(void **state)
{
    (void)state;
    static const struct {
        const char *code;
        int want;
        int sqlite;
    } cases[] = {
        {"SQLITE_CONSTRAINT_UNIQUE", LSQL_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_UNIQUE},
        {"SQLITE_CONSTRAINT_PRIMARYKEY", LSQL_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_PRIMARYKEY},
        {"SQLITE_CONSTRAINT_NOTNULL", LSQL_CONSTRAINT_NOTNULL, SQLITE_CONSTRAINT_NOTNULL},
        {"SQLITE_CONSTRAINT_TRIGGER", LSQL_CONSTRAINT_TRIGGER, SQLITE_CONSTRAINT_TRIGGER},
        {"SQLITE_BUSY_SNAPSHOT", LSQL_BUSY_SNAPSHOT, SQLITE_BUSY_SNAPSHOT},
        {"SQLITE_BUSY_TIMEOUT", LSQL_BUSY_TIMEOUT, SQLITE_BUSY_TIMEOUT},
        {"SQLITE_IOERR_NOMEM", LSQL_NOMEM, SQLITE_IOERR_NOMEM},
        {"SQLITE_IOERR_SHORT_READ", SQLITE_IOERR_SHORT_READ, SQLITE_IOERR_SHORT_READ},
        {"SQLITE_READONLY_DBMOVED", LSQL_READONLY_DBMOVED, SQLITE_READONLY_DBMOVED},
        {"SQLITE_LOCKED_SHAREDCACHE", LSQL_LOCKED_SHAREDCACHE, SQLITE_LOCKED_SHAREDCACHE},
        {"SQLITE_ERROR_RETRY", SQLITE_ERROR_RETRY, SQLITE_ERROR_RETRY},
        {"SQLITE_AUTH_USER", SQLITE_AUTH_USER, SQLITE_AUTH_USER},
        /* unknown detail of a known class: the class */
        {"SQLITE_BUSY_SOMETHING_NEW", LSQL_BUSY, SQLITE_BUSY},
        {"SQLITE_IOERR_FUTURE", LSQL_IOERR, SQLITE_IOERR},
        /* a prefix of a name is not that name */
        {"SQLITE_BUSYX", LSQL_HRANA_SERVER, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lsql_error e;
        int rc = map(cases[i].code, "x", &e);
        if (rc != cases[i].want)
            fail_msg("%s: got %s (%d), want %d", cases[i].code, lsql_errname(rc), rc,
                     cases[i].want);
        assert_int_equal(e.sqlite_code, cases[i].sqlite);
    }
    lsql_error e;
    /* BUSY_SNAPSHOT needs a new transaction: not retryable */
    map("SQLITE_BUSY_SNAPSHOT", "x", &e);
    assert_false(e.flags & LSQL_ERRF_RETRYABLE);
    map("SQLITE_BUSY_TIMEOUT", "x", &e);
    assert_true(e.flags & LSQL_ERRF_RETRYABLE);
}

static void constraints(void **state)
{
    (void)state;
    static const struct {
        const char *code, *msg;
        int want, kind;
        const char *name;
    } cases[] = {
        {"SQLITE_CONSTRAINT", "UNIQUE constraint failed: t.a", LSQL_CONSTRAINT_UNIQUE,
         LSQL_CONSTRAINT_KIND_UNIQUE, "t.a"},
        {"SQLITE_CONSTRAINT", "UNIQUE constraint failed: t.a, t.b", LSQL_CONSTRAINT_UNIQUE,
         LSQL_CONSTRAINT_KIND_UNIQUE, "t.a, t.b"},
        {"SQLITE_CONSTRAINT", "UNIQUE constraint failed: index 'lower_idx'",
         LSQL_CONSTRAINT_UNIQUE, LSQL_CONSTRAINT_KIND_UNIQUE, "lower_idx"},
        {"SQLITE_CONSTRAINT", "NOT NULL constraint failed: t.c", LSQL_CONSTRAINT_NOTNULL,
         LSQL_CONSTRAINT_KIND_NOTNULL, "t.c"},
        {"SQLITE_CONSTRAINT", "CHECK constraint failed: positive_qty", LSQL_CONSTRAINT_CHECK,
         LSQL_CONSTRAINT_KIND_CHECK, "positive_qty"},
        {"SQLITE_CONSTRAINT", "CHECK constraint failed: qty > 0", LSQL_CONSTRAINT_CHECK,
         LSQL_CONSTRAINT_KIND_CHECK, "qty > 0"},
        {"SQLITE_CONSTRAINT", "FOREIGN KEY constraint failed", LSQL_CONSTRAINT_FOREIGNKEY,
         LSQL_CONSTRAINT_KIND_FOREIGNKEY, ""},
        {"SQLITE_CONSTRAINT", "PRIMARY KEY constraint failed: t.id",
         LSQL_CONSTRAINT_PRIMARYKEY, LSQL_CONSTRAINT_KIND_PRIMARYKEY, "t.id"},
        {"SQLITE_CONSTRAINT", "cannot store TEXT value in INTEGER column t.a",
         LSQL_CONSTRAINT_DATATYPE, LSQL_CONSTRAINT_KIND_OTHER, ""},
        /* a prefix of the server (sqld wraps some messages) */
        {"SQLITE_CONSTRAINT", "SQLite error: UNIQUE constraint failed: users.email",
         LSQL_CONSTRAINT_UNIQUE, LSQL_CONSTRAINT_KIND_UNIQUE, "users.email"},
        /* a RAISE(ABORT) message or anything else: the class */
        {"SQLITE_CONSTRAINT", "no negative stock", LSQL_CONSTRAINT, LSQL_CONSTRAINT_KIND_OTHER,
         ""},
        /* an extended name wins over the message, the name comes from it */
        {"SQLITE_CONSTRAINT_PRIMARYKEY", "UNIQUE constraint failed: t.id",
         LSQL_CONSTRAINT_PRIMARYKEY, LSQL_CONSTRAINT_KIND_PRIMARYKEY, "t.id"},
        {"SQLITE_CONSTRAINT_UNIQUE", "UNIQUE constraint failed: t.a", LSQL_CONSTRAINT_UNIQUE,
         LSQL_CONSTRAINT_KIND_UNIQUE, "t.a"},
        {"SQLITE_CONSTRAINT_TRIGGER", "stop", LSQL_CONSTRAINT_TRIGGER,
         LSQL_CONSTRAINT_KIND_OTHER, ""},
        /* no code: the message decides */
        {NULL, "NOT NULL constraint failed: t.x", LSQL_CONSTRAINT_NOTNULL,
         LSQL_CONSTRAINT_KIND_NOTNULL, "t.x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lsql_error e;
        int rc = map(cases[i].code, cases[i].msg, &e);
        if (rc != cases[i].want)
            fail_msg("'%s': got %s, want %s", cases[i].msg, lsql_errname(rc),
                     lsql_errname(cases[i].want));
        assert_int_equal(e.constraint_kind, cases[i].kind);
        assert_string_equal(e.constraint_name, cases[i].name);
        assert_non_null(strstr(e.message, cases[i].msg));
        assert_false(e.flags & LSQL_ERRF_RETRYABLE);
        if (cases[i].code && !strcmp(cases[i].code, "SQLITE_CONSTRAINT"))
            assert_int_equal(e.sqlite_code, SQLITE_CONSTRAINT);
    }
    /* a name longer than the field is cut, still terminated */
    char msg[600];
    int k = snprintf(msg, sizeof msg, "UNIQUE constraint failed: ");
    memset(msg + k, 'n', 400);
    msg[k + 400] = 0;
    lsql_error e;
    assert_int_equal(map("SQLITE_CONSTRAINT", msg, &e), LSQL_CONSTRAINT_UNIQUE);
    assert_int_equal(strlen(e.constraint_name), LSQL_ERRNAME_MAX - 1);
}

static void missing_code_and_offsets(void **state)
{
    (void)state;
    lsql_error e;
    /* no code at all: a plain SQL error with the server's text */
    assert_int_equal(map(NULL, "no such table: t", &e), LSQL_ERROR);
    assert_string_equal(e.message, "no such table: t");
    assert_int_equal(e.sqlite_code, 0);
    assert_int_equal(map("", "x", &e), LSQL_ERROR);
    /* no message either */
    assert_int_equal(map(NULL, NULL, &e), LSQL_ERROR);
    assert_true(strlen(e.message) > 0);
    assert_int_equal(map("SQLITE_ERROR", "", &e), LSQL_ERROR);
    assert_string_equal(e.message, "[SQLITE_ERROR] ");
    /* offsets of parse errors */
    assert_int_equal(map("SQL_INPUT_ERROR", "SQL input error: near \"SELEC\": syntax error "
                                            "(at offset 0)", &e),
                     LSQL_ERROR);
    assert_int_equal(e.offset, 0);
    map("SQL_INPUT_ERROR", "near \"FRM\": syntax error (at offset 9)", &e);
    assert_int_equal(e.offset, 9);
    map("SQL_PARSE_ERROR", "unexpected token at offset=17", &e);
    assert_int_equal(e.offset, 17);
    map("SQL_PARSE_ERROR", "syntax error", &e);
    assert_int_equal(e.offset, -1);
    map("SQL_PARSE_ERROR", "offset: huge 99999999999", &e);
    assert_int_equal(e.offset, -1);
    /* offsets are only read for parse errors */
    map("SQLITE_ERROR", "at offset 5", &e);
    assert_int_equal(e.offset, -1);
    /* a message with an embedded NUL stops there; a long one is cut */
    hrana_error he = herr("SQLITE_ERROR", NULL);
    he.message.p = "abc\0def";
    he.message.n = 7;
    lsql__remote_hrana_error(&he, &e);
    assert_string_equal(e.message, "[SQLITE_ERROR] abc");
    char big[2000];
    memset(big, 'm', sizeof big - 1);
    big[sizeof big - 1] = 0;
    map("SQLITE_ERROR", big, &e);
    assert_int_equal(strlen(e.message), LSQL_ERRMSG_MAX - 1);
    /* NULL error pointer: the code is still returned */
    he = herr("SQLITE_BUSY", "x");
    assert_int_equal(lsql__remote_hrana_error(&he, NULL), LSQL_BUSY);
}

/* ---- HTTP statuses ---------------------------------------------------------- */

static void http_statuses(void **state)
{
    (void)state;
    static const struct {
        long status;
        int want;
        bool retryable;
    } cases[] = {
        {301, LSQL_HTTP_STATUS, false},       {302, LSQL_HTTP_STATUS, false},
        {400, LSQL_HRANA_SERVER, false},      {401, LSQL_AUTH_REMOTE, false},
        {403, LSQL_AUTH_REMOTE, false},       {404, LSQL_HTTP_STATUS, false},
        {405, LSQL_HTTP_STATUS, false},       {413, LSQL_TOOBIG, false},
        {429, LSQL_HTTP_RATE_LIMITED, true},  {500, LSQL_HTTP_STATUS, false},
        {501, LSQL_HTTP_STATUS, false},       {502, LSQL_HTTP_UNAVAILABLE, true},
        {503, LSQL_HTTP_UNAVAILABLE, true},   {504, LSQL_HTTP_UNAVAILABLE, true},
        {505, LSQL_HTTP_STATUS, false},       {418, LSQL_HTTP_STATUS, false},
        {200, LSQL_HTTP_STATUS, false},       {100, LSQL_HTTP_STATUS, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lsql_error e;
        int rc = http(cases[i].status, "plain text body\n", &e);
        if (rc != cases[i].want)
            fail_msg("%ld: got %s, want %s", cases[i].status, lsql_errname(rc),
                     lsql_errname(cases[i].want));
        assert_int_equal(!!(e.flags & LSQL_ERRF_RETRYABLE), cases[i].retryable);
        char head[32];
        snprintf(head, sizeof head, "HTTP %ld", cases[i].status);
        assert_non_null(strstr(e.message, head));
        assert_non_null(strstr(e.message, ": plain text body"));
        assert_int_equal(e.sqlite_code, 0);
    }
    lsql_error e;
    http(503, "x", &e);
    assert_string_equal(e.message, "HTTP 503 Service Unavailable: x");
    http(599, NULL, &e);
    assert_string_equal(e.message, "HTTP 599 (empty body)");
    http(500, "  \r\n", &e);
    assert_string_equal(e.message, "HTTP 500 Internal Server Error (empty body)");
    assert_int_equal(lsql__remote_http_error(502, "x", 1, NULL), LSQL_HTTP_UNAVAILABLE);
}

static void http_bodies(void **state)
{
    (void)state;
    lsql_error e;
    /* 400 with a Hrana Error: by its code */
    assert_int_equal(http(400, "{\"message\":\"The stream has expired\",\"code\":\"STREAM_EXPIRED\"}",
                          &e),
                     LSQL_HRANA_STREAM_EXPIRED);
    assert_string_equal(e.message, "HTTP 400 Bad Request: [STREAM_EXPIRED] The stream has expired");
    assert_int_equal(http(400, "{\"message\":\"UNIQUE constraint failed: t.a\","
                               "\"code\":\"SQLITE_CONSTRAINT\"}",
                          &e),
                     LSQL_CONSTRAINT_UNIQUE);
    assert_string_equal(e.constraint_name, "t.a");
    assert_int_equal(e.sqlite_code, SQLITE_CONSTRAINT);
    assert_int_equal(http(400, "{\"message\":\"m\",\"code\":\"SQLITE_BUSY\"}", &e), LSQL_BUSY);
    assert_true(e.flags & LSQL_ERRF_RETRYABLE);
    /* 400 JSON without a code, or text: a protocol refusal */
    assert_int_equal(http(400, "{\"message\":\"invalid baton\"}", &e), LSQL_HRANA_SERVER);
    assert_string_equal(e.message, "HTTP 400 Bad Request: invalid baton");
    assert_int_equal(http(400, "Invalid baton", &e), LSQL_HRANA_SERVER);
    assert_string_equal(e.message, "HTTP 400 Bad Request: Invalid baton");
    /* a Hrana code on another status does not change the class */
    assert_int_equal(http(500, "{\"message\":\"boom\",\"code\":\"SQLITE_FULL\"}", &e),
                     LSQL_HTTP_STATUS);
    assert_string_equal(e.message, "HTTP 500 Internal Server Error: boom");
    /* {"error": ...} bodies (sqld's auth errors) */
    assert_int_equal(http(401, "{\"error\":\"Unauthorized: `The JWT is invalid`\"}", &e),
                     LSQL_AUTH_REMOTE);
    assert_string_equal(e.message, "HTTP 401 Unauthorized: Unauthorized: `The JWT is invalid`");
    /* JSON that is neither: quoted as text */
    assert_int_equal(http(404, "{\"detail\":\"nope\"}", &e), LSQL_HTTP_STATUS);
    assert_string_equal(e.message, "HTTP 404 Not Found: {\"detail\":\"nope\"}");
    /* broken JSON and binary: printable, quoted */
    assert_int_equal(http(400, "{\"message\":", &e), LSQL_HRANA_SERVER);
    assert_string_equal(e.message, "HTTP 400 Bad Request: {\"message\":");
    http(502, "<html>\n<body>bad\tgateway</body>\n</html>\n", &e);
    assert_string_equal(e.message, "HTTP 502 Bad Gateway: <html> <body>bad gateway</body> </html>");
    /* a long body is cut with "..." */
    char big[5000];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = 0;
    http(500, big, &e);
    size_t ml = strlen(e.message);
    assert_true(ml < 300);
    assert_string_equal(e.message + ml - 3, "...");
    /* ... on a UTF-8 boundary */
    for (size_t i = 0; i + 2 < sizeof big; i += 2)
        big[i] = (char)0xc3, big[i + 1] = (char)0xa9; /* é */
    big[sizeof big - 1] = 0;
    http(500, big, &e);
    ml = strlen(e.message);
    const unsigned char *m = (const unsigned char *)e.message;
    assert_string_equal(e.message + ml - 3, "...");
    assert_true(m[ml - 4] == 0xa9); /* ends with a whole character */
    /* body with NULs: only n bytes are read */
    memset(&e, 0, sizeof e);
    assert_int_equal(lsql__remote_http_error(503, "abc\0def", 7, &e), LSQL_HTTP_UNAVAILABLE);
    assert_non_null(strstr(e.message, "abc def"));
}

/* The body read by its content type (the protobuf endpoints answer errors
 * with JSON bodies too; a binary body is neither parsed nor quoted). */
static void http_content_types(void **state)
{
    (void)state;
    lsql_error e;
    static const char k_json[] = "{\"message\":\"m\",\"code\":\"ARGS_INVALID\"}";
    static const char *const types[] = {NULL, "", "application/json",
                                        "application/json; charset=utf-8", "text/plain"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        memset(&e, 0x5a, sizeof e);
        assert_int_equal(lsql__remote_http_error_ct(400, types[i], k_json, strlen(k_json), &e),
                         LSQL_PARAM_COUNT);
        assert_int_equal(e.http_status, 400);
    }
    memset(&e, 0x5a, sizeof e);
    assert_int_equal(lsql__remote_http_error_ct(400, "text/plain", "invalid baton", 13, &e),
                     LSQL_HRANA_SERVER);
    assert_string_equal(e.message, "HTTP 400 Bad Request: invalid baton");
    /* a protobuf Error {message "abc", code "\xff"}: read as one when the
     * type says protobuf (sqld's stream errors), else type and size only */
    static const char k_bin[] = "\x0a\x03" "abc" "\x12\x01\xff";
    static const char *const pbt[] = {"application/x-protobuf", "Application/X-Protobuf",
                                      "application/protobuf"};
    for (size_t i = 0; i < sizeof pbt / sizeof pbt[0]; i++) {
        memset(&e, 0x5a, sizeof e);
        assert_int_equal(lsql__remote_http_error_ct(400, pbt[i], k_bin, sizeof k_bin - 1, &e),
                         LSQL_HRANA_SERVER);
        assert_non_null(strstr(e.message, "abc"));
        assert_int_equal(e.http_status, 400);
    }
    memset(&e, 0x5a, sizeof e);
    assert_int_equal(lsql__remote_http_error_ct(400, "application/octet-stream", k_bin,
                                                sizeof k_bin - 1, &e),
                     LSQL_HRANA_SERVER);
    assert_int_equal(e.ext_code, LSQL_HRANA_SERVER);
    assert_null(strstr(e.message, "abc"));
    assert_non_null(strstr(e.message, "application/octet-stream"));
    assert_non_null(strstr(e.message, "8-byte"));
    /* sqld's stream errors are HTTP 500 with a code: read by the code, in
     * both encodings; another 500 keeps its class */
    static const char k_exp_pb[] = "\x0a\x04" "gone" "\x12\x0e" "STREAM_EXPIRED";
    memset(&e, 0x5a, sizeof e);
    assert_int_equal(lsql__remote_http_error_ct(500, "application/x-protobuf", k_exp_pb,
                                                sizeof k_exp_pb - 1, &e),
                     LSQL_HRANA_STREAM_EXPIRED);
    assert_int_equal(e.http_status, 500);
    static const char k_exp_json[] = "{\"message\":\"gone\",\"code\":\"STREAM_EXPIRED\"}";
    assert_int_equal(lsql__remote_http_error_ct(500, "application/json", k_exp_json,
                                                strlen(k_exp_json), &e),
                     LSQL_HRANA_STREAM_EXPIRED);
    static const char k_500[] = "{\"message\":\"boom\",\"code\":\"SQLITE_IOERR\"}";
    assert_int_equal(lsql__remote_http_error_ct(500, "application/json", k_500, strlen(k_500), &e),
                     LSQL_HTTP_STATUS);
    assert_non_null(strstr(e.message, "boom"));
    /* protobuf that is not an Error message: type and size only */
    memset(&e, 0x5a, sizeof e);
    assert_int_equal(lsql__remote_http_error_ct(400, "application/x-protobuf", "\x08\x01", 2, &e),
                     LSQL_HRANA_SERVER);
    assert_non_null(strstr(e.message, "2-byte application/x-protobuf body"));
    /* a JSON Hrana error sent as protobuf is not read as JSON either */
    memset(&e, 0x5a, sizeof e);
    assert_int_equal(lsql__remote_http_error_ct(400, "application/x-protobuf", k_json,
                                                strlen(k_json), &e),
                     LSQL_HRANA_SERVER);
    /* statuses keep their classes; an empty binary body says so */
    memset(&e, 0x5a, sizeof e);
    assert_int_equal(lsql__remote_http_error_ct(503, "application/x-protobuf", "", 0, &e),
                     LSQL_HTTP_UNAVAILABLE);
    assert_true(e.flags & LSQL_ERRF_RETRYABLE);
    assert_non_null(strstr(e.message, "empty body"));
    assert_int_equal(lsql__remote_http_error_ct(401, "application/x-protobuf", k_bin, 3, NULL),
                     LSQL_AUTH_REMOTE);
}

/* ---- retry policy ------------------------------------------------------------ */

static void retry_delay_bounds(void **state)
{
    (void)state;
    lsql__retry r;
    lsql__retry_init(&r, 3, 50, 2000);
    assert_int_equal(r.max, 3);
    assert_int_equal(r.base_ms, 50);
    assert_int_equal(r.cap_ms, 2000);
    for (int attempt = 0; attempt < 12; attempt++) {
        uint32_t ceil_ms = 50u << attempt;
        if (ceil_ms > 2000)
            ceil_ms = 2000;
        uint32_t lo = UINT32_MAX, hi = 0;
        for (int i = 0; i < 2000; i++) {
            uint32_t d = lsql__retry_delay_ms(&r, attempt, -1);
            assert_true(d <= ceil_ms);
            if (d < lo)
                lo = d;
            if (d > hi)
                hi = d;
        }
        /* full jitter: the whole range is used */
        assert_true(lo <= ceil_ms / 10);
        assert_true(hi >= ceil_ms - ceil_ms / 10);
    }
    /* huge attempt numbers stay at the cap */
    assert_true(lsql__retry_delay_ms(&r, 1000, -1) <= 2000);
    assert_true(lsql__retry_delay_ms(&r, -5, -1) <= 50);
    /* Retry-After raises the wait, capped */
    for (int i = 0; i < 200; i++) {
        assert_int_equal(lsql__retry_delay_ms(&r, 0, 1), 1000);
        assert_int_equal(lsql__retry_delay_ms(&r, 0, 60), 2000);
        uint32_t d = lsql__retry_delay_ms(&r, 5, 0);
        assert_true(d <= 1600);
    }
    /* cap below base: base is the cap */
    lsql__retry_init(&r, 1, 100, 10);
    assert_true(lsql__retry_delay_ms(&r, 3, -1) <= 100);
    /* zeros */
    lsql__retry_init(&r, -1, 0, 0);
    assert_int_equal(r.max, 0);
    assert_int_equal(lsql__retry_delay_ms(&r, 4, -1), 0);
}

static void retry_jitter_spread(void **state)
{
    (void)state;
    lsql__retry r;
    lsql__retry_init(&r, 3, 100, 10000);
    /* attempt 3: uniform over [0, 800] -- mean near 400, every decile hit */
    enum { N = 10000 };
    int deciles[10] = {0};
    double sum = 0;
    for (int i = 0; i < N; i++) {
        uint32_t d = lsql__retry_delay_ms(&r, 3, -1);
        assert_true(d <= 800);
        sum += d;
        int k = d >= 800 ? 9 : (int)(d / 80);
        deciles[k]++;
    }
    double mean = sum / N;
    assert_true(mean > 360 && mean < 440);
    for (int k = 0; k < 10; k++)
        assert_true(deciles[k] > N / 10 / 2);
    /* two policies are seeded differently */
    lsql__retry a, b;
    lsql__retry_init(&a, 3, 1000, 60000);
    lsql__retry_init(&b, 3, 1000, 60000);
    int same = 0;
    for (int i = 0; i < 16; i++)
        same += lsql__retry_delay_ms(&a, 5, -1) == lsql__retry_delay_ms(&b, 5, -1);
    assert_true(same < 4);
}

static void retry_sleep(void **state)
{
    (void)state;
    atomic_int stop;
    atomic_init(&stop, 0);
    assert_true(lsql__retry_sleep(0, NULL));
    assert_true(lsql__retry_sleep(0, &stop));
    assert_true(lsql__retry_sleep(15, NULL));
    assert_true(lsql__retry_sleep(25, &stop));
    atomic_store(&stop, 1);
    /* stop already set: returns at once, even for a long wait */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_false(lsql__retry_sleep(60000, &stop));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 30);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hrana_codes),         cmocka_unit_test(sqlite_primary_names),
        cmocka_unit_test(sqlite_extended_names), cmocka_unit_test(constraints),
        cmocka_unit_test(missing_code_and_offsets), cmocka_unit_test(http_statuses),
        cmocka_unit_test(http_bodies),         cmocka_unit_test(http_content_types),
        cmocka_unit_test(retry_delay_bounds),
        cmocka_unit_test(retry_jitter_spread), cmocka_unit_test(retry_sleep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
