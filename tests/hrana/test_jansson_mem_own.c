/* test_jansson_mem_own.c -- an application that set its own jansson memory
 * functions before any decode keeps them: the decoders then parse with them
 * and free every byte (src/hrana/decode.c, jansson's memory). */
#include "hrana_testutil.h"

#include <jansson.h>
#include <stdatomic.h>

static atomic_long g_live, g_calls;

static void *my_malloc(size_t n)
{
    size_t *p = malloc(n + 16);
    if (!p)
        return NULL;
    *p = n;
    atomic_fetch_add(&g_live, 1);
    atomic_fetch_add(&g_calls, 1);
    return (char *)p + 16;
}

static void my_free(void *q)
{
    if (!q)
        return;
    atomic_fetch_sub(&g_live, 1);
    free((char *)q - 16);
}

static void own_functions_kept(void **state)
{
    (void)state;
    static const char body[] =
        "{\"baton\":null,\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"SELECT ?\","
        "\"args\":[{\"type\":\"text\",\"value\":\"x\"}]}},{\"type\":\"get_autocommit\"}]}";
    hrana_limits l = ht_limits();
    for (int i = 0; i < 3; i++) {
        hrana_pipeline_req r;
        hrana_status st;
        assert_int_equal(hrana_decode_pipeline_req(body, strlen(body), &l, &r, &st), HRANA_OK);
        assert_int_equal(r.nrequests, 2);
        hrana_pipeline_req_free(&r);
        /* a failing decode too */
        assert_int_not_equal(hrana_decode_pipeline_req(body, strlen(body) - 2, &l, &r, &st),
                             HRANA_OK);
    }
    json_malloc_t m;
    json_free_t f;
    json_get_alloc_funcs(&m, &f);
    assert_true(m == my_malloc && f == my_free);
    assert_true(atomic_load(&g_calls) > 0); /* jansson parsed with them */
    assert_int_equal(atomic_load(&g_live), 0); /* and freed everything */
}

int main(void)
{
    json_set_alloc_funcs(my_malloc, my_free); /* before any jansson use */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(own_functions_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
