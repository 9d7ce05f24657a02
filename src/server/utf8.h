/* utf8.h -- UTF-8 checks for the protobuf answers: protobuf strings must be
 * valid UTF-8 (strict decoders refuse the whole message otherwise), so text
 * read from the database that is not is written with U+FFFD for each bad
 * byte, as the JSON answers do. */
#ifndef LSQLD_UTF8_H
#define LSQLD_UTF8_H

#include <stddef.h>

#include "hrana.h"

/* 1 when p[0..n) is valid UTF-8 (no overlongs, surrogates or code points
 * above U+10FFFF). */
int lsqld_utf8_valid(const void *p, size_t n);
/* The length of p[0..n) with every invalid byte replaced by U+FFFD. */
size_t lsqld_utf8_fixed_len(const void *p, size_t n);
/* Appends p[0..n) with every invalid byte replaced by U+FFFD. */
void lsqld_utf8_put_fixed(hrana_buf *b, const void *p, size_t n);

#endif
