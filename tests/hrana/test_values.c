/* test_values.c -- the Value encoding in both directions: int64 as strings,
 * floats that round-trip and stay floats, text (NUL, surrogate pairs,
 * invalid UTF-8), base64 blobs padded or not. */
#include "hrana_testutil.h"

#include <math.h>

static void test_int64_extremes(void **state)
{
    (void)state;
    hrana_arena *a = hrana_arena_new();
    lsql_value v;
    hrana_status st;
    assert_status(HRANA_OK, ht_value("{\"type\":\"integer\",\"value\":\"-9223372036854775808\"}", a, &v, &st), st);
    assert_int_equal(v.type, LSQL_TYPE_INTEGER);
    assert_true(v.u.i == INT64_MIN);
    assert_string_equal(ht_enc_value(&v), "{\"type\":\"integer\",\"value\":\"-9223372036854775808\"}");
    assert_status(HRANA_OK, ht_value("{\"type\":\"integer\",\"value\":\"9223372036854775807\"}", a, &v, &st), st);
    assert_true(v.u.i == INT64_MAX);
    assert_string_equal(ht_enc_value(&v), "{\"type\":\"integer\",\"value\":\"9223372036854775807\"}");
    assert_status(HRANA_OK, ht_value("{\"type\":\"integer\",\"value\":\"+42\"}", a, &v, &st), st);
    assert_true(v.u.i == 42);
    assert_status(HRANA_OK, ht_value("{\"value\":\"0\",\"type\":\"integer\"}", a, &v, &st), st);
    assert_true(v.u.i == 0);
    hrana_arena_free(a);
}

static void test_int64_invalid(void **state)
{
    (void)state;
    static const char *bad[] = {
        "{\"type\":\"integer\",\"value\":\"9223372036854775808\"}",
        "{\"type\":\"integer\",\"value\":\"-9223372036854775809\"}",
        "{\"type\":\"integer\",\"value\":\"99999999999999999999999\"}",
        "{\"type\":\"integer\",\"value\":\"\"}",
        "{\"type\":\"integer\",\"value\":\"-\"}",
        "{\"type\":\"integer\",\"value\":\" 1\"}",
        "{\"type\":\"integer\",\"value\":\"1.0\"}",
        "{\"type\":\"integer\",\"value\":\"0x10\"}",
        "{\"type\":\"integer\",\"value\":42}",
        "{\"type\":\"integer\"}",
    };
    hrana_arena *a = hrana_arena_new();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lsql_value v;
        hrana_status st;
        int rc = ht_value(bad[i], a, &v, &st);
        if (rc != HRANA_E_INVALID)
            fail_msg("%s: got %s", bad[i], hrana_status_name(rc));
        assert_true(strlen(st.message) > 0);
    }
    hrana_arena_free(a);
}

/* Decodes json into *v in a new arena (returned, to free once *v is
 * checked); asserts success and, unless type is -1, the value's type. */
static hrana_arena *dec_ok(const char *json, int type, lsql_value *v)
{
    hrana_arena *a = hrana_arena_new();
    hrana_status st;
    assert_status(HRANA_OK, ht_value(json, a, v, &st), st);
    if (type != -1)
        assert_int_equal(v->type, type);
    return a;
}

static double dec_float(const char *num)
{
    char json[128];
    snprintf(json, sizeof json, "{\"type\":\"float\",\"value\":%s}", num);
    lsql_value v;
    hrana_arena_free(dec_ok(json, LSQL_TYPE_FLOAT, &v));
    return v.u.d;
}

static void test_float_decode(void **state)
{
    (void)state;
    assert_true(dec_float("5e-324") == 5e-324);
    assert_true(dec_float("1e+21") == 1e21);
    assert_true(dec_float("1.7976931348623157e+308") == 1.7976931348623157e308);
    assert_true(dec_float("12.345") == 12.345);
    /* integral numbers, even beyond int64 (JS writes 1e20 this way) */
    assert_true(dec_float("100000000000000000000") == 1e20);
    assert_true(dec_float("1672662896000") == 1672662896000.0);
    assert_true(dec_float("3") == 3.0);
    double z = dec_float("-0.0");
    assert_true(z == 0 && signbit(z));
    z = dec_float("-0");
    assert_true(z == 0 && signbit(z));
}

