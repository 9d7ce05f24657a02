/* baton.c -- making and checking batons with libsodium's HMAC-SHA256. */
#include "baton.h"

#include <string.h>

#include <sodium.h>

#define RAW 48

static void put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)v;
        v >>= 8;
    }
}

static uint64_t get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

void lsqld_baton_make(const unsigned char key[LSQLD_BATON_KEY], uint64_t id, uint64_t seq,
                      char out[LSQLD_BATON_LEN + 1])
{
    unsigned char raw[RAW];
    put_be64(raw, id);
    put_be64(raw + 8, seq);
    crypto_auth_hmacsha256(raw + 16, raw, 16, key);
    sodium_bin2base64(out, LSQLD_BATON_LEN + 1, raw, RAW,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int lsqld_baton_parse(const unsigned char key[LSQLD_BATON_KEY], const char *s, size_t n,
                      uint64_t *id, uint64_t *seq)
{
    if (n != LSQLD_BATON_LEN)
        return -1;
    unsigned char raw[RAW];
    size_t len = 0;
    const char *end = NULL;
    if (sodium_base642bin(raw, sizeof raw, s, n, NULL, &len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        len != RAW || end != s + n)
        return -1;
    if (crypto_auth_hmacsha256_verify(raw + 16, raw, 16, key) != 0)
        return -1;
    *id = get_be64(raw);
    *seq = get_be64(raw + 8);
    return 0;
}
