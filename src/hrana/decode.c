/* decode.c -- the decoders' common start: limits checked before parsing,
 * jansson's memory during a decode, the decoding context, error messages and
 * their paths. */
#include "decode_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hrana_limits_default(hrana_limits *l)
{
    l->max_body = 16u << 20;
    l->max_depth = 64;
    l->max_nodes = 1000000;
    l->max_requests = 4096;
    l->max_steps = 16384;
    l->max_args = 32766;
    l->max_sql = 4u << 20;
    l->max_text = 8u << 20;
    l->max_blob = 8u << 20;
    l->max_cols = 4096;
    l->max_rows = 10000000;
}

const char *hrana_status_name(int code)
{
    switch (code) {
    case HRANA_OK: return "OK";
    case HRANA_E_JSON: return "JSON_INVALID";
    case HRANA_E_INVALID: return "REQUEST_INVALID";
    case HRANA_E_UNKNOWN_TYPE: return "REQUEST_UNKNOWN";
    case HRANA_E_LIMIT: return "LIMIT_EXCEEDED";
    case HRANA_E_TOO_LARGE: return "BODY_TOO_LARGE";
    case HRANA_E_NOMEM: return "OUT_OF_MEMORY";
    default: return "UNKNOWN";
    }
}

static void set_status(hrana_status *st, int code, const char *fmt, ...) HRANA_PRINTF(3, 4);
static void set_status(hrana_status *st, int code, const char *fmt, ...)
{
    st->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->message, sizeof st->message, fmt, ap);
    va_end(ap);
}

/* One pass over the text outside strings: nesting depth and an upper bound
 * of the number of values (every '[', '{', ',' and the top value). Keeps the
 * parser's memory and recursion bounded whatever the input. Bytes that are
 * none of '"', '[', '{', ']', '}', ',' are skipped by a table lookup. */
enum { P_NONE, P_QUOTE, P_OPEN, P_CLOSE, P_COMMA };
static const unsigned char k_pclass[256] = {
    ['"'] = P_QUOTE, ['['] = P_OPEN, ['{'] = P_OPEN,
    [']'] = P_CLOSE, ['}'] = P_CLOSE, [','] = P_COMMA,
};

static int prescan(const char *s, size_t n, const hrana_limits *lim, hrana_status *st)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned depth = 0;
    size_t nodes = 1;
    size_t i = 0;
    if (n && nodes > lim->max_nodes)
        goto too_many;
    while (i < n) {
        unsigned k = k_pclass[u[i++]];
        if (k == P_NONE)
            continue;
        if (k == P_QUOTE) {
            /* to the closing quote, skipping escaped characters */
            while (i < n && u[i] != '"') {
                if (u[i] == '\\')
                    i++;
                i++;
            }
            i++;
            continue;
        }
        if (k == P_CLOSE) {
            if (depth)
                depth--;
            continue;
        }
        if (k == P_OPEN && ++depth > lim->max_depth) {
            set_status(st, HRANA_E_LIMIT, "JSON nesting deeper than %u levels (at byte %zu)",
                       lim->max_depth, i - 1);
            return -1;
        }
        if (++nodes > lim->max_nodes)
            goto too_many;
    }
    return 0;
too_many:
    set_status(st, HRANA_E_LIMIT, "JSON document has more than %zu values", lim->max_nodes);
    return -1;
}

/* ---- jansson's memory during a decode ------------------------------------
 *
 * A decode builds a jansson tree, walks it once and drops it: thousands of
 * small malloc/free pairs (a fifth of a decode's instructions) that glibc
 * serves slowly in that pattern (its per-thread cache holds 7 chunks a
 * size). jansson has no per-call allocator, only the process-wide
 * json_set_alloc_funcs, so: functions that behave exactly as malloc/free
 * except inside a decode ("window") on the calling thread, where they take
 * memory from a thread-local bump arena and free nothing -- the tree is then
 * dropped whole by resetting the arena instead of json_decref. Nothing of
 * the tree outlives the window (the decoders copy what they keep into the
 * caller's hrana_arena), and nothing but the decoder's own jansson calls
 * runs on the thread inside it, so every free there is of window memory and
 * every free outside is of malloc memory.
 *
 * Installed once, and only when jansson still has its default functions
 * (an application that set its own keeps them: decodes then use them and
 * json_decref, as before); each window checks that they are still ours.
 * Bodies over JA_MAX_BODY skip the arena (a parse that frees nothing peaks
 * higher). A thread keeps one block for its next decode, sized to what its
 * last decodes needed (at most JA_KEEP_MAX); more blocks are freed at the
 * end of the window, the kept one at thread exit. When the library is
 * unloaded (dlclose) or the process exits, jansson gets malloc/free back
 * unless a window is open in some thread (ja_windows / ja_closing: whichever
 * comes second sees the other).
 * Build with -DHRANA_JANSSON_ARENA=0 to turn this off. */