static void test_float_encode(void **state)
{
    (void)state;
    lsql_value v = lsql_float(1.0);
    assert_string_equal(ht_enc_value(&v), "{\"type\":\"float\",\"value\":1}");
    v = lsql_float(12.345);
    assert_string_equal(ht_enc_value(&v), "{\"type\":\"float\",\"value\":12.345}");
    v = lsql_float(0.1);
    assert_string_equal(ht_enc_value(&v), "{\"type\":\"float\",\"value\":0.1}");
    v = lsql_float(-0.0);
    assert_string_equal(ht_enc_value(&v), "{\"type\":\"float\",\"value\":-0}");
    v = lsql_float(1e21);
    assert_string_equal(ht_enc_value(&v), "{\"type\":\"float\",\"value\":1e+21}");
    v = lsql_float(INFINITY);
    assert_string_equal(ht_enc_value(&v), "{\"type\":\"float\",\"value\":1e999}");
    v = lsql_float(-INFINITY);
    assert_string_equal(ht_enc_value(&v), "{\"type\":\"float\",\"value\":-1e999}");
    v = lsql_float(NAN);
    assert_string_equal(ht_enc_value(&v), "{\"type\":\"null\"}");
    /* every one of these reads back as the same double */
    static const double xs[] = {5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
                                0.1 + 0.2, 1.0 / 3, 123456789.123456789, -2.5e-10,
                                9007199254740993.0, 1e300};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        char out[40];
        hrana_format_double(out, sizeof out, xs[i]);
        if (strtod(out, NULL) != xs[i])
            fail_msg("%.17g printed as %s", xs[i], out);
        v = lsql_float(xs[i]);
        lsql_value back;
        hrana_arena *a = dec_ok(ht_enc_value(&v), LSQL_TYPE_FLOAT, &back);
        assert_true(back.u.d == xs[i]);
        hrana_arena_free(a);
    }
}

static void test_text(void **state)
{
    (void)state;
    hrana_arena *a = hrana_arena_new();
    lsql_value v;
    hrana_status st;
    /* embedded NUL */
    assert_status(HRANA_OK, ht_value("{\"type\":\"text\",\"value\":\"a\\u0000b\"}", a, &v, &st), st);
    assert_int_equal(v.type, LSQL_TYPE_TEXT);
    assert_int_equal(v.u.bytes.n, 3);
    assert_memory_equal(v.u.bytes.p, "a\0b", 3);
    assert_string_equal(ht_enc_value(&v), "{\"type\":\"text\",\"value\":\"a\\u0000b\"}");
    /* surrogate pair -> one 4-byte UTF-8 sequence, written back raw */
    assert_status(HRANA_OK, ht_value("{\"type\":\"text\",\"value\":\"\\ud83d\\ude00!\"}", a, &v, &st), st);
    assert_int_equal(v.u.bytes.n, 5);
    assert_memory_equal(v.u.bytes.p, "\xf0\x9f\x98\x80!", 5);
    assert_string_equal(ht_enc_value(&v), "{\"type\":\"text\",\"value\":\"\xf0\x9f\x98\x80!\"}");
    /* raw UTF-8 and escapes */
    assert_status(HRANA_OK, ht_value("{\"type\":\"text\",\"value\":\"\xc5\xbelu\\\"\\\\\\n\\t\"}", a, &v, &st), st);
    assert_int_equal(v.u.bytes.n, 8);
    assert_string_equal(ht_enc_value(&v), "{\"type\":\"text\",\"value\":\"\xc5\xbelu\\\"\\\\\\n\\t\"}");
    /* empty */
    assert_status(HRANA_OK, ht_value("{\"type\":\"text\",\"value\":\"\"}", a, &v, &st), st);
    assert_int_equal(v.u.bytes.n, 0);
    /* lone surrogate and invalid UTF-8 are not JSON text */
    assert_status(HRANA_E_JSON, ht_value("{\"type\":\"text\",\"value\":\"\\ud800\"}", a, &v, &st), st);
    assert_status(HRANA_E_JSON, ht_value("{\"type\":\"text\",\"value\":\"\xff\"}", a, &v, &st), st);
    assert_status(HRANA_E_JSON, ht_value("{\"type\":\"text\",\"value\":\"\xc0\x80\"}", a, &v, &st), st);
    assert_status(HRANA_E_INVALID, ht_value("{\"type\":\"text\",\"value\":7}", a, &v, &st), st);
    hrana_arena_free(a);
}

static void test_text_encode_invalid_utf8(void **state)
{
    (void)state;
    /* bytes stored in a database need not be UTF-8: each bad byte is U+FFFD */
    lsql_value v = lsql_text("a\xff" "b\xed\xa0\x80" "c\xc3", 8);
    assert_string_equal(ht_enc_value(&v), "{\"type\":\"text\",\"value\":\"a\xef\xbf\xbd" "b"
                                          "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "c\xef\xbf\xbd\"}");
    v = lsql_text("\x01\x1f\x7f", 3);
    assert_string_equal(ht_enc_value(&v), "{\"type\":\"text\",\"value\":\"\\u0001\\u001f\x7f\"}");
}

static void blob_ok(const char *b64, const char *want, size_t n)
{
    char json[256];
    snprintf(json, sizeof json, "{\"type\":\"blob\",\"base64\":\"%s\"}", b64);
    lsql_value v;
    hrana_arena *a = dec_ok(json, LSQL_TYPE_BLOB, &v);
    assert_int_equal(v.u.bytes.n, n);
    if (n)
        assert_memory_equal(v.u.bytes.p, want, n);
    hrana_arena_free(a);
}

