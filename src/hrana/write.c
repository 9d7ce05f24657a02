/* write.c -- JSON writing pieces: strings, numbers, values, errors. */
#include "hrana.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* 1 for bytes that can be copied as they are: printable ASCII other than
 * '"' and '\\'. */
static const unsigned char plain_ascii[256] = {
#define R16(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
    R16(0), R16(0),
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20: '"' */
    R16(1), R16(1),
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x50: '\\' */
    R16(1), R16(1),
    R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0),
#undef R16
};

void hrana_put_string(hrana_buf *b, const char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)p;
    /* worst case 6 bytes per input byte, but reserve lazily */
    if (hrana_buf_reserve(b, n + 2))
        return;
    b->p[b->len++] = '"';
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        while (i < n && plain_ascii[s[i]])
            i++;
        if (i > start && hrana_buf_put(b, s + start, i - start))
            return;
        if (i >= n)
            break;
        unsigned c = s[i];
        char esc[8];
        size_t el = 0;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            el = 2;
            i++;
        } else if (c < 0x20) {
            esc[0] = '\\';
            switch (c) {
            case '\n': esc[1] = 'n'; el = 2; break;
            case '\r': esc[1] = 'r'; el = 2; break;
            case '\t': esc[1] = 't'; el = 2; break;
            case '\b': esc[1] = 'b'; el = 2; break;
            case '\f': esc[1] = 'f'; el = 2; break;
            default:
                memcpy(esc + 1, "u00", 3);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                el = 6;
            }
            i++;
        } else if (c == 0x7f) {
            esc[0] = (char)c;
            el = 1;
            i++;
        } else {
            size_t k = hrana_utf8_seq(s + i, n - i);
            if (k) {
                if (hrana_buf_put(b, s + i, k))
                    return;
                i += k;
                continue;
            }
            memcpy(esc, "\xef\xbf\xbd", 3); /* U+FFFD */
            el = 3;
            i++;
        }
        if (hrana_buf_put(b, esc, el))
            return;
    }
    hrana_buf_putc(b, '"');
}

void hrana_put_string_or_null(hrana_buf *b, const char *p, size_t n)
{
    if (p)
        hrana_put_string(b, p, n);
    else
        hrana_buf_put(b, "null", 4);
}

void hrana_put_cstr_or_null(hrana_buf *b, const char *s)
{
    hrana_put_string_or_null(b, s, s ? strlen(s) : 0);
}

void hrana_put_u64(hrana_buf *b, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    hrana_buf_put(b, tmp + i, sizeof tmp - i);
}

void hrana_put_i64(hrana_buf *b, int64_t v)
{
    if (v < 0) {
        hrana_buf_putc(b, '-');
        hrana_put_u64(b, (uint64_t)0 - (uint64_t)v);
    } else {
        hrana_put_u64(b, (uint64_t)v);
    }
}

size_t hrana_format_double(char *out, size_t cap, double d)
{
    if (isnan(d))
        return (size_t)snprintf(out, cap, "null");
    if (isinf(d))
        return (size_t)snprintf(out, cap, d > 0 ? "1e999" : "-1e999");
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(out, cap, "%.*g", prec, d);
        if (prec == 17 || strtod(out, NULL) == d)
            break;
    }
    return n < 0 ? 0 : (size_t)n;
}

void hrana_put_double(hrana_buf *b, double d)
{
    char tmp[40];
    size_t n = hrana_format_double(tmp, sizeof tmp, d);
    hrana_buf_put(b, tmp, n);
}

void hrana_put_base64(hrana_buf *b, const void *p, size_t n)
{
    size_t need = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
    if (hrana_buf_reserve(b, need))
        return;
    sodium_bin2base64(b->p + b->len, need, p, n, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
    b->len += need - 1; /* without the NUL */
}

void hrana_encode_value(hrana_buf *b, const lsql_value *v)
{
    switch (v->type) {
    case LSQL_TYPE_INTEGER:
        hrana_buf_put(b, "{\"type\":\"integer\",\"value\":\"", 27);
        hrana_put_i64(b, v->u.i);
        hrana_buf_put(b, "\"}", 2);
        break;
    case LSQL_TYPE_FLOAT:
        if (isnan(v->u.d)) {
            hrana_buf_put(b, "{\"type\":\"null\"}", 15);
            break;
        }
        hrana_buf_put(b, "{\"type\":\"float\",\"value\":", 24);
        hrana_put_double(b, v->u.d);
        hrana_buf_putc(b, '}');
        break;
    case LSQL_TYPE_TEXT:
        hrana_buf_put(b, "{\"type\":\"text\",\"value\":", 23);
        hrana_put_string(b, v->u.bytes.p ? v->u.bytes.p : "", v->u.bytes.n);
        hrana_buf_putc(b, '}');
        break;
    case LSQL_TYPE_BLOB:
        hrana_buf_put(b, "{\"type\":\"blob\",\"base64\":\"", 25);
        hrana_put_base64(b, v->u.bytes.p ? v->u.bytes.p : "", v->u.bytes.n);
        hrana_buf_put(b, "\"}", 2);
        break;
    default:
        hrana_buf_put(b, "{\"type\":\"null\"}", 15);
    }
}

void hrana_encode_error(hrana_buf *b, const char *message, const char *code)
{
    hrana_buf_put(b, "{\"message\":", 11);
    hrana_put_string(b, message ? message : "", message ? strlen(message) : 0);
    if (code) {
        hrana_buf_put(b, ",\"code\":", 8);
        hrana_put_string(b, code, strlen(code));
    }
    hrana_buf_putc(b, '}');
}

void hrana_encode_error_s(hrana_buf *b, const hrana_error *e)
{
    hrana_buf_put(b, "{\"message\":", 11);
    hrana_put_string(b, e->message.p ? e->message.p : "", e->message.p ? e->message.n : 0);
    if (e->code.p) {
        hrana_buf_put(b, ",\"code\":", 8);
        hrana_put_string(b, e->code.p, e->code.n);
    }
    hrana_buf_putc(b, '}');
}

void hrana_encode_col(hrana_buf *b, const char *name, const char *decltype)
{
    hrana_buf_put(b, "{\"name\":", 8);
    hrana_put_cstr_or_null(b, name);
    hrana_buf_put(b, ",\"decltype\":", 12);
    hrana_put_cstr_or_null(b, decltype);
    hrana_buf_putc(b, '}');
}