#ifndef HRANA_JANSSON_ARENA
#define HRANA_JANSSON_ARENA 1
#endif

#if HRANA_JANSSON_ARENA
#define JA_BLOCK ((size_t)64 << 10)
#define JA_KEEP_MAX ((size_t)256 << 10)
#define JA_MAX_BODY ((size_t)1 << 20)
#define JA_ALIGN 16u

typedef struct ja_block {
    struct ja_block *next;
    size_t cap, used;
} ja_block;
#define JA_HDR ((sizeof(ja_block) + JA_ALIGN - 1) & ~(size_t)(JA_ALIGN - 1))

typedef struct ja_state {
    ja_block *keep;  /* the thread's first block, kept between windows */
    ja_block *extra; /* more blocks of this window (freed at its end) */
    size_t want;     /* the size the kept block should have */
    bool on;         /* inside a window */
} ja_state;

static _Thread_local ja_state t_ja;
static pthread_once_t ja_once = PTHREAD_ONCE_INIT;
static pthread_key_t ja_key; /* its destructor frees a thread's blocks */
static bool ja_installed;
static atomic_int ja_windows; /* windows open in all threads */
static atomic_bool ja_closing; /* the library is going away: no more windows */

static void *ja_malloc(size_t n)
{
    ja_state *a = &t_ja;
    if (!a->on)
        return malloc(n);
    if (n > SIZE_MAX / 2)
        return NULL;
    n = (n + JA_ALIGN - 1) & ~(size_t)(JA_ALIGN - 1);
    ja_block *b = a->extra ? a->extra : a->keep;
    if (b->cap - b->used < n) {
        size_t cap = n > JA_BLOCK ? n : JA_BLOCK * 4;
        ja_block *nb = malloc(JA_HDR + cap);
        if (!nb)
            return NULL;
        nb->cap = cap;
        nb->used = 0;
        nb->next = a->extra;
        a->extra = b = nb;
    }
    void *p = (char *)b + JA_HDR + b->used;
    b->used += n;
    return p;
}

static void ja_free(void *p)
{
    if (!t_ja.on)
        free(p);
}

static void ja_thread_end(void *arg)
{
    ja_state *a = arg;
    free(a->keep);
    a->keep = NULL;
}

static void ja_install(void)
{
    json_malloc_t m;
    json_free_t f;
    json_get_alloc_funcs(&m, &f);
    if (m != malloc || f != free || pthread_key_create(&ja_key, ja_thread_end))
        return;
    json_set_alloc_funcs(ja_malloc, ja_free);
    ja_installed = true;
}

/* The thread's kept block, ready for a window. */
static bool ja_open(void)
{
    ja_state *a = &t_ja;
    if (a->keep && a->keep->cap < a->want) {
        free(a->keep); /* the last decodes needed more: one bigger block */
        a->keep = NULL;
    }
    if (!a->keep) {
        size_t cap = a->want > JA_BLOCK ? a->want : JA_BLOCK;
        ja_block *b = malloc(JA_HDR + cap);
        if (!b)
            return false;
        b->cap = cap;
        b->next = NULL;
        if (pthread_setspecific(ja_key, a)) {
            free(b);
            return false;
        }
        a->keep = b;
    }
    a->keep->used = 0;
    a->on = true;
    return true;
}

/* Gives jansson malloc/free back when the library goes away. */
__attribute__((destructor)) static void ja_uninstall(void)
{
    atomic_store(&ja_closing, true);
    json_malloc_t m;
    json_free_t f;
    json_get_alloc_funcs(&m, &f);
    if (m == ja_malloc && f == ja_free && atomic_load(&ja_windows) == 0)
        json_set_alloc_funcs(malloc, free);
}

/* Opens the window for a body of len bytes; false: parse as usual. */
static bool ja_begin(size_t len)
{
    if (len > JA_MAX_BODY || pthread_once(&ja_once, ja_install) || !ja_installed)
        return false;
    atomic_fetch_add(&ja_windows, 1);
    json_malloc_t m;
    json_free_t f;
    json_get_alloc_funcs(&m, &f);
    if (atomic_load(&ja_closing) || m != ja_malloc || f != ja_free || !ja_open()) {
        atomic_fetch_sub(&ja_windows, 1);
        return false;
    }
    return true;
}