static void blob_bad(const char *b64)
{
    char json[256];
    snprintf(json, sizeof json, "{\"type\":\"blob\",\"base64\":\"%s\"}", b64);
    hrana_arena *a = hrana_arena_new();
    lsql_value v;
    hrana_status st;
    int rc = ht_value(json, a, &v, &st);
    if (rc != HRANA_E_INVALID)
        fail_msg("base64 \"%s\": got %s", b64, hrana_status_name(rc));
    assert_non_null(strstr(st.message, "base64"));
    hrana_arena_free(a);
}

static void test_blob(void **state)
{
    (void)state;
    blob_ok("YmFy", "bar", 3);
    blob_ok("YQ==", "a", 1);
    blob_ok("YQ", "a", 1);
    blob_ok("YWI=", "ab", 2);
    blob_ok("YWI", "ab", 2);
    blob_ok("", "", 0);
    blob_ok("AAEC/w", "\x00\x01\x02\xff", 4);
    blob_bad("Y");
    blob_bad("YQ=");
    blob_bad("YQ===");
    blob_bad("Y!==");
    blob_bad("YR"); /* non-zero unused bits */
    blob_bad("YWJj-_");
    blob_bad("YW Jj");
    lsql_value v = lsql_blob("a", 1);
    assert_string_equal(ht_enc_value(&v), "{\"type\":\"blob\",\"base64\":\"YQ\"}");
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)(i ^ 0xab);
    v = lsql_blob(all, sizeof all);
    lsql_value back;
    hrana_arena *a = dec_ok(ht_enc_value(&v), -1, &back);
    assert_int_equal(back.u.bytes.n, 256);
    assert_memory_equal(back.u.bytes.p, all, 256);
    hrana_arena_free(a);
    v = lsql_blob(NULL, 0);
    assert_string_equal(ht_enc_value(&v), "{\"type\":\"blob\",\"base64\":\"\"}");
}

static void test_null_and_unknown(void **state)
{
    (void)state;
    hrana_arena *a = hrana_arena_new();
    lsql_value v;
    hrana_status st;
    assert_status(HRANA_OK, ht_value("{\"type\":\"null\"}", a, &v, &st), st);
    assert_int_equal(v.type, LSQL_TYPE_NULL);
    assert_string_equal(ht_enc_value(&v), "{\"type\":\"null\"}");
    assert_status(HRANA_E_INVALID, ht_value("{\"type\":\"bigint\",\"value\":\"1\"}", a, &v, &st), st);
    assert_non_null(strstr(st.message, "bigint"));
    assert_status(HRANA_E_INVALID, ht_value("{\"value\":\"1\"}", a, &v, &st), st);
    assert_status(HRANA_E_INVALID, ht_value("{\"type\":1}", a, &v, &st), st);
    hrana_arena_free(a);
}

static void test_value_limits(void **state)
{
    (void)state;
    hrana_limits l = ht_limits();
    l.max_text = 4;
    l.max_blob = 2;
    hrana_arena *a = hrana_arena_new();
    lsql_value v;
    hrana_status st;
    const char *t4 = "{\"type\":\"text\",\"value\":\"abcd\"}";
    const char *t5 = "{\"type\":\"text\",\"value\":\"abcde\"}";
    assert_status(HRANA_OK, hrana_decode_value(t4, strlen(t4), &l, a, &v, &st), st);
    assert_status(HRANA_E_LIMIT, hrana_decode_value(t5, strlen(t5), &l, a, &v, &st), st);
    assert_non_null(strstr(st.message, "limit of 4"));
    const char *b2 = "{\"type\":\"blob\",\"base64\":\"YWI\"}";
    const char *b3 = "{\"type\":\"blob\",\"base64\":\"YWJj\"}";
    assert_status(HRANA_OK, hrana_decode_value(b2, strlen(b2), &l, a, &v, &st), st);
    assert_status(HRANA_E_LIMIT, hrana_decode_value(b3, strlen(b3), &l, a, &v, &st), st);
    assert_non_null(strstr(st.message, "limit of 2"));
    hrana_arena_free(a);
}

static void test_parse_i64_direct(void **state)
{
    (void)state;
    int64_t x;
    assert_int_equal(hrana_parse_i64("123", 3, &x), 0);
    assert_true(x == 123);
    assert_int_equal(hrana_parse_i64("-0", 2, &x), 0);
    assert_true(x == 0);
    assert_int_equal(hrana_parse_i64("1", 0, &x), -1);
    assert_int_equal(hrana_parse_i64("+", 1, &x), -1);
    assert_int_equal(hrana_parse_i64("00000000000000000000000001", 26, &x), 0);
    assert_true(x == 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int64_extremes),
        cmocka_unit_test(test_int64_invalid),
        cmocka_unit_test(test_float_decode),
        cmocka_unit_test(test_float_encode),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_text_encode_invalid_utf8),
        cmocka_unit_test(test_blob),
        cmocka_unit_test(test_null_and_unknown),
        cmocka_unit_test(test_value_limits),
        cmocka_unit_test(test_parse_i64_direct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
