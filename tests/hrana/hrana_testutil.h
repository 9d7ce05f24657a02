/* hrana_testutil.h -- helpers of the codec tests. */
#ifndef LSQL_HRANA_TESTUTIL_H
#define LSQL_HRANA_TESTUTIL_H

#include "testutil.h"

#include "hrana.h"

static inline hrana_limits ht_limits(void)
{
    hrana_limits l;
    hrana_limits_default(&l);
    return l;
}

/* Decodes one value; asserts the status. */
static inline int ht_value(const char *json, hrana_arena *a, lsql_value *v, hrana_status *st)
{
    hrana_limits l = ht_limits();
    return hrana_decode_value(json, strlen(json), &l, a, v, st);
}

/* Encodes one value into a static NUL-terminated string. */
static inline const char *ht_enc_value(const lsql_value *v)
{
    static char out[4096];
    hrana_buf b;
    hrana_buf_init(&b, sizeof out - 1);
    hrana_encode_value(&b, v);
    assert_true(hrana_buf_ok(&b));
    memcpy(out, b.p, b.len);
    out[b.len] = 0;
    hrana_buf_free(&b);
    return out;
}

#define assert_status(want, expr, st)                                          \
    do {                                                                       \
        int rc__ = (expr);                                                     \
        if (rc__ != (want))                                                    \
            fail_msg("%s: got %s (%s), want %s", #expr, hrana_status_name(rc__), \
                     (st).message, hrana_status_name(want));                   \
    } while (0)

#endif
