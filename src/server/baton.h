/* baton.h -- unforgeable stream batons: base64url(id || seq || HMAC-SHA256
 * (key, id || seq)), 48 bytes -> 64 characters. */
#ifndef LSQLD_BATON_H
#define LSQLD_BATON_H

#include <stddef.h>
#include <stdint.h>

#define LSQLD_BATON_KEY 32
#define LSQLD_BATON_LEN 64 /* characters, without NUL */

void lsqld_baton_make(const unsigned char key[LSQLD_BATON_KEY], uint64_t id, uint64_t seq,
                      char out[LSQLD_BATON_LEN + 1]);
/* 0 and *id, *seq when s[0..n) is a baton made with key; -1 otherwise
 * (malformed or bad MAC; the MAC is compared in constant time). */
int lsqld_baton_parse(const unsigned char key[LSQLD_BATON_KEY], const char *s, size_t n,
                      uint64_t *id, uint64_t *seq);

#endif
