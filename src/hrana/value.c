/* value.c -- integers as decimal strings and base64 blobs. */
#include "hrana.h"

#include <string.h>

#include <sodium.h>

int hrana_parse_i64(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (n && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n)
        return -1;
    uint64_t v = 0;
    const uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9)
            return -1;
        if (v > (lim - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (neg)
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    else
        *out = (int64_t)v;
    return 0;
}

long long hrana_base64_decode(const char *src, size_t n, unsigned char *dst, size_t cap)
{
    int variant = sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
    if (n && src[n - 1] == '=') {
        if (n % 4 != 0)
            return -1;
        variant = sodium_base64_VARIANT_ORIGINAL;
    }
    size_t out = 0;
    const char *end = NULL;
    if (n == 0)
        return 0;
    if (sodium_base642bin(dst, cap, src, n, NULL, &out, &end, variant) != 0)
        return -1;
    if (end != src + n)
        return -1;
    return (long long)out;
}
