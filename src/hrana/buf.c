/* buf.c -- the output buffer of the encoders: growable, with a hard maximum. */
#include "hrana.h"

#include <stdlib.h>
#include <string.h>

void hrana_buf_init(hrana_buf *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max;
}

void hrana_buf_free(hrana_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->overflow = b->nomem = 0;
}

int hrana_buf_reserve(hrana_buf *b, size_t n)
{
    if (b->overflow)
        return -1;
    if (n > b->max || b->len > b->max - n) {
        b->overflow = 1;
        return -1;
    }
    size_t need = b->len + n;
    if (need + 1 <= b->cap) /* keep one byte for a NUL terminator */
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need + 1)
        cap = cap > SIZE_MAX / 2 ? need + 1 : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->overflow = 1;
        b->nomem = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

int hrana_buf_put(hrana_buf *b, const void *p, size_t n)
{
    if (hrana_buf_reserve(b, n))
        return -1;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

int hrana_buf_puts(hrana_buf *b, const char *s)
{
    return hrana_buf_put(b, s, strlen(s));
}

int hrana_buf_putc(hrana_buf *b, char c)
{
    if (b->len + 1 < b->cap && !b->overflow && b->len < b->max) {
        b->p[b->len++] = c;
        return 0;
    }
    return hrana_buf_put(b, &c, 1);
}

void hrana_buf_truncate(hrana_buf *b, size_t len)
{
    if (len < b->len)
        b->len = len;
    b->overflow = 0;
    b->nomem = 0;
}

char *hrana_buf_detach(hrana_buf *b, size_t *len)
{
    char *p = b->p;
    if (len)
        *len = b->len;
    if (p)
        p[b->len] = 0; /* reserve() always keeps room for it */
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}
