/* utf8.c -- UTF-8 validation and repair (U+FFFD for each invalid byte), for
 * the writers of both encodings: JSON and protobuf strings must be valid
 * UTF-8, text from a database need not be. */
#include "hrana.h"

size_t hrana_utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0))
            return 0; /* overlong, surrogate */
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
            return 0; /* overlong, above U+10FFFF */
        return 4;
    }
    return 0;
}

#define REPLACEMENT "\xef\xbf\xbd"

int hrana_utf8_valid(const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n;) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = hrana_utf8_seq(s + i, n - i);
        if (!k)
            return 0;
        i += k;
    }
    return 1;
}

size_t hrana_utf8_fixed_len(const void *p, size_t n)
{
    const unsigned char *s = p;
    size_t len = 0;
    for (size_t i = 0; i < n;) {
        size_t k = hrana_utf8_seq(s + i, n - i);
        len += k ? k : 3;
        i += k ? k : 1;
    }
    return len;
}

void hrana_utf8_put_fixed(hrana_buf *b, const void *p, size_t n)
{
    const unsigned char *s = p;
    size_t i = 0;
    while (i < n) {
        size_t start = i, k;
        while (i < n && (k = hrana_utf8_seq(s + i, n - i)) != 0)
            i += k;
        if (i > start && hrana_buf_put(b, s + start, i - start))
            return;
        if (i < n) {
            if (hrana_buf_put(b, REPLACEMENT, 3))
                return;
            i++;
        }
    }
}
