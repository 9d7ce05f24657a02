/* test_corpus.c -- replays tests/hrana/corpus/ through every decoder (what
 * the libFuzzer target fuzz_decode.c does), checking the expectation in each
 * file's name: req-ok-* and req-bad-* (pipeline requests), cursor-ok-*
 * (cursor requests), resp-ok-* (pipeline responses), entry-ok-* (cursor
 * entries); any-* only must not crash. Crashes and leaks are caught by the
 * sanitizer builds. */
#include "hrana_testutil.h"

#include <dirent.h>
#include <libgen.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t cap = 1 << 16, len = 0;
    char *p = malloc(cap);
    size_t got;
    while ((got = fread(p + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            cap *= 2;
            p = realloc(p, cap);
        }
    }
    fclose(f);
    *n = len;
    return p;
}

static int starts(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

static void test_corpus(void **state)
{
    (void)state;
    char here[1024];
    snprintf(here, sizeof here, "%s", __FILE__);
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/corpus", dirname(here));
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("cannot open %s", dir);
    struct dirent *e;
    int files = 0, req_ok = 0, req_bad = 0;
    hrana_limits l = ht_limits();
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[2200];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t n;
        char *data = read_all(path, &n);
        hrana_status st;
        const char *name = e->d_name;
        if (starts(name, "req-")) {
            hrana_pipeline_req r;
            int rc = hrana_decode_pipeline_req(data, n, &l, &r, &st);
            if (starts(name, "req-ok-") && rc != HRANA_OK)
                fail_msg("%s: %s", name, st.message);
            if (starts(name, "req-bad-") && rc == HRANA_OK)
                fail_msg("%s: accepted", name);
            if (rc != HRANA_OK)
                assert_true(strlen(st.message) > 0);
            req_ok += rc == HRANA_OK;
            req_bad += rc != HRANA_OK;
            hrana_pipeline_req_free(&r);
        } else if (starts(name, "cursor-ok-")) {
            hrana_cursor_req r;
            if (hrana_decode_cursor_req(data, n, &l, &r, &st) != HRANA_OK)
                fail_msg("%s: %s", name, st.message);
            hrana_cursor_req_free(&r);
        } else if (starts(name, "resp-ok-")) {
            hrana_pipeline_resp r;
            if (hrana_decode_pipeline_resp(data, n, &l, &r, &st) != HRANA_OK)
                fail_msg("%s: %s", name, st.message);
            hrana_pipeline_resp_free(&r);
        } else if (starts(name, "entry-ok-")) {
            hrana_cursor_entry r;
            if (hrana_decode_cursor_entry(data, n, &l, &r, &st) != HRANA_OK)
                fail_msg("%s: %s", name, st.message);
            hrana_cursor_entry_free(&r);
        }
        /* and everything through the fuzz entry point */
        LLVMFuzzerTestOneInput((const uint8_t *)data, n);
        free(data);
        files++;
    }
    closedir(d);
    assert_true(files >= 20);
    assert_true(req_ok >= 5 && req_bad >= 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
