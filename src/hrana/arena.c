/* arena.c -- the allocator of decoded structures: a chain of blocks freed at
 * once. */
#include "hrana.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 16384u
#define ARENA_ALIGN 16u

typedef struct block {
    struct block *next;
    size_t used;
    size_t cap;
    /* data follows, aligned */
} block;

struct hrana_arena {
    block *head;
};

#define BLOCK_HDR ((sizeof(block) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1))

hrana_arena *hrana_arena_new(void)
{
    return calloc(1, sizeof(hrana_arena));
}

void hrana_arena_free(hrana_arena *a)
{
    if (!a)
        return;
    block *b = a->head;
    while (b) {
        block *n = b->next;
        free(b);
        b = n;
    }
    free(a);
}

void *hrana_arena_alloc(hrana_arena *a, size_t n)
{
    if (n > SIZE_MAX / 2)
        return NULL;
    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (n == 0)
        n = ARENA_ALIGN;
    block *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK / 4 ? n : ARENA_BLOCK;
        block *nb = malloc(BLOCK_HDR + cap);
        if (!nb)
            return NULL;
        nb->used = 0;
        nb->cap = cap;
        if (b && cap != ARENA_BLOCK) {
            /* a big allocation: keep the current block in front */
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            a->head = nb;
        }
        b = nb;
    }
    char *p = (char *)b + BLOCK_HDR + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *hrana_arena_strndup(hrana_arena *a, const char *p, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *s = hrana_arena_alloc(a, n + 1);
    if (!s)
        return NULL;
    if (n)
        memcpy(s, p, n);
    s[n] = 0;
    return s;
}