/* Closes the window: everything jansson allocated in it is gone. */
static void ja_end(void)
{
    ja_state *a = &t_ja;
    a->on = false;
    if (a->extra) {
        size_t used = a->keep->used;
        for (ja_block *b = a->extra; b; b = b->next)
            used += b->used;
        used += used / 4;
        if (used > a->want && used <= JA_KEEP_MAX)
            a->want = used;
    }
    a->keep->used = 0;
    while (a->extra) {
        ja_block *n = a->extra->next;
        free(a->extra);
        a->extra = n;
    }
    atomic_fetch_sub(&ja_windows, 1);
}
#else
static bool ja_begin(size_t len)
{
    (void)len;
    return false;
}
static void ja_end(void) {}
#endif

void hrana__unload(json_t *root, bool windowed)
{
    if (windowed)
        ja_end();
    else
        json_decref(root);
}

json_t *hrana__load(const char *body, size_t len, const hrana_limits *lim, hrana_status *st,
                    bool *windowed)
{
    *windowed = false;
    st->code = HRANA_OK;
    st->message[0] = 0;
    if (!body && len) {
        set_status(st, HRANA_E_JSON, "no body");
        return NULL;
    }
    if (len > lim->max_body) {
        set_status(st, HRANA_E_TOO_LARGE, "body of %zu bytes is larger than the limit of %zu",
                   len, lim->max_body);
        return NULL;
    }
    if (prescan(body ? body : "", len, lim, st))
        return NULL;
    json_error_t je;
    bool w = ja_begin(len);
    json_t *root = json_loadb(body ? body : "", len,
                              JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL | JSON_REJECT_DUPLICATES,
                              &je);
    if (!root) {
        if (w)
            ja_end();
        if (json_error_code(&je) == json_error_out_of_memory)
            set_status(st, HRANA_E_NOMEM, "out of memory parsing JSON");
        else
            set_status(st, HRANA_E_JSON, "invalid JSON at byte %d: %s", je.position, je.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        set_status(st, HRANA_E_INVALID, "the body must be a JSON object");
        hrana__unload(root, w);
        return NULL;
    }
    *windowed = w;
    return root;
}

void hrana__ctx_init(dctx *c, const hrana_limits *lim, hrana_arena *arena, hrana_status *st)
{
    c->lim = lim;
    c->arena = arena;
    c->st = st;
    c->depth = 0;
    st->code = HRANA_OK;
    st->message[0] = 0;
}

/* Appends seg[0..n) to path[*len..HRANA_PATH_MAX - 1). */
static void path_add(char *path, size_t *len, const char *seg, size_t n)
{
    size_t room = HRANA_PATH_MAX - 1 - *len;
    if (n > room)
        n = room;
    memcpy(path + *len, seg, n);
    *len += n;
    path[*len] = 0;
}

/* The path as text: keys joined with '.' (each cut at 60 characters),
 * indexes as "[i]"; its length. */
static size_t format_path(const dctx *c, char *path)
{
    size_t len = 0, n = c->depth < HRANA_PATH_DEPTH ? c->depth : HRANA_PATH_DEPTH;
    path[0] = 0;
    for (size_t i = 0; i < n; i++) {
        char seg[64];
        int k;
        if (c->seg[i].key)
            k = snprintf(seg, sizeof seg, "%s%.60s", len ? "." : "", c->seg[i].key);
        else
            k = snprintf(seg, sizeof seg, "[%zu]", c->seg[i].index);
        path_add(path, &len, seg, k < 0 ? 0 : (size_t)k < sizeof seg ? (size_t)k : sizeof seg - 1);
    }
    return len;
}

static int vfail(dctx *c, int code, const char *fmt, va_list ap) HRANA_PRINTF(3, 0);
static int vfail(dctx *c, int code, const char *fmt, va_list ap)
{
    if (c->st->code != HRANA_OK)
        return -1;
    char msg[HRANA_MSG_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    c->st->code = code;
    char path[HRANA_PATH_MAX];
    size_t pl = format_path(c, path);
    if (pl > sizeof c->st->message / 2)
        pl = sizeof c->st->message / 2;
    if (pl)
        snprintf(c->st->message, sizeof c->st->message, "%.*s: %.*s", (int)pl, path,
                 (int)(sizeof c->st->message - pl - 3), msg);
    else
        snprintf(c->st->message, sizeof c->st->message, "%.*s",
                 (int)(sizeof c->st->message - 1), msg);
    return -1;
}

int hrana__fail(dctx *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(c, code, fmt, ap);
    va_end(ap);
    return -1;
}

int hrana__fail_at(dctx *c, const char *key, int code, const char *fmt, ...)
{
    size_t m = hrana__push_key(c, key);
    va_list ap;
    va_start(ap, fmt);
    vfail(c, code, fmt, ap);
    va_end(ap);
    hrana__pop(c, m);
    return -1;
}
