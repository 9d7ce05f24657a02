/* cache.c -- per-connection LRU cache of idle prepared statements, keyed by
 * their SQL text. A statement is in the cache only while idle: taking it
 * removes it, releasing it puts it back (reset and cleared). */
#include "internal.h"

#include <string.h>

uint64_t lsql__hash(const char *s, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (n * 0xff51afd7ed558ccdull);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 29;
        s += 8;
        n -= 8;
    }
    uint64_t t = 0;
    for (size_t i = 0; i < n; i++)
        t |= (uint64_t)(unsigned char)s[i] << (8 * i);
    h = (h ^ t) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 32;
    return h;
}

static void lru_unlink(lsql_stmt_cache *k, lsql_stmt *st)
{
    if (st->prev)
        st->prev->next = st->next;
    else
        k->lru_head = st->next;
    if (st->next)
        st->next->prev = st->prev;
    else
        k->lru_tail = st->prev;
    st->prev = st->next = NULL;
}

static void bucket_unlink(lsql_stmt_cache *k, lsql_stmt *st)
{
    lsql_stmt **pp = &k->buckets[st->hash & (k->nbuckets - 1)];
    while (*pp && *pp != st)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = st->hnext;
    st->hnext = NULL;
}

static void remove_entry(lsql_stmt_cache *k, lsql_stmt *st)
{
    bucket_unlink(k, st);
    lru_unlink(k, st);
    k->size--;
}

lsql_stmt *lsql__cache_take(lsql_stmt_cache *k, const char *sql, size_t n,
                            uint64_t h)
{
    if (k->capacity <= 0)
        return NULL;
    if (k->nbuckets) {
        for (lsql_stmt *st = k->buckets[h & (k->nbuckets - 1)]; st; st = st->hnext) {
            if (st->hash == h && st->keylen == n && !memcmp(st->key, sql, n)) {
                remove_entry(k, st);
                k->hits++;
                return st;
            }
        }
    }
    k->misses++;
    return NULL;
}

lsql_stmt *lsql__cache_take_mru(lsql_stmt_cache *k, const char *sql, size_t n)
{
    lsql_stmt *st = k->hot;
    if (!st || st->keylen != n || memcmp(st->key, sql, n))
        return NULL;
    k->hot = NULL;
    k->size--;
    k->hits++;
    return st;
}

static bool ensure_buckets(lsql_stmt_cache *k)
{
    size_t want = 16;
    while (want < (size_t)k->capacity * 2)
        want <<= 1;
    if (k->nbuckets >= want)
        return true;
    lsql_stmt **nb = lsql__calloc(want, sizeof *nb);
    if (!nb)
        return k->nbuckets != 0; /* keep working with the old table */
    for (size_t i = 0; i < k->nbuckets; i++) {
        lsql_stmt *st = k->buckets[i];
        while (st) {
            lsql_stmt *nx = st->hnext;
            st->hnext = nb[st->hash & (want - 1)];
            nb[st->hash & (want - 1)] = st;
            st = nx;
        }
    }
    lsql__free(k->buckets);
    k->buckets = nb;
    k->nbuckets = want;
    return true;
}

static void evict_lru(lsql_stmt_cache *k)
{
    lsql_stmt *victim = k->lru_tail;
    remove_entry(k, victim);
    k->evictions++;
    lsql__stmt_destroy(victim);
}

bool lsql__cache_park(lsql_stmt_cache *k, lsql_stmt *st)
{
    if (k->capacity <= 0 || !st->key)
        return false;
    lsql_stmt *old = k->hot;
    if (old) {
        k->hot = NULL;
        k->size--;
        if (!lsql__cache_put(k, old))
            lsql__stmt_destroy(old);
    }
    while (k->size >= k->capacity && k->lru_tail)
        evict_lru(k);
    if (k->size >= k->capacity)
        return false;
    k->hot = st;
    k->size++;
    return true;
}

bool lsql__cache_put(lsql_stmt_cache *k, lsql_stmt *st)
{
    if (k->capacity <= 0 || !st->key || !ensure_buckets(k))
        return false;
    if (k->hot && k->hot->hash == st->hash && k->hot->keylen == st->keylen &&
        !memcmp(k->hot->key, st->key, st->keylen))
        return false; /* an identical idle statement is already held */
    size_t b = st->hash & (k->nbuckets - 1);
    for (lsql_stmt *o = k->buckets[b]; o; o = o->hnext)
        if (o->hash == st->hash && o->keylen == st->keylen &&
            !memcmp(o->key, st->key, st->keylen))
            return false; /* an identical idle statement is already held */
    while (k->size >= k->capacity && k->lru_tail)
        evict_lru(k);
    if (k->size >= k->capacity) { /* only the hot one is held: it goes */
        lsql_stmt *h = k->hot;
        k->hot = NULL;
        k->size--;
        k->evictions++;
        lsql__stmt_destroy(h);
    }
    st->hnext = k->buckets[b];
    k->buckets[b] = st;
    st->prev = NULL;
    st->next = k->lru_head;
    if (k->lru_head)
        k->lru_head->prev = st;
    k->lru_head = st;
    if (!k->lru_tail)
        k->lru_tail = st;
    k->size++;
    return true;
}

void lsql__cache_clear(lsql_stmt_cache *k)
{
    if (k->hot) {
        lsql_stmt *h = k->hot;
        k->hot = NULL;
        k->size--;
        lsql__stmt_destroy(h);
    }
    while (k->lru_tail) {
        lsql_stmt *st = k->lru_tail;
        remove_entry(k, st);
        lsql__stmt_destroy(st);
    }
}

int lsql__cache_set_capacity(lsql_stmt_cache *k, int cap)
{
    if (cap < 0)
        return LSQL_INVALID_ARG;
    k->capacity = cap;
    while (k->size > cap && k->lru_tail)
        evict_lru(k);
    if (k->size > cap && k->hot) {
        lsql_stmt *h = k->hot;
        k->hot = NULL;
        k->size--;
        k->evictions++;
        lsql__stmt_destroy(h);
    }
    if (cap == 0) {
        lsql__free(k->buckets);
        k->buckets = NULL;
        k->nbuckets = 0;
    }
    return LSQL_OK;
}

LSQL_API int lsql_stmt_cache_stats(const lsql_conn *c, lsql_cache_stats *out)
{
    if (!lsql__conn_valid(c))
        return LSQL_MISUSE_HANDLE;
    if (!out || out->struct_size < offsetof(lsql_cache_stats, hits))
        return LSQL_INVALID_ARG;
    lsql_cache_stats s;
    s.struct_size = out->struct_size;
    s.capacity = c->cache.capacity;
    s.size = c->cache.size;
    s.hits = c->cache.hits;
    s.misses = c->cache.misses;
    s.evictions = c->cache.evictions;
    memcpy(out, &s, out->struct_size < sizeof s ? out->struct_size : sizeof s);
    return LSQL_OK;
}

LSQL_API int lsql_stmt_cache_set_capacity(lsql_conn *c, int capacity)
{
    if (!lsql__conn_valid(c))
        return LSQL_MISUSE_HANDLE;
    return lsql__cache_set_capacity(&c->cache, capacity);
}

LSQL_API int lsql_stmt_cache_clear(lsql_conn *c)
{
    if (!lsql__conn_valid(c))
        return LSQL_MISUSE_HANDLE;
    lsql__cache_clear(&c->cache);
    return LSQL_OK;
}
